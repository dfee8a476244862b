/*
 * test_data.c - the columnar model (bw_batch.h): cell parsers at their
 * edges, the calendar arithmetic against a day-by-day walk, type inference,
 * columns growing, widening and formatting, and batches gaining columns.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_batch.h"
#include "bulwark/bw_buf.h"
#include "data/data_internal.h"
#include "tap.h"

static void test_int(void)
{
    int64_t v = 0;

    ok(bw_parse_int64("0", 1, &v) && v == 0, "0");
    ok(bw_parse_int64("-42", 3, &v) && v == -42, "-42");
    ok(bw_parse_int64("+7", 2, &v) && v == 7, "+7");
    ok(bw_parse_int64("9223372036854775807", 19, &v) && v == INT64_MAX, "INT64_MAX");
    ok(bw_parse_int64("-9223372036854775808", 20, &v) && v == INT64_MIN, "INT64_MIN");
    ok(!bw_parse_int64("9223372036854775808", 19, &v), "INT64_MAX + 1 refused");
    ok(!bw_parse_int64("-9223372036854775809", 20, &v), "INT64_MIN - 1 refused");
    ok(!bw_parse_int64("99999999999999999999", 20, &v), "20 digits refused");
    ok(!bw_parse_int64("", 0, &v) && !bw_parse_int64("-", 1, &v) && !bw_parse_int64("+", 1, &v), "empty, signs");
    ok(!bw_parse_int64("12 ", 3, &v) && !bw_parse_int64("1.0", 3, &v) && !bw_parse_int64("0x10", 4, &v),
       "trailing space, fraction, hex refused");
    ok(bw_parse_int64("123456", 3, &v) && v == 123, "reads only its length");
}

static void test_float(void)
{
    double v = 0;

    ok(bw_parse_float64("1.5", 3, &v) && v == 1.5, "1.5");
    ok(bw_parse_float64("-2e3", 4, &v) && v == -2000, "-2e3");
    ok(bw_parse_float64(".5", 2, &v) && v == 0.5, ".5");
    ok(bw_parse_float64("5.", 2, &v) && v == 5, "5.");
    ok(bw_parse_float64("1E-2", 4, &v) && v == 0.01, "1E-2");
    ok(bw_parse_float64("NaN", 3, &v) && isnan(v), "NaN");
    ok(bw_parse_float64("-inf", 4, &v) && isinf(v) && v < 0, "-inf");
    ok(bw_parse_float64("Infinity", 8, &v) && isinf(v) && v > 0, "Infinity");
    ok(!bw_parse_float64("0x1p3", 5, &v), "hex float refused");
    ok(!bw_parse_float64("1e", 2, &v) && !bw_parse_float64(".", 1, &v) && !bw_parse_float64("e5", 2, &v),
       "1e, ., e5 refused");
    ok(!bw_parse_float64("1,5", 3, &v) && !bw_parse_float64(" 1", 2, &v), "comma and space refused");
    ok(bw_parse_float64("1.25xyz", 4, &v) && v == 1.25, "reads only its length");
}

/*
 * bw_parse_float64_pad (the word-at-a-time path for short numbers) against
 * bw_parse_float64 bit for bit: every text of up to 9 bytes over a small
 * alphabet would be 10^9 cases, so random ones from it, mutated numbers,
 * and the edges by hand. The pad bytes after the text are random, to show
 * they are never taken for digits.
 */
static void test_float_pad(void)
{
    static const char alphabet[] = "0123456789.-+eE xi\x80";
    static const char *const edges[] = {"0",        "-0",       ".5",        "-.5", "5.",       "-5.",      ".",
                                        "-.",       "-",        "",          "+1",  "12345678", "1234567.", ".1234567",
                                        "99999999", "1e5",      "1.5e2",     "inf", "..",       "1..2",     "-12345678",
                                        "00000001", "0000.001", "-9999999.", "1-2", "1.2.3"};
    uint64_t x = 0x2545f4914f6cdd1dULL;
    unsigned bad = 0, accepted = 0, total = 0;

    for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]) + 600000; e++) {
        char buf[32];
        size_t n;
        for (size_t i = 0; i < sizeof(buf); i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (char)(x >> 24);
        }
        if (e < sizeof(edges) / sizeof(edges[0])) {
            n = strlen(edges[e]);
            memcpy(buf, edges[e], n);
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            n = (size_t)(x % 11);
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                /* mostly digits, with a point or a sign now and then */
                buf[i] = (x & 3) != 0 ? (char)('0' + (x >> 8) % 10) : alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
            }
        }
        double a = 0, b = 0;
        bool pa = bw_parse_float64_pad(buf, n, &a), pb = bw_parse_float64(buf, n, &b);
        bad += pa != pb || (pa && memcmp(&a, &b, sizeof(a)) != 0);
        accepted += pa;
        total++;
    }
    is_int(bad, 0, "bw_parse_float64_pad equals bw_parse_float64 bit for bit on %u texts", total);
    ok(accepted > total / 4 && accepted < total, "accepted and refused texts both tested (%u of %u accepted)", accepted,
       total);
}

/*
 * bw_col_format against the printf forms it replaced: "%.15g" (or "%.17g"
 * when that does not read back), "%lld", "%04d-%02u-%02u" and the timestamp
 * form, on short decimals, random bit patterns, powers of ten and the edges.
 */
static void test_format_differential(void)
{
    bw_column f = {0}, i6 = {0}, dt = {0}, ts = {0};
    uint64_t x = 0x853c49e6748fea9bULL;
    unsigned bad_f = 0, bad_i = 0, bad_d = 0, bad_t = 0, nf = 0;
    char want[64];
    bw_buf got = BW_BUF_INIT(1 << 20);

    f.type = BW_DT_FLOAT64;
    i6.type = BW_DT_INT64;
    dt.type = BW_DT_DATE;
    ts.type = BW_DT_TIMESTAMP;
    for (unsigned it = 0; it < 300000; it++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        switch (it % 5) {
        case 0: v = (double)(int64_t)(x >> (x % 50)) / pow(10, (double)((x >> 56) % 9)); break; /* short decimals */
        case 1: memcpy(&v, &x, sizeof(v)); break;                                               /* any bits */
        case 2: v = pow(10, (double)((int)(x % 40) - 20)) * ((x >> 40) & 1 ? -1 : 1); break;
        case 3: v = nextafter(pow(10, (double)((int)(x % 30) - 10)), (x >> 33) & 1 ? 0 : INFINITY); break;
        default: v = (double)(x % 100000) / 100 - 500; break;
        }
        if (it < 8) {
            static const double edge[8] = {0.0, -0.0, 1e-4, 9.9999999999999e-5, 1e15, 999999999999999.0, 0.1, -2.5};
            v = edge[it];
        }
        if (isnan(v)) {
            continue;
        }
        if (isinf(v)) {
            snprintf(want, sizeof(want), "%s", v < 0 ? "-inf" : "inf");
        } else {
            snprintf(want, sizeof(want), "%.15g", v);
            if (strtod(want, NULL) != v) {
                snprintf(want, sizeof(want), "%.17g", v);
            }
        }
        bw_buf_reset(&got);
        if (bw_col_push_f64(&f, v) != BW_OK || bw_col_format(&f, f.n - 1, &got) != BW_OK ||
            strcmp(got.ptr != NULL ? got.ptr : "", want) != 0) {
            if (bad_f++ < 3) {
                tap_diag("float %.17g: got '%s', want '%s'", v, got.ptr != NULL ? got.ptr : "", want);
            }
        }
        nf++;
        int64_t iv = (int64_t)x >> (x % 64);
        if (it == 1) {
            iv = INT64_MIN;
        }
        snprintf(want, sizeof(want), "%lld", (long long)iv);
        bw_buf_reset(&got);
        bad_i += bw_col_push_i64(&i6, iv) != BW_OK || bw_col_format(&i6, i6.n - 1, &got) != BW_OK ||
                 strcmp(got.ptr, want) != 0;
        int32_t days = (int32_t)(x % 4000000) - 1000000; /* years about -800 to 12900 */
        int y;
        unsigned m, d;
        bw_civil_from_days(days, &y, &m, &d);
        snprintf(want, sizeof(want), "%04d-%02u-%02u", y, m, d);
        bw_buf_reset(&got);
        bad_d += bw_col_push_date(&dt, days) != BW_OK || bw_col_format(&dt, dt.n - 1, &got) != BW_OK ||
                 strcmp(got.ptr, want) != 0;
        int64_t us = (int64_t)(x % 600000000000000000ULL) - 100000000000000000LL;
        if (it % 3 == 0) {
            us -= us % 1000000; /* whole seconds */
        }
        int64_t dd = us >= 0 ? us / 86400000000LL : -((-us + 86400000000LL - 1) / 86400000000LL);
        int64_t rest = us - dd * 86400000000LL, secs = rest / 1000000, frac = rest % 1000000;
        bw_civil_from_days((int32_t)dd, &y, &m, &d);
        int w = snprintf(want, sizeof(want), "%04d-%02u-%02uT%02d:%02d:%02d", y, m, d, (int)(secs / 3600),
                         (int)(secs / 60 % 60), (int)(secs % 60));
        if (frac != 0) {
            char fr[8];
            int k = 6;
            snprintf(fr, sizeof(fr), "%06lld", (long long)frac);
            while (k > 1 && fr[k - 1] == '0') {
                k--;
            }
            snprintf(want + w, sizeof(want) - (size_t)w, ".%.*s", k, fr);
        }
        bw_buf_reset(&got);
        bad_t += bw_col_push_ts(&ts, us) != BW_OK || bw_col_format(&ts, ts.n - 1, &got) != BW_OK ||
                 strcmp(got.ptr, want) != 0;
    }
    is_int(bad_f, 0, "floats format as %%.15g / %%.17g did (%u values)", nf);
    is_int(bad_i, 0, "int64 formats as %%lld did");
    is_int(bad_d, 0, "dates format as %%04d-%%02u-%%02u did, negative and 5-digit years too");
    is_int(bad_t, 0, "timestamps format as before");
    bw_buf_release(&got);
    bw_col_release(&f);
    bw_col_release(&i6);
    bw_col_release(&dt);
    bw_col_release(&ts);
}

static void test_bool_date(void)
{
    bool b = false;
    int32_t d = 0;
    int64_t t = 0;

    ok(bw_parse_bool("true", 4, &b) && b, "true");
    ok(bw_parse_bool("FALSE", 5, &b) && !b, "FALSE");
    ok(!bw_parse_bool("tRUE", 4, &b) && !bw_parse_bool("1", 1, &b) && !bw_parse_bool("yes", 3, &b),
       "tRUE, 1, yes refused");
    ok(bw_parse_date("1970-01-01", 10, &d) && d == 0, "epoch");
    ok(bw_parse_date("2000-03-01", 10, &d) && d == 11017, "2000-03-01 is day 11017");
    ok(bw_parse_date("1969-12-31", 10, &d) && d == -1, "the day before the epoch");
    ok(bw_parse_date("2024-02-29", 10, &d), "a leap day");
    ok(!bw_parse_date("2023-02-29", 10, &d), "2023-02-29 refused");
    ok(!bw_parse_date("1900-02-29", 10, &d), "1900 is no leap year");
    ok(bw_parse_date("2000-02-29", 10, &d), "2000 is");
    ok(!bw_parse_date("2024-13-01", 10, &d) && !bw_parse_date("2024-04-31", 10, &d) &&
           !bw_parse_date("2024-1-01", 9, &d) && !bw_parse_date("0000-01-01", 10, &d),
       "month 13, April 31, short month, year 0 refused");
    ok(bw_parse_timestamp("1970-01-01T00:00:01Z", 20, &t) && t == 1000000, "one second");
    ok(bw_parse_timestamp("1970-01-01 00:00:00.5", 21, &t) && t == 500000, "half a second, space");
    ok(bw_parse_timestamp("1970-01-01T01:00:00+01:00", 25, &t) && t == 0, "+01:00 is UTC midnight");
    ok(bw_parse_timestamp("1970-01-01T00:00:00-0130", 24, &t) && t == 5400000000LL, "-0130");
    ok(bw_parse_timestamp("1970-01-01T00:00", 16, &t) && t == 0, "no seconds");
    ok(bw_parse_timestamp("1970-01-01T00:00:00.123456789", 29, &t) && t == 123456, "nanoseconds truncated");
    ok(bw_parse_timestamp("2024-05-06", 10, &t) && t == (int64_t)19849 * 86400000000LL, "a date is its midnight");
    ok(!bw_parse_timestamp("1970-01-01T24:00:00", 19, &t) && !bw_parse_timestamp("1970-01-01T00:60", 16, &t) &&
           !bw_parse_timestamp("1970-01-01T00:00:00.", 20, &t) &&
           !bw_parse_timestamp("1970-01-01T00:00:00+25", 22, &t) && !bw_parse_timestamp("1970-01-01X00:00:00", 19, &t),
       "hour 24, minute 60, empty fraction, +25, bad separator refused");
}

/*
 * Reference parsers for the differential test below: the byte-at-a-time
 * forms the word-at-a-time ones in convert.c replaced, kept here to pin
 * down that they accept and compute exactly the same.
 */
static bool ref_digits(const char *s, size_t k, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < k; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool ref_ymd(const char *s, size_t n, unsigned *y, unsigned *m, unsigned *d)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (n < 10 || s[4] != '-' || s[7] != '-' || !ref_digits(s, 4, y) || !ref_digits(s + 5, 2, m) ||
        !ref_digits(s + 8, 2, d) || *y < 1 || *m < 1 || *m > 12 || *d < 1) {
        return false;
    }
    bool lp = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    return *d <= (unsigned)mdays[*m - 1] + (*m == 2 && lp ? 1u : 0u);
}

static bool ref_date(const char *s, size_t n, int32_t *days)
{
    unsigned y, m, d;

    if (n != 10 || !ref_ymd(s, n, &y, &m, &d)) {
        return false;
    }
    *days = bw_days_from_civil((int)y, m, d);
    return true;
}

static bool ref_timestamp(const char *s, size_t n, int64_t *micros)
{
    unsigned y, mo, d, hh, mm, ss = 0, us = 0;
    size_t i = 16;
    int64_t tz = 0;

    if (n == 10 && ref_ymd(s, n, &y, &mo, &d)) {
        *micros = (int64_t)bw_days_from_civil((int)y, mo, d) * 86400000000LL;
        return true;
    }
    if (n < 16 || !ref_ymd(s, n, &y, &mo, &d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') ||
        !ref_digits(s + 11, 2, &hh) || s[13] != ':' || !ref_digits(s + 14, 2, &mm) || hh > 23 || mm > 59) {
        return false;
    }
    if (i < n && s[i] == ':') {
        if (n < 19 || !ref_digits(s + 17, 2, &ss) || ss > 60) {
            return false;
        }
        i = 19;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            unsigned k = 0;
            i++;
            if (i == n || s[i] < '0' || s[i] > '9') {
                return false;
            }
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                if (k < 6) {
                    us = us * 10 + (unsigned)(s[i] - '0');
                    k++;
                }
            }
            for (; k < 6; k++) {
                us *= 10;
            }
        }
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        unsigned th, tm = 0;
        int sign = s[i] == '-' ? -1 : 1;
        if (n - i < 3 || !ref_digits(s + i + 1, 2, &th) || th > 23) {
            return false;
        }
        i += 3;
        if (i < n && s[i] == ':') {
            i++;
        }
        if (i < n) {
            if (n - i != 2 || !ref_digits(s + i, 2, &tm) || tm > 59) {
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

/*
 * The date and timestamp parsers against the references on valid texts
 * mutated a few bytes at a time (digits, separators, bytes with the high
 * bit, digits' neighbours '/' and ':') and cut to random lengths.
 */
static void test_date_differential(void)
{
    static const char *const seeds[] = {"2024-02-29",           "1999-12-31",
                                        "0001-01-01",           "9999-12-31 23:59:59",
                                        "2023-02-28T12:34:56",  "2020-02-29 00:00:60",
                                        "2024-05-06T07:08:09Z", "2024-05-06 07:08:09.123456+01:30",
                                        "1900-02-28T23:59",     "2000-02-29t10:11:12,5-0930",
                                        "2024-13-01 00:00:00",  "2024-04-30 24:00:00"};
    static const char alphabet[] = "0123456789-:T Z.+/,t\x80\xff\x2d\x3a\x2f\x0a";
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    unsigned bad_date = 0, bad_ts = 0, accepted = 0;

    for (unsigned it = 0; it < 400000; it++) {
        char buf[48];
        const char *seed = seeds[it % (sizeof(seeds) / sizeof(seeds[0]))];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        memset(buf + n, 'x', sizeof(buf) - n);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned muts = (unsigned)(x % 4);
        for (unsigned k = 0; k < muts; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[(x >> 8) % n] = alphabet[(x >> 20) % (sizeof(alphabet) - 1)];
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (x % 3 == 0) {
            n = (size_t)((x >> 5) % (n + 1));
        }
        int32_t d1 = 0, d2 = 0;
        int64_t t1 = 0, t2 = 0;
        bool a = bw_parse_date(buf, n, &d1), b = ref_date(buf, n, &d2);
        bad_date += a != b || (a && d1 != d2);
        a = bw_parse_timestamp(buf, n, &t1);
        b = ref_timestamp(buf, n, &t2);
        bad_ts += a != b || (a && t1 != t2);
        accepted += a;
    }
    is_int(bad_date, 0, "bw_parse_date agrees with the byte-wise reference on 400k mutated texts");
    is_int(bad_ts, 0, "bw_parse_timestamp agrees with the byte-wise reference on 400k mutated texts");
    ok(accepted > 50000 && accepted < 350000, "the texts mix accepted and refused ones (%u accepted)", accepted);
}

/* The calendar against a walk day by day over four centuries. */
static void test_calendar(void)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 1800;
    unsigned m = 1, d = 1, bad = 0;
    int32_t day = bw_days_from_civil(1800, 1, 1);

    for (int i = 0; i < 146097 + 366; i++, day++) {
        int yy;
        unsigned mm, dd;
        bw_civil_from_days(day, &yy, &mm, &dd);
        if (yy != y || mm != m || dd != d || bw_days_from_civil(y, m, d) != day) {
            bad++;
        }
        unsigned len = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
        if (++d > len) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    is_int(bad, 0, "civil <-> days agree with a day-by-day walk from 1800 over 401 years");
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static bool same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

/* strtod of a NUL-terminated copy: the reference the fast path must agree with bit for bit */
static double ref_strtod(const char *s, size_t n)
{
    char tmp[80];

    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return strtod(tmp, NULL);
}

/* The exact fast path (<= 19 digits, mantissa <= 2^53, |exponent| <= 22) and the strtod fallback at their edges. */
static void test_float_fast(void)
{
    static const char *edges[] = {
        "9007199254740992",     /* 2^53: the largest mantissa taken fast */
        "9007199254740993",     /* 2^53 + 1: not a double, rounds to even */
        "9007199254740995",     /* rounds up */
        "1234567890123456789",  /* 19 digits, mantissa past 2^53: strtod */
        "12345678901234567890", /* 20 digits */
        "0.1",
        "0.2",
        "0.3",
        "1e22",
        "1e23", /* the classic: 10^23 is not a double */
        "1e-22",
        "1e-23",
        "123456789012345e22",
        "123456789012345e-22",
        "4.9e-324",
        "2.4703282292062327e-324", /* below half the smallest subnormal */
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "1.7976931348623159e308", /* overflows to inf */
        "1e400",
        "1e-400",
        "0e400",
        "-0",
        "-0.0",
        "+0.000",
        "0000000000000000000001.5", /* 24 digits, 20 of them leading zeros */
        "0.00000000000000000000000000001",
        "9999999999999999999.5",
        "3.14159265358979323846264338327950288",
        "2.2250738585072011e-308", /* near the smallest normal */
        "2.2250738585072014e-308",
        "100000000000000000000000e-2",
        "5e-22",
        "5.0e-22",
        "15495.38",
        "-2.36",
        ".5e1",
        "5.e-1",
    };
    size_t bad = 0;
    double v = 0;

    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        size_t n = strlen(edges[i]);
        if (!bw_parse_float64(edges[i], n, &v) || !same_double(v, ref_strtod(edges[i], n))) {
            tap_diag("disagrees with strtod: %s", edges[i]);
            bad++;
        }
    }
    is_int(bad, 0, "the fast path's edges agree with strtod bit for bit");
    ok(bw_parse_float64("-0", 2, &v) && v == 0 && signbit(v), "-0 keeps its sign");
    ok(bw_parse_float64("1e23", 4, &v) && v == 1e23, "1e23 is the nearest double");
    ok(bw_parse_float64("0.1", 3, &v) && v == 0.1, "0.1 is the nearest double");

    /* random decimals: 1-25 digits, a point anywhere or none, exponents -40..40 or none, signs */
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    bad = 0;
    for (int t = 0; t < 2000000; t++) {
        char s[72];
        size_t n = 0;
        uint64_t r = rng_next(&seed);
        unsigned digits = 1 + (unsigned)(r % 25), point = (unsigned)((r >> 8) % (digits + 2));
        if ((r >> 16) % 4 == 0) {
            s[n++] = (r >> 18) % 2 ? '-' : '+';
        }
        for (unsigned k = 0; k < digits; k++) {
            if (k == point) {
                s[n++] = '.';
            }
            /* mostly small digits and runs of zeros and nines, where rounding is tight */
            uint64_t q = rng_next(&seed);
            s[n++] = (char)('0' + (q % 3 == 0 ? 0 : q % 3 == 1 ? 9 : (q >> 4) % 10));
        }
        if ((r >> 24) % 3 == 0) {
            n += (size_t)snprintf(s + n, sizeof(s) - n, "e%d", (int)((r >> 32) % 81) - 40);
        }
        if (!bw_parse_float64(s, n, &v) || !same_double(v, ref_strtod(s, n))) {
            if (bad++ < 5) {
                tap_diag("disagrees with strtod: %.*s", (int)n, s);
            }
        }
    }
    is_int(bad, 0, "2 million random decimals agree with strtod bit for bit");

    /* random doubles printed with 1-17 significant digits read back as strtod reads them */
    bad = 0;
    for (int t = 0; t < 1000000; t++) {
        char s[40];
        uint64_t bits = rng_next(&seed);
        double x;
        memcpy(&x, &bits, sizeof(x));
        if (!isfinite(x)) {
            continue;
        }
        int n = snprintf(s, sizeof(s), "%.*g", 1 + (int)(bits % 17), x);
        if (!bw_parse_float64(s, (size_t)n, &v) || !same_double(v, ref_strtod(s, (size_t)n))) {
            if (bad++ < 5) {
                tap_diag("disagrees with strtod: %s", s);
            }
        }
    }
    is_int(bad, 0, "a million printed doubles agree with strtod");
}

/* The fixed-place date parser against the calendar, every day of years 1 to 9999, and the day after each month. */
static void test_date_fast(void)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t bad = 0, bad_ts = 0, bad_end = 0;

    for (unsigned y = 1; y <= 9999; y++) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (unsigned m = 1; m <= 12; m++) {
            unsigned len = mdays[m - 1] + (m == 2 && leap);
            char s[32];
            int32_t d = 0;
            int64_t t = 0;
            for (unsigned day = 1; day <= len; day++) {
                snprintf(s, sizeof(s), "%04u-%02u-%02u", y, m, day);
                if (!bw_parse_date(s, 10, &d) || d != bw_days_from_civil((int)y, m, day)) {
                    bad++;
                }
            }
            /* the month's last second as a timestamp */
            snprintf(s, sizeof(s), "%04u-%02u-%02u 23:59:59", y, m, len);
            if (!bw_parse_timestamp(s, 19, &t) ||
                t != ((int64_t)bw_days_from_civil((int)y, m, len) * 86400 + 86399) * 1000000) {
                bad_ts++;
            }
            /* the day after the month's end */
            snprintf(s, sizeof(s), "%04u-%02u-%02u", y, m, len + 1);
            if (bw_parse_date(s, 10, &d) || bw_parse_timestamp(s, 10, &t)) {
                bad_end++;
            }
        }
    }
    is_int(bad, 0, "every day of 0001-9999 parses to its day number");
    is_int(bad_ts, 0, "every month's last second parses as a timestamp");
    is_int(bad_end, 0, "the day after every month's end is refused");

    int32_t d = 0;
    ok(bw_parse_date("0001-01-01", 10, &d) && d == bw_days_from_civil(1, 1, 1), "0001-01-01");
    ok(bw_parse_date("9999-12-31", 10, &d) && d == bw_days_from_civil(9999, 12, 31), "9999-12-31");
    ok(!bw_parse_date("2024-02-3/", 10, &d) && !bw_parse_date("2024-0:-01", 10, &d) &&
           !bw_parse_date("/024-01-01", 10, &d) && !bw_parse_date("2024-00-10", 10, &d) &&
           !bw_parse_date("2024-01-00", 10, &d) && !bw_parse_date("2024/01/01", 10, &d),
       "bytes next to the digits ('/', ':'), month 0, day 0, slashes refused");
}

static bw_dtype infer(const char *const *v, size_t n)
{
    bw_infer f;

    bw_infer_init(&f);
    for (size_t i = 0; i < n; i++) {
        bw_infer_feed(&f, v[i], strlen(v[i]));
    }
    return bw_infer_result(&f);
}

static void test_infer(void)
{
    static const char *ints[] = {"1", "-2", "300"};
    static const char *floats[] = {"1", "2.5", "3"};
    static const char *bools[] = {"true", "False"};
    static const char *dates[] = {"2024-01-01", "2023-12-31"};
    static const char *ts[] = {"2024-01-01", "2024-01-01T10:00:00"};
    static const char *mixed[] = {"1", "x"};
    bw_infer f;

    is_str(bw_dtype_name(infer(ints, 3)), "int64", "ints");
    is_str(bw_dtype_name(infer(floats, 3)), "float64", "ints and a fraction");
    is_str(bw_dtype_name(infer(bools, 2)), "bool", "bools");
    is_str(bw_dtype_name(infer(dates, 2)), "date", "dates");
    is_str(bw_dtype_name(infer(ts, 2)), "timestamp", "a date and a timestamp");
    is_str(bw_dtype_name(infer(mixed, 2)), "string", "a number and text");
    is_str(bw_dtype_name(infer(NULL, 0)), "string", "nothing seen");
    bw_infer_init(&f);
    bw_infer_feed_string(&f, "12", 2);
    is_str(bw_dtype_name(bw_infer_result(&f)), "string", "a JSON string of digits stays a string");
    bw_infer_init(&f);
    bw_infer_feed_string(&f, "2024-02-02", 10);
    is_str(bw_dtype_name(bw_infer_result(&f)), "date", "a JSON string holding a date is a date");
}

static void test_dtype_names(void)
{
    bw_dtype t = BW_DT_NULL;

    ok(bw_dtype_parse("Integer", &t) == BW_OK && t == BW_DT_INT64, "Integer");
    ok(bw_dtype_parse("double", &t) == BW_OK && t == BW_DT_FLOAT64, "double");
    ok(bw_dtype_parse("datetime", &t) == BW_OK && t == BW_DT_TIMESTAMP, "datetime");
    ok(bw_dtype_parse("blob", &t) == BW_EINVAL, "blob refused");
    for (int k = BW_DT_BOOL; k <= BW_DT_TIMESTAMP; k++) {
        ok(bw_dtype_parse(bw_dtype_name((bw_dtype)k), &t) == BW_OK && t == (bw_dtype)k, "%s round trip",
           bw_dtype_name((bw_dtype)k));
    }
}

static void test_columns(void)
{
    bw_column c = {0};
    bw_buf out = BW_BUF_INIT(1 << 20);
    const char *why = NULL;
    size_t n;

    unsigned fails = 0;
    c.type = BW_DT_INT64;
    for (int i = 0; i < 1000; i++) {
        fails += (i % 7 == 0 ? bw_col_push_null(&c) : bw_col_push_i64(&c, i)) != BW_OK;
    }
    is_int(fails, 0, "every push succeeded");
    is_int(c.n, 1000, "1000 rows pushed");
    ok(!bw_col_valid(&c, 0) && bw_col_valid(&c, 1) && !bw_col_valid(&c, 994) && bw_col_valid(&c, 999),
       "validity bits follow the nulls");
    is_int(c.i64[999], 999, "values kept across growth");
    ok(bw_col_push_f64(&c, 1.0) == BW_EINVAL, "a float refused by an int64 column");
    ok(bw_col_push_text(&c, " 12 ", 4, false, &why) == BW_OK && why == NULL && c.i64[1000] == 12,
       "text with spaces into int64");
    ok(bw_col_push_text(&c, "2.5", 3, false, &why) == BW_OK && why == NULL && c.type == BW_DT_FLOAT64,
       "a fraction widens to float64");
    ok(c.f64[999] == 999.0 && c.f64[1001] == 2.5 && !bw_col_valid(&c, 994), "values and nulls survive widening");
    ok(bw_col_push_text(&c, "abc", 3, false, &why) == BW_OK && why != NULL && c.nbad == 1 && !bw_col_valid(&c, 1002),
       "text that is no number: null, counted, explained");
    bw_col_format(&c, 1001, &out);
    is_str(out.ptr, "2.5", "float formatted");
    ok(bw_col_widen(&c, BW_DT_STRING) == BW_OK && c.type == BW_DT_STRING, "widened to string");
    const char *s = bw_col_str(&c, 1001, &n);
    ok(n == 3 && memcmp(s, "2.5", 3) == 0 && !bw_col_valid(&c, 1002) && c.nbad == 1, "strings of the values");
    ok(bw_col_widen(&c, BW_DT_INT64) == BW_EINVAL, "no narrowing");
    ok(bw_col_push_text(&c, "\xff", 1, false, &why) == BW_OK && why != NULL, "invalid UTF-8 refused");

    /* dates widen to timestamps; a fixed column does not widen */
    bw_col_retype(&c, BW_DT_DATE);
    ok(bw_col_push_text(&c, "2024-01-02", 10, false, &why) == BW_OK && why == NULL, "a date");
    ok(bw_col_push_text(&c, "2024-01-02T03:04:05.25", 22, false, &why) == BW_OK && c.type == BW_DT_TIMESTAMP,
       "a timestamp widens the column");
    bw_buf_reset(&out);
    bw_col_format(&c, 0, &out);
    bw_buf_addc(&out, '|');
    bw_col_format(&c, 1, &out);
    is_str(out.ptr, "2024-01-02T00:00:00|2024-01-02T03:04:05.25", "timestamps formatted");
    bw_col_retype(&c, BW_DT_INT64);
    ok(bw_col_push_text(&c, "2.5", 3, true, &why) == BW_OK && why != NULL && c.type == BW_DT_INT64,
       "a fixed int64 column does not widen");
    bw_col_retype(&c, BW_DT_TIMESTAMP);
    ok(bw_col_push_ts(&c, -1) == BW_OK, "a microsecond before the epoch");
    bw_buf_reset(&out);
    bw_col_format(&c, 0, &out);
    is_str(out.ptr, "1969-12-31T23:59:59.999999", "formatted across the epoch");
    bw_col_retype(&c, BW_DT_FLOAT64);
    ok(bw_col_push_f64(&c, 0.1) == BW_OK && bw_col_push_f64(&c, 1.0 / 3) == BW_OK, "floats");
    bw_buf_reset(&out);
    bw_col_format(&c, 0, &out);
    bw_buf_addc(&out, '|');
    bw_col_format(&c, 1, &out);
    is_str(out.ptr, "0.1|0.33333333333333331", "shortest text that reads back");
    bw_buf_release(&out);

    bw_batch b;
    bw_batch_init(&b);
    ok(bw_batch_add_column(&b, "a", 1, BW_DT_INT64) == BW_OK && bw_col_push_i64(&b.cols[0], 5) == BW_OK, "col a");
    b.nrows = 1;
    ok(bw_batch_add_column(&b, "b", 1, BW_DT_STRING) == BW_OK && b.cols[1].n == 1 && !bw_col_valid(&b.cols[1], 0),
       "a column added later is null in the rows before");
    bw_batch_clear(&b);
    ok(b.nrows == 0 && b.cols[0].n == 0 && b.cols[1].type == BW_DT_STRING && strcmp(b.names[1], "b") == 0,
       "clear keeps names and types");
    bw_batch_release(&b);
    bw_col_release(&c);
    ok(c.valid == NULL && c.n == 0, "released");
}

/* bw_col_push_nulls(n) leaves a column as n single pushes of a null would, for every type and start */
static void test_push_nulls(void)
{
    static const bw_dtype types[] = {BW_DT_NULL,   BW_DT_BOOL, BW_DT_INT64,    BW_DT_FLOAT64,
                                     BW_DT_STRING, BW_DT_DATE, BW_DT_TIMESTAMP};
    static const size_t starts[] = {0, 1, 5, 8, 13, 64, 70};
    static const size_t counts[] = {0, 1, 2, 7, 8, 9, 63, 200};
    unsigned bad = 0, cases = 0;

    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        for (size_t a = 0; a < sizeof(starts) / sizeof(starts[0]); a++) {
            for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
                bw_column x = {0}, y = {0};
                const char *why = NULL;
                x.type = y.type = types[t];
                /* a prefix of valid values (nulls for the null type), the same in both */
                for (size_t i = 0; i < starts[a]; i++) {
                    bw_status r1 =
                        types[t] == BW_DT_NULL ? bw_col_push_null(&x) : bw_col_push_text(&x, "1", 1, true, &why);
                    bw_status r2 =
                        types[t] == BW_DT_NULL ? bw_col_push_null(&y) : bw_col_push_text(&y, "1", 1, true, &why);
                    bad += r1 != BW_OK || r2 != BW_OK;
                }
                if (types[t] == BW_DT_BOOL) {
                    /* "1" is no bool: these rows are nulls counted bad; make them valid */
                    bw_col_retype(&x, BW_DT_BOOL);
                    bw_col_retype(&y, BW_DT_BOOL);
                    for (size_t i = 0; i < starts[a]; i++) {
                        bad += bw_col_push_bool(&x, true) != BW_OK || bw_col_push_bool(&y, true) != BW_OK;
                    }
                }
                for (size_t i = 0; i < counts[k]; i++) {
                    bad += bw_col_push_null(&x) != BW_OK;
                }
                bad += bw_col_push_nulls(&y, counts[k]) != BW_OK;
                /* one valid value after them */
                if (types[t] != BW_DT_NULL) {
                    bool b1 = types[t] == BW_DT_BOOL;
                    bad += (b1 ? bw_col_push_bool(&x, true) : bw_col_push_text(&x, "2", 1, true, &why)) != BW_OK;
                    bad += (b1 ? bw_col_push_bool(&y, true) : bw_col_push_text(&y, "2", 1, true, &why)) != BW_OK;
                }
                bad += x.n != y.n || x.type != y.type;
                for (size_t i = 0; i < x.n && x.n == y.n; i++) {
                    bw_buf fx = BW_BUF_INIT(64), fy = BW_BUF_INIT(64);
                    bad += bw_col_valid(&x, i) != bw_col_valid(&y, i);
                    switch (x.type) {
                    case BW_DT_STRING: bad += x.off[i + 1] != y.off[i + 1]; break;
                    case BW_DT_INT64:
                    case BW_DT_TIMESTAMP: bad += x.i64[i] != y.i64[i]; break;
                    case BW_DT_FLOAT64: bad += memcmp(&x.f64[i], &y.f64[i], sizeof(double)) != 0; break;
                    case BW_DT_DATE: bad += x.days[i] != y.days[i]; break;
                    case BW_DT_BOOL: bad += x.b[i] != y.b[i]; break;
                    case BW_DT_NULL: break;
                    }
                    bw_col_format(&x, i, &fx);
                    bw_col_format(&y, i, &fy);
                    bad += fx.len != fy.len || (fx.len > 0 && memcmp(fx.ptr, fy.ptr, fx.len) != 0);
                    bw_buf_release(&fx);
                    bw_buf_release(&fy);
                }
                cases++;
                bw_col_release(&x);
                bw_col_release(&y);
            }
        }
    }
    ok(bad == 0 && cases == 7 * 7 * 8, "bw_col_push_nulls equals single pushes in %u cases (%u differences)", cases,
       bad);
}

int main(void)
{
    test_int();
    test_float();
    test_bool_date();
    test_date_differential();
    test_float_pad();
    test_format_differential();
    test_calendar();
    test_float_fast();
    test_date_fast();
    test_infer();
    test_dtype_names();
    test_columns();
    test_push_nulls();
    return done_testing();
}
