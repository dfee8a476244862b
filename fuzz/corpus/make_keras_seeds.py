#!/usr/bin/python3
"""Seeds for fuzz/fuzz_keras.c (deterministic): the Keras fixtures of
tests/data/keras/ (JSON configs, .h5 files, the config.json of each .keras zip)
and a few small hand-written configs. Run: /usr/bin/python3 fuzz/corpus/make_keras_seeds.py
(after tests/data/keras/make.py)."""
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "tests", "data", "keras")
OUT = os.path.join(HERE, "keras")

INLINE = {
    "tfop_py.json": '{"class_name": "Functional", "config": {"layers": [{"class_name": "TFOpLambda", '
                    '"config": {"function": "py_function"}}]}}',
    "custom.json": '{"module": "keras", "class_name": "Sequential", "config": {"layers": '
                   '[{"module": "my_pkg", "class_name": "X", "config": {}}]}}',
    "wrapper.json": '{"class_name": "Sequential", "config": {"layers": [{"class_name": "TimeDistributed", '
                    '"config": {"layer": {"class_name": "Lambda", "config": {"function": ["4wAA", null, null]}}}}]}}',
    "bad.json": '{"class_name": "Sequential", "config": {"layers": [',
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in sorted(os.listdir(SRC)):
        path = os.path.join(SRC, name)
        if name.endswith((".json", ".h5")):
            with open(path, "rb") as f, open(os.path.join(OUT, name), "wb") as g:
                g.write(f.read())
        elif name.endswith(".keras"):
            with zipfile.ZipFile(path) as z, open(os.path.join(OUT, name + ".config.json"), "wb") as g:
                g.write(z.read("config.json"))
    for name, text in sorted(INLINE.items()):
        with open(os.path.join(OUT, name), "w") as g:
            g.write(text)


if __name__ == "__main__":
    main()
