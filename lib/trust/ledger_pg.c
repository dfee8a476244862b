/*
 * ledger_pg.c - the ledger's PostgreSQL store (see ledger_store.h), over
 * libpq, for a team's shared ledger: `postgres://` or `postgresql://` URLs.
 *
 * The tables are those of the SQLite store with PostgreSQL types (bigint,
 * bytea, text), in one schema of their own: the connection's current schema
 * (the first existing one of its search_path; choose another with
 * `?options=-csearch_path%3DNAME` in the URL). Every table name in every
 * query is qualified with that schema, so nothing else on the search_path
 * can stand in for a ledger table.
 *
 * Transactions: a write transaction takes the ledger's own lock first,
 * `LOCK TABLE meta IN EXCLUSIVE MODE`, which serialises writers on every
 * machine (readers are not blocked) and waits at most busy_timeout_ms
 * (lock_timeout); a read transaction is REPEATABLE READ READ ONLY, one
 * snapshot. Appends do not pay a round trip per row: entries and nodes are
 * buffered and sent as binary COPY when the transaction commits, or earlier
 * when the transaction reads something or the buffer grows large.
 * Cursors are server-side (DECLARE ... BINARY CURSOR), fetched in chunks.
 *
 * Every value read back is checked for its type (by the column's type OID)
 * and length; a row of the wrong shape is tampering (BW_EVERIFY), as in the
 * SQLite store. The password of a URL is never printed: every message names
 * the target through pg_display (`user:***@`); the URL itself is passed to
 * libpq and not copied here (libpq wipes its copy of the password when the
 * connection is freed). Server messages are escaped before they are shown.
 */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "trust/ledger_store.h"
#include "util/internal.h"

/*
 * libpq is loaded on first use, not linked: its dependencies (Kerberos, LDAP, GnuTLS) would cost
 * every bulwark process their start-up time, and most never open a PostgreSQL ledger. The header
 * is used at build time only.
 */
#define PQ_FUNCS(X)                                                                                                    \
    X(PQclear)                                                                                                         \
    X(PQcmdStatus)                                                                                                     \
    X(PQconnectdbParams)                                                                                               \
    X(PQconninfoFree)                                                                                                  \
    X(PQconninfoParse)                                                                                                 \
    X(PQerrorMessage)                                                                                                  \
    X(PQescapeIdentifier)                                                                                              \
    X(PQexec)                                                                                                          \
    X(PQexecParams)                                                                                                    \
    X(PQexecPrepared)                                                                                                  \
    X(PQfinish)                                                                                                        \
    X(PQfreemem)                                                                                                       \
    X(PQftype)                                                                                                         \
    X(PQgetResult)                                                                                                     \
    X(PQgetisnull)                                                                                                     \
    X(PQgetlength)                                                                                                     \
    X(PQgetvalue)                                                                                                      \
    X(PQnfields)                                                                                                       \
    X(PQntuples)                                                                                                       \
    X(PQprepare)                                                                                                       \
    X(PQputCopyData)                                                                                                   \
    X(PQputCopyEnd)                                                                                                    \
    X(PQresultErrorField)                                                                                              \
    X(PQresultErrorMessage)                                                                                            \
    X(PQresultStatus)                                                                                                  \
    X(PQsetNoticeProcessor)                                                                                            \
    X(PQstatus)                                                                                                        \
    X(PQtransactionStatus)
#define PQ_DEF(name) static __typeof__(name) *p_##name;
PQ_FUNCS(PQ_DEF)
#undef PQ_DEF
static bool pq_loaded;
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;

static void pq_resolve(void)
{
    static const char *const names[] = {"libpq.so.5", "libpq.so"};
    void *lib = bw_dlopen_first(names, BW_ARRAY_LEN(names));

    if (lib == NULL) {
        return;
    }
#define PQ_SYM(name)                                                                                                   \
    if ((*(void **)&p_##name = dlsym(lib, #name)) == NULL) {                                                           \
        return;                                                                                                        \
    }
    PQ_FUNCS(PQ_SYM)
#undef PQ_SYM
    pq_loaded = true;
}

/* type OIDs (pg_type.dat; stable across versions) */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

/* entries and nodes buffered before a COPY is sent */
#define COPY_FLUSH_BYTES ((size_t)8 << 20)

enum {
    Q_META_GET,
    Q_META_SET,
    Q_LAST_BATCH,
    Q_GET_ENTRY,
    Q_GET_NODE,
    Q_GET_LEAF,
    Q_PUT_BATCH,
    Q_GET_BATCH,
    Q_PUT_CHECKPOINT,
    Q_LAST_CHECKPOINT,
    Q_PUT_KEY,
    Q_REVOKE_KEY,
    Q_KEY_STATE,
    Q_PREFETCH,
    Q_CHECK_SCHEMA,
    Q_COUNT
};

/* "@." stands for the quoted schema and a dot */
static const char *const queries[Q_COUNT] = {
    [Q_META_GET] = "SELECT value FROM @.meta WHERE key = $1",
    [Q_META_SET] = "INSERT INTO @.meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = "
                   "EXCLUDED.value",
    [Q_LAST_BATCH] = "SELECT id, first, size, root, key_hint, sig FROM @.batches ORDER BY id DESC LIMIT 1",
    [Q_GET_ENTRY] = "SELECT idx, batch, body, leaf FROM @.entries WHERE idx = $1",
    [Q_GET_NODE] = "SELECT hash FROM @.nodes WHERE id = $1",
    [Q_GET_LEAF] = "SELECT leaf FROM @.entries WHERE idx = $1",
    [Q_PUT_BATCH] = "INSERT INTO @.batches(id, first, size, root, key_hint, sig) VALUES ($1, $2, $3, $4, $5, $6)",
    [Q_GET_BATCH] = "SELECT id, first, size, root, key_hint, sig FROM @.batches WHERE id = $1",
    [Q_PUT_CHECKPOINT] = "INSERT INTO @.checkpoints(batch, size, note) VALUES ($1, $2, $3)",
    [Q_LAST_CHECKPOINT] = "SELECT note FROM @.checkpoints ORDER BY batch DESC LIMIT 1",
    [Q_PUT_KEY] = "INSERT INTO @.keys(hint, name, pem, added, revoked) VALUES ($1, $2, $3, $4, NULL) ON CONFLICT "
                  "(hint) DO NOTHING",
    [Q_REVOKE_KEY] = "UPDATE @.keys SET revoked = $2 WHERE hint = $1 AND revoked IS NULL",
    [Q_KEY_STATE] = "SELECT revoked FROM @.keys WHERE hint = $1",
    /* check_schema, $1 the schema's OID (text), "ours" the ledger's tables: relations, columns, then counts
       of what must not be there, and of unknown meta keys */
    [Q_CHECK_SCHEMA] =
        "WITH ours AS (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = $1::oid AND relkind = 'r') SELECT"
        " (SELECT pg_catalog.string_agg(c.relname || ':' || c.relkind::text || c.relpersistence::text ||"
        "   CASE WHEN c.relrowsecurity OR c.relforcerowsecurity THEN 'S' ELSE '' END, ','"
        "   ORDER BY c.relname COLLATE \"C\") FROM pg_catalog.pg_class c WHERE c.relnamespace = $1::oid),"
        " (SELECT pg_catalog.string_agg(c.relname || '.' || a.attname || ' ' ||"
        "   pg_catalog.format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||"
        "   CASE WHEN a.atthasdef OR a.attgenerated::text <> '' OR a.attidentity::text <> '' THEN ' default' ELSE '' "
        "END, ','"
        "   ORDER BY c.relname COLLATE \"C\", a.attnum) FROM pg_catalog.pg_attribute a"
        "   JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
        "   WHERE c.relnamespace = $1::oid AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped),"
        " (SELECT count(*) FROM pg_catalog.pg_index i WHERE i.indrelid IN (SELECT oid FROM ours) AND NOT"
        "   (i.indisprimary AND i.indnatts = 1 AND i.indkey[0] = 1 AND i.indexprs IS NULL AND i.indpred IS NULL)),"
        " (SELECT count(*) FROM pg_catalog.pg_constraint k WHERE k.conrelid IN (SELECT oid FROM ours)"
        "   AND k.contype <> 'p'),"
        " (SELECT count(*) FROM pg_catalog.pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM ours)),"
        " (SELECT count(*) FROM pg_catalog.pg_rewrite w WHERE w.ev_class IN (SELECT oid FROM ours)),"
        " (SELECT count(*) FROM pg_catalog.pg_inherits h WHERE h.inhrelid IN (SELECT oid FROM ours)"
        "   OR h.inhparent IN (SELECT oid FROM ours)),"
        " (SELECT count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid IN (SELECT oid FROM ours)),"
        " (SELECT count(*) FROM pg_catalog.pg_proc f WHERE f.pronamespace = $1::oid)"
        "   + (SELECT count(*) FROM pg_catalog.pg_operator o WHERE o.oprnamespace = $1::oid),"
        " (SELECT count(*) FROM @.meta WHERE key NOT IN ('format', 'origin', 'note_key'))",
    [Q_PREFETCH] = "SELECT false, id, hash FROM @.nodes WHERE id = ANY($1::bigint[]) UNION ALL"
                   " SELECT true, idx, leaf FROM @.entries WHERE idx = ANY($2::bigint[])",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS @.meta(key text PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS @.entries(idx bigint PRIMARY KEY, batch bigint NOT NULL, body bytea NOT NULL,"
    " leaf bytea NOT NULL);"
    "CREATE TABLE IF NOT EXISTS @.nodes(id bigint PRIMARY KEY, hash bytea NOT NULL);"
    "CREATE TABLE IF NOT EXISTS @.batches(id bigint PRIMARY KEY, first bigint NOT NULL, size bigint NOT NULL,"
    " root bytea NOT NULL, key_hint text, sig bytea);"
    "CREATE TABLE IF NOT EXISTS @.checkpoints(batch bigint PRIMARY KEY, size bigint NOT NULL, note text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS @.keys(hint text PRIMARY KEY, name text NOT NULL, pem text NOT NULL,"
    " added bigint NOT NULL, revoked bigint);";

/* The catalog as the schema above leaves it (check_schema compares with these). */
static const char want_rels[] = "batches:rp,batches_pkey:ip,checkpoints:rp,checkpoints_pkey:ip,entries:rp,"
                                "entries_pkey:ip,keys:rp,keys_pkey:ip,meta:rp,meta_pkey:ip,nodes:rp,nodes_pkey:ip";
static const char want_cols[] =
    "batches.id bigint not null,batches.first bigint not null,batches.size bigint not null,batches.root bytea not "
    "null,batches.key_hint text,batches.sig bytea,checkpoints.batch bigint not null,checkpoints.size bigint not "
    "null,checkpoints.note text not null,entries.idx bigint not null,entries.batch bigint not null,entries.body bytea "
    "not null,entries.leaf bytea not null,keys.hint text not null,keys.name text not null,keys.pem text not "
    "null,keys.added bigint not null,keys.revoked bigint,meta.key text not null,meta.value text not null,nodes.id "
    "bigint not null,nodes.hash bytea not null";

/* held results: rows returned by these stay valid until the same kind of call comes again */
enum { R_LAST_BATCH, R_ENTRY, R_BATCH, R_COUNT };

struct copybuf {
    bw_buf b;    /* binary COPY tuples, without header and trailer */
    size_t rows; /* tuples in b */
};

struct ledger_store {
    PGconn *c;
    char *schema;     /* quoted identifier */
    char *oid;        /* the schema's OID, decimal */
    char *q[Q_COUNT]; /* query texts with the schema filled in */
    bool prepared[Q_COUNT];
    PGresult *held[R_COUNT];
    struct copybuf entries, nodes;
    /* hashes a proof asked for at once (prefetch), valid until the transaction ends */
    struct {
        bool leaf;
        uint64_t id;
        bw_mhash h;
    } cache[LEDGER_MAX_PREFETCH];
    size_t n_cache;
    int busy_ms;
    bool in_txn, write;
    bool stale;       /* prepared statements to drop before the next transaction */
    unsigned cursors; /* names cursors uniquely within the session */
};

struct ledger_cursor {
    struct ledger_store *s;
    enum ledger_table t;
    char name[32];
    PGresult *res;
    int row, rows;
    int fetch; /* rows asked for by the next FETCH */
    bool done;
};

/* ------------------------------------------------------------------------------------------------
 * Targets and messages
 */

static bool pg_claims(const char *target)
{
    return strncmp(target, "postgres://", 11) == 0 || strncmp(target, "postgresql://", 13) == 0;
}

/*
 * The URL as it may be shown: the password of `user:password@` becomes `***`, as does the value
 * of a `password=` or `sslpassword=` query parameter. The userinfo is found the way libpq finds
 * it: up to an '@' before the first '/'.
 */
static bw_status pg_display(const char *target, bw_buf *out)
{
    const char *p = strstr(target, "://");
    const char *auth = p != NULL ? p + 3 : target, *end = auth, *at = NULL;

    while (*end != '\0' && *end != '/') {
        if (*end == '@') {
            at = end;
            break;
        }
        end++;
    }
    const char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon != NULL) {
        BW_TRY(bw_buf_add(out, target, (size_t)(colon - target)));
        BW_TRY(bw_buf_addstr(out, ":***"));
        p = at;
    } else {
        p = target;
    }
    /* query parameters */
    const char *q = strchr(at != NULL ? at : auth, '?');
    if (q == NULL) {
        return bw_buf_addstr(out, p);
    }
    BW_TRY(bw_buf_add(out, p, (size_t)(q - p)));
    while (*q != '\0') {
        size_t n = strcspn(q + 1, "&") + 1; /* "?k=v" or "&k=v" */
        const char *eq = memchr(q, '=', n);
        size_t kl = eq != NULL ? (size_t)(eq - q - 1) : 0;
        if (eq != NULL &&
            ((kl == 8 && strncmp(q + 1, "password", 8) == 0) || (kl == 11 && strncmp(q + 1, "sslpassword", 11) == 0))) {
            BW_TRY(bw_buf_add(out, q, (size_t)(eq - q) + 1));
            BW_TRY(bw_buf_addstr(out, "***"));
        } else {
            BW_TRY(bw_buf_add(out, q, n));
        }
        q += n;
    }
    return BW_OK;
}

/* The first line of a libpq or server message, escaped for printing. */
static void clean_msg(const char *m, char *out, size_t cap)
{
    size_t n = m != NULL ? strcspn(m, "\n") : 0;
    bw_escape_for_log(m != NULL ? m : "", n, out, cap);
}

/* A failed result as a status: SQLSTATE decides the code; res may be NULL (connection failure). */
static bw_status fail_res(struct ledger_store *s, const PGresult *res, bw_error *err, const char *what)
{
    const char *state = res != NULL ? p_PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char msg[200];

    clean_msg(res != NULL && p_PQresultErrorMessage(res)[0] != '\0' ? p_PQresultErrorMessage(res)
                                                                    : p_PQerrorMessage(s->c),
              msg, sizeof(msg));
    if (state == NULL) {
        return bw_fail(err, BW_EIO, "ledger store: %s: %s", what, msg);
    }
    if (strcmp(state, "55P03") == 0) { /* lock_not_available: lock_timeout */
        return bw_fail(err, BW_EIO, "ledger is locked by another writer (%s): %s", what, msg);
    }
    if (strncmp(state, "42", 2) == 0) { /* undefined table or column, wrong types: not our schema */
        return bw_fail(err, BW_EFORMAT, "not a bulwark ledger (%s): %s", what, msg);
    }
    if (strcmp(state, "0A000") == 0) {
        /* "cached plan must not change result type": a column's type changed under a prepared query */
        s->stale = true;
        return bw_fail(err, BW_EVERIFY, "the ledger store's schema was changed (%s): %s", what, msg);
    }
    if (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0) {
        return bw_fail(err, BW_EFORMAT, "ledger store is corrupt (%s): %s", what, msg);
    }
    if (strcmp(state, "53200") == 0) {
        return bw_fail(err, BW_ENOMEM, "out of memory (%s)", what);
    }
    return bw_fail(err, BW_EIO, "ledger store: %s: %s", what, msg);
}

static bw_status bad_row(bw_error *err, const char *table, uint64_t id, const char *col)
{
    return bw_fail(err, BW_EVERIFY, "ledger %s row %llu: column '%s' has the wrong type or length", table,
                   (unsigned long long)id, col);
}

static void quiet_notices(void *ud, const char *msg)
{
    (void)ud;
    (void)msg; /* the library never writes to stderr ("relation already exists, skipping") */
}

/* ------------------------------------------------------------------------------------------------
 * Values: binary parameters and results
 */

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static bool col_u64(const PGresult *r, int row, int col, uint64_t *v)
{
    if (col >= p_PQnfields(r) || p_PQftype(r, col) != OID_INT8 || p_PQgetisnull(r, row, col) ||
        p_PQgetlength(r, row, col) != 8) {
        return false;
    }
    uint64_t x = get_be64((const uint8_t *)p_PQgetvalue(r, row, col));
    if (x > (uint64_t)INT64_MAX) {
        return false; /* negative */
    }
    *v = x;
    return true;
}

/* a bytea of exactly `want` bytes (0: any length); NULL allowed only when `nullable` */
static bool col_blob(const PGresult *r, int row, int col, size_t want, bool nullable, bw_bytes *out)
{
    out->ptr = NULL;
    out->len = 0;
    if (col >= p_PQnfields(r) || p_PQftype(r, col) != OID_BYTEA) {
        return false;
    }
    if (p_PQgetisnull(r, row, col)) {
        return nullable;
    }
    out->ptr = (const uint8_t *)p_PQgetvalue(r, row, col);
    out->len = (size_t)p_PQgetlength(r, row, col);
    return want == 0 || out->len == want;
}

/* text without NUL bytes (libpq terminates every value); NULL allowed only when `nullable` */
static bool col_text(const PGresult *r, int row, int col, bool nullable, const char **out, size_t *len)
{
    *out = NULL;
    if (len != NULL) {
        *len = 0;
    }
    if (col >= p_PQnfields(r) || p_PQftype(r, col) != OID_TEXT) {
        return false;
    }
    if (p_PQgetisnull(r, row, col)) {
        return nullable;
    }
    const char *s = p_PQgetvalue(r, row, col);
    size_t n = (size_t)p_PQgetlength(r, row, col);
    if (memchr(s, '\0', n) != NULL) {
        return false;
    }
    *out = s;
    if (len != NULL) {
        *len = n;
    }
    return true;
}

/* row `i` of r into *out, for table t */
static bw_status read_row(const PGresult *r, int i, enum ledger_table t, struct ledger_row *out, bw_error *err)
{
    memset(out, 0, sizeof(*out));
    switch (t) {
    case LT_ENTRIES:
        if (!col_u64(r, i, 0, &out->id)) {
            return bad_row(err, "entries", 0, "idx");
        }
        if (!col_u64(r, i, 1, &out->batch)) {
            return bad_row(err, "entries", out->id, "batch");
        }
        if (!col_blob(r, i, 2, 0, false, &out->body)) {
            return bad_row(err, "entries", out->id, "body");
        }
        if (!col_blob(r, i, 3, BW_MERKLE_HASH, false, &out->hash)) {
            return bad_row(err, "entries", out->id, "leaf");
        }
        return BW_OK;
    case LT_NODES:
        if (!col_u64(r, i, 0, &out->id)) {
            return bad_row(err, "nodes", 0, "id");
        }
        if (!col_blob(r, i, 1, BW_MERKLE_HASH, false, &out->hash)) {
            return bad_row(err, "nodes", out->id, "hash");
        }
        return BW_OK;
    case LT_BATCHES:
        if (!col_u64(r, i, 0, &out->id)) {
            return bad_row(err, "batches", 0, "id");
        }
        if (!col_u64(r, i, 1, &out->first)) {
            return bad_row(err, "batches", out->id, "first");
        }
        if (!col_u64(r, i, 2, &out->size)) {
            return bad_row(err, "batches", out->id, "size");
        }
        if (!col_blob(r, i, 3, BW_MERKLE_HASH, false, &out->hash)) {
            return bad_row(err, "batches", out->id, "root");
        }
        if (!col_text(r, i, 4, true, &out->text, &out->text_len)) {
            return bad_row(err, "batches", out->id, "key_hint");
        }
        if (!col_blob(r, i, 5, 0, true, &out->sig)) {
            return bad_row(err, "batches", out->id, "sig");
        }
        return BW_OK;
    case LT_CHECKPOINTS:
        if (!col_u64(r, i, 0, &out->id)) {
            return bad_row(err, "checkpoints", 0, "batch");
        }
        if (!col_u64(r, i, 1, &out->size)) {
            return bad_row(err, "checkpoints", out->id, "size");
        }
        if (!col_text(r, i, 2, false, &out->text, &out->text_len)) {
            return bad_row(err, "checkpoints", out->id, "note");
        }
        return BW_OK;
    case LT_KEYS:
        if (!col_text(r, i, 0, false, &out->text, &out->text_len)) {
            return bad_row(err, "keys", 0, "hint");
        }
        if (!col_text(r, i, 1, false, &out->name, NULL)) {
            return bad_row(err, "keys", 0, "name");
        }
        if (!col_text(r, i, 2, false, &out->pem, NULL)) {
            return bad_row(err, "keys", 0, "pem");
        }
        if (!col_u64(r, i, 3, &out->id)) {
            return bad_row(err, "keys", 0, "added");
        }
        if (p_PQnfields(r) <= 4 || p_PQftype(r, 4) != OID_INT8) {
            return bad_row(err, "keys", 0, "revoked");
        }
        out->has_revoked = !p_PQgetisnull(r, i, 4);
        if (out->has_revoked && !col_u64(r, i, 4, &out->revoked)) {
            return bad_row(err, "keys", 0, "revoked");
        }
        return BW_OK;
    }
    return bw_fail(err, BW_EINVAL, "no such ledger table");
}

/* Parameters of one statement: binary values (bigint as 8 big-endian bytes, bytea and text raw). */
struct params {
    const char *v[6];
    int len[6];
    int fmt[6];
    uint8_t ints[6][8];
    int n;
};

static void p_u64(struct params *p, uint64_t v)
{
    put_be64(p->ints[p->n], v);
    p->v[p->n] = (const char *)p->ints[p->n];
    p->len[p->n] = 8;
    p->fmt[p->n++] = 1;
}

static void p_bytes(struct params *p, const void *v, size_t n)
{
    p->v[p->n] = v != NULL ? v : "";
    p->len[p->n] = (int)n;
    p->fmt[p->n++] = 1;
}

static void p_str(struct params *p, const char *s)
{
    p_bytes(p, s, strlen(s));
}

static void p_null(struct params *p)
{
    p->v[p->n] = NULL;
    p->len[p->n] = 0;
    p->fmt[p->n++] = 1;
}

/* ------------------------------------------------------------------------------------------------
 * Statements
 */

/* Replace every "@." in tmpl by the schema and a dot. */
static char *fill(const struct ledger_store *s, const char *tmpl)
{
    bw_buf b = BW_BUF_INIT(1 << 20);
    char *out = NULL;
    size_t n;

    for (const char *p = tmpl; *p != '\0';) {
        const char *at = strstr(p, "@.");
        if (at == NULL) {
            bw_buf_addstr(&b, p);
            break;
        }
        bw_buf_add(&b, p, (size_t)(at - p));
        bw_buf_addstr(&b, s->schema);
        bw_buf_addc(&b, '.');
        p = at + 2;
    }
    if (bw_buf_take(&b, &out, &n) != BW_OK) {
        bw_buf_release(&b);
        return NULL;
    }
    return out;
}

/* A simple-protocol command (one or more statements, no parameters) whose result is discarded. */
static bw_status exec(struct ledger_store *s, const char *sql, bw_error *err, const char *what)
{
    PGresult *r = p_PQexec(s->c, sql);
    ExecStatusType st = p_PQresultStatus(r);
    bw_status rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? BW_OK : fail_res(s, r, err, what);
    p_PQclear(r);
    return rc;
}

static bw_status flush(struct ledger_store *s, bw_error *err);

/* Run prepared query q with params (binary results); the result is the caller's to PQclear. */
static bw_status run(struct ledger_store *s, int q, const struct params *p, PGresult **out, bw_error *err)
{
    PGresult *r;

    *out = NULL;
    BW_TRY(flush(s, err));
    if (!s->prepared[q]) {
        char name[16];
        snprintf(name, sizeof(name), "bw_q%d", q);
        r = p_PQprepare(s->c, name, s->q[q], 0, NULL);
        if (p_PQresultStatus(r) != PGRES_COMMAND_OK) {
            bw_status rc = fail_res(s, r, err, "prepare");
            p_PQclear(r);
            return rc;
        }
        p_PQclear(r);
        s->prepared[q] = true;
    }
    char name[16];
    snprintf(name, sizeof(name), "bw_q%d", q);
    r = p_PQexecPrepared(s->c, name, p != NULL ? p->n : 0, p != NULL ? p->v : NULL, p != NULL ? p->len : NULL,
                         p != NULL ? p->fmt : NULL, 1);
    ExecStatusType st = p_PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        bw_status rc = fail_res(s, r, err, "query");
        p_PQclear(r);
        return rc;
    }
    *out = r;
    return BW_OK;
}

/* A query that returns no rows. */
static bw_status run_void(struct ledger_store *s, int q, const struct params *p, bw_error *err)
{
    PGresult *r;
    BW_TRY(run(s, q, p, &r, err));
    p_PQclear(r);
    return BW_OK;
}

/* ------------------------------------------------------------------------------------------------
 * Buffered rows: binary COPY
 */

static bw_status copy_i16(bw_buf *b, int v)
{
    uint8_t x[2] = {(uint8_t)((unsigned)v >> 8), (uint8_t)v};
    return bw_buf_add(b, x, 2);
}

static bw_status copy_i32(bw_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return bw_buf_add(b, x, 4);
}

static bw_status copy_u64(bw_buf *b, uint64_t v)
{
    uint8_t x[8];
    put_be64(x, v);
    BW_TRY(copy_i32(b, 8));
    return bw_buf_add(b, x, 8);
}

static bw_status copy_bytes(bw_buf *b, const void *p, size_t n)
{
    BW_TRY(copy_i32(b, (uint32_t)n));
    return bw_buf_add(b, p, n);
}

/* Send one buffered table as COPY ... FROM STDIN (FORMAT binary). */
static bw_status copy_send(struct ledger_store *s, struct copybuf *cb, const char *table, const char *cols,
                           bw_error *err)
{
    static const uint8_t header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    static const uint8_t trailer[2] = {0xff, 0xff};
    char sql[512];
    PGresult *r;
    bw_status rc = BW_OK;

    if (cb->rows == 0) {
        return BW_OK;
    }
    snprintf(sql, sizeof(sql), "COPY %s.%s(%s) FROM STDIN (FORMAT binary)", s->schema, table, cols);
    r = p_PQexec(s->c, sql);
    if (p_PQresultStatus(r) != PGRES_COPY_IN) {
        rc = fail_res(s, r, err, "copy");
        p_PQclear(r);
        return rc;
    }
    p_PQclear(r);
    /* the header's flags and extension length are the zeros after its signature */
    if (p_PQputCopyData(s->c, (const char *)header, sizeof(header)) != 1 ||
        p_PQputCopyData(s->c, cb->b.ptr, (int)cb->b.len) != 1 ||
        p_PQputCopyData(s->c, (const char *)trailer, sizeof(trailer)) != 1 || p_PQputCopyEnd(s->c, NULL) != 1) {
        rc = fail_res(s, NULL, err, "copy");
    }
    while ((r = p_PQgetResult(s->c)) != NULL) {
        if (rc == BW_OK && p_PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = fail_res(s, r, err, "copy");
        }
        p_PQclear(r);
    }
    bw_buf_reset(&cb->b);
    cb->rows = 0;
    return rc;
}

/* Everything buffered goes to the server (before any read, and at commit). */
static bw_status flush(struct ledger_store *s, bw_error *err)
{
    BW_TRY(copy_send(s, &s->entries, "entries", "idx, batch, body, leaf", err));
    return copy_send(s, &s->nodes, "nodes", "id, hash", err);
}

static void drop_buffers(struct ledger_store *s)
{
    bw_buf_reset(&s->entries.b);
    bw_buf_reset(&s->nodes.b);
    s->entries.rows = s->nodes.rows = 0;
}

/* ------------------------------------------------------------------------------------------------
 * Transactions
 */

static void release_held(struct ledger_store *s)
{
    s->n_cache = 0;
    for (int i = 0; i < R_COUNT; i++) {
        p_PQclear(s->held[i]);
        s->held[i] = NULL;
    }
}

static void pg_rollback(struct ledger_store *s)
{
    drop_buffers(s);
    s->n_cache = 0;
    if (s->c != NULL && p_PQtransactionStatus(s->c) != PQTRANS_IDLE && p_PQtransactionStatus(s->c) != PQTRANS_UNKNOWN) {
        p_PQclear(p_PQexec(s->c, "ROLLBACK"));
    }
    s->in_txn = false;
}

static bw_status pg_begin(struct ledger_store *s, bool write, bw_error *err)
{
    char sql[512];
    bw_status rc;

    release_held(s);
    if (s->stale) {
        BW_TRY(exec(s, "DEALLOCATE ALL", err, "prepare"));
        memset(s->prepared, 0, sizeof(s->prepared));
        s->stale = false;
    }
    if (write) {
        /* lock_timeout 0 would mean "wait forever": no waiting at all is NOWAIT */
        if (s->busy_ms > 0) {
            snprintf(sql, sizeof(sql),
                     "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = %d;"
                     " LOCK TABLE %s.meta IN EXCLUSIVE MODE",
                     s->busy_ms, s->schema);
        } else {
            snprintf(sql, sizeof(sql),
                     "BEGIN ISOLATION LEVEL READ COMMITTED; LOCK TABLE %s.meta IN EXCLUSIVE MODE NOWAIT", s->schema);
        }
    } else {
        snprintf(sql, sizeof(sql), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }
    rc = exec(s, sql, err, write ? "begin (write lock)" : "begin");
    if (rc != BW_OK) {
        pg_rollback(s);
        return rc;
    }
    s->in_txn = true;
    s->write = write;
    return BW_OK;
}

static bw_status pg_commit(struct ledger_store *s, bw_error *err)
{
    bw_status rc = flush(s, err);
    PGresult *r;

    release_held(s);
    if (rc != BW_OK) {
        pg_rollback(s);
        return rc;
    }
    r = p_PQexec(s->c, "COMMIT");
    if (p_PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = fail_res(s, r, err, "commit");
    } else if (strcmp(p_PQcmdStatus(r), "COMMIT") != 0) {
        /* an aborted transaction "commits" as ROLLBACK without an error */
        rc = bw_fail(err, BW_EIO, "ledger store: the transaction was rolled back");
    }
    p_PQclear(r);
    if (rc != BW_OK) {
        pg_rollback(s);
    }
    s->in_txn = false;
    return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Rows
 */

static bw_status pg_meta_get(struct ledger_store *s, const char *key, bw_buf *out, bw_error *err)
{
    struct params p = {0};
    PGresult *r;
    const char *v;
    size_t n;
    bw_status rc;

    p_str(&p, key);
    BW_TRY(run(s, Q_META_GET, &p, &r, err));
    if (p_PQntuples(r) == 0) {
        rc = BW_ENOTFOUND;
    } else if (!col_text(r, 0, 0, false, &v, &n)) {
        rc = bw_fail(err, BW_EVERIFY, "ledger meta '%s': the value is not text", key);
    } else if (bw_buf_add(out, v, n) != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
    } else {
        rc = BW_OK;
    }
    p_PQclear(r);
    return rc;
}

static bw_status pg_meta_set(struct ledger_store *s, const char *key, const char *value, bw_error *err)
{
    struct params p = {0};
    p_str(&p, key);
    p_str(&p, value);
    return run_void(s, Q_META_SET, &p, err);
}

/* A one-row query into *row, the result held in slot `h` until the next such call; BW_ENOTFOUND when none. */
static bw_status get_one(struct ledger_store *s, int q, int h, enum ledger_table t, const struct params *p,
                         struct ledger_row *row, bw_error *err)
{
    PGresult *r;
    bw_status rc;

    BW_TRY(run(s, q, p, &r, err));
    p_PQclear(s->held[h]);
    s->held[h] = r;
    if (p_PQntuples(r) == 0) {
        return BW_ENOTFOUND;
    }
    rc = read_row(r, 0, t, row, err);
    return rc;
}

static bw_status pg_last_batch(struct ledger_store *s, struct ledger_row *row, bw_error *err)
{
    return get_one(s, Q_LAST_BATCH, R_LAST_BATCH, LT_BATCHES, NULL, row, err);
}

static bw_status pg_get_entry(struct ledger_store *s, uint64_t idx, struct ledger_row *row, bw_error *err)
{
    struct params p = {0};
    p_u64(&p, idx);
    return get_one(s, Q_GET_ENTRY, R_ENTRY, LT_ENTRIES, &p, row, err);
}

static bw_status pg_get_batch(struct ledger_store *s, uint64_t id, struct ledger_row *row, bw_error *err)
{
    struct params p = {0};
    p_u64(&p, id);
    return get_one(s, Q_GET_BATCH, R_BATCH, LT_BATCHES, &p, row, err);
}

static bw_status pg_put_entry(struct ledger_store *s, uint64_t idx, uint64_t batch, const void *body, size_t n,
                              const bw_mhash *leaf, bw_error *err)
{
    bw_buf *b = &s->entries.b;
    if (n > INT32_MAX || copy_i16(b, 4) != BW_OK || copy_u64(b, idx) != BW_OK || copy_u64(b, batch) != BW_OK ||
        copy_bytes(b, body, n) != BW_OK || copy_bytes(b, leaf->b, BW_MERKLE_HASH) != BW_OK) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    s->entries.rows++;
    return b->len >= COPY_FLUSH_BYTES ? flush(s, err) : BW_OK;
}

static bw_status pg_put_node(struct ledger_store *s, uint64_t id, const bw_mhash *h, bw_error *err)
{
    bw_buf *b = &s->nodes.b;
    if (copy_i16(b, 2) != BW_OK || copy_u64(b, id) != BW_OK || copy_bytes(b, h->b, BW_MERKLE_HASH) != BW_OK) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    s->nodes.rows++;
    return b->len >= COPY_FLUSH_BYTES ? flush(s, err) : BW_OK;
}

/* a 32-byte hash column by id */
static bw_status get_hash(struct ledger_store *s, int q, const char *table, uint64_t id, bw_mhash *h, bw_error *err)
{
    struct params p = {0};
    PGresult *r;
    bw_bytes b;
    bw_status rc = BW_OK;

    for (size_t i = 0; i < s->n_cache; i++) {
        if (s->cache[i].leaf == (q == Q_GET_LEAF) && s->cache[i].id == id) {
            *h = s->cache[i].h;
            return BW_OK;
        }
    }
    p_u64(&p, id);
    BW_TRY(run(s, q, &p, &r, err));
    if (p_PQntuples(r) == 0) {
        rc = bw_fail(err, BW_EVERIFY, "ledger %s row %llu is missing", table, (unsigned long long)id);
    } else if (!col_blob(r, 0, 0, BW_MERKLE_HASH, false, &b)) {
        rc = bad_row(err, table, id, "hash");
    } else {
        memcpy(h->b, b.ptr, BW_MERKLE_HASH);
    }
    p_PQclear(r);
    return rc;
}

static bw_status pg_get_node(struct ledger_store *s, uint64_t id, bw_mhash *h, bw_error *err)
{
    return get_hash(s, Q_GET_NODE, "nodes", id, h, err);
}

static bw_status pg_get_leaf(struct ledger_store *s, uint64_t idx, bw_mhash *h, bw_error *err)
{
    return get_hash(s, Q_GET_LEAF, "entries", idx, h, err);
}

/* One round trip for the hashes of a proof; rows of the wrong shape are left to get_hash to report. */
static bw_status pg_prefetch(struct ledger_store *s, const struct ledger_ref *refs, size_t n, bw_error *err)
{
    bw_buf nodes = BW_BUF_INIT(1 << 16), leaves = BW_BUF_INIT(1 << 16);
    struct params p = {0};
    PGresult *r = NULL;
    bw_status rc = BW_OK;

    s->n_cache = 0;
    bw_buf_addc(&nodes, '{');
    bw_buf_addc(&leaves, '{');
    for (size_t i = 0; i < n; i++) {
        bw_buf *b = refs[i].leaf ? &leaves : &nodes;
        bw_buf_printf(b, "%s%llu", b->len > 1 ? "," : "", (unsigned long long)BW_MIN(refs[i].id, (uint64_t)INT64_MAX));
    }
    if (bw_buf_addc(&nodes, '}') != BW_OK || bw_buf_addc(&leaves, '}') != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    /* text-format array parameters, binary results */
    p.v[0] = nodes.ptr;
    p.v[1] = leaves.ptr;
    p.n = 2;
    rc = run(s, Q_PREFETCH, &p, &r, err);
    for (int i = 0; rc == BW_OK && i < p_PQntuples(r) && s->n_cache < LEDGER_MAX_PREFETCH; i++) {
        uint64_t id;
        bw_bytes h;
        if (p_PQftype(r, 0) != 16 /* bool */ || p_PQgetlength(r, i, 0) != 1 || !col_u64(r, i, 1, &id) ||
            !col_blob(r, i, 2, BW_MERKLE_HASH, false, &h)) {
            continue;
        }
        s->cache[s->n_cache].leaf = p_PQgetvalue(r, i, 0)[0] != 0;
        s->cache[s->n_cache].id = id;
        memcpy(s->cache[s->n_cache++].h.b, h.ptr, BW_MERKLE_HASH);
    }
out:
    p_PQclear(r);
    bw_buf_release(&nodes);
    bw_buf_release(&leaves);
    return rc;
}

static bw_status pg_put_batch(struct ledger_store *s, const struct ledger_row *r, bw_error *err)
{
    struct params p = {0};
    p_u64(&p, r->id);
    p_u64(&p, r->first);
    p_u64(&p, r->size);
    p_bytes(&p, r->hash.ptr, r->hash.len);
    if (r->text != NULL) {
        p_bytes(&p, r->text, r->text_len);
        p_bytes(&p, r->sig.ptr, r->sig.len);
    } else {
        p_null(&p);
        p_null(&p);
    }
    return run_void(s, Q_PUT_BATCH, &p, err);
}

static bw_status pg_put_checkpoint(struct ledger_store *s, uint64_t batch, uint64_t size, const char *note, size_t n,
                                   bw_error *err)
{
    struct params p = {0};
    p_u64(&p, batch);
    p_u64(&p, size);
    p_bytes(&p, note, n);
    return run_void(s, Q_PUT_CHECKPOINT, &p, err);
}

static bw_status pg_last_checkpoint(struct ledger_store *s, bw_buf *out, bw_error *err)
{
    PGresult *r;
    const char *v;
    size_t n;
    bw_status rc = BW_OK;

    BW_TRY(run(s, Q_LAST_CHECKPOINT, NULL, &r, err));
    if (p_PQntuples(r) == 0) {
        rc = BW_ENOTFOUND;
    } else if (!col_text(r, 0, 0, false, &v, &n)) {
        rc = bad_row(err, "checkpoints", 0, "note");
    } else if (bw_buf_add(out, v, n) != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
    }
    p_PQclear(r);
    return rc;
}

static bw_status pg_put_key(struct ledger_store *s, const struct ledger_row *r, bw_error *err)
{
    struct params p = {0};
    p_str(&p, r->text);
    if (r->has_revoked) {
        p_u64(&p, r->revoked);
        return run_void(s, Q_REVOKE_KEY, &p, err);
    }
    p_str(&p, r->name);
    p_str(&p, r->pem);
    p_u64(&p, r->id);
    return run_void(s, Q_PUT_KEY, &p, err);
}

static bw_status pg_key_state(struct ledger_store *s, const char *hint, int *state, bw_error *err)
{
    struct params p = {0};
    PGresult *r;

    p_str(&p, hint);
    BW_TRY(run(s, Q_KEY_STATE, &p, &r, err));
    *state = p_PQntuples(r) == 0 ? 0 : p_PQgetisnull(r, 0, 0) ? 1 : -1;
    p_PQclear(r);
    return BW_OK;
}

/* ------------------------------------------------------------------------------------------------
 * Schema check: the catalog of our schema is exactly what schema_sql made
 */

static bw_status pg_check_schema(struct ledger_store *s, bw_error *err)
{
    static const char *const what[] = {
        NULL,
        NULL,
        "an index was added or changed",
        "a constraint was added",
        "a trigger was added",
        "a rule was added",
        "a table inherits or is inherited",
        "a row-security policy was added",
        "a function or operator was added to the ledger's schema",
    };
    struct params p = {0};
    PGresult *r;
    bw_status rc = BW_OK;
    char got[120];

    p.v[0] = s->oid; /* text format */
    p.n = 1;
    BW_TRY(run(s, Q_CHECK_SCHEMA, &p, &r, err));
    if (p_PQntuples(r) != 1 || p_PQnfields(r) != 10) {
        p_PQclear(r);
        return bw_fail(err, BW_EIO, "ledger store: schema query");
    }
    if (strcmp(p_PQgetvalue(r, 0, 0), want_rels) != 0) {
        clean_msg(p_PQgetvalue(r, 0, 0), got, sizeof(got));
        rc = bw_fail(err, BW_EVERIFY, "the ledger store's schema was changed (its relations are now: %s)", got);
    } else if (strcmp(p_PQgetvalue(r, 0, 1), want_cols) != 0) {
        rc = bw_fail(err, BW_EVERIFY, "the ledger store's schema was changed (a column was added or changed)");
    }
    for (int i = 2; i < 10 && rc == BW_OK; i++) {
        uint64_t n = 1;
        if (!col_u64(r, 0, i, &n) || n != 0) {
            rc = i == 9 ? bw_fail(err, BW_EVERIFY, "the ledger's meta table holds unknown rows")
                        : bw_fail(err, BW_EVERIFY, "the ledger store's schema was changed (%s)", what[i]);
        }
    }
    p_PQclear(r);
    return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Cursors
 */

static bw_status pg_cursor_open(struct ledger_store *s, enum ledger_table t, uint64_t from, struct ledger_cursor **out,
                                bw_error *err)
{
    /* the query, then the first id (a number we format), then the order */
    static const char *const sql[][2] = {
        [LT_ENTRIES] = {"SELECT idx, batch, body, leaf FROM @.entries WHERE idx >= ", " ORDER BY idx"},
        [LT_NODES] = {"SELECT id, hash FROM @.nodes WHERE id >= ", " ORDER BY id"},
        [LT_BATCHES] = {"SELECT id, first, size, root, key_hint, sig FROM @.batches WHERE id >= ", " ORDER BY id"},
        [LT_CHECKPOINTS] = {"SELECT batch, size, note FROM @.checkpoints WHERE batch >= ", " ORDER BY batch"},
        [LT_KEYS] = {"SELECT hint, name, pem, added, revoked FROM @.keys WHERE 0 <= ", " ORDER BY hint COLLATE \"C\""},
    };
    struct ledger_cursor *c;
    char *q, *decl = NULL;
    bw_buf b = BW_BUF_INIT(1 << 16);
    bw_status rc;

    *out = NULL;
    BW_TRY(flush(s, err));
    c = bw_calloc(1, sizeof(*c));
    q = fill(s, sql[t][0]);
    if (c == NULL || q == NULL) {
        bw_free(c);
        bw_free(q);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    c->s = s;
    c->t = t;
    c->fetch = 256;
    snprintf(c->name, sizeof(c->name), "bw_c%u", ++s->cursors);
    rc = bw_buf_printf(&b, "DECLARE %s BINARY NO SCROLL CURSOR FOR ", c->name);
    rc = rc == BW_OK ? bw_buf_addstr(&b, q) : rc;
    rc = rc == BW_OK ? bw_buf_printf(&b, "%llu%s", (unsigned long long)BW_MIN(from, (uint64_t)INT64_MAX), sql[t][1])
                     : rc;
    bw_free(q);
    if (rc != BW_OK || bw_buf_take(&b, &decl, &(size_t){0}) != BW_OK) {
        bw_buf_release(&b);
        bw_free(c);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    rc = exec(s, decl, err, "cursor");
    bw_free(decl);
    if (rc != BW_OK) {
        bw_free(c);
        return rc;
    }
    *out = c;
    return BW_OK;
}

static bw_status pg_cursor_next(struct ledger_cursor *c, struct ledger_row *row, bool *done, bw_error *err)
{
    *done = false;
    if (c->res == NULL || c->row >= c->rows) {
        char sql[64];
        if (c->done) {
            *done = true;
            return BW_OK;
        }
        p_PQclear(c->res);
        c->res = NULL;
        snprintf(sql, sizeof(sql), "FETCH %d FROM %s", c->fetch, c->name);
        PGresult *r = p_PQexecParams(c->s->c, sql, 0, NULL, NULL, NULL, NULL, 1);
        if (p_PQresultStatus(r) != PGRES_TUPLES_OK) {
            bw_status rc = fail_res(c->s, r, err, "read");
            p_PQclear(r);
            return rc;
        }
        c->res = r;
        c->row = 0;
        c->rows = p_PQntuples(r);
        c->done = c->rows < c->fetch;
        c->fetch = BW_MIN(c->fetch * 4, 16384);
        if (c->rows == 0) {
            *done = true;
            return BW_OK;
        }
    }
    return read_row(c->res, c->row++, c->t, row, err);
}

static void pg_cursor_close(struct ledger_cursor *c)
{
    if (c == NULL) {
        return;
    }
    if (!c->done && c->s->in_txn && p_PQtransactionStatus(c->s->c) == PQTRANS_INTRANS) {
        char sql[64];
        snprintf(sql, sizeof(sql), "CLOSE %s", c->name);
        p_PQclear(p_PQexec(c->s->c, sql));
    }
    p_PQclear(c->res);
    bw_free(c);
}

/* ------------------------------------------------------------------------------------------------
 * Opening
 */

static void pg_close(struct ledger_store *s)
{
    if (s == NULL) {
        return;
    }
    release_held(s);
    if (s->c != NULL) {
        if (s->in_txn) {
            pg_rollback(s);
        }
        p_PQfinish(s->c);
    }
    for (int i = 0; i < Q_COUNT; i++) {
        bw_free(s->q[i]);
    }
    p_PQfreemem(s->schema);
    bw_free(s->oid);
    bw_buf_release(&s->entries.b);
    bw_buf_release(&s->nodes.b);
    bw_free(s);
}

/* the ledger's relations present in the schema (0 to 6), and whether others are there too */
static bw_status count_tables(struct ledger_store *s, int *ours, int *others, bw_error *err)
{
    static const char sql[] =
        "SELECT count(*) FILTER (WHERE relkind = 'r' AND relname IN ('meta', 'entries', 'nodes', 'batches',"
        " 'checkpoints', 'keys')), count(*) FILTER (WHERE relname NOT IN ('meta', 'entries', 'nodes', 'batches',"
        " 'checkpoints', 'keys', 'meta_pkey', 'entries_pkey', 'nodes_pkey', 'batches_pkey', 'checkpoints_pkey',"
        " 'keys_pkey')) FROM pg_catalog.pg_class WHERE relnamespace = $1::oid";
    const char *v[1] = {s->oid};
    PGresult *r = p_PQexecParams(s->c, sql, 1, NULL, v, NULL, NULL, 0);
    bw_status rc = BW_OK;

    if (p_PQresultStatus(r) != PGRES_TUPLES_OK || p_PQntuples(r) != 1) {
        rc = fail_res(s, r, err, "catalog");
    } else {
        *ours = (int)strtol(p_PQgetvalue(r, 0, 0), NULL, 10);
        *others = (int)strtol(p_PQgetvalue(r, 0, 1), NULL, 10);
    }
    p_PQclear(r);
    return rc;
}

static bw_status create_schema(struct ledger_store *s, const char *name, bw_error *err)
{
    char *ddl = fill(s, schema_sql);
    bw_buf sql = BW_BUF_INIT(1 << 16);
    int ours = 0, others = 0;
    bw_status rc;

    if (ddl == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    /* one creator at a time per schema; the tables in one transaction */
    rc = bw_buf_printf(&sql,
                       "BEGIN; SET LOCAL lock_timeout = %d;"
                       " SELECT pg_catalog.pg_advisory_xact_lock(1651993703::bigint * 4294967296 + %s)",
                       s->busy_ms > 0 ? s->busy_ms : 1, s->oid); /* "bwlg" in the high half, the schema's OID */
    rc = rc == BW_OK ? exec(s, sql.ptr, err, "create") : bw_fail(err, BW_ENOMEM, "out of memory");
    rc = rc == BW_OK ? count_tables(s, &ours, &others, err) : rc;
    if (rc == BW_OK && others > 0) {
        rc = bw_fail(err, BW_EINVAL, "ledger '%s': the schema holds other tables; a ledger needs a schema of its own",
                     name);
    } else if (rc == BW_OK && ours < 6) {
        rc = exec(s, ddl, err, "create");
    }
    rc = rc == BW_OK ? exec(s, "COMMIT", err, "create") : rc;
    if (rc != BW_OK) {
        pg_rollback(s);
    }
    bw_buf_release(&sql);
    bw_free(ddl);
    return rc;
}

/* Whether libpq can parse the URL; its parse (which holds the password) is wiped before it is freed. */
static bool url_ok(const char *url)
{
    char *msg = NULL;
    PQconninfoOption *opts = p_PQconninfoParse(url, &msg);

    if (msg != NULL) {
        bw_wipe(msg, strlen(msg));
        p_PQfreemem(msg);
    }
    if (opts == NULL) {
        return false;
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val != NULL) {
            bw_wipe(o->val, strlen(o->val));
        }
    }
    p_PQconninfoFree(opts);
    return true;
}

static bw_status pg_open(struct ledger_store **out, const char *url, const bw_ledger_opts *o, bw_error *err)
{
    /* before "dbname" the URL may override them; after it they override the URL */
    const char *keys[] = {"application_name", "connect_timeout", "dbname", "client_encoding", NULL};
    const char *vals[] = {"bulwark", "10", url, "UTF8", NULL};
    struct ledger_store *s = NULL;
    bw_buf name = BW_BUF_INIT(1 << 16);
    PGresult *r = NULL;
    bw_status rc = BW_OK;
    int ours = 0, others = 0;

    *out = NULL;
    if (pg_display(url, &name) != BW_OK) {
        bw_buf_release(&name);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    pthread_once(&pq_once, pq_resolve);
    if (!pq_loaded) {
        rc = bw_fail(err, BW_EUNSUPPORTED, "ledger '%s': PostgreSQL ledgers need libpq (Debian: libpq5)", name.ptr);
        bw_buf_release(&name);
        return rc;
    }
    s = bw_calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    bw_buf_init(&s->entries.b, SIZE_MAX / 2);
    bw_buf_init(&s->nodes.b, SIZE_MAX / 2);
    s->busy_ms = o->busy_timeout_ms;
    /* libpq's message about a malformed URL may quote the password: check first, say less */
    if (!url_ok(url)) {
        rc = bw_fail(err, BW_EINVAL, "ledger URL '%s' is malformed", name.ptr);
        goto out;
    }
    s->c = p_PQconnectdbParams(keys, vals, 1);
    if (s->c == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    if (p_PQstatus(s->c) != CONNECTION_OK) {
        char msg[200];
        clean_msg(p_PQerrorMessage(s->c), msg, sizeof(msg));
        rc = bw_fail(err, BW_EIO, "cannot connect to ledger '%s': %s", name.ptr, msg);
        goto out;
    }
    p_PQsetNoticeProcessor(s->c, quiet_notices, NULL);
    /* every query is a lookup by key: plan once per statement, not per execution (planning the proof
       prefetch's arrays cost more than running it) */
    rc = exec(s, "SET plan_cache_mode = force_generic_plan", err, "session");
    if (rc != BW_OK) {
        goto out;
    }
    r = p_PQexec(s->c, "SELECT pg_catalog.current_schema(), n.oid::text FROM pg_catalog.pg_namespace n"
                       " WHERE n.nspname = pg_catalog.current_schema()");
    if (p_PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = fail_res(s, r, err, "schema");
        goto out;
    }
    if (p_PQntuples(r) != 1 || p_PQgetisnull(r, 0, 0)) {
        rc = bw_fail(err, BW_EIO, "ledger '%s': no schema to use (the search_path names no existing schema)", name.ptr);
        goto out;
    }
    s->schema = p_PQescapeIdentifier(s->c, p_PQgetvalue(r, 0, 0), (size_t)p_PQgetlength(r, 0, 0));
    s->oid = bw_strdup(p_PQgetvalue(r, 0, 1));
    if (s->schema == NULL || s->oid == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < Q_COUNT; i++) {
        if ((s->q[i] = fill(s, queries[i])) == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (o->create) {
        rc = create_schema(s, name.ptr, err);
    } else {
        rc = count_tables(s, &ours, &others, err);
        if (rc == BW_OK && ours == 0) {
            rc = bw_fail(err, BW_ENOTFOUND, "no ledger at '%s' (schema %s)", name.ptr, s->schema);
        }
    }
out:
    p_PQclear(r);
    bw_buf_release(&name);
    if (rc != BW_OK) {
        pg_close(s);
        return rc;
    }
    *out = s;
    return BW_OK;
}

const struct ledger_store_ops bw_ledger_pg_ops = {
    .name = "postgresql",
    .claims = pg_claims,
    .display = pg_display,
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .meta_get = pg_meta_get,
    .meta_set = pg_meta_set,
    .last_batch = pg_last_batch,
    .put_entry = pg_put_entry,
    .get_entry = pg_get_entry,
    .put_node = pg_put_node,
    .get_node = pg_get_node,
    .get_leaf = pg_get_leaf,
    .prefetch = pg_prefetch,
    .put_batch = pg_put_batch,
    .get_batch = pg_get_batch,
    .put_checkpoint = pg_put_checkpoint,
    .last_checkpoint = pg_last_checkpoint,
    .put_key = pg_put_key,
    .key_state = pg_key_state,
    .check_schema = pg_check_schema,
    .cursor_open = pg_cursor_open,
    .cursor_next = pg_cursor_next,
    .cursor_close = pg_cursor_close,
};
