/*
 * expect_text.c - the per-value text checks of the expectation engine: a
 * strict strptime matcher, a generous dateutil-style date recogniser, an
 * RFC 8259 JSON validator, and the security checks (formula injection,
 * control characters, markup). All take a length, never read past it and
 * allocate nothing except the markup check's caller-owned scratch buffer.
 */
#include "data/expect_internal.h"

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- strftime ---------------------------------------------------------------------------------- */

static const char *const months[12] = {"january", "february", "march",     "april",   "may",      "june",
                                       "july",    "august",   "september", "october", "november", "december"};
static const char *const wdays[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

bool bw_strftime_compile(const char *fmt, bw_strftime *out, const char **why)
{
    out->n = 0;
    for (size_t i = 0; fmt[i] != '\0'; i++) {
        if (out->n == BW_STRFTIME_MAX) {
            *why = "format too long";
            return false;
        }
        char c = fmt[i];
        if (c == '%') {
            char d = fmt[++i];
            if (d == '\0') {
                *why = "a lone '%' at the end";
                return false;
            }
            if (strchr("YmdHMSfzZjybBaApI%", d) == NULL) {
                *why = "unsupported directive (supported: %Y %m %d %H %M %S %f %z %Z %j %y %b %B %a %A %p %I %%)";
                return false;
            }
            if (d == '%') {
                out->ops[out->n].op = 0;
                out->ops[out->n++].lit = '%';
            } else {
                out->ops[out->n].op = d;
                out->ops[out->n++].lit = 0;
            }
        } else if (is_space(c)) {
            /* Python's strptime turns white space in the format into \s+ */
            while (is_space(fmt[i + 1])) {
                i++;
            }
            out->ops[out->n].op = ' ';
            out->ops[out->n++].lit = 0;
        } else {
            out->ops[out->n].op = 0;
            out->ops[out->n++].lit = c;
        }
    }
    return true;
}

struct tmv {
    int year, month, day, hour, hour12, pm, yday, wday;
    bool has_year, has_month, has_day, has_yday, has_ampm, has_h12;
};

/* Digits s[p .. p+k) as a number. */
static int digits(const char *s, size_t p, size_t k)
{
    int v = 0;
    for (size_t i = 0; i < k; i++) {
        v = v * 10 + (s[p + i] - '0');
    }
    return v;
}

static size_t run_digits(const char *s, size_t n, size_t p, size_t max)
{
    size_t k = 0;
    while (p + k < n && k < max && is_digit(s[p + k])) {
        k++;
    }
    return k;
}

/* Case-insensitive prefix match of a name (full or its first 3 letters when `abbr`). */
static size_t name_at(const char *s, size_t n, size_t p, const char *name, bool abbr)
{
    size_t k = abbr ? 3 : strlen(name);
    if (n - p < k) {
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        if (lower(s[p + i]) != name[i]) {
            return 0;
        }
    }
    return k;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static bool finish_date(const struct tmv *t)
{
    int y = t->has_year ? t->year : 1900; /* Python's default year */
    if (t->has_h12 && (t->hour12 < 1 || t->hour12 > 12)) {
        return false;
    }
    if (t->has_yday) {
        return true; /* Python takes 1..366 whatever the year */
    }
    int m = t->has_month ? t->month : 1, d = t->has_day ? t->day : 1;
    return d <= mdays(y, m);
}

/* Match ops[k..] against s[p..n); backtracks over the variable-width fields. `budget` bounds the work. */
static bool sf_match(const bw_strftime *f, size_t k, const char *s, size_t n, size_t p, struct tmv *t, int *budget)
{
    if (--*budget < 0) {
        return false;
    }
    if (k == f->n) {
        return p == n && finish_date(t);
    }
    char op = f->ops[k].op;
    if (op == 0) {
        return p < n && lower(s[p]) == lower(f->ops[k].lit) && sf_match(f, k + 1, s, n, p + 1, t, budget);
    }
    if (op == ' ') {
        size_t q = p;
        while (q < n && is_space(s[q])) {
            q++;
        }
        if (q == p) {
            return false;
        }
        for (size_t e = q; e > p; e--) {
            if (sf_match(f, k + 1, s, n, e, t, budget)) {
                return true;
            }
        }
        return false;
    }
    struct tmv save = *t;
    int lo = 0, hi = 0;
    size_t minw = 1, maxw = 2;
    switch (op) {
    case 'Y':
        minw = maxw = 4;
        lo = 0;
        hi = 9999;
        break;
    case 'y':
        minw = maxw = 2;
        lo = 0;
        hi = 99;
        break;
    case 'm':
        lo = 1;
        hi = 12;
        break;
    case 'd':
        lo = 1;
        hi = 31;
        break;
    case 'H':
        lo = 0;
        hi = 23;
        break;
    case 'I':
        lo = 1;
        hi = 12;
        break;
    case 'M':
        lo = 0;
        hi = 59;
        break;
    case 'S':
        lo = 0;
        hi = 61;
        break;
    case 'j':
        maxw = 3;
        lo = 1;
        hi = 366;
        break;
    case 'f':
        maxw = 6;
        lo = 0;
        hi = 999999;
        break;
    default: break;
    }
    if (strchr("YymdHIMSjf", op) != NULL) {
        size_t avail = run_digits(s, n, p, maxw);
        if (op == 'd' && avail == 0 && p + 1 < n && s[p] == ' ' && is_digit(s[p + 1])) {
            /* Python's %d also takes " 5" */
            int v = s[p + 1] - '0';
            if (v >= 1) {
                t->day = v;
                t->has_day = true;
                if (sf_match(f, k + 1, s, n, p + 2, t, budget)) {
                    return true;
                }
                *t = save;
            }
            return false;
        }
        for (size_t w = avail; w >= minw && w > 0; w--) {
            int v = digits(s, p, w);
            if (v < lo || v > hi) {
                continue;
            }
            switch (op) {
            case 'Y':
                t->year = v;
                t->has_year = true;
                break;
            case 'y':
                t->year = v < 69 ? 2000 + v : 1900 + v;
                t->has_year = true;
                break;
            case 'm':
                t->month = v;
                t->has_month = true;
                break;
            case 'd':
                t->day = v;
                t->has_day = true;
                break;
            case 'H': t->hour = v; break;
            case 'I':
                t->hour12 = v;
                t->has_h12 = true;
                break;
            case 'j':
                t->yday = v;
                t->has_yday = true;
                break;
            default: break;
            }
            if (sf_match(f, k + 1, s, n, p + w, t, budget)) {
                return true;
            }
            *t = save;
        }
        return false;
    }
    switch (op) {
    case 'b':
    case 'B':
    case 'a':
    case 'A': {
        bool mon = op == 'b' || op == 'B', abbr = op == 'b' || op == 'a';
        size_t cnt = mon ? 12 : 7;
        for (size_t i = 0; i < cnt; i++) {
            const char *nm = mon ? months[i] : wdays[i];
            size_t w = name_at(s, n, p, nm, abbr);
            if (w != 0) {
                if (mon) {
                    t->month = (int)i + 1;
                    t->has_month = true;
                }
                if (sf_match(f, k + 1, s, n, p + w, t, budget)) {
                    return true;
                }
                *t = save;
            }
        }
        return false;
    }
    case 'p': {
        if (n - p >= 2 && (lower(s[p]) == 'a' || lower(s[p]) == 'p') && lower(s[p + 1]) == 'm') {
            t->pm = lower(s[p]) == 'p';
            t->has_ampm = true;
            if (sf_match(f, k + 1, s, n, p + 2, t, budget)) {
                return true;
            }
            *t = save;
        }
        return false;
    }
    case 'z': {
        /* Z, or [+-]HH[:]MM[[:]SS[.ffffff]] */
        if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
            return sf_match(f, k + 1, s, n, p + 1, t, budget);
        }
        if (p >= n || (s[p] != '+' && s[p] != '-')) {
            return false;
        }
        size_t q = p + 1;
        if (run_digits(s, n, q, 2) != 2 || digits(s, q, 2) > 23) {
            return false;
        }
        q += 2;
        bool colon = q < n && s[q] == ':';
        q += colon;
        if (run_digits(s, n, q, 2) != 2 || digits(s, q, 2) > 59) {
            return false;
        }
        q += 2;
        size_t ends[3] = {q, 0, 0};
        size_t ne = 1;
        size_t r = q + (colon && q < n && s[q] == ':');
        if ((!colon || r > q) && run_digits(s, n, r, 2) == 2 && digits(s, r, 2) <= 59) {
            r += 2;
            ends[ne++] = r;
            if (r < n && s[r] == '.') {
                size_t fd = run_digits(s, n, r + 1, 6);
                if (fd > 0) {
                    ends[ne++] = r + 1 + fd;
                }
            }
        }
        while (ne > 0) {
            if (sf_match(f, k + 1, s, n, ends[--ne], t, budget)) {
                return true;
            }
        }
        return false;
    }
    case 'Z': {
        /* utc, gmt, or a zone abbreviation of 3-5 letters (Python accepts the local zone names) */
        size_t w = 0;
        while (p + w < n && w < 5 && ((s[p + w] >= 'A' && s[p + w] <= 'Z') || (s[p + w] >= 'a' && s[p + w] <= 'z'))) {
            w++;
        }
        for (; w >= 3; w--) {
            if (sf_match(f, k + 1, s, n, p + w, t, budget)) {
                return true;
            }
        }
        return false;
    }
    default: return false;
    }
}

bool bw_strftime_match(const bw_strftime *f, const char *s, size_t n)
{
    struct tmv t = {0};
    int budget = 4096;
    return sf_match(f, 0, s, n, 0, &t, &budget);
}

/* ---- dateutil ---------------------------------------------------------------------------------- */

static int month_word(const char *w, size_t k)
{
    for (int i = 0; i < 12; i++) {
        size_t full = strlen(months[i]);
        if ((k == full || k == 3 || (i == 8 && k == 4)) && k <= full && strncmp(months[i], w, k) == 0) {
            return i + 1;
        }
    }
    return 0;
}

static bool weekday_word(const char *w, size_t k)
{
    for (int i = 0; i < 7; i++) {
        size_t full = strlen(wdays[i]);
        if ((k == full || k == 3 || (k == 4 && (i == 1 || i == 3))) && k <= full && strncmp(wdays[i], w, k) == 0) {
            return true;
        }
    }
    return false;
}

static bool skip_word(const char *w, size_t k)
{
    static const char *const words[] = {"at",  "on",  "and", "ad",  "m",   "t",    "of",  "st",  "nd",  "rd",  "th",
                                        "am",  "pm",  "a",   "p",   "utc", "gmt",  "z",   "est", "edt", "cst", "cdt",
                                        "mst", "mdt", "pst", "pdt", "cet", "cest", "bst", "ist", "jst", "eet", "eest"};
    for (size_t i = 0; i < BW_ARRAY_LEN(words); i++) {
        if (strlen(words[i]) == k && memcmp(words[i], w, k) == 0) {
            return true;
        }
    }
    return false;
}

bool bw_dateutil_parseable(const char *s, size_t n)
{
    int64_t ts;
    if (n == 0 || n > 128) {
        return false;
    }
    if (bw_parse_timestamp(s, n, &ts)) {
        return true;
    }
    int nums[8], nnum = 0, month = 0;
    bool have_time = false, any = false;
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (is_space(c) || c == ',' || c == '/' || c == '-' || c == '.' || c == ';' || c == '\'') {
            if ((c == '-' || c == '+') && i + 1 < n && is_digit(s[i + 1]) && have_time) {
                /* a zone offset after the time: -05:00, -0500 */
                size_t k = run_digits(s, n, i + 1, 4);
                i += 1 + k;
                if (k == 2 && i + 2 < n && s[i] == ':' && run_digits(s, n, i + 1, 2) == 2) {
                    i += 3;
                }
                continue;
            }
            i++;
            continue;
        }
        if (c == '+') {
            if (!have_time) {
                return false;
            }
            size_t k = run_digits(s, n, i + 1, 4);
            if (k != 2 && k != 4) {
                return false;
            }
            i += 1 + k;
            if (k == 2 && i + 2 < n && s[i] == ':' && run_digits(s, n, i + 1, 2) == 2) {
                i += 3;
            }
            continue;
        }
        if (is_digit(c)) {
            size_t k = run_digits(s, n, i, 16);
            if (i + k < n && s[i + k] == ':') {
                /* a time: H[H]:MM[:SS[.f]] */
                if (k > 2 || have_time || digits(s, i, k) > 24) {
                    return false;
                }
                size_t q = i + k + 1;
                if (run_digits(s, n, q, 2) != 2 || digits(s, q, 2) > 59) {
                    return false;
                }
                q += 2;
                if (q < n && s[q] == ':') {
                    if (run_digits(s, n, q + 1, 2) != 2 || digits(s, q + 1, 2) > 60) {
                        return false;
                    }
                    q += 3;
                    if (q < n && (s[q] == '.' || s[q] == ',') && q + 1 < n && is_digit(s[q + 1])) {
                        q += 1 + run_digits(s, n, q + 1, 9);
                    }
                }
                have_time = any = true;
                i = q;
                continue;
            }
            if (k == 8 || k == 6) {
                /* YYYYMMDD / YYMMDD */
                int y = k == 8 ? digits(s, i, 4) : 2000 + digits(s, i, 2);
                int m = digits(s, i + k - 4, 2), d = digits(s, i + k - 2, 2);
                if (m < 1 || m > 12 || d < 1 || d > mdays(y, m) || nnum != 0) {
                    return false;
                }
                nums[nnum++] = -1; /* a whole date */
                any = true;
                i += k;
                continue;
            }
            if (k > 4 || nnum == 8) {
                return false;
            }
            nums[nnum++] = k == 4 ? 10000 + digits(s, i, 4) : digits(s, i, k); /* 4 digits: surely a year */
            any = true;
            i += k;
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            char w[16];
            size_t k = 0;
            while (i + k < n && ((s[i + k] >= 'a' && s[i + k] <= 'z') || (s[i + k] >= 'A' && s[i + k] <= 'Z'))) {
                if (k < sizeof w) {
                    w[k] = lower(s[i + k]);
                }
                k++;
            }
            if (k > sizeof w) {
                return false;
            }
            int m = month_word(w, k);
            if (m != 0) {
                if (month != 0) {
                    return false;
                }
                month = m;
                any = true;
            } else if (!weekday_word(w, k) && !skip_word(w, k)) {
                return false; /* dateutil refuses unknown words */
            }
            i += k;
            continue;
        }
        return false;
    }
    if (!any) {
        return false;
    }
    /* assign the numbers: years are 4-digit (or > 31); month/day <= 12/31 */
    if (nnum == 1 && nums[0] == -1) {
        return month == 0;
    }
    int year = -1, rest[3], nrest = 0;
    for (int k = 0; k < nnum; k++) {
        if (nums[k] == -1) {
            return false;
        }
        if (nums[k] >= 10000 || nums[k] > 31) {
            if (year >= 0) {
                return false;
            }
            year = nums[k] >= 10000 ? nums[k] - 10000 : nums[k];
        } else if (nrest < 3) {
            rest[nrest++] = nums[k];
        } else {
            return false;
        }
    }
    int y = year >= 0 ? year : 2000;
    if (month != 0) {
        /* "Jan 5 2024", "5 January 24": one day, maybe a 2-digit year */
        if (nrest > 2 || (nrest == 2 && year >= 0)) {
            return false;
        }
        if (nrest >= 1) {
            int d = rest[0];
            if (nrest == 2 && rest[0] > mdays(2000, month)) {
                d = rest[1];
            }
            return d >= 1 && d <= mdays(y, month);
        }
        return true;
    }
    if (nrest == 0) {
        return year >= 0 || have_time;
    }
    if (nrest == 1) {
        return rest[0] >= 1 && rest[0] <= 31; /* a day of the current month */
    }
    int a = rest[0], b = rest[1];
    if (nrest == 3) {
        if (year >= 0) {
            return false;
        }
        /* 05/01/24: month/day/year (dateutil's default), else day/month/year */
        y = 2000 + rest[2];
    }
    if (a >= 1 && a <= 12 && b >= 1 && b <= mdays(y, a)) {
        return true;
    }
    return b >= 1 && b <= 12 && a >= 1 && a <= mdays(y, b);
}

/* ---- JSON (RFC 8259) ------------------------------------------------------------------------------ */

static size_t json_ws(const char *s, size_t n, size_t p)
{
    while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) {
        p++;
    }
    return p;
}

/* A string starting at the quote s[p]; returns the index past the closing quote or 0. */
static size_t jstring_end(const char *s, size_t n, size_t p)
{
    p++;
    while (p < n) {
        unsigned char c = (unsigned char)s[p];
        if (c == '"') {
            return p + 1;
        }
        if (c < 0x20) {
            return 0;
        }
        if (c == '\\') {
            if (p + 1 >= n) {
                return 0;
            }
            char e = s[p + 1];
            if (e == 'u') {
                if (p + 5 >= n) {
                    return 0;
                }
                for (int k = 2; k < 6; k++) {
                    if (bw_hexval((unsigned char)s[p + k]) < 0) {
                        return 0;
                    }
                }
                p += 6;
                continue;
            }
            if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') {
                return 0;
            }
            p += 2;
            continue;
        }
        p++;
    }
    return 0;
}

static size_t json_number(const char *s, size_t n, size_t p)
{
    if (p < n && s[p] == '-') {
        p++;
    }
    if (p >= n) {
        return 0;
    }
    if (s[p] == '0') {
        p++;
    } else if (s[p] >= '1' && s[p] <= '9') {
        p += run_digits(s, n, p, SIZE_MAX);
    } else {
        return 0;
    }
    if (p < n && s[p] == '.') {
        size_t k = run_digits(s, n, p + 1, SIZE_MAX);
        if (k == 0) {
            return 0;
        }
        p += 1 + k;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-')) {
            p++;
        }
        size_t k = run_digits(s, n, p, SIZE_MAX);
        if (k == 0) {
            return 0;
        }
        p += k;
    }
    return p;
}

bool bw_json_valid(const char *s, size_t n)
{
    /* an explicit stack of container kinds: bit set = object */
    uint8_t stack[BW_XJSON_MAX_DEPTH / 8];
    size_t depth = 0, p = json_ws(s, n, 0);
    enum { VALUE, AFTER } st = VALUE;
    if (!bw_utf8_valid(s, n)) {
        return false;
    }
    for (;;) {
        if (st == VALUE) {
            if (p >= n) {
                return false;
            }
            char c = s[p];
            if (c == '{' || c == '[') {
                if (depth == BW_XJSON_MAX_DEPTH) {
                    return false;
                }
                bool obj = c == '{';
                stack[depth / 8] =
                    (uint8_t)((stack[depth / 8] & ~(1u << (depth % 8))) | ((unsigned)obj << (depth % 8)));
                depth++;
                p = json_ws(s, n, p + 1);
                if (p < n && s[p] == (obj ? '}' : ']')) {
                    depth--;
                    p++;
                    st = AFTER;
                    continue;
                }
                if (obj) {
                    if (p >= n || s[p] != '"' || (p = jstring_end(s, n, p)) == 0) {
                        return false;
                    }
                    p = json_ws(s, n, p);
                    if (p >= n || s[p] != ':') {
                        return false;
                    }
                    p = json_ws(s, n, p + 1);
                }
                continue;
            }
            if (c == '"') {
                p = jstring_end(s, n, p);
            } else if (c == '-' || is_digit(c)) {
                p = json_number(s, n, p);
            } else if (n - p >= 4 && memcmp(s + p, "true", 4) == 0) {
                p += 4;
            } else if (n - p >= 5 && memcmp(s + p, "false", 5) == 0) {
                p += 5;
            } else if (n - p >= 4 && memcmp(s + p, "null", 4) == 0) {
                p += 4;
            } else {
                return false;
            }
            if (p == 0) {
                return false;
            }
            st = AFTER;
            continue;
        }
        p = json_ws(s, n, p);
        if (depth == 0) {
            return p == n;
        }
        if (p >= n) {
            return false;
        }
        bool obj = (stack[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1;
        if (s[p] == ',') {
            p = json_ws(s, n, p + 1);
            if (obj) {
                if (p >= n || s[p] != '"' || (p = jstring_end(s, n, p)) == 0) {
                    return false;
                }
                p = json_ws(s, n, p);
                if (p >= n || s[p] != ':') {
                    return false;
                }
                p = json_ws(s, n, p + 1);
            }
            st = VALUE;
        } else if (s[p] == (obj ? '}' : ']')) {
            depth--;
            p++;
        } else {
            return false;
        }
    }
}

/* ---- security checks --------------------------------------------------------------------------- */

bool bw_formula_injection(const char *s, size_t n, bool allow_numbers)
{
    size_t p = 0;
    while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r' || s[p] == '\n')) {
        p++;
    }
    if (p == n) {
        return false;
    }
    char c = s[p];
    if (c != '=' && c != '+' && c != '-' && c != '@') {
        return false;
    }
    if (allow_numbers && (c == '+' || c == '-')) {
        size_t e = n;
        while (e > p && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) {
            e--;
        }
        double v;
        /* a plain number: digits, a point, an exponent (no inf / nan words) */
        bool digit = false;
        for (size_t i = p + 1; i < e; i++) {
            digit |= is_digit(s[i]);
        }
        if (digit && bw_parse_float64(s + p, e - p, &v)) {
            return false;
        }
    }
    return true;
}

/* Decode one UTF-8 sequence at s[i] (the column was checked); returns its length. */
static size_t utf8_at(const char *s, size_t n, size_t i, uint32_t *cp)
{
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (k == 1 || i + k > n) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t v = c & (0x7F >> k);
    for (size_t j = 1; j < k; j++) {
        v = (v << 6) | ((unsigned char)s[i + j] & 0x3F);
    }
    *cp = v;
    return k;
}

static bool ctl_flagged(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool bw_has_control(const bw_ctlset *a, const char *s, size_t n, uint32_t *cp)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F) {
            i++;
            continue;
        }
        uint32_t v;
        size_t k = utf8_at(s, n, i, &v);
        if (ctl_flagged(v)) {
            bool allowed = false;
            for (size_t j = 0; j < a->nallow; j++) {
                allowed |= a->allow[j] == v;
            }
            if (!allowed) {
                *cp = v;
                return true;
            }
        }
        i += k;
    }
    return false;
}

/* ---- markup ---- */

static const struct {
    const char *name;
    uint32_t cp;
} entities[] = {
    {"lt", '<'},  {"gt", '>'},     {"colon", ':'}, {"sol", '/'},      {"quot", '"'}, {"apos", '\''},
    {"amp", '&'}, {"equals", '='}, {"tab", '\t'},  {"newline", '\n'}, {"lpar", '('}, {"rpar", ')'},
};

/* Decode entities, drop TAB/CR/LF and NUL (browsers ignore them inside URL schemes), ASCII lower-case. */
static bw_status normalise(const char *s, size_t n, bw_buf *out)
{
    bw_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '&' && i + 1 < n) {
            size_t j = i + 1;
            uint32_t v = 0;
            bool okv = false;
            if (s[j] == '#') {
                j++;
                bool hex = j < n && (s[j] == 'x' || s[j] == 'X');
                j += hex;
                size_t d = 0;
                while (j < n && d < 8 && (hex ? bw_hexval((unsigned char)s[j]) >= 0 : is_digit(s[j]))) {
                    v = v * (hex ? 16 : 10) + (uint32_t)(hex ? bw_hexval((unsigned char)s[j]) : s[j] - '0');
                    j++;
                    d++;
                }
                while (j < n && d >= 8 && (hex ? bw_hexval((unsigned char)s[j]) >= 0 : is_digit(s[j]))) {
                    j++; /* absurdly long: keep skipping, value meaningless */
                    v = 0xFFFD;
                }
                okv = d > 0;
            } else {
                for (size_t e = 0; e < BW_ARRAY_LEN(entities); e++) {
                    size_t k = strlen(entities[e].name);
                    if (n - j >= k && strncasecmp(s + j, entities[e].name, k) == 0) {
                        v = entities[e].cp;
                        j += k;
                        okv = true;
                        break;
                    }
                }
            }
            if (okv) {
                if (j < n && s[j] == ';') {
                    j++;
                }
                if (v == '\t' || v == '\n' || v == '\r' || v == 0) {
                    i = j - 1;
                    continue;
                }
                if (v < 0x80) {
                    BW_TRY(bw_buf_addc(out, lower((char)v)));
                } else {
                    BW_TRY(bw_buf_addc(out, '?'));
                }
                i = j - 1;
                continue;
            }
        }
        if (c == '\t' || c == '\n' || c == '\r' || c == '\0') {
            continue;
        }
        BW_TRY(bw_buf_addc(out, lower(c)));
    }
    return BW_OK;
}

static const char *find(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    return k <= n ? memmem(h, n, needle, k) : NULL;
}

static bool tag_at(const char *t, size_t n, size_t p, const char *name)
{
    /* t[p] == '<': optional spaces or '/', then the name, then a non-letter */
    size_t q = p + 1;
    while (q < n && (t[q] == ' ' || t[q] == '/')) {
        q++;
    }
    size_t k = strlen(name);
    if (n - q < k || memcmp(t + q, name, k) != 0) {
        return false;
    }
    q += k;
    return q == n || !((t[q] >= 'a' && t[q] <= 'z') || is_digit(t[q]));
}

static bool scan_markup(const char *t, size_t n)
{
    static const char *const schemes[] = {
        "javascript:", "vbscript:", "livescript:", "data:text/html", "data:image/svg+xml", "data:application/xhtml"};
    static const char *const tags[] = {"script", "iframe", "frame", "frameset", "object", "embed", "applet",
                                       "svg",    "math",   "style", "link",     "meta",   "base"};
    for (size_t i = 0; i < BW_ARRAY_LEN(schemes); i++) {
        if (find(t, n, schemes[i]) != NULL) {
            return true;
        }
    }
    for (const char *p = memchr(t, '<', n); p != NULL; p = memchr(p + 1, '<', n - (size_t)(p + 1 - t))) {
        size_t at = (size_t)(p - t);
        for (size_t i = 0; i < BW_ARRAY_LEN(tags); i++) {
            if (tag_at(t, n, at, tags[i])) {
                return true;
            }
        }
        /* an event handler inside a tag: <x ... on<letters>= */
        size_t q = at + 1;
        if (q >= n || !((t[q] >= 'a' && t[q] <= 'z') || t[q] == '!' || t[q] == '/')) {
            continue;
        }
        while (q < n && t[q] != '>' && t[q] != '<') {
            if ((t[q - 1] == ' ' || t[q - 1] == '/' || t[q - 1] == '"' || t[q - 1] == '\'') && n - q > 3 &&
                t[q] == 'o' && t[q + 1] == 'n') {
                size_t r = q + 2, k = 0;
                while (r < n && t[r] >= 'a' && t[r] <= 'z') {
                    r++;
                    k++;
                }
                while (r < n && t[r] == ' ') {
                    r++;
                }
                if (k >= 3 && r < n && t[r] == '=') {
                    return true;
                }
            }
            q++;
        }
        if (q >= n) {
            break;
        }
    }
    return false;
}

bool bw_has_markup(const char *s, size_t n, bw_buf *scratch)
{
    /* fast path: no '<', ':' or '&', nothing to find */
    bool any = false;
    for (size_t i = 0; i < n && !any; i++) {
        any = s[i] == '<' || s[i] == ':' || s[i] == '&';
    }
    if (!any) {
        return false;
    }
    if (normalise(s, n, scratch) != BW_OK) {
        return true; /* out of memory or too long: flag rather than pass */
    }
    return scratch->len > 0 && scan_markup(scratch->ptr, scratch->len);
}
