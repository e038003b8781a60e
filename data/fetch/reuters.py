#!/usr/bin/env python3
"""Fetch Reuters-21578 (ModApte grain and corn splits) from Debian's weka package.

The weka package ships the Reuters-21578 ModApte train/test splits as ARFF files
(one quoted text attribute, one 0/1 class) in its examples.  This script
downloads the .deb of the pinned version with `apt-get download` (no Java is
installed; its SHA-256 is checked and recorded in OUT/SOURCE.json), extracts
the ARFF files and writes Tenor JSONL, one object per article:

    {"id": "reuters-train-0001", "text": "...", "label": "grain" | "other"}

into OUT (default data/external/reuters/):
    grain-train.jsonl  grain-test.jsonl  corn-train.jsonl  corn-test.jsonl

Article ids are the 1-based position in the split; the grain and corn files
hold the same articles in the same order, only the label differs.  Nothing
fetched here is ever committed (data/external/ is ignored).

Usage: data/fetch/reuters.py [--out DIR] [--deb FILE]
"""
import argparse
import html
import json
import os
import tempfile

import common

PROG = "reuters.py"
PACKAGE = "weka"
VERSION = "3.6.14-3"
SHA256 = "58ea5ec3b42ca9719be5756d1bd64ebed0e69d16d6fffa200b3cebf4ccccab16"
EXAMPLES = "usr/share/doc/weka/examples/"


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/reuters")
    ap.add_argument("--deb", help="use this weka .deb instead of downloading one")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.deb:
            deb, source = args.deb, {"file": args.deb}
        else:
            deb, source = common.apt_download(PROG, PACKAGE, VERSION, tmp, SHA256)
        common.extract_deb(PROG, deb, os.path.join(tmp, "x"),
                           want=lambda n: n.startswith(EXAMPLES + "Reuters"))
        ex = os.path.join(tmp, "x", EXAMPLES)
        for topic in ("grain", "corn"):
            for split in ("train", "test"):
                src = os.path.join(ex, "Reuters%s-%s.arff" % (topic.capitalize(), split))
                dst = os.path.join(args.out, "%s-%s.jsonl" % (topic, split))
                n = convert(src, dst, split, topic)
                common.log(PROG, "wrote %s (%d articles)" % (dst, n))
    common.write_source(args.out, __file__, [source])


if __name__ == "__main__":
    main()
