/*
 * bench_ledger.c - the ledger's speed (bench/ledger.sh): batched appends with a signed
 * checkpoint per batch, a full verify, and inclusion and consistency proofs.
 *
 *   bench_ledger DIR|URL [ENTRIES [BATCH]]     defaults: 1000000 entries in batches of 1000
 *
 * DIR: a SQLite ledger made in DIR (and removed at the end); URL: a PostgreSQL store
 * (postgres://...), which must be empty (bench/ledger.sh --store pg makes a fresh schema).
 *
 * Entries are generated from a fixed seed; the last line is the root (a checksum of the run).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/bulwark.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_ledger *l = NULL;
    bw_note_signer ns;
    bw_key *key = NULL;
    bw_error err = {0};
    char path[4096];
    uint64_t total = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000,
             batch = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000;

    if (argc < 2 || batch == 0 || batch > 100000) {
        fprintf(stderr, "usage: bench_ledger DIR|URL [ENTRIES [BATCH]]\n");
        return 2;
    }
    bool url = strstr(argv[1], "://") != NULL;
    if (url) {
        snprintf(path, sizeof(path), "%s", argv[1]);
    } else {
        snprintf(path, sizeof(path), "%s/bench-ledger.db", argv[1]);
        remove(path);
    }
    o.create = true;
    o.origin = "bench.example/ledger";
    if (bw_ledger_open(&l, path, &o, &err) != BW_OK || bw_note_signer_new(o.origin, &ns, &err) != BW_OK ||
        bw_key_generate(BW_KEY_P256, &key, &err) != BW_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    /* register the actor's key */
    bw_buf kb = BW_BUF_INIT(1 << 16);
    if (bw_ledger_key_entry(key, "bench", "bench", "2026-11-24T10:00:00Z", &kb, &err) != BW_OK ||
        bw_ledger_append(l, kb.ptr, kb.len, key, &ns, NULL, &err) != BW_OK) {
        fprintf(stderr, "key: %s\n", err.msg);
        return 1;
    }
    bw_buf_release(&kb);

    char *bufs = malloc(batch * 320);
    bw_bytes *e = malloc(batch * sizeof(*e));
    double t0 = now();
    uint64_t done = 0;
    while (done < total) {
        uint64_t n = total - done < batch ? total - done : batch;
        for (uint64_t i = 0; i < n; i++) {
            char *b = bufs + i * 320;
            uint64_t r = next();
            int len =
                snprintf(b, 320,
                         "{\"kind\":\"artifact\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"bench\","
                         "\"name\":\"shard-%llu.parquet\",\"digest\":{\"sha256\":\"%016llx%016llx%016llx%016llx\"},"
                         "\"media_type\":\"application/vnd.apache.parquet\",\"size\":%llu}",
                         (unsigned long long)(done + i), (unsigned long long)r, (unsigned long long)~r,
                         (unsigned long long)(r * 3), (unsigned long long)(r * 5), (unsigned long long)(r % 1000000));
            e[i].ptr = (const uint8_t *)b;
            e[i].len = (size_t)len;
        }
        if (bw_ledger_append_batch(l, e, n, key, &ns, NULL, &err) != BW_OK) {
            fprintf(stderr, "append: %s\n", err.msg);
            return 1;
        }
        done += n;
    }
    double t1 = now();
    printf("append   %8llu entries in batches of %llu (P-256 batch signature + checkpoint each): %.2f s, %.0f "
           "entries/s\n",
           (unsigned long long)total, (unsigned long long)batch, t1 - t0, (double)total / (t1 - t0));
    bw_ledger_close(l);

    /* verify in a fresh handle, as `ledger verify` does */
    bw_ledger_report rep;
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    vo.note_keys = &ns.v;
    vo.n_note_keys = 1;
    t0 = now();
    if (bw_ledger_open(&l, path, NULL, &err) != BW_OK || bw_ledger_verify(l, &vo, &rep, &err) != BW_OK) {
        fprintf(stderr, "verify: %s\n", err.msg);
        return 1;
    }
    t1 = now();
    printf("verify   %8llu entries, %llu batches, %llu checkpoints: %.2f s\n", (unsigned long long)rep.entries,
           (unsigned long long)rep.batches, (unsigned long long)rep.checkpoints, t1 - t0);

    /* proofs at random indices of the full tree */
    bw_mhash leaf, root, proof[BW_MERKLE_MAX_PROOF], r1;
    size_t len;
    int reps = 10000, bad = 0;
    t0 = now();
    for (int i = 0; i < reps; i++) {
        uint64_t m = next() % rep.entries;
        if (bw_ledger_inclusion(l, m, 0, &leaf, &root, proof, &len, &err) != BW_OK ||
            bw_merkle_verify_inclusion(m, rep.entries, &leaf, proof, len, &root) != BW_OK) {
            bad++;
        }
    }
    t1 = now();
    printf("proof    inclusion (build + verify), %d at random: %.1f us each, %d bad\n", reps, (t1 - t0) * 1e6 / reps,
           bad);
    t0 = now();
    for (int i = 0; i < reps; i++) {
        uint64_t m = next() % rep.entries + 1;
        if (bw_ledger_consistency(l, m, 0, &r1, &root, proof, &len, &err) != BW_OK ||
            bw_merkle_verify_consistency(m, rep.entries, &r1, &root, proof, len) != BW_OK) {
            bad++;
        }
    }
    t1 = now();
    printf("proof    consistency (build + verify), %d at random: %.1f us each, %d bad\n", reps, (t1 - t0) * 1e6 / reps,
           bad);
    char hex[65];
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", rep.root.b[i]);
    }
    printf("root     %s\n", hex);
    bw_ledger_close(l);
    bw_key_free(key);
    bw_note_signer_clear(&ns);
    free(bufs);
    free(e);
    if (!url) {
        remove(path);
    }
    return bad != 0;
}
