/*
 * test_dvc.c - DVC dvc.lock files read as stage runs (lib/trust/dvc.c).
 * The samples are written by hand in the format DVC documents
 * (dvc.org/doc/user-guide/project-structure/dvcyaml-files, "dvc.lock
 * file"): a DVC 3 lock (hash: md5, a directory output, params from two
 * files, a foreach stage name, a list of commands) and a DVC 2 lock (no
 * hash key). Expected run ids and params digests were computed by a
 * separate Python script (PyYAML's BaseLoader and hashlib) from the rules
 * in docs/provenance.md. Then every kind of malformed or unsupported file,
 * with the line and column named, and allocation failures.
 */
#include <string.h>

#include "bulwark/bw_export.h"
#include "tap.h"
#include "util/internal.h"

/* DVC 3.x */
static const char lock3[] = "schema: '2.0'\n"
                            "stages:\n"
                            "  prepare:\n"
                            "    cmd: python src/prepare.py data/data.xml\n"
                            "    deps:\n"
                            "    - path: data/data.xml\n"
                            "      hash: md5\n"
                            "      md5: 22a1a2931c8370d3aeedd7183606fd7f\n"
                            "      size: 14445097\n"
                            "    - path: src/prepare.py\n"
                            "      hash: md5\n"
                            "      md5: F09EA0C15980B43010257CCB9F0055E2\n"
                            "      size: 1576\n"
                            "    params:\n"
                            "      params.yaml:\n"
                            "        prepare.seed: 20170428\n"
                            "        prepare.split: 0.2\n"
                            "    outs:\n"
                            "    - path: data/prepared\n"
                            "      hash: md5\n"
                            "      md5: 153aad06d376b6595932470e459ef42a.dir\n"
                            "      size: 8437363\n"
                            "      nfiles: 2\n"
                            "  train@small:\n"
                            "    cmd:\n"
                            "    - python src/train.py data/prepared model.pkl\n"
                            "    - echo \"done\"\n"
                            "    deps:\n"
                            "    - path: data/prepared\n"
                            "      hash: md5\n"
                            "      md5: 153aad06d376b6595932470e459ef42a.dir\n"
                            "      size: 8437363\n"
                            "      nfiles: 2\n"
                            "    - path: src/train.py\n"
                            "      hash: md5\n"
                            "      md5: c3961d777cfbd7727f9fde4851896006\n"
                            "      size: 967\n"
                            "    params:\n"
                            "      params.yaml:\n"
                            "        train.n_est: 50\n"
                            "        train.seed: 20170428\n"
                            "      conf/model.json:\n"
                            "        layers: [64, 32]\n"
                            "        name: \"gbm \\\"v2\\\"\"\n"
                            "    outs:\n"
                            "    - path: model.pkl\n"
                            "      hash: md5\n"
                            "      md5: 9c6b4ef6e8a2a8a9e5bd5f4fa2dfd6a4\n"
                            "      size: 1839433\n"
                            "      isexec: false\n";

/* DVC 2.x: no "hash" key */
static const char lock2[] = "schema: '2.0'\n"
                            "stages:\n"
                            "  featurize:\n"
                            "    cmd: python featurization.py data/prepared data/features\n"
                            "    deps:\n"
                            "    - path: data/prepared\n"
                            "      md5: 153aad06d376b6595932470e459ef42a.dir\n"
                            "      size: 8437363\n"
                            "      nfiles: 2\n"
                            "    - path: featurization.py\n"
                            "      md5: e0265fc22f056a4b86d85c3056bc2894\n"
                            "      size: 2490\n"
                            "    outs:\n"
                            "    - path: data/features\n"
                            "      md5: f35d4cc2c552ac959ae602162b8543f3.dir\n"
                            "      size: 2232588\n"
                            "      nfiles: 2\n";

static bw_stage_run *parse(const char *text, size_t *n, const bw_dvc_opts *o, bw_error *err)
{
    bw_stage_run *runs = NULL;
    bw_error_clear(err);
    if (bw_dvc_lock_parse(text, strlen(text), "dvc.lock", o, &runs, n, err) != BW_OK) {
        tap_diag("parse failed: %s", err->msg);
        return NULL;
    }
    return runs;
}

static void test_dvc3(void)
{
    bw_dvc_opts o = BW_DVC_OPTS_INIT;
    bw_error err = {0};
    size_t n = 0;
    bw_stage_run *r;

    o.actor = "alice";
    o.commit = "0123456789abcdef0123456789abcdef01234567";
    o.time = "2026-11-24T10:00:00Z";
    r = parse(lock3, &n, &o, &err);
    ok(r != NULL, "a DVC 3 dvc.lock parses");
    if (r == NULL) {
        return;
    }
    is_int(n, 2, "two stages");
    is_str(r[0].stage, "prepare", "stage 1 name");
    is_int(r[0].n_command, 3, "command: sh -c CMD");
    is_str(r[0].command[0], "sh", "argv[0]");
    is_str(r[0].command[1], "-c", "argv[1]");
    is_str(r[0].command[2], "python src/prepare.py data/data.xml", "argv[2]: DVC's cmd");
    is_int(r[0].n_inputs, 2, "two deps");
    is_str(r[0].inputs[0].name, "data/data.xml", "dep path");
    is_str(r[0].inputs[0].digest.d[0].alg, "md5", "digest algorithm md5");
    is_str(r[0].inputs[0].digest.d[0].hex, "22a1a2931c8370d3aeedd7183606fd7f", "dep md5");
    is_int(r[0].inputs[0].size, 14445097, "dep size");
    is_int(r[0].inputs[0].nfiles, 0, "a file: nfiles 0");
    is_str(r[0].inputs[1].digest.d[0].hex, "f09ea0c15980b43010257ccb9f0055e2", "upper-case md5 lower-cased");
    is_int(r[0].n_outputs, 1, "one out");
    is_str(r[0].outputs[0].name, "data/prepared", "out path");
    is_str(r[0].outputs[0].digest.d[0].hex, "153aad06d376b6595932470e459ef42a", "directory md5 without .dir");
    is_int(r[0].outputs[0].nfiles, 2, "directory nfiles");
    is_int(r[0].outputs[0].size, 8437363, "directory size");
    is_int(r[0].parameters_digest.n, 1, "a parameters digest");
    is_str(r[0].parameters_digest.d[0].alg, "sha256", "sha256");
    is_str(r[0].parameters_digest.d[0].hex, "0bfd03f1cf180d32f85938f85416e131e6c5eda76ffe1943e49c44d2babee935",
           "over the params' canonical JSON (Python gives the same)");
    is_str(r[0].run_id, "dvc-96459a3fd36e9264ac1689e4e533a10f", "run id derived from the stage's content");
    is_str(r[0].actor, "alice", "actor from the options");
    is_str(r[0].commit, "0123456789abcdef0123456789abcdef01234567", "commit from the options");
    is_str(r[0].time, "2026-11-24T10:00:00Z", "time from the options");
    ok(r[0].started == NULL && r[0].ended == NULL && r[0].exit_status == 0 && r[0].n_environment == 0,
       "no start, end or environment; exit status 0");

    is_str(r[1].stage, "train@small", "a foreach stage keeps DVC's name");
    is_str(r[1].command[2], "python src/train.py data/prepared model.pkl && echo \"done\"",
           "a list of commands joined with &&");
    is_str(r[1].parameters_digest.d[0].hex, "95f9cae9060873dad730c3f6f01c4c7482cf8f0cba3aa020c704ffe7ce0f0cc3",
           "params of two files, a list and an escaped string");
    is_str(r[1].run_id, "dvc-33d8fef3635c9f32b4f548b660dff851", "second run id");
    is_str(r[1].outputs[0].name, "model.pkl", "output");
    is_int(r[1].outputs[0].size, 1839433, "its size");

    /* the records are valid entries: write, parse back */
    bw_buf j = BW_BUF_INIT(1 << 20), j2 = BW_BUF_INIT(1 << 20);
    bw_stage_run *back = NULL;
    ok(bw_stage_run_write_json(&r[1], &j) == BW_OK, "a DVC run written as an entry");
    ok(bw_stage_run_parse(j.ptr, j.len, "entry", &back, &err) == BW_OK, "which the entry parser accepts (%s)", err.msg);
    ok(back != NULL && bw_stage_run_write_json(back, &j2) == BW_OK && j.len == j2.len &&
           memcmp(j.ptr, j2.ptr, j.len) == 0,
       "unchanged");
    like(j.ptr, "\"digest\":{\"md5\":\"153aad06d376b6595932470e459ef42a\"},\"size\":8437363,\"nfiles\":2",
         "md5 digests and nfiles kept");
    bw_stage_run_free(back);
    bw_buf_release(&j);
    bw_buf_release(&j2);

    /* and export: a link's materials, an OpenLineage dataset version */
    bw_buf ol = BW_BUF_INIT(1 << 20);
    bw_export_opts eo = BW_EXPORT_OPTS_INIT;
    eo.event_time = "2026-11-24T10:00:00Z";
    ok(bw_export_openlineage(&r[1], &eo, &ol, &err) == BW_OK &&
           strstr(ol.ptr, "\"datasetVersion\":\"md5:9c6b4ef6e8a2a8a9e5bd5f4fa2dfd6a4\"") != NULL,
       "OpenLineage names the version by md5");
    bw_buf_release(&ol);
    bw_stage_runs_free(r, n);
}

static void test_dvc2(void)
{
    bw_error err = {0};
    size_t n = 0;
    bw_stage_run *r = parse(lock2, &n, NULL, &err);

    ok(r != NULL && n == 1, "a DVC 2 dvc.lock (no hash key) parses");
    if (r == NULL) {
        return;
    }
    is_str(r[0].stage, "featurize", "stage");
    is_str(r[0].actor, "dvc", "default actor");
    ok(r[0].commit == NULL && r[0].time == NULL && r[0].parameters_digest.n == 0, "no commit, time or params");
    is_str(r[0].inputs[1].digest.d[0].hex, "e0265fc22f056a4b86d85c3056bc2894", "md5");
    is_str(r[0].run_id, "dvc-65efa995bf74f637e5d5de7a708e408d", "run id");
    bw_stage_runs_free(r, n);

    /* a lock file with no stages */
    r = (bw_stage_run *)1;
    ok(bw_dvc_lock_parse("schema: '2.0'\nstages: {}\n", 25, "x", NULL, &r, &n, &err) == BW_OK && n == 0 && r == NULL,
       "no stages: no runs");
}

static void test_invalid(void)
{
    static const struct {
        const char *text, *want;
        bw_status rc;
    } cases[] = {
        {"", "empty file", BW_EFORMAT},
        {"- a\n", "dvc.lock:1:1: a dvc.lock is a mapping", BW_EFORMAT},
        {"prepare:\n  cmd: x\n  deps:\n    data.xml: 22a1a2931c8370d3aeedd7183606fd7f\n", "DVC 1.x", BW_EUNSUPPORTED},
        {"schema: '3.0'\nstages: {}\n", "dvc.lock:1:9: schema '3.0' is not supported", BW_EUNSUPPORTED},
        {"schema: '2.0'\nstages: {}\nextra: 1\n", "dvc.lock:3:1: unknown key 'extra'", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    frozen: true\n",
         "dvc.lock:5:5: unknown key 'frozen' in a stage", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    deps: []\n", "dvc.lock:3:3: stage 'a' has no cmd", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: []\n", "dvc.lock:4:10: cmd is an empty list", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: {x: 1}\n", "dvc.lock:4:10: cmd must be text", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    deps:\n    - md5: 22a1a2931c8370d3aeedd7183606fd7f\n",
         "dvc.lock:6:7: a dependency or output without a path", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    deps:\n    - path: f\n      md5: 22a1\n",
         "dvc.lock:7:12: md5 '22a1' is not 32 hex digits", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    deps:\n    - path: f\n      md5: "
         "22a1a2931c8370d3aeedd7183606fd7g\n",
         "is not 32 hex digits", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: f\n      md5: "
         "22a1a2931c8370d3aeedd7183606fd7f\n      size: '12'\n",
         "dvc.lock:8:13: size must be a non-negative integer", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: f\n      md5: "
         "22a1a2931c8370d3aeedd7183606fd7f\n      size: -1\n",
         "size must be a non-negative integer", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: f\n      md5: "
         "22a1a2931c8370d3aeedd7183606fd7f\n      colour: red\n",
         "dvc.lock:8:7: unknown key 'colour'", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    deps:\n    - path: s3://bucket/f\n      etag: abc\n",
         "dvc.lock:6:13: 's3://bucket/f' has no md5 (remote dependencies are not imported)", BW_EUNSUPPORTED},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    deps:\n    - path: f\n      hash: sha256\n      md5: "
         "22a1a2931c8370d3aeedd7183606fd7f\n",
         "dvc.lock:7:13: hash 'sha256' is not supported", BW_EUNSUPPORTED},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    deps:\n    - path: f\n      md5: "
         "22a1a2931c8370d3aeedd7183606fd7f\n    - path: f\n      md5: 22a1a2931c8370d3aeedd7183606fd7f\n",
         "dvc.lock:8:7: 'f' is listed twice", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n  a:\n    cmd: y\n", "dvc.lock:5:3: duplicate key 'a'", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a: &s\n    cmd: x\n  b: *s\n", "dvc.lock:5:6: aliases (*s) are not supported",
         BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a: !!python/object:os.system\n    cmd: x\n", "tag 'tag:yaml.org,2002:python",
         BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a: !custom\n    cmd: x\n", "dvc.lock:3:6: tag '!custom' is not supported",
         BW_EFORMAT},
        {"schema: '2.0'\n---\nschema: '2.0'\n", "more than one YAML document", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: \"x\\0y\"\n", "dvc.lock:4:10: a NUL character", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n\ta:\n", "dvc.lock:3:1: found character that cannot start any token", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  ? [a, b]\n  : {cmd: x}\n", "dvc.lock:3:5: mapping keys must be plain text",
         BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\n    params:\n      params.yaml: 3\n",
         "dvc.lock:6:20: a params file's values must be a mapping", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  '':\n    cmd: x\n", "dvc.lock:3:3: an empty stage name", BW_EFORMAT},
        {"schema: '2.0'\nstages:\n  a:\n    cmd: x\xff\n", "dvc.lock: byte 37: invalid leading UTF-8 octet",
         BW_EFORMAT},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        bw_stage_run *r = (bw_stage_run *)1;
        size_t n = 7;
        bw_error err = {0};
        bw_status rc = bw_dvc_lock_parse(cases[i].text, strlen(cases[i].text), "dvc.lock", NULL, &r, &n, &err);
        ok(rc == cases[i].rc && r == NULL && n == 0 && strstr(err.msg, cases[i].want) != NULL, "invalid %zu: %s", i,
           err.msg);
        if (rc == BW_OK) {
            bw_stage_runs_free(r, n);
        }
    }

    /* limits: nesting past 32 levels; options */
    char deep[512];
    size_t o = 0;
    o += (size_t)snprintf(deep + o, sizeof(deep) - o, "schema: '2.0'\nstages: ");
    for (int i = 0; i < 40; i++) {
        deep[o++] = '[';
    }
    deep[o] = '\0';
    bw_stage_run *r = NULL;
    size_t n = 0;
    bw_error err = {0};
    is_int(bw_dvc_lock_parse(deep, o, "deep.lock", NULL, &r, &n, &err), BW_ELIMIT, "nesting over 32 levels");
    like(err.msg, "nested more than 32 levels", "message: %s", err.msg);
    bw_dvc_opts bad = BW_DVC_OPTS_INIT;
    bad.commit = "main";
    is_int(bw_dvc_lock_parse(lock2, strlen(lock2), "x", &bad, &r, &n, &err), BW_EINVAL, "a commit that is not hex");
    bad.commit = NULL;
    bad.version = 0;
    is_int(bw_dvc_lock_parse(lock2, strlen(lock2), "x", &bad, &r, &n, &err), BW_EINVAL, "an unknown options version");

    /* allocation failures: BW_ENOMEM, never a crash or a leak (ASan checks) */
    int nomem = 0, parsed = 0;
    for (long k = 0; k < 2000 && !parsed; k++) {
        bw_alloc_fail_after(k);
        bw_error_clear(&err);
        bw_status rc = bw_dvc_lock_parse(lock3, strlen(lock3), "dvc.lock", NULL, &r, &n, &err);
        bw_alloc_fail_after(-1);
        if (rc == BW_OK) {
            parsed = 1;
            bw_stage_runs_free(r, n);
        } else {
            nomem += rc == BW_ENOMEM;
        }
    }
    ok(parsed && nomem > 20, "allocation failures give BW_ENOMEM (%d times), then it parses", nomem);
}

int main(void)
{
    test_dvc3();
    test_dvc2();
    test_invalid();
    return done_testing();
}
