/*
 * ledger_common.h - what test_ledger.c (SQLite) and test_ledger_pg.c (PostgreSQL) share: entry
 * builders, the one-entry append, the leaf collector and the concurrent writer with its tally.
 * Each function is static: the header is included by one test program each. The note signer the
 * appends use is this header's `note_signer`, which the test sets up.
 */
#ifndef BW_TEST_LEDGER_COMMON_H
#define BW_TEST_LEDGER_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/bw_ledger.h"

#define T0 "2026-11-24T10:00:00Z"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static bw_note_signer note_signer;

struct leaves {
    bw_mhash h[512];
    uint64_t n;
};

struct tally {
    int w1, w2, mixed;
    uint64_t last_batch;
    char last_actor[8];
};

static char *artifact(int i, const char *actor)
{
    static char buf[512];
    snprintf(buf, sizeof(buf),
             "{\"kind\": \"artifact\", \"time\": \"" T0 "\", \"actor\": \"%s\", \"name\": \"model-%d.safetensors\","
             " \"digest\": {\"sha256\": \"" SHA_A "\"}, \"media_type\": \"application/octet-stream\", \"size\": %d}",
             actor, i, i * 10);
    return buf;
}

static char *key_entry(const bw_key *k, const char *name)
{
    bw_buf b = BW_BUF_INIT(1 << 16);
    bw_error err = {0};
    char *s = NULL;
    size_t n;
    if (bw_ledger_key_entry(k, name, "admin", T0, &b, &err) != BW_OK || bw_buf_take(&b, &s, &n) != BW_OK) {
        printf("# key entry: %s\n", err.msg);
    }
    return s;
}

static bw_status add1(bw_ledger *l, const char *json, const bw_key *k, bw_error *err)
{
    bw_error_clear(err);
    return bw_ledger_append(l, json, strlen(json), k, &note_signer, NULL, err);
}

static int collect(void *ud, const bw_ledger_entry *e)
{
    struct leaves *lv = ud;
    bw_merkle_leaf_hash(e->body.ptr, e->body.len, &lv->h[lv->n++]);
    return 0;
}

/* A child process: `batches` batches of 5 artifact entries by `actor`, then _exit (1 on failure). */
static void writer(const char *target, const char *actor, int batches)
{
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_error err = {0};
    o.create = true;
    o.origin = "example.test/concurrent";
    if (bw_ledger_open(&l, target, &o, &err) != BW_OK) {
        fprintf(stderr, "writer %s: %s\n", actor, err.msg);
        _exit(1);
    }
    for (int b = 0; b < batches; b++) {
        bw_bytes e[5];
        char *s[5];
        for (int i = 0; i < 5; i++) {
            s[i] = strdup(artifact(b * 5 + i, actor));
            e[i].ptr = (const uint8_t *)s[i];
            e[i].len = strlen(s[i]);
        }
        bw_error_clear(&err);
        bw_status rc = bw_ledger_append_batch(l, e, 5, NULL, &note_signer, NULL, &err);
        for (int i = 0; i < 5; i++) {
            free(s[i]);
        }
        if (rc != BW_OK) {
            fprintf(stderr, "writer %s: %s\n", actor, err.msg);
            _exit(1);
        }
    }
    bw_ledger_close(l);
    _exit(0);
}

static int count_actor(void *ud, const bw_ledger_entry *e)
{
    struct tally *t = ud;
    const char *actor = strstr((const char *)e->body.ptr, "\"actor\":\"w1\"") != NULL ? "w1" : "w2";
    if (strcmp(actor, "w1") == 0) {
        t->w1++;
    } else {
        t->w2++;
    }
    if (e->batch == t->last_batch && strcmp(actor, t->last_actor) != 0) {
        t->mixed++;
    }
    t->last_batch = e->batch;
    snprintf(t->last_actor, sizeof(t->last_actor), "%s", actor);
    return 0;
}

#endif
