/*
 * vrun.c - the expectation engine: bw_validate_run reads a dataset once and
 * feeds every batch to every expectation (bw_validate.h).
 *
 * Each expectation is compiled once into a `struct xp`: its kind, its
 * arguments decoded (bounds as doubles, regexes JIT-compiled, value sets as
 * key tables) and its running state. Per batch, its column is found by name
 * and a loop specialised by kind and column type walks the column's arrays;
 * values become text only when a text check meets a non-string column.
 * Aggregates over one column (mean, stdev, min, max, sum, median,
 * quantiles, distinct counts) share one `struct colagg` per column, so five
 * statistics of a column cost one walk. docs/expectations.md documents the
 * semantics of each expectation and the bounds on what is kept.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <time.h>

#include "bulwark/bw_json.h"
#include "bulwark/bw_sketch.h"
#include "data/expect_internal.h"
#include "data/suite_internal.h"

#define OBS_MAX 1000                     /* distinct values listed in an observed value */
#define KEEP_MAX ((size_t)8 << 20)       /* doubles kept for an exact median / quantiles (64 MiB) */
#define KL_VALUES_MAX 100000             /* categorical values counted for KL divergence */
#define TOPK_CAP 4096                    /* counters of the most-common-value sketch */
#define MEMO_SLOTS 4096                  /* text check memo entries (32 KiB) */
#define MEMO_PROBE 65536                 /* values after which a memo hitting less than a third is dropped */
#define SMEMO_SLOTS 256                  /* in-set memo entries for short strings (6 KiB) */
#define DMEMO_SLOTS 8192                 /* date memo entries, one per day modulo (64 KiB, 22 years without a clash) */
#define DISTINCT_EXACT ((size_t)8 << 20) /* hashes kept for an exact distinct count, then HyperLogLog */

__extension__ typedef __int128 i128; /* exact integer sums */

/* ---- state ------------------------------------------------------------------------------------- */

struct colagg {
    char *name;
    int ci;
    bool want_vals, want_distinct, seen;
    bw_dtype last_type;
    uint64_t n, unparsed, ntime;
    double mean, m2;
    double sum, sumc;
    i128 isum;
    bool all_int;
    double min, max;
    int64_t tmin, tmax;
    bool tdate_only;
    double *vals;
    size_t nvals, vcap;
    bw_kll *kll;
    bw_hset dist;
    bw_hll *hll;
    uint64_t nonnull;
    struct colagg *next;
};

struct xp {
    int kind;
    const char *type;
    const json_t *kw;
    json_t *own_kw;
    int severity;
    unsigned line;
    bool implicit, optional;
    const char *col;
    const char *cols[64];
    size_t ncols;
    int ci, cis[64];
    bool seen_col;
    uint64_t elements, missing, unexpected;
    double mostly;
    bool per_value;
    bw_unexpected *samples;
    size_t nsamples;
    /* bounds */
    bool has_lo, has_hi, strict_lo, strict_hi, time_bounds;
    double lo, hi;
    /* regexes */
    pcre2_code **re;
    size_t nre;
    bool match_all;
    pcre2_match_data *md;
    uint64_t re_jit; /* bit k: re[k] is JIT-compiled, matched with pcre2_jit_match (no per-call setup) */
    /*
     * The same regexes compiled without UTF and UCP, for ASCII text: on ASCII
     * subjects they match exactly what the Unicode ones match (every class,
     * \s \w \d \b, case folding and '.' agree below 0x80, and non-ASCII
     * pattern characters match nothing either way), and UCP classes cost 3x
     * more. NULL where a pattern only compiles in UTF mode.
     */
    pcre2_code **re_a;
    uint64_t re_a_jit;
    /* the same regexes as DFAs for ASCII text (expect_redfa.c; NULL where outside its subset) */
    bw_redfa **dfa;
    bw_redfa *dfa_any; /* a list on any (or none) of its regexes: one DFA of their alternation */
    bool all_dfa;      /* every regex has one: string batches skip the memo, a DFA run costs less than its hash */
    /* value sets */
    bw_kset set;
    unsigned char *member_seen;
    size_t nmembers;
    bw_kset collected;
    bool collected_trunc, outsider;
    bw_topk *topk;
    bool ties_okay;
    /* unique */
    bw_umap umap;
    bw_uspill *spill; /* past the memory budget: the rest in temporary files */
    /* increasing / decreasing */
    bool has_prev, strictly;
    double prev;
    /* types */
    bw_dtype types[32];
    bool types_any[32];
    size_t ntypes;
    bool no_type_list;
    bw_dtype last_type;
    /* assorted arguments */
    int64_t ival;
    bool allow_numbers, or_equal, exact_match;
    int ignore; /* pair: 0 both missing, 1 either, 2 neither; multi: 0 all, 1 any, 2 never */
    double sum_total;
    bw_ctlset ctl;
    bw_strftime sf;
    /* a memo of the costly text checks for columns that repeat their values (dates, codes) */
    uint64_t *memo; /* MEMO_SLOTS entries: hash with the result in bit 0 */
    uint64_t memo_tries, memo_hits;
    bool memo_off;
    struct smemo {
        uint64_t w0, w1; /* the bytes, zero-padded */
        uint32_t n;      /* UINT32_MAX: empty */
        bool in;
    } * smemo;       /* in-set on strings of up to 16 bytes: SMEMO_SLOTS answers keyed by the bytes */
    uint64_t *dmemo; /* DATE columns: DMEMO_SLOTS entries, day << 32 | 2 | result, indexed by the day (exact) */
    struct colagg *agg;
    /* quantiles */
    double qs[64], qr[64][2];
    bool qhas[64][2];
    size_t nq;
    /* KL divergence */
    bool kl_cat, kl_ready;
    double *bins, *weights, tail, internal;
    size_t nw;
    uint64_t *counts, below, above, kl_n, kl_other;
    size_t ncounts, kl_nout;
    bw_kset kl_vals;
    double threshold;
    char *error;
};

struct run {
    const bw_suite *s;
    const bw_validate_opts *o;
    size_t sample_max, value_max;
    int redact;
    struct xp *xs;
    size_t nx;
    struct colagg *aggs;
    bw_buf txt, scratch;
    double *tmp;
    size_t tmp_cap;
    uint8_t *verdict; /* a regex expectation's verdict a row (pv_regex_ascii) */
    size_t verdict_cap;
    const bw_batch *b;
    bw_error *err;
    size_t unique_budget;
    const char *temp_dir;
    char **names; /* the last batch's column names (copies) */
    size_t nnames;
    uint64_t rows;
    bool any_batch;
};

/* ---- small helpers ----------------------------------------------------------------------------- */

static bw_status oom(bw_error *err)
{
    return bw_fail(err, BW_ENOMEM, "out of memory");
}

static bool jbool(const json_t *kw, const char *k, bool dflt)
{
    const json_t *v = json_object_get(kw, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static const char *jstr(const json_t *kw, const char *k)
{
    return json_string_value(json_object_get(kw, k));
}

static void set_error(struct xp *x, const char *fmt, const char *arg)
{
    if (x->error == NULL) {
        char msg[512];
        snprintf(msg, sizeof msg, fmt, arg);
        x->error = bw_strdup(msg);
    }
}

static inline bool is_null(const bw_column *c, size_t i)
{
    return !bw_col_valid(c, i) || (c->type == BW_DT_FLOAT64 && isnan(c->f64[i]));
}

static inline const char *text_at(struct run *r, const bw_column *c, size_t i, size_t *n)
{
    switch (c->type) {
    case BW_DT_STRING: return bw_col_str(c, i, n);
    case BW_DT_BOOL: *n = c->b[i] ? 4 : 5; return c->b[i] ? "true" : "false";
    default: break;
    }
    /* numbers, dates and timestamps as bw_col_format writes them (no printf for the common forms) */
    bw_buf_reset(&r->txt);
    (void)bw_col_format(c, i, &r->txt);
    *n = r->txt.len;
    return r->txt.ptr != NULL ? r->txt.ptr : "";
}

/* A number from value i: numeric columns as they are, strings parsed; false when it is none. */
static inline bool num_at(const bw_column *c, size_t i, double *v)
{
    switch (c->type) {
    case BW_DT_INT64: *v = (double)c->i64[i]; return true;
    case BW_DT_FLOAT64: *v = c->f64[i]; return true;
    case BW_DT_BOOL: *v = c->b[i]; return true;
    case BW_DT_STRING: {
        size_t n;
        const char *s = bw_col_str(c, i, &n);
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
        return bw_parse_float64(s, n, v) && !isnan(*v);
    }
    default: return false;
    }
}

/* A time (microseconds) from value i: dates, timestamps, strings parsed. */
static inline bool time_at(const bw_column *c, size_t i, double *v)
{
    switch (c->type) {
    case BW_DT_DATE: *v = (double)c->days[i] * 86400e6; return true;
    case BW_DT_TIMESTAMP: *v = (double)c->i64[i]; return true;
    case BW_DT_STRING: {
        size_t n;
        int64_t t;
        const char *s = bw_col_str(c, i, &n);
        if (bw_parse_timestamp(s, n, &t)) {
            *v = (double)t;
            return true;
        }
        return false;
    }
    default: return false;
    }
}

static inline bool in_bounds(const struct xp *x, double v)
{
    if (x->has_lo && (x->strict_lo ? !(v > x->lo) : !(v >= x->lo))) {
        return false;
    }
    if (x->has_hi && (x->strict_hi ? !(v < x->hi) : !(v <= x->hi))) {
        return false;
    }
    return true;
}

static int col_index(const bw_batch *b, const char *name)
{
    if (name == NULL) {
        return -1;
    }
    for (size_t k = 0; k < b->ncols; k++) {
        if (strcmp(b->names[k], name) == 0) {
            return (int)k;
        }
    }
    return -1;
}

/* ---- samples ----------------------------------------------------------------------------------- */

/* Sample a value of n bytes of which the first `avail` are at s (avail < n only for values read back from a spill). */
static bw_status sample_put_kept(struct run *r, struct xp *x, size_t at, uint64_t row, const char *s, size_t avail,
                                 size_t n, bool null)
{
    if (x->samples == NULL) {
        x->samples = bw_calloc(r->sample_max, sizeof *x->samples);
        if (x->samples == NULL) {
            return BW_ENOMEM;
        }
    }
    bw_unexpected u = {.row = row, .len = n, .null = null};
    if (!null && !r->redact) {
        size_t k = BW_MIN(avail, r->value_max);
        /* never cut inside a UTF-8 sequence */
        while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80) {
            k--;
        }
        u.value = bw_strndup(k > 0 ? s : "", k);
        if (u.value == NULL) {
            return BW_ENOMEM;
        }
        u.truncated = k < n;
    }
    if (x->nsamples == r->sample_max) {
        /* sorted insert (unique): drop the last */
        bw_free(x->samples[x->nsamples - 1].value);
        x->nsamples--;
    }
    memmove(&x->samples[at + 1], &x->samples[at], (x->nsamples - at) * sizeof *x->samples);
    x->samples[at] = u;
    x->nsamples++;
    return BW_OK;
}

static bw_status sample_put(struct run *r, struct xp *x, size_t at, uint64_t row, const char *s, size_t n, bool null)
{
    return sample_put_kept(r, x, at, row, s, n, n, null);
}

/* Count value i of c as unexpected and sample it while there is room. */
static bw_status flag(struct run *r, struct xp *x, const bw_column *c, size_t i)
{
    x->unexpected++;
    if (x->nsamples >= r->sample_max) {
        return BW_OK;
    }
    uint64_t row = r->b->row0 + i;
    if (c == NULL || is_null(c, i)) {
        return sample_put(r, x, x->nsamples, row, NULL, 0, true);
    }
    size_t n;
    const char *s = text_at(r, c, i, &n);
    return sample_put(r, x, x->nsamples, row, s, n, false);
}

static bw_status flag_text(struct run *r, struct xp *x, uint64_t row, const char *s, size_t n)
{
    x->unexpected++;
    if (x->nsamples >= r->sample_max) {
        return BW_OK;
    }
    return sample_put(r, x, x->nsamples, row, s, n, false);
}

/* Unique: rows are discovered out of order; keep the sample_max smallest. */
static bw_status flag_row_sorted(struct run *r, struct xp *x, uint64_t row, const bw_column *c, size_t i)
{
    if (x->nsamples == r->sample_max && row > x->samples[x->nsamples - 1].row) {
        return BW_OK;
    }
    size_t at = x->nsamples;
    while (at > 0 && x->samples[at - 1].row > row) {
        at--;
    }
    size_t n;
    const char *s = text_at(r, c, i, &n);
    return sample_put(r, x, at, row, s, n, false);
}

/* Text of several columns' values at row i, for pair / multicolumn samples: "a, b". */
static const char *row_text(struct run *r, const struct xp *x, size_t i, size_t *n)
{
    bw_buf *t = &r->scratch;
    bw_buf_reset(t);
    for (size_t k = 0; k < x->ncols; k++) {
        if (k > 0) {
            bw_buf_addstr(t, ", ");
        }
        const bw_column *c = x->cis[k] >= 0 ? &r->b->cols[x->cis[k]] : NULL;
        if (c == NULL || is_null(c, i)) {
            bw_buf_addstr(t, "null");
        } else {
            (void)bw_col_format(c, i, t);
        }
    }
    *n = t->len;
    return t->ptr != NULL ? t->ptr : "";
}

/* ---- text checks ------------------------------------------------------------------------------- */

static inline bool re_hit(struct xp *x, size_t k, const char *s, size_t n, bool ascii, bool *failed)
{
    int rc;
    if (ascii && x->dfa[k] != NULL) {
        rc = bw_redfa_match(x->dfa[k], s, n);
        if (rc >= 0) {
            return rc != 0;
        }
    }
    if (ascii && x->re_a != NULL && x->re_a[k] != NULL) {
        rc = k < 64 && (x->re_a_jit >> k & 1) ? pcre2_jit_match(x->re_a[k], (PCRE2_SPTR)s, n, 0, 0, x->md, NULL)
                                              : pcre2_match(x->re_a[k], (PCRE2_SPTR)s, n, 0, 0, x->md, NULL);
    } else if (k < 64 && (x->re_jit >> k & 1)) {
        rc = pcre2_jit_match(x->re[k], (PCRE2_SPTR)s, n, 0, 0, x->md, NULL);
    } else {
        rc = pcre2_match(x->re[k], (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, x->md, NULL);
    }
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
        *failed = true; /* a match limit: counted as unexpected */
    }
    return rc >= 0;
}

static bool text_ok(struct run *r, struct xp *x, const char *s, size_t n, bool ascii)
{
    bool failed = false, okv = true;
    switch (x->kind) {
    case XK_REGEX: okv = re_hit(x, 0, s, n, ascii, &failed); break;
    case XK_NOT_REGEX: okv = !re_hit(x, 0, s, n, ascii, &failed); break;
    case XK_REGEX_LIST:
        if (x->match_all) {
            for (size_t k = 0; k < x->nre && okv; k++) {
                okv = re_hit(x, k, s, n, ascii, &failed);
            }
        } else {
            okv = false;
            for (size_t k = 0; k < x->nre && !okv; k++) {
                okv = re_hit(x, k, s, n, ascii, &failed);
            }
        }
        break;
    case XK_NOT_REGEX_LIST:
        for (size_t k = 0; k < x->nre && okv; k++) {
            okv = !re_hit(x, k, s, n, ascii, &failed);
        }
        break;
    case XK_LENGTH_BETWEEN: okv = in_bounds(x, (double)bw_utf8_len(s, n)); break;
    case XK_LENGTH_EQUAL: okv = (int64_t)bw_utf8_len(s, n) == x->ival; break;
    case XK_STRFTIME: okv = bw_strftime_match(&x->sf, s, n); break;
    case XK_DATEUTIL: okv = bw_dateutil_parseable(s, n); break;
    case XK_JSON: okv = bw_json_valid(s, n); break;
    case XK_NO_FORMULA: okv = !bw_formula_injection(s, n, x->allow_numbers); break;
    case XK_NO_CONTROL: {
        uint32_t cp;
        okv = !bw_has_control(&x->ctl, s, n, &cp);
        break;
    }
    case XK_NO_MARKUP: okv = !bw_has_markup(s, n, &r->scratch); break;
    default: break;
    }
    return okv && !failed;
}

/* A regex expectation's verdict on ASCII text from its DFAs alone: 1 passes, 0 fails, -1 a DFA gave up. */
static inline int dfa_ok(const struct xp *x, const char *s, size_t n)
{
    int m;
    if (x->dfa_any != NULL) {
        /* a list matched on any (or none): the one DFA of the patterns' alternation */
        m = bw_redfa_match(x->dfa_any, s, n);
        return m < 0 ? -1 : x->kind == XK_REGEX_LIST ? m : !m;
    }
    switch (x->kind) {
    case XK_REGEX: return bw_redfa_match(x->dfa[0], s, n);
    case XK_NOT_REGEX: m = bw_redfa_match(x->dfa[0], s, n); return m < 0 ? -1 : !m;
    case XK_REGEX_LIST:
        for (size_t k = 0; k < x->nre; k++) {
            if ((m = bw_redfa_match(x->dfa[k], s, n)) < 0 || m != x->match_all) {
                return m < 0 ? -1 : m;
            }
        }
        return x->match_all;
    default: /* XK_NOT_REGEX_LIST */
        for (size_t k = 0; k < x->nre; k++) {
            if ((m = bw_redfa_match(x->dfa[k], s, n)) != 0) {
                return m < 0 ? -1 : 0;
            }
        }
        return 1;
    }
}

/* Valid (non-null) values among rows 0..nrows of c, from the validity bitmap. */
static size_t count_valid(const bw_column *c, size_t nrows)
{
    size_t k = 0, i = 0;
    for (; i + 64 <= nrows; i += 64) {
        uint64_t w;
        memcpy(&w, c->valid + i / 8, 8);
        /* SWAR bit count (the build has no popcnt instruction; the libgcc call costs more) */
        w -= (w >> 1) & 0x5555555555555555ULL;
        w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
        w = (w + (w >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
        k += (size_t)((w * 0x0101010101010101ULL) >> 56);
    }
    for (; i < nrows; i++) {
        k += bw_col_valid(c, i);
    }
    return k;
}

/* The verdict of a regex expectation from the match results of its two regexes (lists of two). */
static inline bool list2_ok(const struct xp *x, int m0, int m1)
{
    switch (x->kind) {
    case XK_REGEX_LIST: return x->match_all ? (m0 && m1) : (m0 || m1);
    default: return !m0 && !m1; /* XK_NOT_REGEX_LIST */
    }
}

/*
 * A regex expectation whose every regex is a DFA, on a string batch that is
 * all ASCII: no memo, no dispatch. A DFA walk is a chain of dependent loads,
 * so walks go four at a time in lockstep (four values for one regex, two
 * values for the two regexes of a list) into a verdict a row; then the rows
 * are counted and flagged in order.
 */
static bw_status pv_regex_ascii(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    const uint32_t *off = c->off;
    const char *str = c->str != NULL ? c->str : "";
    bool one = x->kind == XK_REGEX || x->kind == XK_NOT_REGEX || x->dfa_any != NULL;
    const bw_redfa *d1 = x->dfa_any != NULL ? x->dfa_any : x->dfa[0]; /* the one DFA when `one` */
    /* values per group of four walks: 4 (one regex), 2 (a list of two), 0 (one value at a time) */
    size_t per = one && bw_redfa_whole(d1)                                                       ? 4
                 : !one && x->nre == 2 && bw_redfa_whole(x->dfa[0]) && bw_redfa_whole(x->dfa[1]) ? 2
                                                                                                 : 0;
    if (r->verdict_cap < nrows) {
        uint8_t *v = bw_realloc(r->verdict, nrows);
        if (v == NULL) {
            return BW_ENOMEM;
        }
        r->verdict = v;
        r->verdict_cap = nrows;
    }
    uint8_t *verdict = r->verdict; /* 0 fails, 1 passes */
    int want = x->kind == XK_REGEX || x->kind == XK_REGEX_LIST;
    /*
     * Rows wait in buckets by length (2 .. LEN_BUCKETS + 1 bytes, the last one
     * for all longer values) until a bucket holds a group: walks of one length
     * finish together, so no walk runs on alone after the others.
     */
    enum { LEN_BUCKETS = 48 };
    size_t q[LEN_BUCKETS][4], nq[LEN_BUCKETS] = {0};
    for (size_t i = 0; i <= nrows; i++) {
        size_t n = i < nrows ? off[i + 1] - off[i] : 0;
        if (i < nrows && per != 0 && n >= 2) {
            size_t b = BW_MIN(n - 2, (size_t)LEN_BUCKETS - 1);
            q[b][nq[b]++] = i;
            if (nq[b] < per) {
                continue;
            }
            const bw_redfa *d[4];
            const char *sv[4];
            size_t nv[4];
            int m[4];
            for (size_t k = 0; k < 4; k++) {
                size_t row = q[b][per == 4 ? k : k / 2];
                d[k] = per == 4 ? d1 : x->dfa[k % 2];
                sv[k] = str + off[row];
                nv[k] = off[row + 1] - off[row];
            }
            bw_redfa_match4(d, sv, nv, m);
            for (size_t k = 0; k < per; k++) {
                verdict[q[b][k]] = per == 4 ? m[k] == want : list2_ok(x, m[2 * k], m[2 * k + 1]);
            }
            nq[b] = 0;
            continue;
        }
        if (i == nrows) {
            /* what is left in the buckets, one at a time */
            for (size_t b = 0; b < LEN_BUCKETS; b++) {
                for (size_t k = 0; k < nq[b]; k++) {
                    const char *sv = str + off[q[b][k]];
                    size_t nk = off[q[b][k] + 1] - off[q[b][k]];
                    int okv = dfa_ok(x, sv, nk);
                    verdict[q[b][k]] = (uint8_t)(okv >= 0 ? okv : text_ok(r, x, sv, nk, true));
                }
            }
            break;
        }
        /* nulls are walked too (no branch on them): their verdicts are not looked at */
        int okv = dfa_ok(x, str + off[i], n);
        verdict[i] = (uint8_t)(okv >= 0 ? okv : text_ok(r, x, str + off[i], n, true));
    }
    x->missing += nrows - count_valid(c, nrows);
    for (size_t i = 0; i < nrows; i++) {
        if ((verdict[i] == 0) & bw_col_valid(c, i)) {
            BW_TRY(flag(r, x, c, i));
        }
    }
    return BW_OK;
}

/* ---- per-value expectations, one batch ----------------------------------------------------------- */

/* ---- byte prefilters, 8 bytes at a time (each test is exact: "some byte is ...") ---- */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t has_byte(uint64_t w, unsigned char b)
{
    uint64_t x = w ^ (ONES * b);
    return (x - ONES) & ~x & HIGHS;
}

/* Some byte of w is below 0x20 or above 0x7E (a control character, DEL or a byte of a non-ASCII character). */
static inline uint64_t word_unplain(uint64_t w)
{
    return (w & HIGHS) | ((w - ONES * 0x20) & ~w & HIGHS) | has_byte(w, 0x7F);
}

static inline uint64_t word_markup(uint64_t w)
{
    return has_byte(w, '<') | has_byte(w, ':') | has_byte(w, '&');
}

/* The first byte at or after `pos` in s[0..n) that is a candidate for check `pre` (1 control, 2 markup), or n. */
static size_t next_candidate(const char *s, size_t pos, size_t n, int pre)
{
    uint64_t w;
    for (; pos + 8 <= n; pos += 8) {
        memcpy(&w, s + pos, 8);
        if ((pre == 1 ? word_unplain(w) : word_markup(w)) != 0) {
            break;
        }
    }
    for (; pos < n; pos++) {
        unsigned char c = (unsigned char)s[pos];
        if (pre == 1 ? (c < 0x20 || c > 0x7E) : (c == '<' || c == ':' || c == '&')) {
            return pos;
        }
    }
    return n;
}

/*
 * The security checks on a string column. Control characters and markup: the
 * batch's bytes are scanned 8 at a time for candidate bytes (most values have
 * none), each candidate is mapped to its row, and only those rows get the
 * full check; nulls are counted from the bitmap. Formulas look at the first
 * bytes of each value.
 */
static bw_status pv_security(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    int pre = x->kind == XK_NO_CONTROL ? 1 : x->kind == XK_NO_MARKUP ? 2 : 0;
    const char *str = c->str != NULL ? c->str : "";
    const uint32_t *off = c->off;
    x->missing += nrows - count_valid(c, nrows);
    if (pre == 0) {
        for (size_t i = 0; i < nrows; i++) {
            const char *s = str + off[i];
            size_t n = off[i + 1] - off[i];
            /* only a value starting (after white space) with = + - @ can be a formula; empty ones are null */
            if (n > 0 && (unsigned char)s[0] > '@' && bw_col_valid(c, i)) {
                continue;
            }
            if (bw_col_valid(c, i) && !text_ok(r, x, s, n, false)) {
                BW_TRY(flag(r, x, c, i));
            }
        }
        return BW_OK;
    }
    size_t len = BW_MIN(c->str_len, (size_t)off[nrows]), row = 0;
    for (size_t pos = next_candidate(str, 0, len, pre); pos < len; pos = next_candidate(str, pos, len, pre)) {
        /* the row holding byte pos: the first row >= `row` whose value ends past it */
        size_t lo = row, hi = nrows;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (off[mid + 1] <= pos) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        row = lo;
        if (row >= nrows) {
            break;
        }
        if (bw_col_valid(c, row) && !text_ok(r, x, str + off[row], off[row + 1] - off[row], false)) {
            BW_TRY(flag(r, x, c, row));
        }
        pos = off[row + 1];
        row++;
    }
    return BW_OK;
}

/*
 * A text check on a DATE column: the text is a function of the day, so a
 * memo indexed by the day itself answers exactly (no hash) and holds any
 * span of DMEMO_SLOTS consecutive days without a clash.
 */
static bw_status pv_text_dates(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    if (x->dmemo == NULL && (x->dmemo = bw_calloc(DMEMO_SLOTS, sizeof *x->dmemo)) == NULL) {
        return BW_ENOMEM;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (!bw_col_valid(c, i)) {
            x->missing++;
            continue;
        }
        uint32_t day = (uint32_t)c->days[i];
        uint64_t key = (uint64_t)day << 32 | 2, *e = &x->dmemo[day & (DMEMO_SLOTS - 1)];
        bool okv;
        if ((*e & ~(uint64_t)1) == key) {
            okv = *e & 1;
        } else {
            size_t n;
            const char *s = text_at(r, c, i, &n);
            okv = text_ok(r, x, s, n, bw_ascii(s, n));
            *e = key | okv;
        }
        if (!okv) {
            BW_TRY(flag(r, x, c, i));
        }
    }
    return BW_OK;
}

static bw_status pv_text(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    if (c->type != BW_DT_STRING &&
        ((x->kind == XK_NO_CONTROL) || (x->kind == XK_NO_MARKUP) || (x->kind == XK_NO_FORMULA && x->allow_numbers))) {
        /* numbers, booleans, dates: formatted text cannot hold these */
        for (size_t i = 0; i < nrows; i++) {
            x->missing += is_null(c, i);
        }
        return BW_OK;
    }
    if (c->type == BW_DT_STRING && (x->kind == XK_LENGTH_BETWEEN || x->kind == XK_LENGTH_EQUAL)) {
        if (bw_ascii(c->str, c->str_len)) {
            /* one byte a code point: the length is the byte count; no branch on nulls (they can be many, at random) */
            x->missing += nrows - count_valid(c, nrows);
            for (size_t i = 0; i < nrows; i++) {
                size_t len = c->off[i + 1] - c->off[i];
                bool okv = x->kind == XK_LENGTH_EQUAL ? (int64_t)len == x->ival : in_bounds(x, (double)len);
                if (!okv & bw_col_valid(c, i)) {
                    BW_TRY(flag(r, x, c, i));
                }
            }
            return BW_OK;
        }
        for (size_t i = 0; i < nrows; i++) {
            if (!bw_col_valid(c, i)) {
                x->missing++;
                continue;
            }
            size_t n;
            const char *s = bw_col_str(c, i, &n);
            size_t len = bw_utf8_len(s, n);
            bool okv = x->kind == XK_LENGTH_EQUAL ? (int64_t)len == x->ival : in_bounds(x, (double)len);
            if (!okv) {
                BW_TRY(flag(r, x, c, i));
            }
        }
        return BW_OK;
    }
    if (c->type == BW_DT_STRING && (x->kind == XK_NO_CONTROL || x->kind == XK_NO_MARKUP || x->kind == XK_NO_FORMULA)) {
        return pv_security(r, x, c, nrows);
    }
    /* numbers, dates and booleans format as ASCII; a string batch is checked once (else value by value) */
    int ascii = x->re_a == NULL ? 0 : c->type != BW_DT_STRING || bw_ascii(c->str, c->str_len) ? 1 : -1;
    if (x->all_dfa && c->type == BW_DT_STRING && ascii > 0) {
        return pv_regex_ascii(r, x, c, nrows);
    }
    bool memo = !x->memo_off && x->kind != XK_LENGTH_BETWEEN && x->kind != XK_LENGTH_EQUAL &&
                x->kind != XK_NO_FORMULA && x->kind != XK_NO_CONTROL;
    if (c->type == BW_DT_DATE && x->kind != XK_LENGTH_BETWEEN && x->kind != XK_LENGTH_EQUAL) {
        return pv_text_dates(r, x, c, nrows);
    }
    if (memo && x->memo == NULL) {
        x->memo = bw_calloc(MEMO_SLOTS, sizeof *x->memo);
        memo = x->memo != NULL;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (is_null(c, i)) {
            x->missing++;
            continue;
        }
        size_t n = 0;
        const char *s = NULL;
        bool okv;
        if (memo) {
            /*
             * Keyed by the 64-bit hash of the text (odds of a wrong answer: 2^-63 a pair), or for a
             * typed column of the value itself, whose text is a function of it: no formatting on a hit.
             */
            uint64_t h;
            if (c->type == BW_DT_STRING) {
                s = bw_col_str(c, i, &n);
                h = bw_hash64(s, n, 0x7A3C);
            } else {
                uint64_t raw;
                switch (c->type) {
                case BW_DT_DATE: raw = (uint64_t)(int64_t)c->days[i]; break;
                case BW_DT_FLOAT64: memcpy(&raw, &c->f64[i], sizeof raw); break;
                case BW_DT_BOOL: raw = c->b[i]; break;
                default: raw = (uint64_t)c->i64[i]; break;
                }
                h = bw_hash64_u64(raw ^ ((uint64_t)c->type << 56) ^ 0x5BD1E9955BD1E995ULL);
            }
            h |= 1;
            uint64_t *slot = &x->memo[(h >> 20) & (MEMO_SLOTS - 1)];
            x->memo_tries++;
            if (*slot != 0 && (*slot | 1) == h) {
                okv = (*slot & 1) != 0;
                x->memo_hits++;
            } else {
                if (s == NULL) {
                    s = text_at(r, c, i, &n);
                }
                okv = text_ok(r, x, s, n, ascii > 0 || (ascii < 0 && bw_ascii(s, n)));
                *slot = okv ? h : (h & ~(uint64_t)1);
            }
            if (x->memo_tries == MEMO_PROBE && x->memo_hits * 3 < MEMO_PROBE) {
                x->memo_off = true;
                memo = false;
            }
        } else {
            s = text_at(r, c, i, &n);
            okv = text_ok(r, x, s, n, ascii > 0 || (ascii < 0 && bw_ascii(s, n)));
        }
        if (!okv) {
            BW_TRY(flag(r, x, c, i));
        }
    }
    return BW_OK;
}

static bw_status pv_between(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    if (!x->time_bounds && c->type == BW_DT_INT64) {
        const int64_t *a = c->i64;
        for (size_t i = 0; i < nrows; i++) {
            if (!bw_col_valid(c, i)) {
                x->missing++;
            } else if (!in_bounds(x, (double)a[i])) {
                BW_TRY(flag(r, x, c, i));
            }
        }
        return BW_OK;
    }
    if (!x->time_bounds && c->type == BW_DT_FLOAT64) {
        const double *a = c->f64;
        for (size_t i = 0; i < nrows; i++) {
            if (!bw_col_valid(c, i) || isnan(a[i])) {
                x->missing++;
            } else if (!in_bounds(x, a[i])) {
                BW_TRY(flag(r, x, c, i));
            }
        }
        return BW_OK;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (is_null(c, i)) {
            x->missing++;
            continue;
        }
        double v;
        bool got = x->time_bounds ? time_at(c, i, &v) : num_at(c, i, &v);
        if (!got || !in_bounds(x, v)) {
            BW_TRY(flag(r, x, c, i));
        }
    }
    return BW_OK;
}

/* The words of a string of at most 16 bytes, zero past its end; false when it is longer or too near the buffer's end. */
static inline bool short_words(const bw_column *c, size_t i, uint64_t *w0, uint64_t *w1, size_t *n)
{
    uint32_t o = c->off[i];
    *n = c->off[i + 1] - o;
    if (*n > 16 || (size_t)o + 16 > c->str_len) {
        return false;
    }
    memcpy(w0, c->str + o, 8);
    memcpy(w1, c->str + o + 8, 8);
    if (*n < 8) {
        *w0 &= ((uint64_t)1 << (8 * *n)) - 1;
        *w1 = 0;
    } else if (*n < 16) {
        *w1 &= ((uint64_t)1 << (8 * (*n - 8))) - 1;
    }
    return true;
}

static bw_status pv_set(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    bool want_in = x->kind == XK_IN_SET;
    if (c->type == BW_DT_BOOL) {
        /* two possible values: look each up once */
        bool in[2];
        for (int v = 0; v < 2; v++) {
            bw_vkey k;
            bw_vkey_tagged('b', (uint64_t)v, &k);
            in[v] = bw_kset_find(&x->set, &k) >= 0;
        }
        for (size_t i = 0; i < nrows; i++) {
            if (!bw_col_valid(c, i)) {
                x->missing++;
            } else if (in[c->b[i] != 0] != want_in) {
                BW_TRY(flag(r, x, c, i));
            }
        }
        return BW_OK;
    }
    if (c->type == BW_DT_STRING && c->str != NULL) {
        /*
         * Short strings: an exact memo of the last answers (the value's bytes are the
         * key, no hash collision is possible), so a column of a few categories costs
         * two loads and a compare a value instead of a hash and a table probe.
         */
        if (x->smemo == NULL) {
            x->smemo = bw_calloc(SMEMO_SLOTS, sizeof *x->smemo);
            if (x->smemo == NULL) {
                return BW_ENOMEM;
            }
            for (size_t k = 0; k < SMEMO_SLOTS; k++) {
                x->smemo[k].n = UINT32_MAX;
            }
        }
        for (size_t i = 0; i < nrows; i++) {
            if (!bw_col_valid(c, i)) {
                x->missing++;
                continue;
            }
            uint64_t w0, w1;
            size_t n;
            bool in;
            if (short_words(c, i, &w0, &w1, &n)) {
                struct smemo *e = &x->smemo[((w0 * 0x9E3779B97F4A7C15ULL) ^ (w1 * 0xC2B2AE3D27D4EB4FULL) ^ n) >> 56 &
                                            (SMEMO_SLOTS - 1)];
                if (e->n == n && e->w0 == w0 && e->w1 == w1) {
                    in = e->in;
                } else {
                    bw_vkey k;
                    bw_vkey_of(c, i, &k);
                    in = bw_kset_find(&x->set, &k) >= 0;
                    e->w0 = w0;
                    e->w1 = w1;
                    e->n = (uint32_t)n;
                    e->in = in;
                }
            } else {
                bw_vkey k;
                bw_vkey_of(c, i, &k);
                in = bw_kset_find(&x->set, &k) >= 0;
            }
            if (in != want_in) {
                BW_TRY(flag(r, x, c, i));
            }
        }
        return BW_OK;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (is_null(c, i)) {
            x->missing++;
            continue;
        }
        bw_vkey k;
        bw_vkey_of(c, i, &k);
        bool in = bw_kset_find(&x->set, &k) >= 0;
        if (in != want_in) {
            BW_TRY(flag(r, x, c, i));
        }
    }
    return BW_OK;
}

/* The unique table would outgrow its budget: go on in temporary files (unique.c). */
static bw_status spill_start(struct run *r, struct xp *x)
{
    BW_TRY(bw_uspill_start(&x->spill, &x->umap, r->temp_dir, r->unique_budget, r->err));
    bw_umap_free(&x->umap);
    BW_DEBUG("validate", "%s: over %zu bytes of unique values, spilling to %s", x->type, r->unique_budget, r->temp_dir);
    return BW_OK;
}

static bw_status spill_add(struct run *r, struct xp *x, uint64_t h, uint64_t row, const char *s, size_t n)
{
    /* one byte past the cut too: sample_put_kept looks at it to keep UTF-8 sequences whole */
    size_t keep = r->redact ? 0 : BW_MIN(n, r->value_max + 1);
    return bw_uspill_add(x->spill, h, row, s, keep, n, r->err);
}

struct spill_ctx {
    struct run *r;
    struct xp *x;
};

static bw_status spill_emit(void *ctx, uint64_t row, const char *v, size_t k, size_t n)
{
    struct run *r = ((struct spill_ctx *)ctx)->r;
    struct xp *x = ((struct spill_ctx *)ctx)->x;
    x->unexpected++;
    if (x->nsamples == r->sample_max && row > x->samples[x->nsamples - 1].row) {
        return BW_OK;
    }
    size_t at = x->nsamples;
    while (at > 0 && x->samples[at - 1].row > row) {
        at--;
    }
    return sample_put_kept(r, x, at, row, v, k, n, false) == BW_OK ? BW_OK : oom(r->err);
}

static bw_status pv_unique(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    /* in chunks: hash and prefetch the slots first, then insert, so the cache misses overlap */
    enum { CHUNK = 32 };
    uint64_t hs[CHUNK];
    for (size_t i0 = 0; i0 < nrows; i0 += CHUNK) {
        size_t m = BW_MIN((size_t)CHUNK, nrows - i0);
        for (size_t j = 0; j < m; j++) {
            if (is_null(c, i0 + j)) {
                hs[j] = 0;
                continue;
            }
            bw_vkey k;
            bw_vkey_of(c, i0 + j, &k);
            hs[j] = k.h | (k.h == 0); /* 0 marks a null here; the table stores 0 as 1 anyway */
            bw_umap_prefetch(&x->umap, hs[j]);
        }
        for (size_t j = 0; j < m; j++) {
            size_t i = i0 + j;
            if (hs[j] == 0) {
                x->missing++;
                continue;
            }
            uint64_t row = r->b->row0 + i, *rf;
            bool added;
            if (x->spill == NULL && bw_umap_at_budget(&x->umap, r->unique_budget)) {
                BW_TRY(spill_start(r, x));
            }
            if (x->spill != NULL) {
                size_t n;
                const char *s = text_at(r, c, i, &n);
                BW_TRY(spill_add(r, x, hs[j], row, s, n));
                continue;
            }
            BW_TRY(bw_umap_put(&x->umap, hs[j], row, &rf, &added));
            if (added) {
                continue;
            }
            if (!(*rf & BW_UMAP_DUP)) {
                /* the first occurrence becomes unexpected too */
                x->unexpected++;
                BW_TRY(flag_row_sorted(r, x, *rf, c, i));
                *rf |= BW_UMAP_DUP;
            }
            x->unexpected++;
            BW_TRY(flag_row_sorted(r, x, row, c, i));
        }
    }
    return BW_OK;
}

static bw_status pv_monotonic(struct run *r, struct xp *x, const bw_column *c, size_t nrows)
{
    bool inc = x->kind == XK_INCREASING;
    bool time = c->type == BW_DT_DATE || c->type == BW_DT_TIMESTAMP;
    for (size_t i = 0; i < nrows; i++) {
        if (is_null(c, i)) {
            x->missing++;
            continue;
        }
        double v;
        if (!(time ? time_at(c, i, &v) : num_at(c, i, &v))) {
            BW_TRY(flag(r, x, c, i));
            continue;
        }
        if (x->has_prev) {
            bool okv = inc ? (x->strictly ? v > x->prev : v >= x->prev) : (x->strictly ? v < x->prev : v <= x->prev);
            if (!okv) {
                BW_TRY(flag(r, x, c, i));
            }
        }
        x->prev = v;
        x->has_prev = true;
    }
    return BW_OK;
}

/* Compare values of two columns: <0, 0, >0, or 2 when they cannot be compared. */
static int cmp_values(const bw_column *a, const bw_column *b, size_t i)
{
    double x, y;
    bool ta = a->type == BW_DT_DATE || a->type == BW_DT_TIMESTAMP,
         tb = b->type == BW_DT_DATE || b->type == BW_DT_TIMESTAMP;
    if (a->type == BW_DT_STRING && b->type == BW_DT_STRING) {
        size_t n, m;
        const char *s = bw_col_str(a, i, &n), *t = bw_col_str(b, i, &m);
        int c = memcmp(s, t, BW_MIN(n, m));
        return c != 0 ? (c < 0 ? -1 : 1) : (n < m ? -1 : n > m);
    }
    if (a->type == BW_DT_INT64 && b->type == BW_DT_INT64) {
        return a->i64[i] < b->i64[i] ? -1 : a->i64[i] > b->i64[i];
    }
    if (ta || tb) {
        if (!time_at(a, i, &x) || !time_at(b, i, &y)) {
            return 2;
        }
    } else if (!num_at(a, i, &x) || !num_at(b, i, &y)) {
        return 2;
    }
    return x < y ? -1 : x > y;
}

static bw_status pv_pair(struct run *r, struct xp *x, size_t nrows)
{
    const bw_column *a = x->cis[0] >= 0 ? &r->b->cols[x->cis[0]] : NULL;
    const bw_column *b = x->cis[1] >= 0 ? &r->b->cols[x->cis[1]] : NULL;
    for (size_t i = 0; i < nrows; i++) {
        bool na = a == NULL || is_null(a, i), nb = b == NULL || is_null(b, i);
        bool skip = x->ignore == 0 ? (na && nb) : x->ignore == 1 ? (na || nb) : false;
        if (skip) {
            x->missing++;
            continue;
        }
        bool okv;
        if (na || nb) {
            okv = x->kind == XK_PAIR_EQUAL && na && nb; /* GE: a null never compares */
        } else {
            int c = cmp_values(a, b, i);
            okv = x->kind == XK_PAIR_EQUAL ? c == 0 : (c != 2 && (x->or_equal ? c >= 0 : c > 0));
        }
        if (!okv) {
            size_t n;
            const char *s = row_text(r, x, i, &n);
            BW_TRY(flag_text(r, x, r->b->row0 + i, s, n));
        }
    }
    return BW_OK;
}

static bool multi_skip(const struct xp *x, const struct run *r, size_t i)
{
    size_t nulls = 0;
    for (size_t k = 0; k < x->ncols; k++) {
        const bw_column *c = x->cis[k] >= 0 ? &r->b->cols[x->cis[k]] : NULL;
        nulls += c == NULL || is_null(c, i);
    }
    return x->ignore == 0 ? nulls == x->ncols : x->ignore == 1 ? nulls > 0 : false;
}

static bw_status pv_multisum(struct run *r, struct xp *x, size_t nrows)
{
    for (size_t i = 0; i < nrows; i++) {
        if (multi_skip(x, r, i)) {
            x->missing++;
            continue;
        }
        double sum = 0;
        bool okv = true;
        for (size_t k = 0; k < x->ncols && okv; k++) {
            const bw_column *c = x->cis[k] >= 0 ? &r->b->cols[x->cis[k]] : NULL;
            double v;
            if (c == NULL || is_null(c, i)) {
                continue; /* pandas' sum skips nulls */
            }
            okv = num_at(c, i, &v);
            sum += v;
        }
        double tol = 1e-9 * BW_MAX(1.0, fabs(x->sum_total));
        if (!okv || !(fabs(sum - x->sum_total) <= tol)) {
            size_t n;
            const char *s = row_text(r, x, i, &n);
            BW_TRY(flag_text(r, x, r->b->row0 + i, s, n));
        }
    }
    return BW_OK;
}

static bw_status pv_compound(struct run *r, struct xp *x, size_t nrows)
{
    for (size_t i = 0; i < nrows; i++) {
        if (multi_skip(x, r, i)) {
            x->missing++;
            continue;
        }
        uint64_t h = 0x9E3779B97F4A7C15ULL;
        for (size_t k = 0; k < x->ncols; k++) {
            const bw_column *c = x->cis[k] >= 0 ? &r->b->cols[x->cis[k]] : NULL;
            bw_vkey key;
            if (c == NULL || is_null(c, i)) {
                bw_vkey_tagged('n', 0, &key);
            } else {
                bw_vkey_of(c, i, &key);
            }
            h = bw_hash64_u64(h ^ key.h) + k;
        }
        uint64_t row = r->b->row0 + i, *rf;
        bool added;
        size_t n;
        const char *s;
        if (x->spill == NULL && bw_umap_at_budget(&x->umap, r->unique_budget)) {
            BW_TRY(spill_start(r, x));
        }
        if (x->spill != NULL) {
            s = row_text(r, x, i, &n);
            BW_TRY(spill_add(r, x, h, row, s, n));
            continue;
        }
        BW_TRY(bw_umap_put(&x->umap, h, row, &rf, &added));
        if (added) {
            continue;
        }
        if (!(*rf & BW_UMAP_DUP)) {
            x->unexpected++;
            if (x->nsamples < r->sample_max || *rf < x->samples[x->nsamples - 1].row) {
                s = row_text(r, x, i, &n);
                size_t at = x->nsamples;
                while (at > 0 && x->samples[at - 1].row > *rf) {
                    at--;
                }
                BW_TRY(sample_put(r, x, at, *rf, s, n, false));
            }
            *rf |= BW_UMAP_DUP;
        }
        x->unexpected++;
        if (x->nsamples < r->sample_max) {
            s = row_text(r, x, i, &n);
            BW_TRY(sample_put(r, x, x->nsamples, row, s, n, false));
        }
    }
    return BW_OK;
}

static bool type_matches(const struct xp *x, bw_dtype t)
{
    if (x->no_type_list || t == BW_DT_NULL) {
        return true;
    }
    for (size_t k = 0; k < x->ntypes; k++) {
        bw_dtype w = x->types[k];
        if (w == t || (x->types_any[k] && w == BW_DT_FLOAT64 && t == BW_DT_INT64) ||
            (x->types_any[k] && w == BW_DT_TIMESTAMP && t == BW_DT_DATE)) {
            return true;
        }
    }
    return false;
}

/* ---- column aggregates --------------------------------------------------------------------------- */

static bw_status agg_keep(struct colagg *a, const double *v, size_t n, bw_error *err)
{
    if (a->kll == NULL && a->nvals + n <= KEEP_MAX) {
        if (a->nvals + n > a->vcap) {
            size_t cap = BW_MAX(a->vcap * 2, a->nvals + n);
            cap = BW_MIN(cap, KEEP_MAX);
            double *p = bw_reallocarray(a->vals, cap, sizeof *p);
            if (p == NULL) {
                return oom(err);
            }
            a->vals = p;
            a->vcap = cap;
        }
        memcpy(a->vals + a->nvals, v, n * sizeof *v);
        a->nvals += n;
        return BW_OK;
    }
    if (a->kll == NULL) {
        BW_TRY(bw_kll_new(&a->kll, 400, 0, err));
        for (size_t i = 0; i < a->nvals; i++) {
            if (bw_kll_add(a->kll, a->vals[i]) != BW_OK) {
                return oom(err);
            }
        }
        BW_FREE(a->vals);
        a->nvals = a->vcap = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (bw_kll_add(a->kll, v[i]) != BW_OK) {
            return oom(err);
        }
    }
    return BW_OK;
}

static bw_status agg_batch(struct run *r, struct colagg *a, const bw_column *c, size_t nrows, bw_error *err)
{
    a->seen = true;
    if (c->type != BW_DT_NULL) {
        a->last_type = c->type;
    }
    if (a->want_distinct) {
        for (size_t i = 0; i < nrows; i++) {
            if (is_null(c, i)) {
                continue;
            }
            bw_vkey k;
            bw_vkey_of(c, i, &k);
            a->nonnull++;
            if (a->hll != NULL) {
                if (bw_hll_add_hash(a->hll, k.h) != BW_OK) {
                    return oom(err);
                }
                continue;
            }
            bool added;
            if (bw_hset_add(&a->dist, k.h, &added) != BW_OK) {
                return oom(err);
            }
            if (a->dist.len > DISTINCT_EXACT) {
                BW_TRY(bw_hll_new(&a->hll, 18, err));
                for (size_t j = 0; j < a->dist.cap; j++) {
                    if (a->dist.h[j] != 0 && bw_hll_add_hash(a->hll, a->dist.h[j]) != BW_OK) {
                        return oom(err);
                    }
                }
                bw_hset_free(&a->dist);
            }
        }
    }
    if (c->type == BW_DT_DATE || c->type == BW_DT_TIMESTAMP) {
        for (size_t i = 0; i < nrows; i++) {
            if (!bw_col_valid(c, i)) {
                continue;
            }
            int64_t t = c->type == BW_DT_DATE ? (int64_t)c->days[i] * 86400000000LL : c->i64[i];
            if (a->ntime == 0 || t < a->tmin) {
                a->tmin = t;
            }
            if (a->ntime == 0 || t > a->tmax) {
                a->tmax = t;
            }
            if (a->ntime == 0) {
                a->tdate_only = true;
            }
            a->tdate_only &= c->type == BW_DT_DATE;
            a->ntime++;
        }
        return BW_OK;
    }
    /* gather the batch's numbers */
    if (r->tmp_cap < nrows) {
        double *t = bw_reallocarray(r->tmp, nrows, sizeof *t);
        if (t == NULL) {
            return oom(err);
        }
        r->tmp = t;
        r->tmp_cap = nrows;
    }
    double *v = r->tmp;
    size_t m = 0;
    if (c->type == BW_DT_INT64) {
        i128 s = 0;
        for (size_t i = 0; i < nrows; i++) {
            if (bw_col_valid(c, i)) {
                s += c->i64[i];
                v[m++] = (double)c->i64[i];
            }
        }
        a->isum += s;
    } else {
        if (c->type != BW_DT_NULL) {
            a->all_int = false;
        }
        for (size_t i = 0; i < nrows; i++) {
            if (is_null(c, i)) {
                continue;
            }
            if (num_at(c, i, &v[m])) {
                m++;
            } else {
                a->unparsed++;
            }
        }
    }
    if (m == 0) {
        return BW_OK;
    }
    double sum = 0, mn = v[0], mx = v[0];
    for (size_t i = 0; i < m; i++) {
        sum += v[i];
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    double mean = sum / (double)m, m2 = 0;
    for (size_t i = 0; i < m; i++) {
        double d = v[i] - mean;
        m2 += d * d;
    }
    /* Chan et al.'s pairwise combination of mean and M2 */
    double n1 = (double)a->n, n2 = (double)m, nt = n1 + n2, delta = mean - a->mean;
    a->mean += delta * n2 / nt;
    a->m2 += m2 + delta * delta * n1 * n2 / nt;
    /* Neumaier summation of the batch sums */
    double t = a->sum + sum;
    a->sumc += fabs(a->sum) >= fabs(sum) ? (a->sum - t) + sum : (sum - t) + a->sum;
    a->sum = t;
    if (a->n == 0 || mn < a->min) {
        a->min = mn;
    }
    if (a->n == 0 || mx > a->max) {
        a->max = mx;
    }
    a->n += m;
    if (a->want_vals) {
        BW_TRY(agg_keep(a, v, m, err));
    }
    return BW_OK;
}

/* ---- distinct-value expectations, one batch ------------------------------------------------------- */

static bw_status dv_batch(struct run *r, struct xp *x, const bw_column *c, size_t nrows, bw_error *err)
{
    for (size_t i = 0; i < nrows; i++) {
        if (is_null(c, i)) {
            x->missing++;
            continue;
        }
        bw_vkey k;
        bw_vkey_of(c, i, &k);
        if (x->kind == XK_MOST_COMMON_IN_SET) {
            uint8_t buf[BW_TOPK_MAX_KEY];
            size_t n = bw_vkey_pack(&k, buf, sizeof buf);
            if (bw_topk_add(x->topk, buf, n) != BW_OK) {
                return oom(err);
            }
            continue;
        }
        int32_t mi = bw_kset_find(&x->set, &k);
        if (mi >= 0) {
            if (!x->member_seen[mi]) {
                x->member_seen[mi] = 1;
            }
        } else {
            x->outsider = true;
        }
        /* the observed list: every distinct value up to OBS_MAX */
        if (!x->collected_trunc && bw_kset_find(&x->collected, &k) < 0) {
            if (x->collected.len >= OBS_MAX) {
                x->collected_trunc = true;
            } else {
                bool added;
                if (bw_kset_add(&x->collected, &k, 0, &added) != BW_OK) {
                    return oom(err);
                }
            }
        }
    }
    (void)r;
    return BW_OK;
}

static size_t bin_of(const double *bins, size_t nw, double v)
{
    /* numpy.histogram: [b_i, b_i+1) except the last bin, which includes its right edge */
    size_t lo = 0, hi = nw;
    if (v == bins[nw]) {
        return nw - 1;
    }
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (v >= bins[mid]) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static bw_status kl_batch(struct run *r, struct xp *x, const bw_column *c, size_t nrows, bw_error *err)
{
    (void)r;
    for (size_t i = 0; i < nrows; i++) {
        if (is_null(c, i)) {
            x->missing++;
            continue;
        }
        if (x->kl_cat) {
            bw_vkey k;
            bw_vkey_of(c, i, &k);
            int32_t mi = bw_kset_find(&x->kl_vals, &k);
            if (mi < 0) {
                /* a value the partition does not list: its own count, numbered after the partition's */
                if (x->kl_nout >= KL_VALUES_MAX) {
                    x->kl_other++;
                    x->kl_n++;
                    continue;
                }
                if (x->nw + x->kl_nout >= x->ncounts) {
                    size_t cap = BW_MAX(x->ncounts * 2, x->nw + 16);
                    uint64_t *p = bw_reallocarray(x->counts, cap, sizeof *p);
                    if (p == NULL) {
                        return oom(err);
                    }
                    memset(p + x->ncounts, 0, (cap - x->ncounts) * sizeof *p);
                    x->counts = p;
                    x->ncounts = cap;
                }
                bool added;
                mi = (int32_t)(x->nw + x->kl_nout);
                if (bw_kset_add(&x->kl_vals, &k, mi, &added) != BW_OK) {
                    return oom(err);
                }
                x->kl_nout++;
            }
            x->counts[mi]++;
            x->kl_n++;
            continue;
        }
        double v;
        if (!num_at(c, i, &v)) {
            continue; /* not a number: skipped, as for the other aggregates */
        }
        x->kl_n++;
        if (v < x->bins[0]) {
            x->below++;
        } else if (v > x->bins[x->nw]) {
            x->above++;
        } else {
            x->counts[bin_of(x->bins, x->nw, v)]++;
        }
    }
    return BW_OK;
}

/* ---- compiling ----------------------------------------------------------------------------------- */

static struct colagg *agg_for(struct run *r, const char *name, bw_error *err)
{
    for (struct colagg *a = r->aggs; a != NULL; a = a->next) {
        if (strcmp(a->name, name) == 0) {
            return a;
        }
    }
    struct colagg *a = bw_calloc(1, sizeof *a);
    if (a == NULL || (a->name = bw_strdup(name)) == NULL) {
        bw_free(a);
        (void)oom(err);
        return NULL;
    }
    a->all_int = true;
    a->next = r->aggs;
    r->aggs = a;
    return a;
}

static void read_bounds(struct xp *x)
{
    const json_t *lo = json_object_get(x->kw, "min_value"), *hi = json_object_get(x->kw, "max_value");
    int64_t t;
    if (json_is_number(lo)) {
        x->has_lo = true;
        x->lo = json_number_value(lo);
    } else if (json_is_string(lo) && bw_parse_timestamp(json_string_value(lo), json_string_length(lo), &t)) {
        x->has_lo = x->time_bounds = true;
        x->lo = (double)t;
    }
    if (json_is_number(hi)) {
        x->has_hi = true;
        x->hi = json_number_value(hi);
    } else if (json_is_string(hi) && bw_parse_timestamp(json_string_value(hi), json_string_length(hi), &t)) {
        x->has_hi = x->time_bounds = true;
        x->hi = (double)t;
    }
    x->strict_lo = jbool(x->kw, "strict_min", false);
    x->strict_hi = jbool(x->kw, "strict_max", false);
}

static bw_status compile_re(struct xp *x, const json_t *list, const json_t *one, bw_error *err)
{
    size_t n = list != NULL ? json_array_size(list) : 1;
    x->re = bw_calloc(n, sizeof *x->re);
    x->dfa = bw_calloc(n + 1, sizeof *x->dfa);
    if (x->re == NULL || x->dfa == NULL) {
        return oom(err);
    }
    x->all_dfa = true;
    for (size_t k = 0; k < n; k++) {
        const json_t *e = list != NULL ? json_array_get(list, k) : one;
        int ecode;
        PCRE2_SIZE eoff;
        x->re[k] =
            pcre2_compile((PCRE2_SPTR)json_string_value(e), json_string_length(e), BW_XRE_OPTIONS, &ecode, &eoff, NULL);
        if (x->re[k] == NULL) {
            set_error(x, "regex '%s' does not compile", json_string_value(e));
            return BW_OK;
        }
        x->nre = k + 1;
        if (x->re_a == NULL && (x->re_a = bw_calloc(n, sizeof *x->re_a)) == NULL) {
            return oom(err);
        }
        x->re_a[k] = pcre2_compile((PCRE2_SPTR)json_string_value(e), json_string_length(e), 0, &ecode, &eoff, NULL);
        if (x->re_a[k] != NULL && pcre2_jit_compile(x->re_a[k], PCRE2_JIT_COMPLETE) == 0 && k < 64) {
            x->re_a_jit |= (uint64_t)1 << k;
        }
        x->dfa[k] = bw_redfa_new(json_string_value(e), json_string_length(e));
        x->all_dfa &= x->dfa[k] != NULL;
        /* the interpreter if JIT is unavailable; the strings matched are valid UTF-8 (the readers check) */
        if (pcre2_jit_compile(x->re[k], PCRE2_JIT_COMPLETE) == 0 && k < 64) {
            x->re_jit |= (uint64_t)1 << k;
        }
    }
    if (list != NULL && x->nre == n && n >= 2 && x->all_dfa && (x->kind == XK_NOT_REGEX_LIST || !x->match_all)) {
        const char *pats[64];
        size_t lens[64];
        for (size_t k = 0; k < n && n <= 64; k++) {
            pats[k] = json_string_value(json_array_get(list, k));
            lens[k] = json_string_length(json_array_get(list, k));
        }
        x->dfa_any = n <= 64 ? bw_redfa_new_any(pats, lens, n) : NULL; /* NULL: one DFA a pattern, as before */
    }
    x->md = pcre2_match_data_create(1, NULL);
    return x->md != NULL ? BW_OK : oom(err);
}

static double jnum(const json_t *v)
{
    if (json_is_number(v)) {
        return json_number_value(v);
    }
    const char *s = json_string_value(v);
    if (s != NULL && strcmp(s, "-Infinity") == 0) {
        return -INFINITY;
    }
    if (s != NULL && strcmp(s, "Infinity") == 0) {
        return INFINITY;
    }
    return NAN;
}

static bw_status kl_setup(struct xp *x, const json_t *p, bw_error *err)
{
    const json_t *w = json_object_get(p, "weights"), *bins = json_object_get(p, "bins");
    x->nw = json_array_size(w);
    x->weights = bw_calloc(x->nw, sizeof *x->weights);
    x->counts = bw_calloc(x->nw + 16, sizeof *x->counts);
    x->ncounts = x->nw + 16;
    if (x->weights == NULL || x->counts == NULL) {
        return oom(err);
    }
    for (size_t k = 0; k < x->nw; k++) {
        x->weights[k] = json_number_value(json_array_get(w, k));
    }
    if (bins != NULL) {
        x->bins = bw_calloc(x->nw + 1, sizeof *x->bins);
        if (x->bins == NULL) {
            return oom(err);
        }
        for (size_t k = 0; k <= x->nw; k++) {
            x->bins[k] = jnum(json_array_get(bins, k));
        }
    } else {
        x->kl_cat = true;
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(p, "values"), i, v)
        {
            bw_vkey k;
            bool added;
            if (bw_vkey_from_json(v, &k) && bw_kset_add(&x->kl_vals, &k, (int32_t)i, &added) != BW_OK) {
                return oom(err);
            }
        }
    }
    x->kl_ready = true;
    return BW_OK;
}

static bw_status compile_xp(struct run *r, struct xp *x, bw_error *err)
{
    const json_t *kw = x->kw;
    x->ci = -1;
    x->col = jstr(kw, "column");
    const json_t *m = json_object_get(kw, "mostly");
    x->mostly = json_is_number(m) ? json_number_value(m) : 1.0;
    x->per_value = true;
    switch (x->kind) {
    case XK_COLUMN_EXISTS:
    case XK_TABLE_COLUMNS_SET:
    case XK_TABLE_COLUMNS_LIST:
    case XK_TABLE_COLUMN_COUNT_EQUAL:
    case XK_TABLE_COLUMN_COUNT_BETWEEN:
    case XK_ROW_COUNT_BETWEEN:
    case XK_ROW_COUNT_EQUAL:
        x->per_value = false;
        x->exact_match = jbool(kw, "exact_match", true);
        x->ival = json_integer_value(json_object_get(kw, "value"));
        read_bounds(x);
        return BW_OK;
    case XK_OF_TYPE:
    case XK_IN_TYPE_LIST: {
        const json_t *l = json_object_get(kw, "type_list");
        if (x->kind == XK_OF_TYPE) {
            (void)bw_expect_type_name(jstr(kw, "type_"), &x->types[0], &x->types_any[0]);
            x->ntypes = 1;
        } else if (!json_is_array(l)) {
            x->no_type_list = true;
        } else {
            for (size_t k = 0; k < json_array_size(l) && k < BW_ARRAY_LEN(x->types); k++) {
                (void)bw_expect_type_name(json_string_value(json_array_get(l, k)), &x->types[k], &x->types_any[k]);
                x->ntypes = k + 1;
            }
        }
        return BW_OK;
    }
    case XK_IN_SET:
    case XK_NOT_IN_SET:
    case XK_DISTINCT_IN_SET:
    case XK_DISTINCT_CONTAIN_SET:
    case XK_DISTINCT_EQUAL_SET:
    case XK_MOST_COMMON_IN_SET: {
        const json_t *vs = json_object_get(kw, "value_set");
        if (bw_kset_from_json(&x->set, vs) != BW_OK) {
            return oom(err);
        }
        x->nmembers = json_array_size(vs);
        x->member_seen = bw_calloc(x->nmembers + 1, 1);
        if (x->member_seen == NULL) {
            return oom(err);
        }
        if (x->kind >= XK_DISTINCT_IN_SET) {
            x->per_value = false;
        }
        x->ties_okay = jbool(kw, "ties_okay", false);
        if (x->kind == XK_MOST_COMMON_IN_SET) {
            BW_TRY(bw_topk_new(&x->topk, TOPK_CAP, err));
        }
        return BW_OK;
    }
    case XK_BETWEEN:
    case XK_LENGTH_BETWEEN: read_bounds(x); return BW_OK;
    case XK_LENGTH_EQUAL: x->ival = json_integer_value(json_object_get(kw, "value")); return BW_OK;
    case XK_REGEX:
    case XK_NOT_REGEX: return compile_re(x, NULL, json_object_get(kw, "regex"), err);
    case XK_REGEX_LIST:
    case XK_NOT_REGEX_LIST: {
        const char *mo = jstr(kw, "match_on");
        x->match_all = mo != NULL && strcmp(mo, "all") == 0;
        return compile_re(x, json_object_get(kw, "regex_list"), NULL, err);
    }
    case XK_STRFTIME: {
        const char *why;
        if (!bw_strftime_compile(jstr(kw, "strftime_format"), &x->sf, &why)) {
            set_error(x, "strftime_format: %s", why);
        }
        return BW_OK;
    }
    case XK_INCREASING:
    case XK_DECREASING: x->strictly = jbool(kw, "strictly", false); return BW_OK;
    case XK_PAIR_GREATER:
    case XK_PAIR_EQUAL: {
        x->cols[0] = jstr(kw, "column_A");
        x->cols[1] = jstr(kw, "column_B");
        x->ncols = 2;
        x->col = x->cols[0];
        x->or_equal = jbool(kw, "or_equal", false);
        const char *ig = jstr(kw, "ignore_row_if");
        x->ignore = ig == NULL || strcmp(ig, "both_values_are_missing") == 0 ? 0
                    : strcmp(ig, "either_value_is_missing") == 0             ? 1
                                                                             : 2;
        return BW_OK;
    }
    case XK_COMPOUND_UNIQUE:
    case XK_MULTISUM: {
        const json_t *l = json_object_get(kw, "column_list");
        if (json_array_size(l) > BW_ARRAY_LEN(x->cols)) {
            set_error(x, "%s", "more than 64 columns in column_list");
            return BW_OK;
        }
        for (size_t k = 0; k < json_array_size(l); k++) {
            x->cols[k] = json_string_value(json_array_get(l, k));
        }
        x->ncols = json_array_size(l);
        x->col = x->cols[0];
        x->sum_total = json_number_value(json_object_get(kw, "sum_total"));
        const char *ig = jstr(kw, "ignore_row_if");
        x->ignore = ig == NULL || strcmp(ig, "all_values_are_missing") == 0 ? 0
                    : strcmp(ig, "any_value_is_missing") == 0               ? 1
                                                                            : 2;
        return BW_OK;
    }
    case XK_MEAN:
    case XK_MEDIAN:
    case XK_STDEV:
    case XK_MIN:
    case XK_MAX:
    case XK_SUM:
    case XK_QUANTILES:
    case XK_UNIQUE_COUNT:
    case XK_PROPORTION_UNIQUE: {
        x->per_value = false;
        read_bounds(x);
        x->agg = agg_for(r, x->col, err);
        if (x->agg == NULL) {
            return BW_ENOMEM;
        }
        x->agg->want_vals |= x->kind == XK_MEDIAN || x->kind == XK_QUANTILES;
        x->agg->want_distinct |= x->kind == XK_UNIQUE_COUNT || x->kind == XK_PROPORTION_UNIQUE;
        if (x->kind == XK_QUANTILES) {
            const json_t *q = json_object_get(kw, "quantile_ranges");
            const json_t *qs = json_object_get(q, "quantiles"), *vr = json_object_get(q, "value_ranges");
            x->nq = BW_MIN(json_array_size(qs), BW_ARRAY_LEN(x->qs));
            for (size_t k = 0; k < x->nq; k++) {
                x->qs[k] = json_number_value(json_array_get(qs, k));
                for (int e = 0; e < 2; e++) {
                    const json_t *b = json_array_get(json_array_get(vr, k), (size_t)e);
                    x->qhas[k][e] = json_is_number(b);
                    x->qr[k][e] = json_number_value(b);
                }
            }
        }
        return BW_OK;
    }
    case XK_KL_DIVERGENCE: {
        x->per_value = false;
        x->threshold = json_number_value(json_object_get(kw, "threshold"));
        const json_t *t = json_object_get(kw, "tail_weight_holdout"),
                     *iw = json_object_get(kw, "internal_weight_holdout");
        x->tail = json_is_number(t) ? json_number_value(t) : 0;
        x->internal = json_is_number(iw) ? json_number_value(iw) : 0;
        const json_t *p = json_object_get(kw, "partition_object");
        if (json_is_object(p)) {
            return kl_setup(x, p, err);
        }
        return BW_OK; /* from the reference data */
    }
    case XK_NO_FORMULA: x->allow_numbers = jbool(kw, "allow_numbers", true); return BW_OK;
    case XK_NO_CONTROL: {
        const json_t *a = json_object_get(kw, "allow");
        for (size_t k = 0; k < json_array_size(a) && k < BW_ARRAY_LEN(x->ctl.allow); k++) {
            const json_t *e = json_array_get(a, k);
            uint32_t cp = 0;
            if (json_is_integer(e)) {
                cp = (uint32_t)json_integer_value(e);
            } else {
                const unsigned char *s = (const unsigned char *)json_string_value(e);
                size_t n = json_string_length(e), len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
                cp = len == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> len));
                for (size_t j = 1; j < len && j < n; j++) {
                    cp = (cp << 6) | (s[j] & 0x3F);
                }
            }
            x->ctl.allow[x->ctl.nallow++] = cp;
        }
        return BW_OK;
    }
    default: return BW_OK;
    }
}

/* ---- the KL reference partition -------------------------------------------------------------------- */

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/*
 * Build the partitions of KL expectations without one from the same columns
 * of the reference data: numeric columns get ten bins at the reference's
 * deciles, the outer two open-ended (-inf, +inf), weighted by the share of
 * reference values in each; other columns get every distinct value and its
 * share (at most KL_VALUES_MAX values).
 */
static bw_status kl_reference(struct run *r, bw_error *err)
{
    bool need = false;
    for (size_t k = 0; k < r->nx; k++) {
        need |= r->xs[k].kind == XK_KL_DIVERGENCE && !r->xs[k].kl_ready && r->xs[k].error == NULL;
    }
    if (!need) {
        return BW_OK;
    }
    if (r->o->reference == NULL) {
        for (size_t k = 0; k < r->nx; k++) {
            struct xp *x = &r->xs[k];
            if (x->kind == XK_KL_DIVERGENCE && !x->kl_ready) {
                set_error(x, "%s", "no partition_object and no reference data (--reference) to build one from");
            }
        }
        return BW_OK;
    }
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_suite_data_opts(r->s, &o);
    bw_dataset *d = NULL;
    bw_status rc = bw_dataset_open(r->o->reference, BW_FMT_AUTO, &o, &d, err);
    if (rc != BW_OK) {
        return rc;
    }
    /* per KL expectation: numbers kept (up to KEEP_MAX) or values counted */
    size_t nx = r->nx;
    struct refcol {
        double *v;
        size_t n, cap;
        bw_kset vals;
        uint64_t *cnt;
        size_t ncnt;
        uint64_t total;
        bool numeric, decided, seen;
    } *rc_ = bw_calloc(nx, sizeof *rc_);
    if (rc_ == NULL) {
        bw_dataset_free(d);
        return oom(err);
    }
    const bw_batch *b;
    while ((rc = bw_dataset_next(d, &b, err)) == BW_OK && b != NULL) {
        for (size_t k = 0; k < nx && rc == BW_OK; k++) {
            struct xp *x = &r->xs[k];
            struct refcol *q = &rc_[k];
            if (x->kind != XK_KL_DIVERGENCE || x->kl_ready || x->error != NULL) {
                continue;
            }
            int ci = col_index(b, x->col);
            if (ci < 0) {
                continue;
            }
            const bw_column *c = &b->cols[ci];
            q->seen = true;
            if (!q->decided && c->type != BW_DT_NULL) {
                q->numeric = c->type == BW_DT_INT64 || c->type == BW_DT_FLOAT64;
                q->decided = true;
            }
            for (size_t i = 0; i < b->nrows && rc == BW_OK; i++) {
                if (is_null(c, i)) {
                    continue;
                }
                if (q->numeric) {
                    double v;
                    if (!num_at(c, i, &v) || q->n == KEEP_MAX) {
                        continue;
                    }
                    if (q->n == q->cap) {
                        size_t cap = q->cap != 0 ? q->cap * 2 : 4096;
                        double *p = bw_reallocarray(q->v, cap, sizeof *p);
                        if (p == NULL) {
                            rc = oom(err);
                            break;
                        }
                        q->v = p;
                        q->cap = cap;
                    }
                    q->v[q->n++] = v;
                } else {
                    bw_vkey key;
                    bool added;
                    bw_vkey_of(c, i, &key);
                    int32_t mi = bw_kset_find(&q->vals, &key);
                    if (mi < 0) {
                        if (q->vals.len >= KL_VALUES_MAX) {
                            continue;
                        }
                        mi = (int32_t)q->vals.len;
                        if (bw_kset_add(&q->vals, &key, mi, &added) != BW_OK) {
                            rc = oom(err);
                            break;
                        }
                        if ((size_t)mi >= q->ncnt) {
                            size_t cap = BW_MAX(q->ncnt * 2, 64);
                            uint64_t *p = bw_reallocarray(q->cnt, cap, sizeof *p);
                            if (p == NULL) {
                                rc = oom(err);
                                break;
                            }
                            memset(p + q->ncnt, 0, (cap - q->ncnt) * sizeof *p);
                            q->cnt = p;
                            q->ncnt = cap;
                        }
                    }
                    q->cnt[mi]++;
                    q->total++;
                }
            }
        }
    }
    bw_dataset_free(d);
    for (size_t k = 0; k < nx; k++) {
        struct xp *x = &r->xs[k];
        struct refcol *q = &rc_[k];
        if (rc == BW_OK && x->kind == XK_KL_DIVERGENCE && !x->kl_ready && x->error == NULL) {
            json_t *p = NULL;
            if (!q->seen || (q->numeric ? q->n == 0 : q->total == 0)) {
                set_error(x, "column '%s' has no values in the reference data", x->col);
            } else if (q->numeric) {
                qsort(q->v, q->n, sizeof *q->v, dcmp);
                double edges[11];
                size_t ne = 0;
                for (int e = 1; e < 10; e++) {
                    double v = q->v[(size_t)((double)(q->n - 1) * e / 10.0)];
                    if (ne == 0 || v > edges[ne - 1]) {
                        edges[ne++] = v;
                    }
                }
                p = json_object();
                json_t *bins = json_array(), *w = json_array();
                (void)json_array_append_new(bins, json_string("-Infinity"));
                for (size_t e = 0; e < ne; e++) {
                    (void)json_array_append_new(bins, json_real(edges[e]));
                }
                (void)json_array_append_new(bins, json_string("Infinity"));
                /* weights: the share of reference values in each bin, with the bins' own rule */
                double all[12] = {0}, bb[12];
                bb[0] = -INFINITY;
                for (size_t e = 0; e < ne; e++) {
                    bb[e + 1] = edges[e];
                }
                bb[ne + 1] = INFINITY;
                for (size_t i = 0; i < q->n; i++) {
                    all[bin_of(bb, ne + 1, q->v[i])] += 1;
                }
                for (size_t e = 0; e <= ne; e++) {
                    (void)json_array_append_new(w, json_real(all[e] / (double)q->n));
                }
                (void)json_object_set_new(p, "bins", bins);
                (void)json_object_set_new(p, "weights", w);
            } else {
                p = json_object();
                json_t *vals = json_array(), *w = json_array();
                for (size_t e = 0; e < q->vals.cap; e++) {
                    bw_vkey key;
                    if (!bw_kset_at(&q->vals, e, &key)) {
                        continue;
                    }
                    bw_buf t = BW_BUF_INIT(1 << 20);
                    bw_json j;
                    bw_json_init(&j, &t, 0);
                    bw_vkey_json(&key, &j);
                    json_t *jv = t.ptr != NULL ? json_loads(t.ptr, JSON_DECODE_ANY, NULL) : NULL;
                    bw_buf_release(&t);
                    (void)json_array_append_new(vals, jv != NULL ? jv : json_null());
                    (void)json_array_append_new(w, json_real((double)q->cnt[q->vals.e[e].member] / (double)q->total));
                }
                (void)json_object_set_new(p, "values", vals);
                (void)json_object_set_new(p, "weights", w);
            }
            if (p != NULL) {
                /* keep the partition in the expectation's own kwargs copy so the report shows it */
                json_t *own = json_deep_copy(x->kw);
                if (own == NULL || json_object_set_new(own, "partition_object", p) != 0) {
                    json_decref(own);
                    rc = oom(err);
                } else {
                    json_decref(x->own_kw);
                    x->own_kw = own;
                    x->kw = own;
                    rc = kl_setup(x, json_object_get(own, "partition_object"), err);
                }
            }
        }
        bw_free(q->v);
        bw_kset_free(&q->vals);
        bw_free(q->cnt);
    }
    bw_free(rc_);
    return rc;
}

/* ---- one batch ----------------------------------------------------------------------------------- */

static void names_free(struct run *r)
{
    for (size_t k = 0; k < r->nnames; k++) {
        bw_free(r->names[k]);
    }
    BW_FREE(r->names);
    r->nnames = 0;
}

/* Copy the batch's column names when they changed (batches die with the next call). */
static bw_status keep_names(struct run *r, const bw_batch *b, bw_error *err)
{
    bool same = r->names != NULL && r->nnames == b->ncols;
    for (size_t k = 0; same && k < b->ncols; k++) {
        same = strcmp(r->names[k], b->names[k]) == 0;
    }
    if (same) {
        return BW_OK;
    }
    names_free(r);
    r->names = bw_calloc(b->ncols + 1, sizeof *r->names);
    if (r->names == NULL) {
        return oom(err);
    }
    for (size_t k = 0; k < b->ncols; k++) {
        r->names[k] = bw_strdup(b->names[k]);
        if (r->names[k] == NULL) {
            r->nnames = k;
            return oom(err);
        }
    }
    r->nnames = b->ncols;
    return BW_OK;
}

static bw_status feed(struct run *r, const bw_batch *b, bw_error *err)
{
    size_t nrows = b->nrows;
    r->b = b;
    r->rows += nrows;
    r->any_batch = true;
    BW_TRY(keep_names(r, b, err));
    for (struct colagg *a = r->aggs; a != NULL; a = a->next) {
        int ci = col_index(b, a->name);
        if (ci >= 0) {
            BW_TRY(agg_batch(r, a, &b->cols[ci], nrows, err));
        }
    }
    for (size_t k = 0; k < r->nx; k++) {
        struct xp *x = &r->xs[k];
        if (x->error != NULL || x->kind <= XK_ROW_COUNT_EQUAL || x->agg != NULL) {
            continue;
        }
        bw_status rc = BW_OK;
        if (x->ncols > 0) {
            bool any = false;
            for (size_t j = 0; j < x->ncols; j++) {
                x->cis[j] = col_index(b, x->cols[j]);
                any |= x->cis[j] >= 0;
            }
            x->seen_col |= any;
            x->elements += nrows;
            if (x->kind == XK_PAIR_GREATER || x->kind == XK_PAIR_EQUAL) {
                rc = pv_pair(r, x, nrows);
            } else if (x->kind == XK_MULTISUM) {
                rc = pv_multisum(r, x, nrows);
            } else {
                rc = pv_compound(r, x, nrows);
            }
            if (rc != BW_OK) {
                return rc == BW_ENOMEM ? oom(err) : rc;
            }
            continue;
        }
        int ci = col_index(b, x->col);
        x->elements += nrows;
        if (ci < 0) {
            /* an absent column (a JSONL key not seen yet): every row is null */
            if (x->kind == XK_NOT_NULL) {
                for (size_t i = 0; i < nrows; i++) {
                    rc = flag(r, x, NULL, i);
                    if (rc != BW_OK) {
                        return oom(err);
                    }
                }
            } else if (x->kind != XK_NULL) {
                x->missing += nrows;
            }
            continue;
        }
        x->seen_col = true;
        const bw_column *c = &b->cols[ci];
        switch (x->kind) {
        case XK_NOT_NULL:
            for (size_t i = 0; i < nrows && rc == BW_OK; i++) {
                if (is_null(c, i)) {
                    rc = flag(r, x, c, i);
                }
            }
            break;
        case XK_NULL:
            for (size_t i = 0; i < nrows && rc == BW_OK; i++) {
                if (!is_null(c, i)) {
                    rc = flag(r, x, c, i);
                }
            }
            break;
        case XK_OF_TYPE:
        case XK_IN_TYPE_LIST: {
            uint64_t nulls = 0;
            for (size_t i = 0; i < nrows; i++) {
                nulls += !bw_col_valid(c, i);
            }
            x->unexpected += c->nbad;
            x->missing += nulls - BW_MIN(nulls, c->nbad);
            if (c->type != BW_DT_NULL) {
                x->last_type = c->type;
            }
            break;
        }
        case XK_IN_SET:
        case XK_NOT_IN_SET: rc = pv_set(r, x, c, nrows); break;
        case XK_BETWEEN: rc = pv_between(r, x, c, nrows); break;
        case XK_UNIQUE: rc = pv_unique(r, x, c, nrows); break;
        case XK_INCREASING:
        case XK_DECREASING: rc = pv_monotonic(r, x, c, nrows); break;
        case XK_DISTINCT_IN_SET:
        case XK_DISTINCT_CONTAIN_SET:
        case XK_DISTINCT_EQUAL_SET:
        case XK_MOST_COMMON_IN_SET: rc = dv_batch(r, x, c, nrows, err); break;
        case XK_KL_DIVERGENCE: rc = kl_batch(r, x, c, nrows, err); break;
        default: rc = pv_text(r, x, c, nrows); break;
        }
        if (rc != BW_OK) {
            return rc == BW_ENOMEM ? oom(err) : rc;
        }
    }
    return BW_OK;
}

/* ---- results ------------------------------------------------------------------------------------- */

static bw_status take(bw_buf *b, char **out)
{
    size_t n;
    if (b->len == 0) {
        bw_buf_release(b);
        *out = NULL;
        return BW_OK;
    }
    return bw_buf_take(b, out, &n);
}

static void json_names(bw_json *j, char **names, size_t n)
{
    bw_json_arr_begin(j);
    for (size_t k = 0; k < n; k++) {
        bw_json_str(j, names[k]);
    }
    bw_json_arr_end(j);
}

static bool name_in(char **names, size_t n, const char *s)
{
    for (size_t k = 0; k < n; k++) {
        if (strcmp(names[k], s) == 0) {
            return true;
        }
    }
    return false;
}

static bool json_list_has(const json_t *l, const char *s)
{
    size_t i;
    const json_t *e;
    json_array_foreach(l, i, e)
    {
        if (strcmp(json_string_value(e), s) == 0) {
            return true;
        }
    }
    return false;
}

static int kcmp(const void *a, const void *b)
{
    return bw_vkey_cmp(a, b);
}

/* Move the k-th smallest of v[0..n) to v[k], smaller ones before it, larger after (Hoare, median of 3). */
static void select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        double piv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv) {
                i++;
            }
            while (v[j] > piv) {
                j--;
            }
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0) {
                    break;
                }
                j--;
            }
        }
        if (k <= j) {
            hi = j;
        } else if (k >= i) {
            lo = i;
        } else {
            return;
        }
    }
}

/* The k-th smallest of v[0..n) (reorders v). */
static double kth(double *v, size_t n, size_t k)
{
    select_kth(v, n, k);
    return v[k];
}

/* nearest-rank quantile of sorted v (numpy "nearest": round half to even), or linear etc. */
static double quantile_of(double *v, size_t n, double q, const char *interp)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
    if (interp == NULL || strcmp(interp, "nearest") == 0) {
        return kth(v, n, (size_t)nearbyint(pos));
    }
    double a = kth(v, n, lo), b = kth(v, n, hi);
    if (strcmp(interp, "lower") == 0) {
        return a;
    }
    if (strcmp(interp, "higher") == 0) {
        return b;
    }
    if (strcmp(interp, "midpoint") == 0) {
        return (a + b) / 2;
    }
    return a + (b - a) * (pos - (double)lo);
}

static void write_time(bw_json *j, int64_t t, bool date)
{
    char s[40];
    if (date) {
        bw_fmt_date((int32_t)(t / 86400000000LL - (t % 86400000000LL < 0)), s);
    } else {
        bw_fmt_ts(t, s);
    }
    bw_json_str(j, s);
}

static bool mostly_ok(const struct xp *x, uint64_t base)
{
    if (base == 0) {
        return true;
    }
    return (double)(base - BW_MIN(x->unexpected, base)) / (double)base >= x->mostly - 1e-12;
}

static bw_status finish_xp(struct run *r, struct xp *x, bw_expect_result *res, bw_error *err)
{
    bw_buf ob = BW_BUF_INIT((size_t)64 << 20), db = BW_BUF_INIT((size_t)64 << 20);
    bw_json oj, dj;
    bw_json_init(&oj, &ob, 0);
    bw_json_init(&dj, &db, 0);
    bool success = true;
    char **names = r->names;
    size_t nn = r->any_batch ? r->nnames : 0;
    struct colagg *a = x->agg;

    if (x->spill != NULL) {
        struct spill_ctx sc = {r, x};
        bw_status rc = bw_uspill_finish(x->spill, spill_emit, &sc, err);
        bw_uspill_free(x->spill);
        x->spill = NULL;
        if (rc != BW_OK) {
            bw_buf_release(&ob);
            bw_buf_release(&db);
            return rc;
        }
    }
    if (x->error == NULL) {
        bool col_needed = x->kind > XK_ROW_COUNT_EQUAL || x->kind == XK_COLUMN_EXISTS;
        if (col_needed && x->ncols > 0) {
            for (size_t k = 0; k < x->ncols; k++) {
                if (!name_in(names, nn, x->cols[k])) {
                    set_error(x, "column '%s' not found", x->cols[k]);
                    break;
                }
            }
        } else if (col_needed && x->kind != XK_COLUMN_EXISTS && !x->seen_col && (a == NULL || !a->seen)) {
            if (x->optional) {
                goto done; /* a typed schema column that is not required and not there */
            }
            set_error(x, "column '%s' not found", x->col);
        }
    }
    if (x->error != NULL) {
        success = false;
        goto done;
    }
    switch (x->kind) {
    case XK_COLUMN_EXISTS: {
        const json_t *ci = json_object_get(x->kw, "column_index");
        success = name_in(names, nn, x->col);
        if (success && json_is_integer(ci)) {
            success = (size_t)json_integer_value(ci) < nn && strcmp(names[json_integer_value(ci)], x->col) == 0;
        }
        break;
    }
    case XK_TABLE_COLUMNS_SET: {
        const json_t *set = json_object_get(x->kw, "column_set");
        json_names(&oj, names, nn);
        bw_json_obj_begin(&dj);
        bw_json_key(&dj, "mismatched");
        bw_json_obj_begin(&dj);
        bw_json_key(&dj, "unexpected");
        bw_json_arr_begin(&dj);
        bool extra = false, missing = false;
        for (size_t k = 0; k < nn; k++) {
            if (!json_list_has(set, names[k])) {
                bw_json_str(&dj, names[k]);
                extra = true;
            }
        }
        bw_json_arr_end(&dj);
        bw_json_key(&dj, "missing");
        bw_json_arr_begin(&dj);
        size_t i;
        const json_t *e;
        json_array_foreach(set, i, e)
        {
            if (!name_in(names, nn, json_string_value(e))) {
                bw_json_str(&dj, json_string_value(e));
                missing = true;
            }
        }
        bw_json_arr_end(&dj);
        bw_json_obj_end(&dj);
        bw_json_obj_end(&dj);
        success = !missing && (!x->exact_match || !extra);
        if (success) {
            bw_buf_reset(&db);
            bw_json_init(&dj, &db, 0);
        }
        break;
    }
    case XK_TABLE_COLUMNS_LIST: {
        const json_t *l = json_object_get(x->kw, "column_list");
        json_names(&oj, names, nn);
        success = json_array_size(l) == nn;
        bw_json_obj_begin(&dj);
        bw_json_key(&dj, "mismatched");
        bw_json_arr_begin(&dj);
        size_t most = BW_MAX(nn, json_array_size(l));
        for (size_t k = 0; k < most; k++) {
            const char *want = json_string_value(json_array_get(l, k)), *got = k < nn ? names[k] : NULL;
            if (want == NULL || got == NULL || strcmp(want, got) != 0) {
                success = false;
                bw_json_obj_begin(&dj);
                bw_json_key(&dj, "Expected Column Position");
                bw_json_uint(&dj, k);
                bw_json_kv_str(&dj, "Expected", want);
                bw_json_kv_str(&dj, "Found", got);
                bw_json_obj_end(&dj);
            }
        }
        bw_json_arr_end(&dj);
        bw_json_obj_end(&dj);
        if (success) {
            bw_buf_reset(&db);
            bw_json_init(&dj, &db, 0);
        }
        break;
    }
    case XK_TABLE_COLUMN_COUNT_EQUAL:
        bw_json_uint(&oj, nn);
        success = (int64_t)nn == x->ival;
        break;
    case XK_TABLE_COLUMN_COUNT_BETWEEN:
        bw_json_uint(&oj, nn);
        success = in_bounds(x, (double)nn);
        break;
    case XK_ROW_COUNT_EQUAL:
        bw_json_uint(&oj, r->rows);
        success = (int64_t)r->rows == x->ival;
        break;
    case XK_ROW_COUNT_BETWEEN:
        bw_json_uint(&oj, r->rows);
        success = in_bounds(x, (double)r->rows);
        break;
    case XK_NOT_NULL:
    case XK_NULL: success = mostly_ok(x, x->elements); break;
    case XK_OF_TYPE:
    case XK_IN_TYPE_LIST:
        bw_json_str(&oj, bw_dtype_name(x->last_type));
        success = type_matches(x, x->last_type) && mostly_ok(x, x->elements - x->missing);
        break;
    case XK_MEAN:
    case XK_STDEV:
    case XK_SUM:
    case XK_MEDIAN:
    case XK_QUANTILES:
    case XK_MIN:
    case XK_MAX: {
        bool time = a->ntime > 0 && a->n == 0;
        if ((x->kind == XK_MIN || x->kind == XK_MAX) && time) {
            int64_t t = x->kind == XK_MIN ? a->tmin : a->tmax;
            write_time(&oj, t, a->tdate_only);
            success = x->time_bounds || (!x->has_lo && !x->has_hi) ? in_bounds(x, (double)t) : false;
            break;
        }
        if (a->n == 0 || (time && x->kind != XK_MIN && x->kind != XK_MAX)) {
            /* nothing to measure: GE reports null and fails */
            bw_json_null(&oj);
            success = x->kind != XK_QUANTILES && !x->has_lo && !x->has_hi;
            if (a->ntime > 0) {
                set_error(x, "column '%s' holds dates; this statistic needs numbers", x->col);
                success = false;
            }
            break;
        }
        double v = 0;
        if (x->kind == XK_MEAN) {
            v = a->mean;
        } else if (x->kind == XK_STDEV) {
            v = a->n > 1 ? sqrt(a->m2 / (double)(a->n - 1)) : NAN; /* pandas: sample deviation (ddof 1) */
        } else if (x->kind == XK_MIN) {
            v = a->min;
        } else if (x->kind == XK_MAX) {
            v = a->max;
        } else if (x->kind == XK_SUM) {
            if (a->all_int && a->isum >= INT64_MIN && a->isum <= INT64_MAX) {
                bw_json_int(&oj, (int64_t)a->isum);
                success = in_bounds(x, (double)a->isum);
                break;
            }
            v = a->all_int ? (double)a->isum : a->sum + a->sumc;
        } else {
            /* median and quantiles: exact over the kept values, else the KLL sketch */
            if (x->kind == XK_MEDIAN) {
                if (a->kll == NULL) {
                    size_t n = a->nvals;
                    v = n % 2 ? kth(a->vals, n, n / 2) : (kth(a->vals, n, n / 2 - 1) + kth(a->vals, n, n / 2)) / 2;
                } else {
                    BW_TRY(bw_kll_quantile(a->kll, 0.5, &v));
                    bw_json_obj_begin(&dj);
                    bw_json_kv_str(&dj, "method", "kll");
                    bw_json_key(&dj, "rank_error_bound");
                    bw_json_double(&dj, 0.0165 * 200.0 / bw_kll_k(a->kll));
                    bw_json_obj_end(&dj);
                }
            } else {
                const json_t *are = json_object_get(x->kw, "allow_relative_error");
                const char *interp = json_string_value(are);
                bw_json_obj_begin(&oj);
                bw_json_key(&oj, "quantiles");
                bw_json_arr_begin(&oj);
                for (size_t k = 0; k < x->nq; k++) {
                    bw_json_double(&oj, x->qs[k]);
                }
                bw_json_arr_end(&oj);
                bw_json_key(&oj, "values");
                bw_json_arr_begin(&oj);
                bw_json_obj_begin(&dj);
                bw_json_key(&dj, "success_details");
                bw_json_arr_begin(&dj);
                for (size_t k = 0; k < x->nq; k++) {
                    double q;
                    if (a->kll == NULL) {
                        q = quantile_of(a->vals, a->nvals, x->qs[k], interp);
                    } else {
                        BW_TRY(bw_kll_quantile(a->kll, x->qs[k], &q));
                    }
                    bool okq = (!x->qhas[k][0] || q >= x->qr[k][0]) && (!x->qhas[k][1] || q <= x->qr[k][1]);
                    success &= okq;
                    bw_json_double(&oj, q);
                    bw_json_bool(&dj, okq);
                }
                bw_json_arr_end(&oj);
                bw_json_obj_end(&oj);
                bw_json_arr_end(&dj);
                if (a->kll != NULL) {
                    bw_json_kv_str(&dj, "method", "kll");
                    bw_json_key(&dj, "rank_error_bound");
                    bw_json_double(&dj, 0.0165 * 200.0 / bw_kll_k(a->kll));
                }
                bw_json_obj_end(&dj);
                break;
            }
        }
        if (x->time_bounds) {
            set_error(x, "column '%s' holds numbers; the bounds are dates", x->col);
            success = false;
            break;
        }
        bw_json_double(&oj, v);
        success = !isnan(v) && in_bounds(x, v);
        break;
    }
    case XK_UNIQUE_COUNT:
    case XK_PROPORTION_UNIQUE: {
        uint64_t d = a->hll != NULL ? bw_hll_count(a->hll) : a->dist.len;
        if (x->kind == XK_UNIQUE_COUNT) {
            bw_json_uint(&oj, d);
            success = in_bounds(x, (double)d);
        } else {
            double p = a->nonnull > 0 ? (double)d / (double)a->nonnull : 0;
            bw_json_double(&oj, p);
            success = in_bounds(x, p);
        }
        if (a->hll != NULL) {
            bw_json_obj_begin(&dj);
            bw_json_kv_str(&dj, "method", "hyperloglog");
            bw_json_key(&dj, "relative_standard_error");
            bw_json_double(&dj, 1.04 / sqrt((double)(1u << bw_hll_precision(a->hll))));
            bw_json_obj_end(&dj);
        }
        break;
    }
    case XK_DISTINCT_IN_SET:
    case XK_DISTINCT_CONTAIN_SET:
    case XK_DISTINCT_EQUAL_SET: {
        size_t nk = 0;
        bw_vkey *ks = bw_calloc(x->collected.len + 1, sizeof *ks);
        if (ks == NULL) {
            return oom(err);
        }
        for (size_t e = 0; e < x->collected.cap; e++) {
            nk += bw_kset_at(&x->collected, e, &ks[nk]);
        }
        qsort(ks, nk, sizeof *ks, kcmp);
        bw_json_arr_begin(&oj);
        for (size_t e = 0; e < nk; e++) {
            bw_vkey_json(&ks[e], &oj);
        }
        bw_json_arr_end(&oj);
        bw_free(ks);
        bool all_members = true;
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(x->kw, "value_set"), i, e)
        {
            if (!json_is_null(e)) {
                all_members &= x->member_seen[i] != 0;
            }
        }
        success = x->kind == XK_DISTINCT_IN_SET        ? !x->outsider
                  : x->kind == XK_DISTINCT_CONTAIN_SET ? all_members
                                                       : !x->outsider && all_members;
        if (x->collected_trunc) {
            bw_json_obj_begin(&dj);
            bw_json_key(&dj, "observed_value_truncated_at");
            bw_json_uint(&dj, OBS_MAX);
            bw_json_obj_end(&dj);
        }
        break;
    }
    case XK_MOST_COMMON_IN_SET: {
        bw_topk_item *items = bw_calloc(TOPK_CAP, sizeof *items);
        size_t n = 0;
        if (items == NULL || bw_topk_items(x->topk, items, TOPK_CAP, &n) != BW_OK) {
            bw_free(items);
            return oom(err);
        }
        bw_vkey *modes = bw_calloc(n + 1, sizeof *modes);
        if (modes == NULL) {
            bw_free(items);
            return oom(err);
        }
        size_t nm = 0;
        for (size_t k = 0; k < n && items[k].count == items[0].count; k++) {
            bw_vkey_unpack(items[k].key, items[k].len, &modes[nm++]);
        }
        qsort(modes, nm, sizeof *modes, kcmp);
        bw_json_arr_begin(&oj);
        size_t hits = 0;
        for (size_t k = 0; k < nm; k++) {
            bw_vkey_json(&modes[k], &oj);
            hits += bw_kset_find(&x->set, &modes[k]) >= 0;
        }
        bw_json_arr_end(&oj);
        success = nm > 0 && (x->ties_okay ? hits > 0 : (nm == 1 && hits == 1));
        if (!bw_topk_is_exact(x->topk)) {
            bw_json_obj_begin(&dj);
            bw_json_kv_str(&dj, "method", "spacesaving");
            bw_json_key(&dj, "count_error_bound");
            bw_json_uint(&dj, bw_topk_floor(x->topk));
            bw_json_obj_end(&dj);
        }
        bw_free(modes);
        bw_free(items);
        break;
    }
    case XK_KL_DIVERGENCE: {
        if (!x->kl_ready) {
            success = false;
            break;
        }
        double kl = 0, n = (double)x->kl_n;
        if (x->kl_n == 0) {
            bw_json_null(&oj);
            success = false;
            break;
        }
        bw_json_obj_begin(&dj);
        if (x->kl_cat) {
            /* observed weights against the partition; values outside it share tail_weight_holdout */
            size_t extra = x->kl_nout + (x->kl_other > 0);
            double scale = extra > 0 ? 1 - x->tail : 1, tailw = extra > 0 ? x->tail / (double)extra : 0;
            for (size_t k = 0; k < x->nw + extra; k++) {
                uint64_t cnt = k < x->nw + x->kl_nout ? x->counts[k] : x->kl_other;
                double p = (double)cnt / n, q = k < x->nw ? x->weights[k] * scale : tailw;
                if (p > 0) {
                    kl += q > 0 ? p * log(p / q) : INFINITY;
                }
            }
            bw_json_key(&dj, "observed_partition");
            bw_json_obj_begin(&dj);
            bw_json_key(&dj, "weights");
            bw_json_arr_begin(&dj);
            for (size_t k = 0; k < x->nw; k++) {
                bw_json_double(&dj, (double)x->counts[k] / n);
            }
            bw_json_arr_end(&dj);
            bw_json_key(&dj, "unexpected_values");
            bw_json_uint(&dj, extra);
            bw_json_obj_end(&dj);
        } else {
            bool flo = isfinite(x->bins[0]), fhi = isfinite(x->bins[x->nw]);
            int sides = flo + fhi;
            double side_tail = sides > 0 ? x->tail / sides : 0;
            double scale = 1 - (sides > 0 ? x->tail : 0) - x->internal;
            size_t zeros = 0;
            for (size_t k = 0; k < x->nw; k++) {
                zeros += x->weights[k] == 0;
            }
            double obs[2] = {(double)x->below / n, (double)x->above / n},
                   expt[2] = {flo ? side_tail : 0, fhi ? side_tail : 0};
            for (int s = 0; s < 2; s++) {
                if (obs[s] > 0) {
                    kl += expt[s] > 0 ? obs[s] * log(obs[s] / expt[s]) : INFINITY;
                }
            }
            for (size_t k = 0; k < x->nw; k++) {
                double p = (double)x->counts[k] / n;
                double q = x->weights[k] * scale;
                if (x->weights[k] == 0 && x->internal > 0) {
                    q = x->internal / (double)zeros;
                }
                if (p > 0) {
                    kl += q > 0 ? p * log(p / q) : INFINITY;
                }
            }
            bw_json_key(&dj, "observed_partition");
            bw_json_obj_begin(&dj);
            bw_json_key(&dj, "bins");
            bw_json_arr_begin(&dj);
            for (size_t k = 0; k <= x->nw; k++) {
                bw_json_double(&dj, x->bins[k]);
            }
            bw_json_arr_end(&dj);
            bw_json_key(&dj, "weights");
            bw_json_arr_begin(&dj);
            for (size_t k = 0; k < x->nw; k++) {
                bw_json_double(&dj, (double)x->counts[k] / n);
            }
            bw_json_arr_end(&dj);
            bw_json_key(&dj, "tail_weights");
            bw_json_arr_begin(&dj);
            bw_json_double(&dj, obs[0]);
            bw_json_double(&dj, obs[1]);
            bw_json_arr_end(&dj);
            bw_json_obj_end(&dj);
        }
        bw_json_obj_end(&dj);
        bw_json_double(&oj, kl); /* infinite: null, as GE reports it */
        success = kl <= x->threshold;
        break;
    }
    case XK_UNIQUE:
    case XK_COMPOUND_UNIQUE:
    default: success = mostly_ok(x, x->elements - x->missing); break;
    }
done:
    if (x->error != NULL) {
        success = false;
    }
    res->success = success;
    if (bw_json_finish(&oj) == BW_OK) {
        BW_TRY(take(&ob, &res->observed_json));
    }
    if (bw_json_finish(&dj) == BW_OK) {
        BW_TRY(take(&db, &res->details_json));
    }
    bw_buf_release(&ob);
    bw_buf_release(&db);
    return BW_OK;
}

/* A short human name: "<column> <what>" with the bounds or sets that matter. */
static char *make_label(const struct xp *x)
{
    static const char *const what[XK_COUNT_] = {
        [XK_COLUMN_EXISTS] = "exists",
        [XK_TABLE_COLUMNS_SET] = "columns match set",
        [XK_TABLE_COLUMNS_LIST] = "columns match ordered list",
        [XK_TABLE_COLUMN_COUNT_EQUAL] = "column count equals",
        [XK_TABLE_COLUMN_COUNT_BETWEEN] = "column count between",
        [XK_ROW_COUNT_BETWEEN] = "row count between",
        [XK_ROW_COUNT_EQUAL] = "row count equals",
        [XK_NOT_NULL] = "values not null",
        [XK_NULL] = "values null",
        [XK_OF_TYPE] = "values of type",
        [XK_IN_TYPE_LIST] = "values in type list",
        [XK_IN_SET] = "values in set",
        [XK_NOT_IN_SET] = "values not in set",
        [XK_BETWEEN] = "values between",
        [XK_UNIQUE] = "values unique",
        [XK_COMPOUND_UNIQUE] = "compound columns unique",
        [XK_REGEX] = "values match regex",
        [XK_NOT_REGEX] = "values do not match regex",
        [XK_REGEX_LIST] = "values match regex list",
        [XK_NOT_REGEX_LIST] = "values match none of regex list",
        [XK_LENGTH_BETWEEN] = "value lengths between",
        [XK_LENGTH_EQUAL] = "value lengths equal",
        [XK_STRFTIME] = "values match strftime format",
        [XK_DATEUTIL] = "values parse as dates",
        [XK_JSON] = "values parse as JSON",
        [XK_INCREASING] = "values increasing",
        [XK_DECREASING] = "values decreasing",
        [XK_PAIR_GREATER] = "greater than",
        [XK_PAIR_EQUAL] = "equals",
        [XK_MULTISUM] = "sum equals",
        [XK_MEAN] = "mean between",
        [XK_MEDIAN] = "median between",
        [XK_STDEV] = "stdev between",
        [XK_MIN] = "min between",
        [XK_MAX] = "max between",
        [XK_SUM] = "sum between",
        [XK_QUANTILES] = "quantiles within ranges",
        [XK_UNIQUE_COUNT] = "unique value count between",
        [XK_DISTINCT_IN_SET] = "distinct values in set",
        [XK_DISTINCT_CONTAIN_SET] = "distinct values contain set",
        [XK_DISTINCT_EQUAL_SET] = "distinct values equal set",
        [XK_PROPORTION_UNIQUE] = "proportion of unique values between",
        [XK_MOST_COMMON_IN_SET] = "most common value in set",
        [XK_KL_DIVERGENCE] = "KL divergence below threshold",
        [XK_NO_FORMULA] = "no formula injection",
        [XK_NO_CONTROL] = "no control characters",
        [XK_NO_MARKUP] = "no markup",
    };
    bw_buf b = BW_BUF_INIT(4096);
    if (x->implicit) {
        bw_buf_addstr(&b, "schema: ");
    }
    if (x->kind == XK_PAIR_GREATER || x->kind == XK_PAIR_EQUAL) {
        bw_buf_printf(&b, "%s %s%s %s", x->cols[0], what[x->kind],
                      x->kind == XK_PAIR_GREATER && x->or_equal ? " or equal to" : "", x->cols[1]);
    } else if (x->kind == XK_MULTISUM || x->kind == XK_COMPOUND_UNIQUE) {
        for (size_t k = 0; k < x->ncols; k++) {
            bw_buf_printf(&b, "%s%s", k ? " + " : "", x->cols[k]);
        }
        bw_buf_printf(&b, " %s", what[x->kind]);
        if (x->kind == XK_MULTISUM) {
            bw_buf_printf(&b, " %g", x->sum_total);
        }
    } else if (x->kind <= XK_ROW_COUNT_EQUAL && x->kind != XK_COLUMN_EXISTS) {
        bw_buf_printf(&b, "table %s", what[x->kind]);
    } else {
        bw_buf_printf(&b, "%s %s", x->col != NULL ? x->col : "?", what[x->kind]);
    }
    if (x->kind == XK_OF_TYPE) {
        bw_buf_printf(&b, " %s", jstr(x->kw, "type_"));
    } else if (x->kind == XK_ROW_COUNT_EQUAL || x->kind == XK_TABLE_COLUMN_COUNT_EQUAL || x->kind == XK_LENGTH_EQUAL) {
        bw_buf_printf(&b, " %lld", (long long)x->ival);
    } else if (x->kind == XK_REGEX || x->kind == XK_NOT_REGEX) {
        bw_buf_printf(&b, " /%s/", jstr(x->kw, "regex"));
    } else if (x->kind == XK_STRFTIME) {
        bw_buf_printf(&b, " %s", jstr(x->kw, "strftime_format"));
    } else if (x->kind == XK_KL_DIVERGENCE) {
        bw_buf_printf(&b, " %g", x->threshold);
    } else if (x->has_lo || x->has_hi) {
        char lo[48] = "-inf", hi[48] = "+inf";
        if (x->has_lo) {
            snprintf(lo, sizeof lo, "%.15g", x->lo);
        }
        if (x->has_hi) {
            snprintf(hi, sizeof hi, "%.15g", x->hi);
        }
        if (x->time_bounds) {
            const json_t *l = json_object_get(x->kw, "min_value"), *h = json_object_get(x->kw, "max_value");
            if (json_is_string(l)) {
                snprintf(lo, sizeof lo, "%s", json_string_value(l));
            }
            if (json_is_string(h)) {
                snprintf(hi, sizeof hi, "%s", json_string_value(h));
            }
        }
        bw_buf_printf(&b, " %s%s, %s%s", x->strict_lo ? "(" : "[", lo, hi, x->strict_hi ? ")" : "]");
    }
    if (x->per_value && x->mostly < 1) {
        bw_buf_printf(&b, " (mostly %g)", x->mostly);
    }
    char *out = NULL;
    size_t n;
    if (bw_buf_take(&b, &out, &n) != BW_OK) {
        return NULL;
    }
    return out;
}

static bw_status fill_result(struct run *r, struct xp *x, bw_expect_result *res, bw_error *err)
{
    res->type = x->type;
    res->severity = x->severity;
    res->line = x->line;
    res->per_value = x->per_value;
    char *kj = json_dumps(x->kw, JSON_COMPACT | JSON_ENSURE_ASCII);
    res->kwargs_json = kj != NULL ? bw_strdup(kj) : NULL;
    free(kj); /* jansson's own allocation */
    if (x->col != NULL) {
        res->column = bw_strdup(x->col);
    }
    res->label = make_label(x);
    if (res->kwargs_json == NULL || res->label == NULL || (x->col != NULL && res->column == NULL)) {
        return oom(err);
    }
    BW_TRY(finish_xp(r, x, res, err));
    if (x->kind == XK_NOT_NULL || x->kind == XK_NULL) {
        x->missing = 0;
    }
    res->element_count = x->elements;
    res->missing_count = x->missing;
    res->unexpected_count = x->unexpected;
    uint64_t nonmiss = x->elements - BW_MIN(x->missing, x->elements);
    res->unexpected_percent = x->elements > 0 ? 100.0 * (double)x->unexpected / (double)x->elements : 0;
    res->unexpected_percent_nonmissing = nonmiss > 0 ? 100.0 * (double)x->unexpected / (double)nonmiss : 0;
    res->missing_percent = x->elements > 0 ? 100.0 * (double)x->missing / (double)x->elements : 0;
    res->samples = x->samples;
    res->nsamples = x->nsamples;
    x->samples = NULL;
    x->nsamples = 0;
    if (x->error != NULL) {
        res->error = x->error;
        x->error = NULL;
    }
    return BW_OK;
}

/* ---- the run ------------------------------------------------------------------------------------- */

static void xp_free(struct xp *x)
{
    for (size_t k = 0; k < x->nre; k++) {
        pcre2_code_free(x->re[k]);
        if (x->re_a != NULL) {
            pcre2_code_free(x->re_a[k]);
        }
    }
    for (size_t k = 0; x->dfa != NULL && k < x->nre; k++) {
        bw_redfa_free(x->dfa[k]);
    }
    bw_free(x->dfa);
    bw_redfa_free(x->dfa_any);
    bw_free(x->re);
    bw_free(x->re_a);
    pcre2_match_data_free(x->md);
    bw_kset_free(&x->set);
    bw_kset_free(&x->collected);
    bw_kset_free(&x->kl_vals);
    bw_free(x->member_seen);
    bw_topk_free(x->topk);
    bw_umap_free(&x->umap);
    bw_uspill_free(x->spill);
    bw_free(x->memo);
    bw_free(x->dmemo);
    bw_free(x->smemo);
    bw_free(x->bins);
    bw_free(x->weights);
    bw_free(x->counts);
    for (size_t k = 0; k < x->nsamples; k++) {
        bw_free(x->samples[k].value);
    }
    bw_free(x->samples);
    bw_free(x->error);
    json_decref(x->own_kw);
}

static void run_free(struct run *r)
{
    for (size_t k = 0; k < r->nx; k++) {
        xp_free(&r->xs[k]);
    }
    bw_free(r->xs);
    while (r->aggs != NULL) {
        struct colagg *a = r->aggs;
        r->aggs = a->next;
        bw_free(a->name);
        bw_free(a->vals);
        bw_kll_free(a->kll);
        bw_hset_free(&a->dist);
        bw_hll_free(a->hll);
        bw_free(a);
    }
    bw_buf_release(&r->txt);
    bw_buf_release(&r->scratch);
    bw_free(r->tmp);
    bw_free(r->verdict);
    names_free(r);
}

void bw_vrun_free(bw_vrun *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t k = 0; k < v->nresults; k++) {
        bw_expect_result *e = &v->results[k];
        bw_free(e->kwargs_json);
        bw_free(e->column);
        bw_free(e->label);
        bw_free(e->error);
        bw_free(e->observed_json);
        bw_free(e->details_json);
        for (size_t j = 0; j < e->nsamples; j++) {
            bw_free(e->samples[j].value);
        }
        bw_free(e->samples);
    }
    bw_free(v->results);
    bw_free(v->suite_name);
    bw_free(v->data_name);
    bw_free(v);
}

/* The implicit expectations of the `columns:` schema: exists (required), of type (typed). */
static bw_status add_schema(struct run *r, bw_error *err)
{
    for (size_t k = 0; k < r->s->ncols; k++) {
        const bw_suite_col *c = &r->s->cols[k];
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 0 ? !c->required : !c->has_type) {
                continue;
            }
            struct xp *x = &r->xs[r->nx++];
            json_t *kw = pass == 0 ? json_pack("{s:s}", "column", c->name)
                                   : json_pack("{s:s, s:s}", "column", c->name, "type_", bw_dtype_name(c->type));
            if (kw == NULL) {
                return oom(err);
            }
            x->own_kw = kw;
            x->kw = kw;
            x->kind = pass == 0 ? XK_COLUMN_EXISTS : XK_OF_TYPE;
            x->type = bw_expectation_types()[x->kind];
            x->implicit = true;
            x->line = c->line; /* reports point at the schema entry */
            x->optional = pass == 1 && !c->required;
            BW_TRY(compile_xp(r, x, err));
        }
    }
    return BW_OK;
}

bw_status bw_validate_run(const bw_suite *s, bw_dataset *d, const char *data_name, const bw_validate_opts *o,
                          bw_vrun **out, bw_error *err)
{
    bw_validate_opts defaults = BW_VALIDATE_OPTS_INIT;
    struct timespec t0, t1;
    *out = NULL;
    if (o == NULL) {
        o = &defaults;
    }
    if (o->version != BW_VALIDATE_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "bw_validate_opts: unknown version %d", o->version);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct run r = {.s = s, .o = o, .err = err};
    r.unique_budget = o->unique_memory != 0 ? o->unique_memory : (size_t)64 << 20;
    r.temp_dir = o->temp_dir;
    if (r.temp_dir == NULL || r.temp_dir[0] == '\0') {
        r.temp_dir = getenv("TMPDIR");
    }
    if (r.temp_dir == NULL || r.temp_dir[0] == '\0') {
        r.temp_dir = "/tmp";
    }
    r.sample_max = o->sample_max != 0 ? o->sample_max : 20;
    r.value_max = o->value_max != 0 ? o->value_max : 200;
    r.redact = o->redact;
    bw_buf_init(&r.txt, (size_t)64 << 20);
    bw_buf_init(&r.scratch, (size_t)64 << 20);
    bw_status rc = BW_OK;
    bw_vrun *v = NULL;
    r.xs = bw_calloc(s->n + 2 * s->ncols + 1, sizeof *r.xs);
    if (r.xs == NULL) {
        return oom(err);
    }
    rc = add_schema(&r, err);
    for (size_t k = 0; k < s->n && rc == BW_OK; k++) {
        struct xp *x = &r.xs[r.nx++];
        x->kind = bw_expect_kind(s->exps[k].type);
        if (x->kind < 0) {
            rc = bw_fail(err, BW_EINVAL, "unknown expectation type '%s'", s->exps[k].type);
            break;
        }
        x->type = bw_expectation_types()[x->kind];
        x->kw = s->exps[k].kwargs;
        x->severity = s->exps[k].severity;
        x->line = s->exps[k].line;
        rc = compile_xp(&r, x, err);
    }
    if (rc == BW_OK) {
        rc = kl_reference(&r, err);
    }
    const bw_batch *b = NULL;
    while (rc == BW_OK && (rc = bw_dataset_next(d, &b, err)) == BW_OK && b != NULL) {
        rc = feed(&r, b, err);
    }
    /* the names of the last batch; the dataset keeps them until it is freed */
    if (rc == BW_OK) {
        v = bw_calloc(1, sizeof *v);
        if (v == NULL || (v->results = bw_calloc(r.nx + 1, sizeof *v->results)) == NULL) {
            rc = oom(err);
        }
    }
    if (rc == BW_OK) {
        v->suite_name = bw_strdup(s->name != NULL ? s->name : "suite");
        v->data_name = bw_strdup(data_name != NULL ? data_name : "-");
        if (v->suite_name == NULL || v->data_name == NULL) {
            rc = oom(err);
        }
    }
    for (size_t k = 0; k < r.nx && rc == BW_OK; k++) {
        rc = fill_result(&r, &r.xs[k], &v->results[k], err);
        v->nresults = k + 1;
        bw_expect_result *e = &v->results[k];
        v->evaluated++;
        if (e->success) {
            v->successful++;
        } else if (e->severity == 1) {
            v->warnings++;
        } else {
            v->failed++;
        }
    }
    if (rc == BW_OK) {
        const bw_data_stats *st = bw_dataset_stats(d);
        v->rows = r.rows;
        v->bad_rows = st != NULL ? st->bad_rows : 0;
        v->success = v->failed == 0;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        v->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        *out = v;
        v = NULL;
    }
    bw_vrun_free(v);
    run_free(&r);
    return rc;
}
