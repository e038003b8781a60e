/*
 * source.h - the documents of a classify run, in a fixed order.
 *
 * The command line's inputs are expanded once into a list of files: a folder
 * is walked recursively with entries in bytewise name order, "-" is standard
 * input (JSONL).  Each file is then read, in list order, as
 *  - an archive (tar, zip, 7z; possibly compressed): one document per regular
 *    member, id "ARCHIVE:MEMBER"; a member named *.jsonl holds one document a
 *    line instead, fallback id "ARCHIVE:MEMBER:LINE";
 *  - JSONL (name ends in .jsonl, .ndjson or .json, before any .gz/.zst/...
 *    suffix, or format forced, or - with the format left to auto - a first
 *    non-blank byte '{' starting a first line that parses as a JSON object):
 *    one document a line, fallback id "FILE:LINE";
 *  - CSV (name ends in .csv, or format forced; csvrows.h): a header row, then
 *    one document a row, handed out as the JSONL line of the equivalent
 *    object, fallback id "FILE:LINE" (the line the row starts on); a
 *    malformed row ends the file with one error document;
 *  - anything else: one plain-text document, id = the path.
 * Compression (gzip, zstd, xz, bzip2, lz4) is found by magic bytes.
 *
 * Documents come out raw: a JSONL line still to be parsed, a text, or an error
 * found while reading (a line or document over the size limit, a file that
 * cannot be opened, truncated or corrupt compressed data).  Every error
 * becomes a document of its own, so nothing read disappears.
 *
 * Not thread-safe: one thread reads a source.
 */
#ifndef TN_SOURCE_H
#define TN_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum tn_doc_kind { TN_DOC_JSONL, TN_DOC_TEXT, TN_DOC_ERROR };
enum tn_input_format { TN_INPUT_AUTO, TN_INPUT_JSONL, TN_INPUT_TEXT, TN_INPUT_CSV };

struct tn_raw_doc {
	enum tn_doc_kind kind;
	const char *data;        /* the line or text, or the error message */
	size_t len;
	const char *id;          /* fallback id (NUL-terminated) */
	size_t input;            /* index in the expanded input list */
	uint64_t ordinal;        /* position within that input, from 0 */
};

struct tn_source_file {
	char *path;
	uint64_t size;           /* 0 for stdin */
	int64_t mtime;
	char *error;             /* a folder entry that cannot be read: its one error record */
	int stream;              /* standard input, a FIFO, socket or device: reads may wait */
};

struct tn_source;

/*
 * Expands paths into files (folders walked, sorted).  What cannot be walked
 * inside a folder (an unreadable folder, nesting deeper than 64, a symbolic
 * link back to a folder above it, a FIFO, socket or device) becomes an entry
 * with an error, read as one error document.  Returns 0, or TN_EIO naming a
 * command-line path that does not exist, or TN_ENOMEM.
 */
int tn_source_create(struct tn_source **out, const char *const *paths, size_t npaths,
		     enum tn_input_format fmt, size_t max_doc_bytes, struct tn_err *err);
void tn_source_free(struct tn_source *s);

/* The expanded file list, fixed for the life of the source. */
size_t tn_source_nfiles(const struct tn_source *s);
const struct tn_source_file *tn_source_file(const struct tn_source *s, size_t i);
/* Total size of the files (0 if any is stdin): for ETA. */
uint64_t tn_source_total_bytes(const struct tn_source *s);
/* Compressed bytes consumed so far over all files. */
uint64_t tn_source_raw_bytes(const struct tn_source *s);

/*
 * Starts reading at file `input`, skipping its first `ordinal` documents
 * (resume).  Must be called before the first tn_source_next, or not at all.
 */
void tn_source_seek(struct tn_source *s, size_t input, uint64_t ordinal);

/*
 * Moves to the next document: 1 with *doc filled (valid until the next call),
 * 0 after the last one, or TN_ENOMEM.  Files that cannot be read yield error
 * documents, not errors.
 */
int tn_source_next(struct tn_source *s, struct tn_raw_doc *doc);

/*
 * For filters: 1 if tn_source_next can return its next document (or the end)
 * without waiting for input still to arrive, waiting at most timeout_ms for
 * it (input.h, tn_input_ready); 0 if it would wait, or would open a stream
 * (standard input, a FIFO) whose writer may not be there yet.  Always 1 while
 * reading regular files.
 */
int tn_source_ready(struct tn_source *s, int timeout_ms);
/*
 * 1 if tn_source_ready can wait on the input (a stream is open), 0 if the
 * next step opens a file, which cannot be waited on before it is opened.
 */
int tn_source_pollable(const struct tn_source *s);

/*
 * --part i/n, the one place of its rule.  The n parts are contiguous ranges
 * that follow each other in input order, so that part 1's records, then part
 * 2's, and so on, are the records of the whole run, in order:
 *  - with n > 1 and at least n files, by file: part i reads a run of whole
 *    files, the boundaries placed at the first file boundary at or after i/n
 *    of the bytes (each file weighing its size plus one, so that empty files
 *    count), every part at least one file;
 *  - with fewer files than parts, by document: the inputs are read once to
 *    count their D documents, and part i keeps documents [(i-1)D/n, iD/n)
 *    (rounded down) of the whole run's sequence.
 * The n parts together hold every document exactly once.
 */
struct tn_part {
	long i, n;               /* 1/1: a single run, everything */
	int by_file;             /* [lo, hi) are files, else documents */
	uint64_t lo, hi;         /* the part's items, from 0 */
	uint64_t total;          /* files, or documents counted (0 for 1/1) */
};

/* 1 if --part i/n of nfiles files splits by file, 0 if by document (or n is 1). */
int tn_part_by_file(long n, size_t nfiles);

/*
 * Items [*lo, *hi) of part i of n over nitems items: by weight when weights
 * is given (by file: each item weighing weights[k] + 1, every part at least one
 * item, which needs nitems >= n), else by count ([(i-1)nitems/n, i*nitems/n)).
 */
void tn_part_range(const uint64_t *weights, uint64_t nitems, long i, long n, uint64_t *lo, uint64_t *hi);

/*
 * Fills p for part i of n of this source and makes the source read only that
 * part's files (by file), so that tn_source_next yields exactly them; by
 * document it counts the documents first (reading every input once, then
 * starting over) and the caller keeps documents [p->lo, p->hi) of the
 * sequence.  Call before the first tn_source_next.  0, TN_ENOMEM, or TN_EINVAL
 * when a split by document would have to read standard input twice.
 */
int tn_source_part(struct tn_source *s, long i, long n, struct tn_part *p, struct tn_err *err);

/*
 * Reads only the files [lo, hi); the others are passed over without being
 * opened and yield no documents.
 */
void tn_source_select_files(struct tn_source *s, uint64_t lo, uint64_t hi);

#endif
