/*
 * cmd-inspect.c -- "hfx inspect": a summary of a workspace (after patches) in pyhf inspect's layout,
 * extended with modifier counts by type and each parameter's size, init, bounds and fixed flag; or
 * the same facts as JSON with --json. The summary is built once as JSON and printed from it; its
 * facts come from the public API: the workspace's validated spec (hfx_spec_*) and its model.
 */
#include "json-out.h"
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_JSON = 100, OPT_INSPECT_PYHF_KEYS };

static const struct cli_opt INSPECT_OPTS[] = {
    {OPT_JSON, "--json", NULL, NULL, "print the summary as JSON"},
    {OPT_INSPECT_PYHF_KEYS, "--pyhf-keys", NULL, NULL,
     "the JSON (--json, --output-file) in pyhf inspect's layout: channels, samples, modifiers, parameters, "
     "systematics, measurements"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * INSPECT_TABLES[] = {ws_opt_table,     patchset_opt_table, interp_opt_table,
                                                  INSPECT_OPTS,     output_opt_table,   cli_help_table,
                                                  NULL};
static const char * const INSPECT_POS[] = {"WORKSPACE", NULL};

static const struct cli_command INSPECT = {
    "inspect",
    "inspect WORKSPACE [--json] [options]",
    "Summarises the workspace (after -p and --patchset patches): channels and their bins, samples,\n"
    "modifiers, parameters (constraint, modifier types, size, init, bounds, fixed) and measurements;\n"
    "(*) marks the measurement in use. --json prints the same as a JSON object (--pyhf-keys: the\n"
    "object pyhf inspect --output-file writes).",
    INSPECT_TABLES,
    INSPECT_POS,
    false,
};

struct inspect_args {
    bool as_json;
    bool pyhf_keys;
};

static int inspect_extra(void * ctx, const struct cli_opt * o, const char * v) {
    (void) v;
    struct inspect_args * a = ctx;
    if (o->id == OPT_JSON) {
        a->as_json = true;
    } else if (o->id == OPT_INSPECT_PYHF_KEYS) {
        a->pyhf_keys = true;
    } else {
        return CLI_NOT_MINE;
    }
    return CLI_OK;
}

static const char * str(const json_t * j) {
    const char * s = json_string_value(j);
    return s ? s : "";
}

static int cmp_str(const void * a, const void * b) {
    return strcmp(*(const char * const *) a, *(const char * const *) b);
}

/* The keys of obj, sorted; free() the array. */
static const char ** sorted_keys(const json_t * obj) {
    size_t        n    = json_object_size(obj);
    const char ** keys = malloc((n ? n : 1) * sizeof *keys);
    size_t        k    = 0;
    const char *  key;
    json_t *      v;
    json_object_foreach((json_t *) obj, key, v) {
        if (keys) {
            keys[k++] = key;
        }
    }
    if (keys) {
        qsort(keys, k, sizeof *keys, cmp_str);
    }
    return keys;
}

/* Sorted array of the keys of obj. */
static json_t * key_array(const json_t * obj) {
    const char ** keys = sorted_keys(obj);
    json_t *      a    = json_array();
    for (size_t i = 0; keys && i < json_object_size(obj); i++) {
        json_array_append_new(a, json_string(keys[i]));
    }
    free(keys);
    return a;
}

//
// Facts from the workspace (its validated spec, hfx_spec_*)
//

/* [{"name", "nbins", "samples": [...]}], sorted by name; nbins from the first sample as pyhf. */
static json_t * channels_json(hfx_spec_t spec) {
    json_t * by_name = json_object();
    size_t   i;
    for (i = 0; i < hfx_spec_n_channels(spec); i++) {
        json_t * samples = json_array();
        for (size_t k = 0; k < hfx_spec_channel_n_samples(spec, i); k++) {
            json_array_append_new(samples, json_string(hfx_spec_sample_name(spec, i, k)));
        }
        json_t * e = json_pack("{s:s, s:I, s:o}", "name", hfx_spec_channel_name(spec, i), "nbins",
                               (json_int_t) hfx_spec_channel_n_bins(spec, i), "samples", samples);
        json_object_set_new(by_name, hfx_spec_channel_name(spec, i), e);
    }
    const char ** keys = sorted_keys(by_name);
    json_t *      out  = json_array();
    for (i = 0; keys && i < json_object_size(by_name); i++) {
        json_array_append(out, json_object_get(by_name, keys[i]));
    }
    free(keys);
    json_decref(by_name);
    return out;
}

/* Sorted unique sample names, and unique (name, type) modifier pairs sorted as tuples. */
static void samples_and_modifiers(hfx_spec_t spec, json_t ** samples, json_t ** modifiers, json_t ** type_counts) {
    json_t * snames = json_object();
    json_t * pairs  = json_object();
    json_t * counts = json_object();
    size_t   i;
    for (i = 0; i < hfx_spec_n_channels(spec); i++) {
        for (size_t k = 0; k < hfx_spec_channel_n_samples(spec, i); k++) {
            json_object_set_new(snames, hfx_spec_sample_name(spec, i, k), json_true());
            struct hfx_modifier_info mod;
            for (size_t m = 0; hfx_spec_modifier(spec, i, k, m, &mod); m++) {
                char key[1100];
                snprintf(key, sizeof key, "%s\x01%s", mod.name, mod.type);
                json_object_set_new(pairs, key, json_pack("[s,s]", mod.name, mod.type));
                json_int_t c = json_integer_value(json_object_get(counts, mod.type));
                json_object_set_new(counts, mod.type, json_integer(c + 1));
            }
        }
    }
    *samples               = key_array(snames);
    const char ** keys     = sorted_keys(pairs);
    *modifiers             = json_array();
    for (i = 0; keys && i < json_object_size(pairs); i++) {
        json_array_append(*modifiers, json_object_get(pairs, keys[i]));
    }
    free(keys);
    json_decref(snames);
    json_decref(pairs);
    *type_counts = counts;
}

/* [{"name", "poi", "parameters": [...], "default": bool}] in workspace order. */
static json_t * measurements_json(hfx_spec_t spec, const char * chosen) {
    json_t * out = json_array();
    for (size_t i = 0; i < hfx_spec_n_measurements(spec); i++) {
        const char *                name = hfx_spec_measurement_name(spec, i);
        json_t *                    pars = json_array();
        struct hfx_parameter_config par;
        for (size_t k = 0; hfx_spec_measurement_parameter(spec, i, k, &par); k++) {
            json_array_append_new(pars, json_string(par.name));
        }
        bool is_default = chosen ? strcmp(name, chosen) == 0 : i == 0;
        json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:b}", "name", name, "poi",
                                             hfx_spec_measurement_poi(spec, i), "parameters", pars, "default",
                                             is_default));
    }
    return out;
}

//
// Facts from the model
//

static const char * constraint_of(const char * type) {
    if (strcmp(type, "normfactor") == 0 || strcmp(type, "shapefactor") == 0) {
        return "unconstrained";
    }
    return strcmp(type, "shapesys") == 0 ? "constrained_by_poisson" : "constrained_by_normal";
}

static json_t * bounds_json(hfx_model_t m, size_t off, size_t n, bool scalar) {
    json_t * a = json_array();
    for (size_t i = off; i < off + n; i++) {
        json_t * pair = json_array();
        json_array_append_new(pair, jout_num(hfx_model_lower(m)[i]));
        json_array_append_new(pair, jout_num(hfx_model_upper(m)[i]));
        if (scalar) {
            json_decref(a);
            return pair;
        }
        json_array_append_new(a, pair);
    }
    return a;
}

static json_t * fixed_json(hfx_model_t m, size_t off, size_t n, bool scalar) {
    if (scalar) {
        return json_boolean(hfx_model_fixed(m)[off]);
    }
    json_t * a = json_array();
    for (size_t i = off; i < off + n; i++) {
        json_array_append_new(a, json_boolean(hfx_model_fixed(m)[i]));
    }
    return a;
}

/* The sorted modifier types of parameter name, from the sorted (name, type) pairs. */
static json_t * modifier_types_of(const json_t * modifiers, const char * name) {
    json_t * types = json_array();
    size_t   i;
    json_t * pair;
    json_array_foreach(modifiers, i, pair) {
        if (strcmp(str(json_array_get(pair, 0)), name) == 0) {
            json_array_append(types, json_array_get(pair, 1));
        }
    }
    return types;
}

static json_t * parameter_json(hfx_model_t m, size_t set, const json_t * modifiers) {
    size_t       off    = hfx_model_parset_offset(m, set);
    size_t       n      = hfx_model_parset_size(m, set);
    bool         scalar = cli_parset_scalar(m, set);
    const char * name   = hfx_model_parset_name(m, set);
    const char * type   = hfx_model_parset_type(m, set);
    json_t *     p      = json_object();
    json_object_set_new(p, "name", json_string(name));
    json_object_set_new(p, "type", json_string(type));
    json_object_set_new(p, "constraint", json_string(constraint_of(type)));
    json_object_set_new(p, "modifiers", modifier_types_of(modifiers, name));
    json_object_set_new(p, "offset", json_integer((json_int_t) off));
    json_object_set_new(p, "size", json_integer((json_int_t) n));
    json_object_set_new(p, "init", jout_values(hfx_model_init(m) + off, n, scalar));
    json_object_set_new(p, "bounds", bounds_json(m, off, n, scalar));
    json_object_set_new(p, "fixed", fixed_json(m, off, n, scalar));
    return p;
}

/* Parameters sorted by name, as pyhf inspect. */
static json_t * parameters_json(hfx_model_t m, const json_t * modifiers) {
    json_t * by_name = json_object();
    for (size_t s = 0; s < hfx_model_n_parsets(m); s++) {
        json_object_set_new(by_name, hfx_model_parset_name(m, s), parameter_json(m, s, modifiers));
    }
    const char ** keys = sorted_keys(by_name);
    json_t *      out  = json_array();
    for (size_t i = 0; keys && i < json_object_size(by_name); i++) {
        json_array_append(out, json_object_get(by_name, keys[i]));
    }
    free(keys);
    json_decref(by_name);
    return out;
}

static json_t * summary_json(hfx_spec_t spec, hfx_model_t m, const char * measurement) {
    json_t *samples, *modifiers, *type_counts;
    samples_and_modifiers(spec, &samples, &modifiers, &type_counts);
    json_t * j   = json_object();
    long     poi = hfx_model_poi(m);
    json_object_set_new(j, "channels", channels_json(spec));
    json_object_set_new(j, "samples", samples);
    json_object_set_new(j, "modifiers", modifiers);
    json_object_set_new(j, "modifier_types", type_counts);
    json_object_set_new(j, "parameters", parameters_json(m, modifiers));
    /* the parameter vector's layout (pyhf's model.config.par_order); "parameters" is sorted by name */
    json_t * order = json_array();
    for (size_t s = 0; s < hfx_model_n_parsets(m); s++) {
        json_array_append_new(order, json_string(hfx_model_parset_name(m, s)));
    }
    json_object_set_new(j, "par_order", order);
    json_object_set_new(j, "measurements", measurements_json(spec, measurement));
    json_object_set_new(j, "n_pars", json_integer((json_int_t) hfx_model_n_pars(m)));
    json_object_set_new(j, "n_bins", json_integer((json_int_t) hfx_model_n_bins(m)));
    json_object_set_new(j, "n_aux", json_integer((json_int_t) hfx_model_n_aux(m)));
    json_object_set_new(j, "poi", json_null());
    for (size_t s = 0; poi >= 0 && s < hfx_model_n_parsets(m); s++) {
        size_t off = hfx_model_parset_offset(m, s);
        if ((size_t) poi >= off && (size_t) poi < off + hfx_model_parset_size(m, s)) {
            json_object_set_new(j, "poi", json_string(hfx_model_parset_name(m, s)));
        }
    }
    return j;
}

/* pyhf inspect's JSON (what its --output-file writes), from hfx's summary j: [channel, nbins] pairs,
 * samples, {modifier: type} (as pyhf's dict() of the sorted pairs, the last type of a name wins),
 * sorted [parameter, constraint] pairs, [parameter, constraint, [modifier types]] ("systematics") and
 * [measurement, poi, [parameter names]]. */
static json_t * pyhf_summary_json(const json_t * j) {
    json_t * out = json_object();
    json_t * channels = json_array();
    size_t   i;
    json_t * e;
    json_array_foreach(json_object_get(j, "channels"), i, e) {
        json_array_append_new(channels, json_pack("[O,O]", json_object_get(e, "name"), json_object_get(e, "nbins")));
    }
    json_t * modifiers = json_object();
    json_array_foreach(json_object_get(j, "modifiers"), i, e) {
        json_object_set(modifiers, str(json_array_get(e, 0)), json_array_get(e, 1));
    }
    json_t * parameters  = json_array();
    json_t * systematics = json_array();
    json_array_foreach(json_object_get(j, "parameters"), i, e) {
        json_t * name = json_object_get(e, "name"), *constraint = json_object_get(e, "constraint");
        json_array_append_new(parameters, json_pack("[O,O]", name, constraint));
        json_array_append_new(systematics, json_pack("[O,O,O]", name, constraint, json_object_get(e, "modifiers")));
    }
    json_t * measurements = json_array();
    json_array_foreach(json_object_get(j, "measurements"), i, e) {
        json_array_append_new(measurements, json_pack("[O,O,O]", json_object_get(e, "name"), json_object_get(e, "poi"),
                                                      json_object_get(e, "parameters")));
    }
    json_object_set_new(out, "channels", channels);
    json_object_set(out, "samples", json_object_get(j, "samples"));
    json_object_set_new(out, "modifiers", modifiers);
    json_object_set_new(out, "parameters", parameters);
    json_object_set_new(out, "systematics", systematics);
    json_object_set_new(out, "measurements", measurements);
    return out;
}

//
// Text output
//

static int name_width(const json_t * arr, const char * key, int w) {
    size_t   i;
    json_t * e;
    json_array_foreach(arr, i, e) {
        const char * s = key ? str(json_object_get(e, key)) : str(e);
        w              = (int) strlen(s) > w ? (int) strlen(s) : w;
    }
    return w;
}

/* A value or a uniform list as "%g", a varying list as "min..max". */
static void format_values(const json_t * v, char * buf, size_t size) {
    if (!json_is_array(v)) {
        snprintf(buf, size, "%g", json_number_value(v));
        return;
    }
    double lo = json_number_value(json_array_get(v, 0)), hi = lo;
    size_t i;
    json_t * x;
    json_array_foreach(v, i, x) {
        double d = json_number_value(x);
        lo       = d < lo ? d : lo;
        hi       = d > hi ? d : hi;
    }
    if (lo == hi) {
        snprintf(buf, size, "%g", lo);
    } else {
        snprintf(buf, size, "%g..%g", lo, hi);
    }
}

static void format_bounds(const json_t * b, char * buf, size_t size) {
    const json_t * pair = json_is_array(json_array_get(b, 0)) ? json_array_get(b, 0) : b;
    bool           same = true;
    size_t         i;
    json_t *       p;
    if (pair != b) {
        json_array_foreach(b, i, p) {
            same = same && json_equal(p, (json_t *) pair);
        }
    }
    snprintf(buf, size, "[%g, %g]%s", json_number_value(json_array_get(pair, 0)),
             json_number_value(json_array_get(pair, 1)), same ? "" : " (varies)");
}

static const char * format_fixed(const json_t * f) {
    if (!json_is_array(f)) {
        return json_is_true(f) ? "yes" : "no";
    }
    size_t   i, n_true = 0;
    json_t * x;
    json_array_foreach(f, i, x) {
        n_true += json_is_true(x);
    }
    return n_true == 0 ? "no" : n_true == json_array_size(f) ? "yes" : "some";
}

static void join_strings(const json_t * arr, char * buf, size_t size, const char * empty) {
    size_t   n = 0, i;
    json_t * e;
    buf[0]     = '\0';
    json_array_foreach(arr, i, e) {
        if (n < size) {
            int k = snprintf(buf + n, size - n, "%s%s", i ? "," : "", str(e));
            n += k > 0 ? (size_t) k : 0;
        }
    }
    if (!buf[0]) {
        snprintf(buf, size, "%s", empty);
    }
}

/* Distinct modifier names: pyhf inspect counts dict(ws.modifiers). */
static size_t count_modifier_names(const json_t * pairs) {
    size_t       n    = 0, i;
    const char * prev = NULL;
    json_t *     pair;
    json_array_foreach(pairs, i, pair) {
        const char * name = str(json_array_get(pair, 0));
        n += !prev || strcmp(prev, name) != 0;
        prev = name;
    }
    return n;
}

static void print_summary_counts(const json_t * j, int w) {
    printf("%*s  %s\n", w + 7, "     Summary     ", "");
    printf("%*s  %s\n", w + 7, "------------------", "");
    const char * keys[] = {"channels", "samples", "parameters"};
    for (size_t i = 0; i < 3; i++) {
        printf("%*s  %zu\n", w, keys[i], json_array_size(json_object_get(j, keys[i])));
    }
    printf("%*s  %zu\n", w, "modifiers", count_modifier_names(json_object_get(j, "modifiers")));
    printf("\n%*s  %s\n%*s  %s\n", w, "channels", "nbins", w, "----------", "-----");
    size_t   i;
    json_t * e;
    json_array_foreach(json_object_get(j, "channels"), i, e) {
        char nb[32];
        snprintf(nb, sizeof nb, "%lld", (long long) json_integer_value(json_object_get(e, "nbins")));
        int pad = 5 - (int) strlen(nb); /* centred as Python's '^5s' */
        printf("%*s  %*s%s%*s\n", w, str(json_object_get(e, "name")), pad > 0 ? pad / 2 : 0, "", nb,
               pad > 0 ? pad - pad / 2 : 0, "");
    }
    printf("\n%*s\n%*s\n", w, "samples", w, "----------");
    json_array_foreach(json_object_get(j, "samples"), i, e) {
        printf("%*s\n", w, str(e));
    }
}

static void print_modifier_types(const json_t * j, int w) {
    const json_t * counts = json_object_get(j, "modifier_types");
    const char **  keys   = sorted_keys(counts);
    printf("\n%*s  %s\n%*s  %s\n", w, "modifier type", "count", w, "----------", "-----");
    for (size_t i = 0; keys && i < json_object_size(counts); i++) {
        printf("%*s  %lld\n", w, keys[i], (long long) json_integer_value(json_object_get(counts, keys[i])));
    }
    free(keys);
}

static void print_parameters(const json_t * j, int w) {
    int      wm = 10;
    size_t   i;
    json_t * p;
    char     mods[512], init[128], bounds[160];
    json_array_foreach(json_object_get(j, "parameters"), i, p) {
        join_strings(json_object_get(p, "modifiers"), mods, sizeof mods, "");
        wm = (int) strlen(mods) > wm ? (int) strlen(mods) : wm;
    }
    printf("\n%*s  %-22s  %-*s  %5s  %-12s  %-24s  %s\n", w, "parameters", "constraint", wm, "modifiers", "size",
           "init", "bounds", "fixed");
    printf("%*s  %-22s  %-*s  %5s  %-12s  %-24s  %s\n", w, "----------", "----------", wm, "----------", "----",
           "----", "------", "-----");
    json_array_foreach(json_object_get(j, "parameters"), i, p) {
        join_strings(json_object_get(p, "modifiers"), mods, sizeof mods, "");
        format_values(json_object_get(p, "init"), init, sizeof init);
        format_bounds(json_object_get(p, "bounds"), bounds, sizeof bounds);
        printf("%*s  %-22s  %-*s  %5lld  %-12s  %-24s  %s\n", w, str(json_object_get(p, "name")),
               str(json_object_get(p, "constraint")), wm, mods,
               (long long) json_integer_value(json_object_get(p, "size")), init, bounds,
               format_fixed(json_object_get(p, "fixed")));
    }
}

static void print_measurements(const json_t * j, int w) {
    printf("\n%*s  %-22s  %s\n", w, "measurement", "         poi", "parameters");
    printf("%*s  %s  %s\n", w, "----------", "      ----------      ", "----------");
    size_t   i;
    json_t * m;
    json_array_foreach(json_object_get(j, "measurements"), i, m) {
        char name[600], pars[4096], poi[300];
        snprintf(name, sizeof name, "%s%s", json_is_true(json_object_get(m, "default")) ? "(*) " : "",
                 str(json_object_get(m, "name")));
        join_strings(json_object_get(m, "parameters"), pars, sizeof pars, "(none)");
        const char * p   = str(json_object_get(m, "poi"));
        int          pad = 22 - (int) strlen(p); /* centred as Python's '^22s' */
        snprintf(poi, sizeof poi, "%*s%s%*s", pad > 0 ? pad / 2 : 0, "", p, pad > 0 ? pad - pad / 2 : 0, "");
        printf("%*s  %s  %s\n", w, name, poi, pars);
    }
    printf("\n");
}

static void print_text(const json_t * j) {
    int w = name_width(json_object_get(j, "channels"), "name", 0);
    w     = name_width(json_object_get(j, "samples"), NULL, w);
    w     = name_width(json_object_get(j, "parameters"), "name", w);
    w     = name_width(json_object_get(j, "measurements"), "name", w);
    print_summary_counts(j, w);
    print_modifier_types(j, w);
    print_parameters(j, w);
    print_measurements(j, w);
}

//
// The command
//

/* The model of ws; a background-only workspace (whose POI no sample carries) is retried without a
 * POI so that it can still be inspected. Prints errors. */
static int inspect_model(const struct model_opts * mo, hfx_workspace_t ws, hfx_model_t * out) {
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_model_create(ws, &mo->model, out, &err);
    if (st != HFX_OK && !mo->model.no_poi) {
        struct hfx_model_options no_poi = mo->model;
        no_poi.no_poi                   = true;
        if (hfx_model_create(ws, &no_poi, out, NULL) == HFX_OK) {
            return CLI_OK;
        }
    }
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* The workspace's validated spec. Prints errors. */
static int inspect_spec(hfx_workspace_t ws, hfx_spec_t * out) {
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_workspace_spec(ws, out, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int run_inspect(const struct model_opts * mo, const struct inspect_args * a, const char * output) {
    hfx_workspace_t ws    = NULL;
    hfx_model_t     model = NULL;
    hfx_spec_t      spec  = NULL;
    int             rc    = model_opts_workspace(mo, &ws);
    if (rc == CLI_OK) {
        rc = inspect_model(mo, ws, &model);
    }
    if (rc == CLI_OK) {
        rc = inspect_spec(ws, &spec);
    }
    if (rc == CLI_OK) {
        json_t * j = summary_json(spec, model, mo->model.measurement);
        if ((a->as_json || output) && a->pyhf_keys) {
            json_t * pj = pyhf_summary_json(j);
            rc          = jout_emit(pj, output);
            json_decref(pj);
        } else if (a->as_json || output) {
            rc = jout_emit(j, output);
        } else {
            print_text(j);
        }
        json_decref(j);
    }
    hfx_spec_free(spec);
    hfx_model_free(model);
    hfx_workspace_free(ws);
    return rc;
}

int cmd_inspect(int argc, char ** argv) {
    struct model_opts mo;
    struct cli_parsed args;
    struct inspect_args a = {false, false};
    model_opts_init(&mo, INSPECT.name);
    int rc = cli_parse_command(&INSPECT, argc, argv, &mo, NULL, inspect_extra, &a, &args);
    if (rc == CLI_OK) {
        rc = run_inspect(&mo, &a, args.output_file);
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
