/*
 * test_snative.c - the C matchers of lib/scan/snative.c answer exactly what
 * PCRE2 answers for their regexes: the same match and group from every start
 * offset, on generated lines full of near misses, with the subject cut at
 * assorted lengths, and on every line of the labeled corpus; and the engine
 * finds the same hits with them as with PCRE2 alone (opts.no_native).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/sengine.h"
#include "scan/snative.h"
#include "stestutil.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static uint64_t rng = 0x853c49e6748fea9bULL;

static unsigned next(unsigned m)
{
    return tu_next(&rng, m);
}

struct cmp {
    pcre2_code *re;
    pcre2_match_data *md;
    bw_native k;
    size_t checks, matches, bad;
};

/* Compare the two from every offset of p[0..n). */
static void compare(struct cmp *c, const char *p, size_t n)
{
    for (size_t off = 0; off <= n; off++) {
        size_t ov[4] = {0};
        int a = bw_native_match(c->k, p, n, off, ov);
        int b = pcre2_match(c->re, (PCRE2_SPTR)p, n, off, 0, c->md, NULL);
        bool same = (a < 0) == (b < 0);

        if (same && b >= 0) {
            PCRE2_SIZE *v = pcre2_get_ovector_pointer(c->md);
            same = b == 2 && v[0] == ov[0] && v[1] == ov[1] && v[2] == ov[2] && v[3] == ov[3];
            c->matches++;
        }
        c->checks++;
        if (!same && c->bad++ < 5) {
            PCRE2_SIZE *v = pcre2_get_ovector_pointer(c->md);
            tap_diag("differs at offset %zu of '%.*s' (%zu bytes): C %d [%zu,%zu) PCRE2 %d [%zu,%zu)", off, (int)n, p,
                     n, a, a >= 0 ? ov[0] : 0, a >= 0 ? ov[1] : 0, b, b >= 0 ? (size_t)v[0] : 0,
                     b >= 0 ? (size_t)v[1] : 0);
        }
    }
}

static void put(char *p, size_t *n, size_t cap, const char *s)
{
    while (*s && *n < cap) {
        p[(*n)++] = *s++;
    }
}

static void put_run(char *p, size_t *n, size_t cap, const char *set, size_t len)
{
    size_t m = strlen(set);
    for (size_t i = 0; i < len && *n < cap; i++) {
        p[(*n)++] = set[next((unsigned)m)];
    }
}

/* a line of email-like pieces: local parts, '@', labels of 0-70 bytes, dots, TLDs of 0-30 letters, junk */
static size_t email_line(char *p, size_t cap)
{
    static const char *const junk[] = {" ", ",", "\n", "_", ".", "@", "-", "<", ">", "\xc3\xa9", "=", "\"", "%", "+"};
    size_t n = 0, parts = 1 + next(6);

    for (size_t i = 0; i < parts; i++) {
        put(p, &n, cap, junk[next(BW_ARRAY_LEN(junk))]);
        put_run(p, &n, cap, next(8) ? "abcxyzAZ019._%+-" : "a_.", next(4) ? 1 + next(12) : 60 + next(10));
        if (next(6)) {
            put(p, &n, cap, "@");
        }
        for (unsigned l = next(11); l > 0; l--) {
            put_run(p, &n, cap, next(5) ? "abcmxz-09" : "aB-", next(6) ? 1 + next(10) : next(2) ? 0 : 60 + next(8));
            put(p, &n, cap, next(8) ? "." : next(2) ? ".." : "_");
        }
        put_run(p, &n, cap, next(4) ? "comorgdeuk" : "comX9_", next(5) ? 2 + next(4) : next(31));
        if (next(3) == 0) {
            put(p, &n, cap, junk[next(BW_ARRAY_LEN(junk))]);
        }
    }
    return n;
}

/* a line of dotted numbers: octets of 0-4 digits (leading zeros, 256-999), 2-6 of them, assorted neighbours */
static size_t ipv4_line(char *p, size_t cap)
{
    static const char *const around[] = {" ", ":", "\n", ".", "x", "-", "\"", "", "..", ".\n", "/", "a"};
    size_t n = 0, parts = 1 + next(5);

    for (size_t i = 0; i < parts; i++) {
        unsigned octets = 2 + next(5);
        put(p, &n, cap, around[next(BW_ARRAY_LEN(around))]);
        for (unsigned o = 0; o < octets; o++) {
            char num[8];
            unsigned style = next(6);
            if (style == 0) {
                snprintf(num, sizeof(num), "%u", next(10));
            } else if (style == 1) {
                snprintf(num, sizeof(num), "0%u", next(100));
            } else if (style == 2) {
                snprintf(num, sizeof(num), "%u", 200 + next(100));
            } else if (style == 3) {
                snprintf(num, sizeof(num), "%u", next(10000));
            } else {
                snprintf(num, sizeof(num), "%u", next(256));
            }
            if (o > 0) {
                put(p, &n, cap, next(10) ? "." : next(2) ? ".." : ",");
            }
            put(p, &n, cap, num);
        }
        put(p, &n, cap, around[next(BW_ARRAY_LEN(around))]);
    }
    return n;
}

/* tu_file_fn: compare on each line of a file (up to 4 KiB long) */
static void compare_lines(void *ctx, const char *rel, const char *p, size_t n)
{
    (void)rel;
    for (size_t ls = 0; ls < n;) {
        const char *nl = memchr(p + ls, '\n', n - ls);
        size_t le = nl != NULL ? (size_t)(nl - p) : n;
        if (le - ls <= 4096) {
            compare(ctx, p + ls, le - ls);
        }
        ls = le + 1;
    }
}

static void run(bw_native k, const char *regex, const char *what, size_t (*gen)(char *, size_t))
{
    struct cmp c = {0};
    int ecode;
    PCRE2_SIZE eoff;
    char line[2048];

    c.k = k;
    c.re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE, &ecode, &eoff, NULL);
    c.md = pcre2_match_data_create(8, NULL);
    if (c.re == NULL || c.md == NULL) {
        ok(false, "%s: PCRE2 compiles the regex", what);
        return;
    }
    is_int(bw_native_for(regex, false), k, "%s: the regex picks its matcher", what);
    is_int(bw_native_for(regex, true), BW_NATIVE_NONE, "%s: a caseless rule keeps PCRE2", what);
    for (int i = 0; i < 6000; i++) {
        size_t n = gen(line, sizeof(line));
        compare(&c, line, n);
        if (n > 2) {
            compare(&c, line, 1 + next((unsigned)n - 1)); /* the subject cut short, as a window is */
        }
    }
    /* every line of the labeled corpus, when the source tree is at hand */
    (void)tu_each_corpus_file(compare_lines, &c);
    ok(c.matches > 1000, "%s: the inputs hold matches (%zu of %zu checks)", what, c.matches, c.checks);
    ok(c.bad == 0, "%s: C and PCRE2 agree at every offset (%zu checks, %zu differ)", what, c.checks, c.bad);
    pcre2_match_data_free(c.md);
    pcre2_code_free(c.re);
}

static void engines(void)
{
    char *tmp = tu_tmpdir();
    bw_sengine_opts o1 = {tmp, false, 0, false, false}, o2 = {tmp, false, 0, false, true};
    struct tu_pair t;
    size_t hits = 0, cap = (size_t)1 << 20;
    char *buf = malloc(cap), name[32];

    if (tu_pair_open(&t, &o1, &o2)) {
        for (int round = 0; round < 40; round++) {
            size_t n = 0;
            while (n + 4096 < cap && n < 200000) {
                n += (round & 1 ? ipv4_line : email_line)(buf + n, 2048);
                buf[n++] = '\n';
            }
            snprintf(name, sizeof(name), "generated text %d", round);
            (void)tu_pair_check(&t, name, buf, n);
            hits += t.h[0].n;
        }
        (void)tu_each_corpus_file(tu_pair_file, &t);
        ok(hits > 5000, "the engine inputs hold hits (%zu inputs, %zu hits)", t.inputs, hits);
        ok(t.bad == 0, "the engine finds the same hits with the C matchers as with PCRE2 alone (%zu differ)", t.bad);
    }
    tu_pair_close(&t);
    free(buf);
    tu_rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    size_t ov[4];

    run(BW_NATIVE_EMAIL, BW_RE_EMAIL, "email", email_line);
    run(BW_NATIVE_IPV4, BW_RE_IPV4, "ipv4", ipv4_line);
    is_int(bw_native_for("[a-z]+@example", false), BW_NATIVE_NONE, "another regex keeps PCRE2");
    is_int(bw_native_match(BW_NATIVE_IPV4, "1.2.3.4", 7, 8, ov), -1, "an offset past the subject finds nothing");
    for (size_t i = 0; i < bw_builtin_rule_count; i++) {
        const bw_srule *r = &bw_builtin_rules[i];
        if (strcmp(r->id, "email-address") == 0 || strcmp(r->id, "ipv4-address") == 0) {
            ok(bw_native_for(r->regex, (r->flags & BW_SF_CASELESS) != 0) != BW_NATIVE_NONE,
               "the built-in rule %s is confirmed in C", r->id);
        }
    }
    engines();
    return done_testing();
}
