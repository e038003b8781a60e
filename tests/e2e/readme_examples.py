#!/usr/bin/env python3
"""Run the command examples of a README and check what they print.

An example is a line that starts with "$ " inside a fenced code block (```).
The lines after it, up to the next "$ " line or the end of the block, are what
it must print on stdout, line for line ("..." stands for any number of lines);
with none, only its exit status is checked.  A line ending in a backslash
continues on the next.  Every example must exit 0 (a pipeline: its last
command).  Lines without "$ " (synopses like `classify -m MODEL ... INPUT...`)
are not run.

The examples run one after another with bash in one fresh folder (WORK), so an
example may use what an earlier one wrote, the way a reader would run them from
the top of the tree after `make install`: WORK holds links to the tree's bin/
(TENOR_BIN), data/ and tests/, and models/news; models/ itself is WORK's own,
so that `train -o models/mine` writes there.  PATH starts with TENOR_BIN (so
`tenor` is the build's) and TENOR_MODELS is WORK/models (so `-m news` finds the
default model as an installed one would be found).

Usage: readme_examples.py README ROOT BIN WORK
Prints one line per example ("ok N line L: CMD" or "not ok ...") and the
number run; exits 1 if any failed or none was found.
"""
import os
import subprocess
import sys


def examples(path):
    """(line number, command, expected lines or None) of every example."""
    out, fence, cur = [], False, None
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            fence = not fence
            cur = None
        elif fence and line.startswith("$ "):
            start, cmd = i + 1, line[2:]
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1] + "\n" + lines[i]
            cur = [start, cmd, []]
            out.append(cur)
        elif fence and cur is not None:
            cur[2].append(line)
        i += 1
    return [(n, c, e or None) for n, c, e in out]


def matches(expected, got):
    """True if got (lines) matches expected, where "..." is any lines."""
    if not expected:
        return not got
    if expected[0] == "...":
        return any(matches(expected[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and matches(expected[1:], got[1:])


def main():
    readme, root, bindir, work = sys.argv[1:5]
    os.makedirs(os.path.join(work, "models"), exist_ok=True)
    for name, target in (("bin", bindir), ("data", os.path.join(root, "data")),
                         ("tests", os.path.join(root, "tests")),
                         ("models/news", os.path.join(root, "models", "news"))):
        link = os.path.join(work, name)
        if not os.path.lexists(link):
            os.symlink(target, link)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
               TENOR_MODELS=os.path.join(work, "models"))
    failed = 0
    found = examples(readme)
    for k, (line, cmd, expected) in enumerate(found, 1):
        p = subprocess.run(["bash", "-c", cmd], cwd=work, env=env, capture_output=True,
                           text=True, timeout=600)
        got = p.stdout.split("\n")
        if got and got[-1] == "":
            got.pop()
        why = None
        if p.returncode != 0:
            why = "exit status %d" % p.returncode
        elif expected is not None and not matches(expected, got):
            why = "printed something else"
        print("%s %d line %d: %s" % ("not ok" if why else "ok", k, line, cmd.replace("\n", " ")))
        if why:
            failed += 1
            print("  %s" % why)
            if expected is not None:
                print("  expected:\n" + "".join("    %s\n" % l for l in expected), end="")
            print("  stdout:\n" + "".join("    %s\n" % l for l in got[:20]), end="")
            print("  stderr:\n" + "".join("    %s\n" % l for l in p.stderr.split("\n")[-10:]), end="")
    print("%d examples, %d failed" % (len(found), failed))
    return 1 if failed or not found else 0


if __name__ == "__main__":
    sys.exit(main())
