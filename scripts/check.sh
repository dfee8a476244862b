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
  if ! ninja -C "$dir" >"$dir/check-build.log" 2>&1; then
    cat "$dir/check-build.log"; echo "== $label: BUILD FAILED"; rc=1; return
  fi
  echo "== $label: test"
  if ! meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)"; then rc=1; fi
  logs+=("$dir/meson-logs/testlog.json")
}

# formatting belongs to .clang-format (clang-format 14); report files that differ
echo "== format: clang-format-14 --dry-run"
unformatted=$(git ls-files '*.c' '*.h' 2>/dev/null | while read -r f; do
  clang-format-14 --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$unformatted" ]; then
  echo "not formatted (run: clang-format-14 -i FILE):"; echo "$unformatted"; rc=1
fi

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=debugoptimized >/dev/null || exit 2
run_suite "$BUILD" "gcc"

# the release build (-O3 with LTO, what make install and make bench use) sees warnings the others do not
BUILD_REL=${BUILD_REL:-build-release}
echo "== release: build ($BUILD_REL)"
if [ ! -f "$BUILD_REL/build.ninja" ]; then
  meson setup "$BUILD_REL" --buildtype=release -Db_ndebug=true -Db_lto=true -Dtests=false >/dev/null || exit 2
fi
meson configure "$BUILD_REL" -Db_lto=true >/dev/null || exit 2 # directories made before LTO was the release setting
if ! ninja -C "$BUILD_REL" >"$BUILD_REL/check-build.log" 2>&1; then
  cat "$BUILD_REL/check-build.log"; echo "== release: BUILD FAILED"; rc=1
fi

if [ "${BW_SKIP_ASAN:-0}" != 1 ]; then
  if [ ! -f "$BUILD_ASAN/build.ninja" ]; then
    CC=clang-14 meson setup "$BUILD_ASAN" --buildtype=debug -Db_sanitize=address,undefined \
      -Db_lundef=false -Dc_args=-fno-sanitize-recover=all >/dev/null || exit 2
  fi
  run_suite "$BUILD_ASAN" "clang asan+ubsan"
fi

# Count TAP assertions across every test log (a test program that crashed or failed
# without printing "not ok" still counts as one failure); non-TAP tests count once.
read -r pass fail skip < <(/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, re, sys
p = f = s = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        oks = re.findall(r"^(?:not ok|ok)\b[^\n]*", out, re.M)
        tp = sum(1 for o in oks if o.startswith("ok") and "# skip" not in o.lower())
        ts = sum(1 for o in oks if o.startswith("ok") and "# skip" in o.lower())
        tf = sum(1 for o in oks if o.startswith("not ok"))
        bad = t["result"] in ("FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS")
        if not oks:
            if t["result"] == "SKIP":
                s += 1
            elif bad:
                f += 1
            else:
                p += 1
            continue
        p += tp; s += ts; f += tf
        if bad and tf == 0:
            f += 1
print(p, f, s)
PY
)
[ "$pass" -gt 0 ] || rc=1
[ "$fail" -eq 0 ] || rc=1
echo "tests: $pass passed, $fail failed, $skip skipped"
exit $rc
