/*
 * corpus.c - loading labeled corpora; see corpus.h.
 *
 * Records are parsed one line at a time (corpus_formats.c: JSONL, TSV,
 * fastText); labels are interned into per-head class lists in order of first
 * appearance and renumbered in sorted order once the whole corpus is read, so
 * class ids do not depend on record order.
 */
#include "corpus.h"
#include "csvrows.h"
#include "corpus_internal.h"
#include "buf.h"
#include "input.h"
#include "text.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void tn_corpus_opts_default(struct tn_corpus_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = TN_FORMAT_AUTO;
	o->text_field = "text";
	o->max_line = TN_MAX_DOC_BYTES_DEFAULT;
}

void tn_corpus_init(struct tn_corpus *c)
{
	memset(c, 0, sizeof(*c));
}

void tn_corpus_release(struct tn_corpus *c)
{
	size_t i, k;

	if (!c)
		return;
	for (i = 0; i < c->ndocs; i++)
		free(c->text[i]);
	free(c->text);
	free(c->len);
	free(c->label);
	free(c->group);
	free(c->group_field);
	for (i = 0; i < c->nheads; i++) {
		for (k = 0; k < c->heads[i].nclass; k++)
			free(c->heads[i].classes[k]);
		free(c->heads[i].classes);
		free(c->heads[i].name);
	}
	free(c->heads);
	for (i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	tn_corpus_init(c);
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

enum tn_format tn_format_from_name(const char *path)
{
	static const char *const compressed[] = { ".gz", ".zst", ".zstd", ".xz", ".bz2", ".lz4" };
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof(compressed) / sizeof(*compressed); i++)
		if (ends_with(path, n, compressed[i])) {
			n -= strlen(compressed[i]);
			break;
		}
	if (ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson") || ends_with(path, n, ".json"))
		return TN_FORMAT_JSONL;
	if (ends_with(path, n, ".tsv") || ends_with(path, n, ".tab"))
		return TN_FORMAT_TSV;
	if (ends_with(path, n, ".csv"))
		return TN_FORMAT_CSV;
	if (ends_with(path, n, ".ft") || ends_with(path, n, ".fasttext") || ends_with(path, n, ".txt"))
		return TN_FORMAT_FASTTEXT;
	return TN_FORMAT_AUTO;
}

const char *tn_format_name(enum tn_format f)
{
	switch (f) {
	case TN_FORMAT_JSONL: return "jsonl";
	case TN_FORMAT_TSV: return "tsv";
	case TN_FORMAT_FASTTEXT: return "fasttext";
	case TN_FORMAT_CSV: return "csv";
	default: return "auto";
	}
}

int tn_format_parse(const char *s)
{
	if (!strcmp(s, "auto")) return TN_FORMAT_AUTO;
	if (!strcmp(s, "jsonl")) return TN_FORMAT_JSONL;
	if (!strcmp(s, "tsv")) return TN_FORMAT_TSV;
	if (!strcmp(s, "fasttext")) return TN_FORMAT_FASTTEXT;
	if (!strcmp(s, "csv")) return TN_FORMAT_CSV;
	return -1;
}

/* Index of head `name`, adding it when discovering; -1 if not a head. */
int tn_loader_head_index(struct tn_loader *L, const char *name, int may_add, struct tn_err *err, int *rc)
{
	struct tn_corpus *c = L->c;
	size_t i;

	*rc = 0;
	for (i = 0; i < c->nheads; i++)
		if (!strcmp(c->heads[i].name, name))
			return (int)i;
	if (!may_add)
		return -1;
	if (c->nheads >= TN_MAX_HEADS) {
		*rc = tn_err_set(err, TN_EINVAL, "read '%s' line %llu: more than %d label fields",
				 L->path, (unsigned long long)L->lineno, TN_MAX_HEADS);
		return -1;
	}
	{
		struct tn_corpus_head *h = realloc(c->heads, (c->nheads + 1) * sizeof(*h));
		size_t *cc;

		if (!h)
			goto oom;
		c->heads = h;
		cc = realloc(L->cls_cap, (c->nheads + 1) * sizeof(*cc));
		if (!cc)
			goto oom;
		L->cls_cap = cc;
		memset(&h[c->nheads], 0, sizeof(*h));
		cc[c->nheads] = 0;
		h[c->nheads].name = strdup(name);
		if (!h[c->nheads].name)
			goto oom;
		/* Earlier documents lack the new head: widen the label matrix. */
		if (c->ndocs) {
			int32_t *nl = malloc(c->cap * (c->nheads + 1) * sizeof(*nl));
			size_t d, k;

			if (!nl) {
				free(h[c->nheads].name);
				goto oom;
			}
			for (d = 0; d < c->ndocs; d++) {
				for (k = 0; k < c->nheads; k++)
					nl[d * (c->nheads + 1) + k] = c->label[d * c->nheads + k];
				nl[d * (c->nheads + 1) + c->nheads] = -1;
			}
			free(c->label);
			c->label = nl;
		} else if (c->cap) {
			int32_t *nl = realloc(c->label, c->cap * (c->nheads + 1) * sizeof(*nl));

			if (!nl) {
				free(h[c->nheads].name);
				goto oom;
			}
			c->label = nl;
		}
		c->nheads++;
		return (int)(c->nheads - 1);
	}
oom:
	*rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	return -1;
}

/* Class id of `value` in head h, interning it unless evaluating against `like`. */
static int32_t class_id(struct tn_loader *L, size_t h, const char *value, size_t vlen,
			struct tn_err *err, int *rc)
{
	struct tn_corpus_head *hd = &L->c->heads[h];
	size_t k;

	*rc = 0;
	for (k = 0; k < hd->nclass; k++)
		if (strlen(hd->classes[k]) == vlen && !memcmp(hd->classes[k], value, vlen))
			return (int32_t)k;
	if (L->o->like) {
		*rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: label '%.*s' of '%s' is not a class of the model",
				 L->path, (unsigned long long)L->lineno, (int)(vlen > 64 ? 64 : vlen), value, hd->name);
		return -1;
	}
	if (hd->nclass >= TN_MAX_CLASSES) {
		*rc = tn_err_set(err, TN_EINVAL, "read '%s' line %llu: label field '%s' has more than %d classes",
				 L->path, (unsigned long long)L->lineno, hd->name, TN_MAX_CLASSES);
		return -1;
	}
	if (hd->nclass == L->cls_cap[h]) {
		size_t cap = L->cls_cap[h] ? 2 * L->cls_cap[h] : 8;
		char **p = realloc(hd->classes, cap * sizeof(*p));

		if (!p)
			goto oom;
		hd->classes = p;
		L->cls_cap[h] = cap;
	}
	hd->classes[hd->nclass] = strndup(value, vlen);
	if (!hd->classes[hd->nclass])
		goto oom;
	return (int32_t)hd->nclass++;
oom:
	*rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	return -1;
}

/* Appends a document (text copied) with all labels missing; returns its index. */
int tn_loader_add_doc(struct tn_loader *L, const char *text, size_t len, size_t *idx)
{
	struct tn_corpus *c = L->c;
	size_t k;

	if (c->ndocs == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		char **t = realloc(c->text, cap * sizeof(*t));
		size_t *l;
		int32_t *lab;

		if (!t)
			return TN_ENOMEM;
		c->text = t;
		l = realloc(c->len, cap * sizeof(*l));
		if (!l)
			return TN_ENOMEM;
		c->len = l;
		lab = realloc(c->label, cap * (c->nheads ? c->nheads : 1) * sizeof(*lab));
		if (!lab)
			return TN_ENOMEM;
		c->label = lab;
		if (L->o->group_field) {
			uint64_t *g = realloc(c->group, cap * sizeof(*g));

			if (!g)
				return TN_ENOMEM;
			c->group = g;
		}
		c->cap = cap;
	}
	c->text[c->ndocs] = strndup(text, len);
	if (!c->text[c->ndocs])
		return TN_ENOMEM;
	c->len[c->ndocs] = len;
	if (c->group)
		c->group[c->ndocs] = 0;   /* no group yet (finish_groups) */
	for (k = 0; k < c->nheads; k++)
		c->label[c->ndocs * c->nheads + k] = -1;
	c->bytes += len;
	*idx = c->ndocs++;
	return 0;
}

int tn_loader_check_text(struct tn_loader *L, const char *s, size_t n, struct tn_err *err)
{
	size_t bad;

	if (tn_text_valid_utf8(s, n, &bad))
		return 0;
	return tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: %s at byte %zu",
			  L->path, (unsigned long long)L->lineno,
			  s[bad] ? "invalid UTF-8" : "NUL byte", bad);
}

int tn_loader_set_label(struct tn_loader *L, size_t doc, size_t h, const char *v, size_t n, struct tn_err *err)
{
	int rc;
	int32_t id;

	if (n == 0)
		return 0;
	id = class_id(L, h, v, n, err, &rc);
	if (rc)
		return rc;
	L->c->label[doc * L->c->nheads + h] = id;
	return 0;
}

void tn_loader_set_group(struct tn_loader *L, size_t doc, const char *v, size_t n)
{
	uint64_t h;

	if (n == 0)
		return;
	h = XXH3_64bits(v, n);
	L->c->group[doc] = h ? h : 1;   /* 0 marks "no group field" until finish_groups */
}

/* Documents without the group field become groups of their own. */
static int finish_groups(struct tn_corpus *c, const char *field, struct tn_err *err)
{
	size_t d;

	if (!c->group)
		return 0;
	c->group_missing = 0;
	for (d = 0; d < c->ndocs; d++) {
		if (c->group[d])
			continue;
		c->group[d] = XXH3_64bits_withSeed(&d, sizeof(d), 0x67726f7570);
		c->group_missing++;
	}
	if (c->ndocs && c->group_missing == c->ndocs)
		return tn_err_set(err, TN_EINVAL, "no record has the group field '%s'", field);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t tn_count_distinct(uint64_t *v, size_t n)
{
	size_t i, d = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		d += i == 0 || v[i] != v[i - 1];
	return d;
}

size_t tn_corpus_group_count(const struct tn_corpus *c)
{
	uint64_t *g;
	size_t n;

	if (!c->group || !c->ndocs || !(g = malloc(c->ndocs * sizeof(*g))))
		return 0;
	memcpy(g, c->group, c->ndocs * sizeof(*g));
	n = tn_count_distinct(g, c->ndocs);
	free(g);
	return n;
}

static int keep_error(struct tn_corpus *c, const struct tn_err *e)
{
	c->nskipped++;
	if (c->nerrors < TN_CORPUS_KEEP_ERRORS) {
		c->errors[c->nerrors] = strdup(e->msg);
		if (!c->errors[c->nerrors])
			return TN_ENOMEM;
		c->nerrors++;
	}
	return 0;
}

/*
 * The rows of a CSV file after its header, each read as the JSONL record of
 * the same fields (csvrows.h).  A row that cannot be read is skipped with
 * --on-error skip; malformed CSV stops the file (nothing after it can be
 * split into rows with any confidence).
 */
static int load_csv(struct tn_loader *L, struct tn_lines *lines, struct tn_err *err)
{
	const struct tn_corpus_opts *o = L->o;
	struct tn_buf json = TN_BUF_INIT;
	struct tn_csv *csv = NULL;
	struct tn_csv_row row;
	struct tn_err e;
	const char *line;
	size_t len;
	int r, cut, rc = 0, header = 0, end = 0;

	if (tn_csv_create(&csv))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	while (!rc) {
		r = tn_csv_next_row(csv, &row);
		if (r < 0) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			break;
		}
		if (r == 1) {
			L->lineno = row.line;
			if (!header) {
				rc = tn_csv_set_header(csv, &row, &e);
				if (rc) {
					rc = rc == TN_ENOMEM ? tn_err_set(err, rc, "out of memory")
							     : tn_err_set(err, rc, "read '%s': %s", L->path, e.msg);
					break;
				}
				if (tn_csv_column(csv, o->text_field) < 0 ||
				    (o->group_field && tn_csv_column(csv, o->group_field) < 0)) {
					struct tn_buf names = TN_BUF_INIT;
					int text = tn_csv_column(csv, o->text_field) < 0;

					tn_csv_header_names(csv, &names);
					rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: the header has no '%s' column%s (it has %s)",
							L->path, (unsigned long long)row.line,
							text ? o->text_field : o->group_field, text ? "" : " (the group field)", names.ptr);
					tn_buf_release(&names);
					break;
				}
				header = 1;
				continue;
			}
			rc = tn_csv_row_json(csv, &row, &json, &e);
			if (rc == TN_EFORMAT)
				rc = tn_err_set(err, rc, "read '%s' line %llu: %s", L->path, (unsigned long long)row.line, e.msg);
			else if (rc)
				rc = tn_err_set(err, rc, "out of memory");
			else
				rc = tn_loader_parse_jsonl(L, json.ptr, json.len, err);
			if (rc == TN_EFORMAT && o->skip_errors)
				rc = keep_error(L->c, (const struct tn_err *)err);
			continue;
		}
		if (end)
			break;
		r = tn_lines_next(lines, &line, &len, &cut, err);
		if (r < 0) {
			rc = r;
			break;
		}
		if (r == 0) {
			end = 1;
			rc = tn_csv_finish(csv, &e);
			if (rc)
				rc = rc == TN_ENOMEM ? tn_err_set(err, rc, "out of memory")
						     : tn_err_set(err, rc, "read '%s': %s", L->path, e.msg);
			continue;
		}
		L->lineno = lines->lineno;
		if (cut) {
			rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: line longer than %zu bytes",
					L->path, (unsigned long long)L->lineno, o->max_line);
			break;
		}
		rc = tn_csv_feed_line(csv, line, len, lines->lineno, &e);
		if (rc)
			rc = rc == TN_ENOMEM ? tn_err_set(err, rc, "out of memory")
					     : tn_err_set(err, rc, "read '%s': %s", L->path, e.msg);
	}
	if (!rc && !header)
		rc = tn_err_set(err, TN_EFORMAT, "read '%s': no header row (a CSV corpus starts with its column names)", L->path);
	tn_buf_release(&json);
	tn_csv_free(csv);
	return rc;
}

static int load_one(struct tn_loader *L, const char *path, struct tn_err *err)
{
	const struct tn_corpus_opts *o = L->o;
	enum tn_format fmt = o->format;
	struct tn_input *in = NULL;
	struct tn_lines lines;
	struct tn_tsv_state st;
	const char *name, *line;
	size_t len;
	int regular, cut, r, rc = 0, header_done = 0;

	memset(&st, 0, sizeof(st));
	tn_buf_init(&st.b);
	L->path = path;
	L->lineno = 0;
	if (fmt == TN_FORMAT_AUTO)
		fmt = tn_format_from_name(path);
	rc = tn_input_open(&in, path, 0, err);
	if (rc)
		return rc;
	r = tn_input_next(in, &name, &regular, err);
	if (r <= 0) {
		tn_input_close(in);
		return r;
	}
	tn_lines_init(&lines, in, o->max_line);
	if (fmt == TN_FORMAT_CSV) {
		rc = load_csv(L, &lines, err);
		r = 0;
	}
	while (fmt != TN_FORMAT_CSV && (r = tn_lines_next(&lines, &line, &len, &cut, err)) == 1) {
		L->lineno = lines.lineno;
		if (len == 0 || (len == strspn(line, " \t") && fmt != TN_FORMAT_TSV))
			continue;
		if (fmt == TN_FORMAT_AUTO) {
			/* Sniff the first non-empty line. */
			if (line[0] == '{')
				fmt = TN_FORMAT_JSONL;
			else if (len >= 9 && !memcmp(line, "__label__", 9))
				fmt = TN_FORMAT_FASTTEXT;
			else if (memchr(line, '\t', len))
				fmt = TN_FORMAT_TSV;
			else {
				rc = tn_err_set(err, TN_EFORMAT, "read '%s': cannot tell its format (JSONL, TSV or fastText); name it with --format",
						path);
				break;
			}
		}
		if (cut) {
			rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: record longer than %zu bytes",
					path, (unsigned long long)L->lineno, o->max_line);
		} else if (fmt == TN_FORMAT_JSONL) {
			rc = tn_loader_parse_jsonl(L, line, len, err);
		} else if (fmt == TN_FORMAT_FASTTEXT && o->group_field) {
			rc = tn_err_set(err, TN_EINVAL, "read '%s': fastText records have no fields to group by; "
					"the group field needs JSONL, CSV or TSV", path);
			break;
		} else if (fmt == TN_FORMAT_FASTTEXT) {
			rc = tn_loader_parse_fasttext(L, line, len, err);
		} else if (!header_done) {
			rc = tn_loader_parse_tsv_header(L, &st, line, len, err);
			if (rc)
				break;  /* without a header nothing else can be read */
			header_done = 1;
			continue;
		} else {
			rc = tn_loader_parse_tsv(L, &st, line, len, err);
		}
		if (rc == TN_EFORMAT && o->skip_errors) {
			rc = keep_error(L->c, (const struct tn_err *)err);
			if (rc)
				break;
			continue;
		}
		if (rc)
			break;
	}
	if (r < 0)
		rc = r;
	tn_lines_release(&lines);
	tn_input_close(in);
	tn_buf_release(&st.b);
	free(st.f);
	free(st.fl);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Renumbers each head's classes in sorted order. */
static int sort_classes(struct tn_corpus *c)
{
	size_t h, k, d;

	for (h = 0; h < c->nheads; h++) {
		struct tn_corpus_head *hd = &c->heads[h];
		char **sorted;
		int32_t *map;

		if (hd->nclass < 2)
			continue;
		sorted = malloc(hd->nclass * sizeof(*sorted));
		map = malloc(hd->nclass * sizeof(*map));
		if (!sorted || !map) {
			free(sorted);
			free(map);
			return TN_ENOMEM;
		}
		memcpy(sorted, hd->classes, hd->nclass * sizeof(*sorted));
		qsort(sorted, hd->nclass, sizeof(*sorted), cmp_str);
		for (k = 0; k < hd->nclass; k++) {
			size_t j;

			for (j = 0; j < hd->nclass; j++)
				if (sorted[j] == hd->classes[k])
					map[k] = (int32_t)j;
		}
		for (d = 0; d < c->ndocs; d++) {
			int32_t *l = &c->label[d * c->nheads + h];

			if (*l >= 0)
				*l = map[*l];
		}
		free(hd->classes);
		hd->classes = sorted;
		free(map);
	}
	return 0;
}

/* Evaluation: start with the training corpus's heads and classes. */
static int copy_heads(struct tn_loader *L, const struct tn_corpus *like)
{
	struct tn_corpus *c = L->c;
	size_t h, k;

	c->heads = calloc(like->nheads ? like->nheads : 1, sizeof(*c->heads));
	L->cls_cap = calloc(like->nheads ? like->nheads : 1, sizeof(*L->cls_cap));
	if (!c->heads || !L->cls_cap)
		return TN_ENOMEM;
	for (h = 0; h < like->nheads; h++) {
		struct tn_corpus_head *d = &c->heads[h];

		c->nheads++;
		d->name = strdup(like->heads[h].name);
		d->classes = calloc(like->heads[h].nclass + 1, sizeof(char *));
		if (!d->name || !d->classes)
			return TN_ENOMEM;
		for (k = 0; k < like->heads[h].nclass; k++) {
			d->classes[k] = strdup(like->heads[h].classes[k]);
			if (!d->classes[k])
				return TN_ENOMEM;
			d->nclass++;
		}
		L->cls_cap[h] = d->nclass + 1;
	}
	return 0;
}

int tn_corpus_load(struct tn_corpus *c, const char *const *paths, size_t npaths,
		   const struct tn_corpus_opts *o, struct tn_err *err)
{
	struct tn_loader L;
	struct tn_err own;
	size_t i;
	int rc = 0;

	/* Skipped records keep their messages even when the caller wants none. */
	if (!err)
		err = &own;
	memset(&L, 0, sizeof(L));
	L.c = c;
	L.o = o;
	if (o->like) {
		rc = copy_heads(&L, o->like);
	} else if (o->labels) {
		for (i = 0; i < o->nlabels && !rc; i++) {
			if (!strcmp(o->labels[i], o->text_field)) {
				rc = tn_err_set(err, TN_EINVAL, "label field '%s' is the text field", o->labels[i]);
				break;
			}
			tn_loader_head_index(&L, o->labels[i], 1, err, &rc);
		}
	}
	if (rc == TN_ENOMEM)
		tn_err_set(err, rc, "out of memory");
	if (!rc && o->group_field) {
		if (!strcmp(o->group_field, o->text_field))
			rc = tn_err_set(err, TN_EINVAL, "group field '%s' is the text field", o->group_field);
		for (i = 0; i < c->nheads && !rc; i++)
			if (!strcmp(c->heads[i].name, o->group_field))
				rc = tn_err_set(err, TN_EINVAL, "group field '%s' is a label field", o->group_field);
		if (!rc && (!(c->group = malloc(sizeof(*c->group))) || !(c->group_field = strdup(o->group_field))))
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	for (i = 0; i < npaths && !rc; i++)
		rc = load_one(&L, paths[i], err);
	if (!rc)
		rc = finish_groups(c, o->group_field, err);
	if (!rc && !o->like && sort_classes(c))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	free(L.cls_cap);
	free(L.tsv_head_of_col);
	return rc;
}
