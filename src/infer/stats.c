/*
 * stats.c -- the statistics behind hypothesis tests and limits: the standard normal distribution,
 * pyhf's test statistics from fits and its asymptotic calculator, the chi-square tail.
 *
 * Each is written to reproduce what pyhf 0.7.6 gets from numpy/scipy:
 * - the standard normal distribution: the CDF is evaluated exactly as scipy.special.ndtr does
 *   (Cephes: erf near 0, erfc of |x|/sqrt(2) in the tails), so that the p-values agree with pyhf's
 *   to the last few bits, including the x^2 * eps argument-rounding error scipy has in deep tails;
 *   the quantile is Acklam's rational approximation refined by one Halley step (or by Newton steps
 *   on log Phi below ~1e-300, where the density underflows);
 * - pyhf's test statistics (pyhf/infer/test_statistics.py) from the two fits' values, and its
 *   AsymptoticCalculator (pyhf/infer/calculators.py) in sqrt(q) space;
 * - scipy.stats.chi2.sf for the goodness of fit.
 * The root finder of the upper-limit search is toms748.c; the random numbers of toys (Philox4x32-10
 * and its draws) live in kernel/rng-kernel.h, HFX_HD code that a device backend compiles too.
 * Everything is a pure function of its arguments (no static mutable state).
 */
#include "infer/stats.h"

#include "hfx/hfx.h"

#include <math.h>

/* No fused multiply-adds: TOMS 748 reproduces scipy's points bit for bit, and the asymptotic and
 * normal formulas scipy's roundings, which contraction would change (GNU C and clang contract by
 * default; a CUDA build of this file needs --fmad=false). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#ifndef M_SQRT1_2
#define M_SQRT1_2 0.70710678118654752440
#endif

//
// Normal distribution
//

double hfx__norm_cdf(double x) {
    /* scipy.special.ndtr (Cephes ndtr): the same argument rounding, x * (1/sqrt 2), and the same split
     * between erf (no cancellation near 0) and erfc (no 1 - tiny in the tails). Matching scipy's
     * formula rather than being more accurate is the point: pyhf's numbers come out of it. */
    if (isnan(x)) {
        return x;
    }
    double z  = x * M_SQRT1_2;
    double az = fabs(z);
    if (az < M_SQRT1_2) {
        return 0.5 + 0.5 * erf(z);
    }
    double y;
    if (az < 1.0) {
        y = 0.5 * (1.0 - erf(az)); /* Cephes erfc below 1 */
    } else if (az * az > 7.09782712893383996843e2) {
        y = 0.0; /* Cephes erfc flushes to 0 once a^2 > MAXLOG, i.e. for x < -37.677 */
    } else {
        /* Cephes erfc(a) = exp(-fl(a*a)) * R(a), so it carries the rounding of a*a: scipy's value is
         * the exact erfc(a) times exp(a*a - fl(a*a)) (relative 1e-14 at x = -37). Apply the same factor
         * to libm's accurate erfc; the rounding error of a*a is exact with fma. */
        double aa    = az * az;
        double delta = fma(az, az, -aa);
        y            = 0.5 * erfc(az) * (1.0 + delta);
    }
    return z > 0 ? 1.0 - y : y;
}

/* scipy.stats.norm.sf is ndtr(-x). */
double hfx__norm_sf(double x) {
    return hfx__norm_cdf(-x);
}

/* Acklam's rational approximation of the quantile, relative error < 1.15e-9 on (0, 1): the start
 * of the refinement below. */
static double ppf_acklam(double p) {
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01,  -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

/* log Phi(x) for x <= -30 from the asymptotic series Phi(x) = phi(x)/|x| * sum_n (-1)^n (2n-1)!!/x^2n:
 * at |x| >= 30 ten terms reach 1e-17, and the log never underflows where Phi itself does. */
static double log_cdf_tail(double x, double * dlog) {
    double x2 = x * x, term = 1.0, s = 1.0;
    for (int n = 1; n <= 10; n++) {
        term *= -(2.0 * n - 1.0) / x2;
        s += term;
    }
    /* d/dx log Phi(x) = phi(x)/Phi(x) = |x| / s */
    *dlog = -x / s;
    return -0.5 * x2 - 0.91893853320467274178 /* log sqrt(2 pi) */ - log(-x) + log(s);
}

/* Quantile for p in (0, 0.5]. */
static double ppf_lower(double p) {
    double x = ppf_acklam(p);
    if (x < -30.0) {
        /* Deep tail (p < ~1e-197): Newton on log Phi(x) = log p; quadratic from 1e-9, two steps
         * reach the rounding floor, a third is a safeguard. */
        double lp = log(p);
        for (int i = 0; i < 3; i++) {
            double dlog;
            double g  = log_cdf_tail(x, &dlog) - lp;
            double dx = g / dlog;
            x -= dx;
            if (fabs(dx) <= 1e-17 * fabs(x)) {
                break;
            }
        }
        return x;
    }
    /* One Halley step (Acklam's refinement): e = Phi(x) - p, u = e / phi(x). Near the centre the
     * residual is formed as erf(x/sqrt 2)/2 - (p - 0.5), both sides exact to relative precision
     * (p - 0.5 is exact by Sterbenz), so tiny quantiles like ppf(0.5 - 1e-10) keep full precision. */
    double e;
    if (p > 0.25) {
        e = 0.5 * erf(x * M_SQRT1_2) - (p - 0.5);
    } else {
        e = hfx__norm_cdf(x) - p;
    }
    double u = e * 2.50662827463100050242 /* sqrt(2 pi) */ * exp(0.5 * x * x);
    return x - u / (1.0 + 0.5 * x * u);
}

double hfx__norm_ppf(double p) {
    if (isnan(p) || p < 0.0 || p > 1.0) {
        return NAN;
    }
    if (p == 0.0) {
        return -INFINITY;
    }
    if (p == 1.0) {
        return INFINITY;
    }
    /* For p > 0.5, 1 - p is exact: use the symmetry, as scipy's ndtri does, so ppf(1 - 1e-16) is as
     * accurate as ppf(1e-16) on the rounded input. */
    return p <= 0.5 ? ppf_lower(p) : -ppf_lower(1.0 - p);
}

//
// pyhf's asymptotic calculator
//

static int is_pyhf_asymptotic(int kind) {
    /* pyhf.infer.utils.get_test_stat knows only q0, q and qtilde; tmu/tmutilde raise
     * InvalidTestStatistic in pyhf's calculators. */
    return kind == HFX_TESTSTAT_QTILDE || kind == HFX_TESTSTAT_Q || kind == HFX_TESTSTAT_Q0;
}

double hfx__asymptotic_teststat(int teststat_kind, double q, double qA) {
    if (!is_pyhf_asymptotic(teststat_kind)) {
        return NAN;
    }
    double sqrtq  = sqrt(q);
    double sqrtqA = sqrt(qA);
    if (teststat_kind == HFX_TESTSTAT_Q || teststat_kind == HFX_TESTSTAT_Q0) {
        return sqrtq - sqrtqA;
    }
    /* qtilde: '<=' as pyhf (its issue #1992); the other branch squares the square roots again
     * (tensorlib.power(sqrtqmu_v, 2)), which we repeat to the bit. qA = 0 < q gives +inf. */
    if (sqrtq <= sqrtqA) {
        return sqrtq - sqrtqA;
    }
    return (sqrtq * sqrtq - sqrtqA * sqrtqA) / (2.0 * sqrtqA);
}

/* AsymptoticTestStatDistribution(shift, cutoff).pvalue: Phi(-(value - shift)), NaN below the cutoff
 * (and for a NaN value, since NaN >= cutoff is false). */
static double dist_pvalue(double value, double shift, double cutoff) {
    if (!(value >= cutoff)) {
        return NAN;
    }
    return hfx__norm_cdf(-(value - shift));
}

/* AsymptoticTestStatDistribution.expected_value: shift + nsigma, clamped from below at the cutoff. */
static double dist_expected_value(double shift, double nsigma, double cutoff) {
    return shift + nsigma > cutoff ? shift + nsigma : cutoff;
}

static void pvalues_cut(double teststat, double sqrtqA, double cutoff, double * clsb, double * clb, double * cls) {
    /* distributions(): s+b shifted to -sqrt(qA), b-only at 0, both with the same cutoff. */
    double sb = dist_pvalue(teststat, -sqrtqA, cutoff);
    double b  = dist_pvalue(teststat, 0.0, cutoff);
    *clsb     = sb;
    *clb      = b;
    *cls      = sb / b;
}

void hfx__asymptotic_pvalues(int teststat_kind, double teststat, double sqrtqA, double * clsb, double * clb,
                             double * cls) {
    if (!is_pyhf_asymptotic(teststat_kind)) {
        *clsb = *clb = *cls = NAN;
        return;
    }
    pvalues_cut(teststat, sqrtqA, -INFINITY, clsb, clb, cls);
}

void hfx__asymptotic_expected_full(int teststat_kind, double sqrtqA, int clipped_normal, double clsb[5],
                                   double clb[5], double cls[5]) {
    static const double nsigma[5] = {2.0, 1.0, 0.0, -1.0, -2.0};
    int                 ok        = is_pyhf_asymptotic(teststat_kind);
    double              cutoff    = clipped_normal ? -sqrtqA : -INFINITY;
    for (int i = 0; i < 5; i++) {
        double sb = NAN, b = NAN, s = NAN;
        if (ok) {
            pvalues_cut(dist_expected_value(0.0, nsigma[i], cutoff), sqrtqA, cutoff, &sb, &b, &s);
        }
        if (clsb) {
            clsb[i] = sb;
        }
        if (clb) {
            clb[i] = b;
        }
        if (cls) {
            cls[i] = s;
        }
    }
}

void hfx__asymptotic_expected(int teststat_kind, double sqrtqA, double cls_exp[5]) {
    double clsb[5], cls[5];
    hfx__asymptotic_expected_full(teststat_kind, sqrtqA, 0, clsb, NULL, cls);
    /* pyhf.infer.hypotest reports CLsb_exp for q0 and CLs_exp otherwise. */
    for (int i = 0; i < 5; i++) {
        cls_exp[i] = teststat_kind == HFX_TESTSTAT_Q0 ? clsb[i] : cls[i];
    }
}

/* pyhf's test statistic from the two fits: tmu = max(T(mu fixed) - T(free), 0); q and q~ are 0
 * when mu_hat > mu; q0 is 0 when mu_hat < 0. */
double hfx__teststat_from_fits(int teststat_kind, double mu, double t_fixed, double t_free, double mu_hat) {
    double tmu = t_fixed - t_free;
    if (!(tmu > 0)) {
        tmu = 0.0;
    }
    switch (teststat_kind) {
    case HFX_TESTSTAT_Q:
    case HFX_TESTSTAT_QTILDE:
        return mu_hat > mu ? 0.0 : tmu;
    case HFX_TESTSTAT_Q0:
        return mu_hat < 0 ? 0.0 : tmu;
    default:
        return tmu;
    }
}

//
// Chi-square tail (the goodness of fit's p-value)
//

/* Q(a, x) = Gamma(a, x) / Gamma(a). Below x < a + 1 the series of P = 1 - Q converges fast:
 * P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)); above, Q's continued fraction
 * Q = x^a e^-x / Gamma(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)), evaluated by the
 * modified Lentz method. The prefactor is taken in logs, so that large a and x do not overflow. */
double hfx__chi2_sf(double x, double k) {
    if (isnan(x) || isnan(k) || !(k > 0)) {
        return NAN;
    }
    if (x <= 0) {
        return 1.0;
    }
    if (isinf(x)) {
        return 0.0;
    }
    double a = 0.5 * k, z = 0.5 * x;
    int    sign;
    double log_pre = a * log(z) - z - lgamma_r(a, &sign);
    if (z < a + 1.0) {
        double term = 1.0 / a, sum = term;
        for (int n = 1; n < 100000 && fabs(term) > fabs(sum) * 1e-17; ++n) {
            term *= z / (a + n);
            sum += term;
        }
        return 1.0 - exp(log_pre) * sum;
    }
    const double tiny = 1e-300;
    double       b = z + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int n = 1; n < 100000; ++n) {
        double an = -n * (n - a);
        b += 2.0;
        d = an * d + b;
        d = fabs(d) < tiny ? tiny : d;
        c = b + an / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-16) {
            break;
        }
    }
    return exp(log_pre) * h;
}
