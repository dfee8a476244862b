/*
 * error.c - status text, failure recording, number parsing and escaping.
 *
 * A failure is recorded once, where its detail is known; callers pass the
 * code up without rewriting the message. bw_fail_at_ keeps the first message
 * when the record already holds an error, so an inner, more precise message
 * is not overwritten by an outer, vaguer one.
 */
#include <errno.h>

#include "bw_config.h"
#include "util/internal.h"

const char *bw_strerror(bw_status code)
{
    switch (code) {
    case BW_OK: return "success";
    case BW_EINVAL: return "invalid argument";
    case BW_EFORMAT: return "format error";
    case BW_ELIMIT: return "over a limit";
    case BW_EIO: return "input/output error";
    case BW_ENOMEM: return "out of memory";
    case BW_EVERIFY: return "verification failed";
    case BW_ENOTFOUND: return "not found";
    case BW_ECHANGED: return "changed while being read";
    case BW_ELOOP: return "directory loop";
    case BW_EUNSUPPORTED: return "unsupported";
    case BW_ECANCELED: return "canceled";
    }
    return "unknown error";
}

const char *bw_version(void)
{
    return BW_VERSION;
}

void bw_error_clear(bw_error *err)
{
    if (err == NULL) {
        return;
    }
    err->code = BW_OK;
    err->offset = BW_NO_OFFSET;
    err->msg[0] = '\0';
    err->src_file = NULL;
    err->src_line = 0;
}

bw_status bw_fail_at_(bw_error *err, bw_status code, uint64_t offset, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || code == BW_OK) {
        return code;
    }
    if (err->code != BW_OK && err->msg[0] != '\0') {
        return code; /* keep the first, innermost message */
    }
    err->code = code;
    err->offset = offset;
    err->src_file = file;
    err->src_line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

bw_status bw_fail_errno(bw_error *err, int errnum, const char *what, const char *path)
{
    char esc[160];
    bw_status code = BW_EIO;

    if (errnum == ENOENT || errnum == ENOTDIR) {
        code = BW_ENOTFOUND;
    } else if (errnum == ENOMEM) {
        code = BW_ENOMEM;
    } else if (errnum == ELOOP) {
        code = BW_EIO; /* O_NOFOLLOW on a symlink */
    }
    bw_escape_for_log(path, strlen(path), esc, sizeof(esc));
    if (errnum == ELOOP) {
        return bw_fail(err, code, "%s '%s': is a symbolic link", what, esc);
    }
    return bw_fail(err, code, "%s '%s': %s", what, esc, strerror(errnum));
}

void bw_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "bulwark: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}

bw_status bw_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0) {
        return BW_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9') {
            return BW_EFORMAT;
        }
        d = (unsigned)(s[i] - '0');
        if (d > max || v > (max - d) / 10) { /* max - d must not wrap */
            return BW_ELIMIT;
        }
        v = v * 10 + d;
    }
    *out = v;
    return BW_OK;
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 if it is not one.
 * C1 controls (U+0080..U+009F) count as not well-formed here, so they are
 * escaped like the C0 ones: some terminals act on them.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        if (s[0] == 0xc2) {
            lo = 0xa0;
        }
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        if (s[0] == 0xe0) {
            lo = 0xa0;
        } else if (s[0] == 0xed) {
            hi = 0x9f;
        }
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        if (s[0] == 0xf0) {
            lo = 0x90;
        } else if (s[0] == 0xf4) {
            hi = 0x8f;
        }
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return len;
}

void bw_escape_for_log(const char *s, size_t n, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;

    if (cap == 0) {
        return;
    }
    /* A piece (character or escape) is written whole or not at all, then stop. */
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        size_t len = c < 0x80 ? 1 : utf8_len(u + i, n - i);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            if (o + 1 >= cap) {
                break;
            }
            out[o++] = (char)c;
            i++;
        } else if (len > 1) {
            if (o + len >= cap) {
                break;
            }
            memcpy(out + o, u + i, len);
            o += len;
            i += len;
        } else {
            if (o + 4 >= cap) {
                break;
            }
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
            i++;
        }
    }
    out[o] = '\0';
}
