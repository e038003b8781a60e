/*
 * cli.h - what train and classify share on the program side (as zstd's
 * programs/util.c): exit codes, the wording of a usage error, a clock.
 *
 * It lives in the library so that both programs link it without lib/ ever
 * including program code, and it keeps the library's rule: nothing here
 * prints or exits.  Option arguments are parsed by parse.h; a program's
 * parse_options returns TN_EINVAL with the reason in a struct tn_err, and
 * main() prints tn_cli_usage_message and exits TN_EXIT_USAGE.
 */
#ifndef TN_CLI_H
#define TN_CLI_H

#include "buf.h"

/* Exit codes common to both programs (classify documents its own 3 and 4). */
#define TN_EXIT_OK 0
#define TN_EXIT_ERROR 1
#define TN_EXIT_USAGE 2

/*
 * Replaces out's contents with a usage error as the programs print it:
 * "PROG: MSG\ntry 'PROG --help'\n".  0 or TN_ENOMEM.
 */
int tn_cli_usage_message(struct tn_buf *out, const char *prog, const char *msg);

/* Seconds on the monotonic clock, for elapsed times.  Thread-safe. */
double tn_now(void);

#endif
