/*
 * cmd-patchset.c -- "hfx patchset inspect" (metadata, labels, patch names and values) and
 * "hfx patchset apply" (the patched workspace, printed as pyhf patchset apply prints it).
 */
#include "json-out.h"
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_JSON = 100, OPT_NAME };

static const struct cli_opt PS_INSPECT_OPTS[] = {
    {OPT_JSON, "--json", NULL, NULL, "print the patchset summary as JSON"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * PS_INSPECT_TABLES[] = {PS_INSPECT_OPTS, cli_help_table, NULL};
static const char * const     PS_INSPECT_POS[]    = {"PATCHSET", NULL};

static const struct cli_command PS_INSPECT = {
    "patchset inspect",
    "patchset inspect PATCHSET [--json]",
    "Lists the metadata, the labels and every patch of a pyhf patchset with its label values.",
    PS_INSPECT_TABLES,
    PS_INSPECT_POS,
    false,
};

static const struct cli_opt PS_APPLY_OPTS[] = {
    {OPT_NAME, "--name", "--patch-name", "NAME", "patch to apply (optional if the patchset has one patch)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * PS_APPLY_TABLES[] = {PS_APPLY_OPTS, output_opt_table, cli_help_table, NULL};
static const char * const     PS_APPLY_POS[]    = {"BACKGROUND", "PATCHSET", NULL};

static const struct cli_command PS_APPLY = {
    "patchset apply",
    "patchset apply BACKGROUND PATCHSET --name NAME [--output-file FILE]",
    "Applies patch NAME of PATCHSET to the background-only workspace and prints the patched\n"
    "workspace as JSON (indent 4, sorted keys, as 'pyhf patchset apply'). Both the background and\n"
    "the result must be valid workspaces (pyhf's schema and hfx's model checks), or nothing is\n"
    "printed. BACKGROUND '-' reads standard input.",
    PS_APPLY_TABLES,
    PS_APPLY_POS,
    false,
};

static int set_flag(void * ctx, const struct cli_opt * o, const char * v) {
    (void) v;
    if (o->id != OPT_JSON) {
        return CLI_NOT_MINE;
    }
    *(bool *) ctx = true;
    return CLI_OK;
}

static int set_name(void * ctx, const struct cli_opt * o, const char * v) {
    if (o->id != OPT_NAME) {
        return CLI_NOT_MINE;
    }
    *(const char **) ctx = v;
    return CLI_OK;
}

//
// inspect
//

static json_t * patchset_json(hfx_patchset_t ps) {
    json_t *           meta   = json_object();
    static const char * keys[] = {"analysis_id", "description", "digests"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char * v = hfx_patchset_metadata(ps, keys[i]);
        json_t *     parsed = v && strcmp(keys[i], "digests") == 0 ? json_loads(v, 0, NULL) : NULL;
        if (v) {
            json_object_set_new(meta, keys[i], parsed ? parsed : json_string(v));
        }
    }
    json_t * labels = json_array();
    for (size_t i = 0; i < hfx_patchset_n_labels(ps); i++) {
        json_array_append_new(labels, json_string(hfx_patchset_label(ps, i)));
    }
    json_t * patches = json_array();
    for (size_t i = 0; i < hfx_patchset_n_patches(ps); i++) {
        json_t * p      = json_object();
        json_t * values = json_array();
        for (size_t k = 0; k < hfx_patchset_n_labels(ps); k++) { /* as written: a number or a string */
            const char * text = hfx_patchset_patch_value_string(ps, i, k);
            json_array_append_new(values, text ? json_string(text) : jout_num(hfx_patchset_patch_values(ps, i)[k]));
        }
        json_object_set_new(p, "name", json_string(hfx_patchset_patch_name(ps, i)));
        json_object_set_new(p, "values", values);
        json_array_append_new(patches, p);
    }
    return json_pack("{s:o, s:o, s:o}", "metadata", meta, "labels", labels, "patches", patches);
}

static void print_patchset(hfx_patchset_t ps) {
    const char * keys[] = {"analysis_id", "description"};
    for (size_t i = 0; i < 2; i++) {
        const char * v = hfx_patchset_metadata(ps, keys[i]);
        if (v) {
            printf("%s: %s\n", keys[i], v);
        }
    }
    size_t n = hfx_patchset_n_patches(ps), n_labels = hfx_patchset_n_labels(ps);
    int    w = 4;
    for (size_t i = 0; i < n; i++) {
        int len = (int) strlen(hfx_patchset_patch_name(ps, i));
        w       = len > w ? len : w;
    }
    printf("\n    %zu patches found in Patchset\n---------------------------------\n\n%-*s", n, w, "name");
    for (size_t k = 0; k < n_labels; k++) {
        printf("  %12s", hfx_patchset_label(ps, k));
    }
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        printf("%-*s", w, hfx_patchset_patch_name(ps, i));
        for (size_t k = 0; k < n_labels; k++) {
            const char * text = hfx_patchset_patch_value_string(ps, i, k);
            if (text) {
                printf("  %12s", text);
            } else {
                printf("  %12g", hfx_patchset_patch_values(ps, i)[k]);
            }
        }
        printf("\n");
    }
}

static int patchset_inspect(int argc, char ** argv) {
    struct cli_parsed args;
    bool              as_json = false;
    int rc = cli_parse_command(&PS_INSPECT, argc, argv, NULL, NULL, set_flag, &as_json, &args);
    if (rc != CLI_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    hfx_patchset_t   ps  = NULL;
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_patchset_load(args.pos[0], &ps, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        rc = CLI_FAIL;
    } else if (as_json) {
        json_t * j = patchset_json(ps);
        rc         = jout_emit(j, NULL);
        json_decref(j);
    } else {
        print_patchset(ps);
    }
    hfx_patchset_free(ps);
    free(args.pos);
    return rc;
}

//
// apply
//

/* Validates the patched workspace (as pyhf's PatchSet.apply does, through Workspace(...)) and
 * prints it as pyhf does (indent 4, sorted keys). */
static int emit_workspace(hfx_workspace_t ws, const char * output) {
    char *           text = NULL;
    struct hfx_error err  = {0};
    enum hfx_status  st   = hfx_workspace_validate(ws, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    st = hfx_workspace_dump(ws, &text, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    json_error_t jerr;
    json_t *     root = json_loads(text, 0, &jerr);
    free(text);
    if (!root) {
        cli_error("cannot re-read the patched workspace: %s", jerr.text);
        return CLI_FAIL;
    }
    int rc = jout_emit(root, output);
    json_decref(root);
    return rc;
}

static int patchset_apply(int argc, char ** argv) {
    struct model_opts mo;
    struct cli_parsed args;
    const char *      name = NULL;
    model_opts_init(&mo, PS_APPLY.name);
    int rc = cli_parse_command(&PS_APPLY, argc, argv, NULL, NULL, set_name, &name, &args);
    if (rc != CLI_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    mo.ws_path          = args.pos[0];
    mo.patchset_path    = args.pos[1];
    mo.patch_name       = name;
    hfx_workspace_t ws  = NULL;
    rc                  = model_opts_workspace(&mo, &ws);
    if (rc == CLI_OK) {
        rc = emit_workspace(ws, args.output_file);
    }
    hfx_workspace_free(ws);
    free(args.pos);
    model_opts_free(&mo);
    return rc;
}

static void print_patchset_usage(void) {
    printf("usage: hfx patchset COMMAND [ARGS...]\n\ncommands:\n"
           "  inspect   list the labels and patches of a patchset\n"
           "  apply     apply one patch of a patchset to a background-only workspace\n"
           "\nRun 'hfx patchset COMMAND --help' for the options of a command.\n");
}

int cmd_patchset(int argc, char ** argv) {
    if (argc < 2) {
        return cli_usage_error("patchset", "missing command: inspect or apply");
    }
    const char * sub = argv[1];
    if (strcmp(sub, "inspect") == 0) {
        return patchset_inspect(argc - 1, argv + 1);
    }
    if (strcmp(sub, "apply") == 0) {
        return patchset_apply(argc - 1, argv + 1);
    }
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        print_patchset_usage();
        return CLI_OK;
    }
    return cli_usage_error("patchset", "unknown patchset command '%s' (expected inspect or apply)", sub);
}
