/*
 * merge.c - classify --merge OUT; see merge.h.
 *
 * Three steps: find the parts and lock them (merge_open), check each part on
 * its own and against part 1 and its neighbour, reading every shard
 * (check_part, check_shards), and, only if no part has a problem, build the
 * run's manifest from the parts' and write it and _SUCCESS (build_merged).
 */
#include "merge.h"
#include "atomic_file.h"
#include "buf.h"
#include "manifest_json.h"
#include "metrics.h"
#include "runnames.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

struct part {
	json_t *man;            /* NULL: missing or unreadable */
	int lock_fd, lock_created;
	uint64_t docs;          /* records counted in its shards */
};

struct merge {
	const char *dir;
	long n;
	struct part *p;
	int lock_fd, lock_created;
	json_t *ref;            /* the first part's manifest that loads: what the others must match */
	struct tn_buf problems;
	unsigned nproblems;
};

void tn_merge_stats_release(struct tn_merge_stats *s)
{
	free(s->summary);
	free(s->problems);
	s->summary = s->problems = NULL;
}

/* ---- locks ---- */

/* Takes dir/name (made if missing).  0, 1 when another process holds it, or TN_EIO. */
static int lock_name(const char *dir, const char *name, int *fd, int *created)
{
	struct tn_buf p = TN_BUF_INIT;

	*created = 0;
	if (tn_buf_addf(&p, "%s/%s", dir, name))
		return TN_ENOMEM;
	*fd = open(p.ptr, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (*fd >= 0)
		*created = 1;
	else if (errno == EEXIST)
		*fd = open(p.ptr, O_RDWR | O_CLOEXEC);
	tn_buf_release(&p);
	if (*fd < 0)
		return TN_EIO;
	return flock(*fd, LOCK_EX | LOCK_NB) ? 1 : 0;
}

/* Releases a lock; removes its file when the merge made it. */
static void unlock_name(const char *dir, const char *name, int *fd, int created)
{
	struct tn_buf p = TN_BUF_INIT;

	if (*fd < 0)
		return;
	if (created && !tn_buf_addf(&p, "%s/%s", dir, name))
		unlink(p.ptr);
	tn_buf_release(&p);
	close(*fd);
	*fd = -1;
}

/* ---- problems, each with the command that re-runs the part ---- */

/* Appends s as one shell word. */
static int add_shell_word(struct tn_buf *b, const char *s)
{
	const char *c;

	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=/.,:@%") == strlen(s))
		return tn_buf_addstr(b, s);
	if (tn_buf_addch(b, '\''))
		return TN_ENOMEM;
	for (c = s; *c; c++)
		if (*c == '\'' ? tn_buf_addstr(b, "'\\''") : tn_buf_addch(b, *c))
			return TN_ENOMEM;
	return tn_buf_addch(b, '\'');
}

/*
 * The command of the reference part, in its folder, made to run part i:
 * its --part replaced, --resume and --force dropped, flag (NULL, "--resume"
 * or "--force") added.  0, 1 when no part recorded its command, TN_ENOMEM.
 */
static int add_rerun(struct merge *m, long i, const char *flag, struct tn_buf *b)
{
	json_t *part = json_object_get(m->ref, "part"), *cmd = json_object_get(part, "command");
	const char *cwd = json_string_value(json_object_get(part, "cwd"));
	char pv[64];
	size_t k;
	int rc = 0, next_is_part = 0;

	if (!json_is_array(cmd) || !json_array_size(cmd))
		return 1;
	snprintf(pv, sizeof(pv), "%ld/%ld", i, m->n);
	if (cwd)
		rc = tn_buf_addstr(b, "cd ") || add_shell_word(b, cwd) || tn_buf_addstr(b, " && ");
	for (k = 0; !rc && k < json_array_size(cmd); k++) {
		const char *a = json_string_value(json_array_get(cmd, k));

		if (!a || !strcmp(a, "--resume") || !strcmp(a, "--force"))
			continue;
		if (k)
			rc = tn_buf_addch(b, ' ');
		if (!rc && next_is_part)
			rc = add_shell_word(b, pv);
		else if (!rc && !strncmp(a, "--part=", 7))
			rc = tn_buf_addf(b, "--part=%s", pv);
		else if (!rc)
			rc = add_shell_word(b, a);
		next_is_part = !strcmp(a, "--part");
		/* The flag right after the program, before any "--" that ends the options. */
		if (!rc && k == 0 && flag)
			rc = tn_buf_addf(b, " %s", flag);
	}
	return rc ? TN_ENOMEM : 0;
}

/* Records a problem of part i: "part I/N: WHAT; re-run it: CMD". */
static int problem(struct merge *m, long i, const char *flag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int problem(struct merge *m, long i, const char *flag, const char *fmt, ...)
{
	char what[TN_ERR_MSG_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	m->nproblems++;
	if (tn_buf_addf(&m->problems, "part %ld/%ld: %s; re-run it: ", i, m->n, what))
		return TN_ENOMEM;
	r = add_rerun(m, i, flag, &m->problems);
	if (r == 1)
		r = tn_buf_addf(&m->problems, "classify --part %ld/%ld%s%s with the other parts' model, options and "
				"inputs, -o '%s'", i, m->n, flag ? " " : "", flag ? flag : "", m->dir);
	return r || tn_buf_addch(&m->problems, '\n') ? TN_ENOMEM : 0;
}

/* ---- finding and checking the parts ---- */

/* The N of the part manifests in dir.  0 or TN_ESTATE / TN_EIO. */
static int find_parts(const char *dir, long *n, struct tn_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long other = 0;

	*n = 0;
	if (!d)
		return tn_err_set(err, TN_EIO, "cannot list '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		long k = tn_name_manifest_parts(e->d_name);

		if (k && !*n)
			*n = k;
		else if (k && k != *n)
			other = k;
	}
	closedir(d);
	if (!*n)
		return tn_err_set(err, TN_ESTATE, "'%s' holds no parts of a run (manifest-part-I-of-N.json, written by "
				  "classify --part I/N -o '%s'): nothing to merge", dir, dir);
	if (other)
		return tn_err_set(err, TN_ESTATE, "'%s' holds parts of a run of %ld parts and of one of %ld: not merging; "
				  "name one folder per run", dir, *n, other);
	return 0;
}

static json_int_t get_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

/* 1 if a and b have equal values at key (both missing counts as equal). */
static int same_at(json_t *a, json_t *b, const char *key)
{
	json_t *x = json_object_get(a, key), *y = json_object_get(b, key);

	return (!x && !y) || (x && y && json_equal(x, y));
}

/* The options but --part, which differs between parts by design. */
static int same_options(json_t *a, json_t *b)
{
	json_t *x = json_deep_copy(json_object_get(a, "options")), *y = json_deep_copy(json_object_get(b, "options"));
	int same = x && y && json_is_object(x);

	if (same) {
		json_object_del(x, "part");
		json_object_del(y, "part");
		same = json_equal(x, y);
	}
	json_decref(x);
	json_decref(y);
	return same;
}

/*
 * Reads shard name of dir: its size and XXH64 against the manifest's, and its
 * records (zstd verifies each frame's checksum).  0 with *lines, 1 with what
 * is wrong in why, TN_ENOMEM.
 */
static int read_shard(const char *dir, const char *name, json_int_t bytes, const char *hex, uint64_t *lines,
		      char *why, size_t whylen)
{
	struct tn_buf p = TN_BUF_INIT;
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	XXH64_state_t *xs = XXH64_createState();
	size_t out_cap = ZSTD_DStreamOutSize(), last = 0;
	char *in = malloc(1 << 16), *out = malloc(out_cap), got[17];
	uint64_t total = 0;
	ssize_t n;
	int fd = -1, rc = 0;

	*lines = 0;
	if (!dc || !xs || !in || !out || tn_buf_addf(&p, "%s/%s", dir, name)) {
		rc = TN_ENOMEM;
		goto out;
	}
	XXH64_reset(xs, 0);
	fd = open(p.ptr, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "its shard '%s' cannot be read: %s", name, strerror(errno));
		rc = 1;
		goto out;
	}
	while ((n = read(fd, in, 1 << 16)) != 0) {
		ZSTD_inBuffer ib = { in, 0, 0 };

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "its shard '%s' cannot be read: %s", name, strerror(errno));
			rc = 1;
			goto out;
		}
		ib.size = (size_t)n;
		XXH64_update(xs, in, (size_t)n);
		total += (uint64_t)n;
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { out, out_cap, 0 };

			last = ZSTD_decompressStream(dc, &ob, &ib);
			if (ZSTD_isError(last)) {
				snprintf(why, whylen, "its shard '%s' does not decode: %s", name, ZSTD_getErrorName(last));
				rc = 1;
				goto out;
			}
			for (size_t k = 0; k < ob.pos; k++)
				*lines += out[k] == '\n';
		}
	}
	snprintf(got, sizeof(got), "%016llx", (unsigned long long)XXH64_digest(xs));
	if (total != (uint64_t)bytes || !hex || strcmp(got, hex)) {
		snprintf(why, whylen, "its shard '%s' is not the one its manifest lists (%llu bytes, XXH64 %s; listed: "
			 "%lld bytes, %s)", name, (unsigned long long)total, got, (long long)bytes, hex ? hex : "none");
		rc = 1;
	} else if (last != 0) {
		snprintf(why, whylen, "its shard '%s' ends inside a zstd frame", name);
		rc = 1;
	}
out:
	if (fd >= 0)
		close(fd);
	free(in);
	free(out);
	ZSTD_freeDCtx(dc);
	XXH64_freeState(xs);
	tn_buf_release(&p);
	return rc;
}

/* Part i's shards: named as its, intact, their records adding up.  0, or a problem recorded, or TN_ENOMEM. */
static int check_shards(struct merge *m, long i)
{
	struct part *p = &m->p[i - 1];
	json_t *shards = json_object_get(p->man, "shards");
	json_int_t docs = get_int(json_object_get(p->man, "counts"), "documents");
	char why[TN_ERR_MSG_MAX], want[TN_NAME_MAX];
	size_t k;

	p->docs = 0;
	for (k = 0; k < json_array_size(shards); k++) {
		json_t *s = json_array_get(shards, k);
		const char *name = json_string_value(json_object_get(s, "name"));
		json_int_t sd = get_int(s, "documents");
		uint64_t lines;
		int r;

		tn_name_shard(i, m->n, (unsigned)k, want, sizeof(want));
		if (!name || strcmp(name, want) || sd < 0)
			return problem(m, i, "--force", "its manifest lists shard %zu as '%s', not '%s'", k,
				       name ? name : "(none)", want);
		r = read_shard(m->dir, name, get_int(s, "bytes"), json_string_value(json_object_get(s, "xxh64")), &lines,
			       why, sizeof(why));
		if (r < 0)
			return r;
		if (r)
			return problem(m, i, "--force", "%s", why);
		if (lines != (uint64_t)sd)
			return problem(m, i, "--force", "its shard '%s' holds %llu records, its manifest says %lld", name,
				       (unsigned long long)lines, (long long)sd);
		p->docs += lines;
	}
	if (docs < 0 || (uint64_t)docs != p->docs)
		return problem(m, i, "--force", "its shards hold %llu records, its manifest counts %lld",
			       (unsigned long long)p->docs, (long long)docs);
	return 0;
}

/*
 * Part i on its own and against the reference and part i-1: complete, the
 * same run, its range starting at next (-1: not known, the previous part has
 * a problem of its own).  0, or a problem recorded, or TN_ENOMEM.
 */
static int check_part(struct merge *m, long i, json_int_t next)
{
	json_t *man = m->p[i - 1].man, *part = json_object_get(man, "part");
	json_t *rpart = json_object_get(m->ref, "part");
	json_int_t first = get_int(part, "first"), end = get_int(part, "end"), total = get_int(rpart, "total");
	json_int_t docs = get_int(json_object_get(man, "counts"), "documents");
	const char *by = json_string_value(json_object_get(part, "by"));
	char name[TN_NAME_MAX];

	tn_name_manifest(i, m->n, name, sizeof(name));
	if (!man)
		return problem(m, i, NULL, "'%s' is missing or unreadable (the part never started, or its node died "
			       "before its first write)", name);
	if (!json_is_true(json_object_get(man, "complete")))
		return problem(m, i, "--resume", "it did not finish (%lld records in %zu complete shards so far)",
			       (long long)docs, json_array_size(json_object_get(man, "shards")));
	if (get_int(part, "index") != i || get_int(part, "of") != m->n)
		return problem(m, i, "--force", "'%s' is not the manifest of part %ld/%ld", name, i, m->n);
	if (!same_at(json_object_get(man, "model"), json_object_get(m->ref, "model"), "identity"))
		return problem(m, i, "--force", "it was run with another model than the other parts");
	if (!same_options(man, m->ref))
		return problem(m, i, "--force", "it was run with other options than the other parts");
	if (!same_at(json_object_get(man, "inputs"), json_object_get(m->ref, "inputs"), "digest"))
		return problem(m, i, "--force", "it was run on other inputs (names, sizes or times) than the other parts");
	if (!same_at(man, m->ref, "tenor_version"))
		return problem(m, i, "--force", "it was run by another version of Tenor than the other parts");
	if (!by || !same_at(part, rpart, "by") || get_int(part, "total") != total || (next >= 0 && first != next) ||
	    (i == 1 && first != 0) || end < first || end > total || (i == m->n && end != total))
		return problem(m, i, "--force", "it holds %s %lld..%lld of %lld, which does not follow the previous "
			       "part's (up to %lld)", by && !strcmp(by, "file") ? "files" : "documents", (long long)first,
			       (long long)end, (long long)get_int(part, "total"), (long long)next);
	if (!strcmp(by, "document") && docs != end - first)
		return problem(m, i, "--force", "it has %lld records for the %lld documents of its range", (long long)docs,
			       (long long)(end - first));
	return check_shards(m, i);
}

/* ---- the merged manifest ---- */

/*
 * Adds src into dst key by key: numbers summed, objects merged, anything else
 * (a head's name in "cross", say) kept from the first part when equal.  0, or
 * 1 when the parts disagree on a value that is not a number.
 */
static int sum_into(json_t *dst, json_t *src)
{
	const char *key;
	json_t *v;

	json_object_foreach(src, key, v) {
		json_t *d = json_object_get(dst, key);

		if (!d) {
			if (json_object_set_new(dst, key, json_deep_copy(v)))
				return 1;
		} else if (json_is_integer(d) && json_is_integer(v)) {
			json_integer_set(d, json_integer_value(d) + json_integer_value(v));
		} else if (json_is_number(d) && json_is_number(v)) {
			json_object_set_new(dst, key, json_real(json_number_value(d) + json_number_value(v)));
		} else if (json_is_object(d) && json_is_object(v)) {
			if (sum_into(d, v))
				return 1;
		} else if (!json_equal(d, v)) {
			return 1;
		}
	}
	return 0;
}

/* Sums the parts' confusion matrices per head into ev (the report into rep).  0, 1 on a bad matrix, TN_ENOMEM. */
static int merge_evaluation(struct merge *m, json_t *ev, struct tn_buf *rep)
{
	json_t *heads = json_object_get(json_object_get(m->ref, "model"), "heads");
	size_t h;
	long i;

	for (h = 0; h < json_array_size(heads); h++) {
		const char *head = json_string_value(json_array_get(heads, h));
		json_t *labels = NULL, *mj;
		struct tn_confusion sum, one;
		const char **names = NULL;
		size_t nclass = 0, k;
		int bad = 0;

		for (i = 1; i <= m->n && !labels; i++)
			labels = json_object_get(json_object_get(json_object_get(json_object_get(m->p[i - 1].man,
				 "evaluation"), head), "confusion"), "labels");
		if (!head || !labels)
			continue;
		nclass = json_array_size(labels);
		memset(&sum, 0, sizeof(sum));
		memset(&one, 0, sizeof(one));
		if (tn_confusion_init(&sum, nclass) || tn_confusion_init(&one, nclass) ||
		    !(names = calloc(nclass + 1, sizeof(*names)))) {
			tn_confusion_release(&sum);
			tn_confusion_release(&one);
			return TN_ENOMEM;
		}
		for (k = 0; k < nclass; k++)
			bad |= !(names[k] = json_string_value(json_array_get(labels, k)));
		for (i = 1; i <= m->n && !bad; i++) {
			json_t *e = json_object_get(json_object_get(m->p[i - 1].man, "evaluation"), head);

			if (!e)
				continue;
			memset(one.m, 0, nclass * nclass * sizeof(*one.m));
			one.total = 0;
			bad = !json_equal(json_object_get(json_object_get(e, "confusion"), "labels"), labels) ||
			      tn_confusion_from_json(&one, e);
			if (!bad)
				tn_confusion_merge(&sum, &one);
		}
		mj = bad ? NULL : tn_confusion_json(&sum, names);
		if (mj)
			json_object_set_new(ev, head, mj);
		if (mj && (tn_buf_addf(rep, "head '%s' against the input's labels:\n", head) ||
			   tn_confusion_report(&sum, names, "  ", rep)))
			bad = TN_ENOMEM;
		tn_confusion_release(&sum);
		tn_confusion_release(&one);
		free(names);
		if (bad)
			return bad == TN_ENOMEM ? TN_ENOMEM : 1;
		if (!mj)
			return TN_ENOMEM;
	}
	return 0;
}

/* The earliest (later = 0) or latest string at key over the parts (ISO 8601 UTC sorts as time), or NULL. */
static const char *extreme_time(struct merge *m, const char *key, int later)
{
	const char *best = NULL;
	long i;

	for (i = 1; i <= m->n; i++) {
		const char *t = json_string_value(json_object_get(m->p[i - 1].man, key));

		if (t && (!best || (later ? strcmp(t, best) > 0 : strcmp(t, best) < 0)))
			best = t;
	}
	return best;
}

/* Sets key of o to v, taking the reference; 1 on failure (v freed). */
static int put(json_t *o, const char *key, json_t *v)
{
	return !v || json_object_set_new(o, key, v);
}

/* The run's manifest from its parts' into *out.  0, or TN_ESTATE / TN_ENOMEM with err filled. */
static int build_merged(struct merge *m, struct tn_merge_stats *st, json_t **out, struct tn_err *err)
{
	json_t *o = json_object(), *shards = json_array(), *counts = json_object(), *ev = json_object();
	json_t *names = json_array(), *timings = json_object(), *options = NULL, *v, *rpart;
	struct tn_buf rep = TN_BUF_INIT;
	double longest = 0, all = 0;
	const char *key, *t;
	long i;
	size_t k;
	int r, rc = TN_ENOMEM;

	*out = NULL;
	if (!o || !shards || !counts || !ev || !names || !timings)
		goto fail;
	for (i = 1; i <= m->n; i++) {
		json_t *man = m->p[i - 1].man, *ps = json_object_get(man, "shards"), *tm = json_object_get(man, "timings");
		char name[TN_NAME_MAX];
		double secs = json_number_value(json_object_get(tm, "seconds"));

		tn_name_manifest(i, m->n, name, sizeof(name));
		if (json_array_append_new(names, json_string(name)))
			goto fail;
		for (k = 0; k < json_array_size(ps); k++) {
			json_t *s = json_deep_copy(json_array_get(ps, k));

			/* A shard's end position is its part's own; the part it belongs to says where it is. */
			if (!s || put(s, "part", json_integer(i)) || json_array_append_new(shards, s))
				goto fail;
			json_object_del(s, "end");
		}
		if (sum_into(counts, json_object_get(man, "counts"))) {
			rc = tn_err_set(err, TN_ESTATE, "cannot merge '%s': part %ld/%ld's counts do not add up with the "
					"other parts' (a value that is not a number differs)", m->dir, i, m->n);
			goto fail;
		}
		/* Thread-seconds per stage add up; wall times do not. */
		json_object_foreach(tm, key, v)
			if (strcmp(key, "seconds") && strcmp(key, "docs_per_second") && strcmp(key, "mb_per_second") &&
			    json_is_number(v) &&
			    put(timings, key, json_real(json_number_value(json_object_get(timings, key)) + json_number_value(v))))
				goto fail;
		longest = secs > longest ? secs : longest;
		all += secs;
	}
	r = merge_evaluation(m, ev, &rep);
	if (r == TN_ENOMEM)
		goto fail;
	if (r) {
		rc = tn_err_set(err, TN_ESTATE, "cannot merge '%s': the parts' evaluations do not add up", m->dir);
		goto fail;
	}
	if (!(options = json_deep_copy(json_object_get(m->ref, "options"))))
		goto fail;
	json_object_del(options, "part");
	rpart = json_object_get(m->ref, "part");
	st->parts = m->n;
	st->docs = (uint64_t)get_int(counts, "documents");
	st->ok = (uint64_t)get_int(counts, "ok");
	st->errors = (uint64_t)get_int(counts, "errors");
	st->shards = (unsigned)json_array_size(shards);
	/* The keys in a single run's order (the shards, names, ... are o's from here on), then what the parts share. */
	if (put(o, "format", json_deep_copy(json_object_get(m->ref, "format"))) ||
	    put(o, "version", json_deep_copy(json_object_get(m->ref, "version"))) ||
	    put(o, "complete", json_true()) ||
	    put(o, "merged", json_pack("{s:I, s:O, s:O, s:O}", "parts", (json_int_t)m->n, "by",
				       json_object_get(rpart, "by"), "total", json_object_get(rpart, "total"),
				       "manifests", names)) ||
	    put(o, "model", json_deep_copy(json_object_get(m->ref, "model"))) ||
	    put(o, "options", json_incref(options)) ||
	    put(o, "inputs", json_deep_copy(json_object_get(m->ref, "inputs"))) ||
	    put(o, "shards", json_incref(shards)) || put(o, "counts", json_incref(counts)) ||
	    put(o, "evaluation", json_incref(ev)) ||
	    put(timings, "seconds_longest_part", json_real(longest)) ||
	    put(timings, "seconds_all_parts", json_real(all)) || put(o, "timings", json_incref(timings)))
		goto fail;
	if ((t = extreme_time(m, "started_at", 0)) && put(o, "started_at", json_string(t)))
		goto fail;
	if ((t = extreme_time(m, "finished_at", 1)) && put(o, "finished_at", json_string(t)))
		goto fail;
	json_object_foreach(m->ref, key, v) {
		int shared = 1;

		if (json_object_get(o, key) || !strcmp(key, "part"))
			continue;
		for (i = 1; i <= m->n && shared; i++)
			shared = same_at(m->p[i - 1].man, m->ref, key);
		if (shared && put(o, key, json_deep_copy(v)))
			goto fail;
	}
	if (rep.len && !(st->summary = tn_buf_detach(&rep, NULL)))
		goto fail;
	*out = o;
	o = NULL;
	rc = 0;
fail:
	if (rc == TN_ENOMEM)
		tn_err_set(err, TN_ENOMEM, "out of memory");
	json_decref(o);
	json_decref(shards);
	json_decref(counts);
	json_decref(ev);
	json_decref(names);
	json_decref(timings);
	json_decref(options);
	tn_buf_release(&rep);
	return rc;
}

static int write_merged(struct merge *m, json_t *man, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	char *s = json_dumps(man, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8));
	int rc;

	if (!s || tn_buf_addf(&p, "%s/manifest.json", m->dir)) {
		free(s);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	rc = tn_write_atomic(p.ptr, s, strlen(s), err);
	free(s);
	tn_buf_reset(&p);
	if (!rc && tn_buf_addf(&p, "%s/_SUCCESS", m->dir))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	else if (!rc)
		rc = tn_write_atomic(p.ptr, "", 0, err);
	tn_buf_release(&p);
	return rc;
}

/* ---- the merge ---- */

/* Locks OUT and every part, loads the parts' manifests.  0, or TN_E* with err filled. */
static int merge_open(struct merge *m, struct tn_err *err)
{
	char name[TN_NAME_MAX];
	long i;
	int r;

	r = lock_name(m->dir, ".lock", &m->lock_fd, &m->lock_created);
	if (r)
		return r == 1 ? tn_err_set(err, TN_ESTATE, "'%s' is being merged by another classify --merge", m->dir)
			      : tn_err_set(err, TN_EIO, "cannot create a lock in '%s': %s", m->dir, strerror(errno));
	if (!(m->p = calloc((size_t)m->n, sizeof(*m->p))))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (i = 1; i <= m->n; i++)
		m->p[i - 1].lock_fd = -1;
	for (i = 1; i <= m->n; i++) {
		struct part *p = &m->p[i - 1];
		struct tn_buf path = TN_BUF_INIT;

		tn_name_lock(i, m->n, name, sizeof(name));
		r = lock_name(m->dir, name, &p->lock_fd, &p->lock_created);
		if (r < 0)
			return tn_err_set(err, TN_EIO, "cannot create a lock in '%s': %s", m->dir, strerror(errno));
		tn_name_manifest(i, m->n, name, sizeof(name));
		if (tn_buf_addf(&path, "%s/%s", m->dir, name))
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		/* A part that is running is named below; its manifest says it is not complete. */
		p->man = json_load_file(path.ptr, 0, NULL);
		tn_buf_release(&path);
		if (p->man && (!json_is_object(p->man) || !json_is_object(json_object_get(p->man, "part")))) {
			json_decref(p->man);
			p->man = NULL;
		}
		if (r == 1 && problem(m, i, "--resume", "it is running (its lock is held); wait for it to finish or, "
				      "if its node died, re-run it") < 0)
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		if (r == 1) {
			json_decref(p->man);
			p->man = NULL;
			p->lock_created = 0;
			close(p->lock_fd);
			p->lock_fd = -1;
		}
		if (!m->ref && p->man)
			m->ref = p->man;
	}
	return 0;
}

static void merge_close(struct merge *m)
{
	char name[TN_NAME_MAX];
	long i;

	for (i = 1; m->p && i <= m->n; i++) {
		tn_name_lock(i, m->n, name, sizeof(name));
		unlock_name(m->dir, name, &m->p[i - 1].lock_fd, m->p[i - 1].lock_created);
		json_decref(m->p[i - 1].man);
	}
	free(m->p);
	unlock_name(m->dir, ".lock", &m->lock_fd, m->lock_created);
	tn_buf_release(&m->problems);
}

int tn_merge(const char *out_dir, struct tn_merge_stats *st, struct tn_err *err)
{
	struct merge m;
	json_t *man = NULL;
	json_int_t next = 0;
	long i;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&m, 0, sizeof(m));
	m.dir = out_dir;
	m.lock_fd = -1;
	tn_buf_init(&m.problems);
	rc = find_parts(out_dir, &m.n, err);
	if (!rc)
		rc = merge_open(&m, err);
	if (!rc && !m.ref && !m.nproblems)
		rc = tn_err_set(err, TN_ESTATE, "'%s' holds no readable part manifest: nothing to merge", out_dir);
	for (i = 1; !rc && i <= m.n; i++) {
		unsigned before = m.nproblems;

		/* A running part was named when its lock was found held. */
		if (m.p[i - 1].lock_fd < 0) {
			next = -1;
			continue;
		}
		rc = check_part(&m, i, next);
		/* After a problem, the next part's range is not checked against this one's end. */
		next = m.nproblems == before ? get_int(json_object_get(m.p[i - 1].man, "part"), "end") : -1;
	}
	if (rc == TN_ENOMEM)
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	if (!rc && m.nproblems) {
		/* An earlier merge's _SUCCESS no longer holds (the merge's own file, so it may go). */
		struct tn_buf p = TN_BUF_INIT;
		int stale = !tn_buf_addf(&p, "%s/_SUCCESS", out_dir) && !unlink(p.ptr);

		tn_buf_release(&p);
		rc = tn_err_set(err, TN_ESTATE, "cannot merge '%s': %u of %ld parts %s not complete and consistent%s",
				out_dir, m.nproblems, m.n, m.nproblems == 1 ? "is" : "are",
				stale ? " (the _SUCCESS of an earlier merge removed)" : "");
		st->problems = tn_buf_detach(&m.problems, NULL);
	}
	if (!rc)
		rc = build_merged(&m, st, &man, err);
	if (!rc)
		rc = write_merged(&m, man, err);
	json_decref(man);
	merge_close(&m);
	return rc;
}
