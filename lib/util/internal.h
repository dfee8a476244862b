/*
 * internal.h - what every libbulwark source file includes: the public API,
 * the few control-flow macros, checked arithmetic, the allocation hook,
 * failure recording and logging. Not installed; tests may include it.
 */
#ifndef BW_INTERNAL_H
#define BW_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"

#define BW_INTERNAL __attribute__((visibility("hidden")))

/* Return any status that is not BW_OK. Only while the function owns nothing. */
#define BW_TRY(expr)                                                                                                   \
    do {                                                                                                               \
        bw_status bw_try_rc_ = (expr);                                                                                 \
        if (bw_try_rc_ != BW_OK) {                                                                                     \
            return bw_try_rc_;                                                                                         \
        }                                                                                                              \
    } while (0)

/* Free and clear a pointer. */
#define BW_FREE(p)                                                                                                     \
    do {                                                                                                               \
        bw_free(p);                                                                                                    \
        (p) = NULL;                                                                                                    \
    } while (0)

#define BW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BW_MAX(a, b) ((a) > (b) ? (a) : (b))

/* States that are truly impossible. Hostile input is never an assertion. */
#ifdef NDEBUG
#define BW_ASSERT(x) ((void)0)
#else
#define BW_ASSERT(x) ((x) ? (void)0 : bw_assert_fail(#x, __FILE__, __LINE__))
#endif
BW_INTERNAL _Noreturn void bw_assert_fail(const char *expr, const char *file, int line);

/* Checked size arithmetic: false on overflow. */
static inline bool bw_add_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
static inline bool bw_mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* Allocation: every allocation goes through these, so tests can fail the Nth one. */
BW_INTERNAL void *bw_malloc(size_t n);
BW_INTERNAL void *bw_calloc(size_t n, size_t size);
BW_INTERNAL void *bw_realloc(void *p, size_t n);
/* realloc for arrays: overflow-checked n * size */
BW_INTERNAL void *bw_reallocarray(void *p, size_t n, size_t size);
/*
 * Large tables: grow p (old_bytes, 0 for a new table) to new_bytes, keeping
 * the old bytes (the rest uninitialised); from 256 KiB up the table is its
 * own mapping on transparent huge pages. Free with bw_table_free and its size.
 */
BW_INTERNAL void *bw_table_resize(void *p, size_t old_bytes, size_t new_bytes);
BW_INTERNAL void bw_table_free(void *p, size_t bytes);

/* dlopen() the first of names[0..n) that loads (RTLD_NOW | RTLD_LOCAL); NULL if none does. */
BW_INTERNAL void *bw_dlopen_first(const char *const *names, size_t n);
BW_INTERNAL char *bw_strdup(const char *s);
BW_INTERNAL char *bw_strndup(const char *s, size_t n);
/* Test hook: make the allocation after `n` more succeed fail; -1 disables. */
BW_API void bw_alloc_fail_after(long n);
/* Wipe memory that held a secret (sodium_memzero). */
BW_INTERNAL void bw_wipe(void *p, size_t n);

/* Record a failure in `err` (may be NULL) and return `code`. */
#define bw_fail(err, code, ...) bw_fail_at_((err), (code), BW_NO_OFFSET, __FILE__, __LINE__, __VA_ARGS__)
#define bw_fail_at(err, code, off, ...) bw_fail_at_((err), (code), (off), __FILE__, __LINE__, __VA_ARGS__)
BW_INTERNAL bw_status bw_fail_at_(bw_error *err, bw_status code, uint64_t offset, const char *file, int line,
                                  const char *fmt, ...) BW_PRINTF(6, 7);
/* Record a failure from errno: "<what> '<path>': <strerror>"; maps ENOENT to BW_ENOTFOUND. */
BW_INTERNAL bw_status bw_fail_errno(bw_error *err, int errnum, const char *what, const char *path);

/* Parse an unsigned decimal number of at most `max` from s[0..n). */
BW_INTERNAL bw_status bw_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out);

/* The value of one hex digit (either case), or -1. */
static inline int bw_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Eight (four) bytes at s as a little-endian number, whatever the host's byte order. */
static inline uint64_t bw_load_le64(const void *s)
{
    uint64_t v;
    memcpy(&v, s, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t bw_load_le32(const void *s)
{
    uint32_t v;
    memcpy(&v, s, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/* True if s[0..n) is all ASCII (no byte >= 0x80), 8 bytes at a time. */
static inline bool bw_ascii(const char *s, size_t n)
{
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++) {
        acc |= (unsigned char)s[i];
    }
    return (acc & 0x8080808080808080ULL) == 0;
}

/* True if s[0..n) is well-formed UTF-8 (RFC 3629). */
BW_INTERNAL bool bw_utf8_valid(const char *s, size_t n);

/* Copy `s` into out[cap], escaping control characters and non-UTF-8 bytes as \xNN, for messages. */
BW_INTERNAL void bw_escape_for_log(const char *s, size_t n, char *out, size_t cap);

/*
 * Decode standard or URL-safe base64, padding optional, appending to `out`.
 * BW_EFORMAT with *bad_at = the index of the first bad character.
 */
BW_INTERNAL bw_status bw_base64_decode(const char *in, size_t n, bw_buf *out, size_t *bad_at);
/* Standard base64 with padding of data[0..n), appended to `out` (its error status). */
BW_INTERNAL bw_status bw_base64_encode(const void *data, size_t n, bw_buf *out);

/* Logging: the level check comes before any argument is evaluated. */
extern BW_INTERNAL int bw_log_max_level;
BW_INTERNAL bool bw_log_enabled(bw_log_level lvl, const char *component);
BW_INTERNAL void bw_log_emit(bw_log_level lvl, const char *component, const char *fmt, ...) BW_PRINTF(3, 4);
#define BW_LOG(lvl, comp, ...)                                                                                         \
    do {                                                                                                               \
        if ((int)(lvl) <= bw_log_max_level && bw_log_enabled((lvl), (comp))) {                                         \
            bw_log_emit((lvl), (comp), __VA_ARGS__);                                                                   \
        }                                                                                                              \
    } while (0)
#define BW_WARN(comp, ...) BW_LOG(BW_LOG_WARN, comp, __VA_ARGS__)
#define BW_DEBUG(comp, ...) BW_LOG(BW_LOG_DEBUG, comp, __VA_ARGS__)
#define BW_TRACE(comp, ...) BW_LOG(BW_LOG_TRACE, comp, __VA_ARGS__)

#include "banned.h"

#endif
