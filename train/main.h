/*
 * main.h - the entry of the train program, for the tenor dispatcher
 * (classify/tenor.c), which runs it as `tenor train` and as bin/train.
 */
#ifndef TN_TRAIN_MAIN_H
#define TN_TRAIN_MAIN_H

/*
 * Runs train on argv[1..argc) and returns its exit code.  argv[0] is the name
 * every message starts with ("train", "tenor train").  Call it once per
 * process: it uses getopt's global state and may exit (--help, --version).
 */
int tn_train_main(int argc, char **argv);

#endif
