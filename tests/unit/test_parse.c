/*
 * test_parse.c - strict option-argument parsing (lib/parse.h): whole string or
 * nothing, ranges checked, overflow refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "../../lib/err.h"
#include "../../lib/parse.h"
#include "testutil.h"

static void test_long(void **state)
{
	long v = 77;

	(void)state;
	assert_int_equal(tn_parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(tn_parse_long("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(tn_parse_long("0", 0, 0, &v), 0);
	assert_int_equal(tn_parse_long("100", 0, 100, &v), 0);
	assert_int_equal(v, 100);

	v = 77;
	assert_int_equal(tn_parse_long("101", 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("-1", 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("", 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long(NULL, 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("12abc", 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("1.5", 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("5 ", 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("abc", 0, 100, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_long("-99999999999999999999999", LONG_MIN, LONG_MAX, &v), TN_EINVAL);
	assert_int_equal(v, 77);   /* untouched on failure */
}

static void test_double(void **state)
{
	double v = 7;

	(void)state;
	assert_int_equal(tn_parse_double("0.5", 0, 1, &v), 0);
	assert_float_equal(v, 0.5, 0);
	assert_int_equal(tn_parse_double("1e-3", 1e-9, 1, &v), 0);
	assert_float_equal(v, 0.001, 1e-18);
	assert_int_equal(tn_parse_double("3", 0, 10, &v), 0);
	assert_float_equal(v, 3, 0);

	v = 7;
	assert_int_equal(tn_parse_double("0", 1e-9, 1, &v), TN_EINVAL);
	assert_int_equal(tn_parse_double("2", 0, 1, &v), TN_EINVAL);
	assert_int_equal(tn_parse_double("", 0, 1, &v), TN_EINVAL);
	assert_int_equal(tn_parse_double(NULL, 0, 1, &v), TN_EINVAL);
	assert_int_equal(tn_parse_double("0.5x", 0, 1, &v), TN_EINVAL);
	assert_int_equal(tn_parse_double("nan", -1e9, 1e9, &v), TN_EINVAL);
	assert_int_equal(tn_parse_double("inf", -1e9, 1e300, &v), TN_EINVAL);
	assert_int_equal(tn_parse_double("1e400", 0, 1e308, &v), TN_EINVAL);
	assert_float_equal(v, 7, 0);
}

static void test_range(void **state)
{
	long a = 0, b = 0;

	(void)state;
	assert_int_equal(tn_parse_range("1-3", 1, 5, &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 3);
	assert_int_equal(tn_parse_range("4", 1, 5, &a, &b), 0);
	assert_int_equal(a, 4);
	assert_int_equal(b, 4);
	assert_int_equal(tn_parse_range("2-2", 1, 5, &a, &b), 0);
	assert_int_equal(tn_parse_range("1-5", 1, 5, &a, &b), 0);

	assert_int_equal(tn_parse_range("3-2", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("0-2", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("1-6", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("6", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("1-", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("-2", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("1-2-3", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("a-b", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("", 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range(NULL, 1, 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_range("1111111111111111111111111111111111111-2", 1, 5, &a, &b), TN_EINVAL);
}

static void test_part(void **state)
{
	long i = 0, n = 0;

	(void)state;
	assert_int_equal(tn_parse_part("1/4", &i, &n), 0);
	assert_int_equal(i, 1);
	assert_int_equal(n, 4);
	assert_int_equal(tn_parse_part("4/4", &i, &n), 0);
	assert_int_equal(i, 4);
	assert_int_equal(tn_parse_part("1/1", &i, &n), 0);

	assert_int_equal(tn_parse_part("5/4", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("0/4", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("1/0", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("-1/4", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("1/", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("/4", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("1", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("1/4x", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part("1/2/3", &i, &n), TN_EINVAL);
	assert_int_equal(tn_parse_part(NULL, &i, &n), TN_EINVAL);
}

static void test_size(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(tn_parse_size("0", 100, &v), 0);
	assert_true(v == 0);
	assert_int_equal(tn_parse_size("512", UINT64_MAX, &v), 0);
	assert_true(v == 512);
	assert_int_equal(tn_parse_size("4K", UINT64_MAX, &v), 0);
	assert_true(v == 4096);
	assert_int_equal(tn_parse_size("4k", UINT64_MAX, &v), 0);
	assert_true(v == 4096);
	assert_int_equal(tn_parse_size("16M", UINT64_MAX, &v), 0);
	assert_true(v == 16u << 20);
	assert_int_equal(tn_parse_size("2G", UINT64_MAX, &v), 0);
	assert_true(v == 2ULL << 30);
	assert_int_equal(tn_parse_size("3MB", UINT64_MAX, &v), 0);
	assert_true(v == 3u << 20);
	assert_int_equal(tn_parse_size("3MiB", UINT64_MAX, &v), 0);
	assert_true(v == 3u << 20);
	assert_int_equal(tn_parse_size("1K", 1024, &v), 0);

	v = 99;
	assert_int_equal(tn_parse_size("1025", 1024, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("2K", 1024, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("", 1024, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size(NULL, 1024, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("-1", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size(" -1", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("K", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("1.5M", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("1T", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("1KX", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("1MiBs", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("1Mb", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("99999999999999999999", UINT64_MAX, &v), TN_EINVAL);
	assert_int_equal(tn_parse_size("17179869184G", UINT64_MAX, &v), TN_EINVAL);   /* 2^64 bytes */
	assert_true(v == 99);
}

static void test_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(tn_parse_u64("0", 0, &v), 0);
	assert_true(v == 0);
	assert_int_equal(tn_parse_u64("0x54656e6f72", 0, &v), 0);
	assert_true(v == 0x54656e6f72ULL);
	assert_int_equal(tn_parse_u64("18446744073709551615", 10, &v), 0);
	assert_true(v == UINT64_MAX);

	v = 99;
	assert_int_equal(tn_parse_u64("-1", 0, &v), TN_EINVAL);
	assert_int_equal(tn_parse_u64(" -1", 0, &v), TN_EINVAL);   /* strtoull alone gives 2^64 - 1 */
	assert_int_equal(tn_parse_u64(" 5", 0, &v), TN_EINVAL);
	assert_int_equal(tn_parse_u64("+5", 0, &v), TN_EINVAL);
	assert_int_equal(tn_parse_u64("5x", 0, &v), TN_EINVAL);
	assert_int_equal(tn_parse_u64("", 0, &v), TN_EINVAL);
	assert_int_equal(tn_parse_u64(NULL, 0, &v), TN_EINVAL);
	assert_int_equal(tn_parse_u64("18446744073709551616", 10, &v), TN_EINVAL);
	assert_true(v == 99);
}

static void test_ngrams(void **state)
{
	long a = 0, b = 0;

	(void)state;
	/* N alone means 1-N, for word and character n-grams alike. */
	assert_int_equal(tn_parse_ngrams("3", 5, &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 3);
	assert_int_equal(tn_parse_ngrams("3-5", 8, &a, &b), 0);
	assert_int_equal(a, 3);
	assert_int_equal(b, 5);
	assert_int_equal(tn_parse_ngrams("1", 5, &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);

	assert_int_equal(tn_parse_ngrams("6", 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_ngrams("0", 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_ngrams("0-2", 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_ngrams("-3", 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_ngrams("3-", 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_ngrams("", 5, &a, &b), TN_EINVAL);
	assert_int_equal(tn_parse_ngrams(NULL, 5, &a, &b), TN_EINVAL);
}

static void test_enum(void **state)
{
	static const char *const names[] = { "linear", "libsvm", "liblinear", NULL };
	int v = 7;

	(void)state;
	assert_int_equal(tn_parse_enum("linear", names, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(tn_parse_enum("liblinear", names, &v), 0);
	assert_int_equal(v, 2);

	v = 7;
	assert_int_equal(tn_parse_enum("Linear", names, &v), TN_EINVAL);
	assert_int_equal(tn_parse_enum("lin", names, &v), TN_EINVAL);
	assert_int_equal(tn_parse_enum("", names, &v), TN_EINVAL);
	assert_int_equal(tn_parse_enum(NULL, names, &v), TN_EINVAL);
	assert_int_equal(v, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_part),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_ngrams),
		cmocka_unit_test(test_enum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
