#!/usr/bin/env python3
"""Coverage against accuracy when uncertain predictions are left unlabeled.

Runs `bin/classify -m MODEL -o - FILE` on a labeled real-text split and, for
each threshold P, keeps the documents whose HEAD_score is at least P (what
`classify --min-score P` labels; the others it writes as null) and prints the
share kept (coverage), the accuracy and the macro-F1 on them, as a Markdown
table.  The scores should be calibrated probabilities (train --probability),
else P means nothing.

Usage: bench/realnews_abstain.py -m MODEL [--head tone] [--thresholds 0,0.5,...] FILE
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from realnews_score import macro_f1  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--head", default="tone")
    ap.add_argument("--thresholds", default="0,0.4,0.5,0.6,0.7,0.8,0.9")
    ap.add_argument("file")
    args = ap.parse_args()
    gold = {}
    with open(args.file, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                gold[r["id"]] = r[args.head]
    out = subprocess.run([os.path.join(REPO, "bin", "classify"), "-q", "-m", args.model, "-o", "-",
                          args.file], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if out.returncode not in (0, 3):
        sys.exit("realnews_abstain.py: classify failed (exit %d)" % out.returncode)
    pred = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    classes = sorted(set(gold.values()))
    print("| min score | coverage | labeled | accuracy | macro-F1 |")
    print("|---|---|---|---|---|")
    for t in (float(x) for x in args.thresholds.split(",")):
        kept = [(gold[r["id"]], r[args.head]) for r in pred
                if r.get(args.head) is not None and r.get(args.head + "_score", 0) >= t]
        acc = sum(g == p for g, p in kept) / len(kept) if kept else 0.0
        print("| %.2f | %.1f %% | %d | %.3f | %.3f |" % (t, 100.0 * len(kept) / len(pred), len(kept),
                                                     acc, macro_f1(kept, classes)))


if __name__ == "__main__":
    main()
