/*
 * alloc.c - the allocation hook. Every allocation in libbulwark passes here,
 * so a test can make the Nth one fail (bw_alloc_fail_after) and walk every
 * out-of-memory path, the way curl's torture mode and SQLite's OOM tests do.
 */
#include <sodium.h>
#include <stdatomic.h>
#include <sys/mman.h>

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

/*
 * Large tables (the pickle memo index, filled a slot per memoised value):
 * from BW_TABLE_MIN bytes up they get their own mapping, a whole number of
 * 2 MiB huge pages, aligned and marked MADV_HUGEPAGE, so filling one costs a page fault per 2 MiB
 * instead of one per 4 KiB. Page faults are the dearest part of filling a
 * fresh table, and dearer still in a virtual machine: a pickle memoising
 * half a million strings spent a third of its time in them. Smaller
 * tables, and builds under AddressSanitizer (which must see every access),
 * use realloc. Callers pass the sizes back; bytes past old_bytes are
 * uninitialised.
 */
#define BW_TABLE_HUGE ((size_t)2 << 20) /* the x86-64 and arm64 (4K granule) huge page */
#define BW_TABLE_MIN ((size_t)256 << 10)
#if defined(__SANITIZE_ADDRESS__)
#define BW_TABLE_MAPPED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BW_TABLE_MAPPED 0
#endif
#endif
#ifndef BW_TABLE_MAPPED
#define BW_TABLE_MAPPED 1
#endif

static bool table_mapped(size_t bytes)
{
    return BW_TABLE_MAPPED && bytes >= BW_TABLE_MIN;
}

static size_t table_span(size_t bytes)
{
    return (bytes + BW_TABLE_HUGE - 1) & ~(BW_TABLE_HUGE - 1);
}

static void *table_map(size_t bytes)
{
    size_t span = table_span(bytes);
    uint8_t *raw, *p;
    size_t head, tail;

    if (span < bytes || span + BW_TABLE_HUGE < span) {
        return NULL;
    }
    raw = mmap(NULL, span + BW_TABLE_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        return NULL;
    }
    p = (uint8_t *)(((uintptr_t)raw + BW_TABLE_HUGE - 1) & ~(uintptr_t)(BW_TABLE_HUGE - 1));
    head = (size_t)(p - raw);
    tail = BW_TABLE_HUGE - head;
    if (head > 0) {
        munmap(raw, head);
    }
    if (tail > 0) {
        munmap(p + span, tail);
    }
#ifdef MADV_HUGEPAGE
    (void)madvise(p, span, MADV_HUGEPAGE); /* a hint: without THP the table still works */
#endif
    return p;
}

void *bw_table_resize(void *p, size_t old_bytes, size_t new_bytes)
{
    void *q;

    if (!table_mapped(new_bytes)) {
        return bw_realloc(p, new_bytes);
    }
    if (should_fail()) {
        return NULL;
    }
    if (table_mapped(old_bytes) && table_span(old_bytes) >= new_bytes) {
        return p;
    }
    q = table_map(new_bytes);
    if (q == NULL) {
        return NULL;
    }
    if (old_bytes > 0) {
        memcpy(q, p, old_bytes);
    }
    bw_table_free(p, old_bytes);
    return q;
}

void bw_table_free(void *p, size_t bytes)
{
    if (p == NULL) {
        return;
    }
    if (table_mapped(bytes)) {
        munmap(p, table_span(bytes));
    } else {
        free(p);
    }
}
