/*
 * test_ledger.c - the ledger (lib/trust/ledger.c, ledger_sqlite.c): the
 * canonical entry form and its checker, the entry model, appends and the
 * tree against bw_merkle's in-memory builders, proofs, batch signatures and
 * key registration, checkpoints, and tampering: every byte of every stored
 * value flipped through SQL, every byte of a small ledger file flipped in
 * turn, removed and reordered entries, a forked or rolled-back log, and two
 * writer processes at once. (Crashes mid-append: tests/ledger/crash.sh.)
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulwark/bw_ledger.h"
#include "ledger_common.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static char *dir;

static bw_ledger *open_new(const char *name, const char *origin, unsigned page)
{
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_error err = {0};
    char *p = tu_join(dir, name);
    o.create = true;
    o.origin = origin;
    o.page_size = page;
    if (bw_ledger_open(&l, p, &o, &err) != BW_OK) {
        printf("# open %s: %s\n", p, err.msg);
    }
    free(p);
    return l;
}

static bw_status canon(const char *json, char *out, size_t cap, bw_error *err)
{
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_error_clear(err);
    bw_status rc = bw_ledger_entry_canonical(json, strlen(json), &b, err);
    snprintf(out, cap, "%s", rc == BW_OK ? b.ptr : "");
    bw_buf_release(&b);
    return rc;
}

static bw_status check(const char *s)
{
    char kind[16];
    bw_error err = {0};
    return bw_ledger_entry_check(s, strlen(s), kind, &err);
}

static void test_canonical(void)
{
    char out[2048];
    bw_error err = {0};

    is_int(canon("{ \"time\":\"" T0 "\", \"kind\" : \"gate\", \"actor\":\"ci\", \"verdict\":\"pass\", \"check\":"
                 "\"scan models\", \"subject\": {\"sha256\":\"" SHA_A "\"}, \"x\": [1, -2, true, null, \"\\u0001\\n"
                 "\\/\\u00e9\"]}",
                 out, sizeof(out), &err),
           BW_OK, "a gate entry canonicalises (%s)", err.msg);
    is_str(out,
           "{\"actor\":\"ci\",\"check\":\"scan models\",\"kind\":\"gate\",\"subject\":{\"sha256\":\"" SHA_A
           "\"},\"time\":\"" T0 "\",\"verdict\":\"pass\",\"x\":[1,-2,true,null,\"\\u0001\\n/\xc3\xa9\"]}",
           "sorted keys, no whitespace, minimal escapes, UTF-8 kept");
    is_int(check(out), BW_OK, "the checker accepts the canonical form");
    char again[2048];
    is_int(canon(out, again, sizeof(again), &err), BW_OK, "canonical of canonical");
    is_str(again, out, "is a fixed point");

    /* entry model */
    struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"kind\":\"gate\",\"time\":\"" T0 "\",\"actor\":\"ci\",\"verdict\":\"pass\"}", "field 'check' is missing"},
        {"{\"kind\":\"gate\",\"time\":\"" T0 "\",\"actor\":\"ci\",\"verdict\":\"maybe\",\"check\":\"c\"}",
         "field 'verdict' is not one of the allowed values"},
        {"{\"kind\":\"gate\",\"time\":\"2026-11-24 10:00:00\",\"actor\":\"ci\",\"verdict\":\"pass\",\"check\":\"c\"}",
         "field 'time' has the wrong type"},
        {"{\"kind\":\"artifact\",\"time\":\"" T0 "\",\"actor\":\"a\",\"name\":\"m\",\"digest\":{\"sha256\":\"abc\"}}",
         "field 'digest' has the wrong type"},
        {"{\"kind\":\"artifact\",\"time\":\"" T0 "\",\"actor\":\"a\",\"name\":\"m\",\"digest\":{\"sha256\":\"" SHA_A
         "\"},\"size\":1.5}",
         "field 'size' has the wrong type"},
        {"{\"kind\":\"artifact\",\"time\":\"" T0 "\",\"actor\":\"a\",\"name\":\"m\",\"digest\":{\"sha256\":\"" SHA_A
         "\"},\"extra\":1.5}",
         "real number"},
        {"{\"kind\":\"thing\",\"time\":\"" T0 "\",\"actor\":\"a\"}", "unknown kind"},
        {"{\"kind\":\"key\",\"time\":\"" T0
         "\",\"actor\":\"a\",\"event\":\"added\",\"name\":\"k\",\"key_hint\":\"" SHA_A "\"}",
         "needs field 'public_key'"},
        {"{\"kind\":\"gate\",\"kind\":\"gate\"}", "not JSON"},
        {"[1]", "a JSON object"},
        {"{\"kind\":\"approval\",\"time\":\"" T0 "\",\"actor\":\"a\",\"target\":-1,\"decision\":\"override\","
         "\"reason\":\"r\"}",
         "field 'target'"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        bw_status rc = canon(bad[i].json, out, sizeof(out), &err);
        ok(rc == BW_EFORMAT && strstr(err.msg, bad[i].msg) != NULL, "bad entry %zu refused: %s", i, err.msg);
    }
    is_int(canon("{\"kind\":\"approval\",\"time\":\"2026-11-24T10:00:00.250Z\",\"actor\":\"a\",\"target\":{\"sha256\":"
                 "\"" SHA_A "\"},\"decision\":\"override\",\"reason\":\"r\"}",
                 out, sizeof(out), &err),
           BW_OK, "an approval targeting a digest, fractional seconds (%s)", err.msg);

    /* the checker refuses every non-canonical spelling */
    const char *nc[] = {
        "{\"kind\":\"a\", \"x\":1}",
        "{\"x\":1,\"kind\":\"a\"}",
        "{\"kind\":\"a\",\"x\":\"\\u0041\"}",
        "{\"kind\":\"a\",\"x\":-0}",
        "{\"kind\":\"a\",\"x\":1.0}",
        "{\"kind\":\"a\",\"x\":01}",
        "{\"kind\":\"a\",\"x\":\"\\/\"}",
        "{\"kind\":\"a\"} ",
        "{\"kind\":\"a\",\"kind\":\"a\"}",
        "{\"kind\":\"a\",\"x\":\"\\u000a\"}",
        "{\"kind\":\"a\",\"x\":\"\\u001F\"}",
        "{\"kind\":\"A\"}",
        "{\"x\":1}",
        "{\"kind\":\"a\",\"x\":tru}",
        "{\"kind\":\"a\",\"x\":\"\x01\"}",
        "{\"kind\":\"a\",\"x\":9223372036854775808}",
        "{\"kind\":\"a\",\"x\":\"\xff\"}",
        "",
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(nc); i++) {
        is_int(check(nc[i]), BW_EFORMAT, "not canonical: %s", nc[i]);
    }
    is_int(check("{\"a\\\"\":1,\"a#\":2,\"kind\":\"a\",\"x\":-9223372036854775808}"), BW_OK,
           "keys compare by decoded bytes ('\"' < '#'); the smallest integer");
}

/* leaf hashes of the entries in a ledger, read back */

static void test_tree_and_proofs(void)
{
    bw_ledger *l = open_new("tree.db", "example.test/tree", 0);
    bw_error err = {0};
    bw_ledger_head h;
    struct leaves *lv = calloc(1, sizeof(*lv));
    int n = 0, bad_root = 0, bad_incl = 0, bad_cons = 0, checked = 0;

    ok(l != NULL, "a new ledger");
    if (l == NULL) {
        free(lv);
        return;
    }
    is_str(bw_ledger_origin(l), "example.test/tree", "its origin");
    ok(bw_ledger_current(l, &h, &err) == BW_OK && h.size == 0 && h.batch == 0, "empty at first");
    /* batches of 1, 2, 3, ... entries: 1+2+...+9 = 45 entries */
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
    is_int(h.size, 45, "45 entries in 9 batches");
    is_int(h.batch, 9, "batch 9 last");
    is_int(bad_root, 0, "after each batch the root is bw_merkle_root of the entries");

    /* every inclusion and consistency proof of every size against the in-memory builder */
    for (uint64_t size = 1; size <= 45; size++) {
        bw_mhash root;
        bw_merkle_root(lv->h, size, &root);
        for (uint64_t m = 0; m < size; m++) {
            bw_mhash p1[BW_MERKLE_MAX_PROOF], p2[BW_MERKLE_MAX_PROOF], leaf, r2;
            size_t n1 = 0, n2 = 0;
            checked++;
            if (bw_ledger_inclusion(l, m, size, &leaf, &r2, p1, &n1, &err) != BW_OK ||
                bw_merkle_inclusion_proof(lv->h, size, m, p2, &n2) != BW_OK || n1 != n2 ||
                memcmp(p1, p2, n1 * sizeof(*p1)) != 0 || memcmp(r2.b, root.b, 32) != 0 ||
                bw_merkle_verify_inclusion(m, size, &leaf, p1, n1, &root) != BW_OK) {
                bad_incl++;
            }
            if (m == 0) {
                continue;
            }
            bw_mhash r1;
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
    is_int(bad_incl, 0, "inclusion proofs equal bw_merkle's and verify");
    is_int(bad_cons, 0, "consistency proofs equal bw_merkle's and verify");
    bw_mhash leaf, root, p[BW_MERKLE_MAX_PROOF];
    size_t len;
    bw_error_clear(&err);
    is_int(bw_ledger_inclusion(l, 45, 0, &leaf, &root, p, &len, &err), BW_EINVAL, "no entry 45");
    bw_error_clear(&err);
    is_int(bw_ledger_inclusion(l, 0, 46, &leaf, &root, p, &len, &err), BW_EINVAL, "no tree of 46");
    bw_error_clear(&err);
    is_int(bw_ledger_consistency(l, 0, 10, &leaf, &root, p, &len, &err), BW_EINVAL, "no proof from the empty tree");

    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_ledger_entry e;
    is_int(bw_ledger_get(l, 7, &b, &e, &err), BW_OK, "get entry 7");
    is_str(e.kind, "artifact", "its kind");
    is_int(e.batch, 4, "in batch 4 (entries 6-9)");
    is_str(e.signer, "", "unsigned");
    like(b.ptr, "\"name\":\"model-7.safetensors\"", "its body");
    bw_error_clear(&err);
    is_int(bw_ledger_get(l, 45, &b, &e, &err), BW_ENOTFOUND, "no entry 45");
    bw_buf_release(&b);

    bw_ledger_report rep;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(l, NULL, &rep, &err), BW_OK, "verifies (%s)", err.msg);
    ok(rep.entries == 45 && rep.batches == 9 && rep.unsigned_batches == 9 && rep.checkpoints == 0,
       "report: 45 entries, 9 unsigned batches, no checkpoints");
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    vo.require_signed = true;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(l, &vo, &rep, &err), BW_EVERIFY, "unsigned batches fail when signatures are required");
    like(err.msg, "batch 1 is not signed", "and say which");
    bw_ledger_close(l);

    /* reopening keeps everything; an append after reopening extends the same tree */
    char *p2 = tu_join(dir, "tree.db");
    bw_error_clear(&err);
    is_int(bw_ledger_open(&l, p2, NULL, &err), BW_OK, "reopen");
    if (l != NULL) {
        is_int(bw_ledger_append(l, artifact(45, "bob"), strlen(artifact(45, "bob")), NULL, NULL, &h, &err), BW_OK,
               "append after reopening");
        lv->n = 0;
        ok(bw_ledger_each(l, 0, collect, lv, &err) == BW_OK, "read back");
        bw_mhash r;
        bw_merkle_root(lv->h, lv->n, &r);
        ok(h.size == 46 && memcmp(r.b, h.root.b, 32) == 0, "the root of 46 entries");
        bw_ledger_close(l);
    }
    bw_ledger *none = NULL;
    char *p3 = tu_join(dir, "absent.db");
    bw_error_clear(&err);
    is_int(bw_ledger_open(&none, p3, NULL, &err), BW_ENOTFOUND, "opening a missing ledger without create");
    tu_write_str(dir, "other.db", "");
    free(p3);
    p3 = tu_join(dir, "notledger.db");
    sqlite3 *db;
    sqlite3_open(p3, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    bw_error_clear(&err);
    is_int(bw_ledger_open(&none, p3, NULL, &err), BW_EFORMAT, "another SQLite database is not a ledger (%s)", err.msg);
    free(p3);
    free(p2);
    free(lv);
}

/* --------------------------------------------------------------------------------------------- */

static bw_key *p256, *ed, *stranger;

static char *revoke_entry(const bw_key *k)
{
    char hint[65], *s = malloc(512);
    if (bw_key_hint(k, hint) != BW_OK) {
        hint[0] = '\0';
    }
    snprintf(s, 512,
             "{\"kind\":\"key\",\"time\":\"" T0 "\",\"actor\":\"admin\",\"event\":\"revoked\",\"name\":\"old\","
             "\"key_hint\":\"%s\"}",
             hint);
    return s;
}

/* A small signed, checkpointed ledger: 4 batches, 8 entries, two keys, one revoked. */
static bw_ledger *make_signed(const char *name, unsigned page)
{
    bw_ledger *l = open_new(name, "example.test/log", page);
    bw_error err = {0};
    char *ke = key_entry(p256, "ci-p256"), *ke2 = key_entry(ed, "release-ed25519");
    bw_bytes b1[3] = {{(const uint8_t *)ke, strlen(ke)}, {(const uint8_t *)ke2, strlen(ke2)}, {NULL, 0}};
    char *a0 = strdup(artifact(0, "ci"));
    b1[2].ptr = (const uint8_t *)a0;
    b1[2].len = strlen(a0);
    if (l == NULL || bw_ledger_append_batch(l, b1, 3, p256, &note_signer, NULL, &err) != BW_OK ||
        add1(l, artifact(1, "ci"), ed, &err) != BW_OK) {
        printf("# make_signed: %s\n", err.msg);
    }
    char *a2 = strdup(artifact(2, "ci")), *a3 = strdup(artifact(3, "ci")), *rv = revoke_entry(ed);
    bw_bytes b3[3] = {
        {(const uint8_t *)a2, strlen(a2)}, {(const uint8_t *)a3, strlen(a3)}, {(const uint8_t *)rv, strlen(rv)}};
    bw_error_clear(&err);
    if (l != NULL && bw_ledger_append_batch(l, b3, 3, p256, &note_signer, NULL, &err) != BW_OK) {
        printf("# make_signed: %s\n", err.msg);
    }
    bw_error_clear(&err);
    if (l != NULL && add1(l, artifact(4, "ci"), NULL, &err) != BW_OK) {
        printf("# make_signed: %s\n", err.msg);
    }
    free(ke);
    free(ke2);
    free(a0);
    free(a2);
    free(a3);
    free(rv);
    return l;
}

static void test_signed(void)
{
    bw_ledger *l = make_signed("signed.db", 0);
    bw_error err = {0};
    bw_ledger_report rep;
    bw_ledger_head h;
    int state;

    ok(l != NULL, "a signed ledger");
    if (l == NULL) {
        return;
    }
    ok(bw_ledger_current(l, &h, &err) == BW_OK && h.size == 8 && h.batch == 4, "8 entries in 4 batches");
    is_int(bw_ledger_verify(l, NULL, &rep, &err), BW_OK, "verifies (%s)", err.msg);
    ok(rep.signed_batches == 3 && rep.unsigned_batches == 1 && rep.checkpoints == 4 && rep.keys == 2 &&
           rep.own_note_key,
       "3 signed batches, 1 unsigned, 4 checkpoints, 2 keys, checked with the ledger's own note key");
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    vo.note_keys = &note_signer.v;
    vo.n_note_keys = 1;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(l, &vo, &rep, &err), BW_OK, "verifies with the caller's note key");
    ok(!rep.own_note_key, "and says so");
    bw_note_signer other;
    if (bw_note_signer_new("example.test/log", &other, &err) == BW_OK) {
        vo.note_keys = &other.v;
        bw_error_clear(&err);
        is_int(bw_ledger_verify(l, &vo, &rep, &err), BW_EVERIFY, "another note key of the same name fails");
        like(err.msg, "records checkpoint key", "naming the recorded key");
        bw_error_clear(&err);
        bw_error_clear(&err);
        is_int(bw_ledger_append(l, "{}", 2, NULL, &other, NULL, &err), BW_EFORMAT, "a bad entry is refused first");
        bw_error_clear(&err);
        is_int(bw_ledger_append(l, artifact(9, "x"), strlen(artifact(9, "x")), NULL, &other, NULL, &err), BW_EINVAL,
               "appending with another note key is refused");
        bw_note_signer_clear(&other);
    }
    bw_error_clear(&err);
    is_int(bw_ledger_append(l, artifact(9, "x"), strlen(artifact(9, "x")), NULL, NULL, NULL, &err), BW_EINVAL,
           "a checkpointed ledger needs its note signer");
    is_int(add1(l, artifact(9, "x"), stranger, &err), BW_ENOTFOUND, "an unregistered key cannot sign");
    like(err.msg, "not registered", "says why");
    is_int(add1(l, artifact(9, "x"), ed, &err), BW_ENOTFOUND, "a revoked key cannot sign");
    like(err.msg, "revoked", "says why");
    char hint[65];
    ok(bw_key_hint(p256, hint) == BW_OK && bw_ledger_key_state(l, hint, &state, &err) == BW_OK && state == 1,
       "the P-256 key is registered");
    ok(bw_key_hint(ed, hint) == BW_OK && bw_ledger_key_state(l, hint, &state, &err) == BW_OK && state == -1,
       "the Ed25519 key is revoked");
    ok(bw_key_hint(stranger, hint) == BW_OK && bw_ledger_key_state(l, hint, &state, &err) == BW_OK && state == 0,
       "a stranger's key is unknown");
    /* a key entry whose hint is not its key's */
    char *ke = key_entry(stranger, "s");
    char *at = strstr(ke, "\"key_hint\":\"");
    if (at != NULL) {
        at[12] = at[12] == 'a' ? 'b' : 'a';
    }
    is_int(add1(l, ke, NULL, &err), BW_EINVAL, "a key entry with a wrong hint is refused");
    free(ke);
    /* a stranger's key trusted from outside, signing after being registered by nobody: refused at append,
       so a batch signed by it can only come from elsewhere; trusted keys are for verify */
    bw_buf cp = BW_BUF_INIT(1 << 20), nk = BW_BUF_INIT(4096);
    is_int(bw_ledger_checkpoint(l, &cp, &err), BW_OK, "the latest checkpoint");
    like(cp.ptr, "example.test/log\n8\n", "of 8 entries (origin, size)");
    like(cp.ptr, "\nbulwark-batch 4 - -\n\n\xe2\x80\x94 example.test/log ", "unsigned batch 4, then the signature");
    is_int(bw_ledger_note_key(l, &nk, &err), BW_OK, "the note key");
    like(nk.ptr, "example.test/log+", "named after the origin");
    bw_buf_release(&cp);
    bw_buf_release(&nk);
    bw_ledger_entry e;
    bw_buf b = BW_BUF_INIT(1 << 20);
    ok(bw_ledger_get(l, 3, &b, &e, &err) == BW_OK && strlen(e.signer) == 64 && bw_key_hint(ed, hint) == BW_OK &&
           strcmp(e.signer, hint) == 0,
       "entry 3 was signed by the Ed25519 key");
    bw_buf_release(&b);
    bw_ledger_close(l);
}

/* --------------------------------------------------------------------------------------------- */
/* (a) every byte of every stored value, flipped through SQL, is caught */

struct col {
    const char *table, *col, *key;
};

static bw_status verify_path(const char *path, bw_error *err)
{
    bw_ledger *l = NULL;
    bw_ledger_report rep;
    bw_status rc;
    bw_error_clear(err);
    rc = bw_ledger_open(&l, path, NULL, err);
    if (rc == BW_OK) {
        rc = bw_ledger_verify(l, NULL, &rep, err);
    }
    bw_ledger_close(l);
    return rc;
}

static void test_sql_flips(void)
{
    static const struct col cols[] = {
        {"entries", "body", "idx"},       {"entries", "leaf", "idx"}, {"nodes", "hash", "id"},
        {"batches", "root", "id"},        {"batches", "sig", "id"},   {"batches", "key_hint", "id"},
        {"checkpoints", "note", "batch"}, {"keys", "pem", "rowid"},   {"keys", "name", "rowid"},
        {"keys", "hint", "rowid"},        {"meta", "value", "rowid"},
    };
    static const struct col ints[] = {
        {"entries", "batch", "idx"},       {"batches", "first", "id"}, {"batches", "size", "id"},
        {"checkpoints", "size", "batch"},  {"keys", "added", "rowid"}, {"keys", "revoked", "rowid"},
        {"entries", "idx", "idx"},         {"nodes", "id", "id"},      {"batches", "id", "id"},
        {"checkpoints", "batch", "batch"},
    };
    bw_ledger *l = make_signed("flip.db", 0);
    char *path = tu_join(dir, "flip.db");
    bw_error err = {0};
    sqlite3 *db = NULL;

    bw_ledger_close(l);
    ok(verify_path(path, &err) == BW_OK, "the ledger verifies before tampering (%s)", err.msg);
    sqlite3_open(path, &db);
    for (size_t c = 0; c < BW_ARRAY_LEN(cols); c++) {
        char sql[256];
        sqlite3_stmt *st;
        int flips = 0, caught = 0;
        snprintf(sql, sizeof(sql), "SELECT %s, %s, typeof(%s) FROM %s", cols[c].key, cols[c].col, cols[c].col,
                 cols[c].table);
        sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        struct {
            sqlite3_int64 key;
            unsigned char *v;
            int n;
            bool text;
        } rows[64];
        int nr = 0;
        while (sqlite3_step(st) == SQLITE_ROW && nr < 64) {
            if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
                continue;
            }
            rows[nr].key = sqlite3_column_int64(st, 0);
            rows[nr].n = sqlite3_column_bytes(st, 1);
            rows[nr].text = sqlite3_column_type(st, 1) == SQLITE_TEXT;
            rows[nr].v = malloc((size_t)rows[nr].n + 1);
            memcpy(rows[nr].v, rows[nr].text ? sqlite3_column_text(st, 1) : sqlite3_column_blob(st, 1),
                   (size_t)rows[nr].n);
            nr++;
        }
        sqlite3_finalize(st);
        snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ?1 WHERE %s = ?2", cols[c].table, cols[c].col, cols[c].key);
        sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        for (int r = 0; r < nr; r++) {
            for (int i = 0; i < rows[r].n; i++) {
                for (int pass = 0; pass < 2; pass++) {
                    rows[r].v[i] ^= 0x01;
                    if (rows[r].text) {
                        sqlite3_bind_text(st, 1, (const char *)rows[r].v, rows[r].n, SQLITE_TRANSIENT);
                    } else {
                        sqlite3_bind_blob(st, 1, rows[r].v, rows[r].n, SQLITE_TRANSIENT);
                    }
                    sqlite3_bind_int64(st, 2, rows[r].key);
                    sqlite3_step(st);
                    sqlite3_reset(st);
                    if (pass == 0) {
                        flips++;
                        bw_status rc = verify_path(path, &err);
                        caught += rc != BW_OK;
                        if (rc == BW_OK) {
                            printf("# not caught: %s.%s row %lld byte %d\n", cols[c].table, cols[c].col,
                                   (long long)rows[r].key, i);
                        }
                    }
                }
            }
            free(rows[r].v);
        }
        sqlite3_finalize(st);
        ok(flips > 0 && caught == flips, "%s.%s: %d of %d byte flips caught", cols[c].table, cols[c].col, caught,
           flips);
    }
    for (size_t c = 0; c < BW_ARRAY_LEN(ints); c++) {
        char sql[256];
        int flips = 0, caught = 0;
        /* one row at a time: +1 then back */
        for (int r = 0; r < 40; r++) {
            snprintf(sql, sizeof(sql),
                     "UPDATE %s SET %s = %s + 1 WHERE rowid = (SELECT rowid FROM %s LIMIT 1 OFFSET %d)"
                     " AND %s IS NOT NULL",
                     ints[c].table, ints[c].col, ints[c].col, ints[c].table, r, ints[c].col);
            sqlite3_exec(db, sql, NULL, NULL, NULL);
            if (sqlite3_changes(db) == 0) {
                continue;
            }
            flips++;
            caught += verify_path(path, &err) != BW_OK;
            snprintf(sql, sizeof(sql),
                     "UPDATE %s SET %s = %s - 1 WHERE rowid = (SELECT rowid FROM %s LIMIT 1 OFFSET %d)"
                     " AND %s IS NOT NULL",
                     ints[c].table, ints[c].col, ints[c].col, ints[c].table, r, ints[c].col);
            sqlite3_exec(db, sql, NULL, NULL, NULL);
        }
        ok(flips > 0 && caught == flips, "%s.%s: %d of %d changed numbers caught", ints[c].table, ints[c].col, caught,
           flips);
    }
    ok(verify_path(path, &err) == BW_OK, "the ledger verifies again once every change is undone (%s)", err.msg);

    /* a signature stripped, a type changed, a row added or removed */
    struct {
        const char *sql, *what;
    } edits[] = {
        {"UPDATE batches SET key_hint = NULL, sig = NULL WHERE id = 2", "a batch signature stripped"},
        {"UPDATE entries SET batch = 1.5 WHERE idx = 1", "a real number where an integer belongs"},
        {"UPDATE entries SET body = CAST(body AS TEXT) WHERE idx = 1", "a blob stored as text"},
        {"INSERT INTO nodes(id, hash) VALUES (1000, zeroblob(32))", "an extra node"},
        {"DELETE FROM nodes WHERE id = 2", "a missing node"},
        {"DELETE FROM checkpoints WHERE batch = 2", "a missing checkpoint"},
        {"DELETE FROM checkpoints WHERE batch = 4", "the last checkpoint missing"},
        {"DELETE FROM keys WHERE name = 'ci-p256'", "a key registration missing from the keys table"},
        {"UPDATE keys SET revoked = NULL", "a revocation undone in the keys table"},
        {"INSERT INTO keys VALUES ('00', 'x', 'y', 1, NULL)", "an extra key"},
        {"DELETE FROM meta WHERE key = 'note_key'", "the note key dropped"},
        {"INSERT INTO checkpoints VALUES (9, 9, 'x')", "a checkpoint of no batch"},
        {"CREATE TRIGGER t AFTER INSERT ON entries BEGIN SELECT 1; END", "a trigger added"},
        {"CREATE INDEX i ON entries(batch)", "an index added"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(edits); i++) {
        sqlite3_exec(db, "SAVEPOINT s", NULL, NULL, NULL);
        int src = sqlite3_exec(db, edits[i].sql, NULL, NULL, NULL);
        sqlite3_exec(db, "RELEASE s", NULL, NULL, NULL);
        bw_status rc = verify_path(path, &err);
        ok(src == SQLITE_OK && rc != BW_OK, "%s is caught: %s", edits[i].what, err.msg);
        sqlite3_close(db);
        /* start again from a fresh copy of the ledger */
        remove(path);
        l = make_signed("flip.db", 0);
        bw_ledger_close(l);
        sqlite3_open(path, &db);
    }
    sqlite3_close(db);
    free(path);
}

/* (c) removed and reordered entries, a truncated or forked log */
static void test_structure(void)
{
    char *path = tu_join(dir, "struct.db");
    bw_error err = {0};
    sqlite3 *db;
    bw_ledger *l;

    struct {
        const char *sql, *what, *msg;
    } cases[] = {
        {"DELETE FROM entries WHERE idx = 3", "a removed entry", "entry 3 is missing"},
        {"UPDATE entries SET idx = idx + 100 WHERE idx = 5; UPDATE entries SET idx = 5 WHERE idx = 6;"
         " UPDATE entries SET idx = 6 WHERE idx = 105",
         "two entries swapped (rows and leaf hashes together)", "node"},
        {"UPDATE entries SET body = (SELECT body FROM entries WHERE idx = 2), leaf = (SELECT leaf FROM entries WHERE "
         "idx = 2) WHERE idx = 3",
         "an entry replaced by a copy of another", "node"},
        {"DELETE FROM entries WHERE idx = 7", "the last entry removed", "batch 4 ends at entry 8"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        remove(path);
        l = make_signed("struct.db", 0);
        bw_ledger_close(l);
        sqlite3_open(path, &db);
        int src = sqlite3_exec(db, cases[i].sql, NULL, NULL, NULL);
        sqlite3_close(db);
        bw_status rc = verify_path(path, &err);
        ok(src == SQLITE_OK && rc == BW_EVERIFY && strstr(err.msg, cases[i].msg) != NULL, "%s is caught: %s",
           cases[i].what, err.msg);
    }

    /* a whole last batch cut off leaves a consistent shorter log: only an old checkpoint shows it */
    remove(path);
    l = make_signed("struct.db", 0);
    bw_buf old = BW_BUF_INIT(1 << 20), mid = BW_BUF_INIT(1 << 20);
    bw_error_clear(&err);
    ok(bw_ledger_checkpoint(l, &old, &err) == BW_OK, "a client keeps the checkpoint of 8 entries");
    bw_ledger_close(l);
    sqlite3_open(path, &db);
    sqlite3_exec(db,
                 "DELETE FROM entries WHERE batch = 4; DELETE FROM nodes WHERE id >= 4; DELETE FROM batches WHERE "
                 "id = 4; DELETE FROM checkpoints WHERE batch = 4",
                 NULL, NULL, NULL);
    sqlite3_close(db);
    is_int(verify_path(path, &err), BW_OK, "a log cut back to a batch boundary verifies on its own (%s)", err.msg);
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    bw_ledger_report rep;
    vo.since = old.ptr;
    vo.since_len = old.len;
    l = NULL;
    bw_error_clear(&err);
    ok(bw_ledger_open(&l, path, NULL, &err) == BW_OK, "open");
    bw_error_clear(&err);
    is_int(bw_ledger_verify(l, &vo, &rep, &err), BW_EVERIFY, "but not against the client's checkpoint");
    like(err.msg, "the old checkpoint has 8 entries, the ledger only 7", "which says so");
    bw_ledger_close(l);

    /* a fork: the same origin and note key, different history after a common prefix */
    remove(path);
    bw_ledger *a = make_signed("struct.db", 0);
    ok(bw_ledger_checkpoint(a, &mid, &err) == BW_OK, "checkpoint of 8");
    bw_ledger *f = make_signed("fork.db", 0);
    add1(a, artifact(100, "a"), NULL, &err);
    add1(f, artifact(200, "mallory"), NULL, &err);
    bw_buf fork_cp = BW_BUF_INIT(1 << 20);
    ok(bw_ledger_checkpoint(f, &fork_cp, &err) == BW_OK, "the fork's checkpoint of 9");
    vo.since = fork_cp.ptr;
    vo.since_len = fork_cp.len;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(a, &vo, &rep, &err), BW_EVERIFY, "a checkpoint of the same size from a fork fails");
    like(err.msg, "fork: the old checkpoint's root at size 9", "and is called a fork");
    add1(a, artifact(101, "a"), NULL, &err);
    bw_error_clear(&err);
    is_int(bw_ledger_verify(a, &vo, &rep, &err), BW_EVERIFY, "also after the log grew past it");
    vo.since = mid.ptr;
    vo.since_len = mid.len;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(a, &vo, &rep, &err), BW_OK, "an honest old checkpoint proves the log only grew (%s)",
           err.msg);
    ok(rep.since_checked && rep.since_size == 8 && rep.entries == 10, "from 8 to 10 entries");
    /* a checkpoint signed by another key, and one of another origin */
    bw_note_signer other;
    bw_buf forged = BW_BUF_INIT(1 << 20);
    if (bw_note_signer_new("example.test/log", &other, &err) == BW_OK) {
        size_t tl = 0;
        const char *sep = strstr(mid.ptr, "\n\n");
        tl = sep != NULL ? (size_t)(sep - mid.ptr) + 1 : 0;
        ok(bw_note_sign(mid.ptr, tl, &other, &forged, &err) == BW_OK, "a checkpoint signed by another key");
        vo.since = forged.ptr;
        vo.since_len = forged.len;
        bw_error_clear(&err);
        is_int(bw_ledger_verify(a, &vo, &rep, &err), BW_EVERIFY, "is refused: %s", err.msg);
        bw_note_signer_clear(&other);
    }
    vo.since = "garbage";
    vo.since_len = 7;
    bw_error_clear(&err);
    is_int(bw_ledger_verify(a, &vo, &rep, &err), BW_EFORMAT, "a malformed old checkpoint is a format error");
    bw_buf_release(&forged);
    bw_buf_release(&old);
    bw_buf_release(&mid);
    bw_buf_release(&fork_cp);
    bw_ledger_close(a);
    bw_ledger_close(f);
    free(path);
}

/* --------------------------------------------------------------------------------------------- */
/* (b) every byte of a small ledger file flipped in turn */

/* The logical content of a database: every row of every table, with types; NULL if unreadable. */
static char *dump(const char *path)
{
    static const char *const tables[] = {"meta", "entries", "nodes", "batches", "checkpoints", "keys", "sqlite_schema"};
    bw_buf b = BW_BUF_INIT(1 << 24);
    sqlite3 *db = NULL;
    bool bad = false;
    char *out = NULL;
    size_t n;

    char uri[4300];
    snprintf(uri, sizeof(uri), "file:%s?immutable=1", path);
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    for (size_t t = 0; t < BW_ARRAY_LEN(tables) && !bad; t++) {
        char sql[128];
        sqlite3_stmt *st = NULL;
        int rc;
        snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY rowid", tables[t]);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            bad = true;
            break;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                int ty = sqlite3_column_type(st, c);
                const void *p = ty == SQLITE_BLOB ? sqlite3_column_blob(st, c) : sqlite3_column_text(st, c);
                int len = sqlite3_column_bytes(st, c);
                bw_buf_printf(&b, "%d:%d:", ty, len);
                if (p != NULL) {
                    bw_buf_add(&b, p, (size_t)len);
                }
            }
            bw_buf_addc(&b, '\n');
        }
        bad = rc != SQLITE_DONE;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    if (bad || bw_buf_take(&b, &out, &n) != BW_OK) {
        bw_buf_release(&b);
        return NULL;
    }
    return out;
}

static void test_file_flips(void)
{
    bw_ledger *l = make_signed("small.db", 512);
    char *path = tu_join(dir, "small.db"), *copy = tu_join(dir, "copy.db");
    char wal[4200], shm[4200];
    size_t n = 0;
    bw_error err = {0};

    bw_ledger_close(l);
    char *orig = tu_read(path, &n), *want = dump(path);
    ok(orig != NULL && want != NULL && n > 0, "a small ledger file of %zu bytes (512-byte pages)", n);
    if (orig == NULL || want == NULL) {
        free(orig);
        bw_free(want);
        return;
    }
    snprintf(wal, sizeof(wal), "%s-wal", copy);
    snprintf(shm, sizeof(shm), "%s-shm", copy);
    size_t failed = 0, corrupt = 0, same = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        orig[i] ^= 0x20;
        remove(wal);
        remove(shm);
        tu_write(dir, "copy.db", orig, n);
        char *got = dump(copy);
        bool unchanged = got != NULL && strcmp(got, want) == 0;
        bw_free(got);
        orig[i] ^= 0x20; /* dump() opened the copy immutable: it is still the flipped file */
        remove(wal);
        remove(shm);
        bw_status rc = verify_path(copy, &err);
        if (rc == BW_EVERIFY) {
            failed++;
        } else if (rc != BW_OK) {
            corrupt++;
        } else if (unchanged) {
            same++;
        } else {
            bad++;
            if (bad <= 5) {
                printf("# byte %zu (page %zu, offset %zu): verify passed but the content changed\n", i, i / 512,
                       i % 512);
            }
        }
    }
    ok(bad == 0,
       "each of %zu flipped bytes: verify fails (%zu), the store is unreadable (%zu) or the content is "
       "unchanged (%zu); %zu otherwise",
       n, failed, corrupt, same, bad);
    ok(failed > 0 && same > 0, "both tampering and unused bytes were seen");
    free(orig);
    bw_free(want);
    free(path);
    free(copy);
}

/* --------------------------------------------------------------------------------------------- */
/* (e) two writer processes */

static void test_concurrent(void)
{
    char *path = tu_join(dir, "conc.db");
    bw_error err = {0};
    pid_t p1, p2;
    int s1 = -1, s2 = -1;
    bw_ledger *l = open_new("conc.db", "example.test/concurrent", 0);

    bw_ledger_close(l);
    p1 = fork();
    if (p1 == 0) {
        writer(path, "w1", 40);
    }
    p2 = fork();
    if (p2 == 0) {
        writer(path, "w2", 40);
    }
    waitpid(p1, &s1, 0);
    waitpid(p2, &s2, 0);
    ok(WIFEXITED(s1) && WEXITSTATUS(s1) == 0 && WIFEXITED(s2) && WEXITSTATUS(s2) == 0, "both writers finished");
    l = NULL;
    ok(bw_ledger_open(&l, path, NULL, &err) == BW_OK, "open");
    if (l != NULL) {
        bw_ledger_report rep;
        struct tally t = {0};
        is_int(bw_ledger_verify(l, NULL, &rep, &err), BW_OK, "the ledger verifies (%s)", err.msg);
        ok(rep.entries == 400 && rep.batches == 80 && rep.checkpoints == 80, "400 entries, 80 batches, 80 checkpoints");
        ok(bw_ledger_each(l, 0, count_actor, &t, &err) == BW_OK && t.w1 == 200 && t.w2 == 200 && t.mixed == 0,
           "200 entries of each writer, no batch mixed (w1 %d, w2 %d, mixed %d)", t.w1, t.w2, t.mixed);
        bw_ledger_close(l);
    }
    free(path);
}

int main(void)
{
    bw_error err = {0};

    /* on tmpfs when there is one: SQLite syncs the file on every commit, open and close */
    char shm[] = "/dev/shm/bwledger.XXXXXX";
    dir = mkdtemp(shm) != NULL ? strdup(shm) : tu_tmpdir();
    if (bw_key_generate(BW_KEY_P256, &p256, &err) != BW_OK || bw_key_generate(BW_KEY_ED25519, &ed, &err) != BW_OK ||
        bw_key_generate(BW_KEY_P256, &stranger, &err) != BW_OK ||
        bw_note_signer_new("example.test/log", &note_signer, &err) != BW_OK) {
        printf("# keys: %s\n", err.msg);
        return 1;
    }
    test_canonical();
    test_tree_and_proofs();
    test_signed();
    test_sql_flips();
    test_structure();
    /* the concurrent ledger's origin differs: a signer of that name */
    bw_note_signer_clear(&note_signer);
    if (bw_note_signer_new("example.test/concurrent", &note_signer, &err) == BW_OK) {
        test_concurrent();
    }
    bw_note_signer_clear(&note_signer);
    if (bw_note_signer_new("example.test/log", &note_signer, &err) == BW_OK) {
        test_file_flips();
    }
    bw_note_signer_clear(&note_signer);
    bw_key_free(p256);
    bw_key_free(ed);
    bw_key_free(stranger);
    tu_rm_rf(dir);
    free(dir);
    return done_testing();
}
