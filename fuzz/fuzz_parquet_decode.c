/*
 * fuzz_parquet_decode.c - the Parquet page value decoders (decode.c) and page
 * codecs (codec.c) on arbitrary bytes, directly: fuzz_parquet reaches them
 * only through a well-formed file around the page. The input's first four
 * bytes choose the decoder, a width or codec, and a value count; the rest is
 * the page. A decoder must succeed or fail with a message naming the input
 * ("fuzz: offset ..."), never read past the page, and leave in->pos inside it.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/parquet/pq_internal.h"
#include "fuzz.h"

static void check_fail(bw_status rc, const bw_error *err)
{
    if (rc != BW_OK && err->msg[0] == '\0') {
        abort(); /* every failure says why */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pq_codecs *codecs;
    bw_error err;
    pq_buf lens = {0}, own = {0};

    if (size < 4) {
        return 0;
    }
    if (codecs == NULL && (codecs = pq_codecs_new()) == NULL) {
        abort();
    }
    unsigned sel = data[0] % 8, param = data[1];
    size_t count = (size_t)data[2] | (size_t)data[3] << 8;
    /* the page in its own allocation, so ASan sees a read past its end */
    size_t n = size - 4;
    uint8_t *page = malloc(n ? n : 1);
    if (page == NULL) {
        return 0;
    }
    memcpy(page, data + 4, n);
    pq_in in = {page, n, 0, 1000, true, "fuzz", &err};
    bw_error_clear(&err);
    bw_status rc = BW_OK;
    switch (sel) {
    case 0:
    case 1: {
        unsigned width = param % 33;
        uint32_t max = width == 32 ? UINT32_MAX : (uint32_t)(((uint64_t)1 << width) - 1);
        uint32_t *out = malloc((count ? count : 1) * sizeof(*out));
        if (out != NULL) {
            rc = pq_hybrid32(&in, n, width, sel == 0 ? max : max / 2, out, count);
            for (size_t i = 0; rc == BW_OK && i < count; i++) {
                if (out[i] > (sel == 0 ? max : max / 2)) {
                    abort(); /* a value over the stated maximum was let through */
                }
            }
        }
        free(out);
        break;
    }
    case 2: {
        uint8_t out8[65536];
        unsigned width = param % 9;
        rc = pq_hybrid8(&in, n, width, (uint8_t)((1u << width) - 1), out8, count);
        break;
    }
    case 3: {
        uint64_t *out = malloc((count ? count : 1) * sizeof(*out));
        if (out != NULL) {
            rc = pq_delta(&in, param & 1 ? 64 : 32, count, out);
        }
        free(out);
        break;
    }
    case 4:
    case 5: {
        pq_span *out = malloc((count ? count : 1) * sizeof(*out));
        if (out != NULL) {
            rc = sel == 4 ? pq_delta_length(&in, count, &lens, out) : pq_delta_bytes(&in, count, &lens, &own, out);
            for (size_t i = 0; rc == BW_OK && sel == 4 && i < count; i++) {
                if (out[i].n > 0 && (out[i].p < page || out[i].p + out[i].n > page + n)) {
                    abort(); /* a span outside the page */
                }
            }
        }
        free(out);
        break;
    }
    case 6: {
        size_t width = 1 + param % 16;
        uint8_t *out = malloc(count * width + 1);
        if (out != NULL) {
            rc = pq_byte_stream_split(&in, width, count, out);
        }
        free(out);
        break;
    }
    default: {
        /* a codec (0-7), decompressing into a buffer of `count` bytes */
        uint8_t *out = malloc(count + 1);
        if (out != NULL) {
            rc = pq_decompress(codecs, param % 8, page, n, out, count, "fuzz", 1000, &err);
        }
        free(out);
        break;
    }
    }
    check_fail(rc, &err);
    if (in.pos > n) {
        abort();
    }
    pq_buf_release(&lens);
    pq_buf_release(&own);
    free(page);
    return 0;
}
