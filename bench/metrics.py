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
  bench/metrics.py gap --truth TEST.jsonl --field label --a FILE [--a-field F]
                       --b FILE [--b-field F] [--resamples 2000] [--seed 1]
      Macro-F1 of A minus that of B on the test split, and how far chance in
      the choice of test documents moves it: a paired bootstrap (the test
      documents drawn with replacement, both tools scored on the same draw).
      Prints the gap, the 2.5 and 97.5 percentiles of the resampled gaps (a
      95% interval) and the share of draws where A scores at least B.
"""
import argparse
import json
import random
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


def load_pred(paths, field, ids):
    """Predictions in the truth's order: from record files joined by id (field
    given) or from one line-per-label file."""
    if field:
        recs = {}
        for p in paths:
            recs.update(read_pred_records(p, field))
        return [recs.get(i, "") for i in ids]
    if len(paths) != 1:
        sys.exit("metrics.py: one line-per-label prediction file at a time")
    return read_pred_lines(paths[0])


def bootstrap_gap(truth, a, b, resamples=2000, seed=1):
    """Return (gap, lo, hi, share): macro-F1(a) - macro-F1(b), the 2.5 and
    97.5 percentiles of the gap over RESAMPLES paired bootstrap draws of the
    documents, and the share of draws with a gap >= 0."""
    if not len(truth) == len(a) == len(b):
        raise ValueError("%d true labels, %d and %d predictions" % (len(truth), len(a), len(b)))
    gap = score(truth, a)["macro_f1"] - score(truth, b)["macro_f1"]
    rng = random.Random(seed)
    n = len(truth)
    gaps = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        t = [truth[i] for i in idx]
        gaps.append(score(t, [a[i] for i in idx])["macro_f1"] -
                    score(t, [b[i] for i in idx])["macro_f1"])
    gaps.sort()
    k = int(0.025 * resamples)
    lo, hi = gaps[k], gaps[resamples - 1 - k]
    return gap, lo, hi, sum(g >= 0 for g in gaps) / resamples


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
    gp = sub.add_parser("gap", help="macro-F1 of A minus B, with a paired bootstrap interval")
    gp.add_argument("--truth", required=True)
    gp.add_argument("--field", default="label")
    gp.add_argument("--a", required=True, nargs="+", help="the first tool's prediction file(s)")
    gp.add_argument("--a-field", help="A holds JSON records; the label's field")
    gp.add_argument("--b", required=True, nargs="+", help="the second tool's prediction file(s)")
    gp.add_argument("--b-field", help="B holds JSON records; the label's field")
    gp.add_argument("--resamples", type=int, default=2000)
    gp.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    ids, truth = read_truth(args.truth, args.field)
    if args.cmd == "gap":
        try:
            g = bootstrap_gap(truth, load_pred(args.a, args.a_field, ids),
                              load_pred(args.b, args.b_field, ids), args.resamples, args.seed)
        except ValueError as e:
            sys.exit("metrics.py: %s" % e)
        print("%.4f\t%.4f\t%.4f\t%.3f" % g)
        return
    pred = load_pred(args.pred, args.pred_field, ids)
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
