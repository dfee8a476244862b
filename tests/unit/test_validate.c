/*
 * test_validate.c - the secret and personal-data validators against
 * published test numbers (the card schemes' test cards, the SWIFT IBAN
 * registry's examples, Wikipedia's Verhoeff example) and tokens whose
 * checksums were computed independently (Python's zlib.crc32 and a base62
 * encoder, see the comment below), JWTs built with Python and throwaway
 * private keys made with openssl, ssh-keygen and gpg, plus the decoys that
 * must fail.
 */
#include <string.h>

#include "scan/validate.h"
#include "tap.h"

#define S(x) x, strlen(x)

static void test_cards(void)
{
    static const struct {
        const char *n, *scheme;
    } good[] = {
        {"4111111111111111", "visa"},       {"4111 1111 1111 1111", "visa"},    {"4012888888881881", "visa"},
        {"5555555555554444", "mastercard"}, {"2223003122003222", "mastercard"}, {"378282246310005", "amex"},
        {"3714-496353-98431", "amex"},      {"6011111111111117", "discover"},   {"3530111333300000", "jcb"},
        {"30569309025904", "diners"},       {"6200000000000005", "unionpay"},   {"6759649826438453", "maestro"},
    };
    static const char *const bad[] = {
        "4111111111111112",     /* Luhn fails */
        "1234567812345670",     /* Luhn passes, no issuer starts with 1 */
        "4111-1111 1111--1111", /* doubled separator */
        "411111111111111",      /* visa with 15 digits */
        "41111111111111111111", /* 20 digits */
        "-4111111111111111",    /* leading separator */
        "4111x111111111111",    /* a letter */
        "",
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *got = bw_card_scheme(S(good[i].n));
        is_str(got != NULL ? got : "(null)", good[i].scheme, "card %s", good[i].n);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(bw_card_scheme(S(bad[i])) == NULL, "not a card: '%s'", bad[i]);
    }
    ok(bw_luhn_ok(S("79927398713")) && !bw_luhn_ok(S("79927398710")), "Luhn: the classic 79927398713");
}

static void test_iban(void)
{
    static const char *const good[] = {
        "GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000", "FR1420041010050500013M02606",
        "NL91ABNA0417164300",     "NO9386011117947",
        "BE68539007547034",
    };
    static const char *const bad[] = {
        "GB82WEST12345698765433", /* check digits wrong */
        "GB82WEST1234569876543",  /* one short for GB */
        "XX82WEST12345698765432", /* no such country */
        "gb82west12345698765432", /* lower case */
        "GB82  WEST12345698765432", "DE8937040044053201300", "",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ok(bw_iban_ok(S(good[i])), "IBAN %s", good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!bw_iban_ok(S(bad[i])), "not an IBAN: '%s'", bad[i]);
    }
}

static void test_national_ids(void)
{
    ok(bw_ssn_ok(S("536-22-1480")) && bw_ssn_ok(S("536 22 1480")) && bw_ssn_ok(S("536221480")), "SSN forms");
    ok(!bw_ssn_ok(S("000-22-1480")) && !bw_ssn_ok(S("666-22-1480")) && !bw_ssn_ok(S("912-22-1480")),
       "SSN: areas 000, 666, 9xx never issued");
    ok(!bw_ssn_ok(S("536-00-1480")) && !bw_ssn_ok(S("536-22-0000")), "SSN: group 00, serial 0000");
    ok(!bw_ssn_ok(S("078-05-1120")) && !bw_ssn_ok(S("123-45-6789")), "SSN: the wallet card and the example");
    ok(!bw_ssn_ok(S("536-22 1480")) && !bw_ssn_ok(S("53-622-1480")), "SSN: mixed or misplaced separators");

    ok(bw_nino_ok(S("AB123456C")) && bw_nino_ok(S("AB 12 34 56 C")), "NINO forms");
    ok(!bw_nino_ok(S("DA123456C")) && !bw_nino_ok(S("AO123456C")) && !bw_nino_ok(S("GB123456C")),
       "NINO: first letter D, second O, prefix GB are never issued");
    ok(!bw_nino_ok(S("AB123456E")) && !bw_nino_ok(S("AB12345C")), "NINO: suffix E, five digits");

    /* Verhoeff: Wikipedia's 236 -> check digit 3; an Aadhaar is 11 digits + check, first digit 2-9 */
    ok(bw_aadhaar_ok(S("234123412346")), "Aadhaar with a valid Verhoeff digit");
    ok(bw_aadhaar_ok(S("2341 2341 2346")), "Aadhaar grouped by four");
    ok(!bw_aadhaar_ok(S("234123412345")), "Aadhaar: Verhoeff digit wrong");
    ok(!bw_aadhaar_ok(S("123412341234")), "Aadhaar: cannot start with 1");

    ok(bw_pan_ok(S("ABCPE1234F")), "PAN (holder type P)");
    ok(!bw_pan_ok(S("ABCXE1234F")) && !bw_pan_ok(S("ABCPE12345")) && !bw_pan_ok(S("abcpe1234f")), "not PANs");
}

static void test_tokens(void)
{
    /*
     * Made with Python: body = 30 random base62 characters, checksum =
     * base62(zlib.crc32(body)) over 0-9A-Za-z, zero-padded to 6.
     */
    ok(bw_token_crc_ok(S("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")), "ghp_ token checksum");
    ok(bw_token_crc_ok(S("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")), "npm_ token checksum");
    ok(bw_token_crc_ok(S("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")), "gho_ token checksum");
    ok(!bw_token_crc_ok(S("ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM")), "checksum off by one character");
    ok(!bw_token_crc_ok(S("ghp_abcdefghijklmnopqrstuvwxyzABCD012345")), "the documentation example");
    ok(!bw_token_crc_ok(S("ghx_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL")), "unknown prefix");
    ok(!bw_token_crc_ok(S("ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1I")), "one character short");
}

static void test_entropy(void)
{
    ok(bw_entropy(S("")) == 0 && bw_entropy(S("aaaa")) == 0, "entropy of nothing and of one symbol");
    ok(bw_entropy(S("abcd")) > 1.99 && bw_entropy(S("abcd")) < 2.01, "four symbols: 2 bits");
    ok(bw_entropy(S("Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y")) > 4.0, "a random token: over 4 bits");
}

static void test_jwt(void)
{
    /* built with Python (json.dumps compact, base64url without padding, HMAC-SHA256 or random signatures) */
    static const char *const good[] = {
        /* jwt.io's HS256 example */
        ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
         "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
         "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
        /* RS256 with a kid and a 256-byte signature */
        ("eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2V5LTEifQ."
         "eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwiYXVkIjoiYnVsd2FyayIsImV4cCI6MTkwMDAwMDAwMH0."
         "vSgfgo1k_h-syO4mhVib57CDvIR9lkcuul3V04ju56NQMuCej-"
         "eKUAygcw6xVkPvCo0bZuCULY7dQOis21vD8HQPfAySu3F7KWP0j3AVNwhiCNoP"
         "RJS4cjL7mq0bTTJi8Jq4YKqje-Z60_5PaWbMU2NT2_BFFg8mPXG0-uykmLnpYofuBOcs_"
         "HWxht6n5YJDRazq5VgXJICbg9ZHpleRN4mY0wdUVtFm"
         "zqH5XYH92S2nDqXNKtEQPpOT76QROZHgaRKSZiuF40Eg1Rzth-U1EqjYyJV0oiLqMxaT1cPwS872rMkAZdXkCQDq5oiANIpqB-"
         "yIZAIpALr8WG3c"
         "Ujvx9A"),
        /* ES256, typ "at+jwt" (RFC 9068 access token) */
        ("eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzY29wZSI6InJlYWQifQ."
         "B7AUD7AwtUSPodjHnuw7ICQQbwzRxREmZ-I2NF5MQG8FFjJ8NS_sPa6zAg4GnpfMi7PNd5exYkccT_PEzNwmkQ"),
        /* the control for the decoys below: {"alg":"HS256"}.{"sub":"x"} with a 32-byte signature */
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        /* unsecured JWT (RFC 7519 section 6): alg "none", empty signature */
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbm9ueW1vdXMifQ.",
    };
    static const struct {
        const char *why, *s;
    } bad[] = {
        {"no alg", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.u3b-jFtAy7jZwqlZ01AJ2iWSdfvfLNXviMKAVZS-U6E"},
        {"alg not a string", "eyJhbGciOjV9.eyJzdWIiOiJ4In0.OhhUN5zAspIzuGTMjTr6hcs_-fQl-uVMOy3pSAvmNto"},
        {"typ not a string",
         "eyJhbGciOiJIUzI1NiIsInR5cCI6MX0.eyJzdWIiOiJ4In0.nmXAuqN1Ep1-UNs78MMdZ-pptLIZbtXBmSVFnXTh7bs"},
        {"alg none with a signature", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"},
        {"header not JSON", "aGVsbG8gd29ybGQ.eyJzdWIiOiJ4In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"payload not JSON", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"payload an array", "eyJhbGciOiJIUzI1NiJ9.WzEsMl0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"duplicate alg",
         "eyJhbGciOiJIUzI1NiIsImFsZyI6Im5vbmUifQ.eyJhIjoxfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"HS256 without a signature", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0."},
        {"padded base64", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0=.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"standard alphabet", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV+adQssw5c"},
        {"HS256 with a 16-byte signature", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.MDEyMzQ1Njc4OWFiY2RlZg"},
        {"ES256 with a 32-byte signature",
         "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"leftover bits", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In1.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"JWE, five parts", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.MDEy.MDEy.MDEy"},
        {"one dot", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0"},
        {"empty header", ".eyJzdWIiOiJ4In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"empty payload", "eyJhbGciOiJIUzI1NiJ9..SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"space inside", "eyJhbGciOiJIUzI1NiJ9 .eyJzdWIiOiJ4In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
        {"documentation placeholder", "eyJhbGciOi...eyJzdWIiOi...signature"},
        {"nothing", ""},
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ok(bw_jwt_ok(S(good[i])), "JWT %zu", i);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!bw_jwt_ok(S(bad[i].s)), "not a JWT: %s", bad[i].why);
    }
    /* the first token cut short at every length */
    {
        size_t n = strlen(good[0]), oks = 0;
        for (size_t k = 0; k < n; k++) {
            oks += bw_jwt_ok(good[0], k);
        }
        is_int(oks, 0, "no proper prefix of a JWT is a JWT");
    }
}

/*
 * Throwaway keys made for these tests only, never used anywhere (2025):
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024; openssl rsa -traditional; -pubout
 *   openssl ecparam -genkey -name prime256v1 -noout; openssl req -x509 (the certificate)
 *   openssl pkcs8 -topk8 -passout pass:x; openssl ec -aes128 -passout pass:x (RFC 1421 encryption)
 *   openssl genpkey -algorithm ed25519; ssh-keygen -t ed25519 -N ''
 *   gpg --quick-gen-key 'Test Only <test@example.invalid>' ed25519; gpg --armor --export-secret-keys
 */
static const char rsa_pkcs8[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAMqq8VtMbPrWYE7q\n"
                                "ks/P/6Yea68TLQ5w21Tm8kUK9J3Tc3UUq1fTQGh760qRU72ddVkKGAv6LD6lSoNH\n"
                                "mlOArtHONF4fYcShaN9lBOJ4S3aEI4gRx8cJgR0ZoWv3o/TM6O2MehLsylxbuuMU\n"
                                "oT9uacC3YU4hePM5+Dd38cNgjmdxAgMBAAECgYAtgUJeCIPzsky/i2XZaU9ygiQV\n"
                                "lE2qj2Z/4rcFD5erFD45TKHIP3OXwjMrdAQEcCVYD68kiVCD5GMdpOce1qbpp/bF\n"
                                "zdxwTMqyBZ0gMZ+q6slS0bBFrjUJIZD0WH3mpBcEfuZle4bHVoFDPn+eByGYwXb4\n"
                                "QgsbK04omHlwB5O7vQJBAPy9SbuGvNeK/6rVYenxuP7YB5DZL5Em76VA24dA0Jdv\n"
                                "GrSUy7R+h7ZANJh+AJR0iYUc7Hit3yeBEH9x8+YXW2sCQQDNSEkBb3F4/LR9Zam9\n"
                                "V8PYaiUz7irwHp76dL8bpCKXUuDiY1TuJQ37kU1lLP8GgFNg90ybxhlfAeoEanAb\n"
                                "SfuTAkEAxn6nfOdKQwKA35usxb65qzThZEqeyCJLTn9MqsIl0PlKgQ7nmb9SOLne\n"
                                "VPGI5Q9NvkTEF9d+jpkX6vAFPO2VNwJAOH9dgGSgkVDTh/OT7MWb5BMKnCk/bgiv\n"
                                "bnT1J/Fbh9RKimQWOti96W/LIj5pDewBhp1pWzIBR5GqS37Tzd7luwJAJt1o3gL8\n"
                                "hIUB9CsDR48XZCwS/1FJq7sgbl5FjiF5ihQgytypThIk7Gt6Qf0SLLAaBRkeDcMn\n"
                                "eCFTEQjkJV56LQ==\n"
                                "-----END PRIVATE KEY-----\n";

static const char rsa_pkcs1[] = "-----BEGIN RSA PRIVATE KEY-----\n"
                                "MIICXAIBAAKBgQDKqvFbTGz61mBO6pLPz/+mHmuvEy0OcNtU5vJFCvSd03N1FKtX\n"
                                "00Boe+tKkVO9nXVZChgL+iw+pUqDR5pTgK7RzjReH2HEoWjfZQTieEt2hCOIEcfH\n"
                                "CYEdGaFr96P0zOjtjHoS7MpcW7rjFKE/bmnAt2FOIXjzOfg3d/HDYI5ncQIDAQAB\n"
                                "AoGALYFCXgiD87JMv4tl2WlPcoIkFZRNqo9mf+K3BQ+XqxQ+OUyhyD9zl8IzK3QE\n"
                                "BHAlWA+vJIlQg+RjHaTnHtam6af2xc3ccEzKsgWdIDGfqurJUtGwRa41CSGQ9Fh9\n"
                                "5qQXBH7mZXuGx1aBQz5/ngchmMF2+EILGytOKJh5cAeTu70CQQD8vUm7hrzXiv+q\n"
                                "1WHp8bj+2AeQ2S+RJu+lQNuHQNCXbxq0lMu0foe2QDSYfgCUdImFHOx4rd8ngRB/\n"
                                "cfPmF1trAkEAzUhJAW9xePy0fWWpvVfD2GolM+4q8B6e+nS/G6Qil1Lg4mNU7iUN\n"
                                "+5FNZSz/BoBTYPdMm8YZXwHqBGpwG0n7kwJBAMZ+p3znSkMCgN+brMW+uas04WRK\n"
                                "nsgiS05/TKrCJdD5SoEO55m/Uji53lTxiOUPTb5ExBfXfo6ZF+rwBTztlTcCQDh/\n"
                                "XYBkoJFQ04fzk+zFm+QTCpwpP24Ir2509SfxW4fUSopkFjrYvelvyyI+aQ3sAYad\n"
                                "aVsyAUeRqkt+083e5bsCQCbdaN4C/ISFAfQrA0ePF2QsEv9RSau7IG5eRY4heYoU\n"
                                "IMrcqU4SJOxrekH9EiywGgUZHg3DJ3ghUxEI5CVeei0=\n"
                                "-----END RSA PRIVATE KEY-----\n";

static const char ec_sec1[] = "-----BEGIN EC PRIVATE KEY-----\n"
                              "MHcCAQEEIHImyI4vqH+jxhfi2soP0eNzHoYnm51ab2iiKJPZdsxMoAoGCCqGSM49\n"
                              "AwEHoUQDQgAEO+wfRVUMO5AjPlV/CGl69QSAkmNO76CD6OKeWTe0RFDC0kJP0XhL\n"
                              "8EwiDVjyKYJGaSfCEVM4nIQ9IM2yfSxy2A==\n"
                              "-----END EC PRIVATE KEY-----\n";

static const char ed_openssh[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
                                 "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
                                 "QyNTUxOQAAACA+IqVrkQxMxqeI/1FGxI6GCBWOvkj8SqtFNhdeLkV63QAAAIjWJQi71iUI\n"
                                 "uwAAAAtzc2gtZWQyNTUxOQAAACA+IqVrkQxMxqeI/1FGxI6GCBWOvkj8SqtFNhdeLkV63Q\n"
                                 "AAAEBw3jj40JfjUvIvA/aiUqREac7BVeO/OBnF0TM/UcHsaT4ipWuRDEzGp4j/UUbEjoYI\n"
                                 "FY6+SPxKq0U2F14uRXrdAAAABHRlc3QB\n"
                                 "-----END OPENSSH PRIVATE KEY-----\n";

static const char ed_pkcs8[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MC4CAQAwBQYDK2VwBCIEIETIfO1muLIl7b6uguy8qKG50UN0VmWmwrKEh6aWIngQ\n"
                               "-----END PRIVATE KEY-----\n";

static const char ec_pkcs8_enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                                   "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhd5CqoKRkHxAICCAAw\n"
                                   "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEEXoVBEHLxo2ALasP3m7K5QEgZC/\n"
                                   "5JgRTf75ZDAb/94tCSZiM5e1Rj73+Y4Uejs1l0OesBBJRYmKmo4Y/PfJ5+wfBZJg\n"
                                   "3/c/Qyo+bYV7a4Kf9L4yyJcID5X8AGzuO9uu/lwIZ/eCRrZm3Q1veW0RDcgwhTYq\n"
                                   "WMHZkSJHTkp5YU0xlB1Pw99FZYMZ/6HvR54E8D31EFb8d4D9xfvXShGttfx/k1U=\n"
                                   "-----END ENCRYPTED PRIVATE KEY-----\n";

static const char ec_legacy_enc[] = "-----BEGIN EC PRIVATE KEY-----\n"
                                    "Proc-Type: 4,ENCRYPTED\n"
                                    "DEK-Info: AES-128-CBC,DC663A5A6CC2A356C91217830351CA77\n"
                                    "\n"
                                    "N3DD8xnf5vQ8sLUcT+PLq0h85+PlEhVAZ5B8NFRUX04bC8wNNdaQoyF//Y7W7/vv\n"
                                    "B8M2eodAoUUmfoMDGuSJUxptX+MCUewv5v2MRPvb5PHP1MspxIO0bDUWZcBQcwfJ\n"
                                    "JhGql/NRsSM5rI/rLERFJbx57G/F5Ur+godezkyP3A0=\n"
                                    "-----END EC PRIVATE KEY-----\n";

static const char pgp_secret[] = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
                                 "\n"
                                 "lFgEawTnRhYJKwYBBAHaRw8BAQdAHLzre89UtLnNR72sYwkdx/SUUnmj2ZNhr+XZ\n"
                                 "2cSp9oEAAPsF4INLhuIOiZvltW8apPnRioSbD+mUq3j7XatFhbEp/BLUtCBUZXN0\n"
                                 "IE9ubHkgPHRlc3RAZXhhbXBsZS5pbnZhbGlkPoiQBBMWCAA4FiEEX9D6HFX3JHxF\n"
                                 "BPsYaihrnlZDXcEFAmsE50YCGwMFCwkIBwIGFQoJCAsCBBYCAwECHgECF4AACgkQ\n"
                                 "aihrnlZDXcESSwD9HWKqjOw4b/dXf6T0bZRoUlqXzEQBs/qwpshfgwZ0j50A/2EW\n"
                                 "w8D3KU8B2dFfzJJAxAi0QUDykWVNXDirIPjd5CwE\n"
                                 "=Ypyf\n"
                                 "-----END PGP PRIVATE KEY BLOCK-----\n";

static const char rsa_public[] = "-----BEGIN PUBLIC KEY-----\n"
                                 "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDKqvFbTGz61mBO6pLPz/+mHmuv\n"
                                 "Ey0OcNtU5vJFCvSd03N1FKtX00Boe+tKkVO9nXVZChgL+iw+pUqDR5pTgK7RzjRe\n"
                                 "H2HEoWjfZQTieEt2hCOIEcfHCYEdGaFr96P0zOjtjHoS7MpcW7rjFKE/bmnAt2FO\n"
                                 "IXjzOfg3d/HDYI5ncQIDAQAB\n"
                                 "-----END PUBLIC KEY-----\n";

static const char ec_cert[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBbjCCAROgAwIBAgIUb2gaypBIca2PlOw6vzLJ1o4Kh3owCgYIKoZIzj0EAwIw\n"
                              "DDEKMAgGA1UEAwwBdDAeFw0yNjExMjQwMTIzMzNaFw0yNjExMjUwMTIzMzNaMAwx\n"
                              "CjAIBgNVBAMMAXQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ77B9FVQw7kCM+\n"
                              "VX8IaXr1BICSY07voIPo4p5ZN7REUMLSQk/ReEvwTCINWPIpgkZpJ8IRUzichD0g\n"
                              "zbJ9LHLYo1MwUTAdBgNVHQ4EFgQUt+917U265GS8h54JQnRv0iahafMwHwYDVR0j\n"
                              "BBgwFoAUt+917U265GS8h54JQnRv0iahafMwDwYDVR0TAQH/BAUwAwEB/zAKBggq\n"
                              "hkjOPQQDAgNJADBGAiEAkzIXMnkzpqfemCzgvwDp+LH8fhxj0AcHiY99WXkas/MC\n"
                              "IQC+lgI3W2v0dY3ND0Kqa40V4eAxV0PX3GSK6fRD4V5jRA==\n"
                              "-----END CERTIFICATE-----\n";

/* s with each "\n" replaced by nl, and every line but the first indented by indent; malloc'd */
static char *reflow(const char *s, const char *nl, const char *indent)
{
    size_t n = strlen(s), cap = n * (strlen(nl) + strlen(indent) + 1) + 1, k = 0;
    char *out = malloc(cap);

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            memcpy(out + k, nl, strlen(nl));
            k += strlen(nl);
            if (i + 1 < n) {
                memcpy(out + k, indent, strlen(indent));
                k += strlen(indent);
            }
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

static void test_pem(void)
{
    static const struct {
        const char *name, *pem;
    } good[] = {
        {"RSA PKCS#8", rsa_pkcs8},
        {"RSA PKCS#1", rsa_pkcs1},
        {"EC SEC1", ec_sec1},
        {"Ed25519 OpenSSH", ed_openssh},
        {"Ed25519 PKCS#8 (48 bytes)", ed_pkcs8},
        {"encrypted PKCS#8", ec_pkcs8_enc},
        {"RFC 1421 encrypted EC", ec_legacy_enc},
        {"OpenPGP secret key", pgp_secret},
    };
    static const char *const forms[][2] = {
        {"\n", ""}, {"\r\n", ""}, {"\\n", ""}, {"\\r\\n", ""}, {"\n", "    "}, {"\\n", "  "}, {"\r", "\t"},
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            char *p = reflow(good[i].pem, forms[f][0], forms[f][1]);
            ok(bw_pem_private_ok(S(p)), "%s, line form %zu", good[i].name, f);
            free(p);
        }
    }
    ok(bw_pem_private_ok(ec_sec1, strlen(ec_sec1) - 1), "without the final newline");
    ok(bw_pem_private_ok(S("  -----BEGIN EC PRIVATE KEY-----\\n"
                           "MHcCAQEEIHImyI4vqH+jxhfi2soP0eNzHoYnm51ab2iiKJPZdsxMoAoGCCqGSM49\\n"
                           "AwEHoUQDQgAEO+wfRVUMO5AjPlV/CGl69QSAkmNO76CD6OKeWTe0RFDC0kJP0XhL\\n"
                           "8EwiDVjyKYJGaSfCEVM4nIQ9IM2yfSxy2A==\\n"
                           "-----END EC PRIVATE KEY-----\\n")),
       "as found in a JSON string, escaped newlines at the end");

    /* negatives */
    ok(!bw_pem_private_ok(S(rsa_public)), "a public key");
    ok(!bw_pem_private_ok(S(ec_cert)), "a certificate");
    {
        /* drop the second body line: still base64, but the DER length no longer matches */
        const char *l1 = strchr(rsa_pkcs8, '\n') + 1, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
        char buf[sizeof(rsa_pkcs8)];
        size_t k = (size_t)(l2 - rsa_pkcs8);
        memcpy(buf, rsa_pkcs8, k);
        memcpy(buf + k, l3, strlen(l3) + 1);
        ok(!bw_pem_private_ok(S(buf)), "truncated body (one line missing)");
    }
    {
        size_t n = strlen(pgp_secret), oks = 0;
        for (size_t k = 0; k + 40 < n; k++) {
            char buf[sizeof(pgp_secret)];
            memcpy(buf, pgp_secret, k);
            memcpy(buf + k, "\n-----END PGP PRIVATE KEY BLOCK-----\n", 38);
            oks += bw_pem_private_ok(buf, k + 37);
        }
        /* accepted only where the cut drops the CRC line (2 places) or falls exactly after the whole secret-key
         * packet (1 place), which still holds the key */
        is_int(oks, 3, "PGP block cut at any point: only whole-packet cuts accepted");
    }
    {
        /* cut the body anywhere and close the block again: never a key (unless only the padding went) */
        static const struct {
            const char *pem, *end;
        } cut[] = {
            {ed_openssh, "\n-----END OPENSSH PRIVATE KEY-----\n"},
            {rsa_pkcs8, "\n-----END PRIVATE KEY-----\n"},
            {ec_sec1, "\n-----END EC PRIVATE KEY-----\n"},
        };
        for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
            size_t n = strlen(cut[i].pem), e = strlen(cut[i].end), oks = 0;
            char *buf = malloc(n + e + 1);
            for (size_t k = 0; k + e < n; k++) {
                if (strspn(cut[i].pem + k, "=") == n - e - k) {
                    continue; /* only the padding dropped: the same key */
                }
                memcpy(buf, cut[i].pem, k);
                memcpy(buf + k, cut[i].end, e + 1);
                oks += bw_pem_private_ok(buf, k + e);
            }
            free(buf);
            is_int(oks, 0, "key %zu: no cut of the body is a key", i);
        }
    }
    ok(!bw_pem_private_ok(S("-----BEGIN RSA PRIVATE KEY-----\n"
                            "MHcCAQEEIHImyI4vqH+jxhfi2soP0eNzHoYnm51ab2iiKJPZdsxMoAoGCCqGSM49\n"
                            "AwEHoUQDQgAEO+wfRVUMO5AjPlV/CGl69QSAkmNO76CD6OKeWTe0RFDC0kJP0XhL\n"
                            "8EwiDVjyKYJGaSfCEVM4nIQ9IM2yfSxy2A==\n"
                            "-----END EC PRIVATE KEY-----\n")),
       "mismatched labels");
    ok(!bw_pem_private_ok(S("-----BEGIN OPENSSH PRIVATE KEY-----\n"
                            "MHcCAQEEIHImyI4vqH+jxhfi2soP0eNzHoYnm51ab2iiKJPZdsxMoAoGCCqGSM49\n"
                            "AwEHoUQDQgAEO+wfRVUMO5AjPlV/CGl69QSAkmNO76CD6OKeWTe0RFDC0kJP0XhL\n"
                            "8EwiDVjyKYJGaSfCEVM4nIQ9IM2yfSxy2A==\n"
                            "-----END OPENSSH PRIVATE KEY-----\n")),
       "OPENSSH label around a DER body");
    ok(!bw_pem_private_ok(S("-----BEGIN SECRET KEY-----\n"
                            "MHcCAQEEIHImyI4vqH+jxhfi2soP0eNzHoYnm51ab2iiKJPZdsxMoAoGCCqGSM49\n"
                            "AwEHoUQDQgAEO+wfRVUMO5AjPlV/CGl69QSAkmNO76CD6OKeWTe0RFDC0kJP0XhL\n"
                            "8EwiDVjyKYJGaSfCEVM4nIQ9IM2yfSxy2A==\n"
                            "-----END SECRET KEY-----\n")),
       "an unknown label");
    ok(!bw_pem_private_ok(S("-----BEGIN EC PRIVATE KEY-----\n"
                            "MHcCAQEEIHImyI4vqH+jxhfi2soP0eNzHoYnm51ab2iiKJPZdsxMoAoGCCqGSM49\n"
                            "Comment: late\n"
                            "AwEHoUQDQgAEO+wfRVUMO5AjPlV/CGl69QSAkmNO76CD6OKeWTe0RFDC0kJP0XhL\n"
                            "8EwiDVjyKYJGaSfCEVM4nIQ9IM2yfSxy2A==\n"
                            "-----END EC PRIVATE KEY-----\n")),
       "a header inside the body");
    ok(!bw_pem_private_ok(S("-----BEGIN EC PRIVATE KEY-----\n"
                            "MHcCAQEEIHImyI4vqH+jxhfi2soP0eNzHoYnm51ab2iiKJPZdsxMoAoGCCqGSM49\n"
                            "AwEHoUQDQgAEO+wfRVUMO5AjPlV/CGl69QSAkmNO76CD6OKeWTe0RFDC0kJP0XhL\n"
                            "8EwiDVjyKYJGaSfCEVM4nIQ9IM2yfSxy2A==\n"
                            "-----END EC PRIVATE KEY-----\nmore")),
       "text after the END line");

    {
        static const char *const placeholders[] = {
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
            ("-----BEGIN PRIVATE KEY-----\n"
             "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC...\n"
             "-----END PRIVATE KEY-----"),
            ("-----BEGIN RSA PRIVATE KEY-----\n"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
             "-----END RSA PRIVATE KEY-----"),
            ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
             "=xxxx\n-----END PGP PRIVATE KEY BLOCK-----"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
             "-----END OPENSSH PRIVATE KEY-----"),
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY----------END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----",
            "",
        };
        for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++) {
            ok(!bw_pem_private_ok(S(placeholders[i])), "placeholder %zu is not a key", i);
        }
    }
}

int main(void)
{
    test_cards();
    test_iban();
    test_national_ids();
    test_tokens();
    test_entropy();
    test_jwt();
    test_pem();
    return done_testing();
}
