/*
 * bundle_internal.h - what bundle.c, bundle_save.c and bundle_load.c share:
 * the idf file's layout, the manifest's dump flags and the n-gram keys'
 * manifest fields.  Private to the library.
 */
#ifndef TN_BUNDLE_INTERNAL_H
#define TN_BUNDLE_INTERNAL_H

#include "bundle.h"
#include "manifest_json.h"

#include <stdint.h>
#include <string.h>

/* How manifest.json is laid out: save and write_manifest give the same bytes. */
#define MANIFEST_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/* idf.bin: this magic, the bucket count, then one little-endian float a bucket. */
static const unsigned char tn_idf_magic[8] = { 'T', 'N', 'I', 'D', 'F', 0, 0, 1 };

static inline void tn_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t tn_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1 if s ends with suffix. */
static inline int tn_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* The n-gram keys (feat.h's ngram_keys) in the manifest: its "hash" and format version. */
const char *tn_bundle_hash_name(const struct tn_feat_opts *o);
int tn_bundle_format_version(const struct tn_feat_opts *o);
/* Sets o->ngram_keys from the manifest's "hash"; 0 or TN_EMODEL. */
int tn_bundle_parse_hash(json_t *f, struct tn_feat_opts *o, const char *path, struct tn_err *err);
/* The manifest's version must be the one its features make; 0 or TN_EMODEL. */
int tn_bundle_check_version(const struct tn_feat_opts *o, long long version, const char *path,
			    struct tn_err *err);

#endif
