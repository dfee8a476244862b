/*
 * testfx.h - shared by the format-scanner tests (gguf, npy, safetensors):
 * loading fixtures from tests/data/models-formats/<fmt>/<class>/<case> with
 * their .err/.hit side files, prefixes for truncation loops, and a scan
 * context whose findings the test reads back.
 */
#ifndef BW_TESTFX_H
#define BW_TESTFX_H

#include <dirent.h>

#include "scan/mscan.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

/* ---- fixtures: tests/data/models-formats/<fmt>/<class>/<case> ---------- */

#define MAX_FIXTURES 128

typedef struct fixture {
    char path[1024];
    char base[256]; /* case name without the extension */
    uint8_t *data;
    size_t n;
    char side[256]; /* contents of <case>.err / <case>.hit, trimmed; "" if none */
} fixture;

static inline int fx_cmp(const void *a, const void *b)
{
    return strcmp(((const fixture *)a)->path, ((const fixture *)b)->path);
}

/* Load every file of <fmt>/<cls> with extension `ext` (sorted); returns the count. */
static inline size_t fx_load(const char *fmt, const char *cls, const char *ext, fixture *out, size_t cap)
{
    const char *root = getenv("BW_SOURCE_ROOT");
    char dir[900];
    DIR *d;
    struct dirent *e;
    size_t k = 0;

    snprintf(dir, sizeof(dir), "%s/tests/data/models-formats/%s/%s", root != NULL ? root : ".", fmt, cls);
    d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL && k < cap) {
        size_t ln = strlen(e->d_name), le = strlen(ext);
        fixture *f = &out[k];
        char side[1300];
        char *s;
        if (ln <= le || strcmp(e->d_name + ln - le, ext) != 0) {
            continue;
        }
        snprintf(f->path, sizeof(f->path), "%s/%s", dir, e->d_name);
        snprintf(f->base, sizeof(f->base), "%.*s", (int)(ln - le), e->d_name);
        f->data = (uint8_t *)tu_read(f->path, &f->n);
        f->side[0] = '\0';
        snprintf(side, sizeof(side), "%s/%s.err", dir, f->base);
        s = tu_read(side, NULL);
        if (s == NULL) {
            snprintf(side, sizeof(side), "%s/%s.hit", dir, f->base);
            s = tu_read(side, NULL);
        }
        if (s != NULL) {
            snprintf(f->side, sizeof(f->side), "%s", s);
            f->side[strcspn(f->side, "\n")] = '\0';
            free(s);
        }
        k++;
    }
    closedir(d);
    qsort(out, k, sizeof(*out), fx_cmp);
    return k;
}

static inline void fx_free(fixture *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].data);
    }
}

/* A copy of the first n bytes in a buffer of exactly n bytes, so ASan sees overreads. */
static inline uint8_t *fx_prefix(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n > 0 ? n : 1);
    if (n > 0) {
        memcpy(c, p, n);
    }
    return c;
}

/* ---- a scanner context over a fresh report --------------------------- */

static bw_report *rep;

static inline void scan_reset(bw_mscan *s)
{
    bw_report_free(rep);
    rep = NULL;
    if (bw_report_new(&rep, "test", NULL) != BW_OK) {
        abort();
    }
    memset(s, 0, sizeof(*s));
    s->report = rep;
    s->path = "fixture";
    s->opts.max_depth = 8;
    s->opts.max_member_size = (uint64_t)1 << 32;
    s->opts.max_total_size = (uint64_t)1 << 34;
    s->opts.max_ratio = 200;
}

static inline size_t n_flags(void)
{
    return bw_report_count(rep);
}

/* The first finding with this rule, NULL if none. */
static inline const bw_finding *flag_of(const char *rule)
{
    for (size_t i = 0; i < bw_report_count(rep); i++) {
        if (strcmp(bw_report_get(rep, i)->rule_id, rule) == 0) {
            return bw_report_get(rep, i);
        }
    }
    return NULL;
}

static fixture fx[MAX_FIXTURES];

#endif
