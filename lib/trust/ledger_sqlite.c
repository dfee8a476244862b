/*
 * ledger_sqlite.c - the ledger's SQLite store (see ledger_store.h).
 *
 * One database file in WAL mode: readers see a snapshot while one writer
 * appends, and a write transaction (BEGIN IMMEDIATE) waits up to the busy
 * timeout for another process's. synchronous=FULL makes a committed batch
 * survive a power cut as well as a killed process. Every value read back is
 * checked for its type and length: the file is as untrusted as any input,
 * and a row of the wrong shape is reported as tampering (BW_EVERIFY), while
 * what SQLite itself calls corrupt is BW_EFORMAT.
 */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "trust/ledger_store.h"
#include "util/internal.h"

enum {
    Q_META_GET,
    Q_META_SET,
    Q_LAST_BATCH,
    Q_PUT_ENTRY,
    Q_GET_ENTRY,
    Q_PUT_NODE,
    Q_GET_NODE,
    Q_GET_LEAF,
    Q_PUT_BATCH,
    Q_GET_BATCH,
    Q_PUT_CHECKPOINT,
    Q_LAST_CHECKPOINT,
    Q_PUT_KEY,
    Q_REVOKE_KEY,
    Q_KEY_STATE,
    Q_COUNT
};

static const char *const queries[Q_COUNT] = {
    [Q_META_GET] = "SELECT value FROM meta NOT INDEXED WHERE key = ?1",
    [Q_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [Q_LAST_BATCH] = "SELECT id, first, size, root, key_hint, sig FROM batches ORDER BY id DESC LIMIT 1",
    [Q_PUT_ENTRY] = "INSERT INTO entries(idx, batch, body, leaf) VALUES (?1, ?2, ?3, ?4)",
    [Q_GET_ENTRY] = "SELECT idx, batch, body, leaf FROM entries WHERE idx = ?1",
    [Q_PUT_NODE] = "INSERT INTO nodes(id, hash) VALUES (?1, ?2)",
    [Q_GET_NODE] = "SELECT hash FROM nodes WHERE id = ?1",
    [Q_GET_LEAF] = "SELECT leaf FROM entries WHERE idx = ?1",
    [Q_PUT_BATCH] = "INSERT INTO batches(id, first, size, root, key_hint, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_GET_BATCH] = "SELECT id, first, size, root, key_hint, sig FROM batches WHERE id = ?1",
    [Q_PUT_CHECKPOINT] = "INSERT INTO checkpoints(batch, size, note) VALUES (?1, ?2, ?3)",
    [Q_LAST_CHECKPOINT] = "SELECT note FROM checkpoints ORDER BY batch DESC LIMIT 1",
    [Q_PUT_KEY] = "INSERT OR IGNORE INTO keys(hint, name, pem, added, revoked) VALUES (?1, ?2, ?3, ?4, NULL)",
    [Q_REVOKE_KEY] = "UPDATE keys SET revoked = ?2 WHERE hint = ?1 AND revoked IS NULL",
    [Q_KEY_STATE] = "SELECT revoked FROM keys WHERE hint = ?1",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY, batch INTEGER NOT NULL, body BLOB NOT NULL,"
    " leaf BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS nodes(id INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS batches(id INTEGER PRIMARY KEY, first INTEGER NOT NULL, size INTEGER NOT NULL,"
    " root BLOB NOT NULL, key_hint TEXT, sig BLOB);"
    "CREATE TABLE IF NOT EXISTS checkpoints(batch INTEGER PRIMARY KEY, size INTEGER NOT NULL, note TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS keys(hint TEXT PRIMARY KEY, name TEXT NOT NULL, pem TEXT NOT NULL,"
    " added INTEGER NOT NULL, revoked INTEGER);";

struct ledger_store {
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    bool in_txn;
};

struct ledger_cursor {
    struct ledger_store *s;
    sqlite3_stmt *st;
    enum ledger_table t;
    bool done; /* stepping past the end would restart the statement */
};

/* A SQLite failure as a status, with SQLite's message. */
static bw_status fail_db(struct ledger_store *s, int rc, bw_error *err, const char *what)
{
    int base = rc & 0xff;
    const char *msg = s != NULL && s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

    if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB || base == SQLITE_FORMAT) {
        return bw_fail(err, BW_EFORMAT, "ledger store is corrupt (%s): %s", what, msg);
    }
    if (base == SQLITE_NOMEM) {
        return bw_fail(err, BW_ENOMEM, "out of memory (%s)", what);
    }
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED) {
        return bw_fail(err, BW_EIO, "ledger is locked by another writer (%s): %s", what, msg);
    }
    return bw_fail(err, BW_EIO, "ledger store: %s: %s", what, msg);
}

static bw_status stmt(struct ledger_store *s, int q, sqlite3_stmt **out, bw_error *err)
{
    if (s->q[q] == NULL) {
        int rc = sqlite3_prepare_v3(s->db, queries[q], -1, SQLITE_PREPARE_PERSISTENT, &s->q[q], NULL);
        if ((rc & 0xff) == SQLITE_ERROR) {
            return bw_fail(err, BW_EFORMAT, "not a bulwark ledger: %s", sqlite3_errmsg(s->db));
        }
        if (rc != SQLITE_OK) {
            return fail_db(s, rc, err, "prepare");
        }
    }
    *out = s->q[q];
    return BW_OK;
}

static bw_status exec(struct ledger_store *s, const char *sql, bw_error *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? BW_OK : fail_db(s, rc, err, sql);
}

static bw_status bad_row(bw_error *err, const char *table, uint64_t id, const char *col)
{
    return bw_fail(err, BW_EVERIFY, "ledger %s row %llu: column '%s' has the wrong type or length", table,
                   (unsigned long long)id, col);
}

static bool col_u64(sqlite3_stmt *st, int i, uint64_t *v)
{
    if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
        return false;
    }
    sqlite3_int64 x = sqlite3_column_int64(st, i);
    if (x < 0) {
        return false;
    }
    *v = (uint64_t)x;
    return true;
}

/* a blob of exactly `want` bytes (0: any length); NULL allowed only when `nullable` */
static bool col_blob(sqlite3_stmt *st, int i, size_t want, bool nullable, bw_bytes *out)
{
    int t = sqlite3_column_type(st, i);
    out->ptr = NULL;
    out->len = 0;
    if (t == SQLITE_NULL) {
        return nullable;
    }
    if (t != SQLITE_BLOB) {
        return false;
    }
    out->ptr = sqlite3_column_blob(st, i);
    out->len = (size_t)sqlite3_column_bytes(st, i);
    if (out->ptr == NULL) {
        out->ptr = (const uint8_t *)""; /* a zero-length blob */
    }
    return want == 0 || out->len == want;
}

/* text without NUL bytes; NULL allowed only when `nullable` */
static bool col_text(sqlite3_stmt *st, int i, bool nullable, const char **out, size_t *len)
{
    int t = sqlite3_column_type(st, i);
    *out = NULL;
    if (len != NULL) {
        *len = 0;
    }
    if (t == SQLITE_NULL) {
        return nullable;
    }
    if (t != SQLITE_TEXT) {
        return false;
    }
    const char *s = (const char *)sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (s == NULL || memchr(s, '\0', n) != NULL) {
        return false;
    }
    *out = s;
    if (len != NULL) {
        *len = n;
    }
    return true;
}

/* the row under st into r, for table t */
static bw_status read_row(sqlite3_stmt *st, enum ledger_table t, struct ledger_row *r, bw_error *err)
{
    memset(r, 0, sizeof(*r));
    switch (t) {
    case LT_ENTRIES:
        if (!col_u64(st, 0, &r->id)) {
            return bad_row(err, "entries", 0, "idx");
        }
        if (!col_u64(st, 1, &r->batch)) {
            return bad_row(err, "entries", r->id, "batch");
        }
        if (!col_blob(st, 2, 0, false, &r->body)) {
            return bad_row(err, "entries", r->id, "body");
        }
        if (!col_blob(st, 3, BW_MERKLE_HASH, false, &r->hash)) {
            return bad_row(err, "entries", r->id, "leaf");
        }
        return BW_OK;
    case LT_NODES:
        if (!col_u64(st, 0, &r->id)) {
            return bad_row(err, "nodes", 0, "id");
        }
        if (!col_blob(st, 1, BW_MERKLE_HASH, false, &r->hash)) {
            return bad_row(err, "nodes", r->id, "hash");
        }
        return BW_OK;
    case LT_BATCHES:
        if (!col_u64(st, 0, &r->id)) {
            return bad_row(err, "batches", 0, "id");
        }
        if (!col_u64(st, 1, &r->first)) {
            return bad_row(err, "batches", r->id, "first");
        }
        if (!col_u64(st, 2, &r->size)) {
            return bad_row(err, "batches", r->id, "size");
        }
        if (!col_blob(st, 3, BW_MERKLE_HASH, false, &r->hash)) {
            return bad_row(err, "batches", r->id, "root");
        }
        if (!col_text(st, 4, true, &r->text, &r->text_len)) {
            return bad_row(err, "batches", r->id, "key_hint");
        }
        if (!col_blob(st, 5, 0, true, &r->sig)) {
            return bad_row(err, "batches", r->id, "sig");
        }
        return BW_OK;
    case LT_CHECKPOINTS:
        if (!col_u64(st, 0, &r->id)) {
            return bad_row(err, "checkpoints", 0, "batch");
        }
        if (!col_u64(st, 1, &r->size)) {
            return bad_row(err, "checkpoints", r->id, "size");
        }
        if (!col_text(st, 2, false, &r->text, &r->text_len)) {
            return bad_row(err, "checkpoints", r->id, "note");
        }
        return BW_OK;
    case LT_KEYS:
        if (!col_text(st, 0, false, &r->text, &r->text_len)) {
            return bad_row(err, "keys", 0, "hint");
        }
        if (!col_text(st, 1, false, &r->name, NULL)) {
            return bad_row(err, "keys", 0, "name");
        }
        if (!col_text(st, 2, false, &r->pem, NULL)) {
            return bad_row(err, "keys", 0, "pem");
        }
        if (!col_u64(st, 3, &r->id)) {
            return bad_row(err, "keys", 0, "added");
        }
        r->has_revoked = sqlite3_column_type(st, 4) != SQLITE_NULL;
        if (r->has_revoked && !col_u64(st, 4, &r->revoked)) {
            return bad_row(err, "keys", 0, "revoked");
        }
        return BW_OK;
    }
    return bw_fail(err, BW_EINVAL, "no such ledger table");
}

static void sq_close(struct ledger_store *s)
{
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < Q_COUNT; i++) {
        sqlite3_finalize(s->q[i]);
    }
    if (s->in_txn) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close_v2(s->db);
    bw_free(s);
}

/* Release every statement's hold on the snapshot (rows read through them die here). */
static void reset_all(struct ledger_store *s)
{
    for (int i = 0; i < Q_COUNT; i++) {
        if (s->q[i] != NULL) {
            sqlite3_reset(s->q[i]);
        }
    }
}

static bw_status sq_begin(struct ledger_store *s, bool write, bw_error *err)
{
    reset_all(s);
    bw_status rc = exec(s, write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", err);
    s->in_txn = rc == BW_OK;
    return rc;
}

static bw_status sq_commit(struct ledger_store *s, bw_error *err)
{
    reset_all(s);
    bw_status rc = exec(s, "COMMIT", err);
    if (rc != BW_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    s->in_txn = false;
    return rc;
}

static void sq_rollback(struct ledger_store *s)
{
    reset_all(s);
    if (s->in_txn) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    s->in_txn = false;
}

/* Step a statement expected to yield at most one row: SQLITE_ROW / SQLITE_DONE, else a status. */
static bw_status step(struct ledger_store *s, sqlite3_stmt *st, bool *row, bw_error *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = true;
        return BW_OK;
    }
    *row = false;
    if (rc == SQLITE_DONE) {
        return BW_OK;
    }
    bw_status r = fail_db(s, rc, err, "step");
    sqlite3_reset(st);
    return r;
}

/* Run a statement that returns no rows, then reset it. */
static bw_status run(struct ledger_store *s, sqlite3_stmt *st, bw_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? BW_OK : fail_db(s, rc, err, "write");
}

static bw_status sq_meta_get(struct ledger_store *s, const char *key, bw_buf *out, bw_error *err)
{
    sqlite3_stmt *st;
    bool row;
    const char *v;
    size_t n;
    bw_status rc;

    BW_TRY(stmt(s, Q_META_GET, &st, err));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = step(s, st, &row, err);
    if (rc == BW_OK && !row) {
        rc = BW_ENOTFOUND;
    } else if (rc == BW_OK && !col_text(st, 0, false, &v, &n)) {
        rc = bw_fail(err, BW_EVERIFY, "ledger meta '%s': the value is not text", key);
    } else if (rc == BW_OK && bw_buf_add(out, v, n) != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
    }
    sqlite3_reset(st);
    return rc;
}

static bw_status sq_meta_set(struct ledger_store *s, const char *key, const char *value, bw_error *err)
{
    sqlite3_stmt *st;
    BW_TRY(stmt(s, Q_META_SET, &st, err));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return run(s, st, err);
}

/* A one-row query by id into *row (borrowed until the statement's next use); BW_ENOTFOUND when none. */
static bw_status get_one(struct ledger_store *s, int q, enum ledger_table t, bool bind, uint64_t id,
                         struct ledger_row *row, bw_error *err)
{
    sqlite3_stmt *st;
    bool have;
    bw_status rc;

    BW_TRY(stmt(s, q, &st, err));
    sqlite3_reset(st);
    if (bind) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    }
    rc = step(s, st, &have, err);
    if (rc == BW_OK && !have) {
        rc = BW_ENOTFOUND;
    }
    if (rc == BW_OK) {
        rc = read_row(st, t, row, err);
    }
    /* not reset on success: the row's blobs stay valid until the next call */
    if (rc != BW_OK) {
        sqlite3_reset(st);
    }
    return rc;
}

static bw_status sq_last_batch(struct ledger_store *s, struct ledger_row *row, bw_error *err)
{
    return get_one(s, Q_LAST_BATCH, LT_BATCHES, false, 0, row, err);
}

static bw_status sq_get_entry(struct ledger_store *s, uint64_t idx, struct ledger_row *row, bw_error *err)
{
    return get_one(s, Q_GET_ENTRY, LT_ENTRIES, true, idx, row, err);
}

static bw_status sq_get_batch(struct ledger_store *s, uint64_t id, struct ledger_row *row, bw_error *err)
{
    return get_one(s, Q_GET_BATCH, LT_BATCHES, true, id, row, err);
}

static bw_status sq_put_entry(struct ledger_store *s, uint64_t idx, uint64_t batch, const void *body, size_t n,
                              const bw_mhash *leaf, bw_error *err)
{
    sqlite3_stmt *st;
    BW_TRY(stmt(s, Q_PUT_ENTRY, &st, err));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)batch);
    sqlite3_bind_blob(st, 3, body, (int)n, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, leaf->b, BW_MERKLE_HASH, SQLITE_STATIC);
    return run(s, st, err);
}

static bw_status sq_put_node(struct ledger_store *s, uint64_t id, const bw_mhash *h, bw_error *err)
{
    sqlite3_stmt *st;
    BW_TRY(stmt(s, Q_PUT_NODE, &st, err));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_blob(st, 2, h->b, BW_MERKLE_HASH, SQLITE_STATIC);
    return run(s, st, err);
}

/* a 32-byte hash column by id */
static bw_status get_hash(struct ledger_store *s, int q, const char *table, uint64_t id, bw_mhash *h, bw_error *err)
{
    sqlite3_stmt *st;
    bool have;
    bw_bytes b;
    bw_status rc;

    BW_TRY(stmt(s, q, &st, err));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    rc = step(s, st, &have, err);
    if (rc == BW_OK && !have) {
        rc = bw_fail(err, BW_EVERIFY, "ledger %s row %llu is missing", table, (unsigned long long)id);
    } else if (rc == BW_OK && !col_blob(st, 0, BW_MERKLE_HASH, false, &b)) {
        rc = bad_row(err, table, id, "hash");
    } else if (rc == BW_OK) {
        memcpy(h->b, b.ptr, BW_MERKLE_HASH);
    }
    sqlite3_reset(st);
    return rc;
}

static bw_status sq_get_node(struct ledger_store *s, uint64_t id, bw_mhash *h, bw_error *err)
{
    return get_hash(s, Q_GET_NODE, "nodes", id, h, err);
}

static bw_status sq_get_leaf(struct ledger_store *s, uint64_t idx, bw_mhash *h, bw_error *err)
{
    return get_hash(s, Q_GET_LEAF, "entries", idx, h, err);
}

static bw_status sq_put_batch(struct ledger_store *s, const struct ledger_row *r, bw_error *err)
{
    sqlite3_stmt *st;
    BW_TRY(stmt(s, Q_PUT_BATCH, &st, err));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)r->id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)r->first);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->size);
    sqlite3_bind_blob(st, 4, r->hash.ptr, (int)r->hash.len, SQLITE_STATIC);
    if (r->text != NULL) {
        sqlite3_bind_text(st, 5, r->text, (int)r->text_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 6, r->sig.ptr, (int)r->sig.len, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 5);
        sqlite3_bind_null(st, 6);
    }
    return run(s, st, err);
}

static bw_status sq_put_checkpoint(struct ledger_store *s, uint64_t batch, uint64_t size, const char *note, size_t n,
                                   bw_error *err)
{
    sqlite3_stmt *st;
    BW_TRY(stmt(s, Q_PUT_CHECKPOINT, &st, err));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)batch);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
    sqlite3_bind_text(st, 3, note, (int)n, SQLITE_STATIC);
    return run(s, st, err);
}

static bw_status sq_last_checkpoint(struct ledger_store *s, bw_buf *out, bw_error *err)
{
    sqlite3_stmt *st;
    bool have;
    const char *v;
    size_t n;
    bw_status rc;

    BW_TRY(stmt(s, Q_LAST_CHECKPOINT, &st, err));
    rc = step(s, st, &have, err);
    if (rc == BW_OK && !have) {
        rc = BW_ENOTFOUND;
    } else if (rc == BW_OK && !col_text(st, 0, false, &v, &n)) {
        rc = bad_row(err, "checkpoints", 0, "note");
    } else if (rc == BW_OK && bw_buf_add(out, v, n) != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
    }
    sqlite3_reset(st);
    return rc;
}

static bw_status sq_put_key(struct ledger_store *s, const struct ledger_row *r, bw_error *err)
{
    sqlite3_stmt *st;
    if (r->has_revoked) {
        BW_TRY(stmt(s, Q_REVOKE_KEY, &st, err));
        sqlite3_bind_text(st, 1, r->text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)r->revoked);
        return run(s, st, err);
    }
    BW_TRY(stmt(s, Q_PUT_KEY, &st, err));
    sqlite3_bind_text(st, 1, r->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->pem, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->id);
    return run(s, st, err);
}

static bw_status sq_key_state(struct ledger_store *s, const char *hint, int *state, bw_error *err)
{
    sqlite3_stmt *st;
    bool have;
    bw_status rc;

    BW_TRY(stmt(s, Q_KEY_STATE, &st, err));
    sqlite3_bind_text(st, 1, hint, -1, SQLITE_STATIC);
    rc = step(s, st, &have, err);
    *state = !have ? 0 : sqlite3_column_type(st, 0) == SQLITE_NULL ? 1 : -1;
    sqlite3_reset(st);
    return rc;
}

/*
 * The schema as SQLite records it: each CREATE statement of `schema` without "IF NOT EXISTS ",
 * plus the automatic indexes of the two text primary keys. Anything else (a changed column
 * type, a trigger that rewrites rows, a view) is tampering.
 */
static bw_status sq_check_schema(struct ledger_store *s, bw_error *err)
{
    static const char ine[] = "IF NOT EXISTS ";
    sqlite3_stmt *st = NULL;
    const char *p = schema;
    int rc, rows = 0, tables = 0, autoidx = 0;
    bw_status r = BW_OK;

    rc = sqlite3_prepare_v2(s->db, "SELECT type, name, sql FROM main.sqlite_schema", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return fail_db(s, rc, err, "schema");
    }
    while (r == BW_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0), *name = (const char *)sqlite3_column_text(st, 1);
        const char *sql = (const char *)sqlite3_column_text(st, 2);
        bool found = false;
        rows++;
        if (type != NULL && name != NULL && strcmp(type, "index") == 0 && sql == NULL &&
            (strcmp(name, "sqlite_autoindex_meta_1") == 0 || strcmp(name, "sqlite_autoindex_keys_1") == 0)) {
            autoidx++;
            continue;
        }
        for (p = schema; type != NULL && sql != NULL && strcmp(type, "table") == 0 && *p != '\0';) {
            const char *end = strchr(p, ';');
            const char *at = strstr(p, ine);
            size_t pre = (size_t)(at - p), n = (size_t)(end - p) - sizeof(ine) + 1;
            if (strlen(sql) == n && strncmp(sql, p, pre) == 0 &&
                strncmp(sql + pre, at + sizeof(ine) - 1, n - pre) == 0) {
                found = true;
                tables++;
                break;
            }
            p = end + 1;
        }
        if (!found) {
            r = bw_fail(err, BW_EVERIFY, "the ledger store's schema was changed (at '%s')", name != NULL ? name : "?");
        }
    }
    if (r == BW_OK && rc != SQLITE_DONE) {
        r = fail_db(s, rc, err, "schema");
    }
    sqlite3_finalize(st);
    if (r == BW_OK && (tables != 6 || autoidx != 2 || rows != 8)) {
        r = bw_fail(err, BW_EVERIFY, "the ledger store's schema was changed (%d tables)", tables);
    }
    /* meta holds only known keys; read without its index, which a changed row would not match */
    rc = r == BW_OK ? sqlite3_prepare_v2(s->db,
                                         "SELECT count(*) FROM meta NOT INDEXED WHERE key NOT IN"
                                         " ('format', 'origin', 'note_key')",
                                         -1, &st, NULL)
                    : SQLITE_OK;
    if (r == BW_OK && rc != SQLITE_OK) {
        r = fail_db(s, rc, err, "schema");
    } else if (r == BW_OK) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            r = fail_db(s, rc, err, "meta");
        } else if (sqlite3_column_int64(st, 0) != 0) {
            r = bw_fail(err, BW_EVERIFY, "the ledger's meta table holds unknown rows");
        }
        sqlite3_finalize(st);
    }
    return r;
}

static bw_status sq_cursor_open(struct ledger_store *s, enum ledger_table t, uint64_t from, struct ledger_cursor **out,
                                bw_error *err)
{
    static const char *const sql[] = {
        [LT_ENTRIES] = "SELECT idx, batch, body, leaf FROM entries WHERE idx >= ?1 ORDER BY idx",
        [LT_NODES] = "SELECT id, hash FROM nodes WHERE id >= ?1 ORDER BY id",
        [LT_BATCHES] = "SELECT id, first, size, root, key_hint, sig FROM batches WHERE id >= ?1 ORDER BY id",
        [LT_CHECKPOINTS] = "SELECT batch, size, note FROM checkpoints WHERE batch >= ?1 ORDER BY batch",
        [LT_KEYS] = "SELECT hint, name, pem, added, revoked FROM keys NOT INDEXED ORDER BY hint",
    };
    struct ledger_cursor *c = bw_calloc(1, sizeof(*c));
    int rc;

    *out = NULL;
    if (c == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    rc = sqlite3_prepare_v2(s->db, sql[t], -1, &c->st, NULL);
    if (rc != SQLITE_OK) {
        bw_free(c);
        return fail_db(s, rc, err, "prepare");
    }
    if (t != LT_KEYS) {
        sqlite3_bind_int64(c->st, 1, (sqlite3_int64)BW_MIN(from, (uint64_t)INT64_MAX));
    }
    c->s = s;
    c->t = t;
    *out = c;
    return BW_OK;
}

static bw_status sq_cursor_next(struct ledger_cursor *c, struct ledger_row *row, bool *done, bw_error *err)
{
    int rc = c->done ? SQLITE_DONE : sqlite3_step(c->st);
    *done = false;
    if (rc == SQLITE_DONE) {
        c->done = true;
        *done = true;
        return BW_OK;
    }
    if (rc != SQLITE_ROW) {
        return fail_db(c->s, rc, err, "read");
    }
    return read_row(c->st, c->t, row, err);
}

static void sq_cursor_close(struct ledger_cursor *c)
{
    if (c != NULL) {
        sqlite3_finalize(c->st);
        bw_free(c);
    }
}

static bw_status sq_open(struct ledger_store **out, const char *path, const bw_ledger_opts *o, bw_error *err)
{
    struct ledger_store *s = NULL;
    struct stat sb;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE;
    bw_status rc = BW_OK;
    int src;

    *out = NULL;
    if (lstat(path, &sb) != 0) {
        if (errno != ENOENT || !o->create) {
            return bw_fail_errno(err, errno, "cannot open ledger", path);
        }
        flags |= SQLITE_OPEN_CREATE;
    } else if (!S_ISREG(sb.st_mode)) {
        return bw_fail(err, BW_EIO, "ledger '%s' is not a regular file", path);
    }
    s = bw_calloc(1, sizeof(*s));
    if (s == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    src = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = fail_db(s, src, err, "open");
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 0);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    if ((flags & SQLITE_OPEN_CREATE) && o->page_size >= 512 && o->page_size <= 65536 &&
        (o->page_size & (o->page_size - 1)) == 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA page_size=%u", o->page_size);
        rc = exec(s, sql, err);
    }
    if (rc == BW_OK) {
        rc = exec(s, "PRAGMA cell_size_check=ON; PRAGMA synchronous=FULL", err);
    }
    if (rc == BW_OK) {
        /* a new database switches to WAL under the write lock; an existing one is already in WAL */
        sqlite3_stmt *st = NULL;
        src = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (src == SQLITE_OK) {
            src = sqlite3_step(st);
        }
        if (src != SQLITE_ROW) {
            rc = fail_db(s, src, err, "journal mode");
        } else if (sqlite3_column_text(st, 0) == NULL || strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
            rc = bw_fail(err, BW_EIO, "ledger '%s': cannot switch to WAL mode", path);
        }
        sqlite3_finalize(st);
    }
    if (rc == BW_OK && o->create) {
        rc = exec(s, "BEGIN IMMEDIATE", err);
        if (rc == BW_OK) {
            rc = exec(s, schema, err);
            rc = rc == BW_OK ? exec(s, "COMMIT", err) : rc;
            if (rc != BW_OK) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            }
        }
    }
out:
    if (rc != BW_OK) {
        sq_close(s);
        return rc;
    }
    *out = s;
    return BW_OK;
}

static bw_status sq_display(const char *path, bw_buf *out)
{
    return bw_buf_addstr(out, path);
}

const struct ledger_store_ops bw_ledger_sqlite_ops = {
    .name = "sqlite",
    .claims = NULL,
    .display = sq_display,
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .last_batch = sq_last_batch,
    .put_entry = sq_put_entry,
    .get_entry = sq_get_entry,
    .put_node = sq_put_node,
    .get_node = sq_get_node,
    .get_leaf = sq_get_leaf,
    .put_batch = sq_put_batch,
    .get_batch = sq_get_batch,
    .put_checkpoint = sq_put_checkpoint,
    .last_checkpoint = sq_last_checkpoint,
    .put_key = sq_put_key,
    .key_state = sq_key_state,
    .check_schema = sq_check_schema,
    .cursor_open = sq_cursor_open,
    .cursor_next = sq_cursor_next,
    .cursor_close = sq_cursor_close,
};
