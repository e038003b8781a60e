/*
 * merge.h - classify --merge OUT: the N parts of one run (classify --part I/N
 * -o OUT on many machines, sharing OUT) checked and made into one run.
 *
 * The merge trusts nothing it can check.  Every part 1..N must have its
 * manifest (manifest-part-I-of-N.json), be complete and not running (its lock
 * is taken for the merge's duration, so no part can start meanwhile), have
 * been run with the same model (identity), options (but --part), inputs
 * (digest) and Tenor version as part 1, and hold the range of files or
 * documents that follows the previous part's, the N ranges covering the
 * whole input (source.h: contiguous ranges); every shard it lists must be on
 * disk with its size and XXH64 and decode (zstd verifies each frame's
 * checksum) to the number of records its manifest gives, which must add up to
 * the part's count (and, split by document, to the size of its range).  So
 * every input document has exactly one record.
 *
 * Only then it writes OUT/manifest.json - format "tenor-classify", complete,
 * "merged": {"parts": N, ...}, the parts' model, options and inputs, every
 * shard in order (each with its part), every number under "counts" summed key
 * by key, "evaluation" from the summed confusion matrices, the earliest
 * "started_at" and latest "finished_at" - and then OUT/_SUCCESS, each
 * atomically.  The parts' shards and manifests stay where they are: the
 * merged manifest lists the shards, and a listing of OUT sorts them in input
 * order.  Merging again gives a byte-identical manifest.  Nothing is deleted.
 *
 * Not thread-safe for one folder (the lock OUT/.lock refuses a second merge).
 */
#ifndef TN_MERGE_H
#define TN_MERGE_H

#include <stdint.h>

#include "err.h"

struct tn_merge_stats {
	long parts;
	uint64_t docs, ok, errors;
	unsigned shards;
	char *summary;        /* evaluation report (malloc'd) or NULL */
	char *problems;       /* malloc'd: one line per part missing, unfinished or inconsistent, or NULL */
};

void tn_merge_stats_release(struct tn_merge_stats *s);

/*
 * Merges the parts in out_dir.  0 when manifest.json and _SUCCESS are
 * written; TN_ESTATE when a part is missing, unfinished, running or does not
 * match the others: stats->problems then names each such part with the
 * command that re-runs it (cd FOLDER && classify ... --part I/N, with --resume
 * for an unfinished part, --force for one that must start over), and err says
 * how many; TN_ESTATE also when out_dir holds no parts, or TN_EIO / TN_ENOMEM,
 * with err filled.  Nothing is written unless the merge succeeds.
 */
int tn_merge(const char *out_dir, struct tn_merge_stats *stats, struct tn_err *err);

#endif
