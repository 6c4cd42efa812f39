/*
 * hessian-kernel.h -- the Hessian of f at a minimum by finite differences of its gradient, in
 * reverse-communication form like the minimizer (the caller evaluates the gradients), so that it
 * runs on every backend: the engine (fit/fit.c) sends its points to the backend in batches and
 * turns the inverse into the covariance of a fit (covariance = 2 * inverse Hessian of twice_nll
 * over the free parameters).
 *
 * Column j is (g(x + b e_j) - g(x - a e_j)) / (a + b)
 * with a = b = h_j = 1e-5 max(1, |x_j|) (about eps^(1/3) scaled, the best step for central differences
 * of an accurate gradient), shifted to one side where a bound is closer than h_j so that f is never
 * evaluated outside the box. The matrix is symmetrised, its free block factorised by Cholesky and
 * inverted; if it is not positive definite a growing diagonal shift is added until it is.
 * Everything lives in the caller's workspace; no allocation, no statics, no recursion.
 *
 * Layer rule (kernel/, docs/architecture.md): HFX_HD code over caller memory; includes only
 * kernel/ headers, hfx-hd.h and <math.h>, never a backend, the engine or JSON. (It shares the
 * minimizer's workspace rounding, min__round16 of minimize-priv.h.)
 */
#ifndef HFX_HESSIAN_KERNEL_H
#define HFX_HESSIAN_KERNEL_H

#include "hfx-hd.h"
#include "kernel/minimize-priv.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

/* Hessian by central differences of the gradient, also in reverse-communication form, so that it
 * runs on every backend. Used after a fit for uncertainties (covariance = 2 * inverse Hessian of
 * twice_nll over the free parameters). */
struct hfx_hess_state {
    size_t n;
    void * priv;
};
HFX_HD static inline size_t hfx__hess_workspace_size(size_t n);
/* x0: the minimum. Column j is (g(x0 + b e_j) - g(x0 - a e_j)) / (a + b), a = b = 1e-5 max(1, |x0_j|),
 * shifted to one side near a bound so that no point leaves the box: 2 gradients per free parameter. */
HFX_HD static inline void   hfx__hess_init(struct hfx_hess_state * s, void * workspace, size_t n, const double * x0,
                                           const double * lower, const double * upper, const bool * fixed);
/* The points whose gradients the Hessian needs: hfx__hess_n_points (2 per free parameter, 0 if none),
 * point k written to x ([n]). They are independent: evaluate them in any order, in batches. */
HFX_HD static inline size_t hfx__hess_n_points(const struct hfx_hess_state * s);
HFX_HD static inline void   hfx__hess_point(const struct hfx_hess_state * s, size_t k, double * x);
/* Feeds the gradient at point k; each point exactly once. */
HFX_HD static inline void   hfx__hess_set_gradient(struct hfx_hess_state * s, size_t k, const double * g);
/* After every point was fed (call once: it reuses the workspace): fills cov ([n][n], row-major) with the
 * inverse of the Hessian of f restricted to free parameters (zeros in fixed rows/columns). Returns false if the Hessian is not positive
 * definite (cov is then filled from a regularised inverse and still usable as an estimate). */
HFX_HD static inline bool   hfx__hess_inverse(struct hfx_hess_state * s, double * cov);

/*
 * Hessian by differences of the gradient. Its 2 nf points are independent of one another, so the
 * caller may evaluate them in any order and in batches of any size (fit.c sends them as one batch).
 */

struct min__hess_priv {
    double *        x0, *lower, *upper;
    double *        hm;   /* [n][n] row j: d g / d x_j, accumulated point by point */
    size_t *        idx;  /* free parameters */
    unsigned char * fixed;
    size_t          nf;
};

HFX_HD static inline size_t hfx__hess_workspace_size(size_t n) {
    return min__round16(sizeof(struct min__hess_priv)) + 3 * min__round16(n * sizeof(double)) +
           min__round16(n * n * sizeof(double)) + min__round16(n * sizeof(size_t)) + min__round16(n);
}

/* The pair of coordinates for parameter j: centred where the box allows, shifted to one side at a
 * bound. */
HFX_HD static inline void min__hess_pair(const struct min__hess_priv * p, size_t j, double * xa, double * xb) {
    double x = p->x0[j], l = p->lower[j], u = p->upper[j];
    double h = 1e-5 * fmax(1.0, fabs(x));
    *xa      = x - h;
    *xb      = x + h;
    if (u - l < 2.0 * h) {
        *xa = l;
        *xb = u;
    } else if (*xa < l) {
        *xa = l;
        *xb = l + 2.0 * h;
    } else if (*xb > u) {
        *xb = u;
        *xa = u - 2.0 * h;
    }
}

HFX_HD static inline void hfx__hess_init(struct hfx_hess_state * s, void * workspace, size_t n, const double * x0,
                                         const double * lower, const double * upper, const bool * fixed) {
    unsigned char *         w = (unsigned char *) workspace;
    struct min__hess_priv * p = (struct min__hess_priv *) workspace;
    w += min__round16(sizeof *p);
    double * arr[3];
    for (int k = 0; k < 3; ++k) {
        arr[k] = (double *) (void *) w;
        w += min__round16(n * sizeof(double));
    }
    p->hm = (double *) (void *) w;
    w += min__round16(n * n * sizeof(double));
    p->idx = (size_t *) (void *) w;
    w += min__round16(n * sizeof(size_t));
    p->fixed = w;

    s->n     = n;
    s->priv  = p;
    p->x0    = arr[0];
    p->lower = arr[1];
    p->upper = arr[2];
    p->nf    = 0;
    for (size_t i = 0; i < n; ++i) {
        double l = lower ? lower[i] : -INFINITY, u = upper ? upper[i] : INFINITY;
        p->lower[i] = l;
        p->upper[i] = u;
        p->x0[i]    = x0[i];
        p->fixed[i] = (unsigned char) ((fixed && fixed[i]) || !(l < u));
        if (!p->fixed[i]) {
            p->idx[p->nf++] = i;
        }
    }
    for (size_t i = 0; i < n * n; ++i) {
        p->hm[i] = 0.0;
    }
}

HFX_HD static inline size_t hfx__hess_n_points(const struct hfx_hess_state * s) {
    return 2 * ((const struct min__hess_priv *) s->priv)->nf;
}

HFX_HD static inline void hfx__hess_point(const struct hfx_hess_state * s, size_t k, double * x) {
    const struct min__hess_priv * p = (const struct min__hess_priv *) s->priv;
    size_t                        j = p->idx[k / 2];
    double                        xa, xb;
    min__hess_pair(p, j, &xa, &xb);
    for (size_t i = 0; i < s->n; ++i) {
        x[i] = p->x0[i];
    }
    x[j] = k % 2 == 0 ? xa : xb;
}

HFX_HD static inline void hfx__hess_set_gradient(struct hfx_hess_state * s, size_t k, const double * g) {
    struct min__hess_priv * p = (struct min__hess_priv *) s->priv;
    size_t                  n = s->n, j = p->idx[k / 2];
    double                  xa, xb;
    min__hess_pair(p, j, &xa, &xb);
    /* row j = (g(xb) - g(xa)) / (xb - xa): the upper point adds, the lower one subtracts */
    double w = (k % 2 == 0 ? -1.0 : 1.0) / (xb - xa);
    for (size_t a = 0; a < p->nf; ++a) {
        size_t i = p->idx[a];
        p->hm[j * n + i] += g[i] * w;
    }
}

/* In-place Cholesky A = L L' of the m x m matrix a (row stride m, lower triangle used). */
HFX_HD static inline bool min__cholesky(double * a, size_t m) {
    for (size_t j = 0; j < m; ++j) {
        double d = a[j * m + j];
        for (size_t k = 0; k < j; ++k) {
            d -= a[j * m + k] * a[j * m + k];
        }
        if (!(d > 0.0) || !isfinite(d)) {
            return false;
        }
        d              = sqrt(d);
        a[j * m + j] = d;
        for (size_t i = j + 1; i < m; ++i) {
            double v = a[i * m + j];
            for (size_t k = 0; k < j; ++k) {
                v -= a[i * m + k] * a[j * m + k];
            }
            a[i * m + j] = v / d;
        }
    }
    return true;
}

HFX_HD static inline bool hfx__hess_inverse(struct hfx_hess_state * s, double * cov) {
    struct min__hess_priv * p  = (struct min__hess_priv *) s->priv;
    size_t             n  = s->n, m = p->nf;
    double *           hm = p->hm;
    /* Symmetrise the free block: the two halves differ by differencing error. */
    double maxdiag = 0.0, mindiag = INFINITY;
    for (size_t a = 0; a < m; ++a) {
        size_t ia = p->idx[a];
        for (size_t b = a + 1; b < m; ++b) {
            size_t ib          = p->idx[b];
            double v           = 0.5 * (hm[ia * n + ib] + hm[ib * n + ia]);
            hm[ia * n + ib] = v;
            hm[ib * n + ia] = v;
        }
        maxdiag = fmax(maxdiag, fabs(hm[ia * n + ia]));
        mindiag = fmin(mindiag, hm[ia * n + ia]);
    }
    /* Factorise a compact copy in cov; on failure add tau I, tau growing tenfold. */
    bool   pd  = true;
    double tau = 0.0;
    double base = maxdiag > 0.0 && isfinite(maxdiag) ? 1e-10 * maxdiag : 1e-10;
    if (mindiag < 0.0) {
        base = fmax(base, -mindiag);
    }
    for (int attempt = 0; attempt < 60; ++attempt) {
        for (size_t a = 0; a < m; ++a) {
            for (size_t b = 0; b < m; ++b) {
                cov[a * m + b] = hm[p->idx[a] * n + p->idx[b]];
            }
            cov[a * m + a] += tau;
        }
        if (min__cholesky(cov, m)) {
            break;
        }
        pd  = false;
        tau = tau == 0.0 ? base : 10.0 * tau;
        if (attempt == 59) {
            /* Hopeless (NaN entries): report the diagonal inverse of 1/maxdiag-ish. */
            for (size_t i = 0; i < n * n; ++i) {
                cov[i] = 0.0;
            }
            for (size_t a = 0; a < m; ++a) {
                cov[p->idx[a] * n + p->idx[a]] = 1.0 / base;
            }
            return false;
        }
    }
    /* L^-1 in place, row by row; within a row the columns go left to right so that L[i][k], k > j,
     * is still the original when Linv[i][j] is formed. */
    for (size_t i = 0; i < m; ++i) {
        double lii = cov[i * m + i];
        for (size_t j = 0; j < i; ++j) {
            double v = 0.0;
            for (size_t k = j; k < i; ++k) {
                v += cov[i * m + k] * cov[k * m + j];
            }
            cov[i * m + j] = -v / lii;
        }
        cov[i * m + i] = 1.0 / lii;
    }
    /* A^-1 = Linv' Linv into hm (compact, stride m; the raw Hessian is no longer needed). */
    for (size_t i = 0; i < m; ++i) {
        for (size_t j = 0; j <= i; ++j) {
            double v = 0.0;
            for (size_t k = i; k < m; ++k) {
                v += cov[k * m + i] * cov[k * m + j];
            }
            hm[i * m + j] = v;
            hm[j * m + i] = v;
        }
    }
    for (size_t i = 0; i < n * n; ++i) {
        cov[i] = 0.0;
    }
    for (size_t a = 0; a < m; ++a) {
        for (size_t b = 0; b < m; ++b) {
            cov[p->idx[a] * n + p->idx[b]] = hm[a * m + b];
        }
    }
    return pd;
}

#endif /* HFX_HESSIAN_KERNEL_H */
