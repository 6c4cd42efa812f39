/*
 * eval.c -- the reference likelihood on the host: twice_nll and its analytic gradient, the fisher
 * diagonal, the expected data and the data constant of model.h, in plain scalar C.
 *
 * This is the oracle every backend is compared with ("cpu-ref") and the loop the CPU backends run.
 * The math itself lives in eval-kernel.h, shared with the CUDA backend, so that the code the CPU
 * tests check is the code the GPU runs; the functions here only bind it to host memory.
 */
#include "kernel/eval-kernel.h"
#include "model/model.h"

double hfx__data_constant(const struct hfx_model * m, const double * data) {
    return hfx__kernel_data_constant(m, data);
}

size_t hfx__eval_scratch_size(const struct hfx_model * m) { return hfx__kernel_scratch_size(m); }

double hfx__eval_twice_nll(const struct hfx_model * m, const double * pars, const double * data, double data_const,
                           double * grad, double * scratch) {
    return hfx__kernel_twice_nll(m, pars, data, data_const, grad, scratch);
}

void hfx__eval_range(const struct hfx_model * m, size_t begin, size_t end, const double * pars, const double * data,
                     size_t data_stride, const double * data_const, double * out, double * grad, double * scratch) {
    size_t np = m->n_pars;
    for (size_t k = begin; k < end; ++k) {
        out[k] = hfx__kernel_twice_nll(m, pars + k * np, data + k * data_stride, data_const[data_stride ? k : 0],
                                       grad ? grad + k * np : NULL, scratch);
    }
}

void hfx__expected_data(const struct hfx_model * m, const double * pars, double * out, double * scratch) {
    hfx__kernel_expected_data(m, pars, out, scratch);
}

void hfx__fisher_diag(const struct hfx_model * m, const double * pars, double * out, double * scratch) {
    hfx__kernel_fisher_diag(m, pars, out, scratch);
}
