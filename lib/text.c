/*
 * text.c - tokenizer; the rules are in text.h.
 *
 * ASCII text goes through tokenize_ascii's two tight loops and a byte table,
 * without utf8proc; each byte >= 0x80 (and a NUL, an error) goes to the general
 * loop: utf8proc_iterate (which also rejects overlong forms and surrogates),
 * utf8proc_category and utf8proc's case folding, then back to the ASCII loops
 * (callgrind, classify -j 1 on 10 MB of the bench archive: 190 M -> 129 M
 * instructions in the tokenizer, 112 M with a token's bytes four a step
 * without end checks; a SWAR variant, 8 bytes a step, cost more on these short
 * words: 210 M).  On x86-64, ascii_blocks goes first: 32 bytes a step with
 * SSE2 (in every x86-64 processor), whose branches follow the blocks rather
 * than each token's length (the byte loop mispredicts at most token ends).
 */
#include "text.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/*
 * What the ASCII loops do with each byte: a letter or digit gives its folded
 * byte (>= '0'); STOP (a NUL, or a byte >= 0x80) goes to the Unicode rules;
 * SPACE (every other ASCII byte) separates tokens.
 */
enum { SPACE = 0, STOP = 1 };
#define F(c) ((c) == 0 || (c) >= 0x80 ? STOP : (c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : \
	      ((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') ? (c) : SPACE)
#define F8(b) F(b), F(b + 1), F(b + 2), F(b + 3), F(b + 4), F(b + 5), F(b + 6), F(b + 7)
#define F64(b) F8(b), F8(b + 8), F8(b + 16), F8(b + 24), F8(b + 32), F8(b + 40), F8(b + 48), F8(b + 56)
static const unsigned char ascii_table[256] = { F64(0), F64(64), F64(128), F64(192) };
#undef F64
#undef F8
#undef F

#ifdef __SSE2__
/*
 * The block path of tokenize_ascii, the same rules as ascii_table: while 64
 * bytes or more remain (a token's 32-byte copy may read past its block), a
 * 32-byte block's letters and digits become a bit mask (two SSE2 halves) and
 * each run of set bits is a token (or the part of one) in this block, copied
 * folded 32 bytes at once:
 * the bytes buffer has room for 3 an input byte, and what lies past the run is
 * overwritten or beyond nbytes.  Letters fold by setting 0x20, which digits
 * already have.  Returns where it stopped: at a STOP byte (*stop set) or with
 * fewer than 64 bytes left; *pn, *pnb, *open and *full as in tokenize_ascii.
 * (32-byte blocks: the loop's exit, mispredicted about once a block, half as
 * often as with 16: classify -j 1 on 1 GB, see the README.)
 */
static const unsigned char *ascii_blocks(struct tn_tokens *t, const unsigned char *p,
					 const unsigned char *e, size_t *pn, size_t *pnb,
					 int *open, int *full, int *stop)
{
	const __m128i c20 = _mm_set1_epi8(0x20), zero = _mm_setzero_si128();
	const __m128i d_lo = _mm_set1_epi8('0' - 1), d_hi = _mm_set1_epi8('9' + 1);
	const __m128i a_lo = _mm_set1_epi8('a' - 1), a_hi = _mm_set1_epi8('z' + 1);
	uint32_t *off = t->off;
	char *bytes = t->bytes;
	size_t n = *pn, nb = *pnb;

	*stop = 0;
	while (e - p >= 64) {
		/* Signed compares: bytes >= 0x80 are negative, so neither digit nor letter. */
		__m128i v0 = _mm_loadu_si128((const __m128i *)p);
		__m128i v1 = _mm_loadu_si128((const __m128i *)(p + 16));
		__m128i f0 = _mm_or_si128(v0, c20), f1 = _mm_or_si128(v1, c20);
		__m128i w0 = _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v0, d_lo), _mm_cmpgt_epi8(d_hi, v0)),
					  _mm_and_si128(_mm_cmpgt_epi8(f0, a_lo), _mm_cmpgt_epi8(a_hi, f0)));
		__m128i w1 = _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v1, d_lo), _mm_cmpgt_epi8(d_hi, v1)),
					  _mm_and_si128(_mm_cmpgt_epi8(f1, a_lo), _mm_cmpgt_epi8(a_hi, f1)));
		/* Masks of the 32 bytes in 64 bits: ~w always has a bit set, at 32 or above. */
		uint64_t w = (uint64_t)(uint32_t)_mm_movemask_epi8(w0) |
			     (uint64_t)(uint32_t)_mm_movemask_epi8(w1) << 16;
		uint64_t st = (uint64_t)(uint32_t)(_mm_movemask_epi8(v0) |
						   _mm_movemask_epi8(_mm_cmpeq_epi8(v0, zero))) |
			      (uint64_t)(uint32_t)(_mm_movemask_epi8(v1) |
						   _mm_movemask_epi8(_mm_cmpeq_epi8(v1, zero))) << 16;
		uint32_t lim = st ? (uint32_t)__builtin_ctzll(st) : 32;

		w &= ((uint64_t)1 << lim) - 1;
		if (*open) {
			/* The open token goes on with the block's first run (maybe empty). */
			uint32_t run = (uint32_t)__builtin_ctzll(~w);
			size_t tl = nb - off[n];
			size_t room = *full || tl >= TN_TOKEN_MAX ? 0 : TN_TOKEN_MAX - tl;

			_mm_storeu_si128((__m128i *)(bytes + nb), f0);
			_mm_storeu_si128((__m128i *)(bytes + nb + 16), f1);
			nb += run < room ? run : room;
			if (run == lim) {
				if (lim < 32) {
					p += lim;
					goto stopped;
				}
				p += 32;
				continue;
			}
			off[++n] = (uint32_t)nb;
			*open = 0;
			w &= w + 1;
		}
		while (w) {
			uint32_t s0 = (uint32_t)__builtin_ctzll(w);
			uint32_t run = (uint32_t)__builtin_ctzll(~(w >> s0));
			__m128i t0 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(p + s0)), c20);
			__m128i t1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(p + s0 + 16)), c20);

			off[n] = (uint32_t)nb;
			_mm_storeu_si128((__m128i *)(bytes + nb), t0);
			_mm_storeu_si128((__m128i *)(bytes + nb + 16), t1);
			nb += run;
			if (s0 + run == lim) {
				/* Open at the block's end or before a STOP byte. */
				*open = 1;
				*full = 0;
				break;
			}
			off[++n] = (uint32_t)nb;
			w &= w + ((uint64_t)1 << s0);
		}
		if (lim < 32) {
			p += lim;
			goto stopped;
		}
		p += 32;
	}
	*pn = n;
	*pnb = nb;
	return p;
stopped:
	*stop = 1;
	*pn = n;
	*pnb = nb;
	return p;
}
#endif

/*
 * The tokens of s[i..len) while it is ASCII, appended to t, in two tight
 * loops on locals (separators, then a token's letters and digits).  Stops at
 * the end or at a STOP byte and returns that offset.  *open and *full are the
 * general loop's state, in and out: whether a token is open at the offset (it
 * may go on with a non-ASCII letter) and whether it reached TN_TOKEN_MAX.  The
 * general loop handles one non-ASCII character and calls back here, so
 * English text seldom leaves these loops.
 */
static size_t tokenize_ascii(struct tn_tokens *t, const unsigned char *s, size_t i, size_t len,
			     const unsigned char *guard, int *open, int *full)
{
	const unsigned char *p = s + i, *e = s + len;
	uint32_t *off = t->off;
	size_t n = t->n, nb = t->nbytes;
	unsigned char k;

#ifdef __SSE2__
	{
		int stop;

		p = ascii_blocks(t, p, e, &n, &nb, open, full, &stop);
		if (stop)
			goto out;
	}
#endif
	if (p == e)
		goto out;
	for (;;) {
		size_t room = TN_TOKEN_MAX, run;
		char *d, *d0;

		k = ascii_table[*p];
		if (*open) {
			/* Going on with the token the general loop left open. */
			size_t tl = nb - off[n];

			if (k == STOP)
				goto out;
			if (k == SPACE) {
				off[++n] = (uint32_t)nb;
				*open = 0;
				continue;
			}
			room = *full || tl >= TN_TOKEN_MAX ? 0 : TN_TOKEN_MAX - tl;
		} else {
			while (k == SPACE) {
				if (++p == e)
					goto out;
				k = ascii_table[*p];
			}
			if (k == STOP)
				goto out;
			off[n] = (uint32_t)nb;
			*open = 1;
			*full = 0;
		}
		/*
		 * The whole run is copied and then cut to the room left (the
		 * buffer has 3 bytes an input byte): no length check a byte.
		 */
		d = d0 = t->bytes + nb;
		if (p < guard) {
			/* Four bytes a step, with no end check (see guard). */
			for (;;) {
				d[0] = (char)k;
				if ((k = ascii_table[p[1]]) <= STOP) {
					p += 1, d += 1;
					break;
				}
				d[1] = (char)k;
				if ((k = ascii_table[p[2]]) <= STOP) {
					p += 2, d += 2;
					break;
				}
				d[2] = (char)k;
				if ((k = ascii_table[p[3]]) <= STOP) {
					p += 3, d += 3;
					break;
				}
				d[3] = (char)k;
				if ((k = ascii_table[p[4]]) <= STOP) {
					p += 4, d += 4;
					break;
				}
				p += 4, d += 4;
			}
		} else {
			do {
				*d++ = (char)k;
				if (++p == e)
					break;
			} while ((k = ascii_table[*p]) > STOP);
		}
		run = (size_t)(d - d0);
		nb += run < room ? run : room;
		if (p == e || k == STOP)
			goto out;
		off[++n] = (uint32_t)nb;
		*open = 0;
	}
out:
	t->n = n;
	t->nbytes = nb;
	return (size_t)(p - s);
}

int tn_text_tokenize(struct tn_tokens *t, const char *text, size_t len, size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)text, *guard = s + len;
	size_t i = 0;
	int open = 0, full = 0;

	t->n = 0;
	t->nbytes = 0;
	/* Folding grows a code point to at most 3 code points of 4 bytes; a token takes a byte at least. */
	if (len > ((size_t)1 << 30) || reserve_bytes(t, len * 3 + 16) || reserve_off(t, len + 2))
		return TN_ENOMEM;
	/*
	 * guard[-1] is the text's last byte that is no ASCII letter or digit (or
	 * guard is the text): a run starting before it ends there at the latest,
	 * so tokenize_ascii's loop needs no check for the end of the text there.
	 */
	while (guard > s && ascii_table[guard[-1]] > STOP)
		guard--;
	for (;;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n;
		enum cls k;

		i = tokenize_ascii(t, s, i, len, guard, &open, &full);
		if (i >= len)
			break;
		/* A NUL or a byte >= 0x80: the Unicode rules. */
		n = s[i] ? utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp) : 0;
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
