#!/usr/bin/python3
"""Regenerate the zip test fixtures (deterministic): python3 tests/data/zip/make.py

Normal archives come from zipfile/tarfile/gzip/bz2/lzma; hostile ones are
normal archives patched at known offsets. tests/unit/test_zip.c reads them.
"""
import bz2
import gzip
import io
import lzma
import os
import struct
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = (2024, 1, 1, 0, 0, 0)
# A protocol 2 pickle of {'a': 1}: what a PyTorch archive's data.pkl looks like at the top.
PICKLE = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s."
TEXT = b"hello, zip\n" * 20


def zinfo(name, method):
    zi = zipfile.ZipInfo(name, DATE)
    zi.compress_type = method
    zi.external_attr = 0o644 << 16
    return zi


def build(members, comment=b""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, method in members:
            z.writestr(zinfo(name, method), data)
        z.comment = comment
    return bytearray(buf.getvalue())


def basic():
    return build([("archive/data.pkl", PICKLE, zipfile.ZIP_STORED),
                  ("archive/notes.txt", TEXT, zipfile.ZIP_DEFLATED),
                  ("archive/data/0", bytes(range(64)), zipfile.ZIP_STORED)])


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(bytes(data))


def main():
    write("basic.zip", basic())
    write("comment.zip", build([("a.txt", TEXT, zipfile.ZIP_DEFLATED)], comment=b"model exported by a test"))
    write("empty.zip", build([]))

    # ZIP64: lower the limit so zipfile writes ZIP64 extras and the ZIP64 end records.
    saved = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 16
    try:
        z64 = build([("one.txt", TEXT, zipfile.ZIP_DEFLATED), ("two.pkl", PICKLE, zipfile.ZIP_STORED)])
    finally:
        zipfile.ZIP64_LIMIT = saved
    write("zip64.zip", z64)

    # CRC mismatch: flip a byte of the stored pickle's data (first member, name length 16).
    crc = basic()
    crc[30 + len("archive/data.pkl") + 5] ^= 0x01
    write("crc.zip", crc)

    # Local name differs from the central one (same length).
    nm = basic()
    assert nm[30:30 + 16] == b"archive/data.pkl"
    nm[30:30 + 16] = b"archive/evil.pkl"
    write("localname.zip", nm)

    # Overlap: the third central entry points at the first member's local header.
    ov = basic()
    eocd = ov.rfind(b"PK\x05\x06")
    cd = struct.unpack_from("<I", ov, eocd + 16)[0]
    entries = []
    pos = cd
    while ov[pos:pos + 4] == b"PK\x01\x02":
        entries.append(pos)
        n, m, k = struct.unpack_from("<HHH", ov, pos + 28)
        pos += 46 + n + m + k
    struct.pack_into("<I", ov, entries[2] + 42, 0)
    write("overlap.zip", ov)

    # Bomb: 1 MiB of zeros deflates to about 1 KiB.
    write("bomb.zip", build([("zeros.bin", bytes(1 << 20), zipfile.ZIP_DEFLATED)]))

    # Polyglot: a pickle with a zip appended (zipfile still opens it).
    write("polyglot.zip", PICKLE + bytes(basic()))
    zipfile.ZipFile(os.path.join(HERE, "polyglot.zip")).testzip()

    # tar and compressed streams, for the container scanner.
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in (("model/data.pkl", PICKLE), ("model/README", TEXT)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1704067200
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    tar = tbuf.getvalue()
    write("model.tar", tar)
    write("model.tar.gz", gzip.compress(tar, mtime=0))
    write("data.pkl.gz", gzip.compress(PICKLE, mtime=0))
    write("data.pkl.bz2", bz2.compress(PICKLE))
    write("data.pkl.xz", lzma.compress(PICKLE))


if __name__ == "__main__":
    main()
