/*
 * fuzz_data.h - what every data reader's batches must satisfy, for the
 * CSV and JSONL fuzz targets: each column has one entry per row, string
 * offsets rise within the bytes held and every string is valid UTF-8, every
 * value is readable, and a failure is BW_EFORMAT / BW_ELIMIT / BW_ENOMEM
 * with a message.
 */
#ifndef BW_FUZZ_DATA_H
#define BW_FUZZ_DATA_H

#include <string.h>

#include "fuzz.h"

static unsigned fuzz_batch_sum;

static void fuzz_check_batch(const bw_batch *b)
{
    bw_buf text = BW_BUF_INIT(1 << 26);

    for (size_t k = 0; k < b->ncols; k++) {
        const bw_column *c = &b->cols[k];
        FUZZ_CHECK(c->n == b->nrows);
        FUZZ_CHECK(b->names[k] != NULL);
        for (size_t i = 0; i < c->n; i++) {
            if (c->type == BW_DT_STRING) {
                size_t n;
                const char *s;
                FUZZ_CHECK(c->off[i] <= c->off[i + 1] && c->off[i + 1] <= c->str_len);
                s = bw_col_str(c, i, &n);
                for (size_t j = 0; j < n; j++) {
                    fuzz_batch_sum += (unsigned char)s[j];
                }
                if (bw_col_valid(c, i)) {
                    bw_buf_reset(&text);
                    bw_buf_add(&text, s, n);
                    /* the reader promised UTF-8: a JSON re-escape must accept it */
                    bw_buf_reset(&text);
                    FUZZ_CHECK(bw_json_escape(&text, s, n) == BW_OK);
                }
            } else {
                bw_buf_reset(&text);
                bw_col_format(c, i, &text);
                fuzz_batch_sum += (unsigned)text.len;
            }
        }
    }
    bw_buf_release(&text);
}

static void fuzz_check_error(bw_status rc, const bw_error *err)
{
    FUZZ_CHECK(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_ENOMEM);
    FUZZ_CHECK(err->msg[0] != '\0');
}

/* Options from the first byte: delimiter, header, batch size, stop policy, types. */
static const uint8_t *fuzz_data_opts(const uint8_t *data, size_t *size, bw_data_opts *o)
{
    static const char delims[] = {0, ',', ';', '\t', '|', 'x', 0, 0};
    static const char *const names[] = {"a", "b", "column_1"};
    static const bw_dtype types[] = {BW_DT_INT64, BW_DT_DATE, BW_DT_BOOL};
    uint8_t f = *size > 0 ? data[0] : 0;

    *o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o->delim = delims[f & 7];
    o->header = (f & 8) ? 0 : 1;
    o->batch_rows = (f & 16) ? 3 : 0;
    o->infer_rows = (f & 32) ? 2 : 0;
    o->on_bad_row = (f & 64) ? BW_BAD_STOP : BW_BAD_COUNT;
    o->max_record = 1 << 16;
    if (f & 128) {
        o->type_names = names;
        o->types = types;
        o->ntypes = 3;
    }
    if (*size > 0) {
        (*size)--;
        return data + 1;
    }
    return data;
}

#endif
