/*
 * test_lineage.c - the lineage graph (bw_lineage): building from entries and from a real ledger,
 * upstream/downstream/both, depth limits, cycles and diamonds, several names per digest, digest
 * aliases (md5 + sha256), approvals by index and digest, and escaping of hostile names in every
 * format (text: no control characters; DOT: quotes and backslashes escaped, no raw newline, and
 * Graphviz parses it; Mermaid: entity codes; JSON: parses back to the same names).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/bulwark.h"
#include "tap.h"

static char H[8][65]; /* digests */

static void add(bw_lineage *g, uint64_t i, const char *json)
{
    bw_error err = {0};
    if (bw_lineage_add(g, i, json, strlen(json), &err) != BW_OK) {
        tap_diag("add %llu: %s", (unsigned long long)i, err.msg);
    }
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    static char b[8][8192];
    static int k;
    va_list ap;
    char *p = b[k++ % 8];
    va_start(ap, f);
    vsnprintf(p, sizeof(b[0]), f, ap);
    va_end(ap);
    return p;
}

/* raw -prep(1)-> train -train(2)-> model -eval(3)-> report; eval also reads train */
static bw_lineage *pipeline(void)
{
    bw_lineage *g = NULL;
    bw_error err = {0};
    if (bw_lineage_new(&g, &err) != BW_OK) {
        return NULL;
    }
    add(g, 0, fmt("{\"kind\":\"artifact\",\"name\":\"raw.csv\",\"digest\":{\"sha256\":\"%s\"},\"size\":4}", H[0]));
    add(g, 1,
        fmt("{\"kind\":\"stage_run\",\"stage\":\"prep\",\"run_id\":\"r1\",\"exit_status\":0,\"inputs\":[{\"name\":"
            "\"raw.csv\",\"digest\":{\"sha256\":\"%s\"}}],\"outputs\":[{\"name\":\"train.csv\",\"digest\":{"
            "\"sha256\":\"%s\"}}]}",
            H[0], H[1]));
    add(g, 2,
        fmt("{\"kind\":\"stage_run\",\"stage\":\"train\",\"run_id\":\"r2\",\"exit_status\":0,\"ended\":\"2026-11-"
            "24T10:00:00Z\",\"inputs\":[{\"name\":\"train.csv\",\"digest\":{\"sha256\":\"%s\"}}],\"outputs\":[{"
            "\"name\":\"model.bin\",\"digest\":{\"sha256\":\"%s\"}}]}",
            H[1], H[2]));
    add(g, 3,
        fmt("{\"kind\":\"stage_run\",\"stage\":\"eval\",\"run_id\":\"r3\",\"exit_status\":1,\"inputs\":[{\"name\":"
            "\"model.bin\",\"digest\":{\"sha256\":\"%s\"}},{\"name\":\"train.csv\",\"digest\":{\"sha256\":\"%s\"}}],"
            "\"outputs\":[{\"name\":\"report.json\",\"digest\":{\"sha256\":\"%s\"}}]}",
            H[2], H[1], H[3]));
    add(g, 4,
        fmt("{\"kind\":\"gate\",\"check\":\"scan models\",\"verdict\":\"fail\",\"subject\":{\"sha256\":\"%s\"}}",
            H[2]));
    add(g, 5,
        "{\"kind\":\"approval\",\"target\":4,\"decision\":\"override\",\"reason\":\"known FP\",\"actor\":\"lead\"}");
    add(g, 6, "{\"kind\":\"key\",\"event\":\"added\",\"name\":\"k\"}");
    return g;
}

static char *query(bw_lineage *g, uint32_t root, bw_lineage_dir dir, uint32_t depth, bw_lineage_format f)
{
    bw_lineage_query q = BW_LINEAGE_QUERY_INIT;
    bw_buf out = BW_BUF_INIT(1 << 26);
    bw_error err = {0};
    char *s = NULL;
    size_t n;
    q.roots = &root;
    q.n_roots = 1;
    q.dir = dir;
    q.depth = depth;
    q.format = f;
    if (bw_lineage_write(g, &q, &out, &err) != BW_OK || bw_buf_take(&out, &s, &n) != BW_OK) {
        tap_diag("write: %s", err.msg);
        bw_buf_release(&out);
        return strdup("");
    }
    return s;
}

static uint32_t find(bw_lineage *g, const char *hex)
{
    uint32_t id = UINT32_MAX;
    if (bw_lineage_find_digest(g, fmt("sha256:%s", hex), &id) != BW_OK) {
        tap_diag("no node for %s", hex);
    }
    return id;
}

static void test_pipeline(void)
{
    bw_lineage *g = pipeline();
    bw_lineage_stats st;
    char *s;
    uint32_t model = find(g, H[2]), ids[4];
    size_t n;

    bw_lineage_stats_get(g, &st);
    is_int((int)st.artifacts, 4, "four artifacts");
    is_int((int)st.runs, 3, "three runs");
    is_int((int)st.edges, 7, "seven edges (input and output)");
    is_int((int)st.gates, 1, "one gate with a subject");
    is_int((int)st.approvals, 1, "one approval");
    is_int((int)st.skipped, 0, "nothing skipped");
    bw_lineage_find_name(g, "train.csv", ids, 4, &n);
    ok(n == 1 && ids[0] == find(g, H[1]), "a name finds its node");
    ok(bw_lineage_find_digest(g, fmt("sha256:%s", "ABCDEF"), ids) == BW_ENOTFOUND, "an unknown digest is not found");
    {
        char up[80];
        snprintf(up, sizeof(up), "sha256:%s", H[2]);
        for (char *p = up + 7; *p; p++) {
            *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
        }
        ok(bw_lineage_find_digest(g, up, ids) == BW_OK && ids[0] == model, "upper-case hex finds it too");
        up[7 + 8] = '\0';
        bw_lineage_find_digest_prefix(g, up, ids, 4, &n);
        ok(n == 1 && ids[0] == model, "an abbreviated digest (upper-case) finds the one node");
    }
    bw_lineage_find_digest_prefix(g, "sha256:", ids, 4, &n);
    is_int((int)n, 0, "a prefix without a hex digit finds nothing");
    bw_lineage_find_digest_prefix(g, fmt("sha256:%.8sx", H[2]), ids, 4, &n);
    is_int((int)n, 0, "a prefix that matches no digest finds nothing");
    {
        bw_lineage *g2 = NULL;
        bw_error e2 = {0};
        char a[65], b[65];
        memset(a, 'a', 64), memset(b, 'a', 64);
        a[64] = b[64] = '\0';
        b[63] = 'b';
        ok(bw_lineage_new(&g2, &e2) == BW_OK, "a second graph");
        add(g2, 0, fmt("{\"kind\":\"artifact\",\"name\":\"x\",\"digest\":{\"sha256\":\"%s\"}}", a));
        add(g2, 1, fmt("{\"kind\":\"artifact\",\"name\":\"y\",\"digest\":{\"sha256\":\"%s\"}}", b));
        bw_lineage_find_digest_prefix(g2, "sha256:aaaaaaaa", ids, 4, &n);
        ok(n == 2 && ids[0] != ids[1], "a prefix shared by two artifacts finds both (ambiguous)");
        bw_lineage_find_digest_prefix(g2, "sha256:aaaaaaaa", ids, 1, &n);
        ok(n == 2, "the count goes past cap");
        bw_lineage_free(g2);
    }

    s = query(g, model, BW_LINEAGE_UPSTREAM, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT);
    is_str(s,
           fmt("model.bin  sha256:%.12s\n"
               "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 gate scan models: fail  (-, entry 4)\n"
               "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 approval override of gate entry 4: known FP  (lead, entry 5)\n"
               "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 made by train  run r2  exit 0  2026-11-24T10:00:00Z\n"
               "    \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 train.csv  sha256:%.12s\n"
               "        \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 made by prep  run r1  exit 0\n"
               "            \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 raw.csv  sha256:%.12s\n",
               H[2], H[1], H[0]),
           "upstream text tree: gate, approval of the gate, runs and inputs recursively");
    free(s);
    s = query(g, model, BW_LINEAGE_UPSTREAM, 1, BW_LINEAGE_TEXT);
    ok(strstr(s, "train.csv") != NULL && strstr(s, "prep") == NULL, "depth 1: the producing run and its inputs only");
    free(s);
    s = query(g, model, BW_LINEAGE_BOTH, 0, BW_LINEAGE_TEXT);
    ok(strstr(s, "made by") == NULL && strstr(s, "used by") == NULL && strstr(s, "gate") != NULL,
       "depth 0: the artifact and what is attached to it");
    free(s);
    s = query(g, find(g, H[1]), BW_LINEAGE_DOWNSTREAM, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT);
    ok(strstr(s, "used by train") != NULL && strstr(s, "used by eval") != NULL && strstr(s, "report.json") != NULL &&
           strstr(s, "made by") == NULL,
       "downstream: what was made from it");
    ok(strstr(s, "(*)") != NULL, "a run reached twice (diamond) is expanded once and marked (*)");
    free(s);

    /* JSON: nodes and edges, stable order */
    s = query(g, model, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_JSON);
    {
        json_t *j = json_loads(s, 0, NULL);
        json_t *nodes = json_object_get(j, "nodes"), *edges = json_object_get(j, "edges");
        ok(j != NULL, "JSON parses");
        is_int((int)json_array_size(nodes), 7, "both directions: 4 artifacts and 3 runs");
        is_int((int)json_array_size(edges), 6, "six edges on the paths (eval's train.csv input is off them)");
        is_str(json_string_value(json_object_get(json_array_get(nodes, 0), "type")), "artifact", "artifacts first");
        ok(json_array_size(json_object_get(j, "roots")) == 1, "one root");
        json_decref(j);
    }
    {
        char *again = query(g, model, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_JSON);
        is_str(again, s, "the same query writes the same bytes");
        free(again);
    }
    free(s);
    bw_lineage_free(g);
}

static void test_cycle_and_aliases(void)
{
    bw_lineage *g = NULL;
    bw_error err = {0};
    bw_lineage_stats st;
    uint32_t a, b;
    char *s;

    ok(bw_lineage_new(&g, &err) == BW_OK, "new graph");
    /* a -> r1 -> b, b -> r2 -> a: a cycle; r3 reads and writes a (in place) */
    add(g, 10,
        fmt("{\"kind\":\"stage_run\",\"stage\":\"s1\",\"run_id\":\"1\",\"inputs\":[{\"name\":\"a\",\"digest\":{"
            "\"sha256\":\"%s\"}}],\"outputs\":[{\"name\":\"b\",\"digest\":{\"sha256\":\"%s\"}}]}",
            H[4], H[5]));
    add(g, 11,
        fmt("{\"kind\":\"stage_run\",\"stage\":\"s2\",\"run_id\":\"2\",\"inputs\":[{\"name\":\"b\",\"digest\":{"
            "\"sha256\":\"%s\"}}],\"outputs\":[{\"name\":\"a2\",\"digest\":{\"sha256\":\"%s\"}}]}",
            H[5], H[4]));
    add(g, 12,
        fmt("{\"kind\":\"stage_run\",\"stage\":\"s3\",\"run_id\":\"3\",\"inputs\":[{\"name\":\"a\",\"digest\":{"
            "\"sha256\":\"%s\"}}],\"outputs\":[{\"name\":\"a\",\"digest\":{\"sha256\":\"%s\"}}]}",
            H[4], H[4]));
    /* DVC-style: md5 only, then the same content with md5 and sha256 */
    add(g, 13,
        "{\"kind\":\"stage_run\",\"stage\":\"dvc\",\"run_id\":\"d\",\"outputs\":[{\"name\":\"m.pkl\",\"digest\":{"
        "\"md5\":\"0123456789abcdef0123456789abcdef\"}}]}");
    add(g, 14,
        fmt("{\"kind\":\"artifact\",\"name\":\"models/m.pkl\",\"digest\":{\"md5\":\"0123456789abcdef0123456789abcdef\","
            "\"sha256\":\"%s\"}}",
            H[6]));
    is_int(bw_lineage_add(g, 14, "{}", 2, &err), BW_EINVAL, "entries must come in increasing order");
    add(g, 15, "not json");
    add(g, 16, "{\"kind\":\"stage_run\",\"stage\":\"x\",\"run_id\":\"y\",\"inputs\":{\"no\":\"array\"}}");
    add(g, 17,
        fmt("{\"kind\":\"approval\",\"target\":{\"sha256\":\"%s\"},\"decision\":\"approve\",\"reason\":\"ok\"}", H[4]));
    bw_lineage_stats_get(g, &st);
    is_int((int)st.skipped, 2, "unreadable entries are counted as skipped, not errors");
    a = find(g, H[4]);
    b = find(g, H[5]);
    ok(a != b, "two nodes");
    s = query(g, a, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT);
    ok(strstr(s, "(also a2)") != NULL, "a digest with several names shows them all");
    ok(strstr(s, "(*)") != NULL, "the cycle ends at a node already shown");
    ok(strstr(s, "approval approve: ok") != NULL, "an approval by digest is attached");
    free(s);
    s = query(g, a, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_DOT);
    ok(strstr(s, "digraph") != NULL && strstr(s, "-> a") != NULL, "DOT of a cycle");
    free(s);
    {
        uint32_t m5, m2;
        ok(bw_lineage_find_digest(g, "md5:0123456789abcdef0123456789abcdef", &m5) == BW_OK &&
               bw_lineage_find_digest(g, fmt("sha256:%s", H[6]), &m2) == BW_OK && m5 == m2,
           "md5 and sha256 of one content are one node");
        is_str(bw_lineage_key(g, m5), fmt("sha256:%s", H[6]), "its key is the SHA-256 once known");
        uint64_t e[2];
        size_t n;
        bw_lineage_producers(g, m5, e, 2, &n);
        ok(n == 1 && e[0] == 13, "its producer is the DVC run");
        ok(bw_lineage_find_run(g, "dvc", "d", e) == BW_OK && e[0] == 13, "a run is found by stage and id");
        ok(bw_lineage_find_run(g, "dvc", "zz", e) == BW_ENOTFOUND, "an unknown run is not found");
    }
    bw_lineage_free(g);
}

static void test_many_names(void)
{
    bw_lineage *g = NULL;
    bw_error err = {0};
    char *s;
    ok(bw_lineage_new(&g, &err) == BW_OK, "new graph");
    for (int i = 0; i < 40; i++) {
        add(g, (uint64_t)i,
            fmt("{\"kind\":\"artifact\",\"name\":\"copy-%d\",\"digest\":{\"sha256\":\"%s\"}}", i % 30, H[0]));
    }
    s = query(g, find(g, H[0]), BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT);
    ok(strstr(s, "copy-15") != NULL && strstr(s, "copy-16") == NULL && strstr(s, "+14 more") != NULL,
       "names are bounded per node: 16 kept, the other distinct ones counted");
    free(s);
    bw_lineage_free(g);
}

/* Every format with names an attacker chose. */
static void test_hostile(void)
{
    static const char *evil[] = {
        "a\"b\\c\nd\re\tf",                      /* quotes, backslash, newlines */
        "x\"];\n  evil -> node; \"",             /* DOT injection */
        "y\"] --> z[\"#lt;script#gt;<b>#amp;",   /* Mermaid injection, HTML */
        "bell\x07 esc\x1b[31m del\x7f",          /* terminal control */
        "bidi\xe2\x80\xae txt \xc2\x85 nel",     /* U+202E, U+0085 */
        "%%{init: {'theme':'dark'}}%% `md` |p|", /* Mermaid directives */
    };
    bw_lineage *g = NULL;
    bw_error err = {0};
    uint32_t root;
    ok(bw_lineage_new(&g, &err) == BW_OK, "new graph");
    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        bw_buf b = BW_BUF_INIT(1 << 16);
        bw_buf_addstr(&b, "{\"kind\":\"stage_run\",\"stage\":\"");
        bw_json_escape(&b, evil[i], strlen(evil[i]));
        bw_buf_printf(&b, "\",\"run_id\":\"r%zu\",\"inputs\":[{\"name\":\"", i);
        bw_json_escape(&b, evil[i], strlen(evil[i]));
        bw_buf_printf(&b, "\",\"digest\":{\"sha256\":\"%s\"}}],\"outputs\":[{\"name\":\"", H[i % 2 ? 1 : 0]);
        bw_json_escape(&b, evil[i], strlen(evil[i]));
        bw_buf_printf(&b, "-out\",\"digest\":{\"sha256\":\"%s\"}}]}", H[7]);
        add(g, i, b.ptr);
        bw_buf_release(&b);
    }
    root = find(g, H[7]);
    char *t = query(g, root, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT);
    bool clean = true;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        clean = clean && (*p == '\n' || (*p >= 0x20 && *p != 0x7f));
    }
    ok(clean, "text: no control character but the line ends");
    ok(strstr(t, "\xe2\x80\xae") == NULL && strstr(t, "\\u{202e}") != NULL && strstr(t, "\\u{0085}") != NULL,
       "text: bidi override and NEL escaped");
    ok(strstr(t, "a\\\"b") == NULL && strstr(t, "a\"b\\\\c\\nd\\re\\tf") != NULL,
       "text: backslash and newline escaped");
    free(t);

    char *d = query(g, root, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_DOT);
    bool dot_ok = true;
    /* every line is a statement we wrote: a node or an edge between our own ids */
    char *dcopy = strdup(d);
    for (char *line = strtok(dcopy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        dot_ok = dot_ok &&
                 (strncmp(line, "digraph", 7) == 0 || strcmp(line, "}") == 0 || strncmp(line, "  rankdir", 9) == 0 ||
                  strncmp(line, "  node [", 8) == 0 || strncmp(line, "  a", 3) == 0 || strncmp(line, "  r", 3) == 0);
    }
    free(dcopy);
    ok(dot_ok, "DOT: no injected line");
    ok(strstr(d, "a\\\"b\\\\\\\\c\\\\nd") != NULL, "DOT: quote as \\\", backslash doubled, newline as visible \\\\n");
    ok(strstr(d, "evil -> node") != NULL && strstr(d, "x\\\"];") != NULL, "DOT: an injected edge stays in its label");
    {
        /* Graphviz must parse it, and must see exactly the nodes we wrote */
        char path[] = "/tmp/bw-lineage-XXXXXX";
        int fd = mkstemp(path);
        if (fd >= 0 && write(fd, d, strlen(d)) == (ssize_t)strlen(d) && close(fd) == 0 &&
            system("command -v dot >/dev/null 2>&1") == 0) {
            char cmd[256];
            snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' -o /dev/null", path);
            is_int(system(cmd), 0, "Graphviz renders the DOT of hostile names");
            snprintf(cmd, sizeof(cmd),
                     "test \"$(gvpr 'BEG_G{printf(\"%%d %%d\", nNodes($G), nEdges($G))}' '%s')\" = '9 12'", path);
            is_int(system(cmd), 0, "Graphviz sees 9 nodes (3 artifacts + 6 runs) and 12 edges, none injected");
        } else {
            skip(2, "dot (Graphviz) is not installed: scripts/deps.sh installs it");
        }
        unlink(path);
    }
    free(d);

    char *m = query(g, root, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_MERMAID);
    bool mm_ok = true;
    char *mcopy = strdup(m);
    for (char *line = strtok(mcopy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        size_t quotes = 0;
        for (char *p = line; *p; p++) {
            quotes += *p == '"';
        }
        /* labels are a["..."] or r(["..."]): exactly two quotes, and the label holds none of "[]<>{}|` */
        if (strncmp(line, "  a", 3) == 0 && strstr(line, "[\"") != NULL) {
            char *lab = strstr(line, "[\"") + 2, *end = strrchr(line, '"');
            for (char *p = lab; p < end; p++) {
                mm_ok = mm_ok && strchr("\"[]{}|`%", *p) == NULL;
            }
            mm_ok = mm_ok && quotes == 2;
        }
        mm_ok = mm_ok && strstr(line, "%%") == NULL && strstr(line, "<b>") == NULL && strstr(line, "<script") == NULL;
    }
    free(mcopy);
    ok(mm_ok, "Mermaid: labels hold only entity codes for quotes, brackets, HTML and directives");
    ok(strstr(m, "#34;") != NULL && strstr(m, "#35;") != NULL && strstr(m, "#60;b#62;") != NULL,
       "Mermaid: entity codes (#34; quote, #35; hash, #60; #62;)");
    free(m);

    char *j = query(g, root, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_JSON);
    json_t *doc = json_loads(j, 0, NULL);
    bool found = false;
    size_t i;
    json_t *nd;
    json_array_foreach(json_object_get(doc, "nodes"), i, nd)
    {
        json_t *names = json_object_get(nd, "names");
        for (size_t k = 0; k < json_array_size(names); k++) {
            found = found || strcmp(json_string_value(json_array_get(names, k)), evil[0]) == 0;
        }
    }
    ok(doc != NULL && found, "JSON: the names read back byte for byte");
    json_decref(doc);
    free(j);
    bw_lineage_free(g);
}

/* A chain longer than the indentation cap and a real ledger built in one pass. */
static void test_ledger_chain(void)
{
    char dir[] = "/tmp/bw-lineage-db-XXXXXX", path[128];
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_lineage *g = NULL;
    bw_error err = {0};
    bw_lineage_stats st;
    const int N = 200;
    bw_bytes *es = calloc((size_t)N, sizeof(*es));
    char **bodies = calloc((size_t)N, sizeof(*bodies));

    if (mkdtemp(dir) == NULL) {
        skip(4, "no temporary directory");
        return;
    }
    snprintf(path, sizeof(path), "%s/ledger.db", dir);
    o.create = true;
    ok(bw_ledger_open(&l, path, &o, &err) == BW_OK, "a ledger (%s)", err.msg);
    for (int i = 0; i < N; i++) {
        bodies[i] = strdup(fmt("{\"kind\":\"stage_run\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"ci\","
                               "\"stage\":\"s\",\"run_id\":\"%d\",\"exit_status\":0,\"inputs\":[{\"name\":\"f%d\","
                               "\"digest\":{\"sha256\":\"%064x\"}}],\"outputs\":[{\"name\":\"f%d\",\"digest\":{"
                               "\"sha256\":\"%064x\"}}]}",
                               i, i, i, i + 1, i + 1));
        es[i].ptr = (const uint8_t *)bodies[i];
        es[i].len = strlen(bodies[i]);
    }
    ok(bw_ledger_append_batch(l, es, (size_t)N, NULL, NULL, NULL, &err) == BW_OK, "200 runs appended (%s)", err.msg);
    ok(bw_lineage_build(&g, l, &err) == BW_OK, "graph built from the ledger");
    bw_lineage_stats_get(g, &st);
    ok(st.runs == (size_t)N && st.artifacts == (size_t)N + 1, "every run and artifact");
    {
        uint32_t last;
        ok(bw_lineage_find_digest(g, fmt("sha256:%064x", N), &last) == BW_OK, "the last output");
        char *s = query(g, last, BW_LINEAGE_UPSTREAM, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT);
        ok(strstr(s, "f0  ") != NULL, "the chain is followed to its start");
        ok(strstr(s, "[level 40") != NULL, "indentation is capped, the level written instead");
        size_t longest = 0, cur = 0;
        for (const char *p = s; *p; p++) {
            cur = *p == '\n' ? 0 : cur + 1;
            longest = cur > longest ? cur : longest;
        }
        ok(longest < 300, "no line grows with the depth (longest %zu bytes)", longest);
        free(s);
        s = query(g, last, BW_LINEAGE_UPSTREAM, 3, BW_LINEAGE_JSON);
        json_t *j = json_loads(s, 0, NULL);
        is_int((int)json_array_size(json_object_get(j, "nodes")), 7, "depth 3: 4 artifacts and 3 runs");
        json_decref(j);
        free(s);
    }
    bw_lineage_free(g);
    bw_ledger_close(l);
    for (int i = 0; i < N; i++) {
        free(bodies[i]);
    }
    free(bodies);
    free(es);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)!system(cmd);
}

/* The entry model as ledger import needs it (lib/trust/ledger.c): a run's inputs and outputs may be
   known by md5 only, its times may be null; artifacts and gate subjects still need SHA-256. */
static void test_entry_model(void)
{
    static const struct {
        const char *json;
        bw_status want;
        const char *what;
    } cases[] = {
        {"{\"kind\":\"stage_run\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"a\",\"stage\":\"s\",\"run_id\":"
         "\"r\",\"inputs\":[{\"name\":\"d\",\"digest\":{\"md5\":\"0123456789abcdef0123456789abcdef\"},\"size\":"
         "null,\"nfiles\":2}],\"started\":null,\"ended\":null}",
         BW_OK, "a run's input by md5 only, null times: accepted"},
        {"{\"kind\":\"stage_run\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"a\",\"stage\":\"s\",\"run_id\":"
         "\"r\",\"outputs\":[{\"name\":\"d\",\"digest\":{\"sha256\":\"0123\",\"md5\":"
         "\"0123456789abcdef0123456789abcdef\"}}]}",
         BW_EFORMAT, "a short sha256 beside an md5: refused"},
        {"{\"kind\":\"stage_run\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"a\",\"stage\":\"s\",\"run_id\":"
         "\"r\",\"outputs\":[{\"name\":\"d\",\"digest\":{}}]}",
         BW_EFORMAT, "an empty digest set: refused"},
        {"{\"kind\":\"stage_run\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"a\",\"stage\":\"s\",\"run_id\":"
         "\"r\",\"outputs\":[{\"name\":\"d\",\"digest\":{\"md5\":\"XYZ\"}}]}",
         BW_EFORMAT, "a digest that is not lowercase hex: refused"},
        {"{\"kind\":\"artifact\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"a\",\"name\":\"d\",\"digest\":{"
         "\"md5\":\"0123456789abcdef0123456789abcdef\"}}",
         BW_EFORMAT, "an artifact entry by md5 only: refused (artifacts are SHA-256)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bw_buf b = BW_BUF_INIT(1 << 16);
        bw_error err = {0};
        is_int(bw_ledger_entry_canonical(cases[i].json, strlen(cases[i].json), &b, &err), cases[i].want, "%s",
               cases[i].what);
        bw_buf_release(&b);
    }
}

/* With --depth, a node first reached along a long path (its subtree cut there) and then along a
   shorter one is shown again from the shorter one, not marked (*) with its reachable producers hidden. */
static void run3(bw_lineage *g, uint64_t i, const char *stage, const char *in1, const char *in2, const char *out)
{
    char d[3][65];
    const char *src[3] = {in1, in2, out};
    for (int k = 0; k < 3; k++) {
        if (src[k] != NULL) {
            memset(d[k], src[k][0], 64); /* names are one hex letter: the digest repeats it */
            d[k][64] = '\0';
        }
    }
    if (in2 != NULL) {
        add(g, i,
            fmt("{\"kind\":\"stage_run\",\"stage\":\"%s\",\"run_id\":\"%s\",\"inputs\":[{\"name\":\"%s\",\"digest\":{"
                "\"sha256\":\"%s\"}},{\"name\":\"%s\",\"digest\":{\"sha256\":\"%s\"}}],\"outputs\":[{\"name\":\"%s\","
                "\"digest\":{\"sha256\":\"%s\"}}]}",
                stage, stage, in1, d[0], in2, d[1], out, d[2]));
    } else {
        add(g, i,
            fmt("{\"kind\":\"stage_run\",\"stage\":\"%s\",\"run_id\":\"%s\",\"inputs\":[{\"name\":\"%s\",\"digest\":{"
                "\"sha256\":\"%s\"}}],\"outputs\":[{\"name\":\"%s\",\"digest\":{\"sha256\":\"%s\"}}]}",
                stage, stage, in1, d[0], out, d[2]));
    }
}

static void test_depth_shortest(void)
{
    bw_lineage *g = NULL;
    bw_error err = {0};
    uint32_t m;
    char *s;

    ok(bw_lineage_new(&g, &err) == BW_OK, "depth: a graph");
    run3(g, 0, "r1", "a", "e", "f");  /* f <- r1 <- (a, e) */
    run3(g, 1, "r2", "b", NULL, "a"); /* a <- r2 <- b */
    run3(g, 2, "r3", "e", NULL, "b"); /* b <- r3 <- e: e reached again, 3 runs from f */
    run3(g, 3, "r4", "c", NULL, "e"); /* e <- r4 <- c */
    m = find(g, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    s = query(g, m, BW_LINEAGE_UPSTREAM, 3, BW_LINEAGE_TEXT);
    ok(s != NULL && strstr(s, "made by r4") != NULL, "depth 3: e's producer r4 (2 runs from f via r1) is shown");
    ok(s != NULL && strstr(s, "\n            \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 c  ") != NULL,
       "depth 3: and its input c, under the short path");
    if (s == NULL || strstr(s, "made by r4") == NULL) {
        tap_diag("%s", s != NULL ? s : "(null)");
    }
    free(s);
    s = query(g, m, BW_LINEAGE_UPSTREAM, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT);
    ok(s != NULL && strstr(s, "(*)") != NULL && strstr(s, "made by r4") != NULL,
       "no depth limit: e shown once in full, then (*)");
    free(s);
    s = query(g, m, BW_LINEAGE_UPSTREAM, 1, BW_LINEAGE_TEXT);
    ok(s != NULL && strstr(s, "r2") == NULL && strstr(s, "r4") == NULL, "depth 1: only r1 and its inputs");
    free(s);
    bw_lineage_free(g);
}

int main(void)
{
    for (int i = 0; i < 8; i++) {
        for (int k = 0; k < 64; k++) {
            H[i][k] = "0123456789abcdef"[(i * 7 + k * 3 + 1) % 16];
        }
    }
    test_pipeline();
    test_cycle_and_aliases();
    test_many_names();
    test_hostile();
    test_ledger_chain();
    test_entry_model();
    test_depth_shortest();
    return done_testing();
}
