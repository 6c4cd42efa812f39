/*
 * test-backends.c -- the conformance suite: a table of cases, each run on every usable backend of
 * the registry and compared with cpu-ref under the case's own tolerance, in the manner of ggml's
 * tests/test-backend-ops.cpp (one suite for every backend, CUDA included: there is no second suite
 * for one backend).
 *
 *   test-backends [test|perf] [-b BACKEND] [-o CASE[,CASE...]] [-m MODEL-SUBSTRING]
 *
 * test (default): every case x backend x model it applies to; a line each (pass or FAIL), then
 * the summary, one line per case x backend: pass, FAIL, SKIPPED (why: the backend cannot run
 * here, e.g. cuda without a GPU) or unsupported (why: the backend lacks the operation, e.g. a
 * second kernel). cpu-ref, the reference, runs as a backend under test only the cases that check
 * a backend against itself (batched vs one at a time), or all with -b cpu-ref. Exit status 1 if
 * any case fails, 2 on a bad command line, 77 (skipped) when nothing could run (-b cuda without a
 * GPU).
 * perf: each case's time per backend (cpu-ref included, the baseline, and the speed relative to it),
 * summed over the models it runs on, each model's computation (set-up such as engines and points
 * included) repeated until it has taken 0.2 s; nothing compared.
 * -b runs one backend (cpu-ref still gives the reference), -o some cases, -m some models.
 * HFX_TEST_QUICK=1 (the sanitizer run): fewer random workspaces, no sbottom.
 *
 * Sections: (1) set-up: result vectors, models, per-backend hooks; (2) the cases and their table;
 * (3) the driver.
 *
 * Adding a case is one entry in `cases` (section 2): a compute function that runs the operation on
 * the engine it is given and appends its results to a vector, the models it needs (use bits), its
 * tolerance with the reason in a comment, and a compare function where the default (largest
 * relative difference, NaN where cpu-ref has NaN) does not fit. A backend declares a case
 * unsupported by returning HFX_ERR_UNSUPPORTED from the operation (CASE_TRY, case_error turn it
 * into "unsupported" with its message), or a case says so itself where the backend lacks what it
 * tests (case_kernels: a single kernel). Patch groups on the device (the gpu-groups
 * work: several compiled models in one plan) come in that way: one entry whose compute runs the
 * group and appends each patch's CLs, compared with cpu-ref's one patch at a time.
 *
 * Models: every workspace of tests/data under the six normsys x histosys interpolation codes and a
 * synthetic one-channel model of 20000 bins (evaluation only); the 60 random workspaces of
 * ../shared/reference/random_public.jsonl, every modifier type (evaluation; fits on the first 6,
 * inference on the first: the others take minutes under the sanitizers, which see the first 3);
 * tests/data/infer_*.json at the default interpolation codes and the sbottom RegionA patch
 * 1300_205_60 (everything).
 */
#include "hfx-test.h"

#include "fit/engine.h"
#include "hfx-test-ref.h"
#include "backend-case-groups.h"

#include <dirent.h>
#include <time.h>
#include <unistd.h>

//
// (1) Set-up
//

/* A growing vector of results: a case appends, the driver compares the backend's with cpu-ref's. */
struct vec {
    double * v;
    size_t   n, cap;
};

static void vec_push(struct vec * v, double x) {
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 256;
        v->v   = realloc(v->v, v->cap * sizeof *v->v);
        ASSERT(v->v);
    }
    v->v[v->n++] = x;
}

/* What a model is used for: the cases it runs (a case runs on the models with all its use bits). */
enum { USE_EVAL = 1, USE_FIT = 2, USE_INFER = 4 };

struct model {
    char            name[96];
    hfx_workspace_t ws;
    hfx_model_t     m;
    unsigned        use;
};

/* Per-backend hooks (the way SUNDIALS' nvector tests reach a vector's device): the backends with
 * several kernels, chosen by an environment variable read at plan creation (cuda.cu). */
static const struct backend_hooks {
    const char * backend;
    const char * kernel_env;
    const char * kernels[3];
} hooks[] = {
    {"cuda", "HFX_CUDA_KERNEL", {"point", "block", "auto"}},
};

static const struct backend_hooks * hooks_of(const char * backend) {
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; ++i) {
        if (strcmp(hooks[i].backend, backend) == 0) {
            return &hooks[i];
        }
    }
    return NULL;
}

enum verdict { PASS, FAIL, UNSUPPORTED };

/* One case computed on one backend and model. */
struct run {
    const struct model * mod;
    const char *         backend;  /* the backend computing */
    const char *         target;   /* the backend under test (== backend, or cpu-ref computing its reference) */
    hfx_engine_t         e;        /* an engine of backend on the model, the backend's batch size */
    char                 why[512]; /* compute's reason for FAIL or UNSUPPORTED */
};

static hfx_engine_t make_engine(hfx_model_t m, const char * backend, size_t batch) {
    struct hfx_engine_options o = {.backend = backend, .n_threads = 2, .batch = batch};
    struct hfx_error          err;
    hfx_engine_t              e = NULL;
    if (hfx_engine_create(m, &o, &e, &err) != HFX_OK) {
        char buf[1024];
        fprintf(stderr, "engine %s: %s\n", backend, hfx_error_format(&err, buf, sizeof buf));
        abort();
    }
    return e;
}

static double rel_diff(double a, double b) {
    if (a == b || (isnan(a) && isnan(b))) {
        return 0.0;
    }
    return fabs(a - b) / fmax(fabs(a), fabs(b));
}

/* A failing library call inside a case: FAIL with its message (not an abort: the other cases
 * run), or UNSUPPORTED where the backend declares the operation unsupported (HFX_ERR_UNSUPPORTED). */
static enum verdict case_error(struct run * r, enum hfx_status st, struct hfx_error * err) {
    hfx_error_format(err, r->why, sizeof r->why);
    return st == HFX_ERR_UNSUPPORTED ? UNSUPPORTED : FAIL;
}

#define CASE_TRY(r, call)                           \
    do {                                            \
        struct hfx_error err_;                      \
        enum hfx_status  st_ = (call);              \
        if (st_ != HFX_OK) {                        \
            return case_error((r), st_, &err_);     \
        }                                           \
    } while (0)

//
// (2) The cases
//

/* Point k of a model: the init for k = 0, else the init moved by up to 0.6 in every free parameter
 * (deterministic), clipped to the bounds; every fifth point has the POI at 0 (a zero normfactor). */
static void make_point(const struct hfx_model * m, size_t k, double * x) {
    for (size_t i = 0; i < m->n_pars; ++i) {
        double v = m->init[i];
        if (k > 0 && !m->fixed[i]) {
            v += 0.6 * sin(1.3 * (double) k + 0.7 * (double) i);
        }
        if (k % 5 == 4 && (long) i == m->poi) {
            v = 0.0;
        }
        v    = v < m->lower[i] ? m->lower[i] : v;
        x[i] = v > m->upper[i] ? m->upper[i] : v;
    }
}

/* Data vector k: the observed data for even k, else the expected data at point k (Asimov-like,
 * non-integer counts). */
static void make_data(hfx_engine_t ref, size_t k, const double * x, double * d) {
    const struct hfx_model * m = ref->m;
    if (k % 2 == 0) {
        memcpy(d, m->observed, ref->n_data * sizeof *d);
    } else {
        ASSERT(hfx__engine_expected_data(ref, 1, x, d, NULL) == HFX_OK);
    }
}

/* twice_nll (and, with grad, its gradient) at batches of 1, 3 and n_big points, one shared data
 * vector and one per point, through hfx__engine_eval: f values then gradients, per call. A
 * value-only call must give the values of the call with the gradient: a mismatch is a FAIL. */
static enum verdict eval_points(struct run * r, hfx_engine_t e, bool grad, struct vec * out) {
    const struct hfx_model * m     = e->m;
    size_t                   np    = m->n_pars, nd = e->n_data;
    size_t                   n_big = m->n_bins >= 4096 ? 16 : 256;
    double * x = malloc(n_big * np * sizeof *x + 8), * data = malloc(n_big * nd * sizeof *data + 8);
    double * dc = malloc(n_big * sizeof *dc), * f = malloc(n_big * sizeof *f), * f2 = malloc(n_big * sizeof *f2);
    double * g = malloc(n_big * np * sizeof *g + 8);
    ASSERT(x && data && dc && f && f2 && g);
    for (size_t k = 0; k < n_big; ++k) {
        make_point(m, k, x + k * np);
        make_data(e, k, x + k * np, data + k * nd);
        dc[k] = hfx__data_constant(m, data + k * nd);
    }
    enum verdict v         = PASS;
    size_t       sizes[3]  = {1, 3, n_big};
    for (int si = 0; si < 3 && v == PASS; ++si) {
        for (int per_point = 0; per_point < 2 && v == PASS; ++per_point) {
            size_t           n = sizes[si], stride = per_point ? nd : 0;
            struct hfx_error err;
            enum hfx_status  st = hfx__engine_eval(e, n, x, data, stride, dc, f, g, &err);
            if (st != HFX_OK || (st = hfx__engine_eval(e, n, x, data, stride, dc, f2, NULL, &err)) != HFX_OK) {
                v = case_error(r, st, &err);
                break;
            }
            for (size_t k = 0; k < n; ++k) {
                if (memcmp(&f[k], &f2[k], sizeof f[k]) != 0) {
                    snprintf(r->why, sizeof r->why, "point %zu: twice_nll %.17g with the gradient, %.17g without", k,
                             f[k], f2[k]);
                    v = FAIL;
                }
                vec_push(out, f[k]);
                for (size_t j = 0; grad && j < np; ++j) {
                    vec_push(out, g[k * np + j]);
                }
            }
        }
    }
    free(x), free(data), free(dc), free(f), free(f2), free(g);
    return v;
}

static enum verdict case_eval(struct run * r, struct vec * out) { return eval_points(r, r->e, false, out); }
static enum verdict case_gradient(struct run * r, struct vec * out) { return eval_points(r, r->e, true, out); }

/* The evaluation through each kernel of a backend that has several (hooks): its results one kernel
 * after the other, each compared with cpu-ref's single pass. */
static enum verdict case_kernels(struct run * r, struct vec * out) {
    const struct backend_hooks * h = hooks_of(r->target);
    if (!h) {
        snprintf(r->why, sizeof r->why, "one kernel");
        return UNSUPPORTED;
    }
    if (strcmp(r->backend, r->target) != 0) {
        return eval_points(r, r->e, true, out); /* cpu-ref's reference */
    }
    enum verdict v = PASS;
    for (int i = 0; i < 3 && h->kernels[i] && v == PASS; ++i) {
        ASSERT(setenv(h->kernel_env, h->kernels[i], 1) == 0);
        hfx_engine_t e = make_engine(r->mod->m, r->backend, 0);
        v              = eval_points(r, e, true, out);
        hfx_engine_free(e);
    }
    unsetenv(h->kernel_env);
    return v;
}

/* The gradient's and the kernels' comparison: each twice_nll within the case's tolerance relative,
 * each gradient entry within 1e-10 relative or absolute (an entry near 0 is a difference of large
 * terms); out may hold several passes of ref's length (case_kernels). */
static bool compare_grad(const struct run * r, double tol, const struct vec * ref, const struct vec * out,
                         char * detail, size_t n) {
    size_t np = r->mod->m->n_pars;
    double worst_f = 0, worst_g = 0;
    bool   ok      = out->n > 0 && out->n % ref->n == 0;
    for (size_t i = 0; i < out->n && ok; ++i) {
        size_t j = i % ref->n;
        double a = out->v[i], b = ref->v[j];
        if (j % (np + 1) == 0) {
            worst_f = fmax(worst_f, rel_diff(a, b));
            ok      = ok && (rel_diff(a, b) <= tol || (isnan(a) && isnan(b)));
        } else if (isfinite(ref->v[j - j % (np + 1)])) { /* no gradient where twice_nll is inf */
            worst_g = fmax(worst_g, fmin(rel_diff(a, b), fabs(a - b)));
            ok      = ok && hfx_test_near_rel(a, b, 1e-10, 1e-10);
        }
    }
    snprintf(detail, n, "%zu values; max rel diff twice_nll %.2g, gradient entry %.2g", out->n, worst_f, worst_g);
    return ok;
}

/* hfx_fit free and at mu = 1 (with uncertainties): twice_nll, status and the POI's fit and
 * uncertainty, per fit. */
static enum verdict case_fit(struct run * r, struct vec * out) {
    const struct hfx_model * m = r->e->m;
    for (int fixed = 0; fixed < (m->poi >= 0 ? 2 : 1); ++fixed) {
        struct hfx_fit_options o = {.fix_poi = fixed, .poi_value = 1.0, .uncertainties = true};
        struct hfx_fit_result  res;
        CASE_TRY(r, hfx_fit(r->e, &o, &res, &err_));
        vec_push(out, res.twice_nll);
        vec_push(out, (double) res.status);
    }
    return PASS;
}

/* Free and conditional fits at several mu on the observed and on the Asimov data as one batch of
 * jobs (resident on the backend where it runs fits itself) and one at a time: the two must agree
 * to the bit on the same backend (a FAIL otherwise); the batch's twice_nll and status are compared
 * with cpu-ref's. */
static enum verdict case_batch(struct run * r, struct vec * out) {
    const struct hfx_model * m   = r->e->m;
    hfx_engine_t             seq = make_engine(r->mod->m, r->backend, 1);
    hfx_engine_t             bat = make_engine(r->mod->m, r->backend, 64);
    enum { NJ = 10 };
    double * asimov = malloc((seq->n_data + 1) * sizeof *asimov);
    ASSERT(asimov);
    ASSERT(hfx__engine_expected_data(seq, 1, m->init, asimov, NULL) == HFX_OK);
    double              dc_obs = hfx__data_constant(m, m->observed), dc_a = hfx__data_constant(m, asimov);
    struct hfx__fit_job jobs[NJ], one[NJ];
    static const double mus[5] = {-1, 0.0, 0.5, 1.0, 2.0}; /* -1: free */
    for (int k = 0; k < NJ; ++k) {
        double mu = mus[k % 5];
        jobs[k]   = (struct hfx__fit_job){.data       = k < 5 ? m->observed : asimov,
                                          .data_const = k < 5 ? dc_obs : dc_a,
                                          .poi_fixed  = mu >= 0,
                                          .poi_value  = mu};
        one[k]    = jobs[k];
    }
    enum verdict     v = PASS;
    struct hfx_error err;
    enum hfx_status  st = hfx__fit_jobs(bat, jobs, NJ, true, &err);
    if (st != HFX_OK) {
        v = case_error(r, st, &err);
    }
    for (int k = 0; k < NJ && v == PASS; ++k) {
        if ((st = hfx__fit_jobs(seq, &one[k], 1, true, &err)) != HFX_OK) {
            v = case_error(r, st, &err);
        } else if (jobs[k].twice_nll != one[k].twice_nll || jobs[k].status != one[k].status) {
            snprintf(r->why, sizeof r->why, "fit %d: batched twice_nll %.17g status %d, alone %.17g status %d", k,
                     jobs[k].twice_nll, jobs[k].status, one[k].twice_nll, one[k].status);
            v = FAIL;
        }
        vec_push(out, jobs[k].twice_nll);
        vec_push(out, (double) jobs[k].status);
    }
    free(asimov);
    hfx_engine_free(seq);
    hfx_engine_free(bat);
    return v;
}

/* The asymptotic q~ hypotest at mu = 1: CLs_obs and the five expected. */
static enum verdict case_hypotest(struct run * r, struct vec * out) {
    struct hfx_hypotest_options o = {.poi_test = 1.0};
    struct hfx_hypotest_result  res;
    CASE_TRY(r, hfx_hypotest(r->e, &o, &res, &err_));
    vec_push(out, res.cls_obs);
    for (int i = 0; i < 5; ++i) {
        vec_push(out, res.cls_exp[i]);
    }
    return PASS;
}

/* Model groups (docs/batching.md): the model three times in one group, one backend call per stage.
 * hfx_case_groups (backend-case-groups.h) checks every model's CLs, status and warnings against the
 * backend's own engine to the bit and against cpu-ref within 1e-9; the CLs then go to the table's
 * comparison like the hypotest's. cpu-ref has no groups: computing the reference, it runs the engine. */
static enum verdict case_groups(struct run * r, struct vec * out) {
    struct hfx_hypotest_options o = {.poi_test = 1.0, .teststat = HFX_TESTSTAT_QTILDE, .calctype = HFX_CALC_ASYMPTOTICS};
    if (strcmp(r->backend, r->target) == 0) {
        hfx_model_t ms[3] = {r->mod->m, r->mod->m, r->mod->m};
        char        detail[4096]; /* as test-groups.c's: room for two formatted errors */
        int         v = hfx_case_groups(r->backend, ms, 3, NULL, detail, sizeof detail);
        if (v != 1) {
            snprintf(r->why, sizeof r->why, "%.500s", detail);
            return v < 0 ? UNSUPPORTED : FAIL;
        }
    }
    struct hfx_hypotest_result res; /* equal to the group's, to the bit, where it ran */
    CASE_TRY(r, hfx_hypotest(r->e, &o, &res, &err_));
    vec_push(out, res.cls_obs);
    for (int i = 0; i < 5; ++i) {
        vec_push(out, res.cls_exp[i]);
    }
    return PASS;
}

/* Toy data drawn by the engine (hfx__engine_sample_toys): on the device where the backend has its
 * own sampler (cuda: drawn where its fits run), else on the host. 2 x 40 toys at the model's init
 * and at the init moved, stream (h << 40) + i of seed 11 as toys.c draws them: every value of every
 * toy and its data constant. */
enum { SAMPLE_TOYS = 40 };
static enum verdict case_sample(struct run * r, struct vec * out) {
    const struct hfx_model * m  = r->e->m;
    size_t                   np = m->n_pars, nd = r->e->n_data, n = 2 * SAMPLE_TOYS;
    double * pars = malloc(2 * np * sizeof *pars + 8), * data = malloc(n * nd * sizeof *data + 8);
    double * dc   = malloc(n * sizeof *dc);
    ASSERT(pars && data && dc);
    make_point(m, 0, pars);
    make_point(m, 3, pars + np);
    struct hfx__toy_set sets[2] = {{.pars = pars, .stream0 = 0, .n = SAMPLE_TOYS},
                                   {.pars = pars + np, .stream0 = (uint64_t) 1 << 40, .n = SAMPLE_TOYS}};
    struct hfx_error    err;
    enum verdict        v = PASS;
    enum hfx_status     st = hfx__engine_sample_toys(r->e, sets, 2, 11, data, dc, &err);
    if (st != HFX_OK) {
        v = case_error(r, st, &err);
    }
    for (size_t i = 0; i < n * nd && v == PASS; ++i) {
        vec_push(out, data[i]);
    }
    for (size_t i = 0; i < n && v == PASS; ++i) {
        vec_push(out, dc[i]);
    }
    free(pars), free(data), free(dc);
    return v;
}

/* Counts (main bins, Poisson auxiliary data) to the bit: the same Philox words and the same
 * arithmetic give the same integers unless a uniform falls within an ulp of a cut of the
 * inversion or of PTRS (once in ~1e15 draws). A Gaussian auxiliary datum theta + sigma z within
 * tol (sigma |z| + |value|), tol = 1e-15: the normal draw z to ~4 ulp (a device's log and cos are
 * within 1 and 2 ulp of correctly rounded, CUDA's math library; glibc's within 1), the sum to its
 * own rounding (relative to z, not to the sum, which can cancel). Data constants within 1e-13
 * relative (a sum over bins of lgamma terms, the device's lgamma within a few ulp). A backend that
 * draws on the host (no sampler of its own, e.g. cpu) gives the host's values to the bit. */
static bool compare_sample(const struct run * r, double tol, const struct vec * ref, const struct vec * out,
                           char * detail, size_t n) {
    const struct hfx_model * m  = r->mod->m;
    size_t                   nd = m->n_bins + m->n_aux, np = m->n_pars, n_toys = 2 * SAMPLE_TOYS, same = 0;
    bool                     ok = out->n == ref->n;
    double                   worst_gauss = 0, worst_dc = 0;
    long *                   gauss       = malloc((nd + 1) * sizeof *gauss); /* aux value -> its constraint, or -1 */
    double *                 pars        = malloc(2 * np * sizeof *pars + 8);
    ASSERT(gauss && pars);
    for (size_t i = 0; i < nd; ++i) {
        gauss[i] = -1;
    }
    for (size_t k = 0; k < m->n_gauss; ++k) {
        gauss[m->n_bins + (size_t) m->gauss[k].aux] = (long) k;
    }
    make_point(m, 0, pars); /* as case_sample */
    make_point(m, 3, pars + np);
    for (size_t i = 0; i < out->n && ok; ++i) {
        double a = out->v[i], b = ref->v[i];
        same += memcmp(&a, &b, sizeof a) == 0;
        if (i >= n_toys * nd) {
            worst_dc = fmax(worst_dc, rel_diff(a, b));
            ok       = rel_diff(a, b) <= 1e-13;
        } else if (gauss[i % nd] >= 0) {
            const struct hfx_gauss * g     = &m->gauss[gauss[i % nd]];
            double                   theta = pars[(i / nd >= SAMPLE_TOYS ? np : 0) + (size_t) g->par];
            double                   scale = fabs(b - theta) + fabs(b);
            worst_gauss                    = fmax(worst_gauss, scale > 0 ? fabs(a - b) / scale : fabs(a - b));
            ok                             = fabs(a - b) <= tol * scale;
        } else {
            ok = memcmp(&a, &b, sizeof a) == 0;
        }
    }
    hfx_engine_t e  = make_engine(r->mod->m, r->backend, 0);
    const char * by = e->be->sample_toys ? "its own sampler" : "the host";
    hfx_engine_free(e);
    snprintf(detail, n, "%zu toys by %s: %zu of %zu values bit-identical, Gaussian aux max diff %.2g (of sigma |z| "
             "+ |value|), data constants %.2g", n_toys, by, same, out->n, worst_gauss, worst_dc);
    free(gauss);
    free(pars);
    return ok;
}

/* The toy calculator at mu = 1 (both ensembles, their chunks drawn where they are fitted), batches
 * of 64 vs one at a time on the same backend: the same to the bit (same toys, same fits; a FAIL
 * otherwise). CLs_obs, the five expected and the failed-toy fractions are compared with cpu-ref's.
 * 60 toys per ensemble, 20 under HFX_TEST_QUICK (the sanitizers). */
static size_t toys_n(void) { return getenv("HFX_TEST_QUICK") ? 20 : 60; }
static enum verdict case_toys(struct run * r, struct vec * out) {
    size_t                      n_toys = toys_n();
    hfx_engine_t                seq = make_engine(r->mod->m, r->backend, 1);
    hfx_engine_t                bat = make_engine(r->mod->m, r->backend, 64);
    struct hfx_hypotest_options o   = {.poi_test = 1.0, .calctype = HFX_CALC_TOYBASED, .n_toys = n_toys, .seed = 11};
    struct hfx_hypotest_result  r1, r2;
    struct hfx_error            err;
    enum verdict                v = PASS;
    enum hfx_status             st  = hfx_hypotest(seq, &o, &r1, &err);
    if (st != HFX_OK || (st = hfx_hypotest(bat, &o, &r2, &err)) != HFX_OK) {
        v = case_error(r, st, &err);
    } else {
        bool same = memcmp(&r1.cls_obs, &r2.cls_obs, sizeof r1.cls_obs) == 0 &&
                    memcmp(r1.cls_exp, r2.cls_exp, sizeof r1.cls_exp) == 0 && r1.toys_failed_b == r2.toys_failed_b &&
                    r1.toys_failed_sb == r2.toys_failed_sb;
        if (!same) {
            snprintf(r->why, sizeof r->why, "batches of 64: CLs_obs %.17g, one at a time: %.17g", r2.cls_obs,
                     r1.cls_obs);
            v = FAIL;
        }
        vec_push(out, r2.cls_obs);
        for (int i = 0; i < 5; ++i) {
            vec_push(out, r2.cls_exp[i]);
        }
        vec_push(out, (double) r2.toys_failed_b / (double) n_toys);
        vec_push(out, (double) r2.toys_failed_sb / (double) n_toys);
    }
    hfx_engine_free(seq);
    hfx_engine_free(bat);
    return v;
}

/* Absolute differences within tol / n_toys. */
static bool compare_toys(const struct run * r, double tol, const struct vec * ref, const struct vec * out,
                         char * detail, size_t n) {
    (void) r;
    double worst = 0;
    tol /= (double) toys_n();
    bool   ok    = out->n == ref->n;
    for (size_t i = 0; i < out->n && ok; ++i) {
        double d = isnan(out->v[i]) && isnan(ref->v[i]) ? 0.0 : fabs(out->v[i] - ref->v[i]);
        worst    = isnan(d) ? INFINITY : fmax(worst, d);
    }
    ok = ok && worst <= tol;
    snprintf(detail, n, "%zu toys each: CLs_obs %.4f (cpu-ref %.4f), max abs diff %.2g", toys_n(),
             out->n ? out->v[0] : NAN, ref->n ? ref->v[0] : NAN, worst);
    return ok;
}

/* An upper-limit grid scan of 5 points from 0.5 to 3 (its 10 fits one batch): the observed and
 * expected limits and every grid point's mu and six CLs. */
static enum verdict case_grid(struct run * r, struct vec * out) {
    double                         pts[35];
    struct hfx_upper_limit_options o = {.lo = 0.5, .hi = 3.0, .n_scan = 5, .scan_points = pts};
    struct hfx_upper_limit_result  res;
    CASE_TRY(r, hfx_upper_limit(r->e, &o, &res, &err_));
    vec_push(out, res.obs);
    for (int i = 0; i < 5; ++i) {
        vec_push(out, res.exp[i]);
    }
    for (int i = 0; i < 35; ++i) {
        vec_push(out, pts[i]);
    }
    return PASS;
}

/* Largest relative difference within tol (NaN where cpu-ref has NaN counts as equal). */
static bool compare_rel(const struct run * r, double tol, const struct vec * ref, const struct vec * out,
                        char * detail, size_t n) {
    (void) r;
    double worst = 0;
    bool   ok    = out->n == ref->n;
    for (size_t i = 0; i < out->n && ok; ++i) {
        double d = rel_diff(out->v[i], ref->v[i]);
        worst    = isnan(d) ? INFINITY : fmax(worst, d);
    }
    ok = ok && worst <= tol;
    snprintf(detail, n, "%zu values, max rel diff %.2g", out->n, worst);
    return ok;
}

typedef bool (*compare_fn)(const struct run * r, double tol, const struct vec * ref, const struct vec * out,
                           char * detail, size_t n);

static const struct tcase {
    const char * name;
    unsigned     use;     /* runs on the models with all these bits */
    double       tol;     /* the case's tolerance (its compare says in what) */
    enum verdict (*compute)(struct run * r, struct vec * out);
    compare_fn   compare;    /* NULL: compare_rel */
    bool         self_check; /* compute checks the backend against itself (batched vs one at a time):
                                worth running on cpu-ref too, where the comparison with cpu-ref is not */
} cases[] = {
    /* twice_nll to 1e-12 relative: the CPU backends run the reference kernel (cpu sums some bins in
     * another order); the device runs the same code without contracted multiply-adds, leaving
     * CUDA's pow/log/log1p (an ulp or two from glibc's) and, in the block kernel, the order of sums
     * over bins: 1e-16 per term over at most ~1e5 terms. */
    {"eval", USE_EVAL, 1e-12, case_eval, NULL, false},
    /* the same twice_nll tolerance, each gradient entry within 1e-10 relative or absolute: a
     * gradient entry is a sum of terms of both signs, near 0 a difference of large ones. */
    {"gradient", USE_EVAL, 1e-12, case_gradient, compare_grad, false},
    /* each kernel of a backend that has several (cuda: point, block, auto), as eval + gradient */
    {"kernels", USE_EVAL, 1e-12, case_kernels, compare_grad, false},
    /* fits: 1e-9 relative in twice_nll, statuses equal: minima found by different routes agree to
     * the minimizer's tolerance (the CPU backends run the same code and agree to the bit) */
    {"fit", USE_FIT, 1e-9, case_fit, NULL, false},
    {"batch", USE_FIT | USE_INFER, 1e-9, case_batch, NULL, true},
    /* CLs from those fits: 1e-9 relative, as the fits */
    {"hypotest", USE_INFER, 1e-9, case_hypotest, NULL, false},
    /* counts to the bit, Gaussian auxiliary data within 1e-15 of sigma |z| + |value| (compare_sample
     * says why) */
    {"sample", USE_FIT, 1e-15, case_sample, compare_sample, false},
    /* within 2 / n_toys absolute of cpu-ref (tol in units of 1 / n_toys): one toy's statistic
     * moving across the observed one (fits on another backend differ in the last bits) moves a
     * tail fraction by 1 / n_toys */
    {"toys", USE_INFER, 2.0, case_toys, compare_toys, true},
    /* limits and the grid's CLs: 1e-9 relative, as the hypotest */
    {"grid", USE_INFER, 1e-9, case_grid, NULL, false},
    /* model groups: bit for bit against the backend's own engines, 1e-9 relative against cpu-ref */
    {"groups", USE_INFER, 1e-9, case_groups, NULL, false},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

//
// (3) The driver
//

enum { MAX_BACKENDS = 8 };

static struct {
    bool         perf, quick;
    const char * backend;      /* -b */
    const char * ops;          /* -o: comma-separated case names */
    const char * model_filter; /* -m */
    /* per case x backend: models passed, failed, unsupported (with the last reason), seconds */
    int    n_pass[N_CASES][MAX_BACKENDS], n_fail[N_CASES][MAX_BACKENDS], n_unsup[N_CASES][MAX_BACKENDS];
    char   unsup_why[N_CASES][MAX_BACKENDS][160];
    double seconds[N_CASES][MAX_BACKENDS];
    int    n_models[N_CASES];
} suite;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

static bool case_selected(const char * name) {
    if (!suite.ops) {
        return true;
    }
    size_t n = strlen(name);
    for (const char * p = suite.ops; *p;) {
        const char * end = strchr(p, ',');
        size_t       len = end ? (size_t) (end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) {
            return true;
        }
        p += len + (end ? 1 : 0);
    }
    return false;
}

/* Backends to run: usable ones (cpu-ref included: the batched-vs-sequential checks mean something
 * there too), or -b's. */
static bool backend_selected(size_t b) { return !suite.backend || strcmp(suite.backend, hfx_backend_name(b)) == 0; }

/* cpu-ref compared with itself says nothing: in test mode it runs only the cases that check a
 * backend against itself, unless -b asks for it (perf mode times it: the baseline). */
static bool is_reference_only(size_t c, size_t b) {
    return !suite.perf && !cases[c].self_check && !suite.backend && strcmp(hfx_backend_name(b), "cpu-ref") == 0;
}

/* Case c on backend b, model mod: computes cpu-ref's reference (once per model and case, or for
 * the backend under test where the case depends on it), the backend's results, and compares. */
static void run_case(size_t c, const struct model * mod, hfx_engine_t ref_e, size_t b, struct vec * ref,
                     bool * have_ref) {
    const struct tcase * tc = &cases[c];
    const char *         bn = hfx_backend_name(b);
    struct run           r  = {.mod = mod, .backend = bn, .target = bn};
    struct vec           out = {0};
    hfx_engine_t         e   = make_engine(mod->m, bn, 0);
    r.e                      = e;
    if (suite.perf) {
        /* time compute alone: repeated until 0.2 s have passed, the mean per run */
        double t0 = now(), t = t0;
        int    n  = 0;
        enum verdict v = PASS;
        do {
            out.n = 0;
            v     = tc->compute(&r, &out);
            ++n;
            t = now();
        } while (v == PASS && t - t0 < 0.2);
        if (v == UNSUPPORTED) {
            suite.n_unsup[c][b]++;
            snprintf(suite.unsup_why[c][b], sizeof suite.unsup_why[c][b], "%.150s", r.why);
        } else {
            suite.seconds[c][b] += (t - t0) / n;
            suite.n_pass[c][b] += v == PASS;
            suite.n_fail[c][b] += v == FAIL;
        }
        hfx_engine_free(e);
        free(out.v);
        return;
    }
    bool per_backend = tc->compute == case_kernels; /* its reference depends on the backend under test */
    if (!*have_ref || per_backend) {
        struct run rr = {.mod = mod, .backend = "cpu-ref", .target = bn, .e = ref_e};
        ref->n        = 0;
        enum verdict v = tc->compute(&rr, ref);
        if (v == FAIL) {
            printf("%-10s %-9s %-30s FAIL: cpu-ref: %s\n", tc->name, bn, mod->name, rr.why);
            suite.n_fail[c][b]++;
            hfx_engine_free(e);
            return;
        }
        *have_ref = v == PASS && !per_backend;
    }
    double       t0 = now();
    enum verdict v  = tc->compute(&r, &out);
    suite.seconds[c][b] += now() - t0;
    char detail[512] = "";
    if (v == PASS) {
        v = (tc->compare ? tc->compare : compare_rel)(&r, tc->tol, ref, &out, detail, sizeof detail) ? PASS : FAIL;
    } else {
        snprintf(detail, sizeof detail, "%s", r.why);
    }
    if (v == UNSUPPORTED) {
        suite.n_unsup[c][b]++;
        snprintf(suite.unsup_why[c][b], sizeof suite.unsup_why[c][b], "%.150s", r.why);
    } else {
        suite.n_pass[c][b] += v == PASS;
        suite.n_fail[c][b] += v == FAIL;
    }
    if (v != UNSUPPORTED) { /* unsupported: once, in the summary */
        printf("%-10s %-9s %-30s %s: %s\n", tc->name, bn, mod->name, v == PASS ? "pass" : "FAIL", detail);
    }
    hfx_engine_free(e);
    free(out.v);
}

static void run_model(struct model * mod) {
    if (suite.model_filter && !strstr(mod->name, suite.model_filter)) {
        return;
    }
    hfx_engine_t ref_e = make_engine(mod->m, "cpu-ref", 1);
    for (size_t c = 0; c < N_CASES; ++c) {
        if ((cases[c].use & mod->use) != cases[c].use || !case_selected(cases[c].name)) {
            continue;
        }
        suite.n_models[c]++;
        struct vec ref      = {0};
        bool       have_ref = false;
        for (size_t b = 0; b < hfx_backend_count() && b < MAX_BACKENDS; ++b) {
            if (backend_selected(b) && hfx_backend_usable(b, NULL) && !is_reference_only(c, b)) {
                run_case(c, mod, ref_e, b, &ref, &have_ref);
            }
        }
        free(ref.v);
    }
    hfx_engine_free(ref_e);
}

static void add_model(hfx_workspace_t ws, const struct hfx_model_options * o, const char * name, unsigned use) {
    struct model     mod = {.ws = ws};
    struct hfx_error err;
    if (hfx_model_create(ws, o, &mod.m, &err) != HFX_OK) {
        hfx_workspace_free(ws);
        return; /* not a workspace (a patchset, a reference file) */
    }
    snprintf(mod.name, sizeof mod.name, "%s", name);
    mod.use = use & (mod.m->poi >= 0 ? ~0u : ~(unsigned) USE_INFER);
    run_model(&mod);
    hfx_model_free(mod.m);
    hfx_workspace_free(ws);
}

/* Every workspace of tests/data under the six normsys x histosys interpolation codes (eval only). */
static void models_data_dir(void) {
    static const enum hfx_interp_code ns[] = {HFX_INTERP_CODE1, HFX_INTERP_CODE4};
    static const enum hfx_interp_code hs[] = {HFX_INTERP_CODE0, HFX_INTERP_CODE2, HFX_INTERP_CODE4P};
    DIR *                             dir  = opendir(HFX_TEST_DATA);
    ASSERT(dir != NULL);
    struct dirent * de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", HFX_TEST_DATA, de->d_name);
        for (size_t a = 0; a < 2; ++a) {
            for (size_t b = 0; b < 3; ++b) {
                hfx_workspace_t  ws;
                struct hfx_error err;
                if (hfx_workspace_load(path, &ws, &err) != HFX_OK) {
                    continue;
                }
                struct hfx_model_options o = {.normsys_interp = ns[a], .histosys_interp = hs[b]};
                char                     name[96];
                snprintf(name, sizeof name, "%.*s/i%zu%zu", (int) (len - 5), de->d_name, a, b);
                /* the default interpolation (code4/code4p) also runs everything on the infer models */
                bool infer = strncmp(de->d_name, "infer_", 6) == 0 && a == 1 && b == 2;
                add_model(ws, &o, name, infer ? USE_EVAL | USE_FIT | USE_INFER : USE_EVAL);
            }
        }
    }
    closedir(dir);
}

/* The first count random workspaces, the first n_fit of them with fits, the first with inference. */
static void models_random(size_t count, size_t n_fit) {
    FILE * f = fopen(HFX_SHARED_DIR "/reference/random_public.jsonl", "r");
    if (!f) {
        printf("random workspaces: SKIPPED (../shared/reference not found)\n");
        return;
    }
    char * line = NULL;
    size_t cap  = 0;
    for (size_t i = 0; i < count && getline(&line, &cap, f) > 0; ++i) {
        json_t *        j = hfx_test_parse_line(line);
        hfx_workspace_t ws;
        hfx_model_t     m;
        ASSERT(j);
        hfx_test_random_model(j, &ws, &m);
        hfx_model_free(m);
        json_t *                 settings = json_object_get(j, "modifier_settings");
        struct hfx_model_options o        = {.normsys_interp  = hfx_test_interp_code(settings, "normsys"),
                                             .histosys_interp = hfx_test_interp_code(settings, "histosys")};
        char                     name[96];
        snprintf(name, sizeof name, "random seed %lld", (long long) json_integer_value(json_object_get(j, "seed")));
        add_model(ws, &o, name, i == 0 ? USE_EVAL | USE_FIT | USE_INFER : i < n_fit ? USE_EVAL | USE_FIT : USE_EVAL);
        json_decref(j);
    }
    free(line);
    fclose(f);
}

/* A workspace of n_bins bins in one channel: signal (normfactor mu) on a smooth background with a
 * staterror and a histosys: the block kernel's territory. */
static void model_large(size_t n_bins) {
    json_t * sig = json_array(), * bkg = json_array(), * err = json_array(), * hi = json_array(),
           * lo = json_array(), * obs = json_array();
    for (size_t i = 0; i < n_bins; ++i) {
        double x = (double) i / (double) n_bins;
        double b = 40.0 + 30.0 * sin(6.0 * x) + 5.0 * (double) (i % 7);
        double s = 8.0 * exp(-((x - 0.5) * (x - 0.5)) / 0.01);
        json_array_append_new(sig, json_real(s));
        json_array_append_new(bkg, json_real(b));
        json_array_append_new(err, json_real(0.05 * sqrt(b) + 0.01 * b));
        json_array_append_new(hi, json_real(b * (1.03 + 0.01 * sin(17.0 * x))));
        json_array_append_new(lo, json_real(b * (0.98 - 0.005 * cos(11.0 * x))));
        json_array_append_new(obs, json_real(floor(b + 0.7 * s + 3.0 * sin(0.37 * (double) i)) + (i % 11 == 0 ? 0 : 1)));
    }
    json_t * spec = json_pack(
        "{s:[{s:s, s:[{s:s, s:o, s:[{s:s, s:s, s:n}]}, {s:s, s:o, s:[{s:s, s:s, s:o}, {s:s, s:s, s:{s:o, s:o}}]}]}],"
        " s:[{s:s, s:o}], s:[{s:s, s:{s:s, s:[]}}], s:s}",
        "channels", "name", "SR", "samples", "name", "signal", "data", sig, "modifiers", "name", "mu", "type",
        "normfactor", "data", "name", "background", "data", bkg, "modifiers", "name", "stat_SR", "type", "staterror",
        "data", err, "name", "shape_bkg", "type", "histosys", "data", "hi_data", hi, "lo_data", lo, "observations",
        "name", "SR", "data", obs, "measurements", "name", "meas", "config", "poi", "mu", "parameters", "version",
        "1.0.0");
    ASSERT(spec != NULL);
    char * text = json_dumps(spec, JSON_COMPACT);
    json_decref(spec);
    hfx_workspace_t  ws;
    struct hfx_error e;
    ASSERT(text && hfx_workspace_load_string(text, "large", &ws, &e) == HFX_OK);
    free(text);
    char name[96];
    snprintf(name, sizeof name, "synthetic %zu bins", n_bins);
    add_model(ws, NULL, name, USE_EVAL);
}

static void model_sbottom(void) {
    const char * archive = HFX_SHARED_DIR "/likelihoods/sbottom-hepdata.89408.tar.gz";
    if (access(archive, R_OK) != 0) {
        printf("sbottom: SKIPPED (%s not found)\n", archive);
        return;
    }
    char dir[] = "/tmp/hfx-test-backends-XXXXXX", cmd[1024], bkg[512], patch[512];
    ASSERT(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd, "tar xzf '%s' -C '%s' RegionA/BkgOnly.json RegionA/patch.sbottom_1300_205_60.json",
             archive, dir);
    ASSERT(system(cmd) == 0);
    snprintf(bkg, sizeof bkg, "%s/RegionA/BkgOnly.json", dir);
    snprintf(patch, sizeof patch, "%s/RegionA/patch.sbottom_1300_205_60.json", dir);
    hfx_workspace_t  ws;
    struct hfx_error err;
    ASSERT_EQ(hfx_workspace_load(bkg, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_file(ws, patch, &err), HFX_OK);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT(system(cmd) == 0);
    add_model(ws, NULL, "sbottom A 1300_205_60", USE_EVAL | USE_FIT | USE_INFER);
}

static int usage(const char * msg) {
    fprintf(stderr, "test-backends: %s\nusage: test-backends [test|perf] [-b BACKEND] [-o CASE[,CASE...]] "
                    "[-m MODEL-SUBSTRING]\ncases:", msg);
    for (size_t c = 0; c < N_CASES; ++c) {
        fprintf(stderr, " %s", cases[c].name);
    }
    fprintf(stderr, "\n");
    return 2;
}

/* Returns how many case x backend x model runs passed or failed. */
static int print_summary(void) {
    int n_ran = 0;
    printf(suite.perf ? "\ntime per run of each case's computation (set-up included), summed over its models:\n"
                      : "\nsummary (case x backend):\n");
    int n_fail = 0;
    for (size_t c = 0; c < N_CASES; ++c) {
        if (!case_selected(cases[c].name)) {
            continue;
        }
        for (size_t b = 0; b < hfx_backend_count() && b < MAX_BACKENDS; ++b) {
            if (!backend_selected(b)) {
                continue;
            }
            const char * why = NULL;
            char         cell[256];
            if (!hfx_backend_usable(b, &why)) {
                snprintf(cell, sizeof cell, "SKIPPED (%s)", why);
            } else if (is_reference_only(c, b)) {
                snprintf(cell, sizeof cell, "reference (the others are compared with it)");
            } else if (suite.n_fail[c][b]) {
                snprintf(cell, sizeof cell, "FAIL (%d of %d models)", suite.n_fail[c][b], suite.n_models[c]);
            } else if (suite.n_unsup[c][b] && !suite.n_pass[c][b]) {
                snprintf(cell, sizeof cell, "unsupported (%s)", suite.unsup_why[c][b]);
            } else if (suite.n_pass[c][b]) {
                snprintf(cell, sizeof cell, "pass (%d models%s%s%s)", suite.n_pass[c][b],
                         suite.n_unsup[c][b] ? "; unsupported on others: " : "",
                         suite.n_unsup[c][b] ? suite.unsup_why[c][b] : "", "");
            } else {
                snprintf(cell, sizeof cell, "SKIPPED (no model selected)");
            }
            n_fail += suite.n_fail[c][b];
            n_ran += suite.n_fail[c][b] + suite.n_pass[c][b];
            if (suite.perf && hfx_backend_usable(b, NULL) && suite.n_pass[c][b]) {
                double base = suite.seconds[c][0]; /* cpu-ref: registry entry 0 */
                printf("  %-10s %-9s %10.3f ms per run (%d models)", cases[c].name, hfx_backend_name(b),
                       1e3 * suite.seconds[c][b], suite.n_pass[c][b]);
                if (b > 0 && base > 0 && suite.n_pass[c][0] == suite.n_pass[c][b]) {
                    printf(", %.2fx cpu-ref's speed", base / suite.seconds[c][b]);
                }
                printf("\n");
            } else {
                printf("  %-10s %-9s %s\n", cases[c].name, hfx_backend_name(b), cell);
            }
        }
    }
    if (!suite.perf) {
        printf("%s\n", n_fail ? "FAILED" : n_ran ? "all cases pass on every usable backend"
                                                 : "nothing ran: the selected backends are SKIPPED here");
    }
    return n_ran;
}

int main(int argc, char ** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* a line per case as it finishes, also into ctest's log */
    suite.quick = getenv("HFX_TEST_QUICK") != NULL;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "test") == 0 || strcmp(argv[i], "perf") == 0) {
            suite.perf = argv[i][0] == 'p';
        } else if ((strcmp(argv[i], "-b") == 0 || strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-m") == 0) &&
                   i + 1 < argc) {
            const char ** dst = argv[i][1] == 'b' ? &suite.backend : argv[i][1] == 'o' ? &suite.ops : &suite.model_filter;
            *dst              = argv[++i];
        } else {
            return usage("unknown argument");
        }
    }
    if (suite.backend) {
        bool found = false;
        for (size_t b = 0; b < hfx_backend_count(); ++b) {
            found = found || strcmp(hfx_backend_name(b), suite.backend) == 0;
        }
        if (!found) {
            return usage("-b: no such backend in this build");
        }
    }
    for (size_t c = 0, n = 0; c < N_CASES && suite.ops; ++c) {
        n += case_selected(cases[c].name);
        if (c + 1 == N_CASES && n == 0) {
            return usage("-o: no such case");
        }
    }
    ASSERT(hfx_backend_count() <= MAX_BACKENDS);
    ASSERT(strcmp(hfx_backend_name(0), "cpu-ref") == 0); /* the reference, first in the registry */
    printf("%s mode; backends:", suite.perf ? "perf" : "test");
    for (size_t b = 0; b < hfx_backend_count(); ++b) {
        const char * why = NULL;
        bool         ok  = hfx_backend_usable(b, &why);
        printf(" %s%s%s%s", hfx_backend_name(b), ok ? "" : " (SKIPPED: ", ok ? "" : why, ok ? "" : ")");
    }
    printf("\n");
    if (!suite.perf) {
        printf("%-10s %-9s %-30s result\n", "case", "backend", "model");
    }
    models_data_dir();
    model_large(20000);
    models_random(suite.quick ? 3 : 60, suite.quick ? 3 : 6);
    if (!suite.quick) {
        model_sbottom();
    }
    int n_ran  = print_summary();
    int n_fail = 0;
    for (size_t c = 0; c < N_CASES; ++c) {
        for (size_t b = 0; b < MAX_BACKENDS; ++b) {
            n_fail += suite.n_fail[c][b];
        }
    }
    return n_fail ? 1 : n_ran ? 0 : 77; /* 77: CTest's "skipped", never a silent pass */
}
