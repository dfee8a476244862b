/*
 * rd.c - bw_rd, the bounded reader over untrusted bytes (see bw_rd.h).
 *
 * Every reader function has the same shape: check the reader is healthy,
 * check `n <= len - pos` (never `pos + n <= len`, which can wrap), then
 * move. A failure poisons the reader with the first error and its offset.
 */
#include "util/internal.h"

/*
 * What an empty reader points at instead of NULL: `base + pos` and memchr()
 * are then defined even on an empty input (NULL + 0 is undefined in C).
 */
static const uint8_t rd_empty[1];

void bw_rd_init(bw_rd *rd, const void *p, size_t len, const char *name, bw_error *err)
{
    rd->base = p == NULL ? rd_empty : p;
    rd->len = p == NULL ? 0 : len;
    rd->pos = 0;
    rd->origin = 0;
    rd->st = BW_OK;
    rd->err = err;
    rd->name = name;
}

int bw_rd_valid(const bw_rd *rd)
{
    return rd != NULL && rd->pos <= rd->len && (rd->len == 0 || rd->base != NULL);
}

bw_status bw_rd_fail(bw_rd *rd, bw_status code, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    if (rd->st != BW_OK) {
        return rd->st;
    }
    rd->st = code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (rd->name != NULL) {
        return bw_fail_at(rd->err, code, bw_rd_offset(rd), "%s: offset %llu: %s", rd->name,
                          (unsigned long long)bw_rd_offset(rd), msg);
    }
    return bw_fail_at(rd->err, code, bw_rd_offset(rd), "offset %llu: %s", (unsigned long long)bw_rd_offset(rd), msg);
}

static bw_status need(bw_rd *rd, size_t n, const char *what)
{
    BW_ASSERT(bw_rd_valid(rd));
    if (rd->st != BW_OK) {
        return rd->st;
    }
    if (n > rd->len - rd->pos) {
        return bw_rd_fail(rd, BW_EFORMAT, "truncated: %s needs %zu bytes, %zu left", what, n, rd->len - rd->pos);
    }
    return BW_OK;
}

bw_status bw_rd_sub(bw_rd *rd, size_t n, bw_rd *sub)
{
    bw_status rc = need(rd, n, "section");

    if (rc != BW_OK) {
        /* an empty reader that is already failed, so an unchecked sub reads nothing */
        sub->base = rd_empty;
        sub->len = 0;
        sub->pos = 0;
        sub->origin = bw_rd_offset(rd);
        sub->st = rc;
        sub->err = rd->err;
        sub->name = rd->name;
        return rc;
    }
    sub->base = rd->base + rd->pos;
    sub->len = n;
    sub->pos = 0;
    sub->origin = rd->origin + rd->pos;
    sub->st = BW_OK;
    sub->err = rd->err;
    sub->name = rd->name;
    rd->pos += n;
    return BW_OK;
}

bw_status bw_rd_u8(bw_rd *rd, uint8_t *v)
{
    BW_TRY(need(rd, 1, "u8"));
    *v = rd->base[rd->pos++];
    return BW_OK;
}

#define RD_LE(name, type, nbytes)                                                                                      \
    bw_status name(bw_rd *rd, type *v)                                                                                 \
    {                                                                                                                  \
        uint64_t x = 0;                                                                                                \
        BW_TRY(need(rd, nbytes, #type));                                                                               \
        for (int i = (nbytes)-1; i >= 0; i--) {                                                                        \
            x = (x << 8) | rd->base[rd->pos + (size_t)i];                                                              \
        }                                                                                                              \
        rd->pos += (nbytes);                                                                                           \
        *v = (type)x;                                                                                                  \
        return BW_OK;                                                                                                  \
    }
#define RD_BE(name, type, nbytes)                                                                                      \
    bw_status name(bw_rd *rd, type *v)                                                                                 \
    {                                                                                                                  \
        uint64_t x = 0;                                                                                                \
        BW_TRY(need(rd, nbytes, #type));                                                                               \
        for (int i = 0; i < (nbytes); i++) {                                                                           \
            x = (x << 8) | rd->base[rd->pos + (size_t)i];                                                              \
        }                                                                                                              \
        rd->pos += (nbytes);                                                                                           \
        *v = (type)x;                                                                                                  \
        return BW_OK;                                                                                                  \
    }

RD_LE(bw_rd_u16le, uint16_t, 2)
RD_LE(bw_rd_u32le, uint32_t, 4)
RD_LE(bw_rd_u64le, uint64_t, 8)
RD_BE(bw_rd_u16be, uint16_t, 2)
RD_BE(bw_rd_u32be, uint32_t, 4)
RD_BE(bw_rd_u64be, uint64_t, 8)

bw_status bw_rd_i32le(bw_rd *rd, int32_t *v)
{
    uint32_t u;
    BW_TRY(bw_rd_u32le(rd, &u));
    memcpy(v, &u, sizeof(u));
    return BW_OK;
}

bw_status bw_rd_i64le(bw_rd *rd, int64_t *v)
{
    uint64_t u;
    BW_TRY(bw_rd_u64le(rd, &u));
    memcpy(v, &u, sizeof(u));
    return BW_OK;
}

bw_status bw_rd_f32le(bw_rd *rd, float *v)
{
    uint32_t u;
    BW_TRY(bw_rd_u32le(rd, &u));
    memcpy(v, &u, sizeof(u));
    return BW_OK;
}

bw_status bw_rd_f64le(bw_rd *rd, double *v)
{
    uint64_t u;
    BW_TRY(bw_rd_u64le(rd, &u));
    memcpy(v, &u, sizeof(u));
    return BW_OK;
}

bw_status bw_rd_uvarint(bw_rd *rd, uint64_t *v)
{
    uint64_t x = 0;
    size_t start = rd->pos;

    if (rd->st != BW_OK) {
        return rd->st;
    }
    for (unsigned shift = 0, i = 0;; shift += 7, i++) {
        uint8_t b;
        if (rd->pos >= rd->len) {
            rd->pos = start;
            return bw_rd_fail(rd, BW_EFORMAT, "truncated varint");
        }
        b = rd->base[rd->pos++];
        /* the 10th byte holds bit 63 only; a continuation bit there means too long */
        if (i == 9 && (b & 0x7f) > 1) {
            rd->pos = start;
            return bw_rd_fail(rd, BW_EFORMAT, "varint overflows 64 bits");
        }
        x |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            break;
        }
        if (i == 9) {
            rd->pos = start;
            return bw_rd_fail(rd, BW_EFORMAT, "varint longer than 10 bytes");
        }
    }
    *v = x;
    return BW_OK;
}

bw_status bw_rd_svarint(bw_rd *rd, int64_t *v)
{
    uint64_t u = 0;
    BW_TRY(bw_rd_uvarint(rd, &u));
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return BW_OK;
}

bw_status bw_rd_view(bw_rd *rd, size_t n, bw_bytes *out)
{
    BW_TRY(need(rd, n, "view"));
    out->ptr = rd->base + rd->pos;
    out->len = n;
    rd->pos += n;
    return BW_OK;
}

bw_status bw_rd_copy(bw_rd *rd, void *dst, size_t n)
{
    BW_TRY(need(rd, n, "copy"));
    if (n > 0) {
        memcpy(dst, rd->base + rd->pos, n);
    }
    rd->pos += n;
    return BW_OK;
}

bw_status bw_rd_skip(bw_rd *rd, size_t n)
{
    BW_TRY(need(rd, n, "skip"));
    rd->pos += n;
    return BW_OK;
}

bw_status bw_rd_peek(const bw_rd *rd, uint8_t *v)
{
    if (rd->st != BW_OK) {
        return rd->st;
    }
    if (rd->pos >= rd->len) {
        return BW_EFORMAT; /* peeking does not poison: callers use it to test for the end */
    }
    *v = rd->base[rd->pos];
    return BW_OK;
}

bw_status bw_rd_until(bw_rd *rd, uint8_t delim, bw_bytes *out)
{
    const uint8_t *p;

    if (rd->st != BW_OK) {
        return rd->st;
    }
    p = memchr(rd->base + rd->pos, delim, rd->len - rd->pos);
    if (p == NULL) {
        return bw_rd_fail(rd, BW_EFORMAT, "missing delimiter 0x%02x", delim);
    }
    out->ptr = rd->base + rd->pos;
    out->len = (size_t)(p - (rd->base + rd->pos));
    rd->pos += out->len + 1;
    return BW_OK;
}
