/*
 * suite_load.c - reading expectation suites: bulwark's YAML format, the same
 * format written as JSON, and Great Expectations suite JSON (1.x and 0.x).
 *
 * Both syntaxes are first turned into one jansson tree plus a side table of
 * source positions (line and column of each container and string, and of the
 * key it sits under), then one walker reads the tree into a bw_suite through
 * bw_suite_new/bw_suite_add/bw_suite_add_col. Every error names the file and,
 * where the table knows it, the line and column: "FILE:LINE:COL: message".
 *
 * YAML is read through libyaml's event API, never its document loader, so an
 * alias (*name) is refused the moment it appears: no node is ever shared,
 * and billion-laughs style expansion cannot happen. Scalars are typed by the
 * YAML 1.2 core schema (plain true/false/null/~, integers, floats including
 * .inf and .nan; quoted scalars are always strings). Limits: the file size
 * (BW_SUITE_MAX_BYTES), nesting depth (MAX_DEPTH) and node count (MAX_NODES);
 * duplicate keys are errors, as are mapping keys that are not scalars.
 *
 * JSON goes through jansson (duplicate keys rejected). Its positions come
 * from a second, trivial pass over the already-validated text that lists
 * every value's start in document order; jansson keeps object members in
 * insertion order, so a pre-order walk of the tree meets the values in the
 * same order and the two lists zip together.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <yaml.h>

#include "bulwark/bw_file.h"
#include "data/suite_internal.h"

#define MAX_DEPTH 64
#define MAX_NODES ((size_t)1 << 20)

/*
 * Where a value is in the source (1-based; 0: unknown). Every value gets an
 * entry, found by its address (containers and strings) or, since true,
 * false and null are shared singletons in jansson, by its parent and its
 * index there (the insertion order of an object's members).
 */
struct pos {
    const json_t *v;
    const json_t *parent; /* NULL for the root */
    size_t idx;           /* index in the parent */
    unsigned line, col;   /* the value */
    unsigned kline, kcol; /* the key it is the value of (0 in a sequence) */
};

struct ld {
    const char *name; /* the source, for messages */
    struct pos *pos;  /* in document order */
    size_t npos, cappos;
    struct pos *byv, *bym; /* sorted copies: by value address, by (parent, index) */
    bw_error *err;
};

/* ---- positions ----------------------------------------------------------- */

static bool is_singleton(const json_t *v)
{
    /* json_true/false/null are shared objects: their address says nothing about where they are */
    return v == NULL || json_is_true(v) || json_is_false(v) || json_is_null(v);
}

static bw_status pos_add(struct ld *L, const json_t *parent, size_t idx, const json_t *v, unsigned line, unsigned col,
                         unsigned kline, unsigned kcol)
{
    if (L->npos == L->cappos) {
        size_t cap = L->cappos != 0 ? L->cappos * 2 : 256;
        struct pos *p = bw_reallocarray(L->pos, cap, sizeof(*p));
        if (p == NULL) {
            return bw_fail(L->err, BW_ENOMEM, "out of memory");
        }
        L->pos = p;
        L->cappos = cap;
    }
    L->pos[L->npos++] = (struct pos){v, parent, idx, line, col, kline, kcol};
    return BW_OK;
}

static int cmp_v(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct pos *)a)->v, y = (uintptr_t)((const struct pos *)b)->v;
    return x < y ? -1 : x > y;
}

static int cmp_m(const void *a, const void *b)
{
    const struct pos *p = a, *q = b;
    uintptr_t x = (uintptr_t)p->parent, y = (uintptr_t)q->parent;
    if (x != y) {
        return x < y ? -1 : 1;
    }
    return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* Sort the two views once, after the tree is built (lookups only happen afterwards). */
static bool pos_ready(struct ld *L)
{
    if (L->npos == 0) {
        return false;
    }
    if (L->byv == NULL) {
        L->byv = bw_reallocarray(NULL, L->npos, sizeof(*L->byv));
        L->bym = bw_reallocarray(NULL, L->npos, sizeof(*L->bym));
        if (L->byv == NULL || L->bym == NULL) {
            BW_FREE(L->byv);
            BW_FREE(L->bym);
            return false; /* positions are a nicety: messages go without them */
        }
        memcpy(L->byv, L->pos, L->npos * sizeof(*L->pos));
        memcpy(L->bym, L->pos, L->npos * sizeof(*L->pos));
        qsort(L->byv, L->npos, sizeof(*L->byv), cmp_v);
        qsort(L->bym, L->npos, sizeof(*L->bym), cmp_m);
    }
    return true;
}

static const struct pos *pos_of(struct ld *L, const json_t *v)
{
    struct pos key = {.v = v};

    if (is_singleton(v) || !pos_ready(L)) {
        return NULL;
    }
    return bsearch(&key, L->byv, L->npos, sizeof(*L->byv), cmp_v);
}

/* The member `key` of object `parent`, or element `idx` of array `parent`. */
static const struct pos *pos_member(struct ld *L, const json_t *parent, const char *key, size_t idx)
{
    struct pos want = {.parent = parent, .idx = idx};

    if (parent == NULL || !pos_ready(L)) {
        return NULL;
    }
    if (key != NULL) {
        const char *k;
        json_t *v;
        size_t i = 0;
        want.idx = SIZE_MAX;
        json_object_foreach((json_t *)parent, k, v)
        {
            if (strcmp(k, key) == 0) {
                want.idx = i;
                break;
            }
            i++;
        }
    }
    return bsearch(&want, L->bym, L->npos, sizeof(*L->bym), cmp_m);
}

/* Messages quote keys and names from the file: control characters are escaped before they reach a terminal. */
static bw_status emit(struct ld *L, bw_status code, unsigned line, unsigned col, const char *fmt, va_list ap)
{
    char raw[BW_ERROR_MSG_SIZE], msg[BW_ERROR_MSG_SIZE];

    vsnprintf(raw, sizeof(raw), fmt, ap);
    bw_escape_for_log(raw, strlen(raw), msg, sizeof(msg));
    if (line != 0) {
        return bw_fail(L->err, code, "%s:%u:%u: %s", L->name, line, col, msg);
    }
    return bw_fail(L->err, code, "%s: %s", L->name, msg);
}

/* Record an error at value `at` (a container or string), else at `parent`. */
static bw_status BW_PRINTF(5, 6)
    failv(struct ld *L, bw_status code, const json_t *at, const json_t *parent, const char *fmt, ...)
{
    const struct pos *p = pos_of(L, at);
    va_list ap;
    bw_status rc;

    if (p == NULL) {
        p = pos_of(L, parent);
    }
    va_start(ap, fmt);
    rc = emit(L, code, p != NULL ? p->line : 0, p != NULL ? p->col : 0, fmt, ap);
    va_end(ap);
    return rc;
}

#define fail_fmt(L, at, parent, ...) failv((L), BW_EFORMAT, (at), (parent), __VA_ARGS__)

/*
 * Record an error at member `key` (or element `idx`) of `parent`: at its key
 * when `at_key`, else at its value; at `parent` when unknown.
 */
static bw_status BW_PRINTF(6, 7)
    failm(struct ld *L, const json_t *parent, const char *key, size_t idx, bool at_key, const char *fmt, ...)
{
    const struct pos *p = pos_member(L, parent, key, idx);
    unsigned line = 0, col = 0;
    va_list ap;
    bw_status rc;

    if (p != NULL) {
        line = at_key && p->kline != 0 ? p->kline : p->line;
        col = at_key && p->kline != 0 ? p->kcol : p->col;
    } else if ((p = pos_of(L, parent)) != NULL) {
        line = p->line;
        col = p->col;
    }
    va_start(ap, fmt);
    rc = emit(L, BW_EFORMAT, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

static unsigned line_of(struct ld *L, const json_t *v)
{
    const struct pos *p = pos_of(L, v);
    return p != NULL ? p->line : 0;
}

/* ---- YAML to JSON ---------------------------------------------------------- */

static bool all_digits(const char *s, size_t n, int base)
{
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        bool ok = base == 16 ? isxdigit(c) : base == 8 ? (c >= '0' && c <= '7') : isdigit(c);
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool is_core_float(const char *s, size_t n)
{
    size_t i = 0, digits = 0;

    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    while (i < n && isdigit((unsigned char)s[i])) {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        e0 = i;
        while (i < n && isdigit((unsigned char)s[i])) {
            i++;
        }
        if (i == e0) {
            return false;
        }
    }
    return i == n;
}

static bool eq_any(const char *s, size_t n, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++) {
        if (strlen(words[i]) == n && memcmp(s, words[i], n) == 0) {
            return true;
        }
    }
    return false;
}

enum { PLAIN_OK, PLAIN_NAN, PLAIN_NOMEM };

/* The YAML 1.2 core schema's resolution of a plain scalar into *out (NULL on out of memory). */

static int plain_scalar(const char *s, size_t n, json_t **out)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninfs[] = {"-.inf", "-.Inf", "-.INF", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    char tmp[128];

    if (eq_any(s, n, nulls)) {
        *out = json_null();
        return PLAIN_OK;
    }
    if (eq_any(s, n, trues) || eq_any(s, n, falses)) {
        *out = json_boolean(eq_any(s, n, trues));
        return PLAIN_OK;
    }
    if (eq_any(s, n, nans)) {
        return PLAIN_NAN;
    }
    /* JSON has no infinity: the largest double stands in (every finite value is below it) */
    if (eq_any(s, n, infs) || eq_any(s, n, ninfs)) {
        *out = json_real(s[0] == '-' ? -DBL_MAX : DBL_MAX);
        return *out != NULL ? PLAIN_OK : PLAIN_NOMEM;
    }
    if (n < sizeof(tmp)) {
        size_t sign = (s[0] == '-' || s[0] == '+') ? 1 : 0;
        int base = 0;
        if (n > 2 && s[0] == '0' && s[1] == 'x' && all_digits(s + 2, n - 2, 16)) {
            base = 16;
        } else if (n > 2 && s[0] == '0' && s[1] == 'o' && all_digits(s + 2, n - 2, 8)) {
            base = 8;
        } else if (all_digits(s + sign, n - sign, 10)) {
            base = 10;
        }
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        if (base != 0) {
            const char *digits = base == 10 ? tmp : tmp + 2;
            char *end;
            errno = 0;
            long long v = strtoll(digits, &end, base);
            if (errno == 0 && *end == '\0') {
                *out = json_integer(v);
                return *out != NULL ? PLAIN_OK : PLAIN_NOMEM;
            }
            if (base == 10) {
                /* too large for int64: keep it as a number, as JSON readers do */
                *out = json_real(strtod(tmp, NULL));
                return *out != NULL ? PLAIN_OK : PLAIN_NOMEM;
            }
        } else if (is_core_float(s, n)) {
            double d = strtod(tmp, NULL);
            if (!isfinite(d)) {
                d = d < 0 ? -DBL_MAX : DBL_MAX;
            }
            *out = json_real(d);
            return *out != NULL ? PLAIN_OK : PLAIN_NOMEM;
        }
    }
    *out = json_stringn(s, n);
    return *out != NULL ? PLAIN_OK : PLAIN_NOMEM;
}

struct frame {
    json_t *c; /* borrowed: the parent (or the root) holds the reference */
    int map;
    char *key; /* pending key of a mapping */
    size_t keylen;
    unsigned kline, kcol;
};

struct ybuild {
    struct ld *L;
    struct frame st[MAX_DEPTH];
    int depth;
    json_t *root;
    size_t nodes;
};

static bw_status yfail(struct ybuild *b, bw_status code, const yaml_mark_t *m, const char *fmt, const char *arg)
{
    char shown[80], msg[200];

    bw_escape_for_log(arg != NULL ? arg : "", arg != NULL ? strlen(arg) : 0, shown, sizeof(shown));
    snprintf(msg, sizeof(msg), fmt, shown);
    return bw_fail_at(b->L->err, code, m->index, "%s:%lu:%lu: %s", b->L->name, (unsigned long)m->line + 1,
                      (unsigned long)m->column + 1, msg);
}

/* Attach a new value (reference taken) where the parser is. */
static bw_status attach(struct ybuild *b, json_t *v, const yaml_mark_t *m)
{
    struct frame *f = b->depth > 0 ? &b->st[b->depth - 1] : NULL;
    unsigned kl = 0, kc = 0;
    size_t idx = 0;
    int rc = 0;

    if (v == NULL) {
        return bw_fail(b->L->err, BW_ENOMEM, "out of memory");
    }
    if (++b->nodes > MAX_NODES) {
        json_decref(v);
        return yfail(b, BW_ELIMIT, m, "more than 1048576 values in the suite%s", NULL);
    }
    if (f == NULL) {
        b->root = v;
    } else if (f->map) {
        kl = f->kline;
        kc = f->kcol;
        idx = json_object_size(f->c);
        rc = json_object_setn_new(f->c, f->key, f->keylen, v);
        BW_FREE(f->key);
    } else {
        idx = json_array_size(f->c);
        rc = json_array_append_new(f->c, v);
    }
    if (rc != 0) {
        return bw_fail(b->L->err, BW_ENOMEM, "out of memory");
    }
    return pos_add(b->L, f != NULL ? f->c : NULL, idx, v, (unsigned)m->line + 1, (unsigned)m->column + 1, kl, kc);
}

static bool std_tag(const yaml_char_t *tag, const char *what)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    const char *t = (const char *)tag;

    return tag == NULL || strcmp(t, "!") == 0 ||
           (strncmp(t, prefix, sizeof(prefix) - 1) == 0 && strcmp(t + sizeof(prefix) - 1, what) == 0);
}

static bw_status on_scalar(struct ybuild *b, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const yaml_mark_t *m = &ev->start_mark;
    struct frame *f = b->depth > 0 ? &b->st[b->depth - 1] : NULL;
    const yaml_char_t *tag = ev->data.scalar.tag;
    bool as_string = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    json_t *v = NULL;

    if (tag != NULL) {
        if (!std_tag(tag, "str")) {
            return yfail(b, BW_EFORMAT, m, "tag '%s' is not supported (only !!str)", (const char *)tag);
        }
        as_string = true;
    }
    if (memchr(s, '\0', n) != NULL) {
        /* JSON suites cannot hold one either (jansson refuses \u0000), and C strings end there */
        return yfail(b, BW_EFORMAT, m, "a NUL character (\\0) in a string%s", NULL);
    }
    if (f != NULL && f->map && f->key == NULL) {
        /* a key: always text, never repeated */
        if (json_object_getn(f->c, s, n) != NULL) {
            return yfail(b, BW_EFORMAT, m, "duplicate key '%s'", s); /* no NUL: checked above */
        }
        f->key = bw_strndup(s, n);
        if (f->key == NULL) {
            return bw_fail(b->L->err, BW_ENOMEM, "out of memory");
        }
        f->keylen = n;
        f->kline = (unsigned)m->line + 1;
        f->kcol = (unsigned)m->column + 1;
        return BW_OK;
    }
    if (as_string) {
        v = json_stringn(s, n);
    } else {
        int r = plain_scalar(s, n, &v);
        if (r == PLAIN_NAN) {
            return yfail(b, BW_EFORMAT, m, "NaN is not a usable value here%s", NULL);
        }
    }
    return attach(b, v, m);
}

static bw_status on_start(struct ybuild *b, const yaml_event_t *ev, int map)
{
    const yaml_mark_t *m = &ev->start_mark;
    struct frame *f = b->depth > 0 ? &b->st[b->depth - 1] : NULL;
    const yaml_char_t *tag = map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    json_t *c;

    if (!std_tag(tag, map ? "map" : "seq")) {
        return yfail(b, BW_EFORMAT, m, "tag '%s' is not supported", (const char *)tag);
    }
    if (f != NULL && f->map && f->key == NULL) {
        return yfail(b, BW_EFORMAT, m, "mapping keys must be scalars, not a %s", map ? "mapping" : "sequence");
    }
    if (b->depth == MAX_DEPTH) {
        return yfail(b, BW_ELIMIT, m, "nested more than 64 levels deep%s", NULL);
    }
    c = map ? json_object() : json_array();
    BW_TRY(attach(b, c, m));
    b->st[b->depth++] = (struct frame){.c = c, .map = map};
    return BW_OK;
}

static bw_status yaml_to_json(struct ld *L, const char *text, size_t n, json_t **out)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct ybuild b = {.L = L};
    bw_status rc = BW_OK;
    int docs = 0;
    bool done = false;

    *out = NULL;
    if (!yaml_parser_initialize(&parser)) {
        return bw_fail(L->err, BW_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
    while (rc == BW_OK && !done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = &parser.problem_mark;
            if (parser.error == YAML_MEMORY_ERROR) {
                rc = bw_fail(L->err, BW_ENOMEM, "out of memory");
            } else {
                rc = bw_fail_at(L->err, BW_EFORMAT, m->index, "%s:%lu:%lu: %s%s%s%s", L->name,
                                (unsigned long)m->line + 1, (unsigned long)m->column + 1,
                                parser.problem != NULL ? parser.problem : "malformed YAML",
                                parser.context != NULL ? " (" : "", parser.context != NULL ? parser.context : "",
                                parser.context != NULL ? ")" : "");
            }
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                rc = yfail(&b, BW_EFORMAT, &ev.start_mark, "more than one YAML document (one suite per file)%s", NULL);
            }
            break;
        case YAML_ALIAS_EVENT:
            rc = yfail(&b, BW_EFORMAT, &ev.start_mark, "aliases (*%s) are not supported",
                       (const char *)ev.data.alias.anchor);
            break;
        case YAML_SCALAR_EVENT: rc = on_scalar(&b, &ev); break;
        case YAML_SEQUENCE_START_EVENT: rc = on_start(&b, &ev, 0); break;
        case YAML_MAPPING_START_EVENT: rc = on_start(&b, &ev, 1); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (b.depth > 0) {
                b.depth--;
            }
            break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    for (int i = 0; i < b.depth; i++) {
        bw_free(b.st[i].key);
    }
    if (rc == BW_OK && b.root == NULL) {
        rc = bw_fail(L->err, BW_EFORMAT, "%s: empty suite (no YAML document)", L->name);
    }
    if (rc != BW_OK) {
        json_decref(b.root);
        return rc;
    }
    *out = b.root;
    return BW_OK;
}

/* ---- JSON positions -------------------------------------------------------- */

/* The start of every value of a valid JSON text, in document order. */
struct jscan {
    const char *p, *end;
    unsigned line;
    const char *line_start;
    struct pos *v;
    size_t n, cap;
    int depth;
};

static void js_ws(struct jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
        if (*s->p == '\n') {
            s->line++;
            s->line_start = s->p + 1;
        }
        s->p++;
    }
}

static void js_string(struct jscan *s)
{
    s->p++; /* the opening quote */
    while (s->p < s->end && *s->p != '"') {
        s->p += *s->p == '\\' && s->p + 1 < s->end ? 2 : 1;
    }
    s->p++;
}

static bool js_value(struct jscan *s, unsigned kline, unsigned kcol)
{
    js_ws(s);
    if (s->p >= s->end || s->depth > MAX_DEPTH) {
        return false;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap != 0 ? s->cap * 2 : 256;
        struct pos *v = bw_reallocarray(s->v, cap, sizeof(*v));
        if (v == NULL) {
            return false;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (struct pos){NULL, NULL, 0, s->line, (unsigned)(s->p - s->line_start) + 1, kline, kcol};
    if (*s->p == '"') {
        js_string(s);
        return true;
    }
    if (*s->p == '{' || *s->p == '[') {
        bool obj = *s->p == '{';
        char close = obj ? '}' : ']';
        s->p++;
        s->depth++;
        js_ws(s);
        if (s->p < s->end && *s->p == close) {
            s->p++;
            s->depth--;
            return true;
        }
        for (;;) {
            unsigned kl = 0, kc = 0;
            if (obj) {
                js_ws(s);
                kl = s->line;
                kc = (unsigned)(s->p - s->line_start) + 1;
                if (s->p >= s->end || *s->p != '"') {
                    return false;
                }
                js_string(s);
                js_ws(s);
                if (s->p >= s->end || *s->p != ':') {
                    return false;
                }
                s->p++;
            }
            if (!js_value(s, kl, kc)) {
                return false;
            }
            js_ws(s);
            if (s->p >= s->end) {
                return false;
            }
            if (*s->p == close) {
                s->p++;
                s->depth--;
                return true;
            }
            if (*s->p != ',') {
                return false;
            }
            s->p++;
        }
    }
    /* a number or a literal */
    while (s->p < s->end && strchr(",]} \t\r\n", *s->p) == NULL) {
        s->p++;
    }
    return true;
}

/* Pair the scanned positions with the tree's values in pre-order. */
static bw_status js_zip(struct ld *L, const json_t *parent, size_t idx, const json_t *v, const struct jscan *s,
                        size_t *i, int depth)
{
    if (*i >= s->n) {
        return BW_OK;
    }
    const struct pos *p = &s->v[(*i)++];
    if (depth > MAX_DEPTH) {
        return bw_fail(L->err, BW_ELIMIT, "%s:%u:%u: nested more than 64 levels deep", L->name, p->line, p->col);
    }
    BW_TRY(pos_add(L, parent, idx, v, p->line, p->col, p->kline, p->kcol));
    if (json_is_object(v)) {
        const char *k;
        const json_t *m;
        size_t j = 0;
        json_object_foreach((json_t *)v, k, m)
        {
            BW_TRY(js_zip(L, v, j++, m, s, i, depth + 1));
        }
    } else if (json_is_array(v)) {
        for (size_t j = 0; j < json_array_size(v); j++) {
            BW_TRY(js_zip(L, v, j, json_array_get(v, j), s, i, depth + 1));
        }
    }
    return BW_OK;
}

static bw_status json_positions(struct ld *L, const char *text, size_t n, const json_t *root)
{
    struct jscan s = {.p = text, .end = text + n, .line = 1, .line_start = text};
    size_t i = 0;
    bw_status rc = BW_OK;

    if (js_value(&s, 0, 0)) {
        rc = js_zip(L, NULL, 0, root, &s, &i, 0);
    } else if (s.depth > MAX_DEPTH) {
        rc = bw_fail(L->err, BW_ELIMIT, "%s:%u:%u: nested more than 64 levels deep", L->name, s.line,
                     (unsigned)(s.p - s.line_start) + 1);
    }
    bw_free(s.v);
    return rc;
}

/* ---- the suite ---------------------------------------------------------------- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static bw_status read_data(struct ld *L, bw_suite *s, const json_t *data, const json_t *root)
{
    const char *k;
    json_t *v;

    if (!json_is_object(data)) {
        return failm(L, root, "data", 0, false, "'data' must be a mapping (format, delimiter, header, nulls), not %s",
                     type_name(data));
    }
    json_object_foreach((json_t *)data, k, v)
    {
        if (strcmp(k, "format") == 0) {
            const char *f = json_string_value(v);
            if (f == NULL || (strcmp(f, "csv") != 0 && strcmp(f, "tsv") != 0 && strcmp(f, "jsonl") != 0 &&
                              strcmp(f, "ndjson") != 0 && strcmp(f, "parquet") != 0 && strcmp(f, "auto") != 0)) {
                return failm(L, data, k, 0, false, "data.format must be auto, csv, tsv, jsonl or parquet");
            }
            if (strcmp(f, "tsv") == 0 && s->delim == 0) {
                s->delim = '\t';
            }
            s->format = strcmp(f, "parquet") == 0                             ? BW_FMT_PARQUET
                        : strcmp(f, "jsonl") == 0 || strcmp(f, "ndjson") == 0 ? BW_FMT_JSONL
                        : strcmp(f, "auto") == 0                              ? BW_FMT_AUTO
                                                                              : BW_FMT_CSV;
        } else if (strcmp(k, "delimiter") == 0) {
            const char *d = json_string_value(v);
            if (d != NULL && (strcmp(d, "tab") == 0 || strcmp(d, "\\t") == 0)) {
                s->delim = '\t';
            } else if (d != NULL && strlen(d) == 1 && json_string_length(v) == 1 && d[0] != '"' && d[0] != '\n' &&
                       d[0] != '\r') {
                s->delim = d[0];
            } else {
                return failm(L, data, k, 0, false, "data.delimiter must be one character (or \"tab\")");
            }
        } else if (strcmp(k, "header") == 0) {
            if (!json_is_boolean(v)) {
                return failm(L, data, k, 0, false, "data.header must be true or false, not %s", type_name(v));
            }
            s->header = json_is_true(v);
        } else if (strcmp(k, "nulls") == 0) {
            size_t m = json_is_array(v) ? json_array_size(v) : 1;
            char **nv;
            if (!json_is_array(v) && !json_is_string(v)) {
                return failm(L, data, k, 0, false, "data.nulls must be a list of strings");
            }
            if (m > 1000) {
                return failv(L, BW_ELIMIT, v, data, "data.nulls has more than 1000 entries");
            }
            nv = bw_calloc(m + 1, sizeof(*nv));
            if (nv == NULL) {
                return bw_fail(L->err, BW_ENOMEM, "out of memory");
            }
            for (size_t i = 0; i < s->nnulls; i++) {
                bw_free(s->nulls[i]);
            }
            bw_free(s->nulls);
            s->nulls = nv;
            s->nnulls = 0;
            s->has_nulls = 1;
            for (size_t i = 0; i < m; i++) {
                const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
                if (!json_is_string(e) || memchr(json_string_value(e), '\0', json_string_length(e)) != NULL) {
                    return failm(L, v, NULL, i, false, "data.nulls[%zu] must be a string", i);
                }
                nv[i] = bw_strdup(json_string_value(e));
                if (nv[i] == NULL) {
                    return bw_fail(L->err, BW_ENOMEM, "out of memory");
                }
                s->nnulls = i + 1;
            }
        } else {
            return failm(L, data, k, 0, true, "unknown key 'data.%s' (expected format, delimiter, header, nulls)", k);
        }
    }
    return BW_OK;
}

/* bw_suite_add with the position and index in front of the engine's message. */
static bw_status add_exp(struct ld *L, bw_suite *s, const char *type, json_t *kwargs, json_t *meta, const json_t *at,
                         const json_t *parent, const char *what)
{
    bw_error e = {0};
    unsigned line = line_of(L, at);
    bw_status rc;

    if (line == 0) {
        line = line_of(L, parent);
    }
    if (kwargs == NULL) {
        json_decref(meta);
        return bw_fail(L->err, BW_ENOMEM, "out of memory");
    }
    rc = bw_suite_add(s, type, kwargs, meta, line, &e);
    if (rc != BW_OK) {
        /* the engine's message may start with the type, which `what` already names */
        const char *m = e.msg, *t = type;
        if (strncmp(m, "expect_", 7) == 0 && strncmp(t, "expect_", 7) != 0) {
            m += 7;
        }
        size_t tl = strlen(t);
        if (strncmp(m, t, tl) == 0 && m[tl] == ':' && m[tl + 1] == ' ') {
            m += tl + 2;
        } else {
            m = e.msg;
        }
        return failv(L, rc, at, parent, "%s: %s", what, m);
    }
    return BW_OK;
}

static bw_status read_columns(struct ld *L, bw_suite *s, const json_t *cols, const json_t *root)
{
    const char *k;
    json_t *v;
    size_t i = 0;

    if (!json_is_object(cols)) {
        return failm(L, root, "columns", 0, false, "'columns' must be a mapping of column names, not %s",
                     type_name(cols));
    }
    json_object_foreach((json_t *)cols, k, v)
    {
        const json_t *tv = NULL, *req = NULL, *nullable = NULL;
        bw_dtype t = BW_DT_NULL;
        char what[160];
        i++;
        if (json_is_string(v)) {
            tv = v;
        } else if (json_is_object(v)) {
            const char *ck;
            json_t *cv;
            json_object_foreach(v, ck, cv)
            {
                if (strcmp(ck, "type") == 0) {
                    tv = cv;
                } else if (strcmp(ck, "required") == 0) {
                    req = cv;
                } else if (strcmp(ck, "nullable") == 0) {
                    nullable = cv;
                } else {
                    return failm(L, v, ck, 0, true, "column '%s': unknown key '%s' (expected type, required, nullable)",
                                 k, ck);
                }
            }
        } else if (!json_is_null(v)) {
            return failm(L, cols, k, 0, false, "column '%s': expected a type name or a mapping, not %s", k,
                         type_name(v));
        }
        if (tv != NULL && (!json_is_string(tv) || bw_dtype_parse(json_string_value(tv), &t) != BW_OK)) {
            return failm(L, json_is_object(v) ? v : cols, json_is_object(v) ? "type" : k, 0, false,
                         "column '%s': type must be bool, int64, float64, string, date or timestamp", k);
        }
        if ((req != NULL && !json_is_boolean(req)) || (nullable != NULL && !json_is_boolean(nullable))) {
            return failm(L, v, req != NULL && !json_is_boolean(req) ? "required" : "nullable", 0, false,
                         "column '%s': required and nullable must be true or false", k);
        }
        bool required = req == NULL || json_is_true(req);
        BW_TRY(bw_suite_add_col(s, k, tv != NULL, t, required, L->err));
        snprintf(what, sizeof(what), "columns.%s", k);
        /*
         * The engine derives "column exists" (required columns) and "values of type" (typed ones)
         * from s->cols itself; "nullable: false" is an ordinary expectation added here.
         */
        const json_t *at = json_is_object(v) || json_is_string(v) ? v : cols;
        unsigned line = line_of(L, at);
        s->cols[s->ncols - 1].line = line != 0 ? line : line_of(L, cols); /* where reports point the derived ones */
        if (nullable != NULL && json_is_false(nullable)) {
            json_t *kw = json_pack("{s:s}", "column", k);
            BW_TRY(add_exp(L, s, "expect_column_values_to_not_be_null", kw, NULL, at, cols, what));
        }
    }
    return BW_OK;
}

/* GE kwargs that only steer GE's own output or runtime: dropped. */
static const char *const ignored_kwargs[] = {"result_format", "catch_exceptions", "include_config", "batch_id", NULL};

/* Drop the arguments we ignore, refuse the ones we cannot honour; `orig` is where kw was copied from. */
static bw_status clean_kwargs(struct ld *L, json_t *kw, const json_t *orig, const char *what)
{
    const char *k;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(kw, tmp, k, v)
    {
        if (strcmp(k, "row_condition") == 0 || strcmp(k, "condition_parser") == 0) {
            if (!json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0)) {
                return failm(L, orig, k, 0, true, "%s: '%s' is not supported (filter the data before validating it)",
                             what, k);
            }
            json_object_del(kw, k);
            continue;
        }
        if (json_is_object(v) && json_object_get(v, "$PARAMETER") != NULL) {
            return failm(L, orig, k, 0, true, "%s: '%s' uses a suite parameter ($PARAMETER), which is not supported",
                         what, k);
        }
        for (size_t i = 0; ignored_kwargs[i] != NULL; i++) {
            if (strcmp(k, ignored_kwargs[i]) == 0) {
                json_object_del(kw, k);
                break;
            }
        }
    }
    return BW_OK;
}

/* GE 1.x's expectation-level "severity": critical, warning or info, into meta.severity. */
static bw_status take_severity(struct ld *L, const json_t *sev, json_t **meta, const json_t *parent, const char *what)
{
    const char *v = json_string_value(sev);
    const char *mapped;

    if (v != NULL && (strcmp(v, "critical") == 0 || strcmp(v, "error") == 0)) {
        mapped = "error";
    } else if (v != NULL && (strcmp(v, "warning") == 0 || strcmp(v, "info") == 0)) {
        mapped = "warning";
    } else {
        return failm(L, parent, "severity", 0, false, "%s: severity must be error (critical) or warning (info)", what);
    }
    if (*meta == NULL) {
        *meta = json_object();
        if (*meta == NULL) {
            return bw_fail(L->err, BW_ENOMEM, "out of memory");
        }
    }
    if (json_object_get(*meta, "severity") == NULL &&
        json_object_set_new(*meta, "severity", json_string(mapped)) != 0) {
        return bw_fail(L->err, BW_ENOMEM, "out of memory");
    }
    return BW_OK;
}

static const char *const ignored_exp_keys[] = {"id", "notes", "description", "rendered_content", "ge_cloud_id", NULL};

static bw_status read_expectation(struct ld *L, bw_suite *s, const json_t *e, size_t idx, const json_t *list)
{
    char what[200];
    const char *type = NULL;
    const json_t *kw = NULL, *meta = NULL, *sev = NULL, *meta_parent = e;
    json_t *kwc = NULL, *metac = NULL;
    bw_status rc;

    snprintf(what, sizeof(what), "expectations[%zu]", idx);
    if (!json_is_object(e)) {
        return failm(L, list, NULL, idx, false, "%s: expected a mapping (TYPE: {kwargs} or type/kwargs/meta), not %s",
                     what, type_name(e));
    }
    const json_t *tv = json_object_get(e, "type");
    if (tv == NULL) {
        tv = json_object_get(e, "expectation_type");
    }
    if (tv != NULL) {
        /* the long form, GE's own */
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)e, k, v)
        {
            if (strcmp(k, "type") == 0 || strcmp(k, "expectation_type") == 0) {
                if (v != tv) {
                    return failm(L, e, k, 0, true, "%s: both 'type' and 'expectation_type'", what);
                }
            } else if (strcmp(k, "kwargs") == 0) {
                kw = v;
            } else if (strcmp(k, "meta") == 0) {
                meta = v;
            } else if (strcmp(k, "severity") == 0) {
                sev = v;
            } else {
                bool ok = false;
                for (size_t i = 0; ignored_exp_keys[i] != NULL && !ok; i++) {
                    ok = strcmp(k, ignored_exp_keys[i]) == 0;
                }
                if (!ok) {
                    return failm(L, e, k, 0, true, "%s: unknown key '%s' (expected type, kwargs, meta)", what, k);
                }
            }
        }
        if (!json_is_string(tv) || json_string_length(tv) == 0) {
            return failm(L, e, json_object_get(e, "type") != NULL ? "type" : "expectation_type", 0, false,
                         "%s: the type must be an expectation name", what);
        }
        type = json_string_value(tv);
        if (kw != NULL && !json_is_object(kw) && !json_is_null(kw)) {
            return failm(L, e, "kwargs", 0, false, "%s (%s): kwargs must be a mapping, not %s", what, type,
                         type_name(kw));
        }
        kwc = kw != NULL && json_is_object(kw) ? json_deep_copy(kw) : json_object();
    } else {
        /* the short form: one key, the type, whose value is the kwargs */
        const char *k;
        json_t *v;
        if (json_object_size(e) != 1) {
            return fail_fmt(L, e, list, "%s: expected one key, the expectation type (or 'type' and 'kwargs')", what);
        }
        json_object_foreach((json_t *)e, k, v)
        {
            type = k;
            kw = v;
        }
        if (!json_is_object(kw) && !json_is_null(kw)) {
            return failm(L, e, type, 0, false, "%s (%s): the arguments must be a mapping, not %s", what, type,
                         type_name(kw));
        }
        kwc = json_is_object(kw) ? json_deep_copy(kw) : json_object();
        if (kwc != NULL) {
            /* meta and severity may sit among the arguments in the short form */
            json_t *m = json_object_get(kwc, "meta");
            if (m != NULL) {
                meta = json_object_get(kw, "meta");
                meta_parent = kw;
                json_object_del(kwc, "meta");
            }
            if (json_object_get(kwc, "severity") != NULL) {
                sev = json_object_get(kw, "severity");
                json_object_del(kwc, "severity");
            }
        }
    }
    if (kwc == NULL) {
        return bw_fail(L->err, BW_ENOMEM, "out of memory");
    }
    if (meta != NULL && !json_is_null(meta)) {
        if (!json_is_object(meta)) {
            json_decref(kwc);
            return failm(L, meta_parent, "meta", 0, false, "%s (%s): meta must be a mapping, not %s", what, type,
                         type_name(meta));
        }
        metac = json_deep_copy(meta);
        if (metac == NULL) {
            json_decref(kwc);
            return bw_fail(L->err, BW_ENOMEM, "out of memory");
        }
    }
    rc = clean_kwargs(L, kwc, kw != NULL ? kw : e, what);
    if (rc == BW_OK && sev != NULL) {
        rc = take_severity(L, sev, &metac, json_object_get(e, "severity") == sev ? e : kw, what);
    }
    if (rc != BW_OK) {
        json_decref(kwc);
        json_decref(metac);
        return rc;
    }
    char full[240];
    snprintf(full, sizeof(full), "%s (%s)", what, type);
    return add_exp(L, s, type, kwc, metac, e, list, full);
}

/* Top-level keys of a GE suite that say nothing about the checks. */
static const char *const ignored_top[] = {
    "id", "notes", "meta", "ge_cloud_id", "data_asset_type", "suite_parameters", "evaluation_parameters", NULL};

static bw_status read_suite(struct ld *L, bw_suite *s, const json_t *root)
{
    const json_t *name = NULL, *data = NULL, *cols = NULL, *exps = NULL;
    const char *k;
    json_t *v;

    if (!json_is_object(root)) {
        return fail_fmt(L, root, NULL, "the top level must be a mapping (suite, data, columns, expectations), not %s",
                        type_name(root));
    }
    json_object_foreach((json_t *)root, k, v)
    {
        if (strcmp(k, "suite") == 0 || strcmp(k, "name") == 0 || strcmp(k, "expectation_suite_name") == 0) {
            if (name != NULL) {
                return failm(L, root, k, 0, true, "the suite is named twice ('%s')", k);
            }
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                memchr(json_string_value(v), '\0', json_string_length(v)) != NULL) {
                return failm(L, root, k, 0, false, "'%s' must be a non-empty string", k);
            }
            name = v;
        } else if (strcmp(k, "data") == 0) {
            data = v;
        } else if (strcmp(k, "columns") == 0) {
            cols = v;
        } else if (strcmp(k, "expectations") == 0) {
            exps = v;
        } else {
            bool ok = false;
            for (size_t i = 0; ignored_top[i] != NULL && !ok; i++) {
                ok = strcmp(k, ignored_top[i]) == 0;
            }
            if (!ok) {
                return failm(L, root, k, 0, true, "unknown key '%s' (expected suite, data, columns, expectations)", k);
            }
        }
    }
    if (exps == NULL && cols == NULL) {
        return fail_fmt(L, root, NULL, "no 'expectations' list (and no 'columns' schema)");
    }
    if (name != NULL) {
        char *n = bw_strdup(json_string_value(name));
        if (n == NULL) {
            return bw_fail(L->err, BW_ENOMEM, "out of memory");
        }
        bw_free(s->name);
        s->name = n;
    }
    if (data != NULL && !json_is_null(data)) {
        BW_TRY(read_data(L, s, data, root));
    }
    if (cols != NULL && !json_is_null(cols)) {
        BW_TRY(read_columns(L, s, cols, root));
    }
    if (exps != NULL && !json_is_null(exps)) {
        if (!json_is_array(exps)) {
            return failm(L, root, "expectations", 0, false, "'expectations' must be a list, not %s", type_name(exps));
        }
        if (json_array_size(exps) > BW_SUITE_MAX_EXPECTATIONS) {
            return failv(L, BW_ELIMIT, exps, root, "more than %d expectations", BW_SUITE_MAX_EXPECTATIONS);
        }
        for (size_t i = 0; i < json_array_size(exps); i++) {
            BW_TRY(read_expectation(L, s, json_array_get(exps, i), i, exps));
        }
    }
    return BW_OK;
}

/* ---- entry points ------------------------------------------------------------- */

/* A JSON document: '{' then a quoted key (or '}'); YAML's flow mappings leave their keys bare. */
static bool looks_json(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
        i++;
    }
    if (i >= n || p[i] != '{') {
        return false;
    }
    for (i++; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'); i++) {
    }
    return i < n && (p[i] == '"' || p[i] == '}');
}

bw_status bw_suite_parse(const char *text, size_t n, const char *name, bw_suite **out, bw_error *err)
{
    struct ld L = {.name = name != NULL ? name : "<suite>", .err = err};
    json_t *root = NULL;
    bw_suite *s = NULL;
    bw_status rc;

    *out = NULL;
    if (n > BW_SUITE_MAX_BYTES) {
        return bw_fail(err, BW_ELIMIT, "%s: suite larger than %zu bytes", L.name, BW_SUITE_MAX_BYTES);
    }
    if (text == NULL) {
        text = "";
        n = 0;
    }
    if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        n -= 3;
    }
    if (looks_json(text, n)) {
        json_error_t je;
        root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
        if (root == NULL) {
            return bw_fail_at(err, BW_EFORMAT, (uint64_t)je.position, "%s:%d:%d: %s", L.name, je.line,
                              je.column > 0 ? je.column : 1, je.text);
        }
        rc = json_positions(&L, text, n, root);
    } else {
        rc = yaml_to_json(&L, text, n, &root);
    }
    if (rc == BW_OK) {
        rc = bw_suite_new(NULL, L.name, &s, err);
    }
    if (rc == BW_OK) {
        rc = read_suite(&L, s, root);
    }
    json_decref(root);
    bw_free(L.pos);
    bw_free(L.byv);
    bw_free(L.bym);
    if (rc != BW_OK) {
        bw_suite_free(s);
        return rc;
    }
    *out = s;
    return BW_OK;
}

bw_status bw_suite_load(const char *path, bw_suite **out, bw_error *err)
{
    bw_buf b = BW_BUF_INIT(BW_SUITE_MAX_BYTES);
    bw_status rc;

    *out = NULL;
    rc = bw_file_slurp(path, BW_FILE_FOLLOW | BW_FILE_STDIN, BW_SUITE_MAX_BYTES, &b, err);
    if (rc == BW_OK) {
        rc = bw_suite_parse(b.ptr != NULL ? b.ptr : "", b.len, path, out, err);
    }
    bw_buf_release(&b);
    return rc;
}
