/*
 * bundle.c - Sigstore bundle v0.3 JSON around a DSSE envelope (bw_bundle.h).
 *
 * Reading: jansson parses the document (duplicate members refused, depth
 * capped by jansson); every member we rely on is checked for presence and
 * type and named by its path when wrong. Base64 in the envelope is decoded
 * once, here, reporting bad characters precisely; the decoded payload goes
 * straight into DSSE's PAE and the signatures are kept decoded, so
 * bw_bundle_verify parses nothing (one JSON parse per bundle: jansson is
 * most of the cost of checking a signature). DSSE signs the decoded payload,
 * never the JSON around it, and bw_bundle_verify hands out the payload only
 * after a signature over its PAE verified.
 *
 * Writing follows model_signing's bundle byte for byte except for the ECDSA
 * signature itself (randomised): member order, compact separators, an
 * empty keyid, an empty tlogEntries list and no final newline.
 */
#include <jansson.h>
#include <string.h>

#include "bulwark/bw_bundle.h"
#include "bulwark/bw_json.h"
#include "util/internal.h"

#define HINT_MAX 512

static const char *const media_types[] = {
    BW_BUNDLE_MEDIA_TYPE_V03,
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
};

void bw_bundle_release(bw_bundle *b)
{
    if (b == NULL) {
        return;
    }
    bw_free(b->media_type);
    bw_free(b->key_hint);
    bw_free(b->payload_type);
    bw_buf_release(&b->pae);
    for (size_t i = 0; b->sigs != NULL && i < b->n_signatures; i++) {
        bw_free(b->sigs[i]);
    }
    bw_free(b->sigs);
    bw_free(b->sig_lens);
    memset(b, 0, sizeof(*b));
}

/* o[key] with JSON type `type`, or a BW_EFORMAT naming "where.key". */
static bw_status member(const json_t *o, const char *key, json_type type, const char *where, const char *name,
                        json_t **out, bw_error *err)
{
    static const char *const type_names[] = {"an object", "an array", "a string", "an integer",
                                             "a number",  "true",     "false",    "null"};
    json_t *v = json_object_get(o, key);

    if (v == NULL) {
        return bw_fail(err, BW_EFORMAT, "%s: %s%s%s is missing", name, where, *where ? "." : "", key);
    }
    if (json_typeof(v) != type) {
        return bw_fail(err, BW_EFORMAT, "%s: %s%s%s must be %s", name, where, *where ? "." : "", key, type_names[type]);
    }
    *out = v;
    return BW_OK;
}

/* Decode a string member from base64 (standard or URL-safe, padding optional), appending to out. */
static bw_status decode_b64(const json_t *s, const char *what, const char *name, bw_buf *out, bw_error *err)
{
    size_t bad = 0;
    bw_status rc = bw_base64_decode(json_string_value(s), json_string_length(s), out, &bad);

    if (rc == BW_ENOMEM) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    if (rc != BW_OK) {
        return bw_fail(err, BW_EFORMAT, "%s: %s is not base64 (character %zu)", name, what, bad);
    }
    return BW_OK;
}

static bw_status dup_str(const json_t *s, char **out, bw_error *err)
{
    *out = bw_strndup(json_string_value(s), json_string_length(s));
    return *out == NULL ? bw_fail(err, BW_ENOMEM, "out of memory") : BW_OK;
}

static bw_status parse_material(const json_t *vm, const char *name, bw_bundle *b, bw_error *err)
{
    json_t *pk = json_object_get(vm, "publicKey"), *tl = json_object_get(vm, "tlogEntries"), *hint;

    if (pk != NULL) {
        if (!json_is_object(pk)) {
            return bw_fail(err, BW_EFORMAT, "%s: verificationMaterial.publicKey must be an object", name);
        }
        b->material = BW_BUNDLE_PUBLIC_KEY;
        hint = json_object_get(pk, "hint");
        if (hint != NULL) {
            if (!json_is_string(hint)) {
                return bw_fail(err, BW_EFORMAT, "%s: verificationMaterial.publicKey.hint must be a string", name);
            }
            if (json_string_length(hint) > HINT_MAX || strlen(json_string_value(hint)) != json_string_length(hint)) {
                return bw_fail(err, BW_EFORMAT,
                               "%s: verificationMaterial.publicKey.hint is over %d bytes or holds a NUL byte", name,
                               HINT_MAX);
            }
            BW_TRY(dup_str(hint, &b->key_hint, err));
        }
    } else if (json_object_get(vm, "x509CertificateChain") != NULL) {
        if (!json_is_object(json_object_get(vm, "x509CertificateChain"))) {
            return bw_fail(err, BW_EFORMAT, "%s: verificationMaterial.x509CertificateChain must be an object", name);
        }
        b->material = BW_BUNDLE_CERT_CHAIN;
    } else if (json_object_get(vm, "certificate") != NULL) {
        if (!json_is_object(json_object_get(vm, "certificate"))) {
            return bw_fail(err, BW_EFORMAT, "%s: verificationMaterial.certificate must be an object", name);
        }
        b->material = BW_BUNDLE_CERTIFICATE;
    } else {
        return bw_fail(err, BW_EFORMAT,
                       "%s: verificationMaterial holds no publicKey, x509CertificateChain or certificate", name);
    }
    if (tl != NULL) {
        if (!json_is_array(tl)) {
            return bw_fail(err, BW_EFORMAT, "%s: verificationMaterial.tlogEntries must be an array", name);
        }
        b->n_tlog_entries = json_array_size(tl);
    }
    if (b->key_hint == NULL && (b->key_hint = bw_strdup("")) == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    return BW_OK;
}

static bw_status parse_envelope(const json_t *env, const char *name, bw_bundle *b, bw_error *err)
{
    json_t *payload, *ptype, *sigs;
    const char *w = "dsseEnvelope";

    BW_TRY(member(env, "payload", JSON_STRING, w, name, &payload, err));
    BW_TRY(member(env, "payloadType", JSON_STRING, w, name, &ptype, err));
    BW_TRY(member(env, "signatures", JSON_ARRAY, w, name, &sigs, err));
    if (strlen(json_string_value(ptype)) != json_string_length(ptype)) {
        return bw_fail(err, BW_EFORMAT, "%s: dsseEnvelope.payloadType holds a NUL byte", name);
    }
    if (json_array_size(sigs) == 0) {
        return bw_fail(err, BW_EFORMAT, "%s: dsseEnvelope.signatures is empty", name);
    }
    if (json_array_size(sigs) > BW_DSSE_MAX_SIGNATURES) {
        return bw_fail(err, BW_ELIMIT, "%s: dsseEnvelope.signatures: more than %d", name, BW_DSSE_MAX_SIGNATURES);
    }
    b->sigs = bw_calloc(json_array_size(sigs), sizeof(*b->sigs));
    b->sig_lens = bw_calloc(json_array_size(sigs), sizeof(*b->sig_lens));
    if (b->sigs == NULL || b->sig_lens == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    b->n_signatures = json_array_size(sigs);
    {
        /* PAE = "DSSEv1" SP len(type) SP type SP len(payload) SP payload: decode the payload in place */
        bw_buf raw = BW_BUF_INIT(BW_BUNDLE_MAX_BYTES);
        bw_status rc = decode_b64(payload, "dsseEnvelope.payload", name, &raw, err);
        if (rc == BW_OK && bw_dsse_pae(json_string_value(ptype), raw.ptr, raw.len, &b->pae) != BW_OK) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
        }
        b->payload_len = raw.len;
        bw_buf_release(&raw);
        BW_TRY(rc);
    }
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        const json_t *e = json_array_get(sigs, i), *kid;
        char where[64];
        bw_buf raw = BW_BUF_INIT(BW_BUNDLE_MAX_BYTES);
        json_t *sig;
        snprintf(where, sizeof(where), "dsseEnvelope.signatures[%zu]", i);
        if (!json_is_object(e)) {
            return bw_fail(err, BW_EFORMAT, "%s: %s must be an object", name, where);
        }
        BW_TRY(member(e, "sig", JSON_STRING, where, name, &sig, err));
        kid = json_object_get(e, "keyid");
        if (kid != NULL && !json_is_string(kid) && !json_is_null(kid)) {
            return bw_fail(err, BW_EFORMAT, "%s: %s.keyid must be a string", name, where);
        }
        snprintf(where, sizeof(where), "dsseEnvelope.signatures[%zu].sig", i);
        bw_status rc = decode_b64(sig, where, name, &raw, err);
        if (rc != BW_OK) {
            bw_buf_release(&raw);
            return rc;
        }
        b->sig_lens[i] = raw.len;
        if (bw_buf_take(&raw, (char **)&b->sigs[i], NULL) != BW_OK) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
    }
    BW_TRY(dup_str(ptype, &b->payload_type, err));
    return BW_OK;
}

bw_status bw_bundle_parse(const void *data, size_t n, const char *name, bw_bundle *out, bw_error *err)
{
    json_error_t je;
    json_t *root = NULL, *mt, *vm, *env;
    bw_bundle b = {0};
    bw_status rc;
    bool known = false;

    memset(out, 0, sizeof(*out));
    bw_buf_init(&b.pae, 2 * BW_BUNDLE_MAX_BYTES);
    name = name != NULL ? name : "bundle";
    if (n > BW_BUNDLE_MAX_BYTES) {
        return bw_fail(err, BW_ELIMIT, "%s: a bundle over %zu bytes", name, BW_BUNDLE_MAX_BYTES);
    }
    root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        return bw_fail_at(err, BW_EFORMAT, (uint64_t)je.position, "%s: offset %d (line %d, column %d): %s", name,
                          je.position, je.line, je.column, je.text);
    }
    if (!json_is_object(root)) {
        rc = bw_fail(err, BW_EFORMAT, "%s: a Sigstore bundle is a JSON object", name);
        goto out;
    }
    if ((rc = member(root, "mediaType", JSON_STRING, "", name, &mt, err)) != BW_OK) {
        goto out;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(media_types); i++) {
        known |= strcmp(json_string_value(mt), media_types[i]) == 0;
    }
    if (!known) {
        char esc[96];
        bw_escape_for_log(json_string_value(mt), json_string_length(mt), esc, sizeof(esc));
        rc = bw_fail(err, BW_EFORMAT, "%s: mediaType '%s' is not a Sigstore bundle (expected '%s')", name, esc,
                     BW_BUNDLE_MEDIA_TYPE_V03);
        goto out;
    }
    if ((rc = dup_str(mt, &b.media_type, err)) != BW_OK ||
        (rc = member(root, "verificationMaterial", JSON_OBJECT, "", name, &vm, err)) != BW_OK ||
        (rc = parse_material(vm, name, &b, err)) != BW_OK) {
        goto out;
    }
    if (json_object_get(root, "dsseEnvelope") == NULL && json_object_get(root, "messageSignature") != NULL) {
        rc = bw_fail(err, BW_EUNSUPPORTED, "%s: a messageSignature bundle (only DSSE envelopes are supported)", name);
        goto out;
    }
    if ((rc = member(root, "dsseEnvelope", JSON_OBJECT, "", name, &env, err)) != BW_OK ||
        (rc = parse_envelope(env, name, &b, err)) != BW_OK) {
        goto out;
    }
    *out = b;
    memset(&b, 0, sizeof(b));
    rc = BW_OK;
out:
    json_decref(root);
    bw_bundle_release(&b);
    return rc;
}

bw_status bw_bundle_verify(const bw_bundle *b, const char *name, const bw_key *const *keys, size_t nkeys,
                           bw_dsse_verified *v, bw_error *err)
{
    const bw_key **order = NULL;
    size_t *index = NULL, k = 0;
    bw_status rc;

    memset(v, 0, sizeof(*v));
    if (nkeys > 0) {
        order = bw_calloc(nkeys, sizeof(*order));
        index = bw_calloc(nkeys, sizeof(*index));
        if (order == NULL || index == NULL) {
            bw_free(order);
            bw_free(index);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
    }
    /* keys the hint names first, then the rest in their order (with one key there is no order to
       choose: its hint, a PEM encoding and a hash, cost as much as the signature check) */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nkeys; i++) {
            char hint[65];
            bool match = nkeys > 1 && b->key_hint != NULL && b->key_hint[0] != '\0' &&
                         bw_key_hint(keys[i], hint) == BW_OK && strcmp(hint, b->key_hint) == 0;
            if (match == (pass == 0)) {
                order[k] = keys[i];
                index[k++] = i;
            }
        }
    }
    /* as bw_dsse_verify: each signature in turn against each key, the payload handed out only after */
    rc = BW_EVERIFY;
    for (size_t i = 0; i < b->n_signatures && rc == BW_EVERIFY; i++) {
        for (size_t j = 0; j < k && rc == BW_EVERIFY; j++) {
            rc = bw_key_verify(order[j], b->pae.ptr, b->pae.len, b->sigs[i] != NULL ? b->sigs[i] : (uint8_t *)"",
                               b->sig_lens[i]);
            if (rc == BW_OK) {
                v->key_index = index[j];
                v->sig_index = i;
            } else if (rc != BW_EVERIFY) {
                rc = bw_fail(err, rc, "%s: cannot verify: %s", name, bw_strerror(rc));
            }
        }
    }
    if (rc == BW_EVERIFY) {
        rc = bw_fail(err, BW_EVERIFY, "%s: no signature verifies with %s", name,
                     nkeys == 1   ? "the key"
                     : nkeys == 0 ? "no key given"
                                  : "any of the keys");
    } else if (rc == BW_OK) {
        bw_buf_init(&v->payload, BW_DSSE_MAX_ENVELOPE);
        v->type = bw_strdup(b->payload_type);
        if (v->type == NULL ||
            bw_buf_add(&v->payload, b->pae.ptr + b->pae.len - b->payload_len, b->payload_len) != BW_OK) {
            bw_dsse_verified_release(v);
            memset(v, 0, sizeof(*v));
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
        }
    }
    bw_free(order);
    bw_free(index);
    return rc;
}

bw_status bw_bundle_sign(const char *payload_type, const void *payload, size_t n, const bw_key *k, bw_buf *out,
                         bw_error *err)
{
    bw_buf pae = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE), sig = BW_BUF_INIT(1024), enc = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE);
    char hint[65];
    bw_json j;
    bw_status rc;

    if (n > BW_DSSE_MAX_ENVELOPE / 2) {
        return bw_fail(err, BW_ELIMIT, "a DSSE payload over %zu bytes", BW_DSSE_MAX_ENVELOPE / 2);
    }
    if ((rc = bw_key_hint(k, hint)) != BW_OK) {
        return bw_fail(err, rc, "cannot compute the key hint");
    }
    if ((rc = bw_dsse_pae(payload_type, payload, n, &pae)) != BW_OK) {
        rc = bw_fail(err, rc, "out of memory for the DSSE encoding");
        goto out;
    }
    if ((rc = bw_key_sign(k, pae.ptr, pae.len, &sig, err)) != BW_OK) {
        goto out;
    }
    bw_json_init(&j, out, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "mediaType", BW_BUNDLE_MEDIA_TYPE_V03);
    bw_json_key(&j, "verificationMaterial");
    bw_json_obj_begin(&j);
    bw_json_key(&j, "publicKey");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "hint", hint);
    bw_json_obj_end(&j);
    bw_json_key(&j, "tlogEntries");
    bw_json_arr_begin(&j);
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    bw_json_key(&j, "dsseEnvelope");
    bw_json_obj_begin(&j);
    rc = bw_base64_encode(payload, n, &enc);
    bw_json_key(&j, "payload");
    bw_json_strn(&j, enc.ptr != NULL ? enc.ptr : "", enc.len);
    bw_json_kv_str(&j, "payloadType", payload_type);
    bw_json_key(&j, "signatures");
    bw_json_arr_begin(&j);
    bw_json_obj_begin(&j);
    bw_buf_reset(&enc);
    if (rc == BW_OK) {
        rc = bw_base64_encode(sig.ptr, sig.len, &enc);
    }
    bw_json_key(&j, "sig");
    bw_json_strn(&j, enc.ptr != NULL ? enc.ptr : "", enc.len);
    bw_json_kv_str(&j, "keyid", "");
    bw_json_obj_end(&j);
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    if (rc == BW_OK) {
        rc = bw_json_finish(&j);
    }
    if (rc != BW_OK) {
        rc = bw_fail(err, rc, "out of memory for the bundle");
    }
out:
    bw_buf_release(&pae);
    bw_buf_release(&sig);
    bw_buf_release(&enc);
    return rc;
}
