/*
 * fuzz_onnx.c - the protobuf walks for ONNX and TensorFlow SavedModel, their
 * sniffers, and the scanner on top (bw_scan_model_buffer).
 *
 * Beyond "no crash", after each parse (whatever its status) every entry of
 * every result list must view bytes inside the input and have an offset
 * inside it, counts must be non-zero, and a failure must carry an error
 * offset inside the input. A scan must succeed (a broken file is a verdict,
 * never an error) and end in a defined verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "fuzz.h"
#include "scan/scan_onnx.h"

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        if (!(x)) {                                                                                                    \
            fprintf(stderr, "fuzz_onnx: invariant failed: %s (line %d)\n", #x, __LINE__);                              \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

static int inside(bw_bytes b, const uint8_t *data, size_t size)
{
    return b.len == 0 || (b.ptr >= data && b.len <= size && (size_t)(b.ptr - data) <= size - b.len);
}

static void check_list(const bw_onnx_list *l, const uint8_t *data, size_t size)
{
    CHECK(l->n <= l->cap && l->n <= BW_ONNX_MAX_ENTRIES);
    for (size_t i = 0; i < l->n; i++) {
        CHECK(inside(l->v[i].a, data, size));
        CHECK(inside(l->v[i].b, data, size));
        CHECK(l->v[i].offset <= size);
        CHECK(l->v[i].count >= 1);
        CHECK(bw_onnx_list_find(l, l->v[i].a, l->v[i].b) != NULL);
    }
}

static void check_status(bw_status rc, const bw_error *err, size_t size)
{
    CHECK(rc == BW_OK || rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_ENOMEM);
    if (rc == BW_EFORMAT || rc == BW_ELIMIT) {
        CHECK(err->code == rc);
        CHECK(err->offset <= size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_onnx_info info;
    bw_savedmodel_info sm;
    bw_error err;
    bw_status rc;
    bw_report *r = NULL;
    bw_verdict v;

    bw_onnx_info_init(&info);
    bw_error_clear(&err);
    rc = bw_onnx_parse(data, size, "fuzz.onnx", &info, &err);
    check_status(rc, &err, size);
    check_list(&info.ops, data, size);
    check_list(&info.external, data, size);
    check_list(&info.opsets, data, size);
    check_list(&info.functions, data, size);
    check_list(&info.function_domains, data, size);
    CHECK(info.max_depth <= BW_ONNX_MAX_DEPTH);
    for (size_t i = 0; i < info.external.n; i++) {
        (void)bw_onnx_location_check(info.external.v[i].a);
    }
    bw_onnx_info_release(&info);

    bw_savedmodel_info_init(&sm);
    bw_error_clear(&err);
    rc = bw_savedmodel_parse(data, size, "fuzz.pb", &sm, &err);
    check_status(rc, &err, size);
    check_list(&sm.ops, data, size);
    bw_savedmodel_info_release(&sm);

    (void)bw_onnx_sniff(data, size);
    (void)bw_savedmodel_sniff(data, size);

    if (bw_report_new(&r, "fuzz", &err) != BW_OK) {
        return 0;
    }
    rc = bw_scan_model_buffer(r, "fuzz.onnx", data, size, NULL, &v, &err);
    CHECK(rc == BW_OK || rc == BW_ENOMEM);
    CHECK(rc != BW_OK || (v >= BW_VERDICT_SAFE && v <= BW_VERDICT_UNSAFE));
    bw_report_free(r);
    return 0;
}
