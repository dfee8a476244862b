#!/usr/bin/env bash
# lineage.sh BUILD_DIR [N] - `bulwark lineage` on a ledger of N stage runs (default 100,000):
# bench_lineage makes the ledger (a chain of runs, each also reading one of 1000 shared datasets,
# a gate every 100 runs) and times the graph build and three queries in the library; then the
# whole CLI command is timed on the same ledger (build + query + output).
set -euo pipefail
build=${1:?usage: lineage.sh BUILD_DIR [N]}
n=${2:-100000}
ninja -C "$build" bench/bench_lineage src/cli/bulwark >/dev/null
dir=$(mktemp -d "${TMPDIR:-/tmp}/bw-lineage-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$build/bench/bench_lineage" "$dir" "$n" | tee "$dir/out"
key=$(sed -n 's/^last output: //p' "$dir/out")
for args in "--upstream --depth 10" "--upstream" "--upstream --format json" "--downstream"; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    BULWARK_DIR=$dir "$build/src/cli/bulwark" lineage $args "$key" >"$dir/cli.out"
    end=$(date +%s.%N)
    printf 'bulwark lineage %-26s %.3f s (%s bytes)\n' "$args" "$(echo "$end - $start" | bc)" "$(wc -c <"$dir/cli.out")"
done
