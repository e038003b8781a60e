/*
 * metrics.h - confusion matrices and the figures drawn from them.
 *
 * Accuracy is the share of documents whose predicted class is the true one.
 * Per class: precision = tp / predicted, recall = tp / true, F1 their harmonic
 * mean, 0 where a denominator is 0.  Macro-F1 is the unweighted mean of F1 over
 * the classes that occur in the truth or in the predictions (as scikit-learn's
 * f1_score(average="macro") does).  Not thread-safe; merge per-thread matrices.
 */
#ifndef TN_METRICS_H
#define TN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct tn_confusion {
	size_t nclass;
	uint64_t *m;   /* nclass x nclass, row = true class, column = predicted */
	uint64_t total;
};

int tn_confusion_init(struct tn_confusion *c, size_t nclass);
void tn_confusion_release(struct tn_confusion *c);
void tn_confusion_add(struct tn_confusion *c, int truth, int pred);
/* Adds every count of b into a (same nclass). */
void tn_confusion_merge(struct tn_confusion *a, const struct tn_confusion *b);

struct tn_class_scores {
	double precision, recall, f1;
	uint64_t support;   /* true documents of the class */
};

/* Accuracy and macro-F1; per (when non-NULL, nclass entries) gets each class. */
void tn_confusion_scores(const struct tn_confusion *c, double *accuracy, double *macro_f1,
			 struct tn_class_scores *per);

/*
 * The figures as JSON for a manifest (tn_confusion_json, tn_confusion_from_json)
 * are in manifest_json.h, private to the modules that write manifests.
 */

/* Appends a human-readable report (figures, per-class table, matrix) to out. */
int tn_confusion_report(const struct tn_confusion *c, const char *const *classes,
			const char *indent, struct tn_buf *out);

#endif
