/*
 * group.c -- the asymptotic hypotest as one job state machine, for one model on its engine and for
 * many models at once in model groups (group.h; docs/batching.md).
 *
 * pyhf's five fits less the two whose answers are known (hypotest.c's file comment) run in three
 * stages: the free fit and the fit at mu to the data; the Asimov generator (the POI held at 0, 1
 * for q0) unless the free fit is it; the free fit to the Asimov data unless the generator's point
 * is known to be its minimum, and the fit at mu to the Asimov data. Every model of the machine is
 * at the same stage at the same time, and a stage is one call with the jobs of every model still
 * running: hfx__fit_jobs on the engine where the machine holds one model (hfx_hypotest, and the
 * shared fits of upper limits, without mu: hfx__hypotest_stages), the backend's group_fit_jobs
 * where it holds a model group, each job carrying its model's index (hfx__hypotest_group). So a
 * model's fits, their order, its warnings and its result are the same either way; on the CPU bit
 * for bit, since the threaded backend's groups run the same slot code and kernel (checked on all
 * 650 sbottom patches: tests/c/test-groups.c, docs/batching.md).
 *
 * The pieces the machine is made of (the options' checks, the conditional fits at mu, the asymptotic
 * result from the fits) live here too, so that hypotest.c (hfx_hypotest, the cache's tests at mu)
 * uses this file and this file nothing of hypotest.c: no import circle.
 */
#include "infer/group.h"

#include "infer/infer.h"
#include "infer/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

//
// The pieces of the asymptotic hypotest (hfx_hypotest's and the groups' alike)
//

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

//
// The job state machine
//

/* One model's state through the stages: its fits' points and Asimov data are its cache's arrays. */
struct gmodel {
    struct hfx__group_item * it;
    hfx_model_t              m;     /* it->m, for the public accessors */
    bool                     live;  /* no error so far */
    struct hypo_cache        c;
    struct hfx__fit_job      obs, asimov, asimov_free;
};

/* The machine: its models, how it runs a stage (a model group, or one model's engine), the test. */
struct group {
    struct hfx__engine_group *   grp;     /* the model group; NULL with an engine */
    hfx_engine_t                 e;       /* one model on its engine (hfx_hypotest, upper limits); else NULL */
    struct hfx__fit_settings     how;
    enum hfx_teststat            kind;
    bool                         with_mu; /* the fits at mu too, and the result (else the cache only) */
    double                       mu;
    struct gmodel *              g;       /* [n] */
    size_t                       n;
    struct hfx__fit_job *        jobs;    /* [2 n]: one stage's jobs */
    size_t                       n_jobs;
    struct hfx__group_stats *    stats;
};

static void item_fail(struct gmodel * gm, enum hfx_status st, const struct hfx_error * e) {
    gm->live         = false;
    gm->it->status   = st;
    gm->it->error    = *e;
    gm->it->error.code = st;
}

static void add_job(struct group * g, size_t k, struct hfx__fit_job j) {
    j.model             = k;
    g->jobs[g->n_jobs++] = j;
}

/* Runs the stage's jobs in one call, then, for each model in job order as hfx__fit_jobs does, fails
 * it at a fit that could not start or notes its fits' warnings. A backend error fails the models of
 * the stage; only running out of memory for warnings stops the whole call. With an engine, that is
 * hfx__fit_jobs itself (the warnings go to the engine, hfx_engine_warning). */
static enum hfx_status stage_run(struct group * g, struct hfx_error * err) {
    size_t n = g->n_jobs;
    g->n_jobs = 0;
    if (n == 0) {
        return HFX_OK;
    }
    struct hfx_error e = {0};
    if (g->e) {
        enum hfx_status st = hfx__fit_jobs(g->e, g->jobs, n, true, &e);
        if (st != HFX_OK) {
            item_fail(&g->g[0], st, &e);
        }
        return HFX_OK;
    }
    enum hfx_status st = hfx__engine_group_fit_jobs(g->grp, g->jobs, n, &e);
    g->stats->n_calls += 1;
    g->stats->n_fits += n;
    for (size_t i = 0; i < n; ++i) {
        struct gmodel * gm = &g->g[g->jobs[i].model];
        if (!gm->live) {
            continue;
        }
        if (st != HFX_OK) {
            item_fail(gm, st, &e);
        } else if (g->jobs[i].status == HFX_FIT_FAILED) {
            struct hfx_error bad = {0};
            item_fail(gm, hfx__fit_bad_start(&bad), &bad);
        } else {
            struct hfx__group_item * it = gm->it;
            enum hfx_status          wt = hfx__warnings_note(&it->warnings, &it->n_warnings, &it->cap_warnings,
                                                             it->m, g->how.explore, &g->jobs[i], err);
            if (wt != HFX_OK) {
                return wt;
            }
        }
    }
    return HFX_OK;
}

/* Stage 1: the free fit and, with mu, the fit at mu to the data. */
static enum hfx_status stage_data(struct group * g, struct hfx_error * err) {
    for (size_t k = 0; k < g->n; ++k) {
        struct gmodel * gm = &g->g[k];
        if (!gm->live) {
            continue;
        }
        struct hfx__fit_job unused;
        add_job(g, k,
                (struct hfx__fit_job){.data       = gm->c.data,
                                      .data_const = gm->c.data_const,
                                      .pars_out   = gm->c.pars_free,
                                      .role       = HFX_FIT_ROLE_FREE});
        if (g->with_mu) {
            hfx__hypotest_qs_jobs(&gm->c, g->mu, &gm->obs, &unused);
            add_job(g, k, gm->obs);
        }
    }
    size_t          n    = g->n_jobs;
    size_t          step = g->with_mu ? 2 : 1;
    enum hfx_status st   = stage_run(g, err);
    for (size_t i = 0; i + step <= n && st == HFX_OK; i += step) {
        struct gmodel * gm = &g->g[g->jobs[i].model];
        if (gm->live) {
            gm->c.free_twice_nll = g->jobs[i].twice_nll;
            gm->c.mu_hat         = gm->c.pars_free[hfx_model_poi(gm->m)];
            gm->c.status         = (enum hfx_fit_status) g->jobs[i].status;
            if (g->with_mu) {
                gm->obs = g->jobs[i + 1];
            }
        }
    }
    return st;
}

/* Stage 2: the Asimov generator where the free fit is not it, then the Asimov data. */
static enum hfx_status stage_generator(struct group * g, struct hfx_error * err) {
    double mu_gen = g->kind == HFX_TESTSTAT_Q0 ? 1.0 : 0.0;
    for (size_t k = 0; k < g->n; ++k) {
        struct gmodel * gm = &g->g[k];
        if (!gm->live) {
            continue;
        }
        if (gm->c.mu_hat == mu_gen) {
            memcpy(gm->c.pars_gen, gm->c.pars_free, hfx_model_n_pars(gm->m) * sizeof *gm->c.pars_gen);
        } else {
            add_job(g, k,
                    (struct hfx__fit_job){.data       = gm->c.data,
                                          .data_const = gm->c.data_const,
                                          .poi_fixed  = true,
                                          .poi_value  = mu_gen,
                                          .pars_out   = gm->c.pars_gen,
                                          .role       = HFX_FIT_ROLE_FIXED_POI});
        }
    }
    size_t          n  = g->n_jobs;
    enum hfx_status st = stage_run(g, err);
    for (size_t i = 0; i < n && st == HFX_OK; ++i) {
        struct gmodel * gm = &g->g[g->jobs[i].model];
        if (gm->live) {
            gm->c.status = hfx_fit_status_worse(gm->c.status, (enum hfx_fit_status) g->jobs[i].status);
        }
    }
    for (size_t k = 0; k < g->n && st == HFX_OK; ++k) {
        struct gmodel * gm = &g->g[k];
        if (!gm->live) {
            continue;
        }
        if (g->e) {
            st = hfx__engine_expected_data(g->e, 1, gm->c.pars_gen, gm->c.data_asimov, err);
        } else {
            hfx__engine_group_expected_data(g->grp, k, gm->c.pars_gen, gm->c.data_asimov);
        }
        gm->c.asimov_const = hfx__engine_model_data_constant(gm->m, gm->c.data_asimov);
    }
    return st;
}

/* Stage 3: the free fit to the Asimov data where its minimum is not known and, with mu, the fit at
 * mu to them; then each model's result. */
static enum hfx_status stage_asimov(struct group * g, struct hfx_error * err) {
    for (size_t k = 0; k < g->n; ++k) {
        struct gmodel * gm = &g->g[k];
        if (!gm->live) {
            continue;
        }
        gm->asimov_free = (struct hfx__fit_job){.data       = gm->c.data_asimov,
                                                .data_const = gm->c.asimov_const,
                                                .pars_out   = gm->c.pars_asimov_free,
                                                .role       = HFX_FIT_ROLE_FREE,
                                                .asimov     = true,
                                                .model      = k,
                                                .status     = -1}; /* -1: known, not fitted */
        if (!hfx__gen_in_box(gm->m, gm->c.pars_gen)) {
            add_job(g, k, gm->asimov_free);
        }
        if (g->with_mu) {
            struct hfx__fit_job unused;
            hfx__hypotest_qs_jobs(&gm->c, g->mu, &unused, &gm->asimov);
            add_job(g, k, gm->asimov);
        }
    }
    size_t          n  = g->n_jobs;
    enum hfx_status st = stage_run(g, err);
    for (size_t i = 0; i < n && st == HFX_OK; ++i) {
        struct gmodel * gm = &g->g[g->jobs[i].model];
        if (g->jobs[i].poi_fixed) {
            gm->asimov = g->jobs[i];
        } else {
            gm->asimov_free = g->jobs[i];
        }
    }
    for (size_t k = 0; k < g->n && st == HFX_OK; ++k) {
        struct gmodel * gm = &g->g[k];
        if (!gm->live) {
            continue;
        }
        if (gm->asimov_free.status == -1) {
            /* the minimum is the generator's point (hypotest.c's file comment): one evaluation, by the
             * engine's backend, or with the reference kernel every CPU backend evaluates with (its
             * data constant is asimov_const: the same function of the same data) */
            memcpy(gm->c.pars_asimov_free, gm->c.pars_gen, hfx_model_n_pars(gm->m) * sizeof *gm->c.pars_gen);
            gm->asimov_free.status = HFX_FIT_CONVERGED;
            if (!g->e) {
                gm->asimov_free.twice_nll = hfx__engine_group_twice_nll(g->grp, k, gm->c.pars_gen, gm->c.data_asimov,
                                                                        gm->c.asimov_const);
            } else {
                struct hfx_error e  = {0};
                enum hfx_status  ev = hfx_twice_nll(g->e, gm->c.pars_gen, gm->c.data_asimov,
                                                    &gm->asimov_free.twice_nll, NULL, &e);
                if (ev != HFX_OK) {
                    item_fail(gm, ev, &e);
                    continue;
                }
            }
        }
        gm->c.asimov_free_twice_nll = gm->asimov_free.twice_nll;
        gm->c.status        = hfx_fit_status_worse(gm->c.status, (enum hfx_fit_status) gm->asimov_free.status);
        gm->c.asimov_mu_hat = gm->c.pars_asimov_free[hfx_model_poi(gm->m)];
        if (g->with_mu) {
            hfx__asymptotic_result(&gm->c, &gm->obs, &gm->asimov, &gm->it->result);
        }
    }
    return st;
}

/* Where the backend cannot hold these models as a group (HFX_ERR_UNSUPPORTED from group_create: a
 * device's fits of large models are driven by the host), each model's hypotest on an engine of its
 * own: what hfx_hypotest gives, warnings included. */
static enum hfx_status run_engines(const struct hfx_engine_options * eo, const struct hfx_hypotest_options * ho,
                                   struct hfx__group_item * items, const size_t * idx, size_t n,
                                   struct hfx_error * err) {
    for (size_t k = 0; k < n; ++k) {
        struct hfx__group_item * it = &items[idx[k]];
        hfx_engine_t             e  = NULL;
        it->status                  = hfx_engine_create((hfx_model_t) it->m, eo, &e, &it->error);
        if (it->status == HFX_OK) {
            /* hfx_hypotest's own stages (its checks were the item's: hfx__hypotest_group) */
            struct hypo_cache c;
            double            mu = ho->poi_test;
            it->status           = hfx__hypotest_stages(e, NULL, ho->teststat, &mu, &c, &it->result, &it->error);
            hfx__hypo_cache_free(&c);
        }
        size_t nw = it->status == HFX_OK ? hfx_engine_n_warnings(e) : 0;
        if (nw && !(it->warnings = hfx__malloc(nw * sizeof *it->warnings))) {
            hfx_engine_free(e);
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (%zu fit warnings)", nw);
        }
        for (size_t i = 0; i < nw; ++i) {
            it->warnings[i] = *hfx_engine_warning(e, i);
        }
        it->n_warnings = it->cap_warnings = nw;
        hfx_engine_free(e);
    }
    return HFX_OK;
}

/* Points c's arrays into w: pars_free, pars_gen, pars_asimov_free [np], then data_asimov. */
static void cache_arrays(struct hypo_cache * c, double * w, size_t np) {
    c->pars_free        = w;
    c->pars_gen         = w + np;
    c->pars_asimov_free = w + 2 * np;
    c->data_asimov      = w + 3 * np;
}

/* The hypotests of the models items[idx[0..n)) (one shape, every one past its checks) as one group. */
static enum hfx_status run_group(const struct hfx_engine_options * eo, const struct hfx__fit_settings * how,
                                 const struct hfx_hypotest_options * ho, struct hfx__group_item * items,
                                 const size_t * idx, size_t n, struct hfx__group_stats * stats,
                                 struct hfx_error * err) {
    hfx_model_t m0  = (hfx_model_t) items[idx[0]].m;
    size_t      np  = hfx_model_n_pars(m0) ? hfx_model_n_pars(m0) : 1;
    size_t      per = 3 * np + hfx_model_n_bins(m0) + hfx_model_n_aux(m0) + 1;
    struct group g  = {.how = *how, .kind = ho->teststat, .with_mu = true, .mu = ho->poi_test, .n = n, .stats = stats};
    const struct hfx_model ** models = hfx__malloc(n * sizeof *models);
    double *                  mem    = hfx__malloc(n * per * sizeof *mem);
    g.g                              = hfx__calloc(n, sizeof *g.g);
    g.jobs                           = hfx__malloc(2 * n * sizeof *g.jobs);
    if (!models || !mem || !g.g || !g.jobs) {
        free(models);
        free(mem);
        free(g.g);
        free(g.jobs);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a group of %zu models)", n);
    }
    for (size_t k = 0; k < n; ++k) {
        struct gmodel * gm = &g.g[k];
        gm->it             = &items[idx[k]];
        gm->m              = (hfx_model_t) gm->it->m;
        gm->live           = true;
        cache_arrays(&gm->c, mem + k * per, np);
        gm->c.kind       = ho->teststat;
        gm->c.data       = hfx_model_observed(gm->m);
        gm->c.data_const = hfx__engine_model_data_constant(gm->m, gm->c.data);
        models[k]        = gm->it->m;
    }
    struct hfx_error e  = {0};
    enum hfx_status  st = hfx__engine_group_create(models, n, eo, how, &g.grp, &e);
    stats->n_groups += 1;
    if (st == HFX_ERR_UNSUPPORTED) {
        st = run_engines(eo, ho, items, idx, n, err);
    } else if (st != HFX_OK) {
        for (size_t k = 0; k < n; ++k) {
            item_fail(&g.g[k], st, &e);
        }
        st = HFX_OK;
    } else if ((st = stage_data(&g, err)) == HFX_OK && (st = stage_generator(&g, err)) == HFX_OK) {
        st = stage_asimov(&g, err);
    }
    hfx__engine_group_free(g.grp);
    free(models);
    free(mem);
    free(g.g);
    free(g.jobs);
    return st;
}

void hfx__hypo_cache_free(struct hypo_cache * c) {
    free(c->mem);
    c->mem = NULL;
}

enum hfx_status hfx__hypotest_stages(hfx_engine_t e, const double * data, enum hfx_teststat kind, const double * mu,
                                     struct hypo_cache * c, struct hfx_hypotest_result * r, struct hfx_error * err) {
    hfx_model_t             m = hfx_engine_model(e);
    struct hfx__group_stats stats;
    struct hfx__group_item  it = {.m = m};
    struct hfx__fit_job     jobs[2];
    struct gmodel           gm = {.it = &it, .m = m, .live = true};
    struct group g = {.e = e, .how = {0}, .kind = kind, .with_mu = mu != NULL, .mu = mu ? *mu : 0.0,
                      .g = &gm, .n = 1, .jobs = jobs, .stats = &stats};
    memset(c, 0, sizeof *c);
    enum hfx_status st = hfx__hypotest_need_poi(m, err);
    if (st != HFX_OK) {
        return st;
    }
    /* the cache's arrays, its own: they outlive this call (an upper-limit grid keeps them) */
    size_t np   = hfx_model_n_pars(m) ? hfx_model_n_pars(m) : 1;
    double * w  = hfx__calloc(3 * np + hfx__engine_n_data(e) + 1, sizeof *w);
    if (!w) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a hypotest of %zu parameters)", np);
    }
    cache_arrays(&gm.c, w, np);
    gm.c.mem        = w;
    gm.c.e          = e;
    gm.c.kind       = kind;
    gm.c.data       = data ? data : hfx_model_observed(m);
    gm.c.data_const = hfx__engine_data_constant(e, gm.c.data);
    if ((st = stage_data(&g, err)) == HFX_OK && (st = stage_generator(&g, err)) == HFX_OK) {
        st = stage_asimov(&g, err);
    }
    if (st == HFX_OK && !gm.live) {
        st = it.status;
        if (err) {
            *err = it.error;
        }
    }
    *c = gm.c;
    if (st == HFX_OK && r) {
        *r = it.result;
    }
    return st;
}

bool hfx__group_supported(const struct hfx_engine_options * eo, const struct hfx_hypotest_options * ho) {
    return hfx__engine_groups_available(eo) && ho && ho->calctype == HFX_CALC_ASYMPTOTICS && !ho->data;
}

bool hfx__group_preferred(const struct hfx_engine_options * eo) { return hfx__engine_groups_preferred(eo); }

/* Models share a group when a launch can pack their jobs alike: as many parameters (starts, best
 * fits) and data (bins and constraints) each. Everything else is read from each model's own tables,
 * the POI's index included (patches of one background do move it: pyhf orders parameters by name,
 * and a signal sample's modifiers take their places among the background's). */
static bool same_shape(const struct hfx_model * a, const struct hfx_model * b) {
    hfx_model_t x = (hfx_model_t) a, y = (hfx_model_t) b;
    return hfx_model_n_pars(x) == hfx_model_n_pars(y) && hfx_model_n_bins(x) == hfx_model_n_bins(y) &&
           hfx_model_n_aux(x) == hfx_model_n_aux(y);
}

enum hfx_status hfx__hypotest_group(struct hfx__group_item * items, size_t n, const struct hfx_engine_options * eo,
                                    const struct hfx_hypotest_options * ho, struct hfx__group_stats * stats,
                                    struct hfx_error * err) {
    struct hfx__group_stats unused = {0};
    stats                          = stats ? stats : &unused;
    memset(stats, 0, sizeof *stats);
    if ((n && !items) || !ho) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "NULL argument");
    }
    const char *    name = eo && eo->backend ? eo->backend : "cpu-ref";
    enum hfx_status st   = hfx__engine_backend_check(eo, err);
    if (st != HFX_OK) {
        return st;
    }
    if (!hfx__group_supported(eo, ho)) {
        return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL,
                          "model groups need the asymptotic calculator on the observed data and a backend with "
                          "groups that is available here ('%s')",
                          name);
    }
    struct hfx__fit_settings how;
    if ((st = hfx__fit_settings_from(eo, &how, err)) != HFX_OK) {
        return st;
    }
    /* each model's own checks, in hfx_hypotest's order; those that pass get their group: the
     * first model of a shape opens it (group[k]: the group of item k, SIZE_MAX: none) */
    size_t * group = hfx__malloc((n + 1) * sizeof *group), * first = hfx__malloc((n + 1) * sizeof *first);
    size_t * idx   = hfx__malloc((n + 1) * sizeof *idx);
    if (!group || !first || !idx) {
        free(group);
        free(first);
        free(idx);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (%zu models)", n);
    }
    size_t n_groups = 0;
    for (size_t k = 0; k < n; ++k) {
        struct hfx__group_item * it = &items[k];
        it->warnings                = NULL;
        it->n_warnings = it->cap_warnings = 0;
        memset(&it->error, 0, sizeof it->error);
        memset(&it->result, 0, sizeof it->result);
        group[k]   = SIZE_MAX;
        it->status = !it->m ? hfx__error(&it->error, HFX_ERR_ARG, NULL, "NULL model") : hfx__hypotest_check((hfx_model_t) it->m, ho, &it->error);
        if (it->status == HFX_OK) {
            it->status = hfx__hypotest_need_poi((hfx_model_t) it->m, &it->error);
        }
        if (it->status == HFX_OK) {
            it->status = hfx__fit_check_size(it->m, how.history, &it->error);
        }
        if (it->status != HFX_OK) {
            continue;
        }
        for (size_t gi = 0; gi < n_groups && group[k] == SIZE_MAX; ++gi) {
            group[k] = same_shape(items[first[gi]].m, it->m) ? gi : SIZE_MAX;
        }
        if (group[k] == SIZE_MAX) {
            first[n_groups] = k;
            group[k]        = n_groups++;
        }
    }
    for (size_t gi = 0; gi < n_groups && st == HFX_OK; ++gi) {
        size_t count = 0;
        for (size_t k = first[gi]; k < n; ++k) {
            if (group[k] == gi) {
                idx[count++] = k;
            }
        }
        st = run_group(eo, &how, ho, items, idx, count, stats, err);
    }
    free(group);
    free(first);
    free(idx);
    return st;
}

void hfx__group_item_clear(struct hfx__group_item * it) {
    if (it) {
        free(it->warnings);
        it->warnings   = NULL;
        it->n_warnings = it->cap_warnings = 0;
    }
}
