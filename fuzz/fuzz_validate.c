/*
 * fuzz_validate.c - every secret and personal-data validator on arbitrary
 * bytes: no crash, no read past the input, and the results hold their own
 * invariants (a recognised card is Luhn-valid once its separators are
 * removed; entropy lies in [0, 8]; an accepted token has the token shape;
 * an accepted JWT is base64url with two dots; an accepted PEM block has its
 * BEGIN and END lines).
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "scan/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    double h = bw_entropy(s, size);
    const char *scheme = bw_card_scheme(s, size);

    FUZZ_CHECK(h >= 0 && h <= 8.0 + 1e-9 && !isnan(h));
    if (scheme != NULL) {
        char d[32];
        size_t k = 0;
        for (size_t i = 0; i < size; i++) {
            if (data[i] >= '0' && data[i] <= '9') {
                FUZZ_CHECK(k < sizeof(d));
                d[k++] = (char)data[i];
            } else {
                FUZZ_CHECK(data[i] == ' ' || data[i] == '-');
            }
        }
        FUZZ_CHECK(k >= 12 && k <= 19 && bw_luhn_ok(d, k));
    }
    (void)bw_luhn_ok(s, size);
    (void)bw_iban_ok(s, size);
    (void)bw_ssn_ok(s, size);
    (void)bw_nino_ok(s, size);
    (void)bw_aadhaar_ok(s, size);
    if (bw_pan_ok(s, size)) {
        FUZZ_CHECK(size == 10);
    }
    if (bw_token_crc_ok(s, size)) {
        FUZZ_CHECK(size == 40 && data[3] == '_');
    }
    if (bw_jwt_ok(s, size)) {
        size_t dots = 0;
        for (size_t i = 0; i < size; i++) {
            char c = s[i];
            dots += c == '.';
            FUZZ_CHECK(c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                       (c >= 'a' && c <= 'z'));
        }
        FUZZ_CHECK(dots == 2 && size <= BW_JWT_MAX_BYTES);
    }
    if (bw_pem_private_ok(s, size)) {
        FUZZ_CHECK(size <= BW_PEM_MAX_BYTES && memmem(s, size, "-----BEGIN ", 11) != NULL &&
                   memmem(s, size, "-----END ", 9) != NULL);
    }
    return 0;
}
