/*
 * snative.c - exact C matchers for the email and IPv4 regexes (see snative.h).
 *
 * Each follows the regex's backtracking to the same answer PCRE2 gives:
 * the reasoning is written next to the code, and test_snative.c checks it
 * against PCRE2 at every start offset of many generated lines.
 */
#include "scan/snative.h"

#include <string.h>

bw_native bw_native_for(const char *regex, bool caseless)
{
    if (regex == NULL || caseless) {
        return BW_NATIVE_NONE;
    }
    if (strcmp(regex, BW_RE_EMAIL) == 0) {
        return BW_NATIVE_EMAIL;
    }
    if (strcmp(regex, BW_RE_IPV4) == 0) {
        return BW_NATIVE_IPV4;
    }
    return BW_NATIVE_NONE;
}

static inline bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

/* \w without PCRE2_UCP: ASCII letters, digits and underscore */
static inline bool is_word(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

/* [A-Za-z0-9._%+-] */
static inline bool is_local(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* [A-Za-z0-9-] */
static inline bool is_label(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-';
}

/* \b at x of p[0..n): the bytes either side differ in being word bytes (outside the subject: not) */
static inline bool boundary(const unsigned char *p, size_t n, size_t x)
{
    bool before = x > 0 && is_word(p[x - 1]), after = x < n && is_word(p[x]);
    return before != after;
}

/*
 * The domain after the '@' at d-1: (?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b.
 * A label cannot hold a dot, so each iteration must take the whole run of
 * label bytes up to a dot (a shorter one leaves a label byte where the dot
 * must be): the labels are forced, t[k] is where the TLD would start after
 * k of them. The greedy {1,8} tries the most labels first and gives them
 * back one by one; a TLD at t[k] holds only as its whole run of letters
 * (a shorter one ends before a letter, with no \b), 2 to 24 long, then a
 * non-word byte or the end. So: the deepest k whose TLD holds.
 * Returns the match end, or 0 for none.
 */
static size_t email_domain(const unsigned char *p, size_t n, size_t d)
{
    size_t t[9], k = 0, pos = d;

    while (k < 8) {
        size_t e = pos;
        while (e < n && is_label(p[e])) {
            e++;
        }
        if (e == pos || e - pos > 63 || e >= n || p[e] != '.') {
            break;
        }
        pos = e + 1;
        t[++k] = pos;
    }
    for (; k >= 1; k--) {
        size_t e = t[k];
        while (e < n && is_alpha(p[e])) {
            e++;
        }
        if (e - t[k] >= 2 && e - t[k] <= 24 && (e == n || !is_word(p[e]))) {
            return e;
        }
    }
    return 0;
}

/*
 * \b([A-Za-z0-9._%+-]{1,64}@DOMAIN)\b. The local part cannot hold '@', so a
 * match starting at q uses the first '@' after q and every byte between is
 * a local byte: each '@' in turn (in order, so the first that yields a match
 * yields the leftmost one) admits the starts q in its run of local bytes, at
 * most 64 before it, at or after off, with \b at q; the domain does not
 * depend on q, and the leftmost such q is PCRE2's answer.
 */
static int email(const unsigned char *p, size_t n, size_t off, size_t ov[4])
{
    size_t from = off;

    while (from < n) {
        const unsigned char *at = memchr(p + from, '@', n - from);
        size_t a, rs, lo, end;
        if (at == NULL) {
            return -1;
        }
        a = (size_t)(at - p);
        from = a + 1;
        rs = a;
        while (rs > off && a - rs < 64 && is_local(p[rs - 1])) {
            rs--;
        }
        if (rs == a) {
            continue; /* no local part */
        }
        lo = rs;
        while (lo < a && !boundary(p, n, lo)) {
            lo++;
        }
        if (lo == a) {
            continue;
        }
        end = email_domain(p, n, a + 1);
        if (end == 0) {
            continue;
        }
        ov[0] = ov[2] = lo;
        ov[1] = ov[3] = end;
        return 2;
    }
    return -1;
}

/* A whole run of 1-3 digits at g that is an octet 0-255 without a leading zero: its end, or 0. */
static size_t octet(const unsigned char *p, size_t n, size_t g, bool *multi)
{
    size_t e = g;
    unsigned v = 0;

    while (e < n && is_digit(p[e]) && e - g < 4) {
        v = v * 10 + (unsigned)(p[e] - '0');
        e++;
    }
    if (e == g || e - g > 3 || (e - g > 1 && p[g] == '0') || v > 255) {
        return 0;
    }
    *multi = *multi || e - g > 1;
    return e;
}

/*
 * (?:^|[^0-9.])(IP)(?:[^\n0-9.]|\.(?:[^\n0-9]|$)|$), where IP's alternatives
 * come to four dotted octets of which at least one has two digits or more.
 * An octet is followed by a dot or by a trailer that takes no digit, so it
 * is its whole digit run. The group starts at a digit g; the match starts
 * at g-1 when that byte is not a digit, dot (it may be a newline) and lies
 * at or after off, else at g when g starts a line. For ascending g those
 * starts ascend, so the first g that works gives the leftmost match. The
 * trailer's alternatives are taken in the regex's order; $ matches at the
 * end of the subject and before a newline.
 */
static int ipv4(const unsigned char *p, size_t n, size_t off, size_t ov[4])
{
    for (size_t g = off; g < n; g++) {
        size_t ms, e = g, me;
        bool multi = false, ok = true;

        if (!is_digit(p[g]) || (g > 0 && (is_digit(p[g - 1]) || p[g - 1] == '.'))) {
            continue;
        }
        if (g > off) {
            ms = g - 1; /* [^0-9.] before the group */
        } else if (g == 0 || p[g - 1] == '\n') {
            ms = g; /* ^ */
        } else {
            continue;
        }
        for (int i = 0; i < 4 && ok; i++) {
            if (i > 0) {
                if (e >= n || p[e] != '.') {
                    ok = false;
                    break;
                }
                e++;
            }
            e = octet(p, n, e, &multi);
            ok = e != 0;
        }
        if (!ok || !multi) {
            continue;
        }
        if (e == n || p[e] == '\n') {
            me = e; /* $ */
        } else if (p[e] != '.') {
            me = e + 1; /* [^\n0-9.] (a digit cannot follow a whole run) */
        } else if (e + 1 == n || p[e + 1] == '\n') {
            me = e + 1; /* \.$ */
        } else if (!is_digit(p[e + 1])) {
            me = e + 2; /* \.[^\n0-9] */
        } else {
            continue; /* a fifth dotted number */
        }
        ov[0] = ms;
        ov[1] = me;
        ov[2] = g;
        ov[3] = e;
        return 2;
    }
    return -1;
}

int bw_native_match(bw_native k, const char *p, size_t n, size_t off, size_t ov[4])
{
    const unsigned char *u = (const unsigned char *)p;

    if (off > n) {
        return -1;
    }
    switch (k) {
    case BW_NATIVE_EMAIL: return email(u, n, off, ov);
    case BW_NATIVE_IPV4: return ipv4(u, n, off, ov);
    default: return -1;
    }
}
