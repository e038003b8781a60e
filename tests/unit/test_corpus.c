/*
 * test_corpus.c - labeled corpus readers (lib/corpus.h): JSONL, TSV, fastText,
 * format detection, compressed input, label discovery, and every error path.
 *
 * Fixtures: tests/data/mini.{jsonl,tsv,ft} hold the same 60 documents (heads
 * topic: food/sports/tech, tone: neg/pos, 3 documents without tone), and
 * mini.jsonl.{gz,zst} are mini.jsonl compressed.  Malformed inputs are written
 * to a temp folder by each test, so their bytes are visible here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>

#include "../../lib/corpus.h"
#include "testutil.h"

struct fx {
	char *tmp;               /* first: tu_fixture_new */
	struct tn_corpus c;
	struct tn_corpus_opts o;
	struct tn_err err;
};

static int setup(void **state)
{
	struct fx *f = tu_fixture_new(sizeof(*f));

	tn_corpus_init(&f->c);
	tn_corpus_opts_default(&f->o);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tn_corpus_release(&f->c);
	tu_fixture_free(f);
	return 0;
}

/* Loads one path into f->c (released first) with f->o; returns the code. */
static int load1(struct fx *f, const char *path)
{
	const char *paths[1] = { path };

	tn_corpus_release(&f->c);
	memset(&f->err, 0, sizeof(f->err));
	return tn_corpus_load(&f->c, paths, 1, &f->o, &f->err);
}

static int load_data(struct fx *f, const char *name)
{
	char *p = tu_data(name);
	int rc = load1(f, p);

	free(p);
	return rc;
}

/* Writes content (len bytes) to tmp/name and loads it. */
static int load_bytes(struct fx *f, const char *name, const char *content, size_t len)
{
	char *p = tu_path(f->tmp, name);
	int rc;

	tu_write(p, content, len);
	rc = load1(f, p);
	free(p);
	return rc;
}

static int load_str(struct fx *f, const char *name, const char *content)
{
	return load_bytes(f, name, content, strlen(content));
}

/* Asserts the last error names tmp/name and contains what. */
static void assert_err(struct fx *f, const char *name, const char *what)
{
	char *p = tu_path(f->tmp, name), want[1024];

	snprintf(want, sizeof(want), "read '%s'", p);
	assert_true(tu_has(f->err.msg, want));
	assert_true(tu_has(f->err.msg, what));
	free(p);
}

/* Asserts the last error quotes tmp/name (read and open errors alike). */
static void assert_err_names(struct fx *f, const char *name)
{
	char *p = tu_path(f->tmp, name), want[1024];

	snprintf(want, sizeof(want), "'%s'", p);
	assert_true(tu_has(f->err.msg, want));
	free(p);
}

static int head_of(const struct tn_corpus *c, const char *name)
{
	size_t h;

	for (h = 0; h < c->nheads; h++)
		if (!strcmp(c->heads[h].name, name))
			return (int)h;
	return -1;
}

static int32_t label(const struct tn_corpus *c, size_t doc, const char *head)
{
	int h = head_of(c, head);

	assert_true(h >= 0);
	assert_true(doc < c->ndocs);
	return c->label[doc * c->nheads + (size_t)h];
}

static const char *label_name(const struct tn_corpus *c, size_t doc, const char *head)
{
	int32_t l = label(c, doc, head);

	return l < 0 ? NULL : c->heads[head_of(c, head)].classes[l];
}

static void assert_classes(const struct tn_corpus *c, const char *head, ...)
{
	int h = head_of(c, head);
	const char *want;
	size_t k = 0;
	va_list ap;

	assert_true(h >= 0);
	va_start(ap, head);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_true(k < c->heads[h].nclass);
		assert_string_equal(c->heads[h].classes[k], want);
		k++;
	}
	va_end(ap);
	assert_int_equal(c->heads[h].nclass, k);
}

/* The 60 documents of the mini fixture, as loaded from any of its forms. */
static void check_mini(const struct tn_corpus *c)
{
	size_t d, counts[3] = { 0, 0, 0 }, tone[3] = { 0, 0, 0 };
	uint64_t bytes = 0;

	assert_int_equal(c->ndocs, 60);
	assert_int_equal(c->nheads, 2);
	assert_string_equal(c->heads[0].name, "topic");
	assert_string_equal(c->heads[1].name, "tone");
	assert_classes(c, "topic", "food", "sports", "tech", NULL);
	assert_classes(c, "tone", "neg", "pos", NULL);
	assert_string_equal(c->text[0], "The home team won the match with a late goal and the fans were delighted");
	assert_string_equal(label_name(c, 0, "topic"), "sports");
	assert_string_equal(label_name(c, 0, "tone"), "pos");
	assert_string_equal(c->text[19], "The league table after round 12:\nthe team is third");
	assert_int_equal(label(c, 19, "tone"), -1);
	assert_string_equal(c->text[39],
			    "The company will present its software roadmap at the developer conference; path C:\\tools\\bin");
	assert_string_equal(c->text[59], "The cookbook lists recipes for soup,\tbread and cheese");
	assert_string_equal(label_name(c, 59, "topic"), "food");
	assert_string_equal(c->text[8], "The Z\xc3\xbcrich team won the cup final, a great day for the club");
	for (d = 0; d < c->ndocs; d++) {
		assert_int_equal(c->len[d], strlen(c->text[d]));
		bytes += c->len[d];
		counts[label(c, d, "topic")]++;
		tone[label(c, d, "tone") + 1]++;
	}
	assert_true(c->bytes == bytes);
	assert_int_equal(counts[0], 20);
	assert_int_equal(counts[1], 20);
	assert_int_equal(counts[2], 20);
	assert_int_equal(tone[0], 3);    /* no tone */
	assert_int_equal(tone[1], 27);   /* neg */
	assert_int_equal(tone[2], 30);   /* pos */
	assert_int_equal(c->nskipped, 0);
	assert_int_equal(c->nerrors, 0);
}

static void test_jsonl(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load_data(f, "mini.jsonl"), 0);
	check_mini(&f->c);
}

static void test_tsv(void **state)
{
	struct fx *f = *state;

	/* Same documents; the TSV writes tab, newline and backslash as escapes. */
	assert_int_equal(load_data(f, "mini.tsv"), 0);
	check_mini(&f->c);
}

static void test_fasttext(void **state)
{
	struct fx *f = *state;
	struct tn_corpus j;
	char *p = tu_data("mini.jsonl");
	const char *paths[1] = { p };
	size_t d;

	/* One head "label" taking the first label of each line (the topic). */
	assert_int_equal(load_data(f, "mini.ft"), 0);
	assert_int_equal(f->c.ndocs, 60);
	assert_int_equal(f->c.nheads, 1);
	assert_string_equal(f->c.heads[0].name, "label");
	assert_classes(&f->c, "label", "food", "sports", "tech", NULL);
	assert_string_equal(f->c.text[0], "The home team won the match with a late goal and the fans were delighted");
	tn_corpus_init(&j);
	assert_int_equal(tn_corpus_load(&j, paths, 1, &f->o, &f->err), 0);
	for (d = 0; d < 60; d++)
		assert_string_equal(label_name(&f->c, d, "label"), label_name(&j, d, "topic"));
	tn_corpus_release(&j);
	free(p);

	/* Several labels: the first one counts; a line without label is unlabeled. */
	assert_int_equal(load_str(f, "x.ft", "__label__b __label__a two labels\n"
				  "__label__a\tone label after a tab\n"
				  "no label at all\n"
				  "  __label__c   leading spaces\n"), 0);
	assert_int_equal(f->c.ndocs, 4);
	assert_classes(&f->c, "label", "a", "b", "c", NULL);
	assert_string_equal(label_name(&f->c, 0, "label"), "b");
	assert_string_equal(f->c.text[0], "two labels");
	assert_string_equal(label_name(&f->c, 1, "label"), "a");
	assert_string_equal(f->c.text[1], "one label after a tab");
	assert_int_equal(label(&f->c, 2, "label"), -1);
	assert_string_equal(f->c.text[2], "no label at all");
	assert_string_equal(label_name(&f->c, 3, "label"), "c");
	assert_string_equal(f->c.text[3], "leading spaces");
}

static void test_format_names(void **state)
{
	(void)state;
	assert_int_equal(tn_format_from_name("a.jsonl"), TN_FORMAT_JSONL);
	assert_int_equal(tn_format_from_name("dir/a.ndjson"), TN_FORMAT_JSONL);
	assert_int_equal(tn_format_from_name("a.json"), TN_FORMAT_JSONL);
	assert_int_equal(tn_format_from_name("a.jsonl.gz"), TN_FORMAT_JSONL);
	assert_int_equal(tn_format_from_name("a.jsonl.zst"), TN_FORMAT_JSONL);
	assert_int_equal(tn_format_from_name("a.tsv"), TN_FORMAT_TSV);
	assert_int_equal(tn_format_from_name("a.tab.xz"), TN_FORMAT_TSV);
	assert_int_equal(tn_format_from_name("a.tsv.bz2"), TN_FORMAT_TSV);
	assert_int_equal(tn_format_from_name("a.ft"), TN_FORMAT_FASTTEXT);
	assert_int_equal(tn_format_from_name("a.fasttext"), TN_FORMAT_FASTTEXT);
	assert_int_equal(tn_format_from_name("a.txt.zstd"), TN_FORMAT_FASTTEXT);
	assert_int_equal(tn_format_from_name("a.csv"), TN_FORMAT_CSV);
	assert_int_equal(tn_format_from_name("a.csv.gz"), TN_FORMAT_CSV);
	assert_int_equal(tn_format_from_name("a.csvx"), TN_FORMAT_AUTO);
	assert_int_equal(tn_format_from_name("-"), TN_FORMAT_AUTO);
	assert_int_equal(tn_format_from_name(""), TN_FORMAT_AUTO);
	assert_int_equal(tn_format_from_name("jsonl"), TN_FORMAT_AUTO);
	assert_int_equal(tn_format_from_name("a.gz"), TN_FORMAT_AUTO);

	assert_int_equal(tn_format_parse("auto"), TN_FORMAT_AUTO);
	assert_int_equal(tn_format_parse("jsonl"), TN_FORMAT_JSONL);
	assert_int_equal(tn_format_parse("tsv"), TN_FORMAT_TSV);
	assert_int_equal(tn_format_parse("fasttext"), TN_FORMAT_FASTTEXT);
	assert_int_equal(tn_format_parse("JSONL"), -1);
	assert_int_equal(tn_format_parse("csv"), TN_FORMAT_CSV);
	assert_int_equal(tn_format_parse("xml"), -1);
	assert_string_equal(tn_format_name(TN_FORMAT_JSONL), "jsonl");
	assert_string_equal(tn_format_name(TN_FORMAT_TSV), "tsv");
	assert_string_equal(tn_format_name(TN_FORMAT_FASTTEXT), "fasttext");
	assert_string_equal(tn_format_name(TN_FORMAT_CSV), "csv");
	assert_string_equal(tn_format_name(TN_FORMAT_AUTO), "auto");
}

static void test_detect_by_content(void **state)
{
	struct fx *f = *state;
	char *mini = tu_data("mini.jsonl"), *data;
	size_t len;

	/* A name that says nothing: the first non-empty line decides. */
	data = tu_read(mini, &len);
	assert_int_equal(load_bytes(f, "corpus.data", data, len), 0);
	check_mini(&f->c);
	free(data);
	free(mini);

	assert_int_equal(load_str(f, "b.data", "\n\ntext\tlabel\nhello world\tgreeting\n"), 0);
	assert_int_equal(f->c.ndocs, 1);
	assert_string_equal(f->c.heads[0].name, "label");
	assert_string_equal(label_name(&f->c, 0, "label"), "greeting");

	assert_int_equal(load_str(f, "c", "__label__x hello\n__label__y world\n"), 0);
	assert_int_equal(f->c.ndocs, 2);
	assert_classes(&f->c, "label", "x", "y", NULL);

	/* Commas say nothing by themselves: CSV is told by its name (or -f csv). */
	assert_int_equal(load_str(f, "d.data", "text,label\nhello,x\n"), TN_EFORMAT);
	assert_err(f, "d.data", "cannot tell its format");

	/* A forced format wins over the name. */
	f->o.format = TN_FORMAT_FASTTEXT;
	assert_int_equal(load_str(f, "e.jsonl", "__label__x {\"text\": \"not json here\"}\n"), 0);
	assert_string_equal(f->c.text[0], "{\"text\": \"not json here\"}");
	f->o.format = TN_FORMAT_JSONL;
	assert_int_equal(load_str(f, "f.tsv", "text\tlabel\n"), TN_EFORMAT);
	assert_err(f, "f.tsv", "line 1: invalid JSON");
}

/* Copies fixture name to tmp/as and loads that. */
static int load_copy(struct fx *f, const char *name, const char *as)
{
	char *src = tu_data(name), *data;
	size_t len;
	int rc;

	data = tu_read(src, &len);
	rc = load_bytes(f, as, data, len);
	free(data);
	free(src);
	return rc;
}

static void test_compressed(void **state)
{
	struct fx *f = *state;
	char *src, *data;
	size_t len;

	assert_int_equal(load_data(f, "mini.jsonl.gz"), 0);
	check_mini(&f->c);
	assert_int_equal(load_data(f, "mini.jsonl.zst"), 0);
	check_mini(&f->c);
	/* Compression is found by magic bytes, whatever the name says. */
	assert_int_equal(load_copy(f, "mini.jsonl.gz", "plain.jsonl"), 0);
	check_mini(&f->c);
	assert_int_equal(load_copy(f, "mini.jsonl.zst", "noname"), 0);
	check_mini(&f->c);
	assert_int_equal(load_copy(f, "mini.jsonl.gz", "looks.zst"), 0);
	check_mini(&f->c);

	/* A truncated stream is an I/O error naming the file. */
	src = tu_data("mini.jsonl.gz");
	data = tu_read(src, &len);
	assert_int_equal(load_bytes(f, "cut.jsonl.gz", data, len / 2), TN_EIO);
	assert_err_names(f, "cut.jsonl.gz");
	free(data);
	free(src);
	src = tu_data("mini.jsonl.zst");
	data = tu_read(src, &len);
	assert_int_equal(load_bytes(f, "cut.jsonl.zst", data, len - 10), TN_EIO);
	assert_err_names(f, "cut.jsonl.zst");
	free(data);
	free(src);
}

static void test_missing_labels(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load_str(f, "m.jsonl",
				  "{\"text\": \"a\", \"topic\": \"x\"}\n"
				  "{\"text\": \"b\", \"tone\": \"y\"}\n"
				  "{\"text\": \"c\", \"topic\": \"\", \"tone\": null}\n"
				  "{\"id\": \"d\", \"text\": \"d\", \"n\": 5, \"flag\": true, \"list\": [1]}\n"), 0);
	assert_int_equal(f->c.ndocs, 4);
	assert_int_equal(f->c.nheads, 2);
	assert_string_equal(label_name(&f->c, 0, "topic"), "x");
	assert_int_equal(label(&f->c, 0, "tone"), -1);
	assert_int_equal(label(&f->c, 1, "topic"), -1);
	assert_string_equal(label_name(&f->c, 1, "tone"), "y");
	assert_int_equal(label(&f->c, 2, "topic"), -1);
	assert_int_equal(label(&f->c, 2, "tone"), -1);
	assert_int_equal(label(&f->c, 3, "topic"), -1);
	assert_int_equal(label(&f->c, 3, "tone"), -1);

	/* TSV: an empty field is a missing label. */
	assert_int_equal(load_str(f, "m.tsv", "text\ttopic\ttone\na\tx\t\nb\t\ty\n"), 0);
	assert_string_equal(label_name(&f->c, 0, "topic"), "x");
	assert_int_equal(label(&f->c, 0, "tone"), -1);
	assert_int_equal(label(&f->c, 1, "topic"), -1);
}

static void test_discovery_order_and_sorting(void **state)
{
	struct fx *f = *state;
	char *p = tu_path(f->tmp, "late.jsonl");
	FILE *out;
	size_t d;

	/* Heads in order of first appearance, classes sorted bytewise. */
	assert_int_equal(load_str(f, "o.jsonl",
				  "{\"text\": \"1\", \"zhead\": \"zeta\"}\n"
				  "{\"ahead\": \"q\", \"text\": \"2\", \"zhead\": \"alpha\"}\n"
				  "{\"text\": \"3\", \"zhead\": \"Mid\", \"ahead\": \"p\"}\n"
				  "{\"text\": \"4\", \"zhead\": \"zeta\"}\n"), 0);
	assert_int_equal(f->c.nheads, 2);
	assert_string_equal(f->c.heads[0].name, "zhead");
	assert_string_equal(f->c.heads[1].name, "ahead");
	assert_classes(&f->c, "zhead", "Mid", "alpha", "zeta", NULL);
	assert_classes(&f->c, "ahead", "p", "q", NULL);
	assert_int_equal(label(&f->c, 0, "zhead"), 2);
	assert_int_equal(label(&f->c, 1, "zhead"), 1);
	assert_int_equal(label(&f->c, 2, "zhead"), 0);
	assert_int_equal(label(&f->c, 3, "zhead"), 2);
	assert_int_equal(label(&f->c, 0, "ahead"), -1);
	assert_int_equal(label(&f->c, 1, "ahead"), 1);
	assert_int_equal(label(&f->c, 2, "ahead"), 0);

	/* A head first seen after many documents widens the whole label matrix. */
	out = fopen(p, "w");
	assert_non_null(out);
	for (d = 0; d < 3000; d++) {
		fprintf(out, "{\"text\": \"doc %zu\", \"first\": \"f%zu\"", d, d % 7);
		if (d >= 1500)
			fprintf(out, ", \"late\": \"l%zu\"", d % 3);
		fputs("}\n", out);
	}
	assert_int_equal(fclose(out), 0);
	assert_int_equal(load1(f, p), 0);
	assert_int_equal(f->c.ndocs, 3000);
	for (d = 0; d < 3000; d++) {
		char want[16];

		snprintf(want, sizeof(want), "f%zu", d % 7);
		assert_string_equal(label_name(&f->c, d, "first"), want);
		if (d < 1500) {
			assert_int_equal(label(&f->c, d, "late"), -1);
		} else {
			snprintf(want, sizeof(want), "l%zu", d % 3);
			assert_string_equal(label_name(&f->c, d, "late"), want);
		}
	}
	free(p);
}

static void test_explicit_labels_and_text_field(void **state)
{
	struct fx *f = *state;
	const char *tone[] = { "tone" }, *stars[] = { "stars", "ok" }, *text[] = { "body" };

	f->o.labels = tone;
	f->o.nlabels = 1;
	assert_int_equal(load_data(f, "mini.jsonl"), 0);
	assert_int_equal(f->c.nheads, 1);
	assert_string_equal(f->c.heads[0].name, "tone");
	assert_classes(&f->c, "tone", "neg", "pos", NULL);
	assert_int_equal(load_data(f, "mini.tsv"), 0);
	assert_int_equal(f->c.nheads, 1);
	assert_int_equal(label(&f->c, 19, "tone"), -1);

	/* Named heads take integers and booleans as class names. */
	f->o.labels = stars;
	f->o.nlabels = 2;
	assert_int_equal(load_str(f, "s.jsonl",
				  "{\"text\": \"a\", \"stars\": 5, \"ok\": true}\n"
				  "{\"text\": \"b\", \"stars\": 10, \"ok\": false}\n"
				  "{\"text\": \"c\", \"stars\": \"5\"}\n"), 0);
	assert_classes(&f->c, "stars", "10", "5", NULL);
	assert_classes(&f->c, "ok", "false", "true", NULL);
	assert_string_equal(label_name(&f->c, 2, "stars"), "5");
	assert_int_equal(load_str(f, "s2.jsonl", "{\"text\": \"a\", \"stars\": 4.5}\n"), TN_EFORMAT);
	assert_err(f, "s2.jsonl", "line 1: label 'stars' is not a string");

	/* The text in another field. */
	f->o.labels = NULL;
	f->o.nlabels = 0;
	f->o.text_field = "body";
	assert_int_equal(load_str(f, "b.jsonl", "{\"body\": \"hello\", \"text\": \"a label now\"}\n"), 0);
	assert_string_equal(f->c.text[0], "hello");
	assert_string_equal(f->c.heads[0].name, "text");
	assert_int_equal(load_str(f, "b.tsv", "label\tbody\nx\thello there\n"), 0);
	assert_string_equal(f->c.text[0], "hello there");
	assert_int_equal(load_str(f, "b2.tsv", "label\ttext\nx\thello there\n"), TN_EFORMAT);
	assert_err(f, "b2.tsv", "line 1: the header has no 'body' column");

	/* A label field cannot be the text field. */
	f->o.labels = text;
	f->o.nlabels = 1;
	assert_int_equal(load_str(f, "c.jsonl", "{\"body\": \"x\"}\n"), TN_EINVAL);
	assert_true(tu_has(f->err.msg, "'body' is the text field"));
}

static void test_tsv_escapes_and_crlf(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load_str(f, "e.tsv",
				  "id\ttext\tlabel\r\n"
				  "1\ttab\\there\\nnewline\\\\back\\rcr\\x kept\\\tpos\r\n"
				  "\r\n"
				  "2\tlast line without newline\tneg"), 0);
	assert_int_equal(f->c.ndocs, 2);
	assert_string_equal(f->c.text[0], "tab\there\nnewline\\back\rcr\\x kept\\");
	assert_string_equal(label_name(&f->c, 0, "label"), "pos");
	assert_string_equal(f->c.text[1], "last line without newline");
	assert_string_equal(label_name(&f->c, 1, "label"), "neg");
	assert_int_equal(f->c.nheads, 1);   /* "id" is not a head */
}

static void test_tsv_errors(void **state)
{
	struct fx *f = *state;
	static const char nul_tsv[] = "text\tlabel\nok\tx\nab\0cd\ty\n";
	char *p = tu_data("bad-fields.tsv"), want[1024];

	assert_int_equal(load1(f, p), TN_EFORMAT);
	snprintf(want, sizeof(want), "read '%s' line 4: 2 fields, the header has 3", p);
	assert_true(tu_has(f->err.msg, want));
	free(p);

	assert_int_equal(load_str(f, "more.tsv", "text\tlabel\na\tx\nb\ty\tz\n"), TN_EFORMAT);
	assert_err(f, "more.tsv", "line 3: 3 fields, the header has 2");
	assert_int_equal(load_str(f, "h.tsv", "words\tlabel\na\tx\n"), TN_EFORMAT);
	assert_err(f, "h.tsv", "line 1: the header has no 'text' column");
	assert_int_equal(load_bytes(f, "nul.tsv", nul_tsv, sizeof(nul_tsv) - 1), TN_EFORMAT);
	assert_err(f, "nul.tsv", "line 3: NUL byte at byte 2");
	assert_int_equal(load_str(f, "utf.tsv", "text\tlabel\ncaf\xc3\xa9\tx\ncaf\xe9\ty\n"), TN_EFORMAT);
	assert_err(f, "utf.tsv", "line 3: invalid UTF-8 at byte 3");
	assert_int_equal(load_str(f, "lab.tsv", "text\tlabel\nok\tx\xff\n"), TN_EFORMAT);
	assert_err(f, "lab.tsv", "line 2: invalid UTF-8");
}

static void test_jsonl_errors(void **state)
{
	struct fx *f = *state;
	static const char raw_nul[] = "{\"text\": \"a\0b\"}\n";
	char *p = tu_data("bad-json.jsonl"), want[1024];

	assert_int_equal(load1(f, p), TN_EFORMAT);
	snprintf(want, sizeof(want), "read '%s' line 3: invalid JSON", p);
	assert_true(tu_has(f->err.msg, want));
	free(p);

	assert_int_equal(load_str(f, "t.jsonl", "{\"text\": \"ok\"}\n\n{\"topic\": \"x\"}\n"), TN_EFORMAT);
	assert_err(f, "t.jsonl", "line 3: no text field 'text'");
	assert_int_equal(load_str(f, "n.jsonl", "{\"text\": 12}\n"), TN_EFORMAT);
	assert_err(f, "n.jsonl", "line 1: not a string: field 'text'");
	assert_int_equal(load_str(f, "a.jsonl", "{\"text\": \"ok\"}\n[\"text\"]\n"), TN_EFORMAT);
	assert_err(f, "a.jsonl", "line 2: not a JSON object");
	assert_int_equal(load_str(f, "z.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"a\\u0000b\"}\n"), TN_EFORMAT);
	assert_err(f, "z.jsonl", "line 2: invalid JSON");
	assert_int_equal(load_bytes(f, "raw.jsonl", raw_nul, sizeof(raw_nul) - 1), TN_EFORMAT);
	assert_err(f, "raw.jsonl", "line 1: invalid JSON");
	assert_int_equal(load_str(f, "u.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"caf\xe9\"}\n"), TN_EFORMAT);
	assert_err(f, "u.jsonl", "line 2: invalid JSON");
	assert_int_equal(load_str(f, "l.jsonl", "{\"text\": \"ok\", \"topic\": \"\xc3\"}\n"), TN_EFORMAT);
	assert_err(f, "l.jsonl", "line 1: invalid JSON");
	/* Two objects on a line are not one record. */
	assert_int_equal(load_str(f, "two.jsonl", "{\"text\": \"a\"} {\"text\": \"b\"}\n"), TN_EFORMAT);
	assert_err(f, "two.jsonl", "line 1: invalid JSON");
}

static void test_fasttext_errors(void **state)
{
	static const char nul_ft[] = "__label__a fine\n__label__b a\0b\n";
	struct fx *f = *state;

	assert_int_equal(load_bytes(f, "n.ft", nul_ft, sizeof(nul_ft) - 1), TN_EFORMAT);
	assert_err(f, "n.ft", "line 2: NUL byte at byte 12");
	assert_int_equal(load_str(f, "u.ft", "__label__a caf\xe9\n"), TN_EFORMAT);
	assert_err(f, "u.ft", "line 1: invalid UTF-8 at byte 14");
}

static void test_like(void **state)
{
	struct fx *f = *state;
	struct tn_corpus train;
	char *p = tu_data("mini.jsonl");
	const char *paths[1] = { p };
	size_t d;

	tn_corpus_init(&train);
	assert_int_equal(tn_corpus_load(&train, paths, 1, &f->o, &f->err), 0);
	free(p);
	f->o.like = &train;

	/* Heads and classes come from the training corpus, ids match its classes. */
	assert_int_equal(load_data(f, "mini-test.jsonl"), 0);
	assert_int_equal(f->c.ndocs, 12);
	assert_int_equal(f->c.nheads, 2);
	assert_string_equal(f->c.heads[0].name, "topic");
	assert_classes(&f->c, "topic", "food", "sports", "tech", NULL);
	assert_classes(&f->c, "tone", "neg", "pos", NULL);
	assert_string_equal(label_name(&f->c, 0, "topic"), "sports");
	assert_string_equal(label_name(&f->c, 11, "topic"), "food");
	for (d = 0; d < 12; d++)
		assert_true(label(&f->c, d, "tone") >= 0);

	/* Only known classes, fields that are not heads are ignored. */
	assert_int_equal(load_str(f, "ok.jsonl", "{\"text\": \"a\", \"tone\": \"pos\", \"other\": \"x\"}\n"), 0);
	assert_int_equal(f->c.nheads, 2);
	assert_int_equal(label(&f->c, 0, "topic"), -1);
	assert_int_equal(load_str(f, "u.jsonl", "{\"text\": \"a\", \"topic\": \"food\"}\n"
				  "{\"text\": \"b\", \"topic\": \"weather\"}\n"), TN_EFORMAT);
	assert_err(f, "u.jsonl", "line 2: label 'weather' of 'topic' is not a class of the model");
	/* TSV columns in another order, and an unknown column. */
	assert_int_equal(load_str(f, "l.tsv", "tone\textra\ttext\ttopic\npos\tq\thello\ttech\n"), 0);
	assert_string_equal(label_name(&f->c, 0, "topic"), "tech");
	assert_string_equal(label_name(&f->c, 0, "tone"), "pos");
	assert_int_equal(load_str(f, "u.tsv", "text\ttopic\nhello\tweather\n"), TN_EFORMAT);
	assert_err(f, "u.tsv", "line 2: label 'weather' of 'topic' is not a class of the model");
	/* skip_errors applies. */
	f->o.skip_errors = 1;
	assert_int_equal(load_str(f, "s.jsonl", "{\"text\": \"a\", \"topic\": \"food\"}\n"
				  "{\"text\": \"b\", \"topic\": \"weather\"}\n"), 0);
	assert_int_equal(f->c.ndocs, 1);
	assert_int_equal(f->c.nskipped, 1);
	assert_classes(&f->c, "topic", "food", "sports", "tech", NULL);
	/* A fastText file against a model without a "label" head: no labels, no error. */
	f->o.skip_errors = 0;
	assert_int_equal(load_str(f, "x.ft", "__label__food soup\n"), 0);
	assert_int_equal(f->c.ndocs, 1);
	assert_int_equal(label(&f->c, 0, "topic"), -1);
	tn_corpus_release(&train);
}

static void test_too_long_line(void **state)
{
	struct fx *f = *state;
	char line[512];

	memset(line, 'x', sizeof(line));
	f->o.max_line = 64;
	{
		char content[1024];

		snprintf(content, sizeof(content), "{\"text\": \"short\"}\n{\"text\": \"%.200s\"}\n{\"text\": \"after\"}\n", line);
		assert_int_equal(load_str(f, "long.jsonl", content), TN_EFORMAT);
		assert_err(f, "long.jsonl", "line 2: record longer than 64 bytes");
		/* Skipped, and the next record is read whole with the right line number. */
		f->o.skip_errors = 1;
		strcat(content, "{\"text\": 1}\n");
		assert_int_equal(load_str(f, "long.jsonl", content), 0);
		assert_int_equal(f->c.ndocs, 2);
		assert_string_equal(f->c.text[1], "after");
		assert_int_equal(f->c.nskipped, 2);
		assert_true(tu_has(f->c.errors[0], "line 2: record longer than 64 bytes"));
		assert_true(tu_has(f->c.errors[1], "line 4: not a string"));
	}
	/* Exactly max_line bytes is fine. */
	f->o.skip_errors = 0;
	{
		char content[256];

		snprintf(content, sizeof(content), "{\"text\": \"%.52s\"}\n", line);
		assert_int_equal(strlen(content), 65);
		assert_int_equal(load_str(f, "edge.jsonl", content), 0);
		snprintf(content, sizeof(content), "{\"text\": \"%.53s\"}\n", line);
		assert_int_equal(load_str(f, "edge.jsonl", content), TN_EFORMAT);
	}
}

/* Lines longer than the 1 MiB read block are assembled across blocks. */
static void test_lines_across_blocks(void **state)
{
	struct fx *f = *state;
	size_t big = (3 << 20) + 12345, n;
	char *content = malloc(big + 100), *p = tu_path(f->tmp, "big.jsonl");

	assert_non_null(content);
	n = (size_t)sprintf(content, "{\"text\": \"");
	memset(content + n, 'y', big);
	n += big;
	n += (size_t)sprintf(content + n, "\"}\n{\"text\": \"tail\"}\n");
	tu_write(p, content, n);
	assert_int_equal(load1(f, p), 0);
	assert_int_equal(f->c.ndocs, 2);
	assert_int_equal(f->c.len[0], big);
	assert_string_equal(f->c.text[1], "tail");
	/* Over the limit: skipped as one record, and the rest still parses. */
	f->o.max_line = 1 << 20;
	f->o.skip_errors = 1;
	assert_int_equal(load1(f, p), 0);
	assert_int_equal(f->c.ndocs, 1);
	assert_int_equal(f->c.nskipped, 1);
	assert_string_equal(f->c.text[0], "tail");
	assert_true(tu_has(f->c.errors[0], "line 1: record longer than 1048576 bytes"));
	free(content);
	free(p);
}

/* bad-records.jsonl: records 2-7 are malformed in six different ways. */
static void check_bad_records_skipped(const struct tn_corpus *c)
{
	assert_int_equal(c->ndocs, 2);
	assert_int_equal(c->nskipped, 6);
	assert_int_equal(c->nerrors, TN_CORPUS_KEEP_ERRORS);
	assert_string_equal(c->text[0], "The goalkeeper saved a penalty in the final match");
	assert_string_equal(c->text[1], "The server crashed and the network is down again");
	/* A skipped record leaves no trace: no head or class of its own. */
	assert_int_equal(c->nheads, 2);
	assert_string_equal(c->heads[0].name, "topic");
	assert_string_equal(c->heads[1].name, "tone");
	assert_classes(c, "topic", "sports", "tech", NULL);
	assert_classes(c, "tone", "neg", "pos", NULL);
}

static void test_skip_errors(void **state)
{
	struct fx *f = *state;
	char *p = tu_data("bad-records.jsonl"), want[1024];
	int i;

	assert_int_equal(load1(f, p), TN_EFORMAT);
	snprintf(want, sizeof(want), "read '%s' line 2: invalid JSON", p);
	assert_true(tu_has(f->err.msg, want));

	f->o.skip_errors = 1;
	assert_int_equal(load1(f, p), 0);
	check_bad_records_skipped(&f->c);
	for (i = 0; i < TN_CORPUS_KEEP_ERRORS; i++) {
		snprintf(want, sizeof(want), "read '%s' line %d: ", p, i + 2);
		assert_true(tu_has(f->c.errors[i], want));
	}
	assert_true(tu_has(f->c.errors[0], "invalid JSON"));
	assert_true(tu_has(f->c.errors[1], "no text field 'text'"));
	assert_true(tu_has(f->c.errors[2], "\\u0000"));
	assert_true(tu_has(f->c.errors[3], "invalid JSON"));
	assert_true(tu_has(f->c.errors[4], "not a JSON object"));
	free(p);
}

/* err is optional in every library call, also when errors are skipped. */
static void test_skip_errors_without_err(void **state)
{
	struct fx *f = *state;
	char *p = tu_data("bad-records.jsonl");
	const char *paths[1] = { p };

	f->o.skip_errors = 1;
	assert_int_equal(tn_corpus_load(&f->c, paths, 1, &f->o, NULL), 0);
	check_bad_records_skipped(&f->c);
	tn_corpus_release(&f->c);
	f->o.skip_errors = 0;
	assert_int_equal(tn_corpus_load(&f->c, paths, 1, &f->o, NULL), TN_EFORMAT);
	free(p);
}

static void test_tsv_skip_leaves_no_class(void **state)
{
	struct fx *f = *state;

	/* Row 3 has a new topic but a tone that is not UTF-8. */
	f->o.skip_errors = 1;
	assert_int_equal(load_str(f, "s.tsv", "text\ttopic\ttone\n"
				  "a\tfood\tpos\n"
				  "b\tweather\tne\xffg\n"
				  "c\ttech\tneg\n"), 0);
	assert_int_equal(f->c.ndocs, 2);
	assert_int_equal(f->c.nskipped, 1);
	assert_true(tu_has(f->c.errors[0], "line 3: invalid UTF-8"));
	assert_classes(&f->c, "topic", "food", "tech", NULL);
	assert_classes(&f->c, "tone", "neg", "pos", NULL);
}

static void test_missing_file(void **state)
{
	struct fx *f = *state;
	char *p = tu_path(f->tmp, "nothere.jsonl");

	assert_int_equal(load1(f, p), TN_EIO);
	assert_true(tu_has(f->err.msg, p));
	free(p);
	/* A folder is not a corpus either. */
	assert_int_not_equal(load1(f, f->tmp), 0);
	assert_true(tu_has(f->err.msg, f->tmp));
}

static void test_several_files(void **state)
{
	struct fx *f = *state;
	char *a = tu_data("mini.jsonl"), *b = tu_data("mini.tsv"), *bad = tu_data("bad-json.jsonl"), want[1024];
	const char *paths[3] = { a, b, bad };

	assert_int_equal(tn_corpus_load(&f->c, paths, 2, &f->o, &f->err), 0);
	assert_int_equal(f->c.ndocs, 120);
	assert_string_equal(f->c.text[60], f->c.text[0]);
	assert_int_equal(label(&f->c, 60, "topic"), label(&f->c, 0, "topic"));
	tn_corpus_release(&f->c);
	/* Line numbers restart with each file and the message names the right one. */
	assert_int_equal(tn_corpus_load(&f->c, paths, 3, &f->o, &f->err), TN_EFORMAT);
	snprintf(want, sizeof(want), "read '%s' line 3: ", bad);
	assert_true(tu_has(f->err.msg, want));
	free(a);
	free(b);
	free(bad);
}

static void test_stdin(void **state)
{
	struct fx *f = *state;
	char *p = tu_data("mini.jsonl.gz");
	int saved = dup(0), fd = open(p, O_RDONLY);

	assert_true(saved >= 0);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	assert_int_equal(load1(f, "-"), 0);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	check_mini(&f->c);
	free(p);
}

static void test_empty_inputs(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load_str(f, "empty.jsonl", ""), 0);
	assert_int_equal(f->c.ndocs, 0);
	assert_int_equal(load_str(f, "blank.jsonl", "\n\n  \n\t\n"), 0);
	assert_int_equal(f->c.ndocs, 0);
	assert_int_equal(load_str(f, "empty.tsv", ""), 0);
	assert_int_equal(f->c.ndocs, 0);
	assert_int_equal(load_str(f, "header.tsv", "text\tlabel\n"), 0);
	assert_int_equal(f->c.ndocs, 0);
	assert_int_equal(load_str(f, "empty-text.jsonl", "{\"text\": \"\", \"l\": \"a\"}\n"), 0);
	assert_int_equal(f->c.ndocs, 1);
	assert_int_equal(f->c.len[0], 0);
}

static void test_too_many_classes(void **state)
{
	struct fx *f = *state;
	char *p = tu_path(f->tmp, "many.jsonl");
	FILE *out = fopen(p, "w");
	int i;

	assert_non_null(out);
	for (i = 0; i <= TN_MAX_CLASSES; i++)
		fprintf(out, "{\"text\": \"t\", \"label\": \"c%d\"}\n", i);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(load1(f, p), TN_EINVAL);
	assert_true(tu_has(f->err.msg, "line 1001: label field 'label' has more than 1000 classes"));
	/* Not a malformed record: skip_errors does not hide it. */
	f->o.skip_errors = 1;
	assert_int_equal(load1(f, p), TN_EINVAL);
	free(p);
}

/* The group field: one hash per document, equal values equal hashes, never a head. */
static void test_groups(void **state)
{
	struct fx *f = *state;
	const char *src[] = { "src" };
	const char *jsonl =
		"{\"id\": \"a\", \"text\": \"one\", \"label\": \"x\", \"src\": \"p\"}\n"
		"{\"id\": \"b\", \"text\": \"two\", \"label\": \"y\", \"src\": \"q\"}\n"
		"{\"id\": \"c\", \"text\": \"three\", \"label\": \"x\", \"src\": \"p\"}\n"
		"{\"id\": \"d\", \"text\": \"four\", \"label\": \"y\"}\n"
		"{\"id\": \"e\", \"text\": \"five\", \"label\": \"x\", \"src\": null}\n"
		"{\"id\": \"f\", \"text\": \"six\", \"label\": \"y\", \"src\": 7}\n"
		"{\"id\": \"g\", \"text\": \"seven\", \"label\": \"x\", \"src\": \"7\"}\n";

	f->o.group_field = "src";
	assert_int_equal(load_str(f, "g.jsonl", jsonl), 0);
	assert_int_equal(f->c.ndocs, 7);
	assert_int_equal(f->c.nheads, 1);          /* src is not a head */
	assert_string_equal(f->c.heads[0].name, "label");
	assert_string_equal(f->c.group_field, "src");
	assert_non_null(f->c.group);
	assert_true(f->c.group[0] == f->c.group[2]);
	assert_true(f->c.group[0] != f->c.group[1]);
	/* Without the field (absent or null): a group of its own each. */
	assert_true(f->c.group[3] != f->c.group[4]);
	assert_true(f->c.group[3] != f->c.group[0] && f->c.group[3] != f->c.group[1]);
	assert_int_equal(f->c.group_missing, 2);
	/* An integer counts as its text, as labels do. */
	assert_true(f->c.group[5] == f->c.group[6]);
	assert_int_equal(tn_corpus_group_count(&f->c), 5);

	/* The same documents as TSV and CSV give the same groups. */
	{
		uint64_t g[7];

		memcpy(g, f->c.group, sizeof(g));
		assert_int_equal(load_str(f, "g.tsv", "id\ttext\tlabel\tsrc\na\tone\tx\tp\nb\ttwo\ty\tq\n"
					  "c\tthree\tx\tp\nd\tfour\ty\t\ne\tfive\tx\t\nf\tsix\ty\t7\ng\tseven\tx\t7\n"), 0);
		assert_int_equal(f->c.nheads, 1);
		assert_memory_equal(f->c.group, g, 3 * sizeof(uint64_t));
		assert_true(f->c.group[5] == g[5]);
		assert_int_equal(f->c.group_missing, 2);
		assert_int_equal(load_str(f, "g.csv", "id,text,label,src\na,one,x,p\nb,two,y,q\nc,three,x,p\n"), 0);
		assert_memory_equal(f->c.group, g, 3 * sizeof(uint64_t));
	}

	/* Without group_field nothing is grouped and src is a head. */
	f->o.group_field = NULL;
	assert_int_equal(load_str(f, "g2.jsonl", jsonl), 0);
	assert_null(f->c.group);
	assert_int_equal(f->c.nheads, 2);

	/* Refused: a header without the column, a record where it is not a string,
	   no record with it, fastText, the text or a label field as the group. */
	f->o.group_field = "src";
	assert_int_equal(load_str(f, "n.tsv", "text\tlabel\none\tx\n"), TN_EFORMAT);
	assert_err(f, "n.tsv", "the header has no 'src' column (the group field)");
	assert_int_equal(load_str(f, "n.csv", "text,label\none,x\n"), TN_EFORMAT);
	assert_err(f, "n.csv", "no 'src' column (the group field)");
	assert_int_equal(load_str(f, "o.jsonl", "{\"text\": \"a\", \"label\": \"x\", \"src\": [1]}\n"), TN_EFORMAT);
	assert_err(f, "o.jsonl", "line 1: group field 'src' is not a string");
	assert_int_equal(load_str(f, "m.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n"), TN_EINVAL);
	assert_true(tu_has(f->err.msg, "no record has the group field 'src'"));
	assert_int_equal(load_str(f, "g.ft", "__label__x one\n"), TN_EINVAL);
	assert_err(f, "g.ft", "fastText records have no fields to group by");
	f->o.group_field = "text";
	assert_int_equal(load_str(f, "t.jsonl", jsonl), TN_EINVAL);
	assert_true(tu_has(f->err.msg, "group field 'text' is the text field"));
	f->o.group_field = "src";
	f->o.labels = src;
	f->o.nlabels = 1;
	assert_int_equal(load_str(f, "l.jsonl", jsonl), TN_EINVAL);
	assert_true(tu_has(f->err.msg, "group field 'src' is a label field"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_jsonl),
		T(test_tsv),
		T(test_fasttext),
		T(test_format_names),
		T(test_detect_by_content),
		T(test_compressed),
		T(test_missing_labels),
		T(test_discovery_order_and_sorting),
		T(test_explicit_labels_and_text_field),
		T(test_tsv_escapes_and_crlf),
		T(test_tsv_errors),
		T(test_jsonl_errors),
		T(test_fasttext_errors),
		T(test_like),
		T(test_too_long_line),
		T(test_lines_across_blocks),
		T(test_skip_errors),
		T(test_skip_errors_without_err),
		T(test_tsv_skip_leaves_no_class),
		T(test_missing_file),
		T(test_several_files),
		T(test_stdin),
		T(test_empty_inputs),
		T(test_too_many_classes),
		T(test_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
