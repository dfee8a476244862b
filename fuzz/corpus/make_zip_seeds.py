#!/usr/bin/python3
"""Write the seed corpus for fuzz_zip (deterministic): python3 fuzz/corpus/make_zip_seeds.py

Seeds are small archives from zipfile (stored, deflated, comment, ZIP64,
data descriptors, a PyTorch-like layout), plus the hostile shapes the reader
must survive (prepended data, overlap, a CRC flip, a local name mismatch, a
small bomb) and tar/gzip streams so the fuzzer also sees non-zip input.
Only seed-* files are touched.
"""
import glob
import gzip
import io
import os
import struct
import tarfile
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zip")
DATE = (2024, 1, 1, 0, 0, 0)
PICKLE = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s."


def build(members, comment=b"", descriptor=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, method in members:
            zi = zipfile.ZipInfo(name, DATE)
            zi.compress_type = method
            if descriptor:
                with z.open(zi, "w") as f:
                    f.write(data)
            else:
                z.writestr(zi, data)
        z.comment = comment
    return bytearray(buf.getvalue())


class Unseekable(io.RawIOBase):
    """zipfile writes data descriptors (flag bit 3) when the output cannot seek."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def with_descriptors(members):
    out = Unseekable()
    with zipfile.ZipFile(out, "w") as z:
        for name, data, method in members:
            zi = zipfile.ZipInfo(name, DATE)
            zi.compress_type = method
            z.writestr(zi, data)
    return bytearray(out.buf)


def main():
    for f in glob.glob(os.path.join(OUT, "seed-*")):
        os.remove(f)
    S, D = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
    text = b"model card\n" * 30
    seeds = {}
    seeds["stored"] = build([("a.txt", b"hello", S)])
    seeds["deflated"] = build([("a.txt", text, D)])
    seeds["comment"] = build([("a.txt", b"x", S)], comment=b"a comment")
    seeds["empty"] = build([])
    seeds["torch"] = build([("archive/data.pkl", PICKLE, S), ("archive/byteorder", b"little", S),
                            ("archive/data/0", bytes(range(32)), S), ("archive/version", b"3\n", S)])
    seeds["descriptor"] = with_descriptors([("a.txt", text, D), ("b.pkl", PICKLE, S)])
    saved = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 8
    try:
        seeds["zip64"] = build([("one.txt", text, D), ("two.pkl", PICKLE, S)])
    finally:
        zipfile.ZIP64_LIMIT = saved
    seeds["polyglot"] = bytearray(PICKLE) + build([("archive/data.pkl", PICKLE, S)])
    crc = build([("a.pkl", PICKLE, S)])
    crc[30 + 5 + 3] ^= 1
    seeds["crc"] = crc
    nm = build([("a.pkl", PICKLE, S)])
    nm[30:35] = b"b.pkl"
    seeds["localname"] = nm
    ov = build([("a", b"AAAA", S), ("b", b"BBBB", S)])
    eocd = ov.rfind(b"PK\x05\x06")
    cd = struct.unpack_from("<I", ov, eocd + 16)[0]
    second = cd + 46 + 1
    struct.pack_into("<I", ov, second + 42, 0)
    seeds["overlap"] = ov
    seeds["bomb"] = build([("zeros", bytes(64 * 1024), D)])
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        ti = tarfile.TarInfo("data.pkl")
        ti.size = len(PICKLE)
        ti.mtime = 0
        t.addfile(ti, io.BytesIO(PICKLE))
    seeds["targz"] = gzip.compress(tbuf.getvalue(), mtime=0)
    for i, (name, data) in enumerate(sorted(seeds.items())):
        with open(os.path.join(OUT, "seed-%02d-%s" % (i, name)), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    main()
