/*
 * hs3-write.c -- a pyhf workspace as HS3 JSON, in the layout ROOT 6.40's RooJSONFactoryWSTool writes
 * for a HistFactory model and reads back (hfx convert --to hs3; docs/io.md has the mapping).
 *
 * One histfactory_dist per channel ("model_<channel>", axis "obs_x_<channel>" on [0, n]), its
 * observed data "obsData_<channel>", one likelihood and one analysis (the measurement), a domain and a
 * parameter point with every parameter's bounds, init and constness, and the "misc.ROOT_internal"
 * entries ROOT's importer needs to build its RooSimultaneous and ModelConfig. Parameter names follow
 * HistFactory: normfactor and lumi keep their name, normsys/histosys become alpha_<name>, per-bin
 * parameters gamma_<name>_bin_<k> (k counts the bins of the whole parameter set, as pyhf lays it out).
 *
 * What ROOT's HS3 cannot say is refused with the modifier's pointer rather than written wrong: two
 * staterror names in one channel (HistFactory has one per channel), a shapesys name used twice (its
 * constraint would be created once; the spec refuses it already), histosys interpolation other than
 * code4p (ROOT's importer always uses its code 4), and parameter names that collide once renamed. Three choices keep the model
 * pyhf's where ROOT's defaults differ: the channel-level staterror constraint is written Gauss (ROOT's
 * importer defaults to Poisson, and ROOT's own exports omit it), bins pyhf fixes (staterror or
 * shapesys with no uncertainty) are written constant (ROOT would leave them free and unconstrained),
 * and shapefactor is ROOT's encoding of one: a shapesys with a Gauss constraint and zero uncertainties.
 */
#include "core/array.h"
#include "io/io.h"
#include "spec/spec.h"

#include <math.h>
#include <string.h>

/* One RooFit parameter of the export. */
struct par {
    char *                 name;  /* HS3 name, malloc'd */
    const char *           pyhf;  /* pyhf parameter (set) name, owned by the spec */
    enum hfx_modifier_type type;
    size_t                 k;     /* bin within the pyhf set */
    size_t                 size;  /* bins of the pyhf set */
    double                 init, lo, hi;
    bool                   fixed;
};

struct writer {
    const struct hfx_spec *             spec;
    const struct hfx_spec_measurement * meas;
    struct par *                        pars;
    size_t                              n_pars, cap_pars;
    json_t *                            constraints; /* gaussian_dist entries, by name */
    struct hfx_error *                  err;
};

/* The parameter called name, added if new; *out NULL with err set on a collision. */
static enum hfx_status add_par(struct writer * w, const char * name, const char * pyhf, enum hfx_modifier_type type,
                               size_t k, size_t size, const char * pointer, struct par ** out) {
    for (size_t i = 0; i < w->n_pars; i++) {
        struct par * p = &w->pars[i];
        if (strcmp(p->name, name) == 0) {
            if (strcmp(p->pyhf, pyhf) != 0 || !hfx__modifier_types_share(p->type, type)) {
                return hfx__error(w->err, HFX_ERR_MODEL, pointer,
                                  "HS3 export: %s '%s' and %s '%s' both become the RooFit parameter '%s'",
                                  hfx__modifier_type_name(p->type), p->pyhf, hfx__modifier_type_name(type), pyhf, name);
            }
            *out = p;
            return HFX_OK;
        }
    }
    size_t bytes;
    if (!HFX_ARRAY_RESERVE(w->pars, w->cap_pars, w->n_pars + 1, 64, &bytes)) {
        return hfx__error_oom(w->err, "the HS3 parameter table", bytes);
    }
    size_t n = strlen(name) + 1;
    char * s = hfx__malloc(n);
    if (!s) {
        return hfx__error_oom(w->err, "a parameter name", n);
    }
    memcpy(s, name, n);
    w->pars[w->n_pars] = (struct par){.name = s, .pyhf = pyhf, .type = type, .k = k, .size = size};
    *out               = &w->pars[w->n_pars++];
    return HFX_OK;
}

static const struct hfx_spec_parconfig * find_config(const struct hfx_spec_measurement * m, const char * name) {
    for (size_t i = 0; i < m->n_parconfigs; i++) {
        if (strcmp(m->parconfigs[i].name, name) == 0) {
            return &m->parconfigs[i];
        }
    }
    return NULL;
}

/* Element k of a configured array of n values (one value stands for every bin, as in pyhf). */
static bool config_value(const double * v, size_t n, size_t k, size_t size, size_t stride, double * out) {
    if (n == 0) {
        return false;
    }
    size_t i = n == size ? k : 0;
    if (n != size && n != 1) {
        return false;
    }
    *out = v[i * stride];
    return true;
}

/* Init, bounds and fixed of every parameter: pyhf's defaults per type (modifier-types.h), then the
 * measurement's. A type without defaults (lumi) must be configured; until its config says otherwise,
 * its init and bounds are 1 in [1e-10, 10]. */
static enum hfx_status resolve_pars(struct writer * w) {
    for (size_t i = 0; i < w->n_pars; i++) {
        struct par *                     p    = &w->pars[i];
        const struct hfx__modifier_rules * type = hfx__modifier_rules_of(p->type);
        p->init                               = type->has_defaults ? type->init : 1.0;
        p->lo                                 = type->has_defaults ? type->lo : 1e-10;
        p->hi                                 = type->has_defaults ? type->hi : 10.0;
        const struct hfx_spec_parconfig * pc = find_config(w->meas, p->pyhf);
        if (!pc) {
            if (!type->has_defaults) {
                return hfx__error(w->err, HFX_ERR_MODEL, w->meas->pointer,
                                  "%s parameter '%s' needs inits, bounds, auxdata and sigmas in measurement '%s'",
                                  type->name, p->pyhf, w->meas->name);
            }
            continue;
        }
        bool ok = true;
        if (pc->n_inits) {
            ok = config_value(pc->inits, pc->n_inits, p->k, p->size, 1, &p->init);
        }
        if (ok && pc->n_bounds) {
            ok = config_value(pc->bounds, pc->n_bounds, p->k, p->size, 2, &p->lo) &&
                 config_value(pc->bounds + 1, pc->n_bounds, p->k, p->size, 2, &p->hi);
        }
        if (!ok) {
            return hfx__error(w->err, HFX_ERR_MODEL, pc->pointer,
                              "parameter '%s' has %zu bins but its inits or bounds in measurement '%s' do not", p->pyhf,
                              p->size, w->meas->name);
        }
        p->fixed = p->fixed || (pc->has_fixed && pc->fixed);
    }
    return HFX_OK;
}

/* A JSON array of x[0..n), or NULL: the workspace's numbers are finite (validated), so NULL is memory,
 * and the json_pack that receives it fails too (its "o" refuses NULL), never a shorter array. */
static json_t * num_array(const double * x, size_t n) {
    json_t * a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_real(x[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t * axes(const struct hfx_spec_channel * c) {
    char name[600];
    hfx__format(name, sizeof name, "obs_x_%s", c->name);
    return json_pack("[{s:s, s:f, s:f, s:I}]", "name", name, "min", 0.0, "max", (double) c->n_bins, "nbins",
                     (json_int_t) c->n_bins);
}

/* The Gaussian constraint of a parameter (once per name): N(nom_<par> | par, sigma). */
static void add_gauss(struct writer * w, const char * cname, const char * par, double sigma) {
    if (json_object_get(w->constraints, cname)) {
        return;
    }
    char nom[600];
    hfx__format(nom, sizeof nom, "nom_%s", par);
    json_object_set_new(w->constraints, cname,
                        json_pack("{s:s, s:s, s:s, s:s, s:f}", "name", cname, "type", "gaussian_dist", "x", par, "mean",
                                  nom, "sigma", sigma));
}

static enum hfx_status staterror_name(struct writer * w, const struct hfx_spec_channel * c, const char ** out) {
    *out = NULL;
    for (size_t s = 0; s < c->n_samples; s++) {
        for (size_t k = 0; k < c->samples[s].n_mods; k++) {
            const struct hfx_spec_modifier * m = &c->samples[s].mods[k];
            if (m->type != HFX_MOD_STATERROR) {
                continue;
            }
            if (*out && strcmp(*out, m->name) != 0) {
                return hfx__error(w->err, HFX_ERR_MODEL, m->pointer,
                                  "HS3 export: channel '%s' has two staterror modifiers, '%s' and '%s' (HistFactory, "
                                  "and so ROOT's HS3, has one per channel)",
                                  c->name, *out, m->name);
            }
            *out = m->name;
        }
    }
    return HFX_OK;
}

/* Offset of channel c's bins in the staterror set called name: the bins of the channels carrying it
 * before c, in pyhf's (sorted) channel order; *size is the set's length. */
static void staterror_offset(const struct hfx_spec * spec, const char * name, const struct hfx_spec_channel * c,
                             const char * const * stat_names, size_t * off, size_t * size) {
    *off = *size = 0;
    for (size_t j = 0; j < spec->n_channels; j++) {
        const struct hfx_spec_channel * o = &spec->channels[j];
        if (!stat_names[j] || strcmp(stat_names[j], name) != 0) {
            continue;
        }
        *size += o->n_bins;
        if (strcmp(o->name, c->name) < 0) {
            *off += o->n_bins;
        }
    }
}

static json_t * gamma_names(struct writer * w, const char * pyhf, enum hfx_modifier_type type, size_t off, size_t n,
                            size_t size, const char * pointer, enum hfx_status * st) {
    json_t * a = json_array();
    for (size_t i = 0; a && i < n && *st == HFX_OK; i++) {
        char         name[600];
        struct par * p = NULL;
        hfx__format(name, sizeof name, "gamma_%s_bin_%zu", pyhf, off + i);
        *st = add_par(w, name, pyhf, type, off + i, size, pointer, &p);
        json_array_append_new(a, json_string(name));
    }
    return a;
}

static enum hfx_status write_modifier(struct writer * w, const struct hfx_spec_channel * c,
                                      const struct hfx_spec_sample * s, const struct hfx_spec_modifier * m,
                                      const char * const * stat_names, int normsys_code, json_t * mods) {
    char            par[600], cname[700];
    struct par *    p  = NULL;
    enum hfx_status st = HFX_OK;
    json_t *        j  = NULL;
    switch (m->type) {
    case HFX_MOD_NORMFACTOR:
        st = add_par(w, m->name, m->name, m->type, 0, 1, m->pointer, &p);
        j  = json_pack("{s:s, s:s, s:s}", "type", "normfactor", "name", m->name, "parameter", m->name);
        break;
    case HFX_MOD_LUMI: {
        st = add_par(w, m->name, m->name, m->type, 0, 1, m->pointer, &p);
        const struct hfx_spec_parconfig * pc = find_config(w->meas, m->name);
        if (st == HFX_OK && (!pc || pc->n_sigmas < 1 || pc->n_auxdata < 1)) {
            return hfx__error(w->err, HFX_ERR_MODEL, m->pointer,
                              "lumi parameter '%s' needs auxdata and sigmas in measurement '%s'", m->name,
                              w->meas->name);
        }
        hfx__format(cname, sizeof cname, "%sConstraint", m->name);
        if (st == HFX_OK) {
            add_gauss(w, cname, m->name, pc->sigmas[0]);
        }
        j = json_pack("{s:s, s:s, s:s, s:s}", "type", "normfactor", "name", m->name, "parameter", m->name,
                      "constraint_name", cname);
        break;
    }
    case HFX_MOD_NORMSYS:
    case HFX_MOD_HISTOSYS:
        hfx__format(par, sizeof par, "alpha_%s", m->name);
        hfx__format(cname, sizeof cname, "%sConstraint", par);
        st = add_par(w, par, m->name, m->type, 0, 1, m->pointer, &p);
        add_gauss(w, cname, par, 1.0);
        if (m->type == HFX_MOD_NORMSYS) {
            j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:f, s:f}}", "type", "normsys", "name", m->name, "parameter",
                          par, "constraint_name", cname, "interpolation", normsys_code, "data", "hi", m->hi, "lo", m->lo);
        } else {
            j = json_pack("{s:s, s:s, s:s, s:s, s:{s:{s:o}, s:{s:o}}}", "type", "histosys", "name", m->name,
                          "parameter", par, "constraint_name", cname, "data", "hi", "contents",
                          num_array(m->hi_data, c->n_bins), "lo", "contents", num_array(m->lo_data, c->n_bins));
        }
        break;
    case HFX_MOD_STATERROR: {
        size_t off, size;
        staterror_offset(w->spec, m->name, c, stat_names, &off, &size);
        json_t * names = gamma_names(w, m->name, m->type, off, c->n_bins, size, m->pointer, &st);
        j = json_pack("{s:s, s:s, s:o, s:s}", "type", "staterror", "name", m->name, "parameters", names,
                      "constraint_type", "Gauss");
        break;
    }
    case HFX_MOD_SHAPESYS:
    case HFX_MOD_SHAPEFACTOR: {
        json_t * names = gamma_names(w, m->name, m->type, 0, c->n_bins, c->n_bins, m->pointer, &st);
        json_t * vals  = json_array();
        for (size_t i = 0; vals && i < c->n_bins; i++) {
            bool   valid = m->type == HFX_MOD_SHAPESYS && s->data[i] > 0 && m->data[i] > 0;
            double v     = valid ? m->data[i] / s->data[i] : 0.0;
            /* finite wherever the model accepted the Poisson factor (nominal / data)^2 > 0, so defensive:
             * json_real(inf) is NULL, and an unchecked append lost the bin */
            if (!isfinite(v)) {
                json_decref(names);
                json_decref(vals);
                char bin[32];
                hfx__format(bin, sizeof bin, "%zu", i);
                return hfx__error(w->err, HFX_ERR_MODEL, m->pointer,
                                  "HS3 export: shapesys '%s' relative uncertainty (data / nominal) is not finite in "
                                  "bin %s", m->name, bin);
            }
            if (json_array_append_new(vals, json_real(v)) != 0) {
                json_decref(names);
                json_decref(vals);
                return hfx__error_oom(w->err, "an HS3 modifier", 0);
            }
            if (m->type == HFX_MOD_SHAPESYS && !valid && st == HFX_OK) {
                char name[600];
                hfx__format(name, sizeof name, "gamma_%s_bin_%zu", m->name, i);
                for (size_t q = 0; q < w->n_pars; q++) { /* pyhf fixes the bins it cannot constrain */
                    w->pars[q].fixed = w->pars[q].fixed || strcmp(w->pars[q].name, name) == 0;
                }
            }
        }
        j = json_pack("{s:s, s:s, s:o, s:s, s:{s:o}}", "type", "shapesys", "name", m->name, "parameters", names,
                      "constraint_type", m->type == HFX_MOD_SHAPESYS ? "Poisson" : "Gauss", "data", "vals", vals);
        break;
    }
    default: return hfx__error(w->err, HFX_ERR_MODEL, m->pointer, "HS3 export: modifier type has no HS3 form");
    }
    if (st != HFX_OK) {
        json_decref(j);
        return st;
    }
    if (!j) {
        return hfx__error_oom(w->err, "an HS3 modifier", 0);
    }
    json_array_append_new(mods, j);
    return HFX_OK;
}

static enum hfx_status write_channel(struct writer * w, size_t ci, const char * const * stat_names, int normsys_code,
                                     json_t * dists) {
    const struct hfx_spec_channel * c       = &w->spec->channels[ci];
    json_t *                        samples = json_array();
    char                            dname[600];
    hfx__format(dname, sizeof dname, "model_%s", c->name);
    json_t * dist = json_pack("{s:s, s:s, s:o, s:o}", "name", dname, "type", "histfactory_dist", "axes", axes(c),
                              "samples", samples);
    if (!dist) {
        return hfx__error_oom(w->err, "an HS3 distribution", 0);
    }
    json_array_append_new(dists, dist);
    if (stat_names[ci]) {
        json_object_set_new(dist, "staterror", json_pack("{s:s, s:f}", "constraint_type", "Gauss", "relThreshold", 0.0));
    }
    for (size_t s = 0; s < c->n_samples; s++) {
        const struct hfx_spec_sample * smp  = &c->samples[s];
        json_t *                       mods = json_array();
        json_t *                       data = json_pack("{s:o}", "contents", num_array(smp->data, c->n_bins));
        json_t * js = json_pack("{s:s, s:o, s:o}", "name", smp->name, "data", data, "modifiers", mods);
        if (!js) {
            return hfx__error_oom(w->err, "an HS3 sample", 0);
        }
        json_array_append_new(samples, js);
        for (size_t k = 0; k < smp->n_mods; k++) {
            const struct hfx_spec_modifier * m  = &smp->mods[k];
            enum hfx_status                  st = write_modifier(w, c, smp, m, stat_names, normsys_code, mods);
            if (st != HFX_OK) {
                return st;
            }
            if (m->type == HFX_MOD_STATERROR) { /* ROOT reads the absolute uncertainties as the sample's errors */
                if (json_object_set_new(data, "errors", num_array(m->data, c->n_bins)) != 0) {
                    return hfx__error_oom(w->err, "an HS3 sample", 0);
                }
            }
        }
    }
    if (stat_names[ci]) { /* bins without uncertainty: fixed in pyhf, free in ROOT unless constant */
        size_t off, size;
        staterror_offset(w->spec, stat_names[ci], c, stat_names, &off, &size);
        for (size_t i = 0; i < c->n_bins; i++) {
            double sum2 = 0.0;
            for (size_t s = 0; s < c->n_samples; s++) {
                for (size_t k = 0; k < c->samples[s].n_mods; k++) {
                    const struct hfx_spec_modifier * m = &c->samples[s].mods[k];
                    sum2 += m->type == HFX_MOD_STATERROR ? m->data[i] * m->data[i] : 0.0;
                }
            }
            char name[600];
            hfx__format(name, sizeof name, "gamma_%s_bin_%zu", stat_names[ci], off + i);
            for (size_t q = 0; sum2 <= 0 && q < w->n_pars; q++) {
                w->pars[q].fixed = w->pars[q].fixed || strcmp(w->pars[q].name, name) == 0;
            }
        }
    }
    return HFX_OK;
}

static json_t * string_array_of_channels(const struct hfx_spec * spec, const char * fmt) {
    json_t * a = json_array();
    for (size_t i = 0; a && i < spec->n_channels; i++) {
        char name[700];
        hfx__format(name, sizeof name, fmt, spec->channels[i].name);
        json_array_append_new(a, json_string(name));
    }
    return a;
}

static json_t * index_array(size_t n) {
    json_t * a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_array_append_new(a, json_integer((json_int_t) i));
    }
    return a;
}

/* Domain axes and parameter point entries of every parameter, the global observables included. */
static enum hfx_status write_points(struct writer * w, json_t * root) {
    json_t * dom_axes = json_array(), * point = json_array(), * attrs = json_object();
    for (size_t i = 0; i < w->n_pars; i++) {
        const struct par * p = &w->pars[i];
        json_array_append_new(dom_axes, json_pack("{s:s, s:f, s:f}", "name", p->name, "min", p->lo, "max", p->hi));
        json_t * e = json_pack("{s:s, s:f, s:f, s:f}", "name", p->name, "value", p->init, "min", p->lo, "max", p->hi);
        if (p->fixed) {
            json_object_set_new(e, "const", json_true());
        }
        json_array_append_new(point, e);
    }
    const char * key;
    json_t *     g;
    json_object_foreach(w->constraints, key, g) {
        const char * nom = json_string_value(json_object_get(g, "mean"));
        const char * x   = json_string_value(json_object_get(g, "x"));
        double       aux = 0.0;
        for (size_t i = 0; i < w->n_pars; i++) {
            if (strcmp(w->pars[i].name, x) == 0 && w->pars[i].type == HFX_MOD_LUMI) {
                aux = find_config(w->meas, w->pars[i].pyhf)->auxdata[0];
            }
        }
        json_array_append_new(point, json_pack("{s:s, s:f, s:b}", "name", nom, "value", aux, "const", 1));
        json_object_set_new(attrs, nom, json_pack("{s:[s]}", "tags", "Constant"));
    }
    json_object_set_new(root, "domains",
                        json_pack("[{s:s, s:s, s:o}]", "name", "default_domain", "type", "product_domain", "axes",
                                  dom_axes));
    json_object_set_new(root, "parameter_points", json_pack("[{s:s, s:o}]", "name", "default_values", "parameters", point));
    json_object_set_new(json_object_get(json_object_get(root, "misc"), "ROOT_internal"), "attributes", attrs);
    return HFX_OK;
}

static const struct hfx_spec_measurement * pick_measurement(const struct hfx_spec * spec, const char * name) {
    for (size_t i = 0; i < spec->n_measurements; i++) {
        if (!name || strcmp(spec->measurements[i].name, name) == 0) {
            return &spec->measurements[i];
        }
    }
    return NULL;
}

/* What ROOT's HS3 cannot say, refused before anything is written: a histosys interpolation other than
 * ROOT's code 4, two staterror names in one channel (stat_names[c]: channel c's staterror, or NULL).
 * A shapesys name used twice (ROOT would build its constraint once) never gets here: the spec refuses
 * a shared shapesys (spec-build.c, shapesys-shared.json). */
static enum hfx_status check_exportable(struct writer * w, const struct hfx_model_options * opts,
                                        const char ** stat_names) {
    if (opts && opts->histosys_interp != HFX_INTERP_DEFAULT && opts->histosys_interp != HFX_INTERP_CODE4P) {
        return hfx__error(w->err, HFX_ERR_ARG, NULL,
                          "HS3 export: ROOT's importer interpolates histosys with its code 4 (pyhf's code4p) only");
    }
    enum hfx_status st = HFX_OK;
    for (size_t i = 0; i < w->spec->n_channels && st == HFX_OK; i++) {
        st = staterror_name(w, &w->spec->channels[i], &stat_names[i]);
    }
    return st;
}

/* The distributions: one histfactory_dist per channel, then the constraints its modifiers named. The
 * parameters' init, bounds and constness are resolved once every modifier has named its own. */
static enum hfx_status write_distributions(struct writer * w, const struct hfx_model_options * opts, json_t * root) {
    const struct hfx_spec * spec         = w->spec;
    int                     normsys_code = opts && opts->normsys_interp == HFX_INTERP_CODE1 ? 1 : 4;
    const char **           stat_names   = hfx__calloc(spec->n_channels + 1, sizeof *stat_names);
    if (!stat_names) {
        return hfx__error_oom(w->err, "staterror names", spec->n_channels * sizeof *stat_names);
    }
    enum hfx_status st    = check_exportable(w, opts, stat_names);
    json_t *        dists = json_array();
    json_object_set_new(root, "distributions", dists);
    for (size_t i = 0; i < spec->n_channels && st == HFX_OK; i++) {
        st = write_channel(w, i, stat_names, normsys_code, dists);
    }
    free(stat_names);
    if (st == HFX_OK) {
        st = resolve_pars(w);
    }
    if (st != HFX_OK) {
        return st;
    }
    const char * key;
    json_t *     g;
    json_object_foreach(w->constraints, key, g) {
        json_array_append(dists, g);
    }
    return HFX_OK;
}

/* The observed data, the likelihood, the analysis (the measurement), ROOT's internal entries and the
 * metadata; NULL misc is memory. */
static json_t * write_analysis(struct writer * w, json_t * root) {
    const struct hfx_spec * spec = w->spec;
    json_t *                data = json_array();
    for (size_t i = 0; i < spec->n_channels; i++) {
        const struct hfx_spec_channel * c = &spec->channels[i];
        char                            name[600];
        hfx__format(name, sizeof name, "obsData_%s", c->name);
        json_array_append_new(data, json_pack("{s:s, s:s, s:o, s:o}", "name", name, "type", "binned", "axes", axes(c),
                                              "contents", num_array(c->observed, c->n_bins)));
    }
    json_object_set_new(root, "data", data);
    json_object_set_new(root, "likelihoods",
                        json_pack("[{s:s, s:o, s:o}]", "name", "simPdf_obsData", "distributions",
                                  string_array_of_channels(spec, "model_%s"), "data",
                                  string_array_of_channels(spec, "obsData_%s")));
    json_object_set_new(root, "analyses",
                        json_pack("[{s:s, s:s, s:[s], s:[s]}]", "name", w->meas->name, "likelihood", "simPdf_obsData",
                                  "parameters_of_interest", w->meas->poi, "domains", "default_domain"));
    json_t * labels = string_array_of_channels(spec, "%s");
    json_t * misc   = json_pack(
        "{s:{s:{s:{s:s, s:s}}, s:{s:{s:o, s:s, s:o, s:O}}, s:{s:{s:s, s:o, s:O}}}}", "ROOT_internal", "ModelConfigs",
        w->meas->name, "mcName", "ModelConfig", "pdfName", "simPdf", "combined_distributions", "simPdf", "distributions",
        string_array_of_channels(spec, "model_%s"), "index_cat", "channelCat", "indices", index_array(spec->n_channels),
        "labels", labels, "combined_datasets", "obsData", "index_cat", "channelCat", "indices",
        index_array(spec->n_channels), "labels", labels);
    json_decref(labels);
    json_object_set_new(root, "misc", misc);
    json_object_set_new(root, "metadata",
                        json_pack("{s:s, s:[{s:s, s:s}]}", "hs3_version", "0.2", "packages", "name", "hfx", "version",
                                  HFX_VERSION_STRING));
    return misc;
}

static enum hfx_status build(struct writer * w, const struct hfx_model_options * opts, json_t ** out) {
    json_t *        root = json_object();
    enum hfx_status st   = write_distributions(w, opts, root);
    if (st != HFX_OK) {
        json_decref(root);
        return st;
    }
    json_t * misc = write_analysis(w, root);
    st            = write_points(w, root);
    if (st != HFX_OK || !misc) {
        json_decref(root);
        return st != HFX_OK ? st : hfx__error_oom(w->err, "the HS3 document", 0);
    }
    *out = root;
    return HFX_OK;
}

enum hfx_status hfx__hs3_write(json_t * ws, const char * source, const struct hfx_model_options * opts, json_t ** out,
                               struct hfx_error * err) {
    *out = NULL;
    struct hfx_spec spec;
    memset(&spec, 0, sizeof spec);
    enum hfx_status st = hfx__spec_build(ws, source, &spec, err);
    if (st != HFX_OK) {
        hfx__spec_free(&spec);
        return st;
    }
    struct writer w = {.spec = &spec, .err = err, .constraints = json_object()};
    w.meas          = pick_measurement(&spec, opts ? opts->measurement : NULL);
    if (!w.meas) {
        st = hfx__error(err, HFX_ERR_NOT_FOUND, "/measurements", "no measurement named '%s'",
                        opts && opts->measurement ? opts->measurement : "");
    } else if (!w.constraints) {
        st = hfx__error_oom(err, "the HS3 constraints", 0);
    } else {
        st = build(&w, opts, out);
    }
    for (size_t i = 0; i < w.n_pars; i++) {
        free(w.pars[i].name);
    }
    free(w.pars);
    json_decref(w.constraints);
    hfx__spec_free(&spec);
    return st;
}
