/*
 * pipeline.c - the classify run; see pipeline.h.
 *
 * One batch at a time: read (calling thread), process (OpenMP threads, one
 * document each, results stored per document), write (calling thread, in
 * order).  Everything the manifest says about a shard - counts, evaluation,
 * input position - is accumulated by the writer as it writes each record, so
 * it describes exactly the records in complete shards, whatever the batch
 * boundaries were.
 */
#include "pipeline.h"
#include "buf.h"
#include "cli.h"
#include "feat.h"
#include "limits.h"
#include "manifest_json.h"
#include "metrics.h"
#include "predict.h"
#include "atomic_file.h"
#include "shard.h"

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

#define MANIFEST_FORMAT "tenor-classify"
#define MANIFEST_VERSION 1
#define BATCH_BYTES ((size_t)32 << 20)

struct batch_doc {
	enum tn_doc_kind kind;
	size_t data_off, data_len, id_off;
	size_t input;
	uint64_t ordinal, enumerated;   /* position just after this document */
	struct tn_buf out;              /* the record, newline included */
	struct tn_buf why;              /* the error, for error records */
	int error;
	size_t text_len;
};

struct batch {
	size_t n, cap;
	struct batch_doc *d;
	struct tn_buf arena;
	int32_t *truth, *pred;          /* cap x nheads */
};

struct worker {
	struct tn_feat_scratch *fs;
	struct tn_predict_scratch *ps;
	struct tn_counts cnt;
	struct tn_vec vec;
	struct tn_head_result *res;
	double **all;
	double t_feat, t_pred;
};

struct run {
	const struct tn_run_opts *o;
	struct tn_bundle *b;
	struct tn_predictor *p;
	struct tn_source *src;
	size_t nheads;
	char **class_json;              /* per head: nclass JSON strings, back to back */
	size_t **class_off;
	char **head_key, **score_key, **scores_key;
	int lock_fd;
	int lock_created;               /* this run made OUT/.lock */
	int to_stdout;
	struct tn_shard *shard;
	unsigned next_shard;
	json_t *shards;
	uint64_t docs, ok, errors, text_bytes, enumerated;
	uint64_t kept_docs, kept_ok, kept_errors;   /* in complete shards */
	uint64_t labeled;
	struct tn_confusion *conf;
	size_t pos_input;
	uint64_t pos_ordinal, pos_enumerated;
	double t0, t_read, t_write;
	double t_features, t_predict;   /* the workers' sums, as of the last parallel region's end */
	json_t *inputs;
	char inputs_digest[17];
	struct worker *w;
	int nworkers;
	struct tn_buf line;             /* standard output of one batch */
	struct tn_buf pending;          /* error records to report: id, NUL, why, NUL */
};

void tn_run_opts_default(struct tn_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->input_format = TN_INPUT_AUTO;
	o->text_field = "text";
	o->id_field = "id";
	o->shard_docs = 1000000;
	o->max_doc_bytes = TN_MAX_DOC_BYTES_DEFAULT;
	o->batch_docs = 4096;
	o->zstd_level = 3;
	o->part_i = 1;
	o->part_n = 1;
}

void tn_run_stats_release(struct tn_run_stats *s)
{
	free(s->summary);
	s->summary = NULL;
}

/* ---- record formatting ---- */

static int add_json_text(struct tn_buf *b, const char *s, size_t n)
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

static int prepare_keys(struct run *r)
{
	size_t h, k;

	r->class_json = calloc(r->nheads, sizeof(char *));
	r->class_off = calloc(r->nheads, sizeof(size_t *));
	r->head_key = calloc(r->nheads, sizeof(char *));
	r->score_key = calloc(r->nheads, sizeof(char *));
	r->scores_key = calloc(r->nheads, sizeof(char *));
	if (!r->class_json || !r->class_off || !r->head_key || !r->score_key || !r->scores_key)
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
		if (bad || !r->class_json[h] || !r->head_key[h] || !r->score_key[h] || !r->scores_key[h])
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
	char s[16];
	unsigned q;

	if (isnan(v))
		return tn_buf_addstr(b, "null");
	q = v <= 0 ? 0 : v >= 1 ? 10000 : (unsigned)(v * 10000.0 + 0.5);
	snprintf(s, sizeof(s), "%u.%04u", q / 10000 % 10, q % 10000);
	return tn_buf_addstr(b, s);
}

static int format_result(const struct run *r, struct tn_buf *out, const char *id, size_t idlen,
			 const struct tn_head_result *res, double *const *all)
{
	size_t h, k;
	int bad = 0;

	bad |= tn_buf_addstr(out, "{\"id\": ") || add_json_text(out, id, idlen);
	for (h = 0; h < r->nheads; h++) {
		const size_t *off = r->class_off[h];
		int c = res[h].cls;

		bad |= tn_buf_addstr(out, r->head_key[h]);
		bad |= tn_buf_add(out, r->class_json[h] + off[c], off[c + 1] - off[c]);
		bad |= tn_buf_addstr(out, r->score_key[h]) || add_score(out, res[h].score);
		if (all) {
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
	bad |= tn_buf_addstr(out, "}\n");
	return bad ? TN_ENOMEM : 0;
}

static void fail_doc(struct batch_doc *d, const char *id, size_t idlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail_doc(struct batch_doc *d, const char *id, size_t idlen, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->error = 1;
	tn_buf_reset(&d->out);
	tn_buf_reset(&d->why);
	tn_buf_addstr(&d->why, msg);
	tn_buf_addstr(&d->out, "{\"id\": ");
	add_json_text(&d->out, id, idlen);
	tn_buf_addstr(&d->out, ", \"error\": ");
	add_json_text(&d->out, msg, strlen(msg));
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

static void process_doc(const struct run *r, struct worker *w, struct batch *bt, size_t i)
{
	struct batch_doc *d = &bt->d[i];
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
	if (tn_predict_counts(r->p, w->ps, &w->cnt, w->res, r->o->all_scores ? w->all : NULL)) {
		fail_doc(d, id, idlen, "out of memory");
		goto out;
	}
	for (h = 0; h < r->nheads; h++)
		pred[h] = w->res[h].cls;
	if (format_result(r, &d->out, id, idlen, w->res, r->o->all_scores ? w->all : NULL))
		fail_doc(d, id, idlen, "out of memory");
	t3 = tn_now();
	w->t_pred += t3 - t2;
	cJSON_Delete(root);
	return;
out:
	w->t_feat += tn_now() - t1;
	cJSON_Delete(root);
}

/* ---- workers and batches ---- */

static void workers_free(struct run *r)
{
	int t;
	size_t h;

	if (!r->w)
		return;
	for (t = 0; t < r->nworkers; t++) {
		struct worker *w = &r->w[t];

		tn_feat_scratch_free(w->fs);
		tn_predict_scratch_free(w->ps);
		tn_counts_release(&w->cnt);
		tn_vec_release(&w->vec);
		free(w->res);
		if (w->all)
			for (h = 0; h < r->nheads; h++)
				free(w->all[h]);
		free(w->all);
	}
	free(r->w);
	r->w = NULL;
}

static int workers_create(struct run *r)
{
	int t;
	size_t h;

	r->nworkers = omp_get_max_threads();
	r->w = calloc((size_t)r->nworkers, sizeof(*r->w));
	if (!r->w)
		return TN_ENOMEM;
	for (t = 0; t < r->nworkers; t++) {
		struct worker *w = &r->w[t];

		w->fs = tn_feat_scratch_create(&r->b->feat);
		w->ps = tn_predict_scratch_create(r->p);
		w->res = calloc(r->nheads, sizeof(*w->res));
		w->all = calloc(r->nheads, sizeof(*w->all));
		tn_counts_init(&w->cnt);
		tn_vec_init(&w->vec);
		if (!w->fs || !w->ps || !w->res || !w->all)
			return TN_ENOMEM;
		for (h = 0; h < r->nheads; h++)
			if (!(w->all[h] = calloc(r->b->heads[h].nclass, sizeof(double))))
				return TN_ENOMEM;
	}
	return 0;
}

static void batch_release(struct batch *bt)
{
	size_t i;

	for (i = 0; i < bt->cap; i++) {
		tn_buf_release(&bt->d[i].out);
		tn_buf_release(&bt->d[i].why);
	}
	free(bt->d);
	free(bt->truth);
	free(bt->pred);
	tn_buf_release(&bt->arena);
	memset(bt, 0, sizeof(*bt));
}

static int batch_init(struct batch *bt, size_t cap, size_t nheads)
{
	memset(bt, 0, sizeof(*bt));
	bt->cap = cap;
	bt->d = calloc(cap, sizeof(*bt->d));
	bt->truth = calloc(cap * (nheads ? nheads : 1), sizeof(int32_t));
	bt->pred = calloc(cap * (nheads ? nheads : 1), sizeof(int32_t));
	tn_buf_init(&bt->arena);
	for (size_t i = 0; bt->d && i < cap; i++) {
		tn_buf_init(&bt->d[i].out);
		tn_buf_init(&bt->d[i].why);
	}
	return bt->d && bt->truth && bt->pred ? 0 : TN_ENOMEM;
}

/* Reads up to a batch of selected documents; *eof when the source is exhausted. */
static int fill_batch(struct run *r, struct batch *bt, int *eof)
{
	const struct tn_run_opts *o = r->o;
	struct tn_raw_doc raw;

	bt->n = 0;
	tn_buf_reset(&bt->arena);
	while (bt->n < bt->cap && bt->arena.len < BATCH_BYTES) {
		struct batch_doc *d;
		int rc = tn_source_next(r->src, &raw);
		uint64_t g;

		if (rc < 0)
			return rc;
		if (rc == 0) {
			*eof = 1;
			break;
		}
		g = r->enumerated++;
		/* --part by document: only with fewer files than parts (see tn_run). */
		if (o->part_n > 1 && tn_source_nfiles(r->src) < (size_t)o->part_n &&
		    (long)(g % (uint64_t)o->part_n) != o->part_i - 1)
			continue;
		d = &bt->d[bt->n++];
		d->kind = raw.kind;
		d->data_off = bt->arena.len;
		d->data_len = raw.len;
		if (tn_buf_add(&bt->arena, raw.data, raw.len) || tn_buf_addch(&bt->arena, '\0'))
			return TN_ENOMEM;
		d->id_off = bt->arena.len;
		if (tn_buf_addstr(&bt->arena, raw.id) || tn_buf_addch(&bt->arena, '\0'))
			return TN_ENOMEM;
		d->input = raw.input;
		d->ordinal = raw.ordinal + 1;
		d->enumerated = r->enumerated;
	}
	return 0;
}

/* ---- manifest ---- */

static json_t *evaluation_json(const struct run *r)
{
	json_t *ev = json_object();
	size_t h;

	for (h = 0; h < r->nheads; h++) {
		json_t *m;

		if (!r->conf[h].total)
			continue;
		m = tn_confusion_json(&r->conf[h], (const char *const *)r->b->heads[h].classes);
		if (m)
			json_object_set_new(ev, r->b->heads[h].name, m);
	}
	return ev;
}

static json_t *build_manifest(const struct run *r, int complete)
{
	const struct tn_run_opts *o = r->o;
	double secs = tn_now() - r->t0;
	json_t *heads = json_array();
	char part[48];
	size_t h;

	snprintf(part, sizeof(part), "%ld/%ld", o->part_i, o->part_n);
	for (h = 0; h < r->nheads; h++)
		json_array_append_new(heads, json_string(r->b->heads[h].name));
	return json_pack("{s:s, s:i, s:b, s:{s:s, s:s, s:o}, s:{s:I, s:I, s:b, s:s, s:s, s:s, s:s, s:i},"
			 " s:{s:I, s:s, s:O}, s:O, s:{s:I, s:I, s:I, s:I}, s:o,"
			 " s:{s:f, s:f, s:f, s:f, s:f, s:f, s:f}}",
			 "format", MANIFEST_FORMAT, "version", MANIFEST_VERSION, "complete", complete,
			 "model", "path", o->model_dir, "identity", r->b->identity, "heads", heads,
			 "options", "shard_docs", (json_int_t)o->shard_docs,
			 "max_doc_bytes", (json_int_t)o->max_doc_bytes, "all_scores", o->all_scores,
			 "part", part, "text_field", o->text_field, "id_field", o->id_field,
			 "input_format", o->input_format == TN_INPUT_JSONL ? "jsonl" :
					 o->input_format == TN_INPUT_TEXT ? "text" : "auto",
			 "zstd_level", o->zstd_level,
			 "inputs", "files", (json_int_t)tn_source_nfiles(r->src), "digest", r->inputs_digest,
			 "list", r->inputs,
			 "shards", r->shards,
			 "counts", "documents", (json_int_t)r->docs, "ok", (json_int_t)r->ok,
			 "errors", (json_int_t)r->errors, "text_bytes", (json_int_t)r->text_bytes,
			 "evaluation", evaluation_json(r),
			 "timings", "seconds", secs,
			 "docs_per_second", secs > 0 ? (double)r->docs / secs : 0.0,
			 "mb_per_second", secs > 0 ? (double)r->text_bytes / 1e6 / secs : 0.0,
			 "read", r->t_read, "write", r->t_write,
			 "features", 0.0, "predict", 0.0);
}

static int write_manifest(struct run *r, int complete, struct tn_err *err)
{
	json_t *m = build_manifest(r, complete);
	struct tn_buf path = TN_BUF_INIT;
	char *s;
	int rc;

	if (!m)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	/*
	 * Not the workers' own timings: this runs on the writing thread while
	 * the workers update theirs; sum_timings refreshes these between regions.
	 */
	json_object_set_new(json_object_get(m, "timings"), "features", json_real(r->t_features));
	json_object_set_new(json_object_get(m, "timings"), "predict", json_real(r->t_predict));
	s = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8));
	json_decref(m);
	if (!s || tn_buf_addf(&path, "%s/manifest.json", r->o->out_dir)) {
		free(s);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	rc = tn_write_atomic(path.ptr, s, strlen(s), err);
	free(s);
	tn_buf_release(&path);
	return rc;
}

/* ---- shards ---- */

static int finish_shard(struct run *r, struct tn_err *err)
{
	struct tn_shard_info info;
	json_t *e;
	int rc;

	rc = tn_shard_close(r->shard, &info, err);
	r->shard = NULL;
	if (rc)
		return rc;
	r->next_shard++;
	r->kept_docs = r->docs;
	r->kept_ok = r->ok;
	r->kept_errors = r->errors;
	e = json_pack("{s:s, s:I, s:I, s:I, s:s, s:{s:I, s:I, s:I, s:I}}",
		      "name", info.name, "documents", (json_int_t)info.docs, "bytes", (json_int_t)info.bytes,
		      "raw_bytes", (json_int_t)info.raw_bytes, "xxh64", info.xxh64,
		      "end", "input", (json_int_t)r->pos_input, "ordinal", (json_int_t)r->pos_ordinal,
		      "enumerated", (json_int_t)r->pos_enumerated, "documents", (json_int_t)r->docs);
	if (!e || json_array_append_new(r->shards, e))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	return write_manifest(r, 0, err);
}

/* Writes all of buf to fd 1. */
static int write_stdout(const char *p, size_t n, struct tn_err *err)
{
	while (n) {
		ssize_t w = write(1, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EPIPE)
			return tn_err_set(err, TN_ECLOSED, "standard output was closed by its reader");
		if (w <= 0)
			return tn_err_set(err, TN_EIO, "cannot write to standard output: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_batch(struct run *r, struct batch *bt, struct tn_err *err)
{
	const struct tn_run_opts *o = r->o;
	size_t i, h;
	int rc;

	tn_buf_reset(&r->line);
	for (i = 0; i < bt->n; i++) {
		struct batch_doc *d = &bt->d[i];

		if (r->to_stdout) {
			if (tn_buf_add(&r->line, d->out.ptr, d->out.len))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
		} else {
			if (!r->shard) {
				rc = tn_shard_open(&r->shard, o->out_dir, r->next_shard, o->zstd_level, err);
				if (rc)
					return rc;
			}
			rc = tn_shard_write(r->shard, d->out.ptr, d->out.len, err);
			if (rc)
				return rc;
		}
		r->docs++;
		r->text_bytes += d->text_len;
		if (d->error) {
			r->errors++;
			/* Reported by the calling thread after the parallel region. */
			if (o->on_error && (tn_buf_addstr(&r->pending, bt->arena.ptr + d->id_off) ||
					    tn_buf_addch(&r->pending, '\0') || tn_buf_addstr(&r->pending, d->why.ptr) ||
					    tn_buf_addch(&r->pending, '\0')))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
		} else {
			r->ok++;
			for (h = 0; h < r->nheads; h++) {
				int32_t t = bt->truth[i * r->nheads + h];

				if (t >= 0)
					tn_confusion_add(&r->conf[h], t, bt->pred[i * r->nheads + h]);
			}
		}
		r->pos_input = d->input;
		r->pos_ordinal = d->ordinal;
		r->pos_enumerated = d->enumerated;
		if (r->shard && tn_shard_docs(r->shard) >= o->shard_docs) {
			rc = finish_shard(r, err);
			if (rc)
				return rc;
		}
	}
	if (r->to_stdout && r->line.len)
		return write_stdout(r->line.ptr, r->line.len, err);
	return 0;
}

/* ---- the run folder: lock, fresh start, resume ---- */

static int take_lock(struct run *r, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;

	if (tn_buf_addf(&p, "%s/.lock", r->o->out_dir))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	r->lock_fd = open(p.ptr, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (r->lock_fd >= 0)
		r->lock_created = 1;
	else if (errno == EEXIST)
		r->lock_fd = open(p.ptr, O_RDWR | O_CLOEXEC);
	tn_buf_release(&p);
	if (r->lock_fd < 0)
		return tn_err_set(err, TN_EIO, "cannot create a lock in '%s': %s", r->o->out_dir, strerror(errno));
	if (flock(r->lock_fd, LOCK_EX | LOCK_NB))
		return tn_err_set(err, TN_ESTATE, "'%s' is in use by another classify run", r->o->out_dir);
	return 0;
}

/* Removes the lock file when this run made it for nothing (a refused folder). */
static void drop_lock(struct run *r)
{
	struct tn_buf p = TN_BUF_INIT;

	if (r->lock_created && !tn_buf_addf(&p, "%s/.lock", r->o->out_dir))
		unlink(p.ptr);
	tn_buf_release(&p);
	r->lock_created = 0;
}

/*
 * The names classify writes in a run folder, by kind.  Anything else there
 * belongs to someone else and is never deleted or replaced.
 */
enum entry { E_OTHER, E_LOCK, E_MANIFEST, E_TEMP, E_SHARD };

static enum entry classify_entry(const char *name, unsigned *idx)
{
	char want[64];

	if (!strcmp(name, ".lock"))
		return E_LOCK;
	if (!strcmp(name, "manifest.json"))
		return E_MANIFEST;
	if (!strcmp(name, "manifest.json.tmp") || !strcmp(name, "_SUCCESS.tmp") || !strcmp(name, "_SUCCESS"))
		return E_TEMP;
	/* Exactly the names tn_shard_name and tn_shard_tmp_name make. */
	if (sscanf(name, ".part-%5u", idx) == 1) {
		tn_shard_tmp_name(*idx, want, sizeof(want));
		if (!strcmp(name, want))
			return E_TEMP;
	}
	if (sscanf(name, "part-%5u", idx) == 1) {
		tn_shard_name(*idx, want, sizeof(want));
		if (!strcmp(name, want))
			return E_SHARD;
	}
	return E_OTHER;
}

/*
 * Looks over the run folder before anything is removed.  With a manifest
 * listing nlisted shards, shards from nlisted on are in the way except
 * part-<nlisted>, which a crash between its rename and the manifest's
 * rewrite leaves; without one (nlisted < 0), anything that is not the lock
 * or a temporary name means the folder is not Tenor's.  0 or TN_ESTATE.
 */
static int survey_folder(const char *dir, long nlisted, struct tn_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return tn_err_set(err, TN_EIO, "cannot list '%s': %s", dir, strerror(errno));
	while (!rc && (e = readdir(d))) {
		unsigned idx = 0;
		enum entry k;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		k = classify_entry(e->d_name, &idx);
		if (nlisted < 0 && k != E_LOCK && k != E_TEMP)
			rc = tn_err_set(err, TN_ESTATE, "'%s' is not empty and holds no classify run (no manifest.json): "
					"not touching it; name a new or empty folder", dir);
		else if (nlisted < 0 && !strcmp(e->d_name, "_SUCCESS"))
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds a '_SUCCESS' but no manifest.json: not touching it; "
					"name a new or empty folder", dir);
		else if (nlisted >= 0 && k == E_SHARD && (long)idx > nlisted)
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds '%s', which its manifest does not list: "
					"not touching it; move it away first", dir, e->d_name);
	}
	closedir(d);
	return rc;
}

/*
 * Removes temporary files and the shards numbered from `from` on: only
 * names classify writes, after survey_folder accepted the folder.
 */
static void clean_folder(const char *dir, unsigned from)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		unsigned idx = 0;
		enum entry k = classify_entry(e->d_name, &idx);

		if (k == E_TEMP || (k == E_SHARD && idx >= from)) {
			struct tn_buf p = TN_BUF_INIT;

			if (!tn_buf_addf(&p, "%s/%s", dir, e->d_name))
				unlink(p.ptr);
			tn_buf_release(&p);
		}
	}
	closedir(d);
}

static int check_same(json_t *old, const char *key, json_t *now_v, const char *what, const char *dir,
		      struct tn_err *err)
{
	json_t *v = json_object_get(old, key);

	if (!v || !json_equal(v, now_v))
		return tn_err_set(err, TN_ESTATE, "cannot resume '%s': %s differ from the interrupted run's", dir, what);
	return 0;
}

/* A non-negative integer member of o, or -1. */
static json_int_t get_count(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

/* 1 if a manifest is a classify run's, of this version. */
static int is_run_manifest(json_t *man)
{
	const char *fmt = json_string_value(json_object_get(man, "format"));

	return fmt && !strcmp(fmt, MANIFEST_FORMAT) && json_is_integer(json_object_get(man, "version")) &&
	       json_integer_value(json_object_get(man, "version")) == MANIFEST_VERSION;
}

/* Checks that the file of listed shard e has the size and XXH64 the manifest gives. */
static int verify_shard(const char *dir, const char *name, json_int_t bytes, const char *hex, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	XXH64_state_t *xs = NULL;
	char buf[1 << 16], got[17];
	struct stat st;
	uint64_t total = 0;
	ssize_t n;
	int fd = -1, rc = 0;

	if (tn_buf_addf(&p, "%s/%s", dir, name) || !(xs = XXH64_createState())) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(p.ptr, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': shard '%s' listed in its manifest is missing or unreadable%s%s; "
				"start over with --force", dir, name, fd < 0 ? ": " : "", fd < 0 ? strerror(errno) : "");
		goto out;
	}
	if ((uint64_t)st.st_size != (uint64_t)bytes) {
		rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': shard '%s' has %llu bytes, its manifest says %lld; "
				"start over with --force", dir, name, (unsigned long long)st.st_size, (long long)bytes);
		goto out;
	}
	XXH64_reset(xs, 0);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = tn_err_set(err, TN_EIO, "cannot read '%s': %s", p.ptr, strerror(errno));
			goto out;
		}
		XXH64_update(xs, buf, (size_t)n);
		total += (uint64_t)n;
	}
	snprintf(got, sizeof(got), "%016llx", (unsigned long long)XXH64_digest(xs));
	if (total != (uint64_t)bytes || strcmp(got, hex))
		rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': shard '%s' does not match its checksum in the manifest "
				"(XXH64 %s, expected %s); start over with --force", dir, name, got, hex);
out:
	if (fd >= 0)
		close(fd);
	XXH64_freeState(xs);
	tn_buf_release(&p);
	return rc;
}

/*
 * Checks a manifest's shards and counts against each other, the run's
 * options and inputs, and the files on disk: every listed shard is there with
 * its size and XXH64; every position is one this run could have written.  On
 * success fills the run's counts and position from it.
 */
static int load_shards(struct run *r, json_t *man, int complete, struct tn_err *err)
{
	const struct tn_run_opts *o = r->o;
	const char *dir = o->out_dir;
	json_t *shards = json_object_get(man, "shards"), *counts = json_object_get(man, "counts");
	json_int_t prev_input = 0, prev_ord = 0, prev_enum = 0, docs = 0, c_docs, c_ok, c_err, c_text;
	uint64_t nfiles = tn_source_nfiles(r->src);
	int by_doc = o->part_n > 1 && nfiles < (uint64_t)o->part_n;
	size_t i, n;
	int rc;

#define BAD(...) tn_err_set(err, TN_ESTATE, "cannot resume '%s': its manifest is inconsistent (" __VA_ARGS__)
	if (!json_is_array(shards))
		return BAD("no shard list); start over with --force", dir);
	n = json_array_size(shards);
	if (n > 99999)
		return BAD("%zu shards); start over with --force", dir, n);
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(shards, i), *end = json_object_get(s, "end");
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *hex = json_string_value(json_object_get(s, "xxh64"));
		json_int_t sd = get_count(s, "documents"), bytes = get_count(s, "bytes");
		json_int_t in = get_count(end, "input"), ord = get_count(end, "ordinal");
		json_int_t en = get_count(end, "enumerated"), ed = get_count(end, "documents");
		char want[64];
		int full;

		tn_shard_name((unsigned)i, want, sizeof(want));
		if (!name || strcmp(name, want) || !hex || strlen(hex) != 16 || strspn(hex, "0123456789abcdef") != 16)
			return BAD("shard %zu is not '%s' with an XXH64); start over with --force", dir, i, want);
		/* Every shard holds shard_docs records but a finished run's last. */
		full = sd == (json_int_t)o->shard_docs;
		if (bytes < 0 || sd < 1 || sd > (json_int_t)o->shard_docs || (!full && !(complete && i == n - 1)))
			return BAD("'%s' holds %lld documents of %llu); start over with --force", dir, name,
				   (long long)sd, (unsigned long long)o->shard_docs);
		docs += sd;
		/*
		 * The position after the shard's last record: a later one, in a
		 * selected input, and the documents read since the previous
		 * shard's end cover the ordinals moved within an input.
		 */
		if (in < prev_input || (uint64_t)in >= nfiles || ord < 1 || en < prev_enum || ed != docs ||
		    (in == prev_input && ord - prev_ord != en - prev_enum) ||
		    (in != prev_input && ord > en - prev_enum) ||
		    (o->part_n > 1 && !by_doc && in % o->part_n != o->part_i - 1) ||
		    (by_doc ? (en > o->part_i - 1 ? (en - (o->part_i - 1) + o->part_n - 1) / o->part_n : 0) != ed
			    : en != ed))
			return BAD("the end of '%s' is not a position this run could reach); start over with --force",
				   dir, name);
		prev_input = in;
		prev_ord = ord;
		prev_enum = en;
	}
	c_docs = get_count(counts, "documents");
	c_ok = get_count(counts, "ok");
	c_err = get_count(counts, "errors");
	c_text = get_count(counts, "text_bytes");
	if (c_docs != docs || c_ok < 0 || c_err < 0 || c_ok + c_err != c_docs || c_text < 0)
		return BAD("its counts disagree with its shards); start over with --force", dir);
#undef BAD
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(shards, i);

		rc = verify_shard(dir, json_string_value(json_object_get(s, "name")), get_count(s, "bytes"),
				  json_string_value(json_object_get(s, "xxh64")), err);
		if (rc)
			return rc;
	}
	json_decref(r->shards);
	r->shards = json_deep_copy(shards);
	if (!r->shards)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	r->next_shard = (unsigned)n;
	r->docs = r->kept_docs = (uint64_t)c_docs;
	r->ok = r->kept_ok = (uint64_t)c_ok;
	r->errors = r->kept_errors = (uint64_t)c_err;
	r->text_bytes = (uint64_t)c_text;
	r->pos_input = (size_t)prev_input;
	r->pos_ordinal = (uint64_t)prev_ord;
	r->pos_enumerated = r->enumerated = (uint64_t)prev_enum;
	return 0;
}

static int resume_from(struct run *r, json_t *man, struct tn_err *err)
{
	const char *dir = r->o->out_dir;
	json_t *cur = build_manifest(r, 0), *ev;
	size_t h, i;
	int rc;

	if (!cur)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if (!json_equal(json_object_get(json_object_get(man, "model"), "identity"),
			json_object_get(json_object_get(cur, "model"), "identity")))
		rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': it was started with another model", dir);
	else if (!(rc = check_same(man, "options", json_object_get(cur, "options"), "the options", dir, err)))
		rc = check_same(json_object_get(man, "inputs"), "digest",
				json_object_get(json_object_get(cur, "inputs"), "digest"),
				"the inputs (names, sizes or times)", dir, err);
	json_decref(cur);
	if (!rc)
		rc = load_shards(r, man, 0, err);
	if (rc)
		return rc;
	/*
	 * Standard input cannot be read again from where the interrupted run
	 * stopped, nor checked to be the same stream: only a run that kept
	 * nothing yet may go on.
	 */
	for (i = 0; r->next_shard && i < tn_source_nfiles(r->src); i++)
		if (!strcmp(tn_source_file(r->src, i)->path, "-"))
			return tn_err_set(err, TN_ESTATE, "cannot resume '%s': it reads standard input, which cannot be "
					  "checked to be the same stream; start over with --force", dir);
	ev = json_object_get(man, "evaluation");
	for (h = 0; h < r->nheads; h++) {
		json_t *m = json_object_get(ev, r->b->heads[h].name);

		if (m && (tn_confusion_from_json(&r->conf[h], m) || r->conf[h].total > r->ok))
			return tn_err_set(err, TN_ESTATE, "cannot resume '%s': bad evaluation in the manifest", dir);
	}
	rc = survey_folder(dir, (long)r->next_shard, err);
	if (rc)
		return rc;
	if (r->next_shard)
		tn_source_seek(r->src, r->pos_input, r->pos_ordinal);
	clean_folder(dir, r->next_shard);
	return 0;
}

static int prepare_folder(struct run *r, int *complete, struct tn_err *err)
{
	const struct tn_run_opts *o = r->o;
	struct tn_buf p = TN_BUF_INIT;
	json_error_t je;
	json_t *man = NULL;
	struct stat st;
	int rc = 0, fresh = 1;

	*complete = 0;
	if (mkdir(o->out_dir, 0777) && errno != EEXIST)
		return tn_err_set(err, TN_EIO, "cannot create '%s': %s", o->out_dir, strerror(errno));
	if (stat(o->out_dir, &st) || !S_ISDIR(st.st_mode))
		return tn_err_set(err, TN_EIO, "'%s' is not a folder", o->out_dir);
	rc = take_lock(r, err);
	if (rc)
		return rc;
	if (tn_buf_addf(&p, "%s/manifest.json", o->out_dir))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if (lstat(p.ptr, &st) == 0) {
		man = json_load_file(p.ptr, 0, &je);
		if (!man || !is_run_manifest(man)) {
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds a manifest.json that is not a classify run's%s%s%s: "
					"not touching it; name a new or empty folder", o->out_dir,
					man ? "" : " (", man ? "" : je.text, man ? "" : ")");
		} else if (o->force) {
			/* Only what the run's manifest lists, and Tenor's own temporary names. */
			long n = json_is_array(json_object_get(man, "shards")) ?
				 (long)json_array_size(json_object_get(man, "shards")) : 0;

			rc = survey_folder(o->out_dir, n, err);
			if (!rc)
				clean_folder(o->out_dir, 0);
		} else if (!o->resume) {
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds a classify run already: continue it with --resume, or start over with --force",
					o->out_dir);
		} else if (json_is_true(json_object_get(man, "complete"))) {
			rc = load_shards(r, man, 1, err);
			*complete = !rc;
			fresh = 0;
		} else {
			rc = resume_from(r, man, err);
			fresh = 0;
		}
	} else {
		rc = survey_folder(o->out_dir, -1, err);
		if (!rc)
			clean_folder(o->out_dir, 0);
	}
	if (rc)
		drop_lock(r);
	/* A run folder has a manifest from the start: what has none is not Tenor's. */
	if (!rc && fresh)
		rc = write_manifest(r, 0, err);
	json_decref(man);
	tn_buf_release(&p);
	return rc;
}

/* ---- the run ---- */

static int inputs_list(struct run *r)
{
	XXH64_state_t *xs = XXH64_createState();
	size_t i, n = tn_source_nfiles(r->src);

	r->inputs = json_array();
	if (!xs || !r->inputs) {
		XXH64_freeState(xs);
		return TN_ENOMEM;
	}
	XXH64_reset(xs, 0);
	for (i = 0; i < n; i++) {
		const struct tn_source_file *f = tn_source_file(r->src, i);
		uint64_t meta[2] = { f->size, (uint64_t)f->mtime };

		XXH64_update(xs, f->path, strlen(f->path) + 1);
		XXH64_update(xs, meta, sizeof(meta));
		if (i < TN_MANIFEST_INPUTS_LISTED) {
			/* A path need not be UTF-8; the manifest's list shows it with '?' for bad bytes. */
			struct tn_buf p = TN_BUF_INIT;
			json_t *e;

			if (add_json_text(&p, f->path, strlen(f->path))) {
				XXH64_freeState(xs);
				return TN_ENOMEM;
			}
			e = json_pack("{s:o, s:I}", "path", json_loadb(p.ptr, p.len, JSON_DECODE_ANY, NULL),
				      "bytes", (json_int_t)f->size);
			tn_buf_release(&p);
			if (!e || json_array_append_new(r->inputs, e)) {
				XXH64_freeState(xs);
				return TN_ENOMEM;
			}
		}
	}
	snprintf(r->inputs_digest, sizeof(r->inputs_digest), "%016llx", (unsigned long long)XXH64_digest(xs));
	XXH64_freeState(xs);
	return 0;
}

static void report(struct run *r, int final)
{
	struct tn_run_progress p;

	if (!r->o->progress)
		return;
	p.docs = r->docs;
	p.errors = r->errors;
	p.text_bytes = r->text_bytes;
	p.raw_bytes = tn_source_raw_bytes(r->src);
	p.total_bytes = tn_source_total_bytes(r->src);
	p.seconds = tn_now() - r->t0;
	p.final = final;
	r->o->progress(r->o->ctx, &p);
}

/* Sums the workers' timings; only outside parallel regions (the workers write them). */
static void sum_timings(struct run *r)
{
	int t;

	r->t_features = r->t_predict = 0;
	for (t = 0; r->w && t < r->nworkers; t++) {
		r->t_features += r->w[t].t_feat;
		r->t_predict += r->w[t].t_pred;
	}
}

static int stopped(const struct run *r)
{
	return r->o->stop && *r->o->stop;
}

static void report_errors(struct run *r)
{
	const char *p = r->pending.ptr, *end = p + r->pending.len;

	while (p && p < end) {
		const char *why = p + strlen(p) + 1;

		r->o->on_error(r->o->ctx, p, why);
		p = why + strlen(why) + 1;
	}
	tn_buf_reset(&r->pending);
}

/*
 * Two batches in flight: while the threads process batch k, one task writes
 * batch k-1 and then reads batch k+1 into the same buffer, so reading,
 * decompressing and writing overlap with the parallel work.
 */
static int loop(struct run *r, struct tn_err *err)
{
	struct batch bt[2];
	int eof = 0, rc = 0, cur = 0, have_prev = 0;
	double t;

	if (batch_init(&bt[0], r->o->batch_docs, r->nheads) || batch_init(&bt[1], r->o->batch_docs, r->nheads)) {
		batch_release(&bt[0]);
		batch_release(&bt[1]);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	t = tn_now();
	rc = fill_batch(r, &bt[0], &eof);
	r->t_read += tn_now() - t;
	if (rc)
		rc = tn_err_set(err, rc, "out of memory reading input");
	while (!rc && bt[cur].n > 0) {
		struct batch *c = &bt[cur], *o = &bt[1 - cur];
		int io_rc = 0, next_eof = eof, wrote = have_prev;

		if (stopped(r)) {
			rc = TN_EINTR;
			break;
		}
#pragma omp parallel default(none) shared(r, c, o, have_prev, io_rc, next_eof, eof, err)
		{
			/* One thread writes and reads while the others start on the batch. */
#pragma omp single nowait
			{
				double t0 = tn_now(), t1;

				if (have_prev)
					io_rc = write_batch(r, o, err);
				t1 = tn_now();
				r->t_write += t1 - t0;
				o->n = 0;
				if (!io_rc && !eof && !stopped(r)) {
					io_rc = fill_batch(r, o, &next_eof);
					if (io_rc)
						io_rc = tn_err_set(err, io_rc, "out of memory reading input");
				}
				r->t_read += tn_now() - t1;
			}
#pragma omp for schedule(dynamic, 16)
			for (size_t i = 0; i < c->n; i++)
				process_doc(r, &r->w[omp_get_thread_num()], c, i);
		}
		sum_timings(r);
		if (r->pending.len)
			report_errors(r);
		if (io_rc) {
			rc = io_rc;
			break;
		}
		if (wrote)
			report(r, 0);
		eof = next_eof;
		have_prev = 1;
		cur = 1 - cur;
	}
	/* The last processed batch is still to be written. */
	if (!rc && have_prev && stopped(r))
		rc = TN_EINTR;
	if (!rc && have_prev) {
		t = tn_now();
		rc = write_batch(r, &bt[1 - cur], err);
		r->t_write += tn_now() - t;
		if (r->pending.len)
			report_errors(r);
		report(r, 0);
	}
	batch_release(&bt[0]);
	batch_release(&bt[1]);
	return rc;
}

static int finish(struct run *r, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	int rc = 0;

	if (r->to_stdout)
		return 0;
	if (r->shard)
		rc = finish_shard(r, err);
	if (!rc)
		rc = write_manifest(r, 1, err);
	if (!rc) {
		if (tn_buf_addf(&p, "%s/_SUCCESS", r->o->out_dir))
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		else
			rc = tn_write_atomic(p.ptr, "", 0, err);
	}
	tn_buf_release(&p);
	return rc;
}

static void run_release(struct run *r)
{
	size_t h;

	tn_shard_abort(r->shard);
	workers_free(r);
	for (h = 0; h < r->nheads; h++) {
		if (r->class_json)
			free(r->class_json[h]);
		if (r->class_off)
			free(r->class_off[h]);
		if (r->head_key)
			free(r->head_key[h]);
		if (r->score_key)
			free(r->score_key[h]);
		if (r->scores_key)
			free(r->scores_key[h]);
		if (r->conf)
			tn_confusion_release(&r->conf[h]);
	}
	free(r->class_json);
	free(r->class_off);
	free(r->head_key);
	free(r->score_key);
	free(r->scores_key);
	free(r->conf);
	json_decref(r->shards);
	json_decref(r->inputs);
	tn_source_free(r->src);
	tn_predictor_free(r->p);
	tn_bundle_free(r->b);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	tn_buf_release(&r->line);
	tn_buf_release(&r->pending);
}

static void fill_stats(const struct run *r, struct tn_run_stats *s)
{
	struct tn_buf rep = TN_BUF_INIT;
	size_t h;
	int t;

	s->docs = r->docs;
	s->ok = r->ok;
	s->errors = r->errors;
	s->text_bytes = r->text_bytes;
	s->raw_bytes = r->src ? tn_source_raw_bytes(r->src) : 0;
	s->shards = r->next_shard;
	s->seconds = tn_now() - r->t0;
	s->t_read = r->t_read;
	s->t_write = r->t_write;
	for (t = 0; r->w && t < r->nworkers; t++) {
		s->t_features += r->w[t].t_feat;
		s->t_predict += r->w[t].t_pred;
	}
	for (h = 0; r->conf && h < r->nheads; h++) {
		if (!r->conf[h].total)
			continue;
		s->evaluated = 1;
		tn_buf_addf(&rep, "head '%s' against the input's labels:\n", r->b->heads[h].name);
		tn_confusion_report(&r->conf[h], (const char *const *)r->b->heads[h].classes, "  ", &rep);
	}
	if (rep.len)
		s->summary = tn_buf_detach(&rep, NULL);
	tn_buf_release(&rep);
}

static int check_utf8(const char *what, const char *s, struct tn_err *err)
{
	size_t bad;

	if (tn_text_valid_utf8(s, strlen(s), &bad))
		return 0;
	return tn_err_set(err, TN_EINVAL, "%s is not valid UTF-8 (byte %zu)", what, bad);
}

int tn_run(const struct tn_run_opts *o, struct tn_run_stats *stats, struct tn_err *err)
{
	struct run r;
	size_t h;
	int rc, complete = 0;

	memset(&r, 0, sizeof(r));
	memset(stats, 0, sizeof(*stats));
	r.o = o;
	r.lock_fd = -1;
	r.t0 = tn_now();
	r.to_stdout = !strcmp(o->out_dir, "-");
	tn_buf_init(&r.line);
	tn_buf_init(&r.pending);
	if (o->shard_docs < 1 || o->batch_docs < 1 || o->part_i < 1 || o->part_i > o->part_n) {
		rc = tn_err_set(err, TN_EINVAL, "invalid run options");
		goto out;
	}
	/* They go into the manifest, which is JSON: refused now rather than after the work. */
	if ((rc = check_utf8("model path", o->model_dir, err)) || (rc = check_utf8("--text-field", o->text_field, err)) ||
	    (rc = check_utf8("--id-field", o->id_field, err)))
		goto out;
	rc = tn_bundle_load(&r.b, o->model_dir, err);
	if (rc)
		goto out;
	r.nheads = r.b->nheads;
	rc = tn_predictor_create(&r.p, r.b, err);
	if (rc)
		goto out;
	rc = tn_source_create(&r.src, o->inputs, o->ninputs, o->input_format, o->max_doc_bytes, err);
	if (rc)
		goto out;
	if (o->part_n > 1 && tn_source_nfiles(r.src) >= (size_t)o->part_n)
		tn_source_select_files(r.src, o->part_i, o->part_n);
	r.shards = json_array();
	r.conf = calloc(r.nheads, sizeof(*r.conf));
	if (!r.shards || !r.conf || prepare_keys(&r) || inputs_list(&r) || workers_create(&r)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	for (h = 0; h < r.nheads; h++)
		if (tn_confusion_init(&r.conf[h], r.b->heads[h].nclass)) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			goto out;
		}
	if (!r.to_stdout) {
		rc = prepare_folder(&r, &complete, err);
		if (rc)
			goto out;
		if (complete) {
			stats->already_complete = 1;
			goto out;
		}
	}
	rc = loop(&r, err);
	if (rc == TN_EINTR) {
		tn_shard_abort(r.shard);
		r.shard = NULL;
		/* Records of the dropped partial shard will be written again on resume. */
		if (!r.to_stdout) {
			r.docs = r.kept_docs;
			r.ok = r.kept_ok;
			r.errors = r.kept_errors;
		}
		if (r.to_stdout)
			tn_err_set(err, TN_EINTR, "stopped: %llu record%s written to standard output",
				   (unsigned long long)r.docs, r.docs == 1 ? "" : "s");
		else
			tn_err_set(err, TN_EINTR, "stopped: %u complete shard%s kept in '%s'; continue with --resume",
				   r.next_shard, r.next_shard == 1 ? "" : "s", o->out_dir);
		goto out;
	}
	if (rc)
		goto out;
	rc = finish(&r, err);
	report(&r, 1);
out:
	fill_stats(&r, stats);
	run_release(&r);
	return rc;
}

/* ---- one record at a time (tests, fuzzing) ---- */

struct tn_record_ctx {
	struct run r;
	struct tn_run_opts o;
	struct batch bt;
};

void tn_record_ctx_free(struct tn_record_ctx *c)
{
	if (!c)
		return;
	batch_release(&c->bt);
	run_release(&c->r);
	free(c);
}

int tn_record_ctx_create(struct tn_record_ctx **out, const char *model_dir, const char *id_field,
			 const char *text_field, int all_scores, struct tn_err *err)
{
	struct tn_record_ctx *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	tn_run_opts_default(&c->o);
	c->o.id_field = id_field ? id_field : "id";
	c->o.text_field = text_field ? text_field : "text";
	c->o.all_scores = all_scores;
	c->r.o = &c->o;
	c->r.lock_fd = -1;
	rc = tn_bundle_load(&c->r.b, model_dir, err);
	if (!rc) {
		c->r.nheads = c->r.b->nheads;
		rc = tn_predictor_create(&c->r.p, c->r.b, err);
	}
	if (!rc && (prepare_keys(&c->r) || workers_create(&c->r) || batch_init(&c->bt, 1, c->r.nheads)))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	if (rc) {
		tn_record_ctx_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int tn_record_ctx_process(struct tn_record_ctx *c, const char *data, size_t len, int is_text,
			  const char *fallback_id, const char **record, size_t *rlen)
{
	struct batch_doc *d = &c->bt.d[0];

	tn_buf_reset(&c->bt.arena);
	c->bt.n = 1;
	d->kind = is_text ? TN_DOC_TEXT : TN_DOC_JSONL;
	d->data_off = 0;
	d->data_len = len;
	if (tn_buf_add(&c->bt.arena, data, len) || tn_buf_addch(&c->bt.arena, '\0'))
		return TN_ENOMEM;
	d->id_off = c->bt.arena.len;
	if (tn_buf_addstr(&c->bt.arena, fallback_id) || tn_buf_addch(&c->bt.arena, '\0'))
		return TN_ENOMEM;
	process_doc(&c->r, &c->r.w[0], &c->bt, 0);
	*record = d->out.ptr ? d->out.ptr : "";
	*rlen = d->out.len;
	return d->error;
}
