/*
 * safetensors.c - exact validation of a safetensors file (see bw_safetensors.h).
 *
 * The header is parsed with jansson (JSON_REJECT_DUPLICATES, so a tensor
 * name given twice is an error); everything else is checked here against
 * the format's rules, in the order a reader of the specification would:
 * the length prefix, the header's framing, each entry, then the tiling of
 * the byte buffer by the tensors.
 */
#include <inttypes.h>
#include <jansson.h>

#include "util/internal.h"

typedef struct st_dtype {
    const char *name;
    unsigned size;
} st_dtype;

/* The dtypes of the safetensors specification with a whole-byte element size. */
static const st_dtype st_dtypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
    {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
    {"F32", 4},  {"C64", 8}, {"F64", 8}, {"I64", 8},     {"U64", 8},
};

typedef struct st_ctx {
    const char *name;
    bw_error *err;
} st_ctx;

static bw_status st_fail(const st_ctx *c, bw_status code, uint64_t off, const char *fmt, ...) BW_PRINTF(4, 5);
static bw_status st_fail(const st_ctx *c, bw_status code, uint64_t off, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bw_fail_at(c->err, code, off, "%s: offset %" PRIu64 ": %s", c->name, off, msg);
}

unsigned bw_safetensors_dtype_size(const char *dtype, size_t n)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(st_dtypes); i++) {
        if (strlen(st_dtypes[i].name) == n && memcmp(st_dtypes[i].name, dtype, n) == 0) {
            return st_dtypes[i].size;
        }
    }
    return 0;
}

static const char *st_dtype_static(const char *dtype)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(st_dtypes); i++) {
        if (strcmp(st_dtypes[i].name, dtype) == 0) {
            return st_dtypes[i].name;
        }
    }
    return NULL;
}

void bw_safetensors_release(bw_st_file *f)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->n_tensors && f->tensors != NULL; i++) {
        bw_free(f->tensors[i].name);
    }
    bw_free(f->tensors);
    memset(f, 0, sizeof(*f));
}

/* A JSON integer that is a non-negative u64 (jansson integers are signed 64-bit). */
static int st_uint(const json_t *v, uint64_t *out)
{
    json_int_t x;

    if (!json_is_integer(v)) {
        return 0;
    }
    x = json_integer_value(v);
    if (x < 0) {
        return 0;
    }
    *out = (uint64_t)x;
    return 1;
}

static bw_status st_metadata(const st_ctx *c, json_t *meta, uint64_t hoff, bw_st_file *f)
{
    const char *k;
    json_t *v;

    if (!json_is_object(meta)) {
        return st_fail(c, BW_EFORMAT, hoff, "\"__metadata__\" is not an object");
    }
    json_object_foreach(meta, k, v)
    {
        if (!json_is_string(v)) {
            char esc[64];
            bw_escape_for_log(k, strlen(k), esc, sizeof(esc));
            return st_fail(c, BW_EFORMAT, hoff, "\"__metadata__\" value of '%s' is not a string", esc);
        }
        f->n_metadata++;
    }
    return BW_OK;
}

/* Check one tensor entry and fill *t (name not yet set). */
static bw_status st_entry(const st_ctx *c, const char *esc, json_t *v, uint64_t hoff, bw_st_tensor *t)
{
    json_t *dtype, *shape, *offs, *x;
    const char *k;
    size_t i;
    uint64_t numel = 1, nbytes, b, e;

    if (!json_is_object(v)) {
        return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': entry is not an object", esc);
    }
    json_object_foreach(v, k, x)
    {
        if (strcmp(k, "dtype") != 0 && strcmp(k, "shape") != 0 && strcmp(k, "data_offsets") != 0) {
            char kesc[64];
            bw_escape_for_log(k, strlen(k), kesc, sizeof(kesc));
            return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': unknown field '%s'", esc, kesc);
        }
    }
    dtype = json_object_get(v, "dtype");
    shape = json_object_get(v, "shape");
    offs = json_object_get(v, "data_offsets");
    if (!json_is_string(dtype)) {
        return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': \"dtype\" missing or not a string", esc);
    }
    t->dtype_size = bw_safetensors_dtype_size(json_string_value(dtype), json_string_length(dtype));
    t->dtype = t->dtype_size != 0 ? st_dtype_static(json_string_value(dtype)) : NULL;
    if (t->dtype == NULL) {
        char desc[40];
        bw_escape_for_log(json_string_value(dtype), json_string_length(dtype), desc, sizeof(desc));
        return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': unknown dtype '%s'", esc, desc);
    }
    if (!json_is_array(shape)) {
        return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': \"shape\" missing or not an array", esc);
    }
    if (json_array_size(shape) > BW_ST_MAX_DIMS) {
        return st_fail(c, BW_ELIMIT, hoff, "tensor '%s': %zu dimensions, over the limit of %d", esc,
                       json_array_size(shape), BW_ST_MAX_DIMS);
    }
    t->n_dims = (uint32_t)json_array_size(shape);
    json_array_foreach(shape, i, x)
    {
        uint64_t d;
        if (!st_uint(x, &d)) {
            return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': shape[%zu] is not a non-negative integer", esc, i);
        }
        if (__builtin_mul_overflow(numel, d, &numel)) {
            return st_fail(c, BW_ELIMIT, hoff, "tensor '%s': element count overflows", esc);
        }
    }
    if (__builtin_mul_overflow(numel, (uint64_t)t->dtype_size, &nbytes)) {
        return st_fail(c, BW_ELIMIT, hoff, "tensor '%s': byte size overflows", esc);
    }
    if (!json_is_array(offs) || json_array_size(offs) != 2) {
        return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': \"data_offsets\" missing or not [begin, end]", esc);
    }
    if (!st_uint(json_array_get(offs, 0), &b) || !st_uint(json_array_get(offs, 1), &e)) {
        return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': \"data_offsets\" are not non-negative integers", esc);
    }
    if (e < b) {
        return st_fail(c, BW_EFORMAT, hoff, "tensor '%s': data_offsets end %" PRIu64 " before begin %" PRIu64, esc, e,
                       b);
    }
    if (e - b != nbytes) {
        return st_fail(c, BW_EFORMAT, hoff,
                       "tensor '%s': data_offsets span %" PRIu64 " bytes, shape and dtype %s need %" PRIu64, esc, e - b,
                       t->dtype, nbytes);
    }
    t->numel = numel;
    t->begin = b;
    t->end = e;
    return BW_OK;
}

static int st_cmp(const void *a, const void *b)
{
    const bw_st_tensor *x = a, *y = b;
    if (x->begin != y->begin) {
        return x->begin < y->begin ? -1 : 1;
    }
    if (x->end != y->end) {
        return x->end < y->end ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

bw_status bw_safetensors_parse(const void *p, size_t n, const char *name, bw_st_file *out, bw_error *err)
{
    st_ctx c = {name != NULL ? name : "safetensors", err};
    bw_rd rd;
    bw_bytes hdr;
    uint64_t hlen;
    json_t *root = NULL;
    json_error_t jerr;
    bw_st_file f;
    bw_status rc;
    size_t end, cap, i;
    const char *k;
    json_t *v;

    memset(&f, 0, sizeof(f));
    if (out == NULL || (p == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_safetensors_parse: bad argument");
    }
    memset(out, 0, sizeof(*out));
    bw_rd_init(&rd, p, n, c.name, err);
    BW_TRY(bw_rd_u64le(&rd, &hlen));
    if (hlen > BW_ST_MAX_HEADER) {
        return st_fail(&c, BW_ELIMIT, 0, "header length %" PRIu64 " over the limit of %u", hlen, BW_ST_MAX_HEADER);
    }
    if (hlen > bw_rd_left(&rd)) {
        return st_fail(&c, BW_EFORMAT, 0, "header length %" PRIu64 " runs past the end of the file (%zu bytes)", hlen,
                       n);
    }
    if (hlen < 2) {
        return st_fail(&c, BW_EFORMAT, 0, "header length %" PRIu64 " is too short for a JSON object", hlen);
    }
    BW_TRY(bw_rd_view(&rd, (size_t)hlen, &hdr));
    /* framing: starts with '{', ends with '}' followed only by space padding */
    if (hdr.ptr[0] != '{') {
        return st_fail(&c, BW_EFORMAT, 8, "header does not start with '{'");
    }
    end = hdr.len;
    while (end > 0 && hdr.ptr[end - 1] == ' ') {
        end--;
    }
    if (end == 0 || hdr.ptr[end - 1] != '}') {
        return st_fail(&c, BW_EFORMAT, 8 + (uint64_t)end, "header JSON is not followed by only space padding");
    }
    if (!bw_utf8_valid((const char *)hdr.ptr, hdr.len)) {
        return st_fail(&c, BW_EFORMAT, 8, "header is not valid UTF-8");
    }
    if (memchr(hdr.ptr, '\0', hdr.len) != NULL) {
        return st_fail(&c, BW_EFORMAT, 8 + (uint64_t)((const uint8_t *)memchr(hdr.ptr, '\0', hdr.len) - hdr.ptr),
                       "NUL byte in header");
    }
    root = json_loadb((const char *)hdr.ptr, end, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        char esc[128];
        bw_escape_for_log(jerr.text, strnlen(jerr.text, sizeof(jerr.text)), esc, sizeof(esc));
        uint64_t at = jerr.position >= 0 && (size_t)jerr.position <= end ? (uint64_t)jerr.position : 0;
        return st_fail(&c, BW_EFORMAT, 8 + at, "header JSON: %s", esc);
    }
    if (!json_is_object(root)) {
        rc = st_fail(&c, BW_EFORMAT, 8, "header is not a JSON object");
        goto out;
    }
    f.header_len = hlen;
    f.data_start = 8 + hlen;
    f.data_len = (uint64_t)(n - (size_t)f.data_start);
    cap = json_object_size(root);
    if (cap > BW_ST_MAX_TENSORS) {
        rc = st_fail(&c, BW_ELIMIT, 8, "%zu header entries, over the limit of %u", cap, BW_ST_MAX_TENSORS);
        goto out;
    }
    if (cap > 0) {
        f.tensors = bw_calloc(cap, sizeof(*f.tensors));
        if (f.tensors == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "%s: out of memory for %zu tensors", c.name, cap);
            goto out;
        }
    }
    json_object_foreach(root, k, v)
    {
        char esc[64];
        bw_st_tensor *t;

        if (strcmp(k, "__metadata__") == 0) {
            rc = st_metadata(&c, v, 8, &f);
            if (rc != BW_OK) {
                goto out;
            }
            continue;
        }
        bw_escape_for_log(k, strlen(k), esc, sizeof(esc));
        t = &f.tensors[f.n_tensors];
        rc = st_entry(&c, esc, v, 8, t);
        if (rc != BW_OK) {
            goto out;
        }
        t->name = bw_strdup(k);
        if (t->name == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "%s: out of memory", c.name);
            goto out;
        }
        f.n_tensors++;
    }
    if (f.n_tensors > 0) {
        qsort(f.tensors, f.n_tensors, sizeof(*f.tensors), st_cmp);
    }
    /* the tensors tile the byte buffer: no gap, no overlap, nothing left over */
    {
        uint64_t at = 0;
        for (i = 0; i < f.n_tensors; i++) {
            const bw_st_tensor *t = &f.tensors[i];
            char esc[64];
            bw_escape_for_log(t->name, strlen(t->name), esc, sizeof(esc));
            if (t->begin > at) {
                rc = st_fail(&c, BW_EFORMAT, f.data_start + at,
                             "gap of %" PRIu64 " bytes in the byte buffer before tensor '%s'", t->begin - at, esc);
                goto out;
            }
            if (t->begin < at) {
                rc = st_fail(&c, BW_EFORMAT, f.data_start + t->begin,
                             "tensor '%s' [%" PRIu64 ", %" PRIu64 ") overlaps the previous tensor", esc, t->begin,
                             t->end);
                goto out;
            }
            if (t->end > f.data_len) {
                rc = st_fail(&c, BW_EFORMAT, f.data_start + t->begin,
                             "tensor '%s' ends at %" PRIu64 ", past the byte buffer of %" PRIu64 " bytes", esc, t->end,
                             f.data_len);
                goto out;
            }
            at = t->end;
        }
        if (at != f.data_len) {
            rc = st_fail(&c, BW_EFORMAT, f.data_start + at,
                         "%" PRIu64 " bytes after the last tensor are not described by the header", f.data_len - at);
            goto out;
        }
    }
    *out = f;
    memset(&f, 0, sizeof(f));
    rc = BW_OK;
out:
    json_decref(root);
    bw_safetensors_release(&f);
    return rc;
}
