/*
 * sketch.c - mergeable column summaries: bw_hash64, HyperLogLog, KLL and
 * SpaceSaving, with their serialised forms (see bw_sketch.h and
 * docs/internals/sketch.md).
 *
 * Invariants, which every operation keeps and bw_*_read checks, so that a
 * sketch read from bytes is one the code could have built:
 *
 * - hll: exact (reg == NULL) with at most 2^(p-3) distinct hashes, the
 *   nonzero ones in an open-addressing set at most half full, hash 0 as a
 *   flag; or dense, 2^p registers each at most 65 - p.
 * - kll: level h holds items of weight 2^h; the weights add up to `count`
 *   exactly; levels above 0 are sorted; the retained items number at most
 *   the total capacity of the levels; the top level is not empty unless it
 *   is the only one; no item is NaN and all lie within [min, max].
 * - topk: at most `cap` counters with distinct keys; every count is at least
 *   1, at most `total` and above its error; `floor` bounds the count of any
 *   value without a counter and is 0 exactly while the counts are exact
 *   (then errors are 0 and the counts add up to `total`).
 *
 * Operations that can fail (allocation) either finish or leave the sketch
 * as it was: they allocate first and change the sketch after, or build the
 * result aside and swap it in.
 */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>

#include "bulwark/bw_sketch.h"
#include "data/data_internal.h"
#include "util/internal.h"

static void put_le(bw_buf *b, uint64_t v, unsigned nbytes)
{
    uint8_t t[8];

    for (unsigned i = 0; i < nbytes; i++) {
        t[i] = (uint8_t)(v >> (8 * i));
    }
    (void)bw_buf_add(b, t, nbytes); /* errors stick in b->err, checked once at the end */
}

static void put_f64(bw_buf *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    put_le(b, u, 8);
}

static void put_header(bw_buf *b, bw_sketch_kind kind)
{
    (void)bw_buf_add(b, BW_SKETCH_MAGIC, 4);
    put_le(b, BW_SKETCH_VERSION, 1);
    put_le(b, (uint64_t)kind, 1);
}

/*
 * Fail at an earlier position of the reader: the offset then names the
 * field that lied, not the byte after it. The reader is poisoned anyway,
 * so moving it back cannot lead to a read.
 */
static bw_status sk_fail_at(bw_rd *rd, size_t at, const char *fmt, ...) BW_PRINTF(3, 4);
static bw_status sk_fail_at(bw_rd *rd, size_t at, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    if (rd->st != BW_OK) {
        return rd->st;
    }
    if (at <= rd->len) {
        rd->pos = at;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bw_rd_fail(rd, BW_EFORMAT, "%s", msg);
}

static const char *const kind_names[] = {"?", "an hll", "a kll", "a topk"};

static bw_status read_header(bw_rd *rd, bw_sketch_kind kind)
{
    uint8_t magic[4], version, got;
    size_t at = rd->pos;

    BW_TRY(bw_rd_copy(rd, magic, sizeof(magic)));
    if (memcmp(magic, BW_SKETCH_MAGIC, sizeof(magic)) != 0) {
        return sk_fail_at(rd, at, "not a sketch (bad magic)");
    }
    at = rd->pos;
    BW_TRY(bw_rd_u8(rd, &version));
    if (version != BW_SKETCH_VERSION) {
        return sk_fail_at(rd, at, "sketch version %u, expected %d", version, BW_SKETCH_VERSION);
    }
    at = rd->pos;
    BW_TRY(bw_rd_u8(rd, &got));
    if (got != (uint8_t)kind) {
        return sk_fail_at(rd, at, "expected %s sketch, found kind %u", kind_names[kind], got);
    }
    return BW_OK;
}

/* After reading a whole input as one sketch: nothing may follow it. */
static bw_status read_trailer(bw_rd *rd)
{
    if (rd->st == BW_OK && bw_rd_left(rd) != 0) {
        return bw_rd_fail(rd, BW_EFORMAT, "%zu trailing bytes after the sketch", bw_rd_left(rd));
    }
    return rd->st;
}

/*
 * The key of a sketch's internal hash table. A serialised sketch chooses the
 * hashes (hll) and keys (topk) it holds, so with a public slot function it
 * could pile them all into one probe run and make reading quadratic. The
 * slot function is keyed per sketch from addresses that ASLR randomises and
 * a counter: no system call, so it works in any sandbox. The key only
 * decides where entries sit in the table, never a result or a byte written.
 */
static uint64_t table_key(const void *obj)
{
    static atomic_uint_fast64_t counter;
    uint64_t c = atomic_fetch_add(&counter, 1);

    return bw_hash64_u64((uint64_t)(uintptr_t)obj ^ ((uint64_t)(uintptr_t)&counter << 32) ^
                         (c * 0x9e3779b97f4a7c15ULL));
}

/* ---- HyperLogLog -------------------------------------------------------- */

struct bw_hll {
    unsigned p;
    uint8_t *reg;     /* 2^p registers once dense; NULL while exact */
    uint64_t *set;    /* exact mode: nonzero hashes, 0 = empty slot; NULL while empty */
    uint32_t set_cap; /* slots, a power of two, or 0 */
    uint32_t set_n;   /* hashes in set */
    bool has_zero;    /* hash 0 was added (0 marks an empty slot) */
    uint64_t key;     /* keys the set's slot function (table_key) */
};

static inline uint32_t hll_limit(unsigned p)
{
    return (uint32_t)1 << (p - 3);
}

static inline uint32_t hll_exact_n(const bw_hll *h)
{
    return h->set_n + (h->has_zero ? 1 : 0);
}

static inline void hll_reg_update(uint8_t *reg, unsigned p, uint64_t x)
{
    size_t i = (size_t)(x >> (64 - p));
    uint64_t w = x << p;
    uint8_t r = w == 0 ? (uint8_t)(65 - p) : (uint8_t)(__builtin_clzll(w) + 1);

    reg[i] = r > reg[i] ? r : reg[i]; /* a store either way: no branch to mispredict */
}

static inline uint32_t hll_slot(uint64_t key, uint64_t x, uint32_t cap)
{
    return (uint32_t)(bw_hash64_u64(x ^ key) >> 32) & (cap - 1);
}

/* Insert nonzero x into a set with room; false if it was there already. */
static bool hll_set_put(uint64_t *set, uint32_t cap, uint64_t key, uint64_t x)
{
    uint32_t i = hll_slot(key, x, cap);

    while (set[i] != 0) {
        if (set[i] == x) {
            return false;
        }
        i = (i + 1) & (cap - 1);
    }
    set[i] = x;
    return true;
}

static bool hll_set_has(const bw_hll *h, uint64_t x)
{
    uint32_t i;

    if (h->set_cap == 0) {
        return false;
    }
    for (i = hll_slot(h->key, x, h->set_cap); h->set[i] != 0; i = (i + 1) & (h->set_cap - 1)) {
        if (h->set[i] == x) {
            return true;
        }
    }
    return false;
}

static void hll_release(bw_hll *h)
{
    BW_FREE(h->reg);
    BW_FREE(h->set);
    h->set_cap = 0;
    h->set_n = 0;
    h->has_zero = false;
}

/* Exact to dense: every kept hash goes into fresh registers. */
static bw_status hll_densify(bw_hll *h)
{
    uint8_t *reg = bw_calloc((size_t)1 << h->p, 1);

    if (reg == NULL) {
        return BW_ENOMEM;
    }
    for (uint32_t i = 0; i < h->set_cap; i++) {
        if (h->set[i] != 0) {
            hll_reg_update(reg, h->p, h->set[i]);
        }
    }
    if (h->has_zero) {
        hll_reg_update(reg, h->p, 0);
    }
    BW_FREE(h->set);
    h->set_cap = 0;
    h->set_n = 0;
    h->has_zero = false;
    h->reg = reg;
    return BW_OK;
}

/* Make room in the set for one more hash, keeping it at most half full. */
static bw_status hll_set_reserve(bw_hll *h)
{
    uint32_t cap = h->set_cap == 0 ? 16 : h->set_cap;
    uint64_t *set;

    while ((uint64_t)(h->set_n + 1) * 2 > cap) {
        cap *= 2;
    }
    if (cap == h->set_cap) {
        return BW_OK;
    }
    set = bw_calloc(cap, sizeof(*set));
    if (set == NULL) {
        return BW_ENOMEM;
    }
    for (uint32_t i = 0; i < h->set_cap; i++) {
        if (h->set[i] != 0) {
            (void)hll_set_put(set, cap, h->key, h->set[i]);
        }
    }
    bw_free(h->set);
    h->set = set;
    h->set_cap = cap;
    return BW_OK;
}

bw_status bw_hll_new(bw_hll **out, unsigned p, bw_error *err)
{
    bw_hll *h;

    *out = NULL;
    if (p == 0) {
        p = BW_HLL_DEFAULT_P;
    }
    if (p < BW_HLL_MIN_P || p > BW_HLL_MAX_P) {
        return bw_fail(err, BW_EINVAL, "hll precision %u outside %d..%d", p, BW_HLL_MIN_P, BW_HLL_MAX_P);
    }
    h = bw_calloc(1, sizeof(*h));
    if (h == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory for an hll sketch");
    }
    h->p = p;
    h->key = table_key(h);
    *out = h;
    return BW_OK;
}

void bw_hll_free(bw_hll *h)
{
    if (h == NULL) {
        return;
    }
    hll_release(h);
    bw_free(h);
}

bw_status bw_hll_add_hash(bw_hll *h, uint64_t x)
{
    if (h->reg != NULL) {
        hll_reg_update(h->reg, h->p, x);
        return BW_OK;
    }
    if (x == 0 ? h->has_zero : hll_set_has(h, x)) {
        return BW_OK;
    }
    if (hll_exact_n(h) + 1 > hll_limit(h->p)) {
        BW_TRY(hll_densify(h));
        hll_reg_update(h->reg, h->p, x);
        return BW_OK;
    }
    if (x == 0) {
        h->has_zero = true;
        return BW_OK;
    }
    BW_TRY(hll_set_reserve(h));
    (void)hll_set_put(h->set, h->set_cap, h->key, x);
    h->set_n++;
    return BW_OK;
}

/* Add hashes x[0..n): exact while the set lasts, then one register each, fetched a few hashes ahead if `ahead`. */
static inline bw_status hll_add_hashes(bw_hll *h, const uint64_t *x, size_t n, bool ahead)
{
    size_t i = 0;

    for (; i < n && h->reg == NULL; i++) {
        BW_TRY(bw_hll_add_hash(h, x[i]));
    }
    for (; i < n; i++) {
        if (ahead && i + 8 < n) {
            __builtin_prefetch(&h->reg[x[i + 8] >> (64 - h->p)], 1);
        }
        hll_reg_update(h->reg, h->p, x[i]);
    }
    return BW_OK;
}

bw_status bw_hll_add_hashes(bw_hll *h, const uint64_t *x, size_t n)
{
    return hll_add_hashes(h, x, n, true);
}

bw_status bw_hll_add_hashes_grouped(bw_hll *h, const uint64_t *x, size_t n)
{
    return hll_add_hashes(h, x, n, false); /* neighbouring registers: nothing to fetch ahead */
}

bw_status bw_hll_add(bw_hll *h, const void *p, size_t n)
{
    return bw_hll_add_hash(h, bw_hash64(p, n, 0));
}

/*
 * Registers of precision sp folded into registers of precision p <= sp. The
 * d = sp - p hash bits that leave the index lead the rank string: if any is
 * set, the rank is where the first one is; if all are clear, it is d plus
 * the old rank. This is exactly the register a p sketch would hold.
 */
static void hll_fold_into(uint8_t *reg, unsigned p, const uint8_t *src, unsigned sp)
{
    unsigned d = sp - p;
    size_t m = (size_t)1 << sp;

    if (d == 0) {
        /* the same precision: the larger of each pair of registers (a loop the compiler vectorises) */
        for (size_t i = 0; i < m; i++) {
            reg[i] = src[i] > reg[i] ? src[i] : reg[i];
        }
        return;
    }
    for (size_t i = 0; i < m; i++) {
        size_t low = i & (((size_t)1 << d) - 1);
        uint8_t r;

        if (src[i] == 0) {
            continue;
        }
        if (low != 0) {
            r = (uint8_t)(d - (unsigned)(64 - __builtin_clzll((unsigned long long)low)) + 1);
        } else {
            r = (uint8_t)(d + src[i]);
        }
        if (r > reg[i >> d]) {
            reg[i >> d] = r;
        }
    }
}

/* Add what x holds to t, whose precision is at most x's; t may be left half-done on failure. */
static bw_status hll_absorb(bw_hll *t, const bw_hll *x)
{
    if (x->reg == NULL) {
        for (uint32_t i = 0; i < x->set_cap; i++) {
            if (x->set[i] != 0) {
                BW_TRY(bw_hll_add_hash(t, x->set[i]));
            }
        }
        if (x->has_zero) {
            BW_TRY(bw_hll_add_hash(t, 0));
        }
        return BW_OK;
    }
    if (t->reg == NULL) {
        BW_TRY(hll_densify(t));
    }
    hll_fold_into(t->reg, t->p, x->reg, x->p);
    return BW_OK;
}

bw_status bw_hll_merge(bw_hll *dst, const bw_hll *src)
{
    bw_hll t = {0};
    bw_status rc;

    if (dst == src) {
        return BW_OK;
    }
    /* the common case changes dst in place and cannot fail */
    if (dst->reg != NULL && dst->p <= src->p) {
        return hll_absorb(dst, src);
    }
    /* otherwise build the result aside: dst (folded down if need be), then src */
    t.p = BW_MIN(dst->p, src->p);
    t.key = dst->key;
    rc = hll_absorb(&t, dst);
    if (rc == BW_OK) {
        rc = hll_absorb(&t, src);
    }
    if (rc != BW_OK) {
        hll_release(&t);
        return rc;
    }
    hll_release(dst);
    *dst = t;
    return BW_OK;
}

int bw_hll_is_exact(const bw_hll *h)
{
    return h->reg == NULL;
}

bw_status bw_hll_make_dense(bw_hll *h)
{
    return h->reg != NULL ? BW_OK : hll_densify(h);
}

unsigned bw_hll_precision(const bw_hll *h)
{
    return h->p;
}

/*
 * Ertl's improved estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017, algorithm 6): from the register histogram,
 * with sigma and tau correcting for empty and saturated registers. Unlike
 * the original estimator it needs no bias table and no switch to linear
 * counting; its relative standard error is about 1.04 / sqrt(m) at every
 * cardinality.
 */
static double hll_sigma(double x)
{
    double y = 1.0, z = x, zp;

    if (x == 1.0) {
        return INFINITY;
    }
    do {
        x *= x;
        zp = z;
        z += x * y;
        y += y;
    } while (z != zp);
    return z;
}

static double hll_tau(double x)
{
    double y = 1.0, z, zp;

    if (x == 0.0 || x == 1.0) {
        return 0.0;
    }
    z = 1.0 - x;
    do {
        x = sqrt(x);
        zp = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != zp);
    return z / 3.0;
}

double bw_hll_estimate(const bw_hll *h)
{
    uint32_t hist[66] = {0};
    unsigned q = 64 - h->p;
    size_t m = (size_t)1 << h->p;
    double md = (double)m, z;

    if (h->reg == NULL) {
        return (double)hll_exact_n(h);
    }
    for (size_t i = 0; i < m; i++) {
        hist[h->reg[i]]++;
    }
    if (hist[0] == m) {
        return 0.0;
    }
    z = md * hll_tau(1.0 - (double)hist[q + 1] / md);
    for (unsigned k = q; k >= 1; k--) {
        z = 0.5 * (z + (double)hist[k]);
    }
    z += md * hll_sigma((double)hist[0] / md);
    return 0.72134752044448170368 * md * md / z; /* 1 / (2 ln 2) */
}

uint64_t bw_hll_count(const bw_hll *h)
{
    double e = bw_hll_estimate(h);

    if (!(e < 18446744073709551615.0)) {
        return UINT64_MAX;
    }
    return (uint64_t)(e + 0.5);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/*
 * Layout after the header: u8 p, u8 mode. Mode 0 (exact): u32le n, then n
 * u64le hashes in strictly ascending order. Mode 1 (dense): the 2^p
 * registers, six bits each, four to three bytes little-endian.
 */
bw_status bw_hll_serialize(const bw_hll *h, bw_buf *out)
{
    put_header(out, BW_SKETCH_HLL);
    put_le(out, h->p, 1);
    put_le(out, h->reg != NULL ? 1 : 0, 1);
    if (h->reg == NULL) {
        uint32_t n = 0;
        uint64_t *v = bw_calloc(hll_exact_n(h), sizeof(*v));

        if (v == NULL) {
            return BW_ENOMEM;
        }
        if (h->has_zero) {
            v[n++] = 0;
        }
        for (uint32_t i = 0; i < h->set_cap; i++) {
            if (h->set[i] != 0) {
                v[n++] = h->set[i];
            }
        }
        qsort(v, n, sizeof(*v), cmp_u64);
        put_le(out, n, 4);
        for (uint32_t i = 0; i < n; i++) {
            put_le(out, v[i], 8);
        }
        bw_free(v);
    } else {
        size_t m = (size_t)1 << h->p;
        uint8_t chunk[768];
        size_t used = 0;

        for (size_t i = 0; i < m; i += 4) {
            uint32_t w = (uint32_t)h->reg[i] | (uint32_t)h->reg[i + 1] << 6 | (uint32_t)h->reg[i + 2] << 12 |
                         (uint32_t)h->reg[i + 3] << 18;
            chunk[used++] = (uint8_t)w;
            chunk[used++] = (uint8_t)(w >> 8);
            chunk[used++] = (uint8_t)(w >> 16);
            if (used == sizeof(chunk)) {
                (void)bw_buf_add(out, chunk, used);
                used = 0;
            }
        }
        (void)bw_buf_add(out, chunk, used);
    }
    return out->err;
}

static bw_status hll_read_exact(bw_hll *h, bw_rd *rd)
{
    uint32_t n;
    uint64_t prev = 0;
    size_t at = rd->pos;

    BW_TRY(bw_rd_u32le(rd, &n));
    if (n > hll_limit(h->p)) {
        return sk_fail_at(rd, at, "hll exact set of %" PRIu32 " hashes over the limit %" PRIu32 " for p %u", n,
                          hll_limit(h->p), h->p);
    }
    if (n > bw_rd_left(rd) / 8) {
        return bw_rd_fail(rd, BW_EFORMAT, "truncated: hll exact set of %" PRIu32 " hashes needs %zu bytes, %zu left", n,
                          (size_t)n * 8, bw_rd_left(rd));
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x;

        at = rd->pos;
        BW_TRY(bw_rd_u64le(rd, &x));
        if (i > 0 && x <= prev) {
            return sk_fail_at(rd, at, "hll hash %" PRIu32 " not above the one before", i);
        }
        prev = x;
        if (bw_hll_add_hash(h, x) != BW_OK) {
            return bw_fail(rd->err, BW_ENOMEM, "out of memory for an hll sketch");
        }
    }
    BW_ASSERT(h->reg == NULL && hll_exact_n(h) == n);
    return BW_OK;
}

static bw_status hll_read_dense(bw_hll *h, bw_rd *rd)
{
    size_t m = (size_t)1 << h->p;
    uint8_t maxr = (uint8_t)(65 - h->p);
    bw_bytes packed;
    size_t at = rd->pos;

    BW_TRY(bw_rd_view(rd, m / 4 * 3, &packed));
    h->reg = bw_malloc(m);
    if (h->reg == NULL) {
        return bw_fail(rd->err, BW_ENOMEM, "out of memory for an hll sketch");
    }
    for (size_t i = 0, j = 0; i < m; i += 4, j += 3) {
        uint32_t w = (uint32_t)packed.ptr[j] | (uint32_t)packed.ptr[j + 1] << 8 | (uint32_t)packed.ptr[j + 2] << 16;

        for (size_t r = 0; r < 4; r++) {
            h->reg[i + r] = (uint8_t)((w >> (6 * r)) & 63);
            if (h->reg[i + r] > maxr) {
                return sk_fail_at(rd, at + j, "hll register %zu is %u, over %u for p %u", i + r, h->reg[i + r], maxr,
                                  h->p);
            }
        }
    }
    return BW_OK;
}

bw_status bw_hll_read(bw_hll **out, bw_rd *rd)
{
    bw_hll *h = NULL;
    uint8_t p, mode;
    size_t at;
    bw_status rc;

    *out = NULL;
    BW_TRY(read_header(rd, BW_SKETCH_HLL));
    at = rd->pos;
    BW_TRY(bw_rd_u8(rd, &p));
    if (p < BW_HLL_MIN_P || p > BW_HLL_MAX_P) {
        return sk_fail_at(rd, at, "hll precision %u outside %d..%d", p, BW_HLL_MIN_P, BW_HLL_MAX_P);
    }
    at = rd->pos;
    BW_TRY(bw_rd_u8(rd, &mode));
    if (mode > 1) {
        return sk_fail_at(rd, at, "hll mode %u, expected 0 (exact) or 1 (dense)", mode);
    }
    rc = bw_hll_new(&h, p, rd->err);
    if (rc != BW_OK) {
        return rc;
    }
    rc = mode == 0 ? hll_read_exact(h, rd) : hll_read_dense(h, rd);
    if (rc != BW_OK) {
        bw_hll_free(h);
        return rc;
    }
    *out = h;
    return BW_OK;
}

bw_status bw_hll_deserialize(bw_hll **out, const void *p, size_t n, bw_error *err)
{
    bw_rd rd;
    bw_status rc;

    bw_rd_init(&rd, p, n, "hll sketch", err);
    rc = bw_hll_read(out, &rd);
    if (rc == BW_OK) {
        rc = read_trailer(&rd);
    }
    if (rc != BW_OK) {
        bw_hll_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- KLL ---------------------------------------------------------------- */

#define KLL_MIN_CAP 8
#define KLL_DEFAULT_SEED 0x2545f4914f6cdd1dULL

struct kll_level {
    double *v;    /* items; sorted above level 0 */
    uint32_t n;   /* items held */
    uint32_t cap; /* items allocated */
};

struct bw_kll {
    uint32_t k;
    uint32_t nlev;                    /* levels in use, at least 1 */
    uint64_t count;                   /* values added, = sum of n_h * 2^h */
    uint64_t rng;                     /* xorshift64 state of the coin flips, never 0 */
    uint64_t size;                    /* items retained, over all levels */
    uint64_t cap_total;               /* capacity of the nlev levels */
    uint32_t lcap[BW_KLL_MAX_LEVELS]; /* capacity of each of the nlev levels */
    double min, max;                  /* exact; NaN while empty */
    struct kll_level lev[BW_KLL_MAX_LEVELS];
};

/*
 * The capacity of a level `depth` below the top: k times (2/3)^depth,
 * rounded at each step in integers (so every platform agrees), never below
 * KLL_MIN_CAP.
 */
static uint32_t kll_level_cap(uint32_t k, uint32_t depth)
{
    uint32_t c = k;

    for (uint32_t i = 0; i < depth && c > KLL_MIN_CAP; i++) {
        c = (2 * c + 1) / 3;
    }
    return BW_MAX(c, KLL_MIN_CAP);
}

/* Set the level count and the capacities that follow from it. */
static void kll_set_levels(bw_kll *s, uint32_t nlev)
{
    s->nlev = nlev;
    s->cap_total = 0;
    for (uint32_t h = 0; h < nlev; h++) {
        s->lcap[h] = kll_level_cap(s->k, nlev - 1 - h);
        s->cap_total += s->lcap[h];
    }
}

static unsigned kll_coin(bw_kll *s)
{
    uint64_t x = s->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    return (unsigned)(x >> 63);
}

/* A total order on non-NaN doubles: by value, and -0 before +0, so sorting is the same everywhere. */
static int kll_cmp(double a, double b)
{
    if (a < b) {
        return -1;
    }
    if (a > b) {
        return 1;
    }
    /* equal values: only -0 and +0 still differ */
    return (signbit(b) != 0) - (signbit(a) != 0);
}

/* kll_cmp(a, b) < 0, for min and max. */
static inline bool kll_lt(double a, double b)
{
    return a < b || (a == b && signbit(a) && !signbit(b));
}

/*
 * Sorting works on keys: the bits of an item with the sign bit flipped when
 * it is clear and every bit flipped when it is set, so that kll_cmp order
 * (-0 before +0) is unsigned integer order, which sorts and merges without
 * branches on the data. Items are never NaN (no key is UINT64_MAX, the
 * padding of a network) and equal keys are equal bits, so any correct sort
 * gives the same bytes as any other.
 */
static inline uint64_t kll_key_bits(uint64_t u)
{
    return u ^ ((0 - (u >> 63)) | 0x8000000000000000ULL);
}

static inline uint64_t kll_key(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return kll_key_bits(u);
}

static inline uint64_t kll_unkey_bits(uint64_t k)
{
    return k ^ ((0 - (~k >> 63)) | 0x8000000000000000ULL);
}

static inline double kll_unkey(uint64_t k)
{
    uint64_t u = kll_unkey_bits(k);
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Keys are kept in the items' own memory while sorting, read and written as bytes (no aliasing questions). */
static inline uint64_t kll_kget(const double *v, size_t i)
{
    uint64_t k;
    memcpy(&k, v + i, sizeof(k));
    return k;
}

static inline void kll_kput(double *v, size_t i, uint64_t k)
{
    memcpy(v + i, &k, sizeof(k));
}

/* A compare-exchange of a sorting network: t[a] gets the smaller key, t[b] the larger. */
#define KLL_CX(t, a, b)                                                                                                \
    do {                                                                                                               \
        uint64_t x_ = (t)[a], y_ = (t)[b];                                                                             \
        (t)[a] = x_ < y_ ? x_ : y_;                                                                                    \
        (t)[b] = x_ < y_ ? y_ : x_;                                                                                    \
    } while (0)

/* Batcher's odd-even merge sort networks for 8 keys (19 compare-exchanges) and 16 (63). */
static inline void kll_net8(uint64_t *t)
{
    KLL_CX(t, 0, 1);
    KLL_CX(t, 2, 3);
    KLL_CX(t, 4, 5);
    KLL_CX(t, 6, 7);
    KLL_CX(t, 0, 2);
    KLL_CX(t, 1, 3);
    KLL_CX(t, 4, 6);
    KLL_CX(t, 5, 7);
    KLL_CX(t, 1, 2);
    KLL_CX(t, 5, 6);
    KLL_CX(t, 0, 4);
    KLL_CX(t, 1, 5);
    KLL_CX(t, 2, 6);
    KLL_CX(t, 3, 7);
    KLL_CX(t, 2, 4);
    KLL_CX(t, 3, 5);
    KLL_CX(t, 1, 2);
    KLL_CX(t, 3, 4);
    KLL_CX(t, 5, 6);
}

static inline void kll_net16(uint64_t *t)
{
    kll_net8(t);
    KLL_CX(t, 8, 9);
    KLL_CX(t, 10, 11);
    KLL_CX(t, 12, 13);
    KLL_CX(t, 14, 15);
    KLL_CX(t, 8, 10);
    KLL_CX(t, 9, 11);
    KLL_CX(t, 12, 14);
    KLL_CX(t, 13, 15);
    KLL_CX(t, 9, 10);
    KLL_CX(t, 13, 14);
    KLL_CX(t, 8, 12);
    KLL_CX(t, 9, 13);
    KLL_CX(t, 10, 14);
    KLL_CX(t, 11, 15);
    KLL_CX(t, 10, 12);
    KLL_CX(t, 11, 13);
    KLL_CX(t, 9, 10);
    KLL_CX(t, 11, 12);
    KLL_CX(t, 13, 14);
    KLL_CX(t, 0, 8);
    KLL_CX(t, 1, 9);
    KLL_CX(t, 2, 10);
    KLL_CX(t, 3, 11);
    KLL_CX(t, 4, 12);
    KLL_CX(t, 5, 13);
    KLL_CX(t, 6, 14);
    KLL_CX(t, 7, 15);
    KLL_CX(t, 4, 8);
    KLL_CX(t, 5, 9);
    KLL_CX(t, 6, 10);
    KLL_CX(t, 7, 11);
    KLL_CX(t, 2, 4);
    KLL_CX(t, 3, 5);
    KLL_CX(t, 6, 8);
    KLL_CX(t, 7, 9);
    KLL_CX(t, 10, 12);
    KLL_CX(t, 11, 13);
    KLL_CX(t, 1, 2);
    KLL_CX(t, 3, 4);
    KLL_CX(t, 5, 6);
    KLL_CX(t, 7, 8);
    KLL_CX(t, 9, 10);
    KLL_CX(t, 11, 12);
    KLL_CX(t, 13, 14);
}

/*
 * Sort n <= 16 items by a network over keys padded with UINT64_MAX: from the
 * items (doubles, `keyed` false) or from keys in their memory (true), back
 * the same way.
 */
static void kll_sort_small(double *v, size_t n, bool keyed)
{
    uint64_t t[16];
    size_t m = n <= 8 ? 8 : 16;

    for (size_t i = 0; i < n; i++) {
        t[i] = keyed ? kll_kget(v, i) : kll_key(v[i]);
    }
    for (size_t i = n; i < m; i++) {
        t[i] = UINT64_MAX;
    }
    if (m == 8) {
        kll_net8(t);
    } else {
        kll_net16(t);
    }
    for (size_t i = 0; i < n; i++) {
        if (keyed) {
            kll_kput(v, i, t[i]);
        } else {
            uint64_t u = kll_unkey_bits(t[i]);
            memcpy(v + i, &u, sizeof(u));
        }
    }
}

static void kll_key_sift(double *v, size_t i, size_t m)
{
    for (;;) {
        size_t l = 2 * i + 1, b = i;
        if (l < m && kll_kget(v, b) < kll_kget(v, l)) {
            b = l;
        }
        if (l + 1 < m && kll_kget(v, b) < kll_kget(v, l + 1)) {
            b = l + 1;
        }
        if (b == i) {
            return;
        }
        uint64_t t = kll_kget(v, i);
        kll_kput(v, i, kll_kget(v, b));
        kll_kput(v, b, t);
        i = b;
    }
}

static void kll_key_heapsort(double *v, size_t n)
{
    for (size_t k = n / 2; k-- > 0;) {
        kll_key_sift(v, k, n);
    }
    for (size_t m = n; m > 1; m--) {
        uint64_t t = kll_kget(v, 0);
        kll_kput(v, 0, kll_kget(v, m - 1));
        kll_kput(v, m - 1, t);
        kll_key_sift(v, 0, m - 1);
    }
}

/* Move the keys of v[0..n) below p to the front (branch-free Lomuto); return how many there are. */
static size_t kll_partition(double *v, size_t n, uint64_t p, bool or_equal)
{
    size_t i = 0;

    for (size_t j = 0; j < n; j++) {
        uint64_t x = kll_kget(v, j);
        kll_kput(v, j, kll_kget(v, i));
        kll_kput(v, i, x);
        i += or_equal ? x <= p : x < p;
    }
    return i;
}

/*
 * Quicksort of keys (held in the items' memory): a median-of-three pivot,
 * the keys below it moved to the front without branches; when none is below
 * (the pivot is the least key), the keys equal to it are moved to the front
 * instead and are done, so runs of equal keys cost one pass. The smaller side
 * is sorted recursively, the larger in the loop, 16 keys or fewer by a
 * network, and past a depth limit by heapsort.
 */
static void kll_key_sort(double *v, size_t n, unsigned depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            kll_key_heapsort(v, n);
            return;
        }
        uint64_t a = kll_kget(v, 0), b = kll_kget(v, n / 2), c = kll_kget(v, n - 1);
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
        uint64_t p = c < lo ? lo : c > hi ? hi : c;
        size_t left = kll_partition(v, n, p, false);
        if (left == 0) {
            size_t eq = kll_partition(v, n, p, true);
            v += eq;
            n -= eq;
            continue;
        }
        if (left < n - left) {
            kll_key_sort(v, left, depth);
            v += left;
            n -= left;
        } else {
            kll_key_sort(v + left, n - left, depth);
            n = left;
        }
    }
    if (n > 1) {
        kll_sort_small(v, n, true);
    }
}

/* Sort items into kll_cmp order. */
static void kll_sort(double *v, size_t n)
{
    if (n <= 16) {
        if (n > 1) {
            kll_sort_small(v, n, false);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        kll_kput(v, i, kll_key(v[i]));
    }
    kll_key_sort(v, n, 2 * (unsigned)(64 - __builtin_clzll((unsigned long long)n)));
    for (size_t i = 0; i < n; i++) {
        uint64_t u = kll_unkey_bits(kll_kget(v, i));
        memcpy(v + i, &u, sizeof(u));
    }
}

void bw_kll_sort_items(double *v, size_t n)
{
    kll_sort(v, n);
}

static bw_status kll_reserve(struct kll_level *l, uint64_t need)
{
    uint64_t cap;
    double *v;

    if (need <= l->cap) {
        return BW_OK;
    }
    if (need > UINT32_MAX / 2) {
        return BW_ELIMIT;
    }
    cap = BW_MAX(need, (uint64_t)l->cap * 2);
    cap = BW_MAX(cap, 16);
    v = bw_reallocarray(l->v, (size_t)cap, sizeof(*v));
    if (v == NULL) {
        return BW_ENOMEM;
    }
    l->v = v;
    l->cap = (uint32_t)cap;
    return BW_OK;
}

static void kll_release(bw_kll *s)
{
    for (uint32_t h = 0; h < BW_KLL_MAX_LEVELS; h++) {
        BW_FREE(s->lev[h].v);
        s->lev[h].n = 0;
        s->lev[h].cap = 0;
    }
}

/*
 * Merge the sorted items v[0..n) (not in l's memory) into level l, sorted,
 * whose room for them is reserved: from the back, without a branch on the
 * data (equal keys are equal bits, so which goes first does not matter).
 */
static void kll_merge_into(struct kll_level *l, const double *v, size_t n)
{
    size_t i = n, j = l->n, w = (size_t)l->n + n;

    while (i > 0 && j > 0) {
        uint64_t a, b;
        memcpy(&a, &l->v[j - 1], sizeof(a));
        memcpy(&b, &v[i - 1], sizeof(b));
        bool up = kll_key_bits(a) > kll_key_bits(b); /* kll_cmp(a, b) > 0, without a branch */
        a = up ? a : b;
        memcpy(&l->v[--w], &a, sizeof(a));
        j -= up;
        i -= !up;
    }
    while (i > 0) {
        l->v[--w] = v[--i];
    }
    l->n += (uint32_t)n;
}

/*
 * One compaction, on a sketch that is full (size >= cap_total), so some
 * level holds at least its capacity: the lowest such level is sorted, an
 * odd item out (the smallest) stays, and of each remaining pair one item,
 * the first or the second by a coin flip for the whole level, moves up with
 * twice the weight. The room above is reserved before anything moves, so a
 * failure leaves the sketch as it was.
 */
static bw_status kll_compact_one(bw_kll *s)
{
    struct kll_level *lo, *hi;
    uint32_t h = 0, keep, half, offset;

    while (h < s->nlev && s->lev[h].n < s->lcap[h]) {
        h++;
    }
    BW_ASSERT(h < s->nlev);
    if (h + 1 >= BW_KLL_MAX_LEVELS) {
        return BW_ELIMIT;
    }
    lo = &s->lev[h];
    hi = &s->lev[h + 1];
    keep = lo->n & 1;
    half = (lo->n - keep) / 2;
    BW_TRY(kll_reserve(hi, (uint64_t)hi->n + half));
    if (h + 1 == s->nlev) {
        kll_set_levels(s, s->nlev + 1);
    }
    if (h == 0) {
        kll_sort(lo->v, lo->n);
    }
    offset = kll_coin(s);
    for (uint32_t i = 0; i < half; i++) {
        lo->v[keep + i] = lo->v[keep + 2 * i + offset];
    }
    kll_merge_into(hi, lo->v + keep, half);
    lo->n = keep;
    s->size -= half;
    return BW_OK;
}

bw_status bw_kll_new(bw_kll **out, unsigned k, uint64_t seed, bw_error *err)
{
    bw_kll *s;

    *out = NULL;
    if (k == 0) {
        k = BW_KLL_DEFAULT_K;
    }
    if (k < BW_KLL_MIN_K || k > BW_KLL_MAX_K) {
        return bw_fail(err, BW_EINVAL, "kll k %u outside %d..%d", k, BW_KLL_MIN_K, BW_KLL_MAX_K);
    }
    s = bw_calloc(1, sizeof(*s));
    if (s == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory for a kll sketch");
    }
    s->k = k;
    s->rng = seed != 0 ? seed : KLL_DEFAULT_SEED;
    kll_set_levels(s, 1);
    s->min = NAN;
    s->max = NAN;
    *out = s;
    return BW_OK;
}

void bw_kll_free(bw_kll *s)
{
    if (s == NULL) {
        return;
    }
    kll_release(s);
    bw_free(s);
}

bw_status bw_kll_add(bw_kll *s, double x)
{
    struct kll_level *l0 = &s->lev[0];

    if (isnan(x)) {
        return BW_OK;
    }
    if (s->count == UINT64_MAX) {
        return BW_ELIMIT;
    }
    if (s->size >= s->cap_total) {
        BW_TRY(kll_compact_one(s));
    }
    BW_TRY(kll_reserve(l0, (uint64_t)l0->n + 1));
    l0->v[l0->n++] = x;
    s->size++;
    if (s->count == 0 || kll_cmp(x, s->min) < 0) {
        s->min = x;
    }
    if (s->count == 0 || kll_cmp(x, s->max) > 0) {
        s->max = x;
    }
    s->count++;
    return BW_OK;
}

/*
 * The same as bw_kll_add of each value in order, byte for byte: compaction
 * happens exactly when a single add would compact (the sketch is full), and
 * between compactions the values are appended to level 0 a run at a time.
 */
bw_status bw_kll_add_many(bw_kll *s, const double *x, size_t n)
{
    size_t i = 0;

    while (i < n) {
        struct kll_level *l0 = &s->lev[0];
        uint64_t room;
        size_t m, got;
        double lo, hi;

        if (s->count == UINT64_MAX) {
            /* only NaNs may still come (they are ignored) */
            for (; i < n; i++) {
                if (!isnan(x[i])) {
                    return BW_ELIMIT;
                }
            }
            return BW_OK;
        }
        if (s->size >= s->cap_total) {
            BW_TRY(kll_compact_one(s));
        }
        room = BW_MIN(s->cap_total - s->size, UINT64_MAX - s->count);
        m = (size_t)BW_MIN((uint64_t)(n - i), room);
        BW_TRY(kll_reserve(l0, (uint64_t)l0->n + m));
        got = 0;
        lo = s->min;
        hi = s->max;
        for (size_t j = 0; j < m; j++) {
            double v = x[i + j];
            if (isnan(v)) {
                continue;
            }
            if ((s->count == 0 && got == 0) || kll_lt(v, lo)) {
                lo = v;
            }
            if ((s->count == 0 && got == 0) || kll_lt(hi, v)) {
                hi = v;
            }
            l0->v[l0->n + got++] = v;
        }
        l0->n += (uint32_t)got;
        s->size += got;
        s->count += got;
        s->min = lo;
        s->max = hi;
        i += m;
    }
    return BW_OK;
}

/*
 * Items placed in the levels by a batch add: count them (`items` retained,
 * `count` values), set the exact min and max, and compact until the sketch
 * fits. A failed compaction leaves it over its capacity (free it).
 */
static bw_status kll_settle(bw_kll *s, uint64_t items, uint64_t count, double lo, double hi)
{
    s->size += items;
    s->count += count;
    s->min = lo;
    s->max = hi;
    while (s->size > s->cap_total) {
        BW_TRY(kll_compact_one(s));
    }
    return BW_OK;
}

/*
 * Selecting the ranks a run keeps. bw_kll_add_run keeps few items of a run:
 * the odd item out of each level it climbs and every 2^top-th item from some
 * base on. Those ranks are known before anything is sorted (the coins do not
 * depend on the data), so the run is not sorted: its keys are counted into
 * buckets of their value range, only the buckets holding a wanted rank are
 * gathered, and each of those is settled the same way, or sorted when small.
 * The items kept are those a full sort would have given, bit for bit (equal
 * keys are equal bits). Keys sit in the caller's memory, read and written as
 * bytes (kll_kget/kll_kput), as the sort's do.
 */
struct kll_pick {
    uint64_t odd_r[BW_KLL_MAX_LEVELS]; /* ranks of the odd items out, ascending */
    uint64_t odd_k[BW_KLL_MAX_LEVELS]; /* their keys */
    unsigned nodd;
    uint64_t base; /* the run: ranks base + (i << lg) for i < cnt, all above the odd ones */
    unsigned lg;
    uint64_t cnt;
    double *run; /* its items */
};

#define SEL_SMALL 32    /* a bucket this small is sorted */
#define SEL_TOP_BITS 11 /* buckets of the whole run: at most 2^11 */
#define SEL_SUB_BITS 8  /* of a bucket */

/* The smallest wanted rank at or after r; UINT64_MAX when there is none. */
static uint64_t pick_next(const struct kll_pick *p, uint64_t r)
{
    for (unsigned j = 0; j < p->nodd; j++) {
        if (p->odd_r[j] >= r) {
            return p->odd_r[j];
        }
    }
    if (p->cnt == 0) {
        return UINT64_MAX;
    }
    if (r <= p->base) {
        return p->base;
    }
    uint64_t i = (r - p->base + ((uint64_t)1 << p->lg) - 1) >> p->lg;
    return i < p->cnt ? p->base + (i << p->lg) : UINT64_MAX;
}

/* The key of wanted rank r. */
static void pick_set(struct kll_pick *p, uint64_t r, uint64_t key)
{
    if (p->cnt != 0 && r >= p->base) {
        p->run[(r - p->base) >> p->lg] = kll_unkey(key);
        return;
    }
    for (unsigned j = 0; j < p->nodd; j++) {
        if (p->odd_r[j] == r) {
            p->odd_k[j] = key;
            return;
        }
    }
}

/* Ranks a.. of the s keys k, sorted. */
static void sel_sorted(struct kll_pick *p, const double *k, size_t s, uint64_t a)
{
    for (uint64_t r = pick_next(p, a); r < a + s; r = pick_next(p, r + 1)) {
        pick_set(p, r, kll_kget(k, (size_t)(r - a)));
    }
}

/* Ranks [a, a + s) all hold key v. */
static void sel_same(struct kll_pick *p, uint64_t v, uint64_t a, uint64_t s)
{
    for (uint64_t r = pick_next(p, a); r < a + s; r = pick_next(p, r + 1)) {
        pick_set(p, r, v);
    }
}

static void sel_insertion(double *k, size_t s)
{
    for (size_t i = 1; i < s; i++) {
        uint64_t x = kll_kget(k, i);
        size_t j = i;
        while (j > 0 && kll_kget(k, j - 1) > x) {
            kll_kput(k, j, kll_kget(k, j - 1));
            j--;
        }
        kll_kput(k, j, x);
    }
}

/* The end of bucket b of nb (cnt: the buckets' starts), in a range of s keys. */
static inline uint32_t bucket_end(const uint32_t *cnt, size_t b, size_t nb, size_t s)
{
    return b + 1 < nb ? cnt[b + 1] : (uint32_t)s;
}

static unsigned floor_lg(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

static void sel_sub(struct kll_pick *p, double *k, double *t, size_t s, uint64_t a, uint64_t lo, uint64_t hi);

/*
 * Settle the wanted ranks among the s keys k[0..s) (ranks a.., least lo,
 * greatest hi); t: room for s keys. cnt, pos and on hold 2^maxbits entries.
 * Each level narrows the value range by at least 2^4, so there are at most
 * 16 below the first.
 */
static void sel_level(struct kll_pick *p, double *k, double *t, size_t s, uint64_t a, uint64_t lo, uint64_t hi,
                      uint32_t *cnt, uint32_t *pos, uint8_t *on, unsigned maxbits)
{
    if (lo == hi) {
        sel_same(p, lo, a, s);
        return;
    }
    if (s <= SEL_SMALL) {
        sel_insertion(k, s);
        sel_sorted(p, k, s, a);
        return;
    }
    unsigned bits = BW_MIN(BW_MAX(floor_lg(s), 9u) - 5, maxbits);
    unsigned width = floor_lg(hi - lo) + 1, sh = width > bits ? width - bits : 0;
    size_t nb = (size_t)((hi - lo) >> sh) + 1;

    memset(cnt, 0, nb * sizeof(*cnt));
    memset(on, 0, nb);
    for (size_t i = 0; i < s; i++) {
        cnt[(kll_kget(k, i) - lo) >> sh]++;
    }
    for (uint32_t b = 0, sum = 0; b < nb; b++) {
        uint32_t c = cnt[b];
        cnt[b] = sum; /* now the first rank of bucket b, less a */
        sum += c;
    }
    /* the buckets that hold a wanted rank */
    size_t b = 0, got = 0;
    for (uint64_t r = pick_next(p, a); r < a + s;) {
        uint64_t off = r - a, bend;
        while (b + 1 < nb && cnt[b + 1] <= off) {
            b++;
        }
        bend = bucket_end(cnt, b, nb, s);
        on[b] = 1;
        got += (size_t)(bend - cnt[b]);
        r = pick_next(p, a + bend);
    }
    if (sh == 0) {
        /* every bucket is one value */
        for (b = 0; b < nb; b++) {
            if (on[b]) {
                sel_same(p, lo + b, a + cnt[b], bucket_end(cnt, b, nb, s) - cnt[b]);
            }
        }
        return;
    }
    /* gather the wanted buckets into t, in bucket order; the others' keys all go to one spare slot */
    size_t spare = got < s ? got : 0;
    for (uint32_t at = 0, bb = 0; bb < nb; bb++) {
        uint32_t c = bucket_end(cnt, bb, nb, s) - cnt[bb];
        pos[bb] = on[bb] ? at : (uint32_t)spare;
        at += on[bb] ? c : 0;
    }
    for (size_t i = 0; i < s; i++) {
        uint64_t x = kll_kget(k, i);
        size_t bb = (size_t)((x - lo) >> sh);
        kll_kput(t, pos[bb], x);
        pos[bb] += on[bb];
    }
    /* settle each; pos[b] is now the end of bucket b in t */
    for (b = 0; b < nb; b++) {
        if (!on[b]) {
            continue;
        }
        size_t c = bucket_end(cnt, b, nb, s) - cnt[b], from = pos[b] - c;
        uint64_t blo = UINT64_MAX, bhi = 0;
        if (c > SEL_SMALL) {
            for (size_t i = from; i < from + c; i++) {
                uint64_t x = kll_kget(t, i);
                blo = x < blo ? x : blo;
                bhi = x > bhi ? x : bhi;
            }
        }
        sel_sub(p, t + from, k + from, c, a + cnt[b], blo, bhi);
    }
}

static void sel_sub(struct kll_pick *p, double *k, double *t, size_t s, uint64_t a, uint64_t lo, uint64_t hi)
{
    uint32_t cnt[1u << SEL_SUB_BITS], pos[1u << SEL_SUB_BITS];
    uint8_t on[1u << SEL_SUB_BITS];

    sel_level(p, k, t, s, a, lo, hi, cnt, pos, on, SEL_SUB_BITS);
}

/*
 * The keys of the non-NaN values of x[0..n) into k (read and written as
 * bytes, kll_kput), their least and greatest; returns how many.
 */
static size_t sel_keys(const double *x, size_t n, double *k, uint64_t *kmin, uint64_t *kmax)
{
    size_t m = 0;
    uint64_t lo = UINT64_MAX, hi = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t key = kll_key(x[i]);
        bool keep = !isnan(x[i]);
        kll_kput(k, m, key);
        m += keep;
        lo = keep && key < lo ? key : lo;
        hi = keep && key > hi ? key : hi;
    }
    *kmin = lo;
    *kmax = hi;
    return m;
}

/* Settle the ranks of pk among the m keys k (least kmin, greatest kmax); tmp: room for m keys. */
static void sel_run(struct kll_pick *pk, double *k, double *tmp, size_t m, uint64_t kmin, uint64_t kmax)
{
    uint32_t cnt[1u << SEL_TOP_BITS], pos[1u << SEL_TOP_BITS];
    uint8_t on[1u << SEL_TOP_BITS];

    sel_level(pk, k, tmp, m, 0, kmin, kmax, cnt, pos, on, SEL_TOP_BITS);
}

void bw_kll_select_items(const double *x, size_t n, const uint64_t *odd, unsigned nodd, uint64_t base, unsigned lg,
                         uint64_t cnt, double *odd_out, double *run_out, uint64_t *scratch, double *tmp)
{
    struct kll_pick pk;
    uint64_t kmin, kmax;
    double *keys = (double *)(void *)scratch; /* read and written as bytes */

    if (n == 0 || nodd > BW_KLL_MAX_LEVELS || sel_keys(x, n, keys, &kmin, &kmax) != n) {
        return;
    }
    pk.nodd = nodd;
    memcpy(pk.odd_r, odd, nodd * sizeof(*odd));
    pk.base = base;
    pk.lg = lg;
    pk.cnt = cnt;
    pk.run = run_out;
    sel_run(&pk, keys, tmp, n, kmin, kmax);
    for (unsigned j = 0; j < nodd; j++) {
        odd_out[j] = kll_unkey(pk.odd_k[j]);
    }
}

/* Put x into level h > 0 (sorted; room reserved) at its place. */
static void kll_insert_sorted(struct kll_level *l, double x)
{
    uint32_t i = l->n;

    while (i > 0 && kll_lt(x, l->v[i - 1])) {
        l->v[i] = l->v[i - 1];
        i--;
    }
    l->v[i] = x;
    l->n++;
}

bw_status bw_kll_add_run(bw_kll *s, double *x, size_t n, uint64_t *scratch)
{
    uint32_t odd[BW_KLL_MAX_LEVELS] = {0}, top = 0;
    size_t m, len;
    uint64_t kmin, kmax;
    double lo, hi, *keys = (double *)(void *)scratch; /* read and written as bytes */

    if (n < 256) {
        return bw_kll_add_many(s, x, n);
    }
    if (n > ((size_t)1 << 31)) {
        return BW_EINVAL; /* the buckets count in 32 bits */
    }
    m = sel_keys(x, n, keys, &kmin, &kmax);
    if (m == 0) {
        return BW_OK;
    }
    if (s->count > UINT64_MAX - m) {
        return BW_ELIMIT;
    }
    /*
     * The plan first (the lengths do not depend on the coin): the run is
     * halved while it is longer than the capacity of its level (levels the
     * sketch does not have yet count at the capacity of a new top, k), so
     * that the room can be reserved before anything changes.
     */
    len = m;
    for (;;) {
        uint32_t cap = top < s->nlev ? s->lcap[top] : s->k;
        if (len <= cap || top + 2 >= BW_KLL_MAX_LEVELS) {
            break;
        }
        odd[top] = (uint32_t)(len & 1);
        len /= 2;
        top++;
    }
    for (uint32_t h = 0; h <= top; h++) {
        BW_TRY(kll_reserve(&s->lev[h], (uint64_t)s->lev[h].n + (h == top ? len : odd[h])));
    }
    /*
     * Nothing fails from here on. The halvings, on ranks: at level h the run
     * is the items of ranks base + (i << h); the odd item out (the smallest)
     * stays at its level, then the coin keeps every other item. The kept ranks
     * are then selected (sel_level) straight into their levels.
     */
    struct kll_pick pk;
    uint64_t base = 0;
    pk.nodd = 0;
    len = m;
    for (uint32_t h = 0; h < top; h++) {
        if (odd[h]) {
            pk.odd_r[pk.nodd++] = base;
            base += (uint64_t)1 << h;
            len--;
        }
        base += (uint64_t)kll_coin(s) << h;
        len /= 2;
    }
    pk.base = base;
    pk.lg = top;
    pk.cnt = len;
    pk.run = s->lev[top].v + s->lev[top].n;
    sel_run(&pk, keys, x, m, kmin, kmax);
    lo = kll_unkey(kmin);
    hi = kll_unkey(kmax);
    if (s->count != 0) {
        lo = kll_lt(s->min, lo) ? s->min : lo;
        hi = kll_lt(hi, s->max) ? s->max : hi;
    }
    if (top + 1 > s->nlev) {
        kll_set_levels(s, top + 1);
    }
    for (uint32_t h = 0, j = 0; h < top; h++) {
        if (odd[h]) {
            double v = kll_unkey(pk.odd_k[j++]);
            if (h == 0) {
                s->lev[0].v[s->lev[0].n++] = v;
            } else {
                kll_insert_sorted(&s->lev[h], v);
            }
        }
    }
    /* the run into its level: already in place past level 0's items, else merged (from a copy) */
    if (top > 0) {
        memcpy(x, pk.run, len * sizeof(*x));
        kll_merge_into(&s->lev[top], x, len);
    } else {
        s->lev[0].n += (uint32_t)len;
    }
    return kll_settle(s, pk.nodd + len, m, lo, hi);
}

/*
 * Value x[i] w[i] times: one item at level h for each set bit h of w[i], an
 * exact representation (no error), then the usual compactions until the
 * sketch fits. Items bound for a level above 0 are sorted once and merged
 * into it from the back.
 */
bw_status bw_kll_add_weighted(bw_kll *s, const double *x, const uint64_t *w, size_t n)
{
    uint32_t per[BW_KLL_MAX_LEVELS] = {0}, at[BW_KLL_MAX_LEVELS];
    uint64_t total = 0, items = 0;
    uint32_t top = 0;
    double lo = s->min, hi = s->max, *buf;
    bool empty = s->count == 0;

    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || w[i] == 0) {
            continue;
        }
        if (w[i] >> (BW_KLL_MAX_LEVELS - 1) != 0 || __builtin_add_overflow(total, w[i], &total)) {
            return BW_ELIMIT;
        }
        for (uint64_t b = w[i]; b != 0; b &= b - 1) {
            uint32_t h = (uint32_t)__builtin_ctzll(b);
            per[h]++;
            top = BW_MAX(top, h);
            items++;
        }
    }
    if (total == 0) {
        return BW_OK;
    }
    if (s->count > UINT64_MAX - total || items > UINT32_MAX / 4) {
        return BW_ELIMIT;
    }
    for (uint32_t h = 0; h <= top; h++) {
        BW_TRY(kll_reserve(&s->lev[h], (uint64_t)s->lev[h].n + per[h]));
    }
    buf = bw_malloc((size_t)items * sizeof(*buf));
    if (buf == NULL) {
        return BW_ENOMEM;
    }
    at[0] = 0;
    for (uint32_t h = 1; h <= top; h++) {
        at[h] = at[h - 1] + per[h - 1];
    }
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || w[i] == 0) {
            continue;
        }
        if (empty || kll_lt(x[i], lo)) {
            lo = x[i];
        }
        if (empty || kll_lt(hi, x[i])) {
            hi = x[i];
        }
        empty = false;
        for (uint64_t b = w[i]; b != 0; b &= b - 1) {
            buf[at[__builtin_ctzll(b)]++] = x[i];
        }
    }
    /* nothing fails from here to the compactions */
    if (top + 1 > s->nlev) {
        kll_set_levels(s, top + 1);
    }
    for (uint32_t h = 0, start = 0; h <= top; start += per[h], h++) {
        struct kll_level *l = &s->lev[h];
        double *v = buf + start;

        if (h == 0) {
            memcpy(l->v + l->n, v, (size_t)per[0] * sizeof(*v));
            l->n += per[0];
        } else {
            kll_sort(v, per[h]);
            kll_merge_into(l, v, per[h]);
        }
    }
    bw_free(buf);
    return kll_settle(s, items, total, lo, hi);
}

bw_status bw_kll_merge(bw_kll *dst, const bw_kll *src)
{
    bw_kll t;
    bw_status rc = BW_OK;

    if (dst->k != src->k) {
        return BW_EINVAL;
    }
    if (src->count == 0) {
        return BW_OK;
    }
    if (dst->count > UINT64_MAX - src->count) {
        return BW_ELIMIT;
    }
    /* build the union aside (src may be dst), then compact it and swap it in */
    memset(&t, 0, sizeof(t));
    t.k = dst->k;
    kll_set_levels(&t, BW_MAX(dst->nlev, src->nlev));
    t.count = dst->count + src->count;
    t.rng = dst->rng;
    t.min = dst->count == 0 || kll_cmp(src->min, dst->min) < 0 ? src->min : dst->min;
    t.max = dst->count == 0 || kll_cmp(src->max, dst->max) > 0 ? src->max : dst->max;
    for (uint32_t h = 0; h < t.nlev && rc == BW_OK; h++) {
        const struct kll_level *a = &dst->lev[h], *b = &src->lev[h];
        uint32_t na = h < dst->nlev ? a->n : 0, nb = h < src->nlev ? b->n : 0;
        struct kll_level *l = &t.lev[h];
        size_t i = 0, j = 0;

        if (na + nb == 0) {
            continue;
        }
        rc = kll_reserve(l, (uint64_t)na + nb);
        if (rc != BW_OK) {
            break;
        }
        if (h == 0) {
            /* level 0 is unsorted: a's items, then b's */
            if (na > 0) {
                memcpy(l->v, a->v, na * sizeof(double));
            }
            if (nb > 0) {
                memcpy(l->v + na, b->v, nb * sizeof(double));
            }
        } else {
            while (i < na || j < nb) {
                if (j == nb || (i < na && kll_cmp(a->v[i], b->v[j]) <= 0)) {
                    l->v[l->n++] = a->v[i++];
                } else {
                    l->v[l->n++] = b->v[j++];
                }
            }
        }
        l->n = na + nb;
        t.size += l->n;
    }
    while (rc == BW_OK && t.size > t.cap_total) {
        rc = kll_compact_one(&t);
    }
    if (rc != BW_OK) {
        kll_release(&t);
        return rc;
    }
    kll_release(dst);
    *dst = t;
    return BW_OK;
}

uint64_t bw_kll_count(const bw_kll *s)
{
    return s->count;
}

double bw_kll_min(const bw_kll *s)
{
    return s->min;
}

double bw_kll_max(const bw_kll *s)
{
    return s->max;
}

unsigned bw_kll_k(const bw_kll *s)
{
    return s->k;
}

double bw_kll_rank(const bw_kll *s, double x)
{
    uint64_t w = 0;

    if (s->count == 0 || isnan(x)) {
        return NAN;
    }
    if (x < s->min) {
        return 0.0;
    }
    if (x >= s->max) {
        return 1.0;
    }
    for (uint32_t h = 0; h < s->nlev; h++) {
        uint64_t c = 0;

        for (uint32_t i = 0; i < s->lev[h].n; i++) {
            c += s->lev[h].v[i] <= x;
        }
        w += c << h;
    }
    return (double)w / (double)s->count;
}

struct kll_wv {
    double v;
    uint64_t w; /* weight, then the running total after sorting */
};

static int kll_wv_cmp(const void *a, const void *b)
{
    return kll_cmp(((const struct kll_wv *)a)->v, ((const struct kll_wv *)b)->v);
}

bw_status bw_kll_quantiles(const bw_kll *s, const double *qs, size_t n, double *out)
{
    struct kll_wv *wv;
    size_t m = 0;
    uint64_t run = 0;

    if (s->count == 0) {
        return BW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(qs[i] >= 0.0 && qs[i] <= 1.0)) {
            return BW_EINVAL;
        }
    }
    wv = bw_calloc((size_t)s->size, sizeof(*wv));
    if (wv == NULL) {
        return BW_ENOMEM;
    }
    for (uint32_t h = 0; h < s->nlev; h++) {
        for (uint32_t i = 0; i < s->lev[h].n; i++) {
            wv[m].v = s->lev[h].v[i];
            wv[m++].w = (uint64_t)1 << h;
        }
    }
    qsort(wv, m, sizeof(*wv), kll_wv_cmp);
    for (size_t i = 0; i < m; i++) {
        run += wv[i].w;
        wv[i].w = run;
    }
    for (size_t i = 0; i < n; i++) {
        double target = qs[i] * (double)s->count;
        size_t lo = 0, hi = m - 1;

        if (qs[i] == 0.0) {
            out[i] = s->min;
            continue;
        }
        if (qs[i] == 1.0) {
            out[i] = s->max;
            continue;
        }
        /* the first item whose running weight reaches the target */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if ((double)wv[mid].w >= target) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        out[i] = wv[lo].v;
    }
    bw_free(wv);
    return BW_OK;
}

bw_status bw_kll_quantile(const bw_kll *s, double q, double *out)
{
    return bw_kll_quantiles(s, &q, 1, out);
}

/*
 * Layout after the header: u16le k, u8 levels, u64le count, u64le coin
 * state, then (only when count > 0) f64le min and max, then per level from
 * 0 up: u32le n and n f64le items.
 */
bw_status bw_kll_serialize(const bw_kll *s, bw_buf *out)
{
    put_header(out, BW_SKETCH_KLL);
    put_le(out, s->k, 2);
    put_le(out, s->nlev, 1);
    put_le(out, s->count, 8);
    put_le(out, s->rng, 8);
    if (s->count > 0) {
        put_f64(out, s->min);
        put_f64(out, s->max);
    }
    for (uint32_t h = 0; h < s->nlev; h++) {
        put_le(out, s->lev[h].n, 4);
        for (uint32_t i = 0; i < s->lev[h].n; i++) {
            put_f64(out, s->lev[h].v[i]);
        }
    }
    return out->err;
}

static bw_status kll_read_level(bw_kll *s, bw_rd *rd, uint32_t h)
{
    struct kll_level *l = &s->lev[h];
    uint32_t n;
    size_t at = rd->pos;

    BW_TRY(bw_rd_u32le(rd, &n));
    if (n > 0 && s->count == 0) {
        return sk_fail_at(rd, at, "kll level %" PRIu32 " holds %" PRIu32 " items but the count is 0", h, n);
    }
    if (n > s->cap_total - s->size) {
        return sk_fail_at(rd, at, "kll level %" PRIu32 " holds %" PRIu32 " items, over the capacity %" PRIu64, h, n,
                          s->cap_total);
    }
    if (n > bw_rd_left(rd) / 8) {
        return bw_rd_fail(rd, BW_EFORMAT,
                          "truncated: kll level %" PRIu32 " of %" PRIu32 " items needs %zu bytes, %zu left", h, n,
                          (size_t)n * 8, bw_rd_left(rd));
    }
    if (kll_reserve(l, n) != BW_OK) {
        return bw_fail(rd->err, BW_ENOMEM, "out of memory for a kll sketch");
    }
    for (uint32_t i = 0; i < n; i++) {
        double x;

        at = rd->pos;
        BW_TRY(bw_rd_f64le(rd, &x));
        if (isnan(x)) {
            return sk_fail_at(rd, at, "kll item is NaN");
        }
        if (kll_cmp(x, s->min) < 0 || kll_cmp(x, s->max) > 0) {
            return sk_fail_at(rd, at, "kll item %g outside [min %g, max %g]", x, s->min, s->max);
        }
        if (h > 0 && i > 0 && kll_cmp(l->v[i - 1], x) > 0) {
            return sk_fail_at(rd, at, "kll level %" PRIu32 " not sorted at item %" PRIu32, h, i);
        }
        l->v[l->n++] = x;
    }
    s->size += n;
    return BW_OK;
}

static bw_status kll_read_body(bw_kll *s, bw_rd *rd)
{
    uint8_t nlev;
    uint64_t weight = 0;
    size_t at = rd->pos, count_at;

    BW_TRY(bw_rd_u8(rd, &nlev));
    if (nlev < 1 || nlev > BW_KLL_MAX_LEVELS) {
        return sk_fail_at(rd, at, "kll with %u levels, expected 1..%d", nlev, BW_KLL_MAX_LEVELS);
    }
    kll_set_levels(s, nlev);
    count_at = rd->pos;
    BW_TRY(bw_rd_u64le(rd, &s->count));
    at = rd->pos;
    BW_TRY(bw_rd_u64le(rd, &s->rng));
    if (s->rng == 0) {
        return sk_fail_at(rd, at, "kll coin state is 0");
    }
    if (s->count > 0) {
        at = rd->pos;
        BW_TRY(bw_rd_f64le(rd, &s->min));
        BW_TRY(bw_rd_f64le(rd, &s->max));
        if (isnan(s->min) || isnan(s->max) || kll_cmp(s->min, s->max) > 0) {
            return sk_fail_at(rd, at, "kll min %g and max %g are not an interval", s->min, s->max);
        }
    }
    for (uint32_t h = 0; h < s->nlev; h++) {
        uint64_t lw;

        at = rd->pos;
        BW_TRY(kll_read_level(s, rd, h));
        /* each level's weight is n * 2^h; the sum must not wrap and must be the count */
        lw = (uint64_t)s->lev[h].n << h;
        if ((lw >> h) != s->lev[h].n || weight > UINT64_MAX - lw) {
            return sk_fail_at(rd, at, "kll level %" PRIu32 " overflows the count", h);
        }
        weight += lw;
    }
    if (s->nlev > 1 && s->lev[s->nlev - 1].n == 0) {
        return bw_rd_fail(rd, BW_EFORMAT, "kll top level %" PRIu32 " is empty", s->nlev - 1);
    }
    if (weight != s->count) {
        return sk_fail_at(rd, count_at, "kll count %" PRIu64 " but the levels weigh %" PRIu64, s->count, weight);
    }
    return BW_OK;
}

bw_status bw_kll_read(bw_kll **out, bw_rd *rd)
{
    bw_kll *s = NULL;
    uint16_t k;
    size_t at;
    bw_status rc;

    *out = NULL;
    BW_TRY(read_header(rd, BW_SKETCH_KLL));
    at = rd->pos;
    BW_TRY(bw_rd_u16le(rd, &k));
    if (k < BW_KLL_MIN_K || k > BW_KLL_MAX_K) {
        return sk_fail_at(rd, at, "kll k %u outside %d..%d", k, BW_KLL_MIN_K, BW_KLL_MAX_K);
    }
    rc = bw_kll_new(&s, k, 0, rd->err);
    if (rc != BW_OK) {
        return rc;
    }
    rc = kll_read_body(s, rd);
    if (rc != BW_OK) {
        bw_kll_free(s);
        return rc;
    }
    if (s->count == 0) {
        s->min = NAN;
        s->max = NAN;
    }
    *out = s;
    return BW_OK;
}

bw_status bw_kll_deserialize(bw_kll **out, const void *p, size_t n, bw_error *err)
{
    bw_rd rd;
    bw_status rc;

    bw_rd_init(&rd, p, n, "kll sketch", err);
    rc = bw_kll_read(out, &rd);
    if (rc == BW_OK) {
        rc = read_trailer(&rd);
    }
    if (rc != BW_OK) {
        bw_kll_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- top values: SpaceSaving -------------------------------------------- */

#define TK_NONE UINT32_MAX

struct tk_counter {
    uint64_t count; /* upper bound on the value's occurrences */
    uint64_t err;   /* count - err is a lower bound */
    uint64_t hash;  /* bw_hash64 of the key */
    uint32_t heap;  /* position in the heap */
    uint16_t len;
    uint8_t truncated;
    uint8_t key[BW_TOPK_MAX_KEY];
};

struct bw_topk {
    uint32_t cap;         /* counters allowed */
    uint32_t n;           /* counters in use */
    uint32_t alloc;       /* counters allocated */
    uint64_t total;       /* values added */
    uint64_t floor;       /* bound on the count of any value without a counter; 0 while exact */
    struct tk_counter *c; /* c[0..n) */
    uint32_t *heap;       /* cap counter indices, a min-heap on count */
    uint32_t *slot;       /* open addressing: counter index + 1, 0 = empty */
    uint32_t slot_mask;   /* slots - 1, slots a power of two >= 2 * cap */
    uint64_t key;         /* keys the slot function (table_key) */
};

static inline uint32_t tk_home(const bw_topk *t, uint64_t hash)
{
    return (uint32_t)bw_hash64_u64(hash ^ t->key) & t->slot_mask;
}

static void tk_heap_swap(bw_topk *t, uint32_t i, uint32_t j)
{
    uint32_t a = t->heap[i], b = t->heap[j];

    t->heap[i] = b;
    t->heap[j] = a;
    t->c[b].heap = i;
    t->c[a].heap = j;
}

static void tk_sift_down(bw_topk *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < t->n && t->c[t->heap[l]].count < t->c[t->heap[m]].count) {
            m = l;
        }
        if (r < t->n && t->c[t->heap[r]].count < t->c[t->heap[m]].count) {
            m = r;
        }
        if (m == i) {
            return;
        }
        tk_heap_swap(t, i, m);
        i = m;
    }
}

static void tk_sift_up(bw_topk *t, uint32_t i)
{
    while (i > 0 && t->c[t->heap[(i - 1) / 2]].count > t->c[t->heap[i]].count) {
        tk_heap_swap(t, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static bool tk_key_eq(const struct tk_counter *c, const uint8_t *key, size_t len, uint64_t hash)
{
    return c->hash == hash && c->len == len && (len == 0 || memcmp(c->key, key, len) == 0);
}

/* The counter holding key, or TK_NONE. */
static uint32_t tk_find(const bw_topk *t, const uint8_t *key, size_t len, uint64_t hash)
{
    for (uint32_t i = tk_home(t, hash); t->slot[i] != 0; i = (i + 1) & t->slot_mask) {
        if (tk_key_eq(&t->c[t->slot[i] - 1], key, len, hash)) {
            return t->slot[i] - 1;
        }
    }
    return TK_NONE;
}

static void tk_link(bw_topk *t, uint32_t ci)
{
    uint32_t i = tk_home(t, t->c[ci].hash);

    while (t->slot[i] != 0) {
        i = (i + 1) & t->slot_mask;
    }
    t->slot[i] = ci + 1;
}

/* Remove counter ci from the table, shifting back the entries that probed past it. */
static void tk_unlink(bw_topk *t, uint32_t ci)
{
    uint32_t i = tk_home(t, t->c[ci].hash), j;

    while (t->slot[i] != ci + 1) {
        i = (i + 1) & t->slot_mask;
    }
    for (j = i;;) {
        uint32_t home;

        j = (j + 1) & t->slot_mask;
        if (t->slot[j] == 0) {
            break;
        }
        home = tk_home(t, t->c[t->slot[j] - 1].hash);
        /* the entry at j may move to i unless its home lies cyclically in (i, j] */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            t->slot[i] = t->slot[j];
            i = j;
        }
    }
    t->slot[i] = 0;
}

static void tk_set_key(struct tk_counter *c, const uint8_t *key, size_t len, uint64_t hash)
{
    c->len = (uint16_t)len;
    c->hash = hash;
    if (len > 0) {
        memcpy(c->key, key, len);
    }
}

static bw_status tk_reserve(bw_topk *t, uint32_t need)
{
    uint32_t alloc;
    struct tk_counter *c;

    if (need <= t->alloc) {
        return BW_OK;
    }
    alloc = t->alloc == 0 ? 8 : t->alloc;
    while (alloc < need) {
        alloc *= 2;
    }
    alloc = BW_MIN(alloc, t->cap);
    alloc = BW_MAX(alloc, need);
    c = bw_reallocarray(t->c, alloc, sizeof(*c));
    if (c == NULL) {
        return BW_ENOMEM;
    }
    t->c = c;
    t->alloc = alloc;
    return BW_OK;
}

/* Rebuild the table and the heap from c[0..n). */
static void tk_reindex(bw_topk *t)
{
    memset(t->slot, 0, ((size_t)t->slot_mask + 1) * sizeof(*t->slot));
    for (uint32_t i = 0; i < t->n; i++) {
        tk_link(t, i);
        t->heap[i] = i;
        t->c[i].heap = i;
    }
    for (uint32_t i = t->n / 2; i-- > 0;) {
        tk_sift_down(t, i);
    }
}

bw_status bw_topk_new(bw_topk **out, unsigned capacity, bw_error *err)
{
    bw_topk *t;
    uint32_t slots = 4;

    *out = NULL;
    if (capacity == 0) {
        capacity = BW_TOPK_DEFAULT_CAPACITY;
    }
    if (capacity > BW_TOPK_MAX_CAPACITY) {
        return bw_fail(err, BW_EINVAL, "topk capacity %u over %d", capacity, BW_TOPK_MAX_CAPACITY);
    }
    while (slots < 2 * capacity) {
        slots *= 2;
    }
    t = bw_calloc(1, sizeof(*t));
    if (t == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory for a topk sketch");
    }
    t->cap = capacity;
    t->slot_mask = slots - 1;
    t->key = table_key(t);
    t->heap = bw_calloc(capacity, sizeof(*t->heap));
    t->slot = bw_calloc(slots, sizeof(*t->slot));
    if (t->heap == NULL || t->slot == NULL) {
        bw_topk_free(t);
        return bw_fail(err, BW_ENOMEM, "out of memory for a topk sketch");
    }
    *out = t;
    return BW_OK;
}

void bw_topk_free(bw_topk *t)
{
    if (t == NULL) {
        return;
    }
    bw_free(t->c);
    bw_free(t->heap);
    bw_free(t->slot);
    bw_free(t);
}

bw_status bw_topk_add(bw_topk *t, const void *p, size_t n)
{
    const uint8_t *key = p;
    size_t len = BW_MIN(n, (size_t)BW_TOPK_MAX_KEY);
    uint8_t truncated = n > BW_TOPK_MAX_KEY;
    uint64_t hash = bw_hash64(key, len, 0);
    uint32_t ci;
    struct tk_counter *c;

    if (t->total == UINT64_MAX) {
        return BW_ELIMIT;
    }
    ci = tk_find(t, key, len, hash);
    if (ci != TK_NONE) {
        c = &t->c[ci];
        c->count++;
        c->truncated |= truncated;
        tk_sift_down(t, c->heap);
    } else if (t->n < t->cap) {
        BW_TRY(tk_reserve(t, t->n + 1));
        ci = t->n++;
        c = &t->c[ci];
        tk_set_key(c, key, len, hash);
        c->count = 1;
        c->err = 0;
        c->truncated = truncated;
        c->heap = ci;
        t->heap[ci] = ci;
        tk_link(t, ci);
        tk_sift_up(t, ci);
    } else {
        /* SpaceSaving: the value takes over the smallest counter and inherits its count as error */
        ci = t->heap[0];
        c = &t->c[ci];
        t->floor = BW_MAX(t->floor, c->count);
        tk_unlink(t, ci);
        tk_set_key(c, key, len, hash);
        c->err = c->count;
        c->count++;
        c->truncated = truncated;
        tk_link(t, ci);
        tk_sift_down(t, 0);
    }
    t->total++;
    return BW_OK;
}

/* Order of reports and of the serialised form: count descending, then key bytes ascending. */
static int tk_order(const struct tk_counter *a, const struct tk_counter *b)
{
    int d;

    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    d = memcmp(a->key, b->key, BW_MIN(a->len, b->len));
    if (d != 0) {
        return d < 0 ? -1 : 1;
    }
    return (a->len > b->len) - (a->len < b->len);
}

static int tk_pcmp(const void *a, const void *b)
{
    return tk_order(*(const struct tk_counter *const *)a, *(const struct tk_counter *const *)b);
}

static int tk_ccmp(const void *a, const void *b)
{
    return tk_order(a, b);
}

/* Pointers to the counters in report order; free with bw_free. */
static const struct tk_counter **tk_sorted(const bw_topk *t)
{
    const struct tk_counter **v = bw_calloc(t->n, sizeof(*v));

    if (v == NULL) {
        return NULL;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        v[i] = &t->c[i];
    }
    qsort(v, t->n, sizeof(*v), tk_pcmp);
    return v;
}

/*
 * Merge the counters src[0..sn) of another summary (total stotal, floor
 * sfloor; distinct keys, hashes set) into dst: a value present on both
 * sides adds counts and errors, a value one side lacks is charged that
 * side's floor as both; the dst capacity largest candidates are kept. The
 * candidates are sorted in report order, a total order, so the result does
 * not depend on the order of src.
 */
static bw_status tk_merge_counters(bw_topk *dst, const struct tk_counter *const *src, uint32_t sn, uint64_t stotal,
                                   uint64_t sfloor)
{
    struct tk_counter *cand = NULL;
    uint8_t *hit = NULL;
    uint32_t nc = 0, keep;
    uint64_t floor;

    if (stotal == 0) {
        return BW_OK;
    }
    if (dst->total > UINT64_MAX - stotal) {
        return BW_ELIMIT;
    }
    cand = bw_calloc((size_t)dst->n + sn, sizeof(*cand));
    hit = bw_calloc((size_t)dst->n + 1, 1);
    if (cand == NULL || hit == NULL) {
        bw_free(cand);
        bw_free(hit);
        return BW_ENOMEM;
    }
    for (uint32_t j = 0; j < sn; j++) {
        const struct tk_counter *b = src[j];
        uint32_t i = tk_find(dst, b->key, b->len, b->hash);

        cand[nc] = *b;
        if (i == TK_NONE) {
            cand[nc].count += dst->floor;
            cand[nc].err += dst->floor;
        } else {
            const struct tk_counter *a = &dst->c[i];
            cand[nc].count = a->count + b->count;
            cand[nc].err = a->err + b->err;
            cand[nc].truncated = a->truncated | b->truncated;
            hit[i] = 1;
        }
        nc++;
    }
    /* a value src lacks may have occurred up to src's floor times there */
    for (uint32_t i = 0; i < dst->n; i++) {
        if (!hit[i]) {
            cand[nc] = dst->c[i];
            cand[nc].count += sfloor;
            cand[nc].err += sfloor;
            nc++;
        }
    }
    bw_free(hit);
    qsort(cand, nc, sizeof(*cand), tk_ccmp);
    keep = BW_MIN(nc, dst->cap);
    floor = dst->floor + sfloor;
    if (keep < nc) {
        floor = BW_MAX(floor, cand[keep].count); /* the largest count dropped */
    }
    if (keep > dst->alloc) {
        struct tk_counter *c = bw_reallocarray(dst->c, keep, sizeof(*c));
        if (c == NULL) {
            bw_free(cand);
            return BW_ENOMEM;
        }
        dst->c = c;
        dst->alloc = keep;
    }
    /* nothing fails from here on */
    if (keep > 0) {
        memcpy(dst->c, cand, (size_t)keep * sizeof(*cand));
    }
    dst->n = keep;
    dst->total += stotal;
    dst->floor = floor;
    tk_reindex(dst);
    bw_free(cand);
    return BW_OK;
}

bw_status bw_topk_merge(bw_topk *dst, const bw_topk *src)
{
    const struct tk_counter **v;
    bw_status rc;

    if (src->total == 0) {
        return BW_OK;
    }
    v = bw_calloc(src->n ? src->n : 1, sizeof(*v));
    if (v == NULL) {
        return BW_ENOMEM;
    }
    for (uint32_t j = 0; j < src->n; j++) {
        v[j] = &src->c[j];
    }
    rc = tk_merge_counters(dst, v, src->n, src->total, src->floor);
    bw_free(v);
    return rc;
}

bw_status bw_topk_merge_items(bw_topk *dst, const bw_topk_item *items, size_t n, uint64_t total, uint64_t floor)
{
    struct tk_counter *c = NULL;
    const struct tk_counter **v = NULL;
    uint32_t *slot = NULL, mask = 1;
    uint64_t sum = 0, key = dst->key;
    bw_status rc = BW_EINVAL;

    if (n > BW_TOPK_MAX_CAPACITY || floor > total || (n == 0 && total > 0 && floor == 0)) {
        return BW_EINVAL;
    }
    if (total == 0) {
        return n == 0 ? BW_OK : BW_EINVAL;
    }
    while (mask + 1 < 2 * n) {
        mask = 2 * mask + 1;
    }
    c = bw_calloc(n ? n : 1, sizeof(*c));
    v = bw_calloc(n ? n : 1, sizeof(*v));
    slot = bw_calloc((size_t)mask + 1, sizeof(*slot));
    if (c == NULL || v == NULL || slot == NULL) {
        rc = BW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const bw_topk_item *it = &items[i];
        size_t len = BW_MIN(it->len, (size_t)BW_TOPK_MAX_KEY);
        uint32_t k;

        if ((it->key == NULL && it->len > 0) || it->count == 0 || it->err >= it->count || it->count > total ||
            (floor == 0 && it->err != 0) || __builtin_add_overflow(sum, it->count, &sum)) {
            goto out;
        }
        tk_set_key(&c[i], it->key, len, bw_hash64(it->key, len, 0));
        c[i].count = it->count;
        c[i].err = it->err;
        c[i].truncated = it->truncated || it->len > BW_TOPK_MAX_KEY;
        /* the keys must be distinct, or dst would count one value twice */
        for (k = (uint32_t)bw_hash64_u64(c[i].hash ^ key) & mask; slot[k] != 0; k = (k + 1) & mask) {
            if (tk_key_eq(&c[slot[k] - 1], c[i].key, c[i].len, c[i].hash)) {
                goto out;
            }
        }
        slot[k] = (uint32_t)i + 1;
        v[i] = &c[i];
    }
    if (floor == 0 && sum != total) {
        goto out;
    }
    rc = tk_merge_counters(dst, v, (uint32_t)n, total, floor);
out:
    bw_free(c);
    bw_free(v);
    bw_free(slot);
    return rc;
}

uint64_t bw_topk_total(const bw_topk *t)
{
    return t->total;
}

size_t bw_topk_size(const bw_topk *t)
{
    return t->n;
}

unsigned bw_topk_capacity(const bw_topk *t)
{
    return t->cap;
}

int bw_topk_is_exact(const bw_topk *t)
{
    return t->floor == 0;
}

uint64_t bw_topk_floor(const bw_topk *t)
{
    return t->floor;
}

bw_status bw_topk_items(const bw_topk *t, bw_topk_item *out, size_t max, size_t *n)
{
    const struct tk_counter **v;
    size_t m = BW_MIN(max, (size_t)t->n);

    *n = 0;
    if (m == 0) {
        return BW_OK;
    }
    v = tk_sorted(t);
    if (v == NULL) {
        return BW_ENOMEM;
    }
    for (size_t i = 0; i < m; i++) {
        out[i].key = v[i]->key;
        out[i].len = v[i]->len;
        out[i].count = v[i]->count;
        out[i].err = v[i]->err;
        out[i].truncated = v[i]->truncated;
    }
    *n = m;
    bw_free(v);
    return BW_OK;
}

/*
 * Layout after the header: u32le capacity, u64le total, u64le floor,
 * u32le n, then n entries in report order: u64le count, u64le err, u16le
 * key length, u8 truncated, the key bytes.
 */
bw_status bw_topk_serialize(const bw_topk *t, bw_buf *out)
{
    const struct tk_counter **v = NULL;

    if (t->n > 0) {
        v = tk_sorted(t);
        if (v == NULL) {
            return BW_ENOMEM;
        }
    }
    put_header(out, BW_SKETCH_TOPK);
    put_le(out, t->cap, 4);
    put_le(out, t->total, 8);
    put_le(out, t->floor, 8);
    put_le(out, t->n, 4);
    for (uint32_t i = 0; i < t->n; i++) {
        put_le(out, v[i]->count, 8);
        put_le(out, v[i]->err, 8);
        put_le(out, v[i]->len, 2);
        put_le(out, v[i]->truncated, 1);
        (void)bw_buf_add(out, v[i]->key, v[i]->len);
    }
    bw_free(v);
    return out->err;
}

#define TK_ENTRY_MIN 19 /* bytes of an entry with an empty key */

static bw_status tk_read_entry(bw_topk *t, bw_rd *rd, uint32_t i, uint64_t *sum)
{
    struct tk_counter *c = &t->c[i];
    uint16_t len;
    bw_bytes key;
    size_t at = rd->pos;

    BW_TRY(bw_rd_u64le(rd, &c->count));
    BW_TRY(bw_rd_u64le(rd, &c->err));
    if (c->count == 0 || c->count > t->total || c->err >= c->count) {
        return sk_fail_at(rd, at, "topk entry %" PRIu32 ": count %" PRIu64 " error %" PRIu64 " with total %" PRIu64, i,
                          c->count, c->err, t->total);
    }
    if (t->floor == 0 && c->err != 0) {
        return sk_fail_at(rd, at, "topk entry %" PRIu32 " has an error in an exact sketch", i);
    }
    if (__builtin_add_overflow(*sum, c->count, sum)) {
        return sk_fail_at(rd, at, "topk counts overflow");
    }
    at = rd->pos;
    BW_TRY(bw_rd_u16le(rd, &len));
    BW_TRY(bw_rd_u8(rd, &c->truncated));
    if (len > BW_TOPK_MAX_KEY || c->truncated > 1 || (c->truncated && len != BW_TOPK_MAX_KEY)) {
        return sk_fail_at(rd, at, "topk entry %" PRIu32 ": key of %u bytes, truncated %u", i, len, c->truncated);
    }
    BW_TRY(bw_rd_view(rd, len, &key));
    tk_set_key(c, key.ptr, len, bw_hash64(key.ptr, len, 0));
    if (i > 0 && tk_order(&t->c[i - 1], c) >= 0) {
        return sk_fail_at(rd, at, "topk entry %" PRIu32 " out of order", i);
    }
    if (tk_find(t, c->key, c->len, c->hash) != TK_NONE) {
        return sk_fail_at(rd, at, "topk entry %" PRIu32 " repeats a key", i);
    }
    tk_link(t, i);
    t->n++;
    return BW_OK;
}

static bw_status tk_read_body(bw_topk *t, bw_rd *rd)
{
    uint32_t n;
    uint64_t sum = 0;
    size_t at = rd->pos;

    BW_TRY(bw_rd_u64le(rd, &t->total));
    BW_TRY(bw_rd_u64le(rd, &t->floor));
    if (t->floor > t->total) {
        return sk_fail_at(rd, at, "topk floor %" PRIu64 " over the total %" PRIu64, t->floor, t->total);
    }
    at = rd->pos;
    BW_TRY(bw_rd_u32le(rd, &n));
    if (n > t->cap) {
        return sk_fail_at(rd, at, "topk of %" PRIu32 " entries over its capacity %" PRIu32, n, t->cap);
    }
    if (n == 0 && t->total > 0) {
        return sk_fail_at(rd, at, "topk of no entries with a total of %" PRIu64, t->total);
    }
    if (n > bw_rd_left(rd) / TK_ENTRY_MIN) {
        return bw_rd_fail(rd, BW_EFORMAT, "truncated: %" PRIu32 " topk entries cannot fit in %zu bytes", n,
                          bw_rd_left(rd));
    }
    if (tk_reserve(t, n) != BW_OK) {
        return bw_fail(rd->err, BW_ENOMEM, "out of memory for a topk sketch");
    }
    for (uint32_t i = 0; i < n; i++) {
        BW_TRY(tk_read_entry(t, rd, i, &sum));
    }
    if (t->floor == 0 && sum != t->total) {
        return sk_fail_at(rd, at, "exact topk counts add up to %" PRIu64 ", total says %" PRIu64, sum, t->total);
    }
    tk_reindex(t);
    return BW_OK;
}

bw_status bw_topk_read(bw_topk **out, bw_rd *rd)
{
    bw_topk *t = NULL;
    uint32_t cap;
    size_t at;
    bw_status rc;

    *out = NULL;
    BW_TRY(read_header(rd, BW_SKETCH_TOPK));
    at = rd->pos;
    BW_TRY(bw_rd_u32le(rd, &cap));
    if (cap < 1 || cap > BW_TOPK_MAX_CAPACITY) {
        return sk_fail_at(rd, at, "topk capacity %" PRIu32 " outside 1..%d", cap, BW_TOPK_MAX_CAPACITY);
    }
    rc = bw_topk_new(&t, cap, rd->err);
    if (rc != BW_OK) {
        return rc;
    }
    rc = tk_read_body(t, rd);
    if (rc != BW_OK) {
        bw_topk_free(t);
        return rc;
    }
    *out = t;
    return BW_OK;
}

bw_status bw_topk_deserialize(bw_topk **out, const void *p, size_t n, bw_error *err)
{
    bw_rd rd;
    bw_status rc;

    bw_rd_init(&rd, p, n, "topk sketch", err);
    rc = bw_topk_read(out, &rd);
    if (rc == BW_OK) {
        rc = read_trailer(&rd);
    }
    if (rc != BW_OK) {
        bw_topk_free(*out);
        *out = NULL;
    }
    return rc;
}
