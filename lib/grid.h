/*
 * grid.h - choosing C, class weighting and the word n-gram range by
 * stratified cross-validation (train --grid).
 */
#ifndef TN_GRID_H
#define TN_GRID_H

#include <stddef.h>

#include "train.h"

struct tn_grid_opts {
	const double *C;          /* values of C to try */
	size_t nC;
	const int *ngram_max;     /* word n-gram ranges 1..N to try */
	size_t nngram;
	int try_balanced;         /* also try balanced class weights */
	int folds;
};

/* C in {0.1, 0.3, 1, 3, 10}, n-grams 1-1, 1-2, 1-3, weighting none/balanced, 5 folds. */
void tn_grid_opts_default(struct tn_grid_opts *g);

/*
 * Grid search by stratified cross-validation on c: every combination of the
 * grid is cross-validated (each run parallel inside), each head gets the C and
 * weighting with its best macro-F1, and the bundle gets the word n-gram range
 * whose per-head bests have the highest mean.  Then trains the final bundle
 * with those choices (fo is updated to the chosen features) and records every
 * combination's scores under "grid" in the manifest.  Errors as tn_train.
 */
int tn_train_grid(struct tn_bundle **out, const struct tn_corpus *c, struct tn_feat_opts *fo,
		  const struct tn_train_opts *o, const struct tn_grid_opts *g,
		  const struct tn_progress *prog, struct tn_confusion *cv_conf, struct tn_err *err);

#endif
