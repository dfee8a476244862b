/*
 * test_merkle.c - RFC 9162 tree hashes and proofs (lib/trust/merkle.c):
 * the RFC 6962 reference tree, proofs built and checked for every leaf and
 * prefix of trees up to 70 leaves against a naive recursive tree hash, every
 * one-byte change refused, and the transparency-dev/merkle proof vectors
 * (../shared/vectors/provenance, skipped when absent): each verifies or
 * fails as its wantErr says.
 */
#include <dirent.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bulwark/bw_merkle.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

/* MTH by the RFC's definition, straight recursion with OpenSSL's one-shot SHA256. */
static void naive_mth(const bw_mhash *d, uint64_t n, bw_mhash *out)
{
    if (n == 0) {
        SHA256((const unsigned char *)"", 0, out->b);
        return;
    }
    if (n == 1) {
        *out = d[0];
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n) {
        k *= 2;
    }
    unsigned char buf[1 + 2 * BW_MERKLE_HASH];
    bw_mhash l, r;
    naive_mth(d, k, &l);
    naive_mth(d + k, n - k, &r);
    buf[0] = 1;
    memcpy(buf + 1, l.b, BW_MERKLE_HASH);
    memcpy(buf + 1 + BW_MERKLE_HASH, r.b, BW_MERKLE_HASH);
    SHA256(buf, sizeof(buf), out->b);
}

static void from_b64(const char *s, bw_mhash *h)
{
    bw_buf b = BW_BUF_INIT(1024);
    size_t bad;
    memset(h, 0, sizeof(*h));
    if (bw_base64_decode(s, strlen(s), &b, &bad) == BW_OK && b.len == BW_MERKLE_HASH) {
        memcpy(h->b, b.ptr, BW_MERKLE_HASH);
    }
    bw_buf_release(&b);
}

static const char *const ref_leaves_hex[8] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};

static void ref_leaves(bw_mhash *d)
{
    for (int i = 0; i < 8; i++) {
        unsigned char raw[16];
        size_t n = strlen(ref_leaves_hex[i]) / 2;
        for (size_t j = 0; j < n; j++) {
            unsigned v;
            sscanf(ref_leaves_hex[i] + 2 * j, "%2x", &v);
            raw[j] = (unsigned char)v;
        }
        bw_merkle_leaf_hash(raw, n, &d[i]);
    }
}

static void test_reference_tree(void)
{
    bw_mhash d[8], root, want, empty;

    ref_leaves(d);
    bw_merkle_root(d, 8, &root);
    from_b64("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=", &want);
    ok(memcmp(root.b, want.b, 32) == 0, "the root of the RFC 6962 reference tree");
    bw_merkle_root(d, 0, &root);
    from_b64("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", &empty);
    ok(memcmp(root.b, empty.b, 32) == 0, "the empty tree is SHA-256 of nothing");
    from_b64("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", &want);
    ok(memcmp(d[0].b, want.b, 32) == 0, "leaf hash of the empty entry is SHA-256(0x00)");
}

static void test_properties(void)
{
    enum { N = 70 };
    bw_mhash d[N], roots[N + 1], proof[BW_MERKLE_MAX_PROOF], bad;
    unsigned wrong_root = 0, inc_fail = 0, inc_accept_bad = 0, con_fail = 0, con_accept_bad = 0, checked = 0;
    size_t len;

    for (int i = 0; i < N; i++) {
        unsigned char e[4] = {(unsigned char)i, 0xA5, (unsigned char)(i * 7), 1};
        bw_merkle_leaf_hash(e, sizeof(e), &d[i]);
    }
    for (uint64_t n = 0; n <= N; n++) {
        bw_mhash naive;
        bw_merkle_root(d, n, &roots[n]);
        naive_mth(d, n, &naive);
        wrong_root += memcmp(roots[n].b, naive.b, 32) != 0;
    }
    for (uint64_t n = 1; n <= N; n++) {
        for (uint64_t m = 0; m < n; m++) {
            if (bw_merkle_inclusion_proof(d, n, m, proof, &len) != BW_OK ||
                bw_merkle_verify_inclusion(m, n, &d[m], proof, len, &roots[n]) != BW_OK) {
                inc_fail++;
                continue;
            }
            checked++;
            /* another index, size, leaf, root, or any changed byte of the proof: refused */
            inc_accept_bad +=
                bw_merkle_verify_inclusion((m + 1) % n, n, &d[m], proof, len, &roots[n]) == BW_OK && n > 1;
            inc_accept_bad += bw_merkle_verify_inclusion(m, n, &d[(m + 1) % N], proof, len, &roots[n]) == BW_OK;
            inc_accept_bad += bw_merkle_verify_inclusion(m, n, &d[m], proof, len, &roots[n - 1]) == BW_OK;
            inc_accept_bad += len > 0 && bw_merkle_verify_inclusion(m, n, &d[m], proof, len - 1, &roots[n]) == BW_OK;
            for (size_t k = 0; k < len; k++) {
                bad = proof[k];
                proof[k].b[k % 32] ^= 0x40;
                inc_accept_bad += bw_merkle_verify_inclusion(m, n, &d[m], proof, len, &roots[n]) == BW_OK;
                proof[k] = bad;
            }
        }
        for (uint64_t m = 1; m <= n; m++) {
            if (bw_merkle_consistency_proof(d, n, m, proof, &len) != BW_OK ||
                bw_merkle_verify_consistency(m, n, &roots[m], &roots[n], proof, len) != BW_OK) {
                con_fail++;
                continue;
            }
            checked++;
            if (m < n) {
                con_accept_bad += bw_merkle_verify_consistency(m, n, &roots[m - 1], &roots[n], proof, len) == BW_OK;
                con_accept_bad += bw_merkle_verify_consistency(m, n, &roots[m], &roots[n - 1], proof, len) == BW_OK;
                for (size_t k = 0; k < len; k++) {
                    bad = proof[k];
                    proof[k].b[(k * 5) % 32] ^= 0x01;
                    con_accept_bad += bw_merkle_verify_consistency(m, n, &roots[m], &roots[n], proof, len) == BW_OK;
                    proof[k] = bad;
                }
            }
        }
    }
    is_int(wrong_root, 0, "bw_merkle_root equals the recursive definition for 0..70 leaves");
    is_int(inc_fail, 0, "every inclusion proof of every leaf of trees of 1..70 leaves verifies");
    is_int(con_fail, 0, "every consistency proof between prefixes of trees up to 70 leaves verifies");
    is_int(inc_accept_bad, 0, "no wrong index, leaf, root, shortened or changed inclusion proof verifies");
    is_int(con_accept_bad, 0, "no wrong root or changed consistency proof verifies");
    ok(checked == 70 * 71 / 2 * 2, "%u proofs checked", checked);
    ok(bw_merkle_inclusion_proof(d, 3, 3, proof, &len) == BW_EINVAL &&
           bw_merkle_consistency_proof(d, 3, 0, proof, &len) == BW_EINVAL &&
           bw_merkle_consistency_proof(d, 3, 4, proof, &len) == BW_EINVAL,
       "out-of-range proof requests are BW_EINVAL");
    ok(bw_merkle_verify_consistency(0, 5, &roots[0], &roots[5], proof, 0) == BW_EVERIFY,
       "a proof from the empty tree proves nothing");
}

/* A JSON number (read as a double) as a uint64, saturating. */
static uint64_t u64(const json_t *v)
{
    double d = json_number_value(v);
    return d >= 18446744073709551615.0 ? UINT64_MAX : d <= 0 ? 0 : (uint64_t)d;
}

/* Run every JSON vector under dir (recursively); count those whose outcome differs from wantErr. */
static void run_dir(const char *dir, bool inclusion, unsigned *files, unsigned *wrong)
{
    DIR *dp = opendir(dir);
    struct dirent *e;

    if (dp == NULL) {
        return;
    }
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char *p = tu_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            run_dir(p, inclusion, files, wrong);
        } else if (strstr(e->d_name, ".json") != NULL) {
            json_t *v = json_load_file(p, JSON_DECODE_INT_AS_REAL, NULL); /* indexes up to 2^64 - 1 */
            json_t *pr = json_object_get(v, "proof");
            bw_mhash proof[BW_MERKLE_MAX_PROOF];
            size_t len = json_array_size(pr);
            bool sized = len <= BW_MERKLE_MAX_PROOF;
            bw_buf b = BW_BUF_INIT(1024);
            size_t bad;
            /* a hash that is not 32 bytes cannot verify: our API has no way to pass one */
            for (size_t i = 0; sized && i < len; i++) {
                const char *s = json_string_value(json_array_get(pr, i));
                bw_buf_reset(&b);
                sized = s != NULL && bw_base64_decode(s, strlen(s), &b, &bad) == BW_OK && b.len == 32;
                if (sized) {
                    memcpy(proof[i].b, b.ptr, 32);
                }
            }
            const char *keys[3] = {inclusion ? "leafHash" : "root1", inclusion ? "root" : "root2", NULL};
            bw_mhash h[2];
            size_t h_len[2] = {0, 0}; /* an inclusion proof needs whole hashes; equal odd roots may still match */
            for (int k = 0; k < 2 && sized; k++) {
                const char *s = json_string_value(json_object_get(v, keys[k]));
                bw_buf_reset(&b);
                /* a root of another length (the vectors' "don't care") goes in zero-padded: equal ones stay equal */
                sized = s != NULL && bw_base64_decode(s, strlen(s), &b, &bad) == BW_OK && b.len <= 32;
                memset(h[k].b, 0, 32);
                if (sized && b.len > 0) {
                    memcpy(h[k].b, b.ptr, b.len);
                }
                h_len[k] = b.len;
            }
            bw_buf_release(&b);
            bw_status rc = BW_EVERIFY;
            bool whole = sized && h_len[0] == 32 && h_len[1] == 32;
            if (whole && inclusion) {
                rc = bw_merkle_verify_inclusion(u64(json_object_get(v, "leafIdx")), u64(json_object_get(v, "treeSize")),
                                                &h[0], proof, len, &h[1]);
            } else if (sized && !inclusion) {
                rc = bw_merkle_verify_consistency(u64(json_object_get(v, "size1")), u64(json_object_get(v, "size2")),
                                                  &h[0], &h[1], proof, len);
            }
            bool want_err = json_is_true(json_object_get(v, "wantErr"));
            if (v == NULL || (rc == BW_OK) == want_err) {
                (*wrong)++;
                tap_diag("%s: %s (%s)", p, rc == BW_OK ? "verified" : "refused",
                         json_string_value(json_object_get(v, "desc")));
            }
            (*files)++;
            json_decref(v);
        }
        free(p);
    }
    closedir(dp);
}

static void test_vectors(void)
{
    const char *shared = getenv("BW_SHARED_DIR");
    char dir[4096];
    struct stat st;
    unsigned files = 0, wrong = 0;

    snprintf(dir, sizeof(dir), "%s/vectors/provenance/transparency-dev-merkle/testdata",
             shared != NULL ? shared : "../shared");
    if (stat(dir, &st) != 0) {
        skip(1, "transparency-dev merkle vectors not found (../shared/vectors/provenance absent)");
        return;
    }
    char *inc = tu_join(dir, "inclusion"), *con = tu_join(dir, "consistency");
    run_dir(inc, true, &files, &wrong);
    run_dir(con, false, &files, &wrong);
    free(inc);
    free(con);
    ok(files > 150, "%u vector files read", files);
    is_int(wrong, 0, "every transparency-dev inclusion and consistency vector verifies or fails as it says");
}

int main(void)
{
    test_reference_tree();
    test_properties();
    test_vectors();
    return done_testing();
}
