/*
 * bw_dataset.h - open any supported data file as a stream of column batches.
 *
 * The one entry point the data engines and commands use: the format comes
 * from the caller, or from the name (.csv .tsv .txt -> CSV, .tsv with a tab
 * delimiter; .jsonl .ndjson -> JSONL; .parquet .parq -> Parquet), or from
 * the first bytes ("PAR1" -> Parquet, a '{' -> JSONL, else CSV). Parquet
 * needs a seekable file: standard input is BW_EUNSUPPORTED. Batches are owned by the dataset and valid until the
 * next call.
 */
#ifndef BULWARK_BW_DATASET_H
#define BULWARK_BW_DATASET_H

#include "bw_batch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_data_format {
    BW_FMT_AUTO = 0,
    BW_FMT_CSV,
    BW_FMT_JSONL,
    BW_FMT_PARQUET,
} bw_data_format;

/** "csv", "tsv" (CSV with a tab), "jsonl" / "ndjson", "parquet" / "parq". */
BW_API bw_status bw_data_format_parse(const char *s, bw_data_format *fmt, char *delim) BW_NODISCARD;
BW_API const char *bw_data_format_name(bw_data_format fmt);

typedef struct bw_dataset bw_dataset;

/** Open `path` ("-" for standard input) as `fmt`; options may be NULL (defaults). */
BW_API bw_status bw_dataset_open(const char *path, bw_data_format fmt, const bw_data_opts *o, bw_dataset **out,
                                 bw_error *err) BW_NODISCARD;
/** The next batch, or *out NULL at the end. */
BW_API bw_status bw_dataset_next(bw_dataset *d, const bw_batch **out, bw_error *err) BW_NODISCARD;
BW_API bw_data_format bw_dataset_format(const bw_dataset *d);
BW_API const bw_data_stats *bw_dataset_stats(const bw_dataset *d);
BW_API void bw_dataset_free(bw_dataset *d);

#ifdef __cplusplus
}
#endif
#endif
