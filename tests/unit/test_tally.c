/*
 * test_tally.c - class counts of a run (lib/tally.h) and the progress
 * series (lib/series.h): counting, abstentions, the cross-table, the
 * manifest's JSON and back, refusals of counts that do not add up, the
 * summary's text, and the series' thinning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/err.h"
#include "../../lib/manifest_json.h"
#include "../../lib/series.h"
#include "../../lib/tally.h"
#include "testutil.h"

/* struct tn_head's strings are not const: writable copies of the names. */
static char n_topic[] = "topic", n_tone[] = "tone";
static char c_dip[] = "diplomacy", c_eco[] = "economy", c_sec[] = "security", c_adv[] = "adversarial",
	    c_neu[] = "neutral";
static char *topics[] = { c_dip, c_eco, c_sec };
static char *tones[] = { c_adv, c_neu };
static struct tn_head heads[2] = {
	{ .name = n_topic, .nclass = 3, .classes = topics },
	{ .name = n_tone, .nclass = 2, .classes = tones },
};

/*
 * Seven results and two errors:
 *   (diplomacy, neutral) x2, (economy, adversarial), (security, neutral),
 *   (security, null), (null, neutral), (diplomacy, adversarial)
 * topic: diplomacy 3, economy 1, security 2, abstained 1
 * tone:  adversarial 2, neutral 4, abstained 1
 * cross (both with a class, 5 documents): diplomacy: adv 1, neu 2; economy: adv 1; security: neu 1
 */
static void fill(struct tn_tally *t)
{
	static const int32_t recs[][2] = { { 0, 1 }, { 0, 1 }, { 1, 0 }, { 2, 1 }, { 2, -1 }, { -1, 1 }, { 0, 0 } };
	size_t i;

	for (i = 0; i < sizeof(recs) / sizeof(*recs); i++)
		tn_tally_add(t, recs[i]);
	tn_tally_add_error(t);
	tn_tally_add_error(t);
}

static void test_counts(void **state)
{
	struct tn_tally t;

	(void)state;
	assert_int_equal(tn_tally_init(&t, heads, 2), 0);
	fill(&t);
	assert_int_equal(t.ok, 7);
	assert_int_equal(t.errors, 2);
	assert_int_equal(t.cls[0][0], 3);
	assert_int_equal(t.cls[0][1], 1);
	assert_int_equal(t.cls[0][2], 2);
	assert_int_equal(t.abstained[0], 1);
	assert_int_equal(t.cls[1][0], 2);
	assert_int_equal(t.cls[1][1], 4);
	assert_int_equal(t.abstained[1], 1);
	assert_int_equal(t.cross[0 * 2 + 0], 1);
	assert_int_equal(t.cross[0 * 2 + 1], 2);
	assert_int_equal(t.cross[1 * 2 + 0], 1);
	assert_int_equal(t.cross[1 * 2 + 1], 0);
	assert_int_equal(t.cross[2 * 2 + 0], 0);
	assert_int_equal(t.cross[2 * 2 + 1], 1);
	tn_tally_release(&t);
	tn_tally_release(NULL);
}

static void test_one_head_has_no_cross(void **state)
{
	struct tn_tally t;
	int32_t p = 2;
	json_t *counts = json_pack("{s:i}", "ok", 1);

	(void)state;
	assert_int_equal(tn_tally_init(&t, heads, 1), 0);
	assert_null(t.cross);
	tn_tally_add(&t, &p);
	assert_int_equal(t.cls[0][2], 1);
	assert_int_equal(tn_tally_json(&t, counts), 0);
	assert_null(json_object_get(counts, "cross"));
	json_decref(counts);
	tn_tally_release(&t);
}

static void test_json_round_trip(void **state)
{
	struct tn_tally t, back, copy;
	json_t *counts = json_pack("{s:i, s:i}", "documents", 9, "ok", 7);
	char *s;

	(void)state;
	assert_int_equal(tn_tally_init(&t, heads, 2), 0);
	assert_int_equal(tn_tally_init(&back, heads, 2), 0);
	assert_int_equal(tn_tally_init(&copy, heads, 2), 0);
	fill(&t);
	assert_int_equal(tn_tally_json(&t, counts), 0);
	s = json_dumps(counts, JSON_PRESERVE_ORDER | JSON_COMPACT);
	assert_string_equal(s, "{\"documents\":9,\"ok\":7,"
			    "\"heads\":{\"topic\":{\"diplomacy\":3,\"economy\":1,\"security\":2},"
			    "\"tone\":{\"adversarial\":2,\"neutral\":4}},"
			    "\"abstained\":{\"topic\":1,\"tone\":1},\"errors\":2,"
			    "\"cross\":{\"rows\":\"topic\",\"cols\":\"tone\",\"table\":{"
			    "\"diplomacy\":{\"adversarial\":1,\"neutral\":2},\"economy\":{\"adversarial\":1,\"neutral\":0},"
			    "\"security\":{\"adversarial\":0,\"neutral\":1}}}}");
	free(s);
	assert_int_equal(tn_tally_from_json(&back, counts), 0);
	assert_int_equal(back.ok, 7);
	assert_int_equal(back.errors, 2);
	assert_memory_equal(back.cls[0], t.cls[0], 3 * sizeof(uint64_t));
	assert_memory_equal(back.cls[1], t.cls[1], 2 * sizeof(uint64_t));
	assert_memory_equal(back.abstained, t.abstained, 2 * sizeof(uint64_t));
	assert_memory_equal(back.cross, t.cross, 6 * sizeof(uint64_t));
	/* Counting goes on from what was read back, as a resumed run does. */
	tn_tally_copy(&copy, &back);
	tn_tally_add_error(&back);
	assert_int_equal(copy.errors, 2);
	assert_int_equal(back.errors, 3);
	assert_memory_equal(copy.cross, t.cross, 6 * sizeof(uint64_t));
	json_decref(counts);
	tn_tally_release(&t);
	tn_tally_release(&back);
	tn_tally_release(&copy);
}

/* Counts of fill() as JSON with one number changed at path (head, class) or a key removed. */
static int from_edited(const char *a, const char *b, const char *c, json_t *value)
{
	struct tn_tally t, back;
	json_t *counts = json_pack("{s:i}", "ok", 7), *o;
	int rc;

	assert_int_equal(tn_tally_init(&t, heads, 2), 0);
	assert_int_equal(tn_tally_init(&back, heads, 2), 0);
	fill(&t);
	assert_int_equal(tn_tally_json(&t, counts), 0);
	o = counts;
	if (b)
		o = json_object_get(o, a);
	if (c)
		o = json_object_get(o, b);
	if (value)
		json_object_set_new(o, c ? c : b ? b : a, value);
	else
		json_object_del(o, c ? c : b ? b : a);
	rc = tn_tally_from_json(&back, counts);
	json_decref(counts);
	tn_tally_release(&t);
	tn_tally_release(&back);
	return rc;
}

static void test_json_refusals(void **state)
{
	(void)state;
	/* Unchanged: accepted (the helper itself is sound). */
	assert_int_equal(from_edited("heads", "topic", "economy", json_integer(1)), 0);
	/* A class count that no longer adds up to "ok". */
	assert_int_equal(from_edited("heads", "topic", "economy", json_integer(2)), TN_EFORMAT);
	assert_int_equal(from_edited("abstained", "tone", NULL, json_integer(0)), TN_EFORMAT);
	assert_int_equal(from_edited("heads", "tone", "neutral", json_integer(-4)), TN_EFORMAT);
	assert_int_equal(from_edited("heads", "tone", "neutral", json_string("4")), TN_EFORMAT);
	/* Missing pieces. */
	assert_int_equal(from_edited("heads", "topic", "economy", NULL), TN_EFORMAT);
	assert_int_equal(from_edited("heads", NULL, NULL, NULL), TN_EFORMAT);
	assert_int_equal(from_edited("abstained", NULL, NULL, NULL), TN_EFORMAT);
	assert_int_equal(from_edited("errors", NULL, NULL, NULL), TN_EFORMAT);
	assert_int_equal(from_edited("cross", NULL, NULL, NULL), TN_EFORMAT);
	/* A cross-table row larger than its class. */
	assert_int_equal(from_edited("cross", "table", "economy", json_pack("{s:i, s:i}", "adversarial", 1, "neutral", 1)),
			 TN_EFORMAT);
	assert_int_equal(from_edited("cross", "rows", NULL, json_string("tone")), TN_EFORMAT);
}

static void test_report_text(void **state)
{
	struct tn_tally t;
	struct tn_buf out = TN_BUF_INIT;

	(void)state;
	assert_int_equal(tn_tally_init(&t, heads, 2), 0);
	fill(&t);
	assert_int_equal(tn_tally_report(&t, "  ", &out), 0);
	assert_string_equal(out.ptr,
			    "  topic: diplomacy 3, economy 1, security 2; abstained 1\n"
			    "  tone:  adversarial 2, neutral 4; abstained 1\n"
			    "  topic x tone  adversarial      neutral\n"
			    "  diplomacy               1            2\n"
			    "  economy                 1            0\n"
			    "  security                0            1\n");
	tn_buf_release(&out);
	tn_tally_release(&t);
}

static void test_series_thinning(void **state)
{
	struct tn_series s;
	size_t i;
	json_t *j;
	struct tn_series back;

	(void)state;
	tn_series_init(&s, 1.0);
	tn_series_add(&s, 0, 0, 0, 1);
	tn_series_add(&s, 0.5, 10, 100, 0);   /* too close: dropped */
	assert_int_equal(s.n, 1);
	tn_series_add(&s, 0.6, 12, 120, 1);   /* forced: kept beside the first */
	assert_int_equal(s.n, 2);
	tn_series_add(&s, 0.7, 14, 140, 1);   /* forced and too close: replaces the last */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.p[1].docs, 14);
	for (i = 1; i <= 10000; i++)
		tn_series_add(&s, 0.7 + (double)i, 14 + i, 140 + 10 * i, 0);
	/* Bounded, in order, spread over the whole run, ending at its last point. */
	assert_true(s.n <= TN_SERIES_MAX && s.n >= TN_SERIES_MAX / 4);
	for (i = 1; i < s.n; i++) {
		assert_true(s.p[i].seconds > s.p[i - 1].seconds);
		assert_true(s.p[i].docs > s.p[i - 1].docs);
	}
	assert_true(s.p[0].seconds == 0);
	assert_true(s.p[s.n - 1].seconds >= 10000.7 - s.spacing);
	assert_true(s.p[s.n / 2].seconds > 3000 && s.p[s.n / 2].seconds < 7000);
	/* Through JSON and on from the last point's time, as a resume does. */
	j = tn_series_json(&s);
	assert_non_null(j);
	assert_int_equal(tn_series_from_json(&back, j), 0);
	assert_int_equal(back.n, s.n);
	assert_true(back.offset == s.p[s.n - 1].seconds);
	tn_series_add(&back, 1e6, 99999, 999999, 1);
	assert_true(back.p[back.n - 1].seconds == s.p[s.n - 1].seconds + 1e6);
	json_array_set_new(json_object_get(j, "points"), 1, json_pack("[f, i, i]", -1.0, 1, 1));
	assert_int_equal(tn_series_from_json(&back, j), TN_EFORMAT);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_one_head_has_no_cross),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_refusals),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_series_thinning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
