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

#include <getopt.h>
#include <stddef.h>

/* Exit codes common to both programs (classify documents its own 3 and 4). */
#define TN_EXIT_OK 0
#define TN_EXIT_ERROR 1
#define TN_EXIT_USAGE 2

/*
 * -j/--threads: 1..TN_MAX_THREADS into *threads.  0, or TN_EINVAL with the
 * usage error in err ("--threads takes 1..1024, not 'X'").
 */
int tn_cli_parse_threads(const char *arg, long *threads, struct tn_err *err);

/*
 * The usage error for the option getopt_long just refused, in err; returns
 * TN_EINVAL.  The program calls getopt_long with opterr = 0 and an optstring
 * that starts with ':' and passes what it returned (c, '?' or ':') and
 * getopt's optind and optopt.  Messages, in git's wording:
 *   unknown option '--modle'; did you mean --model?
 *   unknown option '-z'
 *   option '--model' needs an argument      (also '-m')
 *   option '--quiet' takes no argument
 *   option '--re' is ambiguous: --resume, --report
 * "did you mean" names the long option nearest to what was typed (edit
 * distance counting a swap of two neighbours as one edit) when it is close
 * enough to be a typo, and nothing otherwise.
 */
int tn_cli_getopt_error(int c, char *const *argv, int optind_, int optopt_,
			const struct option *longopts, struct tn_err *err);

/*
 * The word of names[0..n) nearest to word[0..len) by edit distance (a swap of
 * two neighbouring characters is one edit), or NULL when none is within
 * max(1, (len + 2) / 3) edits: a typo's suggestion, not a guess.  Ties go to
 * the first.  The returned pointer is one of names.
 */
const char *tn_cli_nearest(const char *word, size_t len, const char *const *names, size_t n);

/*
 * Where the model of -m MODEL is.  MODEL itself when that path exists (of
 * any kind: the bundle loader says what is wrong with it); else, when MODEL is
 * a bare name (no '/'), DIR/MODEL for each DIR of search (a colon-separated
 * list, $TENOR_MODELS; NULL or "" for none) that is a folder, then
 * installed/MODEL (the models installed with Tenor; NULL for none).  Returns
 * 0 with the path in *path (malloc'ed, the caller frees it), TN_EIO with every
 * place looked at in err, or TN_ENOMEM.
 */
int tn_cli_find_model(const char *model, const char *search, const char *installed,
		      char **path, struct tn_err *err);

/* Seconds on the monotonic clock, for elapsed times.  Thread-safe. */
double tn_now(void);

#endif
