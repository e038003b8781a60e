#!/usr/bin/env python3
"""make eval helper: Tenor JSONL to fastText's input, one document a line:

    __label__<class> <tokens>

The text is normalised as fastText's own examples do before training:
lower-cased, punctuation split from words, every run of white space (newlines
included) one space.  Spaces in a class name become underscores.

Usage: bench/peers/fasttext_text.py IN.jsonl --field F > OUT.txt
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import read_jsonl  # noqa: E402

TOKEN = re.compile(r"\w+|[^\w\s]")


def normalise(text):
    return " ".join(TOKEN.findall(text.lower()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("--field", default="label")
    args = ap.parse_args()
    texts, labels = read_jsonl(args.input, args.field)
    out = sys.stdout
    for t, y in zip(texts, labels):
        out.write("__label__%s %s\n" % (y.replace(" ", "_"), normalise(t)))


if __name__ == "__main__":
    main()
