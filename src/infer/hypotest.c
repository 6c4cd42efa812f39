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

#include <stdlib.h>
#include <string.h>

enum hfx_status hfx__hypo_cache_init(struct hypo_cache * c, hfx_engine_t e, const double * data,
                                     enum hfx_teststat kind, struct hfx_error * err) {
    return hfx__hypotest_stages(e, data, kind, NULL, c, NULL, err);
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
