/*
 * test_vreport.c - the validation reports (lib/data/vreport.c), rendered
 * from hand-built runs: the text report byte for byte (plain, verbose,
 * coloured), JSON read back with jansson field by field, JUnit XML parsed by
 * Python's xml.etree (skipped without /usr/bin/python3), SARIF read back and
 * checked against the OASIS schema as test_sarif does (skipped without the
 * schema or python3-jsonschema), and HTML escaping of hostile values.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulwark/bw_validate.h"
#include "tap.h"
#include "testjson.h"

extern char **environ;

#define PYTHON "/usr/bin/python3"
/* the run's fields are not const: the library frees them in bw_vrun_free */
#define S(x) ((char *)(x))
#define BW_ARRAY_LEN_(a) (sizeof(a) / sizeof((a)[0]))

static bw_unexpected s_age[] = {
    {16, S("130"), 3, 0, 0},
    {203, S("-1"), 2, 0, 0},
    {999, S("<script>alert(1)</script>"), 25, 0, 0},
};
static bw_unexpected s_email[] = {
    {4, S("\x1b[31mred\x01"), 9, 0, 0},
    {7, NULL, 12, 0, 0},
    {8, S("aaaaaaaaaa"), 5000, 1, 0},
};

static bw_expect_result results[] = {
    {.type = S("expect_column_values_to_not_be_null"),
     .kwargs_json = S("{\"column\":\"patient_id\"}"),
     .column = S("patient_id"),
     .label = S("patient_id values not null"),
     .success = 1,
     .element_count = 1000,
     .per_value = 1,
     .line = 12},
    {.type = S("expect_column_values_to_be_between"),
     .kwargs_json = S("{\"column\":\"age\",\"min_value\":0,\"max_value\":120}"),
     .column = S("age"),
     .label = S("age values between 0 and 120"),
     .success = 0,
     .element_count = 1000,
     .unexpected_count = 3,
     .unexpected_percent = 0.3,
     .unexpected_percent_nonmissing = 0.3,
     .per_value = 1,
     .nsamples = 3,
     .samples = s_age,
     .line = 13},
    {.type = S("expect_column_values_to_match_regex"),
     .kwargs_json = S("{\"column\":\"email\",\"regex\":\"^[^@]+@[^@]+$\"}"),
     .column = S("email"),
     .label = S("email values match ^[^@]+@[^@]+$"),
     .success = 0,
     .severity = 1,
     .element_count = 1000,
     .missing_count = 2,
     .missing_percent = 0.2,
     .unexpected_count = 5,
     .unexpected_percent = 0.5,
     .unexpected_percent_nonmissing = 0.501002004008016,
     .per_value = 1,
     .nsamples = 3,
     .samples = s_email,
     .line = 14},
    {.type = S("expect_column_to_exist"),
     .kwargs_json = S("{\"column\":\"zip\"}"),
     .column = S("zip"),
     .label = S("column zip exists"),
     .success = 0,
     .error = S("no column 'zip' in the data"),
     .line = 0},
    {.type = S("expect_table_row_count_to_be_between"),
     .kwargs_json = S("{\"min_value\":1,\"max_value\":null}"),
     .label = S("row count between 1 and any"),
     .success = 1,
     .observed_json = S("1000"),
     .line = 16},
};

static bw_vrun make_run(void)
{
    bw_vrun r = {
        .suite_name = S("readmissions"),
        .data_name = S("data/patients.csv"),
        .nresults = BW_ARRAY_LEN_(results),
        .results = results,
        .rows = 1000,
        .bad_rows = 1,
        .evaluated = 5,
        .successful = 2,
        .failed = 2,
        .warnings = 1,
        .success = 0,
        .seconds = 0.25,
    };
    return r;
}

static char *render(const bw_vrun *r, bw_vreport_format f, const bw_vreport_opts *o)
{
    bw_buf b = BW_BUF_INIT(1 << 24);
    char *s = NULL;

    if (bw_vreport_write(r, f, o, &b) != BW_OK || bw_buf_take(&b, &s, NULL) != BW_OK) {
        bw_buf_release(&b);
        return NULL;
    }
    return s;
}

static void test_format_parse(void)
{
    bw_vreport_format f = BW_VREPORT_TEXT;
    static const char *names[] = {"text", "json", "junit", "sarif", "html"};
    for (int i = 0; i < 5; i++) {
        ok(bw_vreport_format_parse(names[i], &f) == BW_OK && (int)f == i, "format '%s'", names[i]);
    }
    is_int(bw_vreport_format_parse("xml", &f), BW_EINVAL, "unknown format");
    is_int(bw_vreport_format_parse("JSON", &f), BW_EINVAL, "names are lower case");
}

static void test_text(void)
{
    bw_vrun r = make_run();
    bw_vreport_opts o = {0};
    char *t = render(&r, BW_VREPORT_TEXT, &o);

    is_str(t,
           "FAIL  age values between 0 and 120  (unexpected 3 of 1000 = 0.3%)\n"
           "        row 17: \"130\"\n"
           "        row 204: \"-1\"\n"
           "        row 1000: \"<script>alert(1)</script>\"\n"
           "WARN  email values match ^[^@]+@[^@]+$  (unexpected 5 of 998 = 0.501%, 2 missing)\n"
           "        row 5: \"\\x1B[31mred\\x01\"\n"
           "        row 8: <redacted, 12 bytes>\n"
           "        row 9: \"aaaaaaaaaa\"... (5000 bytes)\n"
           "        ... 2 more\n"
           "FAIL  column zip exists  (error: no column 'zip' in the data)\n"
           "\n"
           "FAILED: suite 'readmissions' on 'data/patients.csv': 5 expectations, 2 passed, 2 failed, 1 warnings; "
           "1000 rows, 1 malformed rows skipped\n",
           "text report: failures and warnings with samples, control characters escaped");
    bw_free(t);

    o.verbose = 1;
    t = render(&r, BW_VREPORT_TEXT, &o);
    ok(t != NULL && strstr(t, "PASS  patient_id values not null  (unexpected 0 of 1000 = 0%)\n") != NULL,
       "verbose: passing per-value expectation listed");
    ok(t != NULL && strstr(t, "PASS  row count between 1 and any  (observed 1000)\n") != NULL,
       "verbose: observed value of a table expectation");
    bw_free(t);

    o.verbose = 0;
    o.color = 1;
    t = render(&r, BW_VREPORT_TEXT, &o);
    ok(t != NULL && strncmp(t, "\033[31mFAIL\033[0m  age", 18) == 0, "colour: FAIL in red");
    ok(t != NULL && strstr(t, "\033[33mWARN\033[0m  email") != NULL, "colour: WARN in yellow");
    ok(t != NULL && strstr(t, "\033[31mFAILED\033[0m: suite") != NULL, "colour: summary");
    bw_free(t);

    /* everything passes: only the summary */
    bw_vrun ok_run = make_run();
    ok_run.nresults = 1;
    ok_run.bad_rows = 0;
    t = render(&ok_run, BW_VREPORT_TEXT, NULL);
    is_str(t,
           "passed: suite 'readmissions' on 'data/patients.csv': 1 expectations, 1 passed, 0 failed, 0 warnings; "
           "1000 rows\n",
           "all passed: the summary line");
    bw_free(t);

    /* a warning alone does not fail the run */
    bw_vrun warn_run = make_run();
    warn_run.results = results + 2;
    warn_run.nresults = 1;
    t = render(&warn_run, BW_VREPORT_TEXT, NULL);
    ok(t != NULL && strstr(t, "\npassed: suite") != NULL, "a failed warning-severity expectation passes the run");
    bw_free(t);
}

static void test_json(void)
{
    bw_vrun r = make_run();
    bw_vreport_opts o = {.tool_version = "9.9.9"};
    char *t = render(&r, BW_VREPORT_JSON, &o);
    json_error_t je;
    json_t *d = t != NULL ? json_loads(t, 0, &je) : NULL;

    ok(d != NULL, "JSON report parses");
    if (d == NULL) {
        bw_free(t);
        return;
    }
    ok(json_is_false(jget(d, "success")), "success false");
    is_str(jstr(d, "suite_name"), "readmissions", "suite_name");
    is_int(json_integer_value(jget(d, "statistics.evaluated_expectations")), 5, "evaluated");
    is_int(json_integer_value(jget(d, "statistics.successful_expectations")), 2, "successful");
    is_int(json_integer_value(jget(d, "statistics.unsuccessful_expectations")), 3, "unsuccessful (warnings count)");
    ok(json_number_value(jget(d, "statistics.success_percent")) == 40.0, "success_percent 40");
    is_int(json_array_size(jget(d, "results")), 5, "five results");
    is_str(jstr(d, "results.1.expectation_config.type"), "expect_column_values_to_be_between", "config type");
    is_int(json_integer_value(jget(d, "results.1.expectation_config.kwargs.max_value")), 120, "kwargs embedded");
    is_str(jstr(d, "results.1.expectation_config.meta.severity"), "error", "meta.severity");
    is_str(jstr(d, "results.2.expectation_config.meta.severity"), "warning", "meta.severity warning");
    is_int(json_integer_value(jget(d, "results.1.result.element_count")), 1000, "element_count");
    is_int(json_integer_value(jget(d, "results.1.result.unexpected_count")), 3, "unexpected_count");
    ok(json_real_value(jget(d, "results.1.result.unexpected_percent")) == 0.3, "unexpected_percent");
    ok(json_real_value(jget(d, "results.2.result.unexpected_percent_nonmissing")) == 0.501002004008016,
       "unexpected_percent_nonmissing round-trips");
    is_int(json_integer_value(jget(d, "results.2.result.missing_count")), 2, "missing_count");
    ok(json_real_value(jget(d, "results.2.result.missing_percent")) == 0.2, "missing_percent");
    is_str(jstr(d, "results.1.result.partial_unexpected_list.2"), "<script>alert(1)</script>", "sample value");
    is_int(json_integer_value(jget(d, "results.1.result.partial_unexpected_index_list.1")), 203,
           "sample row (0-based, as GE)");
    is_str(jstr(d, "results.2.result.partial_unexpected_list.0"), "\x1b[31mred\x01", "control characters survive");
    ok(json_is_null(jget(d, "results.2.result.partial_unexpected_list.1")), "redacted value is null");
    ok(json_is_null(jget(d, "results.1.result.observed_value")), "no observed value: null");
    is_int(json_integer_value(jget(d, "results.4.result.observed_value")), 1000, "observed value embedded");
    ok(jget(d, "results.4.result.element_count") == NULL, "table expectation: no per-value counts");
    ok(json_is_true(jget(d, "results.3.exception_info.raised_exception")), "error: raised_exception");
    is_str(jstr(d, "results.3.exception_info.exception_message"), "no column 'zip' in the data", "error message");
    ok(json_is_false(jget(d, "results.0.exception_info.raised_exception")), "no error: false");
    is_int(json_integer_value(jget(d, "results.1.bulwark.suite_line")), 13, "suite line");
    is_str(jstr(d, "meta.data"), "data/patients.csv", "meta.data");
    is_int(json_integer_value(jget(d, "meta.rows")), 1000, "meta.rows");
    is_int(json_integer_value(jget(d, "meta.bad_rows")), 1, "meta.bad_rows");
    is_str(jstr(d, "meta.bulwark_version"), "9.9.9", "meta.bulwark_version");
    json_decref(d);
    bw_free(t);

    bw_vrun empty = {.suite_name = S("e"), .data_name = S("d")};
    t = render(&empty, BW_VREPORT_JSON, NULL);
    d = t != NULL ? json_loads(t, 0, NULL) : NULL;
    ok(d != NULL && json_is_true(jget(d, "success")) && json_is_null(jget(d, "statistics.success_percent")),
       "empty run: success, success_percent null");
    json_decref(d);
    bw_free(t);
}

/* Run `argv` with stdout to `out_path`; its exit status or -1. */
static int run(char *const argv[], const char *out_path)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;

    fflush(stdout);
    if (posix_spawn_file_actions_init(&fa) != 0) {
        return -1;
    }
    if (posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) != 0 ||
        posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = calloc(1, 1 << 16);
    if (f == NULL || s == NULL) {
        if (f != NULL) {
            fclose(f);
        }
        free(s);
        return NULL;
    }
    size_t n = fread(s, 1, (1 << 16) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static char tmp_dir[] = "/tmp/bw-test-vreport-XXXXXX";

static bool write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return false;
    }
    fputs(s, f);
    return fclose(f) == 0;
}

static const char junit_py[] =
    "import sys, xml.etree.ElementTree as E\n"
    "root = E.parse(sys.argv[1]).getroot()\n"
    "suites = root.findall('testsuite')\n"
    "s = suites[0]\n"
    "cases = s.findall('testcase')\n"
    "fails = [c for c in cases if c.find('failure') is not None]\n"
    "print(root.tag, len(suites), s.get('name'), s.get('tests'), s.get('failures'), root.get('failures'))\n"
    "print(len(cases), len(fails), len(s.findall('.//skipped')))\n"
    "print(','.join(c.get('classname') for c in cases))\n"
    "print('|'.join(c.get('name') for c in cases))\n"
    "f = fails[0].find('failure')\n"
    "print(repr(f.get('message')))\n"
    "print(repr(f.text))\n"
    "if len(cases) > 2: print(repr(cases[2].find('system-out').text))\n";

static void test_junit(void)
{
    bw_vrun r = make_run();
    char *t = render(&r, BW_VREPORT_JUNIT, NULL);
    char xml[256], py[256], out[256];

    ok(t != NULL, "JUnit rendered");
    if (t == NULL) {
        return;
    }
    ok(strncmp(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 50) == 0, "XML declaration");
    ok(strstr(t, "<failure message=\"unexpected 3 of 1000 = 0.3%\" type=\"expect_column_values_to_be_between\">") !=
           NULL,
       "failure element");
    ok(strstr(t, "&lt;script&gt;") != NULL && strstr(t, "<script") == NULL, "markup escaped");
    ok(strchr(t, '\x1b') == NULL && strchr(t, '\x01') == NULL, "no control characters in the XML");
    ok(strstr(t, "<skipped") == NULL, "never skipped");
    if (access(PYTHON, X_OK) != 0) {
        skip(1, PYTHON " not found; JUnit parse check skipped");
        bw_free(t);
        return;
    }
    snprintf(xml, sizeof(xml), "%s/junit.xml", tmp_dir);
    snprintf(py, sizeof(py), "%s/junit.py", tmp_dir);
    snprintf(out, sizeof(out), "%s/junit.out", tmp_dir);
    ok(write_file(xml, t) && write_file(py, junit_py), "files written");
    char *argv[] = {S(PYTHON), py, xml, NULL};
    is_int(run(argv, out), 0, "xml.etree parses the report");
    char *got = slurp(out);
    is_str(
        got,
        "testsuites 1 readmissions 5 2 2\n"
        "5 2 0\n"
        "patient_id,age,email,zip,table\n"
        "patient_id values not null|age values between 0 and 120|email values match ^[^@]+@[^@]+$|"
        "column zip exists|row count between 1 and any\n"
        "'unexpected 3 of 1000 = 0.3%'\n"
        "'expect_column_values_to_be_between {\"column\":\"age\",\"min_value\":0,\"max_value\":120}\\n"
        "unexpected 3 of 1000 = 0.3%\\nrow 17: \"130\"\\nrow 204: \"-1\"\\n"
        "row 1000: \"<script>alert(1)</script>\"\\n'\n"
        "'warning (severity warning, not a failure): expect_column_values_to_match_regex "
        "{\"column\":\"email\",\"regex\":\"^[^@]+@[^@]+$\"}\\nunexpected 5 of 998 = 0.501%, 2 missing\\n"
        "row 5: \"\\\\x1B[31mred\\\\x01\"\\nrow 8: <redacted, 12 bytes>\\nrow 9: \"aaaaaaaaaa\"... (5000 bytes)\\n'\n",
        "parsed structure: one suite, counts, classnames, names, failure text");
    free(got);
    bw_free(t);

    /* characters XML 1.0 forbids, in names the data chose, are dropped; the document still parses */
    bw_expect_result hostile = results[1];
    hostile.column = S("a\x01"
                       "b\xef\xbf\xbe"
                       "c\"&'<>");
    hostile.label = S("lab\x0b"
                      "el\xff");
    bw_vrun h = make_run();
    h.suite_name = S("s\x1fuite");
    h.results = &hostile;
    h.nresults = 1;
    t = render(&h, BW_VREPORT_JUNIT, NULL);
    ok(t != NULL && strstr(t, "classname=\"abc&quot;&amp;&#39;&lt;&gt;\"") != NULL, "forbidden characters stripped");
    ok(t != NULL && strstr(t, "name=\"label\xef\xbf\xbd\"") != NULL, "invalid UTF-8 becomes U+FFFD");
    ok(t != NULL && write_file(xml, t), "hostile JUnit written");
    is_int(run(argv, out), 0, "hostile names still parse");
    bw_free(t);
    unlink(xml);
    unlink(py);
    unlink(out);
}

static char schema_path[4096], validator_path[4096];

static void test_sarif(void)
{
    bw_vrun r = make_run();
    bw_vreport_opts o = {.suite_path = "suites/readmissions suite.yaml", .tool_version = "1.2.3"};
    char *t = render(&r, BW_VREPORT_SARIF, &o);
    json_t *d = t != NULL ? json_loads(t, 0, NULL) : NULL;

    ok(d != NULL, "SARIF parses");
    if (d == NULL) {
        bw_free(t);
        return;
    }
    is_str(jstr(d, "version"), "2.1.0", "version");
    is_str(jstr(d, "runs.0.tool.driver.name"), "bulwark", "driver");
    is_str(jstr(d, "runs.0.tool.driver.version"), "1.2.3", "driver version");
    is_int(json_array_size(jget(d, "runs.0.tool.driver.rules")), 5, "one rule per expectation type");
    is_str(jstr(d, "runs.0.tool.driver.rules.1.id"), "expect_column_values_to_be_between", "rule id");
    is_int(json_array_size(jget(d, "runs.0.results")), 3, "one result per failed expectation (warnings too)");
    is_str(jstr(d, "runs.0.results.0.ruleId"), "expect_column_values_to_be_between", "result rule");
    is_int(json_integer_value(jget(d, "runs.0.results.0.ruleIndex")), 1, "ruleIndex");
    is_str(jstr(d, "runs.0.results.0.level"), "error", "level error");
    is_str(jstr(d, "runs.0.results.1.level"), "warning", "level warning");
    is_str(jstr(d, "runs.0.results.2.level"), "error", "an evaluation error is an error");
    is_str(jstr(d, "runs.0.results.0.message.text"),
           "age values between 0 and 120: unexpected 3 of 1000 = 0.3%; e.g. row 17: \"130\", row 204: \"-1\", "
           "row 1000: \"<script>alert(1)</script>\"",
           "message with samples");
    is_str(jstr(d, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri"), "data/patients.csv",
           "location: the data file");
    is_str(jstr(d, "runs.0.results.0.relatedLocations.0.physicalLocation.artifactLocation.uri"),
           "suites/readmissions%20suite.yaml", "related location: the suite, URI-encoded");
    is_int(json_integer_value(jget(d, "runs.0.results.0.relatedLocations.0.physicalLocation.region.startLine")), 13,
           "related location: the suite line");
    ok(jget(d, "runs.0.results.2.relatedLocations") == NULL, "no suite line: no related location");
    is_int(json_integer_value(jget(d, "runs.0.results.0.properties.unexpected_rows.2")), 999, "rows in properties");
    json_decref(d);

    const char *shared = getenv("BW_SHARED_DIR"), *root = getenv("BW_SOURCE_ROOT");
    struct stat st;
    if (shared == NULL || root == NULL) {
        skip(1, "BW_SHARED_DIR or BW_SOURCE_ROOT not set; SARIF schema check skipped");
        bw_free(t);
        return;
    }
    snprintf(schema_path, sizeof(schema_path), "%s/schemas/sarif-schema-2.1.0.json", shared);
    snprintf(validator_path, sizeof(validator_path), "%s/tests/tools/validate_json_schema.py", root);
    if (stat(schema_path, &st) != 0 || access(PYTHON, X_OK) != 0) {
        skip(1, "SARIF schema or " PYTHON " missing; schema check skipped");
        bw_free(t);
        return;
    }
    char doc[256], out[256];
    snprintf(doc, sizeof(doc), "%s/v.sarif", tmp_dir);
    snprintf(out, sizeof(out), "%s/v.out", tmp_dir);
    char *argv[] = {S(PYTHON), validator_path, schema_path, doc, NULL};
    ok(write_file(doc, "{\"version\": \"2.0.0\", \"runs\": []}"), "broken log written");
    int rc = run(argv, out);
    if (rc == 3) {
        skip(1, "python3-jsonschema not installed; schema check skipped");
    } else {
        is_int(rc, 1, "the validator rejects a broken log");
        ok(write_file(doc, t), "log written");
        is_int(run(argv, out), 0, "valid against the SARIF 2.1.0 schema");
        bw_vrun empty = {.suite_name = S("e"), .data_name = S("/abs/path with space/d.csv")};
        char *e = render(&empty, BW_VREPORT_SARIF, NULL);
        ok(e != NULL && write_file(doc, e), "empty log written");
        is_int(run(argv, out), 0, "an empty run is valid too");
        bw_free(e);
        /* an absolute data path becomes a file:// URI */
        bw_vrun a = make_run();
        a.data_name = S("/abs/path with space/d.csv");
        e = render(&a, BW_VREPORT_SARIF, &o);
        ok(e != NULL && strstr(e, "\"file:///abs/path%20with%20space/d.csv\"") != NULL, "absolute path as file URI");
        ok(e != NULL && write_file(doc, e), "absolute log written");
        is_int(run(argv, out), 0, "absolute path log valid");
        bw_free(e);
    }
    unlink(doc);
    unlink(out);
    bw_free(t);
}

static void test_html(void)
{
    bw_vrun r = make_run();
    bw_expect_result hostile[BW_ARRAY_LEN_(results)];
    memcpy(hostile, results, sizeof(results));
    hostile[1].column = S("<img src=x onerror=alert(1)>");
    hostile[1].label = S("\"><script src=https://evil.example/x.js></script>");
    r.results = hostile;
    r.suite_name = S("</title><script>alert(2)</script>");
    char *t = render(&r, BW_VREPORT_HTML, NULL);

    ok(t != NULL, "HTML rendered");
    if (t == NULL) {
        return;
    }
    ok(strncmp(t, "<!DOCTYPE html>\n", 16) == 0, "doctype");
    ok(strstr(t, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline';") != NULL,
       "CSP forbids scripts and everything else from elsewhere");
    ok(strstr(t, "<script") == NULL, "no script element anywhere");
    ok(strstr(t, "<img") == NULL, "no injected element");
    ok(strstr(t, "href=") == NULL && strstr(t, "<link") == NULL && strstr(t, "<iframe") == NULL &&
           strstr(t, "url(") == NULL && strstr(t, "@import") == NULL,
       "no external resources");
    ok(strstr(t, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "hostile sample escaped");
    ok(strstr(t, "&lt;/title&gt;&lt;script&gt;alert(2)") != NULL, "hostile suite name escaped");
    ok(strstr(t, "&quot;&gt;&lt;script src=https://evil.example") != NULL, "hostile label escaped");
    ok(strstr(t, "\\x1B[31mred\\x01") != NULL && strchr(t, '\x1b') == NULL, "control characters shown, not sent");
    ok(strstr(t, "<tr class=\"FAIL\"><td><span class=\"badge FAIL\">FAIL</span>") != NULL, "status badge");
    ok(strstr(t, "<tr class=\"WARN\">") != NULL && strstr(t, "<tr class=\"PASS\">") != NULL, "warn and pass rows");
    ok(strstr(t, "<li>... 2 more</li>") != NULL, "more unexpected than sampled");
    ok(strstr(t, "<span class=\"badge FAIL\">FAILED</span> 5 expectations: 2 passed, 2 failed, 1 warnings; 1000 rows, "
                 "1 malformed rows skipped") != NULL,
       "summary");
    size_t n = strlen(t);
    ok(n > 6 && strcmp(t + n - 8, "</html>\n") == 0, "complete document");
    bw_free(t);
}

static void test_errors(void)
{
    bw_vrun r = make_run();
    bw_buf small = BW_BUF_INIT(64);
    is_int(bw_vreport_write(&r, BW_VREPORT_HTML, NULL, &small), BW_ELIMIT, "output over the buffer's limit");
    bw_buf_release(&small);
    bw_buf b = BW_BUF_INIT(1 << 20);
    is_int(bw_vreport_write(&r, (bw_vreport_format)42, NULL, &b), BW_EINVAL, "unknown format");
    r.results = NULL;
    is_int(bw_vreport_write(&r, BW_VREPORT_TEXT, NULL, &b), BW_EINVAL, "results missing");
    bw_buf_release(&b);
    for (int f = 0; f < 5; f++) {
        bw_buf e = BW_BUF_INIT(1 << 20);
        bw_vrun none = {0};
        ok(bw_vreport_write(&none, (bw_vreport_format)f, NULL, &e) == BW_OK && e.len > 0,
           "format %d: a run with no names and no results renders", f);
        bw_buf_release(&e);
    }
}

int main(void)
{
    if (mkdtemp(tmp_dir) == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    test_format_parse();
    test_text();
    test_json();
    test_junit();
    test_sarif();
    test_html();
    test_errors();
    rmdir(tmp_dir);
    return done_testing();
}
