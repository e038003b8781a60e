/*
 * test_tone.c - negation scope, lexicon and attribution features (lib/tone.h)
 * as feat.c counts them with a document's n-grams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/feat.h"
#include "../../lib/tone.h"
#include "testutil.h"
#include "featutil.h"

/* The library's defaults with word unigrams only (train's default), so counts are words. */
static void unigrams(struct tn_feat_opts *o)
{
	tn_feat_opts_default(o);
	o->word_max = 1;
}

static int has(const struct tn_counts *c, uint32_t bucket)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->bucket[i] == bucket)
			return 1;
	return 0;
}

/* The buckets of b that a lacks (b's counts minus a's, by bucket). */
static size_t extra(const struct tn_counts *a, const struct tn_counts *b, uint32_t *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < b->n && n < max; i++)
		if (!has(a, b->bucket[i]))
			out[n++] = b->bucket[i];
	return n;
}

static struct tn_lex *lexicon(const char *dir, const char *content, size_t *skipped)
{
	char *p = tu_path(dir, "lex.tsv");
	struct tn_lex *l = NULL;
	struct tn_err err;

	tu_write_str(p, content);
	assert_int_equal(tn_lex_load(&l, p, "lex.tsv", TN_FEAT_SEED, skipped, &err), 0);
	free(p);
	return l;
}

static void test_off_is_unchanged(void **state)
{
	struct tn_feat_opts o;
	struct tn_counts a;

	(void)state;
	unigrams(&o);
	assert_false(tn_tone_on(&o.tone));
	tn_counts_init(&a);
	tu_count(&o, "They did not accept, \"he said\".", &a);
	/* Six words, one unigram each: no tone feature when all are off. */
	assert_int_equal(tu_counts_total(&a), 6);
	tn_counts_release(&a);
}

static void test_negation_scope(void **state)
{
	struct tn_feat_opts o, plain;
	struct tn_counts a, b, c;
	uint32_t ex[8];

	(void)state;
	unigrams(&plain);
	o = plain;
	o.tone.neg_scope = 2;
	tn_counts_init(&a);
	tn_counts_init(&b);
	tn_counts_init(&c);
	/* "accept" and "the" follow the cue within 2 words; "offer" does not. */
	tu_count(&plain, "we do not accept the offer", &a);
	tu_count(&o, "we do not accept the offer", &b);
	assert_int_equal(tu_counts_total(&b), tu_counts_total(&a) + 2);
	assert_int_equal(extra(&a, &b, ex, 8), 2);
	/* The marked copy is not the word itself, and the apostrophe form is a cue too. */
	tu_count(&o, "we don't accept", &c);
	assert_int_equal(tu_counts_total(&c), 4 + 1);
	tn_counts_release(&c);
	tn_counts_init(&c);
	tu_count(&o, "we accept", &c);
	assert_int_equal(tu_counts_total(&c), 2);
	/* Scope 0 again: nothing marked. */
	o.tone.neg_scope = 0;
	tn_counts_release(&b);
	tn_counts_init(&b);
	tu_count(&o, "we do not accept the offer", &b);
	assert_int_equal(tu_counts_total(&b), tu_counts_total(&a));
	tn_counts_release(&a);
	tn_counts_release(&b);
	tn_counts_release(&c);
}

static void test_lexicon_load(void **state)
{
	struct tu_tmp_fx *fx = *state;
	struct tn_lex *l;
	size_t skipped;
	char *p = tu_path(fx->dir, "bad.tsv");
	struct tn_err err;

	l = lexicon(fx->dir, "good\t3\nbad\t-3\n\nvery bad\t-4\nzero\t0\nGOOD\t2\nStraße\t1\n", &skipped);
	/* good, bad and the folded strasse; the phrase, the 0 and the repeat skipped. */
	assert_int_equal(tn_lex_count(l), 3);
	assert_int_equal(skipped, 3);
	assert_string_equal(tn_lex_word(l, 2), "strasse");
	assert_string_equal(tn_lex_name(l), "lex.tsv");
	tn_lex_unref(l);

	tu_write_str(p, "good\t3\nbad\tawful\n");
	assert_int_equal(tn_lex_load(&l, p, "bad.tsv", TN_FEAT_SEED, &skipped, &err), TN_EFORMAT);
	assert_null(l);
	assert_non_null(strstr(err.msg, "line 2"));
	tu_write_str(p, "good 3\n");
	assert_int_equal(tn_lex_load(&l, p, "bad.tsv", TN_FEAT_SEED, &skipped, &err), TN_EFORMAT);
	assert_non_null(strstr(err.msg, "word<TAB>score"));
	tu_write_str(p, "good\t12\n");
	assert_int_equal(tn_lex_load(&l, p, "bad.tsv", TN_FEAT_SEED, &skipped, &err), TN_EFORMAT);
	tu_write_str(p, "two words\t1\n");
	assert_int_equal(tn_lex_load(&l, p, "bad.tsv", TN_FEAT_SEED, &skipped, &err), TN_EFORMAT);
	assert_non_null(strstr(err.msg, "no one-word entries"));
	free(p);
	p = tu_path(fx->dir, "missing.tsv");
	assert_int_equal(tn_lex_load(&l, p, "missing.tsv", TN_FEAT_SEED, &skipped, &err), TN_EIO);
	free(p);
}

static void test_lexicon_features(void **state)
{
	struct tu_tmp_fx *fx = *state;
	struct tn_feat_opts o, plain;
	struct tn_counts a, b;
	uint32_t bad_class[4], good_class[4], ex[4];
	size_t skipped;

	unigrams(&plain);
	o = plain;
	o.tone.lex = lexicon(fx->dir, "good\t3\nbad\t-3\ngreat\t3\n", &skipped);
	tn_counts_init(&a);
	tn_counts_init(&b);
	/* One class feature per lexicon word: "bad" gives the -3 class. */
	tu_count(&plain, "a bad day", &a);
	tu_count(&o, "a bad day", &b);
	assert_int_equal(tu_counts_total(&b), tu_counts_total(&a) + 1);
	assert_int_equal(extra(&a, &b, bad_class, 4), 1);
	/* "good" and "great" share the +3 class, which is not the -3 one. */
	tn_counts_release(&a);
	tn_counts_release(&b);
	tn_counts_init(&a);
	tn_counts_init(&b);
	tu_count(&plain, "good great", &a);
	tu_count(&o, "good great", &b);
	assert_int_equal(extra(&a, &b, good_class, 4), 1);
	assert_int_not_equal(good_class[0], bad_class[0]);
	assert_int_equal(tu_counts_total(&b), 4);
	/* Negated, "good" counts as the -3 class. */
	o.tone.neg_scope = 1;
	tn_counts_release(&a);
	tn_counts_release(&b);
	tn_counts_init(&a);
	tn_counts_init(&b);
	tu_count(&o, "not good", &b);
	assert_true(has(&b, bad_class[0]));
	assert_false(has(&b, good_class[0]));
	/* The seed must be the lexicon's. */
	{
		struct tn_err err;

		o.seed = 7;
		assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
		assert_non_null(strstr(err.msg, "seed"));
	}
	(void)ex;
	tn_lex_unref(o.tone.lex);
	tn_counts_release(&a);
	tn_counts_release(&b);
}

static void test_attribution(void **state)
{
	struct tn_feat_opts o, plain;
	struct tn_counts a, b;
	uint32_t ex[4];
	char many[64];

	(void)state;
	unigrams(&plain);
	o = plain;
	o.tone.attribution = 1;
	tn_counts_init(&a);
	tn_counts_init(&b);
	/* said + according: the reporting class twice; two straight and two curly quotes. */
	tu_count(&plain, "\"No,\" he said, \xe2\x80\x9csoon\xe2\x80\x9d, according to aides", &a);
	tu_count(&o, "\"No,\" he said, \xe2\x80\x9csoon\xe2\x80\x9d, according to aides", &b);
	assert_int_equal(tu_counts_total(&b), tu_counts_total(&a) + 2 + 4);
	assert_int_equal(extra(&a, &b, ex, 4), 2);
	/* At most 16 quotation marks count. */
	memset(many, '"', 40);
	strcpy(many + 40, " x");
	tn_counts_release(&b);
	tn_counts_init(&b);
	tu_count(&o, many, &b);
	assert_int_equal(tu_counts_total(&b), 1 + 16);
	tn_counts_release(&a);
	tn_counts_release(&b);
}

struct named {
	char name[64][40];
	uint32_t bucket[64];
	size_t n;
};

static void collect(void *ctx, uint32_t bucket, uint64_t hash, const char *name, size_t len)
{
	struct named *nd = ctx;

	(void)hash;
	assert_true(nd->n < 64 && len < 40);
	memcpy(nd->name[nd->n], name, len);
	nd->name[nd->n][len] = '\0';
	nd->bucket[nd->n++] = bucket;
}

static size_t find_name(const struct named *nd, const char *name)
{
	size_t i;

	for (i = 0; i < nd->n; i++)
		if (!strcmp(nd->name[i], name))
			return i;
	fail_msg("no feature named '%s'", name);
	return 0;
}

/*
 * tn_feat_each_ngram names the tone features too, with the buckets
 * tn_feat_count counts: every counted bucket is named, and each tone name is
 * on the bucket counting gives that feature.
 */
static void test_tone_names(void **state)
{
	struct tu_tmp_fx *fx = *state;
	struct tn_feat_opts o, plain;
	struct tn_feat_scratch *s;
	struct tn_counts a, b;
	struct named nd = { .n = 0 };
	uint32_t ex[8];
	const char *text = "\"They did not accept the bad deal,\" he said.";
	size_t skipped, i, bad, nex;

	unigrams(&plain);
	o = plain;
	o.tone.neg_scope = 2;
	o.tone.attribution = 1;
	o.tone.lex = lexicon(fx->dir, "accept\t1\nbad\t-3\n", &skipped);
	s = tn_feat_scratch_create(&o);
	assert_non_null(s);
	assert_int_equal(tn_feat_each_ngram(&o, s, text, strlen(text), collect, &nd, &bad), 0);
	/* 9 words, NOT_accept and NOT_the, accept negated to -1, bad -3, said, 2 quotes. */
	assert_int_equal(nd.n, 9 + 2 + 2 + 1 + 2);
	find_name(&nd, "NOT_accept");
	find_name(&nd, "NOT_the");
	find_name(&nd, "[lexicon -1]");
	find_name(&nd, "[lexicon -3]");
	find_name(&nd, "[reporting word]");
	assert_int_equal(nd.bucket[find_name(&nd, "[quotation mark]")], nd.bucket[nd.n - 1]);
	tn_counts_init(&a);
	tn_counts_init(&b);
	tu_count(&plain, text, &a);
	tu_count(&o, text, &b);
	for (i = 0; i < b.n; i++) {
		size_t j;

		for (j = 0; j < nd.n && nd.bucket[j] != b.bucket[i]; j++)
			;
		assert_true(j < nd.n);
	}
	/* The tone features' buckets are the ones the plain count lacks. */
	nex = extra(&a, &b, ex, 8);
	assert_int_equal(nex, 6);   /* two NOT_, two lexicon classes, reporting, quote */
	for (i = 0; i < nex; i++) {
		size_t j;

		for (j = 9; j < nd.n && nd.bucket[j] != ex[i]; j++)
			;
		assert_true(j < nd.n);
	}
	tn_feat_scratch_free(s);
	tn_lex_unref(o.tone.lex);
	tn_counts_release(&a);
	tn_counts_release(&b);
}

/* Appends a bucket to a growing array (tn_feat_each_ngram's callback). */
struct bucket_list {
	uint32_t *b;
	size_t n, cap;
	size_t tone;   /* how many of them were tone features */
};

static void list_bucket(void *ctx, uint32_t bucket, uint64_t hash, const char *name, size_t len)
{
	struct bucket_list *l = ctx;

	(void)hash;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->b = realloc(l->b, l->cap * sizeof(*l->b));
		assert_non_null(l->b);
	}
	l->b[l->n++] = bucket;
	if (len >= 4 && (!memcmp(name, "NOT_", 4) || name[0] == '['))
		l->tone++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * The hot path's tone codes come from feat.c's token cache (16,384 slots,
 * keyed by tokens of up to 8 bytes; longer ones are looked up each time);
 * tn_feat_each_ngram's tone walk looks every token up itself.  Over 3,000
 * random documents on one scratch each (cues, lexicon and reporting words,
 * a long lexicon word, and about 100,000 distinct other tokens, so slots are
 * taken over and over), every document's counted buckets and counts must be
 * the named ones.
 */
static void test_tone_codes_cached(void **state)
{
	static const char *const keys[] = {
		"not", "no", "never", "don't", "said", "according", "accept", "bad",
		"good", "war", "agreement", "disagreement", "the", "deal", "talks",
	};
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz";
	struct tu_tmp_fx *fx = *state;
	struct tn_feat_opts o;
	struct tn_feat_scratch *hot, *named;
	struct bucket_list l = { NULL, 0, 0, 0 };
	struct tn_counts c;
	char text[1024];
	uint64_t r = 0x1234567;
	size_t skipped, tone = 0;
	int d;

	unigrams(&o);
	o.tone.neg_scope = 3;
	o.tone.attribution = 1;
	o.tone.lex = lexicon(fx->dir, "accept\t1\nbad\t-3\ngood\t2\nwar\t-2\nagreement\t2\n"
			     "disagreement\t-2\n", &skipped);
	hot = tn_feat_scratch_create(&o);
	named = tn_feat_scratch_create(&o);
	assert_non_null(hot);
	assert_non_null(named);
	tn_counts_init(&c);
	for (d = 0; d < 3000; d++) {
		size_t len = 0, i, j;
		int t;

		for (t = 0; t < 40; t++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			if ((r >> 60) < 6) {
				const char *k = keys[(r >> 32) % (sizeof(keys) / sizeof(*keys))];

				memcpy(text + len, k, strlen(k));
				len += strlen(k);
			} else {
				int wl = 1 + (int)((r >> 20) % 11);

				for (i = 0; i < (size_t)wl; i++)
					text[len++] = alpha[(r >> (i % 8 * 5 + 3)) % 26 ^ (i & 1)];
			}
			text[len++] = (r >> 40) % 9 ? ' ' : '"';
		}
		l.n = l.tone = 0;
		assert_int_equal(tn_feat_each_ngram(&o, named, text, len, list_bucket, &l, NULL), 0);
		assert_int_equal(tn_feat_count(&o, hot, text, len, &c, NULL), 0);
		tone += l.tone;
		qsort(l.b, l.n, sizeof(*l.b), cmp_u32);
		for (i = 0, j = 0; i < c.n; i++) {
			size_t k;

			for (k = 0; k < c.count[i]; k++, j++) {
				assert_true(j < l.n);
				assert_int_equal(l.b[j], c.bucket[i]);
			}
		}
		assert_int_equal(j, l.n);
	}
	/* The documents did exercise the tone features: cues, lexicon, reporting, quotes. */
	assert_true(tone > 3000 * 5);
	tn_counts_release(&c);
	tn_feat_scratch_free(hot);
	tn_feat_scratch_free(named);
	tn_lex_unref(o.tone.lex);
	free(l.b);
}

static void test_opts_check(void **state)
{
	struct tn_feat_opts o;
	struct tn_err err;

	(void)state;
	tn_feat_opts_default(&o);
	o.tone.neg_scope = TN_TONE_NEG_MAX;
	assert_int_equal(tn_feat_opts_check(&o, &err), 0);
	o.tone.neg_scope = TN_TONE_NEG_MAX + 1;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
	o.tone.neg_scope = -1;
	assert_int_equal(tn_feat_opts_check(&o, &err), TN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_is_unchanged),
		cmocka_unit_test(test_negation_scope),
		cmocka_unit_test_setup_teardown(test_lexicon_load, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_lexicon_features, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test(test_attribution),
		cmocka_unit_test(test_opts_check),
		cmocka_unit_test_setup_teardown(test_tone_names, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_tone_codes_cached, tu_tmp_setup, tu_tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
