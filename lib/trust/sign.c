/*
 * sign.c - OMS v1.0 signatures of files and directories (bw_sign.h).
 *
 * Signing: manifest (bw_manifest_build) -> statement (bw_sign_statement, the
 * bytes model_signing would sign for the same manifest) -> DSSE in a Sigstore
 * bundle (bw_bundle_sign).
 *
 * Verifying runs in the order that keeps hostile input away from everything
 * but the bundle reader: bundle shape, then the DSSE signature, then the
 * verified payload only (a JSON object with "_type", parsed once by
 * bw_manifest_parse_statement, which also checks the subject digest against
 * the resources and follows no envelope inside it), then the files. Exactly the recorded ignore paths are left out
 * (plus the signature file and the caller's extra excludes); a statement
 * that records none (model_signing before 1.1) ignores nothing, so files its
 * signer skipped without saying show up as added (fail closed).
 *
 * Ignore paths are recorded as model_signing records them, relative to the
 * model root without a leading slash ("model.sig"); they match from the root
 * only (bw_manifest_excludes anchors them again when reading).
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_bundle.h"
#include "bulwark/bw_sign.h"
#include "trust/manifest_internal.h"
#include "util/internal.h"

/* Largest shard size a JSON real (an IEEE double) holds exactly. */
#define SHARD_MAX ((uint64_t)1 << 53)

static bool is_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

bw_status bw_sign_statement(const bw_manifest *m, bw_buf *out, bw_error *err)
{
    char hex[BW_DIGEST_HEX_MAX], algo[64];
    bw_json j;

    if (m->algo != BW_ALGO_SHA256) {
        return bw_fail(err, BW_EUNSUPPORTED, "model signatures use SHA-256 manifests, not %s", bw_algo_name(m->algo));
    }
    if (m->shard_size > SHARD_MAX) {
        return bw_fail(err, BW_EUNSUPPORTED, "shard size %llu is over 2^53 (a JSON number cannot hold it exactly)",
                       (unsigned long long)m->shard_size);
    }
    for (size_t i = 0; i < m->n; i++) {
        const char *name = m->entries[i].name;
        size_t len = strlen(name);
        if (!bw_utf8_valid(name, len) || !bw_manifest_name_ok(name, len)) {
            char esc[200];
            bw_escape_for_log(name, len, esc, sizeof(esc));
            return bw_fail(err, BW_EUNSUPPORTED, "file name '%s' cannot be recorded in a statement (%s)", esc,
                           bw_utf8_valid(name, len) ? "not a plain relative path" : "not valid UTF-8");
        }
    }
    for (size_t i = 0; i < m->n_ignore; i++) {
        if (!bw_utf8_valid(m->ignore_paths[i], strlen(m->ignore_paths[i]))) {
            return bw_fail(err, BW_EUNSUPPORTED, "an ignore path is not valid UTF-8");
        }
    }
    if (m->name != NULL && !bw_utf8_valid(m->name, strlen(m->name))) {
        return bw_fail(err, BW_EUNSUPPORTED, "the model name is not valid UTF-8");
    }
    bw_json_init(&j, out, 1);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "_type", BW_INTOTO_STATEMENT_V1);
    bw_json_key(&j, "subject");
    bw_json_arr_begin(&j);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "name", m->name != NULL ? m->name : "");
    bw_json_key(&j, "digest");
    bw_json_obj_begin(&j);
    bw_digest_hex(&m->root, hex);
    bw_json_kv_str(&j, "sha256", hex);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_json_arr_end(&j);
    bw_json_kv_str(&j, "predicateType", BW_OMS_PREDICATE_V1);
    bw_json_key(&j, "predicate");
    bw_json_obj_begin(&j);
    bw_json_key(&j, "serialization");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "method", m->shard_size ? "shards" : "files");
    bw_json_kv_str(&j, "hash_type", "sha256");
    bw_json_key(&j, "allow_symlinks");
    bw_json_bool(&j, m->allow_symlinks);
    if (m->shard_size) {
        /* protobuf's Struct holds numbers as doubles; Python prints an integral one as "N.0" */
        char num[32];
        int len;
        if (m->shard_size < UINT64_C(10000000000000000)) {
            len = snprintf(num, sizeof(num), "%llu.0", (unsigned long long)m->shard_size);
        } else {
            len = snprintf(num, sizeof(num), "%.17g", (double)m->shard_size);
        }
        bw_json_key(&j, "shard_size");
        bw_json_raw(&j, num, (size_t)len);
    }
    if (m->n_ignore > 0) { /* model_signing leaves an empty list out */
        bw_json_key(&j, "ignore_paths");
        bw_json_arr_begin(&j);
        for (size_t i = 0; i < m->n_ignore; i++) {
            bw_json_str(&j, m->ignore_paths[i]);
        }
        bw_json_arr_end(&j);
    }
    bw_json_obj_end(&j);
    bw_json_key(&j, "resources");
    bw_json_arr_begin(&j);
    if (m->shard_size) {
        snprintf(algo, sizeof(algo), "sha256-sharded-%llu", (unsigned long long)m->shard_size);
    } else {
        snprintf(algo, sizeof(algo), "sha256");
    }
    for (size_t i = 0; i < m->n; i++) {
        const bw_manifest_entry *e = &m->entries[i];
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "algorithm", algo);
        bw_digest_hex(&e->digest, hex);
        bw_json_kv_str(&j, "digest", hex);
        bw_json_key(&j, "name");
        if (m->shard_size) {
            bw_buf name = BW_BUF_INIT(BW_MANIFEST_MAX_NAME + 64);
            bw_buf_printf(&name, "%s:%llu:%llu", e->name, (unsigned long long)e->start, (unsigned long long)e->end);
            bw_json_strn(&j, name.ptr != NULL ? name.ptr : "", name.len);
            bw_buf_release(&name);
        } else {
            bw_json_str(&j, e->name);
        }
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_status rc = bw_json_finish(&j);
    return rc == BW_OK ? BW_OK : bw_fail(err, rc, "cannot build the statement: %s", bw_strerror(rc));
}

/* "/" + s (a pattern anchored at the root), or a copy of s when it is a glob or anchored already. */
static char *anchored(const char *s)
{
    bw_buf b = BW_BUF_INIT(1 << 16);
    char *res = NULL;

    bw_buf_printf(&b, "%s%s", is_glob(s) || s[0] == '/' ? "" : "/", s);
    return bw_buf_take(&b, &res, NULL) == BW_OK ? res : NULL;
}

bw_status bw_sign_path(const char *path, const bw_key *k, const bw_sign_opts *opts, bw_buf *bundle,
                       bw_manifest **manifest, bw_error *err)
{
    bw_sign_opts defaults = BW_SIGN_OPTS_INIT;
    const bw_sign_opts *o = opts != NULL ? opts : &defaults;
    bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
    bw_buf stmt = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE / 2);
    bw_manifest *m = NULL;
    char **excl = NULL, *sig_rel = NULL;
    size_t n_excl = 0;
    bw_status rc;

    if (manifest != NULL) {
        *manifest = NULL;
    }
    if (!bw_key_is_private(k)) {
        return bw_fail(err, BW_EINVAL, "signing needs a private key, not a public one");
    }
    excl = bw_calloc(o->n_excludes + 1, sizeof(*excl));
    if (excl == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < o->n_excludes; i++) {
        if ((excl[n_excl] = anchored(o->excludes[i])) == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
        n_excl++;
    }
    if (o->signature != NULL && (sig_rel = bw_path_inside(o->signature, path)) != NULL) {
        if ((excl[n_excl] = anchored(sig_rel)) == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
        n_excl++;
    }
    mo.algo = BW_ALGO_SHA256;
    mo.shard_size = o->shard_size;
    mo.excludes = (const char *const *)excl;
    mo.n_excludes = n_excl;
    mo.no_default_ignores = o->no_default_ignores;
    mo.pool = o->pool;
    mo.progress = o->progress;
    mo.progress_ud = o->progress_ud;
    if (o->shard_size > SHARD_MAX) {
        rc = bw_fail(err, BW_EINVAL, "shard size %llu is over 2^53", (unsigned long long)o->shard_size);
        goto out;
    }
    if ((rc = bw_manifest_build(&m, path, &mo, err)) != BW_OK) {
        goto out;
    }
    /* record root-relative paths as model_signing does ("model.sig", not "/model.sig") */
    for (size_t i = 0; i < m->n_ignore; i++) {
        char *s = m->ignore_paths[i];
        if (s[0] == '/' && !is_glob(s)) {
            memmove(s, s + 1, strlen(s));
        }
    }
    if ((rc = bw_sign_statement(m, &stmt, err)) != BW_OK ||
        (rc = bw_bundle_sign(BW_INTOTO_PAYLOAD_TYPE, stmt.ptr, stmt.len, k, bundle, err)) != BW_OK) {
        goto out;
    }
    if (manifest != NULL) {
        *manifest = m;
        m = NULL;
    }
out:
    for (size_t i = 0; i < n_excl; i++) {
        bw_free(excl[i]);
    }
    bw_free(excl);
    bw_free(sig_rel);
    bw_buf_release(&stmt);
    bw_manifest_free(m);
    return rc;
}

void bw_verify_result_release(bw_verify_result *r)
{
    if (r == NULL) {
        return;
    }
    bw_manifest_free(r->signed_manifest);
    bw_manifest_free(r->actual);
    bw_manifest_diff_release(&r->diff);
    memset(r, 0, sizeof(*r));
}

bw_status bw_verify_path(const char *path, const void *data, size_t n, const char *name, const bw_key *const *keys,
                         size_t nkeys, const bw_verify_opts *opts, bw_verify_result *res, bw_error *err)
{
    bw_verify_opts defaults = BW_VERIFY_OPTS_INIT;
    const bw_verify_opts *o = opts != NULL ? opts : &defaults;
    bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
    bw_bundle b = {0};
    bw_dsse_verified v = {0};
    char **recorded = NULL, *sig_rel = NULL, *sig_pat = NULL;
    const char **all = NULL;
    size_t n_rec = 0, n_all = 0, counts[3] = {0, 0, 0};
    bw_status rc;

    memset(res, 0, sizeof(*res));
    name = name != NULL ? name : "signature";
    if ((rc = bw_bundle_parse(data, n, name, &b, err)) != BW_OK) {
        goto out;
    }
    if ((rc = bw_bundle_verify(&b, name, keys, nkeys, &v, err)) != BW_OK) {
        goto out;
    }
    res->signature_ok = 1;
    res->key_index = v.key_index;
    if (strcmp(v.type, BW_INTOTO_PAYLOAD_TYPE) != 0) {
        char esc[96];
        bw_escape_for_log(v.type, strlen(v.type), esc, sizeof(esc));
        rc = bw_fail(err, BW_EVERIFY, "%s: the signed payload type is '%s', not an in-toto statement (%s)", name, esc,
                     BW_INTOTO_PAYLOAD_TYPE);
        goto out;
    }
    /* one JSON pass over the verified bytes: a statement object, nothing inside it followed */
    if ((rc = bw_manifest_parse_statement(&res->signed_manifest, v.payload.ptr, v.payload.len, name, err)) != BW_OK) {
        goto out;
    }
    if ((rc = bw_manifest_excludes(res->signed_manifest, &recorded, &n_rec, err)) != BW_OK) {
        goto out;
    }
    all = bw_calloc(n_rec + o->n_excludes + 1, sizeof(*all));
    if (all == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_rec; i++) {
        all[n_all++] = recorded[i];
    }
    for (size_t i = 0; i < o->n_excludes; i++) {
        all[n_all++] = o->excludes[i];
    }
    if (o->signature != NULL && (sig_rel = bw_path_inside(o->signature, path)) != NULL) {
        if ((sig_pat = anchored(sig_rel)) == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
        all[n_all++] = sig_pat;
    }
    mo.algo = res->signed_manifest->algo;
    mo.shard_size = res->signed_manifest->shard_size;
    mo.excludes = all;
    mo.n_excludes = n_all;
    mo.no_default_ignores = 1; /* the recorded ignore paths say exactly what was left out */
    mo.pool = o->pool;
    mo.progress = o->progress;
    mo.progress_ud = o->progress_ud;
    if ((rc = bw_manifest_build(&res->actual, path, &mo, err)) != BW_OK ||
        (rc = bw_manifest_compare(res->signed_manifest, res->actual, &res->diff, err)) != BW_OK) {
        goto out;
    }
    for (size_t i = 0; i < res->diff.n; i++) {
        counts[res->diff.items[i].kind]++;
    }
    if (res->diff.n > 0) {
        rc = bw_fail(err, BW_EVERIFY,
                     "'%s' does not match its signature: %zu modified, %zu added, %zu removed (%zu unchanged)", path,
                     counts[BW_CHANGE_MODIFIED], counts[BW_CHANGE_ADDED], counts[BW_CHANGE_REMOVED], res->diff.n_same);
    }
out:
    bw_bundle_release(&b);
    bw_dsse_verified_release(&v);
    bw_free(recorded);
    bw_free(sig_rel);
    bw_free(sig_pat);
    bw_free(all);
    return rc;
}
