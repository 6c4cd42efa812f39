/*
 * upper-limit.c -- observed and expected upper limits on the POI, as pyhf's toms748_scan:
 * widen [lo, hi] until every CLs curve crosses the level inside it (halving lo, doubling hi), then
 * solve CLs(mu) = level with TOMS 748 (k = 2, xtol = 2e-12, rtol = 1e-4) for the observed curve on
 * [lo, hi] and for each expected curve on the tightest bracket among the points already tested.
 * Every hypotest result is cached by mu, as pyhf does, so brackets reuse earlier points.
 *
 * With n_scan points, pyhf's linear_grid_scan instead: the hypotests of the whole grid as one batch
 * of fits, and each limit where np.interp puts the level on its CLs curve; hfx_limit_grid_* does the
 * same in parts (points shared out over processes), and the grid scan here is built on those parts.
 */
#include "core/array.h"
#include "infer/infer.h"

#include "infer/toms748.h"

#include <math.h>
#include <stdlib.h>
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
    if (!HFX_ARRAY_RESERVE(s->pts, s->cap, s->n + 1, 32, NULL)) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
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

/* pyhf's linear_grid_scan in parts (hfx_limit_grid_*): the cache of the mu-independent fits, the
 * grid (numpy.linspace(lo, hi, n)) and its level. */
struct hfx_limit_grid {
    struct hypo_cache   cache;
    double              lo, hi, level;
    size_t              n;
};

/* Grid point i of numpy.linspace(lo, hi, n), the same wherever it is computed. */
static double grid_mu(const struct hfx_limit_grid * g, size_t i) {
    double step = (g->hi - g->lo) / (double) (g->n - 1);
    return i + 1 == g->n ? g->hi : g->lo + (double) i * step;
}

static enum hfx_status check_grid_options(const struct hfx_upper_limit_options * opts, struct hfx_error * err) {
    if (opts->hypotest.calctype != HFX_CALC_ASYMPTOTICS) {
        return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL, "upper limits use the asymptotic calculator");
    }
    if (!(opts->level < 1)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the CLs level must be in (0, 1)");
    }
    if (opts->n_scan < 2 || !(opts->lo < opts->hi)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a grid scan needs at least 2 points and lo < hi");
    }
    return HFX_OK;
}

/* The fits that do not depend on mu; no warning reset (hfx_upper_limit keeps one list). */
static enum hfx_status grid_init(hfx_engine_t e, const struct hfx_upper_limit_options * opts, struct hfx_limit_grid * g,
                                 struct hfx_error * err) {
    g->lo    = opts->lo;
    g->hi    = opts->hi;
    g->n     = opts->n_scan;
    g->level = opts->level > 0 ? opts->level : 0.05;
    return hfx__hypo_cache_init(&g->cache, e, opts->hypotest.data, opts->hypotest.teststat, err);
}

static enum hfx_status grid_points(struct hfx_limit_grid * g, size_t first, size_t count, double * rows,
                                   enum hfx_fit_status * status, struct hfx_error * err) {
    if (first > g->n || count > g->n - first || (count > 0 && !rows)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "grid points %zu..%zu of a grid of %zu", first, first + count, g->n);
    }
    double *                     mu = hfx__malloc((count + 1) * sizeof *mu);
    struct hfx_hypotest_result * r  = hfx__malloc((count + 1) * sizeof *r);
    enum hfx_status              st = HFX_OK;
    enum hfx_fit_status          worst = g->cache.status;
    if (!mu || !r) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; ++i) {
        mu[i] = grid_mu(g, first + i);
    }
    if (count > 0 && (st = hfx__hypo_cache_test_batch(&g->cache, mu, count, r, err)) != HFX_OK) {
        goto done;
    }
    for (size_t i = 0; i < count; ++i) {
        worst        = hfx_fit_status_worse(worst, r[i].status);
        double * row = &rows[i * 7];
        row[0]       = mu[i];
        row[1]       = r[i].cls_obs;
        memcpy(&row[2], r[i].cls_exp, sizeof r[i].cls_exp);
    }
    if (status) {
        *status = worst;
    }
done:
    free(mu);
    free(r);
    return st;
}

/* Each limit where np.interp puts the level on its CLs curve over the reversed grid (CLs falls with
 * mu, so reversed it rises), as pyhf. */
static enum hfx_status grid_limits(const struct hfx_limit_grid * g, const double * rows, enum hfx_fit_status status,
                                   struct hfx_upper_limit_result * result, struct hfx_error * err) {
    size_t   n   = g->n;
    double * cls = hfx__malloc(n * 7 * sizeof *cls); /* 6 curves, reversed, then mu reversed */
    if (!cls) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    double * mu_rev = cls + 6 * n;
    for (size_t i = 0; i < n; ++i) {
        const double * row = &rows[(n - 1 - i) * 7];
        mu_rev[i]          = row[0];
        for (int c = 0; c < 6; ++c) {
            cls[(size_t) c * n + i] = row[1 + c];
        }
    }
    result->obs = np_interp(g->level, cls, mu_rev, n);
    for (int c = 0; c < 5; ++c) {
        result->exp[c] = np_interp(g->level, cls + (size_t) (c + 1) * n, mu_rev, n);
    }
    result->n_hypotests = (int) n;
    result->status      = status;
    free(cls);
    return HFX_OK;
}

/* pyhf's linear_grid_scan over n points from lo to hi: the three parts above, all points in one run. */
static enum hfx_status grid_scan(hfx_engine_t e, const struct hfx_upper_limit_options * opts,
                                 struct hfx_upper_limit_result * result, struct hfx_error * err) {
    struct hfx_limit_grid g    = {0};
    enum hfx_status       st   = grid_init(e, opts, &g, err);
    double *              rows = opts->scan_points ? opts->scan_points : hfx__malloc(opts->n_scan * 7 * sizeof *rows);
    enum hfx_fit_status   status = HFX_FIT_CONVERGED;
    if (st == HFX_OK && !rows) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    if (st == HFX_OK && (st = grid_points(&g, 0, g.n, rows, &status, err)) == HFX_OK) {
        st = grid_limits(&g, rows, status, result, err);
    }
    if (rows != opts->scan_points) {
        free(rows);
    }
    hfx__hypo_cache_free(&g.cache);
    return st;
}

enum hfx_status hfx_limit_grid_create(hfx_engine_t e, const struct hfx_upper_limit_options * opts,
                                      hfx_limit_grid_t * out, struct hfx_error * err) {
    if (!e || !opts || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_limit_grid_create: NULL argument");
    }
    *out               = NULL;
    enum hfx_status st = check_grid_options(opts, err);
    if (st != HFX_OK) {
        return st;
    }
    struct hfx_limit_grid * g = hfx__calloc(1, sizeof *g);
    if (!g) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    hfx__engine_warnings_reset(e);
    if ((st = grid_init(e, opts, g, err)) != HFX_OK) {
        hfx_limit_grid_free(g);
        return st;
    }
    *out = g;
    return HFX_OK;
}

enum hfx_status hfx_limit_grid_run(hfx_limit_grid_t g, size_t first, size_t count, double * rows,
                                   enum hfx_fit_status * status, struct hfx_error * err) {
    if (!g) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_limit_grid_run: NULL grid");
    }
    hfx__engine_warnings_reset(g->cache.e);
    return grid_points(g, first, count, rows, status, err);
}

enum hfx_status hfx_limit_grid_result(hfx_limit_grid_t g, const double * rows, enum hfx_fit_status status,
                                      struct hfx_upper_limit_result * result, struct hfx_error * err) {
    if (!g || !rows || !result) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_limit_grid_result: NULL argument");
    }
    return grid_limits(g, rows, status, result, err);
}

void hfx_limit_grid_free(hfx_limit_grid_t g) {
    if (g) {
        hfx__hypo_cache_free(&g->cache);
        free(g);
    }
}

enum hfx_status hfx_upper_limit(hfx_engine_t e, const struct hfx_upper_limit_options * opts,
                                struct hfx_upper_limit_result * result, struct hfx_error * err) {
    if (!e || !opts || !result) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_upper_limit: NULL argument");
    }
    if (opts->hypotest.calctype != HFX_CALC_ASYMPTOTICS) {
        return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL, "upper limits use the asymptotic calculator");
    }
    hfx_model_t              m     = hfx_engine_model(e);
    double                   level = opts->level > 0 ? opts->level : 0.05;
    double                   rtol  = opts->rtol > 0 ? opts->rtol : 1e-4;
    if (!(level < 1)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the CLs level must be in (0, 1)");
    }
    if (opts->n_scan == 1 || (opts->n_scan > 1 && !(opts->lo < opts->hi))) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a grid scan needs at least 2 points and lo < hi");
    }
    hfx__engine_warnings_reset(e);
    if (opts->n_scan > 1) {
        return grid_scan(e, opts, result, err);
    }
    struct scan s = {.o = opts, .status = HFX_FIT_CONVERGED};
    enum hfx_status st = hfx__hypo_cache_init(&s.cache, e, opts->hypotest.data, opts->hypotest.teststat, err);
    if (st != HFX_OK) {
        hfx__hypo_cache_free(&s.cache);
        return st;
    }
    double lo = opts->lo, hi = opts->hi;
    if (lo == 0 && hi == 0) {
        /* pyhf starts at the POI's bounds; at mu = 0 the q~ CLs is 0/0 and pyhf's upper_limit()
         * fails, so hfx starts at 1/100 of the upper bound when the lower one is 0 */
        size_t poi = (size_t) hfx_model_poi(m);
        lo         = hfx_model_lower(m)[poi] > 0 ? hfx_model_lower(m)[poi] : 0.01 * hfx_model_upper(m)[poi];
        hi         = hfx_model_upper(m)[poi];
    }
    if (!(lo < hi)) {
        free(s.pts);
        hfx__hypo_cache_free(&s.cache);
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
    hfx__hypo_cache_free(&s.cache);
    return st;
}
