/*
 * sample-kernel.h -- one toy data set drawn from the model's pdf, as an HFX_HD function that the
 * host's sampler (the engine's default, fit/fit.c) and the CUDA backend's sampling kernel both run:
 * main bins Poisson(lambda_b) at the generating expectation, Gaussian auxiliary data
 * Normal(theta, sigma), Poisson auxiliary data Poisson(gamma tau), all from one Philox stream
 * (kernel/rng-kernel.h) in that order. The layout of the draws is fixed: toys drawn before this code
 * moved here (tests/data/rng_golden.txt) must come out the same.
 *
 * Device rules as kernel/eval-kernel.h: every input is a table of struct hfx_model or a caller's array.
 */
#ifndef HFX_SAMPLE_KERNEL_H
#define HFX_SAMPLE_KERNEL_H

#include "kernel/rng-kernel.h"
#include "hfx-hd.h"
#include "model/model.h"

/* Writes toy[0, n_bins + n_aux): the toy of stream `stream` of seed drawn at the parameters pars,
 * whose main-bin expectation is expected[0, n_bins) (hfx__expected_data of pars). A bin of
 * expectation <= 0 gets 0 with no draw. */
HFX_HD static inline void hfx__kernel_sample_toy(const struct hfx_model * m, const double * expected,
                                                 const double * pars, uint64_t seed, uint64_t stream,
                                                 double * toy) {
    struct hfx_rng rng;
    hfx__rng_init(&rng, seed, stream);
    for (size_t b = 0; b < m->n_bins; ++b) {
        double lam = expected[b];
        toy[b]     = lam > 0 ? hfx__rng_poisson(&rng, lam) : 0.0;
    }
    double * aux = toy + m->n_bins;
    for (size_t k = 0; k < m->n_gauss; ++k) {
        aux[m->gauss[k].aux] = pars[m->gauss[k].par] + m->gauss[k].sigma * hfx__rng_normal(&rng);
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        aux[m->pois[k].aux] = hfx__rng_poisson(&rng, pars[m->pois[k].par] * m->pois[k].tau);
    }
}

#endif /* HFX_SAMPLE_KERNEL_H */
