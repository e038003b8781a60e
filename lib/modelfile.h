/*
 * modelfile.h - strict readers for libsvm and liblinear model files.
 *
 * libsvm's svm_load_model and liblinear's load_model trust their input: a
 * truncated file, counts that disagree or a missing header line crash them or
 * leave fields uninitialised.  These readers parse the same text formats (as
 * svm_save_model and save_model write them) from memory, check everything and
 * build the library's own model struct, which the library's functions
 * (svm_predict_values, svm_free_and_destroy_model, free_and_destroy_model, ...)
 * then use as if their loader had made it.
 *
 * Checked: only printable ASCII, spaces and newlines; every header line known,
 * none twice, the required ones present; counts agree (nr_sv sums to total_sv,
 * rho/label/probA/probB/nr_sv have as many numbers as nr_class asks, exactly
 * total_sv support vectors, the weight matrix complete) with nothing after;
 * every number parses whole and is finite; feature indices ascending within
 * 1..max_index; labels distinct and within 0..nclass-1.  Sizes are bounded by
 * the data's length before anything is allocated.
 *
 * Thread-safe (no global state, no setlocale; numbers are read with strtod,
 * which assumes the "C" locale the programs run in).
 */
#ifndef TN_MODELFILE_H
#define TN_MODELFILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct svm_model;
struct model;

/*
 * Parses a libsvm C-SVC model (linear or RBF kernel) of nclass classes.
 * Returns 0 with *out (free with svm_free_and_destroy_model), TN_EMODEL with
 * err saying what and on which line, or TN_ENOMEM.
 */
int tn_modelfile_parse_svm(struct svm_model **out, const char *data, size_t len, size_t nclass,
			   uint32_t max_index, struct tn_err *err);

/*
 * Parses a liblinear model (L2-regularised SVC solvers) of nclass classes
 * with at most max_index features.  Returns 0 with *out (free with
 * free_and_destroy_model), TN_EMODEL or TN_ENOMEM.
 */
int tn_modelfile_parse_linear(struct model **out, const char *data, size_t len, size_t nclass,
			      uint32_t max_index, struct tn_err *err);

#endif
