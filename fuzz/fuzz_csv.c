/*
 * fuzz_csv.c - the CSV reader on arbitrary bytes, with options taken from
 * the first byte: no crash, no read past the input, batches that keep the
 * model's promises (fuzz_data.h), errors with a code and a message. An
 * input ending in 'S' reads a slice: its second-last byte picks the range
 * mode and where the slice starts and ends.
 */
#include "fuzz_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_data_opts o;
    const uint8_t *p = fuzz_data_opts(data, &size, &o);
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_error err = {0};
    bw_status rc;

    bool slice = size >= 2 && p[size - 1] == 'S';
    if (slice) {
        uint8_t g = p[size - 2];
        o.range_mode = (bw_range_mode)(g % 3);
        o.range_start = 1 + (uint64_t)size * (g >> 2) / 64;
        o.range_end = o.range_start + (uint64_t)size * ((g >> 4) + 1) / 16;
    }
    if (bw_csv_open_mem(p, size, "fuzz.csv", &o, &r, &err) != BW_OK) {
        return 0;
    }
    while ((rc = bw_csv_next(r, &b, &err)) == BW_OK && b != NULL) {
        fuzz_check_batch(b);
    }
    if (rc != BW_OK) {
        fuzz_check_error(rc, &err);
    }
    const bw_data_stats *st = bw_csv_stats(r);
    FUZZ_CHECK(st->bytes == size);
    if (rc == BW_OK && slice) {
        FUZZ_CHECK(st->first <= st->next && st->next <= size);
    }
    bw_csv_free(r);
    return 0;
}
