/*
 * toms748.h -- TOMS 748, the bracketing root finder of the upper-limit search (upper-limit.c), as
 * scipy.optimize.toms748. A pure function of a caller-owned struct, no state beyond it.
 */
#ifndef HFX_TOMS748_H
#define HFX_TOMS748_H

/* TOMS 748 (Alefeld, Potra, Shi 1995), as scipy.optimize.toms748 with k: finds a root of f in [a, b]
 * with f(a), f(b) of opposite signs. Reverse communication like the minimizer so that each f
 * evaluation (a hypotest) can be done by the caller. It follows scipy's TOMS748Solver step by step
 * (same points in the same order, same operation order, same stopping rule |a - b| <= xtol + rtol |b|
 * on the bracket, root = midpoint of the final bracket, or the point where f == 0 exactly).
 *
 * Usage:
 *     struct hfx_toms748 t;
 *     int rc = hfx__toms748_init(&t, a, b, f(a), f(b), xtol, rtol, k, max_iter);
 *     while (rc == 1) rc = hfx__toms748_step(&t, f(t.x));
 *     rc == 0: t.root is the answer; rc == -1: failure (bad arguments as scipy's toms748 checks them:
 *     xtol <= 0, rtol < eps, a >= b, non-finite a/b; f(a), f(b) of the same sign; a non-finite f
 *     value; more than max_iter iterations -- t.root then holds the bracket midpoint).
 * n_eval counts f values as scipy's function_calls (f(a), f(b) included). scipy sometimes proposes
 * the point it has just evaluated again; step() answers that from the last value instead of
 * returning it, so the caller sees each of those points once (n_eval still counts it twice).
 *
 * pyhf.infer.intervals.upper_limits.toms748_scan(level=0.05, atol=2e-12, rtol=1e-4) drives
 * scipy.optimize.toms748(f, lo, hi, k=2, xtol=atol, rtol=rtol) (maxiter 100) like this:
 *  - one hypotest per distinct POI value, cached by POI (a float-keyed dict) and shared by all six
 *    root searches; a hypotest gives (CLs_obs, CLs_exp[5]);
 *  - bracket: r = hypotest(lo); while any of the 6 values at lo < level: lo /= 2; then
 *    r = hypotest(hi); while any of the 6 values at hi > level: hi *= 2;
 *  - observed limit: toms748 on f(mu) = CLs_obs(mu) - level over [lo, hi];
 *  - expected limit i (i = 0..4, the CLs_exp order): toms748 on CLs_exp[i](mu) - level over the
 *    best bracket from the cache: among cached POIs with v = value - level, lower = the POI with
 *    the smallest v among v >= 0, upper = the POI with the largest v among v < 0 (argmin/argmax:
 *    the first in cache insertion order on ties);
 *  - f(a), f(b) passed to init come from the cache, so they cost no hypotest. */
struct hfx_toms748 {
    double x;         /* the point to evaluate next */
    double root;      /* result when done */
    int    n_eval;    /* scipy's function_calls */
    int    n_iter;    /* scipy's iterations */
    /* private */
    int    state_, k_, max_iter_, nsteps_, has_c_, has_e_;
    double a_, b_, fa_, fb_, d_, fd_, e_, fe_, c_, ab_width_, xtol_, rtol_, last_x_, last_f_;
};
/* Returns 1 when t->x wants evaluating, 0 when t->root already holds the answer (f(a) or f(b) is
 * 0), -1 on bad arguments. */
int hfx__toms748_init(struct hfx_toms748 * t, double a, double b, double fa, double fb, double xtol, double rtol,
                      int k, int max_iter);
/* Feed f(t->x); returns 1 while more evaluations are wanted, 0 when t->root holds the answer, -1 on
 * failure (no sign change, non-finite f, iteration limit). */
int  hfx__toms748_step(struct hfx_toms748 * t, double fx);

#endif /* HFX_TOMS748_H */
