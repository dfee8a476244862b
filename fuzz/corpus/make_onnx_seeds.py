#!/usr/bin/env python3
"""Write the seed corpus for fuzz_onnx into fuzz/corpus/onnx/seed-NN-<what>.

The real models come from tests/data/onnx/ (made by tests/data/onnx/make.py
with python3-onnx); the rest are hand-encoded protobuf edge cases. Only
seed-* files are touched, so crash-* regressions stay.
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "onnx")
DATA = os.path.join(HERE, "..", "..", "tests", "data", "onnx")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def ld(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def nested(levels):
    g = ld(1, ld(4, b"X") + ld(7, b"z"))
    for _ in range(levels):
        g = ld(1, ld(5, ld(6, g)))
    return b"\x08\x08" + ld(7, g)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith("seed-"):
            os.remove(os.path.join(OUT, f))
    seeds = []
    for f in sorted(os.listdir(DATA)):
        if f.endswith((".onnx", ".pb")):
            with open(os.path.join(DATA, f), "rb") as fh:
                seeds.append((f.replace(".", "-"), fh.read()))
    seeds += [
        ("empty", b""),
        ("ir-only", b"\x08\x08"),
        ("group", b"\x08\x08" + varint(7 << 3 | 3) + b"\x00"),
        ("bad-wire", b"\x08\x08\x3e"),
        ("len-past-end", b"\x08\x08\x3a\x7f\x0a"),
        ("fixed64-fixed32", b"\x08\x08" + ld(7, b"\x09" + b"\x00" * 8 + b"\x0d" + b"\x00" * 4)),
        ("nested-10", nested(10)),
        ("nested-25", nested(25)),
        ("ext-entry", b"\x08\x08" + ld(7, ld(5, ld(8, b"w") + ld(13, ld(1, b"location") + ld(2, b"../x")) +
                                               b"\x70\x01"))),
        ("function", b"\x08\x08" + ld(7, b"") + ld(25, ld(1, b"f") + ld(10, b"d") + ld(7, ld(4, b"Op") +
                                                                                       ld(7, b"c")))),
        ("savedmodel-min", b"\x08\x01" + ld(2, ld(2, ld(1, ld(2, b"ReadFile"))))),
    ]
    for i, (what, data) in enumerate(seeds):
        with open(os.path.join(OUT, "seed-%02d-%s" % (i, what)), "wb") as fh:
            fh.write(data)


if __name__ == "__main__":
    main()
