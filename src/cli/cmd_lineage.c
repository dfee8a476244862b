/*
 * cmd_lineage.c - `bulwark lineage ARTIFACT`: the upstream and downstream
 * graph of an artifact in the project's ledger (docs/lineage.md), as a text
 * tree, JSON, Graphviz DOT or a Mermaid flowchart.
 *
 * ARTIFACT is, in this order: a digest ("sha256:HEX", any "alg:HEX" the
 * ledger knows, or 64 bare hex digits), an existing path (a file by its
 * SHA-256, a directory by its manifest digest, exactly what `digest
 * --record` records), or a name recorded in the ledger (every artifact
 * of that name becomes a root). Nothing found is a usage error (exit 2).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/cli/cmd.h"

const char cmd_lineage_usage[] =
    "usage: bulwark lineage ARTIFACT [--upstream|--downstream] [--depth N]\n"
    "                       [--format text|json|dot|mermaid] [-o FILE]\n"
    "\n"
    "The lineage of an artifact in the project's ledger (.bulwark/ledger.db): the stage runs that made\n"
    "it and from what (upstream), what was made from it (downstream), with the gate decisions and\n"
    "approvals recorded about each artifact.\n"
    "\n"
    "ARTIFACT  a digest (sha256:HEX, md5:HEX for DVC imports, or 64 hex digits), a path (a file by its\n"
    "          SHA-256, a directory by its manifest digest, as 'bulwark digest --record' records\n"
    "          them), or a name recorded in the ledger (every artifact of that name is shown).\n"
    "\n"
    "      --upstream         only what made it (default: both directions)\n"
    "      --downstream       only what was made from it\n"
    "      --depth N          follow at most N stage runs from the artifact (0: the artifact alone)\n"
    "      --format FORMAT    text (a tree; a node shown before is marked (*)), json (nodes and\n"
    "                         edges), dot (Graphviz: | dot -Tsvg > lineage.svg) or mermaid\n"
    "      --store URL|PATH   another ledger (a SQLite file or a PostgreSQL URL; default: the project's)\n"
    "  -o, --output FILE      write to FILE (atomically) instead of standard output\n"
    "\n"
    "Exit status: 0 shown, 2 unknown artifact, no ledger or a usage error.\n"
    "\n"
    "Examples:\n"
    "  bulwark lineage model.safetensors\n"
    "  bulwark lineage --downstream --depth 1 data/train.csv\n"
    "  bulwark lineage --format dot sha256:3f2a... | dot -Tsvg > lineage.svg\n";

#define MAX_ROOTS CLI_LINEAGE_MAX_ROOTS

static bool hex_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return n > 0;
}

/* "alg:HEX" with a plausible algorithm name and hex digits, or 64 bare hex digits. */
static bool looks_like_digest(const char *s)
{
    const char *colon = strchr(s, ':');
    if (colon == NULL) {
        return strlen(s) == 64 && hex_only(s, 64);
    }
    if (colon == s || colon - s > 31 || !hex_only(colon + 1, strlen(colon + 1)) || strlen(colon + 1) < 8) {
        return false;
    }
    for (const char *p = s; p < colon; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_')) {
            return false;
        }
    }
    return true;
}

int cli_lineage_resolve(bw_lineage *g, const char *spec, uint32_t *roots, size_t *n)
{
    struct stat st;
    char key[8 + BW_DIGEST_HEX_MAX];
    size_t total = 0;
    int rc;

    *n = 0;
    if (looks_like_digest(spec) && stat(spec, &st) != 0) {
        if (strchr(spec, ':') == NULL) {
            snprintf(key, sizeof(key), "sha256:%s", spec);
        } else {
            snprintf(key, sizeof(key), "%s", spec);
        }
        if (bw_lineage_find_digest(g, key, &roots[0]) == BW_OK) {
            *n = 1;
            return 0;
        }
        /* an abbreviated digest, as the text tree shows them: it must name one artifact */
        bw_lineage_find_digest_prefix(g, key, roots, MAX_ROOTS, &total);
        if (total == 1) {
            *n = 1;
            return 0;
        }
        if (total > 1) {
            cli_error("%s is ambiguous: %zu artifacts' digests start with it (give more digits)", key, total);
        } else {
            cli_error("%s is not in the ledger", key);
        }
        return CLI_EXIT_USAGE;
    }
    if (stat(spec, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
        if ((rc = cli_path_digest(spec, S_ISDIR(st.st_mode), key, NULL)) != 0) {
            return rc;
        }
        if (bw_lineage_find_digest(g, key, &roots[0]) == BW_OK) {
            *n = 1;
            return 0;
        }
        bw_lineage_find_name(g, spec, roots, MAX_ROOTS, &total);
        cli_error("'%s' (%.19s...) is not in the ledger", spec, key);
        if (total > 0) {
            cli_note("the ledger has other content named '%s' (%zu artifact%s): 'bulwark lineage %s' shows %s", spec,
                     total, total == 1 ? "" : "s", bw_lineage_key(g, roots[0]), total == 1 ? "it" : "the first");
        }
        return CLI_EXIT_USAGE;
    }
    bw_lineage_find_name(g, spec, roots, MAX_ROOTS, &total);
    if (total == 0) {
        cli_error("'%s' is neither a file, a directory, a digest nor a name recorded in the ledger", spec);
        return CLI_EXIT_USAGE;
    }
    if (total > MAX_ROOTS) {
        cli_warn("'%s' names %zu artifacts; showing the first %d", spec, total, MAX_ROOTS);
        total = MAX_ROOTS;
    } else if (total > 1) {
        cli_note("'%s' names %zu artifacts in the ledger; showing each (pass a digest to choose one)", spec, total);
    }
    *n = total;
    return 0;
}

int cmd_lineage(int argc, char **argv)
{
    enum { O_UP = 0x2000, O_DOWN, O_DEPTH, O_STORE };
    static const struct option longopts[] = {
        {"store", required_argument, NULL, O_STORE},
        {"upstream", no_argument, NULL, O_UP},
        {"downstream", no_argument, NULL, O_DOWN},
        {"depth", required_argument, NULL, O_DEPTH},
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    bw_lineage_query q = BW_LINEAGE_QUERY_INIT;
    bw_lineage *g = NULL;
    bw_buf out = BW_BUF_INIT(SIZE_MAX / 2);
    bw_error err = {0};
    uint32_t *roots = NULL;
    const char *format = NULL;
    unsigned dir = 0;
    int c, rc = CLI_EXIT_ERROR;
    bw_status st;

    opterr = 0;
    while ((c = getopt_long(argc, argv, CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        int gopt;
        switch (c) {
        case O_UP: dir |= BW_LINEAGE_UPSTREAM; break;
        case O_DOWN: dir |= BW_LINEAGE_DOWNSTREAM; break;
        case O_STORE: cli_ledger_use(optarg, NULL); break;
        case O_DEPTH: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0 || v >= UINT32_MAX) {
                return cli_usage_error("lineage", "--depth needs a whole number, not '%s'", optarg);
            }
            q.depth = (uint32_t)v;
            break;
        }
        case 0x1001: format = optarg; break; /* --format: this command's own formats */
        case 'h': return cli_print_usage(cmd_lineage_usage);
        case '?': return cli_usage_error("lineage", "unknown option '%s'", argv[optind - 1]);
        case ':': return cli_usage_error("lineage", "option '%s' needs a value", argv[optind - 1]);
        default:
            gopt = cli_global_option(c, optarg);
            if (gopt <= 0) {
                return gopt < 0 ? CLI_EXIT_USAGE : cli_usage_error("lineage", "unknown option");
            }
        }
    }
    if (format == NULL) {
        format = cli.format == BW_FORMAT_JSON ? "json" : "text";
    }
    if (strcmp(format, "text") == 0) {
        q.format = BW_LINEAGE_TEXT;
    } else if (strcmp(format, "json") == 0) {
        q.format = BW_LINEAGE_JSON;
    } else if (strcmp(format, "dot") == 0) {
        q.format = BW_LINEAGE_DOT;
    } else if (strcmp(format, "mermaid") == 0) {
        q.format = BW_LINEAGE_MERMAID;
    } else {
        return cli_usage_error("lineage", "unknown format '%s' (expected text, json, dot or mermaid)", format);
    }
    if (optind != argc - 1) {
        return cli_usage_error("lineage", optind == argc ? "which artifact? (a path, a digest or a name)"
                                                         : "one artifact at a time");
    }
    q.dir = dir != 0 ? (bw_lineage_dir)dir : BW_LINEAGE_BOTH;
    cli_resolve_color();
    if ((rc = cli_lineage_load(false, &g)) != 0) {
        return rc;
    }
    if ((roots = calloc(MAX_ROOTS, sizeof(*roots))) == NULL) {
        cli_error("out of memory");
        goto out;
    }
    if ((rc = cli_lineage_resolve(g, argv[optind], roots, &q.n_roots)) != 0) {
        goto out;
    }
    q.roots = roots;
    if (cli.verbose) {
        bw_lineage_stats s;
        bw_lineage_stats_get(g, &s);
        cli_note("ledger: %zu artifacts, %zu stage runs, %zu edges, %zu gates, %zu approvals (%zu entries skipped)",
                 s.artifacts, s.runs, s.edges, s.gates, s.approvals, s.skipped);
    }
    st = bw_lineage_write(g, &q, &out, &err);
    if (st != BW_OK) {
        cli_report_error(&err, st);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (cli_out_open() != 0) {
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    cli_out_write(out.ptr, out.len);
    rc = cli_out_finish(CLI_EXIT_OK);
out:
    free(roots);
    bw_buf_release(&out);
    bw_lineage_free(g);
    return rc;
}
