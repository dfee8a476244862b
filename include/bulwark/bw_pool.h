/*
 * bw_pool.h - a small fixed thread pool.
 *
 * bw_pool_for() runs fn(i) for i in [0, n) on every worker, handing out
 * indices from a shared atomic counter so an uneven mix (a few large files
 * among many small ones) keeps every core busy. The calling thread works too.
 * A pool of 1 thread runs everything on the caller, in order.
 */
#ifndef BULWARK_BW_POOL_H
#define BULWARK_BW_POOL_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_pool bw_pool;

/** Number of online CPUs (at least 1), honouring the process's affinity mask. */
BW_API unsigned bw_ncpu(void);

/** A pool of `nthreads` workers including the caller; 0 means bw_ncpu(). */
BW_API bw_status bw_pool_new(bw_pool **out, unsigned nthreads, bw_error *err) BW_NODISCARD;
BW_API void bw_pool_free(bw_pool *p);
BW_API unsigned bw_pool_size(const bw_pool *p);

/**
 * Call fn(ctx, i, worker) for every i in [0, n); `worker` is in [0, size)
 * and lets callers keep per-thread scratch space. Returns when all calls have
 * returned. A call that returns non-zero asks the pool to hand out no further
 * indices (calls already running finish); bw_pool_for then returns BW_ECANCELED.
 * One bw_pool_for at a time per pool.
 */
typedef int (*bw_pool_fn)(void *ctx, size_t i, unsigned worker);
BW_API bw_status bw_pool_for(bw_pool *p, size_t n, bw_pool_fn fn, void *ctx) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
