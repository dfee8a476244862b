/*
 * sshape.c - the digit-run prefilter of the personal-data rules. See sshape.h.
 *
 * Each shape below is what its rule's regex (rules_builtin.c) needs around
 * a run of digits; every offset is checked against n before it is read.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define BW_SSHAPE_X86 1
#include <immintrin.h>
#else
#define BW_SSHAPE_X86 0
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

/* ---- one pass, 64 bytes a step ------------------------------------------------------------------ */

/*
 * The byte classes of one 64-byte block, bit i for byte i: every shape is
 * tested on these masks with shifts, so a run or a punctuation byte costs
 * nothing unless its neighbours could fit a shape (the parts of dates,
 * times, counters and versions are most of the 100 million digit runs in a
 * gigabyte of logs).
 */
struct cls {
    uint64_t d;    /* [0-9] */
    uint64_t g;    /* [2-6] */
    uint64_t c;    /* [A-Z] */
    uint64_t w;    /* [A-Za-z_.-]: before a card's first digit, none of these */
    uint64_t sp;   /* ' ' */
    uint64_t dot;  /* '.' */
    uint64_t dash; /* '-' */
    uint64_t rp;   /* ')' */
    uint64_t at;   /* '@' */
    uint64_t us;   /* '_' */
    uint64_t sl;   /* '/' */
};

/* Any w <= 64 bytes; the bits past w stay clear. */
static void cls_scalar(const unsigned char *p, size_t w, struct cls *m)
{
    *m = (struct cls){0};
    for (size_t i = 0; i < w; i++) {
        unsigned char ch = p[i];
        uint64_t b = (uint64_t)1 << i;

        if (dig(ch)) {
            m->d |= b;
            m->g |= (unsigned)(ch - '2') <= 4u ? b : 0;
        } else if (cap(ch)) {
            m->c |= b;
            m->w |= b;
        } else if ((unsigned)(ch - 'a') < 26u) {
            m->w |= b;
        } else {
            m->sp |= ch == ' ' ? b : 0;
            m->dot |= ch == '.' ? b : 0;
            m->dash |= ch == '-' ? b : 0;
            m->rp |= ch == ')' ? b : 0;
            m->w |= ch == '.' || ch == '-' || ch == '_' ? b : 0;
            m->at |= ch == '@' ? b : 0;
            m->us |= ch == '_' ? b : 0;
            m->sl |= ch == '/' ? b : 0;
        }
    }
}

#if defined(__SSE2__)
/* (x - lo) <= span, unsigned, per byte */
static inline __m128i in_range16(__m128i x, char lo, char span)
{
    __m128i v = _mm_sub_epi8(x, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(span)), v);
}

static inline uint64_t bits16(__m128i v, int k)
{
    return (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
}

static void cls_sse2(const unsigned char *p, struct cls *m)
{
    *m = (struct cls){0};
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i dot = _mm_cmpeq_epi8(x, _mm_set1_epi8('.')), dash = _mm_cmpeq_epi8(x, _mm_set1_epi8('-'));
        __m128i us = _mm_cmpeq_epi8(x, _mm_set1_epi8('_'));
        __m128i alpha = in_range16(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 25);

        m->d |= bits16(in_range16(x, '0', 9), k);
        m->g |= bits16(in_range16(x, '2', 4), k);
        m->c |= bits16(in_range16(x, 'A', 25), k);
        m->w |= bits16(_mm_or_si128(_mm_or_si128(alpha, dot), _mm_or_si128(dash, us)), k);
        m->sp |= bits16(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), k);
        m->dot |= bits16(dot, k);
        m->dash |= bits16(dash, k);
        m->rp |= bits16(_mm_cmpeq_epi8(x, _mm_set1_epi8(')')), k);
        m->at |= bits16(_mm_cmpeq_epi8(x, _mm_set1_epi8('@')), k);
        m->us |= bits16(us, k);
        m->sl |= bits16(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')), k);
    }
}
#endif

#if BW_SSHAPE_X86
__attribute__((target("avx2"))) static void cls_avx2(const unsigned char *p, struct cls *m)
{
    *m = (struct cls){0};
    for (int k = 0; k < 2; k++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
#define IN_RANGE(v_, lo_, span_)                                                                                       \
    _mm256_cmpeq_epi8(_mm256_min_epu8(_mm256_sub_epi8((v_), _mm256_set1_epi8(lo_)), _mm256_set1_epi8(span_)),          \
                      _mm256_sub_epi8((v_), _mm256_set1_epi8(lo_)))
#define EQ(ch_) _mm256_cmpeq_epi8(x, _mm256_set1_epi8(ch_))
#define BITS(v_) ((uint64_t)(uint32_t)_mm256_movemask_epi8(v_) << (32 * k))
        __m256i dot = EQ('.'), dash = EQ('-'), us = EQ('_');
        __m256i alpha = IN_RANGE(_mm256_or_si256(x, _mm256_set1_epi8(0x20)), 'a', 25);

        m->d |= BITS(IN_RANGE(x, '0', 9));
        m->g |= BITS(IN_RANGE(x, '2', 4));
        m->c |= BITS(IN_RANGE(x, 'A', 25));
        m->w |= BITS(_mm256_or_si256(_mm256_or_si256(alpha, dot), _mm256_or_si256(dash, us)));
        m->sp |= BITS(EQ(' '));
        m->dot |= BITS(dot);
        m->dash |= BITS(dash);
        m->rp |= BITS(EQ(')'));
        m->at |= BITS(EQ('@'));
        m->us |= BITS(us);
        m->sl |= BITS(EQ('/'));
#undef IN_RANGE
#undef EQ
#undef BITS
    }
}

__attribute__((target("avx512bw"))) static void cls_avx512(const unsigned char *p, struct cls *m)
{
    __m512i x = _mm512_loadu_si512((const void *)p);
#define IN_RANGE(v_, lo_, span_)                                                                                       \
    _mm512_cmple_epu8_mask(_mm512_sub_epi8((v_), _mm512_set1_epi8(lo_)), _mm512_set1_epi8(span_))
#define EQ(ch_) _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(ch_))
    uint64_t dot = EQ('.'), dash = EQ('-'), us = EQ('_');

    m->d = IN_RANGE(x, '0', 9);
    m->g = IN_RANGE(x, '2', 4);
    m->c = IN_RANGE(x, 'A', 25);
    m->w = IN_RANGE(_mm512_or_si512(x, _mm512_set1_epi8(0x20)), 'a', 25) | dot | dash | us;
    m->sp = EQ(' ');
    m->dot = dot;
    m->dash = dash;
    m->rp = EQ(')');
    m->at = EQ('@');
    m->us = us;
    m->sl = EQ('/');
#undef IN_RANGE
#undef EQ
}
#endif

/* The classifier in use: 0 portable, 1 SSE2, 2 AVX2, 3 AVX-512BW; -1 until the first scan picks the best. */
static int simd_level = -1;

static int best_level(void)
{
#if BW_SSHAPE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw")) {
        return 3;
    }
    if (__builtin_cpu_supports("avx2")) {
        return 2;
    }
#endif
#if defined(__SSE2__)
    return 1;
#else
    return 0;
#endif
}

int bw_shape_simd(int level)
{
    int best = best_level();

    if (level >= 0) {
        __atomic_store_n(&simd_level, BW_MIN(level, best), __ATOMIC_RELAXED);
    }
    level = __atomic_load_n(&simd_level, __ATOMIC_RELAXED);
    return level >= 0 ? level : best;
}

static void classify(int level, const unsigned char *p, size_t w, struct cls *m)
{
    if (w < 64) {
        cls_scalar(p, w, m);
        return;
    }
    switch (level) {
#if BW_SSHAPE_X86
    case 3: cls_avx512(p, m); return;
    case 2: cls_avx2(p, m); return;
#endif
#if defined(__SSE2__)
    case 1: cls_sse2(p, m); return;
#endif
    default: cls_scalar(p, w, m); return;
    }
}

/* Bit i: bit i - k of the stream (prv's block, then cur's), 1 <= k <= 63. */
#define BACK(cur, prv, k) (((cur) << (k)) | ((prv) >> (64 - (k))))
/* Bit i: bit i + k of the stream (cur's block, then nxt's), 1 <= k <= 63. */
#define FWD(cur, nxt, k) (((cur) >> (k)) | ((nxt) << (64 - (k))))

/* The 64 bits of the stream from bit b of cur on (cur's block, then nxt's), 0 <= b <= 63. */
static inline uint64_t win(uint64_t cur, uint64_t nxt, unsigned b)
{
    return b == 0 ? cur : (cur >> b) | (nxt << (64 - b));
}

static inline bool bit_at(uint64_t m, unsigned k)
{
    return ((m >> k) & 1u) != 0;
}

/* Bits k..k+len-1 of m all set (len < 64)? */
static inline bool ones_at(uint64_t m, unsigned k, unsigned len)
{
    uint64_t want = ((uint64_t)1 << len) - 1;
    return ((m >> k) & want) == want;
}

/* The class masks from a run start on, bit 0 at its first digit. */
struct win {
    uint64_t d, dot, dash, sp, rp, ok;
};

/* ipv4_to(): four runs of one to three digits joined by three dots (the caller checked the byte before). */
static bool ipv4_fits(const struct win *w)
{
    unsigned pos = 0;

    for (int k = 0; k < 4; k++) {
        uint64_t rest = ~(w->d >> pos); /* pos <= 15 */
        unsigned len = (unsigned)__builtin_ctzll(rest | ((uint64_t)1 << 63));

        if (len < 1 || len > 3) {
            return false;
        }
        pos += len;
        if (k < 3) {
            if (!bit_at(w->dot, pos)) {
                return false;
            }
            pos++;
        }
    }
    return true;
}

/* Three digits then ssn_to()'s ddd-dd-dddd or nanp_to()'s ddd[.-]ddd[.-]dddd or (ddd). */
static bool ddd_fits(const struct win *w)
{
    uint64_t sep = w->dot | w->dash;

    return bit_at(w->rp, 3) ||
           (bit_at(w->dash, 3) && ones_at(w->d, 4, 2) && bit_at(w->dash, 6) && ones_at(w->d, 7, 4)) ||
           (bit_at(sep, 3) && ones_at(w->d, 4, 3) && bit_at(sep, 7) && ones_at(w->d, 8, 4));
}

/* aadhaar_to(): dddd dddd dddd. */
static bool aadhaar_fits(const struct win *w)
{
    return bit_at(w->sp, 4) && ones_at(w->d, 5, 4) && bit_at(w->sp, 9) && ones_at(w->d, 10, 4);
}

/*
 * card_to(): thirteen digits within 25 bytes, every byte up to the
 * thirteenth a digit or a single space or dash after a digit (`ok`).
 */
static bool card_fits(const struct win *w)
{
    uint64_t bad = ~w->ok;
    unsigned span = bad == 0 ? 64 : (unsigned)__builtin_ctzll(bad);

    uint64_t x;

    span = BW_MIN(span, 25u);
    /* bits set in the first `span` of d (not __builtin_popcountll: without -mpopcnt, a libgcc call) */
    x = w->d & (((uint64_t)1 << span) - 1);
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (x * 0x0101010101010101ULL) >> 56 >= 13;
}

/* Report the punctuation shape s at each bit of `marks`, the byte it starts at. */
#define EACH_MARK(marks, s, to_fn)                                                                                     \
    do {                                                                                                               \
        for (uint64_t b_ = (marks); b_ != 0; b_ &= b_ - 1) {                                                           \
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

int bw_shape_scan(const char *buf, size_t n, size_t stop, unsigned mask, bw_shape_fn fn, void *ctx)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t lim = BW_MIN(n, stop);
    int level = bw_shape_simd(-1);
    struct cls prv = {0}, cur, nxt;
    const unsigned digits = mask & DIGIT_SHAPES;

    if ((mask & (DIGIT_SHAPES | PUNCT_SHAPES)) == 0 || lim == 0) {
        return 0;
    }
    classify(level, p, BW_MIN((size_t)64, n), &cur);
    /* every mark is at the byte a shape starts at: blocks past lim have none to report */
    for (size_t i = 0; i < lim; i += 64) {
        uint64_t d1, f1, f2, f3, rs, caps, card, ip, ddd, aad, marks;

        if (n - i > 64) {
            classify(level, p + i + 64, BW_MIN((size_t)64, n - i - 64), &nxt);
        } else {
            nxt = (struct cls){0};
        }
        /* '@'; dots 7 apart; underscores 5 apart; '/' between a digit and a digit */
        if (mask & (1u << BW_SHAPE_EMAIL)) {
            EACH_MARK(cur.at, BW_SHAPE_EMAIL, email_to);
        }
        if (mask & (1u << BW_SHAPE_DOTS)) {
            EACH_MARK(cur.dot & FWD(cur.dot, nxt.dot, 7), BW_SHAPE_DOTS, dots_to);
        }
        if (mask & (1u << BW_SHAPE_UNDERS)) {
            EACH_MARK(cur.us & FWD(cur.us, nxt.us, 5), BW_SHAPE_UNDERS, unders_to);
        }
        d1 = BACK(cur.d, prv.d, 1);
        f1 = FWD(cur.d, nxt.d, 1);
        if (mask & (1u << BW_SHAPE_SLASH)) {
            EACH_MARK(cur.sl & d1 & f1, BW_SHAPE_SLASH, slash_to);
        }
        /*
         * Runs of digits, marked at their first digit when their neighbours
         * could fit a shape: two capitals (or two capitals and a space)
         * before; [2-6] and three more digits after no word byte (card); one
         * to three digits then '.', not after a dot (IPv4); three then '.',
         * '-' or ')' (phone, SSN); four then ' ' (Aadhaar). The marks but
         * the first are then tested further on the masks (the *_fits above).
         */
        f2 = FWD(cur.d, nxt.d, 2);
        f3 = FWD(cur.d, nxt.d, 3);
        rs = cur.d & ~d1;
        caps = rs & BACK(cur.c, prv.c, 2) & (BACK(cur.c, prv.c, 1) | (BACK(cur.sp, prv.sp, 1) & BACK(cur.c, prv.c, 3)));
        card = rs & cur.g & ~BACK(cur.w, prv.w, 1) & f1 & f2 & f3;
        ip = rs & ~BACK(cur.dot, prv.dot, 1) &
             ((~f1 & FWD(cur.dot, nxt.dot, 1)) | (f1 & ~f2 & FWD(cur.dot, nxt.dot, 2)) |
              (f1 & f2 & ~f3 & FWD(cur.dot, nxt.dot, 3)));
        ddd = rs & f1 & f2 & ~f3 & FWD(cur.dot | cur.dash | cur.rp, nxt.dot | nxt.dash | nxt.rp, 3);
        aad = rs & f1 & f2 & f3 & FWD(cur.sp, nxt.sp, 4) & ~FWD(cur.d, nxt.d, 4);
        marks = digits != 0 ? caps | card | ip | ddd | aad : 0;
        for (; marks != 0; marks &= marks - 1) {
            unsigned b = (unsigned)__builtin_ctzll(marks);
            uint64_t bit = (uint64_t)1 << b;
            size_t s = i + b, e;
            struct win w;
            int rc;

            if (s >= lim) {
                break;
            }
            w.d = win(cur.d, nxt.d, b);
            if (!(bit & caps)) {
                w.dot = win(cur.dot, nxt.dot, b);
                w.dash = win(cur.dash, nxt.dash, b);
                w.sp = win(cur.sp, nxt.sp, b);
                w.rp = win(cur.rp, nxt.rp, b);
                w.ok = 0;
                if (bit & card) {
                    uint64_t ok_cur = cur.d | ((cur.sp | cur.dash) & d1),
                             ok_nxt = nxt.d | ((nxt.sp | nxt.dash) & BACK(nxt.d, cur.d, 1));
                    w.ok = win(ok_cur, ok_nxt, b);
                }
                if (!((bit & ip) && ipv4_fits(&w)) && !((bit & ddd) && ddd_fits(&w)) &&
                    !((bit & aad) && aadhaar_fits(&w)) && !((bit & card) && card_fits(&w))) {
                    continue;
                }
            }
            if (~w.d != 0) {
                e = s + (size_t)__builtin_ctzll(~w.d);
            } else {
                for (e = s + 64; e < n && dig(p[e]);) {
                    e++;
                }
            }
            if ((rc = on_run(p, n, s, e, digits, fn, ctx)) != 0) {
                return rc;
            }
        }
        prv = cur;
        cur = nxt;
    }
    return 0;
}
#undef EACH_MARK
#undef FWD
#undef BACK
