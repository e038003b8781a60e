/*
 * tone.h - features that carry tone, added to a document's hashed n-grams.
 *
 * Three optional families, each a setting of struct tn_feat_opts that the
 * bundle records (so classify reproduces exactly what train saw):
 *  - negation scope (neg_scope = N > 0): each of the N tokens after a negation
 *    cue (not, no, never, nor, neither, none, nothing, nobody, nowhere, without,
 *    cannot, and the "t" of "don't", "can't", ...: the tokenizer splits at the
 *    apostrophe) also counts as a marked copy of itself ("NOT_word");
 *  - a valence lexicon (lex): every token that is a lexicon word counts as its
 *    score's class ("lexicon -3" ... "lexicon +5"), the sign flipped inside a
 *    negation scope when that is on; words of several tokens are left out;
 *  - attribution cues (attribution = 1): reporting words (said, told,
 *    according, spokesman, ...) count as one class, each quotation mark
 *    (" U+201C U+201D U+00AB U+00BB) as another, up to 16 a document.
 * They are hashed like n-grams (XXH3 with the feature seed and a salt of
 * their own) into the same 2^bits buckets and weighted by TF-IDF like them.
 */
#ifndef TN_TONE_H
#define TN_TONE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "text.h"

/* Longest negation scope in tokens. */
#define TN_TONE_NEG_MAX 16
/* Lexicon scores are within -TN_LEX_SCORE_MAX..TN_LEX_SCORE_MAX, not 0. */
#define TN_LEX_SCORE_MAX 9

/*
 * A valence lexicon: folded one-token words with integer scores, looked up by
 * the token's feature hash (so it is bound to one hash seed).  Immutable once
 * built, shared by reference count (tn_lex_ref / tn_lex_unref): thread-safe
 * to read and to ref from several threads.
 */
struct tn_lex;

/*
 * Reads a lexicon file: one entry a line, "word<TAB>score" (score an integer
 * within +-TN_LEX_SCORE_MAX), UTF-8; empty lines are skipped.  Each word is
 * tokenized as documents are; a word that is not exactly one token (a
 * phrase), a score of 0 and a word folding to one already read (the first
 * wins) are skipped and counted in *skipped.  name is what the bundle records
 * (e.g. the file's base name).  Returns 0 with *out (reference count 1), or
 * TN_EIO, TN_EFORMAT (with the line in err), TN_ENOMEM.
 */
int tn_lex_load(struct tn_lex **out, const char *path, const char *name, uint64_t seed,
		size_t *skipped, struct tn_err *err);

/* An empty lexicon named name for seed (for the bundle loader); NULL if out of memory. */
struct tn_lex *tn_lex_create(const char *name, uint64_t seed);
/*
 * Adds a word (already one folded token, as tn_lex_word returns it) with its
 * score.  Returns 0, TN_EFORMAT if the word is not exactly one token, is
 * there already, or the score is out of range, TN_ENOMEM.
 */
int tn_lex_add(struct tn_lex *l, const char *word, int score);

void tn_lex_ref(struct tn_lex *l);
/* Drops a reference; frees the lexicon with the last.  Accepts NULL. */
void tn_lex_unref(struct tn_lex *l);

const char *tn_lex_name(const struct tn_lex *l);
uint64_t tn_lex_seed(const struct tn_lex *l);
size_t tn_lex_count(const struct tn_lex *l);
/* Entry i (0 <= i < count) in the order added: its word and score. */
const char *tn_lex_word(const struct tn_lex *l, size_t i);
int tn_lex_score(const struct tn_lex *l, size_t i);
/* The score of the token with feature hash h, 0 if it is not in the lexicon. */
int tn_lex_lookup(const struct tn_lex *l, uint64_t h);

/* Which tone features to add; all off is {0, 0, NULL}. */
struct tn_tone_opts {
	int neg_scope;            /* 0 = off, else tokens marked after a cue */
	int attribution;          /* 0/1 */
	struct tn_lex *lex;       /* NULL = no lexicon; bound to the feature seed; a
				     bundle holds a reference (tn_lex_ref), read-only */
};

/*
 * What tn_tone_count looks tokens up in, built once per feature scratch: one
 * open-addressing table of the negation cues, reporting words and lexicon
 * words that are on (one probe a token), and the class features' hashes.
 */
struct tn_tone_slot {
	uint64_t key;             /* token hash | 1; 0: empty */
	int8_t score;             /* lexicon score, 0: not a lexicon word */
	uint8_t kind;             /* 1 negation cue, 2 reporting word, 0 neither */
};

#define TN_TONE_FILTER_BITS 16

struct tn_tone_keys {
	uint64_t seed;
	struct tn_tone_slot *table;
	int tbits;
	/*
	 * Bit (hash >> 40) mod 2^16 set for every key: most tokens are no key,
	 * and one bit test (an 8 KiB bitmap) spares them the probe loop.
	 */
	uint64_t *filter;
	uint64_t lex_class[2 * TN_LEX_SCORE_MAX + 1];
	uint64_t attr_class, quote_class;
};

/*
 * A token's tone code: 0 when its hash is no key, else TN_TONE_KEY | kind << 5
 * | (score + 16), so the per-token work can be cached with the hash (feat.c's
 * memo) and the walk over a document skips the tokens whose code is 0, eight
 * at a time.
 */
#define TN_TONE_KEY 0x80
static inline uint8_t tn_tone_code_pack(int score, int kind)
{
	return (uint8_t)(TN_TONE_KEY | kind << 5 | (score + 16));
}

static inline int tn_tone_code_score(uint8_t c)
{
	return (c & 31) - 16;
}

static inline int tn_tone_code_kind(uint8_t c)
{
	return c >> 5 & 3;
}

/* The bit of token hash h in k->filter. */
static inline size_t tn_tone_filter_bit(uint64_t h)
{
	return (size_t)(h >> 40) & (((size_t)1 << TN_TONE_FILTER_BITS) - 1);
}

/* The index of key's slot in k->table: the key's, or the empty one where it would go. */
static inline size_t tn_tone_slot(const struct tn_tone_keys *k, uint64_t key)
{
	size_t mask = ((size_t)1 << k->tbits) - 1, i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - k->tbits));

	while (k->table[i].key && k->table[i].key != key)
		i = (i + 1) & mask;
	return i;
}

/* The code of the token with feature hash h (k built): one bit test for most tokens. */
static inline uint8_t tn_tone_code(const struct tn_tone_keys *k, uint64_t h)
{
	size_t b = tn_tone_filter_bit(h);
	const struct tn_tone_slot *e;

	if (!(k->filter[b / 64] >> (b % 64) & 1))
		return 0;
	e = &k->table[tn_tone_slot(k, h | 1)];
	return e->key ? tn_tone_code_pack(e->score, e->kind) : 0;
}

/* Builds k for t and seed (t->lex, if any, bound to seed).  0 or TN_ENOMEM. */
int tn_tone_keys_init(struct tn_tone_keys *k, const struct tn_tone_opts *t, uint64_t seed);
/* Frees what tn_tone_keys_init allocated; accepts a zeroed k. */
void tn_tone_keys_release(struct tn_tone_keys *k);

/* 1 if any tone feature is on. */
static inline int tn_tone_on(const struct tn_tone_opts *t)
{
	return t->neg_scope > 0 || t->attribution || t->lex != NULL;
}

/* At most this many features for ntok tokens (what out must have room for). */
static inline size_t tn_tone_max(size_t ntok)
{
	return 3 * ntok + 16;
}

/*
 * Appends the buckets (hash & mask) of the tone features of one document to
 * out: tok and hash are its tokens and their feature hashes (XXH3 of each
 * token with k->seed), code their tn_tone_code(k, hash[i]), text[0..len) its
 * raw UTF-8 (for quotation marks).  Returns the number written, at most
 * tn_tone_max(tok->n).  Thread-safe for distinct out.
 */
size_t tn_tone_count(const struct tn_tone_opts *t, const struct tn_tone_keys *k,
		     const struct tn_tokens *tok, const uint64_t *hash, const uint8_t *code,
		     const char *text, size_t len, uint64_t mask, uint32_t *out);

/*
 * The same features as tn_tone_count, in the same order, each passed to fn
 * with its bucket, its full hash and a name (not NUL-terminated, valid only
 * during the call): "NOT_word" for a word in a negation scope, "[lexicon +2]"
 * for a lexicon class, "[reporting word]", "[quotation mark]".  For naming
 * features (names.h, explain.h), not for the hot path: it looks every token
 * up itself (tn_tone_code), so it also checks the codes tn_tone_count is given.
 */
typedef void (*tn_tone_name_fn)(void *ctx, uint32_t bucket, uint64_t hash, const char *name, size_t len);
void tn_tone_each(const struct tn_tone_opts *t, const struct tn_tone_keys *k,
		  const struct tn_tokens *tok, const uint64_t *hash,
		  const char *text, size_t len, uint64_t mask, tn_tone_name_fn fn, void *ctx);

#endif
