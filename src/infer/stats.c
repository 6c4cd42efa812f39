/*
 * stats.c -- the numerical toolbox behind hypothesis tests and limits.
 *
 * Three independent pieces, each written to reproduce what pyhf 0.7.6 gets from numpy/scipy:
 * - the standard normal distribution: the CDF is evaluated exactly as scipy.special.ndtr does
 *   (Cephes: erf near 0, erfc of |x|/sqrt(2) in the tails), so that the p-values agree with pyhf's
 *   to the last few bits, including the x^2 * eps argument-rounding error scipy has in deep tails;
 *   the quantile is Acklam's rational approximation refined by one Halley step (or by Newton steps
 *   on log Phi below ~1e-300, where the density underflows);
 * - pyhf's AsymptoticCalculator (pyhf/infer/calculators.py) in sqrt(q) space;
 * - TOMS 748 (Alefeld, Potra, Shi, ACM TOMS 21 (1995) 327) following scipy.optimize.toms748's
 *   TOMS748Solver step by step, quirks included, so that pyhf's upper-limit search visits the same
 *   POI values in the same order.
 * The random numbers of toys (Philox4x32-10 and its draws) live in kernel/rng-kernel.h, HFX_HD code
 * that a device backend compiles too. Everything is a pure function of its arguments or of a caller-owned struct (no static mutable
 * state), so the code can be compiled for a device as it is.
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

//
// TOMS 748, as scipy.optimize._zeros_py.TOMS748Solver
//

enum { T748_DONE = 0, T748_SECANT, T748_INNER, T748_FINAL, T748_BISECT, T748_FAILED };

#define T748_EPS 2.220446049250313e-16 /* np.finfo(float).eps */

static double sign_of(double v) {
    return (double) ((v > 0) - (v < 0));
}

/* _update_bracket: replace the endpoint whose f has the sign of fc; return the discarded one. */
static void t748_update_bracket(struct hfx_toms748 * t, double c, double fc, double * rx, double * rfx) {
    if (sign_of(t->fa_) * sign_of(fc) > 0) {
        *rx    = t->a_;
        *rfx   = t->fa_;
        t->a_  = c;
        t->fa_ = fc;
    } else {
        *rx    = t->b_;
        *rfx   = t->fb_;
        t->b_  = c;
        t->fb_ = fc;
    }
}

/* _notclose(fs, rtol=0, atol=32 eps): all non-zero, finite and pairwise farther apart than atol. */
static int t748_notclose(const double fs[4]) {
    for (int i = 0; i < 4; i++) {
        if (fs[i] == 0 || !isfinite(fs[i])) {
            return 0;
        }
    }
    for (int i = 0; i < 3; i++) {
        for (int j = i + 1; j < 4; j++) {
            if (fabs(fs[i] - fs[j]) <= 32 * T748_EPS) {
                return 0;
            }
        }
    }
    return 1;
}

/* _inverse_poly_zero: the cubic through (f_i, x_i) evaluated at 0, by Neville's scheme in scipy's
 * operation order (Q and D tableaux, then sum(Q[3, 1:]) + Q[3, 0]). */
static double t748_inverse_poly_zero(const double xs[4], const double fs[4]) {
    double q[4][4], dd[4][4];
    for (int i = 0; i < 4; i++) {
        q[i][0] = dd[i][0] = xs[i];
    }
    for (int k = 1; k < 4; k++) {
        for (int i = 0; i < 4 - k; i++) {
            double alpha  = dd[k + i][k - 1] - q[k - 1 + i][k - 1];
            double diffik = fs[i] - fs[i + k];
            q[k + i][k]   = (fs[k + i] - 0.0) / diffik * alpha;
            dd[k + i][k]  = (fs[i] - 0.0) / diffik * alpha;
        }
    }
    return q[3][1] + q[3][2] + q[3][3] + q[3][0];
}

/* _newton_quadratic: k Newton steps on the quadratic through (a, fa), (b, fb), (d, fd). */
static double t748_newton_quadratic(const struct hfx_toms748 * t, double d, double fd, int k) {
    double a = t->a_, b = t->b_, fa = t->fa_, fb = t->fb_;
    double B  = (fb - fa) / (b - a);
    double r1 = (fd - fb) / (d - b);
    double A  = (r1 - B) / (d - a);
    if (A == 0) {
        return a - fa / B;
    }
    double r = sign_of(A) * sign_of(fa) > 0 ? a : b;
    for (int i = 0; i < k; i++) {
        double p  = (A * (r - b) + B) * (r - a) + fa;
        double rn = r - p / (B + A * (2 * r - a - b));
        if (!(a < rn && rn < b)) {
            if (a < r && r < b) {
                return r;
            }
            r = (a + b) / 2.0;
            break;
        }
        r = rn;
    }
    return r;
}

/* One of the k inner steps of iterate(): inverse cubic interpolation when the four f values are
 * well separated and its zero lies inside, else the Newton-quadratic step. As in scipy, c is not
 * reset between inner steps: when the cubic step is rejected in the second one, the previous c is
 * proposed again (and its f value is reused, see hfx__toms748_step). */
static void t748_inner_point(struct hfx_toms748 * t) {
    if (t->has_e_) {
        double fs[4] = {t->fa_, t->fb_, t->fd_, t->fe_};
        if (t748_notclose(fs)) {
            double xs[4] = {t->a_, t->b_, t->d_, t->e_};
            double c0    = t748_inverse_poly_zero(xs, fs);
            if (t->a_ < c0 && c0 < t->b_) {
                t->c_     = c0;
                t->has_c_ = 1;
            }
        }
    }
    if (!t->has_c_) {
        t->c_     = t748_newton_quadratic(t, t->d_, t->fd_, t->nsteps_);
        t->has_c_ = 1;
    }
    t->x = t->c_;
}

/* The double-length secant step of iterate(), from the endpoint with the smaller |f|. */
static void t748_final_point(struct hfx_toms748 * t) {
    int    uix = fabs(t->fa_) < fabs(t->fb_) ? 0 : 1;
    double u   = uix == 0 ? t->a_ : t->b_;
    double fu  = uix == 0 ? t->fa_ : t->fb_;
    double A   = (t->fb_ - t->fa_) / (t->b_ - t->a_);
    double c   = u - 2 * fu / A;
    if (fabs(c - u) > 0.5 * (t->b_ - t->a_)) {
        c = (t->a_ + t->b_) / 2.0;
    } else if (fabs(c - u) <= T748_EPS * fabs(u)) {
        /* c did not move: f values of very different magnitude, or the root hugs an endpoint. */
        int eu, ev;
        frexp(uix == 0 ? t->fa_ : t->fb_, &eu);
        frexp(uix == 0 ? t->fb_ : t->fa_, &ev);
        if (eu < ev - 50) {
            double xu = uix == 0 ? t->a_ : t->b_, xv = uix == 0 ? t->b_ : t->a_;
            c = (31 * xu + xv) / 32;
        } else {
            double mm  = uix == 0 ? 1.0 : -1.0;
            double adj = mm * fabs(c) * t->rtol_ + mm * t->xtol_;
            c          = u + adj;
        }
        if (!(t->a_ < c && c < t->b_)) {
            c = (t->a_ + t->b_) / 2.0;
        }
    }
    t->c_ = c;
    t->x  = c;
}

static void t748_start_iteration(struct hfx_toms748 * t) {
    t->n_iter++;
    t->ab_width_ = t->b_ - t->a_;
    t->has_c_    = 0;
    t->nsteps_   = 2;
    t->state_    = T748_INNER;
    t748_inner_point(t);
}

static int t748_done(struct hfx_toms748 * t, double root) {
    t->root   = root;
    t->x      = root;
    t->state_ = T748_DONE;
    return 0;
}

static int t748_fail(struct hfx_toms748 * t) {
    t->root   = (t->a_ + t->b_) / 2.0;
    t->state_ = T748_FAILED;
    return -1;
}

/* End of iterate(): get_status() with np.isclose(a, b, rtol, atol) = |a - b| <= atol + rtol |b|. */
static int t748_end_iteration(struct hfx_toms748 * t) {
    double a = t->a_, b = t->b_;
    if (fabs(a - b) <= t->xtol_ + t->rtol_ * fabs(b)) {
        return t748_done(t, (a + b) / 2.0);
    }
    if (t->n_iter >= t->max_iter_) {
        return t748_fail(t);
    }
    t748_start_iteration(t);
    return 1;
}

int hfx__toms748_init(struct hfx_toms748 * t, double a, double b, double fa, double fb, double xtol, double rtol,
                      int k, int max_iter) {
    *t           = (struct hfx_toms748){0};
    t->a_        = a;
    t->b_        = b;
    t->fa_       = fa;
    t->fb_       = fb;
    t->xtol_     = xtol;
    t->rtol_     = rtol;
    t->k_        = k < 1 ? 1 : (k > 100 ? 100 : k); /* TOMS748Solver.configure: _K_MIN, _K_MAX */
    t->max_iter_ = max_iter;
    t->x         = NAN;
    t->root      = NAN;
    /* toms748()'s argument checks, then TOMS748Solver.start. */
    if (!(xtol > 0) || !(rtol >= T748_EPS) || max_iter < 1 || !isfinite(a) || !isfinite(b) || !(a < b)) {
        t->state_ = T748_FAILED;
        return -1;
    }
    t->n_eval = 1;
    if (!isfinite(fa)) {
        t->state_ = T748_FAILED;
        return -1;
    }
    if (fa == 0) {
        return t748_done(t, a);
    }
    t->n_eval = 2;
    if (!isfinite(fb)) {
        t->state_ = T748_FAILED;
        return -1;
    }
    if (fb == 0) {
        return t748_done(t, b);
    }
    if (sign_of(fa) * sign_of(fb) > 0) {
        t->state_ = T748_FAILED;
        return -1;
    }
    /* solve(): the first step has only two points, a secant (midpoint if it falls outside). */
    double c;
    if (fa == fb) {
        c = NAN;
    } else if (fabs(fb) > fabs(fa)) {
        c = (-fa / fb * b + a) / (1 - fa / fb);
    } else {
        c = (-fb / fa * a + b) / (1 - fb / fa);
    }
    if (!(a < c && c < b)) {
        c = (a + b) / 2.0;
    }
    t->c_     = c;
    t->x      = c;
    t->state_ = T748_SECANT;
    t->last_x_ = NAN;
    return 1;
}

/* Consume f(t->x) and compute the next point; 1: more wanted, 0: done, -1: failed. */
static int t748_advance(struct hfx_toms748 * t, double fx) {
    double rx, rfx;
    t->last_x_ = t->x;
    t->last_f_ = fx;
    t->n_eval++;
    if (!isfinite(fx)) {
        return t748_fail(t); /* scipy: ValueError("Invalid function value") */
    }
    switch (t->state_) {
    case T748_SECANT:
        if (fx == 0) {
            return t748_done(t, t->x);
        }
        t748_update_bracket(t, t->x, fx, &t->d_, &t->fd_);
        t->has_e_ = 0;
        t->n_iter++; /* solve() counts the secant step as an iteration */
        t748_start_iteration(t);
        return 1;
    case T748_INNER:
        if (fx == 0) {
            return t748_done(t, t->x);
        }
        t->e_     = t->d_;
        t->fe_    = t->fd_;
        t->has_e_ = 1;
        t748_update_bracket(t, t->x, fx, &rx, &rfx);
        t->d_  = rx;
        t->fd_ = rfx;
        if (++t->nsteps_ <= t->k_ + 1) {
            t748_inner_point(t);
        } else {
            t->state_ = T748_FINAL;
            t748_final_point(t);
        }
        return 1;
    case T748_FINAL:
        if (fx == 0) {
            return t748_done(t, t->x);
        }
        t->e_  = t->d_;
        t->fe_ = t->fd_;
        t748_update_bracket(t, t->x, fx, &rx, &rfx);
        t->d_  = rx;
        t->fd_ = rfx;
        if (t->b_ - t->a_ > 0.5 * t->ab_width_) {
            /* the interval did not shrink enough: bisect */
            t->e_     = t->d_;
            t->fe_    = t->fd_;
            t->x      = (t->a_ + t->b_) / 2.0;
            t->state_ = T748_BISECT;
            return 1;
        }
        return t748_end_iteration(t);
    case T748_BISECT:
        if (fx == 0) {
            return t748_done(t, t->x);
        }
        t748_update_bracket(t, t->x, fx, &rx, &rfx);
        t->d_  = rx;
        t->fd_ = rfx;
        return t748_end_iteration(t);
    case T748_DONE:
        return 0;
    default:
        return -1;
    }
}

int hfx__toms748_step(struct hfx_toms748 * t, double fx) {
    if (t->state_ == T748_DONE) {
        return 0;
    }
    if (t->state_ == T748_FAILED) {
        return -1;
    }
    for (;;) {
        int rc = t748_advance(t, fx);
        if (rc != 1) {
            return rc;
        }
        if (!isfinite(t->x)) {
            return t748_fail(t); /* scipy would raise on f(nan) */
        }
        /* scipy proposes the point it just evaluated again in one case (see t748_inner_point); it
         * is the same value, so take it from here rather than asking the caller for a refit. */
        if (t->x == t->last_x_) {
            fx = t->last_f_;
            continue;
        }
        return 1;
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
