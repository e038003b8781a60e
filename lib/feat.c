/*
 * feat.c - n-gram hashing and TF-IDF vectors; the scheme is in feat.h.
 *
 * Every n-gram occurrence's bucket is appended to a list, and the list is
 * counted in a small open-addressing table sized to the document (twice its
 * n-gram occurrences, emptied again after use).  This keeps all the work in a
 * few small arrays that stay in cache: a dense 2^bits count table was measured
 * slower (its cache misses dominated), and so was sorting the list (callgrind:
 * the radix sort and the run-length pass were 32 % of classify's instructions,
 * the table a third of that).  Training wants the pairs by ascending bucket:
 * tn_feat_count sorts the unique buckets.
 */
#include "feat.h"
#include "buf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
/* Inlined: the calls through the shared library cost 14 % of classify (perf). */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* 1 + ln(k) for k < 16, printed with %.17g (exact doubles); test_feat checks them against log(). */
const double tn_feat_log_table[16] = {
	0.0, 1, 1.6931471805599454, 2.09861228866811,
	2.3862943611198908, 2.6094379124341005, 2.791759469228055, 2.9459101490553135,
	3.0794415416798357, 3.1972245773362196, 3.3025850929940459, 3.3978952727983707,
	3.4849066497880004, 3.5649493574615367, 3.6390573296152584, 3.7080502011022101,
};

struct tn_feat_scratch {
	struct tn_tokens tok;
	uint64_t *hash;          /* one hash a token */
	uint8_t *code;           /* one tone code a token (tone keys built) */
	size_t hash_cap;
	uint32_t *touched, *tmp; /* the bucket of every n-gram occurrence */
	size_t touched_n, touched_cap;
	uint64_t *table;         /* open addressing: count << 32 | bucket, or EMPTY */
	int table_bits;          /* its size; the last document used 2^cur_bits slots */
	int cur_bits;
	int bits;
	struct tn_tone_keys tone;
	struct hash_memo *memo;  /* hash_tokens' cache, or NULL */
	uint8_t *memo_code;      /* the tone code of each memo slot (tone keys built) */
	uint64_t memo_seed;      /* the seed of the memo's hashes */
};

/*
 * hash_tokens' cache of the hashes of short tokens: direct-mapped, keyed by
 * the token's bytes (a token of 1 to 8 bytes, none of them NUL, is its bytes
 * zero-padded to 64 bits; key 0 is no token).  A hit gives exactly the hash
 * XXH3 gives; a miss computes it and takes the slot.  16,384 slots, 256 KiB
 * a thread, allocated at the first document: 4,096 missed more on the bench
 * archive's emails (classify -j 1 on 1 GB: 5.02 -> 4.78 s; 65,536 no
 * faster), and keys of up to 16 bytes mispredicted more (callgrind
 * --branch-sim).  When the scratch has tone keys, the memo keeps each slot's
 * tone code (tn_tone_code) beside it, 16 KiB more.
 */
#define MEMO_BITS 14
struct hash_memo {
	uint64_t key, hash;
};

#define EMPTY UINT64_MAX

void tn_feat_opts_default(struct tn_feat_opts *o)
{
	o->word_min = 1;
	o->word_max = 2;
	o->char_min = 0;
	o->char_max = 0;
	o->bits = 20;
	o->min_df = 2;
	o->sublinear_tf = 1;
	o->seed = TN_FEAT_SEED;
	o->ngram_keys = TN_FEAT_KEYS_MIX;
	o->tone.neg_scope = 0;
	o->tone.attribution = 0;
	o->tone.lex = NULL;
}

int tn_feat_opts_check(const struct tn_feat_opts *o, struct tn_err *err)
{
	if (o->bits < TN_FEAT_BITS_MIN || o->bits > TN_FEAT_BITS_MAX)
		return tn_err_set(err, TN_EINVAL, "hash bits must be %d..%d, not %d",
				  TN_FEAT_BITS_MIN, TN_FEAT_BITS_MAX, o->bits);
	if (o->word_min < 0 || o->word_max > TN_FEAT_NGRAM_MAX || o->word_min > o->word_max ||
	    (o->word_min == 0 && o->word_max != 0))
		return tn_err_set(err, TN_EINVAL, "word n-grams must be a range within 1..%d, not %d-%d",
				  TN_FEAT_NGRAM_MAX, o->word_min, o->word_max);
	if (o->char_min < 0 || o->char_max > TN_FEAT_CHAR_NGRAM_MAX || o->char_min > o->char_max ||
	    (o->char_min == 0 && o->char_max != 0))
		return tn_err_set(err, TN_EINVAL, "character n-grams must be a range within 1..%d, not %d-%d",
				  TN_FEAT_CHAR_NGRAM_MAX, o->char_min, o->char_max);
	if (o->word_max == 0 && o->char_max == 0)
		return tn_err_set(err, TN_EINVAL, "no features: both word and character n-grams are off");
	if (o->min_df < 1)
		return tn_err_set(err, TN_EINVAL, "minimum document frequency must be >= 1, not %d",
				  o->min_df);
	if (o->tone.neg_scope < 0 || o->tone.neg_scope > TN_TONE_NEG_MAX)
		return tn_err_set(err, TN_EINVAL, "negation scope must be 0..%d tokens, not %d",
				  TN_TONE_NEG_MAX, o->tone.neg_scope);
	if (o->tone.lex && tn_lex_seed(o->tone.lex) != o->seed)
		return tn_err_set(err, TN_EINVAL, "the lexicon was hashed with another seed");
	return 0;
}

struct tn_feat_scratch *tn_feat_scratch_create(const struct tn_feat_opts *o)
{
	struct tn_feat_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->bits = o->bits;
	tn_tokens_init(&s->tok);
	if (tn_tone_on(&o->tone) && tn_tone_keys_init(&s->tone, &o->tone, o->seed)) {
		tn_tokens_release(&s->tok);
		free(s);
		return NULL;
	}
	return s;
}

void tn_feat_scratch_free(struct tn_feat_scratch *s)
{
	if (!s)
		return;
	tn_tokens_release(&s->tok);
	tn_tone_keys_release(&s->tone);
	free(s->memo);
	free(s->hash);
	free(s->code);
	free(s->touched);
	free(s->tmp);
	free(s->table);
	free(s);
}

void tn_counts_init(struct tn_counts *c)
{
	memset(c, 0, sizeof(*c));
}

void tn_counts_release(struct tn_counts *c)
{
	if (!c)
		return;
	free(c->bucket);
	free(c->count);
	tn_counts_init(c);
}

void tn_vec_init(struct tn_vec *v)
{
	memset(v, 0, sizeof(*v));
}

void tn_vec_release(struct tn_vec *v)
{
	if (!v)
		return;
	free(v->idx);
	free(v->val);
	tn_vec_init(v);
}

static inline void put_le64(unsigned char *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8);   /* one store; the loop below cost 12 % of classify (callgrind) */
#else
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
#endif
}

/* Counts one hashed n-gram; the touched list has room (reserved by the caller). */
static inline void bump(struct tn_feat_scratch *s, uint64_t h)
{
	s->touched[s->touched_n++] = (uint32_t)(h & (((uint64_t)1 << s->bits) - 1));
}

/* Room for n tokens' hashes and tone codes: 0 or TN_ENOMEM. */
static int grow_hash(struct tn_feat_scratch *s, size_t n)
{
	uint64_t *h;
	uint8_t *c;

	if (n <= s->hash_cap)
		return 0;
	h = realloc(s->hash, n * sizeof(*h));
	if (!h)
		return TN_ENOMEM;
	s->hash = h;
	c = realloc(s->code, n);
	if (!c)
		return TN_ENOMEM;
	s->code = c;
	s->hash_cap = n;
	return 0;
}

/*
 * The feature hash of every token (word n-grams and tone features use them),
 * and with tone keys its tone code.  On locals: a store into s->hash
 * (uint64_t) may alias o->seed, which made every token reload the seed, the
 * bytes and the offsets (callgrind, 10 MB of the bench archive: hash_tokens
 * with XXH3 77.7 M -> 71.6 M instructions).
 */
static void hash_tokens(const struct tn_feat_opts *o, struct tn_feat_scratch *s)
{
	const char *bytes = s->tok.bytes;
	const uint32_t *off = s->tok.off;
	const struct tn_tone_keys *tk = s->tone.table ? &s->tone : NULL;
	uint64_t *hash = s->hash, seed = o->seed;
	uint8_t *code = s->code, *memo_code;
	struct hash_memo *memo = s->memo;
	size_t i, n = s->tok.n, slots = (size_t)1 << MEMO_BITS;

	if (memo && s->memo_seed != seed) {
		memset(memo, 0, slots * (sizeof(*memo) + 1));
		s->memo_seed = seed;
	}
	/* One block: the slots, then their tone codes. */
	if (!memo && n && (memo = s->memo = calloc(slots, sizeof(*memo) + 1))) {
		s->memo_code = (uint8_t *)(memo + slots);
		s->memo_seed = seed;
	}
	if (!memo) {
		for (i = 0; i < n; i++) {
			hash[i] = XXH3_64bits_withSeed(bytes + off[i], off[i + 1] - off[i], seed);
			if (tk)
				code[i] = tn_tone_code(tk, hash[i]);
		}
		return;
	}
	memo_code = s->memo_code;
	for (i = 0; i < n; i++) {
		size_t len = off[i + 1] - off[i], slot;
		uint64_t key;

		if (len - 1 >= 8) {
			hash[i] = XXH3_64bits_withSeed(bytes + off[i], len, seed);
			if (tk)
				code[i] = tn_tone_code(tk, hash[i]);
			continue;
		}
		/* The 8 bytes from the token's start are inside the buffer (text.h). */
		memcpy(&key, bytes + off[i], 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		key &= UINT64_MAX << (64 - 8 * len);
#else
		key &= UINT64_MAX >> (64 - 8 * len);
#endif
		slot = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - MEMO_BITS));
		if (memo[slot].key != key) {
			memo[slot].key = key;
			memo[slot].hash = XXH3_64bits_withSeed(bytes + off[i], len, seed);
			if (tk)
				memo_code[slot] = tn_tone_code(tk, memo[slot].hash);
		}
		hash[i] = memo[slot].hash;
		if (tk)
			code[i] = memo_code[slot];
	}
}

/*
 * The hash of the word n-gram of the k tokens whose hashes are h[0..k)
 * (k >= 2).  TN_FEAT_KEYS_MIX folds them with multiplies and xor-shifts
 * (splitmix64's constants), about 15 instructions for a bigram;
 * TN_FEAT_KEYS_XXH3, what bundles before it use, runs XXH3 over the hashes'
 * little-endian bytes: about 45 with the key's stores and the call
 * (callgrind, a bigram model on 10 MB of the bench archive: see the README).
 */
static inline uint64_t word_ngram_hash(const struct tn_feat_opts *o, const uint64_t *h, int k)
{
	unsigned char key[8 * TN_FEAT_NGRAM_MAX];
	int j;

	if (o->ngram_keys == TN_FEAT_KEYS_MIX) {
		uint64_t acc = o->seed + (uint64_t)k * 0x9E3779B97F4A7C15ULL;

		for (j = 0; j < k; j++) {
			acc = (acc ^ h[j]) * 0xBF58476D1CE4E5B9ULL;
			acc ^= acc >> 31;
		}
		acc *= 0x94D049BB133111EBULL;
		return acc ^ acc >> 29;
	}
	for (j = 0; j < k; j++)
		put_le64(key + 8 * j, h[j]);
	return XXH3_64bits_withSeed(key, (size_t)(8 * k), o->seed + (uint64_t)k);
}

/*
 * "<token>" of token i into pad, and the byte offsets of its code points into
 * starts[0..n] (starts[n] the end); returns n.  A character n-gram of k code
 * points is pad[starts[a] .. starts[a + k]), hashed by char_ngram_hash.
 */
static size_t char_starts(const struct tn_feat_scratch *s, size_t i, unsigned char *pad, uint32_t *starts)
{
	size_t wl = s->tok.off[i + 1] - s->tok.off[i], plen = wl + 2, ncp = 0, p;

	pad[0] = '<';
	memcpy(pad + 1, s->tok.bytes + s->tok.off[i], wl);
	pad[wl + 1] = '>';
	for (p = 0; p < plen; p++)
		if ((pad[p] & 0xC0) != 0x80)
			starts[ncp++] = (uint32_t)p;
	starts[ncp] = (uint32_t)plen;
	return ncp;
}

static inline uint64_t char_ngram_hash(const struct tn_feat_opts *o, const unsigned char *from, size_t len, int k)
{
	return XXH3_64bits_withSeed(from, len, o->seed ^ (0x9E3779B97F4A7C15ULL + (uint64_t)k));
}

/*
 * The touched list and the mask are locals here: through bump(), each store
 * into the list (uint32_t, which may alias s->bits) reloaded s->touched_n and
 * s->bits.
 */
static void count_words(const struct tn_feat_opts *o, struct tn_feat_scratch *s)
{
	size_t n = s->tok.n, i, t = s->touched_n;
	uint32_t *touched = s->touched;
	const uint64_t *hash = s->hash;
	uint64_t mask = ((uint64_t)1 << s->bits) - 1;
	int k;

	for (k = o->word_min; k >= 1 && k <= o->word_max; k++) {
		if ((size_t)k > n)
			break;
		if (k == 1) {
			for (i = 0; i < n; i++)
				touched[t++] = (uint32_t)(hash[i] & mask);
			continue;
		}
		for (i = 0; i + (size_t)k <= n; i++)
			touched[t++] = (uint32_t)(word_ngram_hash(o, hash + i, k) & mask);
	}
	s->touched_n = t;
}

/* Character n-grams of "<token>", counted in code points. */
static void count_chars(const struct tn_feat_opts *o, struct tn_feat_scratch *s)
{
	unsigned char pad[TN_TOKEN_MAX + 2];
	uint32_t starts[TN_TOKEN_MAX + 3];
	size_t i;

	for (i = 0; i < s->tok.n; i++) {
		size_t ncp = char_starts(s, i, pad, starts);
		int k;

		for (k = o->char_min; k <= o->char_max; k++) {
			size_t a;

			for (a = 0; a + (size_t)k <= ncp; a++) {
				size_t from = starts[a], to = starts[a + (size_t)k];

				bump(s, char_ngram_hash(o, pad + from, to - from, k));
			}
		}
	}
}

/*
 * Buckets are below 2^TN_FEAT_BITS_MAX = 2^24: three passes of 8 bits, whose
 * 256-entry histograms stay in L1 (12-bit digits were measured slower on the
 * ~100-element lists of short documents: clearing their histograms dominated).
 */
static void radix_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
	size_t cnt[3][256];
	size_t i;
	int pass;

	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++) {
		uint32_t v = a[i];

		cnt[0][v & 0xFF]++;
		cnt[1][(v >> 8) & 0xFF]++;
		cnt[2][(v >> 16) & 0xFF]++;
	}
	for (pass = 0; pass < 3; pass++) {
		int shift = pass * 8;
		size_t sum = 0;
		uint32_t *from = pass == 1 ? tmp : a, *to = pass == 1 ? a : tmp;

		for (i = 0; i < 256; i++) {
			size_t c = cnt[pass][i];

			cnt[pass][i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[cnt[pass][(from[i] >> shift) & 0xFF]++] = from[i];
	}
	memcpy(a, tmp, n * sizeof(*a));
}

static void sort_u32(uint32_t *a, uint32_t *tmp, size_t n)
{
	size_t i, j;

	if (n > 64) {
		radix_sort(a, tmp, n);
		return;
	}
	for (i = 1; i < n; i++) {
		uint32_t v = a[i];

		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/* Room for n (bucket, count) pairs in c. */
static int reserve_counts(struct tn_counts *c, size_t n)
{
	uint32_t *b, *k;

	if (n <= c->cap)
		return 0;
	b = realloc(c->bucket, n * sizeof(*b));
	if (!b)
		return TN_ENOMEM;
	c->bucket = b;
	k = realloc(c->count, n * sizeof(*k));
	if (!k)
		return TN_ENOMEM;
	c->count = k;
	c->cap = n;
	return 0;
}

/*
 * Unique buckets of the touched list with their counts, in order of first
 * occurrence, through a table of at least twice as many slots as occurrences
 * (so probes stay short), left empty again afterwards: no clearing per document
 * and no sort, which the predictor does not need.
 */
static int dedupe(struct tn_feat_scratch *s, struct tn_counts *c)
{
	size_t n = s->touched_n, i, m = 0;
	int tb = 6;
	uint64_t mask;

	while (((size_t)1 << tb) < 2 * n)
		tb++;
	if (tb > s->table_bits) {
		uint64_t *t = malloc(((size_t)1 << tb) * sizeof(*t));

		if (!t)
			return TN_ENOMEM;
		memset(t, 0xFF, ((size_t)1 << tb) * sizeof(*t));
		free(s->table);
		s->table = t;
		s->table_bits = tb;
	}
	/*
	 * This document's size, not the largest allocated: the table's other
	 * slots are empty too, and a table grown by one long document spread
	 * every later short one over it (a 1,000,000-token document before 100 MB
	 * of the bench archive: classify -j 1 took 0.81 s user, 0.76 s without).
	 */
	s->cur_bits = tb;
	mask = ((uint64_t)1 << tb) - 1;
	if (reserve_counts(c, n))
		return TN_ENOMEM;
	/*
	 * The slot of each unique bucket goes into c->count until the end.  The
	 * first probe, where most searches end, has no branch on whether the
	 * bucket is new (a coin toss to the branch predictor): the pair is
	 * written either way and kept by advancing m only when it is new
	 * (callgrind --branch-sim, classify -j 1 on 10 MB of the bench archive:
	 * counting's mispredictions 887 K -> 265 K; on 1 GB, 5.47 -> 4.96 s).
	 */
	for (i = 0; i < n; i++) {
		uint32_t b = s->touched[i];
		uint64_t h = ((uint64_t)b * 0x9E3779B97F4A7C15ULL) >> (64 - tb);
		uint64_t e = s->table[h];
		uint64_t fresh = e == EMPTY, hit = ((uint32_t)e == b) + fresh;

		if (__builtin_expect(hit != 0, 1)) {
			/* fresh ? 1 << 32 | b : e + (1 << 32), by masks. */
			s->table[h] = (e & (fresh - 1)) + ((uint64_t)1 << 32) + (b & (0 - fresh));
			c->bucket[m] = b;
			c->count[m] = (uint32_t)h;
			m += fresh;
			continue;
		}
		h = (h + 1) & mask;
		for (;;) {
			e = s->table[h];

			if (e == EMPTY) {
				s->table[h] = ((uint64_t)1 << 32) | b;
				c->bucket[m] = b;
				c->count[m++] = (uint32_t)h;
				break;
			}
			if ((uint32_t)e == b) {
				s->table[h] = e + ((uint64_t)1 << 32);
				break;
			}
			h = (h + 1) & mask;
		}
	}
	for (i = 0; i < m; i++) {
		uint32_t h = c->count[i];

		c->count[i] = (uint32_t)(s->table[h] >> 32);
		s->table[h] = EMPTY;
	}
	c->n = m;
	return 0;
}

/* Sorts c's pairs by bucket (insertion sort when short, else by the radix sort of keys). */
static int sort_counts(struct tn_feat_scratch *s, struct tn_counts *c)
{
	size_t i, j, n = c->n;

	if (n <= 64) {
		for (i = 1; i < n; i++) {
			uint32_t b = c->bucket[i], k = c->count[i];

			for (j = i; j > 0 && c->bucket[j - 1] > b; j--) {
				c->bucket[j] = c->bucket[j - 1];
				c->count[j] = c->count[j - 1];
			}
			c->bucket[j] = b;
			c->count[j] = k;
		}
		return 0;
	}
	/* Buckets are unique: sort them, then look each count up again in the table. */
	for (i = 0; i < n; i++) {
		uint32_t b = c->bucket[i];
		uint64_t h = ((uint64_t)b * 0x9E3779B97F4A7C15ULL) >> (64 - s->cur_bits);

		while (s->table[h] != EMPTY)
			h = (h + 1) & (((uint64_t)1 << s->cur_bits) - 1);
		s->table[h] = ((uint64_t)c->count[i] << 32) | b;
	}
	memcpy(s->touched, c->bucket, n * sizeof(*c->bucket));
	sort_u32(s->touched, s->tmp, n);
	for (i = 0; i < n; i++) {
		uint32_t b = s->touched[i];
		uint64_t h = ((uint64_t)b * 0x9E3779B97F4A7C15ULL) >> (64 - s->cur_bits);

		while ((uint32_t)s->table[h] != b)
			h = (h + 1) & (((uint64_t)1 << s->cur_bits) - 1);
		c->bucket[i] = b;
		c->count[i] = (uint32_t)(s->table[h] >> 32);
	}
	/* Empty the table again (every pair's cluster). */
	for (i = 0; i < n; i++) {
		uint64_t h = ((uint64_t)c->bucket[i] * 0x9E3779B97F4A7C15ULL) >> (64 - s->cur_bits);

		while (s->table[h] != EMPTY) {
			s->table[h] = EMPTY;
			h = (h + 1) & (((uint64_t)1 << s->cur_bits) - 1);
		}
	}
	return 0;
}

static int count_unordered(const struct tn_feat_opts *o, struct tn_feat_scratch *s,
			   const char *text, size_t len, struct tn_counts *c, size_t *bad_offset)
{
	size_t need, ntok;
	int rc;

	rc = tn_text_tokenize(&s->tok, text, len, bad_offset);
	if (rc)
		return rc;
	ntok = s->tok.n;
	if (grow_hash(s, ntok))
		return TN_ENOMEM;
	/* Upper bound on n-grams: per word order, and per char order. */
	need = ntok * (size_t)(o->word_max ? o->word_max - o->word_min + 1 : 0) + 1;
	if (o->char_max)
		need += (s->tok.nbytes + 2 * ntok) * (size_t)(o->char_max - o->char_min + 1);
	if (tn_tone_on(&o->tone))
		need += tn_tone_max(ntok);
	if (tn_array_grow(&s->touched, &s->touched_cap, need, sizeof(*s->touched), 256))
		return TN_ENOMEM;
	if (s->touched_cap) {
		uint32_t *t = realloc(s->tmp, s->touched_cap * sizeof(*t));

		if (!t)
			return TN_ENOMEM;
		s->tmp = t;
	}
	s->touched_n = 0;
	if (o->word_max || tn_tone_on(&o->tone))
		hash_tokens(o, s);
	if (o->word_max)
		count_words(o, s);
	if (o->char_max)
		count_chars(o, s);
	if (tn_tone_on(&o->tone))
		s->touched_n += tn_tone_count(&o->tone, &s->tone, &s->tok, s->hash, s->code, text, len,
					      ((uint64_t)1 << s->bits) - 1, s->touched + s->touched_n);
	return dedupe(s, c);
}

int tn_feat_count_unordered(const struct tn_feat_opts *o, struct tn_feat_scratch *s,
			    const char *text, size_t len, struct tn_counts *c, size_t *bad_offset)
{
	return count_unordered(o, s, text, len, c, bad_offset);
}

int tn_feat_count(const struct tn_feat_opts *o, struct tn_feat_scratch *s,
		  const char *text, size_t len, struct tn_counts *c, size_t *bad_offset)
{
	int rc = count_unordered(o, s, text, len, c, bad_offset);

	return rc ? rc : sort_counts(s, c);
}

struct pair {
	uint32_t idx;
	double val;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Puts v's indices in ascending order (libsvm's kernels need it); cheap when they are. */
static int sort_vec(struct tn_vec *v)
{
	struct pair *p;
	size_t i;

	for (i = 1; i < v->n && v->idx[i - 1] < v->idx[i]; i++)
		;
	if (i >= v->n)
		return 0;
	p = malloc(v->n * sizeof(*p));
	if (!p)
		return TN_ENOMEM;
	for (i = 0; i < v->n; i++)
		p[i] = (struct pair){ v->idx[i], v->val[i] };
	qsort(p, v->n, sizeof(*p), cmp_pair);
	for (i = 0; i < v->n; i++) {
		v->idx[i] = p[i].idx;
		v->val[i] = p[i].val;
	}
	free(p);
	return 0;
}

int tn_feat_weigh(const struct tn_feat_opts *o, const float *idf,
		  const struct tn_counts *c, struct tn_vec *v)
{
	double norm = 0;
	size_t i, n = 0;

	if (c->n > v->cap) {
		uint32_t *ix = realloc(v->idx, c->n * sizeof(*ix));
		double *va;

		if (!ix)
			return TN_ENOMEM;
		v->idx = ix;
		va = realloc(v->val, c->n * sizeof(*va));
		if (!va)
			return TN_ENOMEM;
		v->val = va;
		v->cap = c->n;
	}
	for (i = 0; i < c->n; i++) {
		float w = idf[c->bucket[i]];
		double tf;

		if (w == 0.0f)
			continue;
		tf = tn_feat_tf(o, c->count[i]);
		v->idx[n] = c->bucket[i] + 1;
		v->val[n] = tf * (double)w;
		norm += v->val[n] * v->val[n];
		n++;
	}
	v->n = n;
	if (sort_vec(v))
		return TN_ENOMEM;
	if (norm > 0) {
		norm = 1.0 / sqrt(norm);
		for (i = 0; i < n; i++)
			v->val[i] *= norm;
	}
	return 0;
}

size_t tn_feat_idf(const struct tn_feat_opts *o, const uint32_t *df, size_t ndocs, float *idf)
{
	size_t nb = (size_t)1 << o->bits, b, kept = 0;

	for (b = 0; b < nb; b++) {
		if (df[b] < (uint32_t)o->min_df || df[b] == 0) {
			idf[b] = 0.0f;
			continue;
		}
		idf[b] = (float)(log((1.0 + (double)ndocs) / (1.0 + (double)df[b])) + 1.0);
		kept++;
	}
	return kept;
}

int tn_feat_each_ngram(const struct tn_feat_opts *o, struct tn_feat_scratch *s, const char *text, size_t len,
		       tn_feat_ngram_fn fn, void *ctx, size_t *bad_offset)
{
	char joined[TN_FEAT_NGRAM_MAX * (TN_TOKEN_MAX + 1)];
	unsigned char pad[TN_TOKEN_MAX + 2];
	uint32_t starts[TN_TOKEN_MAX + 3];
	uint64_t mask = ((uint64_t)1 << o->bits) - 1;
	size_t n, i;
	int k, rc;

	rc = tn_text_tokenize(&s->tok, text, len, bad_offset);
	if (rc)
		return rc;
	n = s->tok.n;
	if (grow_hash(s, n))
		return TN_ENOMEM;
	/* The same hashes as count_words and count_chars, with the n-gram's text. */
	hash_tokens(o, s);
	for (k = o->word_min; k >= 1 && k <= o->word_max && (size_t)k <= n; k++)
		for (i = 0; i + (size_t)k <= n; i++) {
			size_t jl = 0;
			uint64_t h;
			int j;

			for (j = 0; j < k; j++) {
				size_t t = i + (size_t)j, wl = s->tok.off[t + 1] - s->tok.off[t];

				if (j)
					joined[jl++] = ' ';
				memcpy(joined + jl, s->tok.bytes + s->tok.off[t], wl);
				jl += wl;
			}
			h = k == 1 ? s->hash[i] : word_ngram_hash(o, s->hash + i, k);
			fn(ctx, (uint32_t)(h & mask), h, joined, jl);
		}
	for (i = 0; o->char_max && i < n; i++) {
		size_t ncp = char_starts(s, i, pad, starts);

		for (k = o->char_min; k <= o->char_max; k++) {
			size_t a;

			for (a = 0; a + (size_t)k <= ncp; a++) {
				size_t from = starts[a], to = starts[a + (size_t)k];
				uint64_t h = char_ngram_hash(o, pad + from, to - from, k);

				fn(ctx, (uint32_t)(h & mask), h, (const char *)pad + from, to - from);
			}
		}
	}
	if (tn_tone_on(&o->tone))
		tn_tone_each(&o->tone, &s->tone, &s->tok, s->hash, text, len, mask, fn, ctx);
	return 0;
}
