/*
 * featutil.h - helpers for the unit tests of feature counting (test_feat.c,
 * test_tone.c); include after <cmocka.h>.
 */
#ifndef TN_TEST_FEATUTIL_H
#define TN_TEST_FEATUTIL_H

#include <string.h>

#include "../../lib/feat.h"

/* Counts text with o into c (initialised by the caller, who releases it). */
static inline void tu_count(const struct tn_feat_opts *o, const char *text, struct tn_counts *c)
{
	struct tn_feat_scratch *s = tn_feat_scratch_create(o);

	assert_non_null(s);
	assert_int_equal(tn_feat_count(o, s, text, strlen(text), c, NULL), 0);
	tn_feat_scratch_free(s);
}

/* The sum of c's counts. */
static inline uint64_t tu_counts_total(const struct tn_counts *c)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < c->n; i++)
		t += c->count[i];
	return t;
}

#endif
