/*
 * pipeline.h - a classify run: documents in, one record each out, in order.
 *
 * Batches of raw documents (source.h) move through two stages that overlap:
 * while OpenMP threads turn each document of one batch into its record (JSON
 * parsing, features, every head's prediction, the record's JSON), one thread -
 * whichever takes the `omp single`, not necessarily the caller - writes the
 * previous batch's records in input order into zstd shards (shard.h) or to
 * standard output and reads the next batch.  Reading and writing are never
 * concurrent with each other.  Memory is bounded by the batch size, never by
 * the size of the input.  With out_dir "-" (a filter) a batch closes early
 * when no more input is ready (source.h, tn_source_ready), and a processed
 * batch is written before the filter waits for input, so that each record
 * follows its line within milliseconds on a slow pipe or FIFO.
 *
 * Run folder (out_dir):
 *   part-NNNNN.jsonl.zst   complete shards, shard_docs records each (the last fewer)
 *   manifest.json          rewritten atomically after every shard: Tenor's
 *                          version, start and end times, model identity,
 *                          options, inputs, shards with the input position
 *                          each ends at, counts (per head and class, the
 *                          first two heads' cross-table, errors), evaluation,
 *                          timings, progress over time (series.h)
 *   _SUCCESS               written last, when every document has its record
 *   .lock                  held (flock) while a run is going, removed when it
 *                          ends if classify made it
 * A record is {"id": ID, HEAD: CLASS, HEAD_score: S, ...} (with keep_text,
 * "text": the text's first keep_text bytes, cut on a UTF-8 boundary) or
 * {"id": ID, "error": WHY}; with min_score, HEAD is null when S < min_score
 * (the head abstains); top adds HEAD_top, explain HEAD_explain.  With resume, a run continues after the last complete shard
 * of an interrupted run, and its shards are byte-identical to those of an
 * uninterrupted one; the output never depends on the number of threads.
 *
 * Part I of N (part_n > 1) shares out_dir with the other parts: its files
 * carry its number (runnames.h: part-IIIII-NNNNN.jsonl.zst,
 * manifest-part-IIIII-of-NNNNN.json, .lock-part-IIIII), it takes only its own
 * lock, resumes or restarts only its own files and writes no _SUCCESS; the
 * other parts' files are never touched.  classify --merge (merge.h) checks the
 * N parts and writes the run's manifest.json and _SUCCESS.
 *
 * Not reentrant with respect to one out_dir (the lock refuses a second run).
 */
#ifndef TN_PIPELINE_H
#define TN_PIPELINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "err.h"
#include "source.h"

struct tn_run_progress {
	uint64_t docs, errors;
	uint64_t text_bytes;     /* uncompressed bytes of documents processed */
	uint64_t raw_bytes;      /* bytes of the input files consumed */
	uint64_t total_bytes;    /* size of all inputs, 0 if unknown (stdin) */
	/* What a resumed run found done: rates and ETA count only the work since. */
	uint64_t docs_before, text_bytes_before, raw_bytes_before;
	double seconds;
	int final;
};

struct tn_run_opts {
	const char *model_dir;
	const char *out_dir;             /* "-": plain JSONL on stdout, no manifest */
	const char *const *inputs;
	size_t ninputs;
	enum tn_input_format input_format;
	const char *text_field;          /* default "text" */
	const char *id_field;            /* default "id" */
	uint64_t shard_docs;             /* default 1,000,000 */
	size_t max_doc_bytes;            /* default TN_MAX_DOC_BYTES_DEFAULT (16 MiB) */
	size_t batch_docs;               /* default 4096 */
	int zstd_level;                  /* default 3 */
	int all_scores;
	size_t keep_text;                /* copy up to this many bytes of the text into "text"; 0: none */
	int report;                      /* write OUT/report.html at the end (report.h) */
	int no_probability;              /* margin scores even for calibrated heads (predict.h) */
	int top;                         /* > 0: HEAD_top, the best `top` classes with their scores */
	double min_score;                /* a head whose best score is below it is written null */
	int explain;                     /* > 0: HEAD_explain, the `explain` strongest n-grams (explain.h) */
	int json_library_only;           /* every JSONL line through cJSON, none through jsonscan.h (tests) */
	int resume;
	int force;                       /* replace a finished or interrupted run */
	long part_i, part_n;             /* 1/1: everything; else a part's names in out_dir */
	const char *const *argv;         /* the command line, kept in a part's manifest for re-runs */
	int argc;
	volatile sig_atomic_t *stop;     /* set by a signal handler: stop cleanly */
	/* Called from the calling thread (outside any parallel region), after each batch and at the end. */
	void (*progress)(void *ctx, const struct tn_run_progress *p);
	/* Called for each error record, in input order, from the calling thread (outside any parallel region). */
	void (*on_error)(void *ctx, const char *id, const char *why);
	void *ctx;
};

struct tn_run_stats {
	uint64_t docs, ok, errors;
	uint64_t text_bytes, raw_bytes;
	uint64_t docs_before, text_bytes_before;   /* done before a --resume: not in the rates */
	unsigned shards;
	double seconds;
	double t_read, t_features, t_predict, t_write;  /* thread-seconds per stage */
	int evaluated;                   /* labels were found in the input */
	char *counts;                    /* class counts per head and the cross-table (malloc'd) or NULL */
	char *summary;                   /* evaluation report (malloc'd) or NULL */
	int already_complete;            /* resume found a finished run */
	int report_rc;                   /* with report: 0 when OUT/report.html was written, */
	struct tn_err report_err;        /* else the error (the run itself is complete) */
};

void tn_run_opts_default(struct tn_run_opts *o);
void tn_run_stats_release(struct tn_run_stats *s);

/*
 * Runs the whole job.  Returns 0 when every document has its record (some may
 * be error records: see stats->errors), TN_EINTR when *stop was set (complete
 * shards and the manifest are consistent; resume continues), TN_ECLOSED when
 * out_dir is "-" and standard output was closed by its reader (EPIPE; the
 * caller should ignore SIGPIPE), TN_EINVAL for options that are out of range
 * or not UTF-8 (checked before any work), TN_ESTATE (the folder is locked,
 * holds another run or something that is not a run's, or does not match for
 * resume: a listed shard missing or changed, a manifest whose positions and
 * counts disagree, standard input among the inputs), or TN_EIO / TN_EMODEL /
 * TN_ENOMEM, with err filled.
 *
 * In out_dir, only names classify writes are ever deleted or replaced: a
 * folder without a classify manifest must be empty; with force, only the
 * shards its manifest lists (and temporary files) are removed.  A fresh run
 * writes its manifest before the first shard.  When resume finds a complete
 * run, stats->already_complete is set and the counts are the manifest's.
 */
int tn_run(const struct tn_run_opts *o, struct tn_run_stats *stats, struct tn_err *err);

/*
 * One record at a time, as a run makes it (for tests and fuzzing): the model
 * in model_dir is loaded once; each call turns one raw document (a JSONL line,
 * or with is_text a plain text) into its record, exactly as classify writes it,
 * newline included.  fallback_id is the id when the line has none.
 */
struct tn_record_ctx;

/* 0, or TN_EIO / TN_EMODEL / TN_ENOMEM with err filled. */
int tn_record_ctx_create(struct tn_record_ctx **out, const char *model_dir, const char *id_field,
			 const char *text_field, int all_scores, struct tn_err *err);
void tn_record_ctx_free(struct tn_record_ctx *c);
/*
 * on = 1: JSONL lines go through cJSON only, never through the scanner of
 * jsonscan.h, so tests can check that both give the same records.
 */
void tn_record_ctx_json_library_only(struct tn_record_ctx *c, int on);

/*
 * *record and *rlen: the record (valid until the next call).  Returns 0 for a
 * result, 1 for an error record, TN_ENOMEM.  Not thread-safe for one ctx.
 */
int tn_record_ctx_process(struct tn_record_ctx *c, const char *data, size_t len, int is_text,
			  const char *fallback_id, const char **record, size_t *rlen);

#endif
