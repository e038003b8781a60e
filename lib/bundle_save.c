/*
 * bundle_save.c - writing a bundle: idf.bin, the model files and
 * manifest.json into a temporary folder, then swapped in for the target
 * (bundle.h says what is kept, replaced and refused).
 */
#include "bundle.h"
#include "bundle_internal.h"
#include "atomic_file.h"
#include "buf.h"
#include "tone_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <libsvm/svm.h>
#include <linear.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static int write_idf(const struct tn_bundle *b, const char *path, struct tn_err *err)
{
	size_t nb = (size_t)1 << b->feat.bits, i, count = 0;
	unsigned char rec[8];
	FILE *f;
	int bad = 0;

	for (i = 0; i < nb; i++)
		count += b->idf[i] != 0.0f;
	f = fopen(path, "wb");
	if (!f)
		return tn_err_set(err, TN_EIO, "cannot write '%s': %s", path, strerror(errno));
	bad |= fwrite(tn_idf_magic, 1, 8, f) != 8;
	tn_put32(rec, (uint32_t)b->feat.bits);
	tn_put32(rec + 4, (uint32_t)count);
	bad |= fwrite(rec, 1, 8, f) != 8;
	for (i = 0; i < nb && !bad; i++) {
		uint32_t bits;

		if (b->idf[i] == 0.0f)
			continue;
		memcpy(&bits, &b->idf[i], 4);
		tn_put32(rec, (uint32_t)i);
		tn_put32(rec + 4, bits);
		bad |= fwrite(rec, 1, 8, f) != 8;
	}
	if (fclose(f) || bad)
		return tn_err_set(err, TN_EIO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}


static json_t *feat_json(const struct tn_feat_opts *o)
{
	char seed[32];
	json_t *f;

	snprintf(seed, sizeof(seed), "0x%016llx", (unsigned long long)o->seed);
	f = json_pack("{s:s, s:s, s:[i,i], s:[i,i], s:i, s:i, s:b, s:s, s:s, s:s}",
		      "tokenizer", "unicode-casefold-1",
		      "hash", tn_bundle_hash_name(o),
		      "word_ngrams", o->word_min, o->word_max,
		      "char_ngrams", o->char_min, o->char_max,
		      "bits", o->bits,
		      "min_df", o->min_df,
		      "sublinear_tf", o->sublinear_tf,
		      "seed", seed,
		      "weighting", "tfidf-smooth-l2",
		      "idf_file", "idf.bin");
	if (f && tn_tone_on(&o->tone) && tn_tone_json_write(f, &o->tone)) {
		json_decref(f);
		return NULL;
	}
	return f;
}

static json_t *build_manifest(const struct tn_bundle *b)
{
	struct tn_buf p = TN_BUF_INIT;
	json_t *man, *heads;
	size_t h;

	man = json_pack("{s:s, s:i, s:o, s:[]}", "format", TN_BUNDLE_FORMAT,
			"version", tn_bundle_format_version(&b->feat),
			"features", feat_json(&b->feat), "heads");
	if (!man)
		return NULL;
	heads = json_object_get(man, "heads");
	for (h = 0; h < b->nheads; h++) {
		const struct tn_head *hd = &b->heads[h];
		json_t *e = json_object(), *cls = json_array();
		size_t k;
		int bad = !e || !cls;

		for (k = 0; k < hd->nclass && !bad; k++)
			bad |= json_array_append_new(cls, json_string(hd->classes[k]));
		tn_buf_reset(&p);
		bad |= tn_buf_addf(&p, "%s.%s", hd->name, hd->lin ? "liblinear" : "svm");
		/* Fixed keys first, then what training recorded (settings, metrics). */
		bad |= json_object_set_new(e, "name", json_string(hd->name));
		bad |= json_object_set_new(e, "classes", cls);
		cls = NULL;
		bad |= json_object_set_new(e, "model_file", json_string(p.ptr));
		bad |= json_object_set_new(e, "kernel", json_string(tn_head_kernel(hd) == TN_KERNEL_RBF ? "rbf" : "linear"));
		bad |= json_object_set_new(e, "probability", json_boolean(tn_head_has_probability(hd)));
		if (hd->svm)
			bad |= json_object_set_new(e, "support_vectors", json_integer(hd->svm->l));
		if (hd->info)
			bad |= json_object_update_missing(e, hd->info);
		bad |= json_array_append_new(heads, e);
		e = NULL;
		json_decref(cls);
		if (bad) {
			json_decref(man);
			tn_buf_release(&p);
			return NULL;
		}
	}
	if (b->info)
		json_object_update_missing(man, b->info);
	tn_buf_release(&p);
	return man;
}

/* XXH64 of a file as 16 hex digits; 0, or TN_EIO / TN_ENOMEM. */
static int file_digest(const char *path, char hex[17], uint64_t *bytes, struct tn_err *err)
{
	XXH64_state_t *xs = XXH64_createState();
	char chunk[65536];
	FILE *f;
	size_t n;
	int bad;

	if (!xs)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	f = fopen(path, "rb");
	if (!f) {
		XXH64_freeState(xs);
		return tn_err_set(err, TN_EIO, "cannot read '%s': %s", path, strerror(errno));
	}
	XXH64_reset(xs, 0);
	*bytes = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		XXH64_update(xs, chunk, n);
		*bytes += n;
	}
	bad = ferror(f);
	fclose(f);
	snprintf(hex, 17, "%016llx", (unsigned long long)XXH64_digest(xs));
	XXH64_freeState(xs);
	return bad ? tn_err_set(err, TN_EIO, "cannot read '%s'", path) : 0;
}

/* The manifest's "files": size and XXH64 of idf.bin and every model file in dir. */
static int files_json(const struct tn_bundle *b, const char *dir, json_t **out, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT, name = TN_BUF_INIT;
	json_t *files = json_object();
	size_t h;
	int rc = files ? 0 : TN_ENOMEM;

	for (h = 0; h <= b->nheads + b->nfiles && !rc; h++) {
		char hex[17];
		uint64_t bytes;

		tn_buf_reset(&name);
		tn_buf_reset(&p);
		if (h > b->nheads ? tn_buf_addstr(&name, b->files[h - b->nheads - 1].name) :
		    h == b->nheads ? tn_buf_addstr(&name, "idf.bin")
				   : tn_buf_addf(&name, "%s.%s", b->heads[h].name, b->heads[h].lin ? "liblinear" : "svm")) {
			rc = TN_ENOMEM;
			break;
		}
		if (tn_buf_addf(&p, "%s/%s", dir, name.ptr)) {
			rc = TN_ENOMEM;
			break;
		}
		rc = file_digest(p.ptr, hex, &bytes, err);
		if (!rc && json_object_set_new(files, name.ptr, json_pack("{s:I, s:s}", "bytes", (json_int_t)bytes,
									   "xxh64", hex)))
			rc = TN_ENOMEM;
	}
	tn_buf_release(&p);
	tn_buf_release(&name);
	if (rc) {
		json_decref(files);
		return rc == TN_ENOMEM ? tn_err_set(err, TN_ENOMEM, "out of memory") : rc;
	}
	*out = files;
	return 0;
}

/*
 * The manifest of b, whose other files are already in dir, with their sizes
 * and checksums ("files"): a new reference in *out.
 */
static int manifest_in(const struct tn_bundle *b, const char *dir, json_t **out, struct tn_err *err)
{
	json_t *man = build_manifest(b), *files = NULL;
	int rc;

	*out = NULL;
	if (!man)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	rc = files_json(b, dir, &files, err);
	if (!rc && json_object_set_new(man, "files", files))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	if (rc)
		json_decref(man);
	else
		*out = man;
	return rc;
}

/* Writes the manifest of b, whose other files are already in dir, to path. */
static int dump_manifest(const struct tn_bundle *b, const char *dir, const char *path, struct tn_err *err)
{
	json_t *man;
	int rc = manifest_in(b, dir, &man, err);

	if (!rc && json_dump_file(man, path, MANIFEST_DUMP_FLAGS))
		rc = tn_err_set(err, TN_EIO, "cannot write '%s'", path);
	json_decref(man);
	return rc;
}

static int save_into(const struct tn_bundle *b, const char *dir, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	size_t h;
	int rc = 0;

	for (h = 0; h < b->nheads && !rc; h++) {
		tn_buf_reset(&p);
		const struct tn_head *hd = &b->heads[h];

		if (tn_buf_addf(&p, "%s/%s.%s", dir, hd->name, hd->lin ? "liblinear" : "svm"))
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		else if (hd->lin ? save_model(p.ptr, hd->lin) : svm_save_model(p.ptr, hd->svm))
			rc = tn_err_set(err, TN_EIO, "cannot write '%s'", p.ptr);
	}
	if (!rc) {
		tn_buf_reset(&p);
		tn_buf_addf(&p, "%s/idf.bin", dir);
		rc = write_idf(b, p.ptr, err);
	}
	for (h = 0; h < b->nfiles && !rc; h++) {
		FILE *f;

		tn_buf_reset(&p);
		if (tn_buf_addf(&p, "%s/%s", dir, b->files[h].name)) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			break;
		}
		f = fopen(p.ptr, "wb");
		if (f) {
			int bad = fwrite(b->files[h].data, 1, b->files[h].len, f) != b->files[h].len;

			if (fclose(f) || bad)
				f = NULL;
		}
		if (!f)
			rc = tn_err_set(err, TN_EIO, "cannot write '%s'", p.ptr);
	}
	if (!rc) {
		tn_buf_reset(&p);
		tn_buf_addf(&p, "%s/manifest.json", dir);
		rc = dump_manifest(b, dir, p.ptr, err);
	}
	tn_buf_release(&p);
	return rc;
}

int tn_bundle_write_manifest(const struct tn_bundle *b, const char *dir, struct tn_err *err)
{
	struct tn_buf dst = TN_BUF_INIT;
	json_t *man;
	char *text = NULL;
	int rc = manifest_in(b, dir, &man, err);

	if (!rc && (!(text = json_dumps(man, MANIFEST_DUMP_FLAGS)) || tn_buf_addf(&dst, "%s/manifest.json", dir)))
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	if (!rc)
		rc = tn_write_atomic(dst.ptr, text, strlen(text), err);
	free(text);
	json_decref(man);
	tn_buf_release(&dst);
	return rc;
}

/* Names of the files a bundle folder holds: what save writes, and its temporary manifest. */
static int bundle_file_name(const char *n)
{
	return n[0] != '.' && (!strcmp(n, "manifest.json") || !strcmp(n, "manifest.json.tmp") ||
			       !strcmp(n, "idf.bin") || tn_ends_with(n, ".svm") || tn_ends_with(n, ".liblinear") ||
			       tn_bundle_extra_file_name(n));
}

/*
 * Removes the regular files with bundle names from dir, then dir itself;
 * never recurses and never touches anything else.  Returns the number of
 * other entries (dir is then left in place), 0 when dir is gone or was never
 * there, or -1 when dir is not a real folder (a symbolic link, say).
 */
static int remove_bundle(const char *dir)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int other = 0;

	if (lstat(dir, &st))
		return 0;
	if (!S_ISDIR(st.st_mode))
		return -1;
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		struct tn_buf p = TN_BUF_INIT;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (tn_buf_addf(&p, "%s/%s", dir, e->d_name) || lstat(p.ptr, &st) || !S_ISREG(st.st_mode) ||
		    !bundle_file_name(e->d_name) || unlink(p.ptr))
			other++;
		tn_buf_release(&p);
	}
	closedir(d);
	if (!other && rmdir(dir))
		other = 1;
	return other;
}

/* Appends a note for the user to err's message ("; " between notes). */
static void add_note(struct tn_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_note(struct tn_err *err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!err)
		return;
	n = strlen(err->msg);
	if (n)
		n += (size_t)snprintf(err->msg + n, sizeof(err->msg) - n, "; ");
	if (n >= sizeof(err->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
}

/* 1 if dir/manifest.json is a bundle manifest ("format": "tenor-model"). */
static int has_bundle_manifest(const char *dir)
{
	struct tn_buf p = TN_BUF_INIT;
	json_t *m = NULL;
	const char *fmt;
	int yes = 0;

	if (!tn_buf_addf(&p, "%s/manifest.json", dir))
		m = json_load_file(p.ptr, 0, NULL);
	fmt = json_string_value(json_object_get(m, "format"));
	yes = fmt && !strcmp(fmt, TN_BUNDLE_FORMAT);
	json_decref(m);
	tn_buf_release(&p);
	return yes;
}

/* 1 if dir (a folder) has no entries. */
static int empty_folder(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int tn_bundle_check_target(const char *dir, struct tn_err *err)
{
	struct stat st;

	if (lstat(dir, &st))
		return 0;  /* absent (or unreachable: saving says why) */
	if (S_ISLNK(st.st_mode))
		return tn_err_set(err, TN_ESTATE, "cannot write bundle '%s': it is a symbolic link; name the folder itself", dir);
	if (!S_ISDIR(st.st_mode))
		return tn_err_set(err, TN_EIO, "cannot write bundle '%s': it exists and is not a folder", dir);
	if (empty_folder(dir) || has_bundle_manifest(dir))
		return 0;
	return tn_err_set(err, TN_ESTATE, "cannot write bundle '%s': it is a folder that holds no model bundle "
			  "(no manifest.json of format \"%s\"); name a new or empty folder", dir, TN_BUNDLE_FORMAT);
}

/* Creates the folders leading to path (not path itself), like mkdir -p. */
static void make_parents(const char *path)
{
	char *p = strdup(path), *s;

	if (!p)
		return;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0777);
		*s = '/';
	}
	free(p);
}

/*
 * Removes what killed saves left beside dir: folders DIR.tmp-PID and
 * DIR.old-PID whose process is gone.  Only bundle files are removed; a folder
 * holding anything else is left, with a note in err.
 */
static void clean_stale(const char *parent, const char *base, struct tn_err *err)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	size_t bl = strlen(base);

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *rest = e->d_name + bl;
		struct tn_buf p = TN_BUF_INIT;
		char *end;
		long pid;

		if (strncmp(e->d_name, base, bl) || (strncmp(rest, ".tmp-", 5) && strncmp(rest, ".old-", 5)) ||
		    rest[5] < '1' || rest[5] > '9')
			continue;
		errno = 0;
		pid = strtol(rest + 5, &end, 10);
		if (errno || *end || pid <= 0 || pid == (long)getpid() || (pid_t)pid != pid)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;  /* alive, or not ours to judge */
		if (!tn_buf_addf(&p, "%s/%s", parent, e->d_name) && remove_bundle(p.ptr))
			add_note(err, "left '%s' from an interrupted train: it holds files that are not a bundle's", p.ptr);
		tn_buf_release(&p);
	}
	closedir(d);
}

/* fsync()s every regular file in dir, then dir. */
static int sync_folder(const char *dir, struct tn_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return tn_err_set(err, TN_EIO, "cannot list '%s': %s", dir, strerror(errno));
	while (!rc && (e = readdir(d))) {
		struct tn_buf p = TN_BUF_INIT;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		if (tn_buf_addf(&p, "%s/%s", dir, e->d_name)) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		} else if ((fd = open(p.ptr, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = tn_err_set(err, TN_EIO, "cannot open '%s': %s", p.ptr, strerror(errno));
		} else {
			if (fsync(fd))
				rc = tn_err_set(err, TN_EIO, "cannot sync '%s': %s", p.ptr, strerror(errno));
			close(fd);
		}
		tn_buf_release(&p);
	}
	closedir(d);
	if (!rc && tn_fsync_dir(dir))
		rc = tn_err_set(err, TN_EIO, "cannot sync '%s': %s", dir, strerror(errno));
	return rc;
}

/*
 * Puts the finished folder tmp at dir, where a bundle or an empty folder may
 * be: exchanged atomically, so that dir always names a whole bundle; the old
 * one goes to old and is removed.  Without RENAME_EXCHANGE (some file systems)
 * dir is renamed to old first, leaving it missing for a moment.
 */
static int swap_in(const char *tmp, const char *dir, const char *old, int exists, struct tn_err *err)
{
	if (!exists) {
		if (rename(tmp, dir))
			return tn_err_set(err, TN_EIO, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
		return 0;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		/* The new bundle is in place; the old one is removed from whichever name it has. */
		rename(tmp, old);
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return tn_err_set(err, TN_EIO, "cannot replace '%s': %s", dir, strerror(errno));
	if (rename(dir, old))
		return tn_err_set(err, TN_EIO, "cannot replace '%s': %s", dir, strerror(errno));
	if (rename(tmp, dir)) {
		int e = errno;

		rename(old, dir);
		return tn_err_set(err, TN_EIO, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(e));
	}
	return 0;
}

int tn_bundle_save(const struct tn_bundle *b, const char *path, struct tn_err *err)
{
	struct tn_buf dir = TN_BUF_INIT, parent = TN_BUF_INIT, tmp = TN_BUF_INIT, old = TN_BUF_INIT;
	const char *base;
	struct stat st;
	int rc, exists;

	if (err)
		err->msg[0] = '\0';
	/* "models/x/" names models/x: the temporary folders go beside it, not in it. */
	if (tn_buf_addstr(&dir, path)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	while (dir.len > 1 && dir.ptr[dir.len - 1] == '/')
		dir.ptr[--dir.len] = '\0';
	base = strrchr(dir.ptr, '/');
	if (tn_buf_add(&parent, dir.ptr, base ? (size_t)(base - dir.ptr) : 0) ||
	    (!parent.len && tn_buf_addstr(&parent, base ? "/" : ".")) ||
	    tn_buf_addf(&tmp, "%s.tmp-%ld", dir.ptr, (long)getpid()) ||
	    tn_buf_addf(&old, "%s.old-%ld", dir.ptr, (long)getpid())) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	base = base ? base + 1 : dir.ptr;
	rc = tn_bundle_check_target(dir.ptr, err);
	if (rc)
		goto out;
	make_parents(dir.ptr);
	clean_stale(parent.ptr, base, err);
	if (remove_bundle(tmp.ptr) || remove_bundle(old.ptr)) {
		rc = tn_err_set(err, TN_ESTATE, "cannot write bundle '%s': '%s' or '%s' is in the way", dir.ptr,
				tmp.ptr, old.ptr);
		goto out;
	}
	if (mkdir(tmp.ptr, 0777)) {
		rc = tn_err_set(err, TN_EIO, "cannot create '%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	rc = save_into(b, tmp.ptr, err);
	if (!rc)
		rc = sync_folder(tmp.ptr, err);
	if (!rc) {
		exists = lstat(dir.ptr, &st) == 0;
		rc = swap_in(tmp.ptr, dir.ptr, old.ptr, exists, err);
	}
	if (rc) {
		remove_bundle(tmp.ptr);
		goto out;
	}
	tn_fsync_dir(parent.ptr);
	if (remove_bundle(old.ptr))
		add_note(err, "left '%s': the replaced bundle held files that are not a bundle's", old.ptr);
	if (remove_bundle(tmp.ptr))
		add_note(err, "left '%s': the replaced bundle held files that are not a bundle's", tmp.ptr);
out:
	tn_buf_release(&dir);
	tn_buf_release(&parent);
	tn_buf_release(&tmp);
	tn_buf_release(&old);
	return rc;
}

