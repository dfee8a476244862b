/*
 * test_jsonl.c - the JSON Lines reader: keys to columns (late keys, absent
 * keys, repeated keys), escapes and surrogate pairs, nested values as JSON
 * text, types from values, malformed lines reported with line and the
 * offset of the fault, and every prefix of an input handled.
 */
#include <stdio.h>
#include <string.h>

#include "bulwark/bw_buf.h"
#include "bulwark/bw_jsonl.h"
#include "tap.h"

struct bads {
    size_t n;
    uint64_t line[8], off[8];
    char msg[8][96];
};

static void on_bad(void *ctx, const bw_bad_row *b)
{
    struct bads *x = ctx;

    if (x->n < 8) {
        x->line[x->n] = b->line;
        x->off[x->n] = b->offset;
        snprintf(x->msg[x->n], sizeof(x->msg[0]), "%s", b->msg);
    }
    x->n++;
}

/* Render every batch as "name:type|...\n" then rows "v,v;" (null as ~). */
static bw_status render(const char *text, size_t n, bw_data_opts *o, bw_buf *out, bw_error *err)
{
    bw_jsonl *r = NULL;
    const bw_batch *b = NULL;
    bw_status rc = bw_jsonl_open_mem(text, n, "t.jsonl", o, &r, err);

    while (rc == BW_OK && (rc = bw_jsonl_next(r, &b, err)) == BW_OK && b != NULL) {
        for (size_t k = 0; k < b->ncols; k++) {
            bw_buf_printf(out, "%s%s:%s", k ? "|" : "", b->names[k], bw_dtype_name(b->cols[k].type));
        }
        bw_buf_addc(out, '\n');
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
        bw_buf_addc(out, '\n');
    }
    bw_jsonl_free(r);
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

static void test_values(void)
{
    check("types",
          "{\"i\":1,\"f\":2.5,\"b\":true,\"s\":\"x\",\"d\":\"2024-01-02\",\"n\":null}\n"
          "{\"i\":-3,\"f\":1e2,\"b\":false,\"s\":\"y\",\"d\":\"2024-01-03\",\"n\":null}\n",
          NULL,
          "i:int64|f:float64|b:bool|s:string|d:date|n:null\n1,2.5,true,x,2024-01-02,~;-3,100,false,y,2024-01-03,~;\n");
    check("absent keys are null, late keys add columns", "{\"a\":1}\n{\"b\":\"x\"}\n{\"a\":3,\"b\":\"y\"}\n", NULL,
          "a:int64|b:string\n1,~;~,x;3,y;\n");
    check("a repeated key: the last wins", "{\"a\":1,\"a\":2}\n", NULL, "a:int64\n2;\n");
    check("escapes", "{\"s\":\"q\\\"b\\\\s\\/n\\nt\\tu\\u00e9\"}\n", NULL, "s:string\nq\"b\\s/n\nt\tu\xC3\xA9;\n");
    check("a surrogate pair", "{\"s\":\"\\ud83d\\ude00\"}\n", NULL, "s:string\n\xF0\x9F\x98\x80;\n");
    check("a lone surrogate", "{\"s\":\"a\\ud800b\"}\n", NULL,
          "s:string\na\xEF\xBF\xBD"
          "b;\n");
    check("nested values as JSON text", "{\"o\":{\"k\":[1,{\"z\":null}]},\"l\":[ ]}\n", NULL,
          "o:string|l:string\n{\"k\":[1,{\"z\":null}]},[ ];\n");
    check("numbers then strings: string", "{\"v\":1}\n{\"v\":\"a\"}\n", NULL, "v:string\n1;a;\n");
    check("an int column widens at a fraction", "{\"v\":1}\n{\"v\":2.5}\n", NULL, "v:float64\n1;2.5;\n");
    check("keys with escapes, CRLF, blank lines, spaces", " { \"a\\u0062\" : 1 } \r\n\r\n\n{\"ab\":2}\r\n", NULL,
          "ab:int64\n1;2;\n");
    check("an empty object", "{}\n{\"a\":1}\n", NULL, "a:int64\n~;1;\n");
    check("empty input", "", NULL, "");
}

static void test_bad(void)
{
    struct bads x = {0};
    bw_data_opts o = BW_DATA_OPTS_INIT;
    const char *text = "{\"a\":1}\n[1,2]\n{\"a\":2,}\n{\"a\":\"x\n{\"a\":3} extra\n{\"a\":01}\n{\"a\":4}\n";

    o.on_bad = on_bad;
    o.ctx = &x;
    check("malformed lines skipped", text, &o, "a:int64\n1;4;\n");
    is_int(x.n, 5, "five malformed lines");
    ok(x.line[0] == 2 && x.off[0] == 8, "not an object: line 2 offset 8");
    like(x.msg[0], "not a JSON object", "its reason");
    ok(x.line[1] == 3 && x.off[1] == 21, "a trailing comma: line 3, at the '}' (offset %llu)",
       (unsigned long long)x.off[1]);
    like(x.msg[2], "unterminated string", "an unterminated string");
    like(x.msg[3], "text after the object", "text after the object");
    like(x.msg[4], "missing ',' or '}'", "a leading zero");

    bw_buf out = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    o.on_bad_row = BW_BAD_STOP;
    ok(render(text, strlen(text), &o, &out, &err) == BW_EFORMAT, "stop: BW_EFORMAT");
    like(err.msg, "t.jsonl: line 2, offset 8", "names the file, line and offset");
    bw_buf_release(&out);

    /* nesting depth */
    bw_buf deep = BW_BUF_INIT(1 << 20);
    bw_buf_addstr(&deep, "{\"a\":");
    for (int i = 0; i < 100; i++) {
        bw_buf_addc(&deep, '[');
    }
    for (int i = 0; i < 100; i++) {
        bw_buf_addc(&deep, ']');
    }
    bw_buf_addstr(&deep, "}\n{\"a\":\"ok\"}\n");
    memset(&x, 0, sizeof(x));
    o.on_bad_row = BW_BAD_COUNT;
    check("too deep: skipped", deep.ptr, &o, "a:string\nok;\n");
    like(x.msg[0], "deeper than 64", "too deep");
    bw_buf_release(&deep);
}

static void test_types_given(void)
{
    bw_data_opts o = BW_DATA_OPTS_INIT;
    static const char *const names[] = {"id"};
    static const bw_dtype types[] = {BW_DT_STRING};
    struct bads x = {0};

    o.type_names = names;
    o.types = types;
    o.ntypes = 1;
    check("an explicit type", "{\"id\":7,\"v\":1}\n", &o, "id:string|v:int64\n7,1;\n");
    o = (bw_data_opts)BW_DATA_OPTS_INIT;
    o.infer_rows = 1;
    o.on_bad = on_bad;
    o.ctx = &x;
    check("a bad value after inference", "{\"v\":1}\n{\"v\":\"abc\"}\n{\"v\":true}\n", &o, "v:int64\n1;~;~;\n");
    is_int(x.n, 2, "two bad values");
}

static void test_batches(void)
{
    bw_data_opts o = BW_DATA_OPTS_INIT;

    o.batch_rows = 2;
    o.infer_rows = 1;
    check("batches; a key first seen in the second",
          "{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"b\":true}\n{\"a\":4}\n{\"b\":false}\n", &o,
          "a:int64\n1;2;\na:int64|b:bool\n3,true;4,~;\na:int64|b:bool\n~,false;\n");
}

static void test_prefixes(void)
{
    const char *text =
        "{\"a\":\"\\u00e9\\ud83d\\ude00\",\"b\":[1,{\"c\":2}],\"d\":-1.5e3}\r\n{\"a\":null,\"e\":true}\n";
    size_t n = strlen(text), fails = 0;

    for (size_t k = 0; k <= n; k++) {
        bw_buf out = BW_BUF_INIT(1 << 20);
        bw_error err = {0};
        bw_data_opts o = BW_DATA_OPTS_INIT;
        fails += render(text, k, &o, &out, &err) != BW_OK;
        bw_buf_release(&out);
    }
    is_int(fails, 0, "all %zu prefixes read (a cut line is a malformed row)", n + 1);
}

/* ---- slices: lines starting in [start, end) ---------------------------------------------------------- */

static bw_status slice_rows(const char *text, size_t n, uint64_t s, uint64_t e, bw_buf *out, bw_error *err)
{
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_jsonl *r = NULL;
    const bw_batch *b = NULL;
    bw_status rc;

    o.range_start = s;
    o.range_end = e;
    o.batch_rows = 5;
    rc = bw_jsonl_open_mem(text, n, "t.jsonl", &o, &r, err);
    while (rc == BW_OK && (rc = bw_jsonl_next(r, &b, err)) == BW_OK && b != NULL) {
        for (size_t i = 0; i < b->nrows; i++) {
            for (size_t k = 0; k < b->ncols; k++) {
                if (bw_col_valid(&b->cols[k], i)) {
                    bw_buf_printf(out, "%s=", b->names[k]);
                    (void)bw_col_format(&b->cols[k], i, out);
                    bw_buf_addc(out, ' ');
                }
            }
            bw_buf_addc(out, '\n');
        }
    }
    bw_jsonl_free(r);
    return rc;
}

static void test_slices(void)
{
    bw_buf text = BW_BUF_INIT(1 << 20), whole = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    unsigned seed = 11;
    size_t bad = 0;

    for (int i = 0; i < 200; i++) {
        seed = seed * 1103515245u + 12345u;
        if (seed % 7 == 0) {
            bw_buf_addstr(&text, "\r\n");
        }
        bw_buf_printf(&text, "{\"id\": %d, \"s\": \"a\\nb %u\", \"k%u\": true}%s", i, seed >> 20, seed % 3,
                      seed % 2 ? "\r\n" : "\n");
    }
    ok(slice_rows(text.ptr, text.len, 0, 0, &whole, &err) == BW_OK, "the whole input reads");
    for (int round = 0; round < 300; round++) {
        bw_buf got = BW_BUF_INIT(1 << 20);
        uint64_t cuts[8];
        size_t k = 1 + (size_t)round % 7;
        cuts[0] = 0;
        cuts[k] = text.len;
        for (size_t i = 1; i < k; i++) {
            seed = seed * 1103515245u + 12345u;
            cuts[i] = (seed >> 8) % (text.len + 1);
        }
        for (size_t i = 1; i < k; i++) {
            for (size_t j = i; j > 1 && cuts[j] < cuts[j - 1]; j--) {
                uint64_t t = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        }
        for (size_t i = 0; i < k; i++) {
            if (cuts[i + 1] != 0) {
                (void)slice_rows(text.ptr, text.len, cuts[i], cuts[i + 1], &got, &err);
            }
        }
        bad += got.len != whole.len || memcmp(got.ptr, whole.ptr, got.len) != 0;
        bw_buf_release(&got);
    }
    is_int(bad, 0, "300 random tilings of a %zu-byte JSONL file read every line once, in order", text.len);
    bw_buf_release(&text);
    bw_buf_release(&whole);
}

int main(void)
{
    test_values();
    test_bad();
    test_types_given();
    test_batches();
    test_prefixes();
    test_slices();
    return done_testing();
}
