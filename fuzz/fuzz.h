/*
 * fuzz.h - the libFuzzer entry points, declared once for every fuzz target
 * and for replay.c (which runs the same entry point without libFuzzer).
 */
#ifndef BW_FUZZ_H
#define BW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input. Returns 0; a bug is a crash (abort or a sanitizer report). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional one-time set-up; replay.c calls it only if a target defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#endif
