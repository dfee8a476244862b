/*
 * data_opts.h - the reader options data commands share (--input-format,
 * --delimiter, --no-header, --null, --type, --infer-rows, --on-bad-row),
 * parsed into a bw_data_opts one option at a time from a command's
 * getopt_long loop.
 */
#ifndef BW_CLI_DATA_OPTS_H
#define BW_CLI_DATA_OPTS_H

#include <getopt.h>

#include "src/cli/cmd.h"

/* getopt_long entries; the command adds 'd' and 't' (with an argument) to its short options */
#define CLI_DATA_LONGOPTS                                                                                              \
    {"input-format", required_argument, NULL, 0x6001}, {"delimiter", required_argument, NULL, 'd'},                    \
        {"no-header", no_argument, NULL, 0x6003}, {"null", required_argument, NULL, 0x6004},                           \
        {"type", required_argument, NULL, 't'}, {"infer-rows", required_argument, NULL, 0x6005},                       \
    {                                                                                                                  \
        "on-bad-row", required_argument, NULL, 0x6006                                                                  \
    }
#define CLI_DATA_SHORTOPTS "d:t:"

#define CLI_DATA_USAGE                                                                                                 \
    "      --input-format FMT     auto (default: by name, then by content), csv, tsv, jsonl\n"                         \
    "  -d, --delimiter C          input delimiter (default: sniffed among , ; TAB |); 'tab' for TAB\n"                 \
    "      --no-header            the first CSV row is data (columns are named column_1, ...)\n"                       \
    "      --null TEXT            read TEXT as null (repeatable; replaces the defaults: empty,\n"                      \
    "                             NULL, null, NA, N/A)\n"                                                              \
    "  -t, --type COL=TYPE        read column COL as TYPE (bool, int64, float64, string, date,\n"                      \
    "                             timestamp) instead of inferring it; repeatable\n"                                    \
    "      --infer-rows N         rows to infer column types from (default 10000)\n"                                   \
    "      --on-bad-row skip|stop skip a malformed row with a warning (default) or stop at it\n"

struct cli_data_opts {
    bw_data_opts o;
    bw_data_format fmt;
    const char **nulls;
    size_t nnulls;
    const char **tnames; /* owned strings */
    bw_dtype *types;
    size_t ntypes;
    size_t cap;
};

/* Room for `argc` repeats of --null and --type. Returns 0 or CLI_EXIT_ERROR (message printed). */
int cli_data_opts_init(struct cli_data_opts *d, int argc);
/*
 * Apply option `ch` if it is a data option: 1 applied, 0 not one, -1 bad
 * value (usage message printed for command `cmd`).
 */
int cli_data_option(struct cli_data_opts *d, const char *cmd, int ch, const char *arg);
/* Point d->o at the --null and --type lists (call once options are parsed). */
void cli_data_opts_finish(struct cli_data_opts *d);
void cli_data_opts_release(struct cli_data_opts *d);

#endif
