/*
 * export.c - stage-run records (the ledger's "stage_run" entries) and the
 * provenance formats written from them: SLSA Provenance v1 statements,
 * OpenLineage RunEvents, in-toto 1.x links and layouts (see bw_export.h,
 * docs/provenance.md).
 *
 * Entry bodies come from the ledger, which other machines may have
 * written: the parser (jansson, duplicate members refused) checks every
 * member's type, digests' hex lengths and times' syntax, and rejects
 * members it does not know. The writers use bw_json, so output is always
 * valid JSON. in-toto signs securesystemslib's canonical JSON of the
 * "signed" object; we write that object with bw_json, read it back with
 * jansson and canonicalise the tree, so what is signed is exactly what a
 * Python reader of the file reconstructs.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>

#include "bulwark/bw_digest.h"
#include "bulwark/bw_dsse.h"
#include "bulwark/bw_export.h"
#include "bulwark/bw_json.h"
#include "util/internal.h"

#define MAX_STRING ((size_t)1 << 20)
#define OUT_MAX ((size_t)256 << 20)

/* ---- checks shared by the parser and the exporters ------------------------------------------------- */

/* Hex digits an algorithm's digest has; 0 when it may vary (8-128). */
static size_t alg_hex_len(const char *alg)
{
    static const struct {
        const char *name;
        size_t len;
    } known[] = {
        {"md5", 32},     {"sha1", 40},     {"sha224", 56},     {"sha256", 64},    {"sha384", 96},
        {"sha512", 128}, {"sha3-256", 64}, {"sha3-384", 96},   {"sha3-512", 128}, {"blake2b", 128},
        {"blake2s", 64}, {"blake3", 64},   {"sha512_256", 64}, {"dirHash", 64},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(known); i++) {
        if (strcmp(alg, known[i].name) == 0) {
            return known[i].len;
        }
    }
    return 0;
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static bool alg_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= BW_PROV_ALG_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

/*
 * Check one digest value for alg: lower-case hex of the algorithm's length (gitCommit: 40 or 64;
 * unknown algorithms: 8-128 digits). NULL when fine, else what is wrong.
 */
static const char *digest_value_problem(const char *alg, const char *hex, size_t n)
{
    size_t want = alg_hex_len(alg);

    if (!is_lower_hex(hex, n)) {
        return "is not lower-case hex";
    }
    if (strcmp(alg, "gitCommit") == 0) {
        return n == 40 || n == 64 ? NULL : "is not 40 or 64 hex digits";
    }
    if (want != 0 && n != want) {
        return "has the wrong length for its algorithm";
    }
    if (want == 0 && (n < 8 || n >= BW_PROV_HEX_MAX)) {
        return "is not 8 to 128 hex digits";
    }
    return NULL;
}

static bool leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool digits(const char *s, size_t n, unsigned *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return true;
}

/* RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.fraction]Z, fields in range. */
static bool time_ok(const char *s)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, se;
    size_t n = strlen(s), i = 19;

    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
        !digits(s + 17, 2, &se)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 || se > 60) {
        return false;
    }
    if (s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == f || i - f > 9) {
            return false;
        }
    }
    return i == n - 1 && s[i] == 'Z';
}

/* ---- release -------------------------------------------------------------------------------------- */

static void refs_free(bw_artifact_ref *a, size_t n)
{
    for (size_t i = 0; i < n && a != NULL; i++) {
        bw_free(a[i].name);
    }
    bw_free(a);
}

void bw_stage_run_release(bw_stage_run *run)
{
    if (run == NULL) {
        return;
    }
    bw_free(run->stage);
    bw_free(run->run_id);
    refs_free(run->inputs, run->n_inputs);
    refs_free(run->outputs, run->n_outputs);
    for (size_t i = 0; i < run->n_command && run->command != NULL; i++) {
        bw_free(run->command[i]);
    }
    bw_free(run->command);
    bw_free(run->commit);
    for (size_t i = 0; i < run->n_environment && run->environment != NULL; i++) {
        bw_free(run->environment[i].key);
        bw_free(run->environment[i].value);
    }
    bw_free(run->environment);
    bw_free(run->actor);
    bw_free(run->time);
    bw_free(run->started);
    bw_free(run->ended);
    memset(run, 0, sizeof(*run));
}

void bw_stage_run_free(bw_stage_run *run)
{
    bw_stage_run_release(run);
    bw_free(run);
}

void bw_stage_runs_free(bw_stage_run *runs, size_t n)
{
    for (size_t i = 0; i < n && runs != NULL; i++) {
        bw_stage_run_release(&runs[i]);
    }
    bw_free(runs);
}

/* ---- parsing an entry body ------------------------------------------------------------------------- */

struct pctx {
    const char *name;
    bw_error *err;
};

static bw_status pfail(struct pctx *c, const char *path, const char *what)
{
    return bw_fail(c->err, BW_EFORMAT, "%s: %s %s", c->name, path, what);
}

/* A copy of string member v at path; NULL allowed when nullable (then *out = NULL). */
static bw_status get_str(struct pctx *c, const json_t *v, const char *path, bool nullable, bool nonempty, char **out)
{
    *out = NULL;
    if (v == NULL) {
        return pfail(c, path, "is missing");
    }
    if (json_is_null(v) && nullable) {
        return BW_OK;
    }
    if (!json_is_string(v)) {
        return pfail(c, path, nullable ? "must be a string or null" : "must be a string");
    }
    size_t n = json_string_length(v);
    if (n > MAX_STRING) {
        return bw_fail(c->err, BW_ELIMIT, "%s: %s is longer than %zu bytes", c->name, path, MAX_STRING);
    }
    if (nonempty && n == 0) {
        return pfail(c, path, "must not be empty");
    }
    *out = bw_strndup(json_string_value(v), n);
    return *out != NULL ? BW_OK : bw_fail(c->err, BW_ENOMEM, "out of memory");
}

static bw_status get_time(struct pctx *c, const json_t *v, const char *path, bool nullable, char **out)
{
    BW_TRY(get_str(c, v, path, nullable, true, out));
    if (*out != NULL && !time_ok(*out)) {
        BW_FREE(*out);
        return pfail(c, path, "is not an RFC 3339 UTC time (\"2026-11-24T10:00:00Z\")");
    }
    return BW_OK;
}

static int dig_cmp(const void *a, const void *b)
{
    return strcmp(((const bw_prov_digest *)a)->alg, ((const bw_prov_digest *)b)->alg);
}

static bw_status get_digests(struct pctx *c, const json_t *v, const char *path, bool nullable, bw_prov_digests *out)
{
    const char *k;
    json_t *x;
    char p[192];

    memset(out, 0, sizeof(*out));
    if (v == NULL) {
        return pfail(c, path, "is missing");
    }
    if (json_is_null(v) && nullable) {
        return BW_OK;
    }
    if (!json_is_object(v) || json_object_size(v) == 0) {
        return pfail(c, path, "must be a non-empty object of algorithm: hex");
    }
    if (json_object_size(v) > BW_PROV_MAX_DIGESTS) {
        return pfail(c, path, "holds more than 4 digests");
    }
    json_object_foreach((json_t *)v, k, x)
    {
        size_t kn = strlen(k), n;
        const char *why;
        snprintf(p, sizeof(p), "%s.%.64s", path, k);
        if (!alg_name_ok(k, kn)) {
            return pfail(c, p, "is not an algorithm name (letters, digits, '-', '_'; at most 31)");
        }
        if (!json_is_string(x)) {
            return pfail(c, p, "must be a hex string");
        }
        n = json_string_length(x);
        why = digest_value_problem(k, json_string_value(x), n);
        if (why != NULL) {
            return pfail(c, p, why);
        }
        memcpy(out->d[out->n].alg, k, kn + 1);
        memcpy(out->d[out->n].hex, json_string_value(x), n + 1);
        out->n++;
    }
    qsort(out->d, out->n, sizeof(out->d[0]), dig_cmp);
    return BW_OK;
}

/* Members of o other than the allowed ones are an error. */
static bw_status only_members(struct pctx *c, const json_t *o, const char *path, const char *const *allowed, size_t n)
{
    const char *k;
    json_t *x;
    char p[160];

    json_object_foreach((json_t *)o, k, x)
    {
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++) {
            ok = strcmp(k, allowed[i]) == 0;
        }
        if (!ok) {
            char shown[64];
            bw_escape_for_log(k, strlen(k), shown, sizeof(shown));
            snprintf(p, sizeof(p), "%s%s'%s'", path, path[0] ? " member " : "member ", shown);
            return pfail(c, p, "is not part of a stage_run entry");
        }
    }
    return BW_OK;
}

static bw_status get_u64(struct pctx *c, const json_t *v, const char *path, bool nullable, uint64_t *out)
{
    if (v == NULL) {
        return pfail(c, path, "is missing");
    }
    if (json_is_null(v) && nullable) {
        *out = BW_PROV_SIZE_UNKNOWN;
        return BW_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return pfail(c, path, "must be a non-negative integer");
    }
    *out = (uint64_t)json_integer_value(v);
    return BW_OK;
}

static int ref_name_cmp(const void *a, const void *b)
{
    return strcmp((*(const bw_artifact_ref *const *)a)->name, (*(const bw_artifact_ref *const *)b)->name);
}

/* The first repeated name among refs, or NULL; BW_ENOMEM through *rc. */
static const char *repeated_name(const bw_artifact_ref *refs, size_t n, bw_status *rc)
{
    const bw_artifact_ref **v;
    const char *dup = NULL;

    *rc = BW_OK;
    if (n < 2) {
        return NULL;
    }
    v = bw_reallocarray(NULL, n, sizeof(*v));
    if (v == NULL) {
        *rc = BW_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = &refs[i];
    }
    qsort(v, n, sizeof(*v), ref_name_cmp);
    for (size_t i = 1; i < n && dup == NULL; i++) {
        if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
            dup = v[i]->name;
        }
    }
    bw_free(v);
    return dup;
}

static bw_status get_refs(struct pctx *c, const json_t *v, const char *path, bw_artifact_ref **out, size_t *nout)
{
    static const char *const allowed[] = {"name", "digest", "size", "nfiles"};
    char p[96];
    bw_status rc;
    size_t n;

    *out = NULL;
    *nout = 0;
    if (v == NULL) {
        return pfail(c, path, "is missing");
    }
    if (!json_is_array(v)) {
        return pfail(c, path, "must be an array");
    }
    n = json_array_size(v);
    if (n > BW_STAGE_RUN_MAX_ITEMS) {
        return bw_fail(c->err, BW_ELIMIT, "%s: %s has more than %d items", c->name, path, BW_STAGE_RUN_MAX_ITEMS);
    }
    if (n == 0) {
        return BW_OK;
    }
    *out = bw_calloc(n, sizeof(**out));
    if (*out == NULL) {
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        bw_artifact_ref *r = &(*out)[i];
        const json_t *nf;
        *nout = i + 1;
        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (!json_is_object(e)) {
            return pfail(c, p, "must be an object");
        }
        BW_TRY(only_members(c, e, p, allowed, BW_ARRAY_LEN(allowed)));
        snprintf(p, sizeof(p), "%s[%zu].name", path, i);
        BW_TRY(get_str(c, json_object_get(e, "name"), p, false, true, &r->name));
        snprintf(p, sizeof(p), "%s[%zu].digest", path, i);
        BW_TRY(get_digests(c, json_object_get(e, "digest"), p, false, &r->digest));
        snprintf(p, sizeof(p), "%s[%zu].size", path, i);
        BW_TRY(get_u64(c, json_object_get(e, "size"), p, true, &r->size));
        nf = json_object_get(e, "nfiles");
        if (nf != NULL) {
            snprintf(p, sizeof(p), "%s[%zu].nfiles", path, i);
            BW_TRY(get_u64(c, nf, p, false, &r->nfiles));
        }
    }
    const char *dup = repeated_name(*out, n, &rc);
    if (rc != BW_OK) {
        return bw_fail(c->err, rc, "out of memory");
    }
    if (dup != NULL) {
        char shown[96];
        bw_escape_for_log(dup, strlen(dup), shown, sizeof(shown));
        return bw_fail(c->err, BW_EFORMAT, "%s: %s names '%s' twice", c->name, path, shown);
    }
    return BW_OK;
}

static int env_cmp(const void *a, const void *b)
{
    return strcmp(((const bw_env_var *)a)->key, ((const bw_env_var *)b)->key);
}

static bw_status parse_run(struct pctx *c, const json_t *root, bw_stage_run *run)
{
    static const char *const allowed[] = {
        "kind",        "time",    "actor",   "stage",       "run_id",
        "inputs",      "outputs", "command", "commit",      "parameters_digest",
        "environment", "started", "ended",   "exit_status",
    };
    const json_t *v;
    char p[96];

    if (!json_is_object(root)) {
        return bw_fail(c->err, BW_EFORMAT, "%s: a stage_run entry is a JSON object", c->name);
    }
    v = json_object_get(root, "kind");
    if (!json_is_string(v) || strcmp(json_string_value(v), "stage_run") != 0) {
        return pfail(c, "kind", "must be \"stage_run\"");
    }
    BW_TRY(only_members(c, root, "", allowed, BW_ARRAY_LEN(allowed)));
    BW_TRY(get_time(c, json_object_get(root, "time"), "time", true, &run->time));
    BW_TRY(get_str(c, json_object_get(root, "actor"), "actor", false, true, &run->actor));
    BW_TRY(get_str(c, json_object_get(root, "stage"), "stage", false, true, &run->stage));
    BW_TRY(get_str(c, json_object_get(root, "run_id"), "run_id", false, true, &run->run_id));
    BW_TRY(get_refs(c, json_object_get(root, "inputs"), "inputs", &run->inputs, &run->n_inputs));
    BW_TRY(get_refs(c, json_object_get(root, "outputs"), "outputs", &run->outputs, &run->n_outputs));

    v = json_object_get(root, "command");
    if (v == NULL || !json_is_array(v)) {
        return pfail(c, "command", v == NULL ? "is missing" : "must be an array of strings");
    }
    if (json_array_size(v) > BW_STAGE_RUN_MAX_ITEMS) {
        return bw_fail(c->err, BW_ELIMIT, "%s: command has more than %d arguments", c->name, BW_STAGE_RUN_MAX_ITEMS);
    }
    if (json_array_size(v) > 0) {
        run->command = bw_calloc(json_array_size(v), sizeof(char *));
        if (run->command == NULL) {
            return bw_fail(c->err, BW_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        run->n_command = i + 1;
        snprintf(p, sizeof(p), "command[%zu]", i);
        BW_TRY(get_str(c, json_array_get(v, i), p, false, false, &run->command[i]));
    }

    BW_TRY(get_str(c, json_object_get(root, "commit"), "commit", true, true, &run->commit));
    if (run->commit != NULL && digest_value_problem("gitCommit", run->commit, strlen(run->commit)) != NULL) {
        return pfail(c, "commit", "is not a git commit (40 or 64 lower-case hex digits)");
    }
    BW_TRY(
        get_digests(c, json_object_get(root, "parameters_digest"), "parameters_digest", true, &run->parameters_digest));

    v = json_object_get(root, "environment");
    if (v == NULL || !json_is_object(v)) {
        return pfail(c, "environment", v == NULL ? "is missing" : "must be an object of strings");
    }
    if (json_object_size(v) > BW_STAGE_RUN_MAX_ITEMS) {
        return bw_fail(c->err, BW_ELIMIT, "%s: environment has more than %d variables", c->name,
                       BW_STAGE_RUN_MAX_ITEMS);
    }
    if (json_object_size(v) > 0) {
        run->environment = bw_calloc(json_object_size(v), sizeof(bw_env_var));
        if (run->environment == NULL) {
            return bw_fail(c->err, BW_ENOMEM, "out of memory");
        }
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        bw_env_var *e = &run->environment[run->n_environment++];
        char shown[64];
        bw_escape_for_log(k, strlen(k), shown, sizeof(shown));
        snprintf(p, sizeof(p), "environment.%s", shown);
        if (k[0] == '\0') {
            return pfail(c, "environment", "has an empty variable name");
        }
        e->key = bw_strdup(k);
        if (e->key == NULL) {
            return bw_fail(c->err, BW_ENOMEM, "out of memory");
        }
        BW_TRY(get_str(c, x, p, false, false, &e->value));
    }
    if (run->n_environment > 1) {
        qsort(run->environment, run->n_environment, sizeof(bw_env_var), env_cmp);
    }

    BW_TRY(get_time(c, json_object_get(root, "started"), "started", true, &run->started));
    BW_TRY(get_time(c, json_object_get(root, "ended"), "ended", true, &run->ended));
    v = json_object_get(root, "exit_status");
    if (v == NULL) {
        return pfail(c, "exit_status", "is missing");
    }
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX) {
        return pfail(c, "exit_status", "must be an integer");
    }
    run->exit_status = (int)json_integer_value(v);
    return BW_OK;
}

bw_status bw_stage_run_parse(const void *json, size_t n, const char *name, bw_stage_run **out, bw_error *err)
{
    struct pctx c = {.name = name != NULL ? name : "entry", .err = err};
    json_error_t je;
    json_t *root;
    bw_stage_run *run;
    bw_status rc;

    *out = NULL;
    if (n > BW_STAGE_RUN_MAX_JSON) {
        return bw_fail(err, BW_ELIMIT, "%s: a stage_run entry over %zu bytes", c.name, BW_STAGE_RUN_MAX_JSON);
    }
    root = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        return bw_fail_at(err, BW_EFORMAT, (uint64_t)je.position, "%s: line %d, column %d: %s", c.name, je.line,
                          je.column, je.text);
    }
    run = bw_calloc(1, sizeof(*run));
    if (run == NULL) {
        json_decref(root);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    rc = parse_run(&c, root, run);
    json_decref(root);
    if (rc != BW_OK) {
        bw_stage_run_free(run);
        return rc;
    }
    *out = run;
    return BW_OK;
}

/*
 * A ledger entry's stage run, for the exporters: the entry model lets a stage_run leave out most
 * members and add new ones, bw_stage_run_parse wants exactly the full set. Absent optional
 * members become their empty values (no inputs, no command, null commit...), members the parser
 * does not know are dropped (counted in *dropped), then the strict parser checks the result.
 */
bw_status bw_stage_run_from_entry(const void *json, size_t n, const char *name, bw_stage_run **out, size_t *dropped,
                                  bw_error *err)
{
    static const char *const known[] = {"kind",        "time",    "actor",   "stage",      "run_id",
                                        "inputs",      "outputs", "command", "commit",     "parameters_digest",
                                        "environment", "started", "ended",   "exit_status"};
    json_t *root, *x;
    json_error_t je;
    const char *k;
    void *tmp;
    char *text = NULL;
    bw_status rc;

    *out = NULL;
    if (dropped != NULL) {
        *dropped = 0;
    }
    if (n > BW_STAGE_RUN_MAX_JSON) {
        return bw_fail(err, BW_ELIMIT, "%s: a stage_run entry over %zu bytes", name, BW_STAGE_RUN_MAX_JSON);
    }
    root = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return bw_fail(err, BW_EFORMAT, "%s: not a JSON object", name);
    }
    if (!json_is_string(json_object_get(root, "kind")) ||
        strcmp(json_string_value(json_object_get(root, "kind")), "stage_run") != 0) {
        json_decref(root);
        return bw_fail(err, BW_EINVAL, "%s: not a stage_run entry", name);
    }
    json_object_foreach_safe(root, tmp, k, x)
    {
        bool ok = false;
        for (size_t i = 0; i < BW_ARRAY_LEN(known); i++) {
            ok = ok || strcmp(k, known[i]) == 0;
        }
        if (!ok) {
            json_object_del(root, k);
            if (dropped != NULL) {
                (*dropped)++;
            }
        }
    }
    for (size_t i = 0; i < 2; i++) {
        json_t *list = json_object_get(root, i == 0 ? "inputs" : "outputs");
        size_t idx;
        json_t *r;
        json_array_foreach(list, idx, r)
        {
            if (json_is_object(r) && json_object_get(r, "size") == NULL) {
                json_object_set_new(r, "size", json_null());
            }
        }
    }
    static const char *const arrays[] = {"inputs", "outputs", "command"};
    for (size_t i = 0; i < BW_ARRAY_LEN(arrays); i++) {
        if (json_object_get(root, arrays[i]) == NULL) {
            json_object_set_new(root, arrays[i], json_array());
        }
    }
    static const char *const nulls[] = {"commit", "parameters_digest", "started", "ended", "time"};
    for (size_t i = 0; i < BW_ARRAY_LEN(nulls); i++) {
        if (json_object_get(root, nulls[i]) == NULL) {
            json_object_set_new(root, nulls[i], json_null());
        }
    }
    if (json_object_get(root, "environment") == NULL) {
        json_object_set_new(root, "environment", json_object());
    }
    if (json_object_get(root, "exit_status") == NULL) {
        json_decref(root);
        return bw_fail(err, BW_EFORMAT, "%s: the stage run has no exit_status (how it ended is unknown)", name);
    }
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (text == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    rc = bw_stage_run_parse(text, strlen(text), name, out, err);
    free(text);
    return rc;
}

/* ---- writing an entry body ------------------------------------------------------------------------- */

static void json_digests(bw_json *j, const bw_prov_digests *d)
{
    bw_json_obj_begin(j);
    for (size_t i = 0; i < d->n; i++) {
        bw_json_kv_str(j, d->d[i].alg, d->d[i].hex);
    }
    bw_json_obj_end(j);
}

static void json_refs(bw_json *j, const bw_artifact_ref *r, size_t n)
{
    bw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        bw_json_obj_begin(j);
        bw_json_kv_str(j, "name", r[i].name);
        bw_json_key(j, "digest");
        json_digests(j, &r[i].digest);
        bw_json_key(j, "size");
        if (r[i].size == BW_PROV_SIZE_UNKNOWN) {
            bw_json_null(j);
        } else {
            bw_json_uint(j, r[i].size);
        }
        if (r[i].nfiles != 0) {
            bw_json_key(j, "nfiles");
            bw_json_uint(j, r[i].nfiles);
        }
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
}

static void json_strv(bw_json *j, char *const *v, size_t n)
{
    bw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        bw_json_str(j, v[i]);
    }
    bw_json_arr_end(j);
}

static void json_env(bw_json *j, const bw_stage_run *run)
{
    bw_json_obj_begin(j);
    for (size_t i = 0; i < run->n_environment; i++) {
        bw_json_kv_str(j, run->environment[i].key, run->environment[i].value);
    }
    bw_json_obj_end(j);
}

bw_status bw_stage_run_write_json(const bw_stage_run *run, bw_buf *out)
{
    bw_json j;

    bw_json_init(&j, out, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "kind", "stage_run");
    bw_json_kv_str(&j, "time", run->time);
    bw_json_kv_str(&j, "actor", run->actor);
    bw_json_kv_str(&j, "stage", run->stage);
    bw_json_kv_str(&j, "run_id", run->run_id);
    bw_json_key(&j, "inputs");
    json_refs(&j, run->inputs, run->n_inputs);
    bw_json_key(&j, "outputs");
    json_refs(&j, run->outputs, run->n_outputs);
    bw_json_key(&j, "command");
    json_strv(&j, run->command, run->n_command);
    bw_json_kv_str(&j, "commit", run->commit);
    bw_json_key(&j, "parameters_digest");
    if (run->parameters_digest.n == 0) {
        bw_json_null(&j);
    } else {
        json_digests(&j, &run->parameters_digest);
    }
    bw_json_key(&j, "environment");
    json_env(&j, run);
    bw_json_kv_str(&j, "started", run->started);
    bw_json_kv_str(&j, "ended", run->ended);
    bw_json_kv_int(&j, "exit_status", run->exit_status);
    bw_json_obj_end(&j);
    return bw_json_finish(&j);
}

/* ---- run ids as UUIDs ------------------------------------------------------------------------------ */

/* uuid5(NAMESPACE_URL, "https://github.com/bulwark-sec/bulwark") */
static const uint8_t bulwark_ns[16] = {0x6d, 0xaa, 0xda, 0x4e, 0x90, 0x24, 0x5b, 0x97,
                                       0xba, 0x8d, 0xd4, 0x24, 0xdc, 0xce, 0xd5, 0x62};

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36) {
        return false;
    }
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return false;
            }
        } else if (bw_hexval((unsigned char)s[i]) < 0) {
            return false;
        }
    }
    return true;
}

static void uuid_format(const uint8_t b[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

bw_status bw_export_run_uuid(const char *run_id, char out[37], bw_error *err)
{
    uint8_t h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;
    EVP_MD_CTX *ctx;
    bool ok;

    if (is_uuid(run_id)) {
        for (size_t i = 0; i < 37; i++) {
            out[i] = (char)(run_id[i] >= 'A' && run_id[i] <= 'F' ? run_id[i] + 32 : run_id[i]);
        }
        return BW_OK;
    }
    /* RFC 9562 section 5.5: SHA-1 of namespace || name, version and variant bits set */
    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, bulwark_ns, sizeof(bulwark_ns)) == 1 &&
         EVP_DigestUpdate(ctx, run_id, strlen(run_id)) == 1 && EVP_DigestFinal_ex(ctx, h, &hl) == 1 && hl >= 16;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return bw_fail(err, BW_ENOMEM, "SHA-1 for a name-based UUID failed");
    }
    h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
    h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
    uuid_format(h, out);
    return BW_OK;
}

/* ---- SLSA Provenance v1 ---------------------------------------------------------------------------- */

static const bw_export_opts default_opts = BW_EXPORT_OPTS_INIT;

static bw_status check_opts(const bw_export_opts *o, bw_error *err)
{
    if (o->version != BW_EXPORT_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "bw_export_opts version %u (expected %u)", o->version, BW_EXPORT_OPTS_VERSION);
    }
    if (o->event_time != NULL && !time_ok(o->event_time)) {
        return bw_fail(err, BW_EINVAL, "event time '%.40s' is not RFC 3339 UTC", o->event_time);
    }
    if (o->event < BW_OL_AUTO || o->event > BW_OL_FAIL) {
        return bw_fail(err, BW_EINVAL, "unknown OpenLineage event type %d", (int)o->event);
    }
    return BW_OK;
}

static void json_resource(bw_json *j, const bw_artifact_ref *r)
{
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "name", r->name);
    bw_json_key(j, "digest");
    json_digests(j, &r->digest);
    if (r->size != BW_PROV_SIZE_UNKNOWN || r->nfiles != 0) {
        bw_json_key(j, "annotations");
        bw_json_obj_begin(j);
        if (r->nfiles != 0) {
            bw_json_key(j, "nfiles");
            bw_json_uint(j, r->nfiles);
        }
        if (r->size != BW_PROV_SIZE_UNKNOWN) {
            bw_json_key(j, "size");
            bw_json_uint(j, r->size);
        }
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
}

bw_status bw_export_slsa(const bw_stage_run *run, const bw_export_opts *opts, bw_buf *out, bw_error *err)
{
    const bw_export_opts *o = opts != NULL ? opts : &default_opts;
    bw_buf uri = BW_BUF_INIT(MAX_STRING);
    bw_json j;
    bw_status rc;

    BW_TRY(check_opts(o, err));
    if (run->n_outputs == 0) {
        return bw_fail(err, BW_EINVAL, "stage run '%.64s' has no outputs: a provenance statement needs a subject",
                       run->stage);
    }
    if (run->exit_status != 0 && !o->allow_failed) {
        return bw_fail(err, BW_EINVAL, "stage run '%.64s' exited with status %d: no provenance for a failed run",
                       run->stage, run->exit_status);
    }
    bw_json_init(&j, out, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "_type", "https://in-toto.io/Statement/v1");
    bw_json_key(&j, "subject");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < run->n_outputs; i++) {
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "name", run->outputs[i].name);
        bw_json_key(&j, "digest");
        json_digests(&j, &run->outputs[i].digest);
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_kv_str(&j, "predicateType", "https://slsa.dev/provenance/v1");
    bw_json_key(&j, "predicate");
    bw_json_obj_begin(&j);

    bw_json_key(&j, "buildDefinition");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "buildType", BW_EXPORT_BUILD_TYPE);
    bw_json_key(&j, "externalParameters");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "stage", run->stage);
    bw_json_key(&j, "command");
    json_strv(&j, run->command, run->n_command);
    if (run->parameters_digest.n > 0) {
        bw_json_key(&j, "parameters");
        bw_json_obj_begin(&j);
        bw_json_key(&j, "digest");
        json_digests(&j, &run->parameters_digest);
        bw_json_obj_end(&j);
    }
    bw_json_obj_end(&j);
    bw_json_key(&j, "internalParameters");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "actor", run->actor);
    bw_json_key(&j, "environment");
    json_env(&j, run);
    bw_json_kv_int(&j, "exitStatus", run->exit_status);
    bw_json_obj_end(&j);
    bw_json_key(&j, "resolvedDependencies");
    bw_json_arr_begin(&j);
    if (run->commit != NULL) {
        bw_json_obj_begin(&j);
        if (o->repo_uri != NULL) {
            rc = bw_buf_printf(&uri, "%s@%s", o->repo_uri, run->commit);
            bw_json_kv_str(&j, "uri", rc == BW_OK ? uri.ptr : "");
        }
        bw_json_kv_str(&j, "name", "source");
        bw_json_key(&j, "digest");
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "gitCommit", run->commit);
        bw_json_obj_end(&j);
        bw_json_obj_end(&j);
    }
    for (size_t i = 0; i < run->n_inputs; i++) {
        json_resource(&j, &run->inputs[i]);
    }
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);

    bw_json_key(&j, "runDetails");
    bw_json_obj_begin(&j);
    bw_json_key(&j, "builder");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "id", o->builder_id != NULL ? o->builder_id : BW_EXPORT_BUILDER_ID);
    bw_json_key(&j, "version");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "bulwark", bw_version());
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_json_key(&j, "metadata");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "invocationId", run->run_id);
    if (run->started != NULL) {
        bw_json_kv_str(&j, "startedOn", run->started);
    }
    if (run->ended != NULL) {
        bw_json_kv_str(&j, "finishedOn", run->ended);
    }
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);

    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    rc = uri.err != BW_OK ? uri.err : bw_json_finish(&j);
    bw_buf_release(&uri);
    return rc == BW_OK ? BW_OK : bw_fail(err, rc, "cannot build the SLSA statement of '%.64s'", run->stage);
}

bw_status bw_export_slsa_dsse(const bw_stage_run *run, const bw_export_opts *opts, const bw_key *k, const char *keyid,
                              bw_buf *out, bw_error *err)
{
    bw_buf stmt = BW_BUF_INIT(BW_DSSE_MAX_ENVELOPE);
    bw_status rc = bw_export_slsa(run, opts, &stmt, err);

    if (rc == BW_OK) {
        rc = bw_dsse_sign(BW_EXPORT_INTOTO_PAYLOAD_TYPE, stmt.ptr, stmt.len, k, keyid, out, err);
    }
    bw_buf_release(&stmt);
    return rc;
}

/* ---- OpenLineage ----------------------------------------------------------------------------------- */

static void facet_head(bw_json *j, const char *producer, const char *schema)
{
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "_producer", producer);
    bw_json_kv_str(j, "_schemaURL", schema);
}

/* The digest a dataset version is named by: sha256 when present, else the first. */
static const bw_prov_digest *version_digest(const bw_prov_digests *d)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->d[i].alg, "sha256") == 0) {
            return &d->d[i];
        }
    }
    return d->n > 0 ? &d->d[0] : NULL;
}

static void ol_datasets(bw_json *j, const bw_artifact_ref *r, size_t n, const char *ns, const char *producer,
                        bw_buf *tmp)
{
    bw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        const bw_prov_digest *vd = version_digest(&r[i].digest);
        bw_json_obj_begin(j);
        bw_json_kv_str(j, "namespace", ns);
        bw_json_kv_str(j, "name", r[i].name);
        bw_json_key(j, "facets");
        bw_json_obj_begin(j);
        if (vd != NULL) {
            bw_buf_reset(tmp);
            (void)bw_buf_printf(tmp, "%s:%s", vd->alg, vd->hex);
            bw_json_key(j, "version");
            facet_head(j, producer,
                       "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/"
                       "DatasetVersionDatasetFacet");
            bw_json_kv_str(j, "datasetVersion", tmp->ptr != NULL ? tmp->ptr : "");
            bw_json_obj_end(j);
        }
        bw_json_key(j, "bulwark_digest");
        facet_head(j, producer, BW_EXPORT_FACET_SCHEMA);
        bw_json_key(j, "digest");
        json_digests(j, &r[i].digest);
        if (r[i].size != BW_PROV_SIZE_UNKNOWN) {
            bw_json_key(j, "size");
            bw_json_uint(j, r[i].size);
        }
        if (r[i].nfiles != 0) {
            bw_json_key(j, "nfiles");
            bw_json_uint(j, r[i].nfiles);
        }
        bw_json_obj_end(j);
        bw_json_obj_end(j);
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
}

bw_status bw_export_openlineage(const bw_stage_run *run, const bw_export_opts *opts, bw_buf *out, bw_error *err)
{
    static const char *const types[] = {"COMPLETE", "START", "COMPLETE", "FAIL"};
    const bw_export_opts *o = opts != NULL ? opts : &default_opts;
    const char *ns = o->ol_namespace != NULL ? o->ol_namespace : "bulwark", *when;
    bw_ol_event ev;
    bw_buf producer = BW_BUF_INIT(1024), tmp = BW_BUF_INIT(1024);
    char uuid[37];
    bw_json j;
    bw_status rc;

    BW_TRY(check_opts(o, err));
    ev = o->event != BW_OL_AUTO ? o->event : run->exit_status == 0 ? BW_OL_COMPLETE : BW_OL_FAIL;
    when = o->event_time != NULL ? o->event_time : ev == BW_OL_START ? run->started : run->ended;
    if (when == NULL) {
        return bw_fail(err, BW_EINVAL, "stage run '%.64s' has no %s time: give an event time", run->stage,
                       ev == BW_OL_START ? "start" : "end");
    }
    if (ns[0] == '\0') {
        return bw_fail(err, BW_EINVAL, "an empty OpenLineage namespace");
    }
    BW_TRY(bw_export_run_uuid(run->run_id, uuid, err));
    if (bw_buf_printf(&producer, "%s/tree/v%s", BW_EXPORT_PRODUCER, bw_version()) != BW_OK) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }

    bw_json_init(&j, out, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "eventType", types[ev]);
    bw_json_kv_str(&j, "eventTime", when);
    bw_json_key(&j, "run");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "runId", uuid);
    bw_json_key(&j, "facets");
    bw_json_obj_begin(&j);
    bw_json_key(&j, "processing_engine");
    facet_head(&j, producer.ptr,
               "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/"
               "ProcessingEngineRunFacet");
    bw_json_kv_str(&j, "version", bw_version());
    bw_json_kv_str(&j, "name", "bulwark");
    bw_json_obj_end(&j);
    bw_json_key(&j, "bulwark_run");
    facet_head(&j, producer.ptr, BW_EXPORT_FACET_SCHEMA);
    bw_json_kv_str(&j, "runId", run->run_id);
    bw_json_kv_str(&j, "actor", run->actor);
    bw_json_key(&j, "command");
    json_strv(&j, run->command, run->n_command);
    if (run->commit != NULL) {
        bw_json_kv_str(&j, "commit", run->commit);
    }
    if (run->parameters_digest.n > 0) {
        bw_json_key(&j, "parametersDigest");
        json_digests(&j, &run->parameters_digest);
    }
    bw_json_key(&j, "environment");
    json_env(&j, run);
    if (run->started != NULL) {
        bw_json_kv_str(&j, "startedAt", run->started);
    }
    if (run->ended != NULL) {
        bw_json_kv_str(&j, "endedAt", run->ended);
    }
    if (ev != BW_OL_START) {
        bw_json_kv_int(&j, "exitStatus", run->exit_status);
    }
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_json_key(&j, "job");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "namespace", ns);
    bw_json_kv_str(&j, "name", run->stage);
    bw_json_key(&j, "facets");
    bw_json_obj_begin(&j);
    bw_json_key(&j, "jobType");
    facet_head(&j, producer.ptr,
               "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet");
    bw_json_kv_str(&j, "processingType", "BATCH");
    bw_json_kv_str(&j, "integration", "BULWARK");
    bw_json_kv_str(&j, "jobType", "STAGE");
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    bw_json_key(&j, "inputs");
    ol_datasets(&j, run->inputs, run->n_inputs, ns, producer.ptr, &tmp);
    bw_json_key(&j, "outputs");
    /* a START event knows what the run will read, not yet what it wrote */
    ol_datasets(&j, run->outputs, ev == BW_OL_START ? 0 : run->n_outputs, ns, producer.ptr, &tmp);
    bw_json_kv_str(&j, "producer", producer.ptr);
    bw_json_kv_str(&j, "schemaURL", BW_EXPORT_OPENLINEAGE_SCHEMA);
    bw_json_obj_end(&j);
    rc = tmp.err != BW_OK ? tmp.err : bw_json_finish(&j);
    bw_buf_release(&producer);
    bw_buf_release(&tmp);
    return rc == BW_OK ? BW_OK : bw_fail(err, rc, "cannot build the OpenLineage event of '%.64s'", run->stage);
}

/* ---- in-toto: keys, canonical JSON, links, layouts ------------------------------------------------- */

struct itkey {
    const char *keytype, *scheme;
    bw_buf pub; /* keyval.public: hex (Ed25519) or PEM (ECDSA) */
    char keyid[65];
};

static void itkey_release(struct itkey *ik)
{
    bw_buf_release(&ik->pub);
}

/* Append s to out as securesystemslib writes a string: quotes, and only '\' and '"' escaped. */
static void canon_str(bw_buf *out, const char *s, size_t n)
{
    bw_buf_addc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '"') {
            bw_buf_addc(out, '\\');
        }
        bw_buf_addc(out, s[i]);
    }
    bw_buf_addc(out, '"');
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * securesystemslib.formats.encode_canonical of a jansson tree: objects with keys sorted (byte order of
 * UTF-8 is code point order, what Python's sorted() uses), no whitespace, integers only.
 */
static bw_status canon(const json_t *v, bw_buf *out, int depth)
{
    if (depth > 64) {
        return BW_ELIMIT;
    }
    switch (json_typeof(v)) {
    case JSON_STRING: canon_str(out, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: bw_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_TRUE: bw_buf_addstr(out, "true"); break;
    case JSON_FALSE: bw_buf_addstr(out, "false"); break;
    case JSON_NULL: bw_buf_addstr(out, "null"); break;
    case JSON_REAL: return BW_EUNSUPPORTED;
    case JSON_ARRAY:
        bw_buf_addc(out, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0) {
                bw_buf_addc(out, ',');
            }
            BW_TRY(canon(json_array_get(v, i), out, depth + 1));
        }
        bw_buf_addc(out, ']');
        break;
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = n > 0 ? bw_reallocarray(NULL, n, sizeof(*keys)) : NULL;
        const char *k;
        json_t *x;
        bw_status rc = BW_OK;
        if (n > 0 && keys == NULL) {
            return BW_ENOMEM;
        }
        json_object_foreach((json_t *)v, k, x)
        {
            keys[i++] = k;
        }
        if (n > 1) {
            qsort(keys, n, sizeof(*keys), key_cmp);
        }
        bw_buf_addc(out, '{');
        for (i = 0; i < n && rc == BW_OK; i++) {
            if (i > 0) {
                bw_buf_addc(out, ',');
            }
            canon_str(out, keys[i], strlen(keys[i]));
            bw_buf_addc(out, ':');
            rc = canon(json_object_get(v, keys[i]), out, depth + 1);
        }
        bw_free(keys);
        BW_TRY(rc);
        bw_buf_addc(out, '}');
        break;
    }
    }
    return out->err;
}

static void hex_append(bw_buf *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char two[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
        bw_buf_add(out, two, 2);
    }
}

/* The key record as securesystemslib hashes it for a key id (no "keyid" member). */
static void itkey_json(bw_json *j, const struct itkey *ik, bool with_keyid)
{
    bw_json_obj_begin(j);
    if (with_keyid) {
        bw_json_kv_str(j, "keyid", ik->keyid);
    }
    bw_json_key(j, "keyid_hash_algorithms");
    bw_json_arr_begin(j);
    bw_json_str(j, "sha256");
    bw_json_str(j, "sha512");
    bw_json_arr_end(j);
    bw_json_kv_str(j, "keytype", ik->keytype);
    bw_json_key(j, "keyval");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "public", ik->pub.ptr);
    bw_json_obj_end(j);
    bw_json_kv_str(j, "scheme", ik->scheme);
    bw_json_obj_end(j);
}

/* Canonical JSON of the JSON text in[0..n). */
static bw_status canon_text(const char *in, size_t n, bw_buf *out, bw_error *err)
{
    json_error_t je;
    json_t *t = json_loadb(in, n, 0, &je);
    bw_status rc;

    if (t == NULL) {
        /* our own writer's output: only a NUL byte inside a string gets here */
        return bw_fail(err, BW_EUNSUPPORTED, "in-toto metadata cannot carry this text: %s", je.text);
    }
    rc = canon(t, out, 0);
    json_decref(t);
    return rc == BW_OK ? BW_OK : bw_fail(err, rc, "cannot encode canonical JSON");
}

/* Ed25519 SubjectPublicKeyInfo: this prefix, then the 32-byte key. */
static const uint8_t ed25519_spki[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

static bw_status itkey_init(const bw_key *k, struct itkey *ik, bw_error *err)
{
    bw_buf pem = BW_BUF_INIT(1 << 16), der = BW_BUF_INIT(1 << 16), b64 = BW_BUF_INIT(1 << 16),
           rec = BW_BUF_INIT(1 << 16);
    bw_json j;
    bw_digest d;
    bw_status rc = BW_OK;
    size_t bad;

    memset(ik, 0, sizeof(*ik));
    bw_buf_init(&ik->pub, 1 << 16);
    switch (bw_key_get_type(k)) {
    case BW_KEY_ED25519: ik->keytype = "ed25519", ik->scheme = "ed25519"; break;
    case BW_KEY_P256: ik->keytype = "ecdsa", ik->scheme = "ecdsa-sha2-nistp256"; break;
    case BW_KEY_P384: ik->keytype = "ecdsa", ik->scheme = "ecdsa-sha2-nistp384"; break;
    default:
        return bw_fail(err, BW_EUNSUPPORTED, "in-toto (securesystemslib) does not verify %s keys",
                       bw_key_type_name(bw_key_get_type(k)));
    }
    rc = bw_key_public_pem(k, &pem);
    if (rc == BW_OK && bw_key_get_type(k) == BW_KEY_ED25519) {
        /* keyval.public of an Ed25519 key is the raw 32 bytes in hex: take them from the SPKI */
        const char *p = pem.ptr, *end = pem.ptr + pem.len;
        const char *body = strstr(p, "-----\n"), *foot = strstr(p, "\n-----END");
        if (body == NULL || foot == NULL || foot < body) {
            rc = BW_EFORMAT;
        } else {
            for (p = body + 6; p < foot && p < end; p++) {
                if (*p != '\n' && *p != '\r') {
                    bw_buf_addc(&b64, *p);
                }
            }
            rc = b64.err != BW_OK ? b64.err : bw_base64_decode(b64.ptr, b64.len, &der, &bad);
            if (rc == BW_OK && (der.len != 44 || memcmp(der.ptr, ed25519_spki, 12) != 0)) {
                rc = BW_EFORMAT;
            }
        }
        if (rc == BW_OK) {
            hex_append(&ik->pub, (const uint8_t *)der.ptr + 12, 32);
        }
    } else if (rc == BW_OK) {
        bw_buf_add(&ik->pub, pem.ptr, pem.len);
    }
    if (rc == BW_OK) {
        rc = ik->pub.err;
    }
    if (rc == BW_OK) {
        bw_json_init(&j, &b64, 0);
        bw_buf_reset(&b64);
        itkey_json(&j, ik, false);
        rc = bw_json_finish(&j);
    }
    if (rc == BW_OK) {
        rc = canon_text(b64.ptr, b64.len, &rec, err);
    }
    if (rc == BW_OK) {
        rc = bw_digest_bytes(BW_ALGO_SHA256, rec.ptr, rec.len, &d);
    }
    if (rc == BW_OK) {
        char hex[BW_DIGEST_HEX_MAX];
        bw_digest_hex(&d, hex);
        memcpy(ik->keyid, hex, sizeof(ik->keyid) - 1);
        ik->keyid[sizeof(ik->keyid) - 1] = '\0';
    } else {
        rc = bw_fail(err, rc, "cannot encode the public key for in-toto");
        itkey_release(ik);
    }
    bw_buf_release(&pem);
    bw_buf_release(&der);
    bw_buf_release(&b64);
    bw_buf_release(&rec);
    return rc;
}

bw_status bw_export_intoto_keyid(const bw_key *k, char out[65], bw_error *err)
{
    struct itkey ik;

    BW_TRY(itkey_init(k, &ik, err));
    memcpy(out, ik.keyid, 65);
    itkey_release(&ik);
    return BW_OK;
}

bw_status bw_export_intoto_pubkey(const bw_key *k, bw_buf *out, bw_error *err)
{
    struct itkey ik;
    bw_json j;
    bw_status rc;

    BW_TRY(itkey_init(k, &ik, err));
    bw_json_init(&j, out, 0);
    itkey_json(&j, &ik, false);
    rc = bw_json_finish(&j);
    itkey_release(&ik);
    return rc == BW_OK ? BW_OK : bw_fail(err, rc, "out of memory");
}

/* Sign canonical(signed_json) with k and append {"signatures": [...], "signed": signed_json} to out. */
static bw_status intoto_envelope(const bw_buf *signed_json, const bw_key *k, const struct itkey *ik, bw_buf *out,
                                 bw_error *err)
{
    bw_buf can = BW_BUF_INIT(OUT_MAX), sig = BW_BUF_INIT(1024), hex = BW_BUF_INIT(4096);
    bw_json j;
    bw_status rc;

    rc = canon_text(signed_json->ptr, signed_json->len, &can, err);
    if (rc == BW_OK) {
        rc = bw_key_sign(k, can.ptr, can.len, &sig, err);
    }
    if (rc == BW_OK) {
        hex_append(&hex, (const uint8_t *)sig.ptr, sig.len);
        bw_json_init(&j, out, 0);
        bw_json_obj_begin(&j);
        bw_json_key(&j, "signatures");
        bw_json_arr_begin(&j);
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "keyid", ik->keyid);
        bw_json_kv_str(&j, "sig", hex.ptr != NULL ? hex.ptr : "");
        bw_json_obj_end(&j);
        bw_json_arr_end(&j);
        bw_json_key(&j, "signed");
        bw_json_raw(&j, signed_json->ptr, signed_json->len);
        bw_json_obj_end(&j);
        rc = hex.err != BW_OK ? hex.err : bw_json_finish(&j);
        if (rc == BW_OK) {
            rc = bw_buf_addc(out, '\n');
        }
        if (rc != BW_OK) {
            rc = bw_fail(err, rc, "out of memory for in-toto metadata");
        }
    }
    bw_buf_release(&can);
    bw_buf_release(&sig);
    bw_buf_release(&hex);
    return rc;
}

static bw_status utf8_check(const char *s, const char *what, bw_error *err)
{
    if (s != NULL && !bw_utf8_valid(s, strlen(s))) {
        return bw_fail(err, BW_EUNSUPPORTED, "%s is not valid UTF-8: in-toto metadata cannot carry it", what);
    }
    return BW_OK;
}

/* Everything a link or layout writes must be UTF-8, and artifact digests hex, names unique. */
static bw_status intoto_check_run(const bw_stage_run *run, bw_error *err)
{
    const bw_artifact_ref *sets[2] = {run->inputs, run->outputs};
    const size_t ns[2] = {run->n_inputs, run->n_outputs};
    bw_status rc;

    BW_TRY(utf8_check(run->stage, "the stage name", err));
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < ns[s]; i++) {
            BW_TRY(utf8_check(sets[s][i].name, "an artifact name", err));
            for (size_t d = 0; d < sets[s][i].digest.n; d++) {
                const char *h = sets[s][i].digest.d[d].hex;
                if (h[0] == '\0' || !is_lower_hex(h, strlen(h))) {
                    return bw_fail(err, BW_EUNSUPPORTED, "digest of '%.64s' is not hex: in-toto needs hex digests",
                                   sets[s][i].name);
                }
            }
        }
        const char *dup = repeated_name(sets[s], ns[s], &rc);
        if (rc != BW_OK) {
            return bw_fail(err, rc, "out of memory");
        }
        if (dup != NULL) {
            return bw_fail(err, BW_EINVAL, "stage '%.64s' lists %s '%.64s' twice", run->stage,
                           s == 0 ? "input" : "output", dup);
        }
    }
    for (size_t i = 0; i < run->n_command; i++) {
        BW_TRY(utf8_check(run->command[i], "a command argument", err));
    }
    for (size_t i = 0; i < run->n_environment; i++) {
        BW_TRY(utf8_check(run->environment[i].key, "an environment variable", err));
        BW_TRY(utf8_check(run->environment[i].value, "an environment value", err));
    }
    BW_TRY(utf8_check(run->actor, "the actor", err));
    return utf8_check(run->run_id, "the run id", err);
}

static void link_artifacts(bw_json *j, const bw_artifact_ref *r, size_t n)
{
    bw_json_obj_begin(j);
    for (size_t i = 0; i < n; i++) {
        bw_json_key(j, r[i].name);
        json_digests(j, &r[i].digest);
    }
    bw_json_obj_end(j);
}

bw_status bw_export_intoto_link(const bw_stage_run *run, const bw_key *k, bw_buf *out, bw_error *err)
{
    bw_buf body = BW_BUF_INIT(OUT_MAX);
    struct itkey ik;
    bw_json j;
    bw_status rc;

    if (!bw_key_is_private(k)) {
        return bw_fail(err, BW_EINVAL, "signing an in-toto link needs a private key");
    }
    BW_TRY(intoto_check_run(run, err));
    BW_TRY(itkey_init(k, &ik, err));
    bw_json_init(&j, &body, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "_type", "link");
    bw_json_key(&j, "byproducts");
    bw_json_obj_begin(&j);
    bw_json_kv_int(&j, "return-value", run->exit_status);
    bw_json_obj_end(&j);
    bw_json_key(&j, "command");
    json_strv(&j, run->command, run->n_command);
    bw_json_key(&j, "environment");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "actor", run->actor);
    if (run->commit != NULL) {
        bw_json_kv_str(&j, "commit", run->commit);
    }
    if (run->ended != NULL) {
        bw_json_kv_str(&j, "ended", run->ended);
    }
    if (run->parameters_digest.n > 0) {
        bw_json_key(&j, "parameters_digest");
        json_digests(&j, &run->parameters_digest);
    }
    bw_json_kv_str(&j, "run_id", run->run_id);
    if (run->started != NULL) {
        bw_json_kv_str(&j, "started", run->started);
    }
    bw_json_key(&j, "variables");
    json_env(&j, run);
    bw_json_obj_end(&j);
    bw_json_key(&j, "materials");
    link_artifacts(&j, run->inputs, run->n_inputs);
    bw_json_kv_str(&j, "name", run->stage);
    bw_json_key(&j, "products");
    link_artifacts(&j, run->outputs, run->n_outputs);
    bw_json_obj_end(&j);
    rc = bw_json_finish(&j);
    if (rc != BW_OK) {
        rc = bw_fail(err, rc, "cannot build the in-toto link of '%.64s'", run->stage);
    } else {
        rc = intoto_envelope(&body, k, &ik, out, err);
    }
    itkey_release(&ik);
    bw_buf_release(&body);
    return rc;
}

/* An artifact rule pattern matching exactly `name` (fnmatch: '*', '?' and '[' in brackets). */
static void rule_pattern(bw_buf *b, const char *name)
{
    bw_buf_reset(b);
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '*' || *p == '?' || *p == '[') {
            bw_buf_addc(b, '[');
            bw_buf_addc(b, *p);
            bw_buf_addc(b, ']');
        } else {
            bw_buf_addc(b, *p);
        }
    }
}

static bool has_name(const bw_artifact_ref *r, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

static void rule(bw_json *j, const char *const *words, size_t n)
{
    bw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        bw_json_str(j, words[i]);
    }
    bw_json_arr_end(j);
}

bw_status bw_export_intoto_layout(const bw_stage_run *runs, size_t n, const bw_key *const *functionaries,
                                  const bw_key *owner, const char *expires, bw_buf *out, bw_error *err)
{
    bw_buf body = BW_BUF_INIT(OUT_MAX), pat = BW_BUF_INIT(MAX_STRING);
    struct itkey oik, *iks = NULL;
    bw_json j;
    bw_status rc = BW_OK;
    size_t made = 0;

    if (expires == NULL || !time_ok(expires)) {
        return bw_fail(err, BW_EINVAL, "layout expiry '%.40s' is not RFC 3339 UTC", expires ? expires : "(null)");
    }
    if (!bw_key_is_private(owner)) {
        return bw_fail(err, BW_EINVAL, "signing an in-toto layout needs the owner's private key");
    }
    for (size_t i = 0; i < n; i++) {
        BW_TRY(intoto_check_run(&runs[i], err));
        for (size_t k = 0; k < i; k++) {
            if (strcmp(runs[k].stage, runs[i].stage) == 0) {
                return bw_fail(err, BW_EINVAL, "stage '%.64s' appears twice: in-toto step names are unique",
                               runs[i].stage);
            }
        }
    }
    BW_TRY(itkey_init(owner, &oik, err));
    iks = n > 0 ? bw_calloc(n, sizeof(*iks)) : NULL;
    if (n > 0 && iks == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (; made < n && rc == BW_OK; made++) {
        rc = itkey_init(functionaries[made], &iks[made], err);
    }
    if (rc != BW_OK) {
        made = made > 0 ? made - 1 : 0; /* the failed one released itself */
        goto out;
    }

    bw_json_init(&j, &body, 0);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "_type", "layout");
    bw_json_kv_str(&j, "expires", expires);
    bw_json_key(&j, "inspect");
    bw_json_arr_begin(&j);
    bw_json_arr_end(&j);
    bw_json_key(&j, "keys");
    bw_json_obj_begin(&j);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            seen = strcmp(iks[k].keyid, iks[i].keyid) == 0;
        }
        if (!seen) {
            bw_json_key(&j, iks[i].keyid);
            itkey_json(&j, &iks[i], true);
        }
    }
    bw_json_obj_end(&j);
    bw_json_kv_str(&j, "readme", "");
    bw_json_key(&j, "steps");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++) {
        const bw_stage_run *r = &runs[i];
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "_type", "step");
        bw_json_key(&j, "expected_command");
        json_strv(&j, r->command, r->n_command);
        bw_json_key(&j, "expected_materials");
        bw_json_arr_begin(&j);
        for (size_t m = 0; m < r->n_inputs; m++) {
            const char *from = NULL;
            for (size_t k = i; k-- > 0 && from == NULL;) {
                if (has_name(runs[k].outputs, runs[k].n_outputs, r->inputs[m].name)) {
                    from = runs[k].stage;
                }
            }
            rule_pattern(&pat, r->inputs[m].name);
            if (from != NULL) {
                const char *w[] = {"MATCH", pat.ptr != NULL ? pat.ptr : "", "WITH", "PRODUCTS", "FROM", from};
                rule(&j, w, 6);
            } else {
                const char *w[] = {"ALLOW", pat.ptr != NULL ? pat.ptr : ""};
                rule(&j, w, 2);
            }
        }
        const char *disallow[] = {"DISALLOW", "*"};
        rule(&j, disallow, 2);
        bw_json_arr_end(&j);
        bw_json_key(&j, "expected_products");
        bw_json_arr_begin(&j);
        for (size_t m = 0; m < r->n_outputs; m++) {
            rule_pattern(&pat, r->outputs[m].name);
            const char *w[] = {has_name(r->inputs, r->n_inputs, r->outputs[m].name) ? "MODIFY" : "CREATE",
                               pat.ptr != NULL ? pat.ptr : ""};
            rule(&j, w, 2);
        }
        rule(&j, disallow, 2);
        bw_json_arr_end(&j);
        bw_json_kv_str(&j, "name", r->stage);
        bw_json_key(&j, "pubkeys");
        bw_json_arr_begin(&j);
        bw_json_str(&j, iks[i].keyid);
        bw_json_arr_end(&j);
        bw_json_kv_int(&j, "threshold", 1);
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    rc = pat.err != BW_OK ? pat.err : bw_json_finish(&j);
    if (rc != BW_OK) {
        rc = bw_fail(err, rc, "cannot build the in-toto layout");
    } else {
        rc = intoto_envelope(&body, owner, &oik, out, err);
    }
out:
    for (size_t i = 0; i < made; i++) {
        itkey_release(&iks[i]);
    }
    bw_free(iks);
    itkey_release(&oik);
    bw_buf_release(&body);
    bw_buf_release(&pat);
    return rc;
}
