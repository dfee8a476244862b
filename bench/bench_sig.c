/*
 * bench_sig.c - the cost of one signature (issue 7: "verifying one signature under 1 ms"):
 * a Sigstore bundle holding an OMS statement of a 100-file model, signed with each key type,
 * then parsed and verified (bw_bundle_parse + bw_bundle_verify, what `bulwark verify` does
 * before it rehashes the files) N times; signing (bw_bundle_sign) likewise. Prints a Markdown
 * table of microseconds per operation (best of 5 rounds).
 *
 * usage: bench_sig [N]   (default 2000 per round)
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

/* An OMS-shaped statement of nfiles resources (the payload size is what matters here). */
static void statement(bw_buf *out, int nfiles)
{
    bw_buf_addstr(out, "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"model\",\"digest\":"
                       "{\"sha256\":\"");
    for (int i = 0; i < 64; i++) {
        bw_buf_addc(out, "0123456789abcdef"[i % 16]);
    }
    bw_buf_addstr(out, "\"}}],\"predicateType\":\"https://model_signing/signature/v1.0\",\"predicate\":{"
                       "\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false,"
                       "\"ignore_paths\":[]},\"resources\":[");
    for (int i = 0; i < nfiles; i++) {
        bw_buf_printf(out, "%s{\"name\":\"layer-%03d.safetensors\",\"algorithm\":\"sha256\",\"digest\":\"",
                      i ? "," : "", i);
        for (int k = 0; k < 64; k++) {
            bw_buf_addc(out, "0123456789abcdef"[(i + k) % 16]);
        }
        bw_buf_addstr(out, "\"}");
    }
    bw_buf_addstr(out, "]}}");
}

int main(int argc, char **argv)
{
    static const bw_key_type types[] = {BW_KEY_P256, BW_KEY_P384, BW_KEY_ED25519};
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    bw_buf payload = BW_BUF_INIT(SIZE_MAX / 2);
    bw_error err = {0};

    if (n < 1) {
        fprintf(stderr, "usage: bench_sig [N]\n");
        return 2;
    }
    statement(&payload, 100);
    printf("| key | payload bytes | bundle bytes | sign µs | parse + verify µs |\n|---|---:|---:|---:|---:|\n");
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        bw_key *k = NULL;
        bw_buf bundle = BW_BUF_INIT(SIZE_MAX / 2);
        double best_sign = 1e9, best_verify = 1e9;
        if (bw_key_generate(types[t], &k, &err) != BW_OK ||
            bw_bundle_sign("application/vnd.in-toto+json", payload.ptr, payload.len, k, &bundle, &err) != BW_OK) {
            fprintf(stderr, "bench_sig: %s\n", err.msg);
            return 1;
        }
        for (int round = 0; round < 5; round++) {
            double t0 = now();
            for (int i = 0; i < n / 4 + 1; i++) {
                bw_buf b = BW_BUF_INIT(SIZE_MAX / 2);
                if (bw_bundle_sign("application/vnd.in-toto+json", payload.ptr, payload.len, k, &b, &err) != BW_OK) {
                    fprintf(stderr, "bench_sig: %s\n", err.msg);
                    return 1;
                }
                bw_buf_release(&b);
            }
            double t1 = now();
            for (int i = 0; i < n; i++) {
                bw_bundle bd;
                bw_dsse_verified v;
                const bw_key *keys[] = {k};
                if (bw_bundle_parse(bundle.ptr, bundle.len, "bench", &bd, &err) != BW_OK ||
                    bw_bundle_verify(&bd, "bench", keys, 1, &v, &err) != BW_OK) {
                    fprintf(stderr, "bench_sig: %s\n", err.msg);
                    return 1;
                }
                bw_dsse_verified_release(&v);
                bw_bundle_release(&bd);
            }
            double t2 = now();
            best_sign = (t1 - t0) / (n / 4 + 1) < best_sign ? (t1 - t0) / (n / 4 + 1) : best_sign;
            best_verify = (t2 - t1) / n < best_verify ? (t2 - t1) / n : best_verify;
        }
        printf("| %s | %zu | %zu | %.1f | %.1f |\n", bw_key_type_name(types[t]), payload.len, bundle.len,
               best_sign * 1e6, best_verify * 1e6);
        bw_buf_release(&bundle);
        bw_key_free(k);
    }
    bw_buf_release(&payload);
    return 0;
}
