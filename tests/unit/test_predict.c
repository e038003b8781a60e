/*
 * test_predict.c - the collapsed predictor (lib/predict.h) against libsvm.
 *
 * Models are trained on one part of a corpus; for every held-out document the
 * decision values of tn_predict_decision_values must match libsvm's own
 * svm_predict_values on the same svm_node vector within 1e-6 relative, the
 * class of tn_predict must be svm_predict's, and for calibrated models class
 * and probabilities must match svm_predict_probability within 1e-6.  Corpora:
 * the mini fixture (3 and 2 classes) and a seeded 4-class corpus.  Heads
 * trained with liblinear are checked the same way against liblinear's
 * predict_values and predict.
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
#include "../../lib/predict.h"
#include "../../lib/train.h"
#include "../../lib/manifest_json.h"
#include "testutil.h"
#include "corpusutil.h"

struct fx {
	char *tmp;
	char *train_path, *held_path;   /* the mini fixture split 4:1 */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *mini = tu_data("mini.jsonl"), *data, *line, *save = NULL;
	FILE *tr, *he;
	int i = 0;

	assert_non_null(f);
	f->tmp = tu_mkdtemp();
	f->train_path = tu_path(f->tmp, "train.jsonl");
	f->held_path = tu_path(f->tmp, "held.jsonl");
	data = tu_read(mini, NULL);
	tr = fopen(f->train_path, "w");
	he = fopen(f->held_path, "w");
	assert_non_null(tr);
	assert_non_null(he);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++)
		fprintf(i % 5 == 2 ? he : tr, "%s\n", line);
	assert_int_equal(fclose(tr), 0);
	assert_int_equal(fclose(he), 0);
	free(data);
	free(mini);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->train_path);
	free(f->held_path);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

static int one_vs_one;  /* the linear solver's multiclass mode for train_bundle */
static int platt;       /* one-vs-rest calibration by pairwise Platt sigmoids (train.h) */

static struct tn_bundle *train_bundle(const struct tn_corpus *c, enum tn_solver solver, enum tn_kernel kernel,
				      int probability, double C)
{
	struct tn_feat_opts fo;
	struct tn_train_opts to;
	struct tn_bundle *b = NULL;
	struct tn_err err;

	tn_feat_opts_default(&fo);
	tn_train_opts_default(&to);
	to.solver = solver;
	to.kernel = kernel;
	to.probability = probability;
	to.C = C;
	to.one_vs_one = one_vs_one;
	to.platt = platt;
	if (tn_train(&b, c, &fo, &to, NULL, NULL, &err))
		fail_msg("%s", err.msg);
	return b;
}

static int close_to(double ours, double ref)
{
	return fabs(ours - ref) <= 1e-6 * fmax(1.0, fabs(ref));
}

/*
 * tn_predict_counts (idf, weights and normalisation in one pass) gives what
 * tn_predict gave on the weighed vector, up to rounding.
 */
static void check_fused(const struct tn_predictor *p, struct tn_predict_scratch *s, const struct tn_counts *cnt,
			const struct tn_head_result *res, double *const *all, const struct tn_bundle *b)
{
	struct tn_head_result fused[8];
	double *fall[8], buf[8][TN_MAX_CLASSES];
	size_t h, i;

	assert_true(b->nheads <= 8);
	for (h = 0; h < b->nheads; h++)
		fall[h] = buf[h];
	assert_int_equal(tn_predict_counts(p, s, cnt, fused, all ? fall : NULL), 0);
	for (h = 0; h < b->nheads; h++) {
		assert_int_equal(fused[h].cls, res[h].cls);
		assert_float_equal(fused[h].score, res[h].score, 1e-9);
		for (i = 0; all && i < b->heads[h].nclass; i++)
			assert_float_equal(fall[h][i], all[h][i], 1e-9);
	}
}

struct stats {
	size_t docs, compared, nonzero;
};

/*
 * Checks bundle b against libsvm on every document of held; returns counts so
 * that callers can make sure something was actually compared.
 */
static struct stats compare_with_libsvm(const struct tn_bundle *b, const struct tn_corpus *held)
{
	struct tn_predictor *p = NULL;
	struct tn_predict_scratch *s;
	struct tn_feat_scratch *fs = tn_feat_scratch_create(&b->feat);
	struct tn_head_result *res = calloc(b->nheads, sizeof(*res));
	double **all = calloc(b->nheads, sizeof(*all));
	struct tn_counts cnt;
	struct tn_vec v;
	struct tn_err err;
	struct stats st = { 0, 0, 0 };
	size_t d, h, i;

	assert_non_null(fs);
	assert_non_null(res);
	assert_non_null(all);
	if (tn_predictor_create(&p, b, &err))
		fail_msg("%s", err.msg);
	s = tn_predict_scratch_create(p);
	assert_non_null(s);
	assert_true(tn_predictor_bytes(p) > 0);
	for (h = 0; h < b->nheads; h++) {
		all[h] = calloc(b->heads[h].nclass, sizeof(double));
		assert_non_null(all[h]);
	}
	tn_counts_init(&cnt);
	tn_vec_init(&v);
	for (d = 0; d < held->ndocs; d++) {
		struct svm_node *x;

		assert_int_equal(tn_feat_count(&b->feat, fs, held->text[d], held->len[d], &cnt, NULL), 0);
		assert_int_equal(tn_feat_weigh(&b->feat, b->idf, &cnt, &v), 0);
		x = malloc((v.n + 1) * sizeof(*x));
		assert_non_null(x);
		for (i = 0; i < v.n; i++) {
			x[i].index = (int)v.idx[i];
			x[i].value = v.val[i];
		}
		x[v.n].index = -1;
		x[v.n].value = 0;
		assert_int_equal(tn_predict(p, s, &v, res, all), 0);
		check_fused(p, s, &cnt, res, all, b);
		for (h = 0; h < b->nheads; h++) {
			const struct svm_model *m = b->heads[h].svm;
			size_t k = b->heads[h].nclass, np = k * (k - 1) / 2;
			double ours[TN_MAX_CLASSES], ref[TN_MAX_CLASSES];

			assert_int_equal(svm_get_nr_class(m), (int)k);
			assert_int_equal(tn_predict_decision_values(p, s, h, &v, ours), 0);
			svm_predict_values(m, x, ref);
			for (i = 0; i < np; i++) {
				if (!close_to(ours[i], ref[i]))
					fail_msg("doc %zu head %zu pair %zu: ours %.17g, libsvm %.17g", d, h, i, ours[i], ref[i]);
				st.compared++;
				st.nonzero += fabs(ref[i]) > 1e-3;
			}
			assert_true(res[h].score > 0 && res[h].score < 1);
			assert_float_equal(all[h][res[h].cls], res[h].score, 0);
			if (tn_head_temperature(&b->heads[h]) > 0) {
				/* Softmax of the class scores: the model's own class, the highest score, a sum of 1. */
				int want = (int)svm_predict(m, x);
				double sum = 0;

				if (res[h].cls != want)
					fail_msg("doc %zu head %zu: class %d, libsvm %d", d, h, res[h].cls, want);
				for (i = 0; i < k; i++) {
					assert_true(all[h][i] <= res[h].score);
					sum += all[h][i];
				}
				assert_float_equal(sum, 1.0, 1e-9);
				assert_float_equal(res[h].score, all[h][want], 0);
			} else if (tn_head_has_probability(&b->heads[h])) {
				double prob[TN_MAX_CLASSES], sum = 0;
				int want = (int)svm_predict_probability(m, x, prob);

				if (res[h].cls != want)
					fail_msg("doc %zu head %zu: class %d, libsvm %d", d, h, res[h].cls, want);
				/* prob follows libsvm's class order m->label; ours is by class id. */
				for (i = 0; i < k; i++) {
					if (!close_to(all[h][m->label[i]], prob[i]))
						fail_msg("doc %zu head %zu class %d: p %.17g, libsvm %.17g", d, h,
							 m->label[i], all[h][m->label[i]], prob[i]);
					sum += all[h][i];
				}
				assert_float_equal(sum, 1.0, 1e-6);
				assert_float_equal(res[h].score, all[h][want], 0);
			} else {
				int want = (int)svm_predict(m, x);

				if (res[h].cls != want)
					fail_msg("doc %zu head %zu: class %d, libsvm %d", d, h, res[h].cls, want);
				/* Every class's score is the sigmoid of its smallest margin. */
				for (i = 0; i < k; i++)
					assert_true(all[h][i] > 0 && all[h][i] < 1);
			}
		}
		free(x);
		st.docs++;
	}
	for (h = 0; h < b->nheads; h++)
		free(all[h]);
	free(all);
	free(res);
	tn_counts_release(&cnt);
	tn_vec_release(&v);
	tn_feat_scratch_free(fs);
	tn_predict_scratch_free(s);
	tn_predictor_free(p);
	return st;
}

/* The same for heads trained with liblinear (one-vs-rest, bias feature 2^bits + 1). */
static struct stats compare_with_liblinear(const struct tn_bundle *b, const struct tn_corpus *held)
{
	struct tn_predictor *p = NULL;
	struct tn_predict_scratch *s;
	struct tn_feat_scratch *fs = tn_feat_scratch_create(&b->feat);
	struct tn_head_result *res = calloc(b->nheads, sizeof(*res));
	struct tn_counts cnt;
	struct tn_vec v;
	struct tn_err err;
	struct stats st = { 0, 0, 0 };
	size_t d, h, i;

	assert_non_null(fs);
	assert_non_null(res);
	if (tn_predictor_create(&p, b, &err))
		fail_msg("%s", err.msg);
	s = tn_predict_scratch_create(p);
	assert_non_null(s);
	tn_counts_init(&cnt);
	tn_vec_init(&v);
	for (d = 0; d < held->ndocs; d++) {
		struct feature_node *x;

		assert_int_equal(tn_feat_count(&b->feat, fs, held->text[d], held->len[d], &cnt, NULL), 0);
		assert_int_equal(tn_feat_weigh(&b->feat, b->idf, &cnt, &v), 0);
		assert_int_equal(tn_predict(p, s, &v, res, NULL), 0);
		check_fused(p, s, &cnt, res, NULL, b);
		x = malloc((v.n + 2) * sizeof(*x));
		assert_non_null(x);
		for (h = 0; h < b->nheads; h++) {
			const struct model *m = b->heads[h].lin;
			size_t k = b->heads[h].nclass, nw = k == 2 ? 1 : k, n = v.n;
			double ours[TN_MAX_CLASSES], ref[TN_MAX_CLASSES];
			int want;

			assert_non_null(m);
			assert_null(b->heads[h].svm);
			assert_int_equal(get_nr_class(m), (int)k);
			assert_int_equal(get_nr_feature(m), 1 << b->feat.bits);
			for (i = 0; i < v.n; i++) {
				x[i].index = (int)v.idx[i];
				x[i].value = v.val[i];
			}
			if (m->bias >= 0) {
				x[n].index = get_nr_feature(m) + 1;
				x[n++].value = m->bias;
			}
			x[n].index = -1;
			assert_int_equal(tn_predict_decision_values(p, s, h, &v, ours), 0);
			want = (int)predict_values(m, x, ref);
			for (i = 0; i < nw; i++) {
				if (!close_to(ours[i], ref[i]))
					fail_msg("doc %zu head %zu column %zu: ours %.17g, liblinear %.17g", d, h, i, ours[i], ref[i]);
				st.compared++;
				st.nonzero += fabs(ref[i]) > 1e-3;
			}
			if (res[h].cls != want)
				fail_msg("doc %zu head %zu: class %d, liblinear %d", d, h, res[h].cls, want);
			assert_int_equal((int)predict(m, x), want);
			assert_true(res[h].score > 0 && res[h].score < 1);
		}
		free(x);
		st.docs++;
	}
	free(res);
	tn_counts_release(&cnt);
	tn_vec_release(&v);
	tn_feat_scratch_free(fs);
	tn_predict_scratch_free(s);
	tn_predictor_free(p);
	return st;
}

static void test_linear_mini(void **state)
{
	struct fx *f = *state;
	struct tn_corpus tr, he;
	struct tn_bundle *b, *back = NULL;
	char *dir = tu_path(f->tmp, "model");
	struct tn_err err;
	struct stats st;

	tu_load_corpus(&tr, f->train_path, NULL);
	tu_load_corpus(&he, f->held_path, &tr);
	assert_int_equal(tr.ndocs, 48);
	assert_int_equal(he.ndocs, 12);
	b = train_bundle(&tr, TN_SOLVER_LIBSVM, TN_KERNEL_LINEAR, 0, 1.0);
	assert_int_equal(b->heads[0].nclass, 3);
	assert_int_equal(b->heads[1].nclass, 2);
	st = compare_with_libsvm(b, &he);
	assert_int_equal(st.docs, 12);
	assert_int_equal(st.compared, 12 * (3 + 1));
	assert_true(st.nonzero > st.compared / 2);
	/* The same after a trip through the files (libsvm's reader builds the model). */
	assert_int_equal(tn_bundle_save(b, dir, &err), 0);
	assert_int_equal(tn_bundle_load(&back, dir, &err), 0);
	compare_with_libsvm(back, &he);
	/* And on the training documents, support vectors included. */
	compare_with_libsvm(back, &tr);
	tn_bundle_free(back);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(dir);
}

static void test_linear_four_classes(void **state)
{
	struct fx *f = *state;
	char *trp = tu_path(f->tmp, "gen-train.jsonl"), *hep = tu_path(f->tmp, "gen-held.jsonl");
	struct tn_corpus tr, he;
	struct tn_bundle *b;
	struct stats st;
	const double Cs[] = { 0.1, 1.0, 10.0 };
	size_t i;

	tu_gen_corpus(trp, 42, 400, 4);
	tu_gen_corpus(hep, 4242, 150, 4);
	tu_load_corpus(&tr, trp, NULL);
	tu_load_corpus(&he, hep, &tr);
	assert_int_equal(tr.heads[0].nclass, 4);
	/* Soft and hard margins: many bounded support vectors, and few. */
	for (i = 0; i < sizeof(Cs) / sizeof(*Cs); i++) {
		b = train_bundle(&tr, TN_SOLVER_LIBSVM, TN_KERNEL_LINEAR, 0, Cs[i]);
		assert_true(b->heads[0].svm->l > 20);
		st = compare_with_libsvm(b, &he);
		assert_int_equal(st.compared, 150 * 6);
		tn_bundle_free(b);
	}
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(trp);
	free(hep);
}

static void test_probability_mini(void **state)
{
	struct fx *f = *state;
	struct tn_corpus tr, he;
	struct tn_bundle *b, *back = NULL;
	char *dir = tu_path(f->tmp, "prob");
	struct tn_err err;

	tu_load_corpus(&tr, f->train_path, NULL);
	tu_load_corpus(&he, f->held_path, &tr);
	b = train_bundle(&tr, TN_SOLVER_LIBSVM, TN_KERNEL_LINEAR, 1, 1.0);
	assert_true(tn_head_has_probability(&b->heads[0]));
	assert_true(tn_head_has_probability(&b->heads[1]));
	compare_with_libsvm(b, &he);
	assert_int_equal(tn_bundle_save(b, dir, &err), 0);
	assert_int_equal(tn_bundle_load(&back, dir, &err), 0);
	compare_with_libsvm(back, &he);
	tn_bundle_free(back);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(dir);
}

static void test_probability_four_classes(void **state)
{
	struct fx *f = *state;
	char *trp = tu_path(f->tmp, "gen-train.jsonl"), *hep = tu_path(f->tmp, "gen-held.jsonl");
	struct tn_corpus tr, he;
	struct tn_bundle *b;

	tu_gen_corpus(trp, 7, 300, 4);
	tu_gen_corpus(hep, 77, 100, 4);
	tu_load_corpus(&tr, trp, NULL);
	tu_load_corpus(&he, hep, &tr);
	b = train_bundle(&tr, TN_SOLVER_LIBSVM, TN_KERNEL_LINEAR, 1, 1.0);
	compare_with_libsvm(b, &he);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(trp);
	free(hep);
}

static void test_rbf(void **state)
{
	struct fx *f = *state;
	struct tn_corpus tr, he;
	struct tn_bundle *b;

	tu_load_corpus(&tr, f->train_path, NULL);
	tu_load_corpus(&he, f->held_path, &tr);
	b = train_bundle(&tr, TN_SOLVER_LIBSVM, TN_KERNEL_RBF, 0, 1.0);
	assert_int_equal(tn_head_kernel(&b->heads[0]), TN_KERNEL_RBF);
	compare_with_libsvm(b, &he);
	tn_bundle_free(b);
	b = train_bundle(&tr, TN_SOLVER_LIBSVM, TN_KERNEL_RBF, 1, 1.0);
	compare_with_libsvm(b, &he);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
}

static void test_liblinear(void **state)
{
	struct fx *f = *state;
	struct tn_corpus tr, he;
	struct tn_bundle *b, *back = NULL;
	char *dir = tu_path(f->tmp, "lin"), *trp = tu_path(f->tmp, "gen-train.jsonl"), *hep = tu_path(f->tmp, "gen-held.jsonl");
	struct tn_err err;
	struct stats st;

	/* Three classes (one column each) and two (a single column). */
	tu_load_corpus(&tr, f->train_path, NULL);
	tu_load_corpus(&he, f->held_path, &tr);
	b = train_bundle(&tr, TN_SOLVER_LIBLINEAR, TN_KERNEL_LINEAR, 0, 1.0);
	st = compare_with_liblinear(b, &he);
	assert_int_equal(st.compared, 12 * (3 + 1));
	assert_true(st.nonzero > st.compared / 2);
	/* Through the files: liblinear's load_model builds the models. */
	assert_int_equal(tn_bundle_save(b, dir, &err), 0);
	assert_int_equal(tn_bundle_load(&back, dir, &err), 0);
	compare_with_liblinear(back, &he);
	compare_with_liblinear(back, &tr);
	tn_bundle_free(back);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);

	tu_gen_corpus(trp, 5, 400, 4);
	tu_gen_corpus(hep, 55, 150, 4);
	tu_load_corpus(&tr, trp, NULL);
	tu_load_corpus(&he, hep, &tr);
	b = train_bundle(&tr, TN_SOLVER_LIBLINEAR, TN_KERNEL_LINEAR, 0, 0.5);
	st = compare_with_liblinear(b, &he);
	assert_int_equal(st.compared, 150 * 4);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(dir);
	free(trp);
	free(hep);
}

/*
 * libsvm's own svm-predict program, run on the saved head model and the
 * held-out documents' vectors in libsvm's data format, predicts the classes
 * that Tenor's predictor gives.  make deps installs libsvm-tools.
 */
static void svm_predict_agrees(const struct tn_bundle *b, const struct tn_corpus *he, const char *tmp)
{
	struct tn_predictor *p = NULL;
	struct tn_predict_scratch *s;
	struct tn_feat_scratch *fs = tn_feat_scratch_create(&b->feat);
	char *dir = tu_path(tmp, "svmp"), *data = tu_path(tmp, "svmp.txt"), *pred = tu_path(tmp, "svmp.out");
	char *model, cmd[4096], line[256];
	struct tn_counts cnt;
	struct tn_vec v;
	struct tn_head_result r[2];
	struct tn_err err;
	FILE *fp;
	size_t d, i, n = 0;

	assert_non_null(fs);
	assert_int_equal(tn_predictor_create(&p, b, &err), 0);
	s = tn_predict_scratch_create(p);
	assert_non_null(s);
	if (system("command -v svm-predict >/dev/null 2>&1") != 0)
		fail_msg("svm-predict is not installed (make deps installs libsvm-tools)");
	assert_int_equal(tn_bundle_save(b, dir, &err), 0);
	snprintf(line, sizeof(line), "%s.svm", b->heads[0].name);
	model = tu_path(dir, line);
	tn_counts_init(&cnt);
	tn_vec_init(&v);
	fp = fopen(data, "w");
	assert_non_null(fp);
	for (d = 0; d < he->ndocs; d++) {
		assert_int_equal(tn_feat_count(&b->feat, fs, he->text[d], he->len[d], &cnt, NULL), 0);
		assert_int_equal(tn_feat_weigh(&b->feat, b->idf, &cnt, &v), 0);
		fprintf(fp, "%d", he->label[d * he->nheads]);
		for (i = 0; i < v.n; i++)
			fprintf(fp, " %u:%.17g", v.idx[i], v.val[i]);
		fputc('\n', fp);
	}
	assert_int_equal(fclose(fp), 0);
	snprintf(cmd, sizeof(cmd), "svm-predict '%s' '%s' '%s' >/dev/null", data, model, pred);
	assert_int_equal(system(cmd), 0);
	fp = fopen(pred, "r");
	assert_non_null(fp);
	for (d = 0; d < he->ndocs && fgets(line, sizeof(line), fp); d++, n++) {
		assert_int_equal(tn_feat_count(&b->feat, fs, he->text[d], he->len[d], &cnt, NULL), 0);
		assert_int_equal(tn_feat_weigh(&b->feat, b->idf, &cnt, &v), 0);
		assert_int_equal(tn_predict(p, s, &v, r, NULL), 0);
		if (atoi(line) != r[0].cls)
			fail_msg("doc %zu: svm-predict says class %d, Tenor %d", d, atoi(line), r[0].cls);
	}
	fclose(fp);
	assert_int_equal(n, he->ndocs);
	tn_counts_release(&cnt);
	tn_vec_release(&v);
	free(dir);
	free(data);
	free(pred);
	free(model);
	tn_predict_scratch_free(s);
	tn_feat_scratch_free(fs);
	tn_predictor_free(p);
}

/* The classes of two bundles' predictors on every document of he; returns how many agree. */
static size_t agreement(const struct tn_bundle *x, const struct tn_bundle *y, const struct tn_corpus *he)
{
	struct tn_predictor *p1 = NULL, *p2 = NULL;
	struct tn_predict_scratch *s1, *s2;
	struct tn_feat_scratch *fs = tn_feat_scratch_create(&x->feat);
	struct tn_head_result r1[8], r2[8];
	struct tn_counts cnt;
	struct tn_vec v;
	struct tn_err err;
	size_t d, h, same = 0;

	assert_true(x->nheads <= 8 && x->nheads == y->nheads);
	assert_int_equal(tn_predictor_create(&p1, x, &err), 0);
	assert_int_equal(tn_predictor_create(&p2, y, &err), 0);
	s1 = tn_predict_scratch_create(p1);
	s2 = tn_predict_scratch_create(p2);
	tn_counts_init(&cnt);
	tn_vec_init(&v);
	for (d = 0; d < he->ndocs; d++) {
		assert_int_equal(tn_feat_count(&x->feat, fs, he->text[d], he->len[d], &cnt, NULL), 0);
		assert_int_equal(tn_feat_weigh(&x->feat, x->idf, &cnt, &v), 0);
		assert_int_equal(tn_predict(p1, s1, &v, r1, NULL), 0);
		assert_int_equal(tn_predict(p2, s2, &v, r2, NULL), 0);
		for (h = 0; h < x->nheads; h++)
			same += r1[h].cls == r2[h].cls;
	}
	tn_counts_release(&cnt);
	tn_vec_release(&v);
	tn_feat_scratch_free(fs);
	tn_predict_scratch_free(s1);
	tn_predict_scratch_free(s2);
	tn_predictor_free(p1);
	tn_predictor_free(p2);
	return same;
}

/*
 * The default solver (each class pair by liblinear, saved as a linear libsvm
 * model with one support vector per pair): libsvm's own svm_predict and
 * svm_predict_values, on the model and on the model read back from its file,
 * agree with Tenor's predictor, and its classes agree with libsvm's exact
 * C-SVC on nearly every held-out document.
 */
static void test_pairwise_linear(void **state)
{
	struct fx *f = *state;
	char *dir = tu_path(f->tmp, "pairs"), *trp = tu_path(f->tmp, "gen-train.jsonl"),
	     *hep = tu_path(f->tmp, "gen-held.jsonl");
	struct tn_corpus tr, he;
	struct tn_bundle *b, *back = NULL, *exact;
	struct tn_err err;
	struct stats st;
	size_t same;
	int probability;

	one_vs_one = 1;
	for (probability = 0; probability <= 1; probability++) {
		tu_load_corpus(&tr, f->train_path, NULL);
		tu_load_corpus(&he, f->held_path, &tr);
		b = train_bundle(&tr, TN_SOLVER_LINEAR, TN_KERNEL_LINEAR, probability, 1.0);
		/* One support vector per class pair: 3 for three classes, 1 for two. */
		assert_int_equal(b->heads[0].svm->l, 3);
		assert_int_equal(b->heads[1].svm->l, 1);
		assert_int_equal(tn_head_has_probability(&b->heads[0]), probability);
		st = compare_with_libsvm(b, &he);
		assert_int_equal(st.compared, 12 * (3 + 1));
		assert_true(st.nonzero > st.compared / 2);
		assert_int_equal(tn_bundle_save(b, dir, &err), 0);
		assert_int_equal(tn_bundle_load(&back, dir, &err), 0);
		compare_with_libsvm(back, &he);
		compare_with_libsvm(back, &tr);
		tn_bundle_free(back);
		back = NULL;
		tn_bundle_free(b);
		tn_corpus_release(&tr);
		tn_corpus_release(&he);
	}

	tu_gen_corpus(trp, 11, 400, 4);
	tu_gen_corpus(hep, 111, 200, 4);
	tu_load_corpus(&tr, trp, NULL);
	tu_load_corpus(&he, hep, &tr);
	b = train_bundle(&tr, TN_SOLVER_LINEAR, TN_KERNEL_LINEAR, 0, 1.0);
	exact = train_bundle(&tr, TN_SOLVER_LIBSVM, TN_KERNEL_LINEAR, 0, 1.0);
	assert_int_equal(b->heads[0].svm->l, 6);
	st = compare_with_libsvm(b, &he);
	assert_int_equal(st.compared, 200 * 6);
	same = agreement(b, exact, &he);
	if (same < he.ndocs * b->nheads * 95 / 100)
		fail_msg("the pairwise solver agrees with libsvm on %zu of %zu predictions", same, he.ndocs * b->nheads);
	svm_predict_agrees(b, &he, f->tmp);
	tn_bundle_free(exact);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(dir);
	free(trp);
	free(hep);
	one_vs_one = 0;
}

/*
 * The default linear solver one-vs-rest: liblinear's multi-class model kept
 * as a libsvm model with one support vector per class (one for two classes).
 * libsvm's svm_predict and svm-predict agree with Tenor's predictor on it,
 * from memory and from its file, and its classes are liblinear's own
 * one-vs-rest classes on every held-out document.
 */
static void test_linear_one_vs_rest(void **state)
{
	struct fx *f = *state;
	char *dir = tu_path(f->tmp, "ovr"), *trp = tu_path(f->tmp, "gen-train.jsonl"),
	     *hep = tu_path(f->tmp, "gen-held.jsonl");
	struct tn_corpus tr, he;
	struct tn_bundle *b, *back = NULL, *lin;
	struct tn_err err;
	struct stats st;
	int probability;

	/* 0: margins; 1: the softmax temperature; 2: Platt's sigmoids, checked against svm_predict_probability. */
	for (probability = 0; probability <= 2; probability++) {
		tu_load_corpus(&tr, f->train_path, NULL);
		tu_load_corpus(&he, f->held_path, &tr);
		platt = probability == 2;
		b = train_bundle(&tr, TN_SOLVER_LINEAR, TN_KERNEL_LINEAR, probability != 0, 1.0);
		platt = 0;
		assert_int_equal(tn_head_temperature(&b->heads[0]) > 0, probability == 1);
		assert_int_equal(svm_check_probability_model(b->heads[0].svm), probability == 2);
		assert_int_equal(b->heads[0].svm->l, 3);
		assert_int_equal(b->heads[1].svm->l, 1);
		assert_string_equal(json_string_value(json_object_get(b->heads[0].info, "multiclass")), "one-vs-rest");
		st = compare_with_libsvm(b, &he);
		assert_int_equal(st.compared, 12 * (3 + 1));
		assert_true(st.nonzero > st.compared / 2);
		assert_int_equal(tn_bundle_save(b, dir, &err), 0);
		assert_int_equal(tn_bundle_load(&back, dir, &err), 0);
		compare_with_libsvm(back, &he);
		compare_with_libsvm(back, &tr);
		if (!probability) {
			lin = train_bundle(&tr, TN_SOLVER_LIBLINEAR, TN_KERNEL_LINEAR, 0, 1.0);
			assert_int_equal(agreement(b, lin, &he), 2 * he.ndocs);
			assert_int_equal(agreement(b, lin, &tr), 2 * tr.ndocs);
			tn_bundle_free(lin);
		}
		tn_bundle_free(back);
		back = NULL;
		tn_bundle_free(b);
		tn_corpus_release(&tr);
		tn_corpus_release(&he);
	}

	tu_gen_corpus(trp, 13, 400, 4);
	tu_gen_corpus(hep, 131, 200, 4);
	tu_load_corpus(&tr, trp, NULL);
	tu_load_corpus(&he, hep, &tr);
	b = train_bundle(&tr, TN_SOLVER_LINEAR, TN_KERNEL_LINEAR, 0, 1.0);
	lin = train_bundle(&tr, TN_SOLVER_LIBLINEAR, TN_KERNEL_LINEAR, 0, 1.0);
	assert_int_equal(b->heads[0].svm->l, 4);
	st = compare_with_libsvm(b, &he);
	assert_int_equal(st.compared, 200 * 6);
	assert_int_equal(agreement(b, lin, &he), he.ndocs * b->nheads);
	svm_predict_agrees(b, &he, f->tmp);
	tn_bundle_free(lin);
	tn_bundle_free(b);
	tn_corpus_release(&tr);
	tn_corpus_release(&he);
	free(dir);
	free(trp);
	free(hep);
}

/* Negative log-likelihood of Platt's sigmoid with his smoothed targets. */
static double platt_nll(size_t n, const double *f, const int *y, double A, double B)
{
	double np = 0, nn = 0, hi, lo, sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (y[i] > 0)
			np++;
		else
			nn++;
	}
	hi = (np + 1) / (np + 2);
	lo = 1 / (nn + 2);
	for (i = 0; i < n; i++) {
		double t = y[i] > 0 ? hi : lo, p = 1 / (1 + exp(A * f[i] + B));

		sum -= t * log(p) + (1 - t) * log(1 - p);
	}
	return sum;
}

static void test_platt(void **state)
{
	/* Separable: positives have positive decision values. */
	static const double f1[] = { -3, -2.5, -2, -1, -0.5, 0.5, 1, 2, 2.5, 3 };
	static const int y1[] = { -1, -1, -1, -1, -1, 1, 1, 1, 1, 1 };
	/* Overlapping, and skewed 7:3. */
	static const double f2[] = { -2, -1.5, -1, -0.2, 0.3, -0.7, 0.4, 1, 1.2, 2 };
	static const int y2[] = { -1, -1, -1, -1, -1, 1, -1, 1, 1, -1 };
	double A, B, d;
	const double steps[4][2] = { { 1e-3, 0 }, { -1e-3, 0 }, { 0, 1e-3 }, { 0, -1e-3 } };
	int i;

	(void)state;
	tn_platt_fit(10, f1, y1, &A, &B);
	/* P(y = 1 | f) = 1 / (1 + exp(A f + B)) grows with f: A < 0; symmetric data: B = 0. */
	assert_true(A < 0);
	assert_float_equal(B, 0.0, 1e-6);
	assert_true(1 / (1 + exp(A * 3 + B)) > 0.8);
	assert_true(1 / (1 + exp(A * -3 + B)) < 0.2);
	assert_float_equal(1 / (1 + exp(B)), 0.5, 1e-6);

	tn_platt_fit(10, f2, y2, &A, &B);
	assert_true(A < 0);
	assert_true(B > 0);   /* more negatives: P(y = 1 | f = 0) < 0.5 */
	/* The fit is a minimum of the likelihood. */
	d = platt_nll(10, f2, y2, A, B);
	for (i = 0; i < 4; i++)
		assert_true(platt_nll(10, f2, y2, A + steps[i][0], B + steps[i][1]) >= d - 1e-12);

	/* Labels against the decision values: the slope turns positive. */
	tn_platt_fit(10, f1, (const int[]){ 1, 1, 1, 1, 1, -1, -1, -1, -1, -1 }, &A, &B);
	assert_true(A > 0);
	/* Degenerate input stays finite. */
	tn_platt_fit(3, (const double[]){ 0, 0, 0 }, (const int[]){ 1, -1, 1 }, &A, &B);
	assert_true(isfinite(A) && isfinite(B));
	tn_platt_fit(0, NULL, NULL, &A, &B);
	assert_true(isfinite(A) && isfinite(B));
}

static void test_couple_probabilities(void **state)
{
	const double truth[3] = { 0.6, 0.3, 0.1 };
	double r[9], p[3], q[2], work[12];
	size_t i, j;

	(void)state;
	/*
	 * Consistent pairwise probabilities r_ij = p_i / (p_i + p_j) give back p, up
	 * to where the iteration stops (libsvm's criterion, 0.005 / k).
	 */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			r[i * 3 + j] = i == j ? 0 : truth[i] / (truth[i] + truth[j]);
	tn_couple_probabilities(3, r, p, work);
	for (i = 0; i < 3; i++)
		assert_float_equal(p[i], truth[i], 5e-3);
	assert_true(p[0] > p[1] && p[1] > p[2]);
	assert_float_equal(p[0] + p[1] + p[2], 1.0, 1e-9);
	/* No information: uniform. */
	for (i = 0; i < 9; i++)
		r[i] = i % 4 ? 0.5 : 0;
	tn_couple_probabilities(3, r, p, work);
	for (i = 0; i < 3; i++)
		assert_float_equal(p[i], 1.0 / 3.0, 1e-9);
	/* Two classes: the pair probability itself. */
	r[0] = 0;
	r[1] = 0.8;
	r[2] = 0.2;
	r[3] = 0;
	tn_couple_probabilities(2, r, q, work);
	assert_float_equal(q[0], 0.8, 1e-3);
	assert_float_equal(q[1], 0.2, 1e-3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_linear_mini),
		T(test_linear_four_classes),
		T(test_probability_mini),
		T(test_probability_four_classes),
		T(test_rbf),
		T(test_liblinear),
		T(test_pairwise_linear),
		T(test_linear_one_vs_rest),
		cmocka_unit_test(test_platt),
		cmocka_unit_test(test_couple_probabilities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
