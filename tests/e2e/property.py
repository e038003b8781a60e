#!/usr/bin/env python3
"""property.py - random mixes of good and damaged documents in every container.

  property.py gen SEED DIR     writes inputs under DIR/in and DIR/expect.json
  property.py check DIR STATUS checks DIR/records.jsonl (classify -o -) and
                               classify's exit STATUS against DIR/expect.json

Containers: JSONL and text files, a folder, tar, zip; compression none, gzip,
zstd (the zstd tool), xz, bzip2.  Damage: bad JSON, invalid UTF-8, NUL bytes,
no text, lines over --max-doc-bytes, text files with NUL bytes; a truncated
compressed stream, junk after it, a flipped gzip CRC, a zip member's bad CRC,
a tar member's damaged header.  (7z is left out: no Debian package that
make deps installs writes it.)

The expected count is independent of Tenor: a compressed stream is decoded
by Python's own zlib, bz2 and lzma modules (and the zstd tool), fed
incrementally so that what decodes before the damage counts; a tar by
tarfile with ignore_zeros (which, like any tar reader, skips a damaged
header); a zip member's content is known to the generator.  Every complete
non-blank line of recovered JSONL data is one document, every text file or
member one; damage in a stream adds one error record in place of the rest.
Checked: records == expected, ids unique, every recovered good document has a
result under its id, exit code 3 exactly when some record is an error.

Standard library only; deterministic for a seed.
"""
import bz2
import gzip
import io
import json
import lzma
import os
import random
import subprocess
import sys
import tarfile
import zipfile
import zlib

MAX_DOC = 4096
WORDS = ("trade deal tariff envoys treaty troops border budget election talks minister "
         "summit exports markets attack coast ceasefire sanctions vote reform").split()


def text(rng, n=None):
    return " ".join(rng.choice(WORDS) for _ in range(n or rng.randint(3, 20)))


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seed = seed
        self.n = 0
        self.good = []  # ids of good JSONL documents, in order of writing

    def new_id(self):
        self.n += 1
        return "s%d-%d" % (self.seed, self.n)

    def jsonl(self):
        """Bytes of a JSONL file: good lines, damaged lines, blank lines."""
        rng = self.rng
        out = []
        for _ in range(rng.randint(1, 30)):
            k = rng.random()
            if k < 0.70:
                i = self.new_id()
                out.append(json.dumps({"id": i, "text": text(rng)}).encode())
            elif k < 0.74:
                out.append(b'{"id": "broken", "text": ')
            elif k < 0.78:
                out.append(b'{"text": "caf\xc3 \xff invalid"}')
            elif k < 0.82:
                out.append(b'{"text": "nul \x00 byte"}')
            elif k < 0.86:
                out.append(json.dumps({"id": self.new_id(), "body": "no text"}).encode())
            elif k < 0.89:
                out.append(json.dumps({"id": self.new_id(), "text": "long " * (MAX_DOC // 4)}).encode())
            elif k < 0.94:
                out.append(rng.choice([b"", b"   ", b"\t"]))
            else:
                out.append(json.dumps({"text": text(rng)}).encode())  # fallback id FILE:LINE
        return b"\n".join(out) + b"\n"

    def textdoc(self):
        rng = self.rng
        k = rng.random()
        if k < 0.85:
            return text(rng, 30).encode() + b"\n"
        if k < 0.93:
            return b"text with a \x00 NUL byte"
        return b"invalid \xff\xfe utf-8"


def compress(data, how):
    if how == "gz":
        return gzip.compress(data, mtime=0)
    if how == "bz2":
        return bz2.compress(data)
    if how == "xz":
        return lzma.compress(data)
    if how == "zst":
        return subprocess.run(["zstd", "-q", "-c", "--check"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    return data


def decode(data, how):
    """(recovered bytes, damaged?) as the format's own decoder sees them."""
    if how == "zst":
        p = subprocess.run(["zstd", "-q", "-d", "-c"], input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        return p.stdout, p.returncode != 0
    out = bytearray()
    if how == "gz":
        d = zlib.decompressobj(31)
    elif how == "bz2":
        d = bz2.BZ2Decompressor()
    else:
        d = lzma.LZMADecompressor()
    rest = data
    while True:
        try:
            # One byte at a time near the end, so that a checksum failure
            # loses nothing decoded before it.
            for i in range(0, len(rest), 64):
                chunk = rest[i:i + 64]
                if len(rest) - i <= 64:
                    for b in chunk:
                        out += d.decompress(bytes([b]))
                else:
                    out += d.decompress(chunk)
        except (zlib.error, OSError, EOFError, lzma.LZMAError):
            return bytes(out), True
        tail = d.unused_data
        if how == "gz" and hasattr(d, "eof") and not d.eof:
            return bytes(out), True
        if how != "gz" and not d.eof:
            return bytes(out), True
        if not tail:
            return bytes(out), False
        # Another stream (gzip, bzip2 members; xz streams), or junk.
        if how == "gz" and tail[:2] == b"\x1f\x8b":
            d = zlib.decompressobj(31)
        elif how == "bz2" and tail[:3] == b"BZh":
            d = bz2.BZ2Decompressor()
        elif how == "xz" and tail[:6] == b"\xfd7zXZ\x00":
            d = lzma.LZMADecompressor()
        elif how in ("gz", "bz2") and not tail.strip(b"\x00"):
            return bytes(out), False
        else:
            return bytes(out), True
        rest = tail


def line_docs(data):
    """Documents in JSONL data: complete lines that are not blank."""
    lines = data.split(b"\n")[:-1]  # the last piece has no newline
    return [l for l in lines if l.strip(b" \t")]


def good_ids(lines):
    ids = []
    for l in lines:
        try:
            o = json.loads(l)
        except ValueError:
            continue
        if isinstance(o, dict) and isinstance(o.get("text"), str) and isinstance(o.get("id"), str) \
                and len(l) <= MAX_DOC and "\x00" not in o["text"]:
            ids.append(o["id"])
    return ids


def damage_stream(rng, blob, how, truncate=True):
    """A damaged copy of a compressed blob (or the blob), and what was done."""
    k = rng.random()
    if how == "none" or k < 0.6:
        return blob, None
    if k < 0.75 and truncate:
        return blob[:rng.randint(len(blob) // 4, len(blob) - 1)], "truncated"
    if k < 0.88:
        return blob + b"junk after the end", "junk"
    if how == "gz":
        b = bytearray(blob)
        b[-6] ^= 0x5a
        return bytes(b), "crc"
    if not truncate:
        return blob + b"\x01more junk", "junk"
    return blob[:len(blob) - 3], "truncated"


def gen(seed, root):
    g = Gen(seed)
    rng = g.rng
    ind = os.path.join(root, "in")
    os.makedirs(ind)
    expect = {"records": 0, "good": [], "damaged": []}
    exts = {"none": "", "gz": ".gz", "zst": ".zst", "xz": ".xz", "bz2": ".bz2"}
    inputs = []

    def add_stream(path, data, is_jsonl, how):
        blob = compress(data, how)
        blob, what = damage_stream(rng, blob, how)
        with open(path, "wb") as f:
            f.write(blob)
        if how == "none":
            rec, bad = blob, False
        else:
            rec, bad = decode(blob, how)
        if is_jsonl:
            docs = line_docs(rec)
            expect["records"] += len(docs) + (1 if bad else 0)
            expect["good"] += good_ids(docs)
        else:
            expect["records"] += 1
        if what:
            expect["damaged"].append("%s: %s" % (os.path.basename(path), what))

    for k in range(rng.randint(4, 8)):
        kind = rng.choice(["jsonl", "txt", "folder", "tar", "zip"])
        how = rng.choice(list(exts))
        name = "f%d" % k
        if kind == "jsonl":
            p = os.path.join(ind, name + ".jsonl" + exts[how])
            add_stream(p, g.jsonl(), True, how)
        elif kind == "txt":
            p = os.path.join(ind, name + ".txt" + exts[how])
            add_stream(p, g.textdoc(), False, how)
        elif kind == "folder":
            p = os.path.join(ind, name)
            os.makedirs(os.path.join(p, "sub"))
            for j in range(rng.randint(1, 4)):
                sub = rng.choice(["", "sub"])
                h = rng.choice(list(exts))
                if rng.random() < 0.5:
                    add_stream(os.path.join(p, sub, "d%d.jsonl%s" % (j, exts[h])), g.jsonl(), True, h)
                else:
                    add_stream(os.path.join(p, sub, "d%d.txt%s" % (j, exts[h])), g.textdoc(), False, h)
        elif kind == "tar":
            members = []
            for j in range(rng.randint(1, 5)):
                if rng.random() < 0.5:
                    members.append(("m%d.jsonl" % j, g.jsonl()))
                else:
                    members.append(("m%d.txt" % j, g.textdoc()))
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
                for mname, data in members:
                    ti = tarfile.TarInfo(mname)
                    ti.size = len(data)
                    ti.mtime = 0
                    t.addfile(ti, io.BytesIO(data))
            raw = bytearray(buf.getvalue())
            hdr_damage = len(members) > 1 and rng.random() < 0.3
            if hdr_damage:
                # Damage the checksum of a member header after the first.
                offs, off = [], 0
                for mname, data in members:
                    offs.append(off)
                    off += 512 + (len(data) + 511) // 512 * 512
                at = offs[rng.randint(1, len(members) - 1)]
                raw[at + 148:at + 154] = b"777777"
            raw = bytes(raw)
            p = os.path.join(ind, name + ".tar" + exts[how])
            # Not truncated: where a cut inside a member leaves a tar reader
            # is the reader's own business, so no independent count exists.
            blob, what = damage_stream(rng, compress(raw, how), how, truncate=False)
            with open(p, "wb") as f:
                f.write(blob)
            rec, bad = (blob, False) if how == "none" else decode(blob, how)
            # What a tar reader recovers, skipping a damaged header.
            n = 0
            with tarfile.open(fileobj=io.BytesIO(rec), mode="r:", ignore_zeros=True) as t:
                for m in t:
                    data = t.extractfile(m).read()
                    if m.name.endswith(".jsonl"):
                        docs = line_docs(data)
                        n += len(docs)
                        expect["good"] += good_ids(docs)
                    else:
                        n += 1
            expect["records"] += n + (1 if hdr_damage else 0) + (1 if bad else 0)
            if what or hdr_damage:
                expect["damaged"].append("%s: %s%s" % (os.path.basename(p), what or "",
                                                          " header" if hdr_damage else ""))
        else:  # zip, deflated or stored; maybe one member with a bad CRC
            p = os.path.join(ind, name + ".zip")
            members = []
            for j in range(rng.randint(1, 5)):
                if rng.random() < 0.5:
                    members.append(("m%d.jsonl" % j, g.jsonl()))
                else:
                    members.append(("m%d.txt" % j, g.textdoc()))
            stored = rng.random() < 0.5
            with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
                for mname, data in members:
                    z.writestr(zipfile.ZipInfo(mname, (1980, 1, 1, 0, 0, 0)), data,
                               zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            bad_member = None
            if rng.random() < 0.3:
                # Flip the stored CRC of one member in its local header and
                # in the central directory.
                bad_member = rng.randrange(len(members))
                with zipfile.ZipFile(p) as z:
                    info = z.infolist()[bad_member]
                blob = bytearray(open(p, "rb").read())
                crc = info.CRC.to_bytes(4, "little")
                new = (info.CRC ^ 0x1).to_bytes(4, "little")
                blob[info.header_offset + 14:info.header_offset + 18] = new
                cd = blob.find(b"PK\x01\x02")
                for _ in range(len(members)):
                    fname_len = int.from_bytes(blob[cd + 28:cd + 30], "little")
                    extra = int.from_bytes(blob[cd + 30:cd + 32], "little")
                    comment = int.from_bytes(blob[cd + 32:cd + 34], "little")
                    if blob[cd + 46:cd + 46 + fname_len] == info.filename.encode():
                        assert blob[cd + 16:cd + 20] == crc
                        blob[cd + 16:cd + 20] = new
                    cd += 46 + fname_len + extra + comment
                open(p, "wb").write(bytes(blob))
                expect["damaged"].append("%s: crc of %s" % (os.path.basename(p), members[bad_member][0]))
            for j, (mname, data) in enumerate(members):
                if mname.endswith(".jsonl"):
                    docs = line_docs(data)
                    expect["records"] += len(docs) + (1 if j == bad_member else 0)
                    expect["good"] += good_ids(docs)
                else:
                    expect["records"] += 1
    with open(os.path.join(root, "expect.json"), "w") as f:
        json.dump(expect, f)


def check(root, status):
    expect = json.load(open(os.path.join(root, "expect.json")))
    recs = [json.loads(l) for l in open(os.path.join(root, "records.jsonl"), "rb")]
    ids = [r["id"] for r in recs]
    errors = [r for r in recs if "error" in r]
    problems = []
    if len(recs) != expect["records"]:
        problems.append("%d records, expected %d" % (len(recs), expect["records"]))
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        problems.append("ids not unique: %s" % dup[:5])
    ok = {r["id"] for r in recs if "error" not in r}
    missing = [i for i in expect["good"] if i not in ok]
    if missing:
        problems.append("%d good documents without a result: %s" % (len(missing), missing[:5]))
    want = 3 if errors else 0
    if status != want:
        problems.append("exit %d with %d error records" % (status, len(errors)))
    if problems:
        print("damage: %s" % expect["damaged"], file=sys.stderr)
        for p in problems:
            print("property failed: " + p, file=sys.stderr)
        sys.exit(1)
    print("%d records (%d errors), %d good documents, damage: %s"
          % (len(recs), len(errors), len(expect["good"]), ", ".join(expect["damaged"]) or "none"))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), sys.argv[3])
    else:
        check(sys.argv[2], int(sys.argv[3]))
