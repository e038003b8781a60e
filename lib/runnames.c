/*
 * runnames.c - the names of a run folder's files; see runnames.h.
 */
#include "runnames.h"

#include <stdio.h>
#include <string.h>

int tn_names_width(long n)
{
	int w = 1;

	while (n >= 10) {
		n /= 10;
		w++;
	}
	return w < 5 ? 5 : w > 19 ? 19 : w;
}

void tn_name_shard(long i, long n, unsigned index, char *buf, size_t sz)
{
	if (n <= 1)
		snprintf(buf, sz, "part-%05u.jsonl.zst", index);
	else
		snprintf(buf, sz, "part-%0*ld-%05u.jsonl.zst", tn_names_width(n), i, index);
}

void tn_name_shard_tmp(long i, long n, unsigned index, char *buf, size_t sz)
{
	if (n <= 1)
		snprintf(buf, sz, ".part-%05u.jsonl.zst.tmp", index);
	else
		snprintf(buf, sz, ".part-%0*ld-%05u.jsonl.zst.tmp", tn_names_width(n), i, index);
}

void tn_name_manifest(long i, long n, char *buf, size_t sz)
{
	int w = tn_names_width(n);

	if (n <= 1)
		snprintf(buf, sz, "manifest.json");
	else
		snprintf(buf, sz, "manifest-part-%0*ld-of-%0*ld.json", w, i, w, n);
}

void tn_name_lock(long i, long n, char *buf, size_t sz)
{
	if (n <= 1)
		snprintf(buf, sz, ".lock");
	else
		snprintf(buf, sz, ".lock-part-%0*ld", tn_names_width(n), i);
}

/* 1 if name is exactly want, or want + ".tmp" when tmp. */
static int same(const char *name, const char *want, int tmp)
{
	size_t n = strlen(want);

	return !strncmp(name, want, n) && (tmp ? !strcmp(name + n, ".tmp") : !name[n]);
}

enum tn_name_kind tn_name_parse(const char *name, long n, long *i, unsigned *index)
{
	char want[TN_NAME_MAX];
	unsigned idx = 0;
	long pi = 0;

	*i = 0;
	*index = 0;
	if (n <= 1) {
		if (!strcmp(name, ".lock"))
			return TN_NAME_LOCK;
		if (!strcmp(name, "manifest.json"))
			return TN_NAME_MANIFEST;
		if (!strcmp(name, "_SUCCESS"))
			return TN_NAME_SUCCESS;
		if (!strcmp(name, "manifest.json.tmp") || !strcmp(name, "_SUCCESS.tmp"))
			return TN_NAME_TEMP;
		if (sscanf(name, ".part-%5u", &idx) == 1) {
			tn_name_shard_tmp(1, 1, idx, want, sizeof(want));
			if (!strcmp(name, want)) {
				*index = idx;
				return TN_NAME_TEMP;
			}
		}
		if (sscanf(name, "part-%5u", &idx) == 1) {
			tn_name_shard(1, 1, idx, want, sizeof(want));
			if (!strcmp(name, want)) {
				*index = idx;
				return TN_NAME_SHARD;
			}
		}
		return TN_NAME_OTHER;
	}
	if (sscanf(name, ".lock-part-%ld", &pi) == 1 && pi >= 1 && pi <= n) {
		tn_name_lock(pi, n, want, sizeof(want));
		if (same(name, want, 0)) {
			*i = pi;
			return TN_NAME_LOCK;
		}
	}
	if (sscanf(name, "manifest-part-%ld", &pi) == 1 && pi >= 1 && pi <= n) {
		tn_name_manifest(pi, n, want, sizeof(want));
		*i = pi;
		if (same(name, want, 0))
			return TN_NAME_MANIFEST;
		if (same(name, want, 1))
			return TN_NAME_TEMP;
		*i = 0;
	}
	if (sscanf(name, ".part-%ld-%5u", &pi, &idx) == 2 && pi >= 1 && pi <= n) {
		tn_name_shard_tmp(pi, n, idx, want, sizeof(want));
		if (same(name, want, 0)) {
			*i = pi;
			*index = idx;
			return TN_NAME_TEMP;
		}
	}
	if (sscanf(name, "part-%ld-%5u", &pi, &idx) == 2 && pi >= 1 && pi <= n) {
		tn_name_shard(pi, n, idx, want, sizeof(want));
		if (same(name, want, 0)) {
			*i = pi;
			*index = idx;
			return TN_NAME_SHARD;
		}
	}
	return TN_NAME_OTHER;
}

long tn_name_manifest_parts(const char *name)
{
	char want[TN_NAME_MAX];
	long i = 0, n = 0;

	if (sscanf(name, "manifest-part-%ld-of-%ld.json", &i, &n) != 2 || n < 2 || i < 1 || i > n)
		return 0;
	tn_name_manifest(i, n, want, sizeof(want));
	return strcmp(name, want) ? 0 : n;
}
