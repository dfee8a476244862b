/*
 * scan_pickle.c - the pickle policy: analyser facts (bw_pickle.h) in,
 * findings and a verdict out.
 *
 * Globals are classified by the allowlist database (dangerous entries win);
 * anything on neither list is "review". Structural red flags (an import whose
 * operands are not literal strings, a call result used as a callable, BUILD
 * on a module or function) are unsafe whatever the globals are. A broken
 * stream is malformed, and unsafe when a call happened before the break.
 *
 * Streams are read the way loaders read them:
 * - stacked pickles (PyTorch's legacy format: magic, protocol, system info,
 *   the model, the storage keys, then raw storage bytes) are analysed one
 *   after another;
 * - joblib files are analysed with joblib's reading (raw NumPy array bytes
 *   after each NumpyArrayWrapper are stepped over) and, because pickle.load
 *   reads those bytes as opcodes, with pickle's reading too: dangerous
 *   globals that only the second reading sees are reported.
 */
#include "bulwark/bw_pickle.h"
#include "scan/allowlist.h"
#include "scan/mscan.h"
#include "util/internal.h"

/* PyTorch legacy serialisation opens with this pickle: the magic number as LONG1 */
static const uint8_t torch_legacy_magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                             0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
#define TORCH_LEGACY_PICKLES 5
#define MAX_STACKED 64

static const bw_rule rules[] = {
    {"pickle-unsafe-global", "PickleUnsafeGlobal", "The pickle imports a dangerous global",
     "Unpickling imports and may call this global: loading the file runs code (process execution, eval, "
     "imports, file or network access). Do not load it; obtain the model from a trusted source or convert it to "
     "safetensors.",
     NULL, BW_SEV_CRITICAL},
    {"pickle-unknown-global", "PickleUnknownGlobal", "The pickle imports a global that is not on the allowlist",
     "Not known to be dangerous, not known to be safe: its constructor or __setstate__ runs when the file is "
     "loaded. Review the class, then allow it with an allowlist pack (--allow FILE) if it is yours.",
     NULL, BW_SEV_MEDIUM},
    {"pickle-nonliteral-import", "PickleNonLiteralImport", "An import whose module or name is computed",
     "STACK_GLOBAL took an operand that is not a literal string (built by a call or fetched from the memo after "
     "one). Legitimate writers never do this; it hides the real import from scanners.",
     NULL, BW_SEV_CRITICAL},
    {"pickle-call-result-called", "PickleCallResultCalled", "The result of a call is itself called",
     "A gadget chain: e.g. getattr(module, 'system') then calling what it returned. Legitimate pickles never "
     "call a call's result.",
     NULL, BW_SEV_CRITICAL},
    {"pickle-build-on-global", "PickleBuildOnGlobal", "BUILD sets state on a module, class or function",
     "BUILD on an imported object (not an instance) overwrites attributes of live code, e.g. a module's "
     "functions. Legitimate pickles only BUILD instances.",
     NULL, BW_SEV_CRITICAL},
    {"pickle-malformed", "PickleMalformed", "The pickle stream is broken",
     "Truncated, an unknown opcode, a stack underflow, a FRAME that disagrees with its contents or a missing "
     "memo slot: the file is not what a writer produces and cannot be shown safe.",
     NULL, BW_SEV_HIGH},
    {"pickle-call-before-break", "PickleCallBeforeBreak", "A call happened before the stream broke",
     "pickle.load runs every call it reaches before it fails on the broken part: the payload runs and the "
     "error comes after.",
     NULL, BW_SEV_CRITICAL},
    {"pickle-trailing-data", "PickleTrailingData", "Bytes follow the pickle's STOP",
     "Data after STOP that no loader reads as part of the pickle may be a second payload for another reader.", NULL,
     BW_SEV_HIGH},
    {"pickle-extension-code", "PickleExtensionCode", "A global named through copyreg's extension registry",
     "EXT1/2/4 name globals by number through a registry the scanner cannot see.", NULL, BW_SEV_MEDIUM},
};

int bw_sniff_pickle(const uint8_t *p, size_t n)
{
    static const char openers[] = "(]}cIJKLMNSTUVXFG)qe";
    size_t end = n;

    if (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5) {
        return 1;
    }
    /* protocol 0 and 1 have no header: a plausible first opcode and a final STOP */
    while (end > 0 && (p[end - 1] == '\n' || p[end - 1] == '\r')) {
        end--;
    }
    if (n >= 2 && p[0] != 0 && strchr(openers, p[0]) != NULL && end > 0 && p[end - 1] == '.') {
        return 2;
    }
    return 0;
}

/*
 * Globals already reported in this file, so each is listed once. The list is
 * capped per kind: a hostile pickle with a million distinct imports must not
 * make the scan quadratic or the report huge. Past the cap a global still
 * raises the verdict and is counted; one summary finding names the count.
 */
#define PICKLE_LISTED_MAX 64

struct seen {
    char *keys[2][PICKLE_LISTED_MAX]; /* [0] dangerous, [1] unknown */
    size_t n[2];
    uint64_t unlisted[2];
    uint64_t first_unlisted[2]; /* offset of the first one not listed */
};

/* 1: new, list it; 0: listed already; -1: not listed (cap reached or out of memory), counted. */
static int seen_add(struct seen *s, int kind, const char *module, const char *name, uint64_t offset)
{
    char key[600];

    snprintf(key, sizeof(key), "%s\n%s", module, name);
    for (size_t i = 0; i < s->n[kind]; i++) {
        if (strcmp(s->keys[kind][i], key) == 0) {
            return 0;
        }
    }
    if (s->n[kind] < PICKLE_LISTED_MAX && (s->keys[kind][s->n[kind]] = bw_strdup(key)) != NULL) {
        s->n[kind]++;
        return 1;
    }
    if (s->unlisted[kind]++ == 0) {
        s->first_unlisted[kind] = offset;
    }
    return -1;
}

static void seen_free(struct seen *s)
{
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < s->n[k]; i++) {
            bw_free(s->keys[k][i]);
        }
    }
}

/* The summary of what the cap left out (the verdict was raised as they were met). */
static void report_unlisted(bw_mscan *s, const struct seen *seen)
{
    if (seen->unlisted[0] > 0) {
        bw_mscan_flag(s, BW_VERDICT_UNSAFE, "pickle-unsafe-global", BW_SEV_CRITICAL, seen->first_unlisted[0],
                      "%llu more imports of dangerous globals, past the first %d listed",
                      (unsigned long long)seen->unlisted[0], PICKLE_LISTED_MAX);
    }
    if (seen->unlisted[1] > 0) {
        bw_mscan_flag(s, BW_VERDICT_REVIEW, "pickle-unknown-global", BW_SEV_MEDIUM, seen->first_unlisted[1],
                      "%llu more imports of globals not on the allowlist, past the first %d listed",
                      (unsigned long long)seen->unlisted[1], PICKLE_LISTED_MAX);
    }
}

static void report_globals(bw_mscan *s, const bw_pickle_result *r, uint64_t base, struct seen *seen, bool unsafe_only,
                           const char *reading)
{
    for (size_t i = 0; i < r->n_globals; i++) {
        const bw_pickle_global *g = &r->globals[i];
        char mod[200], name[200], raw[420], how[64];
        const char *op = bw_pickle_opname(g->opcode);
        bw_allow_hit hit;
        bw_allow_kind k;

        if (g->from_ext) {
            continue; /* reported as an issue */
        }
        k = bw_allowlist_lookup(s->allow, g->module, g->name, &hit);
        if (k == BW_ALLOW_SAFE || (unsafe_only && k != BW_ALLOW_UNSAFE)) {
            continue;
        }
        switch (seen_add(seen, k == BW_ALLOW_UNSAFE ? 0 : 1, g->module, g->name, base + g->offset)) {
        case 0: continue; /* one finding per global per file */
        case -1: {
            bw_verdict v = k == BW_ALLOW_UNSAFE ? BW_VERDICT_UNSAFE : BW_VERDICT_REVIEW;
            if (v > s->verdict) {
                s->verdict = v; /* counted, summarised by report_unlisted */
            }
            continue;
        }
        default: break;
        }
        bw_escape_for_log(g->module, strlen(g->module), mod, sizeof(mod));
        bw_escape_for_log(g->name, strlen(g->name), name, sizeof(name));
        raw[0] = '\0';
        if (strcmp(g->module, g->raw_module) != 0 || strcmp(g->name, g->raw_name) != 0) {
            char rm[200], rn[200];
            bw_escape_for_log(g->raw_module, strlen(g->raw_module), rm, sizeof(rm));
            bw_escape_for_log(g->raw_name, strlen(g->raw_name), rn, sizeof(rn));
            snprintf(raw, sizeof(raw), " (written as %s.%s)", rm, rn);
        }
        snprintf(how, sizeof(how), "%s%s%s", op != NULL ? op : "import", g->called ? ", called" : "",
                 g->built ? ", built" : "");
        if (k == BW_ALLOW_UNSAFE) {
            bw_mscan_flag(s, BW_VERDICT_UNSAFE, "pickle-unsafe-global", BW_SEV_CRITICAL, base + g->offset,
                          "%simports %s.%s%s [%s] - %s: %s", reading, mod, name, raw, how, hit.category,
                          hit.why != NULL ? hit.why : "on the dangerous list");
        } else {
            bw_mscan_flag(s, BW_VERDICT_REVIEW, "pickle-unknown-global", BW_SEV_MEDIUM, base + g->offset,
                          "%simports %s.%s%s [%s], which is not on the allowlist", reading, mod, name, raw, how);
        }
    }
}

static void report_issues(bw_mscan *s, const bw_pickle_result *r, uint64_t base)
{
    for (size_t i = 0; i < r->n_issues; i++) {
        const bw_pickle_issue *is = &r->issues[i];
        static const struct {
            const char *rule;
            bw_verdict v;
        } map[] = {
            [BW_PICKLE_MALFORMED] = {"pickle-malformed", BW_VERDICT_MALFORMED},
            [BW_PICKLE_NONLITERAL_IMPORT] = {"pickle-nonliteral-import", BW_VERDICT_UNSAFE},
            [BW_PICKLE_CALL_RESULT_CALLED] = {"pickle-call-result-called", BW_VERDICT_UNSAFE},
            [BW_PICKLE_BUILD_ON_GLOBAL] = {"pickle-build-on-global", BW_VERDICT_UNSAFE},
            [BW_PICKLE_AFTER_STOP] = {"pickle-trailing-data", BW_VERDICT_MALFORMED},
            [BW_PICKLE_BAD_FRAME] = {"pickle-malformed", BW_VERDICT_MALFORMED},
            [BW_PICKLE_MEMO_MISSING] = {"pickle-malformed", BW_VERDICT_MALFORMED},
            [BW_PICKLE_EXT] = {"pickle-extension-code", BW_VERDICT_REVIEW},
            [BW_PICKLE_LIMIT] = {"pickle-malformed", BW_VERDICT_MALFORMED},
        };
        if ((size_t)is->kind >= BW_ARRAY_LEN(map) || map[is->kind].rule == NULL) {
            continue;
        }
        bw_mscan_flag(s, map[is->kind].v, map[is->kind].rule, BW_SEV_INFO, base + is->offset, "%s", is->msg);
    }
    if (!r->complete && r->call_before_break) {
        bw_mscan_flag(s, BW_VERDICT_UNSAFE, "pickle-call-before-break", BW_SEV_CRITICAL, base + r->end,
                      "the stream breaks after %llu call(s): pickle.load runs them before it fails",
                      (unsigned long long)r->n_calls);
    }
}

static bool uses_joblib(const bw_pickle_result *r)
{
    for (size_t i = 0; i < r->n_globals; i++) {
        if (strstr(r->globals[i].module, "joblib") != NULL && strstr(r->globals[i].name, "ArrayWrapper") != NULL) {
            return true;
        }
    }
    return false;
}

bw_status bw_scan_pickle(bw_mscan *s, const void *p, size_t n)
{
    const uint8_t *b = p;
    bool legacy = n >= sizeof(torch_legacy_magic) && memcmp(b, torch_legacy_magic, sizeof(torch_legacy_magic)) == 0;
    bool weak = bw_sniff_pickle(b, n) == 2;
    struct seen seen;
    uint64_t off = 0;
    bw_status rc = BW_OK;

    memset(&seen, 0, sizeof(seen));
    for (size_t i = 0; i < BW_ARRAY_LEN(rules); i++) {
        bw_mscan_rule(s, &rules[i]);
    }
    for (unsigned k = 0; k < MAX_STACKED && off < n; k++) {
        bw_pickle_opts o = BW_PICKLE_OPTS_INIT;
        bw_pickle_result *r = NULL, *plain = NULL;
        bw_error err;

        bw_error_clear(&err);
        o.joblib = 1;
        o.stop_at_end = 1;
        rc = bw_pickle_analyze(&r, b + off, (size_t)(n - off), s->path, &o, &err);
        if (rc != BW_OK) {
            /* fail closed: what could not be analysed is never safe */
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "pickle-malformed", BW_SEV_HIGH, off,
                          "cannot analyse the pickle: %s", err.msg[0] != '\0' ? err.msg : bw_strerror(rc));
            break;
        }
        if (weak && k == 0 && !r->complete && r->n_globals == 0 && r->n_calls == 0) {
            /* a text file that merely starts like protocol 0: not a pickle */
            bw_pickle_result_free(r);
            break;
        }
        report_issues(s, r, off);
        report_globals(s, r, off, &seen, false, "");
        if (uses_joblib(r)) {
            o.joblib = 0;
            if (bw_pickle_analyze(&plain, b + off, (size_t)(n - off), s->path, &o, &err) == BW_OK) {
                report_globals(s, plain, off, &seen, true,
                               "under pickle.load's reading (joblib array bytes "
                               "read as opcodes): ");
            }
            bw_pickle_result_free(plain);
        }
        off += r->end;
        if (!r->complete || r->end == 0) {
            bw_pickle_result_free(r);
            break;
        }
        bw_pickle_result_free(r);
        if (off >= n) {
            break;
        }
        if (legacy && k + 1 >= TORCH_LEGACY_PICKLES) {
            break; /* the rest is raw storage data */
        }
        if (legacy || (b[off] == 0x80 && bw_sniff_pickle(b + off, n - off) == 1)) {
            continue; /* another pickle follows, as loaders that call load() again read it */
        }
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, "pickle-trailing-data", BW_SEV_HIGH, off,
                      "%llu bytes follow the pickle's STOP and are not another pickle", (unsigned long long)(n - off));
        break;
    }
    report_unlisted(s, &seen);
    seen_free(&seen);
    return rc == BW_ENOMEM ? BW_ENOMEM : BW_OK;
}
