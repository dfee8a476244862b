/*
 * test_report.c - the finding model: copying, counting, sorting,
 * fingerprints, redaction, the text and JSON writers (the JSON one read
 * back with jansson), concurrent adds, and out-of-memory paths.
 */
#include <jansson.h>
#include <pthread.h>

#include "tap.h"
#include "testjson.h"
#include "testreport.h"
#include "util/internal.h"

static char *render(const bw_report *r, bw_format fmt, const bw_write_opts *opts)
{
    bw_buf b = BW_BUF_INIT(1 << 26);
    char *s = NULL;

    if (bw_report_write(r, fmt, opts, &b) != BW_OK || bw_buf_take(&b, &s, NULL) != BW_OK) {
        bw_buf_release(&b);
        return NULL;
    }
    return s;
}

static void test_names(void)
{
    bw_severity s = BW_SEV_INFO;
    bw_format f = BW_FORMAT_TEXT;

    is_str(bw_severity_name(BW_SEV_CRITICAL), "critical", "severity name critical");
    is_str(bw_severity_name(BW_SEV_INFO), "info", "severity name info");
    is_int(bw_severity_parse("HIGH", &s), BW_OK, "parse HIGH (case-insensitive)");
    is_int(s, BW_SEV_HIGH, "HIGH is BW_SEV_HIGH");
    is_int(bw_severity_parse("Medium", &s), BW_OK, "parse Medium");
    is_int(s, BW_SEV_MEDIUM, "Medium is BW_SEV_MEDIUM");
    is_int(bw_severity_parse("severe", &s), BW_EINVAL, "unknown severity is BW_EINVAL");
    is_int(bw_severity_parse("", &s), BW_EINVAL, "empty severity is BW_EINVAL");
    is_int(bw_format_parse("sarif", &f), BW_OK, "parse sarif");
    is_int(f, BW_FORMAT_SARIF, "sarif is BW_FORMAT_SARIF");
    is_int(bw_format_parse("json", &f), BW_OK, "parse json");
    is_int(f, BW_FORMAT_JSON, "json is BW_FORMAT_JSON");
    is_int(bw_format_parse("xml", &f), BW_EINVAL, "unknown format is BW_EINVAL");
}

static void test_fingerprint(void)
{
    char a[65], b[65];

    bw_fingerprint("rule-x", "a/b.pkl", NULL, "secret", 6, a);
    is_str(a, "dfceba977c31d94b489e39afa7a21629b34ef42b2fbcdf61c427cc975bddb389",
           "fingerprint is sha256(rule NUL path NUL member NUL content)");
    bw_fingerprint("rule-x", "a/b.pkl", "m.zip!x", "hello", 5, a);
    is_str(a, "d1d74e182721d8abc5e1bf124a9d4187aafd9296b551ae2390f828cc1a1abdb2", "fingerprint with a member");
    bw_fingerprint("rule-x", "a/b.pkl", "m.zip!x", "hello", 5, b);
    is_str(a, b, "fingerprint is stable");
    bw_fingerprint("rule-y", "a/b.pkl", "m.zip!x", "hello", 5, b);
    ok(strcmp(a, b) != 0, "fingerprint differs with the rule");
    bw_fingerprint("rule-x", "a/c.pkl", "m.zip!x", "hello", 5, b);
    ok(strcmp(a, b) != 0, "fingerprint differs with the path");
    bw_fingerprint("rule-x", "a/b.pkl", "m.zip!y", "hello", 5, b);
    ok(strcmp(a, b) != 0, "fingerprint differs with the member");
    bw_fingerprint("rule-x", "a/b.pkl", "m.zip!x", "hellp", 5, b);
    ok(strcmp(a, b) != 0, "fingerprint differs with the content");
    bw_fingerprint("ab", "c", NULL, "", 0, a);
    bw_fingerprint("a", "bc", NULL, "", 0, b);
    ok(strcmp(a, b) != 0, "parts are separated: (ab, c) differs from (a, bc)");
}

static void test_redact(void)
{
    const char *aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYab"; /* 42 chars */
    char out[64];
    int worst = 0, stars_ok = 1;

    bw_redact(aws, 40, 4, out, sizeof(out));
    is_str(out, "wJal********", "40-char secret keeps 4 characters and 8 stars");
    bw_redact("AKIAIOSFODNN7EXAMPLE", 20, 4, out, sizeof(out));
    is_str(out, "AKIA********", "AWS key id redacts as in the header");
    bw_redact(aws, 40, 100, out, sizeof(out));
    is_str(out, "wJalrXUtnF********", "keep is capped at a quarter (10 of 40)");
    bw_redact("abc", 3, 4, out, sizeof(out));
    is_str(out, "***", "a 3-char secret shows nothing");
    bw_redact("", 0, 4, out, sizeof(out));
    is_str(out, "", "empty secret");
    bw_redact(aws, 40, 4, out, 6);
    is_str(out, "wJal*", "output is cut to cap and NUL-terminated");
    /* a quarter that would end inside a UTF-8 sequence backs off */
    bw_redact("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xx", 12, 3, out, sizeof(out));
    is_str(out, "\xc3\xa9********", "UTF-8 sequence not split");

    for (size_t n = 0; n <= 42; n++) {
        for (size_t keep = 0; keep <= n + 2; keep++) {
            size_t shown = 0, stars = 0;
            bw_redact(aws, n, keep, out, sizeof(out));
            for (const char *p = out; *p != '\0'; p++) {
                if (*p == '*') {
                    stars++;
                } else {
                    shown++;
                }
            }
            if (shown * 4 > n || shown > keep) {
                worst = 1;
            }
            if (stars > 8 || strncmp(out, aws, shown) != 0) {
                stars_ok = 0;
            }
        }
    }
    ok(!worst, "never shows more than a quarter of the secret, nor more than keep");
    ok(stars_ok, "shows a prefix and at most 8 stars");
}

static void test_model(void)
{
    bw_report *r = NULL;
    bw_error err;
    char path[32], msg[32];
    bw_finding f;
    const bw_finding *got, *first;
    char fp[65];

    bw_error_clear(&err);
    is_int(bw_report_new(&r, "bulwark scan", &err), BW_OK, "report_new");
    is_int(bw_report_count(r), 0, "new report is empty");

    memcpy(path, "model.pkl", 10);
    memcpy(msg, "calls os.system", 16);
    f = finding("pickle-os-system", BW_SEV_CRITICAL, path, 3, msg);
    f.loc.member = "inner.zip!data.pkl";
    f.evidence = "os.system";
    is_int(bw_report_add(r, &f), BW_OK, "add a finding");
    memcpy(path, "XXXXXXXXX", 10); /* the report must have copied */
    memcpy(msg, "YYYYYYYYYYYYYYY", 16);
    got = bw_report_get(r, 0);
    ok(got != NULL, "get 0");
    is_str(got->loc.path, "model.pkl", "path was copied");
    is_str(got->message, "calls os.system", "message was copied");
    is_str(got->loc.member, "inner.zip!data.pkl", "member was copied");
    is_str(got->evidence, "os.system", "evidence was copied");
    is_int(got->loc.line, 3, "line kept");
    is_int(got->loc.cell, -1, "cell kept");
    bw_fingerprint("pickle-os-system", "model.pkl", "inner.zip!data.pkl", "calls os.system", 15, fp);
    is_str(got->fingerprint, fp, "derived fingerprint covers rule, path, member and message");
    ok(bw_report_get(r, 1) == NULL, "get past the end is NULL");

    f = finding("given-fp", BW_SEV_LOW, "a.txt", 1, "m");
    f.fingerprint = "00ff";
    is_int(bw_report_add(r, &f), BW_OK, "add with a fingerprint");
    is_str(bw_report_get(r, 1)->fingerprint, "00ff", "a given fingerprint is kept");

    f = finding(NULL, BW_SEV_LOW, "a", 1, "m");
    is_int(bw_report_add(r, &f), BW_EINVAL, "no rule id is BW_EINVAL");
    f = finding("r", BW_SEV_LOW, NULL, 1, "m");
    is_int(bw_report_add(r, &f), BW_EINVAL, "no path is BW_EINVAL");
    f = finding("r", (bw_severity)7, "a", 1, "m");
    is_int(bw_report_add(r, &f), BW_EINVAL, "bad severity is BW_EINVAL");
    is_int(bw_report_add(r, NULL), BW_EINVAL, "NULL finding is BW_EINVAL");

    /* pointers stay valid while the report grows */
    first = bw_report_get(r, 0);
    for (int i = 0; i < 1000; i++) {
        snprintf(path, sizeof(path), "f%04d", i);
        f = finding("grow", (bw_severity)(i % 5), path, (uint32_t)i, "m");
        if (bw_report_add(r, &f) != BW_OK) {
            break;
        }
    }
    is_int(bw_report_count(r), 1002, "1002 findings");
    ok(first == bw_report_get(r, 0), "finding pointer is stable across growth");
    is_str(first->loc.path, "model.pkl", "and still reads back");
    is_int(bw_report_count_at_least(r, BW_SEV_CRITICAL), 201, "count_at_least critical");
    is_int(bw_report_count_at_least(r, BW_SEV_INFO), 1002, "count_at_least info is all");
    is_int(bw_report_count_at_least(r, BW_SEV_HIGH), 401, "count_at_least high");
    bw_report_free(r);
    bw_report_free(NULL);
}

static void test_sort(void)
{
    static const struct {
        const char *path, *member, *rule;
        uint32_t line, col;
        uint64_t off;
    } in[] = {
        {"b.pkl", NULL, "r1", 1, 1, BW_NO_OFFSET}, {"a.pkl", "z", "r1", 1, 1, BW_NO_OFFSET},
        {"a.pkl", NULL, "r2", 5, 1, BW_NO_OFFSET}, {"a.pkl", NULL, "r1", 5, 1, BW_NO_OFFSET},
        {"a.pkl", NULL, "r1", 2, 9, BW_NO_OFFSET}, {"a.pkl", NULL, "r1", 2, 3, BW_NO_OFFSET},
        {"a.pkl", NULL, "r1", 0, 0, 40},           {"a.pkl", NULL, "r1", 0, 0, 7},
        {"a.pkl", "y", "r1", 1, 1, BW_NO_OFFSET},
    };
    /* expected order, as indexes into in[] */
    static const int want[] = {7, 6, 5, 4, 3, 2, 8, 1, 0};
    bw_report *r = NULL;
    int good = 1;

    if (bw_report_new(&r, "sort", NULL) != BW_OK) {
        ok(0, "report_new");
        return;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(in); i++) {
        bw_finding f = finding(in[i].rule, BW_SEV_LOW, in[i].path, in[i].line, "m");
        f.loc.member = in[i].member;
        f.loc.column = in[i].col;
        f.loc.offset = in[i].off;
        if (bw_report_add(r, &f) != BW_OK) {
            good = 0;
        }
    }
    bw_report_sort(r);
    for (size_t i = 0; i < BW_ARRAY_LEN(want); i++) {
        const bw_finding *f = bw_report_get(r, i);
        const int w = want[i];
        if (f == NULL || strcmp(f->loc.path, in[w].path) != 0 || f->loc.line != in[w].line ||
            f->loc.column != in[w].col || f->loc.offset != in[w].off || strcmp(f->rule_id, in[w].rule) != 0 ||
            (f->loc.member == NULL) != (in[w].member == NULL)) {
            good = 0;
            tap_diag("position %zu: want input %d", i, w);
        }
    }
    ok(good, "sorted by path, member, line, column, offset, rule");
    bw_report_free(r);
}

static bw_report *sample_report(void)
{
    bw_report *r = NULL;
    bw_error e;
    bw_finding f;
    bw_rule rule = {"secret-aws", "SecretAws", "AWS secret key", "rotate it", NULL, BW_SEV_HIGH};

    if (bw_report_new(&r, "bulwark scan", NULL) != BW_OK) {
        return NULL;
    }
    if (bw_report_add_rule(r, &rule) != BW_OK) {
        goto fail;
    }
    f = finding("pickle-os-system", BW_SEV_CRITICAL, "model.pkl", 0, "imports os.system");
    f.loc.offset = 1234;
    if (bw_report_add(r, &f) != BW_OK) {
        goto fail;
    }
    f = finding("secret-aws", BW_SEV_HIGH, "conf/app.env", 12, "AWS secret access key");
    f.loc.column = 5;
    f.loc.member = "inner.zip!data.env";
    f.evidence = "wJal********";
    if (bw_report_add(r, &f) != BW_OK) {
        goto fail;
    }
    f = finding("secret-aws", BW_SEV_HIGH, "nb.ipynb", 4, "AWS secret access key");
    f.loc.cell = 2;
    if (bw_report_add(r, &f) != BW_OK) {
        goto fail;
    }
    for (int i = 0; i < 12; i++) {
        bw_report_count_input(r, 100);
    }
    bw_error_clear(&e);
    e.code = BW_EFORMAT;
    e.offset = 77;
    snprintf(e.msg, sizeof(e.msg), "%s", "truncated central directory");
    if (bw_report_add_error(r, "broken.zip", &e) != BW_OK || bw_report_add_error(r, "gone.pkl", NULL) != BW_OK) {
        goto fail;
    }
    return r;
fail:
    bw_report_free(r);
    return NULL;
}

static void test_text(void)
{
    bw_report *r = sample_report();
    bw_write_opts opts = BW_WRITE_OPTS_INIT;
    bw_finding f;
    char *s;

    if (r == NULL) {
        ok(0, "sample report");
        return;
    }
    is_int(bw_report_error_count(r), 2, "two input errors");
    s = render(r, BW_FORMAT_TEXT, &opts);
    ok(s != NULL, "text: rendered");
    if (s != NULL) {
        like(s, "CRITICAL  pickle-os-system  model.pkl (offset 1234)  imports os.system\n",
             "text: offset-only finding");
        like(s,
             "HIGH      secret-aws  conf/app.env:12:5 (inner.zip!data.env)  AWS secret access "
             "key\n",
             "text: finding with line, column and member");
        like(s, "HIGH      secret-aws  nb.ipynb:4 (cell 2)  AWS secret access key\n", "text: notebook cell");
        like(s, "error: broken.zip: truncated central directory\n", "text: error line");
        like(s, "error: gone.pkl: input/output error\n", "text: error without a record");
        like(s, "3 findings (1 critical, 2 high) in 12 files, 2 errors\n", "text: summary line");
        ok(strchr(s, '\033') == NULL, "text: no ESC byte without colour");
        ok(strstr(s, "wJal") == NULL, "text: evidence only when verbose");
        ok(strstr(s, "fingerprint") == NULL, "text: fingerprints only when verbose");
    }
    bw_free(s);

    opts.verbose = 1;
    s = render(r, BW_FORMAT_TEXT, &opts);
    like(s, "\n          evidence: wJal********\n", "text verbose: evidence line");
    like(s, "          fingerprint: ", "text verbose: fingerprint line");
    ok(s != NULL && strchr(s, '\033') == NULL, "text verbose: still no ESC");
    bw_free(s);

    opts.color = 1;
    s = render(r, BW_FORMAT_TEXT, &opts);
    like(s, "\033[1;31mCRITICAL\033[0m  pickle-os-system", "text colour: critical in bold red");
    like(s, "\033[31mHIGH    \033[0m  secret-aws", "text colour: high in red");
    bw_free(s);

    /* hostile names cannot smuggle terminal escapes */
    opts.color = 0;
    f = finding("r", BW_SEV_LOW,
                "evil\033]0;pwned\a\xc2\x9b"
                "2J\xff.pkl",
                1, "bad\nline");
    if (bw_report_add(r, &f) == BW_OK) {
        s = render(r, BW_FORMAT_TEXT, &opts);
        ok(s != NULL && strchr(s, '\033') == NULL && strchr(s, '\a') == NULL,
           "text: control bytes from input are escaped");
        like(s, "evil\\x1b]0;pwned\\x07\\xc2\\x9b2J\\xff.pkl:1  bad\\x0aline\n",
             "text: escaped as \\xNN, C1 controls and bad UTF-8 included");
        bw_free(s);
    }
    bw_report_free(r);

    /* singular and empty summaries */
    if (bw_report_new(&r, "x", NULL) == BW_OK) {
        s = render(r, BW_FORMAT_TEXT, NULL);
        is_str(s, "no findings in 0 files\n", "text: empty report");
        bw_free(s);
        bw_report_count_input(r, 1);
        f = finding("r", BW_SEV_MEDIUM, "a", 0, "m");
        if (bw_report_add(r, &f) == BW_OK) {
            s = render(r, BW_FORMAT_TEXT, NULL);
            is_str(s, "MEDIUM    r  a  m\n1 finding (1 medium) in 1 file\n", "text: singular summary");
            bw_free(s);
        }
        bw_report_free(r);
    }
}

static void test_json_writer(void)
{
    bw_report *r = sample_report();
    bw_write_opts opts = BW_WRITE_OPTS_INIT;
    json_error_t jerr;
    json_t *doc = NULL, *loc;
    bw_finding f;
    char *s;

    if (r == NULL) {
        ok(0, "sample report");
        return;
    }
    f = finding("r", BW_SEV_INFO, "bad\xff name\x01.pkl", 0, "m");
    ok(bw_report_add(r, &f) == BW_OK, "add a finding with an ill-formed path");
    opts.tool_version = "9.8.7";
    s = render(r, BW_FORMAT_JSON, &opts);
    ok(s != NULL, "json: rendered");
    if (s != NULL) {
        doc = json_loads(s, 0, &jerr);
    }
    ok(doc != NULL, "json: jansson parses the output");
    if (doc == NULL) {
        bw_free(s);
        bw_report_free(r);
        return;
    }
    is_str(json_string_value(jget(doc, "tool.name")), "bulwark", "json: tool.name");
    is_str(json_string_value(jget(doc, "tool.version")), "9.8.7", "json: tool.version");
    is_str(json_string_value(jget(doc, "command")), "bulwark scan", "json: command");
    is_int(json_integer_value(jget(doc, "summary.findings")), 4, "json: summary.findings");
    is_int(json_integer_value(jget(doc, "summary.by_severity.critical")), 1, "json: critical");
    is_int(json_integer_value(jget(doc, "summary.by_severity.high")), 2, "json: high");
    is_int(json_integer_value(jget(doc, "summary.by_severity.info")), 1, "json: info");
    is_int(json_integer_value(jget(doc, "summary.by_severity.low")), 0, "json: low present as 0");
    is_int(json_integer_value(jget(doc, "summary.inputs")), 12, "json: inputs");
    is_int(json_integer_value(jget(doc, "summary.bytes")), 1200, "json: bytes");
    is_int(json_integer_value(jget(doc, "summary.errors")), 2, "json: errors");
    is_int(json_array_size(jget(doc, "findings")), 4, "json: four findings");

    is_str(json_string_value(jget(doc, "findings.0.rule_id")), "pickle-os-system", "json: rule_id");
    is_str(json_string_value(jget(doc, "findings.0.severity")), "critical", "json: severity");
    loc = jget(doc, "findings.0.location");
    is_str(json_string_value(jget(loc, "path")), "model.pkl", "json: path");
    is_int(json_integer_value(jget(loc, "offset")), 1234, "json: offset");
    ok(jget(loc, "line") == NULL && jget(loc, "column") == NULL && jget(loc, "member") == NULL &&
           jget(loc, "cell") == NULL && jget(loc, "end_line") == NULL,
       "json: unknown location fields are omitted");
    ok(jget(doc, "findings.0.evidence") == NULL, "json: no evidence, no field");
    is_int(strlen(json_string_value(jget(doc, "findings.0.fingerprint"))), 64, "json: fingerprint is 64 hex");

    loc = jget(doc, "findings.1.location");
    is_int(json_integer_value(jget(loc, "line")), 12, "json: line");
    is_int(json_integer_value(jget(loc, "column")), 5, "json: column");
    is_str(json_string_value(jget(loc, "member")), "inner.zip!data.env", "json: member");
    ok(jget(loc, "offset") == NULL, "json: no offset, no field");
    is_str(json_string_value(jget(doc, "findings.1.evidence")), "wJal********", "json: evidence");
    is_int(json_integer_value(jget(doc, "findings.2.location.cell")), 2, "json: cell");
    is_str(json_string_value(jget(doc, "findings.3.location.path")), "bad\xef\xbf\xbd name\x01.pkl",
           "json: ill-formed path reads back with U+FFFD");

    is_str(json_string_value(jget(doc, "errors.0.path")), "broken.zip", "json: error path");
    is_str(json_string_value(jget(doc, "errors.0.code")), "BW_EFORMAT", "json: error code");
    is_str(json_string_value(jget(doc, "errors.0.message")), "truncated central directory", "json: error message");
    is_int(json_integer_value(jget(doc, "errors.0.offset")), 77, "json: error offset");
    ok(jget(doc, "errors.1.offset") == NULL, "json: error without offset omits it");
    json_decref(doc);
    bw_free(s);

    {
        bw_buf b = BW_BUF_INIT(1024);
        bw_write_opts bad = BW_WRITE_OPTS_INIT;
        bad.version = 99;
        is_int(bw_report_write(r, BW_FORMAT_JSON, &bad, &b), BW_EINVAL, "unknown opts version");
        is_int(bw_report_write(r, (bw_format)9, NULL, &b), BW_EINVAL, "unknown format");
        bw_buf_release(&b);
        bw_buf_init(&b, 100);
        ok(bw_report_write(r, BW_FORMAT_JSON, NULL, &b) == BW_ELIMIT,
           "a full buffer is an error, not a truncated report");
        bw_buf_release(&b);
    }
    bw_report_free(r);
}

#define THREADS 4
#define PER_THREAD 10000

struct worker {
    bw_report *r;
    int id;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char path[32], msg[32];

    for (int i = 0; i < PER_THREAD; i++) {
        bw_finding f;
        snprintf(path, sizeof(path), "t%d/f%d.pkl", w->id, i);
        snprintf(msg, sizeof(msg), "finding %d", i);
        f = finding("concurrent", (bw_severity)(i % 5), path, (uint32_t)i + 1, msg);
        if (bw_report_add(w->r, &f) != BW_OK) {
            w->failures++;
        }
        bw_report_count_input(w->r, 10);
        if (i % 1000 == 0) {
            bw_error e;
            bw_error_clear(&e);
            e.code = BW_EIO;
            if (bw_report_add_error(w->r, path, &e) != BW_OK) {
                w->failures++;
            }
        }
    }
    return NULL;
}

static void test_threads(void)
{
    bw_report *r = NULL;
    struct worker w[THREADS];
    pthread_t th[THREADS];
    int failures = 0, started = 0;
    char *s;

    if (bw_report_new(&r, "threads", NULL) != BW_OK) {
        ok(0, "report_new");
        return;
    }
    for (int i = 0; i < THREADS; i++) {
        w[i].r = r;
        w[i].id = i;
        w[i].failures = 0;
        if (pthread_create(&th[i], NULL, worker_main, &w[i]) == 0) {
            started++;
        }
    }
    is_int(started, THREADS, "threads: started");
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        failures += w[i].failures;
    }
    is_int(failures, 0, "threads: every add succeeded");
    is_int(bw_report_count(r), THREADS * PER_THREAD, "threads: 40000 findings counted");
    is_int(bw_report_error_count(r), THREADS * PER_THREAD / 1000, "threads: 40 errors counted");
    is_int(bw_report_count_at_least(r, BW_SEV_CRITICAL), THREADS * PER_THREAD / 5, "threads: severities intact");
    s = render(r, BW_FORMAT_TEXT, NULL);
    like(s,
         "40000 findings (8000 critical, 8000 high, 8000 medium, 8000 low, 8000 info) in 40000 "
         "files, 40 errors\n",
         "threads: inputs counted");
    bw_free(s);
    bw_report_sort(r);
    {
        int sorted = 1;
        for (size_t i = 1; i < bw_report_count(r); i++) {
            if (strcmp(bw_report_get(r, i - 1)->loc.path, bw_report_get(r, i)->loc.path) > 0) {
                sorted = 0;
            }
        }
        ok(sorted, "threads: sort orders 40000 findings by path");
    }
    bw_report_free(r);
}

/* Fail each allocation in turn: every call returns cleanly, never a half state. */
static void test_oom(void)
{
    int bad = 0, succeeded = 0;

    for (long n = 0; n < 400 && !succeeded; n++) {
        bw_report *r = NULL;
        bw_finding f = finding("r", BW_SEV_HIGH, "p", 1, "m");
        bw_rule rule = {"r", "R", "short", "help", "https://example.com/r", BW_SEV_HIGH};
        bw_error e;
        bw_status rc;
        int all = 1;

        bw_error_clear(&e);
        bw_alloc_fail_after(n);
        rc = bw_report_new(&r, "oom", &e);
        if (rc != BW_OK) {
            bad += rc != BW_ENOMEM || r != NULL;
            bw_alloc_fail_after(-1);
            continue;
        }
        f.loc.member = "m";
        rc = bw_report_add_rule(r, &rule);
        all &= rc == BW_OK;
        bad += rc != BW_OK && rc != BW_ENOMEM;
        rc = bw_report_add(r, &f);
        all &= rc == BW_OK;
        bad += rc != BW_OK && rc != BW_ENOMEM;
        rc = bw_report_add_error(r, "p", NULL);
        all &= rc == BW_OK;
        bad += rc != BW_OK && rc != BW_ENOMEM;
        for (int fmt = 0; fmt < 3; fmt++) {
            bw_buf b = BW_BUF_INIT(1 << 20);
            bw_write_opts opts = BW_WRITE_OPTS_INIT;
            opts.base_dir = "/tmp";
            rc = bw_report_write(r, (bw_format)fmt, &opts, &b);
            all &= rc == BW_OK;
            bad += rc != BW_OK && rc != BW_ENOMEM;
            bw_buf_release(&b);
        }
        bw_alloc_fail_after(-1);
        bw_report_free(r);
        succeeded = all;
    }
    bw_alloc_fail_after(-1);
    is_int(bad, 0, "out of memory at every allocation gives BW_ENOMEM, nothing else");
    ok(succeeded, "and with enough allocations everything succeeds");
}

static void test_artifacts(void)
{
    bw_report *r = NULL;
    char *js, *sarif;
    json_t *doc;

    ok(bw_report_new(&r, "test", NULL) == BW_OK, "report for artifacts");
    ok(bw_report_add_artifact(r, "models/a.pt", "verdict", "unsafe") == BW_OK, "add an artifact");
    ok(bw_report_add_artifact(r, "models/b.pt", "verdict", "safe") == BW_OK, "add another");
    ok(bw_report_add_artifact(r, NULL, "verdict", "safe") == BW_EINVAL, "a path is required");
    js = render(r, BW_FORMAT_JSON, NULL);
    doc = js != NULL ? json_loads(js, 0, NULL) : NULL;
    is_str(jstr(doc, "artifacts.0.path"), "models/a.pt", "JSON: artifacts in the order added");
    is_str(jstr(doc, "artifacts.0.verdict"), "unsafe", "JSON: the property is a key of the artifact");
    is_str(jstr(doc, "artifacts.1.verdict"), "safe", "JSON: second artifact");
    json_decref(doc);
    sarif = render(r, BW_FORMAT_SARIF, NULL);
    doc = sarif != NULL ? json_loads(sarif, 0, NULL) : NULL;
    is_str(jstr(doc, "runs.0.artifacts.0.location.uri"), "models/a.pt", "SARIF: run.artifacts[].location");
    is_str(jstr(doc, "runs.0.artifacts.0.properties.verdict"), "unsafe", "SARIF: the property in its bag");
    json_decref(doc);
    bw_free(js);
    bw_free(sarif);
    bw_report_free(r);
}

int main(void)
{
    test_artifacts();
    test_names();
    test_fingerprint();
    test_redact();
    test_model();
    test_sort();
    test_text();
    test_json_writer();
    test_threads();
    test_oom();
    return done_testing();
}
