/*
 * slice.c - finding where a byte slice's first record starts (see slice.h).
 *
 * Everything before the slice is read once more, with no parsing: the
 * quotes and line breaks in it are counted sixteen bytes at a time with
 * SSE2 (elsewhere a 64-bit word at a time: a byte equal to c is a zero byte
 * of word ^ c*0x0101..., found without carries between bytes). Then bytes are stepped one by
 * one from from - 1 to the first line break outside quotes.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "formats/slice.h"

#define CHUNK ((size_t)1 << 20)
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The high bit of each zero byte of v. */
static inline uint64_t zero_bytes(uint64_t v)
{
    uint64_t t = (v & ~HIGHS) + ~HIGHS;
    return ~(t | v) & HIGHS;
}

uint64_t bw_count_byte(const char *p, size_t n, char c)
{
    const uint64_t pat = ONES * (unsigned char)c;
    uint64_t count = 0;
    size_t i = 0;

#if defined(__SSE2__) && defined(__x86_64__)
    /* sixteen bytes at a time: matches counted in byte lanes (-1 per match subtracted), summed
       with psadbw before a lane can pass 255 */
    const __m128i pc = _mm_set1_epi8(c), zero = _mm_setzero_si128();
    while (n - i >= 16) {
        size_t blocks = BW_MIN((n - i) / 16, (size_t)255);
        __m128i acc = zero;
        for (size_t b = 0; b < blocks; b++, i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x, pc));
        }
        __m128i sum = _mm_sad_epu8(acc, zero);
        count += (uint64_t)_mm_cvtsi128_si64(sum) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        /* one bit per matching byte, at bit 0 of its byte: their sum lands in the top byte (no libgcc call) */
        count += ((zero_bytes(w ^ pat) >> 7) * ONES) >> 56;
    }
    for (; i < n; i++) {
        count += p[i] == c;
    }
    return count;
}

bw_status bw_slice_check(const bw_data_opts *o, bw_window *w, uint64_t *end, bw_error *err)
{
    *end = o->range_end != 0 ? o->range_end : UINT64_MAX;
    if (o->range_start == 0 && o->range_end == 0) {
        return BW_OK;
    }
    if (*end < o->range_start && o->range_mode != BW_RANGE_FIND) {
        *end = o->range_start; /* a record from the slice before runs past this one: it is empty */
    } else if (*end < o->range_start) {
        return bw_fail(err, BW_EINVAL, "%s: a slice that ends (%llu) before it starts (%llu)", w->name,
                       (unsigned long long)o->range_end, (unsigned long long)o->range_start);
    }
    if (w->file != NULL && !bw_file_info(w->file)->is_regular) {
        return bw_fail(err, BW_EINVAL, "%s: a slice of the input needs a seekable file, not a stream", w->name);
    }
    return BW_OK;
}

/* The bytes at input offset off: up to `want` of them, at *p (*got 0 at the end). */
static bw_status view(bw_window *w, char *buf, uint64_t off, size_t want, const char **p, size_t *got, bw_error *err)
{
    if (w->file == NULL) {
        /* a memory input is one window with base 0 */
        size_t n = off < w->end ? BW_MIN(want, w->end - (size_t)off) : 0;
        *p = w->buf + (n ? off : 0);
        *got = n;
        return BW_OK;
    }
    *p = buf;
    return bw_file_pread(w->file, buf, want, off, got, err);
}

/* The first record start at or after from, stepping from offset `off` (0: counting the quotes and
   line breaks of what comes before from - 1); *at UINT64_MAX when there is none. */
static bw_status find(bw_window *w, uint64_t off, uint64_t from, bool quotes, uint64_t *at, uint64_t *lines,
                      bw_error *err)
{
    char *buf = NULL;
    uint64_t nl = 0, q = 0;
    bw_status rc = BW_OK;

    *at = UINT64_MAX;
    *lines = 0;
    if (w->file != NULL) {
        buf = bw_malloc(CHUNK);
        if (buf == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
    }
    /* counting: [0, from - 1) */
    while (off + 1 < from) {
        const char *p;
        size_t got;
        rc = view(w, buf, off, (size_t)BW_MIN((uint64_t)CHUNK, from - 1 - off), &p, &got, err);
        if (rc != BW_OK || got == 0) {
            goto out;
        }
        if (quotes) {
            q += bw_count_byte(p, got, '"');
        }
        nl += bw_count_byte(p, got, '\n');
        off += got;
    }
    /* stepping: from from - 1 to the first line break outside quotes */
    for (;;) {
        const char *p;
        size_t got;
        rc = view(w, buf, off, CHUNK, &p, &got, err);
        if (rc != BW_OK || got == 0) {
            goto out;
        }
        for (size_t i = 0; i < got; i++) {
            if (p[i] == '"') {
                q += quotes;
            } else if (p[i] == '\n') {
                nl++;
                if ((q & 1) == 0) {
                    *at = off + i + 1;
                    goto out;
                }
            }
        }
        off += got;
    }
out:
    *lines = nl;
    bw_free(buf);
    return rc;
}

bw_status bw_slice_start(bw_window *w, const bw_data_opts *o, bool quotes, uint64_t *at, uint64_t *lines,
                         bool *relative, bw_error *err)
{
    uint64_t size = w->file != NULL ? bw_file_info(w->file)->size : (uint64_t)w->end;
    uint64_t from = o->range_start;

    *lines = 0;
    *relative = o->range_mode == BW_RANGE_GUESS || o->range_mode == BW_RANGE_AT;
    if (o->range_mode == BW_RANGE_AT) {
        *at = BW_MIN(from, size);
        return BW_OK;
    }
    if (o->range_mode == BW_RANGE_GUESS) {
        BW_TRY(find(w, from - 1, from, false, at, lines, err));
        *lines = 0;
    } else {
        BW_TRY(find(w, 0, from, quotes, at, lines, err));
    }
    if (*at == UINT64_MAX) {
        *at = size;
    }
    return BW_OK;
}

bw_status bw_slice_seek(bw_window *w, uint64_t at, bw_error *err)
{
    if (w->file == NULL) {
        w->pos = (size_t)BW_MIN(at, (uint64_t)w->end);
        return BW_OK;
    }
    if (at >= w->base && at <= w->base + w->end) {
        w->pos = (size_t)(at - w->base);
        return BW_OK;
    }
    if (lseek(bw_file_fd(w->file), (off_t)at, SEEK_SET) < 0) {
        return bw_fail_at(err, BW_EIO, at, "%s: cannot seek to offset %llu: %s", w->name, (unsigned long long)at,
                          strerror(errno));
    }
    w->base = at;
    w->pos = w->end = 0;
    w->eof = false;
    return BW_OK;
}
