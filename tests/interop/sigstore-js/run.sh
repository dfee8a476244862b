#!/usr/bin/env bash
# run.sh - interoperability with sigstore-js: bundles written by `bulwark sign` must verify
# offline with @sigstore/verify (an independent implementation, from npm, pinned by
# package-lock.json) given only the public key, and tampered ones must not. TAP output.
#
# env: BULWARK (the binary), BW_BUILD_ROOT (npm installs into $BW_BUILD_ROOT/interop-sigstore-js
# once; later runs reuse it while package-lock.json is unchanged).
# Skipped (exit 77) only when node or npm is absent.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${BULWARK:-}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "1..0 # SKIP node and npm are needed for the sigstore-js interop test (scripts/deps.sh installs them)"
    exit 77
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "Bail out! no bulwark binary (set BULWARK)"
    exit 1
fi
dest=${BW_BUILD_ROOT:-$here}/interop-sigstore-js
mkdir -p "$dest"
if ! cmp -s "$here/package-lock.json" "$dest/package-lock.json" || [ ! -d "$dest/node_modules/@sigstore/verify" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$dest/"
    if ! npm ci --prefix "$dest" --no-audit --no-fund --loglevel=error >"$dest/npm-ci.log" 2>&1; then
        echo "Bail out! npm ci failed (see $dest/npm-ci.log):"
        sed 's/^/# /' "$dest/npm-ci.log" | tail -20
        rm -f "$dest/package-lock.json"
        exit 1
    fi
fi
cp "$here/verify.js" "$here/genkey.js" "$dest/"

work=$(mktemp -d "${TMPDIR:-/tmp}/bw-sigstore-js.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

n=0 fails=0
ok() { # ok COND-EXIT-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
sjs() { node "$dest/verify.js" "$@"; }

# a small model: nested files, an empty file, a name with a space
mkdir -p model/sub/deeper
printf 'weights' > model/model.safetensors
printf '{"a": 1}' > model/config.json
printf 'x' > "model/sub/tok en.json"
: > model/sub/empty
printf '%s' "$(seq 1 2000)" > model/sub/deeper/big.bin

for t in p256 ed25519; do
    node "$dest/genkey.js" $t $t.pem $t.pub
    "$bin" --format json sign --key $t.pem --signature $t.sig model > $t.json
    ok $? "$t: bulwark signs"
    digest=$(sed -n 's/.*"manifest_digest": "\([0-9a-f]*\)".*/\1/p' $t.json)
    out=$(sjs $t.pub $t.sig)
    ok $? "$t: @sigstore/verify verifies bulwark's bundle ($out)"
    [ "$out" = "ok application/vnd.in-toto+json model sha256:$digest" ]
    ok $? "$t: and reads the subject bulwark signed (sha256:$digest)"
    "$bin" -q verify --key $t.pub --signature $t.sig model > /dev/null
    ok $? "$t: bulwark verifies it too"
done

# shard mode, and the signature kept inside the model
"$bin" sign --key p256.pem --shard 1K --signature model/model.sig model > /dev/null
ok $? "shards: bulwark signs with --shard 1K"
out=$(sjs p256.pub model/model.sig)
ok $? "shards: @sigstore/verify verifies it ($out)"

# the wrong key (offered under the bundle's hint), a tampered payload, a tampered signature,
# a wrong hint: all must fail
out=$(sjs ed25519.pub p256.sig --any-hint)
[ $? -eq 1 ]
ok $? "wrong key: @sigstore/verify refuses ($out)"
node - p256.sig <<'JS'
const fs = require('fs');
const read = () => JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let b = read();
const stmt = Buffer.from(b.dsseEnvelope.payload, 'base64').toString().replace('"model"', '"evil!"');
b.dsseEnvelope.payload = Buffer.from(stmt).toString('base64');
fs.writeFileSync('payload-tampered.sig', JSON.stringify(b));
b = read();
const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64');
sig[sig.length - 1] ^= 1;
b.dsseEnvelope.signatures[0].sig = sig.toString('base64');
fs.writeFileSync('sig-tampered.sig', JSON.stringify(b));
b = read();
b.verificationMaterial.publicKey.hint = '00'.repeat(32);
fs.writeFileSync('hint-wrong.sig', JSON.stringify(b));
JS
for f in payload-tampered sig-tampered hint-wrong; do
    out=$(sjs p256.pub $f.sig)
    [ $? -eq 1 ]
    ok $? "$f: @sigstore/verify refuses ($out)"
done
for f in payload-tampered sig-tampered; do
    "$bin" -q verify --key p256.pub --signature $f.sig model > /dev/null 2>&1
    [ $? -eq 1 ]
    ok $? "$f: bulwark refuses (exit 1)"
done

echo "1..$n"
echo "# $((n - fails)) passed, $fails failed"
[ $fails -eq 0 ]
