/*
 * cmd_ledger.c - `bulwark ledger add|log|show|verify|proof|checkpoint`: the
 * project's tamper-evident ledger in .bulwark/ledger.db (docs/ledger.md).
 *
 * Every batch gets a checkpoint signed with the log's own Ed25519 note key,
 * .bulwark/ledger.note-key (mode 0600, made on first use and named after the
 * log's origin). `add --key PEM` signs the batch with the actor's key and
 * registers that key first (a "key" entry in the same batch) when the ledger
 * does not know it yet; without --key the batch is unsigned, which `ledger
 * verify` reports (and fails with --require-signed).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/cli/cmd.h"

const char cmd_ledger_usage[] =
    "usage: bulwark ledger add --kind KIND [--json FILE|-] [FIELD OPTIONS] [--key KEY]\n"
    "       bulwark ledger log [--kind KIND] [--limit N]\n"
    "       bulwark ledger show INDEX\n"
    "       bulwark ledger verify [--since CHECKPOINT|--no-witness] [--require-signed] [--trusted-key PEM]...\n"
    "       bulwark ledger proof --inclusion INDEX [--size N]\n"
    "       bulwark ledger proof --consistency OLD [--size NEW]\n"
    "       bulwark ledger checkpoint [--note-key]\n"
    "       bulwark ledger export INDEX|ARTIFACT --format slsa|openlineage|in-toto-link [--key KEY]\n"
    "       bulwark ledger import dvc.lock [--key KEY]\n"
    "       (each also takes --store URL|PATH and --note-key-file FILE)\n"
    "\n"
    "The project's append-only ledger (.bulwark/ledger.db): an RFC 9162 Merkle log of entries\n"
    "(artifact, stage_run, gate, approval, key), each batch signed by its actor's key and followed by a\n"
    "C2SP checkpoint signed with the ledger's note key (.bulwark/ledger.note-key).\n"
    "--store names another ledger: a SQLite file, or a PostgreSQL URL (postgres://USER@HOST/DB) shared\n"
    "by a team; without it $BULWARK_LEDGER, then `store` in .bulwark/config (bulwark init --store),\n"
    "then .bulwark/ledger.db. --note-key-file (else $BULWARK_LEDGER_NOTE_KEY, `note-key` in the\n"
    "config, .bulwark/ledger.note-key) is the checkpoint key, the same file on every writer.\n"
    "\n"
    "add:  records one entry. The body comes from --json (an object; '-' reads standard input) and the\n"
    "      field options, which add fields: --actor NAME (default $BULWARK_ACTOR, then $USER),\n"
    "      --time RFC3339 (default now), --name, --digest [sha256:]HEX, --media-type, --size N,\n"
    "      --stage, --run-id, --commit, --exit-status N, --check, --verdict pass|fail|warn,\n"
    "      --subject [sha256:]HEX, --findings-digest [sha256:]HEX, --target INDEX|[sha256:]HEX,\n"
    "      --decision override|approve|reject, --reason TEXT, --event added|revoked,\n"
    "      --public-key PEM (kind key: sets public_key and key_hint), --input PATH and --output PATH\n"
    "      (stage_run, repeatable: inputs/outputs named PATH with the digest 'digest --record' gives it).\n"
    "      --key KEY signs the batch with that private key, a key-store name or a key file (registering\n"
    "      it first if the ledger does not know it, under --key-name or the key's name); without it the\n"
    "      entry is unsigned.\n"
    "log:  one line per entry: index, time, kind, actor and what; --limit N shows the last N.\n"
    "show: the entry with its batch, leaf hash and signer, as JSON.\n"
    "verify: recomputes every leaf and node, checks every tree head, batch signature, key\n"
    "      registration and checkpoint. --since FILE proves the log only grew since an old\n"
    "      checkpoint (a fork or a rollback fails). Without --since, the checkpoint this user last\n"
    "      verified ($XDG_STATE_HOME/bulwark/checkpoints/, kept after each success) is compared the\n"
    "      same way, so entries cut off the end are caught; --no-witness skips that.\n"
    "      Exit 0 verified, 1 tampering found, 2 unreadable.\n"
    "proof: inclusion or consistency proofs as JSON (base64 hashes, as tlog tools print them).\n"
    "checkpoint: the latest signed checkpoint; --note-key prints the verifier key instead.\n"
    "export: a stage run (by entry index, or the run that produced ARTIFACT: a path, digest or name)\n"
    "      as SLSA Provenance v1 (DSSE-signed with --key), an OpenLineage RunEvent or a signed in-toto\n"
    "      link; 'bulwark ledger export --help' says more.\n"
    "import: DVC's dvc.lock as stage runs (and their artifacts), one batch.\n"
    "\n"
    "Global options apply: --format text|json, --output, --quiet.\n";

enum {
    O_KIND = 0x2000,
    O_JSON,
    O_KEY,
    O_KEY_NAME,
    O_LIMIT,
    O_SINCE,
    O_REQUIRE_SIGNED,
    O_NO_WITNESS,
    O_TRUSTED,
    O_INCLUSION,
    O_CONSISTENCY,
    O_SIZE_ARG,
    O_NOTE_KEY,
    O_PUBLIC_KEY,
    O_INPUT,
    O_OUTPUT,
    O_STORE,
    O_NOTE_KEY_FILE,
    O_FIELD, /* field options: O_FIELD + index into fields[] */
};

/* Field options of `add`: the JSON name and how its value is written. */
enum ftype { FT_STR, FT_INT, FT_DIGEST, FT_TARGET };
static const struct {
    const char *opt, *json;
    enum ftype t;
} fields[] = {
    {"actor", "actor", FT_STR},
    {"time", "time", FT_STR},
    {"name", "name", FT_STR},
    {"digest", "digest", FT_DIGEST},
    {"media-type", "media_type", FT_STR},
    {"size", "size", FT_INT},
    {"stage", "stage", FT_STR},
    {"run-id", "run_id", FT_STR},
    {"commit", "commit", FT_STR},
    {"exit-status", "exit_status", FT_INT},
    {"check", "check", FT_STR},
    {"verdict", "verdict", FT_STR},
    {"subject", "subject", FT_DIGEST},
    {"findings-digest", "findings_digest", FT_DIGEST},
    {"target", "target", FT_TARGET},
    {"decision", "decision", FT_STR},
    {"reason", "reason", FT_STR},
    {"event", "event", FT_STR},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct opts {
    const char *kind, *json, *key, *key_name, *since, *public_key;
    const char **trusted;
    size_t n_trusted;
    const char **io[2]; /* --input, --output paths */
    size_t n_io[2];
    const char *field[NFIELDS];
    long long limit;
    int require_signed, note_key, no_witness;
    const char *inclusion, *consistency, *size;
};

static void opts_free(struct opts *o)
{
    free(o->trusted);
    free(o->io[0]);
    free(o->io[1]);
}

/* ------------------------------------------------------------------------------------------------ */

static void b64(const uint8_t *p, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = t[v >> 18 & 63];
        out[o++] = t[v >> 12 & 63];
        out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = '\0';
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -1;
    }
    *v = x;
    return 0;
}

static int fail(const bw_error *err, bw_status rc)
{
    cli_report_error(err, rc);
    return rc == BW_EVERIFY ? CLI_EXIT_FINDINGS : CLI_EXIT_ERROR;
}

/* Open the project's ledger (cli_ledger_target: --store, $BULWARK_LEDGER, the config, .bulwark/ledger.db);
   NULL after printing why, or silently with *absent set when there is none and `absent` is given. */
static bw_ledger *open_ledger_ex(bool create, bool *absent)
{
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_error err = {0};
    char *target = cli_ledger_target(create);
    bw_status rc;

    if (target == NULL) {
        return NULL;
    }
    o.create = create;
    rc = bw_ledger_open(&l, target, &o, &err);
    if (absent != NULL) {
        *absent = rc == BW_ENOTFOUND;
    }
    if (rc == BW_ENOTFOUND && absent != NULL) {
        /* the caller takes no ledger as an empty one */
    } else if (rc == BW_ENOTFOUND) {
        char *shown = cli_ledger_shown(target);
        cli_error("no ledger at '%s' (it is made by 'bulwark init' or 'bulwark ledger add')", shown);
        free(shown);
    } else if (rc != BW_OK) {
        cli_report_error(&err, rc);
    }
    cli_secret_free(target);
    return l;
}

static bw_ledger *open_ledger(bool create)
{
    return open_ledger_ex(create, NULL);
}

/*
 * The ledger's note signer from its file (cli_ledger_note_key_path: .bulwark/ledger.note-key by
 * default), made (mode 0600) when absent. For reading commands (!create) only its public half is
 * wanted: 1 when there is none.
 */
static int note_signer(bw_ledger *l, bool create, bw_note_signer *s)
{
    char *path = cli_ledger_note_key_path(create);
    bw_buf b = BW_BUF_INIT(4096);
    bw_error err = {0};
    struct stat st;
    int rc = 0;

    if (path == NULL) {
        return -1;
    }
    if (lstat(path, &st) != 0 && errno == ENOENT) {
        if (!create) {
            free(path);
            return 1;
        }
        bw_buf have = BW_BUF_INIT(4096);
        bw_status ks = bw_ledger_note_key(l, &have, &err);
        bw_buf_release(&have);
        if (ks == BW_OK) {
            /* a shared ledger whose checkpoints another writer's key signs: a new key would be refused */
            cli_error("this ledger's checkpoints are signed with a note key that '%s' does not hold: copy the team's "
                      "note key there (or name it with --note-key-file or $BULWARK_LEDGER_NOTE_KEY)",
                      path);
            free(path);
            return -1;
        }
        if (bw_note_signer_new(bw_ledger_origin(l), s, &err) != BW_OK || bw_note_signer_format(s, &b) != BW_OK ||
            bw_buf_addc(&b, '\n') != BW_OK || bw_file_write_atomic(path, b.ptr, b.len, 0600, &err) != BW_OK) {
            cli_error("cannot create the ledger's note key '%s': %s", path, err.msg);
            rc = -1;
        }
    } else if (bw_file_slurp(path, 0, 4096, &b, &err) != BW_OK) {
        cli_report_error(&err, err.code);
        rc = -1;
    } else {
        if (b.len > 0 && b.ptr[b.len - 1] == '\n') {
            b.ptr[--b.len] = '\0';
        }
        if (bw_note_signer_parse(b.ptr, s, &err) != BW_OK) {
            cli_error("'%s': %s", path, err.msg);
            rc = -1;
        } else if ((st.st_mode & 077) != 0) {
            cli_warn("'%s' is readable by others (chmod 600 it)", path);
        }
    }
    if (b.ptr != NULL) {
        explicit_bzero(b.ptr, b.len);
    }
    bw_buf_release(&b);
    free(path);
    return rc;
}

/* The actor's signing key: a key-store name or a key file (cli_key_load; a sealed key's passphrase
   from $BULWARK_PASSPHRASE or the terminal). The one place keys are loaded. */
static bw_key *load_key(const char *spec)
{
    bw_key *k = NULL;

    return cli_key_load(spec, true, NULL, &k) == 0 ? k : NULL;
}

void cli_now_rfc3339(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *cli_actor(void)
{
    const char *a = getenv("BULWARK_ACTOR");
    if (a == NULL || *a == '\0') {
        a = getenv("USER");
    }
    return a != NULL && *a != '\0' ? a : "unknown";
}

/* ------------------------------------------------------------------------------------------------ */

static void json_digest(bw_buf *b, const char *v)
{
    if (strncmp(v, "sha256:", 7) == 0) {
        v += 7;
    }
    bw_buf_addstr(b, "{\"sha256\":\"");
    bw_json_escape(b, v, strlen(v));
    bw_buf_addstr(b, "\"}");
}

int cli_ledger_record_batch(const bw_bytes *entries, size_t n, const bw_key *key, const char *key_name,
                            const char *actor, const char *time, bw_ledger_head *out)
{
    bw_buf kentry = BW_BUF_INIT(1 << 16);
    bw_error err = {0};
    bw_ledger *l = open_ledger(true);
    bw_note_signer ns;
    bw_bytes *batch = calloc(n + 1, sizeof(*batch));
    size_t nb = 0;
    int rc = CLI_EXIT_ERROR;
    bw_status st;

    memset(&ns, 0, sizeof(ns));
    if (batch == NULL) {
        cli_error("out of memory");
        goto out;
    }
    if (l == NULL || note_signer(l, true, &ns) != 0) {
        goto out;
    }
    if (key != NULL) {
        char hint[65];
        int state = 0;
        if (bw_key_hint(key, hint) != BW_OK || bw_ledger_key_state(l, hint, &state, &err) != BW_OK) {
            rc = fail(&err, err.code);
            goto out;
        }
        if (state < 0) {
            cli_error("key '%s' was revoked in the ledger", key_name);
            goto out;
        }
        if (state == 0) {
            /* a key the ledger does not know: registered in the same batch */
            if (bw_ledger_key_entry(key, key_name, actor, time, &kentry, &err) != BW_OK) {
                rc = fail(&err, err.code);
                goto out;
            }
            batch[nb].ptr = (const uint8_t *)kentry.ptr;
            batch[nb++].len = kentry.len;
        }
    }
    memcpy(batch + nb, entries, n * sizeof(*entries));
    nb += n;
    st = bw_ledger_append_batch(l, batch, nb, key, &ns, out, &err);
    rc = st == BW_OK ? CLI_EXIT_OK : fail(&err, st);
out:
    free(batch);
    bw_note_signer_clear(&ns);
    bw_ledger_close(l);
    bw_buf_release(&kentry);
    return rc;
}

int cli_ledger_record(const char *filled, size_t n, const bw_key *key, const char *key_name, const char *actor,
                      const char *time, bw_ledger_head *out)
{
    bw_bytes e = {(const uint8_t *)filled, n};
    return cli_ledger_record_batch(&e, 1, key, key_name, actor, time, out);
}

bw_ledger *cli_ledger_open(bool create)
{
    return open_ledger(create);
}

int cli_lineage_load(bool absent_ok, bw_lineage **out)
{
    bool absent = false;
    bw_ledger *l = open_ledger_ex(false, absent_ok ? &absent : NULL);
    bw_error err = {0};
    bw_status st;

    *out = NULL;
    if (l == NULL) {
        return absent ? 0 : CLI_EXIT_USAGE; /* no ledger to show: as an unknown artifact */
    }
    st = bw_lineage_build(out, l, &err);
    bw_ledger_close(l);
    if (st != BW_OK) {
        cli_report_error(&err, st);
        return CLI_EXIT_ERROR;
    }
    return 0;
}

int cli_ledger_note(const char *body, const bw_key *key, const char *key_name, bool create)
{
    char *dir = cli_state_dir(create && !cli_ledger_explicit()); /* a named ledger needs no .bulwark */
    bw_buf filled = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    bw_ledger_head h;
    struct stat st;
    char now[32];
    int rc = CLI_EXIT_OK;

    if (dir == NULL) {
        return CLI_EXIT_ERROR;
    }
    if (!cli_ledger_explicit() && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        free(dir); /* no project state here and no ledger named: nothing to record in */
        return CLI_EXIT_OK;
    }
    free(dir);
    cli_now_rfc3339(now);
    if (bw_ledger_entry_fill(body, strlen(body), now, cli_actor(), &filled, &err) != BW_OK) {
        rc = fail(&err, err.code);
    } else {
        rc = cli_ledger_record(filled.ptr, filled.len, key, key_name, cli_actor(), now, &h);
        if (rc == CLI_EXIT_OK && cli.verbose) {
            cli_note("recorded in the ledger as entry %llu", (unsigned long long)(h.size - 1));
        }
    }
    bw_buf_release(&filled);
    return rc;
}

static int ledger_add(struct opts *o)
{
    bw_buf body = BW_BUF_INIT(1 << 24), filled = BW_BUF_INIT(1 << 24);
    bw_error err = {0};
    bw_key *key = NULL, *pub = NULL;
    bw_ledger_head h;
    char now[32];
    int rc = CLI_EXIT_ERROR;
    bw_status st;

    if (o->json != NULL) {
        if (bw_file_slurp(o->json, BW_FILE_STDIN | BW_FILE_FOLLOW, 1 << 20, &body, &err) != BW_OK) {
            cli_report_error(&err, err.code);
            goto out;
        }
        while (body.len > 0 && strchr(" \t\r\n", body.ptr[body.len - 1]) != NULL) {
            body.ptr[--body.len] = '\0';
        }
        if (body.len == 0 || body.ptr[body.len - 1] != '}') {
            cli_error("'%s' is not a JSON object", o->json);
            goto out;
        }
        body.ptr[--body.len] = '\0'; /* the options' fields go before the closing brace */
    } else {
        bw_buf_addc(&body, '{');
    }
    size_t lead = strspn(body.ptr, " \t\r\n");
    if (body.ptr[lead] != '{') {
        cli_error("'%s' is not a JSON object", o->json);
        goto out;
    }
    bool first = strspn(body.ptr + lead + 1, " \t\r\n") == body.len - lead - 1;
#define SEP() (first ? (void)(first = false) : (void)bw_buf_addc(&body, ','))
    if (o->kind != NULL) {
        SEP();
        bw_buf_printf(&body, "\"kind\":\"");
        bw_json_escape(&body, o->kind, strlen(o->kind));
        bw_buf_addc(&body, '"');
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *v = o->field[i];
        uint64_t n;
        if (v == NULL) {
            continue;
        }
        SEP();
        bw_buf_printf(&body, "\"%s\":", fields[i].json);
        if (fields[i].t == FT_INT || (fields[i].t == FT_TARGET && parse_u64(v, &n) == 0)) {
            char *end;
            errno = 0;
            long long x = strtoll(v, &end, 10);
            if (errno != 0 || *end != '\0' || end == v) {
                cli_usage_error("ledger", "--%s needs an integer", fields[i].opt);
                goto out;
            }
            bw_buf_printf(&body, "%lld", x);
        } else if (fields[i].t == FT_DIGEST || fields[i].t == FT_TARGET) {
            json_digest(&body, v);
        } else {
            bw_buf_addc(&body, '"');
            bw_json_escape(&body, v, strlen(v));
            bw_buf_addc(&body, '"');
        }
    }
    if (o->public_key != NULL) {
        bw_buf pem = BW_BUF_INIT(1 << 16);
        char hint[65];
        if (bw_file_slurp(o->public_key, BW_FILE_FOLLOW, 1 << 20, &pem, &err) != BW_OK ||
            bw_key_from_pem(pem.ptr, pem.len, o->public_key, &pub, &err) != BW_OK) {
            bw_buf_release(&pem);
            cli_report_error(&err, err.code);
            goto out;
        }
        bw_buf_reset(&pem);
        if (bw_key_public_pem(pub, &pem) != BW_OK || bw_key_hint(pub, hint) != BW_OK) {
            bw_buf_release(&pem);
            cli_error("cannot read the public key of '%s'", o->public_key);
            goto out;
        }
        SEP();
        bw_buf_printf(&body, "\"key_hint\":\"%s\",\"public_key\":\"", hint);
        bw_json_escape(&body, pem.ptr, pem.len);
        bw_buf_addc(&body, '"');
        bw_buf_release(&pem);
    }
    for (int k = 0; k < 2; k++) { /* --input/--output: each path by the digest digest --record gives it */
        if (o->n_io[k] == 0) {
            continue;
        }
        SEP();
        bw_buf_printf(&body, "\"%s\":[", k == 0 ? "inputs" : "outputs");
        for (size_t i = 0; i < o->n_io[k]; i++) {
            const char *p = o->io[k][i];
            char dkey[8 + BW_DIGEST_HEX_MAX];
            struct stat sb;
            uint64_t size = 0;
            if (stat(p, &sb) != 0 || !(S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode))) {
                cli_error("%s: not a file or directory: %s", p, strerror(errno ? errno : EINVAL));
                goto out;
            }
            if ((rc = cli_path_digest(p, S_ISDIR(sb.st_mode), dkey, &size)) != 0) {
                goto out;
            }
            rc = CLI_EXIT_ERROR;
            bw_buf_printf(&body, "%s{\"name\":\"", i > 0 ? "," : "");
            bw_json_escape(&body, p, strlen(p));
            bw_buf_printf(&body, "\",\"digest\":{\"sha256\":\"%s\"},\"size\":%llu}", dkey + 7,
                          (unsigned long long)size);
        }
        bw_buf_addc(&body, ']');
    }
#undef SEP
    bw_buf_addc(&body, '}');
    cli_now_rfc3339(now);
    st = bw_ledger_entry_fill(body.ptr, body.len, now, cli_actor(), &filled, &err);
    if (st != BW_OK) {
        rc = fail(&err, st);
        goto out;
    }
    if (o->key != NULL && (key = load_key(o->key)) == NULL) {
        goto out;
    }
    char name[256] = "";
    if (key != NULL) {
        cli_key_label(o->key_name != NULL ? o->key_name : o->key, name, sizeof(name));
    }
    rc = cli_ledger_record(filled.ptr, filled.len, key, name, o->field[0] != NULL ? o->field[0] : cli_actor(),
                           o->field[1] != NULL ? o->field[1] : now, &h);
    if (rc != CLI_EXIT_OK) {
        goto out;
    }
    if (cli.format == BW_FORMAT_JSON) {
        char r[64];
        b64(h.root.b, 32, r);
        cli_out_printf("{\"index\":%llu,\"batch\":%llu,\"tree_size\":%llu,\"root\":\"%s\",\"signed\":%s}\n",
                       (unsigned long long)(h.size - 1), (unsigned long long)h.batch, (unsigned long long)h.size, r,
                       key != NULL ? "true" : "false");
    } else {
        cli_out_printf("entry %llu recorded%s (tree size %llu)\n", (unsigned long long)(h.size - 1),
                       key != NULL ? ", signed" : ", unsigned", (unsigned long long)h.size);
    }
    rc = CLI_EXIT_OK;
out:
    bw_key_free(key);
    bw_key_free(pub);
    bw_buf_release(&body);
    bw_buf_release(&filled);
    return rc;
}

struct log_ctx {
    const char *kind;
    bw_json *j;
    bw_buf line;
};

static int log_one(void *ud, const bw_ledger_entry *e)
{
    struct log_ctx *c = ud;
    if (c->kind != NULL && strcmp(c->kind, e->kind) != 0) {
        return 0;
    }
    if (c->j != NULL) {
        bw_json_obj_begin(c->j);
        bw_json_key(c->j, "index");
        bw_json_uint(c->j, e->index);
        bw_json_key(c->j, "batch");
        bw_json_uint(c->j, e->batch);
        bw_json_key(c->j, "entry");
        bw_json_raw(c->j, (const char *)e->body.ptr, e->body.len);
        bw_json_obj_end(c->j);
        return 0;
    }
    bw_buf_reset(&c->line);
    if (bw_ledger_entry_summary(e->body.ptr, e->body.len, &c->line) == BW_OK) {
        cli_out_printf("%-5llu %s\n", (unsigned long long)e->index, c->line.ptr);
    }
    return 0;
}

static int ledger_log(struct opts *o)
{
    bw_ledger *l = open_ledger(false);
    bw_error err = {0};
    bw_buf jb = BW_BUF_INIT(SIZE_MAX / 2);
    bw_json j;
    bw_ledger_head h;
    struct log_ctx c = {o->kind, NULL, BW_BUF_INIT(1 << 16)};
    uint64_t from = 0;
    bw_status st;

    if (l == NULL) {
        return CLI_EXIT_ERROR;
    }
    st = bw_ledger_current(l, &h, &err);
    if (st == BW_OK && o->limit >= 0 && (uint64_t)o->limit < h.size) {
        from = h.size - (uint64_t)o->limit;
    }
    if (cli.format == BW_FORMAT_JSON) {
        bw_json_init(&j, &jb, 1);
        bw_json_arr_begin(&j);
        c.j = &j;
    }
    if (st == BW_OK) {
        st = bw_ledger_each(l, from, log_one, &c, &err);
    }
    if (st == BW_OK && c.j != NULL) {
        bw_json_arr_end(&j);
        if (bw_json_finish(&j) == BW_OK) {
            cli_out_write(jb.ptr, jb.len);
            cli_out_str("\n");
        }
    }
    bw_buf_release(&jb);
    bw_buf_release(&c.line);
    bw_ledger_close(l);
    return st == BW_OK ? CLI_EXIT_OK : fail(&err, st);
}

static int ledger_show(const char *arg)
{
    bw_ledger *l;
    bw_error err = {0};
    bw_buf b = BW_BUF_INIT(1 << 24), jb = BW_BUF_INIT(1 << 26);
    bw_ledger_entry e;
    uint64_t idx;
    bw_json j;
    char leaf[64];
    bw_status st;

    if (parse_u64(arg, &idx) != 0) {
        return cli_usage_error("ledger", "show needs an entry index, not '%s'", arg);
    }
    if ((l = open_ledger(false)) == NULL) {
        return CLI_EXIT_ERROR;
    }
    st = bw_ledger_get(l, idx, &b, &e, &err);
    if (st == BW_OK) {
        b64(e.leaf.b, 32, leaf);
        bw_json_init(&j, &jb, 1);
        bw_json_obj_begin(&j);
        bw_json_key(&j, "index");
        bw_json_uint(&j, e.index);
        bw_json_key(&j, "batch");
        bw_json_uint(&j, e.batch);
        bw_json_kv_str(&j, "leaf_hash", leaf);
        bw_json_kv_str(&j, "signer", e.signer[0] != '\0' ? e.signer : NULL);
        bw_json_key(&j, "entry");
        bw_json_raw(&j, (const char *)e.body.ptr, e.body.len);
        bw_json_obj_end(&j);
        if (bw_json_finish(&j) == BW_OK) {
            cli_out_write(jb.ptr, jb.len);
            cli_out_str("\n");
        }
    }
    bw_buf_release(&b);
    bw_buf_release(&jb);
    bw_ledger_close(l);
    return st == BW_OK ? CLI_EXIT_OK : fail(&err, st);
}

/*
 * The witness: the checkpoint this user last verified of a log, kept outside the project
 * ($XDG_STATE_HOME/bulwark/checkpoints/<hex SHA-256 of the origin>.note, mode 0600), so a later plain
 * `ledger verify` proves the log only grew since. Whoever can rewrite .bulwark/ (the ledger and its
 * note key) can cut batches off the end or rewrite the log undetectably to a verifier with nothing
 * from outside; this user's own record of what they saw is that something from outside.
 * Malloc'd path, or NULL when there is no per-user directory.
 */
static char *witness_path(const char *origin, bool create)
{
    char *dir = cli_user_dir("XDG_STATE_HOME", ".local/state", create), *path = NULL;
    char hex[BW_DIGEST_HEX_MAX];
    bw_digest d;

    if (dir == NULL || bw_digest_bytes(BW_ALGO_SHA256, origin, strlen(origin), &d) != BW_OK) {
        free(dir);
        return NULL;
    }
    bw_digest_hex(&d, hex);
    size_t n = strlen(dir) + 20 + strlen(hex);
    if ((path = malloc(n)) != NULL) {
        snprintf(path, n, "%s/checkpoints", dir);
        if (create && mkdir(path, 0700) != 0 && errno != EEXIST) {
            free(path);
            path = NULL;
        } else {
            snprintf(path, n, "%s/checkpoints/%s.note", dir, hex);
        }
    }
    free(dir);
    return path;
}

/* Keep the log's latest checkpoint as this user's witness (after a successful verify). */
static void witness_save(bw_ledger *l, const char *path)
{
    bw_buf cp = BW_BUF_INIT(1 << 20);
    bw_error err = {0};

    if (bw_ledger_checkpoint(l, &cp, &err) == BW_OK &&
        bw_file_write_atomic(path, cp.ptr, cp.len, 0600, &err) != BW_OK) {
        cli_warn("could not keep the checkpoint in '%s': %s", path, err.msg);
    }
    bw_buf_release(&cp);
}

static int ledger_verify(struct opts *o)
{
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    bw_ledger_report rep;
    bw_ledger *l = open_ledger(false);
    bw_error err = {0};
    bw_note_signer ns;
    bw_buf since = BW_BUF_INIT(1 << 20);
    bw_key **trusted = NULL;
    char *witness = NULL;
    bool by_witness = false;
    int rc = CLI_EXIT_ERROR, have;
    bw_status st = BW_OK;

    memset(&ns, 0, sizeof(ns));
    if (l == NULL || (have = note_signer(l, false, &ns)) < 0) {
        goto out;
    }
    if (have == 0) {
        vo.note_keys = &ns.v;
        vo.n_note_keys = 1;
    }
    if (o->since != NULL) {
        if (bw_file_slurp(o->since, BW_FILE_STDIN | BW_FILE_FOLLOW, 1 << 20, &since, &err) != BW_OK) {
            cli_report_error(&err, err.code);
            goto out;
        }
        vo.since = since.ptr != NULL ? since.ptr : "";
        vo.since_len = since.len;
    }
    if (!o->no_witness) {
        witness = witness_path(bw_ledger_origin(l), true);
    }
    if (witness != NULL && o->since != NULL && access(witness, F_OK) == 0) {
        free(witness); /* an explicit --since is checked instead: this user's witness stays as it is */
        witness = NULL;
    }
    if (witness != NULL && o->since == NULL) {
        st = bw_file_slurp(witness, BW_FILE_FOLLOW, 1 << 20, &since, &err);
        if (st == BW_OK && since.len > 0) {
            vo.since = since.ptr;
            vo.since_len = since.len;
            by_witness = true;
        } else if (st != BW_OK && st != BW_ENOTFOUND) {
            cli_warn("this user's last checkpoint of the log is unreadable (%s): not compared", err.msg);
        }
        bw_error_clear(&err);
        st = BW_OK;
    }
    trusted = calloc(o->n_trusted + 1, sizeof(*trusted));
    for (size_t i = 0; trusted != NULL && i < o->n_trusted; i++) {
        bw_buf pem = BW_BUF_INIT(1 << 20);
        if (bw_file_slurp(o->trusted[i], BW_FILE_FOLLOW, 1 << 20, &pem, &err) != BW_OK ||
            bw_key_from_pem(pem.ptr, pem.len, o->trusted[i], &trusted[i], &err) != BW_OK) {
            bw_buf_release(&pem);
            cli_report_error(&err, err.code);
            goto out;
        }
        bw_buf_release(&pem);
    }
    vo.trusted = (const bw_key *const *)trusted;
    vo.n_trusted = o->n_trusted;
    vo.require_signed = o->require_signed != 0;
    st = bw_ledger_verify(l, &vo, &rep, &err);
    if (cli.format == BW_FORMAT_JSON) {
        char r[64];
        b64(rep.root.b, 32, r);
        cli_out_printf("{\"ok\":%s,", st == BW_OK ? "true" : "false");
        if (st != BW_OK) {
            bw_buf e = BW_BUF_INIT(1024);
            bw_json_escape(&e, err.msg, strlen(err.msg));
            cli_out_printf("\"error\":\"%s\"}\n", e.ptr != NULL ? e.ptr : "");
            bw_buf_release(&e);
        } else {
            cli_out_printf("\"entries\":%llu,\"batches\":%llu,\"signed_batches\":%llu,\"unsigned_batches\":%llu,"
                           "\"checkpoints\":%llu,\"keys\":%llu,\"root\":\"%s\"",
                           (unsigned long long)rep.entries, (unsigned long long)rep.batches,
                           (unsigned long long)rep.signed_batches, (unsigned long long)rep.unsigned_batches,
                           (unsigned long long)rep.checkpoints, (unsigned long long)rep.keys, r);
            if (rep.since_checked) {
                cli_out_printf(",\"%s\":%llu", by_witness ? "witness_size" : "since_size",
                               (unsigned long long)rep.since_size);
            }
            cli_out_str("}\n");
        }
    } else if (st == BW_OK) {
        char r[64];
        b64(rep.root.b, 32, r);
        cli_out_printf("ledger: %llu entries in %llu batches (%llu signed, %llu unsigned), %llu checkpoints, %llu "
                       "keys\nroot: %s\n",
                       (unsigned long long)rep.entries, (unsigned long long)rep.batches,
                       (unsigned long long)rep.signed_batches, (unsigned long long)rep.unsigned_batches,
                       (unsigned long long)rep.checkpoints, (unsigned long long)rep.keys, r);
        if (rep.since_checked) {
            cli_out_printf("consistent with the checkpoint of %llu entries%s: the log only grew\n",
                           (unsigned long long)rep.since_size, by_witness ? " this user verified before" : "");
        }
        cli_out_str("verified\n");
    }
    if (st == BW_OK) {
        if (rep.unsigned_batches > 0) {
            cli_warn("%llu of %llu batches are unsigned (recorded without --key)",
                     (unsigned long long)rep.unsigned_batches, (unsigned long long)rep.batches);
        }
        if (rep.own_note_key) {
            cli_warn("checkpoints checked with the key the ledger records (no .bulwark/ledger.note-key here)");
        }
        if (witness != NULL) {
            witness_save(l, witness);
        }
        rc = CLI_EXIT_OK;
    } else if (st == BW_EVERIFY) {
        cli_error("ledger verification failed: %s", err.msg);
        if (by_witness) {
            cli_note("compared with the checkpoint this user verified before, kept in '%s': the log lost entries "
                     "or was rewritten since; if it was replaced on purpose, remove that file (or pass --no-witness)",
                     witness);
        }
        rc = CLI_EXIT_FINDINGS;
    } else {
        cli_report_error(&err, st);
    }
out:
    for (size_t i = 0; trusted != NULL && i < o->n_trusted; i++) {
        bw_key_free(trusted[i]);
    }
    free(trusted);
    bw_note_signer_clear(&ns);
    bw_buf_release(&since);
    bw_ledger_close(l);
    free(witness);
    return rc;
}

static void print_proof(const char *type, const bw_mhash *proof, size_t len)
{
    char h[64];
    cli_out_printf("  \"proof\": [");
    for (size_t i = 0; i < len; i++) {
        b64(proof[i].b, 32, h);
        cli_out_printf("%s\n    \"%s\"", i > 0 ? "," : "", h);
    }
    cli_out_printf("%s]\n}\n", len > 0 ? "\n  " : "");
    (void)type;
}

static int ledger_proof(struct opts *o)
{
    bw_mhash proof[BW_MERKLE_MAX_PROOF], a, b;
    uint64_t x, size = 0;
    size_t len = 0;
    bw_error err = {0};
    bw_ledger *l;
    bw_status st;
    char ha[64], hb[64];

    if ((o->inclusion == NULL) == (o->consistency == NULL)) {
        return cli_usage_error("ledger", "proof needs --inclusion INDEX or --consistency OLD");
    }
    if (parse_u64(o->inclusion != NULL ? o->inclusion : o->consistency, &x) != 0 ||
        (o->size != NULL && (parse_u64(o->size, &size) != 0 || size == 0))) {
        return cli_usage_error("ledger", "proof takes whole numbers (and a --size above 0)");
    }
    if ((l = open_ledger(false)) == NULL) {
        return CLI_EXIT_ERROR;
    }
    if (o->inclusion != NULL) {
        st = bw_ledger_inclusion(l, x, size, &a, &b, proof, &len, &err);
    } else {
        st = bw_ledger_consistency(l, x, size, &a, &b, proof, &len, &err);
    }
    if (st == BW_OK && size == 0) {
        bw_ledger_head h;
        st = bw_ledger_current(l, &h, &err);
        size = h.size;
    }
    bw_ledger_close(l);
    if (st != BW_OK) {
        return st == BW_EINVAL ? (cli_report_error(&err, st), CLI_EXIT_USAGE) : fail(&err, st);
    }
    b64(a.b, 32, ha);
    b64(b.b, 32, hb);
    if (o->inclusion != NULL) {
        cli_out_printf("{\n  \"type\": \"inclusion\",\n  \"index\": %llu,\n  \"tree_size\": %llu,\n  \"leaf_hash\": "
                       "\"%s\",\n  \"root\": \"%s\",\n",
                       (unsigned long long)x, (unsigned long long)size, ha, hb);
    } else {
        cli_out_printf("{\n  \"type\": \"consistency\",\n  \"old_size\": %llu,\n  \"new_size\": %llu,\n  \"old_root\": "
                       "\"%s\",\n  \"new_root\": \"%s\",\n",
                       (unsigned long long)x, (unsigned long long)size, ha, hb);
    }
    print_proof(o->inclusion != NULL ? "inclusion" : "consistency", proof, len);
    return CLI_EXIT_OK;
}

static int ledger_checkpoint(struct opts *o)
{
    bw_ledger *l = open_ledger(false);
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    bw_status st;

    if (l == NULL) {
        return CLI_EXIT_ERROR;
    }
    st = o->note_key ? bw_ledger_note_key(l, &b, &err) : bw_ledger_checkpoint(l, &b, &err);
    if (st == BW_OK) {
        cli_out_write(b.ptr, b.len);
        if (o->note_key) {
            cli_out_str("\n");
        }
    }
    bw_buf_release(&b);
    bw_ledger_close(l);
    return st == BW_OK ? CLI_EXIT_OK : fail(&err, st);
}

int cmd_ledger(int argc, char **argv)
{
    struct option longopts[64] = {
        {"kind", required_argument, NULL, O_KIND},
        {"json", required_argument, NULL, O_JSON},
        {"key", required_argument, NULL, O_KEY},
        {"key-name", required_argument, NULL, O_KEY_NAME},
        {"limit", required_argument, NULL, O_LIMIT},
        {"since", required_argument, NULL, O_SINCE},
        {"require-signed", no_argument, NULL, O_REQUIRE_SIGNED},
        {"no-witness", no_argument, NULL, O_NO_WITNESS},
        {"trusted-key", required_argument, NULL, O_TRUSTED},
        {"inclusion", required_argument, NULL, O_INCLUSION},
        {"consistency", required_argument, NULL, O_CONSISTENCY},
        {"note-key", no_argument, NULL, O_NOTE_KEY},
        {"public-key", required_argument, NULL, O_PUBLIC_KEY},
        {"input", required_argument, NULL, O_INPUT},
        {"output", required_argument, NULL, O_OUTPUT},
        {"store", required_argument, NULL, O_STORE},
        {"note-key-file", required_argument, NULL, O_NOTE_KEY_FILE},
        CLI_GLOBAL_LONGOPTS,
    };
    size_t n = 0;
    while (longopts[n].name != NULL) {
        n++;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        longopts[n++] = (struct option){fields[i].opt, required_argument, NULL, O_FIELD + (int)i};
    }
    longopts[n] = (struct option){NULL, 0, NULL, 0};

    struct opts o;
    const char *sub;
    int c, rc;

    memset(&o, 0, sizeof(o));
    o.limit = -1;
    const char *store = NULL, *note_key_file = NULL;
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            return cli_print_usage(cmd_ledger_usage);
        }
        return cli_usage_error("ledger", "which one: add, log, show, verify, proof, checkpoint, export or import?");
    }
    sub = argv[1];
    argc--;
    argv++;
    if (strcmp(sub, "export") == 0) {
        return cli_ledger_export(argc, argv); /* its own --format values: cmd_ledger_export.c */
    }
    if (strcmp(sub, "import") == 0) {
        return cli_ledger_import(argc, argv);
    }
    opterr = 0;
    while ((c = getopt_long(argc, argv, CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        int g;
        uint64_t v;
        switch (c) {
        case O_KIND: o.kind = optarg; break;
        case O_JSON: o.json = optarg; break;
        case O_KEY: o.key = optarg; break;
        case O_KEY_NAME: o.key_name = optarg; break;
        case O_LIMIT:
            if (parse_u64(optarg, &v) != 0 || v > (uint64_t)INT64_MAX) {
                return cli_usage_error("ledger", "--limit needs a whole number");
            }
            o.limit = (long long)v;
            break;
        case O_SINCE: o.since = optarg; break;
        case O_REQUIRE_SIGNED: o.require_signed = 1; break;
        case O_NO_WITNESS: o.no_witness = 1; break;
        case O_TRUSTED: {
            const char **t = realloc(o.trusted, (o.n_trusted + 1) * sizeof(*t));
            if (t == NULL) {
                opts_free(&o);
                return CLI_EXIT_ERROR;
            }
            o.trusted = t;
            o.trusted[o.n_trusted++] = optarg;
            break;
        }
        case O_INCLUSION: o.inclusion = optarg; break;
        case O_CONSISTENCY: o.consistency = optarg; break;
        case O_NOTE_KEY: o.note_key = 1; break;
        case O_PUBLIC_KEY: o.public_key = optarg; break;
        case O_INPUT:
        case O_OUTPUT: {
            int k = c == O_OUTPUT;
            const char **t = realloc(o.io[k], (o.n_io[k] + 1) * sizeof(*t));
            if (t == NULL) {
                opts_free(&o);
                return CLI_EXIT_ERROR;
            }
            o.io[k] = t;
            o.io[k][o.n_io[k]++] = optarg;
            break;
        }
        case O_STORE: store = optarg; break;
        case O_NOTE_KEY_FILE: note_key_file = optarg; break;
        case 'h': opts_free(&o); return cli_print_usage(cmd_ledger_usage);
        case '?': opts_free(&o); return cli_usage_error("ledger", "unknown option '%s'", argv[optind - 1]);
        case ':': opts_free(&o); return cli_usage_error("ledger", "option '%s' needs a value", argv[optind - 1]);
        default:
            if (c >= O_FIELD && c < O_FIELD + (int)NFIELDS) {
                o.field[c - O_FIELD] = optarg;
                break;
            }
            g = cli_global_option(c, optarg);
            if (g <= 0) {
                opts_free(&o);
                return g < 0 ? CLI_EXIT_USAGE : cli_usage_error("ledger", "unknown option");
            }
        }
    }
    /* --size is both a field of add (an artifact's size) and proof's tree size */
    o.size = o.field[5];
    cli_ledger_use(store, note_key_file);
    cli_resolve_color();
    if (cli_out_open() != 0) {
        opts_free(&o);
        return CLI_EXIT_ERROR;
    }
    if (strcmp(sub, "add") == 0 && optind == argc) {
        if (o.kind == NULL && o.json == NULL) {
            rc = cli_usage_error("ledger", "add needs --kind KIND or --json FILE");
        } else {
            rc = ledger_add(&o);
        }
    } else if (strcmp(sub, "log") == 0 && optind == argc) {
        rc = ledger_log(&o);
    } else if (strcmp(sub, "show") == 0 && optind == argc - 1) {
        rc = ledger_show(argv[optind]);
    } else if (strcmp(sub, "verify") == 0 && optind == argc) {
        rc = ledger_verify(&o);
    } else if (strcmp(sub, "proof") == 0 && optind == argc) {
        o.field[5] = NULL;
        rc = ledger_proof(&o);
    } else if (strcmp(sub, "checkpoint") == 0 && optind == argc) {
        rc = ledger_checkpoint(&o);
    } else {
        rc = cli_usage_error("ledger", "unknown subcommand or extra arguments: 'ledger %s'", sub);
    }
    opts_free(&o);
    return cli_out_finish(rc);
}
