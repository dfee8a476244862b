/*
 * decode.c - Parquet value encodings, from apache/parquet-format
 * Encodings.md: bit-packing (LSB first), the RLE / bit-packed hybrid,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT and PLAIN byte arrays. PLAIN fixed-width values need no
 * decoding (the page bytes are the values, little-endian).
 *
 * Every count and length read from the page is a claim: it is compared with
 * the bytes left before anything is written or allocated, and the output
 * arrays are sized by the caller from the page header's value count, which
 * the reader caps (PQ_MAX_PAGE_VALUES). Runs that decode past the count the
 * caller asked for are cut, never written past. Values are decoded in tight
 * loops with 64-bit little-endian loads (the build targets x86_64).
 */
#include <inttypes.h>

#include "formats/parquet/pq_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet decoders assume a little-endian machine"
#endif

bw_status pq_buf_reserve(pq_buf *b, size_t n)
{
    if (n <= b->cap && b->p != NULL) {
        return BW_OK;
    }
    size_t cap = b->cap < 256 ? 256 : b->cap;
    while (cap < n) {
        cap = cap > SIZE_MAX / 2 ? n : cap * 2;
    }
    uint8_t *p = bw_realloc(b->p, cap);
    if (p == NULL) {
        return BW_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return BW_OK;
}

void pq_buf_release(pq_buf *b)
{
    BW_FREE(b->p);
    b->cap = 0;
}

bw_status pq_fail(pq_in *in, bw_status code, size_t pos, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (in->exact) {
        return bw_fail_at(in->err, code, in->origin + pos, "%s: offset %" PRIu64 ": %s", in->name, in->origin + pos,
                          msg);
    }
    return bw_fail_at(in->err, code, in->origin, "%s: offset %" PRIu64 ": page data byte %zu: %s", in->name, in->origin,
                      pos, msg);
}

/* Up to 8 bytes at p[at..), zero past nbytes. */
static inline uint64_t load_le(const uint8_t *p, size_t at, size_t nbytes)
{
    uint64_t v = 0;

    if (at + 8 <= nbytes) {
        memcpy(&v, p + at, 8);
    } else if (at < nbytes) {
        memcpy(&v, p + at, nbytes - at);
    }
    return v;
}

void pq_unpack32(const uint8_t *p, unsigned width, size_t n, uint32_t *out)
{
    if (width == 0) {
        memset(out, 0, n * sizeof(*out));
        return;
    }
    const uint64_t mask = width >= 32 ? 0xffffffffu : (((uint64_t)1 << width) - 1);
    const size_t nbytes = (n * width + 7) / 8;
    size_t i = 0, bit = 0;

    /* whole 8-byte loads while they stay inside the packed bytes */
    for (; i < n && (bit >> 3) + 8 <= nbytes; i++, bit += width) {
        uint64_t v;
        memcpy(&v, p + (bit >> 3), 8);
        out[i] = (uint32_t)((v >> (bit & 7)) & mask);
    }
    for (; i < n; i++, bit += width) {
        out[i] = (uint32_t)((load_le(p, bit >> 3, nbytes) >> (bit & 7)) & mask);
    }
}

void pq_unpack64(const uint8_t *p, unsigned width, size_t n, uint64_t *out)
{
    if (width == 0) {
        memset(out, 0, n * sizeof(*out));
        return;
    }
    if (width <= 32) {
        /* the common case: reuse the 32-bit loop's shape */
        const uint64_t mask = width == 32 ? 0xffffffffu : (((uint64_t)1 << width) - 1);
        const size_t nbytes = (n * width + 7) / 8;
        size_t bit = 0;
        for (size_t i = 0; i < n; i++, bit += width) {
            out[i] = (load_le(p, bit >> 3, nbytes) >> (bit & 7)) & mask;
        }
        return;
    }
    const uint64_t mask = width == 64 ? UINT64_MAX : (((uint64_t)1 << width) - 1);
    const size_t nbytes = (n * width + 7) / 8;
    size_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += width) {
        unsigned s = (unsigned)(bit & 7);
        uint64_t v = load_le(p, bit >> 3, nbytes) >> s;
        if (s + width > 64) {
            v |= load_le(p, (bit >> 3) + 8, nbytes) << (64 - s);
        }
        out[i] = v & mask;
    }
}

/* An unsigned LEB128 varint in p[pos..end). */
static bw_status uvarint(pq_in *in, size_t end, uint64_t *v, const char *what)
{
    uint64_t x = 0;
    size_t at = in->pos;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (in->pos >= end) {
            return pq_fail(in, BW_EFORMAT, at, "%s: truncated varint", what);
        }
        uint8_t b = in->p[in->pos++];
        if (shift == 63 && b > 1) {
            return pq_fail(in, BW_EFORMAT, at, "%s: varint over 64 bits", what);
        }
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return BW_OK;
        }
    }
    return pq_fail(in, BW_EFORMAT, at, "%s: varint over 64 bits", what);
}

static bw_status zvarint(pq_in *in, size_t end, int64_t *v, const char *what)
{
    uint64_t u;

    BW_TRY(uvarint(in, end, &u, what));
    *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    return BW_OK;
}

#define PQ_HYBRID(NAME, T, MAXW)                                                                                       \
    bw_status NAME(pq_in *in, size_t end, unsigned width, T max, T *out, size_t count)                                 \
    {                                                                                                                  \
        const size_t vbytes = (width + 7) / 8;                                                                         \
        const uint64_t mask = width == 0 ? 0 : width >= 64 ? UINT64_MAX : (((uint64_t)1 << width) - 1);                \
        size_t got = 0;                                                                                                \
        if (width > (MAXW)) {                                                                                          \
            return pq_fail(in, BW_EFORMAT, in->pos, "RLE/bit-packed bit width %u over %u", width, (unsigned)(MAXW));   \
        }                                                                                                              \
        if (end > in->n) {                                                                                             \
            end = in->n;                                                                                               \
        }                                                                                                              \
        while (got < count) {                                                                                          \
            size_t at = in->pos;                                                                                       \
            uint64_t h;                                                                                                \
            if (at >= end) {                                                                                           \
                return pq_fail(in, BW_EFORMAT, at, "RLE/bit-packed data ends after %zu of %zu values", got, count);    \
            }                                                                                                          \
            BW_TRY(uvarint(in, end, &h, "RLE/bit-packed run header"));                                                 \
            size_t want = count - got;                                                                                 \
            if (h & 1) {                                                                                               \
                uint64_t groups = h >> 1, bytes;                                                                       \
                size_t left = end - in->pos;                                                                           \
                if (width > 0 && groups > left / width) {                                                              \
                    return pq_fail(in, BW_EFORMAT, at,                                                                 \
                                   "bit-packed run of %" PRIu64 " groups of %u bits, %zu bytes left", groups, width,   \
                                   left);                                                                              \
                }                                                                                                      \
                bytes = groups * width;                                                                                \
                size_t take = groups >= (want + 7) / 8 ? want : (size_t)groups * 8;                                    \
                T *o = out + got;                                                                                      \
                if (sizeof(T) == 4) {                                                                                  \
                    pq_unpack32(in->p + in->pos, width, take, (uint32_t *)(void *)o);                                  \
                } else {                                                                                               \
                    size_t bit = 0, nb = (take * width + 7) / 8;                                                       \
                    for (size_t i = 0; i < take; i++, bit += width) {                                                  \
                        o[i] = (T)((load_le(in->p + in->pos, bit >> 3, nb) >> (bit & 7)) & mask);                      \
                    }                                                                                                  \
                }                                                                                                      \
                if ((uint64_t)max < mask) {                                                                            \
                    T worst = 0;                                                                                       \
                    for (size_t i = 0; i < take; i++) {                                                                \
                        worst = o[i] > worst ? o[i] : worst;                                                           \
                    }                                                                                                  \
                    if (worst > max) {                                                                                 \
                        return pq_fail(in, BW_EFORMAT, at, "bit-packed value %" PRIu64 " over the maximum %" PRIu64,   \
                                       (uint64_t)worst, (uint64_t)max);                                                \
                    }                                                                                                  \
                }                                                                                                      \
                in->pos += (size_t)bytes;                                                                              \
                got += take;                                                                                           \
            } else {                                                                                                   \
                uint64_t run = h >> 1, v = 0;                                                                          \
                if (end - in->pos < vbytes) {                                                                          \
                    return pq_fail(in, BW_EFORMAT, at, "RLE run value truncated");                                     \
                }                                                                                                      \
                for (size_t k = 0; k < vbytes; k++) {                                                                  \
                    v |= (uint64_t)in->p[in->pos + k] << (8 * k);                                                      \
                }                                                                                                      \
                if (v > mask || v > (uint64_t)max) {                                                                   \
                    return pq_fail(in, BW_EFORMAT, in->pos, "RLE run value %" PRIu64 " over the maximum %" PRIu64, v,  \
                                   (uint64_t)(max < mask ? max : mask));                                               \
                }                                                                                                      \
                in->pos += vbytes;                                                                                     \
                size_t take = run < want ? (size_t)run : want;                                                         \
                T *o = out + got;                                                                                      \
                if (sizeof(T) == 1) {                                                                                  \
                    memset(o, (int)v, take);                                                                           \
                } else {                                                                                               \
                    for (size_t i = 0; i < take; i++) {                                                                \
                        o[i] = (T)v;                                                                                   \
                    }                                                                                                  \
                }                                                                                                      \
                got += take;                                                                                           \
            }                                                                                                          \
        }                                                                                                              \
        return BW_OK;                                                                                                  \
    }

PQ_HYBRID(pq_hybrid32, uint32_t, 32)
PQ_HYBRID(pq_hybrid8, uint8_t, 8)

bw_status pq_delta(pq_in *in, unsigned max_width, size_t count, uint64_t *out)
{
    const size_t end = in->n;
    size_t at = in->pos;
    uint64_t block, nmb, total;
    int64_t first;

    BW_TRY(uvarint(in, end, &block, "DELTA_BINARY_PACKED block size"));
    BW_TRY(uvarint(in, end, &nmb, "DELTA_BINARY_PACKED miniblock count"));
    BW_TRY(uvarint(in, end, &total, "DELTA_BINARY_PACKED value count"));
    BW_TRY(zvarint(in, end, &first, "DELTA_BINARY_PACKED first value"));
    if (block == 0 || block % 128 != 0 || block > PQ_MAX_DELTA_BLOCK) {
        return pq_fail(in, BW_EFORMAT, at,
                       "DELTA_BINARY_PACKED block size %" PRIu64 " is not a multiple of 128 up to %" PRIu64, block,
                       PQ_MAX_DELTA_BLOCK);
    }
    if (nmb == 0 || block % nmb != 0 || (block / nmb) % 32 != 0) {
        return pq_fail(in, BW_EFORMAT, at,
                       "DELTA_BINARY_PACKED: %" PRIu64 " miniblocks do not split a block of %" PRIu64
                       " into multiples of 32",
                       nmb, block);
    }
    if (total != count) {
        return pq_fail(in, BW_EFORMAT, at, "DELTA_BINARY_PACKED header says %" PRIu64 " values, the page %zu", total,
                       count);
    }
    if (count == 0) {
        return BW_OK;
    }
    const size_t per = (size_t)(block / nmb);
    size_t got = 1;
    uint64_t last = (uint64_t)first;

    out[0] = last;
    while (got < count) {
        int64_t min_delta;
        size_t wat;

        BW_TRY(zvarint(in, end, &min_delta, "DELTA_BINARY_PACKED min delta"));
        wat = in->pos;
        if (end - in->pos < nmb) {
            return pq_fail(in, BW_EFORMAT, wat, "DELTA_BINARY_PACKED miniblock bit widths truncated");
        }
        in->pos += (size_t)nmb;
        for (size_t m = 0; m < nmb && got < count; m++) {
            unsigned w = in->p[wat + m];
            if (w > max_width) {
                return pq_fail(in, BW_EFORMAT, wat + m, "DELTA_BINARY_PACKED miniblock bit width %u over %u", w,
                               max_width);
            }
            size_t bytes = per * w / 8;
            if (end - in->pos < bytes) {
                return pq_fail(in, BW_EFORMAT, in->pos,
                               "DELTA_BINARY_PACKED miniblock of %zu bytes, %zu left (%zu of %zu values read)", bytes,
                               end - in->pos, got, count);
            }
            size_t take = BW_MIN(per, count - got);
            uint64_t *o = out + got;
            pq_unpack64(in->p + in->pos, w, take, o);
            for (size_t i = 0; i < take; i++) {
                last = last + (uint64_t)min_delta + o[i];
                o[i] = last;
            }
            in->pos += bytes;
            got += take;
        }
    }
    return BW_OK;
}

/* Lengths (count of them, already decoded) then the bytes: spans into in->p. */
static bw_status spans_from_lengths(pq_in *in, const uint64_t *lens, size_t count, pq_span *out, const char *what)
{
    size_t at = in->pos;

    for (size_t i = 0; i < count; i++) {
        int32_t l = (int32_t)(uint32_t)lens[i];
        if (l < 0) {
            return pq_fail(in, BW_EFORMAT, at, "%s: value %zu has a negative length %" PRId32, what, i, l);
        }
        if ((size_t)l > in->n - in->pos) {
            return pq_fail(in, BW_EFORMAT, in->pos, "%s: value %zu of %" PRId32 " bytes, %zu left", what, i, l,
                           in->n - in->pos);
        }
        out[i].p = in->p + in->pos;
        out[i].n = (uint32_t)l;
        in->pos += (size_t)l;
    }
    return BW_OK;
}

bw_status pq_delta_length(pq_in *in, size_t count, pq_buf *lens, pq_span *out)
{
    size_t bytes;

    if (!bw_mul_ok(count, sizeof(uint64_t), &bytes) || pq_buf_reserve(lens, bytes) != BW_OK) {
        return bw_fail(in->err, BW_ENOMEM, "%s: out of memory", in->name);
    }
    BW_TRY(pq_delta(in, 32, count, (uint64_t *)(void *)lens->p));
    return spans_from_lengths(in, (const uint64_t *)(const void *)lens->p, count, out, "DELTA_LENGTH_BYTE_ARRAY");
}

bw_status pq_delta_bytes(pq_in *in, size_t count, pq_buf *lens, pq_buf *own, pq_span *out)
{
    size_t bytes, at = in->pos;
    uint64_t *pre, *suf;

    if (!bw_mul_ok(count, 2 * sizeof(uint64_t), &bytes) || pq_buf_reserve(lens, bytes) != BW_OK) {
        return bw_fail(in->err, BW_ENOMEM, "%s: out of memory", in->name);
    }
    pre = (uint64_t *)(void *)lens->p;
    suf = pre + count;
    BW_TRY(pq_delta(in, 32, count, pre));
    BW_TRY(pq_delta(in, 32, count, suf));
    BW_TRY(spans_from_lengths(in, suf, count, out, "DELTA_BYTE_ARRAY suffix"));
    /* the values' total size, then build them: value i = value i-1's first pre[i] bytes + suffix i */
    uint64_t total = 0, prev = 0;
    for (size_t i = 0; i < count; i++) {
        int32_t p = (int32_t)(uint32_t)pre[i];
        if (p < 0 || (uint64_t)p > prev) {
            return pq_fail(in, BW_EFORMAT, at,
                           "DELTA_BYTE_ARRAY: value %zu keeps a prefix of %" PRId32 " bytes of a value of %" PRIu64, i,
                           p, prev);
        }
        prev = (uint64_t)p + out[i].n;
        if (prev > UINT32_MAX) {
            return pq_fail(in, BW_ELIMIT, at, "DELTA_BYTE_ARRAY: value %zu over 4 GiB", i);
        }
        total += prev;
        if (total > PQ_MAX_PAGE_BYTES * 4) {
            return pq_fail(in, BW_ELIMIT, at, "DELTA_BYTE_ARRAY: values over %zu bytes", PQ_MAX_PAGE_BYTES * 4);
        }
    }
    if (pq_buf_reserve(own, (size_t)total + 1) != BW_OK) {
        return bw_fail(in->err, BW_ENOMEM, "%s: out of memory", in->name);
    }
    uint8_t *w = own->p;
    const uint8_t *last = w;
    for (size_t i = 0; i < count; i++) {
        size_t p = (size_t)(uint32_t)pre[i];
        uint8_t *start = w;
        if (p > 0) {
            memmove(w, last, p);
        }
        if (out[i].n > 0) {
            memcpy(w + p, out[i].p, out[i].n);
        }
        w += p + out[i].n;
        out[i].p = start;
        out[i].n = (uint32_t)(p + out[i].n);
        last = start;
    }
    return BW_OK;
}

bw_status pq_byte_stream_split(pq_in *in, size_t width, size_t count, uint8_t *out)
{
    size_t bytes;

    if (!bw_mul_ok(width, count, &bytes) || bytes != in->n - in->pos) {
        return pq_fail(in, BW_EFORMAT, in->pos, "BYTE_STREAM_SPLIT: %zu bytes for %zu values of %zu bytes",
                       in->n - in->pos, count, width);
    }
    const uint8_t *s = in->p + in->pos;
    if (width == 4 || width == 8) {
        for (size_t k = 0; k < width; k++) {
            const uint8_t *stream = s + k * count;
            uint8_t *o = out + k;
            for (size_t i = 0; i < count; i++) {
                o[i * width] = stream[i];
            }
        }
    } else {
        for (size_t k = 0; k < width; k++) {
            for (size_t i = 0; i < count; i++) {
                out[i * width + k] = s[k * count + i];
            }
        }
    }
    in->pos += bytes;
    return BW_OK;
}

bw_status pq_plain_bytes(pq_in *in, size_t count, pq_span *out)
{
    const uint8_t *p = in->p;
    size_t pos = in->pos, n = in->n;

    for (size_t i = 0; i < count; i++) {
        uint32_t l;
        if (n - pos < 4) {
            return pq_fail(in, BW_EFORMAT, pos, "PLAIN BYTE_ARRAY: value %zu of %zu: length truncated", i, count);
        }
        memcpy(&l, p + pos, 4);
        pos += 4;
        if (l > n - pos) {
            return pq_fail(in, BW_EFORMAT, pos - 4, "PLAIN BYTE_ARRAY: value %zu of %" PRIu32 " bytes, %zu left", i, l,
                           n - pos);
        }
        out[i].p = p + pos;
        out[i].n = l;
        pos += l;
    }
    in->pos = pos;
    return BW_OK;
}
