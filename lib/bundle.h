/*
 * bundle.h - the model bundle: a folder with everything needed to classify.
 *
 *   NAME/manifest.json   format version, feature settings, heads with their
 *                        classes and training settings, corpus summary, metrics
 *   NAME/idf.bin         the learned idf of every kept bucket (see below)
 *   NAME/HEAD.svm        one libsvm model per head, in libsvm's own format:
 *                        svm_load_model and libsvm's svm-predict read it, on
 *                        vectors whose indices are bucket + 1 (feat.h)
 *   NAME/HEAD.liblinear  instead, for heads trained with --solver liblinear:
 *                        liblinear's own format (load_model, liblinear's
 *                        predict), one-vs-rest, bias feature 2^bits + 1
 *   NAME/names.tsv.zst   the n-gram names of the kept buckets (names.h)
 *   NAME/reliability-HEAD.svg  a calibrated head's reliability plot (reliability.h)
 * The last two are "further files" (tn_bundle_add_file): listed in the
 * manifest with size and XXH64, checked and kept in memory by load.
 *
 * idf.bin: "TNIDF\0\0\1", uint32 bits, uint32 count, then count pairs
 * (uint32 bucket, float32 idf), buckets ascending, all little-endian.
 *
 * A bundle is written to a temporary folder beside NAME and exchanged with the
 * old one (see tn_bundle_save), so a failed or killed run never leaves half a
 * bundle, nor a moment without one.  Loading checks the format
 * version and that every part agrees with the manifest.  Load and save call
 * libsvm's loader/saver, which are not thread-safe: do both outside parallel
 * regions.  A loaded bundle is read-only and may be shared by threads.
 */
#ifndef TN_BUNDLE_H
#define TN_BUNDLE_H

#include <stddef.h>

#include "err.h"
#include "feat.h"
#include "limits.h"

#define TN_BUNDLE_FORMAT "tenor-model"
#define TN_BUNDLE_VERSION 1
/* A bundle with tone features (tone.h) is version 2: an older Tenor refuses it
   rather than classify without them. */
#define TN_BUNDLE_VERSION_TONE 2
/* Word n-grams of 2+ tokens with TN_FEAT_KEYS_MIX keys ("hash": "xxh3-64+mix"),
   with or without tone features: version 3, so that an older Tenor, which would
   hash them the old way, refuses the bundle. */
#define TN_BUNDLE_VERSION_MIX 3

struct svm_model;
struct model;  /* liblinear's */

enum tn_kernel { TN_KERNEL_LINEAR, TN_KERNEL_RBF };

struct tn_head {
	char *name;
	size_t nclass;
	char **classes;           /* class id -> name; libsvm labels are the ids */
	struct svm_model *svm;    /* owned; NULL for a liblinear head */
	struct model *lin;        /* owned liblinear model (one-vs-rest); NULL for libsvm */
	void *info;               /* private: the head's manifest entry (settings, metrics), owned;
				     tn_head_set_test and the library (manifest_json.h) write it */
};

/* A further file of the bundle (names.tsv.zst, reliability-HEAD.svg): its name and bytes. */
struct tn_bundle_file {
	char *name;
	char *data;
	size_t len;
};

struct tn_bundle {
	struct tn_feat_opts feat;
	float *idf;               /* 2^feat.bits entries */
	size_t nheads;
	struct tn_head *heads;
	void *info;               /* private: manifest extras ("corpus", "training", "grid"), owned;
				     tn_bundle_set_corpus and the library (manifest_json.h) write it */
	char identity[17];        /* hex XXH64 of the bundle's files, set by load */
	char *path;               /* where it was loaded from */
	void *sv_pool, *sv_index; /* a trained bundle's vectors, which its models point into */
	struct tn_bundle_file *files;   /* further files, saved and loaded with the rest */
	size_t nfiles;
};

/* An empty bundle with these feature settings; idf zeroed.  NULL if out of memory. */
struct tn_bundle *tn_bundle_create(const struct tn_feat_opts *feat);
void tn_bundle_free(struct tn_bundle *b);

/*
 * 1 if name may be a further file of a bundle: "names.tsv.zst" (names.h) or
 * "reliability-HEAD.svg" (reliability.h).
 */
int tn_bundle_extra_file_name(const char *name);

/*
 * Adds (or replaces) a further file, copying data[0..len); name must pass
 * tn_bundle_extra_file_name.  Saved with the bundle, listed in its manifest's
 * "files" with size and XXH64, and checked and kept in memory by load.
 * 0, TN_EINVAL or TN_ENOMEM.
 */
int tn_bundle_add_file(struct tn_bundle *b, const char *name, const void *data, size_t len);

/* The further file called name, or NULL. */
const struct tn_bundle_file *tn_bundle_get_file(const struct tn_bundle *b, const char *name);

/* Head names become file names: letters, digits, '_', '-', '.'; not starting with '.'. */
int tn_bundle_valid_head_name(const char *name);

/*
 * 1 if name would collide with a key of classify's records: "id", "error", or
 * a name ending in "_score", "_scores", "_top" or "_explain" (HEAD_score,
 * HEAD_scores, HEAD_top, HEAD_explain).
 */
int tn_bundle_reserved_head_name(const char *name);

/*
 * Checks that names[0..n) can name the heads of one bundle: each valid, none
 * reserved, no two alike.  0, or TN_EINVAL with err naming the first bad one.
 */
int tn_bundle_check_head_names(const char *const *names, size_t n, struct tn_err *err);

/*
 * 0 if a bundle may be saved at dir: nothing is there, or an empty folder, or
 * a bundle (a manifest.json of format "tenor-model").  Otherwise TN_ESTATE or
 * TN_EIO with err saying why: a folder Tenor did not make is never replaced.
 */
int tn_bundle_check_target(const char *dir, struct tn_err *err);

/*
 * Writes b to dir, which tn_bundle_check_target must accept.  The bundle is
 * built in DIR.tmp-PID beside it, every file and the folder fsync'ed, then
 * exchanged with the old one (renameat2 RENAME_EXCHANGE: dir always names a
 * whole bundle), the parent fsync'ed, and the old bundle (moved to
 * DIR.old-PID) removed: only files with bundle names (manifest.json, idf.bin,
 * *.svm, *.liblinear, manifest.json.tmp), never anything else.  Folders
 * DIR.tmp-PID / DIR.old-PID left by a killed save whose PID is gone are
 * removed the same way.  Returns 0, TN_ESTATE, TN_EIO or TN_ENOMEM.  On
 * success err->msg is empty, or holds a note for the user naming a folder
 * left in place because it held files that are not a bundle's.
 */
int tn_bundle_save(const struct tn_bundle *b, const char *dir, struct tn_err *err);

/*
 * Rewrites dir/manifest.json from b (e.g. after adding held-out metrics to the
 * heads' info), atomically.  0, TN_EIO or TN_ENOMEM.
 */
int tn_bundle_write_manifest(const struct tn_bundle *b, const char *dir, struct tn_err *err);

/* Loads the bundle in dir.  0, or TN_EIO / TN_EMODEL / TN_ENOMEM with err saying what is wrong. */
int tn_bundle_load(struct tn_bundle **out, const char *dir, struct tn_err *err);

/*
 * Records the training corpus in the manifest ("corpus": the files, documents,
 * text bytes and skipped records).  0 or TN_ENOMEM.
 */
int tn_bundle_set_corpus(struct tn_bundle *b, const char *const *files, size_t nfiles, size_t docs,
			 size_t text_bytes, size_t skipped);

struct tn_confusion;
/*
 * Records held-out figures of head h in its manifest entry ("test": the
 * figures of tn_confusion_report and the file).  0 or TN_ENOMEM.
 */
int tn_head_set_test(struct tn_head *h, const struct tn_confusion *c, const char *file);

/* What training chose for head h: its C and class weighting ("balanced" or "none"); 0 / NULL if unknown. */
double tn_head_cost(const struct tn_head *h);
const char *tn_head_class_weight(const struct tn_head *h);

/* The kernel of head h's model. */
enum tn_kernel tn_head_kernel(const struct tn_head *h);
/*
 * 1 if head h carries probability calibration: pairwise Platt sigmoids in its
 * libsvm model (probA/probB), or a softmax temperature in its manifest entry.
 */
int tn_head_has_probability(const struct tn_head *h);
/*
 * The softmax temperature of a one-vs-rest head's calibration ("calibration":
 * {"method": "softmax-temperature", "temperature": T}): T, 0 if the head has
 * none, -1 if it is not a number within [1e-6, 1e6] (a damaged manifest).
 */
double tn_head_temperature(const struct tn_head *h);
/*
 * 1 if head h is a one-vs-rest model in libsvm's form (the linear solver's
 * default): "multiclass": "one-vs-rest" in its entry, one support vector per
 * class (one for two classes), labels 0..k-1 in order.
 */
int tn_head_is_ovr_pairs(const struct tn_head *h);

#endif
