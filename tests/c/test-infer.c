/*
 * test-infer.c -- test statistics, upper limits and the toy calculator against pyhf 0.7.6 on two small
 * models (tests/data/infer_simple.json: pyhf.simplemodels.uncorrelated_background; infer_mixed.json:
 * normsys + histosys + staterror). References: tests/data/infer_pyhf076.json, written by
 * tests/tools/gen_infer_reference.py with pyhf's optimizer converged (scipy tolerance 1e-12).
 *
 * Tolerances:
 * - asymptotic CLs (q~, q, q0 at mu = 0.5, 1, 2): 1e-4 relative, 1e-7 absolute below 1e-3 (as the
 *   project requires of every CLs).
 * - upper limits: 5e-4 relative. pyhf's toms748_scan stops at rtol = 1e-4 and hfx reproduces its
 *   brackets and steps, but a root found to 1e-4 of a curve that differs in the 5th digit can differ
 *   by a few 1e-4.
 * - toys (1000 per hypothesis, q~ at mu = 1): pyhf and hfx draw different pseudo-data (numpy's
 *   generator vs Philox), so each CLs is a binomial estimate; the difference must lie within
 *   4 sqrt(2) sigma, sigma propagated from hfx's CLsb and CLb tail fractions.
 */
#include "hfx-test.h"

#include "hfx/hfx.h"

#include <jansson.h>
#include <string.h>

static int cls_close(double a, double b) {
    double d = fabs(a - b);
    return b < 1e-3 ? (d <= 1e-7 || d <= 1e-4 * fabs(b)) : d <= 1e-4 * fabs(b);
}

static void check_model(const char * name, json_t * ref) {
    char             path[1024];
    struct hfx_error err;
    hfx_workspace_t  ws;
    hfx_model_t      m;
    hfx_engine_t     e;
    snprintf(path, sizeof path, "%s/infer_%s.json", HFX_TEST_DATA, name);
    ASSERT_EQ(hfx_workspace_load(path, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_model_create(ws, NULL, &m, &err), HFX_OK);
    ASSERT_EQ(hfx_engine_create(m, NULL, &e, &err), HFX_OK);

    static const char *             stats[3] = {"qtilde", "q", "q0"};
    static const enum hfx_teststat kinds[3] = {HFX_TESTSTAT_QTILDE, HFX_TESTSTAT_Q, HFX_TESTSTAT_Q0};
    static const double             mus[3]   = {0.5, 1.0, 2.0};
    for (int s = 0; s < 3; ++s) {
        for (int k = 0; k < 3; ++k) {
            char key[64];
            snprintf(key, sizeof key, "asymptotics_%s_mu%.1f", stats[s], mus[k]);
            json_t * r = json_object_get(ref, key);
            ASSERT(r != NULL);
            struct hfx_hypotest_options o = {.poi_test = mus[k], .teststat = kinds[s]};
            struct hfx_hypotest_result  h;
            ASSERT_EQ(hfx_hypotest(e, &o, &h, &err), HFX_OK);
            int ok = cls_close(h.cls_obs, json_number_value(json_object_get(r, "cls_obs")));
            for (int i = 0; i < 5; ++i) {
                ok = ok && cls_close(h.cls_exp[i], json_number_value(json_array_get(json_object_get(r, "cls_exp"), i)));
            }
            if (!ok) {
                fprintf(stderr, "%s %s: CLs_obs %.10g vs pyhf %.10g\n", name, key, h.cls_obs,
                        json_number_value(json_object_get(r, "cls_obs")));
                abort();
            }
        }
    }

    struct hfx_upper_limit_options uo = {.level = 0.05};
    struct hfx_upper_limit_result  ul;
    ASSERT_EQ(hfx_upper_limit(e, &uo, &ul, &err), HFX_OK);
    json_t * ur = json_object_get(ref, "upper_limit");
    ASSERT_NEAR_REL(ul.obs, json_number_value(json_object_get(ur, "obs")), 5e-4);
    for (int i = 0; i < 5; ++i) {
        ASSERT_NEAR_REL(ul.exp[i], json_number_value(json_array_get(json_object_get(ur, "exp"), i)), 5e-4);
    }

    /* a grid in uneven parts (hfx_limit_grid_*, as MPI ranks run it): hfx_upper_limit's grid, bit for bit */
    enum { NG = 9 };
    double                         whole[NG * 7], parts[NG * 7];
    struct hfx_upper_limit_options go = {.level = 0.05, .lo = 0.2, .hi = 4.0, .n_scan = NG, .scan_points = whole};
    struct hfx_upper_limit_result  gu, gp;
    ASSERT_EQ(hfx_upper_limit(e, &go, &gu, &err), HFX_OK);
    hfx_limit_grid_t g;
    ASSERT_EQ(hfx_limit_grid_create(e, &go, &g, &err), HFX_OK);
    size_t              gcut[4] = {0, 4, 5, NG};
    enum hfx_fit_status gst     = HFX_FIT_CONVERGED;
    for (int k = 2; k >= 0; --k) { /* any order */
        enum hfx_fit_status one;
        ASSERT_EQ(hfx_limit_grid_run(g, gcut[k], gcut[k + 1] - gcut[k], parts + 7 * gcut[k], &one, &err), HFX_OK);
        gst = hfx_fit_status_worse(gst, one);
    }
    ASSERT(hfx_limit_grid_run(g, 5, NG, parts, NULL, &err) == HFX_ERR_ARG); /* past the grid's end */
    ASSERT_EQ(hfx_limit_grid_result(g, parts, gst, &gp, &err), HFX_OK);
    hfx_limit_grid_free(g);
    ASSERT(memcmp(whole, parts, sizeof whole) == 0);
    ASSERT(gp.obs == gu.obs && gp.status == gu.status && gp.n_hypotests == NG);
    for (int i = 0; i < 5; ++i) {
        ASSERT(gp.exp[i] == gu.exp[i]);
    }
    go.n_scan = 1;
    ASSERT(hfx_limit_grid_create(e, &go, &g, &err) == HFX_ERR_ARG && g == NULL);

    json_t *                    tr = json_object_get(ref, "toys_qtilde_mu1");
    size_t                      n  = (size_t) json_integer_value(json_object_get(tr, "ntoys"));
    struct hfx_hypotest_options to = {.poi_test = 1.0, .calctype = HFX_CALC_TOYBASED, .n_toys = n, .seed = 7};
    struct hfx_hypotest_result  th;
    ASSERT_EQ(hfx_hypotest(e, &to, &th, &err), HFX_OK);
    double psb = th.clsb_obs, pb = th.clb_obs;
    double sig = th.cls_obs * sqrt((1 - psb) / (psb * (double) n) + (1 - pb) / (pb * (double) n));
    double ref_obs = json_number_value(json_object_get(tr, "cls_obs"));
    fprintf(stderr, "%s toys: CLs_obs %.4f vs pyhf %.4f (sigma %.4f); median expected %.4f vs %.4f\n", name, th.cls_obs,
            ref_obs, sig, th.cls_exp[2], json_number_value(json_array_get(json_object_get(tr, "cls_exp"), 2)));
    ASSERT(fabs(th.cls_obs - ref_obs) <= 4 * sqrt(2.0) * sig);
    /* same seed, same toys: reproducible to the bit */
    struct hfx_hypotest_result th2;
    ASSERT_EQ(hfx_hypotest(e, &to, &th2, &err), HFX_OK);
    ASSERT(th2.cls_obs == th.cls_obs && th2.cls_exp[2] == th.cls_exp[2]);
    /* the same toys in three uneven ranges, merged by hfx_toys_cls: the one-range result, bit for bit */
    double * ts = malloc(2 * n * sizeof *ts);
    ASSERT(ts != NULL);
    size_t                 cut[4] = {0, n / 7, n / 2 + 3, n};
    struct hfx_toys_result tr_part;
    for (int k = 0; k < 3; ++k) {
        struct hfx_toys_options po = {.hypotest = to, .first = cut[k], .count = cut[k + 1] - cut[k]};
        tr_part = (struct hfx_toys_result){.teststat_sb = ts + cut[k], .teststat_b = ts + n + cut[k]};
        ASSERT_EQ(hfx_toys_run(e, &po, &tr_part, &err), HFX_OK);
        ASSERT(tr_part.teststat == th.teststat && tr_part.mu_hat == th.mu_hat);
    }
    struct hfx_hypotest_result tm;
    ASSERT_EQ(hfx_toys_cls(to.teststat, tr_part.teststat, ts, n, ts + n, n, &tm, &err), HFX_OK);
    ASSERT(tm.cls_obs == th.cls_obs && tm.clsb_obs == th.clsb_obs && tm.clb_obs == th.clb_obs);
    for (int i = 0; i < 5; ++i) {
        ASSERT(tm.cls_exp[i] == th.cls_exp[i]);
    }
    ASSERT(tm.toys_failed_sb == th.toys_failed_sb && tm.toys_failed_b == th.toys_failed_b);
    free(ts);

    hfx_engine_free(e);
    hfx_model_free(m);
    hfx_workspace_free(ws);
}

/* An error from inference on a caller's uninitialised struct fills every field (hfx.h): no garbage
 * from the struct's old contents in the formatted message. */
static void check_error_fills_struct(void) {
    char             path[1024];
    struct hfx_error err;
    hfx_workspace_t  ws;
    hfx_model_t      m;
    hfx_engine_t     e;
    snprintf(path, sizeof path, "%s/infer_simple.json", HFX_TEST_DATA);
    ASSERT_EQ(hfx_workspace_load(path, &ws, &err), HFX_OK);
    struct hfx_model_options mo = {.no_poi = true};
    ASSERT_EQ(hfx_model_create(ws, &mo, &m, &err), HFX_OK);
    ASSERT_EQ(hfx_engine_create(m, NULL, &e, &err), HFX_OK);
    memset(&err, 0xAB, sizeof err);
    struct hfx_hypotest_options h = {.poi_test = 1.0};
    struct hfx_hypotest_result  r;
    ASSERT(hfx_hypotest(e, &h, &r, &err) != HFX_OK);
    char buf[2048];
    ASSERT_STREQ(hfx_error_format(&err, buf, sizeof buf), "a hypothesis test needs a POI; the model was built without one");
    ASSERT(err.line == 0 && err.column == 0 && err.source[0] == '\0' && err.pointer[0] == '\0');
    hfx_engine_free(e);
    hfx_model_free(m);
    hfx_workspace_free(ws);
}

/* Cancellation (hfx.h): a request stops every long call with HFX_ERR_CANCELLED, on every backend
 * (the cpu backend's resident fits too), leaves the engine usable, and once cleared the same call
 * gives the same numbers as an engine that was never cancelled. */
static void check_cancel(void) {
    char             path[1024];
    struct hfx_error err;
    hfx_workspace_t  ws;
    hfx_model_t      m;
    snprintf(path, sizeof path, "%s/infer_mixed.json", HFX_TEST_DATA);
    ASSERT_EQ(hfx_workspace_load(path, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_model_create(ws, NULL, &m, &err), HFX_OK);
    const char * backends[] = {"cpu-ref", "cpu"};
    for (int b = 0; b < 2; ++b) {
        struct hfx_engine_options eo = {.backend = backends[b], .n_threads = 2};
        hfx_engine_t              e;
        if (hfx_engine_create(m, &eo, &e, &err) != HFX_OK) {
            continue; /* cpu not compiled in */
        }
        struct hfx_hypotest_options h  = {.poi_test = 1.0, .calctype = HFX_CALC_TOYBASED, .n_toys = 40, .seed = 3};
        struct hfx_hypotest_result  r0, r;
        ASSERT_EQ(hfx_hypotest(e, &h, &r0, &err), HFX_OK);
        hfx_engine_cancel(e, true);
        ASSERT_EQ(hfx_hypotest(e, &h, &r, &err), HFX_ERR_CANCELLED);
        ASSERT_EQ(err.code, HFX_ERR_CANCELLED);
        struct hfx_upper_limit_options u = {.hypotest = {.poi_test = 1.0}, .lo = 0, .hi = 5, .n_scan = 11};
        struct hfx_upper_limit_result  ur;
        ASSERT_EQ(hfx_upper_limit(e, &u, &ur, &err), HFX_ERR_CANCELLED);
        hfx_engine_cancel(e, false);
        hfx_cancel_all(true); /* the process-wide request, as a signal handler makes it */
        ASSERT_EQ(hfx_hypotest(e, &h, &r, &err), HFX_ERR_CANCELLED);
        hfx_cancel_all(false);
        ASSERT_EQ(hfx_hypotest(e, &h, &r, &err), HFX_OK);
        ASSERT(r.cls_obs == r0.cls_obs && r.cls_exp[2] == r0.cls_exp[2]);
        hfx_engine_free(e);
    }
    hfx_model_free(m);
    hfx_workspace_free(ws);
}

/* The fit statuses as results print them ("status" in every JSON result, docs/model.md): the names
 * users read, and the order in which results made of several fits pick the least converged.
 * HFX_FIT_LINE_SEARCH is STALLED's former name: the same status, printed the same. */
static void check_fit_status_names(void) {
    ASSERT_STREQ(hfx_fit_status_str(HFX_FIT_CONVERGED), "converged");
    ASSERT_STREQ(hfx_fit_status_str(HFX_FIT_STALLED), "stalled");
    ASSERT_STREQ(hfx_fit_status_str(HFX_FIT_LINE_SEARCH), "stalled");
    ASSERT_STREQ(hfx_fit_status_str(HFX_FIT_MAX_ITER), "max-iterations");
    ASSERT_STREQ(hfx_fit_status_str(HFX_FIT_FAILED), "failed");
    ASSERT_EQ(hfx_fit_status_worse(HFX_FIT_CONVERGED, HFX_FIT_STALLED), HFX_FIT_STALLED);
    ASSERT_EQ(hfx_fit_status_worse(HFX_FIT_MAX_ITER, HFX_FIT_STALLED), HFX_FIT_MAX_ITER);
    ASSERT_EQ(hfx_fit_status_worse(HFX_FIT_FAILED, HFX_FIT_MAX_ITER), HFX_FIT_FAILED);
}

int main(void) {
    check_fit_status_names();
    check_error_fills_struct();
    check_cancel();
    json_error_t jerr;
    json_t *     ref = json_load_file(HFX_TEST_DATA "/infer_pyhf076.json", 0, &jerr);
    ASSERT(ref != NULL);
    check_model("simple", json_object_get(ref, "simple"));
    check_model("mixed", json_object_get(ref, "mixed"));
    json_decref(ref);
    printf("asymptotic q~/q/q0 hypotests, upper limits and toys agree with pyhf on 2 models\n");
    return 0;
}
