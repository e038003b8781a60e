/*
 * train_internal.h - what the training modules share (train.c, solve.c,
 * calibrate.c, grid.c): the dataset of vectors, each head's labeled documents
 * and folds, and the training tasks.  Not part of the library's interface:
 * only lib/ includes it.
 */
#ifndef TN_TRAIN_INTERNAL_H
#define TN_TRAIN_INTERNAL_H

#include <libsvm/svm.h>
#include <linear.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "corpus.h"
#include "err.h"
#include "feat.h"
#include "train.h"

#define TN_CALIB_FOLDS 5
/* choose.c: a richer word n-gram range must beat the mean out-of-fold macro-F1 by this much. */
#define TN_CHOOSE_MARGIN 0.002
/*
 * choose.c: on fewer than TN_CHOOSE_REPEAT_DOCS / 2 documents the choice
 * averages more splits into folds (each seeded anew), up to TN_CHOOSE_REPEATS.
 */
#define TN_CHOOSE_REPEAT_DOCS 5000
#define TN_CHOOSE_REPEATS 3

/* The TF-IDF vectors of a corpus, for libsvm and (after tn_dataset_add_liblinear) liblinear. */
struct tn_dataset {
	size_t n;
	struct svm_node **x;    /* n vectors, each ending with index -1 */
	struct svm_node *pool;
	size_t nfeat;           /* buckets with idf > 0 */
	/*
	 * liblinear: the same vectors over the buckets they use, renumbered
	 * 1..nlfeat in bucket order (liblinear's weights are dense: a few
	 * thousand used buckets instead of 2^bits), with the bias node nlfeat + 1.
	 * lbucket[j] is the bucket index (1-based) of feature j + 1.
	 */
	struct feature_node **lx;
	struct feature_node *lpool;
	int *lbucket;
	int nlfeat;
	int nbuckets;           /* 2^bits */
};

enum tn_task_kind {
	TN_TASK_FINAL,          /* the head's model, on all its documents */
	TN_TASK_CV,             /* a cross-validation fold: predictions of the held-out documents */
	TN_TASK_CALIBRATION,    /* a calibration fold: held-out decision values */
};

/* One training: a head's final model, a CV fold or a calibration fold. */
struct tn_task {
	size_t head;
	enum tn_task_kind kind;
	int fold;
	struct svm_model *model;   /* a final libsvm or pairwise model, owned */
	struct model *lmodel;      /* a final liblinear model, owned */
	double *bias;              /* a final one-vs-rest model's biases b_c (nbias: 1 for two classes), owned */
	size_t nbias;
	int rc;
};

/* One head's labeled documents, their folds, and what the tasks leave. */
struct tn_head_data {
	double C;               /* this head's C and class weighting */
	int balanced;
	size_t nclass;
	size_t n;               /* labeled documents */
	size_t *docs;           /* their corpus indices */
	double *y;              /* class ids */
	int *cv_fold, *cal_fold;    /* with cv and calibration both, the same folds */
	int ncal_folds;
	int *cv_pred;           /* cv: predicted class of each labeled doc */
	double *cal_dec;        /* calibration: n x npair out-of-fold decision values */
	size_t *count;          /* documents per class */
};

/* The number of distinct groups among hd's documents (0 if out of memory). */
size_t tn_head_group_count(const struct tn_head_data *hd, const uint64_t *group);

/* The next value of the splitmix64 sequence of state *s. */
uint64_t tn_splitmix64(uint64_t *s);

/* Calls p's progress function, if any. */
void tn_progress_report(const struct tn_progress *p, const char *stage, size_t done, size_t total);

/*
 * Counts, idf (written into idf, 2^bits floats) and vectors of every
 * document of c, in parallel.  0, or TN_EFORMAT / TN_ENOMEM with err set; ds
 * is empty on error.
 */
int tn_dataset_build(const struct tn_corpus *c, const struct tn_feat_opts *fo, float *idf,
		     struct tn_dataset *ds, const struct tn_progress *prog, struct tn_err *err);
/* Adds liblinear's copies of the vectors (renumbered; bias node nlfeat + 1).  0 or TN_ENOMEM. */
int tn_dataset_add_liblinear(struct tn_dataset *ds);
void tn_dataset_release(struct tn_dataset *ds);

/*
 * Runs task t on the dataset with o's solver; t->rc is 0 or TN_ENOMEM.
 * Thread-safe for distinct tasks.  liblinear draws from rand(), which
 * solve.c makes per thread: the caller seeds it with srand() on the thread
 * that runs the task.
 */
void tn_solve_task(const struct tn_dataset *ds, struct tn_head_data *hds, const struct tn_train_opts *o,
		   struct tn_task *t);

/* libsvm's index of the pair of classes a < b among k. */
size_t tn_pair_index(size_t k, size_t a, size_t b);

/* Fits every pair's sigmoid on the head's held-out decision values into m.  0 or TN_ENOMEM. */
int tn_calibrate(struct svm_model *m, const struct tn_head_data *hd);

/*
 * The labels pairwise Platt sigmoids give the head's documents, cross-fitted
 * over the calibration folds (each fold's sigmoids fitted on the others'
 * out-of-fold values): what a model labelled by the most probable class
 * predicts out of fold.  Into pred[0..hd->n).  0 or TN_ENOMEM.
 */
int tn_platt_oof_labels(const struct tn_head_data *hd, int *pred);

/*
 * 1 if o's models label a document by its most probable class under pairwise
 * Platt sigmoids (libsvm's -b 1), not by their decision values: calibrated
 * one-vs-one and libsvm heads, and --calibration platt.
 */
int tn_platt_labels(const struct tn_train_opts *o);

/* 1 if o's models are one per class (liblinear, the linear solver's ovr), 0 if one per class pair. */
int tn_one_vs_rest(const struct tn_train_opts *o);

/*
 * The calibration of head hb from the out-of-fold pair values in hd (see
 * calibrate.c): pairwise Platt sigmoids in hb->svm when platt_labels (the
 * label then the most probable class), else (one-vs-rest heads only) a softmax
 * temperature.  One-vs-rest heads (ovr) compare both methods.  Writes
 * "calibration" (method, its parameters, cross-fitted log loss and macro-F1 of
 * the methods compared, the reliability table) into hb's manifest entry and
 * the reliability plot into *svg (malloc'd).  0 or TN_ENOMEM.
 */
int tn_calibrate_head(struct tn_head *hb, const struct tn_head_data *hd, int ovr, int platt_labels, char **svg);

/*
 * The training plan of a corpus: each head's documents and folds, and the
 * tasks in a fixed order (per head: final, CV folds; then every head's calibration folds), so
 * that the task index seeds liblinear's rand() the same way every time.
 */
struct tn_plan {
	size_t nheads;
	struct tn_head_data *hds;
	struct tn_task *tasks;
	size_t ntasks;
};

int tn_plan_init(struct tn_plan *p, const struct tn_corpus *c, const struct tn_train_opts *o,
		 struct tn_err *err);
void tn_plan_release(struct tn_plan *p);

/*
 * Runs the plan's tasks on ds (all of them, or with final = 0 all but the
 * final models), in parallel for libsvm.  0, or TN_ENOMEM naming the head.
 */
int tn_plan_run(struct tn_plan *p, struct tn_dataset *ds, const struct tn_corpus *c,
		const struct tn_train_opts *o, int final, const struct tn_progress *prog, struct tn_err *err);

/* Head h's cross-validated confusion matrix (conf is initialised here).  0 or TN_ENOMEM. */
int tn_plan_cv_confusion(const struct tn_plan *p, size_t h, struct tn_confusion *conf);

/*
 * The folds of a training run (choose.c): run on the corpus, or on a seeded
 * sample of o->fold_docs documents when it is larger and o->cv is 0; their
 * out-of-fold values calibrate the final models and give the CV figures,
 * and with o->choose_ngrams they choose the word n-grams (1-1 or 1-2).
 */
struct tn_folds {
	struct tn_corpus view;  /* the documents of the folds: a shallow copy of the corpus, or a sample */
	int sampled;            /* view is a sample (its arrays owned, the texts and heads not) */
	int ran;                /* plan holds the folds' results */
	struct tn_plan plan;    /* the chosen candidate's fold tasks, run */
	struct tn_dataset ds;   /* its vectors of view, with their idf: the final models */
	float *idf;             /* reuse them when view is not a sample */
	struct tn_feat_opts fo; /* the chosen features (fo as given when not choosing) */
	json_t *info;           /* the manifest's "selection" when choosing, else NULL */
};

/*
 * Runs the folds, if any are needed (calibration, cv or choosing; else only
 * f->fo is set).  0, or an error with err set; f is then released.
 */
int tn_folds_run(struct tn_folds *f, const struct tn_corpus *c, const struct tn_feat_opts *fo,
		 const struct tn_train_opts *o, const struct tn_progress *prog, struct tn_err *err);
void tn_folds_release(struct tn_folds *f);

#endif
