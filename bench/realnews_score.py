#!/usr/bin/env python3
"""Score a bundle on a real-text split, per source and overall.

Runs `bin/classify -m MODEL -o - FILE` on a labeled split written by
data/fetch/realnews.py (records {"id": "<doc>:<start>-<end>", "text", "topic",
"tone"}) and prints, as a Markdown table, macro-F1 and accuracy of every head
per source (the id's document prefix: reuters, sotu, seed) and overall;
macro-F1 averages the classes that occur among the group's true labels.  With
--confusion it also prints each head's confusion matrix (rows true, columns
predicted); with --json the figures as one JSON object instead.

Usage: bench/realnews_score.py -m MODEL [--classify bin/classify] [--confusion]
                               [--json] FILE [CLASSIFY-OPTION...]
Options after FILE go to classify as they are (e.g. --min-score 0.5).
"""
import argparse
import collections
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADS = ("topic", "tone")


def source_of(rid):
    doc = rid.rsplit(":", 1)[0]
    if doc.startswith("reuters-"):
        return "reuters"
    if doc.startswith("sotu-"):
        return "sotu"
    return "seed"


def read_by_id(path):
    """The records of a JSONL file by their "id"."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[r["id"]] = r
    return out


def macro_f1(pairs, classes):
    f1s = []
    for c in classes:
        tp = sum(1 for t, p in pairs if t == c and p == c)
        fp = sum(1 for t, p in pairs if t != c and p == c)
        fn = sum(1 for t, p in pairs if t == c and p != c)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def score(gold, pred, classes):
    """{source or 'all': {head: (macro_f1, accuracy, labeled, documents)}} over documents with
    a prediction; macro-F1 averages the classes of `classes` that the group's true labels
    hold (Reuters has no security passage in some splits: a class without support would
    count as F1 0)."""
    out = {}
    groups = collections.defaultdict(list)
    for rid, g in gold.items():
        groups[source_of(rid)].append(rid)
        groups["all"].append(rid)
    for src, ids in groups.items():
        out[src] = {}
        for h in HEADS:
            pairs = [(gold[i][h], pred[i].get(h)) for i in ids if pred.get(i, {}).get(h)]
            acc = sum(t == p for t, p in pairs) / len(pairs) if pairs else 0.0
            present = [c for c in classes[h] if any(gold[i][h] == c for i in ids)]
            out[src][h] = (macro_f1(pairs, present), acc, len(pairs), len(ids))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--classify", default=os.path.join(REPO, "bin", "classify"))
    ap.add_argument("--confusion", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("file")
    ap.add_argument("extra", nargs=argparse.REMAINDER)
    args = ap.parse_args()

    gold = read_by_id(args.file)
    run = subprocess.run([args.classify, "-q", "-m", args.model, "-o", "-", args.file] + args.extra,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if run.returncode not in (0, 3):
        sys.exit("realnews_score.py: classify failed (exit %d)" % run.returncode)
    pred = {}
    for line in run.stdout.decode("utf-8").splitlines():
        r = json.loads(line)
        pred[r["id"]] = r
    classes = {h: sorted({g[h] for g in gold.values()}) for h in HEADS}
    res = score(gold, pred, classes)
    order = [s for s in ("reuters", "sotu", "seed") if s in res] + ["all"]
    if args.json:
        print(json.dumps({s: {h: {"macro_f1": round(v[0], 4), "accuracy": round(v[1], 4),
                                  "labeled": v[2], "documents": v[3]}
                              for h, v in res[s].items()} for s in order}))
        return
    print("| source | passages | topic macro-F1 | topic accuracy | tone macro-F1 | tone accuracy |")
    print("|---|---|---|---|---|---|")
    for s in order:
        t, o = res[s]["topic"], res[s]["tone"]
        name = "**overall**" if s == "all" else s
        print("| %s | %d | %.3f | %.3f | %.3f | %.3f |" % (name, t[3], t[0], t[1], o[0], o[1]))
    if args.confusion:
        for h in HEADS:
            cl = classes[h]
            cm = collections.Counter((gold[i][h], pred[i].get(h)) for i in gold if i in pred)
            print("\n%s confusion (rows true, columns predicted)\n" % h)
            print("| | " + " | ".join(cl) + " |")
            print("|---" * (len(cl) + 1) + "|")
            for t in cl:
                print("| %s | " % t + " | ".join(str(cm[(t, p)]) for p in cl) + " |")


if __name__ == "__main__":
    main()
