/*
 * ranks/queue.h -- the one work queue of the ranks of a run (ranks.h), for the commands that share a
 * list of work out dynamically: "hfx scan" (a patch at a time) and the grid of "hfx upper-limit"
 * (guided chunks of points). The work is a set of units numbered by the command (scan: its items,
 * upper-limit: the grid's points); the queue hands out ranges of them and carries each range's
 * result back to rank 0 as the command's own bytes. Built with and without MPI (with one process it
 * is a queue of threads).
 *
 * On every rank, compute threads started by the command call rank_queue_take for a range, compute
 * it and hand the result to rank_queue_done; the rank's main thread runs rank_queue_run meanwhile.
 * Rank 0 decides what each range is (ops.take, asked by its own threads and for the other ranks)
 * and gets every result (ops.result: its threads' at once, the other ranks' as they come), so that
 * its output is the one of one process whatever the split. Its main thread answers the other
 * ranks and does the command's own work between polls (ops.step: scan writes its lines in order).
 * The main thread of another rank keeps its threads fed: it asks rank 0 for ranges as threads
 * start on theirs, holding `ahead` ranges more than it has threads (a thread never waits for an
 * answer), and sends each result back.
 *
 * Messages (ranks_send): WANT (rank -> 0, empty): a range, please; GIVE (0 -> rank, struct
 * rank_range; count 0: none is left); RESULT (rank -> 0, the command's bytes); FIN (rank -> 0,
 * empty): this rank has sent everything and stops. Main threads poll MPI (its blocking receives
 * spin) between waits on their threads: rank 0 once per mean range time of its own threads (0.1 to
 * 10 ms) and whenever one of them finishes a range; another rank when its threads finish a range
 * and, while one of them waits for work, from 50 us on, doubling to 1 ms. The main threads thus
 * wake a few times per range, not thousands of times a second (docs/scaling.md).
 *
 * Every callback runs with q->mu held; the command keeps the state they share under that mutex.
 */
#ifndef HFX_RANKS_QUEUE_H
#define HFX_RANKS_QUEUE_H

#include "ranks.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Units [first, first + count) of the command's work. */
struct rank_range {
    uint64_t first, count;
};

/* What ops.step says (rank 0's main thread). */
enum rank_queue_step {
    RANK_QUEUE_IDLE = 0, /* nothing to do now */
    RANK_QUEUE_BUSY,     /* did something (released q->mu meanwhile): look again before waiting */
    RANK_QUEUE_DONE,     /* rank 0's own part is over: the run ends once every other rank has finished */
    RANK_QUEUE_STOP,     /* end the run now (one process only: an error or an interruption) */
};

struct rank_queue_ops {
    void * ctx; /* passed to every callback */
    /* Rank 0: the next range for one of its threads or for another rank; false when none is left
     * (then never true again). */
    bool (*take)(void * ctx, struct rank_range * out);
    /* Rank 0: the result of a range, from a thread here (src 0) or from rank src: msg (n bytes,
     * malloc'd) is the callee's, to keep or free. False: the message is malformed (the job aborts). */
    bool (*result)(void * ctx, int src, char * msg, size_t n);
    /* (optional) Rank 0's main thread between polls; it may release q->mu and take it again (then
     * it says BUSY). NULL: rank 0's part is done once its threads have all left. */
    enum rank_queue_step (*step)(void * ctx);
    /* A GIVE names units below n_units (the other ranks check rank 0's messages). */
    uint64_t n_units;
};

struct rank_queue {
    pthread_mutex_t mu; /* guards the queue and what the callbacks share */
    /* the rest is the queue's own */
    pthread_cond_t        cv_work; /* a range came, or none will */
    pthread_cond_t        cv_done; /* a thread here finished a range, waits for work, or left */
    struct rank_queue_ops ops;
    struct ranks          ranks;
    size_t                ahead;
    struct rank_range *   given; /* another rank: the ranges from rank 0, [next, n_given) not taken yet */
    size_t                n_given, cap_given, next;
    bool                  closed;    /* another rank: rank 0 has no more */
    size_t                asked;     /* another rank: WANTs not answered yet */
    struct rank_outbox {
        char * msg;
        size_t n;
    } * outbox; /* another rank: results not sent yet, [out_next, n_out) */
    size_t n_out, cap_out, out_next;
    size_t n_threads, n_left, n_idle;
    size_t n_done_here; /* ranges finished by this rank's threads */
    double t_start;     /* when rank_queue_run started (rank 0's poll interval) */
};

/* Sets the queue up (q is the caller's, filled here); ahead: the ranges another rank holds beyond
 * its threads. False when the threads' primitives cannot be made. */
bool rank_queue_init(struct rank_queue * q, const struct rank_queue_ops * ops, size_t ahead);
/* Releases what the queue holds (not the command's results). */
void rank_queue_destroy(struct rank_queue * q);

/* A compute thread: the next range to compute, waiting for one where rank 0 has not answered yet;
 * false when there is no more work, and the thread has then left the queue (it calls nothing more). */
bool rank_queue_take(struct rank_queue * q, struct rank_range * out);
/* A compute thread that stops for its own reasons (an interruption) leaves the queue. */
void rank_queue_leave(struct rank_queue * q);
/* A compute thread: the result of the range it took (msg, n bytes, malloc'd: the queue's). */
void rank_queue_done(struct rank_queue * q, char * msg, size_t n);

/* The rank's main thread, once the command started n_threads compute threads: serves (rank 0) or
 * feeds (another rank) until the run is over. Aborts the job where a message fails. */
void rank_queue_run(struct rank_queue * q, size_t n_threads);

/* Compute threads still in the queue (q->mu held; for ops.step). */
static inline size_t rank_queue_alive(const struct rank_queue * q) { return q->n_threads - q->n_left; }

#endif /* HFX_RANKS_QUEUE_H */
