#!/usr/bin/env python3
"""make bench report: medians of bench/run.sh's runs into a table and a plot.

  bench_report.py --archive DIR --run DIR --out DIR [--elapsed S]
                  [--sklearn-python PY]
  bench_report.py --train DIR --run DIR --out DIR [--elapsed S]
                  [--timeout S] [--libsvm-max N]

The second form (make bench-train) writes the training section of
OUT/results.md, from the line TRAIN_MARK to the end; the first form rewrites
everything before that line.  Each keeps the other's part.

Reads DIR(archive)/info.json and, from the run folder, runs.tsv (CONFIG RUN
WALL_S PEAK_RSS_KB STATUS a line), commands.tsv, notes.txt and the Tenor
manifests; writes OUT/results.md and OUT/throughput.png (gnuplot, skipped
with a note when gnuplot is missing) and prints the throughput table.

MB/s is 10^6 bytes of the uncompressed JSONL archive per second of wall time,
for every tool, whatever it actually reads (the peers read the texts
pre-normalised, without JSON, ids or labels).  Configurations run on the
slice are extrapolated to the whole archive: T = L + (t - L) * B / b, with t
the median wall time on the slice, L the shortest time of the same process on
an empty input (start-up and model loading, paid once: a run that waited on
the disk only adds to it, and an L near t would shrink T to nothing), B and b
the archive's and the slice's sizes.
"""
import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys

MB = 1e6
NCPU = os.cpu_count() or 1

# Configuration -> (tool label, threads, runs on the slice, load config)
CONFIGS = [
    ("tenor-1", "Tenor classify", 1, False, None),
    ("tenor-2", "Tenor classify", 2, False, None),
    ("tenor-chars-2", "Tenor classify, variant: + character 3-5-grams", 2, False, None),
    ("tenor-plain-2", "Tenor classify, variant: the archive uncompressed (.jsonl)", 2, False, None),
    ("ft-default-1", "fastText (default)", 1, False, None),
    ("ft-default-2", "fastText (default)", 2, False, None),
    ("ft-ng2-1", "fastText -wordNgrams 2", 1, True, "ft-ng2-load"),
    ("ft-ng2-2", "fastText -wordNgrams 2", 2, True, "ft-ng2-load"),
    ("sklearn-1", "scikit-learn", 1, True, "sklearn-load"),
    ("sklearn-2", "scikit-learn", 2, True, "sklearn-load"),
    ("zstd-1", "zstd -dc (floor)", 1, False, None),
]


def sh(cmd):
    """Output of a command, stripped, or '' when it fails."""
    try:
        r = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        return r.stdout.strip() if r.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def read_runs(path):
    runs = {}
    with open(path) as f:
        for line in f:
            cfg, run, wall, rss, status, cpu, others = line.rstrip("\n").split("\t")
            runs.setdefault(cfg, []).append(
                {"run": int(run), "wall": float(wall), "rss_kb": int(rss), "ok": status == "0",
                 "cpu": float(cpu), "others": float(others)})
    return runs


def median_run(rows):
    """The run whose wall time is the median (the lower one of two)."""
    ok = sorted((r for r in rows if r["ok"]), key=lambda r: r["wall"])
    return ok[(len(ok) - 1) // 2] if ok else None


def measure(runs, info):
    """One result per configuration that ran: a dict for the table."""
    arch, slc = info["archive"], info["slice"]
    sliced_is_full = slc["documents"] == arch["documents"]
    out = {}
    for cfg, tool, threads, on_slice, load_cfg in CONFIGS:
        rows = [r for r in runs.get(cfg, []) if r["ok"]]
        if not rows:
            continue
        wall = statistics.median(r["wall"] for r in rows)
        cpu = statistics.median(r["cpu"] for r in rows)
        res = {"cfg": cfg, "tool": tool, "threads": threads, "n": len(rows),
               "wall_measured": wall, "rss_mb": max(r["rss_kb"] for r in rows) / 1024,
               "median_run": median_run(rows)["run"], "extrapolated": False, "load": None,
               "others": statistics.median(r["others"] / (r["wall"] * NCPU) for r in rows)}
        if on_slice and not sliced_is_full:
            loads = [r for r in runs.get(load_cfg, []) if r["ok"]]
            # The shortest: a start-up that waited on the disk (wall far above its
            # CPU time) is not the fixed cost, and subtracting it from t hides work.
            load = min(r["wall"] for r in loads) if loads else 0.0
            load_cpu = statistics.median(r["cpu"] for r in loads) * threads if loads else 0.0
            res["load"] = load
            res["extrapolated"] = True
            ratio = arch["bytes"] / slc["bytes"]
            wall = load + max(wall - load, 0.0) * ratio
            cpu = load_cpu + max(cpu - load_cpu, 0.0) * ratio
        res["wall"] = wall
        res["cpu"] = cpu
        res["mbps"] = arch["bytes"] / MB / wall
        res["docs_s"] = arch["documents"] / wall
        out[cfg] = res
    for cfg, res in out.items():
        if res["threads"] == 2:
            one = out.get(cfg[:-1] + "1")
            if one:
                res["speedup"] = one["wall"] / res["wall"]
    return out


def fmt_rate(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x if x >= 10 else "%.2f" % x


def table(results, info):
    lines = ["| tool | threads | wall s | MB/s | docs/s | speedup | CPU s | peak RSS MB "
             "| others' CPU | input |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for cfg, *_ in CONFIGS:
        r = results.get(cfg)
        if not r:
            continue
        if cfg == "tenor-plain-2":
            where = "archive.jsonl"
        elif cfg.startswith(("tenor", "zstd")):
            where = "archive.jsonl.zst"
        else:
            where = "normalised text" + (" in halves" if r["threads"] == 2 else "")
            if r["extrapolated"]:
                where += ", first %.0f MB, extrapolated" % (info["slice"]["bytes"] / MB)
        lines.append("| %s | %d | %.2f | %s | %s | %s | %.2f | %.0f | %.0f%% | %s |" % (
            r["tool"], r["threads"], r["wall"], fmt_rate(r["mbps"]),
            "{:,.0f}".format(r["docs_s"]),
            "%.2fx" % r["speedup"] if "speedup" in r else "",
            r["cpu"], r["rss_mb"], 100 * r["others"], where))
    return "\n".join(lines)


def manifest(run_dir, cfg, run):
    path = os.path.join(run_dir, "%s.%d.manifest.json" % (cfg, run))
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def split_table(results, run_dir):
    lines = ["| threads | classify s | read+decompress | features | predict | write | (thread-seconds) |",
             "|--:|--:|--:|--:|--:|--:|---|"]
    for cfg in ("tenor-1", "tenor-2"):
        r = results.get(cfg)
        m = manifest(run_dir, cfg, r["median_run"]) if r else None
        t = (m or {}).get("timings")
        if not t:
            continue
        parts = [t.get(k, 0.0) for k in ("read", "features", "predict", "write")]
        total = sum(parts) or 1.0
        lines.append("| %d | %.2f | %s | %.2f |" % (
            r["threads"], t.get("seconds", 0.0),
            " | ".join("%.2f (%.0f%%)" % (p, 100 * p / total) for p in parts), total))
    return "\n".join(lines)


def targets(results):
    """(target, measured, met) rows; None when a side is missing."""
    t2 = results.get("tenor-2")
    rows = []

    def ratio(peer, need, what, mine="tenor-2"):
        t = results.get(mine)
        p = results.get(peer)
        if t and p:
            x = t["mbps"] / p["mbps"]
            # The same ratio in CPU time (the same bytes): steadier on a busy machine.
            c = p["cpu"] / t["cpu"] if t["cpu"] > 0 else float("nan")
            rows.append((what, "%.2fx (%s vs %s MB/s); %.2fx by CPU time"
                         % (x, fmt_rate(t["mbps"]), fmt_rate(p["mbps"]), c), x >= need))
        else:
            rows.append((what, "not measured", None))

    ratio("ft-default-2", 4, "classify 2 threads >= 4x fastText default (2 processes)")
    ratio("ft-default-2", 4, "the same, Tenor reading the archive uncompressed, as fastText reads "
          "uncompressed text (variant)", "tenor-plain-2")
    ratio("ft-ng2-2", 10, "classify 2 threads >= 10x fastText -wordNgrams 2 (2 processes)")
    ratio("sklearn-2", 10, "classify 2 threads >= 10x scikit-learn (2 processes)")
    ratio("zstd-1", 0.25, "classify 2 threads >= 1/4 of zstd -dc")
    if t2 and "speedup" in t2:
        rows.append(("1 -> 2 threads speedup >= 1.8x", "%.2fx" % t2["speedup"], t2["speedup"] >= 1.8))
    return rows


def rss_rows(results, runs, info):
    rows = []
    peak = max((results[c]["rss_mb"] for c in ("tenor-1", "tenor-2") if c in results), default=None)
    if peak is not None:
        rows.append(("peak RSS <= 150 MB", "%.0f MB" % peak, peak <= 150))
    sl = [r for r in runs.get("tenor-2-slice", []) if r["ok"]]
    if sl and "tenor-2" in results:
        small = max(r["rss_kb"] for r in sl) / 1024
        big = results["tenor-2"]["rss_mb"]
        rows.append(("peak RSS does not grow with BENCH_MB",
                     "%.0f MB on %.0f MB, %.0f MB on %.0f MB (2 threads)"
                     % (small, info["slice"]["bytes"] / MB, big, info["archive"]["bytes"] / MB),
                     big <= small * 1.10 + 4))
    return rows


def machine():
    cpu = ""
    for line in sh("lscpu").splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = "%.0f GiB" % (kb / 2 ** 20)
    except (OSError, ValueError, IndexError):
        pass
    osname = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "%s, %s cores, %s RAM, %s, Linux %s" % (cpu or platform.processor(), os.cpu_count(),
                                                  mem, osname, platform.release())


def dpkg_version(pkg):
    return sh("dpkg-query -W -f='${Version}' %s 2>/dev/null" % pkg) or "not installed"


def versions(pysk, run_dir):
    try:
        with open(os.path.join(run_dir, "git.txt")) as f:
            rev = f.read().strip()      # recorded by run.sh when the run began
    except OSError:
        rev = ""
    v = [("Tenor", (sh("bin/classify --version") or "?") + (" (git %s)" % rev if rev else "")),
         ("compiler", (sh("${CC:-cc} --version").splitlines() or ["?"])[0] + ", -O2 (Makefile default)"),
         ("zstd", (sh("zstd --version").strip("* ") or "?") + "; libzstd " + dpkg_version("libzstd1")),
         ("fastText", dpkg_version("fasttext") + " (Debian package)")]
    if pysk:
        v.append(("scikit-learn", sh("%s -c 'import sklearn, scipy, numpy, sys; print("
                                     "\"scikit-learn\", sklearn.__version__, \"scipy\", "
                                     "scipy.__version__, \"numpy\", numpy.__version__, "
                                     "\"python\", sys.version.split()[0])'" % pysk) or "?"))
    else:
        v.append(("scikit-learn", "not installed"))
    v.append(("gnuplot", sh("gnuplot --version") or "not installed"))
    return v


def plot(results, info, out_png, run_dir):
    if not shutil.which("gnuplot"):
        return "gnuplot is not installed (gnuplot-nox): no plot"
    dat = os.path.join(run_dir, "plot.dat")
    tools = []
    for cfg, tool, *_ in CONFIGS:
        if cfg in results and tool not in tools:
            tools.append(tool)
    with open(dat, "w") as f:
        for tool in tools:
            vals = []
            for th in (1, 2):
                r = next((x for x in results.values() if x["tool"] == tool and x["threads"] == th), None)
                vals.append("%.3f" % r["mbps"] if r else "-")
            label = tool + (" *" if any(x["tool"] == tool and x["extrapolated"]
                                        for x in results.values()) else "")
            f.write('"%s" %s %s\n' % (label, vals[0], vals[1]))
    ymax = 10 ** math.ceil(math.log10(max(r["mbps"] for r in results.values()) * 2))
    xlabel = ("* extrapolated to the whole archive from its first %.0f MB"
              % (info["slice"]["bytes"] / MB) if any(r["extrapolated"] for r in results.values()) else "")
    title = "make bench: %.0f MB JSONL archive, %s" % (info["archive"]["bytes"] / MB,
                                                         "%d cores" % os.cpu_count())
    gp = """
set terminal pngcairo size 1000,560 font "DejaVu Sans,10"
set output '%s'
set datafile missing '-'
set title "%s" noenhanced
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 1
set logscale y
set yrange [1:%g]
set ylabel "MB/s of uncompressed JSONL (log scale)"
set grid ytics
set xtics noenhanced
set key top left
set xlabel "%s" noenhanced
plot '%s' using 2:xtic(1) title '1 thread' lc rgb '#4477aa', \\
     '' using 3 title '2 threads (fastText, scikit-learn: 2 processes)' lc rgb '#ee7733', \\
     '' using ($0-1.0/6):2:(sprintf('%%.1f',$2)) with labels offset 0,0.7 notitle, \\
     '' using ($0+1.0/6):3:(sprintf('%%.1f',$3)) with labels offset 0,0.7 notitle
""" % (out_png, title, ymax, xlabel, dat)
    r = subprocess.run(["gnuplot"], input=gp, text=True, stderr=subprocess.PIPE)
    if r.returncode != 0:
        return "gnuplot failed: " + r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "gnuplot failed"
    return None


TRAIN_MARK = "<!-- make bench-train: written by bench/train.sh -->"


def write_results(out_dir, bench_part=None, train_part=None):
    """Rewrite OUT/results.md, replacing the given part and keeping the other."""
    path = os.path.join(out_dir, "results.md")
    old = ""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        pass
    old_bench, _, old_train = old.partition(TRAIN_MARK)
    if bench_part is None:
        bench_part = old_bench.rstrip("\n") + "\n" if old_bench.strip() else \
            "# make bench results\n\nNo make bench run yet.\n"
    if train_part is None:
        train_part = old_train.strip("\n") + "\n" if old_train.strip() else ""
    text = bench_part.rstrip("\n") + "\n"
    if train_part:
        text += "\n" + TRAIN_MARK + "\n" + train_part
    os.makedirs(out_dir, exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def read_train_runs(path):
    rows = {}
    with open(path) as f:
        for line in f:
            tool, n, wall, rss, cpu, status = line.rstrip("\n").split("\t")
            rows[(tool, int(n))] = {"wall": float(wall) if wall else None,
                                    "rss_mb": int(rss) / 1024 if rss else None,
                                    "cpu": float(cpu) if cpu else None, "status": status}
    return rows


def train_report(args):
    runs = read_train_runs(os.path.join(args.run, "runs.tsv"))
    sizes = sorted({n for _, n in runs})
    with open(os.path.join(args.run, "notes.txt")) as f:
        notes = [n.strip() for n in f if n.strip()]
    commands = []
    with open(os.path.join(args.run, "commands.tsv")) as f:
        for line in f:
            tool, n, cmd = line.rstrip("\n").split("\t", 2)
            commands.append((tool, n, cmd))

    def mb(n):
        try:
            return os.path.getsize(os.path.join(args.train, "train-%d.jsonl" % n)) / MB
        except OSError:
            return 0.0

    try:
        with open(os.path.join(args.run, "match.txt")) as f:
            match = f.read().strip()
    except OSError:
        match = ""
    same = " " + match if match else ""
    tools = [("tenor-default", "Tenor bin/train, its defaults, all cores"),
             ("tenor-libsvm", "Tenor bin/train%s (libsvm), all cores" % same),
             ("tenor-liblinear", "Tenor bin/train --solver liblinear%s, all cores" % same),
             ("liblinear", "liblinear-train (-s 1, C = 1), 1 core"),
             ("libsvm", "svm-train -t 0 -c 1, 1 core")]
    head = "| trainer | " + " | ".join("{:,} docs ({:.0f} MB)".format(n, mb(n)) for n in sizes) + " |"
    lines = [head, "|---|" + "--:|" * len(sizes)]
    for tool, label in tools:
        cells = []
        for n in sizes:
            r = runs.get((tool, n))
            if r is None:
                cells.append("-")
            elif r["status"] == "ok":
                cells.append("%.1f s (CPU %.1f s, %.0f MB)" % (r["wall"], r["cpu"], r["rss_mb"]))
            elif r["status"] == "timeout":
                cells.append("> %d s (stopped)" % args.timeout)
            elif r["status"] == "skipped":
                cells.append("not run (> {:,} docs)".format(args.libsvm_max))
            else:
                cells.append("failed")
        if any(c != "-" for c in cells):
            lines.append("| %s | %s |" % (label, " | ".join(cells)))
    train_tbl = "\n".join(lines)

    vec_lines = ["| documents | non-zeros | features kept | vectorise s | write .svm s |",
                 "|--:|--:|--:|--:|--:|"]
    for n in sizes:
        try:
            with open(os.path.join(args.train, "vec-%d.json" % n)) as f:
                v = json.load(f)
        except (OSError, ValueError):
            continue
        vec_lines.append("| {:,} | {:,} | {:,} | {:.1f} | {:.1f} |".format(
            n, v["nnz"], v["features"], v["vectorize_s"], v["write_s"]))
    vec_tbl = "\n".join(vec_lines) if len(vec_lines) > 2 else ""

    feat_lines = ["| feature settings | documents | MB of text | features thread-s | MB/s | docs/s |",
                  "|---|--:|--:|--:|--:|--:|"]
    for kind in ("default", "matched"):
        try:
            with open(os.path.join(args.run, "features-%s.model.json" % kind)) as f:
                fs = json.load(f).get("features", {})
            wn, cn = fs.get("word_ngrams", [0, 0]), fs.get("char_ngrams", [0, 0])
            desc = "%s: words %d-%d, chars %s, 2^%s" % (
                kind, wn[0], wn[1], "%d-%d" % tuple(cn) if cn and cn[1] else "off", fs.get("bits", "?"))
        except (OSError, ValueError, TypeError):
            desc = kind
        for n in sizes:
            try:
                with open(os.path.join(args.run, "features-%s-%d.manifest.json" % (kind, n))) as f:
                    m = json.load(f)
            except (OSError, ValueError):
                continue
            t = m.get("timings", {}).get("features") or 0.0
            tb = m.get("counts", {}).get("text_bytes", 0)
            docs = m.get("counts", {}).get("documents", 0)
            if t > 0:
                feat_lines.append("| {} | {:,} | {:.1f} | {:.2f} | {:.1f} | {:,.0f} |".format(
                    desc, docs, tb / MB, t, tb / MB / t, docs / t))
    feat_tbl = "\n".join(feat_lines) if len(feat_lines) > 2 else ""

    md = ["## Training (make bench-train)\n"]
    md.append("Training time of one head, `label` (grain, other, spam, ham), on labeled corpora of "
              "Reuters-21578 (grain split) and SpamAssassin: the 8,204 distinct documents, then "
              "copies with a seeded tenth of their words dropped, so that no two are the same "
              "(`bench/build_archive.py --training-sets`). One run each: the larger ones take minutes. "
              "Wall time, user + system CPU time and peak RSS under `/usr/bin/time`; runs are "
              "stopped after %d s.\n" % args.timeout)
    md.append(train_tbl + "\n")
    md.append("- The vectors have word 1-2 grams only and the solvers weigh every class the same, so "
              "Tenor's comparable rows are told the same%s; the first row is Tenor as a user runs it "
              "(its default features and class weights, libsvm)." % (" (`%s`)" % match if match else ""))
    md.append("- Tenor's times include reading the JSONL and computing its features; liblinear's and "
              "svm-train's include parsing the libsvm-format vectors but not making them.")
    md.append("- Tenor cannot export its vectors, so liblinear and svm-train get the closest "
              "equivalent from `bench/peers/bench_svmlight.py` (scikit-learn with Tenor's feature "
              "settings: word 1-2 grams hashed into 2^20 buckets, min-df 2, (1 + ln tf) * idf, unit "
              "length; murmurhash3 instead of xxh3, so not the same buckets).")
    md.append("- svm-train and Tenor's libsvm solver grow about quadratically with the corpus: they "
              "run only on corpora of up to {:,} documents (BENCH_TRAIN_LIBSVM_MAX).\n".format(
                  args.libsvm_max))
    if vec_tbl:
        md.append("Making the vectors (Python, scikit-learn; not in the times above):\n")
        md.append(vec_tbl + "\n")
    if feat_tbl:
        md.append("Tenor's feature extraction rate: the \"features\" stage of `bin/classify -j 1` on "
                  "each corpus (JSON parsing, tokenising, hashing, TF-IDF; thread-seconds from "
                  "OUT/manifest.json), with a model of Tenor's default feature settings and one of the "
                  "vectors' settings:\n")
        md.append(feat_tbl + "\n")
    if notes:
        md.append("Notes:\n")
        md.extend("- %s" % n for n in notes)
        md.append("")
    md.append("Machine: %s. Tenor: %s; liblinear-tools %s; libsvm-tools %s. `make bench-train` "
              "took %d s.\n" % (machine(), sh("bin/train --version") or "?",
                                  dpkg_version("liblinear-tools"), dpkg_version("libsvm-tools"),
                                  args.elapsed))
    md.append("Commands (`W` = `%s`, `R` = `%s`):\n" % (args.train, args.run))
    md.append("```")
    md.append("python3 bench/build_archive.py --out W --training-sets %s"
              % ",".join(str(n) for n in sizes))
    md.append("python3 bench/peers/bench_svmlight.py W/train-N.jsonl label W/vec-N.svm")
    seen = set()
    for tool, n, cmd in commands:
        generic = cmd.replace(args.run, "R").replace(args.train, "W")
        if n != "0":
            generic = generic.replace("-%s." % n, "-N.").replace("-%s " % n, "-N ").rstrip()
        if n != "0" and generic.endswith("-%s" % n):
            generic = generic[: -len(n)] + "N"
        if generic not in seen:
            seen.add(generic)
            md.append(generic)
    md.append("```")
    write_results(args.out, train_part="\n".join(md) + "\n")

    print(train_tbl)
    if feat_tbl:
        print()
        print("Tenor feature extraction (bin/classify -j 1, features stage):")
        print(feat_tbl)
    for n in notes:
        print("note: " + n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive")
    ap.add_argument("--model", default="models/news")
    ap.add_argument("--train")
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--sklearn-python", default="")
    ap.add_argument("--timeout", type=int, default=0)
    ap.add_argument("--libsvm-max", type=int, default=0)
    args = ap.parse_args()
    if bool(args.archive) == bool(args.train):
        ap.error("give one of --archive (make bench) and --train (make bench-train)")
    if args.train:
        train_report(args)
        return

    with open(os.path.join(args.archive, "info.json")) as f:
        info = json.load(f)
    runs = read_runs(os.path.join(args.run, "runs.tsv"))
    results = measure(runs, info)
    if "tenor-2" not in results:
        sys.exit("bench_report.py: no successful Tenor run to report")
    notes = []
    with open(os.path.join(args.run, "notes.txt")) as f:
        notes = [n.strip() for n in f if n.strip()]
    commands = []
    with open(os.path.join(args.run, "commands.tsv")) as f:
        for line in f:
            name, cmd = line.rstrip("\n").split("\t", 1)
            commands.append((name, cmd))

    tbl = table(results, info)
    arch, slc = info["archive"], info["slice"]
    model_desc = ""
    try:
        with open(os.path.join(args.model, "manifest.json")) as f:
            mm = json.load(f)
        fs = mm.get("features", {})
        wn, cn = fs.get("word_ngrams", [0, 0]), fs.get("char_ngrams", [0, 0])
        h0 = (mm.get("heads") or [{}])[0]
        model_desc = ("; word %d-%d grams, character n-grams %s, 2^%s buckets, "
                      "%s solver, %s loss, class weights %s" % (
                          wn[0], wn[1], "%d-%d" % tuple(cn) if cn and cn[1] else "off",
                          fs.get("bits", "?"), h0.get("solver", "?"), h0.get("loss", "hinge"),
                          h0.get("class_weight", "?")))
    except (OSError, ValueError, TypeError, IndexError):
        pass
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "throughput.png")
    plot_note = plot(results, info, png, args.run)
    if plot_note:
        notes.append(plot_note)

    busiest = max(results.values(), key=lambda r: r["others"])
    if busiest["others"] > 0.05:
        notes.append("the machine was not idle: other processes used %.0f%% of the cores during the "
                     "median %s run (%d thread%s); rerun on an idle machine for steady figures"
                     % (100 * busiest["others"], busiest["tool"], busiest["threads"],
                        "s" if busiest["threads"] > 1 else ""))
    checks = targets(results) + rss_rows(results, runs, info)
    mark = {True: "yes", False: "**no**", None: "-"}

    m2 = manifest(args.run, "tenor-2", results["tenor-2"]["median_run"]) or {}
    acc = []
    for head, ev in sorted((m2.get("evaluation") or {}).items()):
        acc.append("%s %.4f" % (head, ev.get("accuracy", 0.0)))

    md = []
    md.append("# make bench results\n")
    md.append("Throughput of `bin/classify` against its peers on one archive, on one machine, in one "
              "invocation of `make bench` (`bench/run.sh`; how it works: `bench/README.md`). "
              "Each figure is the median of %d runs; MB/s is 10^6 bytes of the *uncompressed* JSONL "
              "archive per second of wall time, for every tool, and docs/s counts the archive's "
              "documents.\n" % min(r["n"] for r in results.values()))
    md.append("Archive: %s documents, %.1f MB JSONL (`archive.jsonl.zst`: %.1f MB), the %s distinct "
              "Reuters-21578 (grain split) and SpamAssassin texts (%.1f MB) cycled %.1f times with unique "
              "ids. Model: `%s` as shipped, its two heads (topic, tone)%s. The peers are trained "
              "on the archive's labeled part (%s train-split documents) and predict one combined "
              "class.\n" % (
                  "{:,}".format(arch["documents"]), arch["bytes"] / MB, arch["zst_bytes"] / MB,
                  "{:,}".format(info["distinct_documents"]), info["distinct_text_bytes"] / MB, info["cycles"],
                  args.model, model_desc, "{:,}".format(info["labeled"]["documents"])))
    md.append("## Throughput\n")
    md.append(tbl + "\n")
    md.append("CPU s: user + system seconds of the tool's processes (median run; extrapolated like the "
              "wall time on slice rows). Peak RSS: the largest of the runs, summed over the processes. "
              "Others' CPU: the share of the machine's %d cores that other processes used while the "
              "tool ran (median, from /proc/stat); where it is above a few per cent, wall times, MB/s "
              "and speedups are pessimistic and CPU seconds are the steadier figure.\n" % NCPU)
    md.append("![MB/s per tool and thread count](throughput.png)\n")
    md.append("## Targets\n")
    md.append("Ratios of MB/s (wall time, the targets' measure), and the same ratio computed from "
              "CPU seconds, which other load on the machine disturbs less.\n")
    md.append("| target | measured | met |\n|---|---|---|")
    for what, val, ok in checks:
        md.append("| %s | %s | %s |" % (what, val, mark[ok]))
    md.append("")
    md.append("## Where Tenor's time goes\n")
    md.append("From `OUT/manifest.json` \"timings\" of the median run: thread-seconds per stage "
              "(read+decompress on the reading thread, features and predict on the workers, write: "
              "records to zstd shards), and the share of their sum.\n")
    md.append(split_table(results, args.run) + "\n")
    if acc:
        md.append("Accuracy on the archive (a sanity check, not a quality figure: the archive repeats "
                  "the training documents): %s.\n" % ", ".join(acc))
    md.append("## How the peers are run\n")
    md.append("- fastText and scikit-learn read the archive's texts pre-normalised outside the timing "
              "(one document a line, case-folded tokens of letters and digits joined by spaces: "
              "`text-all.txt`), so their times exclude the JSON parsing, decompression and "
              "tokenisation that Tenor's include. With 2 threads they run as 2 processes on the two "
              "halves (`text-half-1.txt`, `text-half-2.txt`); their peak RSS is the sum of both.")
    md.append("- They predict one combined class (`reuters.grain`, ..., `spamassassin.ham`) in one "
              "pass; Tenor computes its two heads.")
    md.append("- Output: Tenor writes zstd shards with a manifest; the peers write one label a line "
              "to /dev/null.")
    if any(r["extrapolated"] for r in results.values()):
        md.append("- fastText -wordNgrams 2 and scikit-learn run on the archive's first %.0f MB "
                  "(`slice-*.txt`, %s documents) to keep `make bench` under 15 minutes; the table "
                  "extrapolates to the whole archive as T = L + (t - L) * %.2f, with t the median on "
                  "the slice and L the shortest time of the same command on an empty input "
                  "(interpreter start-up and model loading, paid once). Their peak RSS is the one "
                  "measured on the slice (neither holds more than a batch of input)." % (
                      slc["bytes"] / MB, "{:,}".format(slc["documents"]), arch["bytes"] / slc["bytes"]))
    md.append("- zstd -dc is the floor: the time to decompress the archive and nothing else.\n")
    if notes:
        md.append("## Notes\n")
        md.extend("- %s" % n for n in notes)
        md.append("")
    md.append("## Machine and versions\n")
    md.append("- machine: %s" % machine())
    for name, v in versions(args.sklearn_python, args.run):
        md.append("- %s: %s" % (name, v))
    md.append("- `make bench` took %d s in all (fetching, building and training included when they "
              "were not cached in bench/work/)\n" % args.elapsed)
    md.append("## Commands\n")
    md.append("Archive and models (cached in `bench/work/`; `A` = `%s`):\n" % args.archive)
    md.append("```")
    md.append("python3 bench/build_archive.py --out A --mb %d --slice-mb %d"
              % (info["stamp"]["mb"], info["stamp"]["slice_mb"]))
    md.append("make models   # %s" % args.model)
    md.append("fasttext supervised -input A/ft-train.txt -output A/peers/ft-default")
    md.append("fasttext supervised -input A/ft-train.txt -output A/peers/ft-ng2 -wordNgrams 2")
    md.append("python3 bench/peers/bench_sklearn.py train A/ft-train.txt A/peers/sklearn.pkl")
    md.append("```\n")
    md.append("Timed (each under `/usr/bin/time -f %M` for the peak RSS; `&`: processes run at once):\n")
    md.append("```")
    for name, cmd in commands:
        md.append("%-14s %s" % (name, cmd.replace(args.archive, "A").replace(args.run, "R")))
    md.append("```")
    write_results(args.out, bench_part="\n".join(md) + "\n")

    print(tbl)
    print()
    for what, val, ok in checks:
        print("%-64s %-60s %s" % (what, val, mark[ok]))
    if notes:
        print()
        for n in notes:
            print("note: " + n)


if __name__ == "__main__":
    main()
