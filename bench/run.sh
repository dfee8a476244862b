#!/usr/bin/env bash
# bench/run.sh - run every benchmark script in bench/ (what `make bench` calls).
# Each script builds what it needs, checks its results and writes bench/out/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
status=0
for s in "$here"/*.sh; do
  [ "$(basename "$s")" = run.sh ] && continue
  echo "== $(basename "$s")" >&2
  bash "$s" || { echo "run.sh: $(basename "$s") failed" >&2; status=1; }
done
exit $status
