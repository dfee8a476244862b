/*
 * cmd_sign.c - `bulwark sign PATH`: an OpenSSF model-signing (OMS v1.0)
 * signature of a model or dataset directory (or file), in a Sigstore bundle
 * written to model.sig in the current directory by default, as
 * model_signing's `sign key` does. The library does the work (bw_sign_path);
 * this file loads the key, writes the bundle atomically and reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/cli/cmd.h"

const char cmd_sign_usage[] =
    "usage: bulwark sign --key KEY [OPTIONS] PATH\n"
    "\n"
    "Sign the model or dataset at PATH (a directory or a file): build its manifest (every file's\n"
    "path and SHA-256 digest, sorted by path components), wrap it as an in-toto statement with the\n"
    "OpenSSF model-signing predicate (OMS v1.0), sign it (DSSE) and write a Sigstore bundle v0.3,\n"
    "the same model.sig that model_signing writes and verifies. Check it with 'bulwark verify'.\n"
    "\n"
    "Options:\n"
    "  -k, --key KEY           the private key: a key-store name ('bulwark key new NAME'), or a\n"
    "                          file: a bulwark .key file or PEM (unencrypted PKCS#8, 'BEGIN PRIVATE\n"
    "                          KEY'); ECDSA P-256, P-384, P-521 or Ed25519\n"
    "      --passphrase-file F the passphrase of a sealed key (first line of F); else\n"
    "                          $BULWARK_PASSPHRASE, else a prompt on the terminal\n"
    "  -s, --signature FILE    where to write the bundle (default: model.sig in the current\n"
    "                          directory); replaced atomically. Left out of the manifest when it\n"
    "                          lies inside PATH\n"
    "      --shard SIZE        hash every SIZE-byte range of each file on its own (model_signing's\n"
    "                          shard mode); SIZE takes K, M, G\n"
    "  -e, --exclude PATH      leave PATH (relative to the model root, or a gitignore glob) out of\n"
    "                          the manifest; recorded in the statement's ignore_paths. Repeatable\n"
    "      --no-ledger         do not record the signed model in the project's ledger (by default it\n"
    "                          is, when the project has a .bulwark directory)\n"
    "      --ledger URL|PATH   record in this ledger (a SQLite file or a PostgreSQL URL; as\n"
    "                          $BULWARK_LEDGER), even without a .bulwark directory\n"
    "      --no-default-ignores  keep .gitattributes, .github and .gitignore at the top of PATH\n"
    "                          (.git is always left out)\n"
    "      --incremental       reuse the digests of files unchanged since the signature being\n"
    "                          replaced (--signature, verified with KEY) listed them, as a stat\n"
    "                          cache records them (path, inode, size, mtime, ctime); hash the rest.\n"
    "                          Off by default: see docs/signing.md for what it trusts\n"
    "\n"
    "Global options apply: --format text|json, --output, --quiet, -j N.\n"
    "\n"
    "Exit codes: 0 signed, 1 wrong passphrase (or a damaged sealed key), 2 usage error, unreadable\n"
    "key or PATH, or the bundle could not be written.\n"
    "\n"
    "Examples:\n"
    "  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signing.pem\n"
    "  bulwark sign --key signing.pem models/readmission\n"
    "  bulwark key new release && bulwark sign --key release models/readmission\n"
    "  bulwark sign --key signing.pem --signature models/readmission/model.sig models/readmission\n";

/* The one place keys are loaded: a key-store name or a key file (cli_key_load, src/cli/keyarg.c). */
static const char *passphrase_file;

static int load_key(const char *spec, bool want_private, bw_key **key)
{
    return cli_key_load(spec, want_private, passphrase_file, key);
}

/* Read the cache key, or make it (exclusively: a temporary file linked into place). */
static int cache_key(unsigned char key[BW_SIGN_CACHE_KEY_BYTES])
{
    char *dir = cli_user_dir("XDG_CACHE_HOME", ".cache", true), path[4200], tmp[4250];
    struct stat st;
    int fd = -1, rc = -1;

    if (dir == NULL) {
        cli_warn("--incremental: no cache directory ($XDG_CACHE_HOME or $HOME): hashing every file");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/cache.key", dir);
    snprintf(tmp, sizeof(tmp), "%s/.cache.key.%ld", dir, (long)getpid());
    free(dir);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char fresh[BW_SIGN_CACHE_KEY_BYTES];
        int w = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        bool made = w >= 0 && getrandom(fresh, sizeof(fresh), 0) == (ssize_t)sizeof(fresh) &&
                    write(w, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) && fsync(w) == 0;
        if (w >= 0) {
            close(w);
        }
        if (made && link(tmp, path) != 0 && errno != EEXIST) {
            made = false;
        }
        unlink(tmp);
        explicit_bzero(fresh, sizeof(fresh));
        if (!made) {
            cli_warn("--incremental: cannot make the cache key '%s': %s: hashing every file", path, strerror(errno));
            return -1;
        }
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC); /* ours, or the one another run linked first */
    }
    if (fd < 0) {
        cli_warn("--incremental: cannot open the cache key '%s': %s: hashing every file", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0 ||
        st.st_size != BW_SIGN_CACHE_KEY_BYTES) {
        cli_warn("--incremental: the cache key '%s' is not a private %d-byte file of this user: hashing every file",
                 path, BW_SIGN_CACHE_KEY_BYTES);
    } else if (read(fd, key, BW_SIGN_CACHE_KEY_BYTES) != BW_SIGN_CACHE_KEY_BYTES) {
        cli_warn("--incremental: cannot read the cache key '%s': hashing every file", path);
    } else {
        rc = 0;
    }
    close(fd);
    return rc;
}

int cli_cache_open(const char *path, struct cli_cache *cc)
{
    char *resolved = realpath(path, NULL), *state = NULL, *dir = NULL, hex[BW_DIGEST_HEX_MAX], name[64];
    struct stat st;
    bw_digest d;

    memset(cc, 0, sizeof(*cc));
    if (resolved == NULL || bw_digest_bytes(BW_ALGO_SHA256, resolved, strlen(resolved), &d) != BW_OK ||
        cache_key(cc->key) != 0) {
        if (resolved == NULL) {
            cli_warn("--incremental: cannot resolve '%s': hashing every file", path);
        }
        explicit_bzero(cc->key, sizeof(cc->key));
        free(resolved);
        return -1;
    }
    free(resolved);
    bw_digest_hex(&d, hex);
    snprintf(name, sizeof(name), "cache/stat-%.16s", hex);
    /* the project's .bulwark when there is one (not made for this), else the user's cache */
    state = cli_state_dir(false);
    if (state != NULL && stat(state, &st) == 0 && S_ISDIR(st.st_mode)) {
        cc->file = cli_state_path(name, true);
    } else if ((dir = cli_user_dir("XDG_CACHE_HOME", ".cache", true)) != NULL &&
               (cc->file = malloc(strlen(dir) + 32)) != NULL) {
        snprintf(cc->file, strlen(dir) + 32, "%s/stat-%.16s", dir, hex);
    }
    free(state);
    free(dir);
    if (cc->file == NULL) {
        cli_warn("--incremental: no place for the stat cache: hashing every file");
        explicit_bzero(cc->key, sizeof(cc->key));
        return -1;
    }
    cc->c.file = cc->file;
    cc->c.key = cc->key;
    return 0;
}

void cli_cache_close(struct cli_cache *cc)
{
    explicit_bzero(cc->key, sizeof(cc->key));
    free(cc->file);
    cc->file = NULL;
}

void cli_cache_text(const bw_sign_cache *c)
{
    char a[32], b[32];

    if (c == NULL) {
        cli_out_str("incremental: off (see the warning), every file hashed\n");
        return;
    }
    cli_out_printf("incremental: %zu file%s unchanged (%s, digests reused), %zu hashed (%s)%s\n", c->files_reused,
                   c->files_reused == 1 ? "" : "s", cli_human_bytes(c->bytes_reused, a, sizeof(a)), c->files_hashed,
                   cli_human_bytes(c->bytes_hashed, b, sizeof(b)), c->ignored ? "; the cache was ignored" : "");
}

void cli_cache_json(bw_json *j, const bw_sign_cache *c)
{
    bw_json_key(j, "incremental");
    bw_json_obj_begin(j);
    bw_json_key(j, "files_reused");
    bw_json_uint(j, c->files_reused);
    bw_json_key(j, "files_hashed");
    bw_json_uint(j, c->files_hashed);
    bw_json_key(j, "bytes_reused");
    bw_json_uint(j, c->bytes_reused);
    bw_json_key(j, "bytes_hashed");
    bw_json_uint(j, c->bytes_hashed);
    bw_json_key(j, "cache_ignored");
    bw_json_bool(j, c->ignored);
    bw_json_obj_end(j);
}

int cmd_sign(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_GLOBAL_LONGOPTS,
        {"key", required_argument, NULL, 'k'},
        {"signature", required_argument, NULL, 's'},
        {"shard", required_argument, NULL, 0x2001},
        {"exclude", required_argument, NULL, 'e'},
        {"no-default-ignores", no_argument, NULL, 0x2002},
        {"passphrase-file", required_argument, NULL, 0x2003},
        {"no-ledger", no_argument, NULL, 0x2004},
        {"ledger", required_argument, NULL, 0x2006},
        {"incremental", no_argument, NULL, 0x2005},
        {NULL, 0, NULL, 0},
    };
    bw_sign_opts so = BW_SIGN_OPTS_INIT;
    struct cli_cache cc = {0};
    bool no_ledger = false, incremental = false, cache_on = false;
    const char *key_spec = NULL, *sig_path = "model.sig";
    const char **excludes = NULL;
    bw_buf bundle = BW_BUF_INIT(BW_BUNDLE_MAX_BYTES);
    bw_manifest *m = NULL;
    bw_key *key = NULL;
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
    while ((c = getopt_long(argc, argv, ":" CLI_GLOBAL_SHORTOPTS "k:s:e:", longopts, NULL)) != -1) {
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
            cli_out_str(cmd_sign_usage);
            return cli_out_close();
        case 'k': key_spec = optarg; break;
        case 's': sig_path = optarg; break;
        case 0x2001:
            if (cli_parse_size(optarg, &so.shard_size) != 0 || so.shard_size == 0) {
                rc = cli_usage_error("sign", "--shard expects a positive size such as 1G or 65536, not '%s'", optarg);
                goto out;
            }
            break;
        case 'e': excludes[so.n_excludes++] = optarg; break;
        case 0x2002: so.no_default_ignores = 1; break;
        case 0x2003: passphrase_file = optarg; break;
        case 0x2004: no_ledger = true; break;
        case 0x2006: cli_ledger_use(optarg, NULL); break;
        case 0x2005: incremental = true; break;
        case ':': rc = cli_usage_error("sign", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("sign", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if (cli.format == BW_FORMAT_SARIF) {
        rc = cli_usage_error("sign", "--format sarif does not apply (use text or json)");
        goto out;
    }
    if (argc != 1) {
        rc = cli_usage_error("sign", argc == 0 ? "no PATH given" : "sign takes one PATH");
        goto out;
    }
    if (key_spec == NULL) {
        rc = cli_usage_error("sign", "no key given (--key NAME or --key FILE)");
        goto out;
    }
    if ((rc = load_key(key_spec, true, &key)) != 0) {
        goto out;
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    bw_error_clear(&e);
    if (bw_pool_new(&pool, cli.jobs, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    so.excludes = excludes;
    so.signature = sig_path;
    so.pool = pool;
    if (incremental && cli_cache_open(argv[0], &cc) == 0) {
        so.cache = &cc.c;
        cache_on = true;
    }
    if (cli_progress_enabled()) {
        so.progress = cli_progress;
    }
    s = bw_sign_path(argv[0], key, &so, &bundle, &m, &e);
    cli_progress_end();
    if (s == BW_OK) {
        s = bw_file_write_atomic(sig_path, bundle.ptr, bundle.len, 0644, &e);
    }
    if (s != BW_OK) {
        cli_report_error(&e, s);
        rc = cli_out_finish(CLI_EXIT_ERROR);
        goto out;
    }
    {
        char hex[BW_DIGEST_HEX_MAX], hint[65] = "";
        bw_digest_hex(&m->root, hex);
        if (bw_key_hint(key, hint) != BW_OK) {
            hint[0] = '\0';
        }
        if (cli.format == BW_FORMAT_JSON) {
            bw_buf jb = BW_BUF_INIT(1 << 20);
            bw_json j;
            bw_json_init(&j, &jb, 1);
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "path", argv[0]);
            bw_json_kv_str(&j, "signature", sig_path);
            bw_json_kv_str(&j, "name", m->name);
            bw_json_kv_str(&j, "method", m->shard_size ? "shards" : "files");
            bw_json_key(&j, "files");
            bw_json_uint(&j, m->n_files);
            bw_json_key(&j, "bytes");
            bw_json_uint(&j, m->total_bytes);
            bw_json_kv_str(&j, "manifest_digest", hex);
            bw_json_kv_str(&j, "key_type", bw_key_type_name(bw_key_get_type(key)));
            bw_json_kv_str(&j, "key_hint", hint);
            if (cache_on) {
                cli_cache_json(&j, &cc.c);
            }
            bw_json_obj_end(&j);
            if (bw_json_finish(&j) == BW_OK) {
                cli_out_write(jb.ptr, jb.len);
                cli_out_str("\n");
            }
            bw_buf_release(&jb);
        } else {
            cli_out_printf("signed '%s' (%zu file%s, %s manifest sha256:%s) -> %s\n", argv[0], m->n_files,
                           m->n_files == 1 ? "" : "s", m->shard_size ? "shards" : "files", hex, sig_path);
            if (incremental) {
                cli_cache_text(cache_on ? &cc.c : NULL);
            }
        }
    }
    rc = CLI_EXIT_OK;
    if (!no_ledger) {
        /* the signed model in the ledger, in a batch signed by the same key */
        bw_buf body = BW_BUF_INIT(1 << 20);
        char hex[BW_DIGEST_HEX_MAX], kname[256];
        cli_key_label(key_spec, kname, sizeof(kname));
        bw_digest_hex(&m->root, hex);
        bw_buf_addstr(&body, "{\"kind\":\"artifact\",\"name\":\"");
        bw_json_escape(&body, argv[0], strlen(argv[0]));
        bw_buf_printf(&body,
                      "\",\"digest\":{\"sha256\":\"%s\"},\"media_type\":\"application/vnd.bulwark.model+%s\","
                      "\"size\":%llu}",
                      hex, m->shard_size ? "shards" : "files", (unsigned long long)m->total_bytes);
        rc = cli_ledger_note(body.ptr, key, kname, false);
        bw_buf_release(&body);
    }
    rc = cli_out_finish(rc);
out:
    if (cache_on) {
        cli_cache_close(&cc);
    }
    bw_manifest_free(m);
    bw_key_free(key);
    bw_pool_free(pool);
    bw_buf_release(&bundle);
    free(excludes);
    return rc;
}
