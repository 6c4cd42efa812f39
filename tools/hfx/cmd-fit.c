/*
 * cmd-fit.c -- "hfx fit": a maximum likelihood fit, printed as {"parameters", "status", "twice_nll",
 * "uncertainties"} with parameters grouped by parameter set.
 */
#include "fit-report.h"
#include "json-out.h"
#include "options.h"

#include <stdlib.h>

enum { OPT_FIX_POI = 100, OPT_NO_POI, OPT_NO_UNCERTAINTIES };

static const struct cli_opt FIT_OPTS[] = {
    {OPT_FIX_POI, "--fix-poi", NULL, "MU", "hold the POI at MU (a conditional fit)"},
    {OPT_NO_POI, "--no-poi", NULL, NULL, "build the model without a POI"},
    {OPT_NO_UNCERTAINTIES, "--no-uncertainties", NULL, NULL, "skip the Hessian and the uncertainties"},
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
    "Scalar sets (normfactor, normsys, histosys, lumi) print a number, per-bin sets a list.",
    FIT_TABLES,
    FIT_POS,
    false,
};

struct fit_args {
    struct model_opts *    mo;
    struct hfx_fit_options fit;
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
    default: return CLI_NOT_MINE;
    }
}

static json_t * fit_json(hfx_model_t m, const struct hfx_fit_result * r) {
    json_t * j = json_object();
    json_object_set_new(j, "twice_nll", jout_num(r->twice_nll));
    json_object_set_new(j, "parameters", cli_parset_object(m, r->pars));
    if (r->uncertainties) {
        json_object_set_new(j, "uncertainties", cli_parset_object(m, r->uncertainties));
    }
    return j;
}

static int run_fit(const struct model_opts * mo, const struct hfx_fit_options * opts, const char * output) {
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
    } else {
        json_t * j = fit_json(s.model, &r);
        report_status(j, r.status, "the fit");
        report_warnings(j, s.engine, s.model, NULL);
        rc = jout_emit(j, output);
        json_decref(j);
    }
    session_close(&s);
    return rc;
}

int cmd_fit(int argc, char ** argv) {
    struct model_opts mo;
    struct fit_args   a = {&mo, {0}};
    struct cli_parsed args;
    model_opts_init(&mo, FIT.name);
    mo.engine.explore   = HFX_EXPLORE_THOROUGH; /* one fit: worth looking harder for the global minimum */
    a.fit.uncertainties = true;
    int rc              = cli_parse_command(&FIT, argc, argv, &mo, NULL, fit_extra, &a, &args);
    if (rc == CLI_OK && a.fit.fix_poi && mo.model.no_poi) {
        rc = cli_usage_error(FIT.name, "--fix-poi and --no-poi exclude each other");
        free(args.pos);
    } else if (rc == CLI_OK) {
        rc = run_fit(&mo, &a.fit, args.output_file);
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
