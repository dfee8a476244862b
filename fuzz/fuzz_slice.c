/*
 * fuzz_slice.c - CSV byte slices (lib/formats/slice.c: the record boundary
 * after an offset, from the parity of the quotes before it) on arbitrary
 * bytes: the input is a file cut in three slices at offsets taken from its
 * first bytes. No crash, batches that keep the model's promises, errors with
 * a code and a message; and where the input has no quote byte (so no
 * boundary can be misjudged) the slices read exactly the rows of one pass.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_data.h"

/* Rows read from path with options o (UINT64_MAX: an error, checked). */
static uint64_t read_rows(const char *path, const bw_data_opts *o)
{
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_error err = {0};
    bw_status rc = bw_csv_open(path, o, &r, &err);
    uint64_t rows = 0;

    if (rc != BW_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        return UINT64_MAX;
    }
    while ((rc = bw_csv_next(r, &b, &err)) == BW_OK && b != NULL) {
        fuzz_check_batch(b);
        rows += b->nrows;
    }
    if (rc != BW_OK) {
        fuzz_check_error(rc, &err);
        rows = UINT64_MAX;
    }
    bw_csv_free(r);
    return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    uint8_t c1 = data[0], c2 = data[1];
    bw_data_opts o;
    const uint8_t *p = fuzz_data_opts(data + 2, &(size_t){size - 2}, &o);
    size_t n = size - 3;
    o.on_bad_row = BW_BAD_COUNT;
    int fd = memfd_create("fuzz.csv", MFD_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    if (n > 0 && write(fd, p, n) != (ssize_t)n) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    uint64_t whole = read_rows(path, &o);
    uint64_t a = n * c1 / 256, b = a + (n - a) * c2 / 256 + 1, cuts[4] = {0, a + 1, b + 1, n + 1}, sum = 0;
    bool failed = false;
    for (size_t i = 0; i < 3; i++) {
        bw_data_opts so = o;
        so.range_start = cuts[i];
        so.range_end = cuts[i + 1];
        uint64_t rows = read_rows(path, &so);
        failed |= rows == UINT64_MAX;
        sum += rows == UINT64_MAX ? 0 : rows;
    }
    if (whole != UINT64_MAX && !failed && memchr(p, '"', n) == NULL) {
        FUZZ_CHECK(sum == whole);
    }
    close(fd);
    return 0;
}
