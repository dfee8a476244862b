/*
 * dsse.c - DSSE v1 envelopes (see bw_dsse.h).
 *
 * The envelope is parsed with jansson (duplicate members refused, depth
 * capped by jansson); the payload is decoded from base64 but not looked at
 * until a signature over its PAE has verified.
 */
#include <jansson.h>
#include <string.h>

#include "bulwark/bw_dsse.h"
#include "bulwark/bw_json.h"
#include "util/internal.h"

bw_status bw_dsse_pae(const char *type, const void *payload, size_t n, bw_buf *out)
{
    size_t tl = strlen(type);

    BW_TRY(bw_buf_printf(out, "DSSEv1 %zu ", tl));
    BW_TRY(bw_buf_add(out, type, tl));
    BW_TRY(bw_buf_printf(out, " %zu ", n));
    return n > 0 ? bw_buf_add(out, payload, n) : BW_OK;
}

bw_status bw_dsse_sign(const char *type, const void *payload, size_t n, const bw_key *k, const char *keyid, bw_buf *out,
                       bw_error *err)
{
    bw_buf pae = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE), sig = BW_BUF_INIT(1024), enc = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE);
    bw_json j;
    bw_status rc;

    if (n > INT32_MAX / 2) {
        return bw_fail(err, BW_ELIMIT, "a DSSE payload over 1 GiB");
    }
    rc = bw_dsse_pae(type, payload, n, &pae);
    if (rc == BW_OK) {
        rc = bw_key_sign(k, pae.ptr, pae.len, &sig, err);
    } else {
        rc = bw_fail(err, rc, "out of memory for the DSSE encoding");
    }
    if (rc == BW_OK) {
        bw_json_init(&j, out, 0);
        bw_json_obj_begin(&j);
        rc = bw_base64_encode(payload, n, &enc);
        bw_json_key(&j, "payload");
        bw_json_strn(&j, enc.ptr != NULL ? enc.ptr : "", enc.len);
        bw_json_kv_str(&j, "payloadType", type);
        bw_json_key(&j, "signatures");
        bw_json_arr_begin(&j);
        bw_json_obj_begin(&j);
        if (keyid != NULL) {
            bw_json_kv_str(&j, "keyid", keyid);
        }
        bw_buf_reset(&enc);
        if (rc == BW_OK) {
            rc = bw_base64_encode(sig.ptr, sig.len, &enc);
        }
        bw_json_key(&j, "sig");
        bw_json_strn(&j, enc.ptr != NULL ? enc.ptr : "", enc.len);
        bw_json_obj_end(&j);
        bw_json_arr_end(&j);
        bw_json_obj_end(&j);
        if (rc == BW_OK) {
            rc = bw_json_finish(&j);
        }
        if (rc != BW_OK) {
            rc = bw_fail(err, rc, "out of memory for the DSSE envelope");
        }
    }
    bw_buf_release(&pae);
    bw_buf_release(&sig);
    bw_buf_release(&enc);
    return rc;
}

void bw_dsse_verified_release(bw_dsse_verified *v)
{
    bw_buf_release(&v->payload);
    BW_FREE(v->type);
}

/* Member `key` of o as a string, or a BW_EFORMAT naming it. */
static bw_status need_str(const json_t *o, const char *key, const char *where, const char *name, const char **s,
                          size_t *n, bw_error *err)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_string(v)) {
        return bw_fail(err, BW_EFORMAT, "%s: %s%s must be a string", name, where, key);
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return BW_OK;
}

bw_status bw_dsse_verify(const void *env, size_t n, const char *name, const bw_key *const *keys, size_t nkeys,
                         bw_dsse_verified *v, bw_error *err)
{
    json_error_t je;
    json_t *root = NULL;
    bw_buf payload = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE), pae = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE),
           sig = BW_BUF_INIT(4096);
    const char *s, *type;
    size_t sn, tn, bad = 0;
    bw_status rc = BW_OK;

    memset(v, 0, sizeof(*v));
    name = name != NULL ? name : "envelope";
    if (n > BW_DSSE_MAX_ENVELOPE) {
        return bw_fail(err, BW_ELIMIT, "%s: a DSSE envelope over %zu bytes", name, BW_DSSE_MAX_ENVELOPE);
    }
    root = json_loadb(env, n, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        return bw_fail_at(err, BW_EFORMAT, (uint64_t)je.position, "%s: line %d, column %d: %s", name, je.line,
                          je.column, je.text);
    }
    if (!json_is_object(root)) {
        rc = bw_fail(err, BW_EFORMAT, "%s: a DSSE envelope is a JSON object", name);
        goto out;
    }
    const json_t *sigs = json_object_get(root, "signatures");
    if ((rc = need_str(root, "payload", "", name, &s, &sn, err)) != BW_OK ||
        (rc = need_str(root, "payloadType", "", name, &type, &tn, err)) != BW_OK) {
        goto out;
    }
    if (strlen(type) != tn) {
        rc = bw_fail(err, BW_EFORMAT, "%s: payloadType holds a NUL byte", name);
        goto out;
    }
    if (!json_is_array(sigs) || json_array_size(sigs) == 0) {
        rc = bw_fail(err, BW_EFORMAT, "%s: signatures must be a non-empty array", name);
        goto out;
    }
    if (json_array_size(sigs) > BW_DSSE_MAX_SIGNATURES) {
        rc = bw_fail(err, BW_ELIMIT, "%s: more than %d signatures", name, BW_DSSE_MAX_SIGNATURES);
        goto out;
    }
    if (bw_base64_decode(s, sn, &payload, &bad) != BW_OK) {
        rc = bw_fail(err, BW_EFORMAT, "%s: payload is not base64 (character %zu)", name, bad);
        goto out;
    }
    if ((rc = bw_dsse_pae(type, payload.ptr, payload.len, &pae)) != BW_OK) {
        rc = bw_fail(err, rc, "%s: out of memory", name);
        goto out;
    }
    rc = BW_EVERIFY;
    for (size_t i = 0; i < json_array_size(sigs) && rc == BW_EVERIFY; i++) {
        const json_t *e = json_array_get(sigs, i);
        char where[48];
        snprintf(where, sizeof(where), "signatures[%zu].", i);
        if (!json_is_object(e)) {
            rc = bw_fail(err, BW_EFORMAT, "%s: signatures[%zu] must be an object", name, i);
            break;
        }
        if ((rc = need_str(e, "sig", where, name, &s, &sn, err)) != BW_OK) {
            break;
        }
        bw_buf_reset(&sig);
        if (bw_base64_decode(s, sn, &sig, &bad) != BW_OK) {
            rc = bw_fail(err, BW_EFORMAT, "%s: signatures[%zu].sig is not base64 (character %zu)", name, i, bad);
            break;
        }
        rc = BW_EVERIFY;
        for (size_t k = 0; k < nkeys && rc == BW_EVERIFY; k++) {
            rc = bw_key_verify(keys[k], pae.ptr, pae.len, sig.ptr != NULL ? sig.ptr : "", sig.len);
            if (rc == BW_OK) {
                v->key_index = k;
                v->sig_index = i;
            }
        }
    }
    if (rc == BW_EVERIFY) {
        rc = bw_fail(err, BW_EVERIFY, "%s: no signature verifies with %s", name,
                     nkeys == 1   ? "the key"
                     : nkeys == 0 ? "no key given"
                                  : "any of the keys");
    } else if (rc == BW_OK) {
        v->type = bw_strdup(type);
        if (v->type == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
        } else {
            v->payload = payload;
            bw_buf_init(&payload, BW_DSSE_MAX_ENVELOPE);
        }
    }
out:
    json_decref(root);
    bw_buf_release(&payload);
    bw_buf_release(&pae);
    bw_buf_release(&sig);
    return rc;
}
