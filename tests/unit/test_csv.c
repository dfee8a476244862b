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
    uint64_t line[16], off[16];
    char msg[16][96];
    char col[16][32];
};

static void on_bad(void *ctx, const bw_bad_row *b)
{
    struct bads *x = ctx;

    if (x->n < 16) {
        x->line[x->n] = b->line;
        x->off[x->n] = b->offset;
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
    check("header only", "a,b\n", NULL, "");
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

int main(void)
{
    test_basics();
    test_sniff();
    test_options();
    test_bad_rows();
    test_batches();
    test_file();
    test_prefixes();
    test_slices();
    return done_testing();
}
