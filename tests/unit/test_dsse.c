/*
 * test_dsse.c - keys (lib/trust/key.c) and DSSE envelopes (lib/trust/dsse.c):
 * the DSSE 1.0.2 protocol vector, round trips with every key type, every
 * signature form, tampering and malformed envelopes, and envelopes made by
 * other tools (../shared/vectors/provenance: @sigstore/verify-checked bundles
 * and model_signing's own P-384 signatures), skipped when absent.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bulwark/bw_dsse.h"
#include "bulwark/bw_key.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static const char spec_pem[] = "-----BEGIN PUBLIC KEY-----\n"
                               "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr\n"
                               "CrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==\n"
                               "-----END PUBLIC KEY-----\n";
/* DSSE protocol.md 1.0.2, "Test Vectors": the signature as raw r||s and as DER */
static const char spec_sig_raw[] =
    "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==";
static const char spec_sig_der[] =
    "MEQCIANyarEBrVbCdjtsaqyOSHJ14qeRk6CdxfhZ2fjvPEo7AiBR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==";

static bw_status verify_str(const char *env, const bw_key *k, bw_dsse_verified *v, bw_error *err)
{
    const bw_key *keys[1] = {k};
    bw_error_clear(err);
    return bw_dsse_verify(env, strlen(env), "t.json", keys, 1, v, err);
}

static char *envelope(const char *payload_b64, const char *type, const char *sig_b64)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}",
             payload_b64, type, sig_b64);
    return buf;
}

static void test_spec_vector(void)
{
    bw_buf pae = BW_BUF_INIT(1 << 20);
    bw_key *k = NULL;
    bw_error err = {0};
    bw_dsse_verified v;

    ok(bw_dsse_pae("http://example.com/HelloWorld", "hello world", 11, &pae) == BW_OK, "PAE");
    is_str(pae.ptr, "DSSEv1 29 http://example.com/HelloWorld 11 hello world", "PAE as the spec gives it");
    bw_buf_reset(&pae);
    ok(bw_dsse_pae("", "", 0, &pae) == BW_OK, "PAE of nothing");
    is_str(pae.ptr, "DSSEv1 0  0 ", "empty type and payload");
    bw_buf_release(&pae);

    ok(bw_key_from_pem(spec_pem, strlen(spec_pem), "spec.pem", &k, &err) == BW_OK, "the spec's key loads (%s)",
       err.msg);
    if (k == NULL) {
        return;
    }
    ok(bw_key_get_type(k) == BW_KEY_P256 && !bw_key_is_private(k), "a P-256 public key");
    is_int(verify_str(envelope("aGVsbG8gd29ybGQ=", "http://example.com/HelloWorld", spec_sig_raw), k, &v, &err), BW_OK,
           "the spec's envelope verifies (raw r||s)");
    ok(v.payload.len == 11 && memcmp(v.payload.ptr, "hello world", 11) == 0 &&
           strcmp(v.type, "http://example.com/HelloWorld") == 0,
       "and hands back the signed payload and type");
    bw_dsse_verified_release(&v);
    is_int(verify_str(envelope("aGVsbG8gd29ybGQ=", "http://example.com/HelloWorld", spec_sig_der), k, &v, &err), BW_OK,
           "the same signature as DER");
    bw_dsse_verified_release(&v);
    /* URL-safe, unpadded forms of both */
    char url[128];
    snprintf(url, sizeof(url), "%s", spec_sig_raw);
    for (char *p = url; *p; p++) {
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    }
    url[strcspn(url, "=")] = '\0';
    is_int(verify_str(envelope("aGVsbG8gd29ybGQ", "http://example.com/HelloWorld", url), k, &v, &err), BW_OK,
           "URL-safe base64 without padding");
    bw_dsse_verified_release(&v);
    is_int(verify_str(envelope("aGVsbG8gd29ybGQh", "http://example.com/HelloWorld", spec_sig_raw), k, &v, &err),
           BW_EVERIFY, "another payload fails");
    ok(v.payload.len == 0 && v.type == NULL, "and hands back nothing");
    is_int(verify_str(envelope("aGVsbG8gd29ybGQ=", "http://example.com/HelloWorlD", spec_sig_raw), k, &v, &err),
           BW_EVERIFY, "another payloadType fails");
    like(err.msg, "no signature verifies", "message: %s", err.msg);
    char flip[128];
    snprintf(flip, sizeof(flip), "%s", spec_sig_raw);
    flip[10] = flip[10] == 'A' ? 'B' : 'A';
    is_int(verify_str(envelope("aGVsbG8gd29ybGQ=", "http://example.com/HelloWorld", flip), k, &v, &err), BW_EVERIFY,
           "a changed signature fails");
    bw_key_free(k);
}

static void test_malformed(void)
{
    static const struct {
        const char *env, *want;
        bw_status rc;
    } cases[] = {
        {"[]", "is a JSON object", BW_EFORMAT},
        {"{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "payload must be a string", BW_EFORMAT},
        {"{\"payload\":\"\",\"signatures\":[{\"sig\":\"AA==\"}]}", "payloadType must be a string", BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[]}", "non-empty array", BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\"}", "non-empty array", BW_EFORMAT},
        {"{\"payload\":\"!!\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "not base64", BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"*\"}]}", "sig is not base64", BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[7]}", "signatures[0] must be an object", BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"k\"}]}", "signatures[0].sig must",
         BW_EFORMAT},
        {"{\"payload\":\"\",\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "duplicate",
         BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\\u0000x\",\"signatures\":[{\"sig\":\"AA==\"}]}", "NUL", BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]", "line 1", BW_EFORMAT},
        {"{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "no signature verifies",
         BW_EVERIFY},
    };
    bw_key *k = NULL;
    bw_error err = {0};
    bw_dsse_verified v;

    ok(bw_key_from_pem(spec_pem, strlen(spec_pem), "spec.pem", &k, &err) == BW_OK, "key");
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        bw_status rc = verify_str(cases[i].env, k, &v, &err);
        ok(rc == cases[i].rc && strstr(err.msg, cases[i].want) != NULL && strstr(err.msg, "t.json") != NULL,
           "malformed %zu: %s", i, err.msg);
    }
    bw_key_free(k);
    ok(bw_key_from_pem("nothing here", 12, "x.pem", &k, &err) == BW_EFORMAT && k == NULL, "no PEM: BW_EFORMAT");
    const char *enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    ok(bw_key_from_pem(enc, strlen(enc), "e.pem", &k, &err) == BW_EUNSUPPORTED, "encrypted: %s", err.msg);
    ok(bw_key_pem_encrypted(enc, strlen(enc)), "PKCS#8 ENCRYPTED PRIVATE KEY is encrypted");
    ok(bw_key_from_pem_pass(enc, strlen(enc), "e.pem", "pw", 2, &k, &err) == BW_EVERIFY && k == NULL,
       "a damaged encrypted key with a passphrase: BW_EVERIFY (%s)", err.msg);
    {
        const char *legacy =
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n"
            "-----END EC PRIVATE KEY-----\n";
        const char *plain = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
                            "Proc-Type: 4,ENCRYPTED\n"; /* after the block: not its header */
        const char *pub_first = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
                                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        char big[1100];
        ok(bw_key_pem_encrypted(legacy, strlen(legacy)), "a legacy Proc-Type SEC 1 key is encrypted");
        ok(!bw_key_pem_encrypted(plain, strlen(plain)), "a SEC 1 key with Proc-Type only after its block is not");
        ok(!bw_key_pem_encrypted(pub_first, strlen(pub_first)), "the first block decides (a public key)");
        ok(!bw_key_pem_encrypted("", 0), "no text: not encrypted");
        ok(bw_key_from_pem(plain, strlen(plain), "p.pem", &k, &err) == BW_EFORMAT, "a broken SEC 1 key: %s", err.msg);
        memset(big, 'x', sizeof(big));
        ok(bw_key_from_pem_pass(enc, strlen(enc), "e.pem", big, sizeof(big), &k, &err) == BW_ELIMIT,
           "a passphrase over 1024 bytes: BW_ELIMIT");
    }
    const char *junk = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    ok(bw_key_from_pem(junk, strlen(junk), "j.pem", &k, &err) == BW_EFORMAT, "a broken key: %s", err.msg);
}

static void test_round_trips(void)
{
    static const bw_key_type types[] = {BW_KEY_P256, BW_KEY_P384, BW_KEY_P521, BW_KEY_ED25519};
    static const char payload[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
    bw_key *keys[4] = {0};
    bw_error err = {0};

    for (size_t t = 0; t < 4; t++) {
        ok(bw_key_generate(types[t], &keys[t], &err) == BW_OK && bw_key_is_private(keys[t]) &&
               bw_key_get_type(keys[t]) == types[t],
           "generate %s", bw_key_type_name(types[t]));
    }
    for (size_t t = 0; t < 4; t++) {
        bw_buf env = BW_BUF_INIT(1 << 20), pem = BW_BUF_INIT(1 << 20);
        bw_key *pub = NULL;
        bw_dsse_verified v;
        const char *name = bw_key_type_name(types[t]);

        ok(bw_dsse_sign("application/vnd.in-toto+json", payload, strlen(payload), keys[t], "", &env, &err) == BW_OK,
           "%s signs", name);
        ok(bw_key_public_pem(keys[t], &pem) == BW_OK && bw_key_from_pem(pem.ptr, pem.len, "pub", &pub, &err) == BW_OK,
           "%s public half through PEM", name);
        is_int(verify_str(env.ptr, pub, &v, &err), BW_OK, "%s envelope verifies with the public key", name);
        ok(v.payload.len == strlen(payload) && memcmp(v.payload.ptr, payload, v.payload.len) == 0, "%s payload back",
           name);
        bw_dsse_verified_release(&v);
        like(env.ptr, "\"keyid\":\"\"", "%s keyid kept (empty, as model_signing writes)", name);
        /* with the wrong key, and among several keys */
        const bw_key *other[2] = {keys[(t + 1) % 4], pub};
        bw_error_clear(&err);
        is_int(bw_dsse_verify(env.ptr, env.len, "e", other, 1, &v, &err), BW_EVERIFY, "%s: another key fails", name);
        is_int(bw_dsse_verify(env.ptr, env.len, "e", other, 2, &v, &err), BW_OK, "%s: the second of two keys", name);
        is_int(v.key_index, 1, "%s: it says which key", name);
        bw_dsse_verified_release(&v);
        char hint[65];
        ok(bw_key_hint(pub, hint) == BW_OK && strlen(hint) == 64 && strspn(hint, "0123456789abcdef") == 64,
           "%s key hint is 64 hex digits", name);
        bw_buf_release(&env);
        bw_buf_release(&pem);
        bw_key_free(pub);
    }
    /* a public key does not sign */
    bw_buf sig = BW_BUF_INIT(1024), pem = BW_BUF_INIT(1 << 16);
    bw_key *pub = NULL;
    ok(bw_key_public_pem(keys[0], &pem) == BW_OK && bw_key_from_pem(pem.ptr, pem.len, "p", &pub, &err) == BW_OK &&
           bw_key_sign(pub, "x", 1, &sig, &err) == BW_EINVAL,
       "a public key cannot sign");
    /* raw r||s from a DER signature verifies too, for every curve */
    for (size_t t = 0; t < 3; t++) {
        bw_buf_reset(&sig);
        ok(bw_key_sign(keys[t], "msg", 3, &sig, &err) == BW_OK, "sign");
        is_int(bw_key_verify(keys[t], "msg", 3, sig.ptr, sig.len), BW_OK, "%s DER verifies",
               bw_key_type_name(types[t]));
        is_int(bw_key_verify(keys[t], "msh", 3, sig.ptr, sig.len), BW_EVERIFY, "%s other message fails",
               bw_key_type_name(types[t]));
        is_int(bw_key_verify(keys[t], "msg", 3, sig.ptr, sig.len - 1), BW_EVERIFY, "%s cut signature fails",
               bw_key_type_name(types[t]));
    }
    bw_buf_release(&sig);
    bw_buf_release(&pem);
    bw_key_free(pub);
    for (size_t t = 0; t < 4; t++) {
        bw_key_free(keys[t]);
    }
    bw_key_type kt;
    ok(bw_key_type_parse("ECDSA-P256", &kt) == BW_OK && kt == BW_KEY_P256 &&
           bw_key_type_parse("Ed25519", &kt) == BW_OK && kt == BW_KEY_ED25519 &&
           bw_key_type_parse("rsa", &kt) == BW_EINVAL,
       "key type names");
}

/* The dsseEnvelope of a Sigstore bundle file, as JSON text (free it), and its key hint. */
static char *bundle_envelope(const char *path, char hint[65])
{
    char *text = tu_read(path, NULL);
    json_t *root = text != NULL ? json_loads(text, 0, NULL) : NULL;
    char *env = root != NULL ? json_dumps(json_object_get(root, "dsseEnvelope"), JSON_COMPACT) : NULL;
    const char *h = json_string_value(
        json_object_get(json_object_get(json_object_get(root, "verificationMaterial"), "publicKey"), "hint"));
    snprintf(hint, 65, "%s", h != NULL ? h : "");
    json_decref(root);
    free(text);
    return env;
}

static bw_key *key_file(const char *path)
{
    size_t n = 0;
    char *pem = tu_read(path, &n);
    bw_key *k = NULL;
    bw_error err = {0};
    if (pem == NULL || bw_key_from_pem(pem, n, path, &k, &err) != BW_OK) {
        tap_diag("%s: %s", path, err.msg);
    }
    free(pem);
    return k;
}

static void test_shared_vectors(void)
{
    const char *shared = getenv("BW_SHARED_DIR");
    char dir[4096], path[4200], hint[65], ours[65];
    struct stat st;

    snprintf(dir, sizeof(dir), "%s/vectors/provenance", shared != NULL ? shared : "../shared");
    if (stat(dir, &st) != 0) {
        skip(1, "provenance vectors not found (../shared/vectors/provenance absent)");
        return;
    }
    /* bundles made with openssl + jq and checked with @sigstore/verify */
    static const struct {
        const char *bundle, *key;
        bw_status rc;
    } gen[] = {
        {"bundle.p256.json", "p256.pub", BW_OK},
        {"bundle.ed25519.json", "ed.pub", BW_OK},
        {"bundle.p256.tampered.json", "p256.pub", BW_EVERIFY},
        {"bundle.p256.json", "ed.pub", BW_EVERIFY},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(gen); i++) {
        snprintf(path, sizeof(path), "%s/generated-here/sigstore-bundle-v0.3-pubkey/%s", dir, gen[i].key);
        bw_key *k = key_file(path);
        snprintf(path, sizeof(path), "%s/generated-here/sigstore-bundle-v0.3-pubkey/%s", dir, gen[i].bundle);
        char *env = bundle_envelope(path, hint);
        bw_dsse_verified v;
        bw_error err = {0};
        ok(k != NULL && env != NULL && verify_str(env, k, &v, &err) == gen[i].rc, "%s with %s: %s", gen[i].bundle,
           gen[i].key, gen[i].rc == BW_OK ? "verifies" : "fails");
        if (gen[i].rc == BW_OK) {
            like(v.payload.ptr != NULL ? v.payload.ptr : "", "\"_type\"", "%s: the statement comes back",
                 gen[i].bundle);
            bw_dsse_verified_release(&v);
            ok(k != NULL && bw_key_hint(k, ours) == BW_OK && strcmp(ours, hint) == 0,
               "%s: our key hint is the bundle's (%s)", gen[i].bundle, hint);
        }
        free(env);
        bw_key_free(k);
    }
    /* model_signing's own key-based signatures (ECDSA P-384, text before the PEM block) */
    snprintf(path, sizeof(path), "%s/model-transparency/scripts/tests/keys/certificate/signing-key-pub.pem", dir);
    bw_key *k384 = key_file(path);
    ok(k384 != NULL && bw_key_get_type(k384) == BW_KEY_P384, "model_signing's test key is P-384");
    static const char *const rel[] = {"v1.0.0", "v1.0.1", "v1.1.0"};
    for (size_t i = 0; i < BW_ARRAY_LEN(rel) && k384 != NULL; i++) {
        bw_dsse_verified v;
        bw_error err = {0};
        snprintf(path, sizeof(path), "%s/model-transparency/scripts/tests/%s-elliptic-key/model.sig", dir, rel[i]);
        char *env = bundle_envelope(path, hint);
        ok(env != NULL && verify_str(env, k384, &v, &err) == BW_OK, "model_signing %s signature verifies (%s)", rel[i],
           err.msg);
        like(v.payload.ptr != NULL ? v.payload.ptr : "", "https://model_signing/signature/v1.0",
             "%s: an OMS v1.0 statement", rel[i]);
        bw_dsse_verified_release(&v);
        free(env);
    }
    bw_key_free(k384);
}

int main(void)
{
    test_spec_vector();
    test_malformed();
    test_round_trips();
    test_shared_vectors();
    return done_testing();
}
