/*
 * bw_sign.h - signing a model or dataset (a file or a directory) and
 * verifying it, in the OpenSSF Model Signing format (OMS v1.0) that
 * model_signing writes: an in-toto Statement v1 over the per-file manifest
 * (bw_manifest, files or shards mode), in a DSSE envelope, in a Sigstore
 * bundle v0.3 with public-key verification material (bw_bundle.h).
 *
 * Verification checks the signature first, reads only the verified
 * statement, rebuilds the manifest of the path with the recorded algorithm,
 * shard size and ignore paths, and names every file added, removed or
 * changed. It fails closed: any difference is BW_EVERIFY.
 */
#ifndef BULWARK_BW_SIGN_H
#define BULWARK_BW_SIGN_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_digest.h"
#include "bw_key.h"
#include "bw_log.h"
#include "bw_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The statement model_signing signs for manifest m, appended to out: in-toto
 * Statement v1, predicate `https://model_signing/signature/v1.0`, laid out as
 * protobuf's MessageToJson prints it (two-space indent, no final newline;
 * serialization before resources; shard_size as a JSON real such as
 * `1000000000.0`; resource members algorithm, digest, name). Equal bytes to
 * model_signing's golden statements. Only SHA-256 manifests (the subject
 * digest is always SHA-256 in OMS v1.0).
 * @return BW_OK; BW_EUNSUPPORTED for another algorithm, a name that is not
 *         UTF-8 or not a plain relative path, or a shard size over 2^53;
 *         BW_ENOMEM / BW_ELIMIT from the buffer.
 */
BW_API bw_status bw_sign_statement(const bw_manifest *m, bw_buf *out, bw_error *err) BW_NODISCARD;

#define BW_SIGN_CACHE_KEY_BYTES 32

/**
 * Incremental signing and verification: a stat cache (like git's index) of
 * the files of one model root, each file's stat tuple (device, inode, size,
 * mtime, ctime, mode) and digest when it was last hashed. A file's digest is
 * reused, instead of reading the file, only when all of this holds:
 *   - the cache file's HMAC-SHA-256 under `key` verifies (else it is ignored
 *     with a warning, as is one that does not parse);
 *   - it was written for this model root, vouched for by the signature now
 *     being verified (bw_verify_path) or re-signed from (bw_sign_path: the
 *     bundle already at opts->signature, which must verify with the signing
 *     key): the SHA-256 of that bundle file is recorded in the cache;
 *   - that signature's verified statement lists the file with the same
 *     digest (every shard, in shard mode) and the same algorithm and shard
 *     size as this run;
 *   - the file's stat tuple now equals the cached one, and its mtime and
 *     ctime are older than the clock read before the cache's run started
 *     (racy entries are hashed again).
 * After a successful sign, or a verify (files that matched), the cache is
 * rewritten atomically (mode 0600) vouched for by that signature. The
 * counts say what happened.
 */
typedef struct bw_sign_cache {
    const char *file;         /**< the cache file: read when present, then replaced */
    const unsigned char *key; /**< BW_SIGN_CACHE_KEY_BYTES secret bytes; keep them outside the project */
    size_t files_reused;      /**< out: files whose digests came from the cache */
    size_t files_hashed;      /**< out: files read and hashed */
    uint64_t bytes_reused;    /**< out: their bytes */
    uint64_t bytes_hashed;    /**< out */
    int ignored;              /**< out: a cache file was there but unreadable, unauthentic or malformed (warned) */
    int written;              /**< out: the cache file was rewritten */
} bw_sign_cache;

typedef struct bw_sign_opts {
    unsigned version;            /**< BW_SIGN_OPTS_VERSION */
    uint64_t shard_size;         /**< 0: files mode; else bytes per shard */
    const char *const *excludes; /**< paths relative to the root (or gitignore globs) to leave out; recorded */
    size_t n_excludes;
    int no_default_ignores;  /**< keep .gitattributes, .github, .gitignore at the top */
    const char *signature;   /**< where the bundle will be written: left out (and recorded) when inside path */
    bw_pool *pool;           /**< NULL: hash on the calling thread */
    bw_progress_fn progress; /**< may be NULL */
    void *progress_ud;
    bw_sign_cache *cache; /**< version 2: NULL hashes every file (the default); see bw_sign_cache */
} bw_sign_opts;

#define BW_SIGN_OPTS_VERSION 2
#define BW_SIGN_OPTS_INIT                                                                                              \
    {                                                                                                                  \
        BW_SIGN_OPTS_VERSION, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL                                              \
    }

/**
 * Build the manifest of `path` and sign it with private key k: the bundle
 * JSON is appended to `bundle`; the manifest is handed back through
 * `manifest` when that is not NULL (free it with bw_manifest_free).
 * Plain excludes are recorded as model_signing records ignore paths
 * (relative to the root, e.g. "model.sig") and match from the root only.
 * @return BW_OK, BW_EINVAL (a public key), the errors of bw_manifest_build
 *         and bw_sign_statement
 */
BW_API bw_status bw_sign_path(const char *path, const bw_key *k, const bw_sign_opts *opts, bw_buf *bundle,
                              bw_manifest **manifest, bw_error *err) BW_NODISCARD;

typedef struct bw_verify_opts {
    unsigned version;            /**< BW_VERIFY_OPTS_VERSION */
    const char *const *excludes; /**< more paths to leave out, besides the recorded ones */
    size_t n_excludes;
    const char *signature; /**< the bundle's own file: left out when inside path; may be NULL */
    bw_pool *pool;
    bw_progress_fn progress;
    void *progress_ud;
    bw_sign_cache *cache; /**< version 2: NULL hashes every file (the default); see bw_sign_cache */
} bw_verify_opts;

#define BW_VERIFY_OPTS_VERSION 2
#define BW_VERIFY_OPTS_INIT                                                                                            \
    {                                                                                                                  \
        BW_VERIFY_OPTS_VERSION, NULL, 0, NULL, NULL, NULL, NULL, NULL                                                  \
    }

/** What a verification found. Release with bw_verify_result_release(). */
typedef struct bw_verify_result {
    int signature_ok; /**< a signature verified with keys[key_index] */
    size_t key_index;
    bw_manifest *signed_manifest; /**< the verified statement's manifest (NULL before the signature verified) */
    bw_manifest *actual;          /**< the manifest of the path now */
    bw_manifest_diff diff;        /**< added, removed, modified files */
} bw_verify_result;

BW_API void bw_verify_result_release(bw_verify_result *r);

/**
 * Verify `bundle` (n bytes, `name` labels messages) against `keys`, then the
 * content of `path` against the signed manifest.
 * @return BW_OK: signed by one of the keys and every file matches.
 *         BW_EVERIFY: no signature verifies (res->signature_ok 0), or the
 *         statement's payload type is not in-toto, or files differ (res->diff
 *         lists them, the message counts them).
 *         BW_EFORMAT / BW_EUNSUPPORTED: a malformed bundle or statement.
 *         BW_ENOTFOUND, BW_EIO, BW_ECHANGED, BW_ELOOP: reading path.
 */
BW_API bw_status bw_verify_path(const char *path, const void *bundle, size_t n, const char *name,
                                const bw_key *const *keys, size_t nkeys, const bw_verify_opts *opts,
                                bw_verify_result *res, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
