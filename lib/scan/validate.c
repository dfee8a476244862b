/*
 * validate.c - validators for secrets and personal data. See validate.h.
 * Sources: ISO/IEC 7812 and the schemes' published BIN ranges (cards), the
 * SWIFT IBAN registry (lengths) and ISO 7064 (mod 97-10), the SSA's SSN
 * randomisation rules, HMRC's NINO manual (NIM39110), UIDAI (Verhoeff), the
 * Income Tax Department (PAN holder types), GitHub's and npm's token format
 * announcements (CRC-32 in base62).
 */
#include <jansson.h>
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

/* ---- JWT (RFC 7515 compact JWS, RFC 7519) ---- */

static bool is_b64url(char c)
{
    return is_base62(c) || c == '-' || c == '_';
}

/* Decode one unpadded base64url part of a JWT; false unless it is canonical base64url. */
static bool jwt_part(const char *s, size_t n, bw_buf *out)
{
    size_t bad;

    for (size_t i = 0; i < n; i++) {
        if (!is_b64url(s[i])) {
            return false;
        }
    }
    bw_buf_reset(out);
    return bw_base64_decode(s, n, out, &bad) == BW_OK;
}

/* The decoded part as a JSON object (duplicate keys rejected), or NULL. */
static json_t *jwt_object(const bw_buf *b)
{
    json_t *v;

    if (b->len == 0) {
        return NULL;
    }
    v = json_loadb(b->ptr, b->len, JSON_REJECT_DUPLICATES, NULL);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/*
 * The signature length the JWA algorithm produces (RFC 7518, RFC 8037):
 * HMAC its hash size, ECDSA twice the curve size, EdDSA 64 (Ed25519) or 114
 * (Ed448), RSA the modulus size (1024 to 16384 bits). Other algorithms:
 * any non-empty signature.
 */
static bool jwt_sig_len(const char *alg, size_t len)
{
    static const struct {
        const char *alg;
        size_t len;
    } fixed[] = {
        {"HS256", 32}, {"HS384", 48}, {"HS512", 64}, {"ES256", 64}, {"ES256K", 64}, {"ES384", 96}, {"ES512", 132},
    };

    for (size_t i = 0; i < BW_ARRAY_LEN(fixed); i++) {
        if (strcmp(alg, fixed[i].alg) == 0) {
            return len == fixed[i].len;
        }
    }
    if (strcmp(alg, "EdDSA") == 0 || strcmp(alg, "Ed25519") == 0 || strcmp(alg, "Ed448") == 0) {
        return len == 64 || len == 114;
    }
    if (strcmp(alg, "RS256") == 0 || strcmp(alg, "RS384") == 0 || strcmp(alg, "RS512") == 0 ||
        strcmp(alg, "PS256") == 0 || strcmp(alg, "PS384") == 0 || strcmp(alg, "PS512") == 0) {
        return len >= 128 && len <= 2048;
    }
    return len > 0;
}

bool bw_jwt_ok(const char *s, size_t n)
{
    const char *dot1, *dot2, *alg_s;
    size_t hn, pn, sn;
    json_t *hdr = NULL, *pay = NULL, *alg, *typ;
    bw_buf b;
    bool ok = false, none;

    if (s == NULL || n < 5 || n > BW_JWT_MAX_BYTES) {
        return false;
    }
    dot1 = memchr(s, '.', n);
    if (dot1 == NULL) {
        return false;
    }
    dot2 = memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - s));
    if (dot2 == NULL || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - s)) != NULL) {
        return false; /* two dots exactly: a JWE has four */
    }
    hn = (size_t)(dot1 - s);
    pn = (size_t)(dot2 - dot1 - 1);
    sn = n - (size_t)(dot2 + 1 - s);
    if (hn == 0 || pn == 0) {
        return false;
    }
    bw_buf_init(&b, BW_JWT_MAX_BYTES);
    if (!jwt_part(s, hn, &b)) {
        goto out;
    }
    hdr = jwt_object(&b);
    if (hdr == NULL) {
        goto out;
    }
    alg = json_object_get(hdr, "alg");
    typ = json_object_get(hdr, "typ");
    if (!json_is_string(alg) || json_string_length(alg) == 0 || (typ != NULL && !json_is_string(typ))) {
        goto out;
    }
    alg_s = json_string_value(alg);
    none = strcmp(alg_s, "none") == 0;
    if (!jwt_part(dot1 + 1, pn, &b)) {
        goto out;
    }
    pay = jwt_object(&b);
    if (pay == NULL) {
        goto out;
    }
    /* an unsecured JWT (alg "none") has an empty signature; every other alg a non-empty one */
    if (none) {
        ok = sn == 0;
    } else {
        ok = sn > 0 && jwt_part(dot2 + 1, sn, &b) && jwt_sig_len(alg_s, b.len);
    }
out:
    json_decref(hdr);
    json_decref(pay);
    bw_buf_release(&b);
    return ok;
}

/* ---- PEM and OpenPGP armored private keys (RFC 7468, RFC 1421, RFC 4880) ---- */

enum pem_kind { PEM_DER, PEM_OPENSSH, PEM_PGP };

static const struct {
    const char *label;
    enum pem_kind kind;
} pem_labels[] = {
    {"PRIVATE KEY", PEM_DER},           {"RSA PRIVATE KEY", PEM_DER},       {"EC PRIVATE KEY", PEM_DER},
    {"DSA PRIVATE KEY", PEM_DER},       {"ENCRYPTED PRIVATE KEY", PEM_DER}, {"OPENSSH PRIVATE KEY", PEM_OPENSSH},
    {"PGP PRIVATE KEY BLOCK", PEM_PGP},
};

/* The length of a line break at s[i..n): a newline, CR LF, CR, or a JSON-escaped "\n", "\r\n" or "\r". */
static size_t pem_eol(const char *s, size_t i, size_t n)
{
    if (s[i] == '\n') {
        return 1;
    }
    if (s[i] == '\r') {
        return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
    }
    if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == 'r')) {
        if (s[i + 1] == 'r' && i + 3 < n && s[i + 2] == '\\' && s[i + 3] == 'n') {
            return 4;
        }
        return 2;
    }
    return 0;
}

/* Parse "-----BEGIN <label>-----" or "-----END <label>-----" at s[0..n): the label, or NULL. */
static const char *pem_boundary(const char *s, size_t n, const char *word, size_t *len)
{
    size_t w = strlen(word);

    if (n < 10 + w + 1 || memcmp(s, "-----", 5) != 0 || memcmp(s + 5, word, w) != 0 || s[5 + w] != ' ' ||
        memcmp(s + n - 5, "-----", 5) != 0) {
        return NULL;
    }
    *len = n - 10 - w - 1;
    return s + 5 + w + 1;
}

/* A DER SEQUENCE spanning d[0..n) exactly (definite, minimal length). */
static bool der_sequence(const uint8_t *d, size_t n)
{
    size_t len = 0, hdr = 2;

    if (n < 2 || d[0] != 0x30) {
        return false;
    }
    if (d[1] < 0x80) {
        len = d[1];
    } else {
        size_t k = d[1] & 0x7f;
        if (k == 0 || k > 4 || n < 2 + k || d[2] == 0) {
            return false;
        }
        for (size_t i = 0; i < k; i++) {
            len = len << 8 | d[2 + i];
        }
        hdr += k;
        if (len < 0x80) {
            return false;
        }
    }
    return len == n - hdr;
}

/*
 * OpenPGP packets (RFC 4880 section 4.2) tiling d[0..n) exactly, the first a
 * secret-key packet (tag 5) of version 3 to 6. Partial and indeterminate
 * lengths never occur in a transferable secret key.
 */
static bool pgp_secret_key(const uint8_t *d, size_t n)
{
    size_t at = 0;

    while (at < n) {
        size_t hdr, len = 0, left = n - at;
        unsigned tag;

        if ((d[at] & 0x80) == 0 || left < 2) {
            return false;
        }
        if (d[at] & 0x40) { /* new format: tag in the low six bits, then 1, 2 or 5 length octets */
            uint8_t b = d[at + 1];
            tag = d[at] & 0x3f;
            if (b < 192) {
                hdr = 2;
                len = b;
            } else if (b < 224) {
                if (left < 3) {
                    return false;
                }
                hdr = 3;
                len = ((size_t)(b - 192) << 8) + d[at + 2] + 192;
            } else if (b == 255) {
                if (left < 6) {
                    return false;
                }
                hdr = 6;
                for (size_t i = 0; i < 4; i++) {
                    len = len << 8 | d[at + 2 + i];
                }
            } else {
                return false;
            }
        } else { /* old format: tag in bits 5-2, then 1, 2 or 4 length octets */
            static const size_t octets[4] = {1, 2, 4, 0};
            size_t k = octets[d[at] & 3];
            tag = (d[at] >> 2) & 0x0f;
            if (k == 0 || left < 1 + k) {
                return false;
            }
            hdr = 1 + k;
            for (size_t i = 0; i < k; i++) {
                len = len << 8 | d[at + 1 + i];
            }
        }
        if (len > left - hdr) {
            return false;
        }
        if (at == 0 && (tag != 5 || len == 0 || d[hdr] < 3 || d[hdr] > 6)) {
            return false;
        }
        at += hdr + len;
    }
    return true;
}

/* A u32be-length string at d[*at..n); moves past it. */
static bool ssh_string(const uint8_t *d, size_t n, size_t *at, size_t *len)
{
    if (n - *at < 4) {
        return false;
    }
    *len = (size_t)d[*at] << 24 | (size_t)d[*at + 1] << 16 | (size_t)d[*at + 2] << 8 | d[*at + 3];
    *at += 4;
    if (*len > n - *at) {
        return false;
    }
    *at += *len;
    return true;
}

/*
 * OpenSSH's key format (PROTOCOL.key): "openssh-key-v1\0", then the cipher,
 * KDF and KDF options strings, a u32 key count (1 in practice), that many
 * public keys and the private section, which ends the data exactly.
 */
static bool openssh_key(const uint8_t *d, size_t n)
{
    size_t at = 15, len, keys;

    if (n < 64 || memcmp(d, "openssh-key-v1", 15) != 0) {
        return false;
    }
    for (int i = 0; i < 3; i++) {
        if (!ssh_string(d, n, &at, &len)) {
            return false;
        }
    }
    if (n - at < 4) {
        return false;
    }
    keys = (size_t)d[at] << 24 | (size_t)d[at + 1] << 16 | (size_t)d[at + 2] << 8 | d[at + 3];
    at += 4;
    if (keys == 0 || keys > 64) {
        return false;
    }
    for (size_t i = 0; i < keys; i++) {
        if (!ssh_string(d, n, &at, &len) || len == 0) {
            return false;
        }
    }
    return ssh_string(d, n, &at, &len) && len > 0 && at == n;
}

bool bw_pem_private_ok(const char *s, size_t n)
{
    const char *label = NULL, *end_label;
    size_t llen = 0, elen = 0, i, first_eol, last_bol;
    enum pem_kind kind = PEM_DER;
    bool found = false, in_body = false, encrypted = false, crc = false, ok = false;
    unsigned char seen[256] = {0};
    size_t distinct = 0, bad;
    bw_buf body, der;

    if (s == NULL || n > BW_PEM_MAX_BYTES) {
        return false;
    }
    /* trim white space and escaped line breaks at both ends */
    for (;;) {
        if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r')) {
            s++, n--;
        } else if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) {
            n--;
        } else if (n >= 2 && s[n - 2] == '\\' && (s[n - 1] == 'n' || s[n - 1] == 'r')) {
            n -= 2;
        } else {
            break;
        }
    }
    /* the BEGIN line ends at the first line break, the END line starts after the last */
    for (first_eol = 0; first_eol < n && pem_eol(s, first_eol, n) == 0; first_eol++) {
    }
    if (first_eol == n) {
        return false;
    }
    last_bol = n;
    while (last_bol > first_eol && s[last_bol - 1] != '\n' && s[last_bol - 1] != '\r' &&
           !(last_bol >= 2 && s[last_bol - 2] == '\\' && (s[last_bol - 1] == 'n' || s[last_bol - 1] == 'r'))) {
        last_bol--;
    }
    if (last_bol <= first_eol) {
        return false;
    }
    label = pem_boundary(s, first_eol, "BEGIN", &llen);
    while (last_bol < n && (s[last_bol] == ' ' || s[last_bol] == '\t')) {
        last_bol++; /* an indented END line */
    }
    end_label = pem_boundary(s + last_bol, n - last_bol, "END", &elen);
    if (label == NULL || end_label == NULL || llen != elen || memcmp(label, end_label, llen) != 0) {
        return false;
    }
    for (size_t k = 0; k < BW_ARRAY_LEN(pem_labels); k++) {
        if (strlen(pem_labels[k].label) == llen && memcmp(pem_labels[k].label, label, llen) == 0) {
            kind = pem_labels[k].kind;
            found = true;
        }
    }
    if (!found) {
        return false;
    }

    bw_buf_init(&body, BW_PEM_MAX_BYTES);
    bw_buf_init(&der, BW_PEM_MAX_BYTES);
    /* the lines between: RFC 1421 / armor headers first, then base64, then (PGP) a "=XXXX" CRC line */
    i = first_eol;
    while (i < last_bol) {
        size_t b, e, le;

        i += pem_eol(s, i, last_bol);
        for (b = i; b < last_bol && (s[b] == ' ' || s[b] == '\t'); b++) {
        }
        for (e = b; e < last_bol && pem_eol(s, e, last_bol) == 0; e++) {
        }
        i = e;
        le = e;
        while (le > b && (s[le - 1] == ' ' || s[le - 1] == '\t')) {
            le--;
        }
        if (le == b) {
            continue; /* blank: after headers, or where the JSON had an empty line */
        }
        if (crc) {
            goto out; /* nothing may follow the checksum */
        }
        if (memchr(s + b, ':', le - b) != NULL) {
            if (in_body) {
                goto out;
            }
            if (le - b >= 22 && memcmp(s + b, "Proc-Type: 4,ENCRYPTED", 22) == 0) {
                encrypted = true;
            }
            continue;
        }
        if (kind == PEM_PGP && s[b] == '=' && le - b == 5 && in_body) {
            crc = true; /* the armor's CRC-24: four base64 characters, accepted unchecked */
            for (size_t k = b + 1; k < le; k++) {
                if (!is_b64url(s[k]) && s[k] != '+' && s[k] != '/') {
                    goto out;
                }
            }
            continue;
        }
        for (size_t k = b; k < le; k++) {
            char c = s[k];
            if (!is_base62(c) && c != '+' && c != '/' && c != '=') {
                goto out; /* "...", "<your key here>", spaces inside a line */
            }
            if (!seen[(unsigned char)c]) {
                seen[(unsigned char)c] = 1;
                distinct++;
            }
        }
        in_body = true;
        (void)bw_buf_add(&body, s + b, le - b);
    }
    if (!in_body || body.err != BW_OK || distinct < 16) {
        goto out; /* "xxxx", "AAAA...": real keys use most of the alphabet */
    }
    if (bw_base64_decode(body.ptr, body.len, &der, &bad) != BW_OK) {
        goto out;
    }
    switch (kind) {
    case PEM_OPENSSH: ok = openssh_key((const uint8_t *)der.ptr, der.len); break;
    case PEM_PGP: ok = der.len >= 64 && pgp_secret_key((const uint8_t *)der.ptr, der.len); break;
    case PEM_DER:
        /* an Ed25519 or X25519 PKCS#8 key is 48 bytes; RFC 1421 encryption leaves ciphertext, whole blocks */
        ok = der.len >= 48 && (encrypted ? der.len % 8 == 0 : der_sequence((const uint8_t *)der.ptr, der.len));
        break;
    }
out:
    bw_buf_release(&body);
    bw_buf_release(&der);
    return ok;
}
