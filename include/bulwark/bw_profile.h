/*
 * bw_profile.h - column profiles of a dataset: counts, ranges, moments,
 * distinct values, quantiles, top values, string lengths and patterns.
 *
 * A profile is built from column batches (any reader, bw_batch.h) in one
 * pass, and is MERGEABLE: profiles of shards merged together report what
 * one pass over all the rows reports. Counts, nulls, min, max, string
 * lengths, pattern counts and the distinct-count sketch (bw_hll) merge
 * exactly; mean and standard deviation merge with Chan et al.'s pairwise
 * update (equal up to floating-point rounding); quantiles (bw_kll) and top
 * values (bw_topk) merge within their documented error (exactly while the
 * top-value sketch is exact). docs/profile.md has the bounds.
 *
 * Columns are matched by name. A column one side lacks is null in that
 * side's rows. Types merge by widening: null + T = T, int64 + float64 =
 * float64, date + timestamp = timestamp; any other pair (a shard that read
 * a column as int64, another as string) becomes string: numeric moments and
 * quantiles are dropped, the top values of the non-string side are kept as
 * their text, and the distinct count is the union of both sketches (values
 * hashed as numbers on one side and as text on the other may count twice).
 *
 * A profile serialises to JSON (docs/profile.md has the schema): the
 * figures for people and programs plus each column's sketches (base64 of
 * their BWSK bytes, bw_sketch.h) and accumulators, so a profile read back
 * merges exactly as the original would. Reading is parsing untrusted input:
 * every field used is checked (types, ranges, consistency, sketches through
 * their own readers); failures are BW_EFORMAT with the byte offset of a
 * syntax error or the path of the bad field in the message.
 *
 * Ownership: a profile returned through `**out` belongs to the caller, who
 * frees it with bw_profile_free(). Batches and inputs are borrowed for the
 * call. A profile may be changed by one thread at a time; profiles of
 * different threads are independent (merge them at the end).
 */
#ifndef BULWARK_BW_PROFILE_H
#define BULWARK_BW_PROFILE_H

#include "bw_batch.h"
#include "bw_buf.h"
#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_profile bw_profile;

typedef struct bw_profile_opts {
    int version;            /**< BW_PROFILE_OPTS_VERSION */
    unsigned hll_p;         /**< HyperLogLog precision; 0: 18 (0.20% standard error, exact to 32768 values) */
    unsigned kll_k;         /**< KLL accuracy; 0: 200 (rank error <= 1.65%) */
    unsigned topk_counters; /**< SpaceSaving counters; 0: 128 */
} bw_profile_opts;

#define BW_PROFILE_OPTS_VERSION 1
#define BW_PROFILE_OPTS_INIT                                                                                           \
    {                                                                                                                  \
        .version = BW_PROFILE_OPTS_VERSION                                                                             \
    }

/** Pattern classes counted over the non-null values of string columns. */
typedef enum bw_pattern {
    BW_PAT_BLANK = 0, /**< empty or only whitespace */
    BW_PAT_NUMERIC,   /**< a number written as text (bw_parse_float64, spaces around allowed) */
    BW_PAT_DATE,      /**< a date or timestamp (bw_parse_date / bw_parse_timestamp) */
    BW_PAT_UUID,      /**< 8-4-4-4-12 hexadecimal digits */
    BW_PAT_EMAIL,     /**< local@domain.tld, no spaces */
    BW_PAT_URL,       /**< http://, https://, ftp:// or s3:// and a host */
    BW_PAT_IPV4,      /**< four dotted decimals 0-255 */
    BW_PAT_PHONE,     /**< 7 to 15 digits with + ( ) - . or spaces, not a plain number */
    BW_PAT_PADDED,    /**< leading or trailing whitespace */
    BW_PAT_CONTROL,   /**< a control character (below U+0020 other than tab, or U+007F) */
    BW_PAT_FORMULA,   /**< starts with = + - @ and is not a number: a spreadsheet would run it */
    BW_PAT_COUNT
} bw_pattern;

/** "blank", "numeric", "date", "uuid", "email", "url", "ipv4", "phone", "padded", "control", "formula". */
BW_API const char *bw_pattern_name(bw_pattern p);

/** The quantiles every numeric and temporal column reports: p01 p05 p25 p50 p75 p95 p99. */
#define BW_PROFILE_NQUANTILES 7
BW_API extern const double bw_profile_quantile_ranks[BW_PROFILE_NQUANTILES];

/**
 * One column's figures, as reported. Values are filled according to `type`:
 * numbers (int64, float64) in the double fields and, for int64, exactly in
 * imin/imax; dates and timestamps as microseconds since 1970-01-01 in
 * imin/imax and in the doubles (mean, quantiles); bool as n_true.
 */
typedef struct bw_profile_column {
    const char *name; /**< borrowed from the profile */
    bw_dtype type;    /**< the widest type seen (BW_DT_NULL: only nulls) */
    uint64_t count;   /**< rows */
    uint64_t nulls;   /**< rows without a value (bad values included) */
    uint64_t bad;     /**< values that did not fit the column's type (read as null) */
    uint64_t distinct;
    int distinct_exact;  /**< 1: the distinct count is exact (below the sketch's limit) */
    int has_range;       /**< min/max/mean/quantiles are set (a numeric or temporal value was seen) */
    int64_t imin, imax;  /**< int64, date, timestamp (microseconds) */
    double min, max;     /**< every numeric/temporal type (NaN excluded; may be infinite) */
    double mean, stddev; /**< over the finite values (sample stddev, n - 1; 0 for one value) */
    uint64_t n_finite, n_nan, n_inf;
    double quantiles[BW_PROFILE_NQUANTILES];
    uint64_t n_true; /**< bool */
    int has_lengths; /**< string lengths in code points */
    uint64_t len_min, len_max;
    double len_mean;
    uint64_t patterns[BW_PAT_COUNT]; /**< string columns */
    int mixed;                       /**< shards disagreed on the type beyond widening (see above) */
} bw_profile_column;

/** One of the most frequent values, as text (dates as YYYY-MM-DD and so on, as bw_col_format). */
typedef struct bw_profile_top {
    char *value; /**< NUL-terminated, owned by the array (bw_profile_top_free) */
    size_t len;
    uint64_t count; /**< an upper bound; exact when err is 0 */
    uint64_t err;
    int truncated; /**< the value is the first 256 bytes of longer ones */
} bw_profile_top;

/** A new, empty profile (opts NULL: the defaults). @return BW_OK, BW_EINVAL, BW_ENOMEM */
BW_API bw_status bw_profile_new(bw_profile **out, const bw_profile_opts *opts, bw_error *err) BW_NODISCARD;
BW_API void bw_profile_free(bw_profile *p);

/**
 * Add a batch's rows. Columns are matched by name (new names are added; a
 * known column missing from the batch is null in its rows). A column whose
 * type differs from the profile's merges as described above.
 * @return BW_OK, BW_ENOMEM, BW_ELIMIT (counts past 2^64)
 */
BW_API bw_status bw_profile_add_batch(bw_profile *p, const bw_batch *b, bw_error *err) BW_NODISCARD;
/**
 * Columns (by name) whose distinct count is already an estimate in the
 * profile this one will be merged into: their sketches skip the exact phase
 * (bw_hll_make_dense), which costs time and changes nothing once merged.
 * Call before the first batch. @return BW_OK, BW_ENOMEM
 */
BW_API bw_status bw_profile_expect_many(bw_profile *p, const char *const *names, size_t n, bw_error *err) BW_NODISCARD;
/** Count the malformed rows a reader skipped (bw_data_stats.bad_rows). */
BW_API void bw_profile_add_bad_rows(bw_profile *p, uint64_t n);

/**
 * Add everything in `src` to `dst` (src unchanged; it may not be dst). The
 * sketch parameters must match (BW_EINVAL otherwise, e.g. different kll k);
 * HLL precisions may differ (the smaller wins). On failure dst is left
 * partly merged and should be freed.
 */
BW_API bw_status bw_profile_merge(bw_profile *dst, const bw_profile *src, bw_error *err) BW_NODISCARD;

BW_API uint64_t bw_profile_rows(const bw_profile *p);
BW_API uint64_t bw_profile_bad_rows(const bw_profile *p);
BW_API size_t bw_profile_ncols(const bw_profile *p);
/** The figures of column i (< bw_profile_ncols). @return BW_OK, BW_EINVAL, BW_ENOMEM */
BW_API bw_status bw_profile_column_get(const bw_profile *p, size_t i, bw_profile_column *out,
                                       bw_error *err) BW_NODISCARD;
/**
 * The up to `max` most frequent values of column i, most frequent first,
 * into a new array *out of *n items (free with bw_profile_top_free).
 */
BW_API bw_status bw_profile_top_values(const bw_profile *p, size_t i, size_t max, bw_profile_top **out, size_t *n,
                                       bw_error *err) BW_NODISCARD;
BW_API void bw_profile_top_free(bw_profile_top *v, size_t n);
/** 1 while column i's top values are exact counts of every distinct value (no eviction). */
BW_API int bw_profile_top_exact(const bw_profile *p, size_t i);

/** JSON flags. */
enum {
    BW_PROFILE_JSON_PRETTY = 1u << 0,   /**< indented, one member a line */
    BW_PROFILE_JSON_NO_STATE = 1u << 1, /**< leave out the sketches (smaller, but cannot be merged) */
};

/**
 * Append the profile as one JSON document to `out`: `top` values a column
 * (0: 10), `source` (may be NULL) recorded as the input's name.
 */
BW_API bw_status bw_profile_write_json(const bw_profile *p, const char *source, size_t top, unsigned flags, bw_buf *out,
                                       bw_error *err) BW_NODISCARD;

/**
 * Read a profile written by bw_profile_write_json (with its state).
 * @return BW_OK, BW_EFORMAT (malformed, with the offset or the field's path),
 *         BW_ELIMIT (over 100000 columns or 256 MiB), BW_ENOMEM
 */
BW_API bw_status bw_profile_read_json(bw_profile **out, const void *json, size_t n, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
