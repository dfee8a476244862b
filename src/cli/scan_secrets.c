/*
 * scan_secrets.c - the parts of `bulwark scan secrets|pii` that deal with
 * the world around the scanner: baselines and ignore files, and git
 * (--staged for the pre-commit hook, --git-history for past commits).
 * Git runs as a child process without a shell; its output is parsed here.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/cli/cmd.h"

extern char **environ;

static bool is_fp(const char *s, size_t n)
{
    if (n != 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static int push_fp(char ***fps, size_t *n, const char *s)
{
    char **v = realloc(*fps, (*n + 1) * sizeof(char *));

    if (v == NULL) {
        return -1;
    }
    *fps = v;
    v[*n] = strndup(s, 64);
    if (v[*n] == NULL) {
        return -1;
    }
    (*n)++;
    return 0;
}

int cli_load_fingerprints(const char *path, char ***fps, size_t *n)
{
    bw_buf b = BW_BUF_INIT((size_t)256 << 20);
    bw_error e;
    const char *p, *end;
    size_t found = 0;

    bw_error_clear(&e);
    if (bw_file_slurp(path, BW_FILE_FOLLOW, (size_t)256 << 20, &b, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        return CLI_EXIT_ERROR;
    }
    /* every "fingerprint": "<64 hex>" in a baseline or in any bulwark JSON report */
    p = (const char *)b.ptr;
    end = p + b.len;
    while (p != NULL && p < end) {
        const char *k = memmem(p, (size_t)(end - p), "\"fingerprint\"", 13);
        if (k == NULL) {
            break;
        }
        p = k + 13;
        while (p < end && (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')) {
            p++;
        }
        if (p < end && *p == '"' && end - p > 65 && p[65] == '"' && is_fp(p + 1, 64)) {
            if (push_fp(fps, n, p + 1) != 0) {
                bw_buf_release(&b);
                cli_error("out of memory");
                return CLI_EXIT_ERROR;
            }
            found++;
        }
    }
    if (found == 0 && strstr(b.ptr ? (const char *)b.ptr : "", "\"fingerprints\"") == NULL) {
        cli_warn("baseline '%s' lists no findings", path);
    }
    bw_buf_release(&b);
    return 0;
}

int cli_load_ignore_findings(const char *dir, char ***fps, size_t *n)
{
    char path[4096];
    bw_buf b = BW_BUF_INIT((size_t)4 << 20);
    bool in = false;
    const char *p, *end;

    snprintf(path, sizeof(path), "%s/.bulwarkignore", dir);
    if (access(path, F_OK) != 0 || bw_file_slurp(path, 0, (size_t)4 << 20, &b, NULL) != BW_OK) {
        bw_buf_release(&b);
        return 0;
    }
    p = (const char *)b.ptr;
    end = p + b.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t k = 0;
        while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ')) {
            len--;
        }
        if (len >= 1 && p[0] == '[') {
            in = len == 10 && memcmp(p, "[findings]", 10) == 0;
        } else if (in) {
            while (k < len && p[k] == ' ') {
                k++;
            }
            if (len - k >= 64 && is_fp(p + k, 64) && (len - k == 64 || p[k + 64] == ' ' || p[k + 64] == '#')) {
                if (push_fp(fps, n, p + k) != 0) {
                    bw_buf_release(&b);
                    return CLI_EXIT_ERROR;
                }
            }
        }
        p += len + 1;
        if (nl == NULL) {
            break;
        }
        p = nl + 1;
    }
    bw_buf_release(&b);
    return 0;
}

int cli_write_baseline(const char *path, const bw_report *r)
{
    bw_json j;
    bw_buf out = BW_BUF_INIT((size_t)1 << 30);
    bw_error e;
    int rc = 0;

    bw_error_clear(&e);
    bw_json_init(&j, &out, 1);
    bw_json_obj_begin(&j);
    bw_json_kv_int(&j, "version", 1);
    bw_json_kv_str(&j, "tool", "bulwark");
    bw_json_key(&j, "fingerprints");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < bw_report_count(r); i++) {
        const bw_finding *f = bw_report_get(r, i);
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "fingerprint", f->fingerprint);
        bw_json_kv_str(&j, "rule", f->rule_id);
        bw_json_kv_str(&j, "path", f->loc.path ? f->loc.path : "");
        if (f->loc.member != NULL) {
            bw_json_kv_str(&j, "member", f->loc.member);
        }
        bw_json_kv_int(&j, "line", f->loc.line);
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    if (bw_json_finish(&j) != BW_OK || bw_buf_addc(&out, '\n') != BW_OK) {
        cli_error("cannot render the baseline");
        rc = CLI_EXIT_ERROR;
    } else if (bw_file_write_atomic(path, out.ptr, out.len, 0644, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = CLI_EXIT_ERROR;
    }
    bw_buf_release(&out);
    return rc;
}

/* ---- git ---------------------------------------------------------------------------------------- */

/*
 * Start git with argv (NULL-terminated, argv[0] = "git"), its standard
 * input from fd `in` (-1: /dev/null), its output into a pipe whose read end
 * goes to *out. Returns 0, or -1 when it cannot be started.
 */
static int spawn_git(const char *const argv[], int in, pid_t *pid, int *out)
{
    int pipefd[2];
    posix_spawn_file_actions_t fa;

    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    if (in >= 0) {
        posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    /* git's own complaints (not a repository, a bad range) become our one-line error */
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(pid, "git", &fa, NULL, (char *const *)(uintptr_t)argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    *out = pipefd[0];
    return 0;
}

/* Wait for git: its exit status, or -1. */
static int wait_git(pid_t pid)
{
    int status = -1;

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Read fd to its end into out (within out's limit). 0, or -1 when the limit or memory ran out. */
static int read_fd(int fd, bw_buf *out)
{
    for (;;) {
        ssize_t got;
        if (bw_buf_grow(out, 1 << 16) != BW_OK) {
            return -1;
        }
        got = read(fd, out->ptr + out->len, out->cap - out->len);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return 0;
        }
        out->len += (size_t)got;
    }
}

/* Run git with argv (NULL-terminated, argv[0] = "git"); stdout into out. Returns git's exit status or -1. */
static int run_git(const char *const argv[], bw_buf *out)
{
    pid_t pid;
    int fd, rc;

    if (spawn_git(argv, -1, &pid, &fd) != 0) {
        return -1;
    }
    rc = read_fd(fd, out);
    close(fd);
    return wait_git(pid) == 0 && rc == 0 ? 0 : -1;
}

/* Added line ranges of the hunks ("@@ -a,b +c,d @@") in diff text p[0..n): pairs [first, last], appended. */
static int hunk_ranges(const char *p, size_t n, uint32_t **ranges, size_t *nr)
{
    const char *end = p + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len > 4 && memcmp(p, "@@ -", 4) == 0) {
            const char *plus = memchr(p, '+', len);
            if (plus != NULL) {
                unsigned long start = strtoul(plus + 1, NULL, 10), count = 1;
                const char *q = plus + 1;
                while (q < p + len && *q >= '0' && *q <= '9') {
                    q++;
                }
                if (q < p + len && *q == ',') {
                    count = strtoul(q + 1, NULL, 10);
                }
                if (count > 0) {
                    uint32_t *v = realloc(*ranges, (*nr + 1) * 2 * sizeof(uint32_t));
                    if (v == NULL) {
                        return -1;
                    }
                    *ranges = v;
                    v[2 * *nr] = (uint32_t)start;
                    v[2 * *nr + 1] = (uint32_t)(start + count - 1);
                    (*nr)++;
                }
            }
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* Scan one staged file's bytes, its added lines only. 0, or CLI_EXIT_ERROR. */
static int scan_staged_blob(const bw_secrets *s, bw_report *report, const char *name, const bw_buf *blob,
                            const uint32_t *ranges, size_t nr)
{
    bw_secrets_input in = {0};
    bw_error e;

    in.name = name;
    in.data = blob->ptr;
    in.len = blob->len;
    in.line_ranges = ranges;
    in.n_line_ranges = nr;
    bw_error_clear(&e);
    if (bw_secrets_scan_input(s, report, &in, &e) != BW_OK) {
        if (bw_report_add_error(report, name, &e) != BW_OK) {
            cli_error("out of memory");
        }
        cli_report_error(&e, e.code);
        return CLI_EXIT_ERROR;
    }
    bw_report_count_input(report, blob->len);
    return 0;
}

/* A buffered reader of `git cat-file --batch` output. */
struct batch {
    int fd;
    size_t pos, len;
    char buf[1 << 16];
};

static int batch_fill(struct batch *r)
{
    ssize_t got;

    do {
        got = read(r->fd, r->buf, sizeof(r->buf));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        return -1;
    }
    r->pos = 0;
    r->len = (size_t)got;
    return 0;
}

/* The next line (without its newline) into line[0..cap): 0, or -1 at the end or for a line too long. */
static int batch_line(struct batch *r, char *line, size_t cap)
{
    size_t k = 0;

    for (;;) {
        if (r->pos == r->len && batch_fill(r) != 0) {
            return -1;
        }
        char c = r->buf[r->pos++];
        if (c == '\n') {
            line[k] = '\0';
            return 0;
        }
        if (k + 1 >= cap) {
            return -1;
        }
        line[k++] = c;
    }
}

/* The next n bytes into out (appended; skipped when out is NULL): 0, or -1. */
static int batch_bytes(struct batch *r, uint64_t n, bw_buf *out)
{
    while (n > 0) {
        size_t k;
        if (r->pos == r->len && batch_fill(r) != 0) {
            return -1;
        }
        k = r->len - r->pos < n ? r->len - r->pos : (size_t)n;
        if (out != NULL && bw_buf_add(out, r->buf + r->pos, k) != BW_OK) {
            return -1;
        }
        r->pos += k;
        n -= k;
    }
    return 0;
}

/*
 * Start `git cat-file --batch` on the object ids in `ids` (one a line),
 * fed from a memory file so that neither side waits on the other's pipe.
 * NULL when it cannot be started.
 */
static struct batch *batch_open(const bw_buf *ids, pid_t *pid)
{
    static const char *const argv[] = {"git", "cat-file", "--batch", NULL};
    struct batch *r = malloc(sizeof(*r));
    int mfd = memfd_create("bulwark-cat-file", MFD_CLOEXEC);
    bool ok = r != NULL && mfd >= 0 && write(mfd, ids->ptr, ids->len) == (ssize_t)ids->len &&
              lseek(mfd, 0, SEEK_SET) == 0 && spawn_git(argv, mfd, pid, &r->fd) == 0;

    if (mfd >= 0) {
        close(mfd);
    }
    if (!ok) {
        free(r);
        return NULL;
    }
    r->pos = r->len = 0;
    return r;
}

/* The next object: 1 a blob (its bytes appended to out), 0 missing or not a blob (skipped), -1 unreadable. */
static int batch_blob(struct batch *r, bw_buf *out)
{
    char head[128], type[32];
    unsigned long long size = 0;
    bool blob;

    if (batch_line(r, head, sizeof(head)) != 0) {
        return -1;
    }
    if (sscanf(head, "%*40s %31s %llu", type, &size) != 2) {
        return 0; /* "<id> missing" */
    }
    blob = strcmp(type, "blob") == 0;
    if (batch_bytes(r, size, blob ? out : NULL) != 0 || batch_bytes(r, 1, NULL) != 0) {
        return -1; /* the contents, then a newline */
    }
    return blob ? 1 : 0;
}

static void batch_close(struct batch *r, pid_t pid)
{
    if (r != NULL) {
        close(r->fd);
        (void)wait_git(pid);
        free(r);
    }
}

/* One staged file: its blob's id, and the added lines of its section of the diff. */
struct staged {
    char sha[41];
    const char *path; /* in the diff's output */
    uint32_t *ranges;
    size_t nr;
    bool blob; /* a file or a symlink (not a submodule's commit) */
};

/*
 * Parse `git diff --cached --patch-with-raw -z --no-abbrev` output: the raw
 * records (":mode mode sha sha status\0path\0", paths unquoted) come first,
 * then the patch, one "diff --git" section a file in the same order.
 * Returns the number of files, or -1 for output not of that form.
 */
static long parse_staged(char *p, size_t n, struct staged **out)
{
    char *end = p + n, *sec;
    struct staged *v = NULL;
    size_t k = 0;

    *out = NULL;
    while (p < end && *p == ':') {
        char *nul = memchr(p, '\0', (size_t)(end - p)), *path, *pend;
        unsigned m1, m2;
        char sha[41];
        struct staged *nv;
        if (nul == NULL || sscanf(p, ":%o %o %*40s %40s", &m1, &m2, sha) != 3 || strlen(sha) != 40) {
            goto bad;
        }
        path = nul + 1;
        pend = path < end ? memchr(path, '\0', (size_t)(end - path)) : NULL;
        if (pend == NULL || (nv = realloc(v, (k + 1) * sizeof(*v))) == NULL) {
            goto bad;
        }
        v = nv;
        memset(&v[k], 0, sizeof(v[k]));
        memcpy(v[k].sha, sha, sizeof(sha));
        v[k].path = path;
        v[k].blob = (m2 & 0170000) == 0100000 || (m2 & 0170000) == 0120000;
        k++;
        p = pend + 1;
    }
    if (p < end && *p == '\0') {
        p++; /* the raw part ends with an empty record */
    }
    sec = p;
    for (size_t i = 0; i < k; i++) {
        char *next;
        if (sec >= end || (size_t)(end - sec) < 11 || memcmp(sec, "diff --git ", 11) != 0) {
            goto bad;
        }
        next = memmem(sec + 1, (size_t)(end - sec - 1), "\ndiff --git ", 12);
        next = next != NULL ? next + 1 : end;
        if (hunk_ranges(sec, (size_t)(next - sec), &v[i].ranges, &v[i].nr) != 0) {
            goto bad;
        }
        sec = next;
    }
    if (sec != end) {
        goto bad;
    }
    *out = v;
    return (long)k;
bad:
    for (size_t i = 0; i < k; i++) {
        free(v[i].ranges);
    }
    free(v);
    return -1;
}

/*
 * Every staged file with two git processes whatever their number: the whole
 * staged diff with its raw records (names, blob ids, added lines), then
 * `git cat-file --batch` fed the ids of the files with added lines from a
 * memory file, read one blob at a time.
 */
int cli_scan_git_staged(const bw_secrets *s, bw_report *report)
{
    const char *diff_argv[] = {"git",
                               "diff",
                               "--cached",
                               "-U0",
                               "--no-color",
                               "--no-ext-diff",
                               "--diff-filter=ACMR",
                               "--no-renames",
                               "--patch-with-raw",
                               "-z",
                               "--no-abbrev",
                               "--src-prefix=a/",
                               "--dst-prefix=b/",
                               NULL};
    bw_buf diff = BW_BUF_INIT((size_t)1 << 30);
    struct staged *v = NULL;
    bw_buf ids = BW_BUF_INIT((size_t)1 << 30);
    struct batch *rd = NULL;
    pid_t cat_pid = -1;
    int rc = 0;
    long k;

    if (run_git(diff_argv, &diff) != 0) {
        bw_buf_release(&diff);
        cli_error("--staged: 'git diff --cached' failed (not inside a git repository?)");
        return CLI_EXIT_ERROR;
    }
    k = parse_staged((char *)diff.ptr, diff.len, &v);
    if (k < 0) {
        bw_buf_release(&diff);
        cli_error("--staged: 'git diff --cached' printed what it was not asked for");
        return CLI_EXIT_ERROR;
    }
    /* the blobs of the files with added lines, one id a line for cat-file */
    for (long i = 0; i < k && rc == 0; i++) {
        if (v[i].blob && v[i].nr > 0 && (bw_buf_add(&ids, v[i].sha, 40) != BW_OK || bw_buf_addc(&ids, '\n') != BW_OK)) {
            rc = CLI_EXIT_ERROR;
        }
    }
    if (rc == 0 && ids.len > 0 && (rd = batch_open(&ids, &cat_pid)) == NULL) {
        cli_error("--staged: cannot start 'git cat-file'");
        rc = CLI_EXIT_ERROR;
    }
    for (long i = 0; i < k && rc == 0 && rd != NULL; i++) {
        bw_buf blob = BW_BUF_INIT((size_t)4 << 30);

        if (!v[i].blob || v[i].nr == 0) {
            continue; /* nothing added (a mode change, a binary), or a submodule */
        }
        if (batch_blob(rd, &blob) != 1) {
            cli_error("--staged: cannot read '%s' from the index", v[i].path);
            rc = CLI_EXIT_ERROR;
        } else {
            rc = scan_staged_blob(s, report, v[i].path, &blob, v[i].ranges, v[i].nr);
        }
        bw_buf_release(&blob);
    }
    batch_close(rd, cat_pid);
    bw_buf_release(&ids);
    /* the rules on names (a PKCS #12 key store): every staged file, binary ones too, by name alone */
    for (long i = 0; i < k && rc == 0; i++) {
        bw_secrets_input in = {0};
        bw_error e;
        if (!v[i].blob) {
            continue;
        }
        in.name = v[i].path;
        in.data = "";
        bw_error_clear(&e);
        if (bw_secrets_scan_input(s, report, &in, &e) != BW_OK) {
            cli_report_error(&e, e.code);
            rc = CLI_EXIT_ERROR;
        }
    }
    for (long i = 0; i < k; i++) {
        free(v[i].ranges);
    }
    free(v);
    bw_buf_release(&diff);
    return rc;
}

struct blob {
    char sha[41];
    char commit[41];
    char *path;
    char *who;
    bool dup;
};

struct blob_ref {
    struct blob *b;
    size_t i;
};

static int cmp_blob(const void *x, const void *y)
{
    const struct blob_ref *a = x, *b = y;
    int c = strcmp(a->b->sha, b->b->sha);
    return c != 0 ? c : (a->i < b->i ? -1 : a->i > b->i);
}

/*
 * --git-history: every blob that any commit in RANGE (default: all refs)
 * added or changed, scanned once, oldest commit first, each secret reported
 * once with the commit that introduced it.
 */
int cli_scan_git_history(const bw_secrets *s, bw_report *report, const char *range)
{
    const char *argv[16];
    int k = 0;
    bw_buf log = BW_BUF_INIT((size_t)4 << 30);
    struct blob *blobs = NULL;
    struct blob_ref *order;
    size_t nb = 0, cap = 0;
    char commit[41] = "", who[256] = "";
    int rc = 0;

    argv[k++] = "git";
    argv[k++] = "log";
    argv[k++] = "--reverse";
    argv[k++] = "--no-renames";
    argv[k++] = "--raw";
    argv[k++] = "--no-abbrev";
    argv[k++] = "-z";
    argv[k++] = "--format=%x01%H%x02%an <%ae>, %aI";
    if (range != NULL) {
        argv[k++] = range;
    } else {
        argv[k++] = "--all";
    }
    argv[k++] = "--";
    argv[k] = NULL;
    if (run_git(argv, &log) != 0) {
        bw_buf_release(&log);
        cli_error("--git-history: 'git log' failed (not a git repository, or a bad range?)");
        return CLI_EXIT_ERROR;
    }
    /* tokens separated by NUL: "\x01<commit>\x02<who>" headers, ":<modes> <old> <new> <status>" then a path */
    for (size_t i = 0; i < log.len;) {
        char *t = (char *)log.ptr + i;
        size_t len = strnlen(t, log.len - i);
        i += len + 1;
        while (len > 0 && (*t == '\n')) {
            t++;
            len--;
        }
        if (len > 0 && t[0] == '\x01') {
            char *sep = memchr(t, '\x02', len);
            snprintf(commit, sizeof(commit), "%.40s", t + 1);
            snprintf(who, sizeof(who), "%.*s", sep ? (int)(len - (size_t)(sep + 1 - t)) : 0, sep ? sep + 1 : "");
            /* a header may be followed, in the same token, by a raw line after '\n' */
            char *nl = memchr(t, '\n', len);
            if (nl == NULL) {
                continue;
            }
            *nl = '\0';
            snprintf(who, sizeof(who), "%s", sep ? sep + 1 : "");
            len -= (size_t)(nl + 1 - t);
            t = nl + 1;
            while (len > 0 && *t == '\n') {
                t++;
                len--;
            }
        }
        if (len > 0 && t[0] == ':' && i < log.len) {
            /* ":100644 100644 <old40> <new40> M" */
            char *path = (char *)log.ptr + i;
            size_t plen = strnlen(path, log.len - i);
            char status = len > 0 ? t[len - 1] : '?';
            i += plen + 1;
            if ((status == 'A' || status == 'M') && len >= 97) {
                const char *newsha = t + len - 42;
                if (memcmp(t + 1, "160000", 6) == 0 || memcmp(t + 8, "160000", 6) == 0) {
                    continue; /* a submodule commit, not a blob */
                }
                if (nb == cap) {
                    size_t nc = cap ? cap * 2 : 256;
                    struct blob *v = realloc(blobs, nc * sizeof(*v));
                    if (v == NULL) {
                        rc = CLI_EXIT_ERROR;
                        break;
                    }
                    blobs = v;
                    cap = nc;
                }
                snprintf(blobs[nb].sha, sizeof(blobs[nb].sha), "%.40s", newsha);
                snprintf(blobs[nb].commit, sizeof(blobs[nb].commit), "%s", commit);
                blobs[nb].path = strndup(path, plen);
                blobs[nb].who = strdup(who);
                blobs[nb].dup = false;
                nb++;
            }
        }
    }
    bw_buf_release(&log);
    /* each blob once: the first commit that brought it (a stable sort by id keeps that one first) */
    order = calloc(nb + 1, sizeof(*order));
    if (order == NULL) {
        rc = CLI_EXIT_ERROR;
        nb = 0;
    }
    for (size_t b = 0; b < nb; b++) {
        order[b].b = &blobs[b];
        order[b].i = b;
    }
    qsort(order, nb, sizeof(*order), cmp_blob);
    for (size_t q = 0; q < nb; q++) {
        order[q].b->dup = q > 0 && strcmp(order[q - 1].b->sha, order[q].b->sha) == 0;
    }
    free(order);
    /* every blob through one `git cat-file --batch` */
    {
        bw_buf ids = BW_BUF_INIT((size_t)1 << 30);
        struct batch *rd = NULL;
        pid_t cat_pid = -1;

        for (size_t b = 0; b < nb && rc == 0; b++) {
            if (!blobs[b].dup && blobs[b].path != NULL &&
                (bw_buf_add(&ids, blobs[b].sha, 40) != BW_OK || bw_buf_addc(&ids, '\n') != BW_OK)) {
                rc = CLI_EXIT_ERROR;
            }
        }
        if (rc == 0 && ids.len > 0 && (rd = batch_open(&ids, &cat_pid)) == NULL) {
            cli_error("--git-history: cannot start 'git cat-file'");
            rc = CLI_EXIT_ERROR;
        }
        for (size_t b = 0; b < nb && rc == 0 && rd != NULL; b++) {
            bw_buf data = BW_BUF_INIT((size_t)4 << 30);
            char note[400];
            bw_secrets_input in = {0};
            bw_error e;
            int got;

            if (blobs[b].dup || blobs[b].path == NULL) {
                continue;
            }
            got = batch_blob(rd, &data);
            if (got < 0) {
                cli_error("--git-history: cannot read '%s' from 'git cat-file'", blobs[b].path);
                rc = CLI_EXIT_ERROR;
            } else if (got == 1) { /* 0: a missing object (a shallow clone), skipped */
                snprintf(note, sizeof(note), "introduced in commit %.12s by %s", blobs[b].commit,
                         blobs[b].who ? blobs[b].who : "?");
                in.name = blobs[b].path;
                in.data = data.ptr;
                in.len = data.len;
                in.note = note;
                bw_error_clear(&e);
                if (bw_secrets_scan_input(s, report, &in, &e) != BW_OK) {
                    cli_report_error(&e, e.code);
                    if (bw_report_add_error(report, blobs[b].path, &e) != BW_OK) {
                        rc = CLI_EXIT_ERROR;
                    }
                } else {
                    bw_report_count_input(report, data.len);
                }
            }
            bw_buf_release(&data);
        }
        batch_close(rd, cat_pid);
        bw_buf_release(&ids);
    }
    for (size_t b = 0; b < nb; b++) {
        free(blobs[b].path);
        free(blobs[b].who);
    }
    free(blobs);
    return rc;
}
