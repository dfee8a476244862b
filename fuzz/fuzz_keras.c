/*
 * fuzz_keras.c - the Keras scanners through the dispatcher
 * (bw_scan_model_buffer): JSON configs (the jansson parse and the config
 * walk) and HDF5 images (libhdf5 opening untrusted bytes, the root
 * attributes, then the walk again).
 *
 * A scan must succeed (a broken file is a verdict, never an error), end in a
 * defined verdict, and a recognised input is never SAFE with findings above
 * info.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "fuzz.h"

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        if (!(x)) {                                                                                                    \
            fprintf(stderr, "fuzz_keras: invariant failed: %s (line %d)\n", #x, __LINE__);                             \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_report *r = NULL;
    bw_verdict v;
    bw_error err;
    bw_status rc;

    if (size > ((size_t)1 << 20)) {
        return 0;
    }
    bw_error_clear(&err);
    if (bw_report_new(&r, "fuzz", &err) != BW_OK) {
        return 0;
    }
    rc = bw_scan_model_buffer(r, "fuzz.keras", data, size, NULL, &v, &err);
    CHECK(rc == BW_OK || rc == BW_ENOMEM);
    if (rc == BW_OK) {
        CHECK(v == BW_VERDICT_SAFE || v == BW_VERDICT_REVIEW || v == BW_VERDICT_MALFORMED || v == BW_VERDICT_UNSAFE);
        CHECK(v != BW_VERDICT_SAFE || bw_report_count_at_least(r, BW_SEV_LOW) == 0);
    }
    bw_report_free(r);
    return 0;
}
