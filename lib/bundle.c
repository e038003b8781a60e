/*
 * bundle.c - model bundles in memory: their heads, files and manifest
 * information, and the n-gram keys' manifest fields; saving is in
 * bundle_save.c, loading in bundle_load.c, the layout in bundle.h.
 */
#include "bundle.h"
#include "bundle_internal.h"

#include <libsvm/svm.h>
#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int tn_bundle_extra_file_name(const char *n)
{
	size_t len = strlen(n);

	if (!strcmp(n, "names.tsv.zst"))
		return 1;
	return len > 16 && !strncmp(n, "reliability-", 12) && tn_ends_with(n, ".svg") &&
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
	return !strcmp(name, "id") || !strcmp(name, "error") || tn_ends_with(name, "_score") ||
	       tn_ends_with(name, "_scores") || tn_ends_with(name, "_top") || tn_ends_with(name, "_explain");
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

/* ---- n-gram keys (feat.h's ngram_keys): the manifest's "hash" and version ---- */

/* The combined keys matter only with word n-grams of 2+ tokens; otherwise the bundle is as before. */
static int uses_mix(const struct tn_feat_opts *o)
{
	return o->ngram_keys == TN_FEAT_KEYS_MIX && o->word_max >= 2;
}

const char *tn_bundle_hash_name(const struct tn_feat_opts *o)
{
	return uses_mix(o) ? "xxh3-64+mix" : "xxh3-64";
}

int tn_bundle_format_version(const struct tn_feat_opts *o)
{
	return uses_mix(o) ? TN_BUNDLE_VERSION_MIX : tn_tone_on(&o->tone) ? TN_BUNDLE_VERSION_TONE : TN_BUNDLE_VERSION;
}

/* Sets o->ngram_keys from the manifest's "hash"; 0 or TN_EMODEL. */
int tn_bundle_parse_hash(json_t *f, struct tn_feat_opts *o, const char *path, struct tn_err *err)
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
int tn_bundle_check_version(const struct tn_feat_opts *o, long long version, const char *path, struct tn_err *err)
{
	if (version == tn_bundle_format_version(o))
		return 0;
	if (version == TN_BUNDLE_VERSION_MIX || uses_mix(o))
		return tn_err_set(err, TN_EMODEL, "'%s': format version %d goes with hash \"xxh3-64+mix\" and word "
				  "n-grams of 2 or more tokens, and only they", path, TN_BUNDLE_VERSION_MIX);
	return tn_err_set(err, TN_EMODEL, "'%s': format version %d goes with tone features, and only it",
			  path, TN_BUNDLE_VERSION_TONE);
}

/* ---- end of the n-gram keys ---- */

