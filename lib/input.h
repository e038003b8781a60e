/*
 * input.h - reading one input file (or stdin): decompression, archives, lines.
 *
 * An input is opened once and is then either a single stream (a plain file, or
 * one compressed with gzip, zstd, xz, bzip2, lz4, compress or lzip, recognised
 * by its magic bytes) or, when archives are allowed, an archive (tar, zip, 7z,
 * possibly compressed; told by the first decoded bytes: a tar header with a
 * valid checksum or the ustar magic, zip's or 7z's signature, or zero blocks
 * in a file named *.tar*) whose members libarchive reads one after the other.
 * On top of a stream or member, struct tn_lines splits lines without limit on
 * the input size and with a limit on one line.
 *
 * Damage is reported after the data before it: a truncated or corrupt
 * compressed stream, junk after its end or a bad checksum (gzip CRC, zstd
 * checksum, zip member CRC) first hands out every byte decoded before the
 * damage, then fails with TN_EIO.
 *
 * Nothing here is thread-safe: one thread reads one input.
 */
#ifndef TN_INPUT_H
#define TN_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct tn_input;

/*
 * Opens path ("-" is stdin).  With allow_archives, tar/zip/7z are recognised;
 * otherwise everything is read as one (possibly compressed) stream.  Returns 0
 * and *out, or TN_EIO / TN_ENOMEM with err filled.
 */
int tn_input_open(struct tn_input **out, const char *path, int allow_archives, struct tn_err *err);
void tn_input_close(struct tn_input *in);

/* 1 if the input is an archive of members, 0 if it is one stream. */
int tn_input_is_archive(const struct tn_input *in);

/*
 * Archives: moves to the next member.  Returns 1 with *name (valid until the
 * next call) and *is_regular, 0 after the last member, or TN_EIO with err
 * filled: a damaged member header (the call after it returns the next member
 * that reads), a truncated or corrupt archive, or damage in the compressed
 * stream after the archive's end (the call after those returns 0).
 * tn_input_error_offset then tells the decoded byte offset of the damage.
 * Streams: returns 1 once (name "data", regular), then 0.
 */
int tn_input_next(struct tn_input *in, const char **name, int *is_regular, struct tn_err *err);

/* The decoded byte offset of the last archive-level error (see tn_input_next). */
uint64_t tn_input_error_offset(const struct tn_input *in);

/*
 * Reads the next block of the current stream or member: returns 1 with
 * *data and *len (valid until the next call), 0 at its end, or TN_EIO (a truncated
 * or corrupt compressed stream, a bad checksum, a read error) with err filled.
 * After an error in an archive member, tn_input_next may still go on to the
 * next member.
 */
int tn_input_read(struct tn_input *in, const void **data, size_t *len, struct tn_err *err);

/*
 * For filters that answer as lines arrive: 1 if the next tn_input_read or
 * tn_input_next can go on without waiting for bytes still to be written
 * (always for a regular file; for a pipe, FIFO, socket or terminal: decoded
 * bytes are pending, or bytes arrive on the descriptor within timeout_ms,
 * which poll() waits at most; 0 waits not at all), 0 if it would wait.  A
 * false 1 (bytes that decode to less than a line) only delays the answer
 * until they complete.
 */
int tn_input_ready(struct tn_input *in, int timeout_ms);

/* Bytes of the file consumed so far (compressed size), for progress. */
uint64_t tn_input_raw_bytes(const struct tn_input *in);

/* Splits the current stream or member of an input into lines. */
struct tn_lines {
	struct tn_input *in;
	struct tn_buf line;     /* the line being assembled across blocks */
	const char *blk;        /* the current block, and where we are in it */
	size_t blen, bpos;
	uint64_t lineno;        /* 1-based number of the last line returned */
	size_t max;             /* longest line kept in full; longer ones are cut */
	int eof;
};

void tn_lines_init(struct tn_lines *l, struct tn_input *in, size_t max_line);
void tn_lines_release(struct tn_lines *l);

/*
 * Returns 1 with the next line in *line and *len (without "\n" or "\r\n"; valid
 * until the next call), 0 at the end, or TN_EIO with err filled.  A line longer
 * than max is cut to max bytes and *cut is set to 1 (the rest is skipped).
 */
int tn_lines_next(struct tn_lines *l, const char **line, size_t *len, int *cut, struct tn_err *err);

/* 1 if tn_lines_next can return without waiting for input (see tn_input_ready), else 0. */
int tn_lines_ready(struct tn_lines *l, int timeout_ms);

#endif
