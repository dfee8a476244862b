/*
 * hash.c - bw_hash64, the library's one non-cryptographic hash (see bw_hash.h):
 * the sketches' value hash and the key of every hash table that holds
 * untrusted names.
 */
#include "bulwark/bw_hash.h"
#include "util/hash_inline.h"

uint64_t bw_hash64(const void *p, size_t n, uint64_t seed)
{
    return bw_hash64_inline(p, n, seed);
}

uint64_t bw_hash64_u64(uint64_t x)
{
    /* every step is a bijection, so distinct numbers never collide */
    return bw_h_final(x ^ BW_H_K1);
}
