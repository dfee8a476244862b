/*
 * sshape.c - the digit-run prefilter of the personal-data rules. See sshape.h.
 *
 * Each shape below is what its rule's regex (rules_builtin.c) needs around
 * a run of digits; every offset is checked against n before it is read.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "scan/sshape.h"

static inline bool dig(unsigned char c)
{
    return (unsigned)(c - '0') < 10u;
}

static inline bool cap(unsigned char c)
{
    return (unsigned)(c - 'A') < 26u;
}

/* Do the k bytes at p[i..] (inside the buffer) all satisfy ok? */
static inline bool all_at(const unsigned char *p, size_t n, size_t i, size_t k, bool (*ok)(unsigned char))
{
    if (i > n || k > n - i) {
        return false;
    }
    for (size_t j = 0; j < k; j++) {
        if (!ok(p[i + j])) {
            return false;
        }
    }
    return true;
}

/* Are p[i..i+k) all digits (and inside the buffer)? */
static inline bool digits_at(const unsigned char *p, size_t n, size_t i, size_t k)
{
    return all_at(p, n, i, k, dig);
}

/* Is p[i] one of the (up to three) bytes of set? */
static inline bool byte_in(const unsigned char *p, size_t n, size_t i, const char *set)
{
    if (i >= n) {
        return false;
    }
    for (; *set != '\0'; set++) {
        if (p[i] == (unsigned char)*set) {
            return true;
        }
    }
    return false;
}

/* Card: the run starts with [2-6] and 3 more digits; 13..19 digits follow in groups joined by one space or dash. */
static size_t card_to(const unsigned char *p, size_t n, size_t rs, size_t re)
{
    size_t j = rs, cnt = 0;

    if (re - rs < 4 || p[rs] < '2' || p[rs] > '6' ||
        (rs > 0 && (cap(p[rs - 1]) || (unsigned)(p[rs - 1] - 'a') < 26u || p[rs - 1] == '_' || p[rs - 1] == '.' ||
                    p[rs - 1] == '-'))) {
        return 0;
    }
    for (;;) {
        while (j < n && dig(p[j])) {
            j++;
            if (++cnt == 19) {
                return j; /* no card is longer: the match ends here at the latest */
            }
        }
        if (j + 1 < n && (p[j] == ' ' || p[j] == '-') && dig(p[j + 1])) {
            j++;
            continue;
        }
        break;
    }
    return cnt >= 13 ? j : 0;
}

/* North American: (ddd) ddd-dddd with an optional separator after ')', or ddd-ddd-dddd / ddd.ddd.dddd. */
static size_t nanp_to(const unsigned char *p, size_t n, size_t rs, size_t re)
{
    size_t j;

    if (re - rs != 3 || p[rs] < '2') {
        return 0;
    }
    if (rs > 0 && p[rs - 1] == '(' && re < n && p[re] == ')') {
        j = re + 1;
        if (byte_in(p, n, j, " .-")) {
            j++;
        }
        if (digits_at(p, n, j, 3) && byte_in(p, n, j + 3, " .-") && digits_at(p, n, j + 4, 4)) {
            return j + 8;
        }
        return 0;
    }
    if (byte_in(p, n, re, ".-") && digits_at(p, n, re + 1, 3) && byte_in(p, n, re + 4, ".-") &&
        digits_at(p, n, re + 5, 4)) {
        return re + 9;
    }
    return 0;
}

static size_t ssn_to(const unsigned char *p, size_t n, size_t rs, size_t re)
{
    if (re - rs == 3 && byte_in(p, n, re, "-") && digits_at(p, n, re + 1, 2) && byte_in(p, n, re + 3, "-") &&
        digits_at(p, n, re + 4, 4)) {
        return re + 8;
    }
    return 0;
}

static size_t aadhaar_to(const unsigned char *p, size_t n, size_t rs, size_t re)
{
    if (re - rs == 4 && p[rs] >= '2' && byte_in(p, n, re, " ") && digits_at(p, n, re + 1, 4) &&
        byte_in(p, n, re + 5, " ") && digits_at(p, n, re + 6, 4)) {
        return re + 10;
    }
    return 0;
}

static size_t pan_to(const unsigned char *p, size_t n, size_t rs, size_t re)
{
    if (re - rs != 4 || rs < 5 || re >= n || !cap(p[re])) {
        return 0;
    }
    for (size_t k = 1; k <= 5; k++) {
        if (!cap(p[rs - k])) {
            return 0;
        }
    }
    return re + 1;
}

/* IPv4: four runs of 1..3 digits joined by dots, the first not after a dot. */
static size_t ipv4_to(const unsigned char *p, size_t n, size_t rs, size_t re)
{
    size_t j = re;

    if (re - rs > 3 || (rs > 0 && p[rs - 1] == '.')) {
        return 0;
    }
    for (int octet = 1; octet < 4; octet++) {
        size_t k = 0;
        if (j + 1 >= n || p[j] != '.' || !dig(p[j + 1])) {
            return 0;
        }
        j++;
        while (j < n && dig(p[j]) && k < 4) {
            j++;
            k++;
        }
        if (k > 3) {
            return 0;
        }
    }
    return j;
}

/* Byte classes for the quick test of a run's neighbours (might_fit). */
enum { K_CAP = 1, K_DOT = 2, K_DASH = 4, K_RPAREN = 8, K_SPACE = 16, K_WORDISH = 32 };

/* klass_of[c]: the K_* classes of byte c (capitals, lower case and '_' are K_WORDISH, so are '.' and '-') */
static const unsigned char klass_of[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  16, 0,  0,  0,  0,  0,  0,  0,  0,  8,  0,  0,  0,  36, 34, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33,
    33, 33, 33, 33, 0,  0,  0,  0,  32, 0,  32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32,
    32, 32, 32, 32, 32, 32, 32, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

/*
 * Could any shape fit the run p[rs..re)? A necessary condition of on_run's
 * tests, from the bytes just before and after the run: most runs (the parts
 * of timestamps, counters, versions) fail it without a call.
 */
static inline bool might_fit(const unsigned char *p, size_t n, size_t rs, size_t re)
{
    unsigned before = rs > 0 ? klass_of[p[rs - 1]] : 0, after = re < n ? klass_of[p[re]] : 0;
    size_t len = re - rs;
    /* without branches: which way a run goes is close to random */
    unsigned fit = (before & (K_CAP | K_SPACE)) |                                          /* IBAN, NINO, PAN */
                   ((len <= 3) & !!(after & K_DOT)) |                                      /* IPv4 */
                   ((len == 3) & !!(after & (K_DASH | K_RPAREN))) |                        /* SSN, NANP */
                   ((len == 4) & !!(after & K_SPACE)) |                                    /* Aadhaar */
                   ((len >= 4) & ((unsigned)(p[rs] - '2') <= 4u) & !(before & K_WORDISH)); /* card */

    return fit != 0;
}

/* The shapes around one run p[rs..re). */
static int on_run(const unsigned char *p, size_t n, size_t rs, size_t re, unsigned mask, bw_shape_fn fn, void *ctx)
{
    size_t len = re - rs, to;
    int rc = 0;

#define SHAPE(s, expr)                                                                                                 \
    do {                                                                                                               \
        if ((mask & (1u << (s))) && (to = (expr)) != 0 && (rc = fn(ctx, (s), to)) != 0) {                              \
            return rc;                                                                                                 \
        }                                                                                                              \
    } while (0)

    if (len >= 2 && rs >= 2) {
        bool two = cap(p[rs - 1]) && cap(p[rs - 2]);
        if (two) {
            SHAPE(BW_SHAPE_IBAN, rs + 2);
        }
        if (two || (rs >= 3 && p[rs - 1] == ' ' && cap(p[rs - 2]) && cap(p[rs - 3]))) {
            SHAPE(BW_SHAPE_NINO, rs + 2);
        }
        if (len == 4) {
            SHAPE(BW_SHAPE_PAN, pan_to(p, n, rs, re));
        }
    }
    if (len <= 3) {
        SHAPE(BW_SHAPE_IPV4, ipv4_to(p, n, rs, re));
        if (len == 3) {
            SHAPE(BW_SHAPE_SSN, ssn_to(p, n, rs, re));
            SHAPE(BW_SHAPE_NANP, nanp_to(p, n, rs, re));
        }
    } else {
        if (len == 4) {
            SHAPE(BW_SHAPE_AADHAAR, aadhaar_to(p, n, rs, re));
        }
        SHAPE(BW_SHAPE_CARD, card_to(p, n, rs, re));
    }
#undef SHAPE
    return rc;
}

/* Bit i set when p[i] is an ASCII digit, for the w <= 64 bytes at p. */
static uint64_t digit_bits(const unsigned char *p, size_t w)
{
    uint64_t m = 0;

#if defined(__SSE2__)
    if (w == 64) {
        const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
        for (int k = 0; k < 4; k++) {
            __m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k)), zero);
            __m128i d = _mm_cmpeq_epi8(_mm_min_epu8(v, nine), v); /* (c - '0') <= 9, unsigned */
            m |= (uint64_t)(uint16_t)_mm_movemask_epi8(d) << (16 * k);
        }
        return m;
    }
#endif
    for (size_t i = 0; i < w; i++) {
        m |= (uint64_t)dig(p[i]) << i;
    }
    return m;
}

/* ---- the punctuation shapes ---------------------------------------------------------------------- */

#define DIGIT_SHAPES                                                                                                   \
    ((1u << BW_SHAPE_CARD) | (1u << BW_SHAPE_NANP) | (1u << BW_SHAPE_SSN) | (1u << BW_SHAPE_AADHAAR) |                 \
     (1u << BW_SHAPE_IBAN) | (1u << BW_SHAPE_NINO) | (1u << BW_SHAPE_PAN) | (1u << BW_SHAPE_IPV4))
#define PUNCT_SHAPES ((1u << BW_SHAPE_EMAIL) | (1u << BW_SHAPE_DOTS) | (1u << BW_SHAPE_UNDERS) | (1u << BW_SHAPE_SLASH))

static inline bool alnum(unsigned char c)
{
    return dig(c) || cap(c) || (unsigned)(c - 'a') < 26u;
}

static inline bool label(unsigned char c) /* [A-Za-z0-9-] */
{
    return alnum(c) || c == '-';
}

static inline bool tok(unsigned char c) /* [A-Za-z0-9_-] */
{
    return label(c) || c == '_';
}

static inline bool hexl(unsigned char c) /* [0-9a-f] */
{
    return dig(c) || (unsigned)(c - 'a') < 6u;
}

static bool ucdig(unsigned char c) /* [A-Z0-9] */
{
    return dig(c) || cap(c);
}

/* '@' at k: a label of 1..63 bytes, a dot and one more label byte. The label
 * cannot hold a dot, so the dot after its longest run is the only one. */
static size_t email_to(const unsigned char *p, size_t n, size_t k)
{
    size_t j = k + 1;

    while (j < n && j - k <= 64 && label(p[j])) {
        j++;
    }
    if (j - k - 1 < 1 || j - k - 1 > 63 || j + 1 >= n || p[j] != '.' || !label(p[j + 1])) {
        return 0;
    }
    return j + 2;
}

/* '.' at k and at k + 7, six token bytes between, one before and eight after. */
static size_t dots_to(const unsigned char *p, size_t n, size_t k)
{
    return k > 0 && tok(p[k - 1]) && all_at(p, n, k + 1, 6, tok) && k + 8 < n && p[k + 7] == '.' &&
                   all_at(p, n, k + 8, 8, tok)
               ? k + 16
               : 0;
}

/* '_' at k and at k + 5: an alphanumeric before, then [A-Z0-9]{4}, '_', hex{8}, '-', hex{4}, '-'. */
static size_t unders_to(const unsigned char *p, size_t n, size_t k)
{
    return k > 0 && alnum(p[k - 1]) && k + 20 <= n && all_at(p, n, k + 1, 4, ucdig) && p[k + 5] == '_' &&
                   all_at(p, n, k + 6, 8, hexl) && p[k + 14] == '-' && all_at(p, n, k + 15, 4, hexl) && p[k + 19] == '-'
               ? k + 20
               : 0;
}

/* '/' at k between a digit and twelve digits. */
static size_t slash_to(const unsigned char *p, size_t n, size_t k)
{
    return k > 0 && dig(p[k - 1]) && digits_at(p, n, k + 1, 12) ? k + 13 : 0;
}

/* Bit i set when p[i] == c, for the w <= 64 bytes at p. */
static uint64_t byte_bits(const unsigned char *p, size_t w, unsigned char c)
{
    uint64_t m = 0;

#if defined(__SSE2__)
    if (w == 64) {
        const __m128i v = _mm_set1_epi8((char)c);
        for (int k = 0; k < 4; k++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
            m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, v)) << (16 * k);
        }
        return m;
    }
#endif
    for (size_t i = 0; i < w; i++) {
        m |= (uint64_t)(p[i] == c) << i;
    }
    return m;
}

struct pmask {
    uint64_t at, dot, us, sl;
};

static void punct_bits(const unsigned char *p, size_t n, size_t i, unsigned mask, struct pmask *m)
{
    size_t w;

    if (i >= n) {
        *m = (struct pmask){0, 0, 0, 0};
        return;
    }
    w = BW_MIN((size_t)64, n - i);
    m->at = (mask & (1u << BW_SHAPE_EMAIL)) ? byte_bits(p + i, w, '@') : 0;
    m->dot = (mask & (1u << BW_SHAPE_DOTS)) ? byte_bits(p + i, w, '.') : 0;
    m->us = (mask & (1u << BW_SHAPE_UNDERS)) ? byte_bits(p + i, w, '_') : 0;
    m->sl = (mask & (1u << BW_SHAPE_SLASH)) ? byte_bits(p + i, w, '/') : 0;
}

/* Report each set bit of m (positions base + bit) that `to` accepts, as shape s. */
#define EACH_BIT(m, s, to_fn)                                                                                          \
    do {                                                                                                               \
        for (uint64_t b_ = (m); b_ != 0; b_ &= b_ - 1) {                                                               \
            size_t k_ = i + (size_t)__builtin_ctzll(b_), to_;                                                          \
            int rc_;                                                                                                   \
            if (k_ >= lim) {                                                                                           \
                break;                                                                                                 \
            }                                                                                                          \
            if ((to_ = to_fn(p, n, k_)) != 0 && (rc_ = fn(ctx, (s), to_)) != 0) {                                      \
                return rc_;                                                                                            \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

/*
 * The punctuation shapes, 64 bytes a step: a pair of dots 7 apart (or of
 * underscores 5 apart) is found with the next step's bits shifted in, so
 * only real pairs reach the byte checks.
 */
static int punct_scan(const unsigned char *p, size_t n, size_t lim, unsigned mask, bw_shape_fn fn, void *ctx)
{
    struct pmask cur, nxt;

    punct_bits(p, n, 0, mask, &cur);
    for (size_t i = 0; i < lim; i += 64) {
        punct_bits(p, n, i + 64, mask, &nxt);
        EACH_BIT(cur.at, BW_SHAPE_EMAIL, email_to);
        EACH_BIT(cur.dot & ((cur.dot >> 7) | (nxt.dot << 57)), BW_SHAPE_DOTS, dots_to);
        EACH_BIT(cur.us & ((cur.us >> 5) | (nxt.us << 59)), BW_SHAPE_UNDERS, unders_to);
        EACH_BIT(cur.sl, BW_SHAPE_SLASH, slash_to);
        cur = nxt;
    }
    return 0;
}
#undef EACH_BIT

int bw_shape_scan(const char *buf, size_t n, size_t stop, unsigned mask, bw_shape_fn fn, void *ctx)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t lim = BW_MIN(n, stop), i = 0;
    uint64_t carry = 0; /* 1 when the byte before this block is a digit */

    if (mask & PUNCT_SHAPES) {
        int rc = punct_scan(p, n, lim, mask, fn, ctx);
        if (rc != 0) {
            return rc;
        }
    }
    if ((mask & DIGIT_SHAPES) == 0) {
        return 0;
    }
    while (i < lim) {
        size_t w = BW_MIN((size_t)64, n - i);
        uint64_t m = digit_bits(p + i, w);
        uint64_t starts = m & ~((m << 1) | carry);

        while (starts != 0) {
            size_t b = (size_t)__builtin_ctzll(starts), rs = i + b, re;
            uint64_t after = ~m & (b == 63 ? 0 : ~0ULL << (b + 1));
            int rc;

            starts &= starts - 1;
            if (rs >= lim) {
                return 0;
            }
            if (after != 0) {
                re = i + (size_t)__builtin_ctzll(after);
                re = BW_MIN(re, n);
            } else {
                re = i + w;
                while (re < n && dig(p[re])) {
                    re++;
                }
            }
            if (!might_fit(p, n, rs, re)) {
                continue;
            }
            rc = on_run(p, n, rs, re, mask, fn, ctx);
            if (rc != 0) {
                return rc;
            }
        }
        carry = w == 64 ? m >> 63 : 0;
        i += w;
    }
    return 0;
}
