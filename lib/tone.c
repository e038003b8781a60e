/*
 * tone.c - negation scope, valence lexicon and attribution features (tone.h).
 *
 * Everything is looked up by the token's feature hash, which feat.c computes
 * anyway: a document costs one probe per token of the scratch's table of cue,
 * reporting and lexicon words (tn_tone_keys), and one extra hash per token
 * inside a negation scope (callgrind: classify +6.8 % instructions a document
 * with negation and AFINN-165; two lookups a token were +10.4 %).  The
 * lexicon's own table (struct tn_lex) serves loading and tn_lex_lookup.
 */
#include "tone.h"
#include "buf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Salts: the marked copy of a token, and the class features' names. */
#define NEG_SALT 0x4e45474154494f4eULL /* "NEGATION" */

static const char *const neg_cues[] = {
	"not", "no", "never", "nor", "neither", "none", "nothing", "nobody", "nowhere",
	"without", "cannot", "t",
};

static const char *const reporting[] = {
	"said", "says", "say", "saying", "told", "tell", "tells", "stated", "added",
	"according", "reported", "announced", "noted", "declared", "explained",
	"commented", "remarked", "statement", "spokesman", "spokeswoman", "spokesperson",
	"quoted", "quoting",
};

struct entry {
	uint64_t key;   /* token hash | 1; 0 = empty slot */
	int score;
	size_t index;   /* into words */
};

struct tn_lex {
	int refs;
	char *name;
	uint64_t seed;
	char **words;
	int *scores;
	size_t n, cap;
	struct entry *table;  /* 2^tbits slots, at least twice n */
	int tbits;
};

static uint64_t token_hash(const char *w, size_t len, uint64_t seed)
{
	return XXH3_64bits_withSeed(w, len, seed);
}

static uint64_t class_hash(const char *name, uint64_t seed)
{
	return XXH3_64bits_withSeed(name, strlen(name), seed ^ NEG_SALT ^ 0x544f4e45ULL);
}

static struct tn_tone_slot *put(struct tn_tone_keys *k, const char *w)
{
	uint64_t key = token_hash(w, strlen(w), k->seed) | 1;
	struct tn_tone_slot *e = &k->table[tn_tone_slot(k, key)];
	size_t b = tn_tone_filter_bit(key);

	k->filter[b / 64] |= (uint64_t)1 << (b % 64);

	e->key = key;
	return e;
}

int tn_tone_keys_init(struct tn_tone_keys *k, const struct tn_tone_opts *t, uint64_t seed)
{
	size_t ncue = sizeof(neg_cues) / sizeof(*neg_cues), nrep = sizeof(reporting) / sizeof(*reporting);
	size_t n = ncue + nrep + (t->lex ? t->lex->n : 0), i;
	int s;

	memset(k, 0, sizeof(*k));
	k->seed = seed;
	k->tbits = 6;
	while (((size_t)1 << k->tbits) < 2 * n)
		k->tbits++;
	k->table = calloc((size_t)1 << k->tbits, sizeof(*k->table));
	k->filter = calloc(((size_t)1 << TN_TONE_FILTER_BITS) / 64, sizeof(*k->filter));
	if (!k->table || !k->filter) {
		tn_tone_keys_release(k);
		return TN_ENOMEM;
	}
	/* A word can be both (AFINN scores "no" -1): one slot holds score and kind. */
	for (i = 0; t->lex && i < t->lex->n; i++)
		put(k, t->lex->words[i])->score = (int8_t)t->lex->scores[i];
	for (i = 0; t->neg_scope > 0 && i < ncue; i++)
		put(k, neg_cues[i])->kind = 1;
	for (i = 0; t->attribution && i < nrep; i++)
		put(k, reporting[i])->kind = 2;
	for (s = -TN_LEX_SCORE_MAX; s <= TN_LEX_SCORE_MAX; s++) {
		char name[32];

		snprintf(name, sizeof(name), "\001tone:lexicon:%+d", s);
		k->lex_class[s + TN_LEX_SCORE_MAX] = class_hash(name, seed);
	}
	k->attr_class = class_hash("\001tone:reporting", seed);
	k->quote_class = class_hash("\001tone:quote", seed);
	return 0;
}

void tn_tone_keys_release(struct tn_tone_keys *k)
{
	free(k->table);
	free(k->filter);
	k->table = NULL;
	k->filter = NULL;
}

/* Counts the quotation marks of text, at most max. */
static size_t quotes(const char *text, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i, n = 0;

	for (i = 0; i < len && n < max; i++) {
		if (p[i] == '"')
			n++;
		else if (p[i] == 0xE2 && i + 2 < len && p[i + 1] == 0x80 && (p[i + 2] == 0x9C || p[i + 2] == 0x9D))
			n++;
		else if (p[i] == 0xC2 && i + 1 < len && (p[i + 1] == 0xAB || p[i + 1] == 0xBB))
			n++;
	}
	return n;
}

/* Who is told the names of the features (tn_tone_each); NULL on the hot path. */
struct namer {
	tn_tone_name_fn fn;
	void *ctx;
};

static void name_negated(const struct namer *nm, uint64_t h, uint64_t mask, const struct tn_tokens *tok, size_t i)
{
	char name[4 + TN_TOKEN_MAX];
	size_t wl = tok->off[i + 1] - tok->off[i];

	if (wl > TN_TOKEN_MAX)
		wl = TN_TOKEN_MAX;
	memcpy(name, "NOT_", 4);
	memcpy(name + 4, tok->bytes + tok->off[i], wl);
	nm->fn(nm->ctx, (uint32_t)(h & mask), h, name, 4 + wl);
}

static void name_class(const struct namer *nm, uint64_t h, uint64_t mask, const char *name)
{
	nm->fn(nm->ctx, (uint32_t)(h & mask), h, name, strlen(name));
}

/*
 * The index of the first token at or after i whose code is not 0, or n:
 * eight codes a load, most of them 0 (a token in ten or so is a key).
 */
static inline size_t next_key(const uint8_t *code, size_t i, size_t n)
{
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, code + i, 8);
		if (w)
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			return i + (size_t)__builtin_clzll(w) / 8;
#else
			return i + (size_t)__builtin_ctzll(w) / 8;
#endif
	}
	while (i < n && !code[i])
		i++;
	return i;
}

/*
 * The one walk over a document's tokens behind tn_tone_count (nm NULL: the
 * buckets go to out; code given) and tn_tone_each (nm set: each feature is
 * named; code NULL: each token looked up here); inlined, so the hot path
 * keeps no trace of the naming.  Outside a negation scope the hot path jumps
 * from key to key (next_key): classify -j 1 on 1 GB of the bench archive
 * spent 10 % of its time here probing every token.
 */
static inline size_t walk(const struct tn_tone_opts *t, const struct tn_tone_keys *k,
			  const struct tn_tokens *tok, const uint64_t *hash, const uint8_t *code,
			  const char *text, size_t len, uint64_t mask, uint32_t *out, const struct namer *nm)
{
	size_t i, n = 0, q, ntok = tok->n;
	int scope = 0;

	for (i = 0; i < ntok; i++) {
		uint64_t h;
		uint8_t c;
		int in_scope = scope > 0;

		if (code && !in_scope) {
			i = next_key(code, i, ntok);
			if (i == ntok)
				break;
		}
		h = hash[i];
		c = code ? code[i] : tn_tone_code(k, h);
		if (in_scope) {
			uint64_t nh = XXH3_64bits_withSeed(&h, sizeof(h), k->seed ^ NEG_SALT);

			scope--;
			if (nm)
				name_negated(nm, nh, mask, tok, i);
			else
				out[n++] = (uint32_t)(nh & mask);
		}
		if (!c)
			continue;
		if (tn_tone_code_score(c)) {
			int sc = in_scope ? -tn_tone_code_score(c) : tn_tone_code_score(c);
			uint64_t ch = k->lex_class[sc + TN_LEX_SCORE_MAX];

			if (nm) {
				char name[32];

				snprintf(name, sizeof(name), "[lexicon %+d]", sc);
				name_class(nm, ch, mask, name);
			} else {
				out[n++] = (uint32_t)(ch & mask);
			}
		}
		if (tn_tone_code_kind(c) == 2) {
			if (nm)
				name_class(nm, k->attr_class, mask, "[reporting word]");
			else
				out[n++] = (uint32_t)(k->attr_class & mask);
		} else if (tn_tone_code_kind(c) == 1) {
			scope = t->neg_scope;
		}
	}
	if (t->attribution)
		for (q = quotes(text, len, 16); q > 0; q--) {
			if (nm)
				name_class(nm, k->quote_class, mask, "[quotation mark]");
			else
				out[n++] = (uint32_t)(k->quote_class & mask);
		}
	return n;
}

size_t tn_tone_count(const struct tn_tone_opts *t, const struct tn_tone_keys *k,
		     const struct tn_tokens *tok, const uint64_t *hash, const uint8_t *code,
		     const char *text, size_t len, uint64_t mask, uint32_t *out)
{
	return walk(t, k, tok, hash, code, text, len, mask, out, NULL);
}

void tn_tone_each(const struct tn_tone_opts *t, const struct tn_tone_keys *k,
		  const struct tn_tokens *tok, const uint64_t *hash,
		  const char *text, size_t len, uint64_t mask, tn_tone_name_fn fn, void *ctx)
{
	struct namer nm = { fn, ctx };

	walk(t, k, tok, hash, NULL, text, len, mask, NULL, &nm);
}
/* ---- the lexicon ---- */

struct tn_lex *tn_lex_create(const char *name, uint64_t seed)
{
	struct tn_lex *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->refs = 1;
	l->seed = seed;
	l->name = strdup(name);
	if (!l->name) {
		free(l);
		return NULL;
	}
	return l;
}

void tn_lex_ref(struct tn_lex *l)
{
	__atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
}

void tn_lex_unref(struct tn_lex *l)
{
	size_t i;

	if (!l || __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < l->n; i++)
		free(l->words[i]);
	free(l->words);
	free(l->scores);
	free(l->table);
	free(l->name);
	free(l);
}

const char *tn_lex_name(const struct tn_lex *l)
{
	return l->name;
}

uint64_t tn_lex_seed(const struct tn_lex *l)
{
	return l->seed;
}

size_t tn_lex_count(const struct tn_lex *l)
{
	return l->n;
}

const char *tn_lex_word(const struct tn_lex *l, size_t i)
{
	return l->words[i];
}

int tn_lex_score(const struct tn_lex *l, size_t i)
{
	return l->scores[i];
}

static struct entry *find(const struct tn_lex *l, uint64_t key)
{
	size_t mask = ((size_t)1 << l->tbits) - 1, slot = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - l->tbits));

	while (l->table[slot].key && l->table[slot].key != key)
		slot = (slot + 1) & mask;
	return &l->table[slot];
}

int tn_lex_lookup(const struct tn_lex *l, uint64_t h)
{
	const struct entry *e;

	if (!l->n)
		return 0;
	e = find(l, h | 1);
	return e->key ? e->score : 0;
}

/* Doubles the table when it would be more than half full. */
static int grow_table(struct tn_lex *l)
{
	struct entry *old = l->table;
	size_t oldn = l->table ? (size_t)1 << l->tbits : 0, i;
	int tb = l->tbits ? l->tbits + 1 : 8;

	l->table = calloc((size_t)1 << tb, sizeof(*l->table));
	if (!l->table) {
		l->table = old;
		return TN_ENOMEM;
	}
	l->tbits = tb;
	for (i = 0; i < oldn; i++)
		if (old[i].key)
			*find(l, old[i].key) = old[i];
	free(old);
	return 0;
}

int tn_lex_add(struct tn_lex *l, const char *word, int score)
{
	struct tn_tokens tok;
	struct entry *e;
	uint64_t key;
	size_t bad;
	int rc;

	if (score == 0 || score < -TN_LEX_SCORE_MAX || score > TN_LEX_SCORE_MAX)
		return TN_EFORMAT;
	tn_tokens_init(&tok);
	rc = tn_text_tokenize(&tok, word, strlen(word), &bad);
	if (!rc && (tok.n != 1 || tok.off[1] - tok.off[0] != strlen(word) ||
		    memcmp(tok.bytes, word, strlen(word))))
		rc = TN_EFORMAT;   /* a phrase, or not folded */
	tn_tokens_release(&tok);
	if (rc)
		return rc;
	if ((2 * (l->n + 1) > ((size_t)1 << l->tbits) || !l->table) && grow_table(l))
		return TN_ENOMEM;
	key = token_hash(word, strlen(word), l->seed) | 1;
	e = find(l, key);
	if (e->key)
		return TN_EFORMAT;
	if (tn_array_grow(&l->words, &l->cap, l->n + 1, sizeof(*l->words), 256))
		return TN_ENOMEM;
	{
		int *sc = realloc(l->scores, l->cap * sizeof(*sc));

		if (!sc)
			return TN_ENOMEM;
		l->scores = sc;
	}
	if (!(l->words[l->n] = strdup(word)))
		return TN_ENOMEM;
	l->scores[l->n] = score;
	e->key = key;
	e->score = score;
	e->index = l->n++;
	return 0;
}

/* Parses "word<TAB>score" into the folded word (in tok) and the score. */
static int parse_line(char *line, struct tn_tokens *tok, long *score, struct tn_err *err,
		      const char *path, size_t lineno)
{
	char *tab = strchr(line, '\t'), *end;
	size_t bad;

	if (!tab)
		return tn_err_set(err, TN_EFORMAT, "'%s' line %zu: expected word<TAB>score", path, lineno);
	*tab = '\0';
	errno = 0;
	*score = strtol(tab + 1, &end, 10);
	if (errno || end == tab + 1 || *end || *score < -TN_LEX_SCORE_MAX || *score > TN_LEX_SCORE_MAX)
		return tn_err_set(err, TN_EFORMAT, "'%s' line %zu: score must be an integer within -%d..%d",
				  path, lineno, TN_LEX_SCORE_MAX, TN_LEX_SCORE_MAX);
	if (tn_text_tokenize(tok, line, strlen(line), &bad))
		return tn_err_set(err, TN_EFORMAT, "'%s' line %zu: the word is not valid UTF-8", path, lineno);
	return 0;
}

int tn_lex_load(struct tn_lex **out, const char *path, const char *name, uint64_t seed,
		size_t *skipped, struct tn_err *err)
{
	FILE *f = fopen(path, "rb");
	struct tn_tokens tok;
	struct tn_lex *l;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t got;
	int rc = 0;

	*out = NULL;
	*skipped = 0;
	if (!f)
		return tn_err_set(err, TN_EIO, "cannot read lexicon '%s': %s", path, strerror(errno));
	l = tn_lex_create(name, seed);
	if (!l) {
		fclose(f);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	tn_tokens_init(&tok);
	while (!rc && (got = getline(&line, &cap, f)) >= 0) {
		long score = 0;

		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		if (!got)
			continue;
		if (strlen(line) != (size_t)got) {
			rc = tn_err_set(err, TN_EFORMAT, "'%s' line %zu: NUL byte", path, lineno);
			break;
		}
		rc = parse_line(line, &tok, &score, err, path, lineno);
		if (rc)
			break;
		if (tok.n != 1 || score == 0) {
			(*skipped)++;   /* a phrase, or no valence */
			continue;
		}
		{
			char word[TN_TOKEN_MAX + 1];
			size_t wl = tok.off[1] - tok.off[0];

			memcpy(word, tok.bytes, wl);
			word[wl] = '\0';
			if (tn_lex_lookup(l, token_hash(word, wl, seed))) {
				(*skipped)++;   /* folds to a word already there: the first entry wins */
				continue;
			}
			rc = tn_lex_add(l, word, (int)score);
			if (rc == TN_ENOMEM)
				tn_err_set(err, rc, "out of memory");
			else if (rc)
				tn_err_set(err, rc, "'%s' line %zu: bad entry", path, lineno);
		}
	}
	if (!rc && ferror(f))
		rc = tn_err_set(err, TN_EIO, "cannot read lexicon '%s': %s", path, strerror(errno));
	free(line);
	fclose(f);
	tn_tokens_release(&tok);
	if (!rc && !l->n)
		rc = tn_err_set(err, TN_EFORMAT, "lexicon '%s' has no one-word entries", path);
	if (rc) {
		tn_lex_unref(l);
		return rc;
	}
	*out = l;
	return 0;
}
