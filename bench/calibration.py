#!/usr/bin/env python3
"""How well a model's scores are calibrated on labeled files (the README's ECE table).

For each FILE (JSONL with an "id", the text and the true label of every head)
runs `bin/classify -m MODEL -o - FILE` and, for every head, compares the
chosen class's score with whether the class is right: the mean score, the
accuracy, and the expected calibration error (ECE: 10 equal-width score bins,
the documents' weighted mean of |mean score - accuracy| per bin, as
lib/reliability.c computes it for train).  With --margins the model is run a
second time with --no-probability (scores from decision margins) for the same
figures.  Prints a Markdown table.

Usage: bench/calibration.py -m MODEL [--margins] FILE...
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from realnews_score import read_by_id  # noqa: E402

PROG = "calibration.py"


def classify(model, path, extra):
    out = subprocess.run([os.path.join(REPO, "bin", "classify"), "-q", "-m", model, "-o", "-"]
                         + extra + [path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if out.returncode not in (0, 3):
        sys.exit("%s: classify failed on %s (exit %d)" % (PROG, path, out.returncode))
    return [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]


def ece(pairs, nbins=10):
    """pairs: (score, right).  Returns (mean score, accuracy, ECE)."""
    bins = [[0, 0.0, 0] for _ in range(nbins)]
    for score, right in pairs:
        b = bins[min(int(score * nbins), nbins - 1)]
        b[0] += 1
        b[1] += score
        b[2] += right
    n = len(pairs)
    gap = sum(abs(b[1] - b[2]) for b in bins if b[0]) / n
    return sum(s for s, _ in pairs) / n, sum(r for _, r in pairs) / n, gap


def figures(records, gold, head):
    pairs = [(r[head + "_score"], r[head] == gold[r["id"]]) for r in records
             if r.get(head) is not None and r["id"] in gold]
    return ece(pairs) if pairs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--margins", action="store_true",
                    help="also the scores of --no-probability (decision margins)")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    with open(os.path.join(args.model, "manifest.json"), encoding="utf-8") as f:
        heads = [h["name"] for h in json.load(f)["heads"]]
    cols = "| file | head | documents | mean score | accuracy | ECE |"
    if args.margins:
        cols += " ECE, margin scores |"
    print(cols)
    print("|" + "---|" * (cols.count("|") - 1))
    for path in args.files:
        gold = read_by_id(path)
        recs = classify(args.model, path, [])
        marg = classify(args.model, path, ["--no-probability"]) if args.margins else None
        for head in heads:
            g = {k: v[head] for k, v in gold.items() if head in v}
            f = figures(recs, g, head)
            if f is None:
                continue
            row = "| %s | %s | %d | %.3f | %.3f | %.3f |" % (os.path.basename(path), head, len(g), *f)
            if marg is not None:
                row += " %.3f |" % figures(marg, g, head)[2]
            print(row)


if __name__ == "__main__":
    main()
