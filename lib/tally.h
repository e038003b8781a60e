/*
 * tally.h - what a classify run counts of its records: per head, how many
 * documents got each class and how many none (a head written as null, when
 * its best score is below --min-score), the error records, and the
 * cross-table of the first two heads (topic x tone for models/news).
 *
 * The manifest's "counts" carries a tally (manifest_json.h: tn_tally_json,
 * tn_tally_from_json); the manifest only ever describes complete shards, so
 * a resumed run reads the tally back and goes on counting.  A merge of --part
 * runs sums the numbers key by key.  Not thread-safe: one writer thread.
 */
#ifndef TN_TALLY_H
#define TN_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "bundle.h"

struct tn_tally {
	size_t nheads;
	const struct tn_head *heads;   /* borrowed: names and classes */
	uint64_t **cls;                /* per head, heads[h].nclass counts */
	uint64_t *abstained;           /* per head: documents whose label is null */
	uint64_t *cross;               /* heads[0].nclass x heads[1].nclass, row-major; NULL under 2 heads */
	uint64_t ok, errors;
};

/* Zero counts for these heads (borrowed, must outlive t).  0 or TN_ENOMEM. */
int tn_tally_init(struct tn_tally *t, const struct tn_head *heads, size_t nheads);
/* Frees the counts; NULL and a zeroed struct are fine. */
void tn_tally_release(struct tn_tally *t);

/*
 * Counts one result record: pred[h] is the class written for head h, or a
 * negative number when the head was written as null (abstained).  The
 * cross-table counts the documents for which both of the first two heads
 * have a class.
 */
void tn_tally_add(struct tn_tally *t, const int32_t *pred);
/* Counts one error record. */
void tn_tally_add_error(struct tn_tally *t);
/* Copies src's counts into dst; both initialised for the same heads. */
void tn_tally_copy(struct tn_tally *dst, const struct tn_tally *src);

/*
 * Appends the counts for people (the run's summary): one line per head, the
 * abstentions when there are any, the cross-table.  0 or TN_ENOMEM.
 */
int tn_tally_report(const struct tn_tally *t, const char *indent, struct tn_buf *out);

#endif
