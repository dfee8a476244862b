/*
 * cmd_scan.c - `bulwark scan [models] PATH...`: scan files and directories.
 *
 * Today the model scanner is the only scanner, so `bulwark scan PATH` and
 * `bulwark scan models PATH` do the same; later scanners (secrets, pii)
 * join the plain form. Directories are walked with .gitignore and
 * .bulwarkignore honoured; files are scanned in parallel; every file gets a
 * verdict, and findings go to one report (text, JSON or SARIF).
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/cli/cmd.h"

const char cmd_scan_usage[] =
    "usage: bulwark scan [models] [OPTIONS] PATH...\n"
    "\n"
    "Scan model files for code-execution payloads before anyone loads them. Files are read by\n"
    "content, never by extension, the way their loaders read them: pickle (protocols 0-5, analysed\n"
    "on a symbolic stack, never executed), PyTorch zip and legacy files, joblib, NumPy .npy/.npz,\n"
    "zip/tar/gz/bz2/xz archives nested in each other, safetensors, GGUF (chat templates too), ONNX\n"
    "and TensorFlow SavedModel. Directories are walked (.gitignore and .bulwarkignore honoured).\n"
    "\n"
    "Each file gets one verdict:\n"
    "  safe       every global and call is on the allowlist\n"
    "  review     something is on neither list (fails with --strict)\n"
    "  malformed  broken, truncated or lying about itself: never safe\n"
    "  unsafe     a dangerous global or a structural red flag\n"
    "\n"
    "Options:\n"
    "      --strict           'review' fails too\n"
    "      --allow FILE       an allowlist pack: lines 'safe|unsafe MODULE NAME [why]' (repeatable);\n"
    "                         MODULE may end in .* for submodules, NAME may be *; unsafe entries\n"
    "                         always win over safe ones\n"
    "  -e, --exclude PATTERN  skip paths matching PATTERN (gitignore syntax; repeatable)\n"
    "      --max-depth N      nested containers to enter (default 8)\n"
    "      --max-size SIZE    largest decompressed member (default 4G)\n"
    "\n"
    "Global options apply: --format text|json|sarif, --output, --fail-on (default high), -j N.\n"
    "\n"
    "Exit codes: 0 clean, 1 a file is unsafe or malformed, or a finding is at or above --fail-on\n"
    "(or a file needs review, with --strict), 2 usage error or unreadable input.\n"
    "\n"
    "Examples:\n"
    "  bulwark scan models/\n"
    "  bulwark scan models --strict --format sarif -o scan.sarif checkpoint.pt\n";

struct job {
    bw_walk_list files;
    bw_verdict *verdicts;
    unsigned char *failed; /* unreadable: no verdict */
    bw_report *report;
    bw_scan_opts opts;
    bw_scanner *scanner;
    atomic_int errors;
};

static int scan_one(void *ctx, size_t i, unsigned worker)
{
    struct job *j = ctx;
    bw_error e;
    bw_status rc;

    (void)worker;
    bw_error_clear(&e);
    rc = bw_scanner_file(j->scanner, j->report, j->files.entries[i].path, &j->verdicts[i], &e);
    if (rc != BW_OK) {
        j->failed[i] = 1;
        if (bw_report_add_error(j->report, j->files.entries[i].path, &e) != BW_OK) {
            cli_report_error(&e, rc);
        }
        atomic_fetch_add(&j->errors, 1);
    } else {
        bw_report_count_input(j->report, j->files.entries[i].size);
        if (bw_report_add_artifact(j->report, j->files.entries[i].path, "verdict", bw_verdict_name(j->verdicts[i])) !=
            BW_OK) {
            atomic_fetch_add(&j->errors, 1);
        }
    }
    return 0;
}

int cmd_scan(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_GLOBAL_LONGOPTS,
        {"strict", no_argument, NULL, 0x3001},
        {"allow", required_argument, NULL, 0x3002},
        {"exclude", required_argument, NULL, 'e'},
        {"max-depth", required_argument, NULL, 0x3003},
        {"max-size", required_argument, NULL, 0x3004},
        {NULL, 0, NULL, 0},
    };
    struct job j;
    const char **allow = calloc((size_t)argc + 1, sizeof(char *));
    const char **excl = calloc((size_t)argc + 1, sizeof(char *));
    size_t n_allow = 0, n_excl = 0, counts[4] = {0, 0, 0, 0};
    bw_write_opts wo = BW_WRITE_OPTS_INIT;
    bw_buf out = BW_BUF_INIT(SIZE_MAX / 2);
    bw_pool *pool = NULL;
    bw_error e;
    int c, rc = CLI_EXIT_ERROR, bad = 0;

    memset(&j, 0, sizeof(j));
    j.opts = (bw_scan_opts)BW_SCAN_OPTS_INIT;
    if (allow == NULL || excl == NULL) {
        cli_error("out of memory");
        goto out;
    }
    if (argc >= 2 && strcmp(argv[1], "models") == 0) {
        argc--;
        argv++; /* `scan models` is `scan` until other scanners exist */
    }
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" CLI_GLOBAL_SHORTOPTS "e:", longopts, NULL)) != -1) {
        int g = cli_global_option(c, optarg);
        uint64_t v;
        if (g < 0) {
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (g > 0) {
            continue;
        }
        switch (c) {
        case 'h':
            cli_out_str(cmd_scan_usage);
            rc = cli_out_close();
            goto out;
        case 0x3001: j.opts.strict = 1; break;
        case 0x3002: allow[n_allow++] = optarg; break;
        case 'e': excl[n_excl++] = optarg; break;
        case 0x3003:
            if (cli_parse_size(optarg, &v) != 0 || v == 0 || v > 64) {
                rc = cli_usage_error("scan", "--max-depth expects 1 to 64, not '%s'", optarg);
                goto out;
            }
            j.opts.max_depth = (unsigned)v;
            break;
        case 0x3004:
            if (cli_parse_size(optarg, &v) != 0 || v == 0) {
                rc = cli_usage_error("scan", "--max-size expects a size such as 512M, not '%s'", optarg);
                goto out;
            }
            j.opts.max_member_size = v;
            break;
        case ':': rc = cli_usage_error("scan", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("scan", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if (argc == 0) {
        rc = cli_usage_error("scan", "no PATH given");
        goto out;
    }
    j.opts.allow_files = allow;
    j.opts.n_allow_files = n_allow;
    bw_error_clear(&e);
    if (bw_report_new(&j.report, "bulwark scan", &e) != BW_OK || bw_pool_new(&pool, cli.jobs, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        goto out;
    }
    if (bw_scanner_new(&j.scanner, &j.opts, &e) != BW_OK) {
        cli_report_error(&e, e.code); /* a bad --allow pack: nothing is scanned */
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    for (int i = 0; i < argc; i++) {
        bw_walk_opts wopt = BW_WALK_OPTS_INIT;
        struct stat st;

        wopt.excludes = excl;
        wopt.n_excludes = n_excl;
        bw_error_clear(&e);
        if (stat(argv[i], &st) != 0 && strcmp(argv[i], "-") != 0) {
            cli_error("cannot open '%s': %s", argv[i], strerror(errno));
            bad = 1;
            continue;
        }
        bw_walk_list_release(&j.files);
        if (bw_walk(argv[i], &wopt, &j.files, &e) != BW_OK) {
            cli_report_error(&e, e.code);
            bad = 1;
            continue;
        }
        if (j.files.n == 1 && strcmp(j.files.entries[0].rel, ".") == 0) {
            /* a file operand: findings name it as the user did */
            char *given = strdup(argv[i]);
            if (given != NULL) {
                free(j.files.entries[0].path);
                j.files.entries[0].path = given;
            }
        }
        free(j.verdicts);
        free(j.failed);
        j.verdicts = calloc(j.files.n + 1, sizeof(*j.verdicts));
        j.failed = calloc(j.files.n + 1, 1);
        if (j.verdicts == NULL || j.failed == NULL) {
            cli_error("out of memory");
            goto out;
        }
        if (bw_pool_for(pool, j.files.n, scan_one, &j) != BW_OK) {
            bad = 1;
        }
        for (size_t k = 0; k < j.files.n; k++) {
            if (j.failed[k]) {
                continue;
            }
            counts[j.verdicts[k]]++;
            if (cli.verbose && cli.format == BW_FORMAT_TEXT) {
                cli_note("%-9s %s", bw_verdict_name(j.verdicts[k]), j.files.entries[k].path);
            }
        }
    }
    bw_report_sort(j.report);
    wo.color = cli.color;
    wo.verbose = cli.verbose;
    if (bw_report_write(j.report, cli.format, &wo, &out) != BW_OK) {
        cli_error("cannot render the report");
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    cli_out_write(out.ptr, out.len);
    if (cli.format == BW_FORMAT_TEXT) {
        cli_out_printf("verdicts: %zu safe, %zu review, %zu malformed, %zu unsafe\n", counts[BW_VERDICT_SAFE],
                       counts[BW_VERDICT_REVIEW], counts[BW_VERDICT_MALFORMED], counts[BW_VERDICT_UNSAFE]);
    }
    if (bad || atomic_load(&j.errors) > 0) {
        rc = CLI_EXIT_ERROR;
    } else if (counts[BW_VERDICT_UNSAFE] + counts[BW_VERDICT_MALFORMED] > 0 ||
               (j.opts.strict && counts[BW_VERDICT_REVIEW] > 0) ||
               bw_report_count_at_least(j.report, cli.fail_on) > 0) {
        rc = CLI_EXIT_FINDINGS;
    } else {
        rc = CLI_EXIT_OK;
    }
    rc = cli_out_finish(rc);
out:
    bw_buf_release(&out);
    bw_walk_list_release(&j.files);
    free(j.verdicts);
    free(j.failed);
    bw_scanner_free(j.scanner);
    bw_report_free(j.report);
    bw_pool_free(pool);
    free(allow);
    free(excl);
    return rc;
}
