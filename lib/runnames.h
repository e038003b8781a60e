/*
 * runnames.h - the names classify gives the files of a run folder, and the
 * one parser that recognizes them.
 *
 * A single run (n <= 1) writes part-NNNNN.jsonl.zst, manifest.json, _SUCCESS
 * and .lock.  Part i of n (n > 1), which shares its folder with the other
 * parts, writes only names that carry its number, zero-padded to a width
 * fixed by n (tn_names_width), so that a listing sorts part 1's shards, then
 * part 2's, ... (the parts are contiguous ranges of the input: source.h):
 *   part-IIIII-NNNNN.jsonl.zst         its shards
 *   manifest-part-IIIII-of-NNNNN.json  its manifest
 *   .lock-part-IIIII                   its lock
 * and classify --merge (merge.h) writes manifest.json and _SUCCESS, the
 * single run's names, once every part is complete.  Temporary names are a
 * shard's with a leading '.' and a trailing ".tmp", any other file's + ".tmp".
 * All functions cut at sz and always NUL-terminate; thread-safe.
 */
#ifndef TN_RUNNAMES_H
#define TN_RUNNAMES_H

#include <stddef.h>

#define TN_NAME_MAX 96

/* Digits of a part's number in names of a run of n parts: at least 5. */
int tn_names_width(long n);

void tn_name_shard(long i, long n, unsigned index, char *buf, size_t sz);
void tn_name_shard_tmp(long i, long n, unsigned index, char *buf, size_t sz);
void tn_name_manifest(long i, long n, char *buf, size_t sz);
void tn_name_lock(long i, long n, char *buf, size_t sz);

enum tn_name_kind { TN_NAME_OTHER, TN_NAME_LOCK, TN_NAME_MANIFEST, TN_NAME_SUCCESS, TN_NAME_TEMP, TN_NAME_SHARD };

/*
 * What name is in a run of n parts (n <= 1: a single run's names; else the
 * names of any part 1..n of n).  *i is the part (0 for a single run's names),
 * *index the shard's number.  A name counts only when the functions above
 * make exactly it: anything else is TN_NAME_OTHER.
 */
enum tn_name_kind tn_name_parse(const char *name, long n, long *i, unsigned *index);

/* The n of a part manifest's name (manifest-part-I-of-N.json, exactly as made), else 0. */
long tn_name_manifest_parts(const char *name);

#endif
