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

#endif
