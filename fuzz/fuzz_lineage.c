/*
 * fuzz_lineage.c - the lineage graph (lib/trust/lineage.c) from arbitrary ledger entries: the
 * input is split at newlines into entry bodies (indexes 0, 1, ...), each added to a graph (never
 * an error but out of memory), then every artifact node up to 8 is written in every format and
 * direction. Invariants: no crash; text output holds no control character but line ends; DOT and
 * Mermaid output has no line that does not start with what the writer itself puts there (a name
 * cannot inject a statement); JSON output is complete (bw_json_finish inside the writer).
 */
#include <string.h>

#include "fuzz.h"

static void check_lines(const bw_buf *b, bw_lineage_format f)
{
    const char *p = b->ptr, *end = b->ptr + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            FUZZ_CHECK(f == BW_LINEAGE_JSON || (c >= 0x20 && c != 0x7f));
        }
        if (f == BW_LINEAGE_DOT) {
            FUZZ_CHECK(n == 0 || strncmp(p, "digraph", 7) == 0 || (n == 1 && p[0] == '}') ||
                       strncmp(p, "  a", 3) == 0 || strncmp(p, "  r", 3) == 0 || strncmp(p, "  node", 6) == 0);
        }
        if (f == BW_LINEAGE_MERMAID) {
            FUZZ_CHECK(strncmp(p, "flowchart", 9) == 0 || strncmp(p, "  a", 3) == 0 || strncmp(p, "  r", 3) == 0 ||
                       strncmp(p, "  class", 7) == 0);
            /* inside a label (after the opening quote) no quote but the closing one */
            const char *q = memchr(p, '"', n);
            if (q != NULL) {
                const char *q2 = memchr(q + 1, '"', n - (size_t)(q + 1 - p));
                FUZZ_CHECK(q2 != NULL && memchr(q2 + 1, '"', n - (size_t)(q2 + 1 - p)) == NULL);
            }
        }
        p += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_lineage *g = NULL;
    bw_error err;
    const char *p = (const char *)data, *end = p + size;
    uint64_t index = 0;
    bw_lineage_stats st;

    if (bw_lineage_new(&g, &err) != BW_OK) {
        return 0;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        bw_status rc = bw_lineage_add(g, index++, p, n, &err);
        FUZZ_CHECK(rc == BW_OK || rc == BW_ENOMEM);
        p += n + 1;
    }
    bw_lineage_stats_get(g, &st);
    for (uint32_t root = 0; root < st.artifacts && root < 8; root++) {
        FUZZ_CHECK(bw_lineage_key(g, root) != NULL);
        for (int f = BW_LINEAGE_TEXT; f <= BW_LINEAGE_MERMAID; f++) {
            for (int d = 1; d <= 3; d++) {
                bw_lineage_query q = BW_LINEAGE_QUERY_INIT;
                bw_buf out = BW_BUF_INIT((size_t)64 << 20);
                q.roots = &root;
                q.n_roots = 1;
                q.dir = (bw_lineage_dir)d;
                q.format = (bw_lineage_format)f;
                q.depth = d == 3 ? 2 : BW_LINEAGE_DEPTH_ALL;
                if (bw_lineage_write(g, &q, &out, &err) == BW_OK) {
                    check_lines(&out, (bw_lineage_format)f);
                }
                bw_buf_release(&out);
            }
        }
    }
    bw_lineage_free(g);
    return 0;
}
