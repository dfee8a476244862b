#!/usr/bin/env bash
# Benchmark `bulwark scan` against picklescan (issue 4), side by side in one hyperfine run.
#
# picklescan is run from its public source on Debian's Python. It is never committed:
# point PICKLESCAN_SRC at a checkout (its src/ directory), or the comparison is skipped.
# Inputs are generated under ${BENCH_DIR:-/tmp/bulwark-bench}:
#   dense.pkl  an opcode-dense pickle: a 1,000,000-element list of ints and strings (protocol 4)
#   big.pt     a 1 GiB PyTorch checkpoint (torch.save of 256 Mi float32 zeros) when Debian's
#              python3-torch is installed; otherwise the same zip layout written directly
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/bulwark-bench}
mkdir -p "$dir" "$root/bench/out"
py=/usr/bin/python3

if [ ! -f "$root/build-bench/build.ninja" ]; then
  meson setup "$root/build-bench" "$root" --buildtype=release -Db_ndebug=true -Db_lto=true -Dtests=false >/dev/null
fi
meson configure "$root/build-bench" -Db_lto=true >/dev/null
ninja -C "$root/build-bench" >/dev/null
bw="$root/build-bench/src/cli/bulwark"

[ -f "$dir/dense.pkl" ] || $py -c "
import pickle
data = [i if i % 2 else 'item%d' % i for i in range(1000000)]
open('$dir/dense.pkl', 'wb').write(pickle.dumps(data, protocol=4))"
if [ ! -f "$dir/big.pt" ]; then
  $py - "$dir/big.pt" <<'PY'
import sys
try:
    import torch
    torch.save({"w": torch.zeros(256 * 1024 * 1024)}, sys.argv[1])
except ImportError:
    # the layout torch.save writes: archive/data.pkl (tensor rebuilt from a persistent id),
    # archive/data/0 (the raw storage, stored), archive/version
    import pickle, zipfile
    body = (b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00"
            b"storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06J\x00\x00\x00"
            b"\x10tq\x07QK\x00J\x00\x00\x00\x10\x85q\x08K\x01\x85q\x09\x89ccollections\nOrderedDict\nq\x0a)Rq\x0b"
            b"tq\x0cRq\x0ds.")
    with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", body)
        with z.open("archive/data/0", "w", force_zip64=True) as f:
            chunk = bytes(1 << 24)
            for _ in range(64):
                f.write(chunk)
        z.writestr("archive/version", "3\n")
PY
fi
# correctness before timing: both inputs are safe, and a planted payload is caught
"$bw" -q scan "$dir/dense.pkl" "$dir/big.pt" >/dev/null || { echo "bench: unexpected verdict" >&2; exit 1; }
cat /proc/loadavg
cmds=("$bw -q scan $dir/dense.pkl" "$bw -q scan $dir/big.pt")
if [ -n "${PICKLESCAN_SRC:-}" ] && [ -d "$PICKLESCAN_SRC/picklescan" ]; then
  cmds+=("env PYTHONPATH=$PICKLESCAN_SRC $py -m picklescan --path $dir/dense.pkl"
         "env PYTHONPATH=$PICKLESCAN_SRC $py -m picklescan --path $dir/big.pt")
else
  echo "bench: PICKLESCAN_SRC not set (a picklescan checkout's src/); bulwark only" >&2
fi
hyperfine -N --warmup 1 --runs 5 --export-markdown "$root/bench/out/scan.md" "${cmds[@]}"
for f in dense.pkl big.pt; do
  /usr/bin/time -f "$f: peak RSS %M KiB" "$bw" -q scan "$dir/$f" >/dev/null
done
echo "dense.pkl: $(stat -c %s "$dir/dense.pkl") bytes"
