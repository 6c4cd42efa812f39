/*
 * fit-report.c -- fit status and multimodal-fit warnings of a result (fit-report.h).
 */
#include "fit-report.h"

#include "json-out.h"
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_status(json_t * j, enum hfx_fit_status status, const char * what) {
    json_object_set_new(j, "status", json_string(hfx_fit_status_str(status)));
    if (status == HFX_FIT_MAX_ITER) {
        fprintf(stderr, "hfx: warning: %s reached the iteration limit (--max-iter): the numbers come from the best "
                        "point seen, not a converged minimum (\"status\": \"max-iterations\")\n", what);
    } else if (status == HFX_FIT_STALLED) {
        fprintf(stderr, "hfx: warning: %s stalled short of the convergence test (no further decrease found; "
                        "\"status\": \"stalled\")\n", what);
    }
}

int pyhf_keys_check_status(enum hfx_fit_status status, const char * what) {
    if (status != HFX_FIT_MAX_ITER) {
        return CLI_OK;
    }
    cli_error("%s reached the iteration limit (--max-iter, --optconf maxiter) without converging; pyhf's keys "
              "(--pyhf-keys) have no \"status\" to say so (without --pyhf-keys hfx prints the best point seen "
              "with \"status\": \"max-iterations\")", what);
    return CLI_FAIL;
}

/* The name of parameter i: its set's, with [k] for a per-bin set. */
static void par_name(hfx_model_t m, size_t i, char * buf, size_t size) {
    size_t set, k;
    if (!cli_par_locate(m, i, &set, &k)) {
        snprintf(buf, size, "parameter %zu", i);
    } else if (hfx_model_parset_size(m, set) == 1) {
        snprintf(buf, size, "%s", hfx_model_parset_name(m, set));
    } else {
        snprintf(buf, size, "%s[%zu]", hfx_model_parset_name(m, set), k);
    }
}

/* "the fit with mu held at 1 to the observed data" and the like. */
static void fit_description(hfx_model_t m, const struct hfx_fit_warning * w, char * buf, size_t size) {
    const char * data = w->asimov ? "the Asimov data" : "the observed data";
    char         poi[160] = "the POI";
    if (hfx_model_poi(m) >= 0) {
        par_name(m, (size_t) hfx_model_poi(m), poi, sizeof poi);
    }
    switch (w->role) {
    case HFX_FIT_ROLE_FIXED_POI:
        snprintf(buf, size, "the fit with %s held at %g to %s", poi, w->poi_value, data);
        return;
    case HFX_FIT_ROLE_FREE:
        snprintf(buf, size, "the free fit to %s", data);
        return;
    case HFX_FIT_ROLE_TOYS:
        snprintf(buf, size, "toy fits (%zu of them)", w->n_fits);
        return;
    case HFX_FIT_ROLE_HELD: {
        char a[160] = "", b[160] = "";
        if (w->n_held > 0) {
            par_name(m, w->held[0], a, sizeof a);
        }
        if (w->n_held > 1) {
            par_name(m, w->held[1], b, sizeof b);
            snprintf(buf, size, "the fit with %s held at %g and %s at %g to %s", a, w->held_value[0], b,
                     w->held_value[1], data);
        } else {
            snprintf(buf, size, "the fit with %s held at %g to %s", a, w->held_value[0], data);
        }
        return;
    }
    default:
        if (isfinite(w->poi_value)) {
            snprintf(buf, size, "the fit with %s held at %g", poi, w->poi_value);
        } else {
            snprintf(buf, size, "the fit");
        }
        return;
    }
}

void report_warnings(json_t * j, hfx_engine_t e, hfx_model_t m, const char * context) {
    size_t                   n    = hfx_engine_n_warnings(e);
    struct hfx_fit_warning * copy = n ? malloc(n * sizeof *copy) : NULL;
    for (size_t i = 0; copy && i < n; ++i) {
        copy[i] = *hfx_engine_warning(e, i);
    }
    if (n && !copy) {
        cli_error("out of memory for %zu fit warnings", n);
        return;
    }
    report_warning_list(j, m, copy, n, context);
    free(copy);
}

void report_warning_list(json_t * j, hfx_model_t m, const struct hfx_fit_warning * ws, size_t n,
                         const char * context) {
    if (n == 0) {
        return;
    }
    json_t * list = json_array();
    for (size_t i = 0; i < n; ++i) {
        const struct hfx_fit_warning * w = &ws[i];
        char                           fit[400], moved[600] = "", name[160];
        fit_description(m, w, fit, sizeof fit);
        json_t * jm  = json_object();
        size_t   len = 0;
        for (size_t k = 0; k < w->n_moved; ++k) {
            par_name(m, w->moved[k], name, sizeof name);
            json_t * pair = json_object();
            json_object_set_new(pair, "descent", jout_num(w->at_descent[k]));
            json_object_set_new(pair, "best", jout_num(w->at_best[k]));
            json_object_set_new(jm, name, pair);
            int wrote = snprintf(moved + len, sizeof moved - len, "%s%s %.6g -> %.6g", k ? ", " : "", name,
                                 w->at_descent[k], w->at_best[k]);
            len += wrote > 0 && (size_t) wrote < sizeof moved - len ? (size_t) wrote : 0;
        }
        char msg[1400];
        if (w->role == HFX_FIT_ROLE_TOYS) {
            snprintf(msg, sizeof msg,
                     "%s: minima below their single descent from the init, the fit pyhf makes (largest difference: "
                     "twice_nll %.6g vs %.6g), so these toys' test statistics can differ from pyhf's; --explore none "
                     "reproduces pyhf's",
                     fit, w->twice_nll, w->twice_nll_descent);
        } else {
            snprintf(msg, sizeof msg,
                     "%s: minimum twice_nll %.6g, below its single descent from the init (%.6g), the fit pyhf and "
                     "ROOT make%s%s; --explore none reproduces theirs",
                     fit, w->twice_nll, w->twice_nll_descent, len ? "; moved most: " : "", moved);
        }
        fprintf(stderr, "hfx: warning: %s%s%s\n", context ? context : "", context ? ": " : "", msg);
        json_t * jw = json_object();
        json_object_set_new(jw, "fit", json_string(fit));
        json_object_set_new(jw, "twice_nll", jout_num(w->twice_nll));
        json_object_set_new(jw, "twice_nll_descent", jout_num(w->twice_nll_descent));
        if (w->role == HFX_FIT_ROLE_TOYS) {
            json_object_set_new(jw, "n_fits", json_integer((json_int_t) w->n_fits));
        }
        json_object_set_new(jw, "moved", jm);
        json_object_set_new(jw, "message", json_string(msg));
        json_array_append_new(list, jw);
    }
    json_object_set_new(j, "warnings", list);
}

json_t * cls_result_json(const struct hfx_hypotest_result * r, size_t n_toys) {
    json_t * j = json_object();
    json_object_set_new(j, "CLs_obs", jout_num(r->cls_obs));
    json_object_set_new(j, "CLs_exp", jout_array(r->cls_exp, 5));
    if (n_toys > 0) {
        size_t failed = r->toys_failed_sb + r->toys_failed_b;
        json_object_set_new(j, "toys_failed", json_integer((json_int_t) failed));
        if (failed > 0) {
            fprintf(stderr,
                    "hfx: warning: %zu of %zu toys failed to fit (%zu signal+background, %zu background-only) "
                    "and were left out: each p-value is the fraction among its ensemble's remaining toys\n",
                    failed, 2 * n_toys, r->toys_failed_sb, r->toys_failed_b);
        }
    }
    report_status(j, r->status, "a fit of the hypotest");
    return j;
}
