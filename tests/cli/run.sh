#!/usr/bin/env bash
# run.sh - end-to-end tests of the bulwark command, reported as TAP.
#
# Each case is a directory tests/cli/cases/NAME/ holding
#   cmd           a bash snippet (required)
#   expected.out  its exact standard output (required; may be empty)
#   expected.err  its exact standard error (optional: not compared when absent)
#   expected.rc   its exit code (optional: 0 when absent)
#   files/        optional fixtures, copied into the scratch directory first
# The snippet runs in a fresh scratch directory with stdin from /dev/null and
#   BULWARK  the binary under test     SRC     the source root
#   SHARED   the ../shared directory   TERM=dumb, LC_ALL=C, TZ=UTC, NO_COLOR unset.
# A snippet that exits 77 is skipped; the first line of its stdout is the reason.
#
# usage: tests/cli/run.sh [CASE|GLOB...]
# env:   BULWARK (default: build-cli/src/cli/bulwark), BW_SOURCE_ROOT, BW_SHARED_DIR,
#        BW_CLI_UPDATE=1 rewrites the expected files from what the cases do now,
#        BW_CLI_TIMEOUT seconds per case (default 60).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${BW_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
shared=${BW_SHARED_DIR:-$src/../shared}
bin=${BULWARK:-$src/build-cli/src/cli/bulwark}
cases_dir=$here/cases
per_case_timeout=${BW_CLI_TIMEOUT:-60}

case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
if [ -d "$shared" ]; then shared=$(cd "$shared" && pwd); fi
if [ ! -x "$bin" ]; then
    echo "1..0 # SKIP no bulwark binary at '$bin' (set BULWARK)"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bw-cli.XXXXXX") || exit 2
cleanup() {
    chmod -R u+rwx "$work" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The cases to run: all, or those named (or matched by a glob) on the command line.
names=()
for d in "$cases_dir"/*/; do
    d=${d%/}
    n=${d##*/}
    [ -f "$d/cmd" ] || continue
    if [ $# -eq 0 ]; then
        names+=("$n")
        continue
    fi
    for pat in "$@"; do
        # shellcheck disable=SC2053
        if [[ $n == $pat ]]; then
            names+=("$n")
            break
        fi
    done
done
missing=()
for pat in "$@"; do
    found=0
    for n in "${names[@]+"${names[@]}"}"; do
        # shellcheck disable=SC2053
        [[ $n == $pat ]] && found=1 && break
    done
    [ $found -eq 1 ] || missing+=("$pat")
done

have_timeout=0
command -v timeout >/dev/null 2>&1 && have_timeout=1

num=0 pass=0 fail=0 skip=0

# Print a file difference as TAP comments.
show_diff() { # label expected actual
    echo "# --- $1 differs (expected vs actual):"
    diff -u --text --label "expected" --label "actual" "$2" "$3" | sed 's/^/#   /'
}

run_case() { # name
    local name=$1 dir=$cases_dir/$1 scratch out err rc exp_rc ok=1 reason
    scratch=$work/$name/scratch
    out=$work/$name/stdout
    err=$work/$name/stderr
    mkdir -p "$scratch"
    if [ -d "$dir/files" ]; then
        cp -a "$dir/files/." "$scratch/"
    fi
    local -a runner=(bash "$dir/cmd")
    if [ $have_timeout -eq 1 ]; then
        runner=(timeout -k 5 "$per_case_timeout" bash "$dir/cmd")
    fi
    (
        cd "$scratch" || exit 99
        unset NO_COLOR CLICOLOR CLICOLOR_FORCE
        export BULWARK="$bin" SRC="$src" SHARED="$shared" TERM=dumb LC_ALL=C TZ=UTC
        # per-user state (witness checkpoints, the stat-cache key) stays beside the case's scratch directory
        export XDG_STATE_HOME="$work/$name/xdg-state" XDG_CACHE_HOME="$work/$name/xdg-cache"
        exec "${runner[@]}"
    ) </dev/null >"$out" 2>"$err"
    rc=$?
    num=$((num + 1))

    if [ $rc -eq 77 ]; then
        reason=$(head -n 1 "$out")
        echo "ok $num - $name # SKIP ${reason:-skipped by the case}"
        skip=$((skip + 1))
        return
    fi

    if [ "${BW_CLI_UPDATE:-0}" = 1 ]; then
        cp "$out" "$dir/expected.out"
        if [ -f "$dir/expected.err" ] || [ -s "$err" ]; then
            cp "$err" "$dir/expected.err"
        fi
        if [ $rc -eq 0 ]; then
            rm -f "$dir/expected.rc"
        else
            echo "$rc" >"$dir/expected.rc"
        fi
        echo "ok $num - $name # updated (rc $rc)"
        pass=$((pass + 1))
        return
    fi

    exp_rc=0
    if [ -f "$dir/expected.rc" ]; then
        exp_rc=$(tr -d ' \t\r\n' <"$dir/expected.rc")
    fi
    if [ "$rc" != "$exp_rc" ]; then
        ok=0
        if [ $rc -eq 124 ] && [ $have_timeout -eq 1 ]; then
            echo "# $name: timed out after ${per_case_timeout}s"
        fi
        echo "# $name: exit code $rc, expected $exp_rc"
    fi
    if [ ! -f "$dir/expected.out" ]; then
        ok=0
        echo "# $name: no expected.out"
    elif ! cmp -s "$dir/expected.out" "$out"; then
        ok=0
        show_diff "stdout" "$dir/expected.out" "$out"
    fi
    if [ -f "$dir/expected.err" ] && ! cmp -s "$dir/expected.err" "$err"; then
        ok=0
        show_diff "stderr" "$dir/expected.err" "$err"
    fi
    if [ $ok -eq 1 ]; then
        echo "ok $num - $name"
        pass=$((pass + 1))
        chmod -R u+rwx "$work/$name" 2>/dev/null
        rm -rf "${work:?}/$name"
    else
        if [ ! -f "$dir/expected.err" ] && [ -s "$err" ]; then
            echo "# --- stderr (not compared):"
            sed 's/^/#   /' "$err"
        fi
        echo "not ok $num - $name"
        fail=$((fail + 1))
    fi
}

for n in "${names[@]+"${names[@]}"}"; do
    run_case "$n"
done
for pat in "${missing[@]+"${missing[@]}"}"; do
    num=$((num + 1))
    echo "not ok $num - $pat # no such case in $cases_dir"
    fail=$((fail + 1))
done

echo "1..$num"
echo "# $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
