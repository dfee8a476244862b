/*
 * intoto_gen.c - writes a two-step pipeline's in-toto layout and links with
 * bulwark's exporters (lib/trust/export.c), for run.sh to check with
 * Debian's in-toto-verify (an independent implementation: in-toto 1.3.1 on
 * securesystemslib).
 *
 * usage: intoto_gen DIR OWNER [mismatch]
 *   DIR    an empty directory; gets raw.csv, data.csv, model.bin,
 *          root.layout, owner.pub and <step>.<keyid8>.link files
 *   OWNER  ed25519 or p256: the layout owner's key type
 *   mismatch: the train step records a data.csv that is not the one
 *          prepare produced (signatures valid, artifact rules broken)
 *
 * Steps: prepare (raw.csv -> data.csv), signed by a P-256 functionary, with
 * an argv holding a newline, quotes and a backslash (canonical JSON keeps
 * them raw); train (data.csv -> model.bin), signed by an Ed25519 one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/bulwark.h"

static void die(const char *what, const bw_error *err)
{
    fprintf(stderr, "intoto_gen: %s: %s\n", what, err != NULL ? err->msg : "");
    exit(2);
}

static void put(const char *dir, const char *name, const char *data, size_t n)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        die(path, NULL);
    }
}

/* An artifact named `name` in dir: its SHA-256 and size. */
static void artifact(const char *dir, char *name, bw_artifact_ref *a)
{
    char path[4096], hex[BW_DIGEST_HEX_MAX];
    bw_digest d;
    uint64_t size;
    bw_error err = {0};

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (bw_digest_file(path, BW_ALGO_SHA256, &d, &size, &err) != BW_OK) {
        die(path, &err);
    }
    bw_digest_hex(&d, hex);
    memset(a, 0, sizeof(*a));
    a->name = name;
    a->digest.n = 1;
    snprintf(a->digest.d[0].alg, sizeof(a->digest.d[0].alg), "sha256");
    snprintf(a->digest.d[0].hex, sizeof(a->digest.d[0].hex), "%s", hex);
    a->size = size;
}

static void write_link(const char *dir, const bw_stage_run *r, const bw_key *k)
{
    bw_buf out = BW_BUF_INIT(1 << 24);
    bw_error err = {0};
    char kid[65], name[256];

    if (bw_export_intoto_link(r, k, &out, &err) != BW_OK || bw_export_intoto_keyid(k, kid, &err) != BW_OK) {
        die("link", &err);
    }
    snprintf(name, sizeof(name), "%s.%.8s.link", r->stage, kid);
    put(dir, name, out.ptr, out.len);
    bw_buf_release(&out);
}

int main(int argc, char **argv)
{
    bw_key *owner = NULL, *f1 = NULL, *f2 = NULL;
    bw_error err = {0};
    bw_artifact_ref raw, data, data_seen, model;
    bw_buf out = BW_BUF_INIT(1 << 24);
    char expires[32];
    struct tm tm;
    time_t t = time(NULL) + 86400;

    if (argc < 3) {
        fprintf(stderr, "usage: intoto_gen DIR ed25519|p256 [mismatch]\n");
        return 2;
    }
    const char *dir = argv[1];
    int mismatch = argc > 3 && strcmp(argv[3], "mismatch") == 0;
    if (bw_key_generate(strcmp(argv[2], "p256") == 0 ? BW_KEY_P256 : BW_KEY_ED25519, &owner, &err) != BW_OK ||
        bw_key_generate(BW_KEY_P256, &f1, &err) != BW_OK || bw_key_generate(BW_KEY_ED25519, &f2, &err) != BW_OK) {
        die("keys", &err);
    }
    put(dir, "raw.csv", "id,value\n1,10\n2,20\n", 19);
    put(dir, "data.csv", "id,value\n1,10\n", 14);
    put(dir, "model.bin", "\x00\x01weights\xff", 11);
    static char n_raw[] = "raw.csv", n_data[] = "data.csv", n_model[] = "model.bin";
    artifact(dir, n_raw, &raw);
    artifact(dir, n_data, &data);
    artifact(dir, n_model, &model);
    data_seen = data;
    if (mismatch) {
        data_seen.digest.d[0].hex[0] = data_seen.digest.d[0].hex[0] == '0' ? '1' : '0';
    }

    /* the record's strings are not const (records own them); these are never written */
    static char py[] = "python3", prep[] = "prepare.py", note[] = "--note", text[] = "line one\nline \"two\" \\ end",
                train[] = "train.py", epochs[] = "--epochs", three[] = "3", k1[] = "PYTHONHASHSEED", v1[] = "0",
                k2[] = "SEED", v2[] = "7", s1[] = "prepare", s2[] = "train", id1[] = "run-prepare-1",
                id2[] = "run-train-1", ci[] = "ci", t0[] = "2026-11-24T10:00:00Z", t1[] = "2026-11-24T10:00:01Z",
                commit[] = "0123456789abcdef0123456789abcdef01234567";
    char *cmd1[] = {py, prep, note, text};
    char *cmd2[] = {py, train, epochs, three};
    bw_env_var env[] = {{k1, v1}, {k2, v2}};
    bw_stage_run runs[2] = {
        {.stage = s1,
         .run_id = id1,
         .inputs = &raw,
         .n_inputs = 1,
         .outputs = &data,
         .n_outputs = 1,
         .command = cmd1,
         .n_command = 4,
         .environment = env,
         .n_environment = 2,
         .actor = ci,
         .started = t0,
         .ended = t1},
        {.stage = s2,
         .run_id = id2,
         .inputs = &data_seen,
         .n_inputs = 1,
         .outputs = &model,
         .n_outputs = 1,
         .command = cmd2,
         .n_command = 4,
         .actor = ci,
         .commit = commit},
    };
    const bw_key *fk[2] = {f1, f2};

    if (gmtime_r(&t, &tm) == NULL || strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        die("time", NULL);
    }
    if (bw_export_intoto_layout(runs, 2, fk, owner, expires, &out, &err) != BW_OK) {
        die("layout", &err);
    }
    put(dir, "root.layout", out.ptr, out.len);
    bw_buf_reset(&out);
    if (bw_export_intoto_pubkey(owner, &out, &err) != BW_OK) {
        die("owner key", &err);
    }
    put(dir, "owner.pub", out.ptr, out.len);
    write_link(dir, &runs[0], f1);
    write_link(dir, &runs[1], f2);
    bw_buf_release(&out);
    bw_key_free(owner);
    bw_key_free(f1);
    bw_key_free(f2);
    return 0;
}
