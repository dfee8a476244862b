#!/usr/bin/env python3
"""Write the seed corpus for fuzz_manifest (deterministic; standard library only).

Seeds cover every shape bw_manifest_parse accepts (OMS statements in files and
shards mode, a Sigstore bundle and a bare DSSE envelope around one, GNU check
lines with and without escapes, BSD tag lines) and a few near misses.
Run: python3 fuzz/corpus/make_manifest_seeds.py fuzz/corpus/manifest
"""
import base64
import hashlib
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "manifest")
os.makedirs(out, exist_ok=True)


def h(b):
    return hashlib.sha256(b).hexdigest()


def statement(name, resources, method="files", shard=None, algo="sha256", ignore=None):
    root = hashlib.new(algo if algo == "sha256" else "blake2b")
    for r in resources:
        root.update(bytes.fromhex(r["digest"]))
    ser = {"method": method, "hash_type": algo, "allow_symlinks": False}
    if shard:
        ser["shard_size"] = shard
    if ignore is not None:
        ser["ignore_paths"] = ignore
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {algo: root.hexdigest()}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {"serialization": ser, "resources": resources},
    }


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


files = {"config.json": b"{}\n", "model.safetensors": b"weights!", "sub/tok.json": b"[1,2]"}
res = [{"algorithm": "sha256", "digest": h(v), "name": k, "size": len(v)} for k, v in sorted(files.items())]
st = statement("tiny", res, ignore=[".git", "model.sig"])
write("statement.json", json.dumps(st, indent=2))
write("single_file.json", json.dumps(statement("m.bin", [{"algorithm": "sha256", "digest": h(b"x"), "name": "."}])))
shards = []
for k, v in sorted(files.items()):
    for s in range(0, len(v), 4):
        shards.append({"algorithm": "sha256-sharded-4", "digest": h(v[s:s + 4]), "name": "%s:%d:%d" % (k, s, min(s + 4, len(v)))})
write("shards.json", json.dumps(statement("tiny", shards, "shards", 4.0)))
b2 = [{"algorithm": "blake2b", "digest": hashlib.blake2b(v).hexdigest(), "name": k} for k, v in sorted(files.items())]
write("blake2b.json", json.dumps(statement("tiny", b2, algo="blake2b")))
payload = base64.b64encode(json.dumps(st).encode()).decode()
env = {"payload": payload, "payloadType": "application/vnd.in-toto+json", "signatures": [{"keyid": "", "sig": "AAAA"}]}
write("bundle.json", json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                                 "verificationMaterial": {"publicKey": {"hint": "x"}, "tlogEntries": []},
                                 "dsseEnvelope": env}))
write("envelope_urlsafe.json", json.dumps(dict(env, payload=base64.urlsafe_b64encode(json.dumps(st).encode()).decode().rstrip("="))))
write("sums.txt", "".join("%s  dir/%s\n" % (h(v), k) for k, v in sorted(files.items())))
write("sums_escaped.txt", "\\%s  dir/new\\nline\\\\x\n%s *binary mode\n" % (h(b"a"), h(b"b")))
write("bsd_tag.txt", "SHA256 (a (1).txt) = %s\nSHA256 (b) = %s\n" % (h(b"a"), h(b"b")))
write("b2sums.txt", "%s  f\n" % hashlib.blake2b(b"f").hexdigest())
write("crlf_bom.txt", "\ufeff%s  a\r\n" % h(b"a"))
# near misses
bad = json.loads(json.dumps(st))
bad["predicate"]["resources"][0]["digest"] = h(b"tampered")
write("bad_subject.json", json.dumps(bad))
write("bad_dotdot.json", json.dumps(statement("x", [{"algorithm": "sha256", "digest": h(b"x"), "name": "../etc/passwd"}])))
write("bad_dup.json", json.dumps(statement("x", [{"algorithm": "sha256", "digest": h(b"x"), "name": "a"}] * 2)))
write("bad_truncated.json", json.dumps(st)[:200])
write("bad_sums_short.txt", "abc123  file\n")
write("bad_mixed_algo.txt", "%s  a\n%s  b\n" % (h(b"a"), hashlib.blake2b(b"b").hexdigest()))
write("bad_predicate.json", json.dumps(dict(st, predicateType="https://slsa.dev/provenance/v1")))
