#!/usr/bin/python3
"""Write the seed corpus for fuzz_pickle into fuzz/corpus/pickle/ (deterministic).

Input layout (see fuzz/fuzz_pickle.c): byte 0 = options (bit 0 joblib, bit 1
stop_at_end, bit 2 small limits), the rest = the pickle. Seeds are pickles
written by Debian's /usr/bin/python3 (CPython 3.11) at every protocol, the
hostile hand-made streams, and tests/data/pickle/*.pkl (run
tests/data/pickle/make_cases.py first for the joblib fixture). Nothing is
unpickled.

Run from anywhere: /usr/bin/python3 fuzz/corpus/make_pickle_seeds.py
Seeds are named seed-<what>; files found by fuzzing and kept are named
crash-<sha1> or cov-<sha1> and are not touched by this script.
"""
import collections
import os
import pickle

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "pickle")
DATA = os.path.join(HERE, "..", "..", "tests", "data", "pickle")


class Reduce:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def seed(name, opts, data):
    with open(os.path.join(OUT, "seed-%s" % name), "wb") as f:
        f.write(bytes([opts]) + data)


def main():
    os.makedirs(OUT, exist_ok=True)
    values = {
        "mixed": [1, -1, 2 ** 40, 2 ** 80, 1.25, "s\u00e9", b"b", bytearray(b"ba"), (1,), (1, 2), (1, 2, 3),
                  {"k": [None, True, False]}, {9}, frozenset({10})],
        "shared": [["x"]] * 3,
        "reduce": Reduce(os.system, ("echo bulwark",)),
        "classes": [collections.OrderedDict, collections.Counter, collections.OrderedDict([("a", 1)])],
    }
    for what, value in sorted(values.items()):
        for proto in range(6):
            seed("%s-p%d" % (what, proto), proto % 4, pickle.dumps(value, protocol=proto))
    hostile = {
        "nonliteral": b"\x80\x04\x8c\x08builtins\x8c\x03str\x93\x8c\x02os\x85R\x8c\x06system\x93\x8c\x02id\x85R.",
        "callcall": b"cbuiltins\neval\n(S'print'\ntR(S'x'\ntR.",
        "build-global": b"cos\nsystem\n(db.",
        "ext": b"\x80\x02\x82\x01)R\x83\x01\x01)R\x84\x00\x00\x00\x80.",
        "memo-missing": b"\x80\x02h\x05j\x00\x00\x01\x00g7\n.",
        "text": b"(I01\nI0x1f\nL123L\nF1.5\nS'a\\x41'\nV\\u0041\np0\ng0\nPpid\nios\nsystem\n.",
        "frames": b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00N\x94\x95\x01\x00\x00\x00\x00\x00\x00\x00.",
        "oob": b"\x80\x05\x97\x98\x97.",
        "sets": b"\x80\x04\x8f(K\x01K\x02\x90(K\x03\x91\x85.",
        "obj-inst": b"(cos\nsystem\nS'id'\no(S'id'\nios\nsystem\n\x92.",
        "joblib-wrapper": (b"\x80\x04\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}(\x8c\x05shape"
                           b"K\x02\x85\x8c\x05dtype\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02i4\x85R\x8c\x1b"
                           b"numpy_array_alignment_bytesK\x10ub\x03\xff\xff\xff\x01\x00\x00\x00\x02\x00\x00\x00."),
    }
    for what, data in sorted(hostile.items()):
        seed(what, 1, data)
        seed(what + "-limits", 4, data)
    if os.path.isdir(DATA):
        for name in sorted(os.listdir(DATA)):
            if name.endswith(".pkl"):
                with open(os.path.join(DATA, name), "rb") as f:
                    data = f.read()
                seed("data-" + name[:-4], 1 if name.startswith("joblib") else 0, data)


if __name__ == "__main__":
    main()
