/*
 * report.c - OUT/report.html from a run's manifest and shards; see report.h.
 *
 * Two passes: read (the manifest with jansson, then every listed shard,
 * tn_shard_read a record at a time, parsed with cJSON, into per-class histograms, extremes and error kinds), then write
 * the page into one buffer and put it in place atomically.  The counts shown
 * are the manifest's; the shards' own recount is compared with them and a
 * disagreement is said on the page.
 */
#include "report.h"
#include "atomic_file.h"
#include "buf.h"
#include "shard.h"
#include "text.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIST_BINS 20
#define EXTREMES 3
#define ERROR_KINDS 40
#define ERROR_PLACES 3
#define SNIPPET_BYTES 280
#define LABEL_BYTES 28

struct doc_ref {
	double score;
	char *id, *text;
};

struct class_stats {
	uint64_t hist[HIST_BINS];
	uint64_t n;                          /* records of this class in the shards */
	struct doc_ref top[EXTREMES], low[EXTREMES];
	size_t ntop, nlow;
};

struct head_stats {
	const char *name;
	char *score_key;
	size_t nclass;
	const char **classes;                /* borrowed from the manifest */
	struct class_stats *cs;
	uint64_t nulls;
};

struct error_kind {
	char *kind;
	uint64_t n;
	char *places[ERROR_PLACES];
	size_t nplaces;
};

struct report {
	const char *dir;
	json_t *man;
	size_t nheads;
	struct head_stats *h;
	struct error_kind kinds[ERROR_KINDS];
	size_t nkinds;
	uint64_t other_errors, errors, results, with_text;
	uint64_t lineno;                     /* of the shard being read */
	struct tn_buf html;
	int bad;                             /* out of memory while writing html */
};

/* ---- reading ---- */

static void doc_ref_clear(struct doc_ref *d)
{
	free(d->id);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

static void report_release(struct report *r)
{
	size_t h, k, e;

	for (h = 0; r->h && h < r->nheads; h++) {
		for (k = 0; r->h[h].cs && k < r->h[h].nclass; k++)
			for (e = 0; e < EXTREMES; e++) {
				doc_ref_clear(&r->h[h].cs[k].top[e]);
				doc_ref_clear(&r->h[h].cs[k].low[e]);
			}
		free(r->h[h].cs);
		free(r->h[h].classes);
		free(r->h[h].score_key);
	}
	free(r->h);
	for (e = 0; e < r->nkinds; e++) {
		free(r->kinds[e].kind);
		for (k = 0; k < r->kinds[e].nplaces; k++)
			free(r->kinds[e].places[k]);
	}
	json_decref(r->man);
	tn_buf_release(&r->html);
}

/* The heads and their classes, from the manifest's "counts" (in the bundle's order). */
static int setup_heads(struct report *r, struct tn_err *err)
{
	json_t *names = json_object_get(json_object_get(r->man, "model"), "heads");
	json_t *counts = json_object_get(json_object_get(r->man, "counts"), "heads");
	size_t h;

	if (!json_is_array(names) || !json_is_object(counts))
		return tn_err_set(err, TN_ESTATE, "the manifest of '%s' has no heads or no class counts "
				  "(made by an older classify?)", r->dir);
	r->nheads = json_array_size(names);
	r->h = calloc(r->nheads ? r->nheads : 1, sizeof(*r->h));
	if (!r->h)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (h = 0; h < r->nheads; h++) {
		struct head_stats *hs = &r->h[h];
		json_t *c, *v;
		const char *key;
		struct tn_buf k = TN_BUF_INIT;
		size_t i = 0;

		hs->name = json_string_value(json_array_get(names, h));
		c = hs->name ? json_object_get(counts, hs->name) : NULL;
		if (!json_is_object(c))
			return tn_err_set(err, TN_ESTATE, "the manifest of '%s' has no class counts for head %zu", r->dir, h);
		hs->nclass = json_object_size(c);
		hs->classes = calloc(hs->nclass ? hs->nclass : 1, sizeof(char *));
		hs->cs = calloc(hs->nclass ? hs->nclass : 1, sizeof(*hs->cs));
		if (!hs->classes || !hs->cs || tn_buf_addf(&k, "%s_score", hs->name))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		hs->score_key = tn_buf_detach(&k, NULL);
		if (!hs->score_key)
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		json_object_foreach(c, key, v)
			hs->classes[i++] = key;
	}
	return 0;
}

static int class_index(const struct head_stats *hs, const char *name)
{
	size_t k;

	for (k = 0; k < hs->nclass; k++)
		if (!strcmp(hs->classes[k], name))
			return (int)k;
	return -1;
}

/*
 * Puts (score, id, text) into the sorted list a[0..*n) of at most EXTREMES
 * when it belongs there: highest first with high, lowest first without.  An
 * equal score never displaces an earlier document.  0 or TN_ENOMEM.
 */
static int keep_extreme(struct doc_ref *a, size_t *n, int high, double score, const char *id, const char *text)
{
	size_t pos = *n;
	char *cid, *ctext;

	while (pos > 0 && (high ? score > a[pos - 1].score : score < a[pos - 1].score))
		pos--;
	if (pos >= EXTREMES)
		return 0;
	cid = strdup(id);
	ctext = strdup(text);
	if (!cid || !ctext) {
		free(cid);
		free(ctext);
		return TN_ENOMEM;
	}
	if (*n == EXTREMES)
		doc_ref_clear(&a[EXTREMES - 1]);
	else
		(*n)++;
	memmove(&a[pos + 1], &a[pos], (*n - 1 - pos) * sizeof(*a));
	a[pos].score = score;
	a[pos].id = cid;
	a[pos].text = ctext;
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * An error message with its numbers folded to N: "invalid JSON at byte N".
 * Only numbers of their own: not the 8 of "UTF-8" nor the 0000 of "\u0000".
 */
static char *error_kind_of(const char *why)
{
	struct tn_buf b = TN_BUF_INIT;
	const char *p;

	for (p = why; *p; p++) {
		char prev = p == why ? ' ' : p[-1];
		int own = !(is_digit(prev) || prev == '-' || prev == '\\' || prev == '_' ||
			    ((prev | 0x20) >= 'a' && (prev | 0x20) <= 'z'));

		if (own && is_digit(*p)) {
			while (is_digit(p[1]))
				p++;
			if (tn_buf_addch(&b, 'N'))
				break;
		} else if (tn_buf_addch(&b, *p)) {
			break;
		}
	}
	if (b.len > 160) {
		b.len = tn_text_utf8_prefix(b.ptr, b.len, 160);
		b.ptr[b.len] = '\0';
	}
	return tn_buf_detach(&b, NULL);
}

static int add_error(struct report *r, const char *id, const char *why)
{
	char *kind = error_kind_of(why);
	size_t e;

	r->errors++;
	if (!kind)
		return TN_ENOMEM;
	for (e = 0; e < r->nkinds && strcmp(r->kinds[e].kind, kind); e++)
		;
	if (e == r->nkinds) {
		if (r->nkinds == ERROR_KINDS) {
			r->other_errors++;
			free(kind);
			return 0;
		}
		r->kinds[r->nkinds++].kind = kind;
	} else {
		free(kind);
	}
	r->kinds[e].n++;
	if (r->kinds[e].nplaces < ERROR_PLACES) {
		char *place = strdup(id);

		if (!place)
			return TN_ENOMEM;
		r->kinds[e].places[r->kinds[e].nplaces++] = place;
	}
	return 0;
}

/* The histogram bin of a score (clamped to [0, 1]): bins of 1/HIST_BINS, 1 in the last. */
static size_t score_bin(double s)
{
	s = s < 0 ? 0 : s > 1 ? 1 : s;
	return s >= 1 ? HIST_BINS - 1 : (size_t)(s * HIST_BINS);
}

/* One record line.  0, TN_EFORMAT (not a record), TN_ENOMEM. */
static int add_record(struct report *r, const char *line, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(line, len);
	const cJSON *id, *err, *text;
	const char *ids;
	size_t h;
	int rc = 0;

	if (!rec)
		return cJSON_GetErrorPtr() ? TN_EFORMAT : TN_ENOMEM;
	id = cJSON_GetObjectItemCaseSensitive(rec, "id");
	err = cJSON_GetObjectItemCaseSensitive(rec, "error");
	text = cJSON_GetObjectItemCaseSensitive(rec, "text");
	ids = cJSON_IsString(id) ? id->valuestring : "";
	if (cJSON_IsString(err)) {
		rc = add_error(r, ids, err->valuestring);
		cJSON_Delete(rec);
		return rc;
	}
	r->results++;
	if (cJSON_IsString(text))
		r->with_text++;
	for (h = 0; !rc && h < r->nheads; h++) {
		struct head_stats *hs = &r->h[h];
		const cJSON *label = cJSON_GetObjectItemCaseSensitive(rec, hs->name);
		const cJSON *score = cJSON_GetObjectItemCaseSensitive(rec, hs->score_key);
		struct class_stats *cs;
		double s;
		int k;

		if (!cJSON_IsString(label) || (k = class_index(hs, label->valuestring)) < 0) {
			hs->nulls++;
			continue;
		}
		cs = &hs->cs[k];
		cs->n++;
		if (!cJSON_IsNumber(score))
			continue;
		s = score->valuedouble;
		cs->hist[score_bin(s)]++;
		s = s < 0 ? 0 : s > 1 ? 1 : s;
		if (cJSON_IsString(text)) {
			rc = keep_extreme(cs->top, &cs->ntop, 1, s, ids, text->valuestring);
			if (!rc)
				rc = keep_extreme(cs->low, &cs->nlow, 0, s, ids, text->valuestring);
		}
	}
	cJSON_Delete(rec);
	return rc;
}

/* tn_shard_read's callback: one record; the line number is counted for messages. */
static int on_line(void *ctx, const char *line, size_t len)
{
	struct report *r = ctx;

	r->lineno++;
	return add_record(r, line, len);
}

/* Every record of one shard.  0, TN_EIO (with err), TN_ENOMEM. */
static int read_shard(struct report *r, const char *name, struct tn_err *err)
{
	int rc;

	r->lineno = 0;
	rc = tn_shard_read(r->dir, name, on_line, r, err);
	if (rc == TN_EFORMAT)
		return tn_err_set(err, TN_EIO, "shard '%s/%s' record %llu is not JSON", r->dir, name,
				  (unsigned long long)r->lineno);
	if (rc == TN_ENOMEM)
		return tn_err_set(err, rc, "out of memory");
	return rc;
}

/* ---- the data of a run, gathered as it writes its records ---- */

struct tn_report_data {
	struct report r;                     /* its reading part only */
};

int tn_report_data_create(struct tn_report_data **out, const struct tn_head *heads, size_t nheads)
{
	struct tn_report_data *d = calloc(1, sizeof(*d));
	size_t h, k;

	*out = NULL;
	if (!d || !(d->r.h = calloc(nheads ? nheads : 1, sizeof(*d->r.h)))) {
		free(d);
		return TN_ENOMEM;
	}
	d->r.nheads = nheads;
	for (h = 0; h < nheads; h++) {
		struct head_stats *hs = &d->r.h[h];

		hs->name = heads[h].name;
		hs->nclass = heads[h].nclass;
		hs->classes = calloc(hs->nclass ? hs->nclass : 1, sizeof(char *));
		hs->cs = calloc(hs->nclass ? hs->nclass : 1, sizeof(*hs->cs));
		if (!hs->classes || !hs->cs) {
			tn_report_data_free(d);
			return TN_ENOMEM;
		}
		for (k = 0; k < hs->nclass; k++)
			hs->classes[k] = heads[h].classes[k];
	}
	*out = d;
	return 0;
}

void tn_report_data_free(struct tn_report_data *d)
{
	if (!d)
		return;
	report_release(&d->r);
	free(d);
}

void tn_report_data_add_result(struct tn_report_data *d, const int32_t *pred, const double *score)
{
	size_t h;

	d->r.results++;
	for (h = 0; h < d->r.nheads; h++) {
		struct head_stats *hs = &d->r.h[h];
		struct class_stats *cs;
		double v = score[h];

		if (pred[h] < 0 || (size_t)pred[h] >= hs->nclass) {
			hs->nulls++;
			continue;
		}
		cs = &hs->cs[pred[h]];
		cs->n++;
		if (isnan(v))
			continue;
		/* As the record has it (record.c's add_score), so that a re-read bins it alike. */
		v = v <= 0 ? 0 : v >= 1 ? 1 : (double)(unsigned)(v * 10000.0 + 0.5) / 10000.0;
		cs->hist[score_bin(v)]++;
	}
}

int tn_report_data_add_error(struct tn_report_data *d, const char *id, const char *why)
{
	return add_error(&d->r, id, why);
}

/* ---- writing ---- */

static void put(struct report *r, const char *s)
{
	r->bad |= tn_buf_addstr(&r->html, s);
}

static void putf(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct report *r, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	/* Only numbers and fixed markup go through here: they fit. */
	if (n < 0 || (size_t)n >= sizeof(small))
		r->bad = 1;
	else
		put(r, small);
}

/* Appends s[0..n) HTML-escaped (text and attribute values alike).  0 or TN_ENOMEM. */
static int html_escape(struct tn_buf *b, const char *s, size_t n)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': bad |= tn_buf_addstr(b, "&amp;"); break;
		case '<': bad |= tn_buf_addstr(b, "&lt;"); break;
		case '>': bad |= tn_buf_addstr(b, "&gt;"); break;
		case '"': bad |= tn_buf_addstr(b, "&quot;"); break;
		case '\'': bad |= tn_buf_addstr(b, "&#39;"); break;
		default: bad |= tn_buf_addch(b, s[i]);
		}
	}
	return bad ? TN_ENOMEM : 0;
}

static void esc_n(struct report *r, const char *s, size_t n)
{
	r->bad |= html_escape(&r->html, s, n);
}

static void esc(struct report *r, const char *s)
{
	esc_n(r, s ? s : "", s ? strlen(s) : 0);
}

/* At most max bytes of s (cut on a character boundary, "..." after a cut), escaped. */
static void esc_cut(struct report *r, const char *s, size_t max)
{
	size_t n = strlen(s), k = tn_text_utf8_prefix(s, n, max);

	esc_n(r, s, k);
	if (k < n)
		put(r, "\xe2\x80\xa6");
}

static const char *const palette[] = { "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951",
				       "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0" };

/* A colour from white (t = 0) to dark blue (t = 1) into c[8]; *dark when text on it should be white. */
static void heat(double t, char *c, int *dark)
{
	int rr, gg, bb;

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	rr = (int)lround(247 - t * (247 - 8));
	gg = (int)lround(251 - t * (251 - 48));
	bb = (int)lround(255 - t * (255 - 107));
	snprintf(c, 8, "#%02x%02x%02x", rr, gg, bb);
	*dark = t > 0.5;
}

static uint64_t counts_of(const struct report *r, const char *head, const char *cls)
{
	json_t *c = json_object_get(json_object_get(json_object_get(r->man, "counts"), "heads"), head);

	return (uint64_t)json_integer_value(json_object_get(c, cls));
}

static void write_head_section(struct report *r)
{
	const json_t *m = r->man, *model = json_object_get(m, "model"), *counts = json_object_get(m, "counts");
	const json_t *inputs = json_object_get(json_object_get(m, "inputs"), "list"), *v;
	const char *finished = json_string_value(json_object_get(m, "finished_at"));
	size_t i;

	put(r, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Tenor report: ");
	esc(r, r->dir);
	put(r, "</title>\n<style>\n"
	    "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px;color:#1d2330;max-width:1100px;background:#fff}\n"
	    "h1{font-size:24px;margin:0 0 12px}h2{font-size:19px;margin:32px 0 8px;border-bottom:2px solid #d7dbe3}\n"
	    "h3{font-size:15px;margin:16px 0 4px}\n"
	    "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d7dbe3;padding:3px 8px;text-align:left;"
	    "vertical-align:top}\nth{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	    ".note{color:#5b6475;font-size:13px}.warn{color:#a4161a;font-weight:bold}\n"
	    ".grid{display:flex;flex-wrap:wrap;gap:14px}svg{display:block}svg text{font-size:12px;fill:#1d2330}\n"
	    "td.text{max-width:640px;font-size:13px}\n"
	    "</style>\n</head>\n<body>\n<h1>Tenor run report</h1>\n<table class=\"meta\">\n");
	put(r, "<tr><th>run folder</th><td>");
	esc(r, r->dir);
	put(r, "</td></tr>\n<tr><th>model</th><td>");
	esc(r, json_string_value(json_object_get(model, "path")));
	put(r, " <span class=\"note\">identity ");
	esc(r, json_string_value(json_object_get(model, "identity")));
	put(r, ", manifest XXH64 ");
	esc(r, json_string_value(json_object_get(model, "manifest_xxh64")));
	put(r, "</span></td></tr>\n<tr><th>Tenor version</th><td>");
	esc(r, json_string_value(json_object_get(m, "tenor_version")));
	put(r, "</td></tr>\n<tr><th>started</th><td>");
	esc(r, json_string_value(json_object_get(m, "started_at")));
	put(r, "</td></tr>\n<tr><th>finished</th><td>");
	if (finished)
		esc(r, finished);
	else
		put(r, "<span class=\"warn\">not finished: the counts cover its complete shards</span>");
	putf(r, "</td></tr>\n<tr><th>documents</th><td class=\"n\" id=\"n-documents\">%lld</td></tr>\n"
	     "<tr><th>classified</th><td class=\"n\" id=\"n-ok\">%lld</td></tr>\n"
	     "<tr><th>error records</th><td class=\"n\" id=\"n-errors\">%lld</td></tr>\n",
	     (long long)json_integer_value(json_object_get(counts, "documents")),
	     (long long)json_integer_value(json_object_get(counts, "ok")),
	     (long long)json_integer_value(json_object_get(counts, "errors")));
	putf(r, "<tr><th>shards</th><td class=\"n\">%zu</td></tr>\n<tr><th>inputs</th><td>%lld file%s",
	     json_array_size(json_object_get(m, "shards")),
	     (long long)json_integer_value(json_object_get(json_object_get(m, "inputs"), "files")),
	     json_integer_value(json_object_get(json_object_get(m, "inputs"), "files")) == 1 ? "" : "s");
	json_array_foreach(inputs, i, v) {
		if (i == 5) {
			put(r, "<br>...");
			break;
		}
		put(r, "<br>");
		esc(r, json_string_value(json_object_get(v, "path")));
	}
	put(r, "</td></tr>\n</table>\n");
}

/* Horizontal bars: label, bar, count; one per class of head h. */
static void write_counts(struct report *r)
{
	size_t h, k;

	put(r, "<h2 id=\"counts\">Class counts</h2>\n<div class=\"grid\">\n");
	for (h = 0; h < r->nheads; h++) {
		const struct head_stats *hs = &r->h[h];
		uint64_t max = 1, abst = (uint64_t)json_integer_value(json_object_get(
			json_object_get(json_object_get(r->man, "counts"), "abstained"), hs->name));
		const int label_w = 170, bar_w = 300, row_h = 24;

		for (k = 0; k < hs->nclass; k++)
			if (counts_of(r, hs->name, hs->classes[k]) > max)
				max = counts_of(r, hs->name, hs->classes[k]);
		put(r, "<div>\n<h3>");
		esc(r, hs->name);
		putf(r, "</h3>\n<svg width=\"%d\" height=\"%zu\" role=\"img\">\n", label_w + bar_w + 90,
		     hs->nclass * (size_t)row_h + 4);
		for (k = 0; k < hs->nclass; k++) {
			uint64_t n = counts_of(r, hs->name, hs->classes[k]);
			double w = (double)bar_w * (double)n / (double)max;

			putf(r, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", label_w - 6, k * (size_t)row_h + 17);
			esc_cut(r, hs->classes[k], LABEL_BYTES);
			putf(r, "</text><rect x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
			     "<text x=\"%.1f\" y=\"%zu\">%llu</text>\n", label_w, k * (size_t)row_h + 4, w, row_h - 6,
			     palette[k % (sizeof(palette) / sizeof(*palette))], label_w + w + 6, k * (size_t)row_h + 17,
			     (unsigned long long)n);
		}
		put(r, "</svg>\n<table><tr><th>class</th><th>documents</th></tr>\n");
		for (k = 0; k < hs->nclass; k++) {
			put(r, "<tr data-head=\"");
			esc(r, hs->name);
			put(r, "\" data-class=\"");
			esc(r, hs->classes[k]);
			put(r, "\"><td>");
			esc(r, hs->classes[k]);
			putf(r, "</td><td class=\"n\">%llu</td></tr>\n",
			     (unsigned long long)counts_of(r, hs->name, hs->classes[k]));
		}
		put(r, "<tr data-head=\"");
		esc(r, hs->name);
		putf(r, "\" data-abstained=\"1\"><td>abstained (null)</td><td class=\"n\">%llu</td></tr>\n</table>\n</div>\n",
		     (unsigned long long)abst);
	}
	put(r, "</div>\n");
}

/*
 * A heat map with a number in every cell and the same numbers in a table:
 * rows x cols counts, cell (i, j) at m[i * ncols + j].
 */
static void write_heatmap(struct report *r, const char *row_title, const char *col_title,
			  const char *const *rows, size_t nrows, const char *const *cols, size_t ncols,
			  const uint64_t *m, const char *table_attr)
{
	const int lw = 170, cw = 96, ch = 34, top = 40;
	uint64_t max = 1;
	size_t i, j;

	for (i = 0; i < nrows * ncols; i++)
		if (m[i] > max)
			max = m[i];
	putf(r, "<svg width=\"%zu\" height=\"%zu\" role=\"img\">\n", (size_t)lw + ncols * (size_t)cw + 10,
	     (size_t)top + nrows * (size_t)ch + 24);
	putf(r, "<text x=\"%d\" y=\"14\" font-weight=\"bold\">", lw);
	esc(r, col_title);
	putf(r, " &#8594;</text><text x=\"4\" y=\"%d\" font-weight=\"bold\">", top - 6);
	esc(r, row_title);
	put(r, " &#8595;</text>\n");
	for (j = 0; j < ncols; j++) {
		putf(r, "<text x=\"%zu\" y=\"%d\" text-anchor=\"middle\">", (size_t)lw + j * (size_t)cw + cw / 2, top - 6);
		esc_cut(r, cols[j], 13);
		put(r, "</text>\n");
	}
	for (i = 0; i < nrows; i++) {
		putf(r, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", lw - 6, (size_t)top + i * (size_t)ch + 22);
		esc_cut(r, rows[i], LABEL_BYTES);
		put(r, "</text>\n");
		for (j = 0; j < ncols; j++) {
			char c[8];
			int dark;

			heat((double)m[i * ncols + j] / (double)max, c, &dark);
			putf(r, "<rect x=\"%zu\" y=\"%zu\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#fff\"/>"
			     "<text x=\"%zu\" y=\"%zu\" text-anchor=\"middle\"%s>%llu</text>\n",
			     (size_t)lw + j * (size_t)cw, (size_t)top + i * (size_t)ch, cw, ch, c,
			     (size_t)lw + j * (size_t)cw + cw / 2, (size_t)top + i * (size_t)ch + 22,
			     dark ? " style=\"fill:#fff\"" : "", (unsigned long long)m[i * ncols + j]);
		}
	}
	put(r, "</svg>\n<table ");
	put(r, table_attr);
	put(r, "><tr><th>");
	esc(r, row_title);
	put(r, " \\ ");
	esc(r, col_title);
	put(r, "</th>");
	for (j = 0; j < ncols; j++) {
		put(r, "<th>");
		esc(r, cols[j]);
		put(r, "</th>");
	}
	put(r, "</tr>\n");
	for (i = 0; i < nrows; i++) {
		put(r, "<tr><th>");
		esc(r, rows[i]);
		put(r, "</th>");
		for (j = 0; j < ncols; j++) {
			put(r, "<td class=\"n\" data-row=\"");
			esc(r, rows[i]);
			put(r, "\" data-col=\"");
			esc(r, cols[j]);
			putf(r, "\">%llu</td>", (unsigned long long)m[i * ncols + j]);
		}
		put(r, "</tr>\n");
	}
	put(r, "</table>\n");
}

static void write_cross(struct report *r)
{
	const json_t *cross = json_object_get(json_object_get(r->man, "counts"), "cross");
	const json_t *table = json_object_get(cross, "table");
	const struct head_stats *a, *b;
	uint64_t *m;
	size_t i, j;

	if (r->nheads < 2 || !json_is_object(table))
		return;
	a = &r->h[0];
	b = &r->h[1];
	m = calloc(a->nclass * b->nclass + 1, sizeof(*m));
	if (!m) {
		r->bad = 1;
		return;
	}
	for (i = 0; i < a->nclass; i++)
		for (j = 0; j < b->nclass; j++)
			m[i * b->nclass + j] = (uint64_t)json_integer_value(
				json_object_get(json_object_get(table, a->classes[i]), b->classes[j]));
	put(r, "<h2 id=\"cross\">");
	esc(r, a->name);
	put(r, " &#215; ");
	esc(r, b->name);
	put(r, "</h2>\n<p class=\"note\">Documents by the class of each head (both heads with a class).</p>\n");
	write_heatmap(r, a->name, b->name, a->classes, a->nclass, b->classes, b->nclass, m, "id=\"cross-table\"");
	free(m);
}

static void write_histograms(struct report *r)
{
	const int w = 240, hgt = 120, base = 92, plot_h = 76, left = 10;
	size_t h, k, b;

	put(r, "<h2 id=\"scores\">Scores of the chosen class</h2>\n"
	    "<p class=\"note\">Per class, how many documents got each score (bins of 0.05, from 0 to 1).</p>\n");
	for (h = 0; h < r->nheads; h++) {
		const struct head_stats *hs = &r->h[h];

		put(r, "<h3>");
		esc(r, hs->name);
		put(r, "</h3>\n<div class=\"grid\">\n");
		for (k = 0; k < hs->nclass; k++) {
			const struct class_stats *cs = &hs->cs[k];
			uint64_t max = 1;
			double bw = (double)(w - 2 * left) / HIST_BINS;

			for (b = 0; b < HIST_BINS; b++)
				if (cs->hist[b] > max)
					max = cs->hist[b];
			putf(r, "<svg width=\"%d\" height=\"%d\" role=\"img\"><text x=\"%d\" y=\"12\" font-weight=\"bold\">",
			     w, hgt, left);
			esc_cut(r, hs->classes[k], LABEL_BYTES);
			putf(r, " (%llu)</text>\n", (unsigned long long)cs->n);
			for (b = 0; b < HIST_BINS; b++) {
				double bh = (double)plot_h * (double)cs->hist[b] / (double)max;

				putf(r, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
				     left + b * bw, base - bh, bw - 1, bh, palette[k % (sizeof(palette) / sizeof(*palette))]);
			}
			putf(r, "\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#5b6475\"/>"
			     "<text x=\"%d\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">0.5</text>"
			     "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">1</text></svg>\n",
			     left, base, w - left, base, left, base + 16, w / 2, base + 16, w - left, base + 16);
		}
		put(r, "</div>\n");
	}
}

static void write_throughput(struct report *r)
{
	const json_t *pts = json_object_get(json_object_get(r->man, "progress"), "points");
	const int w = 640, hgt = 220, left = 70, right = 20, top = 16, bottom = 36;
	double tmax = 0, rmax = 0, x0, y;
	size_t i, n = json_array_size(pts);

	put(r, "<h2 id=\"throughput\">Throughput</h2>\n");
	for (i = 1; i < n; i++) {
		double t0 = json_number_value(json_array_get(json_array_get(pts, i - 1), 0));
		double t1 = json_number_value(json_array_get(json_array_get(pts, i), 0));
		double d = (double)(json_integer_value(json_array_get(json_array_get(pts, i), 1)) -
				    json_integer_value(json_array_get(json_array_get(pts, i - 1), 1)));

		if (t1 > t0 && d / (t1 - t0) > rmax)
			rmax = d / (t1 - t0);
		if (t1 > tmax)
			tmax = t1;
	}
	if (n < 2 || tmax <= 0 || rmax <= 0) {
		put(r, "<p class=\"note\">Too few progress points to draw (the run was too short).</p>\n");
		return;
	}
	{
		const json_t *last = json_array_get(pts, n - 1);
		double docs = (double)json_integer_value(json_array_get(last, 1));
		double bytes = (double)json_integer_value(json_array_get(last, 2));

		putf(r, "<p class=\"note\">Documents per second over the run's working time (%.2f s; a resumed run "
		     "goes on from where the interrupted one stopped): %.0f documents/s, %.1f MB/s on average.</p>\n",
		     tmax, docs / tmax, bytes / 1e6 / tmax);
	}
	putf(r, "<svg width=\"%d\" height=\"%d\" role=\"img\">\n<path fill=\"none\" stroke=\"#4269d0\" "
	     "stroke-width=\"2\" d=\"", w, hgt);
	for (i = 1; i < n; i++) {
		double t0 = json_number_value(json_array_get(json_array_get(pts, i - 1), 0));
		double t1 = json_number_value(json_array_get(json_array_get(pts, i), 0));
		double d = (double)(json_integer_value(json_array_get(json_array_get(pts, i), 1)) -
				    json_integer_value(json_array_get(json_array_get(pts, i - 1), 1)));
		double rate = t1 > t0 ? d / (t1 - t0) : 0;

		x0 = left + (w - left - right) * t0 / tmax;
		y = top + (hgt - top - bottom) * (1 - rate / rmax);
		putf(r, "%s%.1f %.1f H%.1f ", i == 1 ? "M" : "L", x0, y, left + (w - left - right) * t1 / tmax);
	}
	putf(r, "\"/>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#5b6475\"/>"
	     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#5b6475\"/>\n",
	     left, hgt - bottom, w - right, hgt - bottom, left, top, left, hgt - bottom);
	putf(r, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>"
	     "<text x=\"%d\" y=\"%d\">0 s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.2f s</text>"
	     "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">documents/s over time</text>\n</svg>\n",
	     left - 4, top + 10, rmax, left - 4, hgt - bottom, left, hgt - bottom + 16, w - right, hgt - bottom + 16,
	     tmax, (w + left) / 2, hgt - 6);
}

static void write_errors(struct report *r)
{
	size_t e, p;

	put(r, "<h2 id=\"errors\">Errors</h2>\n");
	if (!r->errors) {
		put(r, "<p>No error records: every document was classified.</p>\n");
		return;
	}
	putf(r, "<p>%llu error record%s, by kind (numbers folded to N), with the first places.</p>\n"
	     "<table id=\"error-kinds\"><tr><th>kind</th><th>records</th><th>first places</th></tr>\n",
	     (unsigned long long)r->errors, r->errors == 1 ? "" : "s");
	for (e = 0; e < r->nkinds; e++) {
		put(r, "<tr><td>");
		esc(r, r->kinds[e].kind);
		putf(r, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)r->kinds[e].n);
		for (p = 0; p < r->kinds[e].nplaces; p++) {
			if (p)
				put(r, "<br>");
			esc_cut(r, r->kinds[e].places[p], 200);
		}
		put(r, "</td></tr>\n");
	}
	if (r->other_errors)
		putf(r, "<tr><td>other kinds</td><td class=\"n\">%llu</td><td></td></tr>\n",
		     (unsigned long long)r->other_errors);
	put(r, "</table>\n");
}

static void write_evaluation(struct report *r)
{
	json_t *ev = json_object_get(r->man, "evaluation"), *v;
	const char *head;

	if (!json_is_object(ev) || !json_object_size(ev))
		return;
	put(r, "<h2 id=\"evaluation\">Against the inputs' labels</h2>\n");
	json_object_foreach(ev, head, v) {
		const json_t *conf = json_object_get(v, "confusion");
		const json_t *labels = json_object_get(conf, "labels"), *matrix = json_object_get(conf, "matrix");
		size_t n = json_array_size(labels), i, j;
		const char **names = calloc(n ? n : 1, sizeof(char *));
		uint64_t *m = calloc(n * n + 1, sizeof(uint64_t));
		struct tn_buf attr = TN_BUF_INIT;

		if (!names || !m) {
			r->bad = 1;
			free(names);
			free(m);
			return;
		}
		for (i = 0; i < n; i++) {
			names[i] = json_string_value(json_array_get(labels, i));
			names[i] = names[i] ? names[i] : "";
			for (j = 0; j < n; j++)
				m[i * n + j] = (uint64_t)json_integer_value(json_array_get(json_array_get(matrix, i), j));
		}
		put(r, "<h3>");
		esc(r, head);
		putf(r, "</h3>\n<p>accuracy %.4f, macro-F1 %.4f on %lld labeled documents; rows: true class, "
		     "columns: predicted.</p>\n", json_number_value(json_object_get(v, "accuracy")),
		     json_number_value(json_object_get(v, "macro_f1")),
		     (long long)json_integer_value(json_object_get(v, "documents")));
		r->bad |= tn_buf_addstr(&attr, "class=\"confusion\" data-head=\"") ||
			  html_escape(&attr, head, strlen(head)) || tn_buf_addch(&attr, '"');
		write_heatmap(r, "true", "predicted", names, n, names, n, m, attr.ptr);
		tn_buf_release(&attr);
		free(names);
		free(m);
	}
}

static void write_doc_rows(struct report *r, const char *what, const struct doc_ref *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		putf(r, "<tr><td>%s</td><td class=\"n\">%.4f</td><td>", what, a[i].score);
		esc_cut(r, a[i].id, 120);
		put(r, "</td><td class=\"text\">");
		esc_cut(r, a[i].text, SNIPPET_BYTES);
		put(r, "</td></tr>\n");
	}
}

static void write_examples(struct report *r)
{
	size_t h, k;

	put(r, "<h2 id=\"examples\">Confident and uncertain documents</h2>\n");
	if (!r->with_text) {
		put(r, "<p class=\"note\">The records carry no text: classify with --keep-text SIZE (say 300) to see "
		    "each class's most confident and most uncertain documents here.</p>\n");
		return;
	}
	putf(r, "<p class=\"note\">By the score of the chosen class: the %d highest and the %d lowest of each class.</p>\n",
	     EXTREMES, EXTREMES);
	for (h = 0; h < r->nheads; h++) {
		const struct head_stats *hs = &r->h[h];

		for (k = 0; k < hs->nclass; k++) {
			const struct class_stats *cs = &hs->cs[k];

			if (!cs->ntop)
				continue;
			put(r, "<h3>");
			esc(r, hs->name);
			put(r, ": ");
			esc(r, hs->classes[k]);
			put(r, "</h3>\n<table class=\"examples\"><tr><th></th><th>score</th><th>id</th><th>text</th></tr>\n");
			write_doc_rows(r, "confident", cs->top, cs->ntop);
			write_doc_rows(r, "uncertain", cs->low, cs->nlow);
			put(r, "</table>\n");
		}
	}
}

/* Says on the page where the shards' records disagree with the manifest's counts. */
static void write_recount(struct report *r)
{
	const json_t *counts = json_object_get(r->man, "counts");
	int same = (uint64_t)json_integer_value(json_object_get(counts, "ok")) == r->results &&
		   (uint64_t)json_integer_value(json_object_get(counts, "errors")) == r->errors;
	size_t h, k;

	for (h = 0; same && h < r->nheads; h++)
		for (k = 0; k < r->h[h].nclass; k++)
			same &= counts_of(r, r->h[h].name, r->h[h].classes[k]) == r->h[h].cs[k].n;
	if (same)
		putf(r, "<p class=\"note\" id=\"recount\">The shards' %llu records agree with these counts.</p>\n",
		     (unsigned long long)(r->results + r->errors));
	else
		putf(r, "<p class=\"warn\" id=\"recount\">The shards' records (%llu classified, %llu errors) do not agree "
		     "with the manifest's counts.</p>\n", (unsigned long long)r->results, (unsigned long long)r->errors);
}

/*
 * Takes the run's gathered data into r in place of reading the shards, when
 * its heads and classes are the manifest's (always, for the run that wrote
 * it).  1 if taken, 0 if not.
 */
static int take_data(struct report *r, struct tn_report_data *d)
{
	size_t h, k, e;

	if (d->r.nheads != r->nheads)
		return 0;
	for (h = 0; h < r->nheads; h++) {
		if (strcmp(d->r.h[h].name, r->h[h].name) || d->r.h[h].nclass != r->h[h].nclass)
			return 0;
		for (k = 0; k < r->h[h].nclass; k++)
			if (strcmp(d->r.h[h].classes[k], r->h[h].classes[k]))
				return 0;
	}
	for (h = 0; h < r->nheads; h++) {
		struct class_stats *cs = r->h[h].cs;

		r->h[h].cs = d->r.h[h].cs;
		d->r.h[h].cs = cs;
		r->h[h].nulls = d->r.h[h].nulls;
	}
	for (e = 0; e < d->r.nkinds; e++)
		r->kinds[e] = d->r.kinds[e];
	r->nkinds = d->r.nkinds;
	d->r.nkinds = 0;
	r->other_errors = d->r.other_errors;
	r->errors = d->r.errors;
	r->results = d->r.results;
	r->with_text = d->r.with_text;
	return 1;
}

int tn_report_write(const char *out_dir, struct tn_report_data *data, struct tn_err *err)
{
	struct report r;
	struct tn_buf path = TN_BUF_INIT;
	json_error_t je;
	const json_t *shards, *s;
	const char *fmt;
	size_t i;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	tn_buf_init(&r.html);
	r.dir = out_dir;
	if (tn_buf_addf(&path, "%s/manifest.json", out_dir))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	r.man = json_load_file(path.ptr, 0, &je);
	fmt = json_string_value(json_object_get(r.man, "format"));
	if (!r.man || !fmt || strcmp(fmt, "tenor-classify")) {
		rc = tn_err_set(err, TN_ESTATE, "'%s' holds no classify run (no readable manifest.json of one)", out_dir);
		goto out;
	}
	if ((rc = setup_heads(&r, err)))
		goto out;
	shards = json_object_get(r.man, "shards");
	if (data && take_data(&r, data))
		shards = NULL;
	json_array_foreach(shards, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));

		/* Only names classify writes: a manifest cannot send the reader elsewhere. */
		if (!name || strncmp(name, "part-", 5) || strchr(name, '/')) {
			rc = tn_err_set(err, TN_ESTATE, "the manifest of '%s' lists a shard with a bad name", out_dir);
			goto out;
		}
		if ((rc = read_shard(&r, name, err)))
			goto out;
	}
	write_head_section(&r);
	write_recount(&r);
	write_counts(&r);
	write_cross(&r);
	write_histograms(&r);
	write_throughput(&r);
	write_errors(&r);
	write_evaluation(&r);
	write_examples(&r);
	put(&r, "<p class=\"note\">Made by Tenor's classify from the run's manifest.json and shards.</p>\n"
	    "</body>\n</html>\n");
	if (r.bad) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	tn_buf_reset(&path);
	if (tn_buf_addf(&path, "%s/report.html", out_dir)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	rc = tn_write_atomic(path.ptr, r.html.ptr, r.html.len, err);
out:
	report_release(&r);
	tn_buf_release(&path);
	return rc;
}
