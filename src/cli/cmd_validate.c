/*
 * cmd_validate.c - `bulwark validate DATA --suite SUITE`: run a data
 * contract (an expectation suite) over a data file and report the results
 * as text, JSON (Great Expectations' validation-result shape), JUnit XML,
 * SARIF or one self-contained HTML page.
 *
 * Reader options come from the suite's `data:` and `columns:` sections
 * first; the command-line options override them (a --type for a column the
 * schema also types wins). The report is built by the library
 * (bw_vreport_write) and written to stdout or, with -o, atomically to a
 * file. Exit codes: 0 every expectation of severity error passed, 1 one
 * failed, 2 a usage error or a suite or data file that could not be read
 * (the message names the file and the position).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cmd.h"
#include "src/cli/data_opts.h"

const char cmd_validate_usage[] =
    "usage: bulwark validate [OPTIONS] DATA --suite SUITE\n"
    "\n"
    "Check a CSV, TSV, JSON Lines or Parquet file ('-' reads standard input) against a data\n"
    "contract: a suite of expectations in bulwark's YAML format or a Great Expectations suite\n"
    "(JSON, 1.x or 0.x). docs/validate.md describes suites and reports; docs/expectations.md\n"
    "every expectation.\n"
    "\n"
    "Options:\n"
    "  -s, --suite FILE           the suite (YAML or JSON); required\n"
    "      --format FMT           report format: text (default), json, junit, sarif, html\n"
    "      --reference DATA       reference data for distribution expectations (KL divergence)\n"
    "      --sample N             unexpected values kept per expectation (default 20)\n"
    "      --redact               keep the rows of unexpected values, not the values\n"
    "      --unique-memory SIZE   memory one uniqueness check may hold before it goes on in\n"
    "                             temporary files ($TMPDIR), same results (default 64M)\n"
    "      --list-expectations    print the expectation types bulwark implements and exit\n" CLI_DATA_USAGE "\n"
    "The suite's data: section (delimiter, header, nulls) and its columns: types apply first;\n"
    "the options above override them.\n"
    "\n"
    "Global options apply: --output FILE (written atomically), --verbose (text: list passing\n"
    "expectations too), --color, --quiet.\n"
    "\n"
    "Exit codes: 0 every expectation passed (failed expectations of severity warning are\n"
    "reported and do not count), 1 an expectation failed, 2 usage error, an unreadable or\n"
    "malformed suite or data file, or a malformed row with --on-bad-row stop.\n"
    "\n"
    "Examples:\n"
    "  bulwark validate examples/readmission/data/patients.csv --suite suite.yaml\n"
    "  bulwark validate data.parquet -s ge_suite.json --format junit -o validate.xml\n"
    "  bulwark validate data.csv -s suite.yaml --format html -o report.html\n";

#define MAX_WARNINGS 20

struct vctx {
    const char *path;
    uint64_t warned;
};

static void on_bad(void *ctx, const bw_bad_row *b)
{
    struct vctx *v = ctx;

    v->warned++;
    if (v->warned <= MAX_WARNINGS) {
        if (b->column != NULL) {
            cli_warn("%s: line %llu, column '%s': %s (read as null)", v->path, (unsigned long long)b->line, b->column,
                     b->msg);
        } else {
            cli_warn("%s: line %llu (offset %llu): %s (row skipped)", v->path, (unsigned long long)b->line,
                     (unsigned long long)b->offset, b->msg);
        }
    }
}

/*
 * The reader options: the suite's, then the command line's on top. Types
 * are merged per column (the command line's first, then the suite's for the
 * other columns) into arrays the caller frees.
 */
static int merge_opts(const bw_suite *s, struct cli_data_opts *cd, bw_data_opts *o, const char ***names,
                      bw_dtype **types)
{
    bw_data_opts so = BW_DATA_OPTS_INIT;
    size_t n = 0;

    bw_suite_data_opts(s, &so);
    *o = cd->o;
    if (cd->o.delim == 0) {
        o->delim = so.delim;
    }
    if (cd->o.header != 0) {
        o->header = so.header; /* --no-header is the only way the command line says 0 */
    }
    if (cd->nnulls == 0) {
        o->nulls = so.nulls;
        o->nnulls = so.nnulls;
    } else {
        o->nulls = cd->nulls;
        o->nnulls = cd->nnulls;
    }
    *names = calloc(cd->ntypes + so.ntypes + 1, sizeof(**names));
    *types = calloc(cd->ntypes + so.ntypes + 1, sizeof(**types));
    if (*names == NULL || *types == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    for (size_t i = 0; i < cd->ntypes; i++) {
        (*names)[n] = cd->tnames[i];
        (*types)[n++] = cd->types[i];
    }
    for (size_t i = 0; i < so.ntypes; i++) {
        bool overridden = false;
        for (size_t k = 0; k < cd->ntypes && !overridden; k++) {
            overridden = strcmp(cd->tnames[k], so.type_names[i]) == 0;
        }
        if (!overridden) {
            (*names)[n] = so.type_names[i];
            (*types)[n++] = so.types[i];
        }
    }
    o->type_names = *names;
    o->types = *types;
    o->ntypes = n;
    return 0;
}

static int parse_count(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    v = strtoull(s, &end, 10);
    if (*end != '\0' || v == 0 || v > 1000000) {
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 0x7001},
        {"reference", required_argument, NULL, 0x7002},
        {"sample", required_argument, NULL, 0x7003},
        {"redact", no_argument, NULL, 0x7004},
        {"list-expectations", no_argument, NULL, 0x7005},
        {"unique-memory", required_argument, NULL, 0x7006},
        CLI_DATA_LONGOPTS,
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_data_opts cd;
    struct vctx vc = {0};
    bw_validate_opts vo = BW_VALIDATE_OPTS_INIT;
    bw_vreport_opts ro = {0};
    bw_vreport_format fmt = BW_VREPORT_TEXT;
    bool fmt_set = false;
    const char *suite_path = NULL;
    const char **tnames = NULL;
    static const char *const none[1] = {NULL};
    const char **used = NULL;
    size_t nused = 0;
    bw_dtype *types = NULL;
    bw_data_opts o;
    bw_suite *suite = NULL;
    bw_dataset *d = NULL;
    bw_vrun *run = NULL;
    bw_buf out = BW_BUF_INIT((size_t)1 << 30);
    bw_error e;
    int rc = CLI_EXIT_OK, ch;

    if (cli_data_opts_init(&cd, argc) != 0) {
        return CLI_EXIT_ERROR;
    }
    opterr = 0;
    optind = 0; /* 0, not 1: GNU getopt re-initialises, so options may follow DATA (main parsed with '+') */
    while ((ch = getopt_long(argc, argv, ":s:" CLI_DATA_SHORTOPTS CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        int g = cli_data_option(&cd, "validate", ch, optarg);
        if (g < 0) {
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (g > 0) {
            continue;
        }
        g = cli_global_option(ch, optarg);
        if (g < 0) {
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (g > 0) {
            continue;
        }
        switch (ch) {
        case 'h':
            cli_out_str(cmd_validate_usage);
            rc = cli_out_close();
            goto out;
        case 's': suite_path = optarg; break;
        case 0x7001:
            if (bw_vreport_format_parse(optarg, &fmt) != BW_OK) {
                rc = cli_usage_error("validate", "--format expects text, json, junit, sarif or html, not '%s'", optarg);
                goto out;
            }
            fmt_set = true;
            break;
        case 0x7002: vo.reference = optarg; break;
        case 0x7003:
            if (parse_count(optarg, &vo.sample_max) != 0) {
                rc = cli_usage_error("validate", "--sample expects a count from 1 to 1000000, not '%s'", optarg);
                goto out;
            }
            break;
        case 0x7004: vo.redact = 1; break;
        case 0x7006: {
            uint64_t sz;
            if (cli_parse_size(optarg, &sz) != 0 || sz < 4096 || sz > ((uint64_t)1 << 40)) {
                rc = cli_usage_error("validate", "--unique-memory expects a size from 4K to 1T, not '%s'", optarg);
                goto out;
            }
            vo.unique_memory = (size_t)sz;
            break;
        }
        case 0x7005: {
            const char *const *t = bw_expectation_types();
            for (size_t i = 0; t[i] != NULL; i++) {
                cli_out_printf("%s\n", t[i]);
            }
            rc = cli_out_close();
            goto out;
        }
        case ':': rc = cli_usage_error("validate", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("validate", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if (argc != 1) {
        rc = cli_usage_error("validate",
                             argc == 0 ? "expected a DATA file" : "expected one DATA file, got %d (see --help)", argc);
        goto out;
    }
    if (suite_path == NULL) {
        rc = cli_usage_error("validate", "--suite FILE is required");
        goto out;
    }
    if (!fmt_set && cli.format_set) {
        /* `bulwark --format json validate ...`: the global option, whose names are a subset */
        fmt = cli.format == BW_FORMAT_JSON    ? BW_VREPORT_JSON
              : cli.format == BW_FORMAT_SARIF ? BW_VREPORT_SARIF
                                              : BW_VREPORT_TEXT;
    }
    vc.path = argv[0];
    cli_data_opts_finish(&cd);

    bw_error_clear(&e);
    if (bw_suite_load(suite_path, &suite, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    rc = merge_opts(suite, &cd, &o, &tnames, &types);
    if (rc != 0) {
        goto out;
    }
    if (bw_suite_columns_used(suite, &used, &nused) != BW_OK) {
        cli_error("out of memory");
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    /* a projection: the reader converts only the columns the suite reads (none: a non-NULL empty list) */
    o.columns = used != NULL ? used : none;
    o.ncolumns = nused;
    o.on_bad = on_bad;
    o.ctx = &vc;
    if (cd.fmt == BW_FMT_AUTO) {
        cd.fmt = bw_suite_data_format(suite); /* the suite's data.format unless --input-format says */
    }
    if (bw_dataset_open(vc.path, cd.fmt, &o, &d, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (bw_validate_run(suite, d, vc.path, &vo, &run, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = e.code == BW_ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
        goto out;
    }
    if (vc.warned > MAX_WARNINGS) {
        cli_warn("%s: %llu malformed rows or values in all", vc.path, (unsigned long long)vc.warned);
    }
    ro.color = fmt == BW_VREPORT_TEXT && cli.color;
    ro.verbose = cli.verbose > 0;
    ro.suite_path = suite_path;
    if (bw_vreport_write(run, fmt, &ro, &out) != BW_OK) {
        cli_error("cannot build the report: %s", bw_strerror(out.err != BW_OK ? out.err : BW_EINVAL));
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    cli_out_write(out.ptr != NULL ? out.ptr : "", out.len);
    rc = cli_out_finish(run->success ? CLI_EXIT_OK : CLI_EXIT_FINDINGS);
out:
    bw_buf_release(&out);
    bw_vrun_free(run);
    bw_dataset_free(d);
    bw_suite_free(suite);
    free(tnames);
    free(types);
    bw_free(used);
    cli_data_opts_release(&cd);
    return rc;
}
