#!/bin/sh
# run.sh GEN - check bulwark's in-toto layouts and links with Debian's in-toto-verify
# (in-toto 1.3.1, securesystemslib): layouts owned by an Ed25519 and by a P-256 key verify;
# a link or layout changed after signing, a link with a material that the previous step did
# not produce, and a link signed by a key the layout does not name all fail.
# Exit 0 when every check passes, 1 when one fails, 77 (skip) when in-toto-verify is absent.
set -u
gen=${1:?usage: run.sh PATH-TO-intoto_gen}
verifier=${BW_IN_TOTO_VERIFY:-in-toto-verify} # another name only to test the skip

if ! command -v "$verifier" >/dev/null 2>&1; then
    echo "1..0 # SKIP $verifier not found (Debian package in-toto; scripts/deps.sh installs it)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bw-intoto.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

# verify DIR KEYTYPE: in-toto-verify's exit status, its output in DIR.out
verify() {
    (cd "$1" && "$verifier" --verbose --layout root.layout --layout-keys owner.pub --key-types "$2") >"$1.out" 2>&1
}

# expect NAME WANT(pass|fail) DIR KEYTYPE [PATTERN]: PATTERN must appear in in-toto's output
expect() {
    n=$((n + 1))
    verify "$3" "$4"
    rc=$?
    if { [ "$2" = pass ] && [ $rc -eq 0 ]; } || { [ "$2" = fail ] && [ $rc -eq 1 ]; }; then
        if [ -n "${5:-}" ] && ! grep -qF -- "$5" "$3.out"; then
            echo "not ok $n - $1: exit $rc but no '$5' in the output"; sed 's/^/#   /' "$3.out"; fails=$((fails + 1))
            return
        fi
        echo "ok $n - $1 (in-toto-verify exit $rc)"
    else
        echo "not ok $n - $1: in-toto-verify exit $rc, wanted $2"; sed 's/^/#   /' "$3.out"; fails=$((fails + 1))
    fi
}

# fresh DIR OWNER [mismatch]: a generated pipeline
fresh() {
    mkdir -p "$1" && "$gen" "$1" "$2" ${3:-} || { echo "not ok - intoto_gen $2 ${3:-} failed"; exit 1; }
}

fresh "$tmp/ed" ed25519
expect "Ed25519-owned layout, P-256 and Ed25519 links verify" pass "$tmp/ed" ed25519 "passed all verification"
fresh "$tmp/p256" p256
expect "P-256-owned layout verifies (key type ecdsa)" pass "$tmp/p256" ecdsa "passed all verification"

# a link changed after signing: one digit of a product digest
cp -r "$tmp/ed" "$tmp/tamper-link"
link=$(ls "$tmp"/tamper-link/train.*.link)
sed 's/"model.bin":{"sha256":"0/"model.bin":{"sha256":"1/;t;s/"model.bin":{"sha256":"[1-9a-f]/"model.bin":{"sha256":"0/' \
    "$link" >"$link.new" && mv "$link.new" "$link"
if cmp -s "$link" "$tmp/ed/$(basename "$link")"; then echo "not ok - the tamper did not change the link"; exit 1; fi
expect "a product digest changed after signing fails" fail "$tmp/tamper-link" ed25519 "links validly signed"

# a changed command in the prepare link (the canonical JSON of an argv with a newline)
cp -r "$tmp/ed" "$tmp/tamper-cmd"
link=$(ls "$tmp"/tamper-cmd/prepare.*.link)
sed 's/line one/line 1ne/' "$link" >"$link.new" && mv "$link.new" "$link"
expect "a changed command argument fails" fail "$tmp/tamper-cmd" ed25519 "links validly signed"

# the layout changed after signing
cp -r "$tmp/ed" "$tmp/tamper-layout"
sed 's/"threshold":1/"threshold":2/' "$tmp/tamper-layout/root.layout" >"$tmp/tamper-layout/l.new" &&
    mv "$tmp/tamper-layout/l.new" "$tmp/tamper-layout/root.layout"
expect "a changed layout fails" fail "$tmp/tamper-layout" ed25519 "SignatureVerificationError: Invalid signature"

# a link signed by a key the layout does not authorise: another run's train link
cp -r "$tmp/ed" "$tmp/wrong-key"
rm "$tmp"/wrong-key/train.*.link
cp "$tmp"/p256/train.*.link "$tmp/wrong-key/$(basename "$(ls "$tmp"/ed/train.*.link)")"
expect "a link signed by another key fails" fail "$tmp/wrong-key" ed25519 "links validly signed"

# validly signed links whose artifacts do not chain: train consumed a data.csv prepare did not make
fresh "$tmp/mismatch" ed25519 mismatch
expect "a material that does not match the previous step's product fails" fail "$tmp/mismatch" ed25519 \
    "'DISALLOW *' matched the following artifacts: ['data.csv']"

echo "1..$n"
[ $fails -eq 0 ] || { echo "# $fails of $n in-toto checks failed"; exit 1; }
echo "# all $n in-toto checks passed"
