/*
 * hypotest.c -- the C API in one page: load a workspace, apply a patch, build the model, run a fit
 * and a q~ hypotest, report errors. Built and run by ctest (tests/CMakeLists.txt) on a bundled model.
 *
 *   hypotest WORKSPACE.json [PATCH.json]
 */
#include <hfx/hfx.h>

#include <stdio.h>

static int fail(const char * what, const struct hfx_error * err) {
    char line[2048];
    fprintf(stderr, "%s: %s\n", what, hfx_error_format(err, line, sizeof line));
    return 1;
}

int main(int argc, char ** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s WORKSPACE.json [PATCH.json]\n", argv[0]);
        return 2;
    }
    struct hfx_error err;
    hfx_workspace_t  ws = NULL;
    hfx_model_t      model = NULL;
    hfx_engine_t     engine = NULL;
    int              rc = 1;

    if (hfx_workspace_load(argv[1], &ws, &err) != HFX_OK) {
        return fail("load", &err);
    }
    if (argc > 2 && hfx_workspace_apply_patch_file(ws, argv[2], &err) != HFX_OK) {
        rc = fail("patch", &err);
        goto done;
    }
    /* NULL options: the first measurement, pyhf's default interpolation codes */
    if (hfx_model_create(ws, NULL, &model, &err) != HFX_OK) {
        rc = fail("model", &err);
        goto done;
    }
    struct hfx_engine_options eo = {.backend = "cpu"};
    if (hfx_engine_create(model, &eo, &engine, &err) != HFX_OK) {
        rc = fail("engine", &err);
        goto done;
    }

    struct hfx_fit_options fo = {.uncertainties = true};
    struct hfx_fit_result  fit;
    if (hfx_fit(engine, &fo, &fit, &err) != HFX_OK) {
        rc = fail("fit", &err);
        goto done;
    }
    long poi = hfx_model_poi(model);
    printf("best fit: twice_nll = %.6f, POI = %.4f +- %.4f (%s)\n", fit.twice_nll, fit.pars[poi],
           fit.uncertainties[poi], hfx_fit_status_str(fit.status));

    struct hfx_hypotest_options ho = {.poi_test = 1.0, .teststat = HFX_TESTSTAT_QTILDE};
    struct hfx_hypotest_result  h;
    if (hfx_hypotest(engine, &ho, &h, &err) != HFX_OK) {
        rc = fail("hypotest", &err);
        goto done;
    }
    printf("CLs_obs = %.6f, CLs_exp = [%.4f %.4f %.4f %.4f %.4f]\n", h.cls_obs, h.cls_exp[0], h.cls_exp[1],
           h.cls_exp[2], h.cls_exp[3], h.cls_exp[4]);
    rc = 0;
done:
    hfx_engine_free(engine); /* every *_free accepts NULL */
    hfx_model_free(model);
    hfx_workspace_free(ws);
    return rc;
}
