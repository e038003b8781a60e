/*
 * err.h - error codes and the message buffer every fallible library call fills.
 *
 * The library never prints and never exits: a call returns 0 or a negative
 * TN_E* code and, when given a non-NULL struct tn_err, writes one line of
 * context into it ("read 'news.jsonl' line 41: invalid UTF-8").  Only the
 * programs decide what to print and which exit code to use.
 */
#ifndef TN_ERR_H
#define TN_ERR_H

#include <stddef.h>

enum {
	TN_OK = 0,
	TN_ENOMEM = -1,   /* an allocation failed */
	TN_EIO = -2,      /* a file could not be opened, read or written */
	TN_EFORMAT = -3,  /* malformed input: bad JSON, UTF-8, missing field */
	TN_EINVAL = -4,   /* an argument or setting is out of range */
	TN_EMODEL = -5,   /* a model bundle is missing, inconsistent or of another version */
	TN_ESTATE = -6,   /* a precondition on state failed (lock held, output exists) */
	TN_EINTR = -7,    /* stopped by a signal; what was written is consistent */
	TN_ECLOSED = -8,  /* the output's reader went away (EPIPE): a stop, not a failure */
};

#define TN_ERR_MSG_MAX 512

struct tn_err {
	char msg[TN_ERR_MSG_MAX];
};

/*
 * Formats the message into err (when non-NULL) and returns code, so that a
 * failing path reads `return tn_err_set(err, TN_EIO, "open '%s': %s", ...)`.
 */
int tn_err_set(struct tn_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefixes the message already in err with a new context ("train head 'tone': ").
 * Returns code.
 */
int tn_err_prefix(struct tn_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
