/*
 * test_salign.c - the secrets engine finds the same hits wherever a buffer
 * starts in memory.
 *
 * Debian's Vectorscan 5.4.9 on an AVX-512 host lost an email address in a
 * CSV row when the row began 6 to 36 bytes past a 64-byte boundary (an
 * AVX-512 tail-scan bug, fixed upstream later); Intel Hyperscan 5.4.0 does
 * not. A scanner that misses a secret because of where malloc() put its
 * buffer is broken, so this test scans each input from every offset of a
 * 64-byte line and compares the hits with those found at offset 0.
 *
 * Also here: the engine's sort of hit arrays (a natural merge sort), against
 * a plain stable insertion sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/sengine.h"
#include "stestutil.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static unsigned next(unsigned m)
{
    return tu_next(&rng, m);
}

/* rows like a customer table: names, emails, phones in several national forms, dates, addresses */
static char *table(size_t rows, size_t *len)
{
    static const char *const first[] = {"Cynthia", "Steven", "Eric", "Lena", "Chloe", "Mateo", "Barbara", "Priya"};
    static const char *const last[] = {"Campbell", "Silva", "Hansen", "Petrov", "Nielsen", "Byrne", "Ivanov"};
    static const char *const dom[] = {"proton.me",     "outlook.com", "gmx.de",    "umbrella-health.org",
                                      "acme-corp.com", "example.org", "hooli.dev", "stark-industries.co.uk"};
    static const char *const phone[] = {"+44 7929 864566",   "(626) 219-1459", "07309 029075", "+49 152 2544198",
                                        "+33 6 39 83 75 77", "+31 6 67983572", "724.787.7348", "+91 9621 457812"};
    size_t cap = rows * 256 + 256, n = 0;
    char *p = malloc(cap);

    n += (size_t)snprintf(p + n, cap - n, "id,first_name,last_name,email,phone,date_of_birth,street_address,city\n");
    for (size_t i = 0; i < rows; i++) {
        const char *f = first[next(BW_ARRAY_LEN(first))], *l = last[next(BW_ARRAY_LEN(last))];
        n += (size_t)snprintf(p + n, cap - n, "%u,%s,%s,%c%s%s%u@%s,%s,19%02u-%02u-%02u,\"%u Park Road\",Leeds\n",
                              1000000 + next(9000000), f, l, f[0] + 32, f + 1, next(2) ? "_x" : ".", next(100),
                              dom[next(BW_ARRAY_LEN(dom))], phone[next(BW_ARRAY_LEN(phone))], 40 + next(60),
                              1 + next(12), 1 + next(28), next(9999));
    }
    *len = n;
    return p;
}

struct run {
    bw_sengine *e;
    bw_sscratch *s;
    char *buf; /* 64-byte aligned, room for cap bytes of input plus 64 */
    size_t cap;
    bw_shits ref, got;
    size_t inputs, bad, hits;
};

/* Scan p[0..n) at each offset of `offs` past a 64-byte boundary; compare with offset 0. */
static void check(struct run *r, const char *name, const char *p, size_t n, const unsigned *offs, size_t noffs)
{
    bw_error err;
    size_t differ = 0;

    bw_error_clear(&err);
    memcpy(r->buf, p, n);
    r->ref.n = 0;
    if (bw_sengine_scan(r->e, r->s, r->buf, n, 0, n, &r->ref, &err) != BW_OK) {
        tap_diag("%s: %s", name, err.msg);
        r->bad++;
        return;
    }
    for (size_t k = 0; k < noffs; k++) {
        memcpy(r->buf + offs[k], p, n);
        r->got.n = 0;
        if (bw_sengine_scan(r->e, r->s, r->buf + offs[k], n, 0, n, &r->got, &err) != BW_OK ||
            !tu_same_hits(&r->ref, &r->got)) {
            if (differ++ == 0) {
                tap_diag("%s: %zu hits at offset 0, %zu at offset %u", name, r->ref.n, r->got.n, offs[k]);
            }
        }
    }
    r->inputs++;
    r->hits += r->ref.n;
    r->bad += differ > 0;
}

/* sorted runs, shuffled stretches and many equal keys; rule = the original index, to see stability */
static void test_sort(bw_sscratch *s)
{
    bw_shits h = {0}, ref = {0};
    size_t bad = 0, total = 0;

    for (int round = 0; round < 200; round++) {
        size_t n = next(round < 20 ? 8 : 3000), key = 0;
        unsigned style = next(4);
        h.n = 0;
        for (size_t i = 0; i < n; i++) {
            bw_shit x = {0};
            if (style == 0) {
                key = next(50); /* random, many ties */
            } else if (style == 1) {
                key += next(3); /* one sorted run */
            } else if (style == 2) {
                key = i < n / 2 ? i * 2 : (i - n / 2) * 2 + 1; /* two interleaved runs */
            } else {
                key = next(8) == 0 ? next(100000) : key + next(40); /* mostly sorted */
            }
            x.rule = (uint32_t)i;
            x.start = x.sstart = key;
            x.end = x.send = key + 1;
            bw_shits_push(&h, &x);
        }
        ref.n = 0;
        bw_shits_append(&ref, h.v, h.n);
        for (size_t i = 1; i < ref.n; i++) { /* stable insertion sort */
            bw_shit x = ref.v[i];
            size_t j = i;
            while (j > 0 && ref.v[j - 1].sstart > x.sstart) {
                ref.v[j] = ref.v[j - 1];
                j--;
            }
            ref.v[j] = x;
        }
        if (bw_shits_sort_sstart(s, &h) != BW_OK || h.n != ref.n ||
            (n > 0 && memcmp(h.v, ref.v, n * sizeof(bw_shit)) != 0)) {
            bad++;
        }
        total++;
    }
    ok(bad == 0, "hit arrays sort like a stable insertion sort (%zu arrays, %zu differ)", total, bad);
    bw_shits_release(&h);
    bw_shits_release(&ref);
}

/* tu_file_fn: a corpus file from eight offsets */
static void check_file(void *ctx, const char *rel, const char *p, size_t n)
{
    static const unsigned few[] = {1, 6, 13, 21, 32, 37, 50, 63};
    struct run *r = ctx;

    if (n <= r->cap) {
        check(r, rel, p, n, few, BW_ARRAY_LEN(few));
    }
}

int main(void)
{
    /* two rows of the 1 GB benchmark corpus on which Vectorscan 5.4.9 lost the second row's email */
    static const char rows[] =
        "4154640,Mateo,Byrne,mbyrne@example.com,724.787.7348,1941-12-14,\"8955 Madison Way, Apt 271\",Portland,"
        "83807,US,2022-03-09T22:47:05.531Z,97,365.5,false\n"
        "1468407,Chloe,Nielsen,chloe_nielsen23@acme-corp.com,+31 6 67983572,1978-11-02,\"9222 Chestnut Court\","
        "Amsterdam,5023 VP,NL,2024-10-10T10:55:41.385Z,199,8895.24,true\n";
    unsigned all[63];
    char *tmp = tu_tmpdir();
    bw_sengine_opts o = {tmp, false, 0, false, false};
    struct run r = {0};
    bw_error err;
    size_t cap = (size_t)4 << 20, n = 0, emails = 0;
    char *p;

    for (unsigned i = 0; i < 63; i++) {
        all[i] = i + 1;
    }
    bw_error_clear(&err);
    r.cap = cap;
    r.buf = aligned_alloc(64, cap + 64);
    if (r.buf == NULL || bw_sengine_new(&r.e, bw_builtin_rules, bw_builtin_rule_count, &o, &err) != BW_OK ||
        bw_sscratch_new(r.e, &r.s, &err) != BW_OK) {
        ok(false, "engine: %s", err.msg);
        return done_testing();
    }
    test_sort(r.s);
    ok(!bw_sengine_runtime_flaky(r.e), "the Hyperscan runtime passes the engine's own alignment self-check");
    check(&r, "two corpus rows", rows, strlen(rows), all, BW_ARRAY_LEN(all));
    for (size_t i = 0; i < r.ref.n; i++) {
        const bw_shit *h = &r.ref.v[i];
        emails += strcmp(bw_builtin_rules[h->rule].id, "email-address") == 0 &&
                  strncmp(rows + h->sstart, "chloe_nielsen23@acme-corp.com", h->send - h->sstart) == 0;
    }
    /* (the first row's address is at a reserved example domain: a decoy) */
    ok(emails == 1 && r.bad == 0, "the second row's email is found from every offset");

    /* every rule's sample and near miss, one after the other */
    p = malloc(cap);
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        const bw_srule *rl = &bw_builtin_rules[i];
        n += (size_t)snprintf(p + n, cap - n, "%s\n%s\n", rl->sample ? rl->sample : "",
                              rl->near_miss ? rl->near_miss : "");
    }
    check(&r, "the rules' samples", p, n, all, BW_ARRAY_LEN(all));
    free(p);
    for (int round = 0; round < 4; round++) {
        char name[32];
        p = table(200 + next(400), &n);
        snprintf(name, sizeof(name), "generated table %d", round);
        check(&r, name, p, n, all, BW_ARRAY_LEN(all));
        free(p);
    }
    /* every file of the labeled corpus, when the source tree is at hand, from eight offsets */
    (void)tu_each_corpus_file(check_file, &r);
    ok(r.hits > 1000, "the inputs hold secrets and personal data to find (%zu inputs, %zu hits)", r.inputs, r.hits);
    ok(r.bad == 0, "every input gives the same hits from every offset (%zu inputs, %zu differ)", r.inputs, r.bad);
    bw_shits_release(&r.ref);
    bw_shits_release(&r.got);
    bw_sscratch_free(r.s);
    bw_sengine_free(r.e);
    free(r.buf);
    tu_rm_rf(tmp);
    free(tmp);
    return done_testing();
}
