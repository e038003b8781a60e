/*
 * jsonscan.c - the members of a flat JSON object without a tree; the contract
 * and why it exists are in jsonscan.h.
 *
 * Every check errs towards "not mine": any doubt returns 0 and cJSON decides,
 * so the scanner never accepts a line cJSON would refuse nor reads it
 * differently.  Strings are searched with memchr for the closing quote and for
 * backslashes, so a text without escapes costs two vectorised passes and no
 * copy.
 */
#include "jsonscan.h"

#include <stdint.h>
#include <string.h>

typedef const unsigned char *cur;

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static cur skip_ws(cur p, cur e)
{
	while (p < e && is_ws(*p))
		p++;
	return p;
}

/* The value of four hex digits at p, or -1. */
static long hex4(cur p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* The UTF-8 bytes of code point cp (1..0x10FFFF, not a surrogate) at out; returns their number. */
static size_t put_utf8(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * The escape at b (a backslash, b < e): its decoded bytes into out (when out
 * is not NULL) and *outlen; returns the byte after it, or NULL if it is not
 * an escape this scanner takes.  One code point is at most 4 bytes, fewer
 * than the 6 or 12 of its escape, so decoding never outgrows the input.
 */
static cur escape(cur b, cur e, unsigned char *out, size_t *outlen)
{
	unsigned char tmp[4];
	long hi, lo;
	uint32_t cp;

	if (e - b < 2)
		return NULL;
	switch (b[1]) {
	case '"': case '\\': case '/': tmp[0] = b[1]; break;
	case 'b': tmp[0] = '\b'; break;
	case 'f': tmp[0] = '\f'; break;
	case 'n': tmp[0] = '\n'; break;
	case 'r': tmp[0] = '\r'; break;
	case 't': tmp[0] = '\t'; break;
	case 'u':
		if (e - b < 6 || (hi = hex4(b + 2)) <= 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
			return NULL;   /* bad hex, \u0000 (a NUL) or a lone low surrogate */
		if (hi >= 0xD800 && hi <= 0xDBFF) {
			if (e - b < 12 || b[6] != '\\' || b[7] != 'u' || (lo = hex4(b + 8)) < 0xDC00 || lo > 0xDFFF)
				return NULL;
			cp = 0x10000 + (((uint32_t)hi & 0x3FF) << 10 | ((uint32_t)lo & 0x3FF));
			*outlen = put_utf8(out ? out : tmp, cp);
			return b + 12;
		}
		*outlen = put_utf8(out ? out : tmp, (uint32_t)hi);
		return b + 6;
	default:
		return NULL;
	}
	if (out)
		out[0] = tmp[0];
	*outlen = 1;
	return b + 2;
}

/*
 * The string whose opening quote is at p.  Returns the byte after its closing
 * quote, or NULL.  With dst, its decoded bytes are in *val, *len: in the line
 * when it has no escape, else written at *dst, which is then advanced.
 */
static cur scan_string(cur p, cur e, unsigned char **dst, const char **val, size_t *len)
{
	cur start = ++p, q = NULL;
	unsigned char *out = NULL;

	for (;;) {
		cur b;
		size_t k;

		/* The next quote, searched again only once an escape has passed it (\"). */
		if (!q || q < p) {
			q = memchr(p, '"', (size_t)(e - p));
			if (!q)
				return NULL;
		}
		b = memchr(p, '\\', (size_t)(q - p));
		if (!b)
			break;
		if (dst && !out)
			out = *dst;
		if (out) {
			memcpy(out, p, (size_t)(b - p));
			out += b - p;
		}
		p = escape(b, e, out, &k);
		if (!p)
			return NULL;
		if (out)
			out += k;
	}
	if (!dst)
		return q + 1;
	if (!out) {
		*val = (const char *)start;
		*len = (size_t)(q - start);
		return q + 1;
	}
	memcpy(out, p, (size_t)(q - p));
	out += q - p;
	*val = (const char *)*dst;
	*len = (size_t)(out - *dst);
	*dst = out;
	return q + 1;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* A number of JSON's grammar at p, at most 32 characters (cJSON reads at most 63); NULL if not. */
static cur scan_number(cur p, cur e)
{
	cur n0 = p;

	if (p < e && *p == '-')
		p++;
	if (p >= e || !is_digit(*p))
		return NULL;
	if (*p++ != '0')
		while (p < e && is_digit(*p))
			p++;
	if (p < e && *p == '.') {
		if (++p >= e || !is_digit(*p))
			return NULL;
		while (p < e && is_digit(*p))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !is_digit(*p))
			return NULL;
		while (p < e && is_digit(*p))
			p++;
	}
	return p - n0 <= 32 ? p : NULL;
}

static cur scan_literal(cur p, cur e)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t i;

	for (i = 0; i < 3; i++) {
		size_t l = strlen(lit[i]);

		if ((size_t)(e - p) >= l && !memcmp(p, lit[i], l))
			return p + l;
	}
	return NULL;
}

int tn_jscan_object(const char *s, size_t n, struct tn_jscan_field *f, size_t nf, struct tn_buf *scratch)
{
	cur p = (cur)s, e = p + n;
	unsigned char *dst;
	size_t i;

	for (i = 0; i < nf; i++)
		f[i].kind = TN_JSCAN_ABSENT;
	tn_buf_reset(scratch);
	if (tn_buf_grow(scratch, n))
		return 0;
	dst = (unsigned char *)scratch->ptr;
	p = skip_ws(p, e);
	if (p >= e || *p != '{')
		return 0;
	p = skip_ws(p + 1, e);
	if (p < e && *p == '}') {
		p++;
		goto after;
	}
	for (;;) {
		cur key, q;
		size_t klen;
		int want = 0;

		if (p >= e || *p != '"')
			return 0;
		key = p + 1;
		q = memchr(key, '"', (size_t)(e - key));
		if (!q || memchr(key, '\\', (size_t)(q - key)))
			return 0;
		klen = (size_t)(q - key);
		p = skip_ws(q + 1, e);
		if (p >= e || *p != ':')
			return 0;
		p = skip_ws(p + 1, e);
		if (p >= e)
			return 0;
		/* Which wanted members this is the first occurrence of. */
		for (i = 0; i < nf; i++)
			if (f[i].kind == TN_JSCAN_ABSENT && !strncmp(f[i].name, (const char *)key, klen) &&
			    f[i].name[klen] == '\0')
				want = 1;
		if (*p == '"') {
			const char *val = NULL;
			size_t len = 0;

			q = scan_string(p, e, want ? &dst : NULL, &val, &len);
			if (!q)
				return 0;
			for (i = 0; want && i < nf; i++)
				if (f[i].kind == TN_JSCAN_ABSENT && !strncmp(f[i].name, (const char *)key, klen) &&
				    f[i].name[klen] == '\0') {
					f[i].kind = TN_JSCAN_STRING;
					f[i].val = val;
					f[i].len = len;
				}
		} else {
			enum tn_jscan_kind k = TN_JSCAN_NUMBER;

			if (*p == '-' || is_digit(*p)) {
				q = scan_number(p, e);
			} else {
				q = scan_literal(p, e);
				k = TN_JSCAN_LITERAL;
			}
			if (!q)
				return 0;
			for (i = 0; want && i < nf; i++)
				if (f[i].kind == TN_JSCAN_ABSENT && !strncmp(f[i].name, (const char *)key, klen) &&
				    f[i].name[klen] == '\0') {
					f[i].kind = k;
					f[i].val = (const char *)p;
					f[i].len = (size_t)(q - p);
				}
		}
		p = skip_ws(q, e);
		if (p < e && *p == ',') {
			p = skip_ws(p + 1, e);
			continue;
		}
		if (p < e && *p == '}') {
			p++;
			break;
		}
		return 0;
	}
after:
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p == e;
}
