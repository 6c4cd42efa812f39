/*
 * progress.c -- the terminal progress bar of long commands (scan, toy-based hypotests).
 */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { BAR_WIDTH = 30 };

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

void progress_start(struct progress * p, size_t total, const char * unit) {
    p->enabled   = isatty(STDERR_FILENO) != 0;
    p->total     = total;
    p->done      = 0;
    p->unit      = unit;
    p->t0        = progress_now();
    p->last_draw = 0;
    pthread_mutex_init(&p->mu, NULL);
}

/* Called with the mutex held. */
static void draw(struct progress * p, double now) {
    double elapsed = now - p->t0;
    if (p->total == 0) { /* open-ended work: a count only */
        fprintf(stderr, "\r%zu %s, %.1f s elapsed\033[K", p->done, p->unit, elapsed);
        fflush(stderr);
        p->last_draw = now;
        return;
    }
    char   bar[BAR_WIDTH + 1];
    size_t fill = p->total ? p->done * BAR_WIDTH / p->total : 0;
    for (size_t i = 0; i < BAR_WIDTH; i++) {
        bar[i] = i < fill ? '#' : '.';
    }
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu %s, %.1f s elapsed", bar, p->done, p->total, p->unit, elapsed);
    if (p->done > 0 && p->done < p->total) {
        fprintf(stderr, ", ETA %.1f s", elapsed * (double) (p->total - p->done) / (double) p->done);
    }
    fputs("\033[K", stderr);
    fflush(stderr);
    p->last_draw = now;
}

static void update(struct progress * p, size_t done, bool step) {
    if (!p->enabled) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->done   = step ? p->done + 1 : done;
    double now = progress_now();
    /* quiet for the first half second, so that quick runs print nothing */
    if (now - p->t0 >= 0.5 && (now - p->last_draw >= 0.1 || p->done == p->total)) {
        draw(p, now);
    }
    pthread_mutex_unlock(&p->mu);
}

void progress_set(struct progress * p, size_t done) { update(p, done, false); }

void progress_step(struct progress * p) { update(p, 0, true); }

void progress_finish(struct progress * p) {
    if (p->enabled && p->last_draw > 0) {
        pthread_mutex_lock(&p->mu);
        draw(p, progress_now());
        fputc('\n', stderr);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_destroy(&p->mu);
}

void progress_callback(void * user, size_t done, size_t total) {
    struct progress * p = user;
    if (p->enabled) {
        pthread_mutex_lock(&p->mu);
        p->total = total;
        pthread_mutex_unlock(&p->mu);
    }
    progress_set(p, done);
}
