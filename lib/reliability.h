/*
 * reliability.h - how well probabilities match what happens: a reliability
 * table (predicted against observed, in equal-width bins of the predicted
 * probability) and its plot as a small self-contained SVG.
 *
 * train fills the table from out-of-fold probabilities of the chosen class
 * (calibrate.c) and keeps it in the bundle's manifest, the plot as
 * reliability-HEAD.svg beside it.
 */
#ifndef TN_RELIABILITY_H
#define TN_RELIABILITY_H

#include <stddef.h>
#include <stdint.h>

#define TN_RELIABILITY_BINS 10

struct tn_reliability {
	uint64_t n[TN_RELIABILITY_BINS];        /* predictions in bin [b/10, (b+1)/10) (the last bin holds 1) */
	double sum_p[TN_RELIABILITY_BINS];      /* their predicted probabilities, summed */
	uint64_t hits[TN_RELIABILITY_BINS];     /* how many were right */
};

void tn_reliability_init(struct tn_reliability *r);
/* Adds one prediction of probability p (clamped to [0, 1]) that was right (1) or wrong (0). */
void tn_reliability_add(struct tn_reliability *r, double p, int right);

/*
 * The plot: predicted (x) against observed (y) per non-empty bin, the
 * diagonal of perfect calibration, the bins' counts as a faint histogram.
 * title is escaped for XML.  A malloc'd NUL-terminated string, NULL if out of
 * memory.
 */
char *tn_reliability_svg(const struct tn_reliability *r, const char *title);

#endif
