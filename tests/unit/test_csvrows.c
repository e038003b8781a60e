/*
 * test_csvrows.c - lib/csvrows.h: rows from lines with libcsv (quoted commas,
 * line breaks and doubled quotes, spaces kept, blank lines, the line each row
 * starts on), the header, rows as JSON, and malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../lib/csvrows.h"

static void feed(struct tn_csv *c, const char *const *lines, size_t n)
{
	struct tn_err e;
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(tn_csv_feed_line(c, lines[i], strlen(lines[i]), i + 1, &e), 0);
}

static void test_rows(void **state)
{
	static const char *const lines[] = {
		"id,text,topic",
		"a1,\"peace, at last\",diplomacy",
		"",
		"   ",
		"a2,\"two",
		"lines, \"\"quoted\"\"\", economy ",
		"a3,,x",
	};
	struct tn_csv *c;
	struct tn_csv_row row;
	struct tn_buf json = TN_BUF_INIT;
	struct tn_err e;

	(void)state;
	assert_int_equal(tn_csv_create(&c), 0);
	feed(c, lines, sizeof(lines) / sizeof(*lines));
	assert_int_equal(tn_csv_finish(c, &e), 0);

	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(row.line, 1);
	assert_int_equal(tn_csv_set_header(c, &row, &e), 0);
	assert_int_equal(tn_csv_column(c, "text"), 1);
	assert_int_equal(tn_csv_column(c, "nope"), -1);

	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(row.line, 2);
	assert_int_equal(row.nfields, 3);
	assert_string_equal(row.field[1], "peace, at last");
	assert_int_equal(tn_csv_row_json(c, &row, &json, &e), 0);
	assert_string_equal(json.ptr, "{\"id\": \"a1\", \"text\": \"peace, at last\", \"topic\": \"diplomacy\"}");

	/* Blank lines hold no row; a quoted line break joins two lines; spaces are kept. */
	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(row.line, 5);
	assert_string_equal(row.field[1], "two\nlines, \"quoted\"");
	assert_string_equal(row.field[2], " economy ");

	/* An empty cell is an absent field. */
	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(row.line, 7);
	assert_int_equal(tn_csv_row_json(c, &row, &json, &e), 0);
	assert_string_equal(json.ptr, "{\"id\": \"a3\", \"topic\": \"x\"}");
	assert_int_equal(tn_csv_next_row(c, &row), 0);
	tn_buf_release(&json);
	tn_csv_free(c);
}

static void test_bad(void **state)
{
	static const char *const lines[] = { "a,b", "1,2,3", "x,\"y\"z" };
	struct tn_csv *c;
	struct tn_csv_row row;
	struct tn_buf json = TN_BUF_INIT;
	struct tn_err e;

	(void)state;
	assert_int_equal(tn_csv_create(&c), 0);
	feed(c, lines, 2);
	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(tn_csv_set_header(c, &row, &e), 0);
	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(tn_csv_row_json(c, &row, &json, &e), TN_EFORMAT);
	assert_string_equal(e.msg, "row has 3 fields, the header 2");
	/* Something after a closing quote: malformed, and nothing more is taken. */
	assert_int_equal(tn_csv_feed_line(c, lines[2], strlen(lines[2]), 3, &e), TN_EFORMAT);
	assert_non_null(strstr(e.msg, "malformed CSV at line 3"));
	assert_int_equal(tn_csv_feed_line(c, "1,2", 3, 4, &e), TN_EFORMAT);
	tn_buf_release(&json);
	tn_csv_free(c);

	/* A quoted field never closed. */
	assert_int_equal(tn_csv_create(&c), 0);
	assert_int_equal(tn_csv_feed_line(c, "a,b", 3, 1, &e), 0);
	assert_int_equal(tn_csv_feed_line(c, "1,\"open", 7, 2, &e), 0);
	assert_int_equal(tn_csv_feed_line(c, "still open", 10, 3, &e), 0);
	assert_int_equal(tn_csv_finish(c, &e), TN_EFORMAT);
	assert_string_equal(e.msg, "malformed CSV: the quoted field opened at line 2 is never closed");
	tn_csv_free(c);

	/* Headers: a name twice, an empty name. */
	assert_int_equal(tn_csv_create(&c), 0);
	assert_int_equal(tn_csv_feed_line(c, "a,b,a", 5, 1, &e), 0);
	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(tn_csv_set_header(c, &row, &e), TN_EFORMAT);
	assert_string_equal(e.msg, "its header (line 1) names column 'a' twice");
	assert_int_equal(tn_csv_feed_line(c, "a,,b", 4, 2, &e), 0);
	assert_int_equal(tn_csv_next_row(c, &row), 1);
	assert_int_equal(tn_csv_set_header(c, &row, &e), TN_EFORMAT);
	assert_string_equal(e.msg, "its header (line 2) has an empty column name (column 2)");
	tn_csv_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
