/*
 * stestutil.h - helpers shared by the tests of the secrets engine: the files
 * of the labeled corpus, comparing hit arrays, and two engines run side by
 * side on the same input (differential tests).
 */
#ifndef BW_STESTUTIL_H
#define BW_STESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/sengine.h"
#include "tap.h"
#include "testutil.h"

/* xorshift64: a number below m from the generator state *s (each test keeps its own seed). */
static inline unsigned tu_next(uint64_t *s, unsigned m)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (unsigned)(*s % m);
}

static inline bool tu_same_hits(const bw_shits *a, const bw_shits *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].rule != b->v[i].rule || a->v[i].start != b->v[i].start || a->v[i].end != b->v[i].end ||
            a->v[i].sstart != b->v[i].sstart || a->v[i].send != b->v[i].send) {
            return false;
        }
    }
    return true;
}

typedef void (*tu_file_fn)(void *ctx, const char *rel, const char *p, size_t n);

/*
 * Call fn on every file of tests/data/secrets/corpus, in name order. Returns
 * false, having called nothing, when BW_SOURCE_ROOT is not set.
 */
static inline bool tu_each_corpus_file(tu_file_fn fn, void *ctx)
{
    const char *root = getenv("BW_SOURCE_ROOT");
    char cmd[4200], rel[4096];
    FILE *ls;

    if (root == NULL) {
        tap_diag("BW_SOURCE_ROOT not set: the labeled corpus is not read");
        return false;
    }
    snprintf(cmd, sizeof(cmd), "cd '%s/tests/data/secrets/corpus' 2>/dev/null && find . -type f | sort", root);
    ls = popen(cmd, "r");
    while (ls != NULL && fgets(rel, sizeof(rel), ls) != NULL) {
        char path[8300];
        size_t n = 0;
        char *p;
        rel[strcspn(rel, "\n")] = '\0';
        snprintf(path, sizeof(path), "%s/tests/data/secrets/corpus/%s", root, rel);
        p = tu_read(path, &n);
        if (p != NULL) {
            fn(ctx, rel, p, n);
        }
        free(p);
    }
    if (ls != NULL) {
        pclose(ls);
    }
    return true;
}

/* Two engines over the built-in rules, scanned on the same inputs and compared. */
struct tu_pair {
    bw_sengine *e[2];
    bw_sscratch *s[2];
    bw_shits h[2];
    size_t inputs, bad;
};

static inline bool tu_pair_open(struct tu_pair *t, const bw_sengine_opts *o0, const bw_sengine_opts *o1)
{
    bw_error err;

    memset(t, 0, sizeof(*t));
    bw_error_clear(&err);
    if (bw_sengine_new(&t->e[0], bw_builtin_rules, bw_builtin_rule_count, o0, &err) != BW_OK ||
        bw_sengine_new(&t->e[1], bw_builtin_rules, bw_builtin_rule_count, o1, &err) != BW_OK ||
        bw_sscratch_new(t->e[0], &t->s[0], &err) != BW_OK || bw_sscratch_new(t->e[1], &t->s[1], &err) != BW_OK) {
        ok(false, "engines: %s", err.msg);
        return false;
    }
    return true;
}

/* Scan p[0..n) with both; true when they agree (a difference is counted and named). */
static inline bool tu_pair_check(struct tu_pair *t, const char *name, const char *p, size_t n)
{
    bw_error err;

    bw_error_clear(&err);
    for (int k = 0; k < 2; k++) {
        t->h[k].n = 0;
        if (bw_sengine_scan(t->e[k], t->s[k], p, n, 0, n, &t->h[k], &err) != BW_OK) {
            tap_diag("%s: %s", name, err.msg);
        }
    }
    t->inputs++;
    if (!tu_same_hits(&t->h[0], &t->h[1])) {
        t->bad++;
        tap_diag("differs on %s: %zu vs %zu hits", name, t->h[0].n, t->h[1].n);
        return false;
    }
    return true;
}

/* tu_file_fn for tu_each_corpus_file(): ctx is the pair */
static inline void tu_pair_file(void *ctx, const char *rel, const char *p, size_t n)
{
    (void)tu_pair_check(ctx, rel, p, n);
}

static inline void tu_pair_close(struct tu_pair *t)
{
    for (int k = 0; k < 2; k++) {
        bw_shits_release(&t->h[k]);
        bw_sscratch_free(t->s[k]);
        bw_sengine_free(t->e[k]);
    }
}

#endif
