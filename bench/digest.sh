#!/usr/bin/env bash
# bench/digest.sh - `bulwark digest` side by side with its peers (issue 3).
#
# Cases, each one hyperfine run so the tools share the same machine state:
#   1. one 2 GiB file in the page cache: openssl dgst -sha256, sha256sum,
#      bulwark digest (whole file, --shard 1G, --shard 256M); b2sum vs
#      bulwark digest -a blake2b. Reference: cat > /dev/null.
#   2. 100,000 files of 1-64 KiB: find | xargs -0 sha256sum (serial and -P2)
#      vs bulwark digest DIR (files mode) and bulwark digest --manifest.
# Peak RSS comes from one extra run of each command under /usr/bin/time.
# Every tool's digest is checked against an independent one before timing;
# any mismatch aborts the run.
#
# Inputs are deterministic (fixed key/seed) and live under BENCH_DIR, never
# in the repository; they are kept between runs (delete BENCH_DIR to free
# the ~6.5 GB). Results: bench/out/digest-*.json (hyperfine) and
# bench/out/digest.md (the tables, also printed).
#
# Environment: BENCH_DIR (default /tmp/bulwark-bench), RUNS (5), WARMUP (1),
# NFILES (100000), BULWARK (a prebuilt binary; default: build build-bench),
# BASELINE (another bulwark binary to time next to this one).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/bulwark-bench}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
NFILES=${NFILES:-100000}
out="$here/out"
mkdir -p "$BENCH_DIR" "$out"

die() { echo "digest.sh: $*" >&2; exit 1; }
for t in hyperfine openssl sha256sum b2sum python3 /usr/bin/time meson ninja; do
  command -v "$t" >/dev/null || die "missing $t (run scripts/deps.sh --bench)"
done

# --- release build -------------------------------------------------------
if [ -z "${BULWARK:-}" ]; then
  if [ ! -f "$root/build-bench/build.ninja" ]; then
    meson setup "$root/build-bench" "$root" --buildtype=release -Db_ndebug=true -Db_lto=true -Dtests=false >/dev/null
  fi
  meson configure "$root/build-bench" -Db_lto=true >/dev/null
  ninja -C "$root/build-bench" >/dev/null
  BULWARK="$root/build-bench/src/cli/bulwark"
fi
[ -x "$BULWARK" ] || die "no bulwark binary at $BULWARK"

# --- inputs --------------------------------------------------------------
big="$BENCH_DIR/big-2g.bin"
half="$BENCH_DIR/big-1g.bin"
tree="$BENCH_DIR/tree-$NFILES"
if [ ! -f "$big" ] || [ "$(stat -c %s "$big")" -ne $((2 << 30)) ]; then
  echo "generating $big (AES-128-CTR keystream, fixed key)" >&2
  openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
    -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null | head -c $((2 << 30)) >"$big.tmp"
  mv "$big.tmp" "$big"
  rm -f "$half"
fi
if [ ! -f "$half" ]; then
  head -c $((1 << 30)) "$big" >"$half" # the first half: same bytes, half the size
fi
if [ ! -f "$tree.complete" ]; then
  echo "generating $tree ($NFILES files of 1-64 KiB, seed 20240603)" >&2
  rm -rf "$tree"
  python3 - "$tree" "$NFILES" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20240603)
pool = rng.randbytes(1 << 20)  # contents are slices of one seeded pool
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    size = rng.randint(1024, 65536)
    off = rng.randrange(0, len(pool) - size)
    with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
        f.write(pool[off:off + size])
open(root + ".complete", "w").close()  # marks a finished tree
EOF
fi
# summed by python: mawk's printf %d stops at 2^31
tree_bytes=$(find "$tree" -type f -printf '%s\n' | python3 -c 'import sys; print(sum(map(int, sys.stdin)))')

# --- warm the page cache ---------------------------------------------------
cat "$big" "$half" >/dev/null
# through a pipe: coreutils cat straight into /dev/null takes ~15 s of system time on this tree
find "$tree" -type f -print0 | xargs -0 cat | wc -c >/dev/null

# --- correctness: every tool prints the same digest -----------------------
first() { awk '{print $1; exit}'; }
ref=$(sha256sum "$big" | first)
got_openssl=$(openssl dgst -sha256 "$big" | sed 's/.*= //')
got_bw=$("$BULWARK" digest "$big" | first)
[ "$got_openssl" = "$ref" ] || die "openssl digest $got_openssl differs from sha256sum $ref"
[ "$got_bw" = "$ref" ] || die "bulwark digest $got_bw differs from sha256sum $ref"
ref_b2=$(b2sum "$big" | first)
got_b2=$("$BULWARK" digest -a blake2b "$big" | first)
[ "$got_b2" = "$ref_b2" ] || die "bulwark digest -a blake2b $got_b2 differs from b2sum $ref_b2"
# shard mode: the digest over the raw shard digests, recomputed here by hashlib
read -r ref_1g ref_256m < <(python3 - "$big" <<'EOF'
import hashlib, sys
s256, s1g, cur, k = [], [], hashlib.sha256(), 0
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(256 << 20):
        s256.append(hashlib.sha256(chunk).digest())
        cur.update(chunk); k += 1
        if k % 4 == 0:
            s1g.append(cur.digest()); cur = hashlib.sha256()
if k % 4:
    s1g.append(cur.digest())
print(hashlib.sha256(b"".join(s1g)).hexdigest(), hashlib.sha256(b"".join(s256)).hexdigest())
EOF
)
got=$("$BULWARK" digest --shard 1G "$big" | first)
[ "$got" = "$ref_1g" ] || die "bulwark digest --shard 1G: $got, expected $ref_1g"
got=$("$BULWARK" digest --shard 256M "$big" | first)
[ "$got" = "$ref_256m" ] || die "bulwark digest --shard 256M: $got, expected $ref_256m"

# the tree: all lines equal (order aside), sha256sum -c accepts a sample,
# and the manifest digest is the hash of the per-file digests in walk order
find "$tree" -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort >"$BENCH_DIR/ref.sums"
find "$tree" -type f -print0 | xargs -0 -P2 -n 1000 sha256sum | LC_ALL=C sort \
  >"$BENCH_DIR/p2.sums"
cmp -s "$BENCH_DIR/ref.sums" "$BENCH_DIR/p2.sums" || die "xargs -P2 output differs from xargs"
"$BULWARK" digest "$tree" >"$BENCH_DIR/bw.raw" 2>"$BENCH_DIR/bw.note"
LC_ALL=C sort "$BENCH_DIR/bw.raw" >"$BENCH_DIR/bw.sums"
cmp -s "$BENCH_DIR/ref.sums" "$BENCH_DIR/bw.sums" || die "bulwark digest DIR differs from sha256sum"
awk 'NR % 97 == 1' "$BENCH_DIR/bw.raw" | sha256sum -c --quiet || die "sha256sum -c rejects bulwark output"
tree_root=$(sed -n 's/.*manifest sha256:\([0-9a-f]*\).*/\1/p' "$BENCH_DIR/bw.note")
ref_root=$(python3 -c '
import hashlib, sys
print(hashlib.sha256(b"".join(bytes.fromhex(l.split()[0]) for l in open(sys.argv[1]))).hexdigest())
' "$BENCH_DIR/bw.raw")
[ "$tree_root" = "$ref_root" ] || die "manifest digest $tree_root, expected $ref_root"
rm -f "$BENCH_DIR"/*.sums "$BENCH_DIR/bw.raw" "$BENCH_DIR/bw.note"
echo "checksum: 2 GiB file sha256 $ref" >&2
echo "checksum: 2 GiB file shard-1G $ref_1g shard-256M $ref_256m" >&2
echo "checksum: 2 GiB file blake2b ${ref_b2:0:64}..." >&2
echo "checksum: tree manifest sha256:$tree_root" >&2

# --- timing -----------------------------------------------------------------
xargs_serial="find $tree -type f -print0 | xargs -0 sha256sum >/dev/null"
xargs_p2="find $tree -type f -print0 | xargs -0 -P2 -n 1000 sha256sum >/dev/null"
bw_tree="$BULWARK digest $tree >/dev/null 2>&1"
bw_manifest="$BULWARK digest --quiet --manifest $BENCH_DIR/tree.manifest.json $tree >/dev/null"

big_cmds=(
  "cat $big"
  "openssl dgst -sha256 $big"
  "sha256sum $big"
  "$BULWARK digest $big"
  "$BULWARK digest --shard 1G $big"
  "$BULWARK digest --shard 256M $big"
  "b2sum $big"
  "$BULWARK digest -a blake2b $big"
)
tree_cmds=("$xargs_serial" "$xargs_p2" "$bw_tree" "$bw_manifest")
if [ -n "${BASELINE:-}" ]; then
  big_cmds+=("$BASELINE digest $big")
  tree_cmds+=("$BASELINE digest $tree >/dev/null 2>&1")
fi

hf() { # hf JSON CMD... : one hyperfine run; stdout of the commands is discarded
  local json=$1
  shift
  hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" "$@" >&2
}
hf "$out/digest-bigfile.json" "${big_cmds[@]}"
hf "$out/digest-tree.json" "${tree_cmds[@]}"

# peak RSS (KiB) of one run of each command; %M is the largest process of the pipeline
rss() { /usr/bin/time -f %M -o "$BENCH_DIR/rss" bash -c "$1 >/dev/null 2>&1" && cat "$BENCH_DIR/rss"; }
rss_file="$out/digest-rss.tsv"
: >"$rss_file"
for c in "${big_cmds[@]}" "${tree_cmds[@]}"; do
  printf '%s\t%s\n' "$c" "$(rss "$c")" >>"$rss_file"
done
rss_1g=$(rss "$BULWARK digest $half")
rss_2g=$(rss "$BULWARK digest $big")
rss_2g_shard=$(rss "$BULWARK digest --shard 256M $big")
rss_1g_shard=$(rss "$BULWARK digest --shard 256M $half")
rm -f "$BENCH_DIR/rss" "$BENCH_DIR/tree.manifest.json"

# --- report -----------------------------------------------------------------
python3 - "$out" "$rss_file" "$((2 << 30))" "$tree_bytes" "$NFILES" "$BENCH_DIR" "$BULWARK" \
  "$rss_1g" "$rss_2g" "$rss_1g_shard" "$rss_2g_shard" <<'EOF' | tee "$out/digest.md"
import json, os, sys
out, rss_file, big_bytes, tree_bytes, nfiles, bench_dir, bulwark = sys.argv[1:8]
rss1, rss2, rss1s, rss2s = sys.argv[8:12]
big_bytes, tree_bytes = int(big_bytes), int(tree_bytes)
rss = dict(l.rstrip("\n").split("\t") for l in open(rss_file))

def short(cmd):
    cmd = cmd.replace(bulwark, "bulwark").replace(bench_dir + "/", "")
    for tail in (" >/dev/null 2>&1", " >/dev/null"):
        cmd = cmd.replace(tail, "")
    cmd = cmd.replace("--quiet --manifest tree.manifest.json", "--manifest M")
    return cmd.replace("|", "\\|")  # a bare | would end the markdown cell

def table(name, nbytes, ref_pick, ref_label):
    res = json.load(open(os.path.join(out, name)))["results"]
    ref = next(r for r in res if ref_pick(r["command"]))
    print("| tool | mean s | ± s | CPU s (user+sys) | MB/s | %s | peak RSS |" % ref_label)
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in res:
        cpu = r["user"] + r["system"]
        print("| `%s` | %.3f | %.3f | %.2f | %.0f | %.2fx | %s KiB |" % (
            short(r["command"]), r["mean"], r["stddev"] or 0.0, cpu, nbytes / r["mean"] / 1e6,
            ref["mean"] / r["mean"], rss.get(r["command"], "?")))
    print()

la = open("/proc/loadavg").read().split()[:3]
print("## One 2 GiB file in the page cache\n")
table("digest-bigfile.json", big_bytes, lambda c: c.startswith("openssl dgst"), "vs openssl")
print("Peak RSS of `bulwark digest`: 1 GiB file %s KiB, 2 GiB file %s KiB; "
      "with `--shard 256M`: %s KiB and %s KiB.\n" % (rss1, rss2, rss1s, rss2s))
print("## %s files of 1-64 KiB (%.2f GB)\n" % (nfiles, tree_bytes / 1e9))
table("digest-tree.json", tree_bytes, lambda c: "xargs -0 sha256sum" in c, "vs xargs")
print("Load average after the run: %s.\n" % " ".join(la))
EOF
