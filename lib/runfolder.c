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

static json_t *build_manifest(const struct tn_run_state *r, int complete)
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
			 "features", 0.0, "predict", 0.0);
}

int tn_runfolder_write_manifest(struct tn_run_state *r, int complete, struct tn_err *err)
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

/* ---- the run folder: lock, fresh start, resume ---- */

/*
 * Takes OUT/.lock: created if missing, then flock'ed.  A lock file is removed
 * when its run ends, so the one opened may have been unlinked by a run ending
 * just then: the lock holds only if the name still leads to the file locked.
 */
static int take_lock(struct tn_run_state *r, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	int tries, rc = 0;

	if (tn_buf_addf(&p, "%s/.lock", r->o->out_dir))
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

	if (r->lock_fd < 0)
		return;
	/* Unlinked while still held: a run starting now cannot lock the old file and proceed. */
	if (r->lock_remove && !tn_buf_addf(&p, "%s/.lock", r->o->out_dir))
		unlink(p.ptr);
	tn_buf_release(&p);
	close(r->lock_fd);
	r->lock_fd = -1;
}

/* Removes the lock file when this run made it for nothing (a refused folder). */
static void drop_lock(struct tn_run_state *r)
{
	struct tn_buf p = TN_BUF_INIT;

	if (r->lock_created && !tn_buf_addf(&p, "%s/.lock", r->o->out_dir))
		unlink(p.ptr);
	tn_buf_release(&p);
	r->lock_created = 0;
	r->lock_remove = 0;
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
	int by_file = tn_part_by_file(o->part_n, nfiles), by_doc = o->part_n > 1 && !by_file;
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
		    (by_file && !tn_part_has(o->part_i, o->part_n, (uint64_t)in)) ||
		    (by_doc ? (json_int_t)tn_part_count(o->part_i, o->part_n, (uint64_t)en) != ed : en != ed))
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

int tn_runfolder_prepare(struct tn_run_state *r, int *complete, struct tn_err *err)
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
