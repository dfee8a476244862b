#!/usr/bin/env python3
"""Write the safetensors, GGUF and .npy fixtures under tests/data/models-formats/.

Deterministic: run `/usr/bin/python3 tests/data/models-formats/make_fixtures.py`
(Debian's python3-numpy is needed for the .npy files, which are written by
numpy.save itself). safetensors and GGUF have no Debian writer, so this
script writes them per their specifications:

  safetensors  u64le N | N bytes of JSON header (space padded) | byte buffer
               header {"name": {"dtype", "shape", "data_offsets": [b, e]}, "__metadata__": {str: str}}
  GGUF         "GGUF" u32 version | tensor count, kv count (u32 in v1, u64 after)
               | kv: string key, u32 type, value | tensor info: name, u32 n_dims,
               dims (u64; u32 in v1), u32 ggml type, u64 offset | pad to alignment | data

Layout: <format>/<class>/<case>.<ext>, where class is
  valid     must parse; for scanners: SAFE
  invalid   must fail to parse; <case>.err holds a substring of the error message
  unsafe    (gguf) parses, but its chat template must be flagged; <case>.hit holds the construct
  object    (npy) object arrays: parse, has_object
  mismatch  (npy) parse, data length != shape x itemsize
"""
import json
import os
import shutil
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))


def put(rel, data, side=None, side_ext=".err"):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if side is not None:
        base = os.path.splitext(path)[0]
        with open(base + side_ext, "w") as f:
            f.write(side + "\n")


# ---- safetensors -------------------------------------------------------------

ST_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
            "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


def st_raw(header_bytes, data, pad_to=8):
    """Frame an already-serialised header, padded with spaces to a multiple of pad_to."""
    h = header_bytes
    if pad_to:
        h += b" " * ((-len(h) - 8) % pad_to)
    return struct.pack("<Q", len(h)) + h + data


def st_file(tensors, metadata=None):
    """tensors: list of (name, dtype, shape); data is filled with a byte pattern."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    off = 0
    data = b""
    for name, dtype, shape in tensors:
        n = ST_SIZES[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}
        data += bytes((off + i) & 0xff for i in range(n))
        off += n
    return st_raw(json.dumps(header, separators=(",", ":")).encode(), data)


def st_json(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def gen_safetensors():
    d = "safetensors"
    put(f"{d}/valid/basic.safetensors",
        st_file([("embed.weight", "F32", [4, 3]), ("norm.bias", "BF16", [3]), ("ids", "I64", [2]),
                 ("mask", "BOOL", [5])], {"format": "pt", "source": "bulwark"}))
    put(f"{d}/valid/all-dtypes.safetensors",
        st_file([(f"t_{k.lower()}", k, [2, 1]) for k in sorted(ST_SIZES)]))
    put(f"{d}/valid/empty.safetensors", st_raw(b"{}", b""))
    put(f"{d}/valid/scalar-and-zero.safetensors",
        st_file([("scalar", "F64", []), ("zero", "F32", [0, 7]), ("after", "U8", [3])]))
    # a header written out of offset order is still valid: the spec sorts by offset
    hdr = {"b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]},
           "a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}
    put(f"{d}/valid/unordered-keys.safetensors", st_raw(st_json(hdr), b"\x01\x02\x03\x04"))
    put(f"{d}/valid/wide-padding.safetensors", st_raw(st_json(hdr) + b" " * 100, b"\x01\x02\x03\x04", 0))

    def one(entry, data=b"\0" * 4, extra=None):
        h = {"x": entry}
        if extra:
            h.update(extra)
        return st_raw(st_json(h), data)

    ok = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}
    inv = f"{d}/invalid"
    put(f"{inv}/overlap.safetensors",
        st_raw(st_json({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                        "b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}), b"\0" * 4), "overlaps")
    put(f"{inv}/gap.safetensors",
        st_raw(st_json({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                        "b": {"dtype": "U8", "shape": [1], "data_offsets": [3, 4]}}), b"\0" * 4), "gap of 1 bytes")
    put(f"{inv}/wrong-size.safetensors", one({"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}),
        "need 8")
    put(f"{inv}/trailing-data.safetensors", one(ok, b"\0" * 6), "after the last tensor")
    put(f"{inv}/offset-past-end.safetensors", one({"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}),
        "past the byte buffer")
    put(f"{inv}/header-past-end.safetensors", struct.pack("<Q", 1000) + b'{"a":1}', "runs past the end")
    put(f"{inv}/huge-n.safetensors", struct.pack("<Q", (1 << 63) + 5) + b"{}", "over the limit")
    put(f"{inv}/duplicate-names.safetensors",
        st_raw(b'{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
               b'"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', b"\0\0"), "duplicate")
    put(f"{inv}/bad-dtype.safetensors", one({"dtype": "F128", "shape": [1], "data_offsets": [0, 4]}),
        "unknown dtype 'F128'")
    put(f"{inv}/negative-shape.safetensors", one({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}),
        "shape[0] is not a non-negative integer")
    put(f"{inv}/float-shape.safetensors", one({"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}),
        "shape[0]")
    put(f"{inv}/shape-overflow.safetensors",
        one({"dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 4]}), "overflows")
    put(f"{inv}/end-before-begin.safetensors", one({"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}),
        "before begin")
    put(f"{inv}/missing-offsets.safetensors", one({"dtype": "F32", "shape": [1]}), "data_offsets")
    put(f"{inv}/unknown-field.safetensors", one(dict(ok, extra=1)), "unknown field 'extra'")
    put(f"{inv}/metadata-not-string.safetensors", one(ok, extra={"__metadata__": {"n": 1}}), "is not a string")
    put(f"{inv}/metadata-not-object.safetensors", one(ok, extra={"__metadata__": ["a"]}), "is not an object")
    put(f"{inv}/not-object.safetensors", st_raw(b"[1]", b""), "does not start with '{'")
    put(f"{inv}/bad-json.safetensors", st_raw(b'{"a":}', b""), "header JSON")
    put(f"{inv}/bad-utf8.safetensors", st_raw(b'{"\xff":1}', b""), "UTF-8")
    put(f"{inv}/tab-padding.safetensors", st_raw(b"{}\t", b"", 0), "padding")
    put(f"{inv}/short-n.safetensors", struct.pack("<Q", 1) + b"{", "too short")
    put(f"{inv}/truncated-prefix.safetensors", b"\x10\x00\x00", "truncated")
    put(f"{inv}/entry-not-object.safetensors", st_raw(b'{"x":3}', b""), "not an object")


# ---- GGUF -------------------------------------------------------------------

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<B",
              U64: "<Q", I64: "<q", F64: "<d"}
GGML = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q8_0": (8, 32, 34), "Q4_K": (12, 256, 144),
        "BF16": (30, 1, 2), "I8": (24, 1, 1)}


class G:
    def __init__(self, version=3):
        self.v = version

    def cnt(self, n):
        return struct.pack("<I" if self.v == 1 else "<Q", n)

    def s(self, b):
        if isinstance(b, str):
            b = b.encode()
        return self.cnt(len(b)) + b

    def val(self, t, v):
        if t == STR:
            return self.s(v)
        if t == ARR:
            et, items = v
            return struct.pack("<I", et) + self.cnt(len(items)) + b"".join(self.val(et, x) for x in items)
        return struct.pack(SCALAR_FMT[t], v)

    def kv(self, key, t, v):
        return self.s(key) + struct.pack("<I", t) + self.val(t, v)

    def file(self, kvs, tensors, alignment=32, raw_kv=None, raw_tensors=None, data_fill=True):
        """kvs: list of (key, type, value); tensors: list of (name, dims, ggml type name)."""
        body = b"".join(self.kv(*k) for k in kvs) if raw_kv is None else raw_kv
        infos = b""
        off = 0
        sizes = []
        for name, dims, tname in tensors:
            tid, block, tsize = GGML[tname]
            n = dims[0] // block * tsize
            for dd in dims[1:]:
                n *= dd
            dim_fmt = "<I" if self.v == 1 else "<Q"
            infos += self.s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack(dim_fmt, x) for x in dims)
            infos += struct.pack("<IQ", tid, off)
            sizes.append(n)
            off += n + (-n % alignment)
        if raw_tensors is not None:
            infos = raw_tensors
        nk = len(kvs) if raw_kv is None else raw_kv_count(raw_kv)
        head = b"GGUF" + struct.pack("<I", self.v) + self.cnt(len(tensors)) + self.cnt(nk) + body + infos
        if not tensors:
            return head
        head += b"\0" * (-len(head) % alignment)
        data = b""
        for k, n in enumerate(sizes):
            data += bytes(i & 0xff for i in range(n))
            if k + 1 < len(sizes):  # no padding after the last tensor: the file ends with its data
                data += b"\0" * (-n % alignment)
        return head + data


def raw_kv_count(_):
    return 1


LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}"
          "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
          "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
          "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
          "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
MISTRAL = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
           "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
           "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
           "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
           "{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles "
           "are supported!') }}{% endif %}{% endfor %}")
TOOLS = ("{%- set ns = namespace(found=false, system_prompt='') -%}{%- for message in messages -%}"
         "{%- if message.role == 'system' -%}{%- set ns.system_prompt = message.content -%}{%- endif -%}"
         "{%- endfor -%}{{ bos_token }}{%- if tools is not none -%}{{- 'Tools: ' + tools | tojson(indent=2) -}}"
         "{%- endif -%}{%- for message in messages -%}{%- if message.tool_calls is defined -%}"
         "{%- for tool_call in message.tool_calls -%}{{- '<tool_call>' + tool_call.function.name + "
         "tool_call.function.arguments | tojson + '</tool_call>' -}}{%- endfor -%}"
         "{%- else -%}{{- '<|' + message.role + '|>' + message.content + '<|end|>' -}}{%- endif -%}"
         "{%- endfor -%}{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- endif -%}"
         "{# Today is {{ strftime_now('%d %b %Y') }}. Answer about photos, macOS. and the OS. #}")

HOSTILE = {
    "globals": ("{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}", "__init__"),
    "lipsum": ("{{ lipsum.__globals__['os'].popen('id').read() }}", "__globals__"),
    "cycler": ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "__init__"),
    "subclasses": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__"),
    "concat-tilde": ("{{ ()|attr('__cla' ~ 'ss__') }}", "__class__"),
    "concat-plus": ('{% set a = "__glo" + "bals__" %}{{ x[a] }}', "__globals__"),
    "hex-escape": ("{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "__class__"),
    "unicode-escape": ("{{ ()|attr('\\u005f\\u005fclass\\u005f\\u005f') }}", "__class__"),
    "octal-escape": ("{{ ()|attr('\\137\\137class\\137\\137') }}", "__class__"),
    "underscore-mult": ("{{ ()|attr('_'*2 ~ 'class' ~ '_'*2) }}", "__class__"),
    "join-list": ("{{ ()|attr(['__cla','ss__']|join) }}", "__class__"),
    "attr-computed": ("{% set n = x|first %}{{ ()|attr(n) }}", "|attr"),
    "template-reference": ("{{ self._TemplateReference__context.joiner.__init__ }}", "__init__"),
    "joiner": ("{{ joiner.x }}", "joiner"),
    "request": ("{{ request.application }}", "request.application"),
    "os-dot": ("{{ os.system('id') }}", "os."),
    "eval": ("{{ eval ('1+1') }}", "eval("),
    "upper-dunder": ("{{ ()|attr('__CLASS__'|lower) }}", "__class__"),
    "namespace-dunder": ("{% set ns = namespace() %}{{ ns.__init__ }}", "__init__"),
    "format-char": ("{{ ('%c%c'|format(95,95)) ~ 'class' }}", "%c"),
}


def gen_gguf():
    d = "gguf"
    all_kvs = [
        ("general.architecture", STR, "llama"), ("general.name", STR, "bulwark-test"),
        ("t.u8", U8, 200), ("t.i8", I8, -5), ("t.u16", U16, 60000), ("t.i16", I16, -30000),
        ("t.u32", U32, 4000000000), ("t.i32", I32, -2000000000), ("t.f32", F32, 1.5), ("t.bool", BOOL, 1),
        ("t.u64", U64, 1 << 60), ("t.i64", I64, -(1 << 60)), ("t.f64", F64, 2.25),
        ("t.arr_u8", ARR, (U8, [1, 2, 3])), ("t.arr_f32", ARR, (F32, [0.5, 1.0])),
        ("t.arr_bool", ARR, (BOOL, [0, 1, 1])),
        ("tokenizer.ggml.tokens", ARR, (STR, ["<s>", "</s>", "hello", "\u00e9t\u00e9"])),
        ("t.nested", ARR, (ARR, [(I32, [1, 2]), (I32, [])])),
        ("t.empty_arr", ARR, (U64, [])),
    ]
    tensors = [("token_embd.weight", [32, 2], "F32"), ("blk.0.attn_q.weight", [64, 2], "Q8_0"),
               ("blk.0.ffn.weight", [256], "Q4_K"), ("output_norm.weight", [3], "BF16")]
    put(f"{d}/valid/v3-all-types.gguf", G(3).file(all_kvs, tensors))
    put(f"{d}/valid/v2-all-types.gguf", G(2).file(all_kvs, tensors))
    put(f"{d}/valid/v1-simple.gguf", G(1).file(all_kvs[:5], [("w", [4, 2], "F32")]))
    put(f"{d}/valid/align64.gguf",
        G(3).file([("general.alignment", U32, 64)] + all_kvs[:3], tensors, alignment=64))
    put(f"{d}/valid/no-tensors.gguf", G(3).file(all_kvs[:2], []))
    put(f"{d}/valid/empty.gguf", G(3).file([], []))
    for name, tmpl in (("llama3", LLAMA3), ("chatml", CHATML), ("mistral", MISTRAL), ("tools", TOOLS)):
        put(f"{d}/valid/template-{name}.gguf",
            G(3).file([("general.architecture", STR, "llama"), ("tokenizer.chat_template", STR, tmpl)],
                      [("w", [4], "F32")]))
    put(f"{d}/valid/template-named.gguf",
        G(3).file([("tokenizer.chat_template", STR, CHATML), ("tokenizer.chat_template.tool_use", STR, TOOLS),
                   ("tokenizer.chat_template_count", U32, 2)], []))
    # a dunder outside the template keys is just metadata
    put(f"{d}/valid/dunder-elsewhere.gguf",
        G(3).file([("general.description", STR, "{{ x.__class__ }}")], []))

    for name, (tmpl, what) in sorted(HOSTILE.items()):
        put(f"{d}/unsafe/{name}.gguf",
            G(3).file([("general.architecture", STR, "llama"), ("tokenizer.chat_template", STR, tmpl)],
                      [("w", [4], "F32")]), what, ".hit")
    put(f"{d}/unsafe/named-template.gguf",
        G(2).file([("tokenizer.chat_template.rag", STR, HOSTILE["lipsum"][0])], []), "__globals__", ".hit")

    g = G(3)
    inv = f"{d}/invalid"
    good = g.file(all_kvs[:3], [("w", [4], "F32")])
    put(f"{inv}/bad-magic.gguf", b"GGML" + good[4:], "bad magic")
    put(f"{inv}/version-4.gguf", b"GGUF" + struct.pack("<I", 4) + good[8:], "unknown GGUF version 4")
    put(f"{inv}/big-endian.gguf", b"GGUF" + struct.pack(">I", 3) + good[8:], "big-endian")
    put(f"{inv}/huge-kv-count.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 40), "over the limit")
    put(f"{inv}/counts-past-end.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1000, 1000) + b"\0" * 64, "cannot fit")
    put(f"{inv}/string-past-end.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 20) + b"abc" + b"\0" * 20,
        "runs past the end")
    put(f"{inv}/huge-string.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 62) + b"\0" * 20, "over the limit")
    put(f"{inv}/unknown-value-type.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + g.s("k") + struct.pack("<I", 13) + b"\0" * 16,
        "unknown value type 13")
    put(f"{inv}/bool-2.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + g.s("k") + struct.pack("<IB", BOOL, 2), "not 0 or 1")
    put(f"{inv}/array-past-end.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + g.s("k") + struct.pack("<IIQ", ARR, U32, 1 << 61) + b"\0" * 16,
        "runs past the end")
    put(f"{inv}/array-deep.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + g.s("k") + struct.pack("<I", ARR) +
        (struct.pack("<IQ", ARR, 1)) * 6 + struct.pack("<IQ", U8, 0), "nested deeper")
    put(f"{inv}/duplicate-key.gguf", g.file([("a", U8, 1), ("b", U8, 2), ("a", U8, 3)], []),
        "duplicate metadata key 'a'")
    put(f"{inv}/duplicate-tensor.gguf", g.file([], [("w", [4], "F32"), ("w", [4], "F32")]),
        "duplicate tensor name 'w'")
    put(f"{inv}/five-dims.gguf", g.file([], [("w", [1, 1, 1, 1, 1], "F32")]), "5 dimensions")
    put(f"{inv}/block-multiple.gguf", g.file([], [("w", [32], "Q8_0")]).replace(
        struct.pack("<Q", 32), struct.pack("<Q", 33), 1), "not a multiple of the Q8_0 block size")
    put(f"{inv}/bad-alignment.gguf", g.file([("general.alignment", U32, 48)], []), "power of two")
    put(f"{inv}/alignment-type.gguf", g.file([("general.alignment", U64, 32)], []), "power of two")

    # tensor offsets: written by hand
    def tinfo(name, dims, tid, off):
        return g.s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", x) for x in dims) + \
            struct.pack("<IQ", tid, off)

    def tfile(infos, data_len, count):
        head = b"GGUF" + struct.pack("<IQQ", 3, count, 0) + infos
        head += b"\0" * (-len(head) % 32)
        return head + b"\0" * data_len

    put(f"{inv}/bad-ggml-type.gguf", tfile(tinfo("w", [4], 4, 0), 64, 1), "unknown ggml type 4")
    put(f"{inv}/unaligned-offset.gguf", tfile(tinfo("w", [4], 0, 16), 64, 1), "not a multiple of 32")
    put(f"{inv}/tensor-past-end.gguf", tfile(tinfo("w", [64], 0, 0), 128, 1), "runs past the end")
    put(f"{inv}/tensor-huge-offset.gguf", tfile(tinfo("w", [4], 0, (1 << 64) - 32), 64, 1), "runs past the end")
    put(f"{inv}/overlap.gguf", tfile(tinfo("a", [16], 0, 0) + tinfo("b", [16], 0, 32), 128, 2), "overlaps")
    put(f"{inv}/dims-overflow.gguf", tfile(tinfo("w", [1 << 32, 1 << 32, 1 << 2], 0, 0), 64, 1), "overflows")
    put(f"{inv}/negative-dim.gguf", tfile(tinfo("w", [1 << 63], 0, 0), 64, 1), "negative")
    put(f"{inv}/truncated-header.gguf", b"GGUF\x03\x00", "truncated")


# ---- npy --------------------------------------------------------------------

def npy_raw(header, data=b"", major=1):
    """Frame a header dict literal as numpy does (padded to 64 with spaces and '\\n')."""
    h = header.encode("utf-8" if major == 3 else "latin1")
    pre = 10 if major == 1 else 12
    h += b" " * ((-(pre + len(h) + 1)) % 64) + b"\n"
    ln = struct.pack("<H", len(h)) if major == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([major, 0]) + ln + h + data


def gen_npy():
    import io
    import numpy as np

    d = "npy"

    def save(rel, arr, allow_pickle=False, side=None, side_ext=".err"):
        b = io.BytesIO()
        np.save(b, arr, allow_pickle=allow_pickle)
        put(rel, b.getvalue(), side, side_ext)
        return b.getvalue()

    v = f"{d}/valid"
    save(f"{v}/f8.npy", np.arange(6, dtype="<f8").reshape(2, 3))
    save(f"{v}/u1.npy", np.arange(10, dtype=np.uint8))
    save(f"{v}/i4-be.npy", np.arange(4, dtype=">i4"))
    save(f"{v}/bool.npy", np.array([True, False, True]))
    save(f"{v}/c16.npy", np.array([1 + 2j, 3 - 1j]))
    save(f"{v}/f2.npy", np.zeros((2, 2), dtype=np.float16))
    save(f"{v}/unicode.npy", np.array(["ab", "cde"], dtype="<U10"))
    save(f"{v}/bytes.npy", np.array([b"xy", b"z"], dtype="S3"))
    save(f"{v}/scalar.npy", np.array(3.5))
    save(f"{v}/empty.npy", np.zeros((0, 4), dtype=np.int16))
    save(f"{v}/fortran.npy", np.asfortranarray(np.arange(12, dtype=np.int64).reshape(3, 4)))
    save(f"{v}/datetime.npy", np.array(["2024-01-02", "2025-03-04"], dtype="datetime64[ns]"))
    save(f"{v}/timedelta.npy", np.array([1, 2], dtype="timedelta64[s]"))
    save(f"{v}/structured.npy", np.zeros(3, dtype=[("x", "<f4"), ("y", "<i8"), ("name", "S5")]))
    save(f"{v}/structured-nested.npy",
         np.zeros(2, dtype=[("pos", [("x", "<f8"), ("y", "<f8")]), ("v", "<i2", (3,)), (("T", "t"), "u1")]))
    save(f"{v}/structured-aligned.npy", np.zeros(2, dtype=np.dtype([("a", "u1"), ("b", "<i4")], align=True)))
    save(f"{v}/void.npy", np.zeros(2, dtype="V7"))
    # version 2.0 and 3.0 headers, framed by hand as numpy does
    put(f"{v}/version2.npy", npy_raw("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", b"\1\0\2\0", 2))
    put(f"{v}/version3.npy",
        npy_raw("{'descr': [('\u00e9t\u00e9', '<u1')], 'fortran_order': False, 'shape': (1,), }", b"\7", 3))

    o = f"{d}/object"
    save(f"{o}/object-list.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    save(f"{o}/object-2d.npy", np.array([[{"k": 1}, [2]], [3.0, "x"]], dtype=object), allow_pickle=True)
    save(f"{o}/structured-object.npy", np.array([(1, "a")], dtype=[("i", "<i4"), ("o", "O")]), allow_pickle=True)

    m = f"{d}/mismatch"
    full = save(f"{m}/__tmp.npy", np.arange(8, dtype="<i4"))
    os.remove(os.path.join(ROOT, f"{m}/__tmp.npy"))
    put(f"{m}/truncated-data.npy", full[:-3])
    put(f"{m}/extra-data.npy", full + b"\0" * 5)

    inv = f"{d}/invalid"
    put(f"{inv}/bad-magic.npy", b"\x93NUMPZ\x01\x00\x00\x00", "bad magic")
    put(f"{inv}/version-4.npy", b"\x93NUMPY\x04\x00\x00\x00", "unknown .npy version 4.0")
    put(f"{inv}/header-past-end.npy", b"\x93NUMPY\x01\x00\xff\x00{'descr'", "runs past the end")
    put(f"{inv}/eval-injection.npy",
        npy_raw("{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (1,), }"),
        "expected a string")
    put(f"{inv}/missing-shape.npy", npy_raw("{'descr': '<f8', 'fortran_order': False, }"), "lacks 'shape'")
    put(f"{inv}/extra-key.npy",
        npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1, }", b"\0" * 8),
        "unexpected or repeated header key 'x'")
    put(f"{inv}/repeated-key.npy",
        npy_raw("{'descr': '<f8', 'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
        "repeated header key 'descr'")
    put(f"{inv}/bad-dtype.npy", npy_raw("{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }"),
        "bad float dtype size")
    put(f"{inv}/unknown-kind.npy", npy_raw("{'descr': '<q8', 'fortran_order': False, 'shape': (1,), }"),
        "unknown dtype kind")
    put(f"{inv}/shape-not-tuple.npy", npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }"),
        "not a tuple")
    put(f"{inv}/negative-shape.npy", npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }"),
        "non-negative integer")
    put(f"{inv}/shape-overflow.npy",
        npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }"), "overflows")
    put(f"{inv}/fortran-not-bool.npy", npy_raw("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }"),
        "True or False")
    put(f"{inv}/trailing-junk.npy", npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } x"),
        "bytes after the header dict")
    put(f"{inv}/unterminated.npy", npy_raw("{'descr': '<f8"), "newline inside a string")
    put(f"{inv}/deep-fields.npy",
        npy_raw("{'descr': " + "[('a', " * 40 + "'<f8'" + ")]" * 40 + ", 'fortran_order': False, 'shape': (1,), }"),
        "nested deeper")
    put(f"{inv}/empty-fields.npy", npy_raw("{'descr': [], 'fortran_order': False, 'shape': (1,), }"),
        "empty field list")
    put(f"{inv}/v3-bad-utf8.npy",
        npy_raw("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", b"\0", 3).replace(b"'<u1'", b"'\xff1'"),
        "not UTF-8")


def main():
    for sub in ("safetensors", "gguf", "npy"):
        shutil.rmtree(os.path.join(ROOT, sub), ignore_errors=True)
    gen_safetensors()
    gen_gguf()
    gen_npy()


if __name__ == "__main__":
    sys.exit(main())
