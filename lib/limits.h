/*
 * limits.h - Tenor's named limits, in one place.
 *
 * The library checks them (corpus loading, bundle loading, feature settings)
 * and the programs quote them in their option checks and --help, so a limit
 * is changed here or nowhere.
 */
#ifndef TN_LIMITS_H
#define TN_LIMITS_H

#include <stddef.h>

/* Heads (label fields) of a corpus or a bundle. */
#define TN_MAX_HEADS 64
/* Classes of one head. */
#define TN_MAX_CLASSES 1000
/* Bytes of a head name (it becomes a file name). */
#define TN_MAX_HEAD_NAME 64

/* Hashing into 2^bits buckets. */
#define TN_FEAT_BITS_MIN 10
#define TN_FEAT_BITS_MAX 24
/* Longest word n-gram and character n-gram. */
#define TN_FEAT_NGRAM_MAX 5
#define TN_FEAT_CHAR_NGRAM_MAX 8

/*
 * Longest document or line: the default of train's record limit (a corpus
 * line) and of classify's --max-doc-bytes.
 */
#define TN_MAX_DOC_BYTES_DEFAULT ((size_t)16 << 20)
/* The most classify's --max-doc-bytes may be. */
#define TN_MAX_DOC_BYTES_LIMIT ((size_t)1 << 30)

/* Inputs a run manifest lists one by one (with sizes); all count in its digest. */
#define TN_MANIFEST_INPUTS_LISTED 1000

/* --threads of both programs. */
#define TN_MAX_THREADS 1024

/*
 * Memory that the linear solver's training tasks running at once may take:
 * each holds about two dense weight vectors of 2^bits doubles per class
 * (liblinear's model and its solver's copy), so the tasks that run in
 * parallel are as many as fit in this (at least one), up to the threads.
 */
#define TN_LINEAR_TASKS_MEMORY ((size_t)1 << 30)

#endif
