/*
 * csvrows.c - CSV rows from lines, with libcsv; see csvrows.h.
 *
 * libcsv calls back once per field and once per row end.  Fields go into one
 * buffer per row (offsets, then pointers once the row is complete); complete
 * rows wait in a small queue, since one line may end several rows.  The line
 * a row starts on is the line being fed when its first byte is: a row opens
 * with the first line fed while no row is open.
 */
#include "csvrows.h"
#include "text.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

struct pending_row {
	struct tn_buf data;     /* fields back to back, each NUL-terminated */
	size_t *off, *len;
	size_t n, cap;
	uint64_t line;
};

struct tn_csv {
	struct csv_parser p;
	int failed;
	struct pending_row *q;      /* complete rows, q[head..count) */
	size_t head, count, qcap;
	struct pending_row cur;     /* the row being built */
	int cur_open;               /* bytes of a row have been fed */
	uint64_t lineno;
	int oom;
	const char **ptrs;          /* the row handed out */
	size_t nptrs;
	struct pending_row header;
	const char **hnames;
};

static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void row_release(struct pending_row *r)
{
	tn_buf_release(&r->data);
	free(r->off);
	free(r->len);
	memset(r, 0, sizeof(*r));
}

static void row_reset(struct pending_row *r)
{
	tn_buf_reset(&r->data);
	r->n = 0;
}

int tn_csv_create(struct tn_csv **out)
{
	struct tn_csv *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return TN_ENOMEM;
	if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI)) {
		free(c);
		return TN_ENOMEM;
	}
	/* RFC 4180: spaces are part of a field. */
	csv_set_space_func(&c->p, no_space);
	tn_buf_init(&c->cur.data);
	tn_buf_init(&c->header.data);
	*out = c;
	return 0;
}

void tn_csv_free(struct tn_csv *c)
{
	size_t i;

	if (!c)
		return;
	csv_free(&c->p);
	for (i = 0; i < c->qcap; i++)
		row_release(&c->q[i]);
	free(c->q);
	row_release(&c->cur);
	row_release(&c->header);
	free(c->ptrs);
	free(c->hnames);
	free(c);
}

static void on_field(void *s, size_t n, void *data)
{
	struct tn_csv *c = data;
	struct pending_row *r = &c->cur;

	if (c->oom)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		size_t *o = realloc(r->off, cap * sizeof(*o)), *l;

		if (!o) {
			c->oom = 1;
			return;
		}
		r->off = o;
		l = realloc(r->len, cap * sizeof(*l));
		if (!l) {
			c->oom = 1;
			return;
		}
		r->len = l;
		r->cap = cap;
	}
	r->off[r->n] = r->data.len;
	r->len[r->n] = n;
	if (tn_buf_add(&r->data, s ? s : "", s ? n : 0) || tn_buf_addch(&r->data, '\0')) {
		c->oom = 1;
		return;
	}
	r->n++;
}

/* Moves the current row to the end of the queue. */
static void on_row(int term, void *data)
{
	struct tn_csv *c = data;
	struct pending_row tmp;

	(void)term;
	if (c->oom)
		return;
	if (c->head + c->count == c->qcap) {
		if (c->head) {
			/* Slide the waiting rows to the front, keeping every slot's storage. */
			size_t i;

			for (i = 0; i < c->count; i++) {
				tmp = c->q[i];
				c->q[i] = c->q[c->head + i];
				c->q[c->head + i] = tmp;
			}
			c->head = 0;
		} else {
			size_t cap = c->qcap ? 2 * c->qcap : 4;
			struct pending_row *q = realloc(c->q, cap * sizeof(*q));

			if (!q) {
				c->oom = 1;
				return;
			}
			memset(q + c->qcap, 0, (cap - c->qcap) * sizeof(*q));
			for (size_t i = c->qcap; i < cap; i++)
				tn_buf_init(&q[i].data);
			c->q = q;
			c->qcap = cap;
		}
	}
	tmp = c->q[c->head + c->count];
	c->q[c->head + c->count] = c->cur;
	c->cur = tmp;
	row_reset(&c->cur);
	c->cur.line = c->lineno;   /* a row after a lone CR starts on the same line */
	c->count++;
	c->cur_open = 0;
}

int tn_csv_feed_line(struct tn_csv *c, const char *line, size_t len, uint64_t lineno, struct tn_err *err)
{
	static const char nl = '\n';
	size_t i;

	if (c->failed)
		return TN_EFORMAT;
	c->lineno = lineno;
	/*
	 * A row opens on this line unless one is open already (a quoted line
	 * break).  Outside a row, a line of only spaces and tabs is blank, as
	 * libcsv takes an empty one: no row.
	 */
	if (!c->cur_open) {
		for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++)
			;
		if (i == len)
			return 0;
		c->cur.line = lineno;
		c->cur_open = 1;
	}
	if (csv_parse(&c->p, line, len, on_field, on_row, c) != len ||
	    (!c->oom && csv_parse(&c->p, &nl, 1, on_field, on_row, c) != 1)) {
		c->failed = 1;
		if (csv_error(&c->p) == CSV_ENOMEM || c->oom)
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		return tn_err_set(err, TN_EFORMAT, "malformed CSV at line %llu: a quote inside an unquoted field, "
				  "or something other than a comma or the line's end after a closing quote",
				  (unsigned long long)lineno);
	}
	if (c->oom) {
		c->failed = 1;
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	return 0;
}

int tn_csv_finish(struct tn_csv *c, struct tn_err *err)
{
	if (c->failed)
		return TN_EFORMAT;
	if (csv_fini(&c->p, on_field, on_row, c)) {
		c->failed = 1;
		return tn_err_set(err, TN_EFORMAT, "malformed CSV: the quoted field opened at line %llu is never closed",
				  (unsigned long long)c->cur.line);
	}
	if (c->oom) {
		c->failed = 1;
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	return 0;
}

uint64_t tn_csv_open_line(const struct tn_csv *c)
{
	return c->cur.line;
}

/* Points ptrs at the fields of r. 0 or TN_ENOMEM. */
static int field_ptrs(const char ***ptrs, size_t *nptrs, const struct pending_row *r)
{
	size_t i;

	if (r->n > *nptrs) {
		const char **p = realloc(*ptrs, r->n * sizeof(*p));

		if (!p)
			return TN_ENOMEM;
		*ptrs = p;
		*nptrs = r->n;
	}
	for (i = 0; i < r->n; i++)
		(*ptrs)[i] = r->data.ptr + r->off[i];
	return 0;
}

int tn_csv_next_row(struct tn_csv *c, struct tn_csv_row *row)
{
	struct pending_row *r;

	if (!c->count)
		return 0;
	r = &c->q[c->head];
	c->head++;
	c->count--;
	if (!c->count)
		c->head = 0;
	if (field_ptrs(&c->ptrs, &c->nptrs, r))
		return TN_ENOMEM;
	row->nfields = r->n;
	row->field = c->ptrs;
	row->len = r->len;
	row->line = r->line;
	return 1;
}

int tn_csv_set_header(struct tn_csv *c, const struct tn_csv_row *row, struct tn_err *err)
{
	struct pending_row *h = &c->header;
	size_t i, j, bad;

	row_reset(h);
	free(h->off);
	free(h->len);
	h->off = calloc(row->nfields ? row->nfields : 1, sizeof(*h->off));
	h->len = calloc(row->nfields ? row->nfields : 1, sizeof(*h->len));
	h->cap = row->nfields;
	if (!h->off || !h->len)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (i = 0; i < row->nfields; i++) {
		if (!row->len[i])
			return tn_err_set(err, TN_EFORMAT, "its header (line %llu) has an empty column name (column %zu)",
					  (unsigned long long)row->line, i + 1);
		if (strlen(row->field[i]) != row->len[i] || !tn_text_valid_utf8(row->field[i], row->len[i], &bad))
			return tn_err_set(err, TN_EFORMAT, "its header (line %llu) has a column name that is not UTF-8 text (column %zu)",
					  (unsigned long long)row->line, i + 1);
		for (j = 0; j < i; j++)
			if (!strcmp(row->field[i], row->field[j]))
				return tn_err_set(err, TN_EFORMAT, "its header (line %llu) names column '%s' twice",
						  (unsigned long long)row->line, row->field[i]);
		h->off[i] = h->data.len;
		h->len[i] = row->len[i];
		if (tn_buf_add(&h->data, row->field[i], row->len[i] + 1))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	h->n = row->nfields;
	h->line = row->line;
	free(c->hnames);
	c->hnames = NULL;
	{
		size_t n = 0;

		if (field_ptrs(&c->hnames, &n, h))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	return 0;
}

long tn_csv_column(const struct tn_csv *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->header.n; i++)
		if (!strcmp(c->hnames[i], name))
			return (long)i;
	return -1;
}

int tn_csv_header_names(const struct tn_csv *c, struct tn_buf *out)
{
	size_t i;

	for (i = 0; i < c->header.n; i++)
		if (tn_buf_addf(out, "%s%s", i ? ", " : "", c->hnames[i]))
			return TN_ENOMEM;
	return 0;
}

int tn_csv_row_json(const struct tn_csv *c, const struct tn_csv_row *row, struct tn_buf *out, struct tn_err *err)
{
	size_t i;

	tn_buf_reset(out);
	if (row->nfields != c->header.n)
		return tn_err_set(err, TN_EFORMAT, "row has %zu field%s, the header %zu", row->nfields,
				  row->nfields == 1 ? "" : "s", c->header.n);
	if (tn_buf_addch(out, '{'))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (i = 0; i < row->nfields; i++) {
		if (!row->len[i])
			continue;   /* an empty cell is an absent field */
		if ((out->len > 1 && tn_buf_addstr(out, ", ")) ||
		    tn_buf_add_json_string(out, c->hnames[i], c->header.len[i]) || tn_buf_addstr(out, ": ") ||
		    tn_buf_add_json_string(out, row->field[i], row->len[i]))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	if (tn_buf_addch(out, '}'))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	return 0;
}
