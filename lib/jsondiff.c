/*
 * jsondiff.c - the first difference between two JSON values; see jsondiff.h.
 */
#include "jsondiff.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

#define SHOWN_MAX 200

static int show(json_t *v, struct tn_buf *out)
{
	char *s;
	size_t n;
	int rc;

	tn_buf_reset(out);
	if (!v)
		return tn_buf_addstr(out, "absent") ? TN_ENOMEM : 0;
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!s)
		return TN_ENOMEM;
	n = strlen(s);
	rc = n > SHOWN_MAX ? tn_buf_add(out, s, SHOWN_MAX) || tn_buf_addstr(out, "...") : tn_buf_add(out, s, n);
	free(s);
	return rc ? TN_ENOMEM : 0;
}

/* Appends ".key" (or "key" at the top) to path. */
static int add_key(struct tn_buf *path, const char *key)
{
	return (path->len && tn_buf_addch(path, '.')) || tn_buf_addstr(path, key) ? TN_ENOMEM : 0;
}

static int diff(json_t *a, json_t *b, struct tn_buf *path, struct tn_buf *va, struct tn_buf *vb)
{
	size_t len = path->len;
	const char *key;
	json_t *v;
	int rc;

	if (a && b && json_equal(a, b))
		return 0;
	if (a && b && json_is_object(a) && json_is_object(b)) {
		json_object_foreach(a, key, v) {
			if (add_key(path, key))
				return TN_ENOMEM;
			if ((rc = diff(v, json_object_get(b, key), path, va, vb)))
				return rc;
			path->len = len;
			path->ptr[len] = '\0';
		}
		json_object_foreach(b, key, v) {
			if (json_object_get(a, key))
				continue;
			if (add_key(path, key))
				return TN_ENOMEM;
			return diff(NULL, v, path, va, vb);
		}
	}
	if (a && b && json_is_array(a) && json_is_array(b)) {
		size_t i, na = json_array_size(a), nb = json_array_size(b);

		for (i = 0; i < na || i < nb; i++) {
			if (tn_buf_addf(path, "[%zu]", i))
				return TN_ENOMEM;
			if ((rc = diff(i < na ? json_array_get(a, i) : NULL, i < nb ? json_array_get(b, i) : NULL, path, va, vb)))
				return rc;
			path->len = len;
			path->ptr[len] = '\0';
		}
	}
	if (show(a, va) || show(b, vb))
		return TN_ENOMEM;
	return 1;
}

int tn_json_diff(json_t *old, json_t *now, struct tn_buf *path, struct tn_buf *old_v,
		 struct tn_buf *now_v)
{
	tn_buf_reset(path);
	if (!old && !now)
		return 0;
	return diff(old, now, path, old_v, now_v);
}
