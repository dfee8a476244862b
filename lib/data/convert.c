/*
 * convert.c - cell text to typed values, and type inference (see bw_batch.h).
 *
 * Every parser takes (pointer, length), never reads past the length and
 * accepts exactly the whole text: "12 " is not an int64. The float parser
 * copies at most 64 bytes to a NUL-terminated buffer for strtod after
 * checking the characters itself, so locale and hex forms cannot sneak in.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulwark/bw_batch.h"
#include "util/internal.h"

bool bw_parse_int64(const char *s, size_t n, int64_t *v)
{
    size_t i = 0;
    bool neg = false;
    uint64_t acc = 0;

    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n || n - i > 19) {
        return false;
    }
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) {
            return false;
        }
        acc = acc * 10 + d; /* 19 digits cannot overflow uint64 */
    }
    if (neg) {
        if (acc > (uint64_t)INT64_MAX + 1) {
            return false;
        }
        *v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    } else {
        if (acc > (uint64_t)INT64_MAX) {
            return false;
        }
        *v = (int64_t)acc;
    }
    return true;
}

bool bw_parse_float64(const char *s, size_t n, double *v)
{
    char tmp[72];
    size_t i = 0, digits = 0;
    char *end;

    if (n == 0 || n >= sizeof(tmp)) {
        return false;
    }
    if (s[0] == '-' || s[0] == '+') {
        i = 1;
    }
    if (n - i == 3 && (strncasecmp(s + i, "inf", 3) == 0 || strncasecmp(s + i, "nan", 3) == 0)) {
        bool nan = (s[i] | 0x20) == 'n';
        *v = nan ? NAN : (s[0] == '-' ? -INFINITY : INFINITY);
        return true;
    }
    if (n - i == 8 && strncasecmp(s + i, "infinity", 8) == 0) {
        *v = s[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    /* digits [. digits] [e [sign] digits], at least one mantissa digit */
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            i++;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            e++;
        }
        if (e == 0) {
            return false;
        }
    }
    if (i != n) {
        return false;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *v = strtod(tmp, &end);
    return end == tmp + n;
}

bool bw_parse_bool(const char *s, size_t n, bool *v)
{
    if (n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "True", 4) == 0 || memcmp(s, "TRUE", 4) == 0)) {
        *v = true;
        return true;
    }
    if (n == 5 && (memcmp(s, "false", 5) == 0 || memcmp(s, "False", 5) == 0 || memcmp(s, "FALSE", 5) == 0)) {
        *v = false;
        return true;
    }
    return false;
}

static bool digits_at(const char *s, size_t k, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < k; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool ymd(const char *s, size_t n, unsigned *y, unsigned *m, unsigned *d)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (n < 10 || s[4] != '-' || s[7] != '-' || !digits_at(s, 4, y) || !digits_at(s + 5, 2, m) ||
        !digits_at(s + 8, 2, d)) {
        return false;
    }
    if (*y < 1 || *m < 1 || *m > 12 || *d < 1) {
        return false;
    }
    return *d <= (unsigned)mdays[*m - 1] + (*m == 2 && leap(*y) ? 1u : 0u);
}

bool bw_parse_date(const char *s, size_t n, int32_t *days)
{
    unsigned y, m, d;

    if (n != 10 || !ymd(s, n, &y, &m, &d)) {
        return false;
    }
    *days = bw_days_from_civil((int)y, m, d);
    return true;
}

bool bw_parse_timestamp(const char *s, size_t n, int64_t *micros)
{
    unsigned y, mo, d, hh, mm, ss = 0, us = 0;
    size_t i = 16;
    int64_t tz = 0;

    if (n == 10 && ymd(s, n, &y, &mo, &d)) {
        *micros = (int64_t)bw_days_from_civil((int)y, mo, d) * 86400000000LL; /* a date: its midnight */
        return true;
    }
    if (n < 16 || !ymd(s, n, &y, &mo, &d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') ||
        !digits_at(s + 11, 2, &hh) || s[13] != ':' || !digits_at(s + 14, 2, &mm) || hh > 23 || mm > 59) {
        return false;
    }
    if (i < n && s[i] == ':') {
        if (n < 19 || !digits_at(s + 17, 2, &ss) || ss > 60) {
            return false;
        }
        i = 19;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            unsigned k = 0;
            i++;
            if (i == n || s[i] < '0' || s[i] > '9') {
                return false;
            }
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (k < 6) {
                    us = us * 10 + (unsigned)(s[i] - '0');
                    k++;
                }
                i++;
            }
            while (k < 6) {
                us *= 10;
                k++;
            }
        }
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        unsigned th, tm = 0;
        int sign = s[i] == '-' ? -1 : 1;
        if (n - i < 3 || !digits_at(s + i + 1, 2, &th) || th > 23) {
            return false;
        }
        i += 3;
        if (i < n && s[i] == ':') {
            i++;
        }
        if (i < n) {
            if (n - i != 2 || !digits_at(s + i, 2, &tm) || tm > 59) {
                return false;
            }
            i += 2;
        }
        tz = sign * ((int64_t)th * 3600 + (int64_t)tm * 60);
    }
    if (i != n) {
        return false;
    }
    *micros = ((int64_t)bw_days_from_civil((int)y, mo, d) * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 +
               (int64_t)(ss > 59 ? 59 : ss) - tz) *
                  1000000 +
              (int64_t)us;
    return true;
}

/* ---- inference --------------------------------------------------------------------------------- */

#define BIT(t) (1u << (t))
#define ALL (BIT(BW_DT_BOOL) | BIT(BW_DT_INT64) | BIT(BW_DT_FLOAT64) | BIT(BW_DT_DATE) | BIT(BW_DT_TIMESTAMP))

void bw_infer_init(bw_infer *f)
{
    f->could = ALL;
    f->seen = 0;
}

static void trim(const char **s, size_t *n);

void bw_infer_feed(bw_infer *f, const char *s, size_t n)
{
    unsigned could = f->could;

    trim(&s, &n); /* as bw_col_push_text reads a non-string value */

    f->seen++;
    if (could == 0) {
        return;
    }
    if (could & BIT(BW_DT_BOOL)) {
        bool b;
        if (!bw_parse_bool(s, n, &b)) {
            could &= ~BIT(BW_DT_BOOL);
        }
    }
    if (could & BIT(BW_DT_INT64)) {
        int64_t v;
        if (!bw_parse_int64(s, n, &v)) {
            could &= ~BIT(BW_DT_INT64);
        }
    }
    if ((could & BIT(BW_DT_FLOAT64)) && !(could & BIT(BW_DT_INT64))) {
        double v;
        if (!bw_parse_float64(s, n, &v)) {
            could &= ~BIT(BW_DT_FLOAT64);
        }
    }
    if (could & BIT(BW_DT_DATE)) {
        int32_t v;
        if (!bw_parse_date(s, n, &v)) {
            could &= ~BIT(BW_DT_DATE);
        }
    }
    if ((could & BIT(BW_DT_TIMESTAMP)) && !(could & BIT(BW_DT_DATE))) {
        int64_t v;
        if (!bw_parse_timestamp(s, n, &v)) {
            could &= ~BIT(BW_DT_TIMESTAMP);
        }
    }
    f->could = could;
}

bw_dtype bw_infer_result(const bw_infer *f)
{
    /* a date is also a timestamp's prefix form; an int is also a float */
    if (f->seen == 0) {
        return BW_DT_STRING;
    }
    if (f->could & BIT(BW_DT_BOOL)) {
        return BW_DT_BOOL;
    }
    if (f->could & BIT(BW_DT_INT64)) {
        return BW_DT_INT64;
    }
    if (f->could & BIT(BW_DT_FLOAT64)) {
        return BW_DT_FLOAT64;
    }
    if (f->could & BIT(BW_DT_DATE)) {
        return BW_DT_DATE;
    }
    if (f->could & BIT(BW_DT_TIMESTAMP)) {
        return BW_DT_TIMESTAMP;
    }
    return BW_DT_STRING;
}

/* ---- text into a column ------------------------------------------------------------------------ */

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) {
        (*n)--;
    }
}

bw_status bw_col_push_text(bw_column *c, const char *s, size_t n, bool fixed, const char **why)
{
    const char *t = s;
    size_t tn = n;

    *why = NULL;
    if (c->type != BW_DT_STRING) {
        trim(&t, &tn);
    }
    for (;;) {
        int64_t i;
        double d;
        bool b;
        int32_t days;

        switch (c->type) {
        case BW_DT_NULL: BW_TRY(bw_col_widen(c, BW_DT_STRING)); continue;
        case BW_DT_STRING:
            if (bw_utf8_valid(s, n)) {
                return bw_col_push_str(c, s, n);
            }
            *why = "invalid UTF-8 in a string value";
            break;
        case BW_DT_INT64:
            if (bw_parse_int64(t, tn, &i)) {
                return bw_col_push_i64(c, i);
            }
            if (!fixed && bw_parse_float64(t, tn, &d)) {
                BW_TRY(bw_col_widen(c, BW_DT_FLOAT64));
                continue;
            }
            *why = "a value that is not an int64";
            break;
        case BW_DT_FLOAT64:
            if (bw_parse_float64(t, tn, &d)) {
                return bw_col_push_f64(c, d);
            }
            *why = "a value that is not a float64";
            break;
        case BW_DT_BOOL:
            if (bw_parse_bool(t, tn, &b)) {
                return bw_col_push_bool(c, b);
            }
            *why = "a value that is not a bool";
            break;
        case BW_DT_DATE:
            if (bw_parse_date(t, tn, &days)) {
                return bw_col_push_date(c, days);
            }
            if (!fixed && bw_parse_timestamp(t, tn, &i)) {
                BW_TRY(bw_col_widen(c, BW_DT_TIMESTAMP));
                continue;
            }
            *why = "a value that is not a date";
            break;
        case BW_DT_TIMESTAMP:
            if (bw_parse_timestamp(t, tn, &i)) {
                return bw_col_push_ts(c, i);
            }
            *why = "a value that is not a timestamp";
            break;
        }
        c->nbad++;
        return bw_col_push_null(c);
    }
}

void bw_infer_feed_string(bw_infer *f, const char *s, size_t n)
{
    bw_infer_feed(f, s, n);
    f->could &= BIT(BW_DT_DATE) | BIT(BW_DT_TIMESTAMP);
}
