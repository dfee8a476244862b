/*
 * npy.c - the .npy header, parsed as a literal, never evaluated (see bw_npy.h).
 *
 * The grammar is the subset of Python literals numpy writes:
 *
 *   header := ws dict ws
 *   dict   := '{' [ key ':' value { ',' key ':' value } [','] ] '}'
 *   descr  := string | '[' field { ',' field } [','] ']'
 *   field  := '(' name ',' descr [ ',' shape ] [','] ')'
 *   name   := string | '(' string ',' string ')'      (title, name)
 *   shape  := int | '(' [ int { ',' int } [','] ] ')' (a 1-tuple needs its comma)
 *
 * Each value is checked as soon as it is read, so nothing is allocated.
 */
#include <inttypes.h>

#include "util/internal.h"

#define NPY_MAX_HEADER (1u << 20)
#define NPY_MAX_ITEMSIZE ((uint64_t)1 << 40)

typedef struct np {
    const uint8_t *s;
    size_t n, i;
    uint64_t base; /* file offset of s[0] */
    const char *name;
    bw_error *err;
    unsigned fields; /* fields seen, over all nesting */
} np;

static bw_status np_fail(np *p, bw_status code, const char *fmt, ...) BW_PRINTF(3, 4);
static bw_status np_fail(np *p, bw_status code, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    uint64_t off = p->base + p->i;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bw_fail_at(p->err, code, off, "%s: offset %" PRIu64 ": %s", p->name, off, msg);
}

static void np_ws(np *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) {
        p->i++;
    }
}

/* Skip whitespace; 1 if the next byte is `c` (consumed). */
static int np_eat(np *p, uint8_t c)
{
    np_ws(p);
    if (p->i < p->n && p->s[p->i] == c) {
        p->i++;
        return 1;
    }
    return 0;
}

static bw_status np_expect(np *p, uint8_t c)
{
    if (!np_eat(p, c)) {
        return np_fail(p, BW_EFORMAT, "expected '%c' in the header", c);
    }
    return BW_OK;
}

/* A quoted string; the view excludes the quotes (escapes are kept as written). */
static bw_status np_string(np *p, bw_bytes *out)
{
    uint8_t q;
    size_t start;

    np_ws(p);
    if (p->i >= p->n || (p->s[p->i] != '\'' && p->s[p->i] != '"')) {
        return np_fail(p, BW_EFORMAT, "expected a string in the header");
    }
    q = p->s[p->i++];
    start = p->i;
    while (p->i < p->n && p->s[p->i] != q) {
        if (p->s[p->i] == '\\' && p->i + 1 < p->n) {
            p->i++;
        }
        if (p->s[p->i] == '\n') {
            return np_fail(p, BW_EFORMAT, "newline inside a string in the header");
        }
        p->i++;
    }
    if (p->i >= p->n) {
        return np_fail(p, BW_EFORMAT, "unterminated string in the header");
    }
    out->ptr = p->s + start;
    out->len = p->i - start;
    p->i++;
    return BW_OK;
}

/* A non-negative decimal integer (Python 2 files may add 'L'). */
static bw_status np_int(np *p, uint64_t *v)
{
    size_t start;

    np_ws(p);
    start = p->i;
    *v = 0;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        if (__builtin_mul_overflow(*v, 10, v) || __builtin_add_overflow(*v, (uint64_t)(p->s[p->i] - '0'), v)) {
            return np_fail(p, BW_ELIMIT, "integer in the header overflows");
        }
        p->i++;
    }
    if (p->i == start) {
        return np_fail(p, BW_EFORMAT, "expected a non-negative integer in the header");
    }
    if (p->i < p->n && p->s[p->i] == 'L') {
        p->i++;
    }
    return BW_OK;
}

/* A shape: a tuple of ints (or, inside a field, a bare int). */
static bw_status np_shape(np *p, int bare_ok, uint64_t *dims, uint32_t *nd, uint64_t *numel)
{
    uint64_t v, prod = 1;
    uint32_t k = 0;
    int comma = 0;

    np_ws(p);
    if (bare_ok && p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        BW_TRY(np_int(p, &v));
        *numel = v;
        if (nd != NULL) {
            *nd = 1;
        }
        return BW_OK;
    }
    BW_TRY(np_expect(p, '('));
    while (!np_eat(p, ')')) {
        if (k > 0 && !comma) {
            return np_fail(p, BW_EFORMAT, "expected ',' or ')' in a shape");
        }
        BW_TRY(np_int(p, &v));
        if (k >= BW_NPY_MAX_DIMS) {
            return np_fail(p, BW_ELIMIT, "shape has more than %d dimensions", BW_NPY_MAX_DIMS);
        }
        if (dims != NULL) {
            dims[k] = v;
        }
        k++;
        if (__builtin_mul_overflow(prod, v, &prod)) {
            return np_fail(p, BW_ELIMIT, "element count overflows");
        }
        comma = np_eat(p, ',');
    }
    if (k == 1 && !comma) {
        return np_fail(p, BW_EFORMAT, "shape '(n)' is an integer, not a tuple: '(n,)' expected");
    }
    if (nd != NULL) {
        *nd = k;
    }
    *numel = prod;
    return BW_OK;
}

static int np_unit_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Size of a dtype string such as '<f8', '|S10', '<U3', '|O', '<M8[ns]'. */
static bw_status np_dtype_str(np *p, bw_bytes s, uint64_t *size, int *object)
{
    size_t i = 0;
    uint64_t num = 0;
    uint8_t kind;
    int have_num = 0;

    if (i < s.len && (s.ptr[i] == '<' || s.ptr[i] == '>' || s.ptr[i] == '|' || s.ptr[i] == '=')) {
        i++;
    }
    if (i >= s.len) {
        return np_fail(p, BW_EFORMAT, "empty dtype");
    }
    kind = s.ptr[i++];
    while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
        num = num * 10 + (uint64_t)(s.ptr[i] - '0');
        have_num = 1;
        if (num > NPY_MAX_ITEMSIZE) {
            return np_fail(p, BW_ELIMIT, "dtype size over the limit");
        }
        i++;
    }
    if ((kind == 'M' || kind == 'm') && i < s.len && s.ptr[i] == '[') {
        size_t j = i + 1;
        while (j < s.len && np_unit_char(s.ptr[j])) {
            j++;
        }
        if (j >= s.len || s.ptr[j] != ']' || j == i + 1) {
            return np_fail(p, BW_EFORMAT, "bad datetime unit in dtype");
        }
        i = j + 1;
    }
    if (i != s.len) {
        return np_fail(p, BW_EFORMAT, "unknown dtype");
    }
    switch (kind) {
    case 'O':
        if (have_num && num != 8 && num != 4) {
            return np_fail(p, BW_EFORMAT, "bad object dtype size");
        }
        *object = 1;
        *size = 8;
        return BW_OK;
    case '?':
        if (have_num && num != 1) {
            return np_fail(p, BW_EFORMAT, "bad bool dtype size");
        }
        *size = 1;
        return BW_OK;
    case 'b':
        if (num != 1) {
            return np_fail(p, BW_EFORMAT, "bad bool dtype size");
        }
        *size = 1;
        return BW_OK;
    case 'i':
    case 'u':
        if (num != 1 && num != 2 && num != 4 && num != 8) {
            return np_fail(p, BW_EFORMAT, "bad integer dtype size");
        }
        *size = num;
        return BW_OK;
    case 'f':
        if (num != 2 && num != 4 && num != 8 && num != 12 && num != 16) {
            return np_fail(p, BW_EFORMAT, "bad float dtype size");
        }
        *size = num;
        return BW_OK;
    case 'c':
        if (num != 8 && num != 16 && num != 24 && num != 32) {
            return np_fail(p, BW_EFORMAT, "bad complex dtype size");
        }
        *size = num;
        return BW_OK;
    case 'M':
    case 'm':
        if (num != 8) {
            return np_fail(p, BW_EFORMAT, "bad datetime dtype size");
        }
        *size = 8;
        return BW_OK;
    case 'S':
    case 'a':
    case 'V':
        if (!have_num) {
            return np_fail(p, BW_EFORMAT, "string or void dtype without a size");
        }
        *size = num;
        return BW_OK;
    case 'U':
        if (!have_num) {
            return np_fail(p, BW_EFORMAT, "unicode dtype without a size");
        }
        *size = num * 4;
        return BW_OK;
    default: return np_fail(p, BW_EFORMAT, "unknown dtype kind");
    }
}

static bw_status np_descr(np *p, unsigned depth, uint64_t *size, int *object, int *structured, bw_npy_info *info);

/* '(' name ',' descr [',' shape] [','] ')' */
static bw_status np_field(np *p, unsigned depth, uint64_t *size, int *object)
{
    bw_bytes s;
    uint64_t fsize = 0, sub = 1, total;
    int st = 0;

    BW_TRY(np_expect(p, '('));
    np_ws(p);
    if (np_eat(p, '(')) { /* (title, name) */
        BW_TRY(np_string(p, &s));
        BW_TRY(np_expect(p, ','));
        BW_TRY(np_string(p, &s));
        BW_TRY(np_expect(p, ')'));
    } else {
        BW_TRY(np_string(p, &s));
    }
    BW_TRY(np_expect(p, ','));
    BW_TRY(np_descr(p, depth + 1, &fsize, object, &st, NULL));
    if (np_eat(p, ',')) {
        np_ws(p);
        if (p->i < p->n && p->s[p->i] != ')') {
            BW_TRY(np_shape(p, 1, NULL, NULL, &sub));
            (void)np_eat(p, ',');
        }
    }
    BW_TRY(np_expect(p, ')'));
    if (__builtin_mul_overflow(fsize, sub, &total) || __builtin_add_overflow(*size, total, size) ||
        *size > NPY_MAX_ITEMSIZE) {
        return np_fail(p, BW_ELIMIT, "structured dtype size over the limit");
    }
    return BW_OK;
}

static bw_status np_descr(np *p, unsigned depth, uint64_t *size, int *object, int *structured, bw_npy_info *info)
{
    bw_bytes s;
    int any = 0;

    if (depth > BW_NPY_MAX_DEPTH) {
        return np_fail(p, BW_ELIMIT, "dtype nested deeper than %d", BW_NPY_MAX_DEPTH);
    }
    np_ws(p);
    if (p->i < p->n && p->s[p->i] != '[') {
        BW_TRY(np_string(p, &s));
        if (info != NULL) {
            bw_escape_for_log((const char *)s.ptr, s.len, info->descr, sizeof(info->descr));
        }
        return np_dtype_str(p, s, size, object);
    }
    BW_TRY(np_expect(p, '['));
    *structured = 1;
    *size = 0;
    while (!np_eat(p, ']')) {
        if (any && !np_eat(p, ',')) {
            return np_fail(p, BW_EFORMAT, "expected ',' or ']' in the field list");
        }
        if (np_eat(p, ']')) {
            break;
        }
        if (++p->fields > BW_NPY_MAX_FIELDS) {
            return np_fail(p, BW_ELIMIT, "more than %d fields", BW_NPY_MAX_FIELDS);
        }
        BW_TRY(np_field(p, depth, size, object));
        any = 1;
    }
    if (!any) {
        return np_fail(p, BW_EFORMAT, "empty field list");
    }
    if (info != NULL) {
        snprintf(info->descr, sizeof(info->descr), "[structured]");
    }
    return BW_OK;
}

static bw_status np_bool(np *p, int *v)
{
    np_ws(p);
    if (p->n - p->i >= 4 && memcmp(p->s + p->i, "True", 4) == 0) {
        p->i += 4;
        *v = 1;
        return BW_OK;
    }
    if (p->n - p->i >= 5 && memcmp(p->s + p->i, "False", 5) == 0) {
        p->i += 5;
        *v = 0;
        return BW_OK;
    }
    return np_fail(p, BW_EFORMAT, "expected True or False");
}

static bw_status np_dict(np *p, bw_npy_info *info)
{
    int have_descr = 0, have_fo = 0, have_shape = 0, any = 0;

    BW_TRY(np_expect(p, '{'));
    while (!np_eat(p, '}')) {
        bw_bytes key;
        size_t kat;
        if (any && !np_eat(p, ',')) {
            return np_fail(p, BW_EFORMAT, "expected ',' or '}' in the header");
        }
        if (np_eat(p, '}')) {
            break;
        }
        np_ws(p);
        kat = p->i;
        BW_TRY(np_string(p, &key));
        BW_TRY(np_expect(p, ':'));
        if (key.len == 5 && memcmp(key.ptr, "descr", 5) == 0 && !have_descr) {
            BW_TRY(np_descr(p, 0, &info->itemsize, &info->has_object, &info->structured, info));
            have_descr = 1;
        } else if (key.len == 13 && memcmp(key.ptr, "fortran_order", 13) == 0 && !have_fo) {
            BW_TRY(np_bool(p, &info->fortran_order));
            have_fo = 1;
        } else if (key.len == 5 && memcmp(key.ptr, "shape", 5) == 0 && !have_shape) {
            BW_TRY(np_shape(p, 0, info->shape, &info->n_dims, &info->numel));
            have_shape = 1;
        } else {
            char esc[40];
            p->i = kat;
            bw_escape_for_log((const char *)key.ptr, key.len, esc, sizeof(esc));
            return np_fail(p, BW_EFORMAT, "unexpected or repeated header key '%s'", esc);
        }
        any = 1;
    }
    if (!have_descr || !have_fo || !have_shape) {
        return np_fail(p, BW_EFORMAT, "header lacks %s",
                       !have_descr ? "'descr'"
                       : !have_fo  ? "'fortran_order'"
                                   : "'shape'");
    }
    np_ws(p);
    if (p->i != p->n) {
        return np_fail(p, BW_EFORMAT, "bytes after the header dict");
    }
    return BW_OK;
}

bw_status bw_npy_parse(const void *data, size_t n, const char *name, bw_npy_info *out, bw_error *err)
{
    bw_rd rd;
    uint8_t magic[6];
    uint64_t hlen;
    bw_bytes hdr;
    np p;

    if (out == NULL || (data == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_npy_parse: bad argument");
    }
    memset(out, 0, sizeof(*out));
    name = name != NULL ? name : "npy";
    bw_rd_init(&rd, data, n, name, err);
    BW_TRY(bw_rd_copy(&rd, magic, 6));
    if (memcmp(magic, "\x93NUMPY", 6) != 0) {
        return bw_fail_at(err, BW_EFORMAT, 0, "%s: offset 0: not a .npy file (bad magic)", name);
    }
    BW_TRY(bw_rd_u8(&rd, &out->major));
    BW_TRY(bw_rd_u8(&rd, &out->minor));
    if (out->major < 1 || out->major > 3 || out->minor != 0) {
        return bw_fail_at(err, BW_EUNSUPPORTED, 6, "%s: offset 6: unknown .npy version %u.%u", name, out->major,
                          out->minor);
    }
    if (out->major == 1) {
        uint16_t h16;
        BW_TRY(bw_rd_u16le(&rd, &h16));
        hlen = h16;
    } else {
        uint32_t h32;
        BW_TRY(bw_rd_u32le(&rd, &h32));
        hlen = h32;
    }
    if (hlen > NPY_MAX_HEADER) {
        return bw_fail_at(err, BW_ELIMIT, 8, "%s: offset 8: header length %" PRIu64 " over the limit", name, hlen);
    }
    if (hlen > bw_rd_left(&rd)) {
        return bw_fail_at(err, BW_EFORMAT, 8, "%s: offset 8: header length %" PRIu64 " runs past the end of the file",
                          name, hlen);
    }
    out->data_offset = bw_rd_offset(&rd) + hlen;
    BW_TRY(bw_rd_view(&rd, (size_t)hlen, &hdr));
    out->header_len = hlen;
    out->data_len = n - out->data_offset;
    if (out->major == 3 && !bw_utf8_valid((const char *)hdr.ptr, hdr.len)) {
        return bw_fail_at(err, BW_EFORMAT, out->data_offset - hlen, "%s: version 3.0 header is not UTF-8", name);
    }

    memset(&p, 0, sizeof(p));
    p.s = hdr.ptr;
    p.n = hdr.len;
    p.base = out->data_offset - hlen;
    p.name = name;
    p.err = err;
    BW_TRY(np_dict(&p, out));
    if (!out->has_object && __builtin_mul_overflow(out->numel, out->itemsize, &out->expected_len)) {
        return bw_fail_at(err, BW_ELIMIT, p.base, "%s: offset %" PRIu64 ": array byte size overflows", name, p.base);
    }
    return BW_OK;
}
