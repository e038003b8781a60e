/*
 * main.h - the entry of the classify program, for the tenor dispatcher
 * (classify/tenor.c), which runs it as `tenor classify` and as bin/classify.
 */
#ifndef TN_CLASSIFY_MAIN_H
#define TN_CLASSIFY_MAIN_H

/*
 * Runs classify on argv[1..argc) and returns its exit code.  argv[0] is the
 * name every message starts with ("classify", "tenor classify").  Call it once
 * per process: it uses getopt's global state and may exit (--help, --version).
 */
int tn_classify_main(int argc, char **argv);

#endif
