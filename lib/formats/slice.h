/*
 * slice.h - byte slices of a line-oriented data input (bw_data_opts.range_start/range_end),
 * shared by the CSV and JSONL readers.
 *
 * A slice [start, end) reads the records that START in it. Records start
 * after a line break that is not inside quotes (CSV) or after any line
 * break (JSONL). Whether an offset is inside quotes is the parity of the
 * '"' bytes before it (RFC 4180: a quote inside a quoted field is doubled,
 * so quotes come in pairs); they are counted eight bytes at a time. A file
 * with stray quotes in unquoted fields (a"b) breaks that parity: slices of
 * it may start at a line break inside a field.
 */
#ifndef BW_FORMATS_SLICE_H
#define BW_FORMATS_SLICE_H

#include <stdbool.h>

#include "bulwark/bw_batch.h"
#include "formats/window.h"

/*
 * Check the options' range for window w: *end receives range_end, or
 * UINT64_MAX when it is 0 (to the end of the input). BW_EINVAL for an end
 * before the start, or a range over a stream (standard input, a pipe).
 */
BW_INTERNAL bw_status bw_slice_check(const bw_data_opts *o, bw_window *w, uint64_t *end, bw_error *err);

/*
 * Where the slice of options o starts, by o->range_mode. BW_RANGE_FIND:
 * the first record start at or after range_start (> 0), the successor of
 * the first line break at an offset >= range_start - 1 that is outside
 * quotes (quotes true) or any (quotes false); *lines counts the '\n' bytes
 * before it and *relative is false. Reads the file with pread (the window
 * does not move) or the memory input in place. BW_RANGE_GUESS the
 * successor of the first line break at or after range_start - 1 read from
 * there alone, BW_RANGE_AT range_start itself (*lines 0, *relative true:
 * line numbers start again at the slice). With no record start, *at is the
 * input's end.
 */
BW_INTERNAL bw_status bw_slice_start(bw_window *w, const bw_data_opts *o, bool quotes, uint64_t *at, uint64_t *lines,
                                     bool *relative, bw_error *err);

/* Make the window read on from input offset `at` (dropping what it holds). */
BW_INTERNAL bw_status bw_slice_seek(bw_window *w, uint64_t at, bw_error *err);

/* Bytes equal to c in p[0..n), eight at a time. */
BW_INTERNAL uint64_t bw_count_byte(const char *p, size_t n, char c);

#endif
