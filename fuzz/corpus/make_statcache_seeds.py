#!/usr/bin/env python3
"""Seeds for fuzz_statcache: stat caches of incremental sign/verify (lib/trust/statcache.h),
without their MAC (the target appends a valid one under its key). Writes fuzz/corpus/statcache/."""
import os
import struct

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "statcache")
os.makedirs(out, exist_ok=True)


def cache(entries, root=b"/models/readmission", voucher=b"\x11" * 32, algo=0, shard=0, t_ref=1_700_000_000 * 10**9):
    b = b"BWSTATC1" + voucher + struct.pack("<IQq", algo, shard, t_ref)
    b += struct.pack("<I", len(root)) + root + struct.pack("<I", len(entries))
    for name, ino, size in entries:
        b += struct.pack("<H", len(name)) + name
        b += struct.pack("<QQQqqI", 2049, ino, size, t_ref - 10**9, t_ref - 10**9, 0o100644)
        b += bytes((ino + i) & 0xFF for i in range(32))
    return b


seeds = {
    "empty": cache([]),
    "three": cache([(b"a/b", 11, 5), (b"a.b", 12, 0), (b"weights.bin", 13, 1 << 30)]),
    "single-file": cache([(b".", 7, 12)]),
    "shards": cache([(b"model.safetensors", 9, 3_000_000_000)], algo=0, shard=1_000_000_000),
    "unsorted": cache([(b"b", 1, 1), (b"a", 2, 1)]),
    "repeated": cache([(b"a", 1, 1), (b"a", 2, 1)]),
    "dotdot": cache([(b"../etc/passwd", 1, 1)]),
    "truncated": cache([(b"a", 1, 1), (b"b", 2, 2)])[:-20],
    "bad-magic": b"BWSTATC0" + cache([])[8:],
}
# a count of a million entries over one entry's bytes: refused before anything is allocated
one = cache([(b"a", 1, 1)])
seeds["lying-count"] = one.replace(struct.pack("<IH", 1, 1) + b"a", struct.pack("<IH", 1000000, 1) + b"a", 1)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
