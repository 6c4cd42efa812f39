/*
 * cmd-upper-limit.c -- "hfx upper-limit": observed and expected CLs upper limits on the POI, as
 * pyhf.infer.intervals.upper_limits.upper_limit, printed as {"exp": [5 values], "obs": x}; with a grid
 * (--scan LO,HI,N) also the grid and its CLs values, as pyhf's return_results=True.
 */
#include "fit-report.h"
#include "json-out.h"
#include "options.h"
#include "progress.h"
#include "upper-limit-opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct cli_opt ul_opt_table[] = {
    {OPT_UL_LEVEL, "--level", NULL, "ALPHA", "CLs level of the limit (default 0.05: 95% CL)"},
    {OPT_UL_SCAN, "--scan", NULL, "LO,HI[,N]",
     "initial POI bracket (default: automatic, as pyhf); with N, a grid of N points from LO to HI\n"
     "(pyhf's upper_limit(scan=numpy.linspace(LO, HI, N))), its fits run as one batch"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * UL_TABLES[] = {ws_opt_table, patchset_opt_table, interp_opt_table, engine_opt_table, timings_opt_table,
                                             infer_opt_table, ul_opt_table, output_opt_table, cli_help_table, NULL};
static const char * const UL_POS[] = {"WORKSPACE", NULL};

static const struct cli_command UL = {
    "upper-limit",
    "upper-limit WORKSPACE [--level ALPHA] [--scan LO,HI[,N]] [options]",
    "Finds the POI values where CLs crosses --level, observed and expected (-2..+2 sigma), by a\n"
    "TOMS 748 root search as pyhf's upper_limit; prints {\"exp\": [5 values], \"obs\": x}. With a grid\n"
    "(--scan LO,HI,N) the limits are interpolated on it, as pyhf's linear_grid_scan, and the output\n"
    "also has \"scan\" (the grid), \"CLs_obs\" and \"CLs_exp\" (5 values per point).",
    UL_TABLES,
    UL_POS,
    false,
};

/* Parses "LO,HI" or "LO,HI,N" with LO < HI and 2 <= N <= 100000. */
static bool parse_scan(const char * v, double * lo, double * hi, size_t * n) {
    char buf[256];
    if (strlen(v) >= sizeof buf) {
        return false;
    }
    strcpy(buf, v);
    char * parts[4] = {NULL};
    int    k        = 0;
    for (char * p = buf; k < 4; ++k) {
        parts[k]    = p;
        char * next = strchr(p, ',');
        if (!next) {
            ++k;
            break;
        }
        *next = '\0';
        p     = next + 1;
    }
    double count = 0;
    if ((k != 2 && k != 3) || !cli_parse_double(parts[0], lo) || !cli_parse_double(parts[1], hi) || !(*lo < *hi)) {
        return false;
    }
    if (k == 3 && (!cli_parse_double(parts[2], &count) || count != floor(count) || count < 2 || count > 1e5)) {
        return false;
    }
    *n = (size_t) count;
    return true;
}

int ul_opts_handle(struct hfx_upper_limit_options * u, const char * cmd, const struct cli_opt * o, const char * v) {
    switch (o->id) {
    case OPT_UL_LEVEL:
        if (!cli_parse_double(v, &u->level) || u->level <= 0 || u->level >= 1) {
            return cli_usage_error(cmd, "invalid value '%s' for --level (expected a number in (0, 1))", v);
        }
        return CLI_OK;
    case OPT_UL_SCAN:
        if (!parse_scan(v, &u->lo, &u->hi, &u->n_scan)) {
            return cli_usage_error(cmd,
                                   "invalid value '%s' for --scan (expected LO,HI or LO,HI,N with LO < HI and an "
                                   "integer 2 <= N <= 100000)",
                                   v);
        }
        return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

static int ul_extra(void * ctx, const struct cli_opt * o, const char * v) { return ul_opts_handle(ctx, UL.name, o, v); }

static int run_upper_limit(const struct model_opts * mo, struct hfx_upper_limit_options * u, const char * output) {
    struct session s;
    int            rc = session_open(mo, &s, true);
    if (rc != CLI_OK) {
        return rc;
    }
    struct progress p;
    progress_start(&p, 0, "hypotests");
    u->hypotest.progress      = progress_callback;
    u->hypotest.progress_user = &p;
    struct hfx_upper_limit_result r   = {0};
    struct hfx_error              err = {0};
    if (u->n_scan > 0 && !(u->scan_points = malloc(u->n_scan * 7 * sizeof(double)))) {
        progress_finish(&p);
        session_close(&s);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    enum hfx_status st = hfx_upper_limit(s.engine, u, &r, &err);
    progress_finish(&p);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        rc = CLI_FAIL;
    } else {
        json_t * j = json_object();
        json_object_set_new(j, "obs", jout_num(r.obs));
        json_object_set_new(j, "exp", jout_array(r.exp, 5));
        if (u->n_scan > 0) {
            json_t * scan = json_array(), * obs = json_array(), * exp = json_array();
            for (size_t i = 0; i < u->n_scan; ++i) {
                const double * row = &u->scan_points[i * 7];
                json_array_append_new(scan, jout_num(row[0]));
                json_array_append_new(obs, jout_num(row[1]));
                json_array_append_new(exp, jout_array(&row[2], 5));
            }
            json_object_set_new(j, "scan", scan);
            json_object_set_new(j, "CLs_obs", obs);
            json_object_set_new(j, "CLs_exp", exp);
        }
        report_status(j, r.status, "a fit of the upper limit");
        report_warnings(j, s.engine, s.model, NULL);
        rc = jout_emit(j, output);
        json_decref(j);
    }
    free(u->scan_points);
    u->scan_points = NULL;
    session_close(&s);
    return rc;
}

int cmd_upper_limit(int argc, char ** argv) {
    struct model_opts              mo;
    struct hfx_upper_limit_options u;
    struct cli_parsed              args;
    memset(&u, 0, sizeof u);
    model_opts_init(&mo, UL.name);
    infer_opts_init(&u.hypotest);
    u.level = 0.05;
    int rc  = cli_parse_command(&UL, argc, argv, &mo, &u.hypotest, ul_extra, &u, &args);
    if (rc == CLI_OK) {
        rc = run_upper_limit(&mo, &u, args.output_file);
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
