#!/usr/bin/env python3
"""Build data/sample/, the small archive `make run` classifies.

Takes passages of the news corpus's held-out test split (never its training
split) and writes them in two formats:
    data/sample/news.jsonl        120 passages as JSONL, labels kept, so that
                                  classify also reports accuracy against them
    data/sample/articles.tar.zst  60 further passages as plain-text files in a
                                  zstd-compressed tar (one document per member)
Deterministic: same input, same bytes (fixed member order, times and owners).
"""
import io
import json
import os
import subprocess
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with open(os.path.join(HERE, "..", "news", "test.jsonl"), encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    with open(os.path.join(HERE, "news.jsonl"), "w", encoding="utf-8") as out:
        for d in docs[:120]:
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for k, d in enumerate(docs[120:180]):
            data = (d["text"] + "\n").encode("utf-8")
            info = tarfile.TarInfo("articles/%03d-%s.txt" % (k, d["id"]))
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    comp = subprocess.run(["zstd", "-q", "-19", "-c"], input=buf.getvalue(),
                          stdout=subprocess.PIPE, check=True).stdout
    with open(os.path.join(HERE, "articles.tar.zst"), "wb") as out:
        out.write(comp)


if __name__ == "__main__":
    main()
