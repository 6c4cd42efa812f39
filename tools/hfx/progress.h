/*
 * progress.h -- a progress bar on stderr, drawn only when stderr is a terminal:
 *   [##########..........] 123/650 patches, 4.2 s elapsed, ETA 3.1 s
 * Updates may come from several threads; redraws are throttled.
 */
#ifndef HFX_PROGRESS_H
#define HFX_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct progress {
    bool            enabled;
    size_t          total;
    size_t          done;
    const char *    unit;
    double          t0;
    double          last_draw;
    pthread_mutex_t mu;
};

/* Starts a bar over total units named unit ("patches", "toys"); disabled unless stderr is a tty. */
void progress_start(struct progress * p, size_t total, const char * unit);
/* Sets the number of units done (thread-safe). */
void progress_set(struct progress * p, size_t done);
/* Adds one unit done (thread-safe). */
void progress_step(struct progress * p);
/* Draws the final state and ends the line. */
void progress_finish(struct progress * p);

/* A callback for hfx_hypotest_options.progress; user is a struct progress *, started with total 0. */
void progress_callback(void * user, size_t done, size_t total);

/* Seconds on a monotonic clock. */
double progress_now(void);

#endif /* HFX_PROGRESS_H */
