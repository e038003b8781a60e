/*
 * train.c - from a corpus to a bundle (train.h): the dataset of vectors, each
 * head's labeled documents and folds, the list of training tasks and running
 * them, then the bundle assembled from the final models.  The tasks' solvers
 * are in solve.c, calibration in calibrate.c, the grid search in grid.c.
 */
#include "train.h"
#include "train_internal.h"
#include "predict.h"
#include "manifest_json.h"
#include "buf.h"
#include "names.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void quiet(const char *s)
{
	(void)s;
}

static pthread_once_t silence_once = PTHREAD_ONCE_INIT;

/* libsvm's and liblinear's print hooks are process-wide: set once (train.h). */
static void silence_solvers(void)
{
	svm_set_print_string_function(quiet);
	set_print_string_function(quiet);
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
	o->probability = 1;
	o->platt = 1;
	o->fold_docs = TN_FOLD_DOCS;
}

int tn_train_opts_check(const struct tn_train_opts *o, struct tn_err *err)
{
	if (!(o->C > 0) || !isfinite(o->C))
		return tn_err_set(err, TN_EINVAL, "C must be a positive number");
	if (!(o->gamma > 0) || !isfinite(o->gamma))
		return tn_err_set(err, TN_EINVAL, "gamma must be a positive number");
	if (o->solver != TN_SOLVER_LIBSVM && o->kernel != TN_KERNEL_LINEAR)
		return tn_err_set(err, TN_EINVAL, "--kernel rbf needs --solver libsvm");
	if (o->solver == TN_SOLVER_LIBSVM && o->squared_hinge)
		return tn_err_set(err, TN_EINVAL, "--loss squared-hinge needs --solver linear or liblinear (libsvm's C-SVC has the hinge loss)");
	if (o->cv == 1 || o->cv < 0 || o->cv > 100)
		return tn_err_set(err, TN_EINVAL, "cross-validation needs 2..100 folds, not %d", o->cv);
	if (!(o->eps > 0))
		return tn_err_set(err, TN_EINVAL, "eps must be positive");
	return 0;
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

void tn_progress_report(const struct tn_progress *p, const char *stage, size_t done, size_t total)
{
	if (p && p->fn)
		p->fn(p->ctx, stage, done, total);
}

uint64_t tn_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A head's document and its corpus group, sorted by group. */
struct group_doc {
	uint64_t group;
	size_t i;               /* index among the head's documents */
};

static int cmp_group_doc(const void *a, const void *b)
{
	const struct group_doc *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* A run of gd: one group. */
struct group_run {
	size_t start, n;
	uint64_t order;         /* seeded random tie-break */
};

static int cmp_group_run(const void *a, const void *b)
{
	const struct group_run *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;   /* larger groups first */
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * The head's documents sorted by group into *gd, and the groups (largest
 * first, ties in seeded random order) into *runs.  0 or TN_ENOMEM.
 */
static int head_groups(const struct tn_head_data *hd, const uint64_t *group, uint64_t seed,
		       struct group_doc **gd, struct group_run **runs, size_t *nruns)
{
	size_t i, g = 0;

	*gd = malloc((hd->n ? hd->n : 1) * sizeof(**gd));
	*runs = malloc((hd->n ? hd->n : 1) * sizeof(**runs));
	if (!*gd || !*runs)
		return TN_ENOMEM;
	for (i = 0; i < hd->n; i++) {
		(*gd)[i].group = group[hd->docs[i]];
		(*gd)[i].i = i;
	}
	qsort(*gd, hd->n, sizeof(**gd), cmp_group_doc);
	for (i = 0; i < hd->n; i++) {
		if (i == 0 || (*gd)[i].group != (*gd)[i - 1].group) {
			uint64_t s = seed ^ (*gd)[i].group;

			(*runs)[g].start = i;
			(*runs)[g].n = 0;
			(*runs)[g].order = tn_splitmix64(&s);
			g++;
		}
		(*runs)[g - 1].n++;
	}
	qsort(*runs, g, sizeof(**runs), cmp_group_run);
	*nruns = g;
	return 0;
}

size_t tn_head_group_count(const struct tn_head_data *hd, const uint64_t *group)
{
	uint64_t *g = malloc((hd->n ? hd->n : 1) * sizeof(*g));
	size_t i, n;

	if (!g)
		return 0;
	for (i = 0; i < hd->n; i++)
		g[i] = group[hd->docs[i]];
	n = tn_count_distinct(g, hd->n);
	free(g);
	return n;
}

/*
 * Grouped folds: every document of a group in one fold.  Groups are placed
 * largest first, each into the fold where its classes are least represented
 * so far relative to the classes' totals (the sum over its documents of the
 * fold's count of their class / the class's count), the smaller fold on a
 * tie: a greedy stratification that deals single-document groups round-robin
 * within each class, as the ungrouped folds do.
 */
static int assign_group_folds(const struct tn_head_data *hd, const uint64_t *group, int k, uint64_t seed,
			      int *fold)
{
	struct group_doc *gd = NULL;
	struct group_run *runs = NULL;
	size_t *have = calloc((size_t)k * (hd->nclass ? hd->nclass : 1), sizeof(*have));
	size_t *size = calloc((size_t)k, sizeof(*size));
	size_t g, nruns = 0, j;
	int rc, f;

	rc = !have || !size ? TN_ENOMEM : head_groups(hd, group, seed, &gd, &runs, &nruns);
	for (g = 0; !rc && g < nruns; g++) {
		const struct group_run *r = &runs[g];
		double best = 0;
		int bf = 0;

		for (f = 0; f < k; f++) {
			double cost = 0;

			for (j = r->start; j < r->start + r->n; j++) {
				size_t y = (size_t)hd->y[gd[j].i];

				cost += (double)have[(size_t)f * hd->nclass + y] / (double)hd->count[y];
			}
			if (f == 0 || cost < best - 1e-12 || (cost < best + 1e-12 && size[f] < size[bf])) {
				best = cost;
				bf = f;
			}
		}
		for (j = r->start; j < r->start + r->n; j++) {
			fold[gd[j].i] = bf;
			have[(size_t)bf * hd->nclass + (size_t)hd->y[gd[j].i]]++;
		}
		size[bf] += r->n;
	}
	free(gd);
	free(runs);
	free(have);
	free(size);
	return rc;
}

/*
 * Stratified folds: each class shuffled with the seed, then dealt round-robin;
 * with groups (the corpus's group hashes, or NULL), assign_group_folds.
 */
static int assign_folds(const struct tn_head_data *hd, const uint64_t *group, int k, uint64_t seed, int *fold)
{
	size_t *idx, c, i, m, next = 0;

	if (group)
		return assign_group_folds(hd, group, k, seed, fold);
	idx = malloc((hd->n ? hd->n : 1) * sizeof(*idx));
	if (!idx)
		return TN_ENOMEM;
	for (c = 0; c < hd->nclass; c++) {
		uint64_t s = seed ^ (0x1000 + c);

		m = 0;
		for (i = 0; i < hd->n; i++)
			if ((size_t)hd->y[i] == c)
				idx[m++] = i;
		for (i = m; i > 1; i--) {
			size_t j = (size_t)(tn_splitmix64(&s) % i), t = idx[i - 1];

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

void tn_dataset_release(struct tn_dataset *d)
{
	free(d->x);
	free(d->pool);
	free(d->lx);
	free(d->lpool);
	free(d->lbucket);
	memset(d, 0, sizeof(*d));
}

/* Counts, idf and vectors of the whole corpus, in parallel over documents. */
int tn_dataset_build(const struct tn_corpus *c, const struct tn_feat_opts *fo, float *idf,
			 struct tn_dataset *ds, const struct tn_progress *prog, struct tn_err *err)
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
	tn_progress_report(prog, "features", 0, n);
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
	ds->nbuckets = 1 << fo->bits;
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
	tn_progress_report(prog, "features", n, n);
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
		tn_dataset_release(ds);
	return rc;
}

static void head_data_release(struct tn_head_data *hd)
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
			   struct tn_head_data *hd, struct tn_err *err)
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
	if (c->group && (o->cv || o->probability)) {
		int nf = o->cv ? o->cv : TN_CALIB_FOLDS;
		size_t g = tn_head_group_count(hd, c->group);

		if (g < (size_t)nf)
			return tn_err_set(err, TN_EINVAL, "head '%s': its documents form %zu group%s, fewer than the %d folds",
					  ch->name, g, g == 1 ? "" : "s", nf);
	}
	if (o->cv) {
		hd->cv_fold = malloc(hd->n * sizeof(int));
		hd->cv_pred = malloc(hd->n * sizeof(int));
		if (!hd->cv_fold || !hd->cv_pred || assign_folds(hd, c->group, o->cv, o->seed, hd->cv_fold))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	if (o->probability) {
		/* With cross-validation its folds' decision values calibrate too: no folds of their own. */
		hd->ncal_folds = o->cv ? o->cv : TN_CALIB_FOLDS;
		hd->cal_fold = malloc(hd->n * sizeof(int));
		hd->cal_dec = calloc(hd->n * npair, sizeof(double));
		if (!hd->cal_fold || !hd->cal_dec)
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		if (o->cv)
			memcpy(hd->cal_fold, hd->cv_fold, hd->n * sizeof(int));
		else if (assign_folds(hd, c->group, TN_CALIB_FOLDS, o->seed ^ 0xca11b, hd->cal_fold))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	return 0;
}

static json_t *head_info(const struct tn_corpus *c, size_t h, const struct tn_head_data *hd,
			 const struct tn_train_opts *o)
{
	json_t *counts = json_object();
	size_t k;

	for (k = 0; k < hd->nclass; k++)
		json_object_set_new(counts, c->heads[h].classes[k], json_integer((json_int_t)hd->count[k]));
	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:i, s:o}",
			 "solver", tn_solver_name(o->solver),
			 "loss", o->squared_hinge ? "squared-hinge" : "hinge",   /* libsvm: hinge (tn_train_opts_check) */
			 "multiclass", tn_one_vs_rest(o) ? "one-vs-rest" : "one-vs-one",
			 "C", hd->C,
			 "gamma", o->kernel == TN_KERNEL_RBF ? o->gamma : 0.0,
			 "class_weight", hd->balanced ? "balanced" : "none",
			 "documents", (json_int_t)hd->n,
			 "class_counts", counts);
}

void tn_plan_release(struct tn_plan *p)
{
	size_t h, t;

	for (t = 0; p->tasks && t < p->ntasks; t++) {
		if (p->tasks[t].model)
			svm_free_and_destroy_model(&p->tasks[t].model);
		if (p->tasks[t].lmodel) {
			free_and_destroy_model(&p->tasks[t].lmodel);
			p->tasks[t].lmodel = NULL;
		}
		free(p->tasks[t].bias);
	}
	for (h = 0; p->hds && h < p->nheads; h++)
		head_data_release(&p->hds[h]);
	free(p->hds);
	free(p->tasks);
	memset(p, 0, sizeof(*p));
}

int tn_plan_init(struct tn_plan *p, const struct tn_corpus *c, const struct tn_train_opts *o,
		 struct tn_err *err)
{
	size_t h;
	int rc;

	memset(p, 0, sizeof(*p));
	p->nheads = c->nheads;
	p->hds = calloc(c->nheads, sizeof(*p->hds));
	p->tasks = calloc(c->nheads * (1 + (size_t)o->cv + TN_CALIB_FOLDS), sizeof(*p->tasks));
	if (!p->hds || !p->tasks) {
		tn_plan_release(p);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	for (h = 0; h < c->nheads; h++) {
		const char *name = c->heads[h].name;
		int f;

		/* Valid as a file name, and no key of classify's records (id, error, *_score, *_scores). */
		rc = tn_bundle_check_head_names(&name, 1, err);
		if (rc) {
			tn_plan_release(p);
			return rc;
		}
		rc = head_data_build(c, h, o, &p->hds[h], err);
		if (rc) {
			tn_plan_release(p);
			return rc;
		}
		p->tasks[p->ntasks++] = (struct tn_task){ .head = h, .kind = TN_TASK_FINAL };
		for (f = 0; f < o->cv; f++)
			p->tasks[p->ntasks++] = (struct tn_task){ .head = h, .kind = TN_TASK_CV, .fold = f };
	}
	/*
	 * Calibration tasks last: the task index seeds liblinear's rand(), so the
	 * final and CV models are the same with or without calibration.
	 */
	for (h = 0; o->probability && !o->cv && h < c->nheads; h++)
		for (int f = 0; f < TN_CALIB_FOLDS; f++)
			p->tasks[p->ntasks++] = (struct tn_task){ .head = h, .kind = TN_TASK_CALIBRATION, .fold = f };
	return 0;
}

int tn_plan_run(struct tn_plan *p, struct tn_dataset *ds, const struct tn_corpus *c,
		const struct tn_train_opts *o, int final, const struct tn_progress *prog, struct tn_err *err)
{
	size_t nt = p->ntasks, t, done = 0;
	struct tn_task *tasks = p->tasks;
	struct tn_head_data *hds = p->hds;

	int nthreads = omp_get_max_threads();

	tn_progress_report(prog, "training", 0, nt);
	if (o->solver != TN_SOLVER_LIBSVM) {
		size_t k = 2, per, fit;

		if (!ds->lx && tn_dataset_add_liblinear(ds))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		for (t = 0; t < p->nheads; t++)
			k = hds[t].nclass > k ? hds[t].nclass : k;
		per = tn_linear_task_bytes(k, (size_t)ds->nlfeat);
		fit = TN_LINEAR_TASKS_MEMORY / per;
		if (fit < (size_t)nthreads)
			nthreads = fit ? (int)fit : 1;
	}
	/*
	 * Tasks are listed final model first, so the longest start first.  Each
	 * liblinear task seeds its thread's rand() (solve.c) with its index, so
	 * that its model does not depend on the thread or the schedule.
	 */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) default(none) \
	shared(ds, hds, o, tasks, nt, prog, done, final)
	for (size_t i = 0; i < nt; i++) {
		size_t now;

		if (final || tasks[i].kind != TN_TASK_FINAL) {
			if (o->solver != TN_SOLVER_LIBSVM)
				srand((unsigned)(o->seed + i));
			tn_solve_task(ds, hds, o, &tasks[i]);
		}
#pragma omp atomic capture
		now = ++done;
		if (omp_get_thread_num() == 0 && now < nt)
			tn_progress_report(prog, "training", now, nt);
	}
	tn_progress_report(prog, "training", nt, nt);   /* once, from the calling thread */
	for (t = 0; t < nt; t++)
		if (tasks[t].rc)
			return tn_err_set(err, TN_ENOMEM, "out of memory training head '%s'", c->heads[tasks[t].head].name);
	/* A model labelled by its most probable class is cross-validated on those labels. */
	for (t = 0; tn_platt_labels(o) && t < p->nheads; t++)
		if (hds[t].cv_pred && hds[t].cal_dec && tn_platt_oof_labels(&hds[t], hds[t].cv_pred))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	return 0;
}

size_t tn_linear_task_bytes(size_t nclass, size_t nbuckets)
{
	return 2 * (nbuckets + 1) * sizeof(double) * (nclass <= 2 ? 1 : nclass);
}

int tn_one_vs_rest(const struct tn_train_opts *o)
{
	return o->solver == TN_SOLVER_LIBLINEAR || (o->solver == TN_SOLVER_LINEAR && !o->one_vs_one);
}

int tn_platt_labels(const struct tn_train_opts *o)
{
	return o->probability && o->solver != TN_SOLVER_LIBLINEAR &&
	       (o->solver == TN_SOLVER_LIBSVM || o->one_vs_one || o->platt);
}

int tn_plan_cv_confusion(const struct tn_plan *p, size_t h, struct tn_confusion *conf)
{
	const struct tn_head_data *hd = &p->hds[h];
	size_t i;

	if (tn_confusion_init(conf, hd->nclass))
		return TN_ENOMEM;
	for (i = 0; i < hd->n; i++)
		tn_confusion_add(conf, (int)hd->y[i], hd->cv_pred[i]);
	return 0;
}

/*
 * Moves the final models of p into b's heads, with their manifest entries and
 * figures; fp (NULL: none) holds the folds that calibrate and cross-validate.
 */
static int assemble(struct tn_bundle *b, struct tn_plan *p, const struct tn_plan *fp, const struct tn_corpus *c,
		    const struct tn_train_opts *o, struct tn_confusion *cv_conf, struct tn_err *err)
{
	size_t t, h;

	b->heads = calloc(c->nheads, sizeof(*b->heads));
	if (!b->heads)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (t = 0; t < p->ntasks; t++) {
		struct tn_head *hd;
		const struct tn_corpus_head *ch;
		size_t k;

		if (p->tasks[t].kind != TN_TASK_FINAL)
			continue;
		h = p->tasks[t].head;
		ch = &c->heads[h];
		hd = &b->heads[b->nheads++];
		hd->svm = p->tasks[t].model;
		hd->lin = p->tasks[t].lmodel;
		p->tasks[t].model = NULL;
		p->tasks[t].lmodel = NULL;
		hd->name = strdup(ch->name);
		hd->nclass = ch->nclass;
		hd->classes = calloc(ch->nclass, sizeof(char *));
		hd->info = head_info(c, h, &p->hds[h], o);
		if (!hd->name || !hd->classes || !hd->info)
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		for (k = 0; k < ch->nclass; k++)
			if (!(hd->classes[k] = strdup(ch->classes[k])))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
		if (p->tasks[t].bias) {
			json_t *bias = json_array();
			size_t j;

			for (j = 0; bias && j < p->tasks[t].nbias; j++)
				json_array_append_new(bias, json_real(p->tasks[t].bias[j]));
			if (!bias || json_object_set_new(hd->info, "class_bias", bias))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
		}
		if (o->probability) {
			char *svg = NULL;
			struct tn_buf name = TN_BUF_INIT;
			int bad = !fp || tn_calibrate_head(hd, &fp->hds[h], tn_one_vs_rest(o), tn_platt_labels(o), &svg) ||
				  tn_buf_addf(&name, "reliability-%s.svg", hd->name) ||
				  tn_bundle_add_file(b, name.ptr, svg, strlen(svg));

			free(svg);
			tn_buf_release(&name);
			if (bad)
				return tn_err_set(err, TN_ENOMEM, "out of memory");
		}
		if (o->cv) {
			struct tn_confusion conf;

			if (!fp || tn_plan_cv_confusion(fp, h, &conf))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
			json_object_set_new(hd->info, "cv", tn_confusion_json(&conf, (const char *const *)ch->classes));
			json_object_set_new(json_object_get(hd->info, "cv"), "folds", json_integer(o->cv));
			json_object_set_new(json_object_get(hd->info, "cv"), "labels",
					    json_string(tn_platt_labels(o) ? "most probable class, pairwise Platt "
									     "sigmoids cross-fitted over the folds" :
									     "decision values"));
			if (c->group_field)
				json_object_set_new(json_object_get(hd->info, "cv"), "group_field",
						    json_string(c->group_field));
			if (cv_conf)
				cv_conf[h] = conf;
			else
				tn_confusion_release(&conf);
		}
	}
	return 0;
}

int tn_train_check(const struct tn_corpus *c, const struct tn_feat_opts *fo, const struct tn_train_opts *o,
		   struct tn_err *err)
{
	int rc;

	pthread_once(&silence_once, silence_solvers);
	if ((rc = tn_feat_opts_check(fo, err)) || (rc = tn_train_opts_check(o, err)))
		return rc;
	if (c->ndocs == 0)
		return tn_err_set(err, TN_EINVAL, "the corpus is empty");
	if (c->nheads == 0)
		return tn_err_set(err, TN_EINVAL, "the corpus has no label field");
	return 0;
}

int tn_train(struct tn_bundle **out, const struct tn_corpus *c, const struct tn_feat_opts *fo,
	     const struct tn_train_opts *o, const struct tn_progress *prog,
	     struct tn_confusion *cv_conf, struct tn_err *err)
{
	struct tn_bundle *b = NULL;
	struct tn_plan plan;
	struct tn_dataset ds;
	struct tn_folds folds;
	struct tn_train_opts fin = *o;
	int rc;

	*out = NULL;
	memset(&ds, 0, sizeof(ds));
	memset(&plan, 0, sizeof(plan));
	memset(&folds, 0, sizeof(folds));
	if ((rc = tn_train_check(c, fo, o, err)))
		return rc;
	/* First the folds (calibration, CV, the choice of features), then the final models. */
	if ((rc = tn_folds_run(&folds, c, fo, o, prog, err)))
		return rc;
	fin.cv = 0;
	fin.probability = 0;
	if (!(b = tn_bundle_create(&folds.fo))) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = tn_plan_init(&plan, c, &fin, err)))
		goto out;
	if (folds.ran && !folds.sampled) {
		/* The folds' vectors are the corpus's: the final models reuse them. */
		ds = folds.ds;
		memset(&folds.ds, 0, sizeof(folds.ds));
		memcpy(b->idf, folds.idf, ((size_t)1 << folds.fo.bits) * sizeof(*b->idf));
	} else if ((rc = tn_dataset_build(c, &folds.fo, b->idf, &ds, prog, err))) {
		goto out;
	}
	if (ds.nfeat == 0) {
		rc = tn_err_set(err, TN_EINVAL, "no n-gram occurs in %d or more documents: lower --min-df or add documents",
				folds.fo.min_df);
		goto out;
	}
	if ((rc = tn_plan_run(&plan, &ds, c, &fin, 1, prog, err)) ||
	    (rc = assemble(b, &plan, folds.ran ? &folds.plan : NULL, c, o, cv_conf, err)))
		goto out;
	if (folds.info && json_object_set(tn_bundle_info(b), "selection", folds.info)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	tn_progress_report(prog, "naming n-grams", 0, 1);
	if ((rc = tn_names_add_to_bundle(b, c, err)))
		goto out;
	tn_progress_report(prog, "naming n-grams", 1, 1);
	/* The models point into the vectors: the bundle keeps them. */
	b->sv_pool = ds.pool;
	b->sv_index = ds.x;
	ds.pool = NULL;
	ds.x = NULL;
	*out = b;
	b = NULL;
out:
	tn_folds_release(&folds);
	tn_plan_release(&plan);
	tn_dataset_release(&ds);
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
	size_t bad_doc = (size_t)-1, bad_off = 0;   /* the first document that failed */

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
#pragma omp parallel default(none) shared(b, c, p, per, rc, n, bad_doc, bad_off)
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
#pragma omp critical(tn_evaluate_failed)
			rc = TN_ENOMEM;
		}
#pragma omp for schedule(dynamic, 64)
		for (size_t i = 0; i < n; i++) {
			size_t off = 0;
			int e;

			if (!ok)
				continue;
			e = tn_feat_count(&b->feat, fs, c->text[i], c->len[i], &cnt, &off);
			if (!e)
				e = tn_feat_weigh(&b->feat, b->idf, &cnt, &v);
			if (!e)
				e = tn_predict(p, ps, &v, res, NULL);
			if (e) {
				/* Out of memory wins; else, whatever the schedule, the first failing document. */
#pragma omp critical(tn_evaluate_failed)
				if (rc != TN_ENOMEM && (e == TN_ENOMEM || i < bad_doc)) {
					rc = e;
					bad_doc = i;
					bad_off = off;
				}
				continue;
			}
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
	if (rc == TN_EFORMAT)
		return tn_err_set(err, rc, "evaluate document %zu: %s at byte %zu", bad_doc + 1,
				  c->text[bad_doc][bad_off] ? "invalid UTF-8" : "NUL byte", bad_off);
	if (rc)
		return tn_err_set(err, rc, "out of memory evaluating");
	return 0;
}

