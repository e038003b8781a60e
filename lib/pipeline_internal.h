/*
 * pipeline_internal.h - what the three parts of a classify run share, private
 * to the library: record.c (one raw document into its record: JSON parsing,
 * id, truth labels, features, prediction, the record's JSON or an error
 * record), runfolder.c (the run folder: lock, survey, fresh start or resume
 * checked against the manifest, the manifest itself) and pipeline.c (batches
 * moving from the source through the workers to the shards, in order).
 */
#ifndef TN_PIPELINE_INTERNAL_H
#define TN_PIPELINE_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "bundle.h"
#include "explain.h"
#include "feat.h"
#include "metrics.h"
#include "pipeline.h"
#include "predict.h"
#include "report.h"
#include "series.h"
#include "shard.h"
#include "source.h"
#include "tally.h"

#define MANIFEST_FORMAT "tenor-classify"
#define MANIFEST_VERSION 1

struct tn_batch_doc {
	enum tn_doc_kind kind;
	size_t data_off, data_len, id_off;
	size_t input;
	uint64_t ordinal, enumerated;   /* position just after this document */
	struct tn_buf out;              /* the record, newline included */
	struct tn_buf why;              /* the error, for error records */
	struct tn_buf rid;              /* the error record's id as it is written, for the report */
	int error;
	size_t text_len;
};

struct tn_batch {
	size_t n, cap;
	struct tn_batch_doc *d;
	struct tn_buf arena;
	int32_t *truth, *pred;          /* cap x nheads; pred -1: no class (an error, or the head
					   abstained: its best score below --min-score) */
	double *score;                  /* cap x nheads: the chosen class's score */
};

struct tn_worker {
	struct tn_feat_scratch *fs;
	struct tn_predict_scratch *ps;
	struct tn_counts cnt;
	struct tn_vec vec;
	struct tn_head_result *res;
	double **all;
	struct tn_buf json;             /* strings decoded by jsonscan.h */
	struct tn_contribution *ctr;    /* --explain: contributions of one document */
	size_t ctr_cap;
	double t_feat, t_pred;
};

struct tn_run_state {
	const struct tn_run_opts *o;
	struct tn_bundle *b;
	struct tn_predictor *p;
	struct tn_explainer *ex;        /* --explain only */
	struct tn_source *src;
	struct tn_part part;            /* --part: which files or documents this run holds */
	size_t nheads;
	char **class_json;              /* per head: nclass JSON strings, back to back */
	size_t **class_off;
	char **head_key, **score_key, **scores_key, **top_key, **explain_key;
	int lock_fd;
	int lock_created;               /* this run made OUT/.lock */
	int lock_remove;                /* OUT/.lock is classify's: removed when the run ends */
	int to_stdout;
	struct tn_shard *shard;
	unsigned next_shard;
	json_t *shards;
	uint64_t docs, ok, errors, text_bytes, enumerated;
	uint64_t kept_docs, kept_ok, kept_errors;   /* in complete shards */
	uint64_t labeled;
	struct tn_tally tally;          /* every record written */
	struct tn_tally kept_tally;     /* those in complete shards */
	struct tn_series series;        /* progress after each batch */
	struct tn_report_data *rdata;   /* the records' figures for the report (report.h), or NULL */
	uint64_t resumed_docs;          /* documents kept from an interrupted run */
	char started_at[24], finished_at[24];  /* ISO 8601 UTC; finished_at "" until the end */
	char model_digest[17];          /* XXH64 of the bundle's manifest.json */
	uint64_t docs_before, text_bytes_before, raw_bytes_before;  /* where this run's work starts */
	struct tn_confusion *conf;
	size_t pos_input;
	uint64_t pos_ordinal, pos_enumerated;
	double t0, t_read, t_write;
	double t_features, t_predict;   /* the workers' sums, as of the last parallel region's end */
	json_t *inputs;
	char inputs_digest[17];
	struct tn_worker *w;
	int nworkers;
	struct tn_buf line;             /* standard output of one batch */
	struct tn_buf pending;          /* error records to report: id, NUL, why, NUL */
};

/* record.c */

/* The JSON keys and class strings of every head, computed once per run.  0 or TN_ENOMEM. */
int tn_record_prepare_keys(struct tn_run_state *r);
/*
 * Appends s[0..n) as a JSON string; when s is not valid UTF-8 (ids come from
 * paths and member names), its bytes >= 0x80 and NULs are written as '?'.
 * 0 or TN_ENOMEM.
 */
int tn_record_add_json_text(struct tn_buf *b, const char *s, size_t n);
/*
 * Turns document i of bt into its record (bt->d[i].out) with worker w's
 * scratch: a result, or an error record.  Thread-safe for distinct i and w.
 */
void tn_record_process(const struct tn_run_state *r, struct tn_worker *w, struct tn_batch *bt, size_t i);

/* runfolder.c */

/*
 * Makes OUT ready: takes its lock, then starts fresh (refusing a folder that
 * is not a run's, or a run without --force) or resumes (every check of
 * pipeline.h); *complete when resume found a finished run.  0 or TN_E*.
 */
int tn_runfolder_prepare(struct tn_run_state *r, int *complete, struct tn_err *err);
/*
 * Ends the run's hold on OUT/.lock: removes it when classify made it (this
 * run, or the run whose manifest the folder holds), then closes it.  Safe to
 * call when no lock was taken.
 */
void tn_runfolder_unlock(struct tn_run_state *r);
/* Lists the inputs for the manifest and computes their digest.  0 or TN_ENOMEM. */
int tn_runfolder_inputs_list(struct tn_run_state *r);
/* Hex XXH64 of MODEL/manifest.json into r->model_digest.  0 or TN_EIO / TN_ENOMEM. */
int tn_runfolder_model_digest(struct tn_run_state *r, struct tn_err *err);
/* The time now as ISO 8601 UTC ("2026-12-02T10:50:00Z") into buf[24]. */
void tn_runfolder_utc_now(char *buf);
/* Rewrites OUT/manifest.json atomically (complete: the run is finished).  0 or TN_E*. */
int tn_runfolder_write_manifest(struct tn_run_state *r, int complete, struct tn_err *err);

#endif
