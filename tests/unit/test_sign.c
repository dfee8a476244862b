/*
 * test_sign.c - signing and verifying paths (lib/trust/sign.c):
 *   - the statement is byte for byte model_signing's golden payload for each
 *     of its fixture models (files, shards of 1e9 and of 8 bytes);
 *   - round trips with every key type, files and shard mode, ignore paths,
 *     empty files, the signature kept inside the model;
 *   - every change is named (modified, added, removed), a wrong key, a
 *     non-in-toto payload, a signed but inconsistent statement all fail;
 *   - model_signing's own signatures and the generated OMS vector verify
 *     against their models, and the ones meant to fail fail;
 *   - incremental sign and verify (the stat cache): unchanged files are
 *     reused, counted; a change that keeps size and mtime is still caught
 *     (ctime); forged caches (digests or paths swapped, another signature,
 *     another key, racy entries) and corrupt ones are not trusted.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/bw_bundle.h"
#include "bulwark/bw_sign.h"
#include "tap.h"
#include "testutil.h"
#include "trust/statcache.h"
#include "util/internal.h"

static const char *shared_dir(void)
{
    static char dir[4096];
    const char *s = getenv("BW_SHARED_DIR");
    struct stat st;

    snprintf(dir, sizeof(dir), "%s/vectors/provenance", s != NULL ? s : "../shared");
    return stat(dir, &st) == 0 ? dir : NULL;
}

/* model-transparency's conftest.py fixtures, under the names its goldens carry. */
static char *fixture(const char *base, const char *kind)
{
    char rel[64], text[64];
    char *root;

    if (strcmp(kind, "sample_model_file") == 0 || strcmp(kind, "empty_model_file") == 0) {
        const char *fname = kind[0] == 's' ? "file_model" : "empty_file_model";
        tu_write_str(base, fname, kind[0] == 's' ? "This is a simple model" : "");
        return tu_join(base, fname);
    }
    if (strcmp(kind, "sample_model_folder") == 0) {
        root = tu_join(base, "sample_model");
        mkdir(root, 0755);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                snprintf(rel, sizeof(rel), "d%d/f%d%d", i, i, j);
                snprintf(text, sizeof(text), "This is file f%d%d in d%d.", i, j, i);
                tu_write_str(root, rel, text);
            }
        }
        for (int i = 0; i < 4; i++) {
            snprintf(rel, sizeof(rel), "f%d", i);
            snprintf(text, sizeof(text), "This is file f%d in root.", i);
            tu_write_str(root, rel, text);
        }
    } else if (strcmp(kind, "deep_model_folder") == 0) {
        root = tu_join(base, "deep_model");
        mkdir(root, 0755);
        for (int i = 0; i < 4; i++) {
            snprintf(rel, sizeof(rel), "d0/d1/d2/d3/d4/f%d", i);
            snprintf(text, sizeof(text), "This is file f%d.", i);
            tu_write_str(root, rel, text);
        }
    } else if (strcmp(kind, "model_folder_with_empty_file") == 0) {
        root = tu_join(base, "empty_file_inside_model");
        mkdir(root, 0755);
        tu_write_str(root, "empty_file", "");
    } else {
        root = tu_join(base, "empty_folder_model");
        mkdir(root, 0755);
    }
    return root;
}

static void test_goldens(void)
{
    static const char *const kinds[] = {"sample_model_folder", "deep_model_folder", "model_folder_with_empty_file",
                                        "empty_model_folder",  "sample_model_file", "empty_model_file"};
    static const struct {
        const char *suffix;
        uint64_t shard;
    } modes[] = {{"", 0}, {"_shard", 1000000000}, {"_small_shards", 8}};
    const char *dir = shared_dir();
    char golden_dir[4400];

    if (dir == NULL) {
        skip(1, "model-transparency goldens not found (../shared/vectors/provenance absent)");
        return;
    }
    snprintf(golden_dir, sizeof(golden_dir), "%s/model-transparency/tests/_signing/testdata/signing/TestPayload", dir);
    for (size_t k = 0; k < BW_ARRAY_LEN(kinds); k++) {
        char *base = tu_tmpdir(), *path = fixture(base, kinds[k]);
        for (size_t md = 0; md < BW_ARRAY_LEN(modes); md++) {
            bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
            bw_manifest *m = NULL;
            bw_buf out = BW_BUF_INIT(1 << 20);
            bw_error err = {0};
            char gname[128];
            size_t glen = 0;

            snprintf(gname, sizeof(gname), "%s%s", kinds[k], modes[md].suffix);
            char *gpath = tu_join(golden_dir, gname), *golden = tu_read(gpath, &glen);
            mo.shard_size = modes[md].shard;
            mo.no_default_ignores = 1; /* the goldens were made without ignore paths */
            ok(bw_manifest_build(&m, path, &mo, &err) == BW_OK, "%s: manifest (%s)", gname, err.msg);
            if (m != NULL) {
                m->allow_symlinks = 1; /* the goldens' serializer allowed symlinks */
                ok(bw_sign_statement(m, &out, &err) == BW_OK, "%s: statement", gname);
                /* the golden is MessageToJson's text plus the newline the test writer added */
                ok(golden != NULL && glen > 0 && out.len == glen - 1 && memcmp(out.ptr, golden, out.len) == 0,
                   "%s: byte for byte model_signing's payload (%zu bytes)", gname, out.len);
                if (golden != NULL && (out.len != glen - 1 || memcmp(out.ptr, golden, out.len) != 0)) {
                    tap_diag("ours:\n%s", out.ptr);
                }
            }
            bw_manifest_free(m);
            bw_buf_release(&out);
            free(gpath);
            free(golden);
        }
        tu_rm_rf(base);
        free(base);
        free(path);
    }
}

static bw_key *pub_of(const bw_key *k)
{
    bw_buf pem = BW_BUF_INIT(1 << 16);
    bw_key *pub = NULL;
    bw_error err = {0};

    if (bw_key_public_pem(k, &pem) != BW_OK || bw_key_from_pem(pem.ptr, pem.len, "pub", &pub, &err) != BW_OK) {
        pub = NULL;
    }
    bw_buf_release(&pem);
    return pub;
}

static bw_status verify(const char *path, const bw_buf *bundle, const bw_key *k, const char *sig, bw_verify_result *r,
                        bw_error *err)
{
    bw_verify_opts vo = BW_VERIFY_OPTS_INIT;
    const bw_key *keys[1] = {k};

    vo.signature = sig;
    bw_error_clear(err);
    return bw_verify_path(path, bundle->ptr, bundle->len, "model.sig", keys, 1, &vo, r, err);
}

/* "kind:name" of every change, joined by spaces. */
static const char *changes(const bw_verify_result *r)
{
    static char buf[512];
    size_t at = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < r->diff.n && at < sizeof(buf); i++) {
        static const char *const kn[] = {"added", "removed", "modified"};
        at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s:%s", i ? " " : "", kn[r->diff.items[i].kind],
                               r->diff.items[i].name);
    }
    return buf;
}

static void test_round_trips(void)
{
    static const bw_key_type types[] = {BW_KEY_P256, BW_KEY_P384, BW_KEY_P521, BW_KEY_ED25519};
    static const uint64_t shards[] = {0, 5};

    for (size_t t = 0; t < BW_ARRAY_LEN(types); t++) {
        for (size_t s = 0; s < BW_ARRAY_LEN(shards); s++) {
            const char *kn = bw_key_type_name(types[t]);
            const char *mode = shards[s] ? "shards" : "files";
            char *base = tu_tmpdir(), *model = tu_join(base, "model"), *sig = tu_join(model, "model.sig");
            bw_key *k = NULL, *pub = NULL, *other = NULL;
            bw_buf bundle = BW_BUF_INIT(1 << 20);
            bw_sign_opts so = BW_SIGN_OPTS_INIT;
            bw_manifest *m = NULL;
            bw_verify_result r;
            bw_error err = {0};
            static const char *const excl[] = {"cache", "*.tmp"};

            mkdir(model, 0755);
            tu_write_str(model, "weights.bin", "0123456789abcdef");
            tu_write_str(model, "sub/config.json", "{}");
            tu_write_str(model, "sub/empty", "");
            tu_write_str(model, "a.b", "dot");
            tu_write_str(model, "a/b", "slash");
            tu_write_str(model, "cache/x", "not signed");
            tu_write_str(model, "sub/cache", "signed: only the top-level cache is excluded");
            tu_write_str(model, "scratch.tmp", "not signed");
            tu_write_str(model, ".gitignore", "default-ignored");
            tu_write_str(model, "model.sig", "an old signature, ignored");
            ok(bw_key_generate(types[t], &k, &err) == BW_OK && (pub = pub_of(k)) != NULL &&
                   bw_key_generate(types[t], &other, &err) == BW_OK,
               "%s/%s: keys", kn, mode);
            so.shard_size = shards[s];
            so.excludes = excl;
            so.n_excludes = 2;
            so.signature = sig;
            is_int(bw_sign_path(model, k, &so, &bundle, &m, &err), BW_OK, "%s/%s: signs (%s)", kn, mode, err.msg);
            if (m == NULL) {
                goto next;
            }
            /* a/b before a.b (components), the empty file only in files mode */
            is_int(m->n_files, shards[s] ? 5 : 6, "%s/%s: files signed", kn, mode);
            ok(strcmp(m->entries[0].name, "a/b") == 0 && strcmp(m->entries[1].name, "a.b") == 0,
               "%s/%s: component order", kn, mode);
            is_int(m->n_ignore, 7, "%s/%s: ignore paths recorded", kn, mode);
            ok(m->n_ignore == 7 && strcmp(m->ignore_paths[0], "cache") == 0 &&
                   strcmp(m->ignore_paths[1], "*.tmp") == 0 && strcmp(m->ignore_paths[2], "model.sig") == 0 &&
                   strcmp(m->ignore_paths[3], ".git") == 0,
               "%s/%s: as model_signing records them (relative, signature included)", kn, mode);
            {
                FILE *f = fopen(sig, "wb");
                if (f != NULL) {
                    fwrite(bundle.ptr, 1, bundle.len, f);
                    fclose(f);
                }
            }
            is_int(verify(model, &bundle, pub, sig, &r, &err), BW_OK, "%s/%s: verifies (%s)", kn, mode, err.msg);
            ok(r.signature_ok && r.key_index == 0 && r.diff.n == 0 && r.diff.n_same == m->n_files,
               "%s/%s: every file matches", kn, mode);
            bw_verify_result_release(&r);

            /* changes are named */
            tu_write_str(model, "sub/config.json", "{\"x\":1}");
            tu_write_str(model, "sub/new", "n");
            tu_write_str(model, "cache/y", "excluded, so not added");
            {
                char *gone = tu_join(model, "a.b");
                unlink(gone);
                free(gone);
            }
            is_int(verify(model, &bundle, pub, sig, &r, &err), BW_EVERIFY, "%s/%s: changed model fails", kn, mode);
            is_str(changes(&r), "removed:a.b modified:sub/config.json added:sub/new", "%s/%s: %s", kn, mode, err.msg);
            like(err.msg, "1 modified, 1 added, 1 removed", "%s/%s: the message counts them", kn, mode);
            bw_verify_result_release(&r);

            /* a wrong key: no manifest, nothing compared */
            is_int(verify(model, &bundle, other, sig, &r, &err), BW_EVERIFY, "%s/%s: another key fails", kn, mode);
            ok(!r.signature_ok && r.signed_manifest == NULL && r.actual == NULL, "%s/%s: and reads nothing", kn, mode);
            like(err.msg, "no signature verifies", "%s/%s: %s", kn, mode, err.msg);
            bw_verify_result_release(&r);
        next:
            bw_manifest_free(m);
            bw_buf_release(&bundle);
            bw_key_free(k);
            bw_key_free(pub);
            bw_key_free(other);
            tu_rm_rf(base);
            free(base);
            free(model);
            free(sig);
        }
    }
}

static void test_refusals(void)
{
    char *base = tu_tmpdir(), *model = tu_join(base, "m");
    bw_key *k = NULL, *pub = NULL;
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_verify_result r;
    bw_error err = {0};

    mkdir(model, 0755);
    tu_write_str(model, "f", "x");
    ok(bw_key_generate(BW_KEY_P256, &k, &err) == BW_OK && (pub = pub_of(k)) != NULL, "keys");
    is_int(bw_sign_path(model, pub, NULL, &b, NULL, &err), BW_EINVAL, "a public key does not sign: %s", err.msg);

    /* signed, but not an in-toto payload */
    bw_buf_reset(&b);
    ok(bw_bundle_sign("text/plain", "hi", 2, k, &b, &err) == BW_OK, "a text bundle");
    is_int(verify(model, &b, pub, NULL, &r, &err), BW_EVERIFY, "a non-in-toto payload fails");
    ok(r.signature_ok && r.signed_manifest == NULL, "after the signature verified");
    like(err.msg, "'text/plain', not an in-toto statement", "%s", err.msg);
    bw_verify_result_release(&r);

    /* signed, in-toto type, but sha256sum lines: never read as a manifest */
    bw_buf_reset(&b);
    const char *sums = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  f\n";
    ok(bw_bundle_sign("application/vnd.in-toto+json", sums, strlen(sums), k, &b, &err) == BW_OK, "a sums bundle");
    is_int(verify(model, &b, pub, NULL, &r, &err), BW_EFORMAT, "a signed payload that is not a statement: %s", err.msg);
    bw_verify_result_release(&r);

    /* signed, but its subject digest does not match its resources */
    bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
    bw_manifest *m = NULL;
    bw_buf st = BW_BUF_INIT(1 << 20);
    ok(bw_manifest_build(&m, model, &mo, &err) == BW_OK && bw_sign_statement(m, &st, &err) == BW_OK, "statement");
    char *d = st.ptr != NULL ? strstr(st.ptr, "\"sha256\": \"") : NULL;
    if (d != NULL) {
        d[11] = d[11] == '0' ? '1' : '0';
    }
    bw_buf_reset(&b);
    ok(bw_bundle_sign("application/vnd.in-toto+json", st.ptr, st.len, k, &b, &err) == BW_OK, "sign the edited one");
    is_int(verify(model, &b, pub, NULL, &r, &err), BW_EFORMAT, "an inconsistent statement: %s", err.msg);
    bw_verify_result_release(&r);

    /* no algorithm but SHA-256 is signed; no absurd shard size */
    m->algo = BW_ALGO_BLAKE2B;
    bw_buf_reset(&st);
    is_int(bw_sign_statement(m, &st, &err), BW_EUNSUPPORTED, "a BLAKE2b manifest is not signed: %s", err.msg);
    m->algo = BW_ALGO_SHA256;
    m->shard_size = ((uint64_t)1 << 53) + 1;
    is_int(bw_sign_statement(m, &st, &err), BW_EUNSUPPORTED, "a shard size over 2^53: %s", err.msg);
    m->shard_size = 0;
    bw_manifest_free(m);
    bw_buf_release(&st);

    /* malformed bundles are format errors, not verification failures */
    bw_buf_reset(&b);
    bw_buf_addstr(&b, "{\"mediaType\":\"x\"}");
    is_int(verify(model, &b, pub, NULL, &r, &err), BW_EFORMAT, "a malformed bundle: %s", err.msg);
    bw_verify_result_release(&r);

    /* a missing model */
    bw_buf_reset(&b);
    bw_sign_opts so = BW_SIGN_OPTS_INIT;
    ok(bw_sign_path(model, k, &so, &b, NULL, &err) == BW_OK, "sign");
    char *gone = tu_join(base, "nope");
    is_int(verify(gone, &b, pub, NULL, &r, &err), BW_ENOTFOUND, "a missing path: %s", err.msg);
    bw_verify_result_release(&r);
    free(gone);

    bw_buf_release(&b);
    bw_key_free(k);
    bw_key_free(pub);
    tu_rm_rf(base);
    free(base);
    free(model);
}

static bw_key *key_file(const char *path)
{
    size_t n = 0;
    char *pem = tu_read(path, &n);
    bw_key *k = NULL;
    bw_error err = {0};

    if (pem == NULL || bw_key_from_pem(pem, n, path, &k, &err) != BW_OK) {
        k = NULL;
    }
    free(pem);
    return k;
}

static void test_vectors(void)
{
    const char *dir = shared_dir();
    char path[4600], model[4400], keyp[4400];

    if (dir == NULL) {
        skip(1, "provenance vectors not found (../shared/vectors/provenance absent)");
        return;
    }
    snprintf(keyp, sizeof(keyp), "%s/model-transparency/scripts/tests/keys/certificate/signing-key-pub.pem", dir);
    bw_key *p384 = key_file(keyp);
    ok(p384 != NULL, "model_signing's P-384 test key");
    static const struct {
        const char *rel, *target, *exclude;
        bw_status rc;
        int sig_ok;
    } ms[] = {
        {"v1.1.0-elliptic-key", "", NULL, BW_OK, 1},
        {"v1.1.0-certificate", "", NULL, BW_OK, 1}, /* the leaf's key verifies it */
        {"v1.0.0-certificate", "", NULL, BW_OK, 1},
        {"v1.0.1-elliptic-key", "", "/ignore-me", BW_OK, 1},
        {"v1.0.1-elliptic-key", "", NULL, BW_EVERIFY, 1}, /* ignore-me was left out but not recorded */
        {"v1.0.0-elliptic-key", "/signme-1", NULL, BW_OK, 1},
        {"v0.3.1-elliptic-key", "/signme-1", NULL, BW_OK, 1},
        {"v1.1.0-sigstore", "", NULL, BW_EVERIFY, 0},    /* keyless: not this key */
        {"v0.2.0-certificate", "", NULL, BW_EVERIFY, 0}, /* pre-1.0 PAE: refused */
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(ms) && p384 != NULL; i++) {
        bw_verify_opts vo = BW_VERIFY_OPTS_INIT;
        const bw_key *keys[1] = {p384};
        const char *const ex[1] = {ms[i].exclude};
        bw_verify_result r;
        bw_error err = {0};
        size_t n = 0;
        snprintf(path, sizeof(path), "%s/model-transparency/scripts/tests/%s/model.sig", dir, ms[i].rel);
        snprintf(model, sizeof(model), "%s/model-transparency/scripts/tests/%s%s", dir, ms[i].rel, ms[i].target);
        char *bundle = tu_read(path, &n);
        vo.signature = path;
        vo.excludes = ex;
        vo.n_excludes = ms[i].exclude != NULL;
        bw_status rc =
            bundle != NULL ? bw_verify_path(model, bundle, n, ms[i].rel, keys, 1, &vo, &r, &err) : BW_ENOTFOUND;
        ok(rc == ms[i].rc && r.signature_ok == ms[i].sig_ok, "model_signing %s%s%s: %s", ms[i].rel, ms[i].target,
           ms[i].exclude ? " -e ignore-me" : "", rc == BW_OK ? "verifies" : err.msg);
        if (i == 4) {
            is_str(changes(&r), "added:ignore-me", "the unrecorded ignored file shows as added");
        }
        bw_verify_result_release(&r);
        free(bundle);
    }
    bw_key_free(p384);

    /* the OMS vector made with openssl + jq, kept inside its model; then tampered copies */
    snprintf(keyp, sizeof(keyp), "%s/generated-here/oms-v1.0-p256/p256.pub", dir);
    snprintf(model, sizeof(model), "%s/generated-here/oms-v1.0-p256/tiny_model", dir);
    snprintf(path, sizeof(path), "%s/model.sig", model);
    bw_key *p256 = key_file(keyp);
    size_t n = 0;
    char *bundle = tu_read(path, &n);
    bw_verify_opts vo = BW_VERIFY_OPTS_INIT;
    const bw_key *keys[1] = {p256};
    bw_verify_result r;
    bw_error err = {0};
    vo.signature = path;
    ok(p256 != NULL && bundle != NULL && bw_verify_path(model, bundle, n, "tiny", keys, 1, &vo, &r, &err) == BW_OK &&
           r.diff.n_same == 3,
       "generated OMS tiny_model verifies (%s)", err.msg);
    bw_verify_result_release(&r);
    if (bundle != NULL && p256 != NULL) {
        char *base = tu_tmpdir(), *copy = tu_join(base, "tiny_model"), cmd[9000];
        snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s' && chmod -R u+w '%s'", model, base, base);
        ok(system(cmd) == 0, "copy the model");
        tu_write_str(copy, "config.json", "changed!");
        ok(bw_verify_path(copy, bundle, n, "tiny", keys, 1, &vo, &r, &err) == BW_EVERIFY &&
               strcmp(changes(&r), "modified:config.json") == 0,
           "a changed file in a copy is named: %s", changes(&r));
        bw_verify_result_release(&r);
        /* flip one character of the payload: the signature no longer verifies */
        char *p = strstr(bundle, "\"payload\": \"ewog");
        ok(p != NULL, "the payload is where the vector has it");
        if (p != NULL) {
            p[30] = p[30] == 'A' ? 'B' : 'A';
        }
        ok(bw_verify_path(copy, bundle, n, "tiny", keys, 1, &vo, &r, &err) == BW_EVERIFY && !r.signature_ok,
           "a tampered payload fails before anything is read: %s", err.msg);
        bw_verify_result_release(&r);
        tu_rm_rf(base);
        free(base);
        free(copy);
    }
    free(bundle);
    bw_key_free(p256);

    /* the generated Sigstore bundles (not OMS): the tampered one fails at the signature */
    static const char *const gen[] = {"bundle.p256.json", "bundle.p256.tampered.json"};
    snprintf(keyp, sizeof(keyp), "%s/generated-here/sigstore-bundle-v0.3-pubkey/p256.pub", dir);
    p256 = key_file(keyp);
    for (size_t i = 0; i < 2 && p256 != NULL; i++) {
        bw_bundle b;
        bw_dsse_verified v;
        const bw_key *kk[1] = {p256};
        snprintf(path, sizeof(path), "%s/generated-here/sigstore-bundle-v0.3-pubkey/%s", dir, gen[i]);
        bundle = tu_read(path, &n);
        ok(bundle != NULL && bw_bundle_parse(bundle, n, gen[i], &b, &err) == BW_OK, "%s reads", gen[i]);
        is_int(bw_bundle_verify(&b, gen[i], kk, 1, &v, &err), i == 0 ? BW_OK : BW_EVERIFY, "%s %s", gen[i],
               i == 0 ? "verifies" : "fails");
        bw_dsse_verified_release(&v);
        bw_bundle_release(&b);
        free(bundle);
    }
    bw_key_free(p256);
}

/* ---- incremental ------------------------------------------------------------------------ */

static const unsigned char cache_key[BW_SIGN_CACHE_KEY_BYTES] = "0123456789abcdef0123456789abcdef";
static int warnings;

static void count_warnings(bw_log_level level, const char *component, const char *msg, void *ud)
{
    (void)component;
    (void)msg;
    (void)ud;
    if (level == BW_LOG_WARN) {
        warnings++;
    }
}

/* Past the coarse clock's tick: files written before now read as older than the next run's clock. */
static void settle(void)
{
    struct timespec t = {0, 30 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static void save(const char *path, const bw_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (f != NULL) {
        fwrite(b->ptr, 1, b->len, f);
        fclose(f);
    }
}

/* Read the cache (with the right key), for forging it the way someone holding the key could. */
static bool cache_read(const char *file, bw_statcache *c)
{
    bw_buf raw = BW_BUF_INIT(1 << 24);
    bw_error err = {0};
    bool ok = bw_file_slurp(file, 0, 1 << 24, &raw, &err) == BW_OK &&
              bw_statcache_parse(raw.ptr, raw.len, cache_key, "c", c, &err) == BW_OK;
    bw_buf_release(&raw);
    return ok;
}

static void cache_write(const char *file, const bw_statcache *c, const unsigned char *key)
{
    bw_buf out = BW_BUF_INIT(1 << 24);
    if (bw_statcache_write(c, key, &out) == BW_OK) {
        save(file, &out);
    }
    bw_buf_release(&out);
}

static bw_status inc_verify(const char *model, const bw_buf *bundle, const bw_key *pub, bw_sign_cache *c,
                            bw_verify_result *r, bw_error *err)
{
    bw_verify_opts vo = BW_VERIFY_OPTS_INIT;
    const bw_key *keys[1] = {pub};
    c->files_reused = c->files_hashed = 0;
    c->ignored = c->written = 0;
    vo.cache = c;
    bw_error_clear(err);
    return bw_verify_path(model, bundle->ptr, bundle->len, "model.sig", keys, 1, &vo, r, err);
}

static void test_incremental(void)
{
    char *base = tu_tmpdir(), *model = tu_join(base, "model"), *sig = tu_join(base, "model.sig"),
         *cfile = tu_join(base, "stat.cache"), *fa = tu_join(model, "a.bin");
    bw_key *k = NULL, *pub = NULL, *other = NULL;
    bw_buf bundle = BW_BUF_INIT(1 << 20), b2 = BW_BUF_INIT(1 << 20);
    bw_sign_opts so = BW_SIGN_OPTS_INIT;
    bw_sign_cache c = {0};
    bw_manifest *m = NULL, *full = NULL;
    bw_verify_result r;
    bw_statcache sc;
    bw_error err = {0};
    struct stat st;

    c.file = cfile;
    c.key = cache_key;
    mkdir(model, 0755);
    tu_write_str(model, "a.bin", "aaaaaaaaaaaaaaaa");
    tu_write_str(model, "b.bin", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    tu_write_str(model, "sub/c.json", "{\"c\": 3}");
    ok(bw_key_generate(BW_KEY_P256, &k, &err) == BW_OK && (pub = pub_of(k)) != NULL &&
           bw_key_generate(BW_KEY_P256, &other, &err) == BW_OK,
       "inc: keys");
    bw_log_set(count_warnings, BW_LOG_WARN, NULL);
    settle();

    /* a first incremental sign hashes everything and writes the cache */
    so.signature = sig;
    so.cache = &c;
    is_int(bw_sign_path(model, k, &so, &bundle, &m, &err), BW_OK, "inc: sign (%s)", err.msg);
    ok(c.files_reused == 0 && c.files_hashed == 3 && c.written && !c.ignored,
       "inc: first sign hashes 3 files (%zu, %zu)", c.files_reused, c.files_hashed);
    save(sig, &bundle);
    ok(stat(cfile, &st) == 0 && (st.st_mode & 0777) == 0600, "inc: the cache is written, mode 0600");

    /* verify reuses every digest */
    is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: verify (%s)", err.msg);
    ok(c.files_reused == 3 && c.files_hashed == 0 && c.bytes_reused == 16 + 44 + 8, "inc: verify reuses 3 files (%zu)",
       c.files_reused);
    ok(r.diff.n == 0 && r.diff.n_same == 3, "inc: and every file matches");
    ok(!c.written, "inc: nothing hashed, nothing gone: the cache is left as it is");
    bw_verify_result_release(&r);

    /* the same size, the old mtime put back: ctime moved, so it is hashed and caught */
    {
        struct stat before;
        stat(fa, &before);
        tu_write_str(model, "a.bin", "AAAAAAAAAAAAAAAA");
        struct timespec ts[2] = {before.st_atim, before.st_mtim};
        ok(utimensat(AT_FDCWD, fa, ts, 0) == 0, "inc: mtime restored with utimensat");
    }
    settle();
    is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_EVERIFY, "inc: a same-size change is caught");
    is_str(changes(&r), "modified:a.bin", "inc: named");
    ok(c.files_reused == 2 && c.files_hashed == 1 && c.written,
       "inc: only it is hashed, the cache rewritten (%zu, %zu)", c.files_reused, c.files_hashed);
    bw_verify_result_release(&r);
    is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_EVERIFY, "inc: and caught again (never cached)");
    ok(c.files_hashed == 1, "inc: a file that did not match is not cached");
    bw_verify_result_release(&r);

    /* re-sign after the change: only it is hashed, and the result is what a full sign gives */
    bw_buf_reset(&bundle);
    bw_manifest_free(m);
    m = NULL;
    is_int(bw_sign_path(model, k, &so, &bundle, &m, &err), BW_OK, "inc: re-sign (%s)", err.msg);
    ok(c.files_reused == 2 && c.files_hashed == 1 && c.bytes_hashed == 16, "inc: re-sign hashes one file (%zu, %zu)",
       c.files_reused, c.files_hashed);
    save(sig, &bundle);
    {
        bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
        ok(bw_manifest_build(&full, model, &mo, &err) == BW_OK && m != NULL && bw_digest_equal(&full->root, &m->root),
           "inc: the same manifest as a full build");
    }
    is_int(verify(model, &bundle, pub, NULL, &r, &err), BW_OK, "inc: the re-signed model verifies in full");
    bw_verify_result_release(&r);
    is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: and incrementally");
    ok(c.files_reused == 3, "inc: from the cache the re-sign wrote (%zu)", c.files_reused);
    bw_verify_result_release(&r);

    /* forged caches, MAC'd with the right key (someone who has it): the signature still decides */
    tu_write_str(model, "a.bin", "tampered-after-1");
    settle();
    if (cache_read(cfile, &sc)) {
        /* the modified file's new stat tuple, claiming its signed digest: the signature lists it, so
           this forgery needs the key; without it (below) the cache is refused */
        struct stat now;
        stat(fa, &now);
        bw_statcache_entry *e = (bw_statcache_entry *)bw_statcache_find(&sc, "a.bin");
        bw_stat_tuple_of(&now, &e->st);
        cache_write(cfile, &sc, (const unsigned char *)"another key, another key, 32 b!");
        warnings = 0;
        is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_EVERIFY, "inc: a cache under another key: caught");
        ok(c.ignored && warnings == 1 && c.files_hashed == 3, "inc: it is ignored with a warning (%d)", warnings);
        bw_verify_result_release(&r);
        bw_statcache_release(&sc);
    } else {
        ok(0, "inc: read the cache");
    }
    /* put a.bin back and rebuild a good cache */
    tu_write_str(model, "a.bin", "AAAAAAAAAAAAAAAA");
    settle();
    is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: back to the signed bytes");
    bw_verify_result_release(&r);
    settle();

    if (cache_read(cfile, &sc)) {
        /* digests swapped between two entries: neither is reused, both hashed, nothing wrong believed */
        uint8_t t[32];
        bw_statcache_entry *a = (bw_statcache_entry *)bw_statcache_find(&sc, "a.bin"),
                           *b = (bw_statcache_entry *)bw_statcache_find(&sc, "b.bin");
        memcpy(t, a->digest, 32);
        memcpy(a->digest, b->digest, 32);
        memcpy(b->digest, t, 32);
        cache_write(cfile, &sc, cache_key);
        is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: digests swapped: still verifies");
        ok(c.files_hashed == 2 && c.files_reused == 1, "inc: the swapped entries are hashed (%zu)", c.files_hashed);
        bw_verify_result_release(&r);

        /* paths swapped (a's tuple and digest under b's name and back): the tuples do not match */
        bw_stat_tuple ts = a->st;
        a->st = b->st;
        b->st = ts;
        memcpy(t, a->digest, 32);
        memcpy(a->digest, b->digest, 32);
        memcpy(b->digest, t, 32);
        cache_write(cfile, &sc, cache_key);
        tu_write_str(model, "b.bin", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
        settle();
        is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_EVERIFY, "inc: paths swapped: the change is caught");
        is_str(changes(&r), "modified:b.bin", "inc: b.bin named");
        bw_verify_result_release(&r);
        tu_write_str(model, "b.bin", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        settle();
        bw_statcache_release(&sc);
    }

    is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: good cache again");
    bw_verify_result_release(&r);
    settle();
    if (cache_read(cfile, &sc)) {
        /* sub/c.json changed (same size); the forged cache carries its new stat tuple and its signed
           digest, so only the voucher stands between the forgery and a pass */
        char *fc = tu_join(model, "sub/c.json");
        struct stat now;
        tu_write_str(model, "sub/c.json", "{\"c\": 4}");
        settle();
        stat(fc, &now);
        bw_statcache forged = sc;
        bw_stat_tuple_of(&now, &((bw_statcache_entry *)bw_statcache_find(&forged, "sub/c.json"))->st);
        forged.t_ref_ns = INT64_MAX; /* and not racy */
        forged.voucher[0] ^= 1;      /* vouched for by another bundle: one not verified in this run */
        cache_write(cfile, &forged, cache_key);
        is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_EVERIFY, "inc: another voucher: the change is caught");
        ok(c.files_reused == 0 && c.files_hashed == 3 && !c.ignored, "inc: nothing reused, no warning (%zu)",
           c.files_reused);
        bw_verify_result_release(&r);
        /* the limit, stated: with the key and this signature's voucher, the forgery is believed; the key
           lives outside the project (0600, the user's) for that reason (docs/signing.md) */
        forged.voucher[0] ^= 1;
        cache_write(cfile, &forged, cache_key);
        is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: a forger holding the key is believed");
        bw_verify_result_release(&r);
        free(fc);
        tu_write_str(model, "sub/c.json", "{\"c\": 3}");
        settle();

        /* racy: entries whose ctime is not older than the cache's clock are hashed again */
        is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: good cache");
        bw_verify_result_release(&r);
        bw_statcache_release(&sc);
        if (cache_read(cfile, &sc)) {
            int64_t newest = 0;
            for (size_t i = 0; i < sc.n; i++) {
                newest = sc.entries[i].st.ctime_ns > newest ? sc.entries[i].st.ctime_ns : newest;
            }
            sc.t_ref_ns = newest; /* the clock read in the same tick as the newest file's change */
            cache_write(cfile, &sc, cache_key);
            is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: a racy cache");
            ok(c.files_hashed >= 1 && c.files_reused == 3 - c.files_hashed, "inc: its racy entry is hashed (%zu)",
               c.files_hashed);
            bw_verify_result_release(&r);
            bw_statcache_release(&sc);
        }

        /* an entry for a file the signature does not list is not reused: the file shows as added */
        settle();
        is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: good cache");
        bw_verify_result_release(&r);
        tu_write_str(model, "extra.bin", "x");
        settle();
        if (cache_read(cfile, &sc)) {
            struct stat xs;
            char *fx = tu_join(model, "extra.bin");
            bw_statcache ext = sc;
            bw_statcache_entry *ents = calloc(sc.n + 1, sizeof(*ents));
            size_t at = 0;
            stat(fx, &xs);
            for (size_t i = 0; i < sc.n; i++) {
                if (i == 1) {
                    ents[at].name = (char *)"extra.bin"; /* sorts between b.bin and sub/c.json */
                    bw_stat_tuple_of(&xs, &ents[at].st);
                    memcpy(ents[at].digest, sc.entries[0].digest, 32);
                    at++;
                }
                ents[at++] = sc.entries[i];
            }
            ext.entries = ents;
            ext.n = at;
            ext.t_ref_ns = INT64_MAX;
            cache_write(cfile, &ext, cache_key);
            is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_EVERIFY, "inc: an unlisted file");
            is_str(changes(&r), "added:extra.bin", "inc: reported as added");
            bw_verify_result_release(&r);
            free(ents);
            unlink(fx);
            free(fx);
            bw_statcache_release(&sc);
        }
    }

    /* corrupt and truncated caches: ignored with a warning, never trusted, never a crash */
    settle();
    is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: good cache");
    bw_verify_result_release(&r);
    {
        bw_buf raw = BW_BUF_INIT(1 << 24);
        ok(bw_file_slurp(cfile, 0, 1 << 24, &raw, &err) == BW_OK && raw.len > 100, "inc: read the cache bytes");
        for (int kind = 0; kind < 3 && raw.len > 100; kind++) {
            bw_buf bad = BW_BUF_INIT(1 << 24);
            bw_buf_add(&bad, raw.ptr, kind == 0 ? raw.len / 2 : kind == 1 ? 5 : raw.len);
            if (kind == 2) {
                bad.ptr[60] ^= 0x40; /* one flipped bit */
            }
            save(cfile, &bad);
            warnings = 0;
            is_int(inc_verify(model, &bundle, pub, &c, &r, &err), BW_OK, "inc: damaged cache %d: verifies", kind);
            ok(c.ignored && warnings == 1 && c.files_hashed == 3 && c.written,
               "inc: damaged cache %d ignored with a warning, everything hashed, rewritten", kind);
            bw_verify_result_release(&r);
            bw_buf_release(&bad);
        }
        bw_buf_release(&raw);
    }

    /* re-signing from a signature made with another key reuses nothing */
    settle();
    bw_buf_reset(&b2);
    ok(bw_sign_path(model, other, NULL, &b2, NULL, &err) == BW_OK, "inc: a signature by another key");
    save(sig, &b2);
    bw_buf_reset(&b2);
    is_int(bw_sign_path(model, k, &so, &b2, NULL, &err), BW_OK, "inc: sign over it");
    ok(c.files_reused == 0 && c.files_hashed == 3, "inc: nothing reused (%zu)", c.files_reused);

    /* shard mode: reused per file, whole runs of shards */
    so.shard_size = 5;
    save(sig, &b2); /* a files-mode signature: another shard size, nothing reused */
    bw_buf_reset(&b2);
    is_int(bw_sign_path(model, k, &so, &b2, NULL, &err), BW_OK, "inc: shards: sign");
    ok(c.files_reused == 0 && c.files_hashed == 3, "inc: shards: a files-mode voucher is not used");
    save(sig, &b2);
    settle();
    bw_buf_reset(&b2);
    bw_manifest_free(m);
    m = NULL;
    is_int(bw_sign_path(model, k, &so, &b2, &m, &err), BW_OK, "inc: shards: re-sign");
    ok(c.files_reused == 3 && c.files_hashed == 0, "inc: shards: every file reused (%zu)", c.files_reused);
    save(sig, &b2);
    {
        bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
        bw_manifest *fs = NULL;
        mo.shard_size = 5;
        ok(bw_manifest_build(&fs, model, &mo, &err) == BW_OK && m != NULL && bw_digest_equal(&fs->root, &m->root) &&
               fs->n == m->n,
           "inc: shards: the same manifest as a full build (%zu entries)", m != NULL ? m->n : 0);
        bw_manifest_free(fs);
    }
    tu_write_str(model, "b.bin", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbXX");
    settle();
    is_int(inc_verify(model, &b2, pub, &c, &r, &err), BW_EVERIFY, "inc: shards: a grown file is caught");
    is_str(changes(&r), "modified:b.bin", "inc: shards: named");
    ok(c.files_reused == 2 && c.files_hashed == 1, "inc: shards: only it hashed");
    bw_verify_result_release(&r);

    bw_log_set(NULL, BW_LOG_WARN, NULL);
    bw_manifest_free(m);
    bw_manifest_free(full);
    bw_buf_release(&bundle);
    bw_buf_release(&b2);
    bw_key_free(k);
    bw_key_free(pub);
    bw_key_free(other);
    tu_rm_rf(base);
    free(base);
    free(model);
    free(sig);
    free(cfile);
    free(fa);
}

int main(void)
{
    test_goldens();
    test_round_trips();
    test_refusals();
    test_vectors();
    test_incremental();
    return done_testing();
}
