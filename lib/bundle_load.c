/*
 * bundle_load.c - reading a bundle: the manifest, every file checked against
 * its recorded size and XXH64, the model files parsed by modelfile.c.
 */
#include "bundle.h"
#include "bundle_internal.h"
#include "buf.h"
#include "modelfile.h"
#include "tone_json.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <libsvm/svm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

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

	if (len < 16 || memcmp(p, tn_idf_magic, 8))
		return tn_err_set(err, TN_EMODEL, "'%s' is not a Tenor idf file", path);
	bits = tn_get32(p + 8);
	count = tn_get32(p + 12);
	if (bits != (uint32_t)b->feat.bits)
		return tn_err_set(err, TN_EMODEL, "'%s' has %u hash bits, the manifest says %d", path, bits, b->feat.bits);
	if (len != 16 + (size_t)count * 8)
		return tn_err_set(err, TN_EMODEL, "'%s' is truncated or too long (%zu bytes for %u entries)", path, len, count);
	for (i = 0; i < count; i++) {
		uint32_t bucket = tn_get32(p + 16 + 8 * (size_t)i), v = tn_get32(p + 20 + 8 * (size_t)i);
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
	if (tn_tone_json_read(f, o, path, err) || tn_bundle_parse_hash(f, o, path, err))
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
		rc = tn_bundle_check_version(&fo, json_integer_value(json_object_get(man, "version")), p.ptr, err);
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
