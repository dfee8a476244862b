/*
 * test_sarif.c - the SARIF writer, checked two ways:
 *
 * 1. Against the official OASIS SARIF 2.1.0 schema, by an independent
 *    validator: tests/tools/validate_json_schema.py, run with Debian's
 *    /usr/bin/python3 and python3-jsonschema (Draft 4, the schema's draft).
 *    A deliberately broken document must be rejected, so this part can fail.
 *    Skipped when $BW_SHARED_DIR/schemas/ or the validator is missing.
 * 2. Field by field with jansson: ruleIndex, levels, security-severity,
 *    URI encoding, SRCROOT, regions, members, notifications.
 */
#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "testjson.h"
#include "testreport.h"
#include "util/internal.h"

extern char **environ;

#define PYTHON "/usr/bin/python3"

static char schema_path[4096];
static char validator_path[4096];
static char tmp_dir[] = "/tmp/bw-test-sarif-XXXXXX";

static char *render(const bw_report *r, const char *base_dir)
{
    bw_buf b = BW_BUF_INIT(1 << 26);
    bw_write_opts opts = BW_WRITE_OPTS_INIT;
    char *s = NULL;

    opts.base_dir = base_dir;
    opts.tool_version = "1.2.3";
    if (bw_report_write(r, BW_FORMAT_SARIF, &opts, &b) != BW_OK || bw_buf_take(&b, &s, NULL) != BW_OK) {
        bw_buf_release(&b);
        return NULL;
    }
    return s;
}

/* Run the validator on `doc`; its exit status, or -1 if it could not run. */
static int validate(const char *doc, const char *name)
{
    char python[] = PYTHON;
    char file[4200];
    char *argv[] = {python, validator_path, schema_path, file, NULL};
    posix_spawn_file_actions_t fa;
    FILE *fp;
    pid_t pid;
    int status;

    snprintf(file, sizeof(file), "%s/%s.sarif", tmp_dir, name);
    fp = fopen(file, "w");
    if (fp == NULL) {
        return -1;
    }
    fputs(doc, fp);
    if (fclose(fp) != 0) {
        return -1;
    }
    fflush(stdout);
    /* the validator's report goes to stderr: stdout is the TAP stream */
    if (posix_spawn_file_actions_init(&fa) != 0) {
        return -1;
    }
    if (posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO) != 0 ||
        posix_spawn(&pid, PYTHON, &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    unlink(file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void schema_ok(const bw_report *r, const char *base_dir, const char *name)
{
    char *s = render(r, base_dir);

    ok(s != NULL, "%s: rendered", name);
    if (s != NULL) {
        is_int(validate(s, name), 0, "%s: valid against the SARIF 2.1.0 schema", name);
    }
    bw_free(s);
}

static bw_report *new_report(void)
{
    bw_report *r = NULL;

    if (bw_report_new(&r, "bulwark scan", NULL) != BW_OK) {
        return NULL;
    }
    return r;
}

/* Findings of every severity, a registered rule with a help URI, one without. */
static bw_report *full_report(void)
{
    static const char *rules[] = {"r-info", "r-low", "r-medium", "r-high", "r-critical"};
    bw_rule rule = {"r-high",   "RHigh", "High things", "Why and what to do", "https://example.com/rules/r-high",
                    BW_SEV_HIGH};
    bw_rule bare = {"r-low", NULL, NULL, NULL, NULL, BW_SEV_LOW};
    bw_report *r = new_report();
    int fail = r == NULL;

    fail = fail || bw_report_add_rule(r, &rule) != BW_OK;
    fail = fail || bw_report_add_rule(r, &bare) != BW_OK;
    for (int s = 0; s < 5 && !fail; s++) {
        bw_finding f = finding(rules[s], (bw_severity)s, "src/model.pkl", (uint32_t)s + 1, "something found");
        f.loc.column = 3;
        f.loc.end_line = (uint32_t)s + 2;
        f.loc.end_column = 9;
        f.evidence = "AKIA********";
        fail = bw_report_add(r, &f) != BW_OK;
    }
    if (fail) {
        bw_report_free(r);
        return NULL;
    }
    return r;
}

static bw_report *awkward_report(void)
{
    static const char *paths[] = {
        "dir with space/file name.pkl",
        "100% sure.csv",
        "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.npy",
        "bad\xff\xfe\x62ytes.bin",
        "ctl\x01\x1b[31m\n.pkl",
        "q?x#y&z=1;[]@!.txt",
        "c:colon.txt",
        "./rel/./x/../y.pkl",
        "/abs/outside/z.pkl",
        "",
    };
    bw_report *r = new_report();
    bw_error e;
    int fail = r == NULL;

    for (size_t i = 0; i < BW_ARRAY_LEN(paths) && !fail; i++) {
        bw_finding f = finding("weird", BW_SEV_MEDIUM, paths[i], 0, "odd name\x01\xff");
        if (i % 3 == 0) {
            f.loc.member = "inner.zip!a b/\xff.pkl";
            f.loc.line = 7;
        } else if (i % 3 == 1) {
            f.loc.offset = 99;
        }
        fail = bw_report_add(r, &f) != BW_OK;
    }
    bw_error_clear(&e);
    e.code = BW_EFORMAT;
    e.offset = 5;
    snprintf(e.msg, sizeof(e.msg), "%s", "bad \xff header");
    fail = fail || bw_report_add_error(r, "broken dir/\xff.zip", &e) != BW_OK;
    fail = fail || bw_report_add_error(r, "/elsewhere/x.pkl", NULL) != BW_OK;
    if (fail) {
        bw_report_free(r);
        return NULL;
    }
    return r;
}

static void test_schema(void)
{
    const char *shared = getenv("BW_SHARED_DIR");
    const char *root = getenv("BW_SOURCE_ROOT");
    struct stat st;
    bw_report *r;
    int rc;

    if (shared == NULL || root == NULL) {
        skip(1, "BW_SHARED_DIR or BW_SOURCE_ROOT not set; run through meson test");
        return;
    }
    snprintf(schema_path, sizeof(schema_path), "%s/schemas/sarif-schema-2.1.0.json", shared);
    snprintf(validator_path, sizeof(validator_path), "%s/tests/tools/validate_json_schema.py", root);
    if (stat(schema_path, &st) != 0) {
        skip(1, "SARIF schema not found in $BW_SHARED_DIR/schemas; schema checks skipped");
        return;
    }
    if (access(PYTHON, X_OK) != 0) {
        skip(1, PYTHON " not found; schema checks skipped");
        return;
    }
    if (mkdtemp(tmp_dir) == NULL) {
        ok(0, "mkdtemp");
        return;
    }
    rc = validate("{\"version\": \"2.1.0\", \"runs\": []}", "minimal");
    if (rc == 3) {
        skip(1, "python3-jsonschema not installed; schema checks skipped");
        rmdir(tmp_dir);
        return;
    }
    is_int(rc, 0, "validator accepts a minimal valid SARIF log");

    /* the validator must be able to say no */
    is_int(validate("{\"version\": \"2.0.0\", \"runs\": [{\"results\": []}]}", "broken"), 1,
           "validator rejects a broken log (wrong version, no tool)");
    is_int(validate("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"x\"}},"
                    " \"results\": [{\"message\": {\"text\": \"m\"}, \"locations\": [{"
                    "\"physicalLocation\": {\"artifactLocation\": {\"uri\": \"a b\"},"
                    " \"region\": {\"startLine\": 0}}}]}]}]}",
                    "broken2"),
           1, "validator rejects startLine 0 and an unencoded space in a URI");

    r = new_report();
    if (r != NULL) {
        schema_ok(r, NULL, "empty");
        bw_report_free(r);
    }
    r = full_report();
    if (r != NULL) {
        schema_ok(r, NULL, "every-severity");
        schema_ok(r, "src", "every-severity-base");
        bw_report_free(r);
    }
    r = awkward_report();
    if (r != NULL) {
        schema_ok(r, NULL, "awkward-names");
        schema_ok(r, ".", "awkward-names-base-cwd");
        schema_ok(r, "/", "awkward-names-base-root");
        schema_ok(r, "dir with space", "awkward-names-base-space");
        bw_report_free(r);
    }
    rmdir(tmp_dir);
}

static json_t *load(const bw_report *r, const char *base)
{
    char *s = render(r, base);
    json_t *doc = s != NULL ? json_loads(s, 0, NULL) : NULL;

    bw_free(s);
    return doc;
}

static void test_fields(void)
{
    static const char *levels[] = {"note", "note", "warning", "error", "error"};
    static const char *scores[] = {"0.0", "3.0", "5.5", "8.0", "9.5"};
    bw_report *r = full_report();
    json_t *doc, *run, *rules, *results;
    size_t i;
    int good = 1;

    doc = r != NULL ? load(r, NULL) : NULL;
    ok(doc != NULL, "fields: SARIF parses");
    if (doc == NULL) {
        bw_report_free(r);
        return;
    }
    is_str(jstr(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json", "$schema");
    is_str(jstr(doc, "version"), "2.1.0", "version");
    is_int(json_array_size(jget(doc, "runs")), 1, "one run");
    run = jget(doc, "runs.0");
    is_str(jstr(run, "tool.driver.name"), "bulwark", "driver name");
    is_str(jstr(run, "tool.driver.version"), "1.2.3", "driver version");
    is_str(jstr(run, "tool.driver.semanticVersion"), "1.2.3", "driver semanticVersion");
    ok(jstr(run, "tool.driver.informationUri") != NULL, "driver informationUri");
    rules = jget(run, "tool.driver.rules");
    results = jget(run, "results");
    is_int(json_array_size(rules), 5, "2 registered rules + 3 made up for unregistered ids");
    is_str(jstr(rules, "0.id"), "r-high", "registered rules come first, in order");
    is_str(jstr(rules, "0.name"), "RHigh", "rule name");
    is_str(jstr(rules, "0.shortDescription.text"), "High things", "rule shortDescription");
    is_str(jstr(rules, "0.fullDescription.text"), "Why and what to do", "rule fullDescription");
    is_str(jstr(rules, "0.help.text"), "Why and what to do", "rule help");
    is_str(jstr(rules, "0.helpUri"), "https://example.com/rules/r-high", "rule helpUri");
    is_str(jstr(rules, "0.defaultConfiguration.level"), "error", "rule level");
    is_str(jstr(rules, "0.properties.security-severity"), "8.0", "rule security-severity");
    is_str(jstr(rules, "0.properties.tags.0"), "security", "rule tags");
    is_str(jstr(rules, "1.shortDescription.text"), "r-low", "bare rule gets its id as text");
    ok(jget(rules, "1.helpUri") == NULL, "no helpUri when none is set");
    is_str(jstr(rules, "2.id"), "r-critical", "made-up rules sorted by id");
    is_str(jstr(rules, "2.properties.security-severity"), "9.5", "made-up rule takes its finding's severity");
    is_int(json_array_size(results), 5, "five results");
    for (i = 0; i < json_array_size(results); i++) {
        json_t *res = json_array_get(results, i);
        size_t idx = (size_t)json_integer_value(jget(res, "ruleIndex"));
        const char *sev = jstr(res, "properties.severity");
        bw_severity s = BW_SEV_INFO;
        if (idx >= json_array_size(rules) || sev == NULL || bw_severity_parse(sev, &s) != BW_OK ||
            strcmp(jstr(json_array_get(rules, idx), "id"), jstr(res, "ruleId")) != 0 ||
            strcmp(jstr(res, "level"), levels[s]) != 0) {
            good = 0;
        }
        if (strcmp(jstr(res, "ruleId"), "r-high") != 0 && strcmp(jstr(res, "ruleId"), "r-low") != 0 &&
            strcmp(jstr(json_array_get(rules, idx), "properties.security-severity"), scores[s]) != 0) {
            good = 0;
        }
    }
    ok(good, "every ruleIndex names the result's rule; levels follow severity");
    is_str(jstr(results, "4.ruleId"), "r-critical", "result order is report order");
    is_int(json_integer_value(jget(results, "4.locations.0.physicalLocation.region.startLine")), 5, "region.startLine");
    is_int(json_integer_value(jget(results, "4.locations.0.physicalLocation.region.startColumn")), 3,
           "region.startColumn");
    is_int(json_integer_value(jget(results, "4.locations.0.physicalLocation.region.endLine")), 6, "region.endLine");
    is_int(json_integer_value(jget(results, "4.locations.0.physicalLocation.region.endColumn")), 9, "region.endColumn");
    is_str(jstr(results, "4.locations.0.physicalLocation.artifactLocation.uri"), "src/model.pkl",
           "relative uri without base");
    ok(jget(results, "4.locations.0.physicalLocation.artifactLocation.uriBaseId") == NULL,
       "no uriBaseId without base_dir");
    is_int(strlen(jstr(results, "4.partialFingerprints.bulwarkFingerprint/v1")), 64,
           "partialFingerprints bulwarkFingerprint/v1");
    is_str(jstr(results, "4.message.text"), "something found", "message.text");
    ok(jget(run, "invocations.0.executionSuccessful") == json_true(), "executionSuccessful true without errors");
    ok(jget(run, "originalUriBaseIds") == NULL, "no originalUriBaseIds without base_dir");
    json_decref(doc);

    doc = r != NULL ? load(r, "src") : NULL;
    run = jget(doc, "runs.0");
    is_str(jstr(run, "results.0.locations.0.physicalLocation.artifactLocation.uri"), "model.pkl",
           "base_dir: uri relative to it");
    is_str(jstr(run, "results.0.locations.0.physicalLocation.artifactLocation.uriBaseId"), "SRCROOT",
           "base_dir: uriBaseId SRCROOT");
    {
        const char *u = jstr(run, "originalUriBaseIds.SRCROOT.uri");
        ok(u != NULL && strncmp(u, "file:///", 8) == 0 && u[strlen(u) - 1] == '/' && strstr(u, "/src/") != NULL,
           "SRCROOT is an absolute file URI ending in /src/");
    }
    json_decref(doc);
    bw_report_free(r);
}

static const char *uri_of(json_t *run, size_t i)
{
    char path[96];
    snprintf(path, sizeof(path), "results.%zu.locations.0.physicalLocation.artifactLocation.uri", i);
    return jstr(run, path);
}

static void test_awkward(void)
{
    bw_report *r = awkward_report();
    json_t *doc = r != NULL ? load(r, NULL) : NULL, *run, *res;

    ok(doc != NULL, "awkward: SARIF parses");
    if (doc == NULL) {
        bw_report_free(r);
        return;
    }
    run = jget(doc, "runs.0");
    is_str(uri_of(run, 0), "dir%20with%20space/file%20name.pkl", "spaces are %%20");
    is_str(uri_of(run, 1), "100%25%20sure.csv", "percent is %%25");
    is_str(uri_of(run, 2), "caf%C3%A9/%E6%97%A5%E6%9C%AC.npy", "UTF-8 is percent-encoded");
    is_str(uri_of(run, 3), "bad%FF%FEbytes.bin", "invalid UTF-8 survives as %%FF%%FE");
    is_str(uri_of(run, 4), "ctl%01%1B%5B31m%0A.pkl", "control characters are encoded");
    is_str(uri_of(run, 5), "q%3Fx%23y%26z%3D1%3B%5B%5D%40%21.txt", "reserved characters encoded");
    is_str(uri_of(run, 6), "c%3Acolon.txt", "a colon cannot pose as a scheme");
    is_str(uri_of(run, 7), "rel/./x/../y.pkl", "leading ./ dropped without base_dir");
    is_str(uri_of(run, 8), "file:///abs/outside/z.pkl", "absolute path is a file URI");

    res = jget(run, "results.0");
    ok(jget(res, "locations.0.physicalLocation.region") == NULL, "member: no region (lines count inside the member)");
    is_str(jstr(res, "locations.0.logicalLocations.0.fullyQualifiedName"), "inner.zip!a b/\xef\xbf\xbd.pkl",
           "member: logical location");
    is_str(jstr(res, "properties.member"), "inner.zip!a b/\xef\xbf\xbd.pkl", "member: property");
    like(jstr(res, "message.text"), "(in member 'inner.zip!a b/\xef\xbf\xbd.pkl', line 7)",
         "member: named in the message");
    res = jget(run, "results.1");
    is_int(json_integer_value(jget(res, "locations.0.physicalLocation.region.byteOffset")), 99,
           "offset only: region.byteOffset");
    ok(jget(res, "locations.0.physicalLocation.region.startLine") == NULL, "offset only: no startLine");
    res = jget(run, "results.2");
    ok(jget(res, "locations.0.physicalLocation.region") == NULL, "nothing known: no region");

    ok(jget(run, "invocations.0.executionSuccessful") == json_false(), "executionSuccessful false with input errors");
    is_int(json_array_size(jget(run, "invocations.0.toolExecutionNotifications")), 2,
           "one notification per input error");
    is_str(jstr(run, "invocations.0.toolExecutionNotifications.0.level"), "error", "notification level error");
    is_str(jstr(run, "invocations.0.toolExecutionNotifications.0.message.text"), "bad \xef\xbf\xbd header",
           "notification message");
    is_str(jstr(run, "invocations.0.toolExecutionNotifications.0.locations.0.physicalLocation."
                     "artifactLocation.uri"),
           "broken%20dir/%FF.zip", "notification names the file");
    is_str(jstr(run, "invocations.0.toolExecutionNotifications.0.properties.code"), "BW_EFORMAT", "notification code");
    json_decref(doc);

    /* with a base: inside goes relative to SRCROOT, outside stays absolute */
    doc = load(r, "dir with space");
    run = jget(doc, "runs.0");
    is_str(uri_of(run, 0), "file%20name.pkl", "base with a space: relative uri");
    is_str(jstr(run, "results.0.locations.0.physicalLocation.artifactLocation.uriBaseId"), "SRCROOT",
           "base with a space: SRCROOT");
    ok(jstr(run, "originalUriBaseIds.SRCROOT.uri") != NULL &&
           strstr(jstr(run, "originalUriBaseIds.SRCROOT.uri"), "/dir%20with%20space/") != NULL,
       "SRCROOT uri is encoded too");
    is_str(uri_of(run, 8), "file:///abs/outside/z.pkl", "outside the base: absolute file URI");
    ok(jget(run, "results.8.locations.0.physicalLocation.artifactLocation.uriBaseId") == NULL,
       "outside the base: no uriBaseId");
    json_decref(doc);

    doc = load(r, ".");
    run = jget(doc, "runs.0");
    is_str(uri_of(run, 7), "rel/y.pkl", "base '.': path normalised lexically");
    json_decref(doc);
    bw_report_free(r);
}

int main(void)
{
    test_schema();
    test_fields();
    test_awkward();
    return done_testing();
}
