/*
 * pool.c -- the fork-join thread pool of pool.h.
 *
 * A call is one atomic word, the job: generation (32 bits) | number of tasks (16) | next task to
 * claim (16). Every thread, the caller included, claims tasks by compare-and-swap on that word,
 * which succeeds only while the generation is the one it came for and tasks are left; the last task
 * to finish counts `remaining` down to 0, and the caller returns when it sees 0. A worker that
 * wakes up late finds the generation moved on or no task left and goes back to waiting: it never
 * holds up a call it has not joined. (A claim compares the whole word, so a stale one could only
 * succeed if the generation came round again: after 2^32 calls between a worker's read and its
 * compare-and-swap.)
 *
 * Memory order. The caller writes fn and ctx, then publishes the job with a release store; a
 * successful claim is an acquire read of that store (or of a later claim, part of its release
 * sequence), so fn and ctx are read only after a claim, and they are not rewritten before that
 * claim's task has counted itself out of `remaining` (release) and the caller has read 0 (acquire).
 *
 * Waiting. Both sides poll for a while before they sleep: a worker waiting for the next generation
 * on the condition variable `wake`, the caller waiting for `remaining` to reach 0 on `done`. Each
 * sleeper checks its condition under the mutex that the other side takes before it signals, so no
 * wake-up is lost; the polling paths take no lock, which is what makes back-to-back calls cheap.
 *
 * Sections: spinning, claiming and waiting, workers, the pool.
 */
#include "backend/cpu/pool.h"
#include "core/alloc.h"

#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOB_GEN(j)  ((uint32_t) ((j) >> 32))
#define JOB_N(j)    ((int) (((j) >> 16) & 0xFFFF))
#define JOB_NEXT(j) ((int) ((j) & 0xFFFF))

struct pool_worker {
    struct hfx__pool * pool;
    int                thread;
    pthread_t          tid;
};

struct hfx__pool {
    /* The word every polling thread reads, and the counter finishing tasks write, on lines of
     * their own. */
    alignas(64) _Atomic uint64_t job;
    alignas(64) atomic_int remaining; /* tasks of the current job not yet returned */
    alignas(64) hfx__pool_fn fn;
    void *               ctx;
    atomic_bool          stop;
    uint32_t             gen; /* the caller's count of jobs */
    long                 spin_ns;
    int                  n_workers;
    pthread_mutex_t      mu;
    pthread_cond_t       wake, done;
    struct pool_worker * workers;
};

//
// Spinning
//

static inline void cpu_relax(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#elif defined(__GNUC__) && defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Between rounds of 64 polls: true while the deadline is ahead. The yield hands the core to any
 * other runnable thread on it, which may be the very one polled for: the system may have put both
 * on one core (a virtual machine whose kernel packs threads onto few virtual CPUs, or more threads
 * than cores), and then polling without yielding would only delay it. Alone on its core, a yield
 * returns at once. */
static bool poll_on(int64_t deadline) {
    sched_yield();
    return now_ns() < deadline;
}

//
// Claiming and waiting
//

/* Claims and runs tasks of generation gen until none is left. */
static void run_tasks(struct hfx__pool * p, uint32_t gen, int thread) {
    uint64_t j = atomic_load_explicit(&p->job, memory_order_acquire);
    for (;;) {
        if (JOB_GEN(j) != gen || JOB_NEXT(j) >= JOB_N(j)) {
            return;
        }
        if (!atomic_compare_exchange_weak_explicit(&p->job, &j, j + 1, memory_order_acq_rel,
                                                   memory_order_acquire)) {
            continue; /* j now holds the current word */
        }
        p->fn(p->ctx, JOB_NEXT(j), thread);
        if (atomic_fetch_sub_explicit(&p->remaining, 1, memory_order_acq_rel) == 1 && thread != 0) {
            /* The last task of the job, on a worker: wake the caller if it sleeps. The lock orders
             * this signal after the caller's check of `remaining` under it. The caller may already
             * have returned (it polled); the pool outlives this, since hfx__pool_free joins first. */
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
        j = atomic_load_explicit(&p->job, memory_order_acquire);
    }
}

/* Returns the first job word of a generation other than seen: polled for during spin_ns first if
 * poll is set, then slept for. */
static uint64_t wait_job(struct hfx__pool * p, uint32_t seen, bool poll) {
    uint64_t j;
    if (poll && p->spin_ns > 0) {
        int64_t deadline = now_ns() + p->spin_ns;
        do {
            for (int i = 0; i < 64; ++i) {
                j = atomic_load_explicit(&p->job, memory_order_acquire);
                if (JOB_GEN(j) != seen) {
                    return j;
                }
                cpu_relax();
            }
        } while (poll_on(deadline));
    }
    pthread_mutex_lock(&p->mu);
    while (JOB_GEN(j = atomic_load_explicit(&p->job, memory_order_acquire)) == seen) {
        pthread_cond_wait(&p->wake, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return j;
}

/* The caller's wait for the tasks that workers still run. */
static void wait_done(struct hfx__pool * p) {
    if (p->spin_ns > 0) {
        int64_t deadline = now_ns() + p->spin_ns;
        do {
            for (int i = 0; i < 64; ++i) {
                if (atomic_load_explicit(&p->remaining, memory_order_acquire) == 0) {
                    return;
                }
                cpu_relax();
            }
        } while (poll_on(deadline));
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->remaining, memory_order_acquire) != 0) {
        pthread_cond_wait(&p->done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

/* Starts generation gen + 1 with n tasks and wakes up to n_wake sleeping workers. */
static void publish(struct hfx__pool * p, int n, int n_wake) {
    atomic_store_explicit(&p->remaining, n, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    p->gen += 1;
    atomic_store_explicit(&p->job, (uint64_t) p->gen << 32 | (uint64_t) n << 16, memory_order_release);
    pthread_mutex_unlock(&p->mu);
    /* After the unlock, so that woken workers do not block on the mutex; none is missed, since a
     * worker checks the job word under the mutex before it sleeps. Without sleepers this costs a
     * few loads (glibc counts the waiters in user space). */
    if (n_wake >= p->n_workers) {
        pthread_cond_broadcast(&p->wake);
    } else {
        for (int i = 0; i < n_wake; ++i) {
            pthread_cond_signal(&p->wake);
        }
    }
}

//
// Workers
//

static void * worker_main(void * arg) {
    struct pool_worker * w    = arg;
    struct hfx__pool *   p    = w->pool;
    uint32_t             seen = 0;
    bool                 poll = false; /* poll only after a call: the next one is likely near */
    for (;;) {
        seen = JOB_GEN(wait_job(p, seen, poll));
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) {
            return NULL;
        }
        run_tasks(p, seen, w->thread);
        poll = true;
    }
}

//
// The pool
//

struct hfx__pool * hfx__pool_create(int n_workers, long spin_ns) {
    n_workers               = n_workers < 0 ? 0 : n_workers > HFX__POOL_MAX_TASKS ? HFX__POOL_MAX_TASKS : n_workers;
    size_t             size = (sizeof(struct hfx__pool) + 63) / 64 * 64;
    struct hfx__pool * p    = hfx__aligned_alloc(64, size);
    if (!p) {
        return NULL;
    }
    memset(p, 0, size);
    atomic_init(&p->job, 0);
    atomic_init(&p->remaining, 0);
    atomic_init(&p->stop, false);
    p->spin_ns   = spin_ns > 0 ? spin_ns : 0;
    p->workers   = hfx__calloc((size_t) n_workers + 1, sizeof *p->workers);
    bool mu_ok   = pthread_mutex_init(&p->mu, NULL) == 0;
    bool wake_ok = pthread_cond_init(&p->wake, NULL) == 0;
    bool done_ok = pthread_cond_init(&p->done, NULL) == 0;
    if (!p->workers || !mu_ok || !wake_ok || !done_ok) {
        if (done_ok) {
            pthread_cond_destroy(&p->done);
        }
        if (wake_ok) {
            pthread_cond_destroy(&p->wake);
        }
        if (mu_ok) {
            pthread_mutex_destroy(&p->mu);
        }
        free(p->workers);
        free(p);
        return NULL;
    }
    for (int i = 0; i < n_workers; ++i) {
        p->workers[i] = (struct pool_worker){.pool = p, .thread = i + 1};
        if (pthread_create(&p->workers[i].tid, NULL, worker_main, &p->workers[i]) != 0) {
            break; /* run with the workers we have */
        }
        p->n_workers = i + 1;
    }
    return p;
}

void hfx__pool_free(struct hfx__pool * pool) {
    if (!pool) {
        return;
    }
    if (pool->n_workers > 0) {
        atomic_store_explicit(&pool->stop, true, memory_order_release);
        publish(pool, 0, pool->n_workers); /* a generation without tasks: every worker exits */
        for (int i = 0; i < pool->n_workers; ++i) {
            pthread_join(pool->workers[i].tid, NULL);
        }
    }
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mu);
    free(pool->workers);
    free(pool);
}

int hfx__pool_size(const struct hfx__pool * pool) { return pool ? pool->n_workers + 1 : 1; }

void hfx__pool_run(struct hfx__pool * pool, int n_tasks, hfx__pool_fn fn, void * ctx) {
    n_tasks = n_tasks > HFX__POOL_MAX_TASKS ? HFX__POOL_MAX_TASKS : n_tasks;
    if (n_tasks <= 1 || hfx__pool_size(pool) == 1) {
        for (int i = 0; i < n_tasks; ++i) {
            fn(ctx, i, 0);
        }
        return;
    }
    pool->fn  = fn;
    pool->ctx = ctx;
    publish(pool, n_tasks, n_tasks - 1);
    run_tasks(pool, pool->gen, 0);
    wait_done(pool);
}
