/*
 * backend-case-groups.h -- the conformance case "groups" (model groups, docs/batching.md), written
 * as one self-contained function: the case "groups" of the table of tests/c/test-backends.c runs it
 * on every backend, and tests/c/test-groups.c on mixed shapes and sbottom patches.
 *
 * The case: the asymptotic q~ hypotest at mu = 1 of n models at once (hfx__hypotest_group on the
 * backend under test), each model compared with
 *  - hfx_hypotest on an engine of its own on the same backend: CLs_obs, the five CLs_exp, the fit
 *    status, the error message of a model that fails, and the warnings (count, each fit's role and
 *    both minima) must be equal to the bit. Tolerance 0, because a group runs each model's jobs
 *    with the same slot code and kernel as the engine's fits, whose order does not matter (each fit
 *    is independent);
 *  - hfx_hypotest on cpu-ref: CLs within 1e-9 relative (absolute near 0), test-backends' tolerance
 *    for CLs across backends.
 * Returns 1 (pass), 0 (fail, why in detail) or -1 (unsupported: the backend has no model groups,
 * or is not available here; why in detail).
 */
#ifndef HFX_BACKEND_CASE_GROUPS_H
#define HFX_BACKEND_CASE_GROUPS_H

#include "hfx-test.h"
#include "fit/engine.h" /* white-box: the backend table and the model's tables */
#include "infer/group.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hypotest of m on an engine of backend's own (n_threads threads), its warnings copied into
 * *ws (malloc'd, *n_ws of them); the status, with the error formatted into why. */
static enum hfx_status case_groups_one(hfx_model_t m, const char * backend, int n_threads,
                                       const struct hfx_hypotest_options * ho, struct hfx_hypotest_result * r,
                                       struct hfx_fit_warning ** ws, size_t * n_ws, char * why, size_t why_size) {
    struct hfx_engine_options eo  = {.backend = backend, .n_threads = n_threads};
    struct hfx_error          err = {0};
    hfx_engine_t              e   = NULL;
    enum hfx_status           st  = hfx_engine_create(m, &eo, &e, &err);
    if (st == HFX_OK) {
        st = hfx_hypotest(e, ho, r, &err);
    }
    *n_ws = st == HFX_OK ? hfx_engine_n_warnings(e) : 0;
    *ws   = *n_ws ? malloc(*n_ws * sizeof **ws) : NULL;
    ASSERT(*n_ws == 0 || *ws != NULL);
    for (size_t i = 0; i < *n_ws; ++i) {
        (*ws)[i] = *hfx_engine_warning(e, i);
    }
    why[0] = '\0';
    if (st != HFX_OK) {
        hfx_error_format(&err, why, why_size);
    }
    hfx_engine_free(e);
    return st;
}

static bool case_groups_near(double a, double b, double rtol) {
    return a == b || fabs(a - b) <= rtol * fmax(1e-300, fmax(fabs(a), fabs(b))) || fabs(a - b) <= 1e-15;
}

/* The case on backend for models[0..n) (borrowed); see the file comment. stats, if not NULL, gets
 * the group call's (groups, backend calls, fits). */
static int hfx_case_groups(const char * backend, hfx_model_t * models, size_t n, struct hfx__group_stats * stats,
                           char * detail, size_t detail_size) {
    struct hfx_engine_options   eo = {.backend = backend, .n_threads = 2};
    struct hfx_hypotest_options ho = {.poi_test = 1.0, .teststat = HFX_TESTSTAT_QTILDE, .calctype = HFX_CALC_ASYMPTOTICS};
    detail[0]                      = '\0';
    if (!hfx__group_supported(&eo, &ho)) {
        snprintf(detail, detail_size, "no model groups on this backend (or not available here)");
        return -1;
    }
    struct hfx__group_item * items = calloc(n ? n : 1, sizeof *items);
    ASSERT(items != NULL);
    for (size_t k = 0; k < n; ++k) {
        items[k].m = models[k];
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx__hypotest_group(items, n, &eo, &ho, stats, &err);
    if (st != HFX_OK) {
        char why[2048];
        hfx_error_format(&err, why, sizeof why);
        snprintf(detail, detail_size, "hfx__hypotest_group: %s", why);
        free(items);
        return 0;
    }
    int ok = 1;
    for (size_t k = 0; k < n && ok; ++k) {
        struct hfx__group_item *   it = &items[k];
        struct hfx_hypotest_result r, ref;
        struct hfx_fit_warning *   ws = NULL, * ws_ref = NULL;
        size_t                     n_ws = 0, n_ws_ref = 0;
        char                       why[2048], why_ref[2048], got[2048] = "";
        enum hfx_status            st1  = case_groups_one(models[k], backend, 2, &ho, &r, &ws, &n_ws, why, sizeof why);
        enum hfx_status            st2  = case_groups_one(models[k], "cpu-ref", 1, &ho, &ref, &ws_ref, &n_ws_ref, why_ref,
                                                          sizeof why_ref);
        if (it->status != HFX_OK) {
            hfx_error_format(&it->error, got, sizeof got);
        }
        if (it->status != st1 || strcmp(got, why) != 0) {
            snprintf(detail, detail_size, "model %zu: group status %d '%.300s', engine %d '%.300s'", k, (int) it->status,
                     got, (int) st1, why);
            ok = 0;
        } else if (st1 == HFX_OK) {
            bool same = r.cls_obs == it->result.cls_obs && r.status == it->result.status && n_ws == it->n_warnings;
            bool near = case_groups_near(ref.cls_obs, it->result.cls_obs, 1e-9) && st2 == HFX_OK;
            for (int i = 0; i < 5; ++i) {
                same = same && r.cls_exp[i] == it->result.cls_exp[i];
                near = near && case_groups_near(ref.cls_exp[i], it->result.cls_exp[i], 1e-9);
            }
            for (size_t i = 0; same && i < n_ws; ++i) {
                same = ws[i].role == it->warnings[i].role && ws[i].asimov == it->warnings[i].asimov &&
                       ws[i].twice_nll == it->warnings[i].twice_nll &&
                       ws[i].twice_nll_descent == it->warnings[i].twice_nll_descent;
            }
            if (!same) {
                snprintf(detail, detail_size,
                         "model %zu: group vs engine on %s: CLs_obs %.17g vs %.17g, status %d vs %d, %zu vs %zu warnings",
                         k, backend, it->result.cls_obs, r.cls_obs, (int) it->result.status, (int) r.status,
                         it->n_warnings, n_ws);
                ok = 0;
            } else if (!near) {
                snprintf(detail, detail_size, "model %zu: group on %s vs cpu-ref: CLs_obs %.17g vs %.17g", k, backend,
                         it->result.cls_obs, ref.cls_obs);
                ok = 0;
            }
        }
        free(ws);
        free(ws_ref);
    }
    for (size_t k = 0; k < n; ++k) {
        hfx__group_item_clear(&items[k]);
    }
    free(items);
    return ok;
}

#endif /* HFX_BACKEND_CASE_GROUPS_H */
