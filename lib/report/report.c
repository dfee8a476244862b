/*
 * report.c - the finding model: a report of one run, its rules, its input
 * errors, fingerprints and redaction (see bw_report.h).
 *
 * Every string handed in is copied, so producers may pass stack buffers and
 * scanner-owned memory. A finding and its strings share one allocation, and
 * the report holds pointers to them: bw_report_get stays valid while other
 * findings are added or the array is sorted. Adds take `lock`; the expensive
 * part (the SHA-256 of a derived fingerprint and the copy) happens before the
 * lock is taken, so scanner threads contend only for the append.
 *
 * Fingerprints name a finding across runs for baselines and suppressions,
 * so they must not depend on the line (code moves) and must not reveal a
 * secret: they are SHA-256 over rule id, path, member and a content string,
 * each NUL-separated so ("ab","c") and ("a","bc") differ.
 */
#include <openssl/evp.h>
#include <strings.h>

#include "report/report_internal.h"

static const char *const sev_names[BW_SEV_COUNT] = {
    "info", "low", "medium", "high", "critical",
};

const char *bw_severity_name(bw_severity s)
{
    if ((unsigned)s >= BW_SEV_COUNT) {
        return "unknown";
    }
    return sev_names[s];
}

bw_status bw_severity_parse(const char *name, bw_severity *out)
{
    if (name == NULL) {
        return BW_EINVAL;
    }
    for (size_t i = 0; i < BW_SEV_COUNT; i++) {
        if (strcasecmp(name, sev_names[i]) == 0) {
            *out = (bw_severity)i;
            return BW_OK;
        }
    }
    return BW_EINVAL;
}

bw_status bw_format_parse(const char *name, bw_format *out)
{
    static const struct {
        const char *name;
        bw_format fmt;
    } fmts[] = {
        {"text", BW_FORMAT_TEXT},
        {"json", BW_FORMAT_JSON},
        {"sarif", BW_FORMAT_SARIF},
    };

    if (name == NULL) {
        return BW_EINVAL;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(fmts); i++) {
        if (strcasecmp(name, fmts[i].name) == 0) {
            *out = fmts[i].fmt;
            return BW_OK;
        }
    }
    return BW_EINVAL;
}

const char *bw_status_name(bw_status code)
{
    switch (code) {
    case BW_OK: return "BW_OK";
    case BW_EINVAL: return "BW_EINVAL";
    case BW_EFORMAT: return "BW_EFORMAT";
    case BW_ELIMIT: return "BW_ELIMIT";
    case BW_EIO: return "BW_EIO";
    case BW_ENOMEM: return "BW_ENOMEM";
    case BW_EVERIFY: return "BW_EVERIFY";
    case BW_ENOTFOUND: return "BW_ENOTFOUND";
    case BW_ECHANGED: return "BW_ECHANGED";
    case BW_ELOOP: return "BW_ELOOP";
    case BW_EUNSUPPORTED: return "BW_EUNSUPPORTED";
    case BW_ECANCELED: return "BW_ECANCELED";
    }
    return "BW_EUNKNOWN";
}

/* ---- fingerprints and redaction ---------------------------------------- */

void bw_fingerprint(const char *rule_id, const char *path, const char *member, const void *content, size_t n,
                    char hexout[65])
{
    static const char hex[] = "0123456789abcdef";
    const char *parts[3] = {rule_id, path, member};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = NULL;
    bool good = false;

    hexout[0] = '\0';
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        goto out;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(parts); i++) {
        const char *p = parts[i] != NULL ? parts[i] : "";
        /* include the NUL: it separates the parts */
        if (EVP_DigestUpdate(ctx, p, strlen(p) + 1) != 1) {
            goto out;
        }
    }
    if (n > 0 && EVP_DigestUpdate(ctx, content, n) != 1) {
        goto out;
    }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        goto out;
    }
    for (unsigned int i = 0; i < mdlen; i++) {
        hexout[2 * i] = hex[md[i] >> 4];
        hexout[2 * i + 1] = hex[md[i] & 15];
    }
    hexout[64] = '\0';
    good = true;
out:
    if (!good) {
        hexout[0] = '\0'; /* callers treat an empty fingerprint as out of memory */
    }
    EVP_MD_CTX_free(ctx);
}

void bw_redact(const char *secret, size_t n, size_t keep, char *out, size_t cap)
{
    size_t stars, o = 0;

    if (cap == 0) {
        return;
    }
    if (secret == NULL) {
        n = 0;
    }
    keep = BW_MIN(keep, n / 4);
    /* never end the kept prefix inside a UTF-8 sequence */
    while (keep > 0 && keep < n && ((unsigned char)secret[keep] & 0xc0) == 0x80) {
        keep--;
    }
    stars = BW_MIN(n - keep, (size_t)8);
    for (size_t i = 0; i < keep && o + 1 < cap; i++) {
        out[o++] = secret[i];
    }
    for (size_t i = 0; i < stars && o + 1 < cap; i++) {
        out[o++] = '*';
    }
    out[o] = '\0';
}

/* ---- the report --------------------------------------------------------- */

bw_status bw_report_new(bw_report **out, const char *command, bw_error *err)
{
    bw_report *r = NULL;
    bw_status rc = BW_OK;

    *out = NULL;
    r = bw_calloc(1, sizeof(*r));
    if (r == NULL) {
        return bw_fail(err, BW_ENOMEM, "cannot allocate a report");
    }
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        bw_free(r);
        return bw_fail(err, BW_ENOMEM, "cannot create the report lock");
    }
    r->command = bw_strdup(command != NULL ? command : "");
    if (r->command == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "cannot allocate a report");
        goto out;
    }
    *out = r;
    r = NULL;
out:
    bw_report_free(r);
    return rc;
}

static void rule_release(bw_rule *rule)
{
    bw_free((char *)rule->id);
    bw_free((char *)rule->name);
    bw_free((char *)rule->short_desc);
    bw_free((char *)rule->help);
    bw_free((char *)rule->help_uri);
}

void bw_report_free(bw_report *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        bw_free(r->findings[i]);
    }
    bw_free(r->findings);
    for (size_t i = 0; i < r->nrules; i++) {
        rule_release(&r->rules[i]);
    }
    bw_free(r->rules);
    for (size_t i = 0; i < r->nerrors; i++) {
        bw_free(r->errors[i].path);
        bw_free(r->errors[i].msg);
    }
    bw_free(r->errors);
    for (size_t i = 0; i < r->nartifacts; i++) {
        bw_free(r->artifacts[i].path);
        bw_free(r->artifacts[i].key);
        bw_free(r->artifacts[i].value);
    }
    bw_free(r->artifacts);
    bw_free(r->command);
    pthread_mutex_destroy(&r->lock);
    bw_free(r);
}

/*
 * Make room for element n of a growable array. Returns the (possibly moved)
 * array, or NULL with the old one untouched. Caller holds the lock.
 */
static void *grow_array(void *arr, size_t *cap, size_t n, size_t elem)
{
    size_t ncap;
    void *p;

    if (n < *cap) {
        return arr;
    }
    if (!bw_mul_ok(*cap != 0 ? *cap : 8, 2, &ncap)) {
        return NULL;
    }
    p = bw_reallocarray(arr, ncap, elem);
    if (p == NULL) {
        return NULL;
    }
    *cap = ncap;
    return p;
}

static char *dup_or_null(const char *s, bool *failed)
{
    char *d;

    if (s == NULL) {
        return NULL;
    }
    d = bw_strdup(s);
    if (d == NULL) {
        *failed = true;
    }
    return d;
}

const bw_rule *bw_report_find_rule(const bw_report *r, const char *id)
{
    for (size_t i = 0; i < r->nrules; i++) {
        if (strcmp(r->rules[i].id, id) == 0) {
            return &r->rules[i];
        }
    }
    return NULL;
}

bw_status bw_report_add_rule(bw_report *r, const bw_rule *rule)
{
    bw_rule copy = {0};
    bw_rule *rules;
    bool failed = false;
    bw_status rc = BW_OK;

    if (r == NULL || rule == NULL || rule->id == NULL || rule->id[0] == '\0' ||
        (unsigned)rule->default_severity >= BW_SEV_COUNT) {
        return BW_EINVAL;
    }
    copy.id = dup_or_null(rule->id, &failed);
    copy.name = dup_or_null(rule->name, &failed);
    copy.short_desc = dup_or_null(rule->short_desc, &failed);
    copy.help = dup_or_null(rule->help, &failed);
    copy.help_uri = dup_or_null(rule->help_uri, &failed);
    copy.default_severity = rule->default_severity;
    if (failed) {
        rule_release(&copy);
        return BW_ENOMEM;
    }
    pthread_mutex_lock(&r->lock);
    if (bw_report_find_rule(r, copy.id) != NULL) {
        rule_release(&copy); /* the first registration wins */
        goto out;
    }
    rules = grow_array(r->rules, &r->cap_rules, r->nrules, sizeof(*r->rules));
    if (rules == NULL) {
        rule_release(&copy);
        rc = BW_ENOMEM;
        goto out;
    }
    r->rules = rules;
    r->rules[r->nrules++] = copy;
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* Copy a string into the finding's block at *pos; NULL stays NULL. */
static const char *place(char *block, size_t *pos, const char *s)
{
    size_t n;
    char *d;

    if (s == NULL) {
        return NULL;
    }
    n = strlen(s) + 1;
    d = block + *pos;
    memcpy(d, s, n);
    *pos += n;
    return d;
}

static bool add_len(size_t *total, const char *s)
{
    return s == NULL || (bw_add_ok(*total, strlen(s), total) && bw_add_ok(*total, 1, total));
}

bw_status bw_report_add(bw_report *r, const bw_finding *f)
{
    char fp[65];
    const char *fingerprint;
    bw_finding *copy = NULL, **findings;
    size_t total = sizeof(*copy), pos = sizeof(*copy);
    bw_status rc = BW_OK;

    if (r == NULL || f == NULL || f->rule_id == NULL || f->rule_id[0] == '\0' || f->loc.path == NULL ||
        f->message == NULL || (unsigned)f->severity >= BW_SEV_COUNT) {
        return BW_EINVAL;
    }
    fingerprint = f->fingerprint;
    if (fingerprint == NULL) {
        bw_fingerprint(f->rule_id, f->loc.path, f->loc.member, f->message, strlen(f->message), fp);
        if (fp[0] == '\0') {
            return BW_ENOMEM;
        }
        fingerprint = fp;
    }
    if (!add_len(&total, f->rule_id) || !add_len(&total, f->loc.path) || !add_len(&total, f->loc.member) ||
        !add_len(&total, f->message) || !add_len(&total, f->evidence) || !add_len(&total, fingerprint)) {
        return BW_ELIMIT;
    }
    copy = bw_malloc(total);
    if (copy == NULL) {
        return BW_ENOMEM;
    }
    *copy = *f;
    copy->rule_id = place((char *)copy, &pos, f->rule_id);
    copy->loc.path = place((char *)copy, &pos, f->loc.path);
    copy->loc.member = place((char *)copy, &pos, f->loc.member);
    copy->message = place((char *)copy, &pos, f->message);
    copy->evidence = place((char *)copy, &pos, f->evidence);
    copy->fingerprint = place((char *)copy, &pos, fingerprint);
    BW_ASSERT(pos == total);

    pthread_mutex_lock(&r->lock);
    findings = grow_array(r->findings, &r->cap_findings, r->nfindings, sizeof(*r->findings));
    if (findings != NULL) {
        r->findings = findings;
        r->findings[r->nfindings++] = copy;
        copy = NULL;
    } else {
        rc = BW_ENOMEM;
    }
    pthread_mutex_unlock(&r->lock);
    bw_free(copy);
    return rc;
}

bw_status bw_report_add_error(bw_report *r, const char *path, const bw_error *e)
{
    struct bw_report_error rec = {NULL, NULL, BW_EIO, BW_NO_OFFSET}, *errors;
    bw_status rc = BW_OK;

    if (r == NULL || path == NULL) {
        return BW_EINVAL;
    }
    if (e != NULL) {
        rec.code = e->code != BW_OK ? e->code : BW_EIO;
        rec.offset = e->offset;
    }
    rec.path = bw_strdup(path);
    rec.msg = bw_strdup(e != NULL && e->msg[0] != '\0' ? e->msg : bw_strerror(rec.code));
    if (rec.path == NULL || rec.msg == NULL) {
        rc = BW_ENOMEM;
        goto out;
    }
    pthread_mutex_lock(&r->lock);
    errors = grow_array(r->errors, &r->cap_errors, r->nerrors, sizeof(*r->errors));
    if (errors != NULL) {
        r->errors = errors;
        r->errors[r->nerrors++] = rec;
        rec.path = NULL;
        rec.msg = NULL;
    } else {
        rc = BW_ENOMEM;
    }
    pthread_mutex_unlock(&r->lock);
out:
    bw_free(rec.path);
    bw_free(rec.msg);
    return rc;
}

bw_status bw_report_add_artifact(bw_report *r, const char *path, const char *key, const char *value)
{
    struct bw_report_artifact rec = {NULL, NULL, NULL}, *arts;
    bw_status rc = BW_OK;

    if (r == NULL || path == NULL || key == NULL || value == NULL) {
        return BW_EINVAL;
    }
    rec.path = bw_strdup(path);
    rec.key = bw_strdup(key);
    rec.value = bw_strdup(value);
    if (rec.path == NULL || rec.key == NULL || rec.value == NULL) {
        rc = BW_ENOMEM;
        goto out;
    }
    pthread_mutex_lock(&r->lock);
    arts = grow_array(r->artifacts, &r->cap_artifacts, r->nartifacts, sizeof(*r->artifacts));
    if (arts != NULL) {
        r->artifacts = arts;
        r->artifacts[r->nartifacts++] = rec;
        rec.path = rec.key = rec.value = NULL;
    } else {
        rc = BW_ENOMEM;
    }
    pthread_mutex_unlock(&r->lock);
out:
    bw_free(rec.path);
    bw_free(rec.key);
    bw_free(rec.value);
    return rc;
}

void bw_report_count_input(bw_report *r, uint64_t bytes)
{
    if (r == NULL) {
        return;
    }
    pthread_mutex_lock(&r->lock);
    r->inputs++;
    if (__builtin_add_overflow(r->bytes, bytes, &r->bytes)) {
        r->bytes = UINT64_MAX;
    }
    pthread_mutex_unlock(&r->lock);
}

size_t bw_report_count(const bw_report *r)
{
    return r != NULL ? r->nfindings : 0;
}

const bw_finding *bw_report_get(const bw_report *r, size_t i)
{
    if (r == NULL || i >= r->nfindings) {
        return NULL;
    }
    return r->findings[i];
}

size_t bw_report_error_count(const bw_report *r)
{
    return r != NULL ? r->nerrors : 0;
}

void bw_report_sev_counts(const bw_report *r, size_t counts[BW_SEV_COUNT])
{
    memset(counts, 0, BW_SEV_COUNT * sizeof(counts[0]));
    for (size_t i = 0; i < r->nfindings; i++) {
        counts[r->findings[i]->severity]++;
    }
}

size_t bw_report_count_at_least(const bw_report *r, bw_severity sev)
{
    size_t n = 0;

    if (r == NULL) {
        return 0;
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        if (r->findings[i]->severity >= sev) {
            n++;
        }
    }
    return n;
}

/* NULL (no member) sorts before any member. */
static int cmp_opt_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return (a != NULL) - (b != NULL);
    }
    return strcmp(a, b);
}

#define CMP_NUM(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/*
 * Path, member, line, column, offset, rule as bw_report.h says; then, so
 * the order is total and qsort's instability cannot show, higher severity
 * first, message and fingerprint.
 */
static int finding_cmp(const void *pa, const void *pb)
{
    const bw_finding *a = *(const bw_finding *const *)pa;
    const bw_finding *b = *(const bw_finding *const *)pb;
    int c = strcmp(a->loc.path, b->loc.path);

    if (c == 0) {
        c = cmp_opt_str(a->loc.member, b->loc.member);
    }
    if (c == 0) {
        c = CMP_NUM(a->loc.line, b->loc.line);
    }
    if (c == 0) {
        c = CMP_NUM(a->loc.column, b->loc.column);
    }
    if (c == 0) {
        c = CMP_NUM(a->loc.offset, b->loc.offset);
    }
    if (c == 0) {
        c = strcmp(a->rule_id, b->rule_id);
    }
    if (c == 0) {
        c = CMP_NUM(b->severity, a->severity);
    }
    if (c == 0) {
        c = strcmp(a->message, b->message);
    }
    if (c == 0) {
        c = strcmp(a->fingerprint, b->fingerprint);
    }
    return c;
}

void bw_report_sort(bw_report *r)
{
    if (r == NULL || r->nfindings < 2) {
        return;
    }
    pthread_mutex_lock(&r->lock);
    qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_cmp);
    pthread_mutex_unlock(&r->lock);
}

bw_status bw_report_write(const bw_report *r, bw_format fmt, const bw_write_opts *opts, bw_buf *out)
{
    static const bw_write_opts defaults = BW_WRITE_OPTS_INIT;

    if (r == NULL || out == NULL) {
        return BW_EINVAL;
    }
    if (opts == NULL) {
        opts = &defaults;
    } else if (opts->version != BW_WRITE_OPTS_VERSION) {
        return BW_EINVAL;
    }
    switch (fmt) {
    case BW_FORMAT_TEXT: return bw_report_write_text(r, opts, out);
    case BW_FORMAT_JSON: return bw_report_write_json(r, opts, out);
    case BW_FORMAT_SARIF: return bw_report_write_sarif(r, opts, out);
    }
    return BW_EINVAL;
}
