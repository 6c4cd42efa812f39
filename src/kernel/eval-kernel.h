/*
 * eval-kernel.h -- the likelihood of one parameter point, as HFX_HD static inline functions that the
 * C library and the CUDA backend both compile, so that the GPU runs the very code the CPU tests check.
 *
 * twice_nll is computed in two passes. The forward pass accumulates the expected rate lam_b of every
 * bin block by block, keeping each block's per-bin base (nominal plus histosys deltas) and per-bin
 * factor product P in scratch; the Poisson and constraint terms then give twice_nll and
 * w_b = d twice_nll / d lam_b; the backward pass pushes w through each modifier. Products of factors
 * are differentiated with prefix/suffix products rather than division, so that a normfactor at
 * exactly 0 (mu = 0 fits) is exact. The fisher diagonal, the expected data and the data constant
 * reuse the same pieces.
 *
 * Sections: per-entry pieces (one modifier, one block bin: what a device kernel that spreads a point
 * over many threads calls), whole-point passes (what the CPU backends and the one-thread-per-point
 * kernel call), and the other per-point quantities.
 *
 * Device rules for everything here: no memset/memcpy or other libc beyond <math.h>, no static tables,
 * no allocation; every input is a table of struct hfx_model, so a copy of the struct whose table
 * pointers point to device memory works unchanged.
 */
#ifndef HFX_EVAL_KERNEL_H
#define HFX_EVAL_KERNEL_H

#include "hfx-hd.h"
#include "kernel/interp.h"
#include "model/model.h"

#include <math.h>

//
// Per-entry pieces
//

/* log(2 pi): a literal, since device code cannot read a host static. */
#define HFX__LOG_2PI 1.8378770664093454836

/* Scalar factor s of a block (normfactor, lumi, normsys) and its derivative df by its parameter. */
HFX_HD static inline double hfx__kernel_scalar_factor(const struct hfx_model * m, const struct hfx_mod_scalar * s,
                                                      const double * pars, double * df) {
    double t = pars[s->par];
    if (s->kind == HFX_SCALAR_FACTOR) {
        *df = 1.0;
        return t;
    }
    if (m->normsys_code == HFX_INTERP_CODE1) {
        return hfx_normsys_code1(t, s->hi, s->lo, df);
    }
    return hfx_normsys_code4(t, s->hi, s->lo, s->coef, df);
}

/* The delta one histosys adds to a bin, and d delta / d alpha in dd. */
HFX_HD static inline double hfx__kernel_histo_delta(int code, double alpha, double up, double dn, double * dd) {
    switch (code) {
    case HFX_INTERP_CODE0:
        return hfx_histosys_code0(alpha, up, dn, dd);
    case HFX_INTERP_CODE2:
        return hfx_histosys_code2(alpha, up, dn, dd);
    default:
        return hfx_histosys_code4p(alpha, up, dn, dd);
    }
}

/* d delta / d alpha of histosys hs at block bin i. */
HFX_HD static inline double hfx__kernel_histo_slope(const struct hfx_model * m, const struct hfx_mod_histo * hs,
                                                    const double * pars, int64_t i) {
    double dd;
    hfx__kernel_histo_delta(m->histosys_code, pars[hs->par], m->histo_up[hs->off + i], m->histo_dn[hs->off + i], &dd);
    return dd;
}

/* S, the product of the block's scalar factors, multiplied in table order. */
HFX_HD static inline double hfx__kernel_block_scale(const struct hfx_model * m, const struct hfx_block * b,
                                                    const double * pars) {
    double s = 1.0, df;
    for (int32_t j = 0; j < b->n_scalar; ++j) {
        s *= hfx__kernel_scalar_factor(m, &m->scalars[b->scalar0 + j], pars, &df);
    }
    return s;
}

/* The same S, keeping each factor and its derivative at f[scalar0 + j], df[scalar0 + j] (indexed
 * like the scalars table) for the gradient. */
HFX_HD static inline double hfx__kernel_block_scale_keep(const struct hfx_model * m, const struct hfx_block * b,
                                                         const double * pars, double * HFX_RESTRICT f,
                                                         double * HFX_RESTRICT df) {
    double s = 1.0;
    for (int32_t j = 0; j < b->n_scalar; ++j) {
        int32_t k = b->scalar0 + j;
        f[k]      = hfx__kernel_scalar_factor(m, &m->scalars[k], pars, &df[k]);
        s *= f[k];
    }
    return s;
}

/* Block bin i: returns its base (nominal plus histosys deltas) and writes the product of its per-bin
 * factors to *prod; the bin's rate is S * prod * base. */
HFX_HD static inline double hfx__kernel_block_bin(const struct hfx_model * m, const struct hfx_block * b,
                                                  const double * pars, int64_t i, double * prod) {
    double v = m->nominal[b->nom + i];
    for (int32_t h = 0; h < b->n_histo; ++h) {
        const struct hfx_mod_histo * hs = &m->histos[b->histo0 + h];
        double                       dd;
        v += hfx__kernel_histo_delta(m->histosys_code, pars[hs->par], m->histo_up[hs->off + i],
                                     m->histo_dn[hs->off + i], &dd);
    }
    double p = 1.0;
    for (int32_t q = 0; q < b->n_perbin; ++q) {
        p *= pars[m->perbins[b->perbin0 + q].par0 + i];
    }
    *prod = p;
    return v;
}

/* The product of the block's per-bin factors at bin i other than factor q (no division: a factor
 * may be exactly 0). */
HFX_HD static inline double hfx__kernel_perbin_other(const struct hfx_model * m, const struct hfx_block * b,
                                                     const double * pars, int32_t q, int64_t i) {
    double other = 1.0;
    for (int32_t r = 0; r < b->n_perbin; ++r) {
        if (r != q) {
            other *= pars[m->perbins[b->perbin0 + r].par0 + i];
        }
    }
    return other;
}

/* out[j] = df[j] * (product of the n factors f other than f[j]), from the prefix product (running)
 * and the suffix product (kept in out until overwritten): no division, a factor may be exactly 0.
 * out may not overlap f or df. */
HFX_HD static inline void hfx__kernel_slopes_of(int32_t n, const double * f, const double * df, double * out) {
    if (n == 0) {
        return;
    }
    out[n - 1] = 1.0; /* out[j] = f[j+1] * ... * f[n-1], multiplied from the end */
    for (int32_t j = n - 2; j >= 0; --j) {
        out[j] = out[j + 1] * f[j + 1];
    }
    double pre = 1.0; /* f[0] * ... * f[j-1] */
    for (int32_t j = 0; j < n; ++j) {
        out[j] = pre * out[j] * df[j];
        pre *= f[j];
    }
}

/* The block's scalar factors f and their derivatives df (n_scalar values each), then
 * hfx__kernel_slopes_of; none of the three arrays may overlap. */
HFX_HD static inline void hfx__kernel_scalar_slopes(const struct hfx_model * m, const struct hfx_block * b,
                                                    const double * pars, double * f, double * df, double * out) {
    for (int32_t j = 0; j < b->n_scalar; ++j) {
        f[j] = hfx__kernel_scalar_factor(m, &m->scalars[b->scalar0 + j], pars, &df[j]);
    }
    hfx__kernel_slopes_of(b->n_scalar, f, df, out);
}

/* Gaussian constraint k: its term of twice_nll; *dpar gets d term / d theta. */
HFX_HD static inline double hfx__kernel_gauss_term(const struct hfx_model * m, size_t k, const double * pars,
                                                   const double * aux, double * dpar) {
    const struct hfx_gauss * g = &m->gauss[k];
    double                   z = (aux[g->aux] - pars[g->par]) / g->sigma;
    *dpar                      = -(2.0 * z / g->sigma);
    return z * z;
}

/* Poisson constraint k (rate theta * tau): its term of twice_nll; *dpar gets d term / d theta. */
HFX_HD static inline double hfx__kernel_pois_term(const struct hfx_model * m, size_t k, const double * pars,
                                                  const double * aux, double * dpar) {
    const struct hfx_pois * p = &m->pois[k];
    double                  dr;
    double                  t = hfx_poisson_term(aux[p->aux], pars[p->par] * p->tau, &dr);
    *dpar                     = dr * p->tau;
    return t;
}

/* t plus every constraint term, added in table order (Gaussian, then Poisson); grad (NULL: not
 * wanted) gets their derivatives added. */
HFX_HD static inline double hfx__kernel_add_constraints(const struct hfx_model * m, const double * pars,
                                                        const double * aux, double t, double * grad) {
    for (size_t k = 0; k < m->n_gauss; ++k) {
        double d;
        t += hfx__kernel_gauss_term(m, k, pars, aux, &d);
        if (grad) {
            grad[m->gauss[k].par] += d;
        }
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        double d;
        t += hfx__kernel_pois_term(m, k, pars, aux, &d);
        if (grad) {
            grad[m->pois[k].par] += d;
        }
    }
    return t;
}

//
// Whole-point passes
//

/* Scratch of one point, in doubles: lam[n_bins], w[n_bins], base[n_nominal], prod[n_nominal],
 * block S[n_blocks], three arrays of n_scalar_max + 1 for the scalar slopes (and a margin), then
 * what the forward pass keeps for the gradient: the histosys slopes [n_histo_vals], the scalar
 * factors and their derivatives [n_scalar each]. */
HFX_HD static inline size_t hfx__kernel_scratch_size(const struct hfx_model * m) {
    size_t ns = (size_t) m->n_scalar_max + 1;
    return 2 * m->n_bins + 2 * m->n_nominal + m->n_blocks + 4 * ns + 8 + m->n_histo_vals + 2 * m->n_scalar;
}

/* Where the histosys slopes start in a point's scratch. */
HFX_HD static inline double * hfx__kernel_slopes(const struct hfx_model * m, double * scratch) {
    return scratch + 2 * m->n_bins + 2 * m->n_nominal + m->n_blocks + 4 * ((size_t) m->n_scalar_max + 1) + 8;
}

/* base[i] += the delta of one histosys at bins [0, n) (up, dn: its templates there; s, a: their
 * code4p S and A), slope[i] (if not NULL) = d delta / d alpha: hfx__kernel_histo_delta bin by bin,
 * with code4p's polynomial in alpha (the default code) evaluated once rather than per bin and S, A
 * from the model (the same expressions, interp.h: the same bits). */
HFX_HD static inline void hfx__kernel_histo_add(int code, double alpha, const double * up, const double * dn,
                                                const double * s, const double * a, int64_t n,
                                                double * HFX_RESTRICT base, double * HFX_RESTRICT slope) {
    if (code != HFX_INTERP_CODE4P) {
        for (int64_t i = 0; i < n; ++i) {
            double dd;
            base[i] += hfx__kernel_histo_delta(code, alpha, up[i], dn[i], &dd);
            if (slope) {
                slope[i] = dd;
            }
        }
        return;
    }
    if (alpha > 1.0 || alpha < -1.0) { /* linear: alpha times the template on alpha's side */
        const double * t = alpha > 1.0 ? up : dn;
        for (int64_t i = 0; i < n; ++i) {
            base[i] += alpha * t[i];
            if (slope) {
                slope[i] = t[i];
            }
        }
        return;
    }
    double poly, dpoly;
    hfx_histosys_code4p_poly(alpha, &poly, &dpoly);
    for (int64_t i = 0; i < n; ++i) {
        double dd;
        base[i] += hfx_histosys_code4p_inside_sa(alpha, poly, dpoly, s[i], a[i], &dd);
        if (slope) {
            slope[i] = dd;
        }
    }
}

/* Block b's bins [i0, i1) at scale s: lam += s P base, keeping base and P (and, if slope is not
 * NULL, the histosys slopes, indexed like histo_up). hfx__kernel_block_bin for each bin, computed
 * histosys by histosys: each bin adds its deltas in the same order (the same bits), and what
 * depends on alpha alone is computed once per template. The bin split of the cpu backend runs it on
 * parts of blocks. */
HFX_HD static inline void hfx__kernel_block_rates(const struct hfx_model * m, const struct hfx_block * b,
                                                  const double * pars, double s, int64_t i0, int64_t i1,
                                                  double * lam, double * base, double * prod,
                                                  double * HFX_RESTRICT slope) {
    double * bbase = &base[b->nom];
    double * bprod = &prod[b->nom];
    double * blam  = &lam[b->bin0];
    for (int64_t i = i0; i < i1; ++i) {
        bbase[i] = m->nominal[b->nom + i];
    }
    for (int32_t h = 0; h < b->n_histo; ++h) {
        const struct hfx_mod_histo * hs = &m->histos[b->histo0 + h];
        hfx__kernel_histo_add(m->histosys_code, pars[hs->par], &m->histo_up[hs->off + i0], &m->histo_dn[hs->off + i0],
                              &m->histo_s[hs->off + i0], &m->histo_a[hs->off + i0], i1 - i0, &bbase[i0],
                              slope ? &slope[hs->off + i0] : NULL);
    }
    for (int64_t i = i0; i < i1; ++i) {
        double p = 1.0;
        for (int32_t q = 0; q < b->n_perbin; ++q) {
            p *= pars[m->perbins[b->perbin0 + q].par0 + i];
        }
        bprod[i] = p;
        blam[i] += s * p * bbase[i];
    }
}

/* Forward pass over blocks: lam = sum_k S_k * P * base; keeps base, P and S for the backward pass,
 * and, where slope is not NULL, what the gradient needs besides (hfx__kernel_scratch_size: the
 * histosys slopes at slope, then the scalar factors and their derivatives), which the
 * interpolations give with the values, so that the gradient need not interpolate again. */
HFX_HD static inline void hfx__kernel_forward(const struct hfx_model * m, const double * pars, double * lam,
                                              double * base, double * prod, double * block_s,
                                              double * HFX_RESTRICT slope) {
    for (size_t b = 0; b < m->n_bins; ++b) {
        lam[b] = 0.0;
    }
    double * sf = slope ? slope + m->n_histo_vals : NULL, * sdf = slope ? sf + m->n_scalar : NULL;
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b = &m->blocks[k];
        double s = slope ? hfx__kernel_block_scale_keep(m, b, pars, sf, sdf) : hfx__kernel_block_scale(m, b, pars);
        block_s[k]                 = s;
        hfx__kernel_block_rates(m, b, pars, s, 0, b->n_bins, lam, base, prod, slope);
    }
}

/* Backward pass: grad += d twice_nll / d pars through the rates, given w = d twice_nll / d lam and
 * what the forward pass kept (histo_slope: see hfx__kernel_forward). slopes holds 3 * (n_scalar_max
 * + 1) doubles. */
HFX_HD static inline void hfx__kernel_backward(const struct hfx_model * m, const double * pars, const double * w,
                                               const double * base, const double * prod, const double * block_s,
                                               const double * histo_slope, double * grad, double * slopes) {
    double * f   = slopes;
    double * df  = f + m->n_scalar_max + 1;
    double * out = df + m->n_scalar_max + 1;
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b     = &m->blocks[k];
        const double *           bbase = &base[b->nom];
        const double *           bprod = &prod[b->nom];
        const double *           bw    = &w[b->bin0];
        double                   s     = block_s[k];

        /* scalar factors: d/d theta_j = (prod of the other factors) f'_j sum_i w_i P_i base_i */
        if (b->n_scalar > 0) {
            double g = 0.0;
            for (int64_t i = 0; i < b->n_bins; ++i) {
                g += bw[i] * bprod[i] * bbase[i];
            }
            const double * sf = histo_slope + m->n_histo_vals;
            hfx__kernel_slopes_of(b->n_scalar, sf + b->scalar0, sf + m->n_scalar + b->scalar0, out);
            for (int32_t j = 0; j < b->n_scalar; ++j) {
                grad[m->scalars[b->scalar0 + j].par] += out[j] * g;
            }
        }
        /* per-bin factors: d/d theta_{par0+i} = w_i S base_i (product of the other per-bin factors) */
        for (int32_t q = 0; q < b->n_perbin; ++q) {
            int32_t par0 = m->perbins[b->perbin0 + q].par0;
            for (int64_t i = 0; i < b->n_bins; ++i) {
                grad[par0 + i] += bw[i] * s * bbase[i] * hfx__kernel_perbin_other(m, b, pars, q, i);
            }
        }
        /* histosys: d/d alpha = sum_i w_i S P_i d delta_i / d alpha */
        for (int32_t h = 0; h < b->n_histo; ++h) {
            const struct hfx_mod_histo * hs = &m->histos[b->histo0 + h];
            double                       g  = 0.0;
            const double *               dd = &histo_slope[hs->off];
            for (int64_t i = 0; i < b->n_bins; ++i) {
                g += bw[i] * bprod[i] * dd[i];
            }
            grad[hs->par] += s * g;
        }
    }
}

/* twice_nll at pars for data (data_const added) and, if grad is not NULL, its gradient [n_pars].
 * scratch holds hfx__kernel_scratch_size(m) doubles. */
HFX_HD static inline double hfx__kernel_twice_nll(const struct hfx_model * m, const double * pars,
                                                  const double * data, double data_const, double * grad,
                                                  double * scratch) {
    double * lam     = scratch;
    double * w       = lam + m->n_bins;
    double * base    = w + m->n_bins;
    double * prod    = base + m->n_nominal;
    double * block_s = prod + m->n_nominal;
    double * rest    = block_s + m->n_blocks;

    double * slope   = hfx__kernel_slopes(m, scratch);

    hfx__kernel_forward(m, pars, lam, base, prod, block_s, grad ? slope : NULL);

    double t = 0.0;
    for (size_t b = 0; b < m->n_bins; ++b) {
        t += hfx_poisson_term(data[b], lam[b], &w[b]);
    }
    const double * aux = data + m->n_bins;
    if (grad) {
        for (size_t i = 0; i < m->n_pars; ++i) {
            grad[i] = 0.0;
        }
    }
    t = hfx__kernel_add_constraints(m, pars, aux, t, grad);
    if (grad && isfinite(t)) {
        hfx__kernel_backward(m, pars, w, base, prod, block_s, slope, grad, rest);
    }
    return t + data_const;
}

//
// Other per-point quantities
//

/* The data-only part of twice_nll (see hfx__data_constant in model.h). */
HFX_HD static inline double hfx__kernel_data_constant(const struct hfx_model * m, const double * data) {
    double c = 0.0;
    for (size_t b = 0; b < m->n_bins; ++b) {
        c += hfx_poisson_const(data[b]);
    }
    const double * aux = data + m->n_bins;
    for (size_t k = 0; k < m->n_gauss; ++k) {
        c += HFX__LOG_2PI + 2.0 * log(m->gauss[k].sigma);
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        c += hfx_poisson_const(aux[m->pois[k].aux]);
    }
    return c;
}

/* Expected main rates [n_bins] and auxiliary expectations [n_aux] at pars. */
HFX_HD static inline void hfx__kernel_expected_data(const struct hfx_model * m, const double * pars, double * out,
                                                    double * scratch) {
    double * base    = scratch + 2 * m->n_bins;
    double * prod    = base + m->n_nominal;
    double * block_s = prod + m->n_nominal;
    hfx__kernel_forward(m, pars, out, base, prod, block_s, NULL);
    double * aux = out + m->n_bins;
    for (size_t k = 0; k < m->n_gauss; ++k) {
        aux[m->gauss[k].aux] = pars[m->gauss[k].par];
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        aux[m->pois[k].aux] = pars[m->pois[k].par] * m->pois[k].tau;
    }
}

/* The diagonal of the expected information (see hfx__fisher_diag in model.h), [n_pars]. */
HFX_HD static inline void hfx__kernel_fisher_diag(const struct hfx_model * m, const double * pars, double * out,
                                                  double * scratch) {
    double * lam     = scratch;
    double * base    = lam + 2 * m->n_bins;
    double * prod    = base + m->n_nominal;
    double * block_s = prod + m->n_nominal;
    double * f       = block_s + m->n_blocks;
    double * df      = f + m->n_scalar_max + 1;
    double * slope   = df + m->n_scalar_max + 1;
    double * dd      = hfx__kernel_slopes(m, scratch);
    hfx__kernel_forward(m, pars, lam, base, prod, block_s, dd);
    for (size_t i = 0; i < m->n_pars; ++i) {
        out[i] = 0.0;
    }
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b     = &m->blocks[k];
        const double *           bbase = &base[b->nom];
        const double *           bprod = &prod[b->nom];
        const double *           blam  = &lam[b->bin0];
        double                   s     = block_s[k];
        hfx__kernel_scalar_slopes(m, b, pars, f, df, slope);
        for (int64_t i = 0; i < b->n_bins; ++i) {
            if (!(blam[i] > 0)) {
                continue;
            }
            double w = 2.0 / blam[i];
            double u = bprod[i] * bbase[i];
            for (int32_t j = 0; j < b->n_scalar; ++j) {
                double d = slope[j] * u;
                out[m->scalars[b->scalar0 + j].par] += w * d * d;
            }
            for (int32_t q = 0; q < b->n_perbin; ++q) {
                double d = s * bbase[i] * hfx__kernel_perbin_other(m, b, pars, q, i);
                out[m->perbins[b->perbin0 + q].par0 + i] += w * d * d;
            }
            for (int32_t h = 0; h < b->n_histo; ++h) {
                double d = s * bprod[i] * dd[m->histos[b->histo0 + h].off + i];
                out[m->histos[b->histo0 + h].par] += w * d * d;
            }
        }
    }
    for (size_t k = 0; k < m->n_gauss; ++k) {
        out[m->gauss[k].par] += 2.0 / (m->gauss[k].sigma * m->gauss[k].sigma);
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        double g = pars[m->pois[k].par];
        out[m->pois[k].par] += g > 0 ? 2.0 * m->pois[k].tau / g : 0.0;
    }
}

#endif /* HFX_EVAL_KERNEL_H */
