/*
 * corpusutil.h - loading a labeled corpus in the unit tests that train
 * bundles (test_explain.c, test_predict.c); include after <cmocka.h>.
 */
#ifndef TN_TEST_CORPUSUTIL_H
#define TN_TEST_CORPUSUTIL_H

#include "../../lib/corpus.h"

/* Loads path into c with the default options (like: a corpus whose labels to share, or NULL). */
static inline void tu_load_corpus(struct tn_corpus *c, const char *path, const struct tn_corpus *like)
{
	struct tn_corpus_opts o;
	struct tn_err err;
	const char *paths[1] = { path };

	tn_corpus_opts_default(&o);
	o.like = like;
	tn_corpus_init(c);
	if (tn_corpus_load(c, paths, 1, &o, &err))
		fail_msg("%s", err.msg);
}

#endif
