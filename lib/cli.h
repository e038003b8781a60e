/*
 * cli.h - what train and classify share on the program side (as zstd's
 * programs/util.c): exit codes, the -j option they both take, a clock (which
 * the pipeline's timings use too).
 * Each program keeps its getopt_long table literal in its main.c (the tests
 * read the tables there to check that --help documents every option).
 *
 * It lives in the library so that both programs link it without lib/ ever
 * including program code, and it keeps the library's rule: nothing here
 * prints or exits.  Option arguments are parsed by parse.h; a program's
 * parse_options and check_options return TN_EINVAL with the reason in a
 * struct tn_err, and main() alone prints "PROG: REASON" and the --help hint
 * and exits TN_EXIT_USAGE.
 */
#ifndef TN_CLI_H
#define TN_CLI_H

#include "err.h"

/* Exit codes common to both programs (classify documents its own 3 and 4). */
#define TN_EXIT_OK 0
#define TN_EXIT_ERROR 1
#define TN_EXIT_USAGE 2

/*
 * -j/--threads: 1..TN_MAX_THREADS into *threads.  0, or TN_EINVAL with the
 * usage error in err ("--threads takes 1..1024, not 'X'").
 */
int tn_cli_parse_threads(const char *arg, long *threads, struct tn_err *err);

/* Seconds on the monotonic clock, for elapsed times.  Thread-safe. */
double tn_now(void);

#endif
