/*
 * infer.h -- internal interface between the inference files (hypotest.c, upper-limit.c, toys.c).
 */
#ifndef HFX_INFER_H
#define HFX_INFER_H

#include "fit/engine.h"

/* What a hypotest at any mu shares: the free fit to the data, the Asimov data, the free fit to it. */
struct hypo_cache {
    hfx_engine_t      e;
    enum hfx_teststat kind;
    const double *    data;
    double            data_const;
    double            free_twice_nll, mu_hat;
    double            asimov_const; /* the Asimov data itself is e->data_asimov */
    double            asimov_free_twice_nll, asimov_mu_hat;
    enum hfx_fit_status status; /* the least converged of these fits */
};

/* The hypotest's stages (group.c: the job state machine of model groups, here for one model on its
 * engine): fills c (free fit, Asimov generator and data, free Asimov fit; data NULL: observed) and,
 * where mu is not NULL, runs the fits at *mu in the same batches and writes the asymptotic result
 * to r (if not NULL). Warnings go to the engine (hfx_engine_warning). */
enum hfx_status hfx__hypotest_stages(hfx_engine_t e, const double * data, enum hfx_teststat kind, const double * mu,
                                     struct hypo_cache * c, struct hfx_hypotest_result * r, struct hfx_error * err);

enum hfx_status hfx__hypo_cache_init(struct hypo_cache * c, hfx_engine_t e, const double * data,
                                     enum hfx_teststat kind, struct hfx_error * err);
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
 * hypotest.c's file comment); the conditional fits at mu to c's data and to data_asimov; the
 * asymptotic result from the cache and the two conditional fits. */
enum hfx_status hfx__hypotest_check(const struct hfx_model * m, const struct hfx_hypotest_options * o,
                                    struct hfx_error * err);
enum hfx_status hfx__hypotest_need_poi(const struct hfx_model * m, struct hfx_error * err);
bool            hfx__gen_in_box(const struct hfx_model * m, const double * gen);
void hfx__hypotest_qs_jobs(const struct hypo_cache * c, const double * data_asimov, double mu,
                           struct hfx__fit_job * obs, struct hfx__fit_job * asimov);
void hfx__asymptotic_result(const struct hypo_cache * c, const struct hfx__fit_job * obs,
                            const struct hfx__fit_job * asimov, struct hfx_hypotest_result * r);

/* The toy-based calculator (toys.c). */
enum hfx_status hfx__hypotest_toys(hfx_engine_t e, const struct hfx_hypotest_options * opts,
                                   struct hfx_hypotest_result * result, struct hfx_error * err);

#endif /* HFX_INFER_H */
