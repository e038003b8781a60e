/*
 * test_text.c - the tokenizer (lib/text.h): splitting, Unicode case folding,
 * CJK, rejection of invalid UTF-8 and NUL with the offset, the length cap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/text.h"
#include "testutil.h"

/* Tokenizes text (len bytes) and checks the tokens against the NULL-terminated list. */
static void check_tokens_n(const char *text, size_t len, ...)
{
	struct tn_tokens t;
	size_t i = 0, bad = 12345;
	const char *want;
	va_list ap;

	tn_tokens_init(&t);
	assert_int_equal(tn_text_tokenize(&t, text, len, &bad), 0);
	assert_int_equal(bad, 12345);   /* untouched on success */
	va_start(ap, len);
	while ((want = va_arg(ap, const char *)) != NULL) {
		size_t tl;

		if (i >= t.n)
			fail_msg("text '%s': only %zu tokens, expected more ('%s' next)", text, t.n, want);
		tl = t.off[i + 1] - t.off[i];
		if (tl != strlen(want) || memcmp(t.bytes + t.off[i], want, tl))
			fail_msg("text '%s': token %zu is '%.*s', expected '%s'", text, i, (int)tl,
				 t.bytes + t.off[i], want);
		i++;
	}
	va_end(ap);
	if (i != t.n)
		fail_msg("text '%s': %zu tokens, expected %zu", text, t.n, i);
	tn_tokens_release(&t);
}

#define check_tokens(text, ...) check_tokens_n((text), strlen(text), __VA_ARGS__)

/* The tokens of text joined by '|', malloc'd. */
static char *joined(const char *text)
{
	struct tn_tokens t;
	char *out;
	size_t i, n = 0;

	tn_tokens_init(&t);
	assert_int_equal(tn_text_tokenize(&t, text, strlen(text), NULL), 0);
	out = malloc(t.nbytes + t.n + 1);
	assert_non_null(out);
	for (i = 0; i < t.n; i++) {
		if (i)
			out[n++] = '|';
		memcpy(out + n, t.bytes + t.off[i], t.off[i + 1] - t.off[i]);
		n += t.off[i + 1] - t.off[i];
	}
	out[n] = '\0';
	tn_tokens_release(&t);
	return out;
}

static void assert_same_tokens(const char *a, const char *b)
{
	char *ja = joined(a), *jb = joined(b);

	if (strcmp(ja, jb))
		fail_msg("'%s' -> '%s' but '%s' -> '%s'", a, ja, b, jb);
	free(ja);
	free(jb);
}

static void test_ascii_words(void **state)
{
	(void)state;
	check_tokens("Hello World", "hello", "world", NULL);
	check_tokens("  leading and trailing  ", "leading", "and", "trailing", NULL);
	check_tokens("MiXeD CaSe", "mixed", "case", NULL);
	check_tokens("tabs\tand\nnewlines\r\nhere", "tabs", "and", "newlines", "here", NULL);
	check_tokens("x", "x", NULL);
}

static void test_punctuation_splits(void **state)
{
	(void)state;
	check_tokens("a.b,c;d:e!f?g(h)i[j]k{l}m\"n/o\\p|q", "a", "b", "c", "d", "e", "f", "g", "h",
		     "i", "j", "k", "l", "m", "n", "o", "p", "q", NULL);
	check_tokens("foo-bar baz_qux e@mail.com", "foo", "bar", "baz", "qux", "e", "mail", "com", NULL);
	check_tokens("C++ and C#", "c", "and", "c", NULL);
	/* Unicode punctuation and symbols separate too. */
	check_tokens("hello\xe2\x80\x94world\xe2\x80\xa6" "again \xc2\xabquoted\xc2\xbb \xc2\xbfqu\xc3\xa9?",
		     "hello", "world", "again", "quoted", "qu\xc3\xa9", NULL);
	check_tokens("I \xe2\x9d\xa4 NY \xe2\x82\xac 5", "i", "ny", "5", NULL);
	check_tokens("no\xc2\xa0" "break", "no", "break", NULL);   /* U+00A0 */
}

static void test_digits(void **state)
{
	(void)state;
	check_tokens("In 2024 prices rose 3.5% to $1,200", "in", "2024", "prices", "rose", "3", "5", "to",
		     "1", "200", NULL);
	check_tokens("abc123def 42nd", "abc123def", "42nd", NULL);
	/* Nd, No and Nl are word characters as well. */
	check_tokens("\xd9\xa3\xd9\xa4 \xc2\xbd \xe2\x85\xab", "\xd9\xa3\xd9\xa4", "\xc2\xbd", "\xe2\x85\xbb", NULL);
}

static void test_apostrophes(void **state)
{
	(void)state;
	check_tokens("don't", "don", "t", NULL);
	check_tokens("l\xe2\x80\x99homme", "l", "homme", NULL);   /* U+2019 */
	check_tokens("players' club", "players", "club", NULL);
}

static void test_case_folding(void **state)
{
	(void)state;
	/* Full case folding: sharp s folds to "ss". */
	check_tokens("Stra\xc3\x9f" "e", "strasse", NULL);
	assert_same_tokens("Stra\xc3\x9f" "e", "STRASSE");
	assert_same_tokens("Stra\xc3\x9f" "e", "strasse");
	/* Latin with diacritics. */
	check_tokens("\xc3\x89" "COLE Z\xc3\x9c" "RICH", "\xc3\xa9" "cole", "z\xc3\xbc" "rich", NULL);
	/* Greek, with the final sigma folding to sigma. */
	check_tokens("\xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3",
		     "\xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x83", NULL);
	assert_same_tokens("\xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3", "\xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x82");
	/* Cyrillic. */
	check_tokens("\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90",
		     "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", NULL);
	assert_same_tokens("\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
			   "\xd0\xbc\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90");
	/* Ligatures and title case fold too. */
	assert_same_tokens("\xef\xac\x83" "x", "ffix");   /* U+FB03 */
	assert_same_tokens("\xc7\x85", "\xc7\x84");       /* U+01C5 and U+01C4 fold to U+01C6 */
}

static void test_combining_marks(void **state)
{
	(void)state;
	/* e + COMBINING ACUTE stays inside the word. */
	check_tokens("e\xcc\x81" "cole normale", "e\xcc\x81" "cole", "normale", NULL);
	check_tokens("E\xcc\x81" "COLE", "e\xcc\x81" "cole", NULL);
	/* A mark after a separator starts a token of its own (it is a word character). */
	check_tokens("a \xcc\x81" "b", "a", "\xcc\x81" "b", NULL);
	/* Devanagari vowel signs (Mc/Mn) keep the word whole. */
	check_tokens("\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82\xe0\xa4\xa6\xe0\xa5\x80 \xe0\xa4\xad\xe0\xa4\xbe\xe0\xa4\xb7\xe0\xa4\xbe",
		     "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82\xe0\xa4\xa6\xe0\xa5\x80",
		     "\xe0\xa4\xad\xe0\xa4\xbe\xe0\xa4\xb7\xe0\xa4\xbe", NULL);
}

static void test_cjk_single_chars(void **state)
{
	(void)state;
	/* 東京に行く: Han and Hiragana, each its own token. */
	check_tokens("\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xab\xe8\xa1\x8c\xe3\x81\x8f",
		     "\xe6\x9d\xb1", "\xe4\xba\xac", "\xe3\x81\xab", "\xe8\xa1\x8c", "\xe3\x81\x8f", NULL);
	/* Katakana, and CJK glued to Latin words. */
	check_tokens("abc\xe6\xbc\xa2\xe5\xad\x97" "DEF \xe3\x82\xbf\xe3\x83\xaf",
		     "abc", "\xe6\xbc\xa2", "\xe5\xad\x97", "def", "\xe3\x82\xbf", "\xe3\x83\xaf", NULL);
	/* CJK punctuation separates; Hangul (not written without spaces) keeps words. */
	check_tokens("\xe4\xb8\xad\xe3\x80\x82\xe6\x96\x87", "\xe4\xb8\xad", "\xe6\x96\x87", NULL);
	check_tokens("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xed\x85\x8d\xec\x8a\xa4\xed\x8a\xb8",
		     "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", "\xed\x85\x8d\xec\x8a\xa4\xed\x8a\xb8", NULL);
	/* A supplementary-plane ideograph (U+20000). */
	check_tokens("a\xf0\xa0\x80\x80" "b", "a", "\xf0\xa0\x80\x80", "b", NULL);
}

static void test_empty_input(void **state)
{
	struct tn_tokens t;

	(void)state;
	check_tokens("", NULL);
	check_tokens("  ,.;!? \t\n-- ", NULL);
	tn_tokens_init(&t);
	assert_int_equal(tn_text_tokenize(&t, "", 0, NULL), 0);
	assert_int_equal(t.n, 0);
	/* Reuse replaces what the struct held. */
	assert_int_equal(tn_text_tokenize(&t, "one two", 7, NULL), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(tn_text_tokenize(&t, "...", 3, NULL), 0);
	assert_int_equal(t.n, 0);
	tn_tokens_release(&t);
	tn_tokens_release(NULL);
}

/* Both entry points reject s[0..len) at byte `at`. */
static void check_bad(const char *s, size_t len, size_t at)
{
	struct tn_tokens t;
	size_t off = 999;

	tn_tokens_init(&t);
	assert_int_equal(tn_text_tokenize(&t, s, len, &off), TN_EFORMAT);
	assert_int_equal(off, at);
	assert_int_equal(tn_text_tokenize(&t, s, len, NULL), TN_EFORMAT);
	tn_tokens_release(&t);
	off = 999;
	assert_int_equal(tn_text_valid_utf8(s, len, &off), 0);
	assert_int_equal(off, at);
}

static void test_invalid_utf8(void **state)
{
	size_t off = 7;

	(void)state;
	check_bad("abc\xff", 4, 3);
	check_bad("ab\xc3", 3, 2);                 /* truncated 2-byte sequence */
	check_bad("x \xc0\xaf y", 6, 2);           /* overlong '/' */
	check_bad("\xed\xa0\x80", 3, 0);           /* UTF-16 surrogate */
	check_bad("ok \xf4\x90\x80\x80", 7, 3);    /* above U+10FFFF */
	check_bad("\xc3\xa9t\xc3\xa9 \x80", 7, 6); /* stray continuation byte after valid text */
	check_bad("caf\xc3\xa9\xe2\x82", 7, 5);   /* truncated 3-byte sequence at the end */
	assert_int_equal(tn_text_valid_utf8("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, &off), 1);
	assert_int_equal(off, 7);
	assert_int_equal(tn_text_valid_utf8("", 0, NULL), 1);
}

static void test_nul_rejected(void **state)
{
	(void)state;
	check_bad("ab\0cd", 5, 2);
	check_bad("\0", 1, 0);
	check_bad("\xc3\xa9\0", 3, 2);
	check_bad("word \xe6\x9d\xb1\0", 9, 8);
}

/* Tokens of a text built from repeated pieces. */
static void check_cap(const char *piece, size_t reps, const char *tail, const char *want_piece,
		      size_t want_reps, const char *want_tail)
{
	char text[2048], want[512];
	size_t n = 0, w = 0, i;

	for (i = 0; i < reps; i++, n += strlen(piece))
		memcpy(text + n, piece, strlen(piece));
	strcpy(text + n, tail);
	for (i = 0; i < want_reps; i++, w += strlen(want_piece))
		memcpy(want + w, want_piece, strlen(want_piece));
	strcpy(want + w, want_tail);
	assert_true(w + strlen(want_tail) <= TN_TOKEN_MAX);
	check_tokens(text, want, "next", NULL);
}

static void test_token_cap(void **state)
{
	(void)state;
	/* Long tokens are cut at TN_TOKEN_MAX bytes; the text after them is unaffected. */
	check_cap("a", 300, " next", "a", TN_TOKEN_MAX, "");
	check_cap("A", TN_TOKEN_MAX, " next", "a", TN_TOKEN_MAX, "");
	check_cap("a", TN_TOKEN_MAX - 1, "b next", "a", TN_TOKEN_MAX - 1, "b");
	/* Two-byte letters: 128 fit exactly. */
	check_cap("\xc3\x89", 200, " next", "\xc3\xa9", TN_TOKEN_MAX / 2, "");
	/* Never half a code point: 255 bytes + a 2-byte letter leaves 255 bytes... */
	check_cap("a", TN_TOKEN_MAX - 1, "\xc3\xa9 next", "a", TN_TOKEN_MAX - 1, "");
	/* ...and the cut is a prefix: nothing after the first letter that did not fit. */
	check_cap("a", TN_TOKEN_MAX - 1, "\xc3\xa9z next", "a", TN_TOKEN_MAX - 1, "");
	check_cap("a", TN_TOKEN_MAX - 2, "\xe0\xa4\xb9xyz next", "a", TN_TOKEN_MAX - 2, "");  /* U+0939 */
	/* A folding that expands ("ß" -> "ss") is cut at the byte limit. */
	check_cap("a", TN_TOKEN_MAX - 1, "\xc3\x9f next", "a", TN_TOKEN_MAX - 1, "s");
}

/*
 * ASCII runs take a fast loop that hands each non-ASCII character to the
 * Unicode rules and takes the rest back: tokens run across the switches.
 */
static void test_ascii_unicode_switches(void **state)
{
	(void)state;
	check_tokens("caf\xc3\xa9" "BAR x", "caf\xc3\xa9""bar", "x", NULL);
	check_tokens("\xc3\x89tait-ce l\xc3\xa0?", "\xc3\xa9tait", "ce", "l\xc3\xa0", NULL);
	check_tokens("ab\xe4\xb8\xad" "cd", "ab", "\xe4\xb8\xad", "cd", NULL);
	check_tokens("a\xe2\x80\x99s b", "a", "s", "b", NULL);   /* U+2019 separates */
	check_tokens("x\xcc\x81y Z", "x\xcc\x81y", "z", NULL);   /* a combining mark inside */
	/* A token full of 2-byte letters drops the ASCII letters after them... */
	check_cap("\xc3\x89", TN_TOKEN_MAX / 2, "abc next", "\xc3\xa9", TN_TOKEN_MAX / 2, "");
	/* ...and one byte short of full keeps one of them. */
	check_cap("a", TN_TOKEN_MAX - 3, "\xc3\xa9" "bc next", "a", TN_TOKEN_MAX - 3, "\xc3\xa9""b");
}

/* A prefix of at most max bytes never ends inside a character. */
static void test_utf8_prefix(void **state)
{
	const char *s = "a\xc3\xa9\xe0\xa4\xb9z";   /* a, U+00E9 (2 bytes), U+0939 (3 bytes), z */
	size_t n = strlen(s), k, bad;

	(void)state;
	assert_int_equal(tn_text_utf8_prefix(s, n, 0), 0);
	assert_int_equal(tn_text_utf8_prefix(s, n, 1), 1);
	assert_int_equal(tn_text_utf8_prefix(s, n, 2), 1);   /* inside U+00E9 */
	assert_int_equal(tn_text_utf8_prefix(s, n, 3), 3);
	assert_int_equal(tn_text_utf8_prefix(s, n, 4), 3);   /* inside U+0939 */
	assert_int_equal(tn_text_utf8_prefix(s, n, 5), 3);
	assert_int_equal(tn_text_utf8_prefix(s, n, 6), 6);
	assert_int_equal(tn_text_utf8_prefix(s, n, 7), 7);
	assert_int_equal(tn_text_utf8_prefix(s, n, 1000), 7);
	assert_int_equal(tn_text_utf8_prefix("", 0, 5), 0);
	/* Every cut is valid UTF-8 and the longest such one. */
	for (k = 0; k <= n + 1; k++) {
		size_t p = tn_text_utf8_prefix(s, n, k);

		assert_true(p <= k && p <= n);
		assert_true(tn_text_valid_utf8(s, p, &bad));
		assert_true(p == n || p == k || !tn_text_valid_utf8(s, p + 1, &bad) || p + 1 > k);
	}
}

/*
 * One piece of a random text for test_random_texts: its bytes, and what the
 * rules make of it: a letter or digit (one code point, folded to `fold`,
 * whose code points are added one at a time), a separator, or a Han
 * character (a token of its own).
 */
struct piece {
	const char *bytes;
	enum { P_WORD, P_SEP, P_SOLO } kind;
	const char *fold[2];
};

static const struct piece pieces[] = {
	{ "a", P_WORD, { "a" } }, { "Q", P_WORD, { "q" } }, { "z", P_WORD, { "z" } },
	{ "Z", P_WORD, { "z" } }, { "0", P_WORD, { "0" } }, { "9", P_WORD, { "9" } },
	{ "m", P_WORD, { "m" } }, { "A", P_WORD, { "a" } },
	{ " ", P_SEP, { "" } }, { ".", P_SEP, { "" } }, { "\n", P_SEP, { "" } }, { "@", P_SEP, { "" } },
	{ "[", P_SEP, { "" } }, { "`", P_SEP, { "" } }, { "{", P_SEP, { "" } }, { "/", P_SEP, { "" } },
	{ ":", P_SEP, { "" } }, { "\x7f", P_SEP, { "" } },
	{ "\xc3\xa9", P_WORD, { "\xc3\xa9" } },          /* é */
	{ "\xc3\x89", P_WORD, { "\xc3\xa9" } },          /* É -> é */
	{ "\xc3\x9f", P_WORD, { "s", "s" } },            /* ß -> ss */
	{ "\xe2\x80\x94", P_SEP, { "" } },               /* em dash */
	{ "\xe4\xb8\xad", P_SOLO, { "\xe4\xb8\xad" } },  /* 中 */
};

static uint64_t rnd_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

/* Appends a code point's folded bytes to the reference's open token, within TN_TOKEN_MAX. */
static void ref_add(char *tok, size_t *tl, int *full, const char *cp)
{
	size_t l = strlen(cp);

	if (*full || *tl + l > TN_TOKEN_MAX) {
		*full = 1;
		return;
	}
	memcpy(tok + *tl, cp, l);
	*tl += l;
}

/*
 * Random texts of the pieces above, mostly ASCII, with runs long enough to
 * cross the 16-byte blocks of the ASCII path and to pass TN_TOKEN_MAX,
 * against a reference tokenizer that applies text.h's rules piece by piece.
 */
static void test_random_texts(void **state)
{
	static char text[4096], want[4096 * 3];
	static uint32_t want_off[4096];
	struct tn_tokens t;
	int iter;

	(void)state;
	tn_tokens_init(&t);
	for (iter = 0; iter < 3000; iter++) {
		size_t len = 0, nw = 0, wb = 0, tl = 0, i;
		size_t target = rnd(iter % 10 == 0 ? 3000 : 200);
		char tok[TN_TOKEN_MAX];
		int open = 0, full = 0;
		uint32_t ascii_only = rnd(3) == 0, long_words = rnd(4) == 0;

		while (len < target) {
			/* Runs of one kind: a word, a gap, or a non-ASCII piece now and then. */
			size_t run = long_words ? 1 + rnd(300) : 1 + rnd(12);
			const struct piece *pc;
			size_t k;

			if (!ascii_only && rnd(8) == 0) {
				pc = &pieces[18 + rnd(5)];
				run = 1;
			} else if (rnd(2)) {
				pc = &pieces[rnd(8)];
			} else {
				pc = &pieces[8 + rnd(10)];
				run = 1 + rnd(3);
			}
			for (k = 0; k < run && len + 4 < sizeof(text); k++) {
				const struct piece *q = pc->kind == P_WORD && pc < &pieces[8] ? &pieces[rnd(8)] : pc;
				int j;

				memcpy(text + len, q->bytes, strlen(q->bytes));
				len += strlen(q->bytes);
				if (q->kind == P_SEP || q->kind == P_SOLO) {
					if (open) {
						memcpy(want + wb, tok, tl);
						wb += tl;
						want_off[++nw] = (uint32_t)wb;
						open = 0;
					}
					if (q->kind == P_SEP)
						continue;
				}
				if (!open) {
					want_off[nw] = (uint32_t)wb;
					open = 1;
					full = 0;
					tl = 0;
				}
				for (j = 0; j < 2 && q->fold[j]; j++)
					ref_add(tok, &tl, &full, q->fold[j]);
				if (q->kind == P_SOLO) {
					memcpy(want + wb, tok, tl);
					wb += tl;
					want_off[++nw] = (uint32_t)wb;
					open = 0;
				}
			}
		}
		if (open) {
			memcpy(want + wb, tok, tl);
			wb += tl;
			want_off[++nw] = (uint32_t)wb;
		}
		assert_int_equal(tn_text_tokenize(&t, text, len, NULL), 0);
		if (t.n != nw)
			fail_msg("text %d (%zu bytes): %zu tokens, expected %zu", iter, len, t.n, nw);
		for (i = 0; i < nw; i++) {
			size_t a = want_off[i], b = want_off[i + 1];

			if (t.off[i + 1] - t.off[i] != b - a || memcmp(t.bytes + t.off[i], want + a, b - a))
				fail_msg("text %d (%zu bytes): token %zu is '%.*s', expected '%.*s'", iter, len, i,
					 (int)(t.off[i + 1] - t.off[i]), t.bytes + t.off[i], (int)(b - a), want + a);
		}
	}
	tn_tokens_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_words),
		cmocka_unit_test(test_punctuation_splits),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_apostrophes),
		cmocka_unit_test(test_case_folding),
		cmocka_unit_test(test_combining_marks),
		cmocka_unit_test(test_cjk_single_chars),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_nul_rejected),
		cmocka_unit_test(test_token_cap),
		cmocka_unit_test(test_ascii_unicode_switches),
		cmocka_unit_test(test_utf8_prefix),
		cmocka_unit_test(test_random_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
