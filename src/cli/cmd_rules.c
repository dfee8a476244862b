/*
 * cmd_rules.c - `bulwark rules list|test`: the rules of the secrets and
 * personal-data scanner, built-in and custom (YAML), and trying them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/cli/cmd.h"

const char cmd_rules_usage[] =
    "usage: bulwark rules list [--rules FILE]... [--kind secret|pii]\n"
    "       bulwark rules test [--rules FILE]... [--rule ID] [SAMPLE|-]\n"
    "\n"
    "list  every rule of the secrets and personal-data scanner: id, kind, severity, provider,\n"
    "      validator, description (with --format json: the regex and sample too)\n"
    "test  scan SAMPLE (a file, or - for standard input) with the rules and show what each finds;\n"
    "      without SAMPLE, every rule that has a sample must find it (a self-test for rule files).\n"
    "      Exit 0 when the rule (or, without --rule, any rule) finds something, 1 when nothing is found.\n"
    "\n"
    "Custom rules (--rules FILE, repeatable) are YAML:\n"
    "  replace-defaults: false          # true: only these rules\n"
    "  rules:\n"
    "    - id: acme-api-key             # lower-case letters, digits, '-'\n"
    "      description: ACME API key\n"
    "      provider: ACME\n"
    "      kind: secret                 # secret | pii\n"
    "      severity: high               # info | low | medium | high | critical\n"
    "      regex: 'acme_([a-z0-9]{32})' # PCRE2\n"
    "      secret-group: 1              # the capture group holding the secret (0: whole match)\n"
    "      keywords: [acme_]            # the line of the match must contain one (any case)\n"
    "      entropy: 3.5                 # minimum bits per byte of the secret\n"
    "      validator: none              # luhn iban ssn nino verhoeff pan checksum jwt pem email\n"
    "                                   # phone ipv4 password generic date basic-auth\n"
    "      allowlist: {regexes: ['^acme_test_'], stopwords: [dummy]}\n"
    "      sample: 'ACME_KEY=acme_...'  # a line it must find\n"
    "\n"
    "Examples:\n"
    "  bulwark rules list --kind pii\n"
    "  bulwark rules test --rules acme.yaml\n"
    "  echo 'token: ghp_...' | bulwark rules test --rule github-pat -\n";

static int rules_list(bw_secrets *s, const char *kind)
{
    bw_json j;
    bw_buf out = BW_BUF_INIT(SIZE_MAX / 2);
    size_t n = bw_secrets_rule_count(s), shown = 0;

    if (cli.format == BW_FORMAT_JSON) {
        bw_json_init(&j, &out, 1);
        bw_json_arr_begin(&j);
    }
    for (size_t i = 0; i < n; i++) {
        bw_secrets_rule_info ri;
        if (bw_secrets_rule_get(s, i, &ri) != BW_OK || (kind != NULL && strcmp(kind, ri.kind) != 0)) {
            continue;
        }
        shown++;
        if (cli.format == BW_FORMAT_JSON) {
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "id", ri.id);
            bw_json_kv_str(&j, "kind", ri.kind);
            bw_json_kv_str(&j, "severity", bw_severity_name(ri.severity));
            bw_json_kv_str(&j, "provider", ri.provider);
            bw_json_kv_str(&j, "description", ri.description);
            bw_json_key(&j, "validator");
            bw_json_str(&j, ri.validator);
            bw_json_key(&j, "regex");
            bw_json_str(&j, ri.regex);
            bw_json_key(&j, "custom");
            bw_json_bool(&j, ri.custom);
            bw_json_obj_end(&j);
        } else {
            (void)bw_buf_printf(&out, "%-44s %-6s %-8s %-22s %-10s %s\n", ri.id, ri.kind, bw_severity_name(ri.severity),
                                ri.provider, ri.validator ? ri.validator : "-", ri.description);
        }
    }
    if (cli.format == BW_FORMAT_JSON) {
        bw_json_arr_end(&j);
        if (bw_json_finish(&j) != BW_OK || bw_buf_addc(&out, '\n') != BW_OK) {
            bw_buf_release(&out);
            cli_error("cannot render the rules");
            return CLI_EXIT_ERROR;
        }
    } else {
        (void)bw_buf_printf(&out, "%zu rules\n", shown);
    }
    cli_out_write(out.ptr, out.len);
    bw_buf_release(&out);
    return CLI_EXIT_OK;
}

/* Count findings of `rule` (or any) in r. */
static size_t count_rule(const bw_report *r, const char *rule)
{
    size_t k = 0;

    for (size_t i = 0; i < bw_report_count(r); i++) {
        if (rule == NULL || strcmp(bw_report_get(r, i)->rule_id, rule) == 0) {
            k++;
        }
    }
    return k;
}

static int self_test(bw_secrets *s, const char *only)
{
    size_t n = bw_secrets_rule_count(s), tested = 0, failed = 0;

    for (size_t i = 0; i < n; i++) {
        bw_secrets_rule_info ri;
        bw_report *r = NULL;
        bw_secrets_input in = {0};
        bw_error e;

        if (bw_secrets_rule_get(s, i, &ri) != BW_OK || ri.sample == NULL || ri.regex == NULL ||
            (only != NULL && strcmp(only, ri.id) != 0)) {
            continue;
        }
        bw_error_clear(&e);
        if (bw_report_new(&r, "bulwark rules test", &e) != BW_OK) {
            cli_report_error(&e, e.code);
            return CLI_EXIT_ERROR;
        }
        in.name = "sample";
        in.data = ri.sample;
        in.len = strlen(ri.sample);
        tested++;
        bool found = bw_secrets_scan_input(s, r, &in, &e) == BW_OK && count_rule(r, ri.id) > 0;
        if (!found) {
            /* a rule on file names (a PKCS #12 key store): its sample is a path */
            in.name = ri.sample;
            in.data = "";
            in.len = 0;
            found = bw_secrets_scan_input(s, r, &in, &e) == BW_OK && count_rule(r, ri.id) > 0;
        }
        if (!found) {
            failed++;
            cli_out_printf("FAIL %s: its sample is not found\n", ri.id);
        } else if (cli.verbose) {
            cli_out_printf("ok   %s\n", ri.id);
        }
        bw_report_free(r);
    }
    cli_out_printf("%zu rules tested, %zu failed\n", tested, failed);
    return failed > 0 || tested == 0 ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}

int cmd_rules(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_GLOBAL_LONGOPTS,
        {"rules", required_argument, NULL, 0x4001},
        {"kind", required_argument, NULL, 0x4002},
        {"rule", required_argument, NULL, 0x4003},
        {NULL, 0, NULL, 0},
    };
    const char **files = calloc((size_t)argc + 1, sizeof(char *));
    const char *kind = NULL, *only = NULL, *verb;
    bw_secrets_opts so = BW_SECRETS_OPTS_INIT;
    bw_secrets *s = NULL;
    bw_report *r = NULL;
    bw_error e;
    int c, rc = CLI_EXIT_ERROR;

    if (files == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
            free(files);
            cli_out_str(cmd_rules_usage);
            return cli_out_close();
        }
        free(files);
        return cli_usage_error("rules", "expected 'list' or 'test'");
    }
    verb = argv[1];
    argc--;
    argv++;
    if (strcmp(verb, "list") != 0 && strcmp(verb, "test") != 0) {
        free(files);
        return cli_usage_error("rules", "unknown subcommand '%s' (expected 'list' or 'test')", verb);
    }
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
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
            cli_out_str(cmd_rules_usage);
            rc = cli_out_close();
            goto out;
        case 0x4001: files[so.n_rule_files++] = optarg; break;
        case 0x4002:
            if (strcmp(optarg, "secret") != 0 && strcmp(optarg, "pii") != 0) {
                rc = cli_usage_error("rules", "--kind expects 'secret' or 'pii', not '%s'", optarg);
                goto out;
            }
            kind = optarg;
            break;
        case 0x4003: only = optarg; break;
        case ':': rc = cli_usage_error("rules", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("rules", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if (argc > (strcmp(verb, "test") == 0 ? 1 : 0)) {
        rc = cli_usage_error("rules", "unexpected argument '%s'", argv[argc - 1]);
        goto out;
    }
    so.rule_files = files;
    bw_error_clear(&e);
    if (bw_secrets_new(&s, &so, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = e.code == BW_ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
        goto out;
    }
    if (only != NULL) {
        bool found = false;
        for (size_t i = 0; i < bw_secrets_rule_count(s) && !found; i++) {
            bw_secrets_rule_info ri;
            found = bw_secrets_rule_get(s, i, &ri) == BW_OK && strcmp(ri.id, only) == 0;
        }
        if (!found) {
            rc = cli_usage_error("rules", "no rule '%s' (see 'bulwark rules list')", only);
            goto out;
        }
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    if (strcmp(verb, "list") == 0) {
        rc = cli_out_finish(rules_list(s, kind));
    } else if (argc == 0) {
        rc = cli_out_finish(self_test(s, only));
    } else {
        bw_write_opts wo = BW_WRITE_OPTS_INIT;
        bw_buf out = BW_BUF_INIT(SIZE_MAX / 2);
        if (bw_report_new(&r, "bulwark rules test", &e) != BW_OK) {
            cli_report_error(&e, e.code);
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        if (bw_secrets_scan_file(s, r, argv[0], &e) != BW_OK) {
            cli_report_error(&e, e.code);
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        if (only != NULL) {
            /* keep the other rules' findings out of the answer */
            bw_report *kept = NULL;
            if (bw_report_new(&kept, "bulwark rules test", &e) != BW_OK) {
                rc = CLI_EXIT_ERROR;
                goto out;
            }
            for (size_t i = 0; i < bw_report_count(r); i++) {
                const bw_finding *f = bw_report_get(r, i);
                if (strcmp(f->rule_id, only) == 0 && bw_report_add(kept, f) != BW_OK) {
                    rc = CLI_EXIT_ERROR;
                }
            }
            bw_report_count_input(kept, 0);
            bw_report_free(r);
            r = kept;
        }
        bw_report_sort(r);
        wo.color = cli.color;
        wo.verbose = cli.verbose;
        if (bw_report_write(r, cli.format, &wo, &out) != BW_OK) {
            bw_buf_release(&out);
            cli_error("cannot render the report");
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        cli_out_write(out.ptr, out.len);
        bw_buf_release(&out);
        rc = cli_out_finish(bw_report_count(r) > 0 ? CLI_EXIT_OK : CLI_EXIT_FINDINGS);
    }
out:
    bw_report_free(r);
    bw_secrets_free(s);
    free(files);
    return rc;
}
