#!/usr/bin/env python3
"""make eval helper: the TF-IDF vectors given to liblinear and libsvm.

  vectors TRAIN TEST --field F --out DIR
      fits common.make_vectorizer() (the same configuration as the
      scikit-learn peer) on TRAIN and writes DIR/train.svm and DIR/test.svm
      in libsvm format (1-based feature indices, classes numbered 1..k in
      sorted order), DIR/classes.txt (class k on line k) and
      DIR/vectorizer.pkl; prints {"fit_s", "vectorizer_bytes", "features"}:
      fit_s is the wall time of the vectorizer's fit on TRAIN, the part of
      training that happens before liblinear or libsvm starts.
  decode DIR PRED
      turns a liblinear/libsvm prediction file (class numbers, with or without
      the "labels ..." header of -b 1) into one class name a line on stdout.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Stopwatch, make_vectorizer, read_jsonl, save  # noqa: E402


def vectors(args):
    from sklearn.datasets import dump_svmlight_file
    x_train, y_train = read_jsonl(args.train, args.field)
    x_test, y_test = read_jsonl(args.test, args.field)
    classes = sorted(set(y_train))
    number = {c: k for k, c in enumerate(classes, 1)}
    vec = make_vectorizer()
    with Stopwatch() as fit:
        m_train = vec.fit_transform(x_train)
    m_test = vec.transform(x_test)
    os.makedirs(args.out, exist_ok=True)
    # A test class unseen in training can never be predicted: number it 0.
    dump_svmlight_file(m_train, [number[y] for y in y_train],
                       os.path.join(args.out, "train.svm"), zero_based=False)
    dump_svmlight_file(m_test, [number.get(y, 0) for y in y_test],
                       os.path.join(args.out, "test.svm"), zero_based=False)
    with open(os.path.join(args.out, "classes.txt"), "w", encoding="utf-8") as f:
        f.writelines(c + "\n" for c in classes)
    size = save(vec, os.path.join(args.out, "vectorizer.pkl"))
    print(json.dumps({"fit_s": fit.seconds, "vectorizer_bytes": size,
                      "features": m_train.shape[1]}))


def decode(args):
    with open(os.path.join(args.dir, "classes.txt"), encoding="utf-8") as f:
        classes = [line.rstrip("\n") for line in f]
    with open(args.pred, encoding="utf-8") as f:
        for line in f:
            if line.startswith("labels"):
                continue
            k = int(float(line.split()[0]))
            print(classes[k - 1] if 1 <= k <= len(classes) else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("vectors")
    v.add_argument("train")
    v.add_argument("test")
    v.add_argument("--field", default="label")
    v.add_argument("--out", required=True)
    d = sub.add_parser("decode")
    d.add_argument("dir")
    d.add_argument("pred")
    args = ap.parse_args()
    (vectors if args.cmd == "vectors" else decode)(args)


if __name__ == "__main__":
    main()
