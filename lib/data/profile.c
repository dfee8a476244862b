/*
 * profile.c - column profiles built from batches, merged across shards and
 * written to / read from JSON (see bw_profile.h, docs/profile.md).
 *
 * Each column keeps plain accumulators (counts, exact integer min/max,
 * Welford/Chan moments, string lengths, pattern counts) and three sketches
 * (bw_hll distinct values, bw_kll quantiles, bw_topk top values). A batch
 * is taken a column at a time in tight loops over its typed arrays; moments
 * are computed per batch in two passes (mean, then squared deviations) and
 * folded into the column with Chan et al.'s pairwise formula, which is also
 * what merging two profiles does.
 *
 * Values are keyed the same way whatever type a column was read as, so that
 * shards that widened at different points agree: a number that is integral
 * and fits int64 is hashed and counted as that integer (3 and 3.0 are one
 * value), other doubles by their bits; dates and timestamps as microseconds.
 * Top-value keys of non-string columns are a tag byte and 8 little-endian
 * bytes, turned into text only when reported.
 */
#include <jansson.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bulwark/bw_buf.h"
#include "bulwark/bw_hash.h"
#include "bulwark/bw_json.h"
#include "bulwark/bw_profile.h"
#include "bulwark/bw_sketch.h"
#include "data/data_internal.h"
#include "util/internal.h"

#define DEFAULT_HLL_P 18
#define US_PER_DAY 86400000000LL
#define MAX_JSON ((size_t)256 << 20)
#define KEY_INT 'i'
#define KEY_FLOAT 'f'
#define KEY_TIME 't'
#define KEY_BOOL 'b'
#define FLOAT_HASH_SALT 0x9e3779b97f4a7c15ULL

const double bw_profile_quantile_ranks[BW_PROFILE_NQUANTILES] = {0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99};

static const char *const pattern_names[BW_PAT_COUNT] = {
    "blank", "numeric", "date", "uuid", "email", "url", "ipv4", "phone", "padded", "control", "formula",
};

const char *bw_pattern_name(bw_pattern p)
{
    return (unsigned)p < BW_PAT_COUNT ? pattern_names[p] : "unknown";
}

struct pcol {
    char *name;
    bw_dtype type;
    bool mixed;
    uint64_t count, nulls, bad;
    /* numbers and times: moments over finite values */
    uint64_t mn;
    double mean, m2;
    uint64_t nnan, ninf;
    bool has_i;
    int64_t imin, imax; /* int64 values, or microseconds */
    uint64_t ntrue;
    /* strings */
    uint64_t len_n, len_sum, len_min, len_max;
    uint64_t pat[BW_PAT_COUNT];
    bw_hll *hll;
    bw_kll *kll; /* numeric and temporal columns only */
    bw_topk *topk;
    /* hints from the last chunk added (the figures do not depend on them) */
    bool many; /* mostly distinct values */
    bool few;  /* at most FEW_DISTINCT distinct values */
};

struct dtab;
static void dtab_free(struct dtab *t);

struct bw_profile {
    bw_profile_opts o;
    uint64_t rows, bad_rows;
    struct pcol *c;
    size_t n, cap;
    size_t *idx; /* names: open addressing, column + 1 (0 empty) */
    size_t nidx;
    size_t *map; /* batch column -> profile column, per add_batch */
    size_t mapcap;
    bw_buf scratch;
    struct dtab *dt; /* the distinct values of the batch column being added */
    char **many;     /* bw_profile_expect_many: columns whose sketches start dense */
    size_t nmany;
};

static bool is_numeric(bw_dtype t)
{
    return t == BW_DT_INT64 || t == BW_DT_FLOAT64;
}

static bool is_temporal(bw_dtype t)
{
    return t == BW_DT_DATE || t == BW_DT_TIMESTAMP;
}

/* The type both sides widen to; string when neither widens to the other. */
static bw_dtype join(bw_dtype a, bw_dtype b)
{
    if (a == b || b == BW_DT_NULL) {
        return a;
    }
    if (a == BW_DT_NULL) {
        return b;
    }
    if (is_numeric(a) && is_numeric(b)) {
        return BW_DT_FLOAT64;
    }
    if (is_temporal(a) && is_temporal(b)) {
        return BW_DT_TIMESTAMP;
    }
    return BW_DT_STRING;
}

/* ---- setup -------------------------------------------------------------------------------------- */

bw_status bw_profile_new(bw_profile **out, const bw_profile_opts *opts, bw_error *err)
{
    bw_profile *p;

    *out = NULL;
    if (opts != NULL && opts->version != BW_PROFILE_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "bw_profile_opts version %d is not %d", opts->version, BW_PROFILE_OPTS_VERSION);
    }
    p = bw_calloc(1, sizeof(*p));
    if (p == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    p->o = opts != NULL ? *opts : (bw_profile_opts)BW_PROFILE_OPTS_INIT;
    p->o.hll_p = p->o.hll_p ? p->o.hll_p : DEFAULT_HLL_P;
    p->o.kll_k = p->o.kll_k ? p->o.kll_k : BW_KLL_DEFAULT_K;
    p->o.topk_counters = p->o.topk_counters ? p->o.topk_counters : BW_TOPK_DEFAULT_CAPACITY;
    if (p->o.hll_p < BW_HLL_MIN_P || p->o.hll_p > BW_HLL_MAX_P || p->o.kll_k < BW_KLL_MIN_K ||
        p->o.kll_k > BW_KLL_MAX_K || p->o.topk_counters > BW_TOPK_MAX_CAPACITY) {
        bw_free(p);
        return bw_fail(err, BW_EINVAL, "profile sketch parameters out of range");
    }
    bw_buf_init(&p->scratch, (size_t)1 << 20);
    *out = p;
    return BW_OK;
}

static void col_release(struct pcol *c)
{
    bw_free(c->name);
    bw_hll_free(c->hll);
    bw_kll_free(c->kll);
    bw_topk_free(c->topk);
}

void bw_profile_free(bw_profile *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        col_release(&p->c[i]);
    }
    bw_free(p->c);
    bw_free(p->idx);
    bw_free(p->map);
    bw_buf_release(&p->scratch);
    dtab_free(p->dt);
    for (size_t i = 0; i < p->nmany; i++) {
        bw_free(p->many[i]);
    }
    bw_free(p->many);
    bw_free(p);
}

bw_status bw_profile_expect_many(bw_profile *p, const char *const *names, size_t n, bw_error *err)
{
    char **m = n > 0 ? bw_reallocarray(p->many, p->nmany + n, sizeof(*m)) : p->many;

    if (n > 0 && m == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    p->many = m;
    for (size_t i = 0; i < n; i++) {
        if (names[i] == NULL) {
            continue;
        }
        if ((p->many[p->nmany] = bw_strdup(names[i])) == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        p->nmany++;
    }
    return BW_OK;
}

/* Keyed by the profile's address: a crafted file cannot pile its names into one probe run. */
static uint64_t name_hash(const bw_profile *p, const char *s)
{
    return bw_hash64(s, strlen(s), (uint64_t)(uintptr_t)p);
}

static size_t find_col(const bw_profile *p, const char *name)
{
    if (p->nidx == 0) {
        return SIZE_MAX;
    }
    for (size_t k = name_hash(p, name) & (p->nidx - 1); p->idx[k] != 0; k = (k + 1) & (p->nidx - 1)) {
        if (strcmp(p->c[p->idx[k] - 1].name, name) == 0) {
            return p->idx[k] - 1;
        }
    }
    return SIZE_MAX;
}

static void index_put(size_t *idx, size_t cap, size_t k0, size_t col)
{
    size_t k = k0 & (cap - 1);
    while (idx[k] != 0) {
        k = (k + 1) & (cap - 1);
    }
    idx[k] = col + 1;
}

/* A new column named `name`, null in the `rows` rows seen before it. */
static bw_status add_col(bw_profile *p, const char *name, uint64_t rows, size_t *at, bw_error *err)
{
    struct pcol *c;

    if (p->n >= BW_DATA_MAX_COLUMNS) {
        return bw_fail(err, BW_ELIMIT, "profile: more than %d columns", BW_DATA_MAX_COLUMNS);
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct pcol *g = bw_reallocarray(p->c, cap, sizeof(*g));
        if (g == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        p->c = g;
        p->cap = cap;
    }
    if (2 * (p->n + 1) > p->nidx) {
        size_t cap = p->nidx ? p->nidx * 2 : 32;
        size_t *idx = bw_calloc(cap, sizeof(*idx));
        if (idx == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < p->n; i++) {
            index_put(idx, cap, name_hash(p, p->c[i].name), i);
        }
        bw_free(p->idx);
        p->idx = idx;
        p->nidx = cap;
    }
    c = &p->c[p->n];
    memset(c, 0, sizeof(*c));
    c->name = bw_strdup(name);
    if (c->name == NULL || bw_hll_new(&c->hll, p->o.hll_p, err) != BW_OK ||
        bw_topk_new(&c->topk, p->o.topk_counters, err) != BW_OK) {
        col_release(c);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < p->nmany; i++) {
        if (strcmp(p->many[i], name) == 0 && bw_hll_make_dense(c->hll) != BW_OK) {
            col_release(c);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
    }
    c->count = rows;
    c->nulls = rows;
    c->len_min = UINT64_MAX;
    index_put(p->idx, p->nidx, name_hash(p, name), p->n);
    *at = p->n++;
    return BW_OK;
}

static bw_status need_kll(bw_profile *p, struct pcol *c, bw_error *err)
{
    if (c->kll == NULL) {
        return bw_kll_new(&c->kll, p->o.kll_k, 0, err);
    }
    return BW_OK;
}

/* ---- keys --------------------------------------------------------------------------------------- */

static void put_u64le(uint8_t *k, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        k[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_u64le(const uint8_t *k)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | k[i];
    }
    return v;
}

/* The key and hash of a double: an integral value in int64's range counts as that integer. */
static inline uint64_t double_key(double d, uint8_t key[9])
{
    uint64_t bits;

    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d) {
        int64_t v = (int64_t)d;
        key[0] = KEY_INT;
        put_u64le(key + 1, (uint64_t)v);
        return bw_hash64_u64((uint64_t)v);
    }
    if (isnan(d)) {
        bits = 0x7ff8000000000000ULL;
    } else {
        memcpy(&bits, &d, 8);
    }
    key[0] = KEY_FLOAT;
    put_u64le(key + 1, bits);
    return bw_hash64_u64(bits) ^ FLOAT_HASH_SALT;
}

/* ---- moments ------------------------------------------------------------------------------------ */

/* Chan et al.: fold (nb, mb, m2b) into the column's moments. */
static void moments_add(struct pcol *c, uint64_t nb, double mb, double m2b)
{
    if (nb == 0) {
        return;
    }
    if (c->mn == 0) {
        c->mn = nb;
        c->mean = mb;
        c->m2 = m2b;
        return;
    }
    double na = (double)c->mn, nbd = (double)nb, n = na + nbd;
    double delta = mb - c->mean;
    c->mean += delta * (nbd / n);
    c->m2 += m2b + delta * delta * (na * nbd / n);
    c->mn += nb;
}

/* ---- patterns ----------------------------------------------------------------------------------- */

static bool is_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

static bool uuid_like(const char *s, size_t n)
{
    if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') {
        return false;
    }
    for (size_t i = 0; i < 36; i++) {
        if (i != 8 && i != 13 && i != 18 && i != 23 && !is_hex((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static bool ipv4_like(const char *s, size_t n)
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0 || digits > 3 || v > 255) {
            return false;
        }
        if (part < 3) {
            if (i >= n || s[i] != '.') {
                return false;
            }
            i++;
        }
    }
    return i == n;
}

static bool email_like(const char *s, size_t n, const char *at)
{
    size_t a = (size_t)(at - s);
    const char *dot;

    if (a == 0 || a + 1 >= n || memchr(at + 1, '@', n - a - 1) != NULL) {
        return false;
    }
    dot = memrchr(at + 1, '.', n - a - 1);
    return dot != NULL && dot > at + 1 && dot < s + n - 1;
}

static bool url_like(const char *s, size_t n)
{
    static const char *const schemes[] = {"http://", "https://", "ftp://", "s3://"};

    for (size_t i = 0; i < BW_ARRAY_LEN(schemes); i++) {
        size_t k = strlen(schemes[i]);
        if (n > k && strncasecmp(s, schemes[i], k) == 0 && s[k] != '/' && s[k] != ' ') {
            return true;
        }
    }
    return false;
}

static bool phone_like(const char *s, size_t n)
{
    unsigned digits = 0;

    if (n < 7 || n > 24) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9') {
            digits++;
        } else if (ch != '+' && ch != '-' && ch != '(' && ch != ')' && ch != '.' && ch != ' ') {
            return false;
        } else if (ch == '+' && i != 0) {
            return false;
        }
    }
    return digits >= 7 && digits <= 15;
}

/*
 * Bit i of each mask tells whether byte i of a value of at most 64 bytes is
 * '@', ' ', '.', a control character (below 0x20 but tab, or 0x7f) or a
 * UTF-8 continuation byte (10xxxxxx).
 */
struct tmask {
    uint64_t at, sp, dot, ctl, cont;
};

/* The bits lo..hi-1 (hi <= 64). */
static inline uint64_t bits_in(size_t lo, size_t hi)
{
    uint64_t below_hi = hi >= 64 ? UINT64_MAX : ((uint64_t)1 << hi) - 1;
    uint64_t below_lo = lo >= 64 ? UINT64_MAX : ((uint64_t)1 << lo) - 1;
    return below_hi & ~below_lo;
}

/*
 * email_like (with no space in the value) told by the masks: the value is
 * bytes t..t+tn-1 of the masked text, its first '@' at byte a.
 */
static inline bool email_masks(const struct tmask *m, size_t t, size_t tn, size_t a)
{
    size_t end = t + tn;
    uint64_t dots;

    if ((m->sp & bits_in(t, end)) != 0 || a == t || a + 1 >= end || (m->at & bits_in(a + 1, end)) != 0) {
        return false;
    }
    dots = m->dot & bits_in(a + 1, end);
    if (dots == 0) {
        return false;
    }
    size_t d = 63 - (size_t)__builtin_clzll(dots); /* the last '.' */
    return d > a + 1 && d < end - 1;
}

/*
 * Classify one string value, seen w times (code points already counted by the
 * caller's scan, which also found the first '@' and whether control characters
 * occur).
 */
static void classify(struct pcol *c, const char *s, size_t n, const char *at, bool control, uint64_t w,
                     const struct tmask *mk)
{
    const char *t = s;
    size_t tn = n;
    double d;
    int32_t days;
    int64_t us;

    while (tn > 0 && (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')) {
        t++;
        tn--;
    }
    if (tn == 0) {
        c->pat[BW_PAT_BLANK] += w;
        return;
    }
    while (t[tn - 1] == ' ' || t[tn - 1] == '\t' || t[tn - 1] == '\r' || t[tn - 1] == '\n') {
        tn--;
    }
    if (tn != n) {
        c->pat[BW_PAT_PADDED] += w;
    }
    if (control) {
        c->pat[BW_PAT_CONTROL] += w;
    }
    unsigned char c0 = (unsigned char)t[0];
    bool numeric = false;
    if ((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.' || (c0 | 0x20) == 'i' || (c0 | 0x20) == 'n') {
        numeric = bw_parse_float64(t, tn, &d);
        if (numeric) {
            c->pat[BW_PAT_NUMERIC] += w;
        }
    }
    if (!numeric && (c0 == '=' || c0 == '+' || c0 == '-' || c0 == '@')) {
        c->pat[BW_PAT_FORMULA] += w;
    }
    if (c0 >= '0' && c0 <= '9') {
        if (!numeric && tn >= 10 && t[4] == '-' && (bw_parse_date(t, tn, &days) || bw_parse_timestamp(t, tn, &us))) {
            c->pat[BW_PAT_DATE] += w;
            return;
        }
        if (!numeric && tn >= 7 && tn <= 15 && ipv4_like(t, tn)) {
            c->pat[BW_PAT_IPV4] += w;
            return;
        }
    }
    if (tn == 36 && uuid_like(t, tn)) {
        c->pat[BW_PAT_UUID] += w;
        return;
    }
    if (at != NULL && (mk != NULL ? email_masks(mk, (size_t)(t - s), tn, (size_t)(at - s))
                                  : memchr(t, ' ', tn) == NULL && email_like(t, tn, at))) {
        c->pat[BW_PAT_EMAIL] += w;
        return;
    }
    if (tn > 6 && ((c0 | 0x20) == 'h' || (c0 | 0x20) == 'f' || (c0 | 0x20) == 's') && url_like(t, tn)) {
        c->pat[BW_PAT_URL] += w;
        return;
    }
    if (!numeric && (c0 == '+' || c0 == '(' || (c0 >= '0' && c0 <= '9')) && phone_like(t, tn)) {
        c->pat[BW_PAT_PHONE] += w;
    }
}

/* ---- the distinct values of one column chunk ---------------------------------------------------- */

/*
 * A batch column is taken CHUNK rows at a time (the readers' default batch
 * is one chunk, so the top values are exactly those of per-batch summaries).
 * Each value is hashed once (bw_hash64 for text, bw_hash64_u64 for 8-byte
 * keys) and counted in a table of the chunk's distinct values: 16-byte
 * entries (hash, count, first row), open addressing on the hash, at most
 * half full. The slot is a multiply-shift of the hash by a random odd
 * number per profile, so crafted values cannot
 * pile into one probe run. An 8-byte key's hash is a bijection of the value,
 * so equal hashes are equal values; doubles and text compare the values on
 * a hash match (a hash collision never merges two values).
 *
 * Then each distinct value is handled once, with its count: its hash goes to
 * the HLL, the chunk's `capacity` most frequent values go to the top-k with
 * their exact counts (the largest count left out is the floor;
 * bw_topk_merge_items), and text values have their length and pattern
 * classes worked out once and weighted by the count.
 *
 * A column whose last chunk held mostly distinct values (patient ids,
 * emails, prices, timestamps) has its next chunk counted bucket by bucket
 * (dtab_put_rows: the table stays in the cache), its text values measured
 * row by row and the HLL fed row by row, which give the same figures and
 * sketches as the walk of the distinct values would (whose entries, spread
 * over a table larger than the cache, each cost a miss).
 */
#define CHUNK 65536
#define DT_SHORT 0x80000000u /* row flag: a value of at most BW_TOPK_MAX_KEY bytes (its hash goes to the HLL) */
#define DT_TRUNC 0x40000000u /* row flag: a longer value, counted by its first BW_TOPK_MAX_KEY bytes */
#define DT_ROW 0x3fffffffu

enum { K_U64, K_F64, K_STR, K_PREFIX, K_BYTES };
#define FEW 8 /* a numeric chunk with at most 1/FEW as many distinct values as values: (value, count) pairs to KLL */
#define PEND 32
#define FEW_DISTINCT 2048
#define NBUCKET_LG 6
#define NBUCKET (1u << NBUCKET_LG)
#define AHEAD                                                                                                          \
    16 /* entries fetched ahead when the table is walked in insertion order */ /* values whose slots are fetched at once: the cache misses overlap */

struct dent {
    uint64_t hash;
    uint32_t count; /* 0: empty slot */
    uint32_t row;   /* the first row (in the batch) holding the value, and DT_ flags */
};

struct pick {
    const uint8_t *key;
    size_t len;
    uint32_t count, row;
    uint8_t trunc;
};

struct dtab {
    struct dent *e;
    uint32_t *used; /* slots in use, in the order they were taken */
    size_t cap;     /* a power of two */
    unsigned shift; /* 64 - log2(cap) */
    size_t n;       /* entries in use */
    uint64_t mul;   /* odd: the slot of hash h is (h * mul) >> shift */
    /* values hashed, their slots prefetched, waiting to be counted (in row order) */
    uint64_t ph[PEND];
    uint32_t pr[PEND];
    size_t pn;
    double *vals;       /* a numeric chunk's values, CHUNK of them */
    uint64_t *wts;      /* CHUNK / FEW of them: the counts of a chunk of few distinct values */
    uint64_t *hs;       /* CHUNK: the hashes of the chunk's rows, or (the HLL's) of its distinct values */
    uint64_t *ks;       /* CHUNK: the quantile sketch's workspace (bw_kll_add_run) */
    const uint64_t *rh; /* the hashes of the chunk's rows for the HLL (nrh of them: hs or bh), or NULL */
    size_t nrh;
    /* counting a chunk of many distinct values bucket by bucket: CHUNK each */
    uint32_t *rows; /* the rows of the hashes in hs */
    uint64_t *bh;   /* hs and rows sorted by bucket */
    uint32_t *br;
    uint32_t *loc;   /* 2 * CHUNK: a bucket's table of entry numbers + 1 (0 empty) */
    struct dent *de; /* CHUNK: the entries of a chunk counted bucket by bucket, t->n of them, dense */
    bool dense;      /* the entries are in de (t->e is untouched and t->used is not kept) */
    bool keyed;      /* the entries' hashes are table keys (num_key), not the HLL's: dtab_flush hashes the values */
    bool direct;     /* the entries are in de, in the order of their first rows (t->used[i] = i): count_range */
    /* top-k scratch, pcap entries each */
    struct pick *pk;
    bw_topk_item *items;
    uint8_t (*kb)[9];
    size_t pcap;
};

static void dtab_free(struct dtab *t)
{
    if (t != NULL) {
        bw_free(t->e);
        bw_free(t->used);
        bw_free(t->vals);
        bw_free(t->wts);
        bw_free(t->hs);
        bw_free(t->ks);
        bw_free(t->rows);
        bw_free(t->de);
        bw_free(t->bh);
        bw_free(t->br);
        bw_free(t->loc);
        bw_free(t->pk);
        bw_free(t->items);
        bw_free(t->kb);
        bw_free(t);
    }
}

/* A table with room for a chunk of `rows` rows and flushes into a top-k of `tcap` counters. */
static bw_status dtab_need(bw_profile *p, size_t rows, size_t tcap)
{
    static atomic_uint_fast64_t counter;
    struct dtab *t = p->dt;
    size_t cap = 64;
    unsigned lg = 6;

    if (t == NULL) {
        t = p->dt = bw_calloc(1, sizeof(*t));
        if (t == NULL) {
            return BW_ENOMEM;
        }
        uint64_t c = atomic_fetch_add(&counter, 1);
        t->mul = bw_hash64_u64((uint64_t)(uintptr_t)t ^ ((uint64_t)(uintptr_t)&counter << 32) ^
                               (c * 0x9e3779b97f4a7c15ULL)) |
                 1;
    }
    if (t->loc == NULL) {
        t->vals = t->vals != NULL ? t->vals : bw_malloc(CHUNK * sizeof(*t->vals));
        t->wts = t->wts != NULL ? t->wts : bw_malloc(CHUNK / FEW * sizeof(*t->wts));
        t->hs = t->hs != NULL ? t->hs : bw_malloc(CHUNK * sizeof(*t->hs));
        t->ks = t->ks != NULL ? t->ks : bw_malloc(CHUNK * sizeof(*t->ks));
        t->rows = t->rows != NULL ? t->rows : bw_malloc(CHUNK * sizeof(*t->rows));
        t->bh = t->bh != NULL ? t->bh : bw_malloc(CHUNK * sizeof(*t->bh));
        t->br = t->br != NULL ? t->br : bw_malloc(CHUNK * sizeof(*t->br));
        if (t->vals == NULL || t->wts == NULL || t->hs == NULL || t->ks == NULL || t->rows == NULL || t->bh == NULL ||
            t->br == NULL) {
            return BW_ENOMEM;
        }
        t->de = t->de != NULL ? t->de : bw_malloc(CHUNK * sizeof(*t->de));
        t->loc = t->de != NULL ? bw_malloc(2 * CHUNK * sizeof(*t->loc)) : NULL;
        if (t->loc == NULL) {
            return BW_ENOMEM;
        }
    }
    while (cap < 2 * BW_MIN(rows, (size_t)CHUNK)) {
        cap *= 2;
        lg++;
    }
    if (cap > t->cap) {
        struct dent *e = bw_calloc(cap, sizeof(*e));
        uint32_t *u = bw_malloc(cap * sizeof(*u));
        if (e == NULL || u == NULL) {
            bw_free(e);
            bw_free(u);
            return BW_ENOMEM;
        }
        bw_free(t->e);
        bw_free(t->used);
        t->e = e;
        t->used = u;
        t->cap = cap;
        t->shift = 64 - lg;
        t->n = 0;
    }
    if (tcap > t->pcap) {
        struct pick *pk = bw_reallocarray(t->pk, tcap, sizeof(*pk));
        if (pk != NULL) {
            t->pk = pk;
        }
        bw_topk_item *it = bw_reallocarray(t->items, tcap, sizeof(*it));
        if (it != NULL) {
            t->items = it;
        }
        uint8_t(*kb)[9] = bw_reallocarray(t->kb, tcap, sizeof(*kb));
        if (kb != NULL) {
            t->kb = kb;
        }
        if (pk == NULL || it == NULL || kb == NULL) {
            return BW_ENOMEM;
        }
        t->pcap = tcap;
    }
    return BW_OK;
}

static void dtab_clear(struct dtab *t)
{
    if (t->dense || t->direct) {
        /* nothing to clear: the entries are in de */
    } else if (t->n > t->cap / 8) {
        memset(t->e, 0, t->cap * sizeof(*t->e));
    } else {
        for (size_t i = 0; i < t->n; i++) {
            t->e[t->used[i]].count = 0;
        }
    }
    t->n = 0;
    t->pn = 0;
    t->rh = NULL;
    t->nrh = 0;
    t->dense = false;
    t->direct = false;
    t->keyed = false;
}

/* Whether a[0..n) and b[0..n) are equal: 8 bytes at a time, the last 1 to 8 in one or two overlapping loads. */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    uint32_t u, v;

    if (n >= 8) {
        for (; n > 8; a += 8, b += 8, n -= 8) {
            memcpy(&x, a, 8);
            memcpy(&y, b, 8);
            if (x != y) {
                return false;
            }
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        x = u;
        y = v;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return (x ^ y) == 0 && u == v;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

/* Whether rows a and b of col hold the same value (their hashes being equal). */
static inline bool same_value(const bw_column *col, int kind, uint32_t a, uint32_t b)
{
    size_t la, lb;
    const char *sa, *sb;

    switch (kind) {
    case K_U64:
    case K_BYTES: return true;
    case K_F64: {
        double x = col->f64[a], y = col->f64[b];
        return x == y || (isnan(x) && isnan(y));
    }
    default:
        sa = bw_col_str(col, a, &la);
        sb = bw_col_str(col, b, &lb);
        if (kind == K_PREFIX) {
            la = BW_MIN(la, (size_t)BW_TOPK_MAX_KEY);
            lb = BW_MIN(lb, (size_t)BW_TOPK_MAX_KEY);
        }
        return la == lb && bytes_eq(sa, sb, la);
    }
}

/* Count `w` occurrences of the value of row `row` (hash h). */
static inline void dtab_put(struct dtab *t, const bw_column *col, int kind, uint64_t h, uint32_t row, uint32_t flags,
                            uint32_t w)
{
    size_t mask = t->cap - 1;

    for (size_t k = (size_t)((h * t->mul) >> t->shift);; k = (k + 1) & mask) {
        struct dent *e = &t->e[k];
        if (e->count == 0) {
            e->hash = h;
            e->count = w;
            e->row = row | flags;
            t->used[t->n++] = (uint32_t)k;
            return;
        }
        if (e->hash == h && same_value(col, kind, e->row & DT_ROW, row)) {
            e->count += w;
            e->row |= flags;
            return;
        }
    }
}

/*
 * Count the n values of rows t->rows[0..n) (ascending), hashes t->hs[0..n),
 * bucket by bucket, the buckets being the top bits of the hashes. The
 * entries go to t->e densely (t->dense), and a bucket's values are found
 * through a small table of entry numbers (slots keyed like the big table's)
 * that is cleared for each bucket, so that everything a bucket touches stays
 * in the cache (a chunk of many distinct values otherwise misses the table
 * on almost every value). A value's rows all fall in one bucket and are
 * counted in row order, so every entry ends with the same count and first
 * row as if counted row by row; only the order of the entries differs, and
 * t->used is not kept (dtab_flush and kll_feed do without). The hashes, in
 * bucket order, are left in t->bh for the HLL: its registers are then
 * updated a few kilobytes at a time.
 */
static void dtab_put_rows(struct dtab *t, const bw_column *col, int kind, size_t n)
{
    uint32_t at[NBUCKET] = {0};
    unsigned sh = 64 - NBUCKET_LG;
    uint64_t mul = t->mul;
    uint32_t *loc = t->loc;
    struct dent *ent = t->de;
    uint32_t ne = 0;

    for (size_t i = 0; i < n; i++) {
        at[t->hs[i] >> sh]++;
    }
    for (uint32_t b = 0, sum = 0; b < NBUCKET; b++) {
        uint32_t c = at[b];
        at[b] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t j = at[t->hs[i] >> sh]++;
        t->bh[j] = t->hs[i];
        t->br[j] = t->rows[i];
    }
    /* at[b] is now the end of bucket b */
    t->dense = true;
    for (uint32_t b = 0, j = 0; b < NBUCKET; b++) {
        uint32_t end = at[b], lcap = 16;
        unsigned lg = 4;
        while (lcap < 2 * (end - j)) {
            lcap *= 2;
            lg++;
        }
        memset(loc, 0, lcap * sizeof(*loc));
        for (; j < end; j++) {
            uint64_t h = t->bh[j];
            uint32_t row = t->br[j];
            for (size_t k = (size_t)((h * mul) >> (64 - lg));; k = (k + 1) & (lcap - 1)) {
                uint32_t id = loc[k];
                if (id == 0) {
                    ent[ne] = (struct dent){h, 1, row | DT_SHORT};
                    loc[k] = ++ne;
                    break;
                }
                struct dent *e = &ent[id - 1];
                if (e->hash == h && same_value(col, kind, e->row & DT_ROW, row)) {
                    e->count++;
                    break;
                }
            }
        }
    }
    t->n = ne;
    t->rh = t->bh;
    t->nrh = n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* t->used of a dense table: its entries in the order of their first rows (the order dtab_put leaves). */
static void dtab_order(struct dtab *t)
{
    uint64_t *key = t->hs; /* free: the HLL takes the hashes from t->bh */

    for (size_t i = 0; i < t->n; i++) {
        key[i] = (uint64_t)(t->de[i].row & DT_ROW) << 32 | i;
    }
    qsort(key, t->n, sizeof(*key), cmp_u64);
    for (size_t i = 0; i < t->n; i++) {
        t->used[i] = (uint32_t)key[i];
    }
}

/* Count the pending values (in the order they came). */
static inline void pend_flush(struct dtab *t, const bw_column *col, int kind)
{
    for (size_t i = 0; i < t->pn; i++) {
        dtab_put(t, col, kind, t->ph[i], t->pr[i], DT_SHORT, 1);
    }
    t->pn = 0;
}

/* Count one occurrence of row `row` (hash h) soon: its slot is fetched now. */
static inline void pend_put(struct dtab *t, const bw_column *col, int kind, uint64_t h, uint32_t row)
{
    __builtin_prefetch(&t->e[(size_t)((h * t->mul) >> t->shift)], 1);
    t->ph[t->pn] = h;
    t->pr[t->pn] = row;
    if (++t->pn == PEND) {
        pend_flush(t, col, kind);
    }
}

/* The hash of a double: an integral value in int64's range as that integer. */
static inline uint64_t double_hash(double d)
{
    uint64_t bits;

    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d) {
        return bw_hash64_u64((uint64_t)(int64_t)d);
    }
    if (isnan(d)) {
        bits = 0x7ff8000000000000ULL;
    } else {
        memcpy(&bits, &d, 8);
    }
    return bw_hash64_u64(bits) ^ FLOAT_HASH_SALT;
}

/*
 * A number's key in a table that only counts (the HLL takes the hashes of the
 * distinct values afterwards, dtab_flush): a bijection of the 64 bits (equal
 * keys are equal numbers), one shift and xor that brings the high bits down
 * for the table's multiplicative slot, where a full hash of every row would
 * cost three multiplications.
 */
static inline uint64_t num_key(uint64_t v)
{
    return v ^ (v >> 32);
}

/* The key of a double: +0 and -0 alike, every NaN alike (K_F64 compares the values besides). */
static inline uint64_t double_key_bits(double d)
{
    uint64_t bits = 0;

    if (isnan(d)) {
        bits = 0x7ff8000000000000ULL;
    } else if (d != 0) {
        memcpy(&bits, &d, 8);
    }
    return num_key(bits);
}

/* The HLL's hash of row i of a numeric column: what the adders hash when they feed it row by row. */
static inline uint64_t num_hash(const bw_column *col, size_t i)
{
    switch (col->type) {
    case BW_DT_DATE: return bw_hash64_u64((uint64_t)((int64_t)col->days[i] * US_PER_DAY));
    case BW_DT_FLOAT64: return double_hash(col->f64[i]);
    case BW_DT_BOOL: return bw_hash64_u64(col->b[i] != 0);
    default: return bw_hash64_u64((uint64_t)col->i64[i]);
    }
}

/* The top-k key of row i of col (strings: at most BW_TOPK_MAX_KEY bytes). */
static inline const uint8_t *row_key(const bw_column *col, size_t i, uint8_t buf[9], size_t *len)
{
    switch (col->type) {
    case BW_DT_STRING: {
        const char *s = bw_col_str(col, i, len);
        *len = BW_MIN(*len, (size_t)BW_TOPK_MAX_KEY);
        return (const uint8_t *)s;
    }
    case BW_DT_INT64:
        buf[0] = KEY_INT;
        put_u64le(buf + 1, (uint64_t)col->i64[i]);
        break;
    case BW_DT_TIMESTAMP:
        buf[0] = KEY_TIME;
        put_u64le(buf + 1, (uint64_t)col->i64[i]);
        break;
    case BW_DT_DATE:
        buf[0] = KEY_TIME;
        put_u64le(buf + 1, (uint64_t)((int64_t)col->days[i] * US_PER_DAY));
        break;
    case BW_DT_FLOAT64: (void)double_key(col->f64[i], buf); break;
    case BW_DT_BOOL:
        buf[0] = KEY_BOOL;
        put_u64le(buf + 1, col->b[i] != 0);
        break;
    case BW_DT_NULL: *len = 0; return buf;
    }
    *len = 9;
    return buf;
}

/* Heap order for choosing: the root is the weakest kept entry (lowest count, then latest row). */
static inline bool pick_weaker(const struct pick *a, const struct pick *b)
{
    return a->count != b->count ? a->count < b->count : a->row > b->row;
}

static void pick_sift(struct pick *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && pick_weaker(&h[l], &h[m])) {
            m = l;
        }
        if (l + 1 < n && pick_weaker(&h[l + 1], &h[m])) {
            m = l + 1;
        }
        if (m == i) {
            return;
        }
        struct pick t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Offer entry e to the choice of the `cap` strongest entries (h, kept so far); a loser's count raises the floor. */
static inline void pick_offer(struct pick *h, size_t cap, size_t *kept, uint64_t *floor_, const struct dent *e)
{
    struct pick pk = {NULL, 0, e->count, e->row & DT_ROW, (e->row & DT_TRUNC) != 0};

    if (*kept < cap) {
        h[(*kept)++] = pk;
        if (*kept == cap) {
            for (size_t k = cap / 2 + 1; k-- > 0;) {
                pick_sift(h, *kept, k);
            }
        }
    } else if (pick_weaker(&h[0], &pk)) {
        *floor_ = BW_MAX(*floor_, h[0].count);
        h[0] = pk;
        pick_sift(h, *kept, 0);
    } else {
        *floor_ = BW_MAX(*floor_, pk.count);
    }
}

/*
 * Feed the table's values to the column's sketches: each distinct hash of a
 * short value to the HLL once (long values went in row by row), and the
 * chunk's most frequent values, with their exact counts, to the top-k.
 *
 * When the adder left the hashes of the chunk's rows (t->rh, nrh of them),
 * the HLL takes those instead (the same set). A chunk counted bucket by
 * bucket (t->dense) offers its entries in their dense order: the choice (the
 * strongest by count, then first row, a total order) and the floor (the
 * largest count left out) are the same whatever the order of the offers, and
 * bw_topk_merge_items sorts its items, so the sketches get the same bytes.
 */
static bw_status dtab_flush(bw_profile *p, struct pcol *c, const bw_column *col, uint64_t total)
{
    struct dtab *t = p->dt;
    size_t cap = bw_topk_capacity(c->topk), kept = 0;
    uint64_t floor_ = 0;
    struct pick *h = t->pk;
    uint64_t *hs = t->hs;
    size_t nh = 0;

    if (t->n == 0) {
        return BW_OK;
    }
    if (t->dense) {
        for (size_t i = 0; i < t->n; i++) {
            pick_offer(h, cap, &kept, &floor_, &t->de[i]);
        }
    } else {
        bool distinct_h = t->rh == NULL;
        const struct dent *tab = t->direct ? t->de : t->e;
        for (size_t i = 0; i < t->n; i++) {
            const struct dent *e = &tab[t->used[i]];
            if (i + AHEAD < t->n) {
                __builtin_prefetch(&tab[t->used[i + AHEAD]]);
            }
            if (distinct_h && (e->row & DT_SHORT)) {
                hs[nh++] = t->keyed ? num_hash(col, e->row & DT_ROW) : e->hash;
            }
            pick_offer(h, cap, &kept, &floor_, e);
        }
    }
    for (size_t k = 0; k < kept; k++) {
        size_t len;
        const uint8_t *key = row_key(col, h[k].row, t->kb[k], &len);
        t->items[k] = (bw_topk_item){key, len, h[k].count, 0, h[k].trunc && len == BW_TOPK_MAX_KEY};
    }
    if (t->dense) {
        BW_TRY(bw_hll_add_hashes_grouped(c->hll, t->rh, t->nrh)); /* the rows' hashes in bucket order */
    } else if (t->rh != NULL) {
        BW_TRY(bw_hll_add_hashes(c->hll, t->rh, t->nrh));
    } else {
        BW_TRY(bw_hll_add_hashes(c->hll, hs, nh));
    }
    return bw_topk_merge_items(c->topk, t->items, kept, total, floor_);
}

/* ---- adding chunks ------------------------------------------------------------------------------ */

/* Code points of UTF-8 text: the bytes that are not continuation bytes (10xxxxxx), 8 at a time. */
static inline size_t utf8_count(const char *s, size_t n)
{
    size_t cont = 0, i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t m = (w & ~(w << 1) & 0x8080808080808080ULL) >> 7; /* 1 in each continuation byte */
        cont += (size_t)((m * 0x0101010101010101ULL) >> 56);
    }
    for (; i < n; i++) {
        cont += ((unsigned char)s[i] & 0xC0) == 0x80;
    }
    return n - cont;
}

/* Whether any of the 8 bytes of w is below 0x20, 0x7f or '@' (a cheap test before the byte loop). */
static inline bool swar_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t lt = (w - ones * 0x20) & ~w;
    uint64_t x7f = w ^ (ones * 0x7f), xat = w ^ (ones * '@');
    uint64_t z7f = (x7f - ones) & ~x7f, zat = (xat - ones) & ~xat;
    return ((lt | z7f | zat) & high) != 0;
}

/* Bits set in x. */
static inline unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

#ifdef __SSE2__
/* The masks of 16 bytes at p, placed at bit `at` of m. */
static inline void masks16(const char *p, unsigned at, struct tmask *m)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i low = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xe0)), _mm_setzero_si128());
    __m128i ctl = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), low),
                               _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
    __m128i cont = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xc0)), _mm_set1_epi8((char)0x80));

    m->at |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('@'))) << at;
    m->sp |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))) << at;
    m->dot |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))) << at;
    m->ctl |= (uint64_t)(uint32_t)_mm_movemask_epi8(ctl) << at;
    m->cont |= (uint64_t)(uint32_t)_mm_movemask_epi8(cont) << at;
}
#else
static inline void masks16(const char *p, unsigned at, struct tmask *m)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned char ch = (unsigned char)p[i];
        uint64_t bit = (uint64_t)1 << (at + i);
        m->at |= ch == '@' ? bit : 0;
        m->sp |= ch == ' ' ? bit : 0;
        m->dot |= ch == '.' ? bit : 0;
        m->ctl |= (ch < 0x20 && ch != '\t') || ch == 0x7f ? bit : 0;
        m->cont |= (ch & 0xc0) == 0x80 ? bit : 0;
    }
}
#endif

/*
 * The first bytes after which classify has more to test than an email: a
 * blank (' ', tab, CR, LF), those that may start a number (digits, sign,
 * '.', inf, nan), a formula ('=', '@'), a phone number ('(') or a URL (h, f,
 * s: http, https, ftp, s3), either case. A value that starts with another
 * byte, does not end with a blank, holds no control character and is not 36
 * bytes long (a UUID) can only be an email.
 */
static const bool loud_first[256] = {
    [' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true, ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true,
    ['4'] = true, ['5'] = true,  ['6'] = true,  ['7'] = true,  ['8'] = true, ['9'] = true, ['-'] = true, ['+'] = true,
    ['.'] = true, ['='] = true,  ['@'] = true,  ['('] = true,  ['i'] = true, ['I'] = true, ['n'] = true, ['N'] = true,
    ['h'] = true, ['H'] = true,  ['f'] = true,  ['F'] = true,  ['s'] = true, ['S'] = true,
};

static inline bool blank_byte(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * Lengths and patterns of one text value seen w times. The bytes up to lim
 * may be read (a value of at most 64 bytes is taken 16 bytes at a time, the
 * bytes past its end masked off; near lim it is copied first). Inlined into
 * the row loops whatever the compiler's estimate: as a call, saving and
 * restoring its registers was a fifth of its cost (2% of a profile's
 * instructions, cachegrind).
 */
static inline __attribute__((always_inline)) void text_stats(struct pcol *c, const char *s, size_t n, uint64_t w,
                                                             uint64_t *lmin, uint64_t *lmax, uint64_t *lsum,
                                                             const char *lim)
{
    size_t cps, k = 0;
    const char *at = NULL;
    bool control = false, special = false;

    if (n > 0 && n <= 64) {
        struct tmask m = {0, 0, 0, 0, 0};
        size_t blocks = (n + 15) / 16;
        const char *p = s;
        char buf[64];
        if ((size_t)(lim - s) < blocks * 16) {
            memset(buf, 0, sizeof(buf));
            memcpy(buf, s, n);
            p = buf;
        }
        for (size_t b = 0; b < blocks; b++) {
            masks16(p + 16 * b, (unsigned)(16 * b), &m);
        }
        uint64_t in = bits_in(0, n);
        m.at &= in;
        m.sp &= in;
        m.dot &= in;
        m.ctl &= in;
        m.cont &= in;
        cps = m.cont == 0 ? n : n - popcount64(m.cont); /* ASCII, the usual text, has no continuation byte */
        *lmin = cps < *lmin ? cps : *lmin;
        *lmax = cps > *lmax ? cps : *lmax;
        *lsum += (uint64_t)cps * w;
        if (!loud_first[(unsigned char)s[0]] && !blank_byte(s[n - 1]) && m.ctl == 0 && n != 36) {
            /* nothing classify tests can match but an email (it would do the same) */
            if (m.at != 0 && email_masks(&m, 0, n, (size_t)__builtin_ctzll(m.at))) {
                c->pat[BW_PAT_EMAIL] += w;
            }
            return;
        }
        classify(c, s, n, m.at != 0 ? s + __builtin_ctzll(m.at) : NULL, m.ctl != 0, w, &m);
        return;
    }
    cps = utf8_count(s, n);
    for (; k + 8 <= n && !special; k += 8) {
        uint64_t x;
        memcpy(&x, s + k, 8);
        special = swar_special(x);
    }
    if (special || k < n) {
        for (k = special ? k - 8 : k; k < n; k++) {
            unsigned char ch = (unsigned char)s[k];
            if (ch < 0x20 || ch == 0x7f || ch == '@') {
                if (ch == '@') {
                    at = at != NULL ? at : s + k;
                } else if (ch != '\t') {
                    control = true;
                }
            }
        }
    }
    *lmin = cps < *lmin ? cps : *lmin;
    *lmax = cps > *lmax ? cps : *lmax;
    *lsum += (uint64_t)cps * w;
    classify(c, s, n, at, control, w, NULL);
}

/*
 * Count the n values of rows t->rows[0..n), hashes t->hs[0..n): bucket by
 * bucket if the column's last chunk held mostly distinct values, directly
 * if few, else with the slots fetched ahead. The entries come out the same.
 */
static void count_rows(struct dtab *t, const struct pcol *c, const bw_column *col, int kind, size_t n)
{
    if (c->many) {
        dtab_put_rows(t, col, kind, n);
    } else if (c->few) {
        /* the entries stay in the cache: no need to fetch them ahead */
        for (size_t i = 0; i < n; i++) {
            dtab_put(t, col, kind, t->hs[i], t->rows[i], DT_SHORT, 1);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            pend_put(t, col, kind, t->hs[i], t->rows[i]);
        }
        pend_flush(t, col, kind);
    }
}

/*
 * The adder left the hashes of the chunk's n values in t->hs: the HLL takes
 * them row by row when the chunk was counted bucket by bucket (its entries
 * are not walked), else once per distinct value. The column remembers
 * whether half the values were distinct, or few, for its next chunk.
 */
static inline void rows_hashed(struct dtab *t, struct pcol *c, size_t n)
{
    c->many = t->n * 2 > n;
    c->few = t->n <= FEW_DISTINCT;
}

/*
 * The bytes of a value of at most 8 bytes as a number (the first byte the
 * lowest, zeros past the end): false if the value holds a NUL byte (then
 * "a" and "a\0" would be the same number). The bytes up to lim may be read.
 */
static inline bool short_bytes(const char *s, size_t n, const char *lim, uint64_t *out)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t w = 0, in;

    if (n == 0) {
        *out = 0;
        return true;
    }
    if ((size_t)(lim - s) >= 8) {
        memcpy(&w, s, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
    } else {
        for (size_t i = 0; i < n; i++) {
            w |= (uint64_t)(unsigned char)s[i] << (8 * i);
        }
    }
    in = n >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1;
    w &= in;
    *out = w;
    return ((w - ones) & ~w & high & in) == 0;
}

/*
 * A chunk of values of at most 8 bytes, none with a NUL, in a column that
 * is not mostly distinct: each value is counted by its bytes (K_BYTES: equal
 * keys are equal values, so nothing is compared), and only the distinct
 * values are hashed for the HLL. False (nothing counted) if a value does
 * not fit.
 */
static bool add_short_strings(struct dtab *t, const struct pcol *c, const bw_column *col, size_t r0, size_t r1,
                              const char *lim, size_t *ln)
{
    size_t k = 0;

    for (size_t i = r0; i < r1; i++) {
        size_t n;
        uint64_t w;
        if (!bw_col_valid(col, i)) {
            continue;
        }
        const char *s = bw_col_str(col, i, &n);
        if (!short_bytes(s, n, lim, &w)) {
            return false;
        }
        t->hs[k] = num_key(w); /* a bijection of the bytes: the table's key (the HLL's hashes come below) */
        t->rows[k++] = (uint32_t)i;
    }
    count_rows(t, c, col, K_BYTES, k);
    /* the HLL takes the values' hashes, not the keys of the table */
    for (size_t i = 0; i < t->n; i++) {
        struct dent *e = &t->e[t->used[i]];
        size_t n;
        const char *s = bw_col_str(col, e->row & DT_ROW, &n);
        e->hash = bw_data_hash(s, n);
    }
    *ln = k;
    return true;
}

static bw_status add_strings(bw_profile *p, struct pcol *c, const bw_column *col, size_t r0, size_t r1, size_t *nv)
{
    struct dtab *t = p->dt;
    uint64_t lmin = c->len_min, lmax = c->len_max, lsum = 0, ln = 0;
    uint32_t longest = 0;
    const char *lim = col->str != NULL ? col->str + col->off[col->n] : NULL; /* the end of the column's bytes */

    for (size_t i = r0; i < r1; i++) {
        uint32_t n = col->off[i + 1] - col->off[i];
        longest = n > longest ? n : longest;
    }
    if (longest <= BW_TOPK_MAX_KEY) {
        /*
         * every value is short: lengths and patterns once per distinct value,
         * or row by row (the same sums) in a column whose last chunk was
         * mostly distinct values
         */
        bool per_row = c->many;
        if (per_row || longest > 8 || !add_short_strings(t, c, col, r0, r1, lim, &ln)) {
            for (size_t i = r0; i < r1; i++) {
                size_t n;
                const char *s;
                if (!bw_col_valid(col, i)) {
                    continue;
                }
                s = bw_col_str(col, i, &n);
                t->hs[ln] = bw_data_hash(s, n);
                t->rows[ln++] = (uint32_t)i;
                if (per_row) {
                    text_stats(c, s, n, 1, &lmin, &lmax, &lsum, lim);
                }
            }
            count_rows(t, c, col, K_STR, ln);
        }
        for (size_t i = 0; i < t->n && !per_row; i++) {
            const struct dent *e = &t->e[t->used[i]];
            size_t n;
            if (i + AHEAD < t->n) {
                __builtin_prefetch(&t->e[t->used[i + AHEAD]]);
            }
            const char *s = bw_col_str(col, e->row & DT_ROW, &n);
            text_stats(c, s, n, e->count, &lmin, &lmax, &lsum, lim);
        }
        rows_hashed(t, c, ln);
    } else {
        /* a long value: the top-k counts it by its first bytes, the HLL by all of it; each row on its own */
        for (size_t i = r0; i < r1; i++) {
            size_t n;
            const char *s;
            if (!bw_col_valid(col, i)) {
                continue;
            }
            s = bw_col_str(col, i, &n);
            uint64_t h = bw_data_hash(s, n);
            t->hs[ln++] = h;
            if (n <= BW_TOPK_MAX_KEY) {
                dtab_put(t, col, K_PREFIX, h, (uint32_t)i, DT_SHORT, 1);
            } else {
                dtab_put(t, col, K_PREFIX, bw_data_hash(s, BW_TOPK_MAX_KEY), (uint32_t)i, DT_TRUNC, 1);
            }
            text_stats(c, s, n, 1, &lmin, &lmax, &lsum, lim);
        }
        t->rh = t->hs; /* the HLL takes every row's hash (long values are not in the table whole) */
        t->nrh = ln;
    }
    c->len_min = lmin;
    c->len_max = lmax;
    c->len_sum += lsum;
    c->len_n += ln;
    *nv = ln;
    return BW_OK;
}

static double sum4(const double *v, size_t n)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        a0 += v[i];
        a1 += v[i + 1];
        a2 += v[i + 2];
        a3 += v[i + 3];
    }
    for (; i < n; i++) {
        a0 += v[i];
    }
    return (a0 + a1) + (a2 + a3);
}

static double m2_4(const double *v, size_t n, double mean)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        double d0 = v[i] - mean, d1 = v[i + 1] - mean, d2 = v[i + 2] - mean, d3 = v[i + 3] - mean;
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
    }
    for (; i < n; i++) {
        double d = v[i] - mean;
        a0 += d * d;
    }
    return (a0 + a1) + (a2 + a3);
}

/*
 * The chunk's values to the quantile sketch: as one sorted run
 * (bw_kll_add_run), or, when there are few distinct values (the table says),
 * each once with its count (exact; bw_kll_add_weighted). vals[0..k) holds the
 * values and may be overwritten. Doubles equal to zero go as a run (the table
 * merged -0 and +0, which the sketch's min and max tell apart).
 */
static bw_status kll_feed(struct dtab *t, struct pcol *c, const bw_column *col, double *vals, size_t k)
{
    size_t m = 0;

    if (t->n * FEW > k) {
        return bw_kll_add_run(c->kll, vals, k, t->ks);
    }
    if (t->dense) {
        dtab_order(t);
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct dent *e = &(t->dense || t->direct ? t->de : t->e)[t->used[i]];
        uint32_t row = e->row & DT_ROW;
        double v;
        switch (col->type) {
        case BW_DT_DATE: v = (double)((int64_t)col->days[row] * US_PER_DAY); break;
        case BW_DT_FLOAT64:
            v = col->f64[row];
            if (v == 0) {
                return bw_kll_add_run(c->kll, vals, k, t->ks);
            }
            break;
        default: v = (double)col->i64[row]; break;
        }
        t->wts[m] = e->count;
        vals[m++] = v;
    }
    return bw_kll_add_weighted(c->kll, vals, t->wts, m);
}

/*
 * Count a keyed chunk of n integers or dates (rows t->rows[0..n)) whose
 * values lie in [lo, lo + span) with span at most CHUNK (lo and the values
 * in days for dates): a counter per value of the range instead of the hash
 * table, then a second walk of the rows emits each value at its first row.
 * The entries are those dtab_put would leave, in its order (first rows),
 * with the same keys (num_key), counts and flags, in de (t->direct).
 */
#define COUNT_RANGE(val, key)                                                                                          \
    do {                                                                                                               \
        for (size_t i = 0; i < n; i++) {                                                                               \
            uint32_t r = t->rows[i];                                                                                   \
            size_t j = (size_t)((uint64_t)(val) - (uint64_t)lo);                                                       \
            first[j] = cnt[j] == 0 ? r : first[j];                                                                     \
            cnt[j]++;                                                                                                  \
        }                                                                                                              \
        for (size_t i = 0; i < n; i++) {                                                                               \
            uint32_t r = t->rows[i];                                                                                   \
            size_t j = (size_t)((uint64_t)(val) - (uint64_t)lo);                                                       \
            if (first[j] == r) {                                                                                       \
                t->de[m] = (struct dent){num_key(key), cnt[j], r | DT_SHORT};                                          \
                t->used[m] = (uint32_t)m;                                                                              \
                m++;                                                                                                   \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

static void count_range(struct dtab *t, const bw_column *col, size_t n, int64_t lo, size_t span)
{
    uint32_t *cnt = t->loc, *first = t->loc + CHUNK;
    size_t m = 0;

    memset(cnt, 0, span * sizeof(*cnt));
    if (col->type == BW_DT_DATE) {
        const int32_t *d = col->days;
        COUNT_RANGE(d[r], (uint64_t)((int64_t)d[r] * US_PER_DAY));
    } else {
        const int64_t *v = col->i64;
        COUNT_RANGE(v[r], (uint64_t)v[r]);
    }
    t->n = m;
    t->direct = true;
}
#undef COUNT_RANGE

/* int64 values, or dates / timestamps as microseconds (tag KEY_TIME). */
static bw_status add_ints(bw_profile *p, struct pcol *c, const bw_column *col, size_t r0, size_t r1, size_t *nv)
{
    struct dtab *t = p->dt;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    double *vals = t->vals, mean;
    size_t k = 0;

    /* rows of a column of many distinct values hashed for the HLL (bucket by bucket), else keyed */
#define INT_ROWS(expr, hash)                                                                                           \
    for (size_t i = r0; i < r1; i++) {                                                                                 \
        if (bw_col_valid(col, i)) {                                                                                    \
            int64_t v = (expr);                                                                                        \
            lo = v < lo ? v : lo;                                                                                      \
            hi = v > hi ? v : hi;                                                                                      \
            t->hs[k] = hash((uint64_t)v);                                                                              \
            t->rows[k] = (uint32_t)i;                                                                                  \
            vals[k++] = (double)v;                                                                                     \
        }                                                                                                              \
    }
    t->keyed = !c->many;
    if (col->type == BW_DT_DATE && c->many) {
        INT_ROWS((int64_t)col->days[i] * US_PER_DAY, bw_hash64_u64)
    } else if (col->type == BW_DT_DATE) {
        INT_ROWS((int64_t)col->days[i] * US_PER_DAY, num_key)
    } else if (c->many) {
        INT_ROWS(col->i64[i], bw_hash64_u64)
    } else {
        INT_ROWS(col->i64[i], num_key)
    }
#undef INT_ROWS
    uint64_t width = k > 0 ? (uint64_t)hi - (uint64_t)lo : 0;
    if (col->type == BW_DT_DATE) {
        width /= (uint64_t)US_PER_DAY;
    }
    if (!c->many && k > 0 && width < CHUNK && width < 4 * (uint64_t)k) {
        /* values few apart (ages, the dates of a few years): a counter per value */
        count_range(t, col, k, col->type == BW_DT_DATE ? lo / US_PER_DAY : lo, (size_t)width + 1);
    } else {
        count_rows(t, c, col, K_U64, k);
    }
    rows_hashed(t, c, k);
    *nv = k;
    if (k == 0) {
        return BW_OK;
    }
    mean = sum4(vals, k) / (double)k;
    moments_add(c, k, mean, m2_4(vals, k, mean));
    BW_TRY(kll_feed(t, c, col, vals, k));
    if (!c->has_i || lo < c->imin) {
        c->imin = lo;
    }
    if (!c->has_i || hi > c->imax) {
        c->imax = hi;
    }
    c->has_i = true;
    return BW_OK;
}

static bw_status add_doubles(bw_profile *p, struct pcol *c, const bw_column *col, size_t r0, size_t r1, size_t *nv)
{
    struct dtab *t = p->dt;
    double *vals = t->vals, mean, m2 = 0, sum = 0;
    size_t k = 0, nan = 0, inf = 0, fin;

    bool many = c->many;

    t->keyed = !many;
    for (size_t i = r0; i < r1; i++) {
        double d;
        if (!bw_col_valid(col, i)) {
            continue;
        }
        d = col->f64[i];
        t->hs[k + nan] = many ? double_hash(d) : double_key_bits(d);
        t->rows[k + nan] = (uint32_t)i;
        if (isnan(d)) {
            nan++;
            continue;
        }
        inf += isinf(d) != 0;
        vals[k++] = d;
    }
    count_rows(t, c, col, K_F64, k + nan);
    rows_hashed(t, c, k + nan);
    *nv = k + nan;
    c->nnan += nan;
    c->ninf += inf;
    if (k == 0) {
        return BW_OK;
    }
    fin = k - inf;
    if (fin == 0) {
        return kll_feed(t, c, col, vals, k);
    }
    if (inf == 0) {
        mean = sum4(vals, k) / (double)k;
        m2 = m2_4(vals, k, mean);
    } else {
        for (size_t i = 0; i < k; i++) {
            sum += isfinite(vals[i]) ? vals[i] : 0;
        }
        mean = sum / (double)fin;
        for (size_t i = 0; i < k; i++) {
            double dv = isfinite(vals[i]) ? vals[i] - mean : 0;
            m2 += dv * dv;
        }
    }
    moments_add(c, fin, mean, m2);
    return kll_feed(t, c, col, vals, k);
}

static bw_status add_bools(bw_profile *p, struct pcol *c, const bw_column *col, size_t r0, size_t r1, size_t *nv)
{
    uint32_t n[2] = {0, 0}, first[2] = {0, 0};

    for (size_t i = r0; i < r1; i++) {
        if (bw_col_valid(col, i)) {
            unsigned v = col->b[i] != 0;
            first[v] = n[v] == 0 ? (uint32_t)i : first[v];
            n[v]++;
        }
    }
    for (unsigned v = 0; v < 2; v++) {
        if (n[v] > 0) {
            dtab_put(p->dt, col, K_U64, bw_hash64_u64(v), first[v], DT_SHORT, n[v]);
        }
    }
    c->ntrue += n[1];
    *nv = (size_t)n[0] + n[1];
    return BW_OK;
}

/* Format a top-value key of a column of type t as text into out. */
static bw_status key_text(bw_dtype t, const uint8_t *key, size_t len, bw_buf *out)
{
    uint8_t one = 1;
    bw_column col = {.n = 1, .cap = 1, .valid = &one};
    int64_t i64;
    double f64;
    uint8_t b;

    if (t == BW_DT_STRING || t == BW_DT_NULL || len != 9) {
        return bw_buf_add(out, key, len);
    }
    uint64_t v = get_u64le(key + 1);
    switch (key[0]) {
    case KEY_INT:
        col.type = BW_DT_INT64;
        i64 = (int64_t)v;
        col.i64 = &i64;
        break;
    case KEY_FLOAT:
        col.type = BW_DT_FLOAT64;
        memcpy(&f64, &v, 8);
        col.f64 = &f64;
        break;
    case KEY_TIME:
        i64 = (int64_t)v;
        if (t == BW_DT_DATE && i64 % US_PER_DAY == 0 && i64 / US_PER_DAY >= INT32_MIN &&
            i64 / US_PER_DAY <= INT32_MAX) {
            int32_t d = (int32_t)(i64 / US_PER_DAY);
            col.type = BW_DT_DATE;
            col.days = &d;
            return bw_col_format(&col, 0, out);
        }
        col.type = BW_DT_TIMESTAMP;
        col.i64 = &i64;
        break;
    case KEY_BOOL:
        col.type = BW_DT_BOOL;
        b = v != 0;
        col.b = &b;
        break;
    default: return bw_buf_add(out, key, len);
    }
    return bw_col_format(&col, 0, out);
}

struct titem {
    char *key;
    size_t len;
    uint64_t count, err;
    int truncated;
};

static int titem_cmp(const void *pa, const void *pb)
{
    const struct titem *a = pa, *b = pb;
    size_t n = BW_MIN(a->len, b->len);
    int d;

    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    d = n ? memcmp(a->key, b->key, n) : 0;
    if (d != 0) {
        return d;
    }
    return a->len < b->len ? -1 : a->len > b->len;
}

/*
 * A copy of top-value sketch t (of a column of type `type`) with its keys as
 * text: the sketch's serialised form rebuilt with new keys and read back, so
 * the result is a sketch the reader accepts (docs/internals/sketch.md).
 */
static bw_status topk_as_text(const bw_topk *t, bw_dtype type, bw_topk **out, bw_error *err)
{
    size_t n = 0, cap = bw_topk_size(t), m = 0;
    bw_topk_item *items = bw_calloc(cap ? cap : 1, sizeof(*items));
    struct titem *ti = bw_calloc(cap ? cap : 1, sizeof(*ti));
    bw_buf b = BW_BUF_INIT((size_t)64 << 20), txt = BW_BUF_INIT(4096);
    bw_status rc = BW_ENOMEM;

    *out = NULL;
    if (items == NULL || ti == NULL || bw_topk_items(t, items, cap, &n) != BW_OK) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        bw_buf_reset(&txt);
        if (key_text(type, items[i].key, items[i].len, &txt) != BW_OK) {
            goto out;
        }
        size_t len = BW_MIN(txt.len, (size_t)BW_TOPK_MAX_KEY);
        /* a repeat (two keys with one text) adds up */
        size_t j = 0;
        while (j < m && !(ti[j].len == len && memcmp(ti[j].key, txt.ptr, len) == 0)) {
            j++;
        }
        if (j < m) {
            ti[j].count += items[i].count;
            ti[j].err += items[i].err;
            continue;
        }
        ti[m].key = bw_malloc(len ? len : 1);
        if (ti[m].key == NULL) {
            goto out;
        }
        if (len) {
            memcpy(ti[m].key, txt.ptr, len);
        }
        ti[m].len = len;
        ti[m].count = items[i].count;
        ti[m].err = items[i].err;
        ti[m].truncated = items[i].truncated || txt.len > BW_TOPK_MAX_KEY;
        m++;
    }
    qsort(ti, m, sizeof(*ti), titem_cmp);
    uint8_t w[8];
    bw_buf_add(&b, BW_SKETCH_MAGIC, 4);
    bw_buf_addc(&b, BW_SKETCH_VERSION);
    bw_buf_addc(&b, BW_SKETCH_TOPK);
    put_u64le(w, bw_topk_capacity(t));
    bw_buf_add(&b, w, 4);
    put_u64le(w, bw_topk_total(t));
    bw_buf_add(&b, w, 8);
    put_u64le(w, bw_topk_floor(t));
    bw_buf_add(&b, w, 8);
    put_u64le(w, m);
    bw_buf_add(&b, w, 4);
    for (size_t i = 0; i < m; i++) {
        put_u64le(w, ti[i].count);
        bw_buf_add(&b, w, 8);
        put_u64le(w, ti[i].err);
        bw_buf_add(&b, w, 8);
        put_u64le(w, ti[i].len);
        bw_buf_add(&b, w, 2);
        bw_buf_addc(&b, (char)(ti[i].truncated && ti[i].len == BW_TOPK_MAX_KEY));
        bw_buf_add(&b, ti[i].key, ti[i].len);
    }
    if (b.err != BW_OK) {
        goto out;
    }
    rc = bw_topk_deserialize(out, b.ptr, b.len, err);
out:
    for (size_t i = 0; i < m; i++) {
        bw_free(ti[i].key);
    }
    bw_free(ti);
    bw_free(items);
    bw_buf_release(&b);
    bw_buf_release(&txt);
    if (rc == BW_ENOMEM) {
        return bw_fail(err, rc, "out of memory");
    }
    return rc;
}

/* Column c becomes a string column: its values' top-k keys become text, numeric figures go. */
static bw_status to_string(struct pcol *c, bw_error *err)
{
    bw_topk *t = NULL;

    if (c->type == BW_DT_STRING || c->type == BW_DT_NULL) {
        c->type = BW_DT_STRING;
        return BW_OK;
    }
    BW_TRY(topk_as_text(c->topk, c->type, &t, err));
    bw_topk_free(c->topk);
    c->topk = t;
    bw_kll_free(c->kll);
    c->kll = NULL;
    c->mn = c->nnan = c->ninf = c->ntrue = 0;
    c->mean = c->m2 = 0;
    c->has_i = false;
    c->type = BW_DT_STRING;
    c->mixed = true;
    return BW_OK;
}

/* A batch column whose type does not widen into a string column: its values as text. */
static bw_status add_as_text(bw_profile *p, struct pcol *c, const bw_column *col, size_t nrows, bw_error *err)
{
    for (size_t i = 0; i < nrows; i++) {
        if (!bw_col_valid(col, i)) {
            continue;
        }
        bw_buf_reset(&p->scratch);
        BW_TRY(bw_col_format(col, i, &p->scratch));
        const char *s = p->scratch.ptr != NULL ? p->scratch.ptr : "";
        BW_TRY(bw_hll_add_hash(c->hll, bw_data_hash(s, p->scratch.len)));
        BW_TRY(bw_topk_add(c->topk, s, p->scratch.len));
    }
    (void)err;
    c->mixed = true;
    return BW_OK;
}

static size_t count_valid(const bw_column *col, size_t nrows)
{
    size_t n = 0, full = nrows / 64;

    /* 64 rows a word (__builtin_popcount would be a libgcc call a byte without -mpopcnt) */
    for (size_t i = 0; i < full; i++) {
        uint64_t w;
        memcpy(&w, col->valid + 8 * i, 8);
        n += popcount64(w);
    }
    for (size_t i = full * 64; i < nrows; i++) {
        n += bw_col_valid(col, i);
    }
    return n;
}

static bw_status add_column(bw_profile *p, struct pcol *c, const bw_column *col, size_t nrows, bw_error *err)
{
    size_t valid = col->type == BW_DT_NULL || col->n < nrows ? 0 : count_valid(col, nrows);
    bw_dtype t = join(c->type, col->type);
    bw_status rc = BW_OK;

    if (nrows > DT_ROW) {
        return bw_fail(err, BW_ELIMIT, "profile: a batch of %zu rows, over %u", nrows, DT_ROW);
    }
    c->count += nrows;
    c->nulls += nrows - valid;
    c->bad += col->nbad;
    if (valid == 0) {
        return BW_OK;
    }
    if (t == BW_DT_STRING && c->type != BW_DT_STRING) {
        BW_TRY(to_string(c, err));
    }
    c->type = t;
    if (t == BW_DT_STRING && col->type != BW_DT_STRING) {
        rc = add_as_text(p, c, col, nrows, err);
    } else {
        if (is_numeric(col->type) || is_temporal(col->type)) {
            rc = need_kll(p, c, err);
        }
        if (rc == BW_OK) {
            rc = dtab_need(p, nrows, bw_topk_capacity(c->topk));
        }
        for (size_t r0 = 0; r0 < nrows && rc == BW_OK; r0 += CHUNK) {
            size_t r1 = BW_MIN(nrows, r0 + CHUNK), nv = 0;
            dtab_clear(p->dt);
            switch (col->type) {
            case BW_DT_STRING: rc = add_strings(p, c, col, r0, r1, &nv); break;
            case BW_DT_INT64:
            case BW_DT_DATE:
            case BW_DT_TIMESTAMP: rc = add_ints(p, c, col, r0, r1, &nv); break;
            case BW_DT_FLOAT64: rc = add_doubles(p, c, col, r0, r1, &nv); break;
            case BW_DT_BOOL: rc = add_bools(p, c, col, r0, r1, &nv); break;
            case BW_DT_NULL: break;
            }
            if (rc == BW_OK) {
                rc = dtab_flush(p, c, col, nv);
            }
        }
    }
    if (rc != BW_OK) {
        return bw_fail(err, rc, "profile of column '%s': %s", c->name, bw_strerror(rc));
    }
    return BW_OK;
}

bw_status bw_profile_add_batch(bw_profile *p, const bw_batch *b, bw_error *err)
{
    if (b->ncols > p->mapcap) {
        size_t *m = bw_reallocarray(p->map, b->ncols, sizeof(*m));
        if (m == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        p->map = m;
        p->mapcap = b->ncols;
    }
    for (size_t k = 0; k < b->ncols; k++) {
        size_t at = k < p->n && strcmp(p->c[k].name, b->names[k]) == 0 ? k : find_col(p, b->names[k]);
        if (at == SIZE_MAX) {
            BW_TRY(add_col(p, b->names[k], p->rows, &at, err));
        }
        p->map[k] = at;
    }
    if (p->n > b->ncols) {
        /* columns the batch lacks: null in its rows (marked by a count that stays behind) */
        for (size_t i = 0; i < p->n; i++) {
            p->c[i].count += b->nrows;
            p->c[i].nulls += b->nrows;
        }
        for (size_t k = 0; k < b->ncols; k++) {
            p->c[p->map[k]].count -= b->nrows;
            p->c[p->map[k]].nulls -= b->nrows;
        }
    }
    for (size_t k = 0; k < b->ncols; k++) {
        BW_TRY(add_column(p, &p->c[p->map[k]], &b->cols[k], b->nrows, err));
    }
    p->rows += b->nrows;
    return BW_OK;
}

void bw_profile_add_bad_rows(bw_profile *p, uint64_t n)
{
    p->bad_rows += n;
}

/* ---- merging ------------------------------------------------------------------------------------ */

static bw_status merge_col(bw_profile *dst, struct pcol *a, const struct pcol *b, bw_error *err)
{
    bw_dtype t = join(a->type, b->type);
    bw_topk *bt = NULL;
    bw_status rc;

    a->count += b->count;
    a->nulls += b->nulls;
    a->bad += b->bad;
    a->mixed |= b->mixed;
    if (t == BW_DT_STRING && a->type != BW_DT_STRING) {
        BW_TRY(to_string(a, err));
    }
    if (t == BW_DT_STRING && b->type != BW_DT_STRING && b->type != BW_DT_NULL) {
        BW_TRY(topk_as_text(b->topk, b->type, &bt, err));
        a->mixed = true;
    } else {
        moments_add(a, b->mn, b->mean, b->m2);
        a->nnan += b->nnan;
        a->ninf += b->ninf;
        a->ntrue += b->ntrue;
        if (b->has_i) {
            a->imin = a->has_i && a->imin < b->imin ? a->imin : b->imin;
            a->imax = a->has_i && a->imax > b->imax ? a->imax : b->imax;
            a->has_i = true;
        }
        if (b->kll != NULL) {
            rc = need_kll(dst, a, err);
            if (rc == BW_OK) {
                rc = bw_kll_merge(a->kll, b->kll);
            }
            if (rc != BW_OK) {
                return bw_fail(err, rc, "column '%s': the quantile sketches do not merge (%s)", a->name,
                               bw_strerror(rc));
            }
        }
    }
    a->type = t;
    a->len_n += b->len_n;
    a->len_sum += b->len_sum;
    a->len_min = BW_MIN(a->len_min, b->len_min);
    a->len_max = BW_MAX(a->len_max, b->len_max);
    for (int i = 0; i < BW_PAT_COUNT; i++) {
        a->pat[i] += b->pat[i];
    }
    rc = bw_hll_merge(a->hll, b->hll);
    if (rc == BW_OK) {
        rc = bw_topk_merge(a->topk, bt != NULL ? bt : b->topk);
    }
    bw_topk_free(bt);
    if (rc != BW_OK) {
        return bw_fail(err, rc, "column '%s': merging sketches: %s", a->name, bw_strerror(rc));
    }
    return BW_OK;
}

bw_status bw_profile_merge(bw_profile *dst, const bw_profile *src, bw_error *err)
{
    uint64_t before = dst->rows;
    size_t n0 = dst->n;
    bool *seen = bw_calloc(dst->n + src->n + 1, sizeof(*seen));
    bw_status rc = BW_OK;

    if (seen == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    if (dst == src || dst->o.kll_k != src->o.kll_k) {
        bw_free(seen);
        return bw_fail(err, BW_EINVAL, "profiles with different quantile sketches (k %u and %u) do not merge",
                       dst->o.kll_k, src->o.kll_k);
    }
    for (size_t i = 0; i < src->n && rc == BW_OK; i++) {
        size_t at = find_col(dst, src->c[i].name);
        if (at == SIZE_MAX) {
            rc = add_col(dst, src->c[i].name, before, &at, err);
            if (rc != BW_OK) {
                break;
            }
        }
        seen[at] = true;
        rc = merge_col(dst, &dst->c[at], &src->c[i], err);
    }
    for (size_t i = 0; i < n0 && rc == BW_OK; i++) {
        if (!seen[i]) {
            dst->c[i].count += src->rows;
            dst->c[i].nulls += src->rows;
        }
    }
    bw_free(seen);
    dst->rows += src->rows;
    dst->bad_rows += src->bad_rows;
    return rc;
}

/* ---- results ------------------------------------------------------------------------------------ */

uint64_t bw_profile_rows(const bw_profile *p)
{
    return p->rows;
}

uint64_t bw_profile_bad_rows(const bw_profile *p)
{
    return p->bad_rows;
}

size_t bw_profile_ncols(const bw_profile *p)
{
    return p->n;
}

bw_status bw_profile_column_get(const bw_profile *p, size_t i, bw_profile_column *out, bw_error *err)
{
    const struct pcol *c;

    memset(out, 0, sizeof(*out));
    if (i >= p->n) {
        return bw_fail(err, BW_EINVAL, "no column %zu", i);
    }
    c = &p->c[i];
    out->name = c->name;
    out->type = c->type;
    out->count = c->count;
    out->nulls = c->nulls;
    out->bad = c->bad;
    out->distinct = bw_hll_count(c->hll);
    out->distinct_exact = bw_hll_is_exact(c->hll);
    out->mixed = c->mixed;
    out->n_true = c->ntrue;
    out->n_finite = c->mn;
    out->n_nan = c->nnan;
    out->n_inf = c->ninf;
    out->mean = c->mn ? c->mean : NAN;
    out->stddev = c->mn > 1 ? sqrt(c->m2 / (double)(c->mn - 1)) : c->mn == 1 ? 0 : NAN;
    if (c->kll != NULL && bw_kll_count(c->kll) > 0 && (is_numeric(c->type) || is_temporal(c->type))) {
        out->has_range = 1;
        out->min = bw_kll_min(c->kll);
        out->max = bw_kll_max(c->kll);
        out->imin = c->imin;
        out->imax = c->imax;
        if (c->has_i && c->type != BW_DT_FLOAT64) {
            out->min = (double)c->imin;
            out->max = (double)c->imax;
        }
        bw_status rc = bw_kll_quantiles(c->kll, bw_profile_quantile_ranks, BW_PROFILE_NQUANTILES, out->quantiles);
        if (rc != BW_OK) {
            return bw_fail(err, rc, "quantiles of '%s': %s", c->name, bw_strerror(rc));
        }
    }
    if (c->len_n > 0) {
        out->has_lengths = 1;
        out->len_min = c->len_min;
        out->len_max = c->len_max;
        out->len_mean = (double)c->len_sum / (double)c->len_n;
    }
    memcpy(out->patterns, c->pat, sizeof(out->patterns));
    return BW_OK;
}

int bw_profile_top_exact(const bw_profile *p, size_t i)
{
    return i < p->n ? bw_topk_is_exact(p->c[i].topk) : 0;
}

void bw_profile_top_free(bw_profile_top *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        bw_free(v[i].value);
    }
    bw_free(v);
}

bw_status bw_profile_top_values(const bw_profile *p, size_t i, size_t max, bw_profile_top **out, size_t *n,
                                bw_error *err)
{
    bw_topk_item *items = NULL;
    bw_profile_top *v = NULL;
    bw_buf txt = BW_BUF_INIT((size_t)1 << 20);
    size_t got = 0, m = 0;
    const struct pcol *c;

    *out = NULL;
    *n = 0;
    if (i >= p->n) {
        return bw_fail(err, BW_EINVAL, "no column %zu", i);
    }
    c = &p->c[i];
    max = BW_MIN(max, bw_topk_size(c->topk));
    items = bw_calloc(max ? max : 1, sizeof(*items));
    v = bw_calloc(max ? max : 1, sizeof(*v));
    if (items == NULL || v == NULL || bw_topk_items(c->topk, items, max, &got) != BW_OK) {
        goto oom;
    }
    for (; m < got; m++) {
        bw_buf_reset(&txt);
        if (key_text(c->type, items[m].key, items[m].len, &txt) != BW_OK) {
            goto oom;
        }
        v[m].value = bw_strndup(txt.ptr != NULL ? txt.ptr : "", txt.len);
        if (v[m].value == NULL) {
            goto oom;
        }
        v[m].len = txt.len;
        v[m].count = items[m].count;
        v[m].err = items[m].err;
        v[m].truncated = items[m].truncated;
    }
    bw_free(items);
    bw_buf_release(&txt);
    *out = v;
    *n = m;
    return BW_OK;
oom:
    bw_free(items);
    bw_buf_release(&txt);
    bw_profile_top_free(v, m);
    return bw_fail(err, BW_ENOMEM, "out of memory");
}

/* ---- JSON out ----------------------------------------------------------------------------------- */

/* A double that JSON cannot hold (inf, nan) is written as a string. */
static void json_num(bw_json *j, double v)
{
    if (isnan(v)) {
        bw_json_str(j, "nan");
    } else if (isinf(v)) {
        bw_json_str(j, v < 0 ? "-inf" : "inf");
    } else {
        bw_json_double(j, v);
    }
}

/* A value of a column of type t given as a double (or exactly as iv when exact) in the column's terms. */
/* A quantile as int64 (what x86-64 converts one outside int64's range or NaN to, without the undefined cast). */
static int64_t quantile_i64(double v)
{
    return v >= -9223372036854775808.0 && v < 9223372036854775808.0 ? (int64_t)v : INT64_MIN;
}

static void json_value(bw_json *j, bw_dtype t, double v, int64_t iv, bool exact, bw_buf *tmp)
{
    if (t == BW_DT_INT64 && exact) {
        bw_json_int(j, iv);
        return;
    }
    if (is_temporal(t)) {
        uint8_t key[9] = {KEY_TIME};
        if (!exact && !(v >= -9.2e18 && v <= 9.2e18)) {
            json_num(j, v);
            return;
        }
        int64_t us = exact ? iv : (int64_t)floor(v);
        if (t == BW_DT_DATE) {
            us -= ((us % US_PER_DAY) + US_PER_DAY) % US_PER_DAY; /* the day it falls in */
        }
        put_u64le(key + 1, (uint64_t)us);
        bw_buf_reset(tmp);
        (void)key_text(t, key, 9, tmp);
        bw_json_strn(j, tmp->ptr != NULL ? tmp->ptr : "", tmp->len);
        return;
    }
    json_num(j, v);
}

static bw_status sketch_b64(bw_json *j, const char *key, bw_status (*ser)(const void *, bw_buf *), const void *s,
                            bw_buf *tmp, bw_buf *enc)
{
    bw_buf_reset(tmp);
    bw_buf_reset(enc);
    BW_TRY(ser(s, tmp));
    (void)bw_base64_encode(tmp->ptr, tmp->len, enc);
    BW_TRY(enc->err);
    bw_json_key(j, key);
    bw_json_strn(j, enc->ptr != NULL ? enc->ptr : "", enc->len);
    return BW_OK;
}

static bw_status ser_hll(const void *s, bw_buf *b)
{
    return bw_hll_serialize(s, b);
}
static bw_status ser_kll(const void *s, bw_buf *b)
{
    return bw_kll_serialize(s, b);
}
static bw_status ser_topk(const void *s, bw_buf *b)
{
    return bw_topk_serialize(s, b);
}

static bw_status write_col(const bw_profile *p, size_t i, bw_json *j, size_t top, unsigned flags, bw_buf *tmp,
                           bw_buf *enc, bw_error *err)
{
    const struct pcol *c = &p->c[i];
    bw_profile_column pc;
    bw_profile_top *tv = NULL;
    size_t ntv = 0;
    static const char *const qnames[BW_PROFILE_NQUANTILES] = {"p01", "p05", "p25", "p50", "p75", "p95", "p99"};

    BW_TRY(bw_profile_column_get(p, i, &pc, err));
    BW_TRY(bw_profile_top_values(p, i, top, &tv, &ntv, err));
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "name", c->name);
    bw_json_kv_str(j, "type", bw_dtype_name(c->type));
    bw_json_key(j, "count");
    bw_json_uint(j, pc.count);
    bw_json_key(j, "nulls");
    bw_json_uint(j, pc.nulls);
    bw_json_key(j, "bad_values");
    bw_json_uint(j, pc.bad);
    bw_json_key(j, "distinct");
    bw_json_uint(j, pc.distinct);
    bw_json_key(j, "distinct_exact");
    bw_json_bool(j, pc.distinct_exact);
    if (pc.mixed) {
        bw_json_key(j, "mixed");
        bw_json_bool(j, 1);
    }
    if (pc.has_range) {
        bool ex = c->has_i && c->type != BW_DT_FLOAT64;
        bw_json_key(j, "min");
        json_value(j, c->type, pc.min, pc.imin, ex, tmp);
        bw_json_key(j, "max");
        json_value(j, c->type, pc.max, pc.imax, ex, tmp);
        if (c->mn > 0) {
            bw_json_key(j, "mean");
            json_value(j, c->type, pc.mean, 0, false, tmp);
            bw_json_key(j, "stddev");
            json_num(j, c->type == BW_DT_DATE        ? pc.stddev / (double)US_PER_DAY
                        : c->type == BW_DT_TIMESTAMP ? pc.stddev / 1e6
                                                     : pc.stddev);
        }
        bw_json_key(j, "quantiles");
        bw_json_obj_begin(j);
        for (int q = 0; q < BW_PROFILE_NQUANTILES; q++) {
            bw_json_key(j, qnames[q]);
            json_value(j, c->type, pc.quantiles[q], quantile_i64(pc.quantiles[q]), c->type == BW_DT_INT64, tmp);
        }
        bw_json_obj_end(j);
    }
    if (c->type == BW_DT_FLOAT64) {
        bw_json_key(j, "nan");
        bw_json_uint(j, pc.n_nan);
        bw_json_key(j, "infinite");
        bw_json_uint(j, pc.n_inf);
    }
    if (c->type == BW_DT_BOOL) {
        bw_json_key(j, "true");
        bw_json_uint(j, pc.n_true);
        bw_json_key(j, "false");
        bw_json_uint(j, pc.count - pc.nulls - pc.n_true);
    }
    if (pc.has_lengths) {
        bw_json_key(j, "length");
        bw_json_obj_begin(j);
        bw_json_key(j, "min");
        bw_json_uint(j, pc.len_min);
        bw_json_key(j, "max");
        bw_json_uint(j, pc.len_max);
        bw_json_key(j, "mean");
        bw_json_double(j, pc.len_mean);
        bw_json_obj_end(j);
        bw_json_key(j, "patterns");
        bw_json_obj_begin(j);
        for (int k = 0; k < BW_PAT_COUNT; k++) {
            if (pc.patterns[k] != 0) {
                bw_json_key(j, pattern_names[k]);
                bw_json_uint(j, pc.patterns[k]);
            }
        }
        bw_json_obj_end(j);
    }
    bw_json_key(j, "top_exact");
    bw_json_bool(j, bw_topk_is_exact(c->topk));
    bw_json_key(j, "top");
    bw_json_arr_begin(j);
    for (size_t k = 0; k < ntv; k++) {
        bw_json_obj_begin(j);
        bw_json_key(j, "value");
        bw_json_strn(j, tv[k].value, tv[k].len);
        bw_json_key(j, "count");
        bw_json_uint(j, tv[k].count);
        if (tv[k].err != 0) {
            bw_json_key(j, "error");
            bw_json_uint(j, tv[k].err);
        }
        if (tv[k].truncated) {
            bw_json_key(j, "truncated");
            bw_json_bool(j, 1);
        }
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
    bw_profile_top_free(tv, ntv);
    if (!(flags & BW_PROFILE_JSON_NO_STATE)) {
        bw_status rc;
        bw_json_key(j, "state");
        bw_json_obj_begin(j);
        bw_json_key(j, "n");
        bw_json_uint(j, c->mn);
        bw_json_key(j, "mean");
        json_num(j, c->mean);
        bw_json_key(j, "m2");
        json_num(j, c->m2);
        bw_json_key(j, "nan");
        bw_json_uint(j, c->nnan);
        bw_json_key(j, "inf");
        bw_json_uint(j, c->ninf);
        if (c->has_i) {
            bw_json_key(j, "imin");
            bw_json_int(j, c->imin);
            bw_json_key(j, "imax");
            bw_json_int(j, c->imax);
        }
        bw_json_key(j, "true");
        bw_json_uint(j, c->ntrue);
        bw_json_key(j, "len_n");
        bw_json_uint(j, c->len_n);
        bw_json_key(j, "len_sum");
        bw_json_uint(j, c->len_sum);
        if (c->len_n > 0) {
            bw_json_key(j, "len_min");
            bw_json_uint(j, c->len_min);
            bw_json_key(j, "len_max");
            bw_json_uint(j, c->len_max);
        }
        bw_json_key(j, "patterns");
        bw_json_arr_begin(j);
        for (int k = 0; k < BW_PAT_COUNT; k++) {
            bw_json_uint(j, c->pat[k]);
        }
        bw_json_arr_end(j);
        rc = sketch_b64(j, "hll", ser_hll, c->hll, tmp, enc);
        if (rc == BW_OK && c->kll != NULL) {
            rc = sketch_b64(j, "kll", ser_kll, c->kll, tmp, enc);
        }
        if (rc == BW_OK) {
            rc = sketch_b64(j, "topk", ser_topk, c->topk, tmp, enc);
        }
        if (rc != BW_OK) {
            return bw_fail(err, rc, "profile of '%s': %s", c->name, bw_strerror(rc));
        }
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
    return BW_OK;
}

bw_status bw_profile_write_json(const bw_profile *p, const char *source, size_t top, unsigned flags, bw_buf *out,
                                bw_error *err)
{
    bw_json j;
    bw_buf tmp = BW_BUF_INIT((size_t)64 << 20), enc = BW_BUF_INIT((size_t)128 << 20);
    bw_status rc = BW_OK;

    bw_json_init(&j, out, (flags & BW_PROFILE_JSON_PRETTY) != 0);
    bw_json_obj_begin(&j);
    bw_json_kv_int(&j, "bulwark_profile", 1);
    if (source != NULL) {
        bw_json_kv_str(&j, "source", source);
    }
    bw_json_key(&j, "rows");
    bw_json_uint(&j, p->rows);
    bw_json_key(&j, "bad_rows");
    bw_json_uint(&j, p->bad_rows);
    bw_json_key(&j, "sketch");
    bw_json_obj_begin(&j);
    bw_json_kv_int(&j, "hll_p", p->o.hll_p);
    bw_json_kv_int(&j, "kll_k", p->o.kll_k);
    bw_json_kv_int(&j, "topk_counters", p->o.topk_counters);
    bw_json_obj_end(&j);
    bw_json_key(&j, "columns");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < p->n && rc == BW_OK; i++) {
        rc = write_col(p, i, &j, top ? top : 10, flags, &tmp, &enc, err);
    }
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    bw_buf_release(&tmp);
    bw_buf_release(&enc);
    if (rc != BW_OK) {
        return rc;
    }
    rc = bw_json_finish(&j);
    if (rc == BW_OK && (flags & BW_PROFILE_JSON_PRETTY)) {
        rc = bw_buf_addc(out, '\n');
    }
    if (rc != BW_OK) {
        return bw_fail(err, rc, "profile JSON: %s", bw_strerror(rc));
    }
    return BW_OK;
}

/* ---- JSON in ------------------------------------------------------------------------------------ */

struct rdctx {
    bw_error *err;
    char path[96];
};

static bw_status bad(struct rdctx *x, const char *field, const char *what)
{
    return bw_fail(x->err, BW_EFORMAT, "profile JSON: %s%s%s: %s", x->path, x->path[0] && field[0] ? "." : "", field,
                   what);
}

static bw_status get_u64(struct rdctx *x, json_t *o, const char *key, bool required, uint64_t max, uint64_t *out)
{
    json_t *v = json_object_get(o, key);

    *out = 0;
    if (v == NULL) {
        return required ? bad(x, key, "missing") : BW_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
        return bad(x, key, "not a count in range");
    }
    *out = (uint64_t)json_integer_value(v);
    return BW_OK;
}

static bw_status get_i64(struct rdctx *x, json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);

    if (v == NULL || !json_is_integer(v)) {
        return bad(x, key, "missing or not an integer");
    }
    *out = (int64_t)json_integer_value(v);
    return BW_OK;
}

static bw_status get_f64(struct rdctx *x, json_t *o, const char *key, double *out)
{
    json_t *v = json_object_get(o, key);

    if (v != NULL && json_is_number(v)) {
        *out = json_number_value(v);
        return BW_OK;
    }
    if (v != NULL && json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0) {
            *out = s[0] == '-' ? -INFINITY : INFINITY;
            return BW_OK;
        }
        if (strcmp(s, "nan") == 0) {
            *out = NAN;
            return BW_OK;
        }
    }
    return bad(x, key, "missing or not a number");
}

/* Decode the base64 sketch at `key` into buf. */
static bw_status get_sketch(struct rdctx *x, json_t *o, const char *key, bw_buf *buf)
{
    json_t *v = json_object_get(o, key);
    size_t at = 0;

    bw_buf_reset(buf);
    if (v == NULL || !json_is_string(v)) {
        return bad(x, key, "missing or not a string");
    }
    bw_status rc = bw_base64_decode(json_string_value(v), json_string_length(v), buf, &at);
    if (rc == BW_EFORMAT) {
        char m[64];
        snprintf(m, sizeof(m), "bad base64 at character %zu", at);
        return bad(x, key, m);
    }
    if (rc != BW_OK) {
        return bw_fail(x->err, rc, "out of memory");
    }
    return BW_OK;
}

static bw_status sketch_fail(struct rdctx *x, const char *key, bw_status rc, const bw_error *se)
{
    if (rc == BW_ENOMEM) {
        return bw_fail(x->err, rc, "out of memory");
    }
    return bad(x, key, se->msg[0] ? se->msg : "malformed sketch");
}

static bw_status read_col(bw_profile *p, struct rdctx *x, json_t *jc, bw_buf *buf)
{
    json_t *v, *st;
    size_t at;
    struct pcol *c;
    bw_error se = {0};
    bw_status rc;
    uint64_t present, tmp;

    if (!json_is_object(jc)) {
        return bad(x, "", "not an object");
    }
    v = json_object_get(jc, "name");
    if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        return bad(x, "name", "missing, empty or not a string");
    }
    if (find_col(p, json_string_value(v)) != SIZE_MAX) {
        return bad(x, "name", "a column named twice");
    }
    BW_TRY(add_col(p, json_string_value(v), 0, &at, x->err));
    c = &p->c[at];
    v = json_object_get(jc, "type");
    if (v == NULL || !json_is_string(v) || bw_dtype_parse(json_string_value(v), &c->type) != BW_OK ||
        strcmp(bw_dtype_name(c->type), json_string_value(v)) != 0) {
        if (!(v != NULL && json_is_string(v) && strcmp(json_string_value(v), "null") == 0)) {
            return bad(x, "type", "missing or not a type name");
        }
        c->type = BW_DT_NULL;
    }
    BW_TRY(get_u64(x, jc, "count", true, INT64_MAX, &c->count));
    BW_TRY(get_u64(x, jc, "nulls", true, c->count, &c->nulls));
    BW_TRY(get_u64(x, jc, "bad_values", false, c->nulls, &c->bad));
    if (c->count != p->rows) {
        return bad(x, "count", "differs from the profile's rows");
    }
    v = json_object_get(jc, "mixed");
    c->mixed = v != NULL && json_is_true(v);
    present = c->count - c->nulls;
    st = json_object_get(jc, "state");
    if (st == NULL || !json_is_object(st)) {
        return bad(x, "state", "missing (a profile written without its state cannot be merged)");
    }
    snprintf(x->path + strlen(x->path), sizeof(x->path) - strlen(x->path), ".state");
    BW_TRY(get_u64(x, st, "n", true, present, &c->mn));
    BW_TRY(get_u64(x, st, "nan", true, present, &c->nnan));
    BW_TRY(get_u64(x, st, "inf", true, present, &c->ninf));
    BW_TRY(get_u64(x, st, "true", true, present, &c->ntrue));
    BW_TRY(get_f64(x, st, "mean", &c->mean));
    BW_TRY(get_f64(x, st, "m2", &c->m2));
    if (c->mn > 0 && (!isfinite(c->mean) || !(c->m2 >= 0))) {
        return bad(x, "m2", "moments out of range");
    }
    c->has_i = json_object_get(st, "imin") != NULL;
    if (c->has_i) {
        BW_TRY(get_i64(x, st, "imin", &c->imin));
        BW_TRY(get_i64(x, st, "imax", &c->imax));
        if (c->imin > c->imax) {
            return bad(x, "imin", "greater than imax");
        }
    }
    BW_TRY(get_u64(x, st, "len_n", true, present, &c->len_n));
    BW_TRY(get_u64(x, st, "len_sum", true, UINT64_MAX / 2, &c->len_sum));
    if (c->len_n > 0) {
        BW_TRY(get_u64(x, st, "len_min", true, UINT32_MAX, &c->len_min));
        BW_TRY(get_u64(x, st, "len_max", true, UINT32_MAX, &c->len_max));
        if (c->len_min > c->len_max || c->len_sum < c->len_min * c->len_n || c->len_sum / c->len_n > c->len_max) {
            return bad(x, "len_sum", "lengths that do not add up");
        }
    } else if (c->len_sum != 0) {
        return bad(x, "len_sum", "lengths without values");
    }
    v = json_object_get(st, "patterns");
    if (v == NULL || !json_is_array(v) || json_array_size(v) != BW_PAT_COUNT) {
        return bad(x, "patterns", "missing or not an array of 11 counts");
    }
    for (size_t k = 0; k < BW_PAT_COUNT; k++) {
        json_t *e = json_array_get(v, k);
        if (!json_is_integer(e) || json_integer_value(e) < 0 || (uint64_t)json_integer_value(e) > c->len_n) {
            return bad(x, "patterns", "a count out of range");
        }
        c->pat[k] = (uint64_t)json_integer_value(e);
    }
    /* the sketches, read by their own checked readers */
    BW_TRY(get_sketch(x, st, "hll", buf));
    bw_hll_free(c->hll);
    c->hll = NULL;
    rc = bw_hll_deserialize(&c->hll, buf->ptr, buf->len, &se);
    if (rc != BW_OK) {
        return sketch_fail(x, "hll", rc, &se);
    }
    BW_TRY(get_sketch(x, st, "topk", buf));
    bw_topk_free(c->topk);
    c->topk = NULL;
    rc = bw_topk_deserialize(&c->topk, buf->ptr, buf->len, &se);
    if (rc != BW_OK) {
        return sketch_fail(x, "topk", rc, &se);
    }
    if (bw_topk_total(c->topk) != present) {
        return bad(x, "topk", "a total other than the column's values");
    }
    if (c->type != BW_DT_STRING) {
        /* the keys of a non-string column are a tag byte and 8 bytes, the tag the type's */
        size_t nk = bw_topk_size(c->topk), got = 0;
        bw_topk_item *it = bw_calloc(nk ? nk : 1, sizeof(*it));
        bool fine = it != NULL && bw_topk_items(c->topk, it, nk, &got) == BW_OK;
        for (size_t k = 0; fine && k < got; k++) {
            uint8_t tag = it[k].len == 9 ? it[k].key[0] : 0;
            fine = (c->type == BW_DT_INT64 && tag == KEY_INT) ||
                   (c->type == BW_DT_FLOAT64 && (tag == KEY_INT || tag == KEY_FLOAT)) ||
                   (is_temporal(c->type) && tag == KEY_TIME) ||
                   (c->type == BW_DT_BOOL && tag == KEY_BOOL && get_u64le(it[k].key + 1) <= 1);
        }
        bw_free(it);
        if (!fine) {
            return bad(x, "topk", "a value that is not of the column's type");
        }
    }
    if (bw_hll_is_exact(c->hll) && (bw_hll_count(c->hll) > present || (present > 0 && bw_hll_count(c->hll) == 0))) {
        return bad(x, "hll", "a distinct count the values cannot have");
    }
    if (json_object_get(st, "kll") != NULL) {
        if (!is_numeric(c->type) && !is_temporal(c->type)) {
            return bad(x, "kll", "quantiles for a column that is not numeric or temporal");
        }
        BW_TRY(get_sketch(x, st, "kll", buf));
        rc = bw_kll_deserialize(&c->kll, buf->ptr, buf->len, &se);
        if (rc != BW_OK) {
            return sketch_fail(x, "kll", rc, &se);
        }
        if (bw_kll_k(c->kll) != p->o.kll_k) {
            return bad(x, "kll", "a k other than the profile's");
        }
        if (bw_kll_count(c->kll) != c->mn + c->ninf) {
            return bad(x, "kll", "a count other than the column's finite and infinite values");
        }
    } else if (c->mn + c->ninf > 0) {
        return bad(x, "kll", "missing for a column with numbers");
    }
    if (is_numeric(c->type) || is_temporal(c->type)) {
        if (c->mn + c->nnan + c->ninf != present || c->len_n != 0 || c->ntrue != 0) {
            return bad(x, "n", "value counts that do not add up for a numeric column");
        }
        if (c->type != BW_DT_FLOAT64 && (c->nnan + c->ninf != 0 || (present > 0 && !c->has_i))) {
            return bad(x, "imin", "missing, or non-finite values in an integer or temporal column");
        }
    } else if (c->mn + c->nnan + c->ninf != 0 || c->has_i) {
        return bad(x, "n", "numbers in a column that is not numeric");
    } else if (c->type == BW_DT_STRING && !c->mixed && c->len_n != present) {
        return bad(x, "len_n", "a count other than the column's values");
    } else if (c->type != BW_DT_STRING && c->len_n != 0) {
        return bad(x, "len_n", "lengths in a column that is not string");
    }
    if (c->type != BW_DT_BOOL && c->ntrue != 0) {
        return bad(x, "true", "true values in a column that is not bool");
    }
    if (c->type == BW_DT_NULL && present != 0) {
        return bad(x, "nulls", "values in a column of type null");
    }
    (void)tmp;
    return BW_OK;
}

bw_status bw_profile_read_json(bw_profile **out, const void *data, size_t n, bw_error *err)
{
    json_error_t jerr;
    json_t *root = NULL, *v, *cols;
    bw_profile *p = NULL;
    bw_profile_opts o = BW_PROFILE_OPTS_INIT;
    struct rdctx x = {.err = err};
    bw_buf buf = BW_BUF_INIT((size_t)16 << 20);
    uint64_t u;
    bw_status rc;

    *out = NULL;
    if (n > MAX_JSON) {
        return bw_fail(err, BW_ELIMIT, "profile JSON: %zu bytes, over the limit of %zu", n, MAX_JSON);
    }
    root = json_loadb(data, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        return bw_fail_at(err, BW_EFORMAT, (uint64_t)jerr.position, "profile JSON: offset %d (line %d): %s",
                          jerr.position, jerr.line, jerr.text);
    }
    if (!json_is_object(root)) {
        rc = bad(&x, "", "not a JSON object");
        goto out;
    }
    v = json_object_get(root, "bulwark_profile");
    if (v == NULL || !json_is_integer(v) || json_integer_value(v) != 1) {
        rc = bad(&x, "bulwark_profile", "missing or not version 1");
        goto out;
    }
    v = json_object_get(root, "sketch");
    if (v == NULL || !json_is_object(v)) {
        rc = bad(&x, "sketch", "missing or not an object");
        goto out;
    }
    snprintf(x.path, sizeof(x.path), "sketch");
    if ((rc = get_u64(&x, v, "hll_p", true, BW_HLL_MAX_P, &u)) != BW_OK) {
        goto out;
    }
    o.hll_p = (unsigned)u;
    if ((rc = get_u64(&x, v, "kll_k", true, BW_KLL_MAX_K, &u)) != BW_OK) {
        goto out;
    }
    o.kll_k = (unsigned)u;
    if ((rc = get_u64(&x, v, "topk_counters", true, BW_TOPK_MAX_CAPACITY, &u)) != BW_OK) {
        goto out;
    }
    o.topk_counters = (unsigned)u;
    x.path[0] = '\0';
    if (o.hll_p < BW_HLL_MIN_P || o.kll_k < BW_KLL_MIN_K || o.topk_counters < 1) {
        rc = bad(&x, "sketch", "parameters out of range");
        goto out;
    }
    if ((rc = bw_profile_new(&p, &o, err)) != BW_OK) {
        goto out;
    }
    if ((rc = get_u64(&x, root, "rows", true, INT64_MAX, &p->rows)) != BW_OK ||
        (rc = get_u64(&x, root, "bad_rows", false, INT64_MAX, &p->bad_rows)) != BW_OK) {
        goto out;
    }
    cols = json_object_get(root, "columns");
    if (cols == NULL || !json_is_array(cols)) {
        rc = bad(&x, "columns", "missing or not an array");
        goto out;
    }
    if (json_array_size(cols) > BW_DATA_MAX_COLUMNS) {
        rc = bw_fail(err, BW_ELIMIT, "profile JSON: %zu columns, over the limit of %d", json_array_size(cols),
                     BW_DATA_MAX_COLUMNS);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(cols); i++) {
        snprintf(x.path, sizeof(x.path), "columns[%zu]", i);
        rc = read_col(p, &x, json_array_get(cols, i), &buf);
        if (rc != BW_OK) {
            goto out;
        }
    }
    rc = BW_OK;
out:
    json_decref(root);
    bw_buf_release(&buf);
    if (rc != BW_OK) {
        bw_profile_free(p);
        return rc;
    }
    *out = p;
    return BW_OK;
}
