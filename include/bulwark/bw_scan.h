/*
 * bw_scan.h - scanning model files for code-execution payloads.
 *
 * A model file is read the way its loader would read it, by content, never by
 * extension: pickle streams (and PyTorch, joblib, NumPy containers that hold
 * them), zip and tar archives (nested, with limits), safetensors, GGUF, ONNX.
 * Nothing scanned is ever executed or deserialised with a general loader.
 * Every input ends in one definite verdict; findings go into a bw_report.
 */
#ifndef BULWARK_BW_SCAN_H
#define BULWARK_BW_SCAN_H

#include "bw_common.h"
#include "bw_pool.h"
#include "bw_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Verdicts, ordered: a file's verdict is the worst of its parts. */
typedef enum bw_verdict {
    BW_VERDICT_SAFE = 0,      /**< every global and call is on the allowlist */
    BW_VERDICT_REVIEW = 1,    /**< something not on either list: fails under --strict */
    BW_VERDICT_MALFORMED = 2, /**< the file is broken or lies about itself: never safe */
    BW_VERDICT_UNSAFE = 3,    /**< a known-dangerous global or a structural red flag */
} bw_verdict;

/** "safe", "review", "malformed", "unsafe". */
BW_API const char *bw_verdict_name(bw_verdict v);

typedef struct bw_scan_opts {
    unsigned version;               /**< BW_SCAN_OPTS_VERSION */
    int strict;                     /**< review counts as a failure (the caller decides exit codes) */
    unsigned max_depth;             /**< nested containers; 0 = default (8) */
    uint64_t max_member_size;       /**< largest decompressed member read; 0 = default (4 GiB) */
    uint64_t max_total_size;        /**< decompressed bytes per input file; 0 = default (16 GiB) */
    uint32_t max_ratio;             /**< decompressed : compressed; 0 = default (200) */
    const char *const *allow_files; /**< extra allowlist packs (paths); borrowed */
    size_t n_allow_files;
} bw_scan_opts;

#define BW_SCAN_OPTS_VERSION 1
#define BW_SCAN_OPTS_INIT                                                                                              \
    {                                                                                                                  \
        BW_SCAN_OPTS_VERSION, 0, 0, 0, 0, 0, NULL, 0                                                                   \
    }

/**
 * A scanner: options resolved and the allowlist packs loaded once, for many
 * files. Safe to use from several threads at once (it is read-only).
 * @return BW_OK; BW_EFORMAT / BW_ENOTFOUND / BW_EIO for a bad or missing
 *         pack (the message names the file and line); BW_ENOMEM
 */
typedef struct bw_scanner bw_scanner;
BW_API bw_status bw_scanner_new(bw_scanner **out, const bw_scan_opts *opts, bw_error *err) BW_NODISCARD;
BW_API void bw_scanner_free(bw_scanner *sc);
/** Scan a buffer named `name`; findings go to `report`, the verdict to *verdict. */
BW_API bw_status bw_scanner_buffer(const bw_scanner *sc, bw_report *report, const char *name, const void *p, size_t n,
                                   bw_verdict *verdict, bw_error *err) BW_NODISCARD;
/** Scan a file (opened safely, mapped or read). BW_EIO / BW_ENOTFOUND if unreadable. */
BW_API bw_status bw_scanner_file(const bw_scanner *sc, bw_report *report, const char *path, bw_verdict *verdict,
                                 bw_error *err) BW_NODISCARD;

/**
 * One-shot forms of the above (they load the packs on every call).
 * Scan one buffer named `name` (used in findings). Findings are added to
 * `report`; the verdict is returned in *verdict.
 * @return BW_OK (whatever the verdict), BW_EINVAL, BW_ENOMEM; a malformed
 *         file is a verdict, not an error
 */
BW_API bw_status bw_scan_model_buffer(bw_report *report, const char *name, const void *p, size_t n,
                                      const bw_scan_opts *opts, bw_verdict *verdict, bw_error *err) BW_NODISCARD;

/** Scan one file (opened safely, mapped or read). BW_EIO / BW_ENOTFOUND if unreadable. */
BW_API bw_status bw_scan_model_file(bw_report *report, const char *path, const bw_scan_opts *opts, bw_verdict *verdict,
                                    bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
