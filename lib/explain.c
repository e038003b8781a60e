/*
 * explain.c - per-feature contributions of one-vs-rest linear heads; see
 * explain.h.  The class weights are kept feature-major as in the predictor:
 * bucket -> row, a row holding w_c,f of every class of every head.
 */
#include "explain.h"
#include "manifest_json.h"
#include "names.h"

#include <libsvm/svm.h>
#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ex_head {
	size_t col;              /* first column of the head's classes in a row */
	size_t nclass;
	double *bias;            /* by class id */
};

struct tn_explainer {
	const struct tn_bundle *b;
	size_t nheads, ncols, nrows;
	struct ex_head *heads;
	uint32_t *row;           /* bucket -> row + 1, 0 if no head weighs it */
	double *w;               /* nrows x ncols */
};

void tn_explainer_free(struct tn_explainer *e)
{
	size_t h;

	if (!e)
		return;
	for (h = 0; e->heads && h < e->nheads; h++)
		free(e->heads[h].bias);
	free(e->heads);
	free(e->row);
	free(e->w);
	free(e);
}

/* Why head h cannot be explained, or NULL if it can. */
static const char *unexplainable(const struct tn_head *hd)
{
	json_t *bias = json_object_get(tn_head_info(hd), "class_bias");

	if (hd->lin)
		return NULL;
	if (hd->svm->param.kernel_type != LINEAR)
		return "it is an RBF model, whose decision is a sum of kernels over support vectors, not of n-gram weights";
	if (!tn_head_is_ovr_pairs(hd))
		return "it is one-vs-one (--multiclass ovo or --solver libsvm): its class is a vote of class-pair models, "
		       "and no single weight per n-gram says why the vote went one way";
	if (!json_is_array(bias) || json_array_size(bias) != (hd->nclass == 2 ? 1 : hd->nclass))
		return "the bundle was made before its biases were recorded; retrain it";
	return NULL;
}

/* Calls fn for every (bucket, class id, weight) of head hd, and sets bias[] by class id. */
static int each_weight(const struct tn_head *hd, double *bias,
		       void (*fn)(struct tn_explainer *, uint32_t, size_t, size_t, double), struct tn_explainer *e, size_t col)
{
	size_t k = hd->nclass, c;

	if (hd->lin) {
		const struct model *m = hd->lin;
		size_t nbuckets = (size_t)1 << e->b->feat.bits;
		size_t nw = m->nr_class == 2 ? 1 : (size_t)m->nr_class, nf = (size_t)m->nr_feature, j;

		for (c = 0; c < (size_t)m->nr_class; c++) {
			size_t wc = nw == 1 ? 0 : c, id = (size_t)m->label[c];
			double sign = nw == 1 && c == 1 ? -1.0 : 1.0;

			if (id >= k)
				return TN_EINVAL;
			bias[id] = m->bias >= 0 ? sign * m->w[nf * nw + wc] * m->bias : 0;
			for (j = 0; fn && j < nf && j < nbuckets; j++)
				if (m->w[j * nw + wc] != 0)
					fn(e, (uint32_t)j, col, id, sign * m->w[j * nw + wc]);
		}
		return 0;
	} else {
		const struct svm_model *m = hd->svm;
		json_t *jb = json_object_get(tn_head_info(hd), "class_bias");
		size_t nsv = k == 2 ? 1 : k;

		for (c = 0; c < nsv; c++)
			bias[c] = json_number_value(json_array_get(jb, c));
		if (k == 2)
			bias[1] = -bias[0];
		for (c = 0; c < k; c++) {
			const struct svm_node *x = m->SV[k == 2 ? 0 : c];
			double sign = k == 2 && c == 1 ? -1.0 : 1.0;

			for (; fn && x->index != -1; x++)
				fn(e, (uint32_t)(x->index - 1), col, c, sign * x->value);
		}
		return 0;
	}
}

static void count_row(struct tn_explainer *e, uint32_t bucket, size_t col, size_t cls, double w)
{
	(void)col;
	(void)cls;
	(void)w;
	if (!e->row[bucket])
		e->row[bucket] = (uint32_t)++e->nrows;
}

static void put_weight(struct tn_explainer *e, uint32_t bucket, size_t col, size_t cls, double w)
{
	e->w[(size_t)(e->row[bucket] - 1) * e->ncols + col + cls] = w;
}

int tn_explainer_create(struct tn_explainer **out, const struct tn_bundle *b, struct tn_err *err)
{
	struct tn_explainer *e = calloc(1, sizeof(*e));
	size_t h;

	*out = NULL;
	if (!e || !(e->heads = calloc(b->nheads, sizeof(*e->heads))) ||
	    !(e->row = calloc((size_t)1 << b->feat.bits, sizeof(*e->row)))) {
		tn_explainer_free(e);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	e->b = b;
	e->nheads = b->nheads;
	for (h = 0; h < b->nheads; h++) {
		const char *why = unexplainable(&b->heads[h]);

		if (why) {
			tn_explainer_free(e);
			return tn_err_set(err, TN_EINVAL, "head '%s' cannot be explained: %s", b->heads[h].name, why);
		}
		e->heads[h].col = e->ncols;
		e->heads[h].nclass = b->heads[h].nclass;
		e->ncols += b->heads[h].nclass;
		if (!(e->heads[h].bias = calloc(b->heads[h].nclass, sizeof(double)))) {
			tn_explainer_free(e);
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		}
		if (each_weight(&b->heads[h], e->heads[h].bias, count_row, e, 0)) {
			tn_explainer_free(e);
			return tn_err_set(err, TN_EINVAL, "head '%s': its model's labels do not match its classes",
					  b->heads[h].name);
		}
	}
	if (!(e->w = calloc(e->nrows * e->ncols + 1, sizeof(double)))) {
		tn_explainer_free(e);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	for (h = 0; h < b->nheads; h++)
		each_weight(&b->heads[h], e->heads[h].bias, put_weight, e, e->heads[h].col);
	*out = e;
	return 0;
}

int tn_explain(const struct tn_explainer *e, const struct tn_counts *c, size_t h, int cls,
	       struct tn_contribution **v, size_t *cap, size_t *n, double *bias)
{
	const struct tn_bundle *b = e->b;
	size_t i, m = 0, col = e->heads[h].col + (size_t)cls;
	double norm2 = 0, scale;

	if (tn_array_grow(v, cap, c->n + 1, sizeof(**v), 64))
		return TN_ENOMEM;
	/* x_f = tf idf / ||tf idf||, as tn_feat_weigh computes it. */
	for (i = 0; i < c->n; i++) {
		float idf = b->idf[c->bucket[i]];
		double x;

		if (idf == 0.0f)
			continue;
		x = tn_feat_tf(&b->feat, c->count[i]) * (double)idf;
		norm2 += x * x;
		(*v)[m].bucket = c->bucket[i];
		(*v)[m++].weight = x;
	}
	scale = norm2 > 0 ? 1.0 / sqrt(norm2) : 0;
	for (i = 0; i < m; i++) {
		uint32_t r = e->row[(*v)[i].bucket];

		(*v)[i].weight = r ? (*v)[i].weight * scale * e->w[(size_t)(r - 1) * e->ncols + col] : 0;
	}
	*n = m;
	*bias = e->heads[h].bias[cls];
	return 0;
}

static int by_weight(const void *a, const void *b)
{
	const struct tn_contribution *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return (x->bucket > y->bucket) - (x->bucket < y->bucket);
}

size_t tn_explain_top(struct tn_contribution *v, size_t n, size_t k)
{
	qsort(v, n, sizeof(*v), by_weight);
	return n < k ? n : k;
}

struct naming {
	const struct tn_contribution *top;
	size_t k;
	size_t *off, *len;       /* where each bucket's name is in names, len 0 until found */
	struct tn_buf *names;
	int failed;
};

static void name_one(void *ctx, uint32_t bucket, uint64_t hash, const char *ngram, size_t len)
{
	struct naming *nm = ctx;
	size_t i;

	(void)hash;
	for (i = 0; i < nm->k; i++)
		if (nm->top[i].bucket == bucket && !nm->len[i]) {
			nm->off[i] = nm->names->len;
			nm->len[i] = len;
			nm->failed |= tn_buf_add(nm->names, ngram, len);
		}
}

/*
 * Every feature of the text is named by tn_feat_each_ngram: its n-grams by
 * their text, the tone features by what they are ("NOT_word", "[lexicon -2]",
 * tone.h); a bucket none of them reached would be "[tone feature]".
 */
int tn_explain_json(const struct tn_feat_opts *o, struct tn_feat_scratch *s, const char *text, size_t len,
		    const struct tn_contribution *top, size_t k, struct tn_buf *out)
{
	struct tn_buf names = TN_BUF_INIT;
	size_t off[64], ln[64], i, bad;
	struct naming nm = { top, k > 64 ? 64 : k, off, ln, &names, 0 };
	int rc = 0;

	memset(ln, 0, sizeof(ln));
	rc = tn_feat_each_ngram(o, s, text, len, name_one, &nm, &bad);
	if (!rc && nm.failed)
		rc = TN_ENOMEM;
	rc = rc ? rc : tn_buf_addch(out, '[') ? TN_ENOMEM : 0;
	for (i = 0; !rc && i < nm.k; i++) {
		char w[32];

		snprintf(w, sizeof(w), "%.4f", top[i].weight);
		rc = (i && tn_buf_addstr(out, ", ")) || tn_buf_addstr(out, "{\"ngram\": ") ||
		     (ln[i] ? tn_buf_add_json_string(out, names.ptr + off[i], ln[i]) :
		      tn_buf_addstr(out, "\"[tone feature]\"")) ||
		     tn_buf_addstr(out, ", \"weight\": ") || tn_buf_addstr(out, strcmp(w, "-0.0000") ? w : "0.0000") ||
		     tn_buf_addch(out, '}') ? TN_ENOMEM : 0;
	}
	rc = rc ? rc : tn_buf_addch(out, ']') ? TN_ENOMEM : 0;
	tn_buf_release(&names);
	return rc;
}

int tn_explain_top_features(const struct tn_explainer *e, const struct tn_names *names, size_t k,
			    struct tn_buf *out)
{
	const struct tn_bundle *b = e->b;
	size_t nb = (size_t)1 << b->feat.bits, h, c, bk, n;
	struct tn_contribution *v = malloc((e->nrows + 1) * sizeof(*v));
	int bad = !v;

	for (h = 0; h < e->nheads && !bad; h++) {
		const struct tn_head *hd = &b->heads[h];

		bad |= tn_buf_addf(out, "head '%s': the n-grams of the largest weight toward each class\n", hd->name);
		for (c = 0; c < hd->nclass && !bad; c++) {
			size_t i, top;

			for (bk = 0, n = 0; bk < nb; bk++)
				if (e->row[bk] && b->idf[bk] > 0) {
					v[n].bucket = (uint32_t)bk;
					v[n++].weight = e->w[(size_t)(e->row[bk] - 1) * e->ncols + e->heads[h].col + c];
				}
			top = tn_explain_top(v, n, k);
			bad |= tn_buf_addf(out, "  %s:\n", hd->classes[c]);
			for (i = 0; i < top && !bad; i++) {
				const char *n1 = tn_names_get(names, v[i].bucket, 0, NULL);
				const char *n2 = tn_names_get(names, v[i].bucket, 1, NULL);

				bad |= tn_buf_addf(out, "    %8.4f  %s%s%s\n", v[i].weight, n1 ? n1 : "(unnamed bucket)",
						   n2 ? "  | also: " : "", n2 ? n2 : "");
			}
		}
	}
	free(v);
	return bad ? TN_ENOMEM : 0;
}
