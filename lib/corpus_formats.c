/*
 * corpus_formats.c - one record of each corpus format into the loader: JSONL
 * (jansson), TSV (a header row naming the columns, escapes decoded) and
 * fastText.  The rules are in corpus.h; corpus.c reads the lines and owns the
 * corpus being built (corpus_internal.h).
 */
#include "corpus_internal.h"
#include "text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A label value in JSON: a string, or an integer or boolean written as text. */
static int json_label(json_t *v, char *tmp, size_t tmpn, const char **s, size_t *n)
{
	if (json_is_string(v)) {
		*s = json_string_value(v);
		*n = json_string_length(v);
		return 1;
	}
	if (json_is_integer(v)) {
		snprintf(tmp, tmpn, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*s = tmp;
		*n = strlen(tmp);
		return 1;
	}
	if (json_is_boolean(v)) {
		*s = json_is_true(v) ? "true" : "false";
		*n = strlen(*s);
		return 1;
	}
	return 0;
}

int tn_loader_parse_jsonl(struct tn_loader *L, const char *line, size_t len, struct tn_err *err)
{
	const struct tn_corpus_opts *o = L->o;
	json_error_t je;
	json_t *root, *text, *v;
	const char *key, *gs = NULL;
	char gtmp[32];
	size_t doc, i, gn = 0;
	int rc = 0;

	root = json_loadb(line, len, 0, &je);
	if (!root)
		return tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: invalid JSON: %s",
				  L->path, (unsigned long long)L->lineno, je.text);
	if (!json_is_object(root)) {
		rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: not a JSON object",
				L->path, (unsigned long long)L->lineno);
		goto out;
	}
	text = json_object_get(root, o->text_field);
	if (!json_is_string(text)) {
		rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: %s field '%s'",
				L->path, (unsigned long long)L->lineno,
				text ? "not a string:" : "no text", o->text_field);
		goto out;
	}
	/*
	 * Every check that can reject the record comes before the corpus changes,
	 * so that a record skipped with skip_errors leaves no head or class behind.
	 */
	for (i = 0; i < L->c->nheads; i++) {
		char tmp[32];
		const char *s;
		size_t n;

		v = json_object_get(root, L->c->heads[i].name);
		if (v && !json_is_null(v) && !json_label(v, tmp, sizeof(tmp), &s, &n)) {
			rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: label '%s' is not a string",
					L->path, (unsigned long long)L->lineno, L->c->heads[i].name);
			goto out;
		}
	}
	if (o->group_field) {
		v = json_object_get(root, o->group_field);
		if (v && !json_is_null(v) && !json_label(v, gtmp, sizeof(gtmp), &gs, &gn)) {
			rc = tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: group field '%s' is not a string",
					L->path, (unsigned long long)L->lineno, o->group_field);
			goto out;
		}
	}
	/* Heads are discovered before the document is added, so the matrix is wide enough. */
	if (!o->like && !o->labels) {
		json_object_foreach(root, key, v) {
			if (!strcmp(key, "id") || !strcmp(key, o->text_field) || !json_is_string(v) ||
			    (o->group_field && !strcmp(key, o->group_field)))
				continue;
			tn_loader_head_index(L, key, 1, err, &rc);
			if (rc)
				goto out;
		}
	}
	if (tn_loader_add_doc(L, json_string_value(text), json_string_length(text), &doc)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < L->c->nheads; i++) {
		char tmp[32];
		const char *s;
		size_t n;

		v = json_object_get(root, L->c->heads[i].name);
		if (!v || json_is_null(v) || !json_label(v, tmp, sizeof(tmp), &s, &n))
			continue;
		rc = tn_loader_set_label(L, doc, i, s, n, err);
		if (rc)
			break;
	}
	if (rc) {
		/* Take the half-added document back. */
		L->c->ndocs--;
		L->c->bytes -= L->c->len[doc];
		free(L->c->text[doc]);
	} else if (gs) {
		tn_loader_set_group(L, doc, gs, gn);
	}
out:
	json_decref(root);
	return rc;
}

/* Decodes TSV escapes in place; returns the new length. */
static size_t tsv_unescape(char *s, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char c = s[i + 1];

			if (c == 't' || c == 'n' || c == 'r' || c == '\\') {
				s[j++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : '\\';
				i++;
				continue;
			}
		}
		s[j++] = s[i];
	}
	return j;
}

/* Splits a TSV line (copied into b) into fields; returns the count or -1. */
static ssize_t tsv_split(struct tn_buf *b, const char *line, size_t len, char ***fields, size_t **lens,
			 size_t *cap)
{
	size_t nf = 0, i, start = 0;

	tn_buf_reset(b);
	if (tn_buf_add(b, line, len))
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && b->ptr[i] != '\t')
			continue;
		if (nf == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			char **f = realloc(*fields, c * sizeof(*f));
			size_t *l;

			if (!f)
				return -1;
			*fields = f;
			l = realloc(*lens, c * sizeof(*l));
			if (!l)
				return -1;
			*lens = l;
			*cap = c;
		}
		b->ptr[i] = '\0';
		(*fields)[nf] = b->ptr + start;
		(*lens)[nf] = tsv_unescape(b->ptr + start, i - start);
		(*fields)[nf][(*lens)[nf]] = '\0';
		nf++;
		start = i + 1;
	}
	return (ssize_t)nf;
}

int tn_loader_parse_tsv_header(struct tn_loader *L, struct tn_tsv_state *st, const char *line, size_t len,
			    struct tn_err *err)
{
	const struct tn_corpus_opts *o = L->o;
	ssize_t nf = tsv_split(&st->b, line, len, &st->f, &st->fl, &st->cap);
	size_t i;
	int rc = 0;

	if (nf < 0)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	free(L->tsv_head_of_col);
	L->tsv_head_of_col = malloc((size_t)nf * sizeof(int));
	if (!L->tsv_head_of_col)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	L->tsv_ncols = (size_t)nf;
	L->tsv_text_col = -1;
	L->tsv_group_col = -1;
	for (i = 0; i < (size_t)nf; i++) {
		const char *name = st->f[i];

		L->tsv_head_of_col[i] = -1;
		if (!strcmp(name, o->text_field)) {
			L->tsv_text_col = (int)i;
			continue;
		}
		if (o->group_field && !strcmp(name, o->group_field)) {
			L->tsv_group_col = (int)i;
			continue;
		}
		if (!strcmp(name, "id"))
			continue;
		L->tsv_head_of_col[i] = tn_loader_head_index(L, name, !o->like && !o->labels, err, &rc);
		if (rc)
			return rc;
	}
	if (L->tsv_text_col < 0)
		return tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: the header has no '%s' column",
				  L->path, (unsigned long long)L->lineno, o->text_field);
	if (o->group_field && L->tsv_group_col < 0)
		return tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: the header has no '%s' column (the group field)",
				  L->path, (unsigned long long)L->lineno, o->group_field);
	return 0;
}

int tn_loader_parse_tsv(struct tn_loader *L, struct tn_tsv_state *st, const char *line, size_t len,
		     struct tn_err *err)
{
	ssize_t nf = tsv_split(&st->b, line, len, &st->f, &st->fl, &st->cap);
	size_t i, doc;
	int rc;

	if (nf < 0)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if ((size_t)nf != L->tsv_ncols)
		return tn_err_set(err, TN_EFORMAT, "read '%s' line %llu: %zd fields, the header has %zu",
				  L->path, (unsigned long long)L->lineno, nf, L->tsv_ncols);
	/* All fields are checked before a label is interned (see parse_jsonl). */
	for (i = 0; i < (size_t)nf; i++)
		if ((i == (size_t)L->tsv_text_col || (int)i == L->tsv_group_col || L->tsv_head_of_col[i] >= 0) &&
		    (rc = tn_loader_check_text(L, st->f[i], st->fl[i], err)))
			return rc;
	if (tn_loader_add_doc(L, st->f[L->tsv_text_col], st->fl[L->tsv_text_col], &doc))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (i = 0; i < (size_t)nf; i++) {
		int h = L->tsv_head_of_col[i];

		if (h < 0)
			continue;
		if ((rc = tn_loader_set_label(L, doc, (size_t)h, st->f[i], st->fl[i], err))) {
			L->c->ndocs--;
			L->c->bytes -= L->c->len[doc];
			free(L->c->text[doc]);
			return rc;
		}
	}
	if (L->tsv_group_col >= 0)
		tn_loader_set_group(L, doc, st->f[L->tsv_group_col], st->fl[L->tsv_group_col]);
	return 0;
}

int tn_loader_parse_fasttext(struct tn_loader *L, const char *line, size_t len, struct tn_err *err)
{
	static const char prefix[] = "__label__";
	const size_t plen = sizeof(prefix) - 1;
	const char *label = NULL, *p = line, *end = line + len;
	size_t label_len = 0, doc;
	int rc, h;

	rc = tn_loader_check_text(L, line, len, err);
	if (rc)
		return rc;
	for (;;) {
		const char *tok;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) < plen || memcmp(p, prefix, plen))
			break;
		tok = p + plen;
		p = tok;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (!label) {
			label = tok;
			label_len = (size_t)(p - tok);
		}
	}
	h = tn_loader_head_index(L, "label", !L->o->like, err, &rc);
	if (rc)
		return rc;
	if (tn_loader_add_doc(L, p, (size_t)(end - p), &doc))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if (h >= 0 && label && label_len) {
		rc = tn_loader_set_label(L, doc, (size_t)h, label, label_len, err);
		if (rc) {
			L->c->ndocs--;
			L->c->bytes -= L->c->len[doc];
			free(L->c->text[doc]);
			return rc;
		}
	}
	return 0;
}

