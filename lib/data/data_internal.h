/*
 * data_internal.h - what the data readers share beyond bw_batch.h: the
 * option defaults and the limits every reader applies the same way.
 */
#ifndef BW_DATA_INTERNAL_H
#define BW_DATA_INTERNAL_H

#include "bulwark/bw_batch.h"
#include "util/internal.h"

#define BW_DATA_MAX_COLUMNS 100000            /* columns of one input */
#define BW_DATA_SAMPLE_MAX ((size_t)64 << 20) /* bytes of the type-inference sample */

/*
 * Copy the caller's options (NULL: the defaults) into *out with every 0
 * replaced by its default: 65536 rows a batch, 10000 rows to infer types
 * from, 16 MiB a record. BW_EINVAL for another options version or a
 * delimiter that is a quote or a line break.
 */
/* bw_parse_float64 when 16 bytes at s may be read whatever n is (a faster path for short numbers). */
BW_INTERNAL bool bw_parse_float64_pad(const char *s, size_t n, double *v);
BW_INTERNAL bw_status bw_data_opts_resolve(const bw_data_opts *in, bw_data_opts *out, bw_error *err);

/*
 * Sort n quantile-sketch items (no NaN) into the order of the KLL levels:
 * by value, -0 before +0 (what the sketch uses; exposed for its tests).
 */
BW_INTERNAL void bw_kll_sort_items(double *v, size_t n);

/*
 * bw_hash64(p, n, 0), inlined for the per-value loops of the profiler: the
 * same steps as lib/util/hash.c, so the same values (test_profile checks
 * them against bw_hash64 at every length up to 300).
 */
static inline uint64_t bw_data_hash_rotl(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t bw_data_hash_ld64(const uint8_t *s)
{
    uint64_t v;
    memcpy(&v, s, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t bw_data_hash_ld32(const uint8_t *s)
{
    uint32_t v;
    memcpy(&v, s, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t bw_data_hash_step(uint64_t lane, uint64_t w, uint64_t mul, unsigned r)
{
    lane ^= w * 0xa54ff53a5f1d36f1ULL;
    lane = bw_data_hash_rotl(lane, r);
    return lane * mul;
}

static inline uint64_t bw_data_hash(const void *p, size_t n)
{
    const uint64_t k2 = 0xbb67ae8584caa73bULL, k3 = 0x3c6ef372fe94f82bULL, k5 = 0x510e527fade682d1ULL;
    const uint8_t *s = p;
    uint64_t a = 0x9e3779b97f4a7c15ULL, b = 0x6a09e667f3bcc909ULL, x;
    size_t left = n;

    while (left > 16) {
        a = bw_data_hash_step(a, bw_data_hash_ld64(s), k2, 29);
        b = bw_data_hash_step(b, bw_data_hash_ld64(s + 8), k3, 31);
        s += 16;
        left -= 16;
    }
    if (left > 8) {
        a = bw_data_hash_step(a, bw_data_hash_ld64(s), k2, 29);
        b = bw_data_hash_step(b, bw_data_hash_ld64(s + left - 8), k3, 31);
    } else if (left >= 4) {
        a = bw_data_hash_step(a, bw_data_hash_ld32(s) | (bw_data_hash_ld32(s + left - 4) << 32), k2, 29);
    } else if (left > 0) {
        a = bw_data_hash_step(a, (uint64_t)s[0] | ((uint64_t)s[left / 2] << 8) | ((uint64_t)s[left - 1] << 16), k2, 29);
    }
    x = a ^ bw_data_hash_rotl(b, 27) ^ ((uint64_t)n * k5);
    x ^= x >> 32;
    x *= k2;
    x ^= x >> 29;
    x *= k3;
    x ^= x >> 32;
    x *= k5;
    x ^= x >> 29;
    return x;
}

#endif
