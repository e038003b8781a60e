/*
 * err.c - filling struct tn_err; see err.h.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tn_err_set(struct tn_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int tn_err_prefix(struct tn_err *err, int code, const char *fmt, ...)
{
	char prefix[TN_ERR_MSG_MAX], old[TN_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	{
		size_t pl = strlen(prefix), ol = strlen(old);

		if (pl > sizeof(err->msg) - 1)
			pl = sizeof(err->msg) - 1;
		if (ol > sizeof(err->msg) - 1 - pl)
			ol = sizeof(err->msg) - 1 - pl;
		memcpy(err->msg, prefix, pl);
		memcpy(err->msg + pl, old, ol);
		err->msg[pl + ol] = '\0';
	}
	return code;
}
