/*
 * pool.h -- a fork-join thread pool for the threaded CPU backend.
 *
 * The workers are started once, when the pool is created, and live until it is freed: a backend call
 * then costs a wake-up and a join (about a microsecond while the workers still poll after the
 * previous call) instead of a pthread_create per thread (tens of microseconds). One call runs n tasks
 * and returns when all of them are done. Tasks are claimed one at a time, by the calling thread as
 * well as by the workers, so that a worker the system is slow to schedule (another process on its
 * core) delays the call by at most the task it has already started, not by its whole share.
 *
 * Thread safety: one pool serves one caller at a time (the backend plan it belongs to is not shared
 * between threads); hfx__pool_run is not reentrant.
 */
#ifndef HFX_POOL_H
#define HFX_POOL_H

struct hfx__pool;

/* Task `task` of one hfx__pool_run call, run on thread `thread` (0: the caller, 1..: the workers).
 * A thread runs its tasks one after the other, so per-thread scratch indexed by `thread` is safe. */
typedef void (*hfx__pool_fn)(void * ctx, int task, int thread);

/* A pool of n_workers threads besides the caller (n_workers >= 0). After a call, a worker polls
 * for the next one during spin_ns nanoseconds before it sleeps on a condition variable (0: it
 * sleeps at once; right when the threads outnumber the cores, where a polling thread takes a core
 * from one with work). Fewer workers than asked are started when the system refuses threads
 * (hfx__pool_size tells). NULL when out of memory. Freed with hfx__pool_free. */
struct hfx__pool * hfx__pool_create(int n_workers, long spin_ns);

/* Joins the workers and frees the pool; NULL is a no-op. */
void hfx__pool_free(struct hfx__pool * pool);

/* Threads that hfx__pool_run can use: the workers started plus the caller (1 for NULL). */
int hfx__pool_size(const struct hfx__pool * pool);

/* Runs fn(ctx, task, thread) once for each task in [0, n_tasks) (at most HFX__POOL_MAX_TASKS),
 * tasks claimed in increasing order by whichever thread is free, and returns when every task has
 * returned. Everything the caller wrote before the call is visible to fn, and everything fn wrote
 * is visible after it. pool may be NULL: the caller runs every task. */
#define HFX__POOL_MAX_TASKS 65535
void hfx__pool_run(struct hfx__pool * pool, int n_tasks, hfx__pool_fn fn, void * ctx);

#endif /* HFX_POOL_H */
