/*
 * metrics.c - confusion matrices; see metrics.h.
 */
#include "metrics.h"
#include "manifest_json.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int tn_confusion_init(struct tn_confusion *c, size_t nclass)
{
	c->nclass = nclass;
	c->total = 0;
	c->m = calloc(nclass ? nclass * nclass : 1, sizeof(*c->m));
	return c->m ? 0 : TN_ENOMEM;
}

void tn_confusion_release(struct tn_confusion *c)
{
	if (!c)
		return;
	free(c->m);
	c->m = NULL;
	c->nclass = 0;
	c->total = 0;
}

void tn_confusion_add(struct tn_confusion *c, int truth, int pred)
{
	if (truth < 0 || pred < 0 || (size_t)truth >= c->nclass || (size_t)pred >= c->nclass)
		return;
	c->m[(size_t)truth * c->nclass + (size_t)pred]++;
	c->total++;
}

void tn_confusion_merge(struct tn_confusion *a, const struct tn_confusion *b)
{
	size_t i;

	for (i = 0; i < a->nclass * a->nclass; i++)
		a->m[i] += b->m[i];
	a->total += b->total;
}

void tn_confusion_scores(const struct tn_confusion *c, double *accuracy, double *macro_f1,
			 struct tn_class_scores *per)
{
	size_t k, j, present = 0;
	uint64_t correct = 0;
	double f1sum = 0;

	for (k = 0; k < c->nclass; k++) {
		uint64_t tp = c->m[k * c->nclass + k], truth = 0, pred = 0;
		double p, r, f;

		for (j = 0; j < c->nclass; j++) {
			truth += c->m[k * c->nclass + j];
			pred += c->m[j * c->nclass + k];
		}
		correct += tp;
		p = pred ? (double)tp / (double)pred : 0.0;
		r = truth ? (double)tp / (double)truth : 0.0;
		f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
		if (truth || pred) {
			present++;
			f1sum += f;
		}
		if (per) {
			per[k].precision = p;
			per[k].recall = r;
			per[k].f1 = f;
			per[k].support = truth;
		}
	}
	if (accuracy)
		*accuracy = c->total ? (double)correct / (double)c->total : 0.0;
	if (macro_f1)
		*macro_f1 = present ? f1sum / (double)present : 0.0;
}

/* Rounds to 6 decimals so manifests do not carry noise digits. */
static json_t *num(double v)
{
	return json_real((double)(long long)(v * 1e6 + (v >= 0 ? 0.5 : -0.5)) / 1e6);
}

json_t *tn_confusion_json(const struct tn_confusion *c, const char *const *classes)
{
	struct tn_class_scores *per = calloc(c->nclass ? c->nclass : 1, sizeof(*per));
	json_t *o = json_object(), *cls = json_object(), *conf = json_object();
	json_t *labels = json_array(), *matrix = json_array();
	double acc, mf1;
	size_t k, j;
	int bad = !per || !o || !cls || !conf || !labels || !matrix;

	if (bad)
		goto fail;
	tn_confusion_scores(c, &acc, &mf1, per);
	bad |= json_object_set_new(o, "documents", json_integer((json_int_t)c->total));
	bad |= json_object_set_new(o, "accuracy", num(acc));
	bad |= json_object_set_new(o, "macro_f1", num(mf1));
	for (k = 0; k < c->nclass; k++) {
		json_t *row = json_array(), *pc = json_object();

		if (!row || !pc) {
			json_decref(row);
			json_decref(pc);
			goto fail;
		}
		bad |= json_object_set_new(pc, "precision", num(per[k].precision));
		bad |= json_object_set_new(pc, "recall", num(per[k].recall));
		bad |= json_object_set_new(pc, "f1", num(per[k].f1));
		bad |= json_object_set_new(pc, "support", json_integer((json_int_t)per[k].support));
		bad |= json_object_set_new(cls, classes[k], pc);
		bad |= json_array_append_new(labels, json_string(classes[k]));
		for (j = 0; j < c->nclass; j++)
			bad |= json_array_append_new(row, json_integer((json_int_t)c->m[k * c->nclass + j]));
		bad |= json_array_append_new(matrix, row);
	}
	bad |= json_object_set_new(conf, "labels", labels);
	labels = NULL;
	bad |= json_object_set_new(conf, "matrix", matrix);
	matrix = NULL;
	bad |= json_object_set_new(o, "classes", cls);
	cls = NULL;
	bad |= json_object_set_new(o, "confusion", conf);
	conf = NULL;
	free(per);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
fail:
	free(per);
	json_decref(o);
	json_decref(cls);
	json_decref(conf);
	json_decref(labels);
	json_decref(matrix);
	return NULL;
}

int tn_confusion_from_json(struct tn_confusion *c, const json_t *metrics)
{
	json_t *matrix = json_object_get(json_object_get(metrics, "confusion"), "matrix");
	size_t k, j;

	if (!json_is_array(matrix) || json_array_size(matrix) != c->nclass)
		return TN_EFORMAT;
	for (k = 0; k < c->nclass; k++) {
		json_t *row = json_array_get(matrix, k);

		if (!json_is_array(row) || json_array_size(row) != c->nclass)
			return TN_EFORMAT;
		for (j = 0; j < c->nclass; j++) {
			json_t *v = json_array_get(row, j);

			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return TN_EFORMAT;
			c->m[k * c->nclass + j] = (uint64_t)json_integer_value(v);
			c->total += (uint64_t)json_integer_value(v);
		}
	}
	return 0;
}

/* Columns a string takes on a terminal (UTF-8; an invalid byte counts one). */
static size_t text_width(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t w = 0;

	while (*p) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);

		if (n <= 0) {
			w++;
			p++;
			continue;
		}
		w += utf8proc_charwidth(cp) > 0 ? (size_t)utf8proc_charwidth(cp) : 0;
		p += n;
	}
	return w;
}

/* Appends s padded with spaces to width columns, on the left (right-aligned) or the right. */
static int add_padded(struct tn_buf *out, const char *s, size_t width, int right_align)
{
	size_t w = text_width(s), pad = width > w ? width - w : 0;
	int bad = 0;

	if (right_align)
		while (pad--)
			bad |= tn_buf_addch(out, ' ');
	bad |= tn_buf_addstr(out, s);
	if (!right_align)
		while (pad--)
			bad |= tn_buf_addch(out, ' ');
	return bad;
}

int tn_confusion_report(const struct tn_confusion *c, const char *const *classes,
			const char *indent, struct tn_buf *out)
{
	struct tn_class_scores *per = calloc(c->nclass ? c->nclass : 1, sizeof(*per));
	double acc, mf1;
	size_t k, j, w = 9, cw = 8;
	uint64_t most = 0;
	char num[32];
	int bad = 0;

	if (!per)
		return TN_ENOMEM;
	tn_confusion_scores(c, &acc, &mf1, per);
	/* Whole class names, never cut: the name column and every count column as wide as the longest. */
	for (k = 0; k < c->nclass; k++) {
		if (text_width(classes[k]) > w)
			w = text_width(classes[k]);
		for (j = 0; j < c->nclass; j++)
			if (c->m[k * c->nclass + j] > most)
				most = c->m[k * c->nclass + j];
	}
	cw = w > cw ? w : cw;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)most);
	cw = strlen(num) > cw ? strlen(num) : cw;
	bad |= tn_buf_addf(out, "%saccuracy %.4f  macro-F1 %.4f  (%llu documents)\n", indent, acc, mf1,
			   (unsigned long long)c->total);
	bad |= tn_buf_addstr(out, indent) || add_padded(out, "class", w, 0);
	bad |= tn_buf_addstr(out, "  precision  recall      F1  support\n");
	for (k = 0; k < c->nclass; k++) {
		bad |= tn_buf_addstr(out, indent) || add_padded(out, classes[k], w, 0);
		bad |= tn_buf_addf(out, "  %9.4f  %6.4f  %6.4f  %7llu\n", per[k].precision, per[k].recall, per[k].f1,
				   (unsigned long long)per[k].support);
	}
	bad |= tn_buf_addf(out, "%sconfusion (rows: true, columns: predicted)\n%s", indent, indent);
	bad |= add_padded(out, "", w, 0);
	for (j = 0; j < c->nclass; j++)
		bad |= tn_buf_addch(out, ' ') || add_padded(out, classes[j], cw, 1);
	bad |= tn_buf_addch(out, '\n');
	for (k = 0; k < c->nclass; k++) {
		bad |= tn_buf_addstr(out, indent) || add_padded(out, classes[k], w, 0);
		for (j = 0; j < c->nclass; j++)
			bad |= tn_buf_addf(out, " %*llu", (int)cw, (unsigned long long)c->m[k * c->nclass + j]);
		bad |= tn_buf_addch(out, '\n');
	}
	free(per);
	return bad ? TN_ENOMEM : 0;
}
