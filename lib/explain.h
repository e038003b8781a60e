/*
 * explain.h - why a head chose its class: each n-gram's contribution.
 *
 * For a one-vs-rest linear head, class c's decision value is
 *     s_c(x) = w_c . x + b_c = sum over features f of x_f w_c,f  +  b_c,
 * so x_f w_c,f is exactly what feature f adds toward class c, and the
 * contributions of all features plus the bias b_c sum to s_c (a unit test
 * checks it to 1e-6).  Two classes: liblinear's one vector w points toward the
 * first class, so w_1 = -w_0 and b_1 = -b_0.  The class chosen is the one
 * of the highest s_c (predict.h).
 *
 * Not defined, and refused by tn_explainer_create:
 *  - one-vs-one heads (--multiclass ovo, --solver libsvm): the class is
 *    elected by votes of k (k - 1) / 2 pair models, each a different linear
 *    function; no single weight per n-gram says why the vote went one way;
 *  - RBF heads: the decision is a sum of kernels over support vectors, not a
 *    sum over features at all.
 *
 * An explainer is read-only once created and may be shared by threads.
 */
#ifndef TN_EXPLAIN_H
#define TN_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "bundle.h"
#include "err.h"
#include "feat.h"

struct tn_explainer;

struct tn_contribution {
	uint32_t bucket;
	double weight;           /* x_f w_c,f */
};

/*
 * Builds the explainer of every head of b (which must outlive it).  0;
 * TN_EINVAL with err naming the head and why it cannot be explained (see
 * above), or a one-vs-rest head of a bundle made before its biases were
 * recorded (retrain it); TN_ENOMEM.
 */
int tn_explainer_create(struct tn_explainer **out, const struct tn_bundle *b, struct tn_err *err);
void tn_explainer_free(struct tn_explainer *e);

/*
 * The contribution of every feature of c (counts of one document, any order;
 * buckets with idf 0 are left out) toward class cls of head h, in c's order,
 * into *v (grown as needed; *cap its capacity), *n of them; *bias gets b_cls.
 * The contributions plus *bias are s_cls.  0 or TN_ENOMEM.
 */
int tn_explain(const struct tn_explainer *e, const struct tn_counts *c, size_t h, int cls,
	       struct tn_contribution **v, size_t *cap, size_t *n, double *bias);

/* Moves the k largest contributions of v[0..n) to its front, largest first; returns min(k, n). */
size_t tn_explain_top(struct tn_contribution *v, size_t n, size_t k);

/*
 * Appends the JSON array [{"ngram": NAME, "weight": W}, ...] of top[0..k) to
 * out, each bucket named by the first n-gram of text[0..len) that hashes to
 * it (scratch s: per thread).  0, TN_EFORMAT or TN_ENOMEM.
 */
int tn_explain_json(const struct tn_feat_opts *o, struct tn_feat_scratch *s, const char *text, size_t len,
		    const struct tn_contribution *top, size_t k, struct tn_buf *out);

/*
 * Appends to out, for every head and class, the k kept buckets of the
 * largest weight w_c,f toward the class, named by names (names.h: the most
 * frequent training n-grams of the bucket, and the second when another
 * n-gram shares it).  0 or TN_ENOMEM.
 */
struct tn_names;
int tn_explain_top_features(const struct tn_explainer *e, const struct tn_names *names, size_t k,
			    struct tn_buf *out);

#endif
