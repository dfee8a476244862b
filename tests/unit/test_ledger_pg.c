/*
 * test_ledger_pg.c - the ledger on its PostgreSQL store (lib/trust/ledger_pg.c),
 * against a real server: tests/ledger/pg.sh starts one on loopback and
 * passes its URL (with a password) in BULWARK_TEST_PG; without it the test
 * is skipped. The store-agnostic suite of test_ledger.c runs here against
 * PostgreSQL: appends and the tree against bw_merkle, every inclusion and
 * consistency proof, signed batches and key registration, checkpoints;
 * every byte of every stored value flipped through SQL UPDATE and each
 * caught, every integer changed, extra and missing rows, an added trigger,
 * table, view, rule, index, column or policy caught by check_schema; removed
 * and reordered entries, a log cut back, a fork; two writer processes at
 * once; a lock held by another session; the password never in a message.
 * Each ledger lives in a schema of its own (search_path in the URL).
 */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/bw_ledger.h"
#include "ledger_common.h"
#include "tap.h"
#include "util/internal.h"

static const char *base; /* the server's URL, from BULWARK_TEST_PG */
static PGconn *admin;    /* for schemas and tampering */
static bw_key *p256, *ed, *stranger;

/* ------------------------------------------------------------------------------------------------ */

static int sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run SQL on the admin connection: the number of rows changed, or -1 (message printed). */
static int sql(const char *fmt, ...)
{
    char q[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(admin, q);
    int n = -1;
    if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
        n = PQcmdTuples(r)[0] != '\0' ? (int)strtol(PQcmdTuples(r), NULL, 10) : 0;
    } else {
        printf("# sql: %s: %s", q, PQerrorMessage(admin));
    }
    PQclear(r);
    return n;
}

/* The URL of a ledger in schema `name` (made empty here), malloc'd. */
static char *fresh(const char *name)
{
    char *u = malloc(strlen(base) + 128);
    sql("DROP SCHEMA IF EXISTS %s CASCADE", name);
    sql("CREATE SCHEMA %s", name);
    snprintf(u, strlen(base) + 128, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') != NULL ? '&' : '?',
             name);
    return u;
}

static bw_ledger *open_url(const char *url, bool create, const char *origin)
{
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_error err = {0};
    o.create = create;
    o.origin = origin;
    if (bw_ledger_open(&l, url, &o, &err) != BW_OK) {
        printf("# open: %s\n", err.msg);
    }
    return l;
}

/* A small signed, checkpointed ledger in schema `name`: 4 batches, 8 entries, two keys, one revoked. */
static bw_ledger *make_signed(const char *name, char **url)
{
    char *u = fresh(name);
    bw_ledger *l = open_url(u, true, "example.test/log");
    bw_error err = {0};
    char *ke = key_entry(p256, "ci-p256"), *ke2 = key_entry(ed, "release-ed25519");
    char *a0 = strdup(artifact(0, "ci")), *a2 = strdup(artifact(2, "ci")), *a3 = strdup(artifact(3, "ci"));
    char hint[65], rv[512];
    if (bw_key_hint(ed, hint) != BW_OK) {
        hint[0] = '\0';
    }
    snprintf(rv, sizeof(rv),
             "{\"kind\":\"key\",\"time\":\"" T0 "\",\"actor\":\"admin\",\"event\":\"revoked\",\"name\":\"old\","
             "\"key_hint\":\"%s\"}",
             hint);
    bw_bytes b1[3] = {
        {(const uint8_t *)ke, strlen(ke)}, {(const uint8_t *)ke2, strlen(ke2)}, {(const uint8_t *)a0, strlen(a0)}};
    bw_bytes b3[3] = {
        {(const uint8_t *)a2, strlen(a2)}, {(const uint8_t *)a3, strlen(a3)}, {(const uint8_t *)rv, strlen(rv)}};
    if (l == NULL || bw_ledger_append_batch(l, b1, 3, p256, &note_signer, NULL, &err) != BW_OK ||
        add1(l, artifact(1, "ci"), ed, &err) != BW_OK ||
        bw_ledger_append_batch(l, b3, 3, p256, &note_signer, NULL, &err) != BW_OK ||
        add1(l, artifact(4, "ci"), NULL, &err) != BW_OK) {
        printf("# make_signed: %s\n", err.msg);
    }
    free(ke);
    free(ke2);
    free(a0);
    free(a2);
    free(a3);
    if (url != NULL) {
        *url = u;
    } else {
        free(u);
    }
    return l;
}

static bw_status verify(bw_ledger *l, bw_error *err)
{
    bw_ledger_report rep;
    bw_error_clear(err);
    return bw_ledger_verify(l, NULL, &rep, err);
}

/* Open and verify, as `ledger verify` does. */
static bw_status verify_url(const char *url, bw_error *err)
{
    bw_ledger *l = NULL;
    bw_error_clear(err);
    bw_status rc = bw_ledger_open(&l, url, NULL, err);
    if (rc == BW_OK) {
        rc = verify(l, err);
    }
    bw_ledger_close(l);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ */

static void test_tree_and_proofs(void)
{
    char *url = fresh("tree");
    bw_ledger *l = open_url(url, true, "example.test/tree");
    bw_error err = {0};
    bw_ledger_head h = {0};
    struct leaves *lv = calloc(1, sizeof(*lv));
    int n = 0, bad_root = 0, bad_incl = 0, bad_cons = 0, checked = 0;

    ok(l != NULL, "a new ledger on PostgreSQL");
    if (l == NULL) {
        free(lv);
        free(url);
        return;
    }
    is_str(bw_ledger_origin(l), "example.test/tree", "its origin");
    for (int b = 1; b <= 9; b++) {
        bw_bytes e[9];
        char *bufs[9];
        for (int i = 0; i < b; i++) {
            bufs[i] = strdup(artifact(n++, "alice"));
            e[i].ptr = (const uint8_t *)bufs[i];
            e[i].len = strlen(bufs[i]);
        }
        bw_error_clear(&err);
        if (bw_ledger_append_batch(l, e, (size_t)b, NULL, NULL, &h, &err) != BW_OK) {
            printf("# append: %s\n", err.msg);
        }
        for (int i = 0; i < b; i++) {
            free(bufs[i]);
        }
        lv->n = 0;
        if (bw_ledger_each(l, 0, collect, lv, &err) != BW_OK) {
            break;
        }
        bw_mhash r;
        bw_merkle_root(lv->h, lv->n, &r);
        bad_root += lv->n != (uint64_t)n || h.size != (uint64_t)n || memcmp(r.b, h.root.b, 32) != 0;
    }
    ok(h.size == 45 && h.batch == 9, "45 entries in 9 batches");
    is_int(bad_root, 0, "after each batch the root is bw_merkle_root of the entries");
    for (uint64_t size = 1; size <= 45; size++) {
        bw_mhash root;
        bw_merkle_root(lv->h, size, &root);
        for (uint64_t m = 0; m < size; m++) {
            bw_mhash p1[BW_MERKLE_MAX_PROOF], p2[BW_MERKLE_MAX_PROOF], leaf, r1, r2;
            size_t n1 = 0, n2 = 0;
            checked++;
            if (bw_ledger_inclusion(l, m, size, &leaf, &r2, p1, &n1, &err) != BW_OK ||
                bw_merkle_inclusion_proof(lv->h, size, m, p2, &n2) != BW_OK || n1 != n2 ||
                memcmp(p1, p2, n1 * sizeof(*p1)) != 0 || memcmp(r2.b, root.b, 32) != 0) {
                bad_incl++;
            }
            if (m == 0) {
                continue;
            }
            n1 = n2 = 0;
            if (bw_ledger_consistency(l, m, size, &r1, &r2, p1, &n1, &err) != BW_OK ||
                bw_merkle_consistency_proof(lv->h, size, m, p2, &n2) != BW_OK || n1 != n2 ||
                memcmp(p1, p2, n1 * sizeof(*p1)) != 0 ||
                bw_merkle_verify_consistency(m, size, &r1, &root, p1, n1) != BW_OK) {
                bad_cons++;
            }
        }
    }
    is_int(checked, 45 * 46 / 2, "every (index, size) pair");
    is_int(bad_incl, 0, "inclusion proofs equal bw_merkle's");
    is_int(bad_cons, 0, "consistency proofs equal bw_merkle's and verify");
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_ledger_entry e;
    ok(bw_ledger_get(l, 7, &b, &e, &err) == BW_OK && e.batch == 4 && strcmp(e.kind, "artifact") == 0 &&
           strstr(b.ptr, "\"name\":\"model-7.safetensors\"") != NULL,
       "entry 7 read back, in batch 4");
    bw_error_clear(&err);
    is_int(bw_ledger_get(l, 45, &b, &e, &err), BW_ENOTFOUND, "no entry 45");
    bw_buf_release(&b);
    bw_ledger_report rep;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(l, NULL, &rep, &err), BW_OK, "verifies (%s)", err.msg);
    ok(rep.entries == 45 && rep.batches == 9 && rep.unsigned_batches == 9, "report: 45 entries, 9 unsigned batches");
    bw_ledger_close(l);

    /* reopen and extend */
    l = open_url(url, false, NULL);
    ok(l != NULL && add1(l, artifact(45, "bob"), NULL, &err) == BW_EINVAL, "reopened; appends need no note key here");
    bw_error_clear(&err);
    ok(l != NULL &&
           bw_ledger_append(l, artifact(45, "bob"), strlen(artifact(45, "bob")), NULL, NULL, &h, &err) == BW_OK &&
           h.size == 46,
       "an append after reopening extends the tree to 46");
    bw_ledger_close(l);

    /* no ledger, not a ledger */
    char *empty = fresh("empty");
    bw_ledger *none = NULL;
    bw_error_clear(&err);
    is_int(bw_ledger_open(&none, empty, NULL, &err), BW_ENOTFOUND, "an empty schema holds no ledger (%s)", err.msg);
    sql("CREATE TABLE empty.other(x int)");
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    o.create = true;
    bw_error_clear(&err);
    is_int(bw_ledger_open(&none, empty, &o, &err), BW_EINVAL, "a schema holding other tables is not made a ledger");
    like(err.msg, "a schema of its own", "which says why");
    sql("CREATE TABLE empty.meta(key text PRIMARY KEY, value text NOT NULL)");
    bw_error_clear(&err);
    is_int(bw_ledger_open(&none, empty, NULL, &err), BW_EFORMAT, "a meta table without a format is not a ledger");
    free(empty);
    free(url);
    free(lv);
}

static void test_signed(void)
{
    bw_ledger *l = make_signed("signed", NULL);
    bw_error err = {0};
    bw_ledger_report rep;
    bw_ledger_head h;
    char hint[65];
    int state;

    ok(l != NULL, "a signed ledger");
    if (l == NULL) {
        return;
    }
    ok(bw_ledger_current(l, &h, &err) == BW_OK && h.size == 8 && h.batch == 4, "8 entries in 4 batches");
    is_int(bw_ledger_verify(l, NULL, &rep, &err), BW_OK, "verifies (%s)", err.msg);
    ok(rep.signed_batches == 3 && rep.unsigned_batches == 1 && rep.checkpoints == 4 && rep.keys == 2,
       "3 signed batches, 1 unsigned, 4 checkpoints, 2 keys");
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    vo.note_keys = &note_signer.v;
    vo.n_note_keys = 1;
    bw_error_clear(&err);
    ok(bw_ledger_verify(l, &vo, &rep, &err) == BW_OK && !rep.own_note_key, "verifies with the caller's note key");
    is_int(add1(l, artifact(9, "x"), stranger, &err), BW_ENOTFOUND, "an unregistered key cannot sign");
    is_int(add1(l, artifact(9, "x"), ed, &err), BW_ENOTFOUND, "a revoked key cannot sign");
    ok(bw_key_hint(p256, hint) == BW_OK && bw_ledger_key_state(l, hint, &state, &err) == BW_OK && state == 1,
       "the P-256 key is registered");
    ok(bw_key_hint(ed, hint) == BW_OK && bw_ledger_key_state(l, hint, &state, &err) == BW_OK && state == -1,
       "the Ed25519 key is revoked");
    ok(bw_key_hint(stranger, hint) == BW_OK && bw_ledger_key_state(l, hint, &state, &err) == BW_OK && state == 0,
       "a stranger's key is unknown");
    bw_buf cp = BW_BUF_INIT(1 << 20);
    ok(bw_ledger_checkpoint(l, &cp, &err) == BW_OK && strstr(cp.ptr, "example.test/log\n8\n") != NULL &&
           strstr(cp.ptr, "\nbulwark-batch 4 - -\n\n\xe2\x80\x94 example.test/log ") != NULL,
       "the latest checkpoint, of 8 entries, unsigned batch 4");
    bw_buf_release(&cp);
    bw_ledger_entry e;
    bw_buf b = BW_BUF_INIT(1 << 20);
    ok(bw_ledger_get(l, 3, &b, &e, &err) == BW_OK && bw_key_hint(ed, hint) == BW_OK && strcmp(e.signer, hint) == 0,
       "entry 3 was signed by the Ed25519 key");
    bw_buf_release(&b);
    bw_ledger_close(l);
}

/* ------------------------------------------------------------------------------------------------ */
/* every byte of every stored value flipped through SQL, every number changed */

struct col {
    const char *table, *col, *key;
    bool text;
};

static void test_sql_flips(void)
{
    static const struct col cols[] = {
        {"entries", "body", "idx", false},      {"entries", "leaf", "idx", false}, {"nodes", "hash", "id", false},
        {"batches", "root", "id", false},       {"batches", "sig", "id", false},   {"batches", "key_hint", "id", true},
        {"checkpoints", "note", "batch", true}, {"keys", "pem", "hint", true},     {"keys", "name", "hint", true},
        {"keys", "hint", "hint", true},         {"meta", "value", "key", true},    {"meta", "key", "key", true},
    };
    static const struct col ints[] = {
        {"entries", "batch", "idx", false},       {"batches", "first", "id", false}, {"batches", "size", "id", false},
        {"checkpoints", "size", "batch", false},  {"keys", "added", "hint", false},  {"keys", "revoked", "hint", false},
        {"entries", "idx", "idx", false},         {"nodes", "id", "id", false},      {"batches", "id", "id", false},
        {"checkpoints", "batch", "batch", false},
    };
    char *url = NULL;
    bw_ledger *l = make_signed("flip", &url);
    bw_error err = {0};

    ok(l != NULL && verify(l, &err) == BW_OK, "the ledger verifies before tampering (%s)", err.msg);
    if (l == NULL) {
        free(url);
        return;
    }
    for (size_t c = 0; c < BW_ARRAY_LEN(cols); c++) {
        /* the rows' keys (as text) and the value's length in bytes */
        char q[512];
        snprintf(q, sizeof(q), "SELECT %s::text, octet_length(%s) FROM flip.%s WHERE %s IS NOT NULL ORDER BY 1",
                 cols[c].key, cols[c].col, cols[c].table, cols[c].col);
        PGresult *rows = PQexec(admin, q);
        int flips = 0, caught = 0, applied = 0;
        for (int r = 0; r < PQntuples(rows); r++) {
            const char *key = PQgetvalue(rows, r, 0);
            int n = (int)strtol(PQgetvalue(rows, r, 1), NULL, 10);
            char *k = PQescapeLiteral(admin, key, strlen(key));
            for (int i = 0; i < n; i++) {
                /* flip bit 0 of byte i (a UTF-8 text stays UTF-8: lead and continuation bytes keep their kind),
                   then the same again to undo it; a key column's new value is found by the flipped key */
                char expr[256], newkey[512];
                if (cols[c].text) {
                    snprintf(expr, sizeof(expr),
                             "convert_from(set_byte(convert_to(%s, 'UTF8'), %d, get_byte(convert_to(%s, 'UTF8'), %d) "
                             "# 1), 'UTF8')",
                             cols[c].col, i, cols[c].col, i);
                } else {
                    snprintf(expr, sizeof(expr), "set_byte(%s, %d, get_byte(%s, %d) # 1)", cols[c].col, i, cols[c].col,
                             i);
                }
                int ch = sql("UPDATE flip.%s SET %s = %s WHERE %s::text = %s", cols[c].table, cols[c].col, expr,
                             cols[c].key, k);
                if (ch != 1) {
                    continue;
                }
                applied++;
                flips++;
                bw_status rc = verify(l, &err);
                caught += rc != BW_OK;
                if (rc == BW_OK) {
                    printf("# not caught: %s.%s row %s byte %d\n", cols[c].table, cols[c].col, key, i);
                }
                if (strcmp(cols[c].key, cols[c].col) == 0) {
                    snprintf(newkey, sizeof(newkey),
                             "convert_from(set_byte(convert_to(%s, 'UTF8'), %d, get_byte(convert_to(%s, 'UTF8'), %d) "
                             "# 1), 'UTF8')",
                             k, i, k, i);
                    sql("UPDATE flip.%s SET %s = %s WHERE %s::text = %s", cols[c].table, cols[c].col, expr, cols[c].key,
                        newkey);
                } else {
                    sql("UPDATE flip.%s SET %s = %s WHERE %s::text = %s", cols[c].table, cols[c].col, expr, cols[c].key,
                        k);
                }
            }
            PQfreemem(k);
        }
        PQclear(rows);
        ok(flips > 0 && caught == flips, "%s.%s: %d of %d byte flips caught", cols[c].table, cols[c].col, caught,
           flips);
        (void)applied;
    }
    for (size_t c = 0; c < BW_ARRAY_LEN(ints); c++) {
        char q[512];
        int flips = 0, caught = 0;
        bool is_key = strcmp(ints[c].key, ints[c].col) == 0;
        /* a key column moves its row far away (+1000), so that it collides with no other row */
        int d = is_key ? 1000 : 1;
        snprintf(q, sizeof(q), "SELECT %s::text FROM flip.%s WHERE %s IS NOT NULL ORDER BY 1", ints[c].key,
                 ints[c].table, ints[c].col);
        PGresult *rows = PQexec(admin, q);
        for (int r = 0; r < PQntuples(rows); r++) {
            char *k = PQescapeLiteral(admin, PQgetvalue(rows, r, 0), strlen(PQgetvalue(rows, r, 0)));
            if (sql("UPDATE flip.%s SET %s = %s + %d WHERE %s::text = %s", ints[c].table, ints[c].col, ints[c].col, d,
                    ints[c].key, k) == 1) {
                flips++;
                caught += verify(l, &err) != BW_OK;
                if (is_key) {
                    sql("UPDATE flip.%s SET %s = %s - %d WHERE %s = %s::bigint + %d", ints[c].table, ints[c].col,
                        ints[c].col, d, ints[c].key, k, d);
                } else {
                    sql("UPDATE flip.%s SET %s = %s - %d WHERE %s::text = %s", ints[c].table, ints[c].col, ints[c].col,
                        d, ints[c].key, k);
                }
            }
            PQfreemem(k);
        }
        PQclear(rows);
        ok(flips > 0 && caught == flips, "%s.%s: %d of %d changed numbers caught", ints[c].table, ints[c].col, caught,
           flips);
    }
    ok(verify(l, &err) == BW_OK, "the ledger verifies again once every change is undone (%s)", err.msg);
    bw_ledger_close(l);

    /* rows, values and the schema changed: each on a fresh ledger */
    struct {
        const char *sql, *what;
        bw_status want;
    } edits[] = {
        {"UPDATE flip.batches SET key_hint = NULL, sig = NULL WHERE id = 2", "a batch signature stripped", BW_EVERIFY},
        {"UPDATE flip.nodes SET hash = hash || '\\x00'::bytea WHERE id = 2", "a hash one byte too long", BW_EVERIFY},
        {"UPDATE flip.entries SET leaf = substring(leaf from 1 for 31) WHERE idx = 1", "a leaf one byte short",
         BW_EVERIFY},
        {"UPDATE flip.batches SET size = -size WHERE id = 4", "a negative size", BW_EVERIFY},
        {"INSERT INTO flip.nodes(id, hash) VALUES (1000, '\\x" SHA_A "'::bytea)", "an extra node", BW_EVERIFY},
        {"DELETE FROM flip.nodes WHERE id = 2", "a missing node", BW_EVERIFY},
        {"DELETE FROM flip.checkpoints WHERE batch = 2", "a missing checkpoint", BW_EVERIFY},
        {"DELETE FROM flip.checkpoints WHERE batch = 4", "the last checkpoint missing", BW_EVERIFY},
        {"DELETE FROM flip.keys WHERE name = 'ci-p256'", "a key registration missing from the keys table", BW_EVERIFY},
        {"UPDATE flip.keys SET revoked = NULL", "a revocation undone in the keys table", BW_EVERIFY},
        {"INSERT INTO flip.keys VALUES ('00', 'x', 'y', 1, NULL)", "an extra key", BW_EVERIFY},
        {"DELETE FROM flip.meta WHERE key = 'note_key'", "the note key dropped", BW_EVERIFY},
        {"INSERT INTO flip.meta VALUES ('extra', 'x')", "an unknown meta row", BW_EVERIFY},
        {"INSERT INTO flip.checkpoints VALUES (9, 9, 'x')", "a checkpoint of no batch", BW_EVERIFY},
        {"CREATE FUNCTION flip.f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
         " CREATE TRIGGER t BEFORE INSERT ON flip.entries FOR EACH ROW EXECUTE FUNCTION flip.f()",
         "a trigger added", BW_EVERIFY},
        {"CREATE FUNCTION public.bw_f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
         " CREATE TRIGGER t BEFORE INSERT ON flip.entries FOR EACH ROW EXECUTE FUNCTION public.bw_f()",
         "a trigger added whose function lives elsewhere", BW_EVERIFY},
        {"CREATE INDEX i ON flip.entries(batch)", "an index added", BW_EVERIFY},
        {"CREATE FUNCTION flip.g() RETURNS int LANGUAGE sql AS 'SELECT 1'", "a function in the ledger's schema",
         BW_EVERIFY},
        {"CREATE TABLE flip.extra(x int)", "an extra table", BW_EVERIFY},
        {"CREATE VIEW flip.v AS SELECT 1 AS x", "a view", BW_EVERIFY},
        {"CREATE RULE r AS ON UPDATE TO flip.nodes DO INSTEAD NOTHING", "a rule", BW_EVERIFY},
        {"ALTER TABLE flip.entries ADD COLUMN note text", "an extra column", BW_EVERIFY},
        {"ALTER TABLE flip.entries ALTER COLUMN batch SET DEFAULT 1", "a column default", BW_EVERIFY},
        {"ALTER TABLE flip.entries ADD CONSTRAINT c CHECK (batch > 0)", "a check constraint", BW_EVERIFY},
        {"ALTER TABLE flip.batches ALTER COLUMN key_hint TYPE varchar(64)", "a column's type changed", BW_EVERIFY},
        {"ALTER TABLE flip.entries ENABLE ROW LEVEL SECURITY", "row-level security", BW_EVERIFY},
        {"CREATE TABLE public.bw_more(LIKE flip.entries); ALTER TABLE public.bw_more INHERIT flip.entries;"
         " INSERT INTO public.bw_more SELECT idx + 100, batch, body, leaf FROM flip.entries",
         "a table in another schema inheriting entries (its rows read as the ledger's)", BW_EVERIFY},
        {"ALTER TABLE flip.checkpoints SET UNLOGGED", "a table made unlogged", BW_EVERIFY},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(edits); i++) {
        bw_ledger_close(make_signed("flip", NULL));
        int src = sql("%s", edits[i].sql);
        bw_status rc = verify_url(url, &err);
        ok(src >= 0 && rc == edits[i].want, "%s is caught: %s", edits[i].what, err.msg);
        sql("DROP TABLE IF EXISTS public.bw_more");
        sql("DROP FUNCTION IF EXISTS public.bw_f() CASCADE");
    }
    free(url);
}

/* a column of another type read outside verify: the value is refused, as in SQLite */
static void test_types(void)
{
    bw_ledger *l = make_signed("types", NULL);
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_ledger_entry e;
    bw_error err = {0};

    ok(l != NULL && bw_ledger_get(l, 1, &b, &e, &err) == BW_OK, "entry 1 reads");
    sql("ALTER TABLE types.entries ALTER COLUMN body TYPE text USING encode(body, 'escape')");
    bw_error_clear(&err);
    is_int(l != NULL ? bw_ledger_get(l, 1, &b, &e, &err) : BW_OK, BW_EVERIFY, "a body stored as text: %s", err.msg);
    sql("ALTER TABLE types.batches ALTER COLUMN size TYPE numeric");
    bw_ledger_head h;
    bw_error_clear(&err);
    is_int(l != NULL ? bw_ledger_current(l, &h, &err) : BW_OK, BW_EVERIFY, "a batch size stored as numeric: %s",
           err.msg);
    bw_buf_release(&b);
    bw_ledger_close(l);
}

/* removed and reordered entries, a truncated or forked log */
static void test_structure(void)
{
    bw_error err = {0};
    char *url = NULL;
    struct {
        const char *sql, *what, *msg;
    } cases[] = {
        {"DELETE FROM st.entries WHERE idx = 3", "a removed entry", "entry 3 is missing"},
        {"UPDATE st.entries SET idx = idx + 100 WHERE idx = 5; UPDATE st.entries SET idx = 5 WHERE idx = 6;"
         " UPDATE st.entries SET idx = 6 WHERE idx = 105",
         "two entries swapped (rows and leaf hashes together)", "node"},
        {"UPDATE st.entries SET body = (SELECT body FROM st.entries WHERE idx = 2), leaf = (SELECT leaf FROM "
         "st.entries WHERE idx = 2) WHERE idx = 3",
         "an entry replaced by a copy of another", "node"},
        {"DELETE FROM st.entries WHERE idx = 7", "the last entry removed", "batch 4 ends at entry 8"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        free(url);
        bw_ledger_close(make_signed("st", &url));
        int src = sql("%s", cases[i].sql);
        bw_status rc = verify_url(url, &err);
        ok(src >= 0 && rc == BW_EVERIFY && strstr(err.msg, cases[i].msg) != NULL, "%s is caught: %s", cases[i].what,
           err.msg);
    }
    /* a whole last batch cut off: only an old checkpoint shows it */
    free(url);
    bw_ledger *l = make_signed("st", &url);
    bw_buf old = BW_BUF_INIT(1 << 20);
    ok(l != NULL && bw_ledger_checkpoint(l, &old, &err) == BW_OK, "a client keeps the checkpoint of 8 entries");
    sql("DELETE FROM st.entries WHERE batch = 4; DELETE FROM st.nodes WHERE id >= 4; DELETE FROM st.batches WHERE "
        "id = 4; DELETE FROM st.checkpoints WHERE batch = 4");
    is_int(verify(l, &err), BW_OK, "a log cut back to a batch boundary verifies on its own (%s)", err.msg);
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    bw_ledger_report rep;
    vo.since = old.ptr;
    vo.since_len = old.len;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(l, &vo, &rep, &err), BW_EVERIFY, "but not against the client's checkpoint");
    like(err.msg, "the old checkpoint has 8 entries, the ledger only 7", "which says so");
    bw_ledger_close(l);

    /* a fork of the same size, then after growth */
    bw_ledger *a = make_signed("st", NULL), *f = make_signed("fork", NULL);
    bw_buf mid = BW_BUF_INIT(1 << 20), fork_cp = BW_BUF_INIT(1 << 20);
    ok(a != NULL && f != NULL && bw_ledger_checkpoint(a, &mid, &err) == BW_OK, "two ledgers of 8 entries");
    add1(a, artifact(100, "a"), NULL, &err);
    add1(f, artifact(200, "mallory"), NULL, &err);
    ok(bw_ledger_checkpoint(f, &fork_cp, &err) == BW_OK, "the fork's checkpoint of 9");
    vo.since = fork_cp.ptr;
    vo.since_len = fork_cp.len;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(a, &vo, &rep, &err), BW_EVERIFY, "a checkpoint of the same size from a fork fails");
    like(err.msg, "fork", "and is called a fork");
    add1(a, artifact(101, "a"), NULL, &err);
    bw_error_clear(&err);
    is_int(bw_ledger_verify(a, &vo, &rep, &err), BW_EVERIFY, "also after the log grew past it");
    vo.since = mid.ptr;
    vo.since_len = mid.len;
    bw_error_clear(&err);
    ok(bw_ledger_verify(a, &vo, &rep, &err) == BW_OK && rep.since_checked && rep.since_size == 8 && rep.entries == 10,
       "an honest old checkpoint proves the log only grew from 8 to 10 (%s)", err.msg);
    bw_buf_release(&old);
    bw_buf_release(&mid);
    bw_buf_release(&fork_cp);
    bw_ledger_close(a);
    bw_ledger_close(f);
    free(url);
}

/* ------------------------------------------------------------------------------------------------ */
/* two writer processes; a writer lock held elsewhere */

static void test_concurrent(void)
{
    char *url = fresh("conc");
    bw_error err = {0};
    int s1 = -1, s2 = -1;

    /* both writers create the ledger: the second waits for the first's tables */
    fflush(stdout);
    pid_t p1 = fork();
    if (p1 == 0) {
        writer(url, "w1", 40);
    }
    pid_t p2 = fork();
    if (p2 == 0) {
        writer(url, "w2", 40);
    }
    waitpid(p1, &s1, 0);
    waitpid(p2, &s2, 0);
    ok(WIFEXITED(s1) && WEXITSTATUS(s1) == 0 && WIFEXITED(s2) && WEXITSTATUS(s2) == 0,
       "two writer processes made and appended to one ledger at once");
    bw_ledger *l = open_url(url, false, NULL);
    if (l != NULL) {
        bw_ledger_report rep;
        struct tally t = {0};
        is_int(bw_ledger_verify(l, NULL, &rep, &err), BW_OK, "the ledger verifies (%s)", err.msg);
        ok(rep.entries == 400 && rep.batches == 80 && rep.checkpoints == 80, "400 entries, 80 batches, 80 checkpoints");
        bw_status rc = bw_ledger_each(l, 0, count_actor, &t, &err);
        ok(rc == BW_OK && t.w1 == 200 && t.w2 == 200 && t.mixed == 0,
           "200 entries of each writer, no batch mixed (w1 %d, w2 %d, mixed %d)", t.w1, t.w2, t.mixed);
        bw_ledger_close(l);
    }

    /* another session holds the writer lock: an append gives up after busy_timeout_ms */
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    o.busy_timeout_ms = 300;
    l = NULL;
    ok(bw_ledger_open(&l, url, &o, &err) == BW_OK, "open with a 300 ms busy timeout");
    sql("BEGIN; LOCK TABLE conc.meta IN EXCLUSIVE MODE");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bw_error_clear(&err);
    bw_status rc =
        l != NULL ? bw_ledger_append(l, artifact(1, "w3"), strlen(artifact(1, "w3")), NULL, &note_signer, NULL, &err)
                  : BW_EIO;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    ok(rc == BW_EIO && strstr(err.msg, "locked by another writer") != NULL && ms >= 250 && ms < 5000,
       "while another session holds the lock, an append fails after %.0f ms: %s", ms, err.msg);
    bw_ledger_report rep;
    bw_error_clear(&err);
    ok(l != NULL && bw_ledger_verify(l, NULL, &rep, &err) == BW_OK && rep.entries == 400,
       "reading does not wait for the writer lock (%s)", err.msg);
    sql("COMMIT");
    bw_error_clear(&err);
    ok(l != NULL &&
           bw_ledger_append(l, artifact(1, "w3"), strlen(artifact(1, "w3")), NULL, &note_signer, NULL, &err) == BW_OK,
       "and succeeds once it is released (%s)", err.msg);
    bw_ledger_close(l);
    free(url);
}

/* ------------------------------------------------------------------------------------------------ */
/* the password of a URL is never shown */

static void test_redaction(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"postgres://alice:s3cret@db.example:5432/ledger", "postgres://alice:***@db.example:5432/ledger"},
        {"postgresql://alice@db/ledger?sslmode=require&password=s3cret&x=1",
         "postgresql://alice@db/ledger?sslmode=require&password=***&x=1"},
        {"postgresql://db/ledger?password=s3cret", "postgresql://db/ledger?password=***"},
        {"postgresql://a:b:c@h/d?sslpassword=s3cret", "postgresql://a:***@h/d?sslpassword=***"},
        {"postgresql://h:5432/d", "postgresql://h:5432/d"},
        {".bulwark/ledger.db", ".bulwark/ledger.db"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        bw_buf b = BW_BUF_INIT(4096);
        bool shown = bw_ledger_target_display(cases[i].in, &b) == BW_OK && b.ptr != NULL;
        ok(shown && strcmp(b.ptr, cases[i].out) == 0, "shown as %s", shown ? b.ptr : "(nothing)");
        bw_buf_release(&b);
    }
    /* a wrong password, and a malformed URL with the password in it: neither message quotes it */
    const char *pw = getenv("BULWARK_TEST_PG_PASSWORD");
    char url[1024];
    const char *at = strchr(base + 13, '@');
    const char *colon = at != NULL ? memchr(base + 13, ':', (size_t)(at - base - 13)) : NULL;
    bw_error err = {0};
    bw_ledger *l = NULL;
    if (pw != NULL && colon != NULL) {
        snprintf(url, sizeof(url), "%.*s:Wr0ngPass%s", (int)(colon - base), base, at);
        bw_status rc = bw_ledger_open(&l, url, NULL, &err);
        ok(rc == BW_EIO && strstr(err.msg, "Wr0ngPass") == NULL && strstr(err.msg, "***") != NULL,
           "a wrong password: %s", err.msg);
        snprintf(url, sizeof(url), "%.*s:Wr0ng%%zzPass%s", (int)(colon - base), base, at);
        bw_error_clear(&err);
        rc = bw_ledger_open(&l, url, NULL, &err);
        ok(rc == BW_EINVAL && strstr(err.msg, "Wr0ng") == NULL && strstr(err.msg, "zz") == NULL, "a malformed URL: %s",
           err.msg);
        bw_error_clear(&err);
        snprintf(url, sizeof(url), "%s%cdbname=nosuchdb", base, strchr(base, '?') != NULL ? '&' : '?');
        rc = bw_ledger_open(&l, url, NULL, &err);
        ok(rc == BW_EIO && strstr(err.msg, pw) == NULL, "no such database, the password not shown: %s", err.msg);
    } else {
        ok(0, "BULWARK_TEST_PG has a password and BULWARK_TEST_PG_PASSWORD names it");
    }
}

int main(void)
{
    bw_error err = {0};

    base = getenv("BULWARK_TEST_PG");
    if (base == NULL || base[0] == '\0') {
        skip_all("BULWARK_TEST_PG is not set: tests/ledger/pg.sh starts a PostgreSQL server and sets it");
    }
    admin = PQconnectdb(base);
    if (PQstatus(admin) != CONNECTION_OK) {
        printf("# cannot connect: %s", PQerrorMessage(admin));
        return 1;
    }
    PQclear(PQexec(admin, "SET client_min_messages = warning"));
    if (bw_key_generate(BW_KEY_P256, &p256, &err) != BW_OK || bw_key_generate(BW_KEY_ED25519, &ed, &err) != BW_OK ||
        bw_key_generate(BW_KEY_P256, &stranger, &err) != BW_OK ||
        bw_note_signer_new("example.test/log", &note_signer, &err) != BW_OK) {
        printf("# keys: %s\n", err.msg);
        return 1;
    }
    test_redaction();
    test_tree_and_proofs();
    test_signed();
    test_sql_flips();
    test_types();
    test_structure();
    bw_note_signer_clear(&note_signer);
    if (bw_note_signer_new("example.test/concurrent", &note_signer, &err) == BW_OK) {
        test_concurrent();
    }
    bw_note_signer_clear(&note_signer);
    bw_key_free(p256);
    bw_key_free(ed);
    bw_key_free(stranger);
    PQfinish(admin);
    return done_testing();
}
