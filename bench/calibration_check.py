#!/usr/bin/env python3
"""bench/calibration_check.py - calibration quality of two ways of training, held out.

Usage: bench/calibration_check.py TRAIN-SPLIT FIELD BIN_A[::OPT,OPT] BIN_B[::OPT,OPT] [TRAIN-OPTS...]

Holds out every fifth document of a corpus's train split (never its test split), trains
with each program folder (BIN/train, BIN/classify; options after '::', comma-separated,
then TRAIN-OPTS for both) on the other four fifths, classifies the held-out fifth with
--all-scores and prints macro-F1, the log loss of the true class and the expected
calibration error (ECE: 10 bins of the chosen class's score, the documents' weighted gap
between mean score and accuracy).  Work files go to bench/work/calibration/.

Example (the README's debdesc figures):
  bench/calibration_check.py data/external/debdesc/train.jsonl label bin::--fold-docs,0 bin::--fold-docs,2000 -n 1
"""
import json, math, subprocess, sys, os, collections
corpus, field, bins = sys.argv[1], sys.argv[2], sys.argv[3:5]
extra = sys.argv[5:]
name = os.path.basename(os.path.dirname(corpus)) + "-" + field
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "calibration", name)
os.makedirs(d, exist_ok=True)
lines = [l for l in open(corpus) if l.strip()]
tr = [l for i, l in enumerate(lines) if i % 5]
te = [l for i, l in enumerate(lines) if not i % 5]
open(d + "/tr.jsonl", "w").writelines(tr)
open(d + "/te.jsonl", "w").writelines(te)
truth = {json.loads(l)["id"]: json.loads(l)[field] for l in te}
for tag, b in zip(("A", "B"), bins):
    m = d + "/m-" + tag
    subprocess.run(["rm", "-rf", m], check=True)
    b, _, bo = b.partition("::")
    bo = bo.split(",") if bo else []
    subprocess.run([b + "/train", "-q", "-o", m, "--labels", field] + extra + bo + [d + "/tr.jsonl"], check=True)
    out = subprocess.run([b + "/classify", "-q", "-m", m, "-o", "-", "--all-scores", d + "/te.jsonl"],
                         check=True, capture_output=True, text=True).stdout
    ng = json.load(open(m + "/manifest.json"))["features"]["word_ngrams"]
    n = 0; nll = 0; acc = collections.defaultdict(lambda: [0, 0.0, 0])
    tp = collections.Counter(); fp = collections.Counter(); fn = collections.Counter()
    for l in out.splitlines():
        r = json.loads(l)
        y = truth[r["id"]]; c = r[field]; p = r[field + "_score"]
        pt = r[field + "_scores"].get(y, 1e-15)
        nll -= math.log(max(pt, 1e-15)); n += 1
        k = min(int(p * 10), 9); acc[k][0] += 1; acc[k][1] += p; acc[k][2] += c == y
        if c == y: tp[y] += 1
        else: fp[c] += 1; fn[y] += 1
    ece = sum(abs(v[1] - v[2]) for v in acc.values()) / n
    classes = set(truth.values())
    f1 = sum(2 * tp[c] / max(2 * tp[c] + fp[c] + fn[c], 1) for c in classes) / len(classes)
    print("%-22s %-28s word %d-%d  macro-F1 %.4f  log-loss %.4f  ECE %.4f  (%d held out)" % (name, tag + " " + " ".join(bo), ng[0], ng[1], f1, nll / n, ece, n))
