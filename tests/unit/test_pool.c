/*
 * test_pool.c - the thread pool: every index exactly once, any pool size,
 * worker ids in range, cancellation, reuse, and the serial fallbacks.
 */
#include <stdatomic.h>

#include "tap.h"
#include "util/internal.h"

struct counts {
    atomic_int *seen;
    unsigned size;
    atomic_int bad_worker;
    atomic_llong sum;
    size_t stop_at;
    size_t order_last;
    int in_order;
};

static int visit(void *ctx, size_t i, unsigned worker)
{
    struct counts *c = ctx;
    atomic_fetch_add(&c->seen[i], 1);
    atomic_fetch_add(&c->sum, (long long)i);
    if (worker >= c->size) {
        atomic_fetch_add(&c->bad_worker, 1);
    }
    if (c->order_last != (size_t)-1 && i != c->order_last + 1) {
        c->in_order = 0;
    }
    c->order_last = i;
    return c->stop_at != 0 && i == c->stop_at;
}

static void run(unsigned threads, size_t n)
{
    bw_pool *p = NULL;
    struct counts c = {0};
    int once = 1;

    c.seen = calloc(n, sizeof(*c.seen));
    c.order_last = (size_t)-1;
    ok(bw_pool_new(&p, threads, NULL) == BW_OK, "pool of %u", threads);
    c.size = bw_pool_size(p);
    is_int(c.size, threads, "size");
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++) {
            atomic_store(&c.seen[i], 0);
        }
        atomic_store(&c.sum, 0);
        ok(bw_pool_for(p, n, visit, &c) == BW_OK, "job %d on %u threads", round, threads);
        for (size_t i = 0; i < n; i++) {
            once &= atomic_load(&c.seen[i]) == 1;
        }
        ok(once, "every index visited exactly once");
        is_int(atomic_load(&c.sum), (long long)n * (long long)(n - 1) / 2, "sum of indices");
    }
    is_int(atomic_load(&c.bad_worker), 0, "worker ids below the pool size");
    c.stop_at = n / 3;
    c.order_last = (size_t)-1;
    ok(bw_pool_for(p, n, visit, &c) == BW_ECANCELED, "a callback returning non-zero cancels");
    ok(bw_pool_for(p, 0, visit, &c) == BW_OK, "an empty job is fine");
    bw_pool_free(p);
    free(c.seen);
}

int main(void)
{
    struct counts c = {0};

    ok(bw_ncpu() >= 1, "at least one CPU (%u)", bw_ncpu());
    run(1, 1000);
    run(2, 100000);
    run(4, 100000);
    run(7, 999);
    c.seen = calloc(100, sizeof(*c.seen));
    c.size = 1;
    c.order_last = (size_t)-1;
    c.in_order = 1;
    ok(bw_pool_for(NULL, 100, visit, &c) == BW_OK && c.in_order, "no pool: serial, in order");
    free(c.seen);
    bw_pool_free(NULL);
    {
        bw_pool *p = NULL;
        bw_error err;
        bw_error_clear(&err);
        ok(bw_pool_new(&p, 5000, &err) == BW_EINVAL && p == NULL, "absurd thread counts are refused");
    }
    return done_testing();
}
