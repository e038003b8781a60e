/*
 * parse.h - strict parsing of numbers, ranges and names from option arguments.
 *
 * Every function accepts the whole string or nothing (no trailing bytes, no
 * overflow, no leading space or sign where none is allowed) and returns 0 on
 * success, TN_EINVAL otherwise; the single-value parsers leave *out untouched
 * on failure.  They only parse: the programs word the message and choose the
 * exit code.  Thread-safe.
 */
#ifndef TN_PARSE_H
#define TN_PARSE_H

#include <stdint.h>

int tn_parse_long(const char *s, long min, long max, long *out);
int tn_parse_double(const char *s, double min, double max, double *out);
/*
 * An unsigned 64-bit number in strtoull's base (0: decimal, 0x hex, leading 0
 * octal).  The first byte must be a digit: strtoull would skip spaces and
 * negate " -1" into 2^64 - 1.
 */
int tn_parse_u64(const char *s, int base, uint64_t *out);
/* "N" (= N-N) or "A-B" with min <= A <= B <= max. */
int tn_parse_range(const char *s, long min, long max, long *a, long *b);
/*
 * An n-gram range as --ngrams and --char-ngrams take it: "N" means 1-N (every
 * length up to N), "A-B" with 1 <= A <= B <= max.
 */
int tn_parse_ngrams(const char *s, long max, long *a, long *b);
/* The index of s in names (NULL-terminated), compared exactly. */
int tn_parse_enum(const char *s, const char *const *names, int *out);
/* "i/N" with 1 <= i <= N. */
int tn_parse_part(const char *s, long *i, long *n);
/* A size with an optional K, M or G suffix (powers of 1024). */
int tn_parse_size(const char *s, uint64_t max, uint64_t *out);

#endif
