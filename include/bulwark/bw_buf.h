/*
 * bw_buf.h - the one growable byte buffer.
 *
 * Invariants: `ptr` is NULL or points at `len` bytes followed by a NUL, so
 * text can be used as a C string while binary data stays length-delimited;
 * `len < cap <= max + 1`. Every buffer has a maximum size set at init: an
 * append past it fails with BW_ELIMIT. The first failure frees the contents
 * and is remembered in `err`; later appends are no-ops that return that
 * error, so code building a report can append freely and check once.
 * bw_buf_take() refuses a buffer in the error state, so a half-built result
 * cannot escape.
 *
 * The bytes appended must not point into the same buffer (growing may move
 * it): copy first if you need to append a buffer to itself.
 */
#ifndef BULWARK_BW_BUF_H
#define BULWARK_BW_BUF_H

#include "bw_common.h"
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_buf {
    char *ptr;     /**< contents, NUL-terminated; NULL while empty */
    size_t len;    /**< bytes used, not counting the NUL */
    size_t cap;    /**< bytes allocated */
    size_t max;    /**< largest len allowed */
    bw_status err; /**< first failure, or BW_OK */
} bw_buf;

#define BW_BUF_INIT(max_)                                                                                              \
    {                                                                                                                  \
        NULL, 0, 0, (max_), BW_OK                                                                                      \
    }

/** Set up an empty buffer that may grow to `max` bytes. Allocates nothing. */
BW_API void bw_buf_init(bw_buf *b, size_t max);
/** Free the contents; the buffer is empty and usable again, error cleared. */
BW_API void bw_buf_release(bw_buf *b);
/** Keep the allocation, drop the contents (len = 0), error cleared. */
BW_API void bw_buf_reset(bw_buf *b);

BW_API bw_status bw_buf_add(bw_buf *b, const void *p, size_t n);
BW_API bw_status bw_buf_addstr(bw_buf *b, const char *s);
BW_API bw_status bw_buf_addc(bw_buf *b, char c);
BW_API bw_status bw_buf_printf(bw_buf *b, const char *fmt, ...) BW_PRINTF(2, 3);
BW_API bw_status bw_buf_vprintf(bw_buf *b, const char *fmt, va_list ap) BW_PRINTF(2, 0);
/** Make room for `n` more bytes without changing len. */
BW_API bw_status bw_buf_grow(bw_buf *b, size_t n);

/**
 * Hand the contents to the caller (free with bw_free) and leave the buffer
 * empty. On an error-state buffer returns that error and hands out nothing.
 * An empty buffer yields an allocated "" so *out is never NULL on success.
 */
BW_API bw_status bw_buf_take(bw_buf *b, char **out, size_t *len) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
