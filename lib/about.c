/*
 * about.c - the build's identity for --version and the installed models'
 * folder; see about.h.
 */
#include "about.h"

#include "err.h"

#include "version.h"

#include <archive.h>
#include <cjson/cJSON.h>
#include <jansson.h>
#include <libsvm/svm.h>
#include <linear.h>
#include <utf8proc.h>
#include <xxhash.h>
#include <zstd.h>

#include "tenor_build.h"

const char *tn_about_models_dir(void)
{
	return TN_BUILD_PREFIX "/share/tenor/models";
}

void tn_about_print_version(FILE *f, const char *name)
{
	struct tn_buf b = TN_BUF_INIT;

	fprintf(f, "%s (Tenor) %s\n", name, TN_VERSION);
	if (tn_about_versions(&b) == 0)
		fputs(b.ptr, f);
	tn_buf_release(&b);
}

int tn_about_versions(struct tn_buf *b)
{
	unsigned xxh = XXH_versionNumber();
	int rc = 0;

	/* libsvm and liblinear export their version as a number, 324 for 3.24. */
	rc |= tn_buf_addf(b, "libraries:\n");
	rc |= tn_buf_addf(b, "  libsvm %d.%02d, liblinear %d.%02d\n", libsvm_version / 100, libsvm_version % 100,
			  liblinear_version / 100, liblinear_version % 100);
	rc |= tn_buf_addf(b, "  zstd %s\n", ZSTD_versionString());
	rc |= tn_buf_addf(b, "  %s\n", archive_version_details());
	rc |= tn_buf_addf(b, "  jansson %s, cJSON %s\n", jansson_version_str(), cJSON_Version());
	rc |= tn_buf_addf(b, "  utf8proc %s (Unicode %s), xxhash %u.%u.%u\n", utf8proc_version(),
			  utf8proc_unicode_version(), xxh / 10000, xxh / 100 % 100, xxh % 100);
	rc |= tn_buf_addf(b, "build:\n");
	rc |= tn_buf_addf(b, "  compiler %s %s, OpenMP %d\n", TN_BUILD_CC, __VERSION__, _OPENMP);
	rc |= tn_buf_addf(b, "  CFLAGS %s\n", TN_BUILD_CFLAGS);
	rc |= tn_buf_addf(b, "  LDFLAGS %s\n", TN_BUILD_LDFLAGS);
	rc |= tn_buf_addf(b, "  PREFIX %s (models in %s)\n", TN_BUILD_PREFIX, tn_about_models_dir());
	rc |= tn_buf_addf(b, "\nCopyright (c) 2026 the Tenor authors.  %s license: see LICENSE.\n", TN_LICENSE);
	return rc ? TN_ENOMEM : 0;
}
