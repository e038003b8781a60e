#!/usr/bin/env python3
"""Choose bin/train's defaults across many corpora by cross-validation.

For every candidate option set (one line of bin/train options each in
bench/defaults-candidates.txt; '#' starts a comment) and every corpus of
bench/corpora.py, runs

    bin/train -q -o TMP --cv 5 --labels FIELDS OPTIONS TRAIN...

on the corpus's TRAIN split only (the test splits are never read here), and
reads each head's cross-validated macro-F1 from the bundle's manifest
(heads[].cv.macro_f1).  A corpus with several scored heads (spam: label and
label3; news: topic and tone) is one run giving several tasks.  It then
writes bench/defaults.md:

  - macro-F1 per task and candidate, with the mean over tasks and the worst
    task (the lowest macro-F1) of each candidate;
  - leave-one-corpus-out: for each task, the candidate with the best mean
    macro-F1 on the tasks of the *other* corpora (tasks sharing texts, such as
    grain and corn or news topic and tone, are left out together), and its
    macro-F1 on the held-out task beside the best candidate's there;
  - wall-clock and CPU seconds of every run (CPU: user + system of bin/train
    and its threads).

Environment (all optional):
  DEFAULTS_CORPORA     tasks to run, e.g. "grain spam3 austen"  [all: corpora.py list]
  DEFAULTS_CANDIDATES  candidates file              [bench/defaults-candidates.txt]
  DEFAULTS_ONLY        candidate numbers to run (1-based, as in the report), e.g. "1 4"
  DEFAULTS_EXTRA       options added to every candidate, e.g. "-j 1"
  DEFAULTS_CV          folds                        [5]
  DEFAULTS_OUT         report                       [bench/defaults.md]
  DEFAULTS_WORK        work folder (results.jsonl, temporary bundles) [bench/work/defaults]
  DEFAULTS_RESUME      1: reuse results in WORK/results.jsonl of the same run,
                       options, bin/train and training files  [0]
  TENOR_BIN            folder of bin/train          [bin]

Missing corpora are fetched first (bench/corpora.py fetch).  Run from the
repository root or anywhere: paths are taken from the repository root.
"""
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpora  # noqa: E402

REPO = corpora.REPO


def env(name, default):
    v = os.environ.get(name, "")
    return v if v.strip() else default


def log(msg):
    print("defaults: " + msg, file=sys.stderr, flush=True)


def read_candidates(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
    return out


def file_id(paths):
    """A digest of the training files' contents, so that a resumed run never
    reuses a result of other data."""
    h = hashlib.sha256()
    for p in paths:
        with open(os.path.join(REPO, p), "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def run_one(train_bin, corpus, fields, options, extra, folds, work):
    """One bin/train --cv run; returns {field: macro_f1, ...} and timings."""
    out_dir = os.path.join(work, "bundle")
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [train_bin, "-q", "-o", out_dir, "--cv", str(folds), "--labels", ",".join(fields)]
    if corpus.group:
        cmd += ["--group", corpus.group]   # folds keep the corpus's groups whole, as its test split
    cmd += shlex.split(options) + shlex.split(extra) + corpus.train
    before = os.times()
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       universal_newlines=True)
    wall = time.monotonic() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    res = {"cmd": " ".join(shlex.quote(c) for c in cmd), "wall_s": round(wall, 2),
           "cpu_s": round(cpu, 2), "exit": r.returncode, "f1": {}, "docs": None}
    if r.returncode != 0:
        res["error"] = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
        return res
    with open(os.path.join(out_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    for head in manifest["heads"]:
        cv = head.get("cv") or {}
        if "macro_f1" in cv:
            res["f1"][head["name"]] = cv["macro_f1"]
        res["docs"] = head.get("documents", res["docs"])
    shutil.rmtree(out_dir, ignore_errors=True)
    return res


def fmt(x, bold=False):
    if x is None:
        return "-"
    s = "%.3f" % x
    return "**%s**" % s if bold else s


def mean(xs):
    return sum(xs) / len(xs) if xs else None


def best_index(scores):
    """Index of the highest score (the first on ties), ignoring None."""
    best = None
    for i, s in enumerate(scores):
        if s is not None and (best is None or s > scores[best] + 1e-12):
            best = i
    return best


def report(cands, nums, tasks, score, runs, meta):
    """The markdown report.  score[(cand_index, task)] = macro-F1 or None."""
    names = [t for t, _, _ in tasks]
    group = {t: corpora.group_of(c) for t, c, _ in tasks}
    lines = ["# Choosing the defaults across corpora (bench/defaults.py)", ""]
    lines += ["Generated on %s: %d bin/train runs, %.0f s wall and %.0f CPU s in all%s; "
              "2-core machine%s."
              % (meta["date"], len(runs), sum(r["wall_s"] for r in runs.values()),
                 sum(r["cpu_s"] for r in runs.values()),
                 " (%d of them reused from an earlier invocation, DEFAULTS_RESUME)"
                 % meta["reused"] if meta.get("reused") else "", meta["load"]), "",
              "Command: `%s`" % meta["command"], "",
              "Every figure is the macro-F1 of %d-fold stratified cross-validation on the "
              "corpus's **train split** (`bin/train --cv %d`, read from the manifest's "
              "`heads[].cv`); no test split is read.  `bin/train --version`: %s; commit %s."
              % (meta["folds"], meta["folds"], meta["version"], meta["commit"]), ""]
    lines += ["## Corpora", "", corpora.stats_table(tasks), ""]

    lines += ["## Macro-F1 by candidate", "",
              "Mean: over the %d tasks; worst: the lowest task.  Bold: the best candidate "
              "of a column." % len(names), ""]
    lines.append("| # | options | " + " | ".join(names) + " | mean | worst |")
    lines.append("|---|---|" + "---:|" * (len(names) + 2))
    means, worsts = [], []
    for i in range(len(cands)):
        vals = [score.get((i, t)) for t in names]
        full = all(v is not None for v in vals)
        means.append(mean(vals) if full else None)
        worsts.append(min(vals) if full else None)
    col_best = {t: best_index([score.get((i, t)) for i in range(len(cands))]) for t in names}
    bm, bw = best_index(means), best_index(worsts)
    for i, opts in enumerate(cands):
        cells = [fmt(score.get((i, t)), col_best[t] == i) for t in names]
        lines.append("| %d | `%s` | %s | %s | %s |"
                     % (nums[i], opts, " | ".join(cells), fmt(means[i], bm == i),
                        fmt(worsts[i], bw == i)))
    lines.append("")

    lines += ["## Leave one corpus out", "",
              "For each task: the candidate with the best mean macro-F1 over the tasks of the "
              "other corpora (tasks on the same texts are held out together: grain with corn, "
              "spam with spam3, news topic with tone), its macro-F1 on the held-out task, and "
              "the best any candidate reaches there.", "",
              "| held-out task | chosen on the others | its macro-F1 | best candidate there | best macro-F1 | lost |",
              "|---|---|---:|---|---:|---:|"]
    losses, chosen_scores = [], []
    for t in names:
        others = [u for u in names if group[u] != group[t]]
        m = [mean([score.get((i, u)) for u in others])
             if others and all(score.get((i, u)) is not None for u in others) else None
             for i in range(len(cands))]
        ci = best_index(m)
        bi = col_best[t]
        if ci is None or bi is None or score.get((ci, t)) is None:
            lines.append("| %s | - | - | - | - | - |" % t)
            continue
        got, best = score[(ci, t)], score[(bi, t)]
        losses.append(best - got)
        chosen_scores.append(got)
        lines.append("| %s | #%d | %s | #%d | %s | %.3f |"
                     % (t, nums[ci], fmt(got), nums[bi], fmt(best), best - got))
    if chosen_scores:
        lines += ["", "Held-out macro-F1 of the leave-one-corpus-out choices: mean %.3f, "
                  "worst %.3f; mean loss against the best candidate of each task %.3f."
                  % (mean(chosen_scores), min(chosen_scores), mean(losses))]
    lines.append("")

    lines += ["## Training time", "",
              "Seconds per `bin/train --cv %d` run (wall / CPU), all folds and heads of a "
              "corpus in one run; other jobs shared the machine." % meta["folds"], ""]
    run_names = []
    for _, c, _ in tasks:
        if c.name not in run_names:
            run_names.append(c.name)
    lines.append("| # | " + " | ".join(run_names) + " | total |")
    lines.append("|---|" + "---:|" * (len(run_names) + 1))
    for i in range(len(cands)):
        cells, tw, tc = [], 0.0, 0.0
        for r in run_names:
            res = runs.get((i, r))
            if res is None:
                cells.append("-")
                continue
            cells.append("%.1f / %.1f" % (res["wall_s"], res["cpu_s"]))
            tw += res["wall_s"]
            tc += res["cpu_s"]
        lines.append("| %d | %s | %.0f / %.0f |" % (nums[i], " | ".join(cells), tw, tc))
    errors = [(i, r, res) for (i, r), res in sorted(runs.items()) if res.get("exit")]
    if errors:
        lines += ["", "## Failed runs", ""]
        for i, r, res in errors:
            lines.append("- #%d on %s: %s (`%s`)" % (nums[i], r, res.get("error"), res["cmd"]))
    lines.append("")
    return "\n".join(lines)


def main():
    if len(sys.argv) > 1:
        print(__doc__)
        sys.exit(0 if sys.argv[1] in ("-h", "--help") else 2)
    os.chdir(REPO)
    cand_file = env("DEFAULTS_CANDIDATES", "bench/defaults-candidates.txt")
    all_cands = read_candidates(cand_file)
    only = [int(x) for x in env("DEFAULTS_ONLY", "").replace(",", " ").split()]
    nums = [n for n in range(1, len(all_cands) + 1) if not only or n in only]
    cands = [all_cands[n - 1] for n in nums]
    tasks = corpora.select(env("DEFAULTS_CORPORA", "").replace(",", " ").split())
    extra = env("DEFAULTS_EXTRA", "")
    folds = int(env("DEFAULTS_CV", "5"))
    out_md = env("DEFAULTS_OUT", "bench/defaults.md")
    work = env("DEFAULTS_WORK", "bench/work/defaults")
    resume = env("DEFAULTS_RESUME", "0") == "1"
    train_bin = os.path.join(env("TENOR_BIN", "bin"), "train")
    os.makedirs(work, exist_ok=True)

    # The runs: one per corpus, with the selected heads of that corpus.
    runs_wanted = []
    for _, c, field in tasks:
        for rc, fields in runs_wanted:
            if rc is c:
                fields.append(field)
                break
        else:
            runs_wanted.append((c, [field]))
    for c, _ in runs_wanted:
        if not corpora.fetch(c):
            sys.exit("defaults: could not fetch corpus %s" % c.name)

    version = subprocess.run([train_bin, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True).stdout.strip().splitlines()[0]
    bin_id = hashlib.sha256(open(train_bin, "rb").read()).hexdigest()[:16]
    results_path = os.path.join(work, "results.jsonl")
    cache = {}
    if resume and os.path.isfile(results_path):
        with open(results_path, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                cache[rec["key"]] = rec
    elif os.path.exists(results_path):
        os.remove(results_path)

    t_start = time.monotonic()
    load0 = open("/proc/loadavg").read().split()[:3]
    score, runs, cpu_total, reused = {}, {}, 0.0, 0
    n_runs, k = len(cands) * len(runs_wanted), 0
    for i, opts in enumerate(cands):
        for c, fields in runs_wanted:
            k += 1
            key = json.dumps([c.name, fields, opts, extra, folds, bin_id, file_id(c.train)])
            if key in cache and not cache[key].get("exit"):
                res = cache[key]
                reused += 1
                log("[%d/%d] #%d %s: cached" % (k, n_runs, nums[i], c.name))
            else:
                res = run_one(train_bin, c, fields, opts, extra, folds, work)
                res["key"] = key
                with open(results_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(res) + "\n")
                cpu_total += res["cpu_s"]
                log("[%d/%d] #%d %s: %s (%.1f s, %.1f CPU s)%s"
                    % (k, n_runs, nums[i], c.name,
                       ", ".join("%s %.3f" % (fl, v) for fl, v in res["f1"].items()),
                       res["wall_s"], res["cpu_s"],
                       "" if not res.get("exit") else " FAILED: %s" % res.get("error")))
            runs[(i, c.name)] = res
            for field in fields:
                score[(i, c.heads[field])] = res["f1"].get(field)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, universal_newlines=True).stdout.strip() or "unknown"
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "lib", "train", "classify"],
                      cwd=REPO).returncode != 0:
        commit += " (with uncommitted changes to the C code)"
    settings = " ".join("%s=%s" % (k, shlex.quote(os.environ[k])) for k in sorted(os.environ)
                        if k.startswith("DEFAULTS_") and os.environ[k].strip())
    load1 = open("/proc/loadavg").read().split()[:3]
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "total_s": time.monotonic() - t_start, "cpu_s": cpu_total,
            "load": "; load average %s at start, %s at end" % (" ".join(load0), " ".join(load1)),
            "command": (settings + " " if settings else "") + "bench/defaults.py",
            "folds": folds, "version": version, "commit": commit, "reused": reused}
    md = report(cands, nums, tasks, score, runs, meta)
    with open(out_md + ".tmp", "w", encoding="utf-8") as f:
        f.write(md)
    os.replace(out_md + ".tmp", out_md)
    print(md)
    log("wrote %s in %.0f s" % (out_md, meta["total_s"]))


if __name__ == "__main__":
    main()
