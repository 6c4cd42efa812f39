/*
 * cmd-analyses.c -- the analyses of a likelihood, as cabinetry.fit runs them (docs/analyses.md):
 * "hfx ranking" (impacts of the nuisance parameters on the POI), "hfx profile-scan" (a profile
 * likelihood over one parameter or a grid of two) and "hfx significance" (discovery p0 and Z). Each
 * takes the options of every model-building command and prints one JSON object; the library runs
 * every fit beyond the nominal one as one batch (src/workflow/). The Python module's hfx.fit builds
 * the same objects from the same library calls (python/hfx/fit.py: to_dict()).
 */
#include "fit-report.h"
#include "json-out.h"
#include "options.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_PARAMETER = 100, OPT_PAR, OPT_RANGE, OPT_NO_POI };

static const char * const WS_POS[] = {"WORKSPACE", NULL};

/* The index of the parameter called name (pyhf's par_names); prints the error. */
static int find_par(hfx_model_t m, const char * name, size_t * index) {
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_model_find_par(m, name, index, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

//
// hfx ranking
//

static const struct cli_opt RANKING_OPTS[] = {
    {OPT_PARAMETER, "--parameter", NULL, "NAME",
     "rank only this parameter (repeatable; names as pyhf's par_names, e.g. 'staterror_SR[0]')"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * RANKING_TABLES[] = {ws_opt_table, patchset_opt_table, interp_opt_table,
                                                  engine_opt_table, timings_opt_table, RANKING_OPTS,
                                                  output_opt_table, cli_help_table, NULL};
static const struct cli_command RANKING = {
    "ranking",
    "ranking WORKSPACE [options]",
    "The impact of each free constrained nuisance parameter on the POI, as cabinetry.fit.ranking:\n"
    "the POI's best fit with the parameter held at its best fit +- its pre-fit and post-fit\n"
    "uncertainty, everything else refitted, minus the nominal best fit. All refits run as one batch.\n"
    "Prints {\"poi\", \"bestfit\", \"uncertainty\", \"twice_nll\", \"ranking\": [{\"name\", \"bestfit\",\n"
    "\"uncertainty\", \"prefit_uncertainty\", \"nominal\", \"pull\", \"pull_uncertainty\",\n"
    "\"impact_prefit_up\", \"impact_prefit_down\", \"impact_postfit_up\", \"impact_postfit_down\"}, ...],\n"
    "\"status\"}, sorted by decreasing post-fit impact (cabinetry's ranking plot order).",
    RANKING_TABLES,
    WS_POS,
    false,
};

static int ranking_extra(void * ctx, const struct cli_opt * o, const char * v) {
    return o->id == OPT_PARAMETER ? cli_strings_add(ctx, v) : CLI_NOT_MINE;
}

static json_t * ranking_json(hfx_model_t m, const struct hfx_ranking_result * r) {
    json_t * j = json_object();
    json_object_set_new(j, "poi", json_string(hfx_model_par_name(m, (size_t) hfx_model_poi(m))));
    json_object_set_new(j, "bestfit", jout_num(r->poi_bestfit));
    json_object_set_new(j, "uncertainty", jout_num(r->poi_uncertainty));
    json_object_set_new(j, "twice_nll", jout_num(r->twice_nll));
    json_t * list = json_array();
    for (size_t k = 0; k < r->n_entries; ++k) {
        const struct hfx_ranking_entry * en = &r->entries[k];
        json_t *                         je = json_object();
        json_object_set_new(je, "name", json_string(hfx_model_par_name(m, en->par)));
        json_object_set_new(je, "bestfit", jout_num(en->bestfit));
        json_object_set_new(je, "uncertainty", jout_num(en->uncertainty));
        json_object_set_new(je, "prefit_uncertainty", jout_num(en->prefit_uncertainty));
        json_object_set_new(je, "nominal", jout_num(en->nominal));
        json_object_set_new(je, "pull", jout_num((en->bestfit - en->nominal) / en->prefit_uncertainty));
        json_object_set_new(je, "pull_uncertainty", jout_num(en->uncertainty / en->prefit_uncertainty));
        json_object_set_new(je, "impact_prefit_up", jout_num(en->impact_prefit_up));
        json_object_set_new(je, "impact_prefit_down", jout_num(en->impact_prefit_down));
        json_object_set_new(je, "impact_postfit_up", jout_num(en->impact_postfit_up));
        json_object_set_new(je, "impact_postfit_down", jout_num(en->impact_postfit_down));
        json_object_set_new(je, "status", json_string(hfx_fit_status_str(en->status)));
        json_array_append_new(list, je);
    }
    json_object_set_new(j, "ranking", list);
    return j;
}

int cmd_ranking(int argc, char ** argv) {
    struct model_opts mo;
    struct cli_strings names = {0};
    struct cli_parsed args;
    model_opts_init(&mo, RANKING.name);
    int rc = cli_parse_command(&RANKING, argc, argv, &mo, NULL, ranking_extra, &names, &args);
    if (rc == CLI_OK) {
        struct session s;
        size_t *       pars = NULL;
        rc                  = session_open(&mo, &s, true);
        if (rc == CLI_OK && hfx_model_poi(s.model) < 0) {
            cli_error("%s: a ranking needs a POI; the measurement '%s' names none", mo.ws_path,
                      mo.model.measurement ? mo.model.measurement : "(the first)");
            rc = CLI_FAIL;
        }
        if (rc == CLI_OK && names.n > 0) {
            pars = malloc(names.n * sizeof *pars);
            rc   = pars ? CLI_OK : CLI_FAIL;
            for (size_t k = 0; rc == CLI_OK && k < names.n; ++k) {
                rc = find_par(s.model, names.v[k], &pars[k]);
            }
        }
        if (rc == CLI_OK) {
            struct hfx_ranking_options o   = {.pars = pars, .n_pars = names.n};
            struct hfx_ranking_result  r   = {0};
            struct hfx_error           err = {0};
            enum hfx_status            st  = hfx_ranking(s.engine, &o, &r, &err);
            if (st != HFX_OK) {
                cli_error_hfx(st, &err);
                rc = CLI_FAIL;
            } else {
                json_t * j = ranking_json(s.model, &r);
                report_status(j, r.status, "a fit of the ranking");
                report_warnings(j, s.engine, s.model, NULL);
                rc = jout_emit(j, args.output_file);
                json_decref(j);
            }
            hfx_ranking_result_free(&r);
        }
        session_close(&s);
        free(pars);
        free(args.pos);
    }
    free(names.v);
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}

//
// hfx profile-scan
//

static const struct cli_opt PSCAN_OPTS[] = {
    {OPT_PAR, "--par", NULL, "NAME", "the parameter to scan (give two for a 2-D grid)"},
    {OPT_RANGE, "--range", NULL, "LO,HI[,N]",
     "the grid of the --par before it: N points (default 11) from LO to HI; without it, the best fit\n"
     "+- 2 uncertainties (cabinetry.fit.scan's default), within the parameter's bounds"},
    {OPT_NO_POI, "--no-poi", NULL, NULL, "build the model without a POI (a background-only workspace)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * PSCAN_TABLES[] = {ws_opt_table, patchset_opt_table, interp_opt_table,
                                                engine_opt_table, timings_opt_table, PSCAN_OPTS,
                                                output_opt_table, cli_help_table, NULL};
static const struct cli_command PSCAN = {
    "profile-scan",
    "profile-scan WORKSPACE --par NAME [--range LO,HI[,N]] [--par NAME2 [--range LO,HI[,N]]] [options]",
    "A profile likelihood scan, as cabinetry.fit.scan: at each grid point a fit with the scanned\n"
    "parameters held there, everything else refitted; all points run as one batch. Prints\n"
    "{\"parameters\": [names], \"bestfit\": {name: x}, \"uncertainty\": {name: x}, \"twice_nll_min\",\n"
    "\"shape\": [n1(, n2)], \"points\": [{\"values\": [x(, y)], \"twice_nll\", \"delta_twice_nll\",\n"
    "\"status\"}, ...], \"status\"}; 2-D points row-major, the first parameter outer.",
    PSCAN_TABLES,
    WS_POS,
    false,
};

struct pscan_args {
    struct model_opts * mo;
    const char *        names[2];
    size_t       n_names;
    struct hfx_profile_scan_options o;
};

static int parse_range(const char * v, double * lo, double * hi, size_t * n) {
    char * copy = strdup(v);
    if (!copy) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    char * parts[4] = {0};
    size_t k        = 0;
    for (char * save = NULL, * t = strtok_r(copy, ",", &save); t && k < 4; t = strtok_r(NULL, ",", &save)) {
        parts[k++] = t;
    }
    long n_steps = 11;
    bool ok      = (k == 2 || k == 3) && cli_parse_double(parts[0], lo) && cli_parse_double(parts[1], hi) &&
              (k == 2 || cli_parse_long(parts[2], LONG_MIN, LONG_MAX, &n_steps));
    free(copy);
    if (!ok) {
        return cli_usage_error(PSCAN.name, "invalid --range '%s' (expected LO,HI or LO,HI,N)", v);
    }
    *n = n_steps < 0 ? 0 : (size_t) n_steps;
    if (n_steps < 2) {
        cli_error("--range %s: a scan needs at least 2 points, got %ld", v, n_steps);
        return CLI_FAIL;
    }
    if (!(*lo < *hi)) {
        cli_error("--range %s: the range is empty (LO must be below HI)", v);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int pscan_extra(void * ctx, const struct cli_opt * o, const char * v) {
    struct pscan_args * a = ctx;
    switch (o->id) {
    case OPT_PAR:
        if (a->n_names == 2) {
            return cli_usage_error(PSCAN.name, "at most two --par (a 2-D scan)");
        }
        a->names[a->n_names++] = v;
        return CLI_OK;
    case OPT_RANGE: {
        if (a->n_names == 0) {
            return cli_usage_error(PSCAN.name, "--range %s comes before any --par: it sets the grid of the --par "
                                               "before it", v);
        }
        size_t k = a->n_names - 1;
        if (a->o.range_set[k]) {
            return cli_usage_error(PSCAN.name, "two --range for --par %s", a->names[k]);
        }
        a->o.range_set[k] = true;
        return parse_range(v, &a->o.lo[k], &a->o.hi[k], &a->o.n[k]);
    }
    case OPT_NO_POI: a->mo->model.no_poi = true; return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

static json_t * pscan_json(hfx_model_t m, const struct hfx_profile_scan_options * o,
                           const struct hfx_profile_scan_result * r) {
    json_t * j = json_object(), * names = json_array(), * best = json_object(), * unc = json_object();
    for (size_t k = 0; k < r->n_dims; ++k) {
        const char * name = hfx_model_par_name(m, o->par[k]);
        json_array_append_new(names, json_string(name));
        json_object_set_new(best, name, jout_num(r->bestfit[k]));
        json_object_set_new(unc, name, jout_num(r->uncertainty[k]));
    }
    json_object_set_new(j, "parameters", names);
    json_object_set_new(j, "bestfit", best);
    json_object_set_new(j, "uncertainty", unc);
    json_object_set_new(j, "twice_nll_min", jout_num(r->twice_nll_min));
    json_t * shape = json_array();
    for (size_t k = 0; k < r->n_dims; ++k) {
        json_array_append_new(shape, json_integer((json_int_t) r->shape[k]));
    }
    json_object_set_new(j, "shape", shape);
    json_t * points = json_array();
    for (size_t p = 0; p < r->n_points; ++p) {
        const struct hfx_profile_scan_point * pt = &r->points[p];
        json_t *                              jp = json_object();
        json_object_set_new(jp, "values", jout_array(pt->values, r->n_dims));
        json_object_set_new(jp, "twice_nll", jout_num(pt->twice_nll));
        json_object_set_new(jp, "delta_twice_nll", jout_num(pt->delta_twice_nll));
        json_object_set_new(jp, "status", json_string(hfx_fit_status_str(pt->status)));
        json_array_append_new(points, jp);
    }
    json_object_set_new(j, "points", points);
    return j;
}

int cmd_profile_scan(int argc, char ** argv) {
    struct model_opts mo;
    struct pscan_args a = {0};
    struct cli_parsed args;
    model_opts_init(&mo, PSCAN.name);
    a.mo = &mo;
    int rc = cli_parse_command(&PSCAN, argc, argv, &mo, NULL, pscan_extra, &a, &args);
    if (rc == CLI_OK && a.n_names == 0) {
        rc = cli_usage_error(PSCAN.name, "--par NAME is required");
        free(args.pos);
    }
    if (rc == CLI_OK) {
        struct session s;
        rc = session_open(&mo, &s, true);
        for (size_t k = 0; rc == CLI_OK && k < a.n_names; ++k) {
            rc = find_par(s.model, a.names[k], &a.o.par[k]);
        }
        if (rc == CLI_OK) {
            a.o.n_dims                         = a.n_names;
            struct hfx_profile_scan_result r   = {0};
            struct hfx_error               err = {0};
            enum hfx_status                st  = hfx_profile_scan(s.engine, &a.o, &r, &err);
            if (st != HFX_OK) {
                cli_error_hfx(st, &err);
                rc = CLI_FAIL;
            } else {
                json_t * j = pscan_json(s.model, &a.o, &r);
                report_status(j, r.status, "a fit of the profile scan");
                report_warnings(j, s.engine, s.model, NULL);
                rc = jout_emit(j, args.output_file);
                json_decref(j);
            }
            hfx_profile_scan_result_free(&r);
        }
        session_close(&s);
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}

//
// hfx significance
//

static const struct cli_opt * SIG_TABLES[] = {ws_opt_table,     patchset_opt_table, interp_opt_table,
                                              engine_opt_table, timings_opt_table,  output_opt_table,
                                              cli_help_table,   NULL};
static const struct cli_command SIG = {
    "significance",
    "significance WORKSPACE [options]",
    "The discovery significance, as cabinetry.fit.significance: pyhf's asymptotic hypotest at mu = 0\n"
    "with the q0 test statistic. Prints {\"poi\", \"observed\": {\"p0\", \"Z\"}, \"expected\": {\"p0\", \"Z\"},\n"
    "\"status\"}; expected: the median under the signal hypothesis (Asimov data at mu = 1).",
    SIG_TABLES,
    WS_POS,
    false,
};

int cmd_significance(int argc, char ** argv) {
    struct model_opts mo;
    struct cli_parsed args;
    model_opts_init(&mo, SIG.name);
    int rc = cli_parse_command(&SIG, argc, argv, &mo, NULL, NULL, NULL, &args);
    if (rc == CLI_OK) {
        struct session s;
        rc = session_open(&mo, &s, true);
        if (rc == CLI_OK) {
            struct hfx_significance_result r;
            struct hfx_error               err = {0};
            enum hfx_status                st  = hfx_significance(s.engine, NULL, &r, &err);
            if (st != HFX_OK) {
                cli_error_hfx(st, &err);
                rc = CLI_FAIL;
            } else {
                json_t * j = json_object(), * obs = json_object(), * exp = json_object();
                json_object_set_new(j, "poi", json_string(hfx_model_par_name(s.model, (size_t) hfx_model_poi(s.model))));
                json_object_set_new(obs, "p0", jout_num(r.p0_obs));
                json_object_set_new(obs, "Z", jout_num(r.z_obs));
                json_object_set_new(exp, "p0", jout_num(r.p0_exp));
                json_object_set_new(exp, "Z", jout_num(r.z_exp));
                json_object_set_new(j, "observed", obs);
                json_object_set_new(j, "expected", exp);
                report_status(j, r.status, "a fit of the significance");
                report_warnings(j, s.engine, s.model, NULL);
                rc = jout_emit(j, args.output_file);
                json_decref(j);
            }
            session_close(&s);
        }
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
