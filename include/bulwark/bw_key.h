/*
 * bw_key.h - signing keys: ECDSA P-256 (the default), P-384, P-521 and
 * Ed25519, held by OpenSSL.
 *
 * ECDSA signs the SHA-2 digest its curve calls for (P-256 with SHA-256,
 * P-384 with SHA-384, P-521 with SHA-512, as cosign, sigstore-js and
 * model_signing do) and gives DER signatures; verification also takes the
 * raw r||s form (IEEE P1363, what JOSE and some DSSE signers write).
 * Ed25519 signs the message itself (RFC 8032, pure).
 */
#ifndef BULWARK_BW_KEY_H
#define BULWARK_BW_KEY_H

#include "bw_buf.h"
#include "bw_common.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_key_type {
    BW_KEY_P256 = 1,
    BW_KEY_P384,
    BW_KEY_P521,
    BW_KEY_ED25519,
} bw_key_type;

/** "p256", "p384", "p521", "ed25519". */
BW_API const char *bw_key_type_name(bw_key_type t);
/** A type by name, case-insensitive; also "ecdsa-p256", "nistp256", "prime256v1" and the like. */
BW_API bw_status bw_key_type_parse(const char *s, bw_key_type *out) BW_NODISCARD;

typedef struct bw_key bw_key;

/** A new private key of type t from the system's random generator. */
BW_API bw_status bw_key_generate(bw_key_type t, bw_key **out, bw_error *err) BW_NODISCARD;
/**
 * A key from PEM text: a public key (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY"), an unencrypted
 * PKCS#8 private key ("BEGIN PRIVATE KEY") or an unencrypted SEC 1 EC key ("BEGIN EC PRIVATE KEY",
 * as `openssl ecparam -genkey` writes). The first such block counts; text before it is skipped.
 * `name` labels messages. Other algorithms and curves are BW_EUNSUPPORTED, malformed text
 * BW_EFORMAT, an encrypted key BW_EUNSUPPORTED (see bw_key_from_pem_pass).
 */
BW_API bw_status bw_key_from_pem(const char *pem, size_t n, const char *name, bw_key **out, bw_error *err) BW_NODISCARD;
/**
 * As bw_key_from_pem, and an encrypted private key is decrypted with `pass` (passlen bytes, at most
 * 1024): PKCS#8 "BEGIN ENCRYPTED PRIVATE KEY" (PBES2, as `openssl genpkey -aes256` or `openssl pkcs8
 * -topk8` write) or a legacy encrypted SEC 1 key (Proc-Type: 4,ENCRYPTED). pass NULL: as
 * bw_key_from_pem. A wrong passphrase (or a damaged encrypted key) is BW_EVERIFY. The caller wipes pass.
 */
BW_API bw_status bw_key_from_pem_pass(const char *pem, size_t n, const char *name, const char *pass, size_t passlen,
                                      bw_key **out, bw_error *err) BW_NODISCARD;
/** Whether the first PEM key block of the text is an encrypted private key (needs a passphrase). */
BW_API bool bw_key_pem_encrypted(const char *pem, size_t n);
/**
 * A key from DER: an unencrypted PKCS#8 PrivateKeyInfo, or a SubjectPublicKeyInfo. The whole input must
 * be the one structure. `name` labels messages. Other algorithms and curves are BW_EUNSUPPORTED,
 * anything else BW_EFORMAT.
 */
BW_API bw_status bw_key_from_der(const void *der, size_t n, const char *name, bw_key **out, bw_error *err) BW_NODISCARD;
BW_API void bw_key_free(bw_key *k);

/** Room enough for the PKCS#8 DER of any supported private key (P-521 needs about 240 bytes). */
#define BW_KEY_DER_MAX 512
/**
 * The private key as unencrypted PKCS#8 DER (PrivateKeyInfo), written to buf[0..cap) with its length in
 * *len. The bytes are secret: the caller wipes buf after use. No copy is left in memory the library
 * frees. BW_EINVAL for a public key, BW_ELIMIT when cap is too small.
 */
BW_API bw_status bw_key_private_der(const bw_key *k, unsigned char *buf, size_t cap, size_t *len,
                                    bw_error *err) BW_NODISCARD;

BW_API bw_key_type bw_key_get_type(const bw_key *k);
/** True when the key can sign (it holds the private half). */
BW_API bool bw_key_is_private(const bw_key *k);
/** The public key as PEM SubjectPublicKeyInfo, appended to out. */
BW_API bw_status bw_key_public_pem(const bw_key *k, bw_buf *out) BW_NODISCARD;
/** Lower-case hex SHA-256 of the public key's PEM text (model_signing's key hint), 64 characters + NUL. */
BW_API bw_status bw_key_hint(const bw_key *k, char hex[65]) BW_NODISCARD;

/** Sign msg: a DER ECDSA signature or a 64-byte Ed25519 one, appended to sig. */
BW_API bw_status bw_key_sign(const bw_key *k, const void *msg, size_t n, bw_buf *sig, bw_error *err) BW_NODISCARD;
/**
 * BW_OK when sig is a valid signature of msg by k (ECDSA: DER, or raw r||s of twice the curve's
 * size); BW_EVERIFY when it is not, or is malformed.
 */
BW_API bw_status bw_key_verify(const bw_key *k, const void *msg, size_t n, const void *sig, size_t siglen) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
