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
    unsigned version;            /**< BW_SCAN_OPTS_VERSION */
    int strict;                  /**< review counts as a failure (the caller decides exit codes) */
    unsigned max_depth;          /**< nested containers; 0 = default (8) */
    uint64_t max_member_size;    /**< largest decompressed member read; 0 = default (4 GiB) */
    uint64_t max_total_size;     /**< decompressed bytes per input file; 0 = default (16 GiB) */
    uint32_t max_ratio;          /**< decompressed : compressed; 0 = default (200) */
    const char *const *allow_files; /**< extra allowlist packs (paths); borrowed */
    size_t n_allow_files;
} bw_scan_opts;

#define BW_SCAN_OPTS_VERSION 1
#define BW_SCAN_OPTS_INIT { BW_SCAN_OPTS_VERSION, 0, 0, 0, 0, 0, NULL, 0 }

/**
 * Scan one buffer named `name` (used in findings). Findings are added to
 * `report`; the verdict is returned in *verdict.
 * @return BW_OK (whatever the verdict), BW_EINVAL, BW_ENOMEM; a malformed
 *         file is a verdict, not an error
 */
BW_API bw_status bw_scan_model_buffer(bw_report *report, const char *name, const void *p, size_t n,
                                      const bw_scan_opts *opts, bw_verdict *verdict, bw_error *err) BW_NODISCARD;

/** Scan one file (opened safely, mapped or read). BW_EIO / BW_ENOTFOUND if unreadable. */
BW_API bw_status bw_scan_model_file(bw_report *report, const char *path, const bw_scan_opts *opts,
                                    bw_verdict *verdict, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
