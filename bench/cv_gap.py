#!/usr/bin/env python3
"""Is a test-split gap real?  Tenor and make eval's peers on the same folds.

A test split of a few hundred documents moves macro-F1 by points (make eval
prints each gap's bootstrap interval).  This scores Tenor (its defaults, as
make eval runs it) and the TF-IDF peers of make eval by k-fold
cross-validation on a task's **train split** alone, every tool on the same
folds, so that each fold gives one paired difference.  No test split is read.

Folds: scikit-learn's StratifiedKFold (StratifiedGroupKFold when the corpus
names a group field: its groups stay whole, as Tenor's --group and the test
split keep them), shuffled with --seed.  Each fold is written as JSONL
(train and held-out) and given to the same commands bench/eval.sh runs:
  tenor       bin/train --labels FIELD [--group G], then bin/classify
  sklearn     bench/peers/sklearn_svc.py (TfidfVectorizer 1-2 + LinearSVC)
  liblinear   liblinear-train on bench/peers/tfidf_svmlight.py's vectors
  svm         svm-train -t 0
  svm-b1      svm-train -t 0 -b 1, svm-predict -b 1
Macro-F1 is bench/metrics.py's.  Prints a markdown table: each fold, the
mean, and Tenor minus each peer (mean over folds and its standard error).

Usage: bench/cv_gap.py TASK [--folds 5] [--seed 1] [--tools tenor,sklearn,...]
       [--tenor-opts "OPTIONS"] [--work DIR]   (TASK: a name of bench/corpora.py list)
  --tenor-opts   options added to bin/train (default: none, Tenor's defaults)
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))
import metrics  # noqa: E402

TOOLS = ["tenor", "sklearn", "liblinear", "svm", "svm-b1"]


def run(cmd, **kw):
    subprocess.run(cmd, check=True, cwd=REPO, **kw)


def read_records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_records(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def read_pred(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def tenor(w, field, group, opts):
    model, out = os.path.join(w, "tenor.model"), os.path.join(w, "tenor.out")
    for d in (model, out):
        shutil.rmtree(d, ignore_errors=True)
    cmd = ["bin/train", "-q", "-o", model, "--labels", field]
    if group:
        cmd += ["--group", group]
    run(cmd + opts + [os.path.join(w, "train.jsonl")], stdout=subprocess.DEVNULL)
    r = subprocess.run(["bin/classify", "-q", "-m", model, "-o", out, os.path.join(w, "test.jsonl")], cwd=REPO,
                       stdout=subprocess.DEVNULL)
    if r.returncode not in (0, 3):
        raise RuntimeError("classify exited %d" % r.returncode)
    pred = {}
    for name in sorted(os.listdir(out)):
        if name.startswith("part-") and name.endswith(".jsonl.zst"):
            text = subprocess.run(["zstd", "-dc", os.path.join(out, name)], check=True,
                                  capture_output=True).stdout.decode("utf-8")
            for line in text.splitlines():
                rec = json.loads(line)
                pred[rec["id"]] = rec.get(field)   # an error record has none
    return pred


def svmlight(w, field, py):
    svm = os.path.join(w, "svm")
    if not os.path.exists(os.path.join(svm, "test.svm")):
        run([py, "bench/peers/tfidf_svmlight.py", "vectors", os.path.join(w, "train.jsonl"),
             os.path.join(w, "test.jsonl"), "--field", field, "--out", svm], stdout=subprocess.DEVNULL)
    return svm


def decode(py, svm, out):
    r = subprocess.run([py, "bench/peers/tfidf_svmlight.py", "decode", svm, out], check=True, cwd=REPO,
                       capture_output=True)
    return r.stdout.decode("utf-8").splitlines()


def peer(tool, w, field, py):
    if tool == "sklearn":
        p = os.path.join(w, "sklearn.pred")
        run([py, "bench/peers/sklearn_svc.py", os.path.join(w, "train.jsonl"), os.path.join(w, "test.jsonl"),
             "--field", field, "--pred", p, "--model", os.path.join(w, "sklearn.pkl")], stdout=subprocess.DEVNULL)
        return read_pred(p)
    svm = svmlight(w, field, py)
    train, test = os.path.join(svm, "train.svm"), os.path.join(svm, "test.svm")
    model, out = os.path.join(svm, tool + ".model"), os.path.join(svm, tool + ".out")
    if tool == "liblinear":
        run(["liblinear-train", "-q", train, model])
        run(["liblinear-predict", test, model, out], stdout=subprocess.DEVNULL)
    else:
        b = ["-b", "1"] if tool == "svm-b1" else []
        run(["svm-train", "-q", "-t", "0"] + b + [train, model])
        run(["svm-predict"] + b + [test, model, out], stdout=subprocess.DEVNULL)
    return decode(py, svm, out)


def folds_of(recs, field, group, k, seed):
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
    y = [r[field] for r in recs]
    if group:
        # A record without the field is a group of its own, as with train --group.
        g = [r.get(group) if isinstance(r.get(group), str) else "\0%d" % i for i, r in enumerate(recs)]
        return list(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(recs, y, g))
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(recs, y))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--tenor-opts", default="")
    ap.add_argument("--work", default="bench/work/cv_gap")
    args = ap.parse_args()
    tools = args.tools.split(",")
    for t in tools:
        if t not in TOOLS:
            ap.error("unknown tool '%s' (known: %s)" % (t, ", ".join(TOOLS)))
    if tools[0] != "tenor":
        ap.error("--tools must start with tenor: the gaps are Tenor's minus each peer's")
    py = sys.executable
    work = os.path.join(REPO, args.work, args.task)
    paths = subprocess.run([py, "bench/corpora.py", "paths", args.task, "--work", os.path.join(work, "corpus")],
                           check=True, cwd=REPO, capture_output=True).stdout.decode().rstrip("\n").split("\t")
    train, field, group = paths[0], paths[2], paths[3] if len(paths) > 3 else ""
    recs = [r for r in read_records(os.path.join(REPO, train)) if isinstance(r.get(field), str)]
    for i, r in enumerate(recs):
        r["id"] = "cv%d" % i
    f1 = {t: [] for t in tools}
    for k, (tr, te) in enumerate(folds_of(recs, field, group, args.folds, args.seed)):
        w = os.path.join(work, "fold%d" % k)
        shutil.rmtree(w, ignore_errors=True)
        os.makedirs(w)
        write_records(os.path.join(w, "train.jsonl"), [recs[i] for i in tr])
        write_records(os.path.join(w, "test.jsonl"), [recs[i] for i in te])
        truth = [recs[i][field] for i in te]
        for t in tools:
            if t == "tenor":
                p = tenor(w, field, group, args.tenor_opts.split())
                pred = [p.get(recs[i]["id"]) for i in te]
            else:
                pred = peer(t, w, field, py)
            f1[t].append(metrics.score(truth, pred)["macro_f1"])
        print("fold %d: %s" % (k, " ".join("%s %.4f" % (t, f1[t][-1]) for t in tools)), file=sys.stderr)
    print("%s: %d-fold cross-validation on `%s` (%d documents), field `%s`%s, seed %d; macro-F1%s\n"
          % (args.task, args.folds, os.path.relpath(os.path.join(REPO, train), REPO), len(recs), field,
             ", grouped by `%s`" % group if group else "", args.seed,
             "; Tenor with `%s`" % args.tenor_opts if args.tenor_opts else ""))
    print("| fold | " + " | ".join(tools) + " |")
    print("|---|" + "---:|" * len(tools))
    for k in range(args.folds):
        print("| %d | %s |" % (k, " | ".join("%.4f" % f1[t][k] for t in tools)))
    print("| mean | %s |" % " | ".join("%.4f" % (sum(f1[t]) / args.folds) for t in tools))
    print()
    for t in tools[1:]:
        d = [100 * (a - b) for a, b in zip(f1["tenor"], f1[t])]
        m = sum(d) / len(d)
        se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d)) if len(d) > 1 else 0
        print("- Tenor minus %s: %+.2f points (standard error %.2f; folds %s)"
              % (t, m, se, " ".join("%+.1f" % x for x in d)))


if __name__ == "__main__":
    main()
