/*
 * test_bundle.c - model bundles (lib/bundle.h): a bundle trained in memory on
 * the mini fixture is saved, loaded back and compared; then each part of a
 * saved bundle is damaged in turn and loading must refuse it with TN_EMODEL or
 * TN_EIO and a message that names the problem.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <libsvm/svm.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "../../lib/buf.h"
#include "../../lib/bundle.h"
#include "../../lib/corpus.h"
#include "../../lib/predict.h"
#include "../../lib/train.h"
#include "../../lib/manifest_json.h"
#include "testutil.h"

/* One bundle trained for the whole group; each test saves it where it likes. */
struct fx {
	struct tn_corpus c;
	struct tn_bundle *b;
	char *tmp;
};

/* The mini corpus trained with the defaults; probability and platt as given (-1: the default). */
static struct tn_bundle *train_mini_calib(struct tn_corpus *c, int probability, int platt)
{
	struct tn_corpus_opts co;
	struct tn_feat_opts fo;
	struct tn_train_opts to;
	struct tn_bundle *b = NULL;
	struct tn_err err;
	char *p = tu_data("mini.jsonl");
	const char *paths[1] = { p };

	tn_corpus_opts_default(&co);
	tn_corpus_init(c);
	if (tn_corpus_load(c, paths, 1, &co, &err))
		fail_msg("%s", err.msg);
	free(p);
	tn_feat_opts_default(&fo);
	tn_train_opts_default(&to);
	to.probability = probability;
	if (platt >= 0)
		to.platt = platt;
	if (tn_train(&b, c, &fo, &to, NULL, NULL, &err))
		fail_msg("%s", err.msg);
	return b;
}

static struct tn_bundle *train_mini(struct tn_corpus *c, int probability)
{
	return train_mini_calib(c, probability, -1);
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->b = train_mini(&f->c, 0);
	json_object_set_new(f->b->info, "corpus", json_pack("{s:i}", "documents", 60));
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	tn_bundle_free(f->b);
	tn_corpus_release(&f->c);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = *state;

	f->tmp = tu_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->tmp);
	f->tmp = NULL;
	return 0;
}

/* Saves the group's bundle to tmp/name; returns the (malloc'd) folder. */
static char *save(struct fx *f, const char *name)
{
	char *dir = tu_path(f->tmp, name);
	struct tn_err err;

	if (tn_bundle_save(f->b, dir, &err))
		fail_msg("%s", err.msg);
	return dir;
}

static int exists(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;
	int r = stat(p, &st) == 0;

	free(p);
	return r;
}

/* Number of entries in dir, besides . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_save_load_round_trip(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "model");
	struct tn_bundle *b = NULL;
	struct tn_err err;
	size_t h, k, i;

	assert_int_equal(entries(dir), 5);   /* manifest, idf, two models, the n-gram names */
	assert_true(exists(dir, "manifest.json"));
	assert_true(exists(dir, "idf.bin"));
	assert_true(exists(dir, "names.tsv.zst"));
	assert_true(exists(dir, "topic.svm"));
	assert_true(exists(dir, "tone.svm"));
	assert_int_equal(entries(f->tmp), 1);   /* no temporary folder left */

	if (tn_bundle_load(&b, dir, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(strlen(b->identity), 16);
	for (i = 0; i < 16; i++)
		assert_true(isxdigit((unsigned char)b->identity[i]) && !isupper((unsigned char)b->identity[i]));
	assert_string_equal(b->path, dir);
	assert_int_equal(b->feat.word_min, f->b->feat.word_min);
	assert_int_equal(b->feat.word_max, f->b->feat.word_max);
	assert_int_equal(b->feat.char_min, f->b->feat.char_min);
	assert_int_equal(b->feat.char_max, f->b->feat.char_max);
	assert_int_equal(b->feat.bits, f->b->feat.bits);
	assert_int_equal(b->feat.min_df, f->b->feat.min_df);
	assert_int_equal(b->feat.sublinear_tf, f->b->feat.sublinear_tf);
	assert_true(b->feat.seed == f->b->feat.seed);
	assert_int_equal(b->feat.ngram_keys, TN_FEAT_KEYS_MIX);
	assert_memory_equal(b->idf, f->b->idf, ((size_t)1 << b->feat.bits) * sizeof(float));
	assert_int_equal(b->nheads, 2);
	for (h = 0; h < 2; h++) {
		assert_string_equal(b->heads[h].name, f->b->heads[h].name);
		assert_int_equal(b->heads[h].nclass, f->b->heads[h].nclass);
		for (k = 0; k < b->heads[h].nclass; k++)
			assert_string_equal(b->heads[h].classes[k], f->b->heads[h].classes[k]);
		assert_int_equal(tn_head_kernel(&b->heads[h]), TN_KERNEL_LINEAR);
		assert_int_equal(tn_head_has_probability(&b->heads[h]), 0);
		assert_int_equal(svm_get_nr_class(b->heads[h].svm), (int)b->heads[h].nclass);
		assert_int_equal(b->heads[h].svm->l, f->b->heads[h].svm->l);
	}
	assert_string_equal(b->heads[0].name, "topic");
	assert_string_equal(b->heads[0].classes[0], "food");
	assert_string_equal(b->heads[0].classes[2], "tech");
	assert_string_equal(b->heads[1].name, "tone");
	assert_string_equal(b->heads[1].classes[1], "pos");
	/* What training recorded comes back in the head's info and the extras. */
	assert_int_equal(json_integer_value(json_object_get(b->heads[0].info, "documents")), 60);
	assert_int_equal(json_integer_value(json_object_get(b->heads[1].info, "documents")), 57);
	assert_string_equal(json_string_value(json_object_get(b->heads[0].info, "kernel")), "linear");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(b->info, "corpus"), "documents")), 60);
	assert_null(json_object_get(b->info, "format"));
	tn_bundle_free(b);
	free(dir);
}

static void test_manifest_content(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "model"), *p = tu_path(dir, "manifest.json");
	json_t *m = json_load_file(p, 0, NULL), *feat, *head;

	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "format")), TN_BUNDLE_FORMAT);
	/* Word bigrams with combined keys: version 3, hash "xxh3-64+mix". */
	assert_int_equal(json_integer_value(json_object_get(m, "version")), TN_BUNDLE_VERSION_MIX);
	feat = json_object_get(m, "features");
	assert_string_equal(json_string_value(json_object_get(feat, "hash")), "xxh3-64+mix");
	assert_int_equal(json_integer_value(json_object_get(feat, "bits")), 20);
	assert_int_equal(json_integer_value(json_object_get(feat, "min_df")), 2);
	assert_string_equal(json_string_value(json_object_get(feat, "seed")), "0x00000054656e6f72");
	assert_string_equal(json_string_value(json_object_get(feat, "idf_file")), "idf.bin");
	assert_int_equal(json_array_size(json_object_get(m, "heads")), 2);
	head = json_array_get(json_object_get(m, "heads"), 0);
	assert_string_equal(json_string_value(json_object_get(head, "name")), "topic");
	assert_string_equal(json_string_value(json_object_get(head, "model_file")), "topic.svm");
	assert_int_equal(json_array_size(json_object_get(head, "classes")), 3);
	assert_true(json_is_false(json_object_get(head, "probability")));
	assert_true(json_integer_value(json_object_get(head, "support_vectors")) > 0);
	assert_non_null(json_object_get(m, "corpus"));
	json_decref(m);
	free(p);
	free(dir);
}

static void test_identity(void **state)
{
	struct fx *f = *state;
	char *a = save(f, "a"), *b = save(f, "b");
	struct tn_bundle *x = NULL, *y = NULL, *z = NULL;
	struct tn_err err;

	assert_int_equal(tn_bundle_load(&x, a, &err), 0);
	assert_int_equal(tn_bundle_load(&y, b, &err), 0);
	/* The same content gives the same identity, wherever it is. */
	assert_string_equal(x->identity, y->identity);
	/* A changed manifest changes it. */
	json_object_set_new(y->heads[0].info, "note", json_string("changed"));
	assert_int_equal(tn_bundle_write_manifest(y, b, &err), 0);
	assert_false(exists(b, "manifest.json.tmp"));
	assert_int_equal(tn_bundle_load(&z, b, &err), 0);
	assert_string_not_equal(x->identity, z->identity);
	assert_string_equal(json_string_value(json_object_get(z->heads[0].info, "note")), "changed");
	tn_bundle_free(x);
	tn_bundle_free(y);
	tn_bundle_free(z);
	free(a);
	free(b);
}

static void test_save_replaces(void **state)
{
	struct fx *f = *state;
	char *dir = tu_path(f->tmp, "model"), *stale = tu_path(dir, "stale.svm");
	struct tn_err err;

	assert_int_equal(tn_bundle_save(f->b, dir, &err), 0);
	tu_write_str(stale, "left from before");
	assert_int_equal(tn_bundle_save(f->b, dir, &err), 0);
	/* The old bundle is replaced as a whole, and nothing is left beside it. */
	assert_false(exists(dir, "stale.svm"));
	assert_int_equal(entries(dir), 5);
	assert_string_equal(err.msg, "");
	assert_int_equal(tn_bundle_save(f->b, dir, &err), 0);
	assert_int_equal(entries(dir), 5);
	assert_int_equal(entries(f->tmp), 1);
	free(stale);
	free(dir);
	tn_bundle_free(NULL);
}

static void test_save_errors(void **state)
{
	struct fx *f = *state;
	char *file = tu_path(f->tmp, "file"), *under = tu_path(file, "model");
	struct tn_err err;

	tu_write_str(file, "not a folder");
	/* The parent is a file: the temporary folder cannot be made. */
	assert_int_equal(tn_bundle_save(f->b, under, &err), TN_EIO);
	assert_true(tu_has(err.msg, under));
	/* The target is a file: refused, and the temporary folder is removed. */
	assert_int_equal(tn_bundle_save(f->b, file, &err), TN_EIO);
	assert_true(tu_has(err.msg, "not a folder"));
	assert_int_equal(entries(f->tmp), 1);
	free(under);
	free(file);
}

static void test_head_names(void **state)
{
	(void)state;
	assert_true(tn_bundle_valid_head_name("topic"));
	assert_true(tn_bundle_valid_head_name("Tone_2-b.x"));
	assert_false(tn_bundle_valid_head_name(""));
	assert_false(tn_bundle_valid_head_name(".hidden"));
	assert_false(tn_bundle_valid_head_name("a/b"));
	assert_false(tn_bundle_valid_head_name("a b"));
	assert_false(tn_bundle_valid_head_name("caf\xc3\xa9"));
	assert_false(tn_bundle_valid_head_name("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
}

/* --- damaged bundles --- */

static json_t *read_manifest(const char *dir)
{
	char *p = tu_path(dir, "manifest.json");
	json_t *m = json_load_file(p, 0, NULL);

	assert_non_null(m);
	free(p);
	return m;
}

static void write_manifest(const char *dir, json_t *m)
{
	char *p = tu_path(dir, "manifest.json");

	assert_int_equal(json_dump_file(m, p, JSON_INDENT(2)), 0);
	json_decref(m);
	free(p);
}

/*
 * Recomputes the manifest's size and XXH64 of every listed file, as if the
 * damage below had been there when the bundle was saved: the checks behind
 * the checksums are then reached.
 */
static void reseal(const char *dir)
{
	char *mp = tu_path(dir, "manifest.json");
	json_t *m = json_load_file(mp, 0, NULL), *files, *e;
	const char *name;

	assert_non_null(m);
	files = json_object_get(m, "files");
	assert_true(json_is_object(files));
	json_object_foreach(files, name, e) {
		char *p = tu_path(dir, name), hex[17];
		size_t len;
		char *data = tu_read(p, &len);

		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)XXH64(data, len, 0));
		json_object_set_new(e, "bytes", json_integer((json_int_t)len));
		json_object_set_new(e, "xxh64", json_string(hex));
		free(data);
		free(p);
	}
	assert_int_equal(json_dump_file(m, mp, JSON_INDENT(2)), 0);
	json_decref(m);
	free(mp);
}

static void write_sealed(const char *dir, const char *path, const void *data, size_t len)
{
	tu_write(path, data, len);
	reseal(dir);
}

static void write_sealed_str(const char *dir, const char *path, const char *s)
{
	write_sealed(dir, path, s, strlen(s));
}

/* Loading dir fails with code and a message containing each of the strings. */
static void assert_load_fails(const char *dir, int code, ...)
{
	static struct tn_bundle sentinel;
	struct tn_bundle *b = &sentinel;
	struct tn_err err;
	const char *want;
	va_list ap;

	memset(&err, 0, sizeof(err));
	assert_int_equal(tn_bundle_load(&b, dir, &err), code);
	assert_null(b);
	va_start(ap, code);
	while ((want = va_arg(ap, const char *)) != NULL)
		assert_true(tu_has(err.msg, want));
	va_end(ap);
}

static void test_load_missing(void **state)
{
	struct fx *f = *state;
	char *none = tu_path(f->tmp, "none"), *empty = tu_path(f->tmp, "empty");

	assert_load_fails(none, TN_EIO, "no model bundle at", none, NULL);
	assert_int_equal(mkdir(empty, 0777), 0);
	assert_load_fails(empty, TN_EIO, "is not a model bundle", "manifest.json", NULL);
	free(none);
	free(empty);
}

static void test_load_bad_manifest(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "m1"), *p = tu_path(dir, "manifest.json");
	json_t *m;

	tu_write_str(p, "{\"format\": \"tenor-model\",");
	assert_load_fails(dir, TN_EMODEL, "manifest.json", "invalid JSON", NULL);
	free(dir);
	free(p);

	dir = save(f, "m2");
	m = read_manifest(dir);
	json_object_set_new(m, "format", json_string("other-model"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "not a Tenor model manifest", NULL);

	dir = (free(dir), save(f, "m3"));
	m = read_manifest(dir);
	json_object_set_new(m, "version", json_integer(4));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "format version 4", "reads versions 1 to 3", NULL);
	/* Combined bigram keys ("xxh3-64+mix") need version 3, and version 3 needs them. */
	m = read_manifest(dir);
	json_object_set_new(m, "version", json_integer(1));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "format version 3 goes with hash \"xxh3-64+mix\"", NULL);
	m = read_manifest(dir);
	json_object_set_new(m, "version", json_integer(3));
	json_object_set_new(json_object_get(m, "features"), "hash", json_string("xxh3-64"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "format version 3 goes with hash \"xxh3-64+mix\"", NULL);
	/* Version 2 is for bundles with tone features: without them it is refused. */
	m = read_manifest(dir);
	json_object_set_new(m, "version", json_integer(2));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "format version 2 goes with tone features", NULL);
	m = read_manifest(dir);
	json_object_set_new(json_object_get(m, "features"), "hash", json_string("sha1"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "unknown hash 'sha1'", "retrain", NULL);

	dir = (free(dir), save(f, "m4"));
	m = read_manifest(dir);
	json_object_del(m, "version");
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "format version", NULL);

	dir = (free(dir), save(f, "m5"));
	m = read_manifest(dir);
	json_object_del(json_object_get(m, "features"), "bits");
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "\"features\" is missing or incomplete", NULL);

	dir = (free(dir), save(f, "m6"));
	m = read_manifest(dir);
	json_object_set_new(json_object_get(m, "features"), "tokenizer", json_string("whitespace"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "unknown tokenizer 'whitespace'", NULL);

	dir = (free(dir), save(f, "m7"));
	m = read_manifest(dir);
	json_object_set_new(json_object_get(m, "features"), "bits", json_integer(30));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "hash bits", NULL);

	dir = (free(dir), save(f, "m8"));
	m = read_manifest(dir);
	json_object_set_new(json_object_get(m, "features"), "seed", json_string("0xnothex"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "bad hash seed", NULL);

	dir = (free(dir), save(f, "m9"));
	m = read_manifest(dir);
	json_array_clear(json_object_get(m, "heads"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "no heads", NULL);

	dir = (free(dir), save(f, "m10"));
	m = read_manifest(dir);
	json_object_del(json_array_get(json_object_get(m, "heads"), 1), "model_file");
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "model_file", NULL);

	dir = (free(dir), save(f, "m11"));
	m = read_manifest(dir);
	json_object_set_new(json_array_get(json_object_get(m, "heads"), 0), "model_file", json_string("../topic.svm"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "model_file", NULL);

	dir = (free(dir), save(f, "m12"));
	m = read_manifest(dir);
	json_array_append_new(json_object_get(json_array_get(json_object_get(m, "heads"), 0), "classes"), json_integer(4));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "class 3 is not a string", NULL);
	free(dir);
}

/* A bundle from before the combined keys (hash "xxh3-64", version 1) loads, hashing bigrams as it was trained. */
static void test_load_old_bigram_keys(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "old");
	struct tn_bundle *b = NULL;
	struct tn_err err;
	json_t *m = read_manifest(dir);

	json_object_set_new(m, "version", json_integer(TN_BUNDLE_VERSION));
	json_object_set_new(json_object_get(m, "features"), "hash", json_string("xxh3-64"));
	write_manifest(dir, m);
	assert_int_equal(tn_bundle_load(&b, dir, &err), 0);
	assert_int_equal(b->feat.word_max, 2);
	assert_int_equal(b->feat.ngram_keys, TN_FEAT_KEYS_XXH3);
	tn_bundle_free(b);
	free(dir);
}

static void test_load_missing_parts(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "m"), *p = tu_path(dir, "tone.svm");

	assert_int_equal(unlink(p), 0);
	assert_load_fails(dir, TN_EIO, "tone.svm", NULL);
	free(p);
	free(dir);

	dir = save(f, "m");
	p = tu_path(dir, "idf.bin");
	assert_int_equal(unlink(p), 0);
	assert_load_fails(dir, TN_EIO, "idf.bin", NULL);
	free(p);
	free(dir);
}

static void test_load_bad_idf(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "m"), *p = tu_path(dir, "idf.bin"), *data;
	size_t len;

	data = tu_read(p, &len);
	assert_true(len > 32);
	assert_memory_equal(data, "TNIDF\0\0\1", 8);
	assert_int_equal((len - 16) % 8, 0);

	write_sealed_str(dir, p, "hello, I am not an idf file");
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "not a Tenor idf file", NULL);
	write_sealed(dir, p, data, 10);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "not a Tenor idf file", NULL);
	/* Truncated, or with bytes to spare. */
	write_sealed(dir, p, data, len - 4);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "truncated", NULL);
	write_sealed(dir, p, data, len - 8);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "truncated", NULL);
	/* Another hash size than the manifest's. */
	data[8] = 16;
	write_sealed(dir, p, data, len);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "has 16 hash bits, the manifest says 20", NULL);
	data[8] = 20;
	/* Entries out of order (swap the first two buckets). */
	{
		char t[4];

		memcpy(t, data + 16, 4);
		memcpy(data + 16, data + 24, 4);
		memcpy(data + 24, t, 4);
		write_sealed(dir, p, data, len);
		assert_load_fails(dir, TN_EMODEL, "idf.bin", "entry 1 is out of order", NULL);
		memcpy(data + 24, data + 16, 4);
		memcpy(data + 16, t, 4);
	}
	/* An idf of 0 is not a kept bucket. */
	memset(data + 20, 0, 4);
	write_sealed(dir, p, data, len);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "entry 0", NULL);
	free(data);
	free(p);
	free(dir);
}

static void test_load_bad_model(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "m"), *topic = tu_path(dir, "topic.svm"), *tone = tu_path(dir, "tone.svm"), *data;
	size_t len;

	/* A 2-class model where the manifest lists 3 classes. */
	data = tu_read(tone, &len);
	write_sealed(dir, topic, data, len);
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "head 'topic'", "has 2 classes, the manifest lists 3", NULL);
	free(data);
	/* Not a libsvm model at all. */
	write_sealed_str(dir, topic, "svm_type c_svc\nkernel_type nonsense\n");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "line 2", "kernel", NULL);
	free(topic);
	free(tone);
	free(dir);
}

/* Replaces the first occurrence of from by to in the file at path (resealed). */
static void edit_sealed(const char *dir, const char *path, const char *from, const char *to)
{
	size_t len;
	char *data = tu_read(path, &len), *at = strstr(data, from);
	struct tn_buf b = TN_BUF_INIT;

	assert_non_null(at);
	assert_int_equal(tn_buf_add(&b, data, (size_t)(at - data)), 0);
	assert_int_equal(tn_buf_addstr(&b, to), 0);
	assert_int_equal(tn_buf_addstr(&b, at + strlen(from)), 0);
	write_sealed(dir, path, b.ptr, b.len);
	tn_buf_release(&b);
	free(data);
}

/* Any change to a bundle file after saving is refused by its checksum or size. */
static void test_load_checksums(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "m"), *idf = tu_path(dir, "idf.bin"), *topic = tu_path(dir, "topic.svm"), *data;
	size_t len;
	json_t *m;

	/* One bit flipped in idf.bin, then in a model file. */
	data = tu_read(idf, &len);
	data[len / 2] ^= 1;
	tu_write(idf, data, len);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "is damaged", "XXH64", "retrain", NULL);
	data[len / 2] ^= 1;
	tu_write(idf, data, len);
	free(data);
	data = tu_read(topic, &len);
	data[len - 10] ^= 0x04;
	tu_write(topic, data, len);
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "is damaged", NULL);
	/* Longer or shorter than the manifest says. */
	data[len - 10] ^= 0x04;
	tu_write(topic, data, len - 1);
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "the manifest says", NULL);
	data = realloc(data, len + 1);
	assert_non_null(data);
	data[len] = '\n';
	tu_write(topic, data, len + 1);
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "the manifest says", NULL);
	free(data);
	/* A device or a FIFO in place of a file is refused without being read. */
	assert_int_equal(unlink(topic), 0);
	assert_int_equal(symlink("/dev/zero", topic), 0);
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "not a regular file", NULL);
	assert_int_equal(unlink(topic), 0);
	assert_int_equal(mkfifo(topic, 0600), 0);
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "not a regular file", NULL);
	/* A bundle without checksums (an older Tenor's) says to retrain (saved
	 * elsewhere: a FIFO in "m" makes it no longer a pure bundle). */
	free(dir);
	dir = save(f, "m2");
	m = read_manifest(dir);
	json_object_del(m, "files");
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "no file checksums", "retrain", NULL);
	/* A listed checksum that is not one. */
	dir = (free(dir), save(f, "m3"));
	m = read_manifest(dir);
	json_object_set_new(json_object_get(json_object_get(m, "files"), "idf.bin"), "xxh64", json_string("zz"));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "no valid size and checksum for 'idf.bin'", NULL);
	free(idf);
	free(topic);
	free(dir);
}

/* Manifest values out of range are refused, never narrowed by a cast. */
static void test_load_manifest_ranges(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "m"), *idf, *data;
	json_t *m;
	size_t len;

	m = read_manifest(dir);
	/* 4294967308 is 12 once cast to a 32-bit int. */
	json_object_set_new(json_object_get(m, "features"), "bits", json_integer(4294967308LL));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "hash bits", NULL);

	dir = (free(dir), save(f, "m"));
	m = read_manifest(dir);
	json_object_set_new(json_object_get(m, "features"), "word_ngrams", json_pack("[I,i]", 4294967297LL, 2));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "n-gram", NULL);

	dir = (free(dir), save(f, "m"));
	m = read_manifest(dir);
	json_object_set_new(json_object_get(m, "features"), "min_df", json_integer(4294967297LL));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "min_df", NULL);

	{
		static const char *const seeds[] = { "", "0x", " 0x1", "-0x1", "0x00000000000000001", "54656e6f72" };
		size_t i;

		for (i = 0; i < sizeof(seeds) / sizeof(*seeds); i++) {
			dir = (free(dir), save(f, "m"));
			m = read_manifest(dir);
			json_object_set_new(json_object_get(m, "features"), "seed", json_string(seeds[i]));
			write_manifest(dir, m);
			assert_load_fails(dir, TN_EMODEL, "bad hash seed", NULL);
		}
	}

	dir = (free(dir), save(f, "m"));
	m = read_manifest(dir);
	json_array_set_new(json_object_get(json_array_get(json_object_get(m, "heads"), 0), "classes"), 1,
			   json_string(json_string_value(json_array_get(json_object_get(json_array_get(
				   json_object_get(m, "heads"), 0), "classes"), 0))));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "twice", NULL);

	dir = (free(dir), save(f, "m"));
	m = read_manifest(dir);
	json_array_append(json_object_get(m, "heads"), json_array_get(json_object_get(m, "heads"), 0));
	write_manifest(dir, m);
	assert_load_fails(dir, TN_EMODEL, "listed twice", NULL);

	/* An infinite or NaN idf. */
	dir = (free(dir), save(f, "m"));
	idf = tu_path(dir, "idf.bin");
	data = tu_read(idf, &len);
	memcpy(data + 20, "\x00\x00\x80\x7f", 4);
	write_sealed(dir, idf, data, len);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "entry 0", NULL);
	memcpy(data + 20, "\x00\x00\xc0\x7f", 4);
	write_sealed(dir, idf, data, len);
	assert_load_fails(dir, TN_EMODEL, "idf.bin", "entry 0", NULL);
	free(data);
	free(idf);
	free(dir);
}

/*
 * The damage that crashed libsvm's loader or the predictor, each sealed with
 * a matching checksum so that the model reader itself must refuse it.
 */
static void test_load_corrupt_svm(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "m"), *topic = tu_path(dir, "topic.svm"), *data;
	size_t len, cut, last;

	data = tu_read(topic, &len);
	/* Truncated anywhere before its last line. */
	for (last = len - 1; last > 0 && data[last - 1] != '\n'; last--)
		;
	for (cut = 0; cut < last; cut += 1 + cut / 7) {
		write_sealed(dir, topic, data, cut);
		assert_load_fails(dir, TN_EMODEL, "topic.svm", NULL);
	}
	write_sealed(dir, topic, data, len);
	{
		struct tn_bundle *b;
		struct tn_err err;

		assert_int_equal(tn_bundle_load(&b, dir, &err), 0);
		tn_bundle_free(b);
	}
	edit_sealed(dir, topic, "total_sv ", "total_sv 1");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "nr_sv ", "nr_sv 1");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "nr_sv", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "\nrho ", "\nrhubarb ");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "unknown header line 'rhubarb'", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "\nlabel ", "\n\nlabel ");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "blank line", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "\nlabel ", "\nlabel 2 2 2\nxlabel ");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "label 2 is listed twice", NULL);
	{
		static const char *const lines[] = { "\nrho ", "\nlabel ", "\nnr_sv " };
		size_t i;

		for (i = 0; i < 3; i++) {
			char *at, *nl;
			struct tn_buf b = TN_BUF_INIT;

			at = strstr(data, lines[i]);
			assert_non_null(at);
			nl = strchr(at + 1, '\n');
			assert_int_equal(tn_buf_add(&b, data, (size_t)(at - data)), 0);
			assert_int_equal(tn_buf_addstr(&b, nl), 0);
			write_sealed(dir, topic, b.ptr, b.len);
			assert_load_fails(dir, TN_EMODEL, "topic.svm", "no '", NULL);
			tn_buf_release(&b);
		}
	}
	/* A blank line among the support vectors, a '\n' turned into '\v'. */
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, " \n", " \n\n");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", NULL);
	write_sealed(dir, topic, data, len);
	{
		char *sv = strstr(data, "\nSV\n"), *nl;

		assert_non_null(sv);
		nl = strchr(sv + 4, '\n');
		*nl = '\v';
		write_sealed(dir, topic, data, len);
		assert_load_fails(dir, TN_EMODEL, "topic.svm", "0x0b", NULL);
		*nl = '\n';
	}
	/* Numbers that are not finite, an index out of range or out of order. */
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "\nSV\n", "\nSV\nnan ");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "\nrho ", "\nrho inf ");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "rho", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, ":", "9:");
	assert_load_fails(dir, TN_EMODEL, "topic.svm", "index:value", NULL);
	free(data);
	free(topic);
	free(dir);
}

static void test_load_corrupt_liblinear(void **state)
{
	struct fx *f = *state;
	struct tn_corpus c;
	struct tn_corpus_opts co;
	struct tn_feat_opts fo;
	struct tn_train_opts to;
	struct tn_bundle *b = NULL;
	struct tn_err err;
	char *p = tu_data("mini.jsonl"), *dir = tu_path(f->tmp, "lin"), *topic, *data;
	const char *paths[1] = { p };
	size_t len, cut;

	tn_corpus_opts_default(&co);
	tn_corpus_init(&c);
	if (tn_corpus_load(&c, paths, 1, &co, &err))
		fail_msg("%s", err.msg);
	tn_feat_opts_default(&fo);
	fo.bits = 12;
	tn_train_opts_default(&to);
	to.solver = TN_SOLVER_LIBLINEAR;
	if (tn_train(&b, &c, &fo, &to, NULL, NULL, &err) || tn_bundle_save(b, dir, &err))
		fail_msg("%s", err.msg);
	tn_bundle_free(b);
	topic = tu_path(dir, "topic.liblinear");
	data = tu_read(topic, &len);
	for (cut = 0; cut + 2 < len; cut += 1 + cut / 5) {
		write_sealed(dir, topic, data, cut);
		assert_load_fails(dir, TN_EMODEL, "topic.liblinear", NULL);
	}
	write_sealed(dir, topic, data, len);
	assert_int_equal(tn_bundle_load(&b, dir, &err), 0);
	tn_bundle_free(b);
	edit_sealed(dir, topic, "\nw\n", "\nw\nnan ");
	assert_load_fails(dir, TN_EMODEL, "topic.liblinear", "weight 1", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "\nlabel ", "\nlabels ");
	assert_load_fails(dir, TN_EMODEL, "topic.liblinear", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "nr_feature ", "nr_feature 9");
	assert_load_fails(dir, TN_EMODEL, "topic.liblinear", "nr_feature", NULL);
	write_sealed(dir, topic, data, len);
	edit_sealed(dir, topic, "\nw\n", "\nw\n1 ");
	assert_load_fails(dir, TN_EMODEL, "topic.liblinear", "text after", NULL);
	free(data);
	free(topic);
	free(p);
	free(dir);
	tn_corpus_release(&c);
}

/* The loaded bundle predicts what the trained one does (up to libsvm's %.8g on disk). */
static void test_loaded_predicts_the_same(void **state)
{
	struct fx *f = *state;
	char *dir = save(f, "model");
	struct tn_bundle *b = NULL;
	struct tn_predictor *p1 = NULL, *p2 = NULL;
	struct tn_predict_scratch *s1, *s2;
	struct tn_feat_scratch *fs = tn_feat_scratch_create(&f->b->feat);
	struct tn_counts cnt;
	struct tn_vec v;
	struct tn_err err;
	size_t d, h, agree = 0;

	assert_int_equal(tn_bundle_load(&b, dir, &err), 0);
	assert_int_equal(tn_predictor_create(&p1, f->b, &err), 0);
	assert_int_equal(tn_predictor_create(&p2, b, &err), 0);
	s1 = tn_predict_scratch_create(p1);
	s2 = tn_predict_scratch_create(p2);
	assert_non_null(s1);
	assert_non_null(s2);
	tn_counts_init(&cnt);
	tn_vec_init(&v);
	for (d = 0; d < f->c.ndocs; d++) {
		assert_int_equal(tn_feat_count(&b->feat, fs, f->c.text[d], f->c.len[d], &cnt, NULL), 0);
		assert_int_equal(tn_feat_weigh(&b->feat, b->idf, &cnt, &v), 0);
		for (h = 0; h < 2; h++) {
			double d1[3], d2[3];
			size_t i, np = h == 0 ? 3 : 1;

			assert_int_equal(tn_predict_decision_values(p1, s1, h, &v, d1), 0);
			assert_int_equal(tn_predict_decision_values(p2, s2, h, &v, d2), 0);
			for (i = 0; i < np; i++)
				assert_float_equal(d1[i], d2[i], 1e-5);
		}
		{
			struct tn_head_result r1[2], r2[2];

			assert_int_equal(tn_predict(p1, s1, &v, r1, NULL), 0);
			assert_int_equal(tn_predict(p2, s2, &v, r2, NULL), 0);
			agree += r1[0].cls == r2[0].cls && r1[1].cls == r2[1].cls;
		}
	}
	assert_int_equal(agree, f->c.ndocs);
	tn_counts_release(&cnt);
	tn_vec_release(&v);
	tn_feat_scratch_free(fs);
	tn_predict_scratch_free(s1);
	tn_predict_scratch_free(s2);
	tn_predictor_free(p1);
	tn_predictor_free(p2);
	tn_bundle_free(b);
	free(dir);
}

/*
 * A calibrated bundle saved and loaded back: by default (platt) pairwise
 * sigmoids in the model file; with softmax a temperature in the manifest and
 * none in the model.
 */
static void check_probability_bundle(struct fx *f, int platt)
{
	struct tn_corpus c;
	struct tn_bundle *b = train_mini_calib(&c, 1, platt ? -1 : 0), *back = NULL;
	char *dir = tu_path(f->tmp, platt ? "prob-platt" : "prob-softmax");
	struct tn_err err;
	json_t *m;

	assert_true(tn_head_has_probability(&b->heads[0]));
	assert_true(tn_head_has_probability(&b->heads[1]));
	assert_int_equal(tn_bundle_save(b, dir, &err), 0);
	assert_int_equal(tn_bundle_load(&back, dir, &err), 0);
	assert_true(tn_head_has_probability(&back->heads[0]));
	assert_true(tn_head_has_probability(&back->heads[1]));
	assert_int_equal(svm_check_probability_model(back->heads[0].svm), platt);
	if (platt) {
		assert_true(tn_head_temperature(&back->heads[0]) <= 0);
	} else {
		assert_true(tn_head_temperature(&back->heads[0]) > 0);
		assert_float_equal(tn_head_temperature(&back->heads[0]), tn_head_temperature(&b->heads[0]), 1e-8);
	}
	m = read_manifest(dir);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(m, "heads"), 0), "probability")));
	{
		json_t *cal = json_object_get(json_array_get(json_object_get(m, "heads"), 0), "calibration");
		json_t *bins = json_object_get(json_object_get(cal, "reliability"), "bins");
		json_t *compared = json_object_get(cal, "compared");
		json_int_t total = 0;
		size_t i;

		assert_string_equal(json_string_value(json_object_get(cal, "method")),
				    platt ? "platt-pairwise" : "softmax-temperature");
		/* One-vs-rest heads compare both methods, whichever is chosen. */
		assert_non_null(json_object_get(compared, "platt-pairwise"));
		assert_non_null(json_object_get(compared, "softmax-temperature"));
		assert_int_equal(json_array_size(bins), 10);
		for (i = 0; i < json_array_size(bins); i++)
			total += json_integer_value(json_object_get(json_array_get(bins, i), "documents"));
		/* Every labeled document has one out-of-fold probability. */
		assert_int_equal(total, json_integer_value(json_object_get(json_array_get(json_object_get(m, "heads"), 0),
									  "documents")));
		/* The plots are bundle files, listed with their checksums and loaded back. */
		assert_non_null(json_object_get(json_object_get(m, "files"), "reliability-topic.svg"));
		assert_non_null(tn_bundle_get_file(back, "reliability-topic.svg"));
		assert_true(tu_has(tn_bundle_get_file(back, "reliability-topic.svg")->data, "<svg"));
	}
	json_decref(m);
	tn_bundle_free(back);
	tn_bundle_free(b);
	tn_corpus_release(&c);
	free(dir);
}

static void test_probability_bundle(void **state)
{
	check_probability_bundle(*state, 1);
	check_probability_bundle(*state, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_save_load_round_trip),
		T(test_manifest_content),
		T(test_identity),
		T(test_save_replaces),
		T(test_save_errors),
		T(test_head_names),
		T(test_load_missing),
		T(test_load_bad_manifest),
		T(test_load_old_bigram_keys),
		T(test_load_missing_parts),
		T(test_load_bad_idf),
		T(test_load_bad_model),
		T(test_load_checksums),
		T(test_load_manifest_ranges),
		T(test_load_corrupt_svm),
		T(test_load_corrupt_liblinear),
		T(test_loaded_predicts_the_same),
		T(test_probability_bundle),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
