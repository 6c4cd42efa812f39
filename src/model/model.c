/*
 * model.c -- the public model handle: validate the workspace, compile it, answer layout questions.
 */
#include "model/compile.h"
#include "model/model.h"
#include "spec/spec.h"

#include <math.h>
#include <string.h>

enum hfx_status hfx_model_create(hfx_workspace_t ws, const struct hfx_model_options * opts, hfx_model_t * out,
                                 struct hfx_error * err) {
    hfx__error_clear(err); /* a fresh report: the source of an earlier error must not stick */
    if (!ws || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_model_create: NULL argument");
    }
    *out                = NULL;
    struct hfx_model * m = hfx__calloc(1, sizeof *m);
    if (!m) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    struct hfx_spec spec;
    memset(&spec, 0, sizeof spec);
    enum hfx_status st = hfx__spec_build(ws->root, ws->source, &spec, err);
    if (st == HFX_OK) {
        st = hfx__model_compile(&spec, opts, m, err);
    }
    hfx__spec_free(&spec);
    if (st != HFX_OK) {
        hfx__error_source(err, ws->source);
        hfx_model_free(m);
        return st;
    }
    *out = m;
    return HFX_OK;
}

void hfx_model_free(hfx_model_t m) {
    if (m) {
        hfx__arena_free(&m->arena);
        free(m);
    }
}

size_t       hfx_model_n_pars(hfx_model_t m) { return m->n_pars; }
size_t       hfx_model_n_parsets(hfx_model_t m) { return m->n_parsets; }
const char * hfx_model_parset_name(hfx_model_t m, size_t set) { return set < m->n_parsets ? m->parsets[set].name : NULL; }
const char * hfx_model_parset_type(hfx_model_t m, size_t set) {
    return set < m->n_parsets ? hfx__modifier_type_name(m->parsets[set].type) : NULL;
}
size_t hfx_model_parset_offset(hfx_model_t m, size_t set) { return set < m->n_parsets ? m->parsets[set].offset : 0; }
size_t hfx_model_parset_size(hfx_model_t m, size_t set) { return set < m->n_parsets ? m->parsets[set].size : 0; }

enum hfx_status hfx_model_find_parset(hfx_model_t m, const char * name, size_t * set, struct hfx_error * err) {
    if (!m || !name || !set) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_model_find_parset: NULL argument");
    }
    for (size_t i = 0; i < m->n_parsets; ++i) {
        if (strcmp(m->parsets[i].name, name) == 0) {
            *set = i;
            return HFX_OK;
        }
    }
    return hfx__error(err, HFX_ERR_NOT_FOUND, NULL, "no parameter set '%s' in the model", name);
}

long           hfx_model_poi(hfx_model_t m) { return m->poi; }
const double * hfx_model_init(hfx_model_t m) { return m->init; }
const double * hfx_model_lower(hfx_model_t m) { return m->lower; }
const double * hfx_model_upper(hfx_model_t m) { return m->upper; }
const bool *   hfx_model_fixed(hfx_model_t m) { return m->fixed; }
size_t         hfx_model_n_channels(hfx_model_t m) { return m->n_channels; }
const char *   hfx_model_channel_name(hfx_model_t m, size_t c) { return c < m->n_channels ? m->channel_names[c] : NULL; }
size_t         hfx_model_channel_n_bins(hfx_model_t m, size_t c) { return c < m->n_channels ? m->channel_n_bins[c] : 0; }
size_t         hfx_model_n_samples(hfx_model_t m) { return m->n_samples; }
const char *   hfx_model_sample_name(hfx_model_t m, size_t s) { return s < m->n_samples ? m->sample_names[s] : NULL; }
size_t         hfx_model_n_modifiers(hfx_model_t m) { return m->n_modifier_entries; }
size_t         hfx_model_n_bins(hfx_model_t m) { return m->n_bins; }
size_t         hfx_model_n_aux(hfx_model_t m) { return m->n_aux; }
const double * hfx_model_observed(hfx_model_t m) { return m->observed; }

enum hfx_status hfx_model_expected_data(hfx_model_t m, const double * pars, double * out, struct hfx_error * err) {
    if (!m || !pars || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_model_expected_data: NULL argument");
    }
    double * scratch = hfx__malloc(hfx__eval_scratch_size(m) * sizeof *scratch);
    if (!scratch) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    hfx__expected_data(m, pars, out, scratch);
    free(scratch);
    return HFX_OK;
}

//
// Parameters one by one (the analyses' labels and pre-fit widths, src/workflow/)
//

const char * hfx_model_par_name(hfx_model_t m, size_t i) { return m && i < m->n_pars ? m->par_names[i] : NULL; }

/* The constraint of parameter i: its Gaussian sigma (*tau 0) or its Poisson tau (*sigma 0); false if
 * it has none. Linear in the constraints: called once per parameter by the analyses. */
static bool par_constraint(const struct hfx_model * m, size_t i, double * sigma, double * tau) {
    for (size_t k = 0; k < m->n_gauss; ++k) {
        if ((size_t) m->gauss[k].par == i) {
            *sigma = m->gauss[k].sigma;
            *tau   = 0.0;
            return true;
        }
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        if ((size_t) m->pois[k].par == i) {
            *sigma = 0.0;
            *tau   = m->pois[k].tau;
            return true;
        }
    }
    return false;
}

bool hfx_model_par_constrained(hfx_model_t m, size_t i) {
    double sigma, tau;
    return m && i < m->n_pars && par_constraint(m, i, &sigma, &tau);
}

double hfx_model_prefit_width(hfx_model_t m, size_t i) {
    double sigma = 0.0, tau = 0.0;
    if (!m || i >= m->n_pars || m->fixed[i] || !par_constraint(m, i, &sigma, &tau)) {
        return 0.0;
    }
    /* pyhf's constrained_by_poisson width: 1 / sqrt(tau), the relative uncertainty of the shapesys */
    return tau > 0.0 ? 1.0 / sqrt(tau) : sigma;
}

enum hfx_status hfx_model_find_par(hfx_model_t m, const char * name, size_t * index, struct hfx_error * err) {
    if (!m || !name || !index) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_model_find_par: NULL argument");
    }
    for (size_t i = 0; i < m->n_pars; ++i) {
        if (strcmp(m->par_names[i], name) == 0) {
            *index = i;
            return HFX_OK;
        }
    }
    /* a scalar set's one parameter is also "name[0]" */
    size_t n = strlen(name);
    if (n > 3 && strcmp(name + n - 3, "[0]") == 0) {
        for (size_t set = 0; set < m->n_parsets; ++set) {
            const struct hfx_parset * ps = &m->parsets[set];
            if (ps->size == 1 && strlen(ps->name) == n - 3 && strncmp(ps->name, name, n - 3) == 0) {
                *index = ps->offset;
                return HFX_OK;
            }
        }
    }
    return hfx__error(err, HFX_ERR_NOT_FOUND, NULL, "no parameter '%s' in the model (per-bin parameters are named "
                      "as pyhf's par_names, e.g. 'staterror_SR[0]')", name);
}
