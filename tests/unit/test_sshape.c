/*
 * test_sshape.c - the digit-run prefilter of the personal-data rules
 * (lib/scan/sshape.c): the shapes it reports, its bounds, and a differential
 * check that the engine finds exactly the same secrets and personal data with
 * the prefilter as with every rule in Hyperscan (sengine opts.no_shapes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/sengine.h"
#include "scan/sshape.h"
#include "stestutil.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

struct got {
    size_t n;
    bw_shape shape[64];
    size_t to[64];
};

static int collect(void *ctx, bw_shape shape, size_t to)
{
    struct got *g = ctx;

    if (g->n < 64) {
        g->shape[g->n] = shape;
        g->to[g->n] = to;
        g->n++;
    }
    return 0;
}

/* The candidate `to` of shape in s, or 0 if none. The input is copied to a buffer of exactly its size (ASan). */
static size_t cand(const char *s, bw_shape shape)
{
    size_t n = strlen(s), to = 0;
    char *p = malloc(n + 1);
    struct got g = {0};

    memcpy(p, s, n);
    bw_shape_scan(p, n, n, ~0u, collect, &g);
    for (size_t i = 0; i < g.n; i++) {
        if (g.shape[i] == shape && to == 0) {
            to = g.to[i];
        }
    }
    free(p);
    return to;
}

static void test_shapes(void)
{
    /* each shape where its rule could match, and the end the engine confirms from */
    is_int((long long)cand("card 4716 9929 8785 8995 ok", BW_SHAPE_CARD), 24,
           "card with spaces: ends after its digits");
    is_int((long long)cand("4716992987858995", BW_SHAPE_CARD), 16, "card digits only, at the end of the buffer");
    is_int((long long)cand("x4716992987858995", BW_SHAPE_CARD), 0, "no card right after a letter");
    is_int((long long)cand("7716992987858995", BW_SHAPE_CARD), 0, "no card starting with 7");
    is_int((long long)cand("4716 9929 88", BW_SHAPE_CARD), 0, "ten digits are no card");
    is_int((long long)cand("4716-9929-8785-8995-1234-5678", BW_SHAPE_CARD), 23,
           "a long chain: the candidate ends at the 19th digit");
    is_int((long long)cand("call (415) 867-2043 now", BW_SHAPE_NANP), 19, "NANP with parentheses");
    is_int((long long)cand("415-867-2043", BW_SHAPE_NANP), 12, "NANP with dashes");
    is_int((long long)cand("115-867-2043", BW_SHAPE_NANP), 0, "NANP area codes start 2-9");
    is_int((long long)cand("ssn 536-22-1480", BW_SHAPE_SSN), 15, "SSN");
    is_int((long long)cand("536-22-148", BW_SHAPE_SSN), 0, "SSN cut short at the end of the buffer");
    is_int((long long)cand("id 4913 0042 4763", BW_SHAPE_AADHAAR), 17, "Aadhaar in 4-4-4");
    is_int((long long)cand("GB93 NWBK 5512", BW_SHAPE_IBAN), 4, "IBAN: after the check digits");
    is_int((long long)cand("JH 41 82 77 C", BW_SHAPE_NINO), 5, "NINO with a space after the letters");
    is_int((long long)cand("BQKPM4821L", BW_SHAPE_PAN), 10, "PAN");
    is_int((long long)cand("BQKPM4821", BW_SHAPE_PAN), 0, "PAN without its last letter");
    is_int((long long)cand("ip=51.158.42.117 ok", BW_SHAPE_IPV4), 16, "IPv4");
    is_int((long long)cand("x.51.158.42.117", BW_SHAPE_IPV4), 0, "no IPv4 right after a dot");
    is_int((long long)cand("1.2.3", BW_SHAPE_IPV4), 0, "three octets are no IPv4");
    is_int((long long)cand("1.2.3.4444", BW_SHAPE_IPV4), 0, "an octet of four digits");
    /* the punctuation shapes: exactly the ends of their rules' Hyperscan anchors */
    is_int((long long)cand("mail k.obrien@gmx.net now", BW_SHAPE_EMAIL), 19, "email: one byte past the dot");
    is_int((long long)cand("a@b.c", BW_SHAPE_EMAIL), 5, "email at the end of the buffer");
    is_int((long long)cand("a@b.", BW_SHAPE_EMAIL), 0, "email without a byte after the dot");
    is_int((long long)cand("a@.b", BW_SHAPE_EMAIL), 0, "email with an empty label");
    {
        char e[80];
        memset(e, 'x', sizeof(e));
        e[0] = '@';
        e[64] = '.';
        e[79] = '\0';
        is_int((long long)cand(e, BW_SHAPE_EMAIL), 66, "email: a 63-byte label");
        e[64] = 'x';
        e[65] = '.';
        is_int((long long)cand(e, BW_SHAPE_EMAIL), 0, "email: no 64-byte label");
    }
    is_int((long long)cand("T=MTue.76wGBY.0BV6ZMqw;", BW_SHAPE_DOTS), 22, "dot pair: eight token bytes after");
    is_int((long long)cand("T=MTue.76wGBY.0BV6ZMq", BW_SHAPE_DOTS), 0, "dot pair: seven token bytes are too few");
    is_int((long long)cand("T=.76wGBY.0BV6ZMqw", BW_SHAPE_DOTS), 0, "dot pair: a token byte before");
    is_int((long long)cand("x.a.b.c.d.e.f.g.h.i", BW_SHAPE_DOTS), 0, "dots 2 apart are no pair");
    is_int((long long)cand("xV_PF84_a5d8a871-f891-", BW_SHAPE_UNDERS), 22, "underscore pair (Webex)");
    is_int((long long)cand("xV_Pf84_a5d8a871-f891-", BW_SHAPE_UNDERS), 0, "underscore pair: capitals only");
    is_int((long long)cand("2/6532275004355762", BW_SHAPE_SLASH), 14, "slash then twelve digits");
    is_int((long long)cand("2/65322750043", BW_SHAPE_SLASH), 0, "slash then eleven digits");
    is_int((long long)cand("a/653227500435", BW_SHAPE_SLASH), 0, "slash after a letter");
    {
        /* a dot pair and an underscore pair across a 64-byte boundary */
        char big[160];
        struct got g = {0};
        memset(big, ' ', sizeof(big));
        memcpy(big + 58, "a.bcdefg.hijklmno", 17);
        memcpy(big + 120, "xV_PF84_a5d8a871-f891-", 22);
        bw_shape_scan(big, sizeof(big), sizeof(big), (1u << BW_SHAPE_DOTS) | (1u << BW_SHAPE_UNDERS), collect, &g);
        ok(g.n == 2 && g.to[0] == 75 && g.to[1] == 142, "pairs across block boundaries are found (%zu)", g.n);
        g.n = 0;
        bw_shape_scan(big, sizeof(big), 59, 1u << BW_SHAPE_DOTS, collect, &g);
        ok(g.n == 0, "a dot at `stop` is not looked at");
    }
    {
        /* runs across the 64-byte blocks, and a buffer that is all digits */
        char big[300];
        struct got g = {0};
        memset(big, 'x', sizeof(big));
        big[59] = ' ';
        memcpy(big + 60, "4716 9929 8785 8995", 19);
        memset(big + 200, '7', 100);
        bw_shape_scan(big, sizeof(big), sizeof(big), 1u << BW_SHAPE_CARD, collect, &g);
        ok(g.n == 1 && g.to[0] == 79, "a card across a block boundary is found once (%zu)", g.n);
        g.n = 0;
        bw_shape_scan(big, sizeof(big), 61, 1u << BW_SHAPE_CARD, collect, &g);
        ok(g.n == 1, "runs starting before `stop` are looked at");
        g.n = 0;
        bw_shape_scan(big, sizeof(big), 60, 1u << BW_SHAPE_CARD, collect, &g);
        ok(g.n == 0, "runs starting at `stop` are not");
    }
}

/* A deterministic generator of digit- and punctuation-heavy text: near-misses of every shape. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned next(unsigned m)
{
    return tu_next(&rng, m);
}

/*
 * Text made of the shapes' templates (d a digit, A a capital, a an
 * alphanumeric, h a lower-case hex digit, t a token byte), filled at
 * random, one in four with a byte changed, dropped or doubled, joined by
 * assorted separators: hits, near misses and everything in between.
 */
static char *noise(size_t n)
{
    static const char *const tmpl[] = {
        "dddd dddd dddd dddd",
        "dddd-dddd-dddd-dddd",
        "dddddddddddddddd",
        "ddd-dd-dddd",
        "(ddd) ddd-dddd",
        "ddd.ddd.dddd",
        "ddd-ddd-dddd",
        "dddd dddd dddd",
        "AAdd AAAA dddd dddd dd",
        "AAddddddddddddddddd",
        "AA dd dd dd A",
        "AAddddddA",
        "AAAAAddddA",
        "d.d.d.d",
        "ddd.dd.d.ddd",
        "dd.ddd.ddd.dd.d",
        "+dd ddd ddd dddd",
        "ddddd",
        "dd:dd:dd.ddd",
        "dddd-dd-dd",
        "dddd-dd-dd dd:dd:dd",
        "dddd-dd-ddTdd:dd:dd.dddZ",
        "ddd-dd-ddd",
        "dddd ddd dddd",
        "d.d.d.d.d",
        "dddd.ddd.dddd",
        "ttt@ttt.tt",
        "tt.t@t-t.tt.ttt",
        "Mttttttttttttttttttttttttt.tttttt.ttttttttttttttttttttttttttt",
        "tttttttt.tttttt.tttttttt",
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_AAAA_hhhhhhhh-hhhh-hhhh-"
         "hhhh-hhhhhhhhhhhh"),
        "a_AdAd_hhhhhhhh-hhhh-",
        "d/dddddddddddddddd/dddddddddddddddd:hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
        "d/dddddddddddd:hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"};
    static const char joiners[] = " ,\n;:=x.-(|\t_";
    static const char any[] = "0123456789 -.()AZx@_/";
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static const char hex[] = "0123456789abcdef";
    char *p = malloc(n);
    size_t i = 0;

    while (i < n) {
        const char *t = tmpl[next(BW_ARRAY_LEN(tmpl))];
        unsigned mutate = next(4) == 0 ? next((unsigned)strlen(t)) + 1 : 0;
        for (size_t k = 0; t[k] != '\0' && i < n; k++) {
            char c = t[k];
            switch (t[k]) {
            case 'd': c = (char)('0' + next(10)); break;
            case 'A': c = (char)('A' + next(26)); break;
            case 'a': c = alnum[next(sizeof(alnum) - 1)]; break;
            case 'h': c = hex[next(sizeof(hex) - 1)]; break;
            case 't': c = next(16) == 0 ? "_-"[next(2)] : alnum[next(sizeof(alnum) - 1)]; break;
            default: break;
            }
            if (mutate == k + 1) {
                unsigned how = next(3);
                if (how == 0) {
                    c = any[next(sizeof(any) - 1)];
                } else if (how == 1) {
                    continue; /* dropped */
                } else if (i + 1 < n) {
                    p[i++] = c; /* doubled */
                }
            }
            p[i++] = c;
        }
        if (i < n) {
            p[i++] = joiners[next(sizeof(joiners) - 1)];
        }
    }
    return p;
}

static void test_differential(const char *cache)
{
    bw_sengine_opts o1 = {cache, false, 0, false, false}, o2 = {cache, false, 0, true, false};
    struct tu_pair t;
    size_t noise_hits = 0;
    char name[96];

    if (!tu_pair_open(&t, &o1, &o2)) {
        tu_pair_close(&t);
        return;
    }
    /* every shaped rule's sample and near miss */
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        const bw_srule *r = &bw_builtin_rules[i];
        const char *lines[2] = {r->sample, r->near_miss};
        if (r->shape == BW_SHAPE_NONE) {
            continue;
        }
        for (int k = 0; k < 2; k++) {
            if (lines[k] == NULL || lines[k][0] == '\0') {
                continue;
            }
            snprintf(name, sizeof(name), "%s's %s", r->id, k ? "near miss" : "sample");
            (void)tu_pair_check(&t, name, lines[k], strlen(lines[k]));
        }
    }
    /* generated digit-heavy noise, with shapes at the very end of the buffer */
    for (int round = 0; round < 40; round++) {
        size_t n = 2000 + next(30000);
        char *p = noise(n);
        snprintf(name, sizeof(name), "noise round %d", round);
        (void)tu_pair_check(&t, name, p, n);
        noise_hits += t.h[1].n;
        free(p);
    }
    /* every file of the labeled corpus, when the source tree is at hand */
    (void)tu_each_corpus_file(tu_pair_file, &t);
    ok(noise_hits > 100, "the generated noise holds personal data to find (%zu hits)", noise_hits);
    ok(t.inputs > 40 && t.bad == 0, "prefilter and Hyperscan find the same (%zu inputs, %zu differ)", t.inputs, t.bad);
    tu_pair_close(&t);
}

/* Every candidate of a scan, in order. */
struct all {
    size_t n, cap;
    size_t *v; /* shape * 2^32 + to, clear of collisions for inputs under 4 GB */
};

static int collect_all(void *ctx, bw_shape shape, size_t to)
{
    struct all *a = ctx;

    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        size_t *v = realloc(a->v, cap * sizeof(*v));
        if (v == NULL) {
            return 1;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = ((size_t)shape << 32) | to;
    return 0;
}

/*
 * The byte classifiers (portable C, SSE2, AVX2, AVX-512BW: those this CPU
 * has) report the same candidates, on noise cut at every length near a
 * 64-byte block and with `stop` anywhere.
 */
static void test_levels(void)
{
    int best = bw_shape_simd(-1), bad = 0, runs = 0;

    tap_diag("byte classifier levels here: 0..%d", best);
    for (int round = 0; round < 60; round++) {
        size_t n = round < 20 ? 50 + (size_t)round * 4 : 1 + next(20000);
        size_t stop = round % 3 == 0 ? n : next((unsigned)n + 1);
        char *p = noise(n);
        struct all ref = {0, 0, NULL};

        bw_shape_simd(0);
        bw_shape_scan(p, n, stop, ~0u, collect_all, &ref);
        for (int level = 1; level <= best; level++) {
            struct all got = {0, 0, NULL};
            bw_shape_simd(level);
            bw_shape_scan(p, n, stop, ~0u, collect_all, &got);
            runs++;
            if (got.n != ref.n || (ref.n > 0 && memcmp(got.v, ref.v, ref.n * sizeof(*ref.v)) != 0)) {
                bad++;
                tap_diag("level %d differs from portable C on round %d (%zu against %zu candidates)", level, round,
                         got.n, ref.n);
            }
            free(got.v);
        }
        free(ref.v);
        free(p);
    }
    bw_shape_simd(best);
    ok(bad == 0, "every classifier level reports what portable C does (%d comparisons)", runs);
    is_int(bw_shape_simd(99), best, "a level the CPU lacks falls back to the best it has");
}

int main(void)
{
    char *tmp = tu_tmpdir();
    int best = bw_shape_simd(-1);

    test_shapes();
    test_levels();
    test_differential(tmp);
    if (best > 0) {
        /* the engine again with the portable classifier */
        bw_shape_simd(0);
        test_shapes();
        test_differential(tmp);
        bw_shape_simd(best);
    }
    tu_rm_rf(tmp);
    free(tmp);
    return done_testing();
}
