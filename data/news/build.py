#!/usr/bin/env python3
"""Build the news corpus split from the hand-written passages.

With --check, writes nothing and fails unless train.jsonl and test.jsonl are
exactly what it would write.

Reads data/news/raw/writer-*.jsonl ({"text", "topic", "tone"}, written passage
by passage by six writers with different regional and register focus), checks
every passage (labels, 15-90 words, no duplicate or near-duplicate), gives each
an id and writes a fixed, stratified 80/20 split:

    data/news/train.jsonl   data/news/test.jsonl   ({"id", "text", "topic", "tone"})

The split is stratified by topic x tone cell and decided by a hash of the
normalised text, so it does not depend on file order and is the same on every
machine.  Exits non-zero, naming file and line, on any passage that breaks a rule.
"""
import glob
import hashlib
import json
import os
import re
import sys

TOPICS = ("diplomacy", "security", "economy", "domestic")
TONES = ("conciliatory", "neutral", "adversarial")
HERE = os.path.dirname(os.path.abspath(__file__))


def normalise(text):
    """Lowercase, punctuation stripped, whitespace folded: the duplicate key."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def shingles(norm, k=4):
    w = norm.split()
    return {" ".join(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}


def load(paths):
    docs, errors = [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = "%s line %d" % (os.path.relpath(path), n)
                try:
                    d = json.loads(line)
                except ValueError as e:
                    errors.append("%s: invalid JSON: %s" % (where, e))
                    continue
                words = len(d.get("text", "").split())
                if d.get("topic") not in TOPICS or d.get("tone") not in TONES:
                    errors.append("%s: bad labels %r/%r" % (where, d.get("topic"), d.get("tone")))
                elif not 15 <= words <= 90:
                    errors.append("%s: %d words, not 15-90" % (where, words))
                else:
                    docs.append((where, d))
    return docs, errors


def near_duplicates(docs, threshold=0.6):
    """Pairs whose 4-word shingle sets overlap by Jaccard >= threshold."""
    sh = [shingles(normalise(d["text"])) for _, d in docs]
    index = {}
    for i, s in enumerate(sh):
        for g in s:
            index.setdefault(g, []).append(i)
    pairs = set()
    for i, s in enumerate(sh):
        counts = {}
        for g in s:
            for j in index[g]:
                if j > i:
                    counts[j] = counts.get(j, 0) + 1
        for j, c in counts.items():
            if c / len(s | sh[j]) >= threshold:
                pairs.add((i, j))
    return sorted(pairs)


def main():
    check = "--check" in sys.argv[1:]
    paths = sorted(glob.glob(os.path.join(HERE, "raw", "writer-*.jsonl")))
    docs, errors = load(paths)
    seen = {}
    for where, d in docs:
        key = normalise(d["text"])
        if key in seen:
            errors.append("%s: duplicate of %s" % (where, seen[key]))
        seen.setdefault(key, where)
    for i, j in near_duplicates(docs):
        errors.append("%s: near-duplicate of %s" % (docs[j][0], docs[i][0]))
    if errors:
        for e in errors:
            print("build.py: " + e, file=sys.stderr)
        sys.exit(1)
    cells = {}
    for _, d in docs:
        h = hashlib.sha256(normalise(d["text"]).encode()).hexdigest()
        cells.setdefault((d["topic"], d["tone"]), []).append((h, d))
    train, test = [], []
    for cell in sorted(cells):
        items = sorted(cells[cell], key=lambda x: x[0])
        n_test = round(len(items) * 0.2)
        for k, (h, d) in enumerate(items):
            rec = {"id": "news-" + h[:10], "text": d["text"], "topic": d["topic"], "tone": d["tone"]}
            (test if k < n_test else train).append(rec)
    for name, recs in (("train", train), ("test", test)):
        recs.sort(key=lambda r: r["id"])
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
        path = os.path.join(HERE, name + ".jsonl")
        if check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    sys.exit("build.py: %s is not what build.py makes from raw/: run it" % path)
            continue
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    print("build.py: %d passages: %d train, %d test" % (len(docs), len(train), len(test)), file=sys.stderr)


if __name__ == "__main__":
    main()
