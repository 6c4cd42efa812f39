/*
 * stats.h -- the statistics toolbox of inference: normal distribution, pyhf's test statistics from
 * fits and its asymptotic formulas, the chi-square tail. (The root finder of upper limits:
 * toms748.h; the random numbers of toys: kernel/rng-kernel.h.)
 * Pure functions of their arguments, no state beyond what the caller passes.
 */
#ifndef HFX_STATS_H
#define HFX_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Standard normal CDF, survival function and quantile as scipy.stats.norm (pyhf's numpy backend).
 * cdf/sf reproduce scipy's ndtr (Cephes: 0.5 + 0.5 erf(x/sqrt 2) near 0, erfc(|x|/sqrt 2) beyond,
 * with Cephes' own roundings of x/sqrt 2 and of a^2 inside erfc, and its flush to 0 for
 * x < -37.677), so they agree with scipy to ~2e-15 relative wherever the result is a normal double,
 * e.g. hfx__norm_cdf(-30) ~ 4.9e-198; like scipy they are off the exact function by up to
 * ~x^2 * 1e-16 relative in deep tails. sf(x) = cdf(-x) as in scipy. ppf is accurate to ~2e-16 and
 * agrees with scipy's ndtri to ~1e-15 relative on all of (0, 1), denormal p included. */
double hfx__norm_cdf(double x);
double hfx__norm_sf(double x);
double hfx__norm_ppf(double p);   /* p in (0,1); -inf/+inf at 0/1; NaN outside */

/* pyhf's asymptotic calculator (pyhf/infer/calculators.py, AsymptoticCalculator), written on the
 * test statistics in sqrt space. teststat_kind: the values of enum hfx_teststat. Only QTILDE, Q and
 * Q0 exist in pyhf 0.7.6 (utils.get_test_stat raises InvalidTestStatistic for anything else): for
 * TMU / TMUTILDE (or any other kind) every function here returns NaN; the caller must reject them.
 *
 * What the caller passes as q and qA (pyhf/infer/test_statistics.py), with twice_nll the objective
 * pyhf minimises (-2 log L, auxiliary terms included):
 *  - observed: t = max(twice_nll(mu, fixed-POI fit) - twice_nll(free fit), 0), the difference of
 *    the two fits' objective values, clipped at 0 BEFORE the square root;
 *    Q / QTILDE: q = 0 if mu_hat > mu (strictly; mu_hat from the free fit), else t.
 *    Q0: mu is forced to 0; q = 0 if mu_hat < 0 (strictly), else t.
 *    QTILDE vs Q differ only in the POI bounds used by the fits (qtilde: lower bound 0, so mu_hat >= 0
 *    and the tilde ratio comes out of the bounded fit by itself).
 *  - Asimov: qA is the same statistic, same mu, same clipping rules (with the free fit to the Asimov
 *    data giving mu_hat_A), on the Asimov data generated from the fixed-POI fit to the OBSERVED data
 *    at mu = 0 (Q, QTILDE) or mu = 1 (Q0).
 *  - hfx__asymptotic_teststat takes q and qA themselves (it takes the square roots as pyhf does);
 *    hfx__asymptotic_pvalues / _expected take sqrt(qA) = sqrt(clipped qA).
 *
 *  - hfx__asymptotic_teststat: pyhf's AsymptoticCalculator.teststatistic return value:
 *    Q, Q0: sqrt(q) - sqrt(qA); QTILDE: sqrt(q) - sqrt(qA) if sqrt(q) <= sqrt(qA), else
 *    (sqrt(q)^2 - sqrt(qA)^2) / (2 sqrt(qA)), which is +inf when qA = 0 < q (as in pyhf).
 *  - hfx__asymptotic_pvalues: CLsb = Phi(-(ts + sqrt(qA))), CLb = Phi(-ts), CLs = CLsb / CLb, exactly
 *    AsymptoticTestStatDistribution.pvalue with calc_base_dist="normal" (the default; the observed
 *    values would be the same with "clipped_normal", since ts >= -sqrt(qA) always). NaN cases, as in
 *    pyhf (0/0): CLs is NaN when CLb underflows to 0, i.e. ts >~ 38.4 (huge q, or QTILDE with qA = 0
 *    < q, where ts = +inf and CLsb = CLb = 0). With qA = 0 and finite ts, CLs = 1. For Q0, pyhf's
 *    hypotest reports CLsb (the discovery p-value Phi(-sqrt(q))) where it reports CLs for the others.
 *  - hfx__asymptotic_expected: exactly what pyhf's hypotest reports as the expected set: CLs_exp for
 *    Q / QTILDE, CLsb_exp for Q0, at the b-only expected values nsigma = 2, 1, 0, -1, -2 in pyhf's
 *    order, i.e. cls_exp[0..4] = the -2σ, -1σ, median, +1σ, +2σ bands (increasing CLs), the order
 *    `pyhf cls` prints "CLs_exp" in. sqrtqA = 0 gives CLs_exp = 1 (CLsb = CLb).
 *  - hfx__asymptotic_expected_full: CLsb, CLb, CLs of the five points (any pointer may be NULL);
 *    clipped_normal != 0 reproduces calc_base_dist="clipped_normal" (cutoff -sqrtqA: the expected
 *    value is max(nsigma, -sqrtqA) with '>' as pyhf, p-values NaN below the cutoff). */
double hfx__asymptotic_teststat(int teststat_kind, double q, double qA);
/* pyhf's test statistic from a fit with the POI held at mu (t_fixed) and a free fit (t_free,
 * mu_hat), teststat_kind the values of enum hfx_teststat: tmu = max(t_fixed - t_free, 0); q and q~
 * are 0 when mu_hat > mu; q0 is 0 when mu_hat < 0; tmu and tmu~ are tmu (the two-sided ones have
 * no asymptotic formula here, but toys use them). What the asymptotic and the toy-based calculator
 * (hypotest.c, toys.c) both compute q and qA with. */
double hfx__teststat_from_fits(int teststat_kind, double mu, double t_fixed, double t_free, double mu_hat);
void   hfx__asymptotic_pvalues(int teststat_kind, double teststat, double sqrtqA, double * clsb, double * clb,
                               double * cls);
void   hfx__asymptotic_expected(int teststat_kind, double sqrtqA, double cls_exp[5]);
void   hfx__asymptotic_expected_full(int teststat_kind, double sqrtqA, int clipped_normal, double clsb[5],
                                     double clb[5], double cls[5]);

/* The chi-square distribution's survival function, scipy.stats.chi2.sf(x, k): the regularized upper
 * incomplete gamma function Q(k/2, x/2), by its series below x/2 < k/2 + 1 and its continued fraction
 * (modified Lentz) above, each to ~1e-15 relative. 1 for x <= 0; NaN for k <= 0 or NaN input. */
double hfx__chi2_sf(double x, double k);

#endif /* HFX_STATS_H */
