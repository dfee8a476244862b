/*
 * pq_internal.h - what the Parquet column reader's files share: the page
 * value decoders (decode.c) and the page codecs (codec.c). Not installed;
 * tests may include it.
 *
 * Every decoder reads from a pq_in, a window p[0..n) of one page whose first
 * byte is at file offset `origin`; it checks each count, length and bit
 * width against the bytes left and fails with BW_EFORMAT and a message
 * "<name>: offset <n>: ..." naming the file offset of the bad byte (for a
 * compressed page, the offset of the page's data: decompressed bytes have no
 * file offset of their own).
 */
#ifndef BW_PQ_INTERNAL_H
#define BW_PQ_INTERNAL_H

#include "util/internal.h"

#include "bulwark/bw_parquet.h"

/* Values of one data page (also dictionary entries): more is BW_ELIMIT. */
#define PQ_MAX_PAGE_VALUES ((size_t)1 << 24)
/* Bytes of one page, compressed or not, and of one column chunk. */
#define PQ_MAX_PAGE_BYTES ((size_t)256 << 20)
#define PQ_MAX_CHUNK_BYTES ((uint64_t)256 << 20)
/* DELTA_BINARY_PACKED: values in one block. */
#define PQ_MAX_DELTA_BLOCK ((uint64_t)1 << 16)

typedef struct pq_in {
    const uint8_t *p;
    size_t n;
    size_t pos;
    uint64_t origin; /* file offset of p[0] (of the page data when it was compressed) */
    bool exact;      /* p is the file's own bytes: offsets are exact */
    const char *name;
    bw_error *err;
} pq_in;

/* A byte array value: p[0..n). */
typedef struct pq_span {
    const uint8_t *p;
    uint32_t n;
} pq_span;

/* A buffer reused from page to page. */
typedef struct pq_buf {
    uint8_t *p;
    size_t cap;
} pq_buf;

BW_INTERNAL bw_status pq_buf_reserve(pq_buf *b, size_t n);
BW_INTERNAL void pq_buf_release(pq_buf *b);

/* Record BW_EFORMAT (or `code`) at in->origin + pos. */
BW_INTERNAL bw_status pq_fail(pq_in *in, bw_status code, size_t pos, const char *fmt, ...) BW_PRINTF(4, 5);

/* Bits needed for values 0..max. */
static inline unsigned pq_bit_width(uint64_t max)
{
    return max == 0 ? 0 : 64u - (unsigned)__builtin_clzll(max);
}

/*
 * Unpack n values of `width` bits (LSB first, the Parquet bit-packing) from
 * p, which holds at least ceil(n * width / 8) bytes. width <= 32 / <= 64.
 */
BW_INTERNAL void pq_unpack32(const uint8_t *p, unsigned width, size_t n, uint32_t *out);
BW_INTERNAL void pq_unpack64(const uint8_t *p, unsigned width, size_t n, uint64_t *out);

/*
 * The RLE / bit-packed hybrid: decode exactly `count` values of `width`
 * (<= 32) bits from in->p[in->pos .. end), moving in->pos past the runs
 * read. Runs may extend past `count` (the last bit-packed group is padded);
 * too few values before `end` is BW_EFORMAT. Every value must be <= max.
 */
BW_INTERNAL bw_status pq_hybrid32(pq_in *in, size_t end, unsigned width, uint32_t max, uint32_t *out, size_t count);
/* The same into bytes (levels), width <= 8. */
BW_INTERNAL bw_status pq_hybrid8(pq_in *in, size_t end, unsigned width, uint8_t max, uint8_t *out, size_t count);

/*
 * DELTA_BINARY_PACKED at in->pos: the header's total value count must be
 * `count`; values are computed in wrapping 64-bit arithmetic (an INT32
 * column keeps the low 32 bits) and miniblock widths are <= `max_width`
 * (32 for INT32, 64 for INT64). in->pos ends after the last miniblock.
 * `tmp` is scratch; the values go to out[0..count).
 */
BW_INTERNAL bw_status pq_delta(pq_in *in, unsigned max_width, size_t count, uint64_t *out);

/*
 * DELTA_LENGTH_BYTE_ARRAY (lengths, then the bytes) and DELTA_BYTE_ARRAY
 * (prefix lengths, then suffixes as DELTA_LENGTH_BYTE_ARRAY) of `count`
 * values at in->pos. Spans of DELTA_LENGTH point into in->p; those of
 * DELTA_BYTE_ARRAY into `own`, which is grown as needed. `lens` is scratch
 * for 2 * count uint64 values.
 */
BW_INTERNAL bw_status pq_delta_length(pq_in *in, size_t count, pq_buf *lens, pq_span *out);
BW_INTERNAL bw_status pq_delta_bytes(pq_in *in, size_t count, pq_buf *lens, pq_buf *own, pq_span *out);

/* BYTE_STREAM_SPLIT of count values of `width` bytes: in->n - in->pos must be count * width. */
BW_INTERNAL bw_status pq_byte_stream_split(pq_in *in, size_t width, size_t count, uint8_t *out);

/* PLAIN BYTE_ARRAY: count values (u32le length + bytes) at in->pos. */
BW_INTERNAL bw_status pq_plain_bytes(pq_in *in, size_t count, pq_span *out);

/* ---- codecs (codec.c) ---- */

typedef struct pq_codecs pq_codecs;
BW_INTERNAL pq_codecs *pq_codecs_new(void);
BW_INTERNAL void pq_codecs_free(pq_codecs *c);
/*
 * Decompress src[0..n) (at file offset `origin`) with `codec` into exactly
 * dst[0..dn): a result of another size is BW_EFORMAT. LZO, BROTLI and
 * unknown codecs, and SNAPPY when libsnappy cannot be loaded, are
 * BW_EUNSUPPORTED.
 */
BW_INTERNAL bw_status pq_decompress(pq_codecs *c, int32_t codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dn,
                                    const char *name, uint64_t origin, bw_error *err);
/* True when libsnappy can be loaded (for tests). */
BW_INTERNAL bool pq_snappy_available(void);

#endif
