/*
 * names.c - the n-gram strings behind hashed buckets; see names.h.
 */
#include "names.h"
#include "buf.h"
#include "corpus.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct slot {
	uint64_t hash;           /* the n-gram's full hash: same hash, same n-gram */
	uint64_t count;
	char *s;                 /* NUL-terminated, at most TN_NAMES_MAX_BYTES */
};

struct tn_names_builder {
	const struct tn_feat_opts *o;
	uint32_t *group;         /* bucket -> 1 + index of its slots, 0 if not kept */
	struct slot *slots;      /* TN_NAMES_SLOTS per kept bucket */
	size_t nbuckets, nkept;
	struct tn_feat_scratch *fs;
	int failed;
};

struct tn_names_builder *tn_names_builder_create(const struct tn_feat_opts *o, const float *idf)
{
	struct tn_names_builder *nb = calloc(1, sizeof(*nb));
	size_t b;

	if (!nb)
		return NULL;
	nb->o = o;
	nb->nbuckets = (size_t)1 << o->bits;
	nb->group = calloc(nb->nbuckets, sizeof(*nb->group));
	nb->fs = tn_feat_scratch_create(o);
	if (!nb->group || !nb->fs) {
		tn_names_builder_free(nb);
		return NULL;
	}
	for (b = 0; b < nb->nbuckets; b++)
		if (idf[b] > 0)
			nb->group[b] = (uint32_t)++nb->nkept;
	nb->slots = calloc(nb->nkept * TN_NAMES_SLOTS + 1, sizeof(*nb->slots));
	if (!nb->slots) {
		tn_names_builder_free(nb);
		return NULL;
	}
	return nb;
}

void tn_names_builder_free(struct tn_names_builder *nb)
{
	size_t i;

	if (!nb)
		return;
	for (i = 0; nb->slots && i < nb->nkept * TN_NAMES_SLOTS; i++)
		free(nb->slots[i].s);
	free(nb->slots);
	free(nb->group);
	tn_feat_scratch_free(nb->fs);
	free(nb);
}

/* Space-saving: a known n-gram counts one more; a new one takes a free slot, or the least counted one's. */
static void seen(void *ctx, uint32_t bucket, uint64_t hash, const char *ngram, size_t len)
{
	struct tn_names_builder *nb = ctx;
	struct slot *g, *low;
	size_t i;
	char *s;

	if (!nb->group[bucket])
		return;
	g = nb->slots + (size_t)(nb->group[bucket] - 1) * TN_NAMES_SLOTS;
	low = g;
	for (i = 0; i < TN_NAMES_SLOTS; i++) {
		if (g[i].s && g[i].hash == hash) {
			g[i].count++;
			return;
		}
		if (!g[i].s) {
			low = &g[i];
			break;
		}
		if (g[i].count < low->count)
			low = &g[i];
	}
	if (len > TN_NAMES_MAX_BYTES) {
		len = TN_NAMES_MAX_BYTES;
		while (len && ((unsigned char)ngram[len] & 0xC0) == 0x80)
			len--;  /* never cut inside a UTF-8 character */
	}
	if (!(s = malloc(len + 1))) {
		nb->failed = 1;
		return;
	}
	memcpy(s, ngram, len);
	s[len] = '\0';
	free(low->s);
	low->s = s;
	low->hash = hash;
	low->count = low->count + 1;   /* 1 for a free slot (count 0) */
}

int tn_names_builder_add(struct tn_names_builder *nb, const char *text, size_t len)
{
	size_t bad;
	int rc = tn_feat_each_ngram(nb->o, nb->fs, text, len, seen, nb, &bad);

	return rc ? rc : nb->failed ? TN_ENOMEM : 0;
}

static int by_count(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (!x->s || !y->s)
		return !x->s - !y->s;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->s, y->s);
}

int tn_names_builder_finish(struct tn_names_builder *nb, char **data, size_t *len)
{
	struct tn_buf t = TN_BUF_INIT;
	size_t b, i, cap;
	char *z;
	int bad = 0;

	*data = NULL;
	*len = 0;
	for (b = 0; b < nb->nbuckets && !bad; b++) {
		struct slot *g;

		if (!nb->group[b])
			continue;
		g = nb->slots + (size_t)(nb->group[b] - 1) * TN_NAMES_SLOTS;
		qsort(g, TN_NAMES_SLOTS, sizeof(*g), by_count);
		for (i = 0; i < TN_NAMES_PER_BUCKET && g[i].s && !bad; i++)
			bad = tn_buf_addf(&t, "%zu\t%llu\t%s\n", b, (unsigned long long)g[i].count, g[i].s);
	}
	cap = ZSTD_compressBound(t.len);
	z = bad ? NULL : malloc(cap ? cap : 1);
	if (!z) {
		tn_buf_release(&t);
		return TN_ENOMEM;
	}
	*len = ZSTD_compress(z, cap, t.ptr, t.len, 9);
	tn_buf_release(&t);
	if (ZSTD_isError(*len)) {
		free(z);
		*len = 0;
		return TN_ENOMEM;
	}
	*data = z;
	return 0;
}

int tn_names_add_to_bundle(struct tn_bundle *b, const struct tn_corpus *c, struct tn_err *err)
{
	struct tn_names_builder *nb = tn_names_builder_create(&b->feat, b->idf);
	char *data = NULL;
	size_t d, len = 0;
	int rc = nb ? 0 : TN_ENOMEM;

	for (d = 0; !rc && d < c->ndocs; d++)
		rc = tn_names_builder_add(nb, c->text[d], c->len[d]);
	if (!rc)
		rc = tn_names_builder_finish(nb, &data, &len);
	if (!rc)
		rc = tn_bundle_add_file(b, TN_NAMES_FILE, data, len);
	free(data);
	tn_names_builder_free(nb);
	if (rc == TN_EFORMAT)
		return tn_err_set(err, rc, "document %zu: invalid text while naming n-grams", d);
	return rc ? tn_err_set(err, TN_ENOMEM, "out of memory naming n-grams") : 0;
}

/* ---- reading ---- */

struct tn_names {
	char *text;              /* the decompressed file, lines cut at their tabs and newlines */
	uint32_t *bucket;        /* per line, ascending (a bucket's lines together) */
	uint64_t *count;
	const char **s;
	size_t n;
};

void tn_names_free(struct tn_names *n)
{
	if (!n)
		return;
	free(n->text);
	free(n->bucket);
	free(n->count);
	free(n->s);
	free(n);
}

/* A decimal number of at most 20 digits ending at a tab; *p moves past the tab.  -1 if malformed. */
static int number(char **p, char *end, uint64_t *v)
{
	char *q = *p;

	*v = 0;
	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9') {
		if (*v > (UINT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*q++ - '0');
	}
	if (q >= end || *q != '\t')
		return -1;
	*q = '\0';
	*p = q + 1;
	return 0;
}

#define TN_NAMES_TEXT_MAX ((unsigned long long)1 << 30)

int tn_names_load(struct tn_names **out, const struct tn_bundle *b, struct tn_err *err)
{
	const struct tn_bundle_file *f = tn_bundle_get_file(b, TN_NAMES_FILE);
	struct tn_names *n;
	unsigned long long size;
	size_t got, lines = 0, i;
	char *p, *end;
	uint64_t prev = 0;

	*out = NULL;
	if (!f)
		return tn_err_set(err, TN_ESTATE, "bundle '%s' has no n-gram names (%s): it was made before "
				  "names existed; retrain it", b->path ? b->path : "(new)", TN_NAMES_FILE);
	size = ZSTD_getFrameContentSize(f->data, f->len);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > TN_NAMES_TEXT_MAX)
		return tn_err_set(err, TN_EMODEL, "'%s' in '%s' is not a zstd frame of known size", TN_NAMES_FILE,
				  b->path ? b->path : "(new)");
	if (!(n = calloc(1, sizeof(*n))) || !(n->text = malloc((size_t)size + 1))) {
		tn_names_free(n);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	got = ZSTD_decompress(n->text, (size_t)size, f->data, f->len);
	if (ZSTD_isError(got) || got != size) {
		tn_names_free(n);
		return tn_err_set(err, TN_EMODEL, "'%s' in '%s' does not decompress", TN_NAMES_FILE, b->path ? b->path : "(new)");
	}
	n->text[got] = '\0';
	for (i = 0; i < got; i++)
		lines += n->text[i] == '\n';
	n->bucket = malloc((lines + 1) * sizeof(*n->bucket));
	n->count = malloc((lines + 1) * sizeof(*n->count));
	n->s = malloc((lines + 1) * sizeof(*n->s));
	if (!n->bucket || !n->count || !n->s) {
		tn_names_free(n);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	p = n->text;
	end = n->text + got;
	while (p < end) {
		uint64_t bk, c;
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || number(&p, nl, &bk) || number(&p, nl, &c) || bk >= ((uint64_t)1 << b->feat.bits) ||
		    bk < prev || c == 0 || p == nl || memchr(p, '\t', (size_t)(nl - p))) {
			size_t line = n->n + 1;

			tn_names_free(n);
			return tn_err_set(err, TN_EMODEL, "'%s' in '%s' line %zu is malformed or out of order",
					  TN_NAMES_FILE, b->path ? b->path : "(new)", line);
		}
		*nl = '\0';
		n->bucket[n->n] = (uint32_t)bk;
		n->count[n->n] = c;
		n->s[n->n++] = p;
		prev = bk;
		p = nl + 1;
	}
	*out = n;
	return 0;
}

const char *tn_names_get(const struct tn_names *n, uint32_t bucket, size_t i, uint64_t *count)
{
	size_t lo = 0, hi = n->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n->bucket[mid] < bucket)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo + i >= n->n || n->bucket[lo + i] != bucket)
		return NULL;
	if (count)
		*count = n->count[lo + i];
	return n->s[lo + i];
}
