/*
 * write_sarif.c - the report as SARIF 2.1.0, for code-scanning UIs (GitHub,
 * GitLab, the VS Code SARIF viewer). docs/internals/report.md shows an
 * example and lists the choices made here; the short version:
 *
 * - One run. tool.driver.rules holds every registered rule, then a minimal
 *   rule for each rule id that findings use but nobody registered (sorted
 *   by id), so every result's ruleIndex points at its rule.
 * - Paths become URI references: percent-encoded except for unreserved
 *   characters and '/', so spaces, '%', control characters, non-ASCII and
 *   invalid UTF-8 all survive as valid URIs. With opts->base_dir, paths
 *   under it (compared lexically, after making both absolute against the
 *   working directory) are relative to uriBaseId SRCROOT, whose file:// URI
 *   goes in originalUriBaseIds; other absolute paths become file:// URIs.
 * - A finding inside an archive member or a notebook cell is located at the
 *   outer file, without a region (its line, column and offset count inside
 *   the member or cell, not the file); the member is named in a logical
 *   location, in properties and in the message text, which is what GitHub
 *   displays.
 * - Lines and columns go in region only when known (startLine >= 1); when
 *   only a byte offset is known it goes in region.byteOffset.
 * - invocations[0].executionSuccessful is false when any input could not
 *   be read; each such input is a toolExecutionNotification.
 *
 * Columns are counted in bytes, as bw_location says; SARIF's default
 * columnKind (UTF-16 code units) agrees for ASCII lines only.
 */
#include <inttypes.h>
#include <limits.h>
#include <unistd.h>

#include "report/report_internal.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_INFO_URI "https://github.com/bulwark-sec/bulwark"
#define FP_KEY "bulwarkFingerprint/v1"

static const char *const sev_level[BW_SEV_COUNT] = {
    "note", "note", "warning", "error", "error",
};

/* GitHub ranks alerts by properties["security-severity"], a number as a string. */
static const char *const sev_score[BW_SEV_COUNT] = {
    "0.0", "3.0", "5.5", "8.0", "9.5",
};

/* A rule as written: a registered one, or one made up for an unregistered id. */
struct rule_ent {
    const char *id;
    const bw_rule *rule; /* NULL when made up */
    bw_severity sev;     /* made up: the highest severity among its findings */
};

struct sarif {
    const bw_report *r;
    const bw_write_opts *opts;
    bw_json j;
    char *cwd;  /* absolute working directory, or NULL */
    char *base; /* normalised absolute base_dir, or NULL */
    struct rule_ent *rules;
    size_t nrules;
    size_t *rule_of; /* rule_of[i]: the rule index of finding i */
};

/* ---- paths and URIs ------------------------------------------------------ */

/* Append s[0..n) percent-encoded; '/' stays when keep_slash. */
static void put_uri_part(bw_buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash);
        if (plain) {
            bw_buf_addc(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            bw_buf_add(b, esc, sizeof(esc));
        }
    }
}

/*
 * `path` made absolute against `cwd` and normalised lexically: no empty,
 * "." or ".." segments, no trailing slash, "/" for the root. Symlinks are
 * not resolved: the file may be gone, and the user's spelling is what
 * matters for matching a base directory. NULL on allocation failure or
 * when a relative path meets an unknown cwd.
 */
static char *abs_normalize(const char *path, const char *cwd)
{
    bw_buf in = BW_BUF_INIT(SIZE_MAX / 2), out = BW_BUF_INIT(SIZE_MAX / 2);
    char *res = NULL;
    const char *p, *end;

    if (path[0] != '/') {
        if (cwd == NULL) {
            return NULL;
        }
        bw_buf_addstr(&in, cwd);
        bw_buf_addc(&in, '/');
    }
    bw_buf_addstr(&in, path);
    if (in.err != BW_OK) {
        goto out;
    }
    p = in.ptr;
    end = in.ptr + in.len;
    while (p < end) {
        const char *seg = p, *slash = memchr(p, '/', (size_t)(end - p));
        size_t len = (size_t)((slash != NULL ? slash : end) - seg);

        p = slash != NULL ? slash + 1 : end;
        if (len == 0 || (len == 1 && seg[0] == '.')) {
            continue;
        }
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            char *last = out.len > 0 ? memrchr(out.ptr, '/', out.len) : NULL;
            out.len = last != NULL ? (size_t)(last - out.ptr) : 0;
            if (out.ptr != NULL) {
                out.ptr[out.len] = '\0';
            }
            continue;
        }
        bw_buf_addc(&out, '/');
        bw_buf_add(&out, seg, len);
    }
    if (out.len == 0) {
        bw_buf_addc(&out, '/');
    }
    if (bw_buf_take(&out, &res, NULL) != BW_OK) {
        res = NULL;
    }
out:
    bw_buf_release(&in);
    bw_buf_release(&out);
    return res;
}

/* The part of absolute `p` under absolute `base`, or NULL if it is not strictly under it. */
static const char *under_base(const char *p, const char *base)
{
    size_t n = strlen(base);

    if (strcmp(base, "/") == 0) {
        return p[1] != '\0' ? p + 1 : NULL;
    }
    if (strncmp(p, base, n) == 0 && p[n] == '/' && p[n + 1] != '\0') {
        return p + n + 1;
    }
    return NULL;
}

/*
 * An artifactLocation object for a path under `key` ("artifactLocation" in
 * a result, "location" in run.artifacts). False only on allocation failure.
 */
static bool put_location_as(struct sarif *s, const char *key, const char *path)
{
    bw_json *j = &s->j;
    bw_buf uri = BW_BUF_INIT(SIZE_MAX / 4);
    char *abs = NULL;
    const char *rel = NULL;
    bool good = false;

    if (s->base != NULL) {
        abs = abs_normalize(path, s->cwd);
        if (abs == NULL && (path[0] == '/' || s->cwd != NULL)) {
            goto out; /* allocation failed */
        }
        rel = abs != NULL ? under_base(abs, s->base) : NULL;
    }
    if (rel != NULL) {
        put_uri_part(&uri, rel, strlen(rel), true);
    } else if (abs != NULL || path[0] == '/') {
        const char *p = abs != NULL ? abs : path;
        bw_buf_addstr(&uri, "file://");
        put_uri_part(&uri, p, strlen(p), true);
    } else {
        const char *p = path;
        while (p[0] == '.' && p[1] == '/') {
            p += 2; /* "./model.pkl" is "model.pkl" */
        }
        put_uri_part(&uri, p, strlen(p), true);
    }
    if (uri.err != BW_OK) {
        goto out;
    }
    bw_json_key(j, key);
    bw_json_obj_begin(j);
    bw_json_key(j, "uri");
    bw_json_strn(j, uri.ptr != NULL ? uri.ptr : "", uri.len);
    if (rel != NULL) {
        bw_json_kv_str(j, "uriBaseId", "SRCROOT");
    }
    bw_json_obj_end(j);
    good = true;
out:
    bw_buf_release(&uri);
    bw_free(abs);
    return good;
}

static bool put_artifact(struct sarif *s, const char *path)
{
    return put_location_as(s, "artifactLocation", path);
}

/* ---- rules ---------------------------------------------------------------- */

struct id_ref {
    const char *id;
    size_t index; /* of the finding, or of the registered rule */
};

static int id_ref_cmp(const void *pa, const void *pb)
{
    const struct id_ref *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);

    if (c == 0) {
        c = a->index < b->index ? -1 : a->index > b->index;
    }
    return c;
}

static int id_key_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct id_ref *)elem)->id);
}

/*
 * Build s->rules and s->rule_of in O(n log n): sort the registered ids and
 * the findings' ids, then walk the findings in id order, looking each id up
 * once. Findings are attacker-influenced (a pickle names its globals), so
 * no quadratic walk over them.
 */
static bw_status build_rules(struct sarif *s)
{
    const bw_report *r = s->r;
    struct id_ref *reg = NULL, *fin = NULL;
    size_t cap;
    bw_status rc = BW_ENOMEM;

    if (!bw_add_ok(r->nrules, r->nfindings, &cap)) {
        return BW_ELIMIT;
    }
    s->rules = bw_reallocarray(NULL, cap, sizeof(*s->rules));
    s->rule_of = bw_reallocarray(NULL, r->nfindings, sizeof(*s->rule_of));
    reg = bw_reallocarray(NULL, r->nrules, sizeof(*reg));
    fin = bw_reallocarray(NULL, r->nfindings, sizeof(*fin));
    if (s->rules == NULL || s->rule_of == NULL || reg == NULL || fin == NULL) {
        goto out;
    }
    for (size_t i = 0; i < r->nrules; i++) {
        s->rules[i].id = r->rules[i].id;
        s->rules[i].rule = &r->rules[i];
        s->rules[i].sev = r->rules[i].default_severity;
        reg[i].id = r->rules[i].id;
        reg[i].index = i;
    }
    s->nrules = r->nrules;
    qsort(reg, r->nrules, sizeof(*reg), id_ref_cmp);
    for (size_t i = 0; i < r->nfindings; i++) {
        fin[i].id = r->findings[i]->rule_id;
        fin[i].index = i;
    }
    qsort(fin, r->nfindings, sizeof(*fin), id_ref_cmp);
    for (size_t i = 0; i < r->nfindings;) {
        const struct id_ref *hit = bsearch(fin[i].id, reg, r->nrules, sizeof(*reg), id_key_cmp);
        size_t idx, k;

        if (hit != NULL) {
            idx = hit->index;
        } else {
            idx = s->nrules++;
            s->rules[idx].id = fin[i].id;
            s->rules[idx].rule = NULL;
            s->rules[idx].sev = BW_SEV_INFO;
        }
        for (k = i; k < r->nfindings && strcmp(fin[k].id, fin[i].id) == 0; k++) {
            const bw_finding *f = r->findings[fin[k].index];
            s->rule_of[fin[k].index] = idx;
            if (hit == NULL && f->severity > s->rules[idx].sev) {
                s->rules[idx].sev = f->severity;
            }
        }
        i = k;
    }
    rc = BW_OK;
out:
    bw_free(reg);
    bw_free(fin);
    return rc;
}

static void put_text_obj(bw_json *j, const char *key, const char *text)
{
    bw_json_key(j, key);
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "text", text);
    bw_json_obj_end(j);
}

static void put_rule(bw_json *j, const struct rule_ent *e)
{
    const bw_rule *rule = e->rule;
    const char *shrt = e->id, *help = e->id;

    if (rule != NULL) {
        shrt = rule->short_desc != NULL ? rule->short_desc : rule->name != NULL ? rule->name : rule->id;
        help = rule->help != NULL ? rule->help : shrt;
    }
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "id", e->id);
    if (rule != NULL && rule->name != NULL) {
        bw_json_kv_str(j, "name", rule->name);
    }
    put_text_obj(j, "shortDescription", shrt);
    put_text_obj(j, "fullDescription", help);
    put_text_obj(j, "help", help);
    if (rule != NULL && rule->help_uri != NULL) {
        bw_json_kv_str(j, "helpUri", rule->help_uri);
    }
    bw_json_key(j, "defaultConfiguration");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "level", sev_level[e->sev]);
    bw_json_obj_end(j);
    bw_json_key(j, "properties");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "security-severity", sev_score[e->sev]);
    bw_json_key(j, "tags");
    bw_json_arr_begin(j);
    bw_json_str(j, "security");
    bw_json_arr_end(j);
    bw_json_obj_end(j);
    bw_json_obj_end(j);
}

/* ---- results -------------------------------------------------------------- */

static bool nested(const bw_location *loc)
{
    return loc->member != NULL || loc->cell >= 0;
}

static void put_region(bw_json *j, const bw_location *loc)
{
    uint32_t end_line;

    if (loc->line == 0) {
        if (loc->offset != BW_NO_OFFSET) {
            bw_json_key(j, "region");
            bw_json_obj_begin(j);
            bw_json_key(j, "byteOffset");
            bw_json_uint(j, loc->offset);
            bw_json_obj_end(j);
        }
        return;
    }
    end_line = loc->end_line >= loc->line ? loc->end_line : loc->line;
    bw_json_key(j, "region");
    bw_json_obj_begin(j);
    bw_json_kv_int(j, "startLine", loc->line);
    if (loc->column > 0) {
        bw_json_kv_int(j, "startColumn", loc->column);
    }
    if (loc->end_line >= loc->line) {
        bw_json_kv_int(j, "endLine", end_line);
    }
    /* an end before the start on the same line is dropped, not written backwards */
    if (loc->end_column > 0 && (end_line > loc->line || loc->end_column >= loc->column)) {
        bw_json_kv_int(j, "endColumn", loc->end_column);
    }
    bw_json_obj_end(j);
}

/* The message, plus where inside the file when the region cannot say. */
static bw_status result_text(const bw_finding *f, bw_buf *t)
{
    const bw_location *loc = &f->loc;
    const char *sep = " (";

    bw_buf_addstr(t, f->message);
    if (!nested(loc)) {
        return t->err;
    }
    if (loc->member != NULL) {
        bw_buf_printf(t, "%sin member '%s'", sep, loc->member);
        sep = ", ";
    }
    if (loc->cell >= 0) {
        bw_buf_printf(t, "%scell %" PRId32, sep, loc->cell);
        sep = ", ";
    }
    if (loc->line > 0) {
        bw_buf_printf(t, "%sline %" PRIu32, sep, loc->line);
        if (loc->column > 0) {
            bw_buf_printf(t, " column %" PRIu32, loc->column);
        }
    } else if (loc->offset != BW_NO_OFFSET) {
        bw_buf_printf(t, "%soffset %" PRIu64, sep, loc->offset);
    }
    bw_buf_addc(t, ')');
    return t->err;
}

static bw_status put_result(struct sarif *s, size_t i)
{
    const bw_finding *f = s->r->findings[i];
    const bw_location *loc = &f->loc;
    bw_json *j = &s->j;
    bw_buf text = BW_BUF_INIT(SIZE_MAX / 4);
    bw_status rc;

    rc = result_text(f, &text);
    if (rc != BW_OK) {
        goto out;
    }
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "ruleId", f->rule_id);
    bw_json_key(j, "ruleIndex");
    bw_json_uint(j, s->rule_of[i]);
    bw_json_kv_str(j, "level", sev_level[f->severity]);
    bw_json_key(j, "message");
    bw_json_obj_begin(j);
    bw_json_key(j, "text");
    bw_json_strn(j, text.ptr, text.len);
    bw_json_obj_end(j);

    bw_json_key(j, "locations");
    bw_json_arr_begin(j);
    bw_json_obj_begin(j);
    bw_json_key(j, "physicalLocation");
    bw_json_obj_begin(j);
    if (!put_artifact(s, loc->path)) {
        rc = BW_ENOMEM;
        goto out;
    }
    if (!nested(loc)) {
        put_region(j, loc);
    }
    bw_json_obj_end(j);
    if (loc->member != NULL) {
        bw_json_key(j, "logicalLocations");
        bw_json_arr_begin(j);
        bw_json_obj_begin(j);
        bw_json_kv_str(j, "fullyQualifiedName", loc->member);
        bw_json_obj_end(j);
        bw_json_arr_end(j);
    }
    bw_json_obj_end(j);
    bw_json_arr_end(j);

    bw_json_key(j, "partialFingerprints");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, FP_KEY, f->fingerprint);
    bw_json_obj_end(j);

    bw_json_key(j, "properties");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "severity", bw_severity_name(f->severity));
    if (loc->member != NULL) {
        bw_json_kv_str(j, "member", loc->member);
    }
    if (loc->cell >= 0) {
        bw_json_kv_int(j, "cell", loc->cell);
    }
    if (nested(loc) && loc->line > 0) {
        bw_json_kv_int(j, "line", loc->line);
        if (loc->column > 0) {
            bw_json_kv_int(j, "column", loc->column);
        }
    }
    if (nested(loc) && loc->offset != BW_NO_OFFSET) {
        bw_json_key(j, "offset");
        bw_json_uint(j, loc->offset);
    }
    if (f->evidence != NULL) {
        bw_json_kv_str(j, "evidence", f->evidence);
    }
    bw_json_obj_end(j);
    bw_json_obj_end(j);
out:
    bw_buf_release(&text);
    return rc;
}

static bw_status put_invocation(struct sarif *s)
{
    const bw_report *r = s->r;
    bw_json *j = &s->j;

    bw_json_key(j, "invocations");
    bw_json_arr_begin(j);
    bw_json_obj_begin(j);
    if (r->command[0] != '\0') {
        bw_json_kv_str(j, "commandLine", r->command);
    }
    bw_json_key(j, "executionSuccessful");
    bw_json_bool(j, r->nerrors == 0);
    if (r->nerrors > 0) {
        bw_json_key(j, "toolExecutionNotifications");
        bw_json_arr_begin(j);
        for (size_t i = 0; i < r->nerrors; i++) {
            const struct bw_report_error *e = &r->errors[i];
            bw_json_obj_begin(j);
            bw_json_kv_str(j, "level", "error");
            put_text_obj(j, "message", e->msg);
            bw_json_key(j, "locations");
            bw_json_arr_begin(j);
            bw_json_obj_begin(j);
            bw_json_key(j, "physicalLocation");
            bw_json_obj_begin(j);
            if (!put_artifact(s, e->path)) {
                return BW_ENOMEM;
            }
            bw_json_obj_end(j);
            bw_json_obj_end(j);
            bw_json_arr_end(j);
            bw_json_key(j, "properties");
            bw_json_obj_begin(j);
            bw_json_kv_str(j, "code", bw_status_name(e->code));
            if (e->offset != BW_NO_OFFSET) {
                bw_json_key(j, "offset");
                bw_json_uint(j, e->offset);
            }
            bw_json_obj_end(j);
            bw_json_obj_end(j);
        }
        bw_json_arr_end(j);
    }
    bw_json_obj_end(j);
    bw_json_arr_end(j);
    return BW_OK;
}

static void put_driver(struct sarif *s)
{
    const char *version = s->opts->tool_version != NULL ? s->opts->tool_version : bw_version();
    bw_json *j = &s->j;

    bw_json_key(j, "tool");
    bw_json_obj_begin(j);
    bw_json_key(j, "driver");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "name", "bulwark");
    bw_json_kv_str(j, "version", version);
    bw_json_kv_str(j, "semanticVersion", version);
    bw_json_kv_str(j, "informationUri", SARIF_INFO_URI);
    bw_json_key(j, "rules");
    bw_json_arr_begin(j);
    for (size_t i = 0; i < s->nrules; i++) {
        put_rule(j, &s->rules[i]);
    }
    bw_json_arr_end(j);
    bw_json_obj_end(j);
    bw_json_obj_end(j);
}

static bw_status put_base(struct sarif *s)
{
    bw_json *j = &s->j;
    bw_buf uri = BW_BUF_INIT(SIZE_MAX / 4);
    bw_status rc;

    bw_buf_addstr(&uri, "file://");
    put_uri_part(&uri, s->base, strlen(s->base), true);
    if (uri.len == 0 || uri.ptr[uri.len - 1] != '/') {
        bw_buf_addc(&uri, '/'); /* a base URI must end with a slash */
    }
    rc = uri.err;
    if (rc == BW_OK) {
        bw_json_key(j, "originalUriBaseIds");
        bw_json_obj_begin(j);
        bw_json_key(j, "SRCROOT");
        bw_json_obj_begin(j);
        bw_json_kv_str(j, "uri", uri.ptr);
        bw_json_obj_end(j);
        bw_json_obj_end(j);
    }
    bw_buf_release(&uri);
    return rc;
}

bw_status bw_report_write_sarif(const bw_report *r, const bw_write_opts *opts, bw_buf *out)
{
    struct sarif s = {0};
    char cwd[PATH_MAX];
    bw_status rc;

    s.r = r;
    s.opts = opts;
    if (opts->base_dir != NULL && opts->base_dir[0] != '\0') {
        if (getcwd(cwd, sizeof(cwd)) != NULL && cwd[0] == '/') {
            s.cwd = bw_strdup(cwd);
            if (s.cwd == NULL) {
                rc = BW_ENOMEM;
                goto out;
            }
        }
        s.base = abs_normalize(opts->base_dir, s.cwd);
        if (s.base == NULL) {
            rc = opts->base_dir[0] == '/' || s.cwd != NULL ? BW_ENOMEM : BW_EIO;
            goto out;
        }
    }
    rc = build_rules(&s);
    if (rc != BW_OK) {
        goto out;
    }

    bw_json_init(&s.j, out, 1);
    bw_json_obj_begin(&s.j);
    bw_json_kv_str(&s.j, "$schema", SARIF_SCHEMA);
    bw_json_kv_str(&s.j, "version", "2.1.0");
    bw_json_key(&s.j, "runs");
    bw_json_arr_begin(&s.j);
    bw_json_obj_begin(&s.j);
    put_driver(&s);
    rc = put_invocation(&s);
    if (rc != BW_OK) {
        goto out;
    }
    if (s.base != NULL) {
        rc = put_base(&s);
        if (rc != BW_OK) {
            goto out;
        }
    }
    if (r->nartifacts > 0) {
        bw_json_key(&s.j, "artifacts");
        bw_json_arr_begin(&s.j);
        for (size_t i = 0; i < r->nartifacts; i++) {
            bw_json_obj_begin(&s.j);
            if (!put_location_as(&s, "location", r->artifacts[i].path)) {
                rc = BW_ENOMEM;
                goto out;
            }
            bw_json_key(&s.j, "properties");
            bw_json_obj_begin(&s.j);
            bw_json_kv_str(&s.j, r->artifacts[i].key, r->artifacts[i].value);
            bw_json_obj_end(&s.j);
            bw_json_obj_end(&s.j);
        }
        bw_json_arr_end(&s.j);
    }
    bw_json_key(&s.j, "results");
    bw_json_arr_begin(&s.j);
    for (size_t i = 0; i < r->nfindings; i++) {
        rc = put_result(&s, i);
        if (rc != BW_OK) {
            goto out;
        }
    }
    bw_json_arr_end(&s.j);
    bw_json_obj_end(&s.j);
    bw_json_arr_end(&s.j);
    bw_json_obj_end(&s.j);
    rc = bw_json_finish(&s.j);
    if (rc == BW_OK) {
        rc = bw_buf_addc(out, '\n');
    }
out:
    bw_free(s.cwd);
    bw_free(s.base);
    bw_free(s.rules);
    bw_free(s.rule_of);
    return rc;
}
