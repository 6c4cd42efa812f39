/*
 * toms748.c -- the bracketing root finder of pyhf's upper-limit search: TOMS 748 (Alefeld, Potra,
 * Shi, ACM TOMS 21 (1995) 327) following scipy.optimize.toms748's TOMS748Solver step by step, quirks
 * included, so that hfx visits the same POI values in the same order as pyhf (toms748.h has the
 * interface and how upper-limit.c drives it). Reverse communication, state in a caller-owned struct,
 * no static mutable state.
 */
#include "infer/toms748.h"

#include <math.h>

/* No fused multiply-adds: the points must be scipy's bit for bit, which contraction would change
 * (GNU C and clang contract by default). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

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
