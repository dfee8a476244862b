#!/usr/bin/env bash
# ledger.sh - the ledger's speed bars (issue 7): >= 50,000 appends/s batched on SQLite (each batch
# P-256-signed with a checkpoint), `ledger verify` of 1,000,000 entries under 5 s, an inclusion
# proof under 1 ms. The ledger file is written where TMPDIR points (a disk, not tmpfs, by default).
# usage: bench/ledger.sh [BUILD_DIR] [ENTRIES] [BATCH]    (defaults: build-release, 1000000, 1000)
set -eu
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$src/build-release}
entries=${2:-1000000}
batch=${3:-1000}
ninja -C "$build" bench/bench_ledger >/dev/null
work=$(mktemp -d "${TMPDIR:-/var/tmp}/bw-bench-ledger.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== ledger: $entries entries in batches of $batch ($work)"
"$build/bench/bench_ledger" "$work" "$entries" "$batch"
