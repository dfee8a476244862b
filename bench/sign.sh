#!/usr/bin/env bash
# bench/sign.sh - `bulwark sign` and `bulwark verify` side by side with `openssl dgst -sha256` and
# `sha256sum` on the same files (issue 7, "Performance"): one large file end to end (bar: at
# least 1.3 GB/s), the same file in shard mode and a multi-file model (bar: at least 2.4 GB/s on
# 2 cores), verification of the signatures, the cost of one signature (bench_sig: sign and
# parse + verify a 100-file model's bundle, bar: under 1 ms), and incremental re-signing and
# re-verification (--incremental: bar, time proportional to the changed bytes), side by side with
# the full sign and verify of the same model: nothing changed, 1 byte of one file changed (same
# size), 1 MiB appended to one file.
#
# Data (kept in $BENCH_DIR, default /tmp/bulwark-bench-sign): big.bin (SIZE_MB MiB of random
# bytes, default 1024) and model/ (8 files of SIZE_MB/8 MiB). Page cache warm. Each case RUNS
# times (default 3) under /usr/bin/time; the best by wall time is reported.
# usage: bench/sign.sh [BUILD_DIR]   (default build-release; bench_sig comes from BUILD_DIR or build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:-$root/build-release}" 2>/dev/null && pwd) || { echo "sign.sh: no build directory ${1:-$root/build-release}" >&2; exit 2; }
dir=${BENCH_DIR:-/tmp/bulwark-bench-sign}
size=${SIZE_MB:-1024}
runs=${RUNS:-3}
bw=$build/src/cli/bulwark
[ -x "$bw" ] || { echo "sign.sh: no $bw (make build-release first)" >&2; exit 2; }
mkdir -p "$dir/model"
if [ ! -f "$dir/big.bin" ] || [ "$(stat -c %s "$dir/big.bin")" -ne $((size << 20)) ]; then
  head -c $((size << 20)) /dev/urandom > "$dir/big.bin"
  rm -f "$dir"/model/*
  for i in 1 2 3 4 5 6 7 8; do head -c $((size << 17)) /dev/urandom > "$dir/model/part-$i.safetensors"; done
fi
cd "$dir"
export BULWARK_DIR=$dir/.bulwark
"$bw" key list 2>/dev/null | grep -q '^bench ' || "$bw" key new bench --no-passphrase >/dev/null 2>&1
cat big.bin model/* > /dev/null
bytes=$(( $(stat -c %s big.bin) ))
mbytes=$(( $(cat model/* | wc -c) ))
best() { # label bytes command...: the best wall of $runs runs, as a table row
  local label=$1 n=$2 w u s bw_=999999 bu bs
  shift 2
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$dir/time.txt" -f "%e %U %S" "$@" > /dev/null 2>&1
    read -r w u s < "$dir/time.txt"
    if awk -v a="$w" -v b="$bw_" 'BEGIN{exit !(a < b)}'; then bw_=$w; bu=$u; bs=$s; fi
  done
  awk -v l="$label" -v w="$bw_" -v u="$bu" -v s="$bs" -v n="$n" \
    'BEGIN{printf "| %s | %.2f | %.2f | %.0f |\n", l, w, u + s, n / w / 1e6}'
}
echo "| command | wall s | CPU s | MB/s |"
echo "|---|---:|---:|---:|"
best "\`bulwark sign\` one ${size} MiB file" $bytes "$bw" sign --quiet --key bench --signature one.sig big.bin
best "\`bulwark verify\` of it" $bytes "$bw" verify --key bench --signature one.sig big.bin
best "\`bulwark sign --shard 256M\` the same file" $bytes "$bw" sign --quiet --key bench --shard 256M --signature shard.sig big.bin
best "\`bulwark verify\` of it" $bytes "$bw" verify --key bench --signature shard.sig big.bin
best "\`bulwark sign\` model/ (8 files)" $mbytes "$bw" sign --quiet --key bench --signature model.sig model
best "\`bulwark verify\` of it" $mbytes "$bw" verify --key bench --signature model.sig model
best "\`openssl dgst -sha256\` the file" $bytes openssl dgst -sha256 big.bin
best "\`sha256sum\` the file" $bytes sha256sum big.bin
best "\`sha256sum\` model/*" $mbytes sha256sum model/part-1.safetensors model/part-2.safetensors model/part-3.safetensors model/part-4.safetensors model/part-5.safetensors model/part-6.safetensors model/part-7.safetensors model/part-8.safetensors

# Incremental (issue 7: "re-signing after a small change costs time proportional to the changed
# bytes"): model/ again, its stat cache in $XDG_CACHE_HOME (here $dir/xdg). Wall time in ms (best of
# $runs); PREP runs before each timed run, untimed (it makes the change being measured).
export XDG_CACHE_HOME=$dir/xdg
best_ms() { # label prep command...
  local label=$1 prep=$2 best_=999999999 t0 t1 out
  shift 2
  for _ in $(seq "$runs"); do
    eval "$prep"
    t0=$(date +%s%N)
    out=$("$@" 2>&1) || true
    t1=$(date +%s%N)
    [ $(( (t1 - t0) / 1000 )) -lt "$best_" ] && best_=$(( (t1 - t0) / 1000 )) && last=$out
  done
  hashed=$(printf '%s\n' "$last" | sed -n 's/^incremental: .* \([0-9]*\) hashed (\(.*\))$/\1 files, \2/p')
  awk -v l="$label" -v us="$best_" -v h="${hashed:-all}" 'BEGIN{printf "| %s | %.1f | %s |\n", l, us / 1000, h}'
}
flip() { # change one byte in the middle of part-3 (the size stays)
  head -c 1 /dev/urandom | dd of=model/part-3.safetensors bs=1 seek=$((size << 16)) conv=notrunc status=none
}
grow() { head -c 1048576 /dev/urandom >> model/part-5.safetensors; }
echo
echo "| \`model/\` ($((mbytes >> 20)) MiB, 8 files) | wall ms | hashed |"
echo "|---|---:|---|"
rm -rf "$XDG_CACHE_HOME"
best_ms "\`bulwark sign\` (full)" : "$bw" sign --quiet --no-ledger --key bench --signature inc.sig model
"$bw" sign --quiet --no-ledger --incremental --key bench --signature inc.sig model > /dev/null 2>&1
sleep 0.05
best_ms "\`bulwark sign --incremental\`, nothing changed" : "$bw" sign --no-ledger --incremental --key bench --signature inc.sig model
best_ms "\`bulwark sign --incremental\` after 1 byte of one file changed" flip "$bw" sign --no-ledger --incremental --key bench --signature inc.sig model
best_ms "\`bulwark sign --incremental\` after 1 MiB appended to one file" grow "$bw" sign --no-ledger --incremental --key bench --signature inc.sig model
"$bw" sign --quiet --no-ledger --incremental --key bench --signature inc.sig model > /dev/null 2>&1
sleep 0.05
best_ms "\`bulwark verify\` (full)" : "$bw" verify --no-ledger --key bench --signature inc.sig model
best_ms "\`bulwark verify --incremental\`" : "$bw" verify --no-ledger --incremental --key bench --signature inc.sig model
truncate -s $((size << 17)) model/part-5.safetensors # back to its size for the next run
sig=$build/bench/bench_sig
[ -x "$sig" ] || sig=$root/build/bench/bench_sig
if [ -x "$sig" ] || ninja -C "$root/build" bench/bench_sig >/dev/null 2>&1; then
  echo
  "$sig" 2000
else
  echo "sign.sh: bench_sig not built (ninja -C build bench/bench_sig)" >&2
fi
