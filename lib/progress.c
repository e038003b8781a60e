/*
 * progress.c - when a progress line is due, and its durations; see progress.h.
 */
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum tn_progress_mode tn_progress_mode_pick(int forced, int quiet, int is_terminal)
{
	if (forced == 0 || (forced < 0 && quiet))
		return TN_PROGRESS_OFF;
	return is_terminal ? TN_PROGRESS_TERMINAL : TN_PROGRESS_LINES;
}

int tn_progress_parse_interval(const char *s, double *seconds)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v <= 0 || v > 86400)
		return -1;
	*seconds = v;
	return 0;
}

int tn_progress_interval_arg(const char *what, const char *s, double *seconds, struct tn_err *err)
{
	if (tn_progress_parse_interval(s, seconds))
		return tn_err_set(err, TN_EINVAL, "%s takes seconds (> 0, at most 86400), not '%s'", what, s);
	return 0;
}

int tn_progress_interval_init(double *seconds, struct tn_err *err)
{
	const char *env = getenv(TN_PROGRESS_INTERVAL_ENV);

	*seconds = TN_PROGRESS_INTERVAL_DEFAULT;
	return env && *env ? tn_progress_interval_arg(TN_PROGRESS_INTERVAL_ENV, env, seconds, err) : 0;
}

void tn_progress_clock_init(struct tn_progress_clock *c, enum tn_progress_mode mode, double interval, double now)
{
	c->mode = mode;
	c->interval = interval;
	c->last = now;
	c->on_screen = 0;
}

int tn_progress_due(struct tn_progress_clock *c, double now)
{
	double every = c->mode == TN_PROGRESS_TERMINAL ? TN_PROGRESS_TERMINAL_EVERY : c->interval;

	if (c->mode == TN_PROGRESS_OFF || now - c->last < every)
		return 0;
	c->last = now;
	return 1;
}

void tn_progress_hms(char *buf, size_t n, double seconds)
{
	long s = seconds > 0 && seconds < 1e9 ? (long)(seconds + 0.5) : 0;

	snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

void tn_progress_eta(char *buf, size_t n, double elapsed, double done, double total)
{
	char hms[32];

	if (n)
		buf[0] = '\0';
	if (!(done > 0) || !(total > done) || !(elapsed >= 0))
		return;
	tn_progress_hms(hms, sizeof(hms), elapsed * (total - done) / done);
	snprintf(buf, n, ", ETA %s", hms);
}
