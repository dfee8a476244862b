/*
 * validate.h - validators for secrets and personal data (issue 5): the
 * checks a candidate span must pass before it is reported, so that card
 * numbers failing Luhn, impossible SSNs, invalid IBANs and tokens with a
 * wrong checksum are never findings.
 *
 * Every function reads exactly s[0..n) (no NUL needed) and accepts any
 * bytes: they are fuzzed (fuzz/fuzz_validate.c). Only bw_jwt_ok and
 * bw_pem_private_ok allocate (decoding, bounded by their size caps); an
 * allocation failure makes them return false.
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

/* Inputs over these sizes are never valid. */
#define BW_JWT_MAX_BYTES ((size_t)64 << 10)
#define BW_PEM_MAX_BYTES ((size_t)1 << 20)

/*
 * A JSON Web Token in JWS compact form, "header.payload.signature" (RFC 7515,
 * 7519): exactly two dots, each part unpadded base64url (canonical: no
 * leftover bits), the header a JSON object with a non-empty string "alg"
 * (and "typ", if present, a string), the payload a JSON object, and the
 * signature non-empty, of the length its alg produces where RFC 7518/8037
 * fix one (HS256 32 bytes, ES256 64, RS* and PS* 128 to 2048, EdDSA 64 or
 * 114; unknown algs any length). An unsecured JWT (RFC 7519 section 6: alg "none",
 * exactly "header.payload.") is accepted; alg "none" with a signature is
 * not. JWE (five parts) is not a JWT here. At most BW_JWT_MAX_BYTES.
 */
BW_INTERNAL bool bw_jwt_ok(const char *s, size_t n);

/*
 * A whole PEM private-key block, "-----BEGIN X-----" ... "-----END X-----"
 * with X one of PRIVATE KEY, RSA/EC/DSA/ENCRYPTED/OPENSSH PRIVATE KEY, or an
 * OpenPGP "PGP PRIVATE KEY BLOCK"; the END label must match. Lines may end
 * in LF, CR LF, CR, or the two-character escapes \n, \r\n found in JSON
 * and source strings, and may be indented. "Name: value" header lines
 * (RFC 1421 Proc-Type/DEK-Info, armor Version/Comment) may precede the
 * body; a PGP "=XXXX" CRC-24 line may end it (not verified). The body must
 * be canonical base64 using at least 16 distinct characters (placeholders
 * such as "xxxx" do not) and decode to:
 *   DER labels: one DER SEQUENCE spanning all bytes, at least 48 bytes (an
 *     Ed25519 PKCS#8 key is 48); with "Proc-Type: 4,ENCRYPTED", ciphertext
 *     of at least 48 bytes in whole 8-byte blocks instead;
 *   OPENSSH: "openssh-key-v1\0", then the PROTOCOL.key fields (cipher, KDF,
 *     KDF options, key count, public keys, private section) ending exactly
 *     at the end, at least 64 bytes;
 *   PGP: OpenPGP packets tiling the data exactly, the first a secret-key
 *     packet (tag 5, version 3-6), at least 64 bytes.
 * Public keys, certificates and placeholder bodies ("...", "<your key>")
 * are not ok. At most BW_PEM_MAX_BYTES.
 */
BW_INTERNAL bool bw_pem_private_ok(const char *s, size_t n);

#endif
