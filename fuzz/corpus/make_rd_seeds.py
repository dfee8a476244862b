#!/usr/bin/env python3
"""Write the seed corpus for fuzz_rd into fuzz/corpus/rd/ (deterministic).

Input layout (see fuzz/fuzz_rd.c): byte 0 = program length P, bytes 1..P =
program, the rest = data. Each program byte's low 5 bits pick an operation;
VIEW, COPY, SKIP, UNTIL, SUB and FAIL take the next program byte as their
argument (sizes 0xf8..0xff are edge cases: SIZE_MAX, left, left + 1, ...).

Run from anywhere: python3 fuzz/corpus/make_rd_seeds.py
Seeds are named seed-NN-<what>; files found by fuzzing and kept are named
crash-<sha1> or cov-<sha1> and are not touched by this script.
"""
import os
import struct

(U8, U16LE, U16BE, U32LE, U32BE, U64LE, U64BE, I32, I64, F32, F64, UVARINT, SVARINT,
 VIEW, COPY, SKIP, PEEK, UNTIL, SUB, POP, FAIL) = range(21)
SIZE_MAX, SIZE_MAX_MINUS_POS, LEFT, LEFT_PLUS_1, LEFT_MINUS_1, LEN, BIG31, BIG63 = (
    0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8)


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def seed(prog, data):
    assert len(prog) < 256
    return bytes([len(prog)]) + bytes(prog) + bytes(data)


SEQ = bytes(range(1, 33))

SEEDS = {
    "empty-program": seed([], b"data"),
    "every-fixed-read": seed([U8, U16LE, U16BE, U32LE, U32BE, U64LE, U64BE, I32, I64, F32, F64],
                             SEQ + SEQ[:16]),
    "truncated-u64": seed([U8, U64LE, U8, PEEK], bytes(range(5))),
    "varints": seed([UVARINT] * 6 + [SVARINT] * 3,
                    uvarint(0) + uvarint(127) + uvarint(128) + uvarint(300)
                    + uvarint(2**63) + uvarint(2**64 - 1)
                    + uvarint(1) + uvarint(2) + uvarint(2**64 - 1)),
    "varint-overflow": seed([UVARINT, U8], b"\xff" * 9 + b"\x02"),
    "varint-too-long": seed([UVARINT, U8], b"\x80" * 10 + b"\x00"),
    "varint-truncated": seed([UVARINT, PEEK], b"\x81\x82\x83"),
    "view-copy-skip": seed([VIEW, 3, COPY, 4, SKIP, 2, VIEW, 0, COPY, LEFT, PEEK], SEQ),
    "huge-sizes": seed([SKIP, 1, VIEW, SIZE_MAX, SKIP, SIZE_MAX_MINUS_POS, COPY, LEFT_PLUS_1], SEQ),
    "edge-sizes": seed([SUB, LEFT_MINUS_1, SKIP, LEFT, POP, VIEW, BIG31, SKIP, BIG63], SEQ),
    "until-lines": seed([UNTIL, 0x3d, UNTIL, 0x0a, UNTIL, 0x0a, UNTIL, 0x0a, UNTIL, 0x0a],
                        b"key=value\nnext\n\nend"),
    "until-missing": seed([UNTIL, 0x00, U8], b"no nul here"),
    "sub-nested": seed([SKIP, 2, SUB, 16, U16BE, SUB, 4, U32LE, U8, POP, U8, POP, U64LE, U64LE],
                       SEQ),
    "sub-truncated": seed([SUB, 40, U8, SUB, LEN, SUB, LEFT_PLUS_1], SEQ),
    "fail-then-read": seed([U8, FAIL, 1, U8, PEEK, VIEW, 0, UNTIL, 5, FAIL, 0], SEQ),
    "safetensors-like": seed([U64LE, VIEW, 0x0d, SUB, LEFT, U32LE, F32, F64],
                             struct.pack("<Q", 13) + b'{"a":"bcdef"}'
                             + struct.pack("<Iffd", 7, 1.5, 2.0, -2.25)[:24]),
    "zero-length-at-end": seed([SKIP, LEFT, VIEW, 0, COPY, 0, SKIP, 0, SUB, 0, PEEK, U8], SEQ[:4]),
    "empty-data": seed([U8, VIEW, 0, UVARINT, UNTIL, 0, PEEK], b""),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rd")
    os.makedirs(out, exist_ok=True)
    for i, (name, blob) in enumerate(SEEDS.items()):
        with open(os.path.join(out, "seed-%02d-%s" % (i, name)), "wb") as f:
            f.write(blob)
    print("wrote %d seeds to %s" % (len(SEEDS), out))


if __name__ == "__main__":
    main()
