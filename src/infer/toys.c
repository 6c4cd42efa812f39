/*
 * toys.c -- the toy-based calculator, as pyhf's ToyCalculator (pyhf/infer/calculators.py):
 * pseudo-data sampled from the full model (main Poisson terms and auxiliary data) at the conditional
 * fits mu = poi_test (signal + background) and mu = 0 (background only; 1 for q0), the test statistic
 * refitted on every toy from the model's init, p-values as tail fractions (samples >= value), and
 * the expected band from the 2.275/15.87/50/84.13/97.72 percentiles (numpy's linear interpolation)
 * of the p-values evaluated at each background-only toy.
 *
 * The toys' fits run as batches of jobs (fit/engine.h), chunk by chunk: every free fit of a chunk,
 * then every conditional fit, so that a threaded or device backend has many fits at once. A toy
 * whose fit fails (non-finite start, iteration limit) does not stop the ensemble: it is counted
 * (toys_failed_*) and left out of its ensemble.
 *
 * Toys are drawn by the engine (hfx__engine_sample_toys: on the device that fits them where the
 * backend has a sampler, else on the host), from Philox4x32 streams (kernel/rng-kernel.h): toy i of
 * hypothesis h uses stream (h << 40) + i of the user's seed, so a toy is the same whatever the
 * backend, thread count, batch split or range: hfx_toys_run fits any range of toys, hfx_toys_cls
 * makes CLs from the statistics of any union of ranges, and hfx_hypotest's toy-based calculator is
 * the two over one range of n_toys.
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

//
// The ensembles, chunk by chunk
//

/* Toys per chunk: enough to keep a batch (or a device) busy, few enough that progress comes every
 * second or so and the pseudo-data of a chunk stay small. */
#define TOYS_CHUNK 1024

struct toy_run {
    const struct hfx_hypotest_options * o;
    size_t                              n_pars;
    long                                poi;
    size_t                              first, count; /* toys [first, first + count) of each ensemble */
    double                              mu_t;         /* POI of the conditional fits */
    const double *                      gen_pars[2];  /* [n_pars] generating parameters */
    double *                            ts[2];        /* [count] statistic per toy, NaN where it failed */
};

static bool job_failed(const struct hfx__fit_job * j) {
    return j->status == HFX_FIT_FAILED || j->status == HFX_FIT_MAX_ITER || !isfinite(j->twice_nll);
}

/* Entries [t0, t0 + c) of the run (entry t: toy first + t % count of hypothesis t / count): every
 * free fit of the chunk as one batch of jobs, then every conditional fit (pyhf's order), all from the
 * model's init as pyhf's. */
static enum hfx_status run_chunk(hfx_engine_t e, struct toy_run * r, size_t t0, size_t c, double * data,
                                 double * data_const, double * best, struct hfx__fit_job * jobs,
                                 struct hfx_error * err) {
    size_t n = r->count, np = r->n_pars, nd = hfx__engine_n_data(e);
    /* the chunk's toys, drawn where they are fitted: a run of consecutive toys per hypothesis */
    struct hfx__toy_set sets[2];
    size_t              n_sets = 0;
    for (size_t t = t0; t < t0 + c;) {
        HFX_ASSERT(n_sets < 2); /* a chunk lies within [0, 2n): one run of each hypothesis at most */
        size_t h = t / n, end = (h + 1) * n < t0 + c ? (h + 1) * n : t0 + c;
        sets[n_sets++] = (struct hfx__toy_set){
            .pars = r->gen_pars[h], .stream0 = ((uint64_t) h << 40) + r->first + t % n, .n = end - t};
        t = end;
    }
    enum hfx_status st = hfx__engine_sample_toys(e, sets, n_sets, r->o->seed, data, data_const, err);
    if (st != HFX_OK) {
        return st;
    }
    for (size_t k = 0; k < c; ++k) {
        jobs[k] = (struct hfx__fit_job){.data       = data + k * nd,
                                        .data_const = data_const[k],
                                        .pars_out   = best + k * np,
                                        .role       = HFX_FIT_ROLE_TOYS};
    }
    st = hfx__fit_jobs(e, jobs, c, false, err);
    if (st != HFX_OK) {
        return st;
    }
    /* the conditional fits of the toys whose free fit worked; jobs[c + i] is the i-th of them */
    size_t               nc   = 0;
    struct hfx__fit_job * cond = jobs + c;
    for (size_t k = 0; k < c; ++k) {
        size_t t = t0 + k;
        r->ts[t / n][t % n] = NAN;
        if (!job_failed(&jobs[k])) {
            cond[nc++] = (struct hfx__fit_job){.data       = jobs[k].data,
                                               .data_const = jobs[k].data_const,
                                               .poi_fixed  = true,
                                               .poi_value  = r->mu_t,
                                               .tag        = k,
                                               .role       = HFX_FIT_ROLE_TOYS};
        }
    }
    if ((st = hfx__fit_jobs(e, cond, nc, false, err)) != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < nc; ++i) {
        size_t k = cond[i].tag, t = t0 + k;
        if (!job_failed(&cond[i])) {
            double q = hfx__teststat_from_fits(r->o->teststat, r->mu_t, cond[i].twice_nll, jobs[k].twice_nll,
                                               best[k * np + (size_t) r->poi]);
            r->ts[t / n][t % n] = isfinite(q) ? q : NAN;
        }
    }
    return HFX_OK;
}

static enum hfx_status run_ensembles(hfx_engine_t e, struct toy_run * r, struct hfx_error * err) {
    size_t               total = 2 * r->count, np = r->n_pars, nd = hfx__engine_n_data(e);
    size_t               chunk = hfx__engine_batch_max(e) > TOYS_CHUNK ? hfx__engine_batch_max(e) : TOYS_CHUNK;
    chunk                      = chunk < total ? chunk : total;
    double *             data  = hfx__malloc(chunk * nd * sizeof *data + sizeof(double));
    double *             dc    = hfx__malloc(chunk * sizeof *dc);
    double *             best  = hfx__malloc(chunk * np * sizeof *best + sizeof(double));
    struct hfx__fit_job * jobs = hfx__malloc(2 * chunk * sizeof *jobs);
    enum hfx_status      st    = HFX_OK;
    if (!data || !dc || !best || !jobs) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory for a chunk of %zu toys (%zu data, %zu parameters each)",
                        chunk, nd, np);
    }
    for (size_t t0 = 0; t0 < total && st == HFX_OK; t0 += chunk) {
        size_t c = total - t0 < chunk ? total - t0 : chunk;
        st       = run_chunk(e, r, t0, c, data, dc, best, jobs, err);
        if (st == HFX_OK && r->o->progress) {
            r->o->progress(r->o->progress_user, t0 + c, total);
        }
    }
    free(data);
    free(dc);
    free(best);
    free(jobs);
    return st;
}

enum hfx_status hfx_toys_run(hfx_engine_t e, const struct hfx_toys_options * opts, struct hfx_toys_result * r,
                             struct hfx_error * err) {
    hfx_model_t                         m   = hfx_engine_model(e);
    long                                poi = hfx_model_poi(m);
    const struct hfx_hypotest_options * o   = &opts->hypotest;
    if (poi < 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a hypothesis test needs a POI; the model was built without one");
    }
    if (opts->count == 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the toy-based calculator needs at least one toy");
    }
    if (opts->first > ((uint64_t) 1 << 40) || opts->count > ((uint64_t) 1 << 40) - opts->first) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "toys %zu..%zu: toy indices stop at 2^40", opts->first,
                          opts->first + opts->count);
    }
    if (!r->teststat_sb || !r->teststat_b) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_toys_run needs teststat_sb and teststat_b arrays");
    }
    hfx__engine_warnings_reset(e);
    size_t          np   = hfx_model_n_pars(m);
    const double *  data = o->data ? o->data : hfx_model_observed(m);
    double          dc   = hfx__engine_data_constant(e, data);
    double          mu_b = o->teststat == HFX_TESTSTAT_Q0 ? 1.0 : 0.0;
    double          mu_t = o->teststat == HFX_TESTSTAT_Q0 ? 0.0 : o->poi_test;
    double *        buf  = hfx__malloc((3 * np + 1) * sizeof *buf);
    enum hfx_status st   = HFX_OK;
    if (!buf) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    double * pars_sb = buf, * pars_b = buf + np, * pars_free = buf + 2 * np;

    /* the generating fits (mu = poi_test and the background hypothesis), the free fit and the
     * conditional fit to the data, all from the model's init as pyhf's, as one batch */
    struct hfx__fit_job gen[4] = {
        {.data       = data,
         .data_const = dc,
         .poi_fixed  = true,
         .poi_value  = o->poi_test,
         .pars_out   = pars_sb,
         .role       = HFX_FIT_ROLE_FIXED_POI},
        {.data       = data,
         .data_const = dc,
         .poi_fixed  = true,
         .poi_value  = mu_b,
         .pars_out   = pars_b,
         .role       = HFX_FIT_ROLE_FIXED_POI},
        {.data = data, .data_const = dc, .pars_out = pars_free, .role = HFX_FIT_ROLE_FREE},
        {.data = data, .data_const = dc, .poi_fixed = true, .poi_value = mu_t, .role = HFX_FIT_ROLE_FIXED_POI},
    };
    /* the observed statistic's conditional fit is the first generator's, except with q0 (mu = 0) */
    size_t n_gen = mu_t == o->poi_test ? 3 : 4;
    if ((st = hfx__fit_jobs(e, gen, n_gen, true, err)) != HFX_OK) {
        goto done;
    }
    struct hfx__fit_job obs = gen[n_gen == 3 ? 0 : 3];
    r->status               = HFX_FIT_CONVERGED;
    for (size_t k = 0; k < n_gen; ++k) {
        r->status = hfx_fit_status_worse(r->status, (enum hfx_fit_status) gen[k].status);
    }
    r->teststat = hfx__teststat_from_fits(o->teststat, mu_t, obs.twice_nll, gen[2].twice_nll, pars_free[poi]);
    r->mu_hat   = pars_free[poi];

    struct toy_run run = {.o        = o,
                          .n_pars   = np,
                          .poi      = poi,
                          .first    = opts->first,
                          .count    = opts->count,
                          .mu_t     = mu_t,
                          .gen_pars = {pars_sb, pars_b},
                          .ts       = {r->teststat_sb, r->teststat_b}};
    st = run_ensembles(e, &run, err);
done:
    free(buf);
    return st;
}

/* Copies the finite statistics of ts[0..n), sorted, to out; returns how many there are. */
static size_t sorted_finite(const double * ts, size_t n, double * out) {
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!isnan(ts[i])) {
            out[k++] = ts[i];
        }
    }
    qsort(out, k, sizeof *out, cmp_double);
    return k;
}

enum hfx_status hfx_toys_cls(enum hfx_teststat kind, double teststat, const double * teststat_sb, size_t n_sb,
                             const double * teststat_b, size_t n_b, struct hfx_hypotest_result * r,
                             struct hfx_error * err) {
    double * sb = hfx__malloc((n_sb + 2 * n_b + 1) * sizeof *sb);
    if (!sb) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory for %zu toy statistics", n_sb + n_b);
    }
    double * b = sb + n_sb, * pv = b + n_b;
    size_t   k_sb = sorted_finite(teststat_sb, n_sb, sb), k_b = sorted_finite(teststat_b, n_b, b);
    if (k_sb == 0 || k_b == 0) {
        free(sb);
        return hfx__error(err, HFX_ERR_FIT, NULL, "every toy of the %s ensemble failed to fit (%zu toys)",
                          k_sb == 0 ? "signal + background" : "background-only", k_sb == 0 ? n_sb : n_b);
    }
    memset(r, 0, sizeof *r);
    r->toys_failed_sb = n_sb - k_sb;
    r->toys_failed_b  = n_b - k_b;
    r->teststat       = teststat;
    r->mu_hat         = NAN;
    r->clsb_obs       = tail_fraction(sb, k_sb, teststat);
    r->clb_obs        = tail_fraction(b, k_b, teststat);
    r->cls_obs        = kind == HFX_TESTSTAT_Q0 ? r->clsb_obs : r->clsb_obs / r->clb_obs;
    /* expected band: percentiles over the background toys of the p-value at each toy's statistic */
    for (size_t i = 0; i < k_b; ++i) {
        double clsb = tail_fraction(sb, k_sb, b[i]);
        double clb  = tail_fraction(b, k_b, b[i]);
        pv[i]       = kind == HFX_TESTSTAT_Q0 ? clsb : clsb / clb;
    }
    qsort(pv, k_b, sizeof *pv, cmp_double);
    static const double pct[5] = {2.27501319, 15.86552539, 50.0, 84.13447461, 97.72498681};
    for (int i = 0; i < 5; ++i) {
        r->cls_exp[i] = percentile(pv, k_b, pct[i]);
    }
    free(sb);
    return HFX_OK;
}

enum hfx_status hfx__hypotest_toys(hfx_engine_t e, const struct hfx_hypotest_options * o,
                                   struct hfx_hypotest_result * r, struct hfx_error * err) {
    size_t   n  = o->n_toys;
    double * ts = hfx__malloc((2 * n + 1) * sizeof *ts);
    if (!ts) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory for %zu toy statistics", 2 * n);
    }
    struct hfx_toys_options opts = {.hypotest = *o, .first = 0, .count = n};
    struct hfx_toys_result  toys = {.teststat_sb = ts, .teststat_b = ts + n};
    enum hfx_status         st   = hfx_toys_run(e, &opts, &toys, err);
    if (st == HFX_OK && (st = hfx_toys_cls(o->teststat, toys.teststat, ts, n, ts + n, n, r, err)) == HFX_OK) {
        r->mu_hat = toys.mu_hat;
        r->status = toys.status;
    }
    free(ts);
    return st;
}
