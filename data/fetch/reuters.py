#!/usr/bin/env python3
"""Fetch Reuters-21578 (ModApte grain and corn splits) from Debian's weka package.

The weka package ships the Reuters-21578 ModApte train/test splits as ARFF files
(one quoted text attribute, one 0/1 class) in its examples.  This script
downloads the .deb with `apt-get download` (no Java is installed), extracts the
ARFF files and writes Tenor JSONL, one object per article:

    {"id": "reuters-train-0001", "text": "...", "label": "grain" | "other"}

into OUT (default data/external/reuters/):
    grain-train.jsonl  grain-test.jsonl  corn-train.jsonl  corn-test.jsonl

Article ids are the 1-based position in the split; the grain and corn files
hold the same articles in the same order, only the label differs.  Nothing
fetched here is ever committed (data/external/ is ignored).

Usage: data/fetch/reuters.py [--out DIR] [--deb FILE]
"""
import argparse
import glob
import html
import json
import os
import subprocess
import sys
import tempfile


def parse_arff(text):
    """Yield (document text, class) from a weka ARFF file with one string
    attribute and one class attribute.  Strings are single-quoted with
    backslash escapes; the text holds HTML entities (&lt; &amp; &#3;)."""
    body = text[text.index("@data") + len("@data"):]
    i, n = 0, len(body)
    while i < n:
        while i < n and body[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        if body[i] != "'":
            raise ValueError("expected a quoted string at offset %d" % i)
        i += 1
        out = []
        while True:
            c = body[i]
            if c == "\\":
                nxt = body[i + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                i += 2
            elif c == "'":
                i += 1
                break
            else:
                out.append(c)
                i += 1
        if body[i] != ",":
            raise ValueError("expected ',' after string at offset %d" % i)
        j = body.index("\n", i) if "\n" in body[i:] else n
        label = body[i + 1:j].strip()
        i = j
        yield clean(html.unescape("".join(out))), label


def clean(text):
    """Drop the control characters Reuters uses as markers (&#2; &#3; &#127;)
    and the trailing 'Reuter' signature."""
    text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32 and ord(ch) != 127)
    text = text.rstrip()
    for tail in ("Reuter", "REUTER"):
        if text.endswith(tail):
            text = text[: -len(tail)].rstrip()
    return text


def convert(arff_path, out_path, split, positive):
    with open(arff_path, encoding="latin-1") as f:
        docs = list(parse_arff(f.read()))
    with open(out_path, "w", encoding="utf-8") as out:
        for k, (text, cls) in enumerate(docs, 1):
            rec = {"id": "reuters-%s-%04d" % (split, k), "text": text,
                   "label": positive if cls == "1" else "other"}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return len(docs)


def fetch_deb(workdir):
    r = subprocess.run(["apt-get", "download", "weka"], cwd=workdir, stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        # A machine whose package lists were never fetched: fetch them once.
        print("reuters.py: apt-get download failed; running apt-get update", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "download", "weka"], cwd=workdir, check=True,
                       stdout=subprocess.DEVNULL)
    debs = glob.glob(os.path.join(workdir, "weka_*.deb"))
    if not debs:
        sys.exit("reuters.py: apt-get download weka produced no .deb")
    return debs[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/reuters")
    ap.add_argument("--deb", help="use this weka .deb instead of downloading one")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        deb = args.deb or fetch_deb(tmp)
        subprocess.run(["dpkg", "-x", deb, os.path.join(tmp, "x")], check=True)
        ex = os.path.join(tmp, "x", "usr", "share", "doc", "weka", "examples")
        for topic in ("grain", "corn"):
            for split in ("train", "test"):
                src = os.path.join(ex, "Reuters%s-%s.arff" % (topic.capitalize(), split))
                dst = os.path.join(args.out, "%s-%s.jsonl" % (topic, split))
                n = convert(src, dst, split, topic)
                print("reuters.py: wrote %s (%d articles)" % (dst, n), file=sys.stderr)


if __name__ == "__main__":
    main()
