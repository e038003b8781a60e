/*
 * corpus.h - labeled corpora for training and evaluation.
 *
 * Three formats, any of them compressed (input.h):
 *  - JSONL: one object a line; the text in "text" (or text_field); the heads are
 *    the fields named in labels, or by default every string field other than
 *    "id" and the text, in order of first appearance;
 *  - TSV: a header row naming the columns, then one document a row; fields hold
 *    no tab or newline (write them as \t, \n; \\ is a backslash);
 *  - fastText: "__label__X [__label__Y ...] text"; one head named "label" that
 *    takes the first label of the line.
 * A document may lack a head's label: it then trains only the heads it has.
 * With a group field (opts.group_field; JSONL, CSV and TSV), each document
 * also gets the 64-bit hash of that field's value (a string, or an integer
 * written as text): documents with equal values form a group, which training
 * keeps on one side of every fold split (train.h).  A document without the
 * field is a group of its own.  The group field is never a head.
 * Class names of a head are sorted (bytewise); a class id is its position.
 *
 * Not thread-safe; a loaded corpus is read-only and may be shared by threads.
 */
#ifndef TN_CORPUS_H
#define TN_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limits.h"

#define TN_CORPUS_KEEP_ERRORS 5

enum tn_format { TN_FORMAT_AUTO, TN_FORMAT_JSONL, TN_FORMAT_TSV, TN_FORMAT_FASTTEXT, TN_FORMAT_CSV };

struct tn_corpus_head {
	char *name;
	size_t nclass;
	char **classes;
};

struct tn_corpus {
	size_t ndocs;
	char **text;             /* NUL-terminated, valid UTF-8 */
	size_t *len;
	size_t nheads;
	struct tn_corpus_head *heads;
	int32_t *label;          /* ndocs x nheads: class id, or -1 if missing */
	uint64_t *group;         /* ndocs group hashes, or NULL without opts.group_field */
	size_t group_missing;    /* documents without the group field (each its own group) */
	char *group_field;       /* its name (owned), or NULL */
	uint64_t bytes;          /* text bytes in all */
	size_t nskipped;         /* malformed records skipped (opts.skip_errors) */
	char *errors[TN_CORPUS_KEEP_ERRORS]; /* the first skipped records' messages (owned) */
	size_t nerrors;          /* entries of errors: min(nskipped, TN_CORPUS_KEEP_ERRORS) */
	size_t cap;              /* private: documents allocated */
};

struct tn_corpus_opts {
	enum tn_format format;         /* AUTO: by name, then by the first byte */
	const char *text_field;        /* default "text" */
	const char *const *labels;     /* NULL: discover */
	size_t nlabels;
	const char *group_field;       /* NULL: no groups */
	int skip_errors;               /* count and skip malformed records */
	const struct tn_corpus *like;  /* evaluation: heads and classes of a training corpus */
	size_t max_line;               /* longest record, default TN_MAX_DOC_BYTES_DEFAULT (16 MiB) */
};

void tn_corpus_opts_default(struct tn_corpus_opts *o);
void tn_corpus_init(struct tn_corpus *c);
void tn_corpus_release(struct tn_corpus *c);

/*
 * Reads every path ("-" is stdin) into c as one corpus.  A malformed record
 * (bad JSON, no text, invalid UTF-8, a NUL byte, a label not known to `like`)
 * stops the load with TN_EFORMAT and "read 'FILE' line N: why" in err, or is
 * counted and skipped with skip_errors.  Returns 0, TN_EIO, TN_EFORMAT,
 * TN_EINVAL (e.g. too many classes) or TN_ENOMEM.
 */
int tn_corpus_load(struct tn_corpus *c, const char *const *paths, size_t npaths,
		   const struct tn_corpus_opts *o, struct tn_err *err);

/* The number of distinct values of v[0..n) (v is sorted in place). */
size_t tn_count_distinct(uint64_t *v, size_t n);
/* The number of distinct groups of c (0 without a group field or if out of memory). */
size_t tn_corpus_group_count(const struct tn_corpus *c);

/* The format a path would be read as, from its name (".jsonl", ".tsv", ".txt"...). */
enum tn_format tn_format_from_name(const char *path);
const char *tn_format_name(enum tn_format f);
/* Parses "jsonl", "tsv", "fasttext" (and "auto"); returns -1 if unknown. */
int tn_format_parse(const char *s);

#endif
