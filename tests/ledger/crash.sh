#!/usr/bin/env bash
# crash.sh - kill a ledger writer with SIGKILL at random moments; after each kill the ledger must
# verify and hold only whole batches (tests/ledger/crash_driver.c). TAP output.
# usage: crash.sh CRASH_DRIVER [ROUNDS [TARGET]]   (TARGET: an empty store's URL; default a SQLite file)
set -u
driver=$1
rounds=${2:-25}
work=$(mktemp -d "${TMPDIR:-/tmp}/bw-crash.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
db=${3:-$work/ledger.db}
export CRASH_NOTE=$work/ledger.note
"$driver" init "$db" || { echo "1..0 # SKIP driver init failed"; exit 1; }
echo "1..$((rounds + 1))"
fail=0
last=0
grew=0
for i in $(seq 1 "$rounds"); do
    "$driver" append "$db" 2>"$work/err" &
    pid=$!
    # 20-400 ms: kills land anywhere in an append, a commit or a WAL checkpoint
    sleep "0.$(printf '%03d' $((RANDOM % 380 + 20)))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    out=$("$driver" check "$db")
    if [ $? -eq 0 ]; then
        n=$(echo "$out" | awk '{print $2}')
        [ "$n" -gt "$last" ] && grew=$((grew + 1))
        last=$n
        echo "ok $i - killed mid-append; $out (entries, batches)"
    else
        echo "not ok $i - after kill $i: $out"; cat "$work/err"
        fail=1
    fi
done
if [ "$grew" -ge $((rounds / 2)) ]; then
    echo "ok $((rounds + 1)) - the ledger grew in $grew of $rounds rounds (appends were under way when killed)"
else
    echo "not ok $((rounds + 1)) - the ledger grew in only $grew of $rounds rounds"; fail=1
fi
exit $fail
