#!/usr/bin/env python3
"""Inter-annotator agreement and adjudication of doubly labeled real passages.

Passages of a pool (data/fetch/realnews_pool.py) are labeled by two
annotators, independently, with data/realnews/GUIDELINES.md; where they
differ an adjudicator decides by the same guidelines.  The record of it all is
committed as data/realnews/annotations.jsonl, locations and labels only (no
text), one object a passage:

    {"source": "sotu", "doc": "...", "start": 10, "end": 200,
     "a": ["economy", "neutral"], "b": ["economy", "adversarial"],
     "topic": "economy", "tone": "neutral", "adjudicated": true, "round": 2}

Each round of annotation (one pool, two annotators, one adjudication) is
appended with its number; a record without "round" is of round 1.

Two modes:

  --build POOL A B ADJ   appends round --round N (default 1: writes the file
                         anew) to data/realnews/annotations.jsonl from the pool,
                         the two annotators' files ({"pid", "topic", "tone"}
                         each) and the adjudicator's decisions (lines "pid topic
                         tone", one for every passage where A and B differ);
                         refuses missing or extra pids, bad labels, a round
                         already there and a passage already annotated
  (default)              reads annotations.jsonl and prints, per head,
                         observed agreement and Cohen's kappa (two raters,
                         nominal classes: (p_o - p_e) / (1 - p_e), p_e from each
                         rater's own class shares) and how many passages were
                         adjudicated, for each round and for all; --labels OUT
                         also writes the final labels (source, doc, start, end,
                         topic, tone) of --round N, or of all, for
                         realnews_split.py --add; --markdown prints the table

Usage: data/fetch/realnews_agree.py [--build POOL A B ADJ] [--round N] [--labels OUT] [--markdown]
"""
import argparse
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realnews  # noqa: E402

PROG = "realnews_agree.py"
ANNOTATIONS = os.path.join(realnews.LABEL_DIR, "annotations.jsonl")
HEADS = (("topic", realnews.TOPICS), ("tone", realnews.TONES))


def die(msg):
    print("%s: error: %s" % (PROG, msg), file=sys.stderr)
    sys.exit(1)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_rater(path, pids):
    got = {}
    for n, rec in enumerate(read_jsonl(path), 1):
        pid = rec.get("pid")
        if pid not in pids:
            die("%s record %d: unknown pid %r" % (path, n, pid))
        if pid in got:
            die("%s record %d: pid %s labeled twice" % (path, n, pid))
        for head, allowed in HEADS:
            if rec.get(head) not in allowed:
                die("%s record %d: %s %r not one of %s" % (path, n, head, rec.get(head),
                                                          sorted(allowed)))
        got[pid] = (rec["topic"], rec["tone"])
    missing = sorted(pids - set(got))
    if missing:
        die("%s: %d pids unlabeled (first %s)" % (path, len(missing), missing[0]))
    return got


def build(pool_path, a_path, b_path, adj_path, out, rnd):
    before = read_jsonl(out) if rnd > 1 else []
    if any(r.get("round", 1) == rnd for r in before):
        die("%s already holds round %d" % (out, rnd))
    done = {(r["source"], r["doc"], r["start"], r["end"]) for r in before}
    pool = read_jsonl(pool_path)
    pids = {p["pid"] for p in pool}
    a, b = read_rater(a_path, pids), read_rater(b_path, pids)
    adj = {}
    with open(adj_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 3 or parts[0] not in pids or parts[1] not in realnews.TOPICS \
                    or parts[2] not in realnews.TONES:
                die("%s line %d: expected 'pid topic tone'" % (adj_path, n))
            adj[parts[0]] = (parts[1], parts[2])
    recs = []
    for p in pool:
        pid = p["pid"]
        differ = a[pid] != b[pid]
        if differ and pid not in adj:
            die("%s: no decision for %s, where the annotators differ" % (adj_path, pid))
        if not differ and pid in adj:
            die("%s: a decision for %s, where the annotators agree" % (adj_path, pid))
        final = adj[pid] if differ else a[pid]
        if (p["source"], p["doc"], p["start"], p["end"]) in done:
            die("%s: passage %s (%s) is annotated in an earlier round" % (pool_path, pid, p["doc"]))
        rec = {"source": p["source"], "doc": p["doc"], "start": p["start"], "end": p["end"],
               "a": list(a[pid]), "b": list(b[pid]), "topic": final[0], "tone": final[1],
               "adjudicated": differ}
        if rnd > 1:
            rec["round"] = rnd
        recs.append(rec)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in before + recs:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, out)
    print("%s: wrote %s (%d passages, %d adjudicated)" % (PROG, out, len(recs), len(adj)),
          file=sys.stderr)


def kappa(pairs):
    """Observed agreement and Cohen's kappa of (rater A, rater B) label pairs."""
    n = len(pairs)
    po = sum(x == y for x, y in pairs) / n
    ca = collections.Counter(x for x, _ in pairs)
    cb = collections.Counter(y for _, y in pairs)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return po, (po - pe) / (1 - pe) if pe < 1 else 1.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", nargs=4, metavar=("POOL", "A", "B", "ADJ"))
    ap.add_argument("--annotations", default=ANNOTATIONS)
    ap.add_argument("--labels", metavar="OUT", help="write the final labels here")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--round", type=int, default=None, metavar="N",
                    help="with --build: the round to append (1 writes anew); with --labels: "
                         "the round whose labels to write (all by default)")
    args = ap.parse_args()
    if args.round is not None and args.round < 1:
        die("--round takes a number >= 1")
    if args.build:
        build(*args.build, out=args.annotations, rnd=args.round or 1)
    recs = read_jsonl(args.annotations)
    rounds = sorted({r.get("round", 1) for r in recs})
    groups = [("round %d" % k, [r for r in recs if r.get("round", 1) == k]) for k in rounds]
    if len(rounds) > 1:
        groups.append(("all", recs))
    rows = []
    for name, rs in groups:
        for i, (head, _) in enumerate(HEADS):
            po, k = kappa([(r["a"][i], r["b"][i]) for r in rs])
            rows.append((name, head, len(rs), po, k, sum(r["a"][i] != r["b"][i] for r in rs),
                         sum(r["adjudicated"] for r in rs)))
    if args.markdown:
        print("| round | head | passages | observed agreement | Cohen's kappa | disagreements |")
        print("|---|---|---|---|---|---|")
        for name, head, n, po, k, d, _ in rows:
            print("| %s | %s | %d | %.3f | %.3f | %d |" % (name[6:] if name != "all" else name,
                                                         head, n, po, k, d))
        print()
        for name, head, n, _, _, _, nadj in rows[::len(HEADS)]:
            print("%s: %d passages had at least one disagreement and were adjudicated." % (name, nadj))
    else:
        for name, head, n, po, k, d, _ in rows:
            print("%s: %s: %d passages, agreement %.3f, Cohen's kappa %.3f, %d disagreements"
                  % (name, head, n, po, k, d))
        for name, head, n, _, _, _, nadj in rows[::len(HEADS)]:
            print("%s: adjudicated: %d passages" % (name, nadj))
    if args.labels:
        with open(args.labels, "w", encoding="utf-8") as f:
            for r in recs:
                if args.round is not None and r.get("round", 1) != args.round:
                    continue
                f.write(json.dumps({k: r[k] for k in ("source", "doc", "start", "end",
                                                      "topic", "tone")}) + "\n")


if __name__ == "__main__":
    main()
