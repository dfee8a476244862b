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

/* Are p[i..i+k) all digits (and inside the buffer)? */
static bool digits_at(const unsigned char *p, size_t n, size_t i, size_t k)
{
    if (i > n || k > n - i) {
        return false;
    }
    for (size_t j = 0; j < k; j++) {
        if (!dig(p[i + j])) {
            return false;
        }
    }
    return true;
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

int bw_shape_scan(const char *buf, size_t n, size_t stop, unsigned mask, bw_shape_fn fn, void *ctx)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t lim = BW_MIN(n, stop), i = 0;
    uint64_t carry = 0; /* 1 when the byte before this block is a digit */

    if (mask == 0) {
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
