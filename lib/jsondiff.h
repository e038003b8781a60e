/*
 * jsondiff.h - the first difference between two JSON values, in words, for
 * messages that say *what* differs ("zstd_level: 3 in the interrupted run,
 * 5 now") rather than only that something does.
 */
#ifndef TN_JSONDIFF_H
#define TN_JSONDIFF_H

#include <jansson.h>

#include "buf.h"

/*
 * Compares old and now (either may be NULL: absent).  Returns 0 when they are
 * equal (json_equal), 1 when they differ, with out set to the path of the
 * first difference (object keys in old's order then now's, array indexes:
 * "list[3].bytes"; empty at the top) in path, and the two values there as
 * compact JSON, cut to 200 bytes, in old_v and now_v ("absent" when missing);
 * TN_ENOMEM.  Thread-safe.
 */
int tn_json_diff(json_t *old, json_t *now, struct tn_buf *path, struct tn_buf *old_v,
		 struct tn_buf *now_v);

#endif
