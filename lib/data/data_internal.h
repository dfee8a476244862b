/*
 * data_internal.h - what the data readers share beyond bw_batch.h: the
 * option defaults and the limits every reader applies the same way.
 */
#ifndef BW_DATA_INTERNAL_H
#define BW_DATA_INTERNAL_H

#include "bulwark/bw_batch.h"
#include "util/hash_inline.h"
#include "util/internal.h"

#define BW_DATA_MAX_COLUMNS 100000            /* columns of one input */
#define BW_DATA_SAMPLE_MAX ((size_t)64 << 20) /* bytes of the type-inference sample */

/*
 * Copy the caller's options (NULL: the defaults) into *out with every 0
 * replaced by its default: 65536 rows a batch, 10000 rows to infer types
 * from, 16 MiB a record. BW_EINVAL for another options version or a
 * delimiter that is a quote or a line break.
 */
/* bw_parse_float64 when 16 bytes at s may be read whatever n is (a faster path for short numbers). */
BW_INTERNAL bool bw_parse_float64_pad(const char *s, size_t n, double *v);
/* n nulls at the end of c (bw_col_push_null n times, in one go). */
BW_INTERNAL bw_status bw_col_push_nulls(bw_column *c, size_t n);
BW_INTERNAL bw_status bw_data_opts_resolve(const bw_data_opts *in, bw_data_opts *out, bw_error *err);

/*
 * Sort n quantile-sketch items (no NaN) into the order of the KLL levels:
 * by value, -0 before +0 (what the sketch uses; exposed for its tests).
 */
BW_INTERNAL void bw_kll_sort_items(double *v, size_t n);

/*
 * The items bw_kll_add_run keeps of x[0..n) (no NaN), as a sort would give
 * them (kll_cmp order): the ranks odd[0..nodd) (ascending, at most
 * BW_KLL_MAX_LEVELS) into odd_out, and the ranks base + (i << lg), i < cnt
 * (above the odd ones, below n) into run_out. scratch and tmp: room for n.
 * Exposed for the sketch's tests.
 */
BW_INTERNAL void bw_kll_select_items(const double *x, size_t n, const uint64_t *odd, unsigned nodd, uint64_t base,
                                     unsigned lg, uint64_t cnt, double *odd_out, double *run_out, uint64_t *scratch,
                                     double *tmp);

/*
 * bw_hll_add_hashes for hashes grouped by their top bits (the profile's
 * bucket order): the registers they touch are near each other, so none is
 * fetched ahead. The same registers as bw_hll_add_hashes.
 */
BW_INTERNAL bw_status bw_hll_add_hashes_grouped(bw_hll *h, const uint64_t *x, size_t n);

/* bw_hash64(p, n, 0), inlined for the per-value loops of the profiler (lib/util/hash_inline.h). */
static inline uint64_t bw_data_hash(const void *p, size_t n)
{
    return bw_hash64_inline(p, n, 0);
}

#endif
