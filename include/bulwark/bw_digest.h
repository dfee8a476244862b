/*
 * bw_digest.h - content digests of files and directories, manifests, checks.
 *
 * SHA-256 (default) and BLAKE2b-512 come from OpenSSL, which uses the CPU's
 * SHA extensions. A directory is named by its manifest: every file under it
 * (relative path, size, digest), sorted by path components, in the per-file
 * form of the OpenSSF model-signing format (OMS v1.0), and the digest over
 * the concatenated raw file digests as the directory's own digest (the
 * subject digest model_signing puts in its statement). In shard mode every
 * fixed-size byte range of each file is hashed on its own ("name:start:end",
 * algorithm "sha256-sharded-SIZE"), which spreads one large file over all
 * cores; empty files have no shards.
 *
 * A manifest serialises as an in-toto Statement v1 whose predicate is the
 * OMS v1.0 predicate, each resource carrying its size as well. The parser
 * reads that, a model_signing / Sigstore bundle (the statement inside its
 * DSSE envelope, not verified here) and sha256sum / b2sum check files.
 */
#ifndef BULWARK_BW_DIGEST_H
#define BULWARK_BW_DIGEST_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_json.h"
#include "bw_log.h"
#include "bw_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_algo {
    BW_ALGO_SHA256 = 0,
    BW_ALGO_BLAKE2B = 1, /**< BLAKE2b-512, what b2sum prints */
} bw_algo;

#define BW_DIGEST_MAX 64
#define BW_DIGEST_HEX_MAX (2 * BW_DIGEST_MAX + 1)

typedef struct bw_digest {
    bw_algo algo;
    uint32_t len; /**< bytes used in `bytes` */
    uint8_t bytes[BW_DIGEST_MAX];
} bw_digest;

/** "sha256", "blake2b". */
BW_API const char *bw_algo_name(bw_algo a);
/** Accepts "sha256", "sha-256", "blake2b", "blake2b-512", "blake2b512". */
BW_API bw_status bw_algo_parse(const char *name, bw_algo *out) BW_NODISCARD;
BW_API size_t bw_algo_size(bw_algo a);

BW_API bw_status bw_digest_bytes(bw_algo a, const void *p, size_t n, bw_digest *out) BW_NODISCARD;
/** Lowercase hex, NUL-terminated. */
BW_API void bw_digest_hex(const bw_digest *d, char out[BW_DIGEST_HEX_MAX]);
/** Parse exactly 2*size hex digits (either case). */
BW_API bw_status bw_digest_from_hex(bw_algo a, const char *hex, size_t n, bw_digest *out) BW_NODISCARD;
/** Constant-time equality of algorithm, length and bytes. */
BW_API int bw_digest_equal(const bw_digest *a, const bw_digest *b);

/** An incremental hasher. */
typedef struct bw_hasher bw_hasher;
BW_API bw_status bw_hasher_new(bw_hasher **out, bw_algo a, bw_error *err) BW_NODISCARD;
BW_API bw_status bw_hasher_update(bw_hasher *h, const void *p, size_t n) BW_NODISCARD;
/** Finish into `out` and reset the hasher for reuse. */
BW_API bw_status bw_hasher_final(bw_hasher *h, bw_digest *out) BW_NODISCARD;
BW_API void bw_hasher_free(bw_hasher *h);

/**
 * Digest a whole file (or standard input with "-"). The file is opened with
 * bw_file_open (regular files only, no symlink as last component), read by
 * mapping or streaming, and checked unchanged afterwards (BW_ECHANGED).
 * @param size  receives the byte count; may be NULL
 */
BW_API bw_status bw_digest_file(const char *path, bw_algo a, bw_digest *out, uint64_t *size,
                                bw_error *err) BW_NODISCARD;

typedef struct bw_manifest_entry {
    char *name;     /**< path relative to the root, '/'-separated; "." for a single file */
    uint64_t size;  /**< file size; BW_SIZE_UNKNOWN when the source did not say */
    uint64_t start; /**< shard mode: byte range [start, end) of the file; 0, 0 otherwise */
    uint64_t end;
    bw_digest digest;
} bw_manifest_entry;

#define BW_SIZE_UNKNOWN UINT64_MAX

typedef enum bw_manifest_kind {
    BW_MANIFEST_STATEMENT = 0, /**< in-toto Statement with the OMS predicate (ours or model_signing's) */
    BW_MANIFEST_SUMS = 1,      /**< sha256sum / b2sum lines: names are paths as written */
} bw_manifest_kind;

/** A manifest. Read-only for callers; free with bw_manifest_free(). */
typedef struct bw_manifest {
    bw_manifest_kind kind;
    char *name; /**< subject name: the base name of the model directory or file */
    bw_algo algo;
    uint64_t shard_size; /**< 0 in files mode */
    char **ignore_paths; /**< recorded ignore patterns */
    size_t n_ignore;
    bw_manifest_entry *entries; /**< sorted by name components, then start */
    size_t n;
    bw_digest root;       /**< digest over the raw entry digests, in order */
    uint64_t total_bytes; /**< sum of file sizes (each file once) */
    int allow_symlinks;   /**< OMS allow_symlinks: true when a file was reached through a link */
    size_t n_files;       /**< distinct files */
} bw_manifest;

typedef struct bw_manifest_opts {
    unsigned version; /**< BW_MANIFEST_OPTS_VERSION */
    bw_algo algo;
    uint64_t shard_size;         /**< 0 = files mode; else bytes per shard */
    const char *const *excludes; /**< extra gitignore-syntax patterns; recorded in ignore_paths */
    size_t n_excludes;
    int no_default_ignores;  /**< do not skip .git, .gitattributes, .github, .gitignore at the top */
    bw_pool *pool;           /**< NULL: hash on the calling thread */
    bw_progress_fn progress; /**< bytes hashed of total; may be NULL */
    void *progress_ud;
} bw_manifest_opts;

#define BW_MANIFEST_OPTS_VERSION 1
#define BW_MANIFEST_OPTS_INIT                                                                                          \
    {                                                                                                                  \
        BW_MANIFEST_OPTS_VERSION, BW_ALGO_SHA256, 0, NULL, 0, 0, NULL, NULL, NULL                                      \
    }

/**
 * Build the manifest of a directory or a single file. Files are hashed in
 * parallel on `opts->pool`; each is checked unchanged after reading.
 * @return BW_OK, BW_ENOTFOUND, BW_EIO, BW_ECHANGED, BW_ELOOP, BW_ELIMIT, BW_ENOMEM
 */
BW_API bw_status bw_manifest_build(bw_manifest **out, const char *path, const bw_manifest_opts *opts,
                                   bw_error *err) BW_NODISCARD;
BW_API void bw_manifest_free(bw_manifest *m);

/**
 * Hash again the files a manifest names, as `sha256sum -c` does: each name
 * is a path relative to `base` (NULL: as written). Files that no longer
 * exist are absent from the result, so bw_manifest_compare reports them as
 * removed; any other failure to read is an error. Uses the manifest's
 * algorithm and shard size; `opts` supplies the pool and progress only.
 */
BW_API bw_status bw_manifest_rehash(bw_manifest **out, const bw_manifest *expected, const char *base,
                                    const bw_manifest_opts *opts, bw_error *err) BW_NODISCARD;

/** Put `prefix` + "/" in front of every entry name (for sums files written as "DIR/rel"). */
BW_API bw_status bw_manifest_prefix_names(bw_manifest *m, const char *prefix, bw_error *err) BW_NODISCARD;

/**
 * The patterns a manifest's recorded ignore paths stand for, usable as
 * bw_manifest_opts.excludes: a plain path becomes anchored at the root
 * ("/model.sig"), a glob stays as it is. Free with bw_free (one block).
 */
BW_API bw_status bw_manifest_excludes(const bw_manifest *m, char ***out, size_t *n, bw_error *err) BW_NODISCARD;

/**
 * Write the manifest as one JSON value (the statement object) into an open
 * JSON writer, for embedding in a larger document. Names that are not UTF-8
 * are written with U+FFFD (lossy, for display); use bw_manifest_write_json
 * for a manifest meant to be read back.
 */
BW_API void bw_manifest_json(const bw_manifest *m, bw_json *j);

/**
 * Append the manifest as an in-toto Statement v1 (OMS v1.0 predicate), pretty
 * JSON and a newline. BW_EUNSUPPORTED (with a logged warning naming it) when a
 * file name is not valid UTF-8 (JSON cannot carry it faithfully) or is not a
 * plain relative path (a sums file may list "../x"; a statement may not).
 */
BW_API bw_status bw_manifest_write_json(const bw_manifest *m, bw_buf *out) BW_NODISCARD;

/**
 * Parse a manifest: our statement, a model_signing statement or Sigstore
 * bundle (its DSSE payload; the signature is not checked here), or
 * sha256sum/b2sum lines. `source` names the input in messages.
 * @return BW_OK, BW_EFORMAT (with the offset and what was expected),
 *         BW_ELIMIT, BW_EUNSUPPORTED (an unknown predicate or algorithm), BW_ENOMEM
 */
BW_API bw_status bw_manifest_parse(bw_manifest **out, const void *data, size_t n, const char *source,
                                   bw_error *err) BW_NODISCARD;

typedef enum bw_change {
    BW_CHANGE_ADDED = 0,   /**< present now, absent from the manifest */
    BW_CHANGE_REMOVED = 1, /**< in the manifest, absent now */
    BW_CHANGE_MODIFIED = 2 /**< present in both, different content or size */
} bw_change;

typedef struct bw_manifest_change {
    bw_change kind;
    const char *name; /**< borrowed from one of the manifests */
} bw_manifest_change;

typedef struct bw_manifest_diff {
    bw_manifest_change *items; /**< sorted by name components */
    size_t n;
    size_t n_same; /**< files that matched */
} bw_manifest_diff;

/** Compare per file (all shards of a file compare as one). Both must use the same algorithm. */
BW_API bw_status bw_manifest_compare(const bw_manifest *expected, const bw_manifest *actual, bw_manifest_diff *out,
                                     bw_error *err) BW_NODISCARD;
BW_API void bw_manifest_diff_release(bw_manifest_diff *d);

#ifdef __cplusplus
}
#endif
#endif
