#!/usr/bin/env python3
"""Manual pages labeled by their section, rendered to plain text (Debian packages).

The pages come from the Debian packages pinned in PACKAGES: the Linux
man-pages project (`manpages`: sections 1, 4, 5, 7, 8; `manpages-dev`:
sections 2 and 3), GNU `coreutils` (section 1), `iproute2` and `e2fsprogs`
(mostly section 8).  Each page is rendered with groff (`groff -t -man -Tutf8
-P-cbou`: tables, no overstriking or colours; groff-base must be installed),
and then:

  - the running header and footer lines, which name the section ("printf(3)"),
    are dropped;
  - section numbers in cross-references ("read(2)", "proc(5)") are dropped too,
    leaving the name: otherwise the label is written in the text;
  - white space is collapsed within lines, blank lines squeezed, and the text
    is cut at MAX_CHARS characters (a few pages run to 300 kB).

Links, and stubs that only `.so`-include another page, are skipped.  The
label is the section's digit ("3" for 3, 3const, 3type, 3head).  Section 3
is capped to PER_CLASS pages (a seeded hash order of ids), the smaller ones
are kept whole, sections with fewer than MIN_PER_CLASS pages dropped.
One object a line in OUT/train.jsonl and OUT/test.jsonl:

    {"id": "man3/printf", "text": "NAME\\n printf, fprintf, ...", "label": "3"}

A page whose name is seen twice (two packages, or 3 and 3type) is kept once.
Test split: sha256(id) % 5 == 0.  Long documents, seven unbalanced classes.

Usage: data/fetch/manpages.py [--out DIR]
"""
import argparse
import gzip
import os
import re
import shutil
import subprocess
import tempfile

import common

PROG = "manpages.py"
# (package, version, sha256 of the .deb)
PACKAGES = (
    ("manpages", "6.03-2",
     "efa1ba4cd19ad7baeae959c9209a7eb74be2ebb858bcabb412597bfc9f588c91"),
    ("manpages-dev", "6.03-2",
     "96f55cb5e26231d5567c89b692bced63825a14a2d5bd18fdf16ea2ed44eb9838"),
    ("coreutils", "9.1-1",
     "61038f857e346e8500adf53a2a0a20859f4d3a3b51570cc876b153a2d51a3091"),
    ("iproute2", "6.1.0-3",
     "1204b29e916e836267096d0b9d778106752f821ebde0d281539008b4386d9070"),
    ("e2fsprogs", "1.47.0-2+b2",
     "fedd424691c08ef0739729026be298e7be8236337bf8e031b3c7ec66794e6fc2"),
)
MAN = "usr/share/man/man"
PER_CLASS = 300
MIN_PER_CLASS = 20
MAX_CHARS = 30000
SEED = "tenor-manpages"
XREF = re.compile(r"(\w)\((\d)[a-z]*\)")


def render(src):
    """Plain text of one roff page (bytes), or None if groff fails."""
    r = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-P-cbou"], input=src,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        return None
    lines = r.stdout.decode("utf-8", errors="replace").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    lines = lines[1:-1]  # running header and footer
    out, blank = [], False
    for line in lines:
        line = " ".join(XREF.sub(r"\1", line).split())
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(line)
    return "\n".join(out)[:MAX_CHARS].strip()


def pages(root):
    """Yield (section digit, page name, roff bytes) of every regular page file."""
    for d in sorted(os.listdir(os.path.dirname(os.path.join(root, MAN)))):
        if not d.startswith("man"):
            continue
        folder = os.path.join(root, os.path.dirname(MAN), d)
        for fn in sorted(os.listdir(folder)):
            path = os.path.join(folder, fn)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if fn.endswith(".gz"):
                data = gzip.decompress(data)
                fn = fn[:-3]
            if re.match(rb"(\.\\\".*\n|\s*\n)*\.so\s", data):
                continue
            name, _, sect = fn.rpartition(".")
            if not name or not sect[:1].isdigit():
                continue
            yield sect[0], name, data


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/manpages")
    args = ap.parse_args()
    if shutil.which("groff") is None:
        common.die(PROG, "groff not found (apt-get install groff-base)")
    recs, sources, seen = [], [], set()
    with tempfile.TemporaryDirectory() as tmp:
        x = os.path.join(tmp, "x")
        for package, version, sha in PACKAGES:
            deb, source = common.apt_download(PROG, package, version, tmp, sha)
            sources.append(source)
            common.extract_deb(PROG, deb, x, want=lambda n: n.startswith(MAN))
        for sect, name, data in pages(x):
            doc_id = "man%s/%s" % (sect, name)
            if doc_id in seen:
                continue
            seen.add(doc_id)
            text = render(data)
            if text:
                recs.append({"id": doc_id, "text": text, "label": sect})
    counts = common.label_counts(recs)
    recs = [r for r in recs if counts[r["label"]] >= MIN_PER_CLASS]
    recs = common.cap_per_class(recs, PER_CLASS, SEED)
    n_train, n_test = common.write_splits(args.out, recs)
    counts = common.label_counts(recs)
    common.write_source(args.out, __file__, sources, labels=counts)
    common.log(PROG, "wrote %s/train.jsonl (%d pages), test.jsonl (%d); %s"
               % (args.out, n_train, n_test, counts))


if __name__ == "__main__":
    main()
