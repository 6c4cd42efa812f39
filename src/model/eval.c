/*
 * eval.c -- the reference likelihood: twice_nll and its analytic gradient, in plain scalar C.
 *
 * This is the oracle every backend is compared with ("cpu-ref"), and the kernel the CPU backends
 * run. Two passes: forward accumulates the expected rate of every bin block by block (and keeps each
 * block's per-bin base and per-bin factor product in scratch), backward pushes
 * w_b = d twice_nll / d lambda_b through each modifier. Products of factors are differentiated with
 * prefix/suffix products rather than division, so a normfactor at exactly 0 (mu = 0 fits) is exact.
 */
#include "model/interp.h"
#include "model/model.h"

#include <math.h>
#include <string.h>

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

double hfx__data_constant(const struct hfx_model * m, const double * data) {
    double c = 0.0;
    for (size_t b = 0; b < m->n_bins; ++b) {
        c += hfx_poisson_const(data[b]);
    }
    const double * aux = data + m->n_bins;
    for (size_t k = 0; k < m->n_gauss; ++k) {
        c += LOG_2PI + 2.0 * log(m->gauss[k].sigma);
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        c += hfx_poisson_const(aux[m->pois[k].aux]);
    }
    return c;
}

size_t hfx__eval_scratch_size(const struct hfx_model * m) {
    /* lam[n_bins], w[n_bins], base[n_nominal], prod[n_nominal], block S[n_blocks],
     * scalar factors f, df, prefix, suffix [n_scalar_max + 1 each] */
    size_t ns = (size_t) m->n_scalar_max + 1;
    return 2 * m->n_bins + 2 * m->n_nominal + m->n_blocks + 4 * ns + 8;
}

static inline double scalar_factor(const struct hfx_model * m, const struct hfx_mod_scalar * s, const double * pars,
                                   double * df) {
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

static inline double histo_delta(int code, double alpha, double up, double dn, double * dd) {
    switch (code) {
    case HFX_INTERP_CODE0:
        return hfx_histosys_code0(alpha, up, dn, dd);
    case HFX_INTERP_CODE2:
        return hfx_histosys_code2(alpha, up, dn, dd);
    default:
        return hfx_histosys_code4p(alpha, up, dn, dd);
    }
}

/* Forward pass over blocks: lam += S * P * base; keeps base, P and S for the backward pass. */
static void forward(const struct hfx_model * m, const double * pars, double * lam, double * base, double * prod,
                    double * block_s) {
    memset(lam, 0, m->n_bins * sizeof *lam);
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b = &m->blocks[k];
        double                   s = 1.0, df;
        for (int32_t j = 0; j < b->n_scalar; ++j) {
            s *= scalar_factor(m, &m->scalars[b->scalar0 + j], pars, &df);
        }
        block_s[k]           = s;
        const double * nom   = &m->nominal[b->nom];
        double *       bbase = &base[b->nom];
        double *       bprod = &prod[b->nom];
        double *       blam  = &lam[b->bin0];
        for (int64_t i = 0; i < b->n_bins; ++i) {
            double v = nom[i];
            for (int32_t h = 0; h < b->n_histo; ++h) {
                const struct hfx_mod_histo * hs = &m->histos[b->histo0 + h];
                double                       dd;
                v += histo_delta(m->histosys_code, pars[hs->par], m->histo_up[hs->off + i], m->histo_dn[hs->off + i],
                                 &dd);
            }
            double p = 1.0;
            for (int32_t q = 0; q < b->n_perbin; ++q) {
                p *= pars[m->perbins[b->perbin0 + q].par0 + i];
            }
            bbase[i] = v;
            bprod[i] = p;
            blam[i] += s * p * v;
        }
    }
}

/* The block's scalar factors f and their derivatives df, and out_j = df_j * (product of the other
 * factors), from prefix and suffix products (no division: a factor may be exactly 0). out may be
 * f itself: f is only read before out is written. */
static void scalar_slopes(const struct hfx_model * m, const struct hfx_block * b, const double * pars, double * f,
                          double * df, double * pre, double * suf, double * out) {
    int32_t n = b->n_scalar;
    for (int32_t j = 0; j < n; ++j) {
        f[j] = scalar_factor(m, &m->scalars[b->scalar0 + j], pars, &df[j]);
    }
    pre[0] = 1.0;
    for (int32_t j = 0; j < n; ++j) {
        pre[j + 1] = pre[j] * f[j];
    }
    suf[n] = 1.0;
    for (int32_t j = n - 1; j >= 0; --j) {
        suf[j] = suf[j + 1] * f[j];
    }
    for (int32_t j = 0; j < n; ++j) {
        out[j] = pre[j] * suf[j + 1] * df[j];
    }
}

/* Backward pass: grad += d twice_nll / d pars through the rates, given w = d twice_nll / d lam. */
static void backward(const struct hfx_model * m, const double * pars, const double * w, const double * base,
                     const double * prod, const double * block_s, double * grad, double * scratch) {
    double * f   = scratch;
    double * df  = f + m->n_scalar_max + 1;
    double * pre = df + m->n_scalar_max + 1;
    double * suf = pre + m->n_scalar_max + 1;
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
            scalar_slopes(m, b, pars, f, df, pre, suf, f);
            for (int32_t j = 0; j < b->n_scalar; ++j) {
                grad[m->scalars[b->scalar0 + j].par] += f[j] * g;
            }
        }
        /* per-bin factors: d/d theta_{par0+i} = w_i S base_i (product of the other per-bin factors) */
        for (int32_t q = 0; q < b->n_perbin; ++q) {
            int32_t par0 = m->perbins[b->perbin0 + q].par0;
            for (int64_t i = 0; i < b->n_bins; ++i) {
                double other = 1.0;
                for (int32_t r = 0; r < b->n_perbin; ++r) {
                    if (r != q) {
                        other *= pars[m->perbins[b->perbin0 + r].par0 + i];
                    }
                }
                grad[par0 + i] += bw[i] * s * bbase[i] * other;
            }
        }
        /* histosys: d/d alpha = sum_i w_i S P_i d delta_i / d alpha */
        for (int32_t h = 0; h < b->n_histo; ++h) {
            const struct hfx_mod_histo * hs    = &m->histos[b->histo0 + h];
            double                       alpha = pars[hs->par], g = 0.0;
            for (int64_t i = 0; i < b->n_bins; ++i) {
                double dd;
                histo_delta(m->histosys_code, alpha, m->histo_up[hs->off + i], m->histo_dn[hs->off + i], &dd);
                g += bw[i] * bprod[i] * dd;
            }
            grad[hs->par] += s * g;
        }
    }
}

double hfx__eval_twice_nll(const struct hfx_model * m, const double * pars, const double * data, double data_const,
                           double * grad, double * scratch) {
    double * lam     = scratch;
    double * w       = lam + m->n_bins;
    double * base    = w + m->n_bins;
    double * prod    = base + m->n_nominal;
    double * block_s = prod + m->n_nominal;
    double * rest    = block_s + m->n_blocks;

    forward(m, pars, lam, base, prod, block_s);

    double t = 0.0;
    for (size_t b = 0; b < m->n_bins; ++b) {
        t += hfx_poisson_term(data[b], lam[b], &w[b]);
    }
    const double * aux = data + m->n_bins;
    if (grad) {
        memset(grad, 0, m->n_pars * sizeof *grad);
    }
    for (size_t k = 0; k < m->n_gauss; ++k) {
        const struct hfx_gauss * g = &m->gauss[k];
        double                   z = (aux[g->aux] - pars[g->par]) / g->sigma;
        t += z * z;
        if (grad) {
            grad[g->par] -= 2.0 * z / g->sigma;
        }
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        const struct hfx_pois * p = &m->pois[k];
        double                  dr;
        t += hfx_poisson_term(aux[p->aux], pars[p->par] * p->tau, &dr);
        if (grad) {
            grad[p->par] += dr * p->tau;
        }
    }
    if (grad && isfinite(t)) {
        backward(m, pars, w, base, prod, block_s, grad, rest);
    }
    return t + data_const;
}

void hfx__eval_range(const struct hfx_model * m, size_t begin, size_t end, const double * pars, const double * data,
                     size_t data_stride, const double * data_const, double * out, double * grad, double * scratch) {
    size_t np = m->n_pars;
    for (size_t k = begin; k < end; ++k) {
        out[k] = hfx__eval_twice_nll(m, pars + k * np, data + k * data_stride, data_const[data_stride ? k : 0],
                                     grad ? grad + k * np : NULL, scratch);
    }
}

void hfx__expected_data(const struct hfx_model * m, const double * pars, double * out, double * scratch) {
    double * base    = scratch + 2 * m->n_bins;
    double * prod    = base + m->n_nominal;
    double * block_s = prod + m->n_nominal;
    forward(m, pars, out, base, prod, block_s);
    double * aux = out + m->n_bins;
    for (size_t k = 0; k < m->n_gauss; ++k) {
        aux[m->gauss[k].aux] = pars[m->gauss[k].par];
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        aux[m->pois[k].aux] = pars[m->pois[k].par] * m->pois[k].tau;
    }
}

void hfx__fisher_diag(const struct hfx_model * m, const double * pars, double * out, double * scratch) {
    double * lam     = scratch;
    double * base    = lam + 2 * m->n_bins;
    double * prod    = base + m->n_nominal;
    double * block_s = prod + m->n_nominal;
    double * f       = block_s + m->n_blocks;
    double * df      = f + m->n_scalar_max + 1;
    double * pre     = df + m->n_scalar_max + 1;
    double * suf     = pre + m->n_scalar_max + 1;
    forward(m, pars, lam, base, prod, block_s);
    memset(out, 0, m->n_pars * sizeof *out);
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b     = &m->blocks[k];
        const double *           bbase = &base[b->nom];
        const double *           bprod = &prod[b->nom];
        const double *           blam  = &lam[b->bin0];
        double                   s     = block_s[k];
        int32_t                  n     = b->n_scalar;
        scalar_slopes(m, b, pars, f, df, pre, suf, f);
        for (int64_t i = 0; i < b->n_bins; ++i) {
            if (!(blam[i] > 0)) {
                continue;
            }
            double w = 2.0 / blam[i];
            double u = bprod[i] * bbase[i];
            for (int32_t j = 0; j < n; ++j) {
                double d = f[j] * u;
                out[m->scalars[b->scalar0 + j].par] += w * d * d;
            }
            for (int32_t q = 0; q < b->n_perbin; ++q) {
                double other = 1.0;
                for (int32_t r = 0; r < b->n_perbin; ++r) {
                    if (r != q) {
                        other *= pars[m->perbins[b->perbin0 + r].par0 + i];
                    }
                }
                double d = s * bbase[i] * other;
                out[m->perbins[b->perbin0 + q].par0 + i] += w * d * d;
            }
            for (int32_t h = 0; h < b->n_histo; ++h) {
                const struct hfx_mod_histo * hs = &m->histos[b->histo0 + h];
                double                       dd;
                histo_delta(m->histosys_code, pars[hs->par], m->histo_up[hs->off + i], m->histo_dn[hs->off + i], &dd);
                double d = s * bprod[i] * dd;
                out[hs->par] += w * d * d;
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
