/*
 * source.c - expanding inputs and reading documents from them; see source.h.
 */
#include "source.h"
#include "corpus.h"
#include "csvrows.h"
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum state { ST_NEXT_FILE, ST_NEXT_MEMBER, ST_LINES, ST_CSV, ST_DONE };

struct tn_source {
	struct tn_source_file *files;
	size_t nfiles, cap;
	enum tn_input_format fmt;
	size_t max_doc;

	size_t cur;              /* current file; nfiles when done */
	uint64_t ordinal;        /* documents of the current file emitted so far */
	uint64_t skip;           /* documents of the current file to skip (resume) */
	uint64_t raw_done;       /* compressed bytes of finished files */
	struct tn_input *in;
	struct tn_lines lines;
	int lines_open;
	enum state st;
	int started;
	char *member;            /* current archive member's name, when reading lines */
	struct tn_csv *csv;      /* ST_CSV: the current stream's rows */
	int csv_header, csv_end; /* its header was read; its input ended */
	int select;              /* read only the files [sel_lo, sel_hi) */
	uint64_t sel_lo, sel_hi;
	struct tn_buf id, text, msg;
	/*
	 * The first bytes of the current stream or member, read to tell JSONL
	 * from a text by its first line (peek), handed out again before the rest:
	 * as the first block of its lines, or the start of its text.
	 */
	struct tn_buf pre;
	int pre_error;           /* reading them failed: pre_msg holds why */
	char pre_msg[TN_ERR_MSG_MAX];
};

/* The most read to find the end of the first line of a stream that may be JSONL. */
#define PEEK_MAX ((size_t)1 << 20)

static int add_entry(struct tn_source *s, const char *path, const struct stat *st, char *error)
{
	if (s->nfiles == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct tn_source_file *f = realloc(s->files, cap * sizeof(*f));

		if (!f) {
			free(error);
			return TN_ENOMEM;
		}
		s->files = f;
		s->cap = cap;
	}
	memset(&s->files[s->nfiles], 0, sizeof(s->files[s->nfiles]));
	s->files[s->nfiles].error = error;
	s->files[s->nfiles].path = strdup(path);
	if (!s->files[s->nfiles].path) {
		free(error);
		return TN_ENOMEM;
	}
	s->files[s->nfiles].stream = !st || !S_ISREG(st->st_mode);
	s->files[s->nfiles].size = st ? (uint64_t)st->st_size : 0;
	s->files[s->nfiles].mtime = st ? (int64_t)st->st_mtime : 0;
	s->nfiles++;
	return 0;
}

static int add_file(struct tn_source *s, const char *path, const struct stat *st)
{
	return add_entry(s, path, st, NULL);
}

/* A folder entry that cannot be read becomes an error document of its own. */
static int add_error(struct tn_source *s, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int add_error(struct tn_source *s, const char *path, const char *fmt, ...)
{
	struct tn_buf m = TN_BUF_INIT;
	char tmp[TN_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (tn_buf_addstr(&m, tmp))
		return TN_ENOMEM;
	return add_entry(s, path, NULL, tn_buf_detach(&m, NULL));
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define TN_MAX_DEPTH 64

/* The folders on the path from the input down to the one being walked. */
struct ancestors {
	dev_t dev[TN_MAX_DEPTH + 2];
	ino_t ino[TN_MAX_DEPTH + 2];
	int n;
};

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "of an unknown type";
}

/*
 * Adds the files under dir, sorted.  What cannot be walked (an unreadable
 * folder, one nested too deep, a link back to a folder above it, a FIFO or a
 * device) is added as an error entry, so that it yields one error record and
 * the run goes on.  Only TN_ENOMEM fails.
 */
static int walk(struct tn_source *s, const char *dir, const struct stat *dst, struct ancestors *up,
		struct tn_err *err)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0, k;

	for (k = 0; k < up->n; k++)
		if (up->dev[k] == dst->st_dev && up->ino[k] == dst->st_ino)
			return add_error(s, dir, "folder '%s' is a link back to a folder above it (a cycle); not walked again", dir)
				? tn_err_set(err, TN_ENOMEM, "out of memory") : 0;
	if (up->n > TN_MAX_DEPTH)
		return add_error(s, dir, "folder '%s' is nested deeper than %d levels; not walked", dir, TN_MAX_DEPTH)
			? tn_err_set(err, TN_ENOMEM, "out of memory") : 0;
	d = opendir(dir);
	if (!d)
		return add_error(s, dir, "cannot list folder '%s': %s", dir, strerror(errno))
			? tn_err_set(err, TN_ENOMEM, "out of memory") : 0;
	up->dev[up->n] = dst->st_dev;
	up->ino[up->n] = dst->st_ino;
	up->n++;
	errno = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			char **p;

			cap = cap ? 2 * cap : 64;
			p = realloc(names, cap * sizeof(*p));
			if (!p) {
				rc = TN_ENOMEM;
				break;
			}
			names = p;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = TN_ENOMEM;
			break;
		}
		n++;
		errno = 0;
	}
	if (!rc && errno)
		rc = add_error(s, dir, "cannot list folder '%s': %s", dir, strerror(errno));
	closedir(d);
	/* An empty folder leaves names NULL, which qsort must not be given. */
	if (!rc && n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n && !rc; i++) {
		struct tn_buf p = TN_BUF_INIT;
		struct stat st;

		if (tn_buf_addf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i])) {
			rc = TN_ENOMEM;
		} else if (stat(p.ptr, &st)) {
			/* A dangling link: report it as an unreadable document. */
			rc = add_file(s, p.ptr, NULL);
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(s, p.ptr, &st, up, err);
		} else if (S_ISREG(st.st_mode)) {
			rc = add_file(s, p.ptr, &st);
		} else {
			rc = add_error(s, p.ptr, "'%s' is not a regular file (%s); not read", p.ptr, file_kind(st.st_mode));
		}
		tn_buf_release(&p);
	}
	up->n--;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == TN_ENOMEM)
		tn_err_set(err, rc, "out of memory");
	return rc;
}

int tn_source_create(struct tn_source **out, const char *const *paths, size_t npaths,
		     enum tn_input_format fmt, size_t max_doc_bytes, struct tn_err *err)
{
	struct tn_source *s = calloc(1, sizeof(*s));
	size_t i;
	int rc = 0, stdin_seen = 0;

	*out = NULL;
	if (!s)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	s->fmt = fmt;
	s->max_doc = max_doc_bytes;
	tn_buf_init(&s->id);
	tn_buf_init(&s->text);
	tn_buf_init(&s->msg);
	tn_buf_init(&s->pre);
	for (i = 0; i < npaths && !rc; i++) {
		struct stat st;

		if (!strcmp(paths[i], "-")) {
			if (stdin_seen++)
				rc = tn_err_set(err, TN_EINVAL, "standard input ('-') is named twice");
			else if (add_file(s, "-", NULL))
				rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		} else if (stat(paths[i], &st)) {
			rc = tn_err_set(err, TN_EIO, "cannot read input '%s': %s", paths[i], strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			struct ancestors up;

			up.n = 0;
			rc = walk(s, paths[i], &st, &up, err);
		} else if (add_file(s, paths[i], &st)) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		}
	}
	if (rc) {
		tn_source_free(s);
		return rc;
	}
	s->st = ST_NEXT_FILE;
	*out = s;
	return 0;
}

static void close_current(struct tn_source *s)
{
	tn_csv_free(s->csv);
	s->csv = NULL;
	if (s->lines_open) {
		tn_lines_release(&s->lines);
		s->lines_open = 0;
	}
	if (s->in) {
		s->raw_done += tn_input_raw_bytes(s->in);
		tn_input_close(s->in);
		s->in = NULL;
	}
	free(s->member);
	s->member = NULL;
}

void tn_source_free(struct tn_source *s)
{
	size_t i;

	if (!s)
		return;
	close_current(s);
	for (i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].error);
	}
	free(s->files);
	tn_buf_release(&s->id);
	tn_buf_release(&s->text);
	tn_buf_release(&s->msg);
	tn_buf_release(&s->pre);
	free(s);
}

size_t tn_source_nfiles(const struct tn_source *s)
{
	return s->nfiles;
}

const struct tn_source_file *tn_source_file(const struct tn_source *s, size_t i)
{
	return &s->files[i];
}

uint64_t tn_source_total_bytes(const struct tn_source *s)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		if (!strcmp(s->files[i].path, "-"))
			return 0;
		t += s->files[i].size;
	}
	return t;
}

uint64_t tn_source_raw_bytes(const struct tn_source *s)
{
	return s->raw_done + (s->in ? tn_input_raw_bytes(s->in) : 0);
}

void tn_source_seek(struct tn_source *s, size_t input, uint64_t ordinal)
{
	size_t i;

	for (i = 0; i < input && i < s->nfiles; i++)
		s->raw_done += s->files[i].size;
	s->cur = input;
	s->skip = ordinal;
	s->started = 1;
}

int tn_source_ready(struct tn_source *s, int timeout_ms)
{
	const struct tn_source_file *f;

	switch (s->st) {
	case ST_LINES:
	case ST_CSV:
		return tn_lines_ready(&s->lines, timeout_ms);
	case ST_NEXT_MEMBER:
		return tn_input_ready(s->in, timeout_ms);
	case ST_NEXT_FILE:
		if (!s->started || s->cur >= s->nfiles)
			return 1;
		f = &s->files[s->cur];
		return f->error || !f->stream || (s->select && (s->cur < s->sel_lo || s->cur >= s->sel_hi));
	default:
		return 1;
	}
}

int tn_source_pollable(const struct tn_source *s)
{
	return s->st == ST_LINES || s->st == ST_CSV || s->st == ST_NEXT_MEMBER;
}

int tn_part_by_file(long n, size_t nfiles)
{
	return n > 1 && nfiles >= (size_t)n;
}

/* floor(a * i / n) without overflow for i <= n. */
static uint64_t share(uint64_t a, long i, long n)
{
	return a / (uint64_t)n * (uint64_t)i + a % (uint64_t)n * (uint64_t)i / (uint64_t)n;
}

/*
 * The boundary b_i (0 <= i <= n) of a split by weight: the first item
 * boundary at or after i/n of the total, moved so that every part keeps at
 * least one item (after b_{i-1}, leaving one for each later part).
 */
static uint64_t weight_bound(const uint64_t *w, uint64_t nitems, uint64_t total, long i, long n)
{
	uint64_t b = 0, cum = 0, k = 0;
	long j;

	if (i >= n)
		return nitems;
	for (j = 1; j <= i; j++) {
		uint64_t target = share(total, j, n);

		while (k < nitems && cum < target)
			cum += w[k++] + 1;
		b = k < b + 1 ? b + 1 : k;
		if (b > nitems - (uint64_t)(n - j))
			b = nitems - (uint64_t)(n - j);
	}
	return b;
}

void tn_part_range(const uint64_t *weights, uint64_t nitems, long i, long n, uint64_t *lo, uint64_t *hi)
{
	uint64_t total = 0, k;

	if (n <= 1) {
		*lo = 0;
		*hi = nitems;
		return;
	}
	if (!weights || nitems < (uint64_t)n) {
		*lo = share(nitems, i - 1, n);
		*hi = share(nitems, i, n);
		return;
	}
	for (k = 0; k < nitems; k++)
		total += weights[k] + 1;
	*lo = weight_bound(weights, nitems, total, i - 1, n);
	*hi = weight_bound(weights, nitems, total, i, n);
}

void tn_source_select_files(struct tn_source *s, uint64_t lo, uint64_t hi)
{
	s->select = 1;
	s->sel_lo = lo;
	s->sel_hi = hi;
}

/* Back to the first document, as if just created (not for standard input). */
static void rewind_source(struct tn_source *s)
{
	close_current(s);
	s->cur = 0;
	s->ordinal = 0;
	s->skip = 0;
	s->raw_done = 0;
	s->st = ST_NEXT_FILE;
	s->started = 0;
}

int tn_source_part(struct tn_source *s, long i, long n, struct tn_part *p, struct tn_err *err)
{
	struct tn_raw_doc doc;
	uint64_t *w;
	size_t k;
	int r;

	memset(p, 0, sizeof(*p));
	p->i = i;
	p->n = n;
	if (n <= 1) {
		p->hi = UINT64_MAX;
		return 0;
	}
	if (tn_part_by_file(n, s->nfiles)) {
		if (!(w = malloc(s->nfiles * sizeof(*w))))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		for (k = 0; k < s->nfiles; k++)
			w[k] = s->files[k].size;
		p->by_file = 1;
		p->total = s->nfiles;
		tn_part_range(w, s->nfiles, i, n, &p->lo, &p->hi);
		free(w);
		tn_source_select_files(s, p->lo, p->hi);
		return 0;
	}
	for (k = 0; k < s->nfiles; k++)
		if (!strcmp(s->files[k].path, "-"))
			return tn_err_set(err, TN_EINVAL, "--part %ld/%ld of %zu input%s splits by document, which counts "
					  "the documents first: standard input cannot be read twice; save it to a file",
					  i, n, s->nfiles, s->nfiles == 1 ? "" : "s");
	while ((r = tn_source_next(s, &doc)) == 1)
		p->total++;
	rewind_source(s);
	if (r < 0)
		return tn_err_set(err, r, "out of memory counting the documents for --part");
	tn_part_range(NULL, p->total, i, n, &p->lo, &p->hi);
	return 0;
}

/* Strips a compression suffix, then tells whether the name is JSONL. */
static int jsonl_name(const char *name)
{
	return tn_format_from_name(name) == TN_FORMAT_JSONL;
}

static int csv_name(const char *name)
{
	return tn_format_from_name(name) == TN_FORMAT_CSV;
}

/* Fills doc with an error record of the current file, message formatted. */
static int error_doc(struct tn_source *s, struct tn_raw_doc *doc, const char *id, const char *msg)
{
	tn_buf_reset(&s->id);
	tn_buf_reset(&s->msg);
	if (tn_buf_addstr(&s->id, id) || tn_buf_addstr(&s->msg, msg))
		return TN_ENOMEM;
	doc->kind = TN_DOC_ERROR;
	doc->data = s->msg.ptr;
	doc->len = s->msg.len;
	doc->id = s->id.ptr;
	return 1;
}

/* Reads the current member or stream whole, up to the size limit. */
static int read_whole(struct tn_source *s, struct tn_raw_doc *doc, const char *id)
{
	struct tn_err e;
	const void *blk;
	size_t n;
	int r, over = 0;

	tn_buf_reset(&s->text);
	/* What peek_lines read first is the start of the text. */
	if (s->pre.len > s->max_doc)
		over = 1;
	else if (tn_buf_add(&s->text, s->pre.ptr, s->pre.len))
		return TN_ENOMEM;
	tn_buf_reset(&s->pre);
	if (s->pre_error) {
		s->pre_error = 0;
		return error_doc(s, doc, id, s->pre_msg);
	}
	while ((r = tn_input_read(s->in, &blk, &n, &e)) == 1) {
		if (over)
			continue;
		if (s->text.len + n > s->max_doc) {
			over = 1;
			continue;
		}
		if (tn_buf_add(&s->text, blk, n))
			return TN_ENOMEM;
	}
	if (r < 0)
		return error_doc(s, doc, id, e.msg);
	if (over) {
		char m[96];

		snprintf(m, sizeof(m), "document longer than --max-doc-bytes (%zu)", s->max_doc);
		return error_doc(s, doc, id, m);
	}
	tn_buf_reset(&s->id);
	if (tn_buf_addstr(&s->id, id))
		return TN_ENOMEM;
	doc->kind = TN_DOC_TEXT;
	doc->data = s->text.ptr;
	doc->len = s->text.len;
	doc->id = s->id.ptr;
	return 1;
}

static void file_done(struct tn_source *s)
{
	close_current(s);
	s->cur++;
	s->ordinal = 0;
	s->skip = 0;
	s->st = ST_NEXT_FILE;
}

/* Counts a document of the current file; 1 if it is to be returned, 0 if skipped (resume). */
static int emit(struct tn_source *s, struct tn_raw_doc *doc)
{
	if (s->skip) {
		s->skip--;
		s->ordinal++;
		return 0;
	}
	doc->input = s->cur;
	doc->ordinal = s->ordinal++;
	return 1;
}

static const char *display_name(const struct tn_source_file *f)
{
	return strcmp(f->path, "-") ? f->path : "stdin";
}

/* The current member or stream holds lines (JSONL) rather than one text. */
static int holds_lines(const struct tn_source *s, const char *member)
{
	const struct tn_source_file *f = &s->files[s->cur];

	if (s->fmt == TN_INPUT_JSONL)
		return 1;
	if (s->fmt == TN_INPUT_TEXT)
		return 0;
	if (member)
		return jsonl_name(member);
	return !strcmp(f->path, "-") || jsonl_name(f->path);
}

/*
 * JSONL told by its content, for a stream or member whose name does not say:
 * its first non-blank byte is '{' and its first line (within PEEK_MAX bytes)
 * parses as a JSON object.  A text that merely starts with '{' (RTF, code, a
 * template) stays one text document.  The bytes read stay in s->pre, to be
 * read again.  1 for JSONL, 0 for a text, TN_ENOMEM.
 */
static int peek_lines(struct tn_source *s)
{
	size_t start = 0;
	struct tn_err e;

	tn_buf_reset(&s->pre);
	s->pre_error = 0;
	for (;;) {
		const void *blk;
		size_t n;
		int r;

		while (start < s->pre.len && strchr(" \t\r\n", s->pre.ptr[start]))
			start++;
		if (start < s->pre.len) {
			const char *nl;

			if (s->pre.ptr[start] != '{')
				return 0;
			nl = memchr(s->pre.ptr + start, '\n', s->pre.len - start);
			if (nl || s->pre.len >= PEEK_MAX || s->pre.len > s->max_doc) {
				json_t *j = nl ? json_loadb(s->pre.ptr + start, (size_t)(nl - s->pre.ptr - start), 0, NULL) : NULL;
				int obj = json_is_object(j);

				json_decref(j);
				return obj;
			}
		}
		r = tn_input_read(s->in, &blk, &n, &e);
		if (r == 0) {
			/* A one-line stream without its newline. */
			json_t *j = start < s->pre.len ? json_loadb(s->pre.ptr + start, s->pre.len - start, 0, NULL) : NULL;
			int obj = json_is_object(j);

			json_decref(j);
			return obj;
		}
		if (r < 0) {
			/* Damage before the first line ends: one error document, as a text's. */
			s->pre_error = 1;
			snprintf(s->pre_msg, sizeof(s->pre_msg), "%s", e.msg);
			return 0;
		}
		if (tn_buf_add(&s->pre, blk, n))
			return TN_ENOMEM;
	}
}

static int start_lines(struct tn_source *s, const char *member)
{
	free(s->member);
	s->member = NULL;
	if (member && !(s->member = strdup(member)))
		return TN_ENOMEM;
	tn_lines_init(&s->lines, s->in, s->max_doc);
	/* Bytes peek_lines read come first, as the first block. */
	s->lines.blk = s->pre.ptr;
	s->lines.blen = s->pre.len;
	s->lines.bpos = 0;
	s->lines_open = 1;
	s->st = ST_LINES;
	return 0;
}

static int start_csv(struct tn_source *s, const char *member)
{
	int rc = start_lines(s, member);

	if (rc)
		return rc;
	tn_csv_free(s->csv);
	s->csv = NULL;
	if (tn_csv_create(&s->csv))
		return TN_ENOMEM;
	s->csv_header = 0;
	s->csv_end = 0;
	s->st = ST_CSV;
	return 0;
}

/* The current CSV stream is over (its end, or damage): on to the next member or file. */
static void csv_done(struct tn_source *s)
{
	tn_csv_free(s->csv);
	s->csv = NULL;
	tn_lines_release(&s->lines);
	s->lines_open = 0;
	if (tn_input_is_archive(s->in))
		s->st = ST_NEXT_MEMBER;
	else
		file_done(s);
}

/* The fallback id of a CSV row or error at line ln: FILE:LINE or ARCHIVE:MEMBER:LINE, in s->id. */
static int csv_id(struct tn_source *s, uint64_t ln)
{
	const struct tn_source_file *f = &s->files[s->cur];

	tn_buf_reset(&s->id);
	return s->member ? tn_buf_addf(&s->id, "%s:%s:%llu", display_name(f), s->member, (unsigned long long)ln)
			 : tn_buf_addf(&s->id, "%s:%llu", display_name(f), (unsigned long long)ln);
}

/*
 * An error document at line ln of the current CSV stream; with fatal, the
 * stream ends after it (malformed CSV cannot be split into rows further).
 */
static int csv_error(struct tn_source *s, struct tn_raw_doc *doc, uint64_t ln, const char *why, int fatal)
{
	char *id;
	int r;

	if (csv_id(s, ln) || !(id = strdup(s->id.ptr)))
		return TN_ENOMEM;
	r = error_doc(s, doc, id, why);
	free(id);
	if (r == 1 && !emit(s, doc))
		r = 0;
	if (fatal)
		csv_done(s);
	return r;
}

/* One step of a CSV stream: 1 with a document, 0 to call again, <0 on error. */
static int step_csv(struct tn_source *s, struct tn_raw_doc *doc)
{
	struct tn_csv_row row;
	struct tn_err e;
	const char *line;
	size_t len;
	int r, cut;

	r = tn_csv_next_row(s->csv, &row);
	if (r < 0)
		return r;
	if (r == 1) {
		if (!s->csv_header) {
			r = tn_csv_set_header(s->csv, &row, &e);
			if (r)
				return r == TN_ENOMEM ? r : csv_error(s, doc, row.line, e.msg, 1);
			s->csv_header = 1;
			return 0;
		}
		r = tn_csv_row_json(s->csv, &row, &s->text, &e);
		if (r == TN_ENOMEM)
			return r;
		if (r)
			return csv_error(s, doc, row.line, e.msg, 0);
		if (s->text.len > s->max_doc) {
			/* Escaping can make a row's JSON longer than its bytes (a NUL is "\u0000"). */
			char m[160];

			snprintf(m, sizeof(m), "row longer than --max-doc-bytes (%zu) as a JSON object", s->max_doc);
			return csv_error(s, doc, row.line, m, 0);
		}
		if (!emit(s, doc))
			return 0;
		if (csv_id(s, row.line))
			return TN_ENOMEM;
		doc->kind = TN_DOC_JSONL;
		doc->data = s->text.ptr;
		doc->len = s->text.len;
		doc->id = s->id.ptr;
		return 1;
	}
	if (s->csv_end) {
		csv_done(s);
		return 0;
	}
	r = tn_lines_next(&s->lines, &line, &len, &cut, &e);
	if (r < 0)
		return r == TN_ENOMEM ? r : csv_error(s, doc, s->lines.lineno + 1, e.msg, 1);
	if (r == 0) {
		/* Rows still waiting go out first; then the stream ends. */
		s->csv_end = 1;
		r = tn_csv_finish(s->csv, &e);
		if (r)
			return r == TN_ENOMEM ? r : csv_error(s, doc, tn_csv_open_line(s->csv), e.msg, 1);
		return 0;
	}
	if (cut) {
		char m[160];

		snprintf(m, sizeof(m), "line longer than --max-doc-bytes (%zu); the rest of the CSV is not read", s->max_doc);
		return csv_error(s, doc, s->lines.lineno, m, 1);
	}
	r = tn_csv_feed_line(s->csv, line, len, s->lines.lineno, &e);
	if (r)
		return r == TN_ENOMEM ? r : csv_error(s, doc, s->lines.lineno, e.msg, 1);
	return 0;
}

/* 1 if the n bytes at s (not NUL-terminated) are all spaces, tabs and CRs. */
static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* One step of the current file: 1 with a document, 0 to call again, <0 on error. */
static int step(struct tn_source *s, struct tn_raw_doc *doc)
{
	const struct tn_source_file *f;
	const char *name;
	struct tn_err e;
	int r, regular;

	if (s->st == ST_NEXT_FILE) {
		if (s->cur >= s->nfiles) {
			s->st = ST_DONE;
			return 0;
		}
		if (s->select && (s->cur < s->sel_lo || s->cur >= s->sel_hi)) {
			s->raw_done += s->files[s->cur].size;
			s->cur++;
			s->skip = 0;
			return 0;
		}
		f = &s->files[s->cur];
		if (f->error) {
			r = error_doc(s, doc, f->path, f->error);
			if (r == 1 && !emit(s, doc))
				r = 0;
			file_done(s);
			return r;
		}
		if (tn_input_open(&s->in, f->path, 1, &e)) {
			r = error_doc(s, doc, display_name(f), e.msg);
			if (r == 1 && !emit(s, doc))
				r = 0;
			file_done(s);
			return r;
		}
		s->st = ST_NEXT_MEMBER;
	}
	f = &s->files[s->cur];
	if (s->st == ST_NEXT_MEMBER) {
		int archive = tn_input_is_archive(s->in);

		r = tn_input_next(s->in, &name, &regular, &e);
		if (r < 0) {
			/*
			 * Damage between members, named by its offset; the next call
			 * goes on to the next member that reads, or ends the file.
			 */
			tn_buf_reset(&s->text);
			if (tn_buf_addf(&s->text, "%s:@%llu", display_name(f),
					(unsigned long long)tn_input_error_offset(s->in)))
				return TN_ENOMEM;
			r = error_doc(s, doc, s->text.ptr, e.msg);
			if (r == 1 && !emit(s, doc))
				r = 0;
			if (!archive)
				file_done(s);
			return r;
		}
		if (r == 0) {
			file_done(s);
			return 0;
		}
		if (!regular)
			return 0;
		tn_buf_reset(&s->pre);
		s->pre_error = 0;
		if (s->fmt == TN_INPUT_CSV || (s->fmt == TN_INPUT_AUTO && csv_name(archive ? name : f->path)))
			return start_csv(s, archive ? name : NULL);
		if (holds_lines(s, archive ? name : NULL))
			return start_lines(s, archive ? name : NULL);
		if (s->fmt == TN_INPUT_AUTO) {
			r = peek_lines(s);
			if (r < 0)
				return r;
			if (r)
				return start_lines(s, archive ? name : NULL);
		}
		tn_buf_reset(&s->msg);
		if (archive ? tn_buf_addf(&s->msg, "%s:%s", display_name(f), name)
			    : tn_buf_addstr(&s->msg, display_name(f)))
			return TN_ENOMEM;
		if (s->skip) {
			/*
			 * Resuming.  A member is read through rather than skipped, so
			 * that one that fails to read ends the archive here, exactly as
			 * read_whole made it do in the interrupted run (a cheap skip
			 * would fail in the next header instead: one document too many).
			 */
			if (archive) {
				const void *blk;
				size_t n;

				while (tn_input_read(s->in, &blk, &n, &e) == 1)
					;
			}
			emit(s, doc);
			if (!archive)
				file_done(s);
			return 0;
		}
		{
			char *id = strdup(s->msg.ptr);

			if (!id)
				return TN_ENOMEM;
			r = read_whole(s, doc, id);
			free(id);
		}
		if (r == 1)
			emit(s, doc);
		if (!archive)
			file_done(s);
		return r;
	}
	if (s->st == ST_CSV)
		return step_csv(s, doc);
	if (s->st == ST_LINES) {
		const char *line;
		size_t len;
		int cut;

		r = tn_lines_next(&s->lines, &line, &len, &cut, &e);
		if (r == 0) {
			int archive = tn_input_is_archive(s->in);

			tn_lines_release(&s->lines);
			s->lines_open = 0;
			if (archive)
				s->st = ST_NEXT_MEMBER;
			else
				file_done(s);
			return 0;
		}
		tn_buf_reset(&s->id);
		{
			unsigned long long ln = (unsigned long long)s->lines.lineno + (r < 0 ? 1 : 0);
			/* "NAME[:MEMBER]:LINE", without tn_buf_addf: 2,000 instructions a line (callgrind). */
			int bad = tn_buf_addstr(&s->id, display_name(f)) ||
				  (s->member && (tn_buf_addch(&s->id, ':') || tn_buf_addstr(&s->id, s->member))) ||
				  tn_buf_addch(&s->id, ':') || tn_buf_add_u64(&s->id, ln);

			if (bad)
				return TN_ENOMEM;
		}
		if (r < 0) {
			char *id = strdup(s->id.ptr);

			if (!id)
				return TN_ENOMEM;
			r = error_doc(s, doc, id, e.msg);
			free(id);
			if (r == 1 && !emit(s, doc))
				r = 0;
			if (tn_input_is_archive(s->in)) {
				/* Damage in one member; the next may still read. */
				tn_lines_release(&s->lines);
				s->lines_open = 0;
				s->st = ST_NEXT_MEMBER;
			} else {
				file_done(s);
			}
			return r;
		}
		if (!cut && blank(line, len))
			return 0;  /* blank lines hold no document */
		if (!emit(s, doc))
			return 0;
		doc->id = s->id.ptr;
		if (cut) {
			char m[96];

			snprintf(m, sizeof(m), "line longer than --max-doc-bytes (%zu)", s->max_doc);
			tn_buf_reset(&s->msg);
			if (tn_buf_addstr(&s->msg, m))
				return TN_ENOMEM;
			doc->kind = TN_DOC_ERROR;
			doc->data = s->msg.ptr;
			doc->len = s->msg.len;
			return 1;
		}
		doc->kind = TN_DOC_JSONL;
		doc->data = line;
		doc->len = len;
		return 1;
	}
	return 0;
}

int tn_source_next(struct tn_source *s, struct tn_raw_doc *doc)
{
	int r;

	if (!s->started) {
		s->started = 1;
		s->cur = 0;
	}
	while (s->st != ST_DONE) {
		r = step(s, doc);
		if (r)
			return r;
	}
	return 0;
}
