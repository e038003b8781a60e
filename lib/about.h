/*
 * about.h - what a build of Tenor is: its version, the versions of the
 * libraries it runs with, how it was compiled, and where it was configured to
 * be installed (PREFIX, for the installed models).  The values of the build
 * come from $(BUILD)/tenor_build.h, which the Makefile writes from its
 * variables (and rewrites only when they change, so this file alone is
 * recompiled).
 */
#ifndef TN_ABOUT_H
#define TN_ABOUT_H

#include <stdio.h>

#include "buf.h"

/*
 * Appends the --version text after its first line (which the program writes,
 * "classify (Tenor) 0.1.0"): the libraries' versions as they report them at
 * run time (the header's where a library has no run-time call), the compiler,
 * CFLAGS, LDFLAGS and PREFIX of the build, and the license line.  Each line
 * ends with '\n'.  0 or TN_ENOMEM.
 */
int tn_about_versions(struct tn_buf *b);

/*
 * Writes the whole --version text to f: "NAME (Tenor) VERSION" and the lines
 * of tn_about_versions (left out if memory runs short).
 */
void tn_about_print_version(FILE *f, const char *name);

/* PREFIX/share/tenor/models of the build: where `make install` puts models. */
const char *tn_about_models_dir(void);

#endif
