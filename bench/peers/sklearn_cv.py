#!/usr/bin/env python3
"""Cross-validation of make eval's scikit-learn peer on a train split.

The peer of bench/peers/sklearn_svc.py (TfidfVectorizer 1-2 grams, sublinear
tf + LinearSVC, C=1), scored by 5-fold stratified cross-validation on TRAIN
alone, the way bench/defaults.py scores Tenor's candidates (`train --cv 5`):
the figure to set beside Tenor's cross-validated macro-F1 when a test split
and cross-validation disagree.  The folds are scikit-learn's (shuffled, seed
1), not Tenor's, so differences of half a point are within the folds' noise.

Prints the mean macro-F1 (bench/metrics.py's definition) and each fold's.

Usage: bench/peers/sklearn_cv.py TRAIN --field F [--folds 5]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import make_vectorizer, read_jsonl  # noqa: E402
import metrics  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train")
    ap.add_argument("--field", default="label")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()

    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC
    x, y = read_jsonl(args.train, args.field)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=1)
    f1 = []
    for tr, te in folds.split(x, y):
        vec, svc = make_vectorizer(), LinearSVC()
        svc.fit(vec.fit_transform([x[i] for i in tr]), [y[i] for i in tr])
        pred = list(svc.predict(vec.transform([x[i] for i in te])))
        f1.append(metrics.score([y[i] for i in te], pred)["macro_f1"])
    print("%.4f\t%s" % (sum(f1) / len(f1), " ".join("%.4f" % v for v in f1)))


if __name__ == "__main__":
    main()
