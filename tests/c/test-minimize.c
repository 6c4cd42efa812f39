/*
 * test-minimize.c -- the bounded quasi-Newton minimiser and the finite-difference Hessian on problems
 * whose answer is known independently (analytically, by exact 1-D solves, or by a slow but simple
 * reference method). Iteration counts go to stderr for information. Every problem runs twice: with the
 * dense BFGS matrix and with the limited-memory one (history HFX_LBFGS_HISTORY), which must meet the
 * same tolerances.
 */
#include "kernel/hessian-kernel.h"
#include "kernel/minimize-kernel.h"
#include "hfx/hfx.h" /* HFX_LBFGS_HISTORY */

#include "hfx-test.h"

#include <stdint.h>

typedef double (*objective)(const void * ctx, size_t n, const double * x, double * g);

struct result {
    enum hfx_min_request code;
    double               f;
    double *             x; /* malloc'd, n */
    int                  n_iter, n_eval;
    double               pg_norm;
};

static const char * code_name(enum hfx_min_request r) {
    switch (r) {
    case HFX_MIN_EVAL: return "EVAL";
    case HFX_MIN_CONVERGED: return "CONVERGED";
    case HFX_MIN_MAX_ITER: return "MAX_ITER";
    case HFX_MIN_STALLED: return "STALLED";
    case HFX_MIN_BAD_START: return "BAD_START";
    }
    return "?";
}

/* The quasi-Newton matrix of this pass of the tests: 0 dense, > 0 that many pairs. */
static int g_history = 0;

static struct result minimize(const char * name, objective fn, const void * ctx, size_t n, const double * x0,
                              const double * lower, const double * upper, const bool * fixed,
                              const struct hfx_min_options * opts_in) {
    struct hfx_min_options opts_pass = opts_in ? *opts_in : (struct hfx_min_options) {0};
    opts_pass.history                = g_history;
    const struct hfx_min_options * opts = &opts_pass;
    void * ws = malloc(hfx__min_workspace_size(n, opts->history));
    double * g = malloc((n ? n : 1) * sizeof *g);
    ASSERT(ws && g);
    struct hfx_min_state st;
    hfx__min_init(&st, ws, n, x0, lower, upper, fixed, opts);
    enum hfx_min_request r;
    int guard = 0;
    do {
        for (size_t i = 0; i < n; ++i) {
            ASSERT(st.x[i] >= lower[i] && st.x[i] <= upper[i]); /* never outside the box */
            if (fixed && fixed[i]) {
                ASSERT(st.x[i] == x0[i]);
            }
        }
        double f = fn(ctx, n, st.x, g);
        if (fixed) {
            for (size_t i = 0; i < n; ++i) {
                if (fixed[i]) {
                    g[i] = NAN; /* must be ignored */
                }
            }
        }
        r = hfx__min_step(&st, f, g);
        ASSERT(++guard < 1000000);
    } while (r == HFX_MIN_EVAL);
    ASSERT(hfx__min_step(&st, 0.0, g) == r); /* terminal codes repeat */
    struct result res = { r, st.f_best, malloc((n ? n : 1) * sizeof(double)), st.n_iter, st.n_eval, st.pg_norm };
    ASSERT(res.x);
    for (size_t i = 0; i < n; ++i) {
        res.x[i] = st.x_best[i];
    }
    /* f_best is the value at x_best. */
    double fb = fn(ctx, n, res.x, g);
    ASSERT(fb == res.f);
    fprintf(stderr, "%-5s %-34s n=%-4zu %-9s iter=%-5d eval=%-5d f=%.15g pg=%.3g\n", g_history ? "lbfgs" : "bfgs", name, n, code_name(r), res.n_iter,
            res.n_eval, res.f, res.pg_norm);
    free(ws);
    free(g);
    return res;
}

static void fill(double * a, size_t n, double v) {
    for (size_t i = 0; i < n; ++i) {
        a[i] = v;
    }
}

/* the random problems of this file: one stream of hfx_test_rand from a fixed seed */
static uint64_t rng_state = 0x1234567887654321ull;
static double   rnd(void) { return hfx_test_rand(&rng_state); }

/* Solves a x = b (a: m x m, overwritten, SPD) by Cholesky; x may alias b. */
static void spd_solve(double * a, size_t m, const double * b, double * x) {
    ASSERT(min__cholesky(a, m)); /* the minimizer's own factorisation */
    for (size_t i = 0; i < m; ++i) {
        double v = b[i];
        for (size_t k = 0; k < i; ++k) {
            v -= a[i * m + k] * x[k];
        }
        x[i] = v / a[i * m + i];
    }
    for (size_t i = m; i-- > 0;) {
        double v = x[i];
        for (size_t k = i + 1; k < m; ++k) {
            v -= a[k * m + i] * x[k];
        }
        x[i] = v / a[i * m + i];
    }
}

//
// Rosenbrock (chained), optionally with scaled variables x_i = scale_i * u_i.
//

struct rosen {
    const double * scale; /* NULL: 1 */
};

static double rosenbrock(const void * ctx, size_t n, const double * u, double * g) {
    const struct rosen * r = ctx;
    double               f = 0.0;
    fill(g, n, 0.0);
    for (size_t i = 0; i + 1 < n; ++i) {
        double si = r && r->scale ? r->scale[i] : 1.0, sj = r && r->scale ? r->scale[i + 1] : 1.0;
        double a = u[i] * si, b = u[i + 1] * sj;
        double t = b - a * a, v = 1.0 - a;
        f += 100.0 * t * t + v * v;
        g[i] += (-400.0 * t * a - 2.0 * v) * si;
        g[i + 1] += 200.0 * t * sj;
    }
    return f;
}

static void test_rosenbrock(void) {
    double lo[10], up[10], x0[10];
    fill(lo, 10, -INFINITY);
    fill(up, 10, INFINITY);
    x0[0] = -1.2;
    x0[1] = 1.0;
    struct result r = minimize("rosenbrock 2d", rosenbrock, NULL, 2, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    ASSERT_NEAR_ABS(r.x[0], 1.0, 1e-8);
    ASSERT_NEAR_ABS(r.x[1], 1.0, 1e-8);
    ASSERT(r.f < 1e-16);
    free(r.x);

    for (size_t i = 0; i < 10; ++i) {
        x0[i] = i % 2 ? 1.0 : -1.2;
    }
    /* Chained Rosenbrock has a second local minimum near x_0 = -1; a box [-0.5, 2] on x_0 excludes it
     * (and tests an inactive bound on the way). */
    lo[0] = -0.5;
    up[0] = 2.0;
    r     = minimize("rosenbrock 10d", rosenbrock, NULL, 10, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    for (size_t i = 0; i < 10; ++i) {
        ASSERT_NEAR_ABS(r.x[i], 1.0, 1e-7);
    }
    free(r.x);

    /* A bound that cuts off the minimum of a curved valley: x <= 0.5 gives (0.5, 0.25), with
     * d f / d x = -1 pushing against the bound. */
    double lo2[2] = { -2.0, -2.0 }, up2[2] = { 0.5, 2.0 }, x2[2] = { -1.2, 1.0 };
    r = minimize("rosenbrock 2d, x <= 0.5", rosenbrock, NULL, 2, x2, lo2, up2, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    ASSERT(r.x[0] == 0.5);
    ASSERT_NEAR_ABS(r.x[1], 0.25, 1e-10);
    free(r.x);

    /* Badly scaled: x_i = s_i u_i with s from 1e-3 to 1e3; the minimum is at u_i = 1/s_i. */
    double s[4] = { 1e3, 1e-3, 30.0, 1e-2 };
    struct rosen rs = { s };
    double xs[4], los[4], ups[4];
    for (size_t i = 0; i < 4; ++i) {
        xs[i]  = 0.5 / s[i];
        los[i] = -10.0 / s[i];
        ups[i] = 10.0 / s[i];
    }
    r = minimize("rosenbrock badly scaled", rosenbrock, &rs, 4, xs, los, ups, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    for (size_t i = 0; i < 4; ++i) {
        ASSERT_NEAR_REL(r.x[i] * s[i], 1.0, 1e-6);
    }
    free(r.x);
}

//
// Quadratic 0.5 (x - c)' A (x - c), A dense SPD.
//

struct quad {
    size_t         n;
    const double * a;
    const double * c;
};

static double quadratic(const void * ctx, size_t n, const double * x, double * g) {
    const struct quad * q = ctx;
    double              f = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double v = 0.0;
        for (size_t j = 0; j < n; ++j) {
            v += q->a[i * n + j] * (x[j] - q->c[j]);
        }
        g[i] = v;
        f += 0.5 * v * (x[i] - q->c[i]);
    }
    return f;
}

/* A = M M' / n + diag, M uniform in (-1, 1), plus a diagonal spread of scales. */
static double * random_spd(size_t n, double diag, double spread) {
    double * m = malloc(n * n * sizeof *m);
    double * a = malloc(n * n * sizeof *a);
    double * w = malloc(n * sizeof *w);
    ASSERT(m && a && w);
    for (size_t i = 0; i < n * n; ++i) {
        m[i] = 2.0 * rnd() - 1.0;
    }
    for (size_t i = 0; i < n; ++i) {
        w[i] = pow(spread, rnd() - 0.5);
    }
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j <= i; ++j) {
            double v = 0.0;
            for (size_t k = 0; k < n; ++k) {
                v += m[i * n + k] * m[j * n + k];
            }
            v = v / (double) n * w[i] * w[j];
            a[i * n + j] = a[j * n + i] = v;
        }
        a[i * n + i] += diag * w[i] * w[i];
    }
    free(m);
    free(w);
    return a;
}

/* Reference for the box-constrained QP: projected coordinate descent, exact per coordinate, run to a
 * fixed point. Slow and simple, so independent of the method under test. */
static void box_qp_reference(const struct quad * q, const double * lo, const double * up, double * x) {
    size_t n = q->n;
    for (size_t i = 0; i < n; ++i) {
        x[i] = fmin(fmax(q->c[i], lo[i]), up[i]);
    }
    for (int sweep = 0; sweep < 200000; ++sweep) {
        double change = 0.0;
        for (size_t i = 0; i < n; ++i) {
            double gi = 0.0;
            for (size_t j = 0; j < n; ++j) {
                gi += q->a[i * n + j] * (x[j] - q->c[j]);
            }
            double xn = fmin(fmax(x[i] - gi / q->a[i * n + i], lo[i]), up[i]);
            change    = fmax(change, fabs(xn - x[i]));
            x[i]      = xn;
        }
        if (change < 1e-15) {
            return;
        }
    }
    ASSERT(!"reference did not converge");
}

static void check_kkt(const struct quad * q, const double * lo, const double * up, const double * x, double tol) {
    size_t   n = q->n;
    double * g = malloc(n * sizeof *g);
    ASSERT(g);
    quadratic(q, n, x, g);
    for (size_t i = 0; i < n; ++i) {
        if (x[i] == lo[i]) {
            ASSERT(g[i] >= -tol);
        } else if (x[i] == up[i]) {
            ASSERT(g[i] <= tol);
        } else {
            ASSERT_NEAR_ABS(g[i], 0.0, tol);
        }
    }
    free(g);
}

static void test_bounded_quadratic(void) {
    enum { N = 12 };
    double * a = random_spd(N, 0.5, 10.0);
    double   c[N], lo[N], up[N], x0[N], ref[N];
    for (size_t i = 0; i < N; ++i) {
        c[i]  = 3.0 * rnd() - 1.0; /* (-1, 2): about a third below the box, a third above */
        lo[i] = 0.0;
        up[i] = 1.0;
        x0[i] = 0.5;
    }
    struct quad q = { N, a, c };
    box_qp_reference(&q, lo, up, ref);
    int n_lo = 0, n_up = 0;
    for (size_t i = 0; i < N; ++i) {
        n_lo += ref[i] == 0.0;
        n_up += ref[i] == 1.0;
    }
    ASSERT(n_lo > 0 && n_up > 0); /* the test means something only with both kinds of active bound */
    struct result r = minimize("box qp (min outside box)", quadratic, &q, N, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    for (size_t i = 0; i < N; ++i) {
        if (ref[i] == 0.0 || ref[i] == 1.0) {
            ASSERT(r.x[i] == ref[i]); /* exactly on the bound */
        } else {
            ASSERT_NEAR_ABS(r.x[i], ref[i], 1e-9);
        }
    }
    check_kkt(&q, lo, up, r.x, 1e-9);
    free(r.x);

    /* Start on bounds: every parameter at the bound opposite to the reference, then at the reference's. */
    for (size_t i = 0; i < N; ++i) {
        x0[i] = ref[i] > 0.5 ? 0.0 : 1.0;
    }
    r = minimize("box qp (start on far bounds)", quadratic, &q, N, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    for (size_t i = 0; i < N; ++i) {
        ASSERT_NEAR_ABS(r.x[i], ref[i], 1e-9);
    }
    check_kkt(&q, lo, up, r.x, 1e-9);
    free(r.x);
    for (size_t i = 0; i < N; ++i) {
        x0[i] = ref[i] > 0.5 ? 1.0 : 0.0;
    }
    r = minimize("box qp (start on near bounds)", quadratic, &q, N, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    for (size_t i = 0; i < N; ++i) {
        ASSERT_NEAR_ABS(r.x[i], ref[i], 1e-9);
    }
    free(r.x);

    /* Fixed parameters (their gradient is fed as NaN): the conditional minimum solves
     * A_FF (x_F - c_F) = -A_FK (x_K - c_K). */
    bool   fixed[N] = { false };
    double xf[N], lu[N], uu[N];
    fill(lu, N, -INFINITY);
    fill(uu, N, INFINITY);
    for (size_t i = 0; i < N; ++i) {
        fixed[i] = i % 3 == 1;
        xf[i]    = fixed[i] ? 2.0 * rnd() - 1.0 : 0.0;
    }
    size_t fi[N], m = 0;
    for (size_t i = 0; i < N; ++i) {
        if (!fixed[i]) {
            fi[m++] = i;
        }
    }
    double aff[N * N], rhs[N], sol[N];
    for (size_t p = 0; p < m; ++p) {
        double v = 0.0;
        for (size_t k = 0; k < N; ++k) {
            if (fixed[k]) {
                v -= a[fi[p] * N + k] * (xf[k] - c[k]);
            }
        }
        rhs[p] = v;
        for (size_t r2 = 0; r2 < m; ++r2) {
            aff[p * m + r2] = a[fi[p] * N + fi[r2]];
        }
    }
    spd_solve(aff, m, rhs, sol);
    r = minimize("quadratic with fixed parameters", quadratic, &q, N, xf, lu, uu, fixed, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    for (size_t i = 0; i < N; ++i) {
        if (fixed[i]) {
            ASSERT(r.x[i] == xf[i]);
        }
    }
    for (size_t p = 0; p < m; ++p) {
        ASSERT_NEAR_ABS(r.x[fi[p]], sol[p] + c[fi[p]], 1e-9);
    }
    free(r.x);

    /* No parameters at all. */
    r = minimize("no parameters", quadratic, &q, 0, xf, lu, uu, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    free(r.x);

    /* Everything fixed: converged at once. */
    bool all[N];
    for (size_t i = 0; i < N; ++i) {
        all[i] = true;
    }
    r = minimize("all fixed", quadratic, &q, N, xf, lu, uu, all, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    ASSERT_EQ(r.n_eval, 1);
    free(r.x);
    free(a);
}

/* Badly scaled separable + coupled quadratic: curvatures from 1e-4 to 1e6. */
static void test_badly_scaled(void) {
    enum { N = 8 };
    double * a = random_spd(N, 0.2, 1e5);
    double   c[N], lo[N], up[N], x0[N];
    double   diag_min = INFINITY, diag_max = 0.0;
    for (size_t i = 0; i < N; ++i) {
        diag_min = fmin(diag_min, a[i * N + i]);
        diag_max = fmax(diag_max, a[i * N + i]);
    }
    fprintf(stderr, "  badly scaled: diagonal from %.3g to %.3g\n", diag_min, diag_max);
    for (size_t i = 0; i < N; ++i) {
        c[i]  = 10.0 * rnd() - 5.0;
        lo[i] = -1e3;
        up[i] = 1e3;
        x0[i] = 0.0;
    }
    struct quad   q = { N, a, c };
    struct result r = minimize("quadratic badly scaled", quadratic, &q, N, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    for (size_t i = 0; i < N; ++i) {
        ASSERT_NEAR_ABS(r.x[i], c[i], 1e-5);
    }
    ASSERT(r.f < 1e-12);
    free(r.x);
    free(a);
}

//
// Poisson toy: lam_i = mu s_i + b_i gamma_i, f = 2 sum (lam_i - n_i log lam_i) + sum ((gamma_i - 1)/sigma_i)^2.
// Parameters: x[0] = mu, x[1 + i] = gamma_i.
//

enum { MAXB = 300 };
struct poisson {
    size_t nb;
    double s[MAXB], b[MAXB], n[MAXB], sigma[MAXB];
};

static double poisson_nll(const void * ctx, size_t n, const double * x, double * g) {
    const struct poisson * p = ctx;
    ASSERT(n == 1 + p->nb);
    double f = 0.0;
    g[0]     = 0.0;
    for (size_t i = 0; i < p->nb; ++i) {
        double lam = x[0] * p->s[i] + p->b[i] * x[1 + i];
        if (!(lam > 0.0)) {
            return NAN;
        }
        double r = 1.0 - p->n[i] / lam;
        double t = (x[1 + i] - 1.0) / p->sigma[i];
        f += 2.0 * (lam - p->n[i] * log(lam)) + t * t;
        g[0] += 2.0 * r * p->s[i];
        g[1 + i] = 2.0 * r * p->b[i] + 2.0 * t / p->sigma[i];
    }
    return f;
}

/* Reference: for fixed mu the gammas decouple; each solves a 1-D convex problem (bisection on the
 * derivative, to the last bit). The profile over mu is minimised by golden section. */
static double poisson_profile(const struct poisson * p, double mu, double * gam) {
    double x[1 + MAXB], g[1 + MAXB];
    x[0] = mu;
    for (size_t i = 0; i < p->nb; ++i) {
        double lo = 1e-10, hi = 10.0;
        for (int it = 0; it < 200; ++it) {
            double gm  = 0.5 * (lo + hi);
            double lam = mu * p->s[i] + p->b[i] * gm;
            double d   = 2.0 * (1.0 - p->n[i] / lam) * p->b[i] + 2.0 * (gm - 1.0) / (p->sigma[i] * p->sigma[i]);
            if (d > 0.0) {
                hi = gm;
            } else {
                lo = gm;
            }
        }
        x[1 + i] = 0.5 * (lo + hi);
        if (gam) {
            gam[i] = x[1 + i];
        }
    }
    return poisson_nll(p, 1 + p->nb, x, g);
}

/* f is jointly convex in (mu, gamma) (lam is linear, -n log lam and the constraints are convex), so
 * the profile over gamma is convex in mu and its derivative is d f / d mu at the profiled gammas
 * (envelope theorem). Bisection on that derivative uses gradients only, so unlike a search on f
 * values it is not limited by the rounding of a large f. */
static double poisson_reference(const struct poisson * p, double mu_lo, double mu_hi, double * mu_hat) {
    double x[1 + MAXB], g[1 + MAXB];
    double a = mu_lo, b = mu_hi;
    for (int it = 0; it < 200; ++it) {
        x[0] = 0.5 * (a + b);
        poisson_profile(p, x[0], x + 1);
        poisson_nll(p, 1 + p->nb, x, g);
        if (g[0] > 0.0) {
            b = x[0];
        } else {
            a = x[0];
        }
    }
    x[0] = mu_lo;
    poisson_profile(p, x[0], x + 1);
    poisson_nll(p, 1 + p->nb, x, g);
    *mu_hat = g[0] >= 0.0 ? mu_lo : 0.5 * (a + b);
    return poisson_profile(p, *mu_hat, NULL);
}

static void run_poisson(const char * name, const struct poisson * p, bool fix_mu, double mu0) {
    size_t n = 1 + p->nb;
    double x0[1 + MAXB], lo[1 + MAXB], up[1 + MAXB];
    bool   fixed[1 + MAXB] = { false };
    x0[0]                  = mu0;
    lo[0]                  = 0.0;
    up[0]                  = 10.0;
    fixed[0]               = fix_mu;
    for (size_t i = 0; i < p->nb; ++i) {
        x0[1 + i] = 1.0;
        lo[1 + i] = 1e-10;
        up[1 + i] = 10.0;
    }
    struct result r = minimize(name, poisson_nll, p, n, x0, lo, up, fixed, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    double mu_hat = mu0, f_ref;
    double gam[MAXB];
    if (fix_mu) {
        f_ref = poisson_profile(p, mu0, gam);
        ASSERT(r.x[0] == mu0);
    } else {
        f_ref = poisson_reference(p, 0.0, 10.0, &mu_hat);
        poisson_profile(p, mu_hat, gam);
    }
    fprintf(stderr, "  f - f_ref = %.3g, mu = %.12g (ref %.12g)\n", r.f - f_ref, r.x[0], mu_hat);
    /* No higher than the reference beyond rounding, and not lower either (the reference is exact). */
    ASSERT(r.f <= f_ref + 1e-12 * fabs(f_ref));
    ASSERT(r.f >= f_ref - 1e-12 * fabs(f_ref));
    if (mu_hat == 0.0) {
        ASSERT(r.x[0] == 0.0); /* clipped exactly */
    } else {
        ASSERT_NEAR_ABS(r.x[0], mu_hat, 1e-8 * fmax(1.0, mu_hat));
    }
    for (size_t i = 0; i < p->nb; ++i) {
        if (gam[i] < 1e-9) {
            ASSERT(r.x[1 + i] == 1e-10); /* the reference's bisection stops near the bound, we on it */
        } else {
            ASSERT_NEAR_ABS(r.x[1 + i], gam[i], 1e-7);
        }
    }
    free(r.x);
}

static void test_poisson(void) {
    struct poisson p;
    p.nb = 6;
    for (size_t i = 0; i < p.nb; ++i) {
        p.s[i]     = 2.0 + 3.0 * (double) i;
        p.b[i]     = 50.0 - 5.0 * (double) i;
        p.sigma[i] = 0.05 + 0.02 * (double) i;
        p.n[i]     = floor(1.3 * p.s[i] + p.b[i] + 3.0 * sin((double) i)); /* mu ~ 1.3 */
    }
    run_poisson("poisson toy (free fit)", &p, false, 1.0);
    run_poisson("poisson toy (conditional mu=1)", &p, true, 1.0);
    run_poisson("poisson toy (conditional mu=0)", &p, true, 0.0);

    /* Deficit: the unconstrained mu_hat is negative, so the minimum sits on mu = 0. */
    struct poisson q = p;
    for (size_t i = 0; i < q.nb; ++i) {
        q.n[i] = floor(0.8 * q.b[i]);
    }
    run_poisson("poisson toy (mu_hat on bound 0)", &q, false, 1.0);

    /* Large counts: f ~ -7e7, so steps near the minimum change f by less than its rounding. */
    struct poisson big = p;
    for (size_t i = 0; i < big.nb; ++i) {
        big.s[i] *= 1e4;
        big.b[i] *= 1e4;
        big.sigma[i] *= 0.1;
        big.n[i] = floor(1.3 * big.s[i] + big.b[i] + 300.0 * sin((double) i));
    }
    run_poisson("poisson toy (large counts)", &big, false, 2.0);

    /* A bin with no data and no signal and a weak constraint: its gamma ends on the bound 1e-10. */
    struct poisson z = p;
    z.n[2]     = 0.0;
    z.s[2]     = 0.0;
    z.sigma[2] = 100.0;
    run_poisson("poisson toy (gamma on bound)", &z, false, 1.0);

    /* 300 bins with random yields, a few empty: 301 parameters, some gammas on the bound. */
    struct poisson w;
    w.nb = MAXB;
    for (size_t i = 0; i < w.nb; ++i) {
        w.s[i]     = 20.0 * rnd();
        w.b[i]     = 1.0 + 200.0 * rnd();
        w.sigma[i] = 0.02 + 0.3 * rnd();
        w.n[i]     = floor(1.1 * w.s[i] + w.b[i] * (0.8 + 0.4 * rnd()));
        if (i % 37 == 5) {
            w.n[i]     = 0.0;
            w.s[i]     = 0.0;
            w.sigma[i] = 50.0;
        }
    }
    run_poisson("poisson 300 bins (free fit)", &w, false, 1.0);
    run_poisson("poisson 300 bins (conditional mu=2)", &w, true, 2.0);
}

//
// Non-finite regions.
//

/* f = +inf where x_0 < 0.1; otherwise a quadratic with minimum at (0.12, 2), steep in x_0. */
static double hole(const void * ctx, size_t n, const double * x, double * g) {
    (void) ctx;
    (void) n;
    if (x[0] < 0.1) {
        g[0] = g[1] = NAN;
        return INFINITY;
    }
    double a = x[0] - 0.12, b = x[1] - 2.0;
    g[0]     = 2e3 * a + 0.5 * b;
    g[1]     = 0.5 * a + 2.0 * b;
    return 1e3 * a * a + 0.5 * a * b + b * b;
}

/* The same, minimum at x_0 = 0.05 inside the hole: the infimum over the finite region is at 0.1. */
static double hole_edge(const void * ctx, size_t n, const double * x, double * g) {
    (void) ctx;
    (void) n;
    if (x[0] < 0.1) {
        g[0] = g[1] = 0.0;
        return NAN;
    }
    double a = x[0] - 0.05, b = x[1] - 2.0;
    g[0]     = 2.0 * a;
    g[1]     = 2.0 * b;
    return a * a + b * b;
}

static void test_nonfinite(void) {
    double x0[2] = { 3.0, -1.0 }, lo[2] = { 0.0, -5.0 }, up[2] = { 5.0, 5.0 };
    struct result r = minimize("inf region, minimum near it", hole, NULL, 2, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    ASSERT_NEAR_ABS(r.x[0], 0.12, 1e-9);
    ASSERT_NEAR_ABS(r.x[1], 2.0, 1e-9);
    free(r.x);

    /* A minimum on the edge of a non-finite region is a hidden constraint the method cannot see: it
     * must end gracefully (STALLED) at a finite point that is better than the start, at the edge. */
    r = minimize("nan region, minimum inside it", hole_edge, NULL, 2, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_STALLED);
    ASSERT(isfinite(r.f) && r.f < 0.5);
    ASSERT_NEAR_ABS(r.x[0], 0.1, 1e-6);
    free(r.x);

    /* A bad start is reported, not minimised. */
    double xb[2] = { 0.0, 0.0 };
    r            = minimize("bad start", hole, NULL, 2, xb, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_BAD_START);
    free(r.x);
}

//
// Large problems.
//

static void test_large(size_t n, double tol, bool boxed) {
    double * a  = random_spd(n, 0.1, 1.0);
    double * c  = malloc(n * sizeof *c);
    double * x0 = malloc(n * sizeof *x0);
    double * lo = malloc(n * sizeof *lo);
    double * up = malloc(n * sizeof *up);
    double * ac = malloc(n * n * sizeof *ac);
    double * z  = malloc(n * sizeof *z);
    ASSERT(c && x0 && lo && up && ac && z);
    for (size_t i = 0; i < n; ++i) {
        c[i]  = 4.0 * rnd() - 2.0;
        x0[i] = 0.0;
        lo[i] = boxed ? -5.0 : -INFINITY;
        up[i] = boxed ? 5.0 : INFINITY;
    }
    /* Unconstrained (or with an inactive box): the minimum is c; check by solving A (x - c) = 0 the
     * hard way is pointless, so also move the minimum: minimise 0.5 x'Ax - b'x with b = A c + e and
     * compare with c + A^-1 e computed by Cholesky. */
    for (size_t i = 0; i < n; ++i) {
        z[i] = 0.1 * (2.0 * rnd() - 1.0);
    }
    for (size_t i = 0; i < n * n; ++i) {
        ac[i] = a[i];
    }
    spd_solve(ac, n, z, z); /* z = A^-1 e */
    double * cc = malloc(n * sizeof *cc);
    ASSERT(cc);
    for (size_t i = 0; i < n; ++i) {
        cc[i] = c[i] + z[i];
    }
    struct quad q = { n, a, cc };
    char        name[64];
    snprintf(name, sizeof name, "random spd quadratic%s", boxed ? " (boxed)" : "");
    struct result r = minimize(name, quadratic, &q, n, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    double err = 0.0;
    for (size_t i = 0; i < n; ++i) {
        err = fmax(err, fabs(r.x[i] - cc[i]));
    }
    fprintf(stderr, "  max |x - x_ref| = %.3g\n", err);
    ASSERT(err <= tol);
    free(r.x);
    free(a);
    free(c);
    free(x0);
    free(lo);
    free(up);
    free(ac);
    free(z);
    free(cc);
}

/* Box QP with many active bounds at once (more than the 32 that minimize.c downdates one by one), against the reference. */
static void test_many_active(size_t N) {
    double * a  = random_spd(N, 1.0, 1.0);
    double * c  = malloc(N * sizeof *c);
    double * lo = malloc(N * sizeof *lo);
    double * up = malloc(N * sizeof *up);
    double * x0 = malloc(N * sizeof *x0);
    double * ref = malloc(N * sizeof *ref);
    ASSERT(c && lo && up && x0 && ref);
    for (size_t i = 0; i < N; ++i) {
        c[i]  = 6.0 * rnd() - 3.0;
        lo[i] = -1.0;
        up[i] = 1.0;
        x0[i] = 0.0;
    }
    struct quad q = { N, a, c };
    box_qp_reference(&q, lo, up, ref);
    struct result r = minimize("box qp, many active", quadratic, &q, N, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    int active = 0;
    for (size_t i = 0; i < N; ++i) {
        active += ref[i] == lo[i] || ref[i] == up[i];
        ASSERT_NEAR_ABS(r.x[i], ref[i], 1e-9);
    }
    fprintf(stderr, "  %d of %zu on a bound\n", active, N);
    check_kkt(&q, lo, up, r.x, 1e-9);
    free(r.x);
    free(a);
    free(c);
    free(lo);
    free(up);
    free(x0);
    free(ref);
}

/* n = 2000 with a cheap objective: 0.5 (x - c)' (D + v v') (x - c) - e'x, whose minimum
 * c + A^-1 e follows from Sherman-Morrison. Checks that the dense O(n^2) machinery copes. */
struct lowrank {
    const double *d, *v, *c, *e;
};

static double lowrank_f(const void * ctx, size_t n, const double * x, double * g) {
    const struct lowrank * q = ctx;
    double                 vz = 0.0, f = 0.0;
    for (size_t i = 0; i < n; ++i) {
        vz += q->v[i] * (x[i] - q->c[i]);
    }
    for (size_t i = 0; i < n; ++i) {
        double z = x[i] - q->c[i];
        g[i]     = q->d[i] * z + q->v[i] * vz - q->e[i];
        f += 0.5 * q->d[i] * z * z - q->e[i] * x[i];
    }
    return f + 0.5 * vz * vz;
}

static void test_n2000(void) {
    enum { N = 2000 };
    double *d = malloc(N * sizeof *d), *v = malloc(N * sizeof *v), *c = malloc(N * sizeof *c);
    double *e = malloc(N * sizeof *e), *x0 = malloc(N * sizeof *x0), *lo = malloc(N * sizeof *lo);
    double *up = malloc(N * sizeof *up);
    ASSERT(d && v && c && e && x0 && lo && up);
    double vdv = 0.0, vde = 0.0;
    for (size_t i = 0; i < N; ++i) {
        d[i]  = 1.0 + 3.0 * rnd();
        v[i]  = 0.1 * (2.0 * rnd() - 1.0);
        c[i]  = 2.0 * rnd() - 1.0;
        e[i]  = 0.5 * (2.0 * rnd() - 1.0);
        x0[i] = 0.0;
        lo[i] = -5.0;
        up[i] = 5.0;
        vdv += v[i] * v[i] / d[i];
        vde += v[i] * e[i] / d[i];
    }
    struct lowrank q = { d, v, c, e };
    struct result  r = minimize("low rank + diagonal", lowrank_f, &q, N, x0, lo, up, NULL, NULL);
    ASSERT_EQ(r.code, HFX_MIN_CONVERGED);
    double err = 0.0;
    for (size_t i = 0; i < N; ++i) {
        double ref = c[i] + e[i] / d[i] - v[i] / d[i] * vde / (1.0 + vdv);
        err        = fmax(err, fabs(r.x[i] - ref));
    }
    fprintf(stderr, "  max |x - x_ref| = %.3g\n", err);
    ASSERT(err <= 1e-9);
    free(r.x);
    free(d);
    free(v);
    free(c);
    free(e);
    free(x0);
    free(lo);
    free(up);
}

//
// Hessian.
//

struct lin {
    size_t         n;
    const double * a;
    const double * b;
};

/* Gradient of 0.5 x'Ax + b'x (only the gradient is needed). */
static void lin_grad(const struct lin * l, const double * x, double * g) {
    for (size_t i = 0; i < l->n; ++i) {
        double v = l->b[i];
        for (size_t j = 0; j < l->n; ++j) {
            v += l->a[i * l->n + j] * x[j];
        }
        g[i] = v;
    }
}

static bool hessian_inverse(const struct lin * l, const double * x0, const double * lo, const double * up,
                            const bool * fixed, double * cov, int * n_grad) {
    size_t n  = l->n;
    void * ws = malloc(hfx__hess_workspace_size(n));
    double * g = malloc(n * sizeof *g);
    ASSERT(ws && g);
    struct hfx_hess_state s;
    hfx__hess_init(&s, ws, n, x0, lo, up, fixed);
    /* the points are independent: feed them last to first, as a batch may return them in any order */
    double * x     = malloc(n * sizeof *x);
    size_t   total = hfx__hess_n_points(&s);
    ASSERT(x);
    *n_grad = 0;
    for (size_t k = total; k-- > 0;) {
        hfx__hess_point(&s, k, x);
        for (size_t i = 0; i < n; ++i) {
            ASSERT(x[i] >= lo[i] && x[i] <= up[i]);
        }
        lin_grad(l, x, g);
        hfx__hess_set_gradient(&s, k, g);
        ++*n_grad;
    }
    bool ok = hfx__hess_inverse(&s, cov);
    free(ws);
    free(g);
    free(x);
    return ok;
}

static void test_hessian(void) {
    enum { N = 7 };
    double * a = random_spd(N, 0.3, 10.0);
    double   b[N], x0[N], lo[N], up[N], cov[N * N];
    bool     fixed[N] = { false };
    for (size_t i = 0; i < N; ++i) {
        b[i]  = rnd();
        x0[i] = 2.0 * rnd() - 1.0;
        lo[i] = -5.0;
        up[i] = 5.0;
    }
    x0[2]        = lo[2]; /* at a bound: one-sided difference */
    x0[4]        = up[4];
    struct lin l = { N, a, b };
    int        ng;
    ASSERT(hessian_inverse(&l, x0, lo, up, NULL, cov, &ng));
    ASSERT_EQ(ng, 2 * N);
    /* cov * A = I */
    for (size_t i = 0; i < N; ++i) {
        for (size_t j = 0; j < N; ++j) {
            double v = 0.0;
            for (size_t k = 0; k < N; ++k) {
                v += cov[i * N + k] * a[k * N + j];
            }
            ASSERT_NEAR_ABS(v, i == j ? 1.0 : 0.0, 1e-7);
        }
    }
    fprintf(stderr, "hessian inverse n=%d: %d gradients\n", N, ng);

    /* With fixed parameters: the inverse of the free block, zeros elsewhere. */
    fixed[1] = fixed[5] = true;
    ASSERT(hessian_inverse(&l, x0, lo, up, fixed, cov, &ng));
    ASSERT_EQ(ng, 2 * (N - 2));
    size_t fi[N], m = 0;
    for (size_t i = 0; i < N; ++i) {
        if (!fixed[i]) {
            fi[m++] = i;
        }
    }
    for (size_t i = 0; i < N; ++i) {
        for (size_t j = 0; j < N; ++j) {
            if (fixed[i] || fixed[j]) {
                ASSERT(cov[i * N + j] == 0.0);
            }
        }
    }
    for (size_t p = 0; p < m; ++p) {
        for (size_t q = 0; q < m; ++q) {
            double v = 0.0;
            for (size_t k = 0; k < m; ++k) {
                v += cov[fi[p] * N + fi[k]] * a[fi[k] * N + fi[q]];
            }
            ASSERT_NEAR_ABS(v, p == q ? 1.0 : 0.0, 1e-7);
        }
    }

    /* Not positive definite: reported, and the regularised inverse is still finite and symmetric. */
    double ind[4] = { 1.0, 2.0, 2.0, 1.0 }, b2[2] = { 0.0, 0.0 }, z0[2] = { 0.0, 0.0 };
    double l2[2] = { -1.0, -1.0 }, u2[2] = { 1.0, 1.0 }, cov2[4];
    struct lin li = { 2, ind, b2 };
    ASSERT(!hessian_inverse(&li, z0, l2, u2, NULL, cov2, &ng));
    for (size_t i = 0; i < 4; ++i) {
        ASSERT(isfinite(cov2[i]));
    }
    ASSERT(cov2[1] == cov2[2]);
    free(a);
}

static void test_minimizer(void) {
    test_rosenbrock();
    test_bounded_quadratic();
    test_badly_scaled();
    test_poisson();
    test_nonfinite();
    test_many_active(80);
    test_many_active(300);
    test_large(50, 1e-9, false);
    test_large(500, 1e-8, false);
    test_large(500, 1e-8, true);
    test_n2000();
}

int main(void) {
    for (int pass = 0; pass < 2; ++pass) {
        g_history = pass ? HFX_LBFGS_HISTORY : 0;
        test_minimizer();
    }
    test_hessian();
    fprintf(stderr, "test-minimize: ok\n");
    return 0;
}
