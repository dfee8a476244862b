/*
 * validate.c - validators for secrets and personal data. See validate.h.
 * Sources: ISO/IEC 7812 and the schemes' published BIN ranges (cards), the
 * SWIFT IBAN registry (lengths) and ISO 7064 (mod 97-10), the SSA's SSN
 * randomisation rules, HMRC's NINO manual (NIM39110), UIDAI (Verhoeff), the
 * Income Tax Department (PAN holder types), GitHub's and npm's token format
 * announcements (CRC-32 in base62).
 */
#include <math.h>
#include <zlib.h>

#include "scan/validate.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

double bw_entropy(const char *s, size_t n)
{
    size_t count[256] = {0};
    double h = 0;

    for (size_t i = 0; i < n; i++) {
        count[(unsigned char)s[i]]++;
    }
    for (size_t c = 0; c < 256; c++) {
        if (count[c] > 0) {
            double p = (double)count[c] / (double)n;
            h -= p * log2(p);
        }
    }
    return h;
}

/*
 * Copy the digits of s[0..n) into out (at most cap), allowing single
 * separators from `seps` between digits. Returns the digit count, or 0 when
 * anything else appears (or more than cap digits).
 */
static size_t digits_only(const char *s, size_t n, const char *seps, char *out, size_t cap)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i])) {
            if (k == cap) {
                return 0;
            }
            out[k++] = s[i];
        } else if (s[i] != '\0' && strchr(seps, s[i]) != NULL && i > 0 && i + 1 < n && is_digit(s[i - 1]) &&
                   is_digit(s[i + 1])) {
            continue;
        } else {
            return 0;
        }
    }
    return k;
}

/*
 * Copy s[0..n) into out without the single spaces between groups. Returns
 * the length, or SIZE_MAX when a space is leading, trailing or doubled, or
 * the result does not fit in cap.
 */
static size_t compact(const char *s, size_t n, char *out, size_t cap)
{
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' && i > 0 && i + 1 < n && s[i + 1] != ' ' && s[i - 1] != ' ') {
            continue;
        }
        if (s[i] == ' ' || len == cap) {
            return SIZE_MAX;
        }
        out[len++] = s[i];
    }
    return len;
}

bool bw_luhn_ok(const char *d, size_t n)
{
    unsigned sum = 0;

    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (!is_digit(d[n - 1 - i])) {
            return false;
        }
        v = (unsigned)(d[n - 1 - i] - '0');
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9) {
                v -= 9;
            }
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* The first k digits of d as a number. */
static unsigned prefix(const char *d, size_t k)
{
    unsigned v = 0;
    for (size_t i = 0; i < k; i++) {
        v = v * 10 + (unsigned)(d[i] - '0');
    }
    return v;
}

const char *bw_card_scheme(const char *s, size_t n)
{
    char d[20];
    size_t len = digits_only(s, n, " -", d, sizeof(d));
    unsigned p2, p3, p4, p6;

    if (len < 12 || len > 19 || !bw_luhn_ok(d, len)) {
        return NULL;
    }
    p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4), p6 = prefix(d, 6);
    if (d[0] == '4' && (len == 13 || len == 16 || len == 19)) {
        return "visa";
    }
    if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && len == 16) {
        return "mastercard";
    }
    if ((p2 == 34 || p2 == 37) && len == 15) {
        return "amex";
    }
    if ((p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)) && len >= 16) {
        return "discover";
    }
    if (p4 >= 3528 && p4 <= 3589 && len >= 16) {
        return "jcb";
    }
    if (((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39) && len >= 14) {
        return "diners";
    }
    if (p2 == 62 && len >= 16) {
        return "unionpay";
    }
    switch (p4) {
    case 5018:
    case 5020:
    case 5038:
    case 5893:
    case 6304:
    case 6759:
    case 6761:
    case 6762:
    case 6763: return "maestro";
    default: return NULL;
    }
}

/* SWIFT IBAN registry: country code and total length. */
static const struct {
    char cc[3];
    uint8_t len;
} iban_len[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22},
    {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
    {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
    {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

bool bw_iban_ok(const char *s, size_t n)
{
    char v[40];
    size_t len = compact(s, n, v, sizeof(v)), want = 0;
    unsigned rem = 0;

    if (len == SIZE_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(v[i]) && !is_upper(v[i])) {
            return false;
        }
    }
    if (len < 15 || !is_upper(v[0]) || !is_upper(v[1]) || !is_digit(v[2]) || !is_digit(v[3])) {
        return false;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(iban_len); i++) {
        if (iban_len[i].cc[0] == v[0] && iban_len[i].cc[1] == v[1]) {
            want = iban_len[i].len;
            break;
        }
    }
    if (want != len) {
        return false;
    }
    /* move the first four characters to the end; letters count as 10..35 */
    for (size_t k = 0; k < len; k++) {
        char c = v[(k + 4) % len];
        if (is_digit(c)) {
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        } else {
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
        }
    }
    return rem == 1;
}

bool bw_ssn_ok(const char *s, size_t n)
{
    char d[9];
    unsigned area, group, serial;

    if (n == 11) {
        if (!(s[3] == s[6] && (s[3] == '-' || s[3] == ' '))) {
            return false;
        }
        if (digits_only(s, n, s[3] == '-' ? "-" : " ", d, sizeof(d)) != 9) {
            return false;
        }
    } else if (n != 9 || digits_only(s, n, "", d, sizeof(d)) != 9) {
        return false;
    }
    area = prefix(d, 3);
    group = prefix(d + 3, 2);
    serial = prefix(d + 5, 4);
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) {
        return false;
    }
    /* famous numbers printed on sample cards and in documentation */
    if ((area == 78 && group == 5 && serial == 1120) || (area == 219 && group == 9 && serial == 9999) ||
        (area == 123 && group == 45 && serial == 6789)) {
        return false;
    }
    return true;
}

bool bw_nino_ok(const char *s, size_t n)
{
    static const char *const unused[] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};
    char v[9];
    size_t len = compact(s, n, v, sizeof(v));

    if (len != 9 || !is_upper(v[0]) || !is_upper(v[1]) || strchr("DFIQUV", v[0]) != NULL ||
        strchr("DFIOQUV", v[1]) != NULL || v[8] < 'A' || v[8] > 'D') {
        return false;
    }
    for (size_t i = 2; i < 8; i++) {
        if (!is_digit(v[i])) {
            return false;
        }
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(unused); i++) {
        if (v[0] == unused[i][0] && v[1] == unused[i][1]) {
            return false;
        }
    }
    return true;
}

bool bw_aadhaar_ok(const char *s, size_t n)
{
    static const uint8_t d[10][10] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
        {3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
        {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
        {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
    };
    static const uint8_t p[8][10] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
        {8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
        {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
    };
    char v[12];
    unsigned c = 0;

    if (digits_only(s, n, " ", v, sizeof(v)) != 12 || v[0] < '2') {
        return false;
    }
    for (size_t i = 0; i < 12; i++) {
        c = d[c][p[i % 8][v[11 - i] - '0']];
    }
    return c == 0;
}

bool bw_pan_ok(const char *s, size_t n)
{
    if (n != 10) {
        return false;
    }
    for (size_t i = 0; i < 10; i++) {
        bool letter = i < 5 || i == 9;
        if (letter ? !is_upper(s[i]) : !is_digit(s[i])) {
            return false;
        }
    }
    /* the fourth letter is the holder type: company, person, HUF, firm, AOP, trust, ... */
    return strchr("ABCFGHLJPTE", s[3]) != NULL;
}

static bool is_base62(char c)
{
    return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z');
}

bool bw_token_crc_ok(const char *s, size_t n)
{
    static const char *const prefixes[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"};
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const char *body;
    char want[6];
    bool known = false;
    uLong crc;

    if (n != 40) {
        return false;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(prefixes); i++) {
        known = known || memcmp(s, prefixes[i], 4) == 0;
    }
    if (!known) {
        return false;
    }
    body = s + 4;
    for (size_t i = 0; i < 36; i++) {
        if (!is_base62(body[i])) {
            return false;
        }
    }
    crc = crc32(0L, (const Bytef *)body, 30);
    for (size_t i = 6; i > 0; i--) {
        want[i - 1] = b62[crc % 62];
        crc /= 62;
    }
    return memcmp(want, body + 30, 6) == 0;
}
