/*
 * backend.h -- the backend interface: how a compute device evaluates twice_nll and its gradient.
 *
 * A backend is a table of function pointers plus a name in the registry (backend.c). A backend
 * compiles a model into a plan (uploading tables to its device, allocating per-thread scratch); the
 * plan then evaluates twice_nll at a batch of points. Batches are how GPUs earn their keep: many
 * toys, many patches or many optimizer iterates at once. Everything above this interface (fits,
 * inference, the CLI) is backend-agnostic; a new backend is one folder and one table.
 *
 * Layer rule: the backend layer includes the kernels below it (kernel/), the compiled model
 * (model/model.h) and core only: never fit/ (the engine above), spec/, io/ or JSON
 * (docs/architecture.md; tests/python/test_layers.py checks it).
 */
#ifndef HFX_BACKEND_H
#define HFX_BACKEND_H

#include "model/model.h"

#define HFX_BACKEND_API_VERSION 1

struct hfx__fit_job; /* kernel/fit-job.h */
struct hfx__toy_set; /* kernel/fit-job.h */
struct hfx__fit_settings;

struct hfx_backend_i {
    int          api_version;
    const char * name;
    const char * description;
    /* (optional) false when the backend is compiled in but cannot run here (no device); why gets a
     * static reason. NULL means always available. */
    bool (*available)(const char ** why);
    /* Compiles model m for this backend; *plan is freed with plan_free. The model outlives the plan. */
    enum hfx_status (*plan_create)(const struct hfx_model * m, const struct hfx_engine_options * opts, void ** plan,
                                   struct hfx_error * err);
    void (*plan_free)(void * plan);
    /* twice_nll at n points. Point k reads pars + k * n_pars and data + k * data_stride (data_stride
     * 0: all points share one data vector of n_bins + n_aux values) and data_const[k * (data_stride != 0)]
     * (hfx__data_constant of its data). Writes out[k] and, if grad is not NULL, grad + k * n_pars. */
    enum hfx_status (*eval)(void * plan, size_t n, const double * pars, const double * data, size_t data_stride,
                            const double * data_const, double * out, double * grad, struct hfx_error * err);
    /* (optional) how many fits a batch should advance together to keep this plan busy (threads
     * times a few, a device thousands); NULL: 1, fits one at a time. */
    size_t (*batch_size)(void * plan);
    /* (optional) runs n independent fits to the end on the backend itself, each in a thread of its
     * own (a CPU thread, a device thread) with hfx__slot_run (kernel/fit-slot.h): the same fit code,
     * with no round trip per iteration. Fills each job's results; how is the engine's settings.
     * NULL: the engine drives fits in lock-step batches through eval. */
    enum hfx_status (*fit_jobs)(void * plan, struct hfx__fit_job * jobs, size_t n, const struct hfx__fit_settings * how,
                                struct hfx_error * err);
    /* (optional, all three or none) Model groups (docs/batching.md, "Patch grids on a device"):
     * group_create compiles the n models m[0..n) side by side (every one of the same shape: n_pars,
     * n_bins, n_aux; the caller groups them, infer/group.h) into *group, freed with group_free;
     * the models outlive it. group_fit_jobs runs n independent fits as fit_jobs does, job j on model
     * jobs[j].model of the group, a thread each, and fills each job's results. NULL: the backend
     * has no groups (the caller then runs a plan per model). */
    enum hfx_status (*group_create)(const struct hfx_model * const * m, size_t n, const struct hfx_engine_options * opts,
                                    void ** group, struct hfx_error * err);
    void (*group_free)(void * group);
    enum hfx_status (*group_fit_jobs)(void * group, struct hfx__fit_job * jobs, size_t n,
                                      const struct hfx__fit_settings * how, struct hfx_error * err);
    /* Whether hfx scan runs patches as model groups by default on this backend: where one patch's
     * fits are far too little work for a call (a device launch). */
    bool group_default;
    /* (optional) draws toy data where this plan's fits run, with hfx__kernel_sample_toy
     * (kernel/sample-kernel.h): the toys of sets[0, n_sets) one after the other, toy r into
     * data + r * (n_bins + n_aux) and its hfx__data_constant into data_const[r], on the host's
     * arrays. A backend that keeps the toys where it drew them may take them from there for fits
     * of those very rows (jobs whose data point into data and still hold what was drawn). NULL: the
     * engine draws on the host (fit/fit.c). */
    enum hfx_status (*sample_toys)(void * plan, const struct hfx__toy_set * sets, size_t n_sets, uint64_t seed,
                                   double * data, double * data_const, struct hfx_error * err);
    /* (optional) the expected data at n points (point k at pars + k * n_pars) into out + k *
     * (n_bins + n_aux), main rates then auxiliary expectations, on the host's arrays: what the Asimov
     * data and the toys' means are made of. Only for a backend that computes them as the host does
     * (the HFX_HD kernel, the same roundings), so that they do not depend on the backend. NULL: the
     * engine computes them on the host (fit/fit.c: hfx__engine_expected_data). */
    enum hfx_status (*expected_data)(void * plan, size_t n, const double * pars, double * out, struct hfx_error * err);
};

/* The registry: backends compiled into this build, in preference order. */
size_t                       hfx__backend_count(void);
const struct hfx_backend_i * hfx__backend_get(size_t i);
const struct hfx_backend_i * hfx__backend_find(const char * name);

extern const struct hfx_backend_i hfx_backend_cpu_ref;
extern const struct hfx_backend_i hfx_backend_cpu;
#ifdef HFX_USE_CUDA
/* src/backend/cuda/cuda.cu (nvcc): available() asks the CUDA runtime once per process. */
extern const struct hfx_backend_i hfx_backend_cuda;
#endif

#endif /* HFX_BACKEND_H */
