/*
 * test_train.c - training (lib/train.h): refused inputs and settings,
 * cross-validation figures, held-out evaluation, and bundles that do not
 * depend on the number of threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <omp.h>

#include "../../lib/bundle.h"
#include "../../lib/corpus.h"
#include "../../lib/train.h"
#include "../../lib/manifest_json.h"
#include "testutil.h"

struct fx {
	char *tmp;               /* first: tu_fixture_new */
	struct tn_corpus c;
	struct tn_feat_opts fo;
	struct tn_train_opts to;
	struct tn_err err;
};

static int setup(void **state)
{
	struct fx *f = tu_fixture_new(sizeof(*f));

	tn_corpus_init(&f->c);
	tn_feat_opts_default(&f->fo);
	tn_train_opts_default(&f->to);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tn_corpus_release(&f->c);
	tu_fixture_free(f);
	return 0;
}

static void load_path(struct fx *f, const char *path, const char *const *labels, size_t nlabels)
{
	struct tn_corpus_opts o;
	const char *paths[1] = { path };

	tn_corpus_opts_default(&o);
	o.labels = labels;
	o.nlabels = nlabels;
	tn_corpus_release(&f->c);
	if (tn_corpus_load(&f->c, paths, 1, &o, &f->err))
		fail_msg("%s", f->err.msg);
}

/* Like load_path, with the documents grouped by field group. */
static void load_grouped(struct fx *f, const char *content, const char *group)
{
	struct tn_corpus_opts o;
	char *p = tu_path(f->tmp, "g.jsonl");
	const char *paths[1] = { p };

	tu_write_str(p, content);
	tn_corpus_opts_default(&o);
	o.group_field = group;
	tn_corpus_release(&f->c);
	if (tn_corpus_load(&f->c, paths, 1, &o, &f->err))
		fail_msg("%s", f->err.msg);
	free(p);
}

static void load_mini(struct fx *f)
{
	char *p = tu_data("mini.jsonl");

	load_path(f, p, NULL, 0);
	free(p);
}

static void load_text(struct fx *f, const char *content, const char *const *labels, size_t nlabels)
{
	char *p = tu_path(f->tmp, "c.jsonl");

	tu_write_str(p, content);
	load_path(f, p, labels, nlabels);
	free(p);
}

/* tn_train must fail with code and a message containing want. */
static void assert_train_fails(struct fx *f, int code, const char *want)
{
	struct tn_bundle *b = NULL;

	memset(&f->err, 0, sizeof(f->err));
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), code);
	assert_null(b);
	assert_true(tu_has(f->err.msg, want));
}

static void test_refused_corpora(void **state)
{
	struct fx *f = *state;
	const char *missing[] = { "missing" };

	load_text(f, "", NULL, 0);
	assert_train_fails(f, TN_EINVAL, "the corpus is empty");
	load_text(f, "{\"text\": \"a b\"}\n{\"text\": \"a c\"}\n", NULL, 0);
	assert_train_fails(f, TN_EINVAL, "no label field");
	load_text(f, "{\"text\": \"a b\", \"tone\": \"pos\"}\n{\"text\": \"a c\", \"tone\": \"pos\"}\n", NULL, 0);
	assert_train_fails(f, TN_EINVAL, "head 'tone' has a single class ('pos')");
	load_text(f, "{\"text\": \"a b\", \"tone\": \"pos\"}\n{\"text\": \"a c\", \"tone\": \"neg\"}\n", missing, 1);
	assert_train_fails(f, TN_EINVAL, "head 'missing': no document has this label");
	load_text(f, "{\"text\": \"a b\", \"a b\": \"x\"}\n{\"text\": \"a c\", \"a b\": \"y\"}\n", NULL, 0);
	assert_train_fails(f, TN_EINVAL, "label field 'a b' cannot name a head");
	/* No n-gram in two documents. */
	load_text(f, "{\"text\": \"alpha\", \"l\": \"x\"}\n{\"text\": \"beta\", \"l\": \"y\"}\n", NULL, 0);
	assert_train_fails(f, TN_EINVAL, "no n-gram occurs in 2 or more documents");
	f->fo.min_df = 1;
	{
		struct tn_bundle *b = NULL;

		assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
		tn_bundle_free(b);
	}
}

static void test_refused_settings(void **state)
{
	struct fx *f = *state;

	load_mini(f);
	f->fo.bits = 9;
	assert_train_fails(f, TN_EINVAL, "hash bits");
	tn_feat_opts_default(&f->fo);
	f->to.C = 0;
	assert_train_fails(f, TN_EINVAL, "C must be a positive number");
	tn_train_opts_default(&f->to);
	f->to.cv = 1;
	assert_train_fails(f, TN_EINVAL, "2..100 folds");
	assert_int_equal(tn_train_opts_check(&f->to, NULL), TN_EINVAL);
	f->to.cv = 101;
	assert_int_equal(tn_train_opts_check(&f->to, NULL), TN_EINVAL);
	tn_train_opts_default(&f->to);
	f->to.eps = 0;
	assert_int_equal(tn_train_opts_check(&f->to, NULL), TN_EINVAL);
	tn_train_opts_default(&f->to);
	f->to.gamma = -1;
	assert_int_equal(tn_train_opts_check(&f->to, NULL), TN_EINVAL);
	tn_train_opts_default(&f->to);
	assert_int_equal(tn_train_opts_check(&f->to, NULL), 0);
}

static void test_head_info(void **state)
{
	struct fx *f = *state;
	struct tn_bundle *b = NULL;
	json_t *counts;

	load_mini(f);
	f->to.balanced = 1;
	f->to.C = 2.5;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	assert_int_equal(b->nheads, 2);
	assert_string_equal(b->heads[0].name, "topic");
	assert_string_equal(b->heads[1].name, "tone");
	assert_string_equal(json_string_value(json_object_get(b->heads[0].info, "class_weight")), "balanced");
	assert_float_equal(json_real_value(json_object_get(b->heads[0].info, "C")), 2.5, 0);
	/* Documents without a tone train only the topic. */
	assert_int_equal(json_integer_value(json_object_get(b->heads[0].info, "documents")), 60);
	assert_int_equal(json_integer_value(json_object_get(b->heads[1].info, "documents")), 57);
	counts = json_object_get(b->heads[1].info, "class_counts");
	assert_int_equal(json_integer_value(json_object_get(counts, "neg")), 27);
	assert_int_equal(json_integer_value(json_object_get(counts, "pos")), 30);
	assert_null(json_object_get(b->heads[0].info, "cv"));
	tn_bundle_free(b);
}

static void test_cross_validation(void **state)
{
	struct fx *f = *state;
	struct tn_bundle *b = NULL;
	struct tn_confusion conf[2];
	json_t *cv;
	double acc, mf1;
	size_t h;

	load_mini(f);
	f->to.cv = 3;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, conf, &f->err), 0);
	/* Every labeled document is predicted once, by a model that did not see it. */
	assert_int_equal(conf[0].total, 60);
	assert_int_equal(conf[0].nclass, 3);
	assert_int_equal(conf[1].total, 57);
	assert_int_equal(conf[1].nclass, 2);
	for (h = 0; h < 2; h++) {
		cv = json_object_get(b->heads[h].info, "cv");
		assert_non_null(cv);
		assert_int_equal(json_integer_value(json_object_get(cv, "folds")), 3);
		assert_int_equal(json_integer_value(json_object_get(cv, "documents")), (json_int_t)conf[h].total);
		tn_confusion_scores(&conf[h], &acc, &mf1, NULL);
		assert_float_equal(json_real_value(json_object_get(cv, "accuracy")), acc, 1e-6);
		assert_float_equal(json_real_value(json_object_get(cv, "macro_f1")), mf1, 1e-6);
		/* The fixture is learnable: well above chance. */
		assert_true(acc > (h == 0 ? 0.5 : 0.55));
		tn_confusion_release(&conf[h]);
	}
	tn_bundle_free(b);
	/* Without a place for the matrices the manifest still gets the figures. */
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	assert_non_null(json_object_get(b->heads[0].info, "cv"));
	tn_bundle_free(b);
	/* More folds than documents of a class still works. */
	f->to.cv = 25;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	tn_bundle_free(b);
}

static void test_evaluate(void **state)
{
	struct fx *f = *state;
	struct tn_bundle *b = NULL;
	struct tn_corpus test;
	struct tn_corpus_opts o;
	struct tn_confusion conf[2];
	char *p = tu_data("mini-test.jsonl");
	const char *paths[1] = { p };
	double acc;

	load_mini(f);
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	tn_corpus_opts_default(&o);
	o.like = &f->c;
	tn_corpus_init(&test);
	assert_int_equal(tn_corpus_load(&test, paths, 1, &o, &f->err), 0);
	assert_int_equal(tn_evaluate(b, &test, conf, &f->err), 0);
	assert_int_equal(conf[0].total, 12);
	assert_int_equal(conf[1].total, 12);
	tn_confusion_scores(&conf[0], &acc, NULL, NULL);
	assert_true(acc >= 0.75);
	tn_confusion_release(&conf[0]);
	tn_confusion_release(&conf[1]);
	/* On its own training documents a linear SVM is nearly always right. */
	assert_int_equal(tn_evaluate(b, &f->c, conf, &f->err), 0);
	assert_int_equal(conf[1].total, 57);
	tn_confusion_scores(&conf[0], &acc, NULL, NULL);
	assert_true(acc >= 0.95);
	tn_confusion_release(&conf[0]);
	tn_confusion_release(&conf[1]);
	tn_corpus_release(&test);
	tn_bundle_free(b);
	free(p);
}

/* A document that cannot be featurised fails the evaluation; it is not dropped. */
static void test_evaluate_failing_document(void **state)
{
	struct fx *f = *state;
	struct tn_bundle *b = NULL;
	struct tn_confusion conf[2];
	char *keep, bad[] = "peace talks \xff resume";

	load_mini(f);
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	keep = f->c.text[3];
	f->c.text[3] = bad;
	f->c.len[3] = strlen(bad);
	assert_int_equal(tn_evaluate(b, &f->c, conf, &f->err), TN_EFORMAT);
	assert_string_equal(f->err.msg, "evaluate document 4: invalid UTF-8 at byte 12");
	f->c.text[3] = keep;
	f->c.len[3] = strlen(keep);
	tn_confusion_release(&conf[0]);
	tn_confusion_release(&conf[1]);
	tn_bundle_free(b);
}

struct prog_log {
	int features_end, training_end, naming_end, folds_end, chosen_folds_end, split_folds_end, calls, bad;
};

static void on_progress(void *ctx, const char *stage, size_t done, size_t total)
{
	struct prog_log *l = ctx;
	int split = !strcmp(stage, "folds (word 1-1, split 2/3)") || !strcmp(stage, "folds (word 1-1, split 3/3)") ||
		    !strcmp(stage, "folds (word 1-2, split 2/3)") || !strcmp(stage, "folds (word 1-2, split 3/3)");

	l->calls++;
	l->bad += done > total;
	if (!strcmp(stage, "features") && done == total)
		l->features_end++;
	else if (!strcmp(stage, "training") && done == total)
		l->training_end++;
	else if (!strcmp(stage, "naming n-grams") && done == total)
		l->naming_end++;
	else if (!strcmp(stage, "folds") && done == total)
		l->folds_end++;
	else if ((!strcmp(stage, "folds (word 1-1)") || !strcmp(stage, "folds (word 1-2)")) && done == total)
		l->chosen_folds_end++;
	else if (split && done == total)
		l->split_folds_end++;
	else if (strcmp(stage, "features") && strcmp(stage, "training") && strcmp(stage, "naming n-grams") &&
		 strcmp(stage, "folds") && strcmp(stage, "features (word 1-1)") && strcmp(stage, "features (word 1-2)") &&
		 strcmp(stage, "folds (word 1-1)") && strcmp(stage, "folds (word 1-2)") && !split)
		l->bad++;
}

static void test_progress(void **state)
{
	struct fx *f = *state;
	struct tn_bundle *b = NULL;
	struct prog_log log = { 0, 0, 0, 0, 0, 0, 0, 0 };
	struct tn_progress prog = { on_progress, &log };

	load_mini(f);
	f->to.cv = 2;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, &prog, NULL, &f->err), 0);
	assert_true(log.calls >= 4);
	assert_int_equal(log.bad, 0);
	assert_true(log.features_end >= 1);
	assert_true(log.training_end >= 1);
	assert_int_equal(log.folds_end, 1);      /* the CV folds, which calibrate too */
	assert_int_equal(log.naming_end, 1);
	tn_bundle_free(b);
	/*
	 * Choosing the word n-grams: each candidate's folds, a stage of their
	 * own; 60 documents are split into folds three times (choose.c).
	 */
	memset(&log, 0, sizeof(log));
	f->to.choose_ngrams = 1;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, &prog, NULL, &f->err), 0);
	assert_int_equal(log.bad, 0);
	assert_int_equal(log.chosen_folds_end, 2);
	assert_int_equal(log.split_folds_end, 4);
	assert_int_equal(log.folds_end, 0);
	tn_bundle_free(b);
}

/* The manifest's "selection" of a run that chose the word n-grams on n generated documents. */
static json_t *selection_of(struct fx *f, size_t n, char *line, size_t size)
{
	struct tn_bundle *b = NULL;
	char *gen = tu_path(f->tmp, "sel.jsonl");
	json_t *sel;

	tu_gen_corpus(gen, 7, n, 3);
	load_path(f, gen, NULL, 0);
	f->to.choose_ngrams = 1;
	f->to.probability = 1;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	sel = json_incref(json_object_get(tn_bundle_info(b), "selection"));
	assert_non_null(sel);
	tn_train_selection_line(b, line, size);
	tn_bundle_free(b);
	free(gen);
	return sel;
}

/*
 * Small corpora average the choice of word n-grams over more splits into
 * folds (their folds are the noisiest and the cheapest): three below 1,667
 * documents, two below 2,500, one from there.
 */
static void test_choice_splits(void **state)
{
	static const size_t n[] = { 300, 2000, 2600 };
	static const int want[] = { 3, 2, 1 };
	struct fx *f = *state;
	char line[512];
	size_t i;

	for (i = 0; i < sizeof(n) / sizeof(*n); i++) {
		json_t *sel = selection_of(f, n[i], line, sizeof(line));

		assert_int_equal(json_integer_value(json_object_get(sel, "splits")), want[i]);
		assert_int_equal(json_integer_value(json_object_get(sel, "documents")), (json_int_t)n[i]);
		if (want[i] > 1) {
			char times[32];

			snprintf(times, sizeof(times), "chosen by %d x 5-fold", want[i]);
			assert_true(tu_has(line, times));
		} else {
			assert_true(tu_has(line, "chosen by 5-fold"));
		}
		json_decref(sel);
	}
}

/*
 * A head labelled by its most probable class (pairwise Platt sigmoids, as
 * svm-predict -b 1) is cross-validated on those labels, not on its votes:
 * the CV figure is the calibration's cross-fitted Platt figure, and differs
 * from the votes' figure on the same folds.
 */
static void test_platt_labels_cross_validated(void **state)
{
	struct fx *f = *state;
	struct tn_bundle *b = NULL;
	char *gen = tu_path(f->tmp, "ovo.jsonl");
	json_t *cv, *platt;
	double votes, labels;

	tu_gen_corpus(gen, 3, 400, 4);
	load_path(f, gen, NULL, 0);
	f->to.cv = 5;
	f->to.one_vs_one = 1;
	f->to.probability = 0;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	cv = json_object_get(b->heads[0].info, "cv");
	assert_string_equal(json_string_value(json_object_get(cv, "labels")), "decision values");
	votes = json_real_value(json_object_get(cv, "macro_f1"));
	tn_bundle_free(b);

	f->to.probability = 1;
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	cv = json_object_get(b->heads[0].info, "cv");
	assert_true(tu_has(json_string_value(json_object_get(cv, "labels")), "Platt"));
	labels = json_real_value(json_object_get(cv, "macro_f1"));
	platt = json_object_get(json_object_get(json_object_get(b->heads[0].info, "calibration"), "compared"),
				"platt-pairwise");
	assert_float_equal(labels, json_real_value(json_object_get(platt, "macro_f1")), 1e-4);
	assert_true(fabs(labels - votes) > 1e-4);
	tn_bundle_free(b);
	free(gen);
}

static int same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = tu_read(a, &la), *y = tu_read(b, &lb);
	int same = la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

/* Trains with n threads and saves to tmp/name. */
static void train_save(struct fx *f, int threads, const char *name)
{
	struct tn_bundle *b = NULL;
	char *dir = tu_path(f->tmp, name);

	omp_set_num_threads(threads);
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, NULL, &f->err), 0);
	assert_int_equal(tn_bundle_save(b, dir, &f->err), 0);
	tn_bundle_free(b);
	free(dir);
}

static void test_threads_do_not_matter(void **state)
{
	static const char *const files[] = { "manifest.json", "idf.bin", "label.svm" };
	struct fx *f = *state;
	char *gen = tu_path(f->tmp, "gen.jsonl");
	int max = omp_get_max_threads();
	size_t i;

	/* Enough documents that every parallel loop is split between threads. */
	tu_gen_corpus(gen, 99, 600, 4);
	load_path(f, gen, NULL, 0);
	f->to.cv = 3;
	f->to.probability = 1;
	train_save(f, 1, "one");
	train_save(f, 3, "three");
	train_save(f, 8, "eight");
	omp_set_num_threads(max);
	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		char *a = tu_path(f->tmp, "one"), *b = tu_path(f->tmp, "three"), *c = tu_path(f->tmp, "eight");
		char *fa = tu_path(a, files[i]), *fb = tu_path(b, files[i]), *fc = tu_path(c, files[i]);

		if (!same_file(fa, fb) || !same_file(fa, fc))
			fail_msg("%s differs between 1, 3 and 8 threads", files[i]);
		free(a);
		free(b);
		free(c);
		free(fa);
		free(fb);
		free(fc);
	}
	free(gen);
}

/*
 * Grouped folds: 60 groups of three copies of one text, each group's words its
 * own, its label unrelated to them.  Folds that split a group score the model
 * on copies of its training text (near-perfect); folds that keep groups whole
 * leave it nothing to go by (near chance).
 */
static void test_grouped_folds(void **state)
{
	struct fx *f = *state;
	struct tn_bundle *b = NULL;
	struct tn_confusion conf[1];
	double acc_split, acc_grouped, mf1;
	char *content = calloc(60 * 3, 160), *w = content;
	json_t *cv;
	int g, k;

	assert_non_null(content);
	for (g = 0; g < 60; g++)
		for (k = 0; k < 3; k++)
			w += sprintf(w, "{\"text\": \"q%da q%db q%dc q%dd q%de\", \"label\": \"%s\", \"src\": \"s%d\"}\n",
				     g, g, g, g, g, (g * 37 % 11) % 2 ? "odd" : "even", g);
	f->to.cv = 5;
	f->to.probability = 0;

	load_grouped(f, content, NULL);
	assert_null(f->c.group);
	assert_int_equal(f->c.nheads, 2);     /* src is a head when not the group */
	load_text(f, content, (const char *const[]){ "label" }, 1);
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, conf, &f->err), 0);
	tn_confusion_scores(&conf[0], &acc_split, &mf1, NULL);
	assert_null(json_object_get(json_object_get(b->heads[0].info, "cv"), "group_field"));
	tn_confusion_release(&conf[0]);
	tn_bundle_free(b);

	load_grouped(f, content, "src");
	assert_int_equal(f->c.nheads, 1);
	assert_int_equal(tn_train(&b, &f->c, &f->fo, &f->to, NULL, conf, &f->err), 0);
	assert_int_equal(conf[0].total, 180);
	tn_confusion_scores(&conf[0], &acc_grouped, &mf1, NULL);
	cv = json_object_get(b->heads[0].info, "cv");
	assert_string_equal(json_string_value(json_object_get(cv, "group_field")), "src");
	tn_confusion_release(&conf[0]);
	tn_bundle_free(b);
	b = NULL;

	assert_true(acc_split > 0.95);
	assert_true(acc_grouped < 0.7);

	/* Fewer groups than folds: refused, naming the count. */
	load_grouped(f, "{\"text\": \"a b\", \"label\": \"x\", \"src\": \"1\"}\n"
		     "{\"text\": \"c d\", \"label\": \"y\", \"src\": \"2\"}\n"
		     "{\"text\": \"a e\", \"label\": \"x\", \"src\": \"3\"}\n"
		     "{\"text\": \"c f\", \"label\": \"y\", \"src\": \"3\"}\n", "src");
	assert_train_fails(f, TN_EINVAL, "form 3 groups, fewer than the 5 folds");
	free(content);
}

/*
 * rand() and srand() are per thread (solve.c), with glibc's generator: the
 * C library's numbers after srand(1), and threads drawing side by side each
 * get the sequence of their own seed, as one thread alone would.
 */
static void test_rand_per_thread(void **state)
{
	enum { N = 2000, T = 4 };
	static int alone[2][N], got[T][N];
	int i, t;

	(void)state;
	srand(1);
	assert_int_equal(rand(), 1804289383);
	assert_int_equal(rand(), 846930886);
	for (t = 0; t < 2; t++) {
		srand(42u + (unsigned)t);
		for (i = 0; i < N; i++)
			alone[t][i] = rand();
	}
	assert_true(memcmp(alone[0], alone[1], sizeof(alone[0])) != 0);
#pragma omp parallel num_threads(T) default(none) shared(got) private(i)
	{
		int me = omp_get_thread_num();

		srand(42u + (unsigned)(me % 2));
		for (i = 0; i < N; i++) {
			got[me][i] = rand();
			if (i % 100 == 0) {
#pragma omp barrier
			}
		}
	}
	for (t = 0; t < omp_get_max_threads() && t < T; t++)
		assert_memory_equal(got[t], alone[t % 2], sizeof(alone[0]));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_refused_corpora),
		T(test_refused_settings),
		T(test_head_info),
		T(test_cross_validation),
		T(test_grouped_folds),
		T(test_rand_per_thread),
		T(test_evaluate),
		T(test_evaluate_failing_document),
		T(test_progress),
		T(test_choice_splits),
		T(test_platt_labels_cross_validated),
		T(test_threads_do_not_matter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
