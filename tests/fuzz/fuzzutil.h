/*
 * fuzzutil.h - helpers shared by the libFuzzer harnesses (header-only: each
 * harness is one translation unit, and tests/unit/test_fuzz.c includes them
 * all to replay the seed corpora and saved crashes without libFuzzer).
 */
#ifndef TN_FUZZUTIL_H
#define TN_FUZZUTIL_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/bundle.h"
#include "../../lib/corpus.h"
#include "../../lib/train.h"

static char fz_dir[64];

static inline int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void fz_cleanup(void)
{
	if (fz_dir[0])
		nftw(fz_dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A private temporary folder for this process, made once, removed at exit; never NULL. */
static inline const char *fz_tmpdir(void)
{
	if (!fz_dir[0]) {
		snprintf(fz_dir, sizeof(fz_dir), "%s/tenor-fuzz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(fz_dir))
			abort();
		atexit(fz_cleanup);
	}
	return fz_dir;
}

/* tmpdir/name, in a static buffer per call site's choice of buf. */
static inline const char *fz_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", fz_tmpdir(), name);
	return buf;
}

static inline void fz_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f))
		abort();
}

/* A small labeled corpus: two heads, three and two classes. */
static const char fz_corpus_text[] =
	"{\"id\":\"1\",\"text\":\"the trade deal cut tariffs on steel\",\"topic\":\"economy\",\"tone\":\"pos\"}\n"
	"{\"id\":\"2\",\"text\":\"troops crossed the border at dawn\",\"topic\":\"security\",\"tone\":\"neg\"}\n"
	"{\"id\":\"3\",\"text\":\"envoys signed a treaty in geneva\",\"topic\":\"diplomacy\",\"tone\":\"pos\"}\n"
	"{\"id\":\"4\",\"text\":\"the budget deficit grew again\",\"topic\":\"economy\",\"tone\":\"neg\"}\n"
	"{\"id\":\"5\",\"text\":\"missiles were fired near the coast\",\"topic\":\"security\",\"tone\":\"neg\"}\n"
	"{\"id\":\"6\",\"text\":\"talks between the ministers went well\",\"topic\":\"diplomacy\",\"tone\":\"pos\"}\n"
	"{\"id\":\"7\",\"text\":\"exports rose and markets gained\",\"topic\":\"economy\",\"tone\":\"pos\"}\n"
	"{\"id\":\"8\",\"text\":\"an attack on the base killed soldiers\",\"topic\":\"security\",\"tone\":\"neg\"}\n"
	"{\"id\":\"9\",\"text\":\"the summit ended with a joint statement\",\"topic\":\"diplomacy\",\"tone\":\"pos\"}\n";

/* Trains the small corpus (12 hash bits) with solver and kernel and saves it to dir. */
static inline void fz_train(const char *dir, enum tn_solver solver, enum tn_kernel kernel, int probability)
{
	struct tn_corpus c;
	struct tn_corpus_opts co;
	struct tn_feat_opts fo;
	struct tn_train_opts to;
	struct tn_bundle *b = NULL;
	struct tn_err err;
	char p[256];
	const char *paths[1];

	paths[0] = fz_path(p, sizeof(p), "train-corpus.jsonl");
	fz_write(paths[0], fz_corpus_text, sizeof(fz_corpus_text) - 1);
	tn_corpus_opts_default(&co);
	tn_corpus_init(&c);
	tn_feat_opts_default(&fo);
	fo.bits = 12;
	fo.min_df = 1;
	tn_train_opts_default(&to);
	to.solver = solver;
	to.kernel = kernel;
	to.probability = probability;
	if (tn_corpus_load(&c, paths, 1, &co, &err) || tn_train(&b, &c, &fo, &to, NULL, NULL, &err) ||
	    tn_bundle_save(b, dir, &err)) {
		fprintf(stderr, "fuzz setup: %s\n", err.msg);
		abort();
	}
	tn_bundle_free(b);
	tn_corpus_release(&c);
}

#endif
