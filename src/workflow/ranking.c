/*
 * ranking.c -- the impact of nuisance parameters on the POI, as cabinetry.fit.ranking defines it:
 * after the nominal fit (best fit and Hessian uncertainties), each ranked parameter is held at its
 * best fit plus and minus its pre-fit width, and plus and minus its post-fit uncertainty, everything
 * else refitted from the model's init; the impact is that fit's mu minus the nominal mu_hat.
 *
 * cabinetry runs those 4 n fits one after another; here they are one batch of jobs (docs/batching.md),
 * so that the threaded backend spreads them over its pool and a device runs one per thread. Each job
 * carries its own fixed set (the model's plus the ranked parameter) and start (the init, the ranked
 * parameter at its held value), exactly the fit cabinetry makes.
 *
 * Where hfx differs from cabinetry (docs/analyses.md): only free constrained parameters are ranked.
 * cabinetry also lists unconstrained ones (normfactors other than the POI, shapefactors), with pre-fit
 * impacts of 0 by construction; asking hfx for one is an error that says so.
 */
#include "workflow/workflow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hfx_ranking_result_free(struct hfx_ranking_result * r) {
    if (r) {
        free(r->entries);
        r->entries   = NULL;
        r->n_entries = 0;
    }
}

/* Whether parameter i can be ranked; else the error, naming it. */
static enum hfx_status check_rankable(hfx_model_t m, size_t i, struct hfx_error * err) {
    if (i >= hfx_model_n_pars(m)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "parameter index %zu out of range (the model has %zu)", i,
                          hfx_model_n_pars(m));
    }
    const char * name = hfx_model_par_name(m, i);
    if ((long) i == hfx_model_poi(m)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "parameter '%s' is the POI: a ranking gives the impacts on it",
                          name);
    }
    if (hfx_model_fixed(m)[i]) {
        return hfx__error(err, HFX_ERR_ARG, NULL,
                          "parameter '%s' is fixed in the model: it has no uncertainty, so no impact to rank", name);
    }
    if (!hfx_model_par_constrained(m, i)) {
        return hfx__error(err, HFX_ERR_ARG, NULL,
                          "parameter '%s' is unconstrained (a normfactor or shapefactor): it has no pre-fit width; "
                          "a ranking takes constrained nuisance parameters",
                          name);
    }
    return HFX_OK;
}

/* cabinetry's ranking plot order: decreasing max(|postfit up|, |postfit down|); numpy's argsort
 * reversed puts the later of two equal keys first. NaN impacts (a failed fit) go last. */
static int entry_cmp(const void * pa, const void * pb) {
    const struct hfx_ranking_entry * a = pa, * b = pb;
    double ka = fmax(fabs(a->impact_postfit_up), fabs(a->impact_postfit_down));
    double kb = fmax(fabs(b->impact_postfit_up), fabs(b->impact_postfit_down));
    ka        = isnan(ka) ? -1.0 : ka;
    kb        = isnan(kb) ? -1.0 : kb;
    if (ka != kb) {
        return ka > kb ? -1 : 1;
    }
    return a->par > b->par ? -1 : a->par < b->par ? 1 : 0;
}

enum hfx_status hfx_ranking(hfx_engine_t e, const struct hfx_ranking_options * opts, struct hfx_ranking_result * r,
                            struct hfx_error * err) {
    if (!e || !r) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_ranking: NULL argument");
    }
    static const struct hfx_ranking_options none = {0};
    const struct hfx_ranking_options *       o    = opts ? opts : &none;
    hfx_model_t                              m    = hfx_engine_model(e);
    size_t                                   np   = hfx_model_n_pars(m);
    memset(r, 0, sizeof *r);
    if (hfx_model_poi(m) < 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a ranking needs a POI; the model was built without one");
    }
    /* the parameters to rank */
    size_t n = 0;
    if (o->pars) {
        for (size_t k = 0; k < o->n_pars; ++k) {
            enum hfx_status st = check_rankable(m, o->pars[k], err);
            if (st != HFX_OK) {
                return st;
            }
            for (size_t l = 0; l < k; ++l) {
                if (o->pars[l] == o->pars[k]) {
                    return hfx__error(err, HFX_ERR_ARG, NULL, "parameter '%s' is listed twice",
                                      hfx_model_par_name(m, o->pars[k]));
                }
            }
        }
        n = o->n_pars;
    } else {
        for (size_t i = 0; i < np; ++i) {
            n += (long) i != hfx_model_poi(m) && !hfx_model_fixed(m)[i] && hfx_model_par_constrained(m, i);
        }
    }
    if (n == 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the model has no free constrained parameter to rank");
    }

    /* the nominal fit, as cabinetry's (from the init, with the Hessian) */
    struct hfx_fit_options fo = {.data = o->data, .uncertainties = true};
    struct hfx_fit_result  nominal;
    enum hfx_status        st = hfx_fit(e, &fo, &nominal, err);
    if (st != HFX_OK) {
        return st;
    }
    r->entries = hfx__calloc(n, sizeof *r->entries);
    /* per job: start and best fit [np]; per parameter: its fixed set [np] */
    size_t                n_jobs = 4 * n;
    struct hfx__fit_job * jobs   = hfx__calloc(n_jobs, sizeof *jobs);
    double *              starts = hfx__malloc(n_jobs * np * sizeof *starts);
    double *              bests  = hfx__malloc(n_jobs * np * sizeof *bests);
    bool *                fixed  = hfx__malloc(n * np * sizeof *fixed);
    double *              best   = hfx__malloc(np * sizeof *best);
    double *              unc    = hfx__malloc(np * sizeof *unc);
    if (!r->entries || !jobs || !starts || !bests || !fixed || !best || !unc) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a ranking of %zu parameters)", n);
        goto done;
    }
    memcpy(best, nominal.pars, np * sizeof *best); /* the engine's until its next fit */
    memcpy(unc, nominal.uncertainties, np * sizeof *unc);
    r->poi_bestfit     = best[hfx_model_poi(m)];
    r->poi_uncertainty = unc[hfx_model_poi(m)];
    r->twice_nll       = nominal.twice_nll;
    r->status          = nominal.status;
    r->n_entries       = n;

    const double * data       = o->data ? o->data : hfx_model_observed(m);
    double         data_const = hfx__engine_model_data_constant(m, data);
    size_t         n_run      = 0; /* jobs that need a fit; tag: the entry * 4 + the variation */
    for (size_t k = 0, i = 0; k < n; ++k, ++i) {
        if (o->pars) {
            i = o->pars[k];
        } else {
            while ((long) i == hfx_model_poi(m) || hfx_model_fixed(m)[i] || !hfx_model_par_constrained(m, i)) {
                ++i;
            }
        }
        struct hfx_ranking_entry * en = &r->entries[k];
        en->par                       = i;
        en->bestfit                   = best[i];
        en->uncertainty               = unc[i];
        en->prefit_uncertainty        = hfx_model_prefit_width(m, i);
        en->nominal                   = hfx_model_init(m)[i];
        en->status                    = HFX_FIT_CONVERGED;
        bool * fx                     = fixed + k * np;
        memcpy(fx, hfx_model_fixed(m), np * sizeof *fx);
        fx[i]                  = true;
        const double values[4] = {best[i] + en->prefit_uncertainty, best[i] - en->prefit_uncertainty,
                                  best[i] + en->uncertainty, best[i] - en->uncertainty};
        for (int v = 0; v < 4; ++v) {
            if (values[v] == best[i]) {
                continue; /* no shift, no impact (cabinetry skips the fit too) */
            }
            double * start = starts + n_run * np;
            memcpy(start, hfx_model_init(m), np * sizeof *start);
            start[i]     = values[v];
            jobs[n_run]  = (struct hfx__fit_job){.data       = data,
                                                 .data_const = data_const,
                                                 .start      = start,
                                                 .fixed      = fx,
                                                 .pars_out   = bests + n_run * np,
                                                 .role       = HFX_FIT_ROLE_HELD,
                                                 .tag        = k * 4 + (size_t) v};
            n_run++;
        }
    }
    /* every refit in one batch; a refit that cannot start (a held value where the likelihood is not
     * finite) is reported through its status and a NaN impact, not as an error of the whole ranking */
    /* (the warnings: the nominal fit's, then the refits') */
    if ((st = hfx__fit_jobs(e, jobs, n_run, false, err)) != HFX_OK) {
        goto done;
    }
    for (size_t j = 0; j < n_run; ++j) {
        struct hfx_ranking_entry * en  = &r->entries[jobs[j].tag / 4];
        double mu = jobs[j].status == HFX_FIT_FAILED ? NAN : bests[j * np + (size_t) hfx_model_poi(m)];
        double                     imp = mu - r->poi_bestfit;
        switch (jobs[j].tag % 4) {
        case 0: en->impact_prefit_up = imp; break;
        case 1: en->impact_prefit_down = imp; break;
        case 2: en->impact_postfit_up = imp; break;
        default: en->impact_postfit_down = imp; break;
        }
        en->status = hfx_fit_status_worse(en->status, (enum hfx_fit_status) jobs[j].status);
        r->status  = hfx_fit_status_worse(r->status, (enum hfx_fit_status) jobs[j].status);
    }
    qsort(r->entries, n, sizeof *r->entries, entry_cmp);
done:
    free(jobs);
    free(starts);
    free(bests);
    free(fixed);
    free(best);
    free(unc);
    if (st != HFX_OK) {
        hfx_ranking_result_free(r);
    }
    return st;
}
