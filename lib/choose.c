/*
 * choose.c - the folds of a training run (train_internal.h): one set of
 * stratified folds whose out-of-fold decision values calibrate the heads,
 * give the cross-validated figures (--cv) and, when the user fixed no word
 * n-gram range, choose it.
 *
 * Choosing: each candidate (word 1-1, then word 1-2, the rest of the feature
 * options as given) gets its vectors and its folds; the candidate with the
 * highest mean over the heads of the out-of-fold macro-F1 wins, a richer
 * candidate only by more than TN_CHOOSE_MARGIN (ties keep the cheaper
 * unigrams, which classify faster).  The winner's out-of-fold values then
 * calibrate the final models: calibration costs no folds of its own.
 *
 * Large corpora: without --cv the folds use a seeded random sample of
 * o->fold_docs documents (the final models train on every document), so
 * that their cost stops growing with the corpus; a sample in which a head
 * has fewer than two classes falls back to every document.
 */
#include "train_internal.h"
#include "manifest_json.h"
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Progress of one candidate's stage under a name of its own. */
struct stage_map {
	const struct tn_progress *parent;
	const char *name;
};

static void mapped(void *ctx, const char *stage, size_t done, size_t total)
{
	const struct stage_map *m = ctx;

	(void)stage;
	tn_progress_report(m->parent, m->name, done, total);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* f->view: a seeded random sample of m documents of c, in corpus order. */
static int sample_view(struct tn_folds *f, const struct tn_corpus *c, size_t m, uint64_t seed)
{
	size_t n = c->ndocs, i, h;
	size_t *idx = malloc(n * sizeof(*idx));
	struct tn_corpus *v = &f->view;

	memset(v, 0, sizeof(*v));
	if (!idx)
		return TN_ENOMEM;
	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 0; i < m; i++) {
		size_t j = i + (size_t)(tn_splitmix64(&seed) % (n - i)), t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
	qsort(idx, m, sizeof(*idx), cmp_size);
	v->text = malloc(m * sizeof(*v->text));
	v->len = malloc(m * sizeof(*v->len));
	v->label = malloc(m * (c->nheads ? c->nheads : 1) * sizeof(*v->label));
	v->group = c->group ? malloc(m * sizeof(*v->group)) : NULL;
	f->sampled = 1;   /* view_release frees what was allocated */
	if (!v->text || !v->len || !v->label || (c->group && !v->group)) {
		free(idx);
		return TN_ENOMEM;
	}
	for (i = 0; i < m; i++) {
		if (v->group)
			v->group[i] = c->group[idx[i]];
		v->text[i] = c->text[idx[i]];
		v->len[i] = c->len[idx[i]];
		v->bytes += c->len[idx[i]];
		for (h = 0; h < c->nheads; h++)
			v->label[i * c->nheads + h] = c->label[idx[i] * c->nheads + h];
	}
	free(idx);
	v->ndocs = m;
	v->nheads = c->nheads;
	v->heads = c->heads;   /* shared, not owned */
	return 0;
}

static void view_release(struct tn_folds *f)
{
	if (f->sampled) {
		free(f->view.text);
		free(f->view.len);
		free(f->view.label);
		free(f->view.group);
	}
	memset(&f->view, 0, sizeof(f->view));
	f->sampled = 0;
}

/* The class a head's model gives document i from its out-of-fold pair values. */
static int fold_decision(const struct tn_head_data *hd, size_t i, int ovr, int *votes)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, a, b, p, best = 0;
	const double *dec = hd->cal_dec + i * npair;

	if (ovr) {
		/* Pair (0, j) holds s_0 - s_j: the highest score is the lowest such value. */
		double top = 0;

		for (b = 1; b < k; b++)
			if (-dec[tn_pair_index(k, 0, b)] > top) {
				top = -dec[tn_pair_index(k, 0, b)];
				best = b;
			}
		return (int)best;
	}
	memset(votes, 0, k * sizeof(*votes));
	for (a = 0, p = 0; a < k; a++)
		for (b = a + 1; b < k; b++, p++)
			votes[dec[p] > 0 ? a : b]++;
	for (a = 1; a < k; a++)
		if (votes[a] > votes[best])
			best = a;
	return (int)best;
}

/*
 * Head h's out-of-fold macro-F1: the CV predictions, else the calibration
 * folds' labels (cross-fitted Platt labels when platt, else the decisions).
 * -1: out of memory.
 */
static double fold_macro_f1(const struct tn_head_data *hd, int ovr, int platt)
{
	struct tn_confusion conf;
	int *votes = malloc(hd->nclass * sizeof(*votes));
	int *pred = !hd->cv_pred && platt ? malloc(hd->n * sizeof(*pred)) : NULL;
	double mf1 = -1;
	size_t i;

	if (!votes || (!hd->cv_pred && platt && (!pred || tn_platt_oof_labels(hd, pred))) ||
	    tn_confusion_init(&conf, hd->nclass)) {
		free(votes);
		free(pred);
		return -1;
	}
	for (i = 0; i < hd->n; i++)
		tn_confusion_add(&conf, (int)hd->y[i], hd->cv_pred ? hd->cv_pred[i] :
				 pred ? pred[i] : fold_decision(hd, i, ovr, votes));
	tn_confusion_scores(&conf, NULL, &mf1, NULL);
	tn_confusion_release(&conf);
	free(votes);
	free(pred);
	return mf1;
}

static const char *const features_stage[] = { "features", "features (word 1-1)", "features (word 1-2)" };
static const char *const folds_stage[] = { "folds", "folds (word 1-1)", "folds (word 1-2)" };

/* One candidate's vectors and folds on f->view: into *ds, *idf, *plan.  0 or an error with err set. */
static int run_candidate(const struct tn_folds *f, const struct tn_feat_opts *fo, const struct tn_train_opts *fold_o,
			 int named, const struct tn_progress *prog, struct tn_dataset *ds, float **idf,
			 struct tn_plan *plan, struct tn_err *err)
{
	int which = named ? fo->word_max : 0;
	struct stage_map fm = { prog, features_stage[which] }, tm = { prog, folds_stage[which] };
	struct tn_progress fp = { mapped, &fm }, tp = { mapped, &tm };
	int rc;

	memset(ds, 0, sizeof(*ds));
	memset(plan, 0, sizeof(*plan));
	if (!(*idf = calloc((size_t)1 << fo->bits, sizeof(**idf))))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if ((rc = tn_plan_init(plan, &f->view, fold_o, err)) ||
	    (rc = tn_dataset_build(&f->view, fo, *idf, ds, &fp, err)))
		return rc;
	if (ds->nfeat == 0)
		return tn_err_set(err, TN_EINVAL, "no n-gram occurs in %d or more documents: lower --min-df or add documents",
				  fo->min_df);
	return tn_plan_run(plan, ds, &f->view, fold_o, 0, &tp, err);
}

/*
 * How many fold splits choose on a view of n documents: one more split for
 * every TN_CHOOSE_REPEAT_DOCS / n that fits, at most TN_CHOOSE_REPEATS.
 * Small corpora leave the noisiest folds and the cheapest ones.
 */
_Static_assert(TN_CHOOSE_REPEATS == 3, "run_repeat names the stages of up to three splits");

static int choose_repeats(size_t n)
{
	size_t r = n ? TN_CHOOSE_REPEAT_DOCS / n : 1;

	return r < 1 ? 1 : r > TN_CHOOSE_REPEATS ? TN_CHOOSE_REPEATS : (int)r;
}

/*
 * Adds each head's out-of-fold macro-F1 of plan to f1[h] and their mean over
 * the heads to *mean.  0 or TN_ENOMEM.
 */
static int score_split(const struct tn_plan *plan, size_t nh, int ovr, int platt, double *f1, double *mean)
{
	size_t h;

	for (h = 0; h < nh; h++) {
		double v = fold_macro_f1(&plan->hds[h], ovr, platt);

		if (v < 0)
			return TN_ENOMEM;
		f1[h] += v;
		*mean += v / (double)nh;
	}
	return 0;
}

/*
 * Split r (r >= 1) of a candidate: its vectors ds in the folds of the first
 * split's options o (--cv's, else the calibration folds) dealt with a seed of
 * their own.  Each head's out-of-fold macro-F1 (platt: of the cross-fitted
 * Platt labels) is added to f1[h], their mean over the heads to *mean.  0 or
 * an error with err set.
 */
static int run_repeat(const struct tn_folds *f, struct tn_dataset *ds, const struct tn_train_opts *o,
		      int r, int splits, int ovr, int platt, int word_max, const struct tn_progress *prog,
		      double *f1, double *mean, struct tn_err *err)
{
	/* Stage names outlive the call (a progress line compares the last one it saw). */
	static const char *const names[2][3] = {
		{ "folds (word 1-1, split 2/2)", "folds (word 1-1, split 2/3)", "folds (word 1-1, split 3/3)" },
		{ "folds (word 1-2, split 2/2)", "folds (word 1-2, split 2/3)", "folds (word 1-2, split 3/3)" },
	};
	struct tn_train_opts ro = *o;
	struct tn_plan plan;
	struct stage_map tm = { prog, names[word_max == 2][splits == 2 ? 0 : r] };
	struct tn_progress tp = { mapped, &tm };
	int rc;

	ro.seed = o->seed + (uint64_t)r * 0x9e3779b97f4a7c15ull;   /* the same folds, dealt anew */
	memset(&plan, 0, sizeof(plan));
	if (!(rc = tn_plan_init(&plan, &f->view, &ro, err)) &&
	    !(rc = tn_plan_run(&plan, ds, &f->view, &ro, 0, &tp, err)) &&
	    score_split(&plan, f->view.nheads, ovr, platt, f1, mean))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	tn_plan_release(&plan);
	return rc;
}

void tn_folds_release(struct tn_folds *f)
{
	tn_plan_release(&f->plan);
	tn_dataset_release(&f->ds);
	free(f->idf);
	json_decref(f->info);
	view_release(f);
	memset(f, 0, sizeof(*f));
}

int tn_folds_run(struct tn_folds *f, const struct tn_corpus *c, const struct tn_feat_opts *fo,
		 const struct tn_train_opts *o, const struct tn_progress *prog, struct tn_err *err)
{
	struct tn_train_opts fold_o = *o;
	struct tn_feat_opts cand[2];
	size_t ncand = 1, i, h, nh = c->nheads;
	int ovr = tn_one_vs_rest(o);
	double best_mean = -1, *hf1 = NULL;
	json_t *tried = NULL;
	int rc = 0, r, splits = 1;

	memset(f, 0, sizeof(*f));
	f->fo = *fo;
	if (!o->choose_ngrams && !o->probability && !o->cv)
		return 0;   /* nothing needs folds */
	cand[0] = *fo;
	if (o->choose_ngrams) {
		cand[0].word_min = cand[0].word_max = 1;
		cand[1] = cand[0];
		cand[1].word_max = 2;
		ncand = 2;
		if (!(tried = json_array()))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	if (!(hf1 = calloc(nh ? nh : 1, sizeof(*hf1)))) {
		json_decref(tried);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	/* The folds' values choose when there are no CV predictions. */
	fold_o.probability = o->probability || !o->cv;
	if (!o->cv && o->fold_docs && c->ndocs > o->fold_docs) {
		if ((rc = sample_view(f, c, o->fold_docs, o->seed ^ 0x5a3b1e)))
			return tn_err_set(err, rc, "out of memory");
	} else {
		f->view = *c;   /* shallow: the corpus's own arrays */
	}
	if (o->choose_ngrams)
		splits = choose_repeats(f->view.ndocs);
	for (i = 0; i < ncand; i++) {
		struct tn_dataset ds;
		struct tn_plan plan;
		float *idf = NULL;
		double mean = 0, split_mean;
		json_t *f1 = NULL, *by_split = NULL;

		rc = run_candidate(f, &cand[i], &fold_o, o->choose_ngrams, prog, &ds, &idf, &plan, err);
		if (rc == TN_EINVAL && f->sampled && i == 0 && !plan.hds) {
			/* A head the sample left with one class: every document then. */
			tn_plan_release(&plan);
			tn_dataset_release(&ds);
			free(idf);
			view_release(f);
			f->view = *c;
			splits = choose_repeats(f->view.ndocs);
			rc = run_candidate(f, &cand[i], &fold_o, o->choose_ngrams, prog, &ds, &idf, &plan, err);
		}
		if (!rc && tried && !(f1 = json_object()))
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		if (!rc && tried && !(by_split = json_array()))
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		memset(hf1, 0, (nh ? nh : 1) * sizeof(*hf1));
		for (r = 0; !rc && r < splits; r++) {
			split_mean = 0;
			if (!r && score_split(&plan, nh, ovr, tn_platt_labels(o), hf1, &split_mean))
				rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			else if (r)
				rc = run_repeat(f, &ds, &fold_o, r, splits, ovr, tn_platt_labels(o), cand[i].word_max,
						prog, hf1, &split_mean, err);
			if (rc)
				break;
			if (by_split)
				json_array_append_new(by_split, json_real(round(split_mean * 1e4) / 1e4));
		}
		for (h = 0; !rc && h < nh; h++) {
			double v = hf1[h] / splits;

			mean += v / (double)nh;
			if (f1)
				json_object_set_new(f1, c->heads[h].name, json_real(round(v * 1e4) / 1e4));
		}
		if (!rc && tried)
			json_array_append_new(tried, json_pack("{s:s, s:f, s:o, s:o}", "word_ngrams", i ? "1-2" : "1-1",
							       "mean_macro_f1", round(mean * 1e4) / 1e4, "macro_f1", f1,
							       "split_mean_macro_f1", by_split));
		else
			json_decref(f1), json_decref(by_split);
		if (!rc && (i == 0 || mean > best_mean + TN_CHOOSE_MARGIN)) {
			tn_plan_release(&f->plan);
			tn_dataset_release(&f->ds);
			free(f->idf);
			f->plan = plan;
			f->ds = ds;
			f->idf = idf;
			f->fo = cand[i];
			best_mean = mean;
		} else {
			tn_plan_release(&plan);
			tn_dataset_release(&ds);
			free(idf);
		}
		if (rc)
			break;
	}
	f->ran = !rc;
	if (!rc && tried) {
		char chosen[16];

		snprintf(chosen, sizeof(chosen), "%d-%d", f->fo.word_min, f->fo.word_max);
		f->info = json_pack("{s:s, s:s, s:i, s:i, s:I, s:b, s:f, s:O}", "word_ngrams", chosen,
				    "criterion", "mean over the heads and the splits of the out-of-fold macro-F1",
				    "folds", o->cv ? o->cv : TN_CALIB_FOLDS, "splits", splits,
				    "documents", (json_int_t)f->view.ndocs,
				    "sampled", f->sampled, "margin", TN_CHOOSE_MARGIN, "candidates", tried);
		if (f->info && c->group_field &&
		    json_object_set_new(f->info, "group_field", json_string(c->group_field)))
			json_decref(f->info), f->info = NULL;
		if (!f->info)
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	json_decref(tried);
	free(hf1);
	if (rc)
		tn_folds_release(f);
	return rc;
}

void tn_train_selection_line(const struct tn_bundle *b, char *buf, size_t size)
{
	json_t *sel = json_object_get(tn_bundle_info(b), "selection"), *cand;
	const char *chosen = json_string_value(json_object_get(sel, "word_ngrams")), *group;
	size_t i, n;
	int len, splits;
	char times[16] = "";

	if (!sel || !chosen) {
		snprintf(buf, size, "word n-grams %d-%d", b->feat.word_min, b->feat.word_max);
		return;
	}
	group = json_string_value(json_object_get(sel, "group_field"));
	splits = (int)json_integer_value(json_object_get(sel, "splits"));
	if (splits > 1)
		snprintf(times, sizeof(times), "%d x ", splits);
	len = snprintf(buf, size, "word n-grams %s, chosen by %s%d-fold cross-validation on %" JSON_INTEGER_FORMAT
		       " documents%s%s (mean macro-F1", chosen, times,
		       (int)json_integer_value(json_object_get(sel, "folds")),
		       json_integer_value(json_object_get(sel, "documents")), group ? " grouped by " : "",
		       group ? group : "");
	json_array_foreach(json_object_get(sel, "candidates"), i, cand) {
		n = len > 0 && (size_t)len < size ? (size_t)len : size;
		len += snprintf(buf + n, size - n, "%s %s %.4f", i ? "," : "",
				json_string_value(json_object_get(cand, "word_ngrams")),
				json_real_value(json_object_get(cand, "mean_macro_f1")));
	}
	n = len > 0 && (size_t)len < size ? (size_t)len : size;
	snprintf(buf + n, size - n, ")");
}
