#!/usr/bin/env bash
# ledger.sh - the ledger's speed bars (issue 7): >= 50,000 appends/s batched on SQLite (each batch
# P-256-signed with a checkpoint), `ledger verify` of 1,000,000 entries under 5 s, an inclusion
# proof under 1 ms. The ledger file is written where TMPDIR points (a disk, not tmpfs, by default).
# With --store pg the same run goes to a throwaway PostgreSQL server on 127.0.0.1 (started here,
# durable: fsync on, its data directory under /var/tmp, stopped on exit; tests/ledger/pgserver.sh);
# --store both runs SQLite, then PostgreSQL, side by side.
# usage: bench/ledger.sh [--store sqlite|pg|both] [BUILD_DIR] [ENTRIES] [BATCH]
#        (defaults: sqlite, build-release, 1000000, 1000)
set -eu
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
store=sqlite
if [ "${1:-}" = "--store" ]; then
    store=$2
    shift 2
fi
build=${1:-$src/build-release}
entries=${2:-1000000}
batch=${3:-1000}
ninja -C "$build" bench/bench_ledger >/dev/null
work=$(mktemp -d "${TMPDIR:-/var/tmp}/bw-bench-ledger.XXXXXX")
# shellcheck source=../tests/ledger/pgserver.sh
. "$src/tests/ledger/pgserver.sh"
trap 'pg_stop; rm -rf "$work"' EXIT
if [ "$store" = sqlite ] || [ "$store" = both ]; then
    echo "== ledger (SQLite): $entries entries in batches of $batch ($work)"
    "$build/bench/bench_ledger" "$work" "$entries" "$batch"
fi
if [ "$store" = pg ] || [ "$store" = both ]; then
    pg_find || { echo "ledger.sh: no PostgreSQL server binaries (scripts/deps.sh)" >&2; exit 2; }
    pg_start "$work/pg" durable || { cat "$work/pg/initdb.log" "$pg_log" >&2; exit 2; }
    echo "== ledger (PostgreSQL $("$pg_bindir/postgres" --version | awk '{print $3}'), loopback TCP, fsync on):" \
        "$entries entries in batches of $batch"
    "$build/bench/bench_ledger" "$(pg_schema bench)" "$entries" "$batch"
fi
