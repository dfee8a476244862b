/*
 * hash_inline.h - the body of bw_hash64 (lib/util/hash.c) as a static inline
 * function, for the per-value loops that cannot afford a call (the profiler);
 * hash.c's bw_hash64 is this function, so the two can never differ.
 */
#ifndef BW_HASH_INLINE_H
#define BW_HASH_INLINE_H

#include "util/internal.h"

static inline uint64_t bw_h_rotl(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

/*
 * bw_hash64: two 64-bit lanes eat 16 bytes a step; each step multiplies the
 * word by an odd constant (a bijection), folds it in with xor, rotates and
 * multiplies the lane again, so a changed word always changes its lane. The
 * last 1 to 16 bytes are read as one or two overlapping words that together
 * cover every byte (the length, mixed in at the end, tells the overlaps
 * apart). The finaliser is a xorshift-multiply cascade that spreads every
 * input bit over the whole word. The constants are the fractional parts of
 * the golden ratio and of square roots of small primes, forced odd.
 */
#define BW_H_K0 0x9e3779b97f4a7c15ULL /* golden ratio */
#define BW_H_K1 0x6a09e667f3bcc909ULL /* sqrt(2) */
#define BW_H_K2 0xbb67ae8584caa73bULL /* sqrt(3) */
#define BW_H_K3 0x3c6ef372fe94f82bULL /* sqrt(5) */
#define BW_H_K4 0xa54ff53a5f1d36f1ULL /* sqrt(7) */
#define BW_H_K5 0x510e527fade682d1ULL /* sqrt(11) */

static inline uint64_t bw_h_step(uint64_t lane, uint64_t w, uint64_t mul, unsigned r)
{
    lane ^= w * BW_H_K4;
    lane = bw_h_rotl(lane, r);
    return lane * mul;
}

static inline uint64_t bw_h_final(uint64_t x)
{
    x ^= x >> 32;
    x *= BW_H_K2;
    x ^= x >> 29;
    x *= BW_H_K3;
    x ^= x >> 32;
    x *= BW_H_K5;
    x ^= x >> 29;
    return x;
}

static inline uint64_t bw_hash64_inline(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *s = p;
    uint64_t a = seed ^ BW_H_K0, b = bw_h_rotl(seed, 32) ^ BW_H_K1;
    size_t left = n;

    while (left > 16) {
        a = bw_h_step(a, bw_load_le64(s), BW_H_K2, 29);
        b = bw_h_step(b, bw_load_le64(s + 8), BW_H_K3, 31);
        s += 16;
        left -= 16;
    }
    if (left > 8) {
        a = bw_h_step(a, bw_load_le64(s), BW_H_K2, 29);
        b = bw_h_step(b, bw_load_le64(s + left - 8), BW_H_K3, 31);
    } else if (left >= 4) {
        a = bw_h_step(a, bw_load_le32(s) | (bw_load_le32(s + left - 4) << 32), BW_H_K2, 29);
    } else if (left > 0) {
        a = bw_h_step(a, (uint64_t)s[0] | ((uint64_t)s[left / 2] << 8) | ((uint64_t)s[left - 1] << 16), BW_H_K2, 29);
    }
    return bw_h_final(a ^ bw_h_rotl(b, 27) ^ ((uint64_t)n * BW_H_K5));
}

#endif
