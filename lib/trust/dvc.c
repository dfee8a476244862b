/*
 * dvc.c - DVC's dvc.lock (schema '2.0') read as stage runs (see
 * bw_export.h, docs/provenance.md).
 *
 * A dvc.lock comes from a repository, so from anyone: libyaml's event
 * parser feeds a small tree of our own (depth, node count and file size
 * capped; aliases, custom tags, several documents and repeated keys
 * refused), and the tree is then read against DVC's lock-file schema,
 * every error naming the line and column. Nothing in the file is run or
 * looked up: paths are names, digests are copied after checking.
 */
#include <inttypes.h>
#include <yaml.h>

#include "bulwark/bw_digest.h"
#include "bulwark/bw_export.h"
#include "util/internal.h"

enum { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
    int type;
    unsigned line, col; /* 1-based */
    uint64_t off;
    char *s; /* scalar text (NUL-free) */
    size_t n;
    bool plain;          /* an unquoted scalar */
    struct ynode **kids; /* sequence items; mapping key, value, key, value... */
    size_t nkids, cap;
};

struct dctx {
    const char *name;
    bw_error *err;
    size_t nodes;
};

static void ynode_free(struct ynode *y)
{
    if (y == NULL) {
        return;
    }
    for (size_t i = 0; i < y->nkids; i++) {
        ynode_free(y->kids[i]);
    }
    bw_free(y->kids);
    bw_free(y->s);
    bw_free(y);
}

static bw_status yfail(struct dctx *c, bw_status code, unsigned line, unsigned col, uint64_t off, const char *fmt,
                       const char *arg)
{
    char shown[80], msg[200];

    bw_escape_for_log(arg != NULL ? arg : "", arg != NULL ? strlen(arg) : 0, shown, sizeof(shown));
    snprintf(msg, sizeof(msg), fmt, shown);
    return bw_fail_at(c->err, code, off, "%s:%u:%u: %s", c->name, line, col, msg);
}

static bw_status nfail(struct dctx *c, const struct ynode *y, const char *fmt, const char *arg)
{
    return yfail(c, BW_EFORMAT, y->line, y->col, y->off, fmt, arg);
}

static bw_status add_kid(struct dctx *c, struct ynode *parent, struct ynode *kid)
{
    if (parent->nkids == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct ynode **v = bw_reallocarray(parent->kids, cap, sizeof(*v));
        if (v == NULL) {
            return bw_fail(c->err, BW_ENOMEM, "out of memory");
        }
        parent->kids = v;
        parent->cap = cap;
    }
    parent->kids[parent->nkids++] = kid;
    return BW_OK;
}

/* No tag, the non-specific "!", or a YAML core-schema tag; anything else (!!python/...) is refused. */
static bool std_tag(const yaml_char_t *tag)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    static const char *const core[] = {"str", "int", "float", "bool", "null", "map", "seq"};
    const char *t = (const char *)tag;

    if (tag == NULL || strcmp(t, "!") == 0) {
        return true;
    }
    if (strncmp(t, prefix, sizeof(prefix) - 1) != 0) {
        return false;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(core); i++) {
        if (strcmp(t + sizeof(prefix) - 1, core[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int key_cmp(const void *a, const void *b)
{
    const struct ynode *x = *(const struct ynode *const *)a, *y = *(const struct ynode *const *)b;
    int r = memcmp(x->s, y->s, BW_MIN(x->n, y->n));
    return r != 0 ? r : x->n < y->n ? -1 : x->n > y->n;
}

/* A finished mapping: keys are scalars, none repeated. */
static bw_status check_map(struct dctx *c, struct ynode *m)
{
    size_t nk = m->nkids / 2;
    struct ynode **keys;
    bw_status rc = BW_OK;

    for (size_t i = 0; i < m->nkids; i += 2) {
        if (m->kids[i]->type != Y_SCALAR) {
            return nfail(c, m->kids[i], "mapping keys must be plain text%s", NULL);
        }
    }
    if (nk < 2) {
        return BW_OK;
    }
    keys = bw_reallocarray(NULL, nk, sizeof(*keys));
    if (keys == NULL) {
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nk; i++) {
        keys[i] = m->kids[2 * i];
    }
    qsort(keys, nk, sizeof(*keys), key_cmp);
    for (size_t i = 1; i < nk && rc == BW_OK; i++) {
        if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
            /* name the later one in the file */
            const struct ynode *k = keys[i]->off > keys[i - 1]->off ? keys[i] : keys[i - 1];
            rc = nfail(c, k, "duplicate key '%s'", k->s);
        }
    }
    bw_free(keys);
    return rc;
}

static bw_status yaml_tree(struct dctx *c, const char *text, size_t len, struct ynode **out)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct ynode *stack[BW_DVC_MAX_DEPTH], *root = NULL;
    int depth = 0, docs = 0;
    bw_status rc = BW_OK;
    bool done = false;

    *out = NULL;
    if (!yaml_parser_initialize(&parser)) {
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (rc == BW_OK && !done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = &parser.problem_mark;
            if (parser.error == YAML_MEMORY_ERROR) {
                rc = bw_fail(c->err, BW_ENOMEM, "out of memory");
            } else if (parser.error == YAML_READER_ERROR) {
                /* the reader (encoding) reports a byte offset, not a mark */
                rc = bw_fail_at(c->err, BW_EFORMAT, parser.problem_offset, "%s: byte %zu: %s", c->name,
                                parser.problem_offset, parser.problem != NULL ? parser.problem : "unreadable text");
            } else {
                rc = bw_fail_at(c->err, BW_EFORMAT, m->index, "%s:%lu:%lu: %s%s%s%s", c->name,
                                (unsigned long)m->line + 1, (unsigned long)m->column + 1,
                                parser.problem != NULL ? parser.problem : "malformed YAML",
                                parser.context != NULL ? " (" : "", parser.context != NULL ? parser.context : "",
                                parser.context != NULL ? ")" : "");
            }
            break;
        }
        const yaml_mark_t *m = &ev.start_mark;
        unsigned line = (unsigned)m->line + 1, col = (unsigned)m->column + 1;
        struct ynode *y = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                rc = yfail(c, BW_EFORMAT, line, col, m->index, "more than one YAML document%s", NULL);
            }
            break;
        case YAML_ALIAS_EVENT:
            rc = yfail(c, BW_EFORMAT, line, col, m->index, "aliases (*%s) are not supported in a dvc.lock",
                       (const char *)ev.data.alias.anchor);
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const yaml_char_t *tag = ev.type == YAML_SCALAR_EVENT           ? ev.data.scalar.tag
                                     : ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.tag
                                                                            : ev.data.mapping_start.tag;
            if (!std_tag(tag)) {
                rc = yfail(c, BW_EFORMAT, line, col, m->index, "tag '%s' is not supported", (const char *)tag);
                break;
            }
            if (++c->nodes > BW_DVC_MAX_NODES) {
                rc = yfail(c, BW_ELIMIT, line, col, m->index, "more than 1000000 YAML nodes%s", NULL);
                break;
            }
            y = bw_calloc(1, sizeof(*y));
            if (y == NULL) {
                rc = bw_fail(c->err, BW_ENOMEM, "out of memory");
                break;
            }
            y->line = line;
            y->col = col;
            y->off = m->index;
            if (ev.type == YAML_SCALAR_EVENT) {
                y->type = Y_SCALAR;
                y->n = ev.data.scalar.length;
                y->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL;
                if (memchr(ev.data.scalar.value, '\0', y->n) != NULL) {
                    ynode_free(y);
                    rc = yfail(c, BW_EFORMAT, line, col, m->index, "a NUL character in a string%s", NULL);
                    break;
                }
                y->s = bw_strndup((const char *)ev.data.scalar.value, y->n);
                if (y->s == NULL) {
                    ynode_free(y);
                    rc = bw_fail(c->err, BW_ENOMEM, "out of memory");
                    break;
                }
            } else {
                y->type = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
            }
            if (depth > 0) {
                rc = add_kid(c, stack[depth - 1], y);
                if (rc != BW_OK) {
                    ynode_free(y);
                    break;
                }
            } else {
                root = y;
            }
            if (y->type != Y_SCALAR) {
                if (depth == BW_DVC_MAX_DEPTH) {
                    rc = yfail(c, BW_ELIMIT, line, col, m->index, "nested more than 32 levels deep%s", NULL);
                    break;
                }
                stack[depth++] = y;
            }
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                depth--;
                if (stack[depth]->type == Y_MAP) {
                    rc = check_map(c, stack[depth]);
                }
            }
            break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc == BW_OK && root == NULL) {
        rc = bw_fail(c->err, BW_EFORMAT, "%s: empty file (no YAML document)", c->name);
    }
    if (rc != BW_OK) {
        ynode_free(root);
        return rc;
    }
    *out = root;
    return BW_OK;
}

/* ---- the lock-file schema ------------------------------------------------------------------------- */

static bool is(const struct ynode *k, const char *s)
{
    return k->n == strlen(s) && memcmp(k->s, s, k->n) == 0;
}

static const struct ynode *map_get(const struct ynode *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->nkids; i += 2) {
        if (is(m->kids[i], key)) {
            return m->kids[i + 1];
        }
    }
    return NULL;
}

static bool is_null(const struct ynode *y)
{
    return y->type == Y_SCALAR && y->plain && (y->n == 0 || is(y, "null") || is(y, "~") || is(y, "Null"));
}

static bw_status need(struct dctx *c, const struct ynode *y, int type, const char *what)
{
    static const char *const names[] = {"text", "a list", "a mapping"};
    if (y->type != type || (type == Y_SCALAR && is_null(y))) {
        char fmt[96];
        snprintf(fmt, sizeof(fmt), "%%s must be %s", names[type]);
        return nfail(c, y, fmt, what);
    }
    return BW_OK;
}

static bw_status get_uint(struct dctx *c, const struct ynode *y, const char *what, uint64_t *v)
{
    if (y->type != Y_SCALAR || !y->plain || bw_parse_u64(y->s, y->n, UINT64_MAX - 1, v) != BW_OK) {
        return nfail(c, y, "%s must be a non-negative integer", what);
    }
    return BW_OK;
}

static bw_status take_str(struct dctx *c, const struct ynode *y, char **out)
{
    *out = bw_strndup(y->s, y->n);
    return *out != NULL ? BW_OK : bw_fail(c->err, BW_ENOMEM, "out of memory");
}

/* One deps/outs entry: path, md5 (".dir" for a directory), hash, size, nfiles; the rest is ignored. */
static bw_status parse_artifact(struct dctx *c, const struct ynode *e, bw_artifact_ref *r)
{
    static const char *const ignored[] = {"isexec", "cloud", "version_id", "etag", "checksum", "files"};
    const struct ynode *path = NULL, *md5 = NULL, *hash = NULL, *remote = NULL;

    BW_TRY(need(c, e, Y_MAP, "a dependency or output"));
    r->size = BW_PROV_SIZE_UNKNOWN;
    for (size_t i = 0; i + 1 < e->nkids; i += 2) {
        const struct ynode *k = e->kids[i], *v = e->kids[i + 1];
        bool known = false;
        if (is(k, "path")) {
            BW_TRY(need(c, v, Y_SCALAR, "path"));
            path = v;
        } else if (is(k, "md5")) {
            BW_TRY(need(c, v, Y_SCALAR, "md5"));
            md5 = v;
        } else if (is(k, "hash")) {
            BW_TRY(need(c, v, Y_SCALAR, "hash"));
            hash = v;
        } else if (is(k, "size")) {
            BW_TRY(get_uint(c, v, "size", &r->size));
        } else if (is(k, "nfiles")) {
            BW_TRY(get_uint(c, v, "nfiles", &r->nfiles));
        } else {
            for (size_t j = 0; j < BW_ARRAY_LEN(ignored) && !known; j++) {
                known = is(k, ignored[j]);
            }
            if (!known) {
                return nfail(c, k, "unknown key '%s' in a dependency or output", k->s);
            }
            if (!is(k, "isexec") && !is(k, "files")) {
                remote = k;
            }
        }
    }
    if (path == NULL) {
        return nfail(c, e, "a dependency or output without a path%s", NULL);
    }
    if (hash != NULL && !is(hash, "md5") && !is(hash, "md5-dos2unix")) {
        return yfail(c, BW_EUNSUPPORTED, hash->line, hash->col, hash->off, "hash '%s' is not supported (md5 only)",
                     hash->s);
    }
    if (md5 == NULL) {
        return yfail(c, BW_EUNSUPPORTED, path->line, path->col, path->off,
                     remote != NULL ? "'%s' has no md5 (remote dependencies are not imported)" : "'%s' has no md5",
                     path->s);
    }
    size_t n = md5->n;
    if (n == 36 && memcmp(md5->s + 32, ".dir", 4) == 0) {
        n = 32; /* a directory: the md5 of DVC's listing of it */
    }
    if (n != 32) {
        return nfail(c, md5, "md5 '%s' is not 32 hex digits", md5->s);
    }
    memcpy(r->digest.d[0].alg, "md5", 4);
    for (size_t i = 0; i < 32; i++) {
        int h = bw_hexval((unsigned char)md5->s[i]);
        if (h < 0) {
            return nfail(c, md5, "md5 '%s' is not 32 hex digits", md5->s);
        }
        r->digest.d[0].hex[i] = "0123456789abcdef"[h];
    }
    r->digest.d[0].hex[32] = '\0';
    r->digest.n = 1;
    return take_str(c, path, &r->name);
}

static bw_status parse_artifacts(struct dctx *c, const struct ynode *v, const char *what, bw_artifact_ref **out,
                                 size_t *n)
{
    *out = NULL;
    *n = 0;
    if (is_null(v)) {
        return BW_OK;
    }
    BW_TRY(need(c, v, Y_SEQ, what));
    if (v->nkids == 0) {
        return BW_OK;
    }
    *out = bw_calloc(v->nkids, sizeof(**out));
    if (*out == NULL) {
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < v->nkids; i++) {
        *n = i + 1;
        BW_TRY(parse_artifact(c, v->kids[i], &(*out)[i]));
        for (size_t k = 0; k < i; k++) {
            if (strcmp((*out)[k].name, (*out)[i].name) == 0) {
                return nfail(c, v->kids[i], "'%s' is listed twice", (*out)[i].name);
            }
        }
    }
    return BW_OK;
}

/* canonical JSON (keys sorted, only '\' and '"' escaped, every scalar a string) of a params tree */
static void canon_str(bw_buf *b, const char *s, size_t n)
{
    bw_buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '"') {
            bw_buf_addc(b, '\\');
        }
        bw_buf_addc(b, s[i]);
    }
    bw_buf_addc(b, '"');
}

static int slot_cmp(const void *a, const void *b)
{
    return key_cmp(*(struct ynode *const *const *)a, *(struct ynode *const *const *)b);
}

static bw_status canon_node(const struct ynode *y, bw_buf *b)
{
    if (y->type == Y_SCALAR) {
        canon_str(b, y->s, y->n);
    } else if (y->type == Y_SEQ) {
        bw_buf_addc(b, '[');
        for (size_t i = 0; i < y->nkids; i++) {
            if (i > 0) {
                bw_buf_addc(b, ',');
            }
            BW_TRY(canon_node(y->kids[i], b));
        }
        bw_buf_addc(b, ']');
    } else {
        /* sort the key slots of the mapping; each slot's value is the next one */
        size_t nk = y->nkids / 2;
        struct ynode *const **slots = nk > 0 ? bw_reallocarray(NULL, nk, sizeof(*slots)) : NULL;
        bw_status rc = BW_OK;
        if (nk > 0 && slots == NULL) {
            return BW_ENOMEM;
        }
        for (size_t i = 0; i < nk; i++) {
            slots[i] = &y->kids[2 * i];
        }
        if (nk > 1) {
            qsort(slots, nk, sizeof(*slots), slot_cmp);
        }
        bw_buf_addc(b, '{');
        for (size_t i = 0; i < nk && rc == BW_OK; i++) {
            if (i > 0) {
                bw_buf_addc(b, ',');
            }
            canon_str(b, slots[i][0]->s, slots[i][0]->n);
            bw_buf_addc(b, ':');
            rc = canon_node(slots[i][1], b);
        }
        bw_free(slots);
        BW_TRY(rc);
        bw_buf_addc(b, '}');
    }
    return b->err;
}

static bw_status hash_hex(const void *p, size_t n, char hex[BW_DIGEST_HEX_MAX])
{
    bw_digest d;
    BW_TRY(bw_digest_bytes(BW_ALGO_SHA256, p, n, &d));
    bw_digest_hex(&d, hex);
    return BW_OK;
}

static bw_status set_str(struct dctx *c, const char *s, char **out)
{
    *out = NULL;
    if (s == NULL) {
        return BW_OK;
    }
    *out = bw_strdup(s);
    return *out != NULL ? BW_OK : bw_fail(c->err, BW_ENOMEM, "out of memory");
}

/* run_id: "dvc-" and 32 hex digits of SHA-256 over the stage's content, as docs/provenance.md gives it */
static bw_status derive_run_id(struct dctx *c, bw_stage_run *r, const char *cmd)
{
    bw_buf b = BW_BUF_INIT((size_t)64 << 20);
    char hex[BW_DIGEST_HEX_MAX];
    const bw_artifact_ref *sets[2] = {r->inputs, r->outputs};
    const size_t ns[2] = {r->n_inputs, r->n_outputs};
    bw_status rc;

    bw_buf_printf(&b, "bulwark dvc.lock stage v1\n%s\n%s\n", r->stage, cmd);
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < ns[s]; i++) {
            bw_buf_printf(&b, "%s %s md5:%s %" PRIu64 " %" PRIu64 "\n", s == 0 ? "dep" : "out", sets[s][i].name,
                          sets[s][i].digest.d[0].hex, sets[s][i].size, sets[s][i].nfiles);
        }
    }
    bw_buf_printf(&b, "params %s\n", r->parameters_digest.n > 0 ? r->parameters_digest.d[0].hex : "-");
    rc = b.err != BW_OK ? b.err : hash_hex(b.ptr, b.len, hex);
    bw_buf_release(&b);
    if (rc != BW_OK) {
        return bw_fail(c->err, rc, "out of memory");
    }
    r->run_id = bw_malloc(4 + 32 + 1);
    if (r->run_id == NULL) {
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    memcpy(r->run_id, "dvc-", 4);
    memcpy(r->run_id + 4, hex, 32);
    r->run_id[36] = '\0';
    return BW_OK;
}

static bw_status parse_stage(struct dctx *c, const struct ynode *name, const struct ynode *st, const bw_dvc_opts *o,
                             bw_stage_run *r)
{
    const struct ynode *cmd = NULL, *deps = NULL, *outs = NULL, *params = NULL;
    bw_buf line = BW_BUF_INIT((size_t)16 << 20);
    bw_status rc = BW_OK;

    if (name->n == 0) {
        return nfail(c, name, "an empty stage name%s", NULL);
    }
    BW_TRY(need(c, st, Y_MAP, "a stage"));
    for (size_t i = 0; i + 1 < st->nkids; i += 2) {
        const struct ynode *k = st->kids[i];
        if (is(k, "cmd")) {
            cmd = st->kids[i + 1];
        } else if (is(k, "deps")) {
            deps = st->kids[i + 1];
        } else if (is(k, "outs")) {
            outs = st->kids[i + 1];
        } else if (is(k, "params")) {
            params = st->kids[i + 1];
        } else {
            return nfail(c, k, "unknown key '%s' in a stage (cmd, deps, params, outs)", k->s);
        }
    }
    if (cmd == NULL) {
        return nfail(c, name, "stage '%s' has no cmd", name->s);
    }
    BW_TRY(take_str(c, name, &r->stage));
    if (cmd->type == Y_SEQ) {
        if (cmd->nkids == 0) {
            return nfail(c, cmd, "cmd is an empty list%s", NULL);
        }
        for (size_t i = 0; i < cmd->nkids && rc == BW_OK; i++) {
            rc = need(c, cmd->kids[i], Y_SCALAR, "each command");
            bw_buf_printf(&line, "%s%s", i > 0 ? " && " : "", cmd->kids[i]->s);
        }
    } else {
        rc = need(c, cmd, Y_SCALAR, "cmd");
        bw_buf_add(&line, cmd->s, cmd->n);
    }
    if (rc != BW_OK) {
        goto out;
    }
    if (line.err != BW_OK) {
        rc = bw_fail(c->err, line.err, "%s: the command of stage '%.64s' is too long", c->name, r->stage);
        goto out;
    }
    r->command = bw_calloc(3, sizeof(char *));
    if (r->command == NULL) {
        rc = bw_fail(c->err, BW_ENOMEM, "out of memory");
        goto out;
    }
    r->n_command = 3;
    if ((rc = set_str(c, "sh", &r->command[0])) != BW_OK || (rc = set_str(c, "-c", &r->command[1])) != BW_OK ||
        (rc = set_str(c, line.ptr != NULL ? line.ptr : "", &r->command[2])) != BW_OK) {
        goto out;
    }
    if (deps != NULL && (rc = parse_artifacts(c, deps, "deps", &r->inputs, &r->n_inputs)) != BW_OK) {
        goto out;
    }
    if (outs != NULL && (rc = parse_artifacts(c, outs, "outs", &r->outputs, &r->n_outputs)) != BW_OK) {
        goto out;
    }
    if (params != NULL && !is_null(params)) {
        bw_buf canon = BW_BUF_INIT((size_t)64 << 20);
        if ((rc = need(c, params, Y_MAP, "params")) != BW_OK) {
            goto out;
        }
        for (size_t i = 1; i < params->nkids; i += 2) {
            if (!is_null(params->kids[i]) &&
                (rc = need(c, params->kids[i], Y_MAP, "a params file's values")) != BW_OK) {
                goto out;
            }
        }
        rc = canon_node(params, &canon);
        if (rc == BW_OK) {
            rc = hash_hex(canon.ptr, canon.len, r->parameters_digest.d[0].hex);
        }
        bw_buf_release(&canon);
        if (rc != BW_OK) {
            rc = bw_fail(c->err, rc, "%s: the params of stage '%.64s' are too large", c->name, r->stage);
            goto out;
        }
        memcpy(r->parameters_digest.d[0].alg, "sha256", 7);
        r->parameters_digest.n = 1;
    }
    if ((rc = derive_run_id(c, r, r->command[2])) != BW_OK || (rc = set_str(c, o->actor, &r->actor)) != BW_OK ||
        (rc = set_str(c, o->commit, &r->commit)) != BW_OK || (rc = set_str(c, o->time, &r->time)) != BW_OK) {
        goto out;
    }
out:
    bw_buf_release(&line);
    return rc;
}

bw_status bw_dvc_lock_parse(const void *yaml, size_t len, const char *name, const bw_dvc_opts *opts, bw_stage_run **out,
                            size_t *n, bw_error *err)
{
    static const bw_dvc_opts defaults = BW_DVC_OPTS_INIT;
    struct dctx c = {.name = name != NULL ? name : "dvc.lock", .err = err};
    bw_dvc_opts o = opts != NULL ? *opts : defaults;
    struct ynode *root = NULL;
    const struct ynode *schema, *stages;
    bw_stage_run *runs = NULL;
    size_t nruns = 0;
    bw_status rc;

    *out = NULL;
    *n = 0;
    if (o.version != BW_DVC_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "bw_dvc_opts version %u (expected %u)", o.version, BW_DVC_OPTS_VERSION);
    }
    if (o.actor == NULL) {
        o.actor = "dvc";
    }
    if (o.commit != NULL && (strlen(o.commit) != 40 && strlen(o.commit) != 64)) {
        return bw_fail(err, BW_EINVAL, "commit '%.70s' is not 40 or 64 hex digits", o.commit);
    }
    for (const char *p = o.commit; p != NULL && *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return bw_fail(err, BW_EINVAL, "commit '%.70s' is not lower-case hex", o.commit);
        }
    }
    if (len > BW_DVC_MAX_FILE) {
        return bw_fail(err, BW_ELIMIT, "%s: a dvc.lock over %zu bytes", c.name, BW_DVC_MAX_FILE);
    }
    BW_TRY(yaml_tree(&c, yaml, len, &root));
    if (root->type != Y_MAP) {
        rc = nfail(&c, root, "a dvc.lock is a mapping (schema, stages)%s", NULL);
        goto out;
    }
    schema = map_get(root, "schema");
    stages = map_get(root, "stages");
    if (schema == NULL) {
        rc = yfail(&c, BW_EUNSUPPORTED, root->line, root->col, root->off,
                   "no schema: a DVC 1.x lock file (regenerate it with DVC 2 or later)%s", NULL);
        goto out;
    }
    if (schema->type != Y_SCALAR || !is(schema, "2.0")) {
        rc = yfail(&c, BW_EUNSUPPORTED, schema->line, schema->col, schema->off, "schema '%s' is not supported (2.0)",
                   schema->type == Y_SCALAR ? schema->s : "?");
        goto out;
    }
    for (size_t i = 0; i + 1 < root->nkids; i += 2) {
        if (!is(root->kids[i], "schema") && !is(root->kids[i], "stages")) {
            rc = nfail(&c, root->kids[i], "unknown key '%s' (schema, stages)", root->kids[i]->s);
            goto out;
        }
    }
    rc = BW_OK;
    if (stages == NULL || is_null(stages)) {
        goto out;
    }
    if ((rc = need(&c, stages, Y_MAP, "stages")) != BW_OK) {
        goto out;
    }
    if (stages->nkids > 0) {
        runs = bw_calloc(stages->nkids / 2, sizeof(*runs));
        if (runs == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i + 1 < stages->nkids && rc == BW_OK; i += 2) {
        nruns++;
        rc = parse_stage(&c, stages->kids[i], stages->kids[i + 1], &o, &runs[nruns - 1]);
    }
out:
    ynode_free(root);
    if (rc != BW_OK) {
        bw_stage_runs_free(runs, nruns);
        return rc;
    }
    *out = runs;
    *n = nruns;
    return BW_OK;
}
