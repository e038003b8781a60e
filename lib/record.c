/*
 * record.c - one raw document of a classify run into its record: JSONL
 * parsing (cJSON), the id rules, truth labels for the evaluation, features,
 * every head's prediction, and the record's JSON or an error record.  See
 * pipeline_internal.h.
 */
#include "pipeline_internal.h"
#include "buf.h"
#include "cli.h"
#include "feat.h"
#include "jsonscan.h"
#include "limits.h"
#include "manifest_json.h"
#include "metrics.h"
#include "predict.h"
#include "atomic_file.h"
#include "shard.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>


/* ---- record formatting ---- */

int tn_record_add_json_text(struct tn_buf *b, const char *s, size_t n)
{
	size_t bad;
	char *copy;
	size_t i;
	int rc;

	if (tn_text_valid_utf8(s, n, &bad))
		return tn_buf_add_json_string(b, s, n);
	/* Ids come from paths and member names, which need not be UTF-8. */
	copy = malloc(n ? n : 1);
	if (!copy)
		return TN_ENOMEM;
	for (i = 0; i < n; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 || !s[i] ? '?' : s[i];
	rc = tn_buf_add_json_string(b, copy, n);
	free(copy);
	return rc;
}

int tn_record_prepare_keys(struct tn_run_state *r)
{
	size_t h, k;

	r->class_json = calloc(r->nheads, sizeof(char *));
	r->class_off = calloc(r->nheads, sizeof(size_t *));
	r->head_key = calloc(r->nheads, sizeof(char *));
	r->score_key = calloc(r->nheads, sizeof(char *));
	r->scores_key = calloc(r->nheads, sizeof(char *));
	r->top_key = calloc(r->nheads, sizeof(char *));
	r->explain_key = calloc(r->nheads, sizeof(char *));
	if (!r->class_json || !r->class_off || !r->head_key || !r->score_key || !r->scores_key || !r->top_key ||
	    !r->explain_key)
		return TN_ENOMEM;
	for (h = 0; h < r->nheads; h++) {
		const struct tn_head *hd = &r->b->heads[h];
		struct tn_buf b = TN_BUF_INIT;
		int bad = 0;

		r->class_off[h] = calloc(hd->nclass + 1, sizeof(size_t));
		if (!r->class_off[h])
			return TN_ENOMEM;
		for (k = 0; k < hd->nclass; k++) {
			r->class_off[h][k] = b.len;
			bad |= tn_buf_add_json_string(&b, hd->classes[k], strlen(hd->classes[k]));
		}
		r->class_off[h][hd->nclass] = b.len;
		r->class_json[h] = tn_buf_detach(&b, NULL);
		bad |= tn_buf_addstr(&b, ", ") || tn_buf_add_json_string(&b, hd->name, strlen(hd->name)) ||
		       tn_buf_addstr(&b, ": ");
		r->head_key[h] = tn_buf_detach(&b, NULL);
		bad |= tn_buf_addstr(&b, ", \"") || tn_buf_addstr(&b, hd->name) || tn_buf_addstr(&b, "_score\": ");
		r->score_key[h] = tn_buf_detach(&b, NULL);
		bad |= tn_buf_addstr(&b, ", \"") || tn_buf_addstr(&b, hd->name) || tn_buf_addstr(&b, "_scores\": {");
		r->scores_key[h] = tn_buf_detach(&b, NULL);
		bad |= tn_buf_addstr(&b, ", \"") || tn_buf_addstr(&b, hd->name) || tn_buf_addstr(&b, "_top\": [");
		r->top_key[h] = tn_buf_detach(&b, NULL);
		bad |= tn_buf_addstr(&b, ", \"") || tn_buf_addstr(&b, hd->name) || tn_buf_addstr(&b, "_explain\": ");
		r->explain_key[h] = tn_buf_detach(&b, NULL);
		if (bad || !r->class_json[h] || !r->head_key[h] || !r->score_key[h] || !r->scores_key[h] ||
		    !r->top_key[h] || !r->explain_key[h])
			return TN_ENOMEM;
	}
	return 0;
}

/*
 * Appends a score with 4 decimals, clamped to [0, 1]; a NaN (a model with
 * broken weights) is written as null: no number to cast, and no false one.
 */
static int add_score(struct tn_buf *b, double v)
{
	char s[6];
	unsigned q;

	if (isnan(v))
		return tn_buf_addstr(b, "null");
	q = v <= 0 ? 0 : v >= 1 ? 10000 : (unsigned)(v * 10000.0 + 0.5);
	/* "%u.%04u" by hand: snprintf cost 1,400 instructions a score (callgrind). */
	s[0] = (char)('0' + q / 10000 % 10);
	s[1] = '.';
	s[2] = (char)('0' + q / 1000 % 10);
	s[3] = (char)('0' + q / 100 % 10);
	s[4] = (char)('0' + q / 10 % 10);
	s[5] = (char)('0' + q % 10);
	return tn_buf_add(b, s, sizeof(s));
}

/* 1 if head h abstains: its best score is below --min-score (a NaN score too). */
static int abstains(const struct tn_run_state *r, const struct tn_head_result *res)
{
	return r->o->min_score > 0 && !(res->score >= r->o->min_score);
}

/* HEAD_top: the classes of the `top` highest scores, highest first (ties: class order). */
static int add_top(const struct tn_run_state *r, struct tn_buf *out, size_t h, const double *all)
{
	size_t k = r->b->heads[h].nclass, n = (size_t)r->o->top < k ? (size_t)r->o->top : k, i, j;
	const size_t *off = r->class_off[h];
	unsigned char used[TN_MAX_CLASSES];
	int bad = tn_buf_addstr(out, r->top_key[h]);

	memset(used, 0, sizeof(used));
	for (i = 0; i < n; i++) {
		size_t best = k;

		for (j = 0; j < k; j++)
			if (!used[j] && (best == k || all[j] > all[best] || (isnan(all[best]) && !isnan(all[j]))))
				best = j;
		used[best] = 1;
		bad |= (i && tn_buf_addstr(out, ", ")) || tn_buf_addstr(out, "{\"class\": ");
		bad |= tn_buf_add(out, r->class_json[h] + off[best], off[best + 1] - off[best]);
		bad |= tn_buf_addstr(out, ", \"score\": ") || add_score(out, all[best]) || tn_buf_addch(out, '}');
	}
	return bad | tn_buf_addch(out, ']');
}

static int format_result(const struct tn_run_state *r, struct tn_worker *w, struct tn_buf *out, const char *id,
			 size_t idlen, const struct tn_head_result *res, double *const *all, const char *text, size_t tlen)
{
	size_t h, k;
	int bad = 0;

	bad |= tn_buf_addstr(out, "{\"id\": ") || tn_record_add_json_text(out, id, idlen);
	for (h = 0; h < r->nheads; h++) {
		const size_t *off = r->class_off[h];
		int c = res[h].cls;

		bad |= tn_buf_addstr(out, r->head_key[h]);
		if (abstains(r, &res[h]))
			bad |= tn_buf_addstr(out, "null");
		else
			bad |= tn_buf_add(out, r->class_json[h] + off[c], off[c + 1] - off[c]);
		bad |= tn_buf_addstr(out, r->score_key[h]) || add_score(out, res[h].score);
		if (r->o->top > 0)
			bad |= add_top(r, out, h, all[h]);
		if (r->ex) {
			double bias;
			size_t n;

			bad |= tn_explain(r->ex, &w->cnt, h, c, &w->ctr, &w->ctr_cap, &n, &bias) ||
			       tn_buf_addstr(out, r->explain_key[h]) ||
			       tn_explain_json(&r->b->feat, w->fs, text, tlen, w->ctr,
					       tn_explain_top(w->ctr, n, (size_t)r->o->explain), out);
		}
		if (r->o->all_scores) {
			bad |= tn_buf_addstr(out, r->scores_key[h]);
			for (k = 0; k < r->b->heads[h].nclass; k++) {
				if (k)
					bad |= tn_buf_addstr(out, ", ");
				bad |= tn_buf_add(out, r->class_json[h] + off[k], off[k + 1] - off[k]);
				bad |= tn_buf_addstr(out, ": ") || add_score(out, all[h][k]);
			}
			bad |= tn_buf_addch(out, '}');
		}
	}
	/* The text was checked to be UTF-8 without NUL when its features were counted. */
	if (r->o->keep_text)
		bad |= tn_buf_addstr(out, ", \"text\": ") ||
		       tn_buf_add_json_string(out, text, tn_text_utf8_prefix(text, tlen, r->o->keep_text));
	bad |= tn_buf_addstr(out, "}\n");
	return bad ? TN_ENOMEM : 0;
}

/*
 * Appends the id as a reader of the record gets it back: the bytes up to a
 * NUL; when they are not valid UTF-8, bytes >= 0x80 as '?' (tn_record_add_json_text).
 */
static void add_plain_id(struct tn_buf *b, const char *id, size_t n)
{
	const char *nul = memchr(id, '\0', n);
	size_t bad, i;

	n = nul ? (size_t)(nul - id) : n;
	if (tn_text_valid_utf8(id, n, &bad)) {
		tn_buf_add(b, id, n);
		return;
	}
	for (i = 0; i < n; i++)
		tn_buf_addch(b, (unsigned char)id[i] >= 0x80 ? '?' : id[i]);
}

static void fail_doc(struct tn_batch_doc *d, const char *id, size_t idlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail_doc(struct tn_batch_doc *d, const char *id, size_t idlen, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->error = 1;
	tn_buf_reset(&d->out);
	tn_buf_reset(&d->why);
	tn_buf_reset(&d->rid);
	tn_buf_addstr(&d->why, msg);
	add_plain_id(&d->rid, id, idlen);
	tn_buf_addstr(&d->out, "{\"id\": ");
	tn_record_add_json_text(&d->out, id, idlen);
	tn_buf_addstr(&d->out, ", \"error\": ");
	tn_record_add_json_text(&d->out, msg, strlen(msg));
	tn_buf_addstr(&d->out, "}\n");
}

/*
 * 1 if the JSON text holds a \u0000 escape (a backslash that is not itself
 * escaped, then u0000), with its byte offset: cJSON's strings are C strings,
 * which would silently end there.
 */
static int escaped_nul(const char *s, size_t n, size_t *at)
{
	const char *p = s, *end = s + n;

	while ((p = memmem(p, (size_t)(end - p), "\\u0000", 6))) {
		size_t k = 0;

		while (p - k > s && p[-(ptrdiff_t)k - 1] == '\\')
			k++;
		if (k % 2 == 0) {
			*at = (size_t)(p - s);
			return 1;
		}
		p += 6;
	}
	return 0;
}

/* Class id of a label value in head h, or -1. */
static int32_t lookup_class(const struct tn_head *hd, const char *v, size_t n)
{
	size_t k;

	for (k = 0; k < hd->nclass; k++)
		if (strlen(hd->classes[k]) == n && !memcmp(hd->classes[k], v, n))
			return (int32_t)k;
	return -1;
}

/*
 * The id, text and truth labels of a JSONL line through the scanner
 * (jsonscan.h); 0 when the line is left to cJSON: one the scanner does not
 * handle, a missing or non-string text field or a numeric id (their records
 * are cJSON's as before), or the scanner turned off (tn_record_ctx's tests).
 */
static int scan_fields(const struct tn_run_state *r, struct tn_worker *w, const char *data, size_t n,
		       const char **id, size_t *idlen, const char **text, size_t *tlen, int32_t *truth)
{
	struct tn_jscan_field f[2 + TN_MAX_HEADS];
	size_t h;

	if (r->o->json_library_only || r->nheads > TN_MAX_HEADS)
		return 0;
	f[0].name = r->o->id_field;
	f[1].name = r->o->text_field;
	for (h = 0; h < r->nheads; h++)
		f[2 + h].name = r->b->heads[h].name;
	if (tn_jscan_object(data, n, f, 2 + r->nheads, &w->json) != 1 || f[1].kind != TN_JSCAN_STRING ||
	    f[0].kind == TN_JSCAN_NUMBER)
		return 0;
	if (f[0].kind == TN_JSCAN_STRING) {
		*id = f[0].val;
		*idlen = f[0].len;
	}
	*text = f[1].val;
	*tlen = f[1].len;
	for (h = 0; h < r->nheads; h++)
		if (f[2 + h].kind == TN_JSCAN_STRING)
			truth[h] = lookup_class(&r->b->heads[h], f[2 + h].val, f[2 + h].len);
	return 1;
}

void tn_record_process(const struct tn_run_state *r, struct tn_worker *w, struct tn_batch *bt, size_t i)
{
	struct tn_batch_doc *d = &bt->d[i];
	const char *data = bt->arena.ptr + d->data_off, *id = bt->arena.ptr + d->id_off, *text = NULL;
	size_t idlen = strlen(id), tlen = 0, bad = 0, h;
	int32_t *truth = bt->truth + i * r->nheads, *pred = bt->pred + i * r->nheads;
	cJSON *root = NULL;
	char idbuf[40];
	double t1, t2, t3;
	int rc;

	t1 = tn_now();
	d->error = 0;
	d->text_len = 0;
	tn_buf_reset(&d->out);
	for (h = 0; h < r->nheads; h++)
		truth[h] = pred[h] = -1;
	if (d->kind == TN_DOC_ERROR) {
		fail_doc(d, id, idlen, "%.*s", (int)d->data_len, data);
		goto out;
	}
	if (d->kind == TN_DOC_JSONL) {
		const char *stop = NULL, *nul;
		cJSON *v;
		size_t at;

		if ((nul = memchr(data, '\0', d->data_len))) {
			fail_doc(d, id, idlen, "NUL byte at byte %zu", (size_t)(nul - data));
			goto out;
		}
		if (scan_fields(r, w, data, d->data_len, &id, &idlen, &text, &tlen, truth))
			goto features;
		if (escaped_nul(data, d->data_len, &at)) {
			fail_doc(d, id, idlen, "NUL byte (\\u0000) in a string at byte %zu", at);
			goto out;
		}
		root = cJSON_ParseWithLengthOpts(data, d->data_len, &stop, 0);
		if (!root) {
			at = stop && stop >= data && stop <= data + d->data_len ? (size_t)(stop - data) : 0;
			fail_doc(d, id, idlen, "invalid JSON at byte %zu", at);
			goto out;
		}
		if (stop && stop[strspn(stop, " \t\r")] != '\0' && stop < data + d->data_len) {
			fail_doc(d, id, idlen, "invalid JSON: text after the object at byte %zu", (size_t)(stop - data));
			goto out;
		}
		if (!cJSON_IsObject(root)) {
			fail_doc(d, id, idlen, "not a JSON object");
			goto out;
		}
		v = cJSON_GetObjectItemCaseSensitive(root, r->o->id_field);
		if (cJSON_IsString(v)) {
			id = v->valuestring;
			idlen = strlen(id);
		} else if (cJSON_IsNumber(v)) {
			/* Range first: casting 1e19 or inf to an integer is undefined. */
			if (fabs(v->valuedouble) < 9007199254740992.0 && v->valuedouble == trunc(v->valuedouble))
				snprintf(idbuf, sizeof(idbuf), "%lld", (long long)v->valuedouble);
			else
				snprintf(idbuf, sizeof(idbuf), "%.17g", v->valuedouble);
			id = idbuf;
			idlen = strlen(idbuf);
		}
		v = cJSON_GetObjectItemCaseSensitive(root, r->o->text_field);
		if (!v) {
			fail_doc(d, id, idlen, "no text field '%s'", r->o->text_field);
			goto out;
		}
		if (!cJSON_IsString(v)) {
			fail_doc(d, id, idlen, "field '%s' is not a string", r->o->text_field);
			goto out;
		}
		text = v->valuestring;
		tlen = strlen(text);
		for (h = 0; h < r->nheads; h++) {
			cJSON *l = cJSON_GetObjectItemCaseSensitive(root, r->b->heads[h].name);

			if (cJSON_IsString(l))
				truth[h] = lookup_class(&r->b->heads[h], l->valuestring, strlen(l->valuestring));
		}
	} else {
		text = data;
		tlen = d->data_len;
	}
features:
	d->text_len = tlen;
	rc = tn_feat_count_unordered(&r->b->feat, w->fs, text, tlen, &w->cnt, &bad);
	if (rc == TN_EFORMAT) {
		fail_doc(d, id, idlen, "%s at byte %zu", text[bad] ? "invalid UTF-8" : "NUL byte", bad);
		goto out;
	}
	if (rc) {
		fail_doc(d, id, idlen, "out of memory");
		goto out;
	}
	t2 = tn_now();
	w->t_feat += t2 - t1;
	if (tn_predict_counts(r->p, w->ps, &w->cnt, w->res, r->o->all_scores || r->o->top > 0 ? w->all : NULL)) {
		fail_doc(d, id, idlen, "out of memory");
		goto out;
	}
	for (h = 0; h < r->nheads; h++) {
		pred[h] = abstains(r, &w->res[h]) ? -1 : w->res[h].cls;
		bt->score[i * r->nheads + h] = w->res[h].score;
	}
	if (format_result(r, w, &d->out, id, idlen, w->res, w->all, text, tlen))
		fail_doc(d, id, idlen, "out of memory");
	t3 = tn_now();
	w->t_pred += t3 - t2;
	cJSON_Delete(root);
	return;
out:
	w->t_feat += tn_now() - t1;
	cJSON_Delete(root);
}
