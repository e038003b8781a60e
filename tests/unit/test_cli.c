/*
 * test_cli.c - the programs' shared helpers (lib/cli.h: -j, the clock) and the
 * buffer of lib/buf.h: ptr a C string from TN_BUF_INIT on, one growable-array
 * helper.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../lib/buf.h"
#include "../../lib/cli.h"
#include "../../lib/err.h"
#include "testutil.h"

static void test_parse_threads(void **state)
{
	struct tn_err err;
	long n = 5;

	(void)state;
	assert_int_equal(tn_cli_parse_threads("8", &n, &err), 0);
	assert_int_equal(n, 8);
	assert_int_equal(tn_cli_parse_threads("0", &n, &err), TN_EINVAL);
	assert_string_equal(err.msg, "--threads takes 1..1024, not '0'");
	assert_int_equal(tn_cli_parse_threads("1025", &n, &err), TN_EINVAL);
	assert_int_equal(n, 8);
}

static void test_now_is_monotonic(void **state)
{
	double a = tn_now(), b = tn_now();

	(void)state;
	assert_true(a > 0 && b >= a);
}

static void test_buf_ptr_never_null(void **state)
{
	struct tn_buf b = TN_BUF_INIT, c;
	char *p;
	size_t n = 9;

	(void)state;
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	tn_buf_reset(&b);
	assert_string_equal(b.ptr, "");
	tn_buf_release(&b);
	assert_non_null(b.ptr);
	tn_buf_init(&c);
	assert_string_equal(c.ptr, "");
	/* An empty buffer detaches to a fresh "" the caller frees. */
	p = tn_buf_detach(&c, &n);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(n, 0);
	free(p);
	assert_int_equal(tn_buf_addstr(&b, "abc"), 0);
	assert_string_equal(b.ptr, "abc");
	tn_buf_release(&b);
	assert_string_equal(b.ptr, "");
}

static void test_array_grow(void **state)
{
	uint32_t *a = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(tn_array_grow(&a, &cap, 3, sizeof(*a), 4), 0);
	assert_int_equal(cap, 4);
	for (i = 0; i < 4; i++)
		a[i] = (uint32_t)i;
	assert_int_equal(tn_array_grow(&a, &cap, 9, sizeof(*a), 4), 0);
	assert_int_equal(cap, 16);
	for (i = 0; i < 4; i++)
		assert_int_equal(a[i], i);
	assert_int_equal(tn_array_grow(&a, &cap, 16, sizeof(*a), 4), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(tn_array_grow(&a, &cap, (size_t)-1 / 2, sizeof(*a), 4), TN_ENOMEM);
	assert_int_equal(cap, 16);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_threads),
		cmocka_unit_test(test_now_is_monotonic),
		cmocka_unit_test(test_buf_ptr_never_null),
		cmocka_unit_test(test_array_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
