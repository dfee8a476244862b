/*
 * vreport.c - the reports of a validation run (bw_vreport_write): text,
 * JSON in Great Expectations' validation-result shape, JUnit XML, SARIF
 * 2.1.0 and one self-contained HTML page.
 *
 * Everything in a bw_vrun that came from the data (sampled unexpected
 * values, and column names, which a JSONL file or CSV header chooses) is
 * hostile: each format escapes it by its own rules. Text output escapes
 * control characters (C0, DEL, C1) so a value cannot drive the terminal;
 * XML strips what XML 1.0 forbids; HTML escapes markup characters and the
 * page's Content-Security-Policy allows no script at all. Invalid UTF-8
 * becomes U+FFFD everywhere.
 *
 * The counts in every format (evaluated, passed, failed, warnings, overall
 * success) are recomputed from the results, so the formats cannot disagree
 * with one another: a failed expectation of severity "warning" is reported
 * but does not fail the run.
 */
#include <inttypes.h>
#include <math.h>

#include "bulwark/bw_json.h"
#include "data/suite_internal.h"

static const char *const format_names[] = {"text", "json", "junit", "sarif", "html"};

bw_status bw_vreport_format_parse(const char *s, bw_vreport_format *out)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(format_names); i++) {
        if (s != NULL && strcmp(s, format_names[i]) == 0) {
            *out = (bw_vreport_format)i;
            return BW_OK;
        }
    }
    return BW_EINVAL;
}

/* ---- shared helpers ------------------------------------------------------- */

struct counts {
    size_t evaluated, passed, failed, warnings;
    int success;
};

static struct counts count(const bw_vrun *r)
{
    struct counts c = {.evaluated = r->nresults};

    for (size_t i = 0; i < r->nresults; i++) {
        const bw_expect_result *e = &r->results[i];
        if (e->success) {
            c.passed++;
        } else if (e->severity == 1) {
            c.warnings++;
        } else {
            c.failed++;
        }
    }
    c.success = c.failed == 0;
    return c;
}

enum status { ST_PASS, ST_FAIL, ST_WARN };

static enum status status_of(const bw_expect_result *e)
{
    return e->success ? ST_PASS : e->severity == 1 ? ST_WARN : ST_FAIL;
}

static const char *const status_word[] = {"PASS", "FAIL", "WARN"};

/* The next code point of s[0..n): its length (>= 1); invalid UTF-8 is U+FFFD, one byte. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0], min;
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        c &= 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        c &= 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        c &= 0x07;
        min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return len;
}

static void put_utf8(bw_buf *b, uint32_t c)
{
    char u[4];

    if (c < 0x80) {
        bw_buf_addc(b, (char)c);
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        bw_buf_add(b, u, 2);
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        bw_buf_add(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        bw_buf_add(b, u, 4);
    }
}

/*
 * Printable text: control characters (C0, DEL, C1) as \n, \t, \r, \xNN or
 * \u{NNNN}; with `quoted`, '"' and '\' are escaped too. Always valid UTF-8.
 */
static void put_printable(bw_buf *b, const char *s, size_t n, bool quoted)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        uint32_t c;
        size_t k = utf8_next(p + i, n - i, &c);
        if (c == 0xFFFD && k == 1 && p[i] >= 0x80) {
            bw_buf_printf(b, "\\x%02X", p[i]);
        } else if (c == '\n') {
            bw_buf_addstr(b, "\\n");
        } else if (c == '\t') {
            bw_buf_addstr(b, "\\t");
        } else if (c == '\r') {
            bw_buf_addstr(b, "\\r");
        } else if (c < 0x20 || c == 0x7F) {
            bw_buf_printf(b, "\\x%02X", (unsigned)c);
        } else if (c >= 0x80 && c <= 0x9F) {
            bw_buf_printf(b, "\\u{%04X}", (unsigned)c);
        } else if (quoted && (c == '"' || c == '\\')) {
            bw_buf_addc(b, '\\');
            bw_buf_addc(b, (char)c);
        } else {
            bw_buf_add(b, s + i, k);
        }
        i += k;
    }
}

static void put_printable_str(bw_buf *b, const char *s)
{
    if (s != NULL) {
        put_printable(b, s, strlen(s), false);
    }
}

/* A percentage for people: "0.3%", "33.3%", "100%", "<0.001%". */
static void put_pct(bw_buf *b, double pct)
{
    if (!isfinite(pct)) {
        bw_buf_addstr(b, "?%");
    } else if (pct > 0 && pct < 0.001) {
        bw_buf_addstr(b, "<0.001%");
    } else {
        bw_buf_printf(b, "%.3g%%", pct);
    }
}

/* A sampled value as people read it: quoted and escaped, or its length when redacted. */
static void put_sample(bw_buf *b, const bw_unexpected *u)
{
    if (u->null) {
        bw_buf_addstr(b, "null");
        return;
    }
    if (u->value == NULL) {
        bw_buf_printf(b, "<redacted, %zu bytes>", u->len);
        return;
    }
    bw_buf_addc(b, '"');
    put_printable(b, u->value, strlen(u->value), true);
    bw_buf_addc(b, '"');
    if (u->truncated) {
        bw_buf_printf(b, "... (%zu bytes)", u->len);
    }
}

/* The short description of a result: "observed 45.2, unexpected 3 of 1000 = 0.3%, 2 missing". */
static void put_details(bw_buf *b, const bw_expect_result *e)
{
    size_t start = b->len;

    if (e->error != NULL) {
        bw_buf_addstr(b, "error: ");
        put_printable_str(b, e->error);
        return;
    }
    if (e->observed_json != NULL) {
        size_t n = strlen(e->observed_json);
        bw_buf_addstr(b, "observed ");
        put_printable(b, e->observed_json, n > 200 ? 200 : n, false);
        if (n > 200) {
            bw_buf_addstr(b, "...");
        }
    }
    if (e->per_value) {
        if (b->len > start) {
            bw_buf_addstr(b, ", ");
        }
        bw_buf_printf(b, "unexpected %" PRIu64 " of %" PRIu64 " = ", e->unexpected_count,
                      e->element_count - (e->missing_count <= e->element_count ? e->missing_count : 0));
        put_pct(b, e->unexpected_percent_nonmissing);
        if (e->missing_count > 0) {
            bw_buf_printf(b, ", %" PRIu64 " missing", e->missing_count);
        }
    }
}

static const char *label_of(const bw_expect_result *e)
{
    return e->label != NULL ? e->label : e->type != NULL ? e->type : "expectation";
}

/* ---- text ------------------------------------------------------------------ */

static void write_text(const bw_vrun *r, const bw_vreport_opts *o, bw_buf *b)
{
    static const char *const color[] = {"\033[32m", "\033[31m", "\033[33m"};
    struct counts c = count(r);
    bw_buf tmp = BW_BUF_INIT((size_t)1 << 24);
    bool shown = false;

    for (size_t i = 0; i < r->nresults; i++) {
        const bw_expect_result *e = &r->results[i];
        enum status st = status_of(e);

        if (st == ST_PASS && !o->verbose) {
            continue;
        }
        shown = true;
        if (o->color) {
            bw_buf_printf(b, "%s%s\033[0m  ", color[st], status_word[st]);
        } else {
            bw_buf_printf(b, "%s  ", status_word[st]);
        }
        put_printable_str(b, label_of(e));
        bw_buf_reset(&tmp);
        put_details(&tmp, e);
        if (tmp.len > 0) {
            bw_buf_addstr(b, "  (");
            bw_buf_add(b, tmp.ptr, tmp.len);
            bw_buf_addc(b, ')');
        }
        bw_buf_addc(b, '\n');
        if (st != ST_PASS) {
            for (size_t k = 0; k < e->nsamples; k++) {
                bw_buf_printf(b, "        row %" PRIu64 ": ", e->samples[k].row + 1);
                put_sample(b, &e->samples[k]);
                bw_buf_addc(b, '\n');
            }
            if (e->unexpected_count > e->nsamples && e->nsamples > 0) {
                bw_buf_printf(b, "        ... %" PRIu64 " more\n", e->unexpected_count - e->nsamples);
            }
        }
    }
    if (shown) {
        bw_buf_addc(b, '\n');
    }
    if (o->color) {
        bw_buf_addstr(b, c.success ? color[ST_PASS] : color[ST_FAIL]);
    }
    bw_buf_addstr(b, c.success ? "passed" : "FAILED");
    if (o->color) {
        bw_buf_addstr(b, "\033[0m");
    }
    bw_buf_addstr(b, ": suite '");
    put_printable_str(b, r->suite_name);
    bw_buf_addstr(b, "' on '");
    put_printable_str(b, r->data_name);
    bw_buf_printf(b, "': %zu expectations, %zu passed, %zu failed, %zu warnings; %" PRIu64 " rows", c.evaluated,
                  c.passed, c.failed, c.warnings, r->rows);
    if (r->bad_rows > 0) {
        bw_buf_printf(b, ", %" PRIu64 " malformed rows skipped", r->bad_rows);
    }
    bw_buf_addc(b, '\n');
    if (tmp.err != BW_OK && b->err == BW_OK) {
        b->err = tmp.err;
    }
    bw_buf_release(&tmp);
}

/* ---- JSON (Great Expectations' validation result) ------------------------------ */

static void json_raw_or(bw_json *j, const char *raw, const char *dflt)
{
    const char *v = raw != NULL && raw[0] != '\0' ? raw : dflt;
    if (v == NULL) {
        bw_json_null(j);
    } else {
        bw_json_raw(j, v, strlen(v));
    }
}

static void json_result(bw_json *j, const bw_expect_result *e)
{
    bw_json_obj_begin(j);
    bw_json_key(j, "success");
    bw_json_bool(j, e->success);
    bw_json_key(j, "expectation_config");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "type", e->type);
    bw_json_key(j, "kwargs");
    json_raw_or(j, e->kwargs_json, "{}");
    bw_json_key(j, "meta");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "severity", e->severity == 1 ? "warning" : "error");
    bw_json_obj_end(j);
    bw_json_obj_end(j);

    bw_json_key(j, "result");
    bw_json_obj_begin(j);
    bw_json_key(j, "observed_value");
    json_raw_or(j, e->observed_json, NULL);
    if (e->details_json != NULL && e->details_json[0] != '\0') {
        bw_json_key(j, "details");
        json_raw_or(j, e->details_json, NULL);
    }
    if (e->per_value) {
        bw_json_key(j, "element_count");
        bw_json_uint(j, e->element_count);
        bw_json_key(j, "missing_count");
        bw_json_uint(j, e->missing_count);
        bw_json_key(j, "missing_percent");
        bw_json_double(j, e->missing_percent);
        bw_json_key(j, "unexpected_count");
        bw_json_uint(j, e->unexpected_count);
        bw_json_key(j, "unexpected_percent");
        bw_json_double(j, e->unexpected_percent);
        bw_json_key(j, "unexpected_percent_nonmissing");
        bw_json_double(j, e->unexpected_percent_nonmissing);
        bw_json_key(j, "partial_unexpected_list");
        bw_json_arr_begin(j);
        for (size_t k = 0; k < e->nsamples; k++) {
            bw_json_str(j, e->samples[k].value); /* NULL (a null, or redacted) writes null */
        }
        bw_json_arr_end(j);
        bw_json_key(j, "partial_unexpected_index_list");
        bw_json_arr_begin(j);
        for (size_t k = 0; k < e->nsamples; k++) {
            bw_json_uint(j, e->samples[k].row);
        }
        bw_json_arr_end(j);
    }
    bw_json_obj_end(j);

    bw_json_key(j, "exception_info");
    bw_json_obj_begin(j);
    bw_json_key(j, "raised_exception");
    bw_json_bool(j, e->error != NULL);
    bw_json_kv_str(j, "exception_message", e->error);
    bw_json_key(j, "exception_traceback");
    bw_json_null(j);
    bw_json_obj_end(j);

    bw_json_key(j, "bulwark");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "label", e->label);
    bw_json_kv_str(j, "column", e->column);
    if (e->line != 0) {
        bw_json_kv_int(j, "suite_line", e->line);
    }
    bw_json_obj_end(j);
    bw_json_obj_end(j);
}

static bw_status write_json(const bw_vrun *r, const bw_vreport_opts *o, bw_buf *b)
{
    struct counts c = count(r);
    bw_json j;

    bw_json_init(&j, b, 1);
    bw_json_obj_begin(&j);
    bw_json_key(&j, "success");
    bw_json_bool(&j, c.success);
    bw_json_kv_str(&j, "suite_name", r->suite_name);
    bw_json_key(&j, "statistics");
    bw_json_obj_begin(&j);
    bw_json_key(&j, "evaluated_expectations");
    bw_json_uint(&j, c.evaluated);
    bw_json_key(&j, "successful_expectations");
    bw_json_uint(&j, c.passed);
    bw_json_key(&j, "unsuccessful_expectations");
    bw_json_uint(&j, c.evaluated - c.passed);
    bw_json_key(&j, "success_percent");
    if (c.evaluated > 0) {
        bw_json_double(&j, 100.0 * (double)c.passed / (double)c.evaluated);
    } else {
        bw_json_null(&j);
    }
    bw_json_obj_end(&j);
    bw_json_key(&j, "results");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < r->nresults; i++) {
        json_result(&j, &r->results[i]);
    }
    bw_json_arr_end(&j);
    bw_json_key(&j, "meta");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "data", r->data_name);
    bw_json_key(&j, "rows");
    bw_json_uint(&j, r->rows);
    bw_json_key(&j, "bad_rows");
    bw_json_uint(&j, r->bad_rows);
    bw_json_key(&j, "failed_expectations");
    bw_json_uint(&j, c.failed);
    bw_json_key(&j, "warnings");
    bw_json_uint(&j, c.warnings);
    bw_json_key(&j, "seconds");
    bw_json_double(&j, r->seconds);
    bw_json_kv_str(&j, "bulwark_version", o->tool_version != NULL ? o->tool_version : bw_version());
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_status rc = bw_json_finish(&j);
    if (rc == BW_OK) {
        bw_buf_addc(b, '\n');
    }
    return rc;
}

/* ---- markup (XML and HTML) --------------------------------------------------- */

/*
 * Escape for XML/HTML text and attribute values: & < > " ' as references,
 * TAB/LF/CR kept in text and as references in attributes (so they survive
 * attribute normalisation), characters XML 1.0 forbids dropped, invalid
 * UTF-8 as U+FFFD.
 */
static void put_markup(bw_buf *b, const char *s, size_t n, bool attr)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        uint32_t c;
        size_t k = utf8_next(p + i, n - i, &c);
        i += k;
        switch (c) {
        case '&': bw_buf_addstr(b, "&amp;"); continue;
        case '<': bw_buf_addstr(b, "&lt;"); continue;
        case '>': bw_buf_addstr(b, "&gt;"); continue;
        case '"': bw_buf_addstr(b, "&quot;"); continue;
        case '\'': bw_buf_addstr(b, "&#39;"); continue;
        case '\t':
        case '\n':
        case '\r':
            if (attr) {
                bw_buf_printf(b, "&#%u;", (unsigned)c);
            } else {
                bw_buf_addc(b, (char)c);
            }
            continue;
        default: break;
        }
        if (c < 0x20 || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF) {
            continue; /* not allowed anywhere in an XML 1.0 document */
        }
        put_utf8(b, c);
    }
}

static void put_markup_str(bw_buf *b, const char *s, bool attr)
{
    if (s != NULL) {
        put_markup(b, s, strlen(s), attr);
    }
}

/* Text already made printable (control characters shown as escapes), then markup-escaped. */
static void put_markup_via(bw_buf *b, const bw_buf *tmp, bool attr)
{
    if (tmp->err == BW_OK && tmp->ptr != NULL) {
        put_markup(b, tmp->ptr, tmp->len, attr);
    }
}

/* ---- JUnit XML ----------------------------------------------------------------- */

static void write_junit(const bw_vrun *r, bw_buf *b)
{
    struct counts c = count(r);
    bw_buf tmp = BW_BUF_INIT((size_t)1 << 24);

    bw_buf_addstr(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    bw_buf_printf(b,
                  "<testsuites name=\"bulwark validate\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%.3f\">\n",
                  c.evaluated, c.failed, isfinite(r->seconds) && r->seconds >= 0 ? r->seconds : 0.0);
    bw_buf_addstr(b, "  <testsuite name=\"");
    put_markup_str(b, r->suite_name, true);
    bw_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\">\n", c.evaluated,
                  c.failed, isfinite(r->seconds) && r->seconds >= 0 ? r->seconds : 0.0);
    bw_buf_addstr(b, "    <properties>\n      <property name=\"data\" value=\"");
    put_markup_str(b, r->data_name, true);
    bw_buf_printf(b,
                  "\"/>\n      <property name=\"rows\" value=\"%" PRIu64 "\"/>\n"
                  "      <property name=\"bad_rows\" value=\"%" PRIu64 "\"/>\n    </properties>\n",
                  r->rows, r->bad_rows);
    for (size_t i = 0; i < r->nresults; i++) {
        const bw_expect_result *e = &r->results[i];
        enum status st = status_of(e);

        bw_buf_addstr(b, "    <testcase classname=\"");
        put_markup_str(b, e->column != NULL ? e->column : "table", true);
        bw_buf_addstr(b, "\" name=\"");
        put_markup_str(b, label_of(e), true);
        bw_buf_addstr(b, "\" time=\"0\"");
        bw_buf_reset(&tmp);
        put_details(&tmp, e);
        if (st == ST_PASS) {
            bw_buf_addstr(b, "/>\n");
            continue;
        }
        bw_buf_addstr(b, ">\n");
        if (st == ST_FAIL) {
            bw_buf_addstr(b, "      <failure message=\"");
            put_markup_via(b, &tmp, true);
            bw_buf_addstr(b, "\" type=\"");
            put_markup_str(b, e->type, true);
            bw_buf_addstr(b, "\">");
        } else {
            bw_buf_addstr(b, "      <system-out>warning (severity warning, not a failure): ");
        }
        bw_buf_reset(&tmp);
        bw_buf_addstr(&tmp, e->type != NULL ? e->type : "");
        bw_buf_addstr(&tmp, " ");
        bw_buf_addstr(&tmp, e->kwargs_json != NULL ? e->kwargs_json : "{}");
        bw_buf_addc(&tmp, '\n');
        put_details(&tmp, e);
        bw_buf_addc(&tmp, '\n');
        for (size_t k = 0; k < e->nsamples; k++) {
            bw_buf_printf(&tmp, "row %" PRIu64 ": ", e->samples[k].row + 1);
            put_sample(&tmp, &e->samples[k]);
            bw_buf_addc(&tmp, '\n');
        }
        put_markup_via(b, &tmp, false);
        bw_buf_addstr(b, st == ST_FAIL ? "</failure>\n" : "</system-out>\n");
        bw_buf_addstr(b, "    </testcase>\n");
    }
    bw_buf_addstr(b, "  </testsuite>\n</testsuites>\n");
    if (tmp.err != BW_OK && b->err == BW_OK) {
        b->err = tmp.err;
    }
    bw_buf_release(&tmp);
}

/* ---- SARIF 2.1.0 ------------------------------------------------------------------ */

/* A path as a URI reference: relative paths stay relative, absolute ones become file:// URIs. */
static void put_uri(bw_buf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";

    if (path[0] == '/') {
        bw_buf_addstr(b, "file://");
    }
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
    }
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
        unsigned c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || c == '/') {
            bw_buf_addc(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            bw_buf_add(b, esc, sizeof(esc));
        }
    }
}

static void sarif_location(bw_json *j, const char *path, unsigned line)
{
    bw_buf uri = BW_BUF_INIT((size_t)1 << 20);

    put_uri(&uri, path != NULL && path[0] != '\0' ? path : "-");
    bw_json_key(j, "physicalLocation");
    bw_json_obj_begin(j);
    bw_json_key(j, "artifactLocation");
    bw_json_obj_begin(j);
    bw_json_key(j, "uri");
    bw_json_strn(j, uri.ptr != NULL ? uri.ptr : "-", uri.err == BW_OK && uri.ptr != NULL ? uri.len : 1);
    bw_json_obj_end(j);
    if (line != 0) {
        bw_json_key(j, "region");
        bw_json_obj_begin(j);
        bw_json_kv_int(j, "startLine", line);
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
    bw_buf_release(&uri);
}

static bw_status write_sarif(const bw_vrun *r, const bw_vreport_opts *o, bw_buf *b)
{
    const char **rules = NULL;
    size_t nrules = 0;
    size_t *rule_of = NULL;
    bw_buf msg = BW_BUF_INIT((size_t)1 << 20);
    bw_json j;
    bw_status rc;

    if (r->nresults > 0) {
        rules = bw_calloc(r->nresults, sizeof(*rules));
        rule_of = bw_calloc(r->nresults, sizeof(*rule_of));
        if (rules == NULL || rule_of == NULL) {
            bw_free(rules);
            bw_free(rule_of);
            return BW_ENOMEM;
        }
    }
    /* one rule per expectation type, in order of first use */
    for (size_t i = 0; i < r->nresults; i++) {
        const char *t = r->results[i].type != NULL ? r->results[i].type : "expectation";
        size_t k = 0;
        while (k < nrules && strcmp(rules[k], t) != 0) {
            k++;
        }
        if (k == nrules) {
            rules[nrules++] = t;
        }
        rule_of[i] = k;
    }
    bw_json_init(&j, b, 1);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    bw_json_kv_str(&j, "version", "2.1.0");
    bw_json_key(&j, "runs");
    bw_json_arr_begin(&j);
    bw_json_obj_begin(&j);
    bw_json_key(&j, "tool");
    bw_json_obj_begin(&j);
    bw_json_key(&j, "driver");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "name", "bulwark");
    bw_json_kv_str(&j, "version", o->tool_version != NULL ? o->tool_version : bw_version());
    bw_json_kv_str(&j, "informationUri", "https://github.com/bulwark-sec/bulwark");
    bw_json_key(&j, "rules");
    bw_json_arr_begin(&j);
    for (size_t k = 0; k < nrules; k++) {
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "id", rules[k]);
        bw_json_key(&j, "shortDescription");
        bw_json_obj_begin(&j);
        bw_buf_reset(&msg);
        bw_buf_printf(&msg, "data contract: %s", rules[k]);
        bw_json_kv_str(&j, "text", msg.ptr != NULL ? msg.ptr : rules[k]);
        bw_json_obj_end(&j);
        bw_json_key(&j, "defaultConfiguration");
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "level", "error");
        bw_json_obj_end(&j);
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);

    bw_json_key(&j, "results");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < r->nresults; i++) {
        const bw_expect_result *e = &r->results[i];
        enum status st = status_of(e);
        if (st == ST_PASS) {
            continue;
        }
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "ruleId", rules[rule_of[i]]);
        bw_json_kv_int(&j, "ruleIndex", (int64_t)rule_of[i]);
        bw_json_kv_str(&j, "level", st == ST_FAIL ? "error" : "warning");
        bw_json_key(&j, "message");
        bw_json_obj_begin(&j);
        bw_buf_reset(&msg);
        bw_buf_addstr(&msg, label_of(e));
        bw_buf_addstr(&msg, ": ");
        put_details(&msg, e);
        for (size_t k = 0; k < e->nsamples && k < 3; k++) {
            bw_buf_printf(&msg, "%s row %" PRIu64 ": ", k == 0 ? "; e.g." : ",", e->samples[k].row + 1);
            put_sample(&msg, &e->samples[k]);
        }
        bw_json_kv_str(&j, "text", msg.err == BW_OK && msg.ptr != NULL ? msg.ptr : label_of(e));
        bw_json_obj_end(&j);
        bw_json_key(&j, "locations");
        bw_json_arr_begin(&j);
        bw_json_obj_begin(&j);
        sarif_location(&j, r->data_name, 0);
        bw_json_obj_end(&j);
        bw_json_arr_end(&j);
        if (o->suite_path != NULL && e->line != 0) {
            bw_json_key(&j, "relatedLocations");
            bw_json_arr_begin(&j);
            bw_json_obj_begin(&j);
            bw_json_kv_int(&j, "id", 0);
            sarif_location(&j, o->suite_path, e->line);
            bw_json_key(&j, "message");
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "text", "the expectation in the suite");
            bw_json_obj_end(&j);
            bw_json_obj_end(&j);
            bw_json_arr_end(&j);
        }
        bw_json_key(&j, "properties");
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "column", e->column);
        bw_json_key(&j, "kwargs");
        json_raw_or(&j, e->kwargs_json, "{}");
        bw_json_key(&j, "observed_value");
        json_raw_or(&j, e->observed_json, NULL);
        if (e->per_value) {
            bw_json_key(&j, "element_count");
            bw_json_uint(&j, e->element_count);
            bw_json_key(&j, "unexpected_count");
            bw_json_uint(&j, e->unexpected_count);
            bw_json_key(&j, "unexpected_rows");
            bw_json_arr_begin(&j);
            for (size_t k = 0; k < e->nsamples; k++) {
                bw_json_uint(&j, e->samples[k].row);
            }
            bw_json_arr_end(&j);
        }
        if (e->error != NULL) {
            bw_json_kv_str(&j, "error", e->error);
        }
        bw_json_obj_end(&j);
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_key(&j, "invocations");
    bw_json_arr_begin(&j);
    bw_json_obj_begin(&j);
    bw_json_key(&j, "executionSuccessful");
    bw_json_bool(&j, 1);
    bw_json_obj_end(&j);
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    rc = bw_json_finish(&j);
    if (rc == BW_OK) {
        bw_buf_addc(b, '\n');
    }
    bw_buf_release(&msg);
    bw_free(rules);
    bw_free(rule_of);
    return rc;
}

/* ---- HTML ------------------------------------------------------------------------- */

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n";

static const char html_style[] =
    "<style>\n"
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#1b1f24}\n"
    "h1{font-size:1.4em;margin-bottom:.2em}\n"
    ".sum{font-size:1.05em;margin:.6em 0 1.2em}\n"
    ".badge{display:inline-block;padding:.15em .6em;border-radius:4px;font-weight:600;color:#fff}\n"
    ".PASS{background:#1a7f37}.FAIL{background:#cf222e}.WARN{background:#9a6700}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{border-bottom:1px solid #d0d7de;padding:.45em .6em;text-align:left;vertical-align:top}\n"
    "th{background:#f6f8fa}\n"
    "tr.FAIL td:first-child{border-left:4px solid #cf222e}tr.WARN td:first-child{border-left:4px solid #9a6700}\n"
    ".type{color:#57606a;font-size:.85em;font-family:ui-monospace,monospace}\n"
    "code,pre{font-family:ui-monospace,SFMono-Regular,monospace;font-size:.9em;white-space:pre-wrap;"
    "word-break:break-all;margin:0}\n"
    "ul{margin:0;padding-left:1.1em}\n"
    "</style>\n</head>\n<body>\n";

static void write_html(const bw_vrun *r, const bw_vreport_opts *o, bw_buf *b)
{
    struct counts c = count(r);
    bw_buf tmp = BW_BUF_INIT((size_t)1 << 24);

    bw_buf_addstr(b, html_head);
    bw_buf_addstr(b, "<title>bulwark validate: ");
    put_markup_str(b, r->suite_name, false);
    bw_buf_addstr(b, "</title>\n");
    bw_buf_addstr(b, html_style);
    bw_buf_addstr(b, "<h1>Validation of <code>");
    put_markup_str(b, r->data_name, false);
    bw_buf_addstr(b, "</code> against suite <code>");
    put_markup_str(b, r->suite_name, false);
    bw_buf_addstr(b, "</code></h1>\n");
    bw_buf_printf(b,
                  "<p class=\"sum\"><span class=\"badge %s\">%s</span> %zu expectations: %zu passed, %zu failed, "
                  "%zu warnings; %" PRIu64 " rows",
                  c.success ? "PASS" : "FAIL", c.success ? "PASSED" : "FAILED", c.evaluated, c.passed, c.failed,
                  c.warnings, r->rows);
    if (r->bad_rows > 0) {
        bw_buf_printf(b, ", %" PRIu64 " malformed rows skipped", r->bad_rows);
    }
    if (isfinite(r->seconds) && r->seconds > 0) {
        bw_buf_printf(b, "; %.3f s", r->seconds);
    }
    bw_buf_printf(b, ". bulwark ");
    put_markup_str(b, o->tool_version != NULL ? o->tool_version : bw_version(), false);
    bw_buf_addstr(b, "</p>\n<table>\n<thead><tr><th>Status</th><th>Expectation</th><th>Column</th>"
                     "<th>Result</th><th>Unexpected values (row: value)</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < r->nresults; i++) {
        const bw_expect_result *e = &r->results[i];
        enum status st = status_of(e);

        bw_buf_printf(b, "<tr class=\"%s\"><td><span class=\"badge %s\">%s</span></td><td>", status_word[st],
                      status_word[st], status_word[st]);
        bw_buf_reset(&tmp);
        put_printable_str(&tmp, label_of(e));
        put_markup_via(b, &tmp, false);
        bw_buf_addstr(b, "<div class=\"type\">");
        put_markup_str(b, e->type, false);
        bw_buf_addc(b, ' ');
        put_markup_str(b, e->kwargs_json, false);
        bw_buf_addstr(b, "</div></td><td>");
        if (e->column != NULL) {
            bw_buf_reset(&tmp);
            put_printable_str(&tmp, e->column);
            bw_buf_addstr(b, "<code>");
            put_markup_via(b, &tmp, false);
            bw_buf_addstr(b, "</code>");
        }
        bw_buf_addstr(b, "</td><td>");
        bw_buf_reset(&tmp);
        put_details(&tmp, e);
        put_markup_via(b, &tmp, false);
        bw_buf_addstr(b, "</td><td>");
        if (e->nsamples > 0) {
            bw_buf_addstr(b, "<ul>");
            for (size_t k = 0; k < e->nsamples; k++) {
                bw_buf_reset(&tmp);
                bw_buf_printf(&tmp, "%" PRIu64 ": ", e->samples[k].row + 1);
                put_sample(&tmp, &e->samples[k]);
                bw_buf_addstr(b, "<li><code>");
                put_markup_via(b, &tmp, false);
                bw_buf_addstr(b, "</code></li>");
            }
            if (e->unexpected_count > e->nsamples) {
                bw_buf_printf(b, "<li>... %" PRIu64 " more</li>", e->unexpected_count - e->nsamples);
            }
            bw_buf_addstr(b, "</ul>");
        }
        bw_buf_addstr(b, "</td></tr>\n");
    }
    bw_buf_addstr(b, "</tbody>\n</table>\n</body>\n</html>\n");
    if (tmp.err != BW_OK && b->err == BW_OK) {
        b->err = tmp.err;
    }
    bw_buf_release(&tmp);
}

/* ---- entry point ------------------------------------------------------------------- */

bw_status bw_vreport_write(const bw_vrun *r, bw_vreport_format f, const bw_vreport_opts *o, bw_buf *out)
{
    static const bw_vreport_opts defaults = {0};
    bw_status rc = BW_OK;

    if (r == NULL || out == NULL || (r->nresults > 0 && r->results == NULL)) {
        return BW_EINVAL;
    }
    if (o == NULL) {
        o = &defaults;
    }
    switch (f) {
    case BW_VREPORT_TEXT: write_text(r, o, out); break;
    case BW_VREPORT_JSON: rc = write_json(r, o, out); break;
    case BW_VREPORT_JUNIT: write_junit(r, out); break;
    case BW_VREPORT_SARIF: rc = write_sarif(r, o, out); break;
    case BW_VREPORT_HTML: write_html(r, o, out); break;
    default: return BW_EINVAL;
    }
    return rc != BW_OK ? rc : out->err;
}
