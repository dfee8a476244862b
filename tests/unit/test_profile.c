/*
 * test_profile.c - column profiles: figures checked against values worked
 * by hand, shards of a CSV (byte slices) merged against one pass (counts,
 * min/max, moments, distinct-count sketch bytes, exact top values), type
 * widening and conflicts in merges, the JSON round trip, and malformed
 * profile JSON refused with BW_EFORMAT; lengths and patterns counted once per
 * distinct value across chunks, and values longer than the top-k key; a
 * chunk of mostly distinct values after one (counted bucket by bucket),
 * bw_data_hash against bw_hash64, and the JSON of a corpus that takes every
 * counting path against the digest of the engine before it was sped up.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_buf.h"
#include "bulwark/bw_csv.h"
#include "bulwark/bw_hash.h"
#include "bulwark/bw_profile.h"
#include "data/data_internal.h"
#include "tap.h"

static bool near(double a, double b, double rel)
{
    return fabs(a - b) <= rel * (fabs(a) + fabs(b)) + 1e-12;
}

static void col_get(const bw_profile *p, size_t i, bw_profile_column *c, bw_error *err)
{
    if (bw_profile_column_get(p, i, c, err) != BW_OK) {
        tap_diag("column %zu: %s", i, err->msg);
    }
}

static void test_by_hand(void)
{
    bw_batch b;
    bw_profile *p = NULL;
    bw_profile_column c;
    bw_profile_top *tv = NULL;
    size_t ntv = 0;
    bw_error err = {0};
    const char *strs[] = {"é", "abc", "", "abc", "x@y.io"};

    bw_batch_init(&b);
    ok(bw_batch_add_column(&b, "i", 1, BW_DT_INT64) == BW_OK &&
           bw_batch_add_column(&b, "f", 1, BW_DT_FLOAT64) == BW_OK &&
           bw_batch_add_column(&b, "s", 1, BW_DT_STRING) == BW_OK &&
           bw_batch_add_column(&b, "d", 1, BW_DT_DATE) == BW_OK && bw_batch_add_column(&b, "b", 1, BW_DT_BOOL) == BW_OK,
       "columns");
    /* i: 1 2 3 4 null; f: 0.5 NaN inf -1.5 3.0; s: strs; d: 2024-01-01 + 0,1,2,null,10; b: t f t t null */
    for (int r = 0; r < 5; r++) {
        bw_status rc = BW_OK;
        rc |= r < 4 ? bw_col_push_i64(&b.cols[0], r + 1) : bw_col_push_null(&b.cols[0]);
        double fv[] = {0.5, NAN, INFINITY, -1.5, 3.0};
        rc |= bw_col_push_f64(&b.cols[1], fv[r]);
        rc |= bw_col_push_str(&b.cols[2], strs[r], strlen(strs[r]));
        int dd[] = {0, 1, 2, -1, 10};
        rc |= dd[r] < 0 ? bw_col_push_null(&b.cols[3]) : bw_col_push_date(&b.cols[3], 19723 + dd[r]);
        rc |= r == 4 ? bw_col_push_null(&b.cols[4]) : bw_col_push_bool(&b.cols[4], r != 1);
        if (rc != BW_OK) {
            tap_diag("push failed");
        }
    }
    b.nrows = 5;
    ok(bw_profile_new(&p, NULL, &err) == BW_OK && bw_profile_add_batch(p, &b, &err) == BW_OK, "profiled a batch");
    is_int(bw_profile_rows(p), 5, "rows");
    is_int(bw_profile_ncols(p), 5, "columns");

    ok(bw_profile_column_get(p, 0, &c, &err) == BW_OK, "column i");
    is_str(c.name, "i", "name");
    is_int(c.type, BW_DT_INT64, "int64");
    is_int(c.count, 5, "count");
    is_int(c.nulls, 1, "one null");
    is_int(c.distinct, 4, "4 distinct");
    ok(c.distinct_exact, "exact");
    is_int(c.imin, 1, "min 1");
    is_int(c.imax, 4, "max 4");
    ok(near(c.mean, 2.5, 1e-15), "mean 2.5 (%g)", c.mean);
    ok(near(c.stddev, sqrt(5.0 / 3.0), 1e-14), "sample stddev sqrt(5/3) (%.17g)", c.stddev);
    ok(c.quantiles[3] == 2 && c.quantiles[0] == 1 && c.quantiles[6] == 4, "median 2, p01 1, p99 4");

    ok(bw_profile_column_get(p, 1, &c, &err) == BW_OK, "column f");
    is_int(c.n_nan, 1, "one NaN");
    is_int(c.n_inf, 1, "one infinity");
    is_int(c.n_finite, 3, "three finite");
    ok(near(c.mean, 2.0 / 3.0, 1e-15), "mean of 0.5 -1.5 3 is 2/3");
    ok(near(c.stddev, sqrt((pow(0.5 - 2.0 / 3, 2) + pow(-1.5 - 2.0 / 3, 2) + pow(3 - 2.0 / 3, 2)) / 2), 1e-14),
       "stddev over the finite values");
    ok(c.min == -1.5 && isinf(c.max), "min -1.5, max inf");
    is_int(c.distinct, 5, "NaN and inf are distinct values");

    ok(bw_profile_column_get(p, 2, &c, &err) == BW_OK, "column s");
    is_int(c.nulls, 0, "no nulls");
    is_int(c.distinct, 4, "4 distinct strings");
    is_int(c.len_min, 0, "shortest 0");
    is_int(c.len_max, 6, "longest 6");
    ok(near(c.len_mean, 13.0 / 5, 1e-15), "lengths in code points: é is 1 (mean 2.6)");
    is_int(c.patterns[BW_PAT_BLANK], 1, "one blank");
    is_int(c.patterns[BW_PAT_EMAIL], 1, "one email");
    ok(bw_profile_top_values(p, 2, 2, &tv, &ntv, &err) == BW_OK && ntv == 2, "top 2");
    is_str(tv[0].value, "abc", "most frequent abc");
    is_int(tv[0].count, 2, "twice");
    bw_profile_top_free(tv, ntv);

    ok(bw_profile_column_get(p, 3, &c, &err) == BW_OK, "column d");
    is_int(c.type, BW_DT_DATE, "date");
    is_int(c.imin, 19723LL * 86400000000LL, "min 2024-01-01 in microseconds");
    is_int(c.imax, 19733LL * 86400000000LL, "max 2024-01-11");
    ok(bw_profile_top_values(p, 3, 1, &tv, &ntv, &err) == BW_OK && ntv == 1, "top date");
    ok(ntv == 1 && strncmp(tv[0].value, "2024-01-", 8) == 0, "formatted as a date (%s)", ntv ? tv[0].value : "");
    bw_profile_top_free(tv, ntv);

    ok(bw_profile_column_get(p, 4, &c, &err) == BW_OK, "column b");
    is_int(c.n_true, 3, "three true");
    is_int(c.distinct, 2, "two distinct");

    bw_profile_free(p);
    bw_batch_release(&b);
}

/* A CSV of `rows` rows whose every slice infers the same types. */
static void make_csv(bw_buf *t, size_t rows)
{
    unsigned seed = 5;

    bw_buf_addstr(t, "id,cat,x,note,day\n");
    for (size_t i = 0; i < rows; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = seed >> 8;
        bw_buf_printf(t, "%zu,c%u,%u.%02u,", i, k % 7, k % 1000, k % 100);
        if (k % 11 == 0) {
            bw_buf_addstr(t, ",");
        } else {
            bw_buf_printf(t, "\"n %u,\nz\",", k % 50000);
        }
        bw_buf_printf(t, "2024-%02u-%02u\n", 1 + k % 12, 1 + k % 28);
    }
}

static bw_status profile_slice(const bw_buf *t, uint64_t s, uint64_t e, bw_profile **out, bw_error *err)
{
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_status rc;

    o.range_start = s;
    o.range_end = e;
    o.batch_rows = 1000;
    rc = bw_profile_new(out, NULL, err);
    if (rc == BW_OK) {
        rc = bw_csv_open_mem(t->ptr, t->len, "t.csv", &o, &r, err);
    }
    while (rc == BW_OK && (rc = bw_csv_next(r, &b, err)) == BW_OK && b != NULL) {
        rc = bw_profile_add_batch(*out, b, err);
    }
    bw_csv_free(r);
    return rc;
}

/* columns[i].state.<key> of a profile's JSON, or NULL. */
static char *state_of(json_t *doc, size_t i, const char *key)
{
    json_t *v = json_object_get(json_object_get(json_array_get(json_object_get(doc, "columns"), i), "state"), key);
    return v != NULL && json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static json_t *as_json(const bw_profile *p, unsigned flags, bw_buf *out)
{
    bw_error err = {0};
    bw_buf_reset(out);
    if (bw_profile_write_json(p, "t.csv", 10, flags, out, &err) != BW_OK) {
        return NULL;
    }
    return json_loadb(out->ptr, out->len, 0, NULL);
}

/*
 * bw_profile_expect_many: a shard whose column sketch starts dense merges into the same profile
 * (byte for byte) as one that went through the exact phase, once the merged count is an estimate;
 * the hinted shard's own count is an estimate from the start.
 */
static void test_expect_many(void)
{
    bw_buf t = BW_BUF_INIT(64 << 20), j1 = BW_BUF_INIT(64 << 20), j2 = BW_BUF_INIT(64 << 20);
    bw_profile *a = NULL, *b = NULL, *a2 = NULL, *h = NULL;
    bw_profile_column c;
    bw_error err = {0};
    static const char *const many[] = {"id", "note", "no such column"};

    make_csv(&t, 80000);
    uint64_t cut = t.len * 3 / 4;
    ok(profile_slice(&t, 0, cut, &a, &err) == BW_OK && profile_slice(&t, 0, cut, &a2, &err) == BW_OK, "the first part");
    ok(profile_slice(&t, cut, t.len, &b, &err) == BW_OK, "the last part");
    ok(bw_profile_new(&h, NULL, &err) == BW_OK && bw_profile_expect_many(h, many, 3, &err) == BW_OK,
       "a hinted profile");
    {
        bw_data_opts o = BW_DATA_OPTS_INIT;
        bw_csv *r = NULL;
        const bw_batch *bt = NULL;
        bw_status rc;
        o.range_start = cut;
        o.batch_rows = 1000;
        rc = bw_csv_open_mem(t.ptr, t.len, "t.csv", &o, &r, &err);
        while (rc == BW_OK && (rc = bw_csv_next(r, &bt, &err)) == BW_OK && bt != NULL) {
            rc = bw_profile_add_batch(h, bt, &err);
        }
        bw_csv_free(r);
        ok(rc == BW_OK, "the last part, hinted");
    }
    col_get(b, 0, &c, &err);
    ok(c.distinct_exact, "unhinted, the last part's %llu ids are counted exactly", (unsigned long long)c.distinct);
    col_get(h, 0, &c, &err);
    ok(!c.distinct_exact, "hinted, they are an estimate (%llu)", (unsigned long long)c.distinct);
    col_get(h, 1, &c, &err);
    ok(c.distinct_exact, "an unhinted column stays exact");
    col_get(a, 0, &c, &err);
    ok(!c.distinct_exact, "the first part's %llu ids are an estimate", (unsigned long long)c.distinct);
    ok(bw_profile_merge(a, b, &err) == BW_OK && bw_profile_merge(a2, h, &err) == BW_OK, "both merge");
    json_t *x = as_json(a, 0, &j1), *y = as_json(a2, 0, &j2);
    ok(x != NULL && y != NULL && j1.len == j2.len && memcmp(j1.ptr, j2.ptr, j1.len) == 0,
       "the merges are the same byte for byte (%zu bytes)", j1.len);
    json_decref(x);
    json_decref(y);
    bw_profile_free(a);
    bw_profile_free(a2);
    bw_profile_free(b);
    bw_profile_free(h);
    bw_buf_release(&t);
    bw_buf_release(&j1);
    bw_buf_release(&j2);
}

static void test_shards(void)
{
    bw_buf t = BW_BUF_INIT(64 << 20), j1 = BW_BUF_INIT(64 << 20), j2 = BW_BUF_INIT(64 << 20);
    bw_profile *one = NULL, *merged = NULL;
    bw_error err = {0};
    size_t bad = 0;
    const size_t nshards = 5;

    make_csv(&t, 60000);
    ok(profile_slice(&t, 0, 0, &one, &err) == BW_OK, "one pass: %s", err.msg);
    for (size_t k = 0; k < nshards; k++) {
        bw_profile *s = NULL;
        uint64_t a = t.len * k / nshards, e = t.len * (k + 1) / nshards;
        if (profile_slice(&t, a, e, &s, &err) != BW_OK) {
            tap_diag("shard %zu: %s", k, err.msg);
        }
        if (merged == NULL) {
            merged = s;
        } else {
            if (bw_profile_merge(merged, s, &err) != BW_OK) {
                tap_diag("merge %zu: %s", k, err.msg);
            }
            bw_profile_free(s);
        }
    }
    is_int(bw_profile_rows(merged), 60000, "merged rows");
    is_int(bw_profile_ncols(merged), 5, "merged columns");
    for (size_t i = 0; i < 5; i++) {
        bw_profile_column a, b;
        col_get(one, i, &a, &err);
        col_get(merged, i, &b, &err);
        bad += strcmp(a.name, b.name) != 0 || a.type != b.type || a.count != b.count || a.nulls != b.nulls ||
               a.distinct != b.distinct || a.min != b.min || a.max != b.max || a.imin != b.imin || a.imax != b.imax ||
               a.len_min != b.len_min || a.len_max != b.len_max || a.len_mean != b.len_mean ||
               memcmp(a.patterns, b.patterns, sizeof(a.patterns)) != 0 || a.n_finite != b.n_finite ||
               (a.n_finite > 0 && (!near(a.mean, b.mean, 1e-12) || !near(a.stddev, b.stddev, 1e-9)));
        if (bad) {
            tap_diag("column %s differs", a.name);
            break;
        }
    }
    is_int(bad, 0, "counts, nulls, min/max, lengths, patterns, moments of 5 shards equal one pass");
    json_t *d1 = as_json(one, 0, &j1), *d2 = as_json(merged, 0, &j2);
    ok(d1 != NULL && d2 != NULL, "both write JSON");
    size_t same_hll = 0, same_topk = 0;
    for (size_t i = 0; i < 5; i++) {
        char *h1 = state_of(d1, i, "hll"), *h2 = state_of(d2, i, "hll");
        char *k1 = state_of(d1, i, "topk"), *k2 = state_of(d2, i, "topk");
        same_hll += h1 != NULL && h2 != NULL && strcmp(h1, h2) == 0;
        /* the top values are exact for the columns of few values (cat, day): byte for byte */
        same_topk += k1 != NULL && k2 != NULL && strcmp(k1, k2) == 0;
        free(h1);
        free(h2);
        free(k1);
        free(k2);
    }
    is_int(same_hll, 5, "HLL sketches of the merged shards equal one pass's, byte for byte");
    ok(same_topk >= 2, "exact top-value sketches equal one pass's (%zu of 5)", same_topk);
    bw_profile_column c;
    col_get(merged, 1, &c, &err);
    is_int(c.distinct, 7, "cat has 7 values");
    ok(bw_profile_top_exact(merged, 1), "and its top values are exact");
    json_decref(d1);
    json_decref(d2);

    /* round trip: write, read, write again: the same bytes; and a profile read back merges */
    bw_profile *back = NULL;
    bw_buf_reset(&j1);
    ok(bw_profile_write_json(one, "t.csv", 10, BW_PROFILE_JSON_PRETTY, &j1, &err) == BW_OK, "write");
    ok(bw_profile_read_json(&back, j1.ptr, j1.len, &err) == BW_OK, "read back: %s", err.msg);
    bw_buf_reset(&j2);
    ok(back != NULL && bw_profile_write_json(back, "t.csv", 10, BW_PROFILE_JSON_PRETTY, &j2, &err) == BW_OK,
       "write again");
    ok(j1.len == j2.len && memcmp(j1.ptr, j2.ptr, j1.len) == 0, "JSON round trip is exact");
    ok(back != NULL && bw_profile_merge(back, one, &err) == BW_OK, "a profile read back merges");
    ok(back != NULL && bw_profile_rows(back) == 120000, "rows add up");

    bw_profile_free(back);
    bw_profile_free(one);
    bw_profile_free(merged);
    bw_buf_release(&t);
    bw_buf_release(&j1);
    bw_buf_release(&j2);
}

static bw_profile *from_csv(const char *text)
{
    bw_buf t = BW_BUF_INIT(1 << 20);
    bw_profile *p = NULL;
    bw_error err = {0};

    bw_buf_addstr(&t, text);
    if (profile_slice(&t, 0, 0, &p, &err) != BW_OK) {
        tap_diag("%s", err.msg);
    }
    bw_buf_release(&t);
    return p;
}

static void test_types(void)
{
    bw_profile *a = from_csv("v,w,only_a\n1,3,x\n2,4,y\n"), *b = from_csv("v,w\n2.5,hello\n3.0,4\n");
    bw_profile_column c;
    bw_profile_top *tv = NULL;
    size_t ntv = 0;
    bw_error err = {0};

    ok(bw_profile_merge(a, b, &err) == BW_OK, "merge int64 with float64 and string shards");
    col_get(a, 0, &c, &err);
    is_int(c.type, BW_DT_FLOAT64, "int64 + float64 = float64");
    ok(c.min == 1 && c.max == 3 && near(c.mean, 8.5 / 4, 1e-15), "range and mean over both");
    is_int(c.distinct, 4, "1 2 2.5 3: the int 3 and the float 3.0 are one value");
    col_get(a, 1, &c, &err);
    is_int(c.type, BW_DT_STRING, "int64 + string = string");
    ok(c.mixed, "marked mixed");
    ok(bw_profile_top_values(a, 1, 5, &tv, &ntv, &err) == BW_OK && ntv == 3, "top values as text");
    ok(ntv == 3 && strcmp(tv[0].value, "4") == 0 && tv[0].count == 2, "4 twice (number and text agree)");
    bw_profile_top_free(tv, ntv);
    col_get(a, 2, &c, &err);
    is_int(c.count, 4, "a column one shard lacks counts every row");
    is_int(c.nulls, 2, "and is null in the other shard's rows");
    bw_profile_free(a);
    bw_profile_free(b);
}

static void test_malformed(void)
{
    bw_profile *p = from_csv("n,s\n1,a\n2,b\n3,\n"), *q = NULL;
    bw_buf j = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    size_t accepted = 0;

    ok(bw_profile_write_json(p, NULL, 5, 0, &j, &err) == BW_OK, "write");
    /* every prefix is refused */
    for (size_t k = 0; k < j.len; k++) {
        bw_error e = {0};
        if (bw_profile_read_json(&q, j.ptr, k, &e) != BW_EFORMAT) {
            accepted++;
            bw_profile_free(q);
        }
    }
    is_int(accepted, 0, "all %zu truncations refused with BW_EFORMAT", j.len);

    struct {
        const char *from, *to, *why;
    } lies[] = {
        {"\"bulwark_profile\":1", "\"bulwark_profile\":2", "version"},
        {"\"rows\":3", "\"rows\":4", "count other than rows"},
        {"\"nulls\":1", "\"nulls\":9", "nulls over count"},
        {"\"type\":\"int64\"", "\"type\":\"string\"", "numbers in a string column"},
        {"\"type\":\"string\"", "\"type\":\"date\"", "a string column called date"},
        {"\"name\":\"s\"", "\"name\":\"n\"", "a column named twice"},
        {"\"hll\":\"QldTSwEB", "\"hll\":\"QldTSwEC", "a corrupt sketch"},
        {"\"hll\":\"", "\"hll\":\"!", "bad base64"},
        {"\"kll_k\":200", "\"kll_k\":100", "kll k other than the sketch's"},
        {"\"len_n\":2", "\"len_n\":1", "lengths that do not add up"},
        {"\"n\":3", "\"n\":2", "numeric counts that do not add up"},
        {"\"state\":{", "\"x\":{", "no state"},
        {"\"m2\":2", "\"m2\":-2", "negative m2"},
        {"{\"bulwark", "[{\"bulwark", "not an object"},
    };
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        bw_buf m = BW_BUF_INIT(1 << 20);
        bw_error e = {0};
        const char *at = strstr(j.ptr, lies[i].from);
        if (at == NULL) {
            ok(0, "pattern %s present", lies[i].from);
            continue;
        }
        bw_buf_add(&m, j.ptr, (size_t)(at - j.ptr));
        bw_buf_addstr(&m, lies[i].to);
        bw_buf_addstr(&m, at + strlen(lies[i].from));
        bw_status rc = bw_profile_read_json(&q, m.ptr, m.len, &e);
        is_int(rc, BW_EFORMAT, "refused: %s (%s)", lies[i].why, e.msg);
        if (rc == BW_OK) {
            bw_profile_free(q);
        }
        bw_buf_release(&m);
    }
    {
        bw_error e = {0};
        is_int(bw_profile_read_json(&q, "{\"a\":", 5, &e), BW_EFORMAT, "a syntax error");
        is_int(e.offset, 5, "at its offset");
    }
    bw_buf_release(&j);
    bw_profile_free(p);
}

/*
 * A batch of 70000 rows (two chunks of the distinct-value table): lengths and
 * patterns worked out once per distinct value and weighted by its count must
 * equal the per-row figures; and a chunk holding values over 256 bytes (the
 * top-k counts them by their prefix, the distinct count by all of them).
 */
static void test_chunks(void)
{
    static const char *const sv[] = {"a@b.co", " x", "\xc3\xa9"};
    bw_batch b;
    bw_profile *p = NULL;
    bw_profile_column c;
    bw_profile_top *tv = NULL;
    size_t ntv = 0;
    bw_error err = {0};
    bw_status rc = BW_OK;
    char lng[302];

    bw_batch_init(&b);
    ok(bw_batch_add_column(&b, "s", 1, BW_DT_STRING) == BW_OK && bw_batch_add_column(&b, "i", 1, BW_DT_INT64) == BW_OK,
       "columns");
    for (int r = 0; r < 70000; r++) {
        rc |= bw_col_push_str(&b.cols[0], sv[r % 3], strlen(sv[r % 3]));
        rc |= bw_col_push_i64(&b.cols[1], r % 1000);
    }
    b.nrows = 70000;
    ok(rc == BW_OK && bw_profile_new(&p, NULL, &err) == BW_OK && bw_profile_add_batch(p, &b, &err) == BW_OK,
       "70000 rows profiled");
    col_get(p, 0, &c, &err);
    ok(c.distinct == 3 && c.distinct_exact, "3 distinct strings");
    ok(c.patterns[BW_PAT_EMAIL] == 23334 && c.patterns[BW_PAT_PADDED] == 23333 && c.patterns[BW_PAT_BLANK] == 0,
       "email 23334, padded 23333");
    ok(c.len_min == 1 && c.len_max == 6 && near(c.len_mean, (6.0 * 23334 + 3.0 * 23333) / 70000, 1e-15),
       "lengths in code points: 1..6, mean %.6f", c.len_mean);
    ok(bw_profile_top_values(p, 0, 3, &tv, &ntv, &err) == BW_OK && ntv == 3 && strcmp(tv[0].value, "a@b.co") == 0 &&
           tv[0].count == 23334 && tv[1].count == 23333 && tv[2].count == 23333 && bw_profile_top_exact(p, 0),
       "top values exact across the chunks");
    bw_profile_top_free(tv, ntv);
    col_get(p, 1, &c, &err);
    ok(c.distinct == 1000 && c.imin == 0 && c.imax == 999 && near(c.mean, 499.5, 1e-14), "ints: 1000 distinct, 0..999, "
                                                                                         "mean 499.5");
    ok(!bw_profile_top_exact(p, 1), "1000 distinct ints: top values not exact (128 counters)");
    bw_profile_free(p);
    bw_batch_release(&b);

    /* 300 a's twice, 256 a's, 256 a's + 45 b's, "x" */
    bw_batch_init(&b);
    memset(lng, 'a', 300);
    memset(lng + 256, 'b', 45);
    rc = bw_batch_add_column(&b, "t", 1, BW_DT_STRING);
    memset(lng + 256, 'a', 44);
    rc |= bw_col_push_str(&b.cols[0], lng, 300);
    rc |= bw_col_push_str(&b.cols[0], lng, 300);
    rc |= bw_col_push_str(&b.cols[0], lng, 256);
    memset(lng + 256, 'b', 45);
    rc |= bw_col_push_str(&b.cols[0], lng, 301);
    rc |= bw_col_push_str(&b.cols[0], "x", 1);
    b.nrows = 5;
    ok(rc == BW_OK && bw_profile_new(&p, NULL, &err) == BW_OK && bw_profile_add_batch(p, &b, &err) == BW_OK,
       "long values profiled");
    col_get(p, 0, &c, &err);
    ok(c.distinct == 4 && c.distinct_exact, "4 distinct values (all of each long one counts)");
    ok(c.len_min == 1 && c.len_max == 301 && near(c.len_mean, 1158.0 / 5, 1e-15), "lengths 1..301, mean 231.6");
    ok(bw_profile_top_values(p, 0, 5, &tv, &ntv, &err) == BW_OK && ntv == 2 && tv[0].count == 4 && tv[0].len == 256 &&
           tv[0].truncated && tv[1].count == 1 && strcmp(tv[1].value, "x") == 0,
       "top values: the 256-byte prefix 4 times (truncated), x once");
    bw_profile_top_free(tv, ntv);
    bw_profile_free(p);
    bw_batch_release(&b);
}

/*
 * One chunk of mostly distinct values (every 1000th row holds one repeated
 * value) profiled twice: the first time the column has no history, the
 * second time it has just held mostly distinct values, so the chunk is
 * counted bucket by bucket, its lengths and patterns taken row by row and
 * its top values chosen from the repeated ones and then the earliest
 * values seen once. Both passes must pick the same values: the repeated one
 * and rows 1..127, each then counted twice (exact), the floor 2.
 */
static void test_many(void)
{
    enum { N = 65536 };
    bw_batch b;
    bw_profile *p = NULL;
    bw_profile_column c;
    bw_profile_top *tv = NULL;
    size_t ntv = 0;
    bw_error err = {0};
    bw_status rc = BW_OK;
    char v[64];
    uint64_t lsum = 0;
    bool picked = true;

    bw_batch_init(&b);
    rc |= bw_batch_add_column(&b, "s", 1, BW_DT_STRING);
    rc |= bw_batch_add_column(&b, "i", 1, BW_DT_INT64);
    rc |= bw_batch_add_column(&b, "f", 1, BW_DT_FLOAT64);
    for (int r = 0; r < N; r++) {
        int n = r % 1000 == 0 ? snprintf(v, sizeof(v), "dup@x.org") : snprintf(v, sizeof(v), "u%d@x.org", r);
        lsum += (uint64_t)n;
        rc |= bw_col_push_str(&b.cols[0], v, (size_t)n);
        rc |= bw_col_push_i64(&b.cols[1], r % 1000 == 0 ? -7 : r);
        rc |= bw_col_push_f64(&b.cols[2], r % 1000 == 0 ? 0.25 : r + 0.5);
    }
    b.nrows = N;
    ok(rc == BW_OK && bw_profile_new(&p, NULL, &err) == BW_OK && bw_profile_add_batch(p, &b, &err) == BW_OK &&
           bw_profile_add_batch(p, &b, &err) == BW_OK,
       "a chunk of mostly distinct values profiled twice");
    col_get(p, 0, &c, &err);
    ok(c.count == 2 * N && c.patterns[BW_PAT_EMAIL] == 2 * N && c.patterns[BW_PAT_NUMERIC] == 0, "all %d emails",
       2 * N);
    ok(c.len_min == 8 && c.len_max == 12 && near(c.len_mean, (double)lsum / N, 1e-15), "lengths 8..12, mean %.6f",
       c.len_mean);
    ok(c.distinct > 63000 && c.distinct < 68000, "distinct about 65471: %" PRIu64, c.distinct);
    for (size_t col = 0; col < 3; col++) {
        ok(bw_profile_top_values(p, col, 200, &tv, &ntv, &err) == BW_OK && ntv == 128, "column %zu: 128 top values",
           col);
        ok(ntv == 128 && tv[0].count == 132 && tv[0].err == 0, "column %zu: the repeated value 132 times, exact", col);
        picked = ntv == 128;
        for (size_t k = 1; k < ntv && picked; k++) {
            /* rows 1..127, in the order of their text */
            picked = tv[k].count == 2 && tv[k].err == 0;
        }
        ok(picked, "column %zu: then 127 values twice each, exact", col);
        if (col == 0 && ntv == 128) {
            ok(strcmp(tv[0].value, "dup@x.org") == 0 && strcmp(tv[1].value, "u100@x.org") == 0 &&
                   strcmp(tv[127].value, "u9@x.org") == 0,
               "strings: dup@x.org, then u1@x.org..u127@x.org (u100 first, u9 last as text)");
        }
        if (col > 0 && ntv == 128) {
            double sum = 0;
            bool in = true;
            for (size_t k = 1; k < ntv; k++) {
                double x = strtod(tv[k].value, NULL) - (col == 2 ? 0.5 : 0);
                in = in && x >= 1 && x <= 127 && x == floor(x);
                sum += x;
            }
            ok(strcmp(tv[0].value, col == 1 ? "-7" : "0.25") == 0 && in && sum == 127 * 128 / 2,
               "column %zu: the repeated value, then the values of rows 1..127", col);
        }
        bw_profile_top_free(tv, ntv);
    }
    col_get(p, 2, &c, &err);
    ok(c.min == 0.25 && c.max == N - 0.5 && c.count == 2 * N, "doubles 0.25 .. %.1f", c.max);
    bw_profile_free(p);
    bw_batch_release(&b);
}

/* bw_data_hash (inlined for the profiler) equals bw_hash64(p, n, 0) at every length to 300 and every alignment. */
static void test_data_hash(void)
{
    uint8_t buf[320];
    unsigned bad = 0;
    uint64_t x = 0x9e3779b97f4a7c15ULL;

    for (size_t rep = 0; rep < 4; rep++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = rep == 3 ? (uint8_t)(i & 1 ? 0xff : 0) : (uint8_t)x;
        }
        for (size_t off = 0; off < 8; off++) {
            for (size_t n = 0; n <= 300; n++) {
                bad += bw_data_hash(buf + off, n) != bw_hash64(buf + off, n, 0);
            }
        }
    }
    is_int(bad, 0, "bw_data_hash equals bw_hash64 on 4 x 8 x 301 inputs");
}

/*
 * A deterministic corpus that drives every path of the profiler's per-column
 * engine: batches of mostly distinct values, of few, of a few thousand, with
 * long values, signed zeros, infinities, NaN, NUL bytes and every pattern
 * class, so that each column moves between the counting modes.
 */
static uint64_t fz_state;

static uint64_t fz_next(void)
{
    uint64_t x = fz_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    fz_state = x;
    return x;
}

static const char *const fz_words[] = {
    "",
    " ",
    "M",
    "F",
    "a",
    "a\0",
    "ab\0c",
    "Cardio",
    "Internal",
    "12345678",
    "=SUM(A1)",
    "+1 (555) 010-9999",
    "http://x.org/a",
    "https://y.com",
    "ftp://f.net/z",
    "s3://b/k",
    "sam@x.org",
    "nina@y.com",
    "hal@z.io",
    "zane.butler694@ex.org",
    "a@b",
    "@x.y",
    "x@y.",
    "2021-03-04",
    "2021-03-04T05:06:07",
    "10.0.0.1",
    "nan",
    "-inf",
    "0.5",
    " padded ",
    "tab\tin",
    "ctl\x01x",
    "\x7f",
    "\xc3\xa9t\xc3\xa9",
    "123e4567-e89b-12d3-a456-426614174000",
    "Infinity",
    "(555) 123-4567",
    "-",
    ".",
    "i",
    "n",
    "h",
    "s@s.s",
    "f@f.f.",
};

/* One string value of kind `mode` (0: mostly distinct, 1: few, 2: some thousands, 3: with long ones). */
static size_t fz_string(int mode, char *buf)
{
    uint64_t r = fz_next();
    size_t nw = sizeof(fz_words) / sizeof(fz_words[0]);

    switch (mode) {
    case 0:
        return (size_t)snprintf(buf, 400, "%c%llu%s", "Pzhq@ 9"[r % 7], (unsigned long long)(r >> 20) % 100000000,
                                (r & 0x300) == 0 ? "@ex.org" : "");
    case 1:
    case 4: {
        static const char *const few[] = {"M", "F", "X", "U", "a", "ab", "abc", "abcdefgh"};
        if (mode == 4 && (r & 0xf00) == 0) {
            memcpy(buf, "a\0", 2); /* "a" and a NUL: not counted by its bytes */
            return 2;
        }
        return (size_t)snprintf(buf, 400, "%s", few[r % 8]);
    }
    case 2: {
        const char *w = fz_words[r % nw];
        size_t n = strlen(w);
        if (w == fz_words[5] || w == fz_words[6]) {
            n = w == fz_words[5] ? 2 : 4; /* with their NUL bytes */
        }
        memcpy(buf, w, n);
        n += (size_t)snprintf(buf + n, 400 - n, "%llu", (unsigned long long)(r >> 40) % 3000 * ((r >> 8) & 1));
        return n;
    }
    default: {
        size_t n = (r >> 8) % 300;
        for (size_t i = 0; i < n; i++) {
            buf[i] = (char)(' ' + (fz_next() >> 33) % 95);
        }
        return n;
    }
    }
}

static double fz_double(int mode)
{
    uint64_t r = fz_next();
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 2.5, 1e300, -1e-300};

    if ((r & 63) == 0) {
        return special[(r >> 6) % 10];
    }
    switch (mode) {
    case 0: return (double)(int64_t)(r >> 11) / 1048576.0 - 4e6;
    case 1:
    case 4: return special[(r >> 6) % 10];
    case 2: return (double)((r >> 20) % 3000) / 8.0 - 100;
    default: return (double)(int64_t)((r >> 20) % 2000000) - 1000000;
    }
}

/* A batch of n rows in `mode`, into b (initialised). */
static bw_status fz_batch(bw_batch *b, int mode, size_t n)
{
    char buf[400];
    bw_status rc = BW_OK;

    rc |= bw_batch_add_column(b, "s", 1, BW_DT_STRING);
    rc |= bw_batch_add_column(b, "i", 1, BW_DT_INT64);
    rc |= bw_batch_add_column(b, "f", 1, BW_DT_FLOAT64);
    rc |= bw_batch_add_column(b, "d", 1, BW_DT_DATE);
    rc |= bw_batch_add_column(b, "t", 1, BW_DT_TIMESTAMP);
    rc |= bw_batch_add_column(b, "b", 1, BW_DT_BOOL);
    for (size_t r = 0; r < n && rc == BW_OK; r++) {
        uint64_t x = fz_next();
        bool null = (x & 31) == 7;
        int m = mode == 3 && (x & 1) ? 2 : mode;
        uint64_t span = mode == 0 ? 1u << 30 : mode == 1 || mode == 4 ? 6 : 2500;
        size_t k = fz_string(m, buf);
        rc |= null ? bw_col_push_null(&b->cols[0]) : bw_col_push_str(&b->cols[0], buf, k);
        rc |= null ? bw_col_push_null(&b->cols[1]) : bw_col_push_i64(&b->cols[1], (int64_t)((x >> 8) % span) - 40);
        rc |= bw_col_push_f64(&b->cols[2], fz_double(mode));
        rc |= bw_col_push_date(&b->cols[3], (int32_t)((x >> 24) % BW_MIN(span, 2900000)) - 300); /* 8000 years */
        rc |= bw_col_push_ts(&b->cols[4], (int64_t)((x >> 3) % (span * 1000003)) - 99);
        rc |= (x & 3) == 3 ? bw_col_push_null(&b->cols[5]) : bw_col_push_bool(&b->cols[5], (x >> 40) & 1);
    }
    b->nrows = n;
    return rc;
}

/* The modes and sizes of the batches, in order. */
static const struct {
    int mode;
    size_t n;
} fz_plan[] = {{0, 70000},  {1, 70000}, {2, 30000}, {0, 65536}, {3, 9000},
               {2, 140000}, {4, 20000}, {1, 500},   {4, 2000},  {0, 3000}};

/* The profile of the whole plan as JSON (with its sketches), or an error. */
static bw_status fz_profile_json(bw_buf *out, bw_error *err)
{
    bw_profile *p = NULL;
    bw_status rc;

    fz_state = 0x9e3779b97f4a7c15ULL;
    rc = bw_profile_new(&p, NULL, err);
    for (size_t i = 0; i < sizeof(fz_plan) / sizeof(fz_plan[0]) && rc == BW_OK; i++) {
        bw_batch b;
        bw_batch_init(&b);
        rc = fz_batch(&b, fz_plan[i].mode, fz_plan[i].n);
        if (rc == BW_OK) {
            rc = bw_profile_add_batch(p, &b, err);
        }
        bw_batch_release(&b);
    }
    if (rc == BW_OK) {
        rc = bw_profile_write_json(p, "corpus", 50, 0, out, err);
    }
    bw_profile_free(p);
    return rc;
}

/*
 * The JSON (figures and sketches) of a corpus that takes every column
 * through every path of the per-column engine (a chunk of a column that
 * held mostly distinct values counted bucket by bucket, then one of few
 * values fed to the quantile sketch with counts, short values counted by
 * their bytes, a NUL byte falling back, long values, pattern classes of
 * every kind, signed zeros, infinities and NaN in the quantile sketch),
 * against the digest of the JSON the engine wrote before it was made
 * faster (the quicksort KLL, one hash table, bw_hash64 out of line: the
 * engine of commit 127228c), with the quantile sketches of the eleventh
 * session, fed a chunk at a time as sorted runs (bw_kll_add_run: only the
 * quantiles and the KLL states moved; every other byte is 127228c's). A
 * change that moves this digest moves profiles. The
 * moments are sums of doubles, which a platform that fuses multiply-adds
 * may round differently, so the digest is checked on x86-64 only.
 */
static void test_corpus(void)
{
    bw_buf b;
    bw_error err = {0};
    bw_status rc;

    bw_buf_init(&b, (size_t)1 << 30);
    rc = fz_profile_json(&b, &err);
    ok(rc == BW_OK, "corpus profiled: %s", rc == BW_OK ? "ok" : err.msg);
#if defined(__x86_64__)
    ok(b.len == 1375777 && bw_hash64(b.ptr, b.len, 0) == 0x19f75e564b1554eaULL,
       "corpus JSON: 1375777 bytes, digest 0x19f75e564b1554ea as before (got %zu, 0x%016" PRIx64 ")", b.len,
       bw_hash64(b.ptr, b.len, 0));
#else
    skip(1, "the corpus digest is checked on x86-64");
#endif
    bw_buf_release(&b);
}

int main(void)
{
    test_by_hand();
    test_shards();
    test_expect_many();
    test_types();
    test_malformed();
    test_chunks();
    test_many();
    test_data_hash();
    test_corpus();
    return done_testing();
}
