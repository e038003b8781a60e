/*
 * predict.h - the fast predictor: every head of a bundle, one pass over a vector.
 *
 * Linear heads never loop over support vectors per document.  At creation each
 * class pair (i, j) of each linear head is collapsed into one weight vector
 *     w_ij = sum over SVs s of class i: coef[j-1][s] * x_s
 *          + sum over SVs s of class j: coef[i][s]   * x_s
 * and the weights are stored feature-major: a bucket that any head uses maps to
 * one row holding the weights of every pair of every linear head, so a
 * document's features are visited once for all heads.  Decision values are
 * w_ij . x - rho_ij, as libsvm's svm_predict_values computes them.  RBF heads
 * use libsvm's own svm_predict_values.
 *
 * Heads trained with liblinear (one-vs-rest) are collapsed the same way, one
 * column per class (one for two classes); the class with the highest decision
 * value wins and its score is 1 / (1 + exp(-m)), m its margin over the best
 * other class.
 *
 * Calibrated one-vs-rest heads (a softmax temperature T in the manifest,
 * calibrate.c): class scores s (liblinear's w_c . x + b_c, or recovered from
 * the pair values of the libsvm form up to a constant), the class of the
 * highest s wins, and every class's score is softmax(s / T): the winner's is
 * the highest.
 *
 * Otherwise prediction per head follows libsvm: one-vs-one voting (ties to the class
 * libsvm lists first), or, for heads with probability calibration, the highest
 * probability from pairwise coupling.  The score is that probability, or else
 * 1 / (1 + exp(-m)) where m is the winner's smallest decision margin against
 * any other class: in (0, 1), 0.5 at a tie, growing with the margin, but not a
 * calibrated probability.
 *
 * A predictor is read-only once created and may be shared by threads; each
 * thread brings its own struct tn_predict_scratch.
 */
#ifndef TN_PREDICT_H
#define TN_PREDICT_H

#include <stddef.h>

#include "bundle.h"
#include "err.h"
#include "feat.h"

struct tn_predictor;
struct tn_predict_scratch;

struct tn_head_result {
	int cls;         /* class id (bundle head's classes[]) */
	double score;
};

/* Builds the predictor of b (which must outlive it).  0 or TN_ENOMEM. */
int tn_predictor_create(struct tn_predictor **out, const struct tn_bundle *b, struct tn_err *err);
void tn_predictor_free(struct tn_predictor *p);

/*
 * Scores from decision margins, as before calibration existed: calibrated
 * heads then score 1 / (1 + exp(-m)) and vote (see above) like uncalibrated
 * ones.  Call before the predictor is shared by threads.
 */
void tn_predictor_use_margins(struct tn_predictor *p);

/* Per-thread scratch for p (free with tn_predict_scratch_free); NULL if out of memory. */
struct tn_predict_scratch *tn_predict_scratch_create(const struct tn_predictor *p);
void tn_predict_scratch_free(struct tn_predict_scratch *s);

/*
 * Predicts every head for x.  res gets one entry per head; when all is
 * non-NULL, all[h] (nclass doubles) gets every class's score for head h.
 * Returns 0 or TN_ENOMEM.
 */
int tn_predict(const struct tn_predictor *p, struct tn_predict_scratch *s, const struct tn_vec *x,
	       struct tn_head_result *res, double *const *all);

/*
 * The same as weighing c into a vector (tn_feat_weigh with the bundle's idf)
 * and calling tn_predict, in one pass over the counts when every head is
 * linear: each bucket is looked up once for its idf and its weight row, and
 * the L2 normalisation is applied to the decision values at the end.  The
 * decision values differ from the two-step path only by rounding.  Returns 0
 * or TN_ENOMEM.
 */
int tn_predict_counts(const struct tn_predictor *p, struct tn_predict_scratch *s,
		      const struct tn_counts *c, struct tn_head_result *res, double *const *all);

/*
 * Decision values of head h for x (for tests and tools): for a libsvm head,
 * nclass * (nclass - 1) / 2 values in libsvm's pair order; for a liblinear
 * head, one per class (one for two classes), as liblinear's decision values.
 * Returns 0 or TN_ENOMEM (RBF heads allocate scratch).
 */
int tn_predict_decision_values(const struct tn_predictor *p, struct tn_predict_scratch *s,
			       size_t h, const struct tn_vec *x, double *dec);

/* Memory held by the collapsed weights, in bytes. */
size_t tn_predictor_bytes(const struct tn_predictor *p);

/*
 * Pairwise coupling of Wu, Lin and Weng (2004): r is k x k, r[i][j] = P(i | i
 * or j); work holds k * k + k doubles (it runs once per document).
 */
void tn_couple_probabilities(size_t k, const double *r, double *p, double *work);

/* p = softmax(beta * s): k probabilities, computed without overflow. */
void tn_softmax(size_t k, const double *s, double beta, double *p);

#endif
