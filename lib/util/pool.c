/*
 * pool.c - a fixed pool of worker threads running parallel-for jobs.
 *
 * One job at a time: bw_pool_for publishes (fn, ctx, n) under the mutex and
 * bumps a generation counter; workers and the caller then take indices from
 * an atomic counter until it passes n. The caller waits until every worker
 * has left the job before returning, so ctx may live on its stack.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "util/internal.h"

struct bw_pool {
    unsigned size; /* workers including the caller */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t start;
    pthread_cond_t done;
    unsigned long generation;
    unsigned busy; /* workers still inside the current job */
    bool quit;
    /* the current job */
    bw_pool_fn fn;
    void *ctx;
    size_t n;
    atomic_size_t next;
    atomic_bool stop;
};

struct worker_arg {
    bw_pool *pool;
    unsigned id;
};

unsigned bw_ncpu(void)
{
    cpu_set_t set;
    long n;

    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int c = CPU_COUNT(&set);
        if (c > 0) {
            return (unsigned)c;
        }
    }
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void run_job(bw_pool *p, unsigned worker)
{
    for (;;) {
        size_t i;
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) {
            break;
        }
        i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) {
            break;
        }
        if (p->fn(p->ctx, i, worker) != 0) {
            atomic_store(&p->stop, true);
        }
    }
}

static void *worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    bw_pool *p = wa->pool;
    unsigned id = wa->id;
    unsigned long seen = 0;

    bw_free(wa);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen) {
            pthread_cond_wait(&p->start, &p->mu);
        }
        if (p->quit) {
            break;
        }
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        run_job(p, id);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) {
            pthread_cond_signal(&p->done);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

bw_status bw_pool_new(bw_pool **out, unsigned nthreads, bw_error *err)
{
    bw_pool *p;
    unsigned started = 0;

    *out = NULL;
    if (nthreads == 0) {
        nthreads = bw_ncpu();
    }
    if (nthreads > 1024) {
        return bw_fail(err, BW_EINVAL, "too many threads: %u (at most 1024)", nthreads);
    }
    p = bw_calloc(1, sizeof(*p));
    if (p == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    p->size = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    atomic_init(&p->stop, false);
    if (nthreads > 1) {
        p->threads = bw_calloc(nthreads - 1, sizeof(pthread_t));
        if (p->threads == NULL) {
            bw_pool_free(p);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        for (unsigned i = 0; i < nthreads - 1; i++) {
            struct worker_arg *wa = bw_malloc(sizeof(*wa));
            if (wa == NULL) {
                break;
            }
            wa->pool = p;
            wa->id = i + 1;
            if (pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
                bw_free(wa);
                break;
            }
            started++;
        }
        if (started != nthreads - 1) {
            p->size = started + 1;
            bw_pool_free(p);
            return bw_fail(err, BW_ENOMEM, "cannot start %u worker threads", nthreads - 1);
        }
    }
    *out = p;
    return BW_OK;
}

void bw_pool_free(bw_pool *p)
{
    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    if (p->threads != NULL) {
        for (unsigned i = 0; i + 1 < p->size; i++) {
            pthread_join(p->threads[i], NULL);
        }
    }
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->start);
    pthread_mutex_destroy(&p->mu);
    bw_free(p->threads);
    bw_free(p);
}

unsigned bw_pool_size(const bw_pool *p)
{
    return p == NULL ? 1 : p->size;
}

bw_status bw_pool_for(bw_pool *p, size_t n, bw_pool_fn fn, void *ctx)
{
    bool stopped;

    if (n == 0) {
        return BW_OK;
    }
    if (p == NULL || p->size == 1 || n == 1) {
        for (size_t i = 0; i < n; i++) {
            if (fn(ctx, i, 0) != 0) {
                return BW_ECANCELED;
            }
        }
        return BW_OK;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    atomic_store(&p->stop, false);
    p->busy = p->size - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);

    run_job(p, 0);

    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) {
        pthread_cond_wait(&p->done, &p->mu);
    }
    stopped = atomic_load(&p->stop);
    p->fn = NULL;
    p->ctx = NULL;
    pthread_mutex_unlock(&p->mu);
    return stopped ? BW_ECANCELED : BW_OK;
}
