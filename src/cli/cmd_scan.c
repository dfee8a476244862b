/*
 * cmd_scan.c - `bulwark scan [models|secrets|pii] PATH...`: scan files and
 * directories with one scanner, or all of them.
 *
 * Directories are walked with .gitignore and .bulwarkignore honoured; files
 * are scanned in parallel; model files get a verdict; findings of every
 * scanner go to one report (text, JSON or SARIF). The git and baseline parts
 * of the secrets scan live in scan_secrets.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/cli/cmd.h"

const char cmd_scan_usage[] =
    "usage: bulwark scan [models|secrets|pii] [OPTIONS] PATH...\n"
    "       bulwark scan secrets|pii --staged | --git-history[=RANGE] [OPTIONS]\n"
    "\n"
    "With no scanner named, every scanner runs on every file.\n"
    "\n"
    "models   code-execution payloads in model files, read by content the way their loaders read\n"
    "         them: pickle (protocols 0-5, analysed on a symbolic stack, never executed), PyTorch zip\n"
    "         and legacy files, joblib, NumPy .npy/.npz, zip/tar/gz/bz2/xz archives nested in each\n"
    "         other, safetensors, GGUF (chat templates too), ONNX and TensorFlow SavedModel. Each file\n"
    "         gets one verdict: safe, review (fails with --strict), malformed (never safe), unsafe.\n"
    "secrets  leaked credentials: 200+ provider token formats (checksums verified where they exist),\n"
    "         private keys, JWTs, connection strings and URLs with passwords, generic key = value\n"
    "         assignments gated by entropy. Placeholders and documented example keys are not reported.\n"
    "pii      personal data: emails, phone numbers, cards (Luhn + issuer), IBANs (mod 97), SSNs,\n"
    "         NINOs, Aadhaar, PAN, public IPs, dates of birth and medical record numbers in context;\n"
    "         CSV/JSONL columns named for personal data are checked cell by cell, and summarised.\n"
    "Secrets and personal data are found in notebooks (by cell), zip/tar/gzip members, binaries (by\n"
    "offset) and base64 Kubernetes Secret values. Evidence is always redacted.\n"
    "\n"
    "Options (models):\n"
    "      --strict           'review' fails too\n"
    "      --allow FILE       an allowlist pack: lines 'safe|unsafe MODULE NAME [why]' (repeatable)\n"
    "      --max-depth N      nested containers to enter (default 8 for models, 4 for secrets)\n"
    "      --max-size SIZE    largest decompressed member (default 4G for models, 1G for secrets)\n"
    "Options (secrets, pii):\n"
    "      --staged           scan what 'git diff --cached' would commit (only added lines count);\n"
    "                         the pre-commit hook\n"
    "      --git-history[=RANGE]  every blob of the history (default --all) once; findings name the\n"
    "                         commit that introduced them\n"
    "      --baseline FILE    leave out findings whose fingerprint is in FILE (a baseline or any\n"
    "                         bulwark JSON report); .bulwarkignore's [findings] section is read too\n"
    "      --write-baseline FILE  write the findings' fingerprints to FILE and exit 0\n"
    "      --rules FILE       custom rules in YAML (repeatable); see 'bulwark rules --help'\n"
    "      --per-row          datasets: a finding per cell instead of one per column and rule\n"
    "      --sample ROWS      datasets (CSV/TSV/JSONL) of many more rows: scan the header and about\n"
    "                         ROWS rows, in runs of consecutive rows spread evenly through the file\n"
    "                         (secrets in the rows left out are not seen; default: every row)\n"
    "      --show-secrets     print raw values in evidence (only when stdout is a terminal)\n"
    "      --no-cache         compile the rules instead of loading the cached database\n"
    "Common:\n"
    "  -e, --exclude PATTERN  skip paths matching PATTERN (gitignore syntax; repeatable)\n"
    "\n"
    "Inline ignores: a line containing 'bulwark:ignore' (or gitleaks:allow, 'pragma: allowlist\n"
    "secret', secretlint-disable-line) is not reported; 'bulwark:ignore-next-line' covers the next.\n"
    "\n"
    "Global options apply: --format text|json|sarif, --output, --fail-on, -j N. --fail-on defaults to\n"
    "high for models and to low (any finding) when secrets or pii are scanned.\n"
    "\n"
    "Exit codes: 0 clean, 1 a file is unsafe or malformed, or a finding is at or above --fail-on\n"
    "(or a file needs review, with --strict), 2 usage error or unreadable input.\n"
    "\n"
    "Examples:\n"
    "  bulwark scan models/\n"
    "  bulwark scan models --strict --format sarif -o scan.sarif checkpoint.pt\n"
    "  bulwark scan secrets --format sarif -o secrets.sarif .\n"
    "  bulwark scan secrets --staged\n"
    "  bulwark scan pii --per-row data/patients.csv\n"
    "  bulwark scan pii --sample 10000 data/\n";

enum { MODE_MODELS = 1, MODE_SECRETS = 2, MODE_PII = 4 };

struct job {
    unsigned mode;
    const bw_secrets *secrets;
    bw_walk_list files;
    bw_verdict *verdicts;
    unsigned char *failed; /* unreadable: no verdict */
    bw_report *report;
    bw_scan_opts opts;
    bw_scanner *scanner;
    atomic_int errors;
};

static void file_failed(struct job *j, size_t i, const bw_error *e, bw_status rc)
{
    j->failed[i] = 1;
    if (bw_report_add_error(j->report, j->files.entries[i].path, e) != BW_OK) {
        cli_report_error(e, rc);
    }
    atomic_fetch_add(&j->errors, 1);
}

static void add_verdict(struct job *j, size_t i)
{
    if (bw_report_add_artifact(j->report, j->files.entries[i].path, "verdict", bw_verdict_name(j->verdicts[i])) !=
        BW_OK) {
        atomic_fetch_add(&j->errors, 1);
    }
}

/* Files up to this size are read once for both scanners (and whole: under the secrets scanner's 4 MiB chunk). */
#define SHARED_READ_MAX ((uint64_t)1 << 20)

/*
 * Every scanner on one small regular file, read once: the secrets scanner
 * and the model scanner would each read it. BW_EUNSUPPORTED when the file
 * is not one (a symlink, a stream, empty or large): the caller scans it the
 * usual way, nothing reported yet.
 */
static bw_status scan_shared(struct job *j, size_t i)
{
    const char *path = j->files.entries[i].path;
    bw_file *f = NULL;
    bw_buf b = BW_BUF_INIT(SHARED_READ_MAX);
    const bw_file_stat *info;
    bw_error e;
    bw_status rc;

    bw_error_clear(&e);
    if (strcmp(path, "-") == 0 || bw_file_open(&f, path, 0, &e) != BW_OK) {
        return BW_EUNSUPPORTED; /* the usual way reports why it cannot be opened */
    }
    info = bw_file_info(f);
    if (!info->is_regular || info->size == 0 || info->size > SHARED_READ_MAX) {
        bw_file_close(f);
        return BW_EUNSUPPORTED;
    }
    rc = bw_file_read_all(f, SHARED_READ_MAX, &b, &e);
    if (rc == BW_ELIMIT) {
        bw_file_close(f);
        bw_buf_release(&b);
        return BW_EUNSUPPORTED; /* grown since: the usual way streams it */
    }
    if (rc == BW_OK) {
        bw_secrets_input in = {path, b.ptr, b.len, NULL, 0, NULL};
        rc = bw_secrets_scan_input(j->secrets, j->report, &in, &e);
        if (rc == BW_OK) {
            bw_report_count_input(j->report, b.len);
            rc = bw_scanner_buffer(j->scanner, j->report, path, b.ptr, b.len, &j->verdicts[i], &e);
        }
    }
    if (rc == BW_OK) {
        rc = bw_file_check_unchanged(f, &e);
    }
    if (rc == BW_OK) {
        add_verdict(j, i);
    } else {
        file_failed(j, i, &e, rc);
    }
    bw_file_close(f);
    bw_buf_release(&b);
    return BW_OK;
}

static int scan_one(void *ctx, size_t i, unsigned worker)
{
    struct job *j = ctx;
    bw_error e;
    bw_status rc;

    (void)worker;
    bw_error_clear(&e);
    if ((j->mode & MODE_MODELS) && (j->mode & (MODE_SECRETS | MODE_PII)) && scan_shared(j, i) == BW_OK) {
        return 0;
    }
    if (j->mode & (MODE_SECRETS | MODE_PII)) {
        rc = bw_secrets_scan_file(j->secrets, j->report, j->files.entries[i].path, &e);
        if (rc != BW_OK) {
            file_failed(j, i, &e, rc);
            return 0;
        }
        if (!(j->mode & MODE_MODELS)) {
            return 0;
        }
    }
    rc = bw_scanner_file(j->scanner, j->report, j->files.entries[i].path, &j->verdicts[i], &e);
    if (rc != BW_OK) {
        file_failed(j, i, &e, rc);
        return 0;
    }
    if (!(j->mode & (MODE_SECRETS | MODE_PII))) {
        bw_report_count_input(j->report, j->files.entries[i].size);
    }
    add_verdict(j, i);
    return 0;
}

static unsigned parse_mode(int *argc, char ***argv)
{
    static const struct {
        const char *word;
        unsigned mode;
    } words[] = {{"models", MODE_MODELS}, {"secrets", MODE_SECRETS}, {"pii", MODE_PII}};

    if (*argc >= 2) {
        for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
            if (strcmp((*argv)[1], words[k].word) == 0) {
                (*argc)--;
                (*argv)++;
                return words[k].mode;
            }
        }
    }
    return MODE_MODELS | MODE_SECRETS | MODE_PII;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Findings at or above the threshold: --fail-on when given; otherwise high
 * for the model scanner and any finding (low and up) for secrets and
 * personal data, as secrets scanners do.
 */
static size_t failing(const bw_report *r, const bw_secrets *s)
{
    size_t n = s != NULL ? bw_secrets_rule_count(s) : 0, k = 0, bad = 0;
    const char **ids = calloc(n + 1, sizeof(char *));

    if (ids == NULL) {
        return bw_report_count_at_least(r, cli.fail_on);
    }
    for (size_t i = 0; i < n; i++) {
        bw_secrets_rule_info ri;
        if (bw_secrets_rule_get(s, i, &ri) == BW_OK) {
            ids[k++] = ri.id;
        }
    }
    qsort(ids, k, sizeof(char *), cmp_id);
    for (size_t i = 0; i < bw_report_count(r); i++) {
        const bw_finding *f = bw_report_get(r, i);
        bool secret = k > 0 && bsearch(&f->rule_id, ids, k, sizeof(char *), cmp_id) != NULL;
        bw_severity t = cli.fail_on_set ? cli.fail_on : secret ? BW_SEV_LOW : BW_SEV_HIGH;
        bad += f->severity >= t;
    }
    free(ids);
    return bad;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
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
        {"staged", no_argument, NULL, 0x3005},
        {"git-history", optional_argument, NULL, 0x3006},
        {"baseline", required_argument, NULL, 0x3007},
        {"write-baseline", required_argument, NULL, 0x3008},
        {"rules", required_argument, NULL, 0x3009},
        {"per-row", no_argument, NULL, 0x300a},
        {"show-secrets", no_argument, NULL, 0x300b},
        {"no-cache", no_argument, NULL, 0x300c},
        {"sample", required_argument, NULL, 0x300d},
        {NULL, 0, NULL, 0},
    };
    struct job j;
    struct scan_secrets_opts so;
    const char **allow = calloc((size_t)argc + 1, sizeof(char *));
    const char **excl = calloc((size_t)argc + 1, sizeof(char *));
    const char **rules = calloc((size_t)argc + 1, sizeof(char *));
    char **fps = NULL;
    size_t n_fps = 0;
    size_t n_allow = 0, n_excl = 0, counts[4] = {0, 0, 0, 0};
    bw_write_opts wo = BW_WRITE_OPTS_INIT;
    bw_buf out = BW_BUF_INIT(SIZE_MAX / 2);
    bw_pool *pool = NULL;
    bw_secrets *secrets = NULL;
    bw_error e;
    int c, rc = CLI_EXIT_ERROR, bad = 0;
    bool max_depth_set = false, max_size_set = false;
    uint64_t max_depth = 0, max_size = 0;

    memset(&j, 0, sizeof(j));
    memset(&so, 0, sizeof(so));
    so.lib = (bw_secrets_opts)BW_SECRETS_OPTS_INIT;
    j.opts = (bw_scan_opts)BW_SCAN_OPTS_INIT;
    if (allow == NULL || excl == NULL || rules == NULL) {
        cli_error("out of memory");
        goto out;
    }
    j.mode = parse_mode(&argc, &argv);
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
            max_depth = v;
            max_depth_set = true;
            break;
        case 0x3004:
            if (cli_parse_size(optarg, &v) != 0 || v == 0) {
                rc = cli_usage_error("scan", "--max-size expects a size such as 512M, not '%s'", optarg);
                goto out;
            }
            max_size = v;
            max_size_set = true;
            break;
        case 0x3005: so.staged = true; break;
        case 0x3006:
            so.history = true;
            so.range = optarg;
            break;
        case 0x3007: so.baseline = optarg; break;
        case 0x3008: so.write_baseline = optarg; break;
        case 0x3009: rules[so.n_rule_files++] = optarg; break;
        case 0x300a: so.lib.per_row = 1; break;
        case 0x300b: so.lib.show_secrets = 1; break;
        case 0x300c: so.lib.no_cache = 1; break;
        case 0x300d: {
            char *end = NULL;
            errno = 0;
            unsigned long long rows = strtoull(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || errno != 0 || end == optarg || *end != '\0' || rows == 0) {
                rc = cli_usage_error("scan", "--sample expects a number of rows such as 10000, not '%s'", optarg);
                goto out;
            }
            so.lib.sample_rows = rows;
            break;
        }
        case ':': rc = cli_usage_error("scan", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("scan", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if ((so.staged || so.history) && (j.mode & MODE_MODELS) && (j.mode & MODE_SECRETS) == 0) {
        rc = cli_usage_error("scan", "--staged and --git-history scan for secrets and personal data, not models");
        goto out;
    }
    if (so.staged || so.history) {
        j.mode &= ~(unsigned)MODE_MODELS;
        if (so.staged && so.history) {
            rc = cli_usage_error("scan", "--staged and --git-history cannot be combined");
            goto out;
        }
        if (argc > 0) {
            rc = cli_usage_error("scan", "--staged and --git-history take no PATH (run inside the repository)");
            goto out;
        }
    } else if (argc == 0) {
        rc = cli_usage_error("scan", "no PATH given");
        goto out;
    }
    if (so.lib.show_secrets && !isatty(STDOUT_FILENO)) {
        cli_warn("--show-secrets ignored: standard output is not a terminal");
        so.lib.show_secrets = 0;
    }
    if (so.lib.show_secrets && cli.output != NULL) {
        cli_warn("--show-secrets ignored with --output: secrets are never written to files");
        so.lib.show_secrets = 0;
    }
    if (max_depth_set) {
        j.opts.max_depth = (unsigned)max_depth;
        so.lib.max_depth = (unsigned)max_depth;
    }
    if (max_size_set) {
        j.opts.max_member_size = max_size;
        so.lib.max_member_size = max_size;
    }
    j.opts.allow_files = allow;
    j.opts.n_allow_files = n_allow;
    bw_error_clear(&e);
    if (bw_report_new(&j.report, "bulwark scan", &e) != BW_OK || bw_pool_new(&pool, cli.jobs, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        goto out;
    }
    if ((j.mode & MODE_MODELS) && bw_scanner_new(&j.scanner, &j.opts, &e) != BW_OK) {
        cli_report_error(&e, e.code); /* a bad --allow pack: nothing is scanned */
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (j.mode & (MODE_SECRETS | MODE_PII)) {
        if (so.baseline != NULL && cli_load_fingerprints(so.baseline, &fps, &n_fps) != 0) {
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        if (cli_load_ignore_findings(".", &fps, &n_fps) != 0) {
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        so.lib.kinds = ((j.mode & MODE_SECRETS) ? BW_SECRETS_SECRET : 0) | ((j.mode & MODE_PII) ? BW_SECRETS_PII : 0);
        so.lib.rule_files = rules;
        so.lib.n_rule_files = so.n_rule_files;
        so.lib.ignore_fingerprints = (const char *const *)fps;
        so.lib.n_ignore_fingerprints = n_fps;
        so.lib.dedupe = so.history;
        if (bw_secrets_new(&secrets, &so.lib, &e) != BW_OK) {
            cli_report_error(&e, e.code);
            rc = e.code == BW_ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
            goto out;
        }
        j.secrets = secrets;
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    if (so.staged && cli_scan_git_staged(secrets, j.report) != 0) {
        bad = 1;
    }
    if (so.history && cli_scan_git_history(secrets, j.report, so.range) != 0) {
        bad = 1;
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
        for (size_t k = 0; k < j.files.n && (j.mode & MODE_MODELS); k++) {
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
    if (so.write_baseline != NULL) {
        rc = cli_write_baseline(so.write_baseline, j.report);
        if (rc == 0) {
            cli_note("wrote %zu fingerprints to '%s'", bw_report_count(j.report), so.write_baseline);
        }
        rc = cli_out_finish(bad ? CLI_EXIT_ERROR : rc);
        goto out;
    }
    wo.color = cli.color;
    wo.verbose = cli.verbose;
    if (bw_report_write(j.report, cli.format, &wo, &out) != BW_OK) {
        cli_error("cannot render the report");
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    cli_out_write(out.ptr, out.len);
    if (cli.format == BW_FORMAT_TEXT && (j.mode & MODE_MODELS)) {
        cli_out_printf("verdicts: %zu safe, %zu review, %zu malformed, %zu unsafe\n", counts[BW_VERDICT_SAFE],
                       counts[BW_VERDICT_REVIEW], counts[BW_VERDICT_MALFORMED], counts[BW_VERDICT_UNSAFE]);
    }
    if (bad || atomic_load(&j.errors) > 0) {
        rc = CLI_EXIT_ERROR;
    } else if (counts[BW_VERDICT_UNSAFE] + counts[BW_VERDICT_MALFORMED] > 0 ||
               (j.opts.strict && counts[BW_VERDICT_REVIEW] > 0) || failing(j.report, secrets) > 0) {
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
    bw_secrets_free(secrets);
    bw_report_free(j.report);
    bw_pool_free(pool);
    free_list(fps, n_fps);
    free(allow);
    free(excl);
    free(rules);
    return rc;
}
