/*
 * bw_report.h - findings and the report of one run, and its writers.
 *
 * Every scanner and check speaks this model: a finding has a rule id, a
 * severity, a location, a message, evidence that is already redacted, and a
 * stable fingerprint used by baselines and suppressions. A report owns its
 * findings (copied in by bw_report_add), the rules they refer to, and the
 * inputs that could not be read. Writers render a report as text for people,
 * JSON for programs, or SARIF 2.1.0 for code-scanning UIs.
 */
#ifndef BULWARK_BW_REPORT_H
#define BULWARK_BW_REPORT_H

#include "bw_buf.h"
#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_severity {
    BW_SEV_INFO = 0,
    BW_SEV_LOW = 1,
    BW_SEV_MEDIUM = 2,
    BW_SEV_HIGH = 3,
    BW_SEV_CRITICAL = 4,
} bw_severity;

/** "info", "low", "medium", "high", "critical". */
BW_API const char *bw_severity_name(bw_severity s);
/** Parse a severity name (case-insensitive). BW_EINVAL if unknown. */
BW_API bw_status bw_severity_parse(const char *name, bw_severity *out) BW_NODISCARD;

/** Where a finding is. Unknown numbers are 0 (lines, columns), BW_NO_OFFSET (offset) or -1 (cell). */
typedef struct bw_location {
    const char *path;   /**< file path as the user named it */
    const char *member; /**< path inside a container: "inner.zip!archive/data.pkl"; NULL if none */
    uint32_t line;      /**< 1-based */
    uint32_t column;    /**< 1-based, in bytes */
    uint32_t end_line;
    uint32_t end_column;
    uint64_t offset; /**< byte offset in the file or member */
    int32_t cell;    /**< notebook cell index, 0-based; -1 if none */
} bw_location;

#define BW_LOCATION_INIT                                                                                               \
    {                                                                                                                  \
        NULL, NULL, 0, 0, 0, 0, BW_NO_OFFSET, -1                                                                       \
    }

typedef struct bw_finding {
    const char *rule_id; /**< "pickle-global-os-system" */
    bw_severity severity;
    bw_location loc;
    const char *message;     /**< one sentence for people */
    const char *evidence;    /**< already redacted; NULL if none */
    const char *fingerprint; /**< hex; NULL lets bw_report_add derive one from rule, path, member and message */
} bw_finding;

#define BW_FINDING_INIT                                                                                                \
    {                                                                                                                  \
        NULL, BW_SEV_INFO, BW_LOCATION_INIT, NULL, NULL, NULL                                                          \
    }

/** Metadata of a rule, for SARIF's tool.driver.rules and text help. */
typedef struct bw_rule {
    const char *id;
    const char *name; /**< PascalCase name, e.g. "PickleGlobalOsSystem" */
    const char *short_desc;
    const char *help;     /**< longer text: why it matters, what to do */
    const char *help_uri; /**< NULL if none */
    bw_severity default_severity;
} bw_rule;

typedef struct bw_report bw_report;

/** A new empty report for `tool` (e.g. "bulwark scan"); strings are copied. */
BW_API bw_status bw_report_new(bw_report **out, const char *command, bw_error *err) BW_NODISCARD;
BW_API void bw_report_free(bw_report *r);

/** Register a rule (copied). Adding an id twice keeps the first. */
BW_API bw_status bw_report_add_rule(bw_report *r, const bw_rule *rule) BW_NODISCARD;
/** Copy a finding into the report. Thread-safe with respect to other adds. */
BW_API bw_status bw_report_add(bw_report *r, const bw_finding *f) BW_NODISCARD;
/** Record an input that could not be processed (it makes the run exit 2). Thread-safe. */
BW_API bw_status bw_report_add_error(bw_report *r, const char *path, const bw_error *e) BW_NODISCARD;
/**
 * Record a property of one input, e.g. ("model.pt", "verdict", "unsafe"):
 * the JSON writer lists them under "artifacts", the SARIF writer under
 * run.artifacts[].properties; text output leaves them to the caller.
 * Strings are copied. Thread-safe.
 */
BW_API bw_status bw_report_add_artifact(bw_report *r, const char *path, const char *key,
                                        const char *value) BW_NODISCARD;
/** Count one input as scanned (for the summary). Thread-safe. */
BW_API void bw_report_count_input(bw_report *r, uint64_t bytes);

BW_API size_t bw_report_count(const bw_report *r);
/** The i-th finding (borrowed, valid until the report changes or is freed). */
BW_API const bw_finding *bw_report_get(const bw_report *r, size_t i);
BW_API size_t bw_report_error_count(const bw_report *r);
/** Findings at or above `sev`. */
BW_API size_t bw_report_count_at_least(const bw_report *r, bw_severity sev);
/** Sort findings by path, member, line, column, offset, rule, for stable output. */
BW_API void bw_report_sort(bw_report *r);

/**
 * A stable fingerprint: hex SHA-256 of the rule id, the path, the member and
 * `content` (for a secret, the raw matched bytes, so the fingerprint survives
 * line moves yet reveals nothing). Writes 65 bytes including the NUL.
 */
BW_API void bw_fingerprint(const char *rule_id, const char *path, const char *member, const void *content, size_t n,
                           char out[65]);

/**
 * Redact a secret for display: keeps at most `keep` leading characters
 * (never more than a quarter of the value) and replaces the rest with
 * '*' up to 8 of them, e.g. "AKIA********". The result is NUL-terminated
 * in `out` of `cap` bytes.
 */
BW_API void bw_redact(const char *secret, size_t n, size_t keep, char *out, size_t cap);

typedef enum bw_format {
    BW_FORMAT_TEXT = 0,
    BW_FORMAT_JSON = 1,
    BW_FORMAT_SARIF = 2,
} bw_format;

BW_API bw_status bw_format_parse(const char *name, bw_format *out) BW_NODISCARD;

typedef struct bw_write_opts {
    unsigned version;         /**< BW_WRITE_OPTS_VERSION */
    int color;                /**< text: ANSI colour */
    int verbose;              /**< text: show fingerprints and evidence */
    const char *tool_version; /**< NULL = bw_version() */
    const char *base_dir;     /**< SARIF: paths are made relative to it (originalUriBaseIds SRCROOT); NULL = as given */
} bw_write_opts;

#define BW_WRITE_OPTS_VERSION 1
#define BW_WRITE_OPTS_INIT                                                                                             \
    {                                                                                                                  \
        BW_WRITE_OPTS_VERSION, 0, 0, NULL, NULL                                                                        \
    }

/** Render the report in `fmt` and append it to `out`. */
BW_API bw_status bw_report_write(const bw_report *r, bw_format fmt, const bw_write_opts *opts,
                                 bw_buf *out) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
