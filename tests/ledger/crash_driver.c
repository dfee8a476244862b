/*
 * crash_driver.c - the ledger under SIGKILL (tests/ledger/crash.sh).
 *
 *   crash_driver init DB     a new ledger and its note key (DB.note)
 *   crash_driver append DB   append batches forever: batch k holds (k % 7) + 1 artifact entries
 *                            named "b<k>-e<j>", so every batch's content is known in advance
 *   crash_driver check DB    the ledger verifies, and its entries are exactly batches 1..B, whole
 *
 * check prints "ok <entries> <batches>" and exits 0, or prints why and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"

/* the note key's file: DB.note, or $CRASH_NOTE (a store URL names no directory) */
static void note_path(const char *db, char *path, size_t cap)
{
    const char *env = getenv("CRASH_NOTE");
    if (env != NULL && env[0] != '\0') {
        snprintf(path, cap, "%s", env);
    } else {
        snprintf(path, cap, "%s.note", db);
    }
}

static int load_note(const char *db, bw_note_signer *s)
{
    char path[4096], text[512];
    bw_error err = {0};
    note_path(db, path, sizeof(path));
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    text[n] = '\0';
    text[strcspn(text, "\n")] = '\0';
    if (bw_note_signer_parse(text, s, &err) != BW_OK) {
        fprintf(stderr, "note key: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int entry(char *buf, size_t cap, uint64_t k, uint64_t j)
{
    return snprintf(
        buf, cap,
        "{\"kind\":\"artifact\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"crash\",\"name\":\"b%llu-e%llu\","
        "\"digest\":{\"sha256\":\"%064llx\"}}",
        (unsigned long long)k, (unsigned long long)j, (unsigned long long)(k * 100 + j));
}

struct chk {
    uint64_t k, j, n;
    int bad;
};

static int check_one(void *ud, const bw_ledger_entry *e)
{
    struct chk *c = ud;
    char want[512], name[64];
    entry(want, sizeof(want), c->k, c->j);
    snprintf(name, sizeof(name), "\"name\":\"b%llu-e%llu\"", (unsigned long long)c->k, (unsigned long long)c->j);
    if (strstr((const char *)e->body.ptr, name) == NULL || e->batch != c->k) {
        printf("entry %llu: expected b%llu-e%llu in batch %llu\n", (unsigned long long)e->index,
               (unsigned long long)c->k, (unsigned long long)c->j, (unsigned long long)c->k);
        c->bad = 1;
        return 1;
    }
    c->n++;
    if (++c->j == c->k % 7 + 1) {
        c->k++;
        c->j = 0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_note_signer s;
    bw_error err = {0};

    if (argc != 3) {
        fprintf(stderr, "usage: crash_driver init|append|check DB\n");
        return 2;
    }
    if (strcmp(argv[1], "init") == 0) {
        bw_buf b = BW_BUF_INIT(4096);
        char path[4096];
        o.create = true;
        o.origin = "example.test/crash";
        if (bw_ledger_open(&l, argv[2], &o, &err) != BW_OK || bw_note_signer_new(o.origin, &s, &err) != BW_OK ||
            bw_note_signer_format(&s, &b) != BW_OK) {
            fprintf(stderr, "init: %s\n", err.msg);
            return 2;
        }
        note_path(argv[2], path, sizeof(path));
        FILE *f = fopen(path, "w");
        if (f == NULL || fprintf(f, "%s\n", b.ptr) < 0 || fclose(f) != 0) {
            return 2;
        }
        bw_buf_release(&b);
        bw_ledger_close(l);
        return 0;
    }
    if (load_note(argv[2], &s) != 0 || bw_ledger_open(&l, argv[2], &o, &err) != BW_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 2;
    }
    if (strcmp(argv[1], "append") == 0) {
        bw_ledger_head h;
        if (bw_ledger_current(l, &h, &err) != BW_OK) {
            fprintf(stderr, "current: %s\n", err.msg);
            return 2;
        }
        for (uint64_t k = h.batch + 1;; k++) {
            char bufs[7][512];
            bw_bytes e[7];
            uint64_t n = k % 7 + 1;
            for (uint64_t j = 0; j < n; j++) {
                e[j].len = (size_t)entry(bufs[j], sizeof(bufs[j]), k, j);
                e[j].ptr = (const uint8_t *)bufs[j];
            }
            if (bw_ledger_append_batch(l, e, n, NULL, &s, NULL, &err) != BW_OK) {
                fprintf(stderr, "append: %s\n", err.msg);
                return 2;
            }
        }
    }
    bw_ledger_report rep;
    struct chk c = {1, 0, 0, 0};
    if (bw_ledger_verify(l, NULL, &rep, &err) != BW_OK) {
        printf("verify: %s\n", err.msg);
        return 1;
    }
    if (bw_ledger_each(l, 0, check_one, &c, &err) != BW_OK || c.bad || c.j != 0 || c.n != rep.entries ||
        c.k - 1 != rep.batches || rep.checkpoints != rep.batches) {
        printf("content: %s (batch %llu, entry %llu of it)\n", err.msg, (unsigned long long)c.k,
               (unsigned long long)c.j);
        return 1;
    }
    printf("ok %llu %llu\n", (unsigned long long)rep.entries, (unsigned long long)rep.batches);
    bw_ledger_close(l);
    bw_note_signer_clear(&s);
    return 0;
}
