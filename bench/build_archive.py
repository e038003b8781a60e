#!/usr/bin/env python3
"""Build the make bench archive: about BENCH_MB megabytes of real-text JSONL.

The documents are Reuters-21578 (data/fetch/reuters.py: the ModApte grain
split, train and test) and the SpamAssassin corpus (data/fetch/spamassassin.py,
train and test), 8,204 distinct texts of about 14 MB.  They are put in one
seeded order and that order is repeated ("cycled") until the archive holds
MB * 10^6 bytes; copy n of the cycle gets the unique id "bench-%010d".  Each
record carries two label fields, so a two-head model can be trained and the
run's accuracy checked:

    {"id": "bench-0000000001", "text": "...", "source": "reuters" | "spamassassin",
     "label": "grain" | "other" | "spam" | "ham"}

The output is a pure function of the inputs and the options (no time, no
randomness but the seed; zstd -T1 at a fixed level), so a rebuild gives
byte-identical files; OUT/info.json records their SHA-256 digests.

Written into OUT (bench/work/archive-<MB>mb by bench/run.sh):
  archive.jsonl, archive.jsonl.zst   the archive and its zstd copy (-3 -T1)
  slice.jsonl, slice.jsonl.zst       its first SLICE_MB megabytes (whole records),
                                     for peers too slow to run on everything
                                     and for the RSS-does-not-grow check
  labeled.jsonl                      the labeled part a model is trained on: the
                                     train-split documents, once each, with the
                                     archive's fields (ids "train-%06d")
  text-all.txt, text-half-{1,2}.txt  the archive's texts pre-normalised for
                                     fastText and scikit-learn: one document a
                                     line, case-folded, tokens (runs of letters
                                     and digits, as Tenor's tokenizer splits
                                     them) joined by one space; the halves
                                     split it by document, first half first
  slice-all.txt, slice-half-{1,2}.txt the same for the slice
  ft-train.txt                       labeled.jsonl in fastText's format, one
                                     combined label __label__SOURCE.LABEL
  info.json                          counts, sizes, digests and the options

With --training-sets N,N,... it writes, instead, the labeled corpora of make
bench-train into OUT: train-N.jsonl for each N, records as in the archive
(ids "train-%08d").  The 8,204 distinct documents come first, in the seeded
order; later copies drop each word with probability 0.1 (seeded per copy and
document; words are re-joined with single spaces), so that every training
document is distinct, as real ones are, and a solver never sees a set of
exact duplicates.  Smaller sets are prefixes of larger ones.

Usage: bench/build_archive.py --out DIR [--mb 1000] [--slice-mb 64]
           [--reuters DIR] [--spam DIR] [--seed N]
       bench/build_archive.py --out DIR --training-sets 5000,50000,200000
Exit codes: 0 built (or already up to date), 1 error, 2 usage error.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys

FORMAT = 1          # bump when the layout or the content rules change
MB = 1000 * 1000
TOKEN = re.compile(r"[^\W_]+")


def die(msg):
    print("build_archive.py: %s" % msg, file=sys.stderr)
    sys.exit(1)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_jsonl(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        die("cannot read '%s': %s" % (path, e.strerror))
    except ValueError as e:
        die("'%s': invalid JSON: %s" % (path, e))


def normalise(text):
    """One line of lower-cased tokens: what fastText and scikit-learn read."""
    return " ".join(TOKEN.findall(text.casefold()))


def input_files(reuters_dir, spam_dir):
    """The corpus files as (path, source, split), in archive-building order."""
    return [
        (os.path.join(reuters_dir, "grain-train.jsonl"), "reuters", "train"),
        (os.path.join(reuters_dir, "grain-test.jsonl"), "reuters", "test"),
        (os.path.join(spam_dir, "train.jsonl"), "spamassassin", "train"),
        (os.path.join(spam_dir, "test.jsonl"), "spamassassin", "test"),
    ]


def load_corpora(reuters_dir, spam_dir):
    """Return the documents: dicts with text, source, label and split, in
    the order of input_files()."""
    docs = []
    for path, source, split in input_files(reuters_dir, spam_dir):
        if not os.path.isfile(path):
            die("missing '%s' (run the data/fetch/ scripts first)" % path)
        for rec in read_jsonl(path):
            docs.append({"text": rec["text"], "source": source,
                         "label": rec["label"], "split": split})
    return docs


def record_tail(doc):
    """Everything of a record after its id, serialised once per document."""
    return (', "text": %s, "source": %s, "label": %s}\n'
            % (json.dumps(doc["text"], ensure_ascii=False),
               json.dumps(doc["source"]), json.dumps(doc["label"]))).encode("utf-8")


def write_labeled(docs, out):
    """labeled.jsonl and ft-train.txt: the train split, once each."""
    n = 0
    with open(os.path.join(out, "labeled.jsonl"), "wb") as lab, \
            open(os.path.join(out, "ft-train.txt"), "wb") as ft:
        for doc in docs:
            if doc["split"] != "train":
                continue
            n += 1
            lab.write(b'{"id": "train-%06d"' % n + doc["tail"])
            ft.write(b"__label__%s.%s %s\n" % (doc["source"].encode(),
                                                 doc["label"].encode(), doc["norm"]))
    return n


def write_cycled(order, limit, jsonl_path, text_path):
    """Write records cycling ORDER until LIMIT bytes (the last record whole)
    and each record's normalised text; return (documents, bytes)."""
    ndocs = nbytes = 0
    with open(jsonl_path, "wb") as js, open(text_path, "wb") as tx:
        while nbytes < limit:
            for doc in order:
                if nbytes >= limit:
                    break
                ndocs += 1
                rec = b'{"id": "bench-%010d"' % ndocs + doc["tail"]
                js.write(rec)
                nbytes += len(rec)
                tx.write(doc["norm"] + b"\n")
    return ndocs, nbytes


def split_halves(all_path, first_docs, prefix):
    """Split a one-document-a-line file after FIRST_DOCS lines."""
    with open(all_path, "rb") as src, \
            open(prefix + "-half-1.txt", "wb") as h1, \
            open(prefix + "-half-2.txt", "wb") as h2:
        for k, line in enumerate(src):
            (h1 if k < first_docs else h2).write(line)


def zstd(path):
    if shutil.which("zstd") is None:
        die("zstd not found (make deps installs it)")
    subprocess.run(["zstd", "-q", "-f", "-3", "-T1", path, "-o", path + ".zst"],
                   check=True)


def build(args, out, stamp):
    docs = load_corpora(args.reuters, args.spam)
    for doc in docs:
        doc["tail"] = record_tail(doc)
        doc["norm"] = normalise(doc["text"]).encode("utf-8")
    order = list(docs)
    random.Random(args.seed).shuffle(order)

    n_labeled = write_labeled(docs, out)
    a_docs, a_bytes = write_cycled(order, args.mb * MB,
                                      os.path.join(out, "archive.jsonl"),
                                      os.path.join(out, "text-all.txt"))
    slice_limit = min(args.slice_mb, args.mb) * MB
    s_docs, s_bytes = write_cycled(order, slice_limit,
                                      os.path.join(out, "slice.jsonl"),
                                      os.path.join(out, "slice-all.txt"))
    split_halves(os.path.join(out, "text-all.txt"), (a_docs + 1) // 2,
                 os.path.join(out, "text"))
    split_halves(os.path.join(out, "slice-all.txt"), (s_docs + 1) // 2,
                 os.path.join(out, "slice"))
    zstd(os.path.join(out, "archive.jsonl"))
    zstd(os.path.join(out, "slice.jsonl"))

    def size(name):
        return os.path.getsize(os.path.join(out, name))

    info = {
        "stamp": stamp,
        "distinct_documents": len(docs),
        "distinct_text_bytes": sum(len(d["text"].encode("utf-8")) for d in docs),
        "labeled": {"documents": n_labeled, "bytes": size("labeled.jsonl")},
        "archive": {"documents": a_docs, "bytes": a_bytes,
                    "zst_bytes": size("archive.jsonl.zst"),
                    "text_bytes": size("text-all.txt"),
                    "sha256_zst": sha256_file(os.path.join(out, "archive.jsonl.zst"))},
        "slice": {"documents": s_docs, "bytes": s_bytes,
                  "zst_bytes": size("slice.jsonl.zst"),
                  "text_bytes": size("slice-all.txt")},
        "cycles": a_docs / len(docs),
    }
    with open(os.path.join(out, "info.json.tmp"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    os.replace(os.path.join(out, "info.json.tmp"), os.path.join(out, "info.json"))
    return info


def perturb(text, rng):
    """The text less a random tenth of its words (at least one word kept)."""
    words = text.split()
    kept = [w for w in words if rng.random() >= 0.1]
    return " ".join(kept or words[:1])


def build_training_sets(args, sizes):
    docs = load_corpora(args.reuters, args.spam)
    order = list(docs)
    random.Random(args.seed).shuffle(order)
    os.makedirs(args.out, exist_ok=True)
    biggest = max(sizes)
    outs = {n: open(os.path.join(args.out, "train-%d.jsonl.tmp" % n), "wb") for n in sizes}
    try:
        for k in range(biggest):
            copy, j = divmod(k, len(order))
            doc = order[j]
            text = doc["text"]
            if copy:
                text = perturb(text, random.Random("%d/%d/%d" % (args.seed, copy, j)))
            rec = ('{"id": "train-%08d", "text": %s, "source": %s, "label": %s}\n'
                   % (k + 1, json.dumps(text, ensure_ascii=False), json.dumps(doc["source"]),
                      json.dumps(doc["label"]))).encode("utf-8")
            for n, f in outs.items():
                if k < n:
                    f.write(rec)
    finally:
        for f in outs.values():
            f.close()
    for n in sizes:
        path = os.path.join(args.out, "train-%d.jsonl" % n)
        os.replace(path + ".tmp", path)
        print("build_archive.py: wrote '%s' (%d documents, %.1f MB)"
              % (path, n, os.path.getsize(path) / MB), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="folder to write")
    ap.add_argument("--mb", type=int, default=1000,
                    help="archive size in 10^6 bytes (default %(default)s)")
    ap.add_argument("--slice-mb", type=int, default=64,
                    help="slice size in 10^6 bytes (default %(default)s)")
    ap.add_argument("--reuters", default="data/external/reuters")
    ap.add_argument("--spam", default="data/external/spam")
    ap.add_argument("--seed", type=int, default=20240521)
    ap.add_argument("--training-sets", metavar="N,N,...",
                    help="write the make bench-train corpora instead of the archive")
    args = ap.parse_args()
    if args.mb < 1 or args.slice_mb < 1:
        ap.error("--mb and --slice-mb must be at least 1")
    if args.training_sets:
        try:
            sizes = sorted({int(x) for x in args.training_sets.split(",")})
        except ValueError:
            ap.error("--training-sets: a comma-separated list of document counts")
        if not sizes or sizes[0] < 1:
            ap.error("--training-sets: counts must be at least 1")
        build_training_sets(args, sizes)
        return

    files = [path for path, _, _ in input_files(args.reuters, args.spam)]
    for path in files:
        if not os.path.isfile(path):
            die("missing '%s' (run the data/fetch/ scripts first)" % path)
    stamp = {"format": FORMAT, "mb": args.mb, "slice_mb": args.slice_mb,
             "seed": args.seed,
             "inputs": {os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p):
                        sha256_file(p) for p in files}}
    info_path = os.path.join(args.out, "info.json")
    if os.path.isfile(info_path):
        try:
            with open(info_path) as f:
                if json.load(f).get("stamp") == stamp:
                    print("build_archive.py: '%s' is up to date" % args.out, file=sys.stderr)
                    return
        except (OSError, ValueError):
            pass
    os.makedirs(args.out, exist_ok=True)
    if os.path.exists(info_path):
        os.remove(info_path)     # a half-built folder is never taken as done
    info = build(args, args.out, stamp)
    a = info["archive"]
    print("build_archive.py: wrote '%s': %d documents, %.1f MB JSONL, %.1f MB zstd"
          % (args.out, a["documents"], a["bytes"] / MB, a["zst_bytes"] / MB),
          file=sys.stderr)


if __name__ == "__main__":
    main()
