/*
 * buf.c - bw_buf, the capped growable buffer (see bw_buf.h for invariants).
 *
 * Growth doubles the allocation, bounded by max + 1 (for the NUL). The first
 * failed append frees the contents and sticks in b->err, so callers that
 * append many pieces check once, at bw_buf_take() or by reading b->err.
 */
#include "util/internal.h"

void bw_buf_init(bw_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = BW_OK;
}

void bw_buf_release(bw_buf *b)
{
    BW_FREE(b->ptr);
    b->len = 0;
    b->cap = 0;
    b->err = BW_OK;
}

void bw_buf_reset(bw_buf *b)
{
    b->len = 0;
    if (b->ptr != NULL) {
        b->ptr[0] = '\0';
    }
    b->err = BW_OK;
}

static bw_status buf_fail(bw_buf *b, bw_status code)
{
    BW_FREE(b->ptr);
    b->len = 0;
    b->cap = 0;
    b->err = code;
    return code;
}

bw_status bw_buf_grow(bw_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (b->err != BW_OK) {
        return b->err;
    }
    /* need + 1 (the NUL) must not wrap either, even when max is SIZE_MAX */
    if (!bw_add_ok(b->len, n, &need) || need > b->max || need == SIZE_MAX) {
        return buf_fail(b, BW_ELIMIT);
    }
    need += 1; /* the NUL */
    if (need <= b->cap) {
        return BW_OK;
    }
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    if (cap > b->max + 1 && b->max < SIZE_MAX) {
        cap = b->max + 1;
    }
    if (cap < need) {
        cap = need;
    }
    p = bw_realloc(b->ptr, cap);
    if (p == NULL) {
        return buf_fail(b, BW_ENOMEM);
    }
    b->ptr = p;
    b->cap = cap;
    return BW_OK;
}

bw_status bw_buf_add(bw_buf *b, const void *p, size_t n)
{
    BW_TRY(bw_buf_grow(b, n));
    if (n > 0) {
        memcpy(b->ptr + b->len, p, n);
    }
    b->len += n;
    b->ptr[b->len] = '\0';
    return BW_OK;
}

bw_status bw_buf_addstr(bw_buf *b, const char *s)
{
    return bw_buf_add(b, s, strlen(s));
}

bw_status bw_buf_addc(bw_buf *b, char c)
{
    return bw_buf_add(b, &c, 1);
}

bw_status bw_buf_vprintf(bw_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    if (b->err != BW_OK) {
        return b->err;
    }
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return buf_fail(b, BW_EINVAL);
    }
    BW_TRY(bw_buf_grow(b, (size_t)n));
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return BW_OK;
}

bw_status bw_buf_printf(bw_buf *b, const char *fmt, ...)
{
    va_list ap;
    bw_status rc;

    va_start(ap, fmt);
    rc = bw_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

bw_status bw_buf_take(bw_buf *b, char **out, size_t *len)
{
    *out = NULL;
    if (len != NULL) {
        *len = 0;
    }
    if (b->err != BW_OK) {
        return b->err;
    }
    if (b->ptr == NULL) {
        BW_TRY(bw_buf_grow(b, 0));
        b->ptr[0] = '\0';
    }
    *out = b->ptr;
    if (len != NULL) {
        *len = b->len;
    }
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    return BW_OK;
}
