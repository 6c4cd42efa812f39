/*
 * cmd-patchset.c -- "hfx patchset inspect" (metadata, labels, patch names and values),
 * "hfx patchset apply" (the patched workspace, printed as pyhf patchset apply prints it), and pyhf's
 * "patchset extract" (one patch's operations, optionally with the metadata) and "patchset verify"
 * (the patchset's digests against a background-only workspace, pyhf.PatchSet.verify).
 */
#include "digest.h"
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
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_workspace_validate(ws, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return cli_emit_workspace(ws, output);
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

//
// extract and verify (pyhf's patchset commands)
//

enum { OPT_WITH_METADATA = 110, OPT_WITHOUT_METADATA };

static const struct cli_opt PS_EXTRACT_OPTS[] = {
    {OPT_NAME, "--name", "--patch-name", "NAME", "patch to extract (optional if the patchset has one patch)"},
    {OPT_WITH_METADATA, "--with-metadata", NULL, NULL, "print {\"metadata\": the patch's and the patchset's, \"patch\": ...}"},
    {OPT_WITHOUT_METADATA, "--without-metadata", NULL, NULL, "print the patch's operations only (default)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt * PS_EXTRACT_TABLES[] = {PS_EXTRACT_OPTS, output_opt_table, cli_help_table, NULL};
static const char * const     PS_EXTRACT_POS[]    = {"PATCHSET", NULL};

static const struct cli_command PS_EXTRACT = {
    "patchset extract",
    "patchset extract [PATCHSET] --name NAME [--with-metadata] [--output-file FILE]",
    "Prints the JSON Patch of patch NAME of PATCHSET, as 'pyhf patchset extract' (indent 4, sorted\n"
    "keys); --with-metadata adds the patch's metadata updated with the patchset's. PATCHSET '-' or\n"
    "absent: standard input.",
    PS_EXTRACT_TABLES,
    PS_EXTRACT_POS,
    false,
};

static const struct cli_opt * PS_VERIFY_TABLES[] = {cli_help_table, NULL};

static const struct cli_command PS_VERIFY = {
    "patchset verify",
    "patchset verify BACKGROUND PATCHSET",
    "Checks the digests in the patchset's metadata against the background-only workspace, as\n"
    "'pyhf patchset verify' (pyhf.utils.digest of the workspace); prints \"All good.\" or fails (exit 1)\n"
    "naming the algorithm and both digests. One of the two may be '-' or absent: standard input.",
    PS_VERIFY_TABLES,
    PS_APPLY_POS,
    false,
};

struct extract_args {
    const char * name;
    bool         with_metadata;
};

static int extract_extra(void * ctx, const struct cli_opt * o, const char * v) {
    struct extract_args * a = ctx;
    switch (o->id) {
    case OPT_NAME: a->name = v; return CLI_OK;
    case OPT_WITH_METADATA: a->with_metadata = true; return CLI_OK;
    case OPT_WITHOUT_METADATA: a->with_metadata = false; return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

/* The patchset at path ("-": stdin). Prints errors. */
static int load_patchset(const char * path, hfx_patchset_t * ps) {
    struct hfx_error err = {0};
    enum hfx_status  st  = strcmp(path, "-") == 0 ? hfx_patchset_load_fd(0, "<stdin>", ps, &err)
                                                  : hfx_patchset_load(path, ps, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int patchset_extract(int argc, char ** argv) {
    struct extract_args a = {0};
    struct cli_parsed   args;
    int rc = cli_parse_command(&PS_EXTRACT, argc, argv, NULL, NULL, extract_extra, &a, &args);
    if (rc != CLI_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    hfx_patchset_t ps = NULL;
    size_t         i  = 0;
    rc                = load_patchset(args.pos[0], &ps);
    if (rc == CLI_OK && !a.name && hfx_patchset_n_patches(ps) != 1) {
        rc = cli_usage_error(PS_EXTRACT.name, "patchset %s has %zu patches: name the one to extract with --name NAME",
                             args.pos[0], hfx_patchset_n_patches(ps));
    } else if (rc == CLI_OK && a.name) {
        struct hfx_error err = {0};
        enum hfx_status  st  = hfx_patchset_find(ps, a.name, &i, &err);
        if (st != HFX_OK) {
            cli_error_hfx(st, &err);
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK) {
        char *           text = NULL;
        struct hfx_error err  = {0};
        enum hfx_status  st   = hfx_patchset_dump_patch(ps, i, a.with_metadata, &text, &err);
        json_t *         result = st == HFX_OK ? cli_json_from_text(text, "the patch") : NULL;
        if (st != HFX_OK) {
            cli_error_hfx(st, &err);
        }
        rc = result ? jout_emit(result, args.output_file) : CLI_FAIL;
        json_decref(result);
    }
    hfx_patchset_free(ps);
    free(args.pos);
    return rc;
}

/* pyhf.PatchSet.verify: every digest of the patchset's metadata equals the workspace's. Prints. */
static int verify_digests(hfx_patchset_t ps, const char * ps_name, hfx_workspace_t ws) {
    /* JSON text owned by ps; a patchset has digests (hfx_patchset_load checks), so NULL is out of memory */
    const char * text    = hfx_patchset_metadata(ps, "digests");
    json_t *     digests = text ? json_loads(text, 0, NULL) : NULL;
    json_t *     tree    = digests ? cli_workspace_tree(ws) : NULL;
    int          rc      = tree ? CLI_OK : CLI_FAIL;
    if (!digests) {
        cli_error("out of memory");
    }
    const char * alg;
    json_t *     want;
    json_object_foreach(digests, alg, want) {
        char hex[72];
        if (rc != CLI_OK) {
            break;
        }
        if (!digest_json(alg, tree, hex)) {
            cli_error("patchset digest algorithm '%s' is not supported (supported: %s)", alg, digest_names);
            rc = CLI_FAIL;
        } else if (strcmp(hex, json_string_value(want)) != 0) {
            cli_error("%s: /metadata/digests/%s: the digest verification failed against %s: expected %s, got %s (the "
                      "patchset was not made for this background-only workspace)", ps_name, alg,
                      hfx_workspace_source(ws), json_string_value(want), hex);
            rc = CLI_FAIL;
        }
    }
    json_decref(digests);
    json_decref(tree);
    return rc;
}

static int patchset_verify(int argc, char ** argv) {
    struct cli_parsed args;
    int               rc = cli_parse_command(&PS_VERIFY, argc, argv, NULL, NULL, NULL, NULL, &args);
    if (rc != CLI_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    hfx_workspace_t ws = NULL;
    hfx_patchset_t  ps = NULL;
    rc                 = cli_load_workspace(args.pos[0], &ws);
    if (rc == CLI_OK) {
        rc = cli_validate_background(ws);
    }
    if (rc == CLI_OK) {
        rc = load_patchset(args.pos[1], &ps);
    }
    if (rc == CLI_OK && (rc = verify_digests(ps, strcmp(args.pos[1], "-") == 0 ? "<stdin>" : args.pos[1], ws)) == CLI_OK) {
        printf("All good.\n");
    }
    hfx_patchset_free(ps);
    hfx_workspace_free(ws);
    free(args.pos);
    return rc;
}

static void print_patchset_usage(void) {
    printf("usage: hfx patchset COMMAND [ARGS...]\n\ncommands:\n"
           "  inspect   list the labels and patches of a patchset\n"
           "  apply     apply one patch of a patchset to a background-only workspace\n"
           "  extract   print one patch of a patchset (as 'pyhf patchset extract')\n"
           "  verify    check a patchset's digests against a background-only workspace\n"
           "\nRun 'hfx patchset COMMAND --help' for the options of a command.\n");
}

int cmd_patchset(int argc, char ** argv) {
    if (argc < 2) {
        return cli_usage_error("patchset", "missing command: inspect, apply, extract or verify");
    }
    const char * sub = argv[1];
    if (strcmp(sub, "inspect") == 0) {
        return patchset_inspect(argc - 1, argv + 1);
    }
    if (strcmp(sub, "apply") == 0) {
        return patchset_apply(argc - 1, argv + 1);
    }
    if (strcmp(sub, "extract") == 0) {
        return patchset_extract(argc - 1, argv + 1);
    }
    if (strcmp(sub, "verify") == 0) {
        return patchset_verify(argc - 1, argv + 1);
    }
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        print_patchset_usage();
        return CLI_OK;
    }
    return cli_usage_error("patchset", "unknown patchset command '%s' (expected inspect, apply, extract or verify)", sub);
}
