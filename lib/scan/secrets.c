/*
 * secrets.c - the secrets and personal-data scanner: reading inputs by
 * structure and turning engine hits into findings. See bw_secrets.h and
 * docs/scan-secrets.md.
 *
 * Reading. A file is read in chunks of CHUNK bytes that overlap by two
 * engine margins (BW_SENGINE_OVERLAP), so memory does not grow with file
 * size and every match is accepted exactly once (the engine takes matches
 * ending in (lo, hi]). Inputs that fit in one chunk are dispatched by
 * content: zip/tar/gzip/bzip2/xz/zstd archives (members scanned one level
 * deeper under limits), Jupyter notebooks (each cell source and text output
 * its own block, located by cell), everything else as text or binary.
 * CSV/TSV and JSONL files are datasets: hits are placed in their column
 * (by header name or JSON key), columns whose name says what they hold
 * (dob, mrn, ssn, phone, name...) are validated cell by cell, and personal
 * data is summarised per column and rule unless per_row is set.
 * Kubernetes Secret manifests have their base64 data values decoded and
 * scanned as "key: value" lines located at the encoded value.
 */
#include <ctype.h>
#include <pthread.h>
#include <stddef.h>

#include "bulwark/bw_file.h"
#include "bulwark/bw_secrets.h"
#include "formats/notebook.h"
#include "scan/mscan.h"
#include "scan/sengine.h"
#include "scan/srules_yaml.h"
#include "scan/validate.h"
#include "util/larchive.h"

/* the chunk size; a variable so tests can cross many chunk boundaries with small inputs */
size_t bw_secrets_chunk = (size_t)4 << 20;
#define CHUNK bw_secrets_chunk
#define OVL BW_SENGINE_OVERLAP
#define MEMBER_MAX 1024
#define MAX_COLS 512
#define DEFAULT_DEPTH 4
#define DEFAULT_MEMBER_MAX ((uint64_t)1 << 30)
#define PII_ONE_BY_ONE 20u /* outside datasets: personal data of one rule reported singly up to this */

/* Column-name context: personal data that has no shape of its own. */
enum ctxkind { CK_NONE = 0, CK_DOB, CK_MRN, CK_SSN, CK_PHONE, CK_NAME, CK_POSTCODE, CK_AADHAAR, CK__COUNT };

/* The rules of column-name context (not in the engine: the column pass of datasets raises them). */
#define DATASET_RULE(id_, what, sev, val)                                                                              \
    {                                                                                                                  \
        .id = id_, .provider = "Personal data", .description = what " in a column named for it", .regex = "(?!)",      \
        .kind = BW_SK_PII, .severity = sev, .validator = val                                                           \
    }
static const bw_srule dataset_rules[CK__COUNT - 1] = {
    DATASET_RULE("dataset-date-of-birth", "Date of birth", BW_SEV_MEDIUM, BW_SV_DATE),
    DATASET_RULE("dataset-medical-record-number", "Medical record number", BW_SEV_HIGH, BW_SV_NONE),
    DATASET_RULE("dataset-ssn", "US Social Security number", BW_SEV_HIGH, BW_SV_SSN),
    DATASET_RULE("dataset-phone", "Phone number", BW_SEV_MEDIUM, BW_SV_PHONE),
    DATASET_RULE("dataset-person-name", "Person's name", BW_SEV_MEDIUM, BW_SV_NONE),
    DATASET_RULE("dataset-postcode", "Postal code", BW_SEV_LOW, BW_SV_NONE),
    DATASET_RULE("dataset-aadhaar", "Aadhaar number", BW_SEV_HIGH, BW_SV_AADHAAR),
};
#undef DATASET_RULE

struct bw_secrets {
    bw_secrets_opts o;
    bw_srule *rules; /* engine rules, then dataset_rules */
    size_t n_engine, n_rules;
    unsigned char *custom;
    bw_srules_yaml *yaml; /* owns the strings of custom rules */
    bw_sengine *eng;
    char **ignore; /* sorted */
    size_t n_ignore;
    pthread_mutex_t lock;
    bw_sscratch **spare;
    size_t n_spare, cap_spare;
    char **bufs; /* spare read buffers of CHUNK + 2 * OVL bytes, so files do not map and fault in a new one */
    size_t n_bufs, cap_bufs;
    /* dedupe: fingerprints reported so far (open addressing, under lock) */
    char (*seen)[65];
    size_t n_seen, cap_seen;
};

/* ---- per-input context ------------------------------------------------------------------------- */

struct agg {
    uint32_t rule, col;
    uint64_t count;
    uint64_t first_line, last_line;
    uint64_t first_off;
    uint32_t first_col;
    char evidence[160];
    char fp_seed[80];
};

struct sctx {
    const bw_secrets *s;
    bw_report *rep;
    bw_sscratch *scr;
    bw_shits hits;
    bw_error *err;
    const char *path;
    char member[MEMBER_MAX];
    int32_t cell;
    const char *part; /* "output 2", "metadata", NULL */
    const bw_secrets_input *in;
    unsigned depth;
    bool binary;
    /* decoded base64 values: every finding goes to this line of the outer file */
    uint64_t fixed_line;
    const char *decoded;
    /* datasets */
    int ds; /* 0 none, 1 CSV, 2 JSONL */
    char delim;
    bool header_seen;
    char **cols;
    size_t *collen; /* strlen of each of cols */
    unsigned char *colctx;
    size_t ncols;
    size_t colend[64]; /* printed tables (ds 3): the right edge of each column in the header */
    struct agg *aggs;
    size_t naggs, capaggs;
    uint32_t *per_rule; /* [n_rules]: personal-data findings of each rule reported one by one so far */
    /* per-line caches of emit: the line's markers, and how far its CSV columns were counted */
    const char *mk_buf;
    size_t mk_ls;
    bool mk_ignored;
    size_t jc_pos, jc_ks, jc_ke; /* jsonl_col_at() carried along a line */
    bool jc_have;
    bw_shits extra; /* dataset_rows(): the column pass's hits of a block */
    /* --sample: a large dataset's windows of rows, spread evenly through it */
    uint64_t size_hint; /* the whole input's size when known before reading it (a file), else 0 */
    struct {
        bool on;
        uint64_t next, stride; /* the next window's offset in the input, and the step between windows */
        size_t win;            /* bytes a window holds (then up to the end of its last row) */
        uint64_t left;         /* windows still to scan */
        uint64_t rows, est;    /* rows scanned, and about how many the dataset holds */
    } smp;
    size_t cc_pos;
    uint32_t cc_col;
    bool cc_q;
};

static const char *rule_kind_name(const bw_srule *r)
{
    return r->kind == BW_SK_PII ? "pii" : "secret";
}

static void pascal(const char *id, char *out, size_t cap)
{
    size_t o = 0;
    bool up = true;

    for (; *id && o + 1 < cap; id++) {
        if (*id == '-' || *id == '_') {
            up = true;
            continue;
        }
        out[o++] = up ? (char)toupper((unsigned char)*id) : *id;
        up = false;
    }
    out[o] = '\0';
}

static bw_status register_rule(struct sctx *c, const bw_srule *r)
{
    char name[128], help[512];
    bw_rule meta;

    pascal(r->id, name, sizeof(name));
    if (r->kind == BW_SK_PII) {
        snprintf(help, sizeof(help),
                 "%s (%s). Personal data in code, logs and datasets must be minimised, masked or "
                 "encrypted; check who may read this file and whether the data needs to be here at all.",
                 r->description, r->provider);
    } else {
        snprintf(help, sizeof(help),
                 "%s (%s). Revoke or rotate the credential first (it is compromised once committed or shared), "
                 "then remove it and load it from a secret store or the environment at run time.",
                 r->description, r->provider);
    }
    meta.id = r->id;
    meta.name = name;
    meta.short_desc = r->description;
    meta.help = help;
    meta.help_uri = NULL;
    meta.default_severity = (bw_severity)r->severity;
    return bw_report_add_rule(c->rep, &meta);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ignored_fp(const bw_secrets *s, const char *fp)
{
    return s->n_ignore > 0 && bsearch(&fp, s->ignore, s->n_ignore, sizeof(char *), cmp_str) != NULL;
}

/* The inline markers teams use: ours, and those of the tools they migrate from. */
static bool line_has_marker(const char *l, size_t n, bool next_line)
{
    static const char *const same[] = {"bulwark:ignore", "gitleaks:allow", "pragma: allowlist secret",
                                       "secretlint-disable-line", "nosecret"};
    static const char *const next[] = {"bulwark:ignore-next-line", "pragma: allowlist nextline secret",
                                       "secretlint-disable-next-line"};
    const char *const *set = next_line ? next : same;
    size_t k = next_line ? BW_ARRAY_LEN(next) : BW_ARRAY_LEN(same);
    bool maybe = false;

    /* every marker holds "ignore", "allow", "disable" or "nosecret": one cheap pass first */
    for (size_t i = 0; i + 5 <= n && !maybe; i++) {
        switch (l[i]) {
        case 'i': maybe = i + 6 <= n && memcmp(l + i, "ignore", 6) == 0; break;
        case 'a': maybe = memcmp(l + i, "allow", 5) == 0; break;
        case 'd': maybe = i + 7 <= n && memcmp(l + i, "disable", 7) == 0; break;
        case 'n': maybe = i + 8 <= n && memcmp(l + i, "nosecret", 8) == 0; break;
        default: break;
        }
    }
    if (!maybe) {
        return false;
    }

    for (size_t i = 0; i < k; i++) {
        const char *m = memmem(l, n, set[i], strlen(set[i]));
        if (m != NULL) {
            /* "bulwark:ignore" must not be taken for "bulwark:ignore-next-line" on the same line */
            if (!next_line && i == 0 && (size_t)(m - l) + 14 < n && m[14] == '-') {
                continue;
            }
            return true;
        }
    }
    return false;
}

static bool in_ranges(const bw_secrets_input *in, uint64_t line)
{
    if (in == NULL || in->line_ranges == NULL) {
        return true;
    }
    for (size_t i = 0; i < in->n_line_ranges; i++) {
        if (line >= in->line_ranges[2 * i] && line <= in->line_ranges[2 * i + 1]) {
            return true;
        }
    }
    return false;
}

/* ---- datasets ---------------------------------------------------------------------------------- */

static enum ctxkind column_context(const char *name)
{
    static const struct {
        const char *name;
        enum ctxkind k;
    } map[] = {
        {"dob", CK_DOB},
        {"date_of_birth", CK_DOB},
        {"dateofbirth", CK_DOB},
        {"birth_date", CK_DOB},
        {"birthdate", CK_DOB},
        {"birthday", CK_DOB},
        {"mrn", CK_MRN},
        {"medical_record_number", CK_MRN},
        {"medical_record", CK_MRN},
        {"medical_record_no", CK_MRN},
        {"patient_mrn", CK_MRN},
        {"ssn", CK_SSN},
        {"social_security_number", CK_SSN},
        {"social_security", CK_SSN},
        {"phone", CK_PHONE},
        {"phone_number", CK_PHONE},
        {"phonenumber", CK_PHONE},
        {"telephone", CK_PHONE},
        {"tel", CK_PHONE},
        {"mobile", CK_PHONE},
        {"mobile_phone", CK_PHONE},
        {"cell_phone", CK_PHONE},
        {"fax", CK_PHONE},
        {"name", CK_NAME},
        {"full_name", CK_NAME},
        {"fullname", CK_NAME},
        {"first_name", CK_NAME},
        {"firstname", CK_NAME},
        {"last_name", CK_NAME},
        {"lastname", CK_NAME},
        {"surname", CK_NAME},
        {"given_name", CK_NAME},
        {"family_name", CK_NAME},
        {"patient_name", CK_NAME},
        {"postcode", CK_POSTCODE},
        {"post_code", CK_POSTCODE},
        {"postal_code", CK_POSTCODE},
        {"zip", CK_POSTCODE},
        {"zipcode", CK_POSTCODE},
        {"zip_code", CK_POSTCODE},
        {"aadhaar", CK_AADHAAR},
        {"aadhaar_number", CK_AADHAAR},
        {"aadhaar_no", CK_AADHAAR},
    };
    char norm[64];
    size_t k = 0;

    for (const char *p = name; *p && k + 1 < sizeof(norm); p++) {
        char ch = (char)tolower((unsigned char)*p);
        norm[k++] = (ch == ' ' || ch == '-' || ch == '.') ? '_' : ch;
    }
    norm[k] = '\0';
    for (size_t i = 0; i < BW_ARRAY_LEN(map); i++) {
        if (strcmp(norm, map[i].name) == 0) {
            return map[i].k;
        }
    }
    return CK_NONE;
}

static void free_cols(struct sctx *c)
{
    for (size_t i = 0; i < c->ncols; i++) {
        bw_free(c->cols[i]);
    }
    BW_FREE(c->cols);
    BW_FREE(c->collen);
    BW_FREE(c->colctx);
    c->ncols = 0;
}

/* Column index of the column named `name` (JSONL keys), adding it if new. */
static uint32_t col_of_name(struct sctx *c, const char *name, size_t n)
{
    char **cols;
    size_t *lens;
    unsigned char *ctx;
    char tmp[64];

    for (size_t i = 0; i < c->ncols; i++) {
        if (c->collen[i] == n && memcmp(c->cols[i], name, n) == 0) {
            return (uint32_t)i;
        }
    }
    if (c->ncols >= MAX_COLS) {
        return UINT32_MAX;
    }
    cols = bw_reallocarray(c->cols, c->ncols + 1, sizeof(*cols));
    if (cols == NULL) {
        return UINT32_MAX;
    }
    c->cols = cols;
    lens = bw_reallocarray(c->collen, c->ncols + 1, sizeof(*lens));
    if (lens == NULL) {
        return UINT32_MAX;
    }
    c->collen = lens;
    lens[c->ncols] = n;
    ctx = bw_realloc(c->colctx, c->ncols + 1);
    if (ctx == NULL) {
        return UINT32_MAX;
    }
    c->colctx = ctx;
    c->cols[c->ncols] = bw_strndup(name, n);
    if (c->cols[c->ncols] == NULL) {
        return UINT32_MAX;
    }
    snprintf(tmp, sizeof(tmp), "%.*s", (int)BW_MIN(n, sizeof(tmp) - 1), name);
    c->colctx[c->ncols] = (unsigned char)column_context(tmp);
    return (uint32_t)c->ncols++;
}

/* Split a CSV line into cells: calls fn(ctx, index, start, end) with the unquoted span. */
typedef void (*cell_fn)(struct sctx *c, size_t idx, const char *b, size_t s, size_t e, void *arg);

static void csv_cells(struct sctx *c, const char *b, size_t ls, size_t le, cell_fn fn, void *arg)
{
    size_t i = ls, idx = 0;

    while (i <= le) {
        size_t s = i, e;
        if (i < le && b[i] == '"') {
            s = ++i;
            while (i < le && !(b[i] == '"' && (i + 1 >= le || b[i + 1] != '"'))) {
                i += b[i] == '"' ? 2 : 1;
            }
            e = BW_MIN(i, le);
            while (i < le && b[i] != c->delim) {
                i++;
            }
        } else {
            while (i < le && b[i] != c->delim) {
                i++;
            }
            e = i;
        }
        while (e > s && (b[e - 1] == '\r' || b[e - 1] == ' ')) {
            e--;
        }
        while (s < e && b[s] == ' ') {
            s++;
        }
        fn(c, idx++, b, s, e, arg);
        i++; /* past the delimiter (or the end) */
    }
}

static void header_cell(struct sctx *c, size_t idx, const char *b, size_t s, size_t e, void *arg)
{
    (void)idx;
    (void)arg;
    (void)col_of_name(c, b + s, e - s);
}

/* The column of byte `at` in the CSV line [ls, le). */
static uint32_t csv_col_at(struct sctx *c, const char *b, size_t ls, size_t at)
{
    uint32_t col = 0;
    bool q = false;
    size_t i = ls;

    /* hits come in order along a line: carry on from the previous one */
    if (c->mk_buf == b && c->mk_ls == ls && c->cc_pos >= ls && c->cc_pos <= at) {
        i = c->cc_pos;
        col = c->cc_col;
        q = c->cc_q;
    }
    for (; i < at; i++) {
        if (b[i] == '"') {
            q = !q;
        } else if (!q && b[i] == c->delim) {
            col++;
        }
    }
    c->cc_pos = at;
    c->cc_col = col;
    c->cc_q = q;
    return col;
}

/* The JSON key whose value holds byte `at` of the JSONL line [ls, le): the last key before it. */
static uint32_t jsonl_col_at(struct sctx *c, const char *b, size_t ls, size_t at)
{
    size_t i = ls, ks = 0, ke = 0;
    bool have = false;

    /* hits come in order along a line: carry on from the previous one */
    if (c->mk_buf == b && c->mk_ls == ls && c->jc_pos >= ls && c->jc_pos <= at) {
        i = c->jc_pos;
        ks = c->jc_ks;
        ke = c->jc_ke;
        have = c->jc_have;
    }
    while (i < at) {
        if (b[i] == '"') {
            size_t q = i, s = ++i;
            while (i < at && b[i] != '"') {
                i += b[i] == '\\' ? 2 : 1;
            }
            if (i >= at) {
                i = q; /* the string holds `at`: read it again next time */
                break;
            }
            size_t e = i++;
            size_t j = i;
            while (j < at && (b[j] == ' ' || b[j] == '\t')) {
                j++;
            }
            if (j < at && b[j] == ':') {
                ks = s;
                ke = e;
                have = true;
            }
        } else {
            i++;
        }
    }
    c->jc_pos = i;
    c->jc_ks = ks;
    c->jc_ke = ke;
    c->jc_have = have;
    return have ? col_of_name(c, b + ks, ke - ks) : UINT32_MAX;
}

/* ---- findings ---------------------------------------------------------------------------------- */

static bool uses_location_fingerprint(const bw_srule *r)
{
    /* a hash of a guessable value (a password, an SSN) would give the value away */
    return r->kind == BW_SK_PII || r->validator == BW_SV_GENERIC || r->validator == BW_SV_PASSWORD ||
           r->validator == BW_SV_BASIC_B64 || r->min_entropy < 3.0f;
}

static void evidence_of(const bw_secrets *s, const bw_srule *r, const char *v, size_t n, char *out, size_t cap)
{
    if (s->o.show_secrets) {
        bw_escape_for_log(v, n, out, cap);
        return;
    }
    bw_redact(v, n, r->kind == BW_SK_PII ? 2 : 4, out, cap);
}

static bw_status agg_add(struct sctx *c, uint32_t rule, uint32_t col, uint64_t line, uint32_t column, uint64_t off,
                         const char *v, size_t vn)
{
    struct agg *a;

    for (size_t i = c->naggs; i-- > 0;) {
        if (c->aggs[i].rule == rule && c->aggs[i].col == col) {
            c->aggs[i].count++;
            c->aggs[i].last_line = line;
            return BW_OK;
        }
    }
    if (c->naggs == c->capaggs) {
        size_t cap = c->capaggs ? c->capaggs * 2 : 16;
        struct agg *grown = bw_reallocarray(c->aggs, cap, sizeof(*grown));
        if (grown == NULL) {
            return BW_ENOMEM;
        }
        c->aggs = grown;
        c->capaggs = cap;
    }
    a = &c->aggs[c->naggs++];
    memset(a, 0, sizeof(*a));
    a->rule = rule;
    a->col = col;
    a->count = 1;
    a->first_line = a->last_line = line;
    a->first_col = column;
    a->first_off = off;
    evidence_of(c->s, &c->s->rules[rule], v, vn, a->evidence, sizeof(a->evidence));
    return BW_OK;
}

/* Add fp to the seen set: 1 if new, 0 if seen before, -1 out of memory. */
static int seen_add(bw_secrets *s, const char *fp)
{
    uint64_t h = 0;
    int rc = 1;

    pthread_mutex_lock(&s->lock);
    if (2 * (s->n_seen + 1) > s->cap_seen) {
        size_t cap = s->cap_seen ? s->cap_seen * 2 : 1024;
        char(*v)[65] = bw_calloc(cap, 65);
        if (v == NULL) {
            pthread_mutex_unlock(&s->lock);
            return -1;
        }
        for (size_t i = 0; i < s->cap_seen; i++) {
            if (s->seen[i][0] != '\0') {
                uint64_t k = strtoull(s->seen[i] + 48, NULL, 16) % cap;
                while (v[k][0] != '\0') {
                    k = (k + 1) % cap;
                }
                memcpy(v[k], s->seen[i], 65);
            }
        }
        bw_free(s->seen);
        s->seen = v;
        s->cap_seen = cap;
    }
    h = strtoull(fp + 48, NULL, 16) % s->cap_seen;
    while (s->seen[h][0] != '\0') {
        if (strcmp(s->seen[h], fp) == 0) {
            rc = 0;
            break;
        }
        h = (h + 1) % s->cap_seen;
    }
    if (rc == 1) {
        snprintf(s->seen[h], 65, "%s", fp);
        s->n_seen++;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static bw_status add_finding(struct sctx *c, const bw_srule *r, uint64_t line, uint32_t col, uint64_t end_line,
                             uint32_t end_col, uint64_t off, const char *msg, const char *evidence, const char *fp)
{
    bw_finding f = BW_FINDING_INIT;
    bw_status rc;

    if (ignored_fp(c->s, fp)) {
        return BW_OK;
    }
    if (c->s->o.dedupe) {
        int first = seen_add((bw_secrets *)c->s, fp);
        if (first < 0) {
            return BW_ENOMEM;
        }
        if (first == 0) {
            return BW_OK;
        }
    }
    rc = register_rule(c, r);
    if (rc != BW_OK) {
        return rc;
    }
    f.rule_id = r->id;
    f.severity = (bw_severity)r->severity;
    f.loc.path = c->path;
    f.loc.member = c->member[0] ? c->member : NULL;
    f.loc.line = (uint32_t)BW_MIN(line, UINT32_MAX);
    f.loc.column = col;
    f.loc.end_line = (uint32_t)BW_MIN(end_line, UINT32_MAX);
    f.loc.end_column = end_col;
    f.loc.offset = off;
    f.loc.cell = c->cell;
    f.message = msg;
    f.evidence = evidence;
    f.fingerprint = fp;
    return bw_report_add(c->rep, &f);
}

static void message_of(struct sctx *c, const bw_srule *r, const char *validated, const char *colname, char *out,
                       size_t cap)
{
    int k = snprintf(out, cap, "%s", r->description);

    if (k < 0 || (size_t)k >= cap) {
        return;
    }
    if (validated != NULL && r->validator == BW_SV_CARD) {
        k += snprintf(out + k, cap - (size_t)k, " (%s)", validated);
    }
    if (colname != NULL && (size_t)k < cap) {
        k += snprintf(out + k, cap - (size_t)k, " in column '%s'", colname);
    }
    if (c->part != NULL && (size_t)k < cap) {
        k += snprintf(out + k, cap - (size_t)k, " (%s)", c->part);
    }
    if (c->decoded != NULL && (size_t)k < cap) {
        k += snprintf(out + k, cap - (size_t)k, " (%s)", c->decoded);
    }
    if (c->in != NULL && c->in->note != NULL && (size_t)k < cap) {
        (void)snprintf(out + k, cap - (size_t)k, ", %s", c->in->note);
    }
}

/* One hit in block b[0..n), whose byte 0 is on line line0 (1-based) at file offset base. */
static bw_status emit(struct sctx *c, const char *b, size_t n, const bw_shit *h, uint64_t line, size_t ls,
                      uint64_t end_line, size_t els, uint64_t base)
{
    const bw_srule *r = &c->s->rules[h->rule];
    size_t le = ls;
    char msg[640], ev[160], fp[65], seed[96];
    const char *colname = NULL;
    uint32_t col = UINT32_MAX;

    /* the inline markers of a line are looked up once for all its hits */
    if (c->mk_buf != b || c->mk_ls != ls) {
        c->mk_buf = b;
        c->mk_ls = ls;
        c->mk_ignored = false;
        /* markers are looked for only when the engine saw a marker literal somewhere in the block */
        if (bw_sscratch_flags(c->scr) & BW_SFLAG_MARKER) {
            const char *nl = memchr(b + ls, '\n', n - ls);
            le = nl != NULL ? (size_t)(nl - b) : n;
            c->mk_ignored = line_has_marker(b + ls, le - ls, false);
            if (!c->mk_ignored && ls > 0) {
                const char *pn = ls > 1 ? memrchr(b, '\n', ls - 1) : NULL;
                size_t ps = pn != NULL ? (size_t)(pn - b) + 1 : 0;
                c->mk_ignored = line_has_marker(b + ps, ls - 1 - ps, true);
            }
        }
        c->cc_pos = ls;
        c->cc_col = 0;
        c->cc_q = false;
        c->jc_pos = ls;
        c->jc_have = false;
    }
    if (c->mk_ignored) {
        return BW_OK;
    }
    if (c->fixed_line > 0) {
        line = end_line = c->fixed_line;
    }
    if (!in_ranges(c->in, line)) {
        return BW_OK;
    }
    if (c->ds == 3 && line > 1) {
        col = 0;
        while (col < c->ncols && ls + c->colend[col] < h->sstart) {
            col++;
        }
    }
    if (c->ds == 2 || (c->ds == 1 && line > 1)) {
        col = c->ds == 1 ? csv_col_at(c, b, ls, h->sstart) : jsonl_col_at(c, b, ls, h->sstart);
        if (col < c->ncols) {
            colname = c->cols[col];
        }
    }
    if ((c->ds == 1 || c->ds == 2) && r->kind == BW_SK_PII && !c->s->o.per_row) {
        return agg_add(c, h->rule, col, line, (uint32_t)(h->sstart - ls + 1), base + h->sstart, b + h->sstart,
                       h->send - h->sstart);
    }
    if (r->kind == BW_SK_PII && !c->s->o.per_row) {
        /* logs and text: the first PII_ONE_BY_ONE of a rule one by one, the rest summarised */
        if (c->per_rule == NULL && (c->per_rule = bw_calloc(c->s->n_rules, sizeof(uint32_t))) == NULL) {
            return BW_ENOMEM;
        }
        if (c->per_rule[h->rule] >= PII_ONE_BY_ONE) {
            return agg_add(c, h->rule, UINT32_MAX, line, (uint32_t)(h->sstart - ls + 1), base + h->sstart,
                           b + h->sstart, h->send - h->sstart);
        }
        c->per_rule[h->rule]++;
    }
    evidence_of(c->s, r, b + h->sstart, h->send - h->sstart, ev, sizeof(ev));
    message_of(c, r, h->validated, colname, msg, sizeof(msg));
    if (uses_location_fingerprint(r)) {
        snprintf(seed, sizeof(seed), "line %llu col %zu cell %d %s", (unsigned long long)line, h->sstart - ls + 1,
                 (int)c->cell, c->part ? c->part : "");
        bw_fingerprint(r->id, c->path, c->member, seed, strlen(seed), fp);
    } else {
        bw_fingerprint(r->id, c->path, c->member, b + h->sstart, h->send - h->sstart, fp);
    }
    if (c->binary) {
        return add_finding(c, r, 0, 0, 0, 0, base + h->sstart, msg, ev, fp);
    }
    return add_finding(c, r, line, (uint32_t)BW_MIN(h->sstart - ls + 1, UINT32_MAX), end_line,
                       (uint32_t)BW_MIN(h->send - els + 1, UINT32_MAX), base + h->sstart, msg, ev, fp);
}

static bw_status flush_aggs(struct sctx *c)
{
    bw_status rc = BW_OK;

    for (size_t i = 0; i < c->naggs && rc == BW_OK; i++) {
        const struct agg *a = &c->aggs[i];
        const bw_srule *r = &c->s->rules[a->rule];
        const char *colname = a->col < c->ncols ? c->cols[a->col] : NULL;
        char msg[640], fp[65], seed[96];
        int k;

        if (colname != NULL) {
            k = snprintf(msg, sizeof(msg), "%s: %llu in column '%s'", r->description, (unsigned long long)a->count,
                         colname);
        } else if (a->col == UINT32_MAX && c->ds == 0) {
            k = snprintf(msg, sizeof(msg), "%s: %llu more in this file", r->description, (unsigned long long)a->count);
        } else {
            k = snprintf(msg, sizeof(msg), "%s: %llu", r->description, (unsigned long long)a->count);
        }
        if (k > 0 && (size_t)k < sizeof(msg)) {
            int k2 = snprintf(msg + k, sizeof(msg) - (size_t)k, " (lines %llu-%llu)", (unsigned long long)a->first_line,
                              (unsigned long long)a->last_line);
            if (c->smp.on && k2 > 0 && (size_t)(k + k2) < sizeof(msg)) {
                (void)snprintf(msg + k + k2, sizeof(msg) - (size_t)(k + k2), " in a sample of %llu of about %llu rows",
                               (unsigned long long)c->smp.rows, (unsigned long long)c->smp.est);
            }
        }
        snprintf(seed, sizeof(seed), "column %s", colname ? colname : a->col == UINT32_MAX ? "(more)" : "?");
        bw_fingerprint(r->id, c->path, c->member, seed, strlen(seed), fp);
        rc = add_finding(c, r, a->first_line, a->first_col, a->first_line, a->first_col, a->first_off, msg, a->evidence,
                         fp);
    }
    c->naggs = 0;
    if (c->per_rule != NULL) {
        memset(c->per_rule, 0, c->s->n_rules * sizeof(uint32_t));
    }
    return rc;
}

/* ---- the column pass of datasets ---------------------------------------------------------------- */

static bool mrn_ok(const char *s, size_t n)
{
    size_t digits = 0;

    if (n < 5 || n > 16) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (isdigit((unsigned char)s[i])) {
            digits++;
        } else if (!isalpha((unsigned char)s[i]) && s[i] != '-') {
            return false;
        }
    }
    return digits >= 5;
}

static bool name_ok(const char *s, size_t n)
{
    size_t letters = 0;

    if (n < 2 || n > 80) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalpha(ch) || ch >= 0x80) {
            letters++;
        } else if (ch != ' ' && ch != '-' && ch != '\'' && ch != '.' && ch != ',') {
            return false;
        }
    }
    return letters >= 2 && !(n == 4 && strncasecmp(s, "null", 4) == 0) && !(n == 2 && strncasecmp(s, "na", 2) == 0);
}

static bool postcode_ok(const char *s, size_t n)
{
    size_t digits = 0;

    if (n < 3 || n > 10) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (isdigit((unsigned char)s[i])) {
            digits++;
        } else if (!isalpha((unsigned char)s[i]) && s[i] != ' ' && s[i] != '-') {
            return false;
        }
    }
    return digits >= 1;
}

static bool context_value_ok(enum ctxkind k, const char *p, size_t n, size_t s, size_t e)
{
    const char *what;

    if (dataset_rules[k - 1].validator != BW_SV_NONE) {
        return bw_sval_check(dataset_rules[k - 1].validator, p, n, s, e, s, e, &what);
    }
    switch (k) {
    case CK_MRN: return mrn_ok(p + s, e - s);
    case CK_NAME: return name_ok(p + s, e - s);
    case CK_POSTCODE: return postcode_ok(p + s, e - s);
    default: return false;
    }
}

struct rowpass {
    const char *b;
    size_t n;
    bw_shits *extra;
    const bw_shit *hits; /* the engine's hits of the block, sorted by start */
    size_t nhits, hi_from;
    bw_status rc;
};

static bool cell_has_hit(const struct rowpass *rp, size_t s, size_t e)
{
    for (size_t i = rp->hi_from; i < rp->nhits && rp->hits[i].start < e; i++) {
        if (rp->hits[i].end > s && rp->hits[i].start < e) {
            return true;
        }
    }
    return false;
}

static void push_context_hit(struct sctx *c, struct rowpass *rp, size_t col, size_t s, size_t e)
{
    enum ctxkind k;
    bw_shit h;

    if (col >= c->ncols || (k = (enum ctxkind)c->colctx[col]) == CK_NONE || e <= s) {
        return;
    }
    if (!(c->s->o.kinds & BW_SECRETS_PII) || !context_value_ok(k, rp->b, rp->n, s, e) || cell_has_hit(rp, s, e)) {
        return;
    }
    h.rule = (uint32_t)(c->s->n_engine + (size_t)k - 1);
    h.start = h.sstart = s;
    h.end = h.send = e;
    h.validated = NULL;
    if (bw_shits_push(rp->extra, &h) != BW_OK) {
        rp->rc = BW_ENOMEM;
    }
}

static void row_cell(struct sctx *c, size_t idx, const char *b, size_t s, size_t e, void *arg)
{
    (void)b;
    push_context_hit(c, arg, idx, s, e);
}

/*
 * A table printed by pandas (a notebook's text/plain output of a DataFrame):
 * right-aligned columns under a header of names, an index first on each row.
 * Parse the header: each name's end is its column's right edge. Returns
 * false when the first line does not look like such a header.
 */
static bool table_header(struct sctx *c, const char *b, size_t n)
{
    const char *nl = memchr(b, '\n', n);
    size_t le = nl != NULL ? (size_t)(nl - b) : n, i = 0;

    if (nl == NULL || le < 4 || b[0] != ' ') {
        return false; /* the index column leaves the header's start blank */
    }
    while (i < le && c->ncols < BW_ARRAY_LEN(c->colend)) {
        size_t s;
        while (i < le && b[i] == ' ') {
            i++;
        }
        s = i;
        while (i < le && b[i] != ' ') {
            i++;
        }
        if (i > s) {
            size_t k = c->ncols;
            if (col_of_name(c, b + s, i - s) != k) {
                return false; /* a repeated name: not a table header */
            }
            c->colend[k] = i;
        }
    }
    return c->ncols >= 1;
}

/* A row of a printed table: the cell of column k lies between the previous right edge and its own. */
static void table_cells(struct sctx *c, struct rowpass *rp, size_t ls, size_t le)
{
    const char *b = rp->b;
    size_t prev = 0;

    /* the index: digits (or a label) then at least one space, left of the first column */
    for (size_t k = 0; k < c->ncols; k++) {
        size_t s = ls + prev, e = ls + c->colend[k];
        if (e > le) {
            e = le;
        }
        if (k == 0) {
            /* skip the index token */
            while (s < e && b[s] == ' ') {
                s++;
            }
            while (s < e && b[s] != ' ') {
                s++;
            }
        }
        while (s < e && b[s] == ' ') {
            s++;
        }
        if (s < e) {
            push_context_hit(c, rp, k, s, e);
        }
        prev = c->colend[k];
    }
}

/* JSONL: visit top-level "key": value pairs of the line [ls, le). */
static void jsonl_pairs(struct sctx *c, struct rowpass *rp, size_t ls, size_t le)
{
    const char *b = rp->b;
    size_t i = ls;
    int depth = 0;

    while (i < le) {
        if (b[i] == '{' || b[i] == '[') {
            depth++;
            i++;
        } else if (b[i] == '}' || b[i] == ']') {
            depth--;
            i++;
        } else if (b[i] == '"') {
            size_t ks = ++i, ke;
            while (i < le && b[i] != '"') {
                i += b[i] == '\\' ? 2 : 1;
            }
            ke = BW_MIN(i, le);
            i++;
            while (i < le && (b[i] == ' ' || b[i] == '\t')) {
                i++;
            }
            if (i < le && b[i] == ':' && depth == 1) {
                uint32_t col = col_of_name(c, b + ks, ke - ks);
                size_t vs, ve;
                i++;
                while (i < le && (b[i] == ' ' || b[i] == '\t')) {
                    i++;
                }
                if (i < le && b[i] == '"') {
                    vs = ++i;
                    while (i < le && b[i] != '"') {
                        i += b[i] == '\\' ? 2 : 1;
                    }
                    ve = BW_MIN(i, le);
                    i++;
                } else {
                    vs = i;
                    while (i < le && b[i] != ',' && b[i] != '}' && b[i] != ']') {
                        i++;
                    }
                    ve = i;
                    while (ve > vs && b[ve - 1] == ' ') {
                        ve--;
                    }
                }
                push_context_hit(c, rp, col, vs, ve);
            }
        } else {
            i++;
        }
    }
}

/*
 * The column pass over the rows of block b whose line ends in (lo, hi]:
 * context hits for columns named for personal data, merged into `hits`.
 */
static bw_status dataset_rows(struct sctx *c, const char *b, size_t n, size_t lo, size_t hi, bw_shits *hits)
{
    bw_shits *extra = &c->extra;
    struct rowpass rp = {b, n, extra, hits->v, hits->n, 0, BW_OK};
    size_t ls = 0;
    bool any = false;

    if (!c->header_seen && c->ds == 1) {
        const char *nl = memchr(b, '\n', n);
        c->header_seen = true;
        csv_cells(c, b, 0, nl != NULL ? (size_t)(nl - b) : n, header_cell, NULL);
    }
    if (!(c->s->o.kinds & BW_SECRETS_PII)) {
        return BW_OK; /* past the header (it names the columns of findings), the pass only finds personal data */
    }
    for (size_t i = 0; i < c->ncols; i++) {
        any = any || c->colctx[i] != CK_NONE;
    }
    if (!any && (c->ds == 1 || c->ds == 3)) {
        return BW_OK;
    }
    /* the first row to visit: the line after byte lo (lo is 0 or inside the overlap) */
    if (lo > 0) {
        const char *nl = memchr(b + lo - 1, '\n', n - (lo - 1));
        ls = nl != NULL ? (size_t)(nl - b) + 1 : n;
        if (lo > 0 && b[lo - 1] == '\n') {
            ls = lo;
        }
    }
    while (ls < n && ls < hi && rp.rc == BW_OK) {
        const char *nl = memchr(b + ls, '\n', n - ls);
        size_t le = nl != NULL ? (size_t)(nl - b) : n;
        if (le > hi && nl != NULL) {
            break; /* the next block has this row */
        }
        while (rp.hi_from < rp.nhits && rp.hits[rp.hi_from].end <= ls) {
            rp.hi_from++;
        }
        if ((c->ds == 1 || c->ds == 3) && ls == 0 && lo == 0) {
            /* the header row */
        } else if (c->ds == 1) {
            csv_cells(c, b, ls, le, row_cell, &rp);
        } else if (c->ds == 3) {
            table_cells(c, &rp, ls, le);
        } else {
            jsonl_pairs(c, &rp, ls, le);
        }
        ls = le + 1;
    }
    if (rp.rc == BW_OK) {
        rp.rc = bw_shits_append(hits, extra->v, extra->n);
    }
    extra->n = 0;
    return rp.rc;
}

/* ---- blocks ------------------------------------------------------------------------------------ */

static size_t count_nl(const char *p, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        k += p[i] == '\n';
    }
    return k;
}

static bw_status scan_kube(struct sctx *c, const char *b, size_t n, size_t lo, size_t hi, uint64_t line0);

/*
 * Scan block b[0..n): matches ending in (lo, hi]; byte 0 is on line line0
 * at offset base of the input.
 */
static bw_status scan_block(struct sctx *c, const char *b, size_t n, size_t lo, size_t hi, uint64_t line0,
                            uint64_t base)
{
    bw_status rc;
    uint64_t line = line0;
    size_t pos = 0, ls = 0;

    c->hits.n = 0;
    c->mk_buf = NULL; /* a new block may reuse the buffer of the last one */
    rc = bw_sengine_scan(c->s->eng, c->scr, b, n, lo, hi, &c->hits, c->err);
    if (rc == BW_OK && c->ds != 0) {
        rc = dataset_rows(c, b, n, lo, hi, &c->hits);
    }
    /* a finding is located at its secret (a password on the third line of a .netrc entry) */
    if (rc == BW_OK && bw_shits_sort_sstart(c->scr, &c->hits) != BW_OK) {
        rc = bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->hits.n && rc == BW_OK; i++) {
        const bw_shit *h = &c->hits.v[i];
        uint64_t eline;
        size_t els, q;

        /* advance to the secret's line */
        while (pos < h->sstart) {
            const char *nl = memchr(b + pos, '\n', h->sstart - pos);
            if (nl == NULL) {
                pos = h->sstart;
                break;
            }
            line++;
            pos = (size_t)(nl - b) + 1;
            ls = pos;
        }
        eline = line;
        els = ls;
        for (q = h->sstart; q < h->send; q++) {
            if (b[q] == '\n' && q + 1 < h->send) {
                eline++;
                els = q + 1;
            }
        }
        rc = emit(c, b, n, h, line, ls, eline, els, base);
    }
    if (rc == BW_OK && !c->binary && c->decoded == NULL && c->depth < 16 &&
        (bw_sscratch_flags(c->scr) & BW_SFLAG_KUBE) && memmem(b, n, BW_SENGINE_KUBE, strlen(BW_SENGINE_KUBE)) != NULL) {
        rc = scan_kube(c, b, n, lo, hi, line0);
    }
    return rc;
}

/*
 * A Kubernetes Secret's `data:` values are base64: decode each and scan
 * "key: value" so the generic rules see the key, located at the value's line.
 */
static bw_status scan_kube(struct sctx *c, const char *b, size_t n, size_t lo, size_t hi, uint64_t line0)
{
    size_t ls = 0, data_indent = SIZE_MAX;
    uint64_t line = line0;
    bw_buf dec = BW_BUF_INIT(1u << 20), text = BW_BUF_INIT(1u << 20);
    bw_status rc = BW_OK;

    while (ls < n && rc == BW_OK) {
        const char *nl = memchr(b + ls, '\n', n - ls);
        size_t le = nl != NULL ? (size_t)(nl - b) : n, ind = ls, ks, ke, vs, ve;

        while (ind < le && b[ind] == ' ') {
            ind++;
        }
        if (le - ind >= 5 && memcmp(b + ind, "data:", 5) == 0 &&
            (le - ind == 5 || b[ind + 5] == ' ' || b[ind + 5] == '\r')) {
            data_indent = ind - ls;
        } else if (data_indent != SIZE_MAX && ind < le && b[ind] != '#') {
            if (ind - ls <= data_indent) {
                data_indent = SIZE_MAX; /* the data: mapping ended */
            } else if (le > lo && le <= hi) {
                ks = ind;
                ke = ks;
                while (ke < le && b[ke] != ':') {
                    ke++;
                }
                vs = ke + 1;
                while (vs < le && (b[vs] == ' ' || b[vs] == '"' || b[vs] == '\'')) {
                    vs++;
                }
                ve = le;
                while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\r' || b[ve - 1] == '"' || b[ve - 1] == '\'')) {
                    ve--;
                }
                dec.len = 0;
                text.len = 0;
                if (ke < le && ve - vs >= 4 && bw_base64_decode(b + vs, ve - vs, &dec, &(size_t){0}) == BW_OK &&
                    bw_buf_add(&text, b + ks, ke - ks) == BW_OK && bw_buf_add(&text, ": ", 2) == BW_OK &&
                    bw_buf_add(&text, dec.ptr, dec.len) == BW_OK && bw_buf_add(&text, "\n", 1) == BW_OK) {
                    struct sctx sub = *c;
                    sub.hits.v = NULL;
                    sub.hits.n = sub.hits.cap = 0;
                    sub.extra.v = NULL;
                    sub.extra.n = sub.extra.cap = 0;
                    sub.fixed_line = line;
                    sub.decoded = "base64-decoded Kubernetes Secret value";
                    sub.ds = 0;
                    sub.depth = c->depth + 1;
                    sub.aggs = NULL;
                    sub.naggs = sub.capaggs = 0;
                    sub.per_rule = NULL;
                    sub.cols = NULL;
                    sub.collen = NULL;
                    sub.colctx = NULL;
                    sub.ncols = 0;
                    rc = scan_block(&sub, (const char *)text.ptr, text.len, 0, text.len, 1, 0);
                    if (rc == BW_OK) {
                        rc = flush_aggs(&sub);
                    }
                    bw_free(sub.aggs);
                    bw_free(sub.per_rule);
                    bw_shits_release(&sub.hits);
                    bw_shits_release(&sub.extra);
                    bw_wipe(dec.ptr, dec.cap);
                    bw_wipe(text.ptr, text.cap);
                }
            }
        }
        ls = le + 1;
        line++;
    }
    bw_buf_release(&dec);
    bw_buf_release(&text);
    return rc;
}

/* ---- streams ----------------------------------------------------------------------------------- */

typedef bw_status (*read_fn)(void *src, char *buf, size_t cap, size_t *got, bw_error *err);

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static void dataset_kind(struct sctx *c, const char *name, const char *first, size_t n)
{
    c->ds = 0;
    if (name == NULL) {
        return;
    }
    if (ends_with(name, ".csv") || ends_with(name, ".tsv") || ends_with(name, ".psv") || ends_with(name, ".tab")) {
        size_t counts[4] = {0, 0, 0, 0};
        const char cand[4] = {',', '\t', ';', '|'};
        const char *nl = memchr(first, '\n', n);
        size_t hl = nl != NULL ? (size_t)(nl - first) : n, best = 0;
        for (size_t i = 0; i < hl; i++) {
            for (size_t k = 0; k < 4; k++) {
                counts[k] += first[i] == cand[k];
            }
        }
        for (size_t k = 1; k < 4; k++) {
            if (counts[k] > counts[best]) {
                best = k;
            }
        }
        c->ds = 1;
        c->delim = ends_with(name, ".tsv") || ends_with(name, ".tab") ? '\t' : cand[best];
    } else if (ends_with(name, ".jsonl") || ends_with(name, ".ndjson")) {
        c->ds = 2;
        c->header_seen = true; /* keys name the columns */
    }
}

static bool looks_binary(const char *p, size_t n)
{
    return memchr(p, '\0', BW_MIN(n, (size_t)8192)) != NULL;
}

static bw_status dispatch_whole(struct sctx *c, const char *name, const char *p, size_t n);
static bw_status path_findings(struct sctx *c, const char *name);

/*
 * --sample ROWS: a dataset of `total` bytes whose first n bytes are p is
 * scanned in windows of about 256 consecutive rows (4-32 KiB) spread evenly
 * through it, the first holding the header, to about ROWS rows in all. The
 * row length comes from the first bytes; a dataset of not many more rows
 * than asked for is scanned whole.
 */
static void plan_sample(struct sctx *c, const char *p, size_t n, uint64_t total)
{
    uint64_t want = c->s->o.sample_rows, rows, avg, per, m;
    size_t nl;

    memset(&c->smp, 0, sizeof(c->smp));
    if (want == 0 || (c->ds != 1 && c->ds != 2) || total == 0 || n == 0) {
        return;
    }
    nl = count_nl(p, n);
    if (nl == 0) {
        return;
    }
    avg = BW_MAX((uint64_t)n / nl, 1u);
    rows = total / avg;
    if (rows <= want + want / 4) {
        return;
    }
    c->smp.win = (size_t)BW_MIN(BW_MAX(avg * 256, (uint64_t)4096), (uint64_t)32768);
    per = BW_MAX(c->smp.win / avg, 1u);
    m = (want + per - 1) / per;
    c->smp.on = true;
    c->smp.stride = BW_MAX(total / m, (uint64_t)c->smp.win);
    c->smp.left = m;
    c->smp.est = rows;
}

/*
 * Scan block b[0..n) (matches ending in (lo, hi], byte 0 on line line0 at
 * offset base): the whole of it, or under --sample the windows that start
 * in it, each from a row's start to a row's end. `last`: no block follows.
 */
static bw_status scan_part(struct sctx *c, const char *b, size_t n, size_t lo, size_t hi, uint64_t line0, uint64_t base,
                           bool last)
{
    bw_status rc = BW_OK;
    size_t at = 0; /* windows come in order: lines are counted from the last one, not from b */
    uint64_t line_at = line0;

    if (!c->smp.on) {
        return scan_block(c, b, n, lo, hi, line0, base);
    }
    while (c->smp.left > 0 && rc == BW_OK) {
        uint64_t s = c->smp.next;
        size_t ws, we, rows;
        const char *nl;

        if (s >= base + n || (s >= base + hi && !last)) {
            break; /* a later block's */
        }
        c->smp.next += c->smp.stride;
        c->smp.left--;
        if (s < base + lo) {
            continue; /* cannot happen: each block starts where the last one's windows stopped */
        }
        ws = (size_t)(s - base);
        if (s > 0 && b[ws - 1] != '\n') {
            nl = memchr(b + ws, '\n', n - ws);
            if (nl == NULL) {
                continue;
            }
            ws = (size_t)(nl - b) + 1; /* the next row's start */
        }
        if (ws >= n) {
            continue;
        }
        we = BW_MIN(ws + c->smp.win, n);
        nl = we < n ? memchr(b + we, '\n', n - we) : NULL;
        we = nl != NULL ? (size_t)(nl - b) + 1 : n;
        rows = count_nl(b + ws, we - ws);
        c->smp.rows += s == 0 && c->ds == 1 && rows > 0 ? rows - 1 : rows; /* the header is no row */
        if (s == 0) {
            rc = scan_block(c, b, we, 0, we, line0, base); /* with the header */
        } else {
            /* from the newline before the row: lo = 1 tells the column pass it is no header */
            line_at += count_nl(b + at, ws - at);
            at = ws;
            rc = scan_block(c, b + ws - 1, we - ws + 1, 1, we - ws + 1, line_at - 1, base + ws - 1);
        }
    }
    return rc;
}

/*
 * Scan what `rd` yields as one text or binary stream: chunks of CHUNK,
 * overlapping so that every match is taken once. `first` holds the first
 * `have` bytes already read (into buf, of capacity cap >= CHUNK + 2*OVL).
 */
static bw_status scan_stream(struct sctx *c, const char *name, char *buf, size_t cap, size_t have, read_fn rd,
                             void *src)
{
    size_t len = have, lo = 0;
    uint64_t line0 = 1, base = 0;
    bool eof = false;
    bw_status rc = BW_OK;

    c->binary = looks_binary(buf, len);
    if (!c->binary) {
        dataset_kind(c, name, buf, len);
        plan_sample(c, buf, len, c->size_hint);
    }
    c->size_hint = 0; /* the input's own: not an archive member's */
    for (;;) {
        size_t hi, keep, drop;
        while (!eof && len < cap) {
            size_t got = 0;
            rc = rd(src, buf + len, cap - len, &got, c->err);
            if (rc != BW_OK) {
                return rc;
            }
            if (got == 0) {
                eof = true;
            }
            len += got;
        }
        hi = eof ? len : len - OVL;
        rc = scan_part(c, buf, len, lo, hi, line0, base, eof);
        if (rc != BW_OK || eof) {
            break;
        }
        keep = 2 * OVL;
        drop = len - keep;
        line0 += count_nl(buf, drop);
        base += drop;
        memmove(buf, buf + drop, keep);
        len = keep;
        lo = OVL;
    }
    if (rc == BW_OK) {
        rc = flush_aggs(c);
    }
    free_cols(c);
    c->header_seen = false;
    c->ds = 0;
    c->smp.on = false;
    return rc;
}

struct memsrc {
    const char *p;
    size_t n, off;
};

static bw_status mem_read(void *src, char *buf, size_t cap, size_t *got, bw_error *err)
{
    struct memsrc *m = src;
    size_t k = BW_MIN(cap, m->n - m->off);

    (void)err;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    *got = k;
    return BW_OK;
}

/* A whole buffer as text: one block when it fits, else through the stream machinery. */
static bw_status scan_text(struct sctx *c, const char *name, const char *p, size_t n)
{
    bw_status rc;

    if (n <= CHUNK) {
        c->binary = looks_binary(p, n);
        if (!c->binary) {
            dataset_kind(c, name, p, n);
            plan_sample(c, p, n, n);
        }
        c->size_hint = 0;
        rc = scan_part(c, p, n, 0, n, 1, 0, true);
        if (rc == BW_OK) {
            rc = flush_aggs(c);
        }
        free_cols(c);
        c->header_seen = false;
        c->ds = 0;
        c->smp.on = false;
        return rc;
    } else {
        struct memsrc m = {p, n, 0};
        size_t cap = CHUNK + 2 * OVL;
        char *buf = bw_malloc(cap);
        if (buf == NULL) {
            return bw_fail(c->err, BW_ENOMEM, "out of memory");
        }
        (void)mem_read(&m, buf, cap, &(size_t){0}, NULL);
        rc = scan_stream(c, name, buf, cap, BW_MIN(cap, n), mem_read, &m);
        bw_free(buf);
        return rc;
    }
}

/* ---- notebooks --------------------------------------------------------------------------------- */

static bw_status nb_visit(void *ctx, const bw_nb_segment *seg)
{
    struct sctx *c = ctx;
    char part[96];
    bw_status rc;
    int32_t cell = c->cell;
    const char *old = c->part;

    c->cell = seg->cell;
    if (seg->part == BW_NB_SOURCE) {
        c->part = NULL;
    } else if (seg->output != BW_NB_NO_OUTPUT) {
        snprintf(part, sizeof(part), "output %u%s%s", seg->output, seg->mime ? " " : "", seg->mime ? seg->mime : "");
        c->part = part;
    } else {
        snprintf(part, sizeof(part), "%s", seg->field ? seg->field : "metadata");
        c->part = part;
    }
    if (seg->part == BW_NB_TEXT && seg->mime != NULL && strcmp(seg->mime, "text/plain") == 0 &&
        table_header(c, seg->text, seg->len)) {
        c->ds = 3; /* a printed DataFrame: columns named for personal data give context */
        c->header_seen = true;
    }
    rc = scan_block(c, seg->text, seg->len, 0, seg->len, 1, 0);
    if (c->ds == 3) {
        c->ds = 0;
        c->header_seen = false;
        free_cols(c);
    }
    c->cell = cell;
    c->part = old;
    return rc;
}

/* ---- archives ---------------------------------------------------------------------------------- */

/* The libarchive reading an archive needs, or -1: the model scanner's sniffers decide. */
static int sniff_archive(const unsigned char *p, size_t n)
{
    if (bw_sniff_zip(p, n) || bw_sniff_compressed(p, n)) {
        return BW_LA_ANY; /* a compressed stream may hold a tar, or be a single file */
    }
    return bw_sniff_tar(p, n) ? BW_LA_TAR : -1;
}

struct arcsrc {
    struct archive *a;
    uint64_t total, limit;
    const char *name;
};

static bw_status arc_read(void *src, char *buf, size_t cap, size_t *got, bw_error *err)
{
    struct arcsrc *s = src;
    la_ssize_t k = p_archive_read_data(s->a, buf, cap);

    if (k < 0) {
        const char *m = p_archive_error_string(s->a);
        return bw_fail(err, BW_EFORMAT, "member '%s': %s", s->name, m != NULL ? m : "unreadable");
    }
    s->total += (uint64_t)k;
    if (s->total > s->limit) {
        return bw_fail(err, BW_ELIMIT, "member '%s': decompressed size over the limit of %llu bytes", s->name,
                       (unsigned long long)s->limit);
    }
    *got = (size_t)k;
    return BW_OK;
}

static bw_status push_member(struct sctx *c, const char *name, size_t *saved)
{
    size_t len = strlen(c->member);

    *saved = len;
    if (len + strlen(name) + 2 >= sizeof(c->member)) {
        return bw_fail(c->err, BW_ELIMIT, "member path too long");
    }
    snprintf(c->member + len, sizeof(c->member) - len, "%s%s", len ? "!" : "", name);
    return BW_OK;
}

static bw_status scan_archive(struct sctx *c, const char *p, size_t n, int kind)
{
    struct archive *a;
    struct archive_entry *ent;
    uint64_t limit = c->s->o.max_member_size ? c->s->o.max_member_size : DEFAULT_MEMBER_MAX;
    size_t cap = CHUNK + 2 * OVL;
    char *buf = NULL;
    bw_status rc = BW_OK;
    bool raw = false;

    if (!bw_la_load()) {
        return bw_fail(c->err, BW_EUNSUPPORTED,
                       "archive cannot be read: libarchive (libarchive.so.13) is not installed");
    }
    if (c->depth >= (c->s->o.max_depth ? c->s->o.max_depth : DEFAULT_DEPTH)) {
        return bw_fail(c->err, BW_ELIMIT, "archives nested deeper than %u",
                       c->s->o.max_depth ? c->s->o.max_depth : DEFAULT_DEPTH);
    }
    a = bw_la_open(p, n, (enum bw_la_kind)kind);
    if (a == NULL) {
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    if (p_archive_read_next_header(a, &ent) < ARCHIVE_WARN && bw_sniff_compressed((const unsigned char *)p, n)) {
        /* a compressed stream that is not a tar: one member */
        p_archive_read_free(a);
        a = bw_la_open(p, n, BW_LA_RAW);
        if (a == NULL) {
            return bw_fail(c->err, BW_ENOMEM, "out of memory");
        }
        raw = true;
        if (p_archive_read_next_header(a, &ent) < ARCHIVE_WARN) {
            const char *m = p_archive_error_string(a);
            rc = bw_fail(c->err, BW_EFORMAT, "compressed stream: %s", m ? m : "unreadable");
            p_archive_read_free(a);
            return rc;
        }
    } else {
        p_archive_read_free(a);
        a = bw_la_open(p, n, (enum bw_la_kind)kind);
        if (a == NULL) {
            return bw_fail(c->err, BW_ENOMEM, "out of memory");
        }
        if (p_archive_read_next_header(a, &ent) < ARCHIVE_WARN) {
            const char *m = p_archive_error_string(a);
            rc = bw_fail(c->err, BW_EFORMAT, "archive: %s", m ? m : "unreadable");
            p_archive_read_free(a);
            return rc;
        }
    }
    buf = bw_malloc(cap);
    if (buf == NULL) {
        p_archive_read_free(a);
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    for (;;) {
        const char *nm = p_archive_entry_pathname(ent);
        char name[512];
        size_t saved, have = 0;
        struct arcsrc src;
        int r;

        if (nm == NULL || raw) {
            /* a single compressed stream: the member is the file without its suffix */
            const char *base = strrchr(c->path, '/');
            base = base ? base + 1 : c->path;
            snprintf(name, sizeof(name), "%s", base);
            char *dot = strrchr(name, '.');
            if (dot != NULL && dot != name) {
                *dot = '\0';
            }
        } else {
            bw_escape_for_log(nm, strlen(nm), name, sizeof(name));
        }
        if (p_archive_entry_filetype(ent) == AE_IFREG || raw) {
            src.a = a;
            src.total = 0;
            src.limit = limit;
            src.name = name;
            rc = push_member(c, name, &saved);
            if (rc != BW_OK) {
                break;
            }
            c->depth++;
            /* the first chunk decides: a nested container or notebook is read whole */
            while (rc == BW_OK && have < cap) {
                size_t got = 0;
                rc = arc_read(&src, buf + have, cap - have, &got, c->err);
                if (got == 0) {
                    break;
                }
                have += got;
            }
            if (rc == BW_OK) {
                if (have < cap) {
                    rc = dispatch_whole(c, name, buf, have);
                } else {
                    rc = path_findings(c, name);
                    if (rc == BW_OK) {
                        rc = scan_stream(c, name, buf, cap, have, arc_read, &src);
                    }
                }
            }
            c->depth--;
            c->member[saved] = '\0';
            if (rc == BW_ELIMIT || rc == BW_EFORMAT) {
                /* report the member as unreadable and go on with the others */
                if (bw_report_add_error(c->rep, c->path, c->err) != BW_OK) {
                    rc = BW_ENOMEM;
                    break;
                }
                bw_error_clear(c->err);
                rc = BW_OK;
                if (raw) {
                    break;
                }
            }
            if (rc != BW_OK) {
                break;
            }
        }
        r = p_archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF) {
            break;
        }
        if (r < ARCHIVE_WARN) {
            const char *m = p_archive_error_string(a);
            rc = bw_fail(c->err, BW_EFORMAT, "archive: %s", m ? m : "unreadable");
            break;
        }
    }
    bw_free(buf);
    p_archive_read_free(a);
    return rc;
}

/* Dispatch a whole input (a file that fits in a chunk, or an archive member) by content. */
static int on_path_rule(void *ctx, size_t ri)
{
    struct sctx *c = ctx;
    const bw_srule *r = &c->s->rules[ri];
    char fp[65], msg[640];

    if (c->in != NULL && c->in->n_line_ranges > 0) {
        return 0; /* only added lines count (--staged): a file is no line */
    }
    snprintf(msg, sizeof(msg), "%s%s%s", r->description, c->in != NULL && c->in->note != NULL ? ", " : "",
             c->in != NULL && c->in->note != NULL ? c->in->note : "");
    bw_fingerprint(r->id, c->path, c->member, "path", 4, fp);
    return add_finding(c, r, 0, 0, 0, 0, 0, msg, NULL, fp) != BW_OK;
}

/* The rules matched against the name of an input or member (a PKCS #12 key store by its extension). */
static bw_status path_findings(struct sctx *c, const char *name)
{
    int rc;

    if (name == NULL) {
        return BW_OK;
    }
    rc = bw_sengine_match_path(c->s->eng, name, strlen(name), on_path_rule, c);
    if (rc < 0) {
        return bw_fail(c->err, BW_ENOMEM, "a path rule could not run");
    }
    return rc != 0 ? bw_fail(c->err, BW_ENOMEM, "out of memory") : BW_OK;
}

static bw_status dispatch_whole(struct sctx *c, const char *name, const char *p, size_t n)
{
    int kind = sniff_archive((const unsigned char *)p, n);

    BW_TRY(path_findings(c, name));

    if (kind >= 0) {
        bw_error e2;
        bw_status rc;
        bw_error *outer = c->err;
        bw_error_clear(&e2);
        c->err = &e2;
        rc = scan_archive(c, p, n, kind);
        c->err = outer;
        if (rc == BW_EFORMAT && c->depth > 0) {
            /* a member that only looked like an archive: read it as bytes */
            return scan_text(c, name, p, n);
        }
        if (rc != BW_OK) {
            *outer = e2;
        }
        return rc;
    }
    if (bw_nb_sniff(p, n)) {
        bw_status rc = bw_nb_each(p, n, nb_visit, c, c->err);
        if (rc == BW_OK) {
            rc = flush_aggs(c);
        }
        if (rc == BW_EFORMAT) {
            bw_error_clear(c->err);
            return scan_text(c, name, p, n); /* not a notebook after all: still text */
        }
        return rc;
    }
    return scan_text(c, name, p, n);
}

/* ---- the scanner ------------------------------------------------------------------------------- */

static bw_status take_scratch(const bw_secrets *cs, bw_sscratch **out, bw_error *err)
{
    bw_secrets *s = (bw_secrets *)cs; /* the spare list is the only mutable part, under the lock */

    pthread_mutex_lock(&s->lock);
    if (s->n_spare > 0) {
        *out = s->spare[--s->n_spare];
        pthread_mutex_unlock(&s->lock);
        return BW_OK;
    }
    pthread_mutex_unlock(&s->lock);
    return bw_sscratch_new(s->eng, out, err);
}

static void give_scratch(const bw_secrets *cs, bw_sscratch *x)
{
    bw_secrets *s = (bw_secrets *)cs;

    pthread_mutex_lock(&s->lock);
    if (s->n_spare == s->cap_spare) {
        size_t cap = s->cap_spare ? s->cap_spare * 2 : 8;
        bw_sscratch **v = bw_reallocarray(s->spare, cap, sizeof(*v));
        if (v == NULL) {
            pthread_mutex_unlock(&s->lock);
            bw_sscratch_free(x);
            return;
        }
        s->spare = v;
        s->cap_spare = cap;
    }
    s->spare[s->n_spare++] = x;
    pthread_mutex_unlock(&s->lock);
}

static char *take_buf(const bw_secrets *cs)
{
    bw_secrets *s = (bw_secrets *)cs;
    char *b = NULL;

    pthread_mutex_lock(&s->lock);
    if (s->n_bufs > 0) {
        b = s->bufs[--s->n_bufs];
    }
    pthread_mutex_unlock(&s->lock);
    return b != NULL ? b : bw_malloc(CHUNK + 2 * OVL);
}

static void give_buf(const bw_secrets *cs, char *b)
{
    bw_secrets *s = (bw_secrets *)cs;

    if (b == NULL) {
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (s->n_bufs == s->cap_bufs) {
        size_t cap = s->cap_bufs ? s->cap_bufs * 2 : 8;
        char **v = bw_reallocarray(s->bufs, cap, sizeof(*v));
        if (v == NULL) {
            pthread_mutex_unlock(&s->lock);
            bw_free(b);
            return;
        }
        s->bufs = v;
        s->cap_bufs = cap;
    }
    s->bufs[s->n_bufs++] = b;
    pthread_mutex_unlock(&s->lock);
}

static bw_status ctx_init(const bw_secrets *s, bw_report *rep, const char *path, const bw_secrets_input *in,
                          struct sctx *c, bw_error *err)
{
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->rep = rep;
    c->err = err;
    c->path = path;
    c->cell = -1;
    c->in = in;
    BW_TRY(take_scratch(s, &c->scr, err));
    /* the hit arrays stay with the scratch from file to file */
    c->hits = *bw_sscratch_hits(c->scr, 0);
    c->hits.n = 0;
    c->extra = *bw_sscratch_hits(c->scr, 1);
    c->extra.n = 0;
    return BW_OK;
}

static void ctx_done(struct sctx *c)
{
    *bw_sscratch_hits(c->scr, 0) = c->hits;
    *bw_sscratch_hits(c->scr, 1) = c->extra;
    give_scratch(c->s, c->scr);
    free_cols(c);
    bw_free(c->aggs);
    bw_free(c->per_rule);
}

bw_status bw_secrets_scan_input(const bw_secrets *s, bw_report *report, const bw_secrets_input *in, bw_error *err)
{
    struct sctx c;
    bw_status rc;

    if (s == NULL || report == NULL || in == NULL || in->name == NULL || (in->data == NULL && in->len > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_secrets_scan_input: missing argument");
    }
    rc = ctx_init(s, report, in->name, in, &c, err);
    if (rc != BW_OK) {
        return rc;
    }
    rc = dispatch_whole(&c, in->name, in->len ? in->data : "", in->len);
    ctx_done(&c);
    return rc;
}

struct filesrc {
    bw_file *f;
};

static bw_status file_read(void *src, char *buf, size_t cap, size_t *got, bw_error *err)
{
    return bw_file_read(((struct filesrc *)src)->f, buf, cap, got, err);
}

bw_status bw_secrets_scan_file(const bw_secrets *s, bw_report *report, const char *path, bw_error *err)
{
    struct sctx c;
    struct filesrc src = {NULL};
    size_t cap = CHUNK + 2 * OVL, have = 0;
    char *buf = NULL;
    bw_status rc;

    if (s == NULL || report == NULL || path == NULL) {
        return bw_fail(err, BW_EINVAL, "bw_secrets_scan_file: missing argument");
    }
    rc = bw_file_open(&src.f, path, BW_FILE_STDIN | BW_FILE_FOLLOW, err);
    if (rc != BW_OK) {
        return rc;
    }
    rc = ctx_init(s, report, path, NULL, &c, err);
    if (rc != BW_OK) {
        bw_file_close(src.f);
        return rc;
    }
    buf = take_buf(s);
    if (buf == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    while (have < cap) {
        size_t got = 0;
        rc = bw_file_read(src.f, buf + have, cap - have, &got, err);
        if (rc != BW_OK) {
            goto out;
        }
        if (got == 0) {
            break;
        }
        have += got;
    }
    if (have < cap) {
        rc = dispatch_whole(&c, path, buf, have);
    } else {
        int kind = sniff_archive((const unsigned char *)buf, have);
        bw_bytes map;
        if ((kind >= 0 || bw_nb_sniff(buf, have)) && bw_file_map(src.f, &map, NULL) == BW_OK) {
            /* a large archive or notebook: read by structure from a mapping */
            rc = dispatch_whole(&c, path, (const char *)map.ptr, map.len);
        } else {
            c.size_hint = bw_file_info(src.f)->size;
            rc = path_findings(&c, path);
            if (rc == BW_OK) {
                rc = scan_stream(&c, path, buf, cap, have, file_read, &src);
            }
        }
    }
    if (rc == BW_OK) {
        bw_report_count_input(report, bw_file_info(src.f)->size);
    }
out:
    if (rc != BW_OK && err != NULL && err->msg[0] != '\0' && strstr(err->msg, path) == NULL) {
        char tmp[sizeof(err->msg)];
        int k = snprintf(tmp, sizeof(tmp), "'%s': ", path);
        if (k > 0 && (size_t)k < sizeof(tmp)) {
            memcpy(tmp + k, err->msg, BW_MIN(strlen(err->msg) + 1, sizeof(tmp) - (size_t)k));
            tmp[sizeof(tmp) - 1] = '\0';
            memcpy(err->msg, tmp, sizeof(tmp));
        }
    }
    give_buf(s, buf);
    ctx_done(&c);
    bw_file_close(src.f);
    return rc;
}

bw_status bw_secrets_new(bw_secrets **out, const bw_secrets_opts *opts, bw_error *err)
{
    bw_secrets_opts o = BW_SECRETS_OPTS_INIT;
    bw_sengine_opts eo = {NULL, false, 0, false, false};
    bw_secrets *s;
    bw_status rc;
    size_t n_custom = 0;
    const bw_srule *custom = NULL;
    bool replace = false;

    *out = NULL;
    if (opts != NULL) {
        if (opts->version == 1) {
            /* a caller built before sample_rows: its struct ends there */
            memcpy(&o, opts, offsetof(bw_secrets_opts, sample_rows));
            o.version = BW_SECRETS_OPTS_VERSION;
            o.sample_rows = 0;
        } else if (opts->version != BW_SECRETS_OPTS_VERSION) {
            return bw_fail(err, BW_EINVAL, "bw_secrets_opts: unknown version %u", opts->version);
        } else {
            o = *opts;
        }
    }
    if (o.kinds == 0) {
        o.kinds = BW_SECRETS_SECRET | BW_SECRETS_PII;
    }
    s = bw_calloc(1, sizeof(*s));
    if (s == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    s->o = o;
    pthread_mutex_init(&s->lock, NULL);
    if (o.n_rule_files > 0) {
        rc = bw_srules_yaml_load(&s->yaml, o.rule_files, o.n_rule_files, err);
        if (rc != BW_OK) {
            bw_secrets_free(s);
            return rc;
        }
        custom = bw_srules_yaml_rules(s->yaml, &n_custom, &replace);
    }
    s->n_engine = (replace ? 0 : bw_builtin_rule_count) + n_custom;
    s->n_rules = s->n_engine + BW_ARRAY_LEN(dataset_rules);
    s->rules = bw_calloc(s->n_rules, sizeof(*s->rules));
    s->custom = bw_calloc(s->n_rules, 1);
    if (s->rules == NULL || s->custom == NULL) {
        bw_secrets_free(s);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    {
        size_t k = 0;
        for (size_t i = 0; i < n_custom; i++) {
            s->custom[k] = 1;
            s->rules[k++] = custom[i];
        }
        for (size_t i = 0; !replace && i < bw_builtin_rule_count; i++) {
            s->rules[k++] = bw_builtin_rules[i];
        }
        for (size_t i = 0; i < BW_ARRAY_LEN(dataset_rules); i++) {
            s->rules[k++] = dataset_rules[i];
        }
    }
    if (o.n_ignore_fingerprints > 0) {
        s->ignore = bw_calloc(o.n_ignore_fingerprints, sizeof(char *));
        if (s->ignore == NULL) {
            bw_secrets_free(s);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < o.n_ignore_fingerprints; i++) {
            s->ignore[i] = bw_strdup(o.ignore_fingerprints[i]);
            if (s->ignore[i] == NULL) {
                s->n_ignore = i;
                bw_secrets_free(s);
                return bw_fail(err, BW_ENOMEM, "out of memory");
            }
        }
        s->n_ignore = o.n_ignore_fingerprints;
        qsort(s->ignore, s->n_ignore, sizeof(char *), cmp_str);
    }
    s->o.rule_files = NULL;
    s->o.ignore_fingerprints = NULL;
    eo.cache_dir = o.cache_dir;
    eo.no_cache = o.no_cache != 0;
    eo.kinds = o.kinds;
    s->o.cache_dir = NULL;
    rc = bw_sengine_new(&s->eng, s->rules, s->n_engine, &eo, err);
    if (rc != BW_OK) {
        bw_secrets_free(s);
        return rc;
    }
    *out = s;
    return BW_OK;
}

void bw_secrets_free(bw_secrets *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_spare; i++) {
        bw_sscratch_free(s->spare[i]);
    }
    bw_free(s->spare);
    for (size_t i = 0; i < s->n_bufs; i++) {
        bw_free(s->bufs[i]);
    }
    bw_free(s->bufs);
    bw_free(s->seen);
    bw_sengine_free(s->eng);
    for (size_t i = 0; i < s->n_ignore; i++) {
        bw_free(s->ignore[i]);
    }
    bw_free(s->ignore);
    bw_srules_yaml_free(s->yaml);
    bw_free(s->rules);
    bw_free(s->custom);
    pthread_mutex_destroy(&s->lock);
    bw_free(s);
}

const char *bw_secrets_db_origin(const bw_secrets *s)
{
    return bw_sengine_db_origin(s->eng);
}

size_t bw_secrets_rule_count(const bw_secrets *s)
{
    return s->n_rules;
}

bw_status bw_secrets_rule_get(const bw_secrets *s, size_t i, bw_secrets_rule_info *out)
{
    const bw_srule *r;

    if (i >= s->n_rules) {
        return BW_EINVAL;
    }
    r = &s->rules[i];
    out->id = r->id;
    out->provider = r->provider;
    out->description = r->description;
    out->kind = rule_kind_name(r);
    out->severity = (bw_severity)r->severity;
    out->regex = i < s->n_engine ? r->regex : NULL;
    out->validator = r->validator != BW_SV_NONE ? bw_sval_name(r->validator) : NULL;
    out->sample = r->sample;
    out->custom = s->custom[i];
    return BW_OK;
}
