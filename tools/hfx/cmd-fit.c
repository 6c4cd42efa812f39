/*
 * cmd-fit.c -- "hfx fit": a maximum likelihood fit, printed as {"parameters", "status", "twice_nll",
 * "uncertainties"} with parameters grouped by parameter set.
 */
#include "fit-report.h"
#include "json-out.h"
#include "options.h"

#include <math.h>
#include <stdlib.h>

enum { OPT_FIX_POI = 100, OPT_NO_POI, OPT_NO_UNCERTAINTIES, OPT_PULLS, OPT_CORRELATIONS, OPT_GOF, OPT_PYHF_KEYS,
       OPT_VALUE };

static const struct cli_opt FIT_OPTS[] = {
    {OPT_FIX_POI, "--fix-poi", NULL, "MU", "hold the POI at MU (a conditional fit)"},
    {OPT_NO_POI, "--no-poi", NULL, NULL, "build the model without a POI"},
    {OPT_NO_UNCERTAINTIES, "--no-uncertainties", NULL, NULL, "skip the Hessian and the uncertainties"},
    {OPT_PULLS, "--pulls", NULL, NULL,
     "add \"pulls\": each free constrained parameter's (bestfit - nominal) / pre-fit width (docs/analyses.md)"},
    {OPT_CORRELATIONS, "--correlations", NULL, NULL,
     "add \"correlations\": {\"names\", \"matrix\"}, the correlation matrix of the free parameters"},
    {OPT_GOF, "--goodness-of-fit", NULL, NULL,
     "add \"goodness_of_fit\": the saturated-model test of cabinetry.fit.fit(goodness_of_fit=True)"},
    {OPT_PYHF_KEYS, "--pyhf-keys", NULL, NULL,
     "print what 'pyhf fit' prints: {\"mle_parameters\": {set: [values]}} (no uncertainties; a fit at the iteration limit is an error, as in pyhf)"},
    {OPT_VALUE, "--value", NULL, NULL, "as 'pyhf fit --value': --pyhf-keys plus \"twice_nll\""},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * FIT_TABLES[] = {ws_opt_table, patchset_opt_table, interp_opt_table, engine_opt_table, timings_opt_table,
                                              FIT_OPTS,     output_opt_table,   cli_help_table,   NULL};
static const char * const FIT_POS[] = {"WORKSPACE", NULL};

static const struct cli_command FIT = {
    "fit",
    "fit WORKSPACE [options]",
    "Fits all free parameters to the observed data and prints\n"
    "{\"parameters\": {set: value or [values]}, \"status\": \"converged\"|\"max-iterations\"|\"stalled\"|\"failed\",\n"
    " \"twice_nll\": x, \"uncertainties\": {set: value or [values]}}.\n"
    "Scalar sets (normfactor, normsys, histosys, lumi) print a number, per-bin sets a list.\n"
    "--pulls, --correlations and --goodness-of-fit add what cabinetry reports of a fit (docs/analyses.md).\n"
    "--pyhf-keys and --value print pyhf fit's keys instead (every set a list); the fit's status and\n"
    "warnings then go to standard error only.",
    FIT_TABLES,
    FIT_POS,
    false,
};

struct fit_args {
    struct model_opts *    mo;
    struct hfx_fit_options fit;
    bool                   pulls, correlations, gof;
    bool                   pyhf_keys; /* print pyhf fit's "mle_parameters" (and "twice_nll" with --value) */
    bool                   value;
};

static int fit_extra(void * ctx, const struct cli_opt * o, const char * v) {
    struct fit_args * a = ctx;
    switch (o->id) {
    case OPT_FIX_POI:
        if (!cli_parse_double(v, &a->fit.poi_value)) {
            return cli_usage_error(FIT.name, "invalid value '%s' for --fix-poi (expected a finite number)", v);
        }
        a->fit.fix_poi = true;
        return CLI_OK;
    case OPT_NO_POI: a->mo->model.no_poi = true; return CLI_OK;
    case OPT_NO_UNCERTAINTIES: a->fit.uncertainties = false; return CLI_OK;
    case OPT_PULLS: a->pulls = true; return CLI_OK;
    case OPT_CORRELATIONS: a->correlations = true; return CLI_OK;
    case OPT_GOF: a->gof = true; return CLI_OK;
    case OPT_VALUE:
    case OPT_PYHF_KEYS: /* --value implies pyhf's keys */
        a->value            = a->value || o->id == OPT_VALUE;
        a->pyhf_keys        = true;
        a->fit.uncertainties = false;
        return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

/* "pulls": the free constrained parameters in model order (those with a pre-fit width). */
static json_t * pulls_json(hfx_model_t m, const struct hfx_fit_result * r) {
    json_t * list = json_array();
    for (size_t i = 0; i < hfx_model_n_pars(m); ++i) {
        double w = hfx_model_prefit_width(m, i), nominal = hfx_model_init(m)[i];
        if (!(w > 0)) {
            continue; /* unconstrained or fixed */
        }
        json_t * p = json_object();
        json_object_set_new(p, "name", json_string(hfx_model_par_name(m, i)));
        json_object_set_new(p, "bestfit", jout_num(r->pars[i]));
        json_object_set_new(p, "uncertainty", jout_num(r->uncertainties[i]));
        json_object_set_new(p, "nominal", jout_num(nominal));
        json_object_set_new(p, "prefit_uncertainty", jout_num(w));
        json_object_set_new(p, "pull", jout_num((r->pars[i] - nominal) / w));
        json_object_set_new(p, "pull_uncertainty", jout_num(r->uncertainties[i] / w));
        json_array_append_new(list, p);
    }
    return list;
}

/* "correlations": the free parameters of the fit (a held POI is not), cov_ij / sqrt(cov_ii cov_jj). */
static json_t * correlations_json(hfx_model_t m, const struct hfx_fit_options * o, const struct hfx_fit_result * r) {
    size_t   np    = hfx_model_n_pars(m);
    json_t * names = json_array(), * matrix = json_array();
    for (size_t i = 0; i < np; ++i) {
        if (hfx_model_fixed(m)[i] || (o->fix_poi && (long) i == hfx_model_poi(m))) {
            continue;
        }
        json_array_append_new(names, json_string(hfx_model_par_name(m, i)));
        json_t * row = json_array();
        for (size_t k = 0; k < np; ++k) {
            if (hfx_model_fixed(m)[k] || (o->fix_poi && (long) k == hfx_model_poi(m))) {
                continue;
            }
            const double * c = r->covariance;
            json_array_append_new(row, jout_num(c[i * np + k] / sqrt(c[i * np + i] * c[k * np + k])));
        }
        json_array_append_new(matrix, row);
    }
    json_t * j = json_object();
    json_object_set_new(j, "names", names);
    json_object_set_new(j, "matrix", matrix);
    return j;
}

static json_t * fit_json(hfx_model_t m, const struct fit_args * a, const struct hfx_fit_result * r) {
    json_t * j = json_object();
    json_object_set_new(j, "twice_nll", jout_num(r->twice_nll));
    json_object_set_new(j, "parameters", cli_parset_object(m, r->pars));
    if (r->uncertainties) {
        json_object_set_new(j, "uncertainties", cli_parset_object(m, r->uncertainties));
    }
    if (a->pulls) {
        json_object_set_new(j, "pulls", pulls_json(m, r));
    }
    if (a->correlations) {
        json_object_set_new(j, "correlations", correlations_json(m, &a->fit, r));
    }
    if (a->gof) {
        struct hfx_gof_result g;
        hfx_goodness_of_fit(m, NULL, r->twice_nll, &g, NULL); /* fails only on NULL arguments */
        json_t * jg = json_object();
        json_object_set_new(jg, "twice_nll_saturated", jout_num(g.twice_nll_saturated));
        json_object_set_new(jg, "delta_twice_nll", jout_num(g.delta_twice_nll));
        json_object_set_new(jg, "ndof", json_integer((json_int_t) g.ndof));
        json_object_set_new(jg, "p_value", jout_num(g.p_value));
        json_object_set_new(j, "goodness_of_fit", jg);
    }
    return j;
}

/* pyhf fit's output: {"mle_parameters": {set: [values]}} (model.config.par_map order does not
 * matter: the keys print sorted), "twice_nll" with --value. */
static json_t * pyhf_fit_json(hfx_model_t m, const struct hfx_fit_result * r, bool value) {
    json_t * pars = json_object();
    for (size_t s = 0; s < hfx_model_n_parsets(m); s++) {
        size_t off = hfx_model_parset_offset(m, s);
        json_object_set_new(pars, hfx_model_parset_name(m, s), jout_array(r->pars + off, hfx_model_parset_size(m, s)));
    }
    json_t * j = json_pack("{s:o}", "mle_parameters", pars);
    if (value) {
        json_object_set_new(j, "twice_nll", jout_num(r->twice_nll));
    }
    return j;
}

static int run_fit(const struct model_opts * mo, const struct fit_args * a, const char * output) {
    const struct hfx_fit_options * opts = &a->fit;
    struct session s;
    int            rc = session_open(mo, &s, true);
    if (rc != CLI_OK) {
        return rc;
    }
    struct hfx_fit_result r   = {0};
    struct hfx_error      err = {0};
    enum hfx_status       st  = hfx_fit(s.engine, opts, &r, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        rc = CLI_FAIL;
    } else if (a->pyhf_keys && (rc = pyhf_keys_check_status(r.status, "the fit")) != CLI_OK) {
        /* nothing on stdout, as pyhf prints nothing when its fit fails */
    } else {
        json_t * j = fit_json(s.model, a, &r);
        report_status(j, r.status, "the fit");
        report_warnings(j, s.engine, s.model, NULL);
        if (a->pyhf_keys) { /* status and warnings were printed on stderr; pyhf's keys only on stdout */
            json_decref(j);
            j = pyhf_fit_json(s.model, &r, a->value);
        }
        rc = jout_emit(j, output);
        json_decref(j);
    }
    session_close(&s);
    return rc;
}

int cmd_fit(int argc, char ** argv) {
    struct model_opts mo;
    struct fit_args   a = {&mo, {0}, false, false, false, false, false};
    struct cli_parsed args;
    model_opts_init(&mo, FIT.name);
    mo.engine.explore   = HFX_EXPLORE_THOROUGH; /* one fit: worth looking harder for the global minimum */
    a.fit.uncertainties = true;
    int rc              = cli_parse_command(&FIT, argc, argv, &mo, NULL, fit_extra, &a, &args);
    if (rc == CLI_OK && a.fit.fix_poi && mo.model.no_poi) {
        rc = cli_usage_error(FIT.name, "--fix-poi and --no-poi exclude each other");
        free(args.pos);
    } else if (rc == CLI_OK && a.pyhf_keys && (a.pulls || a.correlations || a.gof)) {
        rc = cli_usage_error(FIT.name, "--pyhf-keys and --value print pyhf fit's keys only: leave out --pulls, "
                                       "--correlations and --goodness-of-fit");
        free(args.pos);
    } else if (rc == CLI_OK && !a.fit.uncertainties && (a.pulls || a.correlations)) {
        rc = cli_usage_error(FIT.name, "--%s needs the uncertainties: leave out --no-uncertainties",
                             a.pulls ? "pulls" : "correlations");
        free(args.pos);
    } else if (rc == CLI_OK) {
        rc = run_fit(&mo, &a, args.output_file);
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
