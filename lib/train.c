/*
 * train.c - feature extraction over a corpus and libsvm training; see train.h.
 */
#include "train.h"
#include "predict.h"

#include <libsvm/svm.h>
#include <linear.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define CALIB_FOLDS 5

struct dataset {
	size_t n;
	struct svm_node **x;    /* n vectors, each ending with index -1 */
	struct svm_node *pool;
	size_t nfeat;           /* buckets with idf > 0 */
	struct feature_node **lx;  /* liblinear: the same vectors with the bias node */
	struct feature_node *lpool;
	int nbuckets;
};

/* One libsvm training: a head's final model, a CV fold or a calibration fold. */
struct task {
	size_t head;
	int kind;               /* 0 final, 1 cv fold, 2 calibration fold */
	int fold;
	struct svm_model *model;
	struct model *lmodel;
	int rc;
};

struct head_data {
	double C;               /* this head's C and class weighting */
	int balanced;
	size_t nclass;
	size_t n;               /* labeled documents */
	size_t *docs;           /* their corpus indices */
	double *y;              /* class ids */
	int *cv_fold, *cal_fold;
	int *cv_pred;           /* cv: predicted class of each labeled doc */
	double *cal_dec;        /* calibration: n x npair out-of-fold decision values */
	size_t *count;          /* documents per class */
};

static void quiet(const char *s)
{
	(void)s;
}

void tn_train_opts_default(struct tn_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->solver = TN_SOLVER_LINEAR;
	o->kernel = TN_KERNEL_LINEAR;
	o->C = 1.0;
	o->gamma = 1.0;
	o->eps = 0.001;
	o->cache_mb = 100;
	o->seed = 0x5eed;
}

int tn_train_opts_check(const struct tn_train_opts *o, struct tn_err *err)
{
	if (!(o->C > 0) || !isfinite(o->C))
		return tn_err_set(err, TN_EINVAL, "C must be a positive number");
	if (!(o->gamma > 0) || !isfinite(o->gamma))
		return tn_err_set(err, TN_EINVAL, "gamma must be a positive number");
	if (o->solver != TN_SOLVER_LIBSVM && o->kernel != TN_KERNEL_LINEAR)
		return tn_err_set(err, TN_EINVAL, "--kernel rbf needs --solver libsvm");
	if (o->solver == TN_SOLVER_LIBLINEAR && o->probability)
		return tn_err_set(err, TN_EINVAL, "--probability needs --solver linear or libsvm");
	if (o->cv == 1 || o->cv < 0 || o->cv > 100)
		return tn_err_set(err, TN_EINVAL, "cross-validation needs 2..100 folds, not %d", o->cv);
	if (!(o->eps > 0))
		return tn_err_set(err, TN_EINVAL, "eps must be positive");
	return 0;
}

static void progress(const struct tn_progress *p, const char *stage, size_t done, size_t total)
{
	if (p && p->fn)
		p->fn(p->ctx, stage, done, total);
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Stratified folds: each class shuffled with the seed, then dealt round-robin. */
static int assign_folds(const struct head_data *hd, int k, uint64_t seed, int *fold)
{
	size_t *idx = malloc((hd->n ? hd->n : 1) * sizeof(*idx));
	size_t c, i, m, next = 0;

	if (!idx)
		return TN_ENOMEM;
	for (c = 0; c < hd->nclass; c++) {
		uint64_t s = seed ^ (0x1000 + c);

		m = 0;
		for (i = 0; i < hd->n; i++)
			if ((size_t)hd->y[i] == c)
				idx[m++] = i;
		for (i = m; i > 1; i--) {
			size_t j = (size_t)(splitmix64(&s) % i), t = idx[i - 1];

			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		/* Continue the deal where the last class stopped, to even fold sizes. */
		for (i = 0; i < m; i++)
			fold[idx[i]] = (int)((next + i) % (size_t)k);
		next = (next + m) % (size_t)k;
	}
	free(idx);
	return 0;
}

static void dataset_release(struct dataset *d)
{
	free(d->x);
	free(d->pool);
	free(d->lx);
	free(d->lpool);
	memset(d, 0, sizeof(*d));
}

/* Counts, idf and vectors of the whole corpus, in parallel over documents. */
static int build_dataset(const struct tn_corpus *c, const struct tn_feat_opts *fo, float *idf,
			 struct dataset *ds, const struct tn_progress *prog, struct tn_err *err)
{
	size_t n = c->ndocs, nb = (size_t)1 << fo->bits, d, *off = NULL;
	struct tn_counts *counts = calloc(n ? n : 1, sizeof(*counts));
	uint32_t *df = calloc(nb, sizeof(*df));
	long bad_doc = -1;
	size_t bad_off = 0;
	int rc = 0, nthreads = omp_get_max_threads();
	struct tn_feat_scratch **scr = calloc((size_t)nthreads, sizeof(*scr));

	memset(ds, 0, sizeof(*ds));
	if (!counts || !df || !scr) {
		rc = TN_ENOMEM;
		goto out;
	}
	for (d = 0; d < (size_t)nthreads; d++)
		if (!(scr[d] = tn_feat_scratch_create(fo))) {
			rc = TN_ENOMEM;
			goto out;
		}
	progress(prog, "features", 0, n);
#pragma omp parallel for schedule(dynamic, 64) default(none) shared(c, fo, counts, scr, rc, bad_doc, bad_off, n)
	for (size_t i = 0; i < n; i++) {
		size_t bo = 0;
		int r = tn_feat_count(fo, scr[omp_get_thread_num()], c->text[i], c->len[i], &counts[i], &bo);

		if (r) {
#pragma omp critical(tn_train_err)
			{
				if (!rc || (long)i < bad_doc) {
					rc = r;
					bad_doc = (long)i;
					bad_off = bo;
				}
			}
		}
	}
	if (rc)
		goto out;
	for (d = 0; d < n; d++) {
		size_t j;

		for (j = 0; j < counts[d].n; j++)
			df[counts[d].bucket[j]]++;
	}
	ds->nfeat = tn_feat_idf(fo, df, n, idf);
	off = malloc((n + 1) * sizeof(*off));
	ds->x = malloc((n ? n : 1) * sizeof(*ds->x));
	if (!off || !ds->x) {
		rc = TN_ENOMEM;
		goto out;
	}
	off[0] = 0;
	for (d = 0; d < n; d++)
		off[d + 1] = off[d] + counts[d].n + 1;
	ds->pool = malloc(off[n] * sizeof(*ds->pool));
	if (!ds->pool) {
		rc = TN_ENOMEM;
		goto out;
	}
	ds->n = n;
#pragma omp parallel default(none) shared(c, fo, idf, counts, ds, off, rc, n)
	{
		struct tn_vec v;

		tn_vec_init(&v);
#pragma omp for schedule(dynamic, 64)
		for (size_t i = 0; i < n; i++) {
			struct svm_node *x = ds->pool + off[i];
			size_t j;

			if (tn_feat_weigh(fo, idf, &counts[i], &v)) {
#pragma omp atomic write
				rc = TN_ENOMEM;
				continue;
			}
			for (j = 0; j < v.n; j++) {
				x[j].index = (int)v.idx[j];
				x[j].value = v.val[j];
			}
			x[v.n].index = -1;
			x[v.n].value = 0;
			ds->x[i] = x;
		}
		tn_vec_release(&v);
	}
	progress(prog, "features", n, n);
out:
	if (rc == TN_EFORMAT)
		tn_err_set(err, rc, "document %ld: %s at byte %zu", bad_doc + 1,
			   c->text[bad_doc][bad_off] ? "invalid UTF-8" : "NUL byte", bad_off);
	else if (rc)
		tn_err_set(err, rc, "out of memory computing features");
	if (counts)
		for (d = 0; d < n; d++)
			tn_counts_release(&counts[d]);
	free(counts);
	free(df);
	free(off);
	if (scr)
		for (d = 0; d < (size_t)nthreads; d++)
			tn_feat_scratch_free(scr[d]);
	free(scr);
	if (rc)
		dataset_release(ds);
	return rc;
}

static void head_data_release(struct head_data *hd)
{
	free(hd->docs);
	free(hd->y);
	free(hd->cv_fold);
	free(hd->cal_fold);
	free(hd->cv_pred);
	free(hd->cal_dec);
	free(hd->count);
	memset(hd, 0, sizeof(*hd));
}

static int head_data_build(const struct tn_corpus *c, size_t h, const struct tn_train_opts *o,
			   struct head_data *hd, struct tn_err *err)
{
	size_t d, k, present = 0, npair;
	const struct tn_corpus_head *ch = &c->heads[h];

	memset(hd, 0, sizeof(*hd));
	hd->C = o->head_C ? o->head_C[h] : o->C;
	hd->balanced = o->head_balanced ? o->head_balanced[h] : o->balanced;
	hd->nclass = ch->nclass;
	hd->count = calloc(hd->nclass ? hd->nclass : 1, sizeof(*hd->count));
	hd->docs = malloc((c->ndocs ? c->ndocs : 1) * sizeof(*hd->docs));
	hd->y = malloc((c->ndocs ? c->ndocs : 1) * sizeof(*hd->y));
	if (!hd->count || !hd->docs || !hd->y)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (d = 0; d < c->ndocs; d++) {
		int32_t l = c->label[d * c->nheads + h];

		if (l < 0)
			continue;
		hd->docs[hd->n] = d;
		hd->y[hd->n] = l;
		hd->count[l]++;
		hd->n++;
	}
	for (k = 0; k < hd->nclass; k++)
		present += hd->count[k] > 0;
	if (hd->n == 0)
		return tn_err_set(err, TN_EINVAL, "head '%s': no document has this label", ch->name);
	if (present < 2)
		return tn_err_set(err, TN_EINVAL, "head '%s' has a single class ('%s'): nothing to learn",
				  ch->name, ch->classes[0]);
	npair = hd->nclass * (hd->nclass - 1) / 2;
	if (o->cv) {
		hd->cv_fold = malloc(hd->n * sizeof(int));
		hd->cv_pred = malloc(hd->n * sizeof(int));
		if (!hd->cv_fold || !hd->cv_pred || assign_folds(hd, o->cv, o->seed, hd->cv_fold))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		for (k = 0; k < hd->nclass; k++)
			if (hd->count[k] < (size_t)o->cv)
				break;
	}
	if (o->probability) {
		hd->cal_fold = malloc(hd->n * sizeof(int));
		hd->cal_dec = calloc(hd->n * npair, sizeof(double));
		if (!hd->cal_fold || !hd->cal_dec || assign_folds(hd, CALIB_FOLDS, o->seed ^ 0xca11b, hd->cal_fold))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	return 0;
}

static void set_param(struct svm_parameter *p, const struct tn_train_opts *o, const struct head_data *hd,
		      int *wl, double *w)
{
	size_t k;

	memset(p, 0, sizeof(*p));
	p->svm_type = C_SVC;
	p->kernel_type = o->kernel == TN_KERNEL_RBF ? RBF : LINEAR;
	p->gamma = o->gamma;
	p->C = hd->C;
	p->eps = o->eps;
	p->cache_size = o->cache_mb;
	p->shrinking = 1;
	p->probability = 0;
	if (hd->balanced) {
		size_t present = 0;

		for (k = 0; k < hd->nclass; k++)
			present += hd->count[k] > 0;
		for (k = 0; k < hd->nclass; k++) {
			wl[p->nr_weight] = (int)k;
			w[p->nr_weight] = hd->count[k] ? (double)hd->n / ((double)present * (double)hd->count[k]) : 1.0;
			p->nr_weight++;
		}
		p->weight_label = wl;
		p->weight = w;
	}
}

/*
 * The labeled documents a model trains on: those whose fold is not `fold`
 * (all when fold < 0).  Writes their positions in hd (as doubles, exact below
 * 2^53, so that the caller's label array can hold them first) and returns the count.
 */
static size_t training_docs(const struct head_data *hd, const int *folds, int fold, double *pos)
{
	size_t i, n = 0;

	for (i = 0; i < hd->n; i++)
		if (fold < 0 || folds[i] != fold)
			pos[n++] = (double)i;
	return n;
}

/* liblinear's copies of the vectors, each with the bias node before the end. */
static int build_liblinear_vectors(struct dataset *ds, int bits)
{
	size_t d, total = 0, off = 0;

	ds->nbuckets = 1 << bits;
	for (d = 0; d < ds->n; d++) {
		const struct svm_node *x = ds->x[d];

		while (x->index != -1)
			x++;
		total += (size_t)(x - ds->x[d]) + 2;
	}
	ds->lx = malloc((ds->n ? ds->n : 1) * sizeof(*ds->lx));
	ds->lpool = malloc((total ? total : 1) * sizeof(*ds->lpool));
	if (!ds->lx || !ds->lpool)
		return TN_ENOMEM;
	for (d = 0; d < ds->n; d++) {
		const struct svm_node *x = ds->x[d];

		ds->lx[d] = ds->lpool + off;
		for (; x->index != -1; x++, off++) {
			ds->lpool[off].index = x->index;
			ds->lpool[off].value = x->value;
		}
		ds->lpool[off].index = ds->nbuckets + 1;
		ds->lpool[off++].value = 1.0;
		ds->lpool[off++].index = -1;
	}
	return 0;
}

static struct model *train_subset_lin(const struct dataset *ds, const struct head_data *hd,
				      const struct tn_train_opts *o, const int *folds, int fold)
{
	struct problem prob;
	struct parameter param;
	struct model *m = NULL;
	struct svm_parameter sp;
	int *wl = malloc((hd->nclass + 1) * sizeof(int));
	double *w = malloc((hd->nclass + 1) * sizeof(double));
	size_t i, n = 0;

	prob.x = malloc(hd->n * sizeof(*prob.x));
	prob.y = malloc(hd->n * sizeof(*prob.y));
	if (!wl || !w || !prob.x || !prob.y)
		goto out;
	n = training_docs(hd, folds, fold, prob.y);
	for (i = 0; i < n; i++)
		prob.x[i] = ds->lx[hd->docs[(size_t)prob.y[i]]];
	for (i = 0; i < n; i++)
		prob.y[i] = hd->y[(size_t)prob.y[i]];
	prob.l = (int)n;
	prob.n = ds->nbuckets + 1;
	prob.bias = 1.0;
	set_param(&sp, o, hd, wl, w);
	memset(&param, 0, sizeof(param));
	param.solver_type = L2R_L1LOSS_SVC_DUAL;
	param.C = hd->C;
	param.eps = 0.1;
	param.nr_weight = sp.nr_weight;
	param.weight_label = sp.weight_label;
	param.weight = sp.weight;
	m = train(&prob, &param);
out:
	free(prob.x);
	free(prob.y);
	free(wl);
	free(w);
	if (m) {
		m->param.weight_label = NULL;
		m->param.weight = NULL;
		m->param.nr_weight = 0;
	}
	return m;
}

/* Trains on the labeled documents whose fold differs from `fold` (all if fold < 0). */
static struct svm_model *train_subset(const struct dataset *ds, const struct head_data *hd,
				      const struct tn_train_opts *o, const int *folds, int fold)
{
	struct svm_problem prob;
	struct svm_parameter param;
	struct svm_model *m = NULL;
	int *wl = malloc((hd->nclass + 1) * sizeof(int));
	double *w = malloc((hd->nclass + 1) * sizeof(double));
	size_t i, n = 0;

	prob.x = malloc(hd->n * sizeof(*prob.x));
	prob.y = malloc(hd->n * sizeof(*prob.y));
	if (!wl || !w || !prob.x || !prob.y)
		goto out;
	n = training_docs(hd, folds, fold, prob.y);
	for (i = 0; i < n; i++)
		prob.x[i] = ds->x[hd->docs[(size_t)prob.y[i]]];
	for (i = 0; i < n; i++)
		prob.y[i] = hd->y[(size_t)prob.y[i]];
	prob.l = (int)n;
	set_param(&param, o, hd, wl, w);
	m = svm_train(&prob, &param);
	/* The model keeps pointers to the vectors only; the problem arrays may go. */
out:
	free(prob.x);
	free(prob.y);
	free(wl);
	free(w);
	if (m) {
		/* svm_train copied weight arrays? It did not: detach them from the model. */
		m->param.weight_label = NULL;
		m->param.weight = NULL;
		m->param.nr_weight = 0;
	}
	return m;
}

const char *tn_solver_name(enum tn_solver s)
{
	switch (s) {
	case TN_SOLVER_LINEAR: return "linear";
	case TN_SOLVER_LIBSVM: return "libsvm";
	case TN_SOLVER_LIBLINEAR: return "liblinear";
	}
	return "?";
}

/* libsvm pair index of classes a < b among k. */
static size_t pair_index(size_t k, size_t a, size_t b)
{
	return a * (2 * k - a - 1) / 2 + (b - a - 1);
}

/* Decision values of model m (trained on a subset) in the head's full pair space. */
static void full_decisions(const struct svm_model *m, const struct svm_node *x, size_t k, double *out,
			   double *tmp)
{
	int nr = m->nr_class, i, j;

	svm_predict_values(m, x, tmp);
	for (i = 0; i < nr; i++)
		for (j = i + 1; j < nr; j++) {
			size_t a = (size_t)m->label[i], b = (size_t)m->label[j];
			double v = tmp[pair_index((size_t)nr, (size_t)i, (size_t)j)];

			if (a < b)
				out[pair_index(k, a, b)] = v;
			else
				out[pair_index(k, b, a)] = -v;
		}
}

/*
 * One class pair (a, b) of a head with liblinear's dual solver: the labeled
 * documents of classes a (+1) and b (-1) whose fold is not `fold`.  Returns the
 * model, or NULL (out of memory); *sign is +1 when the model's first label is
 * +1 (its decision value is then positive toward a), else -1.  A pair with
 * documents of one class only returns NULL with *sign set toward that class
 * and *empty set.
 */
static struct model *train_pair(const struct dataset *ds, const struct head_data *hd,
				const int *folds, int fold,
				size_t a, size_t b, double *sign, int *empty)
{
	struct problem prob;
	struct parameter param;
	struct model *m = NULL;
	int wl[2] = { 1, -1 };
	double w[2] = { 1.0, 1.0 };
	size_t i, n = 0, na = 0;
	size_t present = 0, k;

	*empty = 0;
	prob.x = malloc((hd->n ? hd->n : 1) * sizeof(*prob.x));
	prob.y = malloc((hd->n ? hd->n : 1) * sizeof(*prob.y));
	if (!prob.x || !prob.y)
		goto out;
	for (i = 0; i < hd->n; i++) {
		size_t c = (size_t)hd->y[i];

		if ((c != a && c != b) || (fold >= 0 && folds[i] == fold))
			continue;
		prob.x[n] = ds->lx[hd->docs[i]];
		prob.y[n] = c == a ? 1.0 : -1.0;
		na += c == a;
		n++;
	}
	if (na == 0 || na == n) {
		*sign = na ? 1.0 : -1.0;
		*empty = 1;
		goto out;
	}
	if (hd->balanced) {
		/* The head's weights n / (k n_c), as libsvm's C-SVC applies them in every pair. */
		for (k = 0; k < hd->nclass; k++)
			present += hd->count[k] > 0;
		w[0] = (double)hd->n / ((double)present * (double)hd->count[a]);
		w[1] = (double)hd->n / ((double)present * (double)hd->count[b]);
	}
	prob.l = (int)n;
	prob.n = ds->nbuckets + 1;
	prob.bias = 1.0;
	memset(&param, 0, sizeof(param));
	param.solver_type = L2R_L1LOSS_SVC_DUAL;
	param.C = hd->C;
	param.eps = 0.1;
	param.nr_weight = 2;
	param.weight_label = wl;
	param.weight = w;
	m = train(&prob, &param);
	if (m) {
		m->param.weight_label = NULL;
		m->param.weight = NULL;
		m->param.nr_weight = 0;
		*sign = m->label[0] == 1 ? 1.0 : -1.0;
	}
out:
	free(prob.x);
	free(prob.y);
	return m;
}

/* w . x + bias of a binary liblinear model, oriented by sign. */
static double pair_decision(const struct model *m, double sign, const struct feature_node *x)
{
	double d = 0;

	predict_values(m, x, &d);
	return sign * d;
}

/*
 * The libsvm model of a head from its pairs' weights: one support vector per
 * class pair (i, j), listed under class i, holding w_ij, with coefficient 1
 * toward j and 0 toward every other class, and rho = -bias.  libsvm's
 * svm_predict_values then computes exactly w_ij . x + bias_ij for each pair.
 * sv[p] are the pairs' sparse weight vectors (ending with index -1), all in one
 * block starting at sv[0], which the model owns (free_sv).
 */
static struct svm_model *pairs_model(const struct head_data *hd, const struct tn_train_opts *o,
				     struct svm_node **sv, double *bias)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, i, j, p;
	struct svm_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->param.svm_type = C_SVC;
	m->param.kernel_type = LINEAR;
	m->param.C = hd->C;
	m->param.eps = o->eps;
	m->nr_class = (int)k;
	m->l = (int)npair;
	m->SV = sv;
	m->free_sv = 1;
	m->sv_coef = calloc(k - 1, sizeof(*m->sv_coef));
	m->rho = malloc(npair * sizeof(*m->rho));
	m->label = malloc(k * sizeof(*m->label));
	m->nSV = malloc(k * sizeof(*m->nSV));
	if (!m->sv_coef || !m->rho || !m->label || !m->nSV)
		goto oom;
	for (i = 0; i + 1 < k; i++)
		if (!(m->sv_coef[i] = calloc(npair, sizeof(double))))
			goto oom;
	for (i = 0, p = 0; i < k; i++) {
		m->label[i] = (int)i;
		m->nSV[i] = (int)(k - 1 - i);
		for (j = i + 1; j < k; j++, p++) {
			m->sv_coef[j - 1][p] = 1.0;
			m->rho[p] = -bias[p];
		}
	}
	return m;
oom:
	m->SV = NULL;  /* the caller still owns the vectors */
	m->l = 0;
	svm_free_and_destroy_model(&m);
	return NULL;
}

/* libsvm's one-vs-one vote over a head's pair decision values (ties to the lower class). */
static int vote(size_t k, const double *dec, int *votes)
{
	size_t i, j, p = 0, best = 0;

	memset(votes, 0, k * sizeof(*votes));
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++, p++)
			votes[dec[p] > 0 ? i : j]++;
	for (i = 1; i < k; i++)
		if (votes[i] > votes[best])
			best = i;
	return (int)best;
}

/*
 * A task of the pairwise linear solver: every class pair of the head trained
 * on the documents outside the task's fold.  A final task leaves a libsvm
 * model in t->model; a cross-validation task the held-out predictions in
 * hd->cv_pred; a calibration task the held-out decision values in hd->cal_dec.
 */
static void run_task_pairs(const struct dataset *ds, struct head_data *hd, const struct tn_train_opts *o,
			   struct task *t, const int *folds)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, a, b, p, i, total = 0;
	int fold = t->kind ? t->fold : -1;
	double *bias = calloc(npair, sizeof(*bias));
	double *dec = t->kind == 1 ? calloc(hd->n * npair, sizeof(*dec)) : NULL;
	struct svm_node **sv = t->kind == 0 ? calloc(npair, sizeof(*sv)) : NULL;
	struct svm_node **own = t->kind == 0 ? calloc(npair, sizeof(*own)) : NULL;
	size_t *len = t->kind == 0 ? calloc(npair, sizeof(*len)) : NULL;
	int *votes = malloc(k * sizeof(*votes));

	t->rc = TN_ENOMEM;
	if (!bias || !votes || (t->kind == 1 && !dec) || (t->kind == 0 && (!sv || !own || !len)))
		goto out;
	for (a = 0, p = 0; a < k; a++)
		for (b = a + 1; b < k; b++, p++) {
			double sign = 1.0, *out = t->kind == 1 ? dec : hd->cal_dec;
			int empty;
			struct model *m = train_pair(ds, hd, folds, fold, a, b, &sign, &empty);

			if (!m && !empty)
				goto out;
			if (empty)
				bias[p] = sign;  /* one class only: always that class */
			else
				bias[p] = sign * m->w[(size_t)m->nr_feature] * m->bias;
			if (t->kind == 0) {
				size_t nf = m ? (size_t)m->nr_feature : 0, j, n = 0;

				for (j = 0; j < nf; j++)
					n += m->w[j] != 0.0;
				own[p] = malloc((n + 1) * sizeof(**own));
				if (!own[p]) {
					free_and_destroy_model(&m);
					goto out;
				}
				for (j = 0, n = 0; j < nf; j++)
					if (m->w[j] != 0.0) {
						own[p][n].index = (int)j + 1;
						own[p][n++].value = sign * m->w[j];
					}
				own[p][n].index = -1;
				own[p][n].value = 0;
				len[p] = n + 1;
				total += n + 1;
			} else {
				for (i = 0; i < hd->n; i++)
					if (folds[i] == fold)
						out[i * npair + p] = empty ? bias[p] :
							pair_decision(m, sign, ds->lx[hd->docs[i]]);
			}
			if (m)
				free_and_destroy_model(&m);
		}
	if (t->kind == 1)
		for (i = 0; i < hd->n; i++)
			if (folds[i] == fold)
				hd->cv_pred[i] = vote(k, dec + i * npair, votes);
	if (t->kind == 0) {
		/* libsvm frees a loaded-style model's vectors as one block at SV[0]. */
		struct svm_node *block = malloc((total ? total : 1) * sizeof(*block)), *at = block;

		if (!block)
			goto out;
		for (p = 0; p < npair; p++) {
			memcpy(at, own[p], len[p] * sizeof(*at));
			sv[p] = at;
			at += len[p];
		}
		t->model = pairs_model(hd, o, sv, bias);
		if (!t->model) {
			free(block);
			goto out;
		}
		sv = NULL;
	}
	t->rc = 0;
out:
	if (own)
		for (p = 0; p < npair; p++)
			free(own[p]);
	free(own);
	free(len);
	free(sv);
	free(bias);
	free(dec);
	free(votes);
}

static void run_task(const struct dataset *ds, struct head_data *hds, const struct tn_train_opts *o,
		     struct task *t)
{
	struct head_data *hd = &hds[t->head];
	const int *folds = t->kind == 1 ? hd->cv_fold : t->kind == 2 ? hd->cal_fold : NULL;
	size_t npair = hd->nclass * (hd->nclass - 1) / 2, i;
	double *tmp;

	if (o->solver == TN_SOLVER_LINEAR) {
		run_task_pairs(ds, hd, o, t, folds);
		return;
	}
	if (o->solver == TN_SOLVER_LIBLINEAR) {
		t->lmodel = train_subset_lin(ds, hd, o, folds, t->kind ? t->fold : -1);
		if (!t->lmodel) {
			t->rc = TN_ENOMEM;
			return;
		}
		if (t->kind == 1) {
			for (i = 0; i < hd->n; i++)
				if (folds[i] == t->fold)
					hd->cv_pred[i] = (int)predict(t->lmodel, ds->lx[hd->docs[i]]);
			free_and_destroy_model(&t->lmodel);
			t->lmodel = NULL;  /* liblinear's destroy, unlike libsvm's, leaves the pointer */
		}
		return;
	}
	t->model = train_subset(ds, hd, o, folds, t->kind ? t->fold : -1);
	if (!t->model) {
		t->rc = TN_ENOMEM;
		return;
	}
	if (t->kind == 0)
		return;
	tmp = malloc((npair + 1) * sizeof(*tmp));
	if (!tmp) {
		t->rc = TN_ENOMEM;
		return;
	}
	for (i = 0; i < hd->n; i++) {
		if (folds[i] != t->fold)
			continue;
		if (t->kind == 1)
			hd->cv_pred[i] = (int)svm_predict(t->model, ds->x[hd->docs[i]]);
		else
			full_decisions(t->model, ds->x[hd->docs[i]], hd->nclass, hd->cal_dec + i * npair, tmp);
	}
	free(tmp);
	svm_free_and_destroy_model(&t->model);
}

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
static int calibrate(struct svm_model *m, const struct head_data *hd)
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
			size_t mp = pair_index((size_t)nr, (size_t)ii, (size_t)jj), n = 0;
			double sign;

			a = (size_t)m->label[ii];
			b = (size_t)m->label[jj];
			sign = a < b ? 1.0 : -1.0;
			for (i = 0; i < hd->n; i++) {
				size_t c = (size_t)hd->y[i];

				if (c != a && c != b)
					continue;
				f[n] = sign * hd->cal_dec[i * npair + pair_index(k, a < b ? a : b, a < b ? b : a)];
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

static json_t *head_info(const struct tn_corpus *c, size_t h, const struct head_data *hd,
			 const struct tn_train_opts *o)
{
	json_t *counts = json_object();
	size_t k;

	for (k = 0; k < hd->nclass; k++)
		json_object_set_new(counts, c->heads[h].classes[k], json_integer((json_int_t)hd->count[k]));
	return json_pack("{s:s, s:s, s:f, s:f, s:s, s:i, s:o}",
			 "solver", tn_solver_name(o->solver),
			 "multiclass", o->solver == TN_SOLVER_LIBLINEAR ? "one-vs-rest" : "one-vs-one",
			 "C", hd->C,
			 "gamma", o->kernel == TN_KERNEL_RBF ? o->gamma : 0.0,
			 "class_weight", hd->balanced ? "balanced" : "none",
			 "documents", (json_int_t)hd->n,
			 "class_counts", counts);
}

int tn_train(struct tn_bundle **out, const struct tn_corpus *c, const struct tn_feat_opts *fo,
	     const struct tn_train_opts *o, const struct tn_progress *prog,
	     struct tn_confusion *cv_conf, struct tn_err *err)
{
	struct tn_bundle *b = NULL;
	struct head_data *hds = NULL;
	struct task *tasks = NULL;
	struct dataset ds;
	size_t h, nt = 0, t, done = 0;
	int rc;

	*out = NULL;
	memset(&ds, 0, sizeof(ds));
	svm_set_print_string_function(quiet);
	set_print_string_function(quiet);
	if ((rc = tn_feat_opts_check(fo, err)) || (rc = tn_train_opts_check(o, err)))
		return rc;
	if (c->ndocs == 0)
		return tn_err_set(err, TN_EINVAL, "the corpus is empty");
	if (c->nheads == 0)
		return tn_err_set(err, TN_EINVAL, "the corpus has no label field");
	b = tn_bundle_create(fo);
	hds = calloc(c->nheads, sizeof(*hds));
	tasks = calloc(c->nheads * (1 + (size_t)o->cv + CALIB_FOLDS), sizeof(*tasks));
	b = b ? b : NULL;
	if (!b || !hds || !tasks) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	for (h = 0; h < c->nheads; h++) {
		int f;

		if (!tn_bundle_valid_head_name(c->heads[h].name)) {
			rc = tn_err_set(err, TN_EINVAL, "label field '%s' cannot name a head: use letters, digits, '_', '-' and '.'",
					c->heads[h].name);
			goto out;
		}
		rc = head_data_build(c, h, o, &hds[h], err);
		if (rc)
			goto out;
		tasks[nt++] = (struct task){ .head = h, .kind = 0 };
		for (f = 0; f < o->cv; f++)
			tasks[nt++] = (struct task){ .head = h, .kind = 1, .fold = f };
		for (f = 0; o->probability && f < CALIB_FOLDS; f++)
			tasks[nt++] = (struct task){ .head = h, .kind = 2, .fold = f };
	}
	rc = build_dataset(c, fo, b->idf, &ds, prog, err);
	if (rc)
		goto out;
	if (ds.nfeat == 0) {
		rc = tn_err_set(err, TN_EINVAL, "no n-gram occurs in %d or more documents: lower --min-df or add documents",
				fo->min_df);
		goto out;
	}
	progress(prog, "training", 0, nt);
	if (o->solver != TN_SOLVER_LIBSVM) {
		if (build_liblinear_vectors(&ds, fo->bits)) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			goto out;
		}
		/* Serial: liblinear draws from rand() (see train.h). */
		for (t = 0; t < nt; t++) {
			srand((unsigned)(o->seed + t));
			run_task(&ds, hds, o, &tasks[t]);
			progress(prog, "training", t + 1, nt);
		}
	} else {
		/* Tasks are listed final model first, so the longest start first. */
#pragma omp parallel for schedule(dynamic, 1) default(none) shared(ds, hds, o, tasks, nt, prog, done)
		for (size_t i = 0; i < nt; i++) {
			run_task(&ds, hds, o, &tasks[i]);
#pragma omp atomic
			done++;
			if (omp_get_thread_num() == 0)
				progress(prog, "training", done, nt);
		}
		progress(prog, "training", nt, nt);
	}
	for (t = 0; t < nt; t++)
		if (tasks[t].rc) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory training head '%s'", c->heads[tasks[t].head].name);
			goto out;
		}
	b->heads = calloc(c->nheads, sizeof(*b->heads));
	if (!b->heads) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	for (t = 0; t < nt; t++) {
		struct tn_head *hd;
		const struct tn_corpus_head *ch;
		size_t k;

		if (tasks[t].kind != 0)
			continue;
		h = tasks[t].head;
		ch = &c->heads[h];
		hd = &b->heads[b->nheads++];
		hd->svm = tasks[t].model;
		hd->lin = tasks[t].lmodel;
		tasks[t].model = NULL;
		tasks[t].lmodel = NULL;
		hd->name = strdup(ch->name);
		hd->nclass = ch->nclass;
		hd->classes = calloc(ch->nclass, sizeof(char *));
		hd->info = head_info(c, h, &hds[h], o);
		if (!hd->name || !hd->classes || !hd->info) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			goto out;
		}
		for (k = 0; k < ch->nclass; k++)
			if (!(hd->classes[k] = strdup(ch->classes[k]))) {
				rc = tn_err_set(err, TN_ENOMEM, "out of memory");
				goto out;
			}
		if (o->probability && calibrate(hd->svm, &hds[h])) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			goto out;
		}
		if (o->cv) {
			struct tn_confusion conf;
			size_t i;

			if (tn_confusion_init(&conf, ch->nclass)) {
				rc = tn_err_set(err, TN_ENOMEM, "out of memory");
				goto out;
			}
			for (i = 0; i < hds[h].n; i++)
				tn_confusion_add(&conf, (int)hds[h].y[i], hds[h].cv_pred[i]);
			json_object_set_new(hd->info, "cv", tn_confusion_json(&conf, (const char *const *)ch->classes));
			json_object_set_new(json_object_get(hd->info, "cv"), "folds", json_integer(o->cv));
			if (cv_conf)
				cv_conf[h] = conf;
			else
				tn_confusion_release(&conf);
		}
	}
	/* The models point into the vectors: the bundle keeps them. */
	b->sv_pool = ds.pool;
	b->sv_index = ds.x;
	ds.pool = NULL;
	ds.x = NULL;
	*out = b;
	b = NULL;
out:
	if (tasks)
		for (t = 0; t < nt; t++)
		{
			if (tasks[t].model)
				svm_free_and_destroy_model(&tasks[t].model);
			if (tasks[t].lmodel) {
				free_and_destroy_model(&tasks[t].lmodel);
				tasks[t].lmodel = NULL;
			}
		}
	if (hds)
		for (h = 0; h < c->nheads; h++)
			head_data_release(&hds[h]);
	free(hds);
	free(tasks);
	dataset_release(&ds);
	tn_bundle_free(b);
	return rc;
}

int tn_evaluate(const struct tn_bundle *b, const struct tn_corpus *c, struct tn_confusion *conf,
		struct tn_err *err)
{
	struct tn_predictor *p = NULL;
	size_t h, n = c->ndocs;
	int rc, nthreads = omp_get_max_threads();
	struct tn_confusion *per = NULL;

	rc = tn_predictor_create(&p, b, err);
	if (rc)
		return rc;
	for (h = 0; h < b->nheads; h++)
		if (tn_confusion_init(&conf[h], b->heads[h].nclass))
			rc = TN_ENOMEM;
	per = calloc((size_t)nthreads * b->nheads, sizeof(*per));
	if (!per || rc) {
		tn_predictor_free(p);
		free(per);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
#pragma omp parallel default(none) shared(b, c, p, per, rc, n)
	{
		int me = omp_get_thread_num();
		struct tn_feat_scratch *fs = tn_feat_scratch_create(&b->feat);
		struct tn_predict_scratch *ps = tn_predict_scratch_create(p);
		struct tn_head_result *res = calloc(b->nheads, sizeof(*res));
		struct tn_confusion *mine = per + (size_t)me * b->nheads;
		struct tn_counts cnt;
		struct tn_vec v;
		size_t hh;
		int ok = fs && ps && res;

		tn_counts_init(&cnt);
		tn_vec_init(&v);
		for (hh = 0; hh < b->nheads && ok; hh++)
			ok = !tn_confusion_init(&mine[hh], b->heads[hh].nclass);
		if (!ok) {
#pragma omp atomic write
			rc = TN_ENOMEM;
		}
#pragma omp for schedule(dynamic, 64)
		for (size_t i = 0; i < n; i++) {
			if (!ok || tn_feat_count(&b->feat, fs, c->text[i], c->len[i], &cnt, NULL) ||
			    tn_feat_weigh(&b->feat, b->idf, &cnt, &v) || tn_predict(p, ps, &v, res, NULL))
				continue;
			for (hh = 0; hh < b->nheads; hh++)
				tn_confusion_add(&mine[hh], c->label[i * c->nheads + hh], res[hh].cls);
		}
		tn_counts_release(&cnt);
		tn_vec_release(&v);
		tn_feat_scratch_free(fs);
		tn_predict_scratch_free(ps);
		free(res);
	}
	for (int t = 0; t < nthreads; t++)
		for (h = 0; h < b->nheads; h++) {
			if (per[(size_t)t * b->nheads + h].m)
				tn_confusion_merge(&conf[h], &per[(size_t)t * b->nheads + h]);
			tn_confusion_release(&per[(size_t)t * b->nheads + h]);
		}
	free(per);
	tn_predictor_free(p);
	if (rc)
		return tn_err_set(err, rc, "out of memory evaluating");
	return 0;
}

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
	struct tn_confusion *conf = calloc(nh ? nh : 1, sizeof(*conf));
	struct tn_train_opts fin = *o;
	struct tn_feat_opts ff = *fo;
	size_t total = g->nngram * ncomb, done = 0;
	json_t *tried = json_array();

	*out = NULL;
	if (!score || !bestC || !bestbal || !conf || !tried) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	for (n = 0; n < g->nngram && !rc; n++) {
		for (k = 0; k < ncomb && !rc; k++) {
			struct tn_train_opts t = *o;
			struct tn_feat_opts tf = *fo;
			struct tn_bundle *b = NULL;

			tf.word_min = 1;
			tf.word_max = g->ngram_max[n];
			t.C = g->C[k % g->nC];
			t.balanced = (int)(k / g->nC);
			t.cv = g->folds;
			t.probability = 0;
			t.head_C = NULL;
			t.head_balanced = NULL;
			rc = tn_train(&b, c, &tf, &t, NULL, conf, err);
			tn_bundle_free(b);
			for (h = 0; !rc && h < nh; h++) {
				double mf1;

				tn_confusion_scores(&conf[h], NULL, &mf1, NULL);
				score[(n * ncomb + k) * nh + h] = mf1;
				tn_confusion_release(&conf[h]);
			}
			progress(prog, "grid", ++done, total);
		}
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
	rc = tn_train(out, c, &ff, &fin, prog, cv_conf, err);
	if (!rc) {
		*fo = ff;
		json_object_set_new((*out)->info, "grid",
				    json_pack("{s:i, s:s, s:O}", "folds", g->folds, "criterion", "mean cross-validated macro-F1",
					      "tried", tried));
	}
out:
	json_decref(tried);
	free(score);
	free(bestC);
	free(bestbal);
	free(conf);
	return rc;
}
