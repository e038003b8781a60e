#!/usr/bin/env python3
"""Dev-set ablation of models/news training options (issue #15).

For each variant NAME=OPTIONS, trains a bundle like `make models` does
(data/news/train.jsonl + data/external/realnews/train.jsonl, --labels
topic,tone, plus OPTIONS) into a temporary folder and prints topic and tone
macro-F1 on the real-text dev split (overall, Reuters, SOTU) and on the
held-out data/news/test.jsonl, as a Markdown table.  The test split is never
read: every choice is made on these figures.

Options may name @AFINN for data/external/afinn/afinn-165.tsv
(data/fetch/afinn.py fetches it).  Two options stand for ways of using the
heads together instead of separately:
  @JOINT  one head of the 12 topic x tone classes (field "joint"); topic and
          tone are read off its prediction;
  @COND   tone conditioned on topic: every word also counts as a copy tagged
          with the passage's topic (the true one in training, the separate
          topic head's prediction on dev), and a tone head is trained on that.

Usage: bench/tone_dev.py 'base=' 'neg3=--negation 3' 'lex=--lexicon @AFINN' ...
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
import realnews_score  # noqa: E402

AFINN = os.path.join(REPO, "data", "external", "afinn", "afinn-165.tsv")
TRAIN = [os.path.join(REPO, "data", "news", "train.jsonl"),
         os.path.join(REPO, "data", "external", "realnews", "train.jsonl")]
DEV = os.path.join(REPO, "data", "external", "realnews", "dev.jsonl")
NEWS_TEST = os.path.join(REPO, "data", "news", "test.jsonl")


def figures(model, path):
    out = subprocess.run([sys.executable, os.path.join(REPO, "bench", "realnews_score.py"),
                          "--json", "-m", model, path], stdout=subprocess.PIPE, check=True)
    return json.loads(out.stdout)


def relabel(src, dst, fn):
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for line in f:
            if line.strip():
                g.write(json.dumps(fn(json.loads(line))) + "\n")


def tagged(rec, topic):
    words = re.findall(r"\w+", rec["text"].lower())
    rec["text"] += " " + " ".join("zz%s%s" % (topic[:3], w) for w in words)
    return rec


def predict(model, path):
    out = subprocess.run([os.path.join(REPO, "bin", "classify"), "-q", "-m", model, "-o", "-", path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    return {r["id"]: r for r in map(json.loads, out.stdout.decode("utf-8").splitlines())}


def heads_together(kind, argv, tmp):
    """Dev and data/news figures of the @JOINT or @COND variant, as figures() gives them."""
    res = []
    train = [os.path.join(tmp, "t%d.jsonl" % i) for i in range(len(TRAIN))]
    if kind == "@JOINT":
        for s, d in zip(TRAIN, train):
            relabel(s, d, lambda r: dict(r, joint=r["topic"] + "_" + r["tone"]))
        subprocess.run([os.path.join(REPO, "bin", "train"), "-q", "-o", os.path.join(tmp, "j"),
                        "--labels", "joint"] + argv + train, check=True)
    else:
        for s, d in zip(TRAIN, train):
            relabel(s, d, lambda r: tagged(r, r["topic"]))
        subprocess.run([os.path.join(REPO, "bin", "train"), "-q", "-o", os.path.join(tmp, "c"),
                        "--labels", "tone"] + argv + train, check=True)
        subprocess.run([os.path.join(REPO, "bin", "train"), "-q", "-o", os.path.join(tmp, "s"),
                        "--labels", "topic,tone"] + argv + TRAIN, check=True)
    for path in (DEV, NEWS_TEST):
        gold = realnews_score.read_by_id(path)
        if kind == "@JOINT":
            pred = {i: dict(zip(("topic", "tone"), r["joint"].split("_")))
                    for i, r in predict(os.path.join(tmp, "j"), path).items()}
        else:
            sep = predict(os.path.join(tmp, "s"), path)
            tpath = os.path.join(tmp, "tagged.jsonl")
            relabel(path, tpath, lambda r: tagged(r, sep[r["id"]]["topic"]))
            pred = {i: {"topic": sep[i]["topic"], "tone": r["tone"]}
                    for i, r in predict(os.path.join(tmp, "c"), tpath).items()}
        classes = {h: sorted({g[h] for g in gold.values()}) for h in ("topic", "tone")}
        sc = realnews_score.score(gold, pred, classes)
        res.append({s: {h: {"macro_f1": v[0]} for h, v in sc[s].items()} for s in sc})
    return res


def main():
    print("| variant | options | dev topic | dev tone | Reuters tone | SOTU tone | data/news topic | data/news tone |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in sys.argv[1:]:
            name, _, opts = spec.partition("=")
            argv = [AFINN if a == "@AFINN" else a for a in shlex.split(opts)]
            together = [a for a in argv if a in ("@JOINT", "@COND")]
            argv = [a for a in argv if a not in ("@JOINT", "@COND")]
            model = os.path.join(tmp, name)
            if together:
                os.makedirs(model)
                d, n = heads_together(together[0], argv, model)
            else:
                subprocess.run([os.path.join(REPO, "bin", "train"), "-q", "-o", model,
                                "--labels", "topic,tone"] + argv + TRAIN, check=True)
                d, n = figures(model, DEV), figures(model, NEWS_TEST)
            print("| %s | `%s` | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |"
                  % (name, opts or "(defaults)", d["all"]["topic"]["macro_f1"],
                     d["all"]["tone"]["macro_f1"], d["reuters"]["tone"]["macro_f1"],
                     d["sotu"]["tone"]["macro_f1"], n["all"]["topic"]["macro_f1"],
                     n["all"]["tone"]["macro_f1"]), flush=True)


if __name__ == "__main__":
    main()
