/*
 * calibrate.c - Platt's sigmoids on out-of-fold decision values, one per
 * class pair, stored in the libsvm model as probA/probB (train.h).
 */
#include "train_internal.h"
#include "manifest_json.h"
#include "metrics.h"
#include "predict.h"
#include "reliability.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tn_platt_fit(size_t n, const double *f, const int *y, double *A, double *B)
{
	double prior1 = 0, prior0 = 0, hi, lo, a, b, fval = 0;
	const double min_step = 1e-10, sigma = 1e-12, eps = 1e-5;
	double *t = malloc((n ? n : 1) * sizeof(double));
	size_t i;
	int it;

	if (!t) {
		*A = -1;
		*B = 0;
		return;
	}
	for (i = 0; i < n; i++)
		if (y[i] > 0)
			prior1++;
		else
			prior0++;
	hi = (prior1 + 1) / (prior1 + 2);
	lo = 1 / (prior0 + 2);
	for (i = 0; i < n; i++)
		t[i] = y[i] > 0 ? hi : lo;
	a = 0;
	b = log((prior0 + 1) / (prior1 + 1));
	/* Negative log-likelihood, computed stably on both signs of f*a + b. */
	for (i = 0; i < n; i++) {
		double fa = f[i] * a + b;

		fval += fa >= 0 ? t[i] * fa + log1p(exp(-fa)) : (t[i] - 1) * fa + log1p(exp(fa));
	}
	for (it = 0; it < 100; it++) {
		double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0, det, da, db, gd, step;

		for (i = 0; i < n; i++) {
			double fa = f[i] * a + b, p, q, d1, d2;

			if (fa >= 0) {
				p = exp(-fa) / (1.0 + exp(-fa));
				q = 1.0 / (1.0 + exp(-fa));
			} else {
				p = 1.0 / (1.0 + exp(fa));
				q = exp(fa) / (1.0 + exp(fa));
			}
			d2 = p * q;
			h11 += f[i] * f[i] * d2;
			h22 += d2;
			h21 += f[i] * d2;
			d1 = t[i] - p;
			g1 += f[i] * d1;
			g2 += d1;
		}
		if (fabs(g1) < eps && fabs(g2) < eps)
			break;
		det = h11 * h22 - h21 * h21;
		da = -(h22 * g1 - h21 * g2) / det;
		db = -(-h21 * g1 + h11 * g2) / det;
		gd = g1 * da + g2 * db;
		for (step = 1; step >= min_step; step /= 2) {
			double na = a + step * da, nb = b + step * db, nf = 0;

			for (i = 0; i < n; i++) {
				double fa = f[i] * na + nb;

				nf += fa >= 0 ? t[i] * fa + log1p(exp(-fa)) : (t[i] - 1) * fa + log1p(exp(fa));
			}
			if (nf < fval + 0.0001 * step * gd) {
				a = na;
				b = nb;
				fval = nf;
				break;
			}
		}
		if (step < min_step)
			break;
	}
	free(t);
	*A = a;
	*B = b;
}

/* Fits every pair's sigmoid from the out-of-fold decision values; stores them in m. */
int tn_calibrate(struct svm_model *m, const struct tn_head_data *hd)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, a, b, i;
	double *f = malloc(hd->n * sizeof(double));
	int *y = malloc(hd->n * sizeof(int));
	int nr = m->nr_class, ii, jj;

	m->probA = malloc(npair * sizeof(double));
	m->probB = malloc(npair * sizeof(double));
	if (!f || !y || !m->probA || !m->probB) {
		free(f);
		free(y);
		return TN_ENOMEM;
	}
	/* The model's pairs follow libsvm's class order (m->label), not class ids. */
	for (ii = 0; ii < nr; ii++)
		for (jj = ii + 1; jj < nr; jj++) {
			size_t mp = tn_pair_index((size_t)nr, (size_t)ii, (size_t)jj), n = 0;
			double sign;

			a = (size_t)m->label[ii];
			b = (size_t)m->label[jj];
			sign = a < b ? 1.0 : -1.0;
			for (i = 0; i < hd->n; i++) {
				size_t c = (size_t)hd->y[i];

				if (c != a && c != b)
					continue;
				f[n] = sign * hd->cal_dec[i * npair + tn_pair_index(k, a < b ? a : b, a < b ? b : a)];
				y[n] = c == a ? 1 : -1;
				n++;
			}
			tn_platt_fit(n, f, y, &m->probA[mp], &m->probB[mp]);
		}
	m->param.probability = 1;
	free(f);
	free(y);
	return 0;
}

/*
 * ---- the default calibration of every head ----
 *
 * One-vs-rest heads: a softmax of the class scores divided by one temperature
 * T, p_c = exp(s_c / T) / sum_j exp(s_j / T), T fitted by maximum likelihood
 * on out-of-fold scores.  A softmax is monotone in the scores, so the class of
 * the highest probability is always the class of the highest decision value:
 * the label stays the model's, and its score is the highest.  Only
 * differences of scores matter, so s_0 = 0, s_j = -dec(0, j) recovers them
 * from the pair values the calibration folds leave (score[0] - score[j]).
 *
 * One-vs-one heads (and libsvm's): Platt's sigmoid per class pair coupled
 * into probabilities (tn_calibrate), the label then the class of the highest
 * probability, as libsvm's -b 1 does.
 *
 * Both are measured by cross-fitting over the calibration folds (the
 * calibrator fitted on four folds' out-of-fold values, scored on the fifth):
 * log loss and macro-F1 of each method go to the manifest ("calibration",
 * "compared"), with the reliability table of the chosen one.
 */

/* Class scores s (k per document, s_0 = 0) from the pair values of documents idx. */
static void class_scores(const struct tn_head_data *hd, size_t i, double *s)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, j;

	s[0] = 0;
	for (j = 1; j < k; j++)
		s[j] = -hd->cal_dec[i * npair + tn_pair_index(k, 0, j)];
}

/*
 * The beta = 1 / T minimising the negative log-likelihood of softmax(beta s)
 * over the documents i with use[i] (use NULL: all).  The likelihood is concave
 * in beta, so its derivative, sum_i (E_p[s] - s_y), increases with beta:
 * bisection on log beta within [1e-4, 1e4].
 */
static double fit_beta(const struct tn_head_data *hd, const int *fold, int skip, double *s, double *p)
{
	double lo = log(1e-4), hi = log(1e4);
	size_t k = hd->nclass, i, j;
	int it;

	for (it = 0; it < 60; it++) {
		double mid = (lo + hi) / 2, beta = exp(mid), g = 0;

		for (i = 0; i < hd->n; i++) {
			if (fold && fold[i] == skip)
				continue;
			class_scores(hd, i, s);
			tn_softmax(k, s, beta, p);
			for (j = 0; j < k; j++)
				g += p[j] * s[j];
			g -= s[(size_t)hd->y[i]];
		}
		if (g < 0)
			lo = mid;
		else
			hi = mid;
	}
	return exp((lo + hi) / 2);
}

/* Pairwise Platt sigmoids fitted on documents outside fold skip (skip < 0: all); A, B by class-id pair. */
static int fit_pairs(const struct tn_head_data *hd, const int *fold, int skip, double *A, double *B)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, a, b, i;
	double *f = malloc((hd->n ? hd->n : 1) * sizeof(double));
	int *y = malloc((hd->n ? hd->n : 1) * sizeof(int));

	if (!f || !y) {
		free(f);
		free(y);
		return TN_ENOMEM;
	}
	for (a = 0; a < k; a++)
		for (b = a + 1; b < k; b++) {
			size_t p = tn_pair_index(k, a, b), n = 0;

			for (i = 0; i < hd->n; i++) {
				size_t c = (size_t)hd->y[i];

				if ((c != a && c != b) || (skip >= 0 && fold[i] == skip))
					continue;
				f[n] = hd->cal_dec[i * npair + p];
				y[n++] = c == a ? 1 : -1;
			}
			tn_platt_fit(n, f, y, &A[p], &B[p]);
		}
	free(f);
	free(y);
	return 0;
}

/* Coupled pairwise probabilities of document i (r: 2k^2 + k scratch). */
static void pair_probs(const struct tn_head_data *hd, size_t i, const double *A, const double *B, double *r,
		       double *p)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, a, b;

	for (a = 0; a < k; a++)
		for (b = a + 1; b < k; b++) {
			size_t q = tn_pair_index(k, a, b);
			double f = hd->cal_dec[i * npair + q] * A[q] + B[q];
			double v = f >= 0 ? exp(-f) / (1.0 + exp(-f)) : 1.0 / (1.0 + exp(f));

			v = v < 1e-7 ? 1e-7 : v > 1 - 1e-7 ? 1 - 1e-7 : v;
			r[a * k + b] = v;
			r[b * k + a] = 1 - v;
		}
	if (k == 2) {
		p[0] = r[1];
		p[1] = r[2];
	} else {
		tn_couple_probabilities(k, r, p, r + k * k);
	}
}

struct method_figures {
	double log_loss, macro_f1;
	struct tn_reliability rel;
};

static size_t argmax(size_t k, const double *v)
{
	size_t j, best = 0;

	for (j = 1; j < k; j++)
		if (v[j] > v[best])
			best = j;
	return best;
}

/*
 * Cross-fitted figures of one method (softmax: 1, pairwise Platt: 0) over
 * the calibration folds.  0 or TN_ENOMEM.
 */
static int cross_fit(const struct tn_head_data *hd, int softmax, struct method_figures *mf)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, i;
	double *s = malloc(k * sizeof(double)), *p = malloc(k * sizeof(double)), *r = malloc((2 * k * k + k) * sizeof(double));
	double *A = malloc(npair * sizeof(double)), *B = malloc(npair * sizeof(double)), nll = 0;
	struct tn_confusion conf;
	int f, rc = TN_ENOMEM;

	tn_reliability_init(&mf->rel);
	memset(&conf, 0, sizeof(conf));
	if (!s || !p || !r || !A || !B || tn_confusion_init(&conf, k))
		goto out;
	for (f = 0; f < hd->ncal_folds; f++) {
		double beta = 0;

		if (softmax)
			beta = fit_beta(hd, hd->cal_fold, f, s, p);
		else if (fit_pairs(hd, hd->cal_fold, f, A, B))
			goto out;
		for (i = 0; i < hd->n; i++) {
			size_t y = (size_t)hd->y[i], c;

			if (hd->cal_fold[i] != f)
				continue;
			if (softmax) {
				class_scores(hd, i, s);
				tn_softmax(k, s, beta, p);
				c = argmax(k, s);
			} else {
				pair_probs(hd, i, A, B, r, p);
				c = argmax(k, p);
			}
			nll -= log(p[y] > 1e-15 ? p[y] : 1e-15);
			tn_confusion_add(&conf, (int)y, (int)c);
			tn_reliability_add(&mf->rel, p[c], c == y);
		}
	}
	mf->log_loss = hd->n ? nll / (double)hd->n : 0;
	tn_confusion_scores(&conf, NULL, &mf->macro_f1, NULL);
	rc = 0;
out:
	tn_confusion_release(&conf);
	free(s);
	free(p);
	free(r);
	free(A);
	free(B);
	return rc;
}

int tn_platt_oof_labels(const struct tn_head_data *hd, int *pred)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, i;
	double *p = malloc(k * sizeof(double)), *r = malloc((2 * k * k + k) * sizeof(double));
	double *A = malloc(npair * sizeof(double)), *B = malloc(npair * sizeof(double));
	int f, rc = TN_ENOMEM;

	if (!p || !r || !A || !B)
		goto out;
	for (f = 0; f < hd->ncal_folds; f++) {
		if (fit_pairs(hd, hd->cal_fold, f, A, B))
			goto out;
		for (i = 0; i < hd->n; i++)
			if (hd->cal_fold[i] == f) {
				pair_probs(hd, i, A, B, r, p);
				pred[i] = (int)argmax(k, p);
			}
	}
	rc = 0;
out:
	free(p);
	free(r);
	free(A);
	free(B);
	return rc;
}

static json_t *figures_json(const struct method_figures *mf)
{
	return json_pack("{s:f, s:f}", "log_loss", round(mf->log_loss * 1e4) / 1e4,
			 "macro_f1", round(mf->macro_f1 * 1e4) / 1e4);
}

static json_t *reliability_json(const struct tn_reliability *rel)
{
	json_t *bins = json_array();
	int i;

	for (i = 0; bins && i < TN_RELIABILITY_BINS; i++) {
		double n = (double)rel->n[i];

		json_array_append_new(bins, json_pack("{s:f, s:f, s:I, s:o, s:o}",
						      "from", i / 10.0, "to", (i + 1) / 10.0,
						      "documents", (json_int_t)rel->n[i],
						      "predicted", n ? json_real(round(rel->sum_p[i] / n * 1e4) / 1e4) : json_null(),
						      "observed", n ? json_real(round((double)rel->hits[i] / n * 1e4) / 1e4) : json_null()));
	}
	return json_pack("{s:s, s:o}", "of", "the chosen class's out-of-fold probability", "bins", bins);
}

int tn_calibrate_head(struct tn_head *hb, const struct tn_head_data *hd, int ovr, int platt_labels, char **svg)
{
	struct method_figures soft, platt;
	const struct method_figures *chosen = &platt;
	json_t *cal, *info = tn_head_info(hb), *compared;
	struct tn_buf title = TN_BUF_INIT;
	double beta = 0;
	int rc;

	*svg = NULL;
	if ((rc = cross_fit(hd, 0, &platt)))
		return rc;
	if (ovr && (rc = cross_fit(hd, 1, &soft)))
		return rc;
	compared = ovr ? json_pack("{s:o, s:o}", "softmax-temperature", figures_json(&soft), "platt-pairwise",
				   figures_json(&platt))
		       : json_pack("{s:o}", "platt-pairwise", figures_json(&platt));
	if (ovr && !platt_labels) {
		double *s = malloc(hd->nclass * sizeof(double)), *p = malloc(hd->nclass * sizeof(double));

		if (!s || !p) {
			free(s);
			free(p);
			json_decref(compared);
			return TN_ENOMEM;
		}
		beta = fit_beta(hd, NULL, -1, s, p);
		free(s);
		free(p);
		chosen = &soft;
		cal = json_pack("{s:s, s:f, s:i, s:I, s:o}", "method", "softmax-temperature", "temperature", 1.0 / beta,
				"folds", hd->ncal_folds, "documents", (json_int_t)hd->n, "compared", compared);
	} else {
		if (!hb->svm || (rc = tn_calibrate(hb->svm, hd))) {
			json_decref(compared);
			return rc ? rc : TN_EINVAL;
		}
		cal = json_pack("{s:s, s:i, s:I, s:o}", "method", "platt-pairwise", "folds", hd->ncal_folds,
				"documents", (json_int_t)hd->n, "compared", compared);
	}
	if (!cal || !info)
		return TN_ENOMEM;
	json_object_set_new(cal, "reliability", reliability_json(&chosen->rel));
	json_object_set_new(info, "calibration", cal);
	if (tn_buf_addf(&title, "%s: out-of-fold reliability", hb->name) ||
	    !(*svg = tn_reliability_svg(&chosen->rel, title.ptr)))
		rc = TN_ENOMEM;
	tn_buf_release(&title);
	return rc;
}
