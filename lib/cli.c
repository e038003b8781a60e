/*
 * cli.c - the programs' shared helpers; see cli.h.
 */
#include "cli.h"

#include <time.h>

int tn_cli_usage_message(struct tn_buf *out, const char *prog, const char *msg)
{
	tn_buf_reset(out);
	return tn_buf_addf(out, "%s: %s\ntry '%s --help'\n", prog, msg, prog);
}

double tn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
