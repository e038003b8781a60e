/*
 * progress.h - when and how the programs show progress on stderr.
 *
 * On a terminal, one line rewritten in place ("\r"), at most ten times a second; when
 * stderr is a file, a pipe or a batch system's log, a plain line of its own
 * every interval (30 s unless told), which a log keeps readable.  --progress
 * and --no-progress force either way; -q is --no-progress.  A line in place
 * must be cleared before anything else is printed (tn_progress_clear), so a
 * message or the summary never shares a line with it.
 *
 * Like the rest of the library this module never prints: it decides when a
 * line is due and formats its parts; the programs print.  Not thread-safe:
 * one clock per program, used from the calling thread.
 */
#ifndef TN_PROGRESS_H
#define TN_PROGRESS_H

#include <stddef.h>

#include "err.h"

#define TN_PROGRESS_INTERVAL_DEFAULT 30.0
#define TN_PROGRESS_TERMINAL_EVERY 0.1   /* a terminal line is redrawn at most this often */
#define TN_PROGRESS_INTERVAL_ENV "TENOR_PROGRESS_INTERVAL"

enum tn_progress_mode { TN_PROGRESS_OFF, TN_PROGRESS_TERMINAL, TN_PROGRESS_LINES };

struct tn_progress_clock {
	enum tn_progress_mode mode;
	double interval;         /* seconds between plain lines */
	double last;             /* when the last plain line was due */
	int on_screen;           /* a terminal line is showing */
};

/*
 * The mode: forced is -1 (neither option), 0 (--no-progress) or 1
 * (--progress); quiet is -q; is_terminal tells whether stderr is one.
 */
enum tn_progress_mode tn_progress_mode_pick(int forced, int quiet, int is_terminal);

/*
 * Parses an interval in seconds (a decimal number, > 0 and at most a day) into
 * *seconds.  0, or -1 when s is not one.
 */
int tn_progress_parse_interval(const char *s, double *seconds);

/* The same, for an option or variable named what: 0, or TN_EINVAL with err saying what it takes. */
int tn_progress_interval_arg(const char *what, const char *s, double *seconds, struct tn_err *err);

/*
 * *seconds = $TENOR_PROGRESS_INTERVAL when set and not empty, else
 * TN_PROGRESS_INTERVAL_DEFAULT.  0, or TN_EINVAL with err naming the variable.
 */
int tn_progress_interval_init(double *seconds, struct tn_err *err);

/* Starts the clock at now (tn_now()): the first plain line is due an interval later. */
void tn_progress_clock_init(struct tn_progress_clock *c, enum tn_progress_mode mode, double interval, double now);

/*
 * 1 if a line is due at now: once TN_PROGRESS_TERMINAL_EVERY (on a
 * terminal) or the interval (otherwise) has passed since the last line was
 * due, and the wait restarts; never when off.
 */
int tn_progress_due(struct tn_progress_clock *c, double now);

/* Formats a duration as H:MM:SS into buf (n >= 16 holds any). */
void tn_progress_hms(char *buf, size_t n, double seconds);

/*
 * Formats ", ETA H:MM:SS" into buf for a task done/total of the way after
 * elapsed seconds, or "" when it cannot be told (nothing done yet, total
 * unknown or reached).
 */
void tn_progress_eta(char *buf, size_t n, double elapsed, double done, double total);

#endif
