#!/usr/bin/env bash
# make demo: build bulwark and run every command that exists on the bundled example,
# examples/readmission (a synthetic hospital-readmission project). Each later feature
# adds its step here. State goes to examples/readmission/.bulwark/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=debugoptimized >/dev/null
ninja -C "$BUILD" >/dev/null
BW="$PWD/$BUILD/src/cli/bulwark"
EX=examples/readmission
STATE=$EX/.bulwark
mkdir -p "$STATE"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; set +e; "$@"; local rc=$?; set -e; echo "(exit $rc)"; }

run "$BW" --version

echo; echo "== 1. Content digests: name every dataset and model by its SHA-256"
run "$BW" digest "$EX/data/patients.csv" "$EX/model/readmission_model.pkl"

echo; echo "== 2. A directory's manifest (OpenSSF model-signing form) and its digest"
run "$BW" digest --manifest "$STATE/model.manifest.json" "$EX/model"
step "head -n 12 $STATE/model.manifest.json"; head -n 12 "$STATE/model.manifest.json"

echo; echo "== 3. The output is sha256sum's own format"
run "$BW" digest -o "$STATE/SHA256SUMS" "$EX/data" "$EX/model"
run sha256sum -c "$STATE/SHA256SUMS"

echo; echo "== 4. Tamper detection: nothing changed since the manifest was made"
run "$BW" digest --check "$STATE/model.manifest.json" "$EX/model"

echo; echo "== 5. Someone swaps the model file and drops in a new one"
tamper=$(mktemp -d)
trap 'rm -rf "$tamper"' EXIT
cp -r "$EX/model" "$tamper/model"
printf 'cos\nsystem\n(S"echo pwned"\ntR.' >> "$tamper/model/readmission_model.pkl"
echo '{}' > "$tamper/model/extra_weights.json"
rm "$tamper/model/metrics.json"
run "$BW" digest --check "$STATE/model.manifest.json" "$tamper/model"
run "$BW" digest --check "$STATE/model.manifest.json" --format json "$tamper/model"

echo; echo "== 6. Shard mode spreads one large file over every core"
run "$BW" digest --shard 64K --format json "$EX/data/patients.csv"

echo; echo "== 7. Scan the model before anyone loads it: the real pickle from train.py is safe"
run "$BW" scan "$EX/model"

echo; echo "== 8. An attacker swaps in a model whose pickle runs a command on load"
# the bytes pickle writes for os.system('touch /tmp/pwned') at protocol 2, shipped in a
# PyTorch-style zip: bulwark reads it, never loads it
evil="$tamper/evil"
mkdir -p "$evil/archive"
printf '\x80\x02cposix\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.' > "$evil/archive/data.pkl"
(cd "$evil" && python3 -c 'import zipfile; z=zipfile.ZipFile("model.pt","w"); z.write("archive/data.pkl"); z.close()')
run "$BW" scan "$evil/model.pt"
run "$BW" scan --format sarif -o "$STATE/scan.sarif" "$evil/model.pt"
echo "SARIF for code scanning written to $STATE/scan.sarif"

echo; echo "demo done: manifests and reports are in $STATE/"
