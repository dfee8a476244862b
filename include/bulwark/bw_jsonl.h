/*
 * bw_jsonl.h - a streaming JSON Lines reader that yields typed column batches.
 *
 * One JSON object per line (blank lines skipped, CRLF accepted). Each
 * top-level key is a column, in order of first appearance; a key a row
 * lacks is null there, and a key first seen in a later row adds a column
 * (null in the rows before it in that batch). Strings are decoded
 * (\uXXXX escapes and surrogate pairs to UTF-8; a lone surrogate becomes
 * U+FFFD); nested objects and arrays are kept as their JSON text in a string
 * column. Numbers, booleans and strings that hold dates or timestamps give
 * the column its type (inferred from the first infer_rows rows, or from a
 * column's first value when it appears later); JSON null is null. When a key
 * repeats in one object the last value wins, as in Python's json module.
 *
 * A line that is not one well-formed JSON object is a malformed row:
 * reported with its line and the byte offset of the fault, and skipped, or
 * with BW_BAD_STOP the end of the read (BW_EFORMAT).
 */
#ifndef BULWARK_BW_JSONL_H
#define BULWARK_BW_JSONL_H

#include "bw_batch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_jsonl bw_jsonl;

BW_API bw_status bw_jsonl_open(const char *path, const bw_data_opts *o, bw_jsonl **out, bw_error *err) BW_NODISCARD;
BW_API bw_status bw_jsonl_open_mem(const void *p, size_t n, const char *name, const bw_data_opts *o, bw_jsonl **out,
                                   bw_error *err) BW_NODISCARD;
/** The next batch (owned by the reader, valid until the next call); *out NULL at the end. */
BW_API bw_status bw_jsonl_next(bw_jsonl *r, const bw_batch **out, bw_error *err) BW_NODISCARD;
BW_API const bw_data_stats *bw_jsonl_stats(const bw_jsonl *r);
BW_API void bw_jsonl_free(bw_jsonl *r);

#ifdef __cplusplus
}
#endif
#endif
