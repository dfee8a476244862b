/*
 * merkle.c - RFC 9162 Merkle tree hashes and proofs (see bw_merkle.h).
 *
 * The builders follow the RFC's recursive definitions (2.1.3.1 PATH,
 * 2.1.4.1 PROOF/SUBPROOF); the verifiers its iterative algorithms
 * (2.1.3.2, 2.1.4.2). Comparisons of hashes are constant-time.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "bulwark/bw_merkle.h"
#include "trust/digest_internal.h"
#include "util/internal.h"

/*
 * SHA-256 of a || b || c with ctx (re-initialised here), so a tree walk
 * allocates one context, not one per node. SHA-256 cannot fail on a valid
 * context; a NULL one (allocation failed) leaves zeros, which no proof matches.
 */
static void sha256_parts(EVP_MD_CTX *ctx, const void *a, size_t an, const void *b, size_t bn, const void *c, size_t cn,
                         bw_mhash *out)
{
    unsigned int len = 0;

    memset(out->b, 0, sizeof(out->b));
    if (ctx != NULL && EVP_DigestInit_ex(ctx, bw_digest_md(BW_ALGO_SHA256), NULL) == 1 &&
        EVP_DigestUpdate(ctx, a, an) == 1 && (bn == 0 || EVP_DigestUpdate(ctx, b, bn) == 1) &&
        (cn == 0 || EVP_DigestUpdate(ctx, c, cn) == 1)) {
        EVP_DigestFinal_ex(ctx, out->b, &len);
    }
}

static void node_hash(EVP_MD_CTX *ctx, const bw_mhash *left, const bw_mhash *right, bw_mhash *out)
{
    static const uint8_t one = 0x01;
    bw_mhash l = *left, r = *right; /* out may be left or right */
    sha256_parts(ctx, &one, 1, l.b, sizeof(l.b), r.b, sizeof(r.b), out);
}

void bw_merkle_leaf_hash(const void *entry, size_t n, bw_mhash *out)
{
    static const uint8_t zero = 0x00;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    sha256_parts(ctx, &zero, 1, entry, n, NULL, 0, out);
    EVP_MD_CTX_free(ctx);
}

void bw_merkle_node_hash(const bw_mhash *left, const bw_mhash *right, bw_mhash *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    node_hash(ctx, left, right, out);
    EVP_MD_CTX_free(ctx);
}

/* The largest power of two below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

void bw_merkle_root(const bw_mhash *leaves, uint64_t n, bw_mhash *out)
{
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (n == 0) {
        sha256_parts(ctx, "", 0, NULL, 0, NULL, 0, out);
        EVP_MD_CTX_free(ctx);
        return;
    }
    /* bottom-up over a stack of complete subtrees: the same tree as the recursion, in O(log n) space */
    bw_mhash stack[64];
    unsigned depth[64];
    size_t top = 0;
    for (uint64_t i = 0; i < n; i++) {
        stack[top] = leaves[i];
        depth[top++] = 0;
        while (top >= 2 && depth[top - 1] == depth[top - 2]) {
            node_hash(ctx, &stack[top - 2], &stack[top - 1], &stack[top - 2]);
            depth[top - 2]++;
            top--;
        }
    }
    /* the right edge: fold the smaller subtrees into the larger ones from the right */
    while (top >= 2) {
        node_hash(ctx, &stack[top - 2], &stack[top - 1], &stack[top - 2]);
        top--;
    }
    EVP_MD_CTX_free(ctx);
    *out = stack[0];
}

static bw_status path(const bw_mhash *d, uint64_t n, uint64_t m, bw_mhash *proof, size_t *len)
{
    if (n <= 1) {
        return BW_OK;
    }
    uint64_t k = split_point(n);
    bw_mhash h;
    if (m < k) {
        BW_TRY(path(d, k, m, proof, len));
        bw_merkle_root(d + k, n - k, &h);
    } else {
        BW_TRY(path(d + k, n - k, m - k, proof, len));
        bw_merkle_root(d, k, &h);
    }
    if (*len >= BW_MERKLE_MAX_PROOF) {
        return BW_ELIMIT;
    }
    proof[(*len)++] = h;
    return BW_OK;
}

bw_status bw_merkle_inclusion_proof(const bw_mhash *leaves, uint64_t n, uint64_t m, bw_mhash *proof, size_t *len)
{
    *len = 0;
    if (m >= n) {
        return BW_EINVAL;
    }
    return path(leaves, n, m, proof, len);
}

static bw_status subproof(const bw_mhash *d, uint64_t n, uint64_t m, bool whole, bw_mhash *proof, size_t *len)
{
    bw_mhash h;

    if (m == n) {
        if (whole) {
            return BW_OK;
        }
        bw_merkle_root(d, n, &h);
    } else {
        uint64_t k = split_point(n);
        if (m <= k) {
            BW_TRY(subproof(d, k, m, whole, proof, len));
            bw_merkle_root(d + k, n - k, &h);
        } else {
            BW_TRY(subproof(d + k, n - k, m - k, false, proof, len));
            bw_merkle_root(d, k, &h);
        }
    }
    if (*len >= BW_MERKLE_MAX_PROOF) {
        return BW_ELIMIT;
    }
    proof[(*len)++] = h;
    return BW_OK;
}

bw_status bw_merkle_consistency_proof(const bw_mhash *leaves, uint64_t n, uint64_t m, bw_mhash *proof, size_t *len)
{
    *len = 0;
    if (m == 0 || m > n) {
        return BW_EINVAL;
    }
    return subproof(leaves, n, m, true, proof, len);
}

static bool same(const bw_mhash *a, const bw_mhash *b)
{
    return CRYPTO_memcmp(a->b, b->b, BW_MERKLE_HASH) == 0;
}

bw_status bw_merkle_verify_inclusion(uint64_t index, uint64_t size, const bw_mhash *leaf, const bw_mhash *proof,
                                     size_t len, const bw_mhash *root)
{
    uint64_t fn = index, sn;
    bw_mhash r = *leaf;
    EVP_MD_CTX *ctx;
    bool ok = true;

    if (index >= size || len > BW_MERKLE_MAX_PROOF) {
        return BW_EVERIFY;
    }
    ctx = EVP_MD_CTX_new();
    sn = size - 1;
    for (size_t i = 0; i < len && ok; i++) {
        if (sn == 0) {
            ok = false; /* a proof longer than the path */
        } else if ((fn & 1) != 0 || fn == sn) {
            node_hash(ctx, &proof[i], &r, &r);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            node_hash(ctx, &r, &proof[i], &r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    EVP_MD_CTX_free(ctx);
    return ok && sn == 0 && same(&r, root) ? BW_OK : BW_EVERIFY;
}

bw_status bw_merkle_verify_consistency(uint64_t size1, uint64_t size2, const bw_mhash *root1, const bw_mhash *root2,
                                       const bw_mhash *proof, size_t len)
{
    bw_mhash path[BW_MERKLE_MAX_PROOF + 1], fr, sr;
    size_t np = 0;
    uint64_t fn, sn;

    if (size1 == 0 || size2 < size1 || len > BW_MERKLE_MAX_PROOF) {
        return BW_EVERIFY; /* nothing is proved from the empty tree (transparency-dev agrees) */
    }
    if (size1 == size2) {
        return len == 0 && same(root1, root2) ? BW_OK : BW_EVERIFY;
    }
    if (len == 0) {
        return BW_EVERIFY; /* a tree that grew needs a proof */
    }
    if ((size1 & (size1 - 1)) == 0) {
        path[np++] = *root1; /* a complete first tree is its own first node */
    }
    memcpy(path + np, proof, len * sizeof(*proof));
    np += len;
    fn = size1 - 1;
    sn = size2 - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    fr = sr = path[0];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = true;
    for (size_t i = 1; i < np && ok; i++) {
        if (sn == 0) {
            ok = false; /* a proof longer than the path */
        } else if ((fn & 1) != 0 || fn == sn) {
            node_hash(ctx, &path[i], &fr, &fr);
            node_hash(ctx, &path[i], &sr, &sr);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            node_hash(ctx, &sr, &path[i], &sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    EVP_MD_CTX_free(ctx);
    return ok && sn == 0 && same(&fr, root1) && same(&sr, root2) ? BW_OK : BW_EVERIFY;
}
