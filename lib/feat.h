/*
 * feat.h - hashed word and character n-grams, TF-IDF weighting, L2 vectors.
 *
 * A document becomes a sparse vector in 2^bits dimensions:
 *  1. tokens (text.h) form word n-grams of word_min..word_max tokens and, when
 *     char_max > 0, character n-grams of char_min..char_max code points taken
 *     inside each token padded as "<token>" (as fastText does);
 *  2. each token and character n-gram is hashed with XXH3-64 and a seed; a
 *     word n-gram of 2+ tokens combines its tokens' hashes (ngram_keys below;
 *     machine-independent), bucket = hash mod 2^bits;
 *  3. term counts tf become 1 + ln(tf) (sublinear), times the bucket's idf,
 *     idf = ln((1 + N) / (1 + df)) + 1 learned from the training corpus; buckets
 *     seen in fewer than min_df training documents have idf 0 and are dropped;
 *  4. the vector is scaled to unit L2 norm and its indices are 1-based
 *     (bucket + 1), ascending, as libsvm expects.
 * The tone features of tone.h, when on, are counted with the n-grams in step 2.
 */
#ifndef TN_FEAT_H
#define TN_FEAT_H

#include <stddef.h>
#include <math.h>
#include <stdint.h>

#include "limits.h"
#include "text.h"
#include "tone.h"


struct tn_feat_opts {
	int word_min, word_max;   /* word n-grams; default 1..2 */
	int char_min, char_max;   /* character n-grams; 0..0 = none */
	int bits;                 /* log2 of the number of buckets; default 20 */
	int min_df;               /* default 2 */
	int sublinear_tf;         /* 1: 1 + ln(tf); 0: raw tf */
	uint64_t seed;            /* hash seed; default TN_FEAT_SEED */
	int ngram_keys;           /* word n-grams of 2+ tokens: TN_FEAT_KEYS_*; default MIX */
	struct tn_tone_opts tone; /* tone features (tone.h); default all off */
};

#define TN_FEAT_SEED 0x54656e6f72ULL /* "Tenor" */

/*
 * How the tokens' hashes of a word n-gram of 2+ tokens become its hash:
 * XXH3 of their little-endian bytes (bundles before 2026-12-02, manifest
 * "hash": "xxh3-64"), or folded by multiplies and xor-shifts (3x cheaper;
 * "xxh3-64+mix", bundle version 3).  Unigrams and character n-grams are the
 * same in both.
 */
enum { TN_FEAT_KEYS_XXH3 = 0, TN_FEAT_KEYS_MIX = 1 };

/* Fills o with the defaults above. */
void tn_feat_opts_default(struct tn_feat_opts *o);
/*
 * Returns 0 if o is usable, else TN_EINVAL with the reason in err (a lexicon
 * must be bound to o's seed).
 */
int tn_feat_opts_check(const struct tn_feat_opts *o, struct tn_err *err);

/* Unique buckets of one document with their counts, buckets ascending. */
struct tn_counts {
	uint32_t *bucket;
	uint32_t *count;
	size_t n, cap;
};

/* A sparse vector: 1-based indices ascending, values. */
struct tn_vec {
	uint32_t *idx;
	double *val;
	size_t n, cap;
};

/*
 * Per-thread scratch for feature extraction: tokens, hashes, the n-gram list
 * and a counting table, all growing with the longest document seen.  Create
 * one per thread, reuse it.
 */
struct tn_feat_scratch;

struct tn_feat_scratch *tn_feat_scratch_create(const struct tn_feat_opts *o);
void tn_feat_scratch_free(struct tn_feat_scratch *s);

void tn_counts_init(struct tn_counts *c);
void tn_counts_release(struct tn_counts *c);
void tn_vec_init(struct tn_vec *v);
void tn_vec_release(struct tn_vec *v);

/*
 * Counts the hashed n-grams of text[0..len) into c (replacing its content),
 * buckets ascending.  Returns 0, TN_EFORMAT (invalid UTF-8 or NUL; *bad_offset
 * set) or TN_ENOMEM.  Thread-safe for distinct s and c.
 */
int tn_feat_count(const struct tn_feat_opts *o, struct tn_feat_scratch *s,
		  const char *text, size_t len, struct tn_counts *c, size_t *bad_offset);

/*
 * The same counts in no particular order (first occurrence first), without
 * the sort: for prediction, which sums over the buckets.  Same returns.
 */
int tn_feat_count_unordered(const struct tn_feat_opts *o, struct tn_feat_scratch *s,
			    const char *text, size_t len, struct tn_counts *c, size_t *bad_offset);

/*
 * Weighs counts (in any order) into an L2-normalised TF-IDF vector v
 * (replacing its content), indices ascending.
 * idf has 2^bits entries; buckets with idf 0 are left out.  A document with no
 * known n-gram gives an empty vector.  Returns 0 or TN_ENOMEM.
 */
int tn_feat_weigh(const struct tn_feat_opts *o, const float *idf,
		  const struct tn_counts *c, struct tn_vec *v);

/* The term-frequency weight of a count: 1 + ln(tf) when sublinear, else tf. */
static inline double tn_feat_tf(const struct tn_feat_opts *o, uint32_t count)
{
	extern const double tn_feat_log_table[16];

	if (!o->sublinear_tf)
		return (double)count;
	return count < 16 ? tn_feat_log_table[count] : 1.0 + log((double)count);
}

/*
 * Calls fn for every n-gram occurrence of text[0..len), in the order
 * tn_feat_count hashes them, with its bucket, its full 64-bit hash and its
 * text: case-folded tokens joined by one space, or the characters of
 * "<token>" (not NUL-terminated; valid only during the call); then the
 * tone features with their names (tn_tone_each).  For naming hashed features
 * (names.h, explain.h), not for the hot path.  Returns 0,
 * TN_EFORMAT (*bad_offset set) or TN_ENOMEM.  Thread-safe for distinct s.
 */
typedef void (*tn_feat_ngram_fn)(void *ctx, uint32_t bucket, uint64_t hash, const char *ngram, size_t len);
int tn_feat_each_ngram(const struct tn_feat_opts *o, struct tn_feat_scratch *s, const char *text, size_t len,
		       tn_feat_ngram_fn fn, void *ctx, size_t *bad_offset);

/*
 * Learns idf from document frequencies: df[b] documents of ndocs contain bucket
 * b.  Writes 2^bits floats into idf (0 where df < min_df).  Returns the number
 * of buckets kept.
 */
size_t tn_feat_idf(const struct tn_feat_opts *o, const uint32_t *df, size_t ndocs, float *idf);

#endif
