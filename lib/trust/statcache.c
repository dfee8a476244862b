/*
 * statcache.c - reading and writing the stat cache (statcache.h).
 *
 * The file is untrusted: another user, a pipeline stage or a disk error may
 * have written it. The reader checks the MAC over every byte before reading
 * any field (a cache from another key or an edited one is refused whole),
 * then reads through bw_rd with every length checked against the bytes left
 * and a named cap, names checked as manifest names, sorted and unique (so
 * lookups can bisect). A refusal is an error for the caller to warn about
 * and ignore; nothing here decides whether a digest may be reused (sign.c).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "trust/manifest_internal.h"
#include "trust/statcache.h"
#include "util/internal.h"

void bw_stat_tuple_of(const struct stat *st, bw_stat_tuple *t)
{
    memset(t, 0, sizeof(*t));
    t->dev = (uint64_t)st->st_dev;
    t->ino = (uint64_t)st->st_ino;
    t->size = (uint64_t)st->st_size;
    t->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    t->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
    t->mode = (uint32_t)st->st_mode;
    t->valid = true;
}

bool bw_stat_tuple_equal(const bw_stat_tuple *a, const bw_stat_tuple *b)
{
    return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns && a->mode == b->mode;
}

void bw_statcache_release(bw_statcache *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        bw_free(c->entries[i].name);
    }
    bw_free(c->entries);
    bw_free(c->root);
    memset(c, 0, sizeof(*c));
}

static bool mac(const uint8_t *key, const void *data, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    return HMAC(EVP_sha256(), key, BW_STATCACHE_KEY_BYTES, data, n, out, &len) != NULL && len == 32;
}

static bw_status parse_entry(bw_rd *rd, bw_statcache_entry *e)
{
    uint16_t len;
    bw_bytes name;
    uint64_t v;

    BW_TRY(bw_rd_u16le(rd, &len));
    if (len == 0 || len > BW_STATCACHE_MAX_NAME) {
        return bw_rd_fail(rd, BW_EFORMAT, "name length %u out of range", len);
    }
    BW_TRY(bw_rd_view(rd, len, &name));
    if (!bw_manifest_name_ok((const char *)name.ptr, name.len)) {
        return bw_rd_fail(rd, BW_EFORMAT, "not a relative path inside the model");
    }
    BW_TRY(bw_rd_u64le(rd, &e->st.dev));
    BW_TRY(bw_rd_u64le(rd, &e->st.ino));
    BW_TRY(bw_rd_u64le(rd, &e->st.size));
    BW_TRY(bw_rd_u64le(rd, &v));
    e->st.mtime_ns = (int64_t)v;
    BW_TRY(bw_rd_u64le(rd, &v));
    e->st.ctime_ns = (int64_t)v;
    BW_TRY(bw_rd_u32le(rd, &e->st.mode));
    BW_TRY(bw_rd_copy(rd, e->digest, sizeof(e->digest)));
    e->st.valid = true;
    e->name = bw_strndup((const char *)name.ptr, name.len);
    return e->name == NULL ? bw_rd_fail(rd, BW_ENOMEM, "out of memory") : BW_OK;
}

bw_status bw_statcache_parse(const void *data, size_t n, const uint8_t *key, const char *name, bw_statcache *out,
                             bw_error *err)
{
    static const size_t min_entry = 2 + 1 + 8 * 5 + 4 + 32;
    bw_statcache c = {0};
    uint8_t want[32];
    uint32_t root_len, count;
    uint64_t t;
    bw_bytes root, magic;
    bw_rd rd;
    bw_status rc;

    memset(out, 0, sizeof(*out));
    name = name != NULL ? name : "stat cache";
    if (n > BW_STATCACHE_MAX_BYTES) {
        return bw_fail(err, BW_ELIMIT, "%s: over %zu bytes", name, BW_STATCACHE_MAX_BYTES);
    }
    if (n < sizeof(BW_STATCACHE_MAGIC) - 1 + 32) {
        return bw_fail_at(err, BW_EFORMAT, n, "%s: truncated (%zu bytes)", name, n);
    }
    /* authenticate before reading anything */
    if (!mac(key, data, n - 32, want)) {
        return bw_fail(err, BW_ENOMEM, "%s: cannot compute its MAC", name);
    }
    if (CRYPTO_memcmp(want, (const uint8_t *)data + n - 32, 32) != 0) {
        return bw_fail(err, BW_EVERIFY, "%s: its MAC does not match (written with another key, or altered)", name);
    }
    bw_rd_init(&rd, data, n - 32, name, err);
    if ((rc = bw_rd_view(&rd, sizeof(BW_STATCACHE_MAGIC) - 1, &magic)) != BW_OK) {
        return rc;
    }
    if (memcmp(magic.ptr, BW_STATCACHE_MAGIC, magic.len) != 0) {
        return bw_rd_fail(&rd, BW_EFORMAT, "not a bulwark stat cache (magic)");
    }
    if ((rc = bw_rd_copy(&rd, c.voucher, sizeof(c.voucher))) != BW_OK || (rc = bw_rd_u32le(&rd, &c.algo)) != BW_OK ||
        (rc = bw_rd_u64le(&rd, &c.shard_size)) != BW_OK || (rc = bw_rd_u64le(&rd, &t)) != BW_OK ||
        (rc = bw_rd_u32le(&rd, &root_len)) != BW_OK) {
        goto out;
    }
    c.t_ref_ns = (int64_t)t;
    if (root_len == 0 || root_len > BW_STATCACHE_MAX_ROOT) {
        rc = bw_rd_fail(&rd, BW_EFORMAT, "root length %u out of range", root_len);
        goto out;
    }
    if ((rc = bw_rd_view(&rd, root_len, &root)) != BW_OK || (rc = bw_rd_u32le(&rd, &count)) != BW_OK) {
        goto out;
    }
    if (memchr(root.ptr, '\0', root.len) != NULL || (c.root = bw_strndup((const char *)root.ptr, root.len)) == NULL) {
        rc = memchr(root.ptr, '\0', root.len) != NULL ? bw_rd_fail(&rd, BW_EFORMAT, "a NUL byte in the root")
                                                      : bw_rd_fail(&rd, BW_ENOMEM, "out of memory");
        goto out;
    }
    /* a count is a claim: it must fit the bytes left before anything is allocated for it */
    if (count > BW_STATCACHE_MAX_ENTRIES || (size_t)count > bw_rd_left(&rd) / min_entry) {
        rc = bw_rd_fail(&rd, count > BW_STATCACHE_MAX_ENTRIES ? BW_ELIMIT : BW_EFORMAT,
                        "%u entries cannot fit in %zu bytes (or over the cap)", count, bw_rd_left(&rd));
        goto out;
    }
    if (count > 0 && (c.entries = bw_calloc(count, sizeof(*c.entries))) == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < count; i++) {
        if ((rc = parse_entry(&rd, &c.entries[i])) != BW_OK) {
            bw_free(c.entries[i].name);
            goto out;
        }
        c.n++;
        if (i > 0 && bw_path_cmp(c.entries[i - 1].name, c.entries[i].name) >= 0) {
            rc = bw_rd_fail(&rd, BW_EFORMAT, "entries out of order or repeated");
            goto out;
        }
    }
    if (!bw_rd_eof(&rd)) {
        rc = bw_rd_fail(&rd, BW_EFORMAT, "%zu bytes after the last entry", bw_rd_left(&rd));
        goto out;
    }
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = BW_OK;
out:
    bw_statcache_release(&c);
    return rc;
}

static bw_status put(bw_buf *b, uint64_t v, int bytes)
{
    uint8_t le[8];
    for (int i = 0; i < bytes; i++) {
        le[i] = (uint8_t)(v >> (8 * i));
    }
    return bw_buf_add(b, le, (size_t)bytes);
}

bw_status bw_statcache_write(const bw_statcache *c, const uint8_t *key, bw_buf *out)
{
    size_t start = out->len, rl = strlen(c->root);
    uint8_t tag[32];

    if (rl == 0 || rl > BW_STATCACHE_MAX_ROOT || c->n > BW_STATCACHE_MAX_ENTRIES) {
        return BW_ELIMIT;
    }
    BW_TRY(bw_buf_add(out, BW_STATCACHE_MAGIC, sizeof(BW_STATCACHE_MAGIC) - 1));
    BW_TRY(bw_buf_add(out, c->voucher, sizeof(c->voucher)));
    BW_TRY(put(out, c->algo, 4));
    BW_TRY(put(out, c->shard_size, 8));
    BW_TRY(put(out, (uint64_t)c->t_ref_ns, 8));
    BW_TRY(put(out, rl, 4));
    BW_TRY(bw_buf_add(out, c->root, rl));
    BW_TRY(put(out, c->n, 4));
    for (size_t i = 0; i < c->n; i++) {
        const bw_statcache_entry *e = &c->entries[i];
        size_t nl = strlen(e->name);
        if (nl == 0 || nl > BW_STATCACHE_MAX_NAME) {
            return BW_ELIMIT;
        }
        BW_TRY(put(out, nl, 2));
        BW_TRY(bw_buf_add(out, e->name, nl));
        BW_TRY(put(out, e->st.dev, 8));
        BW_TRY(put(out, e->st.ino, 8));
        BW_TRY(put(out, e->st.size, 8));
        BW_TRY(put(out, (uint64_t)e->st.mtime_ns, 8));
        BW_TRY(put(out, (uint64_t)e->st.ctime_ns, 8));
        BW_TRY(put(out, e->st.mode, 4));
        BW_TRY(bw_buf_add(out, e->digest, sizeof(e->digest)));
    }
    if (!mac(key, out->ptr + start, out->len - start, tag)) {
        return BW_ENOMEM;
    }
    return bw_buf_add(out, tag, sizeof(tag));
}

const bw_statcache_entry *bw_statcache_find(const bw_statcache *c, const char *name)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = bw_path_cmp(c->entries[mid].name, name);
        if (cmp == 0) {
            return &c->entries[mid];
        }
        if (cmp < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}
