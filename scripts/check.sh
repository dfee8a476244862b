#!/usr/bin/env bash
# make check: build with gcc (warnings are errors) and run every test; build with
# clang + AddressSanitizer + UBSan and run them again (fuzz corpus replay included
# in both, as the 'fuzz' suite); end with one line:
#   tests: N passed, N failed, N skipped
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BUILD_ASAN=${BUILD_ASAN:-build-asan}
rc=0
logs=()

run_suite() { # dir, label
  local dir=$1 label=$2
  echo "== $label: build ($dir)"
  if ! ninja -C "$dir" >"$dir.ninja.log" 2>&1; then
    cat "$dir.ninja.log"; echo "== $label: BUILD FAILED"; rc=1; return
  fi
  echo "== $label: test"
  if ! meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)"; then rc=1; fi
  logs+=("$dir/meson-logs/testlog.json")
}

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=debugoptimized >/dev/null || exit 2
run_suite "$BUILD" "gcc"

if [ "${BW_SKIP_ASAN:-0}" != 1 ]; then
  if [ ! -f "$BUILD_ASAN/build.ninja" ]; then
    CC=clang-14 meson setup "$BUILD_ASAN" --buildtype=debug -Db_sanitize=address,undefined \
      -Db_lundef=false -Dc_args=-fno-sanitize-recover=all >/dev/null || exit 2
  fi
  run_suite "$BUILD_ASAN" "clang asan+ubsan"
fi

pass=0; fail=0; skip=0
for log in "${logs[@]}"; do
  [ -f "$log" ] || continue
  p=$(grep -c '"result": "OK"' "$log" || true)
  f=$(grep -Ec '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)
  s=$(grep -c '"result": "SKIP"' "$log" || true)
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done
[ "$pass" -gt 0 ] || rc=1
echo "tests: $pass passed, $fail failed, $skip skipped"
exit $rc
