/*
 * ledger_store.h - the ledger's storage interface: a table of functions
 * that ledger.c calls, so a store (SQLite: ledger_sqlite.c; PostgreSQL:
 * ledger_pg.c) holds rows and transactions and knows nothing of Merkle
 * trees or signatures. bw_ledger_open picks the first store that claims the
 * target (a URL scheme); the SQLite store takes every other target (a path).
 *
 * The logical schema every store keeps:
 *   meta(key TEXT, value TEXT)                 "format" = "1", "origin", "note_key" (verifier text)
 *   entries(idx, batch, body BLOB, leaf BLOB)  idx 0..n-1; leaf = SHA-256(0x00 || body)
 *   nodes(id, hash BLOB)                       complete subtrees of two or more leaves, by post-order id
 *   batches(id, first, size, root, key_hint, sig)   id 1, 2, ...; key_hint/sig NULL when unsigned
 *   checkpoints(batch, size, note TEXT)        the signed note after each batch
 *   keys(hint, name, pem, added, revoked)      index of "key" entries; revoked NULL when live
 * A store returns BW_EVERIFY when a row has the wrong column types or
 * lengths (that is tampering, not corruption) and BW_EFORMAT when the store
 * reports corruption. Blobs and texts in rows read through a cursor are
 * borrowed until the next call on that cursor.
 */
#ifndef BW_LEDGER_STORE_H
#define BW_LEDGER_STORE_H

#include "util/internal.h"

struct ledger_store;
struct ledger_cursor;

enum ledger_table {
    LT_ENTRIES,
    LT_NODES,
    LT_BATCHES,
    LT_CHECKPOINTS,
    LT_KEYS,
};

/* One row of any table; which fields mean what is per table (above). */
struct ledger_row {
    uint64_t id;    /* entries: idx; nodes: id; batches: id; checkpoints: batch; keys: added */
    uint64_t batch; /* entries: batch */
    uint64_t first; /* batches: first */
    uint64_t size;  /* batches, checkpoints: size */
    bool has_revoked;
    uint64_t revoked; /* keys */
    bw_bytes body;    /* entries: body */
    bw_bytes hash;    /* entries: leaf; nodes: hash; batches: root (32 bytes each) */
    bw_bytes sig;     /* batches: sig (ptr NULL when NULL) */
    const char *text; /* batches: key_hint (NULL when NULL); checkpoints: note; keys: hint */
    size_t text_len;
    const char *name; /* keys */
    const char *pem;  /* keys */
};

/* One stored hash a proof needs: a leaf (entries.leaf by idx) or a node (nodes.hash by id). */
struct ledger_ref {
    bool leaf;
    uint64_t id;
};
#define LEDGER_MAX_PREFETCH 256

struct ledger_store_ops {
    const char *name;
    /* whether this store takes `target` (NULL: it takes any target, the last resort) */
    bool (*claims)(const char *target);
    /* the target as messages may show it (a URL's password replaced by ***), appended to out */
    bw_status (*display)(const char *target, bw_buf *out);
    /* open or create; BW_ENOTFOUND when absent and !opts->create */
    bw_status (*open)(struct ledger_store **out, const char *target, const bw_ledger_opts *opts, bw_error *err);
    void (*close)(struct ledger_store *s);
    /* a write transaction waits for other writers (busy timeout); a read one is a snapshot */
    bw_status (*begin)(struct ledger_store *s, bool write, bw_error *err);
    bw_status (*commit)(struct ledger_store *s, bw_error *err);
    void (*rollback)(struct ledger_store *s);

    /* meta values: BW_ENOTFOUND when absent; value appended to out */
    bw_status (*meta_get)(struct ledger_store *s, const char *key, bw_buf *out, bw_error *err);
    bw_status (*meta_set)(struct ledger_store *s, const char *key, const char *value, bw_error *err);

    /* the row of the last batch (BW_ENOTFOUND when none), fields as a cursor row; borrowed until the next call */
    bw_status (*last_batch)(struct ledger_store *s, struct ledger_row *row, bw_error *err);
    bw_status (*put_entry)(struct ledger_store *s, uint64_t idx, uint64_t batch, const void *body, size_t n,
                           const bw_mhash *leaf, bw_error *err);
    /* one entry; row borrowed until the next call of get_entry */
    bw_status (*get_entry)(struct ledger_store *s, uint64_t idx, struct ledger_row *row, bw_error *err);
    bw_status (*put_node)(struct ledger_store *s, uint64_t id, const bw_mhash *h, bw_error *err);
    bw_status (*get_node)(struct ledger_store *s, uint64_t id, bw_mhash *h, bw_error *err);
    bw_status (*get_leaf)(struct ledger_store *s, uint64_t idx, bw_mhash *h, bw_error *err);
    /* optional (NULL: none): fetch these hashes at once, so get_node/get_leaf answer them from memory until the
       transaction ends (for a store whose lookups cost a round trip each); missing rows are not an error here */
    bw_status (*prefetch)(struct ledger_store *s, const struct ledger_ref *refs, size_t n, bw_error *err);
    bw_status (*put_batch)(struct ledger_store *s, const struct ledger_row *row, bw_error *err);
    /* one batch; row borrowed until the next call of get_batch */
    bw_status (*get_batch)(struct ledger_store *s, uint64_t id, struct ledger_row *row, bw_error *err);
    bw_status (*put_checkpoint)(struct ledger_store *s, uint64_t batch, uint64_t size, const char *note, size_t n,
                                bw_error *err);
    /* the latest checkpoint note, appended to out; BW_ENOTFOUND when none */
    bw_status (*last_checkpoint)(struct ledger_store *s, bw_buf *out, bw_error *err);
    /* insert a key, or (has_revoked) mark it revoked */
    bw_status (*put_key)(struct ledger_store *s, const struct ledger_row *row, bw_error *err);
    /* state of a key: 1 live, 0 unknown, -1 revoked */
    bw_status (*key_state)(struct ledger_store *s, const char *hint, int *state, bw_error *err);

    /* BW_EVERIFY unless the store's schema is exactly the one it creates (no extra tables, triggers or views) */
    bw_status (*check_schema)(struct ledger_store *s, bw_error *err);
    /* rows of a table in id order, from id `from` on */
    bw_status (*cursor_open)(struct ledger_store *s, enum ledger_table t, uint64_t from, struct ledger_cursor **out,
                             bw_error *err);
    /* next row: BW_OK with *done false, or *done true at the end */
    bw_status (*cursor_next)(struct ledger_cursor *c, struct ledger_row *row, bool *done, bw_error *err);
    void (*cursor_close)(struct ledger_cursor *c);
};

BW_INTERNAL extern const struct ledger_store_ops bw_ledger_sqlite_ops;
BW_INTERNAL extern const struct ledger_store_ops bw_ledger_pg_ops;

/* The canonical bytes of any JSON object, without the entry model's checks (ledger.c; fuzz_ledger's oracle). */
BW_INTERNAL bw_status bw_ledger_json_canonical(const char *json, size_t n, bw_buf *out, bw_error *err);

#endif
