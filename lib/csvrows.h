/*
 * csvrows.h - CSV (RFC 4180) rows for the corpus and classify readers, parsed
 * by libcsv (Debian's libcsv3).
 *
 * The readers already split their input into lines (input.h, struct
 * tn_lines, with its limit on a line's length); they feed each line here, and
 * complete rows come out with the line each starts on.  A quoted field may
 * hold commas, doubled quotes and line breaks (given back as "\n").  Fields
 * are kept as they are: no spaces trimmed.  Blank lines hold no row.  A quote
 * inside an unquoted field, or anything but a comma or the row's end after a
 * closing quote, is malformed: the parser stops there (strict mode), as the
 * rest of the file cannot be split into rows with any confidence.
 *
 * The first row is the header; tn_csv_row_json turns a later row into a JSON
 * object keyed by the header's names (every value a string), which the JSONL
 * record parsers then read: CSV input means the same as the equivalent JSONL.
 *
 * Not thread-safe: one reader per struct tn_csv.
 */
#ifndef TN_CSVROWS_H
#define TN_CSVROWS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct tn_csv;

struct tn_csv_row {
	size_t nfields;
	const char *const *field;   /* nfields NUL-terminated fields (a NUL inside one is kept: see len) */
	const size_t *len;          /* their lengths */
	uint64_t line;              /* the line the row starts on, from 1 */
};

/* 0 and *out, or TN_ENOMEM. */
int tn_csv_create(struct tn_csv **out);
void tn_csv_free(struct tn_csv *c);

/*
 * Feeds line number lineno (its content without "\n" or "\r\n").  0, or
 * TN_EFORMAT with err ("malformed CSV at line N: ...") after which the parser
 * takes nothing more, or TN_ENOMEM.
 */
int tn_csv_feed_line(struct tn_csv *c, const char *line, size_t len, uint64_t lineno, struct tn_err *err);

/*
 * At the end of the input: 0, or TN_EFORMAT when a quoted field is still
 * open ("a quoted field opened at line N is never closed").
 */
int tn_csv_finish(struct tn_csv *c, struct tn_err *err);

/* The line the row still open (a quoted field never closed) starts on. */
uint64_t tn_csv_open_line(const struct tn_csv *c);

/*
 * Takes the next complete row: 1 with *row (valid until the next call of any
 * function here), 0 when none is waiting.
 */
int tn_csv_next_row(struct tn_csv *c, struct tn_csv_row *row);

/*
 * Keeps row as the header (copied).  0, TN_EFORMAT with err when a name is
 * empty, repeated or not UTF-8, or TN_ENOMEM.
 */
int tn_csv_set_header(struct tn_csv *c, const struct tn_csv_row *row, struct tn_err *err);
/* The header's column named name, or -1 (also before a header is set). */
long tn_csv_column(const struct tn_csv *c, const char *name);
/* The header's names, comma-separated, for messages ("id, text, topic"). */
int tn_csv_header_names(const struct tn_csv *c, struct tn_buf *out);

/*
 * Replaces out with row as one line of JSON: {"NAME": "VALUE", ...} in the
 * header's order; an empty cell is left out, as a field the record does not
 * have (an empty id gives the fallback id, an empty label no label).  0, TN_EFORMAT with err when the row does not have the
 * header's number of fields ("row has 3 fields, the header 2"), TN_ENOMEM.
 * Values that are not UTF-8 are written as they are; the JSON parser of the
 * record then refuses them.
 */
int tn_csv_row_json(const struct tn_csv *c, const struct tn_csv_row *row, struct tn_buf *out, struct tn_err *err);

#endif
