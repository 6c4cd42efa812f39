/*
 * interp.h -- the per-bin math of a HistFactory model, shared verbatim by every backend.
 *
 * static inline, double precision, plain C: the CUDA backend includes this same header, so host and
 * device compute identical numbers. Each function returns the value and writes the derivative with
 * respect to alpha, which the analytic gradient needs. The formulas are pyhf 0.7.6's
 * (pyhf/interpolators/code*.py), including its quirks, cited where they differ from the textbook.
 */
#ifndef HFX_INTERP_H
#define HFX_INTERP_H

#include "hfx-hd.h"

#include <math.h>

/* At the kink alpha = 0 of code1 and code0 the value is continuous and the slope jumps. The slope
 * given there is the alpha > 0 side's: what pyhf's reference backend (numpy, SLSQP with forward
 * differences) and ROOT's fits see when they start at 0, so that a single descent from the init
 * (--explore none) heads the way theirs does. */

/* normsys code1: hi^alpha for alpha >= 0, lo^(-alpha) otherwise. */
HFX_HD static inline double hfx_normsys_code1(double alpha, double hi, double lo, double * dfac) {
    if (alpha >= 0) {
        double v = pow(hi, alpha);
        *dfac    = v * log(hi);
        return v;
    }
    double v = pow(lo, -alpha);
    *dfac    = -v * log(lo);
    return v;
}

/* normsys code4: exponential outside |alpha| < 1 (alpha >= 1 uses hi, alpha <= -1 uses lo), a
 * sixth-order polynomial 1 + sum a_i alpha^i inside, whose coefficients a[6] come from
 * hfx_normsys_code4_coef. */
HFX_HD static inline double hfx_normsys_code4(double alpha, double hi, double lo, const double * a, double * dfac) {
    if (alpha >= 1.0) {
        double v = pow(hi, alpha);
        *dfac    = v * log(hi);
        return v;
    }
    if (alpha <= -1.0) {
        double v = pow(lo, -alpha);
        *dfac    = -v * log(lo);
        return v;
    }
    /* Horner: v = a1 + a2 x + ... + a6 x^5, dv = a1 + 2 a2 x + ... + 6 a6 x^5 */
    double v  = a[5];
    double dv = 6.0 * a[5];
    for (int i = 4; i >= 0; --i) {
        v  = v * alpha + a[i];
        dv = dv * alpha + (double) (i + 1) * a[i];
    }
    *dfac = dv;
    return 1.0 + v * alpha;
}

/* The code4 coefficients for alpha0 = 1: a = A^-1 b with pyhf's fixed A^-1 and
 * b = (hi-1, lo-1, ln(hi) hi, -ln(lo) lo, ln(hi)^2 hi, ln(lo)^2 lo). */
static inline void hfx_normsys_code4_coef(double hi, double lo, double a[6]) {
    static const double ainv[6][6] = {
        {15.0 / 16, -15.0 / 16, -7.0 / 16, -7.0 / 16, 1.0 / 16, -1.0 / 16},
        {3.0 / 2, 3.0 / 2, -9.0 / 16, 9.0 / 16, 1.0 / 16, 1.0 / 16},
        {-5.0 / 8, 5.0 / 8, 5.0 / 8, 5.0 / 8, -1.0 / 8, 1.0 / 8},
        {3.0 / -2, 3.0 / -2, -7.0 / -8, 7.0 / -8, -1.0 / 8, -1.0 / 8},
        {3.0 / 16, -3.0 / 16, -3.0 / 16, -3.0 / 16, 1.0 / 16, -1.0 / 16},
        {1.0 / 2, 1.0 / 2, -5.0 / 16, 5.0 / 16, 1.0 / 16, 1.0 / 16},
    };
    double lh = log(hi), ll = log(lo);
    double b[6] = {hi - 1.0, lo - 1.0, lh * hi, -ll * lo, lh * lh * hi, ll * ll * lo};
    for (int r = 0; r < 6; ++r) {
        double s = 0;
        for (int c = 0; c < 6; ++c) {
            s += ainv[r][c] * b[c];
        }
        a[r] = s;
    }
}

/* histosys deltas: up = hi - nom, dn = nom - lo. */

/* code0: piecewise linear, up for alpha >= 0. */
HFX_HD static inline double hfx_histosys_code0(double alpha, double up, double dn, double * dd) {
    *dd = alpha >= 0 ? up : dn;
    return alpha * *dd;
}

/* code2 as pyhf 0.7.6 computes it (interpolators/code2.py, the vectorised path): with
 * a = (up - dn)/2, b = (up + dn)/2: alpha > 1: (b + 2a)(alpha - 1); -1 <= alpha <= 1: a alpha^2 + b alpha;
 * alpha < -1: (b - 2a) alpha. Neither outer branch is continuous with the inner one; pyhf does this. */
HFX_HD static inline double hfx_histosys_code2(double alpha, double up, double dn, double * dd) {
    double a = 0.5 * (up - dn), b = 0.5 * (up + dn);
    if (alpha > 1.0) {
        *dd = b + 2.0 * a;
        return (b + 2.0 * a) * (alpha - 1.0);
    }
    if (alpha >= -1.0) {
        *dd = 2.0 * a * alpha + b;
        return a * alpha * alpha + b * alpha;
    }
    *dd = b - 2.0 * a;
    return (b - 2.0 * a) * alpha;
}

/* code4p: linear outside [-1, 1], inside alpha S + alpha^2 (15 - 10 alpha^2 + 3 alpha^4) A with
 * S = (up + dn)/2, A = (up - dn)/16. In two parts, so that a loop over a template's bins computes the
 * part that depends on alpha alone once (eval-kernel.h): the polynomial and its derivative, then a
 * bin's delta from them. */
HFX_HD static inline void hfx_histosys_code4p_poly(double alpha, double * poly, double * dpoly) {
    double a2 = alpha * alpha;
    *poly     = a2 * (a2 * (3.0 * a2 - 10.0) + 15.0);      /* 15 a^2 - 10 a^4 + 3 a^6 */
    *dpoly    = alpha * (a2 * (18.0 * a2 - 40.0) + 30.0); /* 30 a - 40 a^3 + 18 a^5 */
}

/* A template's S and A, which compiled models keep per value (model.h: histo_s, histo_a). */
HFX_HD static inline void hfx_histosys_code4p_sa(double up, double dn, double * s, double * a) {
    *s = 0.5 * (up + dn);
    *a = 0.0625 * (up - dn);
}

/* A bin's delta inside [-1, 1] from its S and A. */
HFX_HD static inline double hfx_histosys_code4p_inside_sa(double alpha, double poly, double dpoly, double s, double a,
                                                         double * dd) {
    *dd = s + dpoly * a;
    return alpha * s + poly * a;
}

HFX_HD static inline double hfx_histosys_code4p_inside(double alpha, double poly, double dpoly, double up, double dn,
                                                      double * dd) {
    double s, a;
    hfx_histosys_code4p_sa(up, dn, &s, &a);
    return hfx_histosys_code4p_inside_sa(alpha, poly, dpoly, s, a, dd);
}

HFX_HD static inline double hfx_histosys_code4p(double alpha, double up, double dn, double * dd) {
    if (alpha > 1.0) {
        *dd = up;
        return alpha * up;
    }
    if (alpha < -1.0) {
        *dd = dn;
        return alpha * dn;
    }
    double poly, dpoly;
    hfx_histosys_code4p_poly(alpha, &poly, &dpoly);
    return hfx_histosys_code4p_inside(alpha, poly, dpoly, up, dn, dd);
}

/* Poisson term of twice_nll, split as
 *     2 (lam - n log lam + lgamma(n + 1)) = 2 (lam - n - n log(lam / n)) + hfx_poisson_const(n)
 * so that neither part cancels catastrophically: with n = lam = 2e11 (a shapesys with a 0.001
 * uncertainty on 435 events, as in a published workspace) the textbook form subtracts numbers of
 * 5e12 and keeps ~1e-3 of noise, the split form keeps full precision. pyhf's convention for n = 0
 * (xlogy(0, lam) = 0) gives 2 lam. A non-positive rate with n > 0 has no likelihood: +inf, which the
 * minimizer treats as "step back". dlam receives d/dlam. */
HFX_HD static inline double hfx_poisson_term(double n, double lam, double * dlam) {
    if (n == 0.0) {
        *dlam = 2.0;
        return 2.0 * lam;
    }
    if (!(lam > 0.0)) {
        *dlam = 0.0;
        return INFINITY;
    }
    *dlam    = 2.0 * (1.0 - n / lam);
    double d = (lam - n) / n;
    if (fabs(d) < 0.5) {
        return 2.0 * n * (d - log1p(d));
    }
    /* far from n nothing cancels, and (lam - n) / n may overflow (n = 1e-310) or round to -1 (n = 1e18,
     * lam = 6), where the form above gives NaN or infinity for a finite value */
    return 2.0 * (lam - n - n * (log(lam) - log(n)));
}

/* The data-only part: 2 (lgamma(n + 1) - n log n + n), by Stirling's series for large n (where the
 * direct form cancels), directly otherwise (error below 1e-13 there). The host calls lgamma_r, which
 * is reentrant (lgamma writes the global signgam, a race between threads); device code has no
 * signgam and CUDA's lgamma is the thread-safe one. */
HFX_HD static inline double hfx_poisson_const(double n) {
    if (n == 0.0) {
        return 0.0;
    }
    if (n >= 100.0) {
        double r = 1.0 / n, r2 = r * r;
        /* lgamma(n+1) = n log n - n + log(2 pi n)/2 + 1/(12n) - 1/(360n^3) + 1/(1260n^5) - ... */
        return 2.0 * (0.5 * log(6.283185307179586477 * n) + r * (1.0 / 12 - r2 * (1.0 / 360 - r2 / 1260)));
    }
#if defined(__CUDA_ARCH__)
    return 2.0 * (lgamma(n + 1.0) - n * log(n) + n);
#else
    int sign = 0;
    return 2.0 * (lgamma_r(n + 1.0, &sign) - n * log(n) + n);
#endif
}

#endif /* HFX_INTERP_H */
