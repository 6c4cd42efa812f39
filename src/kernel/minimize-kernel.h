/*
 * minimize-kernel.h -- bounded quasi-Newton minimisation (projected BFGS with an active set, weak-Wolfe line
 * search along the projected path) in reverse-communication form: the definitions of minimize.h, and
 * the header that callers include. (The finite-difference Hessian is hessian-kernel.h.)
 *
 * Algorithm. The minimiser keeps a dense inverse-Hessian approximation H of f restricted to the
 * "working set" W: the free (not fixed) parameters that are not held at a bound. A parameter is held
 * when it sits exactly on a bound and its gradient pushes outward (a satisfied KKT condition); it is
 * released as soon as its gradient points back into the box. Each iteration
 *   1. updates H with the BFGS formula from the step just taken (s, y over the working set used for
 *      that step; Powell-style damping in inverse form keeps H positive definite when y's is small),
 *   2. updates the held set: holding parameter j replaces H by the inverse of the reduced Hessian,
 *      H - H e_j e_j' H / H_jj (an O(n^2) Schur-complement downdate that keeps the curvature learnt
 *      for the others); releasing j gives it a fresh diagonal entry (the last y's/y'y scale),
 *   3. takes d = -H g on W; a working parameter that sits on a bound with d pointing outward is held
 *      as well (otherwise the projected step would not be a descent direction), and if g'd >= 0 the
 *      matrix is reset to a scaled identity (steepest descent),
 *   4. searches along the projected path x(a) = min__clip(x + a d): every parameter that reaches a bound
 *      stops there, so many constraints can become active in one step and minima on a bound are hit
 *      exactly, never approached asymptotically. The search looks for a weak-Wolfe point
 *      (Armijo sufficient decrease plus the curvature condition on the one-sided path derivative)
 *      by bracketing: extrapolation by 4x while the path still descends, safeguarded cubic
 *      interpolation inside a bracket, and a 4x cut back where f (or g) is not finite, so regions
 *      where the model is undefined (a negative Poisson rate) just shorten the step. The curvature
 *      condition guarantees y's > 0 on unclipped steps, which is what keeps BFGS well conditioned.
 * Why this design: HistFactory fits have 2..~1000 parameters, cheap exact gradients, and minima on
 * bounds (mu clipped at 0, gammas at their limits). A dense BFGS matrix costs O(n^2) per iteration,
 * which is small next to a gradient of a large model, and needs far fewer iterations than L-BFGS on
 * the ill-conditioned problems that strongly correlated nuisance parameters give. Holding exactly the
 * parameters that the KKT conditions say are on their bound makes the free subproblem unconstrained,
 * so BFGS converges superlinearly on it. Where the matrix costs more than the gradient (from ~100
 * parameters: measured on the zoo, docs/model.md) or does not fit in memory, options.history > 0
 * replaces H by the last `history` steps (L-BFGS, minimize-lbfgs.h); everything else is unchanged.
 * With the Fisher-diagonal preconditioning of fit-slot.h, 30 pairs need no more evaluations than the
 * dense matrix on the published models of 100-623 parameters, and fewer at 2000.
 *
 * Near the minimum of a large f (twice_nll of a big model is 1e4..1e6) the decrease of a step can be
 * below the rounding noise of f, so the Armijo test would reject everything. As in Hager and Zhang's
 * CG_DESCENT, a step on the straight part of the path is then also accepted by the "approximate
 * Wolfe" test: f(a) <= f(0) + 1e-12 |f(0)| and c2 phi'(0) <= phi'(a) <= -(1 - 2 c1) phi'(0), which for
 * a quadratic is equivalent to Armijo but uses only gradients. This lets the gradient be driven far
 * below what f differences can resolve.
 *
 * Convergence (checked at every accepted iterate and at the start):
 *   - the projected gradient: max over free i of |g_i|, counting 0 for parameters held on a bound,
 *     <= gtol * max(1, |f|) (default gtol 1e-12). The scaling with |f| is because the rounding error
 *     of an analytic gradient grows with the size of the terms of f: for twice_nll it is roughly
 *     1e-16 times the event count, and |f| is of the order of the event count times a log. With
 *     gtol = 1e-12 and |f| = 1e7 the gradient is driven below 1e-5, which leaves f - f_min ~
 *     g^2 / (2 h) below 1e-10 for curvatures h >= 1 (a unit Gaussian constraint has h = 2), and is
 *     still about 1e3 above the rounding floor. CONVERGED.
 *   - if ftol > 0: (f_prev - f) <= ftol * max(1, |f|) on 3 consecutive iterations. CONVERGED.
 *   - the line search finds no acceptable point (40 evaluations, or the trial point no longer
 *     differs from the iterate): the matrix is reset to a scaled identity and the search retried
 *     once along steepest descent; if that fails too, STALLED (usually: converged to machine
 *     precision; state->pg_norm tells how close to stationary the iterate is).
 *   - max_iter accepted steps: MAX_ITER.
 * Known limitation: a minimum on the edge of a region where f is not finite (a hidden constraint, e.g.
 * a bin with no data whose rate would go negative) is approached but not resolved; the search ends
 * STALLED at a finite point on the edge, short of that edge's own minimum.
 * Cost per iteration: O(n_w^2) for the update and the direction (n_w = working-set size), plus
 * O(k n_w^2) when k parameters become held (more than 32 at once: an O(n^2) reset instead).
 * x_best/f_best: the lowest f evaluated; an accepted iterate whose f ties the best within the noise
 * level above (1e-12 |f|) also replaces it, since its gradient is smaller.
 *
 * Everything lives in the caller's workspace; no allocation, no statics, no recursion, simple loops.
 * Every function is HFX_HD static inline: the CPU fits and the CUDA backend's device-resident fits
 * compile this same text, so the optimizer the GPU runs is the one the CPU tests exercise.
 */
#ifndef HFX_MINIMIZE_KERNEL_H
#define HFX_MINIMIZE_KERNEL_H

#include "kernel/minimize.h"
#include "kernel/minimize-lbfgs.h"
#include "kernel/minimize-priv.h"

#include <math.h>

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

enum {
    MIN__LS_MAX_EVALS   = 40,  /* evaluations per line search before giving up */
    MIN__HOLD_DOWNDATES = 32,  /* more new holds than this at once: reset H instead of O(k n^2) downdates */
    MIN__FTOL_COUNT     = 3,   /* consecutive small decreases for the ftol test */
};

/* Macros rather than static const doubles, which device code cannot always read. */
#define MIN__LS_C1     1e-4  /* Armijo constant */
#define MIN__LS_C2     0.9   /* curvature constant: the usual quasi-Newton value; smaller ones cost more evaluations */
#define MIN__NOISE_REL 1e-12 /* relative rounding noise assumed in f */

/* The quasi-Newton matrix's share: n^2 doubles dense, 2 hist n + 3 hist limited. */
HFX_HD static inline size_t min__h_bytes(size_t n, int history) {
    size_t hist = history > 0 ? (size_t) history : 0;
    return hist ? 2 * min__round16(hist * n * sizeof(double)) + 3 * min__round16(hist * sizeof(double))
                : min__round16(n * n * sizeof(double));
}

HFX_HD static inline size_t hfx__min_workspace_size(size_t n, int history) {
    return min__round16(sizeof(struct min__priv)) + 12 * min__round16(n * sizeof(double)) + min__h_bytes(n, history) +
           min__round16(n * sizeof(size_t)) + 2 * min__round16(n);
}

HFX_HD static inline double min__clip(double v, double l, double u) {
    return v < l ? l : (v > u ? u : v);
}

/* Working-set index list: free and not held. */
HFX_HD static inline void min__build_idx(struct min__priv * p, size_t n) {
    size_t m = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!p->fixed[i] && !p->held[i]) {
            p->idx[m++] = i;
        }
    }
    p->nw = m;
}

/* The O(n^2) loops run over the working set's span [idx[0], idx[nw - 1]] as contiguous memory,
 * which the compiler vectorises, instead of gathering through idx, when the span has few holes
 * (fixed or held parameters inside it: a conditional fit's POI sits in the middle of pyhf's order).
 * A hole adds exact zeros: H's rows and columns off the working set are zero, and the update
 * zeroes s and Hy there. Returns the span's length, 0 for the gather loops. */
HFX_HD static inline size_t min__span(const struct min__priv * p) {
    if (p->nw == 0) {
        return 0;
    }
    size_t len = p->idx[p->nw - 1] - p->idx[0] + 1;
    return len <= p->nw + p->nw / 4 + 1 ? len : 0;
}

/* H <- diag_scale * I on the working set, zero elsewhere. */
HFX_HD static inline void min__reset_h(struct min__priv * p, size_t n) {
    if (p->hist > 0) {
        min__lb_reset(p);
        min__build_idx(p, n);
        p->h_fresh = true;
        return;
    }
    for (size_t i = 0; i < n * n; ++i) {
        p->h[i] = 0.0;
    }
    min__build_idx(p, n);
    for (size_t k = 0; k < p->nw; ++k) {
        size_t i          = p->idx[k];
        p->h[i * n + i] = p->diag_scale;
    }
    p->h_fresh = true;
}

/* Removes j from the working set: H becomes the inverse of the Hessian approximation with row and
 * column j deleted (Schur complement), so the curvature learnt for the others is kept. */
HFX_HD static inline void min__hold_var(struct min__priv * p, size_t n, size_t j) {
    if (p->hist > 0) {
        min__lb_hold(p, n, j);
        p->held[j] = 1;
        return;
    }
    double * h   = p->h;
    double   hjj = h[j * n + j];
    min__build_idx(p, n);
    if (hjj > 0.0 && isfinite(hjj)) {
        for (size_t a = 0; a < p->nw; ++a) {
            size_t ia = p->idx[a];
            double f  = h[ia * n + j] / hjj;
            if (f == 0.0) {
                continue;
            }
            for (size_t b = 0; b < p->nw; ++b) {
                size_t ib = p->idx[b];
                h[ia * n + ib] -= f * h[j * n + ib];
            }
        }
    }
    for (size_t i = 0; i < n; ++i) {
        h[i * n + j] = 0.0;
        h[j * n + i] = 0.0;
    }
    p->held[j] = 1;
}

/* BFGS update of the inverse H from s = x+ - x, y = g+ - g on the working set of the step. */
HFX_HD static inline void min__bfgs_update(struct min__priv * p, size_t n) {
    const size_t * idx = p->idx;
    size_t         m   = p->nw;
    double         sy = 0, yy = 0, ss = 0;
    for (size_t k = 0; k < m; ++k) {
        size_t i = idx[k];
        sy += p->s[i] * p->y[i];
        yy += p->y[i] * p->y[i];
        ss += p->s[i] * p->s[i];
    }
    if (!(yy > 0.0) || !(ss > 0.0) || !isfinite(sy) || !isfinite(yy)) {
        return;
    }
    if (p->hist > 0) {
        if (min__lb_push(p, n, sy, yy)) {
            p->diag_scale = sy / yy;
            p->h_fresh    = false;
        }
        return;
    }
    if (sy > 0.0) {
        /* y's/y'y: the Shanno-Phua scale, used for fresh matrices and released parameters. */
        p->diag_scale = sy / yy;
        if (p->h_fresh) {
            for (size_t k = 0; k < m; ++k) {
                p->h[idx[k] * n + idx[k]] = p->diag_scale;
            }
            p->h_fresh = false;
        }
    }
    double yhy  = 0.0;
    size_t span = min__span(p);
    if (span) {
        for (size_t i = idx[0]; i < idx[0] + span; ++i) {
            if (p->fixed[i] || p->held[i]) {
                p->hy[i] = 0.0;
                p->s[i]  = 0.0;
            }
        }
    }
    for (size_t a = 0; a < m; ++a) {
        size_t       ia  = idx[a];
        const double * row = p->h + ia * n;
        double       v   = 0.0;
        if (span) {
            v = min__dot(row + idx[0], p->y + idx[0], span);
        } else {
            for (size_t b = 0; b < m; ++b) {
                v += row[idx[b]] * p->y[idx[b]];
            }
        }
        p->hy[ia] = v;
        yhy += v * p->y[ia];
    }
    if (!(yhy > 0.0) || !isfinite(yhy)) {
        return;
    }
    /* Damping in inverse form (the dual of Powell's): if y's < 0.2 y'Hy, replace s by
     * theta s + (1 - theta) H y so that s'y = 0.2 y'Hy > 0 and H stays positive definite. */
    if (sy < 0.2 * yhy) {
        double theta = 0.8 * yhy / (yhy - sy);
        for (size_t k = 0; k < m; ++k) {
            size_t i = idx[k];
            p->s[i]  = theta * p->s[i] + (1.0 - theta) * p->hy[i];
        }
        sy = 0.2 * yhy;
    }
    double rho = 1.0 / sy;
    double c   = rho * rho * yhy + rho;
    /* H+ = H - rho (s (Hy)' + (Hy) s') + (rho^2 y'Hy + rho) s s' */
    for (size_t a = 0; a < m; ++a) {
        size_t ia = idx[a];
        double sa = p->s[ia], ha = p->hy[ia];
        double * row = p->h + ia * n;
        if (span) {
            size_t         o  = idx[0];
            double *       r  = row + o;
            const double * hy = p->hy + o, * sv = p->s + o;
            for (size_t b = 0; b < span; ++b) {
                r[b] += -rho * (sa * hy[b] + ha * sv[b]) + c * sa * sv[b];
            }
            continue;
        }
        for (size_t b = 0; b < m; ++b) {
            size_t ib = idx[b];
            row[ib] += -rho * (sa * p->hy[ib] + ha * p->s[ib]) + c * sa * p->s[ib];
        }
    }
}

/* d = -H g on the working set; holds working parameters on a bound that d would push out. Returns
 * false if no descent direction exists (the free gradient is zero). */
HFX_HD static inline bool min__compute_direction(struct min__priv * p, size_t n) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        for (;;) {
            min__build_idx(p, n);
            if (p->hist > 0) {
                min__lb_direction(p, n);
            }
            for (size_t i = 0; i < n && p->hist == 0; ++i) {
                p->d[i] = 0.0;
            }
            size_t span = min__span(p);
            for (size_t a = 0; a < p->nw && p->hist == 0; ++a) {
                size_t       ia  = p->idx[a];
                const double * row = p->h + ia * n;
                double       v   = 0.0;
                if (span) {
                    v = min__dot(row + p->idx[0], p->gk + p->idx[0], span);
                } else {
                    for (size_t b = 0; b < p->nw; ++b) {
                        v += row[p->idx[b]] * p->gk[p->idx[b]];
                    }
                }
                p->d[ia] = -v;
            }
            bool changed = false;
            for (size_t a = 0; a < p->nw; ++a) {
                size_t i = p->idx[a];
                if ((p->xk[i] <= p->lower[i] && p->d[i] < 0.0) || (p->xk[i] >= p->upper[i] && p->d[i] > 0.0)) {
                    min__hold_var(p, n, i);
                    changed = true;
                }
            }
            if (!changed) {
                break;
            }
        }
        double dphi = 0.0;
        for (size_t a = 0; a < p->nw; ++a) {
            size_t i = p->idx[a];
            dphi += p->gk[i] * p->d[i];
        }
        if (dphi < 0.0 && isfinite(dphi)) {
            p->dphi0 = dphi;
            return true;
        }
        /* Not a descent direction (H lost its information): fall back to steepest descent. The
         * holds above remain; parameters on a bound with inward gradient get d inward. */
        min__reset_h(p, n);
    }
    return false;
}

HFX_HD static inline bool min__make_trial(struct min__priv * p, size_t n, double * x) {
    bool moved = false;
    for (size_t i = 0; i < n; ++i) {
        double v = p->xk[i];
        if (p->d[i] != 0.0) {
            v = min__clip(p->xk[i] + p->alpha * p->d[i], p->lower[i], p->upper[i]);
        }
        moved = moved || v != p->xk[i];
        x[i]  = v;
    }
    return moved;
}

HFX_HD static inline void min__start_line_search(struct min__priv * p) {
    double first = INFINITY, last = 0.0;
    for (size_t a = 0; a < p->nw; ++a) {
        size_t i = p->idx[a];
        double di = p->d[i], t = INFINITY;
        if (di < 0.0) {
            t = (p->lower[i] - p->xk[i]) / di;
        } else if (di > 0.0) {
            t = (p->upper[i] - p->xk[i]) / di;
        } else {
            continue;
        }
        first = fmin(first, t);
        last  = fmax(last, t);
    }
    p->alpha_first = first;
    p->alpha_last  = last;
    p->lo          = 0.0;
    p->f_lo        = p->fk;
    p->dphi_lo     = p->dphi0;
    p->hi          = INFINITY;
    p->f_hi        = INFINITY;
    p->dphi_hi     = 0.0;
    p->have_lo     = false;
    p->ls_evals    = 0;
    p->alpha       = 1.0;
}

/* Safeguarded cubic (else quadratic, else bisection) minimiser in the bracket [lo, hi]. */
HFX_HD static inline double min__interpolate(const struct min__priv * p) {
    double lo = p->lo, hi = p->hi, w = hi - lo;
    double a  = NAN;
    if (isfinite(p->f_hi)) {
        double d1   = p->dphi_lo + p->dphi_hi - 3.0 * (p->f_lo - p->f_hi) / (lo - hi);
        double disc = d1 * d1 - p->dphi_lo * p->dphi_hi;
        if (disc >= 0.0) {
            double d2  = sqrt(disc);
            double den = p->dphi_hi - p->dphi_lo + 2.0 * d2;
            if (den != 0.0) {
                a = hi - w * (p->dphi_hi + d2 - d1) / den;
            }
        }
        if (!(a > lo && a < hi)) {
            double q = p->f_hi - p->f_lo - p->dphi_lo * w;
            a        = q > 0.0 ? lo - p->dphi_lo * w * w / (2.0 * q) : lo + 0.5 * w;
        }
        if (!isfinite(a)) {
            a = lo + 0.5 * w;
        }
        return min__clip(a, lo + 0.1 * w, lo + 0.75 * w);
    }
    /* f not finite at hi: nothing to interpolate, cut back hard. */
    return lo + 0.25 * w;
}

/* Projected gradient inf-norm at the iterate (0 for parameters held on a bound). */
HFX_HD static inline double min__pg_norm(const struct min__priv * p, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; ++i) {
        if (!p->fixed[i] && !p->held[i]) {
            m = fmax(m, fabs(p->gk[i]));
        }
    }
    return m;
}

/* Holds parameters on a bound with outward gradient, releases held ones whose gradient turned inward. */
HFX_HD static inline void min__update_held(struct min__priv * p, size_t n) {
    size_t new_holds = 0;
    for (size_t i = 0; i < n; ++i) {
        if (p->fixed[i]) {
            continue;
        }
        bool out = (p->xk[i] <= p->lower[i] && p->gk[i] > 0.0) || (p->xk[i] >= p->upper[i] && p->gk[i] < 0.0);
        if (out && !p->held[i]) {
            ++new_holds;
        }
    }
    bool reset = p->hist == 0 && new_holds > MIN__HOLD_DOWNDATES; /* a limited-memory hold is O(hist) */
    for (size_t i = 0; i < n; ++i) {
        if (p->fixed[i]) {
            continue;
        }
        bool out = (p->xk[i] <= p->lower[i] && p->gk[i] > 0.0) || (p->xk[i] >= p->upper[i] && p->gk[i] < 0.0);
        if (out && !p->held[i]) {
            if (reset) {
                p->held[i] = 1;
            } else {
                min__hold_var(p, n, i);
            }
        } else if (!out && p->held[i]) {
            /* Released: no coupling yet, so its first step goes straight into the box. */
            p->held[i] = 0;
            if (p->hist == 0) {
                p->h[i * n + i] = p->diag_scale;
            }
        }
    }
    if (reset) {
        min__reset_h(p, n);
    }
    min__build_idx(p, n);
}

HFX_HD static inline enum hfx_min_request min__finish(struct min__priv * p, enum hfx_min_request r) {
    p->phase = MIN__DONE;
    p->done  = r;
    return r;
}

/* Sets up the next line search from the current iterate and asks for its first point. */
HFX_HD static inline enum hfx_min_request min__begin_search(struct hfx_min_state * st, struct min__priv * p) {
    if (!min__compute_direction(p, st->n)) {
        return min__finish(p, HFX_MIN_CONVERGED); /* zero free gradient */
    }
    min__start_line_search(p);
    if (!min__make_trial(p, st->n, st->x)) {
        return min__finish(p, HFX_MIN_STALLED);
    }
    p->phase = MIN__LINE;
    return HFX_MIN_EVAL;
}

/* Convergence tests at the iterate, then the next search. */
HFX_HD static inline enum hfx_min_request min__at_iterate(struct hfx_min_state * st, struct min__priv * p, double f_prev) {
    size_t n     = st->n;
    double scale = fmax(1.0, fabs(p->fk));
    min__update_held(p, n);
    st->pg_norm = min__pg_norm(p, n);
    if (st->pg_norm <= p->opts.gtol * scale) {
        return min__finish(p, HFX_MIN_CONVERGED);
    }
    if (p->opts.ftol > 0.0 && st->n_iter > 0) {
        if (f_prev - p->fk <= p->opts.ftol * scale) {
            if (++p->small_count >= MIN__FTOL_COUNT) {
                return min__finish(p, HFX_MIN_CONVERGED);
            }
        } else {
            p->small_count = 0;
        }
    }
    if (st->n_iter >= p->opts.max_iter) {
        return min__finish(p, HFX_MIN_MAX_ITER);
    }
    return min__begin_search(st, p);
}

/* Moves to the accepted point (xa, fa, ga): BFGS update, bookkeeping, next iteration. */
HFX_HD static inline enum hfx_min_request min__accept(struct hfx_min_state * st, struct min__priv * p, const double * xa, double fa,
                                   const double * ga) {
    size_t n = st->n;
    for (size_t i = 0; i < n; ++i) {
        p->s[i] = xa[i] - p->xk[i];
        p->y[i] = p->fixed[i] ? 0.0 : ga[i] - p->gk[i];
    }
    min__build_idx(p, n); /* the working set of the step just taken */
    min__bfgs_update(p, n);
    for (size_t i = 0; i < n; ++i) {
        p->xk[i] = xa[i];
        p->gk[i] = p->fixed[i] ? 0.0 : ga[i];
    }
    double f_prev = p->fk;
    p->fk         = fa;
    if (fa <= st->f_best + MIN__NOISE_REL * fmax(1.0, fabs(st->f_best))) {
        for (size_t i = 0; i < n; ++i) {
            st->x_best[i] = xa[i];
        }
        st->f_best = fa;
    }
    st->n_iter++;
    p->sd_restart = false;
    return min__at_iterate(st, p, f_prev);
}

/* The line search found nothing: one steepest-descent retry, then give up. */
HFX_HD static inline enum hfx_min_request min__search_failed(struct hfx_min_state * st, struct min__priv * p) {
    if (p->sd_restart || p->h_fresh) {
        return min__finish(p, HFX_MIN_STALLED);
    }
    p->sd_restart = true;
    min__reset_h(p, st->n);
    return min__begin_search(st, p);
}

HFX_HD static inline void hfx__min_init(struct hfx_min_state * state, void * workspace, size_t n, const double * x0, const double * lower,
                   const double * upper, const bool * fixed, const struct hfx_min_options * opts) {
    unsigned char *   w = (unsigned char *) workspace;
    struct min__priv * p = (struct min__priv *) workspace;
    w += min__round16(sizeof *p);
    double * arr[12];
    for (int k = 0; k < 12; ++k) {
        arr[k] = (double *) (void *) w;
        w += min__round16(n * sizeof(double));
    }
    p->hist = opts && opts->history > 0 ? opts->history : 0;
    p->h    = NULL;
    p->lb_s = p->lb_y = p->lb_sy = p->lb_yy = p->lb_alpha = NULL;
    if (p->hist > 0) {
        size_t hist = (size_t) p->hist;
        p->lb_s     = (double *) (void *) w;
        w += min__round16(hist * n * sizeof(double));
        p->lb_y = (double *) (void *) w;
        w += min__round16(hist * n * sizeof(double));
        double ** small[3] = {&p->lb_sy, &p->lb_yy, &p->lb_alpha};
        for (int k = 0; k < 3; ++k) {
            *small[k] = (double *) (void *) w;
            w += min__round16(hist * sizeof(double));
        }
    } else {
        p->h = (double *) (void *) w;
        w += min__round16(n * n * sizeof(double));
    }
    min__lb_reset(p);
    p->idx = (size_t *) (void *) w;
    w += min__round16(n * sizeof(size_t));
    p->fixed = w;
    w += min__round16(n);
    p->held = w;

    state->n      = n;
    state->x      = arr[0];
    state->x_best = arr[1];
    p->lower      = arr[2];
    p->upper      = arr[3];
    p->xk         = arr[4];
    p->gk         = arr[5];
    p->d          = arr[6];
    p->x_lo       = arr[7];
    p->g_lo       = arr[8];
    p->s          = arr[9];
    p->y          = arr[10];
    p->hy         = arr[11];
    state->priv   = p;

    /* Zero (or NULL options) means the default, so that a zero-initialised struct is sensible. */
    p->opts.max_iter = opts && opts->max_iter > 0 ? opts->max_iter : 1000;
    p->opts.gtol     = opts && opts->gtol > 0.0 ? opts->gtol : 1e-12;
    p->opts.ftol     = opts && opts->ftol > 0.0 ? opts->ftol : 0.0;
    for (size_t i = 0; i < n * n && p->hist == 0; ++i) {
        p->h[i] = 0.0;
    }

    for (size_t i = 0; i < n; ++i) {
        double l = lower ? lower[i] : -INFINITY, u = upper ? upper[i] : INFINITY;
        if (!(l <= u)) { /* an empty or NaN box: pin the parameter to its start */
            l = u = x0[i];
        }
        p->lower[i] = l;
        p->upper[i] = u;
        /* A parameter whose box is a single point is fixed in all but name. */
        p->fixed[i] = (unsigned char) ((fixed && fixed[i]) || l == u);
        p->held[i]  = 0;
        state->x[i] = min__clip(x0[i], l, u);
        p->d[i]     = 0.0;
    }
    state->f_best  = INFINITY;
    state->n_iter  = 0;
    state->n_eval  = 0;
    state->pg_norm = INFINITY;
    p->phase       = MIN__FIRST;
    p->done        = HFX_MIN_EVAL;
    p->diag_scale  = 1.0;
    p->h_fresh     = true;
    p->sd_restart  = false;
    p->small_count = 0;
    p->fk          = INFINITY;
    p->nw          = 0;
}

HFX_HD static inline bool min__point_finite(const struct min__priv * p, size_t n, double f, const double * g) {
    if (!isfinite(f)) {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        if (!p->fixed[i] && !isfinite(g[i])) {
            return false;
        }
    }
    return true;
}

HFX_HD static inline enum hfx_min_request hfx__min_step(struct hfx_min_state * st, double f, const double * g) {
    struct min__priv * p = (struct min__priv *) st->priv;
    size_t            n = st->n;
    if (p->phase == MIN__DONE) {
        return p->done;
    }
    st->n_eval++;
    bool finite = min__point_finite(p, n, f, g);
    if (finite && f < st->f_best) {
        for (size_t i = 0; i < n; ++i) {
            st->x_best[i] = st->x[i];
        }
        st->f_best = f;
    }

    if (p->phase == MIN__FIRST) {
        for (size_t i = 0; i < n; ++i) {
            st->x_best[i] = st->x[i];
        }
        st->f_best = f;
        if (!finite) {
            return min__finish(p, HFX_MIN_BAD_START);
        }
        for (size_t i = 0; i < n; ++i) {
            p->xk[i] = st->x[i];
            p->gk[i] = p->fixed[i] ? 0.0 : g[i];
        }
        p->fk = f;
        min__update_held(p, n);
        /* First step of length at most 1 in the largest gradient component; the line search and the
         * first BFGS update (which rescales H by y's/y'y) correct the scale from there. */
        p->diag_scale = 1.0 / fmax(1.0, min__pg_norm(p, n));
        min__reset_h(p, n);
        return min__at_iterate(st, p, f);
    }

    /* MIN__LINE: f, g at x(alpha). */
    p->ls_evals++;
    double a = p->alpha;
    if (!finite) {
        p->hi   = a;
        p->f_hi = INFINITY;
    } else {
        double delta = 0.0, dphi = 0.0;
        for (size_t k = 0; k < p->nw; ++k) {
            size_t i = p->idx[k];
            delta += p->gk[i] * (st->x[i] - p->xk[i]);
            double t = p->xk[i] + a * p->d[i];
            if (t > p->lower[i] && t < p->upper[i]) { /* not clipped: moves along d at a */
                dphi += g[i] * p->d[i];
            }
        }
        bool armijo = delta < 0.0 ? f <= p->fk + MIN__LS_C1 * delta : f < p->fk;
        if (!armijo) {
            bool approx_wolfe = a <= p->alpha_first && f <= p->fk + MIN__NOISE_REL * fmax(1.0, fabs(p->fk)) &&
                                dphi >= MIN__LS_C2 * p->dphi0 && dphi <= -(1.0 - 2.0 * MIN__LS_C1) * p->dphi0;
            if (approx_wolfe) {
                return min__accept(st, p, st->x, f, g);
            }
            p->hi      = a;
            p->f_hi    = f;
            p->dphi_hi = dphi;
        } else if (dphi < MIN__LS_C2 * p->dphi0) {
            /* Sufficient decrease but the path still descends steeply: the step was too short. */
            p->lo      = a;
            p->f_lo    = f;
            p->dphi_lo = dphi;
            p->have_lo = true;
            for (size_t i = 0; i < n; ++i) {
                p->x_lo[i] = st->x[i];
                p->g_lo[i] = g[i];
            }
        } else {
            return min__accept(st, p, st->x, f, g);
        }
    }

    if (p->ls_evals >= MIN__LS_MAX_EVALS || (isfinite(p->hi) && !(p->hi - p->lo > 1e-15 * p->hi))) {
        return p->have_lo ? min__accept(st, p, p->x_lo, p->f_lo, p->g_lo) : min__search_failed(st, p);
    }
    if (isfinite(p->hi)) {
        p->alpha = min__interpolate(p);
    } else {
        /* Extrapolate; beyond alpha_last the path no longer moves. */
        p->alpha = fmin(4.0 * a, fmax(p->alpha_last, a));
        if (p->alpha <= a) {
            return min__accept(st, p, p->x_lo, p->f_lo, p->g_lo);
        }
    }
    if (!min__make_trial(p, n, st->x)) {
        return p->have_lo ? min__accept(st, p, p->x_lo, p->f_lo, p->g_lo) : min__search_failed(st, p);
    }
    return HFX_MIN_EVAL;
}

#endif /* HFX_MINIMIZE_KERNEL_H */
