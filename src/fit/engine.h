/*
 * engine.h -- a model bound to a backend, and the batch driver that runs fits on it.
 *
 * A fit lives in a slot (fit-slot.h), not in the engine. A batch holds K slots and advances them
 * together: each round gathers the pending point of every active slot into one backend call
 * (data_stride = n_data when their data differ), feeds each slot its value, and tells the caller
 * about every fit that ended, so that it can start the next job in that slot. Every buffer is
 * allocated when the batch is made: nothing is allocated per round. A single fit is a batch of one,
 * so batched and sequential fits run the same code and give the same numbers to the bit. Backends
 * that run fits themselves (backend.h: fit_jobs) take whole lists of jobs instead (hfx__fit_jobs
 * chooses; docs/batching.md).
 */
#ifndef HFX_ENGINE_H
#define HFX_ENGINE_H

#include "backend/backend.h"
#include "kernel/fit-slot.h"
#include <stdatomic.h>

struct hfx__batch {
    hfx_engine_t           e;
    size_t                 cap;
    size_t                 n;          /* slots in use: the first n (hfx__engine_batch sets it) */
    struct hfx__fit_slot * slots;      /* [cap] */
    void *                 slot_mem;   /* the slots' arrays, hfx__slot_bytes each */
    /* one round's gathered points */
    double *               pars, * grad; /* [cap * n_pars] */
    double *               out;          /* [cap] */
    double *               data;         /* [cap * n_data], used when the points' data differ */
    double *               data_const;   /* [cap] */
    size_t *               active;       /* [cap] slot of each gathered point */
};

struct hfx_engine {
    const struct hfx_model *     m;
    const struct hfx_backend_i * be;
    void *                       plan;
    size_t                       n_data;  /* n_bins + n_aux */
    struct hfx__fit_settings     how;     /* explore and max_iter, from hfx_engine_options */

    struct hfx__batch * batch;            /* the engine's own batch, grown on demand (hfx__engine_batch) */
    size_t              batch_max;        /* fits per batch: hfx_engine_options.batch or the backend's choice */

    /* uncertainties: the Hessian's points go to the backend in chunks of hess_chunk */
    void *   hess_ws;
    size_t   hess_chunk;
    double * hess_pars, * hess_grad, * hess_out; /* [hess_chunk * n_pars], ..., [hess_chunk] */
    double * cov;                                /* [n_pars * n_pars] */
    double * unc;                                /* [n_pars] */

    /* inference buffers */
    double * data_asimov;                      /* [n_data] */
    double * pars_free, * pars_gen;            /* [n_pars] the hypotest's free fit and Asimov generator */
    double * pars_asimov_free;                 /* [n_pars] the free fit to the Asimov data */
    double * eval_scratch;                     /* model expected-data scratch */

    struct hfx_engine_stats stats;

    /* multimodal-fit warnings of the current public call (hfx_engine_warning) */
    struct hfx_fit_warning * warnings;
    size_t                   n_warnings, cap_warnings;

    atomic_bool cancel; /* hfx_engine_cancel: the running call stops at its next round */
};

/* Whether the running call on e is asked to stop (hfx_engine_cancel, hfx_cancel_all). */
bool            hfx__cancelled(hfx_engine_t e);
/* The error of a call that stopped on request: HFX_ERR_CANCELLED with its message. */
enum hfx_status hfx__cancel_error(struct hfx_error * err);

/* Every evaluation goes through here, so that the work counters see it. */
static inline enum hfx_status hfx__engine_eval(hfx_engine_t e, size_t n, const double * pars, const double * data,
                                               size_t data_stride, const double * data_const, double * out,
                                               double * grad, struct hfx_error * err) {
    e->stats.n_eval_calls += 1;
    e->stats.n_points += n;
    return e->be->eval(e->plan, n, pars, data, data_stride, data_const, out, grad, err);
}

//
// Batches
//

/* The engine's batch with want slots in use, or fewer where batch_max or memory say so (at least
 * one; b->n says how many). Owned by the engine; results in its slots stay valid until the next fit. */
enum hfx_status hfx__engine_batch(hfx_engine_t e, size_t want, struct hfx__batch ** out, struct hfx_error * err);

/* Starts the fit the caller has described in slot i (data, data_const, x0, fixed, explore, max_iter,
 * tag). */
void hfx__batch_start(struct hfx__batch * b, size_t i);

/* Called for each fit that ends, with the slot (phase DONE): read the result, then start another fit
 * in it (hfx__batch_start) or leave it. A non-OK return stops the run with that status. */
typedef enum hfx_status (*hfx__fit_done_fn)(void * user, struct hfx__batch * b, size_t slot, struct hfx_error * err);

/* Runs rounds until no slot is active. Slots that end are left DONE (or whatever on_done made of
 * them). Errors: the backend's, or on_done's. */
enum hfx_status hfx__batch_run(struct hfx__batch * b, hfx__fit_done_fn on_done, void * user, struct hfx_error * err);

//
// Fits for inference
//

/* Runs n independent jobs (fit-slot.h): on the backend itself where it runs fits (backend.h:
 * fit_jobs) and the engine batches, else as one lock-step batch of up to batch_max slots. A job
 * whose start is not finite ends with status FAILED; with strict that is an error, as in hfx_fit. */
enum hfx_status hfx__fit_jobs(hfx_engine_t e, struct hfx__fit_job * jobs, size_t n, bool strict,
                              struct hfx_error * err);

//
// Toys
//

/* Draws the toys of sets[0, n_sets) (backend.h: struct hfx__toy_set; each set's expected is left
 * NULL by the caller: the engine computes it from pars on the host) one after the other: toy r into
 * data + r * n_data, its hfx__data_constant into data_const[r]. On the backend where it has its own
 * sampler (backend.h: sample_toys, e.g. on the device that then fits them), else on the host with
 * hfx__kernel_sample_toy. Either way toy i of a set is the one stream stream0 + i of seed gives, on
 * every backend, thread count and chunking. data and data_const are the caller's. Errors: out of
 * memory, the backend's. */
enum hfx_status hfx__engine_sample_toys(hfx_engine_t e, const struct hfx__toy_set * sets, size_t n_sets,
                                        uint64_t seed, double * data, double * data_const, struct hfx_error * err);

/* Starts the warning list of a public call afresh. */
void hfx__engine_warnings_reset(hfx_engine_t e);

/* Records a warning where job j (role set, result in) found a minimum more than
 * HFX_MULTIMODAL_DELTA below its first descent's. hfx__fit_jobs calls it for every job. */
enum hfx_status hfx__engine_note_descent(hfx_engine_t e, const struct hfx__fit_job * j, struct hfx_error * err);

/* The same for a warning list of the caller's (*list grown with realloc, freed by the caller):
 * what model groups keep per model (infer/group.h). m is the job's model (the parameters a job
 * holds are named from it); explore is the fits' enum hfx_explore. */
enum hfx_status hfx__warnings_note(struct hfx_fit_warning ** list, size_t * n_list, size_t * cap_list,
                                   const struct hfx_model * m, int explore, const struct hfx__fit_job * j,
                                   struct hfx_error * err);

/* How fits run from the engine options (NULL: the defaults); HFX_ERR_ARG for an unknown optimizer.
 * hfx_engine_create and model groups share it. */
enum hfx_status hfx__fit_settings_from(const struct hfx_engine_options * opts, struct hfx__fit_settings * how,
                                       struct hfx_error * err);

/* The error where a fit of model m (with history, hfx__fit_settings) would need more memory than
 * hfx allows one fit (HFX_ERR_UNSUPPORTED, with the numbers); HFX_OK otherwise. */
enum hfx_status hfx__fit_check_size(const struct hfx_model * m, int history, struct hfx_error * err);

/* The error for a fit whose start point is not finite. */
enum hfx_status hfx__fit_bad_start(struct hfx_error * err);

#endif /* HFX_ENGINE_H */
