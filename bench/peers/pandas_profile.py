#!/usr/bin/env python3
"""pandas_profile.py - the pandas peer of `bulwark profile` (bench/data.sh, issue 6).

usage: /usr/bin/python3 pandas_profile.py [--rows N] [--mem-factor F] FILE.csv

What a pandas user types: read_csv(FILE) with its defaults (dates stay text), then
describe(include='all') and nunique(). Prints JSON: the timings of each step, pandas'
version and per column its dtype, count, nulls, min/max/mean where describe gives them,
and nunique (exact distinct, nulls excluded).

pandas holds the whole table in memory, about 6 times the CSV here (the issue says 4.6). Before reading, the
script compares F x (the bytes it will read) with MemAvailable and, when they do not fit,
prints {"skipped": "..."} and exits 3 instead of pushing the machine into the OOM killer.
--rows N reads only the first N rows (read_csv nrows=N): the estimate scales with it.
"""
import argparse
import json
import os
import sys
import time


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def jsonable(v):
    try:
        import numpy as np
        if isinstance(v, np.generic):
            v = v.item()
    except ImportError:
        pass
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rows", type=int, default=None, help="read only the first N rows")
    ap.add_argument("--mem-factor", type=float, default=6.5,
                    help="assumed peak memory per CSV byte (default 6.5: measured 6.2 plus the interpreter here)")
    a = ap.parse_args()

    size = os.path.getsize(a.file)
    est_bytes = size
    if a.rows is not None:
        with open(a.file, "rb") as f:  # bytes per row from the first 10,000 lines
            f.readline()
            sample = f.readlines(1 << 20)[:10000]
        per_row = sum(map(len, sample)) / max(1, len(sample))
        est_bytes = min(size, int(per_row * a.rows))
    need, avail = a.mem_factor * est_bytes, mem_available()
    if avail is not None and need > 0.9 * avail:
        print(json.dumps({"tool": "pandas", "skipped": f"needs about {need / 1e9:.1f} GB "
                          f"({a.mem_factor} x {est_bytes / 1e9:.2f} GB of CSV), {avail / 1e9:.1f} GB available"}))
        return 3

    t0 = time.perf_counter()
    try:
        import pandas as pd
    except ImportError as e:
        print(json.dumps({"tool": "pandas", "skipped": f"pandas not importable by {sys.executable} ({e}); "
                          "Debian's python3-pandas: scripts/deps.sh --bench, run with /usr/bin/python3"}))
        return 3
    t1 = time.perf_counter()
    df = pd.read_csv(a.file, nrows=a.rows, low_memory=False)
    t2 = time.perf_counter()
    desc = df.describe(include="all")
    t3 = time.perf_counter()
    nun = df.nunique()
    t4 = time.perf_counter()

    cols = []
    for c in df.columns:
        d = desc[c]
        o = {"name": c, "dtype": str(df[c].dtype), "count": int(d["count"]), "nulls": int(len(df) - d["count"]),
             "nunique": int(nun[c])}
        for k in ("mean", "min", "max", "unique", "top"):
            if k in d.index and d[k] == d[k]:
                o[k] = jsonable(d[k])
        cols.append(o)
    print(json.dumps({
        "tool": "pandas", "pandas": pd.__version__, "file": a.file, "rows": len(df),
        "seconds": {"import": t1 - t0, "read_csv": t2 - t1, "describe": t3 - t2, "nunique": t4 - t3,
                    "total": t4 - t1},
        "memory_usage_bytes": int(df.memory_usage(deep=True).sum()) if os.environ.get("PANDAS_DEEP_MEMORY") else None,
        "columns": cols,
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
