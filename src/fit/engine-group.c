/*
 * engine-group.c -- model groups behind the engine's door (engine-ops.h): a backend's group plan
 * (backend.h: group_create, group_fit_jobs) with the models it holds, and the host's reference code
 * for what inference needs of each model besides fits (expected data, one twice_nll).
 * The layer above (infer/group.c) runs the hypotest's job state machine on it without seeing the
 * backend table or the model's tables.
 */
#include "fit/engine.h"

#include <string.h>

struct hfx__engine_group {
    const struct hfx_backend_i * be;
    void *                       plan;
    struct hfx__fit_settings     how;
    const struct hfx_model **    m;       /* [n] borrowed */
    size_t                       n;
    double *                     scratch; /* the largest hfx__eval_scratch_size of the models */
};

static const struct hfx_backend_i * backend_of(const struct hfx_engine_options * eo) {
    return hfx__backend_find(eo && eo->backend ? eo->backend : "cpu-ref");
}

enum hfx_status hfx__engine_backend_check(const struct hfx_engine_options * eo, struct hfx_error * err) {
    return backend_of(eo) ? HFX_OK
                          : hfx__error(err, HFX_ERR_NOT_FOUND, NULL, "unknown backend '%s'",
                                       eo && eo->backend ? eo->backend : "cpu-ref");
}

bool hfx__engine_groups_available(const struct hfx_engine_options * eo) {
    const struct hfx_backend_i * be  = backend_of(eo);
    const char *                 why = NULL;
    return be && be->group_create && be->group_free && be->group_fit_jobs && (!be->available || be->available(&why));
}

bool hfx__engine_groups_preferred(const struct hfx_engine_options * eo) {
    const struct hfx_backend_i * be = backend_of(eo);
    return be && be->group_default;
}

void hfx__engine_group_free(struct hfx__engine_group * g) {
    if (!g) {
        return;
    }
    if (g->plan) {
        g->be->group_free(g->plan);
    }
    free(g->m);
    free(g->scratch);
    free(g);
}

enum hfx_status hfx__engine_group_create(const struct hfx_model * const * m, size_t n,
                                         const struct hfx_engine_options * eo, const struct hfx__fit_settings * how,
                                         struct hfx__engine_group ** out, struct hfx_error * err) {
    *out   = NULL;
    size_t ns = 0;
    for (size_t k = 0; k < n; ++k) {
        size_t s = hfx__eval_scratch_size(m[k]);
        ns       = s > ns ? s : ns;
    }
    struct hfx__engine_group * g = hfx__calloc(1, sizeof *g);
    if (g) {
        g->be      = backend_of(eo);
        g->how     = *how;
        g->n       = n;
        g->m       = hfx__malloc((n + 1) * sizeof *g->m);
        g->scratch = hfx__malloc((ns + 1) * sizeof *g->scratch);
    }
    if (!g || !g->m || !g->scratch) {
        hfx__engine_group_free(g);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a group of %zu models)", n);
    }
    if (n) {
        memcpy(g->m, m, n * sizeof *g->m);
    }
    HFX_ASSERT(g->be && g->be->group_create);
    enum hfx_status st = g->be->group_create(m, n, eo, &g->plan, err);
    if (st != HFX_OK) {
        g->plan = NULL;
        hfx__engine_group_free(g);
        return st;
    }
    *out = g;
    return HFX_OK;
}

enum hfx_status hfx__engine_group_fit_jobs(struct hfx__engine_group * g, struct hfx__fit_job * jobs, size_t n,
                                           struct hfx_error * err) {
    return g->be->group_fit_jobs(g->plan, jobs, n, &g->how, err);
}

void hfx__engine_group_expected_data(struct hfx__engine_group * g, size_t k, const double * pars, double * out) {
    hfx__expected_data(g->m[k], pars, out, g->scratch);
}

double hfx__engine_group_twice_nll(struct hfx__engine_group * g, size_t k, const double * pars, const double * data,
                                   double data_const) {
    return hfx__eval_twice_nll(g->m[k], pars, data, data_const, NULL, g->scratch);
}
