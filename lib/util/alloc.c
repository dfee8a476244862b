/*
 * alloc.c - the allocation hook. Every allocation in libbulwark passes here,
 * so a test can make the Nth one fail (bw_alloc_fail_after) and walk every
 * out-of-memory path, the way curl's torture mode and SQLite's OOM tests do.
 */
#include <sodium.h>
#include <stdatomic.h>

#include "util/internal.h"

static atomic_long fail_countdown = -1;

void bw_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

static bool should_fail(void)
{
    long v = atomic_load(&fail_countdown);
    while (v >= 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1)) {
            return v == 0;
        }
    }
    return false;
}

void *bw_malloc(size_t n)
{
    if (should_fail()) {
        return NULL;
    }
    return malloc(n == 0 ? 1 : n);
}

void *bw_calloc(size_t n, size_t size)
{
    size_t total;
    if (!bw_mul_ok(n, size, &total)) {
        return NULL; /* checked here: ASan aborts on calloc overflow instead of returning NULL */
    }
    if (should_fail()) {
        return NULL;
    }
    return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *bw_realloc(void *p, size_t n)
{
    if (should_fail()) {
        return NULL;
    }
    return realloc(p, n == 0 ? 1 : n);
}

void *bw_reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (!bw_mul_ok(n, size, &total)) {
        return NULL;
    }
    return bw_realloc(p, total);
}

char *bw_strndup(const char *s, size_t n)
{
    char *d;
    if (n == SIZE_MAX) {
        return NULL; /* n + 1 would wrap */
    }
    d = bw_malloc(n + 1);
    if (d == NULL) {
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *bw_strdup(const char *s)
{
    return bw_strndup(s, strlen(s));
}

void bw_free(void *p)
{
    free(p);
}

void bw_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0) {
        sodium_memzero(p, n);
    }
}
