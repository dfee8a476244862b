#!/usr/bin/env python3
"""Train the 30-day readmission model (logistic regression, standard library only).

Reads hyperparameters and paths from config/train.json, fits a logistic
regression by full-batch gradient descent (fixed epoch count, zero initial
weights: no randomness at all), prints accuracy and ROC AUC on the training
set and on the reference set, and writes:

    model/readmission_model.pkl  pickle (protocol 4) of a plain dict of builtin
                                 types: weights, bias, features, means, stds,
                                 version
    model/metrics.json           metrics with fixed float formatting

Both outputs are byte-identical from run to run. Parameters are rounded to
10 decimal places before they are stored, and the reported metrics are
computed from the rounded, stored model, so predict.py reproduces them.

Usage: python3 train.py [--config config/train.json]
"""

import argparse
import hashlib
import json
import math
import os
import pickle

from features import encode, feature_names, raw_value, read_csv, score

MODEL_VERSION = 1
PICKLE_PROTOCOL = 4
DECIMALS = 10


def column_stats(rows, names):
    """Mean and (population) standard deviation of every raw feature; an
    empty numeric cell counts as the mean of the present values."""
    means, stds = [], []
    for name in names:
        present = [raw_value(r, name, None) for r in rows]
        present = [v for v in present if v is not None]
        mean = math.fsum(present) / len(present)
        values = [mean if v is None else v
                  for v in (raw_value(r, name, None) for r in rows)]
        var = math.fsum((v - mean) ** 2 for v in values) / len(values)
        std = math.sqrt(var) if var > 0 else 1.0
        means.append(round(mean, DECIMALS))
        stds.append(round(std, DECIMALS))
    return means, stds


def fit(X, y, learning_rate, epochs, l2):
    n, d = len(X), len(X[0])
    w = [0.0] * d
    b = 0.0
    for _ in range(epochs):
        grad_w = [0.0] * d
        grad_b = 0.0
        for x, t in zip(X, y):
            err = score(x, w, b) - t
            grad_b += err
            for j in range(d):
                grad_w[j] += err * x[j]
        b -= learning_rate * grad_b / n
        w = [wj - learning_rate * (gj / n + l2 * wj) for wj, gj in zip(w, grad_w)]
    return w, b


def roc_auc(scores, labels):
    """Probability that a random positive outranks a random negative
    (Mann-Whitney U), ties counted as one half via average ranks."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        avg = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    rank_sum = math.fsum(r for r, t in zip(ranks, labels) if t == 1)
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)


def evaluate(X, y, w, b, threshold):
    p = [score(x, w, b) for x in X]
    correct = sum(1 for pi, t in zip(p, y) if (pi >= threshold) == (t == 1))
    eps = 1e-12
    loss = -math.fsum(t * math.log(max(pi, eps)) + (1 - t) * math.log(max(1 - pi, eps))
                      for pi, t in zip(p, y)) / len(y)
    pos_rate = sum(y) / len(y)
    return {
        "rows": len(y),
        "positive_rate": pos_rate,
        "accuracy": correct / len(y),
        "majority_class_accuracy": max(pos_rate, 1 - pos_rate),
        "auc": roc_auc(p, y),
        "log_loss": loss,
    }


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def to_json(value, indent=0):
    """JSON with sorted keys and every float written as %.4f."""
    pad = "  " * indent
    if isinstance(value, dict):
        items = ['%s  %s: %s' % (pad, json.dumps(k), to_json(value[k], indent + 1))
                 for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, float):
        return "%.4f" % value
    return json.dumps(value)


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=os.path.join(here, "config", "train.json"))
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as f:
        cfg = json.load(f)

    def path(key):
        return os.path.join(here, cfg[key])

    label = cfg["label"]
    train_rows = read_csv(path("train_csv"))
    holdout_rows = read_csv(path("holdout_csv"))

    names = feature_names(train_rows, cfg["numeric_features"], cfg["categorical_features"])
    means, stds = column_stats(train_rows, names)
    X = encode(train_rows, names, means, stds)
    y = [int(r[label]) for r in train_rows]

    w, b = fit(X, y, cfg["learning_rate"], cfg["epochs"], cfg["l2"])
    w = [round(v, DECIMALS) for v in w]
    b = round(b, DECIMALS)

    model = {  # keys in sorted order; builtin types only
        "bias": b,
        "features": names,
        "means": means,
        "stds": stds,
        "version": MODEL_VERSION,
        "weights": w,
    }
    blob = pickle.dumps(model, protocol=PICKLE_PROTOCOL)
    os.makedirs(os.path.dirname(path("model_path")), exist_ok=True)
    write_atomic(path("model_path"), blob)

    train_m = evaluate(X, y, w, b, cfg["threshold"])
    Xh = encode(holdout_rows, names, means, stds)
    yh = [int(r[label]) for r in holdout_rows]
    hold_m = evaluate(Xh, yh, w, b, cfg["threshold"])

    metrics = {
        "model": {
            "path": cfg["model_path"],
            "sha256": hashlib.sha256(blob).hexdigest(),
            "version": MODEL_VERSION,
            "num_features": len(names),
        },
        "training": {
            "learning_rate": float(cfg["learning_rate"]),
            "epochs": cfg["epochs"],
            "l2": float(cfg["l2"]),
            "threshold": float(cfg["threshold"]),
        },
        "train": dict(train_m, path=cfg["train_csv"], sha256=sha256_file(path("train_csv"))),
        "reference": dict(hold_m, path=cfg["holdout_csv"], sha256=sha256_file(path("holdout_csv"))),
    }
    write_atomic(path("metrics_path"), (to_json(metrics) + "\n").encode("utf-8"))

    for split, m in (("train", train_m), ("reference", hold_m)):
        print("%-9s rows=%d accuracy=%.4f (majority baseline %.4f) auc=%.4f log_loss=%.4f"
              % (split, m["rows"], m["accuracy"], m["majority_class_accuracy"],
                 m["auc"], m["log_loss"]))
    print("wrote %s (%d bytes, %d features) and %s"
          % (cfg["model_path"], len(blob), len(names), cfg["metrics_path"]))


if __name__ == "__main__":
    main()
