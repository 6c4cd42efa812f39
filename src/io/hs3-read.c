/*
 * hs3-read.c -- HS3 JSON of a HistFactory model (as ROOT 6.40's RooJSONFactoryWSTool exports it, and
 * as hs3-write.c writes it) to a pyhf workspace tree (docs/io.md has the mapping).
 *
 * The analysis read is the first whose likelihood's data are not ROOT's Asimov data set; its
 * likelihood's histfactory_dist distributions become the channels ("model_" dropped from the name),
 * its data the observations, its first parameter of interest the POI. Parameters become pyhf's by
 * HistFactory's names: alpha_<name> is normsys/histosys <name>, a normfactor with a Gaussian
 * constraint is a lumi parameter (auxdata: the constraint's mean, sigmas: its width), a channel's
 * staterror parameters gamma_<name>_bin_<k> are staterror <name>, a shapesys with a Poisson
 * constraint is a shapesys (uncertainties: relative values times the nominal), one with a Gaussian
 * constraint and no uncertainty a shapefactor (ROOT's encoding). Every parameter's init, bounds and
 * constness go into the measurement explicitly: from the analysis's domains, then the parameter point
 * ("default_values", else the first), then pyhf's defaults.
 *
 * What a pyhf workspace cannot hold is an error naming it, never dropped: other distribution or
 * modifier types, Poisson staterror, Gaussian shapesys, normsys interpolation codes other than
 * ROOT's 4 (and its twin 5, identical for every value), constraints other than N(0, 1) on alpha
 * parameters, one bin of a parameter set constant where pyhf would not fix it.
 */
#include "io/io.h"
#include "core/size-check.h"
#include "model/modifier-types.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

struct reader {
    const json_t *     root;
    json_t *           points;   /* the parameter point's entries, by name */
    json_t *           ranges;   /* the analysis's domains: name -> [min, max] */
    json_t *           sets;     /* pyhf parameter name -> {type, pars: {channel: [hs3 names]}, zero: {hs3: true}} */
    struct hfx_error * err;
};

static const char * str(const json_t * o, const char * key) {
    return json_string_value(json_object_get(o, key));
}

static enum hfx_status bad(struct reader * r, const char * pointer, const char * fmt, const char * a,
                           const char * b) {
    return hfx__error(r->err, HFX_ERR_SCHEMA, pointer, fmt, a ? a : "", b ? b : "");
}

/* The entry of array key whose "name" is name, and its index. */
static json_t * find_named(const json_t * root, const char * key, const char * name, size_t * index) {
    json_t * a = json_object_get(root, key);
    size_t   i;
    json_t * e;
    json_array_foreach(a, i, e) {
        const char * n = str(e, "name");
        if (n && strcmp(n, name) == 0) {
            if (index) {
                *index = i;
            }
            return e;
        }
    }
    return NULL;
}

bool hfx__hs3_is(const json_t * root) {
    return json_is_object(root) && json_is_array(json_object_get(root, "distributions")) &&
           !json_object_get(root, "channels");
}

/* An array of n finite numbers at a (key "contents" etc.), into a new JSON array; the message names
 * the first bin that is not a finite number. */
static enum hfx_status numbers(struct reader * r, const json_t * a, size_t n, const char * pointer, const char * what,
                               json_t ** out) {
    *out = NULL;
    if (!json_is_array(a) || json_array_size(a) != n) {
        char want[32];
        hfx__format(want, sizeof want, "%zu", n);
        return bad(r, pointer, "%s must be an array of %s numbers", what, want);
    }
    json_t * o = json_array();
    size_t   i;
    json_t * v;
    json_array_foreach(a, i, v) {
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            char bin[64];
            hfx__format(bin, sizeof bin, ": bin %zu is %s", i, json_is_number(v) ? "not finite" : "not a number");
            json_decref(o);
            return bad(r, pointer, "%s must hold finite numbers only%s", what, bin);
        }
        if (json_array_append_new(o, json_real(json_number_value(v))) != 0) {
            json_decref(o);
            return hfx__error_oom(r->err, "HS3 numbers", 0);
        }
    }
    if (!o) {
        return hfx__error_oom(r->err, "HS3 numbers", 0);
    }
    *out = o;
    return HFX_OK;
}

/* Refuses a "parameters" array naming one parameter for two bins: each bin of a staterror or shapesys
 * has its own parameter (pyhf's gamma_<name>[k]); a repeated name would tie two bins together, or,
 * read as written, make two parameters of one HS3 name. */
static enum hfx_status distinct_pars(struct reader * r, const json_t * pars, const char * ptr, const char * what) {
    json_t * seen = json_object();
    size_t   i;
    json_t * p;
    if (!seen) {
        return hfx__error_oom(r->err, "HS3 parameter names", 0);
    }
    json_array_foreach(pars, i, p) {
        const char * name = json_string_value(p);
        if (!name) {
            continue; /* the caller says which entry is not a string */
        }
        json_t * first = json_object_get(seen, name);
        if (first) {
            char bins[80];
            hfx__format(bins, sizeof bins, "bins %lld and %zu", (long long) json_integer_value(first), i);
            enum hfx_status st = hfx__error(r->err, HFX_ERR_SCHEMA, ptr,
                                            "%s names parameter '%s' for %s: one parameter per bin", what, name, bins);
            json_decref(seen); /* name belongs to pars, not to seen */
            return st;
        }
        if (json_object_set_new(seen, name, json_integer((json_int_t) i)) != 0) {
            json_decref(seen);
            return hfx__error_oom(r->err, "HS3 parameter names", 0);
        }
    }
    json_decref(seen);
    return HFX_OK;
}

/* The value of a number-or-parameter-name node (a constraint's mean or sigma). */
static bool value_of(struct reader * r, const json_t * v, double * out) {
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    const json_t * p = json_object_get(r->points, json_string_value(v) ? json_string_value(v) : "");
    if (json_is_number(json_object_get(p, "value"))) {
        *out = json_number_value(json_object_get(p, "value"));
        return true;
    }
    return false;
}

/* The row of a pyhf type name that note_par recorded (always one of the table's). */
static const struct hfx__modifier_rules * type_info(const char * type) {
    enum hfx_modifier_type t = HFX_MOD_NORMFACTOR;
    hfx__modifier_type_from_name(type, &t);
    return hfx__modifier_rules_of(t);
}

/* Whether one pyhf parameter set may hold modifiers of types a and b (normsys and histosys). */
static bool types_share(const char * a, const char * b) {
    enum hfx_modifier_type ta, tb;
    return hfx__modifier_type_from_name(a, &ta) && hfx__modifier_type_from_name(b, &tb) &&
           hfx__modifier_types_share(ta, tb);
}

/* Records HS3 parameter par as bin of pyhf set name (of type) in channel ch; zero: pyhf fixes it. The
 * parameters already recorded for a channel are looked up in a hash ("members"), not scanned: a
 * staterror of 10^5 bins would otherwise take 10^10 comparisons. */
static enum hfx_status note_par(struct reader * r, const char * name, const char * type, const char * ch,
                                const char * par, bool zero, const char * pointer) {
    json_t * set = json_object_get(r->sets, name);
    if (!set) {
        set = json_pack("{s:s, s:{}, s:{}, s:[], s:{}}", "type", type, "pars", "zero", "order", "members");
        if (!set || json_object_set_new(r->sets, name, set) != 0) {
            return hfx__error_oom(r->err, "HS3 parameter sets", 0);
        }
    } else if (!types_share(str(set, "type"), type)) {
        return bad(r, pointer, "parameter '%s' is used as %s and as another type", name, type);
    }
    json_t * per_ch  = json_object_get(json_object_get(set, "pars"), ch);
    json_t * members = json_object_get(json_object_get(set, "members"), ch);
    if (!per_ch) {
        per_ch  = json_array();
        members = json_object();
        if (json_object_set_new(json_object_get(set, "pars"), ch, per_ch) != 0 ||
            json_object_set_new(json_object_get(set, "members"), ch, members) != 0 ||
            json_array_append_new(json_object_get(set, "order"), json_string(ch)) != 0) {
            return hfx__error_oom(r->err, "HS3 parameter sets", 0);
        }
    }
    if (json_object_get(members, par)) {
        return HFX_OK; /* shared by two samples of the channel */
    }
    if (json_array_append_new(per_ch, json_string(par)) != 0 || json_object_set_new(members, par, json_true()) != 0 ||
        (zero && json_object_set_new(json_object_get(set, "zero"), par, json_true()) != 0)) {
        return hfx__error_oom(r->err, "HS3 parameter sets", 0);
    }
    return HFX_OK;
}

/* "gamma_<name>_bin_<k>" -> "<name>" into buf; false if par is not of that form. */
static bool gamma_base(const char * par, char * buf, size_t size) {
    size_t n = strlen(par);
    if (n < 12 || strncmp(par, "gamma_", 6) != 0) {
        return false;
    }
    size_t e = n;
    while (e > 0 && isdigit((unsigned char) par[e - 1])) {
        e--;
    }
    if (e == n || e < 6 + 5 || strncmp(par + e - 5, "_bin_", 5) != 0) {
        return false;
    }
    hfx__format(buf, size, "%.*s", (int) (e - 5 - 6), par + 6);
    return true;
}

/* A constraint named by a modifier: a gaussian_dist on par; its mean and sigma. */
static enum hfx_status gauss_constraint(struct reader * r, const json_t * mod, const char * par, const char * pointer,
                                        double * mean, double * sigma) {
    *mean = 0.0, *sigma = 1.0;
    const char * cname = str(mod, "constraint_name");
    if (!cname) {
        const char * ctype = str(mod, "constraint_type");
        if (ctype && strcmp(ctype, "Gauss") != 0) {
            return bad(r, pointer, "the constraint of parameter '%s' is %s: pyhf constrains it with a Gaussian", par,
                       ctype);
        }
        return HFX_OK; /* ROOT's default: N(nom_<par> = 0 | par, 1) */
    }
    const json_t * c = find_named(r->root, "distributions", cname, NULL);
    if (!c) {
        return bad(r, pointer, "constraint '%s' of parameter '%s' is not among the distributions", cname, par);
    }
    const char * type = str(c, "type");
    const char * x    = str(c, "x");
    if (!type || strcmp(type, "gaussian_dist") != 0 || !x || strcmp(x, par) != 0) {
        return bad(r, pointer, "constraint '%s' of parameter '%s' is not a gaussian_dist of it", cname, par);
    }
    if (!value_of(r, json_object_get(c, "mean"), mean) || !value_of(r, json_object_get(c, "sigma"), sigma) ||
        !(*sigma > 0) || !isfinite(*mean)) {
        return bad(r, pointer, "constraint '%s' of parameter '%s' has no usable mean and sigma", cname, par);
    }
    return HFX_OK;
}

/* One HS3 modifier being read: where it is, and its "name" and "parameter" (either may be NULL). */
struct hs3_mod {
    const char *   ch;      /* the channel (the distribution's name without "model_") */
    const json_t * dist, * sample, * mod;
    const json_t * nominal; /* the sample's contents, checked: n finite numbers */
    size_t         n;
    const char *   ptr;
    const char *   name, * par;
};

/* A normfactor: pyhf's normfactor, or with a Gaussian constraint HistFactory's luminosity, pyhf's lumi. */
static enum hfx_status read_normfactor(struct reader * r, const struct hs3_mod * x, json_t ** out) {
    const char * par         = x->par ? x->par : x->name;
    bool         constrained = json_object_get(x->mod, "constraint_name") || json_object_get(x->mod, "constraint_type");
    if (!constrained) {
        *out = json_pack("{s:s, s:s, s:n}", "name", par, "type", "normfactor", "data");
        return note_par(r, par, "normfactor", x->ch, par, false, x->ptr);
    }
    double          mean, sigma;
    enum hfx_status st = gauss_constraint(r, x->mod, par, x->ptr, &mean, &sigma);
    if (st != HFX_OK) {
        return st;
    }
    /* pyhf has one luminosity parameter, named "lumi" (ROOT's is "Lumi") */
    json_t *     set  = json_object_get(r->sets, "lumi");
    const char * prev = str(set, "hs3"); /* NULL where "lumi" is another type's name: note_par says so */
    if (prev && strcmp(prev, par) != 0) {
        return bad(r, x->ptr, "normfactors '%s' and '%s' both have a Gaussian constraint: pyhf has one "
                   "luminosity parameter", prev, par);
    }
    st = note_par(r, "lumi", "lumi", x->ch, par, false, x->ptr);
    if (!set && st == HFX_OK) {
        set = json_object_get(r->sets, "lumi");
        /* mean and sigma are finite (JSON numbers, or checked by gauss_constraint): NULL is OOM */
        if (json_object_set_new(set, "hs3", json_string(par)) != 0 ||
            json_object_set_new(set, "auxdata", json_real(mean)) != 0 ||
            json_object_set_new(set, "sigma", json_real(sigma)) != 0) {
            return hfx__error_oom(r->err, "the lumi parameter", 0);
        }
    }
    *out = json_pack("{s:s, s:s, s:n}", "name", "lumi", "type", "lumi", "data");
    return st;
}

/* A normsys's data: hi and lo, under ROOT's interpolation code 4 (or its twin 5). */
static enum hfx_status read_normsys_data(struct reader * r, const struct hs3_mod * x, const char * pyhf,
                                         json_t ** out) {
    json_t * code = json_object_get(x->mod, "interpolation");
    if (code && !(json_is_integer(code) && (json_integer_value(code) == 4 || json_integer_value(code) == 5))) {
        char c[32];
        hfx__format(c, sizeof c, "%lld", json_is_integer(code) ? (long long) json_integer_value(code) : -1LL);
        return bad(r, x->ptr,
                   "normsys '%s' uses interpolation code %s: a pyhf workspace carries no interpolation code, "
                   "and hfx reads code 4 (pyhf's code4) only",
                   pyhf, c);
    }
    const json_t * data = json_object_get(x->mod, "data");
    json_t *       hi = json_object_get(data, "hi"), * lo = json_object_get(data, "lo");
    if (!json_is_number(hi) || !json_is_number(lo)) {
        return bad(r, x->ptr, "normsys '%s' needs numbers data.hi and data.lo%s", pyhf, NULL);
    }
    *out = json_pack("{s:s, s:s, s:{s:f, s:f}}", "name", pyhf, "type", "normsys", "data", "hi",
                     json_number_value(hi), "lo", json_number_value(lo));
    return HFX_OK;
}

/* A histosys's data: the hi and lo templates' contents. */
static enum hfx_status read_histosys_data(struct reader * r, const struct hs3_mod * x, const char * pyhf,
                                          json_t ** out) {
    const json_t *  data = json_object_get(x->mod, "data");
    json_t *        hi = NULL, * lo = NULL;
    enum hfx_status st = numbers(r, json_object_get(json_object_get(data, "hi"), "contents"), x->n, x->ptr,
                                 "histosys data.hi.contents", &hi);
    if (st == HFX_OK) {
        st = numbers(r, json_object_get(json_object_get(data, "lo"), "contents"), x->n, x->ptr,
                     "histosys data.lo.contents", &lo);
    }
    if (st != HFX_OK) {
        json_decref(hi);
        return st;
    }
    *out = json_pack("{s:s, s:s, s:{s:o, s:o}}", "name", pyhf, "type", "histosys", "data", "hi_data", hi, "lo_data",
                     lo);
    return HFX_OK;
}

/* A normsys or histosys: parameter alpha_<name>, constrained by N(0, 1), pyhf's <name>. */
static enum hfx_status read_alpha(struct reader * r, const struct hs3_mod * x, const char * type, json_t ** out) {
    char         def[600], pyhf[600];
    const char * par = x->par;
    if (!par) {
        hfx__format(def, sizeof def, "alpha_%s", x->name);
        par = def;
    }
    hfx__format(pyhf, sizeof pyhf, "%s", strncmp(par, "alpha_", 6) == 0 ? par + 6 : par);
    double          mean, sigma;
    enum hfx_status st = gauss_constraint(r, x->mod, par, x->ptr, &mean, &sigma);
    if (st != HFX_OK) {
        return st;
    }
    if (mean != 0.0 || sigma != 1.0) {
        return bad(r, x->ptr, "parameter '%s' has a constraint other than N(0, 1)%s: pyhf's normsys and histosys use N(0, 1)",
                   par, NULL);
    }
    st = strcmp(type, "normsys") == 0 ? read_normsys_data(r, x, pyhf, out) : read_histosys_data(r, x, pyhf, out);
    return st == HFX_OK ? note_par(r, pyhf, type, x->ch, par, false, x->ptr) : st;
}

/* A staterror: Gaussian only; its uncertainties are the sample's data.errors, its parameters
 * gamma_<name>_bin_<k> (ROOT's default names: gamma_stat_<channel>_bin_<k>). */
static enum hfx_status read_staterror(struct reader * r, const struct hs3_mod * x, json_t ** out) {
    const char * ctype = str(x->mod, "constraint_type");
    if (!ctype) {
        ctype = str(json_object_get(x->dist, "staterror"), "constraint_type");
    }
    if (!ctype || strcmp(ctype, "Gauss") != 0) {
        return bad(r, x->ptr, "staterror of channel '%s' has a %s constraint: pyhf's staterror is Gaussian", x->ch,
                   ctype ? ctype : "Poisson (ROOT's default)");
    }
    json_t *        errors = NULL;
    enum hfx_status st     = numbers(r, json_object_get(json_object_get(x->sample, "data"), "errors"), x->n, x->ptr,
                                     "data.errors of a sample with a staterror", &errors);
    if (st != HFX_OK) {
        return st;
    }
    const json_t * pars = json_object_get(x->mod, "parameters");
    const char *   p0   = json_string_value(json_array_get(pars, 0));
    char           pyhf[600], first[600];
    if (pars && (json_array_size(pars) != x->n || !p0)) {
        json_decref(errors);
        return bad(r, x->ptr, "staterror of channel '%s' needs one parameter name per bin%s", x->ch, NULL);
    }
    if (pars && (st = distinct_pars(r, pars, x->ptr, "staterror")) != HFX_OK) {
        json_decref(errors);
        return st;
    }
    if (!pars) {
        hfx__format(pyhf, sizeof pyhf, "stat_%s", x->ch); /* ROOT's default names */
    } else if (!gamma_base(p0, pyhf, sizeof pyhf)) {
        hfx__format(pyhf, sizeof pyhf, "%s", p0);
    }
    for (size_t i = 0; i < x->n && st == HFX_OK; i++) {
        const char * p = pars ? json_string_value(json_array_get(pars, i)) : NULL;
        if (pars && !p) {
            json_decref(errors);
            return bad(r, x->ptr, "staterror parameters must be strings%s%s", NULL, NULL);
        }
        if (!p) {
            hfx__format(first, sizeof first, "gamma_stat_%s_bin_%zu", x->ch, i);
            p = first;
        }
        st = note_par(r, pyhf, "staterror", x->ch, p, false, x->ptr);
    }
    *out = json_pack("{s:s, s:s, s:o}", "name", pyhf, "type", "staterror", "data", errors);
    return st;
}

/* A shapesys: with a Poisson constraint pyhf's shapesys (uncertainties: the relative values times the
 * nominal; a bin without uncertainty is fixed), with a Gauss constraint and zero uncertainties ROOT's
 * encoding of a shapefactor. */
static enum hfx_status read_shapesys(struct reader * r, const struct hs3_mod * x, json_t ** out) {
    const char * ctype = str(x->mod, "constraint_type");
    ctype              = ctype ? ctype : str(x->mod, "constraint");
    json_t *        vals = NULL;
    enum hfx_status st   = numbers(r, json_object_get(json_object_get(x->mod, "data"), "vals"), x->n, x->ptr,
                                   "shapesys data.vals", &vals);
    if (st != HFX_OK) {
        return st;
    }
    bool all_zero = true;
    for (size_t i = 0; i < x->n; i++) {
        all_zero = all_zero && json_real_value(json_array_get(vals, i)) == 0.0;
    }
    bool factor = ctype && strcmp(ctype, "Gauss") == 0 && all_zero;
    if (!factor && (!ctype || strcmp(ctype, "Poisson") != 0)) {
        json_decref(vals);
        return bad(r, x->ptr, "shapesys '%s' has a %s constraint: pyhf's shapesys is Poisson (a shapefactor, one "
                   "with a Gauss constraint and zero uncertainties)", x->name ? x->name : "", ctype ? ctype : "missing");
    }
    char pyhf[600];
    hfx__format(pyhf, sizeof pyhf, "%s", x->name ? x->name : x->par);
    const json_t * pars = json_object_get(x->mod, "parameters");
    if (pars && json_array_size(pars) != x->n) {
        json_decref(vals);
        return bad(r, x->ptr, "shapesys '%s' needs one parameter per bin%s", pyhf, NULL);
    }
    if (pars && (st = distinct_pars(r, pars, x->ptr, "shapesys")) != HFX_OK) {
        json_decref(vals);
        return st;
    }
    json_t * abs = json_array();
    for (size_t i = 0; i < x->n && st == HFX_OK; i++) {
        char         def[700];
        const char * p = pars ? json_string_value(json_array_get(pars, i)) : NULL;
        if (!p) {
            hfx__format(def, sizeof def, "gamma_%s_bin_%zu", pyhf, i);
            p = def;
        }
        double v   = json_real_value(json_array_get(vals, i));
        double nom = json_number_value(json_array_get(x->nominal, i));
        /* relative x nominal may overflow (1e300 x 1e300): json_real(inf) is NULL, a bin lost */
        if (json_array_append_new(abs, json_real(v * nom)) != 0) {
            char bin[64];
            hfx__format(bin, sizeof bin, "%zu", i);
            json_decref(vals);
            json_decref(abs);
            return isfinite(v * nom) ? hfx__error_oom(r->err, "a shapesys", 0)
                                     : bad(r, x->ptr, "shapesys data.vals x the nominal is not finite in bin %s (of '%s')",
                                           bin, pyhf);
        }
        st = note_par(r, pyhf, factor ? "shapefactor" : "shapesys", x->ch, p, !factor && !(v > 0), x->ptr);
    }
    json_decref(vals);
    if (factor) {
        json_decref(abs);
        *out = json_pack("{s:s, s:s, s:n}", "name", pyhf, "type", "shapefactor", "data");
    } else {
        *out = json_pack("{s:s, s:s, s:o}", "name", pyhf, "type", "shapesys", "data", abs);
    }
    return st;
}

/* One HS3 modifier, as the pyhf modifier appended to mods: the HS3 type's reader above. */
static enum hfx_status read_modifier(struct reader * r, const struct hs3_mod * x, json_t * mods) {
    const char * type = str(x->mod, "type");
    if (!type) {
        return bad(r, x->ptr, "a modifier needs a string \"type\"%s%s", NULL, NULL);
    }
    if (!x->name && !x->par && strcmp(type, "staterror") != 0) {
        return bad(r, x->ptr, "%s modifier without \"name\" or \"parameter\"%s", type, NULL);
    }
    json_t *        out = NULL;
    enum hfx_status st;
    if (strcmp(type, "normfactor") == 0) {
        st = read_normfactor(r, x, &out);
    } else if (strcmp(type, "normsys") == 0 || strcmp(type, "histosys") == 0) {
        st = read_alpha(r, x, type, &out);
    } else if (strcmp(type, "staterror") == 0) {
        st = read_staterror(r, x, &out);
    } else if (strcmp(type, "shapesys") == 0) {
        st = read_shapesys(r, x, &out);
    } else {
        return bad(r, x->ptr, "modifier '%s' of type '%s' has no pyhf equivalent", x->name ? x->name : x->par, type);
    }
    if (st != HFX_OK) {
        json_decref(out);
        return st;
    }
    if (!out) {
        return hfx__error_oom(r->err, "a modifier", 0);
    }
    json_array_append_new(mods, out);
    return HFX_OK;
}

/* The bin count of a distribution: the product of its axes' nbins (or bounds - 1). Each factor and the
 * product are checked (size-check.h): 4294967297 x 4294967295 bins wrapped to SIZE_MAX. */
static enum hfx_status n_bins_of(struct reader * r, const json_t * dist, const char * ptr, const char * ch,
                                 size_t * out) {
    const json_t * axes = json_object_get(dist, "axes");
    size_t         n    = json_array_size(axes) ? 1 : 0;
    size_t         i;
    json_t *       a;
    json_array_foreach(axes, i, a) {
        json_t * nb = json_object_get(a, "nbins");
        json_t * b  = json_object_get(a, "bounds");
        uint64_t k  = json_is_integer(nb) && json_integer_value(nb) > 0 ? (uint64_t) json_integer_value(nb)
                      : json_is_array(b) && json_array_size(b) > 1      ? json_array_size(b) - 1
                                                                         : 0;
        if (!hfx__size_mul(n, (size_t) k, &n) || !hfx__count_ok(n, sizeof(double), NULL)) {
            char max[32];
            hfx__format(max, sizeof max, "%zu", HFX_COUNT_MAX);
            return bad(r, ptr, "distribution '%s' has more than %s bins (hfx's limit for one histogram)", ch, max);
        }
    }
    if (n == 0) {
        return bad(r, ptr, "distribution '%s' needs axes with nbins or bounds%s", ch, NULL);
    }
    *out = n;
    return HFX_OK;
}

static enum hfx_status read_channel(struct reader * r, const json_t * dist, size_t di, const char * ch, size_t * n_out,
                                    json_t ** out) {
    char ptr[128];
    hfx__format(ptr, sizeof ptr, "/distributions/%zu", di);
    const char * type = str(dist, "type");
    if (!type || strcmp(type, "histfactory_dist") != 0) {
        return bad(r, ptr, "distribution '%s' of type '%s': hfx reads HistFactory models (histfactory_dist) only", ch,
                   type ? type : "none");
    }
    size_t          n  = 0;
    enum hfx_status nst = n_bins_of(r, dist, ptr, ch, &n);
    if (nst != HFX_OK) {
        return nst;
    }
    const json_t * samples = json_object_get(dist, "samples");
    if (!json_is_array(samples) || json_array_size(samples) == 0) {
        return bad(r, ptr, "distribution '%s' needs a non-empty array \"samples\"%s", ch, NULL);
    }
    json_t * jsamples = json_array();
    json_t * channel  = json_pack("{s:s, s:o}", "name", ch, "samples", jsamples);
    size_t   i;
    json_t * s;
    json_array_foreach(samples, i, s) {
        char sptr[160];
        hfx__format(sptr, sizeof sptr, "%s/samples/%zu", ptr, i);
        const char * sname = str(s, "name");
        json_t *     nominal = NULL;
        if (!sname) {
            json_decref(channel);
            return bad(r, sptr, "a sample needs a string \"name\"%s%s", NULL, NULL);
        }
        enum hfx_status st = numbers(r, json_object_get(json_object_get(s, "data"), "contents"), n, sptr,
                                     "sample data.contents", &nominal);
        if (st != HFX_OK) {
            json_decref(channel);
            return st;
        }
        json_t * mods = json_array();
        json_array_append_new(jsamples, json_pack("{s:s, s:o, s:o}", "name", sname, "data", nominal, "modifiers", mods));
        const json_t * jmods = json_object_get(s, "modifiers");
        if (jmods && !json_is_array(jmods)) {
            json_decref(channel);
            return bad(r, sptr, "\"modifiers\" of sample '%s' must be an array%s", sname, NULL);
        }
        size_t   k;
        json_t * m;
        json_array_foreach(jmods, k, m) {
            char mptr[200];
            hfx__format(mptr, sizeof mptr, "%s/modifiers/%zu", sptr, k);
            const struct hs3_mod x = {.ch = ch, .dist = dist, .sample = s, .mod = m, .nominal = nominal, .n = n,
                                      .ptr = mptr, .name = str(m, "name"), .par = str(m, "parameter")};
            st = read_modifier(r, &x, mods);
            if (st != HFX_OK) {
                json_decref(channel);
                return st;
            }
        }
    }
    /* pyhf fixes the staterror bins without uncertainty (hs3-write.c writes them constant) */
    json_array_foreach(jsamples, i, s) {
        size_t   k;
        json_t * m;
        json_array_foreach(json_object_get(s, "modifiers"), k, m) {
            if (strcmp(str(m, "type"), "staterror") != 0) {
                continue;
            }
            json_t * set  = json_object_get(r->sets, str(m, "name"));
            json_t * pars = json_object_get(json_object_get(set, "pars"), ch);
            for (size_t b = 0; b < n; b++) {
                double sum2 = 0.0;
                size_t   q;
                json_t * o;
                json_array_foreach(jsamples, q, o) {
                    size_t   k2;
                    json_t * m2;
                    json_array_foreach(json_object_get(o, "modifiers"), k2, m2) {
                        if (strcmp(str(m2, "type"), "staterror") == 0) {
                            double e = json_real_value(json_array_get(json_object_get(m2, "data"), b));
                            sum2 += e * e;
                        }
                    }
                }
                if (!(sum2 > 0) && json_array_get(pars, b)) {
                    json_object_set_new(json_object_get(set, "zero"), json_string_value(json_array_get(pars, b)),
                                        json_true());
                }
            }
            break;
        }
    }
    *n_out = n;
    *out   = channel;
    return HFX_OK;
}

static int cmp_str(const void * a, const void * b) {
    return strcmp(json_string_value(*(json_t * const *) a), json_string_value(*(json_t * const *) b));
}

/* Init, bounds and fixed of one HS3 parameter: domains, then the parameter point, then pyhf's defaults
 * (modifier-types.h; a type without them, lumi, starts from 1 in [0, 10]). */
static void par_state(struct reader * r, const char * type, const char * par, double * init, double * lo, double * hi,
                      bool * fixed) {
    const struct hfx__modifier_rules * info = type_info(type);
    *init                                 = info->has_defaults ? info->init : 1.0;
    *lo                                   = info->has_defaults ? info->lo : 0.0;
    *hi                                   = info->has_defaults ? info->hi : 10.0;
    *fixed                                = false;
    const json_t * p = json_object_get(r->points, par);
    if (json_is_number(json_object_get(p, "value"))) {
        *init = json_number_value(json_object_get(p, "value"));
    }
    if (json_is_number(json_object_get(p, "min"))) {
        *lo = json_number_value(json_object_get(p, "min"));
    }
    if (json_is_number(json_object_get(p, "max"))) {
        *hi = json_number_value(json_object_get(p, "max"));
    }
    *fixed           = json_is_true(json_object_get(p, "const"));
    const json_t * d = json_object_get(r->ranges, par);
    if (d) {
        *lo = json_number_value(json_array_get(d, 0));
        *hi = json_number_value(json_array_get(d, 1));
    }
}

static enum hfx_status measurement_config(struct reader * r, json_t * params) {
    const char * name;
    json_t *     set;
    json_object_foreach(r->sets, name, set) {
        const char * type  = str(set, "type");
        json_t *     order = json_deep_copy(json_object_get(set, "order"));
        /* pyhf lays a set's bins out over its channels in sorted order */
        size_t   n_ch = json_array_size(order);
        json_t ** chs = hfx__malloc((n_ch + 1) * sizeof *chs);
        if (!order || !chs) {
            json_decref(order);
            free(chs);
            return hfx__error_oom(r->err, "parameter configs", 0);
        }
        for (size_t i = 0; i < n_ch; i++) {
            chs[i] = json_array_get(order, i);
        }
        qsort(chs, n_ch, sizeof *chs, cmp_str);
        json_t * inits = json_array(), * bounds = json_array();
        size_t   n_fixed = 0, n = 0;
        const char * bad_const = NULL;
        for (size_t c = 0; c < n_ch; c++) {
            const json_t * pars = json_object_get(json_object_get(set, "pars"), json_string_value(chs[c]));
            size_t         i;
            json_t *       p;
            json_array_foreach(pars, i, p) {
                double init, lo, hi;
                bool   fixed;
                par_state(r, type, json_string_value(p), &init, &lo, &hi, &fixed);
                if (type_info(type)->set == HFX_MOD_SET_SCALAR && n > 0) {
                    continue; /* the same parameter in several channels */
                }
                /* JSON numbers or pyhf's defaults, so finite: a failure here is memory */
                if (json_array_append_new(inits, json_real(init)) != 0 ||
                    json_array_append_new(bounds, json_pack("[f, f]", lo, hi)) != 0) {
                    free(chs);
                    json_decref(order);
                    json_decref(inits);
                    json_decref(bounds);
                    return hfx__error_oom(r->err, "parameter configs", 0);
                }
                n++;
                n_fixed += fixed;
                if (fixed && !json_object_get(json_object_get(set, "zero"), json_string_value(p)) && !bad_const) {
                    bad_const = json_string_value(p);
                }
            }
        }
        free(chs);
        json_decref(order);
        if (n_fixed > 0 && n_fixed < n && bad_const) {
            json_decref(inits);
            json_decref(bounds);
            return bad(r, NULL, "parameter '%s' is constant but other bins of pyhf parameter '%s' are not: pyhf fixes "
                       "whole parameter sets", bad_const, name);
        }
        /* only what differs from pyhf's defaults, so that the workspace reads as one written by hand
         * (and converts on to XML, which holds inits and bounds of a few parameter types only) */
        /* a type without defaults (lumi) writes them always */
        bool     init_default = type_info(type)->has_defaults, bounds_default = init_default;
        double   d_init, d_lo, d_hi;
        bool     d_fixed;
        par_state(r, type, "", &d_init, &d_lo, &d_hi, &d_fixed);
        for (size_t i = 0; i < n; i++) {
            init_default   = init_default && json_real_value(json_array_get(inits, i)) == d_init;
            bounds_default = bounds_default && json_real_value(json_array_get(json_array_get(bounds, i), 0)) == d_lo &&
                             json_real_value(json_array_get(json_array_get(bounds, i), 1)) == d_hi;
        }
        json_t * e = json_pack("{s:s}", "name", name);
        json_object_set_new(e, "inits", inits);
        json_object_set_new(e, "bounds", bounds);
        if (init_default) {
            json_object_del(e, "inits");
        }
        if (bounds_default) {
            json_object_del(e, "bounds");
        }
        if (n_fixed == n) {
            json_object_set_new(e, "fixed", json_true());
        }
        if (strcmp(type, "lumi") == 0) {
            json_object_set_new(e, "auxdata", json_pack("[O]", json_object_get(set, "auxdata")));
            json_object_set_new(e, "sigmas", json_pack("[O]", json_object_get(set, "sigma")));
        }
        if (json_object_size(e) > 1) {
            json_array_append_new(params, e);
        } else {
            json_decref(e);
        }
    }
    return HFX_OK;
}

/* The analysis to read: the first whose likelihood's data are not ROOT's Asimov data. */
static const json_t * pick_analysis(const json_t * root) {
    const json_t * analyses = json_object_get(root, "analyses");
    size_t         i;
    json_t *       a;
    json_array_foreach(analyses, i, a) {
        const json_t * lh   = find_named(root, "likelihoods", str(a, "likelihood") ? str(a, "likelihood") : "", NULL);
        const char *   data = json_string_value(json_array_get(json_object_get(lh, "data"), 0));
        if (lh && !(data && strncmp(data, "asimovData", 10) == 0)) {
            return a;
        }
    }
    return json_array_get(analyses, 0);
}

static enum hfx_status index_points(struct reader * r, const json_t * analysis) {
    const json_t * pts = json_object_get(r->root, "parameter_points");
    const json_t * pt  = find_named(r->root, "parameter_points", "default_values", NULL);
    pt                 = pt ? pt : json_array_get(pts, 0);
    size_t   i;
    json_t * e;
    json_array_foreach(json_object_get(pt, "parameters"), i, e) {
        if (str(e, "name")) {
            json_object_set(r->points, str(e, "name"), e);
        }
    }
    json_t * d;
    json_array_foreach(json_object_get(analysis, "domains"), i, d) {
        const json_t * dom = find_named(r->root, "domains", json_string_value(d) ? json_string_value(d) : "", NULL);
        size_t         k;
        json_t *       ax;
        json_array_foreach(json_object_get(dom, "axes"), k, ax) {
            json_t * lo = json_object_get(ax, "min"), * hi = json_object_get(ax, "max");
            if (str(ax, "name") && json_is_number(lo) && json_is_number(hi)) {
                if (json_object_set_new(r->ranges, str(ax, "name"),
                                        json_pack("[f, f]", json_number_value(lo), json_number_value(hi))) != 0) {
                    return hfx__error_oom(r->err, "HS3 domains", 0); /* JSON numbers are finite */
                }
            }
        }
    }
    return HFX_OK;
}

static enum hfx_status read_all(struct reader * r, json_t ** out) {
    const json_t * analysis = pick_analysis(r->root);
    if (!analysis) {
        return bad(r, "/analyses", "an HS3 file needs an \"analyses\" entry naming its likelihood and POI%s%s", NULL,
                   NULL);
    }
    const char *   lname = str(analysis, "likelihood");
    const json_t * lh    = find_named(r->root, "likelihoods", lname ? lname : "", NULL);
    if (!lh) {
        return bad(r, "/analyses", "likelihood '%s' of the analysis is not among the likelihoods%s", lname, NULL);
    }
    const char * poi = json_string_value(json_array_get(json_object_get(analysis, "parameters_of_interest"), 0));
    if (!poi) {
        return bad(r, "/analyses", "analysis '%s' names no parameter of interest%s", str(analysis, "name"), NULL);
    }
    const json_t * dnames = json_object_get(lh, "distributions"), * onames = json_object_get(lh, "data");
    if (!json_is_array(dnames) || !json_is_array(onames) || json_array_size(dnames) != json_array_size(onames) ||
        json_array_size(dnames) == 0) {
        return bad(r, "/likelihoods", "likelihood '%s' needs as many distributions as data, at least one%s", lname,
                   NULL);
    }
    enum hfx_status ist = index_points(r, analysis);
    if (ist != HFX_OK) {
        return ist;
    }
    json_t * channels = json_array(), * observations = json_array();
    json_t * ws = json_pack("{s:o, s:o, s:s}", "channels", channels, "observations", observations, "version", "1.0.0");
    size_t   i;
    json_t * dn;
    json_array_foreach(dnames, i, dn) {
        const char * dname = json_string_value(dn);
        const char * oname = json_string_value(json_array_get(onames, i));
        size_t       di    = 0;
        const json_t * dist = find_named(r->root, "distributions", dname ? dname : "", &di);
        const json_t * obs  = find_named(r->root, "data", oname ? oname : "", NULL);
        if (!dist || !obs) {
            json_decref(ws);
            return bad(r, "/likelihoods", "'%s' of the likelihood is not among the %s", dist ? oname : dname,
                       dist ? "data" : "distributions");
        }
        const char * ch = strncmp(dname, "model_", 6) == 0 ? dname + 6 : dname;
        json_t *     channel = NULL, * counts = NULL;
        size_t       n       = 0;
        enum hfx_status st   = read_channel(r, dist, di, ch, &n, &channel);
        if (st == HFX_OK) {
            json_array_append_new(channels, channel);
            st = numbers(r, json_object_get(obs, "contents"), n, "/data", "observed data contents", &counts);
        }
        if (st != HFX_OK) {
            json_decref(ws);
            return st;
        }
        json_array_append_new(observations, json_pack("{s:s, s:o}", "name", ch, "data", counts));
    }
    json_t *        params = json_array();
    enum hfx_status st     = measurement_config(r, params);
    const char *    mname  = str(analysis, "name");
    json_object_set_new(ws, "measurements",
                        json_pack("[{s:s, s:{s:s, s:o}}]", "name", mname ? mname : "hs3", "config", "poi", poi,
                                  "parameters", params));
    if (st != HFX_OK) {
        json_decref(ws);
        return st;
    }
    *out = ws;
    return HFX_OK;
}

enum hfx_status hfx__hs3_read(const json_t * hs3, json_t ** out, struct hfx_error * err) {
    *out            = NULL;
    struct reader r = {.root = hs3, .points = json_object(), .ranges = json_object(), .sets = json_object(), .err = err};
    enum hfx_status st = r.points && r.ranges && r.sets ? read_all(&r, out) : hfx__error_oom(err, "HS3 tables", 0);
    json_decref(r.points);
    json_decref(r.ranges);
    json_decref(r.sets);
    return st;
}
