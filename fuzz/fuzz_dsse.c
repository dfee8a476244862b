/*
 * fuzz_dsse.c - DSSE envelopes (lib/trust/dsse.c) and PEM keys
 * (lib/trust/key.c) from arbitrary bytes. The input is tried as an
 * envelope under two fixed keys (the DSSE spec's P-256 key and a key
 * generated once): no crash, every failure says why, and nothing verifies
 * unless it really is signed. A verified envelope's payload is re-signed
 * and the new envelope must verify with the same payload. The input is
 * also read as PEM key text.
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
    bw_dsse_verified v;

    if (spec == NULL) {
        if (bw_key_from_pem(spec_pem, strlen(spec_pem), "spec", &spec, &err) != BW_OK ||
            bw_key_generate(BW_KEY_ED25519, &mine, &err) != BW_OK) {
            abort();
        }
    }
    const bw_key *keys[2] = {spec, mine};
    bw_error_clear(&err);
    bw_status rc = bw_dsse_verify(data, size, "fuzz", keys, 2, &v, &err);
    if (rc != BW_OK) {
        if (err.code == BW_OK || err.msg[0] == '\0' || v.type != NULL || v.payload.len != 0) {
            abort();
        }
    } else {
        bw_buf env = BW_BUF_INIT((size_t)128 << 20);
        bw_dsse_verified again;
        if (bw_dsse_sign(v.type, v.payload.ptr, v.payload.len, mine, NULL, &env, &err) != BW_OK ||
            bw_dsse_verify(env.ptr, env.len, "again", keys, 2, &again, &err) != BW_OK ||
            again.payload.len != v.payload.len ||
            (v.payload.len > 0 && memcmp(again.payload.ptr, v.payload.ptr, v.payload.len) != 0) ||
            strcmp(again.type, v.type) != 0 || again.key_index != 1) {
            abort();
        }
        bw_dsse_verified_release(&again);
        bw_buf_release(&env);
        bw_dsse_verified_release(&v);
    }
    bw_key *k = NULL;
    bw_error_clear(&err);
    if (bw_key_from_pem((const char *)data, size, "fuzz.pem", &k, &err) == BW_OK) {
        bw_buf pem = BW_BUF_INIT(1 << 20);
        if (bw_key_public_pem(k, &pem) != BW_OK) {
            abort();
        }
        bw_buf_release(&pem);
        bw_key_free(k);
    } else if (err.msg[0] == '\0' || k != NULL) {
        abort();
    }
    return 0;
}
