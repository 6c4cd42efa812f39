/*
 * infer.h -- internal interface between the inference files (hypotest.c, group.c, upper-limit.c,
 * toys.c).
 *
 * The layer rule (fit/engine-ops.h): inference talks only to the engine. It includes engine-ops.h,
 * fit-job.h and the public hfx/hfx.h, no model/ or backend/ header; it reads the model through the
 * public accessors (hfx_model_poi, ...) and asks the engine for whatever needs the model's tables or
 * a backend (fit jobs, toy draws, expected data, data constants). The buffers it needs between
 * calls (the hypotest's fits and Asimov data) are its own: struct hypo_cache owns them.
 */
#ifndef HFX_INFER_H
#define HFX_INFER_H

#include "fit/engine-ops.h"

/* What a hypotest at any mu shares: the free fit to the data, the Asimov data, the free fit to it.
 * The arrays are the cache's own (hfx__hypo_cache_free), so that an upper-limit grid keeps them
 * across calls while the engine serves others. */
struct hypo_cache {
    hfx_engine_t      e;
    enum hfx_teststat kind;
    const double *    data;
    double            data_const;
    double            free_twice_nll, mu_hat;
    double            asimov_const;
    double            asimov_free_twice_nll, asimov_mu_hat;
    enum hfx_fit_status status; /* the least converged of these fits */
    double *          data_asimov;                            /* [n_bins + n_aux] */
    double *          pars_free, * pars_gen, * pars_asimov_free; /* [n_pars] */
    double *          mem;                                    /* the arrays' block, NULL: borrowed (group.c) */
};

/* The hypotest's stages (group.c: the job state machine of model groups, here for one model on its
 * engine): fills c (free fit, Asimov generator and data, free Asimov fit; data NULL: observed) and,
 * where mu is not NULL, runs the fits at *mu in the same batches and writes the asymptotic result
 * to r (if not NULL). Warnings go to the engine (hfx_engine_warning). c owns its arrays whatever the
 * status: free them with hfx__hypo_cache_free. */
enum hfx_status hfx__hypotest_stages(hfx_engine_t e, const double * data, enum hfx_teststat kind, const double * mu,
                                     struct hypo_cache * c, struct hfx_hypotest_result * r, struct hfx_error * err);

enum hfx_status hfx__hypo_cache_init(struct hypo_cache * c, hfx_engine_t e, const double * data,
                                     enum hfx_teststat kind, struct hfx_error * err);
/* Frees c's arrays (c itself is the caller's); a zeroed cache is a no-op. */
void            hfx__hypo_cache_free(struct hypo_cache * c);
/* The asymptotic hypotest at mu. */
enum hfx_status hfx__hypo_cache_test(struct hypo_cache * c, double mu, struct hfx_hypotest_result * r,
                                     struct hfx_error * err);
/* The asymptotic hypotests at mu[0..n), their 2 n conditional fits as one batch: r[i] is mu[i]'s. */
enum hfx_status hfx__hypo_cache_test_batch(struct hypo_cache * c, const double * mu, size_t n,
                                           struct hfx_hypotest_result * r, struct hfx_error * err);

/* Shared by hfx_hypotest and the model groups' hypotest (group.c), so that both say and compute
 * the same: the options' checks against model m (the tested POI finite and in the POI's bounds, a
 * known statistic, asymptotics only for q, q~ and q0); the error for a model without a POI; whether
 * the Asimov generator's point lies in the free fit's box (then it is the free Asimov minimum:
 * hypotest.c's file comment); the conditional fits at mu to c's data and Asimov data; the
 * asymptotic result from the cache and the two conditional fits. */
enum hfx_status hfx__hypotest_check(hfx_model_t m, const struct hfx_hypotest_options * o, struct hfx_error * err);
enum hfx_status hfx__hypotest_need_poi(hfx_model_t m, struct hfx_error * err);
bool            hfx__gen_in_box(hfx_model_t m, const double * gen);
void hfx__hypotest_qs_jobs(const struct hypo_cache * c, double mu, struct hfx__fit_job * obs,
                           struct hfx__fit_job * asimov);
void hfx__asymptotic_result(const struct hypo_cache * c, const struct hfx__fit_job * obs,
                            const struct hfx__fit_job * asimov, struct hfx_hypotest_result * r);

/* The toy-based calculator (toys.c). */
enum hfx_status hfx__hypotest_toys(hfx_engine_t e, const struct hfx_hypotest_options * opts,
                                   struct hfx_hypotest_result * result, struct hfx_error * err);

#endif /* HFX_INFER_H */
