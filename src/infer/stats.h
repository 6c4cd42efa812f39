/*
 * stats.h -- the statistics toolbox of inference: normal distribution, pyhf's asymptotic formulas,
 * a bracketing root finder (TOMS 748), and a counter-based random number generator for toys.
 * Pure functions of their arguments, no state beyond what the caller passes.
 */
#ifndef HFX_STATS_H
#define HFX_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Standard normal CDF, survival function and quantile, to full double precision (relative 1e-15
 * in the tails, e.g. hfx__norm_cdf(-30) ~ 4.9e-198). */
double hfx__norm_cdf(double x);
double hfx__norm_sf(double x);
double hfx__norm_ppf(double p);   /* p in (0,1); -inf/+inf at 0/1; NaN outside */

/* pyhf's asymptotic calculator (pyhf/infer/calculators.py, AsymptoticCalculator), written on the
 * test statistics in sqrt space. teststat_kind: the values of enum hfx_teststat.
 *  - hfx__asymptotic_teststat: pyhf's "teststat" (sqrt(q) - sqrt(qA) or the q̃ / t̃ variants) from
 *    q (observed, >= 0) and qA (Asimov, >= 0).
 *  - hfx__asymptotic_pvalues: CLsb, CLb, CLs for a value of that statistic, exactly as pyhf's
 *    AsymptoticTestStatDistribution.pvalue (with its cutoffs), and CLs = CLsb / CLb.
 *  - hfx__asymptotic_expected: the five expected CLs (nsigma = 2,1,0,-1,-2 in pyhf's order, reported
 *    -2σ..+2σ increasing) and the matching CLsb, CLb. */
double hfx__asymptotic_teststat(int teststat_kind, double q, double qA);
void   hfx__asymptotic_pvalues(int teststat_kind, double teststat, double sqrtqA, double * clsb, double * clb,
                               double * cls);
void   hfx__asymptotic_expected(int teststat_kind, double sqrtqA, double cls_exp[5]);

/* TOMS 748 (Alefeld, Potra, Shi 1995), as scipy.optimize.toms748 with k: finds a root of f in [a, b]
 * with f(a), f(b) of opposite signs, to |x - root| <= xtol + rtol * |x|. Reverse communication like
 * the minimizer so that each f evaluation (a hypotest) can be done by the caller. */
struct hfx_toms748 {
    double x;         /* the point to evaluate next */
    double root;      /* result when done */
    int    n_eval;
    int    state_[4];
    double work_[16];
};
void hfx__toms748_init(struct hfx_toms748 * t, double a, double b, double fa, double fb, double xtol, double rtol,
                       int k, int max_iter);
/* Feed f(t->x); returns 1 while more evaluations are wanted, 0 when t->root holds the answer, -1 on
 * failure (no sign change, iteration limit). */
int  hfx__toms748_step(struct hfx_toms748 * t, double fx);

/* Philox4x32-10 (Salmon et al. 2011): a counter-based generator, so toy i of seed s is the same on
 * every backend, thread count and batch split. A stream is (seed, stream id); draws advance its counter. */
struct hfx_rng {
    uint64_t key;
    uint64_t stream;
    uint64_t counter;
    uint32_t buf[4];
    int      n_buf;
};
void     hfx__rng_init(struct hfx_rng * r, uint64_t seed, uint64_t stream);
uint32_t hfx__rng_u32(struct hfx_rng * r);
double   hfx__rng_uniform(struct hfx_rng * r);   /* (0, 1), 53 bits */
double   hfx__rng_normal(struct hfx_rng * r);    /* standard normal */
double   hfx__rng_poisson(struct hfx_rng * r, double mean); /* exact Poisson draw; mean >= 0, returns a whole number */

#endif /* HFX_STATS_H */
