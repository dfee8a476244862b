/*
 * fuzz_csv.c - the CSV reader on arbitrary bytes, with options taken from
 * the first byte: no crash, no read past the input, batches that keep the
 * model's promises (fuzz_data.h), errors with a code and a message.
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

    if (bw_csv_open_mem(p, size, "fuzz.csv", &o, &r, &err) != BW_OK) {
        return 0;
    }
    while ((rc = bw_csv_next(r, &b, &err)) == BW_OK && b != NULL) {
        fuzz_check_batch(b);
    }
    if (rc != BW_OK) {
        fuzz_check_error(rc, &err);
    }
    FUZZ_CHECK(bw_csv_stats(r)->bytes == size);
    bw_csv_free(r);
    return 0;
}
