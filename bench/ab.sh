#!/usr/bin/env bash
# bench/ab.sh - two builds of bulwark on the same corpus, run in turn, best CPU seconds of each.
#
# Usage: bash bench/ab.sh OLD_BULWARK NEW_BULWARK "scan pii" [RUNS] [CORPUS]
#   RUNS    runs of each (default 5), interleaved: A B A B ... so that a slow moment of a shared
#           machine hits both
#   CORPUS  default $BENCH_SCRATCH/corpus-1G (made by bench/secrets.sh)
# Prints the best user+sys seconds of each and the MB/s per core they give.
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,8p "$0" >&2; exit 2; }
a=$1 b=$2 mode=$3 runs=${4:-5}
corpus=${5:-${BENCH_SCRATCH:-/tmp/bulwark-bench-secrets}/corpus-1G}
[ -d "$corpus" ] || { echo "ab.sh: no corpus at $corpus (run bench/secrets.sh first)" >&2; exit 2; }
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')
t=$(mktemp)
o=$(mktemp) # the report: not /dev/null, which builds before a099dfb replaced with a file when run as root
trap 'rm -f "$t" "$o"' EXIT
best_a=999999 best_b=999999
for ((i = 0; i < runs; i++)); do
  for v in a b; do
    bin=${!v}
    # shellcheck disable=SC2086
    /usr/bin/time -o "$t" -f '%U %S' "$bin" $mode -j1 --format json -o "$o" "$corpus" >/dev/null 2>&1 || true
    s=$(tail -1 "$t" | awk '{print $1 + $2}')
    if [ "$v" = a ]; then
      best_a=$(awk -v x="$s" -v y="$best_a" 'BEGIN { print (x < y) ? x : y }')
    else
      best_b=$(awk -v x="$s" -v y="$best_b" 'BEGIN { print (x < y) ? x : y }')
    fi
  done
done
awk -v m="$mode" -v a="$best_a" -v b="$best_b" -v n="$bytes" \
  'BEGIN { printf "%s: A %.2f s (%.0f MB/s per core)  B %.2f s (%.0f MB/s per core)\n", m, a, n / a / 1e6, b, n / b / 1e6 }'
