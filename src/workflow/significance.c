/*
 * significance.c -- the two p-values of a likelihood that cabinetry reports besides its fits:
 * - the discovery significance (cabinetry.fit.significance): pyhf's asymptotic hypotest at mu = 0
 *   with q0, whose fits hfx_hypotest batches (src/infer/hypotest.c), p0 turned into Z;
 * - the saturated-model goodness of fit (cabinetry's _goodness_of_fit): no fit at all beyond the
 *   one given, since the saturated likelihood (every main bin's rate at its count, every constraint
 *   at its maximum) is the data-only constant of twice_nll (model.h: hfx__data_constant), each
 *   Poisson and Gaussian term at its own maximum.
 */
#include "workflow/workflow.h"

#include "infer/stats.h"

#include <math.h>
#include <string.h>

enum hfx_status hfx_significance(hfx_engine_t e, const double * data, struct hfx_significance_result * r,
                                 struct hfx_error * err) {
    if (!e || !r) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_significance: NULL argument");
    }
    if (hfx_model_poi(hfx_engine_model(e)) < 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a significance needs a POI; the model was built without one");
    }
    struct hfx_hypotest_options h = {.poi_test = 0.0, .teststat = HFX_TESTSTAT_Q0, .data = data};
    struct hfx_hypotest_result  t;
    enum hfx_status             st = hfx_hypotest(e, &h, &t, err);
    if (st != HFX_OK) {
        return st;
    }
    /* pyhf's hypotest with q0 reports p0 (its CLsb) and the expected set's median; Z is
     * scipy.stats.norm.isf(p0) = -ppf(p0), written 0 - ppf so that p0 = 0.5 gives Z = 0, not -0 */
    r->p0_obs = t.cls_obs;
    r->p0_exp = t.cls_exp[2];
    r->z_obs  = 0.0 - hfx__norm_ppf(r->p0_obs);
    r->z_exp  = 0.0 - hfx__norm_ppf(r->p0_exp);
    r->status = t.status;
    return HFX_OK;
}

enum hfx_status hfx_goodness_of_fit(hfx_model_t m, const double * data, double twice_nll, struct hfx_gof_result * r,
                                    struct hfx_error * err) {
    if (!m || !r) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_goodness_of_fit: NULL argument");
    }
    const double * d = data ? data : hfx_model_observed(m);
    long           n_free_unconstrained = 0;
    for (size_t i = 0; i < hfx_model_n_pars(m); ++i) {
        n_free_unconstrained += !hfx_model_fixed(m)[i] && !hfx_model_par_constrained(m, i);
    }
    r->twice_nll_saturated = hfx__engine_model_data_constant(m, d);
    r->delta_twice_nll     = twice_nll - r->twice_nll_saturated;
    r->ndof                = (long) hfx_model_n_bins(m) - n_free_unconstrained;
    /* cabinetry: NaN without degrees of freedom (a perfect or over-parameterised fit) */
    r->p_value = r->ndof > 0 ? hfx__chi2_sf(r->delta_twice_nll, (double) r->ndof) : NAN;
    return HFX_OK;
}
