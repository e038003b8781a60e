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

#include "err.h"

/*
 * (Re)writes OUT/report.html atomically (atomic_file.h).  Only a folder
 * holding a classify run's manifest gets one.  Reads the shards, so its
 * time grows with the run's size.  0, or TN_ESTATE (no classify run in
 * out_dir), TN_EIO (a shard cannot be read or decoded), TN_ENOMEM, with err
 * filled.  Not thread-safe with respect to one out_dir.
 */
int tn_report_write(const char *out_dir, struct tn_err *err);

#endif
