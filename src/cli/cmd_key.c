/*
 * cmd_key.c - `bulwark key`: make, list, export, import and delete the
 * signing keys of the project's key store, .bulwark/keys/ (see
 * bw_keystore.h and docs/keys.md).
 *
 * Results go to stdout (the public key of `export`, the table or JSON of
 * `list`); what was done goes to stderr as a note. No secret is ever
 * printed: `export` gives only the public key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/cli/cmd.h"

const char cmd_key_usage[] =
    "usage: bulwark key new NAME [--type TYPE] [--no-passphrase] [--force]\n"
    "       bulwark key list [--format text|json]\n"
    "       bulwark key export NAME|FILE [--output FILE]\n"
    "       bulwark key import NAME FILE|- [--no-passphrase] [--force] [--import-passphrase-file FILE]\n"
    "       bulwark key delete NAME\n"
    "       bulwark key passwd NAME [--no-passphrase]\n"
    "\n"
    "Manage the signing keys kept in the project's key store, .bulwark/keys/ (directory mode 0700,\n"
    "one file NAME.key per key, mode 0600). A private key is encrypted with a passphrase\n"
    "(Argon2id, then XChaCha20-Poly1305) unless --no-passphrase is given. Names are 1 to 64 of\n"
    "A-Z a-z 0-9 . _ - and do not start with '.'.\n"
    "\n"
    "  new NAME       make a key pair and store it\n"
    "  list           list the keys: name, type, how the private key is kept, created, key hint\n"
    "  export NAME    print the public key as PEM (SubjectPublicKeyInfo), which OpenSSL, cosign\n"
    "                 and model_signing read; NAME may also be a PEM or key file\n"
    "  import NAME FILE\n"
    "                 store the PEM key in FILE ('-': standard input): a PKCS#8 private key ('BEGIN\n"
    "                 PRIVATE KEY', as 'openssl genpkey' writes, or 'BEGIN ENCRYPTED PRIVATE KEY',\n"
    "                 decrypted with the passphrase from --import-passphrase-file,\n"
    "                 $BULWARK_IMPORT_PASSPHRASE or the terminal), a SEC 1 EC key ('BEGIN EC PRIVATE\n"
    "                 KEY', encrypted or not), sealed with a new passphrase; or a public key ('BEGIN\n"
    "                 PUBLIC KEY'), stored to verify with\n"
    "  delete NAME    remove the key (asks nothing)\n"
    "  passwd NAME    change the passphrase of a private key (--no-passphrase: store it unencrypted;\n"
    "                 the new one comes from --new-passphrase-file, $BULWARK_NEW_PASSPHRASE or the\n"
    "                 terminal); also checks a passphrase, as it fails on a wrong one\n"
    "\n"
    "Options:\n"
    "  -t, --type TYPE          p256 (ECDSA P-256 with SHA-256, the default), ed25519, p384, p521\n"
    "      --no-passphrase      store the private key unencrypted (for CI, where the key comes from a\n"
    "                           secret store); the file is still mode 0600\n"
    "  -f, --force              replace an existing key of the same name\n"
    "      --passphrase-file FILE\n"
    "                           read the passphrase from the first line of FILE\n"
    "      --import-passphrase-file FILE\n"
    "                           import: the passphrase of an encrypted key FILE (first line)\n"
    "      --new-passphrase-file FILE\n"
    "                           passwd: read the new passphrase from the first line of FILE\n"
    "\n"
    "The passphrase comes from --passphrase-file, else $BULWARK_PASSPHRASE, else a prompt on the\n"
    "terminal (asked twice for a new one). With none of these the command fails (exit 2).\n"
    "Global options apply: --format text|json, --output, --quiet.\n"
    "\n"
    "Exit codes: 0 done; 1 wrong passphrase or a damaged encrypted key; 2 usage error, no\n"
    "passphrase source, unknown or existing key, unreadable or malformed key file or PEM, or\n"
    "output failure.\n"
    "\n"
    "Examples:\n"
    "  bulwark key new release\n"
    "  bulwark key new ci --type ed25519 --no-passphrase\n"
    "  bulwark key list --format json\n"
    "  bulwark key export release > release.pub && openssl pkey -pubin -in release.pub -noout\n"
    "  openssl genpkey -algorithm ed25519 -out k.pem && bulwark key import partner k.pem\n"
    "  bulwark key import partner-pub partner.pub\n"
    "  BULWARK_PASSPHRASE=... bulwark sign --key release model/\n"
    "  bulwark key passwd release\n"
    "  bulwark key delete old-key\n";

struct opts {
    bw_key_type type;
    bool no_pass;
    bool force;
    const char *pass_file;
    const char *new_pass_file;
    const char *import_pass_file;
};

static void time_text(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, 32, "%lld", (long long)t);
    }
}

static const char *private_text(const bw_keystore_entry *e)
{
    return e->public_only ? "none" : e->encrypted ? "encrypted" : "unencrypted";
}

static void json_entry(bw_json *j, const bw_keystore_entry *e)
{
    char when[32];

    bw_json_obj_begin(j);
    bw_json_kv_str(j, "name", e->name);
    if (e->status != BW_OK) {
        bw_json_kv_str(j, "error", e->error);
        bw_json_obj_end(j);
        return;
    }
    bw_json_kv_str(j, "type", bw_key_type_name(e->type));
    bw_json_kv_str(j, "private_key", private_text(e));
    bw_json_key(j, "encrypted");
    bw_json_bool(j, e->encrypted);
    bw_json_key(j, "public_only");
    bw_json_bool(j, e->public_only);
    time_text(e->created, when);
    bw_json_kv_str(j, "created", when);
    bw_json_kv_str(j, "hint", e->hint);
    if (e->encrypted) {
        bw_json_key(j, "kdf");
        bw_json_obj_begin(j);
        bw_json_kv_str(j, "algorithm", "argon2id");
        bw_json_key(j, "opslimit");
        bw_json_uint(j, e->kdf_ops);
        bw_json_key(j, "memlimit");
        bw_json_uint(j, e->kdf_mem);
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
}

/* One JSON document (an entry, or {"keys": [...]}) on the output. */
static int print_json(const bw_keystore_entry *v, size_t n, bool list)
{
    bw_buf b = BW_BUF_INIT((size_t)64 << 20);
    bw_json j;

    bw_json_init(&j, &b, 1);
    if (list) {
        bw_json_obj_begin(&j);
        bw_json_key(&j, "keys");
        bw_json_arr_begin(&j);
    }
    for (size_t i = 0; i < n; i++) {
        json_entry(&j, &v[i]);
    }
    if (list) {
        bw_json_arr_end(&j);
        bw_json_obj_end(&j);
    }
    if (bw_json_finish(&j) != BW_OK) {
        bw_buf_release(&b);
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    cli_out_write(b.ptr, b.len);
    cli_out_str("\n");
    bw_buf_release(&b);
    return 0;
}

static int do_list(void)
{
    bw_keystore *ks = NULL;
    bw_keystore_entry *v = NULL;
    bw_error e = {0};
    size_t n = 0, w = 4;
    int rc = cli_key_store_open(false, &ks);
    bool damaged = false;

    if (rc != 0) {
        return rc;
    }
    if (bw_keystore_list(ks, &v, &n, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        bw_keystore_free(ks);
        return CLI_EXIT_ERROR;
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i].status != BW_OK) {
            damaged = true;
            cli_warn("%s", v[i].error);
        }
        w = strlen(v[i].name) > w ? strlen(v[i].name) : w;
    }
    if (cli.format == BW_FORMAT_JSON) {
        rc = print_json(v, n, true);
    } else if (n == 0) {
        cli_note("no keys in '%s' (make one with 'bulwark key new NAME')", bw_keystore_dir(ks));
    } else {
        cli_out_printf("%-*s  %-7s  %-11s  %-20s  %s\n", (int)w, "NAME", "TYPE", "PRIVATE", "CREATED", "HINT");
        for (size_t i = 0; i < n; i++) {
            char when[32];
            if (v[i].status != BW_OK) {
                cli_out_printf("%-*s  %-7s  %-11s  %-20s  %s\n", (int)w, v[i].name, "?", "damaged", "?", "?");
                continue;
            }
            time_text(v[i].created, when);
            cli_out_printf("%-*s  %-7s  %-11s  %-20s  %.16s\n", (int)w, v[i].name, bw_key_type_name(v[i].type),
                           private_text(&v[i]), when, v[i].hint);
        }
    }
    if (rc == 0 && damaged) {
        rc = CLI_EXIT_ERROR;
    }
    rc = cli_out_finish(rc);
out:
    bw_free(v);
    bw_keystore_free(ks);
    return rc;
}

/* After a key was stored: a note, and with --format json its entry on stdout. */
static int report_stored(bw_keystore *ks, const char *name, const char *verb)
{
    bw_keystore_entry ent;
    bw_error e = {0};
    bw_status s = bw_keystore_info(ks, name, &ent, &e);
    int rc;

    if (s != BW_OK) {
        cli_report_error(&e, s);
        return CLI_EXIT_ERROR;
    }
    cli_note("%s %s key '%s' in '%s/%s.key' (private key %s; hint %.16s)", verb, bw_key_type_name(ent.type), name,
             bw_keystore_dir(ks), name, private_text(&ent), ent.hint);
    if (cli.format != BW_FORMAT_JSON) {
        return 0;
    }
    rc = cli_out_open();
    if (rc == 0) {
        rc = print_json(&ent, 1, false);
    }
    return cli_out_finish(rc);
}

static int do_new(const struct opts *o, const char *name)
{
    bw_keystore *ks = NULL;
    bw_error e = {0};
    char *pass = NULL;
    size_t plen = 0;
    bw_keystore_entry ent;
    bw_status s;
    int rc;

    rc = cli_key_store_open(true, &ks);
    if (rc != 0) {
        return rc;
    }
    /* before the passphrase is asked for: an existing key is an error, not a surprise after typing */
    if (!o->force && bw_keystore_info(ks, name, &ent, &e) != BW_ENOTFOUND) {
        cli_error("key '%s' already exists in '%s' (--force replaces it)", name, bw_keystore_dir(ks));
        bw_keystore_free(ks);
        return CLI_EXIT_ERROR;
    }
    if (!o->no_pass) {
        rc = cli_key_passphrase_for(o->pass_file, name, true, &pass, &plen);
        if (rc != 0) {
            bw_keystore_free(ks);
            return rc;
        }
    }
    bw_error_clear(&e);
    s = bw_keystore_generate(ks, name, o->type, pass, plen, o->force ? BW_KEYSTORE_FORCE : 0, NULL, &e);
    cli_key_passphrase_free(pass, plen);
    if (s != BW_OK) {
        cli_report_error(&e, s);
        rc = CLI_EXIT_ERROR;
    } else {
        rc = report_stored(ks, name, "created");
    }
    bw_keystore_free(ks);
    return rc;
}

static int do_import(const struct opts *o, const char *name, const char *file)
{
    bw_buf b = BW_BUF_INIT((size_t)1 << 20);
    bw_keystore *ks = NULL;
    bw_key *key = NULL;
    bw_keystore_entry ent;
    bw_error e = {0};
    char *pass = NULL;
    size_t plen = 0;
    bw_status s;
    int rc;

    if (strcmp(file, "-") == 0 && ((o->pass_file != NULL && strcmp(o->pass_file, "-") == 0) ||
                                   (o->import_pass_file != NULL && strcmp(o->import_pass_file, "-") == 0))) {
        return cli_usage_error("key", "the key and the passphrase cannot both come from standard input");
    }
    rc = cli_key_store_open(true, &ks);
    if (rc != 0) {
        return rc;
    }
    if (!o->force && bw_keystore_info(ks, name, &ent, &e) != BW_ENOTFOUND) {
        cli_error("key '%s' already exists in '%s' (--force replaces it)", name, bw_keystore_dir(ks));
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    bw_error_clear(&e);
    s = bw_buf_grow(&b, (size_t)1 << 16); /* once: the private key is not copied by growing */
    if (s == BW_OK) {
        s = bw_file_slurp(file, BW_FILE_FOLLOW | BW_FILE_STDIN, (size_t)1 << 20, &b, &e);
    }
    if (s == BW_OK) {
        const char *label = strcmp(file, "-") == 0 ? "standard input" : file;
        char *ipass = NULL;
        size_t ilen = 0;
        if (bw_key_pem_encrypted(b.ptr != NULL ? b.ptr : "", b.len)) { /* PKCS#8 PBES2 or legacy SEC 1 */
            if ((rc = cli_key_import_passphrase(o->import_pass_file, label, &ipass, &ilen)) != 0) {
                goto out;
            }
        }
        s = bw_key_from_pem_pass(b.ptr != NULL ? b.ptr : "", b.len, label, ipass, ilen, &key, &e);
        cli_key_passphrase_free(ipass, ilen);
    }
    if (s != BW_OK) {
        cli_report_error(&e, s);
        rc = s == BW_EVERIFY ? CLI_EXIT_FINDINGS : CLI_EXIT_ERROR; /* a wrong passphrase: 1, as elsewhere */
        goto out;
    }
    if (bw_key_is_private(key) && !o->no_pass) {
        rc = cli_key_passphrase_for(o->pass_file, name, true, &pass, &plen);
        if (rc != 0) {
            goto out;
        }
    }
    s = bw_keystore_add(ks, name, key, pass, plen, o->force ? BW_KEYSTORE_FORCE : 0, &e);
    if (s != BW_OK) {
        cli_report_error(&e, s);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    rc = report_stored(ks, name, "imported");
out:
    cli_key_passphrase_free(pass, plen);
    if (b.ptr != NULL) {
        explicit_bzero(b.ptr, b.cap);
    }
    bw_buf_release(&b);
    bw_key_free(key);
    bw_keystore_free(ks);
    return rc;
}

static int do_export(const char *spec)
{
    bw_buf pem = BW_BUF_INIT((size_t)1 << 16);
    bw_key *key = NULL;
    int rc = cli_key_load(spec, false, NULL, &key);

    if (rc != 0) {
        return rc;
    }
    if (bw_key_public_pem(key, &pem) != BW_OK) {
        cli_error("out of memory");
        rc = CLI_EXIT_ERROR;
    } else {
        rc = cli_out_open();
        if (rc == 0) {
            cli_out_write(pem.ptr, pem.len);
        }
        rc = cli_out_finish(rc);
    }
    bw_buf_release(&pem);
    bw_key_free(key);
    return rc;
}

static int do_passwd(const struct opts *o, const char *name)
{
    bw_keystore *ks = NULL;
    bw_keystore_entry ent;
    bw_error e = {0};
    char *old = NULL, *pass = NULL;
    size_t olen = 0, plen = 0;
    bw_status s;
    int rc = cli_key_store_open(false, &ks);

    if (rc != 0) {
        return rc;
    }
    s = bw_keystore_info(ks, name, &ent, &e);
    if (s == BW_OK && ent.public_only) {
        cli_error("key '%s' is public only: there is no passphrase to change", name);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (s != BW_OK) {
        cli_report_error(&e, s);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (ent.encrypted) {
        rc = cli_key_passphrase_for(o->pass_file, name, false, &old, &olen);
        if (rc != 0) {
            goto out;
        }
    }
    if (!o->no_pass) {
        rc = cli_key_new_passphrase(o->new_pass_file, name, &pass, &plen);
        if (rc != 0) {
            goto out;
        }
    }
    s = bw_keystore_rekey(ks, name, old, olen, pass, plen, &e);
    if (s != BW_OK) {
        cli_report_error(&e, s);
        rc = cli_key_exit(s);
    } else {
        rc = report_stored(ks, name, "re-stored");
    }
out:
    cli_key_passphrase_free(old, olen);
    cli_key_passphrase_free(pass, plen);
    bw_keystore_free(ks);
    return rc;
}

static int do_delete(const char *name)
{
    bw_keystore *ks = NULL;
    bw_error e = {0};
    bw_status s;
    int rc = cli_key_store_open(false, &ks);

    if (rc != 0) {
        return rc;
    }
    s = bw_keystore_delete(ks, name, &e);
    if (s != BW_OK) {
        cli_report_error(&e, s);
        rc = CLI_EXIT_ERROR;
    } else {
        cli_note("deleted key '%s'", name);
    }
    bw_keystore_free(ks);
    return rc;
}

int cmd_key(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_GLOBAL_LONGOPTS,
        {"type", required_argument, NULL, 't'},
        {"no-passphrase", no_argument, NULL, 0x2001},
        {"force", no_argument, NULL, 'f'},
        {"passphrase-file", required_argument, NULL, 0x2002},
        {"new-passphrase-file", required_argument, NULL, 0x2003},
        {"import-passphrase-file", required_argument, NULL, 0x2004},
        {NULL, 0, NULL, 0},
    };
    struct opts o = {.type = BW_KEY_P256};
    bool type_set = false;
    const char *sub, *name;
    int c, nargs;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" CLI_GLOBAL_SHORTOPTS "t:f", longopts, NULL)) != -1) {
        int g = cli_global_option(c, optarg);
        if (g < 0) {
            return CLI_EXIT_USAGE;
        }
        if (g > 0) {
            continue;
        }
        switch (c) {
        case 'h': cli_out_str(cmd_key_usage); return cli_out_close();
        case 't':
            if (bw_key_type_parse(optarg, &o.type) != BW_OK) {
                return cli_usage_error("key", "unknown key type '%s' (expected p256, ed25519, p384 or p521)", optarg);
            }
            type_set = true;
            break;
        case 0x2001: o.no_pass = true; break;
        case 'f': o.force = true; break;
        case 0x2002: o.pass_file = optarg; break;
        case 0x2003: o.new_pass_file = optarg; break;
        case 0x2004: o.import_pass_file = optarg; break;
        case ':': return cli_usage_error("key", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("key", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        return cli_usage_error("key", "which action: new, list, export, import, delete or passwd?");
    }
    sub = argv[optind];
    nargs = argc - optind - 1;
    name = nargs > 0 ? argv[optind + 1] : NULL;
    if (o.no_pass && (strcmp(sub, "passwd") == 0 ? o.new_pass_file != NULL : o.pass_file != NULL)) {
        return cli_usage_error("key", "--no-passphrase and --passphrase-file contradict each other");
    }
    if (strcmp(sub, "list") == 0) {
        if (nargs != 0) {
            return cli_usage_error("key", "list takes no operands");
        }
        return do_list();
    }
    if (strcmp(sub, "export") == 0) {
        if (nargs != 1) {
            return cli_usage_error("key", "export takes one key name or file");
        }
        return do_export(name);
    }
    if (strcmp(sub, "new") != 0 && strcmp(sub, "import") != 0 && strcmp(sub, "delete") != 0 &&
        strcmp(sub, "passwd") != 0) {
        return cli_usage_error("key", "unknown action '%s' (expected new, list, export, import, delete or passwd)",
                               sub);
    }
    if (nargs != (strcmp(sub, "import") == 0 ? 2 : 1)) {
        return cli_usage_error("key", "%s takes %s", sub,
                               strcmp(sub, "import") == 0 ? "a NAME and a FILE" : "one NAME");
    }
    if (!bw_keystore_name_valid(name)) {
        return cli_usage_error(
            "key", "'%s' is not a valid key name (1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.')", name);
    }
    if (type_set && strcmp(sub, "new") != 0) {
        return cli_usage_error("key", "--type applies to 'key new' only");
    }
    if (strcmp(sub, "new") == 0) {
        return do_new(&o, name);
    }
    if (strcmp(sub, "import") == 0) {
        return do_import(&o, name, argv[optind + 2]);
    }
    if (strcmp(sub, "passwd") == 0) {
        return do_passwd(&o, name);
    }
    return do_delete(name);
}
