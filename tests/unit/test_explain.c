/*
 * test_explain.c - naming hashed features and explaining decisions
 * (lib/explain.h, lib/names.h, tn_feat_each_ngram).
 *
 * The central check: for every held-out document, head and class c, the
 * contributions of all features toward c plus the bias b_c equal the class's
 * decision value w_c . x + b_c within 1e-6, computed independently from the
 * model (the support vector of class c and its recorded bias, or liblinear's
 * predict_values), and their differences equal the predictor's pair values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <libsvm/svm.h>
#include <linear.h>
#include <math.h>
#include "../../lib/bundle.h"
#include "../../lib/corpus.h"
#include "../../lib/explain.h"
#include "../../lib/names.h"
#include "../../lib/predict.h"
#include "../../lib/train.h"
#include "../../lib/manifest_json.h"
#include "testutil.h"
#include "corpusutil.h"

#include <xxhash.h>
#include <zstd.h>

static struct tn_bundle *train_b(const struct tn_corpus *c, enum tn_solver solver, int ovo, enum tn_kernel kernel)
{
	struct tn_feat_opts fo;
	struct tn_train_opts to;
	struct tn_bundle *b = NULL;
	struct tn_err err;

	tn_feat_opts_default(&fo);
	fo.char_min = 3;
	fo.char_max = 4;
	tn_train_opts_default(&to);
	to.solver = solver;
	to.one_vs_one = ovo;
	to.kernel = kernel;
	if (tn_train(&b, c, &fo, &to, NULL, NULL, &err))
		fail_msg("%s", err.msg);
	return b;
}

/* w_c . x + b_c straight from the model: class c's support vector (or liblinear's values). */
static double decision_value(const struct tn_bundle *b, size_t h, size_t c, const struct tn_vec *v)
{
	const struct tn_head *hd = &b->heads[h];
	size_t i;

	if (hd->lin) {
		const struct model *m = hd->lin;
		struct feature_node *x = malloc((v->n + 2) * sizeof(*x));
		double dec[64], r = NAN;
		size_t j;

		assert_non_null(x);
		for (i = 0; i < v->n; i++) {
			x[i].index = (int)v->idx[i];
			x[i].value = v->val[i];
		}
		x[v->n].index = (int)(1u << b->feat.bits) + 1;   /* the bias feature */
		x[v->n].value = 1.0;
		x[v->n + 1].index = -1;
		predict_values(m, x, dec);
		free(x);
		for (j = 0; j < (size_t)m->nr_class; j++)
			if ((size_t)m->label[j] == c)
				r = m->nr_class == 2 ? (j == 0 ? dec[0] : -dec[0]) : dec[j];
		return r;
	} else {
		const struct svm_model *m = hd->svm;
		const struct svm_node *sv = m->SV[hd->nclass == 2 ? 0 : c];
		json_t *bias = json_object_get(tn_head_info(hd), "class_bias");
		double s = json_number_value(json_array_get(bias, hd->nclass == 2 ? 0 : c)), sign;

		for (i = 0; sv->index != -1; sv++) {
			while (i < v->n && v->idx[i] < (uint32_t)sv->index)
				i++;
			if (i < v->n && v->idx[i] == (uint32_t)sv->index)
				s += v->val[i] * sv->value;
		}
		sign = hd->nclass == 2 && c == 1 ? -1.0 : 1.0;
		return sign * s;
	}
}

/* Contributions + bias = decision value, for every document, head and class. */
static void check_sums(const struct tn_bundle *b, const struct tn_corpus *docs)
{
	struct tn_explainer *ex = NULL;
	struct tn_predictor *p = NULL;
	struct tn_predict_scratch *ps;
	struct tn_feat_scratch *fs = tn_feat_scratch_create(&b->feat);
	struct tn_contribution *v = NULL;
	struct tn_counts cnt;
	struct tn_vec x;
	struct tn_err err;
	size_t cap = 0, d, h, checked = 0;

	assert_int_equal(tn_explainer_create(&ex, b, &err), 0);
	assert_int_equal(tn_predictor_create(&p, b, &err), 0);
	ps = tn_predict_scratch_create(p);
	tn_counts_init(&cnt);
	tn_vec_init(&x);
	for (d = 0; d < docs->ndocs; d++) {
		assert_int_equal(tn_feat_count_unordered(&b->feat, fs, docs->text[d], docs->len[d], &cnt, NULL), 0);
		assert_int_equal(tn_feat_weigh(&b->feat, b->idf, &cnt, &x), 0);
		for (h = 0; h < b->nheads; h++) {
			size_t k = b->heads[h].nclass, c, i, n;
			double s[64], pair[64];

			for (c = 0; c < k; c++) {
				double bias, sum = 0, want = decision_value(b, h, c, &x);

				assert_int_equal(tn_explain(ex, &cnt, h, (int)c, &v, &cap, &n, &bias), 0);
				assert_int_equal(n, x.n);
				for (i = 0; i < n; i++)
					sum += v[i].weight;
				s[c] = sum + bias;
				if (fabs(s[c] - want) > 1e-6)
					fail_msg("doc %zu head %zu class %zu: contributions + bias %.17g, decision value %.17g",
						 d, h, c, s[c], want);
				checked++;
			}
			/* The predictor's pair values (libsvm form) are differences of these. */
			if (!b->heads[h].lin) {
				size_t a, q = 0;

				assert_int_equal(tn_predict_decision_values(p, ps, h, &x, pair), 0);
				for (a = 0; a < k; a++)
					for (c = a + 1; c < k; c++, q++)
						if (k > 2)
							assert_float_equal(s[a] - s[c], pair[q], 1e-6);
						else
							assert_float_equal(s[0], pair[0], 1e-6);
			}
		}
	}
	assert_true(checked > docs->ndocs);
	free(v);
	tn_counts_release(&cnt);
	tn_vec_release(&x);
	tn_feat_scratch_free(fs);
	tn_predict_scratch_free(ps);
	tn_predictor_free(p);
	tn_explainer_free(ex);
}

static void test_contributions_sum_to_decision_values(void **state)
{
	char **tmp = *state, *trp = tu_path(*tmp, "train.jsonl"), *hep = tu_path(*tmp, "held.jsonl");
	char *mini = tu_data("mini.jsonl");
	struct tn_corpus tr, he, m;
	struct tn_bundle *b;

	tu_gen_corpus(trp, 7, 300, 4);
	tu_gen_corpus(hep, 77, 100, 4);
	tu_load_corpus(&tr, trp, NULL);
	tu_load_corpus(&he, hep, &tr);
	b = train_b(&tr, TN_SOLVER_LINEAR, 0, TN_KERNEL_LINEAR);
	check_sums(b, &he);
	tn_bundle_free(b);
	b = train_b(&tr, TN_SOLVER_LIBLINEAR, 0, TN_KERNEL_LINEAR);
	check_sums(b, &he);
	tn_bundle_free(b);
	/* Three classes and two (tone: pos / neg), where one vector points toward the first class. */
	tu_load_corpus(&m, mini, NULL);
	b = train_b(&m, TN_SOLVER_LINEAR, 0, TN_KERNEL_LINEAR);
	check_sums(b, &m);
	tn_bundle_free(b);
	b = train_b(&m, TN_SOLVER_LIBLINEAR, 0, TN_KERNEL_LINEAR);
	check_sums(b, &m);
	tn_bundle_free(b);
	tn_corpus_release(&m);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(mini);
	free(trp);
	free(hep);
}

static void test_refuses_what_it_cannot_explain(void **state)
{
	char *mini = tu_data("mini.jsonl");
	struct tn_corpus m;
	struct tn_bundle *b;
	struct tn_explainer *ex = NULL;
	struct tn_err err;

	(void)state;
	tu_load_corpus(&m, mini, NULL);
	b = train_b(&m, TN_SOLVER_LINEAR, 1, TN_KERNEL_LINEAR);
	assert_int_equal(tn_explainer_create(&ex, b, &err), TN_EINVAL);
	assert_null(ex);
	assert_true(tu_has(err.msg, "one-vs-one"));
	tn_bundle_free(b);
	b = train_b(&m, TN_SOLVER_LIBSVM, 0, TN_KERNEL_RBF);
	assert_int_equal(tn_explainer_create(&ex, b, &err), TN_EINVAL);
	assert_true(tu_has(err.msg, "RBF"));
	tn_bundle_free(b);
	tn_corpus_release(&m);
	free(mini);
}

struct seen {
	uint32_t bucket[4096];
	size_t n;
	int found;
	const char *want;
};

static void collect(void *ctx, uint32_t bucket, uint64_t hash, const char *ngram, size_t len)
{
	struct seen *s = ctx;

	(void)hash;
	assert_true(s->n < 4096);
	s->bucket[s->n++] = bucket;
	if (strlen(s->want) == len && !memcmp(ngram, s->want, len))
		s->found = 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* tn_feat_each_ngram names exactly the buckets tn_feat_count counts. */
static void test_each_ngram_matches_counts(void **state)
{
	static const char text[] = "There was no way his country would DISARM first, Straße élan 東京";
	struct tn_feat_opts o;
	struct tn_feat_scratch *fs;
	struct tn_counts c;
	struct seen s = { .want = "disarm first" };
	size_t i, j = 0;

	(void)state;
	tn_feat_opts_default(&o);
	o.char_min = 2;
	o.char_max = 5;
	fs = tn_feat_scratch_create(&o);
	tn_counts_init(&c);
	assert_int_equal(tn_feat_each_ngram(&o, fs, text, strlen(text), collect, &s, NULL), 0);
	assert_true(s.found);
	assert_int_equal(tn_feat_count(&o, fs, text, strlen(text), &c, NULL), 0);
	qsort(s.bucket, s.n, sizeof(*s.bucket), cmp_u32);
	/* Every counted bucket with its count, in order. */
	for (i = 0; i < c.n; i++) {
		size_t k = 0;

		while (j < s.n && s.bucket[j] == c.bucket[i]) {
			j++;
			k++;
		}
		assert_int_equal(k, c.count[i]);
	}
	assert_int_equal(j, s.n);
	tn_counts_release(&c);
	tn_feat_scratch_free(fs);
}

/* The names file: the most frequent n-grams of each bucket, read back; damage refused. */
static void test_names_roundtrip(void **state)
{
	static const char *const docs[] = {
		"the talks on disarmament went on", "talks and more talks", "the envoy left the talks",
	};
	struct tn_feat_opts o;
	float *idf;
	struct tn_names_builder *nb;
	struct tn_bundle *b;
	struct tn_names *n = NULL;
	struct tn_err err;
	char *data;
	size_t len, i, named = 0;
	uint64_t count;
	uint32_t bk;

	(void)state;
	tn_feat_opts_default(&o);
	o.bits = 12;
	o.word_max = 1;
	b = tn_bundle_create(&o);
	assert_non_null(b);
	idf = b->idf;
	for (i = 0; i < ((size_t)1 << o.bits); i++)
		idf[i] = 1.0f;
	nb = tn_names_builder_create(&b->feat, idf);
	for (i = 0; i < 3; i++)
		assert_int_equal(tn_names_builder_add(nb, docs[i], strlen(docs[i])), 0);
	assert_int_equal(tn_names_builder_finish(nb, &data, &len), 0);
	tn_names_builder_free(nb);
	assert_int_equal(tn_names_load(&n, b, &err), TN_ESTATE);   /* no file yet */
	assert_int_equal(tn_bundle_add_file(b, TN_NAMES_FILE, data, len), 0);
	assert_int_equal(tn_names_load(&n, b, &err), 0);
	bk = (uint32_t)(XXH3_64bits_withSeed("talks", 5, o.seed) & ((1u << o.bits) - 1));
	assert_string_equal(tn_names_get(n, bk, 0, &count), "talks");
	assert_int_equal(count, 4);
	for (i = 0; i < ((size_t)1 << o.bits); i++)
		named += tn_names_get(n, (uint32_t)i, 0, NULL) != NULL;
	/* 9 distinct words in 4096 buckets: one bucket each (these do not collide). */
	assert_int_equal(named, 9);
	tn_names_free(n);
	/* A frame whose text is malformed is refused. */
	{
		char bad[] = "12\tx\tfoo\n";
		size_t cap = 256, zl;
		char *z = malloc(cap);

		zl = ZSTD_compress(z, cap, bad, strlen(bad), 3);
		assert_int_equal(tn_bundle_add_file(b, TN_NAMES_FILE, z, zl), 0);
		assert_int_equal(tn_names_load(&n, b, &err), TN_EMODEL);
		assert_true(tu_has(err.msg, "line 1"));
		free(z);
	}
	free(data);
	tn_bundle_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contributions_sum_to_decision_values, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test(test_refuses_what_it_cannot_explain),
		cmocka_unit_test(test_each_ngram_matches_counts),
		cmocka_unit_test(test_names_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
