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

/* Run git with argv (NULL-terminated, argv[0] = "git"); stdout into out. Returns git's exit status or -1. */
static int run_git(const char *const argv[], bw_buf *out)
{
    int pipefd[2], status = -1;
    pid_t pid;
    posix_spawn_file_actions_t fa;

    if (pipe(pipefd) != 0) {
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    posix_spawn_file_actions_addclose(&fa, pipefd[1]);
    /* git's own complaints (not a repository, a bad range) become our one-line error */
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, "git", &fa, NULL, (char *const *)(uintptr_t)argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    for (;;) {
        ssize_t got;
        if (bw_buf_grow(out, 1 << 16) != BW_OK) {
            break;
        }
        got = read(pipefd[0], out->ptr + out->len, out->cap - out->len);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        out->len += (size_t)got;
    }
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Added line ranges of `path` in the staged diff: pairs [first, last]. */
static int staged_ranges(const char *path, uint32_t **ranges, size_t *n)
{
    const char *argv[] = {"git", "diff", "--cached", "-U0", "--no-color", "--no-ext-diff", "--", path, NULL};
    bw_buf out = BW_BUF_INIT((size_t)1 << 30);
    const char *p, *end;

    *ranges = NULL;
    *n = 0;
    if (run_git(argv, &out) != 0) {
        bw_buf_release(&out);
        return -1;
    }
    p = (const char *)out.ptr;
    end = p ? p + out.len : p;
    while (p != NULL && p < end) {
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
                if (*q == ',') {
                    count = strtoul(q + 1, NULL, 10);
                }
                if (count > 0) {
                    uint32_t *v = realloc(*ranges, (*n + 1) * 2 * sizeof(uint32_t));
                    if (v == NULL) {
                        bw_buf_release(&out);
                        return -1;
                    }
                    *ranges = v;
                    v[2 * *n] = (uint32_t)start;
                    v[2 * *n + 1] = (uint32_t)(start + count - 1);
                    (*n)++;
                }
            }
        }
        p = nl ? nl + 1 : end;
    }
    bw_buf_release(&out);
    return 0;
}

int cli_scan_git_staged(const bw_secrets *s, bw_report *report)
{
    const char *names_argv[] = {"git",          "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR",
                                "--no-renames", NULL};
    bw_buf names = BW_BUF_INIT((size_t)1 << 30);
    int rc = 0;

    if (run_git(names_argv, &names) != 0) {
        bw_buf_release(&names);
        cli_error("--staged: 'git diff --cached' failed (not inside a git repository?)");
        return CLI_EXIT_ERROR;
    }
    for (size_t i = 0; i < names.len && rc == 0;) {
        const char *name = (const char *)names.ptr + i;
        size_t len = strnlen(name, names.len - i);
        char spec[4200];
        const char *show_argv[] = {"git", "cat-file", "blob", spec, NULL};
        bw_buf blob = BW_BUF_INIT((size_t)4 << 30);
        uint32_t *ranges = NULL;
        size_t nr = 0;
        bw_secrets_input in = {0};
        bw_error e;

        i += len + 1;
        if (len == 0 || len >= 4096) {
            continue;
        }
        snprintf(spec, sizeof(spec), ":%.*s", (int)len, name);
        if (run_git(show_argv, &blob) != 0 || staged_ranges(spec + 1, &ranges, &nr) != 0) {
            cli_error("--staged: cannot read '%s' from the index", spec + 1);
            rc = CLI_EXIT_ERROR;
        } else if (nr > 0) {
            in.name = spec + 1;
            in.data = blob.ptr;
            in.len = blob.len;
            in.line_ranges = ranges;
            in.n_line_ranges = nr;
            bw_error_clear(&e);
            if (bw_secrets_scan_input(s, report, &in, &e) != BW_OK) {
                if (bw_report_add_error(report, spec + 1, &e) != BW_OK) {
                    rc = CLI_EXIT_ERROR;
                }
                cli_report_error(&e, e.code);
                rc = CLI_EXIT_ERROR;
            } else {
                bw_report_count_input(report, blob.len);
            }
        }
        free(ranges);
        bw_buf_release(&blob);
    }
    bw_buf_release(&names);
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
    for (size_t b = 0; b < nb && rc == 0; b++) {
        if (!blobs[b].dup && blobs[b].path != NULL) {
            const char *cat[] = {"git", "cat-file", "blob", blobs[b].sha, NULL};
            bw_buf data = BW_BUF_INIT((size_t)4 << 30);
            char note[400];
            bw_secrets_input in = {0};
            bw_error e;

            if (run_git(cat, &data) == 0) {
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
    }
    for (size_t b = 0; b < nb; b++) {
        free(blobs[b].path);
        free(blobs[b].who);
    }
    free(blobs);
    return rc;
}
