/*
 * bw_batch.h - typed column batches: the one shape every data reader produces.
 *
 * The CSV, JSONL and Parquet readers all hand out rows as a bw_batch: up to
 * `batch_rows` rows, one bw_column per column, each a typed array with a
 * validity bitmap (Arrow-like: bit i of valid[i / 8], least significant bit
 * first, is set when row i has a value). The data engines (profile, validate)
 * read batches and never see the file format.
 *
 * Types: bool (one byte 0/1 per row), int64, float64, string (UTF-8 checked;
 * nrows + 1 offsets into one byte array), date (days since 1970-01-01) and
 * timestamp (microseconds since 1970-01-01T00:00:00, UTC when the input says
 * so, otherwise as written). BW_DT_NULL is a column with no value seen yet.
 *
 * Column types may WIDEN from one batch to the next, never narrow: int64 to
 * float64 and date to timestamp when a later value needs it (the type was
 * inferred from the first rows). A value that fits no widening of its
 * column's type (text in a numeric column) is null in the batch and counted
 * in the column's `nbad`; readers report it through bw_data_opts.on_bad.
 *
 * The cell parsers below are the ones the readers use, exported so that the
 * engines and tests agree with them on what "parseable as int64" means.
 */
#ifndef BULWARK_BW_BATCH_H
#define BULWARK_BW_BATCH_H

#include "bw_common.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_dtype {
    BW_DT_NULL = 0, /**< no value seen yet: every row is null */
    BW_DT_BOOL,
    BW_DT_INT64,
    BW_DT_FLOAT64,
    BW_DT_STRING,
    BW_DT_DATE,
    BW_DT_TIMESTAMP,
} bw_dtype;

/** "null", "bool", "int64", "float64", "string", "date", "timestamp". */
BW_API const char *bw_dtype_name(bw_dtype t);
/**
 * A type by name, case-insensitive, with the aliases suites use: int, integer,
 * long, float, double, number, str, text, varchar, boolean, datetime.
 */
BW_API bw_status bw_dtype_parse(const char *s, bw_dtype *out) BW_NODISCARD;

typedef struct bw_column {
    bw_dtype type;
    size_t n;       /**< rows filled */
    size_t cap;     /**< rows allocated */
    uint8_t *valid; /**< validity bitmap, cap bits */
    uint8_t *b;     /**< BOOL: 0 or 1 per row */
    int64_t *i64;   /**< INT64, TIMESTAMP */
    double *f64;    /**< FLOAT64 */
    int32_t *days;  /**< DATE */
    uint32_t *off;  /**< STRING: cap + 1 offsets; value i is str[off[i] .. off[i + 1]) */
    char *str;      /**< STRING bytes (not NUL-separated) */
    size_t str_len, str_cap;
    uint64_t nbad; /**< values in this batch that did not fit the type (left null) */
} bw_column;

typedef struct bw_batch {
    size_t nrows;
    size_t ncols;
    uint64_t row0;   /**< index of the batch's first row in the whole input (0 = first data row) */
    bw_column *cols; /**< ncols columns */
    char **names;    /**< ncols NUL-terminated names */
} bw_batch;

static inline bool bw_col_valid(const bw_column *c, size_t i)
{
    return (c->valid[i >> 3] >> (i & 7)) & 1;
}

/** Value i of a STRING column (not NUL-terminated). */
static inline const char *bw_col_str(const bw_column *c, size_t i, size_t *len)
{
    *len = c->off[i + 1] - c->off[i];
    return c->str != NULL ? c->str + c->off[i] : ""; /* no bytes yet: every value is empty */
}

/** An empty batch of no columns. */
BW_API void bw_batch_init(bw_batch *b);
/** Free everything the batch holds; it is empty and usable again. */
BW_API void bw_batch_release(bw_batch *b);
/** Drop the rows (nrows = 0) and keep columns, names, types and allocations. */
BW_API void bw_batch_clear(bw_batch *b);
/**
 * Add a column named name[0..n) of type t; rows already in the batch are null
 * in it. Its index is the previous ncols.
 */
BW_API bw_status bw_batch_add_column(bw_batch *b, const char *name, size_t n, bw_dtype t) BW_NODISCARD;

/** Free a column's arrays (for a column built outside a batch); it is empty afterwards. */
BW_API void bw_col_release(bw_column *c);
/** Make room for `rows` rows in column c (of its current type). */
BW_API bw_status bw_col_reserve(bw_column *c, size_t rows) BW_NODISCARD;
/** Empty column c and give it type t (keeps allocations). */
BW_API void bw_col_retype(bw_column *c, bw_dtype t);
BW_API bw_status bw_col_push_null(bw_column *c) BW_NODISCARD;
BW_API bw_status bw_col_push_bool(bw_column *c, bool v) BW_NODISCARD;
BW_API bw_status bw_col_push_i64(bw_column *c, int64_t v) BW_NODISCARD;
BW_API bw_status bw_col_push_f64(bw_column *c, double v) BW_NODISCARD;
BW_API bw_status bw_col_push_date(bw_column *c, int32_t days) BW_NODISCARD;
BW_API bw_status bw_col_push_ts(bw_column *c, int64_t micros) BW_NODISCARD;
/** Append a string value (the caller has checked UTF-8). */
BW_API bw_status bw_col_push_str(bw_column *c, const char *p, size_t n) BW_NODISCARD;
/**
 * Widen column c in place to type t: int64 -> float64, date -> timestamp,
 * null -> any (rows stay null), anything -> string (values formatted). Fails
 * with BW_EINVAL for a narrowing.
 */
BW_API bw_status bw_col_widen(bw_column *c, bw_dtype t) BW_NODISCARD;

/**
 * Append the text of value i of c to out (nothing for null): dates as
 * YYYY-MM-DD, timestamps as YYYY-MM-DDTHH:MM:SS[.ffffff], floats as the
 * shortest of %.15g/%.17g that reads back the same, bools as true/false.
 */
struct bw_buf;
BW_API bw_status bw_col_format(const bw_column *c, size_t i, struct bw_buf *out);

/* ---- cell parsers (text to value); all take a length and never read past it ---- */

/** Optional sign and decimal digits that fit in int64 (no spaces, no '+' alone, no leading zeros rule). */
BW_API bool bw_parse_int64(const char *s, size_t n, int64_t *v);
/** A decimal or exponent number, "inf"/"-inf"/"nan" in any case. */
BW_API bool bw_parse_float64(const char *s, size_t n, double *v);
/** true/false, True/False, TRUE/FALSE. */
BW_API bool bw_parse_bool(const char *s, size_t n, bool *v);
/** YYYY-MM-DD with a real calendar day (years 0001-9999). */
BW_API bool bw_parse_date(const char *s, size_t n, int32_t *days);
/**
 * YYYY-MM-DD[T ]HH:MM[:SS[.fraction]] optionally followed by Z or +HH[:MM] /
 * -HH[:MM] (converted to UTC). Fractions past microseconds are truncated.
 * A bare YYYY-MM-DD is its midnight.
 */
BW_API bool bw_parse_timestamp(const char *s, size_t n, int64_t *micros);

/** Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
BW_API int32_t bw_days_from_civil(int y, unsigned m, unsigned d);
/** The date of a day count. */
BW_API void bw_civil_from_days(int32_t days, int *y, unsigned *m, unsigned *d);

/**
 * Type inference: feed the non-null texts of a column (spaces and tabs
 * around them ignored), then read the narrowest type every one of them parses as (bool < int64 < float64;
 * date < timestamp; else string; nothing fed: string).
 */
typedef struct bw_infer {
    unsigned could; /**< bit per bw_dtype still possible */
    uint64_t seen;
} bw_infer;
BW_API void bw_infer_init(bw_infer *f);
BW_API void bw_infer_feed(bw_infer *f, const char *s, size_t n);
BW_API bw_dtype bw_infer_result(const bw_infer *f);
/** Feed a value that was a JSON string: it may make a date or timestamp column, never a number or bool. */
BW_API void bw_infer_feed_string(bw_infer *f, const char *s, size_t n);

/**
 * Convert text to c's type and append it. Spaces and tabs around a
 * non-string value are ignored. A value the type cannot hold widens the
 * column (int64 -> float64, date -> timestamp) unless `fixed`; one that fits
 * no widening is appended as null, counted in c->nbad, and *why says what
 * was wrong (never quoting the value). *why is NULL for a value that fit.
 * Returns BW_OK, or BW_ENOMEM / BW_ELIMIT.
 */
BW_API bw_status bw_col_push_text(bw_column *c, const char *s, size_t n, bool fixed, const char **why) BW_NODISCARD;

/* ---- options shared by every reader ---- */

typedef enum bw_bad_policy {
    BW_BAD_COUNT = 0, /**< report each malformed row, skip it, go on (default) */
    BW_BAD_STOP,      /**< stop at the first malformed row with BW_EFORMAT */
} bw_bad_policy;

/** A malformed row or a value that did not fit its column's type. */
typedef struct bw_bad_row {
    uint64_t line;      /**< 1-based line of the input where the row starts */
    uint64_t offset;    /**< byte offset of the row (or the value) in the input */
    uint64_t row;       /**< index of the data row (malformed rows count too) */
    const char *column; /**< the column of a bad value; NULL for a malformed row */
    const char *msg;    /**< what is wrong; never quotes the data */
} bw_bad_row;

/** How the first record of a slice (bw_data_opts.range_start > 0) is found; CSV and JSONL. */
typedef enum bw_range_mode {
    /** Exactly: the quotes and line breaks before range_start are counted, which reads them. */
    BW_RANGE_FIND = 0,
    /**
     * The first line start at or after range_start, without reading what comes before it: right
     * unless that line break lies inside a quoted field (CSV). The caller checks the guess:
     * bw_data_stats.first of this slice must equal bw_data_stats.next of the slice before it;
     * when it does not, the slice is read again with BW_RANGE_AT from that offset.
     */
    BW_RANGE_GUESS,
    /** range_start is a record start (the previous slice's bw_data_stats.next): read from there. */
    BW_RANGE_AT,
} bw_range_mode;

typedef struct bw_data_opts {
    int version;              /**< BW_DATA_OPTS_VERSION */
    char delim;               /**< CSV: 0 sniffs among , ; TAB | */
    int header;               /**< CSV: 1 the first row names the columns (default), 0 no header */
    const char *const *nulls; /**< texts read as null; NULL: "", NULL, null, NA, N/A */
    size_t nnulls;
    size_t batch_rows; /**< rows per batch; 0: 65536 */
    size_t infer_rows; /**< rows to infer types from; 0: 10000 */
    size_t max_record; /**< bytes of one row; 0: 16 MiB (longer: BW_ELIMIT) */
    bw_bad_policy on_bad_row;
    /** explicit types by column name (the rest inferred) */
    const char *const *type_names;
    const bw_dtype *types;
    size_t ntypes;
    /** called for each malformed row skipped and each value that did not fit (a row that stops
     *  the read with BW_BAD_STOP is in the error instead); may be NULL */
    void (*on_bad)(void *ctx, const bw_bad_row *bad);
    void *ctx;
    /**
     * A slice of the input, for sharding (profile --shard i/N, threads): only the records that
     * START at a byte offset in [range_start, range_end) are read (CSV: the header still comes
     * from the top of the file; Parquet: the row groups whose first page starts in the range).
     * Both 0: the whole input. Slices that tile the file read every record exactly once.
     * Needs a seekable file (BW_EINVAL on standard input). bw_batch.row0 counts from the
     * slice's first record.
     */
    uint64_t range_start, range_end;
    /**
     * A projection: when not NULL, only the columns of these names need their values (the
     * CSV reader converts nothing else). Every column of the input is still in the batch,
     * under its name and with the right row count; one outside the list may be all null
     * of type BW_DT_NULL (CSV) or read in full (JSONL, Parquet), and its bad values are
     * then not reported. NULL: every column.
     */
    const char *const *columns;
    size_t ncolumns;
    /**
     * How a slice's first record is found (see bw_range_mode). With BW_RANGE_GUESS and
     * BW_RANGE_AT line numbers (bw_bad_row.line, messages) count from 1 at the slice's first
     * record: the caller adds the lines before it (bw_data_stats.next_line of the slices before).
     */
    bw_range_mode range_mode;
    /**
     * Types to start from instead of inferring them, by column name: what an earlier part of the
     * same input was inferred as (profile's slices take the first slice's), so that every part
     * reads a column alike. Unlike `types` they widen as inferred types do. CSV and JSONL;
     * BW_DT_NULL entries are ignored.
     */
    const char *const *start_names;
    const bw_dtype *start_types;
    size_t nstart;
} bw_data_opts;

#define BW_DATA_OPTS_VERSION 2 /* 2 added range_mode; 1 is still read */
#define BW_DATA_OPTS_INIT                                                                                              \
    {                                                                                                                  \
        .version = BW_DATA_OPTS_VERSION, .header = 1                                                                   \
    }

/** What a reader has read so far. */
typedef struct bw_data_stats {
    uint64_t rows;     /**< data rows handed out */
    uint64_t bad_rows; /**< malformed rows skipped */
    uint64_t bad_values;
    uint64_t bytes; /**< input bytes consumed */
    /*
     * Where a slice began and ended (CSV, JSONL), once its batches are all read: `first` is the
     * input offset of its first record (or, with no record in the slice, equals `next`); `next`
     * the offset where reading stopped: the first line start at or after range_end (outside
     * quotes), or the input's end. `next_line` is the line number of the line at `next`, in the
     * slice's numbering (see bw_data_opts.range_mode).
     */
    uint64_t first, next, next_line;
} bw_data_stats;

#ifdef __cplusplus
}
#endif
#endif
