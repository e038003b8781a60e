/*
 * corpus_internal.h - what corpus.c (the loader: files, lines, heads, classes,
 * documents) and corpus_formats.c (one record of each format) share.  Private
 * to the library.
 */
#ifndef TN_CORPUS_INTERNAL_H
#define TN_CORPUS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "corpus.h"
#include "err.h"

struct tn_loader {
	struct tn_corpus *c;
	const struct tn_corpus_opts *o;
	const char *path;
	uint64_t lineno;
	/* TSV: column roles */
	int tsv_text_col;
	int *tsv_head_of_col;   /* head index, or -1 */
	int tsv_group_col;      /* the group field's column, or -1 */
	size_t tsv_ncols;
	/* class lists per head while loading */
	size_t *cls_cap;
};

/* TSV: the split fields of the current line, reused from line to line. */
struct tn_tsv_state {
	struct tn_buf b;
	char **f;
	size_t *fl, cap;
};

/*
 * Index of head `name`, adding it when discovering (may_add); -1 if it is not a
 * head, with *rc 0, or an error code in *rc with err filled.
 */
int tn_loader_head_index(struct tn_loader *L, const char *name, int may_add, struct tn_err *err, int *rc);
/* Appends a document (text copied) with all labels missing; *idx its index.  0 or TN_ENOMEM. */
int tn_loader_add_doc(struct tn_loader *L, const char *text, size_t len, size_t *idx);
/* 0 if s[0..n) is valid UTF-8 without NUL, else TN_EFORMAT naming the line and byte. */
int tn_loader_check_text(struct tn_loader *L, const char *s, size_t n, struct tn_err *err);
/* Sets document doc's label of head h to class v[0..n) (interned); an empty v leaves it missing. */
int tn_loader_set_label(struct tn_loader *L, size_t doc, size_t h, const char *v, size_t n, struct tn_err *err);
/* Sets document doc's group to the hash of v[0..n); an empty v leaves it without one. */
void tn_loader_set_group(struct tn_loader *L, size_t doc, const char *v, size_t n);

/*
 * One record into L, from a line without its newline.  0, or TN_EFORMAT /
 * TN_EINVAL / TN_ENOMEM with err naming the file and line.
 */
int tn_loader_parse_jsonl(struct tn_loader *L, const char *line, size_t len, struct tn_err *err);
int tn_loader_parse_tsv_header(struct tn_loader *L, struct tn_tsv_state *st, const char *line, size_t len,
			       struct tn_err *err);
int tn_loader_parse_tsv(struct tn_loader *L, struct tn_tsv_state *st, const char *line, size_t len,
			struct tn_err *err);
int tn_loader_parse_fasttext(struct tn_loader *L, const char *line, size_t len, struct tn_err *err);

#endif
