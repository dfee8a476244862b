/*
 * fuzz_bundle.c - Sigstore bundles (lib/trust/bundle.c) from arbitrary
 * bytes. The input is parsed as a bundle: no crash, every failure says why
 * and leaves nothing behind; a parsed bundle holds its envelope decoded
 * (the PAE and every signature). Verification under two fixed keys (an
 * Ed25519 key generated once and the DSSE spec's P-256 key) must fail unless
 * it really is signed; a verified payload is re-signed into a new bundle,
 * which must parse and verify with the same payload and type.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/internal.h"

static const char spec_pem[] = "-----BEGIN PUBLIC KEY-----\n"
                               "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr\n"
                               "CrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==\n"
                               "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bw_key *spec, *mine;
    bw_error err;
    bw_bundle b;
    bw_dsse_verified v;

    if (spec == NULL) {
        if (bw_key_from_pem(spec_pem, strlen(spec_pem), "spec", &spec, &err) != BW_OK ||
            bw_key_generate(BW_KEY_ED25519, &mine, &err) != BW_OK) {
            abort();
        }
    }
    bw_error_clear(&err);
    if (bw_bundle_parse(data, size, "fuzz", &b, &err) != BW_OK) {
        FUZZ_CHECK(err.code != BW_OK && err.msg[0] != '\0');
        FUZZ_CHECK(b.pae.ptr == NULL && b.sigs == NULL && b.media_type == NULL && b.key_hint == NULL &&
                   b.payload_type == NULL);
        return 0;
    }
    FUZZ_CHECK(b.pae.ptr != NULL && b.payload_len <= b.pae.len && b.sigs != NULL && b.key_hint != NULL);
    FUZZ_CHECK(b.payload_type != NULL && b.n_signatures >= 1 && b.n_signatures <= BW_DSSE_MAX_SIGNATURES);
    FUZZ_CHECK(b.material >= BW_BUNDLE_PUBLIC_KEY && b.material <= BW_BUNDLE_CERTIFICATE);
    const bw_key *keys[2] = {spec, mine};
    bw_error_clear(&err);
    bw_status rc = bw_bundle_verify(&b, "fuzz", keys, 2, &v, &err);
    if (rc != BW_OK) {
        /* the shape was checked: only a failed signature (or memory) can stop it now */
        FUZZ_CHECK(rc == BW_EVERIFY || rc == BW_ENOMEM);
        FUZZ_CHECK(err.msg[0] != '\0' && v.type == NULL && v.payload.len == 0);
    } else {
        bw_buf out = BW_BUF_INIT((size_t)128 << 20);
        bw_bundle b2;
        bw_dsse_verified v2;
        FUZZ_CHECK(strcmp(v.type, b.payload_type) == 0);
        FUZZ_CHECK(bw_bundle_sign(v.type, v.payload.ptr, v.payload.len, mine, &out, &err) == BW_OK);
        FUZZ_CHECK(bw_bundle_parse(out.ptr, out.len, "again", &b2, &err) == BW_OK);
        FUZZ_CHECK(bw_bundle_verify(&b2, "again", keys, 2, &v2, &err) == BW_OK && v2.key_index == 1);
        FUZZ_CHECK(v2.payload.len == v.payload.len && strcmp(v2.type, v.type) == 0);
        FUZZ_CHECK(v.payload.len == 0 || memcmp(v2.payload.ptr, v.payload.ptr, v.payload.len) == 0);
        bw_dsse_verified_release(&v2);
        bw_bundle_release(&b2);
        bw_buf_release(&out);
        bw_dsse_verified_release(&v);
    }
    bw_bundle_release(&b);
    return 0;
}
