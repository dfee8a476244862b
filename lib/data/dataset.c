/*
 * dataset.c - one entry point over the data readers (see bw_dataset.h).
 */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bulwark/bw_csv.h"
#include "bulwark/bw_dataset.h"
#include "bulwark/bw_jsonl.h"
#include "bulwark/bw_parquet.h"
#include "util/internal.h"

struct bw_dataset {
    bw_data_format fmt;
    bw_csv *csv;
    bw_jsonl *jsonl;
    bw_parquet *parquet;
};

bw_status bw_data_format_parse(const char *s, bw_data_format *fmt, char *delim)
{
    if (strcasecmp(s, "csv") == 0) {
        *fmt = BW_FMT_CSV;
    } else if (strcasecmp(s, "tsv") == 0) {
        *fmt = BW_FMT_CSV;
        if (delim != NULL) {
            *delim = '\t';
        }
    } else if (strcasecmp(s, "jsonl") == 0 || strcasecmp(s, "ndjson") == 0) {
        *fmt = BW_FMT_JSONL;
    } else if (strcasecmp(s, "parquet") == 0 || strcasecmp(s, "parq") == 0) {
        *fmt = BW_FMT_PARQUET;
    } else if (strcasecmp(s, "auto") == 0) {
        *fmt = BW_FMT_AUTO;
    } else {
        return BW_EINVAL;
    }
    return BW_OK;
}

const char *bw_data_format_name(bw_data_format fmt)
{
    switch (fmt) {
    case BW_FMT_CSV: return "csv";
    case BW_FMT_JSONL: return "jsonl";
    case BW_FMT_PARQUET: return "parquet";
    case BW_FMT_AUTO: break;
    }
    return "auto";
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* The format a name says, or AUTO; .gz and friends are not read here. */
static bw_data_format by_name(const char *path, char *delim)
{
    if (ends_with(path, ".parquet") || ends_with(path, ".parq")) {
        return BW_FMT_PARQUET;
    }
    if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")) {
        return BW_FMT_JSONL;
    }
    if (ends_with(path, ".tsv") || ends_with(path, ".tab")) {
        *delim = '\t';
        return BW_FMT_CSV;
    }
    if (ends_with(path, ".csv") || ends_with(path, ".txt") || ends_with(path, ".psv")) {
        return BW_FMT_CSV;
    }
    return BW_FMT_AUTO;
}

/* The format of the first bytes: "PAR1" is Parquet, a JSON object opening a line is JSONL. */
static bw_data_format by_content(const char *path)
{
    char head[512];
    ssize_t n = 0;
    bw_file *f = NULL;

    if (strcmp(path, "-") == 0 || bw_file_open(&f, path, BW_FILE_FOLLOW, NULL) != BW_OK) {
        return BW_FMT_CSV; /* a stream cannot be peeked and rewound: CSV unless told */
    }
    n = pread(bw_file_fd(f), head, sizeof(head), 0);
    bw_file_close(f);
    if (n >= 4 && memcmp(head, "PAR1", 4) == 0) {
        return BW_FMT_PARQUET;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n') {
            continue;
        }
        return head[i] == '{' ? BW_FMT_JSONL : BW_FMT_CSV;
    }
    return BW_FMT_CSV;
}

bw_status bw_dataset_open(const char *path, bw_data_format fmt, const bw_data_opts *o, bw_dataset **out, bw_error *err)
{
    bw_dataset *d = bw_calloc(1, sizeof(*d));
    bw_data_opts opts = o != NULL ? *o : (bw_data_opts)BW_DATA_OPTS_INIT;
    char delim = 0;
    bw_status rc;

    *out = NULL;
    if (d == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    if (fmt == BW_FMT_AUTO) {
        fmt = by_name(path, &delim);
        if (fmt == BW_FMT_AUTO) {
            fmt = by_content(path);
        }
        if (opts.delim == 0) {
            opts.delim = delim;
        }
    }
    d->fmt = fmt;
    if (fmt == BW_FMT_PARQUET) {
        rc = bw_parquet_open(path, &opts, &d->parquet, err);
    } else if (fmt == BW_FMT_JSONL) {
        rc = bw_jsonl_open(path, &opts, &d->jsonl, err);
    } else {
        rc = bw_csv_open(path, &opts, &d->csv, err);
    }
    if (rc != BW_OK) {
        bw_free(d);
        return rc;
    }
    *out = d;
    return BW_OK;
}

bw_status bw_dataset_next(bw_dataset *d, const bw_batch **out, bw_error *err)
{
    if (d->parquet != NULL) {
        return bw_parquet_next(d->parquet, out, err);
    }
    return d->jsonl != NULL ? bw_jsonl_next(d->jsonl, out, err) : bw_csv_next(d->csv, out, err);
}

bw_data_format bw_dataset_format(const bw_dataset *d)
{
    return d->fmt;
}

const bw_data_stats *bw_dataset_stats(const bw_dataset *d)
{
    if (d->parquet != NULL) {
        return bw_parquet_read_stats(d->parquet);
    }
    return d->jsonl != NULL ? bw_jsonl_stats(d->jsonl) : bw_csv_stats(d->csv);
}

void bw_dataset_free(bw_dataset *d)
{
    if (d == NULL) {
        return;
    }
    bw_csv_free(d->csv);
    bw_jsonl_free(d->jsonl);
    bw_parquet_free(d->parquet);
    bw_free(d);
}
