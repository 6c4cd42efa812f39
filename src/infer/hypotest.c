/*
 * hypotest.c -- the asymptotic hypotest, as pyhf 0.7.6's hypotest with the AsymptoticCalculator
 * (pyhf/infer/__init__.py, calculators.py): the fits it needs, kept in a cache that upper limits
 * (upper-limit.c) share between the tested values of mu. The test statistics and the asymptotic
 * formulas are stats.c's; the toy-based calculator is toys.c.
 *
 * A hypotest at mu needs, on the observed and on the Asimov data, a fit with the POI held at mu and
 * a free fit. The free fits and the Asimov data do not depend on mu, so struct hypo_cache keeps them:
 * an upper-limit scan then costs two fits per tested mu instead of pyhf's five.
 *
 * Every fit starts from the model's init, as pyhf's do, so that the first descent of each is the one
 * pyhf and ROOT make: with --explore none that is the whole fit, and by default the engine warns
 * where the search beyond it finds a lower minimum (hfx_engine_warning). Starting a fit from another
 * fit's minimum would save iterations but lose that reference.
 *
 * Two of pyhf's five fits have answers known without a fit, and are not run (no fit repeated):
 * - The Asimov generator (the POI held at 0, 1 for q0) when the free fit's POI already sits at that
 *   value (typically mu_hat at its lower bound 0): the free minimum is then a point of the held
 *   problem, whose minimum cannot lie below the free one, so the two fits coincide.
 * - The free fit to the Asimov data, whose minimum is the generator's point itself whenever that
 *   point lies in the free fit's box: there every expected count equals its Asimov count and every
 *   auxiliary expectation its Asimov auxiliary datum, so each Poisson and constraint term of
 *   twice_nll is at its own minimum. One evaluation gives its value; a numerical fit (pyhf's) can
 *   only land on it or above it.
 *
 * Batches: fits whose starts are known together run as one batch of jobs (fit/engine.h): a
 * hypotest's fits in three batches at most, the conditional fits of every point of a grid in one.
 * Those three stages are one job state machine (group.c, hfx__hypotest_stages), the same for one
 * model on its engine (hfx_hypotest, upper limits' shared fits) and for many models of a model
 * group (hfx scan, docs/batching.md).
 */
#include "infer/infer.h"

#include "infer/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum hfx_status hfx__hypotest_need_poi(hfx_model_t m, struct hfx_error * err) {
    return hfx_model_poi(m) >= 0 ? HFX_OK
                       : hfx__error(err, HFX_ERR_ARG, NULL, "a hypothesis test needs a POI; the model was built without one");
}

/* The conditional fits at mu to the data and to the Asimov data. */
void hfx__hypotest_qs_jobs(const struct hypo_cache * c, double mu, struct hfx__fit_job * obs,
                           struct hfx__fit_job * asimov) {
    double mu_t = c->kind == HFX_TESTSTAT_Q0 ? 0.0 : mu;
    *obs    = (struct hfx__fit_job){.data       = c->data,
                                    .data_const = c->data_const,
                                    .poi_fixed  = true,
                                    .poi_value  = mu_t,
                                    .role       = HFX_FIT_ROLE_FIXED_POI};
    *asimov = (struct hfx__fit_job){.data       = c->data_asimov,
                                    .data_const = c->asimov_const,
                                    .poi_fixed  = true,
                                    .poi_value  = mu_t,
                                    .role       = HFX_FIT_ROLE_FIXED_POI,
                                    .asimov     = true};
}


/* Whether the Asimov generator's point lies in the free fit's box (the model's bounds; fixed
 * parameters are held at the same values in both fits), so that it is the free Asimov minimum. */
bool hfx__gen_in_box(hfx_model_t m, const double * gen) {
    const bool *   fixed = hfx_model_fixed(m);
    const double * lower = hfx_model_lower(m), * upper = hfx_model_upper(m);
    for (size_t i = 0; i < hfx_model_n_pars(m); ++i) {
        if (!fixed[i] && !(gen[i] >= lower[i] && gen[i] <= upper[i])) {
            return false;
        }
    }
    return true;
}

enum hfx_status hfx__hypo_cache_init(struct hypo_cache * c, hfx_engine_t e, const double * data,
                                     enum hfx_teststat kind, struct hfx_error * err) {
    return hfx__hypotest_stages(e, data, kind, NULL, c, NULL, err);
}

/* The asymptotic result from the conditional fits at mu to the data and to the Asimov data (qs_jobs):
 * q and q_A, then what pyhf's hypotest returns, CLs (CLsb for q0) and its band. */
void hfx__asymptotic_result(const struct hypo_cache * c, const struct hfx__fit_job * obs,
                            const struct hfx__fit_job * asimov, struct hfx_hypotest_result * r) {
    double q  = hfx__teststat_from_fits(c->kind, obs->poi_value, obs->twice_nll, c->free_twice_nll, c->mu_hat);
    double qa = hfx__teststat_from_fits(c->kind, asimov->poi_value, asimov->twice_nll, c->asimov_free_twice_nll,
                                        c->asimov_mu_hat);
    double sqrtqa = sqrt(qa);
    double ts     = hfx__asymptotic_teststat((int) c->kind, q, qa);
    double clsb, clb, cls;
    hfx__asymptotic_pvalues((int) c->kind, ts, sqrtqa, &clsb, &clb, &cls);
    memset(r, 0, sizeof *r);
    r->clsb_obs = clsb;
    r->clb_obs  = clb;
    r->cls_obs  = c->kind == HFX_TESTSTAT_Q0 ? clsb : cls;
    r->teststat = q;
    r->mu_hat   = c->mu_hat;
    r->status   = hfx_fit_status_worse(c->status, hfx_fit_status_worse(obs->status, asimov->status));
    hfx__asymptotic_expected((int) c->kind, sqrtqa, r->cls_exp);
}

enum hfx_status hfx__hypo_cache_test(struct hypo_cache * c, double mu, struct hfx_hypotest_result * r,
                                     struct hfx_error * err) {
    return hfx__hypo_cache_test_batch(c, &mu, 1, r, err);
}

enum hfx_status hfx__hypo_cache_test_batch(struct hypo_cache * c, const double * mu, size_t n,
                                           struct hfx_hypotest_result * r, struct hfx_error * err) {
    struct hfx__fit_job  one[2];
    struct hfx__fit_job * jobs = n == 1 ? one : hfx__malloc(2 * n * sizeof *jobs);
    if (!jobs) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; ++i) {
        hfx__hypotest_qs_jobs(c, mu[i], &jobs[2 * i], &jobs[2 * i + 1]);
    }
    enum hfx_status st = hfx__fit_jobs(c->e, jobs, 2 * n, true, err);
    for (size_t i = 0; i < n && st == HFX_OK; ++i) {
        hfx__asymptotic_result(c, &jobs[2 * i], &jobs[2 * i + 1], &r[i]);
    }
    if (jobs != one) {
        free(jobs);
    }
    return st;
}

static enum hfx_status check_hypotest_options(hfx_engine_t e, const struct hfx_hypotest_options * o,
                                              struct hfx_error * err) {
    if (!e || !o) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "NULL argument");
    }
    return hfx__hypotest_check(hfx_engine_model(e), o, err);
}

enum hfx_status hfx__hypotest_check(hfx_model_t m, const struct hfx_hypotest_options * o, struct hfx_error * err) {
    if (!isfinite(o->poi_test)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the tested POI value must be finite");
    }
    long           poi   = hfx_model_poi(m);
    const double * lower = hfx_model_lower(m), * upper = hfx_model_upper(m);
    if (poi >= 0 && !(o->poi_test >= lower[poi] && o->poi_test <= upper[poi])) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the tested POI value %g lies outside the bounds [%g, %g] of the POI '%s'",
                          o->poi_test, lower[poi], upper[poi], hfx_model_par_name(m, (size_t) poi));
    }
    if ((unsigned) o->teststat > HFX_TESTSTAT_TMUTILDE) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "unknown test statistic");
    }
    if (o->calctype == HFX_CALC_ASYMPTOTICS &&
        (o->teststat == HFX_TESTSTAT_TMU || o->teststat == HFX_TESTSTAT_TMUTILDE)) {
        /* pyhf 0.7.6 has no asymptotic distribution for the two-sided statistics either */
        return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL,
                          "the asymptotic calculator supports qtilde, q and q0; use --calctype toybased for tmu and "
                          "tmutilde");
    }
    return HFX_OK;
}

enum hfx_status hfx_hypotest(hfx_engine_t e, const struct hfx_hypotest_options * opts,
                             struct hfx_hypotest_result * result, struct hfx_error * err) {
    enum hfx_status st = check_hypotest_options(e, opts, err);
    if (st != HFX_OK || !result) {
        return st != HFX_OK ? st : hfx__error(err, HFX_ERR_ARG, NULL, "NULL result");
    }
    if (opts->calctype == HFX_CALC_TOYBASED) {
        return hfx__hypotest_toys(e, opts, result, err);
    }
    hfx__engine_warnings_reset(e);
    /* the free and the conditional fit to the data, the Asimov generator where it is not the free
     * fit, the conditional fit to the Asimov data (its free fit is known: the file comment) */
    struct hypo_cache c;
    double            mu = opts->poi_test;
    st                   = hfx__hypotest_stages(e, opts->data, opts->teststat, &mu, &c, result, err);
    hfx__hypo_cache_free(&c);
    return st;
}
