/*
 * toys.c -- the toy-based calculator, as pyhf's ToyCalculator (pyhf/infer/calculators.py):
 * pseudo-data sampled from the full model (main Poisson terms and auxiliary data) at the conditional
 * fits mu = poi_test (signal + background) and mu = 0 (background only; 1 for q0), the test statistic
 * refitted on every toy from the model's init, p-values as tail fractions (samples >= value), and
 * the expected band from the 2.275/15.87/50/84.13/97.72 percentiles (numpy's linear interpolation)
 * of the p-values evaluated at each background-only toy.
 *
 * Random numbers come from Philox4x32 streams: toy i of hypothesis h uses stream (h << 40) + i of
 * the user's seed, so a toy is the same whatever the thread count or batch split.
 */
#include "infer/infer.h"

#include "infer/stats.h"

#include <math.h>
#include <string.h>

static int cmp_double(const void * a, const void * b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* Fraction of sorted[0..n) that is >= value. */
static double tail_fraction(const double * sorted, size_t n, double value) {
    size_t lo = 0, hi = n; /* first index with sorted[i] >= value */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] >= value) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return (double) (n - lo) / (double) n;
}

/* numpy.percentile(values, q) with the default linear interpolation; values sorted ascending. */
static double percentile(const double * sorted, size_t n, double q) {
    double pos = q / 100.0 * (double) (n - 1);
    size_t i   = (size_t) floor(pos);
    if (i + 1 >= n) {
        return sorted[n - 1];
    }
    double frac = pos - (double) i;
    return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

/* One toy data set drawn at pars: main bins Poisson(lambda), Gaussian aux Normal(theta, sigma),
 * Poisson aux Poisson(gamma tau). */
static void sample_toy(hfx_engine_t e, const double * expected, const double * pars, uint64_t seed, uint64_t stream,
                       double * toy) {
    const struct hfx_model * m = e->m;
    struct hfx_rng           rng;
    hfx__rng_init(&rng, seed, stream);
    for (size_t b = 0; b < m->n_bins; ++b) {
        double lam = expected[b];
        toy[b]     = lam > 0 ? hfx__rng_poisson(&rng, lam) : 0.0;
    }
    double * aux = toy + m->n_bins;
    for (size_t k = 0; k < m->n_gauss; ++k) {
        aux[m->gauss[k].aux] = pars[m->gauss[k].par] + m->gauss[k].sigma * hfx__rng_normal(&rng);
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        aux[m->pois[k].aux] = hfx__rng_poisson(&rng, pars[m->pois[k].par] * m->pois[k].tau);
    }
}

/* The test statistic of kind at mu for data: two fits. */
static enum hfx_status teststat(hfx_engine_t e, enum hfx_teststat kind, double mu, const double * data, double * out,
                                struct hfx_error * err) {
    struct hypo_cache c;
    memset(&c, 0, sizeof c);
    c.e          = e;
    c.kind       = kind;
    c.data       = data;
    c.data_const = hfx__data_constant(e->m, data);
    enum hfx_status st =
        hfx__fit_simple(e, data, c.data_const, NULL, false, 0.0, &c.free_twice_nll, e->pars_tmp, err);
    if (st != HFX_OK) {
        return st;
    }
    c.mu_hat           = e->pars_tmp[e->m->poi];
    double mu_t        = kind == HFX_TESTSTAT_Q0 ? 0.0 : mu;
    double t_fixed;
    st = hfx__fit_simple(e, data, c.data_const, e->pars_tmp, true, mu_t, &t_fixed, NULL, err);
    if (st != HFX_OK) {
        return st;
    }
    *out = hfx__teststat_from_fits(kind, mu_t, t_fixed, c.free_twice_nll, c.mu_hat);
    return HFX_OK;
}

/* Test statistics of n_toys toys drawn at the conditional fit mu_gen. */
static enum hfx_status run_toys(hfx_engine_t e, const struct hfx_hypotest_options * o, double mu_gen,
                                uint64_t hypothesis, double * ts, size_t progress0, struct hfx_error * err) {
    const struct hfx_model * m    = e->m;
    const double *           data = o->data ? o->data : m->observed;
    double                   t;
    double *                 gen_pars = hypothesis == 0 ? e->pars_sb : e->pars_b;
    enum hfx_status st =
        hfx__fit_simple(e, data, hfx__data_constant(m, data), NULL, true, mu_gen, &t, gen_pars, err);
    if (st != HFX_OK) {
        return st;
    }
    double * expected = e->data_asimov; /* reused as the generating expectation */
    hfx__expected_data(m, gen_pars, expected, e->eval_scratch);
    for (size_t i = 0; i < o->n_toys; ++i) {
        sample_toy(e, expected, gen_pars, o->seed, (hypothesis << 40) + i, e->data_toy);
        st = teststat(e, o->teststat, o->poi_test, e->data_toy, &ts[i], err);
        if (st != HFX_OK) {
            return st;
        }
        if (o->progress) {
            o->progress(o->progress_user, progress0 + i + 1, 2 * o->n_toys);
        }
    }
    qsort(ts, o->n_toys, sizeof *ts, cmp_double);
    return HFX_OK;
}

enum hfx_status hfx__hypotest_toys(hfx_engine_t e, const struct hfx_hypotest_options * o,
                                   struct hfx_hypotest_result * r, struct hfx_error * err) {
    const struct hfx_model * m = e->m;
    if (m->poi < 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a hypothesis test needs a POI; the model was built without one");
    }
    if (o->n_toys == 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the toy-based calculator needs at least one toy");
    }
    size_t   n   = o->n_toys;
    double * sb  = malloc(n * sizeof *sb);
    double * b   = malloc(n * sizeof *b);
    double * pv  = malloc(n * sizeof *pv);
    enum hfx_status st = HFX_OK;
    if (!sb || !b || !pv) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        goto done;
    }
    double mu_b = o->teststat == HFX_TESTSTAT_Q0 ? 1.0 : 0.0;
    if ((st = run_toys(e, o, o->poi_test, 0, sb, 0, err)) != HFX_OK ||
        (st = run_toys(e, o, mu_b, 1, b, n, err)) != HFX_OK) {
        goto done;
    }
    const double * data = o->data ? o->data : m->observed;
    double         obs;
    if ((st = teststat(e, o->teststat, o->poi_test, data, &obs, err)) != HFX_OK) {
        goto done;
    }
    memset(r, 0, sizeof *r);
    r->teststat = obs;
    r->clsb_obs = tail_fraction(sb, n, obs);
    r->clb_obs  = tail_fraction(b, n, obs);
    r->cls_obs  = o->teststat == HFX_TESTSTAT_Q0 ? r->clsb_obs : r->clsb_obs / r->clb_obs;
    /* expected band: percentiles over the background toys of the p-value at each toy's statistic */
    for (size_t i = 0; i < n; ++i) {
        double clsb = tail_fraction(sb, n, b[i]);
        double clb  = tail_fraction(b, n, b[i]);
        pv[i]       = o->teststat == HFX_TESTSTAT_Q0 ? clsb : clsb / clb;
    }
    qsort(pv, n, sizeof *pv, cmp_double);
    static const double pct[5] = {2.27501319, 15.86552539, 50.0, 84.13447461, 97.72498681};
    for (int i = 0; i < 5; ++i) {
        r->cls_exp[i] = percentile(pv, n, pct[i]);
    }
done:
    free(sb);
    free(b);
    free(pv);
    return st;
}
