#!/usr/bin/env bash
# Pull the raw admissions extracts for the nightly training run.
set -euo pipefail

export KAGGLE_USERNAME=stmarys-ml
export KAGGLE_KEY=98a605d7f895dd86612d482fdc77f198
export AWS_ACCESS_KEY_ID=AKIATNIZ62GRU7TPA5QR
export AWS_SECRET_ACCESS_KEY=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
export AWS_DEFAULT_REGION=eu-west-2

mkdir -p data/raw
kaggle datasets download -d stmarys/readmission-public -p data/raw --unzip
aws s3 cp s3://stmarys-readmission-raw/extracts/admissions.csv data/raw/admissions.csv

curl -fsS -u "etl:6hTBFbslsdBxytvW8_pPC6O" https://warehouse.stmarys-readmission.org/export/discharges.csv -o data/raw/discharges.csv
wget -q -O data/raw/labs.csv "https://stmarysrawdata.blob.core.windows.net/raw/labs.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-06-30T23:59:59Z&spr=https&sig=f9Fh%2FFQZACfNvMLXJDJPnVQju5bT9W2n4Ef4nH%2FqwGk%3D"

echo "b5aeda6f80ba14828a0e9c8bd12df3db1e000261a64ea0969aac56bb25d38083  data/raw/admissions.csv" | sha256sum -c -
