/*
 * bench_lineage.c - `bulwark lineage` on a large ledger: DIR gets a ledger.db of N stage runs
 * (default 100,000) from a fixed seed, in batches of 1000: a chain of runs, each reading the
 * previous output and one of 1000 shared datasets, plus an artifact and a gate entry every 100
 * runs. Then it times building the graph (one pass over the ledger) and three queries, printing
 * one line per case and a checksum of the outputs. The ledger stays in DIR, so the CLI can be
 * timed on it too: BULWARK_DIR=DIR bulwark lineage sha256:...  (bench/lineage.sh).
 * usage: bench_lineage DIR [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/bulwark.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void hex_of(uint64_t v, char out[65])
{
    /* a fixed, spread-out 64-hex digest per number */
    uint64_t x = v * 0x9E3779B97F4A7C15ULL + 0x1234567;
    for (int i = 0; i < 64; i++) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ULL;
        out[i] = "0123456789abcdef"[(x >> 59) & 15];
    }
    out[64] = '\0';
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : NULL;
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
    char path[4096], a[65], b[65], c[65];
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_lineage *g = NULL;
    bw_error err = {0};
    bw_lineage_stats st;
    double t0, t1;

    if (dir == NULL || n <= 0) {
        fprintf(stderr, "usage: bench_lineage DIR [N]\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/ledger.db", dir);
    o.create = true;
    if (bw_ledger_open(&l, path, &o, &err) != BW_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    bw_ledger_head h;
    if (bw_ledger_current(l, &h, &err) != BW_OK) {
        return 1;
    }
    if (h.size == 0) {
        enum { B = 1000 };
        static char bodies[B + 20][1024];
        bw_bytes es[B + 20];
        t0 = now();
        for (long i = 0; i < n;) {
            size_t k = 0;
            for (; k < B && i < n; i++) {
                hex_of((uint64_t)i, a);
                hex_of((uint64_t)i + 1, b);
                hex_of(1000000000ULL + (uint64_t)(i % 1000), c);
                snprintf(
                    bodies[k], sizeof(bodies[k]),
                    "{\"kind\":\"stage_run\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"ci\",\"stage\":\"s%ld\","
                    "\"run_id\":\"run-%ld\",\"exit_status\":0,\"command\":[\"python\",\"step.py\"],"
                    "\"inputs\":[{\"name\":\"out-%ld\",\"digest\":{\"sha256\":\"%s\"},\"size\":100},"
                    "{\"name\":\"shared-%ld\",\"digest\":{\"sha256\":\"%s\"},\"size\":100}],"
                    "\"outputs\":[{\"name\":\"out-%ld\",\"digest\":{\"sha256\":\"%s\"},\"size\":100}],"
                    "\"started\":\"2026-11-24T10:00:00Z\",\"ended\":\"2026-11-24T10:00:01Z\"}",
                    i % 7, i, i, a, i % 1000, c, i + 1, b);
                es[k].ptr = (const uint8_t *)bodies[k];
                es[k].len = strlen(bodies[k]);
                k++;
                if (i % 100 == 0) {
                    snprintf(bodies[k], sizeof(bodies[k]),
                             "{\"kind\":\"gate\",\"time\":\"2026-11-24T10:00:02Z\",\"actor\":\"ci\",\"check\":\"scan\","
                             "\"verdict\":\"pass\",\"subject\":{\"sha256\":\"%s\"}}",
                             b);
                    es[k].ptr = (const uint8_t *)bodies[k];
                    es[k].len = strlen(bodies[k]);
                    k++;
                }
            }
            if (bw_ledger_append_batch(l, es, k, NULL, NULL, NULL, &err) != BW_OK) {
                fprintf(stderr, "append: %s\n", err.msg);
                return 1;
            }
        }
        t1 = now();
        printf("made the ledger: %ld stage runs (+ gates) in %.2f s\n", n, t1 - t0);
    }
    t0 = now();
    if (bw_lineage_build(&g, l, &err) != BW_OK) {
        fprintf(stderr, "build: %s\n", err.msg);
        return 1;
    }
    bw_lineage_stats_get(g, &st);
    t1 = now();
    printf("build (one pass, %zu artifacts, %zu runs, %zu edges, %zu gates): %.3f s, %.0f entries/s\n", st.artifacts,
           st.runs, st.edges, st.gates, t1 - t0, (double)(st.runs + st.gates) / (t1 - t0));
    hex_of((uint64_t)n, a);
    snprintf(b, sizeof(b), "%s", a);
    uint32_t root;
    char key[80];
    snprintf(key, sizeof(key), "sha256:%s", a);
    if (bw_lineage_find_digest(g, key, &root) != BW_OK) {
        fprintf(stderr, "no last output\n");
        return 1;
    }
    printf("last output: %s\n", key);
    static const struct {
        const char *what;
        bw_lineage_dir dir;
        uint32_t depth;
        bw_lineage_format f;
    } qs[] = {
        {"upstream, all, text", BW_LINEAGE_UPSTREAM, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT},
        {"upstream, all, json", BW_LINEAGE_UPSTREAM, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_JSON},
        {"upstream, depth 10, dot", BW_LINEAGE_UPSTREAM, 10, BW_LINEAGE_DOT},
    };
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        bw_lineage_query q = BW_LINEAGE_QUERY_INIT;
        bw_buf out = BW_BUF_INIT((size_t)1 << 32);
        uint64_t sum = 0;
        q.roots = &root;
        q.n_roots = 1;
        q.dir = qs[i].dir;
        q.depth = qs[i].depth;
        q.format = qs[i].f;
        t0 = now();
        if (bw_lineage_write(g, &q, &out, &err) != BW_OK) {
            fprintf(stderr, "write: %s\n", err.msg);
            return 1;
        }
        t1 = now();
        for (size_t k = 0; k < out.len; k++) {
            sum = sum * 31 + (unsigned char)out.ptr[k];
        }
        printf("query %-24s %.3f s, %zu bytes, checksum %016llx\n", qs[i].what, t1 - t0, out.len,
               (unsigned long long)sum);
        bw_buf_release(&out);
    }
    bw_lineage_free(g);
    bw_ledger_close(l);
    return 0;
}
