/*
 * bw_rd.h - the bounded reader: the only way parsers touch untrusted bytes.
 *
 * A bw_rd is a cursor over a borrowed byte range. Every read checks the bytes
 * left before it moves. A failed read records BW_EFORMAT (or the code given
 * to bw_rd_fail) with the absolute byte offset in the reader's bw_error and
 * poisons the reader: every later read fails with the same code and moves
 * nothing, so a missed check can never become an out-of-bounds read.
 *
 * Invariant (bw_rd_valid): pos <= len, and base != NULL whenever len > 0.
 */
#ifndef BULWARK_BW_RD_H
#define BULWARK_BW_RD_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_rd {
    const uint8_t *base; /**< first byte of the range */
    size_t len;          /**< bytes in the range */
    size_t pos;          /**< next byte to read */
    uint64_t origin;     /**< absolute offset of base in the whole input */
    bw_status st;        /**< BW_OK, or the failure that poisoned the reader */
    bw_error *err;       /**< where failures are recorded; may be NULL */
    const char *name;    /**< what is being read, for messages ("model.pkl"); may be NULL */
} bw_rd;

/** Start reading `len` bytes at `p`. `name` (borrowed) prefixes messages. */
BW_API void bw_rd_init(bw_rd *rd, const void *p, size_t len, const char *name, bw_error *err);
/**
 * A reader over the next `n` bytes of `rd`, which skips past them. On
 * failure `sub` is an empty reader already in the failed state, so a caller
 * that misses the status still cannot read through it.
 */
BW_API bw_status bw_rd_sub(bw_rd *rd, size_t n, bw_rd *sub) BW_NODISCARD;

BW_API int bw_rd_valid(const bw_rd *rd);
static inline size_t bw_rd_left(const bw_rd *rd)
{
    return rd->st == BW_OK ? rd->len - rd->pos : 0;
}
static inline uint64_t bw_rd_offset(const bw_rd *rd)
{
    return rd->origin + rd->pos;
}
static inline int bw_rd_eof(const bw_rd *rd)
{
    return rd->st != BW_OK || rd->pos == rd->len;
}

BW_API bw_status bw_rd_u8(bw_rd *rd, uint8_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_u16le(bw_rd *rd, uint16_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_u16be(bw_rd *rd, uint16_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_u32le(bw_rd *rd, uint32_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_u32be(bw_rd *rd, uint32_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_u64le(bw_rd *rd, uint64_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_u64be(bw_rd *rd, uint64_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_i32le(bw_rd *rd, int32_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_i64le(bw_rd *rd, int64_t *v) BW_NODISCARD;
BW_API bw_status bw_rd_f32le(bw_rd *rd, float *v) BW_NODISCARD;
BW_API bw_status bw_rd_f64le(bw_rd *rd, double *v) BW_NODISCARD;
/** Unsigned LEB128 (protobuf, Thrift compact) of at most 10 bytes; rejects overflow past 64 bits. */
BW_API bw_status bw_rd_uvarint(bw_rd *rd, uint64_t *v) BW_NODISCARD;
/** Zigzag-encoded signed LEB128. */
BW_API bw_status bw_rd_svarint(bw_rd *rd, int64_t *v) BW_NODISCARD;
/** A view of the next `n` bytes (borrowed from the input); moves past them. */
BW_API bw_status bw_rd_view(bw_rd *rd, size_t n, bw_bytes *out) BW_NODISCARD;
/** Copy the next `n` bytes into `dst`. */
BW_API bw_status bw_rd_copy(bw_rd *rd, void *dst, size_t n) BW_NODISCARD;
BW_API bw_status bw_rd_skip(bw_rd *rd, size_t n) BW_NODISCARD;
/** The next byte without moving; fails at the end. */
BW_API bw_status bw_rd_peek(const bw_rd *rd, uint8_t *v) BW_NODISCARD;
/** A view up to (not including) the first `delim`, moving past the delimiter. */
BW_API bw_status bw_rd_until(bw_rd *rd, uint8_t delim, bw_bytes *out) BW_NODISCARD;

/**
 * Record a failure at the current offset, poison the reader and return
 * `code`. The message is prefixed with the reader's name and the offset:
 * "model.pkl: offset 17: <msg>". A reader already poisoned keeps its first error.
 */
BW_API bw_status bw_rd_fail(bw_rd *rd, bw_status code, const char *fmt, ...) BW_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif
#endif
