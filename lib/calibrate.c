/*
 * calibrate.c - Platt's sigmoids on out-of-fold decision values, one per
 * class pair, stored in the libsvm model as probA/probB (train.h).
 */
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>

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
