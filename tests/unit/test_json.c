/*
 * test_json.c - the streaming JSON writer: exact output for small cases,
 * escaping, U+FFFD for ill-formed UTF-8, doubles that read back equal,
 * nesting misuse, and (through jansson, an independent parser) that hostile
 * bytes always come out as valid JSON.
 */
#include <float.h>
#include <jansson.h>
#include <math.h>

#include "tap.h"
#include "util/internal.h"

#define FFFD "\xef\xbf\xbd"

/* Escape s[0..n) as a JSON string body and compare with want. */
static void check_escape(const char *s, size_t n, const char *want, const char *what)
{
    bw_buf b = BW_BUF_INIT(1 << 20);

    is_int(bw_json_escape(&b, s, n), BW_OK, "escape %s: ok", what);
    is_str(b.ptr != NULL ? b.ptr : "", want, "escape %s", what);
    bw_buf_release(&b);
}

static void test_compact(void)
{
    bw_buf b = BW_BUF_INIT(4096);
    bw_json j;

    bw_json_init(&j, &b, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_int(&j, "a", 1);
    bw_json_key(&j, "b");
    bw_json_arr_begin(&j);
    bw_json_bool(&j, 1);
    bw_json_bool(&j, 0);
    bw_json_null(&j);
    bw_json_str(&j, NULL);
    bw_json_arr_end(&j);
    bw_json_kv_str(&j, "c", "x\"y\\z");
    bw_json_key(&j, "d");
    bw_json_obj_begin(&j);
    bw_json_obj_end(&j);
    bw_json_key(&j, "e");
    bw_json_arr_begin(&j);
    bw_json_arr_end(&j);
    bw_json_key(&j, "f");
    bw_json_int(&j, INT64_MIN);
    bw_json_key(&j, "g");
    bw_json_uint(&j, UINT64_MAX);
    bw_json_key(&j, "h");
    bw_json_raw(&j, "[1,2]", 5);
    bw_json_obj_end(&j);
    is_int(bw_json_finish(&j), BW_OK, "compact: finish ok");
    is_str(b.ptr,
           "{\"a\":1,\"b\":[true,false,null,null],\"c\":\"x\\\"y\\\\z\",\"d\":{},\"e\":[],"
           "\"f\":-9223372036854775808,\"g\":18446744073709551615,\"h\":[1,2]}",
           "compact: exact output");
    bw_buf_release(&b);
}

static void test_pretty(void)
{
    bw_buf b = BW_BUF_INIT(4096);
    bw_json j;

    bw_json_init(&j, &b, 1);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "name", "bulwark");
    bw_json_key(&j, "list");
    bw_json_arr_begin(&j);
    bw_json_int(&j, 1);
    bw_json_obj_begin(&j);
    bw_json_kv_int(&j, "x", 2);
    bw_json_obj_end(&j);
    bw_json_arr_end(&j);
    bw_json_key(&j, "empty");
    bw_json_obj_begin(&j);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    is_int(bw_json_finish(&j), BW_OK, "pretty: finish ok");
    is_str(b.ptr,
           "{\n"
           "  \"name\": \"bulwark\",\n"
           "  \"list\": [\n"
           "    1,\n"
           "    {\n"
           "      \"x\": 2\n"
           "    }\n"
           "  ],\n"
           "  \"empty\": {}\n"
           "}",
           "pretty: exact output, two-space indent");
    bw_buf_release(&b);

    /* 40 levels: past the 32 that one append of the newline and spaces covers */
    bw_buf_init(&b, 1 << 16);
    bw_json_init(&j, &b, 1);
    for (int d = 0; d < 40; d++) {
        bw_json_arr_begin(&j);
    }
    bw_json_int(&j, 7);
    for (int d = 0; d < 40; d++) {
        bw_json_arr_end(&j);
    }
    is_int(bw_json_finish(&j), BW_OK, "pretty: 40 levels deep");
    {
        const char *seven = b.ptr != NULL ? strchr(b.ptr, '7') : NULL;
        size_t spaces = 0;
        while (seven != NULL && seven - spaces > b.ptr && seven[-1 - (ptrdiff_t)spaces] == ' ') {
            spaces++;
        }
        ok(seven != NULL && spaces == 80 && seven[-1 - (ptrdiff_t)spaces] == '\n',
           "pretty: the innermost value is indented 80 spaces (%zu)", spaces);
        ok(b.len > 0 && b.ptr[b.len - 1] == ']' && strstr(b.ptr, "\n]") != NULL,
           "pretty: the outermost bracket closes at column 0");
    }
    bw_buf_release(&b);

    bw_buf_init(&b, 64);
    bw_json_init(&j, &b, 1);
    bw_json_str(&j, "top");
    is_int(bw_json_finish(&j), BW_OK, "a scalar is a whole document");
    is_str(b.ptr, "\"top\"", "scalar document");
    bw_buf_release(&b);
}

static void test_escapes(void)
{
    check_escape("plain text", 10, "plain text", "plain");
    check_escape("\"\\/", 3, "\\\"\\\\/", "quote and backslash");
    check_escape("\n\t\r\b\f", 5, "\\n\\t\\r\\b\\f", "short forms");
    check_escape("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f", "other controls");
    check_escape("a\0b", 3, "a\\u0000b", "embedded NUL");
    check_escape("\x1b[31m", 5, "\\u001b[31m", "ESC");
    /* well-formed UTF-8 passes through */
    check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                 "valid UTF-8");
    check_escape("\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7, "\xef\xbf\xbf\xf4\x8f\xbf\xbf", "U+FFFF and U+10FFFF");
    /* ill-formed: one U+FFFD per maximal subpart */
    check_escape("\xff", 1, FFFD, "lone 0xff");
    check_escape("a\x80z", 3, "a" FFFD "z", "lone continuation");
    check_escape("\xc3", 1, FFFD, "truncated at end");
    check_escape("\xe2\x82"
                 "A",
                 3, FFFD "A", "truncated 3-byte sequence");
    check_escape("\xf0\x9f\x98x", 4, FFFD "x", "truncated 4-byte sequence");
    check_escape("\xc0\xaf", 2, FFFD FFFD, "overlong 2-byte");
    check_escape("\xe0\x80\xaf", 3, FFFD FFFD FFFD, "overlong 3-byte");
    check_escape("\xed\xa0\x80", 3, FFFD FFFD FFFD, "surrogate");
    check_escape("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, "over U+10FFFF");
    check_escape("\xf5\x80", 2, FFFD FFFD, "f5 lead");
    check_escape("\xc3\xa9\xc3", 3, "\xc3\xa9" FFFD, "valid then truncated");
}

static void test_doubles(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},
        {1.0, "1"},
        {-2.5, "-2.5"},
        {1e300, "1e+300"},
        {5e-324, "4.94065645841247e-324"},
        {0.30000000000000004, "0.30000000000000004"},
        {123456789012345678.0, "1.2345678901234568e+17"},
    };
    uint64_t state = 0x9e3779b97f4a7c15u;
    int bad = 0, shortest = 1;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        bw_buf b = BW_BUF_INIT(128);
        bw_json j;
        bw_json_init(&j, &b, 0);
        bw_json_double(&j, cases[i].v);
        is_int(bw_json_finish(&j), BW_OK, "double %zu: ok", i);
        is_str(b.ptr != NULL ? b.ptr : "", cases[i].want, "double %zu: shortest form", i);
        bw_buf_release(&b);
    }
    {
        bw_buf b = BW_BUF_INIT(128);
        bw_json j;
        bw_json_init(&j, &b, 0);
        bw_json_arr_begin(&j);
        bw_json_double(&j, NAN);
        bw_json_double(&j, INFINITY);
        bw_json_double(&j, -INFINITY);
        bw_json_double(&j, -0.0);
        bw_json_double(&j, DBL_MAX);
        bw_json_arr_end(&j);
        is_int(bw_json_finish(&j), BW_OK, "non-finite: ok");
        is_str(b.ptr, "[null,null,null,-0,1.7976931348623157e+308]", "non-finite become null");
        bw_buf_release(&b);
    }
    /* 20,000 doubles from random bit patterns read back bit-for-bit equal */
    for (int i = 0; i < 20000; i++) {
        bw_buf b = BW_BUF_INIT(128);
        bw_json j;
        double v, back;
        state = state * 6364136223846793005u + 1442695040888963407u;
        memcpy(&v, &state, sizeof(v));
        if (!isfinite(v)) {
            continue;
        }
        bw_json_init(&j, &b, 0);
        bw_json_double(&j, v);
        if (bw_json_finish(&j) != BW_OK) {
            bad++;
            continue;
        }
        back = strtod(b.ptr, NULL);
        if (memcmp(&back, &v, sizeof(v)) != 0 && !(v == 0 && back == 0)) {
            bad++;
        }
        if (strlen(b.ptr) > 24) {
            shortest = 0;
        }
        bw_buf_release(&b);
    }
    is_int(bad, 0, "random doubles round-trip exactly");
    ok(shortest, "no double needs more than %%.17g plus sign and exponent");
}

/* Run one misuse sequence and expect bw_json_finish to say BW_EINVAL. */
typedef void (*misuse_fn)(bw_json *j);

static void m_end_without_begin(bw_json *j)
{
    bw_json_obj_end(j);
}
static void m_arr_end_in_obj(bw_json *j)
{
    bw_json_obj_begin(j);
    bw_json_arr_end(j);
}
static void m_obj_end_in_arr(bw_json *j)
{
    bw_json_arr_begin(j);
    bw_json_obj_end(j);
}
static void m_value_without_key(bw_json *j)
{
    bw_json_obj_begin(j);
    bw_json_int(j, 1);
    bw_json_obj_end(j);
}
static void m_key_in_array(bw_json *j)
{
    bw_json_arr_begin(j);
    bw_json_key(j, "k");
    bw_json_int(j, 1);
    bw_json_arr_end(j);
}
static void m_two_keys(bw_json *j)
{
    bw_json_obj_begin(j);
    bw_json_key(j, "a");
    bw_json_key(j, "b");
    bw_json_int(j, 1);
    bw_json_obj_end(j);
}
static void m_key_then_end(bw_json *j)
{
    bw_json_obj_begin(j);
    bw_json_key(j, "a");
    bw_json_obj_end(j);
}
static void m_unclosed(bw_json *j)
{
    bw_json_arr_begin(j);
}
static void m_two_documents(bw_json *j)
{
    bw_json_int(j, 1);
    bw_json_int(j, 2);
}
static void m_empty(bw_json *j)
{
    (void)j;
}
static void m_key_at_top(bw_json *j)
{
    bw_json_key(j, "a");
}
static void m_too_deep(bw_json *j)
{
    for (int i = 0; i < BW_JSON_MAX_DEPTH + 1; i++) {
        bw_json_arr_begin(j);
    }
    for (int i = 0; i < BW_JSON_MAX_DEPTH + 1; i++) {
        bw_json_arr_end(j);
    }
}

static void test_misuse(void)
{
    static const struct {
        misuse_fn fn;
        const char *what;
    } cases[] = {
        {m_end_without_begin, "end without begin"},
        {m_arr_end_in_obj, "array end closes an object"},
        {m_obj_end_in_arr, "object end closes an array"},
        {m_value_without_key, "value where a key is needed"},
        {m_key_in_array, "key inside an array"},
        {m_two_keys, "two keys in a row"},
        {m_key_then_end, "key without a value"},
        {m_unclosed, "unclosed container"},
        {m_two_documents, "two top-level values"},
        {m_empty, "nothing written"},
        {m_key_at_top, "key at top level"},
        {m_too_deep, "nesting deeper than BW_JSON_MAX_DEPTH"},
    };

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        bw_buf b = BW_BUF_INIT(4096);
        bw_json j;
        bw_json_init(&j, &b, 0);
        cases[i].fn(&j);
        is_int(bw_json_finish(&j), BW_EINVAL, "misuse: %s", cases[i].what);
        bw_buf_release(&b);
    }

    /* exactly BW_JSON_MAX_DEPTH levels are fine */
    {
        bw_buf b = BW_BUF_INIT(4096);
        bw_json j;
        bw_json_init(&j, &b, 0);
        for (int i = 0; i < BW_JSON_MAX_DEPTH; i++) {
            bw_json_arr_begin(&j);
        }
        for (int i = 0; i < BW_JSON_MAX_DEPTH; i++) {
            bw_json_arr_end(&j);
        }
        is_int(bw_json_finish(&j), BW_OK, "nesting of exactly BW_JSON_MAX_DEPTH is allowed");
        is_int(b.len, 2 * BW_JSON_MAX_DEPTH, "and writes every bracket");
        bw_buf_release(&b);
    }
    /* after a misuse, later calls write nothing */
    {
        bw_buf b = BW_BUF_INIT(4096);
        bw_json j;
        bw_json_init(&j, &b, 0);
        bw_json_obj_begin(&j);
        bw_json_int(&j, 1); /* misuse */
        bw_json_kv_str(&j, "a", "b");
        bw_json_obj_end(&j);
        is_str(b.ptr, "{", "nothing written after the first misuse");
        is_int(j.err, BW_EINVAL, "j->err holds BW_EINVAL");
        bw_buf_release(&b);
    }
    /* a buffer that runs out reports its own error */
    {
        bw_buf b = BW_BUF_INIT(8);
        bw_json j;
        bw_json_init(&j, &b, 0);
        bw_json_str(&j, "longer than eight bytes");
        is_int(bw_json_finish(&j), BW_ELIMIT, "buffer limit surfaces at finish");
        bw_buf_release(&b);
    }
}

/* Hostile strings, as keys and values, always parse back with jansson. */
static void test_hostile_parses(void)
{
    uint64_t state = 12345;
    int failures = 0;

    for (int round = 0; round < 2000; round++) {
        bw_buf b = BW_BUF_INIT(1 << 16);
        char raw[64];
        size_t n;
        bw_json j;
        json_error_t jerr;
        json_t *doc;

        state = state * 6364136223846793005u + 1442695040888963407u;
        n = (size_t)(state >> 58);
        for (size_t i = 0; i < n; i++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            raw[i] = (char)(state >> 56);
        }
        raw[n] = '\0';
        bw_json_init(&j, &b, round & 1);
        bw_json_obj_begin(&j);
        bw_json_key(&j, raw); /* stops at the first NUL, as a C string key does */
        bw_json_strn(&j, raw, n);
        bw_json_obj_end(&j);
        if (bw_json_finish(&j) != BW_OK) {
            failures++;
            bw_buf_release(&b);
            continue;
        }
        doc = json_loadb(b.ptr, b.len, JSON_ALLOW_NUL, &jerr);
        if (doc == NULL) {
            failures++;
            tap_diag("jansson rejected: %s (%s)", jerr.text, b.ptr);
        }
        json_decref(doc);
        bw_buf_release(&b);
    }
    is_int(failures, 0, "2000 random byte strings produce JSON that jansson accepts");

    {
        bw_buf b = BW_BUF_INIT(1024);
        bw_json j;
        json_t *doc;
        bw_json_init(&j, &b, 0);
        bw_json_str(&j, "bad\xff\xfe name\n.pkl");
        is_int(bw_json_finish(&j), BW_OK, "hostile name: ok");
        doc = json_loads(b.ptr, JSON_DECODE_ANY, NULL);
        ok(doc != NULL && json_is_string(doc), "hostile name parses as a string");
        is_str(doc != NULL ? json_string_value(doc) : NULL, "bad" FFFD FFFD " name\n.pkl",
               "ill-formed bytes read back as U+FFFD");
        json_decref(doc);
        bw_buf_release(&b);
    }
}

/* Reference: Unicode table 3-7, one code point at a time, by decoding. */
static bool ref_utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], need, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= need) {
            return false;
        }
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false; /* overlong, out of range, surrogate */
        }
        i += need + 1;
    }
    return true;
}

static void test_utf8_valid(void)
{
    static const struct {
        const char *s;
        bool valid;
    } cases[] = {
        {"", true},
        {"plain ascii, longer than eight bytes", true},
        {"caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80", true},
        {"\xc0\x80", false},         /* overlong NUL */
        {"\xe0\x80\xaf", false},     /* overlong '/' */
        {"\xed\xa0\x80", false},     /* lone surrogate */
        {"\xf4\x90\x80\x80", false}, /* past U+10FFFF */
        {"abcdefgh\xc3", false},     /* truncated after an ASCII word */
        {"abcdefg\xc3\xa9"
         "abcdefgh",
         true},                         /* a sequence across the eight-byte step */
        {"abcdefghijklmno\x80", false}, /* stray continuation at the end of a word */
    };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t mismatches = 0, valid_seen = 0;

    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t n = strlen(cases[k].s);
        is_int(bw_utf8_valid(cases[k].s, n), cases[k].valid, "utf8_valid case %zu", k);
        is_int(ref_utf8_valid((const unsigned char *)cases[k].s, n), cases[k].valid, "reference case %zu", k);
    }
    /* random strings, mostly ASCII with multibyte and broken bytes at every alignment */
    for (int t = 0; t < 20000; t++) {
        unsigned char buf[40];
        size_t n = (size_t)(t % 40);
        for (size_t i = 0; i < n; i++) {
            static const char *const seqs[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
            const char *q;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            q = seqs[(x >> 24) % 3];
            if ((x & 7) == 1 && i + strlen(q) <= n) { /* a well-formed sequence at this alignment */
                memcpy(buf + i, q, strlen(q));
                i += strlen(q) - 1;
                continue;
            }
            buf[i] = (x & 7) != 0 ? (unsigned char)('a' + (x >> 8) % 26) : (unsigned char)(x >> 16);
        }
        if (bw_utf8_valid((const char *)buf, n) != ref_utf8_valid(buf, n)) {
            mismatches++;
        }
        valid_seen += ref_utf8_valid(buf, n);
    }
    is_int((long long)mismatches, 0, "bw_utf8_valid agrees with the reference on 20,000 random strings");
    ok(valid_seen > 2000 && valid_seen < 18000, "the random strings mix valid and invalid ones (%zu valid)",
       valid_seen);
}

int main(void)
{
    test_utf8_valid();
    test_compact();
    test_pretty();
    test_escapes();
    test_doubles();
    test_misuse();
    test_hostile_parses();
    return done_testing();
}
