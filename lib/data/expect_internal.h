/*
 * expect_internal.h - what the expectation engine's files share: the kinds
 * of expectation (one per GE type name, in the order of the table in
 * expect_check.c), the per-value text predicates (expect_text.c) and the
 * value keys and hash tables (expect_vals.c).
 */
#ifndef BW_EXPECT_INTERNAL_H
#define BW_EXPECT_INTERNAL_H

#include <jansson.h>

#include "bulwark/bw_json.h"
#include "bulwark/bw_validate.h"
#include "util/internal.h"

typedef enum bw_xkind {
    XK_COLUMN_EXISTS = 0,
    XK_TABLE_COLUMNS_SET,
    XK_TABLE_COLUMNS_LIST,
    XK_TABLE_COLUMN_COUNT_EQUAL,
    XK_TABLE_COLUMN_COUNT_BETWEEN,
    XK_ROW_COUNT_BETWEEN,
    XK_ROW_COUNT_EQUAL,
    XK_NOT_NULL,
    XK_NULL,
    XK_OF_TYPE,
    XK_IN_TYPE_LIST,
    XK_IN_SET,
    XK_NOT_IN_SET,
    XK_BETWEEN,
    XK_UNIQUE,
    XK_COMPOUND_UNIQUE,
    XK_REGEX,
    XK_NOT_REGEX,
    XK_REGEX_LIST,
    XK_NOT_REGEX_LIST,
    XK_LENGTH_BETWEEN,
    XK_LENGTH_EQUAL,
    XK_STRFTIME,
    XK_DATEUTIL,
    XK_JSON,
    XK_INCREASING,
    XK_DECREASING,
    XK_PAIR_GREATER,
    XK_PAIR_EQUAL,
    XK_MULTISUM,
    XK_MEAN,
    XK_MEDIAN,
    XK_STDEV,
    XK_MIN,
    XK_MAX,
    XK_SUM,
    XK_QUANTILES,
    XK_UNIQUE_COUNT,
    XK_DISTINCT_IN_SET,
    XK_DISTINCT_CONTAIN_SET,
    XK_DISTINCT_EQUAL_SET,
    XK_PROPORTION_UNIQUE,
    XK_MOST_COMMON_IN_SET,
    XK_KL_DIVERGENCE,
    XK_NO_FORMULA,
    XK_NO_CONTROL,
    XK_NO_MARKUP,
    XK_COUNT_
} bw_xkind;

/* The kind of a canonical (static) type name from bw_expect_check, or -1. */
BW_INTERNAL int bw_expect_kind(const char *canonical);

/* PCRE2 options every expectation regex is compiled with (UTF, and UCP for \w \d \b). */
#define BW_XRE_OPTIONS (PCRE2_UTF | PCRE2_UCP)

/*
 * A regex as a lazily built DFA (expect_redfa.c), for ASCII subjects: what
 * PCRE2 with BW_XRE_OPTIONS answers, for the regular subset of its syntax.
 * bw_redfa_new gives NULL for a pattern outside the subset (use PCRE2);
 * bw_redfa_match gives 1 (a match anywhere in s[0..n)), 0, or -1 when the
 * DFA outgrew its cap (from then on always -1: use PCRE2). s must be ASCII.
 */
typedef struct bw_redfa bw_redfa;
BW_INTERNAL bw_redfa *bw_redfa_new(const char *pat, size_t n);
/* One DFA that matches where any of the k patterns does (their alternation, parsed one by one). */
BW_INTERNAL bw_redfa *bw_redfa_new_any(const char *const *pats, const size_t *lens, size_t k);
BW_INTERNAL void bw_redfa_free(bw_redfa *d);
/*
 * The part of a bw_redfa (its first member) the inline matchers read. States
 * are row offsets (state << shift); a row holds one transition a byte class.
 */
typedef struct bw_redfa_hot {
    uint32_t *trans; /* [row + class] = target row, or UINT32_MAX: not built yet */
    uint16_t *t16;   /* the same, whole and 16-bit, for small DFAs built up front (else NULL) */
    uint8_t *acc;    /* [state] bit 0: accepts at the end of the subject; bit 1: accepts when only "\n" is left */
    uint32_t s0;     /* the start row */
    uint32_t shift;  /* log2 of the row width */
    uint8_t acc0;    /* acc of the start at position 0, where '^' may still pass after a '$' */
    bool gave_up;
    bool set_only;      /* the pattern is one class (maybe repeated): a match is a byte in inset[] */
    uint8_t cls[256];   /* byte -> class */
    uint8_t inset[256]; /* set_only: 1 for the bytes of the class */
} bw_redfa_hot;
/* Build the transition from row st on byte c: the target row, or UINT32_MAX (gave up). */
BW_INTERNAL uint32_t bw_redfa_step(bw_redfa *d, uint32_t st, unsigned char c);

/* The verdict of a whole DFA from row st with p[0..last] left (last: the final byte). */
static inline int bw_redfa_tail16(const bw_redfa_hot *h, uint32_t st, const unsigned char *p, const unsigned char *last)
{
    const uint16_t *t = h->t16;
    for (; last - p >= 4; p += 4) {
        st = t[st + h->cls[p[0]]];
        st = t[st + h->cls[p[1]]];
        st = t[st + h->cls[p[2]]];
        st = t[st + h->cls[p[3]]];
    }
    for (; p < last; p++) {
        st = t[st + h->cls[*p]];
    }
    if (*last == '\n') {
        return h->acc[st >> h->shift] >> 1 & 1;
    }
    return h->acc[t[st + h->cls[*last]] >> h->shift] & 1;
}

static inline int bw_redfa_match(bw_redfa *d, const char *s, size_t n)
{
    const bw_redfa_hot *h = (const bw_redfa_hot *)d;
    const unsigned char *p = (const unsigned char *)s;
    if (h->gave_up) {
        return -1;
    }
    if (n <= 1 && (n == 0 || p[0] == '\n')) {
        return n == 0 ? h->acc0 & 1 : h->acc0 >> 1 & 1;
    }
    if (h->set_only) {
        unsigned any = 0; /* no chain of loads: each byte is looked up on its own */
        for (size_t i = 0; i < n; i++) {
            any |= h->inset[p[i]];
        }
        return any != 0;
    }
    const unsigned char *last = p + n - 1;
    if (h->t16 != NULL) {
        return bw_redfa_tail16(h, h->s0, p, last);
    }
    uint32_t st = h->s0;
    for (; p < last; p++) {
        uint32_t to = h->trans[st + h->cls[*p]];
        if (__builtin_expect(to == UINT32_MAX, 0) && (to = bw_redfa_step(d, st, *p)) == UINT32_MAX) {
            return -1;
        }
        st = to;
    }
    if (*last == '\n') {
        return h->acc[st >> h->shift] >> 1 & 1;
    }
    uint32_t to = h->trans[st + h->cls[*last]];
    if (to == UINT32_MAX && (to = bw_redfa_step(d, st, *last)) == UINT32_MAX) {
        return -1;
    }
    return h->acc[to >> h->shift] & 1;
}

/* Whole and small, and not a single class: the 16-bit table walks (bw_redfa_match4 takes only these). */
static inline bool bw_redfa_whole(const bw_redfa *d)
{
    return ((const bw_redfa_hot *)d)->t16 != NULL && !((const bw_redfa_hot *)d)->set_only;
}

/*
 * Four walks of whole DFAs (the same one or not) over four subjects of at
 * least 2 bytes, in lockstep: a DFA walk is a chain of dependent loads, and
 * four chains overlap where one would wait on each load in turn.
 */
static inline void bw_redfa_match4(const bw_redfa *const *d, const char *const *s, const size_t *n, int *out)
{
    const bw_redfa_hot *h0 = (const bw_redfa_hot *)d[0], *h1 = (const bw_redfa_hot *)d[1],
                       *h2 = (const bw_redfa_hot *)d[2], *h3 = (const bw_redfa_hot *)d[3];
    const unsigned char *p0 = (const unsigned char *)s[0], *p1 = (const unsigned char *)s[1],
                        *p2 = (const unsigned char *)s[2], *p3 = (const unsigned char *)s[3];
    uint32_t s0 = h0->s0, s1 = h1->s0, s2 = h2->s0, s3 = h3->s0;
    size_t k = n[0];
    k = n[1] < k ? n[1] : k;
    k = n[2] < k ? n[2] : k;
    k = n[3] < k ? n[3] : k;
    k--;
    for (size_t i = 0; i < k; i++) {
        s0 = h0->t16[s0 + h0->cls[p0[i]]];
        s1 = h1->t16[s1 + h1->cls[p1[i]]];
        s2 = h2->t16[s2 + h2->cls[p2[i]]];
        s3 = h3->t16[s3 + h3->cls[p3[i]]];
    }
    out[0] = bw_redfa_tail16(h0, s0, p0 + k, p0 + n[0] - 1);
    out[1] = bw_redfa_tail16(h1, s1, p1 + k, p1 + n[1] - 1);
    out[2] = bw_redfa_tail16(h2, s2, p2 + k, p2 + n[2] - 1);
    out[3] = bw_redfa_tail16(h3, s3, p3 + k, p3 + n[3] - 1);
}

/* A bw_dtype a GE / pandas / bulwark type name stands for; false for an unknown name. */
BW_INTERNAL bool bw_expect_type_name(const char *name, bw_dtype *out, bool *numeric_any);

/* ---- text predicates (expect_text.c): true = the value passes ---- */

/* A compiled strftime pattern (at most BW_STRFTIME_MAX ops). */
#define BW_STRFTIME_MAX 128
typedef struct bw_strftime {
    size_t n;
    struct {
        char op; /* directive letter, or 0 for a literal byte, ' ' for a run of white space */
        char lit;
    } ops[BW_STRFTIME_MAX];
} bw_strftime;
/* Compile a Python strptime format; false (with a message in why) for an unsupported directive. */
BW_INTERNAL bool bw_strftime_compile(const char *fmt, bw_strftime *out, const char **why);
/* The whole of s[0..n) reads as the format and names a real calendar date. */
BW_INTERNAL bool bw_strftime_match(const bw_strftime *f, const char *s, size_t n);

/* dateutil.parser.parse would read s[0..n) (a generous approximation, docs/expectations.md). */
BW_INTERNAL bool bw_dateutil_parseable(const char *s, size_t n);

/* s[0..n) is one RFC 8259 JSON text (nesting at most BW_XJSON_MAX_DEPTH). */
#define BW_XJSON_MAX_DEPTH 512
BW_INTERNAL bool bw_json_valid(const char *s, size_t n);

/* A cell a spreadsheet would run as a formula (OWASP CSV injection). */
BW_INTERNAL bool bw_formula_injection(const char *s, size_t n, bool allow_numbers);

/* Characters the control-character check flags, minus an allow list of code points. */
typedef struct bw_ctlset {
    uint32_t allow[16];
    size_t nallow;
} bw_ctlset;
/* The first flagged code point in s[0..n) into *cp; false when there is none. */
BW_INTERNAL bool bw_has_control(const bw_ctlset *a, const char *s, size_t n, uint32_t *cp);

/* Markup or script in s[0..n) (the list is in docs/expectations.md); `scratch` is a work buffer. */
BW_INTERNAL bool bw_has_markup(const char *s, size_t n, bw_buf *scratch);

/* Code points in UTF-8 text (continuation bytes not counted). */
static inline size_t bw_utf8_len(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return k;
}

/* ---- value keys and tables (expect_vals.c) ---- */

/*
 * A value reduced to what equality means for expectations: numbers compare
 * numerically (an integral double is the integer), strings byte for byte,
 * dates and timestamps by their day / microsecond. `h` is its 64-bit hash.
 */
typedef struct bw_vkey {
    char tag;      /* 's' string, 'i' integer, 'f' other double, 'b' bool, 'd' date (days), 't' timestamp (us) */
    const char *p; /* 's': the bytes (borrowed) */
    size_t n;
    uint64_t u; /* the value of the other tags */
    uint64_t h;
} bw_vkey;

BW_INTERNAL void bw_vkey_num(double v, bw_vkey *k);
BW_INTERNAL void bw_vkey_int(int64_t v, bw_vkey *k);
BW_INTERNAL void bw_vkey_str(const char *s, size_t n, bw_vkey *k);
BW_INTERNAL void bw_vkey_tagged(char tag, uint64_t u, bw_vkey *k);
/* Key of value i of c (valid, and not NaN). */
BW_INTERNAL void bw_vkey_of(const bw_column *c, size_t i, bw_vkey *k);
/* Write the key as a JSON value (dates and timestamps as ISO strings). */
BW_INTERNAL void bw_vkey_json(const bw_vkey *k, struct bw_json *j);
/* Append the key as text (for samples). */
BW_INTERNAL bw_status bw_vkey_text(const bw_vkey *k, bw_buf *out);
/* Order for observed lists: booleans, numbers, dates, timestamps, strings. */
BW_INTERNAL int bw_vkey_cmp(const bw_vkey *a, const bw_vkey *b);
/* Serialise to bytes (tag + payload) and back, for the top-k sketch. */
BW_INTERNAL size_t bw_vkey_pack(const bw_vkey *k, uint8_t *buf, size_t cap);
BW_INTERNAL void bw_vkey_unpack(const uint8_t *p, size_t n, bw_vkey *k);

/* A hash table of keys with their own copies of the bytes, each mapped to an int (a value_set member). */
typedef struct bw_kset {
    struct bw_kent {
        uint64_t h, u;
        size_t off, n; /* 's' bytes in pool */
        int32_t member;
        char tag;
    } * e;
    size_t cap, len; /* cap a power of two (0: empty) */
    char *pool;
    size_t pool_len, pool_cap;
} bw_kset;

/* Add k mapped to `member` (an existing key keeps its member); *added set when new. */
BW_INTERNAL bw_status bw_kset_add(bw_kset *s, const bw_vkey *k, int32_t member, bool *added);
/* The member k maps to, or -1. */
BW_INTERNAL int32_t bw_kset_find(const bw_kset *s, const bw_vkey *k);
/* Entry i (0..cap) as a key, false for an empty slot. */
BW_INTERNAL bool bw_kset_at(const bw_kset *s, size_t i, bw_vkey *k);
BW_INTERNAL void bw_kset_free(bw_kset *s);
/*
 * A value_set (JSON list) as a key table: each member maps to its index; a
 * string member also maps every typed value it reads as (an integer, a
 * float, a bool, a date, a timestamp), so "7" matches an int64 7.
 */
BW_INTERNAL bw_status bw_kset_from_json(bw_kset *s, const json_t *set);
/* One JSON scalar as a key (false for null, objects, arrays); strings via `p` borrowed from it. */
BW_INTERNAL bool bw_vkey_from_json(const json_t *v, bw_vkey *k);

/* A set of 64-bit hashes (0 is stored as 1). */
typedef struct bw_hset {
    uint64_t *h;
    size_t cap, len;
} bw_hset;
/* Insert; *added when new. BW_ENOMEM leaves the set unchanged. */
BW_INTERNAL bw_status bw_hset_add(bw_hset *s, uint64_t h, bool *added);
BW_INTERNAL void bw_hset_free(bw_hset *s);

/*
 * The unique map: hash -> first row and whether the value repeated (bit 63).
 * 16 bytes a distinct value; large tables live on huge pages (bw_table_resize).
 */
typedef struct bw_umap {
    uint64_t *slot; /* cap pairs: hash, row | DUP */
    size_t cap, len;
} bw_umap;
#define BW_UMAP_DUP ((uint64_t)1 << 63)
/* Find or insert h; *rowflag points at the entry's row word (new entries get `row`). */
BW_INTERNAL bw_status bw_umap_put(bw_umap *m, uint64_t h, uint64_t row, uint64_t **rowflag, bool *added);
BW_INTERNAL void bw_umap_free(bw_umap *m);
/* Start loading the slot where h would go (the table is a random-access walk). */
static inline void bw_umap_prefetch(const bw_umap *m, uint64_t h)
{
    if (m->cap != 0) {
        h += h == 0;
        __builtin_prefetch(&m->slot[2 * ((size_t)(h ^ (h >> 29)) & (m->cap - 1))], 1);
    }
}

/*
 * Past its memory budget a unique check spills to temporary files in `dir`
 * (unique.c): bw_umap_at_budget says the table's next growth would pass
 * `budget` bytes; bw_uspill_start takes the table's entries, bw_uspill_add
 * each later value (hash, row, the first k bytes of its n-byte text) and
 * bw_uspill_finish calls `emit` once for every row whose value repeats that
 * the in-memory table had not counted yet, with the value's kept bytes.
 */
typedef struct bw_uspill bw_uspill;
typedef bw_status (*bw_uspill_emit)(void *ctx, uint64_t row, const char *v, size_t k, size_t n);
BW_INTERNAL bool bw_umap_at_budget(const bw_umap *m, size_t budget);
BW_INTERNAL bw_status bw_uspill_start(bw_uspill **out, const bw_umap *m, const char *dir, size_t budget, bw_error *err);
BW_INTERNAL bw_status bw_uspill_add(bw_uspill *s, uint64_t h, uint64_t row, const char *v, size_t k, size_t n,
                                    bw_error *err);
BW_INTERNAL bw_status bw_uspill_finish(bw_uspill *s, bw_uspill_emit emit, void *ctx, bw_error *err);
BW_INTERNAL void bw_uspill_free(bw_uspill *s);

/* Text of a date (YYYY-MM-DD) and a timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff]) into out (>= 40 bytes). */
BW_INTERNAL size_t bw_fmt_date(int32_t days, char *out);
BW_INTERNAL size_t bw_fmt_ts(int64_t us, char *out);

#endif
