/*
 * test_feat.c - hashed n-grams and TF-IDF vectors (lib/feat.h).
 *
 * The stability test pins the exact buckets of a few texts under the default
 * options: a change of hash function, seed handling, n-gram keying or tokenizer
 * makes every saved model silently wrong, so it must fail here first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <xxhash.h>

#include "../../lib/feat.h"
#include "testutil.h"
#include "featutil.h"

struct bc {
	uint32_t bucket, count;
};

static void assert_ascending_unique(const struct tn_counts *c, int bits)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		assert_true(c->bucket[i] < (1u << bits));
		assert_true(c->count[i] > 0);
		if (i)
			assert_true(c->bucket[i - 1] < c->bucket[i]);
	}
}

static void check_buckets(const struct tn_feat_opts *o, const char *text, const struct bc *want, size_t n)
{
	struct tn_counts c;
	size_t i;

	tn_counts_init(&c);
	tu_count(o, text, &c);
	if (c.n != n)
		fail_msg("'%s': %zu buckets, expected %zu", text, c.n, n);
	for (i = 0; i < n; i++)
		if (c.bucket[i] != want[i].bucket || c.count[i] != want[i].count)
			fail_msg("'%s': entry %zu is {%u, %u}, expected {%u, %u}", text, i, c.bucket[i],
				 c.count[i], want[i].bucket, want[i].count);
	tn_counts_release(&c);
}

#define N(a) (sizeof(a) / sizeof(*(a)))

static void test_hash_stability(void **state)
{
	/*
	 * Computed once with the defaults (words 1-2, 2^20 buckets, seed "Tenor"),
	 * the bigrams with the XXH3 keys of bundles before "xxh3-64+mix"
	 * (TN_FEAT_KEYS_XXH3); the combined keys' values are in test_mix_keys.
	 */
	static const struct bc fox[] = {
		{ 149181, 1 }, { 550254, 1 }, { 611922, 1 }, { 634491, 1 }, { 686568, 1 }, { 728450, 1 }, { 781738, 1 },
	};
	static const struct bc strasse[] = {
		{ 150548, 1 }, { 286349, 1 }, { 529495, 1 }, { 694694, 1 }, { 744561, 1 },
	};
	static const struct bc tokyo[] = {
		{ 264506, 1 }, { 623178, 1 }, { 623921, 1 }, { 688647, 1 }, { 762310, 1 },
	};
	static const struct bc abab[] = {
		{ 70331, 1 }, { 652598, 2 }, { 693634, 2 }, { 731201, 2 },
	};
	static const struct bc fox_chars[] = {
		{ 417305, 1 }, { 457512, 1 }, { 552251, 1 }, { 554865, 1 }, { 582448, 1 }, { 684366, 1 }, { 1022272, 1 },
	};
	struct tn_feat_opts o;

	(void)state;
	tn_feat_opts_default(&o);
	o.ngram_keys = TN_FEAT_KEYS_XXH3;
	check_buckets(&o, "The quick brown fox", fox, N(fox));
	check_buckets(&o, "Stra\xc3\x9f" "e in Z\xc3\xbc" "rich", strasse, N(strasse));
	check_buckets(&o, "\xe6\x9d\xb1\xe4\xba\xac 2024", tokyo, N(tokyo));
	check_buckets(&o, "a b a b", abab, N(abab));
	/* Folding happens before hashing: same buckets whatever the case. */
	check_buckets(&o, "THE QUICK brown FOX!", fox, N(fox));
	check_buckets(&o, "STRASSE in Z\xc3\x9c" "RICH", strasse, N(strasse));
	o.word_min = o.word_max = 0;
	o.char_min = 2;
	o.char_max = 3;
	check_buckets(&o, "Fox", fox_chars, N(fox_chars));
}

/*
 * The default, combined bigram keys (TN_FEAT_KEYS_MIX), computed once: the
 * unigrams are the buckets above, the bigrams new ones, and "a b" is not "b a".
 */
static void test_mix_keys(void **state)
{
	static const struct bc fox[] = {
		{ 550254, 1 }, { 634491, 1 }, { 728450, 1 }, { 781738, 1 }, { 832591, 1 }, { 1012372, 1 }, { 1032120, 1 },
	};
	static const struct bc strasse[] = {
		{ 286349, 1 }, { 361183, 1 }, { 589491, 1 }, { 694694, 1 }, { 744561, 1 },
	};
	static const struct bc abab[] = {
		{ 288210, 2 }, { 693634, 2 }, { 731201, 2 }, { 878704, 1 },
	};
	struct tn_feat_opts o;

	(void)state;
	tn_feat_opts_default(&o);
	assert_int_equal(o.ngram_keys, TN_FEAT_KEYS_MIX);
	check_buckets(&o, "The quick brown fox", fox, N(fox));
	check_buckets(&o, "Stra\xc3\x9f" "e in Z\xc3\xbc" "rich", strasse, N(strasse));
	check_buckets(&o, "a b a b", abab, N(abab));
	check_buckets(&o, "A B a b!", abab, N(abab));
}

static void test_defaults(void **state)
{
	struct tn_feat_opts o;
	struct tn_err err;

	(void)state;
	tn_feat_opts_default(&o);
	assert_int_equal(o.word_min, 1);
	assert_int_equal(o.word_max, 2);
	assert_int_equal(o.char_min, 0);
	assert_int_equal(o.char_max, 0);
	assert_int_equal(o.bits, 20);
	assert_int_equal(o.min_df, 2);
	assert_int_equal(o.sublinear_tf, 1);
	assert_true(o.seed == TN_FEAT_SEED);
	assert_int_equal(tn_feat_opts_check(&o, &err), 0);
}

static void test_opts_check(void **state)
{
	struct tn_feat_opts o;
	struct tn_err err;

	(void)state;
	tn_feat_opts_default(&o);
	o.bits = 9;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
	assert_true(tu_has(err.msg, "hash bits"));
	o.bits = 25;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
	o.bits = 24;
	assert_int_equal(tn_feat_opts_check(&o, &err), 0);

	tn_feat_opts_default(&o);
	o.word_min = 3;
	o.word_max = 2;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
	assert_true(tu_has(err.msg, "word n-grams"));
	o.word_min = 1;
	o.word_max = TN_FEAT_NGRAM_MAX + 1;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);

	tn_feat_opts_default(&o);
	o.char_min = 0;
	o.char_max = 3;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
	assert_true(tu_has(err.msg, "character n-grams"));
	o.char_min = 3;
	o.char_max = 9;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);

	tn_feat_opts_default(&o);
	o.word_min = o.word_max = 0;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
	assert_true(tu_has(err.msg, "no features"));
	o.char_min = 3;
	o.char_max = 5;
	assert_int_equal(tn_feat_opts_check(&o, &err), 0);

	tn_feat_opts_default(&o);
	o.min_df = 0;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
	assert_true(tu_has(err.msg, "document frequency"));
	assert_int_equal(tn_feat_opts_check(&o, NULL), TN_EINVAL);
}

static void test_word_ngram_counts(void **state)
{
	struct tn_feat_opts o;
	struct tn_counts c;

	(void)state;
	tn_feat_opts_default(&o);
	tn_counts_init(&c);
	/* 3 tokens, unigrams + bigrams: 3 + 2 = 5 occurrences, all distinct. */
	tu_count(&o, "alpha beta gamma", &c);
	assert_int_equal(tu_counts_total(&c), 5);
	assert_int_equal(c.n, 5);
	assert_ascending_unique(&c, o.bits);
	/* Repeats: "a" x3 and "a a" x2. */
	tu_count(&o, "a a a", &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(tu_counts_total(&c), 5);
	assert_true((c.count[0] == 3 && c.count[1] == 2) || (c.count[0] == 2 && c.count[1] == 3));
	/* Unigrams only, and 1-3 on 3 tokens: 3 + 2 + 1. */
	o.word_max = 1;
	tu_count(&o, "alpha beta gamma", &c);
	assert_int_equal(tu_counts_total(&c), 3);
	o.word_max = 3;
	tu_count(&o, "alpha beta gamma", &c);
	assert_int_equal(tu_counts_total(&c), 6);
	/* 2-3 only: no unigrams. */
	o.word_min = 2;
	tu_count(&o, "alpha beta gamma", &c);
	assert_int_equal(tu_counts_total(&c), 3);
	/* n-grams longer than the text give nothing. */
	o.word_min = 3;
	o.word_max = 3;
	tu_count(&o, "alpha beta", &c);
	assert_int_equal(c.n, 0);
	tn_counts_release(&c);
}

static void test_word_order_and_seed(void **state)
{
	struct tn_feat_opts o;
	struct tn_counts ab, ba;
	size_t i, shared = 0;

	(void)state;
	tn_feat_opts_default(&o);
	tn_counts_init(&ab);
	tn_counts_init(&ba);
	tu_count(&o, "alpha beta", &ab);
	tu_count(&o, "beta alpha", &ba);
	assert_int_equal(ab.n, 3);
	assert_int_equal(ba.n, 3);
	/* The unigrams are shared, the bigrams differ. */
	for (i = 0; i < 3; i++)
		shared += ab.bucket[i] == ba.bucket[0] || ab.bucket[i] == ba.bucket[1] || ab.bucket[i] == ba.bucket[2];
	assert_int_equal(shared, 2);
	/* Another seed, other buckets. */
	o.seed = TN_FEAT_SEED + 1;
	tu_count(&o, "alpha beta", &ba);
	assert_int_equal(ba.n, 3);
	assert_memory_not_equal(ab.bucket, ba.bucket, 3 * sizeof(uint32_t));
	tn_counts_release(&ab);
	tn_counts_release(&ba);
}

static void test_char_ngrams(void **state)
{
	struct tn_feat_opts o;
	struct tn_counts c;

	(void)state;
	tn_feat_opts_default(&o);
	o.word_min = o.word_max = 0;
	o.char_min = o.char_max = 3;
	tn_counts_init(&c);
	/* "<abc>": <ab abc bc> */
	tu_count(&o, "abc", &c);
	assert_int_equal(tu_counts_total(&c), 3);
	assert_int_equal(c.n, 3);
	/* 1-grams of "<ab>" and "<cd>": < and > twice each. */
	o.char_min = o.char_max = 1;
	tu_count(&o, "ab cd", &c);
	assert_int_equal(tu_counts_total(&c), 8);
	assert_int_equal(c.n, 6);
	/* Counted in code points, not bytes: "<é>" has 3 characters, 2 bigrams. */
	tu_count(&o, "\xc3\xa9", &c);
	assert_int_equal(tu_counts_total(&c), 3);
	o.char_min = o.char_max = 2;
	tu_count(&o, "\xc3\xa9", &c);
	assert_int_equal(tu_counts_total(&c), 2);
	/* A range: "<fox>" has 4 bigrams and 3 trigrams. */
	o.char_max = 3;
	tu_count(&o, "fox", &c);
	assert_int_equal(tu_counts_total(&c), 7);
	/* Words and characters together: 1 unigram + 7. */
	o.word_min = o.word_max = 1;
	tu_count(&o, "FOX", &c);
	assert_int_equal(tu_counts_total(&c), 8);
	assert_ascending_unique(&c, o.bits);
	/* The longest token (TN_TOKEN_MAX bytes, padded) is fine. */
	{
		char big[TN_TOKEN_MAX + 50];

		memset(big, 'q', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		o.word_min = o.word_max = 0;
		o.char_min = 1;
		o.char_max = 8;
		tu_count(&o, big, &c);
		/* "<" + 256 q + ">" = 258 characters: sum over k of (258 - k + 1). */
		assert_int_equal(tu_counts_total(&c), 8 * 259 - 36);
	}
	tn_counts_release(&c);
}

static void test_many_ngrams_sorted(void **state)
{
	struct tn_feat_opts o;
	struct tn_counts c;
	char *text = malloc(20000);
	size_t n = 0;
	int i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < 2000; i++)
		n += (size_t)snprintf(text + n, 20000 - n, "w%d ", i % 1500);
	tn_feat_opts_default(&o);
	tn_counts_init(&c);
	tu_count(&o, text, &c);
	assert_int_equal(tu_counts_total(&c), 2000 + 1999);
	assert_ascending_unique(&c, o.bits);
	/* Small tables too: buckets stay below 2^bits, collisions add up. */
	o.bits = 10;
	tu_count(&o, text, &c);
	assert_int_equal(tu_counts_total(&c), 3999);
	assert_true(c.n <= 1024);
	assert_ascending_unique(&c, o.bits);
	tn_counts_release(&c);
	free(text);
}

static void test_count_rejects_bad_text(void **state)
{
	struct tn_feat_opts o;
	struct tn_feat_scratch *s;
	struct tn_counts c;
	size_t off = 0;

	(void)state;
	tn_feat_opts_default(&o);
	s = tn_feat_scratch_create(&o);
	tn_counts_init(&c);
	assert_int_equal(tn_feat_count(&o, s, "good \xff", 6, &c, &off), TN_EFORMAT);
	assert_int_equal(off, 5);
	assert_int_equal(tn_feat_count(&o, s, "a\0b", 3, &c, &off), TN_EFORMAT);
	assert_int_equal(off, 1);
	/* The scratch is still good afterwards. */
	assert_int_equal(tn_feat_count(&o, s, "a b", 3, &c, NULL), 0);
	assert_int_equal(tu_counts_total(&c), 3);
	assert_int_equal(tn_feat_count(&o, s, "", 0, &c, NULL), 0);
	assert_int_equal(c.n, 0);
	tn_counts_release(&c);
	tn_feat_scratch_free(s);
	tn_feat_scratch_free(NULL);
}

static void test_idf_formula(void **state)
{
	struct tn_feat_opts o;
	uint32_t *df = calloc(1024, sizeof(*df));
	float *idf = malloc(1024 * sizeof(*idf));
	size_t b;

	(void)state;
	assert_non_null(df);
	assert_non_null(idf);
	tn_feat_opts_default(&o);
	o.bits = 10;
	o.min_df = 2;
	/* 4 documents; idf = ln((1 + 4) / (1 + df)) + 1. */
	df[0] = 4;   /* ln(5/5) + 1 = 1 */
	df[1] = 1;   /* below min_df: 0 */
	df[2] = 2;   /* ln(5/3) + 1 = 1.5108256 */
	df[5] = 3;   /* ln(5/4) + 1 = 1.2231436 */
	assert_int_equal(tn_feat_idf(&o, df, 4, idf), 3);
	assert_float_equal(idf[0], 1.0, 1e-6);
	assert_true(idf[1] == 0.0f);
	assert_float_equal(idf[2], 1.5108256, 1e-6);
	assert_float_equal(idf[5], 1.2231436, 1e-6);
	for (b = 0; b < 1024; b++)
		if (b != 0 && b != 2 && b != 5)
			assert_true(idf[b] == 0.0f);
	/* min_df 1 keeps the rare bucket: ln(5/2) + 1 = 1.9162907. */
	o.min_df = 1;
	assert_int_equal(tn_feat_idf(&o, df, 4, idf), 4);
	assert_float_equal(idf[1], 1.9162907, 1e-6);
	/* min_df 4 keeps only the bucket in every document. */
	o.min_df = 4;
	assert_int_equal(tn_feat_idf(&o, df, 4, idf), 1);
	assert_true(idf[2] == 0.0f);
	free(df);
	free(idf);
}

/* The hand-made counts {0: 1, 1: 2, 2: 3, 5: 1} weighed with the idf above. */
static void test_weigh(void **state)
{
	static uint32_t buckets[] = { 0, 1, 2, 5 }, counts[] = { 1, 2, 3, 1 };
	struct tn_feat_opts o;
	struct tn_counts c = { buckets, counts, 4, 4 };
	struct tn_vec v;
	float *idf = calloc(1024, sizeof(*idf));
	double w0, w2, w5, norm;

	(void)state;
	assert_non_null(idf);
	tn_feat_opts_default(&o);
	o.bits = 10;
	idf[0] = 1.0f;
	idf[1] = 0.0f;   /* dropped by min_df */
	idf[2] = 1.5108256f;
	idf[5] = 1.2231436f;
	tn_vec_init(&v);

	/* Sublinear tf: 1 + ln(tf).  Bucket 1 is left out; indices are bucket + 1. */
	assert_int_equal(tn_feat_weigh(&o, idf, &c, &v), 0);
	w0 = 1.0 * 1.0;
	w2 = (1.0 + log(3.0)) * (double)idf[2];
	w5 = 1.0 * (double)idf[5];
	norm = sqrt(w0 * w0 + w2 * w2 + w5 * w5);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.idx[0], 1);
	assert_int_equal(v.idx[1], 3);
	assert_int_equal(v.idx[2], 6);
	assert_float_equal(v.val[0], w0 / norm, 1e-12);
	assert_float_equal(v.val[1], w2 / norm, 1e-12);
	assert_float_equal(v.val[2], w5 / norm, 1e-12);
	assert_float_equal(v.val[0] * v.val[0] + v.val[1] * v.val[1] + v.val[2] * v.val[2], 1.0, 1e-12);

	/* Raw tf. */
	o.sublinear_tf = 0;
	assert_int_equal(tn_feat_weigh(&o, idf, &c, &v), 0);
	w2 = 3.0 * (double)idf[2];
	norm = sqrt(w0 * w0 + w2 * w2 + w5 * w5);
	assert_int_equal(v.n, 3);
	assert_float_equal(v.val[1], w2 / norm, 1e-12);

	/* An empty document, and one with only dropped buckets: empty vectors. */
	c.n = 0;
	assert_int_equal(tn_feat_weigh(&o, idf, &c, &v), 0);
	assert_int_equal(v.n, 0);
	c.bucket = buckets + 1;
	c.count = counts + 1;
	c.n = 1;
	assert_int_equal(tn_feat_weigh(&o, idf, &c, &v), 0);
	assert_int_equal(v.n, 0);
	tn_vec_release(&v);
	tn_vec_release(NULL);
	free(idf);
}

static void test_tf_weight(void **state)
{
	struct tn_feat_opts o;
	uint32_t k;

	(void)state;
	tn_feat_opts_default(&o);
	for (k = 1; k < 40; k++) {
		double want = 1.0 + log((double)k);

		if (fabs(tn_feat_tf(&o, k) - want) > 4e-16 * want)
			fail_msg("tf weight of %u is %.17g, 1 + ln(%u) = %.17g", k, tn_feat_tf(&o, k), k, want);
	}
	o.sublinear_tf = 0;
	assert_true(tn_feat_tf(&o, 7) == 7.0);
}

/* From text to vector: unit norm, 1-based ascending indices, deterministic. */
static void test_text_to_vector(void **state)
{
	static const char *const docs[] = {
		"the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the end",
	};
	struct tn_feat_opts o;
	struct tn_feat_scratch *s;
	struct tn_counts c[4];
	struct tn_vec v;
	uint32_t *df;
	float *idf;
	size_t d, i;

	(void)state;
	tn_feat_opts_default(&o);
	o.bits = 16;
	s = tn_feat_scratch_create(&o);
	df = calloc(65536, sizeof(*df));
	idf = malloc(65536 * sizeof(*idf));
	assert_non_null(s);
	assert_non_null(df);
	assert_non_null(idf);
	for (d = 0; d < 4; d++) {
		tn_counts_init(&c[d]);
		assert_int_equal(tn_feat_count(&o, s, docs[d], strlen(docs[d]), &c[d], NULL), 0);
		for (i = 0; i < c[d].n; i++)
			df[c[d].bucket[i]]++;
	}
	/* the, cat, sat, on, dog, "sat on", "on the": 7 n-grams in >= 2 documents. */
	assert_int_equal(tn_feat_idf(&o, df, 4, idf), 7);
	tn_vec_init(&v);
	for (d = 0; d < 4; d++) {
		double sq = 0;

		assert_int_equal(tn_feat_weigh(&o, idf, &c[d], &v), 0);
		assert_true(v.n > 0);
		for (i = 0; i < v.n; i++) {
			assert_true(v.idx[i] >= 1 && v.idx[i] <= 65536);
			if (i)
				assert_true(v.idx[i - 1] < v.idx[i]);
			assert_true(v.val[i] > 0);
			sq += v.val[i] * v.val[i];
		}
		assert_float_equal(sq, 1.0, 1e-12);
		tn_counts_release(&c[d]);
	}
	/* "the end": only "the" is kept, so the vector is (1). */
	assert_int_equal(v.n, 1);
	assert_float_equal(v.val[0], 1.0, 1e-15);
	tn_vec_release(&v);
	tn_feat_scratch_free(s);
	free(df);
	free(idf);
}

struct memo_check {
	uint64_t seed;
	size_t n;
};

static void memo_check_one(void *ctx, uint32_t bucket, uint64_t hash, const char *ngram, size_t len)
{
	struct memo_check *m = ctx;
	uint64_t want = XXH3_64bits_withSeed(ngram, len, m->seed);

	(void)bucket;
	if (hash != want)
		fail_msg("token '%.*s': hash %016llx, XXH3 gives %016llx", (int)len, ngram,
			 (unsigned long long)hash, (unsigned long long)want);
	m->n++;
}

/*
 * Token hashes go through a per-scratch cache of short tokens (hash_tokens):
 * every hash must still be XXH3's, through hits, misses and evictions (40,000
 * distinct tokens of 1 to 12 bytes for a 16,384-slot cache, each seen several
 * times, tokens differing only past their length's bytes), and after the seed
 * changes with the same scratch.
 */
static void test_token_hash_memo(void **state)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct tn_feat_opts o;
	struct tn_feat_scratch *s;
	char *text = malloc(2000000);
	size_t len = 0, want = 0;
	uint64_t r = 12345;
	int rep, i, pass;

	(void)state;
	assert_non_null(text);
	for (rep = 0; rep < 3; rep++)
		for (i = 0; i < 40000; i++) {
			int l = 1 + i % 12, j;
			uint64_t x = (uint64_t)i * 2654435761u + (uint64_t)rep * (i % 7 == 0);

			for (j = 0; j < l; j++, x /= 36)
				text[len++] = alpha[x % 36];
			text[len++] = ' ';
			want++;
			if ((r = r * 6364136223846793005ULL + 1) >> 62 == 0) {
				/* Now and then a prefix of the token just written. */
				memcpy(text + len, text + len - (size_t)l - 1, (size_t)(l > 1 ? l - 1 : 1));
				len += (size_t)(l > 1 ? l - 1 : 1);
				text[len++] = ' ';
				want++;
			}
		}
	tn_feat_opts_default(&o);
	o.word_min = o.word_max = 1;
	s = tn_feat_scratch_create(&o);
	assert_non_null(s);
	for (pass = 0; pass < 2; pass++) {
		struct memo_check m = { o.seed, 0 };

		assert_int_equal(tn_feat_each_ngram(&o, s, text, len, memo_check_one, &m, NULL), 0);
		assert_int_equal(m.n, want);
		o.seed ^= 0xABCDEF;
	}
	tn_feat_scratch_free(s);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_stability),
		cmocka_unit_test(test_mix_keys),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_opts_check),
		cmocka_unit_test(test_word_ngram_counts),
		cmocka_unit_test(test_word_order_and_seed),
		cmocka_unit_test(test_char_ngrams),
		cmocka_unit_test(test_many_ngrams_sorted),
		cmocka_unit_test(test_count_rejects_bad_text),
		cmocka_unit_test(test_idf_formula),
		cmocka_unit_test(test_weigh),
		cmocka_unit_test(test_tf_weight),
		cmocka_unit_test(test_text_to_vector),
		cmocka_unit_test(test_token_hash_memo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
