/*
 * solve.c - one training task (train_internal.h): a head's final model, a
 * cross-validation fold or a calibration fold, with the head's solver:
 * libsvm's C-SVC, liblinear one-vs-rest, or the pairwise linear solver
 * (each class pair by liblinear's dual solver, kept as a libsvm model).
 */
#include "train_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * rand() and srand() for the whole process, with one state per thread.
 * liblinear's dual solver shuffles with rand(), and glibc's rand() has one
 * state for the process: tasks drawing from it in parallel would get numbers
 * in the order the threads happen to ask, and models that depend on the
 * schedule.  These definitions take the place of the C library's (the
 * program's own symbols come first, for liblinear's calls as for ours) and
 * run glibc's own generator (random_r on a 128-byte TYPE_3 state, which is
 * what rand() runs) on a state of the calling thread: after srand(s) a thread
 * draws exactly the numbers rand() gives after srand(s) in a process of one
 * thread, so a task's model depends on its seed alone, whatever thread runs
 * it and whatever runs beside it (test_train: test_threads_do_not_matter).
 */
static _Thread_local struct random_data rand_data;
static _Thread_local char rand_state[128];
static _Thread_local int rand_seeded;

void srand(unsigned seed)
{
	memset(&rand_data, 0, sizeof(rand_data));
	initstate_r(seed, rand_state, sizeof(rand_state), &rand_data);
	rand_seeded = 1;
}

int rand(void)
{
	int32_t r;

	if (!rand_seeded)
		srand(1);   /* as the C library's rand() before any srand() */
	random_r(&rand_data, &r);
	return (int)r;
}

static void set_param(struct svm_parameter *p, const struct tn_train_opts *o, const struct tn_head_data *hd,
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
static size_t training_docs(const struct tn_head_data *hd, const int *folds, int fold, double *pos)
{
	size_t i, n = 0;

	for (i = 0; i < hd->n; i++)
		if (fold < 0 || folds[i] != fold)
			pos[n++] = (double)i;
	return n;
}

/*
 * liblinear's copies of the vectors, renumbered over the buckets they use
 * (in bucket order, so each vector's nodes stay sorted and liblinear sums in
 * the same order), each with the bias node before the end.
 */
int tn_dataset_add_liblinear(struct tn_dataset *ds)
{
	size_t d, total = 0, off = 0, j;
	int *num = calloc((size_t)ds->nbuckets + 1, sizeof(*num)), nf = 0;

	if (!num)
		return TN_ENOMEM;
	for (d = 0; d < ds->n; d++) {
		const struct svm_node *x = ds->x[d];

		for (; x->index != -1; x++)
			num[x->index] = 1;
		total += (size_t)(x - ds->x[d]) + 2;
	}
	for (j = 1; j <= (size_t)ds->nbuckets; j++)
		if (num[j])
			num[j] = ++nf;
	ds->lx = malloc((ds->n ? ds->n : 1) * sizeof(*ds->lx));
	ds->lpool = malloc((total ? total : 1) * sizeof(*ds->lpool));
	ds->lbucket = malloc((nf ? (size_t)nf : 1) * sizeof(*ds->lbucket));
	if (!ds->lx || !ds->lpool || !ds->lbucket) {
		free(num);
		return TN_ENOMEM;
	}
	for (j = 1; j <= (size_t)ds->nbuckets; j++)
		if (num[j])
			ds->lbucket[num[j] - 1] = (int)j;
	ds->nlfeat = nf;
	for (d = 0; d < ds->n; d++) {
		const struct svm_node *x = ds->x[d];

		ds->lx[d] = ds->lpool + off;
		for (; x->index != -1; x++, off++) {
			ds->lpool[off].index = num[x->index];
			ds->lpool[off].value = x->value;
		}
		ds->lpool[off].index = nf + 1;
		ds->lpool[off++].value = 1.0;
		ds->lpool[off++].index = -1;
	}
	free(num);
	return 0;
}

/*
 * A liblinear model trained on ds->lx, its weights moved back to bucket
 * indices (2^bits features and the bias), as classify reads it.  0 or
 * TN_ENOMEM (m unchanged).
 */
static int lin_to_buckets(const struct tn_dataset *ds, struct model *m)
{
	size_t nw = m->nr_class == 2 ? 1 : (size_t)m->nr_class, nf = (size_t)m->nr_feature, j;
	size_t rows = (size_t)ds->nbuckets + (m->bias >= 0);
	double *w = calloc(rows * nw, sizeof(*w));

	if (!w)
		return TN_ENOMEM;
	for (j = 0; j < nf; j++)
		memcpy(w + (size_t)(ds->lbucket[j] - 1) * nw, m->w + j * nw, nw * sizeof(*w));
	if (m->bias >= 0)
		memcpy(w + (size_t)ds->nbuckets * nw, m->w + nf * nw, nw * sizeof(*w));
	free(m->w);
	m->w = w;
	m->nr_feature = ds->nbuckets;
	return 0;
}

static struct model *train_subset_lin(const struct tn_dataset *ds, const struct tn_head_data *hd,
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
	prob.n = ds->nlfeat + 1;
	prob.bias = 1.0;
	set_param(&sp, o, hd, wl, w);
	memset(&param, 0, sizeof(param));
	param.solver_type = o->squared_hinge ? L2R_L2LOSS_SVC_DUAL : L2R_L1LOSS_SVC_DUAL;
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
static struct svm_model *train_subset(const struct tn_dataset *ds, const struct tn_head_data *hd,
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

/* libsvm pair index of classes a < b among k. */
size_t tn_pair_index(size_t k, size_t a, size_t b)
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
			double v = tmp[tn_pair_index((size_t)nr, (size_t)i, (size_t)j)];

			if (a < b)
				out[tn_pair_index(k, a, b)] = v;
			else
				out[tn_pair_index(k, b, a)] = -v;
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
static struct model *train_pair(const struct tn_dataset *ds, const struct tn_head_data *hd,
				const struct tn_train_opts *o, const int *folds, int fold,
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
	prob.n = ds->nlfeat + 1;
	prob.bias = 1.0;
	memset(&param, 0, sizeof(param));
	param.solver_type = o->squared_hinge ? L2R_L2LOSS_SVC_DUAL : L2R_L1LOSS_SVC_DUAL;
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
static struct svm_model *pairs_model(const struct tn_head_data *hd, const struct tn_train_opts *o,
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
static void run_task_pairs(const struct tn_dataset *ds, struct tn_head_data *hd, const struct tn_train_opts *o,
			   struct tn_task *t, const int *folds)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, a, b, p, i, total = 0;
	int fold = t->kind != TN_TASK_FINAL ? t->fold : -1;
	double *bias = calloc(npair, sizeof(*bias));
	double *dec = t->kind == TN_TASK_CV ? calloc(hd->n * npair, sizeof(*dec)) : NULL;
	struct svm_node **sv = t->kind == TN_TASK_FINAL ? calloc(npair, sizeof(*sv)) : NULL;
	struct svm_node **own = t->kind == TN_TASK_FINAL ? calloc(npair, sizeof(*own)) : NULL;
	size_t *len = t->kind == TN_TASK_FINAL ? calloc(npair, sizeof(*len)) : NULL;
	int *votes = malloc(k * sizeof(*votes));

	t->rc = TN_ENOMEM;
	if (!bias || !votes || (t->kind == TN_TASK_CV && !dec) || (t->kind == TN_TASK_FINAL && (!sv || !own || !len)))
		goto out;
	for (a = 0, p = 0; a < k; a++)
		for (b = a + 1; b < k; b++, p++) {
			double sign = 1.0, *out = t->kind == TN_TASK_CV ? dec : hd->cal_dec;
			int empty;
			struct model *m = train_pair(ds, hd, o, folds, fold, a, b, &sign, &empty);

			if (!m && !empty)
				goto out;
			if (empty)
				bias[p] = sign;  /* one class only: always that class */
			else
				bias[p] = sign * m->w[(size_t)m->nr_feature] * m->bias;
			if (t->kind == TN_TASK_FINAL) {
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
						own[p][n].index = ds->lbucket[j];
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
	if (t->kind == TN_TASK_CV)
		for (i = 0; i < hd->n; i++)
			if (folds[i] == fold) {
				hd->cv_pred[i] = vote(k, dec + i * npair, votes);
				if (hd->cal_dec)   /* the CV folds calibrate too */
					memcpy(hd->cal_dec + i * npair, dec + i * npair, npair * sizeof(*dec));
			}
	if (t->kind == TN_TASK_FINAL) {
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

/*
 * Each class's one-vs-rest score w_c . x + b_c from a liblinear model, by
 * class id (classes the model lacks get the lowest score less 1).  Binary
 * models hold one weight vector, positive toward their first label.
 */
static void ovr_scores(const struct model *m, size_t k, const struct feature_node *x, double *dec,
		       double *score)
{
	size_t c;
	double low = INFINITY;
	int nw = m->nr_class == 2 ? 1 : m->nr_class;

	predict_values(m, x, dec);
	for (c = 0; c < k; c++)
		score[c] = NAN;
	if (m->nr_class == 1) {
		/* A fold with one class only: that class; the others get the lowest score less 1 below. */
		score[m->label[0]] = 0;
	} else if (nw == 1) {
		/* The pair value is dec[0] itself, as the saved model's decision value is. */
		score[m->label[0]] = dec[0];
		score[m->label[1]] = 0;
	} else {
		for (c = 0; c < (size_t)m->nr_class; c++)
			score[m->label[c]] = dec[c];
	}
	for (c = 0; c < k; c++)
		if (!isnan(score[c]) && score[c] < low)
			low = score[c];
	for (c = 0; c < k; c++)
		if (isnan(score[c]))
			score[c] = low - 1;
}

/*
 * A one-vs-rest liblinear model as a linear libsvm model: one support vector
 * per class holding its weight vector w_c, with coefficient +1 toward the
 * classes after it and -1 toward those before, and rho_ij = b_j - b_i, so that
 * libsvm's pair (i, j) decides by w_i . x + b_i - (w_j . x + b_j) and its vote
 * elects the class of the highest score, as one-vs-rest does.  Two classes:
 * one support vector, w of the first class against the second.
 */
static struct svm_model *ovr_model(const struct tn_dataset *ds, const struct model *lm,
				   const struct tn_head_data *hd, const struct tn_train_opts *o, double *bias)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, nf = (size_t)lm->nr_feature, i, j, p, total = 0;
	size_t nsv = k == 2 ? 1 : k, nw = lm->nr_class == 2 ? 1 : (size_t)lm->nr_class;
	struct svm_model *m = calloc(1, sizeof(*m));
	struct svm_node *block;
	double *b = calloc(k, sizeof(double));
	int *col = malloc(k * sizeof(int));

	if (!m || !b || !col)
		goto oom;
	/* The weight column of each class id; binary: column 0 is label[0]'s. */
	for (i = 0; i < k; i++)
		col[i] = -1;
	for (i = 0; i < (size_t)lm->nr_class; i++)
		col[lm->label[i]] = (int)i;
	for (i = 0; i < k; i++)
		if (col[i] < 0)
			goto oom;  /* a final model has every class */
	for (i = 0; i < nsv; i++)
		for (j = 0; j < nf; j++)
			total += lm->w[j * nw + (nw == 1 ? 0 : (size_t)col[i])] != 0.0;
	m->param.svm_type = C_SVC;
	m->param.kernel_type = LINEAR;
	m->param.C = hd->C;
	m->param.eps = o->eps;
	m->nr_class = (int)k;
	m->l = (int)nsv;
	m->free_sv = 1;
	m->SV = calloc(nsv, sizeof(*m->SV));
	m->sv_coef = calloc(k - 1, sizeof(*m->sv_coef));
	m->rho = malloc(npair * sizeof(*m->rho));
	m->label = malloc(k * sizeof(*m->label));
	m->nSV = calloc(k, sizeof(*m->nSV));
	block = malloc((total + nsv) * sizeof(*block));
	if (!m->SV || !m->sv_coef || !m->rho || !m->label || !m->nSV || !block) {
		free(block);
		goto oom;
	}
	for (i = 0; i + 1 < k; i++)
		if (!(m->sv_coef[i] = calloc(nsv, sizeof(double)))) {
			free(block);
			goto oom;
		}
	for (i = 0; i < nsv; i++) {
		/* Binary: the vector points toward class 0 whichever label liblinear put first. */
		double sign = nw == 1 && lm->label[0] != 0 ? -1.0 : 1.0;
		size_t c = nw == 1 ? 0 : (size_t)col[i];

		m->SV[i] = block;
		for (j = 0; j < nf; j++)
			if (lm->w[j * nw + c] != 0.0) {
				block->index = ds->lbucket[j];
				block++->value = sign * lm->w[j * nw + c];
			}
		block++->index = -1;
		b[i] = lm->bias >= 0 ? sign * lm->w[nf * nw + c] * lm->bias : 0.0;
		m->nSV[i] = 1;
	}
	for (i = 0; i < k; i++)
		m->label[i] = (int)i;
	memcpy(bias, b, nsv * sizeof(*b));
	for (i = 0, p = 0; i < k; i++)
		for (j = i + 1; j < k; j++, p++) {
			if (nsv == 1) {
				m->sv_coef[0][0] = 1.0;
				m->rho[p] = -b[0];
				continue;
			}
			m->sv_coef[j - 1][i] = 1.0;   /* class i's vector toward j */
			m->sv_coef[i][j] = -1.0;      /* class j's vector toward i */
			m->rho[p] = b[j] - b[i];
		}
	free(b);
	free(col);
	return m;
oom:
	free(b);
	free(col);
	if (m)
		svm_free_and_destroy_model(&m);
	return NULL;
}

/*
 * A task of the linear solver one-vs-rest: liblinear's multi-class training
 * on the documents outside the task's fold.  A final task leaves the libsvm
 * form of the model in t->model; a CV task the held-out classes; a
 * calibration task each held-out document's pair decision values
 * (differences of the classes' scores).
 */
static void run_task_ovr(const struct tn_dataset *ds, struct tn_head_data *hd, const struct tn_train_opts *o,
			 struct tn_task *t, const int *folds)
{
	size_t k = hd->nclass, npair = k * (k - 1) / 2, i, a, b, p;
	int fold = t->kind != TN_TASK_FINAL ? t->fold : -1;
	struct model *lm = train_subset_lin(ds, hd, o, folds, fold);
	double *dec = malloc((k + 1) * sizeof(double)), *score = malloc((k + 1) * sizeof(double));

	t->rc = TN_ENOMEM;
	if (!lm || !dec || !score)
		goto out;
	if (t->kind == TN_TASK_FINAL) {
		if (!(t->bias = calloc(k, sizeof(double))) || !(t->model = ovr_model(ds, lm, hd, o, t->bias)))
			goto out;
		t->nbias = k == 2 ? 1 : k;
	} else {
		for (i = 0; i < hd->n; i++) {
			if (folds[i] != fold)
				continue;
			ovr_scores(lm, k, ds->lx[hd->docs[i]], dec, score);
			/* liblinear's own choice: the first class of the highest score in its label order. */
			if (t->kind == TN_TASK_CV)
				hd->cv_pred[i] = (int)predict(lm, ds->lx[hd->docs[i]]);
			if (!hd->cal_dec)
				continue;
			for (a = 0, p = 0; a < k; a++)
				for (b = a + 1; b < k; b++, p++)
					hd->cal_dec[i * npair + p] = score[a] - score[b];
		}
	}
	t->rc = 0;
out:
	if (lm)
		free_and_destroy_model(&lm);
	free(dec);
	free(score);
}

void tn_solve_task(const struct tn_dataset *ds, struct tn_head_data *hds, const struct tn_train_opts *o,
		     struct tn_task *t)
{
	struct tn_head_data *hd = &hds[t->head];
	const int *folds = t->kind == TN_TASK_CV ? hd->cv_fold : t->kind == TN_TASK_CALIBRATION ? hd->cal_fold : NULL;
	size_t npair = hd->nclass * (hd->nclass - 1) / 2, i;
	double *tmp;

	if (o->solver == TN_SOLVER_LINEAR) {
		if (o->one_vs_one)
			run_task_pairs(ds, hd, o, t, folds);
		else
			run_task_ovr(ds, hd, o, t, folds);
		return;
	}
	if (o->solver == TN_SOLVER_LIBLINEAR) {
		t->lmodel = train_subset_lin(ds, hd, o, folds, t->kind != TN_TASK_FINAL ? t->fold : -1);
		if (!t->lmodel || (t->kind == TN_TASK_FINAL && lin_to_buckets(ds, t->lmodel))) {
			if (t->lmodel)
				free_and_destroy_model(&t->lmodel);
			t->lmodel = NULL;
			t->rc = TN_ENOMEM;
			return;
		}
		if (t->kind != TN_TASK_FINAL) {
			size_t k = hd->nclass, a, b, p;
			double *dec = malloc((k + 1) * sizeof(double)), *score = malloc((k + 1) * sizeof(double));

			for (i = 0; dec && score && i < hd->n; i++) {
				if (folds[i] != t->fold)
					continue;
				if (t->kind == TN_TASK_CV)
					hd->cv_pred[i] = (int)predict(t->lmodel, ds->lx[hd->docs[i]]);
				if (!hd->cal_dec)
					continue;
				ovr_scores(t->lmodel, k, ds->lx[hd->docs[i]], dec, score);
				for (a = 0, p = 0; a < k; a++)
					for (b = a + 1; b < k; b++, p++)
						hd->cal_dec[i * npair + p] = score[a] - score[b];
			}
			if (!dec || !score)
				t->rc = TN_ENOMEM;
			free(dec);
			free(score);
			free_and_destroy_model(&t->lmodel);
			t->lmodel = NULL;  /* liblinear's destroy, unlike libsvm's, leaves the pointer */
		}
		return;
	}
	t->model = train_subset(ds, hd, o, folds, t->kind != TN_TASK_FINAL ? t->fold : -1);
	if (!t->model) {
		t->rc = TN_ENOMEM;
		return;
	}
	if (t->kind == TN_TASK_FINAL)
		return;
	tmp = malloc((npair + 1) * sizeof(*tmp));
	if (!tmp) {
		t->rc = TN_ENOMEM;
		return;
	}
	for (i = 0; i < hd->n; i++) {
		if (folds[i] != t->fold)
			continue;
		if (t->kind == TN_TASK_CV)
			hd->cv_pred[i] = (int)svm_predict(t->model, ds->x[hd->docs[i]]);
		if (hd->cal_dec)
			full_decisions(t->model, ds->x[hd->docs[i]], hd->nclass, hd->cal_dec + i * npair, tmp);
	}
	free(tmp);
	svm_free_and_destroy_model(&t->model);
}
