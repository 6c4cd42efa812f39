/*
 * hfx-test-ref.h -- reading the pyhf reference files (JSON lines written by Python) in the C tests.
 */
#ifndef HFX_TEST_REF_H
#define HFX_TEST_REF_H

#include "hfx-test.h"
#include "hfx/hfx.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Python's json writes NaN, which JSON (and jansson) lacks: NaN becomes an empty array, which has the
 * same length, so a getline buffer needs no growing. Tests treat an array where a number was
 * expected as pyhf's NaN. */
static inline json_t * hfx_test_parse_line(char * line) {
    for (char * q = strstr(line, "NaN"); q; q = strstr(q, "NaN")) {
        memcpy(q, "[] ", 3);
    }
    json_error_t err;
    return json_loads(line, 0, &err);
}

/* pyhf's modifier_settings {"normsys": {"interpcode": "code1"}, ...} as model options. */
static inline enum hfx_interp_code hfx_test_interp_code(json_t * settings, const char * type) {
    const char * s = json_string_value(json_object_get(json_object_get(settings, type), "interpcode"));
    static const struct { const char * name; enum hfx_interp_code code; } codes[] = {
        {"code0", HFX_INTERP_CODE0}, {"code1", HFX_INTERP_CODE1}, {"code2", HFX_INTERP_CODE2},
        {"code4", HFX_INTERP_CODE4}, {"code4p", HFX_INTERP_CODE4P},
    };
    for (size_t i = 0; s && i < sizeof codes / sizeof codes[0]; ++i) {
        if (strcmp(s, codes[i].name) == 0) {
            return codes[i].code;
        }
    }
    return HFX_INTERP_DEFAULT;
}

/* A workspace of ../shared/reference/random_public.jsonl with the model built from its
 * modifier_settings (pyhf's interpolation codes); both handles freed by the caller. */
static inline void hfx_test_random_model(json_t * line, hfx_workspace_t * ws, hfx_model_t * m) {
    json_t *                 settings = json_object_get(line, "modifier_settings");
    char *                   text     = json_dumps(json_object_get(line, "workspace"), 0);
    struct hfx_error         err;
    struct hfx_model_options opts = {0};
    ASSERT_EQ(hfx_workspace_load_string(text, "random", ws, &err), HFX_OK);
    free(text);
    opts.normsys_interp  = hfx_test_interp_code(settings, "normsys");
    opts.histosys_interp = hfx_test_interp_code(settings, "histosys");
    if (hfx_model_create(*ws, &opts, m, &err) != HFX_OK) {
        char buf[2048];
        fprintf(stderr, "seed %lld: %s\n", (long long) json_integer_value(json_object_get(line, "seed")),
                hfx_error_format(&err, buf, sizeof buf));
        abort();
    }
}

/* The five fits behind a q~ hypotest at mu = 1, in the order of the converged-pyhf references'
 * "hypotest_fits": free and mu = 1 on the data, mu = 0 on the data (which makes the Asimov data), free
 * and mu = 1 on the Asimov data. */
static const char * const hfx_test_fit_keys[5] = {"free_data", "mu1_data", "mu0_data", "free_asimov", "mu1_asimov"};

/* The free fit and the fit at mu = 1 on data (NULL: observed): t[0], t[1]. */
static inline void hfx_test_free_and_mu1_fits(hfx_engine_t e, const double * data, double t[2]) {
    struct hfx_error       err;
    struct hfx_fit_result  r;
    struct hfx_fit_options o = {.data = data};
    ASSERT_EQ(hfx_fit(e, &o, &r, &err), HFX_OK);
    t[0]        = r.twice_nll;
    o.fix_poi   = true;
    o.poi_value = 1.0;
    ASSERT_EQ(hfx_fit(e, &o, &r, &err), HFX_OK);
    t[1] = r.twice_nll;
}

static inline void hfx_test_hypotest_fits(hfx_engine_t e, double t[5]) {
    hfx_model_t            m      = hfx_engine_model(e);
    double *               asimov = calloc(hfx_model_n_bins(m) + hfx_model_n_aux(m), sizeof *asimov);
    struct hfx_error       err;
    struct hfx_fit_result  r;
    struct hfx_fit_options o = {.fix_poi = true, .poi_value = 0.0};
    hfx_test_free_and_mu1_fits(e, NULL, t);
    ASSERT_EQ(hfx_fit(e, &o, &r, &err), HFX_OK);
    t[2] = r.twice_nll;
    ASSERT_EQ(hfx_model_expected_data(m, r.pars, asimov, &err), HFX_OK);
    hfx_test_free_and_mu1_fits(e, asimov, t + 3);
    free(asimov);
}

#endif /* HFX_TEST_REF_H */
