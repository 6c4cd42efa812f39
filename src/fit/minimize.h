/*
 * minimize.h -- a bounded quasi-Newton minimizer in reverse-communication form.
 *
 * The minimizer never calls the objective: hfx__min_step() says which point it wants evaluated
 * (state->x), the caller evaluates f and its gradient there and calls hfx__min_step() again. This is
 * what lets one optimizer serve a single CPU fit, a batch of fits on threads, and (later) a batch of
 * fits on a GPU where one kernel evaluates every pending point at once. All memory comes from one
 * caller-provided workspace sized by hfx__min_workspace_size(): nothing is allocated inside the loop.
 * Plain C math only, so the same file compiles for the device.
 *
 * Problem: minimise f(x) subject to lower <= x <= upper, with x[i] held at its start value where
 * fixed[i]. Only free parameters enter the quasi-Newton matrix.
 */
#ifndef HFX_MINIMIZE_H
#define HFX_MINIMIZE_H

#include <stdbool.h>
#include <stddef.h>

enum hfx_min_request {
    HFX_MIN_EVAL = 0,      /* evaluate f and g at state->x, then call hfx__min_step again */
    HFX_MIN_CONVERGED,     /* done: state->x_best is the minimum */
    HFX_MIN_MAX_ITER,      /* iteration limit; x_best is the best point seen */
    HFX_MIN_STALLED,       /* no decrease possible along the search direction; x_best is the best point */
    HFX_MIN_BAD_START,     /* f not finite at the start point */
};

struct hfx_min_options {
    int    max_iter;   /* e.g. 1000 */
    double gtol;       /* stop when the infinity norm of the projected gradient <= gtol, e.g. 1e-9 */
    double ftol;       /* and/or relative decrease of f over an iteration <= ftol (0: off) */
};

/* Opaque state; all pointers point into the caller's workspace. */
struct hfx_min_state {
    size_t  n;          /* parameters in total */
    double * x;         /* [n] the point to evaluate when EVAL is returned */
    double * x_best;    /* [n] best point so far */
    double   f_best;
    int      n_iter;
    int      n_eval;
    /* private below */
    void *   priv;
};

/* Bytes of workspace for n parameters. */
size_t hfx__min_workspace_size(size_t n);

/* Initialises state over workspace (hfx__min_workspace_size(n) bytes, 16-byte aligned). x0, lower,
 * upper, fixed are copied; x0 is clipped into the bounds. After this, state->x is the first point to
 * evaluate: call hfx__min_step(state, f, g) with its value. */
void hfx__min_init(struct hfx_min_state * state, void * workspace, size_t n, const double * x0,
                   const double * lower, const double * upper, const bool * fixed,
                   const struct hfx_min_options * opts);

/* Feeds f and g (the gradient, [n]) at state->x; returns what to do next. g entries of fixed
 * parameters are ignored. */
enum hfx_min_request hfx__min_step(struct hfx_min_state * state, double f, const double * g);

/* Hessian by central differences of the gradient, also in reverse-communication form, so that it
 * runs on every backend. Used after a fit for uncertainties (covariance = 2 * inverse Hessian of
 * twice_nll over the free parameters). */
struct hfx_hess_state {
    size_t   n;
    double * x;    /* [n] point to evaluate the gradient at */
    void *   priv;
};
size_t hfx__hess_workspace_size(size_t n);
/* x0: the minimum; step per parameter chosen as pyhf/minuit-like sqrt(eps)-scaled. */
void   hfx__hess_init(struct hfx_hess_state * s, void * workspace, size_t n, const double * x0, const double * lower,
                      const double * upper, const bool * fixed);
/* Feed the gradient at s->x; returns true while more gradients are wanted. */
bool   hfx__hess_step(struct hfx_hess_state * s, const double * g);
/* After the last step: fills cov ([n][n], row-major) with the inverse of the Hessian of f restricted
 * to free parameters (zeros in fixed rows/columns). Returns false if the Hessian is not positive
 * definite (cov is then filled from a regularised inverse and still usable as an estimate). */
bool   hfx__hess_inverse(struct hfx_hess_state * s, double * cov);

#endif /* HFX_MINIMIZE_H */
