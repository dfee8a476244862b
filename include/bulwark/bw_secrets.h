/*
 * bw_secrets.h - finding leaked secrets and personal data.
 *
 * One multi-pattern pass (Hyperscan/Vectorscan) over raw bytes finds every
 * rule's candidates; PCRE2 confirms them and validators (checksums, Luhn,
 * IBAN mod 97, JWT and PEM decoding...) decide, so decoys and placeholders
 * are not reported. Files are read by structure: Jupyter notebooks by cell,
 * CSV/JSONL datasets by column (personal data summarised per column),
 * zip/tar/gzip members, binaries by offset, base64 values of Kubernetes
 * Secrets decoded. Evidence in findings is always redacted unless the caller
 * asks otherwise.
 */
#ifndef BULWARK_BW_SECRETS_H
#define BULWARK_BW_SECRETS_H

#include "bw_common.h"
#include "bw_report.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    BW_SECRETS_SECRET = 1, /**< credentials, keys, tokens */
    BW_SECRETS_PII = 2,    /**< personal data */
};

typedef struct bw_secrets_opts {
    unsigned version;              /**< BW_SECRETS_OPTS_VERSION */
    unsigned kinds;                /**< BW_SECRETS_SECRET | BW_SECRETS_PII; 0 = both */
    const char *const *rule_files; /**< custom rules in YAML (borrowed) */
    size_t n_rule_files;
    const char *cache_dir;                  /**< NULL: $BULWARK_CACHE_DIR, $XDG_CACHE_HOME/bulwark, ~/.cache/bulwark */
    int no_cache;                           /**< compile the rules every time */
    int show_secrets;                       /**< evidence holds the raw value (the CLI allows it on a TTY only) */
    int per_row;                            /**< datasets: a finding per cell instead of one per column and rule */
    unsigned max_depth;                     /**< nested archives; 0 = default (4) */
    uint64_t max_member_size;               /**< largest decompressed member; 0 = default (1 GiB) */
    const char *const *ignore_fingerprints; /**< findings to leave out (baseline, .bulwarkignore) */
    size_t n_ignore_fingerprints;
    int dedupe; /**< report each fingerprint once across all inputs of this scanner (git history) */
    /** Version 2. Datasets (CSV/TSV/JSONL) of many more rows: scan the header and about this many
     *  rows, in windows of consecutive rows spread evenly through the file (0: every row). */
    uint64_t sample_rows;
} bw_secrets_opts;

#define BW_SECRETS_OPTS_VERSION 2
#define BW_SECRETS_OPTS_INIT                                                                                           \
    {                                                                                                                  \
        BW_SECRETS_OPTS_VERSION, 0, NULL, 0, NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0                                        \
    }

/**
 * A scanner: rules loaded and compiled once (the compiled database is cached
 * on disk), for many files and threads.
 * @return BW_OK; BW_EFORMAT for a bad rule file (the message names the file
 *         and line), BW_EINVAL for a rule whose regex does not compile, BW_ENOMEM
 */
typedef struct bw_secrets bw_secrets;
BW_API bw_status bw_secrets_new(bw_secrets **out, const bw_secrets_opts *opts, bw_error *err) BW_NODISCARD;
BW_API void bw_secrets_free(bw_secrets *s);

/** One input to scan from memory. */
typedef struct bw_secrets_input {
    const char *name; /**< the path used in findings */
    const void *data;
    size_t len;
    const uint32_t *line_ranges; /**< NULL, or pairs [first, last] of 1-based lines: only findings there count */
    size_t n_line_ranges;        /**< number of pairs */
    const char *note;            /**< appended to every finding's message, e.g. "introduced in commit 1a2b3c4" */
} bw_secrets_input;

/** Scan one file (streamed in bounded memory; containers and notebooks by structure). Thread-safe. */
BW_API bw_status bw_secrets_scan_file(const bw_secrets *s, bw_report *report, const char *path,
                                      bw_error *err) BW_NODISCARD;
/** Scan bytes in memory. Thread-safe. */
BW_API bw_status bw_secrets_scan_input(const bw_secrets *s, bw_report *report, const bw_secrets_input *in,
                                       bw_error *err) BW_NODISCARD;

/** Where the compiled database came from: "cache" or "compiled" (for diagnostics). */
BW_API const char *bw_secrets_db_origin(const bw_secrets *s);

typedef struct bw_secrets_rule_info {
    const char *id;
    const char *provider;
    const char *description;
    const char *kind; /**< "secret" or "pii" */
    bw_severity severity;
    const char *regex;
    const char *validator; /**< "luhn", "iban", ... or NULL */
    const char *sample;    /**< a line the rule finds, or NULL */
    int custom;            /**< from a rule file */
} bw_secrets_rule_info;

BW_API size_t bw_secrets_rule_count(const bw_secrets *s);
BW_API bw_status bw_secrets_rule_get(const bw_secrets *s, size_t i, bw_secrets_rule_info *out) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
