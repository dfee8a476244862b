/*
 * fuzz.h - the libFuzzer entry points, declared once for every fuzz target
 * and for replay.c (which runs the same entry point without libFuzzer).
 */
#ifndef BW_FUZZ_H
#define BW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bulwark/bulwark.h"

/* Run one input. Returns 0; a bug is a crash (abort or a sanitizer report). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional one-time set-up; replay.c calls it only if a target defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Abort with the failed invariant and where: a bug is a crash the fuzzer keeps. */
#define FUZZ_CHECK(x)                                                                                                  \
    do {                                                                                                               \
        if (!(x)) {                                                                                                    \
            fprintf(stderr, "%s: invariant failed: %s (line %d)\n", __FILE__, #x, __LINE__);                           \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* Scan the input through the public entry point with a fresh report; the verdict must be a real one. */
static inline void fuzz_scan(const uint8_t *data, size_t size)
{
    bw_report *r = NULL;
    bw_verdict v;
    bw_error err;

    if (bw_report_new(&r, "fuzz", NULL) != BW_OK) {
        return;
    }
    if (bw_scan_model_buffer(r, "fuzz.bin", data, size, NULL, &v, &err) == BW_OK) {
        FUZZ_CHECK(v >= BW_VERDICT_SAFE && v <= BW_VERDICT_UNSAFE);
    }
    bw_report_free(r);
}

#endif
