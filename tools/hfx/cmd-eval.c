/*
 * cmd-eval.c -- "hfx eval": twice_nll (and optionally its gradient) at parameter values given as a
 * JSON object {set name: value or [values]}; unlisted sets keep their init values.
 */
#include "json-out.h"
#include "options.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_PARS = 100, OPT_GRAD, OPT_NO_POI };

static const struct cli_opt EVAL_OPTS[] = {
    {OPT_PARS, "--pars", NULL, "JSON|FILE", "parameter values: JSON text (starting with '{') or a JSON file"},
    {OPT_GRAD, "--grad", NULL, NULL, "also print the gradient of twice_nll"},
    {OPT_NO_POI, "--no-poi", NULL, NULL, "build the model without a POI (background-only workspaces)"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * EVAL_TABLES[] = {ws_opt_table, patchset_opt_table, interp_opt_table, engine_opt_table, timings_opt_table,
                                               EVAL_OPTS,    output_opt_table,   cli_help_table,   NULL};
static const char * const EVAL_POS[] = {"WORKSPACE", NULL};

static const struct cli_command EVAL = {
    "eval",
    "eval WORKSPACE [--pars JSON|FILE] [--grad] [options]",
    "Evaluates twice_nll = -2 log L on the observed data at the given parameters and prints\n"
    "{\"twice_nll\": x} (plus \"gradient\": {set: value or [values]} with --grad).\n"
    "--pars is an object {set name: number or [numbers]}, e.g. '{\"mu\": 0.5, \"uncorr_bkguncrt\": [1.1, 0.9]}';\n"
    "sets not listed take their init values. Values outside a parameter's bounds are errors.",
    EVAL_TABLES,
    EVAL_POS,
    false,
};

struct eval_args {
    struct model_opts * mo;
    const char *        pars;
    bool                grad;
};

static int eval_extra(void * ctx, const struct cli_opt * o, const char * v) {
    struct eval_args * a = ctx;
    switch (o->id) {
    case OPT_PARS: a->pars = v; return CLI_OK;
    case OPT_GRAD: a->grad = true; return CLI_OK;
    case OPT_NO_POI: a->mo->model.no_poi = true; return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

/* Parses --pars: JSON text when it starts with '{', else a file. Prints errors. */
static json_t * load_pars(const char * arg) {
    json_error_t jerr;
    const char * p = arg;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    json_t * j = *p == '{' ? json_loads(arg, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr)
                           : json_load_file(arg, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
    const char * name = *p == '{' ? "--pars" : arg;
    if (!j) {
        if (jerr.line > 0) {
            cli_error("%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
        } else {
            cli_error("%s: %s", name, jerr.text);
        }
        return NULL;
    }
    if (!json_is_object(j)) {
        cli_error("%s: parameter values must be a JSON object {name: value or [values]}", name);
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Writes the values of one set into pars. Prints errors. */
static int set_values(hfx_model_t m, size_t set, const char * name, const json_t * v, double * pars) {
    size_t off = hfx_model_parset_offset(m, set);
    size_t n   = hfx_model_parset_size(m, set);
    if (json_is_number(v)) {
        if (n != 1) {
            cli_error("--pars: parameter '%s' has %zu values but a single number was given", name, n);
            return CLI_FAIL;
        }
        pars[off] = json_number_value(v);
        return CLI_OK;
    }
    if (!json_is_array(v) || json_array_size(v) != n) {
        cli_error("--pars: parameter '%s' needs %s%zu number%s", name, n == 1 ? "a number or a list of " : "a list of ",
                  n, n == 1 ? "" : "s");
        return CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t * x = json_array_get(v, i);
        if (!json_is_number(x)) {
            cli_error("--pars: parameter '%s': element %zu is not a number", name, i);
            return CLI_FAIL;
        }
        pars[off + i] = json_number_value(x);
    }
    return CLI_OK;
}

/* Fills pars (init values, then those of the JSON object). Prints errors. */
static int fill_pars(hfx_model_t m, const json_t * obj, double * pars) {
    memcpy(pars, hfx_model_init(m), hfx_model_n_pars(m) * sizeof *pars);
    const char * name;
    json_t *     v;
    json_object_foreach((json_t *) obj, name, v) {
        size_t set = 0;
        if (hfx_model_find_parset(m, name, &set, NULL) != HFX_OK) {
            cli_error("--pars: unknown parameter '%s' (not in the model)", name);
            return CLI_FAIL;
        }
        if (set_values(m, set, name, v, pars) != CLI_OK) {
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

static int evaluate(const struct session * s, const double * pars, bool want_grad, const char * output) {
    size_t   n    = hfx_model_n_pars(s->model);
    double * grad = want_grad ? calloc(n ? n : 1, sizeof *grad) : NULL;
    double   v    = 0;
    if (want_grad && !grad) {
        cli_error("out of memory allocating the gradient (%zu values)", n);
        return CLI_FAIL;
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_twice_nll(s->engine, pars, NULL, &v, grad, &err);
    int              rc  = CLI_OK;
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        rc = CLI_FAIL;
    } else {
        json_t * j = json_object();
        json_object_set_new(j, "twice_nll", jout_num(v));
        if (grad) {
            json_object_set_new(j, "gradient", cli_parset_object(s->model, grad));
        }
        rc = jout_emit(j, output);
        json_decref(j);
    }
    free(grad);
    return rc;
}

static int run_eval(const struct model_opts * mo, const struct eval_args * a, const char * output) {
    json_t * obj = a->pars ? load_pars(a->pars) : json_object();
    if (!obj) {
        return CLI_FAIL;
    }
    struct session s;
    int            rc = session_open(mo, &s, true);
    if (rc == CLI_OK) {
        size_t   n    = hfx_model_n_pars(s.model);
        double * pars = malloc((n ? n : 1) * sizeof *pars);
        rc            = pars ? fill_pars(s.model, obj, pars) : CLI_FAIL;
        if (!pars) {
            cli_error("out of memory allocating %zu parameter values", n);
        }
        if (rc == CLI_OK) {
            rc = cli_check_in_bounds(s.model, pars, "--pars", false);
        }
        if (rc == CLI_OK) {
            rc = evaluate(&s, pars, a->grad, output);
        }
        free(pars);
        session_close(&s);
    }
    json_decref(obj);
    return rc;
}

int cmd_eval(int argc, char ** argv) {
    struct model_opts mo;
    struct eval_args  a = {&mo, NULL, false};
    struct cli_parsed args;
    model_opts_init(&mo, EVAL.name);
    mo.check_init = false; /* eval checks the point it evaluates: the given values and the inits of the rest */
    int rc = cli_parse_command(&EVAL, argc, argv, &mo, NULL, eval_extra, &a, &args);
    if (rc == CLI_OK) {
        rc = run_eval(&mo, &a, args.output_file);
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
