/*
 * engine-ops.h -- what the layers above the engine (inference, src/infer/; the analyses,
 * src/workflow/) may ask of it: fit jobs, toy draws, expected data and data constants, for one model
 * on its engine and for model groups. The engine stays opaque here.
 *
 * The layer rule: src/infer/ and src/workflow/ talk only to the engine. They include this header,
 * kernel/fit-job.h and the public hfx/hfx.h, never a model/ or backend/ header (nor fit/engine.h,
 * which includes them), and they read the model only through the public accessors (hfx_model_poi,
 * hfx_model_lower, ...). Whatever needs the model's tables or a backend (expected data, the data
 * constant, a fit, a toy draw) is an operation here, so that a backend can take it over behind the
 * engine (backend.h's optional slots: sample_toys, expected_data, fit_jobs) without inference
 * knowing. The buffers of inference (the hypotest's fits and Asimov data, a grid's cache) are
 * inference's own (infer/infer.h: struct hypo_cache): the engine holds none of them between calls.
 */
#ifndef HFX_ENGINE_OPS_H
#define HFX_ENGINE_OPS_H

#include "kernel/fit-job.h"
#include "hfx-impl.h"

//
// One model on its engine
//

/* The engine's data vectors: n_bins + n_aux values (main bins, then auxiliary data). */
size_t hfx__engine_n_data(hfx_engine_t e);

/* Fits the engine advances together (hfx_engine_options.batch, or the backend's choice): how many
 * fits a caller should hand over at once to keep the backend busy. */
size_t hfx__engine_batch_max(hfx_engine_t e);

/* The expected data at n points, point k at pars + k * n_pars, into out + k * n_data (main rates,
 * then auxiliary expectations): the Asimov data of a hypotest, the means of toys. On the backend
 * where it has them (backend.h: expected_data), else on the host with the model's reference code;
 * the same numbers either way. out is the caller's. Errors: out of memory, the backend's. */
enum hfx_status hfx__engine_expected_data(hfx_engine_t e, size_t n, const double * pars, double * out,
                                          struct hfx_error * err);

/* The data-only part of twice_nll for data ([n_data]): what a fit job's data_const is (fit-job.h).
 * The model form is for callers with a model and no engine (the goodness of fit: it is the
 * saturated model's twice_nll). */
double hfx__engine_data_constant(hfx_engine_t e, const double * data);
double hfx__engine_model_data_constant(hfx_model_t m, const double * data);

/* Runs n independent jobs (fit-job.h): on the backend itself where it runs fits (backend.h:
 * fit_jobs) and the engine batches, else as one lock-step batch of up to batch_max slots. A job
 * whose start is not finite ends with status FAILED; with strict that is an error, as in hfx_fit. */
enum hfx_status hfx__fit_jobs(hfx_engine_t e, struct hfx__fit_job * jobs, size_t n, bool strict,
                              struct hfx_error * err);

/* Draws the toys of sets[0, n_sets) (fit-job.h: struct hfx__toy_set; each set's expected is left
 * NULL by the caller: the engine computes it from pars with hfx__engine_expected_data) one after the
 * other: toy r into data + r * n_data, its data constant into data_const[r]. On the backend where it
 * has its own sampler (backend.h: sample_toys, e.g. on the device that then fits them), else on the
 * host with hfx__kernel_sample_toy. Either way toy i of a set is the one stream stream0 + i of seed
 * gives, on every backend, thread count and chunking. data and data_const are the caller's. Errors:
 * out of memory, the backend's. */
enum hfx_status hfx__engine_sample_toys(hfx_engine_t e, const struct hfx__toy_set * sets, size_t n_sets,
                                        uint64_t seed, double * data, double * data_const, struct hfx_error * err);

/* Starts the warning list of a public call afresh. */
void hfx__engine_warnings_reset(hfx_engine_t e);

//
// Fits without an engine of their own (model groups)
//

/* Records a warning in a warning list of the caller's (*list grown with realloc, freed by the
 * caller) where job j found a minimum more than HFX_MULTIMODAL_DELTA below its first descent's:
 * what model groups keep per model (infer/group.h); an engine keeps its own (hfx_engine_warning).
 * m is the job's model (the parameters a job holds are named from it); explore is the fits'
 * enum hfx_explore. */
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

/* Model groups (backend.h: group_create; docs/batching.md, "Patch grids on a device"): models of one
 * shape side by side in one backend plan, every fit job carrying its model's index (job.model). */
struct hfx__engine_group;

/* HFX_ERR_NOT_FOUND where this build has no backend of eo's name (NULL: cpu-ref). */
enum hfx_status hfx__engine_backend_check(const struct hfx_engine_options * eo, struct hfx_error * err);

/* Whether the backend of eo has model groups and can run here; whether it runs scans as groups by
 * default (backend.h: group_default). */
bool hfx__engine_groups_available(const struct hfx_engine_options * eo);
bool hfx__engine_groups_preferred(const struct hfx_engine_options * eo);

/* Compiles models m[0..n) (one shape: n_pars, n_bins, n_aux) into a group on eo's backend, whose
 * fits run with how; *out is freed with hfx__engine_group_free (NULL: no-op). The models (and the
 * array's entries) are borrowed and outlive the group. Errors: the backend's (HFX_ERR_UNSUPPORTED
 * where it cannot hold these models as a group), out of memory. */
enum hfx_status hfx__engine_group_create(const struct hfx_model * const * m, size_t n,
                                         const struct hfx_engine_options * eo, const struct hfx__fit_settings * how,
                                         struct hfx__engine_group ** out, struct hfx_error * err);
void            hfx__engine_group_free(struct hfx__engine_group * g);

/* Runs n independent jobs on the group's models (job j on model jobs[j].model), one backend call,
 * filling each job's results. Errors: the backend's. */
enum hfx_status hfx__engine_group_fit_jobs(struct hfx__engine_group * g, struct hfx__fit_job * jobs, size_t n,
                                           struct hfx_error * err);

/* Model k's expected data at pars into out ([n_bins + n_aux]) and its twice_nll at pars for data
 * (with data_const, hfx__engine_model_data_constant), computed on the host with the reference code
 * every CPU backend evaluates with. No allocation (the group holds the scratch). */
void   hfx__engine_group_expected_data(struct hfx__engine_group * g, size_t k, const double * pars, double * out);
double hfx__engine_group_twice_nll(struct hfx__engine_group * g, size_t k, const double * pars, const double * data,
                                   double data_const);

#endif /* HFX_ENGINE_OPS_H */
