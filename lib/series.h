/*
 * series.h - a thinned time series of a run's progress: (seconds since the
 * start, documents, text bytes) after each batch, for the report's
 * throughput chart.  It never holds more than TN_SERIES_MAX points: when
 * full, every other point is dropped and the spacing between kept points
 * doubles, so a run of any length is drawn from points spread over all of
 * it.  The manifest carries it as "progress" (manifest_json.h); a resumed
 * run reads it back and goes on from its last point's time.
 *
 * Not thread-safe: one writer thread.
 */
#ifndef TN_SERIES_H
#define TN_SERIES_H

#include <stddef.h>
#include <stdint.h>

#define TN_SERIES_MAX 256

struct tn_series_point {
	double seconds;
	uint64_t docs, bytes;
};

struct tn_series {
	struct tn_series_point p[TN_SERIES_MAX];
	size_t n;
	double spacing;      /* least seconds between two kept points */
	double offset;       /* seconds of the interrupted run before a resume */
};

/* An empty series, points at least min_spacing seconds apart (> 0). */
void tn_series_init(struct tn_series *s, double min_spacing);
/*
 * Adds a point at `seconds` (of this process; offset is added) unless it is
 * closer than the spacing to the last kept one; with force it is always kept
 * (the end of a shard, of the run), replacing a last point that is too close.
 */
void tn_series_add(struct tn_series *s, double seconds, uint64_t docs, uint64_t bytes, int force);

#endif
