/*
 * options.h -- the options shared by the commands that build a model (which workspace, patches,
 * measurement, interpolation codes, backend, threads) and those that run hypotests (test statistic,
 * calculator, toys), with the code that turns them into a workspace, a model and an engine.
 */
#ifndef HFX_OPTIONS_H
#define HFX_OPTIONS_H

#include "cli.h"

#include <jansson.h>

/* Option ids of the shared tables (command-specific ids start at 100). */
enum shared_opt_id {
    OPT_MEASUREMENT = 10,
    OPT_PATCH,
    OPT_PATCHSET,
    OPT_PATCH_NAME,
    OPT_NORMSYS_INTERP,
    OPT_HISTOSYS_INTERP,
    OPT_BACKEND,
    OPT_THREADS,
    OPT_BATCH,
    OPT_EXPLORE,
    OPT_MAX_ITER,
    OPT_OPTIMIZER,
    OPT_TEST_POI,
    OPT_TESTSTAT,
    OPT_CALCTYPE,
    OPT_NTOYS,
    OPT_SEED,
    OPT_OUTPUT_FILE,
    OPT_TIMINGS,
    OPT_OPTCONF,
};

/* Returned by the *_handle functions for an option that is not theirs. */
enum { CLI_NOT_MINE = -1 };

extern const struct cli_opt ws_opt_table[];       /* --measurement, -p/--patch */
extern const struct cli_opt patchset_opt_table[]; /* --patchset, --patch-name */
extern const struct cli_opt interp_opt_table[];   /* --normsys-interp, --histosys-interp */
extern const struct cli_opt engine_opt_table[];   /* --backend, --threads, --batch, --explore */
extern const struct cli_opt test_poi_opt_table[]; /* --test-poi */
extern const struct cli_opt timings_opt_table[];  /* --timings (commands with one session) */
extern const struct cli_opt infer_opt_table[];    /* --teststat, --calctype, --ntoys, --seed */
extern const struct cli_opt output_opt_table[];   /* --output-file */

struct model_opts {
    const char *              cmd;          /* for messages */
    const char *              ws_path;      /* "-" is stdin */
    struct cli_strings        patch_files;  /* applied in order */
    const char *              patchset_path;
    const char *              patch_name;
    const char *              xml_basedir;  /* a driver XML's --basedir (hfx convert, xml2json), else NULL */
    struct hfx_xml_mount *    xml_mounts;   /* xml2json --mount: local_path owned (freed by model_opts_free) */
    size_t                    n_xml_mounts, cap_xml_mounts;
    struct hfx_model_options  model;
    struct hfx_engine_options engine;
    bool                      threads_set;
    bool                      timings;      /* --timings: phase times on stderr */
    /* session_open's checks of out-of-range requests, as pyhf's fits make them: */
    bool                      check_init;   /* every init within its bounds (default; eval checks its point) */
    const double *            poi_test;     /* the --test-poi value of commands that have one, else NULL */
};

void model_opts_init(struct model_opts * mo, const char * cmd);
void model_opts_free(struct model_opts * mo);
/* Handles an option of ws/patchset/interp/engine tables: CLI_OK, CLI_USAGE (printed) or CLI_NOT_MINE. */
int model_opts_handle(struct model_opts * mo, const struct cli_opt * o, const char * value);
/* Checks combinations once all arguments are seen: CLI_OK or CLI_USAGE (printed). */
int model_opts_check(const struct model_opts * mo);

/* The default backend: "cpu" when compiled in, else "cpu-ref". */
const char * cli_default_backend(void);

/* The parameter set holding parameter i and i's place in it; false if i is past the last. */
bool cli_par_locate(hfx_model_t m, size_t i, size_t * set, size_t * k);

/* Reads a workspace file ("-": standard input). Prints errors; returns CLI_OK or CLI_FAIL. */
int cli_load_workspace(const char * path, hfx_workspace_t * out);

/* Out-of-range requests are errors, as in pyhf's fits (printed; CLI_OK or CLI_FAIL):
 * - cli_check_in_bounds: every pars[i] within [lower, upper]; what names where the values came from:
 *   "--pars: parameter 'mu' = -3.0 lies outside its bounds [0.0, 5.0]" for what = "--pars", or
 *   "spec.json: the init of parameter 'mu' (9.0) lies outside its bounds [0.0, 5.0]" for init = true.
 * - cli_check_poi_in_bounds: a POI value given by option (e.g. "--test-poi", "--fix-poi"):
 *   "--test-poi 7.0 lies outside the bounds [0.0, 5.0] of the POI 'mu'". Nothing to check without a POI. */
int cli_check_in_bounds(hfx_model_t m, const double * pars, const char * what, bool init);
int cli_check_poi_in_bounds(hfx_model_t m, double value, const char * option);
/* Validates a background workspace before it is patched, as pyhf does, so that its errors are
 * reported as its own and not as the patched result's. Prints errors. */
int cli_validate_background(hfx_workspace_t ws);
/* Prints ws as pyhf prints a workspace (indent 4, sorted keys) to path, or stdout when NULL; CLI_OK
 * or CLI_FAIL (printed). */
int cli_emit_workspace(hfx_workspace_t ws, const char * path);
/* The workspace (after patches) as a jansson tree, for the commands that edit or hash its JSON (hfx
 * combine, digest, prune, rename, sort; patchset verify): read back from hfx_workspace_dump's text,
 * whose 17 significant digits give every number its double back. NULL after printing an error. */
json_t * cli_workspace_tree(hfx_workspace_t ws);
/* JSON text the library wrote (consumed: freed here) as a jansson tree; what names it in the error
 * printed where it cannot be read (out of memory). */
json_t * cli_json_from_text(char * text, const char * what);
/* A new workspace from the tree root (borrowed), named source in its errors. Prints errors. */
int cli_workspace_from_tree(const json_t * root, const char * source, hfx_workspace_t * out);
/* Applies the -p patch files of mo to ws in order. Prints errors. */
int model_opts_apply_patches(const struct model_opts * mo, hfx_workspace_t ws);
/* Loads mo->ws_path and applies the patch files, then the patchset patch. Prints errors. */
int model_opts_workspace(const struct model_opts * mo, hfx_workspace_t * out);

/* Workspace, model and (optionally) engine of one command. */
struct session {
    hfx_workspace_t ws;
    hfx_model_t     model;
    hfx_engine_t    engine;
    bool            timings;                              /* print the phases at session_close */
    double          t_start, t_parsed, t_compiled, t_ready; /* progress_now() at each phase's end */
};
/* Builds the session from mo; prints errors. On failure everything is freed. Checks the model's init
 * values (mo->check_init) and --test-poi (mo->poi_test) against their bounds. session_close prints
 * the phase times (parse, compile, engine, fits, the rest of inference) when mo asked for --timings. */
int  session_open(const struct model_opts * mo, struct session * s, bool with_engine);
void session_close(struct session * s);

/* Hypotest options: */
void infer_opts_init(struct hfx_hypotest_options * h);
/* Handles --test-poi and infer_opt_table options: CLI_OK, CLI_USAGE (printed) or CLI_NOT_MINE. */
int  infer_opts_handle(struct hfx_hypotest_options * h, const char * cmd, const struct cli_opt * o,
                       const char * value);

/* A command's shape, for parsing and --help. */
struct cli_command {
    const char *            name;          /* "cls", "patchset apply" */
    const char *            synopsis;      /* after "usage: hfx " */
    const char *            description;
    const struct cli_opt ** tables;        /* NULL-terminated, cli_help_table last */
    const char * const *    pos_names;     /* names of the required positionals, NULL-terminated */
    bool                    more_pos;      /* further positionals allowed */
};

/* What cli_parse_command collected besides options handled by the callbacks. */
struct cli_parsed {
    const char ** pos; /* positionals (pointers into argv); free() the array */
    size_t        n_pos;
    const char *  output_file;
};

/* Handler of a command's own options: CLI_OK or CLI_USAGE (printed). */
typedef int (*cli_extra_fn)(void * ctx, const struct cli_opt * o, const char * value);

enum { CLI_HELP_SHOWN = 3 };

/* Parses argv[1..argc) (argv[0] is the command name): shared options go to mo and h (either may be
 * NULL), --output-file to out, the command's own ones to extra. Returns CLI_OK, CLI_USAGE (printed)
 * or CLI_HELP_SHOWN (help printed; exit 0). On CLI_OK, out->pos must be freed. */
int cli_parse_command(const struct cli_command * cmd, int argc, char ** argv, struct model_opts * mo,
                      struct hfx_hypotest_options * h, cli_extra_fn extra, void * ctx, struct cli_parsed * out);

/* Whether a parameter set is scalar by type (normfactor, normsys, histosys, lumi), not per bin. */
bool cli_parset_scalar(hfx_model_t m, size_t set);
/* {parset name: value or [values]} for a vector of n_pars values. */
json_t * cli_parset_object(hfx_model_t m, const double * values);

#endif /* HFX_OPTIONS_H */
