/*
 * sgate.c - the gates a candidate secret or personal datum must pass:
 * placeholders and documentation values that are never secrets, and the
 * per-rule validators (bw_sval). See sengine.h.
 */
#include <ctype.h>
#include <time.h>

#include "scan/sengine.h"
#include "scan/validate.h"

/* Does h[0..n) hold w[0..m)? For the short values here a first-byte scan beats memmem()'s set-up. */
static inline bool has(const char *h, size_t n, const char *w, size_t m)
{
    for (size_t i = 0; m > 0 && i + m <= n; i++) {
        if (h[i] == w[0] && memcmp(h + i, w, m) == 0) {
            return true;
        }
    }
    return m == 0;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Does s[0..n) hold the lower-case literal lit, in any case? low: s in ASCII lower case, or NULL. */
static bool icontains(const char *s, const char *low, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    if (low != NULL) {
        return has(low, n, lit, m);
    }
    for (size_t i = 0; i + m <= n; i++) {
        if (strncasecmp(s + i, lit, m) == 0) {
            return true;
        }
    }
    return false;
}

static bool contains(const char *s, size_t n, const char *lit)
{
    return memmem(s, n, lit, strlen(lit)) != NULL;
}

/* The longest run of character c in s. */
static size_t run_of(const char *s, size_t n, char c)
{
    size_t best = 0, cur = 0;

    for (size_t i = 0; i < n; i++) {
        cur = s[i] == c ? cur + 1 : 0;
        best = BW_MAX(best, cur);
    }
    return best;
}

bool bw_secret_is_placeholder(const char *s, size_t n)
{
    static const char *const words[] = {
        "example", "changeme", "change_me", "change-me", "replace_me", "replace-me", "replaceme", "placeholder",
        "your_",   "your-",    "yourkey",   "yourtoken", "yoursecret", "dummy",      "redacted",  "insert_",
        "insert-", "<",        "${",        "{{",        "}}",         "#{",         "%(",        "{0}",
        "lorem",   "fixme",    "todo",      "foobar",    "key-here",   "key_here",   "-here",     "_here",
    };
    static const char *const exact[] = {
        "password", "passwd", "secret",  "token",     "changeme",    "null",   "none",   "nil",    "undefined", "true",
        "false",    "empty",  "default", "admin",     "root",        "string", "value",  "apikey", "api_key",   "test",
        "xxx",      "pass",   "test123", "secret123", "password123", "s3cr3t", "abc123", "123456", "qwerty",
    };

    char buf[256];
    const char *low = NULL; /* a lower-case copy, so the word lookups are memmem() calls */

    if (n == 0) {
        return true;
    }
    if (n <= sizeof(buf)) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        low = buf;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(exact); i++) {
        if (ieq(s, n, exact[i])) {
            return true;
        }
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(words); i++) {
        if (icontains(s, low, n, words[i])) {
            return true;
        }
    }
    if (s[n - 1] == '>' || contains(s, n, "EXAMPLE")) {
        return true;
    }
    /* a variable: $VAR, $(cmd), %VAR%, ENV[...], os.environ / process.env / getenv */
    if ((s[0] == '$' && n > 1 && (isalpha((unsigned char)s[1]) || s[1] == '_' || s[1] == '(')) ||
        (s[0] == '%' && s[n - 1] == '%') || icontains(s, low, n, "environ") || icontains(s, low, n, "process.env") ||
        icontains(s, low, n, "getenv") || contains(s, n, "ENV[")) {
        return true;
    }
    if (run_of(s, n, 'x') >= 4 || run_of(s, n, 'X') >= 4 || run_of(s, n, '*') >= 3 || run_of(s, n, '.') >= 3 ||
        run_of(s, n, '#') >= 4 || run_of(s, n, '0') >= 8 || run_of(s, n, '-') >= 6 || run_of(s, n, '_') >= 6) {
        return true;
    }
    /* one character repeated throughout */
    if (n >= 4 && run_of(s, n, s[0]) == n) {
        return true;
    }
    return false;
}

/* ---- validators -------------------------------------------------------------------------------- */

/* Does the domain d[0..n) end with (or, exactly, equal) the literal? */
#define DOM_ENDS(d, n, lit) ((n) >= sizeof(lit) - 1 && memcmp((d) + (n) - (sizeof(lit) - 1), lit, sizeof(lit) - 1) == 0)
#define DOM_IS(d, n, lit) ((n) == sizeof(lit) - 1 && memcmp((d), lit, sizeof(lit) - 1) == 0)

static bool email_ok(const char *s, size_t n)
{
    static const char file_ext[][5] = {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "js",   "css",
                                       "ts",  "map", "json", "txt", "tif", "tiff", "pdf", "min", "html", "md"};
    const char *at = memchr(s, '@', n);
    size_t dn, tn, dot;
    char dom[256];

    if (at == NULL || at == s) {
        return false;
    }
    dn = n - (size_t)(at + 1 - s);
    if (dn == 0 || dn >= sizeof(dom)) {
        return false;
    }
    for (size_t i = 0; i < dn; i++) {
        dom[i] = (char)tolower((unsigned char)at[1 + i]);
    }
    if (DOM_IS(dom, dn, "localhost") || DOM_IS(dom, dn, "example.com") || DOM_IS(dom, dn, "example.net") ||
        DOM_IS(dom, dn, "example.org") || DOM_IS(dom, dn, "example")) {
        return false;
    }
    if (DOM_ENDS(dom, dn, ".example") || DOM_ENDS(dom, dn, ".test") || DOM_ENDS(dom, dn, ".invalid") ||
        DOM_ENDS(dom, dn, ".localhost") || DOM_ENDS(dom, dn, ".local") || DOM_ENDS(dom, dn, ".internal")) {
        return false; /* reserved names */
    }
    /* subdomains of the example domains: x@mail.example.com */
    if (DOM_ENDS(dom, dn, ".example.com") || DOM_ENDS(dom, dn, ".example.org") || DOM_ENDS(dom, dn, ".example.net")) {
        return false;
    }
    /* service identities, not people */
    if ((dn > 20 && DOM_ENDS(dom, dn, ".gserviceaccount.com")) || DOM_ENDS(dom, dn, "users.noreply.github.com")) {
        return false;
    }
    for (dot = dn; dot > 0 && dom[dot - 1] != '.'; dot--) {
    }
    if (dot == 0) {
        return false;
    }
    tn = dn - dot;
    if (tn < 2) {
        return false;
    }
    for (size_t i = dot; i < dn; i++) {
        if (!isalpha((unsigned char)dom[i])) {
            return false;
        }
    }
    for (size_t i = 0; tn <= 4 && i < BW_ARRAY_LEN(file_ext); i++) {
        if (strlen(file_ext[i]) == tn && memcmp(dom + dot, file_ext[i], tn) == 0) {
            return false; /* icon@2x.png, module@1.2.3.js */
        }
    }
    return true;
}

static bool phone_ok(const char *s, size_t n)
{
    size_t digits = 0;
    int seen[10] = {0}, distinct = 0;

    for (size_t i = 0; i < n; i++) {
        if (isdigit((unsigned char)s[i])) {
            digits++;
            if (!seen[s[i] - '0']++) {
                distinct++;
            }
        }
    }
    return digits >= 7 && digits <= 15 && distinct >= 3;
}

/* Dotted quad: each part 0-255 without leading zeros. */
static bool parse_ipv4(const char *s, size_t n, unsigned o[4])
{
    size_t i = 0;

    for (int k = 0; k < 4; k++) {
        unsigned v = 0, d = 0;
        size_t st = i;
        while (i < n && isdigit((unsigned char)s[i]) && d < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
            d++;
        }
        if (d == 0 || d > 3 || v > 255 || (d > 1 && s[st] == '0')) {
            return false;
        }
        o[k] = v;
        if (k < 3) {
            if (i >= n || s[i] != '.') {
                return false;
            }
            i++;
        }
    }
    return i == n;
}

static bool ipv4_ok(const char *p, size_t ss, size_t se)
{
    unsigned o[4];
    size_t back = ss > 24 ? ss - 24 : 0;

    if (!parse_ipv4(p + ss, se - ss, o)) {
        return false;
    }
    if (o[0] == 0 || o[0] == 10 || o[0] == 127 || o[0] >= 224 || (o[0] == 169 && o[1] == 254) ||
        (o[0] == 172 && o[1] >= 16 && o[1] <= 31) || (o[0] == 192 && o[1] == 168) ||
        (o[0] == 100 && o[1] >= 64 && o[1] <= 127) || (o[0] == 192 && o[1] == 0 && o[2] == 2) ||
        (o[0] == 198 && o[1] == 51 && o[2] == 100) || (o[0] == 203 && o[1] == 0 && o[2] == 113) ||
        (o[0] == 198 && (o[1] == 18 || o[1] == 19)) || (o[0] == 192 && o[1] == 0 && o[2] == 0)) {
        return false; /* private, loopback, link-local, shared, documentation, benchmarking, multicast */
    }
    /* version numbers: "version: 1.2.3.4", "v1.2.3.4", "Chrome/122.0.0.0", build ids, OIDs */
    if (ss > 0 && (p[ss - 1] == 'v' || p[ss - 1] == 'V' || p[ss - 1] == '.' || p[ss - 1] == '/')) {
        return false;
    }
    {
        /* one lower-case copy of the 24 bytes before it, then plain searches */
        char low[32];
        size_t k = ss - back;
        for (size_t i = 0; i < k; i++) {
            low[i] = (char)tolower((unsigned char)p[back + i]);
        }
        /* "version", "ver " (a word: not "server "), "driver", "release", "oid", "build", "firmware": one pass */
        for (size_t i = 0; i < k; i++) {
            const char *w;
            switch (low[i]) {
            case 'v':
                if ((i + 7 <= k && memcmp(low + i, "version", 7) == 0) ||
                    (i + 4 <= k && memcmp(low + i, "ver ", 4) == 0 &&
                     (i == 0 || !isalpha((unsigned char)low[i - 1])))) {
                    return false;
                }
                continue;
            case 'd': w = "driver"; break;
            case 'r': w = "release"; break;
            case 'o': w = "oid"; break;
            case 'b': w = "build"; break;
            case 'f': w = "firmware"; break;
            default: continue;
            }
            if (i + strlen(w) <= k && memcmp(low + i, w, strlen(w)) == 0) {
                return false;
            }
        }
    }
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool ymd_ok(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    time_t now = time(NULL);
    struct tm tm;
    int year = 2100;

    if (gmtime_r(&now, &tm) != NULL) {
        year = tm.tm_year + 1900;
    }
    if (y < 1900 || y > year || m < 1 || m > 12 || d < 1) {
        return false;
    }
    return d <= mdays[m - 1] + (m == 2 && leap(y));
}

/* Read up to `max` digits as a number; *len gets how many. */
static int num(const char *s, size_t n, size_t *i, int max)
{
    int v = 0, d = 0;

    while (*i < n && d < max && isdigit((unsigned char)s[*i])) {
        v = v * 10 + (s[(*i)++] - '0');
        d++;
    }
    return d == 0 ? -1 : v;
}

/* YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY, MM/DD/YYYY, DD-MM-YYYY, DD.MM.YYYY: some valid reading. */
static bool date_ok(const char *s, size_t n)
{
    size_t i = 0, i1;
    int a, b, c;
    char sep;

    a = num(s, n, &i, 4);
    i1 = i;
    if (a < 0 || i >= n || (s[i] != '-' && s[i] != '/' && s[i] != '.')) {
        return false;
    }
    sep = s[i++];
    b = num(s, n, &i, 2);
    if (b < 0 || i >= n || s[i] != sep) {
        return false;
    }
    i++;
    c = num(s, n, &i, 4);
    if (c < 0 || i != n) {
        return false;
    }
    if (i1 == 4) {
        return ymd_ok(a, b, c);
    }
    if (n - (size_t)(i - 4) < 4 || c < 1000) {
        return false;
    }
    return ymd_ok(c, b, a) || ymd_ok(c, a, b);
}

static bool default_password(const char *s, size_t n)
{
    static const char *const common[] = {"password", "passwd",   "pass",    "pwd",   "secret",   "changeme", "root",
                                         "admin",    "postgres", "mysql",   "redis", "guest",    "user",     "username",
                                         "test",     "example",  "xxx",     "sa",    "oracle",   "mongo",    "rabbitmq",
                                         "default",  "demo",     "letmein", "1234",  "12345678", "foo",      "bar"};

    for (size_t i = 0; i < BW_ARRAY_LEN(common); i++) {
        if (ieq(s, n, common[i])) {
            return true;
        }
    }
    return false;
}

static bool password_ok(const char *s, size_t n)
{
    if (n < 3 || bw_secret_is_placeholder(s, n) || default_password(s, n)) {
        return false;
    }
    if (s[0] == '$' || s[0] == '%' || s[0] == '{' || s[0] == '[' || s[0] == ':' || s[0] == '@') {
        return false;
    }
    return true;
}

static bool is_uuid(const char *s, size_t n)
{
    if (n != 36) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : bw_hexval((unsigned char)s[i]) < 0) {
            return false;
        }
    }
    return true;
}

static bool generic_ok(const char *s, size_t n)
{
    int lower = 0, upper = 0, digit = 0, other = 0;
    bool ident = true;

    if (n < 8 || bw_secret_is_placeholder(s, n) || default_password(s, n) || is_uuid(s, n)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (islower(c)) {
            lower = 1;
        } else if (isupper(c)) {
            upper = 1;
        } else if (isdigit(c)) {
            digit = 1;
        } else {
            other = 1;
            if (c != '_') {
                ident = false;
            }
        }
        if (c <= ' ' || c == '(' || c == ')' || c == '\\' || c >= 0x7f) {
            return false; /* code, escapes or text, not a credential */
        }
    }
    if (digit && !lower && !upper && !other) {
        return false; /* a number: ids, ports, timestamps */
    }
    if (ident && !digit) {
        return false; /* an identifier: getPasswordFromVault, API_TOKEN_NAME */
    }
    if (lower + upper + digit + other < 2 || !(digit || (lower && upper))) {
        return false; /* words joined by symbols (readmission-db) are names, not credentials */
    }
    if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 || s[0] == '/' || strncmp(s, "./", 2) == 0 ||
        strncmp(s, "~/", 2) == 0) {
        return false; /* URLs have rules of their own; paths name where a secret is, not the secret */
    }
    /* a dotted path of identifiers is a reference: var.datadog_api_key, import.meta.env.KEY */
    {
        bool dotted = false, idpath = isalpha((unsigned char)s[0]) || s[0] == '_';
        for (size_t i = 0; i < n && idpath; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '.') {
                dotted = true;
                idpath = i + 1 < n && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_');
            } else if (!isalnum(c) && c != '_') {
                idpath = false;
            }
        }
        if (dotted && idpath) {
            return false;
        }
    }
    /* prefixes of checksummed tokens: their own rules decide, a failed checksum is no token */
    {
        static const char *const owned[] = {"ghp_", "gho_",     "ghu_",     "ghs_",     "ghr_",
                                            "npm_", "sk_test_", "pk_test_", "pk_live_", "rk_test_"};
        for (size_t i = 0; i < BW_ARRAY_LEN(owned); i++) {
            if (n >= strlen(owned[i]) && strncmp(s, owned[i], strlen(owned[i])) == 0) {
                return false;
            }
        }
    }
    /* references to other settings: settings.SECRET, config.get, self.token, this.apiKey */
    if (strncmp(s, "self.", 5) == 0 || strncmp(s, "this.", 5) == 0 || strncmp(s, "settings.", 9) == 0 ||
        strncmp(s, "config.", 7) == 0 || strncmp(s, "secrets.", 8) == 0 || strncmp(s, "vars.", 5) == 0 ||
        strncmp(s, "env.", 4) == 0 || strncmp(s, "os.", 3) == 0) {
        return false;
    }
    return true;
}

static bool basic_b64_ok(const char *s, size_t n)
{
    bw_buf b = BW_BUF_INIT(4096);
    size_t bad;
    bool ok = false;

    if (n >= 8 && bw_base64_decode(s, n, &b, &bad) == BW_OK && b.len >= 3) {
        const char *d = (const char *)b.ptr, *colon = memchr(d, ':', b.len);
        bool printable = true;
        for (size_t i = 0; i < b.len; i++) {
            printable = printable && d[i] >= 0x20 && d[i] < 0x7f;
        }
        if (printable && colon != NULL && colon > d) {
            size_t pl = b.len - (size_t)(colon + 1 - d);
            ok = password_ok(colon + 1, pl);
        }
    }
    bw_wipe(b.ptr, b.cap);
    bw_buf_release(&b);
    return ok;
}

bool bw_sval_check(int v, const char *p, size_t n, size_t ms, size_t me, size_t ss, size_t se, const char **what)
{
    const char *s = p + ss;
    size_t len = se - ss;

    (void)n;
    (void)ms;
    (void)me;
    *what = NULL;
    switch ((bw_sval)v) {
    case BW_SV_NONE: return true;
    case BW_SV_CARD: *what = bw_card_scheme(s, len); return *what != NULL;
    case BW_SV_IBAN: return bw_iban_ok(s, len);
    case BW_SV_SSN: return bw_ssn_ok(s, len);
    case BW_SV_NINO: return bw_nino_ok(s, len);
    case BW_SV_AADHAAR: return bw_aadhaar_ok(s, len);
    case BW_SV_PAN: return bw_pan_ok(s, len);
    case BW_SV_TOKEN_CRC: return bw_token_crc_ok(s, len);
    case BW_SV_JWT: return bw_jwt_ok(s, len);
    case BW_SV_PEM: return bw_pem_private_ok(s, len);
    case BW_SV_EMAIL: return email_ok(s, len);
    case BW_SV_PHONE: return phone_ok(s, len);
    case BW_SV_IPV4: return ipv4_ok(p, ss, se);
    case BW_SV_PASSWORD: return password_ok(s, len);
    case BW_SV_GENERIC: return generic_ok(s, len);
    case BW_SV_DATE: return date_ok(s, len);
    case BW_SV_BASIC_B64: return basic_b64_ok(s, len);
    case BW_SV__COUNT: break;
    }
    return false;
}
