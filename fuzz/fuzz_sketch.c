/*
 * fuzz_sketch.c - the three sketch readers (HLL, KLL, top-k) on arbitrary bytes.
 *
 * Each reader runs on the whole input; at most one can accept it, since the
 * kind is in the header. A refusal must come with a code, a message and an
 * offset inside the input. An accepted sketch must serialise back to
 * exactly the input (the format has one encoding per sketch), then survive
 * queries, being merged with itself and with a second copy, and a few
 * additions; whatever those operations build must in turn be accepted by
 * the reader and read back to the same bytes. A sketch the code can reach
 * but its own reader refuses (or the reverse) is a bug: abort().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_sketch.h"
#include "data/data_internal.h"
#include "fuzz.h"

#define CHECK(x) FUZZ_CHECK(x)

/* A status from an operation on a valid sketch: success, or the two limits it may meet. */
#define CHECK_OP(rc) CHECK((rc) == BW_OK || (rc) == BW_ENOMEM || (rc) == BW_ELIMIT)

static void check_refusal(bw_status rc, const bw_error *err, size_t size)
{
    CHECK(rc == BW_EFORMAT || rc == BW_ENOMEM);
    CHECK(err->code == rc && err->msg[0] != '\0');
    CHECK(err->offset == BW_NO_OFFSET || err->offset <= size);
}

static void check_same(const bw_buf *b, const uint8_t *data, size_t size)
{
    CHECK(b->err == BW_OK);
    CHECK(b->len == size);
    CHECK(size == 0 || memcmp(b->ptr, data, size) == 0);
}

/* The sketch's order of items: by value, -0 before +0 (no NaN). */
static int kll_order(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;

    if (a < b) {
        return -1;
    }
    if (a > b) {
        return 1;
    }
    return (signbit(b) != 0) - (signbit(a) != 0);
}

/* ---- hll ---------------------------------------------------------------- */

static void hll_reread(const bw_hll *h)
{
    bw_buf a = BW_BUF_INIT(16 << 20), b = BW_BUF_INIT(16 << 20);
    bw_hll *r = NULL;
    bw_error err;

    bw_error_clear(&err);
    if (bw_hll_serialize(h, &a) != BW_OK) {
        bw_buf_release(&a);
        return;
    }
    CHECK(bw_hll_deserialize(&r, a.ptr, a.len, &err) == BW_OK || err.code == BW_ENOMEM);
    if (r != NULL) {
        CHECK(bw_hll_serialize(r, &b) == BW_OK);
        check_same(&b, (const uint8_t *)a.ptr, a.len);
        CHECK(bw_hll_estimate(r) == bw_hll_estimate(h));
    }
    bw_hll_free(r);
    bw_buf_release(&a);
    bw_buf_release(&b);
}

static void fuzz_hll(const uint8_t *data, size_t size)
{
    bw_hll *h = NULL, *h2 = NULL;
    bw_buf b = BW_BUF_INIT(16 << 20);
    bw_error err;
    bw_status rc;
    double est;

    bw_error_clear(&err);
    rc = bw_hll_deserialize(&h, data, size, &err);
    if (rc != BW_OK) {
        CHECK(h == NULL);
        check_refusal(rc, &err, size);
        return;
    }
    CHECK(bw_hll_serialize(h, &b) == BW_OK);
    check_same(&b, data, size);
    est = bw_hll_estimate(h);
    CHECK(est >= 0 && !isnan(est));
    CHECK(!bw_hll_is_exact(h) || est <= (double)(1u << (bw_hll_precision(h) - 3)));

    CHECK_OP(bw_hll_merge(h, h));
    CHECK(bw_hll_estimate(h) == est);
    if (bw_hll_deserialize(&h2, data, size, NULL) == BW_OK) {
        CHECK_OP(bw_hll_merge(h, h2));
        CHECK(bw_hll_estimate(h) == est); /* a union with itself */
        /* across precisions: fold to the smallest */
        {
            bw_hll *small = NULL;
            if (bw_hll_new(&small, BW_HLL_MIN_P, NULL) == BW_OK) {
                if (bw_hll_merge(small, h2) == BW_OK) {
                    hll_reread(small);
                }
                CHECK_OP(bw_hll_merge(h2, small));
                hll_reread(h2);
                bw_hll_free(small);
            }
        }
    }
    for (size_t i = 0; i < size && i < 64; i++) {
        CHECK_OP(bw_hll_add(h, data + i, size - i));
    }
    hll_reread(h);
    bw_hll_free(h);
    bw_hll_free(h2);
    bw_buf_release(&b);
}

/* ---- kll ---------------------------------------------------------------- */

static void kll_reread(const bw_kll *s)
{
    bw_buf a = BW_BUF_INIT(16 << 20), b = BW_BUF_INIT(16 << 20);
    bw_kll *r = NULL;
    bw_error err;

    bw_error_clear(&err);
    if (bw_kll_serialize(s, &a) != BW_OK) {
        bw_buf_release(&a);
        return;
    }
    CHECK(bw_kll_deserialize(&r, a.ptr, a.len, &err) == BW_OK || err.code == BW_ENOMEM);
    if (r != NULL) {
        CHECK(bw_kll_serialize(r, &b) == BW_OK);
        check_same(&b, (const uint8_t *)a.ptr, a.len);
        CHECK(bw_kll_count(r) == bw_kll_count(s));
    }
    bw_kll_free(r);
    bw_buf_release(&a);
    bw_buf_release(&b);
}

static void kll_queries(const bw_kll *s)
{
    static const double qs[] = {0, 0.01, 0.25, 0.5, 0.75, 0.99, 1};
    double out[7], lo = bw_kll_min(s), hi = bw_kll_max(s);
    bw_status rc;

    if (bw_kll_count(s) == 0) {
        CHECK(isnan(lo) && isnan(hi) && isnan(bw_kll_rank(s, 0)));
        return;
    }
    CHECK(lo <= hi);
    rc = bw_kll_quantiles(s, qs, 7, out);
    CHECK(rc == BW_OK || rc == BW_ENOMEM);
    if (rc == BW_OK) {
        CHECK(out[0] == lo && out[6] == hi);
        for (int i = 0; i < 7; i++) {
            CHECK(out[i] >= lo && out[i] <= hi);
            CHECK(i == 0 || out[i] >= out[i - 1]);
        }
    }
    for (int i = 0; i < 7; i++) {
        double r = bw_kll_rank(s, rc == BW_OK ? out[i] : lo);
        CHECK(r >= 0 && r <= 1);
    }
}

static void fuzz_kll(const uint8_t *data, size_t size)
{
    bw_kll *s = NULL, *s2 = NULL;
    bw_buf b = BW_BUF_INIT(16 << 20);
    bw_error err;
    bw_status rc;
    uint64_t n;

    bw_error_clear(&err);
    rc = bw_kll_deserialize(&s, data, size, &err);
    if (rc != BW_OK) {
        CHECK(s == NULL);
        check_refusal(rc, &err, size);
        return;
    }
    CHECK(bw_kll_serialize(s, &b) == BW_OK);
    check_same(&b, data, size);
    kll_queries(s);
    n = bw_kll_count(s);

    rc = bw_kll_merge(s, s);
    CHECK_OP(rc);
    CHECK(rc != BW_OK || bw_kll_count(s) == 2 * n);
    kll_queries(s);
    kll_reread(s);
    if (bw_kll_deserialize(&s2, data, size, NULL) == BW_OK) {
        CHECK_OP(bw_kll_merge(s2, s));
        kll_queries(s2);
        kll_reread(s2);
    }
    /* values from the input, NaNs and infinities included */
    for (size_t i = 0; i + 8 <= size && i < 4096; i += 3) {
        double x;
        memcpy(&x, data + i, sizeof(x));
        CHECK_OP(bw_kll_add(s, x));
    }
    kll_queries(s);
    kll_reread(s);
    /*
     * a run of 256 to 4096 values cut from the input (repeated to length):
     * counted, min and max exact, the sketch valid; and the items the run
     * keeps (bw_kll_select_items, on ranks taken from the input) equal to a
     * sort's, bit for bit
     */
    if (size >= 8) {
        static double run[4096], vals[4096], sorted[4096], tmp[4096], picked[4096], odd_out[BW_KLL_MAX_LEVELS];
        static uint64_t scratch[4096];
        uint64_t odd[BW_KLL_MAX_LEVELS], base = 0;
        size_t m = 256 + (size_t)data[0] * 15, nan = 0, k = 0;
        unsigned nodd = 0, lg = data[size - 1] % 13;
        uint64_t before = bw_kll_count(s);
        for (size_t i = 0; i < m; i++) {
            size_t at = (i * 8 + i / (size / 8 + 1)) % (size - 7);
            memcpy(&run[i], data + at, sizeof(run[i]));
            nan += isnan(run[i]) ? 1 : 0;
            if (!isnan(run[i])) {
                vals[k++] = run[i];
            }
        }
        memcpy(sorted, vals, k * sizeof(*vals));
        qsort(sorted, k, sizeof(*sorted), kll_order);
        rc = bw_kll_add_run(s, run, m, scratch);
        CHECK_OP(rc);
        if (rc == BW_OK) {
            CHECK(bw_kll_count(s) == before + (m - nan));
            if (k > 0) {
                /* the sketch's min and max cover the run's (and are the run's when the sketch was empty) */
                double lo = bw_kll_min(s), hi = bw_kll_max(s);
                CHECK(kll_order(&lo, &sorted[0]) <= 0 && kll_order(&hi, &sorted[k - 1]) >= 0);
                CHECK(before != 0 || (kll_order(&lo, &sorted[0]) == 0 && kll_order(&hi, &sorted[k - 1]) == 0));
            }
            kll_queries(s);
            kll_reread(s);
        }
        for (size_t h = 0; h < 12 && base < k && h + 1 < size; h++) {
            if (data[h + 1] & 1) {
                odd[nodd++] = base;
            }
            base += 1 + data[h + 1] % ((uint64_t)1 << h);
        }
        if (k > 0) {
            uint64_t cnt = base < k ? ((k - 1 - base) >> lg) + 1 : 0;
            bw_kll_select_items(vals, k, odd, nodd, base, lg, cnt, odd_out, picked, scratch, tmp);
            for (unsigned j = 0; j < nodd; j++) {
                CHECK(memcmp(&odd_out[j], &sorted[odd[j]], sizeof(double)) == 0);
            }
            for (uint64_t i = 0; i < cnt; i++) {
                CHECK(memcmp(&picked[i], &sorted[base + (i << lg)], sizeof(double)) == 0);
            }
        }
    }
    bw_kll_free(s);
    bw_kll_free(s2);
    bw_buf_release(&b);
}

/* ---- topk --------------------------------------------------------------- */

static void topk_reread(const bw_topk *t)
{
    bw_buf a = BW_BUF_INIT(64 << 20), b = BW_BUF_INIT(64 << 20);
    bw_topk *r = NULL;
    bw_error err;

    bw_error_clear(&err);
    if (bw_topk_serialize(t, &a) != BW_OK) {
        bw_buf_release(&a);
        return;
    }
    CHECK(bw_topk_deserialize(&r, a.ptr, a.len, &err) == BW_OK || err.code == BW_ENOMEM);
    if (r != NULL) {
        CHECK(bw_topk_serialize(r, &b) == BW_OK);
        check_same(&b, (const uint8_t *)a.ptr, a.len);
    }
    bw_topk_free(r);
    bw_buf_release(&a);
    bw_buf_release(&b);
}

static void topk_items(const bw_topk *t)
{
    bw_topk_item it[16];
    size_t n = 0;

    if (bw_topk_items(t, it, 16, &n) != BW_OK) {
        return;
    }
    CHECK(n <= 16 && n <= bw_topk_size(t));
    for (size_t i = 0; i < n; i++) {
        CHECK(it[i].count >= 1 && it[i].err < it[i].count && it[i].count <= bw_topk_total(t));
        CHECK(it[i].len <= BW_TOPK_MAX_KEY);
        CHECK(i == 0 || it[i].count <= it[i - 1].count);
    }
}

static void fuzz_topk(const uint8_t *data, size_t size)
{
    bw_topk *t = NULL, *t2 = NULL;
    bw_buf b = BW_BUF_INIT(64 << 20);
    bw_error err;
    bw_status rc;

    bw_error_clear(&err);
    rc = bw_topk_deserialize(&t, data, size, &err);
    if (rc != BW_OK) {
        CHECK(t == NULL);
        check_refusal(rc, &err, size);
        return;
    }
    CHECK(bw_topk_serialize(t, &b) == BW_OK);
    check_same(&b, data, size);
    CHECK(bw_topk_size(t) <= bw_topk_capacity(t));
    CHECK(bw_topk_floor(t) <= bw_topk_total(t));
    topk_items(t);

    CHECK_OP(bw_topk_merge(t, t));
    topk_items(t);
    topk_reread(t);
    if (bw_topk_deserialize(&t2, data, size, NULL) == BW_OK) {
        CHECK_OP(bw_topk_merge(t2, t));
        topk_items(t2);
        topk_reread(t2);
    }
    for (size_t i = 0; i < size && i < 512; i++) {
        size_t len = (size_t)data[i] % 5;
        CHECK_OP(bw_topk_add(t, data + i, len < size - i ? len : size - i));
    }
    topk_items(t);
    topk_reread(t);
    bw_topk_free(t);
    bw_topk_free(t2);
    bw_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_hll(data, size);
    fuzz_kll(data, size);
    fuzz_topk(data, size);
    return 0;
}
