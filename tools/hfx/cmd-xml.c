/*
 * cmd-xml.c -- "hfx xml2json" and "hfx json2xml": HistFactory XML + ROOT files to a pyhf workspace
 * and back, with pyhf's names, options and output (src/io/ does the work).
 */
#include "cli.h"
#include "json-out.h"
#include "options.h"

#include <stdlib.h>
#include <string.h>

enum { XOPT_BASEDIR = 100, XOPT_OUTPUT_FILE, XOPT_OUTPUT_DIR, XOPT_PATCH };

static const struct cli_opt XML2JSON_OPTS[] = {
    {XOPT_BASEDIR, "--basedir", NULL, "DIR",
     "resolve the paths in the XML against DIR (default: the working directory, then the driver's directory)"},
    {XOPT_OUTPUT_FILE, "--output-file", NULL, "FILE", "write the workspace to FILE instead of standard output"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * XML2JSON_TABLES[] = {XML2JSON_OPTS, cli_help_table, NULL};

static const struct cli_opt JSON2XML_OPTS[] = {
    {XOPT_OUTPUT_DIR, "--output-dir", NULL, "DIR", "where to write the XML and ROOT files (default: .)"},
    {XOPT_PATCH, "--patch", "-p", "FILE", "apply this JSON patch first (repeatable)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * JSON2XML_TABLES[] = {JSON2XML_OPTS, cli_help_table, NULL};

int cmd_xml2json(int argc, char ** argv) {
    const char *    driver = NULL, *basedir = NULL, *output = NULL, *value = NULL;
    const struct cli_opt * opt = NULL;
    struct cli_args a;
    cli_args_init(&a, argc, argv, 1, "xml2json", XML2JSON_TABLES);
    for (enum cli_arg_kind k; (k = cli_args_next(&a, &opt, &value)) != CLI_ARG_END;) {
        if (k == CLI_ARG_ERROR) {
            return CLI_USAGE;
        }
        if (k == CLI_ARG_POS) {
            if (driver) {
                return cli_usage_error("xml2json", "unexpected argument '%s'", value);
            }
            driver = value;
        } else if (opt->id == CLI_OPT_HELP) {
            cli_print_help("xml2json DRIVER.xml [--basedir DIR] [--output-file FILE]",
                           "Reads a HistFactory driver XML, its channel XMLs and ROOT files and prints the pyhf\n"
                           "workspace, as 'pyhf xml2json' does.",
                           XML2JSON_TABLES);
            return CLI_OK;
        } else if (opt->id == XOPT_BASEDIR) {
            basedir = value;
        } else if (opt->id == XOPT_OUTPUT_FILE) {
            output = value;
        }
    }
    if (!driver) {
        return cli_usage_error("xml2json", "missing the driver XML");
    }
    hfx_workspace_t  ws  = NULL;
    struct hfx_error err = {0};
    char *           text = NULL;
    enum hfx_status  st   = hfx_workspace_load_xml(driver, basedir, &ws, &err);
    if (st == HFX_OK) {
        st = hfx_workspace_dump(ws, &text, &err);
    }
    hfx_workspace_free(ws);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    json_t * j = json_loads(text, 0, NULL);
    free(text);
    int rc = j ? jout_emit(j, output) : CLI_FAIL;
    json_decref(j);
    return rc;
}

int cmd_json2xml(int argc, char ** argv) {
    const char *    path = NULL, *dir = ".", *value = NULL;
    const char *    patches[64];
    size_t          n_patches = 0;
    const struct cli_opt * opt = NULL;
    struct cli_args a;
    cli_args_init(&a, argc, argv, 1, "json2xml", JSON2XML_TABLES);
    for (enum cli_arg_kind k; (k = cli_args_next(&a, &opt, &value)) != CLI_ARG_END;) {
        if (k == CLI_ARG_ERROR) {
            return CLI_USAGE;
        }
        if (k == CLI_ARG_POS) {
            if (path) {
                return cli_usage_error("json2xml", "unexpected argument '%s'", value);
            }
            path = value;
        } else if (opt->id == CLI_OPT_HELP) {
            cli_print_help("json2xml WORKSPACE [--output-dir DIR] [--patch FILE]...",
                           "Writes the workspace as HistFactory XML + ROOT, in pyhf json2xml's layout:\n"
                           "DIR/FitConfig.xml, DIR/config/FitConfig_<channel>.xml, DIR/HistFactorySchema.dtd\n"
                           "and DIR/data/data.root (TH1D histograms). Paths in the XML are relative to DIR\n"
                           "(for pyhf: 'pyhf xml2json DIR/FitConfig.xml --basedir DIR').",
                           JSON2XML_TABLES);
            return CLI_OK;
        } else if (opt->id == XOPT_OUTPUT_DIR) {
            dir = value;
        } else if (opt->id == XOPT_PATCH) {
            if (n_patches == sizeof patches / sizeof patches[0]) {
                return cli_usage_error("json2xml", "more than 64 --patch files");
            }
            patches[n_patches++] = value;
        }
    }
    if (!path) {
        return cli_usage_error("json2xml", "missing the workspace");
    }
    hfx_workspace_t ws = NULL;
    int             rc = cli_load_workspace(path, &ws);
    if (rc != CLI_OK) {
        return rc;
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = HFX_OK;
    for (size_t i = 0; i < n_patches && st == HFX_OK; i++) {
        st = hfx_workspace_apply_patch_file(ws, patches[i], &err);
    }
    /* Validate as a model build would, so that a broken workspace is named, not half-written; without
     * the POI, since background-only workspaces (no sample carries the POI) are written too. */
    hfx_model_t               m    = NULL;
    struct hfx_model_options  mopt = {.no_poi = true};
    if (st == HFX_OK) {
        st = hfx_model_create(ws, &mopt, &m, &err);
    }
    hfx_model_free(m);
    if (st == HFX_OK) {
        st = hfx_workspace_write_xml(ws, dir, &err);
    }
    hfx_workspace_free(ws);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}
