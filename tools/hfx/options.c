/*
 * options.c -- shared model and hypotest options: their tables, their parsing, and building the
 * workspace (with patches), model and engine they describe.
 */
#include "options.h"
#include "progress.h"

#include "array.h"
#include "json-out.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

const struct cli_opt ws_opt_table[] = {
    {OPT_MEASUREMENT, "--measurement", NULL, "NAME", "measurement to use (default: the first one)"},
    {OPT_PATCH, "--patch", "-p", "FILE", "JSON Patch (RFC 6902) file applied to the workspace; repeatable, in order"},
    {0, NULL, NULL, NULL, NULL},
};

const struct cli_opt patchset_opt_table[] = {
    {OPT_PATCHSET, "--patchset", NULL, "FILE", "pyhf patchset; its patch --patch-name is applied after -p patches"},
    {OPT_PATCH_NAME, "--patch-name", NULL, "NAME", "patch of --patchset to apply (optional if it has one patch)"},
    {0, NULL, NULL, NULL, NULL},
};

const struct cli_opt interp_opt_table[] = {
    {OPT_NORMSYS_INTERP, "--normsys-interp", NULL, "CODE", "normsys interpolation: code1 or code4 (default)"},
    {OPT_HISTOSYS_INTERP, "--histosys-interp", NULL, "CODE", "histosys interpolation: code0, code2 or code4p (default)"},
    {0, NULL, NULL, NULL, NULL},
};

const struct cli_opt engine_opt_table[] = {
    {OPT_BACKEND, "--backend", NULL, "NAME",
     "compute backend (default: cpu if compiled in, else cpu-ref); pyhf's numpy, np, jax, pytorch, torch, "
     "tensorflow, tf mean the default"},
    {OPT_THREADS, "--threads", NULL, "N", "threads of threaded backends (default 0: all cores)"},
    {OPT_BATCH, "--batch", NULL, "K", "fits advanced together (toys, grid points; default 0: the backend's choice)"},
    {OPT_EXPLORE, "--explore", NULL, "HOW",
     "search for the global minimum: default, thorough (hfx fit's default) or none (docs/model.md)"},
    {OPT_MAX_ITER, "--max-iter", NULL, "N", "iterations of one descent before a fit gives up (default 2000)"},
    {OPT_OPTIMIZER, "--optimizer", NULL, "NAME",
     "quasi-Newton matrix: auto (default: lbfgs), bfgs (dense) or lbfgs (limited memory); pyhf's scipy and minuit "
     "are accepted and mean auto"},
    {OPT_OPTCONF, "--optconf", NULL, "KEY=VALUE",
     "pyhf's optimizer options: maxiter=N is --max-iter N; the others (tolerance, strategy, ...) are accepted "
     "and ignored, with a warning (docs/cli.md)"},
    {0, NULL, NULL, NULL, NULL},
};

const struct cli_opt timings_opt_table[] = {
    {OPT_TIMINGS, "--timings", NULL, NULL, "print the time of each phase (parse, compile, engine, fits, inference) on stderr"},
    {0, NULL, NULL, NULL, NULL},
};

const struct cli_opt test_poi_opt_table[] = {
    {OPT_TEST_POI, "--test-poi", NULL, "MU", "POI value to test (default 1)"},
    {0, NULL, NULL, NULL, NULL},
};

const struct cli_opt infer_opt_table[] = {
    {OPT_TESTSTAT, "--teststat", "--test-stat", "TS", "test statistic: qtilde (default), q, q0, tmu, tmutilde"},
    {OPT_CALCTYPE, "--calctype", NULL, "TYPE", "asymptotics (default) or toybased"},
    {OPT_NTOYS, "--ntoys", NULL, "N", "toys per hypothesis for toybased (default 2000)"},
    {OPT_SEED, "--seed", NULL, "S", "random seed for toybased (default 0)"},
    {0, NULL, NULL, NULL, NULL},
};

const struct cli_opt output_opt_table[] = {
    {OPT_OUTPUT_FILE, "--output-file", "-o", "FILE", "write the JSON result to FILE instead of standard output"},
    {0, NULL, NULL, NULL, NULL},
};

void model_opts_init(struct model_opts * mo, const char * cmd) {
    memset(mo, 0, sizeof *mo);
    mo->cmd            = cmd;
    mo->engine.backend = cli_default_backend();
    mo->check_init     = true;
}

void model_opts_free(struct model_opts * mo) {
    free(mo->patch_files.v);
    mo->patch_files = (struct cli_strings){0};
    for (size_t i = 0; i < mo->n_xml_mounts; i++) {
        free((char *) mo->xml_mounts[i].local_path);
    }
    free(mo->xml_mounts);
    mo->xml_mounts     = NULL;
    mo->n_xml_mounts   = 0;
    mo->cap_xml_mounts = 0;
}

const char * cli_default_backend(void) {
    for (size_t i = 0; i < hfx_backend_count(); i++) {
        if (strcmp(hfx_backend_name(i), "cpu") == 0) {
            return "cpu";
        }
    }
    return "cpu-ref";
}

static bool backend_known(const char * name) {
    for (size_t i = 0; i < hfx_backend_count(); i++) {
        if (strcmp(hfx_backend_name(i), name) == 0) {
            return true;
        }
    }
    return false;
}

static int bad_backend(const struct model_opts * mo, const char * name) {
    char   list[512] = "";
    size_t n         = 0;
    for (size_t i = 0; i < hfx_backend_count() && n < sizeof list; i++) {
        int k = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", hfx_backend_name(i));
        n += k > 0 ? (size_t) k : 0;
    }
    return cli_usage_error(mo->cmd, "unknown backend '%s' (compiled in: %s)", name, list);
}

static int parse_interp(const struct model_opts * mo, const struct cli_opt * o, const char * v,
                        enum hfx_interp_code * out) {
    static const struct {
        const char *         name;
        enum hfx_interp_code code;
        bool                 normsys;
    } codes[] = {
        {"code1", HFX_INTERP_CODE1, true},   {"code4", HFX_INTERP_CODE4, true},
        {"code0", HFX_INTERP_CODE0, false},  {"code2", HFX_INTERP_CODE2, false},
        {"code4p", HFX_INTERP_CODE4P, false},
    };
    bool normsys = o->id == OPT_NORMSYS_INTERP;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (codes[i].normsys == normsys && strcmp(codes[i].name, v) == 0) {
            *out = codes[i].code;
            return CLI_OK;
        }
    }
    return cli_usage_error(mo->cmd, "invalid value '%s' for %s (expected %s)", v, o->name,
                           normsys ? "code1 or code4" : "code0, code2 or code4p");
}

/* pyhf's --backend names: all of them compute in float64 what hfx's default backend computes, so
 * they select it; numpy (pyhf's default) silently, the others with a note that pyhf's library is
 * not used. Returns false for a name that is not pyhf's. */
static bool pyhf_backend(struct model_opts * mo, const char * v) {
    static const char * const names[] = {"numpy", "np", "jax", "pytorch", "torch", "tensorflow", "tf"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i], v) == 0) {
            if (i >= 2) {
                cli_warning("--backend %s: pyhf's %s backend is not used; hfx computes on its %s backend (the "
                            "same float64 likelihood)", v, v, cli_default_backend());
            }
            mo->engine.backend = cli_default_backend();
            return true;
        }
    }
    return false;
}

/* pyhf's --optconf KEY=VALUE: maxiter maps to --max-iter; pyhf's other optimizer options have no
 * counterpart in hfx's minimizer (its convergence test is its own) and are ignored, said on stderr. */
static int pyhf_optconf(struct model_opts * mo, const char * v) {
    const char * eq = strchr(v, '=');
    if (!eq || eq == v) {
        return cli_usage_error(mo->cmd, "invalid value '%s' for --optconf (expected KEY=VALUE, e.g. maxiter=5000)", v);
    }
    long n = 0;
    if ((size_t) (eq - v) == strlen("maxiter") && strncmp(v, "maxiter", 7) == 0) {
        if (!cli_parse_long(eq + 1, 1, 1000000, &n)) {
            return cli_usage_error(mo->cmd, "invalid value '%s' for --optconf maxiter (expected an integer 1..1000000)",
                                   eq + 1);
        }
        mo->engine.max_iter = (int) n;
        return CLI_OK;
    }
    cli_warning("--optconf %s: pyhf's optimizer option '%.*s' has no counterpart in hfx's minimizer and is ignored",
                v, (int) (eq - v), v);
    return CLI_OK;
}

int model_opts_handle(struct model_opts * mo, const struct cli_opt * o, const char * v) {
    long n = 0;
    switch (o->id) {
    case OPT_MEASUREMENT: mo->model.measurement = v; return CLI_OK;
    case OPT_PATCH: return cli_strings_add(&mo->patch_files, v);
    case OPT_PATCHSET: mo->patchset_path = v; return CLI_OK;
    case OPT_PATCH_NAME: mo->patch_name = v; return CLI_OK;
    case OPT_NORMSYS_INTERP: return parse_interp(mo, o, v, &mo->model.normsys_interp);
    case OPT_HISTOSYS_INTERP: return parse_interp(mo, o, v, &mo->model.histosys_interp);
    case OPT_BACKEND:
        if (pyhf_backend(mo, v)) {
            return CLI_OK;
        }
        if (!backend_known(v)) {
            return bad_backend(mo, v);
        }
        mo->engine.backend = v;
        return CLI_OK;
    case OPT_THREADS:
        if (!cli_parse_long(v, 0, 4096, &n)) {
            return cli_usage_error(mo->cmd, "invalid value '%s' for --threads (expected an integer 0..4096)", v);
        }
        mo->engine.n_threads = (int) n;
        mo->threads_set      = true;
        return CLI_OK;
    case OPT_BATCH:
        if (!cli_parse_long(v, 0, 1 << 24, &n)) {
            return cli_usage_error(mo->cmd, "invalid value '%s' for --batch (expected an integer 0..16777216)", v);
        }
        mo->engine.batch = (size_t) n;
        return CLI_OK;
    case OPT_MAX_ITER:
        if (!cli_parse_long(v, 1, 1000000, &n)) {
            return cli_usage_error(mo->cmd, "invalid value '%s' for --max-iter (expected an integer 1..1000000)", v);
        }
        mo->engine.max_iter = (int) n;
        return CLI_OK;
    case OPT_TIMINGS: mo->timings = true; return CLI_OK;
    case OPT_OPTIMIZER:
        if (strcmp(v, "auto") == 0) {
            mo->engine.optimizer = HFX_OPTIMIZER_AUTO;
        } else if (strcmp(v, "bfgs") == 0) {
            mo->engine.optimizer = HFX_OPTIMIZER_BFGS;
        } else if (strcmp(v, "lbfgs") == 0) {
            mo->engine.optimizer = HFX_OPTIMIZER_LBFGS;
        } else if (strcmp(v, "scipy") == 0 || strcmp(v, "minuit") == 0) { /* pyhf's names: hfx's own minimizer */
            mo->engine.optimizer = HFX_OPTIMIZER_AUTO;
        } else {
            return cli_usage_error(mo->cmd, "invalid value '%s' for --optimizer (expected auto, bfgs, lbfgs, or pyhf's "
                                            "scipy or minuit)", v);
        }
        return CLI_OK;
    case OPT_EXPLORE:
        if (strcmp(v, "default") == 0) {
            mo->engine.explore = HFX_EXPLORE_DEFAULT;
        } else if (strcmp(v, "thorough") == 0) {
            mo->engine.explore = HFX_EXPLORE_THOROUGH;
        } else if (strcmp(v, "none") == 0) {
            mo->engine.explore = HFX_EXPLORE_NONE;
        } else {
            return cli_usage_error(mo->cmd, "invalid value '%s' for --explore (expected default, thorough or none)", v);
        }
        return CLI_OK;
    case OPT_OPTCONF: return pyhf_optconf(mo, v);
    default: return CLI_NOT_MINE;
    }
}

int model_opts_check(const struct model_opts * mo) {
    if (!mo->ws_path) {
        return cli_usage_error(mo->cmd, "missing argument WORKSPACE");
    }
    if (mo->patch_name && !mo->patchset_path) {
        return cli_usage_error(mo->cmd, "--patch-name needs --patchset");
    }
    size_t n_stdin = strcmp(mo->ws_path, "-") == 0;
    for (size_t i = 0; i < mo->patch_files.n; i++) {
        n_stdin += strcmp(mo->patch_files.v[i], "-") == 0;
    }
    if (n_stdin > 1) {
        return cli_usage_error(mo->cmd, "only one input can come from standard input ('-': the workspace or one -p patch)");
    }
    return CLI_OK;
}

int cli_load_workspace(const char * path, hfx_workspace_t * out) {
    struct hfx_error err = {0};
    enum hfx_status  st  = strcmp(path, "-") == 0 ? hfx_workspace_load_fd(0, "<stdin>", out, &err)
                                                  : hfx_workspace_load(path, out, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

bool cli_par_locate(hfx_model_t m, size_t i, size_t * set, size_t * k) {
    for (size_t s = 0; s < hfx_model_n_parsets(m); s++) {
        size_t off = hfx_model_parset_offset(m, s);
        if (i >= off && i < off + hfx_model_parset_size(m, s)) {
            *set = s;
            *k   = i - off;
            return true;
        }
    }
    return false;
}

/* The name of parameter i, "mu" or "stat_SR (bin 1)", into buf. */
static void par_label(hfx_model_t m, size_t i, char * buf, size_t size) {
    size_t set, k;
    if (!cli_par_locate(m, i, &set, &k)) {
        snprintf(buf, size, "%zu", i);
    } else if (hfx_model_parset_size(m, set) == 1 && cli_parset_scalar(m, set)) {
        snprintf(buf, size, "'%s'", hfx_model_parset_name(m, set));
    } else {
        snprintf(buf, size, "'%s' (bin %zu)", hfx_model_parset_name(m, set), k);
    }
}

int cli_check_in_bounds(hfx_model_t m, const double * pars, const char * what, bool init) {
    const double * lo = hfx_model_lower(m), * hi = hfx_model_upper(m);
    for (size_t i = 0; i < hfx_model_n_pars(m); i++) {
        if (pars[i] >= lo[i] && pars[i] <= hi[i]) {
            continue;
        }
        char name[600], v[32], l[32], h[32];
        par_label(m, i, name, sizeof name);
        jout_format_double(pars[i], v, sizeof v);
        jout_format_double(lo[i], l, sizeof l);
        jout_format_double(hi[i], h, sizeof h);
        if (init) {
            cli_error("%s: the init of parameter %s (%s) lies outside its bounds [%s, %s]", what, name, v, l, h);
        } else {
            cli_error("%s: parameter %s = %s lies outside its bounds [%s, %s]", what, name, v, l, h);
        }
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_check_poi_in_bounds(hfx_model_t m, double value, const char * option) {
    long poi = hfx_model_poi(m);
    if (poi < 0) {
        return CLI_OK;
    }
    double lo = hfx_model_lower(m)[poi], hi = hfx_model_upper(m)[poi];
    if (value >= lo && value <= hi) {
        return CLI_OK;
    }
    char name[600], v[32], l[32], h[32];
    par_label(m, (size_t) poi, name, sizeof name);
    jout_format_double(value, v, sizeof v);
    jout_format_double(lo, l, sizeof l);
    jout_format_double(hi, h, sizeof h);
    cli_error("%s %s lies outside the bounds [%s, %s] of the POI %s", option, v, l, h, name);
    return CLI_FAIL;
}

/* Standard input as a string (malloc'd; NULL after printing an error). */
static char * read_stdin(void) {
    size_t n = 0, cap = 0;
    char * buf = NULL;
    for (size_t got = 1; got > 0;) {
        /* room for one more byte and the NUL: 64 KiB first, then doubling while the buffer is
         * within the input limit; a full buffer past it is refused */
        bool over = cap > HFX_INPUT_BYTES_MAX && n + 2 > cap;
        if (over || !CLI_ARRAY_RESERVE(buf, cap, n + 2, 1 << 16)) {
            free(buf);
            if (cap == 0) {
                cli_error("out of memory");
            } else {
                cli_error("<stdin>: %s",
                          over || 2 * cap > HFX_INPUT_BYTES_MAX ? "larger than the input limit" : "out of memory");
            }
            return NULL;
        }
        got = fread(buf + n, 1, cap - n - 1, stdin);
        n += got;
    }
    buf[n] = '\0';
    return buf;
}

int model_opts_apply_patches(const struct model_opts * mo, hfx_workspace_t ws) {
    for (size_t i = 0; i < mo->patch_files.n; i++) {
        struct hfx_error err   = {0};
        bool             piped = strcmp(mo->patch_files.v[i], "-") == 0; /* pyhf's -p - */
        char *           text  = piped ? read_stdin() : NULL;
        if (piped && !text) {
            return CLI_FAIL;
        }
        enum hfx_status st = piped ? hfx_workspace_apply_patch_string(ws, text, "<stdin>", &err)
                                   : hfx_workspace_apply_patch_file(ws, mo->patch_files.v[i], &err);
        free(text);
        if (st != HFX_OK) {
            cli_error_hfx(st, &err);
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

/* Index of the patch to apply: --patch-name, or the only patch of the patchset. */
static int pick_patch(const struct model_opts * mo, hfx_patchset_t ps, size_t * index) {
    if (!mo->patch_name) {
        if (hfx_patchset_n_patches(ps) == 1) {
            *index = 0;
            return CLI_OK;
        }
        return cli_usage_error(mo->cmd, "patchset %s has %zu patches: name the one to apply with --patch-name NAME",
                               mo->patchset_path, hfx_patchset_n_patches(ps));
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_patchset_find(ps, mo->patch_name, index, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int apply_patchset(const struct model_opts * mo, hfx_workspace_t ws) {
    struct hfx_error err = {0};
    hfx_patchset_t   ps  = NULL;
    enum hfx_status  st  = hfx_patchset_load(mo->patchset_path, &ps, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    size_t index = 0;
    int    rc    = pick_patch(mo, ps, &index);
    if (rc == CLI_OK) {
        st = hfx_patchset_apply(ps, index, ws, &err);
        if (st != HFX_OK) {
            cli_error_hfx(st, &err);
            rc = CLI_FAIL;
        }
    }
    hfx_patchset_free(ps);
    return rc;
}

/* pyhf validates a background workspace before it patches it (Workspace(spec)); so does hfx, so
 * that an error in the background is reported as the background's and not the patched result's. */
int cli_validate_background(hfx_workspace_t ws) {
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_workspace_validate(ws, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_emit_workspace(hfx_workspace_t ws, const char * path) {
    json_t * root = cli_workspace_tree(ws);
    int      rc   = root ? jout_emit(root, path) : CLI_FAIL;
    json_decref(root);
    return rc;
}

json_t * cli_json_from_text(char * text, const char * what) {
    json_error_t jerr;
    /* JSON_ALLOW_NUL: a "\u0000" the library accepted in a string reads back as it was */
    json_t * root = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    free(text);
    if (!root) {
        cli_error("cannot read back %s: %s", what, jerr.text);
    }
    return root;
}

json_t * cli_workspace_tree(hfx_workspace_t ws) {
    char *           text = NULL;
    struct hfx_error err  = {0};
    enum hfx_status  st   = hfx_workspace_dump(ws, &text, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return NULL;
    }
    return cli_json_from_text(text, "the workspace");
}

int cli_workspace_from_tree(const json_t * root, const char * source, hfx_workspace_t * out) {
    *out = NULL;
    /* 17 significant digits, as hfx_workspace_dump: the numbers reach the library unchanged */
    char * text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!text) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_workspace_load_string(text, source, out, &err);
    free(text);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* The input of mo: any format hfx_workspace_load recognises, or a driver XML read with --basedir or
 * --mount. */
static int load_input(const struct model_opts * mo, hfx_workspace_t * out) {
    if (!mo->xml_basedir && !mo->n_xml_mounts) {
        return cli_load_workspace(mo->ws_path, out);
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_workspace_load_xml_mounted(mo->ws_path, mo->xml_basedir, mo->xml_mounts,
                                                          mo->n_xml_mounts, out, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int model_opts_workspace(const struct model_opts * mo, hfx_workspace_t * out) {
    hfx_workspace_t ws = NULL;
    int             rc = load_input(mo, &ws);
    if (rc == CLI_OK && (mo->patch_files.n > 0 || mo->patchset_path)) {
        rc = cli_validate_background(ws);
    }
    if (rc == CLI_OK) {
        rc = model_opts_apply_patches(mo, ws);
    }
    if (rc == CLI_OK && mo->patchset_path) {
        rc = apply_patchset(mo, ws);
    }
    if (rc != CLI_OK) {
        hfx_workspace_free(ws);
        return rc;
    }
    *out = ws;
    return CLI_OK;
}

/* Whether the model's init values and the --test-poi value lie within their bounds (printed). */
static int check_requests(const struct model_opts * mo, hfx_model_t m) {
    if (mo->check_init && cli_check_in_bounds(m, hfx_model_init(m), mo->ws_path, true) != CLI_OK) {
        return CLI_FAIL;
    }
    return mo->poi_test ? cli_check_poi_in_bounds(m, *mo->poi_test, "--test-poi") : CLI_OK;
}

int session_open(const struct model_opts * mo, struct session * s, bool with_engine) {
    memset(s, 0, sizeof *s);
    s->t_start = progress_now();
    int rc     = model_opts_workspace(mo, &s->ws);
    if (rc != CLI_OK) {
        return rc;
    }
    s->t_parsed          = progress_now();
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_model_create(s->ws, &mo->model, &s->model, &err);
    s->t_compiled        = progress_now();
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        session_close(s);
        return CLI_FAIL;
    }
    if (check_requests(mo, s->model) != CLI_OK) {
        session_close(s);
        return CLI_FAIL;
    }
    if (with_engine) {
        st = hfx_engine_create(s->model, &mo->engine, &s->engine, &err);
    }
    s->t_ready = progress_now();
    s->timings = mo->timings;
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        session_close(s);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* One line on stderr; "inference" is what the command did besides fitting (asymptotics, toy
 * sampling, bracketing, output). */
static void print_timings(const struct session * s) {
    struct hfx_engine_stats st = {0};
    if (s->engine) {
        hfx_engine_stats(s->engine, &st);
    }
    double run = progress_now() - s->t_ready;
    fprintf(stderr,
            "hfx: timings: parse %.3f ms, compile %.3f ms, engine %.3f ms, fits %.3f ms (%llu fits, %llu "
            "evaluations), inference %.3f ms, total %.3f ms\n",
            1e3 * (s->t_parsed - s->t_start), 1e3 * (s->t_compiled - s->t_parsed), 1e3 * (s->t_ready - s->t_compiled),
            1e3 * st.fit_seconds, (unsigned long long) st.n_fits, (unsigned long long) st.n_points,
            1e3 * (run - st.fit_seconds), 1e3 * (progress_now() - s->t_start));
}

void session_close(struct session * s) {
    if (s->timings && s->model) {
        print_timings(s);
    }
    hfx_engine_free(s->engine);
    hfx_model_free(s->model);
    hfx_workspace_free(s->ws);
    memset(s, 0, sizeof *s);
}

void infer_opts_init(struct hfx_hypotest_options * h) {
    memset(h, 0, sizeof *h);
    h->poi_test = 1.0;
    h->teststat = HFX_TESTSTAT_QTILDE;
    h->calctype = HFX_CALC_ASYMPTOTICS;
    h->n_toys   = 2000;
    h->seed     = 0;
}

static int parse_teststat(const char * cmd, const char * v, enum hfx_teststat * out) {
    static const char * const names[] = {"qtilde", "q", "q0", "tmu", "tmutilde"};
    static const enum hfx_teststat codes[] = {HFX_TESTSTAT_QTILDE, HFX_TESTSTAT_Q, HFX_TESTSTAT_Q0, HFX_TESTSTAT_TMU,
                                              HFX_TESTSTAT_TMUTILDE};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i], v) == 0) {
            *out = codes[i];
            return CLI_OK;
        }
    }
    return cli_usage_error(cmd, "invalid value '%s' for --teststat (expected qtilde, q, q0, tmu or tmutilde)", v);
}

static int parse_calctype(const char * cmd, const char * v, enum hfx_calctype * out) {
    if (strcmp(v, "asymptotics") == 0) {
        *out = HFX_CALC_ASYMPTOTICS;
    } else if (strcmp(v, "toybased") == 0) {
        *out = HFX_CALC_TOYBASED;
    } else {
        return cli_usage_error(cmd, "invalid value '%s' for --calctype (expected asymptotics or toybased)", v);
    }
    return CLI_OK;
}

int infer_opts_handle(struct hfx_hypotest_options * h, const char * cmd, const struct cli_opt * o, const char * v) {
    long n = 0;
    switch (o->id) {
    case OPT_TEST_POI:
        if (!cli_parse_double(v, &h->poi_test)) {
            return cli_usage_error(cmd, "invalid value '%s' for --test-poi (expected a finite number)", v);
        }
        return CLI_OK;
    case OPT_TESTSTAT: return parse_teststat(cmd, v, &h->teststat);
    case OPT_CALCTYPE: return parse_calctype(cmd, v, &h->calctype);
    case OPT_NTOYS:
        if (!cli_parse_long(v, 1, 100000000L, &n)) {
            return cli_usage_error(cmd, "invalid value '%s' for --ntoys (expected an integer 1..100000000)", v);
        }
        h->n_toys = (size_t) n;
        return CLI_OK;
    case OPT_SEED:
        if (!cli_parse_u64(v, &h->seed)) {
            return cli_usage_error(cmd, "invalid value '%s' for --seed (expected a non-negative integer)", v);
        }
        return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

static int handle_opt(const struct cli_command * cmd, struct model_opts * mo, struct hfx_hypotest_options * h,
                      cli_extra_fn extra, void * ctx, struct cli_parsed * out, const struct cli_opt * o,
                      const char * v) {
    int rc = CLI_NOT_MINE;
    if (o->id == OPT_OUTPUT_FILE) {
        out->output_file = v;
        return CLI_OK;
    }
    if (mo) {
        rc = model_opts_handle(mo, o, v);
    }
    if (rc == CLI_NOT_MINE && h) {
        rc = infer_opts_handle(h, cmd->name, o, v);
    }
    if (rc == CLI_NOT_MINE && extra) {
        rc = extra(ctx, o, v);
    }
    if (rc == CLI_NOT_MINE) { /* a table lists an option nobody handles: a bug, reported as usage */
        rc = cli_usage_error(cmd->name, "option '%s' is not supported here", o->name);
    }
    return rc;
}

/* Whether standard input has something to read: it is a pipe or a file (not a terminal, nor a
 * device such as /dev/null), and does not end at once. Waits until the writer writes or closes, as
 * pyhf does; nothing is consumed. */
static bool stdin_has_input(void) {
    struct stat sb;
    if (fstat(0, &sb) != 0 || !(S_ISFIFO(sb.st_mode) || S_ISREG(sb.st_mode) || S_ISSOCK(sb.st_mode))) {
        return false;
    }
    if (S_ISREG(sb.st_mode)) {
        return sb.st_size > 0;
    }
    struct pollfd p = {0, POLLIN, 0};
    int           avail = 0;
    while (poll(&p, 1, -1) < 0) {
    }
    return (p.revents & POLLIN) && ioctl(0, FIONREAD, &avail) == 0 && avail > 0;
}

/* pyhf's commands read a missing WORKSPACE (or patchset) from standard input: so does hfx, for one
 * missing positional, when standard input has something to read; else the usage error. */
static int stdin_default(const struct cli_command * cmd, struct cli_parsed * out, size_t n_req) {
    const char * missing = cmd->pos_names[out->n_pos];
    bool         taken   = false;
    for (size_t i = 0; i < out->n_pos; i++) {
        taken = taken || strcmp(out->pos[i], "-") == 0;
    }
    if (out->n_pos + 1 < n_req || taken) {
        return cli_usage_error(cmd->name, "missing argument %s (only one input can come from standard input)",
                               out->n_pos + 1 < n_req ? cmd->pos_names[out->n_pos + 1] : missing);
    }
    if (!stdin_has_input()) {
        return cli_usage_error(cmd->name, "missing argument %s (and nothing on standard input)", missing);
    }
    out->pos[out->n_pos++] = "-";
    return CLI_OK;
}

static int check_positionals(const struct cli_command * cmd, struct cli_parsed * out) {
    size_t n_req = 0;
    while (cmd->pos_names && cmd->pos_names[n_req]) {
        n_req++;
    }
    if (out->n_pos < n_req) {
        return stdin_default(cmd, out, n_req);
    }
    if (out->n_pos > n_req && !cmd->more_pos) {
        return cli_usage_error(cmd->name, "unexpected argument '%s'", out->pos[n_req]);
    }
    return CLI_OK;
}

int cli_parse_command(const struct cli_command * cmd, int argc, char ** argv, struct model_opts * mo,
                      struct hfx_hypotest_options * h, cli_extra_fn extra, void * ctx, struct cli_parsed * out) {
    memset(out, 0, sizeof *out);
    out->pos = malloc((size_t) (argc + 1) * sizeof *out->pos);
    if (!out->pos) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    struct cli_args a;
    cli_args_init(&a, argc, argv, 1, cmd->name, cmd->tables);
    const struct cli_opt * o;
    const char *           v;
    enum cli_arg_kind      kind;
    int                    rc = CLI_OK;
    while (rc == CLI_OK && (kind = cli_args_next(&a, &o, &v)) != CLI_ARG_END) {
        if (kind == CLI_ARG_ERROR) {
            rc = CLI_USAGE;
        } else if (kind == CLI_ARG_POS) {
            out->pos[out->n_pos++] = v;
        } else if (o->id == CLI_OPT_HELP) {
            cli_print_help(cmd->synopsis, cmd->description, cmd->tables);
            rc = CLI_HELP_SHOWN;
        } else {
            rc = handle_opt(cmd, mo, h, extra, ctx, out, o, v);
        }
    }
    if (rc == CLI_OK) {
        rc = check_positionals(cmd, out);
    }
    if (rc == CLI_OK && mo) {
        mo->ws_path = out->pos[0];
        rc          = model_opts_check(mo);
        for (size_t t = 0; h && cmd->tables[t]; t++) {
            mo->poi_test = cmd->tables[t] == test_poi_opt_table ? &h->poi_test : mo->poi_test;
        }
    }
    if (rc != CLI_OK) {
        free(out->pos);
        out->pos = NULL;
    }
    return rc;
}

bool cli_parset_scalar(hfx_model_t m, size_t set) {
    static const char * const scalar_types[] = {"normfactor", "normsys", "histosys", "lumi"};
    const char *              type           = hfx_model_parset_type(m, set);
    for (size_t i = 0; type && i < sizeof scalar_types / sizeof scalar_types[0]; i++) {
        if (strcmp(type, scalar_types[i]) == 0) {
            return true;
        }
    }
    return false;
}

json_t * cli_parset_object(hfx_model_t m, const double * values) {
    json_t * obj = json_object();
    for (size_t s = 0; s < hfx_model_n_parsets(m); s++) {
        size_t off = hfx_model_parset_offset(m, s);
        size_t n   = hfx_model_parset_size(m, s);
        json_object_set_new(obj, hfx_model_parset_name(m, s), jout_values(values + off, n, cli_parset_scalar(m, s)));
    }
    return obj;
}
