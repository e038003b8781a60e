/*
 * test_progress.c - lib/progress.h: which mode the options and stderr give,
 * interval parsing, when a plain line is due, durations and the ETA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/progress.h"

static void test_mode_pick(void **state)
{
	(void)state;
	assert_int_equal(tn_progress_mode_pick(-1, 0, 1), TN_PROGRESS_TERMINAL);
	assert_int_equal(tn_progress_mode_pick(-1, 0, 0), TN_PROGRESS_LINES);
	assert_int_equal(tn_progress_mode_pick(-1, 1, 1), TN_PROGRESS_OFF);
	assert_int_equal(tn_progress_mode_pick(0, 0, 1), TN_PROGRESS_OFF);
	/* --progress wins over -q, and follows what stderr is. */
	assert_int_equal(tn_progress_mode_pick(1, 1, 0), TN_PROGRESS_LINES);
	assert_int_equal(tn_progress_mode_pick(1, 1, 1), TN_PROGRESS_TERMINAL);
}

static void test_parse_interval(void **state)
{
	double s = -1;

	(void)state;
	assert_int_equal(tn_progress_parse_interval("30", &s), 0);
	assert_true(s == 30.0);
	assert_int_equal(tn_progress_parse_interval("0.25", &s), 0);
	assert_true(s == 0.25);
	assert_int_equal(tn_progress_parse_interval("86400", &s), 0);
	assert_int_equal(tn_progress_parse_interval("0", &s), -1);
	assert_int_equal(tn_progress_parse_interval("-1", &s), -1);
	assert_int_equal(tn_progress_parse_interval("86401", &s), -1);
	assert_int_equal(tn_progress_parse_interval("5s", &s), -1);
	assert_int_equal(tn_progress_parse_interval("", &s), -1);
	assert_int_equal(tn_progress_parse_interval("nan", &s), -1);
	assert_int_equal(tn_progress_parse_interval("inf", &s), -1);
	assert_true(s == 86400.0);
}

static void test_due(void **state)
{
	struct tn_progress_clock c;

	(void)state;
	tn_progress_clock_init(&c, TN_PROGRESS_LINES, 30, 100);
	assert_false(tn_progress_due(&c, 100));
	assert_false(tn_progress_due(&c, 129.9));
	assert_true(tn_progress_due(&c, 130));
	/* The interval restarts at the line just due. */
	assert_false(tn_progress_due(&c, 131));
	assert_false(tn_progress_due(&c, 159.5));
	assert_true(tn_progress_due(&c, 160.5));
	/* On a terminal: ten times a second at most, whatever the interval. */
	tn_progress_clock_init(&c, TN_PROGRESS_TERMINAL, 30, 100);
	assert_false(tn_progress_due(&c, 100.05));
	assert_true(tn_progress_due(&c, 100.11));
	assert_false(tn_progress_due(&c, 100.16));
	assert_true(tn_progress_due(&c, 100.25));
	tn_progress_clock_init(&c, TN_PROGRESS_OFF, 30, 100);
	assert_false(tn_progress_due(&c, 1000));
}

static void test_hms_eta(void **state)
{
	char b[64];

	(void)state;
	tn_progress_hms(b, sizeof(b), 0);
	assert_string_equal(b, "0:00:00");
	tn_progress_hms(b, sizeof(b), 3725.4);
	assert_string_equal(b, "1:02:05");
	tn_progress_hms(b, sizeof(b), 59.6);
	assert_string_equal(b, "0:01:00");
	/* A quarter done in 10 s: 30 s left. */
	tn_progress_eta(b, sizeof(b), 10, 25, 100);
	assert_string_equal(b, ", ETA 0:00:30");
	tn_progress_eta(b, sizeof(b), 10, 0, 100);
	assert_string_equal(b, "");
	tn_progress_eta(b, sizeof(b), 10, 100, 100);
	assert_string_equal(b, "");
	tn_progress_eta(b, sizeof(b), 10, 5, 0);
	assert_string_equal(b, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_pick),
		cmocka_unit_test(test_parse_interval),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_hms_eta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
