/*
 * fuzz_keystore.c - key files (lib/trust/keystore.c) from arbitrary bytes.
 * The input is parsed as a key file; a parse failure must say why and leave
 * the entry empty. A file that parses must give its public key back, with
 * the hint the parser reported, and a private key only with the right
 * passphrase: a sealed key is tried (when its Argon2id cost is small, so
 * the fuzzer stays fast) with the passphrase the seeds were made with, and
 * whatever comes out must be a private key of the recorded type whose
 * public half is the recorded public key.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/internal.h"

#define FUZZ_PASS "fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_keystore_entry e;
    bw_error err;
    bw_key *pub = NULL, *priv = NULL;
    bw_status rc;

    bw_error_clear(&err);
    rc = bw_keystore_parse(data, size, "fuzz.key", &e, &err);
    if (rc != BW_OK) {
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(e.name[0] == '\0' && e.type == 0);
        bw_error_clear(&err);
        FUZZ_CHECK(bw_keystore_unseal(data, size, "fuzz.key", false, NULL, 0, &pub, &err) != BW_OK && pub == NULL);
        return 0;
    }
    FUZZ_CHECK(bw_keystore_name_valid(e.name));
    FUZZ_CHECK(e.type >= BW_KEY_P256 && e.type <= BW_KEY_ED25519);
    FUZZ_CHECK(!(e.encrypted && e.public_only));
    FUZZ_CHECK(bw_keystore_unseal(data, size, "fuzz.key", false, NULL, 0, &pub, &err) == BW_OK);
    FUZZ_CHECK(!bw_key_is_private(pub) && bw_key_get_type(pub) == e.type);
    char hint[65];
    FUZZ_CHECK(bw_key_hint(pub, hint) == BW_OK && strcmp(hint, e.hint) == 0);

    if (!e.encrypted || (e.kdf_ops <= 2 && e.kdf_mem <= (64 << 10))) {
        bw_error_clear(&err);
        rc = bw_keystore_unseal(data, size, "fuzz.key", true, FUZZ_PASS, strlen(FUZZ_PASS), &priv, &err);
        if (rc == BW_OK) {
            bw_buf a = BW_BUF_INIT(1 << 16), b = BW_BUF_INIT(1 << 16);
            FUZZ_CHECK(!e.public_only && bw_key_is_private(priv) && bw_key_get_type(priv) == e.type);
            FUZZ_CHECK(bw_key_public_pem(pub, &a) == BW_OK && bw_key_public_pem(priv, &b) == BW_OK);
            FUZZ_CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
            bw_buf_release(&a);
            bw_buf_release(&b);
        } else {
            FUZZ_CHECK(priv == NULL && err.msg[0] != '\0');
            FUZZ_CHECK(!e.public_only || rc == BW_EINVAL);
        }
        if (e.encrypted) {
            bw_key *wrong = NULL;
            bw_error_clear(&err);
            FUZZ_CHECK(bw_keystore_unseal(data, size, "fuzz.key", true, "not" FUZZ_PASS, 7, &wrong, &err) != BW_OK);
            FUZZ_CHECK(wrong == NULL);
        }
    }
    bw_key_free(priv);
    bw_key_free(pub);
    return 0;
}
