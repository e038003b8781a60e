/*
 * cli.c - the programs' shared helpers; see cli.h.
 */
#include "cli.h"

#include "buf.h"
#include "limits.h"
#include "parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int tn_cli_parse_threads(const char *arg, long *threads, struct tn_err *err)
{
	if (tn_parse_long(arg, 1, TN_MAX_THREADS, threads))
		return tn_err_set(err, TN_EINVAL, "--threads takes 1..%d, not '%s'", TN_MAX_THREADS, arg);
	return 0;
}

/* Option names are short: longer words are never a typo of one. */
#define NEAR_MAX 64

/*
 * Edit distance of a[0..la) and b[0..lb) (insert, delete, substitute, and a
 * swap of neighbours, each one edit: the "optimal string alignment" variant
 * of Damerau-Levenshtein), or NEAR_MAX + 1 if either is longer than NEAR_MAX.
 */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t d[NEAR_MAX + 1][NEAR_MAX + 1], i, j;

	if (la > NEAR_MAX || lb > NEAR_MAX)
		return NEAR_MAX + 1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *tn_cli_nearest(const char *word, size_t len, const char *const *names, size_t n)
{
	size_t limit = (len + 2) / 3, best = (size_t)-1, i;
	const char *found = NULL;

	if (limit < 1)
		limit = 1;
	for (i = 0; i < n; i++) {
		size_t d = distance(word, len, names[i], strlen(names[i]));

		if (d <= limit && d < best) {
			best = d;
			found = names[i];
		}
	}
	return found;
}

/* The long options' names, in table order (at most 128 are looked at). */
static size_t option_names(const struct option *longopts, const char **names, size_t max)
{
	size_t n = 0;

	for (; longopts && longopts->name && n < max; longopts++)
		names[n++] = longopts->name;
	return n;
}

int tn_cli_getopt_error(int c, char *const *argv, int optind_, int optopt_,
			const struct option *longopts, struct tn_err *err)
{
	const char *arg = optind_ > 0 && argv[optind_ - 1] ? argv[optind_ - 1] : "", *names[128], *eq, *near;
	size_t n = option_names(longopts, names, 128), len, i, matches = 0;
	int is_long = !strncmp(arg, "--", 2) && arg[2];
	struct tn_buf b = TN_BUF_INIT;

	eq = is_long ? strchr(arg + 2, '=') : NULL;
	len = is_long ? (eq ? (size_t)(eq - arg - 2) : strlen(arg + 2)) : 0;
	if (c == ':') {
		if (is_long)
			return tn_err_set(err, TN_EINVAL, "option '--%.*s' needs an argument", (int)len, arg + 2);
		return tn_err_set(err, TN_EINVAL, "option '-%c' needs an argument", optopt_);
	}
	if (optopt_ && is_long && eq) {
		/* A long option given a value it does not take: optopt is its val. */
		for (i = 0; i < n; i++)
			if (longopts[i].val == optopt_ && longopts[i].has_arg == no_argument &&
			    !strncmp(longopts[i].name, arg + 2, len))
				return tn_err_set(err, TN_EINVAL, "option '--%s' takes no argument", longopts[i].name);
	}
	if (optopt_ || !is_long) {
		if (optopt_ > 32 && optopt_ < 127)
			return tn_err_set(err, TN_EINVAL, "unknown option '-%c'", optopt_);
		return tn_err_set(err, TN_EINVAL, "unknown option '%s'", arg);
	}
	for (i = 0; i < n; i++)
		if (!strncmp(names[i], arg + 2, len))
			matches++;
	if (matches > 1) {
		const char *sep = " ";

		for (i = 0; i < n; i++) {
			if (!strncmp(names[i], arg + 2, len)) {
				tn_buf_addf(&b, "%s--%s", sep, names[i]);
				sep = ", ";
			}
		}
		tn_err_set(err, TN_EINVAL, "option '--%.*s' is ambiguous:%s", (int)len, arg + 2, b.ptr);
		tn_buf_release(&b);
		return TN_EINVAL;
	}
	near = tn_cli_nearest(arg + 2, len, names, n);
	if (near)
		return tn_err_set(err, TN_EINVAL, "unknown option '--%.*s'; did you mean --%s?", (int)len, arg + 2, near);
	return tn_err_set(err, TN_EINVAL, "unknown option '--%.*s'", (int)len, arg + 2);
}

/* 1 if path is a folder. */
static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int tn_cli_find_model(const char *model, const char *search, const char *installed,
		      char **path, struct tn_err *err)
{
	struct tn_buf cand = TN_BUF_INIT, looked = TN_BUF_INIT;
	const char *p, *end;
	struct stat st;
	int rc = 0, why;

	*path = NULL;
	why = stat(model, &st) ? errno : 0;
	if (!why || strchr(model, '/') || !*model) {
		/* A path that exists wins; a path with a '/' is never searched for. */
		if (!(*path = strdup(model)))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		return 0;
	}
	if (tn_buf_addf(&looked, "'%s' (%s)", model, strerror(why)))
		goto nomem;
	for (p = search; p && *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end == p)
			continue;
		tn_buf_reset(&cand);
		if (tn_buf_addf(&cand, "%.*s/%s", (int)(end - p), p, model))
			goto nomem;
		if (is_dir(cand.ptr))
			goto found;
		if (tn_buf_addf(&looked, ", '%s' ($TENOR_MODELS)", cand.ptr))
			goto nomem;
	}
	if (installed && *installed) {
		tn_buf_reset(&cand);
		if (tn_buf_addf(&cand, "%s/%s", installed, model))
			goto nomem;
		if (is_dir(cand.ptr))
			goto found;
		if (tn_buf_addf(&looked, ", '%s' (the installed models)", cand.ptr))
			goto nomem;
	}
	rc = tn_err_set(err, TN_EIO, "no model '%s': looked at %s", model, looked.ptr);
	goto out;
found:
	*path = tn_buf_detach(&cand, NULL);
	if (!*path)
		goto nomem;
	goto out;
nomem:
	rc = tn_err_set(err, TN_ENOMEM, "out of memory");
out:
	tn_buf_release(&cand);
	tn_buf_release(&looked);
	return rc;
}

double tn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
