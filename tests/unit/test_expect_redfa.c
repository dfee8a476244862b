/*
 * test_expect_redfa.c - the regex DFA (lib/data/expect_redfa.c) against
 * PCRE2 in the mode the expectation engine compiles with (UTF + UCP): fixed
 * cases at the edges (`$` before a final newline, \s and VT, `.` and '\n',
 * anchors inside alternations and groups, empty matches) and a differential
 * run over random patterns of the supported syntax and random ASCII
 * subjects; the patterns outside the subset must give NULL.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/expect_internal.h"
#include "tap.h"

/* PCRE2's answer: 1 match, 0 none, -1 the pattern does not compile or the match failed. */
static int pcre(const char *pat, const char *s, size_t n)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, strlen(pat), BW_XRE_OPTIONS, &ec, &eo, NULL);
    if (re == NULL) {
        return -1;
    }
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static int dfa(const char *pat, const char *s, size_t n)
{
    bw_redfa *d = bw_redfa_new(pat, strlen(pat));
    if (d == NULL) {
        return -2;
    }
    int rc = bw_redfa_match(d, s, n);
    bw_redfa_free(d);
    return rc;
}

static void test_fixed(void)
{
    static const struct {
        const char *pat, *s;
        int want;
    } cases[] = {
        {"^a$", "a", 1},
        {"^a$", "a\n", 1}, /* $ before a final newline */
        {"^a$", "a\n\n", 0},
        {"^a$", "\na", 0},
        {"a$", "ba\n", 1},
        {"a\\Z", "a\n", 1},
        {"^a$\\n", "a\n", 1},
        {"^a\\n$", "a\n", 1},
        {"^a\\n$", "a\n\n", 1},
        {"$", "", 1},
        {"^$", "", 1},
        {"^$", "\n", 1},
        {"^$", "x", 0},
        {"", "x", 1},
        {"\\s",
         "a\x0b"
         "b",
         1}, /* VT is white space */
        {"\\s", "ab", 0},
        {"\\S", " \t\n", 0},
        {"a.b", "a\nb", 0},
        {"a.b", "a\rb", 1},
        {"[^a]", "\n", 1},
        {"x|^b", "ab", 0},
        {"x|^b", "ba", 1},
        {"(^a|b)c", "bc", 1},
        {"(^a|b)c", "xac", 0},
        {"a^b", "ab", 0},
        {"a$b", "ab", 0},
        {"\\Aab", "ab", 1},
        {"^P[0-9A-F]{8}$", "P00A1B2C3", 1},
        {"^P[0-9A-F]{8}$", "P00A1B2C", 0},
        {"^P[0-9A-F]{8}$", "P00A1B2C3D", 0},
        {"^[a-z]+\\.[a-z]+[0-9]*@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$", "zane.butler694@ex.org", 1},
        {"^[a-z]+\\.[a-z]+[0-9]*@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$", "zane.butler694@ex.o", 0},
        {"@[a-z]+\\.(com|org|net|io)$", "a@b.io", 1},
        {"@[a-z]+\\.(com|org|net|io)$", "a@b.iox", 0},
        {"^[A-TV-Z][0-9]{2}(\\.[0-9]{1,2})?$", "U12", 0},
        {"^[A-TV-Z][0-9]{2}(\\.[0-9]{1,2})?$", "A12.34", 1},
        {"^[A-TV-Z][0-9]{2}(\\.[0-9]{1,2})?$", "A12.345", 0},
        {"a{2,3}?b", "aab", 1},
        {"[]a]", "]", 1},
        {"[^]a]", "]", 0},
        {"[a-]", "-", 1},
        {"[\\d-]", "-", 1},
        {"\\x41", "A", 1},
        {"(?:ab)+$", "abab", 1},
        {"\\w+@", "a_9@", 1},
        {"\\W", "a_9", 0},
    };
    bool all = true;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t n = strlen(cases[k].s);
        int got = dfa(cases[k].pat, cases[k].s, n), ref = pcre(cases[k].pat, cases[k].s, n);
        if (got != cases[k].want || ref != cases[k].want) {
            printf("# /%s/ on \"%s\": dfa %d, pcre2 %d, want %d\n", cases[k].pat, cases[k].s, got, ref, cases[k].want);
            all = false;
        }
    }
    ok(all, "fixed cases: the DFA and PCRE2 agree with the expected answer");

    static const char *const unsupported[] = {
        "(a)\\1",   "a(?=b)",  "(?i)a", "\\bab", "a++",     "(?>a)",   "\\p{L}",  "[[:alpha:]]", "a{,3}", "{",
        "\xc3\xa9", "\\x{41}", "\\101", "a\\z",  "(*UTF)a", "a{2000}", "(?<n>a)", "\\Qa\\E",     "[\\b]", "a**",
    };
    all = true;
    for (size_t k = 0; k < sizeof unsupported / sizeof unsupported[0]; k++) {
        bw_redfa *d = bw_redfa_new(unsupported[k], strlen(unsupported[k]));
        if (d != NULL) {
            printf("# /%s/ gave a DFA\n", unsupported[k]);
            all = false;
        }
        bw_redfa_free(d);
    }
    ok(all, "patterns outside the subset give NULL (PCRE2 is used)");

    /* a pattern whose DFA needs more states than the cap: -1 from then on, never a wrong answer */
    const char *big = "[ab]*a[ab]{14}$";
    bw_redfa *d = bw_redfa_new(big, strlen(big));
    ok(d != NULL, "large DFA pattern compiles");
    int last = 0;
    unsigned seed = 7;
    char s[64];
    bool agree = true;
    for (int t = 0; t < 3000 && d != NULL; t++) {
        for (int j = 0; j < 40; j++) {
            seed = seed * 1103515245u + 12345u;
            s[j] = (seed >> 16) & 1 ? 'a' : 'b';
        }
        last = bw_redfa_match(d, s, 40);
        if (last >= 0 && last != pcre(big, s, 40)) {
            agree = false;
        }
    }
    ok(agree, "answers before the cap agree with PCRE2");
    is_int(last, -1, "past the state cap the DFA gives up");
    bw_redfa_free(d);
}

/* ---- random patterns ---- */

static unsigned rng = 12345;
static unsigned rnd(unsigned n)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % n;
}

static const char alpha[] = "ab-.@A0_ \n\t";

static void gen(char *out, size_t *len, size_t cap, int depth);

static void put(char *out, size_t *len, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n < cap) {
        memcpy(out + *len, s, n);
        *len += n;
        out[*len] = '\0';
    }
}

static void atom(char *out, size_t *len, size_t cap, int depth)
{
    static const char *const atoms[] = {
        "a",    "b",     "A",   "0",   "\\.", "@",   "-",      " ",    "\\n",   "\\t",    ".",
        "\\d",  "\\w",   "\\s", "\\D", "\\W", "\\S", "[ab]",   "[^a]", "[a-c]", "[^\\n]", "[\\s@]",
        "[.-]", "\\x41", "^",   "$",   "\\A", "\\Z", "[^\\w]", "[]a]", "[a-]",  "\\-",
    };
    unsigned k = rnd(depth < 3 ? 12 : 10);
    if (k >= 10) {
        put(out, len, cap, k == 10 ? "(" : "(?:");
        gen(out, len, cap, depth + 1);
        put(out, len, cap, ")");
    } else {
        put(out, len, cap, atoms[rnd(sizeof atoms / sizeof atoms[0])]);
    }
    if (out[*len - 1] == '^' || out[*len - 1] == '$' ||
        (*len >= 2 && out[*len - 2] == '\\' && (out[*len - 1] == 'A' || out[*len - 1] == 'Z'))) {
        return;
    }
    static const char *const quants[] = {"*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}", "*?", "+?", "??", "{2,3}?"};
    if (rnd(3) == 0) {
        put(out, len, cap, quants[rnd(sizeof quants / sizeof quants[0])]);
    }
}

static void gen(char *out, size_t *len, size_t cap, int depth)
{
    unsigned nalt = rnd(4) == 0 ? 2 + rnd(2) : 1;
    for (unsigned a = 0; a < nalt; a++) {
        if (a > 0) {
            put(out, len, cap, "|");
        }
        unsigned n = rnd(5);
        for (unsigned i = 0; i < n; i++) {
            atom(out, len, cap, depth);
        }
    }
}

/* One DFA for the alternation of two random patterns (lists matched on any) against PCRE2 on each. */
static void test_any(void)
{
    size_t pairs = 0, checks = 0, wrong = 0;
    for (int t = 0; t < 1500; t++) {
        char pat[2][256] = {{0}};
        size_t len[2] = {0, 0};
        pcre2_code *re[2];
        for (int j = 0; j < 2; j++) {
            gen(pat[j], &len[j], sizeof pat[j], 0);
            int ec;
            PCRE2_SIZE eo;
            re[j] = pcre2_compile((PCRE2_SPTR)pat[j], len[j], BW_XRE_OPTIONS, &ec, &eo, NULL);
        }
        const char *pp[2] = {pat[0], pat[1]};
        bw_redfa *d = re[0] != NULL && re[1] != NULL ? bw_redfa_new_any(pp, len, 2) : NULL;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        for (int v = 0; d != NULL && v < 40; v++) {
            char s[16];
            size_t n = rnd(9);
            for (size_t j = 0; j < n; j++) {
                s[j] = alpha[rnd(sizeof alpha - 1)];
            }
            int r0 = pcre2_match(re[0], (PCRE2_SPTR)s, n, 0, 0, md, NULL);
            int r1 = pcre2_match(re[1], (PCRE2_SPTR)s, n, 0, 0, md, NULL);
            if ((r0 < 0 && r0 != PCRE2_ERROR_NOMATCH) || (r1 < 0 && r1 != PCRE2_ERROR_NOMATCH)) {
                continue;
            }
            checks++;
            if (bw_redfa_match(d, s, n) != (r0 >= 0 || r1 >= 0) && wrong++ < 5) {
                printf("# /%s/ or /%s/ on \"%.*s\": dfa disagrees\n", pat[0], pat[1], (int)n, s);
            }
        }
        pairs += d != NULL;
        pcre2_match_data_free(md);
        pcre2_code_free(re[0]);
        pcre2_code_free(re[1]);
        bw_redfa_free(d);
    }
    ok(pairs > 1000 && checks > 40000, "alternations built (%zu) and compared (%zu)", pairs, checks);
    is_int(wrong, 0, "the DFA of a list matches where PCRE2 matches any of its patterns");
}

static void test_random(void)
{
    size_t patterns = 0, dfas = 0, checks = 0, wrong = 0;
    for (int t = 0; t < 3000; t++) {
        char pat[256] = {0};
        size_t len = 0;
        gen(pat, &len, sizeof pat, 0);
        int ec;
        PCRE2_SIZE eo;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, len, BW_XRE_OPTIONS, &ec, &eo, NULL);
        if (re == NULL) {
            continue;
        }
        patterns++;
        bw_redfa *d = bw_redfa_new(pat, len);
        if (d == NULL) {
            pcre2_code_free(re);
            continue;
        }
        dfas++;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        for (int v = 0; v < 60; v++) {
            char s[16];
            size_t n = rnd(9);
            for (size_t j = 0; j < n; j++) {
                s[j] = alpha[rnd(sizeof alpha - 1)];
            }
            int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
            if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
                continue; /* a match limit: not comparable */
            }
            int got = bw_redfa_match(d, s, n);
            checks++;
            if (got != (rc >= 0)) {
                if (wrong++ < 10) {
                    printf("# /%s/ on \"%.*s\" (%zu bytes): dfa %d, pcre2 %d\n", pat, (int)n, s, n, got, rc >= 0);
                }
            }
        }
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        bw_redfa_free(d);
    }
    printf("# %zu patterns compiled by PCRE2, %zu as DFAs, %zu subjects checked\n", patterns, dfas, checks);
    ok(dfas * 10 >= patterns * 9, "most random patterns of the subset become DFAs (%zu of %zu)", dfas, patterns);
    ok(checks > 100000, "over 100000 comparisons (%zu)", checks);
    is_int(wrong, 0, "the DFA answers as PCRE2 (UTF + UCP) on every subject");
}

int main(void)
{
    test_fixed();
    test_random();
    test_any();
    return done_testing();
}
