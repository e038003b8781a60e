/*
 * shard.h - zstd-compressed output shards, written so that a crash never
 * leaves a partial shard under a final name.
 *
 * A shard OUT/part-NNNNN.jsonl.zst is written as OUT/.part-NNNNN.jsonl.zst.tmp:
 * one zstd frame with a content checksum (zstd -t verifies it), flushed,
 * fsync'ed, then renamed to its final name and the folder fsync'ed.  The
 * writer also keeps an XXH64 of the compressed bytes for the manifest.
 * Output depends only on the records written and the level, never on timing.
 *
 * Not thread-safe: one writer thread.
 */
#ifndef TN_SHARD_H
#define TN_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct tn_shard;

struct tn_shard_info {
	char name[96];           /* "part-00000.jsonl.zst", or a part's (runnames.h) */
	uint64_t docs;
	uint64_t bytes;          /* compressed size */
	uint64_t raw_bytes;      /* uncompressed size */
	char xxh64[17];          /* hex XXH64 of the compressed file */
};

/* The final and temporary names of shard `index` of a single run (a part's: runnames.h). */
void tn_shard_name(unsigned index, char *buf, size_t n);
void tn_shard_tmp_name(unsigned index, char *buf, size_t n);

/* Opens shard `index` in dir at zstd level (1..19).  0, TN_EIO or TN_ENOMEM. */
int tn_shard_open(struct tn_shard **out, const char *dir, unsigned index, int level, struct tn_err *err);
/* The same for shard `index` of part `part` of `nparts` (1 of 1: a single run's names). */
int tn_shard_open_part(struct tn_shard **out, const char *dir, long part, long nparts, unsigned index, int level,
		       struct tn_err *err);

/* Appends one record (a whole line, newline included). */
int tn_shard_write(struct tn_shard *s, const char *data, size_t len, struct tn_err *err);

/* Records written so far. */
uint64_t tn_shard_docs(const struct tn_shard *s);

/*
 * Ends the frame, syncs and renames the shard into place, fills info and frees
 * s.  On failure the temporary file is removed.  0, TN_EIO or TN_ENOMEM.
 */
int tn_shard_close(struct tn_shard *s, struct tn_shard_info *info, struct tn_err *err);

/* Drops an unfinished shard: removes its temporary file and frees s.  NULL is fine. */
void tn_shard_abort(struct tn_shard *s);

/*
 * Reads the shard dir/name back, calling fn(ctx, line, len) for every record
 * (a line without its newline, NUL-terminated) in order; a non-zero return
 * from fn stops the reading and is returned.  0, or TN_EIO with err filled (the
 * file cannot be read, is not zstd, or ends inside a frame or a line),
 * TN_ENOMEM, or fn's code.
 */
int tn_shard_read(const char *dir, const char *name, int (*fn)(void *ctx, const char *line, size_t len),
		  void *ctx, struct tn_err *err);

#endif
