/*
 * fit.c -- engines and fits: drives the reverse-communication minimizer with backend evaluations.
 *
 * The minimizer asks for points; the engine evaluates them on its backend; nothing is allocated
 * between hfx_engine_create and hfx_engine_free. A fixed parameter is held by giving it equal lower
 * and upper bounds at its value, so that a value outside the model's bounds (mu = 15 with mu in
 * [0, 10]) is honoured rather than clipped.
 */
#include "core/clock.h"
#include "fit/engine.h"

#include <float.h>
#include <math.h>
#include <string.h>

static const struct hfx_min_options fit_defaults = {
    .max_iter = 2000,
    .gtol     = 1e-12,
    .ftol     = 0.0,
};

const char * hfx_fit_status_str(enum hfx_fit_status s) {
    switch (s) {
    case HFX_FIT_CONVERGED:
        return "converged";
    case HFX_FIT_MAX_ITER:
        return "max-iterations";
    case HFX_FIT_LINE_SEARCH:
        return "stalled";
    case HFX_FIT_FAILED:
        return "failed";
    }
    return "unknown";
}

void hfx_engine_free(hfx_engine_t e) {
    if (!e) {
        return;
    }
    if (e->be && e->plan) {
        e->be->plan_free(e->plan);
    }
    free(e->min_ws);
    free(e->hess_ws);
    free(e->x0);
    free(e->lower);
    free(e->upper);
    free(e->grad);
    free(e->best);
    free(e->unc);
    free(e->trial);
    free(e->scale);
    free(e->z);
    free(e->zlower);
    free(e->zupper);
    free(e->side);
    free(e->saved);
    free(e->cov);
    free(e->fixed);
    free(e->data_asimov);
    free(e->data_toy);
    free(e->pars_tmp);
    free(e->pars_b);
    free(e->pars_sb);
    free(e->pars_free);
    free(e->pars_gen);
    free(e->eval_scratch);
    free(e);
}

enum hfx_status hfx_engine_create(hfx_model_t m, const struct hfx_engine_options * opts, hfx_engine_t * out,
                                  struct hfx_error * err) {
    if (!m || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_engine_create: NULL argument");
    }
    *out                         = NULL;
    const char *                 name = opts && opts->backend ? opts->backend : "cpu-ref";
    const struct hfx_backend_i * be   = hfx__backend_find(name);
    if (!be) {
        char   list[256] = "";
        size_t n         = 0;
        for (size_t i = 0; i < hfx__backend_count() && n < sizeof list; ++i) {
            int k = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", hfx__backend_get(i)->name);
            n += k > 0 ? (size_t) k : 0;
        }
        return hfx__error(err, HFX_ERR_NOT_FOUND, NULL, "unknown backend '%s' (this build has: %s)", name, list);
    }
    const char * why = NULL;
    if (be->available && !be->available(&why)) {
        return hfx__error(err, HFX_ERR_DEVICE, NULL, "backend '%s' is not available here: %s", name,
                          why ? why : "no device");
    }
    struct hfx_engine * e = calloc(1, sizeof *e);
    if (!e) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    size_t np = m->n_pars ? m->n_pars : 1;
    e->m      = m;
    e->be     = be;
    e->n_data = m->n_bins + m->n_aux;
    e->explore = opts ? opts->explore : HFX_EXPLORE_DEFAULT;
    e->min_ws       = aligned_alloc(16, (hfx__min_workspace_size(np) + 15) / 16 * 16);
    e->hess_ws      = aligned_alloc(16, (hfx__hess_workspace_size(np) + 15) / 16 * 16);
    e->x0           = calloc(np, sizeof(double));
    e->lower        = calloc(np, sizeof(double));
    e->upper        = calloc(np, sizeof(double));
    e->grad         = calloc(np, sizeof(double));
    e->best         = calloc(np, sizeof(double));
    e->unc          = calloc(np, sizeof(double));
    e->trial        = calloc(np, sizeof(double));
    e->scale        = calloc(np, sizeof(double));
    e->z            = calloc(np, sizeof(double));
    e->zlower       = calloc(np, sizeof(double));
    e->zupper       = calloc(np, sizeof(double));
    e->side         = calloc(np, sizeof(signed char));
    e->saved        = calloc(np, sizeof(double));
    e->cov          = calloc(np * np, sizeof(double));
    e->fixed        = calloc(np, sizeof(bool));
    e->data_asimov  = calloc(e->n_data + 1, sizeof(double));
    e->data_toy     = calloc(e->n_data + 1, sizeof(double));
    e->pars_tmp     = calloc(np, sizeof(double));
    e->pars_b       = calloc(np, sizeof(double));
    e->pars_sb      = calloc(np, sizeof(double));
    e->pars_free    = calloc(np, sizeof(double));
    e->pars_gen     = calloc(np, sizeof(double));
    e->eval_scratch = calloc(hfx__eval_scratch_size(m), sizeof(double));
    if (!e->min_ws || !e->hess_ws || !e->x0 || !e->lower || !e->upper || !e->grad || !e->best || !e->unc || !e->trial || !e->scale || !e->z || !e->zlower || !e->zupper || !e->side || !e->saved ||
        !e->cov || !e->fixed || !e->data_asimov || !e->data_toy || !e->pars_tmp || !e->pars_b || !e->pars_sb || !e->pars_free || !e->pars_gen ||
        !e->eval_scratch) {
        hfx_engine_free(e);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    enum hfx_status st = be->plan_create(m, opts, &e->plan, err);
    if (st != HFX_OK) {
        e->plan = NULL;
        hfx_engine_free(e);
        return st;
    }
    *out = e;
    return HFX_OK;
}

hfx_model_t  hfx_engine_model(hfx_engine_t e) { return (hfx_model_t) e->m; }
const char * hfx_engine_backend_name(hfx_engine_t e) { return e->be->name; }

enum hfx_status hfx_twice_nll(hfx_engine_t e, const double * pars, const double * data, double * twice_nll,
                              double * grad, struct hfx_error * err) {
    if (!e || !pars || !twice_nll) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_twice_nll: NULL argument");
    }
    return hfx_twice_nll_batch(e, 1, pars, data, twice_nll, grad, err);
}

enum hfx_status hfx_twice_nll_batch(hfx_engine_t e, size_t n, const double * pars, const double * data,
                                    double * out, double * grad, struct hfx_error * err) {
    if (!e || (n > 0 && (!pars || !out))) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_twice_nll_batch: NULL argument");
    }
    if (n == 0) {
        return HFX_OK;
    }
    const double * d = data ? data : e->m->observed;
    double         c = hfx__data_constant(e->m, d);
    return hfx__engine_eval(e, n, pars, d, 0, &c, out, grad, err);
}

void hfx_engine_stats(hfx_engine_t e, struct hfx_engine_stats * out) { *out = e->stats; }
void hfx_engine_stats_reset(hfx_engine_t e) { memset(&e->stats, 0, sizeof e->stats); }

static enum hfx_fit_status fit_status_from(enum hfx_min_request r) {
    switch (r) {
    case HFX_MIN_CONVERGED:
        return HFX_FIT_CONVERGED;
    case HFX_MIN_MAX_ITER:
        return HFX_FIT_MAX_ITER;
    case HFX_MIN_STALLED:
        return HFX_FIT_LINE_SEARCH;
    default:
        return HFX_FIT_FAILED;
    }
}

static enum hfx_status compute_uncertainties(hfx_engine_t e, const double * data, double data_const,
                                             struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   np = m->n_pars;
    struct hfx_hess_state    hs;
    hfx__hess_init(&hs, e->hess_ws, np, e->best, e->lower, e->upper, e->fixed);
    bool more = true;
    while (more) {
        double          f;
        enum hfx_status st = hfx__engine_eval(e, 1, hs.x, data, 0, &data_const, &f, e->grad, err);
        if (st != HFX_OK) {
            return st;
        }
        more = hfx__hess_step(&hs, e->grad);
    }
    hfx__hess_inverse(&hs, e->cov);
    /* cov is the inverse Hessian of twice_nll; the covariance of the NLL is twice that */
    for (size_t i = 0; i < np; ++i) {
        double v  = 2.0 * e->cov[i * np + i];
        e->unc[i] = e->fixed[i] || !(v > 0) ? 0.0 : sqrt(v);
    }
    return HFX_OK;
}

/* One minimisation from start; keeps the result in e->best if it beats *f_best.
 *
 * The minimizer works on z = x / scale, where scale_j = 1 / sqrt(F_jj) and F is the Fisher
 * information at the start point: gamma factors with 1% constraints and nuisance parameters with
 * unit constraints then look alike to it, and BFGS starts from a sensible diagonal metric instead of
 * the identity. Its stopping rule |scale_j g_j| <= gtol max(1, |f|) is then in natural units too:
 * (scale_j g_j)^2 / 2 is the decrease of twice_nll a Newton step along j would still bring. */
static enum hfx_status minimize_from(hfx_engine_t e, const double * start, const double * data, double data_const,
                                     double * f_best, struct hfx_min_state * st, enum hfx_min_request * req,
                                     struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   np = m->n_pars;
    for (size_t j = 0; j < np; ++j) {
        e->trial[j] = fmin(fmax(start[j], e->lower[j]), e->upper[j]);
    }
    hfx__fisher_diag(m, e->trial, e->scale, e->eval_scratch);
    for (size_t j = 0; j < np; ++j) {
        double fjj  = e->scale[j];
        e->scale[j] = fjj > 0 && isfinite(fjj) ? 1.0 / sqrt(fjj) : 1.0;
        /* a side lock turns the kink at 0 into a bound (see polish_kinks) */
        double lo    = e->side[j] > 0 ? fmax(e->lower[j], 0.0) : e->lower[j];
        double hi    = e->side[j] < 0 ? fmin(e->upper[j], 0.0) : e->upper[j];
        e->z[j]      = fmin(fmax(e->trial[j], lo), hi) / e->scale[j];
        e->zlower[j] = lo / e->scale[j];
        e->zupper[j] = hi / e->scale[j];
    }
    hfx__min_init(st, e->min_ws, np, e->z, e->zlower, e->zupper, e->fixed, &fit_defaults);
    *req = HFX_MIN_EVAL;
    while (*req == HFX_MIN_EVAL) {
        for (size_t j = 0; j < np; ++j) {
            e->trial[j] = e->fixed[j] ? e->x0[j] : st->x[j] * e->scale[j];
            if (e->side[j] > 0 && e->trial[j] == 0.0) {
                /* at the kink the rate takes the alpha < 0 branch (pyhf's convention); a fit held on
                 * the positive side needs that side's slope there */
                e->trial[j] = DBL_MIN;
            }
        }
        double          f;
        enum hfx_status s = hfx__engine_eval(e, 1, e->trial, data, 0, &data_const, &f, e->grad, err);
        if (s != HFX_OK) {
            return s;
        }
        for (size_t j = 0; j < np; ++j) {
            e->grad[j] *= e->scale[j];
        }
        *req = hfx__min_step(st, f, e->grad);
    }
    e->fit_iters += st->n_iter;
    if (*req != HFX_MIN_BAD_START && st->f_best < *f_best) {
        *f_best = st->f_best;
        for (size_t j = 0; j < np; ++j) {
            e->best[j] = e->fixed[j] ? e->x0[j] : st->x_best[j] * e->scale[j];
        }
    }
    return HFX_OK;
}

/* How far above the best minimum a probe on the other side of a non-monotone parameter may be and
 * still be worth a refit: the refit lowers it by letting the other parameters follow. */
static const double PROBE_MARGIN = 0.01;

/* Parameters the model marks for exploration (model.h: a kink at 0 with normsys code1 or histosys
 * code0, or no slope at 0 at all) can have a local minimum on each side of 0, and which one a descent
 * method reaches depends on its first steps (pyhf's SLSQP and hfx's BFGS can differ; a parameter
 * with zero slope is never moved at all). So, for each such free parameter, restart from the best
 * point with it moved to the other side (or off 0), and keep any lower minimum; repeat while that
 * helps (at most 3 rounds). A flat parameter that has left 0 needs no more help. Parameters with
 * non-monotone interpolations are explored too: by default only where a one-evaluation probe on the
 * other side looks promising, in thorough fits always. */
static enum hfx_status explore_sides(hfx_engine_t e, const double * data, double data_const, double * f_best,
                                     struct hfx_min_state * st, enum hfx_min_request * req, struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   np = m->n_pars;
    for (int round = 0; round < 3; ++round) {
        double f_round = *f_best;
        for (size_t j = 0; j < np; ++j) {
            bool basic = m->explore[j] && !(m->flat_at_init[j] && e->best[j] != 0.0);
            if (!(basic || m->nonmonotone[j]) || e->fixed[j]) {
                continue;
            }
            memcpy(e->trial, e->best, np * sizeof(double));
            double a     = e->best[j];
            e->trial[j]  = fabs(a) >= 0.05 ? -a : (a >= 0 ? -0.2 : 0.2);
            e->trial[j]  = fmin(fmax(e->trial[j], e->lower[j]), e->upper[j]);
            if (!basic && e->explore != HFX_EXPLORE_THOROUGH) {
                /* a non-monotone interpolation: refit from the other side only if the probe there,
                 * the other parameters unchanged, is already within PROBE_MARGIN of the best */
                double          f_probe;
                enum hfx_status s = hfx__engine_eval(e, 1, e->trial, data, 0, &data_const, &f_probe, NULL, err);
                if (s != HFX_OK) {
                    return s;
                }
                if (!(f_probe < *f_best + PROBE_MARGIN)) {
                    continue;
                }
            }
            double               before = *f_best;
            enum hfx_min_request r;
            enum hfx_status      s = minimize_from(e, e->trial, data, data_const, f_best, st, &r, err);
            if (s != HFX_OK) {
                return s;
            }
            if (*f_best < before) {
                *req = r;
            }
        }
        if (!(*f_best < f_round - 1e-9 * fmax(1.0, fabs(f_round)))) {
            break;
        }
    }
    return HFX_OK;
}

/* A minimum exactly at the kink of a code1 normsys or code0 histosys is a point where the gradient
 * jumps, so BFGS circles it without meeting its gradient test and ends on the iteration limit. When
 * that happens with kinked parameters within 1e-4 of 0, refit from the best point with each of them
 * locked to the side of 0 it is on: 0 is then a bound, which the active-set method reaches exactly,
 * and the fit converges. The result is kept if it is no higher than the best (within rounding). */
static enum hfx_status polish_kinks(hfx_engine_t e, const double * data, double data_const, double * f_best,
                                    struct hfx_min_state * st, enum hfx_min_request * req, struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   np = m->n_pars;
    bool                     any = false;
    for (size_t j = 0; j < np; ++j) {
        bool kinked = m->explore[j] && !m->flat_at_init[j] && !e->fixed[j];
        e->side[j]  = kinked && fabs(e->best[j]) < 1e-4 ? (e->best[j] < 0 ? -1 : 1) : 0;
        any         = any || e->side[j] != 0;
    }
    if (any) {
        memcpy(e->trial, e->best, np * sizeof(double));
        memcpy(e->saved, e->best, np * sizeof(double));
        double               before = *f_best, f_polish = INFINITY;
        enum hfx_min_request r;
        enum hfx_status      s = minimize_from(e, e->trial, data, data_const, &f_polish, st, &r, err);
        if (s != HFX_OK) {
            return s;
        }
        memset(e->side, 0, np);
        if (r == HFX_MIN_CONVERGED && f_polish <= before + 1e-12 * fmax(1.0, fabs(before))) {
            *f_best = f_polish;
            *req    = r;
        } else {
            memcpy(e->best, e->saved, np * sizeof(double)); /* keep the better point */
        }
    }
    return HFX_OK;
}

enum hfx_status hfx__fit_run(hfx_engine_t e, const double * data, double data_const, bool uncertainties,
                             struct hfx_fit_result * result, struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   np = m->n_pars;
    for (size_t i = 0; i < np; ++i) {
        e->lower[i] = e->fixed[i] ? e->x0[i] : m->lower[i];
        e->upper[i] = e->fixed[i] ? e->x0[i] : m->upper[i];
    }
    struct hfx_min_state st;
    enum hfx_min_request req;
    double               f_best = INFINITY;
    uint64_t             evals_before = e->stats.n_points;
    double               t_start      = hfx__now();
    e->stats.n_fits += 1;
    e->fit_iters = 0;
    enum hfx_status      s      = minimize_from(e, e->x0, data, data_const, &f_best, &st, &req, err);
    if (s != HFX_OK) {
        return s;
    }
    if (req == HFX_MIN_BAD_START) {
        return hfx__error(err, HFX_ERR_FIT, NULL,
                          "the likelihood is not finite at the start point (a negative or zero expected rate in a "
                          "bin with data?)");
    }
    if (e->explore != HFX_EXPLORE_NONE && (m->n_explore > 0 || m->n_nonmonotone > 0)) {
        s = explore_sides(e, data, data_const, &f_best, &st, &req, err);
        if (s != HFX_OK) {
            return s;
        }
    }
    if (req != HFX_MIN_CONVERGED && m->n_explore > 0) {
        s = polish_kinks(e, data, data_const, &f_best, &st, &req, err);
        if (s != HFX_OK) {
            return s;
        }
    }
    uint64_t evals_after_descent = e->stats.n_points;
    memset(e->unc, 0, np * sizeof(double));
    if (uncertainties) {
        s = compute_uncertainties(e, data, data_const, err);
        if (s != HFX_OK) {
            return s;
        }
    }
    result->pars          = e->best;
    result->uncertainties = uncertainties ? e->unc : NULL;
    result->twice_nll     = f_best;
    result->status        = fit_status_from(req);
    e->stats.fit_seconds += hfx__now() - t_start;
    result->n_iter        = e->fit_iters;
    result->n_eval        = (int) (evals_after_descent - evals_before);
    return HFX_OK;
}

enum hfx_status hfx_fit(hfx_engine_t e, const struct hfx_fit_options * opts, struct hfx_fit_result * result,
                        struct hfx_error * err) {
    if (!e || !result) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_fit: NULL argument");
    }
    static const struct hfx_fit_options none = {0};
    const struct hfx_fit_options *       o    = opts ? opts : &none;
    const struct hfx_model *             m    = e->m;
    size_t                               np   = m->n_pars;
    const double *                       data = o->data ? o->data : m->observed;
    memcpy(e->x0, o->init ? o->init : m->init, np * sizeof(double));
    memcpy(e->fixed, o->fixed ? o->fixed : m->fixed, np * sizeof(bool));
    if (o->fix_poi) {
        if (m->poi < 0) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "cannot fix the POI: the model has none");
        }
        if (!isfinite(o->poi_value)) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "the POI value must be finite");
        }
        e->fixed[m->poi] = true;
        e->x0[m->poi]    = o->poi_value;
    }
    for (size_t i = 0; i < np; ++i) {
        if (!isfinite(e->x0[i])) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "start value of parameter '%s' is not finite", m->par_names[i]);
        }
    }
    return hfx__fit_run(e, data, hfx__data_constant(m, data), o->uncertainties, result, err);
}

enum hfx_status hfx__fit_simple(hfx_engine_t e, const double * data, double data_const, const double * start,
                                bool poi_fixed, double poi_value, double * twice_nll, double * pars_out,
                                struct hfx_error * err) {
    const struct hfx_model * m = e->m;
    memcpy(e->x0, start ? start : m->init, m->n_pars * sizeof(double));
    memcpy(e->fixed, m->fixed, m->n_pars * sizeof(bool));
    if (poi_fixed) {
        e->fixed[m->poi] = true;
        e->x0[m->poi]    = poi_value;
    }
    struct hfx_fit_result r;
    enum hfx_status       st = hfx__fit_run(e, data, data_const, false, &r, err);
    if (st != HFX_OK) {
        return st;
    }
    *twice_nll = r.twice_nll;
    if (pars_out) {
        memcpy(pars_out, r.pars, m->n_pars * sizeof(double));
    }
    return HFX_OK;
}
