/*
 * main.c - the bulwark command: global options, then dispatch through the
 * command table. Each command lives in cmd_<verb>.c and parses its own
 * options (which include the global ones, so both `bulwark --format json
 * digest x` and `bulwark digest --format json x` work).
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cmd.h"

const struct cmd cli_commands[] = {
    {"digest", cmd_digest, "content digests and manifests of files and directories; tamper checks", cmd_digest_usage},
    {"scan", cmd_scan, "scan for model payloads, leaked secrets and personal data (models, secrets, pii)",
     cmd_scan_usage},
    {"cat", cmd_cat, "print the rows of a CSV, TSV, JSON Lines or Parquet file as CSV or JSON Lines", cmd_cat_usage},
    {"profile", cmd_profile, "per-column statistics of a data file; shards, merge, draft suites", cmd_profile_usage},
    {"validate", cmd_validate, "check a data file against a suite of expectations (a data contract)",
     cmd_validate_usage},
    {"sign", cmd_sign, "sign a model or dataset (OpenSSF model signing, Sigstore bundle)", cmd_sign_usage},
    {"verify", cmd_verify, "verify a model signature and report added, removed or changed files", cmd_verify_usage},
    {"init", cmd_init, "make a project's .bulwark: keys, the ledger (SQLite or PostgreSQL), its note key",
     cmd_init_usage},
    {"key", cmd_key, "make, list, export, import and delete signing keys (.bulwark/keys)", cmd_key_usage},
    {"rules", cmd_rules, "list and try the rules of the secrets and personal-data scanner", cmd_rules_usage},
    {"ledger", cmd_ledger, "the tamper-evident ledger: add, log, show, verify, proof, checkpoint, export, import",
     cmd_ledger_usage},
    {"lineage", cmd_lineage, "the upstream and downstream graph of an artifact (text, JSON, DOT, Mermaid)",
     cmd_lineage_usage},
    {"help", cmd_help, "show help for bulwark or one of its commands", cmd_help_usage},
    {"version", cmd_version, "print the version", cmd_version_usage},
    {NULL, NULL, NULL, NULL},
};

const struct cmd *cli_find_command(const char *name)
{
    for (const struct cmd *c = cli_commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_GLOBAL_LONGOPTS, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    const struct cmd *cmd;
    int c, rc;

    /* a closed pipe is a write error we report, not a signal that kills us silently */
    signal(SIGPIPE, SIG_IGN);
    /* large buffers (read windows, column batches, sketches of each slice a command reads) are
       reused from the heap rather than mapped, faulted in and unmapped again for every slice */
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+" CLI_GLOBAL_SHORTOPTS "V", longopts, NULL)) != -1) {
        int g;
        if (c == 'V') {
            return cmd_version(0, NULL);
        }
        if (c == 'h') {
            cli_resolve_color();
            return cmd_help(0, NULL) == 0 ? cli_out_close() : CLI_EXIT_ERROR;
        }
        if (c == '?') {
            fprintf(stderr, "bulwark: unknown option '%s'\nTry 'bulwark help'.\n", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
        if (c == ':') {
            fprintf(stderr, "bulwark: option '%s' needs a value\n", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
        g = cli_global_option(c, optarg);
        if (g < 0) {
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_resolve_color();
        cmd_help(0, NULL);
        cli_out_close();
        return CLI_EXIT_USAGE;
    }
    cmd = cli_find_command(argv[optind]);
    if (cmd == NULL) {
        fprintf(stderr, "bulwark: '%s' is not a bulwark command. See 'bulwark help'.\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    cli_setup_log();
    argc -= optind;
    argv += optind;
    optind = 0; /* commands run their own getopt_long from a fresh state */
    rc = cmd->fn(argc, argv);
    cli_progress_end();
    return rc;
}
