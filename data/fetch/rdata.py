"""Read R data objects from an R package's lazy-load database, without R.

R packages with `LazyData: true` store their data sets in data/Rdata.rdb
(the objects, each compressed on its own) and data/Rdata.rdx (the index: a
gzip-compressed serialized list whose "variables" element maps each object's
name to its (offset, length) in the .rdb).  Both hold objects in R's
serialization format (R Internals, "Serialization Formats"): XDR (big-endian)
version 2 or 3.  This module decodes the subset that data sets use: NULL,
symbols, pairlists, logical, integer, double and character vectors, lists,
with their attributes; character NA is None.  Environments, closures,
bytecode and ALTREP objects raise ValueError.

    load_lazydata(data_dir) -> {name: value}

Values are Python lists (vectors, lists) or RObject(value, attributes) when
the object carries attributes (names, class, ...).
"""
import bz2
import gzip
import lzma
import os
import struct
import zlib

NILVALUE_SXP = 254
REFSXP = 255
SPECIAL_SXPS = {254: None, 253: "<globalenv>", 252: "<unbound>", 251: "<missing>",
                250: "<basenamespace>", 242: "<emptyenv>", 241: "<baseenv>"}


class RObject:
    def __init__(self, value, attributes):
        self.value = value
        self.attributes = attributes

    def __repr__(self):
        return "RObject(%r, %r)" % (self.value, self.attributes)


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.refs = []

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated R serialization at byte %d" % self.pos)
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def length(self):
        n = self.int()
        if n == -1:
            hi, lo = self.int(), self.int()
            n = (hi << 32) + lo
        return n

    def attributes(self, has_attr):
        if not has_attr:
            return None
        pl = self.item()
        out = {}
        for tag, val in pl or []:
            out[tag] = val
        return out

    def wrap(self, value, attrs):
        return RObject(value, attrs) if attrs else value

    def item(self):
        flags = self.int()
        t = flags & 0xFF
        levels = flags >> 12
        has_attr = bool(flags & (1 << 9))
        has_tag = bool(flags & (1 << 10))
        if t in SPECIAL_SXPS:
            return SPECIAL_SXPS[t]
        if t == REFSXP:
            idx = flags >> 8
            if idx == 0:
                idx = self.int()
            return self.refs[idx - 1]
        if t == 1:  # SYMSXP
            name = self.item()
            self.refs.append(name)
            return name
        if t in (2, 6, 239, 240):  # pairlist, language: a list of (tag, value)
            out = []
            while True:
                self.attributes(has_attr)  # a cell's attributes: not needed
                tag = self.item() if has_tag else None
                out.append((tag, self.item()))
                nxt = self.int()
                nt = nxt & 0xFF
                if nt == NILVALUE_SXP:
                    return out
                if nt not in (2, 6, 239, 240):
                    raise ValueError("pairlist ending in type %d" % nt)
                has_attr = bool(nxt & (1 << 9))
                has_tag = bool(nxt & (1 << 10))
        if t == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return None
            raw = self.take(n)
            if levels & (1 << 2):  # LATIN1
                return raw.decode("latin-1")
            return raw.decode("utf-8", errors="replace")
        if t in (10, 13):  # logical, integer
            n = self.length()
            vals = list(struct.unpack(">%di" % n, self.take(4 * n)))
            vals = [None if v == -2147483648 else v for v in vals]
            return self.wrap(vals, self.attributes(has_attr))
        if t == 14:  # double
            n = self.length()
            vals = list(struct.unpack(">%dd" % n, self.take(8 * n)))
            return self.wrap(vals, self.attributes(has_attr))
        if t == 16:  # character vector
            n = self.length()
            vals = [self.item() for _ in range(n)]
            return self.wrap(vals, self.attributes(has_attr))
        if t in (19, 20):  # list, expression
            n = self.length()
            vals = [self.item() for _ in range(n)]
            return self.wrap(vals, self.attributes(has_attr))
        if t == 24:  # raw
            n = self.length()
            return self.wrap(self.take(n), self.attributes(has_attr))
        raise ValueError("unsupported R object type %d at byte %d" % (t, self.pos))


def unserialize(data):
    """Decode one serialized R object (XDR format, "X\\n" header)."""
    if data[:2] != b"X\n":
        raise ValueError("not an XDR R serialization (header %r)" % data[:2])
    r = _Reader(data)
    r.pos = 2
    version = r.int()
    r.int()  # writer's R version
    r.int()  # minimal reader version
    if version == 3:
        r.take(r.int())  # native encoding name
    elif version != 2:
        raise ValueError("R serialization version %d" % version)
    return r.item()


def _decompress_chunk(blob):
    """A lazy-load chunk: 4-byte big-endian length, then (R >= 2.10) a type
    byte '2' (bzip2), 'X' (xz), 'Z' (zlib) or '0' (none), else zlib."""
    n = struct.unpack(">I", blob[:4])[0]
    kind, body = blob[4:5], blob[5:]
    if kind == b"2":
        out = bz2.decompress(body)
    elif kind == b"X":
        out = lzma.decompress(body)
    elif kind == b"0":
        out = body
    elif kind == b"Z":
        out = zlib.decompress(body)
    else:
        out = zlib.decompress(blob[4:])
    if len(out) != n:
        raise ValueError("lazy-load chunk: %d bytes, expected %d" % (len(out), n))
    return out


def _names(obj):
    if isinstance(obj, RObject):
        return obj.attributes.get("names"), obj.value
    raise ValueError("expected a named list")


def load_lazydata(data_dir, base="Rdata"):
    """Return {name: value} for every object of DATA_DIR/BASE.rdb."""
    with open(os.path.join(data_dir, base + ".rdx"), "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    else:
        raw = _decompress_chunk(raw)
    names, values = _names(unserialize(raw))
    index = dict(zip(names, values))
    var_names, offsets = _names(index["variables"])
    with open(os.path.join(data_dir, base + ".rdb"), "rb") as f:
        rdb = f.read()
    out = {}
    for name, (off, length) in zip(var_names, offsets):
        out[name] = unserialize(_decompress_chunk(rdb[int(off):int(off) + int(length)]))
    return out
