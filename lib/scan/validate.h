/*
 * validate.h - validators for secrets and personal data (issue 5): the
 * checks a candidate span must pass before it is reported, so that card
 * numbers failing Luhn, impossible SSNs, invalid IBANs and tokens with a
 * wrong checksum are never findings.
 *
 * Every function reads exactly s[0..n) (no NUL needed), never allocates and
 * accepts any bytes: they are fuzzed (fuzz/fuzz_validate.c).
 */
#ifndef BULWARK_SCAN_VALIDATE_H
#define BULWARK_SCAN_VALIDATE_H

#include "util/internal.h"

/* Shannon entropy of s[0..n) in bits per byte (0 for n == 0). */
BW_INTERNAL double bw_entropy(const char *s, size_t n);

/*
 * Payment cards. Separators (space, '-') between digit groups are allowed;
 * 12-19 digits, Luhn-valid, and inside an issuer range. Returns the scheme
 * ("visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay",
 * "maestro") or NULL.
 */
BW_INTERNAL bool bw_luhn_ok(const char *digits, size_t n);
BW_INTERNAL const char *bw_card_scheme(const char *s, size_t n);

/* IBAN (spaces allowed): known country, its exact length, ISO 7064 mod 97-10. */
BW_INTERNAL bool bw_iban_ok(const char *s, size_t n);

/*
 * US SSN "AAA-GG-SSSS" (or 9 digits): area not 000, 666 or 900-999, group
 * not 00, serial not 0000, and not a famous example number (078-05-1120,
 * 219-09-9999, 123-45-6789).
 */
BW_INTERNAL bool bw_ssn_ok(const char *s, size_t n);

/* UK National Insurance number "QQ123456C" (spaces allowed), HMRC prefix rules. */
BW_INTERNAL bool bw_nino_ok(const char *s, size_t n);

/* India: Aadhaar (12 digits, spaces allowed, first digit 2-9, Verhoeff) and PAN (AAAPA1234A). */
BW_INTERNAL bool bw_aadhaar_ok(const char *s, size_t n);
BW_INTERNAL bool bw_pan_ok(const char *s, size_t n);

/*
 * GitHub (ghp_, gho_, ghu_, ghs_, ghr_) and npm (npm_) tokens: prefix, 30
 * base62 characters and a 6-character checksum, the CRC-32 of those 30 in
 * base62 (0-9A-Za-z), zero-padded. True when the checksum matches.
 */
BW_INTERNAL bool bw_token_crc_ok(const char *s, size_t n);

#endif
