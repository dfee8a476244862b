/*
 * data_opts.c - reader options shared by the data commands (see data_opts.h).
 */
#include <stdlib.h>
#include <string.h>

#include "src/cli/data_opts.h"

int cli_data_opts_init(struct cli_data_opts *d, int argc)
{
    memset(d, 0, sizeof(*d));
    d->o = (bw_data_opts)BW_DATA_OPTS_INIT;
    d->fmt = BW_FMT_AUTO;
    d->cap = (size_t)(argc > 0 ? argc : 0) + 1;
    d->nulls = calloc(d->cap, sizeof(*d->nulls));
    d->tnames = calloc(d->cap, sizeof(*d->tnames));
    d->types = calloc(d->cap, sizeof(*d->types));
    if (d->nulls == NULL || d->tnames == NULL || d->types == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    return 0;
}

static int parse_count(const char *s, unsigned long long *v)
{
    char *end;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    *v = strtoull(s, &end, 10);
    return *end == '\0' ? 0 : -1;
}

int cli_data_option(struct cli_data_opts *d, const char *cmd, int ch, const char *arg)
{
    unsigned long long v;

    switch (ch) {
    case 0x6001:
        if (bw_data_format_parse(arg, &d->fmt, &d->o.delim) != BW_OK) {
            cli_usage_error(cmd, "--input-format expects auto, csv, tsv or jsonl, not '%s'", arg);
            return -1;
        }
        return 1;
    case 'd':
        if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0) {
            d->o.delim = '\t';
        } else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r') {
            d->o.delim = arg[0];
        } else {
            cli_usage_error(cmd, "--delimiter expects one character (or 'tab'), not '%s'", arg);
            return -1;
        }
        return 1;
    case 0x6003: d->o.header = 0; return 1;
    case 0x6004:
        if (d->nnulls + 1 < d->cap) {
            d->nulls[d->nnulls++] = arg;
        }
        return 1;
    case 't': {
        const char *eq = strrchr(arg, '=');
        if (eq == NULL || eq == arg || d->ntypes + 1 >= d->cap ||
            bw_dtype_parse(eq + 1, &d->types[d->ntypes]) != BW_OK) {
            cli_usage_error(cmd,
                            "--type expects COLUMN=TYPE with a type of bool, int64, float64, string, date or "
                            "timestamp, not '%s'",
                            arg);
            return -1;
        }
        d->tnames[d->ntypes] = strndup(arg, (size_t)(eq - arg));
        if (d->tnames[d->ntypes] == NULL) {
            cli_error("out of memory");
            return -1;
        }
        d->ntypes++;
        return 1;
    }
    case 0x6005:
        if (parse_count(arg, &v) != 0 || v == 0) {
            cli_usage_error(cmd, "--infer-rows expects a positive row count, not '%s'", arg);
            return -1;
        }
        d->o.infer_rows = (size_t)v;
        return 1;
    case 0x6006:
        if (strcmp(arg, "skip") == 0) {
            d->o.on_bad_row = BW_BAD_COUNT;
        } else if (strcmp(arg, "stop") == 0) {
            d->o.on_bad_row = BW_BAD_STOP;
        } else {
            cli_usage_error(cmd, "--on-bad-row expects skip or stop, not '%s'", arg);
            return -1;
        }
        return 1;
    default: return 0;
    }
}

void cli_data_opts_finish(struct cli_data_opts *d)
{
    if (d->nnulls > 0) {
        d->o.nulls = d->nulls;
        d->o.nnulls = d->nnulls;
    }
    d->o.type_names = d->tnames;
    d->o.types = d->types;
    d->o.ntypes = d->ntypes;
}

void cli_data_opts_release(struct cli_data_opts *d)
{
    for (size_t i = 0; i < d->ntypes; i++) {
        free((char *)d->tnames[i]);
    }
    free(d->tnames);
    free(d->types);
    free(d->nulls);
    memset(d, 0, sizeof(*d));
}
