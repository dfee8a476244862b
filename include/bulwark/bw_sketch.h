/*
 * bw_sketch.h - mergeable summaries of a column: distinct count, quantiles, top values.
 *
 * Three sketches, each built in one pass, merged with others of its kind
 * (one per shard of a dataset) and written to bytes so partial profiles can
 * be combined later (`bulwark profile --shard i/N`, then `--merge`):
 *
 * - bw_hll: HyperLogLog over 64-bit hashes, exact (a set of hashes) until
 *   2^(p-3) distinct values, then 2^p one-byte registers read with Ertl's
 *   improved estimator: relative standard error 1.04 / sqrt(2^p), 0.41% at
 *   the default p = 16. Merging is lossless: merged shards give the same
 *   sketch, byte for byte, as one pass over all the rows.
 * - bw_kll: KLL quantiles of doubles with parameter k. Count, min and max are
 *   exact; the normalised rank error is at most 1.65% at k = 200 (measured
 *   at most 0.91% over 10^6 values; docs/internals/sketch.md has the
 *   figures) and shrinks about as 1/k. The coin flips come from a seeded
 *   generator kept in the sketch, so runs are reproducible.
 * - bw_topk: SpaceSaving over byte strings with a fixed number of counters.
 *   Counts are exact while the distinct values fit; beyond that every count
 *   is an upper bound with a stated error, and a value seen more often than
 *   the floor (at most total / capacity in one pass) is always kept.
 *
 * Ownership: a sketch returned through `**out` belongs to the caller, who
 * frees it with the matching _free (NULL is a no-op). Inputs are borrowed
 * for the duration of the call. Serialisation appends to a caller's bw_buf.
 * Thread safety: a sketch may be changed by one thread at a time; functions
 * taking a const sketch may run concurrently with each other.
 *
 * Deserialising is parsing untrusted bytes: every lie (bad magic or version,
 * a parameter out of range, lengths that do not add up, unsorted or repeated
 * entries, trailing bytes) is BW_EFORMAT with the byte offset in `err`.
 * Formats are specified in docs/internals/sketch.md.
 */
#ifndef BULWARK_BW_SKETCH_H
#define BULWARK_BW_SKETCH_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_hash.h"
#include "bw_rd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The kind byte of a serialised sketch (byte 5 of the header). */
typedef enum bw_sketch_kind {
    BW_SKETCH_HLL = 1,
    BW_SKETCH_KLL = 2,
    BW_SKETCH_TOPK = 3,
} bw_sketch_kind;

/** Serialised sketches start with these four bytes, a version byte and the kind byte. */
#define BW_SKETCH_MAGIC "BWSK"
#define BW_SKETCH_VERSION 1

/* ---- distinct values: HyperLogLog ------------------------------------- */

#define BW_HLL_MIN_P 10
#define BW_HLL_MAX_P 18
#define BW_HLL_DEFAULT_P 16

typedef struct bw_hll bw_hll;

/**
 * A new, empty HyperLogLog sketch of precision `p` (BW_HLL_MIN_P to
 * BW_HLL_MAX_P; 0 means BW_HLL_DEFAULT_P). It stays exact until it has seen
 * more than 2^(p-3) distinct hashes (8192 at p = 16), then switches to 2^p
 * registers. Free with bw_hll_free().
 * @return BW_OK, BW_EINVAL (p out of range) or BW_ENOMEM
 */
BW_API bw_status bw_hll_new(bw_hll **out, unsigned p, bw_error *err) BW_NODISCARD;
BW_API void bw_hll_free(bw_hll *h);

/** Add the value in `n` bytes at `p`: bw_hll_add_hash(h, bw_hash64(p, n, 0)). */
BW_API bw_status bw_hll_add(bw_hll *h, const void *p, size_t n) BW_NODISCARD;
/**
 * Add a 64-bit hash. Hashes must be uniformly spread (bw_hash64,
 * bw_hash64_u64); sketches only merge meaningfully when fed the same way.
 * On failure (BW_ENOMEM when the exact set grows or turns into registers)
 * the sketch is unchanged.
 */
BW_API bw_status bw_hll_add_hash(bw_hll *h, uint64_t hash) BW_NODISCARD;

/**
 * bw_hll_add_hash of each of the `n` hashes (the same sketch, byte for byte),
 * cheaper once the sketch is dense. On failure (BW_ENOMEM) the hashes before
 * some x[i] have been added.
 */
BW_API bw_status bw_hll_add_hashes(bw_hll *h, const uint64_t *x, size_t n) BW_NODISCARD;

/**
 * Add everything in `src` to `dst`. Sketches of different precision merge
 * at the smaller one: `dst` is folded down first, exactly, so the result is
 * what a sketch of that precision would have seen. `src` may be `dst`.
 * On failure (BW_ENOMEM) `dst` is unchanged.
 */
BW_API bw_status bw_hll_merge(bw_hll *dst, const bw_hll *src) BW_NODISCARD;

/** The estimated number of distinct values; exact while bw_hll_is_exact(). */
BW_API double bw_hll_estimate(const bw_hll *h);
/** bw_hll_estimate rounded to the nearest integer. */
BW_API uint64_t bw_hll_count(const bw_hll *h);
/** 1 while the sketch still keeps every distinct hash (the count is exact), else 0. */
BW_API int bw_hll_is_exact(const bw_hll *h);
/**
 * Give up exactness now: the sketch turns into registers, as when its exact
 * set fills. For a part of an input whose merged count is an estimate anyway
 * (the merge of registers is the same whichever way they were filled); it
 * saves the exact phase. @return BW_OK, BW_ENOMEM (the sketch unchanged)
 */
BW_API bw_status bw_hll_make_dense(bw_hll *h) BW_NODISCARD;
BW_API unsigned bw_hll_precision(const bw_hll *h);

/** Append the serialised sketch to `out`. The bytes depend only on what was added, not on the order. */
BW_API bw_status bw_hll_serialize(const bw_hll *h, bw_buf *out) BW_NODISCARD;
/**
 * Read one serialised HLL sketch at the cursor, which moves past it (so a
 * container can hold several). Free the result with bw_hll_free(). Errors
 * are recorded in the reader's bw_error, with the offset.
 * @return BW_OK, BW_EFORMAT (malformed) or BW_ENOMEM
 */
BW_API bw_status bw_hll_read(bw_hll **out, bw_rd *rd) BW_NODISCARD;
/** bw_hll_read over exactly `n` bytes at `p`: trailing bytes are BW_EFORMAT. */
BW_API bw_status bw_hll_deserialize(bw_hll **out, const void *p, size_t n, bw_error *err) BW_NODISCARD;

/* ---- quantiles: KLL --------------------------------------------------- */

#define BW_KLL_MIN_K 8
#define BW_KLL_MAX_K 32768
#define BW_KLL_DEFAULT_K 200
/** Level h holds items of weight 2^h; more levels than this would need over 2^59 values. */
#define BW_KLL_MAX_LEVELS 60

typedef struct bw_kll bw_kll;

/**
 * A new, empty KLL sketch with accuracy parameter `k` (BW_KLL_MIN_K to
 * BW_KLL_MAX_K; 0 means BW_KLL_DEFAULT_K). Memory is about 3k doubles.
 * `seed` starts the generator of the compaction coin flips (0 picks a fixed
 * default), so the same input in the same order gives the same sketch.
 * Free with bw_kll_free().
 * @return BW_OK, BW_EINVAL (k out of range) or BW_ENOMEM
 */
BW_API bw_status bw_kll_new(bw_kll **out, unsigned k, uint64_t seed, bw_error *err) BW_NODISCARD;
BW_API void bw_kll_free(bw_kll *s);

/**
 * Add one value. NaN is ignored (counting NaNs is the caller's business);
 * infinities are values. On failure (BW_ENOMEM, or BW_ELIMIT after 2^64
 * values) the sketch is unchanged.
 */
BW_API bw_status bw_kll_add(bw_kll *s, double x) BW_NODISCARD;

/**
 * Add `n` values, exactly as bw_kll_add of each in order would (the same
 * sketch, byte for byte), without the per-value call. On failure (BW_ENOMEM,
 * BW_ELIMIT) the values before some x[i] have been added and the rest not.
 */
BW_API bw_status bw_kll_add_many(bw_kll *s, const double *x, size_t n) BW_NODISCARD;

/**
 * Add the `n` values of a batch at once, NaNs dropped, as one sorted run
 * halved level by level -- the odd item out stays, of each pair one item by a
 * coin flip moves up with twice the weight, which is a compaction -- until it
 * fits the level it reaches, then merged there; then the usual compactions.
 * Only the items the halvings keep are found (their ranks are known before
 * the values are looked at: a bucketed selection, not a sort), and they are
 * the ones a full sort would give. Within the same error bound as n single
 * adds (each level the run passes takes one compaction of the whole run,
 * where single adds make one per capacity's worth), not the same bytes;
 * several times cheaper for a batch of thousands of values. x[0..n) and
 * `scratch` (n values) are workspace: x's contents are unspecified after the
 * call. A small batch (under 256 values) goes through bw_kll_add_many. A
 * batch of more than 2^31 values is BW_EINVAL. On BW_ENOMEM from a
 * compaction the sketch holds the values but may be over its capacity (free
 * it); on any other failure it is unchanged.
 * @return BW_OK, BW_ENOMEM, BW_ELIMIT (2^64 values), BW_EINVAL (n > 2^31)
 */
BW_API bw_status bw_kll_add_run(bw_kll *s, double *x, size_t n, uint64_t *scratch) BW_NODISCARD;

/**
 * Add value x[i] w[i] times, for each i (NaN values and zero weights are
 * ignored): an item at level h for each set bit h of the weight, which
 * represents the values exactly, then the usual compactions. Within the same
 * error bound as the adds it stands for (not the same bytes); cheap when few
 * distinct values carry many rows. A weight of 2^59 or more is BW_ELIMIT.
 * On BW_ENOMEM from a compaction the sketch holds the values but may be over
 * its capacity (it no longer serialises to bytes the reader accepts): free it.
 * @return BW_OK, BW_ENOMEM, BW_ELIMIT (the sketch unchanged, except as said)
 */
BW_API bw_status bw_kll_add_weighted(bw_kll *s, const double *x, const uint64_t *w, size_t n) BW_NODISCARD;

/**
 * Add everything in `src` to `dst`. Both must have the same k (BW_EINVAL
 * otherwise); the error bound of the result is that of one sketch over all
 * the values; the coin flips continue from `dst`'s generator. `src` may be
 * `dst`. On failure (BW_EINVAL, BW_ENOMEM, BW_ELIMIT) `dst` is unchanged.
 */
BW_API bw_status bw_kll_merge(bw_kll *dst, const bw_kll *src) BW_NODISCARD;

/** Values added (NaNs not counted). */
BW_API uint64_t bw_kll_count(const bw_kll *s);
/** The exact smallest and largest values added; NaN while the sketch is empty. */
BW_API double bw_kll_min(const bw_kll *s);
BW_API double bw_kll_max(const bw_kll *s);
BW_API unsigned bw_kll_k(const bw_kll *s);

/**
 * The estimated fraction of values <= x, in [0, 1]; NaN for an empty sketch
 * or a NaN `x`. Exact (0 or 1) outside [min, max].
 */
BW_API double bw_kll_rank(const bw_kll *s, double x);

/**
 * The value at each normalised rank qs[i] (0 to 1) into out[i]: the
 * smallest retained value whose estimated rank reaches q. q = 0 gives the
 * exact minimum and q = 1 the exact maximum. Sorts the retained values
 * once for all `n` queries.
 * @return BW_OK, BW_EINVAL (a q outside [0, 1] or NaN; an empty sketch) or BW_ENOMEM
 */
BW_API bw_status bw_kll_quantiles(const bw_kll *s, const double *qs, size_t n, double *out) BW_NODISCARD;
/** One quantile: bw_kll_quantiles with n = 1. */
BW_API bw_status bw_kll_quantile(const bw_kll *s, double q, double *out) BW_NODISCARD;

/** Append the serialised sketch to `out` (the generator state included). */
BW_API bw_status bw_kll_serialize(const bw_kll *s, bw_buf *out) BW_NODISCARD;
/** Read one serialised KLL sketch at the cursor (see bw_hll_read). */
BW_API bw_status bw_kll_read(bw_kll **out, bw_rd *rd) BW_NODISCARD;
BW_API bw_status bw_kll_deserialize(bw_kll **out, const void *p, size_t n, bw_error *err) BW_NODISCARD;

/* ---- top values: SpaceSaving ----------------------------------------- */

#define BW_TOPK_DEFAULT_CAPACITY 128
#define BW_TOPK_MAX_CAPACITY 65536
/** Values are truncated to this many bytes before they are counted. */
#define BW_TOPK_MAX_KEY 256

typedef struct bw_topk bw_topk;

/**
 * One reported value. `count` is an upper bound on how often the value was
 * added and `count - err` a lower bound (err is 0 while the sketch is
 * exact). `key` is borrowed from the sketch and valid until it is next
 * changed or freed.
 */
typedef struct bw_topk_item {
    const uint8_t *key;
    size_t len;
    uint64_t count;
    uint64_t err;
    int truncated; /**< the value was longer than BW_TOPK_MAX_KEY and is its prefix */
} bw_topk_item;

/**
 * A new, empty SpaceSaving sketch with `capacity` counters (1 to
 * BW_TOPK_MAX_CAPACITY; 0 means BW_TOPK_DEFAULT_CAPACITY). Free with
 * bw_topk_free().
 * @return BW_OK, BW_EINVAL or BW_ENOMEM
 */
BW_API bw_status bw_topk_new(bw_topk **out, unsigned capacity, bw_error *err) BW_NODISCARD;
BW_API void bw_topk_free(bw_topk *t);

/**
 * Count one occurrence of the `n` bytes at `p` (NULL allowed when n is 0;
 * bytes past BW_TOPK_MAX_KEY are ignored). On failure (BW_ENOMEM, or
 * BW_ELIMIT after 2^64 values) the sketch is unchanged.
 */
BW_API bw_status bw_topk_add(bw_topk *t, const void *p, size_t n) BW_NODISCARD;

/**
 * Add `src`'s counts to `dst` (after Agarwal et al., "Mergeable summaries",
 * 2012): a value missing from one side is charged that side's floor as both
 * count and error, then the `dst` capacity largest are kept and the floor
 * becomes the sum of the floors or the largest count dropped. Exact + exact
 * stays exact while the union fits. `src` may be `dst`. On failure (BW_ENOMEM,
 * or BW_ELIMIT when the totals overflow) `dst` is unchanged.
 */
BW_API bw_status bw_topk_merge(bw_topk *dst, const bw_topk *src) BW_NODISCARD;

/**
 * Merge a summary of another stream given as items rather than a sketch:
 * the stream had `total` values; `items` are distinct values (keys compared
 * on their first BW_TOPK_MAX_KEY bytes, longer ones marked truncated) with
 * an upper bound `count` each and `count - err` a lower bound; `floor`
 * bounds how often any value not listed occurred (0: the items are every
 * value with its exact count). The result is what bw_topk_merge of a
 * sketch holding those counters gives, byte for byte. This is how a caller
 * that counted a batch exactly (say a hash table of its values) feeds the
 * top values without building a sketch. Rules: n <= BW_TOPK_MAX_CAPACITY,
 * floor <= total, each count >= 1, <= total and > err, err 0 when floor
 * is 0 (then the counts add up to total), no key twice.
 * @return BW_OK, BW_EINVAL (a rule broken; dst unchanged), BW_ENOMEM, BW_ELIMIT
 */
BW_API bw_status bw_topk_merge_items(bw_topk *dst, const bw_topk_item *items, size_t n, uint64_t total,
                                     uint64_t floor) BW_NODISCARD;

/** Values added. */
BW_API uint64_t bw_topk_total(const bw_topk *t);
/** Values tracked (at most the capacity). */
BW_API size_t bw_topk_size(const bw_topk *t);
BW_API unsigned bw_topk_capacity(const bw_topk *t);
/** 1 while every distinct value has its own counter and counts are exact, else 0. */
BW_API int bw_topk_is_exact(const bw_topk *t);
/**
 * A bound on how often any value without a counter occurred: 0 while
 * exact, at most total / capacity for a sketch built in one pass. A value
 * seen more often than this is always among the counters.
 */
BW_API uint64_t bw_topk_floor(const bw_topk *t);

/**
 * The up to `max` most frequent values into out[0..*n), by count
 * descending, then key bytes ascending (shorter first on a common prefix).
 * @return BW_OK or BW_ENOMEM
 */
BW_API bw_status bw_topk_items(const bw_topk *t, bw_topk_item *out, size_t max, size_t *n) BW_NODISCARD;

/** Append the serialised sketch to `out`. */
BW_API bw_status bw_topk_serialize(const bw_topk *t, bw_buf *out) BW_NODISCARD;
/** Read one serialised top-k sketch at the cursor (see bw_hll_read). */
BW_API bw_status bw_topk_read(bw_topk **out, bw_rd *rd) BW_NODISCARD;
BW_API bw_status bw_topk_deserialize(bw_topk **out, const void *p, size_t n, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
