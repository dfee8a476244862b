/*
 * test_export.c - stage-run records and the provenance exports
 * (lib/trust/export.c): the entry-model parser (every field, every kind of
 * malformed entry), the JSON round trip, run ids as UUIDs (values computed
 * with Python's uuid module), SLSA Provenance v1 statements checked field by
 * field and against the SLSA v1 field set (which the SLSA statements in
 * ../shared/vectors/provenance also pass), DSSE signing, OpenLineage
 * RunEvents validated with tests/tools/validate_json_schema.py against the
 * OpenLineage schema in ../shared, and in-toto links and layouts: key ids of
 * the in-toto 1.3.1 vector keys, signatures over the canonical JSON.
 * Checks that need ../shared or python3-jsonschema are skipped with a
 * message when those are absent.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulwark/bw_dsse.h"
#include "bulwark/bw_export.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

#define PYTHON "/usr/bin/python3"

#define H64A "1111111111111111111111111111111111111111111111111111111111111111"
#define H64B "2222222222222222222222222222222222222222222222222222222222222222"
#define H64C "3333333333333333333333333333333333333333333333333333333333333333"
#define H64P "4444444444444444444444444444444444444444444444444444444444444444"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static const char full_entry[] =
    "{\"kind\":\"stage_run\",\"time\":\"2026-11-24T10:00:05Z\",\"actor\":\"ci@example\","
    "\"stage\":\"train\",\"run_id\":\"run-42\","
    "\"inputs\":[{\"name\":\"data/train.csv\",\"digest\":{\"sha256\":\"" H64A "\"},\"size\":1234},"
    "{\"name\":\"train.py\",\"digest\":{\"sha256\":\"" H64B "\",\"md5\":\"0123456789abcdef0123456789abcdef\"},"
    "\"size\":null}],"
    "\"outputs\":[{\"name\":\"model.bin\",\"digest\":{\"sha256\":\"" H64C "\"},\"size\":99}],"
    "\"command\":[\"python\",\"train.py\",\"--epochs\",\"3\"],"
    "\"commit\":\"" COMMIT "\","
    "\"parameters_digest\":{\"sha256\":\"" H64P "\"},"
    "\"environment\":{\"PYTHONHASHSEED\":\"0\",\"CUDA_VISIBLE_DEVICES\":\"1\"},"
    "\"started\":\"2026-11-24T10:00:00Z\",\"ended\":\"2026-11-24T10:00:04.5Z\",\"exit_status\":0}";

static bw_stage_run *parse_ok(const char *json)
{
    bw_stage_run *r = NULL;
    bw_error err = {0};
    bw_status rc = bw_stage_run_parse(json, strlen(json), "run.json", &r, &err);
    if (rc != BW_OK) {
        tap_diag("parse failed: %s", err.msg);
    }
    return r;
}

static void test_parse(void)
{
    bw_stage_run *r = parse_ok(full_entry);

    ok(r != NULL, "the full entry parses");
    if (r == NULL) {
        return;
    }
    is_str(r->stage, "train", "stage");
    is_str(r->run_id, "run-42", "run_id");
    is_str(r->actor, "ci@example", "actor");
    is_str(r->time, "2026-11-24T10:00:05Z", "time");
    is_int(r->n_inputs, 2, "two inputs");
    is_str(r->inputs[0].name, "data/train.csv", "inputs[0].name");
    is_int(r->inputs[0].digest.n, 1, "inputs[0] has one digest");
    is_str(r->inputs[0].digest.d[0].alg, "sha256", "its algorithm");
    is_str(r->inputs[0].digest.d[0].hex, H64A, "its value");
    is_int(r->inputs[0].size, 1234, "inputs[0].size");
    is_int(r->inputs[1].digest.n, 2, "inputs[1] has two digests");
    is_str(r->inputs[1].digest.d[0].alg, "md5", "sorted by algorithm: md5 first");
    is_str(r->inputs[1].digest.d[1].alg, "sha256", "then sha256");
    ok(r->inputs[1].size == BW_PROV_SIZE_UNKNOWN, "a null size is unknown");
    is_int(r->n_outputs, 1, "one output");
    is_int(r->outputs[0].size, 99, "outputs[0].size");
    is_int(r->n_command, 4, "argv of four");
    is_str(r->command[3], "3", "argv[3]");
    is_str(r->commit, COMMIT, "commit");
    is_str(r->parameters_digest.d[0].hex, H64P, "parameters digest");
    is_int(r->n_environment, 2, "two variables");
    is_str(r->environment[0].key, "CUDA_VISIBLE_DEVICES", "environment sorted by key");
    is_str(r->environment[1].value, "0", "PYTHONHASHSEED=0");
    is_str(r->started, "2026-11-24T10:00:00Z", "started");
    is_str(r->ended, "2026-11-24T10:00:04.5Z", "ended with a fraction");
    is_int(r->exit_status, 0, "exit status");

    /* write, read back, write again: the same bytes */
    bw_buf a = BW_BUF_INIT(1 << 20), b = BW_BUF_INIT(1 << 20);
    ok(bw_stage_run_write_json(r, &a) == BW_OK, "written back as JSON");
    bw_stage_run *r2 = parse_ok(a.ptr);
    ok(r2 != NULL && bw_stage_run_write_json(r2, &b) == BW_OK, "which parses again");
    ok(a.len == b.len && a.len > 0 && memcmp(a.ptr, b.ptr, a.len) == 0, "and writes the same bytes");
    like(a.ptr, "\"environment\":{\"CUDA_VISIBLE_DEVICES\":\"1\",\"PYTHONHASHSEED\":\"0\"}",
         "environment written sorted");
    like(a.ptr, "\"size\":null", "an unknown size written as null");
    bw_buf_release(&a);
    bw_buf_release(&b);
    bw_stage_run_free(r2);
    bw_stage_run_free(r);

    /* nullable members */
    r = parse_ok("{\"kind\":\"stage_run\",\"time\":null,\"actor\":\"a\",\"stage\":\"s\",\"run_id\":\"r\","
                 "\"inputs\":[],\"outputs\":[],\"command\":[],\"commit\":null,\"parameters_digest\":null,"
                 "\"environment\":{},\"started\":null,\"ended\":null,\"exit_status\":-9}");
    ok(r != NULL && r->commit == NULL && r->parameters_digest.n == 0 && r->started == NULL && r->time == NULL &&
           r->exit_status == -9 && r->n_inputs == 0 && r->n_command == 0,
       "commit, parameters_digest, times may be null; lists empty; a negative exit status");
    bw_stage_run_free(r);
}

/* full_entry with `from` replaced by `to` */
static char *mutate(const char *from, const char *to)
{
    static char buf[4096];
    const char *p = strstr(full_entry, from);
    if (p == NULL) {
        fprintf(stderr, "mutate: '%s' not in the entry\n", from);
        exit(2);
    }
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - full_entry), full_entry, to, p + strlen(from));
    return buf;
}

static void test_malformed(void)
{
    static const struct {
        const char *from, *to, *want;
    } cases[] = {
        {"\"kind\":\"stage_run\"", "\"kind\":\"gate\"", "kind must be \"stage_run\""},
        {"\"actor\":\"ci@example\",", "", "actor is missing"},
        {"\"actor\":\"ci@example\"", "\"actor\":7", "actor must be a string"},
        {"\"actor\":\"ci@example\"", "\"actor\":\"\"", "actor must not be empty"},
        {"\"stage\":\"train\"", "\"stage\":null", "stage must be a string"},
        {"\"run_id\":\"run-42\",", "\"run_id\":\"run-42\",\"extra\":1,", "member 'extra' is not part"},
        {"{\"name\":\"data/train.csv\"", "{\"nam\":\"x\",\"name\":\"data/train.csv\"", "inputs[0] member 'nam'"},
        {"\"size\":1234", "\"size\":-1", "inputs[0].size must be a non-negative integer"},
        {"\"size\":1234", "\"size\":1.5", "inputs[0].size must be"},
        {"\"sha256\":\"" H64A "\"", "\"sha256\":\"" H64A "1\"", "inputs[0].digest.sha256 has the wrong length"},
        {"\"sha256\":\"" H64A "\"", "\"sha256\":\"" H64A "\",\"sha-256!\":\"00\"", "is not an algorithm name"},
        {"\"sha256\":\"" H64C "\"", "\"sha256\":\"" H64C "\".\"", "line 1"},
        {"{\"sha256\":\"" H64C "\"}", "{}", "outputs[0].digest must be a non-empty object"},
        {"{\"sha256\":\"" H64C "\"}",
         "{\"sha256\":\"33333333333333333333333333333333333333333333333333333333333333Ab\"}",
         "outputs[0].digest.sha256 is not lower-case hex"},
        {"{\"sha256\":\"" H64C "\"}", "{\"xyz\":\"abc\"}", "outputs[0].digest.xyz is not 8 to 128 hex digits"},
        {"\"name\":\"train.py\"", "\"name\":\"data/train.csv\"", "inputs names 'data/train.csv' twice"},
        {"\"command\":[\"python\"", "\"command\":[1", "command[0] must be a string"},
        {"\"command\":[\"python\",\"train.py\",\"--epochs\",\"3\"]", "\"command\":\"python train.py\"",
         "command must be an array"},
        {"\"commit\":\"" COMMIT "\"", "\"commit\":\"main\"", "commit is not a git commit"},
        {"\"parameters_digest\":{\"sha256\":\"" H64P "\"}", "\"parameters_digest\":[]",
         "parameters_digest must be a non-empty object"},
        {"\"environment\":{", "\"environment\":{\"X\":1,", "environment.X must be a string"},
        {"\"environment\":{", "\"environment\":{\"\":\"v\",", "empty variable name"},
        {"\"started\":\"2026-11-24T10:00:00Z\"", "\"started\":\"2026-11-24 10:00:00Z\"", "started is not an RFC 3339"},
        {"\"started\":\"2026-11-24T10:00:00Z\"", "\"started\":\"2026-02-29T10:00:00Z\"", "started is not an RFC 3339"},
        {"\"ended\":\"2026-11-24T10:00:04.5Z\"", "\"ended\":\"2026-11-24T10:00:04+01:00\"", "ended is not"},
        {"\"time\":\"2026-11-24T10:00:05Z\"", "\"time\":\"2026-11-24T24:00:05Z\"", "time is not"},
        {"\"exit_status\":0", "\"exit_status\":\"0\"", "exit_status must be an integer"},
        {"\"exit_status\":0", "\"exit_status\":4294967296", "exit_status must be an integer"},
        {",\"exit_status\":0", "", "exit_status is missing"},
        {"\"stage\":\"train\"", "\"stage\":\"train\",\"stage\":\"x\"", "duplicate"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        const char *j = mutate(cases[i].from, cases[i].to);
        bw_stage_run *r = (bw_stage_run *)1;
        bw_error err = {0};
        bw_status rc = bw_stage_run_parse(j, strlen(j), "run.json", &r, &err);
        ok(rc == BW_EFORMAT && r == NULL && strstr(err.msg, cases[i].want) != NULL &&
               strncmp(err.msg, "run.json: ", 10) == 0,
           "malformed %zu: %s", i, err.msg);
        if (rc == BW_OK) {
            bw_stage_run_free(r);
        }
    }
    bw_stage_run *r = NULL;
    bw_error err = {0};
    is_int(bw_stage_run_parse("[]", 2, "a.json", &r, &err), BW_EFORMAT, "an array is not an entry");
    like(err.msg, "a stage_run entry is a JSON object", "message: %s", err.msg);

    /* every allocation failing in turn: an error or success, never a leak or crash */
    int failures = 0, successes = 0;
    for (long n = 0; n < 200; n++) {
        bw_alloc_fail_after(n);
        bw_error_clear(&err);
        bw_status rc = bw_stage_run_parse(full_entry, strlen(full_entry), "run.json", &r, &err);
        bw_alloc_fail_after(-1);
        if (rc == BW_OK) {
            successes++;
            bw_stage_run_free(r);
            break;
        }
        failures += rc == BW_ENOMEM;
    }
    ok(failures > 5 && successes == 1, "allocation failures give BW_ENOMEM (%d), then it parses", failures);
}

static void test_uuid(void)
{
    char u[37];
    bw_error err = {0};

    /* Python: uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/bulwark-sec/bulwark"), name) */
    ok(bw_export_run_uuid("run-42", u, &err) == BW_OK, "uuid of run-42");
    is_str(u, "21ad242e-dff2-54a7-8a16-0c23e3ea50a1", "run-42 as Python's uuid5 gives it");
    ok(bw_export_run_uuid("dvc-0123", u, &err) == BW_OK, "uuid of dvc-0123");
    is_str(u, "3e70785e-e6ec-5da7-826d-7c03a085759e", "dvc-0123 as Python's uuid5 gives it");
    ok(bw_export_run_uuid("F69A6E9B-9BAC-3C9A-9CF6-EACB70ECC9A9", u, &err) == BW_OK, "a UUID run id");
    is_str(u, "f69a6e9b-9bac-3c9a-9cf6-eacb70ecc9a9", "is kept, lower-cased");
    ok(bw_export_run_uuid("f69a6e9b-9bac-3c9a-9cf6-eacb70ecc9a", u, &err) == BW_OK && u[14] == '5',
       "one digit short is not a UUID: hashed (version 5)");
}

/* ---- SLSA ------------------------------------------------------------------------------------------ */

static const char *const stmt_keys[] = {"_type", "subject", "predicateType", "predicate"};
static const char *const rd_keys[] = {"uri",       "digest",  "name",       "downloadLocation",
                                      "mediaType", "content", "annotations"};
static const char *const pred_keys[] = {"buildDefinition", "runDetails"};
static const char *const bd_keys[] = {"buildType", "externalParameters", "internalParameters", "resolvedDependencies"};
static const char *const rdet_keys[] = {"builder", "metadata", "byproducts"};
static const char *const builder_keys[] = {"id", "version", "builderDependencies"};
static const char *const meta_keys[] = {"invocationId", "startedOn", "finishedOn"};

static const char *sval(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "";
}

static int keys_in(const json_t *o, const char *const *keys, size_t n, const char *where)
{
    const char *k;
    json_t *v;
    if (!json_is_object(o)) {
        tap_diag("%s is not an object", where);
        return 0;
    }
    json_object_foreach((json_t *)o, k, v)
    {
        size_t i = 0;
        while (i < n && strcmp(k, keys[i]) != 0) {
            i++;
        }
        if (i == n) {
            tap_diag("%s: '%s' is not a SLSA v1 field", where, k);
            return 0;
        }
    }
    return 1;
}

static int is_rfc3339(const json_t *v)
{
    const char *s = json_string_value(v);
    return s != NULL && strlen(s) >= 20 && s[4] == '-' && s[10] == 'T' && s[strlen(s) - 1] == 'Z';
}

static int resource_ok(const json_t *r, const char *where)
{
    const json_t *d = json_object_get(r, "digest");
    if (!keys_in(r, rd_keys, BW_ARRAY_LEN(rd_keys), where)) {
        return 0;
    }
    if (json_object_get(r, "uri") == NULL && d == NULL && json_object_get(r, "content") == NULL) {
        tap_diag("%s: a ResourceDescriptor needs uri, digest or content", where);
        return 0;
    }
    if (d != NULL) {
        const char *k;
        json_t *v;
        if (!json_is_object(d) || json_object_size(d) == 0) {
            return 0;
        }
        json_object_foreach((json_t *)d, k, v)
        {
            if (!json_is_string(v)) {
                return 0;
            }
        }
    }
    return 1;
}

/*
 * The SLSA Provenance v1 field set (slsa.dev/spec/v1.0/provenance, "Schema"), every field where the spec
 * puts it with its type; REQUIRED ones present. The vectors' statements must pass too.
 */
static int slsa_v1_ok(const json_t *st)
{
    const json_t *subj = json_object_get(st, "subject"), *pred = json_object_get(st, "predicate"), *bd, *rdet, *b, *m,
                 *deps;
    if (!keys_in(st, stmt_keys, BW_ARRAY_LEN(stmt_keys), "statement") ||
        strcmp(sval(json_object_get(st, "_type")), "https://in-toto.io/Statement/v1") != 0 ||
        strcmp(sval(json_object_get(st, "predicateType")), "https://slsa.dev/provenance/v1") != 0 ||
        !json_is_array(subj) || json_array_size(subj) == 0) {
        tap_diag("statement header");
        return 0;
    }
    for (size_t i = 0; i < json_array_size(subj); i++) {
        if (!resource_ok(json_array_get(subj, i), "subject") ||
            json_object_get(json_array_get(subj, i), "digest") == NULL) {
            return 0;
        }
    }
    if (!keys_in(pred, pred_keys, BW_ARRAY_LEN(pred_keys), "predicate")) {
        return 0;
    }
    bd = json_object_get(pred, "buildDefinition");
    rdet = json_object_get(pred, "runDetails");
    if (!keys_in(bd, bd_keys, BW_ARRAY_LEN(bd_keys), "buildDefinition") ||
        !json_is_string(json_object_get(bd, "buildType")) ||
        !json_is_object(json_object_get(bd, "externalParameters"))) {
        return 0;
    }
    if (json_object_get(bd, "internalParameters") != NULL &&
        !json_is_object(json_object_get(bd, "internalParameters"))) {
        return 0;
    }
    deps = json_object_get(bd, "resolvedDependencies");
    if (deps != NULL) {
        if (!json_is_array(deps)) {
            return 0;
        }
        for (size_t i = 0; i < json_array_size(deps); i++) {
            if (!resource_ok(json_array_get(deps, i), "resolvedDependencies")) {
                return 0;
            }
        }
    }
    if (!keys_in(rdet, rdet_keys, BW_ARRAY_LEN(rdet_keys), "runDetails")) {
        return 0;
    }
    b = json_object_get(rdet, "builder");
    if (!keys_in(b, builder_keys, BW_ARRAY_LEN(builder_keys), "builder") || !json_is_string(json_object_get(b, "id"))) {
        return 0;
    }
    m = json_object_get(rdet, "metadata");
    if (m != NULL) {
        if (!keys_in(m, meta_keys, BW_ARRAY_LEN(meta_keys), "metadata")) {
            return 0;
        }
        if ((json_object_get(m, "startedOn") != NULL && !is_rfc3339(json_object_get(m, "startedOn"))) ||
            (json_object_get(m, "finishedOn") != NULL && !is_rfc3339(json_object_get(m, "finishedOn")))) {
            tap_diag("metadata times");
            return 0;
        }
    }
    return 1;
}

static void test_slsa_vectors(void)
{
    const char *shared = getenv("BW_SHARED_DIR");
    static const char *const files[] = {
        "vectors/provenance/sigstore-conformance/test/assets/statement.json",
        "vectors/provenance/generated-here/sigstore-bundle-v0.3-pubkey/stmt.json",
    };
    char path[4096];

    for (size_t i = 0; i < BW_ARRAY_LEN(files); i++) {
        json_t *st;
        snprintf(path, sizeof(path), "%s/%s", shared != NULL ? shared : "/nonexistent", files[i]);
        st = json_load_file(path, 0, NULL);
        if (st == NULL) {
            skip(1, "SLSA statement vector not found under $BW_SHARED_DIR (../shared absent)");
            continue;
        }
        ok(slsa_v1_ok(st), "the field checker accepts the vector %s", files[i]);
        /* and it can say no */
        json_object_set_new(json_object_get(json_object_get(st, "predicate"), "buildDefinition"), "buildtype",
                            json_string("x"));
        ok(!slsa_v1_ok(st), "and rejects it with a misspelt field");
        json_decref(st);
    }
}

static void test_slsa(void)
{
    bw_stage_run *r = parse_ok(full_entry);
    bw_buf out = BW_BUF_INIT(1 << 20);
    bw_export_opts o = BW_EXPORT_OPTS_INIT;
    bw_error err = {0};
    json_t *st;

    if (r == NULL) {
        ok(0, "entry");
        return;
    }
    o.repo_uri = "git+https://github.com/example/pipeline";
    ok(bw_export_slsa(r, &o, &out, &err) == BW_OK, "SLSA statement (%s)", err.msg);
    st = json_loadb(out.ptr, out.len, JSON_REJECT_DUPLICATES, NULL);
    ok(st != NULL, "is JSON");
    if (st == NULL) {
        goto done;
    }
    ok(slsa_v1_ok(st), "with only SLSA v1 fields, in their places");
    const json_t *pred = json_object_get(st, "predicate"), *bd = json_object_get(pred, "buildDefinition");
    const json_t *rdet = json_object_get(pred, "runDetails"), *deps = json_object_get(bd, "resolvedDependencies");
    const json_t *subj = json_array_get(json_object_get(st, "subject"), 0);
    is_int(json_array_size(json_object_get(st, "subject")), 1, "one subject, the output");
    is_str(json_string_value(json_object_get(subj, "name")), "model.bin", "subject name");
    is_str(json_string_value(json_object_get(json_object_get(subj, "digest"), "sha256")), H64C, "subject digest");
    is_str(json_string_value(json_object_get(bd, "buildType")), BW_EXPORT_BUILD_TYPE, "buildType");
    const json_t *ext = json_object_get(bd, "externalParameters");
    is_str(json_string_value(json_object_get(ext, "stage")), "train", "externalParameters.stage");
    is_str(json_string_value(json_array_get(json_object_get(ext, "command"), 2)), "--epochs",
           "externalParameters.command");
    is_str(json_string_value(json_object_get(json_object_get(json_object_get(ext, "parameters"), "digest"), "sha256")),
           H64P, "externalParameters.parameters.digest");
    const json_t *in = json_object_get(bd, "internalParameters");
    is_str(json_string_value(json_object_get(in, "actor")), "ci@example", "internalParameters.actor");
    is_str(json_string_value(json_object_get(json_object_get(in, "environment"), "PYTHONHASHSEED")), "0",
           "internalParameters.environment");
    is_int(json_integer_value(json_object_get(in, "exitStatus")), 0, "internalParameters.exitStatus");
    is_int(json_array_size(deps), 3, "resolvedDependencies: the commit and two inputs");
    is_str(json_string_value(json_object_get(json_array_get(deps, 0), "uri")),
           "git+https://github.com/example/pipeline@" COMMIT, "commit uri");
    is_str(json_string_value(json_object_get(json_object_get(json_array_get(deps, 0), "digest"), "gitCommit")), COMMIT,
           "commit digest gitCommit");
    is_str(json_string_value(json_object_get(json_array_get(deps, 1), "name")), "data/train.csv", "first input");
    is_int(json_integer_value(json_object_get(json_object_get(json_array_get(deps, 1), "annotations"), "size")), 1234,
           "its size as an annotation");
    is_str(json_string_value(json_object_get(json_object_get(json_array_get(deps, 2), "digest"), "md5")),
           "0123456789abcdef0123456789abcdef", "second input keeps both digests");
    ok(json_object_get(json_array_get(deps, 2), "annotations") == NULL, "and has no size annotation (unknown)");
    is_str(json_string_value(json_object_get(json_object_get(rdet, "builder"), "id")), BW_EXPORT_BUILDER_ID,
           "builder.id");
    const json_t *meta = json_object_get(rdet, "metadata");
    is_str(json_string_value(json_object_get(meta, "invocationId")), "run-42", "invocationId = run_id");
    is_str(json_string_value(json_object_get(meta, "startedOn")), "2026-11-24T10:00:00Z", "startedOn");
    is_str(json_string_value(json_object_get(meta, "finishedOn")), "2026-11-24T10:00:04.5Z", "finishedOn");
    json_decref(st);

    /* DSSE: signed with P-256 and Ed25519, verified, payload identical */
    for (int t = 0; t < 2; t++) {
        bw_key *k = NULL;
        bw_buf env = BW_BUF_INIT(1 << 20);
        bw_dsse_verified v;
        if (bw_key_generate(t == 0 ? BW_KEY_P256 : BW_KEY_ED25519, &k, &err) != BW_OK) {
            ok(0, "key");
            continue;
        }
        const bw_key *keys[1] = {k};
        ok(bw_export_slsa_dsse(r, &o, k, "kid", &env, &err) == BW_OK, "DSSE envelope (%s)",
           bw_key_type_name(bw_key_get_type(k)));
        ok(bw_dsse_verify(env.ptr, env.len, "env", keys, 1, &v, &err) == BW_OK, "verifies: %s", err.msg);
        ok(v.payload.len == out.len && memcmp(v.payload.ptr, out.ptr, out.len) == 0, "the payload is the statement");
        is_str(v.type, "application/vnd.in-toto+json", "payloadType");
        bw_dsse_verified_release(&v);
        bw_buf_release(&env);
        bw_key_free(k);
    }

    /* failed runs and runs with nothing to attest */
    r->exit_status = 2;
    bw_buf_reset(&out);
    is_int(bw_export_slsa(r, NULL, &out, &err), BW_EINVAL, "no provenance for a failed run");
    like(err.msg, "exited with status 2", "message: %s", err.msg);
    o.allow_failed = 1;
    bw_error_clear(&err);
    ok(bw_export_slsa(r, &o, &out, &err) == BW_OK && strstr(out.ptr, "\"exitStatus\":2") != NULL,
       "unless allowed, and then the status is recorded");
    r->exit_status = 0;
    size_t nout = r->n_outputs;
    r->n_outputs = 0;
    bw_error_clear(&err);
    is_int(bw_export_slsa(r, NULL, &out, &err), BW_EINVAL, "no outputs, no subject");
    r->n_outputs = nout;
    bw_export_opts bad = BW_EXPORT_OPTS_INIT;
    bad.version = 99;
    is_int(bw_export_slsa(r, &bad, &out, &err), BW_EINVAL, "an unknown options version");
done:
    bw_buf_release(&out);
    bw_stage_run_free(r);
}

/* ---- OpenLineage ----------------------------------------------------------------------------------- */

static char tmp_dir[] = "/tmp/bw-export-XXXXXX";

/* Validate JSON text against the OpenLineage schema; the validator's exit status. */
static int ol_validate(const char *schema, const char *json, const char *name)
{
    char path[4200], cmd[12000];
    char *root = getenv("BW_SOURCE_ROOT");
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "%s/%s.json", tmp_dir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fputs(json, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "%s '%s/tests/tools/validate_json_schema.py' '%s' '%s' >&2", PYTHON, root, schema, path);
    rc = system(cmd);
    unlink(path);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_openlineage(void)
{
    bw_stage_run *r = parse_ok(full_entry);
    bw_buf out = BW_BUF_INIT(1 << 20);
    bw_export_opts o = BW_EXPORT_OPTS_INIT;
    bw_error err = {0};
    json_t *ev;

    if (r == NULL) {
        return;
    }
    o.ol_namespace = "file://host/pipeline";
    ok(bw_export_openlineage(r, &o, &out, &err) == BW_OK, "OpenLineage event (%s)", err.msg);
    ev = json_loadb(out.ptr, out.len, JSON_REJECT_DUPLICATES, NULL);
    ok(ev != NULL, "is JSON");
    if (ev != NULL) {
        const json_t *run = json_object_get(ev, "run"), *job = json_object_get(ev, "job");
        const json_t *in0 = json_array_get(json_object_get(ev, "inputs"), 0);
        const json_t *out0 = json_array_get(json_object_get(ev, "outputs"), 0);
        is_str(json_string_value(json_object_get(ev, "eventType")), "COMPLETE", "eventType COMPLETE (exit 0)");
        is_str(json_string_value(json_object_get(ev, "eventTime")), "2026-11-24T10:00:04.5Z", "eventTime = ended");
        is_str(json_string_value(json_object_get(run, "runId")), "21ad242e-dff2-54a7-8a16-0c23e3ea50a1",
               "runId: the run id's UUID");
        is_str(
            json_string_value(json_object_get(json_object_get(json_object_get(run, "facets"), "bulwark_run"), "runId")),
            "run-42", "the run id itself in the bulwark_run facet");
        is_str(json_string_value(json_object_get(job, "namespace")), "file://host/pipeline", "job namespace");
        is_str(json_string_value(json_object_get(job, "name")), "train", "job name = stage");
        is_str(json_string_value(json_object_get(in0, "name")), "data/train.csv", "input dataset");
        const json_t *f = json_object_get(in0, "facets");
        is_str(json_string_value(json_object_get(json_object_get(f, "version"), "datasetVersion")), "sha256:" H64A,
               "version facet: sha256:hex");
        is_str(json_string_value(
                   json_object_get(json_object_get(json_object_get(f, "bulwark_digest"), "digest"), "sha256")),
               H64A, "bulwark_digest facet digest");
        is_int(json_integer_value(json_object_get(json_object_get(f, "bulwark_digest"), "size")), 1234,
               "bulwark_digest facet size");
        is_str(json_string_value(json_object_get(out0, "name")), "model.bin", "output dataset");
        is_str(json_string_value(json_object_get(ev, "schemaURL")), BW_EXPORT_OPENLINEAGE_SCHEMA, "schemaURL");
        like(json_string_value(json_object_get(ev, "producer")), "https://github.com/bulwark-sec/bulwark/tree/v",
             "producer");
        json_decref(ev);
    }

    bw_buf fail = BW_BUF_INIT(1 << 20), start = BW_BUF_INIT(1 << 20);
    r->exit_status = 1;
    ok(bw_export_openlineage(r, &o, &fail, &err) == BW_OK && strstr(fail.ptr, "\"eventType\":\"FAIL\"") != NULL,
       "exit status 1: FAIL");
    o.event = BW_OL_START;
    ok(bw_export_openlineage(r, &o, &start, &err) == BW_OK && strstr(start.ptr, "\"eventType\":\"START\"") != NULL &&
           strstr(start.ptr, "\"eventTime\":\"2026-11-24T10:00:00Z\"") != NULL &&
           strstr(start.ptr, "\"outputs\":[]") != NULL,
       "START: at the start time, no outputs yet");
    BW_FREE(r->ended);
    o.event = BW_OL_AUTO;
    bw_buf junk = BW_BUF_INIT(1 << 20);
    is_int(bw_export_openlineage(r, &o, &junk, &err), BW_EINVAL, "no end time, no event time: refused");
    o.event_time = "2026-11-24T11:00:00Z";
    ok(bw_export_openlineage(r, &o, &junk, &err) == BW_OK && strstr(junk.ptr, "2026-11-24T11:00:00Z") != NULL,
       "unless one is given");
    o.event_time = "yesterday";
    is_int(bw_export_openlineage(r, &o, &junk, &err), BW_EINVAL, "a malformed event time is refused");
    bw_buf_release(&junk);

    /* the schema */
    const char *shared = getenv("BW_SHARED_DIR");
    char schema[4096];
    struct stat stt;
    snprintf(schema, sizeof(schema), "%s/vectors/provenance/openlineage/spec/OpenLineage.json",
             shared != NULL ? shared : "/nonexistent");
    if (stat(schema, &stt) != 0 || getenv("BW_SOURCE_ROOT") == NULL) {
        skip(5, "OpenLineage schema not found in ../shared/vectors/provenance/openlineage: schema checks skipped");
    } else if (access(PYTHON, X_OK) != 0 || mkdtemp(tmp_dir) == NULL) {
        skip(5, PYTHON " missing: schema checks skipped");
    } else {
        int rc = ol_validate(schema, out.ptr, "complete");
        if (rc == 3) {
            skip(5, "python3-jsonschema not installed: schema checks skipped");
        } else {
            is_int(rc, 0, "the COMPLETE event is valid under the OpenLineage schema");
            is_int(ol_validate(schema, fail.ptr, "fail"), 0, "the FAIL event too");
            is_int(ol_validate(schema, start.ptr, "start"), 0, "the START event too");
            char *bad = strdup(out.ptr);
            char *p = strstr(bad, "21ad242e-dff2");
            if (p != NULL) {
                p[8] = '_';
            }
            is_int(ol_validate(schema, bad, "bad-uuid"), 1, "the validator rejects a runId that is not a UUID");
            free(bad);
            bad = strdup(out.ptr);
            p = strstr(bad, "2026-11-24T10:00:04.5Z");
            if (p != NULL) {
                p[10] = ' ';
            }
            is_int(ol_validate(schema, bad, "bad-time"), 1, "and an eventTime that is not RFC 3339");
            free(bad);
        }
        rmdir(tmp_dir);
    }
    bw_buf_release(&out);
    bw_buf_release(&fail);
    bw_buf_release(&start);
    bw_stage_run_free(r);
}

/* ---- in-toto --------------------------------------------------------------------------------------- */

/* A public key from a securesystemslib JSON key file of the in-toto 1.3.1 vectors. */
static bw_key *vector_key(const char *file, char want_keyid[65])
{
    const char *shared = getenv("BW_SHARED_DIR");
    char path[4096];
    json_t *j;
    bw_key *k = NULL;
    bw_error err = {0};

    snprintf(path, sizeof(path), "%s/vectors/provenance/generated-here/intoto-1.3.1/%s",
             shared != NULL ? shared : "/nonexistent", file);
    j = json_load_file(path, 0, NULL);
    if (j == NULL) {
        return NULL;
    }
    const char *type = json_string_value(json_object_get(j, "keytype"));
    const char *pub = json_string_value(json_object_get(json_object_get(j, "keyval"), "public"));
    if (type != NULL && pub != NULL && strcmp(type, "ecdsa") == 0) {
        if (bw_key_from_pem(pub, strlen(pub), file, &k, &err) != BW_OK) {
            k = NULL;
        }
    } else if (type != NULL && pub != NULL && strlen(pub) == 64) {
        /* Ed25519: wrap the 32 raw bytes in a SubjectPublicKeyInfo */
        unsigned char der[44] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
        bw_buf pem = BW_BUF_INIT(4096);
        for (int i = 0; i < 32; i++) {
            der[12 + i] =
                (unsigned char)(bw_hexval((unsigned char)pub[2 * i]) * 16 + bw_hexval((unsigned char)pub[2 * i + 1]));
        }
        (void)bw_buf_addstr(&pem, "-----BEGIN PUBLIC KEY-----\n");
        (void)bw_base64_encode(der, sizeof(der), &pem);
        (void)bw_buf_addstr(&pem, "\n-----END PUBLIC KEY-----\n");
        if (bw_key_from_pem(pem.ptr, pem.len, file, &k, &err) != BW_OK) {
            k = NULL;
        }
        bw_buf_release(&pem);
    }
    json_decref(j);
    /* the key id in-toto 1.3.1 gave it: the layout's keys in verify-dir name them */
    snprintf(want_keyid, 65, "%s",
             strcmp(file, "bob.pub") == 0    ? "e8dd1488cb52fdf33b3fdf2ca57c0e97f2b2d88ec8e8b6ade935915fe1db31ff"
             : strcmp(file, "carl.pub") == 0 ? "58cb336c34f1ff51817ba3a875a330d389cfd339d33c5a8f9c5723b8a849d04a"
                                             : "8e8ffa5f247e5af58e7d639ace18f28800728686faef88e446cf9aaa93535197");
    return k;
}

static void test_intoto_keyids(void)
{
    static const char *const files[] = {"bob.pub", "carl.pub", "verify-dir/alice.pub"};
    for (size_t i = 0; i < BW_ARRAY_LEN(files); i++) {
        char want[65], got[65];
        bw_error err = {0};
        bw_key *k = vector_key(files[i], want);
        if (k == NULL) {
            skip(1, "in-toto 1.3.1 vector keys not found under $BW_SHARED_DIR");
            continue;
        }
        ok(bw_export_intoto_keyid(k, got, &err) == BW_OK && strcmp(got, want) == 0,
           "key id of %s is in-toto's (%.16s...)", files[i], got);
        bw_key_free(k);
    }
    bw_key *k = NULL;
    bw_error err = {0};
    char id[65];
    bw_buf b = BW_BUF_INIT(4096);
    if (bw_key_generate(BW_KEY_P521, &k, &err) == BW_OK) {
        is_int(bw_export_intoto_keyid(k, id, &err), BW_EUNSUPPORTED, "P-521: securesystemslib does not verify it");
        is_int(bw_export_intoto_pubkey(k, &b, &err), BW_EUNSUPPORTED, "no key file for it either");
        bw_key_free(k);
    }
    bw_buf_release(&b);
}

/* securesystemslib's canonical JSON of a tree without control characters: jansson's sorted compact dump */
static char *canonical(const json_t *v)
{
    return json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
}

static void test_intoto_link(void)
{
    bw_stage_run *r = parse_ok(full_entry);
    bw_key *k = NULL;
    bw_buf link = BW_BUF_INIT(1 << 20), link2 = BW_BUF_INIT(1 << 20), pub = BW_BUF_INIT(4096);
    bw_error err = {0};
    char kid[65];
    json_t *l, *kj;

    if (r == NULL || bw_key_generate(BW_KEY_ED25519, &k, &err) != BW_OK) {
        ok(0, "setup");
        return;
    }
    ok(bw_export_intoto_link(r, k, &link, &err) == BW_OK, "link (%s)", err.msg);
    ok(bw_export_intoto_link(r, k, &link2, &err) == BW_OK && link.len == link2.len &&
           memcmp(link.ptr, link2.ptr, link.len) == 0,
       "Ed25519 links are deterministic");
    ok(bw_export_intoto_keyid(k, kid, &err) == BW_OK, "key id");
    ok(bw_export_intoto_pubkey(k, &pub, &err) == BW_OK, "public key file");
    kj = json_loadb(pub.ptr, pub.len, 0, NULL);
    char *kc = kj != NULL ? canonical(kj) : NULL;
    bw_digest d;
    char hex[BW_DIGEST_HEX_MAX] = "";
    if (kc != NULL && bw_digest_bytes(BW_ALGO_SHA256, kc, strlen(kc), &d) == BW_OK) {
        bw_digest_hex(&d, hex);
    }
    is_str(hex, kid, "key id = SHA-256 of the key file's canonical JSON");
    is_str(json_string_value(json_object_get(kj, "scheme")), "ed25519", "scheme ed25519");
    is_int(strlen(sval(json_object_get(json_object_get(kj, "keyval"), "public"))), 64,
           "keyval.public: 32 bytes in hex");
    free(kc);
    json_decref(kj);

    l = json_loadb(link.ptr, link.len, JSON_REJECT_DUPLICATES, NULL);
    ok(l != NULL, "the link is JSON");
    if (l != NULL) {
        const json_t *s = json_object_get(l, "signed"), *sig = json_array_get(json_object_get(l, "signatures"), 0);
        is_str(json_string_value(json_object_get(s, "_type")), "link", "_type link");
        is_str(json_string_value(json_object_get(s, "name")), "train", "name = stage");
        is_str(json_string_value(
                   json_object_get(json_object_get(json_object_get(s, "materials"), "data/train.csv"), "sha256")),
               H64A, "materials: path -> digests");
        is_str(json_string_value(json_object_get(json_object_get(json_object_get(s, "materials"), "train.py"), "md5")),
               "0123456789abcdef0123456789abcdef", "every digest of a material");
        is_str(
            json_string_value(json_object_get(json_object_get(json_object_get(s, "products"), "model.bin"), "sha256")),
            H64C, "products");
        is_int(json_integer_value(json_object_get(json_object_get(s, "byproducts"), "return-value")), 0,
               "byproducts.return-value");
        is_str(json_string_value(json_array_get(json_object_get(s, "command"), 1)), "train.py", "command");
        const json_t *env = json_object_get(s, "environment");
        is_str(json_string_value(json_object_get(json_object_get(env, "variables"), "CUDA_VISIBLE_DEVICES")), "1",
               "environment.variables");
        is_str(json_string_value(json_object_get(env, "run_id")), "run-42", "environment.run_id");
        is_str(json_string_value(json_object_get(sig, "keyid")), kid, "signature keyid");
        /* the signature covers the canonical JSON of "signed" */
        char *c = canonical(s);
        const char *sh = json_string_value(json_object_get(sig, "sig"));
        unsigned char raw[64];
        int good = sh != NULL && strlen(sh) == 128;
        for (int i = 0; good && i < 64; i++) {
            raw[i] =
                (unsigned char)(bw_hexval((unsigned char)sh[2 * i]) * 16 + bw_hexval((unsigned char)sh[2 * i + 1]));
        }
        ok(good && bw_key_verify(k, c, strlen(c), raw, 64) == BW_OK, "sig verifies over the canonical JSON");
        ok(good && bw_key_verify(k, c, strlen(c) - 1, raw, 64) == BW_EVERIFY, "and over nothing else");
        free(c);
        json_decref(l);
    }

    /* refusals */
    bw_buf junk = BW_BUF_INIT(1 << 20);
    bw_free(r->inputs[1].name);
    r->inputs[1].name = bw_strdup("data/train.csv");
    is_int(bw_export_intoto_link(r, k, &junk, &err), BW_EINVAL, "two materials of one name");
    bw_free(r->inputs[1].name);
    r->inputs[1].name = bw_strdup("bad\xff");
    is_int(bw_export_intoto_link(r, k, &junk, &err), BW_EUNSUPPORTED, "a name that is not UTF-8");
    bw_key *pubk = NULL;
    bw_buf pem = BW_BUF_INIT(4096);
    if (bw_key_public_pem(k, &pem) == BW_OK && bw_key_from_pem(pem.ptr, pem.len, "pub", &pubk, &err) == BW_OK) {
        is_int(bw_export_intoto_link(r, pubk, &junk, &err), BW_EINVAL, "a public key cannot sign");
        bw_key_free(pubk);
    }
    bw_buf_release(&pem);
    bw_buf_release(&junk);
    bw_buf_release(&link);
    bw_buf_release(&link2);
    bw_buf_release(&pub);
    bw_key_free(k);
    bw_stage_run_free(r);
}

static void test_intoto_layout(void)
{
    bw_stage_run *runs = calloc(2, sizeof(*runs));
    bw_stage_run *a = parse_ok(full_entry), *b = parse_ok(full_entry);
    bw_key *owner = NULL, *fk = NULL;
    bw_buf lay = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    char oid[65], fid[65];

    if (a == NULL || b == NULL || bw_key_generate(BW_KEY_P256, &owner, &err) != BW_OK ||
        bw_key_generate(BW_KEY_ED25519, &fk, &err) != BW_OK) {
        ok(0, "setup");
        return;
    }
    /* prepare: raw.csv -> data/train.csv; train: data/train.csv, train.py -> model.bin, data/train.csv */
    bw_free(a->stage);
    a->stage = bw_strdup("prepare");
    bw_free(a->inputs[0].name);
    a->inputs[0].name = bw_strdup("raw[1].csv");
    a->n_inputs = 1;
    bw_free(a->outputs[0].name);
    a->outputs[0].name = bw_strdup("data/train.csv");
    runs[0] = *a;
    runs[1] = *b;
    const bw_key *fks[2] = {fk, fk};
    ok(bw_export_intoto_layout(runs, 2, fks, owner, "2030-01-01T00:00:00Z", &lay, &err) == BW_OK, "layout (%s)",
       err.msg);
    ok(bw_export_intoto_keyid(owner, oid, &err) == BW_OK && bw_export_intoto_keyid(fk, fid, &err) == BW_OK, "key ids");
    json_t *l = json_loadb(lay.ptr, lay.len, JSON_REJECT_DUPLICATES, NULL);
    ok(l != NULL, "is JSON");
    if (l != NULL) {
        const json_t *s = json_object_get(l, "signed");
        const json_t *st0 = json_array_get(json_object_get(s, "steps"), 0),
                     *st1 = json_array_get(json_object_get(s, "steps"), 1);
        is_str(json_string_value(json_object_get(s, "_type")), "layout", "_type layout");
        is_str(json_string_value(json_object_get(s, "expires")), "2030-01-01T00:00:00Z", "expires");
        is_int(json_object_size(json_object_get(s, "keys")), 1, "one functionary key (used twice)");
        is_str(json_string_value(json_object_get(json_object_get(json_object_get(s, "keys"), fid), "keyid")), fid,
               "keyed by its key id");
        is_str(json_string_value(json_object_get(st0, "name")), "prepare", "step 1");
        char *m0 = json_dumps(json_object_get(st0, "expected_materials"), JSON_COMPACT);
        is_str(m0, "[[\"ALLOW\",\"raw[[]1].csv\"],[\"DISALLOW\",\"*\"]]", "step 1 materials: glob characters escaped");
        char *m1 = json_dumps(json_object_get(st1, "expected_materials"), JSON_COMPACT);
        is_str(m1,
               "[[\"MATCH\",\"data/train.csv\",\"WITH\",\"PRODUCTS\",\"FROM\",\"prepare\"],[\"ALLOW\",\"train.py\"],"
               "[\"DISALLOW\",\"*\"]]",
               "step 2 materials: MATCH what step 1 produced");
        char *p1 = json_dumps(json_object_get(st1, "expected_products"), JSON_COMPACT);
        is_str(p1, "[[\"CREATE\",\"model.bin\"],[\"DISALLOW\",\"*\"]]", "step 2 products");
        is_str(json_string_value(json_array_get(json_object_get(st1, "pubkeys"), 0)), fid, "pubkeys");
        is_int(json_integer_value(json_object_get(st1, "threshold")), 1, "threshold 1");
        free(m0);
        free(m1);
        free(p1);
        const json_t *sig = json_array_get(json_object_get(l, "signatures"), 0);
        is_str(json_string_value(json_object_get(sig, "keyid")), oid, "signed by the owner");
        /* ECDSA: a DER signature in hex over the canonical JSON */
        char *c = canonical(s);
        const char *sh = json_string_value(json_object_get(sig, "sig"));
        unsigned char der[160];
        size_t n = sh != NULL ? strlen(sh) / 2 : 0;
        for (size_t i = 0; i < n && i < sizeof(der); i++) {
            der[i] =
                (unsigned char)(bw_hexval((unsigned char)sh[2 * i]) * 16 + bw_hexval((unsigned char)sh[2 * i + 1]));
        }
        ok(n > 0 && n < sizeof(der) && der[0] == 0x30 && bw_key_verify(owner, c, strlen(c), der, n) == BW_OK,
           "a DER ECDSA signature over the canonical layout");
        free(c);
        json_decref(l);
    }
    bw_buf junk = BW_BUF_INIT(1 << 20);
    is_int(bw_export_intoto_layout(runs, 2, fks, owner, "next week", &junk, &err), BW_EINVAL, "a bad expiry");
    runs[1].stage = runs[0].stage;
    is_int(bw_export_intoto_layout(runs, 2, fks, owner, "2030-01-01T00:00:00Z", &junk, &err), BW_EINVAL,
           "two steps of one name");
    runs[1].stage = b->stage;
    bw_buf_release(&junk);
    bw_buf_release(&lay);
    a->n_inputs = 2;
    bw_stage_run_free(a);
    bw_stage_run_free(b);
    free(runs);
    bw_key_free(owner);
    bw_key_free(fk);
}

int main(void)
{
    test_parse();
    test_malformed();
    test_uuid();
    test_slsa_vectors();
    test_slsa();
    test_openlineage();
    test_intoto_keyids();
    test_intoto_link();
    test_intoto_layout();
    return done_testing();
}
