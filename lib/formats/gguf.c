/*
 * gguf.c - a bounds-checked GGUF reader and a Jinja chat-template checker
 * (see bw_gguf.h).
 *
 * The reader follows the file front to back through one bw_rd. Every count
 * is capped and compared with the bytes left (each element needs at least
 * one byte) before anything is allocated or looped over, so a hostile count
 * costs at most one pass over the input.
 */
#include <inttypes.h>

#include "util/internal.h"

typedef struct gg {
    bw_rd rd;
    const char *name;
    bw_error *err;
    uint32_t version;
} gg;

static bw_status gg_fail(gg *g, bw_status code, uint64_t off, const char *fmt, ...) BW_PRINTF(4, 5);
static bw_status gg_fail(gg *g, bw_status code, uint64_t off, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    g->rd.st = code; /* poison: nothing is read after a failure */
    return bw_fail_at(g->err, code, off, "%s: offset %" PRIu64 ": %s", g->name, off, msg);
}

/* ggml types: block size (elements) and bytes per block; ids without a layout were removed from ggml. */
static const struct {
    const char *name;
    uint32_t block, size;
} gg_types[] = {
    [0] = {"F32", 1, 4},         [1] = {"F16", 1, 2},         [2] = {"Q4_0", 32, 18},      [3] = {"Q4_1", 32, 20},
    [6] = {"Q5_0", 32, 22},      [7] = {"Q5_1", 32, 24},      [8] = {"Q8_0", 32, 34},      [9] = {"Q8_1", 32, 36},
    [10] = {"Q2_K", 256, 84},    [11] = {"Q3_K", 256, 110},   [12] = {"Q4_K", 256, 144},   [13] = {"Q5_K", 256, 176},
    [14] = {"Q6_K", 256, 210},   [15] = {"Q8_K", 256, 292},   [16] = {"IQ2_XXS", 256, 66}, [17] = {"IQ2_XS", 256, 74},
    [18] = {"IQ3_XXS", 256, 98}, [19] = {"IQ1_S", 256, 50},   [20] = {"IQ4_NL", 32, 18},   [21] = {"IQ3_S", 256, 110},
    [22] = {"IQ2_S", 256, 82},   [23] = {"IQ4_XS", 256, 136}, [24] = {"I8", 1, 1},         [25] = {"I16", 1, 2},
    [26] = {"I32", 1, 4},        [27] = {"I64", 1, 8},        [28] = {"F64", 1, 8},        [29] = {"IQ1_M", 256, 56},
    [30] = {"BF16", 1, 2},       [34] = {"TQ1_0", 256, 54},   [35] = {"TQ2_0", 256, 66},   [39] = {"MXFP4", 32, 17},
};

const char *bw_gguf_ggml_type(uint32_t type, uint32_t *block, uint32_t *type_size)
{
    if (type >= BW_ARRAY_LEN(gg_types) || gg_types[type].name == NULL) {
        return NULL;
    }
    if (block != NULL) {
        *block = gg_types[type].block;
    }
    if (type_size != NULL) {
        *type_size = gg_types[type].size;
    }
    return gg_types[type].name;
}

/* Size of a fixed-width value type, 0 for STRING / ARRAY / unknown. */
static unsigned gg_scalar_size(uint32_t t)
{
    switch (t) {
    case BW_GGUF_UINT8:
    case BW_GGUF_INT8:
    case BW_GGUF_BOOL: return 1;
    case BW_GGUF_UINT16:
    case BW_GGUF_INT16: return 2;
    case BW_GGUF_UINT32:
    case BW_GGUF_INT32:
    case BW_GGUF_FLOAT32: return 4;
    case BW_GGUF_UINT64:
    case BW_GGUF_INT64:
    case BW_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

/* A count or length: u32 in version 1, u64 after. */
static bw_status gg_count(gg *g, uint64_t *v)
{
    if (g->version == 1) {
        uint32_t x;
        BW_TRY(bw_rd_u32le(&g->rd, &x));
        *v = x;
        return BW_OK;
    }
    return bw_rd_u64le(&g->rd, v);
}

static bw_status gg_string(gg *g, bw_bytes *out, const char *what)
{
    uint64_t at = bw_rd_offset(&g->rd), len;

    BW_TRY(gg_count(g, &len));
    if (len > BW_GGUF_MAX_STRING) {
        return gg_fail(g, BW_ELIMIT, at, "%s length %" PRIu64 " over the limit", what, len);
    }
    if (len > bw_rd_left(&g->rd)) {
        return gg_fail(g, BW_EFORMAT, at, "%s length %" PRIu64 " runs past the end of the file", what, len);
    }
    return bw_rd_view(&g->rd, (size_t)len, out);
}

static bw_status gg_value(gg *g, uint32_t type, unsigned depth, bw_gguf_kv *kv);

static bw_status gg_array(gg *g, unsigned depth, bw_gguf_kv *kv)
{
    uint64_t at = bw_rd_offset(&g->rd), count, bytes;
    uint32_t elem;
    unsigned sz;

    BW_TRY(bw_rd_u32le(&g->rd, &elem));
    BW_TRY(gg_count(g, &count));
    if (kv != NULL) {
        kv->elem = (bw_gguf_type)elem;
        kv->count = count;
    }
    if (elem == BW_GGUF_ARRAY && depth + 1 >= BW_GGUF_MAX_ARRAY_DEPTH) {
        return gg_fail(g, BW_ELIMIT, at, "arrays nested deeper than %d", BW_GGUF_MAX_ARRAY_DEPTH);
    }
    sz = gg_scalar_size(elem);
    if (sz == 0 && elem != BW_GGUF_STRING && elem != BW_GGUF_ARRAY) {
        return gg_fail(g, BW_EFORMAT, at, "array of unknown value type %" PRIu32, elem);
    }
    if (sz != 0) {
        if (__builtin_mul_overflow(count, (uint64_t)sz, &bytes) || bytes > bw_rd_left(&g->rd)) {
            return gg_fail(g, BW_EFORMAT, at, "array of %" PRIu64 " elements runs past the end of the file", count);
        }
        if (elem == BW_GGUF_BOOL) {
            for (uint64_t i = 0; i < count; i++) {
                uint8_t b;
                uint64_t bat = bw_rd_offset(&g->rd);
                BW_TRY(bw_rd_u8(&g->rd, &b));
                if (b > 1) {
                    return gg_fail(g, BW_EFORMAT, bat, "bool array element %" PRIu64 " is %u, not 0 or 1", i, b);
                }
            }
            return BW_OK;
        }
        return bw_rd_skip(&g->rd, (size_t)bytes);
    }
    /* strings take at least 4 or 8 bytes, nested arrays at least 8 or 12 */
    if (count > bw_rd_left(&g->rd) / 4) {
        return gg_fail(g, BW_EFORMAT, at, "array of %" PRIu64 " elements runs past the end of the file", count);
    }
    for (uint64_t i = 0; i < count; i++) {
        BW_TRY(gg_value(g, elem, depth + 1, NULL));
    }
    return BW_OK;
}

static bw_status gg_value(gg *g, uint32_t type, unsigned depth, bw_gguf_kv *kv)
{
    uint64_t at = bw_rd_offset(&g->rd);
    bw_bytes s;

    switch (type) {
    case BW_GGUF_STRING:
        BW_TRY(gg_string(g, &s, "string value"));
        if (kv != NULL) {
            kv->str = s;
        }
        return BW_OK;
    case BW_GGUF_ARRAY: return gg_array(g, depth, kv);
    case BW_GGUF_BOOL: {
        uint8_t b;
        BW_TRY(bw_rd_u8(&g->rd, &b));
        if (b > 1) {
            return gg_fail(g, BW_EFORMAT, at, "bool value is %u, not 0 or 1", b);
        }
        if (kv != NULL) {
            kv->u = b;
        }
        return BW_OK;
    }
    default: {
        unsigned sz = gg_scalar_size(type);
        uint8_t raw[8] = {0};
        if (sz == 0) {
            return gg_fail(g, BW_EFORMAT, at, "unknown value type %" PRIu32, type);
        }
        BW_TRY(bw_rd_copy(&g->rd, raw, sz));
        if (kv != NULL) {
            uint64_t v = 0;
            for (unsigned i = 0; i < sz; i++) {
                v |= (uint64_t)raw[i] << (8 * i);
            }
            kv->u = v;
        }
        return BW_OK;
    }
    }
}

static int gg_bytes_cmp(bw_bytes a, bw_bytes b)
{
    size_t m = BW_MIN(a.len, b.len);
    int c = m > 0 ? memcmp(a.ptr, b.ptr, m) : 0;
    if (c != 0) {
        return c;
    }
    return a.len < b.len ? -1 : a.len > b.len;
}

static int gg_kv_cmp(const void *a, const void *b)
{
    return gg_bytes_cmp((*(const bw_gguf_kv *const *)a)->key, (*(const bw_gguf_kv *const *)b)->key);
}

static int gg_tname_cmp(const void *a, const void *b)
{
    return gg_bytes_cmp((*(const bw_gguf_tensor *const *)a)->name, (*(const bw_gguf_tensor *const *)b)->name);
}

static int gg_toff_cmp(const void *a, const void *b)
{
    const bw_gguf_tensor *x = *(const bw_gguf_tensor *const *)a, *y = *(const bw_gguf_tensor *const *)b;
    if (x->offset != y->offset) {
        return x->offset < y->offset ? -1 : 1;
    }
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

static bw_status gg_tensor(gg *g, bw_gguf_tensor *t)
{
    uint64_t at = bw_rd_offset(&g->rd), rows = 1, row;
    uint32_t block, tsize;
    char esc[64];

    BW_TRY(gg_string(g, &t->name, "tensor name"));
    bw_escape_for_log((const char *)t->name.ptr, t->name.len, esc, sizeof(esc));
    BW_TRY(bw_rd_u32le(&g->rd, &t->n_dims));
    if (t->n_dims > BW_GGUF_MAX_DIMS) {
        return gg_fail(g, BW_EFORMAT, at, "tensor '%s' has %" PRIu32 " dimensions, more than %d", esc, t->n_dims,
                       BW_GGUF_MAX_DIMS);
    }
    for (uint32_t d = 0; d < BW_GGUF_MAX_DIMS; d++) {
        t->dims[d] = 1;
    }
    for (uint32_t d = 0; d < t->n_dims; d++) {
        if (g->version == 1) {
            uint32_t x;
            BW_TRY(bw_rd_u32le(&g->rd, &x));
            t->dims[d] = x;
        } else {
            BW_TRY(bw_rd_u64le(&g->rd, &t->dims[d]));
        }
        if (t->dims[d] > INT64_MAX) {
            return gg_fail(g, BW_EFORMAT, at, "tensor '%s' dimension %" PRIu32 " is negative", esc, d);
        }
    }
    BW_TRY(bw_rd_u32le(&g->rd, &t->type));
    BW_TRY(bw_rd_u64le(&g->rd, &t->offset));
    if (bw_gguf_ggml_type(t->type, &block, &tsize) == NULL) {
        return gg_fail(g, BW_EFORMAT, at, "tensor '%s' has unknown ggml type %" PRIu32, esc, t->type);
    }
    if (t->dims[0] % block != 0) {
        return gg_fail(g, BW_EFORMAT, at,
                       "tensor '%s': first dimension %" PRIu64 " is not a multiple of the %s block size %" PRIu32, esc,
                       t->dims[0], gg_types[t->type].name, block);
    }
    row = t->dims[0] / block * tsize;
    for (uint32_t d = 1; d < BW_GGUF_MAX_DIMS; d++) {
        if (__builtin_mul_overflow(rows, t->dims[d], &rows) || rows > INT64_MAX) {
            return gg_fail(g, BW_ELIMIT, at, "tensor '%s': element count overflows", esc);
        }
    }
    if (__builtin_mul_overflow(rows, row, &t->nbytes) || t->nbytes > INT64_MAX) {
        return gg_fail(g, BW_ELIMIT, at, "tensor '%s': byte size overflows", esc);
    }
    return BW_OK;
}

void bw_gguf_release(bw_gguf_file *f)
{
    if (f == NULL) {
        return;
    }
    bw_free(f->kv);
    bw_free(f->tensors);
    memset(f, 0, sizeof(*f));
}

bw_status bw_gguf_parse(const void *p, size_t n, const char *name, bw_gguf_file *out, bw_error *err)
{
    gg g;
    bw_gguf_file f;
    const void **idx = NULL;
    uint8_t magic[4];
    uint64_t min_kv, min_t, hdr_end, pad;
    bw_status rc;
    size_t cap;

    memset(&f, 0, sizeof(f));
    if (out == NULL || (p == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_gguf_parse: bad argument");
    }
    memset(out, 0, sizeof(*out));
    memset(&g, 0, sizeof(g));
    g.name = name != NULL ? name : "gguf";
    g.err = err;
    bw_rd_init(&g.rd, p, n, g.name, err);

    BW_TRY(bw_rd_copy(&g.rd, magic, 4));
    if (memcmp(magic, "GGUF", 4) != 0) {
        return gg_fail(&g, BW_EFORMAT, 0, "not a GGUF file (bad magic)");
    }
    BW_TRY(bw_rd_u32le(&g.rd, &g.version));
    if (g.version == 0 || g.version > 3) {
        if ((g.version & 0xffff) == 0) {
            return gg_fail(&g, BW_EUNSUPPORTED, 4, "big-endian GGUF (version %08" PRIx32 ") is not supported",
                           g.version);
        }
        return gg_fail(&g, BW_EUNSUPPORTED, 4, "unknown GGUF version %" PRIu32, g.version);
    }
    f.version = g.version;
    BW_TRY(gg_count(&g, &f.n_tensors));
    BW_TRY(gg_count(&g, &f.n_kv));
    min_kv = (g.version == 1 ? 4 : 8) + 4 + 1;
    min_t = (g.version == 1 ? 4 : 8) + 4 + 4 + 8;
    if (f.n_kv > BW_GGUF_MAX_KV || f.n_tensors > BW_GGUF_MAX_TENSORS) {
        return gg_fail(&g, BW_ELIMIT, 8, "%" PRIu64 " tensors and %" PRIu64 " metadata entries: over the limit",
                       f.n_tensors, f.n_kv);
    }
    if (f.n_kv * min_kv + f.n_tensors * min_t > bw_rd_left(&g.rd)) {
        return gg_fail(&g, BW_EFORMAT, 8,
                       "%" PRIu64 " tensors and %" PRIu64 " metadata entries cannot fit in the %zu bytes left",
                       f.n_tensors, f.n_kv, bw_rd_left(&g.rd));
    }
    cap = (size_t)BW_MAX(f.n_kv, f.n_tensors);
    if (f.n_kv > 0 && (f.kv = bw_calloc((size_t)f.n_kv, sizeof(*f.kv))) == NULL) {
        goto nomem;
    }
    if (f.n_tensors > 0 && (f.tensors = bw_calloc((size_t)f.n_tensors, sizeof(*f.tensors))) == NULL) {
        goto nomem;
    }
    if (cap > 0 && (idx = bw_calloc(cap, sizeof(*idx))) == NULL) {
        goto nomem;
    }

    f.alignment = BW_GGUF_DEFAULT_ALIGNMENT;
    for (uint64_t i = 0; i < f.n_kv; i++) {
        bw_gguf_kv *kv = &f.kv[i];
        uint32_t type;
        if ((rc = gg_string(&g, &kv->key, "key")) != BW_OK || (rc = bw_rd_u32le(&g.rd, &type)) != BW_OK) {
            goto out;
        }
        kv->type = (bw_gguf_type)type;
        kv->offset = bw_rd_offset(&g.rd);
        if ((rc = gg_value(&g, type, 0, kv)) != BW_OK) {
            goto out;
        }
        if (kv->key.len == 17 && memcmp(kv->key.ptr, "general.alignment", 17) == 0) {
            if (type != BW_GGUF_UINT32 || kv->u == 0 || (kv->u & (kv->u - 1)) != 0) {
                rc = gg_fail(&g, BW_EFORMAT, kv->offset, "general.alignment is not a u32 power of two");
                goto out;
            }
            f.alignment = (uint32_t)kv->u;
        }
    }
    /* duplicate keys: ggml refuses them, and two readers could pick different ones */
    for (uint64_t i = 0; i < f.n_kv; i++) {
        idx[i] = &f.kv[i];
    }
    if (f.n_kv > 1) {
        qsort(idx, (size_t)f.n_kv, sizeof(*idx), gg_kv_cmp);
        for (uint64_t i = 1; i < f.n_kv; i++) {
            const bw_gguf_kv *a = idx[i - 1], *b = idx[i];
            if (gg_bytes_cmp(a->key, b->key) == 0) {
                char esc[64];
                bw_escape_for_log((const char *)b->key.ptr, b->key.len, esc, sizeof(esc));
                rc = gg_fail(&g, BW_EFORMAT, BW_MAX(a->offset, b->offset), "duplicate metadata key '%s'", esc);
                goto out;
            }
        }
    }

    for (uint64_t i = 0; i < f.n_tensors; i++) {
        if ((rc = gg_tensor(&g, &f.tensors[i])) != BW_OK) {
            goto out;
        }
    }
    hdr_end = bw_rd_offset(&g.rd);
    pad = (f.alignment - hdr_end % f.alignment) % f.alignment;
    f.data_start = hdr_end + pad;
    if (f.n_tensors > 0) {
        uint64_t room;
        if (f.data_start > n) {
            rc = gg_fail(&g, BW_EFORMAT, hdr_end, "padding to the %" PRIu32 "-byte alignment runs past the end",
                         f.alignment);
            goto out;
        }
        room = n - f.data_start;
        for (uint64_t i = 0; i < f.n_tensors; i++) {
            idx[i] = &f.tensors[i];
        }
        qsort(idx, (size_t)f.n_tensors, sizeof(*idx), gg_tname_cmp);
        for (uint64_t i = 1; i < f.n_tensors; i++) {
            const bw_gguf_tensor *a = idx[i - 1], *b = idx[i];
            if (gg_bytes_cmp(a->name, b->name) == 0) {
                char esc[64];
                bw_escape_for_log((const char *)b->name.ptr, b->name.len, esc, sizeof(esc));
                rc = gg_fail(&g, BW_EFORMAT, hdr_end, "duplicate tensor name '%s'", esc);
                goto out;
            }
        }
        qsort(idx, (size_t)f.n_tensors, sizeof(*idx), gg_toff_cmp);
        for (uint64_t i = 0; i < f.n_tensors; i++) {
            const bw_gguf_tensor *t = idx[i];
            char esc[64];
            bw_escape_for_log((const char *)t->name.ptr, t->name.len, esc, sizeof(esc));
            if (t->offset % f.alignment != 0) {
                rc = gg_fail(&g, BW_EFORMAT, f.data_start,
                             "tensor '%s' offset %" PRIu64 " is not a multiple of %" PRIu32, esc, t->offset,
                             f.alignment);
                goto out;
            }
            if (t->offset > room || t->nbytes > room - t->offset) {
                rc = gg_fail(&g, BW_EFORMAT, f.data_start,
                             "tensor '%s' data [%" PRIu64 ", +%" PRIu64 ") runs past the end of the file", esc,
                             t->offset, t->nbytes);
                goto out;
            }
            if (i > 0) {
                const bw_gguf_tensor *prev = idx[i - 1];
                if (prev->offset + prev->nbytes > t->offset) {
                    rc = gg_fail(&g, BW_EFORMAT, f.data_start + t->offset, "tensor '%s' overlaps the tensor before it",
                                 esc);
                    goto out;
                }
            }
        }
    }
    bw_free(idx);
    *out = f;
    return BW_OK;
nomem:
    rc = bw_fail(err, BW_ENOMEM, "%s: out of memory", g.name);
out:
    bw_free(idx);
    bw_gguf_release(&f);
    return rc;
}

/* ---- Jinja chat templates ---------------------------------------------- */

static int jj_hex(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (uint8_t)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int jj_ident(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static uint8_t jj_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

/*
 * Decode string escapes (\xHH, \uHHHH, \UHHHHHHHH, \ooo) and lowercase:
 * `dec` gets the text, `pos` the index in the template of each byte.
 */
static size_t jj_decode(const uint8_t *s, size_t n, uint8_t *dec, size_t *pos)
{
    size_t i = 0, o = 0;

    while (i < n) {
        size_t start = i;
        uint32_t v = 0;
        size_t digits = 0, want = 0;

        if (s[i] == '\\' && i + 1 < n) {
            uint8_t e = s[i + 1];
            if (e == 'x') {
                want = 2;
            } else if (e == 'u') {
                want = 4;
            } else if (e == 'U') {
                want = 8;
            }
            if (want > 0 && i + 2 + want <= n) {
                for (digits = 0; digits < want && jj_hex(s[i + 2 + digits]) >= 0; digits++) {
                    v = v * 16 + (uint32_t)jj_hex(s[i + 2 + digits]);
                }
                if (digits == want) {
                    dec[o] = jj_lower(v < 0x80 ? (uint8_t)v : '?');
                    pos[o++] = start;
                    i += 2 + want;
                    continue;
                }
            } else if (e >= '0' && e <= '7') {
                for (digits = 0;
                     digits < 3 && i + 1 + digits < n && s[i + 1 + digits] >= '0' && s[i + 1 + digits] <= '7';
                     digits++) {
                    v = v * 8 + (uint32_t)(s[i + 1 + digits] - '0');
                }
                dec[o] = jj_lower(v < 0x80 ? (uint8_t)v : '?');
                pos[o++] = start;
                i += 1 + digits;
                continue;
            }
        }
        dec[o] = jj_lower(s[i]);
        pos[o++] = start;
        i++;
    }
    return o;
}

/*
 * Undo the usual ways of building a name from pieces: drop quotes,
 * whitespace, '~', '+', ',', brackets and parentheses ("'__cla' ~ 'ss__'",
 * "['__cla','ss__']|join" and "attr('__class__')" all contain "__class__"
 * afterwards) and expand "'_' * 2".
 */
static size_t jj_strip(const uint8_t *dec, const size_t *dpos, size_t n, uint8_t *st, size_t *spos, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t c = dec[i];
        if (c == '\'' || c == '"' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '~' || c == '+' ||
            c == ',' || c == '[' || c == ']' || c == '(' || c == ')') {
            continue;
        }
        if (c == '*' && o > 0 && st[o - 1] == '_') {
            size_t j = i + 1, k = 0, times = 0;
            while (j < n && (dec[j] == ' ' || dec[j] == ')')) {
                j++;
            }
            while (j < n && dec[j] >= '0' && dec[j] <= '9' && times < 100) {
                times = times * 10 + (size_t)(dec[j] - '0');
                j++;
            }
            while (k < o && st[o - 1 - k] == '_') {
                k++;
            }
            if (times >= 1 && times <= 8 && k <= 8 && o + k * (times - 1) < cap) {
                for (size_t r = 1; r < times; r++) {
                    for (size_t q = 0; q < k; q++) {
                        st[o] = '_';
                        spos[o++] = dpos[i];
                    }
                }
                i = j - 1;
                continue;
            }
        }
        st[o] = c;
        spos[o++] = dpos[i];
    }
    return o;
}

static const char *const jj_dunders[] = {
    "__globals__", "__subclasses__", "__builtins__", "__class__",  "__mro__",          "__base__",
    "__bases__",   "__init__",       "__import__",   "__dict__",   "__getattribute__", "__reduce__",
    "__code__",    "__self__",       "__func__",     "__loader__", "__spec__",         "__getitem__",
    "__module__",  "__name__",       "__call__",     "__new__",    "__weakref__",
};

/* Names that are suspicious wherever they appear once pieces are joined. */
static const char *const jj_names[] = {
    "_templatereference__context", "popen",         "subprocess", "lipsum", "cycler", "joiner",
    "request.application",         "import_module", "__import__",
};

static void jj_fill(bw_jinja_hit *hit, const char *what, const char *tmpl, size_t n, size_t at)
{
    size_t from, len;

    if (hit == NULL) {
        return;
    }
    hit->what = what;
    hit->at = at;
    from = at > 16 ? at - 16 : 0;
    len = BW_MIN(n - from, (size_t)48);
    bw_escape_for_log(tmpl + from, len, hit->excerpt, sizeof(hit->excerpt));
}

static const uint8_t *jj_find(const uint8_t *h, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || m > n) {
        return NULL;
    }
    for (size_t i = 0; i + m <= n; i++) {
        if (h[i] == (uint8_t)needle[0] && memcmp(h + i, needle, m) == 0) {
            return h + i;
        }
    }
    return NULL;
}

/* `word` in dec as a whole identifier (followed, when `call`, by optional spaces and '('). */
static int jj_word(const uint8_t *dec, size_t n, const char *word, int call, int dot, size_t *at)
{
    size_t m = strlen(word);

    for (size_t i = 0; i + m <= n; i++) {
        size_t j = i + m;
        if (memcmp(dec + i, word, m) != 0 || (i > 0 && jj_ident(dec[i - 1]))) {
            continue;
        }
        if (j < n && jj_ident(dec[j])) {
            continue;
        }
        while (j < n && dec[j] == ' ') {
            j++;
        }
        if (call && (j >= n || dec[j] != '(')) {
            continue;
        }
        if (dot && (j + 1 >= n || dec[j] != '.' || !jj_ident(dec[j + 1]))) {
            continue;
        }
        *at = i;
        return 1;
    }
    return 0;
}

/* `|attr(` whose argument is not a plain string literal without underscores. */
static int jj_attr(const uint8_t *dec, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++) {
        size_t j;
        if (dec[i] != '|') {
            continue;
        }
        j = i + 1;
        while (j < n && dec[j] == ' ') {
            j++;
        }
        if (j + 4 > n || memcmp(dec + j, "attr", 4) != 0 || (j + 4 < n && jj_ident(dec[j + 4]))) {
            continue;
        }
        j += 4;
        while (j < n && dec[j] == ' ') {
            j++;
        }
        if (j < n && dec[j] == '(') {
            uint8_t q;
            size_t k;
            j++;
            while (j < n && dec[j] == ' ') {
                j++;
            }
            q = j < n ? dec[j] : 0;
            if (q == '\'' || q == '"') {
                for (k = j + 1; k < n && dec[k] != q && dec[k] != '_'; k++) {
                }
                if (k < n && dec[k] == q) {
                    k++;
                    while (k < n && dec[k] == ' ') {
                        k++;
                    }
                    if (k < n && dec[k] == ')') {
                        continue; /* a plain name: harmless */
                    }
                }
            }
        }
        *at = i;
        return 1;
    }
    return 0;
}

int bw_jinja_suspicious(const char *tmpl, size_t n, bw_jinja_hit *hit)
{
    uint8_t *dec = NULL, *st = NULL;
    size_t *dpos = NULL, *spos = NULL, dn, sn, at = 0;
    const uint8_t *m;
    int found = 0;

    if (tmpl == NULL || n == 0) {
        return 0;
    }
    if (n > BW_JINJA_MAX_TEMPLATE) {
        /* real chat templates are a few KiB; one this large is not checked piecemeal */
        jj_fill(hit, "a template over the size limit", tmpl, n, 0);
        return 1;
    }
    dec = bw_malloc(n);
    st = bw_malloc(n * 2 + 1);
    dpos = bw_reallocarray(NULL, n, sizeof(*dpos));
    spos = bw_reallocarray(NULL, n * 2 + 1, sizeof(*spos));
    if (dec == NULL || st == NULL || dpos == NULL || spos == NULL) {
        found = -1;
        goto out;
    }
    dn = jj_decode((const uint8_t *)tmpl, n, dec, dpos);
    sn = jj_strip(dec, dpos, dn, st, spos, n); /* n expanded plus at most n copied bytes: fits n * 2 */

    /* any dunder name, once pieces are joined */
    for (size_t i = 0; i + 5 <= sn && !found; i++) {
        size_t j;
        if (st[i] != '_' || st[i + 1] != '_' || (i > 0 && st[i - 1] == '_')) {
            continue;
        }
        for (j = i + 2; j < sn && ((st[j] >= 'a' && st[j] <= 'z') || (st[j] >= '0' && st[j] <= '9')); j++) {
        }
        if (j == i + 2 || j + 2 > sn || st[j] != '_' || st[j + 1] != '_') {
            continue;
        }
        const char *what = "dunder attribute";
        for (size_t d = 0; d < BW_ARRAY_LEN(jj_dunders); d++) {
            if (strlen(jj_dunders[d]) == j + 2 - i && memcmp(st + i, jj_dunders[d], j + 2 - i) == 0) {
                what = jj_dunders[d];
            }
        }
        jj_fill(hit, what, tmpl, n, spos[i]);
        found = 1;
    }
    for (size_t k = 0; k < BW_ARRAY_LEN(jj_names) && !found; k++) {
        if ((m = jj_find(st, sn, jj_names[k])) != NULL) {
            jj_fill(hit, jj_names[k], tmpl, n, spos[m - st]);
            found = 1;
        }
    }
    if (!found && jj_word(dec, dn, "os", 0, 1, &at)) {
        jj_fill(hit, "os.", tmpl, n, dpos[at]);
        found = 1;
    }
    if (!found && jj_word(dec, dn, "eval", 1, 0, &at)) {
        jj_fill(hit, "eval(", tmpl, n, dpos[at]);
        found = 1;
    }
    if (!found && jj_word(dec, dn, "exec", 1, 0, &at)) {
        jj_fill(hit, "exec(", tmpl, n, dpos[at]);
        found = 1;
    }
    if (!found && jj_word(dec, dn, "mro", 0, 0, &at) && at > 0 && dec[at - 1] == '.') {
        jj_fill(hit, ".mro", tmpl, n, dpos[at]);
        found = 1;
    }
    if (!found && jj_attr(dec, dn, &at)) {
        jj_fill(hit, "|attr with a computed or underscored name", tmpl, n, dpos[at]);
        found = 1;
    }
    if (!found && (m = jj_find(st, sn, "|string|list")) != NULL) {
        jj_fill(hit, "|string|list character picking", tmpl, n, spos[m - st]);
        found = 1;
    }
    if (!found && jj_find(dec, dn, "%c") != NULL && (m = jj_find(dec, dn, "format")) != NULL) {
        jj_fill(hit, "%c|format character building", tmpl, n, dpos[m - dec]);
        found = 1;
    }
out:
    bw_free(dec);
    bw_free(st);
    bw_free(dpos);
    bw_free(spos);
    return found;
}
