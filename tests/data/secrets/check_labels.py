#!/usr/bin/python3
"""Check tests/data/secrets/labels.json against the corpus.

    /usr/bin/python3 tests/data/secrets/check_labels.py [--lint]

For every label: the file exists; the member (archive path, "outer.zip!inner"
for nested archives) exists; the value occurs at the labelled place:
  - offset labels (binary files): the value's bytes start exactly at offset;
  - line labels: an occurrence of the value starts on that 1-based line of
    the unit's text (multi-line values such as PEM blocks start there and run
    on). The unit is the file, the archive member, the decompressed content
    of a plain .gz file, or a notebook cell's text (part "source": the joined
    source; part "output": the outputs in order, a stream's joined text, and
    for execute_result / display_data each mime value in sorted mime order,
    joined, with a newline added when it lacks one).
It also checks the label schema and that no decoy shares a line with a
planted secret or personal-data item. Exit status 1 on any failure.

--lint additionally lists strings that look like secrets or personal data
(emails, IPv4 addresses, token prefixes, JWTs, PEM headers, long hex or
base64 runs, phone-, card-, SSN-, IBAN-, NINO- and PAN-shaped strings, and
key = value with a high-entropy value)
that no label covers. These are warnings, for reviewing the corpus: filler
should contain nothing a scanner could reasonably report.
"""

import gzip
import io
import json
import math
import os
import re
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {"secret", "pii", "decoy"}
KEYS = ["file", "member", "cell", "part", "line", "offset", "kind", "class", "value"]


def container_members(name, data):
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        mode = "r:" if name.endswith(".tar") else "r:gz"
        with tarfile.open(fileobj=io.BytesIO(data), mode=mode) as t:
            return {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    raise ValueError(f"not an archive: {name}")


def join(v):
    return "".join(v) if isinstance(v, list) else v


def notebook_text(data, cell, part):
    c = json.loads(data)["cells"][cell]
    if part == "source":
        return join(c["source"])
    out = []
    for o in c.get("outputs", []):
        if o["output_type"] == "stream":
            out.append(join(o["text"]))
        elif "data" in o:
            for mime in sorted(o["data"]):
                v = join(o["data"][mime])
                out.append(v if v.endswith("\n") else v + "\n")
        elif o["output_type"] == "error":
            out.append("\n".join(o.get("traceback", [])) + "\n")
    return "".join(out)


_file_cache = {}


def read_file(rel):
    if rel not in _file_cache:
        with open(os.path.join(HERE, rel), "rb") as f:
            _file_cache[rel] = f.read()
    return _file_cache[rel]


def unit_bytes(lab):
    data = read_file(lab["file"])
    if lab["member"]:
        name = lab["file"]
        for part in lab["member"].split("!"):
            members = container_members(name, data)
            if part not in members:
                raise KeyError(f"no member {part!r} in {name}")
            data, name = members[part], part
    elif lab["file"].endswith(".gz") and not lab["file"].endswith(".tar.gz"):
        data = gzip.decompress(data)
    return data


def unit_text(lab):
    data = unit_bytes(lab)
    if lab["cell"] is not None:
        return notebook_text(data, lab["cell"], lab["part"])
    return data.decode("utf-8")


def line_spans(text):
    spans, start = [], 0
    for ln in text.split("\n"):
        spans.append((start, start + len(ln)))
        start += len(ln) + 1
    return spans


def check_one(lab, text_cache):
    for k in KEYS:
        if k not in lab:
            return f"missing field {k}"
    if set(lab) - set(KEYS):
        return f"unknown fields {sorted(set(lab) - set(KEYS))}"
    if lab["kind"] not in KINDS:
        return f"bad kind {lab['kind']}"
    if not lab["file"].startswith("corpus/"):
        return "file must start with corpus/"
    if not isinstance(lab["value"], str) or not lab["value"]:
        return "empty value"
    if (lab["cell"] is None) != (lab["part"] is None):
        return "cell and part go together"
    if lab["part"] not in (None, "source", "output"):
        return f"bad part {lab['part']}"
    if (lab["line"] is None) == (lab["offset"] is None):
        return "exactly one of line and offset"
    if lab["offset"] is not None:
        data = unit_bytes(lab)
        v = lab["value"].encode()
        if data[lab["offset"]:lab["offset"] + len(v)] != v:
            return f"value not at offset {lab['offset']}"
        return None
    key = (lab["file"], lab["member"], lab["cell"], lab["part"])
    if key not in text_cache:
        text = unit_text(lab)
        text_cache[key] = (text, line_spans(text))
    text, spans = text_cache[key]
    if not 1 <= lab["line"] <= len(spans):
        return f"line {lab['line']} out of range (1..{len(spans)})"
    lo, hi = spans[lab["line"] - 1]
    pos = text.find(lab["value"], lo)
    if pos == -1 or pos > hi:
        return f"value not on line {lab['line']}"
    return None


# ---------------------------------------------------------------- lint

LINT = [
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("ipv4", re.compile(r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w.])")),
    ("token", re.compile(r"(?:AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[abpr]-|[sprk]k_(?:live|test)_|sk-|hf_|"
                         r"r8_|AIza|SG\.|dckr_pat_|shpat_|npm_|pypi-)[\w.-]{8,}")),
    ("jwt", re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]+-----")),
    ("hex", re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32,}(?![0-9A-Za-z])")),
    ("uuid", re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")),
    ("base64", re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")),
    ("phone", re.compile(r"(?<![\w.:/-])(?:\+\d{1,3}[ -]?)?\(?\d{2,4}\)?[ -]\d{3,4}[ -]\d{3,4}(?![\w.:-])|"
                         r"(?<![\w.#])\d{9,15}(?![\w.])")),
    ("card", re.compile(r"(?<![\w.])\d{4}[ -]?\d{4,6}[ -]?\d{4,5}(?:[ -]?\d{1,4})?(?![\w.])")),
    ("ssn", re.compile(r"(?<![\w-])\d{3}[- ]\d{2}[- ]\d{4}(?![\w-])")),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")),
    ("nino", re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")),
    ("pan", re.compile(r"\b[A-Z]{5}\d{4}[A-Z]\b")),
    ("assign", re.compile(r"(?i)(?:pass(?:word|wd)?|secret|token|api[_-]?key|auth|credential)[\w.-]*"
                          r"[\"']?\s*(?:[:=]|=>|:=)\s*[\"']?([^\s\"',;}]{12,})")),
]


def entropy(s):
    counts = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def lint_units(corpus_dir):
    """Yield (file, member, cell, part, text) for every text unit of the corpus."""
    for root, dirs, files in os.walk(corpus_dir):
        dirs.sort()
        for fn in sorted(files):
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, HERE)
            with open(path, "rb") as f:
                data = f.read()
            yield from expand(rel, None, fn, data)


def expand(rel, member, name, data):
    if name.endswith((".zip", ".tar.gz", ".tgz", ".tar")):
        for m, d in sorted(container_members(name, data).items()):
            yield from expand(rel, m if member is None else member + "!" + m, m, d)
        return
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # binary: labelled by offset
    if name.endswith(".ipynb"):
        nb = json.loads(text)
        for i in range(len(nb["cells"])):
            for part in ("source", "output"):
                yield rel, member, i, part, notebook_text(data, i, part)
        return
    yield rel, member, None, None, text


def lint(labels):
    by_unit = {}
    for lab in labels:
        if lab["line"] is not None:
            by_unit.setdefault((lab["file"], lab["member"], lab["cell"], lab["part"]), {}) \
                .setdefault(lab["line"], []).append(lab["value"])
    warnings = 0
    for rel, member, cell, part, text in lint_units(os.path.join(HERE, "corpus")):
        labelled = by_unit.get((rel, member, cell, part), {})
        for n, line in enumerate(text.split("\n"), 1):
            covered = []
            for v in labelled.get(n, []):
                first = v.split("\n", 1)[0]
                i = line.find(first)
                while i != -1:
                    covered.append((i, i + len(first)))
                    i = line.find(first, i + 1)
                if not covered and len(v.split("\n")) > 1:
                    covered.append((0, len(line)))
            # continuation lines of multi-line labelled values (PEM bodies) are covered too
            for ln, vals in labelled.items():
                for v in vals:
                    k = v.count("\n")
                    if k and ln < n <= ln + k:
                        covered.append((0, len(line)))
            for what, rx in LINT:
                for m in rx.finditer(line):
                    s, e = m.span(1) if what == "assign" else m.span()
                    if what == "assign" and entropy(m.group(1)) < 3.5:
                        continue
                    if any(a < e and s < b for a, b in covered):
                        continue
                    loc = rel + (f" [{member}]" if member else "") + (f" cell {cell} {part}" if cell is not None else "")
                    print(f"lint: {loc}:{n}: {what}: {line[s:e][:80]}")
                    warnings += 1
    return warnings


def main():
    with open(os.path.join(HERE, "labels.json")) as f:
        labels = json.load(f)
    failures, text_cache = 0, {}
    for i, lab in enumerate(labels):
        try:
            err = check_one(lab, text_cache)
        except Exception as e:  # noqa: BLE001
            err = f"{type(e).__name__}: {e}"
        if err:
            failures += 1
            print(f"FAIL label {i}: {err}: {json.dumps(lab)[:300]}")
    kinds_at = {}
    for lab in labels:
        key = (lab["file"], lab["member"], lab["cell"], lab["part"], lab["line"], lab["offset"])
        kinds_at.setdefault(key, set()).add(lab["kind"] == "decoy")
    for key, v in kinds_at.items():
        if len(v) > 1:
            failures += 1
            print(f"FAIL decoy and planted item on the same line: {key}")
    counts = {}
    for lab in labels:
        counts[lab["kind"]] = counts.get(lab["kind"], 0) + 1
    files = {lab["file"] for lab in labels}
    print(f"{len(labels)} labels in {len(files)} files ("
          + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) + f"): {failures} failures")
    if "--lint" in sys.argv[1:]:
        print(f"{lint(labels)} lint warnings")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
