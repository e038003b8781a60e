/*
 * tally.c - class counts of a classify run; see tally.h.  The JSON side
 * (tn_tally_json, tn_tally_from_json) is declared in manifest_json.h.
 */
#include "tally.h"
#include "err.h"
#include "manifest_json.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void tn_tally_release(struct tn_tally *t)
{
	size_t h;

	if (!t)
		return;
	for (h = 0; t->cls && h < t->nheads; h++)
		free(t->cls[h]);
	free(t->cls);
	free(t->abstained);
	free(t->cross);
	memset(t, 0, sizeof(*t));
}

int tn_tally_init(struct tn_tally *t, const struct tn_head *heads, size_t nheads)
{
	size_t h;

	memset(t, 0, sizeof(*t));
	t->nheads = nheads;
	t->heads = heads;
	t->cls = calloc(nheads ? nheads : 1, sizeof(*t->cls));
	t->abstained = calloc(nheads ? nheads : 1, sizeof(*t->abstained));
	if (!t->cls || !t->abstained)
		goto fail;
	for (h = 0; h < nheads; h++)
		if (!(t->cls[h] = calloc(heads[h].nclass ? heads[h].nclass : 1, sizeof(uint64_t))))
			goto fail;
	if (nheads >= 2 && !(t->cross = calloc(heads[0].nclass * heads[1].nclass + 1, sizeof(uint64_t))))
		goto fail;
	return 0;
fail:
	tn_tally_release(t);
	return TN_ENOMEM;
}

/* 1 if p is a class of head h. */
static int has_class(const struct tn_tally *t, size_t h, int32_t p)
{
	return p >= 0 && (size_t)p < t->heads[h].nclass;
}

void tn_tally_add(struct tn_tally *t, const int32_t *pred)
{
	size_t h;

	t->ok++;
	for (h = 0; h < t->nheads; h++) {
		if (has_class(t, h, pred[h]))
			t->cls[h][pred[h]]++;
		else
			t->abstained[h]++;
	}
	if (t->cross && has_class(t, 0, pred[0]) && has_class(t, 1, pred[1]))
		t->cross[(size_t)pred[0] * t->heads[1].nclass + (size_t)pred[1]]++;
}

void tn_tally_add_error(struct tn_tally *t)
{
	t->errors++;
}

void tn_tally_copy(struct tn_tally *dst, const struct tn_tally *src)
{
	size_t h;

	assert(dst->nheads == src->nheads);
	for (h = 0; h < src->nheads; h++)
		memcpy(dst->cls[h], src->cls[h], src->heads[h].nclass * sizeof(uint64_t));
	memcpy(dst->abstained, src->abstained, src->nheads * sizeof(uint64_t));
	if (src->cross)
		memcpy(dst->cross, src->cross, src->heads[0].nclass * src->heads[1].nclass * sizeof(uint64_t));
	dst->ok = src->ok;
	dst->errors = src->errors;
}

int tn_tally_report(const struct tn_tally *t, const char *indent, struct tn_buf *out)
{
	size_t h, k, j, w = 0;
	int bad = 0;

	for (h = 0; h < t->nheads; h++)
		if (strlen(t->heads[h].name) > w)
			w = strlen(t->heads[h].name);
	for (h = 0; h < t->nheads; h++) {
		const struct tn_head *hd = &t->heads[h];

		bad |= tn_buf_addf(out, "%s%s:%*s", indent, hd->name, (int)(w - strlen(hd->name)), "");
		for (k = 0; k < hd->nclass; k++)
			bad |= tn_buf_addf(out, "%s %s %llu", k ? "," : "", hd->classes[k],
					   (unsigned long long)t->cls[h][k]);
		if (t->abstained[h])
			bad |= tn_buf_addf(out, "; abstained %llu", (unsigned long long)t->abstained[h]);
		bad |= tn_buf_addch(out, '\n');
	}
	if (t->cross) {
		const struct tn_head *r = &t->heads[0], *c = &t->heads[1];
		size_t rw = strlen(r->name) + strlen(c->name) + 3;

		for (k = 0; k < r->nclass; k++)
			if (strlen(r->classes[k]) > rw)
				rw = strlen(r->classes[k]) > 24 ? 24 : strlen(r->classes[k]);
		bad |= tn_buf_addf(out, "%s%s x %s%*s", indent, r->name, c->name,
				   (int)(rw - (strlen(r->name) + strlen(c->name) + 3)), "");
		for (j = 0; j < c->nclass; j++)
			bad |= tn_buf_addf(out, " %12.12s", c->classes[j]);
		bad |= tn_buf_addch(out, '\n');
		for (k = 0; k < r->nclass; k++) {
			bad |= tn_buf_addf(out, "%s%-*.*s", indent, (int)rw, (int)rw, r->classes[k]);
			for (j = 0; j < c->nclass; j++)
				bad |= tn_buf_addf(out, " %12llu", (unsigned long long)t->cross[k * c->nclass + j]);
			bad |= tn_buf_addch(out, '\n');
		}
	}
	return bad ? TN_ENOMEM : 0;
}

/* ---- JSON (manifest_json.h) ---- */

int tn_tally_json(const struct tn_tally *t, json_t *counts)
{
	json_t *heads = json_object(), *abst = json_object(), *cross = NULL;
	size_t h, k, j;
	int bad = !heads || !abst;

	for (h = 0; !bad && h < t->nheads; h++) {
		const struct tn_head *hd = &t->heads[h];
		json_t *c = json_object();

		bad |= !c || json_object_set_new(heads, hd->name, c);
		for (k = 0; !bad && k < hd->nclass; k++)
			bad |= json_object_set_new(c, hd->classes[k], json_integer((json_int_t)t->cls[h][k]));
		bad |= json_object_set_new(abst, hd->name, json_integer((json_int_t)t->abstained[h]));
	}
	if (!bad && t->cross) {
		const struct tn_head *r = &t->heads[0], *c = &t->heads[1];
		json_t *table = json_object();

		cross = json_pack("{s:s, s:s, s:o}", "rows", r->name, "cols", c->name, "table", table);
		bad |= !cross;
		for (k = 0; !bad && k < r->nclass; k++) {
			json_t *row = json_object();

			bad |= !row || json_object_set_new(table, r->classes[k], row);
			for (j = 0; !bad && j < c->nclass; j++)
				bad |= json_object_set_new(row, c->classes[j],
							   json_integer((json_int_t)t->cross[k * c->nclass + j]));
		}
	}
	if (!bad)
		bad |= json_object_set_new(counts, "heads", heads) | json_object_set_new(counts, "abstained", abst) |
		       json_object_set_new(counts, "errors", json_integer((json_int_t)t->errors)) |
		       (cross ? json_object_set_new(counts, "cross", cross) : 0);
	else {
		json_decref(heads);
		json_decref(abst);
		json_decref(cross);
	}
	return bad ? TN_ENOMEM : 0;
}

/* *v = a non-negative integer member key of o; 0 or TN_EFORMAT. */
static int get_u64(const json_t *o, const char *key, uint64_t *v)
{
	const json_t *n = json_object_get(o, key);

	if (!json_is_integer(n) || json_integer_value(n) < 0)
		return TN_EFORMAT;
	*v = (uint64_t)json_integer_value(n);
	return 0;
}

int tn_tally_from_json(struct tn_tally *t, const json_t *counts)
{
	const json_t *heads = json_object_get(counts, "heads"), *abst = json_object_get(counts, "abstained");
	const json_t *cross = json_object_get(counts, "cross");
	uint64_t ok, sum, row;
	size_t h, k, j;

	if (get_u64(counts, "ok", &ok) || get_u64(counts, "errors", &t->errors) || !json_is_object(heads) ||
	    json_object_size(heads) != t->nheads || !json_is_object(abst))
		return TN_EFORMAT;
	t->ok = ok;
	for (h = 0; h < t->nheads; h++) {
		const struct tn_head *hd = &t->heads[h];
		const json_t *c = json_object_get(heads, hd->name);

		if (!json_is_object(c) || json_object_size(c) != hd->nclass ||
		    get_u64(abst, hd->name, &t->abstained[h]))
			return TN_EFORMAT;
		sum = t->abstained[h];
		for (k = 0; k < hd->nclass; k++) {
			if (get_u64(c, hd->classes[k], &t->cls[h][k]))
				return TN_EFORMAT;
			sum += t->cls[h][k];
		}
		/* Every result record has one class or null for each head. */
		if (sum != ok)
			return TN_EFORMAT;
	}
	if (!t->cross)
		return cross ? TN_EFORMAT : 0;
	{
		const struct tn_head *r = &t->heads[0], *c = &t->heads[1];
		const json_t *table = json_object_get(cross, "table");
		const char *rows = json_string_value(json_object_get(cross, "rows"));
		const char *cols = json_string_value(json_object_get(cross, "cols"));

		if (!rows || !cols || strcmp(rows, r->name) || strcmp(cols, c->name) || !json_is_object(table) ||
		    json_object_size(table) != r->nclass)
			return TN_EFORMAT;
		for (k = 0; k < r->nclass; k++) {
			const json_t *jr = json_object_get(table, r->classes[k]);

			if (!json_is_object(jr) || json_object_size(jr) != c->nclass)
				return TN_EFORMAT;
			row = 0;
			for (j = 0; j < c->nclass; j++) {
				if (get_u64(jr, c->classes[j], &t->cross[k * c->nclass + j]))
					return TN_EFORMAT;
				row += t->cross[k * c->nclass + j];
			}
			/* A row holds the documents of that class that also have a class of the second head. */
			if (row > t->cls[0][k])
				return TN_EFORMAT;
		}
	}
	return 0;
}
