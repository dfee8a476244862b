/*
 * bw_bundle.h - Sigstore bundles (protobuf-specs Bundle, JSON form, media
 * type "application/vnd.dev.sigstore.bundle.v0.3+json") holding a DSSE
 * envelope and public-key verification material: the `model.sig` files that
 * OpenSSF model_signing writes with `sign key` and that cosign and
 * sigstore-js verify offline with a public key.
 *
 * The writer gives model_signing's exact layout (compact JSON, member order
 * mediaType, verificationMaterial {publicKey {hint}, tlogEntries []},
 * dsseEnvelope {payload, payloadType, signatures [{sig, keyid ""}]}, no final
 * newline); the hint is bw_key_hint (hex SHA-256 of the PEM public key).
 *
 * The reader checks the bundle's shape and decodes the envelope once (one
 * JSON parse, one base64 decoding of the payload and of each signature);
 * bw_bundle_verify checks the signatures over its PAE with the same rules as
 * bw_dsse_verify. Nothing in the payload is looked at before a signature
 * over it has verified. X.509 chains and transparency-log entries are
 * recognised but not validated: trust comes from the key the caller gives.
 */
#ifndef BULWARK_BW_BUNDLE_H
#define BULWARK_BW_BUNDLE_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_dsse.h"
#include "bw_key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_BUNDLE_MEDIA_TYPE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define BW_BUNDLE_MAX_BYTES BW_DSSE_MAX_ENVELOPE /**< larger bundles are BW_ELIMIT */

/** What the bundle's verificationMaterial holds. */
typedef enum bw_bundle_material {
    BW_BUNDLE_PUBLIC_KEY = 1,  /**< publicKey {hint}: verified with a key the caller has */
    BW_BUNDLE_CERT_CHAIN = 2,  /**< x509CertificateChain (model_signing `sign certificate`) */
    BW_BUNDLE_CERTIFICATE = 3, /**< certificate (keyless Sigstore, Fulcio) */
} bw_bundle_material;

/** A parsed bundle. Read-only for callers; release with bw_bundle_release(). */
typedef struct bw_bundle {
    char *media_type;
    bw_bundle_material material;
    char *key_hint;        /**< verificationMaterial.publicKey.hint; "" when absent */
    size_t n_tlog_entries; /**< verificationMaterial.tlogEntries (not checked) */
    char *payload_type;    /**< dsseEnvelope.payloadType (not yet verified) */
    size_t n_signatures;   /**< dsseEnvelope.signatures */
    /*
     * The envelope, decoded once for bw_bundle_verify (nothing in it is
     * verified yet): pae is DSSE's PAE(payloadType, payload), the bytes every
     * signature covers, whose last payload_len bytes are the payload; sigs[i]
     * (sig_lens[i] bytes) is signatures[i].sig decoded from base64.
     */
    bw_buf pae;
    size_t payload_len;
    uint8_t **sigs;
    size_t *sig_lens;
} bw_bundle;

/**
 * Parse a bundle from untrusted bytes. `name` labels messages (the file name).
 * @return BW_OK; BW_EFORMAT for JSON syntax (with the byte offset, line and
 *         column), a wrong mediaType, a missing or mistyped member (named by its
 *         path, e.g. "dsseEnvelope.signatures[0].sig") or bad base64 (with the
 *         character index); BW_EUNSUPPORTED for a bundle that signs a message
 *         digest instead of holding a DSSE envelope; BW_ELIMIT; BW_ENOMEM.
 * On failure *out is left zeroed.
 */
BW_API bw_status bw_bundle_parse(const void *data, size_t n, const char *name, bw_bundle *out,
                                 bw_error *err) BW_NODISCARD;
BW_API void bw_bundle_release(bw_bundle *b);

/**
 * Verify the bundle's envelope against keys (bw_dsse_verify): keys whose
 * bw_key_hint equals the bundle's hint are tried first, then the others (a
 * hint is not signed, so it only orders the attempts). v->key_index is the
 * index into `keys`. BW_EVERIFY when no signature verifies with any key.
 */
BW_API bw_status bw_bundle_verify(const bw_bundle *b, const char *name, const bw_key *const *keys, size_t nkeys,
                                  bw_dsse_verified *v, bw_error *err) BW_NODISCARD;

/**
 * Sign (payload_type, payload) with k (DSSE, DER signature for ECDSA) and
 * append the bundle JSON to out, in model_signing's layout (see above).
 */
BW_API bw_status bw_bundle_sign(const char *payload_type, const void *payload, size_t n, const bw_key *k, bw_buf *out,
                                bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
