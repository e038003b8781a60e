#!/usr/bin/env python3
"""Keep the real-text labels split three ways by source document.

data/realnews/ holds three label files, locations only (see realnews.py):

    train-labels.jsonl   models/news trains on these (with data/news/train.jsonl)
    dev-labels.jsonl     every choice (features, options, training data) is made here
    test-labels.jsonl    scored once per release and reported, never used to choose

A document (a State of the Union address, a Reuters article, the seed
article) is on one side only: all its passages are in the same file.  Reuters
repeats some articles under two ids; documents with the same text are one
group and stay together.

This script adds labeled passages (--add FILE, one object a line with at
least source, doc, start, end, topic, tone; other keys such as "pid" are
dropped) and rewrites the three files:
  - a passage of a document that already has passages goes where that
    document is;
  - a new document goes by a hash of its group key:
    sha256(key) % 20 < 12 train (60 %), == 12 dev (5 %), else test (35 %).
The rule depends neither on the order nor on the number of documents, so the
same labels always give the same files.

--migrate converts the layout from before the protocol (train-labels.jsonl and
test-labels.jsonl only): the old test documents were used to choose the
training data and features (README, "What moved it"), so they become dev; the
old training documents are re-dealt by the hash rule, so test holds only
documents that no choice was ever scored on.

Usage: data/fetch/realnews_split.py [--migrate] [--add LABELS.jsonl ...] [--dry-run]
"""
import argparse
import collections
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realnews  # noqa: E402

PROG = "realnews_split.py"
LABEL_DIR = os.path.join(realnews.REPO, "data", "realnews")
SPLITS = ("train", "dev", "test")
KEYS = ("source", "doc", "start", "end", "topic", "tone")


def die(msg):
    print("%s: error: %s" % (PROG, msg), file=sys.stderr)
    sys.exit(1)


def split_of_key(key):
    v = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 20
    return "train" if v < 12 else "dev" if v == 12 else "test"


def read_labels(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                lab = json.loads(line)
            except ValueError as e:
                die("%s line %d: not valid JSON: %s" % (path, n, e))
            missing = [k for k in KEYS if k not in lab]
            if missing:
                die("%s line %d: missing %s" % (path, n, ", ".join(missing)))
            if lab["topic"] not in realnews.TOPICS or lab["tone"] not in realnews.TONES:
                die("%s line %d: bad label %r / %r" % (path, n, lab["topic"], lab["tone"]))
            out.append({k: lab[k] for k in KEYS})
    return out


def reuters_groups():
    """Map (source, doc) of every Reuters article to a key shared by identical texts."""
    realnews.ensure_reuters()
    groups = {}
    for source, fname in realnews.REUTERS_FILES.items():
        with open(os.path.join(realnews.REUTERS_DIR, fname), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    norm = " ".join(rec["text"].split()).lower()
                    groups[(source, rec["id"])] = "reuters:" + hashlib.sha256(
                        norm.encode("utf-8")).hexdigest()
    return groups


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--add", action="append", default=[], metavar="FILE",
                    help="labeled passages to add (repeatable)")
    ap.add_argument("--migrate", action="store_true",
                    help="convert the pre-protocol train/test layout (old test documents become dev)")
    ap.add_argument("--dry-run", action="store_true", help="print the counts, write nothing")
    args = ap.parse_args()

    paths = {s: os.path.join(LABEL_DIR, "%s-labels.jsonl" % s) for s in SPLITS}
    groups = reuters_groups()

    def group(source, doc):
        return groups.get((source, doc), "%s:%s" % (source, doc))

    placed = {}   # group key -> split
    labels = {s: [] for s in SPLITS}
    if args.migrate:
        if os.path.exists(paths["dev"]):
            die("%s exists: the labels are already in the three-way layout" % paths["dev"])
        old_test = read_labels(paths["test"])
        old_train = read_labels(paths["train"]) if os.path.exists(paths["train"]) else []
        for lab in old_test:
            placed[group(lab["source"], lab["doc"])] = "dev"
        pending = old_train
    else:
        for s in SPLITS:
            if not os.path.exists(paths[s]):
                die("%s not found (first run with --migrate?)" % paths[s])
            for lab in read_labels(paths[s]):
                g = group(lab["source"], lab["doc"])
                if placed.setdefault(g, s) != s:
                    die("document %s of %s is in both %s and %s"
                        % (lab["doc"], paths[s], placed[g], s))
                labels[s].append(lab)
        pending = []
    if args.migrate:
        for lab in old_test:
            labels["dev"].append(lab)
    for path in args.add:
        pending.extend(read_labels(path))

    seen = {(lab["source"], lab["doc"], lab["start"], lab["end"])
            for s in SPLITS for lab in labels[s]}
    added = collections.Counter()
    for lab in pending:
        loc = (lab["source"], lab["doc"], lab["start"], lab["end"])
        if loc in seen:
            die("passage %s:%d-%d is labeled twice" % (lab["doc"], lab["start"], lab["end"]))
        seen.add(loc)
        g = group(lab["source"], lab["doc"])
        s = placed.setdefault(g, split_of_key(g))
        labels[s].append(lab)
        added[s] += 1

    docs = {s: len({(lab["source"], lab["doc"]) for lab in labels[s]}) for s in SPLITS}
    for s in SPLITS:
        by_source = collections.Counter(lab["source"] for lab in labels[s])
        print("%s: %s: %d passages (%d added) from %d documents: %s"
              % (PROG, s, len(labels[s]), added[s], docs[s],
                 ", ".join("%s %d" % kv for kv in sorted(by_source.items()))), file=sys.stderr)
    if args.dry_run:
        return
    for s in SPLITS:
        tmp = paths[s] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for lab in labels[s]:
                f.write(json.dumps(lab, ensure_ascii=False) + "\n")
        os.replace(tmp, paths[s])


if __name__ == "__main__":
    main()
