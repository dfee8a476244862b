/*
 * manifest_parse.c - reading manifests from untrusted bytes.
 *
 * Three shapes are accepted, told apart by content:
 *   1. JSON: an in-toto Statement v1 with the OMS v1.0 predicate (what
 *      `bulwark digest --manifest` and model_signing write), or the same
 *      statement inside a DSSE envelope, bare or in a Sigstore bundle
 *      (model.sig). The envelope's signature is NOT checked here: the payload
 *      is only read to compare contents; `bulwark verify` checks signatures.
 *   2. GNU check lines: "HEX  NAME" / "HEX *NAME", with coreutils' leading
 *      backslash for names holding '\\', newline or CR.
 *   3. BSD tag lines: "SHA256 (NAME) = HEX", "BLAKE2b (NAME) = HEX".
 *
 * Every claim is checked: hex lengths match the algorithm, shard ranges are
 * well formed, names are relative with no "." or ".." components, no name
 * appears twice, and the subject digest equals the digest recomputed over
 * the resources (an edited manifest is rejected, not silently believed).
 * Errors name the source and the position: a byte offset for syntax, a JSON
 * path ("resources[3].digest") for structure.
 */
#include <jansson.h>

#include "trust/manifest_internal.h"
#include "util/internal.h"

struct parse {
    const char *src;
    bw_error *err;
    bw_manifest *m;
    size_t cap;
    bool statement_only; /* a verified payload: a statement itself, never an envelope to follow */
};

static bw_status pfail(struct parse *p, bw_status code, uint64_t off, const char *fmt, ...) BW_PRINTF(4, 5);
static bw_status pfail(struct parse *p, bw_status code, uint64_t off, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (off != BW_NO_OFFSET) {
        return bw_fail_at(p->err, code, off, "%s: offset %llu: %s", p->src, (unsigned long long)off, msg);
    }
    return bw_fail(p->err, code, "%s: %s", p->src, msg);
}

static bw_status add_entry(struct parse *p, char *name, uint64_t size, uint64_t start, uint64_t end, const bw_digest *d)
{
    bw_manifest *m = p->m;

    if (m->n >= BW_MANIFEST_MAX_ENTRIES) {
        bw_free(name);
        return pfail(p, BW_ELIMIT, BW_NO_OFFSET, "more than %zu entries", BW_MANIFEST_MAX_ENTRIES);
    }
    if (m->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 64;
        bw_manifest_entry *e = bw_reallocarray(m->entries, ncap, sizeof(*e));
        if (e == NULL) {
            bw_free(name);
            return pfail(p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
        }
        m->entries = e;
        p->cap = ncap;
    }
    m->entries[m->n++] = (bw_manifest_entry){name, size, start, end, *d};
    return BW_OK;
}

static int entry_cmp(const void *a, const void *b)
{
    const bw_manifest_entry *x = a, *y = b;
    int c = bw_path_cmp(x->name, y->name);
    if (c != 0) {
        return c;
    }
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort, reject duplicates and overlapping shards, compute root and totals. */
static bw_status finish(struct parse *p)
{
    bw_manifest *m = p->m;

    if (m->n > 1) {
        qsort(m->entries, m->n, sizeof(*m->entries), entry_cmp);
    }
    for (size_t i = 1; i < m->n; i++) {
        const bw_manifest_entry *a = &m->entries[i - 1], *b = &m->entries[i];
        if (strcmp(a->name, b->name) == 0) {
            char esc[200];
            bw_escape_for_log(b->name, strlen(b->name), esc, sizeof(esc));
            if (m->shard_size == 0 || b->start < a->end) {
                return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "'%s' is listed twice", esc);
            }
            if (b->start != a->end) {
                return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "'%s': shards leave a gap at byte %llu", esc,
                             (unsigned long long)a->end);
            }
        }
    }
    return bw_manifest_finish(m, p->err);
}

/* A relative '/'-separated name with no empty, "." or ".." component (or exactly "."). */
bool bw_manifest_name_ok(const char *s, size_t n)
{
    size_t start = 0;

    if (n == 0 || n > BW_MANIFEST_MAX_NAME || memchr(s, '\0', n) != NULL) {
        return false;
    }
    if (n == 1 && s[0] == '.') {
        return true;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '/') {
            size_t len = i - start;
            if (len == 0 || (len == 1 && s[start] == '.') || (len == 2 && s[start] == '.' && s[start + 1] == '.')) {
                return false;
            }
            start = i + 1;
        }
    }
    return true;
}

/* ---- check lines ---------------------------------------------------------------------- */

static bw_status unescape_name(const uint8_t *s, size_t n, char **out)
{
    char *d = bw_malloc(n + 1);
    size_t o = 0;

    if (d == NULL) {
        return BW_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            d[o++] = (char)s[i];
            continue;
        }
        if (i + 1 >= n) {
            bw_free(d);
            return BW_EFORMAT;
        }
        i++;
        if (s[i] == '\\') {
            d[o++] = '\\';
        } else if (s[i] == 'n') {
            d[o++] = '\n';
        } else if (s[i] == 'r') {
            d[o++] = '\r';
        } else {
            bw_free(d);
            return BW_EFORMAT;
        }
    }
    d[o] = '\0';
    *out = d;
    return BW_OK;
}

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bw_status parse_line(struct parse *p, bw_bytes line, uint64_t off, size_t lineno, int *algo_seen)
{
    const uint8_t *s = line.ptr;
    size_t n = line.len, hexlen = 0, name_at, name_len;
    bool escaped = false;
    bw_algo algo;
    bw_digest d;
    char *name = NULL;
    bw_status rc;

    if (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    if (n == 0 || s[0] == '#') {
        return BW_OK;
    }
    if (n > 8 && (memcmp(s, "SHA256 (", 8) == 0 || (n > 9 && memcmp(s, "BLAKE2b (", 9) == 0))) {
        /* BSD tag: ALGO (NAME) = HEX; the name may itself contain ") = " so split at the last */
        size_t open = s[0] == 'S' ? 8 : 9, sep = n;
        algo = s[0] == 'S' ? BW_ALGO_SHA256 : BW_ALGO_BLAKE2B;
        for (size_t i = n; i-- > open;) {
            if (i + 4 <= n && memcmp(s + i, ") = ", 4) == 0) {
                sep = i;
                break;
            }
        }
        if (sep == n) {
            return pfail(p, BW_EFORMAT, off, "line %zu: expected ') = ' after the file name", lineno);
        }
        name_at = open;
        name_len = sep - open;
        hexlen = n - (sep + 4);
        if (bw_digest_from_hex(algo, (const char *)s + sep + 4, hexlen, &d) != BW_OK) {
            return pfail(p, BW_EFORMAT, off + sep + 4, "line %zu: expected %zu hex digits for %s", lineno,
                         2 * bw_algo_size(algo), bw_algo_name(algo));
        }
    } else {
        if (s[0] == '\\') {
            escaped = true;
            s++;
            n--;
            off++;
        }
        while (hexlen < n && is_hex(s[hexlen])) {
            hexlen++;
        }
        if (hexlen == 64) {
            algo = BW_ALGO_SHA256;
        } else if (hexlen == 128) {
            algo = BW_ALGO_BLAKE2B;
        } else {
            return pfail(p, BW_EFORMAT, off,
                         "line %zu: expected a SHA-256 (64 hex digits) or BLAKE2b-512 "
                         "(128) digest, found %zu hex digits",
                         lineno, hexlen);
        }
        if (hexlen + 2 > n || s[hexlen] != ' ' || (s[hexlen + 1] != ' ' && s[hexlen + 1] != '*')) {
            return pfail(p, BW_EFORMAT, off + hexlen, "line %zu: expected two spaces (or ' *') after the digest",
                         lineno);
        }
        if (bw_digest_from_hex(algo, (const char *)s, hexlen, &d) != BW_OK) {
            return pfail(p, BW_EFORMAT, off, "line %zu: bad digest", lineno);
        }
        name_at = hexlen + 2;
        name_len = n - name_at;
    }
    if (*algo_seen >= 0 && (bw_algo)*algo_seen != algo) {
        return pfail(p, BW_EFORMAT, off, "line %zu: %s digest in a %s list", lineno, bw_algo_name(algo),
                     bw_algo_name((bw_algo)*algo_seen));
    }
    *algo_seen = (int)algo;
    if (name_len == 0 || name_len > BW_MANIFEST_MAX_NAME || memchr(s + name_at, '\0', name_len) != NULL) {
        return pfail(p, BW_EFORMAT, off + name_at, "line %zu: missing or invalid file name", lineno);
    }
    if (escaped) {
        rc = unescape_name(s + name_at, name_len, &name);
        if (rc == BW_EFORMAT) {
            return pfail(p, rc, off + name_at, "line %zu: bad escape in file name", lineno);
        }
    } else {
        name = bw_strndup((const char *)s + name_at, name_len);
        rc = name == NULL ? BW_ENOMEM : BW_OK;
    }
    if (rc != BW_OK) {
        return pfail(p, rc, BW_NO_OFFSET, "out of memory");
    }
    return add_entry(p, name, BW_SIZE_UNKNOWN, 0, 0, &d);
}

static bw_status parse_sums(struct parse *p, const uint8_t *data, size_t n)
{
    bw_rd rd;
    size_t lineno = 0;
    int algo = -1;

    p->m->kind = BW_MANIFEST_SUMS;
    bw_rd_init(&rd, data, n, p->src, p->err);
    while (!bw_rd_eof(&rd)) {
        uint64_t off = bw_rd_offset(&rd);
        bw_bytes line;
        lineno++;
        if (memchr(rd.base + rd.pos, '\n', bw_rd_left(&rd)) != NULL) {
            BW_TRY(bw_rd_until(&rd, '\n', &line));
        } else {
            BW_TRY(bw_rd_view(&rd, bw_rd_left(&rd), &line));
        }
        BW_TRY(parse_line(p, line, off, lineno, &algo));
    }
    if (p->m->n == 0) {
        return pfail(p, BW_EFORMAT, 0, "no checksum lines found");
    }
    p->m->algo = (bw_algo)algo;
    if ((p->m->name = bw_strdup("")) == NULL) {
        return pfail(p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
    }
    return finish(p);
}

/* ---- JSON statements -------------------------------------------------------------------- */

static bw_status get(struct parse *p, json_t *obj, const char *key, int type, const char *where, json_t **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    static const char *names[] = {"an object", "an array", "a string", "an integer",
                                  "a number",  "true",     "false",    "null"};
    if (v == NULL) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s%s%s: missing", where, *where ? "." : "", key);
    }
    if (type >= 0 && json_typeof(v) != (json_type)type && !(type == JSON_REAL && json_typeof(v) == JSON_INTEGER)) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s%s%s: expected %s", where, *where ? "." : "", key, names[type]);
    }
    *out = v;
    return BW_OK;
}

static bw_status get_u64(struct parse *p, json_t *v, const char *what, uint64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return BW_OK;
    }
    /* model_signing writes shard_size as a Python float (1000000000.0) */
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= 0 && d < 9007199254740992.0 && d == (double)(uint64_t)d) {
            *out = (uint64_t)d;
            return BW_OK;
        }
    }
    return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s: expected a non-negative whole number", what);
}

static bw_status parse_statement(struct parse *p, json_t *st);

static bw_status parse_envelope(struct parse *p, json_t *env, const char *where)
{
    json_t *payload, *ptype = json_object_get(env, "payloadType"), *st;
    bw_buf raw = BW_BUF_INIT(BW_MANIFEST_MAX_BYTES);
    json_error_t jerr;
    size_t bad;
    bw_status rc;
    char w[64];

    snprintf(w, sizeof(w), "%s", where);
    BW_TRY(get(p, env, "payload", JSON_STRING, w, &payload));
    if (ptype != NULL && (!json_is_string(ptype) || strcmp(json_string_value(ptype), BW_INTOTO_PAYLOAD_TYPE) != 0)) {
        return pfail(p, BW_EUNSUPPORTED, BW_NO_OFFSET, "%s.payloadType: expected '%s'", where, BW_INTOTO_PAYLOAD_TYPE);
    }
    rc = bw_base64_decode(json_string_value(payload), json_string_length(payload), &raw, &bad);
    if (rc != BW_OK) {
        bw_buf_release(&raw);
        return pfail(p, rc == BW_EFORMAT ? BW_EFORMAT : rc, BW_NO_OFFSET, "%s.payload: invalid base64 at character %zu",
                     where, bad);
    }
    st = json_loadb(raw.ptr != NULL ? raw.ptr : "", raw.len, JSON_REJECT_DUPLICATES, &jerr);
    bw_buf_release(&raw);
    if (st == NULL) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s.payload: decoded statement, offset %d: %s", where, jerr.position,
                     jerr.text);
    }
    if (!json_is_object(st)) {
        json_decref(st);
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s.payload: expected a JSON object", where);
    }
    rc = parse_statement(p, st);
    json_decref(st);
    return rc;
}

static bw_status parse_resource(struct parse *p, json_t *r, size_t i, const char *algo_name)
{
    json_t *name, *digest, *algorithm, *size;
    char where[48], *nm = NULL;
    const char *s;
    size_t len;
    uint64_t start = 0, end = 0, sz = BW_SIZE_UNKNOWN;
    bw_digest d;

    snprintf(where, sizeof(where), "resources[%zu]", i);
    if (!json_is_object(r)) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s: expected an object", where);
    }
    BW_TRY(get(p, r, "name", JSON_STRING, where, &name));
    BW_TRY(get(p, r, "digest", JSON_STRING, where, &digest));
    BW_TRY(get(p, r, "algorithm", JSON_STRING, where, &algorithm));
    if (strcmp(json_string_value(algorithm), algo_name) != 0) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s.algorithm: '%.60s' differs from the serialization's '%s'", where,
                     json_string_value(algorithm), algo_name);
    }
    if (bw_digest_from_hex(p->m->algo, json_string_value(digest), json_string_length(digest), &d) != BW_OK) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s.digest: expected %zu hex digits", where,
                     2 * bw_algo_size(p->m->algo));
    }
    if ((size = json_object_get(r, "size")) != NULL) {
        char w2[64];
        snprintf(w2, sizeof(w2), "%s.size", where);
        BW_TRY(get_u64(p, size, w2, &sz));
    }
    s = json_string_value(name);
    len = json_string_length(name);
    if (p->m->shard_size > 0) {
        /* "path:start:end"; the path may itself contain ':' so split at the last two */
        const char *c2 = NULL, *c1 = NULL;
        for (size_t k = len; k-- > 0;) {
            if (s[k] == ':') {
                if (c2 == NULL) {
                    c2 = s + k;
                } else {
                    c1 = s + k;
                    break;
                }
            }
        }
        if (c1 == NULL || bw_parse_u64(c1 + 1, (size_t)(c2 - c1 - 1), UINT64_MAX, &start) != BW_OK ||
            bw_parse_u64(c2 + 1, (size_t)(s + len - c2 - 1), UINT64_MAX, &end) != BW_OK) {
            return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s.name: expected 'path:start:end'", where);
        }
        if (end <= start || end - start > p->m->shard_size || start % p->m->shard_size != 0) {
            return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s.name: shard %llu:%llu does not fit shard size %llu", where,
                         (unsigned long long)start, (unsigned long long)end, (unsigned long long)p->m->shard_size);
        }
        len = (size_t)(c1 - s);
    }
    if (!bw_manifest_name_ok(s, len)) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "%s.name: not a relative path inside the model", where);
    }
    if ((nm = bw_strndup(s, len)) == NULL) {
        return pfail(p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
    }
    return add_entry(p, nm, sz, start, end, &d);
}

static bw_status parse_statement(struct parse *p, json_t *st)
{
    json_t *type, *ptype, *subject, *subj0, *sname, *sdigest, *sd, *pred, *ser, *method, *hash, *res, *ign;
    bw_manifest *m = p->m;
    char algo_name[64];
    bw_digest claimed;

    if (p->statement_only) {
        /* a verified payload is read as what was signed: no envelope inside it is followed */
        if (!json_is_string(json_object_get(st, "_type"))) {
            return bw_fail(p->err, BW_EFORMAT, "%s: the signed payload is not an in-toto statement (no _type)", p->src);
        }
    } else if (json_object_get(st, "dsseEnvelope") != NULL) {
        json_t *env;
        BW_TRY(get(p, st, "dsseEnvelope", JSON_OBJECT, "", &env));
        return parse_envelope(p, env, "dsseEnvelope");
    }
    if (!p->statement_only && json_object_get(st, "payload") != NULL && json_object_get(st, "_type") == NULL) {
        return parse_envelope(p, st, "envelope");
    }
    BW_TRY(get(p, st, "_type", JSON_STRING, "", &type));
    if (strcmp(json_string_value(type), BW_INTOTO_STATEMENT_V1) != 0 &&
        strcmp(json_string_value(type), "https://in-toto.io/Statement/v0.1") != 0) {
        return pfail(p, BW_EUNSUPPORTED, BW_NO_OFFSET, "_type: '%.80s' is not an in-toto statement",
                     json_string_value(type));
    }
    BW_TRY(get(p, st, "predicateType", JSON_STRING, "", &ptype));
    if (strcmp(json_string_value(ptype), BW_OMS_PREDICATE_V1) != 0) {
        return pfail(p, BW_EUNSUPPORTED, BW_NO_OFFSET, "predicateType: '%.80s' is not a model-signing manifest (%s)",
                     json_string_value(ptype), BW_OMS_PREDICATE_V1);
    }
    BW_TRY(get(p, st, "subject", JSON_ARRAY, "", &subject));
    if (json_array_size(subject) != 1) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "subject: expected exactly one entry");
    }
    subj0 = json_array_get(subject, 0);
    if (!json_is_object(subj0)) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "subject[0]: expected an object");
    }
    BW_TRY(get(p, subj0, "name", JSON_STRING, "subject[0]", &sname));
    BW_TRY(get(p, subj0, "digest", JSON_OBJECT, "subject[0]", &sdigest));
    BW_TRY(get(p, st, "predicate", JSON_OBJECT, "", &pred));
    BW_TRY(get(p, pred, "serialization", JSON_OBJECT, "predicate", &ser));
    BW_TRY(get(p, ser, "method", JSON_STRING, "predicate.serialization", &method));
    BW_TRY(get(p, ser, "hash_type", JSON_STRING, "predicate.serialization", &hash));
    if (bw_algo_parse(json_string_value(hash), &m->algo) != BW_OK) {
        return pfail(p, BW_EUNSUPPORTED, BW_NO_OFFSET, "predicate.serialization.hash_type: '%.40s' is not supported",
                     json_string_value(hash));
    }
    if (strcmp(json_string_value(method), "shards") == 0) {
        json_t *ss;
        BW_TRY(get(p, ser, "shard_size", JSON_REAL, "predicate.serialization", &ss));
        BW_TRY(get_u64(p, ss, "predicate.serialization.shard_size", &m->shard_size));
        if (m->shard_size == 0) {
            return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "predicate.serialization.shard_size: must be positive");
        }
        snprintf(algo_name, sizeof(algo_name), "%s-sharded-%llu", json_string_value(hash),
                 (unsigned long long)m->shard_size);
    } else if (strcmp(json_string_value(method), "files") == 0) {
        snprintf(algo_name, sizeof(algo_name), "%.40s", json_string_value(hash));
    } else {
        return pfail(p, BW_EUNSUPPORTED, BW_NO_OFFSET, "predicate.serialization.method: '%.40s' is not supported",
                     json_string_value(method));
    }
    sd = json_object_get(sdigest, bw_algo_name(m->algo));
    if (sd == NULL) {
        sd = json_object_get(sdigest, json_string_value(hash));
    }
    if (!json_is_string(sd) ||
        bw_digest_from_hex(m->algo, json_string_value(sd), json_string_length(sd), &claimed) != BW_OK) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "subject[0].digest: expected a %s hex digest", bw_algo_name(m->algo));
    }
    m->allow_symlinks = json_is_true(json_object_get(ser, "allow_symlinks"));
    if ((ign = json_object_get(ser, "ignore_paths")) != NULL) {
        if (!json_is_array(ign) || json_array_size(ign) > 4096) {
            return pfail(p, BW_EFORMAT, BW_NO_OFFSET,
                         "predicate.serialization.ignore_paths: expected an array of paths");
        }
        m->ignore_paths = bw_calloc(json_array_size(ign), sizeof(char *));
        if (m->ignore_paths == NULL) {
            return pfail(p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
        }
        for (size_t i = 0; i < json_array_size(ign); i++) {
            json_t *v = json_array_get(ign, i);
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > BW_MANIFEST_MAX_NAME ||
                strlen(json_string_value(v)) != json_string_length(v)) {
                return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "predicate.serialization.ignore_paths[%zu]: expected a path",
                             i);
            }
            if ((m->ignore_paths[m->n_ignore] = bw_strdup(json_string_value(v))) == NULL) {
                return pfail(p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
            }
            m->n_ignore++;
        }
    }
    if ((m->name = bw_strndup(json_string_value(sname), strlen(json_string_value(sname)))) == NULL) {
        return pfail(p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
    }
    BW_TRY(get(p, pred, "resources", JSON_ARRAY, "predicate", &res));
    for (size_t i = 0; i < json_array_size(res); i++) {
        BW_TRY(parse_resource(p, json_array_get(res, i), i, algo_name));
    }
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->entries[i].name, ".") == 0 && m->n > 1 && m->shard_size == 0) {
            return pfail(p, BW_EFORMAT, BW_NO_OFFSET, "resources: '.' (a single-file model) among other files");
        }
    }
    BW_TRY(finish(p));
    if (!bw_digest_equal(&claimed, &m->root)) {
        return pfail(p, BW_EFORMAT, BW_NO_OFFSET,
                     "subject digest does not match the digest of the resources: the manifest was altered");
    }
    return BW_OK;
}

static bw_status parse_json(struct parse *p, const void *data, size_t n)
{
    json_error_t jerr;
    json_t *root;
    bw_status rc;

    p->m->kind = BW_MANIFEST_STATEMENT;
    root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return pfail(p, BW_EFORMAT, (uint64_t)(jerr.position >= 0 ? jerr.position : 0), "line %d, column %d: %s",
                     jerr.line, jerr.column, jerr.text);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return pfail(p, BW_EFORMAT, 0, "expected a JSON object");
    }
    rc = parse_statement(p, root);
    json_decref(root);
    return rc;
}

bw_status bw_manifest_parse_statement(bw_manifest **out, const void *data, size_t n, const char *source, bw_error *err)
{
    struct parse p = {source != NULL ? source : "statement", err, NULL, 0, true};
    json_error_t jerr;
    json_t *root;
    bw_status rc;

    *out = NULL;
    if (n > BW_MANIFEST_MAX_BYTES) {
        return pfail(&p, BW_ELIMIT, BW_NO_OFFSET, "%zu bytes, over the limit of %zu", n, BW_MANIFEST_MAX_BYTES);
    }
    root = json_loadb(n > 0 ? data : "", n, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return bw_fail_at(err, BW_EFORMAT, (uint64_t)(jerr.position >= 0 ? jerr.position : 0),
                          "%s: signed payload: offset %d: %s", p.src, jerr.position, jerr.text);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return bw_fail(err, BW_EFORMAT, "%s: the signed payload is not an in-toto statement (no _type)", p.src);
    }
    p.m = bw_calloc(1, sizeof(*p.m));
    if (p.m == NULL) {
        json_decref(root);
        return pfail(&p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
    }
    p.m->kind = BW_MANIFEST_STATEMENT;
    rc = parse_statement(&p, root);
    json_decref(root);
    if (rc != BW_OK) {
        bw_manifest_free(p.m);
        return rc;
    }
    *out = p.m;
    return BW_OK;
}

bw_status bw_manifest_parse(bw_manifest **out, const void *data, size_t n, const char *source, bw_error *err)
{
    struct parse p = {source != NULL ? source : "manifest", err, NULL, 0, false};
    const uint8_t *s = data;
    size_t i = 0;
    bw_status rc;

    *out = NULL;
    if (n > BW_MANIFEST_MAX_BYTES) {
        return pfail(&p, BW_ELIMIT, BW_NO_OFFSET, "%zu bytes, over the limit of %zu", n, BW_MANIFEST_MAX_BYTES);
    }
    p.m = bw_calloc(1, sizeof(*p.m));
    if (p.m == NULL) {
        return pfail(&p, BW_ENOMEM, BW_NO_OFFSET, "out of memory");
    }
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
        i = 3; /* a UTF-8 byte order mark from an editor */
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
        i++;
    }
    if (i < n && s[i] == '{') {
        rc = parse_json(&p, s, n);
    } else {
        rc = parse_sums(&p, s, n);
    }
    if (rc != BW_OK) {
        bw_manifest_free(p.m);
        return rc;
    }
    *out = p.m;
    return BW_OK;
}
