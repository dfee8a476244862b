/*
 * bw_merkle.h - Merkle tree hashing and proofs of RFC 9162 (Certificate
 * Transparency 2.0, section 2.1), the structure of the ledger:
 *
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n
 *
 * Proofs are lists of 32-byte hashes, at most BW_MERKLE_MAX_PROOF of them.
 * The proof builders here take the leaf hashes in memory (the ledger's
 * stores build them from stored subtrees); the verifiers need only the
 * sizes, the hashes and the proof.
 */
#ifndef BULWARK_BW_MERKLE_H
#define BULWARK_BW_MERKLE_H

#include "bw_common.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BW_MERKLE_HASH 32
#define BW_MERKLE_MAX_PROOF 64

typedef struct bw_mhash {
    uint8_t b[BW_MERKLE_HASH];
} bw_mhash;

BW_API void bw_merkle_leaf_hash(const void *entry, size_t n, bw_mhash *out);
BW_API void bw_merkle_node_hash(const bw_mhash *left, const bw_mhash *right, bw_mhash *out);
/** MTH of the n leaf hashes (n may be 0). */
BW_API void bw_merkle_root(const bw_mhash *leaves, uint64_t n, bw_mhash *out);

/** The audit path of leaf m in the tree of n leaves into proof[BW_MERKLE_MAX_PROOF]; BW_EINVAL unless m < n. */
BW_API bw_status bw_merkle_inclusion_proof(const bw_mhash *leaves, uint64_t n, uint64_t m, bw_mhash *proof,
                                           size_t *len) BW_NODISCARD;
/** The consistency proof from the first m leaves to all n; BW_EINVAL unless 0 < m <= n. */
BW_API bw_status bw_merkle_consistency_proof(const bw_mhash *leaves, uint64_t n, uint64_t m, bw_mhash *proof,
                                             size_t *len) BW_NODISCARD;

/** BW_OK when proof shows `leaf` at index in the tree of `size` leaves with `root`; else BW_EVERIFY. */
BW_API bw_status bw_merkle_verify_inclusion(uint64_t index, uint64_t size, const bw_mhash *leaf, const bw_mhash *proof,
                                            size_t len, const bw_mhash *root) BW_NODISCARD;
/**
 * BW_OK when proof shows the tree of size2 leaves with root2 extends the one of size1 with root1
 * (equal sizes: an empty proof and equal roots); else BW_EVERIFY. A proof from the empty tree
 * (size1 0) proves nothing and fails.
 */
BW_API bw_status bw_merkle_verify_consistency(uint64_t size1, uint64_t size2, const bw_mhash *root1,
                                              const bw_mhash *root2, const bw_mhash *proof, size_t len) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
