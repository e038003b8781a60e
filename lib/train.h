/*
 * train.h - from a loaded corpus to a trained bundle, and its quality figures.
 *
 * Steps: n-gram counts for every document (parallel), document frequencies and
 * idf, TF-IDF vectors (parallel), then one libsvm C-SVC model per head.  The
 * final models of all heads, the cross-validation fold models and the
 * calibration fold models are independent tasks run in parallel; every task is
 * deterministic, so the bundle does not depend on the number of threads.
 *
 * Folds are stratified: each class's documents are shuffled with a fixed seed
 * (splitmix64) and dealt round-robin.  libsvm's own svm_cross_validation and
 * its -b 1 calibration draw from rand(), which is neither seeded here nor
 * thread-safe, so neither is used: probability calibration is done here, by
 * fitting Platt's sigmoid (with the Newton method of Lin, Lin and Weng, 2007)
 * to out-of-fold decision values of a 5-fold split, for every class pair,
 * and the sigmoids are stored in the libsvm model as probA/probB, where
 * libsvm's own svm_predict_probability reads them too.
 *
 * Calls into libsvm and liblinear happen inside parallel regions; libsvm's
 * svm_train keeps no global state besides its print function.  liblinear's
 * dual solver shuffles with rand(): the library defines rand() and srand()
 * with one state per thread (solve.c), and every liblinear task seeds its
 * thread's with a seed of its own, so that tasks run in parallel and stay
 * deterministic.  liblinear keeps dense weights, so it trains on the vectors
 * renumbered over the buckets the corpus uses (a few thousand of 2^bits);
 * models return to bucket indices when they are kept.  As many liblinear
 * tasks run at once as their dense weight vectors fit in
 * TN_LINEAR_TASKS_MEMORY (limits.h).  In a saved liblinear model (--solver
 * liblinear) the bias is a feature of value 1 at index 2^bits + 1, as
 * liblinear's own tools expect.
 *
 * Process-wide side effects, the only ones of the library:
 *  - libsvm's and liblinear's print hooks (svm_set_print_string_function,
 *    set_print_string_function) are set once per process, by the first
 *    tn_train_check (which tn_train and tn_train_grid call), to a function that
 *    drops the text: from then on neither library prints, for any caller;
 *  - rand() and srand() are the library's, per thread (glibc's generator,
 *    the same numbers after the same srand()); srand() is called before every
 *    liblinear task (tn_train, tn_train_grid with the linear or liblinear
 *    solver) on the thread that runs it.
 */
#ifndef TN_TRAIN_H
#define TN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "corpus.h"
#include "err.h"
#include "feat.h"
#include "metrics.h"

enum tn_solver {
	TN_SOLVER_LINEAR,         /* the default: liblinear's dual solver (squared_hinge's
				     loss, C, class weights; the bias a feature of value 1) in
				     linear time, saved as a linear libsvm model:
				     one-vs-rest (one support vector per class, see
				     solve.c), or with one_vs_one each class pair
				     (one support vector per pair) */
	TN_SOLVER_LIBSVM,         /* libsvm's exact C-SVC, one-vs-one; linear or RBF */
	TN_SOLVER_LIBLINEAR,      /* liblinear one-vs-rest in liblinear's own format */
};

/* "linear", "libsvm" or "liblinear". */
const char *tn_solver_name(enum tn_solver s);

/* The default of fold_docs: a sample this large calibrates and chooses as well as more. */
#define TN_FOLD_DOCS 20000

struct tn_train_opts {
	enum tn_solver solver;
	int one_vs_one;           /* linear solver: one model per class pair */
	enum tn_kernel kernel;    /* default linear */
	double C;                 /* default 1 */
	double gamma;             /* RBF only; default 1 (vectors have unit norm) */
	int balanced;             /* class weights n / (k * n_c) */
	int squared_hinge;        /* linear and liblinear solvers: the squared hinge
				     loss (liblinear's L2-loss dual) instead of the
				     hinge loss of libsvm's C-SVC */
	int probability;          /* calibrate probabilities */
	int platt;                /* one-vs-rest heads in libsvm's form: pairwise Platt sigmoids
				     (the label then the most probable class) instead of the
				     softmax temperature (calibrate.c) */
	int cv;                   /* folds for cross-validated figures; 0 = none */
	double eps;               /* libsvm stopping tolerance, default 0.001 */
	double cache_mb;          /* libsvm kernel cache per task, default 100 */
	uint64_t seed;            /* fold shuffling */
	const double *head_C;     /* per head C (grid search); NULL: C for all */
	const int *head_balanced; /* per head weighting; NULL: balanced for all */
	int choose_ngrams;        /* choose the word n-grams among 1-1 and 1-2 of the
				     feature options by the folds' macro-F1 (choose.c) */
	size_t fold_docs;         /* the calibration and selection folds use at most
				     this many documents (a seeded sample of larger
				     corpora; all with cv); 0: all */
};



void tn_train_opts_default(struct tn_train_opts *o);
int tn_train_opts_check(const struct tn_train_opts *o, struct tn_err *err);

/*
 * Progress, reported from the calling thread only.  stage is a string literal:
 * a caller may keep the pointer to compare with the next report's.
 */
struct tn_progress {
	void (*fn)(void *ctx, const char *stage, size_t done, size_t total);
	void *ctx;
};

/*
 * Bytes of dense weights one linear training task of a head with nclass
 * classes holds with nbuckets hash buckets: 2 x (nbuckets + 1) doubles per
 * class, one vector for two classes.  TN_LINEAR_TASKS_MEMORY divided by it is
 * how many such tasks run at once.
 */
size_t tn_linear_task_bytes(size_t nclass, size_t nbuckets);

/*
 * Checks the options and that c can train a bundle (documents, a label field).
 * The first call silences libsvm's and liblinear's printing for the whole
 * process (see above; thread-safe, before any parallel region).  0 or TN_EINVAL.
 */
int tn_train_check(const struct tn_corpus *c, const struct tn_feat_opts *fo, const struct tn_train_opts *o,
		   struct tn_err *err);

/*
 * Trains a bundle on c.  Returns 0 and *out (free with tn_bundle_free), or
 * TN_EINVAL (a head with one class, an empty corpus), TN_ENOMEM, with err
 * filled.  With o->cv, each head's manifest entry gets "cv" metrics and
 * cv_conf[h] (when non-NULL, initialised here) the summed confusion matrix.
 */
int tn_train(struct tn_bundle **out, const struct tn_corpus *c, const struct tn_feat_opts *fo,
	     const struct tn_train_opts *o, const struct tn_progress *prog,
	     struct tn_confusion *cv_conf, struct tn_err *err);

/*
 * Evaluates bundle b on corpus c (loaded with `like` = the model's heads):
 * conf[h] (initialised here) gets head h's confusion matrix over the documents
 * labeled for it.  Parallel.  Every document counts or the call fails: 0, or
 * TN_EFORMAT (a text with invalid UTF-8 or a NUL byte, which a loaded corpus
 * never holds; err names the first such document and byte) or TN_ENOMEM.
 */
int tn_evaluate(const struct tn_bundle *b, const struct tn_corpus *c, struct tn_confusion *conf,
		struct tn_err *err);

/*
 * One line on how bundle b (from tn_train) got its word n-grams: "word n-grams
 * 1-2, chosen by 5-fold cross-validation on 2535 documents (mean macro-F1 1-1
 * 0.8601, 1-2 0.8650)", or "word n-grams 1-1" when they were not chosen.
 * Written into buf (size bytes, truncated).
 */
void tn_train_selection_line(const struct tn_bundle *b, char *buf, size_t size);

/* Fits Platt's sigmoid P(y=1|f) = 1 / (1 + exp(A f + B)); y is +1 or -1. */
void tn_platt_fit(size_t n, const double *f, const int *y, double *A, double *B);

#endif
