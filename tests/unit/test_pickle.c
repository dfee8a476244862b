/*
 * test_pickle.c - the static pickle analyser against pickles written by real
 * CPython (tests/data/pickle/, made by make_cases.py with /usr/bin/python3),
 * hand-made hostile streams, truncation at every byte, and a large stream
 * built here for a throughput figure.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static char *data_dir;

static uint8_t *load(const char *name, size_t *n)
{
    char *path = tu_join(data_dir, name);
    uint8_t *p = (uint8_t *)tu_read(path, n);
    if (p == NULL) {
        printf("# cannot read %s\n", path);
    }
    free(path);
    return p;
}

static bw_pickle_result *analyze_opts(const void *p, size_t n, int joblib, int stop_at_end)
{
    bw_pickle_opts o = BW_PICKLE_OPTS_INIT;
    bw_pickle_result *r = NULL;
    bw_error err;

    o.joblib = joblib;
    o.stop_at_end = stop_at_end;
    if (bw_pickle_analyze(&r, p, n, "t.pkl", &o, &err) != BW_OK) {
        printf("# analyze failed: %s\n", err.msg);
        return NULL;
    }
    return r;
}

static bw_pickle_result *analyze(const void *p, size_t n)
{
    return analyze_opts(p, n, 0, 0);
}

static size_t count_issues(const bw_pickle_result *r, bw_pickle_issue_kind kind)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n_issues; i++) {
        c += r->issues[i].kind == kind;
    }
    return c;
}

static const bw_pickle_issue *first_issue(const bw_pickle_result *r, bw_pickle_issue_kind kind)
{
    for (size_t i = 0; i < r->n_issues; i++) {
        if (r->issues[i].kind == kind) {
            return &r->issues[i];
        }
    }
    return NULL;
}

static void dump(const bw_pickle_result *r)
{
    for (size_t i = 0; i < r->n_globals; i++) {
        const bw_pickle_global *g = &r->globals[i];
        printf("#   global %s.%s (raw %s.%s) at %llu op %s called %u built %u ext %u\n", g->module, g->name,
               g->raw_module, g->raw_name, (unsigned long long)g->offset, bw_pickle_opname(g->opcode), g->called,
               g->built, g->from_ext);
    }
    for (size_t i = 0; i < r->n_issues; i++) {
        printf("#   issue %d at %llu: %s\n", r->issues[i].kind, (unsigned long long)r->issues[i].offset,
               r->issues[i].msg);
    }
}

/* The offsets make_cases.py recorded from pickletools.genops for `name`. */
static size_t expected_offsets(const char *name, uint64_t *offs, size_t cap)
{
    size_t n = 0, len;
    char *text = (char *)load("offsets.txt", &len);
    char *line, *save = NULL;

    if (text == NULL) {
        return 0;
    }
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        size_t nl = strlen(name);
        if (strncmp(line, name, nl) == 0 && line[nl] == ' ') {
            char *p = line + nl;
            while (*p == ' ' && n < cap) {
                char *end;
                offs[n] = strtoull(p + 1, &end, 10);
                if (end == p + 1) {
                    break;
                }
                n++;
                p = end;
            }
        }
    }
    free(text);
    return n;
}

static bool safe_plain_global(const bw_pickle_global *g)
{
    static const char *const ok[][2] = {
        {"builtins", "set"},   {"builtins", "frozenset"},     {"builtins", "bytearray"}, {"_codecs", "encode"},
        {"builtins", "bytes"}, {"copyreg", "_reconstructor"}, {"builtins", "object"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(ok); i++) {
        if (strcmp(g->module, ok[i][0]) == 0 && strcmp(g->name, ok[i][1]) == 0) {
            return true;
        }
    }
    return false;
}

static void test_plain(void)
{
    for (int proto = 0; proto <= 5; proto++) {
        char name[64];
        size_t n;
        uint64_t offs[16];
        size_t n_offs;
        bool all_safe = true, offs_ok;
        uint8_t *p;
        bw_pickle_result *r;

        snprintf(name, sizeof(name), "plain_p%d.pkl", proto);
        p = load(name, &n);
        if (p == NULL) {
            ok(0, "%s present", name);
            continue;
        }
        r = analyze(p, n);
        ok(r != NULL && r->complete, "plain p%d: reaches STOP", proto);
        if (r == NULL) {
            free(p);
            continue;
        }
        is_int(r->n_issues, 0, "plain p%d: no issues", proto);
        is_int(r->end, n, "plain p%d: end is the file size", proto);
        is_int(r->protocol, proto >= 2 ? proto : 0, "plain p%d: protocol recorded", proto);
        is_int(r->call_before_break, 0, "plain p%d: no break", proto);
        for (size_t i = 0; i < r->n_globals; i++) {
            all_safe = all_safe && safe_plain_global(&r->globals[i]);
        }
        ok(all_safe, "plain p%d: only set/frozenset/bytearray/bytes constructors imported", proto);
        n_offs = expected_offsets(name, offs, BW_ARRAY_LEN(offs));
        offs_ok = n_offs == r->n_globals;
        for (size_t i = 0; offs_ok && i < n_offs; i++) {
            offs_ok = r->globals[i].offset == offs[i];
        }
        ok(offs_ok, "plain p%d: %zu imports at the offsets genops gives", proto, n_offs);
        if (r->n_issues != 0 || !all_safe || !offs_ok) {
            dump(r);
        }
        bw_pickle_result_free(r);
        free(p);
    }
}

static void test_os_system(void)
{
    for (int proto = 0; proto <= 5; proto++) {
        char name[64];
        size_t n;
        uint64_t off = 0;
        uint8_t *p;
        bw_pickle_result *r;

        snprintf(name, sizeof(name), "os_system_p%d.pkl", proto);
        p = load(name, &n);
        r = p != NULL ? analyze(p, n) : NULL;
        if (r == NULL) {
            ok(0, "os.system p%d analysed", proto);
            free(p);
            continue;
        }
        is_int(expected_offsets(name, &off, 1), 1, "os.system p%d: genops offset known", proto);
        ok(r->complete && r->n_issues == 0, "os.system p%d: complete, no issues", proto);
        is_int(r->n_globals, 1, "os.system p%d: one import", proto);
        if (r->n_globals == 1) {
            const bw_pickle_global *g = &r->globals[0];
            is_str(g->module, "posix", "os.system p%d: module (os.system is posix.system)", proto);
            is_str(g->name, "system", "os.system p%d: name", proto);
            ok(g->called && !g->built && !g->from_ext, "os.system p%d: called", proto);
            is_int(g->offset, off, "os.system p%d: offset", proto);
            ok(g->opcode == (proto >= 4 ? 0x93 : 'c'), "os.system p%d: opcode %s", proto, bw_pickle_opname(g->opcode));
        }
        is_int(r->n_calls, 1, "os.system p%d: one call", proto);
        bw_pickle_result_free(r);
        free(p);
    }
}

static bw_pickle_result *analyze_file(const char *name)
{
    size_t n;
    uint8_t *p = load(name, &n);
    bw_pickle_result *r = p != NULL ? analyze(p, n) : NULL;
    free(p);
    return r;
}

static void test_fix_imports(void)
{
    bw_pickle_result *r = analyze_file("builtin_eval_p0.pkl");

    ok(r != NULL && r->complete && r->n_globals == 1, "__builtin__.eval: one import");
    if (r != NULL && r->n_globals == 1) {
        is_str(r->globals[0].module, "builtins", "__builtin__ resolved to builtins");
        is_str(r->globals[0].name, "eval", "name kept");
        is_str(r->globals[0].raw_module, "__builtin__", "raw module as written");
        ok(r->globals[0].called, "eval called");
    }
    bw_pickle_result_free(r);

    /* NAME_MAPPING wins over IMPORT_MAPPING; protocol 3 applies neither */
    {
        static const char p0[] = "c__builtin__\nxrange\n(I3\ntR.";
        static const char p3[] = "\x80\x03"
                                 "c__builtin__\nxrange\nK\x03\x85R.";
        r = analyze(p0, sizeof(p0) - 1);
        ok(r != NULL && r->n_globals == 1 && strcmp(r->globals[0].module, "builtins") == 0 &&
               strcmp(r->globals[0].name, "range") == 0,
           "xrange -> builtins.range below protocol 3");
        bw_pickle_result_free(r);
        r = analyze(p3, sizeof(p3) - 1);
        ok(r != NULL && r->n_globals == 1 && strcmp(r->globals[0].module, "__builtin__") == 0,
           "no fix_imports at protocol 3");
        bw_pickle_result_free(r);
    }
    {
        static const char cp[] = "ccopy_reg\n_reconstructor\n(ccommands\ngetoutput\ncurllib2\nurlopen\ntR.";
        r = analyze(cp, sizeof(cp) - 1);
        ok(r != NULL && r->n_globals == 3, "three imports");
        if (r != NULL && r->n_globals == 3) {
            is_str(r->globals[0].module, "copyreg", "copy_reg -> copyreg");
            is_str(r->globals[1].module, "subprocess", "commands -> subprocess");
            is_str(r->globals[2].module, "urllib.request", "urllib2 -> urllib.request");
        }
        bw_pickle_result_free(r);
    }
}

static void test_stack_global(void)
{
    bw_pickle_result *r = analyze_file("memo_strings_p4.pkl");
    uint64_t offs[2];

    ok(r != NULL && r->complete && r->n_issues == 0, "memo'd STACK_GLOBAL strings: literal, no issues");
    if (r != NULL && r->n_globals == 2 && expected_offsets("memo_strings_p4.pkl", offs, 2) == 2) {
        is_str(r->globals[1].module, "collections", "module from BINGET");
        is_str(r->globals[1].name, "Counter", "second name");
        ok(r->globals[0].offset == offs[0] && r->globals[1].offset == offs[1], "offsets match genops");
        ok(!r->globals[0].called && !r->globals[1].called, "not called");
    } else {
        ok(0, "two imports");
    }
    bw_pickle_result_free(r);

    r = analyze_file("nonliteral_call_p4.pkl");
    ok(r != NULL && count_issues(r, BW_PICKLE_NONLITERAL_IMPORT) == 1, "module from str(): NONLITERAL_IMPORT");
    if (r != NULL && r->n_globals == 2) {
        like(r->globals[1].module, "builtins.str", "the non-literal module names the call");
        is_str(r->globals[1].name, "system", "the literal name is kept");
        ok(r->globals[1].called, "the import is called");
        ok(r->complete, "analysis went on to STOP");
    } else {
        ok(0, "two imports");
    }
    bw_pickle_result_free(r);

    r = analyze_file("nonliteral_memo_p4.pkl");
    ok(r != NULL && count_issues(r, BW_PICKLE_NONLITERAL_IMPORT) == 1, "call result through the memo: NONLITERAL");
    if (r != NULL && count_issues(r, BW_PICKLE_NONLITERAL_IMPORT) == 1) {
        is_int(first_issue(r, BW_PICKLE_NONLITERAL_IMPORT)->offset, 37, "issue at the STACK_GLOBAL");
    }
    bw_pickle_result_free(r);

    {
        static const uint8_t bytes_mod[] = "\x80\x04"
                                           "C\x02os\x8c\x06system\x93.";
        r = analyze(bytes_mod, sizeof(bytes_mod) - 1);
        ok(r != NULL && count_issues(r, BW_PICKLE_NONLITERAL_IMPORT) == 1, "bytes module operand: NONLITERAL");
        bw_pickle_result_free(r);
    }
}

static void test_calls_and_build(void)
{
    bw_pickle_result *r = analyze_file("call_result_called_p0.pkl");

    ok(r != NULL && count_issues(r, BW_PICKLE_CALL_RESULT_CALLED) == 1, "eval(...)(...): CALL_RESULT_CALLED");
    if (r != NULL) {
        is_int(r->n_calls, 2, "two calls");
        like(first_issue(r, BW_PICKLE_CALL_RESULT_CALLED) ? first_issue(r, BW_PICKLE_CALL_RESULT_CALLED)->msg : "",
             "builtins.eval", "message names the first callee");
    }
    bw_pickle_result_free(r);

    r = analyze_file("build_on_global_p0.pkl");
    ok(r != NULL && count_issues(r, BW_PICKLE_BUILD_ON_GLOBAL) == 1, "BUILD on os.system: BUILD_ON_GLOBAL");
    ok(r != NULL && r->n_globals == 1 && r->globals[0].built && !r->globals[0].called, "global marked built");
    bw_pickle_result_free(r);

    {
        /* INST and OBJ are calls too; NEWOBJ_EX keeps args */
        static const uint8_t inst[] = "(S'id'\nios\nsystem\n.";
        static const uint8_t obj[] = "(cos\nsystem\nS'id'\no.";
        static const uint8_t nex[] = "\x80\x04\x8c\x02os\x8c\x06system\x93)}\x92.";
        r = analyze(inst, sizeof(inst) - 1);
        ok(r != NULL && r->complete && r->n_globals == 1 && r->globals[0].called && r->globals[0].opcode == 'i',
           "INST imports and calls");
        bw_pickle_result_free(r);
        r = analyze(obj, sizeof(obj) - 1);
        ok(r != NULL && r->complete && r->n_globals == 1 && r->globals[0].called && r->n_calls == 1,
           "OBJ calls its class");
        bw_pickle_result_free(r);
        r = analyze(nex, sizeof(nex) - 1);
        ok(r != NULL && r->complete && r->n_issues == 0 && r->n_globals == 1 && r->globals[0].called,
           "NEWOBJ_EX calls its class");
        bw_pickle_result_free(r);
    }
}

static void test_truncation(void)
{
    size_t n;
    uint8_t *p = load("os_system_p2.pkl", &n);
    size_t reduce_at = 0;
    bool all_ok = true, cbb_ok = true;

    if (p == NULL) {
        ok(0, "os_system_p2.pkl present");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 'R') {
            reduce_at = i; /* the REDUCE: last 'R' before STOP */
        }
    }
    for (size_t len = 0; len < n; len++) {
        uint8_t *cut = malloc(len > 0 ? len : 1);
        bw_pickle_result *r;
        memcpy(cut, p, len);
        r = analyze(cut, len);
        if (r == NULL || r->complete || count_issues(r, BW_PICKLE_MALFORMED) == 0 || r->end > len) {
            all_ok = false;
            printf("# cut at %zu not reported\n", len);
        } else if ((len > reduce_at) != (r->call_before_break != 0)) {
            cbb_ok = false;
            printf("# cut at %zu: call_before_break %d\n", len, r->call_before_break);
        }
        bw_pickle_result_free(r);
        free(cut);
    }
    ok(all_ok, "truncated at each of %zu bytes: malformed, incomplete, no crash", n);
    ok(reduce_at > 0 && cbb_ok, "call_before_break exactly when the REDUCE came before the cut");
    free(p);
}

static void test_after_stop_and_frames(void)
{
    size_t n;
    uint8_t *p = load("os_system_p4.pkl", &n);
    uint8_t *q;
    bw_pickle_result *r;
    uint64_t flen = 0;

    if (p == NULL) {
        ok(0, "os_system_p4.pkl present");
        return;
    }
    q = malloc(n + 2);
    memcpy(q, p, n);
    q[n] = 'N';
    q[n + 1] = '.';
    r = analyze_opts(q, n + 2, 0, 0);
    ok(r != NULL && count_issues(r, BW_PICKLE_AFTER_STOP) == 1 && r->end == n, "bytes after STOP reported");
    bw_pickle_result_free(r);
    r = analyze_opts(q, n + 2, 0, 1);
    ok(r != NULL && r->n_issues == 0 && r->complete && r->end == n, "stop_at_end = 1: not ours, no issue");
    bw_pickle_result_free(r);

    /* FRAME is at offset 2 with an 8-byte length */
    ok(p[2] == 0x95, "protocol 4 pickle starts with a FRAME");
    for (int k = 7; k >= 0; k--) {
        flen = (flen << 8) | p[3 + k];
    }
    ok(flen == n - 11, "frame covers the rest of the pickle");
    memcpy(q, p, n);
    q[3]--; /* one byte short: STOP after the frame, on an opcode boundary, is fine */
    r = analyze(q, n);
    ok(r != NULL && r->n_issues == 0 && r->complete, "frame ending on an opcode boundary before STOP: clean");
    bw_pickle_result_free(r);
    {
        /* end the frame inside the SHORT_BINUNICODE 'echo bulwark' argument */
        const uint8_t *s = memmem(p, n,
                                  "\x8c\x0c"
                                  "echo bulwark",
                                  14);
        memcpy(q, p, n);
        ok(s != NULL, "argument string found");
        if (s != NULL) {
            q[3] = (uint8_t)((size_t)(s - p) + 5 - 11);
            r = analyze(q, n);
            ok(r != NULL && count_issues(r, BW_PICKLE_BAD_FRAME) >= 1, "frame ending inside an opcode: BAD_FRAME");
            bw_pickle_result_free(r);
        }
    }
    memcpy(q, p, n);
    q[n - 2] = '.'; /* frame continues past an early STOP */
    r = analyze_opts(q, n - 1, 0, 0);
    ok(r != NULL && count_issues(r, BW_PICKLE_BAD_FRAME) >= 1, "frame longer than its opcodes: BAD_FRAME");
    bw_pickle_result_free(r);
    memcpy(q, p, n);
    q[3]++; /* claims a byte past the end */
    r = analyze(q, n);
    ok(r != NULL && count_issues(r, BW_PICKLE_BAD_FRAME) >= 1, "frame longer than the data: BAD_FRAME");
    bw_pickle_result_free(r);
    free(q);
    free(p);
}

static void test_memo_ext_persid_oob(void)
{
    static const uint8_t missing[] = "\x80\x02h\x05\x85.";
    bw_pickle_result *r = analyze(missing, sizeof(missing) - 1);

    ok(r != NULL && count_issues(r, BW_PICKLE_MEMO_MISSING) == 1 && r->complete, "missing memo: issue, continues");
    bw_pickle_result_free(r);

    r = analyze_file("ext1_p2.pkl");
    ok(r != NULL && count_issues(r, BW_PICKLE_EXT) == 1, "EXT1: EXT issue");
    if (r != NULL && r->n_globals == 1) {
        is_str(r->globals[0].module, "copyreg", "EXT module");
        is_str(r->globals[0].name, "_extension_registry[240]", "EXT name carries the code");
        ok(r->globals[0].from_ext && r->globals[0].called && r->globals[0].opcode == 0x82, "from_ext, called");
    } else {
        ok(0, "one import");
    }
    bw_pickle_result_free(r);

    r = analyze_file("persid_p0.pkl");
    ok(r != NULL && r->complete && r->n_issues == 0 && r->persistent_ids == 2, "PERSID counted");
    bw_pickle_result_free(r);
    r = analyze_file("persid_p2.pkl");
    ok(r != NULL && r->complete && r->n_issues == 0 && r->persistent_ids == 2, "BINPERSID counted");
    bw_pickle_result_free(r);

    r = analyze_file("oob_p5.pkl");
    ok(r != NULL && r->complete && r->n_issues == 0 && r->n_globals == 0 && r->protocol == 5,
       "protocol 5 out-of-band buffers: clean");
    bw_pickle_result_free(r);
}

static void test_malformed(void)
{
    static const struct {
        const char *what;
        const char *p;
        size_t n;
        int complete;
    } cases[] = {
        {"unknown opcode", "\x80\x02\xff.", 4, 0},
        {"stack underflow", "\x80\x02R.", 4, 1},
        {"mark underflow", "\x80\x02t.", 4, 1},
        {"PROTO 6", "\x80\x06N.", 4, 1},
        {"negative LONG4", "\x80\x02\x8b\xff\xff\xff\xff.", 8, 0},
        {"BINUNICODE length past the end", "X\xff\xff\xff\x7f", 5, 0},
        {"BINBYTES8 huge length", "\x8e\xff\xff\xff\xff\xff\xff\xff\xff", 9, 0},
        {"unquoted STRING", "Sabc\n.", 6, 1},
        {"bad INT", "Ixyz\n.", 6, 1},
        {"bad raw-unicode-escape", "V\\u12\n.", 7, 1},
        {"empty", "", 0, 0},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        bw_pickle_result *r = analyze(cases[i].p, cases[i].n);
        ok(r != NULL && count_issues(r, BW_PICKLE_MALFORMED) >= 1 && r->complete == cases[i].complete &&
               r->end <= cases[i].n,
           "%s: malformed%s", cases[i].what, cases[i].complete ? ", continues" : ", stops");
        if (r != NULL && count_issues(r, BW_PICKLE_MALFORMED) == 0) {
            dump(r);
        }
        bw_pickle_result_free(r);
    }
    {
        /* text-mode arguments decoded as CPython does */
        static const char txt[] = "(I01\nI00\nI0x1f\nL12345678901234567890123L\nF-1.5e3\nS'a\\x41\\n'\n"
                                  "V\\u0041\\\\u0042\ng0\np1\nt.";
        bw_pickle_result *r = analyze(txt, sizeof(txt) - 1);
        ok(r != NULL && r->complete && count_issues(r, BW_PICKLE_MALFORMED) == 0, "text-mode arguments accepted");
        ok(r != NULL && count_issues(r, BW_PICKLE_MEMO_MISSING) == 1, "g0 before any PUT: memo missing");
        bw_pickle_result_free(r);
    }
    {
        static const char limits[] = "((((((N.";
        bw_pickle_opts o = BW_PICKLE_OPTS_INIT;
        bw_pickle_result *r = NULL;
        o.max_stack = 4;
        ok(bw_pickle_analyze(&r, limits, sizeof(limits) - 1, "t", &o, NULL) == BW_OK && r != NULL &&
               count_issues(r, BW_PICKLE_LIMIT) == 1 && !r->complete,
           "max_stack: LIMIT issue, stops");
        bw_pickle_result_free(r);
        r = NULL;
        o = (bw_pickle_opts)BW_PICKLE_OPTS_INIT;
        o.max_ops = 3;
        ok(bw_pickle_analyze(&r, limits, sizeof(limits) - 1, "t", &o, NULL) == BW_OK && r != NULL &&
               count_issues(r, BW_PICKLE_LIMIT) == 1 && r->n_ops == 3,
           "max_ops: LIMIT issue after 3 opcodes");
        bw_pickle_result_free(r);
        r = NULL;
        o.version = 99;
        ok(bw_pickle_analyze(&r, limits, 1, "t", &o, NULL) == BW_EINVAL && r == NULL, "bad options version: EINVAL");
    }
    {
        /* a module name over the kept length is reported and escaped */
        char big[600];
        bw_pickle_result *r;
        memset(big, 'a', sizeof(big));
        big[0] = 'c';
        big[400] = '\n';
        memcpy(big + 401, "x\x01y\n.", 5);
        r = analyze(big, 406);
        ok(r != NULL && r->n_globals == 1 && strstr(r->globals[0].raw_module, "...") != NULL &&
               strstr(r->globals[0].raw_name, "\\x01") != NULL && count_issues(r, BW_PICKLE_MALFORMED) >= 1,
           "long and control-character names: truncated, escaped, reported");
        bw_pickle_result_free(r);
    }
    ok(bw_pickle_opname(0x93) != NULL && strcmp(bw_pickle_opname(0x93), "STACK_GLOBAL") == 0 &&
           bw_pickle_opname(0xff) == NULL && strcmp(bw_pickle_opname('.'), "STOP") == 0,
       "opcode names");
}

static void test_joblib(void)
{
    size_t n;
    uint8_t *p = load("joblib_numpy.pkl", &n);
    bw_pickle_result *r;
    bool only_np = true;

    if (p == NULL) {
        ok(0, "joblib fixture present");
        return;
    }
    r = analyze_opts(p, n, 1, 0);
    ok(r != NULL && r->complete && r->end == n && r->n_issues == 0, "joblib=1: reaches STOP at the end, no issues");
    if (r != NULL) {
        for (size_t i = 0; i < r->n_globals; i++) {
            const char *m = r->globals[i].module;
            /* _codecs.encode: the object array's nested protocol-2 pickle encodes its bytes with it */
            only_np = only_np && (strncmp(m, "numpy", 5) == 0 || strcmp(m, "joblib.numpy_pickle") == 0 ||
                                  (strcmp(m, "_codecs") == 0 && strcmp(r->globals[i].name, "encode") == 0));
        }
        ok(only_np && r->n_globals > 0, "joblib=1: only numpy/joblib imports (%zu)", r->n_globals);
        if (!only_np || r->n_issues != 0 || !r->complete) {
            dump(r);
        }
    }
    bw_pickle_result_free(r);
    r = analyze_opts(p, n, 0, 0);
    ok(r != NULL && !r->complete && count_issues(r, BW_PICKLE_MALFORMED) >= 1,
       "joblib=0: the array bytes break the walk");
    bw_pickle_result_free(r);
    free(p);
}

/* A list of 1,000,000 ints and strings written as opcodes, for a throughput figure. */
/* A million-element list built by a thousand APPENDS (the benchmark's shape): complete, no issues. */
static void test_large_list(void)
{
    size_t cap = 8u << 20, n = 0;
    uint8_t *p = malloc(cap);
    bw_pickle_result *r;

    n += (size_t)snprintf((char *)p + n, cap - n, "\x80\x04]\x94(");
    for (unsigned i = 0; i < 1000000; i++) {
        if (i > 0 && i % 1000 == 0) {
            memcpy(p + n, "e(", 2);
            n += 2;
        }
        if (i % 2 == 0) {
            p[n++] = 'J';
            memcpy(p + n, &i, 4);
            n += 4;
        } else {
            p[n++] = 0x8c;
            p[n++] = 5;
            memcpy(p + n, "item_", 5);
            n += 5;
        }
    }
    memcpy(p + n, "e.", 2);
    n += 2;
    r = analyze(p, n);
    ok(r != NULL && r->complete && r->n_issues == 0 && r->n_ops == 1000000u + 1000u + 1000u + 4u,
       "1,000,000-element list analysed");
    bw_pickle_result_free(r);
    free(p);
}

/* APPENDS/SETITEMS/ADDITEMS move items from the stack: marks, odd pairs, wrong targets, many items. */
static void test_extend(void)
{
    /* string literals are split after each \x escape so that no hex digit joins it */
    static const uint8_t odd[] = "\x80\x02"
                                 "}("
                                 "K\x01"
                                 "K\x02"
                                 "K\x03"
                                 "u.";
    static const uint8_t nomark[] = "\x80\x02"
                                    "]"
                                    "K\x01"
                                    "e.";
    static const uint8_t wrong[] = "\x80\x02"
                                   "]("
                                   "K\x01"
                                   "K\x02"
                                   "u."; /* SETITEMS onto a list: dropped */
    static const uint8_t inside[] = "\x80\x02"
                                    "}("
                                    "X\x01\x00\x00\x00"
                                    "a"
                                    "cos\nsystem\n"
                                    "u.";
    bw_pickle_result *r;
    uint8_t big[4096];
    size_t n = 0;

    r = analyze(odd, sizeof(odd) - 1);
    ok(r != NULL && count_issues(r, BW_PICKLE_MALFORMED) == 1 && r->complete, "SETITEMS, odd items: malformed");
    if (r != NULL && r->n_issues == 1) {
        ok(strstr(r->issues[0].msg, "odd number") != NULL && r->issues[0].offset == 10, "named, at the SETITEMS");
    } else {
        ok(0, "one issue");
    }
    bw_pickle_result_free(r);
    r = analyze(nomark, sizeof(nomark) - 1);
    ok(r != NULL && count_issues(r, BW_PICKLE_MALFORMED) == 1 && r->complete, "APPENDS without MARK: malformed");
    bw_pickle_result_free(r);
    r = analyze(wrong, sizeof(wrong) - 1);
    ok(r != NULL && r->n_issues == 0 && r->complete, "SETITEMS on a list: no crash, no issue");
    bw_pickle_result_free(r);
    r = analyze(inside, sizeof(inside) - 1);
    ok(r != NULL && r->n_globals == 1 && strcmp(r->globals[0].name, "system") == 0, "import inside SETITEMS seen");
    bw_pickle_result_free(r);

    /* 300 key/value pairs into one dict: kept items stay paired, the rest are counted, no issue */
    n += (size_t)snprintf((char *)big, sizeof(big), "\x80\x02}(");
    for (unsigned i = 0; i < 300; i++) {
        big[n++] = 'K';
        big[n++] = (uint8_t)i;
        big[n++] = 'N';
    }
    big[n++] = 'u';
    big[n++] = '.';
    r = analyze(big, n);
    ok(r != NULL && r->n_issues == 0 && r->complete && r->n_ops == 2u + 600u + 3u, "300 pairs by SETITEMS");
    bw_pickle_result_free(r);
}

/*
 * Memoised literals come back from GET with their bytes: STACK_GLOBAL through
 * the memo resolves the strings, for slots kept by position and (past the
 * first GiB of the stream) for slots kept as records.
 */
static void test_memo_literals(void)
{
    /* BINPUT 1, 2 then BINGET them for STACK_GLOBAL; a BINBYTES slot too (literals split after escapes) */
    static const uint8_t viaput[] = "\x80\x04"
                                    "\x8c\x02"
                                    "os"
                                    "q\x01"
                                    "X\x06\x00\x00\x00"
                                    "system"
                                    "q\x02"
                                    "00"
                                    "h\x01"
                                    "h\x02"
                                    "\x93"
                                    "0"
                                    "C\x03"
                                    "abc"
                                    "q\x03"
                                    "0"
                                    "h\x03"
                                    ".";
    static const uint8_t head[] = "\x80\x04"
                                  "\x8e\x00\x00\x00\x40\x00\x00\x00\x00"; /* BINBYTES8 of 1 GiB */
    static const uint8_t tail[] = "0"
                                  "\x8c\x02"
                                  "os"
                                  "\x94"
                                  "\x8c\x06"
                                  "system"
                                  "\x94"
                                  "\x8c\x05"
                                  "posix"
                                  "\x94"
                                  "000"
                                  "h\x00"
                                  "h\x01"
                                  "\x93"
                                  "0"
                                  "h\x02"
                                  "h\x01"
                                  "\x93"
                                  ".";
    bw_pickle_result *r = analyze(viaput, sizeof(viaput) - 1);
    char *dir, *path;
    int fd;

    ok(r != NULL && r->complete && r->n_issues == 0 && r->n_globals == 1, "STACK_GLOBAL of BINGET strings");
    if (r != NULL && r->n_globals == 1) {
        is_str(r->globals[0].module, "os", "module from the memo");
        is_str(r->globals[0].name, "system", "name from the memo");
    }
    bw_pickle_result_free(r);

    /* a sparse file: the strings sit past the first GiB (pages of zeros are never touched) */
    dir = tu_tmpdir();
    path = tu_join(dir, "far.pkl");
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0 && write(fd, head, sizeof(head) - 1) == (ssize_t)(sizeof(head) - 1) &&
        lseek(fd, (off_t)(sizeof(head) - 1) + ((off_t)1 << 30), SEEK_SET) > 0 &&
        write(fd, tail, sizeof(tail) - 1) == (ssize_t)(sizeof(tail) - 1)) {
        size_t len = sizeof(head) - 1 + ((size_t)1 << 30) + sizeof(tail) - 1;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        ok(map != MAP_FAILED, "map the 1 GiB sparse pickle");
        if (map != MAP_FAILED) {
            r = analyze(map, len);
            ok(r != NULL && r->complete && r->n_issues == 0 && r->n_globals == 2, "two imports past 1 GiB");
            if (r != NULL && r->n_globals == 2) {
                is_str(r->globals[0].module, "os", "far memo: module");
                is_str(r->globals[0].name, "system", "far memo: name");
                is_str(r->globals[1].module, "posix", "far memo: second module");
                is_str(r->globals[1].name, "system", "far memo: name fetched twice");
                ok(r->globals[0].offset > ((uint64_t)1 << 30), "offsets past 1 GiB");
            }
            bw_pickle_result_free(r);
            munmap(map, len);
        }
    } else {
        ok(0, "write the sparse pickle");
    }
    if (fd >= 0) {
        close(fd);
    }
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}

static void test_oom(void)
{
    size_t n;
    uint8_t *p = load("nonliteral_call_p4.pkl", &n);
    int clean = 1;

    if (p == NULL) {
        ok(0, "fixture present");
        return;
    }
    for (long k = 0; k < 200; k++) {
        bw_pickle_result *r = NULL;
        bw_status rc;
        bw_alloc_fail_after(k);
        rc = bw_pickle_analyze(&r, p, n, "t", NULL, NULL);
        bw_alloc_fail_after(-1);
        if (rc != BW_OK && (rc != BW_ENOMEM || r != NULL)) {
            clean = 0;
        }
        bw_pickle_result_free(r);
    }
    ok(clean, "allocation failure at each step: BW_ENOMEM, nothing returned, no leak");
    free(p);
}

int main(void)
{
    const char *root = getenv("BW_SOURCE_ROOT");

    if (root == NULL) {
        skip_all("BW_SOURCE_ROOT not set");
    }
    data_dir = tu_join(root, "tests/data/pickle");
    test_plain();
    test_os_system();
    test_fix_imports();
    test_stack_global();
    test_calls_and_build();
    test_truncation();
    test_after_stop_and_frames();
    test_memo_ext_persid_oob();
    test_malformed();
    test_joblib();
    test_large_list();
    test_extend();
    test_memo_literals();
    test_oom();
    free(data_dir);
    return done_testing();
}
