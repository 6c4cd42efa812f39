/*
 * test-model.c -- the compiled model against pyhf 0.7.6 on the 60 random workspaces of
 * ../shared/reference/random_public.jsonl (every modifier type, shared names, measurement
 * overrides, non-integer data), and the analytic gradient against finite differences.
 *
 * Checked per workspace: parameter order and slices, suggested init / bounds / fixed, the data
 * vector (observations + auxdata), expected data at init, twice_nll at every reference point
 * (relative 1e-9: pyhf and hfx sum the same terms in a different order, so agreement is at the level
 * of double rounding over a few hundred terms, far below 1e-9), and the gradient at each point
 * against central differences (relative 1e-6 of the gradient scale: the truncation error of a
 * central difference with step 1e-6 is ~1e-12 times the third derivative, the rounding error
 * ~1e-16 * |f| / 1e-6 ~ 1e-8 for |f| ~ 100).
 */
#include "hfx-test.h"

#include "hfx/hfx.h"

#include "hfx-test-ref.h"

#include <jansson.h>

/* All reference points as one batch, through the reference and the threaded backend (3 threads, so
 * that the split is uneven): each value and gradient identical to the single-point call, and the
 * work counters count one call of n points; the same with a data row per point (hfx_twice_nll_batch_data). */
static void check_batch(hfx_engine_t single, hfx_model_t m, json_t * points) {
    size_t           np = hfx_model_n_pars(m), n = json_array_size(points);
    double *         x  = calloc(n * np, sizeof *x);
    double *         g  = calloc(n * np, sizeof *g);
    double *         f  = calloc(n, sizeof *f);
    double *         g1 = calloc(np, sizeof *g1);
    size_t           nd = hfx_model_n_bins(m) + hfx_model_n_aux(m);
    double *         d  = calloc(n * nd, sizeof *d);
    struct hfx_error err;
    for (size_t k = 0; k < n; ++k) {
        for (size_t i = 0; i < np; ++i) {
            x[k * np + i] = json_number_value(json_array_get(json_array_get(points, k), i));
        }
    }
    static const char * backends[] = {"cpu-ref", "cpu"};
    for (int b = 0; b < 2; ++b) {
        hfx_engine_t              e;
        struct hfx_engine_options eo = {.backend = backends[b], .n_threads = 3};
        ASSERT_EQ(hfx_engine_create(m, &eo, &e, &err), HFX_OK);
        ASSERT_EQ(hfx_twice_nll_batch(e, n, x, NULL, f, g, &err), HFX_OK);
        struct hfx_engine_stats st;
        hfx_engine_stats(e, &st);
        ASSERT(st.n_eval_calls == 1 && st.n_points == n && st.n_fits == 0);
        for (size_t k = 0; k < n; ++k) {
            double f1;
            ASSERT_EQ(hfx_twice_nll(single, x + k * np, NULL, &f1, g1, &err), HFX_OK);
            ASSERT(f[k] == f1 || (isinf(f[k]) && isinf(f1)));
            for (size_t i = 0; i < np && isfinite(f1); ++i) {
                ASSERT(g[k * np + i] == g1[i]);
            }
        }
        /* a data row per point (the main bins shifted by k % 4): each value and gradient that of the
         * single-point call with its row */
        for (size_t k = 0; k < n; ++k) {
            for (size_t i = 0; i < nd; ++i) {
                d[k * nd + i] = hfx_model_observed(m)[i] + (i < hfx_model_n_bins(m) ? (double) (k % 4) : 0.0);
            }
        }
        ASSERT_EQ(hfx_twice_nll_batch_data(e, n, x, d, f, g, &err), HFX_OK);
        for (size_t k = 0; k < n; ++k) {
            double f1;
            ASSERT_EQ(hfx_twice_nll(single, x + k * np, d + k * nd, &f1, g1, &err), HFX_OK);
            ASSERT(f[k] == f1 || (isinf(f[k]) && isinf(f1)));
            for (size_t i = 0; i < np && isfinite(f1); ++i) {
                ASSERT(g[k * np + i] == g1[i]);
            }
        }
        ASSERT_EQ(hfx_twice_nll_batch_data(e, 1, x, NULL, f, NULL, &err), HFX_ERR_ARG);
        hfx_engine_free(e);
    }
    free(x);
    free(g);
    free(f);
    free(g1);
    free(d);
}

static void check_case(json_t * line, int * n_points) {
    json_t *         ref = json_object_get(line, "reference");
    struct hfx_error err;
    hfx_workspace_t  ws;
    hfx_model_t      m;
    hfx_test_random_model(line, &ws, &m);
    size_t np = hfx_model_n_pars(m);
    ASSERT_EQ(np, json_integer_value(json_object_get(ref, "npars")));

    /* parameter order and slices */
    json_t * order  = json_object_get(ref, "par_order");
    json_t * slices = json_object_get(ref, "par_slices");
    ASSERT_EQ(hfx_model_n_parsets(m), json_array_size(order));
    for (size_t i = 0; i < json_array_size(order); ++i) {
        const char * name = json_string_value(json_array_get(order, i));
        ASSERT_STREQ(hfx_model_parset_name(m, i), name);
        json_t * sl = json_object_get(slices, name);
        ASSERT_EQ(hfx_model_parset_offset(m, i), json_integer_value(json_array_get(sl, 0)));
        ASSERT_EQ(hfx_model_parset_offset(m, i) + hfx_model_parset_size(m, i), json_integer_value(json_array_get(sl, 1)));
    }
    /* suggested init, bounds, fixed */
    json_t * init   = json_object_get(ref, "suggested_init");
    json_t * bounds = json_object_get(ref, "suggested_bounds");
    json_t * fixed  = json_object_get(ref, "suggested_fixed");
    for (size_t i = 0; i < np; ++i) {
        ASSERT_NEAR_REL(hfx_model_init(m)[i], json_number_value(json_array_get(init, i)), 1e-15);
        ASSERT_NEAR_REL(hfx_model_lower(m)[i], json_number_value(json_array_get(json_array_get(bounds, i), 0)), 1e-15);
        ASSERT_NEAR_REL(hfx_model_upper(m)[i], json_number_value(json_array_get(json_array_get(bounds, i), 1)), 1e-15);
        ASSERT_EQ(hfx_model_fixed(m)[i], json_is_true(json_array_get(fixed, i)));
    }
    /* data = observations + auxdata */
    json_t * data = json_object_get(ref, "data");
    size_t   nd   = hfx_model_n_bins(m) + hfx_model_n_aux(m);
    ASSERT_EQ(nd, json_array_size(data));
    for (size_t i = 0; i < nd; ++i) {
        ASSERT_NEAR_REL(hfx_model_observed(m)[i], json_number_value(json_array_get(data, i)), 1e-12);
    }
    /* expected data at init */
    double * exp = calloc(nd, sizeof *exp);
    ASSERT_EQ(hfx_model_expected_data(m, hfx_model_init(m), exp, &err), HFX_OK);
    json_t * exp_ref = json_object_get(ref, "expected_data_at_init");
    for (size_t i = 0; i < nd; ++i) {
        ASSERT_NEAR_REL(exp[i], json_number_value(json_array_get(exp_ref, i)), 1e-12);
    }
    free(exp);

    /* twice_nll and gradient at the reference points */
    hfx_engine_t e;
    ASSERT_EQ(hfx_engine_create(m, NULL, &e, &err), HFX_OK);
    json_t * points = json_object_get(ref, "points");
    json_t * values = json_object_get(ref, "twice_nll_at_points");
    double * x      = calloc(np, sizeof *x);
    double * g      = calloc(np, sizeof *g);
    double * gtmp   = calloc(np, sizeof *gtmp);
    for (size_t k = 0; k < json_array_size(points); ++k) {
        json_t * p = json_array_get(points, k);
        for (size_t i = 0; i < np; ++i) {
            x[i] = json_number_value(json_array_get(p, i));
        }
        double f;
        ASSERT_EQ(hfx_twice_nll(e, x, NULL, &f, g, &err), HFX_OK);
        if (json_is_array(json_array_get(values, k))) {
            /* pyhf: NaN from log of a negative rate; hfx reports +inf, "no likelihood here" */
            ASSERT(isinf(f) && f > 0);
            continue;
        }
        ASSERT_NEAR_REL(f, json_number_value(json_array_get(values, k)), 1e-9);
        double gscale = 0;
        for (size_t i = 0; i < np; ++i) {
            gscale = fmax(gscale, fabs(g[i]));
        }
        for (size_t i = 0; i < np; ++i) {
            double h = 1e-6 * fmax(1.0, fabs(x[i])), xi = x[i], fp, fm;
            x[i] = xi + h;
            ASSERT_EQ(hfx_twice_nll(e, x, NULL, &fp, gtmp, &err), HFX_OK);
            x[i] = xi - h;
            ASSERT_EQ(hfx_twice_nll(e, x, NULL, &fm, gtmp, &err), HFX_OK);
            x[i]      = xi;
            double fd = (fp - fm) / (2 * h);
            double tol = 1e-6 * fmax(1.0, gscale);
            if (xi == 0.0) {
                /* normsys code1 and histosys code0 have a kink at alpha = 0, where hfx gives the
                 * alpha > 0 side's slope (as pyhf's forward differences see it; interp.h): compare
                 * with the forward difference, whose truncation error is O(h), hence the looser
                 * tolerance */
                double f0;
                ASSERT_EQ(hfx_twice_nll(e, x, NULL, &f0, gtmp, &err), HFX_OK);
                fd  = (fp - f0) / h;
                tol = 1e-4 * fmax(1.0, gscale);
            }
            if (!(fabs(fd - g[i]) <= tol)) {
                fprintf(stderr, "gradient of parameter %zu: analytic %.12g, finite difference %.12g\n", i, g[i], fd);
                abort();
            }
        }
        ++*n_points;
    }
    check_batch(e, m, points);
    free(x);
    free(g);
    free(gtmp);
    hfx_engine_free(e);
    hfx_model_free(m);
    hfx_workspace_free(ws);
}

int main(void) {
    FILE * f = fopen(HFX_SHARED_DIR "/reference/random_public.jsonl", "r");
    if (!f) {
        SKIP("../shared/reference/random_public.jsonl not found");
    }
    char *  line = NULL;
    size_t  cap  = 0;
    int     n_cases = 0, n_points = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t * j = hfx_test_parse_line(line); /* NaN where pyhf's twice_nll was NaN */
        ASSERT(j != NULL);
        check_case(j, &n_points);
        json_decref(j);
        ++n_cases;
    }
    free(line);
    fclose(f);
    ASSERT(n_cases == 60);
    printf("%d workspaces, %d points: layout, data, twice_nll and gradient match\n", n_cases, n_points);
    return 0;
}
