/*
 * test_shard.c - zstd output shards (lib/shard.h).
 *
 * A shard is written under its temporary name, then renamed; the tests check
 * the names on disk at each step, decompress the final file with the zstd
 * library and compare it with the records written, and recompute the XXH64
 * of the file that the manifest will carry.  Everything happens in a fresh
 * temp folder per test.
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
#include <xxhash.h>
#include <zstd.h>

#include "../../lib/buf.h"
#include "../../lib/runnames.h"
#include "../../lib/shard.h"
#include "testutil.h"

/* ---- helpers of these tests (the shared ones are in testutil.h) ---- */

/* Decompresses a whole zstd file image; returns the malloc'd content. */
static char *unzstd(const char *z, size_t zlen, size_t cap, size_t *len)
{
	char *out = malloc(cap + 1);
	size_t r;

	assert_non_null(out);
	r = ZSTD_decompress(out, cap + 1, z, zlen);
	if (ZSTD_isError(r)) {
		print_message("ZSTD_decompress: %s\n", ZSTD_getErrorName(r));
		fail();
	}
	*len = r;
	out[r] = '\0';
	return out;
}


/* ---- names ---- */

static void test_names(void **state)
{
	char b[64];

	(void)state;
	tn_shard_name(0, b, sizeof(b));
	assert_string_equal(b, "part-00000.jsonl.zst");
	tn_shard_name(42, b, sizeof(b));
	assert_string_equal(b, "part-00042.jsonl.zst");
	tn_shard_name(123456, b, sizeof(b));
	assert_string_equal(b, "part-123456.jsonl.zst");
	tn_shard_tmp_name(7, b, sizeof(b));
	assert_string_equal(b, ".part-00007.jsonl.zst.tmp");
	/* A short buffer is cut, never overrun. */
	memset(b, 'x', sizeof(b));
	tn_shard_name(3, b, 8);
	assert_string_equal(b, "part-00");
	assert_int_equal(b[8], 'x');
}

/* A part's names carry its number, padded so that a listing sorts parts in order; the parser takes exactly them. */
static void test_part_names(void **state)
{
	char b[TN_NAME_MAX];
	unsigned idx;
	long i;

	(void)state;
	tn_name_shard(2, 3, 7, b, sizeof(b));
	assert_string_equal(b, "part-00002-00007.jsonl.zst");
	tn_name_shard_tmp(2, 3, 7, b, sizeof(b));
	assert_string_equal(b, ".part-00002-00007.jsonl.zst.tmp");
	tn_name_manifest(2, 3, b, sizeof(b));
	assert_string_equal(b, "manifest-part-00002-of-00003.json");
	tn_name_lock(2, 3, b, sizeof(b));
	assert_string_equal(b, ".lock-part-00002");
	tn_name_manifest(1, 1, b, sizeof(b));
	assert_string_equal(b, "manifest.json");
	/* More parts than five digits hold: wider, the same width for every part. */
	tn_name_shard(7, 1000000, 0, b, sizeof(b));
	assert_string_equal(b, "part-0000007-00000.jsonl.zst");
	assert_int_equal(tn_name_parse("part-00002-00007.jsonl.zst", 3, &i, &idx), TN_NAME_SHARD);
	assert_true(i == 2 && idx == 7);
	assert_int_equal(tn_name_parse("manifest-part-00003-of-00003.json", 3, &i, &idx), TN_NAME_MANIFEST);
	assert_int_equal(i, 3);
	assert_int_equal(tn_name_parse("manifest-part-00003-of-00003.json.tmp", 3, &i, &idx), TN_NAME_TEMP);
	assert_int_equal(tn_name_parse(".lock-part-00001", 3, &i, &idx), TN_NAME_LOCK);
	/* Part 4 of 3, another N, a single run's names, near misses: not this run's. */
	assert_int_equal(tn_name_parse("part-00004-00000.jsonl.zst", 3, &i, &idx), TN_NAME_OTHER);
	assert_int_equal(tn_name_parse("manifest-part-00001-of-00004.json", 3, &i, &idx), TN_NAME_OTHER);
	assert_int_equal(tn_name_parse("part-00000.jsonl.zst", 3, &i, &idx), TN_NAME_OTHER);
	assert_int_equal(tn_name_parse("part-2-00007.jsonl.zst", 3, &i, &idx), TN_NAME_OTHER);
	assert_int_equal(tn_name_parse("part-00002-00007.jsonl.zst.bak", 3, &i, &idx), TN_NAME_OTHER);
	assert_int_equal(tn_name_parse("part-00002-00007.jsonl.zst", 1, &i, &idx), TN_NAME_OTHER);
	assert_int_equal(tn_name_parse("part-00007.jsonl.zst", 1, &i, &idx), TN_NAME_SHARD);
	assert_int_equal(tn_name_parse("_SUCCESS", 1, &i, &idx), TN_NAME_SUCCESS);
	assert_int_equal(tn_name_manifest_parts("manifest-part-00001-of-00004.json"), 4);
	assert_int_equal(tn_name_manifest_parts("manifest-part-00005-of-00004.json"), 0);
	assert_int_equal(tn_name_manifest_parts("manifest-part-1-of-4.json"), 0);
}

/* ---- the lifecycle of one shard ---- */

static void test_write_close(void **state)
{
	struct tu_tmp_fx *f = *state;
	static const char *const rec[] = {
		"{\"id\": \"a\", \"topic\": \"economy\", \"topic_score\": 0.9100}\n",
		"{\"id\": \"b\", \"error\": \"invalid UTF-8 at byte 3\"}\n",
		"{\"id\": \"caf\xc3\xa9\", \"topic\": \"security\", \"topic_score\": 0.5000}\n",
	};
	struct tn_shard *s = NULL;
	struct tn_shard_info info;
	struct tn_buf want = TN_BUF_INIT;
	char *z, *raw, hex[17];
	size_t zlen, rawlen, i;

	memset(&info, 0, sizeof(info));
	assert_int_equal(tn_shard_open(&s, f->dir, 3, 3, &f->err), 0);
	assert_non_null(s);
	/* While open, only the temporary name exists. */
	assert_true(tu_exists(f->dir, ".part-00003.jsonl.zst.tmp"));
	assert_false(tu_exists(f->dir, "part-00003.jsonl.zst"));
	assert_int_equal(tn_shard_docs(s), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(tn_shard_write(s, rec[i], strlen(rec[i]), &f->err), 0);
		assert_int_equal(tn_buf_addstr(&want, rec[i]), 0);
		assert_int_equal(tn_shard_docs(s), i + 1);
	}
	assert_true(tu_exists(f->dir, ".part-00003.jsonl.zst.tmp"));
	assert_false(tu_exists(f->dir, "part-00003.jsonl.zst"));

	assert_int_equal(tn_shard_close(s, &info, &f->err), 0);
	/* After close, only the final name exists. */
	assert_false(tu_exists(f->dir, ".part-00003.jsonl.zst.tmp"));
	assert_true(tu_exists(f->dir, "part-00003.jsonl.zst"));
	assert_int_equal(tu_count_entries(f->dir), 1);

	assert_string_equal(info.name, "part-00003.jsonl.zst");
	assert_int_equal(info.docs, 3);
	assert_int_equal(info.raw_bytes, want.len);
	z = tu_read_in(f->dir, "part-00003.jsonl.zst", &zlen);
	assert_int_equal(info.bytes, zlen);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)XXH64(z, zlen, 0));
	assert_string_equal(info.xxh64, hex);

	/*
	 * One frame (magic 0xFD2FB528, little-endian) whose Frame_Header_Descriptor
	 * sets Content_Checksum_flag (bit 2): what zstd -t verifies.
	 */
	assert_true(zlen > 5);
	assert_memory_equal(z, "\x28\xb5\x2f\xfd", 4);
	assert_true(((unsigned char)z[4] >> 2) & 1);
	assert_int_equal(ZSTD_findFrameCompressedSize(z, zlen), zlen);

	raw = unzstd(z, zlen, want.len, &rawlen);
	assert_int_equal(rawlen, want.len);
	assert_memory_equal(raw, want.ptr, want.len);

	/* A flipped byte of the data is caught (by the checksum, if not before). */
	z[zlen - 6] ^= 0x55;
	{
		char *out = malloc(want.len + 1);

		assert_non_null(out);
		assert_true(ZSTD_isError(ZSTD_decompress(out, want.len + 1, z, zlen)));
		free(out);
	}
	free(z);
	free(raw);
	tn_buf_release(&want);
}

/* Many records: several zstd output blocks, the content still exact. */
static void test_large_shard(void **state)
{
	struct tu_tmp_fx *f = *state;
	struct tn_shard *s = NULL;
	struct tn_shard_info info;
	struct tn_buf want = TN_BUF_INIT, rec = TN_BUF_INIT;
	uint64_t x = 0x1234567;
	char *z, *raw, hex[17];
	size_t zlen, rawlen, i;

	assert_int_equal(tn_shard_open(&s, f->dir, 0, 1, &f->err), 0);
	for (i = 0; i < 100000; i++) {
		/* Pseudo-random digits keep the data from compressing to nothing. */
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		tn_buf_reset(&rec);
		assert_int_equal(tn_buf_addf(&rec, "{\"id\": \"doc-%zu\", \"topic_score\": 0.%016llu}\n", i,
					     (unsigned long long)(x >> 8) % 10000000000000000ULL), 0);
		assert_int_equal(tn_shard_write(s, rec.ptr, rec.len, &f->err), 0);
		assert_int_equal(tn_buf_add(&want, rec.ptr, rec.len), 0);
	}
	assert_int_equal(tn_shard_docs(s), 100000);
	assert_int_equal(tn_shard_close(s, &info, &f->err), 0);
	assert_int_equal(info.docs, 100000);
	assert_int_equal(info.raw_bytes, want.len);
	z = tu_read_in(f->dir, "part-00000.jsonl.zst", &zlen);
	assert_true(zlen > ZSTD_CStreamOutSize());  /* more than one output buffer */
	assert_int_equal(info.bytes, zlen);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)XXH64(z, zlen, 0));
	assert_string_equal(info.xxh64, hex);
	raw = unzstd(z, zlen, want.len, &rawlen);
	assert_int_equal(rawlen, want.len);
	assert_memory_equal(raw, want.ptr, want.len);
	free(z);
	free(raw);
	tn_buf_release(&want);
	tn_buf_release(&rec);
}

/* A shard closed without records is still a valid, empty zstd file. */
static void test_empty_shard(void **state)
{
	struct tu_tmp_fx *f = *state;
	struct tn_shard *s = NULL;
	struct tn_shard_info info;
	char *z, *raw;
	size_t zlen, rawlen;

	assert_int_equal(tn_shard_open(&s, f->dir, 1, 3, &f->err), 0);
	assert_int_equal(tn_shard_close(s, &info, &f->err), 0);
	assert_int_equal(info.docs, 0);
	assert_int_equal(info.raw_bytes, 0);
	z = tu_read_in(f->dir, "part-00001.jsonl.zst", &zlen);
	assert_true(zlen > 0);
	assert_int_equal(info.bytes, zlen);
	raw = unzstd(z, zlen, 16, &rawlen);
	assert_int_equal(rawlen, 0);
	free(z);
	free(raw);
}

/* The same records at the same level give the same bytes. */
static void test_deterministic(void **state)
{
	struct tu_tmp_fx *f = *state;
	struct tn_shard_info a, b;
	char *za, *zb;
	size_t la, lb;
	unsigned k;
	int i;

	for (k = 0; k < 2; k++) {
		struct tn_shard *s = NULL;

		assert_int_equal(tn_shard_open(&s, f->dir, k, 5, &f->err), 0);
		for (i = 0; i < 2000; i++) {
			char r[64];
			int n = snprintf(r, sizeof(r), "{\"id\": %d, \"tone\": \"neutral\"}\n", i);

			assert_int_equal(tn_shard_write(s, r, (size_t)n, &f->err), 0);
		}
		assert_int_equal(tn_shard_close(s, k ? &b : &a, &f->err), 0);
	}
	za = tu_read_in(f->dir, "part-00000.jsonl.zst", &la);
	zb = tu_read_in(f->dir, "part-00001.jsonl.zst", &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(za, zb, la);
	assert_string_equal(a.xxh64, b.xxh64);
	free(za);
	free(zb);
}

static void test_abort(void **state)
{
	struct tu_tmp_fx *f = *state;
	struct tn_shard *s = NULL;

	assert_int_equal(tn_shard_open(&s, f->dir, 9, 3, &f->err), 0);
	assert_int_equal(tn_shard_write(s, "{}\n", 3, &f->err), 0);
	assert_true(tu_exists(f->dir, ".part-00009.jsonl.zst.tmp"));
	tn_shard_abort(s);
	assert_false(tu_exists(f->dir, ".part-00009.jsonl.zst.tmp"));
	assert_false(tu_exists(f->dir, "part-00009.jsonl.zst"));
	assert_int_equal(tu_count_entries(f->dir), 0);
	tn_shard_abort(NULL);
}

/* Opening over a stale temporary file (a crashed run) truncates it. */
static void test_open_over_stale_tmp(void **state)
{
	struct tu_tmp_fx *f = *state;
	struct tn_shard *s = NULL;
	struct tn_shard_info info;
	char *p = tu_path(f->dir, ".part-00000.jsonl.zst.tmp"), *z, *raw;
	size_t zlen, rawlen;
	FILE *o = fopen(p, "w");

	assert_non_null(o);
	fputs("stale bytes of a crashed run, not zstd at all", o);
	fclose(o);
	assert_int_equal(tn_shard_open(&s, f->dir, 0, 3, &f->err), 0);
	assert_int_equal(tn_shard_write(s, "{\"id\": 1}\n", 10, &f->err), 0);
	assert_int_equal(tn_shard_close(s, &info, &f->err), 0);
	z = tu_read_in(f->dir, "part-00000.jsonl.zst", &zlen);
	raw = unzstd(z, zlen, 10, &rawlen);
	assert_int_equal(rawlen, 10);
	assert_memory_equal(raw, "{\"id\": 1}\n", 10);
	free(p);
	free(z);
	free(raw);
}

static void test_open_missing_dir(void **state)
{
	struct tu_tmp_fx *f = *state;
	struct tn_shard *s = (struct tn_shard *)&s;
	char *d = tu_path(f->dir, "no/such/folder");

	assert_int_equal(tn_shard_open(&s, d, 0, 3, &f->err), TN_EIO);
	assert_null(s);
	assert_non_null(strstr(f->err.msg, d));
	free(d);
}

/* When the rename fails, close reports it and leaves no temporary file. */
static void test_close_rename_fails(void **state)
{
	struct tu_tmp_fx *f = *state;
	struct tn_shard *s = NULL;
	struct tn_shard_info info;
	char *d = tu_path(f->dir, "part-00000.jsonl.zst"), *inside = tu_path(d, "keep");
	FILE *o;

	/* A non-empty folder under the final name: rename() cannot replace it. */
	assert_int_equal(mkdir(d, 0777), 0);
	o = fopen(inside, "w");
	assert_non_null(o);
	fclose(o);
	assert_int_equal(tn_shard_open(&s, f->dir, 0, 3, &f->err), 0);
	assert_int_equal(tn_shard_write(s, "{}\n", 3, &f->err), 0);
	assert_int_equal(tn_shard_close(s, &info, &f->err), TN_EIO);
	assert_non_null(strstr(f->err.msg, "rename"));
	assert_false(tu_exists(f->dir, ".part-00000.jsonl.zst.tmp"));
	assert_true(tu_exists(f->dir, "part-00000.jsonl.zst/keep"));
	free(d);
	free(inside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_part_names),
		cmocka_unit_test_setup_teardown(test_write_close, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_large_shard, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_empty_shard, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_abort, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_open_over_stale_tmp, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_dir, tu_tmp_setup, tu_tmp_teardown),
		cmocka_unit_test_setup_teardown(test_close_rename_fails, tu_tmp_setup, tu_tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
