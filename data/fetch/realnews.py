#!/usr/bin/env python3
"""Rebuild Tenor's real-news labeled set from committed labels plus fetched text.

Third-party text is never committed.  The repository holds only label files,
one JSON object per passage giving where the passage is and how it is labeled,
split three ways by source document (data/fetch/realnews_split.py keeps them):

    data/realnews/train-labels.jsonl   models/news trains on it
    data/realnews/dev-labels.jsonl     every choice is made on it
    data/realnews/test-labels.jsonl    scored once per release, never used to choose

    {"source": "reuters-test", "doc": "reuters-test-0123",
     "start": 345, "end": 512, "topic": "security", "tone": "adversarial"}

Sources:
    reuters-test   "text" of doc in data/external/reuters/grain-test.jsonl
    reuters-train  "text" of doc in data/external/reuters/grain-train.jsonl
                   (both written by data/fetch/reuters.py, which this script
                   runs first if data/external/reuters/ is missing)
    sotu           "text" of the address with id doc (e.g. "sotu-1961-john-f-kennedy")
                   in data/external/sotu/sotu.jsonl (written by data/fetch/sotu.py,
                   which this script runs first if data/external/sotu/ is missing)
    seed           the file SEEDS/<doc>, decoded as UTF-8 (no newline
                   translation).  SEEDS is --seeds, else $TENOR_SEEDS, else
                   data/external/seeds; the seed article is not part of the
                   repository, so when that folder does not exist the seed
                   passages are left out with a one-line note on stderr

start/end are Python str (code point) offsets into that text.  The passage
is text[start:end] with every whitespace run collapsed to one space and
stripped.  This script writes, for each labels file, OUT/train.jsonl,
OUT/dev.jsonl and OUT/test.jsonl with one object per passage, in label-file
order:

    {"id": "<doc>:<start>-<end>", "text": "...", "topic": "...", "tone": "...",
     "doc": "<doc>"}

("doc": the source document, which the splits keep whole; `bin/train --labels
topic,tone --group doc` keeps it in one fold of its cross-validation too.)

It exits non-zero with a message naming the label file and line if any
location does not resolve (unknown source or document, offset out of range,
empty passage), a label is not one of the allowed values, or a document has
passages in two of the files; nothing is written in that case.

Usage: data/fetch/realnews.py [--out data/external/realnews] [--seeds data/external/seeds]
                              [--labels data/realnews]
(default paths are relative to the repository root; given paths are taken as
written, i.e. relative to the current directory).
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LABEL_DIR = os.path.join(REPO, "data", "realnews")
LABEL_FILES = (("train", "train-labels.jsonl", True),
               ("dev", "dev-labels.jsonl", True),
               ("test", "test-labels.jsonl", True))
REUTERS_DIR = os.path.join(REPO, "data", "external", "reuters")
REUTERS_FILES = {"reuters-test": "grain-test.jsonl", "reuters-train": "grain-train.jsonl"}
SOTU_DIR = os.path.join(REPO, "data", "external", "sotu")
SOTU_FILE = "sotu.jsonl"
TOPICS = {"diplomacy", "security", "economy", "domestic"}
TONES = {"conciliatory", "neutral", "adversarial"}


class LabelError(Exception):
    pass


def die(msg):
    print("realnews.py: error: " + msg, file=sys.stderr)
    sys.exit(1)


def ensure_fetched(outdir, script_name, what):
    """Run data/fetch/<script_name> (from the repository root) if outdir is missing."""
    if os.path.isdir(outdir):
        return
    print("realnews.py: %s missing, running data/fetch/%s" % (outdir, script_name),
          file=sys.stderr)
    script = os.path.join(REPO, "data", "fetch", script_name)
    rc = subprocess.run([sys.executable, script], cwd=REPO).returncode
    if rc != 0 or not os.path.isdir(outdir):
        die("data/fetch/%s failed (exit %d); cannot rebuild %s passages"
            % (script_name, rc, what))


def ensure_reuters():
    ensure_fetched(REUTERS_DIR, "reuters.py", "Reuters")


def ensure_sotu():
    ensure_fetched(SOTU_DIR, "sotu.py", "State of the Union")


def load_jsonl_texts(path):
    """Map "id" to "text" for every record of a JSONL file."""
    docs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                docs[rec["id"]] = rec["text"]
    return docs


class Texts:
    """Lazily loaded source texts, keyed by (source, doc)."""

    def __init__(self, seeds):
        self.seeds = seeds
        self.reuters = {}
        self.sotu = None
        self.skipped_seed = 0

    def have_seeds(self):
        return os.path.isdir(self.seeds)

    def get(self, source, doc):
        if source in REUTERS_FILES:
            if source not in self.reuters:
                ensure_reuters()
                path = os.path.join(REUTERS_DIR, REUTERS_FILES[source])
                if not os.path.isfile(path):
                    raise LabelError("%s not found (rerun data/fetch/reuters.py)" % path)
                self.reuters[source] = load_jsonl_texts(path)
            if doc not in self.reuters[source]:
                raise LabelError("document %r not found in %s" % (doc, REUTERS_FILES[source]))
            return self.reuters[source][doc]
        if source == "sotu":
            if self.sotu is None:
                ensure_sotu()
                path = os.path.join(SOTU_DIR, SOTU_FILE)
                if not os.path.isfile(path):
                    raise LabelError("%s not found (rerun data/fetch/sotu.py)" % path)
                self.sotu = load_jsonl_texts(path)
            if doc not in self.sotu:
                raise LabelError("document %r not found in %s" % (doc, SOTU_FILE))
            return self.sotu[doc]
        if source == "seed":
            if not doc or os.path.isabs(doc) or ".." in doc.replace("\\", "/").split("/"):
                raise LabelError("bad seed document name %r" % doc)
            path = os.path.join(self.seeds, doc)
            if not os.path.isfile(path):
                raise LabelError("seed file %s not found (use --seeds DIR)" % path)
            with open(path, "rb") as f:
                try:
                    return f.read().decode("utf-8")
                except UnicodeDecodeError as e:
                    raise LabelError("seed file %s is not UTF-8: %s" % (path, e))
        raise LabelError("unknown source %r (expected reuters-test, reuters-train, sotu or seed)"
                         % source)


def rebuild(label_path, texts, split, doc_split):
    """Return the rebuilt records for one labels file, or exit with a message.
    doc_split maps (source, doc) to the split that holds it, across files."""
    out, seen = [], set()
    with open(label_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = "%s line %d" % (label_path, n)
            try:
                lab = json.loads(line)
                for key in ("source", "doc", "start", "end", "topic", "tone"):
                    if key not in lab:
                        raise LabelError("missing field %r" % key)
                start, end = lab["start"], lab["end"]
                if not (isinstance(start, int) and isinstance(end, int)) \
                        or isinstance(start, bool) or isinstance(end, bool):
                    raise LabelError("start/end must be integers")
                if lab["topic"] not in TOPICS:
                    raise LabelError("topic %r not one of %s" % (lab["topic"], sorted(TOPICS)))
                if lab["tone"] not in TONES:
                    raise LabelError("tone %r not one of %s" % (lab["tone"], sorted(TONES)))
                other = doc_split.setdefault((lab["source"], lab["doc"]), split)
                if other != split:
                    raise LabelError("document %r is also in the %s labels: a document "
                                     "belongs to one split" % (lab["doc"], other))
                if lab["source"] == "seed" and not texts.have_seeds():
                    texts.skipped_seed += 1
                    continue
                text = texts.get(lab["source"], lab["doc"])
                if not 0 <= start <= end <= len(text):
                    raise LabelError("offsets %d-%d out of range for %s (%d characters)"
                                     % (start, end, lab["doc"], len(text)))
                passage = " ".join(text[start:end].split())
                if not passage:
                    raise LabelError("empty passage at %s:%d-%d" % (lab["doc"], start, end))
            except LabelError as e:
                die("%s: %s" % (where, e))
            except ValueError as e:
                die("%s: not valid JSON: %s" % (where, e))
            pid = "%s:%d-%d" % (lab["doc"], start, end)
            if pid in seen:
                print("realnews.py: warning: %s: duplicate location %s" % (where, pid),
                      file=sys.stderr)
            seen.add(pid)
            out.append({"id": pid, "text": passage, "topic": lab["topic"], "tone": lab["tone"],
                        "doc": lab["doc"]})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "data", "external", "realnews"),
                    help="output directory (default data/external/realnews)")
    ap.add_argument("--seeds", default=os.environ.get("TENOR_SEEDS") or
                    os.path.join(REPO, "data", "external", "seeds"),
                    help="directory holding the seed articles (default $TENOR_SEEDS, else "
                    "data/external/seeds); seed passages are skipped when it does not exist")
    ap.add_argument("--labels", default=LABEL_DIR,
                    help="folder of the label files (default data/realnews)")
    args = ap.parse_args()

    texts = Texts(args.seeds)
    results, doc_split = [], {}
    for split, rel, required in LABEL_FILES:
        path = os.path.join(args.labels, rel)
        if not os.path.isfile(path):
            if required:
                die("%s not found" % path)
            print("realnews.py: %s not present, no %s set" % (path, split), file=sys.stderr)
            continue
        results.append((split, rebuild(path, texts, split, doc_split)))
    if texts.skipped_seed:
        print("realnews.py: no seeds folder %s: left out %d seed passage%s"
              % (args.seeds, texts.skipped_seed, "" if texts.skipped_seed == 1 else "s"),
              file=sys.stderr)

    # Everything resolved: write the outputs (each via a temporary file).
    os.makedirs(args.out, exist_ok=True)
    for split, recs in results:
        dst = os.path.join(args.out, "%s.jsonl" % split)
        tmp = dst + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for rec in recs:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        os.replace(tmp, dst)
        print("realnews.py: wrote %s (%d passages)" % (dst, len(recs)), file=sys.stderr)


if __name__ == "__main__":
    main()
