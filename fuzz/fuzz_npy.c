/*
 * fuzz_npy.c - the npy reader and scanner on arbitrary bytes.
 *
 * The parser runs on the input; on success its result is checked against
 * the input (views inside it, sizes that add up), abort() otherwise. The
 * scanner then runs through the public entry point with a fresh report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "fuzz.h"

#define CHECK(x) FUZZ_CHECK(x)

static void check_parse(const uint8_t *data, size_t size);

/* lib/scan/scan_npy.c: the rules the scanner reports. */
const bw_rule *const *bw_scan_npy_rules(size_t *n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nr = 0;

    CHECK(bw_scan_npy_rules(&nr) != NULL && nr > 0);
    check_parse(data, size);
    fuzz_scan(data, size);
    return 0;
}

static void check_parse(const uint8_t *data, size_t size)
{
    bw_npy_info info;
    bw_error err;
    uint64_t prod = 1;

    bw_error_clear(&err);

    if (bw_npy_parse(data, size, "fuzz", &info, &err) != BW_OK) {
        CHECK(err.code != BW_OK && err.msg[0] != '\0');
        CHECK(err.offset == BW_NO_OFFSET || err.offset <= size);
        return;
    }
    CHECK(info.major >= 1 && info.major <= 3 && info.minor == 0);
    CHECK(info.data_offset + info.data_len == size);
    CHECK(info.n_dims <= BW_NPY_MAX_DIMS);
    for (uint32_t i = 0; i < info.n_dims; i++) {
        prod *= info.shape[i];
    }
    CHECK(prod == info.numel);
    CHECK(info.has_object || info.expected_len == info.numel * info.itemsize);
    CHECK(memchr(info.descr, '\0', sizeof(info.descr)) != NULL);
}
