/*
 * json.c - the streaming JSON writer (see bw_json.h).
 *
 * The writer keeps just enough state to emit commas and indentation and to
 * refuse a malformed document: the open containers (depth, and a bit per
 * level saying object or array), whether each has members yet, whether a
 * key is waiting for its value, and whether the one top-level value is done.
 * The first misuse (a value where a key is needed, an end that does not
 * match, nesting over BW_JSON_MAX_DEPTH) sticks in j->err as BW_EINVAL and
 * turns every later call into a no-op; append failures stick in the bw_buf.
 * bw_json_finish reports whichever came first.
 *
 * Strings are escaped so the output is valid JSON whatever bytes come in:
 * file names and matched text are attacker-controlled. Control characters
 * become \u00XX (or \n \t \r \b \f), and every byte that is not part of a
 * well-formed UTF-8 sequence becomes U+FFFD, one per maximal ill-formed
 * subpart as Unicode recommends (chapter 3, "U+FFFD Substitution of Maximal
 * Subparts"). Overlong forms, surrogates and code points over U+10FFFF are
 * ill-formed.
 */
#include <inttypes.h>
#include <math.h>

#include "util/internal.h"

void bw_json_init(bw_json *j, bw_buf *out, int pretty)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
    j->pretty = pretty;
    j->err = BW_OK;
}

static bool json_misuse(bw_json *j)
{
    if (j->err == BW_OK) {
        j->err = BW_EINVAL;
    }
    return false;
}

static bool in_object(const bw_json *j)
{
    return j->depth > 0 && ((j->objects >> (j->depth - 1)) & 1u) != 0;
}

static void newline_indent(bw_json *j, int depth)
{
    if (!j->pretty) {
        return;
    }
    /* one append for the newline and the indentation of the usual depths */
    static const char nl[] = "\n                                                                "; /* 64 spaces */
    size_t want = 1 + 2 * (size_t)(depth > 0 ? depth : 0);

    if (want <= sizeof(nl) - 1) {
        bw_buf_add(j->out, nl, want);
        return;
    }
    bw_buf_addc(j->out, '\n');
    for (int i = 0; i < depth; i++) {
        bw_buf_add(j->out, "  ", 2);
    }
}

/*
 * Everything a value needs before its first byte: the check that a value
 * may stand here, and the comma and indentation in an array. Returns false
 * (and records the misuse) when it may not.
 */
static bool value_begin(bw_json *j)
{
    if (j->err != BW_OK) {
        return false;
    }
    if (j->depth == 0) {
        if (j->done) {
            return json_misuse(j); /* a document holds one value */
        }
        return true;
    }
    if (in_object(j)) {
        if (!j->after_key) {
            return json_misuse(j); /* a value where a key is needed */
        }
        j->after_key = 0;
        return true;
    }
    if (j->count[j->depth - 1]) {
        bw_buf_addc(j->out, ',');
    }
    j->count[j->depth - 1] = 1;
    newline_indent(j, j->depth);
    return true;
}

static void value_end(bw_json *j)
{
    if (j->depth == 0) {
        j->done = 1;
    }
}

static void container_begin(bw_json *j, bool object)
{
    if (!value_begin(j)) {
        return;
    }
    if (j->depth >= BW_JSON_MAX_DEPTH) {
        json_misuse(j);
        return;
    }
    bw_buf_addc(j->out, object ? '{' : '[');
    j->count[j->depth] = 0;
    if (object) {
        j->objects |= UINT64_C(1) << j->depth;
    } else {
        j->objects &= ~(UINT64_C(1) << j->depth);
    }
    j->depth++;
}

static void container_end(bw_json *j, bool object)
{
    if (j->err != BW_OK) {
        return;
    }
    if (j->depth == 0 || in_object(j) != object || j->after_key) {
        json_misuse(j);
        return;
    }
    j->depth--;
    if (j->count[j->depth]) {
        newline_indent(j, j->depth);
    }
    bw_buf_addc(j->out, object ? '}' : ']');
    value_end(j);
}

void bw_json_obj_begin(bw_json *j)
{
    container_begin(j, true);
}

void bw_json_obj_end(bw_json *j)
{
    container_end(j, true);
}

void bw_json_arr_begin(bw_json *j)
{
    container_begin(j, false);
}

void bw_json_arr_end(bw_json *j)
{
    container_end(j, false);
}

void bw_json_key(bw_json *j, const char *key)
{
    if (j->err != BW_OK) {
        return;
    }
    if (key == NULL || !in_object(j) || j->after_key) {
        json_misuse(j);
        return;
    }
    if (j->count[j->depth - 1]) {
        bw_buf_addc(j->out, ',');
    }
    j->count[j->depth - 1] = 1;
    newline_indent(j, j->depth);
    bw_buf_addc(j->out, '"');
    bw_json_escape(j->out, key, strlen(key));
    bw_buf_add(j->out, j->pretty ? "\": " : "\":", j->pretty ? 3 : 2);
    j->after_key = 1;
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..n), or 0 when it is
 * ill-formed; then *bad is the length of the maximal ill-formed subpart
 * (at least 1), which is replaced by a single U+FFFD.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need, i;

    *bad = 1;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0) {
            lo = 0xa0; /* overlong */
        } else if (c == 0xed) {
            hi = 0x9f; /* surrogates */
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0) {
            lo = 0x90; /* overlong */
        } else if (c == 0xf4) {
            hi = 0x8f; /* over U+10FFFF */
        }
    } else {
        return 0; /* 80..c1 and f5..ff never start a sequence */
    }
    for (i = 1; i < need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need;
}

bool bw_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t bad;

    for (size_t i = 0; i < n;) {
        size_t len;
        uint64_t w;
        if (n - i >= 8) { /* ASCII runs eight bytes at a time */
            memcpy(&w, u + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        len = utf8_seq(u + i, n - i, &bad);
        if (len == 0) {
            return false;
        }
        i += len;
    }
    return true;
}

bw_status bw_json_escape(bw_buf *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t len, bad = 1;
        char esc[6];
        const char *rep = NULL;
        size_t rep_len = 0;

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }
        len = c < 0x80 ? 1 : utf8_seq(s + i, n - i, &bad);
        if (len > 1) {
            i += len; /* well-formed multibyte: copy as is */
            continue;
        }
        bw_buf_add(out, s + run, i - run);
        switch (c) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\n': rep = "\\n"; break;
        case '\t': rep = "\\t"; break;
        case '\r': rep = "\\r"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        default: break;
        }
        if (rep != NULL) {
            rep_len = 2;
            i++;
        } else if (len == 1) {
            /* other C0 controls and DEL */
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            rep = esc;
            rep_len = 6;
            i++;
        } else {
            rep = "\xef\xbf\xbd"; /* U+FFFD */
            rep_len = 3;
            i += bad;
        }
        bw_buf_add(out, rep, rep_len);
        run = i;
    }
    return bw_buf_add(out, s + run, n - run);
}

void bw_json_strn(bw_json *j, const char *s, size_t n)
{
    if (s == NULL) {
        bw_json_null(j);
        return;
    }
    if (!value_begin(j)) {
        return;
    }
    bw_buf_addc(j->out, '"');
    bw_json_escape(j->out, s, n);
    bw_buf_addc(j->out, '"');
    value_end(j);
}

void bw_json_str(bw_json *j, const char *s)
{
    bw_json_strn(j, s, s != NULL ? strlen(s) : 0);
}

void bw_json_int(bw_json *j, int64_t v)
{
    if (!value_begin(j)) {
        return;
    }
    bw_buf_printf(j->out, "%" PRId64, v);
    value_end(j);
}

void bw_json_uint(bw_json *j, uint64_t v)
{
    if (!value_begin(j)) {
        return;
    }
    bw_buf_printf(j->out, "%" PRIu64, v);
    value_end(j);
}

/*
 * The shortest of %.15g, %.16g and %.17g that reads back as the same
 * double; %.17g always does. The locale may use a decimal comma, which
 * JSON does not allow, so the point is normalised after the check.
 */
void bw_json_double(bw_json *j, double v)
{
    char tmp[40];

    if (!isfinite(v)) {
        bw_json_null(j);
        return;
    }
    if (!value_begin(j)) {
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v) {
            break;
        }
    }
    for (char *p = tmp; *p != '\0'; p++) {
        if (*p == ',') {
            *p = '.';
        }
    }
    bw_buf_addstr(j->out, tmp);
    value_end(j);
}

void bw_json_bool(bw_json *j, int v)
{
    if (!value_begin(j)) {
        return;
    }
    bw_buf_addstr(j->out, v ? "true" : "false");
    value_end(j);
}

void bw_json_null(bw_json *j)
{
    if (!value_begin(j)) {
        return;
    }
    bw_buf_add(j->out, "null", 4);
    value_end(j);
}

void bw_json_raw(bw_json *j, const char *json, size_t n)
{
    if (json == NULL || n == 0) {
        json_misuse(j); /* an empty value would break the document */
        return;
    }
    if (!value_begin(j)) {
        return;
    }
    bw_buf_add(j->out, json, n);
    value_end(j);
}

void bw_json_kv_str(bw_json *j, const char *key, const char *s)
{
    bw_json_key(j, key);
    bw_json_str(j, s);
}

void bw_json_kv_int(bw_json *j, const char *key, int64_t v)
{
    bw_json_key(j, key);
    bw_json_int(j, v);
}

bw_status bw_json_finish(bw_json *j)
{
    if (j->err != BW_OK) {
        return j->err;
    }
    if (j->out->err != BW_OK) {
        return j->out->err;
    }
    if (j->depth != 0 || j->after_key || !j->done) {
        return BW_EINVAL;
    }
    return BW_OK;
}
