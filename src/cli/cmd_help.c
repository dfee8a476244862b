/*
 * cmd_help.c - `bulwark help [COMMAND]` and `bulwark version`.
 * Both read the command table, so the list can never drift from dispatch.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "src/cli/cmd.h"

const char cmd_help_usage[] = "usage: bulwark help [COMMAND]\n"
                              "\n"
                              "Show the list of commands, or the full help of one command\n"
                              "(the same text as 'bulwark COMMAND --help').\n";

const char cmd_version_usage[] = "usage: bulwark version\n"
                                 "\n"
                                 "Print the version of bulwark (the command and libbulwark share one version).\n";

static const char overview[] = "usage: bulwark [GLOBAL OPTIONS] COMMAND [ARGS]\n"
                               "\n"
                               "bulwark: security gates for ML and data pipelines.\n"
                               "\n"
                               "Commands:\n";

static const char globals[] =
    "\n"
    "Global options (before or after the command):\n"
    "      --format FMT     output format: text (default), json or sarif where the command has it\n"
    "  -o, --output FILE    write results to FILE (replaced atomically when done)\n"
    "  -q, --quiet          no warnings, notes or progress on stderr\n"
    "  -v, --verbose        more detail\n"
    "      --color WHEN     auto (default), always or never; NO_COLOR is honoured\n"
    "  -j, --jobs N         worker threads (default: all cores)\n"
    "      --fail-on SEV    lowest severity that makes the exit code 1 (default: high)\n"
    "  -h, --help           help; 'bulwark help COMMAND' for a command\n"
    "      --version        print the version\n"
    "\n"
    "Exit codes: 0 clean, 1 findings or differences, 2 usage error, unreadable input or\n"
    "output failure.\n";

int cmd_help(int argc, char **argv)
{
    const struct cmd *c;

    if (argc >= 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
        c = cli_find_command(argv[1]);
        if (c == NULL) {
            fprintf(stderr, "bulwark help: no command '%s'. See 'bulwark help'.\n", argv[1]);
            return CLI_EXIT_USAGE;
        }
        cli_out_str(c->usage);
        return cli_out_close();
    }
    if (argc >= 2) {
        cli_out_str(cmd_help_usage);
        return cli_out_close();
    }
    cli_out_str(overview);
    for (c = cli_commands; c->name != NULL; c++) {
        cli_out_printf("  %-10s %s\n", c->name, c->summary);
    }
    cli_out_str(globals);
    return argc == 0 ? 0 : cli_out_close();
}

int cmd_version(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_out_str(cmd_version_usage);
        return cli_out_close();
    }
    cli_out_printf("bulwark %s\n", bw_version());
    return cli_out_close();
}
