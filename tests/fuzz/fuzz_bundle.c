/*
 * fuzz_bundle.c - libFuzzer harness for the bundle loader (lib/bundle.c,
 * lib/modelfile.c) and the predictor built from what it loads
 * (lib/predict.c).  Four small bundles are trained once: libsvm linear,
 * libsvm RBF with probabilities, liblinear, and the default linear solver
 * (libsvm's format, one support vector per class pair).  The first byte picks the bundle
 * and the file the rest of the input replaces (manifest.json, idf.bin or a
 * model file); unless its top bit is set, the manifest's size and checksum of
 * that file are updated to match, so that the parsers behind the checksum are
 * reached.  A bundle that loads must predict a document.
 */
#include "fuzzutil.h"
#include "../../lib/feat.h"
#include "../../lib/predict.h"

#include <jansson.h>
#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char bundle_dir[4][256];

static void bundle_setup(void)
{
	static const char *const names[] = { "bundle-svm", "bundle-rbf", "bundle-lin", "bundle-ovo" };
	int k;

	if (bundle_dir[0][0])
		return;
	for (k = 0; k < 4; k++)
		fz_path(bundle_dir[k], sizeof(bundle_dir[k]), names[k]);
	fz_train(bundle_dir[0], TN_SOLVER_LIBSVM, TN_KERNEL_LINEAR, 0);
	fz_train(bundle_dir[1], TN_SOLVER_LIBSVM, TN_KERNEL_RBF, 1);
	fz_train(bundle_dir[2], TN_SOLVER_LIBLINEAR, TN_KERNEL_LINEAR, 0);
	fz_train(bundle_dir[3], TN_SOLVER_LINEAR, TN_KERNEL_LINEAR, 0);
}

static char *slurp_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		abort();
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Sets the manifest text's "files" entry for name to the given bytes; malloc'd text. */
static char *reseal(const char *man, size_t mlen, const char *name, const uint8_t *data, size_t len)
{
	json_t *m = json_loadb(man, mlen, 0, NULL), *files;
	char hex[17], *out;

	if (!m)
		abort();
	files = json_object_get(m, "files");
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)XXH64(data, len, 0));
	json_object_set_new(files, name, json_pack("{s:I, s:s}", "bytes", (json_int_t)len, "xxh64", hex));
	out = json_dumps(m, JSON_INDENT(2));
	json_decref(m);
	if (!out)
		abort();
	return out;
}

static void predict_one(const struct tn_bundle *b)
{
	static const char text[] = "the trade talks near the border went well";
	struct tn_predictor *p;
	struct tn_predict_scratch *s;
	struct tn_feat_scratch *fs = tn_feat_scratch_create(&b->feat);
	struct tn_head_result res[64];
	struct tn_counts c;
	struct tn_vec v;
	struct tn_err err;
	size_t bad, h;

	if (tn_predictor_create(&p, b, &err) || !fs)
		abort();
	s = tn_predict_scratch_create(p);
	tn_counts_init(&c);
	tn_vec_init(&v);
	if (!s || tn_feat_count(&b->feat, fs, text, sizeof(text) - 1, &c, &bad) ||
	    tn_predict_counts(p, s, &c, res, NULL) || tn_feat_weigh(&b->feat, b->idf, &c, &v) ||
	    tn_predict(p, s, &v, res, NULL))
		abort();
	for (h = 0; h < b->nheads; h++)
		if (res[h].cls < 0 || (size_t)res[h].cls >= b->heads[h].nclass)
			abort();
	tn_counts_release(&c);
	tn_vec_release(&v);
	tn_predict_scratch_free(s);
	tn_feat_scratch_free(fs);
	tn_predictor_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const svm_files[] = { "manifest.json", "idf.bin", "topic.svm", "tone.svm" };
	static const char *const lin_files[] = { "manifest.json", "idf.bin", "topic.liblinear", "tone.liblinear" };
	const char *dir, *name;
	char path[512], mpath[512], *orig, *man = NULL, *sealed = NULL;
	size_t olen, mlen = 0;
	struct tn_bundle *b;
	struct tn_err err;
	int k;

	if (size < 1)
		return 0;
	bundle_setup();
	k = (data[0] >> 2) & 3;
	dir = bundle_dir[k];
	name = (k == 2 ? lin_files : svm_files)[data[0] & 3];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
	orig = slurp_file(path, &olen);
	fz_write(path, data + 1, size - 1);
	if (strcmp(name, "manifest.json") && !(data[0] & 0x80)) {
		man = slurp_file(mpath, &mlen);
		sealed = reseal(man, mlen, name, data + 1, size - 1);
		fz_write(mpath, sealed, strlen(sealed));
	}
	err.msg[0] = '\0';
	if (tn_bundle_load(&b, dir, &err) == 0) {
		predict_one(b);
		tn_bundle_free(b);
	} else if (!err.msg[0]) {
		abort();  /* a refusal always says why */
	}
	fz_write(path, orig, olen);
	if (man)
		fz_write(mpath, man, mlen);
	free(orig);
	free(man);
	free(sealed);
	return 0;
}
