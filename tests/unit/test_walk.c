/*
 * test_walk.c - bw_walk on real trees built under a mkdtemp directory:
 * ordering, .git skipping, .gitignore/.bulwarkignore semantics and
 * precedence, the caller's excludes, symbolic links (in-root files and
 * directories, out-of-root, dangling, disabled), directory loops, a file or
 * a link as the root, a missing root, unreadable entries (run as an
 * unprivileged user in a child when the test runs as root), the depth and
 * file-count limits, hostile ignore files and a few thousand files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "util/internal.h" /* bw_alloc_fail_after */

static char base[PATH_MAX]; /* the mkdtemp directory */

/* snprintf that returns the length written (truncation is fine in a test) */
static size_t xfmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static size_t xfmt(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
static int n_warn;
static char last_warn[1024];
static char all_warn[8192];

static void on_log(bw_log_level lvl, const char *comp, const char *msg, void *ud)
{
    (void)ud;
    if (lvl == BW_LOG_WARN && strcmp(comp, "walk") == 0) {
        size_t n = strlen(all_warn);
        n_warn++;
        xfmt(last_warn, sizeof(last_warn), "%s", msg);
        xfmt(all_warn + n, sizeof(all_warn) - n, "%s\n", msg);
    }
}

static void reset_warn(void)
{
    n_warn = 0;
    last_warn[0] = '\0';
    all_warn[0] = '\0';
}

/* base/<rel>, in a static rotation of buffers so two can be used at once */
static const char *at(const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int k;
    char *b = bufs[k++ & 3];
    xfmt(b, PATH_MAX, "%s/%s", base, rel);
    return b;
}

static void mkdirs(const char *rel)
{
    char tmp[PATH_MAX];
    xfmt(tmp, sizeof(tmp), "%s", at(rel));
    for (char *p = tmp + strlen(base) + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    mkdir(tmp, 0755);
}

static void mkfile(const char *rel, const char *content)
{
    char dir[PATH_MAX];
    char *slash;
    FILE *f;

    xfmt(dir, sizeof(dir), "%s", rel);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        mkdirs(dir);
    }
    f = fopen(at(rel), "wb");
    if (f == NULL) {
        printf("# cannot create %s: %s\n", at(rel), strerror(errno));
        return;
    }
    fputs(content, f);
    fclose(f);
}

static void mklink(const char *target, const char *rel)
{
    if (symlink(target, at(rel)) != 0) {
        printf("# cannot link %s: %s\n", at(rel), strerror(errno));
    }
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP) {
        return rmdir(p) == 0 ? 0 : -1;
    }
    return unlink(p) == 0 ? 0 : -1;
}

/* A fresh, empty tree root: base/<name>, valid until the next call. */
static const char *fresh(const char *name)
{
    static char p[PATH_MAX];
    xfmt(p, sizeof(p), "%s", at(name));
    nftw(p, rm_one, 32, FTW_DEPTH | FTW_PHYS);
    mkdir(p, 0755);
    return p;
}

/* The rel paths of a list, comma-separated, in list order. */
static const char *rels(const bw_walk_list *l)
{
    static char out[16384];
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < l->n && n < sizeof(out); i++) {
        n += xfmt(out + n, sizeof(out) - n, "%s%s", i ? "," : "", l->entries[i].rel);
    }
    return out;
}

static const bw_walk_entry *find(const bw_walk_list *l, const char *rel)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->entries[i].rel, rel) == 0) {
            return &l->entries[i];
        }
    }
    return NULL;
}

static void test_path_cmp(void)
{
    ok(bw_path_cmp("a/b", "a.b") < 0, "a/b < a.b");
    ok(bw_path_cmp("a.b", "a/b") > 0, "a.b > a/b");
    ok(bw_path_cmp("a/z", "ab") < 0, "a/z < ab");
    ok(bw_path_cmp("a", "a/b") < 0, "a < a/b");
    ok(bw_path_cmp("a/b/c", "a/b") > 0, "a/b/c > a/b");
    ok(bw_path_cmp("a b", "a/b") > 0, "a b > a/b (space sorts after the component end)");
    ok(bw_path_cmp("a-/x", "a/x") > 0, "a-/x > a/x");
    is_int(bw_path_cmp("x/y", "x/y"), 0, "equal paths compare equal");
    ok(bw_path_cmp("\xc3\xa9", "z") > 0, "bytes are unsigned: 0xc3 > 'z'");
}

static void test_basic(void)
{
    bw_walk_list l;
    bw_error err;
    const char *root = fresh("basic");
    const bw_walk_entry *e;
    char want[PATH_MAX];

    mkfile("basic/a/b/c.txt", "c");
    mkfile("basic/a/z", "zz");
    mkfile("basic/a-", "");
    mkfile("basic/a.b", "abc");
    mkfile("basic/ab", "");
    mkfile("basic/.git/config", "[core]");
    mkfile("basic/.git/objects/00/1122", "x");
    mkfile("basic/sub/.git/HEAD", "ref");
    mkfile("basic/.github/ci.yml", "on: push");
    mkfile("basic/.gitmodules", "");
    mkdirs("basic/empty/deeper");
    mkfifo(at("basic/fifo"), 0644);

    reset_warn();
    bw_error_clear(&err);
    is_int(bw_walk(root, NULL, &l, &err), BW_OK, "walk a plain tree");
    is_str(rels(&l), ".github/ci.yml,.gitmodules,a/b/c.txt,a/z,a-,a.b,ab",
           "sorted by components; .git skipped; fifo and empty dirs give nothing");
    is_int(l.warnings, 0, "no warnings");
    is_int(n_warn, 0, "nothing logged");
    e = find(&l, "a/z");
    ok(e != NULL, "a/z listed");
    if (e != NULL) {
        xfmt(want, sizeof(want), "%s/a/z", root);
        is_str(e->path, want, "path is root joined with rel");
        is_int(e->size, 2, "size from fstatat");
        is_int(e->via_symlink, 0, "not through a link");
    }
    bw_walk_list_release(&l);
    is_int(l.n, 0, "release empties the list");
    ok(l.entries == NULL, "release frees the entries");

    /* a trailing slash on the root does not double up in paths */
    xfmt(want, sizeof(want), "%s///", root);
    is_int(bw_walk(want, NULL, &l, &err), BW_OK, "root with trailing slashes");
    e = find(&l, "a.b");
    xfmt(want, sizeof(want), "%s/a.b", root);
    is_str(e ? e->path : NULL, want, "trailing slashes trimmed from the root");
    bw_walk_list_release(&l);
}

static void test_ignore(void)
{
    bw_walk_list l;
    bw_error err;
    bw_walk_opts o = BW_WALK_OPTS_INIT;
    const char *root = fresh("ign");

    mkfile("ign/.gitignore", "# a comment\n"
                             "*.log\n"
                             "!keep.log\n"
                             "/anchored.txt\n"
                             "build/\n"
                             "**/tmp/**\n"
                             "docs/**/*.draft\n"
                             "trail\\ \n"
                             "spaces   \n"
                             "\\#hash\n"
                             "\\!bang\n"
                             "nested/*\n"
                             "!nested/keep\n"
                             "gone/\n"
                             "!gone/file.txt\n"
                             "*.dat\r\n");
    mkfile("ign/.bulwarkignore", "*.bin\n!important.dat\n");
    mkfile("ign/x.log", "");
    mkfile("ign/keep.log", "");
    mkfile("ign/sub/y.log", "");
    mkfile("ign/sub/w.log", "");
    mkfile("ign/sub/.gitignore", "!y.log\n/z.txt\n");
    mkfile("ign/sub/z.txt", "");
    mkfile("ign/sub/deeper/z.txt", "");
    mkfile("ign/z.txt", "");
    mkfile("ign/anchored.txt", "");
    mkfile("ign/sub/anchored.txt", "");
    mkfile("ign/build/out.o", "");
    mkfile("ign/sub/build/out.o", "");
    mkfile("ign/other/build", "a file, not a directory");
    mkfile("ign/tmp/t1", "");
    mkfile("ign/a/tmp/t2", "");
    mkfile("ign/docs/z.draft", "");
    mkfile("ign/docs/x/y/z.draft", "");
    mkfile("ign/docs/z.txt", "");
    mkfile("ign/trail ", "");
    mkfile("ign/trail", "");
    mkfile("ign/spaces", "");
    mkfile("ign/#hash", "");
    mkfile("ign/!bang", "");
    mkfile("ign/nested/a", "");
    mkfile("ign/nested/keep", "");
    mkfile("ign/gone/file.txt", "");
    mkfile("ign/m.bin", "");
    mkfile("ign/v.dat", "");
    mkfile("ign/important.dat", "");

    reset_warn();
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with both ignore files");
    is_str(rels(&l),
           ".bulwarkignore,.gitignore,docs/z.txt,important.dat,keep.log,nested/keep,"
           "other/build,sub/.gitignore,sub/anchored.txt,sub/deeper/z.txt,sub/y.log,trail,z.txt",
           "gitignore semantics: negation, anchors, dir-only, **, escapes, deeper files win, "
           "no re-include under an excluded dir, .bulwarkignore wins over .gitignore");
    is_int(l.warnings, 0, "no warnings");
    bw_walk_list_release(&l);

    o.flags = BW_WALK_GITIGNORE;
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with .gitignore only");
    ok(find(&l, "m.bin") != NULL, ".bulwarkignore not read without its flag");
    ok(find(&l, "important.dat") == NULL, "so its re-include does not apply either");
    ok(find(&l, "x.log") == NULL, ".gitignore still applies");
    bw_walk_list_release(&l);

    o.flags = 0;
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with no ignore files");
    is_int(l.n, 31, "every file is listed");
    bw_walk_list_release(&l);

    /* excludes outrank the ignore files */
    {
        const char *ex[] = {"keep.log", "!x.log", "sub/", "other"};
        o.flags = BW_WALK_GITIGNORE | BW_WALK_BULWARKIGNORE;
        o.excludes = ex;
        o.n_excludes = 4;
        is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with excludes");
        ok(find(&l, "keep.log") == NULL, "an exclude beats a .gitignore re-include");
        ok(find(&l, "x.log") != NULL, "an exclude '!' re-includes what .gitignore excluded");
        ok(find(&l, "sub/y.log") == NULL && find(&l, "sub/.gitignore") == NULL,
           "a directory exclude drops the whole directory");
        ok(find(&l, "other/build") == NULL, "a slash-free exclude matches a directory too");
        ok(find(&l, "z.txt") != NULL, "others stay");
        bw_walk_list_release(&l);
    }
    {
        const char *ex[] = {"#other"};
        o.excludes = ex;
        o.n_excludes = 1;
        mkfile("ign/#other", "");
        is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with '#other' as exclude");
        ok(find(&l, "#other") == NULL, "an exclude starting with '#' is a pattern, not a comment");
        bw_walk_list_release(&l);
    }
}

static void test_ignore_limits(void)
{
    bw_walk_list l;
    bw_error err;
    const char *root = fresh("ilim");
    char name[300];
    FILE *f;
    double t0;
    struct timespec ts;

    /* over 1 MiB: skipped with a warning, so its patterns do not apply */
    mkfile("ilim/big/a.txt", "");
    f = fopen(at("ilim/big/.gitignore"), "wb");
    if (f != NULL) {
        fputs("*.txt\n", f);
        for (int i = 0; i < 80000; i++) {
            fputs("# filler line\n", f);
        }
        fclose(f);
    }
    /* a symbolic link as an ignore file is not followed */
    mkfile("ilim/lnk/patterns", "*.txt\n");
    mkfile("ilim/lnk/b.txt", "");
    mklink("patterns", "ilim/lnk/.gitignore");
    /* a pathological pattern against a long name */
    memset(name, 'a', 250);
    name[250] = '\0';
    mkfile("ilim/slow/.gitignore", "a*a*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/**/**/x\n");
    {
        char rel[320];
        xfmt(rel, sizeof(rel), "ilim/slow/%s", name);
        mkfile(rel, "");
    }

    reset_warn();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    is_int(bw_walk(root, NULL, &l, &err), BW_OK, "walk with hostile ignore files");
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ok((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t0 < 2.0, "and it is quick");
    ok(find(&l, "big/a.txt") != NULL, "patterns of an oversized ignore file do not apply");
    ok(find(&l, "lnk/b.txt") != NULL, "a symlinked .gitignore is not read");
    is_int(l.warnings, 2, "two warnings: oversized, symlinked");
    like(all_warn, "larger than 1048576 bytes", "the size warning says why");
    like(all_warn, "lnk/.gitignore': it is a symbolic link", "the link warning names the file");
    is_int(l.n, 7, "the long name is kept (no match); links and ignore files too");
    bw_walk_list_release(&l);
}

static void test_symlinks(void)
{
    bw_walk_list l;
    bw_error err;
    bw_walk_opts o = BW_WALK_OPTS_INIT;
    const char *root;
    const bw_walk_entry *e;
    char real[PATH_MAX], want[PATH_MAX];

    fresh("sym2"); /* shares the "sym" prefix: a naive prefix check would call it inside */
    root = fresh("sym");
    mkfile("sym2/secret", "s");
    mkfile("outside.txt", "o");
    mkfile("sym/real/f.txt", "ffff");
    mkfile("sym/real/d/g.txt", "g");
    mklink("real/f.txt", "sym/lf");
    mklink("real/d", "sym/ld");
    mklink("../outside.txt", "sym/out");
    mklink("../sym2/secret", "sym/sneaky");
    mklink("/etc", "sym/etc");
    mklink("nowhere", "sym/dangling");
    mklink("nowhere", "sym/evil\nname");
    mklink("f.txt", "sym/real/rel-link");
    mkfile("sym/.git/objects/ab/cd", "blob");
    mklink(".git", "sym/lgit");
    mklink("../.git/objects", "sym/real/lobj");

    reset_warn();
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with symlinks");
    is_str(rels(&l), "ld/g.txt,lf,real/d/g.txt,real/f.txt,real/rel-link",
           "in-root links followed; outside, dangling and into-.git ones skipped");
    is_int(l.warnings, 5, "out, sneaky, etc, dangling and the odd name each warn");
    is_int(n_warn, 5, "and each is logged");
    like(all_warn, "sym/out': it points outside the root", "out-of-root link warning");
    like(all_warn, "sym/sneaky': it points outside the root", "/x/sym2 is not inside /x/sym (component-aware check)");
    like(all_warn, "sym/dangling': its target does not exist", "dangling link warning");
    like(all_warn, "evil\\x0aname", "control characters in names are escaped in logs");
    ok(realpath(at("sym/real/f.txt"), real) != NULL, "realpath of the target");
    e = find(&l, "lf");
    ok(e != NULL && e->via_symlink == 1, "link to a file: via_symlink");
    is_str(e ? e->path : NULL, real, "link to a file: path is the target's real path");
    is_int(e ? (long long)e->size : -1, 4, "link to a file: size of the target");
    e = find(&l, "real/rel-link");
    is_str(e ? e->path : NULL, real, "a relative link inside a subdirectory resolves there");
    e = find(&l, "ld/g.txt");
    ok(realpath(at("sym/real/d/g.txt"), real) != NULL, "realpath of g.txt");
    ok(e != NULL && e->via_symlink == 1, "file below a linked directory: via_symlink");
    is_str(e ? e->path : NULL, real, "file below a linked directory: path is its real path");
    e = find(&l, "real/d/g.txt");
    xfmt(want, sizeof(want), "%s/real/d/g.txt", root);
    ok(e != NULL && e->via_symlink == 0, "the same file by its own path: not via a link");
    is_str(e ? e->path : NULL, want, "and its path is root + rel");
    bw_walk_list_release(&l);

    o.flags |= BW_WALK_NO_SYMLINKS;
    reset_warn();
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with symlinks disabled");
    is_str(rels(&l), "real/d/g.txt,real/f.txt", "no links followed");
    is_int(l.warnings, 10, "every link warns");
    like(last_warn, "symbolic links are disabled", "and says why");
    bw_walk_list_release(&l);

    /* an ignored link is skipped silently */
    {
        const char *ex[] = {"out", "sneaky", "etc", "dangling", "evil*", "ld/"};
        o.flags = BW_WALK_GITIGNORE;
        o.excludes = ex;
        o.n_excludes = 6;
        reset_warn();
        is_int(bw_walk(root, &o, &l, &err), BW_OK, "walk with the bad links excluded");
        is_int(l.warnings, 0, "excluded links do not warn");
        ok(find(&l, "ld/g.txt") == NULL, "a dir-only pattern matches a link to a directory");
        bw_walk_list_release(&l);
    }

    /* the root itself is a link: followed, and its target is the root */
    mklink("sym/real", "rootlink");
    reset_warn();
    is_int(bw_walk(at("rootlink"), NULL, &l, &err), BW_OK, "root given as a link");
    is_str(rels(&l), "d/g.txt,f.txt,rel-link", "the link's target is walked");
    ok(realpath(at("sym/real"), real) != NULL, "realpath of the real dir");
    xfmt(want, sizeof(want), "%s/f.txt", real);
    e = find(&l, "f.txt");
    is_str(e ? e->path : NULL, want, "paths are under the resolved root");
    bw_walk_list_release(&l);

    /* two links to one directory (latest -> v3, stable -> v3): no loop; listed once, the other skipped */
    mklink("real/d", "sym/ld2");
    reset_warn();
    is_int(bw_walk(root, NULL, &l, &err), BW_OK, "a directory reached twice through links is not a loop");
    ok((find(&l, "ld/g.txt") != NULL) != (find(&l, "ld2/g.txt") != NULL),
       "its files are listed under exactly one of the two links");
    ok(l.warnings >= 1, "the skipped link is a warning (%zu)", l.warnings);
    bw_walk_list_release(&l);
    unlink(at("sym/ld2"));
}

static void test_loops(void)
{
    bw_walk_list l;
    bw_error err;
    const char *root = fresh("loop");

    mkfile("loop/a/f", "");
    mklink("..", "loop/a/loop");
    bw_error_clear(&err);
    is_int(bw_walk(root, NULL, &l, &err), BW_ELOOP, "a/loop -> .. is a loop");
    is_str(err.msg, "directory loop: 'a/loop' leads back to '.'", "message names both paths");
    ok(l.n == 0 && l.entries == NULL, "nothing returned");

    root = fresh("loop2");
    mkfile("loop2/a/b/f", "");
    mklink("..", "loop2/a/b/up");
    mklink(".", "loop2/self");
    bw_error_clear(&err);
    is_int(bw_walk(root, NULL, &l, &err), BW_ELOOP, "a/b/up -> .. is a loop");
    ok(strstr(err.msg, "'a/b/up' leads back to 'a'") != NULL || strstr(err.msg, "'self' leads back to '.'") != NULL,
       "message names the link and its ancestor (%s)", err.msg);

    /* excluding the link avoids the loop */
    {
        const char *ex[] = {"up", "self"};
        bw_walk_opts o = BW_WALK_OPTS_INIT;
        o.excludes = ex;
        o.n_excludes = 2;
        is_int(bw_walk(root, &o, &l, &err), BW_OK, "the loop links excluded");
        is_str(rels(&l), "a/b/f", "the rest is listed");
        bw_walk_list_release(&l);
    }
}

static void test_roots(void)
{
    bw_walk_list l;
    bw_error err;

    fresh("rootfile");
    mkfile("rootfile/model.bin", "12345");
    is_int(bw_walk(at("rootfile/model.bin"), NULL, &l, &err), BW_OK, "root is a file");
    is_int(l.n, 1, "one entry");
    if (l.n == 1) {
        is_str(l.entries[0].rel, ".", "rel is '.'");
        is_str(l.entries[0].path, at("rootfile/model.bin"), "path is the root");
        is_int(l.entries[0].size, 5, "size");
    }
    bw_walk_list_release(&l);

    bw_error_clear(&err);
    is_int(bw_walk(at("no/such/dir"), NULL, &l, &err), BW_ENOTFOUND, "missing root");
    like(err.msg, "No such file or directory", "message says why");
    like(err.msg, "no/such/dir", "and names the root");

    mklink("nowhere", "rootfile/dangling");
    bw_error_clear(&err);
    is_int(bw_walk(at("rootfile/dangling"), NULL, &l, &err), BW_ENOTFOUND, "dangling root link");

    mkfifo(at("rootfile/fifo"), 0644);
    bw_error_clear(&err);
    is_int(bw_walk(at("rootfile/fifo"), NULL, &l, &err), BW_EIO, "a fifo is not a root");
    like(err.msg, "not a regular file or directory", "message says why");

    {
        bw_walk_opts o = BW_WALK_OPTS_INIT;
        o.version = 99;
        bw_error_clear(&err);
        is_int(bw_walk(base, &o, &l, &err), BW_EINVAL, "unknown options version");
        o.version = BW_WALK_OPTS_VERSION;
        o.max_depth = 100000;
        is_int(bw_walk(base, &o, &l, NULL), BW_EINVAL, "absurd max_depth refused");
        is_int(bw_walk(base, NULL, NULL, NULL), BW_EINVAL, "NULL list");
        is_int(bw_walk("", NULL, &l, NULL), BW_EINVAL, "empty root");
    }
}

static void test_limits(void)
{
    bw_walk_list l;
    bw_error err;
    bw_walk_opts o = BW_WALK_OPTS_INIT;
    const char *root = fresh("lim");
    char rel[2048];
    size_t n;

    mkfile("lim/a/b/c/d/e/f.txt", "");
    mkfile("lim/1", "");
    mkfile("lim/2", "");
    o.max_depth = 4;
    bw_error_clear(&err);
    is_int(bw_walk(root, &o, &l, &err), BW_ELIMIT, "deeper than max_depth");
    like(err.msg, "more than 4 levels", "message gives the limit");
    like(err.msg, "a/b/c/d/e", "and the directory");
    o.max_depth = 5;
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "exactly max_depth levels is fine");
    is_int(l.n, 3, "all three files");
    bw_walk_list_release(&l);

    o.max_depth = 0;
    o.max_files = 2;
    bw_error_clear(&err);
    is_int(bw_walk(root, &o, &l, &err), BW_ELIMIT, "more files than max_files");
    like(err.msg, "more than 2 files", "message gives the limit");
    o.max_files = 3;
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "exactly max_files is fine");
    bw_walk_list_release(&l);

    /* the default depth limit is 256 */
    root = fresh("deep");
    n = xfmt(rel, sizeof(rel), "deep");
    for (int i = 0; i < 256; i++) {
        n += xfmt(rel + n, sizeof(rel) - n, "/d");
    }
    xfmt(rel + n, sizeof(rel) - n, "/f");
    mkfile(rel, "");
    is_int(bw_walk(root, NULL, &l, &err), BW_OK, "256 levels are fine");
    is_int(l.n, 1, "and the file at the bottom is listed");
    bw_walk_list_release(&l);
    xfmt(rel + n, sizeof(rel) - n, "/d");
    mkdirs(rel);
    bw_error_clear(&err);
    is_int(bw_walk(root, NULL, &l, &err), BW_ELIMIT, "257 levels are over the default limit");
    like(err.msg, "more than 256 levels", "default limit named");
}

/* Results of a walk run in a child process, passed back through a pipe. */
struct child_result {
    int rc;
    int n;
    int warnings;
    int logged;
    char rels[256];
    char warn[512];
};

static void run_unreadable(struct child_result *r)
{
    bw_walk_list l;
    bw_error err;

    reset_warn();
    r->rc = bw_walk(at("perm"), NULL, &l, &err);
    r->n = (int)l.n;
    r->warnings = (int)l.warnings;
    r->logged = n_warn;
    xfmt(r->rels, sizeof(r->rels), "%s", rels(&l));
    xfmt(r->warn, sizeof(r->warn), "%s", all_warn);
    bw_walk_list_release(&l);
}

static void chown_tree(const char *p, uid_t u)
{
    char sub[PATH_MAX];
    const char *names[] = {"", "/ok.txt", "/locked", "/locked/inside.txt", "/secret.txt", "/noexec", "/noexec/x.txt"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        xfmt(sub, sizeof(sub), "%s%s", p, names[i]);
        if (lchown(sub, u, u) != 0) {
            printf("# lchown %s: %s\n", sub, strerror(errno));
        }
    }
}

static void test_unreadable(void)
{
    struct child_result r;

    memset(&r, 0, sizeof(r));
    fresh("perm");
    mkfile("perm/ok.txt", "");
    mkfile("perm/locked/inside.txt", "");
    mkfile("perm/secret.txt", "");
    mkfile("perm/noexec/x.txt", "");
    if (geteuid() != 0) {
        chmod(at("perm/locked"), 0);
        chmod(at("perm/secret.txt"), 0);
        chmod(at("perm/noexec"), 0644);
        run_unreadable(&r);
    } else {
        /* root reads everything: drop to "nobody" in a child to see the warnings */
        int fds[2];
        pid_t pid;
        int status = 0;
        uid_t nobody = 65534;

        chown_tree(at("perm"), nobody);
        if (chown(base, nobody, nobody) != 0 || pipe(fds) != 0) {
            skip(7, "cannot prepare a tree for an unprivileged child");
            return;
        }
        chmod(at("perm/locked"), 0);
        chmod(at("perm/secret.txt"), 0);
        chmod(at("perm/noexec"), 0644);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            close(fds[0]);
            if (setgid(nobody) != 0 || setuid(nobody) != 0) {
                _exit(3);
            }
            run_unreadable(&r);
            if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
                _exit(4);
            }
            _exit(0);
        }
        close(fds[1]);
        if (pid < 0 || read(fds[0], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
            close(fds[0]);
            waitpid(pid, &status, 0);
            skip(7, "the unprivileged child could not run");
            goto restore;
        }
        close(fds[0]);
        waitpid(pid, &status, 0);
        if (chown(base, 0, 0) != 0) {
            printf("# cannot chown %s back\n", base);
        }
    }
    is_int(r.rc, BW_OK, "unreadable entries do not stop the walk");
    is_str(r.rels, "ok.txt", "only the readable file is listed");
    is_int(r.warnings, 3, "unreadable dir, unreadable file, unsearchable dir: three warnings");
    is_int(r.logged, 3, "each logged");
    like(r.warn, "cannot open directory '", "the directory warning");
    like(r.warn, "perm/locked': Permission denied", "names the directory and the reason");
    like(r.warn, "perm/secret.txt': Permission denied", "names the unreadable file");
restore:
    chmod(at("perm/locked"), 0755);
    chmod(at("perm/secret.txt"), 0644);
    chmod(at("perm/noexec"), 0755);
}

/* A few thousand files: sorted, complete, and quick. */
static void test_many(void)
{
    bw_walk_list l;
    bw_error err;
    const char *root = fresh("many");
    char rel[64];
    int sorted = 1, files = 0;
    struct timespec t0, t1;
    double dt;

    for (int d = 0; d < 50; d++) {
        xfmt(rel, sizeof(rel), "many/d%d", d);
        mkdirs(rel);
        for (int f = 0; f < 100; f++) {
            int fd;
            xfmt(rel, sizeof(rel), "many/d%d/%s%d", d, f % 2 ? "f." : "f/", f);
            if (f % 2 == 0) {
                char dir[64];
                xfmt(dir, sizeof(dir), "many/d%d/f", d);
                mkdirs(dir);
            }
            fd = open(at(rel), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (fd >= 0) {
                close(fd);
                files++;
            }
        }
    }
    mkfile("many/.gitignore", "d1[0-9]/\n*.*7\n");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    is_int(bw_walk(root, NULL, &l, &err), BW_OK, "walk 5000 files");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    is_int(files, 5000, "created 5000 files");
    /* d10..d19 dropped (1000 files), and in the 40 others the 10 "f.*7" names */
    is_int(l.n, 5000 - 1000 - 40 * 10 + 1, "ignore rules applied to all of them");
    for (size_t i = 1; i < l.n; i++) {
        if (bw_path_cmp(l.entries[i - 1].rel, l.entries[i].rel) >= 0) {
            sorted = 0;
        }
    }
    ok(sorted, "strictly increasing by components");
    is_str(l.n > 2 ? l.entries[1].rel : NULL, "d0/f/0", "d0/f/... before d0/f.1");
    ok(dt < 5.0, "quick (%.3f s)", dt);
    bw_walk_list_release(&l);
}

/* Fail each allocation in turn: BW_ENOMEM or success, and no leaks (checked under ASan). */
static void test_oom(void)
{
    bw_walk_list l;
    bw_error err;
    bw_walk_opts o = BW_WALK_OPTS_INIT;
    const char *ex[] = {"*.skip", "!keep.skip"};
    const char *root = fresh("oom");
    int all_nomem = 1, msgs = 1;
    long n;
    size_t full;

    mkfile("oom/.gitignore", "*.o\n!a.o\n");
    mkfile("oom/.bulwarkignore", "x/\n");
    mkfile("oom/a.o", "");
    mkfile("oom/b.o", "");
    mkfile("oom/keep.skip", "");
    mkfile("oom/d/e/f.txt", "");
    mkfile("oom/d/.gitignore", "g*\n");
    mkfile("oom/d/g", "");
    mkfile("oom/d/h", "");
    mklink("d/e", "oom/le");
    mklink("a.o", "oom/la");
    mklink("/", "oom/outside");
    o.excludes = ex;
    o.n_excludes = 2;

    reset_warn();
    is_int(bw_walk(root, &o, &l, &err), BW_OK, "reference walk for the allocation-failure run");
    full = l.n;
    bw_walk_list_release(&l);
    for (n = 0; n < 10000; n++) {
        bw_status rc;
        bw_error_clear(&err);
        bw_alloc_fail_after(n);
        rc = bw_walk(root, &o, &l, &err);
        bw_alloc_fail_after(-1);
        if (rc == BW_OK) {
            break;
        }
        if (rc != BW_ENOMEM) {
            all_nomem = 0;
            printf("# allocation %ld: status %d (%s)\n", n, rc, err.msg);
        } else if (strstr(err.msg, "out of memory") == NULL) {
            msgs = 0;
            printf("# allocation %ld: message '%s'\n", n, err.msg);
        }
        if (l.n != 0 || l.entries != NULL) {
            all_nomem = 0;
        }
    }
    ok(n > 20, "the walk makes many allocations (%ld)", n);
    ok(all_nomem, "each failed allocation gives BW_ENOMEM and an empty list");
    ok(msgs, "with an 'out of memory' message");
    is_int(l.n, full, "after the last failure point, the full list");
    bw_walk_list_release(&l);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");

    xfmt(base, sizeof(base), "%s/bw-walk-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(base) == NULL) {
        skip_all("cannot create a temporary directory");
    }
    bw_log_set(on_log, BW_LOG_WARN, NULL);

    test_path_cmp();
    test_basic();
    test_ignore();
    test_ignore_limits();
    test_symlinks();
    test_loops();
    test_roots();
    test_limits();
    test_unreadable();
    test_oom();
    test_many();

    nftw(base, rm_one, 32, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
