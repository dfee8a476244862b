/*
 * cmd_init.c - `bulwark init [DIR] [--store URL|PATH] [--origin NAME]`: make a project's state
 * directory DIR/.bulwark (mode 0700) with keys/, the ledger (created, its origin chosen), the
 * ledger's note key (.bulwark/ledger.note-key, mode 0600) and, with --store, .bulwark/config
 * naming the store, so every later command (ledger, sign, verify, digest --record) uses it.
 *
 * Idempotent: what exists is kept; a second run finds everything in place, says the project is
 * already initialised, changes nothing and exits 0. A DIR that does not exist is a usage error.
 * The project's own resolution (project.c) is reused by pointing $BULWARK_DIR at DIR/.bulwark.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/cli/cmd.h"

const char cmd_init_usage[] =
    "usage: bulwark init [DIR] [--store URL|PATH] [--origin NAME]\n"
    "\n"
    "Make the project's state directory DIR/.bulwark (DIR: the current directory by default): keys/\n"
    "for signing keys, the ledger (.bulwark/ledger.db, or the store --store names: a PostgreSQL URL\n"
    "such as postgres://USER@HOST/DB shared by a team, or a SQLite file), the ledger's checkpoint\n"
    "note key (.bulwark/ledger.note-key, mode 0600) and, with --store, .bulwark/config recording the\n"
    "store for every later command. --origin names the ledger when it is made (default\n"
    "bulwark.ledger/<random hex>). Running it again changes nothing and says so.\n"
    "Passwords: prefer ~/.pgpass or $PGPASSWORD to a password in the URL (config is mode 0600).\n"
    "\n"
    "Exit codes: 0 initialised or already initialised, 2 DIR missing or anything failed.\n";

/* Add "store = URL" to .bulwark/config (kept lines first), atomically, mode 0600. */
static int write_config(const char *path, const char *store)
{
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    int rc = 0;

    if (cli_exists(path) && bw_file_slurp(path, 0, 1 << 20, &b, &err) != BW_OK) {
        cli_report_error(&err, err.code);
        rc = -1;
    } else {
        if (b.len == 0) {
            bw_buf_addstr(&b, "# bulwark project settings (bulwark init)\n");
        } else if (b.ptr[b.len - 1] != '\n') {
            bw_buf_addc(&b, '\n');
        }
        bw_buf_printf(&b, "store = %s\n", store);
        if (bw_file_write_atomic(path, b.ptr, b.len, 0600, &err) != BW_OK) {
            cli_report_error(&err, err.code);
            rc = -1;
        }
    }
    if (b.ptr != NULL) {
        explicit_bzero(b.ptr, b.len);
    }
    bw_buf_release(&b);
    return rc;
}

/* Make the note key file for the ledger's origin, unless the ledger already has another writer's. */
static int make_note_key(bw_ledger *l, const char *path, bool *made)
{
    bw_note_signer ns;
    bw_buf b = BW_BUF_INIT(4096);
    bw_error err = {0};
    int rc = 0;

    *made = false;
    if (bw_ledger_note_key(l, &b, &err) == BW_OK) {
        cli_warn("this ledger's checkpoints are already signed with a note key: copy the team's note key to '%s' "
                 "(or name it with --note-key-file or $BULWARK_LEDGER_NOTE_KEY) before recording",
                 path);
        bw_buf_release(&b);
        return 0;
    }
    bw_buf_reset(&b);
    memset(&ns, 0, sizeof(ns));
    if (bw_note_signer_new(bw_ledger_origin(l), &ns, &err) != BW_OK || bw_note_signer_format(&ns, &b) != BW_OK ||
        bw_buf_addc(&b, '\n') != BW_OK || bw_file_write_atomic(path, b.ptr, b.len, 0600, &err) != BW_OK) {
        cli_error("cannot create the ledger's note key '%s': %s", path, err.msg);
        rc = -1;
    } else {
        *made = true;
    }
    if (b.ptr != NULL) {
        explicit_bzero(b.ptr, b.len);
    }
    bw_buf_release(&b);
    bw_note_signer_clear(&ns);
    return rc;
}

static int init(const char *dir, const char *store, const char *origin)
{
    char *state = cli_path_join(dir, ".bulwark"), *keys = NULL, *config = NULL, *target = NULL, *shown = NULL;
    char *note = NULL, *have_store = NULL;
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_error err = {0};
    bool made_note = false;
    int rc = CLI_EXIT_ERROR;
    bw_status st;

    if (state == NULL || (keys = cli_path_join(state, "keys")) == NULL ||
        (config = cli_path_join(state, "config")) == NULL) {
        cli_error("out of memory");
        goto out;
    }
    /* everything below resolves inside this project */
    if (setenv("BULWARK_DIR", state, 1) != 0) {
        cli_error("out of memory");
        goto out;
    }
    cli_ledger_use(store, NULL);
    have_store = cli_is_dir(state) ? cli_config_get("store") : NULL;
    if (store != NULL && have_store != NULL && strcmp(store, have_store) != 0) {
        char *a = cli_ledger_shown(have_store);
        cli_error("'%s' is already initialised with the store '%s' (edit '%s' to change it)", state, a, config);
        free(a);
        goto out;
    }
    if ((target = cli_ledger_target(false)) == NULL || (note = cli_ledger_note_key_path(false)) == NULL) {
        goto out;
    }
    shown = cli_ledger_shown(target);

    /* already complete: look, change nothing */
    if (cli_is_dir(state) && cli_is_dir(keys) && cli_exists(note) && (store == NULL || have_store != NULL)) {
        if (bw_ledger_open(&l, target, NULL, &err) == BW_OK) {
            if (origin != NULL && strcmp(origin, bw_ledger_origin(l)) != 0) {
                cli_error("'%s' is already initialised with the origin '%s'", state, bw_ledger_origin(l));
                goto out;
            }
            cli_out_printf("%s is already initialised (ledger %s, origin %s)\n", state, shown, bw_ledger_origin(l));
            rc = CLI_EXIT_OK;
            goto out;
        }
        bw_error_clear(&err);
    }

    if (cli_make_dir(state) != 0 || cli_make_dir(keys) != 0) {
        goto out;
    }
    if (store != NULL && have_store == NULL && write_config(config, store) != 0) {
        goto out;
    }
    o.create = true;
    o.origin = origin;
    st = bw_ledger_open(&l, target, &o, &err);
    if (st != BW_OK) {
        cli_report_error(&err, st);
        goto out;
    }
    if (origin != NULL && strcmp(origin, bw_ledger_origin(l)) != 0) {
        cli_error("the ledger '%s' already exists with the origin '%s'", shown, bw_ledger_origin(l));
        goto out;
    }
    if (!cli_exists(note) && make_note_key(l, note, &made_note) != 0) {
        goto out;
    }
    cli_out_printf("initialised %s\n  ledger:   %s (origin %s)\n  note key: %s%s\n  keys:     %s\n", state, shown,
                   bw_ledger_origin(l), note,
                   made_note          ? ""
                   : cli_exists(note) ? " (kept)"
                                      : " (missing)",
                   keys);
    if (store != NULL) {
        cli_out_printf("  config:   %s\n", config);
    }
    rc = CLI_EXIT_OK;
out:
    bw_ledger_close(l);
    free(state);
    free(keys);
    free(config);
    free(note);
    free(shown);
    cli_secret_free(target);
    cli_secret_free(have_store);
    return rc;
}

int cmd_init(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 0x2001},
        {"origin", required_argument, NULL, 0x2002},
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    const char *store = NULL, *origin = NULL, *dir = ".";
    int c, g, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 0x2001: store = optarg; break;
        case 0x2002: origin = optarg; break;
        case 'h': return cli_print_usage(cmd_init_usage);
        case '?': return cli_usage_error("init", "unknown option '%s'", argv[optind - 1]);
        case ':': return cli_usage_error("init", "option '%s' needs a value", argv[optind - 1]);
        default:
            g = cli_global_option(c, optarg);
            if (g <= 0) {
                return g < 0 ? CLI_EXIT_USAGE : cli_usage_error("init", "unknown option");
            }
        }
    }
    if (argc - optind > 1) {
        return cli_usage_error("init", "one directory at most");
    }
    if (argc - optind == 1) {
        dir = argv[optind];
    }
    if (store != NULL && store[0] == '\0') {
        return cli_usage_error("init", "--store needs a URL or a path");
    }
    if (!cli_is_dir(dir)) {
        return cli_usage_error("init", "'%s' %s", dir, cli_exists(dir) ? "is not a directory" : "does not exist");
    }
    /* a SQLite file named relative to here is recorded by its absolute path */
    char *abs = NULL;
    if (store != NULL && store[0] != '/' && strstr(store, "://") == NULL) {
        char cwd[4096];
        if (getcwd(cwd, sizeof(cwd)) == NULL || (abs = cli_path_join(cwd, store)) == NULL) {
            cli_error("cannot tell where '%s' is", store);
            return CLI_EXIT_ERROR;
        }
        store = abs;
    }
    cli_resolve_color();
    if (cli_out_open() != 0) {
        free(abs);
        return CLI_EXIT_ERROR;
    }
    rc = init(dir, store, origin);
    free(abs);
    return cli_out_finish(rc);
}
