/*
 * predict.c - collapsed linear prediction and libsvm fallback; see predict.h.
 */
#include "predict.h"

#include <libsvm/svm.h>
#include <linear.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct head_plan {
	int linear;
	int ovr;                 /* liblinear one-vs-rest: npair columns = nr_w */
	size_t nclass, npair;
	size_t dec_off;          /* first column of this head in a weight row */
	int *order;              /* libsvm's class order: order[i] = class id */
	double *rho;             /* npair */
	double *own_rho;         /* liblinear: -bias weight, owned */
	const struct model *lin;
	double *probA, *probB;   /* NULL without calibration */
	const struct svm_model *svm;
	int ovr_pairs;           /* a one-vs-rest model in libsvm's form (solve.c's ovr_model) */
	double beta;             /* 1 / the softmax temperature; 0 without */
};

struct tn_predictor {
	size_t nheads;
	struct head_plan *heads;
	size_t ncols;            /* pairs of all linear heads */
	uint32_t *slot;          /* bucket -> row + 1, 0 if no linear head uses it */
	double *w;               /* rows x ncols */
	const struct tn_feat_opts *feat;
	const float *idf;
	/*
	 * bucket -> index into ent, 0 if its idf is 0, as a rank bitmap: bit
	 * b % 64 of kept[b / 64].bits says whether bucket b is kept, and its
	 * index is 1 + kept[b / 64].rank plus the kept buckets below it in the
	 * word; ent[0] is for the buckets not kept (idf 0, no row).
	 * 16 bytes per 64 buckets (256 KiB at 2^20) stay in a core's cache where
	 * a 4 MiB table of indices did not: its misses were a third of the fused
	 * prediction's time (perf).
	 */
	struct kept { uint64_t bits; uint32_t rank, pad; } *kept;
	struct ent { float idf; uint32_t row; } *ent;   /* row + 1, or 0 */
	int any_rbf;
	size_t nrows;
	size_t nbuckets;
	size_t max_pairs, max_class;
	int margins;             /* tn_predictor_use_margins: no calibration */
};

struct tn_predict_scratch {
	double *dec;             /* ncols (linear heads' decision values) */
	double *dec1;            /* max_pairs, for one RBF head */
	double *r;               /* max_class^2 pairwise probabilities */
	double *couple;          /* max_class^2 + max_class: tn_couple_probabilities' work */
	double *prob;            /* max_class */
	double *cls;             /* max_class class scores */
	int *votes;
	struct tn_vec vec;
	uint32_t *fuse_e;        /* tn_predict_counts: entries, then rows */
	double *fuse_w;
	size_t fuse_cap;
	struct svm_node *nodes;
	size_t nodes_cap;
};

void tn_predictor_free(struct tn_predictor *p)
{
	size_t h;

	if (!p)
		return;
	for (h = 0; h < p->nheads; h++) {
		free(p->heads[h].order);
		free(p->heads[h].own_rho);
	}
	free(p->heads);
	free(p->slot);
	free(p->w);
	free(p->kept);
	free(p->ent);
	free(p);
}

void tn_predictor_use_margins(struct tn_predictor *p)
{
	p->margins = 1;
}

size_t tn_predictor_bytes(const struct tn_predictor *p)
{
	return p->nbuckets * sizeof(*p->slot) + (p->nbuckets / 64 + 1) * sizeof(*p->kept) + p->nrows * p->ncols * sizeof(*p->w);
}

/* Marks the buckets used by head h's support vectors and counts new rows. */
static void mark_buckets(struct tn_predictor *p, const struct svm_model *m)
{
	int s;

	for (s = 0; s < m->l; s++) {
		const struct svm_node *x;

		for (x = m->SV[s]; x->index != -1; x++) {
			uint32_t b = (uint32_t)x->index - 1;

			if (!p->slot[b])
				p->slot[b] = (uint32_t)++p->nrows;
		}
	}
}

/* liblinear: buckets with a non-zero weight for any class. */
static void mark_buckets_lin(struct tn_predictor *p, const struct model *m, size_t nw)
{
	size_t j, k, nf = (size_t)m->nr_feature;

	for (j = 0; j < nf && j < p->nbuckets; j++)
		for (k = 0; k < nw; k++)
			if (m->w[j * nw + k] != 0.0) {
				if (!p->slot[j])
					p->slot[j] = (uint32_t)++p->nrows;
				break;
			}
}

static void collapse_lin(struct tn_predictor *p, const struct head_plan *hp)
{
	const struct model *m = hp->lin;
	size_t j, k, nw = hp->npair, nf = (size_t)m->nr_feature;

	for (j = 0; j < nf && j < p->nbuckets; j++) {
		if (!p->slot[j])
			continue;
		for (k = 0; k < nw; k++)
			p->w[(size_t)(p->slot[j] - 1) * p->ncols + hp->dec_off + k] = m->w[j * nw + k];
	}
}

/* Adds head h's collapsed pair weights into its columns of the rows. */
static void collapse(struct tn_predictor *p, const struct head_plan *hp)
{
	const struct svm_model *m = hp->svm;
	size_t k = hp->nclass, i, j, col = hp->dec_off;
	int *start = malloc(k * sizeof(int));

	start[0] = 0;
	for (i = 1; i < k; i++)
		start[i] = start[i - 1] + m->nSV[i - 1];
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++, col++) {
			int s;

			for (s = start[i]; s < start[i] + m->nSV[i]; s++) {
				double c = m->sv_coef[j - 1][s];
				const struct svm_node *x;

				for (x = m->SV[s]; x->index != -1; x++)
					p->w[(size_t)(p->slot[x->index - 1] - 1) * p->ncols + col] += c * x->value;
			}
			for (s = start[j]; s < start[j] + m->nSV[j]; s++) {
				double c = m->sv_coef[i][s];
				const struct svm_node *x;

				for (x = m->SV[s]; x->index != -1; x++)
					p->w[(size_t)(p->slot[x->index - 1] - 1) * p->ncols + col] += c * x->value;
			}
		}
	free(start);
}

/*
 * The bits set in x, inline: without -mpopcnt (not in the x86-64 baseline)
 * __builtin_popcountll is a call into libgcc, 1.4 % of classify (callgrind).
 */
static inline uint32_t popcount64(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
	return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
}

/* 1 + the ent index of bucket b, or 0 if b is not kept. */
static inline uint32_t entry_of(const struct tn_predictor *p, uint32_t b)
{
	const struct kept *k = &p->kept[b / 64];
	uint64_t bits = k->bits, below = ((uint64_t)1 << (b % 64)) - 1;
	uint32_t on = (uint32_t)(bits >> (b % 64)) & 1;

	/* Without a branch: whether a bucket is kept is a coin toss to the predictor. */
	return (k->rank + popcount64(bits & below) + 1) & (0u - on);
}

/*
 * dec[0..nc) += w * row[0..nc), two columns a step on distinct arrays, which
 * the compiler turns into SIMD pairs; each column adds in the same order as a
 * plain loop, so the sums are bit-identical.
 */
static inline void add_row(double *restrict dec, const double *restrict row, double w, size_t nc)
{
	size_t k;

	for (k = 0; k + 2 <= nc; k += 2) {
		dec[k] += w * row[k];
		dec[k + 1] += w * row[k + 1];
	}
	if (k < nc)
		dec[k] += w * row[k];
}

/*
 * One lookup per bucket for the fused path: idf and weight row together, in
 * compact arrays that stay in cache (the 2^bits tables do not).
 */
static int build_entries(struct tn_predictor *p, const struct tn_bundle *b)
{
	size_t bk, n = 0, h;

	p->feat = &b->feat;
	p->idf = b->idf;
	for (h = 0; h < p->nheads; h++)
		p->any_rbf |= !p->heads[h].linear;
	p->kept = calloc(p->nbuckets / 64 + 1, sizeof(*p->kept));
	if (!p->kept)
		return TN_ENOMEM;
	for (bk = 0; bk < p->nbuckets; bk++)
		n += b->idf[bk] != 0.0f;
	p->ent = malloc((n + 1) * sizeof(*p->ent));
	if (!p->ent)
		return TN_ENOMEM;
	/* ent[0]: what a bucket that is not kept finds (entry_of gives 0), weight 0, no row. */
	p->ent[0].idf = 0.0f;
	p->ent[0].row = 0;
	n = 0;
	for (bk = 0; bk < p->nbuckets; bk++) {
		if (b->idf[bk] == 0.0f)
			continue;
		p->ent[n + 1].idf = b->idf[bk];
		p->ent[n + 1].row = p->slot[bk];
		if (!p->kept[bk / 64].bits)
			p->kept[bk / 64].rank = (uint32_t)n;
		p->kept[bk / 64].bits |= (uint64_t)1 << (bk % 64);
		n++;
	}
	/* The slot table is only needed by the vector path; keep it for that. */
	return 0;
}

int tn_predictor_create(struct tn_predictor **out, const struct tn_bundle *b, struct tn_err *err)
{
	struct tn_predictor *p = calloc(1, sizeof(*p));
	size_t h;

	*out = NULL;
	if (!p)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	p->nheads = b->nheads;
	p->nbuckets = (size_t)1 << b->feat.bits;
	p->heads = calloc(b->nheads, sizeof(*p->heads));
	p->slot = calloc(p->nbuckets, sizeof(*p->slot));
	if (!p->heads || !p->slot)
		goto oom;
	for (h = 0; h < b->nheads; h++) {
		struct head_plan *hp = &p->heads[h];
		const struct svm_model *m = b->heads[h].svm;
		const struct model *lm = b->heads[h].lin;
		size_t i;

		if (lm) {
			size_t nw = lm->nr_class == 2 ? 1 : (size_t)lm->nr_class, k;

			hp->lin = lm;
			hp->ovr = 1;
			hp->linear = 1;
			hp->nclass = (size_t)lm->nr_class;
			hp->npair = nw;
			hp->own_rho = calloc(nw, sizeof(double));
			hp->order = malloc(hp->nclass * sizeof(int));
			if (!hp->own_rho || !hp->order)
				goto oom;
			for (k = 0; k < nw; k++)
				hp->own_rho[k] = lm->bias >= 0 ? -lm->w[(size_t)lm->nr_feature * nw + k] * lm->bias : 0.0;
			hp->rho = hp->own_rho;
			for (i = 0; i < hp->nclass; i++)
				hp->order[i] = lm->label[i];
			hp->dec_off = p->ncols;
			p->ncols += nw;
			mark_buckets_lin(p, lm, nw);
		} else {
			hp->svm = m;
			hp->nclass = (size_t)m->nr_class;
			hp->npair = hp->nclass * (hp->nclass - 1) / 2;
			hp->linear = m->param.kernel_type == LINEAR;
			hp->rho = m->rho;
			hp->probA = m->probA && m->probB ? m->probA : NULL;
			hp->probB = m->probA && m->probB ? m->probB : NULL;
			hp->order = malloc(hp->nclass * sizeof(int));
			if (!hp->order)
				goto oom;
			for (i = 0; i < hp->nclass; i++)
				hp->order[i] = m->label[i];
			if (hp->linear) {
				hp->dec_off = p->ncols;
				p->ncols += hp->npair;
				mark_buckets(p, m);
			}
			hp->ovr_pairs = tn_head_is_ovr_pairs(&b->heads[h]);
		}
		{
			double t = tn_head_temperature(&b->heads[h]);

			if (t < 0 || (t > 0 && !hp->ovr && !hp->ovr_pairs)) {
				tn_predictor_free(p);
				return tn_err_set(err, TN_EMODEL, "head '%s': %s", b->heads[h].name,
						  t < 0 ? "its softmax temperature is not a number within 1e-6..1e6"
							: "a softmax temperature, but the model is not one-vs-rest");
			}
			hp->beta = t > 0 ? 1.0 / t : 0;
		}
		if (hp->npair > p->max_pairs)
			p->max_pairs = hp->npair;
		if (hp->nclass > p->max_class)
			p->max_class = hp->nclass;
	}
	if (p->ncols && p->nrows) {
		p->w = calloc(p->nrows * p->ncols, sizeof(*p->w));
		if (!p->w)
			goto oom;
		for (h = 0; h < b->nheads; h++)
			if (p->heads[h].ovr)
				collapse_lin(p, &p->heads[h]);
			else if (p->heads[h].linear)
				collapse(p, &p->heads[h]);
	}
	if (build_entries(p, b))
		goto oom;
	*out = p;
	return 0;
oom:
	tn_predictor_free(p);
	return tn_err_set(err, TN_ENOMEM, "out of memory building the predictor");
}

struct tn_predict_scratch *tn_predict_scratch_create(const struct tn_predictor *p)
{
	struct tn_predict_scratch *s = calloc(1, sizeof(*s));
	size_t k = p->max_class ? p->max_class : 2;

	if (!s)
		return NULL;
	s->dec = calloc(p->ncols + 1, sizeof(double));
	s->dec1 = calloc(p->max_pairs + 1, sizeof(double));
	s->r = calloc(k * k, sizeof(double));
	s->couple = calloc(k * k + k, sizeof(double));
	s->prob = calloc(k, sizeof(double));
	s->votes = calloc(k, sizeof(int));
	s->cls = calloc(k, sizeof(double));
	if (!s->dec || !s->dec1 || !s->r || !s->couple || !s->prob || !s->votes || !s->cls) {
		tn_predict_scratch_free(s);
		return NULL;
	}
	return s;
}

void tn_predict_scratch_free(struct tn_predict_scratch *s)
{
	if (!s)
		return;
	free(s->dec);
	free(s->dec1);
	free(s->r);
	free(s->couple);
	free(s->prob);
	free(s->votes);
	free(s->cls);
	tn_vec_release(&s->vec);
	free(s->fuse_e);
	free(s->fuse_w);
	free(s->nodes);
	free(s);
}

static void linear_decisions(const struct tn_predictor *p, const struct tn_vec *x, double *dec)
{
	size_t i, c, nc = p->ncols;

	memset(dec, 0, nc * sizeof(*dec));
	for (i = 0; i < x->n; i++) {
		uint32_t r = p->slot[x->idx[i] - 1];
		const double *row;
		double v = x->val[i];

		if (!r)
			continue;
		row = p->w + (size_t)(r - 1) * nc;
		for (c = 0; c < nc; c++)
			dec[c] += v * row[c];
	}
}

static int rbf_decisions(const struct head_plan *hp, struct tn_predict_scratch *s,
			 const struct tn_vec *x, double *dec)
{
	size_t i;

	if (x->n + 1 > s->nodes_cap) {
		struct svm_node *n = realloc(s->nodes, (x->n + 1) * sizeof(*n));

		if (!n)
			return TN_ENOMEM;
		s->nodes = n;
		s->nodes_cap = x->n + 1;
	}
	for (i = 0; i < x->n; i++) {
		s->nodes[i].index = (int)x->idx[i];
		s->nodes[i].value = x->val[i];
	}
	s->nodes[x->n].index = -1;
	svm_predict_values(hp->svm, s->nodes, dec);
	return 0;
}

static double sigmoid_predict(double dec, double A, double B)
{
	double f = dec * A + B;

	/* Written two ways so that exp() never overflows. */
	return f >= 0 ? exp(-f) / (1.0 + exp(-f)) : 1.0 / (1.0 + exp(f));
}

void tn_couple_probabilities(size_t k, const double *r, double *p, double *work)
{
	size_t t, j, it, max_iter = k > 100 ? k : 100;
	double *Q = work, *Qp = work + k * k;
	double pQp, eps = 0.005 / (double)k;

	for (t = 0; t < k; t++) {
		p[t] = 1.0 / (double)k;
		Q[t * k + t] = 0;
		for (j = 0; j < k; j++) {
			if (j == t)
				continue;
			Q[t * k + t] += r[j * k + t] * r[j * k + t];
			Q[t * k + j] = -r[j * k + t] * r[t * k + j];
		}
	}
	for (it = 0; it < max_iter; it++) {
		double max_err = 0;

		pQp = 0;
		for (t = 0; t < k; t++) {
			Qp[t] = 0;
			for (j = 0; j < k; j++)
				Qp[t] += Q[t * k + j] * p[j];
			pQp += p[t] * Qp[t];
		}
		for (t = 0; t < k; t++) {
			double e = fabs(Qp[t] - pQp);

			if (e > max_err)
				max_err = e;
		}
		if (max_err < eps)
			break;
		for (t = 0; t < k; t++) {
			double diff = (-Qp[t] + pQp) / Q[t * k + t];
			/* libsvm divides by 1 + diff; one reciprocal instead of 2k divisions. */
			double inv = 1.0 / (1 + diff);

			p[t] += diff;
			pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) * inv * inv;
			for (j = 0; j < k; j++) {
				Qp[j] = (Qp[j] + diff * Q[t * k + j]) * inv;
				p[j] *= inv;
			}
		}
	}
}

void tn_softmax(size_t k, const double *s, double beta, double *p)
{
	double top = -INFINITY, sum = 0;
	size_t j;

	for (j = 0; j < k; j++)
		if (beta * s[j] > top)
			top = beta * s[j];
	for (j = 0; j < k; j++)
		sum += (p[j] = exp(beta * s[j] - top));
	for (j = 0; j < k; j++)
		p[j] /= sum;
}

/*
 * One-vs-rest class scores, in the model's class order, from a head's
 * decision values: liblinear's per class (two classes: s_0 = dec, s_1 = 0);
 * libsvm's form: pair values dec(0, j) = s_0 - s_j, so s_0 = 0, s_j = -dec(0, j).
 * Only differences of scores matter for the class and the softmax.
 */
static void class_scores(const struct head_plan *hp, const double *dec, double *cs)
{
	size_t k = hp->nclass, j;

	if (hp->ovr) {
		if (hp->npair == 1) {
			cs[0] = dec[0];
			cs[1] = 0;
		} else {
			for (j = 0; j < k; j++)
				cs[j] = dec[j];
		}
		return;
	}
	cs[0] = 0;
	for (j = 1; j < k; j++)
		cs[j] = -dec[j - 1];
}

/* Turns one head's decision values into a class and score(s). */
static void decide(const struct head_plan *hp, int margins, struct tn_predict_scratch *s, const double *dec,
		   struct tn_head_result *res, double *all)
{
	size_t k = hp->nclass, i, j, pr = 0, best = 0;

	if (hp->beta > 0 && !margins) {
		/* Calibrated one-vs-rest: softmax of the class scores (tn_head_class_scores). */
		double *cs = s->cls, *prob = s->prob;

		class_scores(hp, dec, cs);
		for (i = 1; i < k; i++)
			if (cs[i] > cs[best])
				best = i;
		tn_softmax(k, cs, hp->beta, prob);
		res->cls = hp->order[best];
		res->score = prob[best];
		if (all)
			for (i = 0; i < k; i++)
				all[hp->order[i]] = prob[i];
		return;
	}
	if (hp->ovr) {
		if (hp->npair == 1) {
			/* Binary liblinear: one weight vector, positive for its first label. */
			best = dec[0] > 0 ? 0 : 1;
			res->cls = hp->order[best];
			res->score = 1.0 / (1.0 + exp(-fabs(dec[0])));
			if (all) {
				all[hp->order[0]] = 1.0 / (1.0 + exp(-dec[0]));
				all[hp->order[1]] = 1.0 / (1.0 + exp(dec[0]));
			}
			return;
		}
		for (i = 1; i < k; i++)
			if (dec[i] > dec[best])
				best = i;
		res->cls = hp->order[best];
		for (i = 0; i < k; i++) {
			/* Class i's margin over the best of the other classes. */
			double other = -INFINITY, m;

			if (!all && i != best)
				continue;
			for (j = 0; j < k; j++)
				if (j != i && dec[j] > other)
					other = dec[j];
			m = dec[i] - other;
			if (i == best)
				res->score = 1.0 / (1.0 + exp(-m));
			if (all)
				all[hp->order[i]] = 1.0 / (1.0 + exp(-m));
		}
		return;
	}
	if (hp->probA && !margins) {
		double *r = s->r, *prob = s->prob;

		for (i = 0; i < k; i++)
			for (j = i + 1; j < k; j++, pr++) {
				double v = sigmoid_predict(dec[pr], hp->probA[pr], hp->probB[pr]);

				v = v < 1e-7 ? 1e-7 : v > 1 - 1e-7 ? 1 - 1e-7 : v;
				r[i * k + j] = v;
				r[j * k + i] = 1 - v;
			}
		if (k == 2) {
			prob[0] = r[1];
			prob[1] = r[2];
		} else {
			tn_couple_probabilities(k, r, prob, s->couple);
		}
		for (i = 1; i < k; i++)
			if (prob[i] > prob[best])
				best = i;
		res->cls = hp->order[best];
		res->score = prob[best];
		if (all)
			for (i = 0; i < k; i++)
				all[hp->order[i]] = prob[i];
		return;
	}
	memset(s->votes, 0, k * sizeof(int));
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++, pr++)
			s->votes[dec[pr] > 0 ? i : j]++;
	for (i = 1; i < k; i++)
		if (s->votes[i] > s->votes[best])
			best = i;
	res->cls = hp->order[best];
	for (i = 0; i < k; i++) {
		/* Class i's smallest signed margin against every other class. */
		double m = INFINITY;

		if (!all && i != best)
			continue;
		for (j = 0; j < k; j++) {
			size_t a = i < j ? i : j, c = i < j ? j : i, idx;
			double d;

			if (j == i)
				continue;
			idx = a * (2 * k - a - 1) / 2 + (c - a - 1);
			d = i < j ? dec[idx] : -dec[idx];
			if (d < m)
				m = d;
		}
		if (i == best)
			res->score = 1.0 / (1.0 + exp(-m));
		if (all)
			all[hp->order[i]] = 1.0 / (1.0 + exp(-m));
	}
}

int tn_predict(const struct tn_predictor *p, struct tn_predict_scratch *s, const struct tn_vec *x,
	       struct tn_head_result *res, double *const *all)
{
	size_t h;

	if (p->ncols)
		linear_decisions(p, x, s->dec);
	for (h = 0; h < p->nheads; h++) {
		const struct head_plan *hp = &p->heads[h];
		const double *dec;

		if (hp->linear) {
			size_t c;
			double *d = s->dec + hp->dec_off;

			for (c = 0; c < hp->npair; c++)
				d[c] -= hp->rho[c];
			dec = d;
		} else {
			if (rbf_decisions(hp, s, x, s->dec1))
				return TN_ENOMEM;
			dec = s->dec1;
		}
		decide(hp, p->margins, s, dec, &res[h], all ? all[h] : NULL);
	}
	return 0;
}

int tn_predict_counts(const struct tn_predictor *p, struct tn_predict_scratch *s,
		      const struct tn_counts *c, struct tn_head_result *res, double *const *all)
{
	size_t i, h, m = 0, nc = p->ncols;
	double norm2 = 0, scale;
	double *dec = s->dec;

	if (p->any_rbf) {
		if (tn_feat_weigh(p->feat, p->idf, c, &s->vec))
			return TN_ENOMEM;
		return tn_predict(p, s, &s->vec, res, all);
	}
	if (c->n > s->fuse_cap) {
		uint32_t *e = realloc(s->fuse_e, c->n * sizeof(*e));
		double *w;

		if (!e)
			return TN_ENOMEM;
		s->fuse_e = e;
		w = realloc(s->fuse_w, c->n * sizeof(*w));
		if (!w)
			return TN_ENOMEM;
		s->fuse_w = w;
		s->fuse_cap = c->n;
	}
	/*
	 * Three passes, so that the random loads of each pass are independent of
	 * one another and the processor overlaps their cache misses.
	 */
	for (i = 0; i < c->n; i++)
		s->fuse_e[i] = entry_of(p, c->bucket[i]);
	/*
	 * No branch on whether a bucket is kept or has a row either: a bucket
	 * that is not finds ent[0], weight 0 (adding 0 to norm2 changes no bit)
	 * and no row, so its slot in fuse_e is written and then reused.
	 */
	for (i = 0; i < c->n; i++) {
		const struct ent *en = &p->ent[s->fuse_e[i]];
		double w;

		if (i + 8 < c->n)
			__builtin_prefetch(&p->ent[s->fuse_e[i + 8]]);
		w = tn_feat_tf(p->feat, c->count[i]) * (double)en->idf;
		norm2 += w * w;
		s->fuse_e[m] = en->row - 1;
		s->fuse_w[m] = w;
		m += en->row != 0;
	}
	memset(dec, 0, nc * sizeof(*dec));
	for (i = 0; i < m && i < 8; i++)
		__builtin_prefetch(p->w + (size_t)s->fuse_e[i] * nc);
	for (i = 0; i < m; i++) {
		const double *row = p->w + (size_t)s->fuse_e[i] * nc;

		if (i + 8 < m) {
			const double *ahead = p->w + (size_t)s->fuse_e[i + 8] * nc;

			__builtin_prefetch(ahead);
			__builtin_prefetch(ahead + nc - 1);
		}
		add_row(dec, row, s->fuse_w[i], nc);
	}
	scale = norm2 > 0 ? 1.0 / sqrt(norm2) : 0.0;
	for (h = 0; h < p->nheads; h++) {
		const struct head_plan *hp = &p->heads[h];
		double *d = dec + hp->dec_off;
		size_t k;

		for (k = 0; k < hp->npair; k++)
			d[k] = d[k] * scale - hp->rho[k];
		decide(hp, p->margins, s, d, &res[h], all ? all[h] : NULL);
	}
	return 0;
}

int tn_predict_decision_values(const struct tn_predictor *p, struct tn_predict_scratch *s,
			       size_t h, const struct tn_vec *x, double *dec)
{
	const struct head_plan *hp = &p->heads[h];
	size_t c;

	if (!hp->linear)
		return rbf_decisions(hp, s, x, dec);
	linear_decisions(p, x, s->dec);
	for (c = 0; c < hp->npair; c++)
		dec[c] = s->dec[hp->dec_off + c] - hp->rho[c];
	return 0;
}
