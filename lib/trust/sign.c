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
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bulwark/bw_bundle.h"
#include "bulwark/bw_sign.h"
#include "trust/manifest_internal.h"
#include "trust/statcache.h"
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

/* ---- incremental: the stat cache, vouched for by a verified signature ------------------------ */

/* What a cache may reuse: the cache, and the verified manifest of the signature that vouches for it. */
struct vouched {
    bw_statcache cache;
    const bw_manifest *vouch; /* NULL: nothing may be reused */
    int64_t t_now;            /* the clock before this run's hashing (the next cache's reference) */
};

/* [first, first + n) are m's entries named `name` (m is sorted by path components, then start). */
static size_t run_of(const bw_manifest *m, const char *name, size_t *first)
{
    size_t lo = 0, hi = m->n, n = 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bw_path_cmp(m->entries[mid].name, name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *first = lo;
    while (lo + n < m->n && strcmp(m->entries[lo + n].name, name) == 0) {
        n++;
    }
    return n;
}

/* SHA-256 over a run's raw digests, in order: what the cache records for one file. */
static bool run_summary(const bw_manifest_entry *e, size_t n, uint8_t out[32])
{
    bw_hasher *h = NULL;
    bw_digest d;
    bool ok = bw_hasher_new(&h, BW_ALGO_SHA256, NULL) == BW_OK;

    for (size_t i = 0; ok && i < n; i++) {
        ok = bw_hasher_update(h, e[i].digest.bytes, e[i].digest.len) == BW_OK;
    }
    ok = ok && bw_hasher_final(h, &d) == BW_OK && d.len == 32;
    if (ok) {
        memcpy(out, d.bytes, 32);
    }
    bw_hasher_free(h);
    return ok;
}

/* The run covers a file of `size` bytes exactly as this run would hash it. */
static bool run_fits(const bw_manifest *m, const bw_manifest_entry *e, size_t n, uint64_t size)
{
    if (m->shard_size == 0) {
        return n == 1 && (e->size == BW_SIZE_UNKNOWN || e->size == size);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t start, end;
        if (__builtin_mul_overflow((uint64_t)i, m->shard_size, &start) || start >= size) {
            return false;
        }
        end = size - start < m->shard_size ? size : start + m->shard_size;
        if (e[i].start != start || e[i].end != end) {
            return false;
        }
    }
    return n > 0 && e[n - 1].end == size;
}

static size_t reuse_cb(void *ud, const char *rel, const char *path, uint64_t size, const bw_manifest_entry **out,
                       bw_stat_tuple *st)
{
    const struct vouched *v = ud;
    const bw_statcache_entry *ce;
    struct stat sb;
    bw_stat_tuple now;
    uint8_t sum[32];
    size_t first, n;

    if (v->vouch == NULL || (ce = bw_statcache_find(&v->cache, rel)) == NULL || stat(path, &sb) != 0 ||
        !S_ISREG(sb.st_mode)) {
        return 0;
    }
    bw_stat_tuple_of(&sb, &now);
    if (now.size != size || !bw_stat_tuple_equal(&now, &ce->st)) {
        return 0; /* the file moved since the cache saw it */
    }
    if (ce->st.mtime_ns >= v->cache.t_ref_ns || ce->st.ctime_ns >= v->cache.t_ref_ns) {
        return 0; /* racy: it may have changed again within the same clock tick after it was hashed */
    }
    n = run_of(v->vouch, rel, &first);
    if (n == 0 || !run_fits(v->vouch, &v->vouch->entries[first], n, size) ||
        !run_summary(&v->vouch->entries[first], n, sum) || CRYPTO_memcmp(sum, ce->digest, 32) != 0) {
        return 0; /* the signature does not list this file with this digest */
    }
    *out = &v->vouch->entries[first];
    *st = now;
    return n;
}

static int64_t coarse_now_ns(void)
{
    struct timespec t;

    /* the clock the kernel stamps files with: a file written after this reads >= it */
    if (clock_gettime(CLOCK_REALTIME_COARSE, &t) != 0) {
        return INT64_MAX; /* no clock: every entry will look racy */
    }
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/*
 * Load the cache for `path` and keep it only if the signature with bundle
 * digest `h` (verified, manifest `vouch`) vouches for it with the parameters
 * of this run. A missing cache is silent; a bad one is a warning.
 */
static void cache_load(bw_sign_cache *c, const char *path, const uint8_t h[32], const bw_manifest *vouch, bw_algo algo,
                       uint64_t shard_size, struct vouched *v)
{
    bw_buf raw = BW_BUF_INIT(BW_STATCACHE_MAX_BYTES);
    char *root = NULL;
    bw_error e;
    bw_status rc;

    memset(v, 0, sizeof(*v));
    v->t_now = coarse_now_ns();
    bw_error_clear(&e);
    rc = bw_file_slurp(c->file, 0, BW_STATCACHE_MAX_BYTES, &raw, &e);
    if (rc == BW_ENOTFOUND) {
        goto out;
    }
    if (rc == BW_OK) {
        rc = bw_statcache_parse(raw.ptr != NULL ? raw.ptr : "", raw.len, c->key, c->file, &v->cache, &e);
    }
    if (rc != BW_OK) {
        c->ignored = 1;
        BW_WARN("sign", "ignoring the stat cache: %s (every file is hashed)", e.msg);
        goto out;
    }
    root = realpath(path, NULL);
    if (vouch == NULL || root == NULL || strcmp(root, v->cache.root) != 0 || memcmp(h, v->cache.voucher, 32) != 0 ||
        v->cache.algo != (uint32_t)algo || v->cache.shard_size != shard_size || vouch->algo != algo ||
        vouch->shard_size != shard_size) {
        BW_LOG(BW_LOG_INFO, "sign", "the stat cache is for another model, signature or shard size: not used");
        bw_statcache_release(&v->cache);
        goto out;
    }
    v->vouch = vouch;
out:
    free(root); /* libc realpath */
    bw_buf_release(&raw);
}

/*
 * Rewrite the cache after a sign or verify: an entry for every file whose
 * bytes were hashed (or found unchanged) now and whose run in `got` equals
 * its run in `vouch` (the statement of the signature with bundle digest h).
 */
static void cache_save(bw_sign_cache *c, const char *path, const uint8_t h[32], const bw_manifest *vouch,
                       const bw_manifest *got, const bw_manifest_hook *hook, int64_t t_ref)
{
    bw_statcache nc = {0};
    bw_buf out = BW_BUF_INIT(BW_STATCACHE_MAX_BYTES);
    bw_error e;
    char *root = realpath(path, NULL);

    bw_error_clear(&e);
    if (root == NULL || (nc.root = bw_strdup(root)) == NULL ||
        (nc.entries = bw_calloc(hook->n_files + 1, sizeof(*nc.entries))) == NULL) {
        goto out;
    }
    memcpy(nc.voucher, h, 32);
    nc.algo = (uint32_t)vouch->algo;
    nc.shard_size = vouch->shard_size;
    nc.t_ref_ns = t_ref;
    for (size_t i = 0; i < hook->n_files; i++) {
        size_t fa, fb, na, nb;
        bw_statcache_entry *ce = &nc.entries[nc.n];
        bool same;
        if (!hook->tuples[i].valid) {
            continue;
        }
        na = run_of(vouch, hook->names[i], &fa);
        nb = run_of(got, hook->names[i], &fb);
        same = na > 0 && na == nb;
        for (size_t k = 0; same && k < na; k++) {
            const bw_manifest_entry *x = &vouch->entries[fa + k], *y = &got->entries[fb + k];
            same = x->start == y->start && x->end == y->end && bw_digest_equal(&x->digest, &y->digest);
        }
        if (!same || (nc.n > 0 && bw_path_cmp(nc.entries[nc.n - 1].name, hook->names[i]) >= 0) ||
            !run_summary(&vouch->entries[fa], na, ce->digest)) {
            continue;
        }
        ce->st = hook->tuples[i];
        if ((ce->name = bw_strdup(hook->names[i])) == NULL) {
            goto out;
        }
        nc.n++;
    }
    if (bw_statcache_write(&nc, c->key, &out) != BW_OK ||
        bw_file_write_atomic(c->file, out.ptr, out.len, 0600, &e) != BW_OK) {
        BW_WARN("sign", "cannot write the stat cache: %s", e.msg[0] ? e.msg : "out of memory");
        goto out;
    }
    c->written = 1;
out:
    free(root); /* libc realpath */
    bw_statcache_release(&nc);
    bw_buf_release(&out);
}

static void cache_count(bw_sign_cache *c, const bw_manifest_hook *hook)
{
    c->files_reused = hook->files_reused;
    c->files_hashed = hook->files_hashed;
    c->bytes_reused = hook->bytes_reused;
    c->bytes_hashed = hook->bytes_hashed;
}

/*
 * The statement of the bundle already at `sig` when it verifies with k (the
 * signer re-signing): what vouches for the cache in bw_sign_path. NULL when
 * there is none or it does not verify (then nothing is reused).
 */
static bw_manifest *previous_statement(const char *sig, const bw_key *k, uint8_t h[32])
{
    bw_buf raw = BW_BUF_INIT(BW_BUNDLE_MAX_BYTES);
    bw_bundle b = {0};
    bw_dsse_verified v = {0};
    bw_manifest *m = NULL;
    bw_digest d;
    bw_error e;
    const bw_key *keys[1] = {k};

    bw_error_clear(&e);
    if (sig != NULL && bw_file_slurp(sig, BW_FILE_FOLLOW, BW_BUNDLE_MAX_BYTES, &raw, &e) == BW_OK &&
        bw_digest_bytes(BW_ALGO_SHA256, raw.ptr != NULL ? raw.ptr : "", raw.len, &d) == BW_OK &&
        bw_bundle_parse(raw.ptr != NULL ? raw.ptr : "", raw.len, sig, &b, &e) == BW_OK &&
        bw_bundle_verify(&b, sig, keys, 1, &v, &e) == BW_OK && strcmp(v.type, BW_INTOTO_PAYLOAD_TYPE) == 0 &&
        bw_manifest_parse_statement(&m, v.payload.ptr, v.payload.len, sig, &e) == BW_OK) {
        memcpy(h, d.bytes, 32);
    }
    bw_bundle_release(&b);
    bw_dsse_verified_release(&v);
    bw_buf_release(&raw);
    return m;
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
    bw_manifest *m = NULL, *prev = NULL;
    bw_manifest_hook hook = {0};
    struct vouched v = {0};
    bw_sign_cache *cache =
        o->version >= 2 && o->cache != NULL && o->cache->file != NULL && o->cache->key != NULL ? o->cache : NULL;
    uint8_t h_prev[32] = {0};
    size_t bundle_at = bundle->len;
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
    if (cache != NULL) {
        /* the signature being replaced vouches for the cache, if it verifies with this key */
        prev = previous_statement(o->signature, k, h_prev);
        cache_load(cache, path, h_prev, prev, BW_ALGO_SHA256, o->shard_size, &v);
        hook.reuse = reuse_cb;
        hook.ud = &v;
    }
    if ((rc = bw_manifest_build_hooked(&m, path, &mo, cache != NULL ? &hook : NULL, err)) != BW_OK) {
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
    if (cache != NULL) {
        /* every file is in the new signature: it vouches for them all */
        bw_digest hn;
        cache_count(cache, &hook);
        if (bw_digest_bytes(BW_ALGO_SHA256, bundle->ptr + bundle_at, bundle->len - bundle_at, &hn) == BW_OK) {
            cache_save(cache, path, hn.bytes, m, m, &hook, v.t_now);
        }
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
    bw_manifest_free(prev);
    bw_manifest_hook_release(&hook);
    bw_statcache_release(&v.cache);
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
    bw_manifest_hook hook = {0};
    struct vouched vc = {0};
    bw_sign_cache *cache =
        o->version >= 2 && o->cache != NULL && o->cache->file != NULL && o->cache->key != NULL ? o->cache : NULL;
    bw_digest h;
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
    if (cache != NULL) {
        /* this signature, verified above, is the only one that may vouch for the cache */
        if ((rc = bw_digest_bytes(BW_ALGO_SHA256, data, n, &h)) != BW_OK) {
            rc = bw_fail(err, rc, "cannot hash the bundle");
            goto out;
        }
        cache_load(cache, path, h.bytes, res->signed_manifest, mo.algo, mo.shard_size, &vc);
        hook.reuse = reuse_cb;
        hook.ud = &vc;
    }
    if ((rc = bw_manifest_build_hooked(&res->actual, path, &mo, cache != NULL ? &hook : NULL, err)) != BW_OK ||
        (rc = bw_manifest_compare(res->signed_manifest, res->actual, &res->diff, err)) != BW_OK) {
        goto out;
    }
    if (cache != NULL) {
        cache_count(cache, &hook);
        /* every file reused and none gone: the cache would be written again as it is (an fsync saved) */
        if (vc.vouch == NULL || hook.files_hashed > 0 || hook.n_files != vc.cache.n) {
            cache_save(cache, path, h.bytes, res->signed_manifest, res->actual, &hook, vc.t_now);
        }
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
    bw_manifest_hook_release(&hook);
    bw_statcache_release(&vc.cache);
    return rc;
}
