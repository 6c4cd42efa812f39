/*
 * test-backends.c -- the conformance suite: every case on every backend of the registry, compared
 * with cpu-ref, the way ggml's test-backend-ops compares each backend with the CPU.
 *
 * Cases, per model:
 *   eval      twice_nll and gradient at 7 points, batches of 1, 3 and 64 points, one shared data
 *             vector and one per point (data_stride = n_data);
 *   fit       hfx_fit free and at mu = 1 (with uncertainties);
 *   batch     independent fits as one batch vs the same fits one at a time, on the same backend;
 *   hypotest  the asymptotic q~ hypotest at mu = 1 (its fits batched where the backend batches);
 *   toys      the toy calculator (both ensembles batched), batch of 64 vs batch of 1;
 *   grid      an upper-limit grid scan of 5 points (10 fits in one batch).
 * Models: tests/data/infer_*.json; with ../shared, random workspaces of every modifier type and
 * interpolation code (the inference cases on the first only: the others take minutes under the
 * sanitizers), and the sbottom RegionA patch 1300_205_60 (not with HFX_TEST_QUICK).
 *
 * Tolerances (relative unless said): twice_nll 1e-12 and gradient 1e-10 of max(1, |g|) for
 * evaluations (the CPU backends run the reference kernel, some summing bins in another order); fits
 * 1e-9 in twice_nll, as batched vs sequential fits (which on the CPU are the same code and agree to
 * the bit); CLs 1e-9; toys: the same backend batched and one at a time agree exactly (same toys, same
 * fits), other backends within 2 / n_toys of cpu-ref (one toy's statistic moving across the
 * observed one). A backend compiled in but unusable here (cuda without a GPU) reports every case
 * SKIPPED with the reason. Exit status 1 if any case fails.
 */
#include "hfx-test.h"

#include "fit/engine.h"
#include "hfx-test-ref.h"

#include <unistd.h>

static int n_fail, n_ok, n_skip;
static bool quick;

static void report(const char * backend, const char * model, const char * cas, bool ok, const char * detail) {
    printf("%-8s %-28s %-9s %s%s%s\n", backend, model, cas, ok ? "ok" : "FAIL", detail[0] ? ": " : "", detail);
    if (ok) {
        ++n_ok;
    } else {
        ++n_fail;
    }
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static double   rnd(void) { return hfx_test_rand(&rng_state); }

static double rel_diff(double a, double b) {
    if (a == b) {
        return 0.0;
    }
    return fabs(a - b) / fmax(fabs(a), fabs(b));
}

static hfx_engine_t make_engine(hfx_model_t m, const char * backend, size_t batch, char * why, size_t why_size) {
    struct hfx_engine_options o = {.backend = backend, .n_threads = 2, .batch = batch};
    struct hfx_error          err;
    hfx_engine_t              e = NULL;
    if (hfx_engine_create(m, &o, &e, &err) != HFX_OK) {
        hfx_error_format(&err, why, why_size);
        return NULL;
    }
    return e;
}

//
// Cases
//

/* Points near init inside the bounds; data: the observed and the expected data at each point. */
static void case_eval(hfx_engine_t ref, hfx_engine_t e, const char * bn, const char * mn) {
    const struct hfx_model * m  = ref->m;
    size_t                   np = m->n_pars, nd = ref->n_data, npts = 7, nmax = 64;
    double * pts = malloc(nmax * np * sizeof *pts), * data = malloc(nmax * nd * sizeof *data);
    double * dc = malloc(nmax * sizeof *dc), * o1 = malloc(nmax * sizeof *o1), * o2 = malloc(nmax * sizeof *o2);
    double * g1 = malloc(nmax * np * sizeof *g1), * g2 = malloc(nmax * np * sizeof *g2);
    ASSERT(pts && data && dc && o1 && o2 && g1 && g2);
    for (size_t k = 0; k < nmax; ++k) {
        double * p = pts + k * np;
        for (size_t j = 0; j < np; ++j) {
            double lo = m->lower[j], hi = m->upper[j], span = fmin(hi - lo, 2.0);
            p[j]      = k % npts == 0 ? m->init[j] : fmin(fmax(m->init[j] + span * (rnd() - 0.5) * 0.5, lo), hi);
        }
        if (k % 2 == 0) {
            memcpy(data + k * nd, m->observed, nd * sizeof(double));
        } else {
            hfx__expected_data(m, p, data + k * nd, ref->eval_scratch);
        }
        dc[k] = hfx__data_constant(m, data + k * nd);
    }
    double           worst_f = 0, worst_g = 0;
    struct hfx_error err;
    static const size_t sizes[3] = {1, 3, 64};
    for (int si = 0; si < 3; ++si) {
        for (int per_point = 0; per_point < 2; ++per_point) {
            size_t n = sizes[si], stride = per_point ? nd : 0;
            ASSERT_EQ(hfx__engine_eval(ref, n, pts, data, stride, dc, o1, g1, &err), HFX_OK);
            ASSERT_EQ(hfx__engine_eval(e, n, pts, data, stride, dc, o2, g2, &err), HFX_OK);
            for (size_t k = 0; k < n; ++k) {
                worst_f = fmax(worst_f, isfinite(o1[k]) || o1[k] != o2[k] ? rel_diff(o1[k], o2[k]) : 0.0);
                double gmax = 1.0;
                for (size_t j = 0; j < np; ++j) {
                    gmax = fmax(gmax, fabs(g1[k * np + j]));
                }
                for (size_t j = 0; j < np && isfinite(o1[k]); ++j) {
                    worst_g = fmax(worst_g, fabs(g1[k * np + j] - g2[k * np + j]) / gmax);
                }
            }
            /* value-only calls must give the same values */
            ASSERT_EQ(hfx__engine_eval(e, n, pts, data, stride, dc, o2, NULL, &err), HFX_OK);
            for (size_t k = 0; k < n; ++k) {
                worst_f = fmax(worst_f, isfinite(o1[k]) || o1[k] != o2[k] ? rel_diff(o1[k], o2[k]) : 0.0);
            }
        }
    }
    char detail[160];
    snprintf(detail, sizeof detail, "max rel diff twice_nll %.2g, gradient %.2g", worst_f, worst_g);
    report(bn, mn, "eval", worst_f <= 1e-12 && worst_g <= 1e-10, detail);
    free(pts), free(data), free(dc), free(o1), free(o2), free(g1), free(g2);
}

static void case_fit(hfx_engine_t ref, hfx_engine_t e, const char * bn, const char * mn) {
    const struct hfx_model * m     = ref->m;
    double                   worst = 0;
    bool                     ok    = true;
    for (int fixed = 0; fixed < (m->poi >= 0 ? 2 : 1); ++fixed) {
        struct hfx_fit_options o = {.fix_poi = fixed, .poi_value = 1.0, .uncertainties = true};
        struct hfx_fit_result  r1, r2;
        struct hfx_error       err;
        ASSERT_EQ(hfx_fit(ref, &o, &r1, &err), HFX_OK);
        double t1 = r1.twice_nll;
        ASSERT_EQ(hfx_fit(e, &o, &r2, &err), HFX_OK);
        worst = fmax(worst, rel_diff(t1, r2.twice_nll));
        ok    = ok && r2.status == r1.status;
    }
    char detail[160];
    snprintf(detail, sizeof detail, "max rel diff twice_nll %.2g%s", worst, ok ? "" : ", status differs");
    report(bn, mn, "fit", ok && worst <= 1e-9, detail);
}

/* Free and conditional fits at several mu on the observed and on expected data: one batch on an
 * engine that batches, one at a time on one that does not. */
static void case_batch(hfx_model_t model, const char * backend, const char * bn, const char * mn) {
    const struct hfx_model * m = model;
    if (m->poi < 0) {
        return;
    }
    char         why[512];
    hfx_engine_t seq = make_engine(model, backend, 1, why, sizeof why);
    hfx_engine_t bat = make_engine(model, backend, 64, why, sizeof why);
    ASSERT(seq && bat);
    enum { NJ = 10 };
    double * asimov = malloc((seq->n_data + 1) * sizeof *asimov);
    ASSERT(asimov);
    hfx__expected_data(m, m->init, asimov, seq->eval_scratch);
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
    struct hfx_error err;
    ASSERT_EQ(hfx__fit_jobs(bat, jobs, NJ, true, &err), HFX_OK);
    double worst = 0;
    bool   same  = true;
    for (int k = 0; k < NJ; ++k) {
        ASSERT_EQ(hfx__fit_jobs(seq, &one[k], 1, true, &err), HFX_OK);
        worst = fmax(worst, rel_diff(jobs[k].twice_nll, one[k].twice_nll));
        same  = same && jobs[k].status == one[k].status;
    }
    char detail[160];
    snprintf(detail, sizeof detail, "%d fits, batches of %zu%s vs one at a time: max rel diff %.2g%s", NJ,
             bat->batch_max, bat->be->fit_jobs ? " (resident)" : "", worst, same ? "" : ", status differs");
    report(bn, mn, "batch", same && worst <= 1e-9, detail);
    free(asimov);
    hfx_engine_free(seq);
    hfx_engine_free(bat);
}

static void case_hypotest(hfx_engine_t ref, hfx_engine_t e, const char * bn, const char * mn) {
    if (ref->m->poi < 0) {
        return;
    }
    struct hfx_hypotest_options o = {.poi_test = 1.0};
    struct hfx_hypotest_result  r1, r2;
    struct hfx_error            err;
    ASSERT_EQ(hfx_hypotest(ref, &o, &r1, &err), HFX_OK);
    ASSERT_EQ(hfx_hypotest(e, &o, &r2, &err), HFX_OK);
    double worst = rel_diff(r1.cls_obs, r2.cls_obs);
    for (int i = 0; i < 5; ++i) {
        worst = fmax(worst, rel_diff(r1.cls_exp[i], r2.cls_exp[i]));
    }
    char detail[160];
    snprintf(detail, sizeof detail, "CLs_obs %.6g, max rel diff of the 6 CLs %.2g", r2.cls_obs, worst);
    report(bn, mn, "hypotest", worst <= 1e-9, detail);
}

static bool same_result(const struct hfx_hypotest_result * a, const struct hfx_hypotest_result * b, double tol) {
    bool ok = fabs(a->cls_obs - b->cls_obs) <= tol;
    for (int i = 0; i < 5; ++i) {
        ok = ok && fabs(a->cls_exp[i] - b->cls_exp[i]) <= tol;
    }
    return ok && a->toys_failed_b == b->toys_failed_b && a->toys_failed_sb == b->toys_failed_sb;
}

static void case_toys(hfx_model_t model, hfx_engine_t ref, const char * backend, const char * bn, const char * mn) {
    if (ref->m->poi < 0) {
        return;
    }
    char         why[512];
    hfx_engine_t seq = make_engine(model, backend, 1, why, sizeof why);
    hfx_engine_t bat = make_engine(model, backend, 64, why, sizeof why);
    ASSERT(seq && bat);
    size_t                      n = quick ? 20 : 60;
    struct hfx_hypotest_options o = {.poi_test = 1.0, .calctype = HFX_CALC_TOYBASED, .n_toys = n, .seed = 11};
    struct hfx_hypotest_result  r0, r1, r2;
    struct hfx_error            err;
    ASSERT_EQ(hfx_hypotest(ref, &o, &r0, &err), HFX_OK);
    ASSERT_EQ(hfx_hypotest(seq, &o, &r1, &err), HFX_OK);
    ASSERT_EQ(hfx_hypotest(bat, &o, &r2, &err), HFX_OK);
    bool batched_same = same_result(&r1, &r2, 0.0);
    bool ref_close    = same_result(&r0, &r2, 2.0 / (double) n);
    char detail[200];
    snprintf(detail, sizeof detail, "%zu toys each: CLs_obs %.4f (cpu-ref %.4f), batches of %zu %s one at a time", n,
             r2.cls_obs, r0.cls_obs, bat->batch_max, batched_same ? "==" : "!=");
    report(bn, mn, "toys", batched_same && ref_close, detail);
    hfx_engine_free(seq);
    hfx_engine_free(bat);
}

static void case_grid(hfx_engine_t ref, hfx_engine_t e, const char * bn, const char * mn) {
    if (ref->m->poi < 0) {
        return;
    }
    double                         pts1[35], pts2[35];
    struct hfx_upper_limit_options o = {.lo = 0.5, .hi = 3.0, .n_scan = 5, .scan_points = pts1};
    struct hfx_upper_limit_result  r1, r2;
    struct hfx_error               err;
    ASSERT_EQ(hfx_upper_limit(ref, &o, &r1, &err), HFX_OK);
    o.scan_points = pts2;
    ASSERT_EQ(hfx_upper_limit(e, &o, &r2, &err), HFX_OK);
    double worst = rel_diff(r1.obs, r2.obs);
    for (int i = 0; i < 35; ++i) {
        worst = fmax(worst, rel_diff(pts1[i], pts2[i]));
    }
    char detail[160];
    snprintf(detail, sizeof detail, "obs limit %.6g, max rel diff over limits and grid CLs %.2g", r2.obs, worst);
    report(bn, mn, "grid", worst <= 1e-9, detail);
}

//
// Driver
//

static void run_model(hfx_model_t m, const char * mn, bool inference) {
    char         why[512];
    hfx_engine_t ref = make_engine(m, "cpu-ref", 1, why, sizeof why);
    ASSERT(ref);
    for (size_t b = 0; b < hfx_backend_count(); ++b) {
        const char * bn = hfx_backend_name(b);
        hfx_engine_t e  = make_engine(m, bn, 0, why, sizeof why);
        if (!e) {
            printf("%-8s %-28s %-9s SKIPPED: %s\n", bn, mn, "all", why);
            ++n_skip;
            continue;
        }
        case_eval(ref, e, bn, mn);
        case_fit(ref, e, bn, mn);
        if (inference) {
            case_batch(m, bn, bn, mn);
            case_hypotest(ref, e, bn, mn);
            case_toys(m, ref, bn, bn, mn);
            case_grid(ref, e, bn, mn);
        }
        hfx_engine_free(e);
    }
    hfx_engine_free(ref);
}

static void run_file(const char * path, const char * name, bool inference) {
    hfx_workspace_t  ws;
    hfx_model_t      m;
    struct hfx_error err;
    ASSERT_EQ(hfx_workspace_load(path, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_model_create(ws, NULL, &m, &err), HFX_OK);
    run_model(m, name, inference);
    hfx_model_free(m);
    hfx_workspace_free(ws);
}

static void run_random(size_t count) {
    FILE * f = fopen(HFX_SHARED_DIR "/reference/random_public.jsonl", "r");
    if (!f) {
        printf("random workspaces: SKIPPED: ../shared/reference not found\n");
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
        char name[64];
        snprintf(name, sizeof name, "random seed %lld", (long long) json_integer_value(json_object_get(j, "seed")));
        run_model(m, name, i == 0); /* inference on one: the others are slow under the sanitizers */
        hfx_model_free(m);
        hfx_workspace_free(ws);
        json_decref(j);
    }
    free(line);
    fclose(f);
}

static void run_sbottom(void) {
    const char * archive = HFX_SHARED_DIR "/likelihoods/sbottom-hepdata.89408.tar.gz";
    if (access(archive, R_OK) != 0) {
        printf("sbottom: SKIPPED: %s not found\n", archive);
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
    hfx_model_t      m;
    struct hfx_error err;
    ASSERT_EQ(hfx_workspace_load(bkg, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_file(ws, patch, &err), HFX_OK);
    ASSERT_EQ(hfx_model_create(ws, NULL, &m, &err), HFX_OK);
    run_model(m, "sbottom A 1300_205_60", true);
    hfx_model_free(m);
    hfx_workspace_free(ws);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT(system(cmd) == 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* a line per case as it finishes, also into ctest's log */
    quick = getenv("HFX_TEST_QUICK") != NULL;
    printf("%-8s %-28s %-9s result\n", "backend", "model", "case");
    run_file(HFX_TEST_DATA "/infer_simple.json", "infer_simple", true);
    run_file(HFX_TEST_DATA "/infer_mixed.json", "infer_mixed", true);
    run_random(quick ? 3 : 6);
    if (!quick) {
        run_sbottom();
    }
    printf("%d ok, %d failed, %d skipped (backend x model)\n", n_ok, n_fail, n_skip);
    return n_fail ? 1 : 0;
}
