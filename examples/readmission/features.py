"""Feature encoding shared by train.py and predict.py (standard library only).

The model is self-describing: its "features" list names every input column
the weights apply to, and each name says how to compute the value from a CSV
row:

    "age"                       numeric column, parsed as float; an empty cell
                                is replaced by the feature's training mean
    "hba1c_missing"             1.0 if column "hba1c" is empty, else 0.0
    "admission_type=Emergency"  1.0 if column "admission_type" equals
                                "Emergency", else 0.0 (one-hot)

Every feature is then standardised with the stored mean and standard
deviation: (value - mean) / std.
"""

import csv
import math

MISSING_SUFFIX = "_missing"


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def feature_names(rows, numeric, categorical):
    """Feature list for a training set: numeric columns, a missing-value
    indicator for each numeric column with gaps, then one-hot columns for
    every category seen (sorted, so the order never depends on row order)."""
    names = []
    for col in numeric:
        names.append(col)
        if any(r[col] == "" for r in rows):
            names.append(col + MISSING_SUFFIX)
    for col in categorical:
        for value in sorted({r[col] for r in rows}):
            names.append("%s=%s" % (col, value))
    return names


def raw_value(row, name, impute):
    """Unstandardised value of feature `name`; `impute` replaces an empty
    numeric cell."""
    if "=" in name:
        col, value = name.split("=", 1)
        return 1.0 if row[col] == value else 0.0
    if name.endswith(MISSING_SUFFIX) and name not in row:
        return 1.0 if row[name[: -len(MISSING_SUFFIX)]] == "" else 0.0
    cell = row[name]
    return impute if cell == "" else float(cell)


def encode(rows, names, means, stds):
    """Standardised feature matrix (list of lists) for `rows`."""
    out = []
    for r in rows:
        out.append([(raw_value(r, n, m) - m) / s
                    for n, m, s in zip(names, means, stds)])
    return out


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def score(x, weights, bias):
    return sigmoid(bias + math.fsum(w * v for w, v in zip(weights, x)))
