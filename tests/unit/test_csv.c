/*
 * test_csv.c - the streaming CSV reader: RFC 4180 quoting, CRLF, byte
 * order mark, delimiter sniffing, null spellings, header names, malformed
 * rows reported with line and offset (skipped or stopping the read), type
 * inference and widening across batches, and a file read through the
 * window with records straddling its refills, compared with the same bytes
 * read from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/bw_buf.h"
#include "bulwark/bw_csv.h"
#include "tap.h"

struct bads {
    size_t n;
    uint64_t line[64], off[64], row[64];
    char msg[64][96];
    char col[64][32];
};

static void on_bad(void *ctx, const bw_bad_row *b)
{
    struct bads *x = ctx;

    if (x->n < 64) {
        x->line[x->n] = b->line;
        x->off[x->n] = b->offset;
        x->row[x->n] = b->row;
        snprintf(x->msg[x->n], sizeof(x->msg[0]), "%s", b->msg);
        snprintf(x->col[x->n], sizeof(x->col[0]), "%s", b->column != NULL ? b->column : "");
    }
    x->n++;
}

/* Read all of `text` and render it as "name:type|..." then rows "v,v;..." (null as ~). */
static bw_status render(const char *text, size_t n, bw_data_opts *o, bw_buf *out, bw_error *err)
{
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bool head = false;
    bw_status rc = bw_csv_open_mem(text, n, "t.csv", o, &r, err);

    while (rc == BW_OK && (rc = bw_csv_next(r, &b, err)) == BW_OK && b != NULL) {
        if (!head) {
            for (size_t k = 0; k < b->ncols; k++) {
                bw_buf_printf(out, "%s%s:%s", k ? "|" : "", b->names[k], bw_dtype_name(b->cols[k].type));
            }
            bw_buf_addc(out, '\n');
            head = true;
        }
        for (size_t i = 0; i < b->nrows; i++) {
            for (size_t k = 0; k < b->ncols; k++) {
                if (k > 0) {
                    bw_buf_addc(out, ',');
                }
                if (!bw_col_valid(&b->cols[k], i)) {
                    bw_buf_addc(out, '~');
                } else {
                    bw_col_format(&b->cols[k], i, out);
                }
            }
            bw_buf_addc(out, ';');
        }
    }
    bw_csv_free(r);
    return rc;
}

static void check(const char *name, const char *text, bw_data_opts *o, const char *want)
{
    bw_buf out = BW_BUF_INIT(1 << 24);
    bw_error err = {0};
    bw_data_opts def = BW_DATA_OPTS_INIT;
    bw_status rc = render(text, strlen(text), o != NULL ? o : &def, &out, &err);

    ok(rc == BW_OK, "%s: read (%s)", name, rc == BW_OK ? "ok" : err.msg);
    is_str(out.ptr != NULL ? out.ptr : "", want, "%s", name);
    bw_buf_release(&out);
}

static void test_basics(void)
{
    check("plain", "a,b\n1,x\n2,y\n", NULL, "a:int64|b:string\n1,x;2,y;");
    check("CRLF and no final newline", "a,b\r\n1,x\r\n2,y", NULL, "a:int64|b:string\n1,x;2,y;");
    check("quotes", "a,b\n\"1\",\"x,y\"\n2,\"say \"\"hi\"\"\"\n", NULL, "a:int64|b:string\n1,x,y;2,say \"hi\";");
    check("line break in a quoted field", "a,b\n1,\"two\nlines\"\n2,z\n", NULL, "a:int64|b:string\n1,two\nlines;2,z;");
    check("CRLF inside quotes kept", "a,b\r\n1,\"x\r\ny\"\r\n", NULL, "a:int64|b:string\n1,x\r\ny;");
    check("byte order mark", "\xEF\xBB\xBFid,v\n1,2\n", NULL, "id:int64|v:int64\n1,2;");
    check("nulls", "a,b,c\n1,,x\nNA,N/A,\"\"\nNULL,null,\"NA\"\n", NULL,
          "a:int64|b:string|c:string\n1,~,x;~,~,;~,~,NA;");
    check("text after a closing quote", "a,b\n1,\"ab\"c\n", NULL, "a:int64|b:string\n1,abc;");
    check("quote inside an unquoted field", "a,b\n1,ab\"c\n2,d\n", NULL, "a:int64|b:string\n1,ab\"c;2,d;");
    check("blank lines skipped", "a,b\n\n1,2\n\r\n3,4\n\n", NULL, "a:int64|b:int64\n1,2;3,4;");
    /* a header and no rows: one empty batch names the columns (untyped text) */
    check("header only", "a,b\n", NULL, "a:string|b:string\n");
    check("header only, no final newline", "a;b;c", NULL, "a:string|b:string|c:string\n");
    check("empty input", "", NULL, "");
    check("duplicate and empty names", "x,x,,x\n1,2,3,4\n", NULL,
          "x:int64|x_1:int64|column_3:int64|x_2:int64\n1,2,3,4;");
    check("types",
          "i,f,b,d,t,s\n1,1.5,true,2024-01-02,2024-01-02T03:04:05Z,x\n-2,2,FALSE,1999-12-31,2024-01-02 03:04,y\n", NULL,
          "i:int64|f:float64|b:bool|d:date|t:timestamp|s:string\n"
          "1,1.5,true,2024-01-02,2024-01-02T03:04:05,x;-2,2,false,1999-12-31,2024-01-02T03:04:00,y;");
    check("spaces around numbers", "a,b\n 1 , x \n", NULL, "a:int64|b:string\n1, x ;");
}

static void test_sniff(void)
{
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_error err = {0};
    static const struct {
        const char *text;
        char delim;
    } cases[] = {
        {"a;b;c\n1;2,5;3\n4;5,5;6\n", ';'},
        {"a\tb\n1\t2\n", '\t'},
        {"a|b|c\n1|2|3\n", '|'},
        {"a,b\n\"x;y\",1\n\"z;w\",2\n", ','},
        {"just one column\nvalue\n", ','},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok(bw_csv_open_mem(cases[i].text, strlen(cases[i].text), "s.csv", NULL, &r, &err) == BW_OK &&
               bw_csv_next(r, &b, &err) == BW_OK,
           "sniff case %zu reads", i);
        is_int(bw_csv_delim(r), cases[i].delim, "sniff case %zu delimiter", i);
        bw_csv_free(r);
    }
    bw_data_opts o = BW_DATA_OPTS_INIT;
    o.delim = ';';
    check("delimiter given", "a,b;c\n1,2;3\n", &o, "a,b:string|c:int64\n1,2,3;");
    o.delim = '"';
    ok(bw_csv_open_mem("a", 1, "q.csv", &o, &r, &err) == BW_EINVAL, "a quote cannot be the delimiter");
}

static void test_options(void)
{
    bw_data_opts o = BW_DATA_OPTS_INIT;
    static const char *const nulls[] = {"-", "missing"};
    static const char *const names[] = {"code"};
    static const bw_dtype types[] = {BW_DT_STRING};

    o.header = 0;
    check("no header", "1,x\n2,y\n", &o, "column_1:int64|column_2:string\n1,x;2,y;");
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o.nulls = nulls;
    o.nnulls = 2;
    check("null spellings replaced", "a,b\n-,NA\nmissing,\n", &o, "a:string|b:string\n~,NA;~,;");
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o.type_names = names;
    o.types = types;
    o.ntypes = 1;
    check("an explicit type keeps leading zeros", "code,n\n007,1\n042,2\n", &o, "code:string|n:int64\n007,1;042,2;");
    /* a projection: b and d are converted; a and c keep their names and row count, all null, and a bad
       value in them (x in an int column, a date-like text in a typed one) is not reported */
    static const char *const proj[] = {"b", "d", "nosuch"};
    struct bads bads = {0};
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o.columns = proj;
    o.ncolumns = 3;
    o.on_bad = on_bad;
    o.ctx = &bads;
    o.type_names = names;
    o.types = types;
    o.ntypes = 1;
    check("a projection converts only the listed columns", "a,b,code,d\n1,2.5,7,x\n2,\"3\",8,y\nzz,4,9,\"q\"\"r\"\n",
          &o, "a:null|b:float64|code:null|d:string\n~,2.5,~,x;~,3,~,y;~,4,~,q\"r;");
    is_int(bads.n, 0, "nothing reported from the columns left out");
    o.ncolumns = 0;
    check("an empty projection: every column null, rows counted", "a,b\n1,2\n3,4\n", &o, "a:null|b:null\n~,~;~,~;");
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o.version = 99;
    bw_csv *r = NULL;
    bw_error err = {0};
    ok(bw_csv_open_mem("", 0, "v.csv", &o, &r, &err) == BW_EINVAL, "an unknown options version is refused");
}

static void test_bad_rows(void)
{
    struct bads x = {0};
    bw_data_opts o = BW_DATA_OPTS_INIT;
    const char *text = "a,b\n1,2\n3\n4,5,6\n7,8\n9,\"open\n";

    o.on_bad = on_bad;
    o.ctx = &x;
    check("malformed rows skipped", text, &o, "a:int64|b:int64\n1,2;7,8;");
    is_int(x.n, 3, "three malformed rows reported");
    ok(x.line[0] == 3 && x.off[0] == 8, "short row at line 3, offset 8 (%llu, %llu)", (unsigned long long)x.line[0],
       (unsigned long long)x.off[0]);
    like(x.msg[0], "1 fields where the header has 2", "its reason");
    ok(x.line[1] == 4 && x.off[1] == 10, "long row at line 4, offset 10");
    ok(x.line[2] == 6 && x.off[2] == 20, "unterminated quote at line 6, offset 20");
    like(x.msg[2], "unterminated quote", "its reason");

    bw_buf out = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    o.on_bad_row = BW_BAD_STOP;
    memset(&x, 0, sizeof(x));
    ok(render(text, strlen(text), &o, &out, &err) == BW_EFORMAT, "--on-bad-row stop: BW_EFORMAT");
    like(err.msg, "t.csv: line 3 (offset 8)", "the message names the file, line and offset");
    is_int(err.offset, 8, "the error's offset");
    bw_buf_release(&out);

    /* bad values: text in a numeric column after inference */
    memset(&x, 0, sizeof(x));
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o.on_bad = on_bad;
    o.ctx = &x;
    o.infer_rows = 2;
    check("a value that fits no type", "n,s\n1,a\n2,b\noops,c\n4,d\n", &o, "n:int64|s:string\n1,a;2,b;~,c;4,d;");
    is_int(x.n, 1, "one bad value");
    is_str(x.col[0], "n", "its column");
    ok(x.line[0] == 4, "its line");
    memset(&x, 0, sizeof(x));
    check("invalid UTF-8 in a string", "s\nok\n\xC3\x28\n", &o, "s:string\nok;~;");
    is_int(x.n, 1, "reported");
}

/* Widening across batch boundaries: types are inferred from the first rows only. */
static void test_batches(void)
{
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_error err = {0};
    const char *text = "n,d\n1,2024-01-01\n2,2024-01-02\n3,2024-01-03\n4.5,2024-01-04T12:00:00\n5,2024-01-05\n";
    char seen[64] = "";

    o.batch_rows = 2;
    o.infer_rows = 3;
    ok(bw_csv_open_mem(text, strlen(text), "w.csv", &o, &r, &err) == BW_OK, "open");
    size_t nb = 0;
    uint64_t row0[8];
    while (bw_csv_next(r, &b, &err) == BW_OK && b != NULL && nb < 8) {
        row0[nb++] = b->row0;
        strcat(seen, b->cols[0].type == BW_DT_INT64 ? "i" : "f");
        strcat(seen, b->cols[1].type == BW_DT_DATE ? "d" : "t");
    }
    is_int(nb, 3, "three batches of two, two and one");
    ok(nb == 3 && row0[0] == 0 && row0[1] == 2 && row0[2] == 4, "row0 counts rows");
    is_str(seen, "idftft", "the second batch widened both columns and later batches keep it");
    is_int(bw_csv_stats(r)->rows, 5, "five rows");
    bw_csv_free(r);
}

/* A file larger than the window, with long quoted records across refills. */
static void test_file(void)
{
    char path[] = "/tmp/bw-test-csv-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    bw_buf text = BW_BUF_INIT((size_t)1 << 30);

    ok(f != NULL, "temp file");
    if (f == NULL) {
        return;
    }
    bw_buf_addstr(&text, "id,note,x\n");
    for (int i = 0; i < 60000; i++) {
        if (i % 5000 == 7) {
            bw_buf_printf(&text, "%d,\"", i);
            for (int k = 0; k < 70000; k++) {
                bw_buf_addstr(&text, k % 1000 == 0 ? "\"\"\n" : "ab");
            }
            bw_buf_printf(&text, "\",%d.5\n", i);
        } else {
            bw_buf_printf(&text, "%d,row %d,%d\n", i, i, i % 100);
        }
    }
    fwrite(text.ptr, 1, text.len, f);
    fclose(f);

    bw_buf a = BW_BUF_INIT((size_t)1 << 30), m = BW_BUF_INIT((size_t)1 << 30);
    bw_error err = {0};
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_status rc = bw_csv_open(path, &o, &r, &err);
    uint64_t rows = 0;
    while (rc == BW_OK && (rc = bw_csv_next(r, &b, &err)) == BW_OK && b != NULL) {
        for (size_t i = 0; i < b->nrows; i++, rows++) {
            for (size_t k = 0; k < b->ncols; k++) {
                bw_col_format(&b->cols[k], i, &a);
                bw_buf_addc(&a, k + 1 < b->ncols ? ',' : ';');
            }
        }
    }
    ok(rc == BW_OK, "file read (%s)", rc == BW_OK ? "ok" : err.msg);
    is_int(rows, 60000, "60000 rows");
    ok(rc == BW_OK && bw_csv_stats(r)->bytes == text.len, "every byte consumed");
    bw_csv_free(r);
    rc = bw_csv_open_mem(text.ptr, text.len, "m.csv", &o, &r, &err);
    while (rc == BW_OK && (rc = bw_csv_next(r, &b, &err)) == BW_OK && b != NULL) {
        for (size_t i = 0; i < b->nrows; i++) {
            for (size_t k = 0; k < b->ncols; k++) {
                bw_col_format(&b->cols[k], i, &m);
                bw_buf_addc(&m, k + 1 < b->ncols ? ',' : ';');
            }
        }
    }
    bw_csv_free(r);
    ok(a.len == m.len && a.len > 0 && memcmp(a.ptr, m.ptr, a.len) == 0, "the file reads as the same bytes in memory");

    /* a record over max_record */
    o.max_record = 100000;
    rc = bw_csv_open(path, &o, &r, &err);
    while (rc == BW_OK && (rc = bw_csv_next(r, &b, &err)) == BW_OK && b != NULL) {
    }
    ok(rc == BW_ELIMIT, "a record over max_record: BW_ELIMIT");
    like(err.msg, "a record longer than 100000 bytes", "says so");
    bw_csv_free(r);
    ok(bw_csv_open("/nonexistent/x.csv", NULL, &r, &err) == BW_ENOTFOUND, "a missing file");
    unlink(path);
    bw_buf_release(&a);
    bw_buf_release(&m);
    bw_buf_release(&text);
}

/* Every prefix of a tricky input reads without failing (malformed tails are skipped). */
static void test_prefixes(void)
{
    const char *text = "\xEF\xBB\xBF"
                       "a;b;c\r\n1;\"x;\"\"y\"\"\r\nz\";2024-01-01\r\n;;\r\n3;\"\";2024-02-30\r\n";
    size_t n = strlen(text), fails = 0;

    for (size_t k = 0; k <= n; k++) {
        bw_buf out = BW_BUF_INIT(1 << 20);
        bw_error err = {0};
        bw_data_opts o = BW_DATA_OPTS_INIT;
        /* a byte order mark cut short leaves a header name that is not UTF-8: refused */
        bw_status want = k == 1 || k == 2 ? BW_EFORMAT : BW_OK;
        if (render(text, k, &o, &out, &err) != want) {
            fails++;
            tap_diag("prefix %zu: %s", k, err.msg);
        }
        bw_buf_release(&out);
    }
    is_int(fails, 0, "all %zu prefixes read", n + 1);
}

/* ---- slices: records starting in [start, end) ---------------------------------------------------------- */

/* Rows of the slice [s, e) of `text` (from memory, or from `path` when not NULL) as "v|v|v\n" lines. */
static bw_status slice_rows(const char *text, size_t n, const char *path, uint64_t s, uint64_t e, bw_buf *out,
                            uint64_t *first_line, bw_error *err)
{
    static const char *const names[] = {"id", "note", "x"};
    static const bw_dtype types[] = {BW_DT_STRING, BW_DT_STRING, BW_DT_STRING};
    bw_data_opts o = BW_DATA_OPTS_INIT;
    struct bads bad = {0};
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_status rc;

    o.range_start = s;
    o.range_end = e;
    o.type_names = names;
    o.types = types;
    o.ntypes = 3;
    o.batch_rows = 7;
    o.infer_rows = 5;
    o.on_bad = on_bad;
    o.ctx = &bad;
    rc = path != NULL ? bw_csv_open(path, &o, &r, err) : bw_csv_open_mem(text, n, "t.csv", &o, &r, err);
    while (rc == BW_OK && (rc = bw_csv_next(r, &b, err)) == BW_OK && b != NULL) {
        for (size_t i = 0; i < b->nrows; i++) {
            for (size_t k = 0; k < b->ncols; k++) {
                bw_buf_addstr(out, k ? "|" : "");
                if (!bw_col_valid(&b->cols[k], i)) {
                    bw_buf_addc(out, '~');
                } else {
                    (void)bw_col_format(&b->cols[k], i, out);
                }
            }
            bw_buf_addc(out, '\n');
        }
    }
    if (first_line != NULL) {
        *first_line = bad.n > 0 ? bad.line[0] : 0;
    }
    bw_csv_free(r);
    return rc;
}

/* A CSV with a byte order mark, a header, CRLF and LF, quoted line breaks and quotes, blank lines. */
static void make_text(bw_buf *t, size_t rows, unsigned seed)
{
    bw_buf_addstr(t, "\xEF\xBB\xBFid,note,x\r\n");
    for (size_t i = 0; i < rows; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = seed >> 16;
        switch (k % 6) {
        case 0: bw_buf_printf(t, "%zu,\"multi\nline %u\",%u\r\n", i, k, k % 7); break;
        case 1: bw_buf_printf(t, "%zu,\"say \"\"hi\"\"\r\n,again\",\r\n", i); break;
        case 2: bw_buf_printf(t, "%zu,plain %u,NA\n", i, k); break;
        case 3: bw_buf_printf(t, "%zu,\"\n\n\",\"\"\n\n", i); break;
        case 4: bw_buf_printf(t, "%zu,\"a,b\",\"\"\"\"\n", i); break;
        default: bw_buf_printf(t, "%zu,x,y\r\n", i); break;
        }
    }
}

/* One slice read with a range mode: rows appended to out as in slice_rows, bad rows' lines to bad. */
static bw_status mode_rows(const char *text, size_t n, uint64_t s, uint64_t e, bw_range_mode mode, bw_buf *out,
                           bw_data_stats *st, struct bads *bad, bw_error *err)
{
    static const char *const names[] = {"id", "note", "x"};
    static const bw_dtype types[] = {BW_DT_STRING, BW_DT_STRING, BW_DT_STRING};
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_status rc;

    o.range_start = s;
    o.range_end = e;
    o.range_mode = mode;
    o.type_names = names;
    o.types = types;
    o.ntypes = 3;
    o.batch_rows = 7;
    o.on_bad = on_bad;
    o.ctx = bad;
    rc = bw_csv_open_mem(text, n, "t.csv", &o, &r, err);
    while (rc == BW_OK && (rc = bw_csv_next(r, &b, err)) == BW_OK && b != NULL) {
        for (size_t i = 0; i < b->nrows; i++) {
            for (size_t k = 0; k < b->ncols; k++) {
                bw_buf_addstr(out, k ? "|" : "");
                if (bw_col_valid(&b->cols[k], i)) {
                    (void)bw_col_format(&b->cols[k], i, out);
                }
            }
            bw_buf_addc(out, '\n');
        }
    }
    if (r != NULL) {
        *st = *bw_csv_stats(r);
    }
    bw_csv_free(r);
    return rc;
}

/*
 * Guessed slices (BW_RANGE_GUESS), as `profile` reads them: each slice after the first starts at the
 * first line start in it; a guess that is not where the slice before stopped (a line break inside
 * quotes) is read again with BW_RANGE_AT from there. Every tiling must give the rows of one pass,
 * and the line numbers of malformed rows, made absolute through bw_data_stats.next_line, one pass's.
 */
static void test_guessed_slices(void)
{
    bw_buf text = BW_BUF_INIT(64 << 20), whole = BW_BUF_INIT(64 << 20);
    struct bads wbad = {0};
    bw_data_stats wst;
    bw_error err = {0};
    unsigned seed = 11;
    size_t bad_rows = 0, bad_lines = 0, bad_chain = 0, guesses = 0, wrong = 0, tilings = 0;

    bw_buf_addstr(&text, "id,note,x\n");
    for (size_t i = 0; i < 400; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = seed >> 16;
        switch (k % 5) {
        case 0: bw_buf_printf(&text, "%zu,\"multi\nline\r\n%u\",%u\n", i, k, k % 7); break;
        case 1: /* a malformed row, now and then */
            bw_buf_printf(&text, k % 4 == 1 ? "%zu,too,many,fields\n" : "%zu,\"q\",\"\"\n", i);
            break;
        case 2: bw_buf_printf(&text, "%zu,\"\n\",\"\"\"\"\r\n", i); break;
        case 3: bw_buf_printf(&text, "\n%zu,plain,NA\n", i); break; /* a blank line first */
        default: bw_buf_printf(&text, "%zu,x,y\n", i); break;
        }
    }
    ok(mode_rows(text.ptr, text.len, 0, 0, BW_RANGE_FIND, &whole, &wst, &wbad, &err) == BW_OK, "one pass reads");
    ok(wbad.n > 20 && wbad.n < 64, "one pass: %zu malformed rows", wbad.n);
    is_int(wst.next, text.len, "one pass stops at the end");
    for (int round = 0; round < 600; round++) {
        bw_buf got = BW_BUF_INIT(64 << 20);
        struct bads all = {0};
        uint64_t cuts[12], prev_next = 0, line_off = 0, prev_line = 1;
        size_t k = 2 + (size_t)round % 10;
        cuts[0] = 0;
        cuts[k] = text.len;
        for (size_t i = 1; i < k; i++) {
            seed = seed * 1103515245u + 12345u;
            cuts[i] = 1 + (seed >> 8) % text.len;
        }
        for (size_t i = 1; i < k; i++) {
            for (size_t j = i; j > 1 && cuts[j] < cuts[j - 1]; j--) {
                uint64_t t = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        }
        for (size_t i = 0; i < k; i++) {
            bw_buf part = BW_BUF_INIT(64 << 20);
            struct bads pb = {0};
            bw_data_stats st = {0};
            bw_range_mode m = i == 0 ? BW_RANGE_FIND : BW_RANGE_GUESS;
            uint64_t s = cuts[i];
            if (mode_rows(text.ptr, text.len, s, cuts[i + 1] ? cuts[i + 1] : 1, m, &part, &st, &pb, &err) != BW_OK) {
                bad_chain++;
                tap_diag("slice %zu [%llu, %llu): %s", i, (unsigned long long)s, (unsigned long long)cuts[i + 1],
                         err.msg);
            }
            if (i > 0) {
                guesses++;
                if (st.first != prev_next) {
                    wrong++;
                    bw_buf_reset(&part);
                    memset(&pb, 0, sizeof(pb));
                    m = BW_RANGE_AT;
                    if (mode_rows(text.ptr, text.len, prev_next, cuts[i + 1], m, &part, &st, &pb, &err) != BW_OK ||
                        st.first != prev_next) {
                        if (bad_chain++ < 3) {
                            tap_diag("slice %zu read at %llu: first %llu, rows [%llu, %llu)", i,
                                     (unsigned long long)prev_next, (unsigned long long)st.first,
                                     (unsigned long long)prev_next, (unsigned long long)cuts[i + 1]);
                        }
                    }
                }
            }
            /* lines before this slice's line 1 */
            line_off = i == 0 ? 0 : line_off + prev_line - 1;
            for (size_t j = 0; j < pb.n && all.n < 64; j++) {
                all.line[all.n++] = pb.line[j] + line_off;
            }
            prev_next = st.next;
            prev_line = st.next_line;
            bw_buf_add(&got, part.ptr, part.len);
            bw_buf_release(&part);
        }
        tilings++;
        if (prev_next != text.len && bad_chain++ < 3) {
            tap_diag("tiling %d: the last slice stopped at %llu of %zu", round, (unsigned long long)prev_next,
                     text.len);
        }
        bad_rows += got.len != whole.len || memcmp(got.ptr, whole.ptr, got.len) != 0;
        bool same = all.n == wbad.n;
        for (size_t j = 0; same && j < all.n; j++) {
            same = all.line[j] == wbad.line[j];
        }
        bad_lines += !same;
        bw_buf_release(&got);
    }
    is_int(bad_rows, 0, "%zu tilings with guessed starts read one pass's rows", tilings);
    is_int(bad_lines, 0, "... and number the malformed rows as one pass does");
    is_int(bad_chain, 0, "... every slice starts where the one before stopped, after a re-read");
    ok(wrong > 0 && wrong < guesses, "%zu of %zu guesses were inside quotes and read again", wrong, guesses);
    bw_buf_release(&text);
    bw_buf_release(&whole);
}

static void test_slices(void)
{
    bw_buf text = BW_BUF_INIT(64 << 20), whole = BW_BUF_INIT(64 << 20);
    bw_error err = {0};
    unsigned seed = 7;
    size_t bad_tilings = 0, tilings = 0;
    char path[] = "/tmp/bw-test-slices-XXXXXX";
    int fd;

    make_text(&text, 300, 1);
    ok(slice_rows(text.ptr, text.len, NULL, 0, 0, &whole, NULL, &err) == BW_OK, "the whole input reads");
    for (int round = 0; round < 400; round++) {
        bw_buf got = BW_BUF_INIT(64 << 20);
        uint64_t cuts[10];
        size_t k = 1 + (size_t)round % 9;
        cuts[0] = 0;
        cuts[k] = text.len;
        for (size_t i = 1; i < k; i++) {
            seed = seed * 1103515245u + 12345u;
            cuts[i] = (seed >> 8) % (text.len + 1);
        }
        for (size_t i = 1; i < k; i++) { /* insertion sort */
            for (size_t j = i; j > 1 && cuts[j] < cuts[j - 1]; j--) {
                uint64_t t = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        }
        for (size_t i = 0; i < k; i++) {
            if (cuts[i + 1] == 0) {
                continue; /* [0, 0) would be the whole input */
            }
            if (slice_rows(text.ptr, text.len, NULL, cuts[i], cuts[i + 1], &got, NULL, &err) != BW_OK) {
                tap_diag("slice [%llu, %llu): %s", (unsigned long long)cuts[i], (unsigned long long)cuts[i + 1],
                         err.msg);
            }
        }
        tilings++;
        if (got.len != whole.len || memcmp(got.ptr, whole.ptr, got.len) != 0) {
            bad_tilings++;
            if (bad_tilings == 1) {
                tap_diag("tiling %d with %zu slices differs", round, k);
            }
        }
        bw_buf_release(&got);
    }
    is_int(bad_tilings, 0, "%zu random tilings of a %zu-byte CSV read every record once, in order", tilings, text.len);

    /* a file over several windows: slices found by pread and reached by lseek */
    bw_buf big = BW_BUF_INIT(64 << 20), bigwhole = BW_BUF_INIT(64 << 20);
    make_text(&big, 60000, 3);
    fd = mkstemp(path);
    ok(fd >= 0 && write(fd, big.ptr, big.len) == (ssize_t)big.len, "wrote a %zu-byte file", big.len);
    close(fd);
    ok(slice_rows(big.ptr, big.len, NULL, 0, 0, &bigwhole, NULL, &err) == BW_OK, "the big input reads");
    for (int round = 0; round < 4; round++) {
        bw_buf got = BW_BUF_INIT(64 << 20);
        size_t k = 2 + (size_t)round * 3;
        bool fine = true;
        for (size_t i = 0; i < k; i++) {
            uint64_t s = big.len / k * i, e = i + 1 == k ? big.len : big.len / k * (i + 1);
            fine &= slice_rows(NULL, 0, path, s, e, &got, NULL, &err) == BW_OK;
        }
        ok(fine && got.len == bigwhole.len && memcmp(got.ptr, bigwhole.ptr, got.len) == 0,
           "%zu file slices read what one pass reads", k);
        bw_buf_release(&got);
    }

    /* line numbers in a slice count from the top of the file */
    {
        const char *t = "id,note,x\n1,\"a\nb\",c\n2,d\n3,e,f\n";
        bw_buf got = BW_BUF_INIT(1 << 20);
        uint64_t line = 0;
        /* the slice starts inside the quoted field of row 1: its first record is row 2 (line 4) */
        ok(slice_rows(t, strlen(t), NULL, 14, strlen(t), &got, &line, &err) == BW_OK, "a slice with a bad row");
        is_str(got.ptr, "3|e|f\n", "the slice holds the records that start in it");
        is_int(line, 4, "the malformed row is reported at line 4 of the file");
        bw_buf_release(&got);
    }

    /* refusals */
    {
        bw_data_opts o = BW_DATA_OPTS_INIT;
        bw_csv *r = NULL;
        o.range_start = 10;
        o.range_end = 5;
        is_int(bw_csv_open_mem("a\n1\n", 4, "t.csv", &o, &r, &err), BW_EINVAL, "a slice that ends before it starts");
    }
    unlink(path);
    bw_buf_release(&big);
    bw_buf_release(&bigwhole);
    bw_buf_release(&text);
    bw_buf_release(&whole);
}

/* ---- the splitter's blocks and the column-wise conversion ------------------------------------------------ */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/*
 * A random CSV whose values are known: lengths 0-80 so fields start and end
 * on every side of the 16- and 64-byte blocks the splitter masks, values
 * with delimiters, quotes, CR and LF (quoted, quotes doubled), CRLF or LF
 * records, and a header whose first name is padded so the data starts at
 * every offset of a block. `want` gets the values as the reader must return
 * them: \x02 after each value, \x03 after each row.
 */
static void make_known(uint64_t *seed, char delim, size_t ncols, size_t rows, size_t pad, bw_buf *text, bw_buf *want)
{
    static const char alpha[] = "abcdefghijXYZ0123456789 .-_";
    char specials[] = {',', '"', '\n', '\r', ';', '\t', '|', ' '};

    bw_buf_addc(text, 'c');
    for (size_t k = 0; k < pad; k++) {
        bw_buf_addc(text, 'x');
    }
    for (size_t k = 1; k < ncols; k++) {
        bw_buf_printf(text, "%cc%zu", delim, k);
    }
    bw_buf_addc(text, '\n');
    for (size_t i = 0; i < rows; i++) {
        for (size_t k = 0; k < ncols; k++) {
            char v[96];
            uint64_t r = rnd(seed);
            size_t n = r % 4 == 0 ? (size_t)(r >> 8) % 81 : (size_t)(r >> 8) % 20;
            bool quote = n == 0;
            for (size_t j = 0; j < n; j++) {
                uint64_t q = rnd(seed);
                v[j] = q % 13 == 0 ? specials[(q >> 8) % sizeof(specials)] : alpha[(q >> 8) % (sizeof(alpha) - 1)];
                quote |= v[j] == delim || v[j] == '"' || v[j] == '\n' || v[j] == '\r';
            }
            if (k > 0) {
                bw_buf_addc(text, delim);
            }
            if (quote) {
                bw_buf_addc(text, '"');
                for (size_t j = 0; j < n; j++) {
                    bw_buf_add(text, v[j] == '"' ? "\"\"" : &v[j], v[j] == '"' ? 2 : 1);
                }
                bw_buf_addc(text, '"');
            } else {
                bw_buf_add(text, v, n);
            }
            bw_buf_add(want, v, n);
            bw_buf_addc(want, '\x02');
        }
        bw_buf_addc(want, '\x03');
        if (i + 1 < rows || rnd(seed) % 2 == 0) {
            bw_buf_addstr(text, rnd(seed) % 3 == 0 ? "\r\n" : "\n");
        }
    }
}

/* Read text (from an allocation of exactly its size, or from path) with every column a string; \x02/\x03 form. */
static bw_status read_known(const bw_buf *text, const char *path, char delim, size_t ncols, size_t pad, bw_buf *got,
                            bw_error *err)
{
    static const char *const nulls[] = {"~never~"};
    char names[8][96];
    const char *np[8];
    bw_dtype types[8];
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    char *exact = NULL;
    bw_status rc;

    snprintf(names[0], sizeof(names[0]), "c%.*s", (int)pad,
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    for (size_t k = 0; k < ncols; k++) {
        if (k > 0) {
            snprintf(names[k], sizeof(names[k]), "c%zu", k);
        }
        np[k] = names[k];
        types[k] = BW_DT_STRING;
    }
    o.delim = delim;
    o.nulls = nulls;
    o.nnulls = 1;
    o.type_names = np;
    o.types = types;
    o.ntypes = ncols;
    o.batch_rows = 300; /* batches that end inside the 256-row conversion chunks */
    if (path != NULL) {
        rc = bw_csv_open(path, &o, &r, err);
    } else {
        exact = malloc(text->len ? text->len : 1); /* no slack after the last byte: a read past it is caught */
        memcpy(exact, text->ptr, text->len);
        rc = bw_csv_open_mem(exact, text->len, "k.csv", &o, &r, err);
    }
    while (rc == BW_OK && (rc = bw_csv_next(r, &b, err)) == BW_OK && b != NULL) {
        for (size_t i = 0; i < b->nrows; i++) {
            for (size_t k = 0; k < b->ncols; k++) {
                size_t n;
                const char *s = bw_col_str(&b->cols[k], i, &n);
                bw_buf_add(got, bw_col_valid(&b->cols[k], i) ? s : "~", bw_col_valid(&b->cols[k], i) ? n : 1);
                bw_buf_addc(got, '\x02');
            }
            bw_buf_addc(got, '\x03');
        }
    }
    bw_csv_free(r);
    free(exact);
    return rc;
}

static void test_blocks(void)
{
    static const char delims[] = {',', ';', '\t', '|'};
    uint64_t seed = 0x2545f4914f6cdd1dull;
    size_t bad = 0, rounds = 0;

    for (size_t pad = 0; pad < 64; pad++) {
        for (size_t di = 0; di < sizeof(delims); di++, rounds++) {
            bw_buf text = BW_BUF_INIT(1 << 24), want = BW_BUF_INIT(1 << 24), got = BW_BUF_INIT(1 << 24);
            bw_error err = {0};
            size_t ncols = 1 + (size_t)(rnd(&seed) % 6), rows = 1 + (size_t)(rnd(&seed) % 40);
            make_known(&seed, delims[di], ncols, rows, pad, &text, &want);
            bw_status rc = read_known(&text, NULL, delims[di], ncols, pad, &got, &err);
            if (rc != BW_OK || got.len != want.len || memcmp(got.ptr, want.ptr, got.len) != 0) {
                if (bad++ < 3) {
                    tap_diag("pad %zu delim %d cols %zu rows %zu: %s", pad, delims[di], ncols, rows,
                             rc == BW_OK ? "values differ" : err.msg);
                }
            }
            bw_buf_release(&text);
            bw_buf_release(&want);
            bw_buf_release(&got);
        }
    }
    is_int(bad, 0, "%zu random inputs read back value for value (every block offset, four delimiters)", rounds);

    /* a file of several windows: records and the splitter's blocks straddle every refill */
    char path[] = "/tmp/bw-test-blocks-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    bw_buf text = BW_BUF_INIT((size_t)1 << 28), want = BW_BUF_INIT((size_t)1 << 28), got = BW_BUF_INIT((size_t)1 << 28);
    bw_error err = {0};
    ok(f != NULL, "temp file");
    if (f == NULL) {
        return;
    }
    make_known(&seed, ',', 5, 60000, 3, &text, &want);
    fwrite(text.ptr, 1, text.len, f);
    fclose(f);
    ok(text.len > ((size_t)3 << 20), "the file is over three windows (%zu bytes)", text.len);
    bw_status rc = read_known(&text, path, ',', 5, 3, &got, &err);
    ok(rc == BW_OK && got.len == want.len && memcmp(got.ptr, want.ptr, got.len) == 0,
       "60000 random rows from a file read back value for value (%s)", rc == BW_OK ? "ok" : err.msg);
    bw_buf_reset(&got);
    rc = read_known(&text, NULL, ',', 5, 3, &got, &err);
    ok(rc == BW_OK && got.len == want.len && memcmp(got.ptr, want.ptr, got.len) == 0, "and from memory");
    unlink(path);
    bw_buf_release(&text);
    bw_buf_release(&want);
    bw_buf_release(&got);
}

/*
 * Rows are converted a chunk at a time, column by column; what the caller
 * sees must not show it: bad values and malformed rows are reported in row
 * then column order with their row numbers, and a column widens mid-chunk
 * keeping the values before.
 */
static void test_chunks(void)
{
    struct bads x = {0};
    bw_data_opts o = BW_DATA_OPTS_INIT;

    o.on_bad = on_bad;
    o.ctx = &x;
    o.infer_rows = 2;
    check("bad values in two columns, a malformed row between",
          "a,b,c\n1,x,2024-01-01\n2,y,2024-01-02\nbad,z,nope\n4\n5,w,2024-01-05\nq,v,r\n", &o,
          "a:int64|b:string|c:date\n1,x,2024-01-01;2,y,2024-01-02;~,z,~;5,w,2024-01-05;~,v,~;");
    is_int(x.n, 5, "five reports");
    ok(x.line[0] == 4 && strcmp(x.col[0], "a") == 0 && x.row[0] == 2, "line 4 column a, row 2");
    ok(x.line[1] == 4 && strcmp(x.col[1], "c") == 0 && x.row[1] == 2, "line 4 column c");
    ok(x.line[2] == 5 && x.col[2][0] == '\0' && x.row[2] == 3, "then the malformed line 5, row 3");
    like(x.msg[2], "1 fields where the header has 3", "its reason");
    ok(x.line[3] == 7 && strcmp(x.col[3], "a") == 0 && x.row[3] == 4 && x.off[3] == 64,
       "line 7 column a at 64, row 4 (the malformed row took no row number)");
    ok(x.line[4] == 7 && strcmp(x.col[4], "c") == 0 && x.off[4] == 68, "line 7 column c at 68");

    /* 600 rows: bad values on both sides of the 256-row chunks, reported in order */
    bw_buf text = BW_BUF_INIT(1 << 20), out = BW_BUF_INIT(1 << 24);
    bw_error err = {0};
    size_t want = 0, order = 0;
    bw_buf_addstr(&text, "a,b\n");
    for (int i = 0; i < 600; i++) {
        bool ba = i % 37 == 0 && i > 0, bb = i % 29 == 0 && i > 0;
        want += ba + bb;
        bw_buf_printf(&text, ba ? "x%d," : "%d,", i);
        bw_buf_printf(&text, bb ? "y%d\n" : "%d\n", i * 2);
    }
    memset(&x, 0, sizeof(x));
    o.infer_rows = 10;
    ok(render(text.ptr, text.len, &o, &out, &err) == BW_OK, "600 rows read");
    is_int(x.n, want, "every bad value reported");
    for (size_t j = 1; j < x.n && j < 64; j++) {
        order += x.row[j] < x.row[j - 1] || (x.row[j] == x.row[j - 1] && strcmp(x.col[j - 1], x.col[j]) >= 0) ||
                 x.line[j] != x.row[j] + 2;
    }
    is_int(order, 0, "in row, column order, each with its row and line");
    bw_buf_release(&out);

    /* widening at row 300 (int64 to float64) and 400 (date to timestamp), past inference and mid-chunk */
    const bw_batch *b = NULL;
    bw_csv *r = NULL;
    bw_buf_reset(&text);
    bw_buf_addstr(&text, "n,d\n");
    for (int i = 0; i < 600; i++) {
        bw_buf_printf(&text, i == 300 ? "%d.5," : "%d,", i);
        bw_buf_printf(&text, i == 400 ? "2024-01-01T10:20:30\n" : "2024-01-%02d\n", 1 + i % 28);
    }
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    ok(bw_csv_open_mem(text.ptr, text.len, "w.csv", &o, &r, &err) == BW_OK && bw_csv_next(r, &b, &err) == BW_OK &&
           b != NULL,
       "one batch");
    if (b != NULL) {
        ok(b->nrows == 600 && b->cols[0].type == BW_DT_FLOAT64 && b->cols[1].type == BW_DT_TIMESTAMP, "widened");
        ok(b->cols[0].f64[299] == 299 && b->cols[0].f64[300] == 300.5 && b->cols[0].f64[599] == 599,
           "floats before and after");
        ok(b->cols[1].i64[399] == (int64_t)bw_days_from_civil(2024, 1, 8) * 86400000000LL &&
               b->cols[1].i64[400] == ((int64_t)bw_days_from_civil(2024, 1, 1) * 86400 + 37230) * 1000000,
           "timestamps before and after");
        ok(b->cols[1].nbad == 0 && b->cols[0].nbad == 0, "nothing bad");
    }
    bw_csv_free(r);

    /* quoted values in typed columns, a quoted "" never null, spaces around numbers */
    x.n = 0;
    o.on_bad = on_bad;
    o.ctx = &x;
    o.infer_rows = 2; /* a quoted "" is a value, not null: the third row is not in the sample */
    check("quoted and spaced values in typed columns",
          "i,f,d,s\n\"7\",\"2.5\",\"2024-02-29\",\"\"\n 8 ,\t1e3 , 2024-03-01,NA\n\"\",,\"\",\"x\"\"y\"\n", &o,
          "i:int64|f:float64|d:date|s:string\n7,2.5,2024-02-29,;8,1000,2024-03-01,~;~,~,~,x\"y;");
    is_int(x.n, 2, "two bad values: the quoted empty int and date");

    /* a bool column past the sample: spellings, nulls, a bad value */
    bw_buf_reset(&text);
    bw_buf_addstr(&text, "b\n");
    for (int i = 0; i < 400; i++) {
        static const char *const v[] = {"true", "FALSE", "True", "NA", "false", " TRUE "};
        bw_buf_printf(&text, "%s\n", i == 333 ? "yes" : v[i % 6]);
    }
    x.n = 0;
    o.infer_rows = 10;
    ok(bw_csv_open_mem(text.ptr, text.len, "b.csv", &o, &r, &err) == BW_OK && bw_csv_next(r, &b, &err) == BW_OK &&
           b != NULL && b->cols[0].type == BW_DT_BOOL,
       "a bool column");
    size_t wrong = 0;
    for (size_t i = 0; b != NULL && i < b->nrows; i++) {
        bool valid = bw_col_valid(&b->cols[0], i);
        if (i == 333 || i % 6 == 3) {
            wrong += valid;
        } else {
            wrong += !valid || b->cols[0].b[i] != (i % 6 == 0 || i % 6 == 2 || i % 6 == 5);
        }
    }
    ok(b != NULL && b->nrows == 400 && wrong == 0, "400 bools, nulls and the bad one null (%zu wrong)", wrong);
    ok(x.n == 1 && x.row[0] == 333 && x.line[0] == 335, "the bad one reported at row 333, line 335");
    bw_csv_free(r);
    bw_buf_release(&text);
}

/* ---- a byte-at-a-time reference for the splitter -------------------------------------------------------- */

/* UTF-8 of the test alphabet: "\xC3\xA9" is the only sequence; a lone C3, A9 or FF is invalid. */
static bool ref_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC3 && i + 1 < n && (unsigned char)s[i + 1] == 0xA9) {
            i++;
        } else if (c >= 0x80) {
            return false;
        }
    }
    return true;
}

struct ref_field {
    size_t s, e;
    bool quoted, escaped;
};

/*
 * Read text as the reader does with no header, ',' and every column a
 * string: records split one byte at a time (RFC 4180 plus: a quote inside an
 * unquoted field is a character, text after a closing quote joins the
 * field, a CR before LF dropped), blank lines skipped, the first record
 * fixing the field count, malformed records dropped; values unquoted, null
 * spellings and invalid UTF-8 null. Output as read_known() writes it.
 */
static bool ref_read(const char *b, size_t n, bw_buf *out)
{
    static const char *const nulls[] = {"", "NULL", "null", "NA", "N/A"};
    struct ref_field f[64];
    size_t pos = 0, ncols = 0;

    if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3;
    }
    while (pos < n) {
        size_t i = pos, fs = i, nf = 0;
        bool quoted = false, escaped = false, bad = false;
        for (;;) {
            while (i < n && b[i] != ',' && b[i] != '\n' && b[i] != '"') {
                i++;
            }
            if (i == n || b[i] == '\n') {
                size_t e = i > fs && b[i - 1] == '\r' ? i - 1 : i;
                if (nf < 64) {
                    f[nf] = (struct ref_field){fs, e, quoted, escaped};
                }
                nf++;
                pos = i == n ? n : i + 1;
                break;
            }
            if (b[i] == ',') {
                if (nf < 64) {
                    f[nf] = (struct ref_field){fs, i, quoted, escaped};
                }
                nf++;
                fs = ++i;
                quoted = escaped = false;
                continue;
            }
            if (i != fs && !quoted) {
                i++;
                continue;
            }
            if (i == fs) {
                quoted = true;
            } else {
                escaped = true;
            }
            for (i++;; i++) {
                while (i < n && b[i] != '"') {
                    i++;
                }
                if (i == n) {
                    break;
                }
                if (i + 1 < n && b[i + 1] == '"') {
                    escaped = true;
                    i++;
                    continue;
                }
                break;
            }
            if (i == n) {
                bad = true; /* unterminated */
                pos = n;
                break;
            }
            i++;
        }
        if (!bad && nf == 1 && f[0].s == f[0].e && !f[0].quoted) {
            continue; /* a blank line */
        }
        if (ncols == 0 && bad) {
            return false; /* the first row unterminated: an error */
        }
        if (ncols == 0) {
            ncols = nf;
        }
        if (bad || nf != ncols || nf > 64) {
            continue;
        }
        for (size_t k = 0; k < nf; k++) {
            char v[4096];
            size_t vn = 0;
            bool in = false;
            for (size_t j = f[k].s; j < f[k].e && vn < sizeof(v); j++) {
                if (!f[k].quoted || b[j] != '"') {
                    v[vn++] = b[j];
                } else if (in && j + 1 < f[k].e && b[j + 1] == '"') {
                    v[vn++] = '"';
                    j++;
                } else {
                    in = !in;
                }
            }
            bool null = !ref_utf8(v, vn);
            for (size_t q = 0; q < 5 && !f[k].quoted; q++) {
                null |= strlen(nulls[q]) == vn && memcmp(nulls[q], v, vn) == 0;
            }
            bw_buf_add(out, null ? "~" : v, null ? 1 : vn);
            bw_buf_addc(out, '\x02');
        }
        bw_buf_addc(out, '\x03');
    }
    return true;
}

static void test_reference(void)
{
    static const char *const tokens[] = {"a",
                                         "bc",
                                         ",",
                                         "\"",
                                         "\"\"",
                                         "\n",
                                         "\r\n",
                                         "\r",
                                         "NA",
                                         "N/A",
                                         " ",
                                         "null",
                                         "x",
                                         "\xC3\xA9",
                                         "\xC3",
                                         "\xff",
                                         "0123456789abcdef"};
    static const char *const names[] = {"column_1", "column_2", "column_3", "column_4",
                                        "column_5", "column_6", "column_7", "column_8"};
    static const bw_dtype types[] = {BW_DT_STRING, BW_DT_STRING, BW_DT_STRING, BW_DT_STRING,
                                     BW_DT_STRING, BW_DT_STRING, BW_DT_STRING, BW_DT_STRING};
    uint64_t seed = 0x853c49e6748fea9bull;
    size_t bad = 0, rounds = 3000, refused = 0;

    for (size_t t = 0; t < rounds; t++) {
        bw_buf text = BW_BUF_INIT(1 << 20), want = BW_BUF_INIT(1 << 20), got = BW_BUF_INIT(1 << 20);
        bw_data_opts o = BW_DATA_OPTS_INIT;
        bw_csv *r = NULL;
        const bw_batch *b = NULL;
        bw_error err = {0};
        size_t ntok = (size_t)(rnd(&seed) % 400);
        if (t % 7 == 0) {
            bw_buf_addstr(&text, "\xEF\xBB\xBF");
        }
        /* mostly well-formed-looking rows of 1-8 fields, with noise */
        for (size_t j = 0; j < ntok; j++) {
            uint64_t q = rnd(&seed);
            bw_buf_addstr(&text, tokens[q % (sizeof(tokens) / sizeof(tokens[0]))]);
        }
        bw_status want_rc = ref_read(text.ptr != NULL ? text.ptr : "", text.len, &want) ? BW_OK : BW_EFORMAT;
        o.header = 0;
        o.delim = ',';
        o.type_names = names;
        o.types = types;
        o.ntypes = 8;
        o.batch_rows = 1 + (size_t)(rnd(&seed) % 300);
        o.infer_rows = 1 + (size_t)(rnd(&seed) % 20);
        char *exact = malloc(text.len ? text.len : 1);
        memcpy(exact, text.ptr != NULL ? text.ptr : "", text.len);
        bw_status rc = bw_csv_open_mem(exact, text.len, "r.csv", &o, &r, &err);
        while (rc == BW_OK && (rc = bw_csv_next(r, &b, &err)) == BW_OK && b != NULL) {
            for (size_t i = 0; i < b->nrows; i++) {
                for (size_t k = 0; k < b->ncols; k++) {
                    size_t n;
                    const char *s = bw_col_str(&b->cols[k], i, &n);
                    bool v = bw_col_valid(&b->cols[k], i);
                    bw_buf_add(&got, v ? s : "~", v ? n : 1);
                    bw_buf_addc(&got, '\x02');
                }
                bw_buf_addc(&got, '\x03');
            }
        }
        bw_csv_free(r);
        free(exact);
        refused += want_rc != BW_OK;
        if (rc != want_rc ||
            (rc == BW_OK && (got.len != want.len || (got.len > 0 && memcmp(got.ptr, want.ptr, got.len) != 0)))) {
            if (bad++ < 3) {
                tap_diag("round %zu (%zu bytes): %s", t, text.len, rc == want_rc ? "values differ" : err.msg);
            }
        }
        bw_buf_release(&text);
        bw_buf_release(&want);
        bw_buf_release(&got);
    }
    is_int(bad, 0, "%zu random inputs read as a byte-at-a-time reference reads them (%zu refused as it does)", rounds,
           refused);
}

/* Wide rows (fewer pending rows a flush), and a row of many fields while rows are pending (the span buffer grows). */
static void test_wide(void)
{
    bw_buf text = BW_BUF_INIT(1 << 26);
    bw_data_opts o = BW_DATA_OPTS_INIT;
    struct bads x = {0};
    bw_csv *r = NULL;
    const bw_batch *b = NULL;
    bw_error err = {0};
    size_t rows = 0, wrong = 0;

    for (int k = 0; k < 20000; k++) {
        bw_buf_printf(&text, k ? ",c%d" : "c%d", k);
    }
    bw_buf_addc(&text, '\n');
    for (int i = 0; i < 5; i++) {
        for (int k = 0; k < 20000; k++) {
            bw_buf_printf(&text, k ? ",%d" : "%d", i * 100000 + k);
        }
        bw_buf_addc(&text, '\n');
    }
    o.batch_rows = 2;
    ok(bw_csv_open_mem(text.ptr, text.len, "wide.csv", &o, &r, &err) == BW_OK, "open 20000 columns");
    while (bw_csv_next(r, &b, &err) == BW_OK && b != NULL) {
        for (size_t i = 0; i < b->nrows; i++, rows++) {
            for (size_t k = 0; k < b->ncols; k += 997) {
                wrong += b->cols[k].type != BW_DT_INT64 || b->cols[k].i64[i] != (int64_t)(rows * 100000 + k);
            }
        }
    }
    ok(rows == 5 && wrong == 0, "five rows of 20000 values, in batches of two (%zu rows, %zu wrong)", rows, wrong);
    bw_csv_free(r);

    bw_buf_reset(&text);
    bw_buf_addstr(&text, "a,b\n");
    for (int i = 0; i < 300; i++) {
        if (i == 100) {
            for (int k = 0; k < 5000; k++) {
                bw_buf_addstr(&text, k ? ",z" : "z");
            }
            bw_buf_addc(&text, '\n');
        }
        bw_buf_printf(&text, "%d,s%d\n", i, i);
    }
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o.on_bad = on_bad;
    o.ctx = &x;
    rows = wrong = 0;
    ok(bw_csv_open_mem(text.ptr, text.len, "long.csv", &o, &r, &err) == BW_OK && bw_csv_next(r, &b, &err) == BW_OK &&
           b != NULL,
       "a 5000-field row among 300");
    for (size_t i = 0; b != NULL && i < b->nrows; i++) {
        size_t n;
        char want[32];
        const char *s = bw_col_str(&b->cols[1], i, &n);
        snprintf(want, sizeof(want), "s%zu", i);
        wrong += b->cols[0].i64[i] != (int64_t)i || n != strlen(want) || memcmp(s, want, n) != 0;
    }
    ok(b != NULL && b->nrows == 300 && wrong == 0, "the rows around it intact");
    ok(x.n == 1 && x.line[0] == 102 && x.row[0] == 100, "it is reported at line 102, row 100");
    like(x.msg[0], "5000 fields where the header has 2", "as too long");
    bw_csv_free(r);
    bw_buf_release(&text);
}

/* lib/formats/slice.h (not included: its util/internal.h bans strcat, which this file uses) */
uint64_t bw_count_byte(const char *p, size_t n, char c);

/* bw_count_byte (lib/formats/slice.c) against a byte loop: every length to 600 at 16 offsets, and 1 MiB of the byte itself */
static void test_count_byte(void)
{
    static char buf[(1 << 20) + 64];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    unsigned bad = 0;

    for (size_t i = 0; i < sizeof(buf); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (x & 3) == 0 ? '"' : (x & 7) == 1 ? '\n' : (char)(x >> 24);
    }
    for (size_t off = 0; off < 16; off++) {
        for (size_t n = 0; n <= 600; n++) {
            uint64_t q = 0, nl = 0;
            for (size_t i = 0; i < n; i++) {
                q += buf[off + i] == '"';
                nl += buf[off + i] == '\n';
            }
            bad += bw_count_byte(buf + off, n, '"') != q || bw_count_byte(buf + off, n, '\n') != nl;
        }
    }
    is_int(bad, 0, "bw_count_byte counts quotes and line feeds as a byte loop does (9,616 cases)");
    memset(buf, '"', sizeof(buf));
    ok(bw_count_byte(buf + 3, (size_t)1 << 20, '"') == (uint64_t)1 << 20 && bw_count_byte(buf, 4097, 'x') == 0,
       "a mebibyte of quotes: every one counted (no lane overflows)");
}

int main(void)
{
    test_count_byte();
    test_basics();
    test_sniff();
    test_options();
    test_bad_rows();
    test_batches();
    test_file();
    test_prefixes();
    test_slices();
    test_guessed_slices();
    test_blocks();
    test_chunks();
    test_reference();
    test_wide();
    return done_testing();
}
