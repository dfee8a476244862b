#!/usr/bin/env bash
# bench/data.sh - `bulwark profile` and `bulwark validate` side by side with DuckDB and pandas
# (issue 6, "Performance").
#
# The bar: on a 1.5 GB CSV of 15 million rows and 12 mixed columns, `bulwark profile` of every
# column at least 300 MB/s per core and at most a third of DuckDB's wall time on 2 cores;
# distinct counts within 1 %; `validate` with a 25-expectation suite at least 250 MB/s per
# core; peak memory at most 256 MB; the Parquet (zstd) copy profiled at least as fast as
# DuckDB profiles it; the raw limit (`cat FILE > /dev/null` from the page cache) beside it.
#
# Data: bench/gen_data.c (compiled into the scratch dir with cc -O2; seeded) writes
# $BENCH_DATA_DIR/hospital-$ROWS.csv and its exact per-column statistics
# (hospital-$ROWS.csv.stats.json: count, nulls, exact distinct, min, max, mean). Both are
# kept and reused while their stamp (rows, seed, generator checksum) matches. DuckDB's exact
# count(DISTINCT) of every column checks the generator's counts once (cached beside the data
# as hospital-$ROWS.csv.duckdb-exact.json), and writes the Parquet copy once with
# COPY ... (FORMAT parquet, COMPRESSION zstd) (hospital-$ROWS.parquet).
#
# Timed, each RUNS times under /usr/bin/time (wall, user+sys, peak RSS; the best run by wall
# time is reported), page cache warm:
#   raw      cat CSV > /dev/null; cat PARQUET > /dev/null
#   bulwark  profile --format json CSV (with --threads $BW_THREADS when it takes it);
#            validate --suite bench/data_suite.yml CSV; profile --format json PARQUET;
#            cat CSV > /dev/null; cat PARQUET > /dev/null. A subcommand that fails a probe on
#            the first 2,000 rows (e.g. not built yet: exit 2) is skipped with a note and
#            reported as "n/a (not built)".
#   duckdb   bench/peers/duckdb_profile.mjs (@duckdb/node-api pinned in bench/peers, npm ci
#            into the scratch dir): one query with count, nulls, min, max, mean and
#            approx_count_distinct of every column, $DUCKDB_THREADS threads; CSV and Parquet
#   pandas   bench/peers/pandas_profile.py: read_csv + describe(include='all') + nunique()
#            (Debian's python3-pandas; skipped with a note when 5x the CSV does not fit in
#            MemAvailable). PANDAS_RUNS times (default 1: minutes per run at full size).
# Distinct counts of bulwark (its profile JSON), DuckDB (approx_count_distinct) and pandas
# (nunique) are compared with the exact ones.
#
# Environment: BENCH_DATA_DIR (/tmp/bulwark-bench-data), ROWS (15000000), SEED (20240606),
# RUNS (3), PANDAS_RUNS (1), PANDAS_ROWS (all), TOOLS ("raw bulwark duckdb pandas": which to
# time), BULWARK (a prebuilt binary, or "none"; default: build build-bench, release + LTO),
# BW_THREADS (2), DUCKDB_THREADS (2), EXACT_CHECK (1: DuckDB count(DISTINCT) once), TIMEOUT
# (3600 s per run), NOTE (a sentence printed under the report, e.g. the machine's load).
# Output: the Markdown report on stdout and in bench/out/data.md; raw timings in
# bench/out/data-times.tsv; the tools' JSON outputs in bench/out/data-*.json.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SCRATCH=${BENCH_DATA_DIR:-/tmp/bulwark-bench-data}
ROWS=${ROWS:-15000000}
ROWS=${ROWS//[,_]/}
SEED=${SEED:-20240606}
RUNS=${RUNS:-3}
PANDAS_RUNS=${PANDAS_RUNS:-1}
PANDAS_ROWS=${PANDAS_ROWS:-}
TOOLS=${TOOLS:-raw bulwark duckdb pandas}
BW_THREADS=${BW_THREADS:-2}
export DUCKDB_THREADS=${DUCKDB_THREADS:-2}
EXACT_CHECK=${EXACT_CHECK:-1}
TIMEOUT=${TIMEOUT:-3600}
out="$here/out"
py=/usr/bin/python3 # Debian's: the one python3-pandas is installed for
mkdir -p "$SCRATCH" "$out"

die() { echo "data.sh: $*" >&2; exit 1; }
note() { echo "data.sh: $*" >&2; }
want() { [[ " $TOOLS " = *" $1 "* ]]; }
for t in cc /usr/bin/time timeout "$py" sha256sum; do
  command -v "$t" >/dev/null || die "missing $t (run scripts/deps.sh --bench)"
done

# --- data --------------------------------------------------------------------------
gen_sum=$(sha256sum "$here/gen_data.c" | cut -c1-16)
gen="$SCRATCH/gen_data-$gen_sum"
if [ ! -x "$gen" ]; then
  cc -O2 -o "$gen.tmp" "$here/gen_data.c" -lm && mv "$gen.tmp" "$gen"
fi
csv="$SCRATCH/hospital-$ROWS.csv"
pq="$SCRATCH/hospital-$ROWS.parquet"
stamp="rows=$ROWS seed=$SEED gen=$gen_sum"
if [ -f "$csv" ] && [ -f "$csv.stats.json" ] && [ "$(cat "$csv.stamp" 2>/dev/null)" = "$stamp" ]; then
  note "reusing $csv"
else
  note "generating $csv ($ROWS rows, seed $SEED)"
  rm -f "$csv" "$csv".* "$pq" "$pq".*
  /usr/bin/time -f '%e %U %S %M' -o "$csv.gen-time" "$gen" --rows "$ROWS" --seed "$SEED" --out "$csv" >&2
  echo "$stamp" >"$csv.stamp"
fi
csv_bytes=$(stat -c %s "$csv")
# the probe: the first 2,000 rows (the generator is sequential: same seed, same first rows)
probe="$SCRATCH/probe.csv"
"$gen" --rows 2000 --seed "$SEED" --out "$probe" 2>/dev/null

# --- peers: DuckDB from npm (bench/peers), pandas from Debian -------------------------
peers="$SCRATCH/peers"
node_ok=""
if want duckdb || [ ! -f "$pq" ] || { [ "$EXACT_CHECK" = 1 ] && [ ! -f "$csv.duckdb-exact.json" ]; }; then
  if command -v npm >/dev/null && command -v node >/dev/null; then
    mkdir -p "$peers"
    cp "$here"/peers/*.mjs "$peers/"
    if [ -d "$peers/node_modules/@duckdb/node-api" ] && cmp -s "$here/peers/package-lock.json" "$peers/package-lock.json"; then
      node_ok=1
    else
      cp "$here/peers/package.json" "$here/peers/package-lock.json" "$peers/"
      if (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error) >"$SCRATCH/npm.log" 2>&1; then
        node_ok=1
      else
        note "npm ci failed (see $SCRATCH/npm.log): DuckDB skipped"
      fi
    fi
  else
    note "node/npm not installed: DuckDB skipped"
  fi
fi
duck() { node "$peers/$1" "${@:2}"; }
if [ -n "$node_ok" ]; then
  if [ ! -f "$pq" ] || [ "$(cat "$pq.stamp" 2>/dev/null)" != "$stamp" ]; then
    note "writing $pq (DuckDB, zstd)"
    rm -f "$pq"
    if duck duckdb_parquet.mjs --write-only "$csv" "$pq" >"$pq.write.json"; then
      echo "$stamp" >"$pq.stamp"
    else
      note "DuckDB could not write the Parquet copy: the Parquet rows are skipped"
      rm -f "$pq"
    fi
  fi
  duck duckdb_parquet.mjs --force --write-only "$probe" "$SCRATCH/probe.parquet" >/dev/null || rm -f "$SCRATCH/probe.parquet"
  if [ "$EXACT_CHECK" = 1 ] && [ "$(cat "$csv.duckdb-exact.stamp" 2>/dev/null)" != "$stamp" ]; then
    note "DuckDB count(DISTINCT) of every column, once (checks the generator's exact counts)"
    if duck duckdb_profile.mjs --exact "$csv" >"$csv.duckdb-exact.json"; then
      echo "$stamp" >"$csv.duckdb-exact.stamp"
    else
      note "DuckDB's count(DISTINCT) failed: the generator's exact counts are used unchecked"
      rm -f "$csv.duckdb-exact.json"
    fi
  fi
fi
pq_bytes=$(stat -c %s "$pq" 2>/dev/null || echo 0)

# --- bulwark: which subcommands work (probed on the first 2,000 rows) -------------------
declare -A bw=() # subcommand -> "ok" or the reason it is skipped
bw_keys="profile validate profile-parquet cat cat-parquet"
bw_reason=""
if ! want bulwark || [ "${BULWARK:-}" = none ]; then
  bw_reason="not run (TOOLS / BULWARK=none)"
elif [ -z "${BULWARK:-}" ]; then
  BULWARK="$root/build-bench/src/cli/bulwark"
  if ! { { [ -f "$root/build-bench/build.ninja" ] ||
           meson setup "$root/build-bench" "$root" --buildtype=release -Db_ndebug=true -Db_lto=true -Dtests=false; } &&
         meson configure "$root/build-bench" -Db_lto=true && ninja -C "$root/build-bench"; } >"$SCRATCH/build.log" 2>&1; then
    bw_reason="n/a (release build failed: $SCRATCH/build.log)"
  fi
fi
[ -z "$bw_reason" ] && [ ! -x "$BULWARK" ] && bw_reason="n/a (no binary at $BULWARK)"
bw_profile_args=(profile --format json)
probe_bw() { # probe_bw KEY CMD...: bw[KEY]=ok when CMD exits 0 or 1 (and prints JSON for profiles)
  local key=$1 rc=0
  shift
  "$BULWARK" "$@" >"$SCRATCH/probe.out" 2>"$SCRATCH/probe.err" </dev/null || rc=$?
  if { [ $rc = 0 ] || [ $rc = 1 ]; } &&
     { [[ $key != profile* ]] || "$py" -c 'import json,sys; json.load(open(sys.argv[1]))' "$SCRATCH/probe.out" 2>/dev/null; }; then
    bw[$key]=ok
  elif grep -q "is not a bulwark command" "$SCRATCH/probe.err"; then
    bw[$key]="n/a (not built)"
  else
    local msg
    msg=$(tr '\n' ' ' <"$SCRATCH/probe.err" | cut -c1-160)
    bw[$key]="n/a (probe: exit $rc${msg:+: $msg})"
  fi
  [ "${bw[$key]}" = ok ] || note "bulwark $key skipped: ${bw[$key]}"
}
for k in $bw_keys; do bw[$k]=${bw_reason:-unprobed}; done
if [ -z "$bw_reason" ]; then
  if "$BULWARK" profile --format json --threads "$BW_THREADS" "$probe" >/dev/null 2>&1 </dev/null; then
    bw_profile_args+=(--threads "$BW_THREADS")
  fi
  probe_bw profile "${bw_profile_args[@]}" "$probe"
  probe_bw validate validate --suite "$here/data_suite.yml" "$probe"
  probe_bw cat cat --format csv "$probe"
  if [ -f "$SCRATCH/probe.parquet" ]; then
    probe_bw profile-parquet "${bw_profile_args[@]}" "$SCRATCH/probe.parquet"
    probe_bw cat-parquet cat --format csv "$SCRATCH/probe.parquet"
  else
    bw[profile-parquet]="n/a (no Parquet copy: DuckDB unavailable)"
    bw[cat-parquet]=${bw[profile-parquet]}
  fi
fi

# --- timing --------------------------------------------------------------------------
times="$out/data-times.tsv"
: >"$times"
rm -f "$out"/data-*.json
show() { local a s=""; for a in "$@"; do s+="$(printf '%q' "$a") "; done; echo "${s% }" | sed "s#$SCRATCH/##g; s#$root/##g"; }
measure() { # measure KEY BYTES RUNS STDOUT CMD...: one TSV line per run; STDOUT of the best run kept in bench/out/data-KEY.json
  local key=$1 bytes=$2 runs=$3 dest=$4 i rc best=""
  shift 4
  for ((i = 1; i <= runs; i++)); do
    rc=0
    local o=/dev/null
    [ "$dest" = keep ] && o="$SCRATCH/run.out"
    /usr/bin/time -f '%e %U %S %M' -o "$SCRATCH/time.txt" timeout "$TIMEOUT" "$@" >"$o" 2>"$SCRATCH/run.err" </dev/null || rc=$?
    local t
    t=$(tail -1 "$SCRATCH/time.txt")
    printf '%s\t%s\t%s\t%s\t%s\n' "$key" "$bytes" "$rc" "$(echo "$t" | tr ' ' '\t')" "$(show "$@")" >>"$times"
    note "$key run $i: exit $rc, $t (wall user sys maxrss-KiB)"
    if [ $rc -gt 1 ]; then
      note "$(head -c 400 "$SCRATCH/run.err")"
      [ "$dest" = keep ] && [ -z "$best" ] && cp "$SCRATCH/run.out" "$out/data-$key.json" # e.g. pandas' {"skipped": ...}
      break
    fi
    local wall=${t%% *}
    if [ "$dest" = keep ] && { [ -z "$best" ] || "$py" -c "import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))" "$wall" "$best"; }; then
      best=$wall
      cp "$SCRATCH/run.out" "$out/data-$key.json"
    fi
  done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
cat "$csv" >/dev/null
[ -f "$pq" ] && cat "$pq" >/dev/null
if want raw; then
  measure raw-csv "$csv_bytes" "$RUNS" devnull cat "$csv"
  [ -f "$pq" ] && measure raw-parquet "$pq_bytes" "$RUNS" devnull cat "$pq"
fi
[ "${bw[profile]}" = ok ] && measure bulwark-profile "$csv_bytes" "$RUNS" keep "$BULWARK" "${bw_profile_args[@]}" "$csv"
# the per-core speed, on one core (two threads share caches and memory bandwidth on this machine)
[ "${bw[profile]}" = ok ] && measure bulwark-profile-1t "$csv_bytes" "$RUNS" keep "$BULWARK" profile --format json --threads 1 "$csv"
if [ -n "$node_ok" ] && want duckdb; then
  measure duckdb-csv "$csv_bytes" "$RUNS" keep node "$peers/duckdb_profile.mjs" "$csv"
fi
if want pandas; then
  measure pandas "$csv_bytes" "$PANDAS_RUNS" keep "$py" "$here/peers/pandas_profile.py" ${PANDAS_ROWS:+--rows "$PANDAS_ROWS"} "$csv"
fi
[ "${bw[validate]}" = ok ] && measure bulwark-validate "$csv_bytes" "$RUNS" keep "$BULWARK" validate --suite "$here/data_suite.yml" --format json "$csv"
[ "${bw[cat]}" = ok ] && measure bulwark-cat "$csv_bytes" "$RUNS" devnull "$BULWARK" cat --format csv "$csv"
[ "${bw[profile-parquet]}" = ok ] && measure bulwark-profile-parquet "$pq_bytes" "$RUNS" keep "$BULWARK" "${bw_profile_args[@]}" "$pq"
if [ -n "$node_ok" ] && want duckdb && [ -f "$pq" ]; then
  measure duckdb-parquet "$pq_bytes" "$RUNS" keep node "$peers/duckdb_profile.mjs" "$pq"
fi
[ "${bw[cat-parquet]}" = ok ] && measure bulwark-cat-parquet "$pq_bytes" "$RUNS" devnull "$BULWARK" cat --format csv "$pq"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------------------
first_line() { local v; v=$("$@" 2>&1) || true; echo "${v%%$'\n'*}"; }
versions="$(first_line cat --version)"
[ -n "$node_ok" ] && versions+=", DuckDB $(node -p "require('$peers/node_modules/@duckdb/node-api/package.json').version") (@duckdb/node-api) on node $(node --version)"
versions+=", pandas $("$py" -c 'import pandas; print(pandas.__version__)' 2>/dev/null || echo 'not installed') on $("$py" --version)"
[ -n "${BULWARK:-}" ] && [ -x "${BULWARK:-}" ] && versions+=", $(first_line "$BULWARK" --version)"
bw_json=$(for k in $bw_keys; do printf '%s\t%s\n' "$k" "${bw[$k]}"; done)
"$py" - "$times" "$out" "$csv" "$pq" "$ROWS" "$versions" "$load_before" "$load_after" "$bw_json" \
  "$(show "${BULWARK:-bulwark}" "${bw_profile_args[@]}")" "$RUNS" "$PANDAS_RUNS" "${NOTE:-}" "$TOOLS" <<'EOF' | tee "$out/data.md"
import json, os, platform, sys
(times, out, csv, pq, rows, versions, load0, load1, bw_tsv, bw_prof_cmd, runs, pandas_runs, extra_note,
 tools) = sys.argv[1:15]
rows = int(rows)
bw = dict(l.split("\t", 1) for l in bw_tsv.splitlines() if "\t" in l)


# --- adapt here when `bulwark profile --format json` settles its shape -------------------
def bulwark_columns(profile):
    """{column name: {"distinct": n, "nulls": n, "count": n}} from bulwark's profile JSON.
    Accepts columns as a list of objects with "name" or as an object keyed by name, and
    distinct as a number or an object ({"estimate": n} / {"value": n})."""
    cols = profile.get("columns", [])
    if isinstance(cols, dict):
        cols = [dict(v, name=k) for k, v in cols.items()]
    res = {}
    for c in cols:
        d = c.get("distinct", c.get("distinct_count", c.get("approx_distinct")))
        if isinstance(d, dict):
            d = d.get("estimate", d.get("value", d.get("count")))
        res[c.get("name")] = {"distinct": d, "nulls": c.get("nulls", c.get("null_count")), "count": c.get("count")}
    return res
# -------------------------------------------------------------------------------------------


def load(name):
    try:
        with open(os.path.join(out, f"data-{name}.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def cpu_model():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()
    return "?"


def mem_gib():
    for l in open("/proc/meminfo"):
        if l.startswith("MemTotal"):
            return int(l.split()[1]) / (1 << 20)


stats = json.load(open(csv + ".stats.json"))
csv_bytes = os.path.getsize(csv)
pq_bytes = os.path.getsize(pq) if os.path.exists(pq) else 0
ncpu = os.cpu_count()

# best run (by wall time) of each key
best, nruns, failed = {}, {}, {}
for l in open(times):
    key, nbytes, rc, wall, user, sys_, rss, cmd = l.rstrip("\n").split("\t")
    r = dict(bytes=int(nbytes), rc=int(rc), wall=float(wall), cpu=float(user) + float(sys_), rss=int(rss) * 1024,
             cmd=cmd)
    if r["rc"] > 1:
        failed[key] = r
        continue
    nruns[key] = nruns.get(key, 0) + 1
    if key not in best or r["wall"] < best[key]["wall"]:
        best[key] = r

print("## Data profiling and validation: bulwark against DuckDB and pandas\n")
print(f"Machine: {ncpu} CPUs (`nproc`), {cpu_model()}, {mem_gib():.0f} GiB RAM, Linux {platform.release()}; "
      f"load average {load0} before the timed runs, {load1} after.  ")
print(f"Versions: {versions}.\n")
gt = ""
try:
    e, u, s_, m = open(csv + ".gen-time").read().split()[-4:]
    gt = f" Generated in {float(e):.1f} s ({float(u) + float(s_):.1f} s CPU, peak RSS {int(m) // 1024} MiB)."
except (OSError, ValueError):
    pass
print(f"Data: `{os.path.basename(csv)}`, {csv_bytes:,} bytes ({csv_bytes / 1e9:.2f} GB), {stats['rows']:,} rows "
      f"({csv_bytes / max(1, stats['rows']):.0f} bytes a row), 12 columns, `bench/gen_data.c --rows {stats['rows']} "
      f"--seed {stats['seed']}`.{gt}" + (f" Parquet copy (DuckDB, zstd): {pq_bytes:,} bytes." if pq_bytes else "") + "\n")

labels = [
    ("raw-csv", "`cat` CSV > /dev/null (raw limit)", "CSV"),
    ("bulwark-profile", f"`bulwark {' '.join(bw_prof_cmd.split()[1:])}`", "CSV"),
    ("bulwark-profile-1t", "`bulwark profile --format json --threads 1` (one core)", "CSV"),
    ("duckdb-csv", "DuckDB: count, nulls, min, max, mean, approx_count_distinct", "CSV"),
    ("pandas", "pandas: read_csv + describe(include='all') + nunique()", "CSV"),
    ("bulwark-validate", "`bulwark validate --suite bench/data_suite.yml` (25 expectations)", "CSV"),
    ("bulwark-cat", "`bulwark cat --format csv` > /dev/null", "CSV"),
    ("raw-parquet", "`cat` Parquet > /dev/null", "Parquet"),
    ("bulwark-profile-parquet", f"`bulwark {' '.join(bw_prof_cmd.split()[1:])}`", "Parquet"),
    ("duckdb-parquet", "DuckDB: the same query", "Parquet"),
    ("bulwark-cat-parquet", "`bulwark cat --format csv` > /dev/null", "Parquet"),
]
bwkey = {"bulwark-profile": "profile", "bulwark-profile-1t": "profile", "bulwark-validate": "validate", "bulwark-cat": "cat",
         "bulwark-profile-parquet": "profile-parquet", "bulwark-cat-parquet": "cat-parquet"}
peer_skip = {}
for k in ("pandas",):
    j = load(k)
    if j and j.get("skipped"):
        peer_skip[k] = f"skipped: {j['skipped']}"
        best.pop(k, None)

print(f"Best of {runs} runs by wall time (pandas: {pandas_runs}); page cache warm; MB = 10^6 bytes; MB/s per CPU-s = "
      "input bytes / (user + sys) seconds; wall includes process start-up (node and Python too).\n")
print("| tool | input | wall s | CPU s | MB/s | MB/s per CPU-s | M rows/s | peak RSS | RSS / input | wall vs DuckDB |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for key, label, inp in labels:
    b = best.get(key)
    if b is None:
        if key in bwkey:
            why = bw.get(bwkey[key], "n/a")
        elif key in peer_skip:
            why = peer_skip[key]
        elif key in failed:
            why = f"failed (exit {failed[key]['rc']})"
        elif key.startswith("raw") and "raw" not in tools.split():
            continue
        else:
            why = "not run"
        print(f"| {label} | {inp} | {why} | | | | | | | |")
        continue
    ref = best.get("duckdb-parquet" if inp == "Parquet" else "duckdb-csv")
    vs = f"{b['wall'] / ref['wall']:.2f}x" if ref and not key.startswith("raw") else ""
    mbs = b["bytes"] / b["wall"] / 1e6
    mbs_s = f"{mbs / 1000:.2f} GB/s" if key.startswith("raw") else f"{mbs:.0f}"
    rows_read = stats["rows"]
    if key == "pandas":
        pj = load("pandas")
        rows_read = pj.get("rows", rows_read) if pj else rows_read
        if rows_read < stats["rows"]:  # PANDAS_ROWS: the bytes of the rows it read, about
            b = dict(b, bytes=b["bytes"] * rows_read // stats["rows"])
            mbs = b["bytes"] / b["wall"] / 1e6
            mbs_s = f"{mbs:.0f}"
            label += f" (first {rows_read:,} rows)"
    print(f"| {label} | {inp} | {b['wall']:.2f} | {b['cpu']:.2f} | {mbs_s} | {b['bytes'] / max(b['cpu'], 1e-9) / 1e6:.0f} | "
          f"{rows_read / b['wall'] / 1e6:.2f} | {b['rss'] / 1e6:.0f} MB | {b['rss'] / b['bytes']:.2f}x | {vs} |")
print()
dj = load("duckdb-csv")
if dj:
    s = dj["seconds"]
    print(f"DuckDB's own timers (best run): sniff + describe {s['describe']:.2f} s, the aggregate query {s['profile']:.2f} s; "
          f"{dj['threads']} threads.  ")
pj = load("pandas")
if pj and not pj.get("skipped"):
    s = pj["seconds"]
    print(f"pandas' steps: import {s['import']:.2f} s, read_csv {s['read_csv']:.2f} s, describe {s['describe']:.2f} s, "
          f"nunique {s['nunique']:.2f} s ({pj['rows']:,} rows).")
print()

# --- distinct counts --------------------------------------------------------------------
exact = {c["name"]: c for c in stats["columns"]}
dx = None
try:
    dx = json.load(open(csv + ".duckdb-exact.json"))
except (OSError, ValueError):
    pass
bj = load("bulwark-profile")
bcols = bulwark_columns(bj) if bj else {}
dcols = {c["name"]: c for c in dj["columns"]} if dj else {}
pcols = {c["name"]: c for c in pj["columns"]} if pj and not pj.get("skipped") else {}
pandas_full = bool(pcols) and pj.get("rows") == stats["rows"]


def err(v, ex):
    if v is None:
        return "–"
    try:
        e = 100.0 * (float(v) - ex) / ex if ex else 0.0
    except (TypeError, ValueError):
        return "?"
    return f"{float(v):,.0f} ({e:+.2f}%)"


print("### Distinct counts against the exact ones\n")
check = ""
if dx:
    bad = [c["name"] for c in dx["columns"] if c.get("exact_distinct") != exact.get(c["name"], {}).get("distinct")]
    badn = [c["name"] for c in dx["columns"] if c.get("nulls") != exact.get(c["name"], {}).get("nulls")]
    check = ("DuckDB's exact `count(DISTINCT)` and null counts agree with the generator's for every column."
             if not bad and not badn else
             f"**DuckDB's exact count(DISTINCT) disagrees with the generator** for {', '.join(bad + badn)}.")
print(f"Exact: computed by the generator while writing (bitmaps over each column's value keys). {check}\n")
print("| column | type | nulls | exact distinct | bulwark | DuckDB approx_count_distinct | pandas nunique |")
print("|---|---|---:|---:|---:|---:|---:|")
bw_errs, dk_errs = [], []
for c in stats["columns"]:
    n, ex = c["name"], c["distinct"]
    b = bcols.get(n, {}).get("distinct") if bcols else None
    d = dcols.get(n, {}).get("approx_distinct")
    p = pcols.get(n, {}).get("nunique") if pandas_full else None
    if b is not None:
        try:
            bw_errs.append(abs(float(b) - ex) / ex * 100)
        except (TypeError, ValueError):
            pass
    if d is not None:
        dk_errs.append(abs(d - ex) / ex * 100)
    bcell = err(b, ex) if bcols else ("n/a" if not bj else "?")
    print(f"| {n} | {c['type']} | {c['nulls']:,} | {ex:,} | {bcell} | {err(d, ex)} | {err(p, ex)} |")
print()
if dk_errs:
    print(f"DuckDB's approximate distinct: largest error {max(dk_errs):.1f}%, mean {sum(dk_errs) / len(dk_errs):.1f}% "
          "over the 12 columns.  ")
if bw_errs:
    print(f"bulwark: largest error {max(bw_errs):.2f}%, mean {sum(bw_errs) / len(bw_errs):.2f}%.  ")
if pcols and not pandas_full:
    print(f"pandas read {pj['rows']:,} rows only (PANDAS_ROWS): its nunique is not comparable.")
print()

# --- verdicts ---------------------------------------------------------------------------
print("### Against the issue's bar\n")
print("| target | result |")
print("|---|---|")


def mbcore(k):
    b = best[k]
    return b["bytes"] / b["cpu"] / 1e6


def verdict(ok):
    return "**met**" if ok else "**not met**"


def pending(k):
    return bw.get(bwkey[k], "n/a")


if "bulwark-profile" in best:
    v = mbcore("bulwark-profile")
    if "bulwark-profile-1t" in best:
        v1 = mbcore("bulwark-profile-1t")
        print(f"| profile ≥ 300 MB/s per core | {v1:.0f} MB/s per CPU-s on one core: {verdict(v1 >= 300)} "
              f"({v:.0f} per CPU-s with two threads) |")
    else:
        print(f"| profile ≥ 300 MB/s per core | {v:.0f} MB/s per CPU-s: {verdict(v >= 300)} |")
    if "duckdb-csv" in best:
        r = best["bulwark-profile"]["wall"] / best["duckdb-csv"]["wall"]
        print(f"| profile wall ≤ 1/3 of DuckDB's | {r:.2f}x DuckDB's wall: {verdict(r <= 1 / 3)} |")
    print(f"| profile peak RSS ≤ 256 MB | {best['bulwark-profile']['rss'] / 1e6:.0f} MB: "
          f"{verdict(best['bulwark-profile']['rss'] <= 256e6)} |")
else:
    print(f"| profile ≥ 300 MB/s per core, ≤ 1/3 of DuckDB's wall, RSS ≤ 256 MB | pending: {pending('bulwark-profile')} |")
if bw_errs:
    print(f"| distinct counts within 1 % | largest error {max(bw_errs):.2f}%: {verdict(max(bw_errs) <= 1.0)} |")
else:
    print(f"| distinct counts within 1 % | pending: {pending('bulwark-profile') if not bj else 'no distinct counts found in the profile JSON (adapt bulwark_columns in bench/data.sh)'} |")
if "bulwark-validate" in best:
    v = mbcore("bulwark-validate")
    print(f"| validate (25 expectations) ≥ 250 MB/s per core | {v:.0f} MB/s per CPU-s: {verdict(v >= 250)} |")
    print(f"| validate peak RSS ≤ 256 MB | {best['bulwark-validate']['rss'] / 1e6:.0f} MB: "
          f"{verdict(best['bulwark-validate']['rss'] <= 256e6)} |")
else:
    print(f"| validate ≥ 250 MB/s per core, RSS ≤ 256 MB | pending: {pending('bulwark-validate')} |")
if "bulwark-profile-parquet" in best and "duckdb-parquet" in best:
    r = best["bulwark-profile-parquet"]["wall"] / best["duckdb-parquet"]["wall"]
    print(f"| Parquet profile at least as fast as DuckDB | {r:.2f}x DuckDB's wall: {verdict(r <= 1.0)} |")
else:
    print(f"| Parquet profile at least as fast as DuckDB | pending: {pending('bulwark-profile-parquet')} |")
if "raw-csv" in best:
    b = best["raw-csv"]
    print(f"| raw limit (`cat` from page cache) | {b['bytes'] / b['wall'] / 1e9:.2f} GB/s (recorded) |")
print()
if extra_note:
    print(extra_note + "\n")
print("Commands (paths relative to the scratch directory or the repository):\n")
seen = set()
for l in open(times):
    key, *_, cmd = l.rstrip("\n").split("\t")
    if key not in seen:
        seen.add(key)
        print(f"- {key}: `{cmd}`")
EOF
