/*
 * minimize.h -- a bounded quasi-Newton minimizer in reverse-communication form.
 *
 * The minimizer never calls the objective: hfx__min_step() says which point it wants evaluated
 * (state->x), the caller evaluates f and its gradient there and calls hfx__min_step() again. This is
 * what lets one optimizer serve a single CPU fit, a batch of fits on threads, and (later) a batch of
 * fits on a GPU where each thread steps its own fit. All memory comes from one caller-provided
 * workspace sized by hfx__min_workspace_size(): nothing is allocated inside the loop. This header
 * holds the minimizer's types; its functions (hfx__min_workspace_size, hfx__min_init, hfx__min_step)
 * are HFX_HD static inline, declared and defined in minimize-kernel.h, the header callers include,
 * so that host and device code compile the same optimizer.
 *
 * Problem: minimise f(x) subject to lower <= x <= upper, with x[i] held at its start value where
 * fixed[i]. Only free parameters enter the quasi-Newton matrix.
 */
#ifndef HFX_MINIMIZE_H
#define HFX_MINIMIZE_H

#include "hfx-hd.h"

#include <stdbool.h>
#include <stddef.h>

enum hfx_min_request {
    HFX_MIN_EVAL = 0,      /* evaluate f and g at state->x, then call hfx__min_step again */
    HFX_MIN_CONVERGED,     /* done: state->x_best is the minimum */
    HFX_MIN_MAX_ITER,      /* iteration limit; x_best is the best point seen */
    HFX_MIN_STALLED,       /* no decrease possible along the search direction; x_best is the best point */
    HFX_MIN_BAD_START,     /* f not finite at the start point */
};

/* A field left 0 (or NULL options) takes its default: max_iter 1000, gtol 1e-12, ftol 0 (off). For
 * HistFactory fits of twice_nll: max_iter max(1000, 5 * free parameters), gtol 1e-12, ftol 0
 * (see the top of minimize-kernel.h for why the gradient test is scaled by |f|). */
struct hfx_min_options {
    int    max_iter;   /* accepted steps at most, e.g. 1000 */
    double gtol;       /* stop when the infinity norm of the projected gradient <= gtol * max(1, |f|) */
    double ftol;       /* or when f decreases by <= ftol * max(1, |f|) on 3 consecutive steps (0: off) */
    int    history;    /* 0: the dense n x n BFGS matrix; > 0: limited memory with this many (s, y) pairs
                          (minimize-lbfgs.h). The workspace size depends on it. */
};

/* Opaque state; all pointers point into the caller's workspace. */
struct hfx_min_state {
    size_t  n;          /* parameters in total */
    double * x;         /* [n] the point to evaluate when EVAL is returned */
    double * x_best;    /* [n] best point so far */
    double   f_best;
    int      n_iter;    /* accepted steps */
    int      n_eval;    /* values of f fed in */
    double   pg_norm;   /* inf-norm of the projected gradient at the last iterate (STALLED: how stationary) */
    /* private below */
    void *   priv;
};

#endif /* HFX_MINIMIZE_H */
