/*
 * cpu-ref.c -- the reference backend: one thread, scalar double precision, the plain evaluator of
 * model/eval.c. It is the oracle that other backends are tested against.
 */
#include "backend/backend.h"

struct cpu_ref_plan {
    const struct hfx_model * m;
    double *                 scratch;
};

static enum hfx_status cpu_ref_plan_create(const struct hfx_model * m, const struct hfx_engine_options * opts,
                                           void ** plan, struct hfx_error * err) {
    (void) opts;
    struct cpu_ref_plan * p = hfx__calloc(1, sizeof *p);
    if (p) {
        p->scratch = hfx__malloc(hfx__eval_scratch_size(m) * sizeof(double));
    }
    if (!p || !p->scratch) {
        free(p);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    p->m  = m;
    *plan = p;
    return HFX_OK;
}

static void cpu_ref_plan_free(void * plan) {
    struct cpu_ref_plan * p = plan;
    if (p) {
        free(p->scratch);
        free(p);
    }
}

static enum hfx_status cpu_ref_eval(void * plan, size_t n, const double * pars, const double * data,
                                    size_t data_stride, const double * data_const, double * out, double * grad,
                                    struct hfx_error * err) {
    (void) err;
    struct cpu_ref_plan * p = plan;
    hfx__eval_range(p->m, 0, n, pars, data, data_stride, data_const, out, grad, p->scratch);
    return HFX_OK;
}

const struct hfx_backend_i hfx_backend_cpu_ref = {
    .api_version = HFX_BACKEND_API_VERSION,
    .name        = "cpu-ref",
    .description = "reference: one thread, scalar double precision",
    .available   = NULL,
    .plan_create = cpu_ref_plan_create,
    .plan_free   = cpu_ref_plan_free,
    .eval        = cpu_ref_eval,
};
