/*
 * statcache.h - the stat cache behind incremental signing and verification
 * (internal to lib/trust; the public face is bw_sign_cache in bw_sign.h).
 *
 * Like git's index: for every file of one model root, the stat tuple seen
 * when its bytes were last hashed (device, inode, size, mtime, ctime, mode)
 * and a digest of those bytes. Nothing in it is believed on its own: the
 * file is authenticated (HMAC-SHA-256 under a key the caller keeps outside
 * the project), and a digest is reused only when the signature that vouches
 * for the whole cache (the SHA-256 of its bundle file, recorded here) is the
 * one being verified or re-signed from, has verified now, and lists the same
 * path with the same digest (sign.c). Parsed as untrusted bytes through bw_rd.
 *
 * Layout (little-endian), then HMAC-SHA-256(key, every byte before it):
 *   "BWSTATC1"  u8[32] voucher  u32 algo  u64 shard_size  i64 t_ref_ns
 *   u32 root_len  root  u32 n
 *   n x { u16 name_len  name  u64 dev  u64 ino  u64 size  i64 mtime_ns
 *         i64 ctime_ns  u32 mode  u8[32] digest }     names sorted by path components
 */
#ifndef BW_STATCACHE_H
#define BW_STATCACHE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "bulwark/bulwark.h"

#define BW_STATCACHE_MAGIC "BWSTATC1"
#define BW_STATCACHE_KEY_BYTES 32
#define BW_STATCACHE_MAX_BYTES ((size_t)1 << 30)
#define BW_STATCACHE_MAX_ENTRIES ((size_t)10 << 20)
#define BW_STATCACHE_MAX_NAME 4096
#define BW_STATCACHE_MAX_ROOT 4096

/* What stat says of a file: if any of it moved, the bytes may have. */
typedef struct bw_stat_tuple {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
    uint32_t mode;
    bool valid; /* not stored: false when the tuple could not be taken or moved while hashing */
} bw_stat_tuple;

typedef struct bw_statcache_entry {
    char *name; /* relative to the root, as in the manifest */
    bw_stat_tuple st;
    uint8_t digest[32]; /* files mode: the file's digest; shards: SHA-256 of its shard digests in order */
} bw_statcache_entry;

typedef struct bw_statcache {
    uint8_t voucher[32]; /* SHA-256 of the bundle file whose verified statement lists every digest here */
    uint32_t algo;
    uint64_t shard_size;
    int64_t t_ref_ns; /* coarse wall clock read before hashing: newer mtimes or ctimes are racy */
    char *root;       /* the model root, resolved */
    bw_statcache_entry *entries;
    size_t n;
} bw_statcache;

__attribute__((visibility("hidden"))) void bw_stat_tuple_of(const struct stat *st, bw_stat_tuple *t);
__attribute__((visibility("hidden"))) bool bw_stat_tuple_equal(const bw_stat_tuple *a, const bw_stat_tuple *b);

/*
 * Parse untrusted bytes: the MAC first (BW_EVERIFY when it does not match:
 * another key, or altered), then the layout (BW_EFORMAT / BW_ELIMIT with the
 * offset). `name` labels messages. On failure *out is empty.
 */
__attribute__((visibility("hidden"))) bw_status bw_statcache_parse(const void *data, size_t n, const uint8_t *key,
                                                                   const char *name, bw_statcache *out, bw_error *err);
/* Serialise and authenticate (entries must be sorted by path components, names unique). */
__attribute__((visibility("hidden"))) bw_status bw_statcache_write(const bw_statcache *c, const uint8_t *key,
                                                                   bw_buf *out);
/* The entry for name, or NULL (binary search). */
__attribute__((visibility("hidden"))) const bw_statcache_entry *bw_statcache_find(const bw_statcache *c,
                                                                                  const char *name);
__attribute__((visibility("hidden"))) void bw_statcache_release(bw_statcache *c);

#endif
