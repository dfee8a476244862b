/*
 * test_bundle.c - Sigstore bundles (lib/trust/bundle.c): the writer's exact
 * layout (model_signing's), round trips with every key type, hint-ordered
 * key selection, and the reader's errors on malformed JSON, a wrong
 * mediaType, missing or mistyped members and bad base64, each naming the
 * offset or the member. Real bundles from ../shared/vectors/provenance
 * (model_signing's model.sig files, the sigstore-conformance corpus) are
 * read when present.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bulwark/bw_bundle.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static const char *const ok_bundle = "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
                                     "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"abc\"},\"tlogEntries\":[]},"
                                     "\"dsseEnvelope\":{\"payload\":\"aGVsbG8=\",\"payloadType\":\"text/plain\","
                                     "\"signatures\":[{\"sig\":\"AAAA\",\"keyid\":\"\"}]}}";

static bw_status parse_str(const char *s, bw_bundle *b, bw_error *err)
{
    bw_error_clear(err);
    return bw_bundle_parse(s, strlen(s), "b.json", b, err);
}

static void test_reader_errors(void)
{
    static const struct {
        const char *doc, *want;
        bw_status rc;
    } cases[] = {
        {"{\"mediaType\": ", "offset 14 (line 1, column 14)", BW_EFORMAT},
        {"[1]", "a Sigstore bundle is a JSON object", BW_EFORMAT},
        {"{}", "mediaType is missing", BW_EFORMAT},
        {"{\"mediaType\":7}", "mediaType must be a string", BW_EFORMAT},
        {"{\"mediaType\":\"application/json\"}", "mediaType 'application/json' is not a Sigstore bundle", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}", "verificationMaterial is missing",
         BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{}}",
         "verificationMaterial holds no publicKey", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{\"hint\":5}}}",
         "verificationMaterial.publicKey.hint must be a string", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{},\"tlogEntries\":{}}}",
         "verificationMaterial.tlogEntries must be an array", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}}}",
         "dsseEnvelope is missing", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"messageSignature\":{}}",
         "a messageSignature bundle", BW_EUNSUPPORTED},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payloadType\":\"t\",\"signatures\":[]}}",
         "dsseEnvelope.payload is missing", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":1,\"signatures\":[]}}",
         "dsseEnvelope.payloadType must be a string", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[]}}",
         "dsseEnvelope.signatures is empty", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payload\":\"ab!d\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA\"}]}}",
         "dsseEnvelope.payload is not base64 (character 2)", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA\"},{\"sig\":"
         "\"A*\"}]}}",
         "dsseEnvelope.signatures[1].sig is not base64 (character 1)", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"\"}]}}",
         "dsseEnvelope.signatures[0].sig is missing", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[\"x\"]}}",
         "dsseEnvelope.signatures[0] must be an object", BW_EFORMAT},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
         "{}},\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\",\"keyid\":3}]}}",
         "dsseEnvelope.signatures[0].keyid must be a string", BW_EFORMAT},
        {"{\"mediaType\":\"a\",\"mediaType\":\"b\"}", "duplicate object key", BW_EFORMAT},
    };
    bw_error err = {0};
    bw_bundle b;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        bw_status rc = parse_str(cases[i].doc, &b, &err);
        ok(rc == cases[i].rc && strstr(err.msg, cases[i].want) != NULL && strncmp(err.msg, "b.json: ", 8) == 0 &&
               b.pae.ptr == NULL && b.sigs == NULL,
           "malformed %zu: %s", i, err.msg);
    }
    ok(parse_str(cases[0].doc, &b, &err) == BW_EFORMAT && err.offset == 14, "a syntax error carries its offset (%llu)",
       (unsigned long long)err.offset);

    is_int(parse_str(ok_bundle, &b, &err), BW_OK, "a well-formed bundle parses (%s)", err.msg);
    is_str(b.media_type, BW_BUNDLE_MEDIA_TYPE_V03, "mediaType");
    is_int(b.material, BW_BUNDLE_PUBLIC_KEY, "public-key material");
    is_str(b.key_hint, "abc", "hint");
    is_str(b.payload_type, "text/plain", "payloadType");
    is_int(b.n_signatures, 1, "one signature");
    is_str(b.pae.ptr, "DSSEv1 10 text/plain 5 hello", "the envelope decoded once, into the PAE the signatures cover");
    ok(b.payload_len == 5 && b.sig_lens != NULL && b.sig_lens[0] == 3 && b.sigs[0][0] == 0,
       "payload length and decoded signature");
    bw_bundle_release(&b);
    bw_bundle_release(&b); /* twice: a released bundle is all zero */
    ok(b.pae.ptr == NULL && b.sigs == NULL && b.key_hint == NULL, "release clears");

    char *big = malloc(BW_BUNDLE_MAX_BYTES + 2);
    if (big != NULL) {
        memset(big, ' ', BW_BUNDLE_MAX_BYTES + 1);
        bw_error_clear(&err);
        is_int(bw_bundle_parse(big, BW_BUNDLE_MAX_BYTES + 1, "big", &b, &err), BW_ELIMIT, "over the cap: BW_ELIMIT");
        free(big);
    }
}

static void test_writer(void)
{
    static const bw_key_type types[] = {BW_KEY_P256, BW_KEY_P384, BW_KEY_P521, BW_KEY_ED25519};
    static const char stmt[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
    bw_key *keys[4] = {0};
    bw_error err = {0};

    for (size_t t = 0; t < 4; t++) {
        ok(bw_key_generate(types[t], &keys[t], &err) == BW_OK, "generate %s", bw_key_type_name(types[t]));
    }
    for (size_t t = 0; t < 4; t++) {
        const char *name = bw_key_type_name(types[t]);
        bw_buf out = BW_BUF_INIT(1 << 20);
        bw_bundle b;
        bw_dsse_verified v;
        char hint[65], want[512];

        ok(bw_bundle_sign("application/vnd.in-toto+json", stmt, strlen(stmt), keys[t], &out, &err) == BW_OK,
           "%s: bundle written", name);
        ok(bw_key_hint(keys[t], hint) == BW_OK, "hint");
        /* model_signing's exact layout up to the signature */
        snprintf(want, sizeof(want),
                 "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{"
                 "\"publicKey\":{\"hint\":\"%s\"},\"tlogEntries\":[]},\"dsseEnvelope\":{\"payload\":\"eyJfdHlwZSI6Imh0"
                 "dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ==\",\"payloadType\":\"application/vnd.in-toto+json\","
                 "\"signatures\":[{\"sig\":\"",
                 hint);
        ok(out.len > strlen(want) && strncmp(out.ptr, want, strlen(want)) == 0, "%s: model_signing's layout", name);
        ok(out.len > 16 && strcmp(out.ptr + out.len - 16, "\",\"keyid\":\"\"}]}}") == 0,
           "%s: keyid empty, no final newline", name);
        is_int(bw_bundle_parse(out.ptr, out.len, "w", &b, &err), BW_OK, "%s: reads back", name);
        is_str(b.key_hint, hint, "%s: hint read back", name);
        /* the right key among others: found by its hint whatever the order */
        const bw_key *ring[4] = {keys[(t + 1) % 4], keys[(t + 2) % 4], keys[(t + 3) % 4], keys[t]};
        is_int(bw_bundle_verify(&b, "w", ring, 4, &v, &err), BW_OK, "%s: verifies among four keys", name);
        is_int(v.key_index, 3, "%s: and names the right one", name);
        ok(v.payload.len == strlen(stmt) && memcmp(v.payload.ptr, stmt, v.payload.len) == 0,
           "%s: the signed statement comes back", name);
        bw_dsse_verified_release(&v);
        is_int(bw_bundle_verify(&b, "w", ring, 3, &v, &err), BW_EVERIFY, "%s: the other keys fail", name);
        ok(v.payload.len == 0 && v.type == NULL, "%s: and give nothing back", name);
        is_int(bw_bundle_verify(&b, "w", ring, 0, &v, &err), BW_EVERIFY, "%s: no key, no verification", name);
        bw_bundle_release(&b);
        bw_buf_release(&out);
    }
    /* the hint only orders the attempts: a bundle with a wrong hint still verifies with the right key */
    bw_buf out = BW_BUF_INIT(1 << 20);
    bw_bundle b;
    bw_dsse_verified v;
    ok(bw_bundle_sign("t", "x", 1, keys[0], &out, &err) == BW_OK, "sign");
    char *p = strstr(out.ptr, "\"hint\":\"");
    if (p != NULL) {
        memset(p + 8, '0', 64);
    }
    ok(bw_bundle_parse(out.ptr, out.len, "w", &b, &err) == BW_OK, "a bundle with a zeroed hint parses");
    const bw_key *two[2] = {keys[1], keys[0]};
    is_int(bw_bundle_verify(&b, "w", two, 2, &v, &err), BW_OK, "and verifies with the right key");
    is_int(v.key_index, 1, "the second one");
    bw_dsse_verified_release(&v);
    bw_bundle_release(&b);
    bw_buf_release(&out);
    /* a public key does not sign */
    bw_buf pem = BW_BUF_INIT(1 << 16), o2 = BW_BUF_INIT(1 << 16);
    bw_key *pub = NULL;
    ok(bw_key_public_pem(keys[0], &pem) == BW_OK && bw_key_from_pem(pem.ptr, pem.len, "p", &pub, &err) == BW_OK,
       "public half");
    bw_error_clear(&err);
    is_int(bw_bundle_sign("t", "x", 1, pub, &o2, &err), BW_EINVAL, "a public key cannot sign a bundle: %s", err.msg);
    bw_key_free(pub);
    bw_buf_release(&pem);
    bw_buf_release(&o2);
    for (size_t t = 0; t < 4; t++) {
        bw_key_free(keys[t]);
    }
}

static void test_shared(void)
{
    const char *shared = getenv("BW_SHARED_DIR");
    char dir[4096], path[4400];
    struct stat st;
    bw_error err = {0};
    bw_bundle b;

    snprintf(dir, sizeof(dir), "%s/vectors/provenance", shared != NULL ? shared : "../shared");
    if (stat(dir, &st) != 0) {
        skip(1, "provenance vectors not found (../shared/vectors/provenance absent)");
        return;
    }
    /* model_signing's own bundles: key, certificate chain and keyless */
    static const struct {
        const char *rel;
        bw_bundle_material m;
        const char *hint;
    } ms[] = {
        {"v1.1.0-elliptic-key", BW_BUNDLE_PUBLIC_KEY,
         "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e"},
        {"v1.0.1-elliptic-key", BW_BUNDLE_PUBLIC_KEY, NULL},
        {"v1.1.0-certificate", BW_BUNDLE_CERT_CHAIN, ""},
        {"v1.1.0-sigstore", BW_BUNDLE_CERTIFICATE, ""},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(ms); i++) {
        size_t n = 0;
        snprintf(path, sizeof(path), "%s/model-transparency/scripts/tests/%s/model.sig", dir, ms[i].rel);
        char *text = tu_read(path, &n);
        bw_error_clear(&err);
        ok(text != NULL && bw_bundle_parse(text, n, ms[i].rel, &b, &err) == BW_OK && b.material == ms[i].m &&
               strcmp(b.payload_type, "application/vnd.in-toto+json") == 0 &&
               (ms[i].hint == NULL || strcmp(b.key_hint, ms[i].hint) == 0),
           "model_signing %s reads (material %d, hint '%s') %s", ms[i].rel, (int)b.material,
           b.key_hint != NULL ? b.key_hint : "", err.msg);
        bw_bundle_release(&b);
        free(text);
    }
    /* the conformance corpus: every bundle is read or refused with a reason, never crashes */
    static const struct {
        const char *name;
        bw_status rc;
    } conf[] = {
        {"bundle-malformed-json_fail", BW_EFORMAT},  {"bundle-unknown-version_fail", BW_EFORMAT},
        {"happy-path-intoto-in-dsse-v3", BW_OK},     {"dsse-invalid-sig_fail", BW_OK},
        {"managed-key-happy-path", BW_EUNSUPPORTED}, {"happy-path-v0.1", BW_EUNSUPPORTED},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(conf); i++) {
        size_t n = 0;
        snprintf(path, sizeof(path), "%s/sigstore-conformance/test/assets/bundle-verify/%s/bundle.sigstore.json", dir,
                 conf[i].name);
        char *text = tu_read(path, &n);
        bw_error_clear(&err);
        bw_status rc = text != NULL ? bw_bundle_parse(text, n, conf[i].name, &b, &err) : BW_EIO;
        ok(rc == conf[i].rc && (rc == BW_OK || err.msg[0] != '\0'), "conformance %s: %s", conf[i].name,
           rc == BW_OK ? "reads" : err.msg);
        bw_bundle_release(&b);
        free(text);
    }
}

int main(void)
{
    test_reader_errors();
    test_writer();
    test_shared();
    return done_testing();
}
