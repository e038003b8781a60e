#!/usr/bin/env python3
"""make bench-train helper: TF-IDF vectors for liblinear and svm-train.

  bench_svmlight.py CORPUS.jsonl FIELD OUT.svm

Tenor cannot export its vectors, so this builds the closest equivalent with
scikit-learn and writes them in libsvm format (1-based feature indices; the
classes of FIELD numbered 1..k in sorted order): word 1-2 grams of
case-folded runs of letters and digits, hashed into 2^20 buckets (murmurhash3
here, xxh3 in Tenor), buckets seen in fewer than 2 documents dropped, weights
(1 + ln tf) * smooth idf, rows of unit length: Tenor's defaults.  Prints one
JSON object: {"documents", "nnz", "features", "vectorize_s", "write_s"}.
"""
import json
import sys
import time


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: bench_svmlight.py CORPUS.jsonl FIELD OUT.svm\n")
        sys.exit(2)
    corpus, field, out = sys.argv[1:]
    import numpy as np
    from sklearn.datasets import dump_svmlight_file
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    texts, labels = [], []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            texts.append(rec["text"])
            labels.append(rec[field])
    classes = sorted(set(labels))
    number = {c: k for k, c in enumerate(classes, 1)}

    t0 = time.perf_counter()
    hv = HashingVectorizer(n_features=2 ** 20, ngram_range=(1, 2), alternate_sign=False,
                           norm=None, token_pattern=r"(?u)[^\W_]+")
    x = hv.transform(texts)
    df = np.bincount(x.indices, minlength=x.shape[1])
    keep = np.flatnonzero(df >= 2)
    x = x[:, keep]
    x = TfidfTransformer(sublinear_tf=True).fit_transform(x)
    x.sort_indices()
    t1 = time.perf_counter()
    dump_svmlight_file(x, np.array([number[y] for y in labels]), out, zero_based=False)
    t2 = time.perf_counter()
    print(json.dumps({"documents": x.shape[0], "nnz": int(x.nnz), "features": int(x.shape[1]),
                      "classes": classes, "vectorize_s": round(t1 - t0, 3),
                      "write_s": round(t2 - t1, 3)}))


if __name__ == "__main__":
    main()
