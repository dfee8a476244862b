/*
 * cmd_cat.c - `bulwark cat`: print the rows of a data file as CSV or JSON
 * Lines, so any supported file can be looked at or converted.
 *
 * Rows stream through the library's readers batch by batch; output is
 * written as it is produced (memory does not grow with the file). Malformed
 * rows are skipped with a warning naming the line and offset (or stop the
 * run with --on-bad-row stop), and make the exit code 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cmd.h"

const char cmd_cat_usage[] =
    "usage: bulwark cat [OPTIONS] DATA\n"
    "\n"
    "Print the rows of a CSV, TSV, JSON Lines or Parquet file ('-' reads standard input) as CSV or JSON\n"
    "Lines, with the types bulwark reads them as: the way to look at a file, convert it, or check\n"
    "what 'bulwark profile' and 'bulwark validate' will see.\n"
    "\n"
    "Options:\n"
    "      --format csv|jsonl     output format (default csv)\n"
    "      --input-format FMT     auto (default: by name, then by content), csv, tsv, jsonl, parquet\n"
    "  -n, --limit N              print at most N rows\n"
    "  -c, --columns A,B,...      print only these columns, in this order\n"
    "  -d, --delimiter C          input delimiter (default: sniffed among , ; TAB |); 'tab' for TAB\n"
    "      --no-header            the first CSV row is data (columns are named column_1, ...)\n"
    "      --null TEXT            read TEXT as null (repeatable; replaces the defaults: empty,\n"
    "                             NULL, null, NA, N/A)\n"
    "  -t, --type COL=TYPE        read column COL as TYPE (bool, int64, float64, string, date,\n"
    "                             timestamp) instead of inferring it; repeatable\n"
    "      --infer-rows N         rows to infer column types from (default 10000)\n"
    "      --on-bad-row skip|stop skip a malformed row with a warning (default) or stop at it\n"
    "\n"
    "Global options apply: --output FILE (written atomically), --quiet.\n"
    "\n"
    "Nulls print as empty CSV fields and JSON null; an empty string prints as \"\" in CSV.\n"
    "Dates print as YYYY-MM-DD, timestamps as YYYY-MM-DDTHH:MM:SS[.ffffff].\n"
    "\n"
    "Exit codes: 0 every row read, 1 malformed rows or values were skipped (warned on stderr),\n"
    "2 usage error, unreadable input or a malformed row with --on-bad-row stop.\n"
    "\n"
    "Examples:\n"
    "  bulwark cat --limit 5 examples/readmission/data/patients.csv\n"
    "  bulwark cat --format jsonl --columns patient_id,age data.csv > data.jsonl\n"
    "  bulwark cat events.jsonl -o events.csv\n";

#define MAX_WARNINGS 20

struct cat {
    bool jsonl;
    uint64_t limit;
    bool has_limit;
    char **want;
    size_t nwant;
    size_t *map; /* output column k -> batch column, SIZE_MAX: absent */
    size_t nmap;
    uint64_t warned;
    const char *path;
    bw_buf line;
};

static void on_bad(void *ctx, const bw_bad_row *b)
{
    struct cat *c = ctx;

    c->warned++;
    if (c->warned <= MAX_WARNINGS) {
        if (b->column != NULL) {
            cli_warn("%s: line %llu, column '%s': %s (read as null)", c->path, (unsigned long long)b->line, b->column,
                     b->msg);
        } else {
            cli_warn("%s: line %llu (offset %llu): %s (row skipped)", c->path, (unsigned long long)b->line,
                     (unsigned long long)b->offset, b->msg);
        }
    }
}

static void csv_field(bw_buf *o, const char *s, size_t n)
{
    bool quote = n == 0 || s[0] == ' ' || s[n - 1] == ' ';

    for (size_t i = 0; i < n && !quote; i++) {
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    }
    if (!quote) {
        bw_buf_add(o, s, n);
        return;
    }
    bw_buf_addc(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            bw_buf_addc(o, '"');
        }
        bw_buf_addc(o, s[i]);
    }
    bw_buf_addc(o, '"');
}

static void json_value(bw_buf *o, const bw_column *col, size_t i, bw_buf *tmp)
{
    if (!bw_col_valid(col, i)) {
        bw_buf_addstr(o, "null");
        return;
    }
    switch (col->type) {
    case BW_DT_BOOL:
    case BW_DT_INT64: bw_col_format(col, i, o); return;
    case BW_DT_FLOAT64:
        if (col->f64[i] != col->f64[i] || col->f64[i] - col->f64[i] != 0) {
            bw_buf_addstr(o, "null"); /* JSON has no NaN or infinity */
        } else {
            bw_col_format(col, i, o);
        }
        return;
    default:
        bw_buf_reset(tmp);
        bw_col_format(col, i, tmp);
        bw_buf_addc(o, '"');
        (void)bw_json_escape(o, tmp->ptr != NULL ? tmp->ptr : "", tmp->len);
        bw_buf_addc(o, '"');
    }
}

/* Map the wanted columns onto this batch's (columns may appear in later JSONL batches). */
static int map_columns(struct cat *c, const bw_batch *b)
{
    size_t n = c->nwant ? c->nwant : b->ncols;
    size_t *m = realloc(c->map, (n ? n : 1) * sizeof(*m));

    if (m == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    c->map = m;
    c->nmap = n;
    for (size_t k = 0; k < n; k++) {
        m[k] = c->nwant ? SIZE_MAX : k;
        for (size_t j = 0; c->nwant && j < b->ncols; j++) {
            if (strcmp(b->names[j], c->want[k]) == 0) {
                m[k] = j;
            }
        }
    }
    return 0;
}

static void put_header(struct cat *c, const bw_batch *b)
{
    bw_buf_reset(&c->line);
    for (size_t k = 0; k < c->nmap; k++) {
        const char *nm = c->nwant ? c->want[k] : b->names[c->map[k]];
        if (k > 0) {
            bw_buf_addc(&c->line, ',');
        }
        csv_field(&c->line, nm, strlen(nm));
    }
    bw_buf_addc(&c->line, '\n');
    cli_out_write(c->line.ptr, c->line.len);
}

static int put_rows(struct cat *c, const bw_batch *b, uint64_t *done)
{
    bw_buf tmp = BW_BUF_INIT(SIZE_MAX / 2);

    for (size_t i = 0; i < b->nrows && (!c->has_limit || *done < c->limit); i++, (*done)++) {
        bw_buf_reset(&c->line);
        if (c->jsonl) {
            bw_buf_addc(&c->line, '{');
        }
        for (size_t k = 0; k < c->nmap; k++) {
            const bw_column *col = c->map[k] != SIZE_MAX ? &b->cols[c->map[k]] : NULL;
            if (c->jsonl) {
                const char *nm = c->nwant ? c->want[k] : b->names[c->map[k]];
                if (k > 0) {
                    bw_buf_addc(&c->line, ',');
                }
                bw_buf_addc(&c->line, '"');
                (void)bw_json_escape(&c->line, nm, strlen(nm));
                bw_buf_addstr(&c->line, "\":");
                if (col == NULL) {
                    bw_buf_addstr(&c->line, "null");
                } else {
                    json_value(&c->line, col, i, &tmp);
                }
                continue;
            }
            if (k > 0) {
                bw_buf_addc(&c->line, ',');
            }
            if (col != NULL && bw_col_valid(col, i)) {
                bw_buf_reset(&tmp);
                bw_col_format(col, i, &tmp);
                csv_field(&c->line, tmp.ptr != NULL ? tmp.ptr : "", tmp.len);
            }
        }
        if (c->jsonl) {
            bw_buf_addc(&c->line, '}');
        }
        bw_buf_addc(&c->line, '\n');
        if (c->line.err != BW_OK) {
            bw_buf_release(&tmp);
            cli_error("out of memory");
            return CLI_EXIT_ERROR;
        }
        cli_out_write(c->line.ptr, c->line.len);
    }
    bw_buf_release(&tmp);
    return 0;
}

static int split_list(const char *s, char ***out, size_t *n)
{
    char *copy = strdup(s), *save = NULL;
    char **v = NULL;

    if (copy == NULL) {
        return -1;
    }
    for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        char **g = realloc(v, (*n + 1) * sizeof(*g));
        if (g == NULL) {
            free(copy);
            return -1;
        }
        v = g;
        v[(*n)++] = strdup(t);
    }
    free(copy);
    *out = v;
    return 0;
}

int cmd_cat(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 0x5001},
        {"input-format", required_argument, NULL, 0x5002},
        {"limit", required_argument, NULL, 'n'},
        {"columns", required_argument, NULL, 'c'},
        {"delimiter", required_argument, NULL, 'd'},
        {"no-header", no_argument, NULL, 0x5003},
        {"null", required_argument, NULL, 0x5004},
        {"type", required_argument, NULL, 't'},
        {"infer-rows", required_argument, NULL, 0x5005},
        {"on-bad-row", required_argument, NULL, 0x5006},
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cat c = {0};
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_data_format fmt = BW_FMT_AUTO;
    const char **nulls = NULL, **tnames = NULL;
    bw_dtype *types = NULL;
    size_t nnulls = 0, ntypes = 0;
    bw_dataset *d = NULL;
    bw_error e;
    uint64_t done = 0;
    bool header_done = false;
    int rc = CLI_EXIT_OK, ch;

    bw_buf_init(&c.line, SIZE_MAX / 2);
    nulls = calloc((size_t)argc + 1, sizeof(*nulls));
    tnames = calloc((size_t)argc + 1, sizeof(*tnames));
    types = calloc((size_t)argc + 1, sizeof(*types));
    if (nulls == NULL || tnames == NULL || types == NULL) {
        cli_error("out of memory");
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":n:c:d:t:" CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        int g = cli_global_option(ch, optarg);
        if (g < 0) {
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (g > 0) {
            continue;
        }
        switch (ch) {
        case 'h':
            cli_out_str(cmd_cat_usage);
            rc = cli_out_close();
            goto out;
        case 0x5001:
            if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "jsonl") != 0) {
                rc = cli_usage_error("cat", "--format expects csv or jsonl, not '%s'", optarg);
                goto out;
            }
            c.jsonl = strcmp(optarg, "jsonl") == 0;
            break;
        case 0x5002:
            if (bw_data_format_parse(optarg, &fmt, &o.delim) != BW_OK) {
                rc =
                    cli_usage_error("cat", "--input-format expects auto, csv, tsv, jsonl or parquet, not '%s'", optarg);
                goto out;
            }
            break;
        case 'n': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || *optarg == '-') {
                rc = cli_usage_error("cat", "--limit expects a row count, not '%s'", optarg);
                goto out;
            }
            c.limit = v;
            c.has_limit = true;
            break;
        }
        case 'c':
            if (split_list(optarg, &c.want, &c.nwant) != 0) {
                cli_error("out of memory");
                rc = CLI_EXIT_ERROR;
                goto out;
            }
            break;
        case 'd':
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0) {
                o.delim = '\t';
            } else if (strlen(optarg) == 1 && optarg[0] != '"' && optarg[0] != '\n' && optarg[0] != '\r') {
                o.delim = optarg[0];
            } else {
                rc = cli_usage_error("cat", "--delimiter expects one character (or 'tab'), not '%s'", optarg);
                goto out;
            }
            break;
        case 0x5003: o.header = 0; break;
        case 0x5004: nulls[nnulls++] = optarg; break;
        case 't': {
            const char *eq = strrchr(optarg, '=');
            if (eq == NULL || eq == optarg || bw_dtype_parse(eq + 1, &types[ntypes]) != BW_OK) {
                rc = cli_usage_error("cat",
                                     "--type expects COLUMN=TYPE with a type of bool, int64, float64, "
                                     "string, date or timestamp, not '%s'",
                                     optarg);
                goto out;
            }
            tnames[ntypes++] = strndup(optarg, (size_t)(eq - optarg));
            break;
        }
        case 0x5005: {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v == 0 || *optarg == '-') {
                rc = cli_usage_error("cat", "--infer-rows expects a positive row count, not '%s'", optarg);
                goto out;
            }
            o.infer_rows = (size_t)v;
            break;
        }
        case 0x5006:
            if (strcmp(optarg, "skip") == 0) {
                o.on_bad_row = BW_BAD_COUNT;
            } else if (strcmp(optarg, "stop") == 0) {
                o.on_bad_row = BW_BAD_STOP;
            } else {
                rc = cli_usage_error("cat", "--on-bad-row expects skip or stop, not '%s'", optarg);
                goto out;
            }
            break;
        case ':': rc = cli_usage_error("cat", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("cat", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if (argc != 1) {
        rc = cli_usage_error("cat", argc == 0 ? "expected a DATA file" : "expected one DATA file, got %d", argc);
        goto out;
    }
    c.path = argv[0];
    if (nnulls > 0) {
        o.nulls = nulls;
        o.nnulls = nnulls;
    }
    o.type_names = tnames;
    o.types = types;
    o.ntypes = ntypes;
    if (c.nwant > 0) {
        o.columns = (const char *const *)c.want; /* the others are not converted (nor warned about) */
        o.ncolumns = c.nwant;
    }
    o.on_bad = on_bad;
    o.ctx = &c;
    bw_error_clear(&e);
    if (bw_dataset_open(c.path, fmt, &o, &d, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = e.code == BW_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
        goto out;
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    for (;;) {
        const bw_batch *b = NULL;
        if (c.has_limit && done >= c.limit) {
            break;
        }
        if (bw_dataset_next(d, &b, &e) != BW_OK) {
            cli_report_error(&e, e.code);
            rc = cli_out_finish(CLI_EXIT_ERROR);
            goto out;
        }
        if (b == NULL) {
            break;
        }
        if (map_columns(&c, b) != 0) {
            rc = cli_out_finish(CLI_EXIT_ERROR);
            goto out;
        }
        for (size_t k = 0; k < c.nwant && b->row0 == 0; k++) {
            if (c.map[k] == SIZE_MAX && bw_dataset_format(d) != BW_FMT_JSONL) {
                cli_error("%s: no column '%s'", c.path, c.want[k]);
                rc = cli_out_finish(CLI_EXIT_USAGE);
                goto out;
            }
        }
        if (!c.jsonl && !header_done) {
            put_header(&c, b);
            header_done = true;
        }
        rc = put_rows(&c, b, &done);
        if (rc != 0) {
            rc = cli_out_finish(rc);
            goto out;
        }
    }
    if (c.warned > MAX_WARNINGS) {
        cli_warn("%s: %llu malformed rows or values in all", c.path, (unsigned long long)c.warned);
    }
    rc = cli_out_finish(c.warned > 0 ? CLI_EXIT_FINDINGS : CLI_EXIT_OK);
out:
    bw_dataset_free(d);
    for (size_t i = 0; i < c.nwant; i++) {
        free(c.want[i]);
    }
    free(c.want);
    free(c.map);
    for (size_t i = 0; i < ntypes; i++) {
        free((char *)tnames[i]);
    }
    free(tnames);
    free(types);
    free(nulls);
    bw_buf_release(&c.line);
    return rc;
}
