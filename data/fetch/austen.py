#!/usr/bin/env python3
"""Passages of Jane Austen's six novels labeled by novel (Debian r-cran-janeaustenr).

The Debian package `r-cran-janeaustenr` (pinned below) ships the texts of
Emma, Mansfield Park, Northanger Abbey, Persuasion, Pride and Prejudice and
Sense and Sensibility as R character vectors (one element a line) in the R
lazy-load database data/Rdata.rdb; data/fetch/rdata.py reads it without R.
Each novel is cut into passages: its paragraphs (runs of non-blank lines),
joined to the next ones until a passage holds at least MIN_WORDS words.  The
title page (everything before the first chapter heading) and the chapter and
volume headings are left out.  One object a line in OUT/train.jsonl and
OUT/test.jsonl:

    {"id": "emma:c012:p003", "text": "...", "label": "emma", "chapter": "emma:c012"}

(chapter 12 of the novel counted from 1, passage 3 of it counted from 0; the
label is the package's object name).  A chapter goes whole to the test split
when sha256("novel:cNNN") % 5 == 0 (its "chapter": `bin/train --group chapter` keeps
a chapter in one fold of its cross-validation too).  Characters' names make the task easier
than authorship within one author would otherwise be; it stays a task of
medium-length literary text with six mildly unbalanced classes.

Usage: data/fetch/austen.py [--out DIR] [--deb FILE]
"""
import argparse
import os
import re
import tempfile

import common
import rdata

PROG = "austen.py"
PACKAGE = "r-cran-janeaustenr"
VERSION = "1.0.0-1"
SHA256 = "df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95"
DATA_DIR = "usr/lib/R/site-library/janeaustenr/data"
MIN_WORDS = 80
HEADING = re.compile(r"^\s*(CHAPTER|Chapter|VOLUME|Volume)\b[\s\dIVXLC.]*$")


def paragraphs(lines):
    """Yield (chapter, paragraph text); chapter counts headings from 1, 0
    before the first (the title page, which callers drop)."""
    chapter, cur = 0, []
    for line in lines + [""]:
        line = (line or "").strip()
        if HEADING.match(line):
            if cur:
                yield chapter, " ".join(cur)
                cur = []
            if line.upper().startswith("CHAPTER"):
                chapter += 1
            continue
        if line:
            cur.append(line)
        elif cur:
            yield chapter, " ".join(cur)
            cur = []


def passages(name, lines):
    recs, cur, cur_ch, k = [], [], None, 0

    def flush():
        nonlocal cur, k
        if cur:
            recs.append({"id": "%s:c%03d:p%03d" % (name, cur_ch, k),
                         "text": " ".join(" ".join(cur).split()), "label": name,
                         "chapter": "%s:c%03d" % (name, cur_ch)})
            k += 1
            cur = []

    for chapter, para in paragraphs(lines):
        if chapter == 0:
            continue
        if chapter != cur_ch:
            flush()
            cur_ch, k = chapter, 0
        cur.append(para)
        if sum(len(p.split()) for p in cur) >= MIN_WORDS:
            flush()
    flush()
    return recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/austen")
    ap.add_argument("--deb", help="use this r-cran-janeaustenr .deb instead of downloading it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.deb:
            deb, source = args.deb, {"file": args.deb}
        else:
            deb, source = common.apt_download(PROG, PACKAGE, VERSION, tmp, SHA256)
        x = os.path.join(tmp, "x")
        common.extract_deb(PROG, deb, x, want=lambda n: n.startswith(DATA_DIR))
        books = rdata.load_lazydata(os.path.join(x, DATA_DIR))
    recs = []
    for name in sorted(books):
        if not isinstance(books[name], list):
            common.die(PROG, "object %s is not a character vector" % name)
        recs.extend(passages(name, books[name]))
    n_train, n_test = common.write_splits(args.out, recs,
                                          key=lambda r: r["chapter"])
    counts = common.label_counts(recs)
    common.write_source(args.out, __file__, [source], labels=counts)
    common.log(PROG, "wrote %s/train.jsonl (%d passages), test.jsonl (%d); %s"
               % (args.out, n_train, n_test, counts))


if __name__ == "__main__":
    main()
