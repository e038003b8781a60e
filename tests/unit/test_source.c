/*
 * test_source.c - the documents of a classify run (lib/source.h): expanding
 * inputs (folders walked in bytewise name order, missing paths), iterating
 * JSONL files, text files, compressed files and archives built at test time
 * with libarchive's write API, the errors that become documents, resume
 * (tn_source_seek) and --part (tn_source_part, tn_part_range: contiguous ranges).
 *
 * Every test gets a fresh temp folder; nothing depends on fixtures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "../../lib/source.h"
#include "testutil.h"

/* ---- helpers of these tests (the shared ones are in testutil.h) ---- */

struct fx {
	char *dir;               /* first: tu_fixture_new */
	struct tn_source *src;
	struct tn_err err;
};

/* Writes len bytes to dir/name, creating the folders on the way; returns the path. */
static char *put(const struct fx *f, const char *name, const void *data, size_t len)
{
	char *p = tu_path(f->dir, name), *slash;

	for (slash = strchr(p + strlen(f->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(p, 0777);
		*slash = '/';
	}
	tu_write(p, data, len);
	return p;
}

static char *put_str(const struct fx *f, const char *name, const char *s)
{
	return put(f, name, s, strlen(s));
}

/* Writes data zstd-compressed (one frame) to dir/name; returns the path. */
static char *put_zstd(const struct fx *f, const char *name, const char *s)
{
	size_t cap = ZSTD_compressBound(strlen(s)), n;
	char *z = malloc(cap), *p;

	assert_non_null(z);
	n = ZSTD_compress(z, cap, s, strlen(s), 3);
	assert_false(ZSTD_isError(n));
	p = put(f, name, z, n);
	free(z);
	return p;
}

struct member {
	const char *name;
	const char *data;     /* NULL: a folder entry */
};

/* Writes a tar (pax) of the members to dir/name with libarchive; returns the path. */
static char *put_tar(const struct fx *f, const char *name, const struct member *m, size_t n)
{
	char *p = tu_path(f->dir, name);
	struct archive *a = archive_write_new();
	size_t i;

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		assert_non_null(e);
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (m[i].data) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(m[i].data));
		} else {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			archive_entry_set_size(e, 0);
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (m[i].data && *m[i].data)
			assert_int_equal(archive_write_data(a, m[i].data, strlen(m[i].data)),
					 (la_ssize_t)strlen(m[i].data));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return p;
}

static int setup(void **state)
{
	*state = tu_fixture_new(sizeof(struct fx));
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tn_source_free(f->src);
	tu_fixture_free(f);
	return 0;
}

/* Creates f->src over paths (freeing any previous one); asserts success. */
static void open_src(struct fx *f, const char *const *paths, size_t n, enum tn_input_format fmt, size_t max)
{
	tn_source_free(f->src);
	f->src = NULL;
	memset(&f->err, 0, sizeof(f->err));
	if (tn_source_create(&f->src, paths, n, fmt, max, &f->err)) {
		print_message("tn_source_create: %s\n", f->err.msg);
		fail();
	}
	assert_non_null(f->src);
}

/* A document copied out of the source (which reuses its buffers). */
struct doc {
	enum tn_doc_kind kind;
	char *data, *id;
	size_t len, input;
	uint64_t ordinal;
};

struct docs {
	struct doc d[64];
	size_t n;
};

static void drain(struct fx *f, struct docs *out)
{
	struct tn_raw_doc raw;
	int r;

	out->n = 0;
	while ((r = tn_source_next(f->src, &raw)) == 1) {
		struct doc *d;

		assert_true(out->n < 64);
		d = &out->d[out->n++];
		d->kind = raw.kind;
		d->len = raw.len;
		d->data = malloc(raw.len + 1);
		assert_non_null(d->data);
		memcpy(d->data, raw.data, raw.len);
		d->data[raw.len] = '\0';
		assert_non_null(raw.id);
		d->id = strdup(raw.id);
		assert_non_null(d->id);
		d->input = raw.input;
		d->ordinal = raw.ordinal;
	}
	assert_int_equal(r, 0);
	/* Once exhausted, it stays so. */
	assert_int_equal(tn_source_next(f->src, &raw), 0);
}

static void docs_free(struct docs *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++) {
		free(ds->d[i].data);
		free(ds->d[i].id);
	}
	ds->n = 0;
}

/* Asserts document i: kind, id (dir-relative when rel), data (NULL: not checked). */
static void check(const struct fx *f, const struct docs *ds, size_t i, enum tn_doc_kind kind,
		  const char *rel_id, const char *data, size_t input, uint64_t ordinal)
{
	const struct doc *d;
	char *want;

	assert_true(i < ds->n);
	d = &ds->d[i];
	want = tu_path(f->dir, rel_id);
	if (strcmp(d->id, want))
		print_message("document %zu: id '%s', want '%s'\n", i, d->id, want);
	assert_string_equal(d->id, want);
	free(want);
	assert_int_equal(d->kind, kind);
	if (data) {
		assert_int_equal(d->len, strlen(data));
		assert_string_equal(d->data, data);
	}
	assert_int_equal(d->input, input);
	assert_int_equal(d->ordinal, ordinal);
}

static int contains(const char *s, const char *needle)
{
	if (strstr(s, needle))
		return 1;
	print_message("'%s' does not contain '%s'\n", s, needle);
	return 0;
}

/* ---- expansion ---- */

static void test_folder_walk_sorted(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"in/B.txt", "in/a.jsonl", "in/a.txt", "in/sub/x.txt", "in/sub/y/z.txt", "in/sub.txt", "in/zz.txt",
	};
	char *in, *in_slash, *lone, *p;
	const char *paths[2];
	size_t i;

	/* Created out of order; bytewise order puts 'B' before 'a'. */
	free(put_str(f, "in/zz.txt", "zz"));
	free(put_str(f, "in/sub/y/z.txt", "z"));
	free(put_str(f, "in/a.txt", "a"));
	free(put_str(f, "in/sub.txt", "s"));
	free(put_str(f, "in/B.txt", "B"));
	free(put_str(f, "in/sub/x.txt", "x"));
	free(put_str(f, "in/a.jsonl", "{}\n"));
	p = tu_path(f->dir, "in/empty-folder");
	assert_int_equal(mkdir(p, 0777), 0);
	free(p);
	lone = put_str(f, "lone.txt", "12345");
	in = tu_path(f->dir, "in");
	in_slash = tu_path(f->dir, "in/");

	/* Command-line order first, each folder walked in name order. */
	paths[0] = lone;
	paths[1] = in;
	open_src(f, paths, 2, TN_INPUT_AUTO, 1000);
	assert_int_equal(tn_source_nfiles(f->src), 8);
	assert_string_equal(tn_source_file(f->src, 0)->path, lone);
	assert_int_equal(tn_source_file(f->src, 0)->size, 5);
	assert_true(tn_source_file(f->src, 0)->mtime > 0);
	for (i = 0; i < 7; i++) {
		char *w = tu_path(f->dir, want[i]);

		assert_string_equal(tn_source_file(f->src, i + 1)->path, w);
		free(w);
	}
	assert_int_equal(tn_source_total_bytes(f->src), 5 + 2 + 1 + 1 + 3 + 1 + 1 + 1);

	/* A trailing slash gives the same paths, without "//". */
	paths[0] = in_slash;
	open_src(f, paths, 1, TN_INPUT_AUTO, 1000);
	assert_int_equal(tn_source_nfiles(f->src), 7);
	for (i = 0; i < 7; i++) {
		char *w = tu_path(f->dir, want[i]);

		assert_string_equal(tn_source_file(f->src, i)->path, w);
		free(w);
	}
	free(in);
	free(in_slash);
	free(lone);
}

static void test_missing_path(void **state)
{
	struct fx *f = *state;
	char *ok = put_str(f, "ok.txt", "fine"), *missing = tu_path(f->dir, "no-such-file.jsonl");
	const char *paths[2] = { ok, missing };
	struct tn_source *s = (struct tn_source *)(uintptr_t)1;

	assert_int_equal(tn_source_create(&s, paths, 2, TN_INPUT_AUTO, 1000, &f->err), TN_EIO);
	assert_null(s);
	assert_true(contains(f->err.msg, missing));
	assert_true(contains(f->err.msg, "No such file"));
	free(ok);
	free(missing);
}

static void test_stdin_twice(void **state)
{
	struct fx *f = *state;
	const char *paths[2] = { "-", "-" };
	struct tn_source *s = NULL;

	assert_int_equal(tn_source_create(&s, paths, 2, TN_INPUT_AUTO, 1000, &f->err), TN_EINVAL);
	assert_null(s);
	assert_true(contains(f->err.msg, "'-'"));
	/* Once is fine, and makes the total size unknown. */
	assert_int_equal(tn_source_create(&s, paths, 1, TN_INPUT_AUTO, 1000, &f->err), 0);
	assert_int_equal(tn_source_nfiles(s), 1);
	assert_string_equal(tn_source_file(s, 0)->path, "-");
	assert_int_equal(tn_source_total_bytes(s), 0);
	tn_source_free(s);
	tn_source_free(NULL);
}

/* ---- reading ---- */

static void test_jsonl_file(void **state)
{
	struct fx *f = *state;
	char *p = put_str(f, "a.jsonl",
			  "{\"id\": \"x\", \"text\": \"one\"}\n"
			  "\n"
			  "   \t\n"
			  "{\"text\": \"crlf\"}\r\n"
			  "not json at all\n"
			  "{\"text\": \"last, no newline\"}");
	const char *paths[1] = { p };
	struct docs ds;

	open_src(f, paths, 1, TN_INPUT_AUTO, 1000);
	drain(f, &ds);
	/* Blank lines hold no document but keep their line numbers. */
	assert_int_equal(ds.n, 4);
	check(f, &ds, 0, TN_DOC_JSONL, "a.jsonl:1", "{\"id\": \"x\", \"text\": \"one\"}", 0, 0);
	check(f, &ds, 1, TN_DOC_JSONL, "a.jsonl:4", "{\"text\": \"crlf\"}", 0, 1);
	/* The source does not parse JSON: that is the pipeline's job. */
	check(f, &ds, 2, TN_DOC_JSONL, "a.jsonl:5", "not json at all", 0, 2);
	check(f, &ds, 3, TN_DOC_JSONL, "a.jsonl:6", "{\"text\": \"last, no newline\"}", 0, 3);
	assert_int_equal(tn_source_raw_bytes(f->src), tn_source_file(f->src, 0)->size);
	docs_free(&ds);
	free(p);
}

/*
 * CRLF lines: a blank one is skipped like a blank LF line, and the CR does not
 * count against --max-doc-bytes, also when a line crosses a read block.
 */
static void test_crlf_lines(void **state)
{
	struct fx *f = *state;
	size_t max = 21, fill = ((size_t)1 << 20) - 10, i, n = 0;
	char *body = malloc(fill + 200), *p;
	const char *paths[1];
	struct docs ds;

	assert_non_null(body);
	/* Short lines in the first block, then filler up to just before 1 MiB. */
	n += (size_t)sprintf(body + n, "\r\n \t\r\n%s\r\n%s\r\n", "{\"text\": \"exactly20\"}",
			     "{\"text\": \"twenty-one\"}");
	while (n < fill - 10)
		n += (size_t)sprintf(body + n, "\r\n");
	while (n < fill - 5)
		body[n++] = ' ';
	body[n++] = '\r';
	body[n++] = '\n';
	/* A 21-byte line with CRLF that straddles the 1 MiB read block. */
	memcpy(body + n, "{\"text\": \"exactly20\"}\r\n", 23);
	n += 23;
	p = put(f, "crlf.jsonl", body, n);
	paths[0] = p;
	open_src(f, paths, 1, TN_INPUT_AUTO, max);
	drain(f, &ds);
	assert_int_equal(ds.n, 3);
	check(f, &ds, 0, TN_DOC_JSONL, "crlf.jsonl:3", "{\"text\": \"exactly20\"}", 0, 0);
	check(f, &ds, 1, TN_DOC_ERROR, "crlf.jsonl:4", NULL, 0, 1);
	assert_true(contains(ds.d[1].data, "longer than --max-doc-bytes (21)"));
	for (i = 2; i < ds.n; i++)
		assert_int_equal(ds.d[i].kind, TN_DOC_JSONL);
	assert_int_equal(ds.d[2].len, 21);
	docs_free(&ds);
	free(body);
	free(p);
}

static void test_text_files(void **state)
{
	struct fx *f = *state;
	char *a = put_str(f, "notes.txt", "Line one.\nLine two.\n"),
	     *b = put_str(f, "README", "no suffix at all"),
	     *c = put(f, "empty.txt", "", 0),
	     *d = put(f, "empty.jsonl", "", 0);
	const char *paths[4] = { a, b, c, d };
	struct docs ds;

	open_src(f, paths, 4, TN_INPUT_AUTO, 1000);
	drain(f, &ds);
	assert_int_equal(ds.n, 3);
	/* One document per file, whole, id = the path. */
	check(f, &ds, 0, TN_DOC_TEXT, "notes.txt", "Line one.\nLine two.\n", 0, 0);
	check(f, &ds, 1, TN_DOC_TEXT, "README", "no suffix at all", 1, 0);
	/* An empty text file is still one (empty) document; an empty JSONL file has none. */
	check(f, &ds, 2, TN_DOC_TEXT, "empty.txt", "", 2, 0);
	docs_free(&ds);
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_forced_format(void **state)
{
	struct fx *f = *state;
	char *j = put_str(f, "a.jsonl", "{\"text\": \"1\"}\n{\"text\": \"2\"}\n"),
	     *t = put_str(f, "b.txt", "first\nsecond\n");
	const char *paths[2] = { j, t };
	struct docs ds;

	open_src(f, paths, 2, TN_INPUT_TEXT, 1000);
	drain(f, &ds);
	assert_int_equal(ds.n, 2);
	check(f, &ds, 0, TN_DOC_TEXT, "a.jsonl", "{\"text\": \"1\"}\n{\"text\": \"2\"}\n", 0, 0);
	check(f, &ds, 1, TN_DOC_TEXT, "b.txt", "first\nsecond\n", 1, 0);
	docs_free(&ds);

	open_src(f, paths, 2, TN_INPUT_JSONL, 1000);
	drain(f, &ds);
	assert_int_equal(ds.n, 4);
	check(f, &ds, 2, TN_DOC_JSONL, "b.txt:1", "first", 1, 0);
	check(f, &ds, 3, TN_DOC_JSONL, "b.txt:2", "second", 1, 1);
	docs_free(&ds);
	free(j);
	free(t);
}

static void test_compressed_jsonl(void **state)
{
	struct fx *f = *state;
	const char *body = "{\"text\": \"alpha\"}\n{\"text\": \"beta\"}\n";
	char *z = put_zstd(f, "c.jsonl.zst", body), *t = put_zstd(f, "d.txt.zst", "plain text, compressed");
	const char *paths[2] = { z, t };
	struct docs ds;

	open_src(f, paths, 2, TN_INPUT_AUTO, 1000);
	drain(f, &ds);
	assert_int_equal(ds.n, 3);
	check(f, &ds, 0, TN_DOC_JSONL, "c.jsonl.zst:1", "{\"text\": \"alpha\"}", 0, 0);
	check(f, &ds, 1, TN_DOC_JSONL, "c.jsonl.zst:2", "{\"text\": \"beta\"}", 0, 1);
	check(f, &ds, 2, TN_DOC_TEXT, "d.txt.zst", "plain text, compressed", 1, 0);
	/* Raw bytes count the compressed files. */
	assert_int_equal(tn_source_raw_bytes(f->src), tn_source_total_bytes(f->src));
	docs_free(&ds);
	free(z);
	free(t);
}

static void test_tar(void **state)
{
	struct fx *f = *state;
	static const struct member m[] = {
		{ "docs/", NULL },
		{ "docs/a.txt", "member a" },
		{ "docs/b.jsonl", "{\"text\": \"b1\"}\n\n{\"text\": \"b3\"}\n" },
		{ "docs/c.txt", "member c" },
	};
	char *t = put_tar(f, "set.tar", m, 4), *after = put_str(f, "z.txt", "after the archive");
	const char *paths[2] = { t, after };
	struct docs ds;

	open_src(f, paths, 2, TN_INPUT_AUTO, 1000);
	drain(f, &ds);
	/* The folder entry yields nothing; a .jsonl member one document a line. */
	assert_int_equal(ds.n, 5);
	check(f, &ds, 0, TN_DOC_TEXT, "set.tar:docs/a.txt", "member a", 0, 0);
	check(f, &ds, 1, TN_DOC_JSONL, "set.tar:docs/b.jsonl:1", "{\"text\": \"b1\"}", 0, 1);
	check(f, &ds, 2, TN_DOC_JSONL, "set.tar:docs/b.jsonl:3", "{\"text\": \"b3\"}", 0, 2);
	check(f, &ds, 3, TN_DOC_TEXT, "set.tar:docs/c.txt", "member c", 0, 3);
	check(f, &ds, 4, TN_DOC_TEXT, "z.txt", "after the archive", 1, 0);
	docs_free(&ds);
	free(t);
	free(after);
}

/* ---- errors become documents ---- */

static void test_size_limit(void **state)
{
	struct fx *f = *state;
	static const struct member m[] = {
		{ "small.txt", "0123456789" },
		{ "big.txt", "0123456789ABCDEF" },
	};
	char *j = put_str(f, "a.jsonl", "{\"t\": \"0123\"}\n{\"t\": \"0123456789\"}\n{\"t\": \"9\"}\n"),
	     *ok = put_str(f, "ok.txt", "0123456789AB"),
	     *big = put_str(f, "big.txt", "0123456789ABC"),
	     *t = put_tar(f, "m.tar", m, 2);
	const char *paths[4] = { j, ok, big, t };
	struct docs ds;

	/* 12 bytes: a line or document of 12 is kept, of 13 or more is not. */
	open_src(f, paths, 4, TN_INPUT_AUTO, 12);
	drain(f, &ds);
	assert_int_equal(ds.n, 7);
	check(f, &ds, 0, TN_DOC_ERROR, "a.jsonl:1", NULL, 0, 0);
	assert_true(contains(ds.d[0].data, "longer than --max-doc-bytes (12)"));
	check(f, &ds, 1, TN_DOC_ERROR, "a.jsonl:2", NULL, 0, 1);
	check(f, &ds, 2, TN_DOC_JSONL, "a.jsonl:3", "{\"t\": \"9\"}", 0, 2);
	check(f, &ds, 3, TN_DOC_TEXT, "ok.txt", "0123456789AB", 1, 0);
	check(f, &ds, 4, TN_DOC_ERROR, "big.txt", NULL, 2, 0);
	assert_true(contains(ds.d[4].data, "longer than --max-doc-bytes (12)"));
	check(f, &ds, 5, TN_DOC_TEXT, "m.tar:small.txt", "0123456789", 3, 0);
	check(f, &ds, 6, TN_DOC_ERROR, "m.tar:big.txt", NULL, 3, 1);
	docs_free(&ds);
	free(j);
	free(ok);
	free(big);
	free(t);
}

static void test_unreadable(void **state)
{
	struct fx *f = *state;
	char *in = tu_path(f->dir, "in"), *link = tu_path(f->dir, "in/b-dangling.txt"), *a, *c;
	const char *paths[1] = { in };
	struct docs ds;

	a = put_str(f, "in/a.txt", "readable");
	c = put_str(f, "in/c.txt", "readable too");
	assert_int_equal(symlink("/nonexistent/tenor/target", link), 0);
	open_src(f, paths, 1, TN_INPUT_AUTO, 1000);
	/* Listed in its place; reading it gives an error document, then the rest. */
	assert_int_equal(tn_source_nfiles(f->src), 3);
	drain(f, &ds);
	assert_int_equal(ds.n, 3);
	check(f, &ds, 0, TN_DOC_TEXT, "in/a.txt", "readable", 0, 0);
	check(f, &ds, 1, TN_DOC_ERROR, "in/b-dangling.txt", NULL, 1, 0);
	assert_true(contains(ds.d[1].data, link));
	check(f, &ds, 2, TN_DOC_TEXT, "in/c.txt", "readable too", 2, 0);
	docs_free(&ds);
	free(in);
	free(link);
	free(a);
	free(c);
}

/* Builds a JSONL body of n lines, long enough that a cut lands mid-stream. */
static char *lines_body(size_t n)
{
	size_t cap = n * 80 + 1, i, len = 0;
	char *b = malloc(cap);

	assert_non_null(b);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, "{\"id\": \"d%06zu\", \"text\": \"document number %06zu here\"}\n",
					i, i);
	assert_true(len < cap);
	return b;
}

static void test_truncated_zstd(void **state)
{
	struct fx *f = *state;
	char *body = lines_body(20000), *p = put_zstd(f, "t.jsonl.zst", body), *z;
	const char *paths[1] = { p };
	struct tn_raw_doc raw;
	uint64_t ok = 0, errors = 0, last_line = 0;
	size_t zlen;
	FILE *o;
	int r;

	/* Cut the compressed file in half. */
	o = fopen(p, "rb");
	assert_non_null(o);
	fseek(o, 0, SEEK_END);
	zlen = (size_t)ftell(o);
	rewind(o);
	z = malloc(zlen);
	assert_non_null(z);
	assert_int_equal(fread(z, 1, zlen, o), zlen);
	fclose(o);
	free(p);
	p = put(f, "t.jsonl.zst", z, zlen / 2);
	paths[0] = p;

	open_src(f, paths, 1, TN_INPUT_AUTO, 1000);
	while ((r = tn_source_next(f->src, &raw)) == 1) {
		if (raw.kind == TN_DOC_ERROR) {
			char want[64];

			errors++;
			/* The error takes the place of the line being read. */
			snprintf(want, sizeof(want), ":%llu", (unsigned long long)(last_line + 1));
			assert_true(contains(raw.id, want));
			assert_true(contains(raw.data, "runcated"));
		} else {
			assert_int_equal(raw.kind, TN_DOC_JSONL);
			assert_int_equal(raw.ordinal, ok);
			ok++;
			last_line = ok;
		}
	}
	assert_int_equal(r, 0);
	/* Some whole lines come first, then exactly one error, then nothing. */
	assert_true(ok > 0 && ok < 20000);
	assert_int_equal(errors, 1);
	free(body);
	free(z);
	free(p);
}

/* ---- resume and --part ---- */

static void test_seek(void **state)
{
	struct fx *f = *state;
	static const struct member m[] = {
		{ "m1.txt", "one" },
		{ "m2.jsonl", "{\"n\": 2}\n{\"n\": 3}\n" },
		{ "m3.txt", "four" },
	};
	char *a = put_str(f, "a.jsonl", "{\"n\": 0}\n{\"n\": 1}\n\n{\"n\": 2}\n"),
	     *t = put_str(f, "b.txt", "text b"),
	     *ar = put_tar(f, "c.tar", m, 3),
	     *d = put_str(f, "d.jsonl", "{\"n\": 0}\n{\"n\": 1}\n");
	const char *paths[4] = { a, t, ar, d };
	struct docs ds;

	/* Into the middle of a JSONL file (its blank line is not counted). */
	open_src(f, paths, 4, TN_INPUT_AUTO, 1000);
	tn_source_seek(f->src, 0, 2);
	drain(f, &ds);
	assert_int_equal(ds.n, 1 + 1 + 4 + 2);
	check(f, &ds, 0, TN_DOC_JSONL, "a.jsonl:4", "{\"n\": 2}", 0, 2);
	check(f, &ds, 1, TN_DOC_TEXT, "b.txt", "text b", 1, 0);
	docs_free(&ds);

	/* Past the end of a file: on to the next one. */
	open_src(f, paths, 4, TN_INPUT_AUTO, 1000);
	tn_source_seek(f->src, 0, 3);
	drain(f, &ds);
	assert_int_equal(ds.n, 1 + 4 + 2);
	check(f, &ds, 0, TN_DOC_TEXT, "b.txt", "text b", 1, 0);
	docs_free(&ds);

	/* Into an archive, inside its JSONL member. */
	open_src(f, paths, 4, TN_INPUT_AUTO, 1000);
	tn_source_seek(f->src, 2, 2);
	drain(f, &ds);
	assert_int_equal(ds.n, 2 + 2);
	check(f, &ds, 0, TN_DOC_JSONL, "c.tar:m2.jsonl:2", "{\"n\": 3}", 2, 2);
	check(f, &ds, 1, TN_DOC_TEXT, "c.tar:m3.txt", "four", 2, 3);
	check(f, &ds, 2, TN_DOC_JSONL, "d.jsonl:1", "{\"n\": 0}", 3, 0);
	/* The files passed over count as consumed. */
	assert_int_equal(tn_source_raw_bytes(f->src), tn_source_total_bytes(f->src));
	docs_free(&ds);

	/* Past a whole text member of the archive. */
	open_src(f, paths, 4, TN_INPUT_AUTO, 1000);
	tn_source_seek(f->src, 2, 1);
	drain(f, &ds);
	assert_int_equal(ds.n, 3 + 2);
	check(f, &ds, 0, TN_DOC_JSONL, "c.tar:m2.jsonl:1", "{\"n\": 2}", 2, 1);
	docs_free(&ds);

	/* Seeking to the start is the same as not seeking. */
	open_src(f, paths, 4, TN_INPUT_AUTO, 1000);
	tn_source_seek(f->src, 0, 0);
	drain(f, &ds);
	assert_int_equal(ds.n, 3 + 1 + 4 + 2);
	check(f, &ds, 0, TN_DOC_JSONL, "a.jsonl:1", "{\"n\": 0}", 0, 0);
	docs_free(&ds);

	/* Past every file. */
	open_src(f, paths, 4, TN_INPUT_AUTO, 1000);
	tn_source_seek(f->src, 4, 0);
	drain(f, &ds);
	assert_int_equal(ds.n, 0);
	free(a);
	free(t);
	free(ar);
	free(d);
}

/*
 * A tar cut inside its second member: that member is an error document and
 * ends the archive.  Resuming right after it must not yield anything more
 * (a skipped member used to fail again in the next header: one extra error
 * document, and shards that differ from the uninterrupted run's).
 */
static void test_seek_past_truncated_member(void **state)
{
	struct fx *f = *state;
	char big[20000];
	struct member m[3] = { { "m1.txt", "first member" }, { "m2.txt", big }, { "m3.txt", "third" } };
	char *t, *z, *cut, *after = NULL;
	const char *paths[2];
	struct docs ds;
	size_t zlen, i;
	FILE *o;

	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	t = put_tar(f, "whole.tar", m, 3);
	o = fopen(t, "rb");
	assert_non_null(o);
	fseek(o, 0, SEEK_END);
	zlen = (size_t)ftell(o);
	rewind(o);
	z = malloc(zlen);
	assert_non_null(z);
	assert_int_equal(fread(z, 1, zlen, o), zlen);
	fclose(o);
	/* The first member takes well under 4 KiB; cut 10000 bytes in. */
	cut = put(f, "cut.tar", z, 10000);
	after = put_str(f, "next.txt", "the next file");
	paths[0] = cut;
	paths[1] = after;

	open_src(f, paths, 2, TN_INPUT_AUTO, 100000);
	drain(f, &ds);
	assert_int_equal(ds.n, 3);
	check(f, &ds, 0, TN_DOC_TEXT, "cut.tar:m1.txt", "first member", 0, 0);
	check(f, &ds, 1, TN_DOC_ERROR, "cut.tar:m2.txt", NULL, 0, 1);
	check(f, &ds, 2, TN_DOC_TEXT, "next.txt", "the next file", 1, 0);
	docs_free(&ds);

	for (i = 0; i <= 2; i++) {
		open_src(f, paths, 2, TN_INPUT_AUTO, 100000);
		tn_source_seek(f->src, 0, i);
		drain(f, &ds);
		assert_int_equal(ds.n, 3 - i);
		check(f, &ds, ds.n - 1, TN_DOC_TEXT, "next.txt", "the next file", 1, 0);
		docs_free(&ds);
	}
	free(t);
	free(z);
	free(cut);
	free(after);
}

/* --part by file: part p of 3 over files of 1..7 documents reads exactly its range. */
static void test_select_files(void **state)
{
	struct fx *f = *state;
	char *p[7];
	const char *paths[7];
	struct docs ds;
	struct tn_part pt;
	struct tn_err err;
	long part;
	size_t i, total = 0;
	uint64_t next = 0;

	for (i = 0; i < 7; i++) {
		char name[32], body[64];
		size_t len = 0;

		snprintf(name, sizeof(name), "f%zu.jsonl", i);
		/* File i holds i + 1 documents. */
		for (size_t k = 0; k <= i; k++)
			len += (size_t)snprintf(body + len, sizeof(body) - len, "{}\n");
		assert_true(len < sizeof(body));
		p[i] = put_str(f, name, body);
		paths[i] = p[i];
	}
	for (part = 1; part <= 3; part++) {
		size_t want = 0;

		open_src(f, paths, 7, TN_INPUT_AUTO, 1000);
		assert_int_equal(tn_source_part(f->src, part, 3, &pt, &err), 0);
		assert_true(pt.by_file);
		assert_int_equal(pt.total, 7);
		/* Contiguous: each part starts where the previous one ended. */
		assert_int_equal(pt.lo, next);
		assert_true(pt.hi > pt.lo);
		next = pt.hi;
		drain(f, &ds);
		for (i = pt.lo; i < pt.hi; i++)
			want += i + 1;
		assert_int_equal(ds.n, want);
		for (i = 0; i < ds.n; i++) {
			assert_true(ds.d[i].input >= pt.lo && ds.d[i].input < pt.hi);
			assert_true(contains(ds.d[i].id, p[ds.d[i].input]));
		}
		/* Files passed over still count as consumed, for progress. */
		assert_int_equal(tn_source_raw_bytes(f->src), tn_source_total_bytes(f->src));
		total += ds.n;
		docs_free(&ds);
	}
	assert_int_equal(next, 7);
	assert_int_equal(total, 1 + 2 + 3 + 4 + 5 + 6 + 7);

	/* 1/1 selects everything; so does resuming inside a selected file. */
	open_src(f, paths, 7, TN_INPUT_AUTO, 1000);
	assert_int_equal(tn_source_part(f->src, 1, 1, &pt, &err), 0);
	drain(f, &ds);
	assert_int_equal(ds.n, 28);
	docs_free(&ds);
	open_src(f, paths, 7, TN_INPUT_AUTO, 1000);
	tn_source_select_files(f->src, 4, 6);
	tn_source_seek(f->src, 4, 3);
	drain(f, &ds);
	/* f4 from its 4th document (2 of its 5 left), then f5's 6; f6 is not selected. */
	assert_int_equal(ds.n, 2 + 6);
	assert_int_equal(ds.d[0].input, 4);
	assert_int_equal(ds.d[0].ordinal, 3);
	assert_int_equal(ds.d[ds.n - 1].input, 5);
	docs_free(&ds);

	/* By document (more parts than files): counted first, then read from the start again. */
	open_src(f, paths, 2, TN_INPUT_AUTO, 1000);
	assert_int_equal(tn_source_part(f->src, 2, 3, &pt, &err), 0);
	assert_false(pt.by_file);
	assert_int_equal(pt.total, 3);
	assert_int_equal(pt.lo, 1);
	assert_int_equal(pt.hi, 2);
	drain(f, &ds);
	assert_int_equal(ds.n, 3);
	assert_int_equal(ds.d[0].input, 0);
	docs_free(&ds);
	for (i = 0; i < 7; i++)
		free(p[i]);
}

/* By document, standard input cannot be counted and then read again: refused. */
static void test_part_stdin(void **state)
{
	struct fx *f = *state;
	const char *paths[1] = { "-" };
	struct tn_part pt;
	struct tn_err err;

	open_src(f, paths, 1, TN_INPUT_AUTO, 1000);
	assert_int_equal(tn_source_part(f->src, 1, 2, &pt, &err), TN_EINVAL);
	assert_non_null(strstr(err.msg, "standard input cannot be read twice"));
}

/*
 * The --part rule: the n ranges tile [0, nitems) in order; by count they are
 * floor(i * nitems / n); by weight every part has an item, and a heavy item
 * gets a part of its own.
 */
static void test_part_rule(void **state)
{
	uint64_t w[12], lo, hi, prev;
	long n, i;
	uint64_t k, m;

	(void)state;
	assert_false(tn_part_by_file(1, 10));
	assert_false(tn_part_by_file(3, 2));
	assert_true(tn_part_by_file(3, 3));
	for (n = 1; n <= 6; n++) {
		for (m = 0; m <= 40; m++) {
			prev = 0;
			for (i = 1; i <= n; i++) {
				tn_part_range(NULL, m, i, n, &lo, &hi);
				assert_true(lo == prev && hi >= lo);
				assert_true(hi == m * (uint64_t)i / (uint64_t)n);
				prev = hi;
			}
			assert_true(prev == m);
		}
	}
	for (k = 0; k < 12; k++)
		w[k] = (k * 37) % 11 * 100;
	for (n = 2; n <= 12; n++) {
		prev = 0;
		for (i = 1; i <= n; i++) {
			tn_part_range(w, 12, i, n, &lo, &hi);
			assert_true(lo == prev && hi > lo);
			prev = hi;
		}
		assert_true(prev == 12);
	}
	/* One big file among small ones: it is a part of its own, the rest share. */
	for (k = 0; k < 12; k++)
		w[k] = k == 2 ? 1000000 : 10;
	tn_part_range(w, 12, 1, 2, &lo, &hi);
	assert_true(lo == 0 && hi == 3);
	tn_part_range(w, 12, 2, 2, &lo, &hi);
	assert_true(lo == 3 && hi == 12);
	/* Equal sizes split evenly. */
	for (k = 0; k < 12; k++)
		w[k] = 500;
	for (i = 1; i <= 4; i++) {
		tn_part_range(w, 12, i, 4, &lo, &hi);
		assert_true(lo == (uint64_t)(i - 1) * 3 && hi == (uint64_t)i * 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_part_rule),
		cmocka_unit_test_setup_teardown(test_part_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_walk_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jsonl_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlf_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compressed_jsonl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_zstd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seek_past_truncated_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
