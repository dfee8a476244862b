/*
 * test_glob.c - bw_glob_match: a table of gitignore cases (wildcards,
 * classes, escapes, anchoring, "**" in every position, directory-only
 * patterns), malformed patterns, and hostile patterns that would take
 * exponential time in a naive backtracking matcher.
 */
#include <time.h>

#include "bulwark/bulwark.h"
#include "tap.h"

struct gcase {
    const char *pat;
    const char *path;
    int is_dir;
    int want;
};

static const struct gcase cases[] = {
    /* literals and basic wildcards */
    {"foo", "foo", 0, 1},
    {"foo", "foobar", 0, 0},
    {"foo", "fo", 0, 0},
    {"*.o", "main.o", 0, 1},
    {"*.o", "main.c", 0, 0},
    {"*.o", ".o", 0, 1},
    {"*", "anything", 0, 1},
    {"?", "a", 0, 1},
    {"?", "ab", 0, 0},
    {"a?c", "abc", 0, 1},
    {"a?c", "ac", 0, 0},
    {"a*c", "ac", 0, 1},
    {"a*c", "abbbc", 0, 1},
    {"a*c", "abbbd", 0, 0},
    {"*a*b", "xaxxb", 0, 1},
    /* a slash-free pattern matches the last component at any depth */
    {"*.o", "src/lib/x.o", 0, 1},
    {"build", "a/b/build", 1, 1},
    {"build", "a/build/x", 0, 0},
    /* wildcards never match '/' */
    {"a*c", "a/c", 0, 0},
    {"a?c", "a/c", 0, 0},
    {"a[/]c", "a/c", 0, 0},
    {"doc/*.txt", "doc/a.txt", 0, 1},
    {"doc/*.txt", "doc/x/a.txt", 0, 0},
    /* a slash anchors to the ignore file's directory */
    {"doc/frotz", "doc/frotz", 0, 1},
    {"doc/frotz", "a/doc/frotz", 0, 0},
    {"/foo", "foo", 0, 1},
    {"/foo", "x/foo", 0, 0},
    {"/*.c", "x.c", 0, 1},
    {"/*.c", "d/x.c", 0, 0},
    /* trailing '/' = directories only */
    {"build/", "build", 1, 1},
    {"build/", "build", 0, 0},
    {"build/", "src/build", 1, 1},
    {"/build/", "src/build", 1, 0},
    /* "**" in every position */
    {"**/foo", "foo", 0, 1},
    {"**/foo", "a/b/foo", 0, 1},
    {"**/foo", "a/b/foox", 0, 0},
    {"**/foo/bar", "x/foo/bar", 0, 1},
    {"**/foo/bar", "foo/bar", 0, 1},
    {"abc/**", "abc/x", 0, 1},
    {"abc/**", "abc/x/y/z", 0, 1},
    {"abc/**", "abc", 1, 0},
    {"abc/**", "xabc/x", 0, 0},
    {"a/**/b", "a/b", 0, 1},
    {"a/**/b", "a/x/b", 0, 1},
    {"a/**/b", "a/x/y/z/b", 0, 1},
    {"a/**/b", "a/x/y/z/c", 0, 0},
    {"a/**/b", "b/a/b", 0, 0},
    {"**/a/**/b/**", "x/a/y/b/z", 0, 1},
    {"**/a/**/b/**", "x/a/y/b", 1, 0},
    {"**", "a/b/c", 0, 1},
    {"a**b", "axxb", 0, 1}, /* "**" inside a component is a plain "*" */
    {"a**b", "ax/xb", 0, 0},
    {"a/**b", "a/xb", 0, 1},
    {"a/**b", "a/x/b", 0, 0},
    /* classes */
    {"[abc]", "b", 0, 1},
    {"[abc]", "d", 0, 0},
    {"[a-c]x", "bx", 0, 1},
    {"[a-c]x", "dx", 0, 0},
    {"[!a-c]x", "dx", 0, 1},
    {"[!a-c]x", "ax", 0, 0},
    {"[^a-c]x", "dx", 0, 1},
    {"[]]", "]", 0, 1},
    {"[!]]", "]", 0, 0},
    {"[a-]", "-", 0, 1},
    {"[[:digit:]]*.log", "7x.log", 0, 1},
    {"[[:digit:]]*.log", "x7.log", 0, 0},
    {"[[:upper:][:digit:]]", "Q", 0, 1},
    {"[\\]]", "]", 0, 1},
    /* malformed: git treats these as never matching */
    {"[abc", "[abc", 0, 0},
    {"[abc", "a", 0, 0},
    {"[[:nosuch:]]", "a", 0, 0},
    {"foo\\", "foo", 0, 0},
    {"", "", 0, 0},
    {"/", "x", 1, 0},
    /* escapes */
    {"\\*", "*", 0, 1},
    {"\\*", "x", 0, 0},
    {"\\!important", "!important", 0, 1},
    {"\\#x", "#x", 0, 1},
    {"a\\ ", "a ", 0, 1},
    {"\\?", "a", 0, 0},
    /* bytes are compared exactly: case matters, UTF-8 is just bytes */
    {"Foo", "foo", 0, 0},
    {"caf\xc3\xa9", "caf\xc3\xa9", 0, 1},
    {"caf?", "caf\xc3\xa9", 0, 0}, /* '?' is one byte, not one character */
    {"caf??", "caf\xc3\xa9", 0, 1},
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_table(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct gcase *c = &cases[i];
        is_int(bw_glob_match(c->pat, c->path, c->is_dir), c->want, "'%s' %s '%s'%s", c->pat,
               c->want ? "matches" : "does not match", c->path, c->is_dir ? " (dir)" : "");
    }
}

static void test_null(void)
{
    is_int(bw_glob_match(NULL, "a", 0), 0, "NULL pattern matches nothing");
    is_int(bw_glob_match("a", NULL, 0), 0, "NULL path matches nothing");
}

/* Patterns that make a naive recursive matcher exponential must finish at once. */
static void test_pathological(void)
{
    static char path[8192], pat[2048], deep[8192];
    double t0, dt;
    size_t n, last;
    int r1, r2, r3;

    memset(path, 'a', 4000);
    path[4000] = '\0';
    memset(deep, 0, sizeof(deep));
    for (n = 0; n + 2 < 4000; n += 2) {
        deep[n] = 'a';
        deep[n + 1] = '/';
    }
    deep[n] = 'a';
    last = n;
    n = 0;
    for (int i = 0; i < 300; i++) {
        pat[n++] = '*';
        pat[n++] = '*';
        pat[n++] = '/';
        pat[n++] = 'a';
        pat[n++] = '/';
    }
    memcpy(pat + n, "b", 2);

    t0 = now();
    r1 = bw_glob_match("a*a*a*a*a*a*a*b", path, 0);
    r2 = bw_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", path, 0);
    r3 = bw_glob_match(pat, deep, 0);
    dt = now() - t0;
    is_int(r1, 0, "a*a*a*a*a*a*a*b does not match 4000 a's");
    is_int(r2, 0, "32 stars do not match 4000 a's");
    is_int(r3, 0, "300 x '**/a/' then b does not match a/a/.../a (2000 levels)");
    ok(dt < 1.0, "pathological patterns finish quickly (%.3f s)", dt);

    path[3999] = 'b';
    is_int(bw_glob_match("a*a*a*a*a*a*a*b", path, 0), 1, "same pattern matches when a b ends it");
    deep[last] = 'b';
    is_int(bw_glob_match(pat, deep, 0), 1, "the '**' chain matches when the last component is b");
}

int main(void)
{
    test_table();
    test_null();
    test_pathological();
    return done_testing();
}
