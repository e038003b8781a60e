/*
 * text.h - the tokenizer: UTF-8 text in, case-folded word tokens out.
 *
 * Rules (the README repeats them):
 *  - the input must be valid UTF-8 without NUL bytes, else TN_EFORMAT with the
 *    byte offset of the first bad byte;
 *  - a token is a maximal run of letters (Unicode L*), digits and numbers (N*)
 *    and combining marks (M*); everything else separates tokens;
 *  - every code point is case-folded with Unicode full case folding (utf8proc's
 *    UTF8PROC_CASEFOLD), so "Straße" and "STRASSE" give the same token;
 *  - Han, Hiragana and Katakana characters, written without spaces, are each a
 *    token of their own;
 *  - a token longer than TN_TOKEN_MAX bytes is cut there.
 * ASCII takes a table-driven fast path with the same result as the Unicode path.
 */
#ifndef TN_TEXT_H
#define TN_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TN_TOKEN_MAX 256

/*
 * Tokens of one text: folded bytes back to back, token i at bytes[off[i]..off[i+1]).
 * At least 16 bytes of bytes[] follow bytes[nbytes] (tn_text_tokenize reserves 3
 * an input byte, the most folding makes, and 16 more), so a reader may load 16
 * bytes from any token's start.
 */
struct tn_tokens {
	char *bytes;
	size_t nbytes, bytes_cap;
	uint32_t *off;      /* n + 1 entries when n > 0 */
	size_t n, off_cap;
};

void tn_tokens_init(struct tn_tokens *t);
void tn_tokens_release(struct tn_tokens *t);

/*
 * Splits text[0..len) into tokens, replacing what t held.  Returns 0,
 * TN_EFORMAT (invalid UTF-8 or a NUL byte; *bad_offset gets its byte offset
 * when bad_offset is non-NULL) or TN_ENOMEM.  Thread-safe for distinct t.
 */
int tn_text_tokenize(struct tn_tokens *t, const char *text, size_t len, size_t *bad_offset);

/* Returns 1 if s[0..len) is valid UTF-8 with no NUL byte, else 0 and *bad_offset. */
int tn_text_valid_utf8(const char *s, size_t len, size_t *bad_offset);

/*
 * The length of the longest prefix of valid UTF-8 s[0..len) that is at most
 * max bytes and ends on a character boundary (never inside a character).
 */
size_t tn_text_utf8_prefix(const char *s, size_t len, size_t max);

#endif
