/*
 * report.h - OUT/report.html: a classify run for people to look at.
 *
 * One self-contained static page (no script, no network, charts as inline
 * SVG) drawn from OUT/manifest.json and the shards it lists: the run's facts
 * (model, version, times, inputs), class counts per head as bars, the first
 * two heads' cross-table as a heat map, a histogram of the chosen class's
 * score per class, throughput over the run (the manifest's "progress"),
 * error records by kind (digits folded to N) with their first places, the
 * confusion matrices when the inputs carried labels, and, when records carry
 * "text" (--keep-text), the most confident and most uncertain documents of
 * each class.  Everything taken from data is HTML-escaped.
 */
#ifndef TN_REPORT_H
#define TN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "err.h"

/*
 * What the page needs of the records (class counts, score histograms, error
 * kinds with their first places), gathered by a run as it writes them, so
 * that the report at the end of a run need not read its shards back (that
 * costs about as much CPU as a tenth of the run on short documents).  Not
 * the extremes of --keep-text: with text, the shards are read.  Not
 * thread-safe: the writer thread feeds it, in record order.
 */
struct tn_report_data;

/* Empty data for these heads (borrowed; they must outlive it).  0 or TN_ENOMEM. */
int tn_report_data_create(struct tn_report_data **out, const struct tn_head *heads, size_t nheads);
void tn_report_data_free(struct tn_report_data *d);
/* A result record: pred[h] the class of head h or negative for null, score[h] its score (NaN: none). */
void tn_report_data_add_result(struct tn_report_data *d, const int32_t *pred, const double *score);
/* An error record with its id and message.  0 or TN_ENOMEM. */
int tn_report_data_add_error(struct tn_report_data *d, const char *id, const char *why);

/*
 * (Re)writes OUT/report.html atomically (atomic_file.h).  Only a folder
 * holding a classify run's manifest gets one.  With data (the run's, which
 * it empties), the records' figures come from it; without, the listed
 * shards are read back, so the time grows with the run's size.  The page
 * is the same either way.  0, or TN_ESTATE (no classify run in out_dir),
 * TN_EIO (a shard cannot be read or decoded), TN_ENOMEM, with err filled.
 * Not thread-safe with respect to one out_dir.
 */
int tn_report_write(const char *out_dir, struct tn_report_data *data, struct tn_err *err);

#endif
