#!/usr/bin/env python3
"""Generate the synthetic hospital-readmission dataset for the bulwark example.

Every row is invented by a seeded pseudo-random generator; no record describes
a real person. The clean dataset deliberately carries no names, e-mail
addresses, phone numbers or national identifiers.

Writes (relative to this file's directory):
    data/patients.csv            2,000 patients (seed 20240601)
    data/patients_reference.csv    500 patients from the same distribution
                                   (seed 20240602), kept for drift checks

Python 3 standard library only. Output is byte-identical from run to run:
fixed seeds, fixed row order, fixed number formatting, "\\n" line endings.

Usage: python3 generate_data.py [--out-dir DIR]
"""

import argparse
import csv
import datetime
import math
import os
import random

MAIN_SEED = 20240601
REFERENCE_SEED = 20240602
MAIN_ROWS = 2000
REFERENCE_ROWS = 500
MAIN_ID_START = 1          # P000001 .. P002000
REFERENCE_ID_START = 900001  # P900001 .. P900500, never collides with the main set

COLUMNS = [
    "patient_id",
    "age",
    "sex",
    "admission_type",
    "length_of_stay_days",
    "num_prior_admissions",
    "num_medications",
    "num_diagnoses",
    "hba1c",
    "discharge_disposition",
    "primary_diagnosis_icd10",
    "admit_date",
    "readmitted_30d",
]

# Primary diagnosis: (ICD-10-CM code, sampling weight, readmission log-odds shift,
# typical extra length of stay in days, is a diabetes code).
DIAGNOSES = [
    ("I50.9", 14, 0.55, 1.5, False),   # heart failure, unspecified
    ("J44.1", 11, 0.45, 1.0, False),   # COPD with acute exacerbation
    ("J18.9", 12, 0.10, 1.0, False),   # pneumonia, unspecified organism
    ("A41.9", 7, 0.35, 3.0, False),    # sepsis, unspecified organism
    ("E11.65", 8, 0.30, 0.5, True),    # type 2 diabetes with hyperglycaemia
    ("N17.9", 6, 0.35, 1.5, False),    # acute kidney failure, unspecified
    ("I21.4", 6, 0.20, 1.0, False),    # NSTEMI
    ("I48.91", 7, 0.05, 0.0, False),   # atrial fibrillation, unspecified
    ("I63.9", 5, 0.25, 3.5, False),    # cerebral infarction, unspecified
    ("N39.0", 9, -0.10, -0.5, False),  # urinary tract infection
    ("K57.92", 5, -0.20, 0.0, False),  # diverticulitis of intestine
    ("M16.11", 6, -0.90, -1.0, False), # primary osteoarthritis, right hip (elective)
    ("K80.20", 4, -0.60, -1.0, False), # gallstones without obstruction (elective)
]

ADMISSION_TYPES = [("Emergency", 66), ("Urgent", 22), ("Elective", 12)]
ADMISSION_LOGODDS = {"Emergency": 0.25, "Urgent": 0.10, "Elective": -0.45}
ELECTIVE_DIAGNOSES = {"M16.11", "K80.20"}

# Discharge disposition: sampling weight depends on age (see _disposition).
DISPOSITION_LOGODDS = {
    "home": -0.25,
    "home_health": 0.15,
    "skilled_nursing": 0.55,
    "rehab": 0.20,
    "against_medical_advice": 1.10,
}

DATE_START = datetime.date(2023, 1, 1)
DATE_DAYS = 731  # 2023-01-01 .. 2024-12-31

INTERCEPT = -2.95
EFFECT_SCALE = 1.3  # strength of the learnable signal relative to chance


def _clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def _poisson(rng, lam):
    """Knuth's method; fine for the small means used here."""
    limit = math.exp(-lam)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _weighted(rng, pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return rng.choices(values, weights=weights, k=1)[0]


def _disposition(rng, age, adm_type):
    old = _clamp((age - 50) / 40.0, 0.0, 1.0)
    pairs = [
        ("home", 60 - 35 * old),
        ("home_health", 14 + 8 * old),
        ("skilled_nursing", 4 + 22 * old),
        ("rehab", 6 + 5 * old + (6 if adm_type == "Elective" else 0)),
        ("against_medical_advice", 3.0 if age < 65 else 0.8),
    ]
    return _weighted(rng, pairs)


def make_patient(rng, pid):
    code, _, dx_logodds, dx_los, diabetic_dx = _weighted(
        rng, [(d, d[1]) for d in DIAGNOSES])

    if code in ELECTIVE_DIAGNOSES:
        adm_type = "Elective" if rng.random() < 0.85 else "Urgent"
    else:
        adm_type = _weighted(rng, ADMISSION_TYPES)

    age = int(round(_clamp(rng.gauss(66, 15), 18, 97)))
    sex = "F" if rng.random() < 0.52 else "M"

    num_diagnoses = int(_clamp(3 + _poisson(rng, 2.0 + 0.05 * (age - 40)), 1, 16))
    num_prior = int(_clamp(_poisson(rng, 0.25 + 0.012 * max(age - 40, 0)
                                    + (0.6 if dx_logodds > 0.3 else 0.0)), 0, 12))
    num_medications = int(_clamp(round(rng.gauss(4 + 1.3 * num_diagnoses
                                                 + 0.06 * (age - 40), 3.0)), 1, 45))

    los_mean = 3.2 + dx_los + 0.03 * (age - 60) + (0.8 if adm_type == "Emergency" else 0.0)
    los = int(_clamp(round(rng.lognormvariate(math.log(max(los_mean, 1.2)), 0.45)), 1, 30))

    diabetic = diabetic_dx or rng.random() < 0.28
    hba1c_measured = diabetic_dx or rng.random() < (0.80 if diabetic else 0.55)
    if diabetic:
        hba1c = _clamp(rng.gauss(8.4 if diabetic_dx else 7.4, 1.4), 5.6, 14.0)
    else:
        hba1c = _clamp(rng.gauss(5.4, 0.35), 4.3, 6.4)

    disposition = _disposition(rng, age, adm_type)
    admit_date = DATE_START + datetime.timedelta(days=rng.randrange(DATE_DAYS))

    logit = INTERCEPT + EFFECT_SCALE * (
        dx_logodds
        + ADMISSION_LOGODDS[adm_type]
        + DISPOSITION_LOGODDS[disposition]
        + 0.018 * (age - 65)
        + 0.07 * (los - 5)
        + 0.38 * num_prior
        + 0.025 * (num_medications - 12)
        + 0.06 * (num_diagnoses - 6)
        + (0.45 if hba1c_measured and hba1c >= 9.0 else 0.0))
    p = 1.0 / (1.0 + math.exp(-logit))
    readmitted = 1 if rng.random() < p else 0

    return {
        "patient_id": "P%06d" % pid,
        "age": str(age),
        "sex": sex,
        "admission_type": adm_type,
        "length_of_stay_days": str(los),
        "num_prior_admissions": str(num_prior),
        "num_medications": str(num_medications),
        "num_diagnoses": str(num_diagnoses),
        "hba1c": ("%.1f" % hba1c) if hba1c_measured else "",
        "discharge_disposition": disposition,
        "primary_diagnosis_icd10": code,
        "admit_date": admit_date.isoformat(),
        "readmitted_30d": str(readmitted),
    }


def write_dataset(path, seed, rows, id_start):
    rng = random.Random(seed)
    records = [make_patient(rng, id_start + i) for i in range(rows)]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(records)
    os.replace(tmp, path)
    positives = sum(int(r["readmitted_30d"]) for r in records)
    print("wrote %s: %d rows, readmitted_30d rate %.3f"
          % (os.path.relpath(path), rows, positives / rows))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(here, "data"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    write_dataset(os.path.join(args.out_dir, "patients.csv"),
                  MAIN_SEED, MAIN_ROWS, MAIN_ID_START)
    write_dataset(os.path.join(args.out_dir, "patients_reference.csv"),
                  REFERENCE_SEED, REFERENCE_ROWS, REFERENCE_ID_START)


if __name__ == "__main__":
    main()
