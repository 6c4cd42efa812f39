/*
 * model.h -- the compiled model: flat, immutable tables that a backend can copy to a device as is.
 *
 * Everything a likelihood evaluation reads is a plain array of numbers or of small POD structs
 * holding indices (no pointers inside them), so a GPU backend uploads each array with one copy.
 * Names and other host-only bookkeeping live beside the tables.
 *
 * Rates. The model is a list of blocks, one per (channel, sample) present in the workspace. Block k
 * covers bins [bin0, bin0 + n_bins) of the concatenated main data and contributes, to bin i,
 *     S_k * P_k,i * (nominal_k,i + sum_h delta_h,i(alpha_h))
 * where S_k is the product of the block's scalar factors (normfactor, lumi, normsys), P_k,i the
 * product of its per-bin factors (shapefactor, shapesys, staterror) and the deltas its histosys.
 */
#ifndef HFX_MODEL_H
#define HFX_MODEL_H

#include "hfx-impl.h"
#include "model/modifier-type.h"

#include <stdint.h>

enum hfx_scalar_kind {
    HFX_SCALAR_FACTOR = 0, /* normfactor, lumi: factor = theta */
    HFX_SCALAR_NORMSYS,    /* factor = code1/code4 interpolation of (hi, lo) */
};

struct hfx_mod_scalar {
    int32_t kind;  /* enum hfx_scalar_kind */
    int32_t par;
    double  hi, lo;
    double  coef[6]; /* normsys code4 polynomial coefficients */
};

struct hfx_mod_perbin {
    int32_t par0; /* the factor of block bin i is theta[par0 + i] */
    int32_t type; /* enum hfx_modifier_type, for bookkeeping */
};

struct hfx_mod_histo {
    int32_t par;
    int32_t pad_;
    int64_t off; /* deltas of block bin i at histo_up[off + i], histo_dn[off + i] */
};

struct hfx_block {
    int32_t channel, sample;
    int64_t bin0, n_bins;
    int64_t nom;          /* nominal of block bin i at nominal[nom + i] */
    int32_t scalar0, n_scalar;
    int32_t perbin0, n_perbin;
    int32_t histo0, n_histo;
};

/* Constraint terms; aux indexes the auxiliary part of the data vector (after the main bins). */
struct hfx_gauss { int32_t par, aux; double sigma; };
struct hfx_pois  { int32_t par, aux; double tau; };

struct hfx_parset {
    const char *           name;
    enum hfx_modifier_type type;
    size_t                 offset, size;
};

struct hfx_model {
    struct hfx__arena arena; /* names */

    /* layout */
    size_t              n_pars, n_parsets, n_bins, n_aux;
    struct hfx_parset * parsets;
    long                poi;                   /* -1: none */
    double *            init, * lower, * upper;
    bool *              fixed;
    const char **       par_names;             /* "name" or "name[i]" per parameter */
    size_t              n_channels, n_samples;
    const char **       channel_names;         /* sorted */
    size_t *            channel_bin0, * channel_n_bins;
    const char **       sample_names;          /* sorted, over all channels */
    size_t              n_modifier_entries;
    int                 normsys_code, histosys_code; /* enum hfx_interp_code, resolved (never DEFAULT) */

    /* tables */
    size_t                  n_blocks, n_scalar, n_perbin, n_histo, n_nominal, n_histo_vals, n_gauss, n_pois;
    struct hfx_block *      blocks;
    struct hfx_mod_scalar * scalars;
    struct hfx_mod_perbin * perbins;
    struct hfx_mod_histo *  histos;
    double *                nominal;
    double *                histo_up, * histo_dn;
    double *                histo_s, * histo_a;   /* code4p's S = (up + dn)/2 and A = (up - dn)/16 per value,
                                                   * computed once here rather than per evaluation (interp.h) */
    struct hfx_gauss *      gauss;
    struct hfx_pois *       pois;
    int32_t                 n_scalar_max;     /* largest n_scalar over blocks (scratch sizing) */

    double *                observed;         /* [n_bins + n_aux] */

    /* Parameters around whose init (0) the likelihood may have a minimum on each side, which fits
     * therefore explore (fit.c): a kink at 0 (normsys code1, histosys code0: only piecewise smooth),
     * or no first-order effect at 0 at all (every histosys template with hi - nom = lo - nom, every
     * normsys flat at 0), where the gradient vanishes and a descent method never moves it. */
    bool *                  explore;          /* [n_pars] */
    bool *                  flat_at_init;     /* [n_pars] the second kind */
    size_t                  n_explore;
    /* Parameters with a non-monotone interpolation (a normsys or histosys template whose up and down
     * variations lie on the same side of nominal): a double well is possible anywhere; explored only
     * by thorough fits, since published models have dozens of them. */
    bool *                  nonmonotone;      /* [n_pars] */
    size_t                  n_nonmonotone;
};

/* The data-only part of twice_nll: 2 sum lgamma(n+1) over main bins, plus per constraint
 * log(2 pi) + 2 log(sigma) (Gaussian) or 2 lgamma(aux + 1) (Poisson). Computed once per data vector. */
double hfx__data_constant(const struct hfx_model * m, const double * data);

/* Reference evaluation of twice_nll (minus nothing: the constant is added) and its gradient.
 * scratch must hold at least hfx__eval_scratch_size(m) doubles; grad may be NULL. No allocation. */
size_t hfx__eval_scratch_size(const struct hfx_model * m);
double hfx__eval_twice_nll(const struct hfx_model * m, const double * pars, const double * data, double data_const,
                           double * grad, double * scratch);

/* Points [begin, end) of a backend's batch (the layout of struct hfx_backend_i.eval), one after the
 * other with the reference evaluator: the loop both CPU backends run. */
void   hfx__eval_range(const struct hfx_model * m, size_t begin, size_t end, const double * pars, const double * data,
                       size_t data_stride, const double * data_const, double * out, double * grad, double * scratch);

/* The diagonal of the expected (Fisher) information of twice_nll at pars, [n_pars], with the
 * contributions of samples sharing a bin added in squares rather than squared in sum: a cheap
 * curvature scale per parameter, which fits use to precondition the minimizer. */
void   hfx__fisher_diag(const struct hfx_model * m, const double * pars, double * out, double * scratch);

/* Expected main rates [n_bins] and auxiliary expectations [n_aux] at pars. */
void   hfx__expected_data(const struct hfx_model * m, const double * pars, double * out, double * scratch);

#endif /* HFX_MODEL_H */
