/*
 * modelfile.c - strict readers for libsvm and liblinear model files; see
 * modelfile.h.  The formats are those of libsvm 3.24's svm_save_model and
 * liblinear 2.30's save_model.
 */
#include "modelfile.h"

#include <errno.h>
#include <libsvm/svm.h>
#include <limits.h>
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cursor over the text, line by line, token by token (tokens split on ' '). */
struct cur {
	const char *p, *end;     /* the rest of the data */
	const char *lp, *le;     /* the rest of the current line */
	size_t line;             /* 1-based number of the current line */
};

static int next_line(struct cur *c)
{
	const char *nl;

	if (c->p >= c->end)
		return 0;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	c->lp = c->p;
	c->le = nl ? nl : c->end;
	c->p = nl ? nl + 1 : c->end;
	c->line++;
	return 1;
}

/* The next token of the line: 1 with [*ts, *te), 0 at the line's end. */
static int next_tok(struct cur *c, const char **ts, const char **te)
{
	while (c->lp < c->le && *c->lp == ' ')
		c->lp++;
	if (c->lp >= c->le)
		return 0;
	*ts = c->lp;
	while (c->lp < c->le && *c->lp != ' ')
		c->lp++;
	*te = c->lp;
	return 1;
}

static int tok_is(const char *ts, const char *te, const char *word)
{
	return (size_t)(te - ts) == strlen(word) && !memcmp(ts, word, (size_t)(te - ts));
}

/* Copies a token into buf (NUL-terminated); 0, or -1 if it does not fit. */
static int tok_copy(char *buf, size_t cap, const char *ts, const char *te)
{
	size_t n = (size_t)(te - ts);

	if (n >= cap)
		return -1;
	memcpy(buf, ts, n);
	buf[n] = '\0';
	return 0;
}

/* A whole token as a finite double; 0 or -1. */
static int tok_double(const char *ts, const char *te, double *v)
{
	char buf[64], *end;

	if (tok_copy(buf, sizeof(buf), ts, te))
		return -1;
	errno = 0;
	*v = strtod(buf, &end);
	return end == buf || *end || errno == ERANGE || !isfinite(*v) ? -1 : 0;
}

/* A whole token as a decimal integer within [lo, hi]; 0 or -1. */
static int tok_long(const char *ts, const char *te, long lo, long hi, long *v)
{
	char buf[32], *end;

	if (tok_copy(buf, sizeof(buf), ts, te) || !((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-'))
		return -1;
	errno = 0;
	*v = strtol(buf, &end, 10);
	return end == buf || *end || errno || *v < lo || *v > hi ? -1 : 0;
}

/* Model files are printable ASCII, spaces and newlines: a '\v' or NUL is damage. */
static int check_bytes(const char *data, size_t len, struct tn_err *err)
{
	size_t i, line = 1;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\n')
			line++;
		else if (ch < 0x20 || ch > 0x7e)
			return tn_err_set(err, TN_EMODEL, "line %zu: byte 0x%02x is not part of a model file", line, ch);
	}
	if (len == 0)
		return tn_err_set(err, TN_EMODEL, "the file is empty");
	return 0;
}

static int bad_line(struct tn_err *err, const struct cur *c, const char *what)
{
	return tn_err_set(err, TN_EMODEL, "line %zu: %s", c->line, what);
}

/* Reads exactly n doubles (finite) from the rest of the line into v. */
static int read_doubles(struct cur *c, double *v, size_t n, const char *key, struct tn_err *err)
{
	const char *ts, *te;
	size_t i;

	for (i = 0; i < n; i++)
		if (!next_tok(c, &ts, &te) || tok_double(ts, te, &v[i]))
			return tn_err_set(err, TN_EMODEL, "line %zu: '%s' needs %zu finite numbers", c->line, key, n);
	if (next_tok(c, &ts, &te))
		return tn_err_set(err, TN_EMODEL, "line %zu: '%s' has more than %zu numbers", c->line, key, n);
	return 0;
}

static int read_ints(struct cur *c, int *v, size_t n, long lo, long hi, const char *key, struct tn_err *err)
{
	const char *ts, *te;
	size_t i;
	long x;

	for (i = 0; i < n; i++) {
		if (!next_tok(c, &ts, &te) || tok_long(ts, te, lo, hi, &x))
			return tn_err_set(err, TN_EMODEL, "line %zu: '%s' needs %zu integers within %ld..%ld",
					  c->line, key, n, lo, hi);
		v[i] = (int)x;
	}
	if (next_tok(c, &ts, &te))
		return tn_err_set(err, TN_EMODEL, "line %zu: '%s' has more than %zu numbers", c->line, key, n);
	return 0;
}

/* Labels must be distinct (the predictor maps classes through them). */
static int distinct_labels(const int *label, size_t k, const struct cur *c, struct tn_err *err)
{
	size_t i, j;

	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			if (label[i] == label[j])
				return tn_err_set(err, TN_EMODEL, "line %zu: label %d is listed twice", c->line, label[i]);
	return 0;
}

/* One header line's single word value, e.g. "svm_type c_svc". */
static int one_word(struct cur *c, const char **ts, const char **te, const char *key, struct tn_err *err)
{
	const char *xs, *xe;

	if (!next_tok(c, ts, te))
		return tn_err_set(err, TN_EMODEL, "line %zu: '%s' has no value", c->line, key);
	if (next_tok(c, &xs, &xe))
		return tn_err_set(err, TN_EMODEL, "line %zu: '%s' has more than one value", c->line, key);
	return 0;
}

/* ---- libsvm ---- */

enum { K_SVM_TYPE, K_KERNEL, K_DEGREE, K_GAMMA, K_COEF0, K_NR_CLASS, K_TOTAL_SV, K_RHO, K_LABEL,
       K_PROBA, K_PROBB, K_NR_SV, K_NKEYS };
static const char *const svm_keys[K_NKEYS] = { "svm_type", "kernel_type", "degree", "gamma", "coef0", "nr_class",
					       "total_sv", "rho", "label", "probA", "probB", "nr_sv" };

struct svm_parts {
	int kernel, degree;
	double gamma, coef0;
	long k, l;
	double *rho, *probA, *probB;
	int *label, *nSV;
	double **coef;           /* k - 1 rows of l */
	struct svm_node *x;      /* every SV's nodes, each ended by index -1 */
	size_t nx, capx;
	size_t *off;             /* SV s starts at x + off[s] */
};

static void svm_parts_release(struct svm_parts *s)
{
	long i;

	free(s->rho);
	free(s->probA);
	free(s->probB);
	free(s->label);
	free(s->nSV);
	if (s->coef)
		for (i = 0; i + 1 < s->k; i++)
			free(s->coef[i]);
	free(s->coef);
	free(s->x);
	free(s->off);
}

static int add_node(struct svm_parts *s, int index, double value)
{
	if (s->nx == s->capx) {
		size_t cap = s->capx ? 2 * s->capx : 1024;
		struct svm_node *x = realloc(s->x, cap * sizeof(*x));

		if (!x)
			return TN_ENOMEM;
		s->x = x;
		s->capx = cap;
	}
	s->x[s->nx].index = index;
	s->x[s->nx].value = value;
	s->nx++;
	return 0;
}

static int svm_header(struct cur *c, struct svm_parts *s, size_t nclass, size_t len, struct tn_err *err)
{
	int seen[K_NKEYS] = { 0 };
	const char *ts, *te;
	size_t n = 0;
	int key, rc;

	s->kernel = -1;
	for (;;) {
		if (!next_line(c))
			return tn_err_set(err, TN_EMODEL, "line %zu: the file ends before the line 'SV'", c->line + 1);
		if (!next_tok(c, &ts, &te))
			return bad_line(err, c, "blank line in the header");
		if (tok_is(ts, te, "SV")) {
			if (next_tok(c, &ts, &te))
				return bad_line(err, c, "text after 'SV'");
			break;
		}
		for (key = 0; key < K_NKEYS && !tok_is(ts, te, svm_keys[key]); key++)
			;
		if (key == K_NKEYS) {
			char w[40];

			if (tok_copy(w, sizeof(w), ts, te))
				snprintf(w, sizeof(w), "%.20s...", ts);
			return tn_err_set(err, TN_EMODEL, "line %zu: unknown header line '%s'", c->line, w);
		}
		if (seen[key]++)
			return tn_err_set(err, TN_EMODEL, "line %zu: '%s' given twice", c->line, svm_keys[key]);
		if ((key == K_RHO || key == K_LABEL || key == K_PROBA || key == K_PROBB || key == K_NR_SV) &&
		    !seen[K_NR_CLASS])
			return tn_err_set(err, TN_EMODEL, "line %zu: '%s' before 'nr_class'", c->line, svm_keys[key]);
		rc = 0;
		switch (key) {
		case K_SVM_TYPE:
			if ((rc = one_word(c, &ts, &te, "svm_type", err)))
				break;
			if (!tok_is(ts, te, "c_svc"))
				rc = bad_line(err, c, "only C-SVC models (svm_type c_svc) are supported");
			break;
		case K_KERNEL:
			if ((rc = one_word(c, &ts, &te, "kernel_type", err)))
				break;
			if (tok_is(ts, te, "linear"))
				s->kernel = LINEAR;
			else if (tok_is(ts, te, "rbf"))
				s->kernel = RBF;
			else
				rc = bad_line(err, c, "only linear and rbf kernels are supported");
			break;
		case K_DEGREE: {
			long v = 0;

			if (!(rc = one_word(c, &ts, &te, "degree", err)) && tok_long(ts, te, 0, 100, &v))
				rc = bad_line(err, c, "bad degree");
			s->degree = (int)v;
			break;
		}
		case K_GAMMA:
			rc = read_doubles(c, &s->gamma, 1, "gamma", err);
			break;
		case K_COEF0:
			rc = read_doubles(c, &s->coef0, 1, "coef0", err);
			break;
		case K_NR_CLASS:
			if ((rc = one_word(c, &ts, &te, "nr_class", err)))
				break;
			if (tok_long(ts, te, 2, INT_MAX, &s->k))
				rc = bad_line(err, c, "bad nr_class");
			else if ((size_t)s->k != nclass)
				rc = tn_err_set(err, TN_EMODEL, "has %ld classes, the manifest lists %zu", s->k, nclass);
			else
				n = (size_t)s->k * (size_t)(s->k - 1) / 2;
			break;
		case K_TOTAL_SV:
			/* Every support vector takes a line of at least two bytes. */
			if (!(rc = one_word(c, &ts, &te, "total_sv", err)) &&
			    tok_long(ts, te, 1, (long)(len / 2 < INT_MAX ? len / 2 : INT_MAX), &s->l))
				rc = bad_line(err, c, "bad total_sv (or the file is too short for it)");
			break;
		case K_RHO:
		case K_PROBA:
		case K_PROBB: {
			double **dst = key == K_RHO ? &s->rho : key == K_PROBA ? &s->probA : &s->probB;

			if (!(*dst = malloc(n * sizeof(double))))
				return TN_ENOMEM;
			rc = read_doubles(c, *dst, n, svm_keys[key], err);
			break;
		}
		case K_LABEL:
			if (!(s->label = malloc((size_t)s->k * sizeof(int))))
				return TN_ENOMEM;
			rc = read_ints(c, s->label, (size_t)s->k, 0, (long)nclass - 1, "label", err);
			if (!rc)
				rc = distinct_labels(s->label, (size_t)s->k, c, err);
			break;
		case K_NR_SV:
			if (!(s->nSV = malloc((size_t)s->k * sizeof(int))))
				return TN_ENOMEM;
			rc = read_ints(c, s->nSV, (size_t)s->k, 0, INT_MAX, "nr_sv", err);
			break;
		}
		if (rc)
			return rc;
	}
	for (key = 0; key < K_NKEYS; key++) {
		int required = key == K_SVM_TYPE || key == K_KERNEL || key == K_NR_CLASS || key == K_TOTAL_SV ||
			       key == K_RHO || key == K_LABEL || key == K_NR_SV || (key == K_GAMMA && s->kernel == RBF);

		if (required && !seen[key])
			return tn_err_set(err, TN_EMODEL, "the header has no '%s' line", svm_keys[key]);
	}
	if (seen[K_PROBA] != seen[K_PROBB])
		return tn_err_set(err, TN_EMODEL, "the header has probA without probB or the reverse");
	{
		long sum = 0, i;

		for (i = 0; i < s->k; i++)
			sum += s->nSV[i];
		if (sum != s->l)
			return tn_err_set(err, TN_EMODEL, "nr_sv adds up to %ld, total_sv says %ld", sum, s->l);
	}
	/* Each support vector's line holds k - 1 coefficients of two bytes or more. */
	if ((uint64_t)s->l * (uint64_t)(s->k - 1) > len / 2)
		return tn_err_set(err, TN_EMODEL, "the file is too short for %ld support vectors of %ld classes",
				  s->l, s->k);
	return 0;
}

static int svm_vectors(struct cur *c, struct svm_parts *s, uint32_t max_index, struct tn_err *err)
{
	const char *ts, *te;
	long i, sv;

	if (!(s->coef = calloc((size_t)s->k - 1, sizeof(double *))) || !(s->off = malloc((size_t)s->l * sizeof(size_t))))
		return TN_ENOMEM;
	for (i = 0; i + 1 < s->k; i++)
		if (!(s->coef[i] = malloc((size_t)s->l * sizeof(double))))
			return TN_ENOMEM;
	for (sv = 0; sv < s->l; sv++) {
		long prev = 0;

		if (!next_line(c))
			return tn_err_set(err, TN_EMODEL, "line %zu: the file ends after %ld of %ld support vectors",
					  c->line + 1, sv, s->l);
		for (i = 0; i + 1 < s->k; i++)
			if (!next_tok(c, &ts, &te) || tok_double(ts, te, &s->coef[i][sv]))
				return tn_err_set(err, TN_EMODEL, "line %zu: support vector %ld needs %ld finite coefficients",
						  c->line, sv + 1, s->k - 1);
		s->off[sv] = s->nx;
		while (next_tok(c, &ts, &te)) {
			const char *colon = memchr(ts, ':', (size_t)(te - ts));
			long idx;
			double v;

			if (!colon || tok_long(ts, colon, 1, (long)max_index, &idx) || idx <= prev ||
			    tok_double(colon + 1, te, &v))
				return tn_err_set(err, TN_EMODEL,
						  "line %zu: support vector %ld: expected ascending index:value pairs, "
						  "indices within 1..%u, values finite", c->line, sv + 1, max_index);
			prev = idx;
			if (add_node(s, (int)idx, v))
				return TN_ENOMEM;
		}
		if (add_node(s, -1, 0.0))
			return TN_ENOMEM;
	}
	if (c->p < c->end)
		return tn_err_set(err, TN_EMODEL, "line %zu: text after the %ld support vectors", c->line + 1, s->l);
	return 0;
}

int tn_modelfile_parse_svm(struct svm_model **out, const char *data, size_t len, size_t nclass,
			   uint32_t max_index, struct tn_err *err)
{
	struct svm_parts s;
	struct cur c = { data, data + len, NULL, NULL, 0 };
	struct svm_model *m = NULL;
	long i;
	int rc;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if (nclass < 2 || max_index == 0 || max_index > INT_MAX)
		return tn_err_set(err, TN_EINVAL, "bad arguments");
	rc = check_bytes(data, len, err);
	if (!rc)
		rc = svm_header(&c, &s, nclass, len, err);
	if (!rc)
		rc = svm_vectors(&c, &s, max_index, err);
	if (!rc && !(m = calloc(1, sizeof(*m))))
		rc = TN_ENOMEM;
	if (!rc && !(m->SV = malloc((size_t)s.l * sizeof(*m->SV)))) {
		free(m);
		rc = TN_ENOMEM;
	}
	if (rc) {
		svm_parts_release(&s);
		return rc == TN_ENOMEM ? tn_err_set(err, TN_ENOMEM, "out of memory") : rc;
	}
	/* Laid out as svm_load_model does, so that svm_free_and_destroy_model frees it. */
	m->param.svm_type = C_SVC;
	m->param.kernel_type = s.kernel;
	m->param.degree = s.degree;
	m->param.gamma = s.gamma;
	m->param.coef0 = s.coef0;
	m->nr_class = (int)s.k;
	m->l = (int)s.l;
	for (i = 0; i < s.l; i++)
		m->SV[i] = s.x + s.off[i];
	m->sv_coef = s.coef;
	m->rho = s.rho;
	m->probA = s.probA;
	m->probB = s.probB;
	m->label = s.label;
	m->nSV = s.nSV;
	m->free_sv = 1;
	free(s.off);
	*out = m;
	return 0;
}

/* ---- liblinear ---- */

static const struct { const char *name; int type; } solvers[] = {
	{ "L2R_L2LOSS_SVC_DUAL", L2R_L2LOSS_SVC_DUAL },
	{ "L2R_L2LOSS_SVC", L2R_L2LOSS_SVC },
	{ "L2R_L1LOSS_SVC_DUAL", L2R_L1LOSS_SVC_DUAL },
};

int tn_modelfile_parse_linear(struct model **out, const char *data, size_t len, size_t nclass,
			      uint32_t max_index, struct tn_err *err)
{
	struct cur c = { data, data + len, NULL, NULL, 0 };
	const char *ts, *te;
	int seen_solver = 0, seen_class = 0, seen_feat = 0, seen_bias = 0, solver = -1;
	long k = 0, nf = 0;
	double bias = -1;
	int *label = NULL;
	double *w = NULL;
	struct model *m;
	size_t nw, n, i;
	int rc = check_bytes(data, len, err);

	*out = NULL;
	if (rc)
		return rc;
	for (;;) {
		if (!next_line(&c)) {
			rc = tn_err_set(err, TN_EMODEL, "line %zu: the file ends before the line 'w'", c.line + 1);
			goto fail;
		}
		if (!next_tok(&c, &ts, &te)) {
			rc = bad_line(err, &c, "blank line in the header");
			goto fail;
		}
		if (tok_is(ts, te, "w")) {
			if (next_tok(&c, &ts, &te)) {
				rc = bad_line(err, &c, "text after 'w'");
				goto fail;
			}
			break;
		}
		if (tok_is(ts, te, "solver_type") && !seen_solver++) {
			if ((rc = one_word(&c, &ts, &te, "solver_type", err)))
				goto fail;
			for (i = 0; i < sizeof(solvers) / sizeof(*solvers); i++)
				if (tok_is(ts, te, solvers[i].name))
					solver = solvers[i].type;
			if (solver < 0) {
				rc = bad_line(err, &c, "only liblinear's L2-regularised SVC solvers are supported");
				goto fail;
			}
		} else if (tok_is(ts, te, "nr_class") && !seen_class++) {
			if ((rc = one_word(&c, &ts, &te, "nr_class", err)))
				goto fail;
			if (tok_long(ts, te, 2, INT_MAX, &k)) {
				rc = bad_line(err, &c, "bad nr_class");
				goto fail;
			}
			if ((size_t)k != nclass) {
				rc = tn_err_set(err, TN_EMODEL, "has %ld classes, the manifest lists %zu", k, nclass);
				goto fail;
			}
		} else if (tok_is(ts, te, "label") && !label) {
			if (!seen_class) {
				rc = bad_line(err, &c, "'label' before 'nr_class'");
				goto fail;
			}
			if (!(label = malloc((size_t)k * sizeof(int)))) {
				rc = TN_ENOMEM;
				goto fail;
			}
			if ((rc = read_ints(&c, label, (size_t)k, 0, (long)nclass - 1, "label", err)) ||
			    (rc = distinct_labels(label, (size_t)k, &c, err)))
				goto fail;
		} else if (tok_is(ts, te, "nr_feature") && !seen_feat++) {
			if ((rc = one_word(&c, &ts, &te, "nr_feature", err)))
				goto fail;
			if (tok_long(ts, te, 1, (long)max_index, &nf)) {
				rc = tn_err_set(err, TN_EMODEL, "line %zu: nr_feature must be within 1..%u", c.line, max_index);
				goto fail;
			}
		} else if (tok_is(ts, te, "bias") && !seen_bias++) {
			if ((rc = read_doubles(&c, &bias, 1, "bias", err)))
				goto fail;
		} else {
			rc = bad_line(err, &c, "unknown or repeated header line");
			goto fail;
		}
	}
	if (!seen_solver || !seen_class || !label || !seen_feat || !seen_bias) {
		rc = tn_err_set(err, TN_EMODEL, "the header lacks one of solver_type, nr_class, label, nr_feature, bias");
		goto fail;
	}
	nw = k == 2 ? 1 : (size_t)k;
	n = (size_t)nf + (bias >= 0 ? 1 : 0);
	/* Every weight takes at least two bytes of text. */
	if (n > len / 2 / nw) {
		rc = tn_err_set(err, TN_EMODEL, "the file is too short for %zu x %zu weights", n, nw);
		goto fail;
	}
	if (!(w = malloc(n * nw * sizeof(double)))) {
		rc = TN_ENOMEM;
		goto fail;
	}
	for (i = 0; i < n * nw; i++) {
		while (!next_tok(&c, &ts, &te))
			if (!next_line(&c)) {
				rc = tn_err_set(err, TN_EMODEL, "the file ends after %zu of %zu weights", i, n * nw);
				goto fail;
			}
		if (tok_double(ts, te, &w[i])) {
			rc = tn_err_set(err, TN_EMODEL, "line %zu: weight %zu is not a finite number", c.line, i + 1);
			goto fail;
		}
	}
	for (;;) {
		if (next_tok(&c, &ts, &te))
			break;
		if (!next_line(&c)) {
			ts = NULL;
			break;
		}
	}
	if (ts) {
		rc = tn_err_set(err, TN_EMODEL, "line %zu: text after the %zu weights", c.line, n * nw);
		goto fail;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		rc = TN_ENOMEM;
		goto fail;
	}
	m->param.solver_type = solver;
	m->nr_class = (int)k;
	m->nr_feature = (int)nf;
	m->w = w;
	m->label = label;
	m->bias = bias;
	*out = m;
	return 0;
fail:
	free(label);
	free(w);
	return rc == TN_ENOMEM ? tn_err_set(err, TN_ENOMEM, "out of memory") : rc;
}
