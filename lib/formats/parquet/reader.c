/*
 * reader.c - the Parquet column reader: pages of flat columns to bw_batch
 * (see bw_parquet.h and docs/internals/parquet.md).
 *
 * The footer comes from meta.c. Each readable leaf becomes one pq_col, which
 * walks its column chunk page by page with pread(): a page header (read into
 * a window that grows until the header parses), the page's bytes, its CRC
 * when there is one, then the page is decompressed (codec.c), its levels and
 * values decoded (decode.c) and the values converted once to the batch type
 * (a dictionary is converted once per chunk, and data pages then only hold
 * indices into it). Rows are copied from the converted page into the batch
 * with the definition levels; a batch may span pages and row groups. Memory
 * is one page per column (plus its dictionary) and the batch: never the
 * file, never a whole chunk.
 *
 * Invariants: a column's page state (rows, values consumed) never passes
 * what its page decoded; a page's value count never passes what its chunk
 * has left, and a row group ends exactly when every column's chunk does.
 * Any count that disagrees is BW_EFORMAT naming the file offset.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data_internal.h"
#include "formats/parquet/pq_internal.h"

#include "bulwark/bw_file.h"

/* How a column's physical values become batch values. */
enum conv {
    CV_BOOL,   /* BOOLEAN -> bool */
    CV_I32,    /* INT32 -> int64 */
    CV_U32,    /* INT32 holding an unsigned value -> int64 */
    CV_I64,    /* INT64 -> int64 */
    CV_U64,    /* INT64 holding an unsigned value -> int64, float64 once one is over INT64_MAX */
    CV_DATE,   /* INT32 days -> date */
    CV_SCALE,  /* INT32/INT64 times, timestamps: * mul or floor(/ div) -> int64 or timestamp */
    CV_INT96,  /* INT96 (nanoseconds of the day, Julian day) -> timestamp */
    CV_F32,    /* FLOAT -> float64 */
    CV_F64,    /* DOUBLE -> float64 */
    CV_F16,    /* FIXED_LEN_BYTE_ARRAY(2) FLOAT16 -> float64 */
    CV_DEC32,  /* DECIMAL on INT32 -> float64 */
    CV_DEC64,  /* DECIMAL on INT64 -> float64 */
    CV_DECBIN, /* DECIMAL on byte arrays (big-endian two's complement) -> float64 */
    CV_UTF8,   /* text -> string, UTF-8 checked */
    CV_HEX,    /* other byte arrays -> lowercase hex string */
    CV_UUID,   /* FIXED_LEN_BYTE_ARRAY(16) UUID -> 8-4-4-4-12 string */
};

/* Values converted to a batch type: bool bytes, int64, double, int32 days, or pq_span. */
typedef struct conv_out {
    pq_buf v;
    pq_buf bad; /* a byte per value, valid when any_bad */
    pq_buf scratch;
    bool any_bad;
    size_t n;
} conv_out;

typedef struct pq_col {
    uint32_t leaf;
    const bw_parquet_leaf *lf;
    char *label; /* "<file>: column '<path>'" for messages */
    enum conv conv;
    bw_dtype natural; /* what the conversion produces */
    bw_dtype want;    /* the caller's type for the column, or natural */
    size_t width;     /* bytes of a fixed-width physical value */
    bool optional;
    int64_t mul, div; /* CV_SCALE */
    double pow10;     /* DECIMAL: 10^scale */

    /* the chunk */
    uint64_t pos, end;
    int64_t values_left;
    int32_t codec;
    bool seen_data;

    /* its dictionary */
    bool has_dict;
    size_t dict_n;
    pq_buf dict_raw;   /* the decompressed dictionary page */
    pq_buf dict_phys;  /* BOOLEAN entries as bytes */
    pq_buf dict_spans; /* byte array entries */
    const uint8_t *dict_fixed;
    conv_out dconv;

    /* the current page */
    pq_buf raw;  /* the page as read: header and compressed bytes */
    pq_buf page; /* decompressed */
    pq_buf def;  /* a byte per value: 1 present, 0 null */
    pq_buf idx;  /* dictionary indices */
    pq_buf phys; /* decoded fixed-width values */
    pq_buf spans;
    pq_buf lens; /* DELTA_* scratch */
    pq_buf own;  /* DELTA_BYTE_ARRAY values */
    conv_out pconv;
    bool page_dict;
    size_t page_rows, page_pos, val_pos;
    uint64_t page_off;
} pq_col;

typedef struct skipped {
    const char *path;
    const char *why;
} skipped;

struct bw_parquet {
    char *name;
    bw_file *file;
    int fd;
    bw_parquet_meta *meta;
    bw_data_opts o;
    pq_codecs *codecs;
    pq_col *cols;
    size_t ncols;
    skipped *skip;
    size_t nskip;
    size_t *rgs; /* the row groups to read, in order */
    size_t nrgs, rg_next;
    int64_t rg_left; /* rows left in the current row group */
    bw_batch batch;
    bw_data_stats st;
    bool done;
};

static bw_status nomem(const bw_parquet *r, bw_error *err)
{
    return bw_fail(err, BW_ENOMEM, "%s: out of memory", r->name);
}

static bw_status col_fail(const pq_col *c, bw_error *err, bw_status code, uint64_t off, const char *fmt, ...)
    BW_PRINTF(5, 6);
static bw_status col_fail(const pq_col *c, bw_error *err, bw_status code, uint64_t off, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bw_fail_at(err, code, off, "%s: offset %" PRIu64 ": %s", c->label, off, msg);
}

static bw_status pread_at(bw_parquet *r, void *buf, size_t n, uint64_t off, bw_error *err)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = pread(r->fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return bw_fail_errno(err, errno, "cannot read", r->name);
        }
        if (k == 0) {
            return bw_fail_at(err, BW_EIO, off + got, "%s: offset %" PRIu64 ": the file ends early (it shrank?)",
                              r->name, off + got);
        }
        got += (size_t)k;
    }
    r->st.bytes += n;
    return BW_OK;
}

/* ---- conversions ------------------------------------------------------------------------------ */

static bw_status conv_reserve(conv_out *o, size_t n, size_t elem)
{
    o->any_bad = false;
    o->n = n;
    if (pq_buf_reserve(&o->v, n * elem + 1) != BW_OK || pq_buf_reserve(&o->bad, n + 1) != BW_OK) {
        return BW_ENOMEM;
    }
    return BW_OK;
}

static void mark_bad(conv_out *o, size_t i)
{
    if (!o->any_bad) {
        memset(o->bad.p, 0, o->n);
        o->any_bad = true;
    }
    o->bad.p[i] = 1;
}

static void conv_release(conv_out *o)
{
    pq_buf_release(&o->v);
    pq_buf_release(&o->bad);
    pq_buf_release(&o->scratch);
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 0x1f;
    double m = h & 0x3ff;
    double v;

    if (e == 0) {
        v = ldexp(m, -24);
    } else if (e == 31) {
        v = m == 0 ? INFINITY : NAN;
    } else {
        v = ldexp(m + 1024, e - 25);
    }
    return (h & 0x8000) ? -v : v;
}

__extension__ typedef unsigned __int128 pq_u128;
__extension__ typedef __int128 pq_i128;

/* A big-endian two's complement integer of n bytes, as a double (exact up to 2^53). */
static double be_signed_double(const uint8_t *p, size_t n)
{
    if (n == 0) {
        return 0;
    }
    if (n <= 16) {
        pq_u128 u = (p[0] & 0x80) ? ~(pq_u128)0 : 0;
        for (size_t i = 0; i < n; i++) {
            u = (u << 8) | p[i];
        }
        return (double)(pq_i128)u;
    }
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        d = d * 256 + p[i];
    }
    return (p[0] & 0x80) ? d - ldexp(1.0, (int)(8 * BW_MIN(n, 1000))) : d;
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Fixed-width physical values src[0..n) (c->width bytes each) to c->natural.
 * *overflow: a CV_U64 value over INT64_MAX while the column is int64 (the
 * caller widens the column to float64 and converts again).
 */
static bw_status convert_fixed(pq_col *c, const uint8_t *src, size_t n, conv_out *o, bool *overflow)
{
    if (conv_reserve(o, n, 8) != BW_OK) {
        return BW_ENOMEM;
    }
    int64_t *i64 = (int64_t *)(void *)o->v.p;
    double *f64 = (double *)(void *)o->v.p;

    switch (c->conv) {
    case CV_BOOL: memcpy(o->v.p, src, n); break;
    case CV_DATE: memcpy(o->v.p, src, n * 4); break;
    case CV_I64:
    case CV_F64: memcpy(o->v.p, src, n * 8); break;
    case CV_I32:
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            i64[i] = v;
        }
        break;
    case CV_U32:
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, src + 4 * i, 4);
            i64[i] = v;
        }
        break;
    case CV_U64:
        if (c->natural == BW_DT_INT64) {
            uint64_t top = 0;
            memcpy(o->v.p, src, n * 8);
            for (size_t i = 0; i < n; i++) {
                top |= (uint64_t)i64[i];
            }
            if (top >> 63) {
                *overflow = true;
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                uint64_t v;
                memcpy(&v, src + 8 * i, 8);
                f64[i] = (double)v;
            }
        }
        break;
    case CV_SCALE:
        for (size_t i = 0; i < n; i++) {
            int64_t v;
            if (c->width == 4) {
                int32_t w;
                memcpy(&w, src + 4 * i, 4);
                v = w;
            } else {
                memcpy(&v, src + 8 * i, 8);
            }
            if (c->div > 1) {
                v = floor_div(v, c->div);
            } else if (c->mul > 1 && __builtin_mul_overflow(v, c->mul, &v)) {
                mark_bad(o, i);
                v = 0;
            }
            i64[i] = v;
        }
        break;
    case CV_INT96:
        for (size_t i = 0; i < n; i++) {
            int64_t nanos, us;
            int32_t jd;
            memcpy(&nanos, src + 12 * i, 8);
            memcpy(&jd, src + 12 * i + 8, 4);
            if (__builtin_mul_overflow((int64_t)jd - 2440588, (int64_t)86400000000, &us) ||
                __builtin_add_overflow(us, floor_div(nanos, 1000), &us)) {
                mark_bad(o, i);
                us = 0;
            }
            i64[i] = us;
        }
        break;
    case CV_F32:
        for (size_t i = 0; i < n; i++) {
            float v;
            memcpy(&v, src + 4 * i, 4);
            f64[i] = v;
        }
        break;
    case CV_F16:
        for (size_t i = 0; i < n; i++) {
            f64[i] = half_to_double((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        }
        break;
    case CV_DEC32:
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            f64[i] = (double)v / c->pow10;
        }
        break;
    case CV_DEC64:
        for (size_t i = 0; i < n; i++) {
            int64_t v;
            memcpy(&v, src + 8 * i, 8);
            f64[i] = (double)v / c->pow10;
        }
        break;
    default: BW_ASSERT(!"byte array conversion on fixed values"); break;
    }
    return BW_OK;
}

static const char hexd[] = "0123456789abcdef";

/* Byte array values to c->natural (string, or float64 for DECIMAL). */
static bw_status convert_spans(pq_col *c, const pq_span *s, size_t n, conv_out *o)
{
    if (conv_reserve(o, n, sizeof(pq_span)) != BW_OK) {
        return BW_ENOMEM;
    }
    pq_span *out = (pq_span *)(void *)o->v.p;
    double *f64 = (double *)(void *)o->v.p;

    switch (c->conv) {
    case CV_UTF8:
        for (size_t i = 0; i < n; i++) {
            out[i] = s[i];
            if (!bw_utf8_valid((const char *)s[i].p, s[i].n)) {
                mark_bad(o, i);
                out[i].n = 0;
            }
        }
        break;
    case CV_DECBIN:
        for (size_t i = 0; i < n; i++) {
            f64[i] = be_signed_double(s[i].p, s[i].n) / c->pow10;
        }
        break;
    case CV_HEX:
    case CV_UUID: {
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            size_t add = (size_t)s[i].n * 2 + 4;
            if (add > UINT32_MAX || !bw_add_ok(total, add, &total)) {
                return BW_ELIMIT;
            }
        }
        if (pq_buf_reserve(&o->scratch, total + 1) != BW_OK) {
            return BW_ENOMEM;
        }
        uint8_t *w = o->scratch.p;
        for (size_t i = 0; i < n; i++) {
            uint8_t *start = w;
            for (uint32_t k = 0; k < s[i].n; k++) {
                if (c->conv == CV_UUID && s[i].n == 16 && (k == 4 || k == 6 || k == 8 || k == 10)) {
                    *w++ = '-';
                }
                *w++ = (uint8_t)hexd[s[i].p[k] >> 4];
                *w++ = (uint8_t)hexd[s[i].p[k] & 15];
            }
            out[i].p = start;
            out[i].n = (uint32_t)(w - start);
        }
        break;
    }
    default: BW_ASSERT(!"fixed conversion on byte arrays"); break;
    }
    return BW_OK;
}

/* ---- pages ------------------------------------------------------------------------------------ */

static bool spans_type(const pq_col *c)
{
    return c->lf->type == BW_PARQUET_BYTE_ARRAY || c->lf->type == BW_PARQUET_FIXED_LEN_BYTE_ARRAY;
}

/* FIXED_LEN_BYTE_ARRAY packed values as spans. */
static bw_status flba_spans(pq_col *c, const uint8_t *src, size_t n, pq_buf *spans)
{
    if (pq_buf_reserve(spans, n * sizeof(pq_span) + 1) != BW_OK) {
        return BW_ENOMEM;
    }
    pq_span *s = (pq_span *)(void *)spans->p;
    for (size_t i = 0; i < n; i++) {
        s[i].p = src + i * c->width;
        s[i].n = (uint32_t)c->width;
    }
    return BW_OK;
}

/* Convert physical values (fixed bytes or spans) into o; a CV_U64 overflow widens the column and redoes it. */
static bw_status convert(bw_parquet *r, pq_col *c, const uint8_t *fixed, const pq_span *spans, size_t n, conv_out *o,
                         pq_buf *span_buf, bw_error *err);

static bw_status reconvert_dict(bw_parquet *r, pq_col *c, bw_error *err)
{
    if (!c->has_dict) {
        return BW_OK;
    }
    return convert(r, c, c->dict_fixed, (const pq_span *)(const void *)c->dict_spans.p, c->dict_n, &c->dconv,
                   &c->dict_spans, err);
}

static bw_status convert(bw_parquet *r, pq_col *c, const uint8_t *fixed, const pq_span *spans, size_t n, conv_out *o,
                         pq_buf *span_buf, bw_error *err)
{
    bw_status rc;
    bool overflow = false;

    if (spans_type(c) && c->conv != CV_F16) {
        if (spans == NULL) {
            if (flba_spans(c, fixed, n, span_buf) != BW_OK) {
                return nomem(r, err);
            }
            spans = (const pq_span *)(const void *)span_buf->p;
        }
        rc = convert_spans(c, spans, n, o);
    } else {
        rc = convert_fixed(c, fixed, n, o, &overflow);
    }
    if (rc == BW_ELIMIT) {
        return bw_fail(err, BW_ELIMIT, "%s: values too long", c->label);
    }
    if (rc != BW_OK) {
        return nomem(r, err);
    }
    if (overflow) {
        /* an unsigned 64-bit value over INT64_MAX: the column is float64 from now on */
        c->natural = BW_DT_FLOAT64;
        if (o != &c->dconv) {
            BW_TRY(reconvert_dict(r, c, err));
        }
        return convert(r, c, fixed, spans, n, o, span_buf, err);
    }
    return BW_OK;
}

/* Decode `count` PLAIN values at in->pos for a dictionary or a data page; *fixed or *spans is set. */
static bw_status decode_plain(pq_col *c, pq_in *in, size_t count, pq_buf *phys, pq_buf *spans, const uint8_t **fixed,
                              const pq_span **sp)
{
    const int32_t t = c->lf->type;

    if (t == BW_PARQUET_BOOLEAN) {
        if (in->n - in->pos < (count + 7) / 8) {
            return pq_fail(in, BW_EFORMAT, in->pos, "PLAIN BOOLEAN: %zu values need %zu bytes, %zu left", count,
                           (count + 7) / 8, in->n - in->pos);
        }
        if (pq_buf_reserve(phys, count + 1) != BW_OK) {
            return BW_ENOMEM;
        }
        for (size_t i = 0; i < count; i++) {
            phys->p[i] = (in->p[in->pos + (i >> 3)] >> (i & 7)) & 1;
        }
        in->pos += (count + 7) / 8;
        *fixed = phys->p;
        return BW_OK;
    }
    if (t == BW_PARQUET_BYTE_ARRAY) {
        if (pq_buf_reserve(spans, count * sizeof(pq_span) + 1) != BW_OK) {
            return BW_ENOMEM;
        }
        BW_TRY(pq_plain_bytes(in, count, (pq_span *)(void *)spans->p));
        *sp = (const pq_span *)(const void *)spans->p;
        return BW_OK;
    }
    if ((in->n - in->pos) / c->width < count) {
        return pq_fail(in, BW_EFORMAT, in->pos, "PLAIN %s: %zu values of %zu bytes, %zu bytes left",
                       bw_parquet_type_name(t), count, c->width, in->n - in->pos);
    }
    *fixed = in->p + in->pos;
    in->pos += count * c->width;
    return BW_OK;
}

static bw_status decode_dict_page(bw_parquet *r, pq_col *c, const bw_parquet_page_header *h, const uint8_t *data,
                                  size_t len, uint64_t data_off, bw_error *err)
{
    const uint8_t *fixed = NULL;
    const pq_span *sp = NULL;
    bw_status rc;

    if (c->has_dict || c->seen_data) {
        return col_fail(c, err, BW_EFORMAT, data_off, "a dictionary page %s",
                        c->has_dict ? "after another one" : "after data pages");
    }
    if (h->encoding != BW_PARQUET_PLAIN && h->encoding != BW_PARQUET_PLAIN_DICTIONARY) {
        return col_fail(c, err, BW_EFORMAT, data_off, "dictionary page encoded as %s, not PLAIN",
                        bw_parquet_encoding_name(h->encoding));
    }
    if ((size_t)h->num_values > PQ_MAX_PAGE_VALUES) {
        return col_fail(c, err, BW_ELIMIT, data_off, "dictionary of %" PRId32 " entries, over the limit of %zu",
                        h->num_values, PQ_MAX_PAGE_VALUES);
    }
    if (pq_buf_reserve(&c->dict_raw, (size_t)h->uncompressed_size + 1) != BW_OK) {
        return nomem(r, err);
    }
    BW_TRY(pq_decompress(r->codecs, c->codec, data, len, c->dict_raw.p, (size_t)h->uncompressed_size, c->label,
                         data_off, err));
    pq_in in = {.p = c->dict_raw.p,
                .n = (size_t)h->uncompressed_size,
                .origin = data_off,
                .exact = c->codec == BW_PARQUET_UNCOMPRESSED,
                .name = c->label,
                .err = err};
    rc = decode_plain(c, &in, (size_t)h->num_values, &c->dict_phys, &c->dict_spans, &fixed, &sp);
    if (rc == BW_ENOMEM) {
        return nomem(r, err);
    }
    BW_TRY(rc);
    c->dict_n = (size_t)h->num_values;
    c->dict_fixed = fixed;
    c->has_dict = true;
    if (sp == NULL && spans_type(c) && c->conv != CV_F16) {
        if (flba_spans(c, fixed, c->dict_n, &c->dict_spans) != BW_OK) {
            return nomem(r, err);
        }
    }
    return reconvert_dict(r, c, err);
}

static bool enc_fits(int32_t enc, int32_t t)
{
    switch (enc) {
    case BW_PARQUET_PLAIN:
    case BW_PARQUET_PLAIN_DICTIONARY:
    case BW_PARQUET_RLE_DICTIONARY: return true;
    case BW_PARQUET_RLE: return t == BW_PARQUET_BOOLEAN;
    case BW_PARQUET_DELTA_BINARY_PACKED: return t == BW_PARQUET_INT32 || t == BW_PARQUET_INT64;
    case BW_PARQUET_DELTA_LENGTH_BYTE_ARRAY: return t == BW_PARQUET_BYTE_ARRAY;
    case BW_PARQUET_DELTA_BYTE_ARRAY: return t == BW_PARQUET_BYTE_ARRAY || t == BW_PARQUET_FIXED_LEN_BYTE_ARRAY;
    case BW_PARQUET_BYTE_STREAM_SPLIT:
        return t == BW_PARQUET_FLOAT || t == BW_PARQUET_DOUBLE || t == BW_PARQUET_INT32 || t == BW_PARQUET_INT64 ||
               t == BW_PARQUET_FIXED_LEN_BYTE_ARRAY;
    default: return false;
    }
}

/* The values of a data page: nn non-null values with encoding enc at in->pos. */
static bw_status decode_values(bw_parquet *r, pq_col *c, pq_in *in, int32_t enc, size_t nn, bw_error *err)
{
    const int32_t t = c->lf->type;
    const uint8_t *fixed = NULL;
    const pq_span *sp = NULL;
    bw_status rc = BW_OK;

    c->page_dict = false;
    if (enc == BW_PARQUET_BIT_PACKED || enc == BW_PARQUET_ALP || enc == 1 || enc < 0 || enc > BW_PARQUET_ALP) {
        return pq_fail(in, BW_EUNSUPPORTED, 0, "values encoded as %s (%" PRId32 ") are not supported",
                       bw_parquet_encoding_name(enc), enc);
    }
    if (!enc_fits(enc, t)) {
        return pq_fail(in, BW_EFORMAT, 0, "encoding %s is not defined for %s", bw_parquet_encoding_name(enc),
                       bw_parquet_type_name(t));
    }
    switch (enc) {
    case BW_PARQUET_PLAIN_DICTIONARY:
    case BW_PARQUET_RLE_DICTIONARY:
        if (!c->has_dict) {
            return pq_fail(in, BW_EFORMAT, 0, "a dictionary-encoded page and no dictionary page before it");
        }
        if (pq_buf_reserve(&c->idx, nn * 4 + 4) != BW_OK) {
            return nomem(r, err);
        }
        c->page_dict = true;
        if (nn == 0) {
            return BW_OK;
        }
        if (c->dict_n == 0) {
            return pq_fail(in, BW_EFORMAT, in->pos, "%zu dictionary indices into an empty dictionary", nn);
        }
        if (in->pos >= in->n) {
            return pq_fail(in, BW_EFORMAT, in->pos, "dictionary index bit width missing");
        }
        unsigned w = in->p[in->pos++];
        return pq_hybrid32(in, in->n, w, (uint32_t)(c->dict_n - 1), (uint32_t *)(void *)c->idx.p, nn);
    case BW_PARQUET_PLAIN: rc = decode_plain(c, in, nn, &c->phys, &c->spans, &fixed, &sp); break;
    case BW_PARQUET_RLE: {
        uint32_t len;
        if (in->n - in->pos < 4) {
            return pq_fail(in, BW_EFORMAT, in->pos, "RLE BOOLEAN: length prefix truncated");
        }
        memcpy(&len, in->p + in->pos, 4);
        in->pos += 4;
        if (len > in->n - in->pos) {
            return pq_fail(in, BW_EFORMAT, in->pos - 4, "RLE BOOLEAN: %" PRIu32 " bytes, %zu left", len,
                           in->n - in->pos);
        }
        if (pq_buf_reserve(&c->phys, nn + 1) != BW_OK) {
            return nomem(r, err);
        }
        BW_TRY(pq_hybrid8(in, in->pos + len, 1, 1, c->phys.p, nn));
        fixed = c->phys.p;
        break;
    }
    case BW_PARQUET_DELTA_BINARY_PACKED: {
        if (pq_buf_reserve(&c->phys, nn * 8 + 8) != BW_OK) {
            return nomem(r, err);
        }
        uint64_t *u = (uint64_t *)(void *)c->phys.p;
        BW_TRY(pq_delta(in, t == BW_PARQUET_INT32 ? 32 : 64, nn, u));
        if (t == BW_PARQUET_INT32) {
            uint32_t *o = (uint32_t *)(void *)c->phys.p;
            for (size_t i = 0; i < nn; i++) {
                o[i] = (uint32_t)u[i]; /* forward in place: o[i] is below u[i] */
            }
        }
        fixed = c->phys.p;
        break;
    }
    case BW_PARQUET_DELTA_LENGTH_BYTE_ARRAY:
    case BW_PARQUET_DELTA_BYTE_ARRAY: {
        if (pq_buf_reserve(&c->spans, nn * sizeof(pq_span) + 1) != BW_OK) {
            return nomem(r, err);
        }
        pq_span *s = (pq_span *)(void *)c->spans.p;
        if (enc == BW_PARQUET_DELTA_LENGTH_BYTE_ARRAY) {
            rc = pq_delta_length(in, nn, &c->lens, s);
        } else {
            rc = pq_delta_bytes(in, nn, &c->lens, &c->own, s);
        }
        BW_TRY(rc);
        if (t == BW_PARQUET_FIXED_LEN_BYTE_ARRAY) {
            for (size_t i = 0; i < nn; i++) {
                if (s[i].n != c->width) {
                    return pq_fail(in, BW_EFORMAT, 0, "DELTA_BYTE_ARRAY value %zu of %" PRIu32 " bytes in a FIXED(%zu)",
                                   i, s[i].n, c->width);
                }
            }
            if (c->conv == CV_F16) {
                /* the fixed conversion wants packed bytes */
                if (pq_buf_reserve(&c->phys, nn * 2 + 1) != BW_OK) {
                    return nomem(r, err);
                }
                for (size_t i = 0; i < nn; i++) {
                    memcpy(c->phys.p + 2 * i, s[i].p, 2);
                }
                fixed = c->phys.p;
                break;
            }
        }
        sp = s;
        break;
    }
    case BW_PARQUET_BYTE_STREAM_SPLIT:
        if (pq_buf_reserve(&c->phys, nn * c->width + 1) != BW_OK) {
            return nomem(r, err);
        }
        BW_TRY(pq_byte_stream_split(in, c->width, nn, c->phys.p));
        fixed = c->phys.p;
        break;
    default: break;
    }
    if (rc == BW_ENOMEM) {
        return nomem(r, err);
    }
    BW_TRY(rc);
    return convert(r, c, fixed, sp, nn, &c->pconv, &c->spans, err);
}

/* Definition levels of a v1 page: RLE (u32 length + hybrid) or the old BIT_PACKED. */
static bw_status levels_v1(pq_col *c, pq_in *in, int32_t enc, size_t nv)
{
    if (enc == BW_PARQUET_RLE) {
        uint32_t len;
        if (in->n - in->pos < 4) {
            return pq_fail(in, BW_EFORMAT, in->pos, "definition levels: length prefix truncated");
        }
        memcpy(&len, in->p + in->pos, 4);
        in->pos += 4;
        if (len > in->n - in->pos) {
            return pq_fail(in, BW_EFORMAT, in->pos - 4, "definition levels of %" PRIu32 " bytes, %zu left", len,
                           in->n - in->pos);
        }
        size_t end = in->pos + len;
        BW_TRY(pq_hybrid8(in, end, 1, 1, c->def.p, nv));
        in->pos = end;
        return BW_OK;
    }
    if (enc == BW_PARQUET_BIT_PACKED) {
        /* deprecated: bits packed from the most significant bit, no header */
        size_t bytes = (nv + 7) / 8;
        if (in->n - in->pos < bytes) {
            return pq_fail(in, BW_EFORMAT, in->pos, "BIT_PACKED definition levels: %zu bytes, %zu left", bytes,
                           in->n - in->pos);
        }
        for (size_t i = 0; i < nv; i++) {
            c->def.p[i] = (in->p[in->pos + (i >> 3)] >> (7 - (i & 7))) & 1;
        }
        in->pos += bytes;
        return BW_OK;
    }
    return pq_fail(in, BW_EUNSUPPORTED, in->pos, "definition levels encoded as %s", bw_parquet_encoding_name(enc));
}

static size_t count_present(const uint8_t *def, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        k += def[i];
    }
    return k;
}

static bw_status decode_data_page(bw_parquet *r, pq_col *c, const bw_parquet_page_header *h, const uint8_t *data,
                                  size_t len, uint64_t data_off, bw_error *err)
{
    const size_t nv = (size_t)h->num_values;
    const bool v2 = h->type == BW_PARQUET_DATA_PAGE_V2;
    size_t lv = 0, nn = nv;
    const uint8_t *vals = data;
    size_t vlen = len, ulen = (size_t)h->uncompressed_size;
    bool compressed = c->codec != BW_PARQUET_UNCOMPRESSED;

    if (nv > PQ_MAX_PAGE_VALUES) {
        return col_fail(c, err, BW_ELIMIT, data_off, "page of %zu values, over the limit of %zu", nv,
                        PQ_MAX_PAGE_VALUES);
    }
    if (c->optional && pq_buf_reserve(&c->def, nv + 1) != BW_OK) {
        return nomem(r, err);
    }
    if (v2) {
        lv = (size_t)h->rep_length + (size_t)h->def_length; /* meta.c checked it fits both sizes */
        vals = data + lv;
        vlen = len - lv;
        ulen -= lv;
        compressed = compressed && h->is_compressed;
        if (c->optional) {
            pq_in lin = {.p = data + h->rep_length,
                         .n = (size_t)h->def_length,
                         .origin = data_off + (uint64_t)h->rep_length,
                         .exact = true,
                         .name = c->label,
                         .err = err};
            BW_TRY(pq_hybrid8(&lin, lin.n, 1, 1, c->def.p, nv));
            nn = count_present(c->def.p, nv);
        }
        if (nv - nn != (size_t)h->num_nulls) {
            return col_fail(c, err, BW_EFORMAT, data_off,
                            "DATA_PAGE_V2 says %" PRId32 " nulls, its definition levels %zu", h->num_nulls, nv - nn);
        }
    }
    if (compressed) {
        if (ulen > PQ_MAX_PAGE_BYTES) {
            return col_fail(c, err, BW_ELIMIT, data_off, "page of %zu bytes uncompressed, over the limit of %zu", ulen,
                            PQ_MAX_PAGE_BYTES);
        }
        if (pq_buf_reserve(&c->page, ulen + 1) != BW_OK) {
            return nomem(r, err);
        }
        BW_TRY(pq_decompress(r->codecs, c->codec, vals, vlen, c->page.p, ulen, c->label, data_off + lv, err));
        vals = c->page.p;
        vlen = ulen;
    } else if (vlen != ulen) {
        return col_fail(c, err, BW_EFORMAT, data_off,
                        "uncompressed page of %zu bytes whose header says %zu uncompressed", vlen, ulen);
    }
    pq_in in = {.p = vals, .n = vlen, .origin = data_off + lv, .exact = !compressed, .name = c->label, .err = err};
    if (!v2 && c->optional) {
        BW_TRY(levels_v1(c, &in, h->def_encoding, nv));
        nn = count_present(c->def.p, nv);
    }
    BW_TRY(decode_values(r, c, &in, h->encoding, nn, err));
    c->page_rows = nv;
    c->page_pos = 0;
    c->val_pos = 0;
    c->page_off = data_off;
    return BW_OK;
}

/* Largest page header read: headers carry statistics, which may hold long strings. */
#define PQ_MAX_HEADER ((size_t)16 << 20)
#define PQ_HEADER_WINDOW ((size_t)64 << 10)

/* Read the next page of the chunk into c->raw and decode it; BW_OK with page_rows > 0. */
static bw_status next_page(bw_parquet *r, pq_col *c, bw_error *err)
{
    for (;;) {
        bw_parquet_page_header h;
        size_t hlen = 0, win;
        uint64_t left = c->end > c->pos ? c->end - c->pos : 0;
        bw_status rc;

        if (c->values_left <= 0 || left == 0) {
            return col_fail(c, err, BW_EFORMAT, c->pos,
                            "the column chunk ends with %" PRId64 " of its values and rows still to read",
                            c->values_left);
        }
        win = (size_t)BW_MIN(left, (uint64_t)PQ_HEADER_WINDOW);
        for (;;) {
            bw_error tmp = {0};
            if (pq_buf_reserve(&c->raw, win) != BW_OK) {
                return nomem(r, err);
            }
            BW_TRY(pread_at(r, c->raw.p, win, c->pos, err));
            rc = bw_parquet_page_header_parse(c->raw.p, win, c->pos, &h, &hlen, &tmp);
            if (rc == BW_OK) {
                break;
            }
            if (win == left || win >= PQ_MAX_HEADER) {
                if (err != NULL && err->code == BW_OK) {
                    *err = tmp;
                }
                return rc;
            }
            win = (size_t)BW_MIN(left, (uint64_t)win * 4);
        }
        uint64_t data_off = c->pos + hlen;
        size_t clen = (size_t)h.compressed_size;
        if ((uint64_t)clen > c->end - data_off) {
            return col_fail(c, err, BW_EFORMAT, c->pos,
                            "page of %zu bytes runs past the column chunk's end (%" PRIu64 " bytes left)", clen,
                            c->end - data_off);
        }
        if (clen > PQ_MAX_PAGE_BYTES || (size_t)h.uncompressed_size > PQ_MAX_PAGE_BYTES) {
            return col_fail(c, err, BW_ELIMIT, c->pos, "page of %zu / %" PRId32 " bytes, over the limit of %zu", clen,
                            h.uncompressed_size, PQ_MAX_PAGE_BYTES);
        }
        if (hlen + clen > win) {
            if (pq_buf_reserve(&c->raw, hlen + clen) != BW_OK) {
                return nomem(r, err);
            }
            BW_TRY(pread_at(r, c->raw.p + win, hlen + clen - win, c->pos + win, err));
        }
        const uint8_t *data = c->raw.p + hlen;
        c->pos = data_off + clen;
        if (h.has_crc && (uint32_t)crc32(0, data, (uInt)clen) != h.crc) {
            return col_fail(c, err, BW_EFORMAT, data_off, "page CRC mismatch (header %08" PRIx32 ", data %08lx)", h.crc,
                            crc32(0, data, (uInt)clen));
        }
        switch (h.type) {
        case BW_PARQUET_DICTIONARY_PAGE: BW_TRY(decode_dict_page(r, c, &h, data, clen, data_off, err)); break;
        case BW_PARQUET_DATA_PAGE:
        case BW_PARQUET_DATA_PAGE_V2:
            c->seen_data = true;
            if ((int64_t)h.num_values > c->values_left) {
                return col_fail(c, err, BW_EFORMAT, data_off - hlen,
                                "page of %" PRId32 " values, the column chunk has %" PRId64 " left", h.num_values,
                                c->values_left);
            }
            BW_TRY(decode_data_page(r, c, &h, data, clen, data_off, err));
            c->values_left -= h.num_values;
            if (h.num_values > 0) {
                return BW_OK;
            }
            break;
        default: break; /* index pages and page types of later versions carry no values */
        }
    }
}

/* ---- rows into the batch ---------------------------------------------------------------------- */

static bw_status report_bad(bw_parquet *r, const pq_col *c, bw_column *col, uint64_t row, const char *msg,
                            bw_error *err)
{
    col->nbad++;
    r->st.bad_values++;
    if (r->o.on_bad_row == BW_BAD_STOP) {
        return bw_fail_at(err, BW_EFORMAT, c->page_off, "%s: row %" PRIu64 " (page at offset %" PRIu64 "): %s",
                          c->label, row, c->page_off, msg);
    }
    if (r->o.on_bad != NULL) {
        bw_bad_row b = {.line = 0, .offset = c->page_off, .row = row, .column = c->lf->path, .msg = msg};
        r->o.on_bad(r->o.ctx, &b);
    }
    return BW_OK;
}

static inline void set_valid(bw_column *col, size_t i, bool ok)
{
    uint8_t bit = (uint8_t)(1u << (i & 7));
    col->valid[i >> 3] = ok ? (uint8_t)(col->valid[i >> 3] | bit) : (uint8_t)(col->valid[i >> 3] & ~bit);
}

static const char *bad_msg(const pq_col *c)
{
    return c->conv == CV_UTF8 ? "invalid UTF-8 in a text column" : "value out of the type's range";
}

/* Copy `take` rows of the current page into col (rows row_base...). */
static bw_status emit(bw_parquet *r, pq_col *c, bw_column *col, size_t take, uint64_t row_base, bw_error *err)
{
    const conv_out *o = c->page_dict ? &c->dconv : &c->pconv;
    const uint32_t *idx = c->page_dict ? (const uint32_t *)(const void *)c->idx.p : NULL;
    const uint8_t *def = c->optional ? c->def.p + c->page_pos : NULL;
    const uint8_t *bad = o->any_bad ? o->bad.p : NULL;
    const size_t n0 = col->n;
    size_t k = c->val_pos;

    if (col->type != c->natural) {
        if (bw_col_widen(col, c->natural) != BW_OK) {
            return nomem(r, err);
        }
    }
    if (bw_col_reserve(col, n0 + take) != BW_OK) {
        return nomem(r, err);
    }

#define EMIT_LOOP(ARR, T)                                                                                              \
    do {                                                                                                               \
        const T *src = (const T *)(const void *)o->v.p;                                                                \
        T *dst = col->ARR + n0;                                                                                        \
        if (def == NULL && idx == NULL && bad == NULL) {                                                               \
            memcpy(dst, src + k, take * sizeof(T));                                                                    \
            for (size_t i = 0; i < take; i++) {                                                                        \
                set_valid(col, n0 + i, true);                                                                          \
            }                                                                                                          \
            k += take;                                                                                                 \
            break;                                                                                                     \
        }                                                                                                              \
        for (size_t i = 0; i < take; i++) {                                                                            \
            bool ok = def == NULL || def[i];                                                                           \
            T v = 0;                                                                                                   \
            if (ok) {                                                                                                  \
                size_t j = idx != NULL ? idx[k] : k;                                                                   \
                k++;                                                                                                   \
                if (bad != NULL && bad[j]) {                                                                           \
                    ok = false;                                                                                        \
                    BW_TRY(report_bad(r, c, col, row_base + i, bad_msg(c), err));                                      \
                } else {                                                                                               \
                    v = src[j];                                                                                        \
                }                                                                                                      \
            }                                                                                                          \
            dst[i] = v;                                                                                                \
            set_valid(col, n0 + i, ok);                                                                                \
        }                                                                                                              \
    } while (0)

    switch (c->natural) {
    case BW_DT_BOOL: EMIT_LOOP(b, uint8_t); break;
    case BW_DT_INT64:
    case BW_DT_TIMESTAMP: EMIT_LOOP(i64, int64_t); break;
    case BW_DT_FLOAT64: EMIT_LOOP(f64, double); break;
    case BW_DT_DATE: EMIT_LOOP(days, int32_t); break;
    case BW_DT_STRING: {
        const pq_span *src = (const pq_span *)(const void *)o->v.p;
        size_t total = 0, kk = k;
        for (size_t i = 0; i < take; i++) {
            if (def == NULL || def[i]) {
                size_t j = idx != NULL ? idx[kk] : kk;
                kk++;
                total += src[j].n;
            }
        }
        if (total > UINT32_MAX - col->str_len) {
            return bw_fail(err, BW_ELIMIT, "%s: over 4 GiB of text in one batch (use smaller batches)", c->label);
        }
        if (col->str_len + total > col->str_cap) {
            size_t cap = col->str_cap ? col->str_cap : 256;
            while (cap < col->str_len + total) {
                cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
            }
            char *grown = bw_realloc(col->str, cap);
            if (grown == NULL) {
                return nomem(r, err);
            }
            col->str = grown;
            col->str_cap = cap;
        }
        for (size_t i = 0; i < take; i++) {
            bool ok = def == NULL || def[i];
            if (ok) {
                size_t j = idx != NULL ? idx[k] : k;
                k++;
                if (bad != NULL && bad[j]) {
                    ok = false;
                    BW_TRY(report_bad(r, c, col, row_base + i, bad_msg(c), err));
                } else if (src[j].n > 0) {
                    memcpy(col->str + col->str_len, src[j].p, src[j].n);
                    col->str_len += src[j].n;
                }
            }
            col->off[n0 + i + 1] = (uint32_t)col->str_len;
            set_valid(col, n0 + i, ok);
        }
        break;
    }
    case BW_DT_NULL: break;
    }
#undef EMIT_LOOP
    col->n = n0 + take;
    c->page_pos += take;
    c->val_pos = k;
    return BW_OK;
}

static bw_status read_rows(bw_parquet *r, pq_col *c, bw_column *col, size_t n, uint64_t row_base, bw_error *err)
{
    while (n > 0) {
        if (c->page_pos == c->page_rows) {
            BW_TRY(next_page(r, c, err));
        }
        size_t take = BW_MIN(n, c->page_rows - c->page_pos);
        BW_TRY(emit(r, c, col, take, row_base, err));
        n -= take;
        row_base += take;
    }
    return BW_OK;
}

static void start_chunk(bw_parquet *r, pq_col *c, const bw_parquet_chunk *ch)
{
    (void)r;
    c->pos = ch->start;
    c->end = ch->end;
    c->values_left = ch->num_values;
    c->codec = ch->codec;
    c->seen_data = false;
    c->has_dict = false;
    c->dict_n = 0;
    c->page_rows = c->page_pos = c->val_pos = 0;
}

/* After a row group: every chunk must be used up. */
static bw_status end_row_group(bw_parquet *r, bw_error *err)
{
    for (size_t i = 0; i < r->ncols; i++) {
        pq_col *c = &r->cols[i];
        if (c->values_left != 0 || c->page_pos != c->page_rows) {
            return col_fail(c, err, BW_EFORMAT, c->pos,
                            "the column chunk holds more values than its row group's %" PRId64 " rows",
                            r->meta->row_groups[r->rgs[r->rg_next - 1]].num_rows);
        }
    }
    return BW_OK;
}

bw_status bw_parquet_next(bw_parquet *r, const bw_batch **out, bw_error *err)
{
    size_t want = r->o.batch_rows;

    *out = NULL;
    if (r->done) {
        return BW_OK;
    }
    for (size_t i = 0; i < r->ncols; i++) {
        bw_col_retype(&r->batch.cols[i], r->cols[i].natural);
        r->batch.cols[i].nbad = 0;
    }
    r->batch.nrows = 0;
    r->batch.row0 = r->st.rows;
    while (r->batch.nrows < want) {
        if (r->rg_left == 0) {
            if (r->rg_next > 0) {
                BW_TRY(end_row_group(r, err));
            }
            if (r->rg_next == r->nrgs) {
                r->done = true;
                break;
            }
            const bw_parquet_row_group *rg = &r->meta->row_groups[r->rgs[r->rg_next++]];
            for (size_t i = 0; i < r->ncols; i++) {
                start_chunk(r, &r->cols[i], &rg->chunks[r->cols[i].leaf]);
            }
            r->rg_left = rg->num_rows;
            continue;
        }
        size_t n = (size_t)BW_MIN((int64_t)(want - r->batch.nrows), r->rg_left);
        for (size_t i = 0; i < r->ncols; i++) {
            BW_TRY(read_rows(r, &r->cols[i], &r->batch.cols[i], n, r->st.rows + r->batch.nrows, err));
        }
        r->batch.nrows += n;
        r->rg_left -= (int64_t)n;
    }
    if (r->batch.nrows == 0) {
        return BW_OK;
    }
    for (size_t i = 0; i < r->ncols; i++) {
        bw_column *col = &r->batch.cols[i];
        if (col->type != r->cols[i].want && bw_col_widen(col, r->cols[i].want) != BW_OK) {
            /* the natural type moved past the wanted one (an unsigned 64-bit column went float64) */
            r->cols[i].want = col->type;
        }
    }
    r->st.rows += r->batch.nrows;
    *out = &r->batch;
    return BW_OK;
}

/* ---- opening ---------------------------------------------------------------------------------- */

/* The conversion for a leaf, or NULL and *why. */
static bool plan(pq_col *c, const char **why)
{
    const bw_parquet_leaf *l = c->lf;
    const bw_parquet_logical *lt = &l->logical;
    int32_t ct = l->converted_type;
    int unit = 0; /* 1 millis, 2 micros, 3 nanos */
    bool is_time = false, is_ts = false, is_dec = false, is_text = false;
    bool is_unsigned = false;

    c->natural = BW_DT_INT64;
    c->mul = c->div = 1;
    c->pow10 = 1;
    switch (lt->kind) {
    case BW_PARQUET_LT_TIME:
        is_time = true;
        unit = lt->unit;
        break;
    case BW_PARQUET_LT_TIMESTAMP:
        is_ts = true;
        unit = lt->unit;
        break;
    case BW_PARQUET_LT_DECIMAL: is_dec = true; break;
    case BW_PARQUET_LT_STRING:
    case BW_PARQUET_LT_ENUM:
    case BW_PARQUET_LT_JSON: is_text = true; break;
    case BW_PARQUET_LT_INTEGER: is_unsigned = !lt->is_signed; break;
    case BW_PARQUET_LT_NONE:
        switch (ct) {
        case BW_PARQUET_CT_TIME_MILLIS: is_time = true, unit = 1; break;
        case BW_PARQUET_CT_TIME_MICROS: is_time = true, unit = 2; break;
        case BW_PARQUET_CT_TIMESTAMP_MILLIS: is_ts = true, unit = 1; break;
        case BW_PARQUET_CT_TIMESTAMP_MICROS: is_ts = true, unit = 2; break;
        case BW_PARQUET_CT_DECIMAL: is_dec = true; break;
        case BW_PARQUET_CT_UTF8:
        case BW_PARQUET_CT_ENUM:
        case BW_PARQUET_CT_JSON: is_text = true; break;
        case BW_PARQUET_CT_UINT_8:
        case BW_PARQUET_CT_UINT_16:
        case BW_PARQUET_CT_UINT_32:
        case BW_PARQUET_CT_UINT_64: is_unsigned = true; break;
        default: break;
        }
        break;
    default: break;
    }
    if (is_dec) {
        c->pow10 = pow(10.0, l->scale);
    }
    switch (l->type) {
    case BW_PARQUET_BOOLEAN:
        c->width = 1;
        c->conv = CV_BOOL;
        c->natural = BW_DT_BOOL;
        break;
    case BW_PARQUET_INT32:
        c->width = 4;
        if (lt->kind == BW_PARQUET_LT_DATE || ct == BW_PARQUET_CT_DATE) {
            c->conv = CV_DATE;
            c->natural = BW_DT_DATE;
        } else if (is_dec) {
            c->conv = CV_DEC32;
            c->natural = BW_DT_FLOAT64;
        } else if (is_time) {
            c->conv = CV_SCALE;
            c->mul = 1000; /* TIME(MILLIS) on INT32 -> microseconds */
        } else {
            c->conv = is_unsigned ? CV_U32 : CV_I32;
        }
        break;
    case BW_PARQUET_INT64:
        c->width = 8;
        if (is_dec) {
            c->conv = CV_DEC64;
            c->natural = BW_DT_FLOAT64;
        } else if (is_time || is_ts) {
            c->conv = CV_SCALE;
            c->natural = is_ts ? BW_DT_TIMESTAMP : BW_DT_INT64;
            if (unit == 1) {
                c->mul = 1000;
            } else if (unit == 3) {
                c->div = 1000;
            }
        } else {
            c->conv = is_unsigned ? CV_U64 : CV_I64;
        }
        break;
    case BW_PARQUET_INT96:
        c->width = 12;
        c->conv = CV_INT96;
        c->natural = BW_DT_TIMESTAMP;
        break;
    case BW_PARQUET_FLOAT:
        c->width = 4;
        c->conv = CV_F32;
        c->natural = BW_DT_FLOAT64;
        break;
    case BW_PARQUET_DOUBLE:
        c->width = 8;
        c->conv = CV_F64;
        c->natural = BW_DT_FLOAT64;
        break;
    case BW_PARQUET_BYTE_ARRAY:
    case BW_PARQUET_FIXED_LEN_BYTE_ARRAY:
        c->width = l->type == BW_PARQUET_FIXED_LEN_BYTE_ARRAY ? (size_t)l->type_length : 0;
        if (is_dec) {
            c->conv = CV_DECBIN;
            c->natural = BW_DT_FLOAT64;
        } else if (lt->kind == BW_PARQUET_LT_FLOAT16) {
            c->conv = CV_F16;
            c->natural = BW_DT_FLOAT64;
        } else {
            c->conv = is_text ? CV_UTF8 : lt->kind == BW_PARQUET_LT_UUID ? CV_UUID : CV_HEX;
            c->natural = BW_DT_STRING;
        }
        break;
    default: *why = "an unknown physical type"; return false;
    }
    c->want = c->natural;
    return true;
}

static bool can_become(bw_dtype from, bw_dtype to)
{
    return from == to || to == BW_DT_STRING || (from == BW_DT_INT64 && to == BW_DT_FLOAT64) ||
           (from == BW_DT_DATE && to == BW_DT_TIMESTAMP);
}

static bw_status setup(bw_parquet *r, bw_error *err)
{
    const bw_parquet_meta *m = r->meta;

    r->cols = bw_calloc(m->n_leaves + 1, sizeof(*r->cols));
    r->skip = bw_calloc(m->n_leaves + 1, sizeof(*r->skip));
    r->rgs = bw_calloc(m->n_row_groups + 1, sizeof(*r->rgs));
    if (r->cols == NULL || r->skip == NULL || r->rgs == NULL) {
        return nomem(r, err);
    }
    for (size_t i = 0; i < m->n_leaves; i++) {
        const bw_parquet_leaf *l = &m->leaves[i];
        const char *why = l->unsupported;
        pq_col *c = &r->cols[r->ncols];

        memset(c, 0, sizeof(*c));
        c->leaf = (uint32_t)i;
        c->lf = l;
        c->optional = l->max_def > 0;
        if (why == NULL && (l->flags & BW_PARQUET_LEAF_NESTED)) {
            why = "nested column (in a group, list or map)";
        }
        if (why == NULL && l->max_def > 1) {
            why = "definition levels over 1";
        }
        if (why == NULL && m->encrypted) {
            why = "encrypted file";
        }
        for (size_t g = 0; why == NULL && g < m->n_row_groups; g++) {
            const bw_parquet_chunk *ch = &m->row_groups[g].chunks[i];
            if (ch->flags & BW_PARQUET_CHUNK_EXTERNAL) {
                why = "column chunk in another file";
            } else if ((ch->flags & BW_PARQUET_CHUNK_ENCRYPTED) || !ch->has_meta) {
                why = "encrypted column chunk";
            } else if (ch->end - ch->start > PQ_MAX_CHUNK_BYTES) {
                char msg[160];
                snprintf(msg, sizeof(msg), "column chunk of %" PRIu64 " bytes, over the limit of %" PRIu64,
                         ch->end - ch->start, PQ_MAX_CHUNK_BYTES);
                (void)msg;
                return bw_fail_at(err, BW_ELIMIT, ch->start, "%s: column '%s': offset %" PRIu64 ": %s", r->name,
                                  l->path, ch->start, msg);
            }
        }
        if (why == NULL) {
            plan(c, &why);
        }
        if (why != NULL) {
            r->skip[r->nskip].path = l->path;
            r->skip[r->nskip].why = why;
            r->nskip++;
            BW_WARN("parquet", "%s: column '%s' skipped: %s", r->name, l->path, why);
            continue;
        }
        size_t need = strlen(r->name) + strlen(l->path) + 16;
        c->label = bw_malloc(need);
        if (c->label == NULL) {
            return nomem(r, err);
        }
        snprintf(c->label, need, "%s: column '%s'", r->name, l->path);
        for (size_t j = 0; j < r->o.ntypes; j++) {
            if (r->o.type_names[j] != NULL && strcmp(r->o.type_names[j], l->path) == 0) {
                if (!can_become(c->natural, r->o.types[j])) {
                    bw_status rc = bw_fail(err, BW_EINVAL, "%s: column '%s' (%s, read as %s) cannot be read as %s",
                                           r->name, l->path, bw_parquet_type_name(l->type), bw_dtype_name(c->natural),
                                           bw_dtype_name(r->o.types[j]));
                    bw_free(c->label);
                    c->label = NULL;
                    return rc;
                }
                c->want = r->o.types[j];
            }
        }
        r->ncols++;
        if (bw_batch_add_column(&r->batch, l->path, strlen(l->path), c->natural) != BW_OK) {
            return nomem(r, err);
        }
    }
    if ((r->codecs = pq_codecs_new()) == NULL) {
        return nomem(r, err);
    }
    /* the row groups whose first page starts in [range_start, range_end) */
    for (size_t g = 0; g < m->n_row_groups; g++) {
        const bw_parquet_row_group *rg = &m->row_groups[g];
        uint64_t first = UINT64_MAX;
        for (size_t i = 0; i < m->n_leaves; i++) {
            if (!(rg->chunks[i].flags & BW_PARQUET_CHUNK_EXTERNAL) && rg->chunks[i].start < first) {
                first = rg->chunks[i].start;
            }
        }
        if (r->o.range_start == 0 && r->o.range_end == 0) {
            r->rgs[r->nrgs++] = g;
        } else if (first != UINT64_MAX && first >= r->o.range_start && first < r->o.range_end) {
            r->rgs[r->nrgs++] = g;
        }
    }
    return BW_OK;
}

static bw_status open_common(bw_parquet *r, const bw_data_opts *o, bw_error *err)
{
    BW_TRY(bw_data_opts_resolve(o, &r->o, err));
    if (r->o.range_end < r->o.range_start) {
        return bw_fail(err, BW_EINVAL, "%s: range end %" PRIu64 " before its start %" PRIu64, r->name, r->o.range_end,
                       r->o.range_start);
    }
    BW_TRY(bw_parquet_meta_read_fd(r->fd, r->name, &r->meta, err));
    return setup(r, err);
}

bw_status bw_parquet_open(const char *path, const bw_data_opts *o, bw_parquet **out, bw_error *err)
{
    bw_parquet *r;
    bw_status rc;

    *out = NULL;
    if (path == NULL) {
        return bw_fail(err, BW_EINVAL, "bw_parquet_open: no path");
    }
    if (strcmp(path, "-") == 0) {
        return bw_fail(err, BW_EUNSUPPORTED,
                       "parquet from standard input: the reader needs a seekable file (its footer is at the end); "
                       "write it to a file first");
    }
    if ((r = bw_calloc(1, sizeof(*r))) == NULL || (r->name = bw_strdup(path)) == NULL) {
        bw_free(r);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    bw_batch_init(&r->batch);
    r->fd = -1;
    rc = bw_file_open(&r->file, path, BW_FILE_FOLLOW, err);
    if (rc == BW_OK) {
        r->fd = bw_file_fd(r->file);
        rc = open_common(r, o, err);
    }
    if (rc != BW_OK) {
        bw_parquet_free(r);
        return rc;
    }
    *out = r;
    return BW_OK;
}

bw_status bw_parquet_open_fd(int fd, const char *name, const bw_data_opts *o, bw_parquet **out, bw_error *err)
{
    bw_parquet *r;
    bw_status rc;

    *out = NULL;
    if (fd < 0) {
        return bw_fail(err, BW_EINVAL, "bw_parquet_open_fd: bad descriptor");
    }
    if ((r = bw_calloc(1, sizeof(*r))) == NULL || (r->name = bw_strdup(name != NULL ? name : "parquet")) == NULL) {
        bw_free(r);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    bw_batch_init(&r->batch);
    r->fd = fd;
    rc = open_common(r, o, err);
    if (rc != BW_OK) {
        bw_parquet_free(r);
        return rc;
    }
    *out = r;
    return BW_OK;
}

const bw_data_stats *bw_parquet_read_stats(const bw_parquet *r)
{
    return &r->st;
}

const bw_parquet_meta *bw_parquet_reader_meta(const bw_parquet *r)
{
    return r->meta;
}

size_t bw_parquet_skipped(const bw_parquet *r, size_t i, const char **path, const char **why)
{
    if (i < r->nskip) {
        if (path != NULL) {
            *path = r->skip[i].path;
        }
        if (why != NULL) {
            *why = r->skip[i].why;
        }
    }
    return r->nskip;
}

void bw_parquet_free(bw_parquet *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->ncols; i++) {
        pq_col *c = &r->cols[i];
        bw_free(c->label);
        pq_buf_release(&c->dict_raw);
        pq_buf_release(&c->dict_phys);
        pq_buf_release(&c->dict_spans);
        conv_release(&c->dconv);
        pq_buf_release(&c->raw);
        pq_buf_release(&c->page);
        pq_buf_release(&c->def);
        pq_buf_release(&c->idx);
        pq_buf_release(&c->phys);
        pq_buf_release(&c->spans);
        pq_buf_release(&c->lens);
        pq_buf_release(&c->own);
        conv_release(&c->pconv);
    }
    bw_free(r->cols);
    bw_free(r->skip);
    bw_free(r->rgs);
    bw_batch_release(&r->batch);
    pq_codecs_free(r->codecs);
    bw_parquet_meta_free(r->meta);
    bw_file_close(r->file);
    bw_free(r->name);
    bw_free(r);
}
