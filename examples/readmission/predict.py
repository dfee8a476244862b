#!/usr/bin/env python3
"""Score patients with the trained readmission model.

Reads a CSV with the columns of data/patients.csv (the readmitted_30d label
is optional) and writes patient_id, readmission_risk (probability, 4 decimals)
and predicted_readmit (0/1) as CSV to standard output or --out.

Usage: python3 predict.py [CSV] [--model model/readmission_model.pkl]
                          [--threshold 0.5] [--out FILE]

SECURITY NOTE - the model file is a pickle.
Unpickling runs whatever the byte stream tells it to: a pickle can import any
module and call any function (os.system, subprocess, eval, ...) the moment it
is loaded. Pickle is still what much of the ML ecosystem ships, which is
exactly why bulwark's model scanner exists. In a deployment:

  * `bulwark scan` of the model file MUST pass before this script loads it,
    and the file's digest/signature should match what the training stage
    recorded (model/metrics.json carries its sha256);
  * as a second line of defence, load_model() below uses an Unpickler that
    refuses every global lookup. This model is a plain dict of lists, floats,
    strings and an int, so it needs none; anything that tries to import a
    callable is rejected. That narrows the attack surface; it does not replace
    the scan (the file is still untrusted input to a complex parser).
"""

import argparse
import csv
import hashlib
import io
import os
import pickle
import sys

from features import encode, read_csv, score

EXPECTED_KEYS = {"bias", "features", "means", "stds", "version", "weights"}
SUPPORTED_VERSION = 1


class NoGlobalsUnpickler(pickle.Unpickler):
    """Unpickler that refuses to resolve any module attribute (GLOBAL,
    STACK_GLOBAL, and thus REDUCE/NEWOBJ/BUILD on imported objects)."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(
            "refusing to load %s.%s: the readmission model holds builtin types "
            "only; run `bulwark scan` on this file" % (module, name))


def load_model(path):
    # bulwark scan must pass on `path` before this function is called.
    with open(path, "rb") as f:
        blob = f.read()
    model = NoGlobalsUnpickler(io.BytesIO(blob)).load()

    if not isinstance(model, dict) or set(model) != EXPECTED_KEYS:
        raise ValueError("%s: not a readmission model (unexpected structure)" % path)
    if model["version"] != SUPPORTED_VERSION:
        raise ValueError("%s: unsupported model version %r" % (path, model["version"]))
    n = len(model["features"])
    for key in ("weights", "means", "stds"):
        if len(model[key]) != n or not all(isinstance(v, float) for v in model[key]):
            raise ValueError("%s: %s must be %d floats" % (path, key, n))
    if not all(isinstance(v, str) for v in model["features"]):
        raise ValueError("%s: feature names must be strings" % path)
    if not isinstance(model["bias"], float):
        raise ValueError("%s: bias must be a float" % path)
    return model, hashlib.sha256(blob).hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="?", default=os.path.join(here, "data", "patients_reference.csv"))
    ap.add_argument("--model", default=os.path.join(here, "model", "readmission_model.pkl"))
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", help="output CSV (default: standard output)")
    args = ap.parse_args()

    model, digest = load_model(args.model)
    rows = read_csv(args.csv)
    X = encode(rows, model["features"], model["means"], model["stds"])
    risks = [score(x, model["weights"], model["bias"]) for x in X]

    out = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout
    try:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["patient_id", "readmission_risk", "predicted_readmit"])
        for r, p in zip(rows, risks):
            w.writerow([r["patient_id"], "%.4f" % p, 1 if p >= args.threshold else 0])
    finally:
        if args.out:
            out.close()

    flagged = sum(1 for p in risks if p >= args.threshold)
    summary = "scored %d patients with model sha256 %s; %d flagged (risk >= %.2f)" % (
        len(rows), digest[:12], flagged, args.threshold)
    if rows and "readmitted_30d" in rows[0]:
        correct = sum(1 for r, p in zip(rows, risks)
                      if (p >= args.threshold) == (r["readmitted_30d"] == "1"))
        summary += "; accuracy against readmitted_30d %.4f" % (correct / len(rows))
    print(summary, file=sys.stderr)


if __name__ == "__main__":
    main()
