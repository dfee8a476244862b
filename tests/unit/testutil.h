/*
 * testutil.h - small helpers shared by unit tests: scratch directories and
 * files. Header-only; every function is static.
 */
#ifndef BW_TESTUTIL_H
#define BW_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR; the test removes it with rm_rf. */
static inline char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    static char path[4096];
    snprintf(path, sizeof(path), "%s/bwtest.XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(path) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    return strdup(path);
}

static inline char *tu_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Write `n` bytes to dir/rel, creating parent directories. */
static inline void tu_write(const char *dir, const char *rel, const void *data, size_t n)
{
    char *path = tu_join(dir, rel);
    for (char *p = path + strlen(dir) + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
    free(path);
}

static inline void tu_write_str(const char *dir, const char *rel, const char *s)
{
    tu_write(dir, rel, s, strlen(s));
}

static inline void tu_rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
}

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL if missing. */
static inline char *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        n = 0;
    }
    buf[n] = '\0';
    fclose(f);
    if (len != NULL) {
        *len = (size_t)n;
    }
    return buf;
}

/* tests/data/<dir>/<name> under $BW_SOURCE_ROOT, read whole; exits 2 if missing. */
static inline char *tu_fixture(const char *dir, const char *name, size_t *n)
{
    const char *root = getenv("BW_SOURCE_ROOT");
    char path[4096];
    char *p;

    snprintf(path, sizeof(path), "%s/tests/data/%s/%s", root != NULL ? root : ".", dir, name);
    p = tu_read(path, n);
    if (p == NULL) {
        fprintf(stderr, "missing fixture %s\n", path);
        exit(2);
    }
    return p;
}

#endif
