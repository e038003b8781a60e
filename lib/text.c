/*
 * text.c - tokenizer; the rules are in text.h.
 *
 * The ASCII table decides most bytes of English news text without calling into
 * utf8proc; any byte >= 0x80 goes through utf8proc_iterate (which also rejects
 * overlong forms and surrogates), utf8proc_category and utf8proc's case folding.
 */
#include "text.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

void tn_tokens_init(struct tn_tokens *t)
{
	memset(t, 0, sizeof(*t));
}

void tn_tokens_release(struct tn_tokens *t)
{
	if (!t)
		return;
	free(t->bytes);
	free(t->off);
	tn_tokens_init(t);
}

static int reserve_bytes(struct tn_tokens *t, size_t need)
{
	return tn_array_grow(&t->bytes, &t->bytes_cap, need, 1, 1024);
}

static int reserve_off(struct tn_tokens *t, size_t need)
{
	return tn_array_grow(&t->off, &t->off_cap, need, sizeof(*t->off), 256);
}

enum cls { SEP, WORD, SOLO };

static enum cls classify_cp(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LO:
		if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
		    (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
		    (cp >= 0x20000 && cp <= 0x3FFFF))
			return SOLO;
		return WORD;
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return WORD;
	default:
		return SEP;
	}
}

/*
 * Closes the open token, if any, at the current end of the bytes.  The offset
 * array has room: tn_text_tokenize reserves one entry per input byte.
 */
static inline void end_token(struct tn_tokens *t, int *open)
{
	if (!*open)
		return;
	*open = 0;
	t->n++;
	t->off[t->n] = (uint32_t)t->nbytes;
}

static inline void start_token(struct tn_tokens *t, int *open)
{
	if (*open)
		return;
	t->off[t->n] = (uint32_t)t->nbytes;
	*open = 1;
}

static size_t token_len(const struct tn_tokens *t)
{
	return t->nbytes - t->off[t->n];
}

/*
 * Appends the case folding of cp to the open token, within TN_TOKEN_MAX.  Once
 * a code point does not fit, *full is set and nothing more is added, so a cut
 * token is a prefix of the whole one.
 */
static int add_folded(struct tn_tokens *t, utf8proc_int32_t cp, int *full)
{
	utf8proc_int32_t dst[8];
	utf8proc_ssize_t nd, i;
	int last = 0;

	nd = utf8proc_decompose_char(cp, dst, 8, UTF8PROC_CASEFOLD, &last);
	if (nd < 0 || nd > 8) {
		dst[0] = cp;
		nd = 1;
	}
	for (i = 0; i < nd; i++) {
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t ne = utf8proc_encode_char(dst[i], enc);

		if (*full || token_len(t) + (size_t)ne > TN_TOKEN_MAX) {
			*full = 1;
			return 0;
		}
		memcpy(t->bytes + t->nbytes, enc, (size_t)ne);
		t->nbytes += (size_t)ne;
	}
	return 0;
}

/* The folded ASCII byte of each byte below 0x80, 0 for separators and bytes >= 0x80. */
#define F(c) ((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : \
	      ((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') ? (c) : 0)
#define F8(b) F(b), F(b + 1), F(b + 2), F(b + 3), F(b + 4), F(b + 5), F(b + 6), F(b + 7)
static const unsigned char fold_table[256] = {
	F8(0), F8(8), F8(16), F8(24), F8(32), F8(40), F8(48), F8(56),
	F8(64), F8(72), F8(80), F8(88), F8(96), F8(104), F8(112), F8(120),
};
#undef F8
#undef F

int tn_text_tokenize(struct tn_tokens *t, const char *text, size_t len, size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	int open = 0, full = 0;

	t->n = 0;
	t->nbytes = 0;
	/* Folding grows a code point to at most 3 code points of 4 bytes; a token takes a byte at least. */
	if (len > ((size_t)1 << 30) || reserve_bytes(t, len * 3 + 16) || reserve_off(t, len + 2))
		return TN_ENOMEM;
	while (i < len) {
		unsigned char c = s[i];

		if (fold_table[c]) {
			/*
			 * A run of ASCII letters and digits, the common case, in one
			 * loop on locals (stores through t->bytes would otherwise reload
			 * t->nbytes) and without a branch for the length cap: once the
			 * token is full, w stops growing and the same byte is rewritten
			 * (the buffer holds 3 bytes an input byte, so it has room).
			 */
			const unsigned char *p = s + i, *e = s + len;
			size_t tl, room, w = 0;
			char *dst;

			if (!open)
				full = 0;
			start_token(t, &open);
			tl = t->nbytes - t->off[t->n];
			room = full || tl >= TN_TOKEN_MAX ? 0 : TN_TOKEN_MAX - tl;
			dst = t->bytes + t->nbytes;
			do {
				dst[w] = (char)fold_table[*p];
				w += w < room;
			} while (++p < e && fold_table[*p]);
			t->nbytes += w;
			i = (size_t)(p - s);
			continue;
		}
		if (c < 0x80) {
			if (c == 0) {
				if (bad_offset)
					*bad_offset = i;
				return TN_EFORMAT;
			}
			end_token(t, &open);
			i++;
			continue;
		}
		{
			utf8proc_int32_t cp;
			utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
			enum cls k;

			if (n <= 0) {
				if (bad_offset)
					*bad_offset = i;
				return TN_EFORMAT;
			}
			k = classify_cp(cp);
			if (k == SEP) {
				end_token(t, &open);
			} else {
				if (k == SOLO)
					end_token(t, &open);
				if (!open)
					full = 0;
				start_token(t, &open);
				add_folded(t, cp, &full);
				if (k == SOLO)
					end_token(t, &open);
			}
			i += (size_t)n;
		}
	}
	end_token(t, &open);
	/* A folded token can be empty only if folding dropped every code point. */
	return 0;
}

int tn_text_valid_utf8(const char *str, size_t len, size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n;

		if (s[i] && s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] == 0) {
			if (bad_offset)
				*bad_offset = i;
			return 0;
		}
		n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			if (bad_offset)
				*bad_offset = i;
			return 0;
		}
		i += (size_t)n;
	}
	return 1;
}

size_t tn_text_utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t k = len < max ? len : max;

	/* A continuation byte 10xxxxxx at s[k] means s[k] is inside a character. */
	while (k > 0 && k < len && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}
