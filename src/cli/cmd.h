/*
 * cmd.h - the command table's entry points and what every command shares:
 * the global options, output to stdout or an atomically written file,
 * diagnostics on stderr, colour and progress.
 */
#ifndef BW_CLI_CMD_H
#define BW_CLI_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "bulwark/bulwark.h"
#include "src/cli/exit.h"

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage; /* full --help text */
};

extern const struct cmd cli_commands[];
const struct cmd *cli_find_command(const char *name);

int cmd_digest(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
extern const char cmd_ledger_usage[];
/*
 * src/cli/cmd_ledger.c: append one entry (already filled: bw_ledger_entry_fill) to the project's
 * ledger (.bulwark/ledger.db, made on first use with its note key), in a batch signed by `key`
 * when not NULL (registered first under key_name, by actor at time, if the ledger does not know
 * it). Returns 0 with *out the new tree head, or an exit code after printing why.
 */
int cli_ledger_record(const char *filled, size_t n, const bw_key *key, const char *key_name, const char *actor,
                      const char *time, bw_ledger_head *out);
/*
 * Record one entry body (a kind's fields; time and actor are filled in) in the project's ledger:
 * when the project has a state directory (`.bulwark/` exists), or always when `create` (then made).
 * sign and verify call it unless --no-ledger, digest --record with create. Returns 0, or an exit
 * code after printing why.
 */
int cli_ledger_note(const char *body, const bw_key *key, const char *key_name, bool create);
/* The project's ledger (cmd_ledger.c's open_ledger); NULL after printing why. */
bw_ledger *cli_ledger_open(bool create);
/* The lineage graph of the ledger cli_ledger_open resolves: 0 with *out, or an exit code after a
   message (no ledger: exit 2, or, with absent_ok, 0 and *out NULL). */
int cli_lineage_load(bool absent_ok, bw_lineage **out);
/* The time now as RFC 3339 UTC ("2026-11-24T10:00:00Z"), and who acts: $BULWARK_ACTOR, $USER or
   "unknown" (cmd_ledger.c; what entries record). */
void cli_now_rfc3339(char out[32]);
const char *cli_actor(void);
/* The digest `digest --record` records for a path ("sha256:HEX") and its bytes (cmd_digest.c). */
int cli_path_digest(const char *path, bool dir, char key[8 + BW_DIGEST_HEX_MAX], uint64_t *size);
/*
 * Append entries (JSON bodies, filled: time and actor present) as one batch to the project's ledger
 * (made if need be), signed by `key` when not NULL (registered first under key_name if the ledger
 * does not know it). Returns 0 with *out the new head, or an exit code after printing why.
 */
int cli_ledger_record_batch(const bw_bytes *entries, size_t n, const bw_key *key, const char *key_name,
                            const char *actor, const char *time, bw_ledger_head *out);
/* src/cli/cmd_ledger_export.c: `ledger export` and `ledger import` (argv[0] is the subcommand). */
int cli_ledger_export(int argc, char **argv);
int cli_ledger_import(int argc, char **argv);
/* src/cli/cmd_lineage.c */
int cmd_lineage(int argc, char **argv);
extern const char cmd_lineage_usage[];
/*
 * The artifact nodes ARTIFACT names (a digest, a path by what digest --record records, or a
 * recorded name): 0 with up to CLI_LINEAGE_MAX_ROOTS ids in roots[] and their count in *n, or an
 * exit code (2: not in the ledger) after a message.
 */
#define CLI_LINEAGE_MAX_ROOTS 1024
int cli_lineage_resolve(bw_lineage *g, const char *spec, uint32_t *roots, size_t *n);
int cmd_scan(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_profile(int argc, char **argv);
extern const char cmd_profile_usage[];
int cmd_validate(int argc, char **argv);
extern const char cmd_validate_usage[];
int cmd_sign(int argc, char **argv);
extern const char cmd_sign_usage[];
int cmd_verify(int argc, char **argv);
extern const char cmd_verify_usage[];
int cmd_init(int argc, char **argv);
extern const char cmd_init_usage[];
extern const char cmd_cat_usage[];
extern const char cmd_rules_usage[];

/* src/cli/scan_secrets.c: the secrets and personal-data half of `bulwark scan` */
struct scan_secrets_opts {
    bw_secrets_opts lib;
    const char **rule_files;
    size_t n_rule_files;
    const char *baseline;       /* --baseline FILE */
    const char *write_baseline; /* --write-baseline FILE */
    bool staged;                /* --staged */
    bool history;               /* --git-history */
    const char *range;          /* --git-history=RANGE */
};
/* Fingerprints from a baseline or any bulwark JSON report (every "fingerprint" value), appended to *fps. */
int cli_load_fingerprints(const char *path, char ***fps, size_t *n);
/* Fingerprints in the "[findings]" section of .bulwarkignore in `dir`. */
int cli_load_ignore_findings(const char *dir, char ***fps, size_t *n);
/* Write the report's fingerprints as a baseline file (atomically). */
int cli_write_baseline(const char *path, const bw_report *r);
/* --staged and --git-history: scan git content into `report`. Returns 0, or an exit code. */
int cli_scan_git_staged(const bw_secrets *s, bw_report *report);
int cli_scan_git_history(const bw_secrets *s, bw_report *report, const char *range);
int cmd_version(int argc, char **argv);
extern const char cmd_digest_usage[];
extern const char cmd_scan_usage[];
extern const char cmd_help_usage[];
extern const char cmd_version_usage[];

/* Global options, settable before the command or among its own options. */
struct cli_globals {
    bw_format format;
    bool format_set;
    const char *output; /* NULL: stdout */
    int quiet;
    int verbose;
    int color;     /* resolved: 1 use ANSI colour on stdout */
    int color_err; /* ... on stderr */
    unsigned jobs; /* 0: all cores */
    bw_severity fail_on;
    bool fail_on_set; /* --fail-on given (secrets scans default to any finding) */
};
extern struct cli_globals cli;

/* getopt_long table entries for the global options; commands append them to their own. */
#define CLI_GLOBAL_LONGOPTS                                                                                            \
    {"format", required_argument, NULL, 0x1001}, {"output", required_argument, NULL, 'o'},                             \
        {"quiet", no_argument, NULL, 'q'}, {"verbose", no_argument, NULL, 'v'},                                        \
        {"color", required_argument, NULL, 0x1002}, {"colour", required_argument, NULL, 0x1002},                       \
        {"jobs", required_argument, NULL, 'j'}, {"fail-on", required_argument, NULL, 0x1003},                          \
    {                                                                                                                  \
        "help", no_argument, NULL, 'h'                                                                                 \
    }
#define CLI_GLOBAL_SHORTOPTS "o:qvj:h"

/*
 * Handle a global option returned by getopt_long. Returns 1 if it was one
 * (and applied), 0 if not, -1 on a bad value (message printed).
 */
int cli_global_option(int c, const char *arg);
/* Resolve colour and the log level once options are known. */
void cli_resolve_color(void);
/* Route the library's log to stderr at the level -q / -v ask for. */
void cli_setup_log(void);
/* "bulwark <cmd>: ..." usage error on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the command's usage text to stdout and return 0. */
int cli_print_usage(const char *usage);

/* Diagnostics on stderr: "bulwark: error: ..." / "bulwark: warning: ...". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a library error: its message, or the status text when empty. */
void cli_report_error(const bw_error *err, bw_status rc);

/* Output: stdout, or --output FILE written atomically at cli_out_close(). */
int cli_out_open(void);
void cli_out_write(const void *p, size_t n);
void cli_out_str(const char *s);
void cli_out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Flush and close; returns 0 or CLI_EXIT_ERROR after printing why. */
int cli_out_close(void);
/*
 * End a command whose result is `rc`: on an error (rc 2) an --output file is
 * not replaced (the previous one stays whole); otherwise as cli_out_close.
 * Returns the final exit code.
 */
int cli_out_finish(int rc);

/* Progress bar on stderr (only when stderr is a terminal and not --quiet). */
void cli_progress(void *ud, const char *what, uint64_t done, uint64_t total);
void cli_progress_end(void);
bool cli_progress_enabled(void);

/* Parse a size with an optional K, M, G, T suffix (powers of 1024, optional "iB"/"B"). */
int cli_parse_size(const char *s, uint64_t *out);
/* Human-readable byte count into buf. */
const char *cli_human_bytes(uint64_t n, char *buf, size_t cap);

/*
 * src/cli/project.c: the project's state directory `.bulwark/` ($BULWARK_DIR, or the nearest
 * `.bulwark` in the current directory or a parent up to a repository root, or `./.bulwark`).
 * cli_state_dir: its path (malloc'd; created with mode 0700 when `create`). cli_state_path: the
 * path of `name` inside it ("ledger.db", "keys/NAME.key"), creating the directories on the way
 * when `create`. Both print the error and return NULL on failure.
 */
char *cli_state_dir(bool create);
char *cli_state_path(const char *name, bool create);
/*
 * The ledger a command reads and records into, decided in one place (project.c): --store URL|PATH
 * (cli_ledger_use, from the ledger commands' options), else $BULWARK_LEDGER, else `store` in
 * .bulwark/config (written by `bulwark init --store`; a relative path is relative to .bulwark),
 * else .bulwark/ledger.db (its directory made when `create`). A URL may hold a password: free the
 * result with cli_secret_free and print it only through cli_ledger_shown (`user:***@`).
 * The note key file (the checkpoint signer): --note-key-file, else $BULWARK_LEDGER_NOTE_KEY, else
 * `note-key` in .bulwark/config, else .bulwark/ledger.note-key. Both return NULL after printing why.
 */
void cli_ledger_use(const char *store, const char *note_key);
char *cli_ledger_target(bool create);
/* Whether the ledger was named outside the project (--store or $BULWARK_LEDGER): then commands that
   record (sign, verify, digest --record) record even where there is no .bulwark directory. */
bool cli_ledger_explicit(void);
/*
 * A per-user directory outside any project: $XDG_VAR/bulwark, else $HOME/FALLBACK/bulwark (e.g.
 * "XDG_CACHE_HOME", ".cache"), made with mode 0700 (parents too) when `create`; malloc'd, or NULL.
 */
char *cli_user_dir(const char *xdg_var, const char *fallback, bool create);
/* Small path helpers (project.c): a directory (stat), anything there (lstat), "dir/name" malloc'd
   (NULL on OOM), mkdir 0700 when absent (0, or -1 after a message). */
bool cli_is_dir(const char *p);
bool cli_exists(const char *p);
char *cli_path_join(const char *dir, const char *name);
int cli_make_dir(const char *dir);
char *cli_ledger_note_key_path(bool create);
char *cli_ledger_shown(const char *target);
/* A value of .bulwark/config ("key = value" lines), malloc'd; NULL when absent. */
char *cli_config_get(const char *key);
/* Wipe and free a string that may hold a secret (NULL is a no-op). */
void cli_secret_free(char *s);

/*
 * src/cli/cmd_key.c and keyarg.c: `bulwark key`, and keys for the other commands.
 * cli_key_load: `spec` is a key-store name or a path (it contains '/', ends in .pem/.pub/.key, or
 * names an existing file) to PEM (SPKI or unencrypted PKCS#8) or a bulwark key file; a sealed
 * private key gets its passphrase from cli_key_passphrase. Returns 0 with *out (bw_key_free it), or
 * an exit code after printing why (1 wrong passphrase or damaged sealed key, 2 anything else).
 * cli_key_passphrase: --passphrase-file FILE (first line), else $BULWARK_PASSPHRASE, else a prompt
 * on /dev/tty (asked twice when `confirm`); 2 with a message when there is no source. Free the
 * result with cli_key_passphrase_free, which wipes it.
 */
int cmd_key(int argc, char **argv);
extern const char cmd_key_usage[];
int cli_key_load(const char *spec, bool want_private, const char *passphrase_file, bw_key **out);
int cli_key_passphrase(const char *passphrase_file, bool confirm, char **out, size_t *n);
int cli_key_passphrase_for(const char *passphrase_file, const char *key_name, bool confirm, char **out, size_t *n);
void cli_key_passphrase_free(char *p, size_t n);
/* The passphrase of an encrypted key file being imported: --import-passphrase-file FILE, else
   $BULWARK_IMPORT_PASSPHRASE, else the terminal (keyarg.c). */
int cli_key_import_passphrase(const char *passphrase_file, const char *file, char **out, size_t *n);
/* `key passwd`: the new passphrase, from FILE, else $BULWARK_NEW_PASSPHRASE, else the terminal (twice). */
int cli_key_new_passphrase(const char *passphrase_file, const char *key_name, char **out, size_t *n);
/* The project's key store, .bulwark/keys (BULWARK_KDF_OPS / BULWARK_KDF_MEM set its cost, for tests). */
int cli_key_store_open(bool create, bw_keystore **out);
/* The exit code for a key-loading status: 0, 1 for BW_EVERIFY, else 2. */
int cli_key_exit(bw_status rc);
bool cli_key_spec_is_path(const char *spec);
/* The name a key goes by in the ledger: a store name as it is, a file's base name without extension. */
void cli_key_label(const char *spec, char *out, size_t cap);

/*
 * src/cli/cmd_sign.c: --incremental for sign and verify. cli_cache_open fills cc for PATH: the
 * stat cache .bulwark/cache/stat-HEX when the project has a .bulwark directory, else
 * $XDG_CACHE_HOME/bulwark/stat-HEX (HEX: 16 hex digits of SHA-256 of the resolved PATH), and its
 * key, $XDG_CACHE_HOME/bulwark/cache.key (default ~/.cache; 32 random bytes, 0600, made on first
 * use, refused unless owned by the user and private). 0, or -1 after a warning (then every file
 * is hashed). cli_cache_close wipes the key. cli_cache_text/json report the counts (text: NULL
 * when the cache could not be opened).
 */
struct cli_cache {
    bw_sign_cache c;
    char *file;
    unsigned char key[BW_SIGN_CACHE_KEY_BYTES];
};
int cli_cache_open(const char *path, struct cli_cache *cc);
void cli_cache_close(struct cli_cache *cc);
void cli_cache_text(const bw_sign_cache *c);
void cli_cache_json(bw_json *j, const bw_sign_cache *c);

#endif
