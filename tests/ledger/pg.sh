#!/usr/bin/env bash
# pg.sh - the ledger on PostgreSQL against a real server (issue 7): start a throwaway server on
# 127.0.0.1 (a free port, scram-sha-256 password auth, its socket and data in a temporary
# directory), run test_ledger_pg against it, then the CLI (init --store, ledger add/log/verify/
# proof --store, $BULWARK_LEDGER, the project's config, sign and verify recording into it), and
# stop the server on every exit path. TAP output; skipped when PostgreSQL's binaries are absent.
# As root (CI, containers) the server runs as the postgres user (or nobody): initdb refuses root.
# usage: pg.sh TEST_LEDGER_PG BULWARK [CRASH_DRIVER]
set -u
test_bin=$1
bw=$2
crash_driver=${3:-}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pgserver.sh
. "$here/pgserver.sh"
if ! pg_find; then
    echo "1..0 # SKIP PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (scripts/deps.sh installs them)"
    exit 0
fi
bindir=$pg_bindir
# tmpfs when there is one; as root, a place the server's user can reach
base_tmp=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base_tmp=/dev/shm
[ "$(id -u)" -ne 0 ] && base_tmp=${TMPDIR:-$base_tmp}
work=$(mktemp -d "$base_tmp/bw-pg.XXXXXX") || exit 2
cleanup() {
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

n=0
fail=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
flunk() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
    local what=$1
    shift
    if "$@" >"$work/out" 2>&1; then pass "$what"; else flunk "$what"; sed 's/^/# /' "$work/out"; fi
}

if ! pg_start "$work/server"; then
    echo "1..1"
    echo "not ok 1 - the PostgreSQL server did not start"
    cat "$work/server/initdb.log" "$pg_log" 2>/dev/null | sed 's/^/# /'
    exit 1
fi
port=$pg_port
url=$pg_url
password=$pg_password
password_url=$pg_password_url
mkdir -p "$work/cli"
pass "a PostgreSQL server ($("$bindir/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port with password auth"

# merge TAP_FILE: its test lines renumbered into ours, its plan dropped, the rest as comments
merge() {
    awk -v n="$n" -v count="$work/count" '
        /^ok [0-9]+/ { sub(/^ok [0-9]+/, "ok " ++n); print; next }
        /^not ok [0-9]+/ { sub(/^not ok [0-9]+/, "not ok " ++n); print; next }
        /^1\.\./ { next }
        { print "# " $0 }
        END { print n > count }' "$1"
    n=$(cat "$work/count")
    if grep -q '^not ok' "$1"; then fail=1; fi
}

# --- the library suite --------------------------------------------------------------------------
BULWARK_TEST_PG=$url BULWARK_TEST_PG_PASSWORD=$password "$test_bin" >"$work/unit.out" 2>&1
unit_rc=$?
merge "$work/unit.out"
[ "$unit_rc" -eq 0 ] || flunk "test_ledger_pg exited with $unit_rc"

# --- a writer killed mid-append (SIGKILL) 10 times: the ledger verifies, with only whole batches ---
if [ -n "$crash_driver" ]; then
    bash "$here/crash.sh" "$crash_driver" 10 "$(pg_schema crash)" >"$work/crash.out" 2>&1
    crash_rc=$?
    merge "$work/crash.out"
    [ "$crash_rc" -eq 0 ] || flunk "crash.sh on PostgreSQL exited with $crash_rc"
fi

# --- the CLI ----------------------------------------------------------------------------------------
cli_url() { pg_schema "$1"; }
export BULWARK_ACTOR=ci TZ=UTC LC_ALL=C BULWARK_KDF_OPS=1 BULWARK_KDF_MEM=8M
export XDG_STATE_HOME=$work/xdg-state XDG_CACHE_HOME=$work/xdg-cache # witness checkpoints, cache key
unset BULWARK_DIR BULWARK_LEDGER BULWARK_LEDGER_NOTE_KEY
D=$(printf 'a%.0s' $(seq 64))
s1=$(cli_url cli1)
all=$work/all-output # everything the CLI printed: the password must never be in it
: >"$all"
bwr() { # bwr OUT_FILE ARGS...: run bulwark, keep stdout+stderr in OUT_FILE and in $all, return its status
    local out=$1
    shift
    "$bw" "$@" >"$out" 2>&1
    local rc=$?
    cat "$out" >>"$all"
    return $rc
}
mkdir -p "$work/cli/p1/model" "$work/cli/p2" "$work/cli/p3" && cd "$work/cli/p1" || exit 2
git init -q . 2>/dev/null

bwr "$work/o" init --store "$s1" --origin team.example/ledger
rc=$?
if [ $rc -eq 0 ] && grep -q "ledger:   postgresql://bulwark:\*\*\*@127.0.0.1:$port/postgres" "$work/o" &&
    grep -q "origin team.example/ledger" "$work/o"; then
    pass "init --store URL makes the ledger on the server, the URL shown without its password"
else
    flunk "init --store (rc $rc)"; sed 's/^/# /' "$work/o"
fi
check "init: .bulwark 0700, config and note key 0600, keys/ made" \
    test "$(stat -c %a .bulwark .bulwark/config .bulwark/ledger.note-key .bulwark/keys | tr '\n' ' ')" = "700 600 600 700 "
check "init records the store in .bulwark/config" grep -qxF "store = $s1" .bulwark/config
before=$(find .bulwark -type f -exec sha256sum {} + | sort)
bwr "$work/o" init --store "$s1"
rc=$?
if [ $rc -eq 0 ] && grep -q "already initialised" "$work/o" && [ "$(find .bulwark -type f -exec sha256sum {} + | sort)" = "$before" ]; then
    pass "a second init says it is already initialised, exits 0 and changes nothing"
else
    flunk "second init (rc $rc)"; sed 's/^/# /' "$work/o"
fi
bwr "$work/o" init --store "postgresql://other@127.0.0.1:$port/postgres"
check "init with another store than the one recorded is refused (exit 2)" test $? -eq 2

check "ledger add records into the configured PostgreSQL ledger" \
    bwr "$work/o" ledger add --kind artifact --name m1 --digest "sha256:$D" --time 2026-11-24T10:00:00Z
bwr "$work/o" key new rel --no-passphrase
printf 'weights' >model/w.bin
check "sign records into it (an artifact entry signed by the key)" bwr "$work/o" sign --key rel model
check "verify records into it (a gate entry)" bwr "$work/o" verify --key rel model
check "digest --record records into it" bwr "$work/o" digest --record model/w.bin
bwr "$work/o" ledger log
if [ "$(wc -l <"$work/o")" -eq 5 ] && grep -q "artifact.*m1" "$work/o" && grep -q "gate" "$work/o"; then
    pass "ledger log shows the 5 entries (key, model, gate, file) from the server"
else
    flunk "ledger log"; sed 's/^/# /' "$work/o"
fi
bwr "$work/o" ledger verify
check "ledger verify passes: 5 entries, checkpoints checked with the project's note key" \
    grep -q "ledger: 5 entries in 4 batches (1 signed, 3 unsigned), 4 checkpoints, 1 keys" "$work/o"
check "ledger proof --inclusion" bwr "$work/o" ledger proof --inclusion 2
check "ledger checkpoint names the origin" grep -q team.example/ledger <("$bw" ledger checkpoint)

# elsewhere: --store and $BULWARK_LEDGER, the team's note key by --note-key-file / $BULWARK_LEDGER_NOTE_KEY
cd "$work/cli/p3" || exit 2
check "ledger add --store URL --note-key-file FILE from another directory" \
    bwr "$work/o" ledger add --store "$s1" --note-key-file ../p1/.bulwark/ledger.note-key --kind artifact \
    --name m2 --digest "sha256:$D"
BULWARK_LEDGER=$s1 BULWARK_LEDGER_NOTE_KEY=../p1/.bulwark/ledger.note-key bwr "$work/o" ledger verify
check "\$BULWARK_LEDGER and \$BULWARK_LEDGER_NOTE_KEY: verify passes with 6 entries" grep -q "ledger: 6 entries" "$work/o"
bwr "$work/o" ledger verify --store "$s1"
rc=$?
check "verify --store without the note key: passes, and says the ledger's own key was used" \
    test $rc -eq 0 -a -n "$(grep 'key the ledger records' "$work/o")"
check "no .bulwark was made where only --store was used" test ! -e .bulwark

# a second team member: init finds the ledger signed with a note key it does not hold
cd "$work/cli/p2" || exit 2
bwr "$work/o" init --store "$s1"
check "a second member's init keeps the ledger and asks for the team's note key" \
    grep -q "copy the team's note key" "$work/o"
bwr "$work/o" ledger add --kind artifact --name m3 --digest "sha256:$D"
rc=$?
check "without it, recording is refused (exit 2) and says why" test $rc -eq 2 -a -n "$(grep 'does not hold' "$work/o")"
cp ../p1/.bulwark/ledger.note-key .bulwark/ledger.note-key
check "with the team's note key, the second member records" \
    bwr "$work/o" ledger add --kind artifact --name m3 --digest "sha256:$D"

# tampering on the server, wrong credentials
"$bindir/psql" -qX "$url" -c "UPDATE cli1.entries SET body = set_byte(body, 10, get_byte(body, 10) # 1) WHERE idx = 1" >/dev/null
bwr "$work/o" ledger verify
check "a byte changed on the server: ledger verify exits 1" test $? -eq 1
bwr "$work/o" ledger verify --store "postgresql://bulwark:Wr0ng@127.0.0.1:$port/postgres"
rc=$?
check "a wrong password: exit 2, shown as ***" test $rc -eq 2 -a -n "$(grep -F 'bulwark:***@' "$work/o")"
if grep -qF -e "$password" -e "$password_url" -e Wr0ng "$all"; then
    flunk "a password appeared in the CLI's output"; grep -F -e "$password" -e "$password_url" -e Wr0ng "$all" | sed 's/^/# /'
else
    pass "no password in anything the CLI printed ($(wc -l <"$all") lines)"
fi

echo "1..$n"
exit $fail
