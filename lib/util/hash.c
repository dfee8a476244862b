/*
 * hash.c - bw_hash64, the library's one non-cryptographic hash (see bw_hash.h):
 * the sketches' value hash and the key of every hash table that holds
 * untrusted names.
 */
#include <string.h>

#include "bulwark/bw_hash.h"

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load64le(const uint8_t *s)
{
    uint64_t v;
    memcpy(&v, s, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t load32le(const uint8_t *s)
{
    uint32_t v;
    memcpy(&v, s, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
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
#define H_K0 0x9e3779b97f4a7c15ULL /* golden ratio */
#define H_K1 0x6a09e667f3bcc909ULL /* sqrt(2) */
#define H_K2 0xbb67ae8584caa73bULL /* sqrt(3) */
#define H_K3 0x3c6ef372fe94f82bULL /* sqrt(5) */
#define H_K4 0xa54ff53a5f1d36f1ULL /* sqrt(7) */
#define H_K5 0x510e527fade682d1ULL /* sqrt(11) */

static inline uint64_t h_step(uint64_t lane, uint64_t w, uint64_t mul, unsigned r)
{
    lane ^= w * H_K4;
    lane = rotl64(lane, r);
    return lane * mul;
}

static inline uint64_t h_final(uint64_t x)
{
    x ^= x >> 32;
    x *= H_K2;
    x ^= x >> 29;
    x *= H_K3;
    x ^= x >> 32;
    x *= H_K5;
    x ^= x >> 29;
    return x;
}

uint64_t bw_hash64(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *s = p;
    uint64_t a = seed ^ H_K0, b = rotl64(seed, 32) ^ H_K1;
    size_t left = n;

    while (left > 16) {
        a = h_step(a, load64le(s), H_K2, 29);
        b = h_step(b, load64le(s + 8), H_K3, 31);
        s += 16;
        left -= 16;
    }
    if (left > 8) {
        a = h_step(a, load64le(s), H_K2, 29);
        b = h_step(b, load64le(s + left - 8), H_K3, 31);
    } else if (left >= 4) {
        a = h_step(a, load32le(s) | (load32le(s + left - 4) << 32), H_K2, 29);
    } else if (left > 0) {
        a = h_step(a, (uint64_t)s[0] | ((uint64_t)s[left / 2] << 8) | ((uint64_t)s[left - 1] << 16), H_K2, 29);
    }
    return h_final(a ^ rotl64(b, 27) ^ ((uint64_t)n * H_K5));
}

uint64_t bw_hash64_u64(uint64_t x)
{
    /* every step is a bijection, so distinct numbers never collide */
    return h_final(x ^ H_K1);
}
