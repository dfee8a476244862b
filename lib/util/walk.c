/*
 * walk.c - bw_walk: the regular files under a root, filtered by ignore rules.
 *
 * The walk is a depth-first descent that holds one open directory
 * descriptor per level and opens every child relative to its parent
 * (openat with O_NOFOLLOW), so a path component cannot be swapped for a
 * symbolic link behind our back. Entry types come from fstatat with
 * AT_SYMLINK_NOFOLLOW, never from d_type, which may be DT_UNKNOWN.
 *
 * Invariants while a directory is being listed:
 *   - w->rel is its path relative to the root ("" for the root itself) and
 *     w->real its canonical absolute path; both grow by "/name" on descent
 *     and are cut back on return, so no per-entry path is allocated unless
 *     the entry is kept.
 *   - w->rules holds the patterns of every ignore file read on the way down,
 *     shallowest first; they are popped when the directory is left. The
 *     caller's excludes sit in w->excl and are consulted before them, so the
 *     order of precedence is: excludes (last one first), then the deepest
 *     ignore file's last line, up to the root's first line.
 *   - w->anc holds (dev, ino) of the directories on the descent stack; a
 *     child equal to one of them is a directory loop. w->seen holds every
 *     directory entered through a symbolic link, so a directory is never
 *     listed twice through links.
 * Symbolic links are the only entries that cost a realpath(); the result is
 * checked against the canonical root, component-aware, before it is used.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/internal.h"

#define WALK_DEFAULT_DEPTH 256u
#define WALK_MAX_DEPTH 4096u             /* one descriptor and two stack frames per level */
#define WALK_IGNORE_MAX_BYTES (1u << 20) /* a larger ignore file is skipped, with a warning */
#define WALK_IGNORE_MAX_PATTERNS 10000u  /* so is one with more patterns than this */
#define WALK_PATTERN_MAX 4096u           /* longest pattern, in bytes */
#define WALK_KNOWN_FLAGS (BW_WALK_GITIGNORE | BW_WALK_BULWARKIGNORE | BW_WALK_NO_SYMLINKS)

struct pbuf {
    char *p; /* NUL-terminated once anything was reserved */
    size_t len;
    size_t cap;
};

struct rule {
    char *pat;   /* text for bw_glob_match, without the leading '!' */
    size_t base; /* length of the rel path of the ignore file's directory; 0 = the root */
    bool negate;
};

struct rules {
    struct rule *v;
    size_t n;
    size_t cap;
};

struct anc {
    dev_t dev;
    ino_t ino;
    size_t rel_len; /* this directory's rel path is w->rel.p[0..rel_len) */
};

struct seen {
    dev_t dev;
    ino_t ino;
    char *rel; /* NULL marks an empty slot */
};

struct walk {
    unsigned flags;
    uid_t euid;
    unsigned max_depth;
    uint64_t max_files;
    bw_error *err;
    bw_walk_list *out;
    size_t cap_entries;
    const char *root; /* prefix of entry paths: the root as given, or its target */
    char *root_real;  /* canonical root, for the inside-root check */
    size_t root_real_len;
    struct pbuf rel;
    struct pbuf real;
    struct rules rules;
    struct rules excl;
    struct anc *anc;
    size_t n_anc;
    size_t cap_anc;
    struct seen *seen; /* open addressing; cap_seen is 0 or a power of two */
    size_t n_seen;
    size_t cap_seen;
};

static bw_status walk_dir(struct walk *w, int fd, unsigned depth, bool via_link);

/* ---- small helpers ------------------------------------------------------ */

static bw_status pb_reserve(struct pbuf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (!bw_add_ok(b->len, extra, &need) || !bw_add_ok(need, 1, &need)) {
        return BW_ENOMEM;
    }
    if (need <= b->cap) {
        return BW_OK;
    }
    cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    p = bw_realloc(b->p, cap);
    if (p == NULL) {
        return BW_ENOMEM;
    }
    if (b->p == NULL) {
        p[0] = '\0';
    }
    b->p = p;
    b->cap = cap;
    return BW_OK;
}

/*
 * Append "/name" ("name" to an empty buffer or one ending in '/');
 * *old gets the length to restore.
 */
static bw_status pb_push(struct pbuf *b, const char *name, size_t n, size_t *old)
{
    *old = b->len;
    BW_TRY(pb_reserve(b, n + 1));
    if (b->len > 0 && b->p[b->len - 1] != '/') {
        b->p[b->len++] = '/';
    }
    memcpy(b->p + b->len, name, n);
    b->len += n;
    b->p[b->len] = '\0';
    return BW_OK;
}

static void pb_trunc(struct pbuf *b, size_t len)
{
    b->len = len;
    if (b->p != NULL) {
        b->p[len] = '\0';
    }
}

/* "a" + "/" + "b" in a new allocation; no '/' is added after an empty `a` or one ending in '/'. */
static char *path_join(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n;
    char *p;
    bool slash = an > 0 && a[an - 1] != '/';

    if (!bw_add_ok(an, bn, &n) || !bw_add_ok(n, 2, &n)) {
        return NULL;
    }
    p = bw_malloc(n);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, a, an);
    if (slash) {
        p[an++] = '/';
    }
    memcpy(p + an, b, bn);
    p[an + bn] = '\0';
    return p;
}

/* Errors that mean the process, not one entry, is in trouble: they stop the walk. */
static bool fatal_errno(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOMEM || e == EIO;
}

/* The root joined with `rel` (and `name`, when not NULL), escaped for a message. */
static void describe(const struct walk *w, const char *rel, const char *name, char *out, size_t cap)
{
    char tmp[1024];
    const char *sep = w->root[0] != '\0' && w->root[strlen(w->root) - 1] != '/' ? "/" : "";

    if (rel[0] == '\0' && name == NULL) {
        snprintf(tmp, sizeof(tmp), "%s", w->root);
    } else if (rel[0] == '\0') {
        snprintf(tmp, sizeof(tmp), "%s%s%s", w->root, sep, name);
    } else if (name == NULL) {
        snprintf(tmp, sizeof(tmp), "%s%s%s", w->root, sep, rel);
    } else {
        snprintf(tmp, sizeof(tmp), "%s%s%s/%s", w->root, sep, rel, name);
    }
    bw_escape_for_log(tmp, strlen(tmp), out, cap);
}

/* Log "<what> '<root/rel[/name]>': <why>" and count it. */
static void warn_path(struct walk *w, const char *name, const char *what, const char *why)
{
    char d[512];

    w->out->warnings++;
    if (bw_log_max_level >= (int)BW_LOG_WARN) {
        describe(w, w->rel.p, name, d, sizeof(d));
        BW_WARN("walk", "%s '%s': %s", what, d, why);
    }
}

/* Record a hard failure for the current rel path (plus `name`). */
static bw_status fail_path(struct walk *w, int e, const char *what, const char *name)
{
    char tmp[1024];
    const char *sep = w->root[0] != '\0' && w->root[strlen(w->root) - 1] != '/' ? "/" : "";

    if (name == NULL) {
        snprintf(tmp, sizeof(tmp), "%s%s%s", w->root, w->rel.len ? sep : "", w->rel.p);
    } else {
        snprintf(tmp, sizeof(tmp), "%s%s%s%s%s", w->root, sep, w->rel.p, w->rel.len ? "/" : "", name);
    }
    return bw_fail_errno(w->err, e, what, tmp);
}

static bw_status nomem(struct walk *w)
{
    char d[256];

    bw_escape_for_log(w->root, strlen(w->root), d, sizeof(d));
    return bw_fail(w->err, BW_ENOMEM, "out of memory while walking '%s'", d);
}

/* ---- ignore rules --------------------------------------------------------- */

static void rules_pop(struct rules *r, size_t mark)
{
    while (r->n > mark) {
        r->n--;
        BW_FREE(r->v[r->n].pat);
    }
}

static void rules_release(struct rules *r)
{
    rules_pop(r, 0);
    BW_FREE(r->v);
    r->cap = 0;
}

/*
 * Parse one ignore line and append it. `comments`: a leading '#' starts a
 * comment (ignore files), not so for the caller's excludes. Returns
 * BW_ELIMIT for a pattern over WALK_PATTERN_MAX, BW_ENOMEM; blank lines,
 * comments and lines holding a NUL byte (no file name can match them) add
 * nothing.
 */
static bw_status rule_add(struct rules *r, const char *s, size_t n, size_t base, bool comments)
{
    size_t end = 0;
    bool negate = false;
    struct rule *v;

    if (n > 0 && s[n - 1] == '\r') {
        n--; /* a CRLF file */
    }
    if (n == 0 || (comments && s[0] == '#') || memchr(s, '\0', n) != NULL) {
        return BW_OK;
    }
    /* trailing spaces go, unless escaped: an escaped character counts as text */
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            i++;
            end = i + 1;
        } else if (s[i] != ' ') {
            end = i + 1;
        }
    }
    n = end;
    if (n > 0 && s[0] == '!') {
        negate = true;
        s++;
        n--;
    }
    if (n == 0) {
        return BW_OK;
    }
    if (n > WALK_PATTERN_MAX) {
        return BW_ELIMIT;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        v = bw_reallocarray(r->v, cap, sizeof(*v));
        if (v == NULL) {
            return BW_ENOMEM;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n].pat = bw_strndup(s, n);
    if (r->v[r->n].pat == NULL) {
        return BW_ENOMEM;
    }
    r->v[r->n].base = base;
    r->v[r->n].negate = negate;
    r->n++;
    return BW_OK;
}

static int rule_hit(const struct rule *r, const char *rel, int is_dir)
{
    /* rel always extends the directory of the rule's ignore file */
    return bw_glob_match(r->pat, rel + r->base + (r->base > 0), is_dir);
}

/* The last matching pattern decides; excludes outrank every ignore file. */
static bool ignored(const struct walk *w, const char *rel, int is_dir)
{
    for (size_t i = w->excl.n; i-- > 0;) {
        if (rule_hit(&w->excl.v[i], rel, is_dir)) {
            return !w->excl.v[i].negate;
        }
    }
    for (size_t i = w->rules.n; i-- > 0;) {
        if (rule_hit(&w->rules.v[i], rel, is_dir)) {
            return !w->rules.v[i].negate;
        }
    }
    return false;
}

/* Read the ignore file `name` in the directory `dfd` (rel path w->rel) and push its patterns. */
static bw_status load_ignore(struct walk *w, int dfd, const char *name)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0, size, first = w->rules.n;
    int fd, e;
    bw_status rc = BW_OK;
    char why[64];

    fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        e = errno;
        if (e == ENOENT) {
            return BW_OK;
        }
        if (fatal_errno(e)) {
            return fail_path(w, e, "cannot open ignore file", name);
        }
        warn_path(w, name, "skipping ignore file", e == ELOOP ? "it is a symbolic link" : strerror(e));
        return BW_OK;
    }
    if (fstat(fd, &st) != 0) {
        rc = fail_path(w, errno, "cannot stat ignore file", name);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        warn_path(w, name, "skipping ignore file", "not a regular file");
        goto out;
    }
    if (st.st_size > (off_t)WALK_IGNORE_MAX_BYTES) {
        snprintf(why, sizeof(why), "larger than %u bytes", WALK_IGNORE_MAX_BYTES);
        warn_path(w, name, "skipping ignore file", why);
        goto out;
    }
    size = (size_t)st.st_size;
    buf = bw_malloc(size + 1);
    if (buf == NULL) {
        rc = nomem(w);
        goto out;
    }
    while (len < size) {
        ssize_t got = read(fd, buf + len, size - len);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            e = errno;
            if (fatal_errno(e)) {
                rc = fail_path(w, e, "cannot read ignore file", name);
                goto out;
            }
            warn_path(w, name, "skipping ignore file", strerror(e));
            goto out;
        }
        if (got == 0) {
            break; /* shrank since fstat: parse what is there */
        }
        len += (size_t)got;
    }
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl == NULL ? len - i : (size_t)(nl - (buf + i));

        /* a "[findings]" line starts the fingerprints the scanners leave out: no more patterns */
        if (n >= 10 && memcmp(buf + i, "[findings]", 10) == 0 &&
            (n == 10 || buf[i + 10] == '\r' || buf[i + 10] == ' ')) {
            break;
        }
        rc = rule_add(&w->rules, buf + i, n, w->rel.len, true);
        if (rc == BW_ELIMIT) {
            rules_pop(&w->rules, first);
            snprintf(why, sizeof(why), "a pattern is longer than %u bytes", WALK_PATTERN_MAX);
            warn_path(w, name, "skipping ignore file", why);
            rc = BW_OK;
            goto out;
        }
        if (rc != BW_OK) {
            rc = nomem(w);
            goto out;
        }
        if (w->rules.n - first > WALK_IGNORE_MAX_PATTERNS) {
            rules_pop(&w->rules, first);
            snprintf(why, sizeof(why), "more than %u patterns", WALK_IGNORE_MAX_PATTERNS);
            warn_path(w, name, "skipping ignore file", why);
            goto out;
        }
        i += n + 1;
    }
out:
    if (rc != BW_OK) {
        rules_pop(&w->rules, first);
    }
    bw_free(buf);
    close(fd);
    return rc;
}

/* ---- loop detection ------------------------------------------------------- */

static size_t seen_slot(const struct walk *w, dev_t dev, ino_t ino)
{
    uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev * 0xC2B2AE3D27D4EB4Full;
    size_t i = (size_t)(h ^ (h >> 31)) & (w->cap_seen - 1);

    while (w->seen[i].rel != NULL && !(w->seen[i].dev == dev && w->seen[i].ino == ino)) {
        i = (i + 1) & (w->cap_seen - 1);
    }
    return i;
}

static const struct seen *seen_find(const struct walk *w, dev_t dev, ino_t ino)
{
    size_t i;

    if (w->cap_seen == 0) {
        return NULL;
    }
    i = seen_slot(w, dev, ino);
    return w->seen[i].rel != NULL ? &w->seen[i] : NULL;
}

static bw_status seen_add(struct walk *w, dev_t dev, ino_t ino, const char *rel)
{
    if ((w->n_seen + 1) * 2 > w->cap_seen) {
        size_t cap = w->cap_seen ? w->cap_seen * 2 : 64;
        struct seen *old = w->seen;
        size_t old_cap = w->cap_seen;
        struct seen *v = bw_calloc(cap, sizeof(*v));

        if (v == NULL) {
            return BW_ENOMEM;
        }
        w->seen = v;
        w->cap_seen = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i].rel != NULL) {
                w->seen[seen_slot(w, old[i].dev, old[i].ino)] = old[i];
            }
        }
        bw_free(old);
    }
    size_t i = seen_slot(w, dev, ino);
    w->seen[i].rel = bw_strdup(rel);
    if (w->seen[i].rel == NULL) {
        return BW_ENOMEM;
    }
    w->seen[i].dev = dev;
    w->seen[i].ino = ino;
    w->n_seen++;
    return BW_OK;
}

static bw_status loop_fail(struct walk *w, const char *other, size_t other_len, const char *how)
{
    char a[200], b[200];

    bw_escape_for_log(w->rel.p, w->rel.len, a, sizeof(a));
    if (other_len == 0) {
        b[0] = '.';
        b[1] = '\0';
    } else {
        bw_escape_for_log(other, other_len, b, sizeof(b));
    }
    return bw_fail(w->err, BW_ELOOP, "directory loop: '%s' %s '%s'", a, how, b);
}

/* ---- entries -------------------------------------------------------------- */

/* Keep the file at w->rel; `path` (owned, may be NULL for root/rel) is what to open. */
static bw_status add_entry(struct walk *w, char *path, uint64_t size, bool via_link)
{
    bw_walk_list *l = w->out;
    bw_walk_entry *e;

    if (w->max_files != 0 && l->n >= w->max_files) {
        char d[256];
        bw_free(path);
        bw_escape_for_log(w->root, strlen(w->root), d, sizeof(d));
        return bw_fail(w->err, BW_ELIMIT, "more than %llu files under '%s'", (unsigned long long)w->max_files, d);
    }
    if (path == NULL) {
        path = path_join(w->root, strlen(w->root), w->rel.p, w->rel.len);
        if (path == NULL) {
            return nomem(w);
        }
    }
    if (l->n == w->cap_entries) {
        size_t cap = w->cap_entries ? w->cap_entries * 2 : 256;
        bw_walk_entry *v = bw_reallocarray(l->entries, cap, sizeof(*v));
        if (v == NULL) {
            bw_free(path);
            return nomem(w);
        }
        l->entries = v;
        w->cap_entries = cap;
    }
    e = &l->entries[l->n];
    e->rel = bw_strndup(w->rel.p, w->rel.len);
    if (e->rel == NULL) {
        bw_free(path);
        return nomem(w);
    }
    e->path = path;
    e->size = size;
    e->via_symlink = via_link;
    l->n++;
    return BW_OK;
}

/*
 * Descend into the directory `name` of `dfd` (or the absolute `name` when
 * dfd is AT_FDCWD), whose rel path is already in w->rel.
 */
static bw_status enter_dir(struct walk *w, int dfd, const char *name, const struct stat *want, unsigned depth,
                           bool via_link)
{
    struct stat st;
    int fd, e;

    if (depth > w->max_depth) {
        char d[256];
        bw_escape_for_log(w->rel.p, w->rel.len, d, sizeof(d));
        return bw_fail(w->err, BW_ELIMIT, "directory nested more than %u levels deep: '%s'", w->max_depth, d);
    }
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        if (fatal_errno(e)) {
            return fail_path(w, e, "cannot open directory", NULL);
        }
        warn_path(w, NULL, "cannot open directory", strerror(e));
        return BW_OK;
    }
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        return fail_path(w, e, "cannot stat directory", NULL);
    }
    if (st.st_dev != want->st_dev || st.st_ino != want->st_ino) {
        close(fd);
        warn_path(w, NULL, "skipping directory", "it changed during the walk");
        return BW_OK;
    }
    /* readable but not searchable: every child would fail, so say it once here */
    if (faccessat(fd, ".", X_OK, AT_EACCESS) != 0 && !fatal_errno(errno)) {
        e = errno;
        close(fd);
        warn_path(w, NULL, "cannot open directory", strerror(e));
        return BW_OK;
    }
    for (size_t i = 0; i < w->n_anc; i++) {
        if (w->anc[i].dev == st.st_dev && w->anc[i].ino == st.st_ino) {
            close(fd);
            return loop_fail(w, w->rel.p, w->anc[i].rel_len, "leads back to");
        }
    }
    if (via_link) {
        const struct seen *s = seen_find(w, st.st_dev, st.st_ino);
        if (s != NULL) {
            /*
             * Two links to one directory (latest -> v3, stable -> v3) is no
             * loop; listing it once keeps the walk linear even when links fan
             * out at every level. The second path is skipped, and said so.
             */
            char other[200];
            close(fd);
            bw_escape_for_log(s->rel, strlen(s->rel), other, sizeof(other));
            warn_path(w, NULL, "skipping directory", "it is the same directory as one already listed");
            BW_DEBUG("walk", "already listed as '%s'", other);
            return BW_OK;
        }
        if (seen_add(w, st.st_dev, st.st_ino, w->rel.p) != BW_OK) {
            close(fd);
            return nomem(w);
        }
    }
    return walk_dir(w, fd, depth, via_link);
}

/*
 * Canonical target of the link at w->real, or NULL (after a warning) when it
 * cannot be resolved or lies outside the root. Kept out of walk_link so the
 * PATH_MAX buffer is not on the stack during the descent.
 */
static bw_status resolve_link(struct walk *w, char **out)
{
    char buf[PATH_MAX];
    size_t n = w->root_real_len;
    int e;

    *out = NULL;
    if (realpath(w->real.p, buf) == NULL) {
        e = errno;
        if (fatal_errno(e)) {
            return fail_path(w, e, "cannot resolve symbolic link", NULL);
        }
        warn_path(w, NULL, "skipping symbolic link", strerror(e));
        return BW_OK;
    }
    /* component-aware: "/a/bc" is not inside "/a/b"; everything is inside "/" */
    if (!(n == 1 && w->root_real[0] == '/') &&
        !(strncmp(buf, w->root_real, n) == 0 && (buf[n] == '\0' || buf[n] == '/'))) {
        warn_path(w, NULL, "skipping symbolic link", "it points outside the root");
        return BW_OK;
    }
    *out = bw_strdup(buf);
    return *out == NULL ? nomem(w) : BW_OK;
}

/* Whether a path below the root ("/a/.git/x", "" for the root) has a ".git" component. */
static bool in_dot_git(const char *p)
{
    for (const char *q = strstr(p, "/.git"); q != NULL; q = strstr(q + 1, "/.git")) {
        if (q[5] == '\0' || q[5] == '/') {
            return true;
        }
    }
    return false;
}

/* The symbolic link `name` in `dfd`; w->rel and w->real already name it. */
static bw_status walk_link(struct walk *w, int dfd, const char *name, unsigned depth)
{
    struct stat st;
    struct pbuf saved;
    char *target = NULL;
    bool have;
    int e, is_dir;
    bw_status rc;

    have = fstatat(dfd, name, &st, 0) == 0;
    e = have ? 0 : errno;
    is_dir = have && S_ISDIR(st.st_mode);
    if ((is_dir && strcmp(name, ".git") == 0) || ignored(w, w->rel.p, is_dir)) {
        return BW_OK;
    }
    if (w->flags & BW_WALK_NO_SYMLINKS) {
        warn_path(w, NULL, "skipping symbolic link", "symbolic links are disabled");
        return BW_OK;
    }
    if (!have) {
        if (fatal_errno(e)) {
            return fail_path(w, e, "cannot stat", NULL);
        }
        warn_path(w, NULL, "skipping symbolic link", e == ENOENT ? "its target does not exist" : strerror(e));
        return BW_OK;
    }
    if (!is_dir && !S_ISREG(st.st_mode)) {
        BW_DEBUG("walk", "skipping a link to a special file");
        return BW_OK;
    }
    BW_TRY(resolve_link(w, &target));
    if (target == NULL) {
        return BW_OK;
    }
    if (in_dot_git(target + (w->root_real_len > 1 ? w->root_real_len : 0))) {
        bw_free(target); /* .git is skipped however it is reached */
        return BW_OK;
    }
    if (!is_dir) {
        if (access(target, R_OK) != 0 && !fatal_errno(errno)) {
            warn_path(w, NULL, "cannot read", strerror(errno));
            bw_free(target);
            return BW_OK;
        }
        return add_entry(w, target, (uint64_t)st.st_size, true);
    }
    /* below the link, w->real is the target's canonical path */
    saved = w->real;
    w->real.p = target;
    w->real.len = strlen(target);
    w->real.cap = w->real.len + 1;
    rc = enter_dir(w, AT_FDCWD, target, &st, depth + 1, true);
    bw_free(w->real.p);
    w->real = saved;
    return rc;
}

/*
 * Whether we may read the file. The mode bits settle the common cases
 * without a syscall (the owner's bits apply to the owner; a file readable by
 * owner, group and others is readable), so faccessat() runs only for the
 * rest. Returns false with errno set.
 */
static bool readable(const struct walk *w, int dfd, const char *name, const struct stat *st)
{
    if (st->st_uid == w->euid && w->euid != 0) {
        if (st->st_mode & S_IRUSR) {
            return true;
        }
        errno = EACCES;
        return false;
    }
    if ((st->st_mode & (S_IRUSR | S_IRGRP | S_IROTH)) == (S_IRUSR | S_IRGRP | S_IROTH)) {
        return true;
    }
    return faccessat(dfd, name, R_OK, AT_EACCESS) == 0 || fatal_errno(errno);
}

/* One directory entry of `dfd`, at depth `depth` (its parent's depth). */
static bw_status walk_entry(struct walk *w, int dfd, const char *name, unsigned depth, bool via_link)
{
    struct stat st;
    size_t n = strlen(name), rel_old = w->rel.len, real_old = w->real.len;
    bool is_dir;
    bw_status rc = BW_OK;
    int e;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        e = errno;
        if (fatal_errno(e)) {
            return fail_path(w, e, "cannot stat", name);
        }
        warn_path(w, name, "cannot stat", strerror(e));
        return BW_OK;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
        return BW_OK; /* fifos, sockets and devices are not files to scan */
    }
    if (pb_push(&w->rel, name, n, &rel_old) != BW_OK || pb_push(&w->real, name, n, &real_old) != BW_OK) {
        rc = nomem(w);
        goto out;
    }
    if (S_ISLNK(st.st_mode)) {
        rc = walk_link(w, dfd, name, depth);
        goto out;
    }
    is_dir = S_ISDIR(st.st_mode);
    if (is_dir && strcmp(name, ".git") == 0) {
        goto out;
    }
    if (ignored(w, w->rel.p, is_dir)) {
        goto out;
    }
    if (is_dir) {
        rc = enter_dir(w, dfd, name, &st, depth + 1, via_link);
        goto out;
    }
    if (!readable(w, dfd, name, &st)) {
        warn_path(w, NULL, "cannot read", strerror(errno));
        goto out;
    }
    if (via_link) {
        char *path = bw_strndup(w->real.p, w->real.len);
        rc = path == NULL ? nomem(w) : add_entry(w, path, (uint64_t)st.st_size, true);
    } else {
        rc = add_entry(w, NULL, (uint64_t)st.st_size, false);
    }
out:
    pb_trunc(&w->rel, rel_old);
    pb_trunc(&w->real, real_old);
    return rc;
}

/* List the directory open at `fd` (owned: closed here); its rel path is w->rel. */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bw_status walk_dir(struct walk *w, int fd, unsigned depth, bool via_link)
{
    struct stat st;
    DIR *d = NULL;
    size_t mark = w->rules.n;
    bool pushed = false;
    char **names = NULL;
    size_t n_names = 0, cap_names = 0;
    bw_status rc = BW_OK;

    if (fstat(fd, &st) != 0) {
        rc = fail_path(w, errno, "cannot stat directory", NULL);
        goto out;
    }
    if (w->n_anc == w->cap_anc) {
        size_t cap = w->cap_anc ? w->cap_anc * 2 : 32;
        struct anc *v = bw_reallocarray(w->anc, cap, sizeof(*v));
        if (v == NULL) {
            rc = nomem(w);
            goto out;
        }
        w->anc = v;
        w->cap_anc = cap;
    }
    w->anc[w->n_anc].dev = st.st_dev;
    w->anc[w->n_anc].ino = st.st_ino;
    w->anc[w->n_anc].rel_len = w->rel.len;
    w->n_anc++;
    pushed = true;

    /* .bulwarkignore is read second, so its lines win over .gitignore's in the same directory */
    if (w->flags & BW_WALK_GITIGNORE) {
        rc = load_ignore(w, fd, ".gitignore");
        if (rc != BW_OK) {
            goto out;
        }
    }
    if (w->flags & BW_WALK_BULWARKIGNORE) {
        rc = load_ignore(w, fd, ".bulwarkignore");
        if (rc != BW_OK) {
            goto out;
        }
    }
    d = fdopendir(fd);
    if (d == NULL) {
        rc = fail_path(w, errno, "cannot open directory", NULL);
        goto out;
    }
    fd = -1; /* owned by d now */
    /*
     * Visit the entries in byte order, not readdir order: when two links lead
     * to one directory, the one listed is then the same on every filesystem,
     * so manifests are reproducible.
     */
    for (;;) {
        struct dirent *de;

        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0) {
                rc = fail_path(w, errno, "cannot read directory", NULL);
            }
            break;
        }
        if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0'))) {
            continue;
        }
        if (n_names == cap_names) {
            size_t cap = cap_names ? cap_names * 2 : 64;
            char **v = bw_reallocarray(names, cap, sizeof(*v));
            if (v == NULL) {
                rc = nomem(w);
                break;
            }
            names = v;
            cap_names = cap;
        }
        if ((names[n_names] = bw_strdup(de->d_name)) == NULL) {
            rc = nomem(w);
            break;
        }
        n_names++;
    }
    if (rc == BW_OK && n_names > 1) {
        qsort(names, n_names, sizeof(*names), name_cmp);
    }
    for (size_t i = 0; rc == BW_OK && i < n_names; i++) {
        rc = walk_entry(w, dirfd(d), names[i], depth, via_link);
    }
out:
    for (size_t i = 0; i < n_names; i++) {
        bw_free(names[i]);
    }
    bw_free(names);
    if (d != NULL) {
        closedir(d);
    } else if (fd >= 0) {
        close(fd);
    }
    rules_pop(&w->rules, mark);
    if (pushed) {
        w->n_anc--;
    }
    return rc;
}

/* ---- public --------------------------------------------------------------- */

int bw_path_cmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    /*
     * Comparing component by component is the same as comparing bytes with
     * '/' ranked below every other byte but above the end of the string.
     */
    for (;; x++, y++) {
        unsigned cx = *x == '/' ? 1u : *x == '\0' ? 0u : *x + 1u;
        unsigned cy = *y == '/' ? 1u : *y == '\0' ? 0u : *y + 1u;

        if (cx != cy) {
            return cx < cy ? -1 : 1;
        }
        if (cx == 0) {
            return 0;
        }
    }
}

static int entry_cmp(const void *a, const void *b)
{
    return bw_path_cmp(((const bw_walk_entry *)a)->rel, ((const bw_walk_entry *)b)->rel);
}

void bw_walk_list_release(bw_walk_list *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        bw_free(l->entries[i].path);
        bw_free(l->entries[i].rel);
    }
    BW_FREE(l->entries);
    l->n = 0;
    l->warnings = 0;
}

/* realpath() into a stack buffer, copied with bw_strdup; NULL with errno set. */
static char *real_dup(const char *path)
{
    char buf[PATH_MAX];
    char *r;

    if (realpath(path, buf) == NULL) {
        return NULL;
    }
    r = bw_strdup(buf);
    if (r == NULL) {
        errno = ENOMEM;
    }
    return r;
}

bw_status bw_walk(const char *root, const bw_walk_opts *opts, bw_walk_list *out, bw_error *err)
{
    static const bw_walk_opts defaults = BW_WALK_OPTS_INIT;
    struct walk w;
    struct stat st;
    char *root_path = NULL;
    size_t n;
    int fd = -1;
    bw_status rc = BW_OK;

    memset(&w, 0, sizeof(w));
    if (out == NULL) {
        return bw_fail(err, BW_EINVAL, "bw_walk: no output list");
    }
    memset(out, 0, sizeof(*out));
    if (opts == NULL) {
        opts = &defaults;
    }
    if (root == NULL || root[0] == '\0') {
        return bw_fail(err, BW_EINVAL, "bw_walk: empty root path");
    }
    if (opts->version != BW_WALK_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "bw_walk: unsupported options version %u", opts->version);
    }
    if ((opts->flags & ~(unsigned)WALK_KNOWN_FLAGS) != 0 || (opts->n_excludes > 0 && opts->excludes == NULL)) {
        return bw_fail(err, BW_EINVAL, "bw_walk: invalid options");
    }
    if (opts->max_depth > WALK_MAX_DEPTH) {
        return bw_fail(err, BW_EINVAL, "bw_walk: max_depth %u is over the ceiling of %u", opts->max_depth,
                       WALK_MAX_DEPTH);
    }
    w.flags = opts->flags;
    w.euid = geteuid();
    w.max_depth = opts->max_depth ? opts->max_depth : WALK_DEFAULT_DEPTH;
    w.max_files = opts->max_files;
    w.err = err;
    w.out = out;
    w.root = root;

    /* "dir///" is "dir"; "/" stays "/" */
    n = strlen(root);
    while (n > 1 && root[n - 1] == '/') {
        n--;
    }
    root_path = bw_strndup(root, n);
    if (root_path == NULL) {
        rc = nomem(&w);
        goto out;
    }
    if (lstat(root_path, &st) != 0) {
        rc = bw_fail_errno(err, errno, "cannot open", root_path);
        goto out;
    }
    if (S_ISLNK(st.st_mode)) {
        /* the user named this link, so it is followed: its target is the root */
        char *t = real_dup(root_path);
        if (t == NULL) {
            rc = errno == ENOMEM ? nomem(&w) : bw_fail_errno(err, errno, "cannot resolve", root_path);
            goto out;
        }
        bw_free(root_path);
        root_path = t;
    }
    w.root = root_path;
    fd = open(root_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = bw_fail_errno(err, errno, "cannot open", root_path);
        goto out;
    }
    if (S_ISREG(st.st_mode)) {
        char *path = bw_strdup(root_path);
        if (path == NULL || pb_reserve(&w.rel, 1) != BW_OK) {
            bw_free(path);
            rc = nomem(&w);
            goto out;
        }
        w.rel.p[0] = '.';
        w.rel.p[1] = '\0';
        w.rel.len = 1;
        rc = add_entry(&w, path, (uint64_t)st.st_size, false);
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        char d[256];
        bw_escape_for_log(root_path, strlen(root_path), d, sizeof(d));
        rc = bw_fail(err, BW_EIO, "cannot walk '%s': not a regular file or directory", d);
        goto out;
    }
    if (faccessat(fd, ".", X_OK, AT_EACCESS) != 0) {
        rc = bw_fail_errno(err, errno, "cannot open directory", root_path);
        goto out;
    }
    w.root_real = real_dup(root_path);
    if (w.root_real == NULL) {
        rc = errno == ENOMEM ? nomem(&w) : bw_fail_errno(err, errno, "cannot resolve", root_path);
        goto out;
    }
    w.root_real_len = strlen(w.root_real);
    if (pb_push(&w.real, w.root_real, w.root_real_len, &n) != BW_OK || pb_reserve(&w.rel, 64) != BW_OK) {
        rc = nomem(&w);
        goto out;
    }
    for (size_t i = 0; i < opts->n_excludes; i++) {
        const char *x = opts->excludes[i];
        if (x == NULL) {
            continue;
        }
        rc = rule_add(&w.excl, x, strlen(x), 0, false);
        if (rc == BW_ELIMIT) {
            rc = bw_fail(err, BW_EINVAL, "exclude pattern %zu is longer than %u bytes", i + 1, WALK_PATTERN_MAX);
            goto out;
        }
        if (rc != BW_OK) {
            rc = nomem(&w);
            goto out;
        }
    }
    rc = walk_dir(&w, fd, 0, false);
    fd = -1;
    if (rc == BW_OK && out->n > 1) {
        qsort(out->entries, out->n, sizeof(*out->entries), entry_cmp);
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rc != BW_OK) {
        bw_walk_list_release(out);
    }
    rules_release(&w.excl);
    rules_release(&w.rules);
    for (size_t i = 0; i < w.cap_seen; i++) {
        bw_free(w.seen[i].rel);
    }
    bw_free(w.seen);
    bw_free(w.anc);
    bw_free(w.rel.p);
    bw_free(w.real.p);
    bw_free(w.root_real);
    bw_free(root_path);
    return rc;
}
