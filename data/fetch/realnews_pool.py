#!/usr/bin/env python3
"""Draw a pool of unlabeled real passages for annotation (issue #15).

The pool is what two annotators label independently with
data/realnews/GUIDELINES.md; their adjudicated labels are then committed as
locations only, in data/realnews/*-labels.jsonl, like every real-text label.

Sources (fetched by the existing scripts, run first when missing):
    sotu           every State of the Union address, 1790-2021
                   (data/external/sotu/sotu.jsonl, data/fetch/sotu.py)
    reuters-train  Reuters-21578 ModApte train / test articles
    reuters-test   (data/external/reuters/grain-*.jsonl, data/fetch/reuters.py)

A passage is 1 to 3 consecutive sentences of one document, 100 to 600
characters once whitespace is collapsed, prose (no tables, no headline), that
names something of one of the four topics (a keyword list below, two distinct
keywords for Reuters; the annotators decide the label, the keywords only steer
the draw away from ceremonial or purely corporate text, and passages naming
more of them are drawn first).  Passages never overlap each other or a
passage already labeled in data/realnews/*-labels.jsonl.  Each document gives
a few passages (SOTU addresses up to --per-address, Reuters articles up to
--per-article), the draw is spread over eras (SOTU by quarter century) and,
within Reuters, steered away from the purely corporate-earnings copy that
dominates it, and about half of the passages hold a reporting or stance verb
("said", "warned", "rejected", "welcomed" ...), the hard cases of the
guidelines.

Locations follow data/fetch/realnews.py: start/end are code-point offsets
into the document's "text"; the passage is text[start:end] with whitespace
runs collapsed to one space.  Output, one object a line, in a seeded random
order (pids p0001, p0002, ...):

    {"pid": "p0001", "source": "sotu", "doc": "sotu-1862-abraham-lincoln",
     "start": 1234, "end": 1456, "text": "..."}

Everything is decided by --seed (default 15): the same sources and seed give
the same pool byte for byte.

With --split train the pool holds only passages of documents the protocol
puts in train (labeled ones where they are, new ones by the hash rule of
realnews_split.py): labels that grow the training data and leave dev and test
as they are.

Usage: data/fetch/realnews_pool.py [--out data/external/realnews/pool.jsonl]
                                   [--size 2000] [--seed 15] [--split SPLIT]
                                   [--stance-share 0.5]
"""
import argparse
import collections
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realnews  # noqa: E402  (ensure_reuters, ensure_sotu, paths)
import realnews_split  # noqa: E402  (the split rule)

PROG = "realnews_pool.py"
REPO = realnews.REPO

# Steering keywords (lower case, matched on word starts).  They only decide
# which passages are drawn, never a label.
TOPIC_WORDS = {
    "diplomacy": "treaty treaties negotiat diplomat ambassador embassy envoy minister foreign "
                 "alliance allies ally summit talks accord united nations league of nations "
                 "relations recognition consul tariff agreement gatt sanction bilateral "
                 "delegation protocol convention neutrality",
    "security": "army armies navy naval military militia troops soldier war wars weapon arms "
                "missile nuclear atomic terror defense defence attack invasion fleet forces "
                "hostilities enemy enemies conflict ceasefire security guerrilla rebels "
                "fortification veteran",
    "economy": "tariff trade export import price prices market budget deficit debt tax taxes "
               "revenue currency dollar bank banks inflation interest rate wage wages jobs "
               "unemployment oil grain wheat coffee sugar crop farm output growth economy "
               "economic commerce industry finance",
    "domestic": "congress election vote voters court courts law laws education school "
                "health crime police rights citizens immigration immigrant welfare pension "
                "reform senate legislation constitution union strike labor labour states "
                "civil service corruption housing poverty",
}
STANCE_WORDS = ("said warn reject welcom agree accus condemn urg deni deny criticiz criticis "
                "threat hope pledg prais oppos protest demand refus insist confiden concern "
                "complain call support back dismiss blam appeal promis assur regret").split()

ABBREV = ("mr mrs ms dr st jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd "
          "gen gov sen rep u.s u.k no vs jr sr messrs hon e.g i.e dept govt").split()
SENT_END = re.compile(r'[.!?]["\')\]]*\s+(?=["\'(]?[A-Z0-9])')


def words_re(words):
    return re.compile(r"\b(?:%s)" % "|".join(re.escape(w) for w in words.split()), re.I)


TOPIC_RES = {t: words_re(w) for t, w in TOPIC_WORDS.items()}
STANCE_RE = words_re(" ".join(STANCE_WORDS))


def sentences(text, lo):
    """(start, end) code-point spans of the sentences of text[lo:]."""
    spans, start = [], lo
    for m in SENT_END.finditer(text, lo):
        end = m.start() + len(m.group(0).rstrip())
        prev = text[start:m.start() + 1].split()
        last = prev[-1].rstrip('.!?"\')]').lower() if prev else ""
        if last in ABBREV or (len(last) == 1 and last.isalpha()):
            continue
        spans.append((start, end))
        start = m.end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def reuters_body_start(text):
    """Offset just after the upper-case headline of a Reuters article."""
    pos = 0
    for m in re.finditer(r"\S+", text):
        if any(c.islower() for c in m.group(0)):
            return m.start() if pos else 0
        pos = m.end()
    return len(text)


def is_prose(passage):
    if not 100 <= len(passage) <= 600:
        return False
    digits = sum(c.isdigit() for c in passage)
    if digits > 0.08 * len(passage):
        return False
    if re.search(r"\bvs\b|\bshr\b|\bcts\b|<[A-Z]+>|Reuter\b|&#", passage, re.I):
        return False
    letters = [c for c in passage if c.isalpha()]
    if sum(c.isupper() for c in letters) > 0.25 * len(letters):
        return False
    return passage[0].isupper() or passage[0] in "\"'("


def candidates(text, lo, taken, min_score):
    """Passages of 1-3 sentences starting at each sentence, overlapping nothing in
    taken, naming at least min_score distinct topic keywords."""
    sents = sentences(text, lo)
    out = []
    for i in range(len(sents)):
        for n in (1, 2, 3):
            if i + n > len(sents):
                break
            start, end = sents[i][0], sents[i + n - 1][1]
            passage = " ".join(text[start:end].split())
            if len(passage) > 600:
                break
            if not is_prose(passage):
                continue
            if any(start < e and s < end for s, e in taken):
                continue
            hits = {t: {m.group(0).lower() for m in r.finditer(passage)}
                    for t, r in TOPIC_RES.items()}
            topics = [t for t in TOPIC_RES if hits[t]]
            score = len(set().union(*hits.values()))
            if score < min_score:
                continue
            out.append((start, end, passage, topics, bool(STANCE_RE.search(passage)), score))
    return out


def pick(cands, k, rng, taken, stance_share=0.5):
    """Up to k non-overlapping candidates, with a stance word for about
    stance_share of them, preferring topics other than economy (the sources are
    economy-heavy)."""
    rng.shuffle(cands)
    cands.sort(key=lambda c: (c[3] == ["economy"], -min(c[5], 4)))
    queues = {True: [c for c in cands if c[4]], False: [c for c in cands if not c[4]]}
    chosen = []
    # At 0.5 the two kinds alternate from a random start (the draw of the
    # first pool, kept so that seed 15 still gives it); otherwise each pick
    # wants a stance passage with probability stance_share.
    alternate = stance_share == 0.5
    want = rng.random() < 0.5 if alternate else None
    while len(chosen) < k and (queues[True] or queues[False]):
        if not alternate:
            want = rng.random() < stance_share
        q = queues[want] or queues[not want]
        c = q.pop(0)
        if any(c[0] < e and s < c[1] for s, e in taken):
            continue
        chosen.append(c)
        taken.append((c[0], c[1]))
        if alternate:
            want = not want
    return chosen


def split_filter(split):
    """A predicate (source, doc) -> bool: True for the documents the protocol
    puts in split (where a document already is, else the hash rule of
    realnews_split.py), or always True when split is None."""
    if split is None:
        return lambda source, doc: True
    groups = realnews_split.reuters_groups()
    placed = {}
    for s in realnews_split.SPLITS:
        path = os.path.join(realnews.LABEL_DIR, "%s-labels.jsonl" % s)
        if os.path.isfile(path):
            for lab in realnews_split.read_labels(path):
                key = (lab["source"], lab["doc"])
                placed[groups.get(key, "%s:%s" % key)] = s

    def keep(source, doc):
        g = groups.get((source, doc), "%s:%s" % (source, doc))
        return placed.get(g, realnews_split.split_of_key(g)) == split
    return keep


def labeled_spans():
    spans = collections.defaultdict(list)
    for _, name, _ in realnews.LABEL_FILES:
        path = os.path.join(realnews.LABEL_DIR, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    lab = json.loads(line)
                    spans[(lab["source"], lab["doc"])].append((lab["start"], lab["end"]))
    return spans


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "data", "external", "realnews",
                                                  "pool.jsonl"))
    ap.add_argument("--size", type=int, default=2000, help="passages in the pool (2000)")
    ap.add_argument("--seed", type=int, default=15, help="random seed (15)")
    ap.add_argument("--per-address", type=int, default=5,
                    help="passages at most per SOTU address (5)")
    ap.add_argument("--per-article", type=int, default=2,
                    help="passages at most per Reuters article (2)")
    ap.add_argument("--sotu-share", type=float, default=0.5,
                    help="share of the pool from SOTU addresses (0.5)")
    ap.add_argument("--stance-share", type=float, default=0.5,
                    help="share of a document's passages drawn among those with a "
                         "reporting or stance verb, where it has them (0.5)")
    ap.add_argument("--split", choices=realnews_split.SPLITS,
                    help="draw only from documents the protocol puts in this split "
                         "(labeled ones where they are, new ones by the hash rule)")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    realnews.ensure_sotu()
    realnews.ensure_reuters()
    taken_by_doc = labeled_spans()
    keep = split_filter(args.split)

    # SOTU: by quarter century, the same number of passages per era where the
    # era has enough addresses.
    sotu = []
    with open(os.path.join(realnews.SOTU_DIR, realnews.SOTU_FILE), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                if keep("sotu", rec["id"]):
                    sotu.append(rec)
    eras = collections.defaultdict(list)
    for rec in sotu:
        eras[(rec["year"] - 1775) // 25].append(rec)
    n_sotu = int(round(args.size * args.sotu_share))
    per_era = -(-n_sotu // len(eras))
    pool = []
    for era in sorted(eras):
        docs = sorted(eras[era], key=lambda r: r["id"])
        rng.shuffle(docs)
        got = []
        k = max(1, min(args.per_address, -(-per_era // len(docs))))
        for rec in docs:
            taken = list(taken_by_doc.get(("sotu", rec["id"]), []))
            for c in pick(candidates(rec["text"], 0, taken, 1), k, rng, taken,
                          args.stance_share):
                got.append(("sotu", rec["id"], c))
        rng.shuffle(got)
        pool.extend(got[:per_era])
    pool = pool[:n_sotu]

    # Reuters: articles of both splits, at most per_article passages each.
    reuters = []
    for source, fname in sorted(realnews.REUTERS_FILES.items()):
        with open(os.path.join(realnews.REUTERS_DIR, fname), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    if keep(source, rec["id"]):
                        reuters.append((source, rec["id"], rec["text"]))
    reuters.sort(key=lambda r: (r[0], r[1]))
    rng.shuffle(reuters)
    got = []
    for source, doc, text in reuters:
        taken = list(taken_by_doc.get((source, doc), []))
        cands = candidates(text, reuters_body_start(text), taken, 2)
        if not cands:
            continue
        # Articles naming only economy topics give one passage, others up to k.
        k = args.per_article if any(c[3] != ["economy"] for c in cands) else 1
        for c in pick(cands, k, rng, taken, args.stance_share):
            got.append((source, doc, c))
    # Reuters repeats some articles under other ids: no passage twice, none
    # that is already labeled.
    seen = {c[2] for _, _, c in pool}
    for source, doc, text in reuters:
        for start, end in taken_by_doc.get((source, doc), []):
            seen.add(" ".join(text[start:end].split()))
    unique = []
    for g in got:
        if g[2][2] not in seen:
            seen.add(g[2][2])
            unique.append(g)
    got = unique
    # Steer: at most half of the Reuters part economy-only passages.
    n_reuters = args.size - len(pool)
    other = [g for g in got if g[2][3] != ["economy"]]
    econ = [g for g in got if g[2][3] == ["economy"]]
    take_other = other[:max(n_reuters - len(econ), n_reuters // 2)]
    take = take_other + econ[:n_reuters - len(take_other)]
    pool.extend(take)
    if len(pool) < args.size:
        realnews.die("only %d passages drawn, %d asked" % (len(pool), args.size))

    rng.shuffle(pool)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for i, (source, doc, c) in enumerate(pool, 1):
            f.write(json.dumps({"pid": "p%04d" % i, "source": source, "doc": doc,
                                "start": c[0], "end": c[1], "text": c[2]},
                               ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)
    by_source = collections.Counter(p[0] for p in pool)
    print("%s: wrote %s (%d passages from %d documents: %s)"
          % (PROG, args.out, len(pool), len({(p[0], p[1]) for p in pool}),
             ", ".join("%s %d" % kv for kv in sorted(by_source.items()))), file=sys.stderr)


if __name__ == "__main__":
    main()
