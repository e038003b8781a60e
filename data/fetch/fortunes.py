#!/usr/bin/env python3
"""Fortune cookies labeled by their fortune file (Debian `fortunes`).

The Debian package `fortunes` (pinned below) ships the fortune-mod cookie
files in /usr/share/games/fortunes/, one file per theme (people, computers,
politics, science, zippy, ...), cookies separated by lines holding only '%'.
The label of a cookie is its file: a short-text task with many classes whose
themes overlap (quotes, jokes, definitions, verse).  Themes with at least
MIN_PER_CLASS cookies are kept (16 of 40), at most PER_CLASS cookies each (the
first in a seeded hash order of their ids).  A text found in two files is
dropped from both; repeats within a file are kept once.  One object a line in
OUT/train.jsonl and OUT/test.jsonl:

    {"id": "fortune-politics-0042", "text": "...", "label": "politics"}

(0042: the cookie's position in its file, from 0).  Test split: sha256(id) %
5 == 0.  Files are decoded as UTF-8, else latin-1; tabs and line breaks kept.

Usage: data/fetch/fortunes.py [--out DIR] [--deb FILE]
"""
import argparse
import os
import tempfile

import common

PROG = "fortunes.py"
PACKAGE = "fortunes"
VERSION = "1:1.99.1-7.3"
SHA256 = "41d0551dc0ff52f875a2ecef7c39da2f672ab468c37e170119f7e0245a9d63c5"
MIN_PER_CLASS = 300
PER_CLASS = 400
SEED = "tenor-fortunes"
DIR = "usr/share/games/fortunes/"


def read_cookies(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    cookies, cur = [], []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line == "%":
            cookies.append("\n".join(cur).strip())
            cur = []
        else:
            cur.append(line)
    cookies.append("\n".join(cur).strip())
    return [c for c in cookies]


def build(root):
    files = sorted(f for f in os.listdir(root)
                   if "." not in f and os.path.isfile(os.path.join(root, f)))
    per_file = {}
    for name in files:
        per_file[name] = read_cookies(os.path.join(root, name))
    owners = {}
    for name, cookies in per_file.items():
        for c in cookies:
            if c:
                owners.setdefault(c, set()).add(name)
    recs = []
    for name, cookies in per_file.items():
        if sum(1 for c in cookies if c) < MIN_PER_CLASS:
            continue
        seen = set()
        for k, c in enumerate(cookies):
            if not c or c in seen or len(owners[c]) > 1:
                continue
            seen.add(c)
            recs.append({"id": "fortune-%s-%04d" % (name, k), "text": c, "label": name})
    return common.cap_per_class(recs, PER_CLASS, SEED)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/fortunes")
    ap.add_argument("--deb", help="use this fortunes .deb instead of downloading it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.deb:
            deb, source = args.deb, {"file": args.deb}
        else:
            deb, source = common.apt_download(PROG, PACKAGE, VERSION, tmp, SHA256)
        x = os.path.join(tmp, "x")
        common.extract_deb(PROG, deb, x, want=lambda n: n.startswith(DIR))
        recs = build(os.path.join(x, DIR))
    if not recs:
        common.die(PROG, "no cookies found in %s" % deb)
    n_train, n_test = common.write_splits(args.out, recs)
    counts = common.label_counts(recs)
    common.write_source(args.out, __file__, [source], labels=counts)
    common.log(PROG, "wrote %s/train.jsonl (%d cookies), test.jsonl (%d); %d classes"
               % (args.out, n_train, n_test, len(counts)))


if __name__ == "__main__":
    main()
