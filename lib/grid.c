/*
 * grid.c - model selection by cross-validation (grid.h): every combination of
 * the grid is cross-validated on one dataset per word n-gram range, then the
 * final bundle is trained with the choices.
 */
#include "grid.h"
#include "train_internal.h"
#include "manifest_json.h"

#include <stdlib.h>
#include <string.h>

static const double default_grid_C[] = { 0.1, 0.3, 1, 3, 10 };
static const int default_grid_ngram[] = { 1, 2, 3 };

void tn_grid_opts_default(struct tn_grid_opts *g)
{
	g->C = default_grid_C;
	g->nC = sizeof(default_grid_C) / sizeof(*default_grid_C);
	g->ngram_max = default_grid_ngram;
	g->nngram = sizeof(default_grid_ngram) / sizeof(*default_grid_ngram);
	g->try_balanced = 1;
	g->folds = 5;
}

int tn_train_grid(struct tn_bundle **out, const struct tn_corpus *c, struct tn_feat_opts *fo,
		  const struct tn_train_opts *o, const struct tn_grid_opts *g,
		  const struct tn_progress *prog, struct tn_confusion *cv_conf, struct tn_err *err)
{
	size_t nh = c->nheads, nb = g->try_balanced ? 2 : 1, ncomb = g->nC * nb, n, k, h;
	double *score = calloc(g->nngram * ncomb * (nh ? nh : 1), sizeof(double));
	double *bestC = calloc(nh ? nh : 1, sizeof(double)), best_mean = -1;
	int *bestbal = calloc(nh ? nh : 1, sizeof(int)), best_n = 0, rc = 0;
	struct tn_train_opts fin = *o;
	struct tn_feat_opts ff = *fo;
	size_t total = g->nngram * ncomb, done = 0;
	json_t *tried = json_array();

	*out = NULL;
	if (!score || !bestC || !bestbal || !tried) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	/* One dataset per n-gram range; every (C, weighting) cross-validated on it. */
	for (n = 0; n < g->nngram && !rc; n++) {
		struct tn_feat_opts tf = *fo;
		struct tn_dataset ds;
		float *idf = NULL;

		memset(&ds, 0, sizeof(ds));
		tf.word_min = 1;
		tf.word_max = g->ngram_max[n];
		if ((rc = tn_train_check(c, &tf, o, err)))
			break;
		if (!(idf = calloc((size_t)1 << tf.bits, sizeof(*idf)))) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			break;
		}
		rc = tn_dataset_build(c, &tf, idf, &ds, NULL, err);
		if (!rc && ds.nfeat == 0)
			rc = tn_err_set(err, TN_EINVAL, "no n-gram occurs in %d or more documents: lower --min-df or add documents",
					tf.min_df);
		for (k = 0; k < ncomb && !rc; k++) {
			struct tn_train_opts t = *o;
			struct tn_plan plan;

			t.C = g->C[k % g->nC];
			t.balanced = (int)(k / g->nC);
			t.cv = g->folds;
			/* Platt-labelled heads are scored on those labels: the CV folds calibrate. */
			t.probability = tn_platt_labels(o);
			t.head_C = NULL;
			t.head_balanced = NULL;
			if (!(rc = tn_train_check(c, &tf, &t, err)) && !(rc = tn_plan_init(&plan, c, &t, err))) {
				rc = tn_plan_run(&plan, &ds, c, &t, 0, NULL, err);
				for (h = 0; !rc && h < nh; h++) {
					struct tn_confusion conf;
					double mf1;

					if (tn_plan_cv_confusion(&plan, h, &conf)) {
						rc = tn_err_set(err, TN_ENOMEM, "out of memory");
						break;
					}
					tn_confusion_scores(&conf, NULL, &mf1, NULL);
					score[(n * ncomb + k) * nh + h] = mf1;
					tn_confusion_release(&conf);
				}
				tn_plan_release(&plan);
			}
			tn_progress_report(prog, "grid", ++done, total);
		}
		tn_dataset_release(&ds);
		free(idf);
	}
	if (rc)
		goto out;
	/* Per head the best C and weighting; across heads the n-gram range with the best mean. */
	for (n = 0; n < g->nngram; n++) {
		double mean = 0;

		for (h = 0; h < nh; h++) {
			double b = -1;

			for (k = 0; k < ncomb; k++)
				if (score[(n * ncomb + k) * nh + h] > b)
					b = score[(n * ncomb + k) * nh + h];
			mean += b / (double)nh;
		}
		if (mean > best_mean + 1e-9) {
			best_mean = mean;
			best_n = (int)n;
		}
	}
	for (h = 0; h < nh; h++) {
		double b = -1;

		for (k = 0; k < ncomb; k++) {
			double v = score[((size_t)best_n * ncomb + k) * nh + h];

			if (v > b + 1e-9) {
				b = v;
				bestC[h] = g->C[k % g->nC];
				bestbal[h] = (int)(k / g->nC);
			}
		}
	}
	for (n = 0; n < g->nngram; n++)
		for (k = 0; k < ncomb; k++) {
			json_t *f1 = json_array();

			for (h = 0; h < nh; h++)
				json_array_append_new(f1, json_real(score[(n * ncomb + k) * nh + h]));
			json_array_append_new(tried, json_pack("{s:i, s:f, s:s, s:o}", "word_ngram_max", g->ngram_max[n],
							       "C", g->C[k % g->nC], "class_weight",
							       k / g->nC ? "balanced" : "none", "cv_macro_f1", f1));
		}
	ff.word_min = 1;
	ff.word_max = g->ngram_max[best_n];
	fin.head_C = bestC;
	fin.head_balanced = bestbal;
	fin.choose_ngrams = 0;   /* the grid chose them */
	rc = tn_train(out, c, &ff, &fin, prog, cv_conf, err);
	if (!rc) {
		*fo = ff;
		json_t *info = json_pack("{s:i, s:s, s:O}", "folds", g->folds, "criterion",
					 "mean cross-validated macro-F1", "tried", tried);

		if (info && c->group_field)
			json_object_set_new(info, "group_field", json_string(c->group_field));
		json_object_set_new((*out)->info, "grid", info);
	}
out:
	json_decref(tried);
	free(score);
	free(bestC);
	free(bestbal);
	return rc;
}
