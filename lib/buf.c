/*
 * buf.c - growable byte buffer; see buf.h.
 */
#include "buf.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What an unallocated buffer's ptr points at; never written (len and cap stay 0). */
char tn_buf_empty[1];

void tn_buf_init(struct tn_buf *b)
{
	b->ptr = tn_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void tn_buf_release(struct tn_buf *b)
{
	if (!b)
		return;
	if (b->cap)
		free(b->ptr);
	tn_buf_init(b);
}

int tn_array_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first;
	void *p, *q;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > (size_t)-1 / 2 / size)
			return TN_ENOMEM;
		c *= 2;
	}
	memcpy(&p, arr, sizeof(p));
	q = realloc(p, c * size);
	if (!q)
		return TN_ENOMEM;
	memcpy(arr, &q, sizeof(q));
	*cap = c;
	return 0;
}

int tn_buf_grow(struct tn_buf *b, size_t extra)
{
	int first = !b->cap;

	if (extra > (size_t)-1 / 2 - b->len)
		return TN_ENOMEM;
	if (first)
		b->ptr = NULL;   /* not the shared empty string: realloc(NULL) allocates */
	if (tn_array_grow(&b->ptr, &b->cap, b->len + extra + 1, 1, 64)) {
		if (first)
			b->ptr = tn_buf_empty;
		return TN_ENOMEM;
	}
	if (first)
		b->ptr[0] = '\0';
	return 0;
}

int tn_buf_add(struct tn_buf *b, const void *data, size_t n)
{
	if (tn_buf_grow(b, n))
		return TN_ENOMEM;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int tn_buf_addstr(struct tn_buf *b, const char *s)
{
	return tn_buf_add(b, s, strlen(s));
}

int tn_buf_addch(struct tn_buf *b, char c)
{
	return tn_buf_add(b, &c, 1);
}

int tn_buf_addf(struct tn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || tn_buf_grow(b, (size_t)n))
		return TN_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int tn_buf_add_u64(struct tn_buf *b, unsigned long long v)
{
	char d[20];
	size_t n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return tn_buf_add(b, d + n, sizeof(d) - n);
}

int tn_buf_add_json_string(struct tn_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;

	if (tn_buf_grow(b, n + 2))
		return TN_ENOMEM;
	b->ptr[b->len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
			elen = 6;
		}
		if (tn_buf_add(b, s + start, i - start) || tn_buf_add(b, esc, elen))
			return TN_ENOMEM;
		start = i + 1;
	}
	if (tn_buf_add(b, s + start, n - start) || tn_buf_addch(b, '"'))
		return TN_ENOMEM;
	return 0;
}

void tn_buf_reset(struct tn_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->ptr[0] = '\0';
}

char *tn_buf_detach(struct tn_buf *b, size_t *len)
{
	char *p = b->cap ? b->ptr : calloc(1, 1);

	if (len)
		*len = b->len;
	tn_buf_init(b);
	return p;
}
