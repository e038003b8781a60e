/*
 * runfolder.c - the run folder of a classify run: the manifest, the lock, what
 * a folder may hold, a fresh start, and resume checked shard by shard against
 * the manifest.  See pipeline.h for the rules, pipeline_internal.h for the
 * interface.
 */
#include "pipeline_internal.h"
#include "buf.h"
#include "cli.h"
#include "feat.h"
#include "limits.h"
#include "manifest_json.h"
#include "metrics.h"
#include "predict.h"
#include "atomic_file.h"
#include "runnames.h"
#include "shard.h"
#include "version.h"

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

#include "jsondiff.h"

/* ---- manifest ---- */

static json_t *evaluation_json(const struct tn_run_state *r)
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

void tn_runfolder_utc_now(char *buf)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 24, "1970-01-01T00:00:00Z");
}

/* Hex XXH64 of a whole file into hex[17].  0, or TN_EIO / TN_ENOMEM with err filled. */
static int hash_file(const char *path, char *hex, struct tn_err *err)
{
	XXH64_state_t *xs = XXH64_createState();
	char buf[1 << 16];
	ssize_t n;
	int fd, rc = 0;

	if (!xs)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		XXH64_freeState(xs);
		return tn_err_set(err, TN_EIO, "cannot read '%s': %s", path, strerror(errno));
	}
	XXH64_reset(xs, 0);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = tn_err_set(err, TN_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		XXH64_update(xs, buf, (size_t)n);
	}
	close(fd);
	snprintf(hex, 17, "%016llx", (unsigned long long)XXH64_digest(xs));
	XXH64_freeState(xs);
	return rc;
}

int tn_runfolder_model_digest(struct tn_run_state *r, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	int rc;

	if (tn_buf_addf(&p, "%s/manifest.json", r->o->model_dir))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	rc = hash_file(p.ptr, r->model_digest, err);
	tn_buf_release(&p);
	return rc;
}

static json_t *build_manifest_core(const struct tn_run_state *r, int complete)
{
	const struct tn_run_opts *o = r->o;
	double secs = tn_now() - r->t0;
	json_t *heads = json_array(), *m, *counts;
	char part[48];
	size_t h;

	snprintf(part, sizeof(part), "%ld/%ld", o->part_i, o->part_n);
	for (h = 0; h < r->nheads; h++)
		json_array_append_new(heads, json_string(r->b->heads[h].name));
	m = json_pack("{s:s, s:i, s:b, s:s, s:s, s:o, s:{s:s, s:s, s:s, s:o},"
		      " s:{s:I, s:I, s:b, s:I, s:s, s:s, s:s, s:s, s:i},"
		      " s:{s:I, s:s, s:O}, s:O, s:{s:I, s:I, s:I, s:I}, s:o,"
		      " s:{s:f, s:f, s:f, s:f, s:f, s:f, s:f}, s:o}",
			 "format", MANIFEST_FORMAT, "version", MANIFEST_VERSION, "complete", complete,
			 "tenor_version", TN_VERSION, "started_at", r->started_at,
			 "finished_at", r->finished_at[0] ? json_string(r->finished_at) : json_null(),
			 "model", "path", o->model_dir, "manifest_xxh64", r->model_digest, "identity", r->b->identity,
			 "heads", heads,
			 "options", "shard_docs", (json_int_t)o->shard_docs,
			 "max_doc_bytes", (json_int_t)o->max_doc_bytes, "all_scores", o->all_scores,
			 "keep_text", (json_int_t)o->keep_text,
			 "part", part, "text_field", o->text_field, "id_field", o->id_field,
			 "input_format", o->input_format == TN_INPUT_JSONL ? "jsonl" :
					 o->input_format == TN_INPUT_TEXT ? "text" :
					 o->input_format == TN_INPUT_CSV ? "csv" : "auto",
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
			 "features", 0.0, "predict", 0.0,
			 "progress", tn_series_json(&r->series));
	counts = json_object_get(m, "counts");
	if (m && tn_tally_json(&r->tally, counts)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* The manifest with the options that shape the scores (resume checks them with the rest). */
static json_t *build_manifest_scored(const struct tn_run_state *r, int complete)
{
	json_t *m = build_manifest_core(r, complete);
	json_t *scoring = json_pack("{s:b, s:i, s:f, s:i}", "probability", !r->o->no_probability, "top", r->o->top,
				    "min_score", r->o->min_score, "explain", r->o->explain);

	if (m && (!scoring || json_object_update(json_object_get(m, "options"), scoring))) {
		json_decref(m);
		m = NULL;
	}
	json_decref(scoring);
	return m;
}

/*
 * A part's manifest also says which items it holds (merge checks that the
 * parts tile the input) and the command that ran it, with its working folder
 * (merge names it for a re-run).  NULL on allocation failure.
 */
static json_t *part_json(const struct tn_run_state *r)
{
	const struct tn_run_opts *o = r->o;
	json_t *cmd = json_array();
	int k;

	for (k = 0; cmd && o->argv && k < o->argc; k++) {
		/* An argument need not be UTF-8; shown with '?' for bad bytes, as input paths are. */
		struct tn_buf b = TN_BUF_INIT;

		if (tn_record_add_json_text(&b, o->argv[k], strlen(o->argv[k])) ||
		    json_array_append_new(cmd, json_loadb(b.ptr, b.len, JSON_DECODE_ANY, NULL))) {
			json_decref(cmd);
			cmd = NULL;
		}
		tn_buf_release(&b);
	}
	if (!cmd)
		return NULL;
	{
		char *wd = getcwd(NULL, 0);
		struct tn_buf b = TN_BUF_INIT;
		json_t *cwd = NULL;

		if (wd && !tn_record_add_json_text(&b, wd, strlen(wd)))
			cwd = json_loadb(b.ptr, b.len, JSON_DECODE_ANY, NULL);
		free(wd);
		tn_buf_release(&b);
		return json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:o, s:o}", "index", (json_int_t)o->part_i,
				 "of", (json_int_t)o->part_n, "by", r->part.by_file ? "file" : "document",
				 "first", (json_int_t)r->part.lo, "end", (json_int_t)r->part.hi,
				 "total", (json_int_t)r->part.total, "command", cmd, "cwd", cwd ? cwd : json_null());
	}
}

static json_t *build_manifest(const struct tn_run_state *r, int complete)
{
	json_t *m = build_manifest_scored(r, complete), *part;

	if (!m || r->o->part_n <= 1)
		return m;
	part = part_json(r);
	if (!part || json_object_set_new(m, "part", part)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

int tn_runfolder_write_manifest(struct tn_run_state *r, int complete, struct tn_err *err)
{
	json_t *m = build_manifest(r, complete);
	struct tn_buf path = TN_BUF_INIT;
	char name[TN_NAME_MAX];
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
	tn_name_manifest(r->o->part_i, r->o->part_n, name, sizeof(name));
	if (!s || tn_buf_addf(&path, "%s/%s", r->o->out_dir, name)) {
		free(s);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	rc = tn_write_atomic(path.ptr, s, strlen(s), err);
	free(s);
	tn_buf_release(&path);
	return rc;
}

/* ---- the run folder: lock, fresh start, resume ---- */

/*
 * Takes OUT/.lock: created if missing, then flock'ed.  A lock file is removed
 * when its run ends, so the one opened may have been unlinked by a run ending
 * just then: the lock holds only if the name still leads to the file locked.
 */
static int take_lock(struct tn_run_state *r, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	char name[TN_NAME_MAX];
	int tries, rc = 0;

	tn_name_lock(r->o->part_i, r->o->part_n, name, sizeof(name));
	if (tn_buf_addf(&p, "%s/%s", r->o->out_dir, name))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (tries = 0; tries < 100; tries++) {
		struct stat a, b;

		r->lock_created = 0;
		r->lock_fd = open(p.ptr, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (r->lock_fd >= 0)
			r->lock_created = 1;
		else if (errno == EEXIST)
			r->lock_fd = open(p.ptr, O_RDWR | O_CLOEXEC);
		if (r->lock_fd < 0) {
			if (errno == ENOENT)
				continue;   /* removed between the two opens */
			rc = tn_err_set(err, TN_EIO, "cannot create a lock in '%s': %s", r->o->out_dir, strerror(errno));
			break;
		}
		if (flock(r->lock_fd, LOCK_EX | LOCK_NB)) {
			if (r->o->part_n > 1)
				rc = tn_err_set(err, TN_ESTATE, "part %ld/%ld in '%s' is in use by another classify run "
						"(or a merge)", r->o->part_i, r->o->part_n, r->o->out_dir);
			else
				rc = tn_err_set(err, TN_ESTATE, "'%s' is in use by another classify run", r->o->out_dir);
			break;
		}
		if (!fstat(r->lock_fd, &a) && !stat(p.ptr, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(r->lock_fd);
		r->lock_fd = -1;
	}
	if (!rc && r->lock_fd < 0)
		rc = tn_err_set(err, TN_EIO, "cannot take the lock in '%s': it keeps being replaced", r->o->out_dir);
	r->lock_remove = !rc && r->lock_created;
	tn_buf_release(&p);
	return rc;
}

void tn_runfolder_unlock(struct tn_run_state *r)
{
	struct tn_buf p = TN_BUF_INIT;
	char name[TN_NAME_MAX];

	if (r->lock_fd < 0)
		return;
	/* Unlinked while still held: a run starting now cannot lock the old file and proceed. */
	tn_name_lock(r->o->part_i, r->o->part_n, name, sizeof(name));
	if (r->lock_remove && !tn_buf_addf(&p, "%s/%s", r->o->out_dir, name))
		unlink(p.ptr);
	tn_buf_release(&p);
	close(r->lock_fd);
}

/* Removes the lock file when this run made it for nothing (a refused folder). */
static void drop_lock(struct tn_run_state *r)
{
	struct tn_buf p = TN_BUF_INIT;
	char name[TN_NAME_MAX];

	tn_name_lock(r->o->part_i, r->o->part_n, name, sizeof(name));
	if (r->lock_created && !tn_buf_addf(&p, "%s/%s", r->o->out_dir, name))
		unlink(p.ptr);
	tn_buf_release(&p);
	r->lock_created = 0;
	r->lock_remove = 0;
}

/*
 * The names in a run folder, by kind, for this run (runnames.h).  E_PEER:
 * another part's file of the same N, never touched; E_MERGED: in a part's
 * folder, the merge's manifest.json, _SUCCESS, .lock and their temporary
 * files; E_CLASH: what no run of this kind may share a folder with (a single
 * run's shards beside parts, parts of another N).  Anything else (E_OTHER)
 * belongs to someone else and is never deleted or replaced.
 */
enum entry { E_OTHER, E_LOCK, E_MANIFEST, E_TEMP, E_SHARD, E_REPORT, E_PEER, E_MERGED, E_CLASH };

static enum entry classify_entry(const struct tn_run_opts *o, const char *name, unsigned *idx)
{
	enum tn_name_kind k;
	long i;

	/* The report of a run or of a merge (report.h): classify's only beside a run's manifest (survey_folder). */
	if (!strcmp(name, "report.html.tmp"))
		return E_TEMP;
	if (!strcmp(name, "report.html"))
		return E_REPORT;
	k = tn_name_parse(name, o->part_n, &i, idx);
	if (o->part_n <= 1) {
		/* Names of parts that a merged run leaves are checked by the manifest (tn_runfolder_prepare). */
		switch (k) {
		case TN_NAME_LOCK: return E_LOCK;
		case TN_NAME_MANIFEST: return E_MANIFEST;
		case TN_NAME_SUCCESS: case TN_NAME_TEMP: return E_TEMP;
		case TN_NAME_SHARD: return E_SHARD;
		default: return E_OTHER;
		}
	}
	if (k != TN_NAME_OTHER && i != o->part_i)
		return E_PEER;
	switch (k) {
	case TN_NAME_LOCK: return E_LOCK;
	case TN_NAME_MANIFEST: return E_MANIFEST;
	case TN_NAME_TEMP: return E_TEMP;
	case TN_NAME_SHARD: return E_SHARD;
	default: break;
	}
	k = tn_name_parse(name, 1, &i, idx);
	if (k == TN_NAME_SHARD || tn_name_manifest_parts(name))
		return E_CLASH;
	return k == TN_NAME_OTHER ? E_OTHER : E_MERGED;
}

/* 1 with err filled when a part's folder holds the manifest of a part of another N. */
static int other_parts(const struct tn_run_opts *o, struct tn_err *err)
{
	DIR *d = opendir(o->out_dir);
	struct dirent *e;
	long k = 0;

	while (o->part_n > 1 && d && !k && (e = readdir(d)))
		if ((k = tn_name_manifest_parts(e->d_name)) == o->part_n)
			k = 0;
		else if (k)
			tn_err_set(err, TN_ESTATE, "'%s' holds '%s', a part of a run of %ld parts, not %ld: not touching "
				   "it; name a new or empty folder", o->out_dir, e->d_name, k, o->part_n);
	if (d)
		closedir(d);
	return k != 0;
}

/*
 * Looks over the run folder before anything is removed.  With a manifest
 * listing nlisted shards, shards from nlisted on are in the way except the
 * one numbered nlisted, which a crash between its rename and the manifest's
 * rewrite leaves; without one (nlisted < 0), anything that is not the lock
 * or a temporary name means the folder is not Tenor's - for a part, unless
 * the folder holds other parts of its run (a peer's manifest), where other
 * files are left alone as in any run folder.  0 or TN_ESTATE.
 */
static int survey_folder(const struct tn_run_opts *o, long nlisted, struct tn_err *err)
{
	const char *dir = o->out_dir;
	DIR *d = opendir(dir);
	struct dirent *e;
	char other[256] = "";
	int rc = 0, peers = 0;

	if (!d)
		return tn_err_set(err, TN_EIO, "cannot list '%s': %s", dir, strerror(errno));
	while (!rc && (e = readdir(d))) {
		unsigned idx = 0;
		long pi;
		enum entry k;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		k = classify_entry(o, e->d_name, &idx);
		if (k == E_PEER && tn_name_parse(e->d_name, o->part_n, &pi, &idx) == TN_NAME_MANIFEST)
			peers = 1;
		if ((k == E_OTHER || k == E_REPORT) && !other[0])
			snprintf(other, sizeof(other), "%s", e->d_name);
		if (k == E_CLASH && tn_name_manifest_parts(e->d_name))
			continue;  /* named by other_parts, whatever order the folder lists in */
		if (k == E_CLASH)
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds '%s', a shard of a run without --part: not touching "
					"it; name a new or empty folder", dir, e->d_name);
		else if (o->part_n <= 1 && nlisted < 0 && k != E_LOCK && k != E_TEMP)
			rc = tn_err_set(err, TN_ESTATE, "'%s' is not empty and holds no classify run (no manifest.json): "
					"not touching it; name a new or empty folder", dir);
		else if (o->part_n <= 1 && nlisted < 0 && !strcmp(e->d_name, "_SUCCESS"))
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds a '_SUCCESS' but no manifest.json: not touching it; "
					"name a new or empty folder", dir);
		else if (nlisted >= 0 && k == E_SHARD && (long)idx > nlisted)
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds '%s', which its manifest does not list: "
					"not touching it; move it away first", dir, e->d_name);
		else if (nlisted < 0 && k == E_SHARD)
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds '%s' but no manifest of part %ld/%ld: not touching it; "
					"move it away first", dir, e->d_name, o->part_i, o->part_n);
	}
	closedir(d);
	if (!rc || rc == TN_ESTATE)
		rc = other_parts(o, err) ? TN_ESTATE : rc;
	if (!rc && o->part_n > 1 && nlisted < 0 && !peers && other[0])
		rc = tn_err_set(err, TN_ESTATE, "'%s' holds '%s' and no classify run: not touching it; name a new or "
				"empty folder", dir, other);
	return rc;
}

/*
 * Removes this run's temporary files and its shards numbered from `from` on
 * (and, for a part about to write, the merge's manifest.json and _SUCCESS,
 * which its new shards would make untrue): only names classify writes,
 * after survey_folder accepted the folder.
 */
static void clean_folder(const struct tn_run_opts *o, unsigned from)
{
	const char *dir = o->out_dir;
	DIR *d;
	struct dirent *e;
	int pass;

	/* _SUCCESS before the manifest it vouches for. */
	for (pass = 0; pass < 2; pass++) {
		if (!(d = opendir(dir)))
			return;
		while ((e = readdir(d))) {
			unsigned idx = 0;
			enum entry k = classify_entry(o, e->d_name, &idx);
			int merged = k == E_MERGED && (!strcmp(e->d_name, "_SUCCESS") ? pass == 0 :
						       !strcmp(e->d_name, "manifest.json") && pass == 1);

			/* A report describes the run as it was: stale once the run starts over or goes on. */
			if ((pass == 1 && (k == E_TEMP || k == E_REPORT || (k == E_SHARD && idx >= from))) || merged) {
				struct tn_buf p = TN_BUF_INIT;

				if (!tn_buf_addf(&p, "%s/%s", dir, e->d_name))
					unlink(p.ptr);
				tn_buf_release(&p);
			}
		}
		closedir(d);
	}
}

/*
 * Refuses a resume when old[key] differs from now_v, saying where and how:
 * "the options differ from the interrupted run's: zstd_level is 5, was 3".
 * what names the thing ("the options").
 */
static int check_same(json_t *old, const char *key, json_t *now_v, const char *what, const char *dir,
		      struct tn_err *err)
{
	struct tn_buf path = TN_BUF_INIT, a = TN_BUF_INIT, b = TN_BUF_INIT;
	json_t *v = json_object_get(old, key);
	int rc = tn_json_diff(v, now_v, &path, &a, &b);

	if (rc == 1)
		rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': %s differ from the interrupted run's: '%s' is %s, was %s",
				dir, what, path.len ? path.ptr : key, b.ptr, a.ptr);
	else if (rc)
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	tn_buf_release(&path);
	tn_buf_release(&a);
	tn_buf_release(&b);
	return rc;
}

/*
 * Refuses a resume whose listed inputs differ from the interrupted run's,
 * naming the first one: "input 2 ('b.jsonl'): bytes is 120, was 96".
 */
static int check_input_list(json_t *was, json_t *now, const char *dir, struct tn_err *err)
{
	struct tn_buf path = TN_BUF_INIT, a = TN_BUF_INIT, b = TN_BUF_INIT;
	int rc = tn_json_diff(was, now, &path, &a, &b);

	if (rc == 1) {
		char *end = NULL;
		unsigned long i = path.ptr[0] == '[' ? strtoul(path.ptr + 1, &end, 10) : 0;
		json_t *e = json_array_get(was, i);
		const char *name = json_string_value(json_object_get(e ? e : json_array_get(now, i), "path"));

		if (end && end[0] == ']' && end[1] == '.')
			rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': the inputs differ from the interrupted run's: "
					"input %lu ('%s'): %s is %s, was %s", dir, i + 1, name ? name : "?", end + 2, b.ptr, a.ptr);
		else
			rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': the inputs differ from the interrupted run's: "
					"input %lu is %s, was %s", dir, i + 1, b.ptr, a.ptr);
	} else if (rc) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	tn_buf_release(&path);
	tn_buf_release(&a);
	tn_buf_release(&b);
	return rc;
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

/* tn_shard_read's callback for recount: one record into r->tally.  0 or TN_EFORMAT. */
static int recount_line(void *ctx, const char *line, size_t len)
{
	struct tn_run_state *r = ctx;
	cJSON *rec = cJSON_ParseWithLength(line, len);
	int32_t pred[TN_MAX_HEADS];
	size_t h;
	int rc = 0;

	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return TN_EFORMAT;
	}
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "error"))) {
		tn_tally_add_error(&r->tally);
	} else {
		for (h = 0; h < r->nheads; h++) {
			const struct tn_head *hd = &r->b->heads[h];
			const cJSON *l = cJSON_GetObjectItemCaseSensitive(rec, hd->name);
			size_t k;

			pred[h] = -1;
			if (cJSON_IsNull(l))
				continue;
			for (k = 0; cJSON_IsString(l) && k < hd->nclass; k++)
				if (!strcmp(hd->classes[k], l->valuestring))
					pred[h] = (int32_t)k;
			if (pred[h] < 0)
				rc = TN_EFORMAT;
		}
		if (!rc)
			tn_tally_add(&r->tally, pred);
	}
	cJSON_Delete(rec);
	return rc;
}

/* Counts the classes of the listed shards' records into r->tally (zeroed first).  0 or TN_E*. */
static int recount(struct tn_run_state *r, json_t *shards, struct tn_err *err)
{
	struct tn_tally zero;
	size_t i;
	int rc = 0;

	if (r->nheads > TN_MAX_HEADS || tn_tally_init(&zero, r->b->heads, r->nheads))
		return TN_ENOMEM;
	tn_tally_copy(&r->tally, &zero);
	tn_tally_release(&zero);
	for (i = 0; !rc && i < json_array_size(shards); i++)
		rc = tn_shard_read(r->o->out_dir, json_string_value(json_object_get(json_array_get(shards, i), "name")),
				   recount_line, r, err);
	return rc;
}

/*
 * Checks a manifest's shards and counts against each other, the run's
 * options and inputs, and the files on disk: every listed shard is there with
 * its size and XXH64; every position is one this run could have written.  On
 * success fills the run's counts and position from it.
 */
static int load_shards(struct tn_run_state *r, json_t *man, int complete, struct tn_err *err)
{
	const struct tn_run_opts *o = r->o;
	const char *dir = o->out_dir;
	json_t *shards = json_object_get(man, "shards"), *counts = json_object_get(man, "counts");
	json_int_t prev_input = 0, prev_ord = 0, prev_enum = 0, docs = 0, c_docs, c_ok, c_err, c_text;
	uint64_t nfiles = tn_source_nfiles(r->src);
	const struct tn_part *part = &r->part;
	int by_file = o->part_n > 1 && part->by_file, by_doc = o->part_n > 1 && !part->by_file;
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
		char want[TN_NAME_MAX];
		int full;

		tn_name_shard(o->part_i, o->part_n, (unsigned)i, want, sizeof(want));
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
		    (by_file && ((uint64_t)in < part->lo || (uint64_t)in >= part->hi)) ||
		    (by_doc ? (uint64_t)en > part->hi || (uint64_t)en < part->lo || en - (json_int_t)part->lo != ed :
			      en != ed))
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
	/* A manifest from before class counts has them recounted from its shards. */
	if (!json_object_get(counts, "heads") ? recount(r, shards, err) : tn_tally_from_json(&r->tally, counts))
		return tn_err_set(err, TN_ESTATE, "cannot resume '%s': its manifest is inconsistent (its class counts "
				  "do not add up); start over with --force", dir);
	if (r->tally.ok != (uint64_t)c_ok || r->tally.errors != (uint64_t)c_err)
		return tn_err_set(err, TN_ESTATE, "cannot resume '%s': its manifest is inconsistent (its class counts "
				  "disagree with its shards); start over with --force", dir);
	json_decref(r->shards);
	r->shards = json_deep_copy(shards);
	if (!r->shards)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	r->next_shard = (unsigned)n;
	r->docs = r->kept_docs = (uint64_t)c_docs;
	r->ok = r->kept_ok = (uint64_t)c_ok;
	r->errors = r->kept_errors = (uint64_t)c_err;
	r->text_bytes = (uint64_t)c_text;
	tn_tally_copy(&r->kept_tally, &r->tally);
	r->pos_input = (size_t)prev_input;
	r->pos_ordinal = (uint64_t)prev_ord;
	r->pos_enumerated = r->enumerated = (uint64_t)prev_enum;
	return 0;
}

static int resume_from(struct tn_run_state *r, json_t *man, struct tn_err *err)
{
	const char *dir = r->o->out_dir;
	json_t *cur = build_manifest(r, 0), *ev;
	size_t h, i;
	int rc;

	if (!cur)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if (!json_equal(json_object_get(json_object_get(man, "model"), "identity"),
			json_object_get(json_object_get(cur, "model"), "identity"))) {
		const char *was = json_string_value(json_object_get(json_object_get(man, "model"), "path"));

		rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': it was started with another model: '%s' (identity %s) "
				"now, '%s' (identity %s) then", dir, r->o->model_dir, r->b->identity, was ? was : "?",
				json_string_value(json_object_get(json_object_get(man, "model"), "identity")) ?
				json_string_value(json_object_get(json_object_get(man, "model"), "identity")) : "?");
	} else if (!(rc = check_same(man, "options", json_object_get(cur, "options"), "the options", dir, err)) &&
		   !json_equal(json_object_get(json_object_get(man, "inputs"), "digest"),
			       json_object_get(json_object_get(cur, "inputs"), "digest"))) {
		/* Which input: the count, then the listed names and sizes; else a time or an unlisted one. */
		json_t *was = json_object_get(man, "inputs"), *now = json_object_get(cur, "inputs");

		if (!json_equal(json_object_get(was, "files"), json_object_get(now, "files")))
			rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': the inputs differ from the interrupted run's: "
					"%lld files now, %lld then", dir, (long long)json_integer_value(json_object_get(now, "files")),
					(long long)json_integer_value(json_object_get(was, "files")));
		else if (!(rc = check_input_list(json_object_get(was, "list"), json_object_get(now, "list"), dir, err)))
			rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': the inputs differ from the interrupted run's: "
					"same names and sizes, but a modification time differs%s", dir,
					json_integer_value(json_object_get(now, "files")) > (json_int_t)json_array_size(json_object_get(now, "list"))
					? " (or an input after the first listed)" : "");
	}
	/* Which items the part holds: the count of documents, and the rule of an older Tenor. */
	if (!rc && r->o->part_n > 1 &&
	    !json_equal(json_object_get(json_object_get(man, "part"), "first"), json_object_get(json_object_get(cur, "part"), "first")))
		rc = tn_err_set(err, TN_ESTATE, "cannot resume '%s': the documents of part %ld/%ld differ from the "
				"interrupted run's; start over with --force", dir, r->o->part_i, r->o->part_n);
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
	{
		const char *started = json_string_value(json_object_get(man, "started_at"));

		/* The run started when the interrupted one did; progress goes on from its last point. */
		if (started && strlen(started) < sizeof(r->started_at))
			snprintf(r->started_at, sizeof(r->started_at), "%s", started);
		if (tn_series_from_json(&r->series, json_object_get(man, "progress")))
			return tn_err_set(err, TN_ESTATE, "cannot resume '%s': bad progress series in the manifest; "
					  "start over with --force", dir);
	}
	ev = json_object_get(man, "evaluation");
	for (h = 0; h < r->nheads; h++) {
		json_t *m = json_object_get(ev, r->b->heads[h].name);

		if (m && (tn_confusion_from_json(&r->conf[h], m) || r->conf[h].total > r->ok))
			return tn_err_set(err, TN_ESTATE, "cannot resume '%s': bad evaluation in the manifest", dir);
	}
	rc = survey_folder(r->o, (long)r->next_shard, err);
	if (rc)
		return rc;
	if (r->next_shard)
		tn_source_seek(r->src, r->pos_input, r->pos_ordinal);
	clean_folder(r->o, r->next_shard);
	return 0;
}

/*
 * OUT/manifest.json: a single run's, or the merge of N parts.  A part may
 * share its folder only with a merge of its own N; a single run never with a
 * merge (its parts' files are not its own).  0 or TN_ESTATE.
 */
static int check_merged(const struct tn_run_opts *o, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	json_t *man, *merged;
	struct stat st;
	json_int_t parts;
	int rc = 0;

	if (tn_buf_addf(&p, "%s/manifest.json", o->out_dir))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if (lstat(p.ptr, &st)) {
		tn_buf_release(&p);
		return 0;
	}
	man = json_load_file(p.ptr, 0, NULL);
	tn_buf_release(&p);
	merged = json_object_get(man, "merged");
	parts = json_integer_value(json_object_get(merged, "parts"));
	if (o->part_n > 1 && (!man || !is_run_manifest(man) || !merged))
		rc = tn_err_set(err, TN_ESTATE, "'%s' holds a manifest.json that is not a merge of parts: not touching "
				"it; name a new or empty folder", o->out_dir);
	else if (o->part_n > 1 && parts != o->part_n)
		rc = tn_err_set(err, TN_ESTATE, "'%s' holds the merge of a run of %lld parts, not %ld: not touching it; "
				"name a new or empty folder", o->out_dir, (long long)parts, o->part_n);
	else if (o->part_n <= 1 && merged)
		rc = tn_err_set(err, TN_ESTATE, "'%s' holds the merge of a run of %lld parts: re-run a part with "
				"--part I/%lld, or name a new folder", o->out_dir, (long long)parts, (long long)parts);
	json_decref(man);
	return rc;
}

int tn_runfolder_prepare(struct tn_run_state *r, int *complete, struct tn_err *err)
{
	const struct tn_run_opts *o = r->o;
	struct tn_buf p = TN_BUF_INIT;
	json_error_t je;
	json_t *man = NULL;
	struct stat st;
	char name[TN_NAME_MAX];
	int rc = 0, fresh = 1;

	*complete = 0;
	if (mkdir(o->out_dir, 0777) && errno != EEXIST)
		return tn_err_set(err, TN_EIO, "cannot create '%s': %s", o->out_dir, strerror(errno));
	if (stat(o->out_dir, &st) || !S_ISDIR(st.st_mode))
		return tn_err_set(err, TN_EIO, "'%s' is not a folder", o->out_dir);
	rc = take_lock(r, err);
	if (rc)
		return rc;
	rc = check_merged(o, err);
	tn_name_manifest(o->part_i, o->part_n, name, sizeof(name));
	if (!rc && tn_buf_addf(&p, "%s/%s", o->out_dir, name))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	if (rc) {
		/* Nothing written yet. */
	} else if (lstat(p.ptr, &st) == 0) {
		man = json_load_file(p.ptr, 0, &je);
		if (!man || !is_run_manifest(man)) {
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds a %s that is not a classify run's%s%s%s: "
					"not touching it; name a new or empty folder", o->out_dir, name,
					man ? "" : " (", man ? "" : je.text, man ? "" : ")");
		} else if (o->force) {
			/* Only what the run's manifest lists, and Tenor's own temporary names. */
			long n = json_is_array(json_object_get(man, "shards")) ?
				 (long)json_array_size(json_object_get(man, "shards")) : 0;

			rc = survey_folder(o, n, err);
			if (!rc)
				clean_folder(o, 0);
		} else if (!o->resume && o->part_n > 1) {
			rc = tn_err_set(err, TN_ESTATE, "'%s' holds part %ld/%ld already: continue it with --resume, or "
					"start over with --force", o->out_dir, o->part_i, o->part_n);
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
		rc = survey_folder(o, -1, err);
		if (!rc)
			clean_folder(o, 0);
	}
	if (rc)
		drop_lock(r);
	else if (man)
		r->lock_remove = 1;   /* a classify run's folder: its .lock is classify's */
	/* A run folder has a manifest from the start: what has none is not Tenor's. */
	if (!rc && fresh)
		rc = tn_runfolder_write_manifest(r, 0, err);
	json_decref(man);
	tn_buf_release(&p);
	return rc;
}

/* ---- the run ---- */

int tn_runfolder_inputs_list(struct tn_run_state *r)
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

			if (tn_record_add_json_text(&p, f->path, strlen(f->path))) {
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
