#!/usr/bin/env python3
"""make bench peer: scikit-learn HashingVectorizer + TF-IDF + LinearSVC.

  train FT_TRAIN MODEL
      fits the pipeline on a fastText-format file (bench/build_archive.py's
      ft-train.txt: "__label__CLASS text" a line) and pickles it to MODEL.
  predict MODEL TEXT
      reads TEXT (one pre-normalised document a line) in batches of 4096
      lines, predicts each batch and writes one class a line to stdout, as
      `fasttext predict` does.  Memory is bounded by the batch, not the input.

The configuration mirrors Tenor's defaults: word 1-2 grams hashed into 2^20
buckets, 1 + ln(tf), smooth idf, rows of unit length, a linear SVM (C = 1).
HashingVectorizer and the sparse products run on one core, so bench/run.sh
starts one process per thread, as it does for fastText.
"""
import os
import pickle
import sys

BATCH = 4096


def make_pipeline():
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.pipeline import make_pipeline as mk
    from sklearn.svm import LinearSVC
    # The text is already tokenised: split on spaces, keep one-letter tokens
    # (as Tenor does), no further lower-casing.
    hv = HashingVectorizer(n_features=2 ** 20, ngram_range=(1, 2), alternate_sign=False,
                           norm=None, lowercase=False, token_pattern=r"[^ ]+")
    return mk(hv, TfidfTransformer(sublinear_tf=True), LinearSVC(C=1.0))


def train(ft_train, model_path):
    texts, labels = [], []
    with open(ft_train, encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition(" ")
            texts.append(text)
            labels.append(label[len("__label__"):])
    pipe = make_pipeline()
    pipe.fit(texts, labels)
    with open(model_path + ".tmp", "wb") as f:
        pickle.dump(pipe, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(model_path + ".tmp", model_path)


def predict(model_path, text_path):
    with open(model_path, "rb") as f:
        pipe = pickle.load(f)
    out = sys.stdout
    with open(text_path, encoding="utf-8") as f:
        batch = []
        for line in f:
            batch.append(line)
            if len(batch) == BATCH:
                out.write("\n".join(pipe.predict(batch)) + "\n")
                batch = []
        if batch:
            out.write("\n".join(pipe.predict(batch)) + "\n")


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "train":
        train(args[1], args[2])
    elif len(args) == 3 and args[0] == "predict":
        predict(args[1], args[2])
    else:
        sys.stderr.write("usage: bench_sklearn.py train FT_TRAIN MODEL\n"
                         "       bench_sklearn.py predict MODEL TEXT\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
