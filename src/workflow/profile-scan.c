/*
 * profile-scan.c -- profile likelihood scans over one parameter (cabinetry.fit.scan) or a grid of two:
 * the free fit (its minimum, and the best fit and Hessian uncertainty of the scanned parameters, which
 * give cabinetry's default range, best fit +- 2 uncertainties in 11 steps), then at every grid point a
 * fit with the scanned parameters held there, everything else refitted from the model's init, as
 * cabinetry's. Every point's fit is one job of a single batch (docs/batching.md).
 *
 * delta_twice_nll = twice_nll(point) - twice_nll(free fit), cabinetry's delta_nlls.
 */
#include "workflow/workflow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HFX_SCAN_STEPS_DEFAULT 11 /* cabinetry.fit.scan's n_steps */

void hfx_profile_scan_result_free(struct hfx_profile_scan_result * r) {
    if (r) {
        free(r->points);
        r->points   = NULL;
        r->n_points = 0;
    }
}

static enum hfx_status check_options(hfx_model_t m, const struct hfx_profile_scan_options * o,
                                     struct hfx_error * err) {
    if (o->n_dims != 1 && o->n_dims != 2) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a profile scan has 1 or 2 parameters, not %zu", o->n_dims);
    }
    for (size_t k = 0; k < o->n_dims; ++k) {
        if (o->par[k] >= hfx_model_n_pars(m)) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "parameter index %zu out of range (the model has %zu)",
                              o->par[k], hfx_model_n_pars(m));
        }
        const char * name = hfx_model_par_name(m, o->par[k]);
        if (hfx_model_fixed(m)[o->par[k]]) {
            return hfx__error(err, HFX_ERR_ARG, NULL,
                              "parameter '%s' is fixed in the model: a profile scan takes a free parameter", name);
        }
        if (k == 1 && o->par[1] == o->par[0]) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "parameter '%s' is scanned twice", name);
        }
        if (o->range_set[k] && !(isfinite(o->lo[k]) && isfinite(o->hi[k]) && o->lo[k] < o->hi[k])) {
            return hfx__error(err, HFX_ERR_ARG, NULL,
                              "the range of '%s' is empty: it runs from %g to %g (LO < HI, both finite)", name,
                              o->lo[k], o->hi[k]);
        }
        const double lower = hfx_model_lower(m)[o->par[k]], upper = hfx_model_upper(m)[o->par[k]];
        if (o->range_set[k] && (o->lo[k] < lower || o->hi[k] > upper)) {
            return hfx__error(err, HFX_ERR_ARG, NULL,
                              "the range %g to %g of '%s' leaves its bounds [%g, %g] (pyhf fits refuse such a "
                              "start too)",
                              o->lo[k], o->hi[k], name, lower, upper);
        }
        if (o->range_set[k] && o->n[k] < 2) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "the range of '%s' has %zu points: a scan needs at least 2",
                              name, o->n[k]);
        }
        if (!o->range_set[k] && o->n[k] == 1) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "a scan of '%s' needs at least 2 points", name);
        }
    }
    return HFX_OK;
}

enum hfx_status hfx_profile_scan(hfx_engine_t e, const struct hfx_profile_scan_options * o,
                                 struct hfx_profile_scan_result * r, struct hfx_error * err) {
    if (!e || !o || !r) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_profile_scan: NULL argument");
    }
    hfx_model_t              m  = hfx_engine_model(e);
    size_t                   np = hfx_model_n_pars(m);
    memset(r, 0, sizeof *r);
    enum hfx_status st = check_options(m, o, err);
    if (st != HFX_OK) {
        return st;
    }
    struct hfx_fit_options fo = {.data = o->data, .uncertainties = true};
    struct hfx_fit_result  free_fit;
    if ((st = hfx_fit(e, &fo, &free_fit, err)) != HFX_OK) {
        return st;
    }
    r->n_dims        = o->n_dims;
    r->twice_nll_min = free_fit.twice_nll;
    r->status        = free_fit.status;
    double lo[2] = {0}, hi[2] = {0}, step[2] = {0};
    r->shape[1]  = 1;
    for (size_t k = 0; k < o->n_dims; ++k) {
        size_t i          = o->par[k];
        r->bestfit[k]     = free_fit.pars[i];
        r->uncertainty[k] = free_fit.uncertainties[i];
        double a = o->lo[k], b = o->hi[k];
        if (!o->range_set[k]) {
            /* cabinetry's default range, within the parameter's bounds (where pyhf refuses to start a
             * fit, and cabinetry's scan fails) */
            a = fmax(r->bestfit[k] - 2.0 * r->uncertainty[k], hfx_model_lower(m)[i]);
            b = fmin(r->bestfit[k] + 2.0 * r->uncertainty[k], hfx_model_upper(m)[i]);
            if (!(a < b)) {
                return hfx__error(err, HFX_ERR_NUMERIC, NULL,
                                  "the default range of '%s' (best fit +- 2 uncertainties) is empty: its "
                                  "uncertainty is %g; give the range",
                                  hfx_model_par_name(m, i), r->uncertainty[k]);
            }
        }
        r->shape[k] = o->n[k] ? o->n[k] : HFX_SCAN_STEPS_DEFAULT;
        lo[k]       = a;
        hi[k]       = b;
        step[k]     = (b - a) / (double) (r->shape[k] - 1);
    }
    size_t n   = r->shape[0] * r->shape[1];
    r->n_points = n;
    r->points   = hfx__calloc(n, sizeof *r->points);
    struct hfx__fit_job * jobs   = hfx__calloc(n, sizeof *jobs);
    double *              starts = hfx__malloc(n * np * sizeof *starts);
    bool *                fixed  = hfx__malloc(np * sizeof *fixed);
    if (!r->points || !jobs || !starts || !fixed) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a profile scan of %zu points)", n);
        goto done;
    }
    memcpy(fixed, hfx_model_fixed(m), np * sizeof *fixed);
    for (size_t k = 0; k < o->n_dims; ++k) {
        fixed[o->par[k]] = true;
    }
    const double * data       = o->data ? o->data : hfx_model_observed(m);
    double         data_const = hfx__engine_model_data_constant(m, data);
    for (size_t p = 0; p < n; ++p) {
        size_t idx[2] = {p / r->shape[1], p % r->shape[1]};
        double * start = starts + p * np;
        memcpy(start, hfx_model_init(m), np * sizeof *start);
        for (size_t k = 0; k < o->n_dims; ++k) {
            /* numpy's linspace: i step + lo, the last point exactly hi */
            double v = idx[k] + 1 == r->shape[k] ? hi[k] : (double) idx[k] * step[k] + lo[k];
            r->points[p].values[k] = v;
            start[o->par[k]]       = v;
        }
        jobs[p] = (struct hfx__fit_job){.data       = data,
                                        .data_const = data_const,
                                        .start      = start,
                                        .fixed      = fixed,
                                        .role       = HFX_FIT_ROLE_HELD,
                                        .tag        = p};
    }
    if ((st = hfx__fit_jobs(e, jobs, n, false, err)) != HFX_OK) {
        goto done;
    }
    for (size_t p = 0; p < n; ++p) {
        struct hfx_profile_scan_point * pt = &r->points[p];
        pt->status          = (enum hfx_fit_status) jobs[p].status;
        pt->twice_nll       = jobs[p].status == HFX_FIT_FAILED ? NAN : jobs[p].twice_nll;
        pt->delta_twice_nll = pt->twice_nll - r->twice_nll_min;
        r->status           = hfx_fit_status_worse(r->status, pt->status);
    }
done:
    free(jobs);
    free(starts);
    free(fixed);
    if (st != HFX_OK) {
        hfx_profile_scan_result_free(r);
    }
    return st;
}
