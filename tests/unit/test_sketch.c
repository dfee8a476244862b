/*
 * test_sketch.c - bw_hash64, HyperLogLog, KLL and SpaceSaving: known hash
 * values and avalanche; HLL exact below its limit, within 1% at 1e6 and 1e7
 * distinct values, shards merging into the single-pass sketch byte for
 * byte (also across precisions); KLL rank error within the documented
 * bound on random, sorted, reverse, duplicate-heavy and sharded input; top
 * values exact while they fit and bounded after; for every sketch, the
 * round trip, every truncation and each kind of lie in the bytes, and every
 * out-of-memory path (bw_alloc_fail_after); bw_kll_add_many giving the
 * bytes of one add at a time (and bw_hll_add_hashes), bw_kll_add_weighted
 * within the bound, and bw_topk_merge_items the bytes of a merge; the
 * KLL level sort (bw_kll_sort_items) against qsort in kll_cmp order.
 *
 * The error figures printed as diagnostics are the ones quoted in
 * docs/internals/sketch.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_sketch.h"
#include "data/data_internal.h"
#include "tap.h"
#include "util/internal.h"

/* The documented KLL bound at k = 200: normalised rank error, any query. */
#define KLL_BOUND_200 0.0165

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Set-up calls that must work; counted, and checked once at the end. */
static int setup_failures;
#define MUST(x)                                                                                                        \
    do {                                                                                                               \
        if ((x) != BW_OK) {                                                                                            \
            setup_failures++;                                                                                          \
        }                                                                                                              \
    } while (0)

/* Calls whose failure is the point (out-of-memory runs). */
#define IGNORE(x)                                                                                                      \
    do {                                                                                                               \
        bw_status ignored_ = (x);                                                                                      \
        (void)ignored_;                                                                                                \
    } while (0)

static bw_buf ser_buf(void)
{
    bw_buf b;
    bw_buf_init(&b, 64 << 20);
    return b;
}

/* ---- hashing ------------------------------------------------------------ */

static void test_hash_known(void)
{
    static const uint8_t seq[100] = {0};
    uint8_t bytes[100];
    uint64_t x = 0x0123456789abcdefULL;
    uint8_t le[8];

    for (size_t i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)(i * 7 + 1);
    }
    for (int i = 0; i < 8; i++) {
        le[i] = (uint8_t)(x >> (8 * i));
    }
    /* fixed values: the serialised HLL sets and registers depend on them */
    ok(bw_hash64(NULL, 0, 0) == 0x5b87575bb0e6b0aeULL, "hash of nothing: %016llx",
       (unsigned long long)bw_hash64(NULL, 0, 0));
    ok(bw_hash64("a", 1, 0) == 0x7b706244759427c3ULL, "hash of 'a': %016llx", (unsigned long long)bw_hash64("a", 1, 0));
    ok(bw_hash64("abc", 3, 0) == 0x2e9f382d606bb27fULL, "hash of 'abc': %016llx",
       (unsigned long long)bw_hash64("abc", 3, 0));
    ok(bw_hash64("abcdefgh", 8, 0) == 0x91b0ba0bb13a8388ULL, "hash of 8 bytes: %016llx",
       (unsigned long long)bw_hash64("abcdefgh", 8, 0));
    ok(bw_hash64("0123456789abcdef", 16, 0) == 0xd869cbdff8fc88ffULL, "hash of 16 bytes: %016llx",
       (unsigned long long)bw_hash64("0123456789abcdef", 16, 0));
    ok(bw_hash64(bytes, 17, 0) == 0xd8ab2567e6fa5af9ULL, "hash of 17 bytes: %016llx",
       (unsigned long long)bw_hash64(bytes, 17, 0));
    ok(bw_hash64(bytes, 100, 0) == 0x8d84ac8a3767d78cULL, "hash of 100 bytes: %016llx",
       (unsigned long long)bw_hash64(bytes, 100, 0));
    ok(bw_hash64("abc", 3, 42) == 0xd5f64f230ffd2fb8ULL, "hash of 'abc' seed 42: %016llx",
       (unsigned long long)bw_hash64("abc", 3, 42));
    ok(bw_hash64_u64(0) == 0xa0f5ecabffe62925ULL, "hash64_u64(0): %016llx", (unsigned long long)bw_hash64_u64(0));
    ok(bw_hash64_u64(1) == 0xf53114c41da7dde0ULL, "hash64_u64(1): %016llx", (unsigned long long)bw_hash64_u64(1));
    ok(bw_hash64_u64(UINT64_MAX) == 0x44dfc07d46f9bf86ULL, "hash64_u64(max): %016llx",
       (unsigned long long)bw_hash64_u64(UINT64_MAX));

    /* loads are little-endian whatever the host: bytes, not a host word */
    ok(bw_hash64(le, 8, 0) == 0xfb34252cf5ea9780ULL, "the bytes of 0x0123456789abcdef, little-endian: %016llx",
       (unsigned long long)bw_hash64(le, 8, 0));
    ok(bw_hash64("abc", 3, 0) != bw_hash64("abc", 3, 1), "the seed changes the hash");
    /* zero bytes of different lengths differ: the length is part of the hash */
    {
        int distinct = 1;
        for (size_t n = 0; n < 100 && distinct; n++) {
            for (size_t m = n + 1; m <= 100; m++) {
                if (bw_hash64(seq, n, 0) == bw_hash64(seq, m, 0)) {
                    distinct = 0;
                    tap_diag("zero runs of %zu and %zu bytes collide", n, m);
                    break;
                }
            }
        }
        ok(distinct, "runs of zero bytes of lengths 0..100 all hash differently");
    }
}

/* Flip each input bit: on average half the 64 output bits must change, for every input bit. */
static void test_hash_avalanche(void)
{
    static const size_t lens[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 64};
    int trials = 100;
    double worst_mean = 32.0, worst_bit = 32.0;

    for (size_t li = 0; li < BW_ARRAY_LEN(lens); li++) {
        size_t len = lens[li];
        double sum = 0;

        for (size_t bit = 0; bit < len * 8; bit++) {
            double s = 0, dev;
            for (int t = 0; t < trials; t++) {
                uint8_t buf[64];
                uint64_t a, b;

                for (size_t i = 0; i < len; i++) {
                    buf[i] = (uint8_t)rnd();
                }
                a = bw_hash64(buf, len, 0);
                buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                b = bw_hash64(buf, len, 0);
                s += __builtin_popcountll(a ^ b);
            }
            s /= trials;
            sum += s;
            dev = fabs(s - 32.0);
            if (dev > fabs(worst_bit - 32.0)) {
                worst_bit = s;
            }
        }
        sum /= (double)(len * 8);
        if (fabs(sum - 32.0) > fabs(worst_mean - 32.0)) {
            worst_mean = sum;
        }
    }
    tap_diag("bw_hash64 avalanche: worst mean over a length %.3f, worst single input bit %.3f (of 64)", worst_mean,
             worst_bit);
    ok(fabs(worst_mean - 32.0) < 0.5, "bw_hash64: flipping a bit changes ~32 output bits on average (%.3f)",
       worst_mean);
    ok(fabs(worst_bit - 32.0) < 2.0, "bw_hash64: every input bit changes ~32 output bits (worst %.3f)", worst_bit);

    /* the number mixer and the seed, bit by bit */
    {
        double worst = 32.0;
        for (int bit = 0; bit < 64; bit++) {
            double s = 0, s2 = 0;
            for (int t = 0; t < 400; t++) {
                uint64_t x = rnd();
                s += __builtin_popcountll(bw_hash64_u64(x) ^ bw_hash64_u64(x ^ (1ULL << bit)));
                s2 += __builtin_popcountll(bw_hash64("seeded", 6, x) ^ bw_hash64("seeded", 6, x ^ (1ULL << bit)));
            }
            s /= 400;
            s2 /= 400;
            if (fabs(s - 32.0) > fabs(worst - 32.0)) {
                worst = s;
            }
            if (fabs(s2 - 32.0) > fabs(worst - 32.0)) {
                worst = s2;
            }
        }
        ok(fabs(worst - 32.0) < 1.5, "bw_hash64_u64 and the seed avalanche (worst input bit %.3f)", worst);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_hash_collisions(void)
{
    size_t n = 1000000, dup = 0;
    uint64_t *h = malloc(n * sizeof(*h));
    char key[32];

    if (h == NULL) {
        ok(0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(key, sizeof(key), "row-%zu", i);
        h[i] = bw_hash64(key, (size_t)len, 0);
    }
    qsort(h, n, sizeof(*h), cmp_u64);
    for (size_t i = 1; i < n; i++) {
        dup += h[i] == h[i - 1];
    }
    is_int(dup, 0, "no collisions among 1e6 short keys");
    free(h);
}

/* ---- HyperLogLog -------------------------------------------------------- */

/* Serialise, or a zero-length buffer on failure (which the callers' comparisons then catch). */
static bw_buf hll_bytes(const bw_hll *h)
{
    bw_buf b = ser_buf();
    if (bw_hll_serialize(h, &b) != BW_OK) {
        bw_buf_release(&b);
    }
    return b;
}

static int same_bytes(const bw_buf *a, const bw_buf *b)
{
    return a->len > 0 && a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

static void test_hll_new(void)
{
    bw_hll *h = NULL;
    bw_error err;

    bw_error_clear(&err);
    is_int(bw_hll_new(&h, 9, &err), BW_EINVAL, "p 9 refused");
    ok(h == NULL, "nothing handed out");
    like(err.msg, "precision 9", "message names the precision");
    is_int(bw_hll_new(&h, 19, NULL), BW_EINVAL, "p 19 refused");
    is_int(bw_hll_new(&h, 0, NULL), BW_OK, "p 0 means the default");
    is_int(bw_hll_precision(h), BW_HLL_DEFAULT_P, "default precision 16");
    ok(bw_hll_is_exact(h), "a new sketch is exact");
    ok(bw_hll_estimate(h) == 0.0, "empty estimate is 0");
    bw_hll_free(h);
    bw_hll_free(NULL);
}

static void test_hll_exact(void)
{
    for (unsigned p = BW_HLL_MIN_P; p <= BW_HLL_MAX_P; p += 6) {
        bw_hll *h = NULL;
        uint32_t limit = 1u << (p - 3);
        int good = 1;

        if (bw_hll_new(&h, p, NULL) != BW_OK) {
            ok(0, "new");
            continue;
        }
        for (uint32_t i = 0; i < limit && good; i++) {
            /* hash 0 is among the values, and every value comes twice */
            if (bw_hll_add_hash(h, i == 5 ? 0 : bw_hash64_u64(i)) != BW_OK ||
                bw_hll_add_hash(h, i == 5 ? 0 : bw_hash64_u64(i)) != BW_OK) {
                good = 0;
            }
            if (bw_hll_count(h) != i + 1 || !bw_hll_is_exact(h)) {
                good = 0;
                tap_diag("p %u: after %u distinct values the count is %llu", p, i + 1,
                         (unsigned long long)bw_hll_count(h));
            }
        }
        ok(good, "p %u: the count is exact at every n up to the limit %u", p, limit);
        is_int(bw_hll_add_hash(h, bw_hash64_u64(limit)), BW_OK, "p %u: one past the limit", p);
        ok(!bw_hll_is_exact(h), "p %u: registers after the limit", p);
        ok(fabs(bw_hll_estimate(h) / (limit + 1) - 1.0) < 0.05, "p %u: estimate %.1f for %u", p, bw_hll_estimate(h),
           limit + 1);
        bw_hll_free(h);
    }
}

static double hll_relerr(unsigned p, uint64_t n, uint64_t base)
{
    bw_hll *h = NULL;
    double e;

    if (bw_hll_new(&h, p, NULL) != BW_OK) {
        return INFINITY;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (bw_hll_add_hash(h, bw_hash64_u64(base + i)) != BW_OK) {
            bw_hll_free(h);
            return INFINITY;
        }
    }
    e = bw_hll_estimate(h) / (double)n - 1.0;
    bw_hll_free(h);
    return e;
}

static void test_hll_accuracy(void)
{
    double e6 = hll_relerr(16, 1000000, 0), e7 = hll_relerr(16, 10000000, 1ULL << 40);
    double rms = 0, worst = 0;
    int trials = 30;
    bw_hll *h = NULL;
    char key[32];

    tap_diag("hll p=16: relative error %+.4f%% at 1e6, %+.4f%% at 1e7", 100 * e6, 100 * e7);
    ok(fabs(e6) < 0.01, "p 16: within 1%% at 1e6 distinct (%+.3f%%)", 100 * e6);
    ok(fabs(e7) < 0.01, "p 16: within 1%% at 1e7 distinct (%+.3f%%)", 100 * e7);

    /* the standard error at p = 12 should be about 1.04 / 64 = 1.63%, at small and large n alike */
    for (int t = 0; t < trials; t++) {
        uint64_t n = t % 2 ? 3000 : 100000;
        double e = hll_relerr(12, n, (uint64_t)t << 32);
        rms += e * e;
        worst = BW_MAX(worst, fabs(e));
    }
    rms = sqrt(rms / trials);
    tap_diag("hll p=12: rms relative error %.3f%% over %d runs (theory 1.63%%), worst %.3f%%", 100 * rms, trials,
             100 * worst);
    ok(rms > 0.008 && rms < 0.025, "p 12: rms error %.3f%% near the theoretical 1.63%%", 100 * rms);

    /* strings through bw_hll_add, as profile feeds them */
    if (bw_hll_new(&h, 16, NULL) == BW_OK) {
        int good = 1;
        for (int i = 0; i < 1000000 && good; i++) {
            int len = snprintf(key, sizeof(key), "user-%d@example.com", i);
            good = bw_hll_add(h, key, (size_t)len) == BW_OK;
        }
        ok(good && fabs(bw_hll_estimate(h) / 1e6 - 1.0) < 0.01, "1e6 distinct strings within 1%% (%.0f)",
           bw_hll_estimate(h));
        bw_hll_free(h);
    }
}

/* Shards of one stream merge into exactly the single-pass sketch. */
static void hll_shards(unsigned p, unsigned shard_p, uint64_t n, int nshards, const char *what)
{
    bw_hll *all = NULL, *sh[8] = {NULL};
    bw_buf a, b;
    int good = 1;

    good &= bw_hll_new(&all, BW_MIN(p, shard_p), NULL) == BW_OK;
    for (int s = 0; s < nshards; s++) {
        good &= bw_hll_new(&sh[s], s == 0 ? p : shard_p, NULL) == BW_OK;
    }
    for (uint64_t i = 0; i < n && good; i++) {
        uint64_t x = bw_hash64_u64(i % (n / 2 + 1)); /* each value about twice, in different shards */
        good &= bw_hll_add_hash(all, x) == BW_OK;
        good &= bw_hll_add_hash(sh[rnd() % (uint64_t)nshards], x) == BW_OK;
    }
    for (int s = 1; s < nshards; s++) {
        good &= bw_hll_merge(sh[0], sh[s]) == BW_OK;
    }
    ok(good, "%s: built and merged", what);
    a = hll_bytes(all);
    b = hll_bytes(sh[0]);
    ok(same_bytes(&a, &b), "%s: merged shards serialise exactly as one pass", what);
    ok(bw_hll_estimate(all) == bw_hll_estimate(sh[0]), "%s: same estimate %.1f", what, bw_hll_estimate(sh[0]));
    is_int(bw_hll_is_exact(all), bw_hll_is_exact(sh[0]), "%s: same mode", what);
    is_int(bw_hll_precision(sh[0]), BW_MIN(p, shard_p), "%s: merged at the smaller precision", what);
    bw_buf_release(&a);
    bw_buf_release(&b);
    bw_hll_free(all);
    for (int s = 0; s < nshards; s++) {
        bw_hll_free(sh[s]);
    }
}

static void test_hll_merge(void)
{
    bw_hll *h = NULL;
    bw_buf a, b;

    hll_shards(16, 16, 1000000, 2, "two halves, dense");
    hll_shards(16, 16, 2000000, 8, "eight shards, dense");
    hll_shards(16, 16, 6000, 4, "four shards, exact");
    hll_shards(12, 12, 1200, 3, "three exact shards whose union is dense");
    hll_shards(16, 14, 500000, 4, "p 16 with p 14 shards");
    hll_shards(14, 18, 500000, 2, "p 14 with a p 18 shard");
    hll_shards(18, 10, 3000, 2, "exact p 18 with a dense p 10 shard");
    hll_shards(16, 12, 2000, 2, "p 16 with a p 12 shard, small");
    hll_shards(16, 12, 400, 2, "exact p 16 folded into exact p 12");

    /* merging a sketch into itself changes nothing */
    if (bw_hll_new(&h, 12, NULL) == BW_OK) {
        for (int i = 0; i < 5000; i++) {
            MUST(bw_hll_add_hash(h, bw_hash64_u64((uint64_t)i)));
        }
        a = hll_bytes(h);
        is_int(bw_hll_merge(h, h), BW_OK, "merge with itself");
        b = hll_bytes(h);
        ok(same_bytes(&a, &b), "merge with itself is a no-op");
        bw_buf_release(&a);
        bw_buf_release(&b);
        bw_hll_free(h);
    }
}

/* Every proper prefix is BW_EFORMAT with nothing handed out; the whole reads back to the same bytes. */
static void check_prefixes(const bw_buf *b, bw_status (*des)(void *, const void *, size_t, bw_error *),
                           void (*fre)(void *), const char *what)
{
    int good = 1;
    void *s = NULL;
    bw_error err;
    uint8_t *copy = malloc(b->len + 1);

    if (copy == NULL) {
        ok(0, "out of memory");
        return;
    }
    for (size_t n = 0; n < b->len && good; n++) {
        bw_error_clear(&err);
        memcpy(copy, b->ptr, n); /* exactly n bytes, so ASan sees a read past them */
        if (des(&s, copy, n, &err) != BW_EFORMAT || s != NULL || err.code != BW_EFORMAT || err.offset > n) {
            good = 0;
            tap_diag("%s: prefix of %zu bytes not refused properly (%s)", what, n, err.msg);
            fre(s);
            s = NULL;
        }
    }
    ok(good, "%s: every one of %zu truncations refused with BW_EFORMAT", what, b->len);
    memcpy(copy, b->ptr, b->len);
    copy[b->len] = 0;
    bw_error_clear(&err);
    is_int(des(&s, copy, b->len + 1, &err), BW_EFORMAT, "%s: a trailing byte is refused", what);
    like(err.msg, "trailing", "%s: message says trailing", what);
    free(copy);
}

static bw_status hll_des(void *out, const void *p, size_t n, bw_error *err)
{
    return bw_hll_deserialize(out, p, n, err);
}
static void hll_fre(void *s)
{
    bw_hll_free(s);
}

/* Deserialise `n` bytes expecting BW_EFORMAT at `off` with `needle` in the message. */
#define EXPECT_LIE(des, fre, bytes, n, off, needle, what)                                                              \
    do {                                                                                                               \
        void *s_ = NULL;                                                                                               \
        bw_error e_;                                                                                                   \
        bw_error_clear(&e_);                                                                                           \
        is_int(des(&s_, (bytes), (n), &e_), BW_EFORMAT, "%s: refused", (what));                                        \
        ok(s_ == NULL, "%s: nothing handed out", (what));                                                              \
        is_int(e_.offset, (off), "%s: offset", (what));                                                                \
        like(e_.msg, (needle), "%s: message", (what));                                                                 \
        fre(s_);                                                                                                       \
    } while (0)

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void test_hll_serialize(void)
{
    bw_hll *ex = NULL, *de = NULL, *back = NULL;
    bw_buf a, b;
    uint8_t *m = NULL;

    if (bw_hll_new(&ex, 10, NULL) != BW_OK || bw_hll_new(&de, 10, NULL) != BW_OK) {
        ok(0, "new");
        return;
    }
    for (int i = 0; i < 100; i++) {
        MUST(bw_hll_add_hash(ex, bw_hash64_u64((uint64_t)i)));
    }
    MUST(bw_hll_add_hash(ex, 0));
    for (int i = 0; i < 20000; i++) {
        MUST(bw_hll_add_hash(de, bw_hash64_u64((uint64_t)i)));
    }
    /* exact: header, p, mode, n, hashes */
    a = hll_bytes(ex);
    is_int(a.len, 6 + 2 + 4 + 101 * 8, "exact sketch of 101 hashes is 822 bytes");
    is_mem(a.ptr, "BWSK\x01\x01\x0a\x00", 8, "exact header");
    is_int(bw_hll_deserialize(&back, a.ptr, a.len, NULL), BW_OK, "exact reads back");
    b = hll_bytes(back);
    ok(same_bytes(&a, &b), "exact round trip is byte-identical");
    ok(back != NULL && bw_hll_is_exact(back) && bw_hll_count(back) == 101, "exact round trip keeps the count");
    bw_hll_free(back);
    back = NULL;
    bw_buf_release(&b);
    check_prefixes(&a, hll_des, hll_fre, "hll exact");

    /* lies in an exact sketch */
    m = malloc(a.len);
    if (m != NULL) {
        memcpy(m, a.ptr, a.len);
        m[0] = 'X';
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 0, "bad magic", "hll bad magic");
        memcpy(m, a.ptr, a.len);
        m[4] = 2;
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 4, "version 2", "hll version 2");
        memcpy(m, a.ptr, a.len);
        m[5] = BW_SKETCH_KLL;
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 5, "expected an hll sketch", "a kll where an hll should be");
        memcpy(m, a.ptr, a.len);
        m[6] = 9;
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 6, "precision 9", "hll p 9");
        m[6] = 19;
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 6, "precision 19", "hll p 19");
        memcpy(m, a.ptr, a.len);
        m[7] = 2;
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 7, "mode 2", "hll mode 2");
        memcpy(m, a.ptr, a.len);
        m[8] = 129; /* 129 hashes claimed at p 10, limit 128 */
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 8, "over the limit", "hll set over the limit");
        memcpy(m, a.ptr, a.len);
        m[8] = 102; /* one more than there is */
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 12, "truncated", "hll count longer than the data");
        memcpy(m, a.ptr, a.len);
        m[8] = 100; /* one fewer: a hash is left over */
        EXPECT_LIE(hll_des, hll_fre, m, a.len, a.len - 8, "trailing", "hll count shorter than the data");
        memcpy(m, a.ptr, a.len);
        memcpy(m + 12 + 8 * 50, m + 12 + 8 * 49, 8); /* a repeated hash */
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 12 + 8 * 50, "not above", "hll repeated hash");
        memcpy(m, a.ptr, a.len);
        put64(m + 12 + 8 * 30, 0xffffffffffffffffULL); /* out of order */
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 12 + 8 * 31, "not above", "hll hashes out of order");
        free(m);
    }
    bw_buf_release(&a);

    /* dense: header, p, mode, 2^10 registers packed in 768 bytes */
    a = hll_bytes(de);
    is_int(a.len, 6 + 2 + 768, "dense p 10 sketch is 776 bytes");
    is_int(bw_hll_deserialize(&back, a.ptr, a.len, NULL), BW_OK, "dense reads back");
    b = hll_bytes(back);
    ok(same_bytes(&a, &b), "dense round trip is byte-identical");
    ok(back != NULL && bw_hll_estimate(back) == bw_hll_estimate(de), "dense round trip keeps the estimate");
    bw_hll_free(back);
    back = NULL;
    bw_buf_release(&b);
    check_prefixes(&a, hll_des, hll_fre, "hll dense");
    m = malloc(a.len);
    if (m != NULL) {
        /* register 5 (bits 6..11 of the second 3-byte group) set to 56, one over 65 - 10 */
        memcpy(m, a.ptr, a.len);
        m[8 + 3] = (uint8_t)((m[8 + 3] & 0x3f) | ((56 & 3) << 6));
        m[8 + 4] = (uint8_t)((m[8 + 4] & 0xf0) | (56 >> 2));
        EXPECT_LIE(hll_des, hll_fre, m, a.len, 11, "register 5 is 56", "hll register over 65 - p");
        /* 55 is the largest a p 10 register holds */
        m[8 + 3] = (uint8_t)((m[8 + 3] & 0x3f) | ((55 & 3) << 6));
        m[8 + 4] = (uint8_t)((m[8 + 4] & 0xf0) | (55 >> 2));
        is_int(bw_hll_deserialize(&back, m, a.len, NULL), BW_OK, "register 55 at p 10 is fine");
        bw_hll_free(back);
        back = NULL;
        free(m);
    }
    /* several sketches in a row through one reader */
    {
        bw_buf two = ser_buf();
        bw_rd rd;
        bw_hll *x = NULL, *y = NULL;

        MUST(bw_hll_serialize(de, &two));
        MUST(bw_hll_serialize(ex, &two));
        bw_rd_init(&rd, two.ptr, two.len, "two", NULL);
        ok(bw_hll_read(&x, &rd) == BW_OK && bw_hll_read(&y, &rd) == BW_OK && bw_rd_eof(&rd),
           "two sketches read in a row");
        ok(x != NULL && y != NULL && !bw_hll_is_exact(x) && bw_hll_is_exact(y), "in order");
        bw_hll_free(x);
        bw_hll_free(y);
        bw_buf_release(&two);
    }
    bw_buf_release(&a);
    bw_hll_free(ex);
    bw_hll_free(de);
}

/* ---- KLL ---------------------------------------------------------------- */

#define KN 1000000

/* Largest |estimated - true rank| over 1001 points of 0..KN-1, the values being a permutation of 0..KN-1. */
static double kll_rank_err(const bw_kll *s)
{
    double worst = 0;

    for (int j = 0; j <= 1000; j++) {
        double x = floor((double)j * (KN - 1) / 1000);
        worst = BW_MAX(worst, fabs(bw_kll_rank(s, x) - (x + 1) / KN));
    }
    return worst;
}

/* Largest distance of q from the true rank interval of the value returned for it, over q = 0.001..0.999. */
static double kll_quantile_err(const bw_kll *s)
{
    double qs[999], out[999], worst = 0;

    for (int i = 0; i < 999; i++) {
        qs[i] = (i + 1) / 1000.0;
    }
    if (bw_kll_quantiles(s, qs, 999, out) != BW_OK) {
        return INFINITY;
    }
    for (int i = 0; i < 999; i++) {
        double r = (out[i] + 1) / KN; /* values are 0..KN-1, each once */
        worst = BW_MAX(worst, fabs(r - qs[i]));
    }
    return worst;
}

static double *kll_perm(void)
{
    double *v = malloc(KN * sizeof(*v));

    if (v == NULL) {
        return NULL;
    }
    for (int i = 0; i < KN; i++) {
        v[i] = i;
    }
    for (int i = KN - 1; i > 0; i--) {
        int j = (int)(rnd() % (uint64_t)(i + 1));
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    return v;
}

static void test_kll_basic(void)
{
    bw_kll *s = NULL;
    double q = 0, qs[3] = {0, 0.5, 1}, out[3];
    bw_error err;

    bw_error_clear(&err);
    is_int(bw_kll_new(&s, 7, 0, &err), BW_EINVAL, "k 7 refused");
    like(err.msg, "k 7", "message names k");
    is_int(bw_kll_new(&s, BW_KLL_MAX_K + 1, 0, NULL), BW_EINVAL, "k over the maximum refused");
    ok(s == NULL, "nothing handed out");
    is_int(bw_kll_new(&s, 0, 0, NULL), BW_OK, "k 0 means the default");
    if (s == NULL) {
        return;
    }
    is_int(bw_kll_k(s), 200, "default k 200");
    ok(isnan(bw_kll_min(s)) && isnan(bw_kll_max(s)) && bw_kll_count(s) == 0, "empty: no min, max or count");
    ok(isnan(bw_kll_rank(s, 1.0)), "empty: rank is NaN");
    is_int(bw_kll_quantile(s, 0.5, &q), BW_EINVAL, "empty: no quantile");

    /* few values are all kept: ranks and quantiles exact */
    for (int i = 100; i >= 1; i--) {
        MUST(bw_kll_add(s, (double)i));
    }
    is_int(bw_kll_add(s, NAN), BW_OK, "NaN is accepted");
    is_int(bw_kll_count(s), 100, "and ignored");
    ok(bw_kll_rank(s, 50) == 0.5 && bw_kll_rank(s, 0.5) == 0.0 && bw_kll_rank(s, 100) == 1.0 &&
           bw_kll_rank(s, 37.5) == 0.37,
       "ranks of 100 values are exact");
    ok(isnan(bw_kll_rank(s, NAN)), "rank of NaN is NaN");
    is_int(bw_kll_quantiles(s, qs, 3, out), BW_OK, "quantiles");
    ok(out[0] == 1 && out[1] == 50 && out[2] == 100, "min, median, max exact (%g %g %g)", out[0], out[1], out[2]);
    is_int(bw_kll_quantile(s, 0.25, &q), BW_OK, "one quantile");
    ok(q == 25, "q 0.25 of 1..100 is 25 (%g)", q);
    is_int(bw_kll_quantile(s, 1.5, &q), BW_EINVAL, "q over 1 refused");
    is_int(bw_kll_quantile(s, NAN, &q), BW_EINVAL, "q NaN refused");

    /* infinities are values, and min and max stay exact */
    MUST(bw_kll_add(s, -INFINITY));
    MUST(bw_kll_add(s, INFINITY));
    for (int i = 0; i < 100000; i++) {
        MUST(bw_kll_add(s, (double)(rnd() % 1000) - 500));
    }
    ok(bw_kll_min(s) == -INFINITY && bw_kll_max(s) == INFINITY, "infinite min and max kept exactly");
    is_int(bw_kll_count(s), 100102, "count exact");
    ok(bw_kll_quantile(s, 0, &q) == BW_OK && q == -INFINITY, "q 0 is the min");
    ok(bw_kll_quantile(s, 1, &q) == BW_OK && q == INFINITY, "q 1 is the max");
    bw_kll_free(s);
    bw_kll_free(NULL);
}

static void kll_check(bw_kll *s, const char *what)
{
    double re = kll_rank_err(s), qe = kll_quantile_err(s);

    tap_diag("kll k=200 %s: max rank error %.4f%%, max quantile rank error %.4f%%", what, 100 * re, 100 * qe);
    ok(re < KLL_BOUND_200, "%s: rank error %.3f%% within %.2f%%", what, 100 * re, 100 * KLL_BOUND_200);
    ok(qe < KLL_BOUND_200, "%s: quantile error %.3f%% within %.2f%%", what, 100 * qe, 100 * KLL_BOUND_200);
    is_int(bw_kll_count(s), KN, "%s: count exact", what);
    ok(bw_kll_min(s) == 0 && bw_kll_max(s) == KN - 1, "%s: min and max exact", what);
}

static void test_kll_accuracy(void)
{
    double *v = kll_perm();
    bw_kll *s = NULL, *sh[8] = {NULL};
    int good = 1;

    if (v == NULL) {
        ok(0, "out of memory");
        return;
    }
    for (int order = 0; order < 3; order++) {
        static const char *const names[] = {"random order", "sorted", "reverse sorted"};
        if (bw_kll_new(&s, 200, 0, NULL) != BW_OK) {
            continue;
        }
        for (int i = 0; i < KN && good; i++) {
            good = bw_kll_add(s, order == 0 ? v[i] : order == 1 ? i : KN - 1 - i) == BW_OK;
        }
        kll_check(s, names[order]);
        bw_kll_free(s);
    }

    /* eight shards with different seeds, merged */
    for (int k = 0; k < 8; k++) {
        good &= bw_kll_new(&sh[k], 200, (uint64_t)k + 1, NULL) == BW_OK;
    }
    for (int i = 0; i < KN && good; i++) {
        good = bw_kll_add(sh[(size_t)i * 8 / KN], v[i]) == BW_OK;
    }
    for (int k = 1; k < 8 && good; k++) {
        good = bw_kll_merge(sh[0], sh[k]) == BW_OK;
    }
    ok(good, "eight shards built and merged");
    if (good) {
        kll_check(sh[0], "8 shards merged");
    }
    /* a tree of merges: (0+1)+(2+3) etc. gives the same guarantee */
    for (int k = 0; k < 8; k++) {
        bw_kll_free(sh[k]);
        sh[k] = NULL;
        good &= bw_kll_new(&sh[k], 200, 0, NULL) == BW_OK;
    }
    for (int i = 0; i < KN && good; i++) {
        good = bw_kll_add(sh[rnd() % 8], v[i]) == BW_OK;
    }
    for (int step = 1; step < 8 && good; step *= 2) {
        for (int k = 0; k + step < 8; k += 2 * step) {
            good &= bw_kll_merge(sh[k], sh[k + step]) == BW_OK;
        }
    }
    if (good) {
        kll_check(sh[0], "8 interleaved shards merged as a tree");
    }
    for (int k = 0; k < 8; k++) {
        bw_kll_free(sh[k]);
    }
    free(v);
}

/* Values 0..9 with heavy, skewed multiplicities: the rank of each must be right within the bound. */
static void test_kll_duplicates(void)
{
    static const double share[10] = {0.30, 0.25, 0.15, 0.10, 0.08, 0.05, 0.04, 0.02, 0.006, 0.004};
    uint64_t cnt[10] = {0};
    bw_kll *s = NULL;
    double worst = 0, worstq = 0, qs[99], out[99];
    int good = 1;

    if (bw_kll_new(&s, 200, 0, NULL) != BW_OK) {
        return;
    }
    for (int i = 0; i < KN && good; i++) {
        double u = (double)(rnd() >> 11) / 9007199254740992.0, c = 0;
        int v = 9;
        for (int j = 0; j < 10; j++) {
            c += share[j];
            if (u < c) {
                v = j;
                break;
            }
        }
        cnt[v]++;
        good = bw_kll_add(s, v) == BW_OK;
    }
    for (int j = 0; j < 10; j++) {
        uint64_t le = 0;
        for (int i = 0; i <= j; i++) {
            le += cnt[i];
        }
        worst = BW_MAX(worst, fabs(bw_kll_rank(s, j) - (double)le / KN));
    }
    for (int i = 0; i < 99; i++) {
        qs[i] = (i + 1) / 100.0;
    }
    good &= bw_kll_quantiles(s, qs, 99, out) == BW_OK;
    for (int i = 0; i < 99 && good; i++) {
        /* the true rank interval of the value returned: [rank(< v), rank(<= v)] */
        uint64_t lt = 0;
        int v = (int)out[i];
        double lo, hi, d;
        for (int j = 0; j < v; j++) {
            lt += cnt[j];
        }
        lo = (double)lt / KN;
        hi = (double)(lt + cnt[v]) / KN;
        d = qs[i] < lo ? lo - qs[i] : qs[i] > hi ? qs[i] - hi : 0;
        worstq = BW_MAX(worstq, d);
    }
    tap_diag("kll k=200 heavy duplicates: max rank error %.4f%%, max quantile error %.4f%%", 100 * worst, 100 * worstq);
    ok(good && worst < KLL_BOUND_200, "heavy duplicates: rank error %.3f%% within the bound", 100 * worst);
    ok(good && worstq < KLL_BOUND_200, "heavy duplicates: quantile error %.3f%% within the bound", 100 * worstq);
    ok(bw_kll_min(s) == 0 && bw_kll_max(s) == 9, "heavy duplicates: min and max exact");
    bw_kll_free(s);
}

static bw_buf kll_bytes(const bw_kll *s)
{
    bw_buf b = ser_buf();
    if (bw_kll_serialize(s, &b) != BW_OK) {
        bw_buf_release(&b);
    }
    return b;
}

static bw_status kll_des(void *out, const void *p, size_t n, bw_error *err)
{
    return bw_kll_deserialize(out, p, n, err);
}
static void kll_fre(void *s)
{
    bw_kll_free(s);
}

static void test_kll_merge_rules(void)
{
    bw_kll *a = NULL, *b = NULL, *c = NULL;
    bw_buf x, y;
    double q1 = 0, q2 = 0;

    if (bw_kll_new(&a, 200, 7, NULL) != BW_OK || bw_kll_new(&b, 100, 7, NULL) != BW_OK ||
        bw_kll_new(&c, 200, 7, NULL) != BW_OK) {
        ok(0, "new");
        return;
    }
    for (int i = 0; i < 50000; i++) {
        MUST(bw_kll_add(a, (double)(rnd() % 100000)));
        MUST(bw_kll_add(b, 1.0));
    }
    x = kll_bytes(a);
    is_int(bw_kll_merge(a, b), BW_EINVAL, "different k refused");
    y = kll_bytes(a);
    ok(same_bytes(&x, &y), "refused merge leaves the sketch alone");
    bw_buf_release(&y);
    is_int(bw_kll_merge(a, c), BW_OK, "merging an empty sketch");
    y = kll_bytes(a);
    ok(same_bytes(&x, &y), "merging an empty sketch changes nothing");
    bw_buf_release(&y);
    is_int(bw_kll_merge(c, a), BW_OK, "merging into an empty sketch");
    ok(bw_kll_count(c) == 50000 && bw_kll_min(c) == bw_kll_min(a) && bw_kll_max(c) == bw_kll_max(a),
       "count, min and max carried over");
    MUST(bw_kll_quantile(a, 0.5, &q1));
    is_int(bw_kll_merge(a, a), BW_OK, "merge with itself");
    is_int(bw_kll_count(a), 100000, "merge with itself doubles the count");
    MUST(bw_kll_quantile(a, 0.5, &q2));
    ok(fabs(q1 - q2) < 0.02 * 100000, "and keeps the median (%g, %g)", q1, q2);
    bw_buf_release(&x);

    /* the same values in the same order with the same seed give the same bytes */
    {
        bw_kll *r1 = NULL, *r2 = NULL, *r3 = NULL;
        if (bw_kll_new(&r1, 0, 99, NULL) == BW_OK && bw_kll_new(&r2, 0, 99, NULL) == BW_OK &&
            bw_kll_new(&r3, 0, 100, NULL) == BW_OK) {
            for (int i = 0; i < 100000; i++) {
                double v = (double)(bw_hash64_u64((uint64_t)i) >> 11);
                MUST(bw_kll_add(r1, v));
                MUST(bw_kll_add(r2, v));
                MUST(bw_kll_add(r3, v));
            }
            x = kll_bytes(r1);
            y = kll_bytes(r2);
            ok(same_bytes(&x, &y), "reproducible: same seed, same bytes");
            bw_buf_release(&y);
            y = kll_bytes(r3);
            ok(x.len > 0 && !same_bytes(&x, &y), "another seed flips other coins");
            bw_buf_release(&x);
            bw_buf_release(&y);
        }
        bw_kll_free(r1);
        bw_kll_free(r2);
        bw_kll_free(r3);
    }
    bw_kll_free(a);
    bw_kll_free(b);
    bw_kll_free(c);
}

/* Offsets into a serialised kll sketch with count > 0. */
#define KLL_OFF_K 6
#define KLL_OFF_NLEV 8
#define KLL_OFF_COUNT 9
#define KLL_OFF_RNG 17
#define KLL_OFF_MIN 25
#define KLL_OFF_MAX 33
#define KLL_OFF_L0 41

static void putf(uint8_t *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    put64(p, u);
}

static void test_kll_serialize(void)
{
    bw_kll *s = NULL, *back = NULL, *e = NULL;
    bw_buf a, b;
    uint8_t *m;
    uint32_t n0 = 0;
    size_t l1;

    if (bw_kll_new(&s, 16, 0, NULL) != BW_OK || bw_kll_new(&e, 16, 0, NULL) != BW_OK) {
        ok(0, "new");
        return;
    }
    /* empty: header, k, levels, count, coin state, one empty level */
    a = kll_bytes(e);
    is_int(a.len, 6 + 2 + 1 + 8 + 8 + 4, "empty sketch is 29 bytes");
    is_int(bw_kll_deserialize(&back, a.ptr, a.len, NULL), BW_OK, "empty reads back");
    b = kll_bytes(back);
    ok(same_bytes(&a, &b), "empty round trip is byte-identical");
    ok(back != NULL && bw_kll_count(back) == 0 && isnan(bw_kll_min(back)), "empty after the round trip");
    bw_kll_free(back);
    back = NULL;
    bw_buf_release(&b);
    check_prefixes(&a, kll_des, kll_fre, "kll empty");
    bw_buf_release(&a);

    for (int i = 0; i < 1000; i++) {
        MUST(bw_kll_add(s, (double)(rnd() % 1000)));
    }
    MUST(bw_kll_add(s, -0.0));
    a = kll_bytes(s);
    is_int(bw_kll_deserialize(&back, a.ptr, a.len, NULL), BW_OK, "kll reads back");
    b = kll_bytes(back);
    ok(same_bytes(&a, &b), "kll round trip is byte-identical");
    if (back != NULL) {
        double q1, q2;
        int same = 1;
        for (int i = 0; i < 1000 && same; i++) {
            same = bw_kll_add(s, i) == BW_OK && bw_kll_add(back, i) == BW_OK;
        }
        bw_buf_release(&b);
        bw_buf_release(&a);
        a = kll_bytes(s);
        b = kll_bytes(back);
        ok(same && same_bytes(&a, &b), "the read sketch goes on exactly as the original (coin state kept)");
        ok(bw_kll_quantile(s, 0.3, &q1) == BW_OK && bw_kll_quantile(back, 0.3, &q2) == BW_OK && q1 == q2,
           "same quantiles");
    }
    bw_kll_free(back);
    back = NULL;
    bw_buf_release(&b);
    check_prefixes(&a, kll_des, kll_fre, "kll");

    /* lies */
    m = malloc(a.len + 16);
    if (m == NULL) {
        bw_buf_release(&a);
        return;
    }
    /* walk to the first level above 0 holding two items or more (little-endian host assumed here only) */
    l1 = KLL_OFF_L0;
    for (unsigned h = 0; h < (uint8_t)a.ptr[KLL_OFF_NLEV]; h++) {
        memcpy(&n0, a.ptr + l1, 4);
        if (h > 0 && n0 >= 2) {
            break;
        }
        l1 += 4 + 8 * (size_t)n0;
    }
    {
        double second;
        memcpy(&second, a.ptr + l1 + 12, 8);
        ok(n0 >= 2 && l1 + 20 <= a.len && second < bw_kll_max(s), "found a level with two items below the max at %zu",
           l1);
    }

    memcpy(m, a.ptr, a.len);
    m[KLL_OFF_K] = 7;
    EXPECT_LIE(kll_des, kll_fre, m, a.len, KLL_OFF_K, "k 7", "kll k 7");
    memcpy(m, a.ptr, a.len);
    m[KLL_OFF_NLEV] = 0;
    EXPECT_LIE(kll_des, kll_fre, m, a.len, KLL_OFF_NLEV, "0 levels", "kll 0 levels");
    m[KLL_OFF_NLEV] = BW_KLL_MAX_LEVELS + 1;
    EXPECT_LIE(kll_des, kll_fre, m, a.len, KLL_OFF_NLEV, "61 levels", "kll 61 levels");
    memcpy(m, a.ptr, a.len);
    put64(m + KLL_OFF_RNG, 0);
    EXPECT_LIE(kll_des, kll_fre, m, a.len, KLL_OFF_RNG, "coin state", "kll coin state 0");
    memcpy(m, a.ptr, a.len);
    putf(m + KLL_OFF_MIN, 2000.0);
    EXPECT_LIE(kll_des, kll_fre, m, a.len, KLL_OFF_MIN, "not an interval", "kll min over max");
    memcpy(m, a.ptr, a.len);
    putf(m + KLL_OFF_MAX, NAN);
    EXPECT_LIE(kll_des, kll_fre, m, a.len, KLL_OFF_MIN, "not an interval", "kll NaN max");
    memcpy(m, a.ptr, a.len);
    putf(m + l1 + 4, 5000.0);
    EXPECT_LIE(kll_des, kll_fre, m, a.len, l1 + 4, "outside", "kll item over max");
    memcpy(m, a.ptr, a.len);
    putf(m + l1 + 4, NAN);
    EXPECT_LIE(kll_des, kll_fre, m, a.len, l1 + 4, "NaN", "kll NaN item");
    memcpy(m, a.ptr, a.len);
    putf(m + l1 + 4, bw_kll_max(s)); /* levels above 0 are sorted: the first item cannot be the largest */
    EXPECT_LIE(kll_des, kll_fre, m, a.len, l1 + 12, "not sorted", "kll level unsorted");
    memcpy(m, a.ptr, a.len);
    put64(m + KLL_OFF_COUNT, bw_kll_count(s) + 1);
    EXPECT_LIE(kll_des, kll_fre, m, a.len, KLL_OFF_COUNT, "levels weigh", "kll count that the levels do not make");
    memcpy(m, a.ptr, a.len);
    m[l1] = 0xff; /* level 1 claims more items than the whole sketch can hold */
    m[l1 + 1] = 0xff;
    EXPECT_LIE(kll_des, kll_fre, m, a.len, l1, "over the capacity", "kll level over capacity");
    memcpy(m, a.ptr, a.len);
    m[l1] = (uint8_t)(m[l1] + 1); /* one more item than there is, within the capacity */
    {
        bw_kll *x = NULL;
        is_int(bw_kll_deserialize(&x, m, a.len, NULL), BW_EFORMAT, "kll level count longer than its items");
        bw_kll_free(x);
    }
    /* an extra, empty top level */
    memcpy(m, a.ptr, a.len);
    memset(m + a.len, 0, 4);
    m[KLL_OFF_NLEV]++;
    EXPECT_LIE(kll_des, kll_fre, m, a.len + 4, a.len + 4, "top level", "kll empty top level");
    free(m);
    bw_buf_release(&a);
    bw_kll_free(s);
    bw_kll_free(e);
}

/* ---- top values --------------------------------------------------------- */

static bw_buf topk_bytes(const bw_topk *t)
{
    bw_buf b = ser_buf();
    if (bw_topk_serialize(t, &b) != BW_OK) {
        bw_buf_release(&b);
    }
    return b;
}

static bw_status topk_des(void *out, const void *p, size_t n, bw_error *err)
{
    return bw_topk_deserialize(out, p, n, err);
}
static void topk_fre(void *s)
{
    bw_topk_free(s);
}

/* The number in a "v<number>" key (keys are not NUL-terminated). */
static int key_num(const bw_topk_item *it)
{
    char s[32];
    size_t n = BW_MIN(it->len, sizeof(s) - 1);

    memcpy(s, it->key, n);
    s[n] = '\0';
    return n > 1 && s[0] == 'v' ? (int)strtol(s + 1, NULL, 10) : -1;
}

static int key_is(const bw_topk_item *it, const char *s)
{
    return it->len == strlen(s) && memcmp(it->key, s, it->len) == 0;
}

static void test_topk_exact(void)
{
    bw_topk *t = NULL;
    bw_topk_item items[200];
    size_t n = 0;
    int order[5050], m = 0, good = 1;
    char key[16];

    is_int(bw_topk_new(&t, BW_TOPK_MAX_CAPACITY + 1, NULL), BW_EINVAL, "capacity over the maximum refused");
    is_int(bw_topk_new(&t, 0, NULL), BW_OK, "capacity 0 means the default");
    if (t == NULL) {
        return;
    }
    is_int(bw_topk_capacity(t), BW_TOPK_DEFAULT_CAPACITY, "default capacity");
    /* value i appears i + 1 times, 100 distinct values, shuffled */
    for (int i = 0; i < 100; i++) {
        for (int j = 0; j <= i; j++) {
            order[m++] = i;
        }
    }
    for (int i = m - 1; i > 0; i--) {
        int j = (int)(rnd() % (uint64_t)(i + 1)), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (int i = 0; i < m && good; i++) {
        int len = snprintf(key, sizeof(key), "v%d", order[i]);
        good = bw_topk_add(t, key, (size_t)len) == BW_OK;
    }
    ok(good, "5050 values added");
    ok(bw_topk_is_exact(t) && bw_topk_size(t) == 100 && bw_topk_total(t) == 5050 && bw_topk_floor(t) == 0,
       "exact, 100 tracked, total 5050, floor 0");
    is_int(bw_topk_items(t, items, 200, &n), BW_OK, "items");
    is_int(n, 100, "all 100 reported");
    for (size_t i = 0; i < n && good; i++) {
        snprintf(key, sizeof(key), "v%zu", 99 - i);
        good = key_is(&items[i], key) && items[i].count == 100 - i && items[i].err == 0 && !items[i].truncated;
        if (!good) {
            tap_diag("item %zu: '%.*s' %llu", i, (int)items[i].len, (const char *)items[i].key,
                     (unsigned long long)items[i].count);
        }
    }
    ok(good, "exact counts, in order, no error");
    is_int(bw_topk_items(t, items, 3, &n), BW_OK, "top 3");
    ok(n == 3 && key_is(&items[0], "v99") && key_is(&items[2], "v97"), "top 3 are v99 v98 v97");

    /* ties are ordered by key bytes, shorter first */
    {
        bw_topk *u = NULL;
        if (bw_topk_new(&u, 8, NULL) == BW_OK) {
            MUST(bw_topk_add(u, "b", 1));
            MUST(bw_topk_add(u, "ab", 2));
            MUST(bw_topk_add(u, "a", 1));
            MUST(bw_topk_add(u, NULL, 0));
            ok(bw_topk_items(u, items, 8, &n) == BW_OK && n == 4 && items[0].len == 0 && key_is(&items[1], "a") &&
                   key_is(&items[2], "ab") && key_is(&items[3], "b"),
               "ties by key: '', a, ab, b");
            bw_topk_free(u);
        }
    }
    bw_topk_free(t);
    bw_topk_free(NULL);
}

static void test_topk_truncate(void)
{
    bw_topk *t = NULL;
    uint8_t a[300], b[300];
    bw_topk_item it[4];
    size_t n = 0;

    if (bw_topk_new(&t, 4, NULL) != BW_OK) {
        return;
    }
    memset(a, 'x', sizeof(a));
    memcpy(b, a, sizeof(b));
    b[299] = 'y'; /* differs only past the 256 bytes kept */
    MUST(bw_topk_add(t, a, sizeof(a)));
    MUST(bw_topk_add(t, b, sizeof(b)));
    MUST(bw_topk_add(t, a, 256));
    MUST(bw_topk_add(t, a, 255));
    ok(bw_topk_items(t, it, 4, &n) == BW_OK && n == 2, "two counters for four long values");
    ok(n == 2 && it[0].len == BW_TOPK_MAX_KEY && it[0].count == 3 && it[0].truncated,
       "values sharing their first 256 bytes count together, marked truncated");
    ok(n == 2 && it[1].len == 255 && it[1].count == 1 && !it[1].truncated, "a shorter value is its own");
    bw_topk_free(t);
}

/* A Zipf(1.1) stream over 100000 values, with the true counts. */
#define ZN 100000
#define ZS 1000000
static int *zipf_stream(uint32_t *truth)
{
    double *cdf = malloc(ZN * sizeof(*cdf)), c = 0;
    int *s = malloc(ZS * sizeof(*s));

    if (cdf == NULL || s == NULL) {
        free(cdf);
        free(s);
        return NULL;
    }
    for (int i = 0; i < ZN; i++) {
        c += 1.0 / pow(i + 1, 1.1);
        cdf[i] = c;
    }
    memset(truth, 0, ZN * sizeof(*truth));
    for (int i = 0; i < ZS; i++) {
        double u = (double)(rnd() >> 11) / 9007199254740992.0 * c;
        int lo = 0, hi = ZN - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cdf[mid] >= u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        s[i] = lo;
        truth[lo]++;
    }
    free(cdf);
    return s;
}

/* Every reported count bounds the truth; every value over total/capacity is reported; the top 10 are right. */
static void topk_check(const bw_topk *t, const uint32_t *truth, const char *what)
{
    bw_topk_item *it = calloc(BW_TOPK_DEFAULT_CAPACITY, sizeof(*it));
    size_t n = 0;
    int bounds = 1, heavy = 1, top = 1, floor_ok = 1;
    uint64_t thresh = bw_topk_total(t) / bw_topk_capacity(t);

    if (it == NULL || bw_topk_items(t, it, BW_TOPK_DEFAULT_CAPACITY, &n) != BW_OK) {
        ok(0, "%s: items", what);
        free(it);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int v = key_num(&it[i]);
        if (!(it[i].count >= truth[v] && it[i].count - it[i].err <= truth[v])) {
            bounds = 0;
            tap_diag("%s: value %d count %llu err %llu truth %u", what, v, (unsigned long long)it[i].count,
                     (unsigned long long)it[i].err, truth[v]);
        }
    }
    for (int v = 0; v < ZN; v++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++) {
            found = key_num(&it[i]) == v;
        }
        if (truth[v] > thresh) {
            heavy &= found;
        }
        if (!found && truth[v] > bw_topk_floor(t)) {
            floor_ok = 0;
            tap_diag("%s: value %d seen %u times, not listed, floor %llu", what, v, truth[v],
                     (unsigned long long)bw_topk_floor(t));
        }
    }
    /* with Zipf the true top 10 are values 0..9, well separated */
    for (int i = 0; i < 10 && (size_t)i < n; i++) {
        top &= key_num(&it[i]) == i;
    }
    ok(bounds, "%s: count - err <= truth <= count for all %zu reported", what, n);
    ok(heavy, "%s: every value seen over total/capacity = %llu times is reported", what, (unsigned long long)thresh);
    ok(floor_ok, "%s: every value not listed was seen at most floor = %llu times", what,
       (unsigned long long)bw_topk_floor(t));
    ok(top && n >= 10, "%s: the top 10 are the true top 10, in order", what);
    ok(bw_topk_floor(t) <= thresh, "%s: the floor %llu is at most total/capacity", what,
       (unsigned long long)bw_topk_floor(t));
    tap_diag("%s: top value count %llu (true %u), 10th %llu (true %u), err %llu", what, (unsigned long long)it[0].count,
             truth[0], (unsigned long long)it[9].count, truth[9], (unsigned long long)it[9].err);
    free(it);
}

static void test_topk_zipf(void)
{
    uint32_t *truth = malloc(ZN * sizeof(*truth));
    int *s = truth == NULL ? NULL : zipf_stream(truth);
    bw_topk *t = NULL, *sh[4] = {NULL};
    char key[16];
    int good = 1;

    if (s == NULL) {
        ok(0, "out of memory");
        free(truth);
        return;
    }
    good &= bw_topk_new(&t, 0, NULL) == BW_OK;
    for (int k = 0; k < 4; k++) {
        good &= bw_topk_new(&sh[k], 0, NULL) == BW_OK;
    }
    for (int i = 0; i < ZS && good; i++) {
        int len = snprintf(key, sizeof(key), "v%d", s[i]);
        good = bw_topk_add(t, key, (size_t)len) == BW_OK && bw_topk_add(sh[i % 4], key, (size_t)len) == BW_OK;
    }
    ok(good, "Zipf stream added");
    ok(!bw_topk_is_exact(t) && bw_topk_size(t) == BW_TOPK_DEFAULT_CAPACITY, "over capacity: not exact");
    topk_check(t, truth, "one pass");
    for (int k = 1; k < 4; k++) {
        good &= bw_topk_merge(sh[0], sh[k]) == BW_OK;
    }
    ok(good && bw_topk_total(sh[0]) == ZS, "four shards merged, total %llu", (unsigned long long)bw_topk_total(sh[0]));
    topk_check(sh[0], truth, "4 shards merged");
    bw_topk_free(t);
    for (int k = 0; k < 4; k++) {
        bw_topk_free(sh[k]);
    }
    free(s);
    free(truth);
}

static void test_topk_merge(void)
{
    bw_topk *all = NULL, *sh[3] = {NULL}, *small = NULL;
    bw_buf a, b;
    char key[16];
    int good = 1;
    bw_topk_item it[8];
    size_t n = 0;

    /* exact shards whose union fits merge into exactly the one-pass sketch */
    good &= bw_topk_new(&all, 64, NULL) == BW_OK;
    for (int k = 0; k < 3; k++) {
        good &= bw_topk_new(&sh[k], 64, NULL) == BW_OK;
    }
    for (int i = 0; i < 20000 && good; i++) {
        int len = snprintf(key, sizeof(key), "%llu", (unsigned long long)(rnd() % 60));
        good = bw_topk_add(all, key, (size_t)len) == BW_OK && bw_topk_add(sh[rnd() % 3], key, (size_t)len) == BW_OK;
    }
    good = good && bw_topk_merge(sh[0], sh[1]) == BW_OK && bw_topk_merge(sh[0], sh[2]) == BW_OK;
    ok(good && bw_topk_is_exact(sh[0]), "exact shards merge exact");
    a = topk_bytes(all);
    b = topk_bytes(sh[0]);
    ok(same_bytes(&a, &b), "merged exact shards serialise exactly as one pass");
    bw_buf_release(&a);
    bw_buf_release(&b);

    /* merge with itself doubles every count */
    is_int(bw_topk_merge(all, all), BW_OK, "merge with itself");
    ok(bw_topk_total(all) == 40000 && bw_topk_is_exact(all), "total doubled, still exact");

    /* exact sketches whose union does not fit: the floor bounds the dropped */
    if (bw_topk_new(&small, 4, NULL) == BW_OK) {
        bw_topk *o = NULL;
        MUST(bw_topk_add(small, "a", 1));
        MUST(bw_topk_add(small, "a", 1));
        MUST(bw_topk_add(small, "a", 1));
        MUST(bw_topk_add(small, "b", 1));
        MUST(bw_topk_add(small, "b", 1));
        MUST(bw_topk_add(small, "c", 1));
        if (bw_topk_new(&o, 4, NULL) == BW_OK) {
            MUST(bw_topk_add(o, "d", 1));
            MUST(bw_topk_add(o, "e", 1));
            MUST(bw_topk_add(o, "a", 1));
            is_int(bw_topk_merge(small, o), BW_OK, "merge over capacity");
            ok(!bw_topk_is_exact(small) && bw_topk_size(small) == 4 && bw_topk_total(small) == 9,
               "no longer exact, 4 kept, total 9");
            ok(bw_topk_items(small, it, 8, &n) == BW_OK && n == 4 && key_is(&it[0], "a") && it[0].count == 4 &&
                   it[0].err == 0 && key_is(&it[1], "b") && it[1].count == 2,
               "a 4 and b 2 exactly");
            bw_topk_free(o);
        }
        bw_topk_free(small);
    }
    /*
     * By hand, capacity 2: a a a b b c leaves a 3/0 and c 3/2 (c took b's counter), floor 2.
     * Merged with x x (exact): x is charged the floor, 4/2; a 3/0 stays, c is dropped
     * (ties go to the smaller key), and the floor becomes c's count, 3.
     */
    {
        bw_topk *d = NULL, *x = NULL;
        if (bw_topk_new(&d, 2, NULL) == BW_OK && bw_topk_new(&x, 2, NULL) == BW_OK) {
            static const char stream[] = "aaabbc";
            for (size_t i = 0; i < 6; i++) {
                MUST(bw_topk_add(d, stream + i, 1));
            }
            ok(bw_topk_items(d, it, 8, &n) == BW_OK && n == 2 && key_is(&it[0], "a") && it[0].count == 3 &&
                   it[0].err == 0 && key_is(&it[1], "c") && it[1].count == 3 && it[1].err == 2 && bw_topk_floor(d) == 2,
               "SpaceSaving by hand: a 3/0, c 3/2, floor 2");
            MUST(bw_topk_add(x, "x", 1));
            MUST(bw_topk_add(x, "x", 1));
            is_int(bw_topk_merge(d, x), BW_OK, "merge by hand");
            ok(bw_topk_items(d, it, 8, &n) == BW_OK && n == 2 && key_is(&it[0], "x") && it[0].count == 4 &&
                   it[0].err == 2 && key_is(&it[1], "a") && it[1].count == 3 && it[1].err == 0,
               "merged by hand: x 4/2, a 3/0");
            is_int(bw_topk_floor(d), 3, "merged by hand: the floor is the dropped count");
            is_int(bw_topk_total(d), 8, "merged by hand: total 8");
        }
        bw_topk_free(d);
        bw_topk_free(x);
    }
    bw_topk_free(all);
    for (int k = 0; k < 3; k++) {
        bw_topk_free(sh[k]);
    }
}

/* Offsets into a serialised topk sketch. */
#define TK_OFF_CAP 6
#define TK_OFF_TOTAL 10
#define TK_OFF_FLOOR 18
#define TK_OFF_N 26
#define TK_OFF_E0 30

static void test_topk_serialize(void)
{
    bw_topk *t = NULL, *back = NULL, *ev = NULL;
    bw_buf a, b;
    uint8_t *m;
    size_t e1;

    if (bw_topk_new(&t, 16, NULL) != BW_OK || bw_topk_new(&ev, 4, NULL) != BW_OK) {
        ok(0, "new");
        return;
    }
    MUST(bw_topk_add(t, "apple", 5));
    MUST(bw_topk_add(t, "apple", 5));
    MUST(bw_topk_add(t, "pear", 4));
    MUST(bw_topk_add(t, "fig", 3));
    a = topk_bytes(t);
    /* 30 bytes of header, then 19 + key bytes per entry */
    is_int(a.len, TK_OFF_E0 + 19 * 3 + 5 + 4 + 3, "serialised size");
    is_int(bw_topk_deserialize(&back, a.ptr, a.len, NULL), BW_OK, "topk reads back");
    b = topk_bytes(back);
    ok(same_bytes(&a, &b), "topk round trip is byte-identical");
    ok(back != NULL && bw_topk_is_exact(back) && bw_topk_total(back) == 4 && bw_topk_capacity(back) == 16,
       "total, capacity and exactness kept");
    if (back != NULL) {
        /* the read sketch keeps counting */
        MUST(bw_topk_add(back, "fig", 3));
        MUST(bw_topk_add(back, "fig", 3));
        MUST(bw_topk_add(back, "fig", 3));
        bw_topk_item it[4];
        size_t n = 0;
        ok(bw_topk_items(back, it, 4, &n) == BW_OK && n == 3 && key_is(&it[0], "fig") && it[0].count == 4,
           "the read sketch goes on counting");
    }
    bw_topk_free(back);
    back = NULL;
    bw_buf_release(&b);
    check_prefixes(&a, topk_des, topk_fre, "topk");

    m = malloc(a.len);
    if (m != NULL) {
        e1 = TK_OFF_E0 + 19 + 5; /* the second entry, "fig" (1), after "apple" (2) and before "pear" (1) */
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_CAP] = 0;
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_CAP, "capacity 0", "topk capacity 0");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_CAP] = 2;
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_N, "over its capacity", "topk more entries than capacity");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_FLOOR] = 5;
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_TOTAL, "floor 5 over the total", "topk floor over total");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_TOTAL] = 5;
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_N, "add up to 4", "topk exact counts not the total");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_E0 + 8] = 1; /* an error in an exact sketch */
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_E0, "error in an exact", "topk error while exact");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_FLOOR] = 1;
        m[TK_OFF_E0 + 8] = 2; /* err == count */
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_E0, "count 2 error 2", "topk error not below the count");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_E0] = 0;
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_E0, "count 0", "topk zero count");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_E0] = 5;
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_E0, "with total 4", "topk count over the total");
        memcpy(m, a.ptr, a.len);
        m[TK_OFF_E0 + 18] = 1; /* truncated, but 5 bytes long */
        EXPECT_LIE(topk_des, topk_fre, m, a.len, TK_OFF_E0 + 16, "truncated 1", "topk truncated short key");
        memcpy(m, a.ptr, a.len);
        m[e1 + 19] = 'z'; /* "fig" -> "zig", which no longer sorts before "pear" of the same count */
        EXPECT_LIE(topk_des, topk_fre, m, a.len, e1 + 22 + 16, "out of order", "topk entries out of order");
        free(m);
    }
    bw_buf_release(&a);

    /* the same key twice: with equal counts the order check catches it, with different ones the repeat check */
    {
        bw_buf d = ser_buf();
        static const uint8_t e2[] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 'k'};
        static const uint8_t e1b[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 'k'};
        (void)bw_buf_add(&d, "BWSK\x01\x03", 6);
        (void)bw_buf_add(&d, "\x04\x00\x00\x00", 4);                 /* capacity 4 */
        (void)bw_buf_add(&d, "\x02\x00\x00\x00\x00\x00\x00\x00", 8); /* total 2 */
        (void)bw_buf_add(&d, "\x00\x00\x00\x00\x00\x00\x00\x00", 8); /* floor 0 */
        (void)bw_buf_add(&d, "\x02\x00\x00\x00", 4);                 /* 2 entries */
        (void)bw_buf_add(&d, e1b, sizeof(e1b));
        (void)bw_buf_add(&d, e1b, sizeof(e1b));
        EXPECT_LIE(topk_des, topk_fre, d.ptr, d.len, TK_OFF_E0 + 20 + 16, "out of order", "topk key twice, same count");
        bw_buf_reset(&d);
        (void)bw_buf_add(&d, "BWSK\x01\x03", 6);
        (void)bw_buf_add(&d, "\x04\x00\x00\x00", 4);
        (void)bw_buf_add(&d, "\x03\x00\x00\x00\x00\x00\x00\x00", 8); /* total 3 */
        (void)bw_buf_add(&d, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
        (void)bw_buf_add(&d, "\x02\x00\x00\x00", 4);
        (void)bw_buf_add(&d, e2, sizeof(e2));
        (void)bw_buf_add(&d, e1b, sizeof(e1b));
        EXPECT_LIE(topk_des, topk_fre, d.ptr, d.len, TK_OFF_E0 + 20 + 16, "repeats a key", "topk key twice");
        bw_buf_release(&d);
    }

    /* after evictions: errors and a floor, and still a byte-identical round trip */
    for (int i = 0; i < 100; i++) {
        char key[8];
        int len = snprintf(key, sizeof(key), "%d", (int)(rnd() % 10));
        MUST(bw_topk_add(ev, key, (size_t)len));
    }
    a = topk_bytes(ev);
    ok(!bw_topk_is_exact(ev), "evicting sketch is not exact");
    is_int(bw_topk_deserialize(&back, a.ptr, a.len, NULL), BW_OK, "evicting sketch reads back");
    b = topk_bytes(back);
    ok(same_bytes(&a, &b), "evicting sketch round trip is byte-identical");
    bw_topk_free(back);
    bw_buf_release(&b);
    check_prefixes(&a, topk_des, topk_fre, "topk with evictions");
    bw_buf_release(&a);
    bw_topk_free(ev);
    bw_topk_free(t);
}

/* ---- out of memory ------------------------------------------------------ */

/* One workload over all three sketches; BW_OK or BW_ENOMEM, never anything else, and nothing leaks. */
static bw_status oom_workload(void)
{
    bw_hll *h = NULL, *h2 = NULL, *hr = NULL;
    bw_kll *k = NULL, *k2 = NULL, *kr = NULL;
    bw_topk *t = NULL, *t2 = NULL, *tr = NULL;
    bw_buf b = ser_buf();
    bw_status rc;
    char key[16];

    rc = bw_hll_new(&h, 10, NULL);
    if (rc == BW_OK) {
        rc = bw_hll_new(&h2, 12, NULL);
    }
    if (rc == BW_OK) {
        rc = bw_kll_new(&k, 8, 0, NULL);
    }
    if (rc == BW_OK) {
        rc = bw_kll_new(&k2, 8, 0, NULL);
    }
    if (rc == BW_OK) {
        rc = bw_topk_new(&t, 8, NULL);
    }
    if (rc == BW_OK) {
        rc = bw_topk_new(&t2, 8, NULL);
    }
    for (int i = 0; i < 300 && rc == BW_OK; i++) {
        int len = snprintf(key, sizeof(key), "%d", i % 20);
        rc = bw_hll_add_hash(i % 2 ? h : h2, bw_hash64_u64((uint64_t)i));
        if (rc == BW_OK) {
            rc = bw_kll_add(i % 3 ? k : k2, i);
        }
        if (rc == BW_OK) {
            rc = bw_topk_add(i % 2 ? t : t2, key, (size_t)len);
        }
    }
    if (rc == BW_OK) {
        rc = bw_hll_merge(h, h2);
    }
    if (rc == BW_OK) {
        rc = bw_kll_merge(k, k2);
    }
    if (rc == BW_OK) {
        rc = bw_topk_merge(t, t2);
    }
    if (rc == BW_OK) {
        rc = bw_hll_serialize(h, &b);
    }
    if (rc == BW_OK) {
        rc = bw_hll_deserialize(&hr, b.ptr, b.len, NULL);
    }
    bw_buf_reset(&b);
    if (rc == BW_OK) {
        rc = bw_kll_serialize(k, &b);
    }
    if (rc == BW_OK) {
        rc = bw_kll_deserialize(&kr, b.ptr, b.len, NULL);
    }
    bw_buf_reset(&b);
    if (rc == BW_OK) {
        rc = bw_topk_serialize(t, &b);
    }
    if (rc == BW_OK) {
        rc = bw_topk_deserialize(&tr, b.ptr, b.len, NULL);
    }
    if (rc == BW_OK) {
        double q;
        bw_topk_item it[4];
        size_t n;
        rc = bw_kll_quantile(kr, 0.5, &q);
        if (rc == BW_OK) {
            rc = bw_topk_items(tr, it, 4, &n);
        }
    }
    bw_buf_release(&b);
    bw_hll_free(h);
    bw_hll_free(h2);
    bw_hll_free(hr);
    bw_kll_free(k);
    bw_kll_free(k2);
    bw_kll_free(kr);
    bw_topk_free(t);
    bw_topk_free(t2);
    bw_topk_free(tr);
    return rc;
}

struct oom_set {
    bw_kll *k, *k2;
    bw_hll *h, *h2;
    bw_topk *t, *t2;
};

static void oom_ser(const struct oom_set *o, int which, bw_buf *b)
{
    bw_status rc = which == 0   ? bw_kll_serialize(o->k, b)
                   : which == 1 ? bw_hll_serialize(o->h, b)
                                : bw_topk_serialize(o->t, b);
    if (rc != BW_OK) {
        bw_buf_release(b);
    }
}

static bw_status oom_op(struct oom_set *o, int which, int i)
{
    char key[8];
    int len = snprintf(key, sizeof(key), "%d", i % 13);

    switch (which) {
    case 0: return i % 25 == 0 ? bw_kll_merge(o->k, o->k2) : bw_kll_add(o->k, i);
    case 1: return i % 25 == 1 ? bw_hll_merge(o->h, o->h2) : bw_hll_add_hash(o->h, bw_hash64_u64((uint64_t)i));
    default: return i % 25 == 2 ? bw_topk_merge(o->t, o->t2) : bw_topk_add(o->t, key, (size_t)len);
    }
}

/* bw_hll_add_hashes is bw_hll_add_hash of each: the same bytes, across the exact-to-dense switch. */
static void test_hll_add_hashes(void)
{
    static uint64_t hs[3000];
    bw_hll *a = NULL, *b = NULL;
    bw_buf sa = ser_buf(), sb = ser_buf();
    int good = 1;

    for (size_t i = 0; i < BW_ARRAY_LEN(hs); i++) {
        hs[i] = i % 7 == 0 ? 0 : bw_hash64_u64(rnd() % 2500); /* repeats and hash 0 */
    }
    MUST(bw_hll_new(&a, 10, NULL));
    MUST(bw_hll_new(&b, 10, NULL));
    if (a == NULL || b == NULL) {
        return;
    }
    for (size_t i = 0; i < 100 && good; i++) {
        good = bw_hll_add_hash(a, hs[i]) == BW_OK;
    }
    ok(good && bw_hll_add_hashes(b, hs, 100) == BW_OK && bw_hll_is_exact(b), "100 hashes, still exact");
    MUST(bw_hll_serialize(a, &sa));
    MUST(bw_hll_serialize(b, &sb));
    ok(sa.len == sb.len && memcmp(sa.ptr, sb.ptr, sa.len) == 0, "exact: the same bytes as one at a time");
    for (size_t i = 100; i < BW_ARRAY_LEN(hs) && good; i++) {
        good = bw_hll_add_hash(a, hs[i]) == BW_OK;
    }
    ok(good && bw_hll_add_hashes(b, hs + 100, BW_ARRAY_LEN(hs) - 100) == BW_OK && !bw_hll_is_exact(b),
       "the rest: dense now (p 10 keeps 128 exactly)");
    bw_buf_reset(&sa);
    bw_buf_reset(&sb);
    MUST(bw_hll_serialize(a, &sa));
    MUST(bw_hll_serialize(b, &sb));
    ok(sa.len == sb.len && memcmp(sa.ptr, sb.ptr, sa.len) == 0, "dense: the same bytes as one at a time");
    is_int(bw_hll_add_hashes(b, NULL, 0), BW_OK, "no hashes: nothing to do");
    bw_buf_release(&sa);
    bw_buf_release(&sb);
    bw_hll_free(a);
    bw_hll_free(b);
}

/* bw_kll_add_many is bw_kll_add of each value in order: the same bytes, over compactions, NaN and signed zeros. */
static void test_kll_add_many(void)
{
    static double x[100000];
    bw_kll *a = NULL, *b = NULL;
    bw_buf sa = ser_buf(), sb = ser_buf();
    int good = 1;

    for (size_t i = 0; i < BW_ARRAY_LEN(x); i++) {
        uint64_t r = rnd();
        x[i] = r % 13 == 0 ? NAN : r % 17 == 0 ? -0.0 : r % 19 == 0 ? 0.0 : (double)(r % 5000) - 2500.5;
    }
    MUST(bw_kll_new(&a, 0, 7, NULL));
    MUST(bw_kll_new(&b, 0, 7, NULL));
    if (a == NULL || b == NULL) {
        return;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(x) && good; i++) {
        good = bw_kll_add(a, x[i]) == BW_OK;
    }
    /* b takes the same values in runs of uneven sizes, one empty */
    for (size_t i = 0, run = 0; i < BW_ARRAY_LEN(x) && good; run = (run * 7 + 3) % 2000) {
        size_t m = BW_MIN(run, BW_ARRAY_LEN(x) - i);
        good = bw_kll_add_many(b, x + i, m) == BW_OK;
        i += m;
    }
    ok(good, "100000 values added one by one and in runs");
    ok(bw_kll_count(a) == bw_kll_count(b) && bw_kll_count(a) < BW_ARRAY_LEN(x), "same count, NaNs left out (%llu)",
       (unsigned long long)bw_kll_count(b));
    MUST(bw_kll_serialize(a, &sa));
    MUST(bw_kll_serialize(b, &sb));
    ok(sa.len == sb.len && memcmp(sa.ptr, sb.ptr, sa.len) == 0, "add_many gives the same sketch bytes as adds");
    ok(bw_kll_min(b) == -2500.5 && bw_kll_max(b) == 2498.5, "exact min and max");
    is_int(bw_kll_add_many(b, NULL, 0), BW_OK, "no values: nothing to do");
    {
        bw_kll *z = NULL;
        double zs[] = {0.0, -0.0, NAN};
        MUST(bw_kll_new(&z, 0, 0, NULL));
        if (z != NULL) {
            ok(bw_kll_add_many(z, zs, 3) == BW_OK && bw_kll_count(z) == 2 && signbit(bw_kll_min(z)) &&
                   !signbit(bw_kll_max(z)),
               "-0 below +0: min -0, max +0, NaN not counted");
            bw_kll_free(z);
        }
    }
    bw_buf_release(&sa);
    bw_buf_release(&sb);
    bw_kll_free(a);
    bw_kll_free(b);
}

/*
 * bw_kll_add_weighted: exact while nothing is compacted (ranks are the true
 * fractions), within the documented bound at scale, a sketch the reader
 * accepts, and its limits.
 */
/* The KLL order written out (kll_cmp): by value, and -0 before +0. */
static int ref_kll_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    if (x < y) {
        return -1;
    }
    if (x > y) {
        return 1;
    }
    return (signbit(y) != 0) - (signbit(x) != 0);
}

static uint64_t sort_rng = 0x2545f4914f6cdd1dULL;

static uint64_t sort_next(void)
{
    sort_rng ^= sort_rng << 13;
    sort_rng ^= sort_rng >> 7;
    sort_rng ^= sort_rng << 17;
    return sort_rng;
}

/* An item of kind k (never NaN). */
static double sort_item(int k, size_t i, size_t n)
{
    static const double edge[] = {
        0.0, -0.0, INFINITY, -INFINITY, 1.0, -1.0, 4.9e-324, -4.9e-324, 1.7976931348623157e308};
    uint64_t r = sort_next(), bits;
    double d;

    switch (k) {
    case 0: /* any finite or infinite bit pattern */
        bits = r;
        memcpy(&d, &bits, sizeof(d));
        return isnan(d) ? (double)(int64_t)r : d;
    case 1: return (double)(r % 3) - 1.0;                       /* -1, 0, 1 only */
    case 2: return edge[r % BW_ARRAY_LEN(edge)];                /* signed zeros, infinities, denormals */
    case 3: return (double)i * 0.5 - (double)n / 4;             /* sorted */
    case 4: return (double)(n - i) * 0.25;                      /* reverse sorted */
    case 5: return -0.0;                                        /* all equal */
    case 6: return (double)((int64_t)(r % 2001) - 1000) * 1e-3; /* many duplicates around zero */
    default: return (r & 1) ? 0.0 : -0.0;                       /* only zeros of both signs */
    }
}

/*
 * bw_kll_sort_items (order-preserving integer keys: networks for 16 items
 * or fewer, a branch-free quicksort above) against qsort with kll_cmp's
 * order, byte for byte, on 8 kinds of input at every size up to 40 and some
 * larger ones.
 */
static void test_kll_sort(void)
{
    static const size_t big[] = {47, 64, 100, 255, 256, 257, 1000, 4097};
    double *v = malloc(4097 * sizeof(*v)), *ref = malloc(4097 * sizeof(*ref));
    unsigned bad = 0, runs = 0;

    for (int k = 0; k < 8 && v != NULL && ref != NULL; k++) {
        for (size_t si = 0; si < 41 + BW_ARRAY_LEN(big); si++) {
            size_t n = si <= 40 ? si : big[si - 41];
            for (int rep = 0; rep < (n <= 40 ? 20 : 3); rep++) {
                for (size_t i = 0; i < n; i++) {
                    v[i] = sort_item(k, i, n);
                }
                memcpy(ref, v, n * sizeof(*v));
                qsort(ref, n, sizeof(*ref), ref_kll_cmp);
                bw_kll_sort_items(v, n);
                if (memcmp(v, ref, n * sizeof(*v)) != 0) {
                    if (bad++ == 0) {
                        tap_diag("kind %d, %zu items: not in kll_cmp order", k, n);
                    }
                }
                runs++;
            }
        }
    }
    ok(v != NULL && ref != NULL && runs == 8 * (41 * 20 + 8 * 3), "%u sorts run", runs);
    is_int(bad, 0, "every sort equals qsort in kll_cmp order, bit for bit (-0 before +0)");
    free(v);
    free(ref);
}

/* An item of kind k for the selection: sort_item's kinds and some that make the buckets recurse. */
static double select_item(int k, size_t i, size_t n)
{
    uint64_t r;

    if (k < 8) {
        return sort_item(k, i, n);
    }
    r = sort_next();
    switch (k) {
    case 8: return 1e6 + (double)(r % 1000) * 1e-9 + (r % 97 == 0 ? 1e300 : 0); /* a cluster and far outliers */
    case 9: return ldexp(1.0, (int)(r % 200) - 100) * (1 + (double)(r >> 40) / 16777216.0); /* exponents */
    case 10: return (r % 10 == 0) ? (double)(r % 7) : 42.0;                                 /* mostly one value */
    case 11: { /* keys one apart: neighbouring doubles */
        return nextafter(1.0, 2.0) + (double)(r % 50) * ldexp(1.0, -52);
    }
    default: return (double)(r % 2) * 1e-300 - (double)(r % 3) * 1e300; /* three values far apart */
    }
}

/*
 * bw_kll_select_items (what bw_kll_add_run keeps of a run, selected without
 * sorting it): against qsort in kll_cmp order, bit for bit, for random sets
 * of odd ranks and spacings, on 13 kinds of input and several sizes.
 */
static void test_kll_select(void)
{
    static const size_t sizes[] = {1, 2, 33, 256, 1000, 4097, 65536};
    enum { MAXN = 65536 };
    double *x = malloc(MAXN * sizeof(*x)), *ref = malloc(MAXN * sizeof(*ref)), *tmp = malloc(MAXN * sizeof(*tmp));
    double *run = malloc(MAXN * sizeof(*run)), odd_out[BW_KLL_MAX_LEVELS];
    uint64_t *scratch = malloc(MAXN * sizeof(*scratch)), odd[BW_KLL_MAX_LEVELS];
    unsigned bad = 0, runs = 0;

    for (int k = 0; k < 13 && x != NULL && ref != NULL && tmp != NULL && run != NULL && scratch != NULL; k++) {
        for (size_t si = 0; si < BW_ARRAY_LEN(sizes); si++) {
            size_t n = sizes[si];
            for (int rep = 0; rep < 4; rep++) {
                unsigned nodd = 0, lg = (unsigned)(sort_next() % 14);
                uint64_t base = 0, cnt;
                for (size_t i = 0; i < n; i++) {
                    x[i] = select_item(k, i, n);
                }
                memcpy(ref, x, n * sizeof(*x));
                qsort(ref, n, sizeof(*ref), ref_kll_cmp);
                /* odd ranks rising by 1 to 2^h, then the run's base and as many ranks as fit */
                for (unsigned h = 0; h < 12 && base < n; h++) {
                    if (sort_next() & 1) {
                        odd[nodd++] = base;
                    }
                    base += 1 + sort_next() % ((uint64_t)1 << h);
                }
                if (rep == 3) {
                    lg = 0; /* every rank from base on */
                }
                cnt = base < n ? ((n - 1 - base) >> lg) + 1 : 0;
                bw_kll_select_items(x, n, odd, nodd, base, lg, cnt, odd_out, run, scratch, tmp);
                for (unsigned j = 0; j < nodd; j++) {
                    bad += memcmp(&odd_out[j], &ref[odd[j]], sizeof(double)) != 0;
                }
                for (uint64_t i = 0; i < cnt; i++) {
                    bad += memcmp(&run[i], &ref[base + (i << lg)], sizeof(double)) != 0;
                }
                if (bad != 0 && runs == 0) {
                    tap_diag("kind %d, %zu items: a selected item differs", k, n);
                }
                runs += bad == 0;
            }
        }
    }
    is_int(runs, 13 * BW_ARRAY_LEN(sizes) * 4, "%u selections", runs);
    is_int(bad, 0, "every selected item is qsort's of its rank, bit for bit (-0 before +0)");
    free(x);
    free(ref);
    free(tmp);
    free(run);
    free(scratch);
}

static void test_kll_add_weighted(void)
{
    static double xs[1000];
    static uint64_t ws[1000];
    double x5[] = {1, 2, NAN, 3, -0.0};
    uint64_t w5[] = {100, 3, 7, 0, 5};
    bw_kll *s = NULL, *r = NULL;
    bw_buf b = ser_buf();
    uint64_t total = 0;
    double worst = 0;
    int good = 1;

    MUST(bw_kll_new(&s, 0, 0, NULL));
    if (s == NULL) {
        return;
    }
    is_int(bw_kll_add_weighted(s, x5, w5, 5), BW_OK, "1 x100, 2 x3, NaN and a zero weight ignored, -0 x5");
    ok(bw_kll_count(s) == 108 && signbit(bw_kll_min(s)) && bw_kll_min(s) == 0 && bw_kll_max(s) == 2,
       "count 108, min -0, max 2");
    ok(bw_kll_rank(s, -0.5) == 0 && bw_kll_rank(s, 0) == 5.0 / 108 && bw_kll_rank(s, 1) == 105.0 / 108 &&
           bw_kll_rank(s, 1.5) == 105.0 / 108,
       "ranks exact before any compaction");
    w5[0] = (uint64_t)1 << 59;
    is_int(bw_kll_add_weighted(s, x5, w5, 1), BW_ELIMIT, "a weight of 2^59 refused");
    is_int(bw_kll_count(s), 108, "and nothing added");
    bw_kll_free(s);
    s = NULL;

    /* 1000 values, weights 1..2000 (about 10^6 in all), fed in 20 runs of 50 pairs, shuffled values */
    MUST(bw_kll_new(&s, 0, 0, NULL));
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < 1000; i++) {
        xs[i] = (double)((i * 7919) % 1000);
        ws[i] = 1 + rnd() % 2000;
        total += ws[i];
    }
    for (int i = 0; i < 1000 && good; i += 50) {
        good = bw_kll_add_weighted(s, xs + i, ws + i, 50) == BW_OK;
    }
    ok(good && bw_kll_count(s) == total, "%llu values added as 1000 weighted ones", (unsigned long long)total);
    for (int v = 0; v < 1000; v++) {
        uint64_t le = 0;
        for (int i = 0; i < 1000; i++) {
            le += xs[i] <= v ? ws[i] : 0;
        }
        worst = fmax(worst, fabs(bw_kll_rank(s, v) - (double)le / (double)total));
    }
    tap_diag("kll k=200 weighted (1000 values, ~1e6 weight): max rank error %.4f%%", 100 * worst);
    ok(worst <= KLL_BOUND_200, "rank error within the bound (%.4f%%)", 100 * worst);
    MUST(bw_kll_serialize(s, &b));
    ok(bw_kll_deserialize(&r, b.ptr, b.len, NULL) == BW_OK && bw_kll_count(r) == total,
       "the result reads back (every invariant holds)");
    bw_kll_free(r);
    bw_kll_free(s);
    bw_buf_release(&b);
}

/*
 * bw_kll_add_run: NaNs dropped, exact count, min and max, small batches the same bytes as
 * bw_kll_add_many, exact count, min and max with signed zeros, the rank
 * error within the bound over 10^6 values fed as runs of several sizes (and
 * merged with a sketch fed value by value), a sketch the reader accepts, and
 * a failed allocation leaving the sketch as it was.
 */
static void test_kll_add_run(void)
{
    enum { N = 1000000, RUN = 65536 };
    static const size_t sizes[] = {256, 257, 1000, 4097, RUN};
    double *x = malloc(RUN * sizeof(*x)), *ref = malloc(RUN * sizeof(*ref));
    uint64_t *scratch = malloc(RUN * sizeof(*scratch));
    double *all = malloc(N * sizeof(*all));
    bw_kll *s = NULL, *t = NULL, *r = NULL;
    bw_buf b = ser_buf(), b2 = ser_buf();
    unsigned bad = 0, runs = 0;
    int good = 1;

    if (x == NULL || ref == NULL || scratch == NULL || all == NULL) {
        ok(0, "memory for the test");
        goto done;
    }
    /* the sort, on the kinds of test_kll_sort and with NaNs mixed in */
    for (int k = 0; k < 9; k++) {
        for (size_t si = 0; si < BW_ARRAY_LEN(sizes); si++) {
            size_t n = sizes[si], m = 0;
            for (size_t i = 0; i < n; i++) {
                x[i] = k == 8 ? (i % 5 == 0 ? NAN : (double)(sort_next() % 100000) / 7) : sort_item(k, i, n);
                if (!isnan(x[i])) {
                    ref[m++] = x[i];
                }
            }
            qsort(ref, m, sizeof(*ref), ref_kll_cmp);
            MUST(bw_kll_new(&s, 0, 0, NULL));
            if (s == NULL || bw_kll_add_run(s, x, n, scratch) != BW_OK || bw_kll_count(s) != m ||
                (m > 0 && (bw_kll_min(s) != ref[0] || signbit(bw_kll_min(s)) != signbit(ref[0]) ||
                           bw_kll_max(s) != ref[m - 1] || signbit(bw_kll_max(s)) != signbit(ref[m - 1])))) {
                if (bad++ == 0) {
                    tap_diag("kind %d, %zu values: count, min or max wrong", k, n);
                }
            }
            bw_kll_free(s);
            s = NULL;
            runs++;
        }
    }
    is_int(runs, 9 * BW_ARRAY_LEN(sizes), "45 runs added");
    is_int(bad, 0, "each run: NaNs out, exact count, min and max (signed zeros told apart)");

    /* a batch under 256 values is bw_kll_add_many's, byte for byte */
    MUST(bw_kll_new(&s, 0, 3, NULL));
    MUST(bw_kll_new(&t, 0, 3, NULL));
    for (size_t i = 0; i < 255; i++) {
        x[i] = ref[i] = (double)(sort_next() % 1000) - 500;
    }
    if (s != NULL && t != NULL) {
        ok(bw_kll_add_run(s, x, 255, scratch) == BW_OK && bw_kll_add_many(t, ref, 255) == BW_OK, "255 values added");
        MUST(bw_kll_serialize(s, &b));
        MUST(bw_kll_serialize(t, &b2));
        ok(b.len == b2.len && memcmp(b.ptr, b2.ptr, b.len) == 0, "the same bytes as bw_kll_add_many");
    }
    bw_kll_free(s);
    bw_kll_free(t);
    s = t = NULL;

    /* 10^6 values in runs of 65536, 4097, 300 and 1000 (t: one by one, then merged); the rank error */
    for (size_t i = 0; i < N; i++) {
        uint64_t q = sort_next();
        all[i] = i % 3 == 0 ? (double)(q % 977) : (double)(int64_t)(q % 2000000) / 8 - 50000.125;
    }
    MUST(bw_kll_new(&s, 0, 11, NULL));
    MUST(bw_kll_new(&t, 0, 12, NULL));
    if (s == NULL || t == NULL) {
        goto done;
    }
    for (size_t i = 0, k = 0; i < N && good; k++) {
        static const size_t runlen[] = {RUN, 4097, 300, RUN, 1000, RUN};
        size_t m = BW_MIN(runlen[k % BW_ARRAY_LEN(runlen)], (size_t)N - i);
        if (i >= N - N / 10) {
            good = bw_kll_add(t, all[i]) == BW_OK; /* the last tenth one by one, into another sketch */
            i++;
            continue;
        }
        memcpy(x, all + i, m * sizeof(*x));
        good = bw_kll_add_run(s, x, m, scratch) == BW_OK;
        i += m;
    }
    ok(good && bw_kll_merge(s, t) == BW_OK && bw_kll_count(s) == N, "10^6 values added as runs, a tenth merged in");
    qsort(all, N, sizeof(*all), ref_kll_cmp);
    {
        double worst = 0;
        for (int q = 0; q <= 1000; q++) {
            double v = all[(size_t)q * (N - 1) / 1000];
            size_t lo = 0, hi = N;
            while (lo < hi) { /* values <= v */
                size_t mid = lo + (hi - lo) / 2;
                if (all[mid] <= v) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            worst = fmax(worst, fabs(bw_kll_rank(s, v) - (double)lo / N));
        }
        tap_diag("kll k=200 add_run (10^6 values): max rank error %.4f%%", 100 * worst);
        ok(worst <= KLL_BOUND_200, "rank error within the bound (%.4f%%)", 100 * worst);
    }
    ok(bw_kll_min(s) == all[0] && bw_kll_max(s) == all[N - 1], "exact min and max");
    bw_buf_reset(&b);
    MUST(bw_kll_serialize(s, &b));
    ok(bw_kll_deserialize(&r, b.ptr, b.len, NULL) == BW_OK && bw_kll_count(r) == N,
       "the result reads back (every invariant holds)");

    /* out of memory before anything changes (a young sketch: the run needs new levels): the sketch as it was */
    bw_kll_free(t);
    t = NULL;
    MUST(bw_kll_new(&t, 0, 0, NULL));
    if (t != NULL) {
        MUST(bw_kll_add_many(t, all, 10));
        bw_buf_reset(&b);
        MUST(bw_kll_serialize(t, &b));
        for (size_t i = 0; i < RUN; i++) {
            x[i] = (double)i * 1e9;
        }
        bw_alloc_fail_after(0);
        bw_status rc = bw_kll_add_run(t, x, RUN, scratch);
        bw_alloc_fail_after(-1);
        bw_buf_reset(&b2);
        MUST(bw_kll_serialize(t, &b2));
        ok(rc == BW_ENOMEM && b.len == b2.len && memcmp(b.ptr, b2.ptr, b.len) == 0,
           "a failed allocation: BW_ENOMEM, the sketch unchanged (rc %d)", (int)rc);
    }
done:
    bw_buf_release(&b);
    bw_buf_release(&b2);
    bw_kll_free(r);
    bw_kll_free(s);
    bw_kll_free(t);
    free(x);
    free(ref);
    free(scratch);
    free(all);
}

static bw_topk *topk_of(unsigned cap, const char *const *keys, size_t n)
{
    bw_topk *t = NULL;

    MUST(bw_topk_new(&t, cap, NULL));
    for (size_t i = 0; t != NULL && i < n; i++) {
        MUST(bw_topk_add(t, keys[i], strlen(keys[i])));
    }
    return t;
}

static bool topk_same(const bw_topk *a, const bw_topk *b)
{
    bw_buf sa = ser_buf(), sb = ser_buf();
    bool same;

    MUST(bw_topk_serialize(a, &sa));
    MUST(bw_topk_serialize(b, &sb));
    same = sa.len == sb.len && memcmp(sa.ptr, sb.ptr, sa.len) == 0;
    bw_buf_release(&sa);
    bw_buf_release(&sb);
    return same;
}

/* bw_topk_merge_items of a sketch's items is bw_topk_merge of the sketch; its rules are enforced. */
static void test_topk_merge_items(void)
{
    static const char *const d[] = {"a", "b", "a", "c", "a", "d", "b", "e"};
    static const char *const s[] = {"b", "x", "b", "y", "z", "b", "x", "w", "v"};
    bw_topk_item it[8];
    size_t n = 0;

    for (int exact = 0; exact < 2; exact++) {
        unsigned cap = exact ? 16 : 3; /* 3 counters: both sides evict, floors > 0 */
        bw_topk *d1 = topk_of(cap, d, BW_ARRAY_LEN(d)), *d2 = topk_of(cap, d, BW_ARRAY_LEN(d));
        bw_topk *src = topk_of(cap, s, BW_ARRAY_LEN(s));
        if (d1 == NULL || d2 == NULL || src == NULL) {
            return;
        }
        is_int(bw_topk_is_exact(src), exact, exact ? "exact source" : "inexact source");
        MUST(bw_topk_items(src, it, 8, &n));
        MUST(bw_topk_merge(d1, src));
        is_int(bw_topk_merge_items(d2, it, n, bw_topk_total(src), bw_topk_floor(src)), BW_OK, "merge_items");
        ok(topk_same(d1, d2), "merge_items = merge of the sketch, byte for byte (%s)", exact ? "exact" : "inexact");
        bw_topk_free(d1);
        bw_topk_free(d2);
        bw_topk_free(src);
    }
    {
        /* the rules: each breach is BW_EINVAL and leaves dst as it was */
        bw_topk *t = topk_of(8, d, BW_ARRAY_LEN(d)), *copy = topk_of(8, d, BW_ARRAY_LEN(d));
        bw_topk_item two[2] = {{(const uint8_t *)"k", 1, 2, 0, 0}, {(const uint8_t *)"k", 1, 1, 0, 0}};
        bw_topk_item one = {(const uint8_t *)"q", 1, 3, 0, 0};
        if (t == NULL || copy == NULL) {
            return;
        }
        is_int(bw_topk_merge_items(t, two, 2, 3, 0), BW_EINVAL, "a key twice refused");
        is_int(bw_topk_merge_items(t, &one, 1, 4, 0), BW_EINVAL, "exact counts that do not add up refused");
        is_int(bw_topk_merge_items(t, &one, 1, 2, 0), BW_EINVAL, "a count over the total refused");
        is_int(bw_topk_merge_items(t, &one, 1, 3, 4), BW_EINVAL, "a floor over the total refused");
        one.err = 3;
        is_int(bw_topk_merge_items(t, &one, 1, 3, 1), BW_EINVAL, "an error not below the count refused");
        one.err = 1;
        is_int(bw_topk_merge_items(t, &one, 1, 3, 0), BW_EINVAL, "an error in an exact summary refused");
        one.count = 0;
        one.err = 0;
        is_int(bw_topk_merge_items(t, &one, 1, 3, 1), BW_EINVAL, "a count of 0 refused");
        ok(topk_same(t, copy), "dst unchanged by the refusals");
        is_int(bw_topk_merge_items(t, NULL, 0, 0, 0), BW_OK, "an empty summary changes nothing");
        ok(topk_same(t, copy), "still unchanged");
        one.count = 5;
        is_int(bw_topk_merge_items(t, &one, 1, 5, 0), BW_OK, "q x5 merged");
        MUST(bw_topk_items(t, it, 8, &n));
        ok(n == 6 && it[0].count == 5 && it[0].len == 1 && it[0].key[0] == 'q' && it[1].count == 3 &&
               bw_topk_total(t) == 13 && bw_topk_is_exact(t),
           "q 5 first, a 3 next, total 13, still exact");
        bw_topk_free(t);
        bw_topk_free(copy);
    }
}

/* A failed add or merge leaves its sketch exactly as it was (compared through the serialised bytes). */
static void test_oom_atomic(void)
{
    struct oom_set o = {0};
    int atomic = 1, failures[3] = {0};

    if (bw_kll_new(&o.k, 8, 0, NULL) != BW_OK || bw_kll_new(&o.k2, 8, 0, NULL) != BW_OK ||
        bw_hll_new(&o.h, 12, NULL) != BW_OK || bw_hll_new(&o.h2, 10, NULL) != BW_OK ||
        bw_topk_new(&o.t, 8, NULL) != BW_OK || bw_topk_new(&o.t2, 8, NULL) != BW_OK) {
        ok(0, "new");
        goto out;
    }
    for (int i = 0; i < 500; i++) {
        MUST(bw_kll_add(o.k2, i));
        MUST(bw_hll_add_hash(o.h2, bw_hash64_u64((uint64_t)i << 20)));
    }
    MUST(bw_topk_add(o.t2, "z", 1));
    for (int i = 0; i < 6000; i++) {
        int which = i % 3;
        bw_buf x = ser_buf(), y = ser_buf();
        bw_status rc;

        oom_ser(&o, which, &x);
        bw_alloc_fail_after((long)(rnd() % 3));
        rc = oom_op(&o, which, i / 3);
        bw_alloc_fail_after(-1);
        oom_ser(&o, which, &y);
        if (rc != BW_OK) {
            failures[which]++;
            if (rc != BW_ENOMEM || !same_bytes(&x, &y)) {
                atomic = 0;
                tap_diag("sketch %d, step %d: status %d, changed %d", which, i, rc, !same_bytes(&x, &y));
            }
        }
        bw_buf_release(&x);
        bw_buf_release(&y);
    }
    ok(atomic, "failed operations return BW_ENOMEM and change nothing");
    ok(failures[0] > 0 && failures[1] > 0 && failures[2] > 0, "failures seen in each sketch (%d kll, %d hll, %d topk)",
       failures[0], failures[1], failures[2]);
out:
    bw_kll_free(o.k);
    bw_kll_free(o.k2);
    bw_hll_free(o.h);
    bw_hll_free(o.h2);
    bw_topk_free(o.t);
    bw_topk_free(o.t2);
}

static void test_oom(void)
{
    int bad = 0, saw_oom = 0, saw_ok = 0;

    for (long n = 0; n < 400; n++) {
        bw_status rc;

        bw_alloc_fail_after(n);
        rc = oom_workload();
        bw_alloc_fail_after(-1);
        if (rc == BW_ENOMEM) {
            saw_oom++;
        } else if (rc == BW_OK) {
            saw_ok++;
        } else {
            bad++;
            tap_diag("fail after %ld: status %d", n, rc);
        }
    }
    ok(bad == 0, "every out-of-memory point gives BW_OK or BW_ENOMEM");
    ok(saw_oom > 0 && saw_ok > 0, "both outcomes seen (%d OOM, %d OK)", saw_oom, saw_ok);
}

int main(void)
{
    test_hash_known();
    test_hash_avalanche();
    test_hash_collisions();
    test_hll_new();
    test_hll_exact();
    test_hll_accuracy();
    test_hll_merge();
    test_hll_serialize();
    test_kll_basic();
    test_kll_accuracy();
    test_kll_duplicates();
    test_kll_merge_rules();
    test_kll_serialize();
    test_topk_exact();
    test_topk_truncate();
    test_topk_zipf();
    test_topk_merge();
    test_topk_serialize();
    test_hll_add_hashes();
    test_kll_add_many();
    test_kll_add_weighted();
    test_kll_add_run();
    test_kll_sort();
    test_kll_select();
    test_topk_merge_items();
    test_oom_atomic();
    test_oom();
    is_int(setup_failures, 0, "every set-up call succeeded");
    return done_testing();
}
