/*
 * fit-job.h -- the plain data that the engine hands out and gets back: a fit job (one fit of
 * inference, its settings and its result), a set of toys to draw. No model tables and no
 * functions: inference (src/infer/), the analyses (src/workflow/) and the backends all read these
 * structs, and none of them needs another's headers for it (engine-ops.h has the layer rule).
 */
#ifndef HFX_FIT_JOB_H
#define HFX_FIT_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a fit's minimum differs from the one its first descent reached (the single descent from the
 * start that pyhf and ROOT make, --explore none): set by hfx__slot_result, so that every backend
 * reports it the same way. n_moved > 0 only where the minimum lies more than HFX_MULTIMODAL_DELTA
 * below the descent's; then the parameters that differ most, largest difference first. */
struct hfx__fit_descent {
    double twice_nll;          /* the first descent's minimum */
    int    n_moved;
    int    moved[3];
    double at_descent[3], at_best[3];
};

/* One fit of inference, as callers hand it over: the model's fixed set (or the job's own), the POI
 * free or held at poi_value. Plain data, so that a backend can run jobs itself (backend.h: fit_jobs). */
struct hfx__fit_job {
    const double * data;       /* [n_bins + n_aux] */
    double         data_const; /* hfx__data_constant of data */
    const double * start;      /* [n_pars], NULL: the model's init */
    const bool *   fixed;      /* [n_pars] held at their start values, NULL: the model's fixed set (the
                                  parameters a ranking or a profile scan holds: src/workflow/) */
    bool           poi_fixed;
    double         poi_value;
    size_t         tag;        /* the caller's */
    int            role;       /* enum hfx_fit_role: what the fit is, for warnings (NONE: no warning) */
    bool           asimov;     /* the data are the Asimov data (for warnings) */
    /* results */
    double         twice_nll;  /* INFINITY where the start was not finite (status FAILED) */
    double *       pars_out;   /* [n_pars] the best fit is copied here, or NULL */
    int            status;     /* enum hfx_fit_status */
    int            n_eval;     /* points evaluated */
    struct hfx__fit_descent descent;
    size_t         model;      /* the model of a model group the job fits (backend.h: group_fit_jobs); 0 elsewhere */
};

/* How fits run, the same for every fit of an engine (hfx_engine_options). */
struct hfx__fit_settings {
    int explore;  /* enum hfx_explore */
    int max_iter; /* iterations of one descent */
    int history;  /* the minimizer's (s, y) pairs, 0: dense BFGS (hfx_min_options; sizes the slots) */
    /* whether the call is asked to stop (hfx_engine_cancel): a backend that runs lists of fits
     * itself asks it between fits; NULL: never. A function, not an atomic, so that C++ (CUDA) sees
     * a plain type. */
    bool (*cancelled)(const void * ctx);
    const void * cancel_ctx;
};

/* Toys to draw (sample_toys; the engine's hfx__engine_sample_toys): n toys from the model at the
 * parameters pars, toy i of the set from stream stream0 + i of the seed (kernel/sample-kernel.h).
 * expected is pars' expected data, which the engine computes (hfx__engine_expected_data) before
 * it hands the set to a backend, so that every backend draws from the same means. */
struct hfx__toy_set {
    const double * pars;     /* [n_pars] */
    const double * expected; /* [n_bins + n_aux] */
    uint64_t       stream0;
    size_t         n;
};

#endif /* HFX_FIT_JOB_H */
