/*
 * upper-limit.c -- observed and expected upper limits on the POI, as pyhf's toms748_scan:
 * widen [lo, hi] until every CLs curve crosses the level inside it (halving lo, doubling hi), then
 * solve CLs(mu) = level with TOMS 748 (k = 2, xtol = 2e-12, rtol = 1e-4) for the observed curve on
 * [lo, hi] and for each expected curve on the tightest bracket among the points already tested.
 * Every hypotest result is cached by mu, as pyhf does, so brackets reuse earlier points.
 *
 * With n_scan points, pyhf's linear_grid_scan instead: the hypotests of the whole grid as one batch
 * of fits, and each limit where np.interp puts the level on its CLs curve.
 */
#include "infer/infer.h"

#include "infer/stats.h"

#include <math.h>
#include <string.h>

struct point {
    double mu;
    double cls[6]; /* observed, then the five expected */
};

struct scan {
    struct hypo_cache                   cache;
    const struct hfx_upper_limit_options * o;
    struct point *                      pts;
    size_t                              n, cap;
    enum hfx_fit_status                 status; /* the least converged fit so far */
};

static enum hfx_status scan_eval(struct scan * s, double mu, const struct point ** out, struct hfx_error * err) {
    for (size_t i = 0; i < s->n; ++i) {
        if (s->pts[i].mu == mu) {
            *out = &s->pts[i];
            return HFX_OK;
        }
    }
    if (s->n == s->cap) {
        size_t         cap = s->cap ? 2 * s->cap : 32;
        struct point * p   = realloc(s->pts, cap * sizeof *p);
        if (!p) {
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
        s->pts = p;
        s->cap = cap;
    }
    struct hfx_hypotest_result r;
    enum hfx_status            st = hfx__hypo_cache_test(&s->cache, mu, &r, err);
    if (st != HFX_OK) {
        return st;
    }
    s->status        = hfx_fit_status_worse(s->status, r.status);
    struct point * p = &s->pts[s->n++];
    p->mu            = mu;
    p->cls[0]        = r.cls_obs;
    memcpy(&p->cls[1], r.cls_exp, sizeof r.cls_exp);
    for (int i = 0; i < 6; ++i) {
        if (isnan(p->cls[i])) {
            return hfx__error(err, HFX_ERR_NUMERIC, NULL,
                              "CLs is undefined (0/0) at mu = %g: the Asimov test statistic vanishes", mu);
        }
    }
    if (s->o->hypotest.progress) {
        s->o->hypotest.progress(s->o->hypotest.progress_user, s->n, 0);
    }
    *out = p;
    return HFX_OK;
}

static bool any_below(const struct point * p, double level) {
    for (int i = 0; i < 6; ++i) {
        if (p->cls[i] < level) {
            return true;
        }
    }
    return false;
}

static bool any_above(const struct point * p, double level) {
    for (int i = 0; i < 6; ++i) {
        if (p->cls[i] > level) {
            return true;
        }
    }
    return false;
}

/* pyhf best_bracket: the tested mu with the smallest non-negative CLs - level, and the one with the
 * largest negative value. */
static void best_bracket(const struct scan * s, int curve, double level, double * lo, double * hi) {
    double best_pos = INFINITY, best_neg = -INFINITY;
    for (size_t i = 0; i < s->n; ++i) {
        double v = s->pts[i].cls[curve] - level;
        if (v >= 0 && v < best_pos) {
            best_pos = v;
            *lo      = s->pts[i].mu;
        } else if (v < 0 && v > best_neg) {
            best_neg = v;
            *hi      = s->pts[i].mu;
        }
    }
}

static enum hfx_status solve(struct scan * s, int curve, double a, double b, double level, double rtol,
                             double * root, struct hfx_error * err) {
    /* scan_eval may grow (move) the point table: copy values out before the next call */
    const struct point * p = NULL;
    enum hfx_status      st;
    if ((st = scan_eval(s, a, &p, err)) != HFX_OK) {
        return st;
    }
    double fa = p->cls[curve] - level;
    if ((st = scan_eval(s, b, &p, err)) != HFX_OK) {
        return st;
    }
    double fb = p->cls[curve] - level;
    struct hfx_toms748 t;
    int more = hfx__toms748_init(&t, a, b, fa, fb, 2e-12, rtol, 2, 100);
    while (more == 1) {
        if ((st = scan_eval(s, t.x, &p, err)) != HFX_OK) {
            return st;
        }
        more = hfx__toms748_step(&t, p->cls[curve] - level);
    }
    if (more < 0) {
        return hfx__error(err, HFX_ERR_NUMERIC, NULL, "the root finder did not converge for the %s limit",
                          curve == 0 ? "observed" : "expected");
    }
    *root = t.root;
    return HFX_OK;
}

/* np.interp(x, xp, fp) for increasing xp: fp's end values outside [xp[0], xp[n-1]]. */
static double np_interp(double x, const double * xp, const double * fp, size_t n) {
    if (!(x > xp[0])) {
        return fp[0];
    }
    if (!(x < xp[n - 1])) {
        return fp[n - 1];
    }
    size_t j = 0;
    while (j + 2 < n && !(x < xp[j + 1])) {
        ++j;
    }
    double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    return slope * (x - xp[j]) + fp[j];
}

/* pyhf's linear_grid_scan over n points from lo to hi (numpy.linspace). */
static enum hfx_status grid_scan(struct scan * s, double lo, double hi, double level,
                                 struct hfx_upper_limit_result * result, struct hfx_error * err) {
    size_t                       n   = s->o->n_scan;
    double *                     mu  = malloc(n * sizeof *mu);
    double *                     cls = malloc(n * 7 * sizeof *cls); /* 6 curves, reversed, then mu reversed */
    struct hfx_hypotest_result * r   = malloc(n * sizeof *r);
    enum hfx_status              st  = HFX_OK;
    if (!mu || !cls || !r) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        goto done;
    }
    double step = (hi - lo) / (double) (n - 1);
    for (size_t i = 0; i < n; ++i) {
        mu[i] = i + 1 == n ? hi : lo + (double) i * step;
    }
    if ((st = hfx__hypo_cache_test_batch(&s->cache, mu, n, r, err)) != HFX_OK) {
        goto done;
    }
    /* pyhf interpolates over the reversed grid: CLs falls with mu, so reversed it rises */
    double * mu_rev = cls + 6 * n;
    for (size_t i = 0; i < n; ++i) {
        size_t k        = n - 1 - i;
        s->status       = hfx_fit_status_worse(s->status, r[k].status);
        mu_rev[i]       = mu[k];
        cls[i]          = r[k].cls_obs;
        for (int c = 0; c < 5; ++c) {
            cls[(size_t) (c + 1) * n + i] = r[k].cls_exp[c];
        }
        if (s->o->scan_points) {
            double * row = &s->o->scan_points[k * 7];
            row[0]       = mu[k];
            row[1]       = r[k].cls_obs;
            memcpy(&row[2], r[k].cls_exp, sizeof r[k].cls_exp);
        }
    }
    result->obs = np_interp(level, cls, mu_rev, n);
    for (int c = 0; c < 5; ++c) {
        result->exp[c] = np_interp(level, cls + (size_t) (c + 1) * n, mu_rev, n);
    }
    result->n_hypotests = (int) n;
    result->status      = s->status;
done:
    free(mu);
    free(cls);
    free(r);
    return st;
}

enum hfx_status hfx_upper_limit(hfx_engine_t e, const struct hfx_upper_limit_options * opts,
                                struct hfx_upper_limit_result * result, struct hfx_error * err) {
    if (!e || !opts || !result) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_upper_limit: NULL argument");
    }
    if (opts->hypotest.calctype != HFX_CALC_ASYMPTOTICS) {
        return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL, "upper limits use the asymptotic calculator");
    }
    const struct hfx_model * m     = e->m;
    double                   level = opts->level > 0 ? opts->level : 0.05;
    double                   rtol  = opts->rtol > 0 ? opts->rtol : 1e-4;
    if (!(level < 1)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the CLs level must be in (0, 1)");
    }
    if (opts->n_scan == 1 || (opts->n_scan > 1 && !(opts->lo < opts->hi))) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a grid scan needs at least 2 points and lo < hi");
    }
    hfx__engine_warnings_reset(e);
    struct scan s = {.o = opts, .status = HFX_FIT_CONVERGED};
    enum hfx_status st = hfx__hypo_cache_init(&s.cache, e, opts->hypotest.data, opts->hypotest.teststat, err);
    if (st != HFX_OK) {
        return st;
    }
    if (opts->n_scan > 1) {
        return grid_scan(&s, opts->lo, opts->hi, level, result, err);
    }
    double lo = opts->lo, hi = opts->hi;
    if (lo == 0 && hi == 0) {
        /* pyhf starts at the POI's bounds; at mu = 0 the q~ CLs is 0/0 and pyhf's upper_limit()
         * fails, so hfx starts at 1/100 of the upper bound when the lower one is 0 */
        lo = m->lower[m->poi] > 0 ? m->lower[m->poi] : 0.01 * m->upper[m->poi];
        hi = m->upper[m->poi];
    }
    if (!(lo < hi)) {
        free(s.pts);
        return hfx__error(err, HFX_ERR_ARG, NULL, "the scan bracket must have lo < hi");
    }
    const struct point * p = NULL;
    for (int k = 0;; ++k) {
        if ((st = scan_eval(&s, lo, &p, err)) != HFX_OK) {
            goto done;
        }
        if (!any_below(p, level)) {
            break;
        }
        if (k == 64) {
            st = hfx__error(err, HFX_ERR_NUMERIC, NULL, "CLs stays below %g even at mu = %g", level, lo);
            goto done;
        }
        lo /= 2;
    }
    for (int k = 0;; ++k) {
        if ((st = scan_eval(&s, hi, &p, err)) != HFX_OK) {
            goto done;
        }
        if (!any_above(p, level)) {
            break;
        }
        if (k == 40) {
            st = hfx__error(err, HFX_ERR_NUMERIC, NULL, "CLs stays above %g up to mu = %g", level, hi);
            goto done;
        }
        hi *= 2;
    }
    if ((st = solve(&s, 0, lo, hi, level, rtol, &result->obs, err)) != HFX_OK) {
        goto done;
    }
    for (int i = 0; i < 5; ++i) {
        double a = lo, b = hi;
        best_bracket(&s, i + 1, level, &a, &b);
        if ((st = solve(&s, i + 1, a, b, level, rtol, &result->exp[i], err)) != HFX_OK) {
            goto done;
        }
    }
    result->n_hypotests = (int) s.n;
    result->status      = s.status;
done:
    free(s.pts);
    return st;
}
