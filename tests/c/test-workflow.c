/*
 * test-workflow.c -- the analyses' C API (src/workflow/): argument errors, the parameter helpers
 * (labels, constraints, pre-fit widths), the saturated likelihood, and one ranking and one 2-D scan
 * giving the same numbers to the bit on every CPU path of hfx__fit_jobs (cpu-ref's lock-step batch of
 * one, the threaded backend's resident fits with 1 and 2 threads). The numbers themselves are checked
 * against cabinetry in tests/python/test_analyses.py.
 */
#include "hfx-test.h"

#include "hfx/hfx.h"

#include <math.h>
#include <string.h>

static hfx_model_t load(const char * path, bool no_poi) {
    hfx_workspace_t          ws = NULL;
    hfx_model_t              m  = NULL;
    struct hfx_error         err;
    struct hfx_model_options o = {.no_poi = no_poi};
    ASSERT_EQ(hfx_workspace_load(path, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_model_create(ws, &o, &m, &err), HFX_OK);
    hfx_workspace_free(ws);
    return m;
}

static hfx_engine_t engine(hfx_model_t m, const char * backend, int threads) {
    struct hfx_engine_options o = {.backend = backend, .n_threads = threads};
    hfx_engine_t              e = NULL;
    struct hfx_error          err;
    ASSERT_EQ(hfx_engine_create(m, &o, &e, &err), HFX_OK);
    return e;
}

static size_t par(hfx_model_t m, const char * name) {
    size_t           i = 0;
    struct hfx_error err;
    ASSERT_EQ(hfx_model_find_par(m, name, &i, &err), HFX_OK);
    return i;
}

static void test_parameters(hfx_model_t m) {
    /* spec-simple.json: jes (histosys + normsys), lumi (sigma 0.02), mu, sf (shapefactor), shape_CR
     * (shapesys), stat_SR (staterror, 2 bins) */
    ASSERT_STREQ(hfx_model_par_name(m, par(m, "stat_SR[1]")), "stat_SR[1]");
    ASSERT_EQ(par(m, "mu[0]"), par(m, "mu")); /* a scalar set also answers to name[0] */
    ASSERT(hfx_model_par_name(m, hfx_model_n_pars(m)) == NULL);
    size_t           i;
    struct hfx_error err;
    ASSERT_EQ(hfx_model_find_par(m, "nope", &i, &err), HFX_ERR_NOT_FOUND);
    ASSERT(strstr(err.msg, "'nope'") != NULL);
    ASSERT(!hfx_model_par_constrained(m, par(m, "mu")) && !hfx_model_par_constrained(m, par(m, "sf[0]")));
    ASSERT(hfx_model_par_constrained(m, par(m, "jes")) && hfx_model_par_constrained(m, par(m, "shape_CR[0]")));
    ASSERT(hfx_model_prefit_width(m, par(m, "mu")) == 0.0);
    ASSERT(hfx_model_prefit_width(m, par(m, "jes")) == 1.0);
    ASSERT_NEAR_REL(hfx_model_prefit_width(m, par(m, "lumi")), 0.02, 1e-15);
    double w = hfx_model_prefit_width(m, par(m, "shape_CR[0]"));
    ASSERT(w > 0 && w < 1);
}

static void test_errors(hfx_model_t m, hfx_engine_t e) {
    struct hfx_error               err;
    struct hfx_profile_scan_result sr;
    struct hfx_profile_scan_options so = {.n_dims = 3};
    ASSERT_EQ(hfx_profile_scan(e, &so, &sr, &err), HFX_ERR_ARG);
    so = (struct hfx_profile_scan_options){.n_dims = 2, .par = {par(m, "mu"), par(m, "mu")}};
    ASSERT_EQ(hfx_profile_scan(e, &so, &sr, &err), HFX_ERR_ARG);
    ASSERT(strstr(err.msg, "scanned twice") != NULL);
    so = (struct hfx_profile_scan_options){.n_dims = 1, .par = {par(m, "mu")}, .range_set = {true}, .lo = {1},
                                           .hi = {0.5}, .n = {3}};
    ASSERT_EQ(hfx_profile_scan(e, &so, &sr, &err), HFX_ERR_ARG);
    so.hi[0] = 2;
    so.n[0]  = 1;
    ASSERT_EQ(hfx_profile_scan(e, &so, &sr, &err), HFX_ERR_ARG);
    ASSERT_EQ(hfx_profile_scan(NULL, &so, &sr, &err), HFX_ERR_ARG);
    struct hfx_ranking_result  rr;
    size_t                     bad[] = {par(m, "sf[0]")};
    struct hfx_ranking_options ro    = {.pars = bad, .n_pars = 1};
    ASSERT_EQ(hfx_ranking(e, &ro, &rr, &err), HFX_ERR_ARG);
    ASSERT(strstr(err.msg, "unconstrained") != NULL && rr.entries == NULL);
    bad[0] = hfx_model_n_pars(m);
    ASSERT_EQ(hfx_ranking(e, &ro, &rr, &err), HFX_ERR_ARG);
    ASSERT_EQ(hfx_ranking(NULL, NULL, &rr, &err), HFX_ERR_ARG);
    hfx_ranking_result_free(NULL);
    hfx_profile_scan_result_free(NULL);

    /* without a POI: no ranking, no significance; a scan works */
    hfx_model_t                    nopoi = load(HFX_TEST_DATA "/spec-simple.json", true);
    hfx_engine_t                   e2    = engine(nopoi, "cpu-ref", 1);
    struct hfx_significance_result sg;
    ASSERT_EQ(hfx_ranking(e2, NULL, &rr, &err), HFX_ERR_ARG);
    ASSERT(strstr(err.msg, "needs a POI") != NULL);
    ASSERT_EQ(hfx_significance(e2, NULL, &sg, &err), HFX_ERR_ARG);
    so = (struct hfx_profile_scan_options){.n_dims = 1, .par = {par(nopoi, "jes")}};
    ASSERT_EQ(hfx_profile_scan(e2, &so, &sr, &err), HFX_OK);
    ASSERT_EQ(sr.n_points, 11u);
    hfx_profile_scan_result_free(&sr);
    hfx_engine_free(e2);
    hfx_model_free(nopoi);
}

/* The saturated likelihood: twice_nll where every expected count equals its observation and every
 * constraint sits at its auxiliary datum, i.e. twice_nll at the point whose expected data are the
 * data (here: a fit of the model with as many free per-bin factors as bins would reach it). Checked
 * by construction: the model's twice_nll at the init, with the data replaced by its own expected data,
 * is the saturated value of those data. */
static void test_saturated(hfx_model_t m, hfx_engine_t e) {
    size_t   nd   = hfx_model_n_bins(m) + hfx_model_n_aux(m);
    double * asim = malloc(nd * sizeof *asim);
    struct hfx_error err;
    ASSERT_EQ(hfx_model_expected_data(m, hfx_model_init(m), asim, &err), HFX_OK);
    double t = 0;
    ASSERT_EQ(hfx_twice_nll(e, hfx_model_init(m), asim, &t, NULL, &err), HFX_OK);
    struct hfx_gof_result g;
    ASSERT_EQ(hfx_goodness_of_fit(m, asim, t, &g, &err), HFX_OK);
    ASSERT_NEAR_REL(g.twice_nll_saturated, t, 1e-12);
    ASSERT(fabs(g.delta_twice_nll) < 1e-10);
    /* main bins 3, free unconstrained: mu and sf[0] */
    ASSERT_EQ(g.ndof, 1);
    ASSERT_NEAR_REL(g.p_value, 1.0, 1e-6);
    free(asim);
}

static void test_paths_agree(hfx_model_t m) {
    const char * backends[] = {"cpu-ref", "cpu", "cpu"};
    int          threads[]  = {1, 1, 2};
    struct hfx_ranking_result      rr[3];
    struct hfx_profile_scan_result sr[3];
    struct hfx_error               err;
    for (int k = 0; k < 3; ++k) {
        hfx_engine_t e = engine(m, backends[k], threads[k]);
        ASSERT_EQ(hfx_ranking(e, NULL, &rr[k], &err), HFX_OK);
        struct hfx_profile_scan_options so = {.n_dims    = 2,
                                              .par       = {par(m, "mu"), par(m, "jes")},
                                              .range_set = {true, true},
                                              .lo        = {0.5, -1},
                                              .hi        = {1.5, 1},
                                              .n         = {5, 4}};
        ASSERT_EQ(hfx_profile_scan(e, &so, &sr[k], &err), HFX_OK);
        hfx_engine_free(e);
    }
    ASSERT_EQ(rr[0].n_entries, 5u); /* jes, lumi, shape_CR[0], stat_SR[0], stat_SR[1] */
    ASSERT_EQ(sr[0].n_points, 20u);
    ASSERT(sr[0].points[19].values[0] == 1.5);
    ASSERT(sr[0].points[4].values[0] == 0.75); /* row-major, the first parameter outer */
    for (int k = 1; k < 3; ++k) {
        ASSERT(memcmp(rr[k].entries, rr[0].entries, rr[0].n_entries * sizeof *rr[0].entries) == 0);
        ASSERT(memcmp(sr[k].points, sr[0].points, sr[0].n_points * sizeof *sr[0].points) == 0);
    }
    for (int k = 0; k < 3; ++k) {
        hfx_ranking_result_free(&rr[k]);
        hfx_profile_scan_result_free(&sr[k]);
    }
}

int main(void) {
    hfx_model_t  m = load(HFX_TEST_DATA "/spec-simple.json", false);
    hfx_engine_t e = engine(m, "cpu-ref", 1);
    test_parameters(m);
    test_errors(m, e);
    test_saturated(m, e);
    test_paths_agree(m);
    hfx_engine_free(e);
    hfx_model_free(m);
    printf("test-workflow: ok\n");
    return 0;
}
