/*
 * notebook.c - Jupyter notebooks as text segments (see notebook.h).
 *
 * jansson parses and validates the whole document (duplicate keys, invalid
 * UTF-8, trailing bytes and nesting over JSON_PARSER_MAX_DEPTH are errors);
 * the walk then reads the tree. jansson keeps no positions, so a second,
 * cheap walker over the raw bytes runs alongside the tree to find the byte
 * offset of each value: it only ever sees text jansson accepted, but every
 * step is still bounds-checked and a surprise only loses the offset
 * (BW_NO_OFFSET), never the text. It relies on jansson 2.8+ iterating
 * object members in document order (insertion order); each key is compared
 * before its offset is trusted.
 *
 * Structure is checked only where a wrong shape means "not a notebook" (top
 * level, "cells", "worksheets"); inside a cell anything unexpected is
 * skipped, so one odd cell never hides the secrets in the others.
 */
#include <inttypes.h>
#include <jansson.h>
#include <strings.h>

#include "formats/notebook.h"

#define NPOS SIZE_MAX
/* bytes at each end of the input in which bw_nb_sniff looks for "nbformat" */
#define NB_SNIFF_WINDOW ((size_t)1 << 20)
/* joined and serialised texts; JSON re-serialised can outgrow its source ("1E9" is "1000000000.0") */
#define NB_TEXT_MAX (SIZE_MAX / 4)
#define NB_DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

typedef struct nb {
    const uint8_t *p;  /* the JSON text (after a byte order mark) */
    size_t n;          /* its length */
    uint64_t base;     /* offset of p in the input */
    bw_nb_visit visit; /* the caller's visitor and its context */
    void *ctx;
    bw_error *err;
    bw_buf buf; /* joined lists and serialised JSON, reused per segment */
    bool v3;    /* nbformat 3: worksheets, "input", flat MIME keys in outputs */
} nb;

/* ---- positions: a walker over JSON text jansson already accepted ---- */

static size_t nb_ws(const nb *c, size_t i)
{
    while (i < c->n && (c->p[i] == ' ' || c->p[i] == '\t' || c->p[i] == '\n' || c->p[i] == '\r')) {
        i++;
    }
    return i;
}

/* i at an opening quote: the index of the closing quote, or NPOS. */
static size_t nb_str_end(const nb *c, size_t i)
{
    size_t start;

    if (i >= c->n || c->p[i] != '"') {
        return NPOS;
    }
    start = ++i;
    for (;;) {
        const uint8_t *q = memchr(c->p + i, '"', c->n - i);
        size_t k, bs = 0;

        if (q == NULL) {
            return NPOS;
        }
        k = (size_t)(q - c->p);
        while (k - bs > start && c->p[k - bs - 1] == '\\') {
            bs++;
        }
        if (bs % 2 == 0) {
            return k;
        }
        i = k + 1;
    }
}

/* i at the first byte of a value: the index just past the value, or NPOS. Iterative: no depth limit here. */
static size_t nb_skip(const nb *c, size_t i)
{
    size_t depth = 0;

    do {
        uint8_t ch;

        if (i >= c->n) {
            return NPOS;
        }
        ch = c->p[i];
        if (ch == '"') {
            i = nb_str_end(c, i);
            if (i == NPOS) {
                return NPOS;
            }
            i++;
        } else if (ch == '{' || ch == '[') {
            depth++;
            i++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0) {
                return NPOS;
            }
            depth--;
            i++;
        } else if (depth > 0) {
            i++; /* white space, ',', ':' and scalars inside a container */
        } else {
            while (i < c->n && c->p[i] != ',' && c->p[i] != '}' && c->p[i] != ']' && c->p[i] != ' ' &&
                   c->p[i] != '\t' && c->p[i] != '\n' && c->p[i] != '\r') {
                i++;
            }
            return i;
        }
    } while (depth > 0);
    return i;
}

typedef struct nb_member {
    size_t key;     /* first byte of the key, after the quote */
    size_t key_end; /* the closing quote */
    size_t val;     /* first byte of the value */
} nb_member;

static bool nb_member_at(const nb *c, size_t i, nb_member *m)
{
    size_t e = nb_str_end(c, i);

    if (e == NPOS) {
        return false;
    }
    m->key = i + 1;
    m->key_end = e;
    i = nb_ws(c, e + 1);
    if (i >= c->n || c->p[i] != ':') {
        return false;
    }
    m->val = nb_ws(c, i + 1);
    return m->val < c->n;
}

static bool nb_member_first(const nb *c, size_t obj, nb_member *m)
{
    if (obj >= c->n || c->p[obj] != '{') {
        return false;
    }
    return nb_member_at(c, nb_ws(c, obj + 1), m);
}

static bool nb_member_next(const nb *c, nb_member *m)
{
    size_t i = nb_skip(c, m->val);

    if (i == NPOS) {
        return false;
    }
    i = nb_ws(c, i);
    if (i >= c->n || c->p[i] != ',') {
        return false;
    }
    return nb_member_at(c, nb_ws(c, i + 1), m);
}

static size_t nb_elem_first(const nb *c, size_t arr)
{
    size_t i;

    if (arr >= c->n || c->p[arr] != '[') {
        return NPOS;
    }
    i = nb_ws(c, arr + 1);
    return i < c->n && c->p[i] != ']' ? i : NPOS;
}

static size_t nb_elem_next(const nb *c, size_t e)
{
    size_t i = e < c->n ? nb_skip(c, e) : NPOS;

    if (i == NPOS) {
        return NPOS;
    }
    i = nb_ws(c, i);
    if (i >= c->n || c->p[i] != ',') {
        return NPOS;
    }
    i = nb_ws(c, i + 1);
    return i < c->n ? i : NPOS;
}

static bool nb_hex4(const nb *c, size_t at, size_t end, uint32_t *v)
{
    *v = 0;
    if (at > end || end - at < 4) {
        return false;
    }
    for (size_t i = at; i < at + 4; i++) {
        int h = bw_hexval(c->p[i]);
        if (h < 0) {
            return false;
        }
        *v = *v << 4 | (uint32_t)h;
    }
    return true;
}

static size_t nb_utf8(uint32_t cp, uint8_t u[4])
{
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | cp >> 6);
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | cp >> 12);
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    u[0] = (uint8_t)(0xf0 | cp >> 18);
    u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    u[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Does the raw key of m, with its escapes undone, equal the decoded key t[0..tn)? */
static bool nb_key_eq(const nb *c, const nb_member *m, const char *t, size_t tn)
{
    size_t i = m->key, e = m->key_end, j = 0;

    while (i < e) {
        uint8_t u[4];
        size_t k;

        if (c->p[i] != '\\') {
            u[0] = c->p[i++];
            k = 1;
        } else {
            uint32_t cp, lo;
            size_t adv = 2;

            if (e - i < 2) {
                return false;
            }
            switch (c->p[i + 1]) {
            case '"':
            case '\\':
            case '/': cp = c->p[i + 1]; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!nb_hex4(c, i + 2, e, &cp)) {
                    return false;
                }
                adv = 6;
                if (cp >= 0xd800 && cp < 0xdc00 && e - i >= 12 && c->p[i + 6] == '\\' && c->p[i + 7] == 'u' &&
                    nb_hex4(c, i + 8, e, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    adv = 12;
                }
                break;
            default: return false;
            }
            i += adv;
            k = nb_utf8(cp, u);
        }
        if (k > tn - j || memcmp(u, t + j, k) != 0) {
            return false;
        }
        j += k;
    }
    return j == tn;
}

/* The value positions of the members keys[0..nk) of the object at obj (NPOS if absent), in one pass. */
static void nb_find(const nb *c, size_t obj, const char *const *keys, size_t nk, size_t *pos)
{
    nb_member m;
    size_t found = 0;

    for (size_t k = 0; k < nk; k++) {
        pos[k] = NPOS;
    }
    for (bool more = nb_member_first(c, obj, &m); more && found < nk; more = nb_member_next(c, &m)) {
        for (size_t k = 0; k < nk; k++) {
            if (pos[k] == NPOS && nb_key_eq(c, &m, keys[k], strlen(keys[k]))) {
                pos[k] = m.val;
                found++;
                break;
            }
        }
    }
}

static uint64_t nb_off(const nb *c, size_t at)
{
    return at < c->n ? c->base + at : BW_NO_OFFSET;
}

/* ---- segments ---- */

static bw_status nb_buf_fail(nb *c)
{
    bw_status code = c->buf.err == BW_ENOMEM ? BW_ENOMEM : BW_ELIMIT;

    bw_buf_reset(&c->buf);
    return bw_fail(c->err, code, "notebook: %s", code == BW_ENOMEM ? "out of memory" : "text over the size limit");
}

static bw_status nb_emit(nb *c, const bw_nb_segment *tmpl, const char *text, size_t len, size_t at)
{
    bw_nb_segment seg = *tmpl;

    if (len == 0) {
        return BW_OK;
    }
    seg.text = text;
    seg.len = len;
    seg.offset = nb_off(c, at);
    return c->visit(c->ctx, &seg);
}

/* A string, or a list of strings joined by sep (other elements skipped); other types are skipped. */
static bw_status nb_lines(nb *c, const bw_nb_segment *s, json_t *v, const char *sep, size_t at)
{
    size_t i;
    json_t *x;
    bool first = true;

    if (json_is_string(v)) {
        return nb_emit(c, s, json_string_value(v), json_string_length(v), at);
    }
    if (!json_is_array(v)) {
        return BW_OK;
    }
    bw_buf_reset(&c->buf);
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x)) {
            continue;
        }
        if (!first) {
            (void)bw_buf_addstr(&c->buf, sep);
        }
        (void)bw_buf_add(&c->buf, json_string_value(x), json_string_length(x));
        first = false;
    }
    if (c->buf.err != BW_OK) {
        return nb_buf_fail(c);
    }
    return nb_emit(c, s, c->buf.ptr != NULL ? c->buf.ptr : "", c->buf.len, at);
}

/* Any JSON value as compact JSON text; null and empty containers are skipped. */
static bw_status nb_dump(nb *c, const bw_nb_segment *s, const json_t *v, size_t at)
{
    size_t need;

    if (v == NULL || json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0) ||
        (json_is_array(v) && json_array_size(v) == 0)) {
        return BW_OK;
    }
    need = json_dumpb(v, NULL, 0, NB_DUMP_FLAGS);
    if (need == 0) {
        return bw_fail(c->err, BW_ENOMEM, "notebook: out of memory serialising %s", s->field);
    }
    bw_buf_reset(&c->buf);
    if (bw_buf_grow(&c->buf, need) != BW_OK) {
        return nb_buf_fail(c);
    }
    if (json_dumpb(v, c->buf.ptr, need, NB_DUMP_FLAGS) != need) {
        return bw_fail(c->err, BW_ENOMEM, "notebook: out of memory serialising %s", s->field);
    }
    c->buf.len = need;
    c->buf.ptr[need] = '\0';
    return nb_emit(c, s, c->buf.ptr, need, at);
}

/* Base64 binary data in notebooks; everything else (svg included) is text worth scanning. */
static bool nb_binary_mime(const char *m)
{
    static const char *const prefixes[] = {"audio/", "video/", "font/"};

    if (strncasecmp(m, "image/", 6) == 0) {
        return strcasecmp(m + 6, "svg+xml") != 0;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(prefixes); i++) {
        if (strncasecmp(m, prefixes[i], strlen(prefixes[i])) == 0) {
            return true;
        }
    }
    return strcasecmp(m, "application/pdf") == 0 || strcasecmp(m, "application/octet-stream") == 0;
}

static bool nb_json_mime(const char *m)
{
    size_t n = strlen(m);

    return strcasecmp(m, "application/json") == 0 || (n >= 5 && strcasecmp(m + n - 5, "+json") == 0);
}

/* One value of a MIME bundle: text joined as lines, JSON data serialised. */
static bw_status nb_mime_value(nb *c, bw_nb_segment *s, const char *mime, json_t *v, size_t at)
{
    bw_status rc;

    if (nb_binary_mime(mime)) {
        return BW_OK;
    }
    s->mime = mime;
    /* nbformat 3 keeps JSON data as lines of JSON text; nbformat 4 as the JSON value itself */
    if (json_is_string(v) || (json_is_array(v) && (c->v3 || !nb_json_mime(mime)))) {
        rc = nb_lines(c, s, v, "", at);
    } else {
        rc = nb_dump(c, s, v, at);
    }
    s->mime = NULL;
    return rc;
}

/* A MIME bundle {"text/plain": ..., "image/png": ...}, in document order. */
static bw_status nb_bundle(nb *c, bw_nb_segment *s, json_t *data, size_t at)
{
    nb_member m;
    bool raw;
    const char *k;
    json_t *v;

    if (!json_is_object(data)) {
        return BW_OK;
    }
    raw = nb_member_first(c, at, &m);
    json_object_foreach(data, k, v)
    {
        size_t vat = NPOS;

        raw = raw && nb_key_eq(c, &m, k, strlen(k));
        if (raw) {
            vat = m.val;
        }
        BW_TRY(nb_mime_value(c, s, k, v, vat));
        raw = raw && nb_member_next(c, &m);
    }
    return BW_OK;
}

/* nbformat 3 outputs carry their data under short keys instead of a "data" bundle. */
static const struct {
    const char *key, *mime;
} nb_v3_mime[] = {
    {"html", "text/html"},
    {"latex", "text/latex"},
    {"markdown", "text/markdown"},
    {"svg", "image/svg+xml"},
    {"javascript", "application/javascript"},
    {"json", "application/json"},
};

enum { O_TEXT, O_DATA, O_ENAME, O_EVALUE, O_TRACEBACK, O_METADATA, O_V3 };

static bw_status nb_output(nb *c, int32_t cell, uint32_t k, json_t *o, size_t at)
{
    static const char *const keys[] = {"text", "data",  "ename",    "evalue", "traceback",  "metadata",
                                       "html", "latex", "markdown", "svg",    "javascript", "json"};
    size_t pos[BW_ARRAY_LEN(keys)];
    bw_nb_segment s = {cell, BW_NB_STREAM, k, "text", NULL, NULL, 0, 0};
    const char *type;
    json_t *v;

    _Static_assert(BW_ARRAY_LEN(keys) == O_V3 + BW_ARRAY_LEN(nb_v3_mime), "output keys");
    if (!json_is_object(o)) {
        return BW_OK;
    }
    type = json_string_value(json_object_get(o, "output_type"));
    nb_find(c, at, keys, BW_ARRAY_LEN(keys), pos);

    v = json_object_get(o, "text");
    if (v != NULL) {
        /* nbformat 3 "pyout" and "display_data" keep text/plain under "text" */
        if (c->v3 && type != NULL && strcmp(type, "stream") != 0) {
            s.part = BW_NB_TEXT;
            s.mime = "text/plain";
        }
        BW_TRY(nb_lines(c, &s, v, "", pos[O_TEXT]));
        s.mime = NULL;
    }
    s.part = BW_NB_TEXT;
    s.field = "data";
    BW_TRY(nb_bundle(c, &s, json_object_get(o, "data"), pos[O_DATA]));
    for (size_t i = 0; c->v3 && i < BW_ARRAY_LEN(nb_v3_mime); i++) {
        v = json_object_get(o, nb_v3_mime[i].key);
        if (v != NULL) {
            s.field = nb_v3_mime[i].key;
            BW_TRY(nb_mime_value(c, &s, nb_v3_mime[i].mime, v, pos[O_V3 + i]));
        }
    }
    s.part = BW_NB_ERROR;
    s.field = "ename";
    BW_TRY(nb_lines(c, &s, json_object_get(o, "ename"), "", pos[O_ENAME]));
    s.field = "evalue";
    BW_TRY(nb_lines(c, &s, json_object_get(o, "evalue"), "", pos[O_EVALUE]));
    s.field = "traceback";
    BW_TRY(nb_lines(c, &s, json_object_get(o, "traceback"), "\n", pos[O_TRACEBACK]));
    s.part = BW_NB_METADATA;
    s.field = "metadata";
    return nb_dump(c, &s, json_object_get(o, "metadata"), pos[O_METADATA]);
}

enum { C_SOURCE, C_INPUT, C_ATTACHMENTS, C_OUTPUTS, C_METADATA };

static bw_status nb_cell(nb *c, int32_t cell, json_t *o, size_t at)
{
    static const char *const keys[] = {"source", "input", "attachments", "outputs", "metadata"};
    size_t pos[BW_ARRAY_LEN(keys)];
    bw_nb_segment s = {cell, BW_NB_SOURCE, BW_NB_NO_OUTPUT, "source", NULL, NULL, 0, 0};
    json_t *att, *outs, *x;
    size_t i;

    if (!json_is_object(o)) {
        return BW_OK;
    }
    nb_find(c, at, keys, BW_ARRAY_LEN(keys), pos);
    BW_TRY(nb_lines(c, &s, json_object_get(o, "source"), "", pos[C_SOURCE]));
    s.field = "input";
    BW_TRY(nb_lines(c, &s, json_object_get(o, "input"), "", pos[C_INPUT]));

    /* markdown attachments: {"name.png": {"image/png": ...}} */
    att = json_object_get(o, "attachments");
    if (json_is_object(att)) {
        nb_member m;
        bool raw = nb_member_first(c, pos[C_ATTACHMENTS], &m);
        const char *k;

        s.part = BW_NB_TEXT;
        s.field = "attachments";
        json_object_foreach(att, k, x)
        {
            raw = raw && nb_key_eq(c, &m, k, strlen(k));
            BW_TRY(nb_bundle(c, &s, x, raw ? m.val : NPOS));
            raw = raw && nb_member_next(c, &m);
        }
    }

    outs = json_object_get(o, "outputs");
    if (json_is_array(outs)) {
        size_t e = nb_elem_first(c, pos[C_OUTPUTS]);

        json_array_foreach(outs, i, x)
        {
            if (i >= BW_NB_NO_OUTPUT) {
                return bw_fail_at(c->err, BW_ELIMIT, nb_off(c, e),
                                  "notebook: cell %" PRId32 ": over %" PRIu32 " outputs", cell, BW_NB_NO_OUTPUT - 1);
            }
            BW_TRY(nb_output(c, cell, (uint32_t)i, x, e));
            e = nb_elem_next(c, e);
        }
    }
    s.part = BW_NB_METADATA;
    s.output = BW_NB_NO_OUTPUT;
    s.field = "metadata";
    return nb_dump(c, &s, json_object_get(o, "metadata"), pos[C_METADATA]);
}

static bw_status nb_cells(nb *c, json_t *cells, size_t at, int32_t *next)
{
    size_t e = nb_elem_first(c, at), i;
    json_t *x;

    json_array_foreach(cells, i, x)
    {
        if (*next == INT32_MAX) {
            return bw_fail_at(c->err, BW_ELIMIT, nb_off(c, e), "notebook: over %" PRId32 " cells", INT32_MAX);
        }
        BW_TRY(nb_cell(c, (*next)++, x, e));
        e = nb_elem_next(c, e);
    }
    return BW_OK;
}

/* ---- the document ---- */

static bw_status nb_json_fail(nb *c, const json_error_t *jerr)
{
    enum json_error_code code = json_error_code(jerr);
    uint64_t at =
        jerr->position >= 0 && (uint64_t)jerr->position <= c->n ? c->base + (uint64_t)jerr->position : BW_NO_OFFSET;
    char esc[160];

    if (code == json_error_out_of_memory) {
        return bw_fail(c->err, BW_ENOMEM, "notebook: out of memory parsing JSON");
    }
    if (code == json_error_stack_overflow) {
        return bw_fail_at(c->err, BW_ELIMIT, at,
                          "notebook: line %d, column %d (byte %" PRIu64 "): nesting deeper than %d levels", jerr->line,
                          jerr->column, at == BW_NO_OFFSET ? 0 : at, JSON_PARSER_MAX_DEPTH);
    }
    bw_escape_for_log(jerr->text, strnlen(jerr->text, sizeof(jerr->text)), esc, sizeof(esc));
    return bw_fail_at(c->err, BW_EFORMAT, at, "notebook: line %d, column %d (byte %" PRIu64 "): %s", jerr->line,
                      jerr->column, at == BW_NO_OFFSET ? 0 : at, esc);
}

static const char *nb_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Check the shape that makes a notebook before visiting anything, so a visitor never sees half of a rejected file. */
static bw_status nb_check(nb *c, json_t *root, size_t top, json_t **cells, json_t **sheets, size_t *pos)
{
    size_t i, e;
    json_t *w;

    if (!json_is_object(root)) {
        return bw_fail_at(c->err, BW_EFORMAT, nb_off(c, top), "notebook: top level is %s, not a JSON object",
                          nb_type_name(root));
    }
    *cells = json_object_get(root, "cells");
    *sheets = json_object_get(root, "worksheets");
    if (*cells != NULL) {
        if (!json_is_array(*cells)) {
            return bw_fail_at(c->err, BW_EFORMAT, nb_off(c, pos[0]), "notebook: \"cells\" is %s, not an array",
                              nb_type_name(*cells));
        }
        *sheets = NULL;
        return BW_OK;
    }
    if (*sheets == NULL) {
        return bw_fail_at(c->err, BW_EFORMAT, nb_off(c, top),
                          "notebook: no \"cells\" (nbformat 4) or \"worksheets\" (nbformat 3): not a Jupyter notebook");
    }
    if (!json_is_array(*sheets)) {
        return bw_fail_at(c->err, BW_EFORMAT, nb_off(c, pos[1]), "notebook: \"worksheets\" is %s, not an array",
                          nb_type_name(*sheets));
    }
    e = nb_elem_first(c, pos[1]);
    json_array_foreach(*sheets, i, w)
    {
        json_t *wc = json_object_get(w, "cells"); /* NULL when w is not an object */
        if (!json_is_array(wc)) {
            return bw_fail_at(c->err, BW_EFORMAT, nb_off(c, e), "notebook: worksheets[%zu] has no \"cells\" array", i);
        }
        e = nb_elem_next(c, e);
    }
    c->v3 = true;
    return BW_OK;
}

static bw_status nb_walk(nb *c, json_t *root, size_t top)
{
    static const char *const keys[] = {"cells", "worksheets", "metadata"};
    size_t pos[BW_ARRAY_LEN(keys)], body;
    bw_nb_segment meta = {-1, BW_NB_METADATA, BW_NB_NO_OUTPUT, "metadata", NULL, NULL, 0, 0};
    json_t *cells = NULL, *sheets = NULL, *w;
    int32_t next = 0;
    bool meta_first;
    size_t i;

    nb_find(c, top, keys, BW_ARRAY_LEN(keys), pos);
    BW_TRY(nb_check(c, root, top, &cells, &sheets, pos));
    body = cells != NULL ? pos[0] : pos[1];
    meta_first = pos[2] != NPOS && body != NPOS && pos[2] < body;
    if (meta_first) {
        BW_TRY(nb_dump(c, &meta, json_object_get(root, "metadata"), pos[2]));
    }
    if (cells != NULL) {
        BW_TRY(nb_cells(c, cells, pos[0], &next));
    } else {
        size_t e = nb_elem_first(c, pos[1]);
        json_array_foreach(sheets, i, w)
        {
            size_t wpos[2];
            static const char *const wkeys[] = {"cells", "metadata"};

            nb_find(c, e, wkeys, 2, wpos);
            BW_TRY(nb_cells(c, json_object_get(w, "cells"), wpos[0], &next));
            /* a worksheet's own metadata belongs to no cell */
            BW_TRY(nb_dump(c, &meta, json_object_get(w, "metadata"), wpos[1]));
            e = nb_elem_next(c, e);
        }
    }
    if (!meta_first) {
        BW_TRY(nb_dump(c, &meta, json_object_get(root, "metadata"), pos[2]));
    }
    return BW_OK;
}

bw_status bw_nb_each(const void *p, size_t n, bw_nb_visit visit, void *ctx, bw_error *err)
{
    nb c;
    json_t *root = NULL;
    json_error_t jerr;
    bw_status rc;

    if ((p == NULL && n > 0) || visit == NULL) {
        return bw_fail(err, BW_EINVAL, "bw_nb_each: bad argument");
    }
    if (n > BW_NB_MAX_BYTES) {
        return bw_fail(err, BW_ELIMIT, "notebook: %zu bytes, over the limit of %zu", n, BW_NB_MAX_BYTES);
    }
    memset(&c, 0, sizeof(c));
    c.p = n > 0 ? p : (const uint8_t *)"";
    c.n = n;
    c.visit = visit;
    c.ctx = ctx;
    c.err = err;
    if (n >= 3 && c.p[0] == 0xef && c.p[1] == 0xbb && c.p[2] == 0xbf) {
        c.p += 3; /* a UTF-8 byte order mark from an editor; jansson refuses it */
        c.n -= 3;
        c.base = 3;
    }
    bw_buf_init(&c.buf, NB_TEXT_MAX);
    root = json_loadb((const char *)c.p, c.n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        rc = nb_json_fail(&c, &jerr);
        goto out;
    }
    rc = nb_walk(&c, root, nb_ws(&c, 0));
out:
    json_decref(root);
    bw_buf_release(&c.buf);
    return rc;
}

bool bw_nb_sniff(const void *p, size_t n)
{
    static const char nbformat[] = "\"nbformat\"";
    const uint8_t *s = p;
    size_t i = 0, w = BW_MIN(n, NB_SNIFF_WINDOW);

    if (p == NULL) {
        return false;
    }
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
        i = 3;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
        i++;
    }
    if (i >= n || s[i] != '{') {
        return false;
    }
    if (memmem(s, w, nbformat, sizeof(nbformat) - 1) == NULL &&
        memmem(s + n - w, w, nbformat, sizeof(nbformat) - 1) == NULL) {
        return false;
    }
    return memmem(s, n, "\"cells\"", 7) != NULL || memmem(s, n, "\"worksheets\"", 12) != NULL;
}
