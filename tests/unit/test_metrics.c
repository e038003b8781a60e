/*
 * test_metrics.c - confusion matrices and their figures (lib/metrics.h),
 * checked against arithmetic done by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/err.h"
#include "../../lib/metrics.h"
#include "../../lib/manifest_json.h"
#include "testutil.h"

/*
 * Rows are the true class, columns the predicted one:
 *
 *              pred A  pred B  pred C   | true
 *     true A      5       1       0     |   6
 *     true B      2       3       1     |   6
 *     true C      1       0       3     |   4
 *     ---------------------------------
 *     predicted   8       4       4        16 documents
 *
 * accuracy = (5 + 3 + 3) / 16 = 11/16 = 0.6875
 * A: precision 5/8 = 0.625, recall 5/6 = 0.833333, F1 = 2tp / (pred + true) = 10/14 = 0.714286
 * B: precision 3/4 = 0.75,  recall 3/6 = 0.5,      F1 = 6/10 = 0.6
 * C: precision 3/4 = 0.75,  recall 3/4 = 0.75,     F1 = 6/8  = 0.75
 * macro-F1 = (5/7 + 3/5 + 3/4) / 3 = (0.7142857 + 0.6 + 0.75) / 3 = 0.6880952
 */
static const int cells[3][3] = { { 5, 1, 0 }, { 2, 3, 1 }, { 1, 0, 3 } };
static const char *const names[] = { "A", "B", "C", "D" };

static void fill(struct tn_confusion *c)
{
	int t, p, k;

	for (t = 0; t < 3; t++)
		for (p = 0; p < 3; p++)
			for (k = 0; k < cells[t][p]; k++)
				tn_confusion_add(c, t, p);
}

static void test_scores(void **state)
{
	struct tn_confusion c;
	struct tn_class_scores per[3];
	double acc, mf1;

	(void)state;
	assert_int_equal(tn_confusion_init(&c, 3), 0);
	fill(&c);
	assert_int_equal(c.total, 16);
	assert_int_equal(c.m[0 * 3 + 1], 1);
	assert_int_equal(c.m[1 * 3 + 0], 2);
	tn_confusion_scores(&c, &acc, &mf1, per);
	assert_float_equal(acc, 0.6875, 1e-12);
	assert_float_equal(per[0].precision, 0.625, 1e-12);
	assert_float_equal(per[0].recall, 5.0 / 6.0, 1e-12);
	assert_float_equal(per[0].f1, 5.0 / 7.0, 1e-12);
	assert_int_equal(per[0].support, 6);
	assert_float_equal(per[1].precision, 0.75, 1e-12);
	assert_float_equal(per[1].recall, 0.5, 1e-12);
	assert_float_equal(per[1].f1, 0.6, 1e-12);
	assert_int_equal(per[1].support, 6);
	assert_float_equal(per[2].precision, 0.75, 1e-12);
	assert_float_equal(per[2].recall, 0.75, 1e-12);
	assert_float_equal(per[2].f1, 0.75, 1e-12);
	assert_int_equal(per[2].support, 4);
	assert_float_equal(mf1, (5.0 / 7.0 + 0.6 + 0.75) / 3.0, 1e-12);
	assert_float_equal(mf1, 0.6880952, 1e-7);
	/* Either output may be left out. */
	tn_confusion_scores(&c, NULL, &mf1, NULL);
	tn_confusion_scores(&c, &acc, NULL, NULL);
	tn_confusion_release(&c);
	tn_confusion_release(NULL);
}

static void test_absent_classes(void **state)
{
	struct tn_confusion c;
	struct tn_class_scores per[4];
	double acc, mf1;

	(void)state;
	/* A fourth class that is never true nor predicted does not count in macro-F1. */
	assert_int_equal(tn_confusion_init(&c, 4), 0);
	fill(&c);
	tn_confusion_scores(&c, &acc, &mf1, per);
	assert_float_equal(acc, 0.6875, 1e-12);
	assert_float_equal(mf1, 0.6880952, 1e-7);
	assert_float_equal(per[3].f1, 0.0, 0);
	assert_int_equal(per[3].support, 0);
	/* Once predicted (wrongly), it counts with F1 = 0: (5/7 + 3/5 + 3/4 + 0) / 4. */
	tn_confusion_add(&c, 2, 3);
	tn_confusion_scores(&c, &acc, &mf1, per);
	assert_float_equal(acc, 11.0 / 17.0, 1e-12);
	assert_float_equal(per[2].recall, 0.6, 1e-12);       /* 3 of 5 */
	assert_float_equal(per[2].f1, 6.0 / 9.0, 1e-12);     /* 2*3 / (4 + 5) */
	assert_float_equal(mf1, (5.0 / 7.0 + 0.6 + 6.0 / 9.0) / 4.0, 1e-12);
	tn_confusion_release(&c);
}

static void test_add_ignores_missing(void **state)
{
	struct tn_confusion a, b;
	double acc, mf1;

	(void)state;
	assert_int_equal(tn_confusion_init(&a, 2), 0);
	assert_int_equal(tn_confusion_init(&b, 2), 0);
	/* Documents without a label (-1) or out of range are not counted. */
	tn_confusion_add(&a, -1, 0);
	tn_confusion_add(&a, 0, -1);
	tn_confusion_add(&a, 2, 0);
	assert_int_equal(a.total, 0);
	tn_confusion_scores(&a, &acc, &mf1, NULL);
	assert_float_equal(acc, 0.0, 0);
	assert_float_equal(mf1, 0.0, 0);
	/* Merging per-thread matrices. */
	tn_confusion_add(&a, 0, 0);
	tn_confusion_add(&b, 1, 0);
	tn_confusion_add(&b, 1, 1);
	tn_confusion_merge(&a, &b);
	assert_int_equal(a.total, 3);
	assert_int_equal(a.m[0], 1);
	assert_int_equal(a.m[2], 1);
	assert_int_equal(a.m[3], 1);
	tn_confusion_release(&a);
	tn_confusion_release(&b);
}

static double num(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_number(v));
	return json_number_value(v);
}

static void test_json_round_trip(void **state)
{
	struct tn_confusion c, back, back2;
	json_t *j, *cls, *a, *labels, *reread;
	char *text;
	size_t k;

	(void)state;
	assert_int_equal(tn_confusion_init(&c, 3), 0);
	fill(&c);
	j = tn_confusion_json(&c, names);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "documents")), 16);
	assert_float_equal(num(j, "accuracy"), 0.6875, 1e-12);
	/* Figures are rounded to 6 decimals. */
	assert_float_equal(num(j, "macro_f1"), 0.688095, 1e-12);
	cls = json_object_get(j, "classes");
	assert_int_equal(json_object_size(cls), 3);
	a = json_object_get(cls, "A");
	assert_float_equal(num(a, "precision"), 0.625, 1e-12);
	assert_float_equal(num(a, "recall"), 0.833333, 1e-12);
	assert_float_equal(num(a, "f1"), 0.714286, 1e-12);
	assert_int_equal(json_integer_value(json_object_get(a, "support")), 6);
	labels = json_object_get(json_object_get(j, "confusion"), "labels");
	assert_int_equal(json_array_size(labels), 3);
	for (k = 0; k < 3; k++)
		assert_string_equal(json_string_value(json_array_get(labels, k)), names[k]);

	/* Back from the object, and from its text. */
	assert_int_equal(tn_confusion_init(&back, 3), 0);
	assert_int_equal(tn_confusion_from_json(&back, j), 0);
	assert_int_equal(back.total, 16);
	assert_memory_equal(back.m, c.m, 9 * sizeof(*c.m));
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	reread = json_loads(text, 0, NULL);
	assert_non_null(reread);
	assert_int_equal(tn_confusion_init(&back2, 3), 0);
	assert_int_equal(tn_confusion_from_json(&back2, reread), 0);
	assert_memory_equal(back2.m, c.m, 9 * sizeof(*c.m));
	tn_confusion_release(&back2);
	tn_confusion_release(&back);

	/* A matrix of another size, or a damaged one, is refused. */
	assert_int_equal(tn_confusion_init(&back, 2), 0);
	assert_int_equal(tn_confusion_from_json(&back, j), TN_EFORMAT);
	tn_confusion_release(&back);
	assert_int_equal(tn_confusion_init(&back, 3), 0);
	json_array_set_new(json_array_get(json_object_get(json_object_get(j, "confusion"), "matrix"), 1), 2,
			   json_integer(-1));
	assert_int_equal(tn_confusion_from_json(&back, j), TN_EFORMAT);
	assert_int_equal(tn_confusion_from_json(&back, json_object_get(j, "classes")), TN_EFORMAT);
	tn_confusion_release(&back);

	free(text);
	json_decref(reread);
	json_decref(j);
	tn_confusion_release(&c);
}

static void test_report(void **state)
{
	struct tn_confusion c;
	struct tn_buf out = TN_BUF_INIT;

	(void)state;
	assert_int_equal(tn_confusion_init(&c, 3), 0);
	fill(&c);
	assert_int_equal(tn_confusion_report(&c, names, "  ", &out), 0);
	assert_true(tu_has(out.ptr, "  accuracy 0.6875  macro-F1 0.6881  (16 documents)\n"));
	assert_true(tu_has(out.ptr, "precision"));
	assert_true(tu_has(out.ptr, "confusion (rows: true, columns: predicted)"));
	assert_true(tu_has(out.ptr, "0.6250  0.8333  0.7143        6\n"));
	tn_buf_release(&out);
	tn_confusion_release(&c);
}

/* Long names are never cut: every column is as wide as the longest name, in terminal columns. */
static void test_report_wide_names(void **state)
{
	static const char *const wide[] = { "international-diplomacy", "x", "économie" };
	struct tn_confusion c;
	struct tn_buf out = TN_BUF_INIT;
	const char *row;

	(void)state;
	assert_int_equal(tn_confusion_init(&c, 3), 0);
	tn_confusion_add(&c, 0, 0);
	tn_confusion_add(&c, 0, 2);
	tn_confusion_add(&c, 2, 2);
	tn_confusion_add(&c, 1, 1);
	assert_int_equal(tn_confusion_report(&c, wide, "", &out), 0);
	/* The header row: the name column (23), then each class right-aligned in 23 columns. */
	assert_true(tu_has(out.ptr, "predicted)\n                        international-diplomacy                       x                " "\xc3\xa9" "conomie\n"));
	assert_true(tu_has(out.ptr, "\ninternational-diplomacy                       1                       0                       1\n"));
	/* "économie" is 8 columns (9 bytes): padded to 23 columns, not 23 bytes. */
	row = strstr(out.ptr, "\n\xc3\xa9" "conomie ");
	assert_non_null(row);
	assert_true(tu_has(row, "\n\xc3\xa9" "conomie                                      0                       0                       1\n"));
	assert_true(tu_has(out.ptr, "\nclass                    precision"));
	tn_buf_release(&out);
	tn_confusion_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_absent_classes),
		cmocka_unit_test(test_add_ignores_missing),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_wide_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
