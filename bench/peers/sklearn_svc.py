#!/usr/bin/env python3
"""make eval peer: scikit-learn TfidfVectorizer (1-2 grams, sublinear tf) +
LinearSVC (C=1, squared hinge, one-vs-rest), trained on TRAIN, predicting TEST.

Writes one predicted label a line (TEST's order) to --pred and the fitted
vectorizer + model to --model, and prints {"train_s", "model_bytes"} as JSON:
train_s is the wall time of vectorizer fit + SVC fit, inside the process
(interpreter start and imports excluded).

Usage: bench/peers/sklearn_svc.py TRAIN TEST --field F --pred OUT --model PKL
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Stopwatch, make_vectorizer, read_jsonl, save  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--field", default="label")
    ap.add_argument("--pred", required=True)
    ap.add_argument("--model", required=True)
    args = ap.parse_args()

    from sklearn.svm import LinearSVC
    x_train, y_train = read_jsonl(args.train, args.field)
    x_test, _ = read_jsonl(args.test, args.field)
    vec, svc = make_vectorizer(), LinearSVC()
    with Stopwatch() as fit:
        svc.fit(vec.fit_transform(x_train), y_train)
    pred = svc.predict(vec.transform(x_test))
    with open(args.pred, "w", encoding="utf-8") as f:
        f.writelines(p + "\n" for p in pred)
    size = save({"vectorizer": vec, "svc": svc}, args.model)
    print(json.dumps({"train_s": fit.seconds, "model_bytes": size}))


if __name__ == "__main__":
    main()
