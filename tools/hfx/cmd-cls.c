/*
 * cmd-cls.c -- "hfx cls": one hypotest, printed as pyhf cls prints it ({"CLs_exp": [...], "CLs_obs": x});
 * toybased results also say how many toys failed to fit ("toys_failed") and were left out; every
 * result says how its fits converged ("status") and where they found lower minima than pyhf's
 * single descent would ("warnings", fit-report.h). --pyhf-keys prints pyhf cls's two keys only (the
 * rest then goes to stderr alone, where it is printed in any case when it needs attention).
 */
#include "fit-report.h"
#include "json-out.h"
#include "options.h"
#include "progress.h"
#include "ranks.h"
#include "toys.h"

#include <stdlib.h>

enum { OPT_CLS_PYHF_KEYS = 190 };
static const struct cli_opt CLS_OPTS[] = {
    {OPT_CLS_PYHF_KEYS, "--pyhf-keys", NULL, NULL,
     "print what 'pyhf cls' prints, {\"CLs_exp\": [...], \"CLs_obs\": x}: no \"status\", \"toys_failed\", \"warnings\" (a fit at the iteration limit is an error, as in pyhf)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * CLS_TABLES[] = {ws_opt_table,     patchset_opt_table, interp_opt_table,
                                              engine_opt_table, timings_opt_table, test_poi_opt_table, infer_opt_table,
                                              toys_opt_table,   CLS_OPTS,         output_opt_table, cli_help_table, NULL};

struct cls_opts {
    struct toys_opts toys;
    bool             pyhf_keys;
};

static int cls_handle(void * ctx, const struct cli_opt * o, const char * v) {
    struct cls_opts * c = ctx;
    if (o->id == OPT_CLS_PYHF_KEYS) {
        c->pyhf_keys = true;
        return CLI_OK;
    }
    return toys_opts_handle(&c->toys, o, v);
}
static const char * const CLS_POS[] = {"WORKSPACE", NULL};

static const struct cli_command CLS = {
    "cls",
    "cls WORKSPACE [options]",
    "Computes the observed CLs and the expected CLs band (-2, -1, 0, +1, +2 sigma) at --test-poi,\n"
    "printed as {\"CLs_exp\": [5 values], \"CLs_obs\": x} with hfx's \"status\" (and \"toys_failed\",\n"
    "\"warnings\"); --pyhf-keys prints pyhf's two keys only. WORKSPACE '-' reads standard input.\n"
    "Patches: -p/--patch FILE (JSON Patch files, in order), then --patchset FILE --patch-name NAME.",
    CLS_TABLES,
    CLS_POS,
    false,
};

/* Runs the hypotest with a progress bar for toys. Prints errors. *warnings is the list to report:
 * the engine's, or (toys split over ranks) the one gathered at rank 0, malloc'd. */
static int run_hypotest(hfx_engine_t e, struct hfx_hypotest_options * h, const struct toys_opts * to,
                        struct hfx_hypotest_result * r, struct hfx_fit_warning ** warnings, size_t * n_warnings) {
    struct progress p;
    progress_start(&p, 0, "toys");
    if (h->calctype == HFX_CALC_TOYBASED) {
        h->progress      = progress_callback;
        h->progress_user = &p;
    }
    struct hfx_error err   = {0};
    bool             split = toys_split(to, h);
    enum hfx_status  st    = split ? toys_hypotest(e, h, to, r, warnings, n_warnings, &err) : hfx_hypotest(e, h, r, &err);
    progress_finish(&p);
    h->progress      = NULL;
    h->progress_user = NULL;
    if (st != HFX_OK) {
        if (!split || err.msg[0]) { /* else it failed on another rank, which says why */
            cli_error_hfx(st, &err);
        }
        return CLI_FAIL;
    }
    if (!split) {
        *n_warnings = hfx_engine_n_warnings(e);
        *warnings   = *n_warnings ? malloc(*n_warnings * sizeof **warnings) : NULL;
        if (*n_warnings && !*warnings) {
            cli_error("out of memory");
            return CLI_FAIL;
        }
        for (size_t i = 0; i < *n_warnings; i++) {
            (*warnings)[i] = *hfx_engine_warning(e, i);
        }
    }
    return CLI_OK;
}

int cmd_cls(int argc, char ** argv) {
    struct model_opts           mo;
    struct hfx_hypotest_options h;
    struct cli_parsed           args;
    struct cls_opts             co = {0};
    struct toys_opts *          to = &co.toys;
    model_opts_init(&mo, CLS.name);
    infer_opts_init(&h);
    int rc = cli_parse_command(&CLS, argc, argv, &mo, &h, cls_handle, &co, &args);
    if (rc == CLI_OK && (rc = toys_opts_prepare(to, &h, &mo)) != CLI_OK) {
        free(args.pos);
    }
    if (rc == CLI_OK) {
        struct session s;
        rc = session_open(&mo, &s, true);
        /* under MPI no rank starts the toys, which wait for each other, unless every rank could set
         * up (one that could not has said why) */
        if (!ranks_all_ok(rc == CLI_OK)) {
            rc = CLI_FAIL;
        }
        struct hfx_hypotest_result r;
        struct hfx_fit_warning *   warnings   = NULL;
        size_t                     n_warnings = 0;
        if (rc == CLI_OK) {
            rc = run_hypotest(s.engine, &h, to, &r, &warnings, &n_warnings);
        }
        if (rc == CLI_OK && ranks_is_root() && co.pyhf_keys) {
            rc = pyhf_keys_check_status(r.status, "a fit of the hypotest");
        }
        if (rc == CLI_OK && ranks_is_root()) { /* under MPI, rank 0 has the result */
            json_t * j = cls_result_json(&r, h.calctype == HFX_CALC_TOYBASED ? h.n_toys : 0);
            report_warning_list(j, s.model, warnings, n_warnings, NULL);
            if (co.pyhf_keys) { /* what needed saying is on stderr already (fit-report.c, cls_result_json) */
                json_object_del(j, "status");
                json_object_del(j, "toys_failed");
                json_object_del(j, "warnings");
            }
            rc = jout_emit(j, args.output_file);
            json_decref(j);
        }
        free(warnings);
        session_close(&s);
        free(args.pos);
    }
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
