#!/usr/bin/env python3
"""Score predictions against a labeled JSONL file, identically for every tool.

make eval (bench/eval.sh) scores Tenor and each peer with this one module, so
that no tool is judged by its own arithmetic; Tenor's figures are re-computed
from its classify records and checked against its manifest.

    accuracy  = correct / documents
    macro-F1  = mean over classes of F1(c) = 2 tp / (2 tp + fp + fn), the
                classes being those present in the truth or in the predictions
                (a class never predicted has F1 0; a predicted class absent from
                the truth counts too, with F1 0).  Every listed class has
                tp + fp + fn >= 1, so F1 is always defined.

A missing prediction (a Tenor error record, an empty fastText line) is the
class "" and counts against accuracy and macro-F1 like any wrong label.

Usage:
  bench/metrics.py score --truth TEST.jsonl --field label --pred FILE
                         [--pred-field F] [--json]
      FILE holds one predicted label a line, in TEST's order; with
      --pred-field, FILE holds JSON records (plain or .zst) joined to TEST by
      "id", the prediction in field F.  Prints accuracy and macro-F1.
"""
import argparse
import json
import subprocess
import sys


def confusion(truth, pred):
    """Return (classes, matrix): classes sorted, matrix[i][j] the number of
    documents of true class i predicted as class j."""
    if len(truth) != len(pred):
        raise ValueError("%d true labels but %d predictions" % (len(truth), len(pred)))
    classes = sorted(set(truth) | set(pred))
    index = {c: i for i, c in enumerate(classes)}
    matrix = [[0] * len(classes) for _ in classes]
    for t, p in zip(truth, pred):
        matrix[index[t]][index[p]] += 1
    return classes, matrix


def scores_from_confusion(classes, matrix):
    """Return {"documents", "accuracy", "macro_f1", "classes": {c: {precision,
    recall, f1, support}}} from a confusion matrix (rows true, columns
    predicted)."""
    k = len(classes)
    n = sum(sum(row) for row in matrix)
    correct = sum(matrix[i][i] for i in range(k))
    per = {}
    for i, c in enumerate(classes):
        tp = matrix[i][i]
        fn = sum(matrix[i]) - tp
        fp = sum(matrix[r][i] for r in range(k)) - tp
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        per[c] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    return {"documents": n,
            "accuracy": correct / n if n else 0.0,
            "macro_f1": sum(v["f1"] for v in per.values()) / k if k else 0.0,
            "classes": per}


def score(truth, pred):
    """Scores of the predictions PRED (a list) against TRUTH (a list)."""
    return scores_from_confusion(*confusion(truth, pred))


def read_truth(path, field):
    """Return ([ids], [labels]) of a labeled JSONL file; a record without an
    id gets FILE:LINE as Tenor's classify does."""
    ids, labels = [], []
    with open(path, encoding="utf-8") as f:
        for k, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            if not isinstance(rec.get(field), str):
                raise ValueError("%s:%d: no string field '%s'" % (path, k, field))
            ids.append(str(rec.get("id", "%s:%d" % (path, k))))
            labels.append(rec[field])
    return ids, labels


def read_pred_lines(path):
    """One label a line; fastText's '__label__' prefix is dropped."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.strip().split(" ")[0]
            out.append(p[len("__label__"):] if p.startswith("__label__") else p)
    return out


def read_pred_records(path, field):
    """Return {id: label} from JSON records, plain or zstd-compressed."""
    if path.endswith(".zst"):
        text = subprocess.run(["zstd", "-dcq", path], check=True,
                              stdout=subprocess.PIPE).stdout.decode("utf-8")
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    out = {}
    for line in text.splitlines():
        if line.strip():
            rec = json.loads(line)
            label = rec.get(field)
            out[str(rec["id"])] = label if isinstance(label, str) else ""
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("score", help="score one prediction file")
    sc.add_argument("--truth", required=True)
    sc.add_argument("--field", default="label")
    sc.add_argument("--pred", required=True, nargs="+",
                    help="prediction file(s); several record files are merged")
    sc.add_argument("--pred-field",
                    help="PRED holds JSON records; take the label from this field")
    sc.add_argument("--json", action="store_true", help="print the full scores as JSON")
    args = ap.parse_args()

    ids, truth = read_truth(args.truth, args.field)
    if args.pred_field:
        recs = {}
        for p in args.pred:
            recs.update(read_pred_records(p, args.pred_field))
        pred = [recs.get(i, "") for i in ids]
    else:
        if len(args.pred) != 1:
            sys.exit("metrics.py: one line-per-label prediction file at a time")
        pred = read_pred_lines(args.pred[0])
    try:
        s = score(truth, pred)
    except ValueError as e:
        sys.exit("metrics.py: %s" % e)
    if args.json:
        print(json.dumps(s, sort_keys=True))
    else:
        print("%.4f\t%.4f\t%d" % (s["accuracy"], s["macro_f1"], s["documents"]))


if __name__ == "__main__":
    main()
