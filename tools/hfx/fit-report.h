/*
 * fit-report.h -- what a result's fits say beyond its numbers: how well they converged ("status")
 * and where hfx's search found a lower minimum than the single descent pyhf and ROOT make
 * ("warnings"), in the result's JSON and as one line each on stderr.
 */
#ifndef HFX_FIT_REPORT_H
#define HFX_FIT_REPORT_H

#include "hfx/hfx.h"

#include <jansson.h>

/* Sets j's "status" to the status of the least converged fit the result comes from, and prints a
 * warning on stderr when that is not "converged". what names the fit ("a fit of the hypotest"). */
void report_status(json_t * j, enum hfx_fit_status status, const char * what);

/* For --pyhf-keys, whose output has pyhf's keys only and so no "status": a fit that stopped at the
 * iteration limit is an error there, as pyhf's FailedMinimization is (one line on stderr, CLI_FAIL),
 * rather than numbers that look converged. CLI_OK otherwise; a stalled fit (no further decrease
 * found, most often at the minimum to rounding) stays report_status's warning. */
int pyhf_keys_check_status(enum hfx_fit_status status, const char * what);

/* Adds "warnings": [...] to j where the engine's last call recorded any (hfx_engine_warning), and
 * prints each on stderr, after "context: " where context is not NULL (a scan's patch name). Nothing
 * is added where every fit agrees with its single descent. */
void report_warnings(json_t * j, hfx_engine_t e, hfx_model_t m, const char * context);
/* The same for a list of warnings gathered elsewhere (over MPI ranks), in their order. */
void report_warning_list(json_t * j, hfx_model_t m, const struct hfx_fit_warning * ws, size_t n,
                         const char * context);

/* What hfx cls prints for a hypotest result, "warnings" aside: CLs_obs, CLs_exp, "toys_failed"
 * when n_toys > 0 (toys per ensemble; a warning on stderr where some failed) and "status"
 * (hfx cls and hfx toys merge: here, so that neither command includes the other). */
json_t * cls_result_json(const struct hfx_hypotest_result * r, size_t n_toys);

#endif /* HFX_FIT_REPORT_H */
