/*
 * csv.c - streaming CSV reader (see bw_csv.h).
 *
 * The input sits in one buffer window [pos, end) over the file; `base` is
 * the file offset of buf[0]. A record is split into field spans by a small
 * state machine; when it runs off the end of the window the unread bytes
 * move to the front, more are read and the record is split again, so one
 * record may be at most max_record bytes and memory never grows with the
 * file. Field spans point into the window, so every record is converted
 * into the batch before the next one is read.
 *
 * The first infer_rows rows are copied aside (texts plus null flags), the
 * column types are inferred from them, then they are converted like any
 * later row.
 */
#include <errno.h>
#include <string.h>

#include "bulwark/bw_buf.h"
#include "bulwark/bw_csv.h"
#include "bulwark/bw_file.h"
#include "bulwark/bw_hash.h"
#include "data/data_internal.h"
#include "formats/window.h"
#include "util/internal.h"

struct span {
    size_t s, e;  /* raw bytes in the window (with the quotes of a quoted field) */
    bool quoted;  /* opened with a quote: unquote, and never null */
    bool escaped; /* holds quotes past the plain "..." form: unescape into scratch */
};

struct cell {
    size_t off, len; /* in the sample's text */
    bool null;
};

struct bw_csv {
    char *name;
    bw_window w;   /* the input: unread bytes w.buf[w.pos, w.end) */
    uint64_t line; /* 1-based line at w.pos */
    bool started;  /* header and sample read */
    bool done;     /* the input is exhausted */
    char delim;
    bw_data_opts o;
    const char *const *nulls;
    size_t nnulls;
    size_t ncols;
    bool *fixed; /* type given by the caller: never widened */
    size_t *idx; /* header names: open addressing, column + 1 (0 empty) */
    size_t nidx;
    unsigned *dupnext; /* per column: the next _N suffix for a repeat of its name */
    struct span *f;    /* the current record's fields */
    size_t nf, capf;
    uint64_t rec_off; /* offset and line where the current record starts */
    uint64_t rec_line;
    bw_buf scratch; /* an unescaped field */
    bw_batch batch;
    bw_data_stats st;
    /* the inference sample */
    bw_buf samp;
    struct cell *cells;
    size_t ncells, capcells;
    uint64_t *samp_line, *samp_off;
    size_t nsamp, capsamp, samp_next;
};

static const char *const default_nulls[] = {"", "NULL", "null", "NA", "N/A"};

/* ---- records ------------------------------------------------------------------------------------ */

static bw_status add_field(bw_csv *r, size_t s, size_t e, bool quoted, bool escaped, bw_error *err)
{
    if (r->nf >= BW_DATA_MAX_COLUMNS) {
        return bw_fail_at(err, BW_ELIMIT, r->w.base + r->w.pos, "%s: line %llu: more than %d fields", r->name,
                          (unsigned long long)r->line, BW_DATA_MAX_COLUMNS);
    }
    if (r->nf == r->capf) {
        size_t cap = r->capf ? r->capf * 2 : 32;
        struct span *g;
        g = bw_reallocarray(r->f, cap, sizeof(*g));
        if (g == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->f = g;
        r->capf = cap;
    }
    r->f[r->nf++] = (struct span){s, e, quoted, escaped};
    return BW_OK;
}

enum rec { REC_OK, REC_MORE, REC_UNTERMINATED };

/*
 * Split the record at pos into fields. REC_MORE: the window ends inside it
 * (and more input may come). On REC_OK, *next is where the next record starts.
 */
static enum rec split(bw_csv *r, size_t *next, uint64_t *lines, bw_error *err, bw_status *rc)
{
    const char *b = r->w.buf;
    size_t i = r->w.pos, fs = i, end = r->w.end;
    const char d = r->delim;
    bool quoted = false, escaped = false;
    uint64_t nl = 0;

    r->nf = 0;
    *rc = BW_OK;
    for (;;) {
        /* an unquoted stretch: up to a delimiter, a newline or a quote */
        while (i < end && b[i] != d && b[i] != '\n' && b[i] != '"') {
            i++;
        }
        if (i == end) {
            if (!r->w.eof) {
                return REC_MORE;
            }
            size_t e = i;
            if (e > fs && b[e - 1] == '\r') {
                e--;
            }
            *rc = add_field(r, fs, e, quoted, escaped, err);
            *next = i;
            *lines = nl;
            return REC_OK;
        }
        if (b[i] == d) {
            *rc = add_field(r, fs, i, quoted, escaped, err);
            if (*rc != BW_OK) {
                return REC_OK;
            }
            fs = ++i;
            quoted = escaped = false;
            continue;
        }
        if (b[i] == '\n') {
            size_t e = i;
            if (e > fs && b[e - 1] == '\r') {
                e--;
            }
            *rc = add_field(r, fs, e, quoted, escaped, err);
            *next = i + 1;
            *lines = nl + 1;
            return REC_OK;
        }
        /* a quote: in an unquoted field it is a plain character */
        if (i != fs && !quoted) {
            i++;
            continue;
        }
        /* opening a field, or again after a closing quote: a quoted stretch ("" is one quote) */
        if (i == fs) {
            quoted = true;
        } else {
            escaped = true;
        }
        i++;
        for (;;) {
            const char *q = memchr(b + i, '"', end - i);
            if (q == NULL) {
                for (size_t k = i; k < end; k++) {
                    nl += b[k] == '\n';
                }
                if (!r->w.eof) {
                    return REC_MORE;
                }
                *lines = nl;
                return REC_UNTERMINATED;
            }
            for (const char *k = b + i; k < q; k++) {
                nl += *k == '\n';
            }
            i = (size_t)(q - b) + 1;
            if (i < end && b[i] == '"') {
                escaped = true; /* a doubled quote */
                i++;
                continue;
            }
            if (i == end && !r->w.eof) {
                return REC_MORE;
            }
            break;
        }
    }
}

/* The text of field k: a view into the window or into scratch. */
static const char *field_text(bw_csv *r, size_t k, size_t *len)
{
    const struct span *f = &r->f[k];
    const char *b = r->w.buf;

    if (!f->quoted && !f->escaped) {
        *len = f->e - f->s;
        return b + f->s;
    }
    if (f->quoted && !f->escaped && f->e - f->s >= 2 && b[f->e - 1] == '"') {
        *len = f->e - f->s - 2;
        return b + f->s + 1;
    }
    /* drop quote characters; inside quotes "" is one quote */
    bw_buf_reset(&r->scratch);
    bool in = false;
    for (size_t i = f->s; i < f->e; i++) {
        if (b[i] != '"') {
            bw_buf_addc(&r->scratch, b[i]);
        } else if (in && i + 1 < f->e && b[i + 1] == '"') {
            bw_buf_addc(&r->scratch, '"');
            i++;
        } else {
            in = !in;
        }
    }
    *len = r->scratch.len;
    return r->scratch.ptr != NULL ? r->scratch.ptr : "";
}

static bool is_null(const bw_csv *r, const char *s, size_t n)
{
    for (size_t i = 0; i < r->nnulls; i++) {
        if (strlen(r->nulls[i]) == n && memcmp(r->nulls[i], s, n) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * The next record into r->f. *got is false at the end of the input. A
 * malformed record (unterminated quote) is reported as bad here.
 */
static bw_status next_record(bw_csv *r, bool *got, bool *unterminated, bw_error *err)
{
    *got = false;
    *unterminated = false;
    for (;;) {
        size_t next = 0;
        uint64_t lines = 0;
        bw_status rc;
        enum rec k;

        if (r->w.pos == r->w.end && r->w.eof) {
            r->done = true;
            return BW_OK;
        }
        k = split(r, &next, &lines, err, &rc);
        if (rc != BW_OK) {
            return rc;
        }
        if (k == REC_MORE || (k == REC_OK && next - r->w.pos > r->o.max_record)) {
            size_t before = r->w.end - r->w.pos;
            if (before > r->o.max_record) {
                return bw_fail_at(
                    err, BW_ELIMIT, r->w.base + r->w.pos, "%s: line %llu (offset %llu): a record longer than %zu bytes",
                    r->name, (unsigned long long)r->line, (unsigned long long)(r->w.base + r->w.pos), r->o.max_record);
            }
            BW_TRY(bw_window_more(&r->w, r->line, err));
            r->st.bytes = r->w.base + r->w.end;
            if (r->w.end - r->w.pos == before && !r->w.eof) {
                return bw_fail_at(err, BW_EIO, r->w.base + r->w.end, "%s: could not read on", r->name);
            }
            continue;
        }
        r->rec_off = r->w.base + r->w.pos;
        r->rec_line = r->line;
        if (k == REC_UNTERMINATED) {
            r->line += lines;
            r->w.pos = r->w.end;
            *unterminated = true;
            *got = true;
            return BW_OK;
        }
        r->line += lines;
        r->w.pos = next;
        /* a blank line (or a lone CR) is no record */
        if (r->nf == 1 && r->f[0].s == r->f[0].e && !r->f[0].quoted) {
            continue;
        }
        *got = true;
        return BW_OK;
    }
}

/* ---- setup -------------------------------------------------------------------------------------- */

/* Count the fields of up to 20 lines of the head for each candidate; pick the steadiest widest. */
static char sniff(const char *b, size_t n)
{
    static const char cand[] = {',', ';', '\t', '|'};
    char best = ',';
    double best_score = 0;

    for (size_t c = 0; c < sizeof(cand); c++) {
        size_t counts[20], nl = 0, fields = 1, i = 0;
        bool q = false;
        for (; i < n && nl < BW_ARRAY_LEN(counts); i++) {
            if (b[i] == '"') {
                q = !q;
            } else if (!q && b[i] == cand[c]) {
                fields++;
            } else if (!q && b[i] == '\n') {
                counts[nl++] = fields;
                fields = 1;
            }
        }
        if (nl < BW_ARRAY_LEN(counts) && i == n && fields > 1) {
            counts[nl++] = fields; /* the last line, unterminated */
        }
        if (nl == 0 || counts[0] < 2) {
            continue;
        }
        size_t same = 0;
        for (size_t k = 0; k < nl; k++) {
            same += counts[k] == counts[0];
        }
        double score = (double)same / (double)nl * (double)counts[0];
        if (score > best_score) {
            best_score = score;
            best = cand[c];
        }
    }
    return best;
}

/* Keyed by the reader's (randomised) address, so a crafted header cannot pile its names into one probe run. */
static uint64_t name_hash(const bw_csv *r, const char *s, size_t n)
{
    return bw_hash64(s, n, (uint64_t)(uintptr_t)r);
}

/* The column named s[0..n), or SIZE_MAX. */
static size_t find_name(const bw_csv *r, const char *s, size_t n)
{
    if (r->nidx == 0) {
        return SIZE_MAX;
    }
    for (size_t k = name_hash(r, s, n) & (r->nidx - 1); r->idx[k] != 0; k = (k + 1) & (r->nidx - 1)) {
        const char *nm = r->batch.names[r->idx[k] - 1];
        if (strlen(nm) == n && memcmp(nm, s, n) == 0) {
            return r->idx[k] - 1;
        }
    }
    return SIZE_MAX;
}

/* Add column `name` (k = its index) to the batch, the name index and the repeat counters. */
static bw_status add_named(bw_csv *r, const char *s, size_t n)
{
    size_t col = r->batch.ncols;

    if (2 * (col + 1) > r->nidx) {
        size_t cap = r->nidx ? r->nidx * 2 : 64;
        size_t *idx = bw_calloc(cap, sizeof(*idx));
        unsigned *dn = bw_reallocarray(r->dupnext, cap, sizeof(*dn));
        if (idx == NULL || dn == NULL) {
            bw_free(idx);
            if (dn != NULL) {
                r->dupnext = dn;
            }
            return BW_ENOMEM;
        }
        r->dupnext = dn;
        for (size_t i = 0; i < col; i++) {
            const char *nm = r->batch.names[i];
            size_t k = name_hash(r, nm, strlen(nm)) & (cap - 1);
            while (idx[k] != 0) {
                k = (k + 1) & (cap - 1);
            }
            idx[k] = i + 1;
        }
        bw_free(r->idx);
        r->idx = idx;
        r->nidx = cap;
    }
    BW_TRY(bw_batch_add_column(&r->batch, s, n, BW_DT_NULL));
    size_t k = name_hash(r, s, n) & (r->nidx - 1);
    while (r->idx[k] != 0) {
        k = (k + 1) & (r->nidx - 1);
    }
    r->idx[k] = col + 1;
    r->dupnext[col] = 1;
    return BW_OK;
}

static bw_status set_name(bw_csv *r, size_t k, const char *s, size_t n)
{
    char tmp[32];
    size_t len = strnlen(s, n); /* a name is a C string: it ends at a NUL byte */
    const char *nm = s;
    size_t base;

    if (len == 0) {
        snprintf(tmp, sizeof(tmp), "column_%zu", k + 1);
        nm = tmp;
        len = strlen(tmp);
    }
    base = find_name(r, nm, len);
    if (base == SIZE_MAX) {
        return add_named(r, nm, len);
    }
    /* a repeated name gets _1, _2 ... as DuckDB does; the counter lives with the first */
    for (;;) {
        bw_buf cand = BW_BUF_INIT(1u << 20);
        bw_status rc = BW_OK;
        bw_buf_add(&cand, nm, len);
        bw_buf_printf(&cand, "_%u", r->dupnext[base]++);
        if (cand.err != BW_OK) {
            rc = cand.err;
        } else if (find_name(r, cand.ptr, cand.len) == SIZE_MAX) {
            rc = add_named(r, cand.ptr, cand.len);
            bw_buf_release(&cand);
            return rc;
        }
        bw_buf_release(&cand);
        if (rc != BW_OK) {
            return rc;
        }
    }
}

static void report(bw_csv *r, uint64_t line, uint64_t off, const char *column, const char *msg)
{
    if (r->o.on_bad != NULL) {
        bw_bad_row b = {line, off, r->st.rows + (r->nsamp - r->samp_next), column, msg};
        r->o.on_bad(r->o.ctx, &b);
    }
}

/* A malformed row: counted and skipped, or the end of the read. */
static bw_status bad_row(bw_csv *r, const char *what, bw_error *err)
{
    r->st.bad_rows++;
    if (r->o.on_bad_row != BW_BAD_STOP) {
        report(r, r->rec_line, r->rec_off, NULL, what);
    } else {
        return bw_fail_at(err, BW_EFORMAT, r->rec_off, "%s: line %llu (offset %llu): %s", r->name,
                          (unsigned long long)r->rec_line, (unsigned long long)r->rec_off, what);
    }
    return BW_OK;
}

/* Convert text to column k of the batch; a value that fits no widening is null, counted and reported. */
static bw_status put_value(bw_csv *r, size_t k, const char *s, size_t n, bool null, uint64_t line, uint64_t off)
{
    const char *why = NULL;
    bw_status rc;

    if (null) {
        return bw_col_push_null(&r->batch.cols[k]);
    }
    rc = bw_col_push_text(&r->batch.cols[k], s, n, r->fixed[k], &why);
    if (rc == BW_OK && why != NULL) {
        r->st.bad_values++;
        report(r, line, off, r->batch.names[k], why);
    }
    return rc;
}

/*
 * The next well-formed record into r->f; *got false at the end. A record
 * with an unterminated quote or another field count than the header's is
 * reported (or stops the read) and passed over.
 */
static bw_status next_row(bw_csv *r, bool *got, bw_error *err)
{
    for (;;) {
        bool unterminated;
        char msg[96];

        BW_TRY(next_record(r, got, &unterminated, err));
        if (!*got) {
            return BW_OK;
        }
        if (unterminated) {
            BW_TRY(bad_row(r, "an unterminated quote", err));
        } else if (r->nf != r->ncols) {
            snprintf(msg, sizeof(msg), "%zu fields where the header has %zu", r->nf, r->ncols);
            BW_TRY(bad_row(r, msg, err));
        } else {
            return BW_OK;
        }
    }
}

/* Add the current (well-formed) record as a row of the batch. */
static bw_status put_record(bw_csv *r, bw_error *err)
{
    for (size_t k = 0; k < r->ncols; k++) {
        size_t n;
        const char *s = field_text(r, k, &n);
        bw_status rc = put_value(r, k, s, n, !r->f[k].quoted && is_null(r, s, n), r->rec_line, r->w.base + r->f[k].s);
        if (rc != BW_OK) {
            return bw_fail(err, rc, "%s: out of memory", r->name);
        }
    }
    r->batch.nrows++;
    r->st.rows++;
    return BW_OK;
}

/* Keep the current record in the inference sample. */
static bw_status keep_sample(bw_csv *r, bw_error *err)
{
    if (r->ncells + r->ncols > r->capcells) {
        size_t cap = r->capcells ? r->capcells * 2 : 1024;
        while (cap < r->ncells + r->ncols) {
            cap *= 2;
        }
        struct cell *g = bw_reallocarray(r->cells, cap, sizeof(*g));
        if (g == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->cells = g;
        r->capcells = cap;
    }
    if (r->nsamp == r->capsamp) {
        size_t cap = r->capsamp ? r->capsamp * 2 : 256;
        uint64_t *l = bw_reallocarray(r->samp_line, cap, sizeof(*l));
        if (l == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->samp_line = l;
        uint64_t *o = bw_reallocarray(r->samp_off, cap, sizeof(*o));
        if (o == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        r->samp_off = o;
        r->capsamp = cap;
    }
    for (size_t k = 0; k < r->ncols; k++) {
        size_t n;
        const char *s = field_text(r, k, &n);
        struct cell *c = &r->cells[r->ncells++];
        c->off = r->samp.len;
        c->len = n;
        c->null = !r->f[k].quoted && is_null(r, s, n);
        bw_buf_add(&r->samp, s, n);
    }
    if (r->samp.err != BW_OK) {
        return bw_fail(err, r->samp.err, "%s: the inference sample is too large", r->name);
    }
    r->samp_line[r->nsamp] = r->rec_line;
    r->samp_off[r->nsamp] = r->rec_off;
    r->nsamp++;
    return BW_OK;
}

static bw_status start(bw_csv *r, bw_error *err)
{
    bool got, unterminated;

    r->started = true;
    /* enough of the head to sniff the delimiter and skip a byte order mark */
    while (!r->w.eof && r->w.end - r->w.pos < 65536) {
        size_t before = r->w.end;
        BW_TRY(bw_window_more(&r->w, r->line, err));
        r->st.bytes = r->w.base + r->w.end;
        if (r->w.end == before) {
            break;
        }
    }
    if (r->w.end - r->w.pos >= 3 && memcmp(r->w.buf + r->w.pos, "\xEF\xBB\xBF", 3) == 0) {
        r->w.pos += 3;
    }
    r->delim = r->o.delim != 0 ? r->o.delim : sniff(r->w.buf + r->w.pos, BW_MIN(r->w.end - r->w.pos, (size_t)65536));
    BW_TRY(next_record(r, &got, &unterminated, err));
    if (!got) {
        return BW_OK; /* an empty input: no columns, no rows */
    }
    if (unterminated) {
        return bw_fail_at(err, BW_EFORMAT, r->rec_off, "%s: line %llu: the first row has an unterminated quote",
                          r->name, (unsigned long long)r->rec_line);
    }
    r->ncols = r->nf;
    for (size_t k = 0; k < r->nf; k++) {
        char tmp[32];
        size_t n;
        const char *s = field_text(r, k, &n);
        if (!r->o.header) {
            snprintf(tmp, sizeof(tmp), "column_%zu", k + 1);
            s = tmp;
            n = strlen(tmp);
        } else if (!bw_utf8_valid(s, n)) {
            return bw_fail_at(err, BW_EFORMAT, r->rec_off, "%s: line 1: column %zu's name is not UTF-8", r->name,
                              k + 1);
        }
        if (set_name(r, k, s, n) != BW_OK) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
    }
    r->fixed = bw_calloc(r->ncols ? r->ncols : 1, sizeof(*r->fixed));
    if (r->fixed == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    if (!r->o.header) {
        BW_TRY(keep_sample(r, err)); /* the first row is data */
    }
    /* the sample: well-formed rows up to infer_rows (or the byte cap) */
    while (r->nsamp < r->o.infer_rows && r->samp.len < BW_DATA_SAMPLE_MAX) {
        BW_TRY(next_row(r, &got, err));
        if (!got) {
            break;
        }
        BW_TRY(keep_sample(r, err));
    }
    for (size_t k = 0; k < r->ncols; k++) {
        bw_infer inf;
        bw_dtype t = BW_DT_NULL;
        bool given = false;
        for (size_t j = 0; j < r->o.ntypes; j++) {
            if (r->o.type_names[j] != NULL && strcmp(r->o.type_names[j], r->batch.names[k]) == 0) {
                t = r->o.types[j];
                given = true;
            }
        }
        if (!given) {
            bw_infer_init(&inf);
            for (size_t i = 0; i < r->nsamp; i++) {
                const struct cell *c = &r->cells[i * r->ncols + k];
                if (c->null) {
                    continue;
                }
                bw_infer_feed(&inf, r->samp.ptr + c->off, c->len);
            }
            t = bw_infer_result(&inf);
        }
        r->fixed[k] = given;
        bw_col_retype(&r->batch.cols[k], t);
    }
    return BW_OK;
}

/* ---- the public face ---------------------------------------------------------------------------- */

static bw_status make(const char *name, const bw_data_opts *o, bw_csv **out, bw_error *err)
{
    bw_csv *r = bw_calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    if (bw_data_opts_resolve(o, &r->o, err) != BW_OK) {
        bw_free(r);
        return BW_EINVAL;
    }
    r->nulls = r->o.nulls != NULL ? r->o.nulls : default_nulls;
    r->nnulls = r->o.nulls != NULL ? r->o.nnulls : BW_ARRAY_LEN(default_nulls);
    r->line = 1;
    bw_buf_init(&r->scratch, r->o.max_record);
    bw_buf_init(&r->samp, BW_DATA_SAMPLE_MAX + r->o.max_record);
    bw_batch_init(&r->batch);
    r->name = bw_strdup(name != NULL ? name : "<csv>");
    if (r->name == NULL) {
        bw_free(r);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    *out = r;
    return BW_OK;
}

bw_status bw_csv_open(const char *path, const bw_data_opts *o, bw_csv **out, bw_error *err)
{
    bw_csv *r;

    BW_TRY(make(path, o, &r, err));
    bw_status rc = bw_window_open(&r->w, path, r->name, r->o.max_record, err);
    if (rc != BW_OK) {
        bw_csv_free(r);
        return rc;
    }
    *out = r;
    return BW_OK;
}

bw_status bw_csv_open_mem(const void *p, size_t n, const char *name, const bw_data_opts *o, bw_csv **out, bw_error *err)
{
    bw_csv *r;

    BW_TRY(make(name, o, &r, err));
    bw_window_mem(&r->w, p, n, r->name);
    r->st.bytes = n;
    *out = r;
    return BW_OK;
}

bw_status bw_csv_next(bw_csv *r, const bw_batch **out, bw_error *err)
{
    *out = NULL;
    if (!r->started) {
        BW_TRY(start(r, err));
    }
    bw_batch_clear(&r->batch);
    r->batch.row0 = r->st.rows;
    /* the sample's rows first */
    while (r->samp_next < r->nsamp && r->batch.nrows < r->o.batch_rows) {
        size_t i = r->samp_next++;
        for (size_t k = 0; k < r->ncols; k++) {
            const struct cell *c = &r->cells[i * r->ncols + k];
            bw_status rc = put_value(r, k, r->samp.ptr + c->off, c->len, c->null, r->samp_line[i], r->samp_off[i]);
            if (rc != BW_OK) {
                return bw_fail(err, rc, "%s: out of memory", r->name);
            }
        }
        r->batch.nrows++;
        r->st.rows++;
    }
    if (r->samp_next == r->nsamp && r->nsamp > 0) {
        /* the sample is converted: free it */
        bw_buf_release(&r->samp);
        BW_FREE(r->cells);
        BW_FREE(r->samp_line);
        BW_FREE(r->samp_off);
        r->ncells = r->capcells = r->nsamp = r->capsamp = r->samp_next = 0;
    }
    while (!r->done && r->batch.nrows < r->o.batch_rows) {
        bool got;
        BW_TRY(next_row(r, &got, err));
        if (!got) {
            break;
        }
        BW_TRY(put_record(r, err));
    }
    if (r->batch.nrows > 0) {
        *out = &r->batch;
    }
    return BW_OK;
}

char bw_csv_delim(const bw_csv *r)
{
    return r->delim;
}

const bw_data_stats *bw_csv_stats(const bw_csv *r)
{
    return &r->st;
}

void bw_csv_free(bw_csv *r)
{
    if (r == NULL) {
        return;
    }
    bw_window_close(&r->w);
    bw_free(r->name);
    bw_free(r->f);
    bw_free(r->fixed);
    bw_free(r->idx);
    bw_free(r->dupnext);
    bw_buf_release(&r->scratch);
    bw_buf_release(&r->samp);
    bw_free(r->cells);
    bw_free(r->samp_line);
    bw_free(r->samp_off);
    bw_batch_release(&r->batch);
    bw_free(r);
}
