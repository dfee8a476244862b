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
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static uint64_t rng = 0x853c49e6748fea9bULL;

static unsigned next(unsigned m)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % m);
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

static void run(bw_native k, const char *regex, const char *what, size_t (*gen)(char *, size_t))
{
    struct cmp c = {0};
    int ecode;
    PCRE2_SIZE eoff;
    char line[2048];
    const char *root = getenv("BW_SOURCE_ROOT");

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
    if (root != NULL) {
        char cmd[4200], rel[4096];
        FILE *ls;
        snprintf(cmd, sizeof(cmd), "cd '%s/tests/data/secrets/corpus' 2>/dev/null && find . -type f | sort", root);
        ls = popen(cmd, "r");
        while (ls != NULL && fgets(rel, sizeof(rel), ls) != NULL) {
            char path[8300];
            size_t n = 0;
            char *p;
            rel[strcspn(rel, "\n")] = '\0';
            snprintf(path, sizeof(path), "%s/tests/data/secrets/corpus/%s", root, rel);
            p = tu_read(path, &n);
            for (size_t ls0 = 0; p != NULL && ls0 < n;) {
                const char *nl = memchr(p + ls0, '\n', n - ls0);
                size_t le = nl != NULL ? (size_t)(nl - p) : n;
                if (le - ls0 <= 4096) {
                    compare(&c, p + ls0, le - ls0);
                }
                ls0 = le + 1;
            }
            free(p);
        }
        if (ls != NULL) {
            pclose(ls);
        }
    }
    ok(c.matches > 1000, "%s: the inputs hold matches (%zu of %zu checks)", what, c.matches, c.checks);
    ok(c.bad == 0, "%s: C and PCRE2 agree at every offset (%zu checks, %zu differ)", what, c.checks, c.bad);
    pcre2_match_data_free(c.md);
    pcre2_code_free(c.re);
}

static bool same_hits(const bw_shits *a, const bw_shits *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].rule != b->v[i].rule || a->v[i].start != b->v[i].start || a->v[i].end != b->v[i].end ||
            a->v[i].sstart != b->v[i].sstart || a->v[i].send != b->v[i].send) {
            return false;
        }
    }
    return true;
}

static void engines(void)
{
    char *tmp = tu_tmpdir();
    bw_sengine_opts o1 = {tmp, false, 0, false, false}, o2 = {tmp, false, 0, false, true};
    bw_sengine *e1 = NULL, *e2 = NULL;
    bw_sscratch *s1 = NULL, *s2 = NULL;
    bw_shits h1 = {0}, h2 = {0};
    bw_error err;
    size_t inputs = 0, bad = 0, hits = 0, cap = (size_t)1 << 20;
    char *buf = malloc(cap);
    const char *root = getenv("BW_SOURCE_ROOT");

    bw_error_clear(&err);
    if (bw_sengine_new(&e1, bw_builtin_rules, bw_builtin_rule_count, &o1, &err) != BW_OK ||
        bw_sengine_new(&e2, bw_builtin_rules, bw_builtin_rule_count, &o2, &err) != BW_OK ||
        bw_sscratch_new(e1, &s1, &err) != BW_OK || bw_sscratch_new(e2, &s2, &err) != BW_OK) {
        ok(false, "engines: %s", err.msg);
        goto out;
    }
    for (int round = 0; round < 40; round++) {
        size_t n = 0;
        while (n + 4096 < cap && n < 200000) {
            n += (round & 1 ? ipv4_line : email_line)(buf + n, 2048);
            buf[n++] = '\n';
        }
        h1.n = h2.n = 0;
        bw_sengine_scan(e1, s1, buf, n, 0, n, &h1, &err);
        bw_sengine_scan(e2, s2, buf, n, 0, n, &h2, &err);
        inputs++;
        hits += h1.n;
        bad += !same_hits(&h1, &h2);
    }
    if (root != NULL) {
        char cmd[4200], rel[4096];
        FILE *ls;
        snprintf(cmd, sizeof(cmd), "cd '%s/tests/data/secrets/corpus' 2>/dev/null && find . -type f | sort", root);
        ls = popen(cmd, "r");
        while (ls != NULL && fgets(rel, sizeof(rel), ls) != NULL) {
            char path[8300];
            size_t n = 0;
            char *p;
            rel[strcspn(rel, "\n")] = '\0';
            snprintf(path, sizeof(path), "%s/tests/data/secrets/corpus/%s", root, rel);
            p = tu_read(path, &n);
            if (p == NULL) {
                continue;
            }
            h1.n = h2.n = 0;
            bw_sengine_scan(e1, s1, p, n, 0, n, &h1, &err);
            bw_sengine_scan(e2, s2, p, n, 0, n, &h2, &err);
            inputs++;
            hits += h1.n;
            if (!same_hits(&h1, &h2)) {
                bad++;
                tap_diag("differs on %s: %zu vs %zu hits", rel, h1.n, h2.n);
            }
            free(p);
        }
        if (ls != NULL) {
            pclose(ls);
        }
    }
    ok(hits > 5000, "the engine inputs hold hits (%zu inputs, %zu hits)", inputs, hits);
    ok(bad == 0, "the engine finds the same hits with the C matchers as with PCRE2 alone (%zu differ)", bad);
out:
    bw_shits_release(&h1);
    bw_shits_release(&h2);
    bw_sscratch_free(s1);
    bw_sscratch_free(s2);
    bw_sengine_free(e1);
    bw_sengine_free(e2);
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
