/*
 * fuzz_safetensors.c - the safetensors reader and scanner on arbitrary bytes.
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

/* lib/scan/scan_safetensors.c: the rules the scanner reports. */
const bw_rule *const *bw_scan_safetensors_rules(size_t *n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nr = 0;

    CHECK(bw_scan_safetensors_rules(&nr) != NULL && nr > 0);
    check_parse(data, size);
    fuzz_scan(data, size);
    return 0;
}

static void check_parse(const uint8_t *data, size_t size)
{
    bw_st_file f;
    bw_error err;

    bw_error_clear(&err);

    if (bw_safetensors_parse(data, size, "fuzz", &f, &err) != BW_OK) {
        CHECK(err.code != BW_OK && err.msg[0] != '\0');
        CHECK(err.offset == BW_NO_OFFSET || err.offset <= size);
        return;
    }
    CHECK(f.data_start == 8 + f.header_len && f.data_start + f.data_len == size);
    for (size_t i = 0; i < f.n_tensors; i++) {
        const bw_st_tensor *t = &f.tensors[i];
        CHECK(t->begin == (i == 0 ? 0 : f.tensors[i - 1].end));
        CHECK(t->end - t->begin == t->numel * t->dtype_size);
        CHECK(t->dtype != NULL && t->name != NULL);
    }
    CHECK(f.n_tensors == 0 ? f.data_len == 0 : f.tensors[f.n_tensors - 1].end == f.data_len);
    bw_safetensors_release(&f);
}
