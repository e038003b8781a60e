/*
 * buf.h - a growable byte buffer that always knows its length (git's strbuf).
 *
 * ptr is never NULL and always NUL-terminated, so it can be handed to functions
 * that want a C string; len never counts that NUL.  Until the first growth (and
 * after tn_buf_init or tn_buf_release) ptr points at a shared, read-only empty
 * string, as git's strbuf_slopbuf: write through ptr only after tn_buf_grow.
 * A buffer is not thread-safe; each thread owns its own.
 */
#ifndef TN_BUF_H
#define TN_BUF_H

#include <stddef.h>

struct tn_buf {
	char *ptr;
	size_t len;
	size_t cap;
};

extern char tn_buf_empty[];

#define TN_BUF_INIT { tn_buf_empty, 0, 0 }

void tn_buf_init(struct tn_buf *b);
/* Frees the storage; the buffer may be reused after tn_buf_init. NULL is fine. */
void tn_buf_release(struct tn_buf *b);
/* Makes room for extra more bytes (plus the NUL). Returns 0 or TN_ENOMEM. */
int tn_buf_grow(struct tn_buf *b, size_t extra);
int tn_buf_add(struct tn_buf *b, const void *data, size_t n);
int tn_buf_addstr(struct tn_buf *b, const char *s);
int tn_buf_addch(struct tn_buf *b, char c);
int tn_buf_addf(struct tn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, as "%llu" would (without printf's cost: a default id a document). */
int tn_buf_add_u64(struct tn_buf *b, unsigned long long v);
/* Appends s as a JSON string literal, quotes included; s must be valid UTF-8. */
int tn_buf_add_json_string(struct tn_buf *b, const char *s, size_t n);
/* Empties the buffer, keeping its storage. */
void tn_buf_reset(struct tn_buf *b);
/*
 * Hands the storage to the caller (who frees it) and re-inits the buffer.
 * Never the shared empty string: an empty buffer gives a new "" (NULL if out
 * of memory).
 */
char *tn_buf_detach(struct tn_buf *b, size_t *len);

/*
 * The growable-array helper of the library: makes room for need elements of
 * size bytes in the array *(T **)arr whose capacity is *cap elements, doubling
 * from first (or the current capacity).  The array keeps its contents and
 * stays valid on failure.  0 or TN_ENOMEM.
 */
int tn_array_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first);

#endif
