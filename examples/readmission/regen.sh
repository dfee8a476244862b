#!/bin/sh
# Regenerate the committed data and model of the readmission example.
# Deterministic: running it again must reproduce every output byte for byte.
set -eu
cd "$(dirname "$0")"
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
"$PY" generate_data.py
"$PY" train.py
