/*
 * test_validate.c - the secret and personal-data validators against
 * published test numbers (the card schemes' test cards, the SWIFT IBAN
 * registry's examples, Wikipedia's Verhoeff example) and tokens whose
 * checksums were computed independently (Python's zlib.crc32 and a base62
 * encoder, see the comment below), plus the decoys that must fail.
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

int main(void)
{
    test_cards();
    test_iban();
    test_national_ids();
    test_tokens();
    test_entropy();
    return done_testing();
}
