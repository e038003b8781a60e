/*
 * cli.c - the programs' shared helpers; see cli.h.
 */
#include "cli.h"

#include "limits.h"
#include "parse.h"

#include <time.h>

int tn_cli_parse_threads(const char *arg, long *threads, struct tn_err *err)
{
	if (tn_parse_long(arg, 1, TN_MAX_THREADS, threads))
		return tn_err_set(err, TN_EINVAL, "--threads takes 1..%d, not '%s'", TN_MAX_THREADS, arg);
	return 0;
}

double tn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
