/*
 * cmd-convert.c -- "hfx convert IN --to hs3|pyhf|xml --output OUT" and its pyhf-named spellings
 * "hfx xml2json" and "hfx json2xml": one path from any input hfx reads (pyhf JSON, HS3 JSON, a
 * HistFactory driver XML; recognised by content) through the workspace tree to any output
 * (src/io/ does the formats). Patches apply to the input as in every command (-p, --patchset).
 */
#include "array.h"
#include "cli.h"
#include "json-out.h"
#include "options.h"
#include "progress.h"

#include <stdlib.h>
#include <string.h>

enum {
    COPT_TO = 100,
    COPT_OUTPUT,
    COPT_OUTPUT_DIR,
    COPT_BASEDIR,
    COPT_TRACK_PROGRESS,
    COPT_HIDE_PROGRESS,
    COPT_VALIDATION_ERROR,
    COPT_VALIDATION_WARNING,
    COPT_SPECROOT,
    COPT_DATAROOT,
    COPT_RESULTPREFIX,
    COPT_MOUNT,
};
enum target { TO_PYHF, TO_HS3, TO_XML };

struct convert {
    enum target  to;
    bool         to_set;
    const char * output; /* file (JSON) or directory (XML); NULL: stdout, or "." for XML */
    bool         report; /* xml2json: say on stderr what was read (pyhf shows progress there) */
};

static const struct cli_opt BASEDIR_OPTS[] = {
    {COPT_BASEDIR, "--basedir", NULL, "DIR",
     "resolve the paths in a driver XML against DIR (default: the working directory, then the driver's directory)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt CONVERT_OPTS[] = {
    {COPT_TO, "--to", NULL, "FORMAT", "hs3 (ROOT's HS3 JSON), pyhf (a pyhf workspace) or xml (HistFactory XML + ROOT)"},
    {COPT_OUTPUT, "--output", "-o", "OUT",
     "the JSON file to write (default: standard output), or the directory for xml (default: .)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt OUTPUT_DIR_OPTS[] = {
    {COPT_OUTPUT_DIR, "--output-dir", NULL, "DIR", "where to write the XML and ROOT files (default: .)"},
    {0, NULL, NULL, NULL, NULL},
};

/* pyhf xml2json's and json2xml's options, accepted so that pyhf command lines run (docs/cli.md):
 * where pyhf draws its progress bar, hfx reports on stderr what it read (--hide-progress: nothing),
 * and the validation mode changes nothing hfx prints (it writes nothing it has not validated); the layout of json2xml is pyhf's default one, the only one
 * hfx writes, so its names are accepted with their default values and refused with others. */
static const struct cli_opt PYHF_XML2JSON_OPTS[] = {
    {COPT_TRACK_PROGRESS, "--track-progress", NULL, NULL, "report on stderr what was read (the default, as pyhf's progress bar)"},
    {COPT_HIDE_PROGRESS, "--hide-progress", NULL, NULL, "report nothing on stderr"},
    {COPT_VALIDATION_ERROR, "--validation-as-error", NULL, NULL, "accepted for pyhf: an invalid result is an error (always)"},
    {COPT_VALIDATION_WARNING, "--validation-as-warning", NULL, NULL, "refused: hfx never writes an invalid workspace"},
    {COPT_MOUNT, "--mount", "-v", "LOCAL:XML",
     "read the files the XML names at or under the path XML from the existing path LOCAL instead (repeatable; the first that matches wins)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt PYHF_JSON2XML_OPTS[] = {
    {COPT_SPECROOT, "--specroot", NULL, "DIR", "the channel XMLs' directory under --output-dir: config (the only one hfx writes)"},
    {COPT_DATAROOT, "--dataroot", NULL, "DIR", "the ROOT file's directory under --output-dir: data (the only one hfx writes)"},
    {COPT_RESULTPREFIX, "--resultprefix", NULL, "NAME", "the driver XML's name: FitConfig (the only one hfx writes)"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * CONVERT_TABLES[] = {CONVERT_OPTS,   BASEDIR_OPTS,    ws_opt_table,
                                                  patchset_opt_table, interp_opt_table, cli_help_table, NULL};
static const struct cli_opt * XML2JSON_TABLES[] = {BASEDIR_OPTS, output_opt_table, PYHF_XML2JSON_OPTS, cli_help_table, NULL};
static const struct cli_opt * JSON2XML_TABLES[] = {OUTPUT_DIR_OPTS, ws_opt_table, PYHF_JSON2XML_OPTS, cli_help_table, NULL};

static const char * const IN_POS[] = {"INPUT", NULL};

/* pyhf's --mount LOCAL:XML (click's VolumeMountPath): exactly one colon, LOCAL an existing path, taken
 * absolute (pyhf resolves it); XML as written, compared with the XML's paths by the reader. */
static int add_mount(struct model_opts * mo, const char * v) {
    const char * colon = strchr(v, ':');
    if (!colon || strchr(colon + 1, ':') || colon == v || !colon[1]) {
        return cli_usage_error(mo->cmd, "--mount: '%s' is not a valid colon-separated option (expected LOCAL:XML)", v);
    }
    char   local[4096];
    size_t n = (size_t) (colon - v);
    if (n >= sizeof local) {
        return cli_usage_error(mo->cmd, "--mount '%s': the local path is too long", v);
    }
    memcpy(local, v, n);
    local[n]          = '\0';
    char * abs_local = realpath(local, NULL);
    if (!abs_local) {
        return cli_usage_error(mo->cmd, "--mount '%s': the local path '%s' does not exist", v, local);
    }
    if (!CLI_ARRAY_RESERVE(mo->xml_mounts, mo->cap_xml_mounts, mo->n_xml_mounts + 1, 4)) {
        free(abs_local);
        return cli_usage_error(mo->cmd, "out of memory");
    }
    mo->xml_mounts[mo->n_xml_mounts++] = (struct hfx_xml_mount){.local_path = abs_local, .xml_path = colon + 1};
    return CLI_OK;
}

static int handle(void * ctx, const struct cli_opt * o, const char * v) {
    struct convert *    c = ((void **) ctx)[0];
    struct model_opts * mo = ((void **) ctx)[1];
    switch (o->id) {
    case COPT_TO:
        if (strcmp(v, "hs3") == 0) {
            c->to = TO_HS3;
        } else if (strcmp(v, "pyhf") == 0) {
            c->to = TO_PYHF;
        } else if (strcmp(v, "xml") == 0) {
            c->to = TO_XML;
        } else {
            return cli_usage_error(mo->cmd, "invalid value '%s' for --to (expected hs3, pyhf or xml)", v);
        }
        c->to_set = true;
        return CLI_OK;
    case COPT_OUTPUT:
    case COPT_OUTPUT_DIR: c->output = v; return CLI_OK;
    case COPT_BASEDIR:
        if (!v[0]) { /* an empty path: read as the working directory, which the messages would not say */
            return cli_usage_error(mo->cmd, "--basedir: the directory name is empty (use . for the working directory)");
        }
        mo->xml_basedir = v;
        return CLI_OK;
    case COPT_MOUNT: return add_mount(mo, v);
    case COPT_TRACK_PROGRESS:
    case COPT_HIDE_PROGRESS: c->report = o->id == COPT_TRACK_PROGRESS; return CLI_OK;
    case COPT_VALIDATION_ERROR: return CLI_OK;
    case COPT_VALIDATION_WARNING:
        return cli_usage_error(mo->cmd, "--validation-as-warning is not supported: hfx never writes a workspace that "
                                        "fails pyhf's schema");
    case COPT_SPECROOT:
    case COPT_DATAROOT:
    case COPT_RESULTPREFIX: {
        const char * def = o->id == COPT_SPECROOT ? "config" : o->id == COPT_DATAROOT ? "data" : "FitConfig";
        if (strcmp(v, def) != 0) {
            return cli_usage_error(mo->cmd, "%s '%s' is not supported: hfx writes pyhf's default layout only (%s %s)",
                                   o->name, v, o->name, def);
        }
        return CLI_OK;
    }
    default: return CLI_NOT_MINE;
    }
}

/* Checks the workspace as a model build would, so that a broken one is named, not half-written;
 * without the POI, since background-only workspaces (no sample carries the POI) convert too. */
static int validate(hfx_workspace_t ws, const struct model_opts * mo) {
    hfx_model_t              m    = NULL;
    struct hfx_model_options mopt = mo->model;
    struct hfx_error         err  = {0};
    mopt.no_poi                   = true;
    enum hfx_status st            = hfx_model_create(ws, &mopt, &m, &err);
    hfx_model_free(m);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int write_output(hfx_workspace_t ws, const struct model_opts * mo, const struct convert * c) {
    struct hfx_error err = {0};
    enum hfx_status  st  = HFX_OK;
    if (c->to == TO_PYHF) {
        return cli_emit_workspace(ws, c->output);
    }
    int rc = validate(ws, mo);
    if (rc != CLI_OK) {
        return rc;
    }
    if (c->to == TO_XML) {
        st = hfx_workspace_write_xml(ws, c->output ? c->output : ".", &err);
    } else {
        char * text = NULL;
        st          = hfx_workspace_dump_hs3(ws, &mo->model, &text, &err);
        if (st == HFX_OK) { /* printed as every JSON output of hfx (json-out.h), from the library's text */
            json_t * hs3 = cli_json_from_text(text, "the HS3 JSON");
            rc           = hs3 ? jout_emit(hs3, c->output) : CLI_FAIL;
            json_decref(hs3);
            return rc;
        }
    }
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* xml2json's report on stderr, where pyhf shows its progress bar over the channel files: what was
 * read, from where, and how long it took. */
static void report_read(hfx_workspace_t ws, const char * driver, double seconds) {
    hfx_spec_t spec = NULL;
    if (hfx_workspace_spec(ws, &spec, NULL) != HFX_OK) {
        return; /* the conversion that follows reports the problem */
    }
    size_t n_ch = hfx_spec_n_channels(spec), n_bins = 0, n_samples = 0;
    for (size_t i = 0; i < n_ch; i++) {
        n_bins += hfx_spec_channel_n_bins(spec, i);
        n_samples += hfx_spec_channel_n_samples(spec, i);
    }
    size_t n_meas = hfx_spec_n_measurements(spec);
    fprintf(stderr, "hfx xml2json: read %s: %zu channel%s (%zu bins, %zu samples), %zu measurement%s, in %.2f s\n",
            driver, n_ch, n_ch == 1 ? "" : "s", n_bins, n_samples, n_meas, n_meas == 1 ? "" : "s", seconds);
    hfx_spec_free(spec);
}

static int run(const struct cli_command * cmd, int argc, char ** argv, struct convert * c) {
    struct model_opts mo;
    model_opts_init(&mo, cmd->name);
    void *            ctx[] = {c, &mo};
    struct cli_parsed p;
    int               rc = cli_parse_command(cmd, argc, argv, &mo, NULL, handle, ctx, &p);
    if (rc == CLI_HELP_SHOWN) {
        model_opts_free(&mo);
        return CLI_OK;
    }
    if (rc == CLI_OK && !c->to_set) {
        rc = cli_usage_error(cmd->name, "missing --to FORMAT (hs3, pyhf or xml)");
    }
    hfx_workspace_t ws = NULL;
    if (rc == CLI_OK) {
        c->output = c->output ? c->output : p.output_file; /* xml2json's --output-file */
        double t0 = progress_now();
        rc        = model_opts_workspace(&mo, &ws);
        if (rc == CLI_OK && c->report) {
            report_read(ws, mo.ws_path, progress_now() - t0);
        }
    }
    if (rc == CLI_OK) {
        rc = write_output(ws, &mo, c);
    }
    hfx_workspace_free(ws);
    free(p.pos);
    model_opts_free(&mo);
    return rc;
}

int cmd_convert(int argc, char ** argv) {
    static const struct cli_command cmd = {
        "convert", "convert INPUT --to hs3|pyhf|xml [--output OUT] [options]",
        "Converts a model between the formats hfx reads and writes. INPUT is a pyhf workspace, HS3 JSON\n"
        "(as ROOT's RooJSONFactoryWSTool writes it) or a HistFactory driver XML, recognised by its content.\n"
        "--to hs3 writes HS3 JSON that ROOT imports (one measurement: --measurement, else the first);\n"
        "--to pyhf the pyhf workspace (as 'hfx xml2json'); --to xml the driver XML, channel XMLs and\n"
        "ROOT file in pyhf json2xml's layout under OUT (as 'hfx json2xml'). See docs/io.md.",
        CONVERT_TABLES, IN_POS, false};
    struct convert c = {0};
    return run(&cmd, argc, argv, &c);
}

int cmd_xml2json(int argc, char ** argv) {
    static const struct cli_command cmd = {
        "xml2json", "xml2json DRIVER.xml [--basedir DIR] [--output-file FILE]",
        "Reads a HistFactory driver XML, its channel XMLs and ROOT files and prints the pyhf\n"
        "workspace, as 'pyhf xml2json' does. Same as 'hfx convert DRIVER.xml --to pyhf'.",
        XML2JSON_TABLES, IN_POS, false};
    struct convert c = {.to = TO_PYHF, .to_set = true, .report = true};
    return run(&cmd, argc, argv, &c);
}

int cmd_json2xml(int argc, char ** argv) {
    static const struct cli_command cmd = {
        "json2xml", "json2xml WORKSPACE [--output-dir DIR] [--patch FILE]...",
        "Writes the workspace as HistFactory XML + ROOT, in pyhf json2xml's layout:\n"
        "DIR/FitConfig.xml, DIR/config/FitConfig_<channel>.xml, DIR/HistFactorySchema.dtd\n"
        "and DIR/data/data.root (TH1D histograms). Paths in the XML are relative to DIR\n"
        "(for pyhf: 'pyhf xml2json DIR/FitConfig.xml --basedir DIR'). Same as 'hfx convert --to xml'.",
        JSON2XML_TABLES, IN_POS, false};
    struct convert c = {.to = TO_XML, .to_set = true};
    return run(&cmd, argc, argv, &c);
}
