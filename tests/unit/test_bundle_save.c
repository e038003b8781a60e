/*
 * test_bundle_save.c - what saving a bundle may touch (lib/bundle.h): a folder
 * Tenor did not make is refused and left as it was, an empty folder or a
 * bundle is replaced as a whole, only bundle files are ever removed, and
 * folders left by a killed save are cleaned when their process is gone.  Also
 * the head names a bundle may not use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/bundle.h"
#include "../../lib/corpus.h"
#include "../../lib/train.h"
#include "../../lib/manifest_json.h"
#include "testutil.h"

struct fx {
	struct tn_corpus c;
	struct tn_bundle *b;
	char *tmp;
};

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tn_corpus_opts co;
	struct tn_feat_opts fo;
	struct tn_train_opts to;
	struct tn_err err;
	char *p = tu_data("mini.jsonl");
	const char *paths[1] = { p };

	assert_non_null(f);
	tn_corpus_opts_default(&co);
	tn_corpus_init(&f->c);
	if (tn_corpus_load(&f->c, paths, 1, &co, &err))
		fail_msg("%s", err.msg);
	free(p);
	tn_feat_opts_default(&fo);
	tn_train_opts_default(&to);
	if (tn_train(&f->b, &f->c, &fo, &to, NULL, NULL, &err))
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	tn_bundle_free(f->b);
	tn_corpus_release(&f->c);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = *state;

	f->tmp = tu_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->tmp);
	f->tmp = NULL;
	return 0;
}

static int exists(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

/* What the fixture's bundle holds: manifest.json, idf.bin, two models, their reliability plots, the names. */
#define BUNDLE_ENTRIES 7

static int entries(const char *dir)
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

/* A process id that was just in use and is not any more. */
static long dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

/* Makes folder dir/name holding the given files (NULL-terminated). */
static char *make_folder(const char *dir, const char *name, ...)
{
	char *p = tu_path(dir, name);
	const char *file;
	va_list ap;

	assert_int_equal(mkdir(p, 0777), 0);
	va_start(ap, name);
	while ((file = va_arg(ap, const char *))) {
		char *q = tu_path(p, file);

		tu_write_str(q, "x");
		free(q);
	}
	va_end(ap);
	return p;
}

static void test_refuses_a_foreign_folder(void **state)
{
	struct fx *f = *state;
	char *dir = make_folder(f->tmp, "p", "thesis.tex", NULL), *thesis = tu_path(dir, "thesis.tex");
	char *other = tu_path(f->tmp, "q"), *man;
	struct tn_err err;
	char *text;

	assert_int_equal(tn_bundle_check_target(dir, &err), TN_ESTATE);
	assert_int_equal(tn_bundle_save(f->b, dir, &err), TN_ESTATE);
	assert_true(tu_has(err.msg, "holds no model bundle"));
	text = tu_read(thesis, NULL);
	assert_string_equal(text, "x");
	free(text);
	assert_int_equal(entries(dir), 1);
	assert_int_equal(entries(f->tmp), 1);  /* no temporary folder left */
	/* A manifest.json of something else is no bundle either. */
	assert_int_equal(mkdir(other, 0777), 0);
	man = tu_path(other, "manifest.json");
	tu_write_str(man, "{\"format\": \"tenor-classify\"}");
	assert_int_equal(tn_bundle_save(f->b, other, &err), TN_ESTATE);
	assert_true(exists(other, "manifest.json"));
	assert_int_equal(entries(other), 1);
	free(man);
	free(other);
	free(thesis);
	free(dir);
}

static void test_empty_folder_and_trailing_slash(void **state)
{
	struct fx *f = *state;
	char *dir = tu_path(f->tmp, "m"), *slashed = tu_path(f->tmp, "m/");
	struct tn_err err;

	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(tn_bundle_check_target(dir, &err), 0);
	assert_int_equal(tn_bundle_save(f->b, slashed, &err), 0);
	assert_string_equal(err.msg, "");
	assert_true(exists(dir, "manifest.json"));
	assert_int_equal(entries(dir), BUNDLE_ENTRIES);
	assert_int_equal(entries(f->tmp), 1);
	free(slashed);
	free(dir);
}

static void test_refuses_a_symlink(void **state)
{
	struct fx *f = *state;
	char *real = tu_path(f->tmp, "real"), *link = tu_path(f->tmp, "link");
	struct tn_err err;

	assert_int_equal(tn_bundle_save(f->b, real, &err), 0);
	assert_int_equal(symlink("real", link), 0);
	assert_int_equal(tn_bundle_save(f->b, link, &err), TN_ESTATE);
	assert_true(tu_has(err.msg, "symbolic link"));
	assert_int_equal(entries(real), BUNDLE_ENTRIES);
	assert_int_equal(entries(f->tmp), 2);
	free(link);
	free(real);
}

static void test_replace_removes_only_bundle_files(void **state)
{
	struct fx *f = *state;
	char *dir = tu_path(f->tmp, "model"), *notes = tu_path(dir, "notes.txt"), *sub = tu_path(dir, "sub");
	char *keep = tu_path(sub, "keep.svm"), old[64];
	struct tn_err err;
	DIR *d;
	struct dirent *e;

	assert_int_equal(tn_bundle_save(f->b, dir, &err), 0);
	tu_write_str(notes, "mine");
	assert_int_equal(mkdir(sub, 0777), 0);
	tu_write_str(keep, "mine too");
	assert_int_equal(tn_bundle_save(f->b, dir, &err), 0);
	/* The new bundle is whole; the old folder is left with what is not a bundle's, and said so. */
	assert_int_equal(entries(dir), BUNDLE_ENTRIES);
	assert_true(tu_has(err.msg, "held files that are not a bundle's"));
	snprintf(old, sizeof(old), "model.old-%ld", (long)getpid());
	assert_true(tu_has(err.msg, old));
	assert_int_equal(entries(f->tmp), 2);
	d = opendir(f->tmp);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, old)) {
			char *o = tu_path(f->tmp, old), *osub = tu_path(o, "sub");

			assert_int_equal(entries(o), 2);
			assert_true(exists(o, "notes.txt"));
			assert_true(exists(osub, "keep.svm"));
			assert_false(exists(o, "manifest.json"));
			free(osub);
			free(o);
		}
	closedir(d);
	free(keep);
	free(sub);
	free(notes);
	free(dir);
}

static void test_cleans_stale_folders(void **state)
{
	struct fx *f = *state;
	long dead = dead_pid();
	char name[64], *dir = tu_path(f->tmp, "model");
	char *stale_tmp, *stale_old, *live, *other;
	struct tn_err err;

	snprintf(name, sizeof(name), "model.tmp-%ld", dead);
	stale_tmp = make_folder(f->tmp, name, "manifest.json", "topic.svm", "idf.bin", NULL);
	snprintf(name, sizeof(name), "model.old-%ld", dead);
	stale_old = make_folder(f->tmp, name, "tone.liblinear", "thesis.tex", NULL);
	snprintf(name, sizeof(name), "model.tmp-%ld", (long)getppid());
	live = make_folder(f->tmp, name, "manifest.json", NULL);
	snprintf(name, sizeof(name), "other.tmp-%ld", dead);
	other = make_folder(f->tmp, name, "manifest.json", NULL);
	assert_int_equal(tn_bundle_save(f->b, dir, &err), 0);
	assert_int_equal(entries(dir), BUNDLE_ENTRIES);
	/* Dead and all bundle files: gone.  Dead with a file of someone else's: only that file left. */
	assert_false(exists(f->tmp, strrchr(stale_tmp, '/') + 1));
	assert_true(exists(stale_old, "thesis.tex"));
	assert_false(exists(stale_old, "tone.liblinear"));
	assert_true(tu_has(err.msg, strrchr(stale_old, '/') + 1));
	assert_true(tu_has(err.msg, "interrupted train"));
	/* A live process's folder and another bundle's folders are not touched. */
	assert_true(exists(live, "manifest.json"));
	assert_true(exists(other, "manifest.json"));
	free(other);
	free(live);
	free(stale_old);
	free(stale_tmp);
	free(dir);
}

static void test_reserved_head_names(void **state)
{
	const char *ok[] = { "topic", "tone", "scores", "my_score_x" };
	const char *bad[][2] = { { "error", NULL }, { "id", NULL }, { "tone_score", NULL },
				 { "tone_scores", NULL } };
	const char *dup[] = { "topic", "tone", "topic" };
	struct tn_err err;
	size_t i;

	(void)state;
	assert_int_equal(tn_bundle_check_head_names(ok, 4, &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_true(tn_bundle_reserved_head_name(bad[i][0]));
		assert_int_equal(tn_bundle_check_head_names(bad[i], 1, &err), TN_EINVAL);
		assert_true(tu_has(err.msg, bad[i][0]));
	}
	assert_int_equal(tn_bundle_check_head_names(dup, 3, &err), TN_EINVAL);
	assert_true(tu_has(err.msg, "'topic' is named twice"));
}

/* Renames head h of the bundle in dir (manifest only). */
static void rename_head(const char *dir, size_t h, const char *name)
{
	char *p = tu_path(dir, "manifest.json");
	json_t *m = json_load_file(p, 0, NULL);

	assert_non_null(m);
	json_object_set_new(json_array_get(json_object_get(m, "heads"), h), "name", json_string(name));
	assert_int_equal(json_dump_file(m, p, JSON_INDENT(2)), 0);
	json_decref(m);
	free(p);
}

static void test_load_refuses_reserved_and_twice(void **state)
{
	struct fx *f = *state;
	char *dir = tu_path(f->tmp, "model");
	struct tn_bundle *b = NULL;
	struct tn_err err;

	assert_int_equal(tn_bundle_save(f->b, dir, &err), 0);
	rename_head(dir, 0, "error");
	assert_int_equal(tn_bundle_load(&b, dir, &err), TN_EMODEL);
	assert_null(b);
	assert_true(tu_has(err.msg, "'error' is reserved"));
	rename_head(dir, 0, f->b->heads[1].name);
	assert_int_equal(tn_bundle_load(&b, dir, &err), TN_EMODEL);
	assert_true(tu_has(err.msg, "listed twice"));
	free(dir);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_refuses_a_foreign_folder),
		T(test_empty_folder_and_trailing_slash),
		T(test_refuses_a_symlink),
		T(test_replace_removes_only_bundle_files),
		T(test_cleans_stale_folders),
		T(test_reserved_head_names),
		T(test_load_refuses_reserved_and_twice),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
