/*
 * test_cli.c - the programs' shared helpers (lib/cli.h: -j, the clock, option
 * errors with the nearest option, where -m finds a model) and the
 * buffer of lib/buf.h: ptr a C string from TN_BUF_INIT on, one growable-array
 * helper.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static void test_nearest(void **state)
{
	static const char *const names[] = { "model", "output", "resume", "report", "quiet", "threads" };
	const size_t n = sizeof(names) / sizeof(names[0]);

	(void)state;
	assert_string_equal(tn_cli_nearest("modle", 5, names, n), "model");      /* a swap */
	assert_string_equal(tn_cli_nearest("modell", 6, names, n), "model");     /* an insertion */
	assert_string_equal(tn_cli_nearest("outptu", 6, names, n), "output");
	assert_string_equal(tn_cli_nearest("thread", 6, names, n), "threads");
	assert_string_equal(tn_cli_nearest("reume", 5, names, n), "resume");     /* resume before report */
	/* Only what was typed counts: "model=x" would be cut by the caller. */
	assert_string_equal(tn_cli_nearest("modle=x", 5, names, n), "model");
	assert_null(tn_cli_nearest("frobnicate", 10, names, n));
	assert_null(tn_cli_nearest("mdl", 3, names, n));                         /* 2 edits of 3 letters */
	assert_null(tn_cli_nearest("x", 1, names, n));
	assert_null(tn_cli_nearest("model", 5, names, 0));
}

/* Runs getopt_long on args (after "prog") to its first refusal; the message. */
static const char *refusal(struct tn_err *err, const char *a1, const char *a2)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "resume", no_argument, NULL, 256 },
		{ "report", required_argument, NULL, 257 },
		{ NULL, 0, NULL, 0 }
	};
	char p[] = "prog", x[64], y[64];
	char *argv[] = { p, x, y, NULL };
	int argc = a2 ? 3 : 2, c;

	snprintf(x, sizeof(x), "%s", a1);
	snprintf(y, sizeof(y), "%s", a2 ? a2 : "");
	optind = 0;   /* glibc: start over */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:q", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			assert_int_equal(tn_cli_getopt_error(c, argv, optind, optopt, longopts, err), TN_EINVAL);
			return err->msg;
		}
	}
	return "(accepted)";
}

static void test_getopt_error(void **state)
{
	struct tn_err err;

	(void)state;
	assert_string_equal(refusal(&err, "--modle", "x"), "unknown option '--modle'; did you mean --model?");
	assert_string_equal(refusal(&err, "--modle=x", NULL), "unknown option '--modle'; did you mean --model?");
	assert_string_equal(refusal(&err, "--frobnicate", NULL), "unknown option '--frobnicate'");
	assert_string_equal(refusal(&err, "-z", NULL), "unknown option '-z'");
	assert_string_equal(refusal(&err, "-qz", NULL), "unknown option '-z'");
	assert_string_equal(refusal(&err, "--model", NULL), "option '--model' needs an argument");
	assert_string_equal(refusal(&err, "-q", "-m"), "option '-m' needs an argument");
	assert_string_equal(refusal(&err, "--quiet=1", NULL), "option '--quiet' takes no argument");
	assert_string_equal(refusal(&err, "--re", NULL), "option '--re' is ambiguous: --resume, --report");
	assert_string_equal(refusal(&err, "--res", "--mod=x"), "(accepted)");
}

static void test_find_model(void **state)
{
	struct tu_tmp_fx *fx = *state;
	char *a = tu_path(fx->dir, "a"), *an = tu_path(a, "tenor-test-news");
	char *inst = tu_path(fx->dir, "installed"), *in = tu_path(inst, "tenor-test-news");
	char *search, *path = NULL;
	size_t len = 2 * strlen(a) + 16;

	(void)state;
	search = malloc(len);
	assert_non_null(search);
	snprintf(search, len, "%s/none::%s", fx->dir, a);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(inst, 0755), 0);
	assert_int_equal(mkdir(in, 0755), 0);
	/* Not in $TENOR_MODELS yet: the installed one. */
	assert_int_equal(tn_cli_find_model("tenor-test-news", search, inst, &path, &fx->err), 0);
	assert_string_equal(path, in);
	free(path);
	/* $TENOR_MODELS before the installed models, in its order. */
	assert_int_equal(mkdir(an, 0755), 0);
	assert_int_equal(tn_cli_find_model("tenor-test-news", search, inst, &path, &fx->err), 0);
	assert_string_equal(path, an);
	free(path);
	/* A path that exists wins, and a path with a '/' is never searched for. */
	assert_int_equal(tn_cli_find_model(an, search, inst, &path, &fx->err), 0);
	assert_string_equal(path, an);
	free(path);
	assert_int_equal(tn_cli_find_model("no/such", search, inst, &path, &fx->err), 0);
	assert_string_equal(path, "no/such");
	free(path);
	/* Nowhere: every place looked at, and why the name itself was not it. */
	assert_int_equal(tn_cli_find_model("tenor-no-model", search, inst, &path, &fx->err), TN_EIO);
	assert_null(path);
	assert_non_null(strstr(fx->err.msg, "no model 'tenor-no-model': looked at 'tenor-no-model' (No such file or directory)"));
	assert_non_null(strstr(fx->err.msg, "/none/tenor-no-model' ($TENOR_MODELS)"));
	assert_non_null(strstr(fx->err.msg, "/a/tenor-no-model' ($TENOR_MODELS)"));
	assert_non_null(strstr(fx->err.msg, "/installed/tenor-no-model' (the installed models)"));
	/* No search list and no installed models: only the name. */
	assert_int_equal(tn_cli_find_model("tenor-no-model", NULL, NULL, &path, &fx->err), TN_EIO);
	assert_string_equal(fx->err.msg, "no model 'tenor-no-model': looked at 'tenor-no-model' (No such file or directory)");
	free(search);
	free(an);
	free(a);
	free(in);
	free(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_threads),
		cmocka_unit_test(test_now_is_monotonic),
		cmocka_unit_test(test_buf_ptr_never_null),
		cmocka_unit_test(test_array_grow),
		cmocka_unit_test(test_nearest),
		cmocka_unit_test(test_getopt_error),
		cmocka_unit_test_setup_teardown(test_find_model, tu_tmp_setup, tu_tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
