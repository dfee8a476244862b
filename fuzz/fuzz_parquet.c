/*
 * fuzz_parquet.c - the Parquet column reader on arbitrary files.
 *
 * Each input is a whole file, written to a memfd and read with
 * bw_parquet_open_fd in batches of 50 rows to the end: footer, page headers,
 * codecs, levels, every value encoding and the conversions. The seeds are
 * small real files (DuckDB and hyparquet-writer fixtures), so mutations land
 * in page headers and page data as well as in the footer. A batch that comes
 * back is checked (every column as long as the batch, string offsets rising
 * inside the bytes, every string value read); a failure must leave a message
 * and an offset inside the file, or none. Rows are capped so that a small
 * file claiming billions of all-null rows stays quick.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bulwark/bw_parquet.h"
#include "fuzz.h"

#define CHECK(x) FUZZ_CHECK(x)
#define MAX_ROWS 2000000

static volatile unsigned sink;

static void check_batch(const bw_batch *b)
{
    for (size_t k = 0; k < b->ncols; k++) {
        const bw_column *c = &b->cols[k];
        CHECK(c->n == b->nrows);
        CHECK(c->nbad <= c->n);
        for (size_t i = 0; i < c->n; i++) {
            if (!bw_col_valid(c, i)) {
                continue;
            }
            switch (c->type) {
            case BW_DT_BOOL: CHECK(c->b[i] <= 1); break;
            case BW_DT_STRING: {
                size_t n;
                const char *s = bw_col_str(c, i, &n);
                CHECK(c->off[i] <= c->off[i + 1] && c->off[i + 1] <= c->str_len);
                for (size_t j = 0; j < n; j++) {
                    sink += (unsigned char)s[j];
                }
                break;
            }
            case BW_DT_INT64:
            case BW_DT_TIMESTAMP: sink += (unsigned)c->i64[i]; break;
            case BW_DT_FLOAT64: sink += (unsigned)(c->f64[i] == c->f64[i]); break;
            case BW_DT_DATE: sink += (unsigned)c->days[i]; break;
            case BW_DT_NULL: break;
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.parquet", MFD_CLOEXEC);
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_parquet *r = NULL;
    bw_error err = {0};
    const bw_batch *b = NULL;
    bw_status rc;
    uint64_t rows = 0;

    if (fd < 0) {
        return 0;
    }
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    o.batch_rows = 50;
    rc = bw_parquet_open_fd(fd, "fuzz.parquet", &o, &r, &err);
    while (rc == BW_OK && rows < MAX_ROWS) {
        rc = bw_parquet_next(r, &b, &err);
        if (rc != BW_OK || b == NULL) {
            break;
        }
        CHECK(b->nrows > 0 && b->nrows <= 50 && b->row0 == rows);
        check_batch(b);
        rows += b->nrows;
    }
    if (rc != BW_OK) {
        CHECK(err.code == rc && err.msg[0] != 0);
        CHECK(err.offset == BW_NO_OFFSET || err.offset <= size);
    } else if (r != NULL) {
        CHECK(bw_parquet_read_stats(r)->rows == rows);
    }
    bw_parquet_free(r);
    close(fd);
    return 0;
}
