/*
 * bw_validate.h - data contracts: expectation suites run over a dataset.
 *
 * A suite (bw_suite) is a list of expectations in Great Expectations' model:
 * each has a type (the GE name, e.g. "expect_column_values_to_be_between"),
 * keyword arguments (a JSON object: column, min_value, mostly, ...) and an
 * optional meta object. Suites come from bulwark's YAML format or from a
 * Great Expectations 1.x (or 0.x) suite JSON file; docs/validate.md
 * specifies both and lists every supported expectation.
 *
 * bw_validate_run() streams a dataset once, feeding every batch to every
 * expectation, and returns one bw_expect_result per expectation in suite
 * order. Semantics follow Great Expectations: per-value expectations skip
 * nulls, `mostly` (default 1) is the fraction of non-null values that must
 * pass, regexes search (not full-match), lengths count code points.
 * A value that did not fit its column's type (counted in the column's nbad
 * by the reader) is null for every expectation but "of type", which counts
 * it as unexpected.
 *
 * The reports (text, JSON, JUnit XML, SARIF 2.1.0, HTML) render a bw_vrun.
 * Unexpected values are sampled (at most `sample_max` per expectation) and
 * cut to `value_max` bytes; `redact` replaces them with their length.
 *
 * Ownership: suites and runs belong to the caller (free with bw_suite_free
 * and bw_vrun_free). A run borrows nothing from the suite after it returns.
 */
#ifndef BULWARK_BW_VALIDATE_H
#define BULWARK_BW_VALIDATE_H

#include "bw_batch.h"
#include "bw_buf.h"
#include "bw_common.h"
#include "bw_dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- suites ------------------------------------------------------------ */

typedef struct bw_suite bw_suite;

/** Largest suite file read (bytes) and most expectations in one suite. */
#define BW_SUITE_MAX_BYTES ((size_t)16 << 20)
#define BW_SUITE_MAX_EXPECTATIONS 100000

/**
 * Read a suite file: YAML (bulwark's format) or JSON (a Great Expectations
 * suite, or bulwark's format written as JSON), told apart by content.
 * Unknown expectation types, missing or ill-typed arguments and bad regexes
 * are BW_EFORMAT naming the file, line and column (YAML) or the expectation's
 * index (JSON).
 */
BW_API bw_status bw_suite_load(const char *path, bw_suite **out, bw_error *err) BW_NODISCARD;
/** bw_suite_load over `n` bytes at `text`; `name` names the source in messages. */
BW_API bw_status bw_suite_parse(const char *text, size_t n, const char *name, bw_suite **out,
                                bw_error *err) BW_NODISCARD;
BW_API void bw_suite_free(bw_suite *s);

BW_API const char *bw_suite_name(const bw_suite *s);
BW_API size_t bw_suite_count(const bw_suite *s);
/** Expectation i's GE type name. */
BW_API const char *bw_suite_type(const bw_suite *s, size_t i);

/**
 * Reader options the suite implies: the delimiter, header and null
 * spellings of its `data:` section, and type overrides for the columns its
 * `columns:` schema types. `o` is filled from its current contents (callers
 * start from BW_DATA_OPTS_INIT and may override afterwards); the arrays it
 * points to belong to the suite.
 */
BW_API void bw_suite_data_opts(const bw_suite *s, bw_data_opts *o);

/** The format the suite's `data: {format: ...}` names (csv and tsv: BW_FMT_CSV), BW_FMT_AUTO when it names none. */
BW_API bw_data_format bw_suite_data_format(const bw_suite *s);

/**
 * The columns whose values the suite reads: the `column`, `column_A`,
 * `column_B` and `column_list` arguments of its expectations (the table-level
 * ones that look only at names and counts read none) and the columns of its
 * schema, each once, in order of first use. For bw_data_opts.columns, so a
 * reader converts nothing else. *names is allocated (free it with bw_free;
 * NULL when *n is 0), the strings belong to the suite.
 */
BW_API bw_status bw_suite_columns_used(const bw_suite *s, const char ***names, size_t *n) BW_NODISCARD;

/** Every expectation type the engine implements, NULL-terminated (GE names). */
BW_API const char *const *bw_expectation_types(void);

/* ---- running ----------------------------------------------------------- */

typedef struct bw_validate_opts {
    int version;       /**< BW_VALIDATE_OPTS_VERSION */
    size_t sample_max; /**< unexpected values kept per expectation; 0: 20 */
    size_t value_max;  /**< bytes kept of one sampled value; 0: 200 */
    int redact;        /**< 1: samples keep row numbers but not values */
    /** Reference data for distribution expectations (KL divergence): a path, or NULL. */
    const char *reference;
    /**
     * Bytes one exact uniqueness check (values unique, compound columns
     * unique) may keep in memory; past it the check goes on in temporary
     * files with the same results. 0: 64 MiB.
     */
    size_t unique_memory;
    /** Where those temporary files go (created unlinked); NULL: $TMPDIR, else /tmp. */
    const char *temp_dir;
} bw_validate_opts;

#define BW_VALIDATE_OPTS_VERSION 1
#define BW_VALIDATE_OPTS_INIT                                                                                          \
    {                                                                                                                  \
        .version = BW_VALIDATE_OPTS_VERSION                                                                            \
    }

typedef struct bw_unexpected {
    uint64_t row;  /**< 0-based data row (the reader's bw_batch.row0 + i) */
    char *value;   /**< the value as text, cut to value_max bytes (NULL when redacted) */
    size_t len;    /**< the value's full length in bytes */
    int truncated; /**< value holds only its first value_max bytes */
    int null;      /**< the value was null (value NULL, len 0): expect_column_values_to_not_be_null */
} bw_unexpected;

typedef struct bw_expect_result {
    const char *type;    /**< GE name */
    char *kwargs_json;   /**< the arguments as compact JSON (for reports) */
    char *column;        /**< the column (or the first of several), NULL for table expectations */
    char *label;         /**< short human name, e.g. "age values between 0 and 120" */
    int success;         /**< 1 passed, 0 failed */
    char *error;         /**< the expectation could not be evaluated (e.g. a missing column): it failed */
    int severity;        /**< meta.severity: 0 error (default), 1 warning (reported, not failed) */
    char *observed_json; /**< observed_value as JSON (a number, string, list ...) or NULL */
    char *details_json;  /**< GE's result.details as a JSON object (partitions, mismatches, bounds) or NULL */
    uint64_t element_count;
    uint64_t missing_count;
    uint64_t unexpected_count;
    double unexpected_percent;            /**< of element_count, 0..100 */
    double unexpected_percent_nonmissing; /**< of element_count - missing_count */
    double missing_percent;
    int per_value; /**< a per-value (map) expectation: the counts above mean something */
    size_t nsamples;
    bw_unexpected *samples; /**< first unexpected values in row order */
    unsigned line;          /**< where the expectation is in the suite file (1-based; 0 unknown) */
} bw_expect_result;

typedef struct bw_vrun {
    char *suite_name;
    char *data_name;
    size_t nresults;
    bw_expect_result *results; /**< suite order */
    uint64_t rows;             /**< data rows read */
    uint64_t bad_rows;         /**< malformed rows skipped by the reader */
    size_t evaluated, successful, failed, warnings;
    int success; /**< every expectation of severity error passed */
    double seconds;
} bw_vrun;

/**
 * Run every expectation of `s` over the rows of `d` (read from where it is
 * to its end). Expectations whose column is missing fail with an error; they
 * do not stop the run. BW_EFORMAT / BW_EIO from the reader stop it.
 */
BW_API bw_status bw_validate_run(const bw_suite *s, bw_dataset *d, const char *data_name, const bw_validate_opts *o,
                                 bw_vrun **out, bw_error *err) BW_NODISCARD;
BW_API void bw_vrun_free(bw_vrun *r);

/* ---- reports ----------------------------------------------------------- */

typedef enum bw_vreport_format {
    BW_VREPORT_TEXT = 0,
    BW_VREPORT_JSON,
    BW_VREPORT_JUNIT,
    BW_VREPORT_SARIF,
    BW_VREPORT_HTML,
} bw_vreport_format;

/** "text", "json", "junit", "sarif", "html". */
BW_API bw_status bw_vreport_format_parse(const char *s, bw_vreport_format *out) BW_NODISCARD;

typedef struct bw_vreport_opts {
    int color;              /**< text: ANSI colours */
    int verbose;            /**< text: list passing expectations too */
    const char *suite_path; /**< SARIF: artifact location of the suite */
    const char *tool_version;
} bw_vreport_opts;

/** Append the report of `r` in format `f` to `out`. */
BW_API bw_status bw_vreport_write(const bw_vrun *r, bw_vreport_format f, const bw_vreport_opts *o,
                                  bw_buf *out) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
