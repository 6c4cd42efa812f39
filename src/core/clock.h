/*
 * clock.h -- monotonic wall time in seconds, for the engine's work counters.
 */
#ifndef HFX_CLOCK_H
#define HFX_CLOCK_H

#include <time.h>

static inline double hfx__now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

#endif /* HFX_CLOCK_H */
