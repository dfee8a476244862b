#!/usr/bin/env bash
# pg.sh - the ledger on PostgreSQL against a real server (issue 7): start a throwaway server on
# 127.0.0.1 (a free port, scram-sha-256 password auth, its socket and data in a temporary
# directory), run test_ledger_pg against it, then the CLI (init --store, ledger add/log/verify/
# proof --store, $BULWARK_LEDGER, the project's config, sign and verify recording into it), and
# stop the server on every exit path. TAP output; skipped when PostgreSQL's binaries are absent.
# As root (CI, containers) the server runs as the postgres user (or nobody): initdb refuses root.
# usage: pg.sh TEST_LEDGER_PG BULWARK
set -u
test_bin=$1
bw=$2

bindir=
for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && bindir=$d
done
if [ -z "$bindir" ]; then
    echo "1..0 # SKIP PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (scripts/deps.sh installs them)"
    exit 0
fi

# run the server's programs as an unprivileged user when we are root
as_pg=()
owner=
if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    id -u postgres >/dev/null 2>&1 || owner=nobody
    as_pg=(runuser -u "$owner" --)
fi
# tmpfs when there is one; a place the server's user can reach
base_tmp=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base_tmp=/dev/shm
[ -z "$owner" ] && base_tmp=${TMPDIR:-$base_tmp}
work=$(mktemp -d "$base_tmp/bw-pg.XXXXXX") || exit 2
mkdir -p "$work/data" "$work/cli"
[ -n "$owner" ] && chown "$owner" "$work" "$work/data"

started=0
cleanup() {
    if [ "$started" -eq 1 ]; then
        "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1
    fi
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

# a password with characters a URL must percent-encode
hex=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
password="Pw:${hex}/x"
password_url="Pw%3A${hex}%2Fx"
printf '%s\n' "$password" >"$work/pw"
[ -n "$owner" ] && chown "$owner" "$work/pw"
if ! "${as_pg[@]}" "$bindir/initdb" -D "$work/data" -U bulwark --pwfile="$work/pw" --auth=scram-sha-256 \
    -E UTF8 --locale=C >"$work/initdb.log" 2>&1; then
    echo "1..1"
    echo "not ok 1 - initdb failed"
    sed 's/^/# /' "$work/initdb.log"
    exit 1
fi
rm -f "$work/pw"
# a free port: try a few at random (pg_ctl -w fails when the port is taken)
port=
for _ in 1 2 3 4 5 6 7 8; do
    p=$((20000 + RANDOM % 40000))
    if "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $p -k $work -c fsync=off -c full_page_writes=off" \
        start >/dev/null 2>&1; then
        port=$p
        started=1
        break
    fi
done
if [ -z "$port" ]; then
    echo "1..1"
    echo "not ok 1 - the PostgreSQL server did not start"
    sed 's/^/# /' "$work/server.log" 2>/dev/null
    exit 1
fi
pass "a PostgreSQL server ($("$bindir/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port with password auth"
url="postgresql://bulwark:${password_url}@127.0.0.1:${port}/postgres?gssencmode=disable"

# --- the library suite: its TAP lines renumbered into ours ----------------------------------------
BULWARK_TEST_PG=$url BULWARK_TEST_PG_PASSWORD=$password "$test_bin" >"$work/unit.out" 2>&1
unit_rc=$?
awk -v n="$n" -v count="$work/count" '
    /^ok [0-9]+/ { sub(/^ok [0-9]+/, "ok " ++n); print; next }
    /^not ok [0-9]+/ { sub(/^not ok [0-9]+/, "not ok " ++n); print; next }
    /^1\.\./ { next }
    { print "# " $0 }
    END { print n > count }' "$work/unit.out"
n=$(cat "$work/count")
grep -q '^not ok' "$work/unit.out" && fail=1
[ "$unit_rc" -eq 0 ] || flunk "test_ledger_pg exited with $unit_rc"

# --- the CLI ----------------------------------------------------------------------------------------
cli_url() { # the URL of a ledger in a fresh schema NAME
    "$bindir/psql" -qX "$url" -c "DROP SCHEMA IF EXISTS $1 CASCADE" -c "CREATE SCHEMA $1" >/dev/null 2>&1
    echo "${url}&options=-csearch_path%3D$1"
}
export BULWARK_ACTOR=ci TZ=UTC LC_ALL=C
unset BULWARK_DIR BULWARK_LEDGER BULWARK_LEDGER_NOTE_KEY
cd "$work/cli" || exit 2
s1=$(cli_url cli1)

echo "1..$n"
exit $fail
