/*
 * fuzz-common.h -- shared pieces of the libFuzzer harnesses (tests/fuzz/README.md): the background
 * workspace the patch harnesses patch, and the checks every harness makes of a library answer.
 * A harness never asserts what the answer is, only that it is well formed: a status that is HFX_OK
 * or an error with a one-line message. Crashes, leaks, undefined behaviour and timeouts are what
 * libFuzzer and the sanitizers report.
 */
#ifndef HFX_FUZZ_COMMON_H
#define HFX_FUZZ_COMMON_H

#include "spec/spec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* tests/data/spec-simple.json, compact: every modifier type, two channels. */
static const char FUZZ_BACKGROUND[] =
    "{\"channels\": [{\"name\": \"SR\", \"samples\": [{\"name\": \"signal\", \"data\": [5.0, 10.0], \"modifiers\": "
    "[{\"name\": \"mu\", \"type\": \"normfactor\", \"data\": null}, {\"name\": \"lumi\", \"type\": \"lumi\", \"data\": "
    "null}]}, {\"name\": \"ttbar\", \"data\": [50.0, 60.0], \"modifiers\": [{\"name\": \"jes\", \"type\": \"normsys\", "
    "\"data\": {\"hi\": 1.1, \"lo\": 0.9}}, {\"name\": \"jes\", \"type\": \"histosys\", \"data\": {\"hi_data\": [52.0, "
    "63.0], \"lo_data\": [48.0, 58.0]}}, {\"name\": \"stat_SR\", \"type\": \"staterror\", \"data\": [3.0, 4.0]}, "
    "{\"name\": \"lumi\", \"type\": \"lumi\", \"data\": null}]}]}, {\"name\": \"CR\", \"samples\": [{\"name\": "
    "\"ttbar\", \"data\": [200.0], \"modifiers\": [{\"name\": \"jes\", \"type\": \"normsys\", \"data\": {\"hi\": 1.05, "
    "\"lo\": 0.95}}, {\"name\": \"shape_CR\", \"type\": \"shapesys\", \"data\": [10.0]}, {\"name\": \"sf\", \"type\": "
    "\"shapefactor\", \"data\": null}]}]}], \"observations\": [{\"name\": \"SR\", \"data\": [55.0, 70.0]}, {\"name\": "
    "\"CR\", \"data\": [205]}], \"measurements\": [{\"name\": \"meas\", \"config\": {\"poi\": \"mu\", \"parameters\": "
    "[{\"name\": \"lumi\", \"auxdata\": [1.0], \"sigmas\": [0.02], \"bounds\": [[0.5, 1.5]], \"inits\": [1.0]}, "
    "{\"name\": \"mu\", \"bounds\": [[0, 5]], \"fixed\": false}]}}], \"version\": \"1.0.0\"}";

/* The input as a NUL-terminated string (for the string APIs); NULL if it holds a NUL. */
static inline char * fuzz_string(const uint8_t * data, size_t size) {
    if (memchr(data, '\0', size)) {
        return NULL;
    }
    char * s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* An error report must say something, on one line. */
static inline void fuzz_check_error(enum hfx_status st, const struct hfx_error * e) {
    if (st == HFX_OK) {
        return;
    }
    char line[2048];
    hfx_error_format(e, line, sizeof line);
    if (e->code != st || line[0] == '\0' || strchr(line, '\n') || strchr(e->msg, '\n')) {
        abort();
    }
}

/* Builds a model from ws and evaluates it at its init with the reference backend (no fits: each
 * input must run in milliseconds). */
static inline void fuzz_model(hfx_workspace_t ws) {
    struct hfx_error e  = { 0 };
    hfx_model_t      m  = NULL;
    enum hfx_status  st = hfx_model_create(ws, NULL, &m, &e);
    fuzz_check_error(st, &e);
    if (st != HFX_OK || hfx_model_n_pars(m) > 256 || hfx_model_n_bins(m) > 4096) {
        hfx_model_free(m);
        return;
    }
    struct hfx_engine_options eo  = { .backend = "cpu-ref" };
    hfx_engine_t              eng = NULL;
    st                            = hfx_engine_create(m, &eo, &eng, &e);
    fuzz_check_error(st, &e);
    if (st == HFX_OK) {
        double   nll  = 0;
        double * grad = malloc((hfx_model_n_pars(m) + 1) * sizeof *grad);
        if (grad) {
            fuzz_check_error(hfx_twice_nll(eng, hfx_model_init(m), NULL, &nll, grad, &e), &e);
        }
        free(grad);
    }
    hfx_engine_free(eng);
    hfx_model_free(m);
}

#endif /* HFX_FUZZ_COMMON_H */
