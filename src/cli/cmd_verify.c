/*
 * cmd_verify.c - `bulwark verify PATH`: check a model-signing bundle
 * (model.sig, from `bulwark sign` or model_signing) against a public key or
 * a directory of trusted keys, then the files of PATH against the signed
 * manifest, naming every file added, removed or modified.
 *
 * Fail closed: no signature file, no key that verifies, or any difference is
 * exit 1; only input we cannot read or parse (and usage errors) is exit 2.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/cli/cmd.h"

const char cmd_verify_usage[] =
    "usage: bulwark verify (--key PUB | --trust-store DIR) [OPTIONS] PATH\n"
    "\n"
    "Verify the model-signing signature (a Sigstore bundle holding an OMS v1.0 statement, as\n"
    "'bulwark sign' and model_signing write) of the model or dataset at PATH: the DSSE signature\n"
    "first, then every file against the signed manifest, with the algorithm, shard size and ignore\n"
    "paths the signature records. Files added, removed or modified since signing are listed.\n"
    "\n"
    "Options:\n"
    "  -k, --key PUB           the signer's public key: a key-store name ('bulwark key list'), or a\n"
    "                          file: PEM SubjectPublicKeyInfo ('BEGIN PUBLIC KEY') or a bulwark\n"
    "                          .key file; ECDSA P-256, P-384, P-521 or Ed25519\n"
    "  -t, --trust-store DIR   a directory of PEM public keys: the key whose hint the bundle names\n"
    "                          is tried first, then every other key\n"
    "  -s, --signature FILE    the bundle (default: model.sig in the current directory); left out\n"
    "                          of the comparison when it lies inside PATH\n"
    "  -e, --exclude PATTERN   also leave out paths matching PATTERN (gitignore syntax; repeatable),\n"
    "                          e.g. a path a pre-1.1 model_signing signer ignored without recording it\n"
    "      --no-ledger         do not record the verdict in the project's ledger (by default it is, as\n"
    "                          a gate entry, when the project has a .bulwark directory)\n"
    "      --ledger URL|PATH   record in this ledger (a SQLite file or a PostgreSQL URL; as\n"
    "                          $BULWARK_LEDGER), even without a .bulwark directory\n"
    "      --incremental       reuse the digests of files unchanged (path, inode, size, mtime, ctime)\n"
    "                          since this same signature last verified them, from a stat cache; hash\n"
    "                          the rest. Off by default: see docs/signing.md for what it trusts\n"
    "\n"
    "Global options apply: --format text|json, --output, --quiet, -j N.\n"
    "\n"
    "Exit codes: 0 signature good and every file matches; 1 verification failed (no signature\n"
    "file, no trusted key verifies it, or files were added, removed or modified); 2 usage error,\n"
    "or an unreadable or malformed key, bundle or PATH.\n"
    "\n"
    "Examples:\n"
    "  bulwark verify --key signing.pub models/readmission\n"
    "  bulwark verify --trust-store keys/ --signature models/readmission/model.sig models/readmission\n";

/* The one place keys are loaded: a key-store name or a key file (cli_key_load, src/cli/keyarg.c). */
static int load_key(const char *spec, bool want_private, bw_key **key)
{
    return cli_key_load(spec, want_private, NULL, key);
}

struct keyset {
    bw_key **keys;
    char **names;
    size_t n;
};

static void keyset_release(struct keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        bw_key_free(ks->keys[i]);
        free(ks->names[i]);
    }
    free(ks->keys);
    free(ks->names);
}

static int keyset_add(struct keyset *ks, bw_key *k, const char *name)
{
    bw_key **keys = realloc(ks->keys, (ks->n + 1) * sizeof(*keys));
    char **names = keys != NULL ? realloc(ks->names, (ks->n + 1) * sizeof(*names)) : NULL;
    char *copy = names != NULL ? strdup(name) : NULL;

    if (keys != NULL) {
        ks->keys = keys;
    }
    if (names != NULL) {
        ks->names = names;
    }
    if (copy == NULL) {
        bw_key_free(k);
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    ks->keys[ks->n] = k;
    ks->names[ks->n++] = copy;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every PEM key in DIR, in name order; files that hold no key are skipped with a warning. */
static int load_trust_store(const char *dir, struct keyset *ks)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **files = NULL;
    size_t n = 0;
    int rc = 0;

    if (d == NULL) {
        cli_error("cannot open trust store '%s': %s", dir, strerror(errno));
        return CLI_EXIT_ERROR;
    }
    while ((de = readdir(d)) != NULL) {
        char **f;
        if (de->d_name[0] == '.') {
            continue;
        }
        f = realloc(files, (n + 1) * sizeof(*f));
        if (f == NULL) {
            rc = CLI_EXIT_ERROR;
            break;
        }
        files = f;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        if ((files[n] = malloc(len)) == NULL) {
            rc = CLI_EXIT_ERROR;
            break;
        }
        snprintf(files[n++], len, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (rc != 0) {
        cli_error("out of memory");
    }
    if (files != NULL) {
        qsort(files, n, sizeof(*files), name_cmp);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        bw_buf pem = BW_BUF_INIT((size_t)1 << 20);
        bw_key *k = NULL;
        bw_error e;
        bw_error_clear(&e);
        if (stat(files[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        /* not load_key: a file that is not a key is a warning here, not an error */
        if (bw_file_slurp(files[i], BW_FILE_FOLLOW, (size_t)1 << 20, &pem, &e) != BW_OK ||
            bw_key_from_pem(pem.ptr != NULL ? pem.ptr : "", pem.len, files[i], &k, &e) != BW_OK) {
            cli_warn("trust store: skipping %s", e.msg);
        } else {
            rc = keyset_add(ks, k, files[i]);
        }
        if (pem.ptr != NULL) {
            explicit_bzero(pem.ptr, pem.len);
        }
        bw_buf_release(&pem);
    }
    for (size_t i = 0; i < n; i++) {
        free(files[i]);
    }
    free(files);
    return rc;
}

static const char *change_name(bw_change c)
{
    switch (c) {
    case BW_CHANGE_ADDED: return "added";
    case BW_CHANGE_REMOVED: return "removed";
    case BW_CHANGE_MODIFIED: return "modified";
    }
    return "?";
}

static void report_json(const char *sig, const char *path, const struct keyset *ks, const bw_verify_result *r, bool ok,
                        const char *error, const bw_sign_cache *cache)
{
    bw_buf jb = BW_BUF_INIT(SIZE_MAX / 2);
    bw_json j;
    char hint[65];

    bw_json_init(&j, &jb, 1);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "signature", sig);
    bw_json_kv_str(&j, "path", path);
    bw_json_key(&j, "ok");
    bw_json_bool(&j, ok);
    bw_json_key(&j, "signature_ok");
    bw_json_bool(&j, r->signature_ok);
    if (r->signature_ok) {
        const bw_key *k = ks->keys[r->key_index];
        bw_json_kv_str(&j, "key", ks->names[r->key_index]);
        bw_json_kv_str(&j, "key_type", bw_key_type_name(bw_key_get_type(k)));
        bw_json_kv_str(&j, "key_hint", bw_key_hint(k, hint) == BW_OK ? hint : NULL);
    }
    if (r->signed_manifest != NULL) {
        char hex[BW_DIGEST_HEX_MAX];
        bw_digest_hex(&r->signed_manifest->root, hex);
        bw_json_kv_str(&j, "name", r->signed_manifest->name);
        bw_json_kv_str(&j, "method", r->signed_manifest->shard_size ? "shards" : "files");
        bw_json_kv_str(&j, "manifest_digest", hex);
    }
    if (r->actual != NULL) {
        bw_json_key(&j, "unchanged");
        bw_json_uint(&j, r->diff.n_same);
        for (int k = 0; k < 3; k++) {
            bw_json_key(&j, change_name((bw_change)k));
            bw_json_arr_begin(&j);
            for (size_t i = 0; i < r->diff.n; i++) {
                if ((int)r->diff.items[i].kind == k) {
                    bw_json_str(&j, r->diff.items[i].name);
                }
            }
            bw_json_arr_end(&j);
        }
    }
    if (error != NULL) {
        bw_json_kv_str(&j, "error", error);
    }
    if (cache != NULL && r->actual != NULL) {
        cli_cache_json(&j, cache);
    }
    bw_json_obj_end(&j);
    if (bw_json_finish(&j) == BW_OK) {
        cli_out_write(jb.ptr, jb.len);
        cli_out_str("\n");
    }
    bw_buf_release(&jb);
}

static void report_text(const struct keyset *ks, const bw_verify_result *r)
{
    size_t counts[3] = {0, 0, 0};

    for (size_t i = 0; i < r->diff.n; i++) {
        const char *label = change_name(r->diff.items[i].kind);
        if ((unsigned)r->diff.items[i].kind < 3) {
            counts[r->diff.items[i].kind]++;
        }
        if (cli.color) {
            const char *col = r->diff.items[i].kind == BW_CHANGE_ADDED     ? "\033[32m"
                              : r->diff.items[i].kind == BW_CHANGE_REMOVED ? "\033[31m"
                                                                           : "\033[33m";
            cli_out_printf("%s%-8s\033[0m  %s\n", col, label, r->diff.items[i].name);
        } else {
            cli_out_printf("%-8s  %s\n", label, r->diff.items[i].name);
        }
    }
    cli_out_printf("%s: signed by %s key '%s'; %zu unchanged, %zu modified, %zu added, %zu removed\n",
                   r->diff.n == 0 ? "OK" : "FAILED", bw_key_type_name(bw_key_get_type(ks->keys[r->key_index])),
                   ks->names[r->key_index], r->diff.n_same, counts[BW_CHANGE_MODIFIED], counts[BW_CHANGE_ADDED],
                   counts[BW_CHANGE_REMOVED]);
}

/* The verdict as a gate in the project's ledger (unsigned: verifying needs no private key). */
static int record(const char *path, const char *sig_path, bool pass, const bw_manifest *actual, bool no_ledger)
{
    bw_buf body = BW_BUF_INIT(1 << 20);
    int rc;

    if (no_ledger) {
        return CLI_EXIT_OK;
    }
    bw_buf_addstr(&body, "{\"kind\":\"gate\",\"stage\":\"verify\",\"check\":\"signature ");
    bw_json_escape(&body, sig_path, strlen(sig_path));
    bw_buf_addstr(&body, " of ");
    bw_json_escape(&body, path, strlen(path));
    bw_buf_printf(&body, "\",\"verdict\":\"%s\",\"subject\":", pass ? "pass" : "fail");
    if (actual != NULL) {
        char hex[BW_DIGEST_HEX_MAX];
        bw_digest_hex(&actual->root, hex);
        bw_buf_printf(&body, "{\"sha256\":\"%s\"}}", hex);
    } else {
        bw_buf_addstr(&body, "null}");
    }
    rc = cli_ledger_note(body.ptr, NULL, NULL, false);
    bw_buf_release(&body);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_GLOBAL_LONGOPTS,
        {"key", required_argument, NULL, 'k'},
        {"trust-store", required_argument, NULL, 't'},
        {"signature", required_argument, NULL, 's'},
        {"exclude", required_argument, NULL, 'e'},
        {"no-ledger", no_argument, NULL, 0x2101},
        {"ledger", required_argument, NULL, 0x2103},
        {"incremental", no_argument, NULL, 0x2102},
        {NULL, 0, NULL, 0},
    };
    bw_verify_opts vo = BW_VERIFY_OPTS_INIT;
    struct cli_cache cc = {0};
    bool no_ledger = false, incremental = false, cache_on = false;
    const char *key_spec = NULL, *store = NULL, *sig_path = "model.sig";
    const char **excludes = NULL;
    bw_buf raw = BW_BUF_INIT(BW_BUNDLE_MAX_BYTES);
    struct keyset ks = {0};
    bw_verify_result res = {0};
    bw_pool *pool = NULL;
    bw_error e;
    bw_status s;
    int c, rc = CLI_EXIT_ERROR;

    excludes = calloc((size_t)argc + 1, sizeof(*excludes));
    if (excludes == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" CLI_GLOBAL_SHORTOPTS "k:t:s:e:", longopts, NULL)) != -1) {
        int g = cli_global_option(c, optarg);
        if (g < 0) {
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (g > 0) {
            continue;
        }
        switch (c) {
        case 'h':
            free(excludes);
            cli_out_str(cmd_verify_usage);
            return cli_out_close();
        case 'k': key_spec = optarg; break;
        case 't': store = optarg; break;
        case 's': sig_path = optarg; break;
        case 'e': excludes[vo.n_excludes++] = optarg; break;
        case 0x2101: no_ledger = true; break;
        case 0x2103: cli_ledger_use(optarg, NULL); break;
        case 0x2102: incremental = true; break;
        case ':': rc = cli_usage_error("verify", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("verify", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if (cli.format == BW_FORMAT_SARIF) {
        rc = cli_usage_error("verify", "--format sarif does not apply (use text or json)");
        goto out;
    }
    if (argc != 1) {
        rc = cli_usage_error("verify", argc == 0 ? "no PATH given" : "verify takes one PATH");
        goto out;
    }
    if ((key_spec == NULL) == (store == NULL)) {
        rc = cli_usage_error("verify", "give exactly one of --key PUB and --trust-store DIR");
        goto out;
    }
    bw_error_clear(&e);
    s = bw_file_slurp(sig_path, BW_FILE_FOLLOW, BW_BUNDLE_MAX_BYTES, &raw, &e);
    if (s == BW_ENOTFOUND) {
        cli_error("no signature: '%s' does not exist", sig_path);
        rc = CLI_EXIT_FINDINGS;
        goto out;
    }
    if (s != BW_OK) {
        cli_report_error(&e, s);
        goto out;
    }
    if (key_spec != NULL) {
        bw_key *k = NULL;
        if ((rc = load_key(key_spec, false, &k)) != 0 || (rc = keyset_add(&ks, k, key_spec)) != 0) {
            goto out;
        }
    } else {
        if ((rc = load_trust_store(store, &ks)) != 0) {
            goto out;
        }
        if (ks.n == 0) {
            cli_error("trust store '%s' holds no public key: the signer is unknown", store);
            rc = CLI_EXIT_FINDINGS;
            goto out;
        }
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    if (bw_pool_new(&pool, cli.jobs, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = cli_out_finish(CLI_EXIT_ERROR);
        goto out;
    }
    vo.excludes = excludes;
    vo.signature = sig_path;
    vo.pool = pool;
    if (incremental && cli_cache_open(argv[0], &cc) == 0) {
        vo.cache = &cc.c;
        cache_on = true;
    }
    if (cli_progress_enabled()) {
        vo.progress = cli_progress;
    }
    s = bw_verify_path(argv[0], raw.ptr != NULL ? raw.ptr : "", raw.len, sig_path, (const bw_key *const *)ks.keys, ks.n,
                       &vo, &res, &e);
    cli_progress_end();
    if (s == BW_OK || (s == BW_EVERIFY && res.actual != NULL)) {
        /* the signature verified and the files were compared */
        if (cli.format == BW_FORMAT_JSON) {
            report_json(sig_path, argv[0], &ks, &res, s == BW_OK, s == BW_OK ? NULL : e.msg, cache_on ? &cc.c : NULL);
        } else {
            report_text(&ks, &res);
            if (incremental) {
                cli_cache_text(cache_on ? &cc.c : NULL);
            }
        }
        rc = record(argv[0], sig_path, s == BW_OK, res.actual, no_ledger);
        rc = cli_out_finish(rc != CLI_EXIT_OK ? rc : s == BW_OK ? CLI_EXIT_OK : CLI_EXIT_FINDINGS);
    } else if (s == BW_EVERIFY) {
        /* no signature verifies, or a verified payload that is not a statement */
        cli_report_error(&e, s);
        if (cli.format == BW_FORMAT_JSON) {
            report_json(sig_path, argv[0], &ks, &res, false, e.msg, NULL);
        }
        rc = record(argv[0], sig_path, false, res.actual, no_ledger);
        rc = cli_out_finish(rc != CLI_EXIT_OK ? rc : CLI_EXIT_FINDINGS);
    } else {
        cli_report_error(&e, s);
        rc = cli_out_finish(CLI_EXIT_ERROR);
    }
out:
    if (cache_on) {
        cli_cache_close(&cc);
    }
    bw_verify_result_release(&res);
    keyset_release(&ks);
    bw_pool_free(pool);
    bw_buf_release(&raw);
    free(excludes);
    return rc;
}
