/*
 * parse.c - option argument parsing; see parse.h.
 */
#include "parse.h"
#include "err.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tn_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return TN_EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return TN_EINVAL;
	*out = v;
	return 0;
}

int tn_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return TN_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return TN_EINVAL;
	*out = v;
	return 0;
}

int tn_parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return TN_EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return TN_EINVAL;
	*out = (uint64_t)v;
	return 0;
}

int tn_parse_range(const char *s, long min, long max, long *a, long *b)
{
	const char *dash = s ? strchr(s, '-') : NULL;
	char head[32];

	if (!s)
		return TN_EINVAL;
	if (!dash) {
		if (tn_parse_long(s, min, max, a))
			return TN_EINVAL;
		*b = *a;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(head))
		return TN_EINVAL;
	memcpy(head, s, (size_t)(dash - s));
	head[dash - s] = '\0';
	if (tn_parse_long(head, min, max, a) || tn_parse_long(dash + 1, min, max, b) || *a > *b)
		return TN_EINVAL;
	return 0;
}

int tn_parse_ngrams(const char *s, long max, long *a, long *b)
{
	long n;

	if (s && !strchr(s, '-')) {
		if (tn_parse_long(s, 1, max, &n))
			return TN_EINVAL;
		*a = 1;
		*b = n;
		return 0;
	}
	return tn_parse_range(s, 1, max, a, b);
}

int tn_parse_enum(const char *s, const char *const *names, int *out)
{
	int i;

	for (i = 0; s && names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return TN_EINVAL;
}

int tn_parse_part(const char *s, long *i, long *n)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char head[32];

	if (!slash || (size_t)(slash - s) >= sizeof(head))
		return TN_EINVAL;
	memcpy(head, s, (size_t)(slash - s));
	head[slash - s] = '\0';
	if (tn_parse_long(slash + 1, 1, 1000000, n) || tn_parse_long(head, 1, *n, i))
		return TN_EINVAL;
	return 0;
}

int tn_parse_size(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	/* strtoull would skip spaces and negate " -1" into 2^64 - 1: a digit must come first. */
	if (!s || *s < '0' || *s > '9')
		return TN_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return TN_EINVAL;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mul = 1024; break;
		case 'm': case 'M': mul = 1024 * 1024; break;
		case 'g': case 'G': mul = 1024ULL * 1024 * 1024; break;
		default: return TN_EINVAL;
		}
		if (end[1] && !(end[1] == 'B' && !end[2]) && !(end[1] == 'i' && end[2] == 'B' && !end[3]))
			return TN_EINVAL;
	}
	if (v > max / mul)
		return TN_EINVAL;
	*out = (uint64_t)v * mul;
	return 0;
}
