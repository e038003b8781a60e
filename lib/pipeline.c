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
#include "pipeline_internal.h"
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

#define BATCH_BYTES ((size_t)32 << 20)
/*
 * A filter (-o -) reading a stream closes a batch once it holds a document
 * and no more input is ready, waiting for more at most this long after the
 * batch's first document: each record comes out within about this time and
 * the processing of its line.
 */
#define STREAM_WAIT_S 0.010

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
	free(s->counts);
	s->summary = s->counts = NULL;
}

/* ---- workers and batches ---- */

static void workers_free(struct tn_run_state *r)
{
	int t;
	size_t h;

	if (!r->w)
		return;
	for (t = 0; t < r->nworkers; t++) {
		struct tn_worker *w = &r->w[t];

		tn_feat_scratch_free(w->fs);
		tn_predict_scratch_free(w->ps);
		tn_counts_release(&w->cnt);
		tn_vec_release(&w->vec);
		free(w->res);
		if (w->all)
			for (h = 0; h < r->nheads; h++)
				free(w->all[h]);
		free(w->all);
		free(w->ctr);
		tn_buf_release(&w->json);
	}
	free(r->w);
	r->w = NULL;
}

static int workers_create(struct tn_run_state *r)
{
	int t;
	size_t h;

	r->nworkers = omp_get_max_threads();
	r->w = calloc((size_t)r->nworkers, sizeof(*r->w));
	if (!r->w)
		return TN_ENOMEM;
	for (t = 0; t < r->nworkers; t++) {
		struct tn_worker *w = &r->w[t];

		w->fs = tn_feat_scratch_create(&r->b->feat);
		w->ps = tn_predict_scratch_create(r->p);
		w->res = calloc(r->nheads, sizeof(*w->res));
		w->all = calloc(r->nheads, sizeof(*w->all));
		tn_counts_init(&w->cnt);
		tn_vec_init(&w->vec);
		tn_buf_init(&w->json);
		if (!w->fs || !w->ps || !w->res || !w->all)
			return TN_ENOMEM;
		for (h = 0; h < r->nheads; h++)
			if (!(w->all[h] = calloc(r->b->heads[h].nclass, sizeof(double))))
				return TN_ENOMEM;
	}
	return 0;
}

static void batch_release(struct tn_batch *bt)
{
	size_t i;

	for (i = 0; i < bt->cap; i++) {
		tn_buf_release(&bt->d[i].out);
		tn_buf_release(&bt->d[i].why);
		tn_buf_release(&bt->d[i].rid);
	}
	free(bt->d);
	free(bt->truth);
	free(bt->pred);
	free(bt->score);
	tn_buf_release(&bt->arena);
	memset(bt, 0, sizeof(*bt));
}

static int batch_init(struct tn_batch *bt, size_t cap, size_t nheads)
{
	memset(bt, 0, sizeof(*bt));
	bt->cap = cap;
	bt->d = calloc(cap, sizeof(*bt->d));
	bt->truth = calloc(cap * (nheads ? nheads : 1), sizeof(int32_t));
	bt->pred = calloc(cap * (nheads ? nheads : 1), sizeof(int32_t));
	bt->score = calloc(cap * (nheads ? nheads : 1), sizeof(double));
	tn_buf_init(&bt->arena);
	for (size_t i = 0; bt->d && i < cap; i++) {
		tn_buf_init(&bt->d[i].out);
		tn_buf_init(&bt->d[i].why);
		tn_buf_init(&bt->d[i].rid);
	}
	return bt->d && bt->truth && bt->pred && bt->score ? 0 : TN_ENOMEM;
}

static int stopped(const struct tn_run_state *r)
{
	return r->o->stop && *r->o->stop;
}

/*
 * A filter waits for its input in poll() rather than in read(), so that a
 * signal (Ctrl-C on an idle filter) stops it at once: 1 when input (or its
 * end) is ready or cannot be waited on, 0 when stopped while waiting.
 */
static int wait_input(struct tn_run_state *r)
{
	while (!stopped(r)) {
		if (tn_source_ready(r->src, 200) || !tn_source_pollable(r->src))
			return 1;
	}
	return 0;
}

/*
 * Reads up to a batch of selected documents; *eof when the source is
 * exhausted.  A filter stopped while waiting for input returns an empty batch
 * without *eof.
 */
static int fill_batch(struct tn_run_state *r, struct tn_batch *bt, int *eof)
{
	const struct tn_run_opts *o = r->o;
	struct tn_raw_doc raw;
	double deadline = 0;

	bt->n = 0;
	tn_buf_reset(&bt->arena);
	if (r->to_stdout && !wait_input(r))
		return 0;
	while (bt->n < bt->cap && bt->arena.len < BATCH_BYTES) {
		struct tn_batch_doc *d;
		int rc;
		uint64_t g;

		if (r->to_stdout && bt->n && !tn_source_ready(r->src, 0)) {
			double now = tn_now();

			if (!deadline)
				deadline = now + STREAM_WAIT_S;
			if (now >= deadline || !tn_source_ready(r->src, (int)((deadline - now) * 1000) + 1))
				break;
		}
		rc = tn_source_next(r->src, &raw);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			*eof = 1;
			break;
		}
		g = r->enumerated++;
		/* --part by document (source.h): the part's range of the sequence. */
		if (o->part_n > 1 && !r->part.by_file) {
			if (g >= r->part.hi) {
				*eof = 1;
				break;
			}
			if (g < r->part.lo)
				continue;
		}
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

/* ---- shards ---- */

static int finish_shard(struct tn_run_state *r, struct tn_err *err)
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
	tn_tally_copy(&r->kept_tally, &r->tally);
	tn_series_add(&r->series, tn_now() - r->t0, r->docs, r->text_bytes, 1);
	e = json_pack("{s:s, s:I, s:I, s:I, s:s, s:{s:I, s:I, s:I, s:I}}",
		      "name", info.name, "documents", (json_int_t)info.docs, "bytes", (json_int_t)info.bytes,
		      "raw_bytes", (json_int_t)info.raw_bytes, "xxh64", info.xxh64,
		      "end", "input", (json_int_t)r->pos_input, "ordinal", (json_int_t)r->pos_ordinal,
		      "enumerated", (json_int_t)r->pos_enumerated, "documents", (json_int_t)r->docs);
	if (!e || json_array_append_new(r->shards, e))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	return tn_runfolder_write_manifest(r, 0, err);
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

static int write_batch(struct tn_run_state *r, struct tn_batch *bt, struct tn_err *err)
{
	const struct tn_run_opts *o = r->o;
	size_t i, h;
	int rc;

	tn_buf_reset(&r->line);
	for (i = 0; i < bt->n; i++) {
		struct tn_batch_doc *d = &bt->d[i];

		if (r->to_stdout) {
			if (tn_buf_add(&r->line, d->out.ptr, d->out.len))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
		} else {
			if (!r->shard) {
				rc = tn_shard_open_part(&r->shard, o->out_dir, o->part_i, o->part_n, r->next_shard,
							o->zstd_level, err);
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
			tn_tally_add_error(&r->tally);
			if (r->rdata && tn_report_data_add_error(r->rdata, d->rid.ptr, d->why.ptr))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
			/* Reported by the calling thread after the parallel region. */
			if (o->on_error && (tn_buf_addstr(&r->pending, bt->arena.ptr + d->id_off) ||
					    tn_buf_addch(&r->pending, '\0') || tn_buf_addstr(&r->pending, d->why.ptr) ||
					    tn_buf_addch(&r->pending, '\0')))
				return tn_err_set(err, TN_ENOMEM, "out of memory");
		} else {
			r->ok++;
			tn_tally_add(&r->tally, bt->pred + i * r->nheads);
			if (r->rdata)
				tn_report_data_add_result(r->rdata, bt->pred + i * r->nheads, bt->score + i * r->nheads);
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

static void report(struct tn_run_state *r, int final)
{
	struct tn_run_progress p;

	if (!r->o->progress)
		return;
	p.docs = r->docs;
	p.errors = r->errors;
	p.text_bytes = r->text_bytes;
	p.raw_bytes = tn_source_raw_bytes(r->src);
	p.total_bytes = tn_source_total_bytes(r->src);
	p.docs_before = r->docs_before;
	p.text_bytes_before = r->text_bytes_before;
	p.raw_bytes_before = r->raw_bytes_before;
	p.seconds = tn_now() - r->t0;
	p.final = final;
	r->o->progress(r->o->ctx, &p);
}

/* Sums the workers' timings; only outside parallel regions (the workers write them). */
static void sum_timings(struct tn_run_state *r)
{
	int t;

	r->t_features = r->t_predict = 0;
	for (t = 0; r->w && t < r->nworkers; t++) {
		r->t_features += r->w[t].t_feat;
		r->t_predict += r->w[t].t_pred;
	}
}

static void report_errors(struct tn_run_state *r)
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
 * decompressing and writing overlap with the parallel work.  A filter whose
 * input has nothing more ready does not read ahead: it writes batch k as soon
 * as it is processed, then waits for input, so that a writer that waits for
 * each answer before sending the next line gets it.
 */
static int loop(struct tn_run_state *r, struct tn_err *err)
{
	struct tn_batch bt[2];
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
	else if (!bt[0].n && !eof && stopped(r))
		rc = TN_EINTR;
	while (!rc && bt[cur].n > 0) {
		struct tn_batch *c = &bt[cur], *o = &bt[1 - cur];
		int io_rc = 0, next_eof = eof, wrote = have_prev, deferred = 0;

		if (stopped(r)) {
			rc = TN_EINTR;
			break;
		}
#pragma omp parallel default(none) shared(r, c, o, have_prev, io_rc, next_eof, eof, err, deferred)
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
				if (!io_rc && !eof && !stopped(r) && r->to_stdout && !tn_source_ready(r->src, 0))
					deferred = 1;
				else if (!io_rc && !eof && !stopped(r)) {
					io_rc = fill_batch(r, o, &next_eof);
					if (io_rc)
						io_rc = tn_err_set(err, io_rc, "out of memory reading input");
				}
				r->t_read += tn_now() - t1;
			}
#pragma omp for schedule(dynamic, 16)
			for (size_t i = 0; i < c->n; i++)
				tn_record_process(r, &r->w[omp_get_thread_num()], c, i);
		}
		sum_timings(r);
		if (r->pending.len)
			report_errors(r);
		if (io_rc) {
			rc = io_rc;
			break;
		}
		if (wrote) {
			tn_series_add(&r->series, tn_now() - r->t0, r->docs, r->text_bytes, 0);
			report(r, 0);
		}
		if (deferred) {
			/* Batch k out now; then wait for the input with nothing held back. */
			t = tn_now();
			rc = write_batch(r, c, err);
			r->t_write += tn_now() - t;
			if (r->pending.len)
				report_errors(r);
			tn_series_add(&r->series, tn_now() - r->t0, r->docs, r->text_bytes, 0);
			report(r, 0);
			have_prev = 0;
			if (!rc && stopped(r))
				rc = TN_EINTR;
			if (rc)
				break;
			t = tn_now();
			rc = fill_batch(r, c, &eof);
			r->t_read += tn_now() - t;
			if (rc)
				rc = tn_err_set(err, rc, "out of memory reading input");
			else if (!c->n && !eof && stopped(r))
				rc = TN_EINTR;
			continue;
		}
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

static int finish(struct tn_run_state *r, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	int rc = 0;

	if (r->to_stdout)
		return 0;
	if (r->shard)
		rc = finish_shard(r, err);
	tn_series_add(&r->series, tn_now() - r->t0, r->docs, r->text_bytes, 1);
	tn_runfolder_utc_now(r->finished_at);
	if (!rc)
		rc = tn_runfolder_write_manifest(r, 1, err);
	/* A part's completion is its manifest's; the run's _SUCCESS is the merge's. */
	if (!rc && r->o->part_n <= 1) {
		if (tn_buf_addf(&p, "%s/_SUCCESS", r->o->out_dir))
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		else
			rc = tn_write_atomic(p.ptr, "", 0, err);
	}
	tn_buf_release(&p);
	return rc;
}

/*
 * The report of a finished run: from the figures gathered while writing when
 * they cover every record (a fresh run) and no text is to be shown, else from
 * the shards.
 */
static void write_report(struct tn_run_state *r, struct tn_run_stats *stats)
{
	int whole = !r->resumed_docs && !r->o->keep_text;

	stats->report_rc = tn_report_write(r->o->out_dir, whole ? r->rdata : NULL, &stats->report_err);
}

static void run_release(struct tn_run_state *r)
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
		if (r->top_key)
			free(r->top_key[h]);
		if (r->explain_key)
			free(r->explain_key[h]);
		if (r->conf)
			tn_confusion_release(&r->conf[h]);
	}
	free(r->class_json);
	free(r->class_off);
	free(r->head_key);
	free(r->score_key);
	free(r->scores_key);
	free(r->top_key);
	free(r->explain_key);
	free(r->conf);
	tn_tally_release(&r->tally);
	tn_tally_release(&r->kept_tally);
	tn_report_data_free(r->rdata);
	json_decref(r->shards);
	json_decref(r->inputs);
	tn_source_free(r->src);
	tn_predictor_free(r->p);
	tn_explainer_free(r->ex);
	tn_bundle_free(r->b);
	tn_runfolder_unlock(r);
	tn_buf_release(&r->line);
	tn_buf_release(&r->pending);
}

static void fill_stats(const struct tn_run_state *r, struct tn_run_stats *s)
{
	struct tn_buf rep = TN_BUF_INIT;
	size_t h;
	int t;

	s->docs = r->docs;
	s->ok = r->ok;
	s->errors = r->errors;
	s->text_bytes = r->text_bytes;
	s->docs_before = r->docs_before;
	s->text_bytes_before = r->text_bytes_before;
	s->raw_bytes = r->src ? tn_source_raw_bytes(r->src) : 0;
	s->shards = r->next_shard;
	s->seconds = tn_now() - r->t0;
	s->t_read = r->t_read;
	s->t_write = r->t_write;
	for (t = 0; r->w && t < r->nworkers; t++) {
		s->t_features += r->w[t].t_feat;
		s->t_predict += r->w[t].t_pred;
	}
	if (r->tally.cls && (r->tally.ok || r->tally.errors)) {
		tn_buf_addf(&rep, "class counts of the %llu result%s:\n", (unsigned long long)r->tally.ok,
			    r->tally.ok == 1 ? "" : "s");
		tn_tally_report(&r->tally, "  ", &rep);
		s->counts = tn_buf_detach(&rep, NULL);
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
	struct tn_run_state r;
	size_t h;
	int rc, complete = 0;

	memset(&r, 0, sizeof(r));
	memset(stats, 0, sizeof(*stats));
	r.o = o;
	r.lock_fd = -1;
	r.t0 = tn_now();
	tn_runfolder_utc_now(r.started_at);
	tn_series_init(&r.series, 0.05);
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
	if (!r.to_stdout && (rc = tn_runfolder_model_digest(&r, err)))
		goto out;
	if (o->no_probability)
		tn_predictor_use_margins(r.p);
	if (o->explain > 0 && (rc = tn_explainer_create(&r.ex, r.b, err)))
		goto out;
	rc = tn_source_create(&r.src, o->inputs, o->ninputs, o->input_format, o->max_doc_bytes, err);
	if (rc)
		goto out;
	rc = tn_source_part(r.src, o->part_i, o->part_n, &r.part, err);
	if (rc)
		goto out;
	r.shards = json_array();
	r.conf = calloc(r.nheads, sizeof(*r.conf));
	if (!r.shards || !r.conf || tn_tally_init(&r.tally, r.b->heads, r.nheads) ||
	    tn_tally_init(&r.kept_tally, r.b->heads, r.nheads) || tn_record_prepare_keys(&r) || tn_runfolder_inputs_list(&r) || workers_create(&r)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	for (h = 0; h < r.nheads; h++)
		if (tn_confusion_init(&r.conf[h], r.b->heads[h].nclass)) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			goto out;
		}
	if (!r.to_stdout) {
		rc = tn_runfolder_prepare(&r, &complete, err);
		if (rc)
			goto out;
		if (complete) {
			stats->already_complete = 1;
			goto out;
		}
	}
	r.resumed_docs = r.docs;
	if (o->report && !r.to_stdout && !o->keep_text && !r.docs &&
	    tn_report_data_create(&r.rdata, r.b->heads, r.nheads)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	/* Where this run (or a resume) starts: the first point of its throughput. */
	tn_series_add(&r.series, tn_now() - r.t0, r.docs, r.text_bytes, 1);
	r.docs_before = r.docs;
	r.text_bytes_before = r.text_bytes;
	r.raw_bytes_before = tn_source_raw_bytes(r.src);
	rc = loop(&r, err);
	if (rc == TN_EINTR) {
		tn_shard_abort(r.shard);
		r.shard = NULL;
		/* Records of the dropped partial shard will be written again on resume. */
		if (!r.to_stdout) {
			r.docs = r.kept_docs;
			r.ok = r.kept_ok;
			r.errors = r.kept_errors;
			tn_tally_copy(&r.tally, &r.kept_tally);
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
	if (!rc && o->report && !r.to_stdout)
		write_report(&r, stats);
out:
	fill_stats(&r, stats);
	run_release(&r);
	return rc;
}

/* ---- one record at a time (tests, fuzzing) ---- */

struct tn_record_ctx {
	struct tn_run_state r;
	struct tn_run_opts o;
	struct tn_batch bt;
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
	if (!rc && (tn_record_prepare_keys(&c->r) || workers_create(&c->r) || batch_init(&c->bt, 1, c->r.nheads)))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	if (rc) {
		tn_record_ctx_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void tn_record_ctx_json_library_only(struct tn_record_ctx *c, int on)
{
	c->o.json_library_only = on;
}

int tn_record_ctx_process(struct tn_record_ctx *c, const char *data, size_t len, int is_text,
			  const char *fallback_id, const char **record, size_t *rlen)
{
	struct tn_batch_doc *d = &c->bt.d[0];

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
	tn_record_process(&c->r, &c->r.w[0], &c->bt, 0);
	*record = d->out.ptr;
	*rlen = d->out.len;
	return d->error;
}
