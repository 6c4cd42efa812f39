/*
 * cmd-upper-limit.c -- "hfx upper-limit": observed and expected CLs upper limits on the POI, as
 * pyhf.infer.intervals.upper_limits.upper_limit, printed as {"exp": [5 values], "obs": x}.
 */
#include "json-out.h"
#include "options.h"
#include "progress.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_LEVEL = 100, OPT_SCAN };

static const struct cli_opt UL_OPTS[] = {
    {OPT_LEVEL, "--level", NULL, "ALPHA", "CLs level of the limit (default 0.05: 95% CL)"},
    {OPT_SCAN, "--scan", NULL, "LO,HI", "initial POI bracket (default: automatic, as pyhf)"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * UL_TABLES[] = {ws_opt_table, patchset_opt_table, interp_opt_table, engine_opt_table, timings_opt_table,
                                             infer_opt_table, UL_OPTS, output_opt_table, cli_help_table, NULL};
static const char * const UL_POS[] = {"WORKSPACE", NULL};

static const struct cli_command UL = {
    "upper-limit",
    "upper-limit WORKSPACE [--level ALPHA] [--scan LO,HI] [options]",
    "Finds the POI values where CLs crosses --level, observed and expected (-2..+2 sigma), by a\n"
    "TOMS 748 root search as pyhf's upper_limit; prints {\"exp\": [5 values], \"obs\": x}.",
    UL_TABLES,
    UL_POS,
    false,
};

/* Parses "LO,HI" with LO < HI. */
static bool parse_bracket(const char * v, double * lo, double * hi) {
    const char * comma = strchr(v, ',');
    if (!comma || strchr(comma + 1, ',')) {
        return false;
    }
    char first[128];
    if ((size_t) (comma - v) >= sizeof first) {
        return false;
    }
    memcpy(first, v, (size_t) (comma - v));
    first[comma - v] = '\0';
    return cli_parse_double(first, lo) && cli_parse_double(comma + 1, hi) && *lo < *hi;
}

static int ul_extra(void * ctx, const struct cli_opt * o, const char * v) {
    struct hfx_upper_limit_options * u = ctx;
    switch (o->id) {
    case OPT_LEVEL:
        if (!cli_parse_double(v, &u->level) || u->level <= 0 || u->level >= 1) {
            return cli_usage_error(UL.name, "invalid value '%s' for --level (expected a number in (0, 1))", v);
        }
        return CLI_OK;
    case OPT_SCAN:
        if (!parse_bracket(v, &u->lo, &u->hi)) {
            return cli_usage_error(UL.name, "invalid value '%s' for --scan (expected LO,HI with LO < HI)", v);
        }
        return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

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
    enum hfx_status               st  = hfx_upper_limit(s.engine, u, &r, &err);
    progress_finish(&p);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        rc = CLI_FAIL;
    } else {
        json_t * j = json_object();
        json_object_set_new(j, "obs", jout_num(r.obs));
        json_object_set_new(j, "exp", jout_array(r.exp, 5));
        rc = jout_emit(j, output);
        json_decref(j);
    }
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
