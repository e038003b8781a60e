/*
 * test_atomic_file.c - tn_write_atomic and tn_fsync_dir (lib/atomic_file.h):
 * the content is whole under the final name, no temporary file is left, on
 * success or failure.  Everything happens in a fresh temp folder per test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/atomic_file.h"
#include "testutil.h"


static void test_write_atomic(void **state)
{
	struct tu_tmp_fx *f = *state;
	char *p = tu_path(f->dir, "manifest.json"), *got;
	size_t len;

	assert_int_equal(tn_write_atomic(p, "{\"a\": 1}\n", 9, &f->err), 0);
	got = tu_read_in(f->dir, "manifest.json", &len);
	assert_int_equal(len, 9);
	assert_string_equal(got, "{\"a\": 1}\n");
	free(got);
	assert_false(tu_exists(f->dir, "manifest.json.tmp"));

	/* Replacing: the new content, whole, and still no temporary file. */
	assert_int_equal(tn_write_atomic(p, "{\"b\": 22}", 9, &f->err), 0);
	got = tu_read_in(f->dir, "manifest.json", &len);
	assert_string_equal(got, "{\"b\": 22}");
	free(got);
	assert_int_equal(tu_count_entries(f->dir), 1);

	/* Empty content (as _SUCCESS is written). */
	assert_int_equal(tn_write_atomic(p, "", 0, &f->err), 0);
	got = tu_read_in(f->dir, "manifest.json", &len);
	assert_int_equal(len, 0);
	free(got);
	free(p);
}

/* A bare name is written in the current folder (the "." branch). */
static void test_write_atomic_bare_name(void **state)
{
	struct tu_tmp_fx *f = *state;
	char cwd[4096], *got;
	size_t len;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(tn_write_atomic("_SUCCESS", "ok", 2, &f->err), 0);
	assert_int_equal(chdir(cwd), 0);
	got = tu_read_in(f->dir, "_SUCCESS", &len);
	assert_string_equal(got, "ok");
	assert_false(tu_exists(f->dir, "_SUCCESS.tmp"));
	free(got);
}

static void test_write_atomic_fails(void **state)
{
	struct tu_tmp_fx *f = *state;
	char *p = tu_path(f->dir, "missing/manifest.json");

	memset(&f->err, 0, sizeof(f->err));
	assert_int_equal(tn_write_atomic(p, "x", 1, &f->err), TN_EIO);
	assert_non_null(strstr(f->err.msg, "missing/manifest.json.tmp"));
	assert_int_equal(tu_count_entries(f->dir), 0);
	free(p);

	/* The target is a folder: the rename fails, the temporary file goes. */
	p = tu_path(f->dir, "adir");
	assert_int_equal(mkdir(p, 0777), 0);
	{
		char *inside = tu_path(p, "x");
		FILE *o = fopen(inside, "w");

		assert_non_null(o);
		fclose(o);
		free(inside);
	}
	assert_int_equal(tn_write_atomic(p, "data", 4, &f->err), TN_EIO);
	assert_false(tu_exists(f->dir, "adir.tmp"));
	assert_true(tu_exists(f->dir, "adir/x"));
	free(p);
}

static void test_fsync_dir(void **state)
{
	struct tu_tmp_fx *f = *state;
	char *p = tu_path(f->dir, "nope");

	assert_int_equal(tn_fsync_dir(f->dir), 0);
	assert_int_equal(tn_fsync_dir(p), TN_EIO);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_atomic, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_bare_name, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_fails, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_fsync_dir, tu_tmp_setup, tu_tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
