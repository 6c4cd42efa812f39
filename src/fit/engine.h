/*
 * engine.h -- a model bound to a backend, with every buffer a fit or a hypotest needs allocated up
 * front, so that the optimizer loop allocates nothing.
 */
#ifndef HFX_ENGINE_H
#define HFX_ENGINE_H

#include "backend/backend.h"
#include "fit/minimize.h"

struct hfx_engine {
    const struct hfx_model *     m;
    const struct hfx_backend_i * be;
    void *                       plan;
    size_t                       n_data;       /* n_bins + n_aux */
    enum hfx_explore             explore;

    /* fit buffers, [n_pars] unless noted */
    void *   min_ws;
    void *   hess_ws;
    double * x0, * lower, * upper, * grad, * best, * unc, * trial;
    double * scale, * z, * zlower, * zupper; /* [n_pars] preconditioning: x = scale * z */
    double * saved;                          /* [n_pars] best point kept across a polish */
    signed char * side;                      /* [n_pars] kinked parameters: -1/+1 keeps the fit on that side of 0 */
    double * cov;                              /* [n_pars * n_pars] */
    bool *   fixed;

    /* inference buffers */
    double * data_asimov;                      /* [n_data] */
    double * data_toy;                         /* [n_data] */
    double * pars_tmp;                         /* [n_pars] */
    double * pars_b, * pars_sb;                /* [n_pars] fitted parameters for toys */
    double * pars_free, * pars_gen;            /* [n_pars] hypotest warm starts: free fit, Asimov generator */
    double * eval_scratch;                     /* model expected-data scratch */

    struct hfx_engine_stats stats;
    int                     fit_iters; /* optimizer iterations of the fit under way, over all its descents */
};

/* Every evaluation goes through here, so that the work counters see it. */
static inline enum hfx_status hfx__engine_eval(hfx_engine_t e, size_t n, const double * pars, const double * data,
                                               size_t data_stride, const double * data_const, double * out,
                                               double * grad, struct hfx_error * err) {
    e->stats.n_eval_calls += 1;
    e->stats.n_points += n;
    return e->be->eval(e->plan, n, pars, data, data_stride, data_const, out, grad, err);
}

/* Runs one fit; data_const is hfx__data_constant(m, data). Internal form of hfx_fit with no copying
 * of options: fixed and x0 are taken from e->fixed and e->x0, which the caller fills. */
enum hfx_status hfx__fit_run(hfx_engine_t e, const double * data, double data_const, bool uncertainties,
                             struct hfx_fit_result * result, struct hfx_error * err);

/* Convenience for inference: best twice_nll of a fit from start (NULL: the model's init) with the
 * model's fixed set, the POI free (poi_fixed false) or held at poi_value. pars_out ([n_pars]) may be
 * NULL. */
enum hfx_status hfx__fit_simple(hfx_engine_t e, const double * data, double data_const, const double * start,
                                bool poi_fixed, double poi_value, double * twice_nll, double * pars_out,
                                struct hfx_error * err);

#endif /* HFX_ENGINE_H */
