/*
 * bundle.c - saving and loading model bundles; the layout is in bundle.h.
 */
#include "bundle.h"
#include "buf.h"
#include "modelfile.h"

#include "atomic_file.h"
#include "manifest_json.h"
#include "tone_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
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

/* How manifest.json is laid out: save and write_manifest give the same bytes. */
#define MANIFEST_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

static const unsigned char idf_magic[8] = { 'T', 'N', 'I', 'D', 'F', 0, 0, 1 };

struct tn_bundle *tn_bundle_create(const struct tn_feat_opts *feat)
{
	struct tn_bundle *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->feat = *feat;
	if (b->feat.tone.lex)
		tn_lex_ref(b->feat.tone.lex);
	b->idf = calloc((size_t)1 << feat->bits, sizeof(*b->idf));
	b->info = json_object();
	if (!b->idf || !b->info) {
		tn_bundle_free(b);
		return NULL;
	}
	return b;
}

void tn_bundle_free(struct tn_bundle *b)
{
	size_t h, k;

	if (!b)
		return;
	for (h = 0; h < b->nheads; h++) {
		struct tn_head *hd = &b->heads[h];

		for (k = 0; k < hd->nclass; k++)
			free(hd->classes[k]);
		free(hd->classes);
		free(hd->name);
		if (hd->svm)
			svm_free_and_destroy_model(&hd->svm);
		if (hd->lin)
			free_and_destroy_model(&hd->lin);
		json_decref(hd->info);
	}
	free(b->heads);
	tn_lex_unref(b->feat.tone.lex);
	free(b->idf);
	free(b->path);
	free(b->sv_pool);
	free(b->sv_index);
	for (h = 0; h < b->nfiles; h++) {
		free(b->files[h].name);
		free(b->files[h].data);
	}
	free(b->files);
	json_decref(b->info);
	free(b);
}

int tn_bundle_valid_head_name(const char *name)
{
	const char *p;

	if (!*name || *name == '.' || strlen(name) > TN_MAX_HEAD_NAME)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

int tn_bundle_extra_file_name(const char *n)
{
	size_t len = strlen(n);

	if (!strcmp(n, "names.tsv.zst"))
		return 1;
	return len > 16 && !strncmp(n, "reliability-", 12) && ends_with(n, ".svg") &&
	       n[12] != '.' && !strchr(n, '/');
}

const struct tn_bundle_file *tn_bundle_get_file(const struct tn_bundle *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nfiles; i++)
		if (!strcmp(b->files[i].name, name))
			return &b->files[i];
	return NULL;
}

int tn_bundle_add_file(struct tn_bundle *b, const char *name, const void *data, size_t len)
{
	struct tn_bundle_file *f = NULL;
	char *copy;
	size_t i;

	for (i = 0; i < b->nfiles && !f; i++)
		if (!strcmp(b->files[i].name, name))
			f = &b->files[i];

	if (!tn_bundle_extra_file_name(name))
		return TN_EINVAL;
	if (!(copy = malloc(len ? len : 1)))
		return TN_ENOMEM;
	memcpy(copy, data, len);
	if (!f) {
		struct tn_bundle_file *nf = realloc(b->files, (b->nfiles + 1) * sizeof(*nf));

		if (!nf) {
			free(copy);
			return TN_ENOMEM;
		}
		b->files = nf;
		f = &b->files[b->nfiles];
		if (!(f->name = strdup(name))) {
			free(copy);
			return TN_ENOMEM;
		}
		f->data = NULL;
		b->nfiles++;
	}
	free(f->data);
	f->data = copy;
	f->len = len;
	return 0;
}

int tn_bundle_reserved_head_name(const char *name)
{
	return !strcmp(name, "id") || !strcmp(name, "error") || ends_with(name, "_score") ||
	       ends_with(name, "_scores") || ends_with(name, "_top") || ends_with(name, "_explain");
}

int tn_bundle_check_head_names(const char *const *names, size_t n, struct tn_err *err)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!tn_bundle_valid_head_name(names[i]))
			return tn_err_set(err, TN_EINVAL, "label field '%s' cannot name a head: use letters, digits, '_', '-' and '.'",
					  names[i]);
		if (tn_bundle_reserved_head_name(names[i]))
			return tn_err_set(err, TN_EINVAL, "label field '%s' cannot name a head: records use the keys "
					  "'id', 'error', HEAD_score, HEAD_scores, HEAD_top and HEAD_explain", names[i]);
		for (j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				return tn_err_set(err, TN_EINVAL, "label field '%s' is named twice", names[i]);
	}
	return 0;
}

json_t *tn_head_info(const struct tn_head *h)
{
	return h->info;
}

void tn_head_set_info(struct tn_head *h, json_t *info)
{
	json_decref(h->info);
	h->info = info;
}

json_t *tn_bundle_info(const struct tn_bundle *b)
{
	return b->info;
}

int tn_bundle_set_corpus(struct tn_bundle *b, const char *const *files, size_t nfiles, size_t docs,
			 size_t text_bytes, size_t skipped)
{
	json_t *list = json_array(), *c;
	size_t i;

	for (i = 0; list && i < nfiles; i++)
		if (json_array_append_new(list, json_string(files[i]))) {
			json_decref(list);
			return TN_ENOMEM;
		}
	c = list ? json_pack("{s:o, s:I, s:I, s:I}", "files", list, "documents", (json_int_t)docs,
			     "text_bytes", (json_int_t)text_bytes, "skipped", (json_int_t)skipped) : NULL;
	return c && !json_object_set_new(tn_bundle_info(b), "corpus", c) ? 0 : TN_ENOMEM;
}

int tn_head_set_test(struct tn_head *h, const struct tn_confusion *c, const char *file)
{
	json_t *m = tn_confusion_json(c, (const char *const *)h->classes);

	if (!m || json_object_set_new(m, "file", json_string(file)))
		return TN_ENOMEM;
	return json_object_set_new(tn_head_info(h), "test", m) ? TN_ENOMEM : 0;
}

double tn_head_cost(const struct tn_head *h)
{
	return json_real_value(json_object_get(tn_head_info(h), "C"));
}

const char *tn_head_class_weight(const struct tn_head *h)
{
	return json_string_value(json_object_get(tn_head_info(h), "class_weight"));
}

enum tn_kernel tn_head_kernel(const struct tn_head *h)
{
	return h->svm && h->svm->param.kernel_type == RBF ? TN_KERNEL_RBF : TN_KERNEL_LINEAR;
}

int tn_head_is_ovr_pairs(const struct tn_head *h)
{
	const struct svm_model *m = h->svm;
	const char *mc = json_string_value(json_object_get(h->info, "multiclass"));
	int i, k;

	if (!m || !mc || strcmp(mc, "one-vs-rest") || m->param.kernel_type != LINEAR)
		return 0;
	k = m->nr_class;
	if ((size_t)k != h->nclass || m->l != (k == 2 ? 1 : k))
		return 0;
	for (i = 0; i < k; i++)
		if (m->label[i] != i || (k > 2 && m->nSV[i] != 1))
			return 0;
	return 1;
}

double tn_head_temperature(const struct tn_head *h)
{
	json_t *cal = json_object_get(h->info, "calibration");
	json_t *t = json_object_get(cal, "temperature");
	double v = json_is_number(t) ? json_number_value(t) : 0;

	if (!json_is_string(json_object_get(cal, "method")) ||
	    strcmp(json_string_value(json_object_get(cal, "method")), "softmax-temperature"))
		return 0;
	return isfinite(v) && v >= 1e-6 && v <= 1e6 ? v : -1;
}

int tn_head_has_probability(const struct tn_head *h)
{
	return (h->svm && h->svm->probA && h->svm->probB) || tn_head_temperature(h) > 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

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
	bad |= fwrite(idf_magic, 1, 8, f) != 8;
	put32(rec, (uint32_t)b->feat.bits);
	put32(rec + 4, (uint32_t)count);
	bad |= fwrite(rec, 1, 8, f) != 8;
	for (i = 0; i < nb && !bad; i++) {
		uint32_t bits;

		if (b->idf[i] == 0.0f)
			continue;
		memcpy(&bits, &b->idf[i], 4);
		put32(rec, (uint32_t)i);
		put32(rec + 4, bits);
		bad |= fwrite(rec, 1, 8, f) != 8;
	}
	if (fclose(f) || bad)
		return tn_err_set(err, TN_EIO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

/* ---- n-gram keys (feat.h's ngram_keys): the manifest's "hash" and version ---- */

/* The combined keys matter only with word n-grams of 2+ tokens; otherwise the bundle is as before. */
static int uses_mix(const struct tn_feat_opts *o)
{
	return o->ngram_keys == TN_FEAT_KEYS_MIX && o->word_max >= 2;
}

static const char *hash_name(const struct tn_feat_opts *o)
{
	return uses_mix(o) ? "xxh3-64+mix" : "xxh3-64";
}

static int bundle_version(const struct tn_feat_opts *o)
{
	return uses_mix(o) ? TN_BUNDLE_VERSION_MIX : tn_tone_on(&o->tone) ? TN_BUNDLE_VERSION_TONE : TN_BUNDLE_VERSION;
}

/* Sets o->ngram_keys from the manifest's "hash"; 0 or TN_EMODEL. */
static int parse_hash(json_t *f, struct tn_feat_opts *o, const char *path, struct tn_err *err)
{
	const char *h = json_string_value(json_object_get(f, "hash"));

	if (h && !strcmp(h, "xxh3-64"))
		o->ngram_keys = TN_FEAT_KEYS_XXH3;
	else if (h && !strcmp(h, "xxh3-64+mix"))
		o->ngram_keys = TN_FEAT_KEYS_MIX;
	else
		return tn_err_set(err, TN_EMODEL, "'%s': unknown hash '%s'; retrain the model", path, h ? h : "(none)");
	return 0;
}

/* The manifest's version must be the one its features make. */
static int check_version(const struct tn_feat_opts *o, long long version, const char *path, struct tn_err *err)
{
	if (version == bundle_version(o))
		return 0;
	if (version == TN_BUNDLE_VERSION_MIX || uses_mix(o))
		return tn_err_set(err, TN_EMODEL, "'%s': format version %d goes with hash \"xxh3-64+mix\" and word "
				  "n-grams of 2 or more tokens, and only they", path, TN_BUNDLE_VERSION_MIX);
	return tn_err_set(err, TN_EMODEL, "'%s': format version %d goes with tone features, and only it",
			  path, TN_BUNDLE_VERSION_TONE);
}

/* ---- end of the n-gram keys ---- */

static json_t *feat_json(const struct tn_feat_opts *o)
{
	char seed[32];
	json_t *f;

	snprintf(seed, sizeof(seed), "0x%016llx", (unsigned long long)o->seed);
	f = json_pack("{s:s, s:s, s:[i,i], s:[i,i], s:i, s:i, s:b, s:s, s:s, s:s}",
		      "tokenizer", "unicode-casefold-1",
		      "hash", hash_name(o),
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
			"version", bundle_version(&b->feat),
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
			       !strcmp(n, "idf.bin") || ends_with(n, ".svm") || ends_with(n, ".liblinear") ||
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

#define TN_MANIFEST_MAX ((size_t)64 << 20)
#define TN_PART_MAX ((uint64_t)16 << 30)

/*
 * Reads a whole regular file of at most max bytes (exactly want bytes unless
 * want is -1); *data is malloc'd and NUL-terminated.  Devices, FIFOs and
 * folders are refused without being read.
 */
static int read_file(const char *path, int64_t want, size_t max, char **data, size_t *len, struct tn_err *err)
{
	struct stat st;
	char *buf;
	size_t got = 0, cap;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return tn_err_set(err, TN_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return tn_err_set(err, TN_EMODEL, "'%s' is not a regular file", path);
	}
	if (want >= 0 && (uint64_t)st.st_size != (uint64_t)want) {
		close(fd);
		return tn_err_set(err, TN_EMODEL, "'%s' has %lld bytes, the manifest says %lld: damaged or replaced",
				  path, (long long)st.st_size, (long long)want);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return tn_err_set(err, TN_EMODEL, "'%s' is too large (%lld bytes)", path, (long long)st.st_size);
	}
	cap = (size_t)st.st_size;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	/* One byte more than expected is read, to see a file that grew. */
	for (;;) {
		char extra;

		n = got < cap ? read(fd, buf + got, cap - got) : read(fd, &extra, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || got == cap)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (n < 0 || got != cap || n > 0) {
		free(buf);
		return n < 0 ? tn_err_set(err, TN_EIO, "cannot read '%s': %s", path, strerror(errno))
			     : tn_err_set(err, TN_EMODEL, "'%s' changed size while being read", path);
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

/*
 * Reads dir/name, which the manifest's "files" must list with its size and
 * XXH64, and checks both before anything parses it.
 */
static int read_part(const char *dir, const char *name, json_t *files, char **data, size_t *len,
		     struct tn_err *err)
{
	json_t *e = json_object_get(files, name), *bytes = json_object_get(e, "bytes");
	const char *want = json_string_value(json_object_get(e, "xxh64"));
	struct tn_buf p = TN_BUF_INIT;
	char hex[17];
	int rc;

	if (tn_buf_addf(&p, "%s/%s", dir, name))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	if (!json_is_integer(bytes) || json_integer_value(bytes) < 0 ||
	    (uint64_t)json_integer_value(bytes) > TN_PART_MAX || !want || strlen(want) != 16 ||
	    strspn(want, "0123456789abcdef") != 16) {
		rc = tn_err_set(err, TN_EMODEL, "bundle '%s': the manifest has no valid size and checksum for '%s'",
				dir, name);
		goto out;
	}
	rc = read_file(p.ptr, (int64_t)json_integer_value(bytes), (size_t)TN_PART_MAX, data, len, err);
	if (rc)
		goto out;
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)XXH64(*data, *len, 0));
	if (strcmp(hex, want)) {
		free(*data);
		*data = NULL;
		rc = tn_err_set(err, TN_EMODEL, "'%s' is damaged: its XXH64 is %s, the manifest says %s; retrain the model",
				p.ptr, hex, want);
	}
out:
	tn_buf_release(&p);
	return rc;
}

static int load_idf(struct tn_bundle *b, const char *path, const char *data, size_t len, struct tn_err *err)
{
	const unsigned char *p = (const unsigned char *)data;
	uint32_t bits, count, i, prev = 0;

	if (len < 16 || memcmp(p, idf_magic, 8))
		return tn_err_set(err, TN_EMODEL, "'%s' is not a Tenor idf file", path);
	bits = get32(p + 8);
	count = get32(p + 12);
	if (bits != (uint32_t)b->feat.bits)
		return tn_err_set(err, TN_EMODEL, "'%s' has %u hash bits, the manifest says %d", path, bits, b->feat.bits);
	if (len != 16 + (size_t)count * 8)
		return tn_err_set(err, TN_EMODEL, "'%s' is truncated or too long (%zu bytes for %u entries)", path, len, count);
	for (i = 0; i < count; i++) {
		uint32_t bucket = get32(p + 16 + 8 * (size_t)i), v = get32(p + 20 + 8 * (size_t)i);
		float f;

		memcpy(&f, &v, 4);
		if (bucket >= (1u << bits) || (i && bucket <= prev) || !(f > 0.0f) || !isfinite(f))
			return tn_err_set(err, TN_EMODEL, "'%s' entry %u is out of order or out of range", path, i);
		b->idf[bucket] = f;
		prev = bucket;
	}
	return 0;
}

/* An integer within [lo, hi], checked before it is narrowed to int. */
static int get_int(json_t *v, int lo, int hi, int *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

static int get_int_pair(json_t *o, const char *key, int *a, int *b)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_array(v) || json_array_size(v) != 2 || get_int(json_array_get(v, 0), 0, 64, a) ||
	    get_int(json_array_get(v, 1), 0, 64, b))
		return -1;
	return 0;
}

static int parse_features(json_t *f, struct tn_feat_opts *o, const char *path, struct tn_err *err)
{
	json_t *bits = json_object_get(f, "bits"), *mindf = json_object_get(f, "min_df");
	json_t *sub = json_object_get(f, "sublinear_tf"), *seed = json_object_get(f, "seed");
	const char *tok = json_string_value(json_object_get(f, "tokenizer"));
	const char *sd = json_string_value(seed);
	char *end;

	tn_feat_opts_default(o);
	if (!json_is_object(f) || !json_is_array(json_object_get(f, "word_ngrams")) ||
	    !json_is_array(json_object_get(f, "char_ngrams")) || !json_is_integer(bits) ||
	    !json_is_integer(mindf) || !json_is_boolean(sub) || !json_is_string(seed))
		return tn_err_set(err, TN_EMODEL, "'%s': \"features\" is missing or incomplete", path);
	if (get_int_pair(f, "word_ngrams", &o->word_min, &o->word_max) ||
	    get_int_pair(f, "char_ngrams", &o->char_min, &o->char_max))
		return tn_err_set(err, TN_EMODEL, "'%s': n-gram ranges must be two small integers each", path);
	if (!tok || strcmp(tok, "unicode-casefold-1"))
		return tn_err_set(err, TN_EMODEL, "'%s': unknown tokenizer '%s'", path, tok ? tok : "(none)");
	if (get_int(bits, TN_FEAT_BITS_MIN, TN_FEAT_BITS_MAX, &o->bits))
		return tn_err_set(err, TN_EMODEL, "'%s': hash bits must be %d..%d, not %lld", path,
				  TN_FEAT_BITS_MIN, TN_FEAT_BITS_MAX, (long long)json_integer_value(bits));
	if (get_int(mindf, 1, INT_MAX, &o->min_df))
		return tn_err_set(err, TN_EMODEL, "'%s': min_df must be 1 or more, not %lld", path,
				  (long long)json_integer_value(mindf));
	o->sublinear_tf = json_is_true(sub);
	/* As written: "0x" and 1 to 16 hex digits, nothing else. */
	if (strncmp(sd, "0x", 2) || strlen(sd) < 3 || strlen(sd) > 18 || strspn(sd + 2, "0123456789abcdefABCDEF") != strlen(sd + 2))
		return tn_err_set(err, TN_EMODEL, "'%s': bad hash seed '%s'", path, sd);
	errno = 0;
	o->seed = strtoull(sd + 2, &end, 16);
	if (errno || *end)
		return tn_err_set(err, TN_EMODEL, "'%s': bad hash seed '%s'", path, sd);
	if (tn_tone_json_read(f, o, path, err) || parse_hash(f, o, path, err))
		return TN_EMODEL;
	if (tn_feat_opts_check(o, err))
		return tn_err_prefix(err, TN_EMODEL, "'%s': ", path);
	return 0;
}

static int check_libsvm(const struct tn_bundle *b, struct tn_head *hd, const char *path, const char *data,
			size_t len, struct tn_err *err)
{
	int rc = tn_modelfile_parse_svm(&hd->svm, data, len, hd->nclass, (uint32_t)1 << b->feat.bits, err);

	if (rc == TN_EMODEL)
		return tn_err_prefix(err, TN_EMODEL, "'%s' (head '%s'): ", path, hd->name);
	if (!rc && hd->svm->param.kernel_type == RBF && !(hd->svm->param.gamma > 0))
		return tn_err_set(err, TN_EMODEL, "'%s': an RBF kernel needs gamma > 0", path);
	return rc;
}

static int check_liblinear(const struct tn_bundle *b, struct tn_head *hd, const char *path, const char *data,
			   size_t len, struct tn_err *err)
{
	int rc = tn_modelfile_parse_linear(&hd->lin, data, len, hd->nclass, (uint32_t)1 << b->feat.bits, err);

	if (rc == TN_EMODEL)
		return tn_err_prefix(err, TN_EMODEL, "'%s' (head '%s'): ", path, hd->name);
	return rc;
}

static int load_head(struct tn_bundle *b, struct tn_head *hd, json_t *e, const char *dir, json_t *files,
		     XXH64_state_t *xs, struct tn_err *err)
{
	json_t *cls = json_object_get(e, "classes");
	const char *name = json_string_value(json_object_get(e, "name"));
	const char *file = json_string_value(json_object_get(e, "model_file"));
	struct tn_buf p = TN_BUF_INIT;
	char *data = NULL;
	size_t k, len;
	int rc = 0;

	if (!name || !file || !json_is_array(cls) || json_array_size(cls) < 2 ||
	    json_array_size(cls) > TN_MAX_CLASSES || !tn_bundle_valid_head_name(name) ||
	    strchr(file, '/'))
		return tn_err_set(err, TN_EMODEL, "bundle '%s': a head entry is missing its name, classes or model_file", dir);
	if (tn_bundle_reserved_head_name(name))
		return tn_err_set(err, TN_EMODEL, "bundle '%s': head name '%s' is reserved (records use the keys "
				  "'id', 'error', HEAD_score, HEAD_scores, HEAD_top and HEAD_explain)", dir, name);
	for (k = 0; k < (size_t)(hd - b->heads); k++)
		if (!strcmp(b->heads[k].name, name))
			return tn_err_set(err, TN_EMODEL, "bundle '%s': head '%s' is listed twice", dir, name);
	hd->name = strdup(name);
	hd->nclass = json_array_size(cls);
	hd->classes = calloc(hd->nclass, sizeof(char *));
	hd->info = json_incref(e);
	if (!hd->name || !hd->classes)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	for (k = 0; k < hd->nclass; k++) {
		const char *c = json_string_value(json_array_get(cls, k));

		if (!c)
			return tn_err_set(err, TN_EMODEL, "bundle '%s': head '%s' class %zu is not a string", dir, name, k);
		{
			size_t j;

			for (j = 0; j < k; j++)
				if (!strcmp(hd->classes[j], c))
					return tn_err_set(err, TN_EMODEL, "bundle '%s': head '%s' lists class '%s' twice",
							  dir, name, c);
		}
		hd->classes[k] = strdup(c);
		if (!hd->classes[k])
			return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	if (tn_buf_addf(&p, "%s/%s", dir, file))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	rc = read_part(dir, file, files, &data, &len, err);
	if (!rc) {
		XXH64_update(xs, data, len);
		if (strlen(file) > 10 && !strcmp(file + strlen(file) - 10, ".liblinear"))
			rc = check_liblinear(b, hd, p.ptr, data, len, err);
		else if (strlen(file) > 4 && !strcmp(file + strlen(file) - 4, ".svm"))
			rc = check_libsvm(b, hd, p.ptr, data, len, err);
		else
			rc = tn_err_set(err, TN_EMODEL, "bundle '%s': model_file '%s' is neither .svm nor .liblinear",
					dir, file);
		free(data);
	}
	tn_buf_release(&p);
	return rc;
}

int tn_bundle_load(struct tn_bundle **out, const char *dir, struct tn_err *err)
{
	struct tn_buf p = TN_BUF_INIT;
	struct tn_bundle *b = NULL;
	struct tn_feat_opts fo;
	XXH64_state_t *xs = XXH64_createState();
	json_error_t je;
	json_t *man = NULL, *heads, *v, *files;
	const char *key;
	char *data = NULL;
	size_t len, h;
	int rc;

	*out = NULL;
	tn_feat_opts_default(&fo);
	if (!xs || tn_buf_addf(&p, "%s/manifest.json", dir)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	XXH64_reset(xs, 0);
	rc = read_file(p.ptr, -1, TN_MANIFEST_MAX, &data, &len, err);
	if (rc) {
		struct stat st;

		if (stat(dir, &st))
			rc = tn_err_set(err, TN_EIO, "no model bundle at '%s': %s", dir, strerror(errno));
		else
			tn_err_prefix(err, rc == TN_ENOMEM ? rc : TN_EIO, "'%s' is not a model bundle: ", dir);
		goto out;
	}
	XXH64_update(xs, data, len);
	man = json_loadb(data, len, 0, &je);
	if (!man) {
		rc = tn_err_set(err, TN_EMODEL, "'%s' line %d: invalid JSON: %s", p.ptr, je.line, je.text);
		goto out;
	}
	if (!json_is_string(json_object_get(man, "format")) ||
	    strcmp(json_string_value(json_object_get(man, "format")), TN_BUNDLE_FORMAT)) {
		rc = tn_err_set(err, TN_EMODEL, "'%s' is not a Tenor model manifest", p.ptr);
		goto out;
	}
	if (json_integer_value(json_object_get(man, "version")) < TN_BUNDLE_VERSION ||
	    json_integer_value(json_object_get(man, "version")) > TN_BUNDLE_VERSION_MIX) {
		rc = tn_err_set(err, TN_EMODEL, "'%s' has format version %lld; this Tenor reads versions %d to %d",
				p.ptr, (long long)json_integer_value(json_object_get(man, "version")),
				TN_BUNDLE_VERSION, TN_BUNDLE_VERSION_MIX);
		goto out;
	}
	rc = parse_features(json_object_get(man, "features"), &fo, p.ptr, err);
	if (!rc)
		rc = check_version(&fo, json_integer_value(json_object_get(man, "version")), p.ptr, err);
	if (rc)
		goto out;
	files = json_object_get(man, "files");
	if (!json_is_object(files)) {
		rc = tn_err_set(err, TN_EMODEL, "'%s' has no file checksums (a bundle made by an older Tenor); "
				"retrain it (make models retrains models/news)", p.ptr);
		goto out;
	}
	b = tn_bundle_create(&fo);
	tn_lex_unref(fo.tone.lex);   /* the bundle holds its own reference */
	fo.tone.lex = NULL;
	heads = json_object_get(man, "heads");
	if (!b || !(b->path = strdup(dir))) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	if (!json_is_array(heads) || json_array_size(heads) == 0 || json_array_size(heads) > TN_MAX_HEADS) {
		rc = tn_err_set(err, TN_EMODEL, "'%s': no heads", p.ptr);
		goto out;
	}
	b->heads = calloc(json_array_size(heads), sizeof(*b->heads));
	if (!b->heads) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	free(data);
	data = NULL;
	tn_buf_reset(&p);
	if (tn_buf_addf(&p, "%s/idf.bin", dir)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	rc = read_part(dir, "idf.bin", files, &data, &len, err);
	if (rc)
		goto out;
	XXH64_update(xs, data, len);
	rc = load_idf(b, p.ptr, data, len, err);
	if (rc)
		goto out;
	for (h = 0; h < json_array_size(heads) && !rc; h++) {
		size_t j;

		b->nheads++;
		rc = load_head(b, &b->heads[h], json_array_get(heads, h), dir, files, xs, err);
		for (j = 0; j < h && !rc; j++)
			if (!strcmp(b->heads[j].name, b->heads[h].name))
				rc = tn_err_set(err, TN_EMODEL, "bundle '%s': head '%s' is listed twice", dir, b->heads[h].name);
	}
	if (rc)
		goto out;
	json_object_foreach(files, key, v) {
		if (!strcmp(key, "idf.bin"))
			continue;
		for (h = 0; h < b->nheads; h++)
			if (!strcmp(key, json_string_value(json_object_get(json_array_get(heads, h), "model_file"))))
				break;
		if (h < b->nheads)
			continue;
		if (!tn_bundle_extra_file_name(key)) {
			rc = tn_err_set(err, TN_EMODEL, "bundle '%s': the manifest lists '%s', which is no bundle file", dir, key);
			goto out;
		}
		free(data);
		data = NULL;
		if ((rc = read_part(dir, key, files, &data, &len, err)))
			goto out;
		XXH64_update(xs, data, len);
		if (tn_bundle_add_file(b, key, data, len)) {
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
			goto out;
		}
	}
	json_object_foreach(man, key, v)
		if (strcmp(key, "format") && strcmp(key, "version") && strcmp(key, "features") && strcmp(key, "heads") &&
		    strcmp(key, "files"))
			json_object_set(b->info, key, v);
	snprintf(b->identity, sizeof(b->identity), "%016llx", (unsigned long long)XXH64_digest(xs));
	*out = b;
	b = NULL;
out:
	tn_bundle_free(b);
	tn_lex_unref(fo.tone.lex);   /* set only when no bundle took it */
	json_decref(man);
	free(data);
	XXH64_freeState(xs);
	tn_buf_release(&p);
	return rc;
}
