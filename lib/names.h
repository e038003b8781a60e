/*
 * names.h - names for hashed features: the n-gram strings seen in training
 * that hash to each bucket a model uses.
 *
 * train keeps, per kept bucket (idf > 0), the TN_NAMES_PER_BUCKET most
 * frequent n-grams that hash to it, counted with the space-saving algorithm
 * over TN_NAMES_SLOTS slots a bucket: memory is bounded by the number of
 * buckets, never by the size of the corpus, and the counts are exact unless
 * more than TN_NAMES_SLOTS different n-grams share a bucket (then they may
 * overcount, as space-saving does).  Strings are cut at TN_NAMES_MAX_BYTES.
 *
 * The bundle file names.tsv.zst (one zstd frame) holds lines
 *     BUCKET \t COUNT \t NGRAM \n
 * buckets ascending, a bucket's names by count descending.  N-grams never
 * hold a tab or a newline (tokens are letters, digits and marks).
 */
#ifndef TN_NAMES_H
#define TN_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "err.h"
#include "feat.h"

#define TN_NAMES_FILE "names.tsv.zst"
#define TN_NAMES_PER_BUCKET 2
#define TN_NAMES_SLOTS 4
#define TN_NAMES_MAX_BYTES 200

struct tn_names_builder;

/* A builder for the buckets with idf[b] > 0 (2^o->bits entries).  NULL if out of memory. */
struct tn_names_builder *tn_names_builder_create(const struct tn_feat_opts *o, const float *idf);
void tn_names_builder_free(struct tn_names_builder *nb);
/* Counts the n-grams of one training text.  0, TN_EFORMAT or TN_ENOMEM.  Not thread-safe. */
int tn_names_builder_add(struct tn_names_builder *nb, const char *text, size_t len);
/* The file's bytes (malloc'd, zstd-compressed) in *data, *len.  0 or TN_ENOMEM. */
int tn_names_builder_finish(struct tn_names_builder *nb, char **data, size_t *len);

/* Builds the names of bundle b from the training texts of c and adds the file to b.  0, TN_EFORMAT or TN_ENOMEM. */
struct tn_corpus;
int tn_names_add_to_bundle(struct tn_bundle *b, const struct tn_corpus *c, struct tn_err *err);

/* The names of a loaded bundle, read-only and shareable by threads. */
struct tn_names;

/*
 * Parses b's names.tsv.zst.  0; TN_ESTATE when the bundle has none (made
 * before names existed: retrain it); TN_EMODEL with err saying what is wrong
 * with the file; TN_ENOMEM.
 */
int tn_names_load(struct tn_names **out, const struct tn_bundle *b, struct tn_err *err);
void tn_names_free(struct tn_names *n);

/* The i-th most frequent name of bucket (0-based), NULL if it has fewer; *count its count when non-NULL. */
const char *tn_names_get(const struct tn_names *n, uint32_t bucket, size_t i, uint64_t *count);

#endif
