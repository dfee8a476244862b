#!/usr/bin/python3
"""Write the pickle test fixtures for tests/unit/test_pickle.c.

Run with Debian's /usr/bin/python3 (CPython 3.11, python3-numpy 1.24,
python3-joblib 1.2) from this directory:  /usr/bin/python3 make_cases.py
Output is deterministic: fixed values, no timestamps, sets of one ordering.
Nothing here is ever unpickled; the malicious cases name os.system with a
harmless argument and are only written, never loaded.

offsets.txt lists, per file, the byte offsets of the import opcodes as
pickletools.genops reports them, so the C test checks offsets against an
independent decoder.
"""
import copyreg
import io
import os
import pickle
import pickletools
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
IMPORT_OPS = {"GLOBAL", "STACK_GLOBAL", "INST", "EXT1", "EXT2", "EXT4"}
offsets = []


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    offs = [pos for op, arg, pos in pickletools.genops(data) if op.name in IMPORT_OPS]
    offsets.append("%s %s" % (name, " ".join(str(o) for o in offs)))


class Reduce:
    """An object whose reduction is (func, args): what a malicious pickle carries."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def plain_values():
    # one of each literal kind; sets hold one item so their order is fixed
    return {
        "dict": {"k": 1},
        "list": [1, 2, 3],
        "tuple": (1, "two", 3.0),
        "set": {7},
        "frozenset": frozenset({8}),
        "bytes": b"\x00\x01bytes",
        "bytearray": bytearray(b"ba"),
        "str": "h\u00e9llo\n\\u",
        "int": -300,
        "bigint": 123456,
        "long": 2 ** 80,
        "neg_long": -(2 ** 70),
        "float": 1.5,
        "bool": True,
        "none": None,
    }


def main():
    for proto in range(6):
        write("plain_p%d.pkl" % proto, pickle.dumps(plain_values(), protocol=proto))
        write("os_system_p%d.pkl" % proto, pickle.dumps(Reduce(os.system, ("echo bulwark",)), protocol=proto))

    # protocol 0 writes builtins under their Python 2 name (REVERSE_IMPORT_MAPPING)
    write("builtin_eval_p0.pkl", pickle.dumps(Reduce(eval, ("1+1",)), protocol=0))

    # the second STACK_GLOBAL gets its module string from the memo (BINGET)
    import collections
    write("memo_strings_p4.pkl", pickle.dumps([collections.OrderedDict, collections.Counter], protocol=4))

    # hand-made: STACK_GLOBAL whose module is the result of builtins.str('os')
    p = io.BytesIO()
    p.write(b"\x80\x04")
    p.write(b"\x8c\x08builtins\x94\x8c\x03str\x94\x93\x94")  # builtins.str
    p.write(b"\x8c\x02os\x94\x85\x94R\x94")  # str(('os',)) -> a call result, memo 4
    p.write(b"\x8c\x06system\x94\x93\x94")  # STACK_GLOBAL(call result, 'system')
    p.write(b"\x8c\x0cecho bulwark\x94\x85\x94R\x94.")
    write("nonliteral_call_p4.pkl", p.getvalue())

    # the same, but the module string comes back through the memo after a POP
    p = io.BytesIO()
    p.write(b"\x80\x04")
    p.write(b"\x8c\x08builtins\x8c\x03str\x93")
    p.write(b"\x8c\x02os\x85R")
    p.write(b"q\x070")  # BINPUT 7, POP
    p.write(b"h\x07\x8c\x06system\x93")  # BINGET 7: the call result
    p.write(b"\x8c\x0cecho bulwark\x85R.")
    write("nonliteral_memo_p4.pkl", p.getvalue())

    # a call result called: eval('print')('x')
    write("call_result_called_p0.pkl", b"cbuiltins\neval\n(S'print'\ntR(S'x'\ntR.")
    # BUILD on an imported function
    write("build_on_global_p0.pkl", b"cos\nsystem\n(db.")

    # EXT1 from a real copyreg registration (code 0xf0)
    copyreg.add_extension(os.system.__module__, "system", 0xF0)
    try:
        write("ext1_p2.pkl", pickle.dumps(Reduce(os.system, ("echo bulwark",)), protocol=2))
    finally:
        copyreg.remove_extension(os.system.__module__, "system", 0xF0)

    # persistent ids: PERSID at protocol 0, BINPERSID at 2
    class PidPickler(pickle.Pickler):
        def persistent_id(self, obj):
            return "storage%d" % obj.n if isinstance(obj, Storage) else None

    for proto in (0, 2):
        buf = io.BytesIO()
        PidPickler(buf, protocol=proto).dump([Storage(1), Storage(2), 3])
        write("persid_p%d.pkl" % proto, buf.getvalue())

    # protocol 5 out-of-band buffers: writable (NEXT_BUFFER) and read-only (+ READONLY_BUFFER)
    bufs = []
    write("oob_p5.pkl", pickle.dumps([pickle.PickleBuffer(bytearray(b"rw")), pickle.PickleBuffer(b"ro")],
                                     protocol=5, buffer_callback=bufs.append))

    joblib_fixtures()
    with open(os.path.join(HERE, "offsets.txt"), "w") as f:
        f.write("\n".join(offsets) + "\n")


class Storage:
    def __init__(self, n):
        self.n = n


def joblib_fixtures():
    try:
        import joblib
        import numpy as np
    except ImportError:
        sys.stderr.write("joblib/numpy missing: joblib fixtures not rewritten\n")
        return
    value = {
        "weights": np.arange(12, dtype="<f8").reshape(3, 4),
        "ids": np.arange(5, dtype="int32"),
        "flags": np.array([True, False, True]),
        "names": np.array(["a", "bc"]),
        "objects": np.array([1, "x", None], dtype=object),
    }
    path = os.path.join(HERE, "joblib_numpy.pkl")
    joblib.dump(value, path)
    offsets.append("joblib_numpy.pkl -")  # not a plain pickle: genops cannot walk it


if __name__ == "__main__":
    main()
