/*
 * digest_internal.h - pieces of the digest module shared by digest.c and
 * manifest.c: hashing a byte range of an open file, and throttled progress.
 */
#ifndef BW_DIGEST_INTERNAL_H
#define BW_DIGEST_INTERNAL_H

#include <openssl/types.h>
#include <stdatomic.h>
#include <time.h>

#include "bulwark/bulwark.h"

typedef struct bw_digest_progress {
    bw_progress_fn fn;
    void *ud;
    const char *what;
    uint64_t total;
    atomic_uint_fast64_t done;
    atomic_uint_fast64_t last_ms;
} bw_digest_progress;

/* Add n units and call the callback if 100 ms have passed since the last call. */
__attribute__((visibility("hidden"))) void bw_digest_progress_add(bw_digest_progress *p, uint64_t n);

/*
 * Hash bytes [start, start+len) of `f` with `h` (reset after), reading into
 * buf[cap]. A file that ends early is BW_ECHANGED.
 */
__attribute__((visibility("hidden"))) bw_status bw_digest_range(bw_file *f, bw_hasher *h, uint64_t start, uint64_t len,
                                                                uint8_t *buf, size_t cap, bw_digest_progress *prog,
                                                                bw_digest *out, bw_error *err);

/* The algorithm's EVP_MD, fetched once per process (shared by every module that hashes with OpenSSL). */
__attribute__((visibility("hidden"))) const EVP_MD *bw_digest_md(bw_algo a);

#endif
