/*
 * bw_hash.h - a fast, portable 64-bit hash of bytes and a bijective mix of
 * numbers (not cryptographic).
 */
#ifndef BULWARK_BW_HASH_H
#define BULWARK_BW_HASH_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A 64-bit hash of `n` bytes at `p` (NULL allowed when n is 0). Not
 * cryptographic: it is built for spread, not for resistance to chosen
 * inputs. The value is the same on every platform and is part of the
 * serialised HLL format (bw_hll_add feeds bw_hash64(p, n, 0)), so it never
 * changes for a given (bytes, seed).
 */
BW_API uint64_t bw_hash64(const void *p, size_t n, uint64_t seed);
/** A bijective 64-bit mix of one number: distinct inputs never collide. */
BW_API uint64_t bw_hash64_u64(uint64_t x);

#ifdef __cplusplus
}
#endif
#endif
