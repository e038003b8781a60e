/*
 * testutil.h - helpers shared by the cmocka unit tests: fixture paths, temp
 * folders, small files, and a seeded corpus generator (zstd's datagen idea:
 * bigger inputs are made at test time, never committed).
 *
 * Everything is static inline so that a test file may use any subset of it
 * without unused-function warnings.  Include after <cmocka.h>.
 */
#ifndef TN_TESTUTIL_H
#define TN_TESTUTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/err.h"

/* The fixture folder: $TENOR_DATA (set by tests/run.sh), else tests/data. */
static inline const char *tu_data_dir(void)
{
	const char *d = getenv("TENOR_DATA");

	return d && *d ? d : "tests/data";
}

/* Returns a malloc'd "a/b"; the caller frees it. */
static inline char *tu_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static inline char *tu_data(const char *name)
{
	return tu_path(tu_data_dir(), name);
}

/* A fresh temp folder (malloc'd name); remove it with tu_rmtree. */
static inline char *tu_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = tu_path(base && *base ? base : "/tmp", "tenor-unit-XXXXXX");

	assert_non_null(mkdtemp(tmpl));
	return tmpl;
}

static inline int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything under it, then frees the name. */
static inline void tu_rmtree(char *dir)
{
	if (!dir)
		return;
	nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/*
 * A cmocka fixture whose struct begins with its temp folder's name (`char
 * *dir` or `char *tmp`): allocated zeroed, that member a fresh temp folder.  tu_fixture_free removes the folder and frees the struct.
 */
static inline void *tu_fixture_new(size_t size)
{
	char **f = calloc(1, size);

	assert_non_null(f);
	*f = tu_mkdtemp();
	return f;
}

static inline void tu_fixture_free(void *f)
{
	tu_rmtree(*(char **)f);
	free(f);
}

/* The fixture of tests that need only a temp folder and an error buffer. */
struct tu_tmp_fx {
	char *dir;
	struct tn_err err;
};

static inline int tu_tmp_setup(void **state)
{
	*state = tu_fixture_new(sizeof(struct tu_tmp_fx));
	return 0;
}

static inline int tu_tmp_teardown(void **state)
{
	tu_fixture_free(*state);
	return 0;
}

static inline void tu_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void tu_write_str(const char *path, const char *s)
{
	tu_write(path, s, strlen(s));
}

/* Reads a whole file (malloc'd, NUL-terminated); *len may be NULL. */
static inline char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	assert_non_null(f);
	do {
		if (n + 4096 + 1 > cap) {
			char *p;

			cap = cap ? 2 * cap : 8192;
			p = realloc(buf, cap);
			assert_non_null(p);
			buf = p;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Reads dir/name whole, as tu_read. */
static inline char *tu_read_in(const char *dir, const char *name, size_t *len)
{
	char *p = tu_path(dir, name), *data = tu_read(p, len);

	free(p);
	return data;
}

/* 1 if dir/name exists (a dangling symbolic link counts). */
static inline int tu_exists(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

/* Entries in dir other than . and .. */
static inline int tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Returns 1 if s contains needle, for assert_true with a readable failure. */
static inline int tu_has(const char *s, const char *needle)
{
	if (strstr(s, needle))
		return 1;
	print_message("'%s' does not contain '%s'\n", s, needle);
	return 0;
}

/* splitmix64: a small, portable, seeded generator. */
static inline uint64_t tu_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/*
 * Writes a JSONL corpus of ndocs documents with one head "label" of nclass
 * classes ("c0", "c1", ...).  Each class has 12 cue words of its own; a
 * document mixes cue words of its class, shared filler words and, one time
 * in six, cue words of another class, so the classes are learnable but not
 * separable and the models have bounded support vectors.  Deterministic in
 * seed.
 */
static inline void tu_gen_corpus(const char *path, uint64_t seed, size_t ndocs, int nclass)
{
	static const char *const fill[] = {
		"the", "a", "of", "and", "to", "in", "is", "was", "for", "on", "with", "as",
		"by", "at", "from", "it", "this", "that", "an", "be", "are", "or", "new", "said",
	};
	FILE *f = fopen(path, "w");
	uint64_t s = seed;
	size_t d;

	assert_non_null(f);
	for (d = 0; d < ndocs; d++) {
		int c = (int)(tu_rand(&s) % (uint64_t)nclass);
		int nw = 6 + (int)(tu_rand(&s) % 10), w;
		int noisy = tu_rand(&s) % 6 == 0;

		fprintf(f, "{\"id\": \"g%zu\", \"text\": \"", d);
		for (w = 0; w < nw; w++) {
			uint64_t r = tu_rand(&s) % 10;

			if (w)
				fputc(' ', f);
			if (r < 4) {
				fprintf(f, "cue%dw%d", c, (int)(tu_rand(&s) % 12));
			} else if (r < 5 || (noisy && r < 8)) {
				int o = (int)(tu_rand(&s) % (uint64_t)nclass);

				fprintf(f, "cue%dw%d", o, (int)(tu_rand(&s) % 12));
			} else {
				fputs(fill[tu_rand(&s) % (sizeof(fill) / sizeof(*fill))], f);
			}
		}
		fprintf(f, "\", \"label\": \"c%d\"}\n", c);
	}
	assert_int_equal(fclose(f), 0);
}

#endif
