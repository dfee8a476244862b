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
#include "data/data_internal.h"
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

/*
 * x is eight bytes XORed with '0' (a digit becomes 0..9); the bytes whose
 * 0x80 bit is set in `sel` are tested. Nonzero when one of them was not a
 * digit: x + 0x76 has its top bit set exactly for 10..0x7F, x itself for
 * 0x80 and up. A carry out of a byte needs x >= 0x8A, which already fails.
 */
static inline uint64_t not_digits(uint64_t x, uint64_t sel)
{
    return ((x + 0x7676767676767676ULL) | x) & sel;
}

static inline unsigned byte_at(uint64_t x, unsigned k)
{
    return (unsigned)(x >> (8 * k)) & 0xFF;
}

#define FLOAT_MAX 71 /* longest float text read */

/* 10^0 .. 10^22: every one is exactly a double */
static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
 * The decimal number is checked and read in one pass: all its digits into
 * a uint64 mantissa (exact for at most 19 digits) and the power of ten that
 * scales it. When the mantissa is at most 2^53 and the power within +-22,
 * both are exact doubles and one multiplication or division rounds once,
 * so the result is the correctly rounded one strtod gives (Clinger's fast
 * path; SSE2 arithmetic, no excess precision). Anything else -- more
 * digits, larger exponents -- goes to strtod on a NUL-terminated copy.
 */
/* The slow path: strtod (C locale digits only, checked by the caller) on a NUL-terminated copy. */
static bool __attribute__((noinline)) float_strtod(const char *s, size_t n, double *v)
{
    char tmp[FLOAT_MAX + 1];
    char *end;

    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *v = strtod(tmp, &end);
    return end == tmp + n;
}

bool bw_parse_float64(const char *s, size_t n, double *v)
{
    size_t i = 0, digits;
    uint64_t m = 0;
    int64_t p10 = 0; /* the value is m * 10^p10 */
    bool neg = false;

    if (n == 0 || n > FLOAT_MAX) {
        return false;
    }
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i < n && ((s[i] | 0x20) == 'i' || (s[i] | 0x20) == 'n')) {
        if (n - i == 3 && (strncasecmp(s + i, "inf", 3) == 0 || strncasecmp(s + i, "nan", 3) == 0)) {
            bool nan = (s[i] | 0x20) == 'n';
            *v = nan ? NAN : (s[0] == '-' ? -INFINITY : INFINITY);
            return true;
        }
        if (n - i == 8 && strncasecmp(s + i, "infinity", 8) == 0) {
            *v = s[0] == '-' ? -INFINITY : INFINITY;
            return true;
        }
        return false;
    }
    /* digits [. digits] [e [sign] digits], at least one mantissa digit (m wraps past 19: then unused) */
    size_t start = i;
    for (unsigned dg; i < n && (dg = (unsigned char)s[i] - '0') <= 9; i++) {
        m = m * 10 + dg;
    }
    digits = i - start;
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        for (unsigned dg; i < n && (dg = (unsigned char)s[i] - '0') <= 9; i++) {
            m = m * 10 + dg;
        }
        p10 = -(int64_t)(i - f);
        digits += i - f;
    }
    if (digits == 0) {
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        int64_t ev = 0;
        bool eneg = false;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            eneg = s[i] == '-';
            i++;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (ev < 100000) {
                ev = ev * 10 + (s[i] - '0');
            }
            i++;
            e++;
        }
        if (e == 0) {
            return false;
        }
        p10 += eneg ? -ev : ev;
    }
    if (i != n) {
        return false;
    }
    if (digits <= 19 && m <= ((uint64_t)1 << 53) && p10 >= -22 && p10 <= 22) {
        double x = (double)m;
        x = p10 < 0 ? x / exact_pow10[-p10] : x * exact_pow10[p10];
        *v = neg ? -x : x;
        return true;
    }
    return float_strtod(s, n, v);
}

/*
 * bw_parse_float64 for a text with at least 16 readable bytes at s (the
 * CSV reader's window): [-]digits[.digits] of at most eight digits and
 * the point, the common case, is read as one word -- checked for digits
 * and a single '.', the point squeezed out, the digits combined pairwise
 * (four, then two multiplications) -- and scaled like the general path,
 * so the result is bit for bit the same. Anything else goes to it.
 */
bool bw_parse_float64_pad(const char *s, size_t n, double *v)
{
    bool neg = n > 0 && s[0] == '-';
    size_t k = n - (neg ? 1 : 0), frac = 0;
    uint64_t x, keep, bad;

    if (k == 0 || k > 8) {
        return bw_parse_float64(s, n, v);
    }
    keep = k == 8 ? ~0ULL : ((uint64_t)1 << (8 * k)) - 1;
    x = (bw_load_le64(s + (neg ? 1 : 0)) ^ 0x3030303030303030ULL) & keep;
    bad = not_digits(x, 0x8080808080808080ULL & keep);
    if (bad != 0) {
        /* one non-digit, a '.' ('.' ^ '0' = 0x1E): squeeze it out */
        unsigned p = (unsigned)__builtin_ctzll(bad) / 8;
        if ((bad & (bad - 1)) != 0 || byte_at(x, p) != 0x1E || k == 1) {
            return bw_parse_float64(s, n, v);
        }
        uint64_t lo = x & (((uint64_t)1 << (8 * p)) - 1);
        uint64_t hi = p == 7 ? 0 : x >> (8 * (p + 1));
        x = lo | (hi << (8 * p));
        frac = k - 1 - p;
        k--;
    }
    /* k digits, the first in the lowest byte: shift them up so that zeros lead */
    x <<= 8 * (8 - k);
    x = x * 10 + (x >> 8); /* byte 2i: the pair 10 * d[2i] + d[2i+1] */
    x = ((x & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32)) +
         ((x >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32))) >>
        32;
    double d = (double)(uint32_t)x;
    if (frac != 0) {
        d /= exact_pow10[frac];
    }
    *v = neg ? -d : d;
    return true;
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

static inline bool digits_at(const char *s, size_t k, unsigned *out)
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

/* Whether year y, month m, day d is a day of the calendar. Only the 29th of February asks whether y is a leap year. */
static inline bool ymd_valid(unsigned y, unsigned m, unsigned d)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1 || m - 1 > 11 || d < 1) {
        return false;
    }
    return d <= 28 || d <= (unsigned)mdays[m - 1] + (m == 2 && leap(y) ? 1u : 0u);
}

/*
 * "YYYY-MM-DD" at s (n >= 10): the first eight bytes are checked as one
 * word (dashes at 4 and 7, digits elsewhere), then the range of the month
 * and the day. Only the 29th of February asks whether the year is a leap year.
 */
static bool ymd(const char *s, size_t n, unsigned *y, unsigned *m, unsigned *d)
{
    uint64_t a;
    unsigned d8, d9;

    if (n < 10) {
        return false;
    }
    a = bw_load_le64(s) ^ 0x3030303030303030ULL;
    d8 = (unsigned char)s[8] - '0';
    d9 = (unsigned char)s[9] - '0';
    /* '-' ^ '0' = 0x1D at bytes 4 and 7 */
    if ((a & 0xFF0000FF00000000ULL) != 0x1D00001D00000000ULL || not_digits(a, 0x0080800080808080ULL) != 0 ||
        (d8 > 9) | (d9 > 9)) {
        return false;
    }
    /* with the dashes cleared, byte k of t is 10 * digit k + digit k + 1 (no carries: each is at most 99) */
    uint64_t t = a & 0x00FFFF00FFFFFFFFULL;
    t = t * 10 + (t >> 8);
    *y = byte_at(t, 0) * 100 + byte_at(t, 2);
    *m = byte_at(t, 5);
    *d = d8 * 10 + d9;
    return ymd_valid(*y, *m, *d);
}

/* "HH:MM:SS" at s (eight bytes): true with the three numbers, not yet range-checked. */
static inline bool hms(const char *s, unsigned *hh, unsigned *mm, unsigned *ss)
{
    uint64_t a = bw_load_le64(s) ^ 0x3030303030303030ULL;

    /* ':' ^ '0' = 0x0A at bytes 2 and 5 */
    if ((a & 0x0000FF0000FF0000ULL) != 0x00000A00000A0000ULL || not_digits(a, 0x8080008080008080ULL) != 0) {
        return false;
    }
    uint64_t t = a & 0xFFFF00FFFF00FFFFULL; /* the colons cleared: byte k is 10 * digit k + digit k + 1 */
    t = t * 10 + (t >> 8);
    *hh = byte_at(t, 0);
    *mm = byte_at(t, 3);
    *ss = byte_at(t, 6);
    return true;
}

/*
 * bw_days_from_civil() for a checked date (years 1-9999): the same
 * arithmetic, unsigned. Between 1901 and 2099 every fourth year is a leap
 * year and no other, so the days before a year are 365 a year plus one per
 * four, and those before a month come from a table.
 */
static inline int32_t civil_days(unsigned y, unsigned m, unsigned d)
{
    static const uint16_t before[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    if (y - 1901 <= 198) {
        unsigned k = y - 1901; /* 1901-01-01 is day -25202 */
        return (int32_t)(k * 365 + k / 4 + before[m] + (m > 2 && (y & 3) == 0) + d - 1) - 25202;
    }
    unsigned yy = y - (m <= 2);
    unsigned era = yy / 400, yoe = yy % 400;
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (int32_t)(era * 146097 + doe) - 719468;
}

bool bw_parse_date(const char *s, size_t n, int32_t *days)
{
    unsigned y, m, d;

    if (n != 10 || !ymd(s, n, &y, &m, &d)) {
        return false;
    }
    *days = civil_days(y, m, d);
    return true;
}

bool bw_parse_timestamp(const char *s, size_t n, int64_t *micros)
{
    unsigned y, mo, d, hh, mm, ss = 0, us = 0;
    size_t i = 16;
    int64_t tz = 0;

    if (n == 10 && ymd(s, n, &y, &mo, &d)) {
        *micros = (int64_t)civil_days(y, mo, d) * 86400000000LL; /* a date: its midnight */
        return true;
    }
    if (n < 16 || !ymd(s, n, &y, &mo, &d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't')) {
        return false;
    }
    if (n >= 19 && hms(s + 11, &hh, &mm, &ss)) {
        /* the usual form, with seconds */
        if (hh > 23 || mm > 59 || ss > 60) {
            return false;
        }
        i = 19;
    } else if (!digits_at(s + 11, 2, &hh) || s[13] != ':' || !digits_at(s + 14, 2, &mm) || hh > 23 || mm > 59) {
        return false;
    } else if (i < n && s[i] == ':') {
        if (n < 19 || !digits_at(s + 17, 2, &ss) || ss > 60) {
            return false;
        }
        i = 19;
    }
    if (i == 19) {
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
    *micros = ((int64_t)civil_days(y, mo, d) * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 +
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
