/*
 * test_alloc.c - the allocation hook: bw_alloc_fail_after(n) fails exactly
 * the (n+1)-th allocation through any of bw_malloc/calloc/realloc/strdup,
 * then everything works again; overflow checks; bw_wipe.
 */
#include "tap.h"
#include "util/internal.h"

enum { A_MALLOC, A_CALLOC, A_REALLOC, A_REALLOCARRAY, A_STRDUP, A_STRNDUP, A_KINDS };
static const char *const kind_name[A_KINDS] = {"bw_malloc",       "bw_calloc", "bw_realloc",
                                               "bw_reallocarray", "bw_strdup", "bw_strndup"};

static void *alloc_one(int kind)
{
    switch (kind) {
    case A_MALLOC: return bw_malloc(16);
    case A_CALLOC: return bw_calloc(4, 4);
    case A_REALLOC: return bw_realloc(NULL, 16);
    case A_REALLOCARRAY: return bw_reallocarray(NULL, 4, 4);
    case A_STRDUP: return bw_strdup("hello");
    case A_STRNDUP: return bw_strndup("hello", 3);
    }
    return NULL;
}

static void test_fail_after(void)
{
    for (int kind = 0; kind < A_KINDS; kind++) {
        int bad = 0;
        for (long n = 0; n < 6; n++) {
            bw_alloc_fail_after(n);
            for (long i = 0; i < 10; i++) {
                void *p = alloc_one(kind);
                int should_fail = i == n;
                if ((p == NULL) != should_fail) {
                    bad++;
                    tap_diag("%s: fail_after(%ld), allocation %ld %s", kind_name[kind], n, i + 1,
                             p == NULL ? "failed" : "succeeded");
                }
                bw_free(p);
            }
        }
        bw_alloc_fail_after(-1);
        is_int(bad, 0, "%s: fail_after(n) fails exactly allocation n+1, then all succeed", kind_name[kind]);
    }
}

static void test_mixed_and_disable(void)
{
    void *a, *b, *c, *d;
    char *s;

    /* the countdown is shared by every allocation function */
    bw_alloc_fail_after(3);
    a = bw_malloc(8);
    b = bw_calloc(2, 8);
    s = bw_strdup("x");
    c = bw_realloc(NULL, 8);
    d = bw_malloc(8);
    ok(a != NULL && b != NULL && s != NULL, "first three allocations of mixed kinds succeed");
    ok(c == NULL, "fourth allocation (bw_realloc) fails");
    ok(d != NULL, "fifth allocation succeeds again");
    bw_free(a);
    bw_free(b);
    bw_free(s);
    bw_free(d);

    /* a failed realloc leaves the old block intact */
    a = bw_malloc(4);
    memcpy(a, "abc", 4);
    bw_alloc_fail_after(0);
    c = bw_realloc(a, 1 << 20);
    ok(c == NULL, "realloc fails on request");
    is_str((char *)a, "abc", "the old block survives a failed realloc");
    bw_free(a);

    /* -1 disables, and a fresh setting replaces an old one */
    bw_alloc_fail_after(0);
    bw_alloc_fail_after(-1);
    a = bw_malloc(8);
    ok(a != NULL, "fail_after(-1) disables failure");
    bw_free(a);
    bw_alloc_fail_after(100);
    bw_alloc_fail_after(0);
    a = bw_malloc(8);
    ok(a == NULL, "a new setting replaces the old countdown");
    bw_alloc_fail_after(-1);
}

static void test_sizes(void)
{
    void *p;
    char *s;

    p = bw_malloc(0);
    ok(p != NULL, "bw_malloc(0) returns a pointer");
    bw_free(p);
    p = bw_calloc(0, 0);
    ok(p != NULL, "bw_calloc(0, 0) returns a pointer");
    bw_free(p);
    p = bw_calloc(8, 8);
    {
        unsigned char z[64] = {0};
        ok(p != NULL && memcmp(p, z, 64) == 0, "bw_calloc zeroes");
    }
    p = bw_realloc(p, 0);
    ok(p != NULL, "bw_realloc(p, 0) returns a pointer");
    bw_free(p);
    ok(bw_reallocarray(NULL, SIZE_MAX / 2, 3) == NULL, "bw_reallocarray rejects n * size overflow");
    ok(bw_calloc(SIZE_MAX / 2, 3) == NULL, "bw_calloc rejects n * size overflow");
    bw_alloc_fail_after(0);
    ok(bw_reallocarray(NULL, SIZE_MAX, SIZE_MAX) == NULL, "overflow with a pending failure");
    p = bw_malloc(1);
    ok(p == NULL, "an overflow rejection does not consume the pending failure");
    bw_alloc_fail_after(-1);
    ok(bw_strndup("abc", SIZE_MAX) == NULL, "bw_strndup with n == SIZE_MAX fails instead of wrapping");
    s = bw_strndup("hello", 4);
    is_str(s, "hell", "bw_strndup copies n bytes and terminates");
    bw_free(s);
    s = bw_strdup("");
    is_str(s, "", "bw_strdup of empty");
    bw_free(s);
    bw_free(NULL);
    ok(1, "bw_free(NULL) is a no-op");
}

static void test_wipe(void)
{
    unsigned char k[32];
    unsigned char z[32] = {0};

    memset(k, 0xab, sizeof(k));
    bw_wipe(k, sizeof(k));
    is_mem(k, z, sizeof(k), "bw_wipe zeroes");
    bw_wipe(NULL, 10);
    bw_wipe(k, 0);
    ok(1, "bw_wipe accepts NULL and 0");
}

/* Tables keep their contents while growing from realloc'd memory to a huge-page mapping and on. */
static void test_tables(void)
{
    uint32_t *t = NULL;
    size_t cap = 0, bad = 0;

    for (size_t ncap = 1024; ncap <= ((size_t)4 << 20); ncap *= 2) { /* 4 KiB .. 16 MiB */
        uint32_t *n = bw_table_resize(t, cap * sizeof(*t), ncap * sizeof(*t));
        ok(n != NULL, "table grows to %zu KiB", ncap * sizeof(*t) >> 10);
        if (n == NULL) {
            break;
        }
        for (size_t i = 0; i < cap; i++) {
            bad += n[i] != (uint32_t)(i * 2654435761u);
        }
        for (size_t i = cap; i < ncap; i++) {
            n[i] = (uint32_t)(i * 2654435761u);
        }
        t = n;
        cap = ncap;
    }
    is_int((long long)bad, 0, "every slot kept across each growth");
    bw_alloc_fail_after(0);
    ok(bw_table_resize(t, cap * sizeof(*t), cap * 2 * sizeof(*t)) == NULL, "growth honours the failure hook");
    bw_alloc_fail_after(-1);
    ok(t[cap - 1] == (uint32_t)((cap - 1) * 2654435761u), "a failed growth leaves the table intact");
    bw_table_free(t, cap * sizeof(*t));
    bw_table_free(NULL, 0);
}

int main(void)
{
    test_tables();
    test_fail_after();
    test_mixed_and_disable();
    test_sizes();
    test_wipe();
    return done_testing();
}
