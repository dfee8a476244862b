#!/usr/bin/env bash
# Install the Debian packages bulwark's build, tests, fuzzing and benchmarks need.
# Idempotent: quiet and fast when everything is present. Works as root or through sudo.
# Usage: scripts/deps.sh [--bench]   (--bench adds the tools only benchmarks use)
set -euo pipefail

pkgs=(
  build-essential pkg-config meson ninja-build
  clang-14 libclang-rt-14-dev          # sanitizer and libFuzzer builds
  clang-format-14                      # make check verifies formatting
  libssl-dev libsodium-dev libjansson-dev
  openssl                              # tests: keys and signatures made by OpenSSL's own tools
  zlib1g-dev libarchive-dev             # model containers: zip members, tar, gz/bz2/xz
  libhdf5-dev                          # Keras .h5: headers at build time; libhdf5 dlopen()ed by the isolated reader
  libpcre2-dev                         # secrets/PII: PCRE2 confirms what Hyperscan found
  libyaml-dev                          # custom secret rules in YAML; validation suites
  libsnappy-dev libzstd-dev liblz4-dev libbrotli-dev # Parquet page codecs (gzip comes from zlib)
  libsqlite3-dev                       # the ledger's store (.bulwark/ledger.db)
  libpq-dev postgresql                 # the ledger's PostgreSQL store; tests/ledger/pg.sh runs a server
  git                                  # scan secrets --staged / --git-history
  python3 python3-jsonschema           # example generator; independent SARIF schema validator
  in-toto                              # in-toto-verify checks bulwark's layouts and links (tests/interop/in-toto)
  graphviz                             # dot renders `bulwark lineage --format dot` in tests (test_lineage, lineage-formats)
  nodejs                               # interop test: sigstore-js (@sigstore/verify) checks our bundles
)
# npm: Debian's package, unless a nodejs that bundles its own npm (NodeSource's) is installed
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
# The multi-pattern prefilter: Intel Hyperscan on amd64. Debian's Vectorscan 5.4.9 loses matches
# on AVX-512 hosts depending on where a buffer starts in memory (docs/architecture.md), and the two
# packages conflict, so an installed Vectorscan is swapped out. Elsewhere Vectorscan is the only one.
drop=()
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  pkgs+=(libhyperscan-dev)
  for p in libvectorscan-dev libvectorscan5; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then drop+=("$p-"); fi
  done
else
  pkgs+=(libvectorscan-dev)
fi
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(hyperfine coreutils openssl time ripgrep python3-pandas)   # secretlint comes from npm (bench/peers), if node is present
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 2
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# refresh the package lists once if they are missing or older than a day
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -1)" ]; then
  $sudo apt-get update -qq >&2
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" ${drop[@]+"${drop[@]}"} >/dev/null
