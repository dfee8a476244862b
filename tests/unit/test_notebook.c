/*
 * test_notebook.c - the Jupyter notebook reader (lib/formats/notebook.c):
 * every segment of two notebooks written by nbformat itself
 * (tests/data/notebooks/real.ipynb and real_v3.ipynb, made by generate.py),
 * hand-written shapes (string sources, image outputs, odd cells, escapes,
 * byte order marks, metadata before cells), malformed and over-limit input,
 * the sniffer, a visitor that stops the walk and allocation failures.
 */
#include <jansson.h>

#include "formats/notebook.h"
#include "tap.h"
#include "testutil.h"

typedef struct rec {
    int32_t cell;
    bw_nb_part part;
    uint32_t output;
    const char *field, *mime; /* static strings in the reader or the parsed tree: copied below */
    char fieldbuf[32], mimebuf[64];
    char *text;
    size_t len;
    uint64_t offset;
} rec;

typedef struct col {
    rec r[64];
    size_t n;
    size_t stop_after; /* return BW_ECANCELED after this many; 0 = never */
} col;

static bw_status collect(void *ctx, const bw_nb_segment *s)
{
    col *c = ctx;
    rec *r;

    if (c->n == BW_ARRAY_LEN(c->r)) {
        return BW_ELIMIT;
    }
    r = &c->r[c->n++];
    r->cell = s->cell;
    r->part = s->part;
    r->output = s->output;
    snprintf(r->fieldbuf, sizeof(r->fieldbuf), "%s", s->field != NULL ? s->field : "(null)");
    snprintf(r->mimebuf, sizeof(r->mimebuf), "%s", s->mime != NULL ? s->mime : "(null)");
    r->field = r->fieldbuf;
    r->mime = r->mimebuf;
    r->text = malloc(s->len + 1);
    memcpy(r->text, s->text, s->len);
    r->text[s->len] = '\0';
    r->len = s->len;
    r->offset = s->offset;
    if (s->len == 0 || s->text[s->len] != '\0') {
        r->len = (size_t)-1; /* the contract: never empty, always NUL-terminated */
    }
    if (c->stop_after != 0 && c->n == c->stop_after) {
        return BW_ECANCELED;
    }
    return BW_OK;
}

static void col_free(col *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->r[i].text);
    }
    c->n = 0;
}

static bw_status run(const char *s, size_t n, col *c, bw_error *err)
{
    col_free(c);
    bw_error_clear(err);
    return bw_nb_each(s, n, collect, c, err);
}

struct want {
    int32_t cell;
    bw_nb_part part;
    uint32_t output;
    const char *field, *mime, *text;
    const char *raw; /* the input at the segment's offset starts with this (after skipping white space) */
};

#define NO BW_NB_NO_OUTPUT

/* Compare the collected segments with want[0..nw); offsets point at the JSON value in `src`. */
static void check(const char *what, const col *c, const char *src, size_t n, const struct want *w, size_t nw)
{
    is_int(c->n, nw, "%s: %zu segments", what, nw);
    for (size_t i = 0; i < nw && i < c->n; i++) {
        const rec *r = &c->r[i];
        int same = r->cell == w[i].cell && r->part == w[i].part && r->output == w[i].output &&
                   strcmp(r->field, w[i].field) == 0 && strcmp(r->mime, w[i].mime != NULL ? w[i].mime : "(null)") == 0;
        ok(same, "%s: segment %zu is cell %d part %d output %u field %s mime %s", what, i, w[i].cell, w[i].part,
           w[i].output, w[i].field, w[i].mime != NULL ? w[i].mime : "(null)");
        if (!same) {
            tap_diag("got cell %d part %d output %u field %s mime %s", r->cell, r->part, r->output, r->field, r->mime);
        }
        is_str(r->text, w[i].text, "%s: segment %zu text", what, i);
        if (w[i].raw != NULL) {
            int at = r->offset < n && strncmp(src + r->offset, w[i].raw, strlen(w[i].raw)) == 0;
            ok(at, "%s: segment %zu offset %llu points at its JSON value", what, i, (unsigned long long)r->offset);
        }
    }
}

static void test_real_v4(void)
{
    static const struct want w[] = {
        {0, BW_NB_SOURCE, NO, "source", NULL, "# Training run\n\nUses the S3 bucket `s3://example-bucket`.",
         "[\n    \"# Training run\\n\""},
        {0, BW_NB_TEXT, NO, "attachments", "text/plain", "logo", "[\n      \"logo\""},
        {1, BW_NB_SOURCE, NO, "source", NULL,
         "import os\nAWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\nprint('connected')", "[\n    \"import os\\n\""},
        {1, BW_NB_STREAM, 0, "text", NULL, "connected\nbucket ok\n", "[\n      \"connected\\n\""},
        {1, BW_NB_METADATA, NO, "metadata", NULL, "{\"tags\":[\"credentials\"]}", "{\n    \"tags\""},
        {2, BW_NB_SOURCE, NO, "source", NULL, "df.head()\nplot()", "[\n    \"df.head()\\n\""},
        {2, BW_NB_TEXT, 0, "data", "text/html", "<table><tr><td>1</td></tr></table>", "[\n       \"<table>"},
        {2, BW_NB_TEXT, 0, "data", "text/plain", "   a  b\n0  1  2", "[\n       \"   a  b\\n\""},
        {2, BW_NB_TEXT, 1, "data", "text/plain", "<Figure size 640x480 with 1 Axes>", "[\n       \"<Figure"},
        {2, BW_NB_TEXT, 2, "data", "application/json", "{\"api_key\":\"sk_test_EXAMPLE\"}", "{\n       \"api_key\""},
        {3, BW_NB_SOURCE, NO, "source", NULL, "connect(password='hunter2')", "[\n    \"connect("},
        {3, BW_NB_ERROR, 0, "ename", NULL, "ValueError", "\"ValueError\""},
        {3, BW_NB_ERROR, 0, "evalue", NULL, "bad password 'hunter2'", "\"bad password"},
        {3, BW_NB_ERROR, 0, "traceback", NULL,
         "\x1b[0;31mValueError\x1b[0m  Traceback (most recent call last)\nCell In[3], line 1\n"
         "ValueError: bad password 'hunter2'",
         "[\n      \"\\u001b[0;31mValueError"},
        {4, BW_NB_SOURCE, NO, "source", NULL, "raw text, not run", "[\n    \"raw text"},
        {-1, BW_NB_METADATA, NO, "metadata", NULL,
         "{\"kernelspec\":{\"display_name\":\"Python 3\",\"language\":\"python\",\"name\":\"python3\"},"
         "\"language_info\":{\"name\":\"python\",\"version\":\"3.11.2\"},"
         "\"widgets\":{\"application/vnd.jupyter.widget-state+json\":{\"state\":{\"m1\":{\"model_name\":"
         "\"TextModel\",\"state\":{\"value\":\"token=tok_widget_EXAMPLE\"}}},\"version_major\":2,\"version_minor\":0}}"
         "}",
         "{\n  \"kernelspec\""},
    };
    size_t n;
    char *s = tu_fixture("notebooks", "real.ipynb", &n);
    col c = {.n = 0};
    bw_error err;

    ok(bw_nb_sniff(s, n), "real.ipynb (nbformat 5.5 writer) sniffs as a notebook");
    is_int(run(s, n, &c, &err), BW_OK, "real.ipynb parses");
    check("real.ipynb", &c, s, n, w, BW_ARRAY_LEN(w));
    for (size_t i = 0; i < c.n; i++) {
        ok(c.r[i].len != (size_t)-1, "segment %zu: non-empty and NUL-terminated", i);
    }
    col_free(&c);
    free(s);
}

static void test_real_v3(void)
{
    static const struct want w[] = {
        {-1, BW_NB_METADATA, NO, "metadata", NULL, NULL, "{\n  \"kernelspec\""},
        {0, BW_NB_SOURCE, NO, "source", NULL, "# Training run\n\nUses the S3 bucket `s3://example-bucket`.", "["},
        {1, BW_NB_SOURCE, NO, "input", NULL,
         "import os\nAWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\nprint('connected')", "[\n      \"import os"},
        {1, BW_NB_STREAM, 0, "text", NULL, "connected\nbucket ok\n", "[\n        \"connected"},
        {1, BW_NB_METADATA, NO, "metadata", NULL, "{\"tags\":[\"credentials\"]}", "{"},
        {2, BW_NB_SOURCE, NO, "input", NULL, "df.head()\nplot()", "["},
        {2, BW_NB_TEXT, 0, "text", "text/plain", "   a  b\n0  1  2", "[\n        \"   a  b"},
        {2, BW_NB_TEXT, 0, "html", "text/html", "<table><tr><td>1</td></tr></table>", "[\n        \"<table>"},
        {2, BW_NB_TEXT, 1, "text", "text/plain", "<Figure size 640x480 with 1 Axes>", "["},
        {2, BW_NB_TEXT, 2, "json", "application/json", "{\"api_key\": \"sk_test_EXAMPLE\"}", "[\n        \"{"},
        {3, BW_NB_SOURCE, NO, "input", NULL, "connect(password='hunter2')", "["},
        {3, BW_NB_ERROR, 0, "ename", NULL, "ValueError", "\"ValueError\""},
        {3, BW_NB_ERROR, 0, "evalue", NULL, "bad password 'hunter2'", "\"bad"},
        {3, BW_NB_ERROR, 0, "traceback", NULL,
         "\x1b[0;31mValueError\x1b[0m  Traceback (most recent call last)\nCell In[3], line 1\n"
         "ValueError: bad password 'hunter2'",
         "["},
        {4, BW_NB_SOURCE, NO, "source", NULL, "raw text, not run", "["},
    };
    size_t n;
    char *s = tu_fixture("notebooks", "real_v3.ipynb", &n);
    col c = {.n = 0};
    bw_error err;

    ok(bw_nb_sniff(s, n), "real_v3.ipynb sniffs as a notebook");
    is_int(run(s, n, &c, &err), BW_OK, "real_v3.ipynb parses");
    /* notebook metadata comes first in nbformat 3 files (sorted keys: metadata < worksheets) */
    if (c.n > 0) {
        like(c.r[0].text, "tok_widget_EXAMPLE", "v3 notebook metadata holds the widget state");
        free(c.r[0].text);
        c.r[0].text = NULL;
    }
    {
        struct want w2[BW_ARRAY_LEN(w)];
        memcpy(w2, w, sizeof(w));
        w2[0].text = "(checked above)";
        if (c.n > 0) {
            c.r[0].text = strdup("(checked above)");
        }
        check("real_v3.ipynb", &c, s, n, w2, BW_ARRAY_LEN(w2));
    }
    col_free(&c);
    free(s);
}

#define NB(cells) "{\"cells\": " cells ", \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}"

static void test_shapes(void)
{
    col c = {.n = 0};
    bw_error err;
    const char *s;

    /* a single-string source and stream text; image/png skipped, svg kept, unknown binary types skipped */
    s = NB("[{\"cell_type\": \"code\", \"source\": \"x = 1\\ny = 2\", \"metadata\": {}, \"outputs\": ["
           "{\"output_type\": \"stream\", \"name\": \"stderr\", \"text\": \"warning: x\\n\"},"
           "{\"output_type\": \"execute_result\", \"execution_count\": 1, \"metadata\": {\"isolated\": true},"
           " \"data\": {\"image/png\": \"iVBORw0KGgo=\", \"image/svg+xml\": [\"<svg>\", \"</svg>\"],"
           " \"audio/wav\": \"UklGRg==\", \"application/pdf\": \"JVBERi0=\", \"IMAGE/JPEG\": \"/9j/\","
           " \"text/plain\": \"1\"}}]}]");
    {
        static const struct want w[] = {
            {0, BW_NB_SOURCE, NO, "source", NULL, "x = 1\ny = 2", "\"x = 1"},
            {0, BW_NB_STREAM, 0, "text", NULL, "warning: x\n", "\"warning"},
            {0, BW_NB_TEXT, 1, "data", "image/svg+xml", "<svg></svg>", "[\"<svg>\""},
            {0, BW_NB_TEXT, 1, "data", "text/plain", "1", "\"1\""},
            {0, BW_NB_METADATA, 1, "metadata", NULL, "{\"isolated\":true}", "{\"isolated\""},
        };
        is_int(run(s, strlen(s), &c, &err), BW_OK, "string sources and mixed outputs");
        check("shapes", &c, s, strlen(s), w, BW_ARRAY_LEN(w));
    }

    /* odd cells are skipped but still counted; odd fields inside a cell are skipped */
    s = NB("[1, null, {\"cell_type\": \"code\", \"source\": 42, \"outputs\": {\"no\": 1}, \"metadata\": []},"
           " {\"source\": [\"a\", 7, \"b\"], \"outputs\": [3, {\"output_type\": \"stream\", \"text\": [\"t\"]},"
           " {\"output_type\": \"error\", \"ename\": 5, \"traceback\": \"one line\"}]}, [\"x\"]]");
    {
        static const struct want w[] = {
            {3, BW_NB_SOURCE, NO, "source", NULL, "ab", "[\"a\""},
            {3, BW_NB_STREAM, 1, "text", NULL, "t", "[\"t\"]"},
            {3, BW_NB_ERROR, 2, "traceback", NULL, "one line", "\"one line\""},
        };
        is_int(run(s, strlen(s), &c, &err), BW_OK, "odd cells and fields are skipped, not errors");
        check("odd", &c, s, strlen(s), w, BW_ARRAY_LEN(w));
    }

    /* escapes undone, NUL bytes kept, escaped keys still located */
    s = "{\"c\\u0065lls\": [{\"so\\/urce\": \"no\", \"source\": \"A\\u0041\\t\\u00e9\\ud83d\\ude00\\u0000z\"}],"
        " \"nbformat\": 4}";
    is_int(run(s, strlen(s), &c, &err), BW_OK, "escaped keys and values");
    if (c.n == 1) {
        ok(c.r[0].len == 11 && memcmp(c.r[0].text, "AA\t\xc3\xa9\xf0\x9f\x98\x80\0z", 11) == 0,
           "escapes decoded to UTF-8, \\u0000 kept (length 11)");
        ok(c.r[0].offset < strlen(s) && s[c.r[0].offset] == '"' && s[c.r[0].offset + 1] == 'A',
           "offset found through an escaped key");
    } else {
        ok(0, "one segment, got %zu", c.n);
        ok(0, "offset");
    }

    /* notebook metadata before the cells is visited first; a byte order mark shifts offsets by 3 */
    s = "\xef\xbb\xbf{\"metadata\": {\"k\": \"v\"}, \"nbformat\": 4, \"cells\": [{\"source\": \"s\"}]}";
    {
        static const struct want w[] = {
            {-1, BW_NB_METADATA, NO, "metadata", NULL, "{\"k\":\"v\"}", "{\"k\""},
            {0, BW_NB_SOURCE, NO, "source", NULL, "s", "\"s\""},
        };
        is_int(run(s, strlen(s), &c, &err), BW_OK, "byte order mark, metadata first");
        check("bom", &c, s, strlen(s), w, BW_ARRAY_LEN(w));
    }

    /* nbformat 3 with two worksheets: cell numbers continue; worksheet metadata belongs to no cell */
    s = "{\"nbformat\": 3, \"metadata\": {}, \"worksheets\": ["
        "{\"cells\": [{\"cell_type\": \"code\", \"input\": \"a\", \"outputs\": [{\"output_type\": \"pyout\","
        " \"text\": \"1\", \"png\": \"iVBO\", \"latex\": [\"$x$\"]}]}], \"metadata\": {\"w\": 1}},"
        "{\"cells\": [{\"cell_type\": \"heading\", \"level\": 1, \"source\": \"Title\"},"
        " {\"cell_type\": \"code\", \"input\": [], \"outputs\": [{\"output_type\": \"stream\", \"text\": "
        "\"out\"}]}]}]}";
    {
        static const struct want w[] = {
            {0, BW_NB_SOURCE, NO, "input", NULL, "a", "\"a\""},
            {0, BW_NB_TEXT, 0, "text", "text/plain", "1", "\"1\""},
            {0, BW_NB_TEXT, 0, "latex", "text/latex", "$x$", "[\"$x$\"]"},
            {-1, BW_NB_METADATA, NO, "metadata", NULL, "{\"w\":1}", "{\"w\""},
            {1, BW_NB_SOURCE, NO, "source", NULL, "Title", "\"Title\""},
            {2, BW_NB_STREAM, 0, "text", NULL, "out", "\"out\""},
        };
        is_int(run(s, strlen(s), &c, &err), BW_OK, "nbformat 3, two worksheets");
        check("v3 worksheets", &c, s, strlen(s), w, BW_ARRAY_LEN(w));
    }

    /* empty notebooks */
    s = NB("[]");
    is_int(run(s, strlen(s), &c, &err), BW_OK, "empty notebook");
    is_int(c.n, 0, "empty notebook: no segments (empty metadata is not visited)");
    s = NB("[{\"cell_type\": \"code\", \"source\": [], \"outputs\": [], \"metadata\": {}}]");
    is_int(run(s, strlen(s), &c, &err), BW_OK, "one empty cell");
    is_int(c.n, 0, "one empty cell: no segments");

    /* the visitor stops the walk */
    s = NB("[{\"source\": \"a\"}, {\"source\": \"b\"}, {\"source\": \"c\"}]");
    c.stop_after = 2;
    is_int(run(s, strlen(s), &c, &err), BW_ECANCELED, "the visitor's status is returned");
    is_int(c.n, 2, "no segment after the visitor said stop");
    c.stop_after = 0;
    col_free(&c);
}

static void test_malformed(void)
{
    static const struct {
        const char *name, *doc, *msg;
        bw_status code;
    } bad[] = {
        {"top-level array", "[{\"cells\": []}]", "top level is an array, not a JSON object", BW_EFORMAT},
        {"top-level string", "\"cells\"", "top level is a string", BW_EFORMAT},
        {"cells an object", "{\"cells\": {\"0\": {}}}", "\"cells\" is an object, not an array", BW_EFORMAT},
        {"cells null", "{\"cells\": null}", "\"cells\" is null, not an array", BW_EFORMAT},
        {"no cells", "{\"metadata\": {}, \"nbformat\": 4}", "not a Jupyter notebook", BW_EFORMAT},
        {"worksheets not array", "{\"worksheets\": {}}", "\"worksheets\" is an object", BW_EFORMAT},
        {"worksheet without cells", "{\"worksheets\": [{\"cells\": []}, {\"cells\": 1}]}",
         "worksheets[1] has no \"cells\" array", BW_EFORMAT},
        {"truncated", "{\"cells\": [{\"source\": \"abc", "line 1, column 26 (byte 26)", BW_EFORMAT},
        {"trailing garbage", "{\"cells\": []} x", "end of file expected", BW_EFORMAT},
        {"duplicate key", "{\"cells\": [], \"cells\": []}", "duplicate object key", BW_EFORMAT},
        {"bad escape", "{\"cells\": [\"\\q\"]}", "invalid escape", BW_EFORMAT},
        {"invalid UTF-8", "{\"cells\": [\"\xff\"]}", "unable to decode byte 0xff", BW_EFORMAT},
        {"second line", "{\n \"cells\": [\n  {,}\n ]\n}", "line 3, column 4 (byte 18)", BW_EFORMAT},
        {"empty", "", "line 1, column 0 (byte 0)", BW_EFORMAT},
    };
    col c = {.n = 0};
    bw_error err;

    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        bw_status rc = run(bad[i].doc, strlen(bad[i].doc), &c, &err);
        is_int(rc, bad[i].code, "%s: rejected", bad[i].name);
        like(err.msg, bad[i].msg, "%s: message", bad[i].name);
        is_int(c.n, 0, "%s: nothing visited", bad[i].name);
    }
    ok(strncmp(err.msg, "notebook: ", 10) == 0, "messages start with 'notebook: '");

    /* every truncation of the real notebook fails cleanly with a position inside the input */
    {
        size_t n, fails = 0, badpos = 0;
        char *s = tu_fixture("notebooks", "real.ipynb", &n);
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
            n--;
        }
        for (size_t k = 0; k < n; k++) {
            char *cut = malloc(k + 1);
            memcpy(cut, s, k);
            if (run(cut, k, &c, &err) != BW_OK) {
                fails++;
                if (err.code != BW_EFORMAT || err.offset > k || strstr(err.msg, "line ") == NULL) {
                    badpos++;
                }
            }
            free(cut);
        }
        is_int(fails, n, "every one of %zu truncations of real.ipynb is an error", n);
        is_int(badpos, 0, "each with BW_EFORMAT, a line and an offset inside the input");
        free(s);
    }
    col_free(&c);
}

static char *nested(size_t depth, size_t *len)
{
    static const char head[] = "{\"cells\": [], \"metadata\": {\"deep\": ";
    static const char tail[] = "}, \"nbformat\": 4}";
    size_t n = strlen(head) + 2 * depth + 1 + strlen(tail);
    char *s = malloc(n + 1), *p = s;

    memcpy(p, head, strlen(head));
    p += strlen(head);
    memset(p, '[', depth);
    p += depth;
    *p++ = '1';
    memset(p, ']', depth);
    p += depth;
    memcpy(p, tail, strlen(tail) + 1);
    *len = n;
    return s;
}

static void test_limits(void)
{
    col c = {.n = 0};
    bw_error err;
    size_t n;
    char *s;
    char small[] = "{}";

    s = nested(JSON_PARSER_MAX_DEPTH - 3, &n);
    is_int(run(s, n, &c, &err), BW_OK, "metadata nested %d deep (just inside jansson's limit)",
           JSON_PARSER_MAX_DEPTH - 3);
    ok(c.n == 1 && c.r[0].len == 2 * (JSON_PARSER_MAX_DEPTH - 3) + 10, "deep metadata serialised whole");
    free(s);
    s = nested(100000, &n);
    is_int(run(s, n, &c, &err), BW_ELIMIT, "nesting 100000 deep: BW_ELIMIT");
    like(err.msg, "nesting deeper than 2048 levels", "nesting message");
    free(s);

    /* the size cap is checked before a byte is read */
    bw_error_clear(&err);
    is_int(bw_nb_each(small, BW_NB_MAX_BYTES + 1, collect, &c, &err), BW_ELIMIT, "over 1 GiB: BW_ELIMIT");
    like(err.msg, "over the limit of 1073741824", "size message");
    bw_error_clear(&err);
    is_int(bw_nb_each(NULL, 1, collect, &c, &err), BW_EINVAL, "NULL input");
    is_int(bw_nb_each(small, 2, NULL, &c, &err), BW_EINVAL, "NULL visitor");
    col_free(&c);
}

static void test_sniff(void)
{
    static const struct {
        const char *s;
        bool want;
    } cases[] = {
        {NB("[]"), true},
        {"  \n{\"worksheets\": [], \"nbformat\": 3}", true},
        {"\xef\xbb\xbf{\"nbformat\": 4, \"cells\": []}", true},
        {"{\"cells\": []}", false},   /* no nbformat key */
        {"{\"nbformat\": 4}", false}, /* no cells */
        {"[\"nbformat\", \"cells\"]", false},
        {"{\"a\": 1}", false},
        {"", false},
        {"   ", false},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        ok(bw_nb_sniff(cases[i].s, strlen(cases[i].s)) == cases[i].want, "sniff %zu: %s", i,
           cases[i].want ? "notebook" : "not a notebook");
    }
    ok(!bw_nb_sniff(NULL, 0), "sniff NULL");
}

static void test_oom(void)
{
    size_t n, oks = 0, nomem = 0, other = 0;
    char *s = tu_fixture("notebooks", "real.ipynb", &n);
    col c = {.n = 0};
    bw_error err;

    for (long k = 0; k < 64; k++) {
        bw_status rc;
        bw_alloc_fail_after(k);
        rc = run(s, n, &c, &err);
        bw_alloc_fail_after(-1);
        if (rc == BW_OK) {
            oks++;
        } else if (rc == BW_ENOMEM) {
            nomem++;
            like(err.msg, "out of memory", "allocation %ld fails: message", k);
        } else {
            other++;
        }
    }
    ok(nomem > 0 && oks > 0 && other == 0, "allocation failures give BW_ENOMEM (%zu) and nothing else", nomem);
    col_free(&c);
    free(s);
}

int main(void)
{
    test_real_v4();
    test_real_v3();
    test_shapes();
    test_malformed();
    test_limits();
    test_sniff();
    test_oom();
    return done_testing();
}
