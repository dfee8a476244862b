/*
 * bw_csv.h - a streaming CSV/TSV reader that yields typed column batches.
 *
 * RFC 4180 plus what real files hold: quoted fields with delimiters,
 * doubled quotes and line breaks; CRLF or LF; a UTF-8 byte order mark;
 * delimiter sniffing among , ; TAB | (or bw_data_opts.delim); a header row;
 * null spellings (default: empty, NULL, null, NA, N/A; a quoted field is
 * never null, so "" is the empty string). Text after a closing quote is kept
 * as written ("ab"c reads abc), as Python's csv module does.
 *
 * Types come from bw_data_opts.types or are inferred from the first
 * infer_rows rows (see bw_batch.h for widening and bad values). Memory is
 * bounded by the batch and one record (max_record), whatever the file size.
 *
 * A malformed row - a field count other than the header's, an unterminated
 * quote, invalid UTF-8 in a string column - is reported through on_bad with
 * its line and byte offset and skipped, or with BW_BAD_STOP ends the read
 * with BW_EFORMAT naming the input, line and offset. Blank lines are skipped.
 */
#ifndef BULWARK_BW_CSV_H
#define BULWARK_BW_CSV_H

#include "bw_batch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_csv bw_csv;

/** Open a CSV file (or "-" for standard input) for reading. */
BW_API bw_status bw_csv_open(const char *path, const bw_data_opts *o, bw_csv **out, bw_error *err) BW_NODISCARD;
/** Read CSV from memory (borrowed until bw_csv_free); `name` labels messages. */
BW_API bw_status bw_csv_open_mem(const void *p, size_t n, const char *name, const bw_data_opts *o, bw_csv **out,
                                 bw_error *err) BW_NODISCARD;
/**
 * The next batch of rows, owned by the reader and valid until the next call;
 * *out is NULL at the end of the input. The first call reads the header and
 * the inference sample.
 */
BW_API bw_status bw_csv_next(bw_csv *r, const bw_batch **out, bw_error *err) BW_NODISCARD;
/** The delimiter in use (sniffed or given); valid after the first bw_csv_next. */
BW_API char bw_csv_delim(const bw_csv *r);
BW_API const bw_data_stats *bw_csv_stats(const bw_csv *r);
BW_API void bw_csv_free(bw_csv *r);

#ifdef __cplusplus
}
#endif
#endif
