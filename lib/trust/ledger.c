/*
 * ledger.c - the tamper-evident ledger (see bw_ledger.h and docs/ledger.md):
 * canonical entries, the RFC 9162 tree kept as stored complete subtrees,
 * batch appends with signed tree heads and checkpoints, proofs, and verify.
 *
 * Invariants of a store holding n entries in batches 1..B:
 *   - entries idx 0..n-1, each in the batch whose [first, size) holds it;
 *     leaf = SHA-256(0x00 || body), body canonical JSON;
 *   - nodes: exactly the n - popcount(n) complete subtrees of two or more
 *     leaves, numbered in the order they complete (post-order), so appends
 *     add rows at the end and verify reads them in one pass;
 *   - batch k: first = size of batch k-1 (0 for the first), root = MTH of
 *     the first `size` entries, signature over the batch statement;
 *   - checkpoints: one per batch from the first checkpointed one on, the
 *     note's text being the expected checkpoint byte for byte.
 * The tree's right edge (the complete subtrees of the current size, at
 * most 64) is kept in memory, so an append reads O(log n) stored hashes
 * only when another process appended in between.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_ledger.h"
#include "trust/digest_internal.h"
#include "trust/ledger_store.h"
#include "util/internal.h"

#define FORMAT_VERSION "1"
#define MAX_DEPTH 32
#define STATEMENT_TAG "bulwark-ledger-batch/v1"

struct edge {
    unsigned level[64];
    bw_mhash h[64];
    unsigned n;
};

struct bw_ledger {
    const struct ledger_store_ops *ops;
    struct ledger_store *st;
    char origin[BW_LEDGER_MAX_ORIGIN + 1];
    EVP_MD_CTX *ctx;
    /* the right edge for `edge_size` entries, valid when edge_ok */
    struct edge edge;
    uint64_t edge_size;
    bool edge_ok;
    /* a proof's lookups, recorded by a dry run and fetched at once (stores with prefetch) */
    bool planning;
    struct ledger_ref plan[LEDGER_MAX_PREFETCH];
    size_t n_plan;
};

/* ------------------------------------------------------------------------------------------------
 * Hashing with one reused context
 */

static void sha256_2(EVP_MD_CTX *ctx, const void *a, size_t an, const void *b, size_t bn, const void *c, size_t cn,
                     uint8_t out[32])
{
    unsigned int len = 0;
    memset(out, 0, 32);
    if (EVP_DigestInit_ex(ctx, bw_digest_md(BW_ALGO_SHA256), NULL) == 1 && EVP_DigestUpdate(ctx, a, an) == 1 &&
        (bn == 0 || EVP_DigestUpdate(ctx, b, bn) == 1) && (cn == 0 || EVP_DigestUpdate(ctx, c, cn) == 1)) {
        EVP_DigestFinal_ex(ctx, out, &len);
    }
}

static void leaf_hash(EVP_MD_CTX *ctx, const void *p, size_t n, bw_mhash *out)
{
    static const uint8_t zero = 0;
    sha256_2(ctx, &zero, 1, p, n, NULL, 0, out->b);
}

static void node_hash(EVP_MD_CTX *ctx, const bw_mhash *l, const bw_mhash *r, bw_mhash *out)
{
    static const uint8_t one = 1;
    bw_mhash a = *l, b = *r;
    sha256_2(ctx, &one, 1, a.b, 32, b.b, 32, out->b);
}

static bool same_hash(const void *a, const void *b)
{
    return CRYPTO_memcmp(a, b, BW_MERKLE_HASH) == 0;
}

/* ------------------------------------------------------------------------------------------------
 * Canonical JSON: objects with members sorted by key bytes, no whitespace, strings with only the
 * escapes \" \\ \b \f \n \r \t and \u00xx (lowercase) for other control characters, integers
 * in plain decimal (no reals), true, false, null. RFC 8785 (JCS) for this subset, except that keys
 * sort by UTF-8 bytes rather than UTF-16 code units (the same order for ASCII keys).
 */

static bw_status canon_str(bw_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    BW_TRY(bw_buf_addc(out, '"'));
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        BW_TRY(bw_buf_add(out, s + run, i - run));
        run = i + 1;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
            break;
        }
        BW_TRY(bw_buf_addstr(out, esc));
    }
    BW_TRY(bw_buf_add(out, s + run, n - run));
    return bw_buf_addc(out, '"');
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bw_status canon_value(const json_t *v, int depth, bw_buf *out, bw_error *err)
{
    if (depth > MAX_DEPTH) {
        return bw_fail(err, BW_ELIMIT, "entry nests deeper than %d levels", MAX_DEPTH);
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = n > 0 ? bw_calloc(n, sizeof(*keys)) : NULL;
        bw_status rc = BW_OK;
        if (n > 0 && keys == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        for (void *it = json_object_iter((json_t *)v); it != NULL && i < n;
             it = json_object_iter_next((json_t *)v, it)) {
            keys[i++] = json_object_iter_key(it);
        }
        if (i > 1) {
            qsort(keys, i, sizeof(*keys), key_cmp);
        }
        rc = bw_buf_addc(out, '{');
        for (size_t k = 0; k < i && rc == BW_OK; k++) {
            if (k > 0) {
                rc = bw_buf_addc(out, ',');
            }
            rc = rc == BW_OK ? canon_str(out, keys[k], strlen(keys[k])) : rc;
            rc = rc == BW_OK ? bw_buf_addc(out, ':') : rc;
            rc = rc == BW_OK ? canon_value(json_object_get(v, keys[k]), depth + 1, out, err) : rc;
        }
        bw_free(keys);
        BW_TRY(rc);
        return bw_buf_addc(out, '}');
    }
    case JSON_ARRAY:
        BW_TRY(bw_buf_addc(out, '['));
        for (size_t k = 0; k < json_array_size(v); k++) {
            if (k > 0) {
                BW_TRY(bw_buf_addc(out, ','));
            }
            BW_TRY(canon_value(json_array_get(v, k), depth + 1, out, err));
        }
        return bw_buf_addc(out, ']');
    case JSON_STRING: return canon_str(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return bw_buf_printf(out, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: return bw_fail(err, BW_EFORMAT, "entry holds a real number (only integers are canonical)");
    case JSON_TRUE: return bw_buf_addstr(out, "true");
    case JSON_FALSE: return bw_buf_addstr(out, "false");
    case JSON_NULL: return bw_buf_addstr(out, "null");
    }
    return bw_fail(err, BW_EFORMAT, "entry holds an unknown JSON value");
}

/* Parse JSON text (one object) into *out; BW_EFORMAT naming line and column. */
static bw_status parse_json(const char *json, size_t n, json_t **out, bw_error *err)
{
    json_error_t je;

    *out = NULL;
    if (n > BW_LEDGER_MAX_ENTRY) {
        return bw_fail(err, BW_ELIMIT, "entry of %zu bytes is over the %zu-byte limit", n, BW_LEDGER_MAX_ENTRY);
    }
    *out = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
    if (*out == NULL) {
        return bw_fail_at(err, BW_EFORMAT, (uint64_t)(je.position > 0 ? je.position : 0),
                          "entry is not JSON: line %d, column %d: %s", je.line, je.column, je.text);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return bw_fail(err, BW_EFORMAT, "an entry is a JSON object");
    }
    return BW_OK;
}

/* Canonical bytes of any JSON object, without the entry model (also the fuzz target's oracle). */
bw_status bw_ledger_json_canonical(const char *json, size_t n, bw_buf *out, bw_error *err)
{
    json_t *root;
    bw_status rc;

    BW_TRY(parse_json(json, n, &root, err));
    rc = canon_value(root, 1, out, err);
    json_decref(root);
    if (rc == BW_OK && out->err != BW_OK) {
        rc = out->err;
    }
    if (rc != BW_OK && (err == NULL || err->code == BW_OK)) {
        rc = bw_fail(err, rc, "cannot write the canonical entry: %s", bw_strerror(rc));
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------------
 * The entry model (/work/notes/entry-model.md, docs/ledger.md): required fields by kind, types
 * of the known optional ones. Other fields are kept (newer writers may add some).
 */

enum ftype {
    F_STR = 1,       /* non-empty string */
    F_UINT = 2,      /* integer >= 0 */
    F_INT = 4,       /* any integer */
    F_DIGEST = 8,    /* {"sha256": 64 lowercase hex, other algorithms: lowercase hex} */
    F_NULL = 16,     /* null allowed */
    F_TIME = 32,     /* RFC 3339 UTC: YYYY-MM-DDTHH:MM:SS[.frac]Z */
    F_RES = 64,      /* array of {"name", "digest", ["size"]} */
    F_STRS = 128,    /* array of strings */
    F_ENV = 256,     /* object of strings */
    F_HEX64 = 512,   /* 64 lowercase hex */
    F_ANYSTR = 1024, /* string, may be empty */
};

struct field {
    const char *name;
    unsigned type;
    bool required;
    const char *const *values; /* allowed values of a string, or NULL */
};

static const char *const verdicts[] = {"pass", "fail", "warn", NULL};
static const char *const decisions[] = {"override", "approve", "reject", NULL};
static const char *const events[] = {"added", "revoked", NULL};

static const struct field f_common[] = {
    {"kind", F_STR, true, NULL},
    {"time", F_TIME, true, NULL},
    {"actor", F_STR, true, NULL},
    {NULL, 0, false, NULL},
};
static const struct field f_artifact[] = {
    {"name", F_STR, true, NULL},
    {"digest", F_DIGEST, true, NULL},
    {"media_type", F_STR | F_NULL, false, NULL},
    {"size", F_UINT | F_NULL, false, NULL},
    {NULL, 0, false, NULL},
};
static const struct field f_stage_run[] = {
    {"stage", F_STR, true, NULL},
    {"run_id", F_STR, true, NULL},
    {"inputs", F_RES, false, NULL},
    {"outputs", F_RES, false, NULL},
    {"command", F_STRS, false, NULL},
    {"commit", F_STR | F_NULL, false, NULL},
    {"parameters_digest", F_DIGEST | F_NULL, false, NULL},
    {"environment", F_ENV, false, NULL},
    {"started", F_TIME | F_NULL, false, NULL},
    {"ended", F_TIME | F_NULL, false, NULL},
    {"exit_status", F_INT, false, NULL},
    {NULL, 0, false, NULL},
};
static const struct field f_gate[] = {
    {"check", F_STR, true, NULL},
    {"verdict", F_STR, true, verdicts},
    {"stage", F_STR, false, NULL},
    {"run_id", F_STR, false, NULL},
    {"findings_digest", F_DIGEST | F_NULL, false, NULL},
    {"subject", F_DIGEST | F_NULL, false, NULL},
    {NULL, 0, false, NULL},
};
static const struct field f_approval[] = {
    {"target", F_UINT | F_DIGEST, true, NULL},
    {"decision", F_STR, true, decisions},
    {"reason", F_STR, true, NULL},
    {NULL, 0, false, NULL},
};
static const struct field f_key[] = {
    {"event", F_STR, true, events},     {"name", F_STR, true, NULL}, {"key_hint", F_HEX64, true, NULL},
    {"public_key", F_STR, false, NULL}, {NULL, 0, false, NULL},
};

static const struct {
    const char *kind;
    const struct field *fields;
} kinds[] = {
    {"artifact", f_artifact}, {"stage_run", f_stage_run}, {"gate", f_gate}, {"approval", f_approval}, {"key", f_key},
};

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return n > 0;
}

static bool digits(const char *s, size_t n, unsigned lo, unsigned hi)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v >= lo && v <= hi;
}

static bool time_ok(const char *s, size_t n)
{
    /* 2026-11-24T10:00:00Z or 2026-11-24T10:00:00.123Z */
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[n - 1] != 'Z') {
        return false;
    }
    if (!digits(s, 4, 0, 9999) || !digits(s + 5, 2, 1, 12) || !digits(s + 8, 2, 1, 31) || !digits(s + 11, 2, 0, 23) ||
        !digits(s + 14, 2, 0, 59) || !digits(s + 17, 2, 0, 60)) {
        return false;
    }
    if (n == 20) {
        return true;
    }
    return n > 21 && n <= 30 && s[19] == '.' && digits(s + 20, n - 21, 0, 999999999);
}

static bool digest_ok(const json_t *v)
{
    const json_t *sha = json_object_get(v, "sha256");
    const char *k;
    json_t *x;

    if (!json_is_object(v) || !json_is_string(sha) || json_string_length(sha) != 64) {
        return false;
    }
    json_object_foreach((json_t *)v, k, x)
    {
        if (!json_is_string(x) || !is_hex(json_string_value(x), json_string_length(x))) {
            return false;
        }
    }
    return true;
}

/*
 * A stage run's input or output may be known by another digest than SHA-256 (DVC's md5): a set
 * of 1 to 4 algorithm -> lowercase hex members, SHA-256 (when present) of 64 digits.
 */
static bool digest_set_ok(const json_t *v)
{
    const json_t *sha = json_object_get(v, "sha256");
    const char *k;
    json_t *x;

    if (!json_is_object(v) || json_object_size(v) == 0 || json_object_size(v) > 4 ||
        (sha != NULL && (!json_is_string(sha) || json_string_length(sha) != 64))) {
        return false;
    }
    json_object_foreach((json_t *)v, k, x)
    {
        if (!json_is_string(x) || !is_hex(json_string_value(x), json_string_length(x)) || k[0] == '\0') {
            return false;
        }
    }
    return true;
}

static bool type_ok(const json_t *v, unsigned t)
{
    if ((t & F_NULL) && json_is_null(v)) {
        return true;
    }
    if ((t & (F_STR | F_ANYSTR)) && json_is_string(v) && (json_string_length(v) > 0 || (t & F_ANYSTR))) {
        return true;
    }
    if ((t & F_INT) && json_is_integer(v)) {
        return true;
    }
    if ((t & F_UINT) && json_is_integer(v) && json_integer_value(v) >= 0) {
        return true;
    }
    if ((t & F_DIGEST) && digest_ok(v)) {
        return true;
    }
    if ((t & F_TIME) && json_is_string(v) && time_ok(json_string_value(v), json_string_length(v))) {
        return true;
    }
    if ((t & F_HEX64) && json_is_string(v) && json_string_length(v) == 64 &&
        is_hex(json_string_value(v), json_string_length(v))) {
        return true;
    }
    if ((t & F_STRS) && json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (!json_is_string(json_array_get(v, i))) {
                return false;
            }
        }
        return true;
    }
    if ((t & F_ENV) && json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (!json_is_string(x)) {
                return false;
            }
        }
        return true;
    }
    if ((t & F_RES) && json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *r = json_array_get(v, i), *sz = json_object_get(r, "size");
            if (!json_is_object(r) || !type_ok(json_object_get(r, "name"), F_STR) ||
                !digest_set_ok(json_object_get(r, "digest")) || (sz != NULL && !type_ok(sz, F_UINT | F_NULL))) {
                return false;
            }
        }
        return true;
    }
    return false;
}

static bw_status check_fields(const json_t *e, const struct field *fs, const char *kind, bw_error *err)
{
    for (const struct field *f = fs; f->name != NULL; f++) {
        const json_t *v = json_object_get(e, f->name);
        if (v == NULL) {
            if (f->required) {
                return bw_fail(err, BW_EFORMAT, "%s entry: field '%s' is missing", kind, f->name);
            }
            continue;
        }
        if (!type_ok(v, f->type)) {
            return bw_fail(err, BW_EFORMAT, "%s entry: field '%s' has the wrong type or form", kind, f->name);
        }
        if (f->values != NULL) {
            bool found = false;
            for (const char *const *a = f->values; *a != NULL; a++) {
                found = found || strcmp(*a, json_string_value(v)) == 0;
            }
            if (!found) {
                return bw_fail(err, BW_EFORMAT, "%s entry: field '%s' is not one of the allowed values", kind, f->name);
            }
        }
    }
    return BW_OK;
}

static bw_status check_model(const json_t *e, bw_error *err)
{
    const json_t *k = json_object_get(e, "kind");

    if (!json_is_string(k)) {
        return bw_fail(err, BW_EFORMAT, "entry: field 'kind' is missing or not a string");
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(kinds); i++) {
        if (strcmp(kinds[i].kind, json_string_value(k)) == 0) {
            BW_TRY(check_fields(e, f_common, kinds[i].kind, err));
            BW_TRY(check_fields(e, kinds[i].fields, kinds[i].kind, err));
            if (i == BW_ARRAY_LEN(kinds) - 1 && strcmp(json_string_value(json_object_get(e, "event")), "added") == 0 &&
                json_object_get(e, "public_key") == NULL) {
                return bw_fail(err, BW_EFORMAT, "key entry: an added key needs field 'public_key'");
            }
            return BW_OK;
        }
    }
    return bw_fail(err, BW_EFORMAT, "entry: unknown kind (artifact, stage_run, gate, approval or key)");
}

bw_status bw_ledger_entry_canonical(const char *json, size_t n, bw_buf *out, bw_error *err)
{
    json_t *root;
    bw_status rc;

    BW_TRY(parse_json(json, n, &root, err));
    rc = check_model(root, err);
    if (rc == BW_OK) {
        rc = canon_value(root, 1, out, err);
        if (rc == BW_OK && out->err != BW_OK) {
            rc = out->err;
        }
        if (rc != BW_OK && (err == NULL || err->code == BW_OK)) {
            rc = bw_fail(err, rc, "cannot write the canonical entry: %s", bw_strerror(rc));
        }
    }
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------------------------------
 * The canonical-form checker for stored bytes: one pass, no allocation. It accepts exactly what
 * canon_value writes (fuzz_ledger checks both directions).
 */

struct scan {
    const uint8_t *p;
    size_t n, i;
    bw_error *err;
};

static bw_status scan_fail(struct scan *s, const char *what)
{
    return bw_fail_at(s->err, BW_EFORMAT, s->i, "entry byte %zu: %s", s->i, what);
}

/* The next decoded byte of a canonical string at *i (s->p[*i] is inside the string, not the quote). */
static int str_byte(const uint8_t *p, size_t *i)
{
    uint8_t c = p[(*i)++];
    if (c != '\\') {
        return c;
    }
    c = p[(*i)++];
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': {
        int v = bw_hexval(p[*i + 2]) << 4 | bw_hexval(p[*i + 3]);
        *i += 4;
        return v;
    }
    default: return c; /* \" or \\ */
    }
}

/* Compare two canonical strings (spans between their quotes) by decoded bytes. */
static int str_cmp(const uint8_t *p, size_t a, size_t a_end, size_t b, size_t b_end)
{
    while (a < a_end && b < b_end) {
        int x = str_byte(p, &a), y = str_byte(p, &b);
        if (x != y) {
            return x - y;
        }
    }
    return (a < a_end) - (b < b_end);
}

/* A canonical string at s->i (the opening quote); *start, *end: the span inside the quotes. */
static bw_status scan_str(struct scan *s, size_t *start, size_t *end)
{
    s->i++;
    *start = s->i;
    while (s->i < s->n) {
        uint8_t c = s->p[s->i];
        if (c == '"') {
            *end = s->i++;
            return BW_OK;
        }
        if (c < 0x20) {
            return scan_fail(s, "a control character in a string is not escaped");
        }
        if (c != '\\') {
            s->i++;
            continue;
        }
        if (s->i + 1 >= s->n) {
            break;
        }
        c = s->p[s->i + 1];
        if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
            s->i += 2;
            continue;
        }
        if (c != 'u' || s->i + 6 > s->n || s->p[s->i + 2] != '0' || s->p[s->i + 3] != '0') {
            return scan_fail(s, "an escape that is not canonical");
        }
        uint8_t h = s->p[s->i + 4], l = s->p[s->i + 5];
        bool lhex = (l >= '0' && l <= '9') || (l >= 'a' && l <= 'f');
        int v = (h == '0' || h == '1') && lhex ? (h - '0') << 4 | bw_hexval(l) : -1;
        if (v <= 0 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t') {
            return scan_fail(s, "an escape that is not canonical");
        }
        s->i += 6;
    }
    return scan_fail(s, "the string does not end");
}

static bw_status scan_value(struct scan *s, int depth);

static bw_status scan_number(struct scan *s)
{
    size_t start = s->i;
    bool neg = s->p[s->i] == '-';
    uint64_t v = 0;

    if (neg) {
        s->i++;
    }
    if (s->i >= s->n || s->p[s->i] < '0' || s->p[s->i] > '9') {
        return scan_fail(s, "a number without digits");
    }
    if (s->p[s->i] == '0') {
        s->i++;
        if (neg) {
            return scan_fail(s, "-0 is not canonical");
        }
    } else {
        while (s->i < s->n && s->p[s->i] >= '0' && s->p[s->i] <= '9') {
            uint64_t d = (uint64_t)(s->p[s->i] - '0');
            if (v > (UINT64_MAX - d) / 10) {
                return scan_fail(s, "an integer out of range");
            }
            v = v * 10 + d;
            s->i++;
        }
        if (v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
            s->i = start;
            return scan_fail(s, "an integer out of range");
        }
    }
    if (s->i < s->n &&
        (s->p[s->i] == '.' || s->p[s->i] == 'e' || s->p[s->i] == 'E' || (s->p[s->i] >= '0' && s->p[s->i] <= '9'))) {
        return scan_fail(s, "a number that is not a canonical integer");
    }
    return BW_OK;
}

static bw_status scan_object(struct scan *s, int depth, size_t *kind_start, size_t *kind_end)
{
    size_t pk = 0, pk_end = 0; /* the previous key */
    bool first = true;

    s->i++; /* '{' */
    if (s->i < s->n && s->p[s->i] == '}') {
        s->i++;
        return BW_OK;
    }
    for (;;) {
        size_t ks, ke;
        if (s->i >= s->n || s->p[s->i] != '"') {
            return scan_fail(s, "expected a key");
        }
        BW_TRY(scan_str(s, &ks, &ke));
        if (!first && str_cmp(s->p, pk, pk_end, ks, ke) >= 0) {
            s->i = ks;
            return scan_fail(s, "keys are not in canonical order (or repeat)");
        }
        first = false;
        pk = ks;
        pk_end = ke;
        if (s->i >= s->n || s->p[s->i] != ':') {
            return scan_fail(s, "expected ':'");
        }
        s->i++;
        if (kind_start != NULL && ke - ks == 4 && memcmp(s->p + ks, "kind", 4) == 0) {
            if (s->i >= s->n || s->p[s->i] != '"') {
                return scan_fail(s, "'kind' is not a string");
            }
            BW_TRY(scan_str(s, kind_start, kind_end));
        } else {
            BW_TRY(scan_value(s, depth + 1));
        }
        if (s->i >= s->n) {
            return scan_fail(s, "the object does not end");
        }
        if (s->p[s->i] == '}') {
            s->i++;
            return BW_OK;
        }
        if (s->p[s->i] != ',') {
            return scan_fail(s, "expected ',' or '}'");
        }
        s->i++;
    }
}

static bw_status scan_value(struct scan *s, int depth)
{
    if (depth > MAX_DEPTH) {
        return scan_fail(s, "nesting too deep");
    }
    if (s->i >= s->n) {
        return scan_fail(s, "a value is missing");
    }
    switch (s->p[s->i]) {
    case '{': return scan_object(s, depth, NULL, NULL);
    case '[':
        s->i++;
        if (s->i < s->n && s->p[s->i] == ']') {
            s->i++;
            return BW_OK;
        }
        for (;;) {
            BW_TRY(scan_value(s, depth + 1));
            if (s->i >= s->n) {
                return scan_fail(s, "the array does not end");
            }
            if (s->p[s->i] == ']') {
                s->i++;
                return BW_OK;
            }
            if (s->p[s->i] != ',') {
                return scan_fail(s, "expected ',' or ']'");
            }
            s->i++;
        }
    case '"': {
        size_t a, b;
        return scan_str(s, &a, &b);
    }
    case 't':
    case 'f':
    case 'n': {
        static const char *const lits[] = {"true", "false", "null"};
        for (size_t k = 0; k < 3; k++) {
            size_t l = strlen(lits[k]);
            if (s->n - s->i >= l && memcmp(s->p + s->i, lits[k], l) == 0) {
                s->i += l;
                return BW_OK;
            }
        }
        return scan_fail(s, "not a JSON value");
    }
    default:
        if (s->p[s->i] == '-' || (s->p[s->i] >= '0' && s->p[s->i] <= '9')) {
            return scan_number(s);
        }
        return scan_fail(s, "not a JSON value (or whitespace)");
    }
}

bw_status bw_ledger_entry_check(const void *bytes, size_t n, char kind[16], bw_error *err)
{
    struct scan s = {bytes, n, 0, err};
    size_t ks = 0, ke = 0;

    kind[0] = '\0';
    if (n > BW_LEDGER_MAX_ENTRY) {
        return bw_fail(err, BW_ELIMIT, "entry of %zu bytes is over the limit", n);
    }
    if (n == 0 || s.p[0] != '{') {
        return scan_fail(&s, "an entry is a JSON object");
    }
    if (!bw_utf8_valid(bytes, n)) {
        return bw_fail(err, BW_EFORMAT, "entry is not UTF-8");
    }
    BW_TRY(scan_object(&s, 1, &ks, &ke));
    if (s.i != n) {
        return scan_fail(&s, "bytes after the object");
    }
    if (ke <= ks || ke - ks > 15) {
        return bw_fail(err, BW_EFORMAT, "entry has no 'kind' (or a long one)");
    }
    for (size_t i = ks; i < ke; i++) {
        if (!((s.p[i] >= 'a' && s.p[i] <= 'z') || s.p[i] == '_')) {
            return bw_fail_at(err, BW_EFORMAT, i, "entry byte %zu: a kind is lowercase letters and '_'", i);
        }
    }
    memcpy(kind, s.p + ks, ke - ks);
    kind[ke - ks] = '\0';
    return BW_OK;
}

/* ------------------------------------------------------------------------------------------------
 * The tree as stored subtrees
 */

/* The post-order number of the complete subtree of 2^level leaves (level >= 1) ending at leaf end-1. */
static uint64_t node_id(unsigned level, uint64_t end)
{
    return (end - 1) - (uint64_t)__builtin_popcountll(end - 1) + (level - 1);
}

/* Add leaf number `count` (0-based) to the edge; fn is called for every subtree completed. */
typedef bw_status (*node_fn)(void *ud, uint64_t id, const bw_mhash *h);

static bw_status edge_push(EVP_MD_CTX *ctx, struct edge *e, uint64_t count, const bw_mhash *leaf, node_fn fn, void *ud)
{
    e->level[e->n] = 0;
    e->h[e->n++] = *leaf;
    while (e->n >= 2 && e->level[e->n - 1] == e->level[e->n - 2]) {
        node_hash(ctx, &e->h[e->n - 2], &e->h[e->n - 1], &e->h[e->n - 2]);
        e->level[e->n - 2]++;
        e->n--;
        BW_TRY(fn(ud, node_id(e->level[e->n - 1], count + 1), &e->h[e->n - 1]));
    }
    return BW_OK;
}

static void edge_root(EVP_MD_CTX *ctx, const struct edge *e, bw_mhash *root)
{
    if (e->n == 0) {
        sha256_2(ctx, "", 0, NULL, 0, NULL, 0, root->b);
        return;
    }
    *root = e->h[e->n - 1];
    for (unsigned i = e->n - 1; i-- > 0;) {
        node_hash(ctx, &e->h[i], root, root);
    }
}

/* The stored hash of the complete, aligned subtree of 2^level leaves starting at leaf lo. */
static bw_status subtree(bw_ledger *l, unsigned level, uint64_t lo, bw_mhash *h, bw_error *err)
{
    if (l->planning) {
        /* a dry run: note the lookup (past the cap, the real run asks the store itself) */
        if (l->n_plan < LEDGER_MAX_PREFETCH) {
            l->plan[l->n_plan].leaf = level == 0;
            l->plan[l->n_plan++].id = level == 0 ? lo : node_id(level, lo + ((uint64_t)1 << level));
        }
        memset(h->b, 0, sizeof(h->b));
        return BW_OK;
    }
    if (level == 0) {
        return l->ops->get_leaf(l->st, lo, h, err);
    }
    return l->ops->get_node(l->st, node_id(level, lo + ((uint64_t)1 << level)), h, err);
}

static unsigned log2_u64(uint64_t n)
{
    return 63u - (unsigned)__builtin_clzll(n);
}

/* MTH(D[lo:hi]) from stored subtrees (the ranges of RFC 9162's recursion are always aligned). */
static bw_status range_hash(bw_ledger *l, uint64_t lo, uint64_t hi, bw_mhash *h, bw_error *err)
{
    uint64_t n = hi - lo;
    bw_mhash a, b;

    if ((n & (n - 1)) == 0) {
        return subtree(l, log2_u64(n), lo, h, err);
    }
    uint64_t k = (uint64_t)1 << log2_u64(n - 1);
    BW_TRY(subtree(l, log2_u64(k), lo, &a, err));
    BW_TRY(range_hash(l, lo + k, hi, &b, err));
    node_hash(l->ctx, &a, &b, h);
    return BW_OK;
}

static bw_status proof_add(bw_mhash *proof, size_t *len, const bw_mhash *h, bw_error *err)
{
    if (*len >= BW_MERKLE_MAX_PROOF) {
        return bw_fail(err, BW_ELIMIT, "proof longer than %d hashes", BW_MERKLE_MAX_PROOF);
    }
    proof[(*len)++] = *h;
    return BW_OK;
}

/* RFC 9162 2.1.3.1 PATH(m, D[lo:hi]) */
static bw_status path(bw_ledger *l, uint64_t m, uint64_t lo, uint64_t hi, bw_mhash *proof, size_t *len, bw_error *err)
{
    bw_mhash h;
    if (hi - lo <= 1) {
        return BW_OK;
    }
    uint64_t k = (uint64_t)1 << log2_u64(hi - lo - 1);
    if (m < lo + k) {
        BW_TRY(path(l, m, lo, lo + k, proof, len, err));
        BW_TRY(range_hash(l, lo + k, hi, &h, err));
    } else {
        BW_TRY(path(l, m, lo + k, hi, proof, len, err));
        BW_TRY(range_hash(l, lo, lo + k, &h, err));
    }
    return proof_add(proof, len, &h, err);
}

/* RFC 9162 2.1.4.1 SUBPROOF(m, D[lo:hi], whole) */
static bw_status subproof(bw_ledger *l, uint64_t m, uint64_t lo, uint64_t hi, bool whole, bw_mhash *proof, size_t *len,
                          bw_error *err)
{
    bw_mhash h;
    uint64_t n = hi - lo;
    if (m == n) {
        if (whole) {
            return BW_OK;
        }
        BW_TRY(range_hash(l, lo, hi, &h, err));
        return proof_add(proof, len, &h, err);
    }
    uint64_t k = (uint64_t)1 << log2_u64(n - 1);
    if (m <= k) {
        BW_TRY(subproof(l, m, lo, lo + k, whole, proof, len, err));
        BW_TRY(range_hash(l, lo + k, hi, &h, err));
    } else {
        BW_TRY(subproof(l, m - k, lo + k, hi, false, proof, len, err));
        BW_TRY(range_hash(l, lo, lo + k, &h, err));
    }
    return proof_add(proof, len, &h, err);
}

/* Load the right edge of the tree of `size` entries from the store. */
static bw_status edge_load(bw_ledger *l, uint64_t size, bw_error *err)
{
    uint64_t lo = 0;

    l->edge_ok = false;
    l->edge.n = 0;
    for (unsigned b = 64; b-- > 0;) {
        if ((size >> b) & 1) {
            BW_TRY(subtree(l, b, lo, &l->edge.h[l->edge.n], err));
            l->edge.level[l->edge.n++] = b;
            lo += (uint64_t)1 << b;
        }
    }
    l->edge_size = size;
    l->edge_ok = true;
    return BW_OK;
}

/* ------------------------------------------------------------------------------------------------
 * Open and close
 */

static bool origin_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > BW_LEDGER_MAX_ORIGIN || !bw_utf8_valid(s, n)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == '+') {
            return false; /* also a note key name: no spaces, controls or '+' */
        }
    }
    return true;
}

void bw_ledger_close(bw_ledger *l)
{
    if (l == NULL) {
        return;
    }
    if (l->st != NULL) {
        l->ops->close(l->st);
    }
    EVP_MD_CTX_free(l->ctx);
    bw_free(l);
}

/* The stores, in the order they are asked whether a target is theirs; the last takes the rest. */
static const struct ledger_store_ops *const stores[] = {&bw_ledger_pg_ops, &bw_ledger_sqlite_ops};

static const struct ledger_store_ops *store_for(const char *target)
{
    for (size_t i = 0; i + 1 < BW_ARRAY_LEN(stores); i++) {
        if (stores[i]->claims != NULL && stores[i]->claims(target)) {
            return stores[i];
        }
    }
    return stores[BW_ARRAY_LEN(stores) - 1];
}

bw_status bw_ledger_target_display(const char *target, bw_buf *out)
{
    return store_for(target)->display(target, out);
}

bw_status bw_ledger_open(bw_ledger **out, const char *target, const bw_ledger_opts *opts, bw_error *err)
{
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_buf v = BW_BUF_INIT(4096), shown = BW_BUF_INIT(1 << 16);
    const char *path = "";
    bw_status rc;

    *out = NULL;
    if (opts != NULL) {
        if (opts->version != BW_LEDGER_OPTS_VERSION) {
            return bw_fail(err, BW_EINVAL, "bw_ledger_opts version %d is not supported", opts->version);
        }
        o = *opts;
    }
    if (o.origin != NULL && !origin_ok(o.origin)) {
        return bw_fail(err, BW_EINVAL, "a ledger origin is 1-%d bytes without spaces or '+'", BW_LEDGER_MAX_ORIGIN);
    }
    l = bw_calloc(1, sizeof(*l));
    if (l == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    l->ops = store_for(target);
    l->ctx = EVP_MD_CTX_new();
    /* messages name the target as the store shows it (no password of a URL) */
    if (l->ctx == NULL || l->ops->display(target, &shown) != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    path = shown.ptr;
    rc = l->ops->open(&l->st, target, &o, err);
    if (rc != BW_OK) {
        goto out;
    }
    rc = l->ops->begin(l->st, o.create, err);
    if (rc != BW_OK) {
        goto out;
    }
    rc = l->ops->meta_get(l->st, "format", &v, err);
    if (rc == BW_ENOTFOUND && o.create) {
        char gen[64];
        const char *origin = o.origin;
        if (origin == NULL) {
            uint8_t r[8];
            randombytes_buf(r, sizeof(r));
            snprintf(gen, sizeof(gen), "bulwark.ledger/%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
                     r[5], r[6], r[7]);
            origin = gen;
        }
        rc = l->ops->meta_set(l->st, "format", FORMAT_VERSION, err);
        rc = rc == BW_OK ? l->ops->meta_set(l->st, "origin", origin, err) : rc;
        rc = rc == BW_OK ? bw_buf_addstr(&v, FORMAT_VERSION) : rc;
    } else if (rc == BW_ENOTFOUND) {
        rc = bw_fail(err, BW_EFORMAT, "'%s' is not a bulwark ledger", path);
    }
    if (rc == BW_OK && strcmp(v.ptr, FORMAT_VERSION) != 0) {
        rc = bw_fail(err, BW_EUNSUPPORTED, "ledger '%s' has format %s; this version reads format %s", path, v.ptr,
                     FORMAT_VERSION);
    }
    bw_buf_reset(&v);
    if (rc == BW_OK) {
        rc = l->ops->meta_get(l->st, "origin", &v, err);
        if (rc == BW_ENOTFOUND || (rc == BW_OK && !origin_ok(v.ptr))) {
            rc = bw_fail(err, BW_EVERIFY, "ledger '%s': its origin is missing or malformed", path);
        }
    }
    if (rc == BW_OK) {
        memcpy(l->origin, v.ptr, v.len + 1);
        rc = l->ops->commit(l->st, err);
    } else {
        l->ops->rollback(l->st);
    }
out:
    bw_buf_release(&v);
    bw_buf_release(&shown);
    if (rc != BW_OK) {
        bw_ledger_close(l);
        return rc;
    }
    *out = l;
    return BW_OK;
}

const char *bw_ledger_origin(const bw_ledger *l)
{
    return l->origin;
}

/* ------------------------------------------------------------------------------------------------
 * Appending
 */

struct put_ctx {
    bw_ledger *l;
    bw_error *err;
};

static bw_status put_node_cb(void *ud, uint64_t id, const bw_mhash *h)
{
    struct put_ctx *p = ud;
    return p->l->ops->put_node(p->l->st, id, h, p->err);
}

/* What an actor signs for a batch: the new tree head and where the batch starts. */
static bw_status batch_statement(const char *origin, uint64_t first, uint64_t size, const bw_mhash *root, bw_buf *out)
{
    BW_TRY(bw_buf_printf(out, STATEMENT_TAG "\n%s\n%llu\n%llu\n", origin, (unsigned long long)first,
                         (unsigned long long)size));
    BW_TRY(bw_base64_encode(root->b, BW_MERKLE_HASH, out));
    return bw_buf_addc(out, '\n');
}

/*
 * The checkpoint text after batch `id`: origin, size, root, then one extension line binding the
 * batch's signature, "bulwark-batch <id> <key hint|-> <hex SHA-256 of the signature|->", so a
 * stripped or swapped batch signature breaks the checkpoint too.
 */
static bw_status checkpoint_text(EVP_MD_CTX *ctx, const char *origin, uint64_t id, uint64_t size, const bw_mhash *root,
                                 const char *hint, bw_bytes sig, bw_buf *out)
{
    BW_TRY(bw_checkpoint_format(origin, size, root->b, out));
    BW_TRY(bw_buf_printf(out, "bulwark-batch %llu %s ", (unsigned long long)id, hint != NULL ? hint : "-"));
    if (hint == NULL) {
        return bw_buf_addstr(out, "-\n");
    }
    uint8_t h[32];
    sha256_2(ctx, sig.ptr, sig.len, NULL, 0, NULL, 0, h);
    for (size_t i = 0; i < 32; i++) {
        BW_TRY(bw_buf_printf(out, "%02x", h[i]));
    }
    return bw_buf_addc(out, '\n');
}

/* The fields of a canonical key entry (borrowed from the json_t, which the caller frees). */
struct key_ev {
    json_t *root;
    const char *event, *name, *hint, *pem;
};

static bw_status key_event(const void *body, size_t n, struct key_ev *k, bw_error *err)
{
    memset(k, 0, sizeof(*k));
    BW_TRY(parse_json(body, n, &k->root, err));
    if (check_model(k->root, err) != BW_OK) {
        return BW_EFORMAT;
    }
    k->event = json_string_value(json_object_get(k->root, "event"));
    k->name = json_string_value(json_object_get(k->root, "name"));
    k->hint = json_string_value(json_object_get(k->root, "key_hint"));
    k->pem = json_string_value(json_object_get(k->root, "public_key"));
    return BW_OK;
}

/* An "added" key event's public key, checked against its hint; *out NULL for "revoked". */
static bw_status key_event_key(const struct key_ev *k, uint64_t idx, bw_key **out, bw_error *err)
{
    char hint[65];

    *out = NULL;
    if (strcmp(k->event, "added") != 0) {
        return BW_OK;
    }
    if (bw_key_from_pem(k->pem, strlen(k->pem), "key entry", out, err) != BW_OK) {
        return bw_fail(err, BW_EFORMAT, "key entry %llu: public_key is not a usable PEM public key",
                       (unsigned long long)idx);
    }
    if (bw_key_is_private(*out) || bw_key_hint(*out, hint) != BW_OK || strcmp(hint, k->hint) != 0) {
        bw_key_free(*out);
        *out = NULL;
        return bw_fail(err, BW_EINVAL, "key entry %llu: key_hint is not the SHA-256 of the key's PEM",
                       (unsigned long long)idx);
    }
    return BW_OK;
}

static bw_status register_key(bw_ledger *l, const void *body, size_t n, uint64_t idx, bw_error *err)
{
    struct key_ev k;
    struct ledger_row row = {0};
    bw_key *key = NULL;
    bw_status rc = key_event(body, n, &k, err);

    if (rc == BW_OK) {
        rc = key_event_key(&k, idx, &key, err);
    }
    if (rc == BW_OK) {
        row.text = k.hint;
        row.name = k.name;
        row.pem = k.pem;
        row.id = idx;
        row.has_revoked = key == NULL;
        row.revoked = idx;
        rc = l->ops->put_key(l->st, &row, err);
    }
    bw_key_free(key);
    json_decref(k.root);
    return rc;
}

/* The note key recorded by the ledger must be the signer's (recorded on first use). */
static bw_status check_note_key(bw_ledger *l, const bw_note_signer *note, bw_error *err)
{
    bw_buf have = BW_BUF_INIT(4096), want = BW_BUF_INIT(4096);
    bw_status rc = l->ops->meta_get(l->st, "note_key", &have, err);

    if (note == NULL) {
        if (rc == BW_OK) {
            rc = bw_fail(err, BW_EINVAL, "this ledger's batches are checkpointed: pass its note signer");
        } else if (rc == BW_ENOTFOUND) {
            rc = BW_OK;
        }
    } else if (bw_note_verifier_format(&note->v, &want) != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
    } else if (rc == BW_ENOTFOUND) {
        if (strcmp(note->v.name, l->origin) != 0) {
            rc = bw_fail(err, BW_EINVAL, "the note key's name must be the ledger's origin '%s'", l->origin);
        } else {
            rc = l->ops->meta_set(l->st, "note_key", want.ptr, err);
        }
    } else if (rc == BW_OK && strcmp(have.ptr, want.ptr) != 0) {
        rc = bw_fail(err, BW_EINVAL, "this ledger's checkpoints are signed with another note key (%s)", have.ptr);
    }
    bw_buf_release(&have);
    bw_buf_release(&want);
    return rc;
}

/* The current size and batch number from the last batch row. */
static bw_status head_of(bw_ledger *l, bw_ledger_head *h, bw_error *err)
{
    struct ledger_row row;
    bw_status rc = l->ops->last_batch(l->st, &row, err);

    memset(h, 0, sizeof(*h));
    if (rc == BW_ENOTFOUND) {
        sha256_2(l->ctx, "", 0, NULL, 0, NULL, 0, h->root.b);
        return BW_OK;
    }
    BW_TRY(rc);
    if (row.size <= row.first) {
        return bw_fail(err, BW_EVERIFY, "ledger batch %llu is empty or inverted", (unsigned long long)row.id);
    }
    h->size = row.size;
    h->first = row.first;
    h->batch = row.id;
    memcpy(h->root.b, row.hash.ptr, BW_MERKLE_HASH);
    return BW_OK;
}

bw_status bw_ledger_append_batch(bw_ledger *l, const bw_bytes *entries, size_t n, const bw_key *actor,
                                 const bw_note_signer *note, bw_ledger_head *out, bw_error *err)
{
    bw_buf canon = BW_BUF_INIT(SIZE_MAX / 2), stmt = BW_BUF_INIT(4096), sig = BW_BUF_INIT(4096);
    bw_buf cp = BW_BUF_INIT(BW_NOTE_MAX_SIZE), note_text = BW_BUF_INIT(BW_NOTE_MAX_SIZE);
    size_t *off = NULL;
    bool *is_key = NULL, txn = false;
    char hint[65];
    bw_ledger_head h;
    struct edge e;
    bw_status rc = BW_OK;

    if (n == 0 || n > BW_LEDGER_MAX_BATCH) {
        return bw_fail(err, BW_EINVAL, "a batch holds 1 to %d entries", BW_LEDGER_MAX_BATCH);
    }
    if (actor != NULL && (!bw_key_is_private(actor) || bw_key_hint(actor, hint) != BW_OK)) {
        return bw_fail(err, BW_EINVAL, "the actor key cannot sign (not a private key)");
    }
    off = bw_calloc(n + 1, sizeof(*off));
    is_key = bw_calloc(n, sizeof(*is_key));
    if (off == NULL || is_key == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    /* canonical bytes first, outside the write lock */
    for (size_t i = 0; i < n && rc == BW_OK; i++) {
        char kind[16];
        off[i] = canon.len;
        rc = bw_ledger_entry_canonical((const char *)entries[i].ptr, entries[i].len, &canon, err);
        if (rc == BW_OK && canon.len - off[i] > BW_LEDGER_MAX_ENTRY) {
            rc = bw_fail(err, BW_ELIMIT, "entry %zu of the batch is over the size limit", i);
        }
        if (rc == BW_OK) {
            rc = bw_ledger_entry_check(canon.ptr + off[i], canon.len - off[i], kind, err);
            is_key[i] = strcmp(kind, "key") == 0;
        }
    }
    off[n] = canon.len;
    if (rc != BW_OK) {
        goto out;
    }

    rc = l->ops->begin(l->st, true, err);
    if (rc != BW_OK) {
        goto out;
    }
    txn = true;
    rc = head_of(l, &h, err);
    rc = rc == BW_OK ? check_note_key(l, note, err) : rc;
    if (rc == BW_OK && (!l->edge_ok || l->edge_size != h.size)) {
        rc = edge_load(l, h.size, err); /* another process appended since we last did */
    }
    if (rc != BW_OK) {
        goto out;
    }
    e = l->edge;
    struct put_ctx pc = {l, err};
    for (size_t i = 0; i < n && rc == BW_OK; i++) {
        bw_mhash leaf;
        uint64_t idx = h.size + i;
        leaf_hash(l->ctx, canon.ptr + off[i], off[i + 1] - off[i], &leaf);
        rc = l->ops->put_entry(l->st, idx, h.batch + 1, canon.ptr + off[i], off[i + 1] - off[i], &leaf, err);
        rc = rc == BW_OK ? edge_push(l->ctx, &e, idx, &leaf, put_node_cb, &pc) : rc;
        if (rc == BW_OK && is_key[i]) {
            rc = register_key(l, canon.ptr + off[i], off[i + 1] - off[i], idx, err);
        }
    }
    if (rc != BW_OK) {
        goto out;
    }
    bw_ledger_head nh = {h.size + n, h.size, h.batch + 1, {{0}}};
    edge_root(l->ctx, &e, &nh.root);
    struct ledger_row row = {0};
    row.id = nh.batch;
    row.first = nh.first;
    row.size = nh.size;
    row.hash.ptr = nh.root.b;
    row.hash.len = BW_MERKLE_HASH;
    if (actor != NULL) {
        int state = 0;
        rc = l->ops->key_state(l->st, hint, &state, err);
        if (rc == BW_OK && state != 1) {
            rc = bw_fail(err, BW_ENOTFOUND, "key %.16s... is %s in the ledger", hint,
                         state == 0 ? "not registered (add a key entry first)" : "revoked");
        }
        if (rc == BW_OK && batch_statement(l->origin, nh.first, nh.size, &nh.root, &stmt) != BW_OK) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
        }
        rc = rc == BW_OK ? bw_key_sign(actor, stmt.ptr, stmt.len, &sig, err) : rc;
        row.text = hint;
        row.text_len = 64;
        row.sig.ptr = (const uint8_t *)sig.ptr;
        row.sig.len = sig.len;
    }
    rc = rc == BW_OK ? l->ops->put_batch(l->st, &row, err) : rc;
    if (rc == BW_OK && note != NULL) {
        if (checkpoint_text(l->ctx, l->origin, nh.batch, nh.size, &nh.root, actor != NULL ? hint : NULL, row.sig,
                            &cp) != BW_OK) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
        }
        rc = rc == BW_OK ? bw_note_sign(cp.ptr, cp.len, note, &note_text, err) : rc;
        rc = rc == BW_OK ? l->ops->put_checkpoint(l->st, nh.batch, nh.size, note_text.ptr, note_text.len, err) : rc;
    }
    if (rc == BW_OK) {
        txn = false;
        rc = l->ops->commit(l->st, err);
    }
    if (rc == BW_OK) {
        l->edge = e;
        l->edge_size = nh.size;
        l->edge_ok = true;
        if (out != NULL) {
            *out = nh;
        }
    }
out:
    if (txn) {
        l->ops->rollback(l->st);
    }
    bw_buf_release(&canon);
    bw_buf_release(&stmt);
    bw_buf_release(&sig);
    bw_buf_release(&cp);
    bw_buf_release(&note_text);
    bw_free(off);
    bw_free(is_key);
    return rc;
}

bw_status bw_ledger_append(bw_ledger *l, const char *json, size_t n, const bw_key *actor, const bw_note_signer *note,
                           bw_ledger_head *out, bw_error *err)
{
    bw_bytes b = {(const uint8_t *)json, n};
    return bw_ledger_append_batch(l, &b, 1, actor, note, out, err);
}

/* ------------------------------------------------------------------------------------------------
 * Reading
 */

/* Run fn inside a read snapshot. */
#define READ_TXN(l, err, body)                                                                                         \
    do {                                                                                                               \
        bw_status rt_ = (l)->ops->begin((l)->st, false, (err));                                                        \
        if (rt_ != BW_OK) {                                                                                            \
            return rt_;                                                                                                \
        }                                                                                                              \
        rt_ = (body);                                                                                                  \
        if (rt_ == BW_OK) {                                                                                            \
            rt_ = (l)->ops->commit((l)->st, (err));                                                                    \
        } else {                                                                                                       \
            (l)->ops->rollback((l)->st);                                                                               \
        }                                                                                                              \
        return rt_;                                                                                                    \
    } while (0)

bw_status bw_ledger_current(bw_ledger *l, bw_ledger_head *out, bw_error *err)
{
    READ_TXN(l, err, head_of(l, out, err));
}

bw_status bw_ledger_key_state(bw_ledger *l, const char *hint, int *state, bw_error *err)
{
    READ_TXN(l, err, l->ops->key_state(l->st, hint, state, err));
}

bw_status bw_ledger_key_entry(const bw_key *k, const char *name, const char *actor, const char *time, bw_buf *out,
                              bw_error *err)
{
    bw_buf pem = BW_BUF_INIT(1 << 16);
    char hint[65];
    bw_json j;
    bw_status rc = bw_key_public_pem(k, &pem);

    if (rc == BW_OK) {
        rc = bw_key_hint(k, hint);
    }
    if (rc != BW_OK) {
        bw_buf_release(&pem);
        return bw_fail(err, rc, "cannot read the public key: %s", bw_strerror(rc));
    }
    bw_json_init(&j, out, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "kind", "key");
    bw_json_kv_str(&j, "time", time);
    bw_json_kv_str(&j, "actor", actor);
    bw_json_kv_str(&j, "event", "added");
    bw_json_kv_str(&j, "name", name);
    bw_json_kv_str(&j, "key_hint", hint);
    bw_json_kv_str(&j, "public_key", pem.ptr);
    bw_json_obj_end(&j);
    bw_buf_release(&pem);
    rc = bw_json_finish(&j);
    return rc == BW_OK ? BW_OK : bw_fail(err, rc, "cannot write the key entry: %s", bw_strerror(rc));
}

static bw_status get_body(bw_ledger *l, uint64_t index, bw_buf *buf, bw_ledger_entry *e, bw_error *err)
{
    struct ledger_row row;
    bw_status rc = l->ops->get_entry(l->st, index, &row, err);

    if (rc == BW_ENOTFOUND) {
        return bw_fail(err, BW_ENOTFOUND, "the ledger has no entry %llu", (unsigned long long)index);
    }
    BW_TRY(rc);
    memset(e, 0, sizeof(*e));
    e->index = row.id;
    e->batch = row.batch;
    memcpy(e->leaf.b, row.hash.ptr, BW_MERKLE_HASH);
    bw_buf_reset(buf);
    if (bw_buf_add(buf, row.body.ptr, row.body.len) != BW_OK) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    BW_TRY(bw_ledger_entry_check(buf->ptr, buf->len, e->kind, err));
    e->body.ptr = (const uint8_t *)buf->ptr;
    e->body.len = buf->len;
    rc = l->ops->get_batch(l->st, e->batch, &row, err);
    if (rc == BW_ENOTFOUND) {
        return bw_fail(err, BW_EVERIFY, "entry %llu names batch %llu, which does not exist", (unsigned long long)index,
                       (unsigned long long)e->batch);
    }
    BW_TRY(rc);
    if (row.text != NULL && row.text_len < sizeof(e->signer)) {
        memcpy(e->signer, row.text, row.text_len + 1);
    }
    return BW_OK;
}

bw_status bw_ledger_get(bw_ledger *l, uint64_t index, bw_buf *buf, bw_ledger_entry *out, bw_error *err)
{
    READ_TXN(l, err, get_body(l, index, buf, out, err));
}

static bw_status each(bw_ledger *l, uint64_t from, bw_ledger_each_fn fn, void *ud, bw_error *err)
{
    struct ledger_cursor *c = NULL;
    struct ledger_row row;
    bool done = false;
    bw_status rc = l->ops->cursor_open(l->st, LT_ENTRIES, from, &c, err);

    while (rc == BW_OK) {
        bw_ledger_entry e;
        rc = l->ops->cursor_next(c, &row, &done, err);
        if (rc != BW_OK || done) {
            break;
        }
        memset(&e, 0, sizeof(e));
        e.index = row.id;
        e.batch = row.batch;
        memcpy(e.leaf.b, row.hash.ptr, BW_MERKLE_HASH);
        e.body = row.body;
        rc = bw_ledger_entry_check(row.body.ptr, row.body.len, e.kind, err);
        if (rc == BW_OK && fn(ud, &e) != 0) {
            rc = BW_ECANCELED;
        }
    }
    l->ops->cursor_close(c);
    return rc;
}

bw_status bw_ledger_each(bw_ledger *l, uint64_t from, bw_ledger_each_fn fn, void *ud, bw_error *err)
{
    READ_TXN(l, err, each(l, from, fn, ud, err));
}

static bw_status inclusion(bw_ledger *l, uint64_t index, uint64_t size, bw_mhash *leaf, bw_mhash *root, bw_mhash *proof,
                           size_t *len, bw_error *err)
{
    bw_ledger_head h;

    BW_TRY(head_of(l, &h, err));
    if (size == 0) {
        size = h.size;
    }
    if (size > h.size || index >= size) {
        return bw_fail(err, BW_EINVAL, "no entry %llu in a tree of %llu (the ledger holds %llu)",
                       (unsigned long long)index, (unsigned long long)size, (unsigned long long)h.size);
    }
    if (l->ops->prefetch != NULL) {
        /* the lookups depend only on the indices: a dry run lists them, the store fetches them at once */
        size_t n = 0;
        l->planning = true;
        l->n_plan = 1;
        l->plan[0].leaf = true;
        l->plan[0].id = index;
        bw_status rc = range_hash(l, 0, size, root, err);
        rc = rc == BW_OK ? path(l, index, 0, size, proof, &n, err) : rc;
        l->planning = false;
        BW_TRY(rc);
        BW_TRY(l->ops->prefetch(l->st, l->plan, l->n_plan, err));
    }
    BW_TRY(l->ops->get_leaf(l->st, index, leaf, err));
    BW_TRY(range_hash(l, 0, size, root, err));
    return path(l, index, 0, size, proof, len, err);
}

bw_status bw_ledger_inclusion(bw_ledger *l, uint64_t index, uint64_t size, bw_mhash *leaf, bw_mhash *root,
                              bw_mhash proof[BW_MERKLE_MAX_PROOF], size_t *len, bw_error *err)
{
    *len = 0;
    READ_TXN(l, err, inclusion(l, index, size, leaf, root, proof, len, err));
}

static bw_status consistency(bw_ledger *l, uint64_t old, uint64_t size, bw_mhash *old_root, bw_mhash *root,
                             bw_mhash *proof, size_t *len, bw_error *err)
{
    bw_ledger_head h;

    BW_TRY(head_of(l, &h, err));
    if (size == 0) {
        size = h.size;
    }
    if (old == 0 || old > size || size > h.size) {
        return bw_fail(err, BW_EINVAL, "no consistency proof from %llu to %llu entries (the ledger holds %llu)",
                       (unsigned long long)old, (unsigned long long)size, (unsigned long long)h.size);
    }
    if (l->ops->prefetch != NULL) {
        size_t n = 0;
        l->planning = true;
        l->n_plan = 0;
        bw_status rc = range_hash(l, 0, old, old_root, err);
        rc = rc == BW_OK ? range_hash(l, 0, size, root, err) : rc;
        rc = rc == BW_OK ? subproof(l, old, 0, size, true, proof, &n, err) : rc;
        l->planning = false;
        BW_TRY(rc);
        BW_TRY(l->ops->prefetch(l->st, l->plan, l->n_plan, err));
    }
    BW_TRY(range_hash(l, 0, old, old_root, err));
    BW_TRY(range_hash(l, 0, size, root, err));
    return subproof(l, old, 0, size, true, proof, len, err);
}

bw_status bw_ledger_consistency(bw_ledger *l, uint64_t old, uint64_t size, bw_mhash *old_root, bw_mhash *root,
                                bw_mhash proof[BW_MERKLE_MAX_PROOF], size_t *len, bw_error *err)
{
    *len = 0;
    READ_TXN(l, err, consistency(l, old, size, old_root, root, proof, len, err));
}

static bw_status last_checkpoint(bw_ledger *l, bw_buf *out, bw_error *err)
{
    bw_status rc = l->ops->last_checkpoint(l->st, out, err);
    return rc == BW_ENOTFOUND ? bw_fail(err, BW_ENOTFOUND, "the ledger has no checkpoint yet") : rc;
}

bw_status bw_ledger_checkpoint(bw_ledger *l, bw_buf *out, bw_error *err)
{
    READ_TXN(l, err, last_checkpoint(l, out, err));
}

static bw_status note_key(bw_ledger *l, bw_buf *out, bw_error *err)
{
    bw_status rc = l->ops->meta_get(l->st, "note_key", out, err);
    return rc == BW_ENOTFOUND ? bw_fail(err, BW_ENOTFOUND, "the ledger has no checkpoint key yet") : rc;
}

bw_status bw_ledger_note_key(bw_ledger *l, bw_buf *out, bw_error *err)
{
    READ_TXN(l, err, note_key(l, out, err));
}

/* ------------------------------------------------------------------------------------------------
 * Verification: one pass over entries, nodes, batches and checkpoints in id order.
 */

struct reg_key {
    char hint[65];
    bw_key *key;
    char *name, *pem;
    uint64_t added;
    bool revoked;
    uint64_t revoked_at;
};

struct verify {
    bw_ledger *l;
    const bw_ledger_verify_opts *o;
    bw_ledger_report *rep;
    bw_error *err;
    struct ledger_cursor *ce, *cn, *cb, *cc;
    struct reg_key *keys; /* registered in the ledger, in order of registration */
    size_t nkeys, capkeys;
    struct reg_key *trusted; /* from the caller */
    size_t ntrusted;
    bw_note_verifier *nv;
    size_t nnv;
    bool have_note_key;
    bw_buf stmt, cp;
    /* the client's checkpoint */
    bool since;
    uint64_t since_size;
    bw_mhash since_root;
};

static bw_status vfail(struct verify *v, const char *fmt, ...) BW_PRINTF(2, 3);
static bw_status vfail(struct verify *v, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bw_fail(v->err, BW_EVERIFY, "%s", msg);
}

static bw_status verify_node_cb(void *ud, uint64_t id, const bw_mhash *h)
{
    struct verify *v = ud;
    struct ledger_row row;
    bool done;

    BW_TRY(v->l->ops->cursor_next(v->cn, &row, &done, v->err));
    if (done || row.id != id) {
        return vfail(v, "ledger node %llu is missing (found %s)", (unsigned long long)id, done ? "none" : "another");
    }
    if (!same_hash(row.hash.ptr, h->b)) {
        return vfail(v, "ledger node %llu: the stored hash does not match the entries", (unsigned long long)id);
    }
    return BW_OK;
}

static struct reg_key *find_key(struct reg_key *ks, size_t n, const char *hint)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ks[i].hint, hint) == 0) {
            return &ks[i];
        }
    }
    return NULL;
}

/* Apply a key entry to the registry, as register_key did to the keys table. */
static bw_status verify_key_entry(struct verify *v, const void *body, size_t n, uint64_t idx)
{
    struct key_ev k;
    bw_key *key = NULL;
    bw_status rc = key_event(body, n, &k, v->err);

    if (rc == BW_OK) {
        rc = key_event_key(&k, idx, &key, v->err);
        if (rc != BW_OK) {
            rc = BW_EVERIFY;
        }
    } else {
        rc = vfail(v, "key entry %llu does not follow the entry model", (unsigned long long)idx);
    }
    struct reg_key *r = rc == BW_OK ? find_key(v->keys, v->nkeys, k.hint) : NULL;
    if (rc == BW_OK && key == NULL && r != NULL && !r->revoked) {
        r->revoked = true;
        r->revoked_at = idx;
    } else if (rc == BW_OK && key != NULL && r == NULL) {
        if (v->nkeys == v->capkeys) {
            size_t cap = v->capkeys ? v->capkeys * 2 : 8;
            struct reg_key *nk = bw_reallocarray(v->keys, cap, sizeof(*nk));
            if (nk == NULL) {
                rc = bw_fail(v->err, BW_ENOMEM, "out of memory");
            } else {
                v->keys = nk;
                v->capkeys = cap;
            }
        }
        if (rc == BW_OK) {
            r = &v->keys[v->nkeys++];
            memset(r, 0, sizeof(*r));
            memcpy(r->hint, k.hint, 65);
            r->key = key;
            key = NULL;
            r->name = bw_strdup(k.name);
            r->pem = bw_strdup(k.pem);
            r->added = idx;
            if (r->name == NULL || r->pem == NULL) {
                rc = bw_fail(v->err, BW_ENOMEM, "out of memory");
            }
        }
    }
    bw_key_free(key);
    json_decref(k.root);
    return rc;
}

/* A batch just completed at row b (its entries all read): its root, signature and checkpoint. */
static bw_status verify_batch(struct verify *v, const struct ledger_row *b, const struct edge *e, bool *cp_seen)
{
    bw_mhash root;
    const struct reg_key *k = NULL;

    edge_root(v->l->ctx, e, &root);
    if (!same_hash(root.b, b->hash.ptr)) {
        return vfail(v, "batch %llu: the stored root does not match the entries", (unsigned long long)b->id);
    }
    if (b->text == NULL || b->sig.ptr == NULL) {
        if (b->text != NULL || b->sig.ptr != NULL) {
            return vfail(v, "batch %llu: a signature without a key hint, or the reverse", (unsigned long long)b->id);
        }
        v->rep->unsigned_batches++;
        if (v->o->require_signed) {
            return vfail(v, "batch %llu is not signed", (unsigned long long)b->id);
        }
    } else {
        struct reg_key *r = b->text_len == 64 ? find_key(v->keys, v->nkeys, b->text) : NULL;
        if (r != NULL && !r->revoked) {
            k = r;
        } else if (r == NULL && b->text_len == 64) {
            k = find_key(v->trusted, v->ntrusted, b->text);
        }
        if (k == NULL) {
            return vfail(v, "batch %llu: signed by key %.16s..., which is %s", (unsigned long long)b->id, b->text,
                         r != NULL ? "revoked" : "neither registered nor trusted");
        }
        bw_buf_reset(&v->stmt);
        if (batch_statement(v->l->origin, b->first, b->size, &root, &v->stmt) != BW_OK) {
            return bw_fail(v->err, BW_ENOMEM, "out of memory");
        }
        if (bw_key_verify(k->key, v->stmt.ptr, v->stmt.len, b->sig.ptr, b->sig.len) != BW_OK) {
            return vfail(v, "batch %llu: the signature does not verify with key %.16s...", (unsigned long long)b->id,
                         b->text);
        }
        v->rep->signed_batches++;
    }

    /* its checkpoint: the next checkpoint row, if it is this batch's */
    struct ledger_row c;
    bool done;
    BW_TRY(v->l->ops->cursor_next(v->cc, &c, &done, v->err));
    if (done || c.id != b->id) {
        if (!done && c.id < b->id) {
            return vfail(v, "checkpoint %llu belongs to no batch", (unsigned long long)c.id);
        }
        if (*cp_seen) {
            return vfail(v, "batch %llu has no checkpoint (earlier batches have)", (unsigned long long)b->id);
        }
        /* the cursor moved past a later batch's checkpoint: reopen it there */
        v->l->ops->cursor_close(v->cc);
        v->cc = NULL;
        return v->l->ops->cursor_open(v->l->st, LT_CHECKPOINTS, b->id + 1, &v->cc, v->err);
    }
    *cp_seen = true;
    if (c.size != b->size) {
        return vfail(v, "checkpoint %llu: its size column does not match its batch", (unsigned long long)c.id);
    }
    size_t tl = 0, which;
    bw_error e2 = {0};
    if (bw_note_verify(c.text, c.text_len, v->nv, v->nnv, &tl, &which, &e2) != BW_OK) {
        return vfail(v, "checkpoint %llu: %s", (unsigned long long)c.id, e2.msg);
    }
    bw_buf_reset(&v->cp);
    if (checkpoint_text(v->l->ctx, v->l->origin, b->id, b->size, &root, b->text, b->sig, &v->cp) != BW_OK) {
        return bw_fail(v->err, BW_ENOMEM, "out of memory");
    }
    if (tl != v->cp.len || memcmp(c.text, v->cp.ptr, tl) != 0) {
        return vfail(v, "checkpoint %llu: the signed text is not this batch's tree head", (unsigned long long)c.id);
    }
    v->rep->checkpoints++;
    return BW_OK;
}

/* The checkpoint keys: the caller's, else the ledger's own; the recorded one must be among them. */
static bw_status verify_note_keys(struct verify *v)
{
    bw_buf have = BW_BUF_INIT(4096), f = BW_BUF_INIT(4096);
    bw_status rc = v->l->ops->meta_get(v->l->st, "note_key", &have, v->err);
    size_t n = v->o->n_note_keys;

    if (rc == BW_ENOTFOUND) {
        rc = BW_OK;
    } else if (rc == BW_OK) {
        v->have_note_key = true;
    }
    v->nv = bw_calloc(n + 1, sizeof(*v->nv));
    if (rc == BW_OK && v->nv == NULL) {
        rc = bw_fail(v->err, BW_ENOMEM, "out of memory");
    }
    if (rc == BW_OK && n > 0) {
        memcpy(v->nv, v->o->note_keys, n * sizeof(*v->nv));
        v->nnv = n;
        bool found = !v->have_note_key;
        for (size_t i = 0; i < n && !found; i++) {
            bw_buf_reset(&f);
            found = bw_note_verifier_format(&v->nv[i], &f) == BW_OK && strcmp(f.ptr, have.ptr) == 0;
        }
        if (!found) {
            rc = vfail(v, "the ledger records checkpoint key %.60s, not the one given", have.ptr);
        }
    } else if (rc == BW_OK && v->have_note_key) {
        bw_error e2 = {0};
        bw_buf_reset(&f);
        if (bw_note_verifier_parse(have.ptr, &v->nv[0], &e2) != BW_OK || strcmp(v->nv[0].name, v->l->origin) != 0 ||
            bw_note_verifier_format(&v->nv[0], &f) != BW_OK || strcmp(f.ptr, have.ptr) != 0) {
            rc = vfail(v, "the ledger's checkpoint key is malformed or not named after its origin");
        }
        v->nnv = 1;
        v->rep->own_note_key = true;
    }
    bw_buf_release(&have);
    bw_buf_release(&f);
    return rc;
}

static bw_status verify_since(struct verify *v)
{
    size_t tl = 0, which;
    char origin[BW_LEDGER_MAX_ORIGIN + 2];
    bw_error e2 = {0};

    if (v->nnv == 0) {
        return vfail(v, "cannot check the old checkpoint: the ledger has no checkpoint key");
    }
    if (bw_note_verify(v->o->since, v->o->since_len, v->nv, v->nnv, &tl, &which, &e2) != BW_OK) {
        return bw_fail(v->err, e2.code == BW_EVERIFY ? BW_EVERIFY : BW_EFORMAT, "old checkpoint: %s", e2.msg);
    }
    if (bw_checkpoint_parse(v->o->since, tl, origin, sizeof(origin), &v->since_size, v->since_root.b, &e2) != BW_OK) {
        return bw_fail(v->err, BW_EFORMAT, "old checkpoint: %s", e2.msg);
    }
    if (strcmp(origin, v->l->origin) != 0) {
        return vfail(v, "the old checkpoint is of another log ('%s')", origin);
    }
    v->since = true;
    return BW_OK;
}

static int reg_cmp(const void *a, const void *b)
{
    return strcmp(((const struct reg_key *)a)->hint, ((const struct reg_key *)b)->hint);
}

/* The keys table must hold exactly the registrations the entries make. */
static bw_status verify_keys_table(struct verify *v)
{
    struct ledger_cursor *c = NULL;
    struct ledger_row row;
    bool done = false;
    size_t i = 0;
    bw_status rc;

    if (v->nkeys > 1) {
        qsort(v->keys, v->nkeys, sizeof(*v->keys), reg_cmp);
    }
    rc = v->l->ops->cursor_open(v->l->st, LT_KEYS, 0, &c, v->err);
    while (rc == BW_OK) {
        rc = v->l->ops->cursor_next(c, &row, &done, v->err);
        if (rc != BW_OK || done) {
            break;
        }
        const struct reg_key *k = i < v->nkeys ? &v->keys[i] : NULL;
        if (k == NULL || strcmp(k->hint, row.text) != 0 || strcmp(k->name, row.name) != 0 ||
            strcmp(k->pem, row.pem) != 0 || k->added != row.id || k->revoked != row.has_revoked ||
            (k->revoked && k->revoked_at != row.revoked)) {
            rc = vfail(v, "the keys table does not match the key entries (at key %.16s...)", row.text);
        }
        i++;
    }
    if (rc == BW_OK && i != v->nkeys) {
        rc = vfail(v, "the keys table lacks %zu registered key(s)", v->nkeys - i);
    }
    v->l->ops->cursor_close(c);
    v->rep->keys = v->nkeys;
    return rc;
}

static bw_status verify_pass(struct verify *v)
{
    struct ledger_row er, b;
    bool done = false, have_b = false, cp_seen = false;
    struct edge e = {{0}, {{{0}}}, 0};
    uint64_t count = 0, prev_size = 0, next_batch = 1;
    bw_status rc;
    bw_buf v_meta = BW_BUF_INIT(64);
    struct ledger_store *st = v->l->st;
    const struct ledger_store_ops *ops = v->l->ops;

    BW_TRY(ops->check_schema(st, v->err));
    rc = ops->meta_get(st, "format", &v_meta, v->err);
    if (rc == BW_OK && strcmp(v_meta.ptr, FORMAT_VERSION) != 0) {
        rc = vfail(v, "the ledger's format record was changed");
    }
    bw_buf_release(&v_meta);
    BW_TRY(rc == BW_ENOTFOUND ? vfail(v, "the ledger's format record is missing") : rc);
    bw_buf_reset(&v_meta);
    rc = ops->meta_get(st, "origin", &v_meta, v->err);
    if (rc == BW_OK && strcmp(v_meta.ptr, v->l->origin) != 0) {
        rc = vfail(v, "the ledger's origin changed while verifying");
    }
    bw_buf_release(&v_meta);
    BW_TRY(rc);
    BW_TRY(verify_note_keys(v));
    if (v->o->since != NULL) {
        BW_TRY(verify_since(v));
    }
    BW_TRY(ops->cursor_open(st, LT_ENTRIES, 0, &v->ce, v->err));
    BW_TRY(ops->cursor_open(st, LT_NODES, 0, &v->cn, v->err));
    BW_TRY(ops->cursor_open(st, LT_BATCHES, 0, &v->cb, v->err));
    BW_TRY(ops->cursor_open(st, LT_CHECKPOINTS, 0, &v->cc, v->err));

    for (;;) {
        if (!have_b) {
            BW_TRY(ops->cursor_next(v->cb, &b, &done, v->err));
            if (!done) {
                if (b.id != next_batch || b.first != prev_size || b.size <= b.first) {
                    return vfail(v, "batch %llu does not follow batch %llu (entries %llu-%llu after %llu)",
                                 (unsigned long long)b.id, (unsigned long long)(next_batch - 1),
                                 (unsigned long long)b.first, (unsigned long long)b.size,
                                 (unsigned long long)prev_size);
                }
                have_b = true;
            }
        }
        BW_TRY(ops->cursor_next(v->ce, &er, &done, v->err));
        if (done) {
            break;
        }
        char kind[16];
        bw_mhash leaf;
        if (er.id != count) {
            return vfail(v, "entry %llu is missing (the next stored is %llu)", (unsigned long long)count,
                         (unsigned long long)er.id);
        }
        if (!have_b || er.batch != b.id) {
            return vfail(v, "entry %llu: its batch column does not match the batches", (unsigned long long)count);
        }
        bw_error e2 = {0};
        if (bw_ledger_entry_check(er.body.ptr, er.body.len, kind, &e2) != BW_OK) {
            return vfail(v, "entry %llu is not canonical: %s", (unsigned long long)count, e2.msg);
        }
        leaf_hash(v->l->ctx, er.body.ptr, er.body.len, &leaf);
        if (!same_hash(leaf.b, er.hash.ptr)) {
            return vfail(v, "entry %llu: the stored leaf hash does not match its bytes", (unsigned long long)count);
        }
        if (strcmp(kind, "key") == 0) {
            BW_TRY(verify_key_entry(v, er.body.ptr, er.body.len, count));
        }
        BW_TRY(edge_push(v->l->ctx, &e, count, &leaf, verify_node_cb, v));
        count++;
        if (v->since && count == v->since_size) {
            bw_mhash r;
            edge_root(v->l->ctx, &e, &r);
            if (!same_hash(r.b, v->since_root.b)) {
                return vfail(v, "fork: the old checkpoint's root at size %llu is not this ledger's",
                             (unsigned long long)count);
            }
        }
        if (count == b.size) {
            BW_TRY(verify_batch(v, &b, &e, &cp_seen));
            v->rep->batches++;
            prev_size = b.size;
            next_batch++;
            have_b = false;
        }
    }
    if (have_b) {
        return vfail(v, "batch %llu ends at entry %llu, but the ledger holds %llu entries", (unsigned long long)b.id,
                     (unsigned long long)b.size, (unsigned long long)count);
    }
    struct ledger_row r;
    BW_TRY(ops->cursor_next(v->cn, &r, &done, v->err));
    if (!done) {
        return vfail(v, "ledger node %llu belongs to no entries", (unsigned long long)r.id);
    }
    BW_TRY(ops->cursor_next(v->cc, &r, &done, v->err));
    if (!done) {
        return vfail(v, "checkpoint %llu belongs to no batch", (unsigned long long)r.id);
    }
    if (v->have_note_key && v->rep->batches > 0 && !cp_seen) {
        return vfail(v, "the ledger has a checkpoint key but no checkpoint");
    }
    if (v->rep->checkpoints > 0 && !v->have_note_key) {
        return vfail(v, "the ledger holds checkpoints but records no checkpoint key");
    }
    BW_TRY(verify_keys_table(v));
    v->rep->entries = count;
    edge_root(v->l->ctx, &e, &v->rep->root);
    if (v->since) {
        if (v->since_size > count) {
            return vfail(v,
                         "the old checkpoint has %llu entries, the ledger only %llu: entries were removed or "
                         "the log forked",
                         (unsigned long long)v->since_size, (unsigned long long)count);
        }
        /* and the proof a client would be given, from the stored subtrees */
        if (v->since_size > 0) {
            bw_mhash proof[BW_MERKLE_MAX_PROOF], old_root, root;
            size_t len = 0;
            BW_TRY(consistency(v->l, v->since_size, count, &old_root, &root, proof, &len, v->err));
            if (bw_merkle_verify_consistency(v->since_size, count, &v->since_root, &v->rep->root, proof, len) !=
                BW_OK) {
                return vfail(v, "the consistency proof from the old checkpoint does not verify");
            }
        }
        v->rep->since_checked = true;
        v->rep->since_size = v->since_size;
    }
    return BW_OK;
}

bw_status bw_ledger_verify(bw_ledger *l, const bw_ledger_verify_opts *opts, bw_ledger_report *rep, bw_error *err)
{
    bw_ledger_verify_opts o = BW_LEDGER_VERIFY_OPTS_INIT;
    bw_ledger_report dummy;
    struct verify v;
    bw_status rc;

    if (opts != NULL) {
        if (opts->version != BW_LEDGER_VERIFY_OPTS_VERSION) {
            return bw_fail(err, BW_EINVAL, "bw_ledger_verify_opts version %d is not supported", opts->version);
        }
        o = *opts;
    }
    if (rep == NULL) {
        rep = &dummy;
    }
    memset(rep, 0, sizeof(*rep));
    memset(&v, 0, sizeof(v));
    v.l = l;
    v.o = &o;
    v.rep = rep;
    v.err = err;
    bw_buf_init(&v.stmt, 4096);
    bw_buf_init(&v.cp, BW_NOTE_MAX_SIZE);
    rc = BW_OK;
    if (o.n_trusted > 0) {
        v.trusted = bw_calloc(o.n_trusted, sizeof(*v.trusted));
        if (v.trusted == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < o.n_trusted && rc == BW_OK; i++) {
            v.trusted[i].key = (bw_key *)o.trusted[i]; /* borrowed: never freed here */
            if (bw_key_hint(o.trusted[i], v.trusted[i].hint) != BW_OK) {
                rc = bw_fail(err, BW_EINVAL, "a trusted key cannot be read");
            }
        }
        v.ntrusted = o.n_trusted;
    }
    if (rc == BW_OK) {
        rc = l->ops->begin(l->st, false, err);
        if (rc == BW_OK) {
            rc = verify_pass(&v);
            l->ops->cursor_close(v.ce);
            l->ops->cursor_close(v.cn);
            l->ops->cursor_close(v.cb);
            l->ops->cursor_close(v.cc);
            if (rc == BW_OK) {
                rc = l->ops->commit(l->st, err);
            } else {
                l->ops->rollback(l->st);
            }
        }
    }
    for (size_t i = 0; i < v.nkeys; i++) {
        bw_key_free(v.keys[i].key);
        bw_free(v.keys[i].name);
        bw_free(v.keys[i].pem);
    }
    bw_free(v.keys);
    bw_free(v.trusted);
    bw_free(v.nv);
    bw_buf_release(&v.stmt);
    bw_buf_release(&v.cp);
    return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Helpers for the command line
 */

bw_status bw_ledger_entry_fill(const char *json, size_t n, const char *time, const char *actor, bw_buf *out,
                               bw_error *err)
{
    json_t *root;
    bw_status rc;

    BW_TRY(parse_json(json, n, &root, err));
    if (time != NULL && json_object_get(root, "time") == NULL) {
        json_object_set_new(root, "time", json_string(time));
    }
    if (actor != NULL && json_object_get(root, "actor") == NULL) {
        json_object_set_new(root, "actor", json_string(actor));
    }
    rc = canon_value(root, 1, out, err);
    json_decref(root);
    if (rc == BW_OK && out->err != BW_OK) {
        rc = out->err;
    }
    return rc == BW_OK || (err != NULL && err->code != BW_OK) ? rc : bw_fail(err, rc, "%s", bw_strerror(rc));
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL ? s : "-";
}

static const char *jdigest(const json_t *o, const char *k, char buf[20])
{
    const char *s = json_string_value(json_object_get(json_object_get(o, k), "sha256"));
    snprintf(buf, 20, "sha256:%.12s", s != NULL ? s : "-");
    return buf;
}

bw_status bw_ledger_entry_summary(const void *body, size_t n, bw_buf *out)
{
    json_t *e = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
    const char *kind = jstr(e, "kind");
    char d[20];
    bw_status rc;

    if (e == NULL) {
        return bw_buf_addstr(out, "(unreadable entry)");
    }
    rc = bw_buf_printf(out, "%s  %-9s  %s  ", jstr(e, "time"), kind, jstr(e, "actor"));
    if (strcmp(kind, "artifact") == 0) {
        rc = bw_buf_printf(out, "%s %s", jstr(e, "name"), jdigest(e, "digest", d));
    } else if (strcmp(kind, "stage_run") == 0) {
        const json_t *x = json_object_get(e, "exit_status");
        rc = bw_buf_printf(out, "%s run %s exit %lld", jstr(e, "stage"), jstr(e, "run_id"),
                           json_is_integer(x) ? (long long)json_integer_value(x) : -1LL);
    } else if (strcmp(kind, "gate") == 0) {
        rc = bw_buf_printf(out, "%s: %s", jstr(e, "check"), jstr(e, "verdict"));
    } else if (strcmp(kind, "approval") == 0) {
        const json_t *t = json_object_get(e, "target");
        if (json_is_integer(t)) {
            rc = bw_buf_printf(out, "%s entry %lld: %s", jstr(e, "decision"), (long long)json_integer_value(t),
                               jstr(e, "reason"));
        } else {
            rc = bw_buf_printf(out, "%s %s: %s", jstr(e, "decision"), jdigest(e, "target", d), jstr(e, "reason"));
        }
    } else if (strcmp(kind, "key") == 0) {
        rc = bw_buf_printf(out, "%s %s %.16s", jstr(e, "event"), jstr(e, "name"), jstr(e, "key_hint"));
    }
    json_decref(e);
    return rc;
}
