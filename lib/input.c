/*
 * input.c - libarchive-backed inputs and the line splitter; see input.h.
 */
#include "input.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define TN_INPUT_BLOCK (1 << 20)

struct tn_input {
	struct archive *a;
	char *path;
	int archive;       /* recognised as an archive of members */
	int started;       /* the first header was read at open time */
	char *first_name;  /* that header's path name and type */
	int first_regular;
	int member_open;
	int done;
	int empty;         /* the file is empty: one stream without data */
};

static int la_fail(struct tn_input *in, struct tn_err *err, const char *what)
{
	const char *m = archive_error_string(in->a);

	return tn_err_set(err, TN_EIO, "%s '%s': %s", what, in->path, m ? m : "unknown error");
}

int tn_input_open(struct tn_input **out, const char *path, int allow_archives, struct tn_err *err)
{
	struct tn_input *in = calloc(1, sizeof(*in));
	struct archive_entry *e;
	int r;

	*out = NULL;
	if (!in)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	in->path = strdup(path);
	in->a = archive_read_new();
	if (!in->path || !in->a) {
		tn_input_close(in);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	archive_read_support_filter_all(in->a);
	if (allow_archives) {
		archive_read_support_format_tar(in->a);
		archive_read_support_format_zip(in->a);
		archive_read_support_format_7zip(in->a);
	}
	archive_read_support_format_raw(in->a);
	archive_read_support_format_empty(in->a);
	if (strcmp(path, "-") == 0)
		r = archive_read_open_fd(in->a, 0, TN_INPUT_BLOCK);
	else
		r = archive_read_open_filename(in->a, path, TN_INPUT_BLOCK);
	if (r != ARCHIVE_OK) {
		r = la_fail(in, err, "open");
		tn_input_close(in);
		return r;
	}
	/* The format is known only after the first header. */
	r = archive_read_next_header(in->a, &e);
	if (r == ARCHIVE_EOF && (archive_format(in->a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_EMPTY) {
		/* An empty file is still one (empty) stream, as input.h promises. */
		in->empty = 1;
		in->started = 1;
		in->first_regular = 1;
		if (!(in->first_name = strdup("data"))) {
			tn_input_close(in);
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		}
	} else if (r == ARCHIVE_EOF) {
		in->done = 1;
	} else if (r < ARCHIVE_WARN) {
		r = la_fail(in, err, "read");
		tn_input_close(in);
		return r;
	} else {
		int fmt = archive_format(in->a) & ARCHIVE_FORMAT_BASE_MASK;

		in->archive = fmt != ARCHIVE_FORMAT_RAW && fmt != ARCHIVE_FORMAT_EMPTY;
		in->started = 1;
		in->first_name = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "data");
		in->first_regular = archive_entry_filetype(e) == AE_IFREG || !in->archive;
		if (!in->first_name) {
			tn_input_close(in);
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		}
	}
	*out = in;
	return 0;
}

void tn_input_close(struct tn_input *in)
{
	if (!in)
		return;
	if (in->a)
		archive_read_free(in->a);
	free(in->path);
	free(in->first_name);
	free(in);
}

int tn_input_is_archive(const struct tn_input *in)
{
	return in->archive;
}

int tn_input_next(struct tn_input *in, const char **name, int *is_regular, struct tn_err *err)
{
	struct archive_entry *e;
	int r;

	in->member_open = 0;
	if (in->done)
		return 0;
	if (in->started) {
		in->started = 0;
		*name = in->first_name;
		*is_regular = in->first_regular;
		in->member_open = 1;
		return 1;
	}
	if (!in->archive) {
		in->done = 1;
		return 0;
	}
	r = archive_read_next_header(in->a, &e);
	if (r == ARCHIVE_EOF) {
		in->done = 1;
		return 0;
	}
	if (r < ARCHIVE_WARN) {
		in->done = 1;
		return la_fail(in, err, "read");
	}
	*name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
	*is_regular = archive_entry_filetype(e) == AE_IFREG;
	in->member_open = 1;
	return 1;
}

int tn_input_read(struct tn_input *in, const void **data, size_t *len, struct tn_err *err)
{
	la_int64_t off;
	int r;

	if (!in->member_open || in->empty) {
		in->member_open = 0;
		return 0;
	}
	r = archive_read_data_block(in->a, data, len, &off);
	if (r == ARCHIVE_EOF) {
		in->member_open = 0;
		return 0;
	}
	if (r < ARCHIVE_WARN) {
		in->member_open = 0;
		in->done = 1;
		return la_fail(in, err, "read");
	}
	return 1;
}

uint64_t tn_input_raw_bytes(const struct tn_input *in)
{
	la_int64_t n = archive_filter_bytes(in->a, -1);

	return n > 0 ? (uint64_t)n : 0;
}

void tn_lines_init(struct tn_lines *l, struct tn_input *in, size_t max_line)
{
	memset(l, 0, sizeof(*l));
	l->in = in;
	l->max = max_line;
	tn_buf_init(&l->line);
}

void tn_lines_release(struct tn_lines *l)
{
	tn_buf_release(&l->line);
}

static void strip_cr(const char **line, size_t *len)
{
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
}

int tn_lines_next(struct tn_lines *l, const char **line, size_t *len, int *cut, struct tn_err *err)
{
	int over = 0;

	tn_buf_reset(&l->line);
	*cut = 0;
	for (;;) {
		const char *p, *nl;
		size_t avail;

		if (l->bpos >= l->blen) {
			const void *d;
			int r;

			if (l->eof)
				break;
			r = tn_input_read(l->in, &d, &l->blen, err);
			if (r < 0)
				return r;
			if (r == 0) {
				l->eof = 1;
				break;
			}
			l->blk = d;
			l->bpos = 0;
			continue;
		}
		p = l->blk + l->bpos;
		avail = l->blen - l->bpos;
		nl = memchr(p, '\n', avail);
		if (nl && l->line.len == 0 && !over) {
			/* The common case: the whole line lies inside the block. */
			size_t n = (size_t)(nl - p);

			l->bpos += n + 1;
			l->lineno++;
			*line = p;
			*len = n;
			/* The limit is on the line's content: a CRLF line's CR does not count. */
			strip_cr(line, len);
			if (*len > l->max) {
				*len = l->max;
				*cut = 1;
			}
			return 1;
		}
		{
			size_t n = nl ? (size_t)(nl - p) : avail;
			/* Room for max bytes, a CR and one more to tell a longer line. */
			size_t room = l->max + 2 > l->line.len ? l->max + 2 - l->line.len : 0;

			if (n > room) {
				over = 1;
				if (tn_buf_add(&l->line, p, room))
					return tn_err_set(err, TN_ENOMEM, "out of memory");
			} else if (tn_buf_add(&l->line, p, n)) {
				return tn_err_set(err, TN_ENOMEM, "out of memory");
			}
			l->bpos += n + (nl ? 1 : 0);
			if (nl)
				goto have_line;
		}
	}
	if (l->line.len == 0 && !over)
		return 0;
have_line:
	l->lineno++;
	*line = l->line.ptr;
	*len = l->line.len;
	if (!over)
		strip_cr(line, len);
	if (over || *len > l->max) {
		*len = l->max < *len ? l->max : *len;
		*cut = 1;
	}
	return 1;
}
