/*
 * batch.c - typed column batches (see bw_batch.h).
 *
 * A column keeps one value array for its type plus the validity bitmap;
 * growing doubles the row capacity. Strings live in one byte array with
 * cap + 1 offsets, so a batch of short strings is two allocations.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bulwark/bw_batch.h"
#include "bulwark/bw_buf.h"
#include "data/data_internal.h"
#include "util/internal.h"

/* a string column's bytes may not pass the offsets' range */
#define STR_MAX ((size_t)UINT32_MAX)

const char *bw_dtype_name(bw_dtype t)
{
    switch (t) {
    case BW_DT_NULL: return "null";
    case BW_DT_BOOL: return "bool";
    case BW_DT_INT64: return "int64";
    case BW_DT_FLOAT64: return "float64";
    case BW_DT_STRING: return "string";
    case BW_DT_DATE: return "date";
    case BW_DT_TIMESTAMP: return "timestamp";
    }
    return "unknown";
}

bw_status bw_dtype_parse(const char *s, bw_dtype *out)
{
    static const struct {
        const char *name;
        bw_dtype t;
    } names[] = {
        {"bool", BW_DT_BOOL},      {"boolean", BW_DT_BOOL},        {"int64", BW_DT_INT64},
        {"int", BW_DT_INT64},      {"integer", BW_DT_INT64},       {"long", BW_DT_INT64},
        {"bigint", BW_DT_INT64},   {"float64", BW_DT_FLOAT64},     {"float", BW_DT_FLOAT64},
        {"double", BW_DT_FLOAT64}, {"number", BW_DT_FLOAT64},      {"string", BW_DT_STRING},
        {"str", BW_DT_STRING},     {"text", BW_DT_STRING},         {"varchar", BW_DT_STRING},
        {"date", BW_DT_DATE},      {"timestamp", BW_DT_TIMESTAMP}, {"datetime", BW_DT_TIMESTAMP},
    };

    for (size_t i = 0; s != NULL && i < BW_ARRAY_LEN(names); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].t;
            return BW_OK;
        }
    }
    return BW_EINVAL;
}

/* ---- columns ----------------------------------------------------------------------------------- */

static size_t elem_size(bw_dtype t)
{
    switch (t) {
    case BW_DT_BOOL: return 1;
    case BW_DT_INT64:
    case BW_DT_TIMESTAMP: return 8;
    case BW_DT_FLOAT64: return 8;
    case BW_DT_DATE: return 4;
    case BW_DT_STRING: return 4;
    case BW_DT_NULL: return 0;
    }
    return 0;
}

static void **values_of(bw_column *c, bw_dtype t)
{
    switch (t) {
    case BW_DT_BOOL: return (void **)&c->b;
    case BW_DT_INT64:
    case BW_DT_TIMESTAMP: return (void **)&c->i64;
    case BW_DT_FLOAT64: return (void **)&c->f64;
    case BW_DT_DATE: return (void **)&c->days;
    case BW_DT_STRING: return (void **)&c->off;
    case BW_DT_NULL: return NULL;
    }
    return NULL;
}

static void col_free(bw_column *c)
{
    bw_free(c->valid);
    bw_free(c->b);
    bw_free(c->i64);
    bw_free(c->f64);
    bw_free(c->days);
    bw_free(c->off);
    bw_free(c->str);
    memset(c, 0, sizeof(*c));
}

void bw_col_release(bw_column *c)
{
    col_free(c);
}

bw_status bw_col_reserve(bw_column *c, size_t rows)
{
    size_t cap = c->cap ? c->cap : 64;
    void **vals = values_of(c, c->type);
    size_t es = elem_size(c->type);

    if (rows <= c->cap && (vals == NULL || *vals != NULL)) {
        return BW_OK;
    }
    while (cap < rows) {
        if (cap > SIZE_MAX / 16) {
            return BW_ENOMEM;
        }
        cap *= 2;
    }
    uint8_t *valid = bw_realloc(c->valid, (cap + 7) / 8);
    if (valid == NULL) {
        return BW_ENOMEM;
    }
    memset(valid + (c->cap + 7) / 8, 0, (cap + 7) / 8 - (c->cap + 7) / 8);
    c->valid = valid;
    if (vals != NULL) {
        /* strings keep one offset more than rows */
        void *grown = bw_reallocarray(*vals, cap + (c->type == BW_DT_STRING), es);
        if (grown == NULL) {
            return BW_ENOMEM;
        }
        if (*vals == NULL && c->type == BW_DT_STRING) {
            ((uint32_t *)grown)[0] = 0;
        }
        *vals = grown;
    }
    c->cap = cap;
    return BW_OK;
}

void bw_col_retype(bw_column *c, bw_dtype t)
{
    c->type = t;
    c->n = 0;
    c->str_len = 0;
    c->nbad = 0;
    if (t == BW_DT_STRING && c->off != NULL) {
        c->off[0] = 0;
    }
    if (c->valid != NULL) {
        memset(c->valid, 0, (c->cap + 7) / 8);
    }
}

/* Make room for one more row of c's type; the row's validity bit is clear. */
static bw_status room(bw_column *c)
{
    void **vals = values_of(c, c->type);

    if (c->n < c->cap && (vals == NULL || *vals != NULL)) {
        return BW_OK;
    }
    return bw_col_reserve(c, c->n + 1);
}

static inline void set_valid(bw_column *c, size_t i)
{
    c->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
}

bw_status bw_col_push_null(bw_column *c)
{
    bw_status rc = room(c);

    if (rc != BW_OK) {
        return rc;
    }
    c->valid[c->n >> 3] &= (uint8_t) ~(1u << (c->n & 7));
    switch (c->type) {
    case BW_DT_BOOL: c->b[c->n] = 0; break;
    case BW_DT_INT64:
    case BW_DT_TIMESTAMP: c->i64[c->n] = 0; break;
    case BW_DT_FLOAT64: c->f64[c->n] = 0; break;
    case BW_DT_DATE: c->days[c->n] = 0; break;
    case BW_DT_STRING: c->off[c->n + 1] = (uint32_t)c->str_len; break;
    case BW_DT_NULL: break;
    }
    c->n++;
    return BW_OK;
}

bw_status bw_col_push_nulls(bw_column *c, size_t n)
{
    bw_status rc;
    size_t at = c->n;
    void **vals;

    if (n == 0) {
        return BW_OK;
    }
    if (n > SIZE_MAX - at) {
        return BW_ENOMEM;
    }
    rc = bw_col_reserve(c, at + n);
    if (rc != BW_OK) {
        return rc;
    }
    for (size_t i = at; i < at + n; i++) {
        c->valid[i >> 3] &= (uint8_t) ~(1u << (i & 7));
    }
    vals = values_of(c, c->type);
    if (c->type == BW_DT_STRING) {
        uint32_t *off = c->off;
        for (size_t i = at; i < at + n; i++) {
            off[i + 1] = (uint32_t)c->str_len;
        }
    } else if (vals != NULL) {
        size_t es = elem_size(c->type);
        memset((char *)*vals + at * es, 0, n * es);
    }
    c->n = at + n;
    return BW_OK;
}

#define PUSH(fn, T, field, dt)                                                                                         \
    bw_status fn(bw_column *c, T v)                                                                                    \
    {                                                                                                                  \
        bw_status rc;                                                                                                  \
        if (c->type != (dt)) {                                                                                         \
            return BW_EINVAL;                                                                                          \
        }                                                                                                              \
        rc = room(c);                                                                                                  \
        if (rc != BW_OK) {                                                                                             \
            return rc;                                                                                                 \
        }                                                                                                              \
        c->field[c->n] = v;                                                                                            \
        set_valid(c, c->n++);                                                                                          \
        return BW_OK;                                                                                                  \
    }

PUSH(bw_col_push_i64, int64_t, i64, BW_DT_INT64)
PUSH(bw_col_push_f64, double, f64, BW_DT_FLOAT64)
PUSH(bw_col_push_date, int32_t, days, BW_DT_DATE)
PUSH(bw_col_push_ts, int64_t, i64, BW_DT_TIMESTAMP)

bw_status bw_col_push_bool(bw_column *c, bool v)
{
    bw_status rc;

    if (c->type != BW_DT_BOOL) {
        return BW_EINVAL;
    }
    rc = room(c);
    if (rc != BW_OK) {
        return rc;
    }
    c->b[c->n] = v ? 1 : 0;
    set_valid(c, c->n++);
    return BW_OK;
}

bw_status bw_col_push_str(bw_column *c, const char *p, size_t n)
{
    bw_status rc;

    if (c->type != BW_DT_STRING) {
        return BW_EINVAL;
    }
    rc = room(c);
    if (rc != BW_OK) {
        return rc;
    }
    if (n > STR_MAX - c->str_len) {
        return BW_ELIMIT;
    }
    if (c->str_len + n > c->str_cap) {
        size_t cap = c->str_cap ? c->str_cap : 256;
        while (cap < c->str_len + n) {
            cap = cap > STR_MAX / 2 ? STR_MAX : cap * 2;
        }
        char *grown = bw_realloc(c->str, cap);
        if (grown == NULL) {
            return BW_ENOMEM;
        }
        c->str = grown;
        c->str_cap = cap;
    }
    if (n > 0) {
        memcpy(c->str + c->str_len, p, n);
    }
    c->str_len += n;
    c->off[c->n + 1] = (uint32_t)c->str_len;
    set_valid(c, c->n++);
    return BW_OK;
}

bw_status bw_col_widen(bw_column *c, bw_dtype t)
{
    bw_status rc = BW_OK;

    if (c->type == t) {
        return BW_OK;
    }
    if (c->type == BW_DT_NULL) {
        size_t n = c->n;
        c->type = t;
        c->n = 0;
        for (size_t i = 0; i < n && rc == BW_OK; i++) {
            rc = bw_col_push_null(c);
        }
        return rc;
    }
    if (c->type == BW_DT_INT64 && t == BW_DT_FLOAT64) {
        double *f = bw_reallocarray(c->f64, c->cap ? c->cap : 1, sizeof(double));
        if (f == NULL) {
            return BW_ENOMEM;
        }
        for (size_t i = 0; i < c->n; i++) {
            f[i] = (double)c->i64[i];
        }
        c->f64 = f;
        bw_free(c->i64);
        c->i64 = NULL;
        c->type = t;
        return BW_OK;
    }
    if (c->type == BW_DT_DATE && t == BW_DT_TIMESTAMP) {
        int64_t *v = bw_reallocarray(c->i64, c->cap ? c->cap : 1, sizeof(int64_t));
        if (v == NULL) {
            return BW_ENOMEM;
        }
        for (size_t i = 0; i < c->n; i++) {
            v[i] = (int64_t)c->days[i] * 86400000000LL;
        }
        c->i64 = v;
        bw_free(c->days);
        c->days = NULL;
        c->type = t;
        return BW_OK;
    }
    if (t == BW_DT_STRING) {
        bw_column s = {0};
        bw_buf text = BW_BUF_INIT(1u << 20);
        s.type = BW_DT_STRING;
        for (size_t i = 0; i < c->n && rc == BW_OK; i++) {
            if (!bw_col_valid(c, i)) {
                rc = bw_col_push_null(&s);
                continue;
            }
            bw_buf_reset(&text);
            rc = bw_col_format(c, i, &text);
            if (rc == BW_OK) {
                rc = bw_col_push_str(&s, text.ptr != NULL ? text.ptr : "", text.len);
            }
        }
        bw_buf_release(&text);
        if (rc != BW_OK) {
            col_free(&s);
            return rc;
        }
        s.nbad = c->nbad;
        col_free(c);
        *c = s;
        return BW_OK;
    }
    return BW_EINVAL;
}

/* ---- formatting -------------------------------------------------------------------------------- */

void bw_civil_from_days(int32_t days, int *y, unsigned *m, unsigned *d)
{
    /* the era arithmetic of proleptic Gregorian calendars: 400-year cycles of 146097 days */
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

int32_t bw_days_from_civil(int y, unsigned m, unsigned d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (int32_t)(era * 146097 + (int64_t)doe - 719468);
}

/* The decimal digits of v at p (at most 20), returning their count. */
static size_t put_u64(char *p, uint64_t v)
{
    char t[20];
    size_t n = 0;

    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        p[i] = t[n - 1 - i];
    }
    return n;
}

static bw_status put_i64(bw_buf *out, int64_t v)
{
    char tmp[24];
    size_t n = 0;

    if (v < 0) {
        tmp[n++] = '-';
    }
    n += put_u64(tmp + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    return bw_buf_add(out, tmp, n);
}

/* "YYYY-MM-DD" at p for a year in 0..9999 (the caller checks), 10 bytes. */
static void put_ymd(char *p, int y, unsigned m, unsigned d)
{
    p[0] = (char)('0' + y / 1000);
    p[1] = (char)('0' + y / 100 % 10);
    p[2] = (char)('0' + y / 10 % 10);
    p[3] = (char)('0' + y % 10);
    p[4] = '-';
    p[5] = (char)('0' + m / 10);
    p[6] = (char)('0' + m % 10);
    p[7] = '-';
    p[8] = (char)('0' + d / 10);
    p[9] = (char)('0' + d % 10);
}

static void put_2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

static bw_status put_date(bw_buf *out, int32_t days)
{
    char tmp[10];
    int y;
    unsigned m, d;

    bw_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        return bw_buf_printf(out, "%04d-%02u-%02u", y, m, d);
    }
    put_ymd(tmp, y, m, d);
    return bw_buf_add(out, tmp, sizeof(tmp));
}

static bw_status put_ts(bw_buf *out, int64_t us)
{
    int64_t days = us >= 0 ? us / 86400000000LL : -((-us + 86400000000LL - 1) / 86400000000LL);
    int64_t rest = us - days * 86400000000LL;
    int64_t secs = rest / 1000000, frac = rest % 1000000;
    int y;
    unsigned m, d;
    char tmp[32];
    size_t n = 19;

    if (days < INT32_MIN || days > INT32_MAX) {
        return bw_buf_printf(out, "%lld", (long long)us);
    }
    bw_civil_from_days((int32_t)days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        bw_buf_printf(out, "%04d-%02u-%02uT%02d:%02d:%02d", y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
                      (int)(secs % 60));
        n = 0;
    } else {
        put_ymd(tmp, y, m, d);
        tmp[10] = 'T';
        put_2(tmp + 11, (unsigned)(secs / 3600));
        tmp[13] = ':';
        put_2(tmp + 14, (unsigned)(secs / 60 % 60));
        tmp[16] = ':';
        put_2(tmp + 17, (unsigned)(secs % 60));
    }
    if (frac != 0) {
        /* the microseconds, trailing zeros dropped */
        int k = 6;
        char f[6];
        for (int i = 5; i >= 0; i--, frac /= 10) {
            f[i] = (char)('0' + frac % 10);
        }
        while (k > 1 && f[k - 1] == '0') {
            k--;
        }
        tmp[n] = '.';
        memcpy(tmp + n + 1, f, (size_t)k);
        n += (size_t)k + 1;
    }
    return n > 0 ? bw_buf_add(out, tmp, n) : out->err;
}

static const double pow10_6[7] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};

/*
 * What "%.15g" prints, the digits of a decimal with at most 15 significant
 * digits and at most 6 after the point that rounds to v, for 1e-4 <= |v| <
 * 1e15 (where %g prints no exponent): found as the first k in 0..6 with
 * v * 10^k a whole number m below 2^53 and m / 10^k == v (both exact powers
 * of ten, so the division rounds once, as reading the text back does).
 * Such a decimal is within half an ulp of v, so rounding v to 15 digits
 * gives it. False: use printf.
 */
static bool short_double(double v, char *p, size_t *len)
{
    double a = fabs(v);

    if (!(a >= 1e-4 && a < 1e15)) {
        return false;
    }
    for (int k = 0; k <= 6; k++) {
        double m = a * pow10_6[k];
        if (m >= 1e15) {
            return false;
        }
        if (m != (double)(uint64_t)m || m / pow10_6[k] != a) {
            continue;
        }
        char dg[24];
        size_t n = put_u64(dg, (uint64_t)m), o = 0;
        while (k > 0 && n > 1 && dg[n - 1] == '0') {
            n--; /* a product that rounded to a whole number at a larger k: 1.5 as 1500000e-6 */
            k--;
        }
        if (v < 0) {
            p[o++] = '-';
        }
        if ((size_t)k >= n) {
            /* 0.000ddd */
            p[o++] = '0';
            p[o++] = '.';
            for (size_t z = n; z < (size_t)k; z++) {
                p[o++] = '0';
            }
            memcpy(p + o, dg, n);
            o += n;
        } else {
            memcpy(p + o, dg, n - (size_t)k);
            o += n - (size_t)k;
            if (k > 0) {
                p[o++] = '.';
                memcpy(p + o, dg + n - (size_t)k, (size_t)k);
                o += (size_t)k;
            }
        }
        *len = o;
        return true;
    }
    return false;
}

static bw_status put_double(bw_buf *out, double v)
{
    char tmp[40];
    size_t n;

    if (short_double(v, tmp, &n)) {
        return bw_buf_add(out, tmp, n);
    }
    if (isnan(v)) {
        return bw_buf_addstr(out, "nan");
    }
    if (isinf(v)) {
        return bw_buf_addstr(out, v < 0 ? "-inf" : "inf");
    }
    snprintf(tmp, sizeof(tmp), "%.15g", v);
    if (strtod(tmp, NULL) != v) {
        snprintf(tmp, sizeof(tmp), "%.17g", v);
    }
    return bw_buf_addstr(out, tmp);
}

bw_status bw_col_format(const bw_column *c, size_t i, bw_buf *out)
{
    if (i >= c->n || !bw_col_valid(c, i)) {
        return out->err;
    }
    switch (c->type) {
    case BW_DT_BOOL: return bw_buf_addstr(out, c->b[i] ? "true" : "false");
    case BW_DT_INT64: return put_i64(out, c->i64[i]);
    case BW_DT_FLOAT64: return put_double(out, c->f64[i]);
    case BW_DT_STRING: {
        size_t n;
        const char *s = bw_col_str(c, i, &n);
        return bw_buf_add(out, s, n);
    }
    case BW_DT_DATE: return put_date(out, c->days[i]);
    case BW_DT_TIMESTAMP: return put_ts(out, c->i64[i]);
    case BW_DT_NULL: break;
    }
    return out->err;
}

/* ---- batches ----------------------------------------------------------------------------------- */

void bw_batch_init(bw_batch *b)
{
    memset(b, 0, sizeof(*b));
}

void bw_batch_release(bw_batch *b)
{
    for (size_t i = 0; i < b->ncols; i++) {
        col_free(&b->cols[i]);
        bw_free(b->names[i]);
    }
    bw_free(b->cols);
    bw_free(b->names);
    bw_batch_init(b);
}

void bw_batch_clear(bw_batch *b)
{
    for (size_t i = 0; i < b->ncols; i++) {
        bw_col_retype(&b->cols[i], b->cols[i].type);
    }
    b->nrows = 0;
}

bw_status bw_batch_add_column(bw_batch *b, const char *name, size_t n, bw_dtype t)
{
    bw_column *cols;
    char **names;
    char *nm;
    bw_status rc = BW_OK;

    if (b->ncols >= (size_t)1 << 20) {
        return BW_ELIMIT;
    }
    /* the arrays hold max(8, the power of two at or above ncols): grown when full, so n columns cost O(n) */
    if (b->ncols == 0 || (b->ncols >= 8 && (b->ncols & (b->ncols - 1)) == 0)) {
        size_t cap = b->ncols == 0 ? 8 : b->ncols * 2;
        cols = bw_reallocarray(b->cols, cap, sizeof(*cols));
        if (cols == NULL) {
            return BW_ENOMEM;
        }
        b->cols = cols;
        names = bw_reallocarray(b->names, cap, sizeof(*names));
        if (names == NULL) {
            return BW_ENOMEM;
        }
        b->names = names;
    }
    cols = b->cols;
    names = b->names;
    nm = bw_strndup(name, n);
    if (nm == NULL) {
        return BW_ENOMEM;
    }
    memset(&cols[b->ncols], 0, sizeof(*cols));
    cols[b->ncols].type = t;
    for (size_t i = 0; i < b->nrows && rc == BW_OK; i++) {
        rc = bw_col_push_null(&cols[b->ncols]);
    }
    if (rc != BW_OK) {
        col_free(&cols[b->ncols]);
        bw_free(nm);
        return rc;
    }
    names[b->ncols] = nm;
    b->ncols++;
    return BW_OK;
}

/* ---- options ----------------------------------------------------------------------------------- */

bw_status bw_data_opts_resolve(const bw_data_opts *in, bw_data_opts *out, bw_error *err)
{
    if (in != NULL && in->version != 1 && in->version != BW_DATA_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "bw_data_opts version %d is not 1 or %d", in->version, BW_DATA_OPTS_VERSION);
    }
    *out = (bw_data_opts)BW_DATA_OPTS_INIT;
    if (in != NULL) {
        /* version 1 ended before range_mode (2 added it and the start types) */
        memcpy(out, in, in->version == 1 ? offsetof(bw_data_opts, range_mode) : sizeof(*out));
    }
    if ((unsigned)out->range_mode > BW_RANGE_AT) {
        return bw_fail(err, BW_EINVAL, "bw_data_opts: unknown range mode %d", (int)out->range_mode);
    }
    if (out->nstart > 0 && (out->start_names == NULL || out->start_types == NULL)) {
        return bw_fail(err, BW_EINVAL, "bw_data_opts: start types without names or types");
    }
    if (out->delim == '"' || out->delim == '\n' || out->delim == '\r') {
        return bw_fail(err, BW_EINVAL, "the delimiter cannot be a quote or a line break");
    }
    out->batch_rows = out->batch_rows ? out->batch_rows : 65536;
    out->infer_rows = out->infer_rows ? out->infer_rows : 10000;
    out->max_record = out->max_record ? out->max_record : (size_t)16 << 20;
    return BW_OK;
}
