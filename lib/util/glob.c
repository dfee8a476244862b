/*
 * glob.c - gitignore-style pattern matching (bw_glob_match).
 *
 * A pattern is matched in two layers. The outer layer splits the pattern
 * and the path on '/' and matches component against component, where a
 * component that is exactly "**" stands for any number of path components
 * (at least one when it ends the pattern, so "abc/" followed by "**"
 * matches what is inside abc but not abc itself). The inner layer matches
 * one pattern component against one path component with `*`, `?`, `[...]`
 * and `\` escapes; none of them ever matches '/', because the components
 * contain none.
 *
 * Both layers use the same non-recursive algorithm: on a mismatch, go back
 * to the most recent star only and let it swallow one more unit. That is
 * correct because every other element matches exactly one unit (a character
 * or a component), and it bounds the work to O(pattern * path) per layer, so
 * a hostile ignore file such as `a*a*a*a*a*a*a*b` cannot make a walk take
 * exponential time.
 *
 * Invariant: the matcher never reads past the pattern or path end, never
 * allocates and keeps no state between calls, so it is thread-safe.
 */
#include <ctype.h>

#include "util/internal.h"

/* An unclosed [...] class or a lone trailing backslash: git treats the pattern as never matching */
#define CLS_BAD (-1)

struct cls_name {
    const char *name;
    size_t len;
    int (*fn)(int);
};

/* POSIX classes inside brackets; "C" locale byte semantics (bytes >= 0x80 are in none). */
static int in_named_class(const char *name, size_t len, unsigned char c)
{
    static const struct cls_name names[] = {
        {"alnum", 5, isalnum}, {"alpha", 5, isalpha}, {"blank", 5, isblank}, {"cntrl", 5, iscntrl},
        {"digit", 5, isdigit}, {"graph", 5, isgraph}, {"lower", 5, islower}, {"print", 5, isprint},
        {"punct", 5, ispunct}, {"space", 5, isspace}, {"upper", 5, isupper}, {"xdigit", 6, isxdigit},
    };

    if (c >= 0x80) {
        return 0;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(names); i++) {
        if (names[i].len == len && memcmp(names[i].name, name, len) == 0) {
            return names[i].fn(c) != 0;
        }
    }
    return CLS_BAD; /* unknown class name: git refuses the pattern */
}

/*
 * Match the class starting at p (just after '[') against c. On success,
 * *end points just past the closing ']'. Returns 1 (c in class), 0 (not in
 * class) or CLS_BAD.
 */
static int match_class(const char *p, const char *pe, unsigned char c, const char **end)
{
    int negate = 0, hit = 0;
    int first = 1;

    if (p < pe && (*p == '!' || *p == '^')) {
        negate = 1;
        p++;
    }
    for (;;) {
        unsigned char lo, hi;

        if (p >= pe) {
            return CLS_BAD;
        }
        if (*p == ']' && !first) {
            p++;
            break;
        }
        first = 0;
        if (*p == '[' && p + 1 < pe && p[1] == ':') {
            const char *q = p + 2;
            while (q + 1 < pe && !(q[0] == ':' && q[1] == ']')) {
                q++;
            }
            if (q + 1 >= pe) {
                return CLS_BAD;
            }
            int r = in_named_class(p + 2, (size_t)(q - (p + 2)), c);
            if (r == CLS_BAD) {
                return CLS_BAD;
            }
            hit |= r;
            p = q + 2;
            continue;
        }
        if (*p == '\\') {
            p++;
            if (p >= pe) {
                return CLS_BAD;
            }
        }
        lo = (unsigned char)*p++;
        hi = lo;
        if (p + 1 < pe && *p == '-' && p[1] != ']') {
            p++;
            if (*p == '\\') {
                p++;
                if (p >= pe) {
                    return CLS_BAD;
                }
            }
            hi = (unsigned char)*p++;
        }
        if (lo <= c && c <= hi) {
            hit = 1;
        }
    }
    *end = p;
    return hit != negate;
}

/*
 * One pattern component [p, pe) against one path component [s, se). Any run
 * of stars is a single star here: "**" inside a component is a plain "*".
 */
static int match_component(const char *p, const char *pe, const char *s, const char *se)
{
    const char *star_p = NULL, *star_s = NULL;

    for (;;) {
        if (p < pe && *p == '*') {
            while (p < pe && *p == '*') {
                p++;
            }
            if (p == pe) {
                return 1; /* a trailing star takes the rest of the component */
            }
            star_p = p;
            star_s = s;
            continue;
        }
        if (s == se) {
            return p == pe;
        }
        if (p < pe) {
            unsigned char c = (unsigned char)*s;
            const char *next = p + 1;
            int m;

            if (*p == '?') {
                m = 1;
            } else if (*p == '[') {
                m = match_class(p + 1, pe, c, &next);
                if (m == CLS_BAD) {
                    return 0;
                }
            } else if (*p == '\\') {
                if (p + 1 >= pe) {
                    return 0;
                }
                m = (unsigned char)p[1] == c;
                next = p + 2;
            } else {
                m = (unsigned char)*p == c;
            }
            if (m) {
                p = next;
                s++;
                continue;
            }
        }
        if (star_p == NULL) {
            return 0;
        }
        /* star_s < se here, because s < se and star_s <= s */
        p = star_p;
        s = ++star_s;
    }
}

static const char *comp_end(const char *s, const char *e)
{
    const char *q = memchr(s, '/', (size_t)(e - s));
    return q == NULL ? e : q;
}

/* The pattern [p, pe) (components separated by '/') against the whole path [s, se). */
static int match_path(const char *p, const char *pe, const char *s, const char *se)
{
    const char *star_p = NULL, *star_s = NULL;

    for (;;) {
        if (p == pe) {
            if (s == se) {
                return 1;
            }
        } else {
            const char *pce = comp_end(p, pe);

            if (pce - p == 2 && p[0] == '*' && p[1] == '*') {
                if (pce == pe) {
                    return s < se; /* trailing "**": one or more components */
                }
                p = pce + 1;
                star_p = p;
                star_s = s;
                continue;
            }
            if (s < se) {
                const char *sce = comp_end(s, se);
                if (match_component(p, pce, s, sce)) {
                    p = pce == pe ? pe : pce + 1;
                    s = sce == se ? se : sce + 1;
                    continue;
                }
            }
        }
        /* mismatch: let the last "**" take one more component */
        if (star_p == NULL || star_s == se) {
            return 0;
        }
        star_s = comp_end(star_s, se);
        if (star_s < se) {
            star_s++;
        }
        p = star_p;
        s = star_s;
    }
}

int bw_glob_match(const char *pattern, const char *path, int is_dir)
{
    const char *p, *pe, *s, *se, *base;
    int anchored = 0;

    if (pattern == NULL || path == NULL) {
        return 0;
    }
    p = pattern;
    pe = p + strlen(p);
    s = path;
    se = s + strlen(s);

    if (pe > p && pe[-1] == '/') {
        if (!is_dir) {
            return 0; /* "dir/" matches directories only */
        }
        while (pe > p && pe[-1] == '/') {
            pe--;
        }
    }
    while (p < pe && *p == '/') {
        anchored = 1;
        p++;
    }
    if (p == pe) {
        return 0;
    }
    if (anchored || memchr(p, '/', (size_t)(pe - p)) != NULL) {
        return match_path(p, pe, s, se);
    }
    /* no slash: the pattern matches the last component at any depth */
    base = se;
    while (base > s && base[-1] != '/') {
        base--;
    }
    return match_component(p, pe, base, se);
}
