/*
 * test_jsonscan.c - the JSONL fast path (lib/jsonscan.h) against cJSON: on
 * tricky lines, each with the answer the scanner must give (handled or left
 * to cJSON), and on seeded random mutations of lines, every line the scanner
 * handles must be one cJSON parses as classify requires (one object, only
 * spaces, tabs and CRs after it) with the same members: kind, decoded bytes,
 * first of repeated keys.  fuzz_record.c compares whole records of both paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "../../lib/jsonscan.h"
#include "testutil.h"

static const char *const names[] = { "id", "text", "topic", "n" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* 1 if cJSON takes the line as classify does: an object, then only " \t\r". */
static cJSON *cjson_object(const char *s, size_t n)
{
	const char *stop = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(s, n, &stop, 0);

	if (!root)
		return NULL;
	if ((stop && stop < s + n && stop[strspn(stop, " \t\r")] != '\0') || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/*
 * Scans s (NUL-terminated, no NUL inside) and, when the scanner handles it,
 * checks every member against cJSON.  Returns what the scanner returned.
 */
static int check_line_n(const char *s, size_t n)
{
	struct tn_jscan_field f[NNAMES];
	struct tn_buf scratch = TN_BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < NNAMES; i++)
		f[i].name = names[i];
	rc = tn_jscan_object(s, n, f, NNAMES, &scratch);
	if (rc == 1) {
		cJSON *root = cjson_object(s, n);

		if (!root)
			fail_msg("scanner took a line cJSON refuses: %.*s", (int)n, s);
		for (i = 0; i < NNAMES; i++) {
			cJSON *v = cJSON_GetObjectItemCaseSensitive(root, names[i]);

			switch (f[i].kind) {
			case TN_JSCAN_ABSENT:
				if (v)
					fail_msg("'%s' absent for the scanner, present for cJSON: %.*s", names[i], (int)n, s);
				break;
			case TN_JSCAN_STRING:
				if (!cJSON_IsString(v) || strlen(v->valuestring) != f[i].len ||
				    memcmp(v->valuestring, f[i].val, f[i].len))
					fail_msg("'%s' differs: %.*s", names[i], (int)n, s);
				break;
			case TN_JSCAN_NUMBER: {
				char num[64];

				assert_true(f[i].len < sizeof(num));
				memcpy(num, f[i].val, f[i].len);
				num[f[i].len] = '\0';
				if (!cJSON_IsNumber(v) || strtod(num, NULL) != v->valuedouble)
					fail_msg("'%s' number differs: %.*s", names[i], (int)n, s);
				break;
			}
			case TN_JSCAN_LITERAL:
				if (!cJSON_IsBool(v) && !cJSON_IsNull(v))
					fail_msg("'%s' literal differs: %.*s", names[i], (int)n, s);
				break;
			}
		}
		cJSON_Delete(root);
	} else {
		assert_int_equal(rc, 0);
	}
	tn_buf_release(&scratch);
	return rc;
}

static int check_line(const char *s)
{
	return check_line_n(s, strlen(s));
}

/* The decoded text of a handled line. */
static void expect_text(const char *line, const char *want)
{
	struct tn_jscan_field f[NNAMES];
	struct tn_buf scratch = TN_BUF_INIT;
	size_t i;

	for (i = 0; i < NNAMES; i++)
		f[i].name = names[i];
	assert_int_equal(tn_jscan_object(line, strlen(line), f, NNAMES, &scratch), 1);
	assert_int_equal(f[1].kind, TN_JSCAN_STRING);
	assert_int_equal(f[1].len, strlen(want));
	assert_memory_equal(f[1].val, want, f[1].len);
	tn_buf_release(&scratch);
}

static void test_handled(void **state)
{
	static const char *const lines[] = {
		"{\"id\": \"a\", \"text\": \"plain words\"}",
		" \t{\"text\":\"x\",\"id\":\"y\"}",
		"{\"text\": \"x\"} \t\r",
		"{}",
		"{ }",
		"{\"text\": \"\"}",
		"{\"text\": \"a\\nb\\t\\\"q\\\" \\\\ \\/ \\b\\f\\r\"}",
		"{\"text\": \"caf\\u00e9 \\u20AC \\ud83d\\ude00 \\u0041\"}",
		"{\"text\": \"first\", \"text\": \"second\", \"id\": 1, \"id\": \"s\"}",
		"{\"id\": 12, \"text\": \"x\", \"n\": -0.5e+10, \"m\": 0, \"z\": 1E5, \"w\": -0}",
		"{\"id\": true, \"text\": \"x\", \"topic\": null, \"n\": false}",
		"{\"text\": \"raw \xff\xfe bytes \xc3\"}",
		"{\"text\": \"tab\there\", \"topic\": \"economy\"}",
		"{\"text\": \"a\\\"b\", \"id\": \"c\\\\\"}",
		"{\"other\": \"\\u00e9\", \"text\": \"t\"}",
		"{\"id\": \"\\u00e9\\u00e9\", \"text\": \"\\\\\\\\\\\"\"}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (check_line(lines[i]) != 1)
			fail_msg("not handled: %s", lines[i]);
	expect_text("{\"text\": \"a\\nb\\u00e9\\ud83d\\ude00\"}", "a\nb\xc3\xa9\xf0\x9f\x98\x80");
	expect_text("{\"text\": \"first\", \"text\": \"second\"}", "first");
	expect_text("{\"text\": \"a\\\"b\\\"\"}", "a\"b\"");
}

static void test_left_to_cjson(void **state)
{
	static const char *const lines[] = {
		"",
		"[]",
		"\"text\"",
		"{\"text\": \"\\ud83d x\"}",            /* lone high surrogate */
		"{\"text\": \"\\ude00\"}",              /* lone low surrogate */
		"{\"text\": \"\\ud83d\\u0041\"}",       /* high, then not a low one */
		"{\"text\": \"a\\u0000b\"}",            /* a NUL */
		"{\"text\": \"\\u12g4\"}",
		"{\"text\": \"\\u12\"}",
		"{\"text\": \"\\x\"}",
		"{\"text\": \"a\", \"meta\": {\"x\": 1}}",
		"{\"text\": \"a\", \"tags\": [1, 2]}",
		"{\"n\": 01, \"text\": \"x\"}",
		"{\"n\": 1., \"text\": \"x\"}",
		"{\"n\": .5, \"text\": \"x\"}",
		"{\"n\": +1, \"text\": \"x\"}",
		"{\"n\": -, \"text\": \"x\"}",
		"{\"n\": 1e, \"text\": \"x\"}",
		"{\"n\": 123456789012345678901234567890123, \"text\": \"x\"}",
		"{\"n\": tru, \"text\": \"x\"}",
		"{\"n\": nulls, \"text\": \"x\"}",
		"{\"text\": \"x\"} x",
		"{\"text\": \"x\"}\n",
		"{\"text\": \"x\"}{}",
		"\xef\xbb\xbf{\"text\": \"x\"}",        /* a BOM: cJSON skips it */
		"\f{\"text\": \"x\"}",                  /* cJSON's whitespace, not JSON's */
		"{\"te\\u0078t\": \"x\"}",              /* an escape in a key */
		"{\"text\": \"x\",}",
		"{\"text\" \"x\"}",
		"{\"text\": \"x\"",
		"{\"text\": \"x",
		"{\"text\": \"x\\",
		"{text: \"x\"}",
		"{\"text\": 'x'}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (check_line(lines[i]) != 0)
			fail_msg("handled, should be left to cJSON: %s", lines[i]);
}

/* A line with a long text of many escapes: linear, and decoded right. */
static void test_many_escapes(void **state)
{
	size_t n = 200000, i;
	char *line = malloc(2 * n + 32), *want = malloc(n + 1);
	size_t l;

	(void)state;
	assert_non_null(line);
	assert_non_null(want);
	l = (size_t)sprintf(line, "{\"text\": \"");
	for (i = 0; i < n / 2; i++) {
		line[l++] = i % 3 ? 'a' : '\\';
		line[l++] = i % 3 ? 'b' : 'n';
		want[2 * i] = i % 3 ? 'a' : '\n';
		want[2 * i + 1] = i % 3 ? 'b' : '\0';
	}
	strcpy(line + l, "\"}");
	for (i = 0, l = 0; i < n; i++)
		if (want[i])
			want[l++] = want[i];
	want[l] = '\0';
	expect_text(line, want);
	free(line);
	free(want);
}

/* Seeded random mutations of handled lines: whatever the scanner takes, cJSON reads alike. */
static void test_random_mutations(void **state)
{
	static const char *const seeds[] = {
		"{\"id\": \"a\", \"text\": \"caf\\u00e9 \\ud83d\\ude00 x\\ny\", \"topic\": \"economy\", \"n\": -1.5e3}",
		"{\"text\": \"a\\\"b\\\\\", \"n\": true, \"id\": 7, \"text\": \"dup\"}",
		"{\"topic\": null, \"text\": \"\xc3\xa9\xff\", \"id\": \"\\u20ac\"}",
	};
	static const char alphabet[] = "\"\\{}[],:u0dD8eE.-+ \t\rtnfa1";
	uint64_t x = 0x54656e6f72ULL;
	size_t handled = 0, round;

	(void)state;
	for (round = 0; round < 200000; round++) {
		char line[256];
		size_t n, k, edits;

		strcpy(line, seeds[round % 3]);
		n = strlen(line);
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		edits = 1 + (x >> 60) % 3;
		for (k = 0; k < edits && n > 0; k++) {
			size_t at;
			char c;

			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			at = (size_t)(x >> 33) % n;
			c = alphabet[(x >> 20) % (sizeof(alphabet) - 1)];
			switch ((x >> 12) % 3) {
			case 0:    /* replace */
				line[at] = c;
				break;
			case 1:    /* insert */
				if (n + 1 < sizeof(line)) {
					memmove(line + at + 1, line + at, n - at + 1);
					line[at] = c;
					n++;
				}
				break;
			default:   /* delete */
				memmove(line + at, line + at + 1, n - at);
				n--;
				break;
			}
		}
		handled += check_line_n(line, n) == 1;
	}
	/* Many mutations keep the line valid (a space, a digit): the comparison ran. */
	assert_true(handled > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handled),
		cmocka_unit_test(test_left_to_cjson),
		cmocka_unit_test(test_many_escapes),
		cmocka_unit_test(test_random_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
