/*
 * test_rules.c - the built-in secret and personal-data rules
 * (lib/scan/rules_builtin.c).
 *
 * Every rule must be well formed (id, provider, description, enums in
 * range), compile with PCRE2 (the confirm step) and, all rules together,
 * compile as one Hyperscan/Vectorscan prefilter database (the candidate
 * step) in reasonable time. Each rule must then find its own sample with
 * both engines, with the secret passing the rule's gates (length window,
 * entropy, allowlist, validator), and must not report its near miss. The sample must also pass the engine's
 * placeholder filter and validators (lib/scan/sgate.c), and the whole
 * engine must report it in a file, and not the near miss.
 *
 * A rule without BW_SF_MULTILINE is confirmed one line at a time, so its
 * sample and near miss are matched line by line here too.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs.h>
#include <pcre2.h>
#include <strings.h>
#include <time.h>

#include "bulwark/bw_report.h"
#include "scan/sengine.h"
#include "scan/srules.h"
#include "scan/validate.h"
#include "tap.h"

#define NRULES_MIN 230
#define NPROVIDERS_MIN 135

/*
 * The bound on compiling the whole rule set (the engine does it on a cache
 * miss). Under AddressSanitizer every allocation of libhs's compiler goes
 * through the sanitizer's allocator, which makes it 5-10 times slower; the
 * bound scales with it.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BW_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(BW_TEST_ASAN)
#define BW_TEST_ASAN 1
#endif
#ifdef BW_TEST_ASAN
#define HS_COMPILE_MAX_S 150.0
#else
#define HS_COMPILE_MAX_S 30.0
#endif

/* the compiled regex and allowlist of one rule */
struct compiled {
    pcre2_code *re;
    pcre2_code *allow;
};

/* a secret found in a subject: the whole match and the secret inside it */
struct found {
    size_t mstart, mlen; /* group 0 */
    size_t sstart, slen; /* the rule's group */
};

static bool id_ok(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;

    if (n == 0 || id[0] == '-' || id[n - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        bool lower = id[i] >= 'a' && id[i] <= 'z', digit = id[i] >= '0' && id[i] <= '9';
        if (!lower && !digit && id[i] != '-') {
            return false;
        }
        if (id[i] == '-' && id[i + 1] == '-') {
            return false;
        }
    }
    return true;
}

static pcre2_code *compile_pcre(const char *pattern, uint32_t options, char *why, size_t cap)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &code, &at, NULL);

    if (re == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(why, cap, "at offset %zu: %s", (size_t)at, (const char *)msg);
    }
    return re;
}

/*
 * The engine's options (lib/scan/sengine.c): ^ and $ match at line ends,
 * and a multi-line rule's dot crosses them.
 */
static uint32_t pcre_options(const bw_srule *r)
{
    uint32_t opt = PCRE2_MULTILINE;

    if (r->flags & BW_SF_CASELESS) {
        opt |= PCRE2_CASELESS;
    }
    if (r->flags & BW_SF_MULTILINE) {
        opt |= PCRE2_DOTALL; /* the same as HS_FLAG_DOTALL in the prefilter */
    }
    return opt;
}

static unsigned hs_flags(const bw_srule *r)
{
    unsigned f = HS_FLAG_PREFILTER | HS_FLAG_MULTILINE;

    if (r->flags & BW_SF_CASELESS) {
        f |= HS_FLAG_CASELESS;
    }
    if (r->flags & BW_SF_MULTILINE) {
        f |= HS_FLAG_DOTALL;
    }
    return f;
}

/* True when re finds anything in s[0..n). */
static bool pcre_search(const pcre2_code *re, const char *s, size_t n)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);

    pcre2_match_data_free(md);
    return rc >= 0;
}

/*
 * The validators of validate.h, by rule validator. Returns 1 (passes), 0
 * (fails) or -1 when the validator is not one of them (EMAIL, PHONE,
 * GENERIC...: they belong to the engine, lib/scan/sgate.c).
 */
static int validator_says(uint8_t v, const char *s, size_t n)
{
    switch (v) {
    case BW_SV_CARD: return bw_card_scheme(s, n) != NULL;
    case BW_SV_IBAN: return bw_iban_ok(s, n);
    case BW_SV_SSN: return bw_ssn_ok(s, n);
    case BW_SV_NINO: return bw_nino_ok(s, n);
    case BW_SV_AADHAAR: return bw_aadhaar_ok(s, n);
    case BW_SV_PAN: return bw_pan_ok(s, n);
    case BW_SV_TOKEN_CRC: return bw_token_crc_ok(s, n);
    case BW_SV_JWT: return bw_jwt_ok(s, n);
    case BW_SV_PEM: return bw_pem_private_ok(s, n);
    default: return -1;
    }
}

/*
 * Every match of the rule in subject[0..n), one line at a time unless the
 * rule is multiline; calls fn on each and stops when it returns true.
 * Returns whether fn stopped the walk.
 */
typedef bool (*match_fn)(const bw_srule *r, const struct compiled *c, const char *subj, const struct found *f,
                         void *arg);

static bool each_match(const bw_srule *r, const struct compiled *c, const char *subject, match_fn fn, void *arg)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(c->re, NULL);
    size_t total = strlen(subject), line = 0;
    bool stopped = false;

    while (line <= total && !stopped) {
        size_t end = total;
        size_t at = 0;

        if (!(r->flags & BW_SF_MULTILINE)) {
            const char *nl = memchr(subject + line, '\n', total - line);
            end = nl != NULL ? (size_t)(nl - subject) : total;
        }
        while (at <= end - line && !stopped) {
            PCRE2_SIZE *ov;
            struct found f;
            int rc = pcre2_match(c->re, (PCRE2_SPTR)(subject + line), end - line, at, 0, md, NULL);
            if (rc < 0) {
                break;
            }
            ov = pcre2_get_ovector_pointer(md);
            f.mstart = line + ov[0];
            f.mlen = ov[1] - ov[0];
            if ((uint32_t)rc > r->group && ov[2 * r->group] != PCRE2_UNSET) {
                f.sstart = line + ov[2 * r->group];
                f.slen = ov[2 * r->group + 1] - ov[2 * r->group];
            } else {
                f.sstart = f.mstart;
                f.slen = 0;
            }
            stopped = fn(r, c, subject, &f, arg);
            at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
        line = end + 1;
    }
    pcre2_match_data_free(md);
    return stopped;
}

/* Does the line around subj[at] contain one of the '|'-separated keywords (any case)? */
static bool line_has_keyword(const char *keywords, const char *subj, size_t at)
{
    size_t start = at, end = at, total = strlen(subj);

    while (start > 0 && subj[start - 1] != '\n') {
        start--;
    }
    while (end < total && subj[end] != '\n') {
        end++;
    }
    for (const char *kw = keywords; *kw != '\0';) {
        size_t m = strcspn(kw, "|");
        for (size_t i = start; m > 0 && i + m <= end; i++) {
            if (strncasecmp(subj + i, kw, m) == 0) {
                return true;
            }
        }
        kw += m + (kw[m] == '|');
    }
    return false;
}

/*
 * Why the rule would not report the secret f, or NULL when it would. The
 * validators of validate.h count, and so do the engine's PASSWORD, EMAIL,
 * PHONE, IPV4, DATE and BASIC_B64 (lib/scan/sgate.c). GENERIC does not: a
 * keyword rule's near miss must fail on the regex, allow or entropy.
 */
static const char *gate(const bw_srule *r, const struct compiled *c, const char *subj, const struct found *f)
{
    size_t window = r->max_len != 0 ? r->max_len : 512;
    int v;

    if (f->slen == 0) {
        return "the secret is empty";
    }
    if (f->mlen > window) {
        return "the match is longer than max_len";
    }
    if (r->keywords != NULL && !line_has_keyword(r->keywords, subj, f->mstart)) {
        return "the line has none of the rule's keywords";
    }
    if (r->min_entropy > 0 && bw_entropy(subj + f->sstart, f->slen) < (double)r->min_entropy) {
        return "the secret is under min_entropy";
    }
    if (c->allow != NULL && pcre_search(c->allow, subj + f->sstart, f->slen)) {
        return "the secret matches allow";
    }
    v = validator_says(r->validator, subj + f->sstart, f->slen);
    if (v < 0 && r->validator != BW_SV_NONE && r->validator != BW_SV_GENERIC) {
        const char *what = NULL;
        v = bw_sval_check(r->validator, subj, strlen(subj), f->mstart, f->mstart + f->mlen, f->sstart,
                          f->sstart + f->slen, &what);
    }
    if (v == 0) {
        return "the secret fails its validator";
    }
    return NULL;
}

/* the sample: the first match, whatever the gates say */
static bool take_first(const bw_srule *r, const struct compiled *c, const char *subj, const struct found *f, void *arg)
{
    (void)r, (void)c, (void)subj;
    *(struct found *)arg = *f;
    return true;
}

/* the near miss: stop at the first match that would be reported */
static bool take_reported(const bw_srule *r, const struct compiled *c, const char *subj, const struct found *f,
                          void *arg)
{
    if (gate(r, c, subj, f) == NULL) {
        *(struct found *)arg = *f;
        return true;
    }
    return false;
}

static bool check_fields(const bw_srule *r)
{
    bool good =
        id_ok(r->id) && r->provider != NULL && r->provider[0] != '\0' && r->description != NULL &&
        r->description[0] != '\0' && r->regex != NULL && r->regex[0] != '\0' && r->sample != NULL &&
        (r->kind == BW_SK_SECRET || r->kind == BW_SK_PII) && r->severity >= BW_SEV_LOW &&
        r->severity <= BW_SEV_CRITICAL && r->validator < BW_SV__COUNT && r->group <= 9 &&
        (r->flags & ~(unsigned)(BW_SF_MULTILINE | BW_SF_CASELESS | BW_SF_GENERIC | BW_SF_CONTEXT | BW_SF_PATH)) == 0 &&
        r->min_entropy >= 0.0f && r->min_entropy <= 8.0f && (r->keywords == NULL || r->keywords[0] != '\0');
    return ok(good, "%s: well formed", r->id != NULL ? r->id : "(null)");
}

static bool compile_rule(const bw_srule *r, struct compiled *c)
{
    char why[200] = "";
    uint32_t groups = 0;

    c->re = compile_pcre(r->regex, pcre_options(r), why, sizeof(why));
    if (!ok(c->re != NULL, "%s: regex compiles with PCRE2", r->id)) {
        tap_diag("  %s", why);
        return false;
    }
    pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (!ok(groups >= r->group, "%s: group %u exists", r->id, (unsigned)r->group)) {
        tap_diag("  the regex has %u groups", groups);
    }
    c->allow = NULL;
    if (r->allow != NULL) {
        c->allow = compile_pcre(r->allow, PCRE2_MULTILINE, why, sizeof(why));
        if (!ok(c->allow != NULL, "%s: allow compiles with PCRE2", r->id)) {
            tap_diag("  %s", why);
            return false;
        }
    }
    return groups >= r->group;
}

/*
 * The engine's own gates (lib/scan/sgate.c) on the sample's secret: the
 * placeholder filter that every secret passes through, and the validator
 * with the engine's implementation of the ones validate.h does not have.
 */
static void check_sample_engine(const bw_srule *r, const struct found *f)
{
    const char *what = NULL;
    size_t n = strlen(r->sample);
    bool placeholder = r->kind == BW_SK_SECRET && bw_secret_is_placeholder(r->sample + f->sstart, f->slen);
    bool valid = bw_sval_check(r->validator, r->sample, n, f->mstart, f->mstart + f->mlen, f->sstart,
                               f->sstart + f->slen, &what);

    if (!ok(!placeholder && valid, "%s: the sample passes the engine's placeholder filter and validator", r->id)) {
        tap_diag("  %s: '%.*s'", placeholder ? "a placeholder" : "fails the validator", (int)f->slen,
                 r->sample + f->sstart);
    }
}

static void check_sample(const bw_srule *r, const struct compiled *c)
{
    struct found f;
    const char *why;

    if (!ok(each_match(r, c, r->sample, take_first, &f), "%s: finds its sample", r->id)) {
        tap_diag("  sample: %s", r->sample);
        return;
    }
    why = gate(r, c, r->sample, &f);
    if (!ok(why == NULL, "%s: the sample's secret passes the gates", r->id)) {
        tap_diag("  %s: '%.*s' (entropy %.2f)", why, (int)f.slen, r->sample + f.sstart,
                 bw_entropy(r->sample + f.sstart, f.slen));
    }
    check_sample_engine(r, &f);
}

static void check_near_miss(const bw_srule *r, const struct compiled *c)
{
    struct found f;

    if (r->near_miss == NULL) {
        return;
    }
    if (!ok(!each_match(r, c, r->near_miss, take_reported, &f), "%s: does not report its near miss", r->id)) {
        tap_diag("  reported '%.*s' in: %s", (int)f.slen, r->near_miss + f.sstart, r->near_miss);
    }
}

static void count_providers(void)
{
    size_t providers = 0;

    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        const char *p = bw_builtin_rules[i].provider;
        bool seen = p == NULL;
        for (size_t k = 0; k < i && !seen; k++) {
            seen = bw_builtin_rules[k].provider != NULL && strcmp(bw_builtin_rules[k].provider, p) == 0;
        }
        providers += !seen;
    }
    tap_diag("%zu rules, %zu providers", bw_builtin_rule_count, providers);
    ok(bw_builtin_rule_count >= NRULES_MIN, "at least %d rules", NRULES_MIN);
    ok(providers >= NPROVIDERS_MIN, "at least %d providers", NPROVIDERS_MIN);
}

static void check_unique_ids(void)
{
    bool unique = true;

    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        for (size_t k = i + 1; k < bw_builtin_rule_count && bw_builtin_rules[i].id != NULL; k++) {
            if (bw_builtin_rules[k].id != NULL && strcmp(bw_builtin_rules[i].id, bw_builtin_rules[k].id) == 0) {
                tap_diag("duplicate id %s", bw_builtin_rules[i].id);
                unique = false;
            }
        }
    }
    ok(unique, "rule ids are unique");
}

/*
 * The rule's matches in a buffer holding its sample between two other
 * lines. Every match must end inside the sample: the engine confirms a
 * candidate on the line where Hyperscan says it ends, so a pattern whose
 * trailing context swallowed the newline would be confirmed on the next
 * line and lost.
 */
struct hs_want {
    unsigned id;
    size_t lo, hi; /* the sample: buf[lo..hi) */
    bool seen, outside;
};

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
    struct hs_want *w = ctx;

    (void)from, (void)flags;
    if (id == w->id) {
        if (to > w->lo && to <= w->hi) {
            w->seen = true;
        } else {
            w->outside = true;
        }
    }
    return 0;
}

static void hs_check_sample(const hs_database_t *db, hs_scratch_t *scratch, size_t i)
{
    static const char before[] = "# first line\n", after[] = "\n# last line\n";
    const bw_srule *r = &bw_builtin_rules[i];
    size_t n = r->sample != NULL ? strlen(r->sample) : 0;
    char *buf = malloc(sizeof(before) + n + sizeof(after));
    struct hs_want w = {(unsigned)i, sizeof(before) - 1, sizeof(before) - 1 + n, false, false};

    if (buf != NULL && r->sample != NULL) {
        memcpy(buf, before, sizeof(before) - 1);
        memcpy(buf + w.lo, r->sample, n);
        memcpy(buf + w.hi, after, sizeof(after));
        hs_scan(db, buf, (unsigned)strlen(buf), 0, scratch, on_hs_match, &w);
    }
    if (!ok(w.seen && !w.outside, "%s: Hyperscan reports its sample, ending on the sample's line", r->id)) {
        tap_diag("  %s",
                 w.seen ? "a match ends outside the sample (a trailing context took the newline?)" : "no match");
    }
    free(buf);
}

/* When the database does not compile, name every rule that fails on its own. */
static void hs_blame(const char **exprs, const unsigned *flags)
{
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        hs_database_t *db = NULL;
        hs_compile_error_t *err = NULL;
        if (hs_compile(exprs[i], flags[i], HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
            tap_diag("  %s: %s", bw_builtin_rules[i].id, err->message);
            hs_free_compile_error(err);
        }
        hs_free_database(db);
    }
}

/*
 * Built-in rules also compile in Hyperscan's exact mode, which the engine
 * prefers: a candidate is then a real match. A lookaround would make the
 * engine fall back to prefilter mode for the rule, where Hyperscan reports
 * a superset and PCRE2 has more to confirm.
 */
static void check_hs_exact(void)
{
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        const bw_srule *r = &bw_builtin_rules[i];
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *err = NULL;
        bool exact =
            hs_expression_info(r->regex, hs_flags(r) & ~(unsigned)HS_FLAG_PREFILTER, &info, &err) == HS_SUCCESS;

        if (!ok(exact, "%s: Hyperscan runs it exactly, without the prefilter fallback", r->id)) {
            tap_diag("  %s", err->message);
        }
        hs_free_compile_error(err);
        free(info);
    }
}

static void check_hyperscan(void)
{
    size_t n = bw_builtin_rule_count;
    const char **exprs = calloc(n, sizeof(*exprs));
    unsigned *flags = calloc(n, sizeof(*flags)), *ids = calloc(n, sizeof(*ids));
    hs_database_t *db = NULL;
    hs_scratch_t *scratch = NULL;
    hs_compile_error_t *err = NULL;
    struct timespec t0, t1;
    double secs;
    hs_error_t rc;

    if (exprs == NULL || flags == NULL || ids == NULL) {
        ok(false, "allocation");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        exprs[i] = bw_builtin_rules[i].regex;
        flags[i] = hs_flags(&bw_builtin_rules[i]);
        ids[i] = (unsigned)i;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &db, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!ok(rc == HS_SUCCESS, "all %zu rules compile as one Hyperscan prefilter database", n)) {
        tap_diag("  %s (expression %d)", err != NULL ? err->message : "?", err != NULL ? err->expression : -1);
        hs_free_compile_error(err);
        hs_blame(exprs, flags);
        goto out;
    }
    tap_diag("Hyperscan compile time: %.2f s", secs);
    ok(secs < HS_COMPILE_MAX_S, "the database compiles in under %.0f s", HS_COMPILE_MAX_S);
    if (!ok(hs_alloc_scratch(db, &scratch) == HS_SUCCESS, "Hyperscan scratch")) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        hs_check_sample(db, scratch, i);
    }
    check_hs_exact();
out:
    hs_free_scratch(scratch);
    hs_free_database(db);
    free(exprs);
    free(flags);
    free(ids);
}

/* Does the engine report rule i on text, placed between two other lines of a file? */
static bool engine_reports(const bw_sengine *e, bw_sscratch *scratch, size_t i, const char *text)
{
    static const char before[] = "# first line\n", after[] = "\n# last line\n";
    size_t n = strlen(text), len = sizeof(before) - 1 + n + sizeof(after) - 1;
    char *buf = malloc(len + 1);
    bw_shits hits = {NULL, 0, 0};
    bw_error err;
    bool found = false;

    if (buf == NULL) {
        return false;
    }
    memcpy(buf, before, sizeof(before) - 1);
    memcpy(buf + sizeof(before) - 1, text, n);
    memcpy(buf + sizeof(before) - 1 + n, after, sizeof(after));
    memset(&err, 0, sizeof(err));
    if (bw_sengine_scan(e, scratch, buf, len, 0, len, &hits, &err) == BW_OK) {
        for (size_t k = 0; k < hits.n && !found; k++) {
            found = bw_sengine_rule(e, hits.v[k].rule) == &bw_builtin_rules[i];
        }
    } else {
        tap_diag("  scan failed: %s", err.msg);
    }
    bw_shits_release(&hits);
    free(buf);
    return found;
}

/*
 * The whole engine (lib/scan/sengine.c) over the built-in rules: candidate
 * windows, gates and the resolution of overlapping hits. Each sample must
 * come out as a finding of its own rule (not lost to another rule on the
 * same bytes), and no near miss may.
 */
static int path_hit(void *ctx, size_t rule)
{
    *(size_t *)ctx = rule;
    return 1;
}

static void check_engine(void)
{
    bw_sengine_opts opts = {NULL, true, 0, false, false};
    bw_sengine *e = NULL;
    bw_sscratch *scratch = NULL;
    bw_error err;

    memset(&err, 0, sizeof(err));
    if (!ok(bw_sengine_new(&e, bw_builtin_rules, bw_builtin_rule_count, &opts, &err) == BW_OK &&
                bw_sscratch_new(e, &scratch, &err) == BW_OK,
            "the engine builds over the built-in rules")) {
        tap_diag("  %s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        const bw_srule *r = &bw_builtin_rules[i];
        if (r->flags & BW_SF_PATH) {
            /* a path rule's sample and near miss are paths */
            size_t hit = SIZE_MAX;
            ok(bw_sengine_match_path(e, r->sample, strlen(r->sample), path_hit, &hit) == 1 && hit == i,
               "%s: the engine matches its sample path", r->id);
            hit = SIZE_MAX;
            ok(r->near_miss == NULL ||
                   (bw_sengine_match_path(e, r->near_miss, strlen(r->near_miss), path_hit, &hit) == 0 &&
                    hit == SIZE_MAX),
               "%s: the engine does not match its near miss path", r->id);
            continue;
        }
        if (r->sample != NULL) {
            ok(engine_reports(e, scratch, i, r->sample), "%s: the engine reports its sample", r->id);
        }
        if (r->near_miss != NULL) {
            ok(!engine_reports(e, scratch, i, r->near_miss), "%s: the engine does not report its near miss", r->id);
        }
    }
out:
    bw_sscratch_free(scratch);
    bw_sengine_free(e);
}

/*
 * One sample per rule cannot show every syntax the generic keyword rules
 * cover: each of these lines must be found by some BW_SF_GENERIC rule, with
 * the secret passing its gates.
 */
static void check_generic_forms(const struct compiled *cs)
{
    static const char *const lines[] = {
        "password = \"Vq8#nLz2@Rw5kT\"",                          /* TOML / HCL / Python */
        "db_password: \"Vq8#nLz2@Rw5kT\"",                        /* YAML, quoted */
        "db_password: Vq8#nLz2@Rw5kT",                            /* YAML, bare */
        "API_KEY=Hq7Lm2Vx9Rt4Kw8Zp3Nc",                           /* .env */
        "export CLIENT_SECRET='Hq7Lm2Vx9Rt4Kw8Zp3Nc'",            /* shell */
        "{\"apiKey\": \"Hq7Lm2Vx9Rt4Kw8Zp3Nc\"}",                 /* JSON */
        "\"{\\\"auth_token\\\": \\\"Hq7Lm2Vx9Rt4Kw8Zp3Nc\\\"}\"", /* JSON inside a string */
        "  :secret => 'Hq7Lm2Vx9Rt4Kw8Zp3Nc',",                   /* Ruby */
        "\taccessKey := \"Hq7Lm2Vx9Rt4Kw8Zp3Nc\"",                /* Go */
        "mytool --password=Vq8#nLz2@Rw5kT --verbose",             /* flag with = */
        "mytool --api-key Hq7Lm2Vx9Rt4Kw8Zp3Nc",                  /* flag with a space */
        "<password>Vq8#nLz2@Rw5kT</password>",                    /* XML */
        "<add key=\"SmtpPassword\" value=\"Vq8#nLz2@Rw5kT\" />",  /* .NET app.config */
        "private_key = \"Hq7Lm2Vx9Rt4Kw8Zp3Nc\"",
        "credentials: Hq7Lm2Vx9Rt4Kw8Zp3Nc",
    };
    static const char *const quiet[] = {
        "password = \"password\"", /* too little entropy */
        "max_tokens: 4096",        /* not a keyword */
        "tokenizer = \"bert-base-uncased\"",
        "password = os.environ[\"DB_PASSWORD\"]", /* code, not a value */
        "token = self.get_token_for(user)",
    };

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        bool found = false;
        for (size_t k = 0; k < bw_builtin_rule_count && !found; k++) {
            const bw_srule *r = &bw_builtin_rules[k];
            struct found f;
            if ((r->flags & BW_SF_GENERIC) && cs[k].re != NULL) {
                found = each_match(r, &cs[k], lines[i], take_reported, &f);
            }
        }
        ok(found, "a generic rule finds: %s", lines[i]);
    }
    for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
        const char *by = NULL;
        for (size_t k = 0; k < bw_builtin_rule_count && by == NULL; k++) {
            const bw_srule *r = &bw_builtin_rules[k];
            struct found f;
            if ((r->flags & BW_SF_GENERIC) && cs[k].re != NULL && each_match(r, &cs[k], quiet[i], take_reported, &f)) {
                by = r->id;
            }
        }
        if (!ok(by == NULL, "no generic rule reports: %s", quiet[i])) {
            tap_diag("  reported by %s", by);
        }
    }
}

int main(void)
{
    struct compiled *cs = calloc(bw_builtin_rule_count, sizeof(*cs));

    if (cs == NULL) {
        skip_all("out of memory");
    }
    count_providers();
    check_unique_ids();
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        const bw_srule *r = &bw_builtin_rules[i];
        if (!check_fields(r)) {
            continue;
        }
        if (compile_rule(r, &cs[i])) {
            check_sample(r, &cs[i]);
            check_near_miss(r, &cs[i]);
        }
    }
    check_generic_forms(cs);
    check_hyperscan();
    check_engine();
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        pcre2_code_free(cs[i].re);
        pcre2_code_free(cs[i].allow);
    }
    free(cs);
    return done_testing();
}
