#!/usr/bin/env python3
"""Debian package descriptions labeled by the package's Section.

The package lists of Debian 12 (bookworm, main, amd64) are fetched by the
ordinary client into a private folder, so the machine's own lists are left
alone:

    apt-get update -o Dir::State::Lists=TMP -o Acquire::Languages=en

which uses the machine's sources (bookworm, its updates and security suites)
and adds the English long descriptions (Translation-en).  Only the bookworm
suite's Packages and Translation-en are read.  The archive cannot be pinned
to a version the way a package can: the script checks that the Release file
says point release RELEASE (a newer one stops it unless --release names it)
and records the Release date and the SHA-256 of both index files in
OUT/SOURCE.json.

A document is a package's description: the short description, a newline,
and the long description (its " ." lines become blank lines).  The label is
its Section (without a contrib/ or non-free/ prefix).  Packages whose text
repeats another's (many -dbg, -doc or library packages share one) are kept
once, the first by name.  The CLASSES most frequent sections are kept and
sampled in proportion to their size, SAMPLE documents in all (a section of
n of the N kept documents keeps the first ceil(n * SAMPLE / N) in a seeded
hash order of names), so the classes stay as unbalanced as in the archive.  One
object a line in OUT/train.jsonl and OUT/test.jsonl:

    {"id": "grep", "text": "GNU grep, egrep and fgrep\\n'grep' is a utility ...",
     "label": "utils", "source": "grep"}

The split is by source package, so a library and its -dev package stay on
one side: sha256(source) % 5 == 0 is test (and `bin/train --group source`
keeps them in one fold of its cross-validation).  Short texts, 20 unbalanced classes.

Usage: data/fetch/debdesc.py [--out DIR] [--release 12.15]
"""
import argparse
import hashlib
import os
import subprocess
import tempfile

import common

PROG = "debdesc.py"
RELEASE = "12.15"
SUITE_FILE = "dists_bookworm_"
CLASSES = 20
SAMPLE = 7000
SEED = "tenor-debdesc"


def cat_file(path):
    """An index file's text, decompressed by apt's own helper (lz4, xz, gz)."""
    r = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path],
                       stdout=subprocess.PIPE, check=True)
    return r.stdout


def stanzas(text):
    """Yield each deb822 paragraph as {field: value}; continuation lines are
    kept, joined by newlines, with their leading space."""
    rec, last = {}, None
    for line in text.split("\n"):
        if not line.strip():
            if rec:
                yield rec
            rec, last = {}, None
        elif line[0] in " \t" and last:
            rec[last] += "\n" + line
        else:
            k, _, v = line.partition(":")
            rec[k], last = v.strip(), k
    if rec:
        yield rec


def long_text(desc_en):
    """Short description, newline, long description with ' .' as a blank line."""
    lines = desc_en.split("\n")
    body = []
    for ln in lines[1:]:
        ln = ln[1:] if ln.startswith(" ") else ln
        body.append("" if ln.strip() == "." else ln.rstrip())
    return (lines[0].strip() + "\n" + "\n".join(body)).strip()


def fetch_lists(lists):
    os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
    os.chmod(os.path.dirname(lists), 0o755)  # apt's sandbox user writes there
    for d in (lists, os.path.join(lists, "partial")):
        os.chmod(d, 0o755)
    subprocess.run(["apt-get", "update", "-qq", "-o", "Dir::State::Lists=" + lists,
                    "-o", "Acquire::Languages=en"], check=True)
    found = {}
    for fn in os.listdir(lists):
        if SUITE_FILE not in fn:
            continue
        if fn.endswith("_InRelease"):
            found["release"] = fn
        elif "_main_binary-amd64_Packages" in fn:
            found["packages"] = fn
        elif "_main_i18n_Translation-en" in fn:
            found["translation"] = fn
    missing = {"release", "packages", "translation"} - set(found)
    if missing:
        common.die(PROG, "apt-get update gave no %s for bookworm main" % ", ".join(sorted(missing)))
    return {k: os.path.join(lists, v) for k, v in found.items()}


def release_fields(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.read(4096)
    out = {}
    for line in head.split("\n"):
        k, _, v = line.partition(":")
        if k in ("Origin", "Suite", "Codename", "Version", "Date"):
            out[k] = v.strip()
    return out


def build(packages, translation):
    long_desc = {}
    for st in stanzas(translation):
        if "Description-md5" in st and "Description-en" in st:
            long_desc[st["Description-md5"]] = st["Description-en"]
    docs = {}
    for st in stanzas(packages):
        name, section = st.get("Package"), st.get("Section", "")
        md5 = st.get("Description-md5")
        if not name or not section or name in docs:
            continue
        text = long_text(long_desc[md5]) if md5 in long_desc else st.get("Description", "")
        source = (st.get("Source") or name).split(" ")[0]
        docs[name] = {"id": name, "text": text, "label": section.rsplit("/", 1)[-1],
                      "source": source}
    recs, seen = [], set()
    for name in sorted(docs):
        t = docs[name]["text"]
        if t and t not in seen:
            seen.add(t)
            recs.append(docs[name])
    counts = common.label_counts(recs)
    keep = list(counts)[:CLASSES]
    total = sum(counts[c] for c in keep)
    out = []
    for c in keep:
        n = -(-counts[c] * SAMPLE // total)
        out.extend(common.cap_per_class([r for r in recs if r["label"] == c], n, SEED))
    out.sort(key=lambda r: r["id"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/debdesc")
    ap.add_argument("--release", default=RELEASE,
                    help="accept this Debian point release (default %(default)s)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = fetch_lists(os.path.join(tmp, "lists"))
        rel = release_fields(files["release"])
        if rel.get("Version") != args.release:
            common.die(PROG, "the archive is at Debian %s, not %s: check the corpus and "
                       "rerun with --release %s" % (rel.get("Version"), args.release,
                                                    rel.get("Version")))
        packages = cat_file(files["packages"])
        translation = cat_file(files["translation"])
    sources = [{"registry": "debian", "index": "bookworm main binary-amd64 Packages",
                "release": rel, "sha256": hashlib.sha256(packages).hexdigest()},
               {"registry": "debian", "index": "bookworm main i18n Translation-en",
                "release": rel, "sha256": hashlib.sha256(translation).hexdigest()}]
    recs = build(packages.decode("utf-8", errors="replace"),
                 translation.decode("utf-8", errors="replace"))
    n_train, n_test = common.write_splits(args.out, recs, key=lambda r: r["source"])
    counts = common.label_counts(recs)
    common.write_source(args.out, __file__, sources, labels=counts)
    common.log(PROG, "wrote %s/train.jsonl (%d descriptions), test.jsonl (%d); %s"
               % (args.out, n_train, n_test, counts))


if __name__ == "__main__":
    main()
