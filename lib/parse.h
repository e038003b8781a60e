/*
 * parse.h - strict parsing of numbers and ranges from option arguments.
 *
 * Every function accepts the whole string or nothing (no trailing bytes, no
 * overflow) and returns 0 on success, TN_EINVAL otherwise.
 */
#ifndef TN_PARSE_H
#define TN_PARSE_H

#include <stdint.h>

int tn_parse_long(const char *s, long min, long max, long *out);
int tn_parse_double(const char *s, double min, double max, double *out);
/* "N" (= N-N) or "A-B" with min <= A <= B <= max. */
int tn_parse_range(const char *s, long min, long max, long *a, long *b);
/* "i/N" with 1 <= i <= N. */
int tn_parse_part(const char *s, long *i, long *n);
/* A size with an optional K, M or G suffix (powers of 1024). */
int tn_parse_size(const char *s, uint64_t max, uint64_t *out);

#endif
