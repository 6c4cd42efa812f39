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
 *
 * This header is the engine's inside, for src/fit/ and the backends' white-box tests: the struct, the
 * batch driver, the model's tables and the backend table. Inference and the analyses see the engine
 * only through fit/engine-ops.h (its layer rule: they include no model/ or backend/ header).
 */
#ifndef HFX_ENGINE_H
#define HFX_ENGINE_H

#include "backend/backend.h"
#include "fit/engine-ops.h"
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
// Fits for inference: engine-ops.h (hfx__fit_jobs, hfx__engine_sample_toys, ...)
//

/* Records a warning where job j (role set, result in) found a minimum more than
 * HFX_MULTIMODAL_DELTA below its first descent's. hfx__fit_jobs calls it for every job. */
enum hfx_status hfx__engine_note_descent(hfx_engine_t e, const struct hfx__fit_job * j, struct hfx_error * err);

#endif /* HFX_ENGINE_H */
