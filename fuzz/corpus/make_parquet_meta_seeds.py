#!/usr/bin/env python3
"""Write the seed corpus for fuzz_parquet_meta into fuzz/corpus/parquet_meta/seed-NN-<what>.

fuzz_parquet_meta tries every input as a whole file, as a bare FileMetaData
(it frames it itself) and as a page header, so the seeds are:
  - the real files of tests/data/parquet/ (DuckDB and hyparquet-writer,
    made by tests/data/parquet/gen/make_fixtures.mjs), whole;
  - their FileMetaData bytes alone;
  - the first page header of some of their column chunks (64 bytes from the
    data_page_offset or dictionary_page_offset the sidecar JSON gives);
  - a few hand-encoded Thrift edge cases.
Only seed-* files are touched, so crash-* regressions stay.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "parquet_meta")
DATA = os.path.join(HERE, "..", "..", "tests", "data", "parquet")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def zz(v):
    return varint((v << 1) ^ (v >> 63))


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith("seed-"):
            os.remove(os.path.join(OUT, f))
    seeds = []
    names = sorted(f[:-8] for f in os.listdir(DATA) if f.endswith(".parquet"))
    for name in names:
        with open(os.path.join(DATA, name + ".parquet"), "rb") as f:
            data = f.read()
        (mlen,) = struct.unpack("<I", data[-8:-4])
        seeds.append(("file-" + name, data))
        seeds.append(("footer-" + name, data[-8 - mlen : -8]))
        with open(os.path.join(DATA, name + ".json")) as f:
            side = json.load(f)
        done = 0
        for rg in side["row_groups"][:1]:
            for col in rg["columns"]:
                for key in ("dictionary_page_offset", "data_page_offset"):
                    off = col.get(key)
                    if off is not None and int(off) > 0 and done < 3:
                        seeds.append(("page-%s-%d" % (name, done), data[int(off) : int(off) + 64]))
                        done += 1
    with open(os.path.join(DATA, "invalid", "hyparquet-int-bitwidth-i32.parquet"), "rb") as f:
        seeds.append(("file-invalid-int-bitwidth", f.read()))

    # hand-made: an empty input, the smallest frame, a long-form list, every skip type
    seeds.append(("empty", b""))
    seeds.append(("frame-only", b"PAR1" + struct.pack("<I", 0) + b"PAR1"))
    seeds.append(("long-list", b"\x29" + b"\xfc" + varint(1000000000)))
    unknown = (
        b"\x11"  # field 1 bool true
        + b"\x13\x7f"  # i8
        + b"\x14" + zz(-300)  # i16
        + b"\x05" + zz(70) + zz(-70000)  # long-form id 70, i32
        + b"\x16" + zz(1 << 40)  # i64
        + b"\x17" + b"\x00" * 7 + b"\x3f"  # double
        + b"\x18\x03abc"  # binary
        + b"\x19\x32\x01\x02\x00"  # list of 3 bools
        + b"\x1a\x25\x00\x02"  # set of 2 i32
        + b"\x1b\x01\x55\x02\x04"  # map i32 -> i32 of 1
        + b"\x1c\x15\x02\x00"  # struct {1: i32}
        + b"\x1d" + b"u" * 16  # uuid
        + b"\x00"
    )
    seeds.append(("unknown-fields", unknown))
    for i, (what, data) in enumerate(seeds):
        with open(os.path.join(OUT, "seed-%02d-%s" % (i, what)), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
