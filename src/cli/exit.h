/*
 * exit.h - the exit codes of the bulwark command.
 *
 * 0 clean; 1 findings, a failed check or differences at or above the
 * threshold; 2 anything that kept the command from doing its job: a usage
 * error, an unreadable or malformed input, or an output that could not be
 * written. A run never exits 0 after an error.
 */
#ifndef BW_CLI_EXIT_H
#define BW_CLI_EXIT_H

#define CLI_EXIT_OK 0
#define CLI_EXIT_FINDINGS 1
#define CLI_EXIT_ERROR 2
#define CLI_EXIT_USAGE 2

#endif
