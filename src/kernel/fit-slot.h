/*
 * fit-slot.h -- one fit as a resumable state machine: the whole of an hfx fit (the descent from the
 * start point, the exploration of both sides of kinked or non-monotone parameters, the polish at a
 * kink) written so that it never evaluates the likelihood itself. Like the minimizer under it, a
 * slot says which point it wants (slot->x, slot->want_grad) and is fed the value there.
 *
 * That is what lets many fits advance together: the batch driver (fit.c) gathers the pending
 * points of every active slot into one backend call, and a device backend can run the same
 * functions in a thread per slot, since everything here is HFX_HD static inline over memory the
 * caller provides (hfx__slot_bytes), with no allocation, no statics and no recursion.
 *
 * Sections: the slot (its jobs: fit-job.h), its memory, one descent, exploration and polish, the
 * public steps, a fit run to the end where the likelihood is at hand (a backend's own thread, a
 * device thread).
 */
#ifndef HFX_FIT_SLOT_H
#define HFX_FIT_SLOT_H

#include "kernel/fit-job.h"
#include "kernel/minimize-kernel.h"
#include "kernel/eval-kernel.h"

#include <float.h>
#include <math.h>

//
// The slot (the jobs it runs, and the settings: fit-job.h)
//

enum hfx__slot_phase {
    HFX_SLOT_IDLE = 0, /* no fit: free for the next one */
    HFX_SLOT_EVAL,     /* wants f (and g if want_grad) at x: feed it with hfx__slot_feed */
    HFX_SLOT_DONE,     /* the fit is over: best, f_best, status, n_iter, n_eval hold its result */
};

/* What the fit is doing; private to this file. */
enum hfx__slot_stage { HFX_SLOT_MAIN, HFX_SLOT_PROBE, HFX_SLOT_PROBE_FLAT, HFX_SLOT_PROBE_TIE, HFX_SLOT_EXPLORE,
                       HFX_SLOT_POLISH };

struct hfx__fit_slot {
    /* The fit, set by the caller before hfx__slot_start. */
    const double * data;       /* [n_bins + n_aux], owned by the caller, alive until DONE */
    double         data_const; /* hfx__data_constant(m, data) */
    double *       x0;         /* [n_pars] start point; fixed parameters are held at these values */
    bool *         fixed;      /* [n_pars] */
    int            explore;    /* enum hfx_explore */
    int            max_iter;   /* iterations of one descent */
    size_t         tag;        /* the caller's: which job this fit belongs to */

    /* The result, in phase DONE. */
    double * best;             /* [n_pars] */
    double   f_best;           /* twice_nll at best (INFINITY when the start was not finite) */
    double * first;            /* [n_pars] where the first descent from x0 ended */
    double   f_first;          /* twice_nll there: the single-descent answer (pyhf's, ROOT's) */
    int      status;           /* enum hfx_fit_status */
    int      n_iter, n_eval;   /* accepted steps over every descent; points fed (probes included) */

    /* The request, in phase EVAL. */
    int      phase;            /* enum hfx__slot_phase */
    double * x;                /* [n_pars] the point to evaluate */
    bool     want_grad;        /* g is needed (false only for one-value probes) */

    /* Private. */
    const struct hfx_model * m;
    int                      stage;     /* enum hfx__slot_stage */
    int                      round;     /* exploration round */
    size_t                   j;         /* next parameter to explore */
    double                   f_round, f_before, f_polish;
    enum hfx_min_request     req;       /* outcome of the descent that gave best */
    enum hfx_min_request     r;         /* outcome of the current descent */
    int                      history;   /* hfx_min_options.history, fixed by hfx__slot_init */
    struct hfx_min_state     st;
    void *                   min_ws;
    double *                 lower, * upper;           /* [n_pars] the box, fixed parameters pinned */
    double *                 scale, * z, * zlower, * zupper; /* [n_pars] preconditioning: x = scale z */
    double *                 saved;                    /* [n_pars] best point kept across a polish */
    double *                 grad;                     /* [n_pars] for hfx__slot_run */
    double *                 scratch;                  /* hfx__kernel_scratch_size(m) doubles */
    signed char *            side;                     /* [n_pars] kink locks: -1/+1 keeps that side of 0 */
};

/* How far above the best minimum a probe on the other side of a non-monotone parameter may be and
 * still be worth a refit: the refit lowers it by letting the other parameters follow. */
#define HFX_SLOT_PROBE_MARGIN 0.01

/* A parameter flat at 0 (no slope there: model.h) that its descent left at 0 is refitted from the
 * other side only where 0 is not a clear minimum along it: where the curvature of twice_nll along it
 * at 0, measured by a probe HFX_SLOT_FLAT_STEP away, is below HFX_SLOT_FLAT_CURVATURE (its unit
 * Gaussian constraint alone gives 2). With no slope at 0 the other parameters' derivatives along it
 * vanish there too, so this curvature is also the profile's: below 0, 0 is a maximum of the profile
 * and a lower minimum lies on either side (a published workspace has one at -0.156, which the
 * descent cannot find and a probe at 0.2 misses). */
#define HFX_SLOT_FLAT_STEP      0.01
#define HFX_SLOT_FLAT_CURVATURE 1.0

/* Two free parameters that enter the model alike (the same modifier data on the same samples, the same
 * constraint) have equal gradients at every point where they are equal, so a descent from a start where
 * they are equal keeps them equal to the bit; where the minimum lies off that line, it ends at a saddle
 * point and passes for converged (pyhf's test_pdf_clipping model: twice_nll 495.4152 at np_1 = np_2 =
 * -0.580, its minimum 495.3788 at -0.665, -0.495). Parameters equal to the bit at a descent's end (not at
 * 0, where the flat-parameter probe looks, nor at a bound) are therefore probed once along their
 * difference, HFX_SLOT_TIE_STEP of their width each way (the preconditioning's scale), and refitted from
 * there where twice_nll is lower: at a saddle it is, by about half the negative curvature times the step
 * squared; at a minimum it is higher. Parameters that merely land on the same value are probed for
 * nothing but one evaluation. */
#define HFX_SLOT_TIE_STEP 0.1

//
// Memory: one block per slot, carved by hfx__slot_init
//

HFX_HD static inline size_t hfx__slot_round(size_t b) { return (b + 63u) & ~(size_t) 63u; }

HFX_HD static inline size_t hfx__slot_bytes(const struct hfx_model * m, int history) {
    size_t np = m->n_pars ? m->n_pars : 1, vec = hfx__slot_round(np * sizeof(double));
    return hfx__slot_round(hfx__min_workspace_size(np, history)) + 12 * vec +
           hfx__slot_round(hfx__kernel_scratch_size(m) * sizeof(double)) + 2 * hfx__slot_round(np);
}

/* Points the slot's arrays into mem (hfx__slot_bytes(m, history) bytes, 64-byte aligned); phase IDLE. */
HFX_HD static inline void hfx__slot_init(struct hfx__fit_slot * s, const struct hfx_model * m, void * mem,
                                         int history) {
    size_t          np = m->n_pars ? m->n_pars : 1, vec = hfx__slot_round(np * sizeof(double));
    unsigned char * w  = (unsigned char *) mem;
    double **       arrays[12] = {&s->x0,     &s->best,   &s->x,      &s->lower, &s->upper, &s->scale,
                                  &s->z,      &s->zlower, &s->zupper, &s->saved, &s->grad,  &s->first};
    s->min_ws  = w;
    s->history = history;
    w += hfx__slot_round(hfx__min_workspace_size(np, history));
    for (int k = 0; k < 12; ++k) {
        *arrays[k] = (double *) (void *) w;
        w += vec;
    }
    s->scratch = (double *) (void *) w;
    w += hfx__slot_round(hfx__kernel_scratch_size(m) * sizeof(double));
    s->fixed = (bool *) (void *) w;
    w += hfx__slot_round(np);
    s->side  = (signed char *) (void *) w;
    s->m     = m;
    s->phase = HFX_SLOT_IDLE;
    s->data  = NULL;
    s->tag   = 0;
}

//
// One descent
//

/* The point in model coordinates for the minimizer's state->x. */
HFX_HD static inline void hfx__slot_make_point(struct hfx__fit_slot * s) {
    size_t np = s->m->n_pars;
    for (size_t j = 0; j < np; ++j) {
        s->x[j] = s->fixed[j] ? s->x0[j] : s->st.x[j] * s->scale[j];
        if (s->side[j] < 0 && s->x[j] == 0.0) {
            /* at the kink the slope is the alpha > 0 side's (interp.h); a fit held on the negative
             * side needs that side's slope there */
            s->x[j] = -DBL_MIN;
        }
    }
    s->phase     = HFX_SLOT_EVAL;
    s->want_grad = true;
}

/* Starts one minimisation from start (which may alias s->x).
 *
 * The minimizer works on z = x / scale, where scale_j = 1 / sqrt(F_jj) and F is the Fisher
 * information at the start point: gamma factors with 1% constraints and nuisance parameters with
 * unit constraints then look alike to it, and BFGS starts from a sensible diagonal metric instead of
 * the identity. Its stopping rule |scale_j g_j| <= gtol max(1, |f|) is then in natural units too:
 * (scale_j g_j)^2 / 2 is the decrease of twice_nll a Newton step along j would still bring. */
HFX_HD static inline void hfx__slot_descend(struct hfx__fit_slot * s, const double * start) {
    const struct hfx_model * m  = s->m;
    size_t                   np = m->n_pars;
    for (size_t j = 0; j < np; ++j) {
        s->x[j] = fmin(fmax(start[j], s->lower[j]), s->upper[j]);
    }
    hfx__kernel_fisher_diag(m, s->x, s->scale, s->scratch);
    for (size_t j = 0; j < np; ++j) {
        double fjj  = s->scale[j];
        s->scale[j] = fjj > 0 && isfinite(fjj) ? 1.0 / sqrt(fjj) : 1.0;
        /* a side lock turns the kink at 0 into a bound (see hfx__slot_after_explore) */
        double lo    = s->side[j] > 0 ? fmax(s->lower[j], 0.0) : s->lower[j];
        double hi    = s->side[j] < 0 ? fmin(s->upper[j], 0.0) : s->upper[j];
        s->z[j]      = fmin(fmax(s->x[j], lo), hi) / s->scale[j];
        s->zlower[j] = lo / s->scale[j];
        s->zupper[j] = hi / s->scale[j];
    }
    struct hfx_min_options opts = {s->max_iter, 1e-12, 0.0, s->history}; /* max_iter, gtol, ftol, history: a local, as device code reads no host constants */
    hfx__min_init(&s->st, s->min_ws, np, s->z, s->zlower, s->zupper, s->fixed, &opts);
    s->r = HFX_MIN_EVAL;
    hfx__slot_make_point(s);
}

HFX_HD static inline int hfx__slot_status_from(enum hfx_min_request r) {
    switch (r) {
    case HFX_MIN_CONVERGED:
        return HFX_FIT_CONVERGED;
    case HFX_MIN_MAX_ITER:
        return HFX_FIT_MAX_ITER;
    case HFX_MIN_STALLED:
        return HFX_FIT_STALLED;
    default:
        return HFX_FIT_FAILED;
    }
}

HFX_HD static inline void hfx__slot_finish(struct hfx__fit_slot * s) {
    s->phase  = HFX_SLOT_DONE;
    s->status = hfx__slot_status_from(s->req);
}

//
// Exploration and polish
//

/* The first free parameter i < k equal to parameter k at the best point, strictly inside both boxes and
 * not 0 (HFX_SLOT_TIE_STEP); np (none) if there is none. */
HFX_HD static inline size_t hfx__slot_tie_partner(const struct hfx__fit_slot * s, size_t k) {
    size_t np = s->m->n_pars;
    double v  = s->best[k];
    if (s->fixed[k] || v == 0.0 || !(v > s->lower[k] && v < s->upper[k])) {
        return np;
    }
    for (size_t i = 0; i < k; ++i) {
        if (s->best[i] == v && !s->fixed[i] && v > s->lower[i] && v < s->upper[i]) {
            return i;
        }
    }
    return np;
}

/* Whether any parameter has a tie partner at the best point. */
HFX_HD static inline bool hfx__slot_has_tie(const struct hfx__fit_slot * s) {
    size_t np = s->m->n_pars;
    for (size_t k = 1; k < np; ++k) {
        if (hfx__slot_tie_partner(s, k) < np) {
            return true;
        }
    }
    return false;
}

HFX_HD static inline void hfx__slot_after_explore(struct hfx__fit_slot * s);

/* Parameters the model marks for exploration (model.h: a kink at 0 with normsys code1 or histosys
 * code0, or no slope at 0 at all) can have a local minimum on each side of 0, and which one a descent
 * method reaches depends on its first steps (pyhf's SLSQP and hfx's BFGS can differ; a parameter
 * with zero slope is never moved at all). So, for each such free parameter, restart from the best
 * point with it moved to the other side (or off 0), and keep any lower minimum; repeat while that
 * helps (at most 3 rounds). A flat parameter that has left 0 needs no more help; one still at 0 is
 * restarted by default only where a curvature probe says 0 may not be its minimum
 * (HFX_SLOT_FLAT_STEP). Parameters with non-monotone interpolations are explored too: by default
 * only where a one-evaluation probe on the other side looks promising, in thorough fits always. A second
 * half of each round probes parameters tied to the bit to an earlier one (HFX_SLOT_TIE_STEP).
 *
 * This steps to the next restart (or probe) of the exploration, or past its end. */
HFX_HD static inline void hfx__slot_explore_next(struct hfx__fit_slot * s) {
    const struct hfx_model * m  = s->m;
    size_t                   np = m->n_pars;
    for (;;) {
        if (s->j >= 2 * np) {
            bool improved = s->f_best < s->f_round - 1e-9 * fmax(1.0, fabs(s->f_round));
            if (!improved || ++s->round >= 3) {
                hfx__slot_after_explore(s);
                return;
            }
            s->f_round = s->f_best;
            s->j       = 0;
        }
        size_t j = s->j++;
        if (j >= np) { /* the second half of the sweep: parameters tied to an earlier one (HFX_SLOT_TIE_STEP) */
            size_t k = j - np, i = hfx__slot_tie_partner(s, k);
            if (i >= np) {
                continue;
            }
            double h = HFX_SLOT_TIE_STEP * fmin(s->scale[i], s->scale[k]);
            for (size_t q = 0; q < np; ++q) {
                s->x[q] = s->best[q];
            }
            s->x[i]      = fmin(fmax(s->best[i] + h, s->lower[i]), s->upper[i]);
            s->x[k]      = fmin(fmax(s->best[k] - h, s->lower[k]), s->upper[k]);
            s->stage     = HFX_SLOT_PROBE_TIE;
            s->phase     = HFX_SLOT_EVAL;
            s->want_grad = false;
            return;
        }
        bool   flat0 = m->flat_at_init[j] && s->best[j] == 0.0;
        bool   basic = (m->explore[j] && !m->flat_at_init[j]) || flat0;
        if (!(basic || m->nonmonotone[j]) || s->fixed[j]) {
            continue;
        }
        for (size_t i = 0; i < np; ++i) {
            s->x[i] = s->best[i];
        }
        double a = s->best[j];
        s->x[j]  = fabs(a) >= 0.05 ? -a : (a >= 0 ? -0.2 : 0.2);
        s->x[j]  = fmin(fmax(s->x[j], s->lower[j]), s->upper[j]);
        if ((flat0 || !basic) && s->explore != HFX_EXPLORE_THOROUGH) {
            /* a probe first (one value, hfx__slot_feed): for a parameter flat at 0 its curvature, on the
             * side the refit would start from; for a non-monotone interpolation the point the refit
             * would start from, the other parameters unchanged, which must be within the margin of
             * the best */
            if (flat0) {
                s->x[j] = s->x[j] < 0 ? -HFX_SLOT_FLAT_STEP : s->x[j] > 0 ? HFX_SLOT_FLAT_STEP : 0.0;
                if (s->x[j] == 0.0) { /* bounds leave no other side */
                    continue;
                }
            }
            s->stage     = flat0 ? HFX_SLOT_PROBE_FLAT : HFX_SLOT_PROBE;
            s->phase     = HFX_SLOT_EVAL;
            s->want_grad = false;
            return;
        }
        s->stage    = HFX_SLOT_EXPLORE;
        s->f_before = s->f_best;
        hfx__slot_descend(s, s->x);
        return;
    }
}

/* A minimum exactly at the kink of a code1 normsys or code0 histosys is a point where the gradient
 * jumps, so BFGS circles it without meeting its gradient test and ends on the iteration limit. When
 * that happens with kinked parameters within 1e-4 of 0, refit from the best point with each of them
 * locked to the side of 0 it is on: 0 is then a bound, which the active-set method reaches exactly,
 * and the fit converges. The result is kept if it is no higher than the best (within rounding). */
HFX_HD static inline void hfx__slot_after_explore(struct hfx__fit_slot * s) {
    const struct hfx_model * m   = s->m;
    size_t                   np  = m->n_pars;
    bool                     any = false;
    if (s->req != HFX_MIN_CONVERGED && m->n_explore > 0) {
        for (size_t j = 0; j < np; ++j) {
            bool kinked = m->explore[j] && !m->flat_at_init[j] && !s->fixed[j];
            s->side[j]  = kinked && fabs(s->best[j]) < 1e-4 ? (s->best[j] < 0 ? -1 : 1) : 0;
            any         = any || s->side[j] != 0;
        }
    }
    if (!any) {
        hfx__slot_finish(s);
        return;
    }
    for (size_t j = 0; j < np; ++j) {
        s->saved[j] = s->best[j];
    }
    s->stage    = HFX_SLOT_POLISH;
    s->f_before = s->f_best;
    s->f_polish = INFINITY;
    hfx__slot_descend(s, s->best);
}

/* A descent ended (s->r): keep its minimum if it is the lowest, then go on with the fit. */
HFX_HD static inline void hfx__slot_descent_done(struct hfx__fit_slot * s) {
    const struct hfx_model * m      = s->m;
    size_t                   np     = m->n_pars;
    double *                 target = s->stage == HFX_SLOT_POLISH ? &s->f_polish : &s->f_best;
    s->n_iter += s->st.n_iter;
    if (s->r != HFX_MIN_BAD_START && s->st.f_best < *target) {
        *target = s->st.f_best;
        for (size_t j = 0; j < np; ++j) {
            s->best[j] = s->fixed[j] ? s->x0[j] : s->st.x_best[j] * s->scale[j];
        }
    }
    switch (s->stage) {
    case HFX_SLOT_MAIN:
        s->req     = s->r;
        s->f_first = s->f_best;
        for (size_t j = 0; j < np; ++j) {
            s->first[j] = s->best[j];
        }
        if (s->r == HFX_MIN_BAD_START) {
            hfx__slot_finish(s);
        } else if (s->explore != HFX_EXPLORE_NONE &&
                   (m->n_explore > 0 || m->n_nonmonotone > 0 || hfx__slot_has_tie(s))) {
            s->round   = 0;
            s->j       = 0;
            s->f_round = s->f_best;
            hfx__slot_explore_next(s);
        } else {
            hfx__slot_after_explore(s);
        }
        return;
    case HFX_SLOT_EXPLORE:
        if (s->f_best < s->f_before) {
            s->req = s->r;
        }
        hfx__slot_explore_next(s);
        return;
    default: /* HFX_SLOT_POLISH */
        for (size_t j = 0; j < np; ++j) {
            s->side[j] = 0;
        }
        if (s->r == HFX_MIN_CONVERGED && s->f_polish <= s->f_before + 1e-12 * fmax(1.0, fabs(s->f_before))) {
            s->f_best = s->f_polish;
            s->req    = s->r;
        } else {
            for (size_t j = 0; j < np; ++j) {
                s->best[j] = s->saved[j]; /* keep the better point */
            }
        }
        hfx__slot_finish(s);
        return;
    }
}

//
// The public steps
//

/* Starts the fit described by s->data, data_const, x0, fixed, explore, max_iter: the box pins fixed
 * parameters at x0 (so a value outside the model's bounds, mu = 15 with mu in [0, 10], is honoured
 * rather than clipped). Afterwards the slot is in phase EVAL. */
HFX_HD static inline void hfx__slot_start(struct hfx__fit_slot * s) {
    const struct hfx_model * m  = s->m;
    size_t                   np = m->n_pars;
    for (size_t i = 0; i < np; ++i) {
        s->lower[i] = s->fixed[i] ? s->x0[i] : m->lower[i];
        s->upper[i] = s->fixed[i] ? s->x0[i] : m->upper[i];
        s->best[i]  = s->x0[i];
        s->side[i]  = 0;
    }
    s->f_best  = INFINITY;
    s->f_first = INFINITY;
    s->n_iter  = 0;
    s->n_eval = 0;
    s->req    = HFX_MIN_EVAL;
    s->stage  = HFX_SLOT_MAIN;
    hfx__slot_descend(s, s->x0);
}

/* Feeds twice_nll f and, if want_grad, its gradient g ([n_pars]; the slot scales it in place) at
 * s->x. Afterwards the slot is in phase EVAL again or DONE. */
HFX_HD static inline void hfx__slot_feed(struct hfx__fit_slot * s, double f, double * g) {
    s->n_eval++;
    if (s->stage == HFX_SLOT_PROBE_TIE) { /* refit from the probe where it is below the tied point */
        if (f < s->f_best - 1e-12 * fmax(1.0, fabs(s->f_best))) {
            s->stage    = HFX_SLOT_EXPLORE;
            s->f_before = s->f_best;
            hfx__slot_descend(s, s->x);
        } else {
            hfx__slot_explore_next(s);
        }
        return;
    }
    if (s->stage == HFX_SLOT_PROBE || s->stage == HFX_SLOT_PROBE_FLAT) {
        /* a probe: refit from the other side if it looks promising, else go on exploring */
        bool   flat = s->stage == HFX_SLOT_PROBE_FLAT;
        size_t j    = s->j - 1;
        bool   refit = flat ? 2.0 * (f - s->f_best) / (HFX_SLOT_FLAT_STEP * HFX_SLOT_FLAT_STEP) < HFX_SLOT_FLAT_CURVATURE
                            : f < s->f_best + HFX_SLOT_PROBE_MARGIN;
        if (!refit) {
            hfx__slot_explore_next(s);
            return;
        }
        if (flat) { /* the refit starts where the other restarts do, 0.2 away */
            s->x[j] = fmin(fmax(s->x[j] < 0 ? -0.2 : 0.2, s->lower[j]), s->upper[j]);
        }
        s->stage    = HFX_SLOT_EXPLORE;
        s->f_before = s->f_best;
        hfx__slot_descend(s, s->x);
        return;
    }
    size_t np = s->m->n_pars;
    for (size_t j = 0; j < np; ++j) {
        g[j] *= s->scale[j];
    }
    s->r = hfx__min_step(&s->st, f, g);
    if (s->r == HFX_MIN_EVAL) {
        hfx__slot_make_point(s);
        return;
    }
    hfx__slot_descent_done(s);
}

/* Describes job j in the slot (then hfx__slot_start runs it). */
HFX_HD static inline void hfx__slot_describe(struct hfx__fit_slot * s, const struct hfx__fit_job * j,
                                             struct hfx__fit_settings how) {
    const struct hfx_model * m = s->m;
    for (size_t i = 0; i < m->n_pars; ++i) {
        s->x0[i]    = j->start ? j->start[i] : m->init[i];
        s->fixed[i] = j->fixed ? j->fixed[i] : m->fixed[i];
    }
    if (j->poi_fixed) {
        s->fixed[m->poi] = true;
        s->x0[m->poi]    = j->poi_value;
    }
    s->data       = j->data;
    s->data_const = j->data_const;
    s->explore    = how.explore;
    s->max_iter   = how.max_iter;
}

/* The first descent's minimum and, where the fit's lies more than HFX_MULTIMODAL_DELTA below it,
 * the (at most 3) parameters that differ most between the two. */
HFX_HD static inline void hfx__slot_descent(const struct hfx__fit_slot * s, struct hfx__fit_descent * d) {
    d->twice_nll = s->f_first;
    d->n_moved   = 0;
    if (!(s->f_first - s->f_best > HFX_MULTIMODAL_DELTA)) {
        return;
    }
    for (size_t i = 0; i < s->m->n_pars; ++i) {
        double diff = fabs(s->best[i] - s->first[i]);
        int    n    = d->n_moved;
        if (!(diff > 0) || (n == 3 && diff <= fabs(d->at_best[2] - d->at_descent[2]))) {
            continue;
        }
        /* insert into the list, largest first; a full list drops its last entry */
        int k = n < 3 ? n : 2;
        d->n_moved = n < 3 ? n + 1 : 3;
        while (k > 0 && diff > fabs(d->at_best[k - 1] - d->at_descent[k - 1])) {
            d->moved[k]      = d->moved[k - 1];
            d->at_descent[k] = d->at_descent[k - 1];
            d->at_best[k]    = d->at_best[k - 1];
            --k;
        }
        d->moved[k]      = (int) i;
        d->at_descent[k] = s->first[i];
        d->at_best[k]    = s->best[i];
    }
}

/* Copies a DONE slot's result into job j. */
HFX_HD static inline void hfx__slot_result(const struct hfx__fit_slot * s, struct hfx__fit_job * j) {
    j->twice_nll = s->f_best;
    j->status    = s->status;
    j->n_eval    = s->n_eval;
    hfx__slot_descent(s, &j->descent);
    if (j->pars_out) {
        for (size_t i = 0; i < s->m->n_pars; ++i) {
            j->pars_out[i] = s->best[i];
        }
    }
}

//
// A fit run to the end in place
//

/* Starts the described fit and evaluates every point it asks for with the reference kernel, until
 * it is DONE: what a backend runs when a thread of its own (or a device thread) owns the fit, with
 * no round trip per iteration. Same code, same numbers as the batch driver's rounds. */
HFX_HD static inline void hfx__slot_run(struct hfx__fit_slot * s) {
    hfx__slot_start(s);
    while (s->phase == HFX_SLOT_EVAL) {
        double f = hfx__kernel_twice_nll(s->m, s->x, s->data, s->data_const, s->want_grad ? s->grad : NULL,
                                         s->scratch);
        hfx__slot_feed(s, f, s->grad);
    }
}

#endif /* HFX_FIT_SLOT_H */
