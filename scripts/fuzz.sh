#!/bin/sh
# fuzz.sh [SECONDS] - build build-fuzz and run every fuzz target for SECONDS
# (default 60) each.
#
# New inputs go to a scratch directory ($FUZZ_SCRATCH, default a fresh
# mktemp -d), never into fuzz/corpus/, which is read-only seed input here;
# merge interesting ones by hand with -merge=1 (see fuzz/README.md). Prints
# one summary line per target and exits non-zero if any target crashed,
# printing the path of each crash file. Run from anywhere in the repository.
#
# Environment: CC (default clang-14), FUZZ_BUILD (default build-fuzz),
# FUZZ_SCRATCH, FUZZ_JOBS (parallel jobs per target, default 1),
# FUZZ_TARGETS (space-separated names such as "pickle zip", default every
# fuzz/fuzz_*.c).
set -eu

secs=${1:-60}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${FUZZ_BUILD:-build-fuzz}
case $build in /*) ;; *) build="$root/$build" ;; esac
jobs=${FUZZ_JOBS:-1}
scratch=${FUZZ_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/bulwark-fuzz.XXXXXX")}
mkdir -p "$scratch"

if [ ! -f "$build/build.ninja" ]; then
    CC=${CC:-clang-14} meson setup "$build" -Dfuzzing=true \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all >"$scratch/setup.log" 2>&1 || {
        cat "$scratch/setup.log" >&2
        echo "fuzz.sh: meson setup failed" >&2
        exit 3
    }
fi

targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
    for f in fuzz/fuzz_*.c; do
        [ -e "$f" ] || continue
        t=${f#fuzz/fuzz_}
        targets="$targets ${t%.c}"
    done
fi
build_list=
for t in $targets; do
    build_list="$build_list fuzz/fuzz_$t"
done
# shellcheck disable=SC2086
if ! ninja -C "$build" $build_list >"$scratch/build.log" 2>&1; then
    tail -n 40 "$scratch/build.log" >&2
    echo "fuzz.sh: build failed (full log: $scratch/build.log)" >&2
    exit 3
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

echo "fuzz.sh: $secs s per target, scratch $scratch"
status=0
summary=
for t in $targets; do
    exe="$build/fuzz/fuzz_$t"
    new="$scratch/$t/new"
    art="$scratch/$t/artifacts"
    log="$scratch/$t/fuzz.log"
    mkdir -p "$new" "$art"
    corpus=
    [ -d "fuzz/corpus/$t" ] && corpus="$root/fuzz/corpus/$t"
    dict=
    [ -f "fuzz/$t.dict" ] && dict="-dict=$root/fuzz/$t.dict"
    echo "fuzz.sh: fuzz_$t ..."
    par=
    [ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
    rc=0
    # new inputs go to $new (the first directory); the corpus is only read.
    # Run inside the scratch dir: with -jobs libFuzzer writes fuzz-N.log to cwd.
    # shellcheck disable=SC2086
    (cd "$scratch/$t" && "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 $par -artifact_prefix="$art/" $dict "$new" $corpus) \
        >"$log" 2>&1 || rc=$?
    crashes=$(find "$art" -type f 2>/dev/null | sort)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | sed 's/cov: //')
    nnew=$(find "$new" -type f | wc -l)
    if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
        status=1
        line="fuzz_$t: CRASH (exit $rc) after ${execs:-?} runs; log $log"
        for c in $crashes; do
            line="$line
  crash file: $c
  reproduce:  $exe $c"
        done
        why=$(grep -E 'ERROR: |runtime error|invariant failed' "$log" | head -n 3 | sed 's/^/  /' || true)
        [ -n "$why" ] && line="$line
$why"
    else
        line="fuzz_$t: ok, ${execs:-?} runs, cov ${cov:-?}, $nnew new inputs in $new"
    fi
    summary="$summary$line
"
done

echo
echo "fuzz.sh summary ($secs s per target):"
printf '%s' "$summary"
if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: crashes found; add each crash file to fuzz/corpus/<target>/ once fixed"
fi
exit "$status"
