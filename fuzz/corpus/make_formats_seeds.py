#!/usr/bin/env python3
"""Seed the safetensors, gguf and npy fuzz corpora from the unit-test fixtures.

The fixtures are written deterministically by
tests/data/models-formats/make_fixtures.py (run it first); this copies each
one under 4 KiB into fuzz/corpus/<format>/seed-<class>-<case>. It only
touches seed-* files; crash-*/cov-* files found by fuzzing are kept.
Run from anywhere: python3 fuzz/corpus/make_formats_seeds.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "tests", "data", "models-formats")
EXT = {"safetensors": ".safetensors", "gguf": ".gguf", "npy": ".npy"}

for fmt, ext in EXT.items():
    out = os.path.join(HERE, fmt)
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        if old.startswith("seed-"):
            os.remove(os.path.join(out, old))
    for cls in sorted(os.listdir(os.path.join(DATA, fmt))):
        d = os.path.join(DATA, fmt, cls)
        for name in sorted(os.listdir(d)):
            if not name.endswith(ext):
                continue
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            if len(data) > 4096:
                continue
            with open(os.path.join(out, "seed-%s-%s" % (cls, name[: -len(ext)])), "wb") as f:
                f.write(data)
