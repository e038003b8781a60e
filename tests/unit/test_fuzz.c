/*
 * test_fuzz.c - replays the fuzz harnesses' seed corpora and saved crashes
 * (tests/fuzz/corpus/NAME/, tests/fuzz/regress/NAME/) without libFuzzer, so
 * that every input that once crashed stays a test in make test and make asan
 * (where AddressSanitizer checks each replay).  A harness aborts on a broken
 * property; a replay that returns passes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>

#define LLVMFuzzerTestOneInput fuzz_corpus_one
#include "../fuzz/fuzz_corpus.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_input_one
#include "../fuzz/fuzz_input.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_record_one
#include "../fuzz/fuzz_record.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_bundle_one
#include "../fuzz/fuzz_bundle.c"
#undef LLVMFuzzerTestOneInput

#include "testutil.h"

/* Runs fn on every file of tests/fuzz/KIND/name; returns how many. */
static size_t replay_dir(const char *kind, const char *name, int (*fn)(const uint8_t *, size_t))
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/../fuzz/%s/%s", tu_data_dir(), kind, name);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *p, *data;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		p = tu_path(dir, e->d_name);
		data = tu_read(p, &len);
		print_message("# replay %s/%s\n", name, e->d_name);
		assert_int_equal(fn((const uint8_t *)data, len), 0);
		free(data);
		free(p);
		n++;
	}
	closedir(d);
	return n;
}

static void replay(const char *name, int (*fn)(const uint8_t *, size_t))
{
	/* The seeds must be there; saved crashes may not be yet. */
	assert_true(replay_dir("corpus", name, fn) >= 5);
	replay_dir("regress", name, fn);
}

static void test_replay_corpus(void **state)
{
	(void)state;
	replay("corpus", fuzz_corpus_one);
}

static void test_replay_input(void **state)
{
	(void)state;
	replay("input", fuzz_input_one);
}

static void test_replay_record(void **state)
{
	(void)state;
	replay("record", fuzz_record_one);
}

static void test_replay_bundle(void **state)
{
	(void)state;
	replay("bundle", fuzz_bundle_one);
}

/* The record harness checks what it should: an error record is one. */
static void test_record_properties(void **state)
{
	static const char good[] = "{\"id\":\"x\",\"text\":\"trade\"}", bad[] = "{\"id\":\"x\"";
	const char *rec;
	size_t rlen;

	(void)state;
	record_setup();
	assert_int_equal(tn_record_ctx_process(record_ctx[0], good, strlen(good), 0, "f:1", &rec, &rlen), 0);
	assert_true(tu_has(rec, "{\"id\": \"x\", \"topic\": "));
	assert_int_equal(tn_record_ctx_process(record_ctx[0], bad, strlen(bad), 0, "f:1", &rec, &rlen), 1);
	assert_true(tu_has(rec, "{\"id\": \"f:1\", \"error\": \"invalid JSON"));
}

static int teardown_all(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < 2; k++)
		tn_record_ctx_free(record_ctx[k]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_corpus),
		cmocka_unit_test(test_replay_input),
		cmocka_unit_test(test_replay_record),
		cmocka_unit_test(test_replay_bundle),
		cmocka_unit_test(test_record_properties),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
