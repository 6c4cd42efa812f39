/*
 * ranks/queue.c -- the work queue of ranks/queue.h: compute threads' side (take, done, leave), rank
 * 0's main thread (serving the other ranks and running the command's step) and another rank's main
 * thread (asking rank 0 ahead of need, sending results back). Only ranks.h talks to MPI.
 */
#include "ranks/queue.h"

#include "array.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_WANT = 1, TAG_GIVE, TAG_RESULT, TAG_FIN };

/* Rank 0 looks for messages once per mean range time of its own threads, within these bounds;
 * another rank, while one of its threads waits for work, from POLL_MIN_NS doubling to POLL_MAX_NS. */
static const double POLL_ROOT_MIN_S = 1e-4, POLL_ROOT_MAX_S = 1e-2;
static const long   POLL_MIN_NS = 50000, POLL_MAX_NS = 1000000;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static void fatal(const char * what, int rank) {
    cli_error(what, rank);
    ranks_abort(CLI_FAIL);
}

bool rank_queue_init(struct rank_queue * q, const struct rank_queue_ops * ops, size_t ahead) {
    memset(q, 0, sizeof *q);
    q->ops   = *ops;
    q->ahead = ahead;
    ranks_get(&q->ranks);
    pthread_condattr_t ca;
    bool               ok = pthread_condattr_init(&ca) == 0;
    ok                    = ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
    ok                    = ok && pthread_mutex_init(&q->mu, NULL) == 0;
    ok                    = ok && pthread_cond_init(&q->cv_work, NULL) == 0;
    ok                    = ok && pthread_cond_init(&q->cv_done, &ca) == 0;
    pthread_condattr_destroy(&ca);
    return ok;
}

void rank_queue_destroy(struct rank_queue * q) {
    pthread_cond_destroy(&q->cv_work);
    pthread_cond_destroy(&q->cv_done);
    pthread_mutex_destroy(&q->mu);
    for (size_t i = q->out_next; i < q->n_out; i++) {
        free(q->outbox[i].msg);
    }
    free(q->outbox);
    free(q->given);
}

/* Out of memory for the queue's own arrays: the rank cannot go on, and says so. */
static void out_of_memory(void) {
    cli_error("out of memory");
    ranks_abort(CLI_FAIL);
}

//
// Compute threads
//

static void leave_locked(struct rank_queue * q) {
    q->n_left++;
    pthread_cond_broadcast(&q->cv_done);
}

bool rank_queue_take(struct rank_queue * q, struct rank_range * out) {
    pthread_mutex_lock(&q->mu);
    bool got;
    if (q->ranks.rank == 0) {
        got = q->ops.take(q->ops.ctx, out);
    } else {
        while (q->next == q->n_given && !q->closed) {
            q->n_idle++;
            pthread_cond_broadcast(&q->cv_done); /* the main thread now waits for an answer */
            pthread_cond_wait(&q->cv_work, &q->mu);
            q->n_idle--;
        }
        got = q->next < q->n_given;
        if (got) {
            *out = q->given[q->next++];
        }
    }
    if (!got) {
        leave_locked(q);
    }
    pthread_mutex_unlock(&q->mu);
    return got;
}

void rank_queue_leave(struct rank_queue * q) {
    pthread_mutex_lock(&q->mu);
    leave_locked(q);
    pthread_mutex_unlock(&q->mu);
}

void rank_queue_done(struct rank_queue * q, char * msg, size_t n) {
    pthread_mutex_lock(&q->mu);
    if (q->ranks.rank == 0) {
        if (!q->ops.result(q->ops.ctx, 0, msg, n)) {
            fatal("rank %d: a malformed result of its own", 0);
        }
    } else {
        if (!CLI_ARRAY_RESERVE(q->outbox, q->cap_out, q->n_out + 1, 16)) {
            out_of_memory();
        }
        q->outbox[q->n_out++] = (struct rank_outbox){msg, n};
    }
    q->n_done_here++;
    pthread_cond_broadcast(&q->cv_done);
    pthread_mutex_unlock(&q->mu);
}

//
// Main threads
//

/* Waits on cv_done (mu held) at most ns nanoseconds. */
static void timed_wait(struct rank_queue * q, long ns) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += ns;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&q->cv_done, &q->mu, &ts);
}

/* Rank 0's poll interval (mu held): the mean time between its threads' results so far. Another
 * rank asks for its next range as a thread starts on one of those it holds in reserve, so rank 0's
 * answer has at least a range's time to come. */
static long root_poll_ns(const struct rank_queue * q) {
    double mean = q->n_done_here ? (now_s() - q->t_start) / (double) q->n_done_here : 0;
    double t    = mean < POLL_ROOT_MIN_S ? POLL_ROOT_MIN_S : mean > POLL_ROOT_MAX_S ? POLL_ROOT_MAX_S : mean;
    return (long) (t * 1e9);
}

static void send_or_abort(int dest, int tag, const void * buf, size_t n) {
    if (!ranks_send(dest, tag, buf, n)) {
        fatal(dest == 0 ? "sending to rank %d failed" : "rank 0: sending to rank %d failed", dest);
    }
}

/* Rank 0: answers the messages waiting (mu not held). Returns whether there was any. */
static bool serve(struct rank_queue * q, int * n_fin) {
    bool   any = false;
    int    src, tag;
    size_t n;
    while (ranks_poll(&src, &tag, &n)) {
        any        = true;
        char * buf = malloc(n + 1);
        if (!buf || !ranks_recv(src, tag, buf, n)) {
            fatal("rank 0: receiving from rank %d failed", src);
        }
        if (tag == TAG_WANT) {
            struct rank_range r = {0, 0};
            pthread_mutex_lock(&q->mu);
            if (!q->ops.take(q->ops.ctx, &r)) {
                r = (struct rank_range){0, 0};
            }
            pthread_mutex_unlock(&q->mu);
            send_or_abort(src, TAG_GIVE, &r, sizeof r);
        } else if (tag == TAG_RESULT) {
            pthread_mutex_lock(&q->mu);
            bool ok = q->ops.result(q->ops.ctx, src, buf, n);
            pthread_mutex_unlock(&q->mu);
            buf = NULL; /* the command's */
            if (!ok) {
                fatal("rank 0: a malformed result from rank %d", src);
            }
        } else if (tag == TAG_FIN) {
            ++*n_fin;
        } else {
            fatal("rank 0: an unexpected message from rank %d", src);
        }
        free(buf);
    }
    return any;
}

/* Rank 0 (or the only process): ops.step and the other ranks' messages until rank 0's part is
 * done and every other rank has finished. */
static void run_root(struct rank_queue * q) {
    int n_fin = 0, n_others = q->ranks.size - 1;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        enum rank_queue_step st = q->ops.step ? q->ops.step(q->ops.ctx)
                                  : rank_queue_alive(q) == 0 ? RANK_QUEUE_DONE
                                                             : RANK_QUEUE_IDLE;
        bool busy = st == RANK_QUEUE_BUSY;
        if (st == RANK_QUEUE_STOP) {
            break;
        }
        if (n_others > 0) {
            pthread_mutex_unlock(&q->mu);
            busy = serve(q, &n_fin) || busy;
            pthread_mutex_lock(&q->mu);
        }
        if (st == RANK_QUEUE_DONE && n_fin == n_others) {
            break;
        }
        if (!busy && n_others == 0) {
            pthread_cond_wait(&q->cv_done, &q->mu);
        } else if (!busy) {
            timed_wait(q, root_poll_ns(q));
        }
    }
    pthread_mutex_unlock(&q->mu);
}

/* Another rank: asks rank 0 for ranges, keeping `ahead` more in hand than it has threads, and sends
 * each result back as it comes; ends with FIN once rank 0 has no more and all are sent. */
static void run_other(struct rank_queue * q) {
    size_t want    = q->n_threads + q->ahead;
    long   wait_ns = POLL_MIN_NS;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        bool busy = false;
        while (q->out_next < q->n_out) {
            struct rank_outbox o = q->outbox[q->out_next++];
            pthread_mutex_unlock(&q->mu);
            send_or_abort(0, TAG_RESULT, o.msg, o.n);
            free(o.msg);
            pthread_mutex_lock(&q->mu);
            busy = true;
        }
        while (!q->closed && (q->n_given - q->n_done_here) + q->asked < want) {
            pthread_mutex_unlock(&q->mu);
            send_or_abort(0, TAG_WANT, NULL, 0);
            pthread_mutex_lock(&q->mu);
            q->asked++;
            busy = true;
        }
        pthread_mutex_unlock(&q->mu);
        int               src, tag;
        size_t            n;
        struct rank_range r;
        while (ranks_poll(&src, &tag, &n)) {
            if (tag != TAG_GIVE || n != sizeof r || !ranks_recv(src, tag, &r, sizeof r) ||
                r.first > q->ops.n_units || r.count > q->ops.n_units - r.first) {
                fatal("an unexpected message from rank %d", src);
            }
            pthread_mutex_lock(&q->mu);
            if (q->asked == 0) {
                fatal("an unexpected message from rank %d", src);
            }
            q->asked--;
            if (r.count == 0) {
                q->closed = true;
            } else {
                if (!CLI_ARRAY_RESERVE(q->given, q->cap_given, q->n_given + 1, 16)) {
                    out_of_memory();
                }
                q->given[q->n_given++] = r;
            }
            pthread_cond_broadcast(&q->cv_work);
            pthread_mutex_unlock(&q->mu);
            busy = true;
        }
        pthread_mutex_lock(&q->mu);
        if (q->closed && q->asked == 0 && q->n_done_here == q->n_given && q->out_next == q->n_out) {
            break;
        }
        if (busy) {
            wait_ns = POLL_MIN_NS;
        } else if (q->asked == 0 || (q->n_idle == 0 && !q->closed)) {
            /* the threads are busy: an answer can wait until one finishes or runs out of work (once
             * closed, the last answers are awaited by polling: the threads may have ended) */
            if (q->out_next == q->n_out) {
                pthread_cond_wait(&q->cv_done, &q->mu);
            }
        } else {
            timed_wait(q, wait_ns);
            wait_ns = wait_ns * 2 < POLL_MAX_NS ? wait_ns * 2 : POLL_MAX_NS;
        }
    }
    pthread_mutex_unlock(&q->mu);
    send_or_abort(0, TAG_FIN, NULL, 0);
}

void rank_queue_run(struct rank_queue * q, size_t n_threads) {
    pthread_mutex_lock(&q->mu);
    q->n_threads = n_threads;
    q->t_start   = now_s();
    pthread_mutex_unlock(&q->mu);
    if (q->ranks.rank == 0) {
        run_root(q);
    } else {
        run_other(q);
    }
}
