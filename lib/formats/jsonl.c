/*
 * jsonl.c - streaming JSON Lines reader (see bw_jsonl.h).
 *
 * Each line is parsed by a small bounded JSON parser into (column, kind,
 * text) pairs: keys and string values decoded into the row's text buffer,
 * numbers and literals as written, nested values as their raw JSON text
 * (checked for well-formedness, depth at most MAX_DEPTH). Keys map to
 * columns through an open-addressing table. The first infer_rows rows are
 * kept aside until the column types are inferred, as the CSV reader does.
 */
#include <string.h>

#include "bulwark/bw_buf.h"
#include "bulwark/bw_hash.h"
#include "bulwark/bw_jsonl.h"
#include "data/data_internal.h"
#include "formats/slice.h"
#include "formats/window.h"
#include "util/internal.h"

#define MAX_DEPTH 64

enum kind { K_NULL, K_BOOL, K_NUM, K_STR, K_NESTED };

struct pair {
    size_t col;
    enum kind kind;
    size_t off, len;   /* the value's text in the row (or sample) buffer */
    size_t koff, klen; /* the key's text in the row buffer */
};

struct bw_jsonl {
    char *name;
    bw_window w;
    uint64_t line;
    bool started, done;
    uint64_t range_end; /* lines starting at or after this offset are not read (UINT64_MAX: none) */
    bw_data_opts o;
    bw_batch batch;
    bw_data_stats st;
    /* key -> column */
    size_t *slots; /* column + 1, 0 empty */
    uint64_t *hashes;
    size_t nslots;
    bool *fixed;     /* per column: the caller gave its type */
    uint64_t *stamp; /* per column: the row that last set it */
    size_t *chosen;  /* per column: its pair in the current row */
    size_t capcols;
    uint64_t rowno;
    /* the current row */
    bw_buf text;
    struct pair *pairs;
    size_t npairs, cappairs;
    uint64_t rec_off, rec_line;
    /* the inference sample: pairs of every kept row, texts in samp */
    bw_buf samp;
    struct pair *spairs;
    size_t nspairs, capspairs;
    size_t *srow; /* first pair of each sample row, plus one past the last */
    uint64_t *sline, *soff;
    size_t nsamp, capsamp, samp_next;
};

/* ---- the JSON parser ---------------------------------------------------------------------------- */

struct jp {
    const char *b;
    size_t n, i;
    const char *why;
};

static void skip_ws(struct jp *p)
{
    while (p->i < p->n && (p->b[p->i] == ' ' || p->b[p->i] == '\t' || p->b[p->i] == '\r' || p->b[p->i] == '\n')) {
        p->i++;
    }
}

static int hex4(const char *s, unsigned *v)
{
    unsigned x = 0;

    for (int k = 0; k < 4; k++) {
        int h = bw_hexval((unsigned char)s[k]);
        if (h < 0) {
            return -1;
        }
        x = x << 4 | (unsigned)h;
    }
    *v = x;
    return 0;
}

static void put_utf8(bw_buf *o, unsigned cp)
{
    char u[4];

    if (cp < 0x80) {
        bw_buf_addc(o, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        bw_buf_add(o, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        bw_buf_add(o, u, 3);
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        bw_buf_add(o, u, 4);
    }
}

/* A string at p->i (the opening quote), decoded into o when o is not NULL. */
static bool string(struct jp *p, bw_buf *o)
{
    const char *b = p->b;

    p->i++;
    for (;;) {
        size_t s = p->i;
        while (p->i < p->n && b[p->i] != '"' && b[p->i] != '\\' && (unsigned char)b[p->i] >= 0x20) {
            p->i++;
        }
        if (o != NULL && p->i > s) {
            bw_buf_add(o, b + s, p->i - s);
        }
        if (p->i >= p->n) {
            p->why = "an unterminated string";
            return false;
        }
        if (b[p->i] == '"') {
            p->i++;
            return true;
        }
        if ((unsigned char)b[p->i] < 0x20) {
            p->why = "a control character in a string";
            return false;
        }
        /* an escape */
        if (p->i + 1 >= p->n) {
            p->why = "an unterminated escape";
            return false;
        }
        char e = b[p->i + 1], c = 0;
        switch (e) {
        case '"':
        case '\\':
        case '/': c = e; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (p->n - p->i < 6 || hex4(b + p->i + 2, &cp) != 0) {
                p->why = "a bad \\u escape";
                return false;
            }
            p->i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && p->n - p->i >= 6 && b[p->i] == '\\' && b[p->i + 1] == 'u' &&
                hex4(b + p->i + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p->i += 6;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* a lone surrogate */
            }
            if (o != NULL) {
                put_utf8(o, cp);
            }
            continue;
        }
        default: p->why = "a bad escape"; return false;
        }
        if (o != NULL) {
            bw_buf_addc(o, c);
        }
        p->i += 2;
    }
}

static bool number(struct jp *p)
{
    const char *b = p->b;
    size_t s;

    if (p->i < p->n && b[p->i] == '-') {
        p->i++;
    }
    s = p->i;
    if (p->i < p->n && b[p->i] == '0') {
        p->i++;
    } else {
        while (p->i < p->n && b[p->i] >= '0' && b[p->i] <= '9') {
            p->i++;
        }
    }
    if (p->i == s) {
        p->why = "a bad number";
        return false;
    }
    if (p->i < p->n && b[p->i] == '.') {
        s = ++p->i;
        while (p->i < p->n && b[p->i] >= '0' && b[p->i] <= '9') {
            p->i++;
        }
        if (p->i == s) {
            p->why = "a bad number";
            return false;
        }
    }
    if (p->i < p->n && (b[p->i] == 'e' || b[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (b[p->i] == '+' || b[p->i] == '-')) {
            p->i++;
        }
        s = p->i;
        while (p->i < p->n && b[p->i] >= '0' && b[p->i] <= '9') {
            p->i++;
        }
        if (p->i == s) {
            p->why = "a bad number";
            return false;
        }
    }
    return true;
}

static bool literal(struct jp *p, const char *word)
{
    size_t k = strlen(word);

    if (p->n - p->i < k || memcmp(p->b + p->i, word, k) != 0) {
        p->why = "an unexpected character";
        return false;
    }
    p->i += k;
    return true;
}

/* Any value (checked, not decoded); *kind says which. */
static bool value(struct jp *p, int depth, enum kind *kind)
{
    if (p->i >= p->n) {
        p->why = "a missing value";
        return false;
    }
    switch (p->b[p->i]) {
    case '"': *kind = K_STR; return string(p, NULL);
    case 't': *kind = K_BOOL; return literal(p, "true");
    case 'f': *kind = K_BOOL; return literal(p, "false");
    case 'n': *kind = K_NULL; return literal(p, "null");
    case '{':
    case '[': {
        char close = p->b[p->i] == '{' ? '}' : ']';
        bool obj = close == '}';
        *kind = K_NESTED;
        if (depth >= MAX_DEPTH) {
            p->why = "nesting deeper than 64 levels";
            return false;
        }
        p->i++;
        skip_ws(p);
        if (p->i < p->n && p->b[p->i] == close) {
            p->i++;
            return true;
        }
        for (;;) {
            enum kind k;
            skip_ws(p);
            if (obj) {
                if (p->i >= p->n || p->b[p->i] != '"') {
                    p->why = "a key that is not a string";
                    return false;
                }
                if (!string(p, NULL)) {
                    return false;
                }
                skip_ws(p);
                if (p->i >= p->n || p->b[p->i] != ':') {
                    p->why = "a missing ':'";
                    return false;
                }
                p->i++;
                skip_ws(p);
            }
            if (!value(p, depth + 1, &k)) {
                return false;
            }
            skip_ws(p);
            if (p->i < p->n && p->b[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->b[p->i] == close) {
                p->i++;
                return true;
            }
            p->why = "a missing ',' or closing bracket";
            return false;
        }
    }
    default: *kind = K_NUM; return number(p);
    }
}

/* ---- columns ------------------------------------------------------------------------------------ */

static bw_status grow_slots(bw_jsonl *r)
{
    size_t n = r->nslots ? r->nslots * 2 : 64;
    size_t *slots = bw_calloc(n, sizeof(*slots));
    uint64_t *hashes = bw_calloc(n, sizeof(*hashes));

    if (slots == NULL || hashes == NULL) {
        bw_free(slots);
        bw_free(hashes);
        return BW_ENOMEM;
    }
    for (size_t i = 0; i < r->nslots; i++) {
        if (r->slots[i] != 0) {
            size_t k = r->hashes[i] & (n - 1);
            while (slots[k] != 0) {
                k = (k + 1) & (n - 1);
            }
            slots[k] = r->slots[i];
            hashes[k] = r->hashes[i];
        }
    }
    bw_free(r->slots);
    bw_free(r->hashes);
    r->slots = slots;
    r->hashes = hashes;
    r->nslots = n;
    return BW_OK;
}

/* The column of key s[0..n), added (of type NULL) when new. */
static bw_status column_of(bw_jsonl *r, const char *s, size_t n, size_t *col, bw_error *err)
{
    uint64_t h;
    size_t k;

    n = strnlen(s, n);                           /* a name is a C string: a key ends at a \u0000 */
    h = bw_hash64(s, n, (uint64_t)(uintptr_t)r); /* keyed by the reader's (randomised) address */

    if (2 * (r->batch.ncols + 1) > r->nslots && grow_slots(r) != BW_OK) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (k = h & (r->nslots - 1); r->slots[k] != 0; k = (k + 1) & (r->nslots - 1)) {
        size_t c = r->slots[k] - 1;
        if (r->hashes[k] == h && strlen(r->batch.names[c]) == n && memcmp(r->batch.names[c], s, n) == 0) {
            *col = c;
            return BW_OK;
        }
    }
    if (r->batch.ncols >= BW_DATA_MAX_COLUMNS) {
        return bw_fail_at(err, BW_ELIMIT, r->rec_off, "%s: line %llu: more than %d keys", r->name,
                          (unsigned long long)r->rec_line, BW_DATA_MAX_COLUMNS);
    }
    if (r->batch.ncols == r->capcols) {
        size_t cap = r->capcols ? r->capcols * 2 : 32;
        bool *f = bw_reallocarray(r->fixed, cap, sizeof(*f));
        if (f != NULL) {
            r->fixed = f;
        }
        uint64_t *st = bw_reallocarray(r->stamp, cap, sizeof(*st));
        if (st != NULL) {
            r->stamp = st;
        }
        size_t *ch = bw_reallocarray(r->chosen, cap, sizeof(*ch));
        if (ch != NULL) {
            r->chosen = ch;
        }
        if (f == NULL || st == NULL || ch == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->capcols = cap;
    }
    if (bw_batch_add_column(&r->batch, s, n, BW_DT_NULL) != BW_OK) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    *col = r->batch.ncols - 1;
    r->fixed[*col] = false;
    r->stamp[*col] = 0;
    for (size_t j = 0; j < r->o.ntypes; j++) {
        if (r->o.type_names[j] != NULL && strlen(r->o.type_names[j]) == n && memcmp(r->o.type_names[j], s, n) == 0) {
            r->fixed[*col] = true;
            bw_col_retype(&r->batch.cols[*col], r->o.types[j]);
            for (size_t i = 0; i < r->batch.nrows; i++) {
                if (bw_col_push_null(&r->batch.cols[*col]) != BW_OK) {
                    return bw_fail(err, BW_ENOMEM, "out of memory");
                }
            }
        }
    }
    r->slots[k] = *col + 1;
    r->hashes[k] = h;
    return BW_OK;
}

/* ---- rows --------------------------------------------------------------------------------------- */

static void report(bw_jsonl *r, uint64_t line, uint64_t off, const char *column, const char *msg)
{
    if (r->o.on_bad != NULL) {
        bw_bad_row b = {line, off, r->st.rows + (r->nsamp - r->samp_next), column, msg};
        r->o.on_bad(r->o.ctx, &b);
    }
}

static bw_status add_pair(bw_jsonl *r, size_t ks, size_t kn, enum kind kind, size_t off, size_t len, bw_error *err)
{
    if (r->npairs == r->cappairs) {
        size_t cap = r->cappairs ? r->cappairs * 2 : 32;
        struct pair *g = bw_reallocarray(r->pairs, cap, sizeof(*g));
        if (g == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->pairs = g;
        r->cappairs = cap;
    }
    r->pairs[r->npairs++] = (struct pair){SIZE_MAX, kind, off, len, ks, kn};
    return BW_OK;
}

/*
 * Parse line b[0..n) into r->pairs / r->text. Returns BW_OK with *why NULL,
 * or *why and *at (offset in the line) for a malformed line.
 */
static bw_status parse_line(bw_jsonl *r, const char *b, size_t n, const char **why, size_t *at, bw_error *err)
{
    struct jp p = {b, n, 0, NULL};

    r->npairs = 0;
    bw_buf_reset(&r->text);
    *why = NULL;
    skip_ws(&p);
    if (p.i >= n || b[p.i] != '{') {
        *why = "a line that is not a JSON object";
        *at = p.i;
        return BW_OK;
    }
    p.i++;
    skip_ws(&p);
    if (p.i < n && b[p.i] == '}') {
        p.i++;
    } else {
        for (;;) {
            size_t ks, kn, vs;
            enum kind kind;
            skip_ws(&p);
            if (p.i >= n || b[p.i] != '"') {
                p.why = "a key that is not a string";
                break;
            }
            ks = r->text.len;
            if (!string(&p, &r->text)) {
                break;
            }
            kn = r->text.len - ks;
            if (r->text.err != BW_OK) {
                return bw_fail(err, r->text.err, "%s: line %llu: a row too large", r->name,
                               (unsigned long long)r->rec_line);
            }
            if (kn > 0 && !bw_utf8_valid(r->text.ptr + ks, kn)) {
                p.why = "a key that is not UTF-8";
                break;
            }
            skip_ws(&p);
            if (p.i >= n || b[p.i] != ':') {
                p.why = "a missing ':'";
                break;
            }
            p.i++;
            skip_ws(&p);
            vs = p.i;
            if (p.i < n && b[p.i] == '"') {
                size_t off = r->text.len;
                kind = K_STR;
                if (!string(&p, &r->text)) {
                    break;
                }
                BW_TRY(add_pair(r, ks, kn, kind, off, r->text.len - off, err));
            } else {
                if (!value(&p, 1, &kind)) {
                    break;
                }
                size_t off = r->text.len;
                bw_buf_add(&r->text, b + vs, p.i - vs);
                BW_TRY(add_pair(r, ks, kn, kind, off, p.i - vs, err));
            }
            if (r->text.err != BW_OK) {
                return bw_fail(err, r->text.err, "%s: line %llu: a row too large", r->name,
                               (unsigned long long)r->rec_line);
            }
            skip_ws(&p);
            if (p.i < n && b[p.i] == ',') {
                p.i++;
                continue;
            }
            if (p.i < n && b[p.i] == '}') {
                p.i++;
                break;
            }
            p.why = "a missing ',' or '}'";
            break;
        }
    }
    if (p.why == NULL) {
        skip_ws(&p);
        if (p.i < n) {
            p.why = "text after the object";
        }
    }
    if (p.why != NULL) {
        *why = p.why;
        *at = p.i;
        return BW_OK;
    }
    /* a well-formed row: now its keys name columns */
    for (size_t i = 0; i < r->npairs; i++) {
        const char *t = r->text.ptr != NULL ? r->text.ptr : "";
        BW_TRY(column_of(r, t + r->pairs[i].koff, r->pairs[i].klen, &r->pairs[i].col, err));
    }
    return BW_OK;
}

/* The next non-blank line of the input; *got false at the end. */
static bw_status next_line(bw_jsonl *r, const char **line, size_t *len, bool *got, bw_error *err)
{
    *got = false;
    for (;;) {
        const char *nl;
        size_t n;

        if ((r->w.pos == r->w.end && r->w.eof) || r->w.base + r->w.pos >= r->range_end) {
            r->done = true;
            r->st.next = r->w.base + r->w.pos;
            r->st.next_line = r->line;
            return BW_OK;
        }
        nl = r->w.end > r->w.pos ? memchr(r->w.buf + r->w.pos, '\n', r->w.end - r->w.pos) : NULL;
        if (nl == NULL && !r->w.eof) {
            size_t before = r->w.end - r->w.pos;
            BW_TRY(bw_window_more(&r->w, r->line, err));
            r->st.bytes = r->w.base + r->w.end;
            if (r->w.end - r->w.pos == before && !r->w.eof) {
                return bw_fail_at(err, BW_EIO, r->w.base + r->w.end, "%s: could not read on", r->name);
            }
            continue;
        }
        n = nl != NULL ? (size_t)(nl - (r->w.buf + r->w.pos)) : r->w.end - r->w.pos;
        *line = r->w.buf + r->w.pos;
        r->rec_off = r->w.base + r->w.pos;
        r->rec_line = r->line;
        r->w.pos += n + (nl != NULL);
        r->line++;
        if (n > 0 && (*line)[n - 1] == '\r') {
            n--;
        }
        size_t k = 0;
        while (k < n && ((*line)[k] == ' ' || (*line)[k] == '\t')) {
            k++;
        }
        if (k == n) {
            continue; /* blank */
        }
        if (n > r->o.max_record) {
            return bw_fail_at(err, BW_ELIMIT, r->rec_off, "%s: line %llu: a record longer than %zu bytes", r->name,
                              (unsigned long long)r->rec_line, r->o.max_record);
        }
        *len = n;
        *got = true;
        return BW_OK;
    }
}

/* The next well-formed row into r->pairs; malformed lines are reported (or stop the read). */
static bw_status next_row(bw_jsonl *r, bool *got, bw_error *err)
{
    for (;;) {
        const char *line = NULL, *why = NULL;
        size_t n = 0, at = 0;

        BW_TRY(next_line(r, &line, &n, got, err));
        if (!*got) {
            return BW_OK;
        }
        BW_TRY(parse_line(r, line, n, &why, &at, err));
        if (why == NULL) {
            return BW_OK;
        }
        r->st.bad_rows++;
        if (r->o.on_bad_row != BW_BAD_STOP) {
            report(r, r->rec_line, r->rec_off + at, NULL, why);
        } else {
            return bw_fail_at(err, BW_EFORMAT, r->rec_off + at, "%s: line %llu, offset %llu: %s", r->name,
                              (unsigned long long)r->rec_line, (unsigned long long)(r->rec_off + at), why);
        }
    }
}

static bw_dtype type_of_kind(enum kind k)
{
    switch (k) {
    case K_BOOL: return BW_DT_BOOL;
    case K_NUM: return BW_DT_INT64; /* widens to float64 at the first fraction */
    case K_STR:
    case K_NESTED: return BW_DT_STRING;
    case K_NULL: break;
    }
    return BW_DT_NULL;
}

/* Append the row of pairs pv[0..np) (texts in `text`) to the batch. */
static bw_status put_row(bw_jsonl *r, const struct pair *pv, size_t np, const char *text, uint64_t line, uint64_t off,
                         bw_error *err)
{
    r->rowno++;
    for (size_t i = 0; i < np; i++) {
        r->stamp[pv[i].col] = r->rowno; /* the last value of a repeated key wins */
        r->chosen[pv[i].col] = i;
    }
    for (size_t c = 0; c < r->batch.ncols; c++) {
        bw_column *col = &r->batch.cols[c];
        bw_status rc;
        if (r->stamp[c] != r->rowno || pv[r->chosen[c]].kind == K_NULL) {
            rc = bw_col_push_null(col);
        } else {
            const struct pair *p = &pv[r->chosen[c]];
            const char *why = NULL;
            if (col->type == BW_DT_NULL) {
                rc = bw_col_widen(col, type_of_kind(p->kind));
                if (rc != BW_OK) {
                    return bw_fail(err, rc, "out of memory");
                }
            }
            rc = bw_col_push_text(col, text + p->off, p->len, r->fixed[c], &why);
            if (rc == BW_OK && why != NULL) {
                r->st.bad_values++;
                report(r, line, off, r->batch.names[c], why);
            }
        }
        if (rc != BW_OK) {
            return bw_fail(err, rc, "%s: out of memory", r->name);
        }
    }
    r->batch.nrows++;
    r->st.rows++;
    return BW_OK;
}

static bw_status keep_sample(bw_jsonl *r, bw_error *err)
{
    size_t base = r->samp.len;

    if (r->nspairs + r->npairs > r->capspairs) {
        size_t cap = r->capspairs ? r->capspairs * 2 : 1024;
        while (cap < r->nspairs + r->npairs) {
            cap *= 2;
        }
        struct pair *g = bw_reallocarray(r->spairs, cap, sizeof(*g));
        if (g == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->spairs = g;
        r->capspairs = cap;
    }
    if (r->nsamp + 1 >= r->capsamp) {
        size_t cap = r->capsamp ? r->capsamp * 2 : 256;
        size_t *sr = bw_reallocarray(r->srow, cap + 1, sizeof(*sr));
        uint64_t *sl = sr != NULL ? bw_reallocarray(r->sline, cap, sizeof(*sl)) : NULL;
        uint64_t *so = sl != NULL ? bw_reallocarray(r->soff, cap, sizeof(*so)) : NULL;
        if (sr != NULL) {
            r->srow = sr;
        }
        if (sl != NULL) {
            r->sline = sl;
        }
        if (so == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->soff = so;
        r->capsamp = cap;
    }
    bw_buf_add(&r->samp, r->text.ptr != NULL ? r->text.ptr : "", r->text.len);
    if (r->samp.err != BW_OK) {
        return bw_fail(err, r->samp.err, "%s: the inference sample is too large", r->name);
    }
    r->srow[r->nsamp] = r->nspairs;
    for (size_t i = 0; i < r->npairs; i++) {
        struct pair p = r->pairs[i];
        p.off += base;
        r->spairs[r->nspairs++] = p;
    }
    r->srow[r->nsamp + 1] = r->nspairs;
    r->sline[r->nsamp] = r->rec_line;
    r->soff[r->nsamp] = r->rec_off;
    r->nsamp++;
    return BW_OK;
}

static bw_status start(bw_jsonl *r, bw_error *err)
{
    bool got;

    r->started = true;
    if (r->o.range_start > 0) {
        /* a slice: on from the first line that starts in it */
        uint64_t at, lines;
        bool relative;
        BW_TRY(bw_slice_start(&r->w, &r->o, false, &at, &lines, &relative, err));
        r->line = relative ? 1 : 1 + lines;
        r->st.first = at;
        if (at >= r->range_end) {
            r->done = true;
            r->st.next = at;
            r->st.next_line = r->line;
        } else {
            BW_TRY(bw_slice_seek(&r->w, at, err));
        }
    }
    while (!r->done && r->nsamp < r->o.infer_rows && r->samp.len < BW_DATA_SAMPLE_MAX) {
        BW_TRY(next_row(r, &got, err));
        if (!got) {
            break;
        }
        BW_TRY(keep_sample(r, err));
    }
    for (size_t c = 0; c < r->batch.ncols; c++) {
        bw_infer inf;
        bw_dtype st = BW_DT_NULL;
        if (r->fixed[c]) {
            continue;
        }
        for (size_t j = 0; j < r->o.nstart && st == BW_DT_NULL; j++) {
            if (r->o.start_names[j] != NULL && strcmp(r->o.start_names[j], r->batch.names[c]) == 0) {
                st = r->o.start_types[j]; /* as an earlier part of the input was read: not inferred again */
            }
        }
        if (st != BW_DT_NULL) {
            bw_col_retype(&r->batch.cols[c], st);
            continue;
        }
        bw_infer_init(&inf);
        for (size_t i = 0; i < r->nspairs; i++) {
            const struct pair *p = &r->spairs[i];
            if (p->col != c || p->kind == K_NULL) {
                continue;
            }
            const char *t = r->samp.ptr != NULL ? r->samp.ptr + p->off : "";
            if (p->kind == K_STR) {
                bw_infer_feed_string(&inf, t, p->len);
            } else if (p->kind == K_NESTED) {
                bw_infer_feed_string(&inf, "{", 1);
            } else {
                bw_infer_feed(&inf, t, p->len);
            }
        }
        bw_col_retype(&r->batch.cols[c], inf.seen ? bw_infer_result(&inf) : BW_DT_NULL);
    }
    return BW_OK;
}

/* ---- the public face ---------------------------------------------------------------------------- */

static bw_status make(const char *name, const bw_data_opts *o, bw_jsonl **out, bw_error *err)
{
    bw_jsonl *r = bw_calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    if (bw_data_opts_resolve(o, &r->o, err) != BW_OK) {
        bw_free(r);
        return BW_EINVAL;
    }
    r->line = 1;
    bw_buf_init(&r->text, 2 * r->o.max_record);
    bw_buf_init(&r->samp, BW_DATA_SAMPLE_MAX + 2 * r->o.max_record);
    bw_batch_init(&r->batch);
    r->name = bw_strdup(name != NULL ? name : "<jsonl>");
    if (r->name == NULL) {
        bw_free(r);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    *out = r;
    return BW_OK;
}

bw_status bw_jsonl_open(const char *path, const bw_data_opts *o, bw_jsonl **out, bw_error *err)
{
    bw_jsonl *r;

    BW_TRY(make(path, o, &r, err));
    bw_status rc = bw_window_open(&r->w, path, r->name, r->o.max_record, err);
    if (rc == BW_OK) {
        rc = bw_slice_check(&r->o, &r->w, &r->range_end, err);
    }
    if (rc != BW_OK) {
        bw_jsonl_free(r);
        return rc;
    }
    *out = r;
    return BW_OK;
}

bw_status bw_jsonl_open_mem(const void *p, size_t n, const char *name, const bw_data_opts *o, bw_jsonl **out,
                            bw_error *err)
{
    bw_jsonl *r;

    BW_TRY(make(name, o, &r, err));
    bw_window_mem(&r->w, p, n, r->name);
    r->st.bytes = n;
    bw_status rc = bw_slice_check(&r->o, &r->w, &r->range_end, err);
    if (rc != BW_OK) {
        bw_jsonl_free(r);
        return rc;
    }
    *out = r;
    return BW_OK;
}

bw_status bw_jsonl_next(bw_jsonl *r, const bw_batch **out, bw_error *err)
{
    *out = NULL;
    if (!r->started) {
        BW_TRY(start(r, err));
    }
    bw_batch_clear(&r->batch);
    r->batch.row0 = r->st.rows;
    while (r->samp_next < r->nsamp && r->batch.nrows < r->o.batch_rows) {
        size_t i = r->samp_next++;
        const struct pair *pv = r->spairs != NULL ? r->spairs + r->srow[i] : NULL; /* NULL: rows of {} only */
        BW_TRY(put_row(r, pv, r->srow[i + 1] - r->srow[i], r->samp.ptr != NULL ? r->samp.ptr : "", r->sline[i],
                       r->soff[i], err));
    }
    if (r->samp_next == r->nsamp && r->nsamp > 0) {
        bw_buf_release(&r->samp);
        BW_FREE(r->spairs);
        BW_FREE(r->srow);
        BW_FREE(r->sline);
        BW_FREE(r->soff);
        r->nspairs = r->capspairs = r->nsamp = r->capsamp = r->samp_next = 0;
    }
    while (!r->done && r->batch.nrows < r->o.batch_rows) {
        bool got;
        BW_TRY(next_row(r, &got, err));
        if (!got) {
            break;
        }
        BW_TRY(put_row(r, r->pairs, r->npairs, r->text.ptr != NULL ? r->text.ptr : "", r->rec_line, r->rec_off, err));
    }
    if (r->batch.nrows > 0) {
        *out = &r->batch;
    }
    return BW_OK;
}

const bw_data_stats *bw_jsonl_stats(const bw_jsonl *r)
{
    return &r->st;
}

void bw_jsonl_free(bw_jsonl *r)
{
    if (r == NULL) {
        return;
    }
    bw_window_close(&r->w);
    bw_free(r->name);
    bw_batch_release(&r->batch);
    bw_free(r->slots);
    bw_free(r->hashes);
    bw_free(r->fixed);
    bw_free(r->stamp);
    bw_free(r->chosen);
    bw_buf_release(&r->text);
    bw_free(r->pairs);
    bw_buf_release(&r->samp);
    bw_free(r->spairs);
    bw_free(r->srow);
    bw_free(r->sline);
    bw_free(r->soff);
    bw_free(r);
}
