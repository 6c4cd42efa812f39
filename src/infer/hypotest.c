/*
 * hypotest.c -- test statistics, the asymptotic calculator and upper limits, as pyhf 0.7.6 does them
 * (pyhf/infer/test_statistics.py, calculators.py, intervals/upper_limits.py).
 *
 * A hypotest at mu needs, on the observed and on the Asimov data, a fit with the POI held at mu and
 * a free fit. The free fits and the Asimov data do not depend on mu, so struct hypo_cache keeps them:
 * an upper-limit scan then costs two fits per tested mu instead of pyhf's five.
 *
 * Warm starts: pyhf starts every fit from the model's init; hfx starts the conditional fits to the
 * data from the free fit, and the fits to the Asimov data from the parameters that generated it
 * (where the free Asimov fit has its minimum, by construction). Each fit still converges to its own
 * minimum; starting near it only saves iterations (tests/c/test-fit.c checks the minima against pyhf).
 */
#include "infer/infer.h"

#include "infer/stats.h"

#include <math.h>
#include <string.h>

enum hfx_status hfx__hypo_cache_init(struct hypo_cache * c, hfx_engine_t e, const double * data,
                                     enum hfx_teststat kind, struct hfx_error * err) {
    const struct hfx_model * m = e->m;
    memset(c, 0, sizeof *c);
    if (m->poi < 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a hypothesis test needs a POI; the model was built without one");
    }
    c->e          = e;
    c->kind       = kind;
    c->data       = data ? data : m->observed;
    c->data_const = hfx__data_constant(m, c->data);

    /* unconditional fit to the data */
    enum hfx_status st =
        hfx__fit_simple(e, c->data, c->data_const, NULL, false, 0.0, &c->free_twice_nll, e->pars_free, err);
    if (st != HFX_OK) {
        return st;
    }
    c->mu_hat = e->pars_free[m->poi];

    /* Asimov data: expected data at the fit with the POI held at 0 (1 for q0) */
    double asimov_mu = kind == HFX_TESTSTAT_Q0 ? 1.0 : 0.0;
    double t;
    st = hfx__fit_simple(e, c->data, c->data_const, e->pars_free, true, asimov_mu, &t, e->pars_gen, err);
    if (st != HFX_OK) {
        return st;
    }
    hfx__expected_data(m, e->pars_gen, e->data_asimov, e->eval_scratch);
    c->asimov_const = hfx__data_constant(m, e->data_asimov);
    st = hfx__fit_simple(e, e->data_asimov, c->asimov_const, e->pars_gen, false, 0.0, &c->asimov_free_twice_nll,
                         e->pars_tmp, err);
    if (st != HFX_OK) {
        return st;
    }
    c->asimov_mu_hat = e->pars_tmp[m->poi];
    return HFX_OK;
}

/* pyhf's test statistic from the two fits: tmu = max(T(mu fixed) - T(free), 0); q and q~ are 0
 * when mu_hat > mu; q0 is 0 when mu_hat < 0. */
double hfx__teststat_from_fits(enum hfx_teststat kind, double mu, double t_fixed, double t_free, double mu_hat) {
    double tmu = t_fixed - t_free;
    if (!(tmu > 0)) {
        tmu = 0.0;
    }
    switch (kind) {
    case HFX_TESTSTAT_Q:
    case HFX_TESTSTAT_QTILDE:
        return mu_hat > mu ? 0.0 : tmu;
    case HFX_TESTSTAT_Q0:
        return mu_hat < 0 ? 0.0 : tmu;
    default:
        return tmu;
    }
}

enum hfx_status hfx__hypo_cache_qs(struct hypo_cache * c, double mu, double * q, double * q_asimov,
                                   struct hfx_error * err) {
    hfx_engine_t e   = c->e;
    double       mu_t = c->kind == HFX_TESTSTAT_Q0 ? 0.0 : mu;
    double       t_fixed, t_fixed_a;
    enum hfx_status st = hfx__fit_simple(e, c->data, c->data_const, e->pars_free, true, mu_t, &t_fixed, NULL, err);
    if (st != HFX_OK) {
        return st;
    }
    st = hfx__fit_simple(e, e->data_asimov, c->asimov_const, e->pars_gen, true, mu_t, &t_fixed_a, NULL, err);
    if (st != HFX_OK) {
        return st;
    }
    *q        = hfx__teststat_from_fits(c->kind, mu_t, t_fixed, c->free_twice_nll, c->mu_hat);
    *q_asimov = hfx__teststat_from_fits(c->kind, mu_t, t_fixed_a, c->asimov_free_twice_nll, c->asimov_mu_hat);
    return HFX_OK;
}

/* CLs values from q and q_A, filling what pyhf's hypotest returns: CLs (CLsb for q0). */
static void asymptotic_result(enum hfx_teststat kind, double q, double qa, struct hfx_hypotest_result * r) {
    double sqrtqa = sqrt(qa);
    double ts     = hfx__asymptotic_teststat((int) kind, q, qa);
    double clsb, clb, cls;
    hfx__asymptotic_pvalues((int) kind, ts, sqrtqa, &clsb, &clb, &cls);
    r->clsb_obs = clsb;
    r->clb_obs  = clb;
    r->cls_obs  = kind == HFX_TESTSTAT_Q0 ? clsb : cls;
    r->teststat = q;
    hfx__asymptotic_expected((int) kind, sqrtqa, r->cls_exp);
}

enum hfx_status hfx__hypo_cache_test(struct hypo_cache * c, double mu, struct hfx_hypotest_result * r,
                                     struct hfx_error * err) {
    double          q, qa;
    enum hfx_status st = hfx__hypo_cache_qs(c, mu, &q, &qa, err);
    if (st != HFX_OK) {
        return st;
    }
    memset(r, 0, sizeof *r);
    asymptotic_result(c->kind, q, qa, r);
    r->mu_hat = c->mu_hat;
    return HFX_OK;
}

static enum hfx_status check_hypotest_options(hfx_engine_t e, const struct hfx_hypotest_options * o,
                                              struct hfx_error * err) {
    if (!e || !o) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "NULL argument");
    }
    if (!isfinite(o->poi_test)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the tested POI value must be finite");
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
    struct hypo_cache c;
    st = hfx__hypo_cache_init(&c, e, opts->data, opts->teststat, err);
    if (st != HFX_OK) {
        return st;
    }
    return hfx__hypo_cache_test(&c, opts->poi_test, result, err);
}
