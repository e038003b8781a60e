/*
 * manifest_json.h - the JSON side of the bundle and of the metrics, private to
 * the library modules that write manifests (bundle.c, train.c, grid.c,
 * pipeline.c) and to their unit tests.
 *
 * The public headers carry no JSON type: a head's and a bundle's manifest
 * extras are opaque there (struct tn_head.info, struct tn_bundle.info) and the
 * programs reach them through bundle.h's accessors.  Here they are jansson
 * objects; the bundle owns them.
 */
#ifndef TN_MANIFEST_JSON_H
#define TN_MANIFEST_JSON_H

#include <jansson.h>

#include "bundle.h"
#include "metrics.h"
#include "series.h"
#include "tally.h"

/* The head's manifest entry (settings, metrics): borrowed, may be NULL. */
json_t *tn_head_info(const struct tn_head *h);
/* Replaces the head's entry with info, taking the reference. */
void tn_head_set_info(struct tn_head *h, json_t *info);
/* The manifest's extra top-level keys ("corpus", "training", "grid"): borrowed. */
json_t *tn_bundle_info(const struct tn_bundle *b);

/*
 * A JSON object: {"documents", "accuracy", "macro_f1", "classes": {name:
 * {precision, recall, f1, support}}, "confusion": {"labels": [...], "matrix":
 * [[...]]}}.  New reference, NULL on allocation failure.
 */
json_t *tn_confusion_json(const struct tn_confusion *c, const char *const *classes);

/* Reads back what tn_confusion_json wrote (the "confusion" counts); 0 or TN_EFORMAT. */
int tn_confusion_from_json(struct tn_confusion *c, const json_t *metrics);

/*
 * Sets "heads" ({HEAD: {CLASS: N}}), "abstained" ({HEAD: N}), "errors" and,
 * with two heads or more, "cross" ({"rows": HEAD0, "cols": HEAD1, "table":
 * {CLASS0: {CLASS1: N}}}) in the object counts.  0 or TN_ENOMEM.
 */
int tn_tally_json(const struct tn_tally *t, json_t *counts);
/*
 * Reads those keys (and "ok") back into t, initialised for the same heads,
 * checking that every head's classes and abstentions add up to "ok" and no
 * cross-table row exceeds its class.  0 or TN_EFORMAT (t partly filled).
 */
int tn_tally_from_json(struct tn_tally *t, const json_t *counts);

/* {"spacing": S, "points": [[seconds, documents, text_bytes], ...]}; NULL if out of memory. */
json_t *tn_series_json(const struct tn_series *s);
/* Reads it back, offset = the last point's seconds.  0 or TN_EFORMAT. */
int tn_series_from_json(struct tn_series *s, const json_t *j);

#endif
