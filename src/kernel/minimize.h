/*
 * minimize.h -- a bounded quasi-Newton minimizer in reverse-communication form.
 *
 * The minimizer never calls the objective: hfx__min_step() says which point it wants evaluated
 * (state->x), the caller evaluates f and its gradient there and calls hfx__min_step() again. This is
 * what lets one optimizer serve a single CPU fit, a batch of fits on threads, and (later) a batch of
 * fits on a GPU where each thread steps its own fit. All memory comes from one caller-provided
 * workspace sized by hfx__min_workspace_size(): nothing is allocated inside the loop. The functions
 * below are HFX_HD static inline, defined in minimize-kernel.h (included at the end), so that host
 * and device code compile the same optimizer.
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
 * (see the top of minimize.c for why the gradient test is scaled by |f|). */
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

/* Bytes of workspace for n parameters and options.history pairs (0: dense). */
HFX_HD static inline size_t hfx__min_workspace_size(size_t n, int history);

/* Initialises state over workspace (hfx__min_workspace_size(n, opts->history) bytes, 16-byte aligned). x0, lower,
 * upper, fixed are copied; x0 is clipped into the bounds. After this, state->x is the first point to
 * evaluate: call hfx__min_step(state, f, g) with its value. */
HFX_HD static inline void hfx__min_init(struct hfx_min_state * state, void * workspace, size_t n, const double * x0,
                                        const double * lower, const double * upper, const bool * fixed,
                                        const struct hfx_min_options * opts);

/* Feeds f and g (the gradient, [n]) at state->x; returns what to do next. g entries of fixed
 * parameters are ignored. A non-finite f or g at a trial point is not an error: the step is shortened.
 * After a terminal code, further calls return the same code. STALLED means no decrease could be found
 * even along steepest descent, usually because f is at its minimum to machine precision: check pg_norm. */
HFX_HD static inline enum hfx_min_request hfx__min_step(struct hfx_min_state * state, double f, const double * g);

/* Hessian by central differences of the gradient, also in reverse-communication form, so that it
 * runs on every backend. Used after a fit for uncertainties (covariance = 2 * inverse Hessian of
 * twice_nll over the free parameters). */
struct hfx_hess_state {
    size_t n;
    void * priv;
};
HFX_HD static inline size_t hfx__hess_workspace_size(size_t n);
/* x0: the minimum. Column j is (g(x0 + b e_j) - g(x0 - a e_j)) / (a + b), a = b = 1e-5 max(1, |x0_j|),
 * shifted to one side near a bound so that no point leaves the box: 2 gradients per free parameter. */
HFX_HD static inline void   hfx__hess_init(struct hfx_hess_state * s, void * workspace, size_t n, const double * x0,
                                           const double * lower, const double * upper, const bool * fixed);
/* The points whose gradients the Hessian needs: hfx__hess_n_points (2 per free parameter, 0 if none),
 * point k written to x ([n]). They are independent: evaluate them in any order, in batches. */
HFX_HD static inline size_t hfx__hess_n_points(const struct hfx_hess_state * s);
HFX_HD static inline void   hfx__hess_point(const struct hfx_hess_state * s, size_t k, double * x);
/* Feeds the gradient at point k; each point exactly once. */
HFX_HD static inline void   hfx__hess_set_gradient(struct hfx_hess_state * s, size_t k, const double * g);
/* After every point was fed (call once: it reuses the workspace): fills cov ([n][n], row-major) with the
 * inverse of the Hessian of f restricted to free parameters (zeros in fixed rows/columns). Returns false if the Hessian is not positive
 * definite (cov is then filled from a regularised inverse and still usable as an estimate). */
HFX_HD static inline bool   hfx__hess_inverse(struct hfx_hess_state * s, double * cov);

#include "kernel/minimize-kernel.h"

#endif /* HFX_MINIMIZE_H */
