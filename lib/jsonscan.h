/*
 * jsonscan.h - a fast path for classify's input records: the wanted members
 * of a flat JSON object, found without building a cJSON tree.
 *
 * Why it exists (the project's rule allows a hand-written stand-in for a
 * library only when a benchmark shows the library is the bottleneck): cJSON's
 * parse of each record was 19 % of classify's instructions with models/news
 * (callgrind, README "Throughput").  The scanner is not a JSON parser: it
 * handles the common case only and says "not mine" for everything else, which
 * the caller then parses with cJSON as before.  It handles a line when:
 *  - it is one object (JSON whitespace around it, then only spaces, tabs and
 *    CRs after it, as classify allows), whose keys hold no backslash and whose
 *    values are strings, numbers of JSON's grammar (at most 32 characters),
 *    true, false or null: no nested object or array;
 *  - its strings use only JSON's escapes; \uXXXX with four hex digits, a high
 *    surrogate always followed by a \u low surrogate, never \u0000;
 *  - it holds no NUL byte (the caller checks that first).
 * For every such line cJSON succeeds too and gives the same values: string
 * bytes are copied as they are (invalid UTF-8 included, as cJSON does), and a
 * repeated key yields its first value (cJSON_GetObjectItemCaseSensitive).
 * tests/unit/test_jsonscan.c and the fuzz harness tests/fuzz/fuzz_record.c
 * compare the two on tricky and random lines.
 */
#ifndef TN_JSONSCAN_H
#define TN_JSONSCAN_H

#include <stddef.h>

#include "buf.h"

enum tn_jscan_kind {
	TN_JSCAN_ABSENT = 0,
	TN_JSCAN_STRING,
	TN_JSCAN_NUMBER,
	TN_JSCAN_LITERAL        /* true, false or null */
};

/* A member the caller wants: name in, the rest out. */
struct tn_jscan_field {
	const char *name;       /* NUL-terminated key, compared byte for byte */
	enum tn_jscan_kind kind;
	/*
	 * STRING: the decoded bytes (no NUL among them, not NUL-terminated),
	 * pointing into the line when the string has no escape, else into the
	 * scratch buffer; NUMBER and LITERAL: the value's text in the line.
	 * Valid until the line or the scratch buffer changes.
	 */
	const char *val;
	size_t len;
};

/*
 * Scans s[0..n) (no NUL byte in it) for the members named in f[0..nf).
 * Returns 1 when it handled the line (every f[i] filled, kind ABSENT for a
 * missing member), 0 when the line is not one it handles (the caller parses
 * it with cJSON; f is then undefined).  scratch holds decoded strings; it
 * grows to at most n + 1 bytes (0 is returned if that fails).  Thread-safe for
 * distinct f and scratch.
 */
int tn_jscan_object(const char *s, size_t n, struct tn_jscan_field *f, size_t nf, struct tn_buf *scratch);

#endif
