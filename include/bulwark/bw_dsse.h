/*
 * bw_dsse.h - DSSE v1 envelopes (Dead Simple Signing Envelope,
 * secure-systems-lab/dsse, protocol 1.0.2): the signature covers
 * PAE(payloadType, payload) =
 *     "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload
 * with LEN the byte count in ASCII decimal, no leading zeros.
 *
 * Verification checks a signature before anything looks at the payload
 * and hands back only the bytes that were verified, so a caller parses
 * exactly what was signed (never a re-encoding of it).
 */
#ifndef BULWARK_BW_DSSE_H
#define BULWARK_BW_DSSE_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_DSSE_MAX_ENVELOPE ((size_t)64 << 20) /**< envelopes larger than this are BW_ELIMIT */
#define BW_DSSE_MAX_SIGNATURES 64

/** The pre-authentication encoding of (type, payload), appended to out. */
BW_API bw_status bw_dsse_pae(const char *type, const void *payload, size_t n, bw_buf *out) BW_NODISCARD;

/**
 * Sign (type, payload) with k and append the envelope as compact JSON:
 * {"payload": base64, "payloadType": type, "signatures": [{"keyid": keyid, "sig": base64}]}
 * (standard base64 with padding; "keyid" left out when keyid is NULL).
 */
BW_API bw_status bw_dsse_sign(const char *type, const void *payload, size_t n, const bw_key *k, const char *keyid,
                              bw_buf *out, bw_error *err) BW_NODISCARD;

typedef struct bw_dsse_verified {
    bw_buf payload;   /**< the verified payload bytes (caller releases) */
    char *type;       /**< its payloadType (bw_free) */
    size_t key_index; /**< which of the keys verified it */
    size_t sig_index; /**< which signature of the envelope */
} bw_dsse_verified;

/**
 * Verify an envelope (JSON text, `name` labels messages) against keys: BW_OK when at least one
 * signature verifies under one of them, filling *v. Base64 may be standard or URL-safe, padded or
 * not; ECDSA signatures DER or raw r||s. BW_EFORMAT for a malformed envelope (message with the
 * member at fault), BW_EVERIFY when no signature verifies, BW_ELIMIT past the limits above.
 */
BW_API bw_status bw_dsse_verify(const void *env, size_t n, const char *name, const bw_key *const *keys, size_t nkeys,
                                bw_dsse_verified *v, bw_error *err) BW_NODISCARD;
BW_API void bw_dsse_verified_release(bw_dsse_verified *v);

#ifdef __cplusplus
}
#endif
#endif
