/*
 * spec-info.c -- the public hfx_spec_* calls: a workspace's channels, samples, modifiers and
 * measurements as the validated spec holds them (spec/spec.h), for the CLI's `hfx inspect` and the
 * Python module, which would otherwise read the workspace's JSON a second time.
 *
 * The handle is the internal struct hfx_spec itself, built by hfx__spec_build (the validation every
 * model goes through): it copies what it keeps into its arena, so the snapshot does not depend on
 * the workspace's tree. These calls only read it; they add no rule of their own.
 */
#include "spec/spec.h"

#include <string.h>

enum hfx_status hfx_workspace_spec(hfx_workspace_t ws, hfx_spec_t * out, struct hfx_error * err) {
    if (!ws || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_workspace_spec: NULL argument");
    }
    *out              = NULL;
    struct hfx_spec * s = hfx__calloc(1, sizeof *s);
    if (!s) {
        return hfx__error_oom(err, "a workspace spec", sizeof *s);
    }
    struct hfx_error tmp = {0}; /* a fresh report: err is left untouched on success */
    enum hfx_status  st  = hfx__spec_build(ws->root, ws->source, s, &tmp);
    if (st != HFX_OK) {
        hfx_spec_free(s);
        if (err) {
            *err = tmp;
        }
        return st;
    }
    *out = s;
    return HFX_OK;
}

void hfx_spec_free(hfx_spec_t s) {
    if (s) {
        hfx__spec_free(s);
        free(s);
    }
}

//
// Channels, samples, modifiers
//

static const struct hfx_spec_channel * channel(hfx_spec_t s, size_t c) {
    return s && c < s->n_channels ? &s->channels[c] : NULL;
}

static const struct hfx_spec_sample * sample(hfx_spec_t s, size_t c, size_t k) {
    const struct hfx_spec_channel * ch = channel(s, c);
    return ch && k < ch->n_samples ? &ch->samples[k] : NULL;
}

size_t hfx_spec_n_channels(hfx_spec_t s) {
    return s ? s->n_channels : 0;
}

const char * hfx_spec_channel_name(hfx_spec_t s, size_t c) {
    return channel(s, c) ? channel(s, c)->name : NULL;
}

size_t hfx_spec_channel_n_bins(hfx_spec_t s, size_t c) {
    return channel(s, c) ? channel(s, c)->n_bins : 0;
}

const double * hfx_spec_channel_observed(hfx_spec_t s, size_t c) {
    return channel(s, c) ? channel(s, c)->observed : NULL;
}

size_t hfx_spec_channel_n_samples(hfx_spec_t s, size_t c) {
    return channel(s, c) ? channel(s, c)->n_samples : 0;
}

const char * hfx_spec_sample_name(hfx_spec_t s, size_t c, size_t k) {
    return sample(s, c, k) ? sample(s, c, k)->name : NULL;
}

const double * hfx_spec_sample_data(hfx_spec_t s, size_t c, size_t k) {
    return sample(s, c, k) ? sample(s, c, k)->data : NULL;
}

size_t hfx_spec_sample_n_modifiers(hfx_spec_t s, size_t c, size_t k) {
    return sample(s, c, k) ? sample(s, c, k)->n_mods : 0;
}

bool hfx_spec_modifier(hfx_spec_t s, size_t c, size_t k, size_t i, struct hfx_modifier_info * out) {
    const struct hfx_spec_sample * sa = sample(s, c, k);
    if (!sa || i >= sa->n_mods || !out) {
        return false;
    }
    const struct hfx_spec_modifier * m = &sa->mods[i];
    /* the spec leaves the fields of other types as the builder zeroed them */
    *out = (struct hfx_modifier_info){
        .name    = m->name,
        .type    = hfx__modifier_type_name(m->type),
        .hi      = m->type == HFX_MOD_NORMSYS ? m->hi : 0,
        .lo      = m->type == HFX_MOD_NORMSYS ? m->lo : 0,
        .hi_data = m->type == HFX_MOD_HISTOSYS ? m->hi_data : NULL,
        .lo_data = m->type == HFX_MOD_HISTOSYS ? m->lo_data : NULL,
        .data    = m->type == HFX_MOD_SHAPESYS || m->type == HFX_MOD_STATERROR ? m->data : NULL,
    };
    return true;
}

//
// Measurements
//

static const struct hfx_spec_measurement * measurement(hfx_spec_t s, size_t i) {
    return s && i < s->n_measurements ? &s->measurements[i] : NULL;
}

size_t hfx_spec_n_measurements(hfx_spec_t s) {
    return s ? s->n_measurements : 0;
}

const char * hfx_spec_measurement_name(hfx_spec_t s, size_t i) {
    return measurement(s, i) ? measurement(s, i)->name : NULL;
}

const char * hfx_spec_measurement_poi(hfx_spec_t s, size_t i) {
    return measurement(s, i) ? measurement(s, i)->poi : NULL;
}

size_t hfx_spec_measurement_n_parameters(hfx_spec_t s, size_t i) {
    return measurement(s, i) ? measurement(s, i)->n_parconfigs : 0;
}

bool hfx_spec_measurement_parameter(hfx_spec_t s, size_t i, size_t j, struct hfx_parameter_config * out) {
    const struct hfx_spec_measurement * m = measurement(s, i);
    if (!m || j >= m->n_parconfigs || !out) {
        return false;
    }
    const struct hfx_spec_parconfig * p = &m->parconfigs[j];
    *out = (struct hfx_parameter_config){
        .name      = p->name,
        .n_inits   = p->n_inits,
        .inits     = p->inits,
        .n_bounds  = p->n_bounds,
        .bounds    = p->bounds,
        .n_auxdata = p->n_auxdata,
        .auxdata   = p->auxdata,
        .n_sigmas  = p->n_sigmas,
        .sigmas    = p->sigmas,
        .n_factors = p->n_factors,
        .factors   = p->factors,
        .has_fixed = p->has_fixed,
        .fixed     = p->fixed,
    };
    return true;
}

enum hfx_status hfx_spec_find_measurement(hfx_spec_t s, const char * name, size_t * index, struct hfx_error * err) {
    if (!s || !name || !index) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_spec_find_measurement: NULL argument");
    }
    for (size_t i = 0; i < s->n_measurements; ++i) {
        if (strcmp(s->measurements[i].name, name) == 0) {
            *index = i;
            return HFX_OK;
        }
    }
    /* the names, as far as the message has room: a workspace rarely has more than a few */
    char   names[768] = "";
    size_t n          = 0;
    for (size_t i = 0; i < s->n_measurements && n < sizeof names; ++i) {
        int k = snprintf(names + n, sizeof names - n, "%s'%s'", i ? ", " : "", s->measurements[i].name);
        n += k > 0 ? (size_t) k : 0;
    }
    return hfx__error(err, HFX_ERR_NOT_FOUND, "/measurements", "no measurement named '%s' (the workspace has %s)",
                      name, names);
}
