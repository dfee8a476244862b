/*
 * file.c - opening inputs safely, reading them whole or streamed, and writing
 * outputs atomically (see bw_file.h).
 *
 * Inputs are opened O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK: O_NONBLOCK so that
 * opening a FIFO someone planted does not hang us before fstat() can see it
 * is not a regular file; the flag is cleared again once the type is known.
 * Anything that is not a regular file is refused (except standard input,
 * which is read as a stream when the caller allows "-").
 *
 * A mapping of a file that another process truncates raises SIGBUS on
 * access. Code that must survive hostile writers to the same file (digests
 * of files that may change) reads with bw_file_read/pread instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/internal.h"

struct bw_file {
    int fd;
    char *path;
    bw_file_stat st;
    void *map;
    size_t map_len;
};

static void stat_fill(bw_file_stat *o, const struct stat *s)
{
    o->size = S_ISREG(s->st_mode) ? (uint64_t)s->st_size : 0;
    o->mtime_sec = (int64_t)s->st_mtim.tv_sec;
    o->mtime_nsec = s->st_mtim.tv_nsec;
    o->dev = (uint64_t)s->st_dev;
    o->ino = (uint64_t)s->st_ino;
    o->is_regular = S_ISREG(s->st_mode) ? 1 : 0;
}

static const char *type_name(mode_t m)
{
    if (S_ISDIR(m)) {
        return "is a directory";
    }
    if (S_ISFIFO(m)) {
        return "is a FIFO, not a regular file";
    }
    if (S_ISSOCK(m)) {
        return "is a socket, not a regular file";
    }
    if (S_ISCHR(m) || S_ISBLK(m)) {
        return "is a device, not a regular file";
    }
    return "is not a regular file";
}

bw_status bw_file_open(bw_file **out, const char *path, unsigned flags, bw_error *err)
{
    bw_file *f = NULL;
    struct stat st;
    int fd = -1, oflags;
    char esc[200];
    bw_status rc;

    *out = NULL;
    bw_escape_for_log(path, strlen(path), esc, sizeof(esc));
    if ((flags & BW_FILE_STDIN) && strcmp(path, "-") == 0) {
        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
            return bw_fail_errno(err, errno, "cannot read", "standard input");
        }
        if (fstat(fd, &st) != 0) {
            rc = bw_fail_errno(err, errno, "cannot stat", "standard input");
            goto fail;
        }
    } else {
        oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        if (!(flags & BW_FILE_FOLLOW)) {
            oflags |= O_NOFOLLOW;
        }
        fd = open(path, oflags);
        if (fd < 0) {
            if (errno == ELOOP && !(flags & BW_FILE_FOLLOW)) {
                return bw_fail(err, BW_EIO, "cannot open '%s': is a symbolic link", esc);
            }
            return bw_fail_errno(err, errno, "cannot open", path);
        }
        if (fstat(fd, &st) != 0) {
            rc = bw_fail_errno(err, errno, "cannot stat", path);
            goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
            rc = bw_fail(err, BW_EIO, "cannot read '%s': %s", esc, type_name(st.st_mode));
            goto fail;
        }
        if (fcntl(fd, F_SETFL, oflags & ~O_NONBLOCK & ~O_NOFOLLOW & ~O_CLOEXEC & ~O_NOCTTY) != 0) {
            rc = bw_fail_errno(err, errno, "cannot set flags on", path);
            goto fail;
        }
    }
    f = bw_calloc(1, sizeof(*f));
    if (f == NULL || (f->path = bw_strdup(path)) == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory opening '%s'", esc);
        goto fail;
    }
    f->fd = fd;
    stat_fill(&f->st, &st);
    *out = f;
    return BW_OK;
fail:
    if (f != NULL) {
        bw_free(f->path);
        bw_free(f);
    }
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

void bw_file_close(bw_file *f)
{
    if (f == NULL) {
        return;
    }
    if (f->map != NULL) {
        munmap(f->map, f->map_len);
    }
    if (f->fd >= 0) {
        close(f->fd);
    }
    bw_free(f->path);
    bw_free(f);
}

const bw_file_stat *bw_file_info(const bw_file *f)
{
    return &f->st;
}

const char *bw_file_path(const bw_file *f)
{
    return f->path;
}

int bw_file_fd(const bw_file *f)
{
    return f->fd;
}

bw_status bw_file_map(bw_file *f, bw_bytes *out, bw_error *err)
{
    void *p;

    out->ptr = NULL;
    out->len = 0;
    if (!f->st.is_regular || f->st.size == 0) {
        return BW_EUNSUPPORTED;
    }
    if (f->st.size > SIZE_MAX) {
        return BW_EUNSUPPORTED;
    }
    if (f->map == NULL) {
        p = mmap(NULL, (size_t)f->st.size, PROT_READ, MAP_PRIVATE, f->fd, 0);
        if (p == MAP_FAILED) {
            return bw_fail_errno(err, errno, "cannot map", f->path);
        }
        f->map = p;
        f->map_len = (size_t)f->st.size;
    }
    out->ptr = f->map;
    out->len = f->map_len;
    return BW_OK;
}

bw_status bw_file_read(bw_file *f, void *buf, size_t cap, size_t *got, bw_error *err)
{
    ssize_t n;

    do {
        n = read(f->fd, buf, cap);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        *got = 0;
        return bw_fail_errno(err, errno, "cannot read", f->path);
    }
    *got = (size_t)n;
    return BW_OK;
}

bw_status bw_file_pread(bw_file *f, void *buf, size_t cap, uint64_t off, size_t *got, bw_error *err)
{
    ssize_t n;

    if (off > (uint64_t)INT64_MAX) {
        *got = 0;
        return bw_fail(err, BW_EINVAL, "offset out of range");
    }
    do {
        n = pread(f->fd, buf, cap, (off_t)off);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        *got = 0;
        return bw_fail_errno(err, errno, "cannot read", f->path);
    }
    *got = (size_t)n;
    return BW_OK;
}

bw_status bw_file_check_unchanged(bw_file *f, bw_error *err)
{
    struct stat st;
    bw_file_stat now;
    char esc[200];

    if (!f->st.is_regular) {
        return BW_OK; /* a stream has nothing to compare */
    }
    if (fstat(f->fd, &st) != 0) {
        return bw_fail_errno(err, errno, "cannot stat", f->path);
    }
    stat_fill(&now, &st);
    bw_escape_for_log(f->path, strlen(f->path), esc, sizeof(esc));
    if (now.size != f->st.size) {
        return bw_fail(err, BW_ECHANGED, "'%s' changed while being read: size was %llu, now %llu", esc,
                       (unsigned long long)f->st.size, (unsigned long long)now.size);
    }
    if (now.mtime_sec != f->st.mtime_sec || now.mtime_nsec != f->st.mtime_nsec) {
        return bw_fail(err, BW_ECHANGED, "'%s' changed while being read: modification time moved", esc);
    }
    if (now.ino != f->st.ino || now.dev != f->st.dev) {
        return bw_fail(err, BW_ECHANGED, "'%s' changed while being read: replaced", esc);
    }
    return BW_OK;
}

bw_status bw_file_read_all(bw_file *f, size_t max, bw_buf *out, bw_error *err)
{
    bw_status rc = BW_OK;
    char esc[200];

    bw_escape_for_log(f->path, strlen(f->path), esc, sizeof(esc));
    if (f->st.is_regular && f->st.size > max) {
        return bw_fail(err, BW_ELIMIT, "'%s' is %llu bytes, over the limit of %zu", esc, (unsigned long long)f->st.size,
                       max);
    }
    if (f->st.is_regular && f->st.size > 0 && f->st.size < out->max - out->len) {
        /* grow once for the size it has now; the loop below still reads to the end */
        rc = bw_buf_grow(out, (size_t)f->st.size);
        if (rc != BW_OK) {
            return bw_fail(err, rc, "cannot read '%s': %s", esc, bw_strerror(rc));
        }
    }
    for (;;) {
        size_t got, room = out->max > out->len ? out->max - out->len : 0;
        if (room == 0 || out->cap - out->len <= 1) {
            char probe; /* full (or read to the size it had): is that the end? */
            rc = bw_file_read(f, &probe, 1, &got, err);
            if (rc != BW_OK) {
                return rc;
            }
            if (got == 0) {
                break;
            }
            if (room == 0 || out->len >= max) {
                return bw_fail(err, BW_ELIMIT, "'%s' is over the limit of %zu bytes", esc, BW_MIN(max, out->max));
            }
            rc = bw_buf_grow(out, BW_MIN(room, (size_t)65536));
            if (rc != BW_OK) {
                return bw_fail(err, rc, "cannot read '%s': %s", esc, bw_strerror(rc));
            }
            out->ptr[out->len++] = probe;
            out->ptr[out->len] = '\0';
            continue;
        }
        rc = bw_file_read(f, out->ptr + out->len, out->cap - out->len - 1, &got, err);
        if (rc != BW_OK) {
            return rc;
        }
        if (got == 0) {
            break;
        }
        out->len += got;
        out->ptr[out->len] = '\0';
    }
    if (out->len > max) {
        return bw_fail(err, BW_ELIMIT, "'%s' is over the limit of %zu bytes", esc, max);
    }
    return BW_OK;
}

bw_status bw_file_slurp(const char *path, unsigned flags, size_t max, bw_buf *out, bw_error *err)
{
    bw_file *f = NULL;
    bw_status rc;

    rc = bw_file_open(&f, path, flags, err);
    if (rc != BW_OK) {
        return rc;
    }
    rc = bw_file_read_all(f, max, out, err);
    if (rc == BW_OK) {
        rc = bw_file_check_unchanged(f, err);
    }
    bw_file_close(f);
    return rc;
}

struct bw_atomic {
    int fd;
    char *path;
    char *tmp;
};

bw_status bw_atomic_open(bw_atomic **out, const char *path, mode_t mode, bw_error *err)
{
    bw_atomic *a = NULL;
    bw_buf tmp = BW_BUF_INIT(4096);
    const char *slash = strrchr(path, '/');
    bw_status rc;

    *out = NULL;
    a = bw_calloc(1, sizeof(*a));
    if (a == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    a->fd = -1;
    if (slash != NULL) {
        bw_buf_add(&tmp, path, (size_t)(slash - path) + 1);
        bw_buf_printf(&tmp, ".%s.tmp.XXXXXX", slash + 1);
    } else {
        bw_buf_printf(&tmp, ".%s.tmp.XXXXXX", path);
    }
    a->path = bw_strdup(path);
    rc = bw_buf_take(&tmp, &a->tmp, NULL);
    if (rc != BW_OK || a->path == NULL) {
        rc = bw_fail(err, rc == BW_OK ? BW_ENOMEM : rc, "cannot write '%s': path too long", path);
        goto fail;
    }
    a->fd = mkostemp(a->tmp, O_CLOEXEC);
    if (a->fd < 0) {
        rc = bw_fail_errno(err, errno, "cannot create temporary file for", path);
        goto fail;
    }
    if (fchmod(a->fd, mode) != 0) {
        rc = bw_fail_errno(err, errno, "cannot set permissions on", a->tmp);
        goto fail;
    }
    *out = a;
    return BW_OK;
fail:
    bw_atomic_abort(a);
    return rc;
}

bw_status bw_atomic_write(bw_atomic *a, const void *p, size_t n, bw_error *err)
{
    const uint8_t *c = p;

    while (n > 0) {
        ssize_t w = write(a->fd, c, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return bw_fail_errno(err, errno, "cannot write", a->path);
        }
        c += w;
        n -= (size_t)w;
    }
    return BW_OK;
}

static void fsync_parent(const char *path)
{
    char *copy = bw_strdup(path);
    int dfd;

    if (copy == NULL) {
        return;
    }
    dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    bw_free(copy);
}

bw_status bw_atomic_commit(bw_atomic *a, bw_error *err)
{
    bw_status rc = BW_OK;

    if (fsync(a->fd) != 0) {
        rc = bw_fail_errno(err, errno, "cannot sync", a->path);
        goto out;
    }
    if (close(a->fd) != 0) {
        a->fd = -1;
        rc = bw_fail_errno(err, errno, "cannot write", a->path);
        goto out;
    }
    a->fd = -1;
    if (rename(a->tmp, a->path) != 0) {
        rc = bw_fail_errno(err, errno, "cannot replace", a->path);
        goto out;
    }
    BW_FREE(a->tmp); /* renamed: nothing left to remove */
    fsync_parent(a->path);
out:
    bw_atomic_abort(a);
    return rc;
}

void bw_atomic_abort(bw_atomic *a)
{
    if (a == NULL) {
        return;
    }
    if (a->fd >= 0) {
        close(a->fd);
    }
    if (a->tmp != NULL) {
        unlink(a->tmp);
    }
    bw_free(a->tmp);
    bw_free(a->path);
    bw_free(a);
}

bw_status bw_file_write_atomic(const char *path, const void *p, size_t n, mode_t mode, bw_error *err)
{
    bw_atomic *a = NULL;

    BW_TRY(bw_atomic_open(&a, path, mode, err));
    if (bw_atomic_write(a, p, n, err) != BW_OK) {
        bw_atomic_abort(a);
        return err != NULL ? err->code : BW_EIO;
    }
    return bw_atomic_commit(a, err);
}

/* The parent is resolved (the file itself may not exist yet), then compared with the resolved dir. */
char *bw_path_inside(const char *file, const char *dir)
{
    char *copy = bw_strdup(file), *slash, *parent = NULL, *d = NULL, *res = NULL;
    const char *base;

    if (copy == NULL) {
        return NULL;
    }
    slash = strrchr(copy, '/');
    if (slash != NULL) {
        *slash = '\0';
        base = slash + 1;
        parent = realpath(slash == copy ? "/" : copy, NULL);
    } else {
        base = copy;
        parent = realpath(".", NULL);
    }
    d = realpath(dir, NULL);
    if (parent != NULL && d != NULL && *base != '\0' && strcmp(base, ".") != 0 && strcmp(base, "..") != 0) {
        size_t n = strlen(d);
        if (strcmp(d, "/") == 0) {
            n = 0;
        }
        if (strncmp(parent, d, n) == 0 && (parent[n] == '/' || parent[n] == '\0')) {
            bw_buf b = BW_BUF_INIT(1 << 16);
            const char *rest = parent + n;
            while (*rest == '/') {
                rest++;
            }
            bw_buf_printf(&b, "%s%s%s", rest, *rest ? "/" : "", base);
            if (bw_buf_take(&b, &res, NULL) != BW_OK) {
                res = NULL;
            }
        }
    }
    free(parent); /* libc realpath */
    free(d);
    bw_free(copy);
    return res;
}
