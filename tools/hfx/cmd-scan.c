/*
 * cmd-scan.c -- "hfx scan": the CLs of many signal patches on one background-only workspace.
 * Patchset files expand to their patches, JSON Patch files are one patch each, directories hold
 * either. Worker threads each own a copy of the background and of the patchsets (handles are not
 * shared between threads) and build one workspace, model and engine per patch; the main thread
 * prints one compact JSON line per patch in input order as soon as it is ready.
 */
#include "fit-report.h"
#include "json-out.h"
#include "options.h"
#include "progress.h"

#include <dirent.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_JOBS = 100 };

static const struct cli_opt SCAN_OPTS[] = {
    {OPT_JOBS, "--jobs", "-j", "N", "patches computed in parallel (default: the number of cores)"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * SCAN_TABLES[] = {ws_opt_table, interp_opt_table, engine_opt_table, test_poi_opt_table,
                                               infer_opt_table, SCAN_OPTS,      cli_help_table,   NULL};
static const char * const SCAN_POS[] = {"BACKGROUND", "PATCHES", NULL};

static const struct cli_command SCAN = {
    "scan",
    "scan BACKGROUND PATCHES... [--jobs N] [options]",
    "Computes CLs at --test-poi for every signal patch on the background-only workspace and prints\n"
    "one line per patch, in input order: {\"patch\": name, \"CLs_obs\": x, \"CLs_exp\": [5 values]},\n"
    "or {\"patch\": name, \"error\": message} for a patch that fails (the exit status is then 1).\n"
    "PATCHES are pyhf patchset files (all their patches), JSON Patch files (named by the file name\n"
    "without 'patch.' and '.json': patch.sbottom_1300_205_60.json -> sbottom_1300_205_60), or\n"
    "directories of such files (sorted by name; other JSON files are skipped). -p patches apply to\n"
    "the background first. Each patch runs with --threads 1 unless --threads is given; results do\n"
    "not depend on --jobs. A progress bar is drawn on standard error when it is a terminal.",
    SCAN_TABLES,
    SCAN_POS,
    true,
};

/* One input file: a patchset (expanded) or a JSON Patch file. */
struct scan_input {
    const char *   path;
    hfx_patchset_t ps; /* main thread's handle, for names; NULL for a patch file */
};

/* One patch to compute, and its result. */
struct scan_item {
    char *                     name;
    size_t                     input;
    size_t                     ps_index;
    bool                       done;
    bool                       ok;
    struct hfx_hypotest_result r;
    json_t *                   report; /* "status" and any "warnings" of its fits (fit-report.h) */
    char                       error[1600];
};

struct scan {
    struct scan_input *         inputs;
    size_t                      n_inputs;
    struct scan_item *          items;
    size_t                      n_items;
    const struct model_opts *   mo;
    struct hfx_engine_options   engine;
    struct hfx_hypotest_options h;
    size_t                      next; /* next item to take */
    pthread_mutex_t             mu;
    pthread_cond_t              cv;
    struct progress             progress;
};

struct worker {
    struct scan *     sc;
    hfx_workspace_t   bkg; /* this worker's own copy */
    hfx_patchset_t *  ps;  /* [n_inputs]: this worker's own patchsets */
    pthread_t         tid;
    char              setup_error[1600];
};

static int scan_extra(void * ctx, const struct cli_opt * o, const char * v) {
    long * jobs = ctx;
    if (o->id != OPT_JOBS) {
        return CLI_NOT_MINE;
    }
    if (!cli_parse_long(v, 1, 1024, jobs)) {
        return cli_usage_error(SCAN.name, "invalid value '%s' for --jobs (expected an integer 1..1024)", v);
    }
    return CLI_OK;
}

//
// Inputs and items
//

enum input_kind { INPUT_PATCH, INPUT_PATCHSET, INPUT_OTHER };

/* A JSON array is a patch, an object with "patches" a patchset; unreadable files count as patches
 * (the library reports them when applying). */
static enum input_kind classify(const char * path) {
    json_error_t jerr;
    json_t *     j = json_load_file(path, 0, &jerr);
    if (!j) {
        return INPUT_PATCH;
    }
    enum input_kind k = json_is_array(j) ? INPUT_PATCH : json_object_get(j, "patches") ? INPUT_PATCHSET : INPUT_OTHER;
    json_decref(j);
    return k;
}

static char * patch_file_name(const char * path) {
    const char * base = cli_basename(path);
    if (strncmp(base, "patch.", 6) == 0 && base[6]) {
        base += 6;
    }
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0) {
        n -= 5;
    }
    return strndup(base, n);
}

static int add_item(struct scan * sc, char * name, size_t input, size_t ps_index) {
    struct scan_item * items = realloc(sc->items, (sc->n_items + 1) * sizeof *items);
    if (!name || !items) {
        free(name);
        if (items) {
            sc->items = items;
        }
        cli_error("out of memory");
        return CLI_FAIL;
    }
    sc->items = items;
    memset(&items[sc->n_items], 0, sizeof items[0]);
    items[sc->n_items].name     = name;
    items[sc->n_items].input    = input;
    items[sc->n_items].ps_index = ps_index;
    sc->n_items++;
    return CLI_OK;
}

/* Records an input (path must outlive the scan) and its items. Prints errors. */
static int add_input(struct scan * sc, const char * path, enum input_kind kind) {
    struct scan_input * in = realloc(sc->inputs, (sc->n_inputs + 1) * sizeof *in);
    if (!in) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    sc->inputs       = in;
    size_t     index = sc->n_inputs++;
    in[index].path   = path;
    in[index].ps     = NULL;
    if (kind != INPUT_PATCHSET) {
        return add_item(sc, patch_file_name(path), index, 0);
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_patchset_load(path, &in[index].ps, &err);
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < hfx_patchset_n_patches(in[index].ps); i++) {
        if (add_item(sc, strdup(hfx_patchset_patch_name(in[index].ps, i)), index, i) != CLI_OK) {
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

static int json_file_filter(const struct dirent * d) {
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Remembers a path built here so that it outlives the scan. */
static char * keep_path(char *** keep, size_t * n_keep, const char * dir, const char * name) {
    char ** k    = realloc(*keep, (*n_keep + 1) * sizeof *k);
    if (!k) {
        return NULL;
    }
    *keep       = k;
    size_t size = strlen(dir) + strlen(name) + 2;
    char * path = malloc(size);
    if (!path) {
        return NULL;
    }
    snprintf(path, size, "%s/%s", dir, name);
    k[(*n_keep)++] = path;
    return path;
}

/* Adds the patch and patchset files of a directory, sorted by name; other files are skipped. */
static int add_directory(struct scan * sc, const char * dir, char *** keep, size_t * n_keep) {
    struct dirent ** names = NULL;
    int              n     = scandir(dir, &names, json_file_filter, alphasort);
    if (n < 0) {
        cli_error("%s: cannot read the directory", dir);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    for (int i = 0; i < n; i++) {
        char * path = rc == CLI_OK ? keep_path(keep, n_keep, dir, names[i]->d_name) : NULL;
        if (rc == CLI_OK && !path) {
            cli_error("out of memory");
            rc = CLI_FAIL;
        }
        enum input_kind kind = path ? classify(path) : INPUT_OTHER;
        if (kind != INPUT_OTHER) {
            rc = add_input(sc, path, kind);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int collect_inputs(struct scan * sc, const struct cli_parsed * args, char *** keep, size_t * n_keep) {
    for (size_t i = 1; i < args->n_pos; i++) {
        const char * path = args->pos[i];
        struct stat  st;
        int          rc;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = add_directory(sc, path, keep, n_keep);
        } else {
            enum input_kind kind = classify(path);
            rc                   = add_input(sc, path, kind == INPUT_OTHER ? INPUT_PATCHSET : kind);
        }
        if (rc != CLI_OK) {
            return rc;
        }
    }
    return CLI_OK;
}

//
// Workers
//

static bool fail(char * buf, size_t size, enum hfx_status st, const struct hfx_error * err) {
    if (err->msg[0] || err->source[0] || err->pointer[0]) {
        hfx_error_format(err, buf, size);
    } else {
        snprintf(buf, size, "%s", hfx_status_str(st));
    }
    return false;
}

/* Applies the item's patch to a fresh copy of the worker's background and runs the hypotest. */
static bool compute_item(struct worker * w, struct scan_item * it) {
    struct scan *    sc  = w->sc;
    struct hfx_error err = {0};
    hfx_workspace_t  ws  = NULL;
    hfx_model_t      m   = NULL;
    hfx_engine_t     e   = NULL;
    hfx_patchset_t   ps  = w->ps[it->input];
    enum hfx_status  st  = hfx_workspace_copy(w->bkg, &ws, &err);
    if (st == HFX_OK) {
        st = ps ? hfx_patchset_apply(ps, it->ps_index, ws, &err)
                : hfx_workspace_apply_patch_file(ws, sc->inputs[it->input].path, &err);
    }
    if (st == HFX_OK) {
        st = hfx_model_create(ws, &sc->mo->model, &m, &err);
    }
    if (st == HFX_OK) {
        st = hfx_engine_create(m, &sc->engine, &e, &err);
    }
    if (st == HFX_OK) {
        st = hfx_hypotest(e, &sc->h, &it->r, &err);
    }
    if (st == HFX_OK && (it->report = json_object())) {
        char what[1200];
        snprintf(what, sizeof what, "a fit of patch %s", it->name);
        report_status(it->report, it->r.status, what);
        report_warnings(it->report, e, m, it->name);
    }
    bool ok = st == HFX_OK || fail(it->error, sizeof it->error, st, &err);
    hfx_engine_free(e);
    hfx_model_free(m);
    hfx_workspace_free(ws);
    return ok;
}

/* Loads this worker's own patchsets; on failure every item it computes reports the error. */
static void worker_setup(struct worker * w) {
    for (size_t i = 0; i < w->sc->n_inputs && !w->setup_error[0]; i++) {
        if (w->sc->inputs[i].ps) {
            struct hfx_error err = {0};
            enum hfx_status  st  = hfx_patchset_load(w->sc->inputs[i].path, &w->ps[i], &err);
            if (st != HFX_OK) {
                fail(w->setup_error, sizeof w->setup_error, st, &err);
            }
        }
    }
}

static void * worker_main(void * arg) {
    struct worker * w  = arg;
    struct scan *   sc = w->sc;
    worker_setup(w);
    for (;;) {
        pthread_mutex_lock(&sc->mu);
        size_t i = sc->next < sc->n_items ? sc->next++ : sc->n_items;
        pthread_mutex_unlock(&sc->mu);
        if (i == sc->n_items) {
            break;
        }
        struct scan_item * it = &sc->items[i];
        bool               ok = !w->setup_error[0] && compute_item(w, it);
        if (w->setup_error[0]) {
            snprintf(it->error, sizeof it->error, "%s", w->setup_error);
        }
        pthread_mutex_lock(&sc->mu);
        it->ok   = ok;
        it->done = true;
        pthread_cond_broadcast(&sc->cv);
        pthread_mutex_unlock(&sc->mu);
        progress_step(&sc->progress);
    }
    return NULL;
}

static void print_item(const struct scan * sc, const struct scan_item * it) {
    json_t * j = json_object();
    json_object_set_new(j, "patch", json_string(it->name));
    if (it->ok) {
        json_object_set_new(j, "CLs_obs", jout_num(it->r.cls_obs));
        json_object_set_new(j, "CLs_exp", jout_array(it->r.cls_exp, 5));
        if (sc->h.calctype == HFX_CALC_TOYBASED) {
            json_object_set_new(j, "toys_failed", json_integer((json_int_t) (it->r.toys_failed_sb + it->r.toys_failed_b)));
        }
        json_object_update(j, it->report);
    } else {
        json_object_set_new(j, "error", json_string(it->error));
    }
    jout_write(stdout, j, false);
    fputc('\n', stdout);
    fflush(stdout);
    json_decref(j);
}

/* Waits for the items in order and prints them; returns the number that failed. */
static size_t print_in_order(struct scan * sc) {
    size_t failed = 0;
    for (size_t i = 0; i < sc->n_items; i++) {
        pthread_mutex_lock(&sc->mu);
        while (!sc->items[i].done) {
            pthread_cond_wait(&sc->cv, &sc->mu);
        }
        pthread_mutex_unlock(&sc->mu);
        failed += !sc->items[i].ok;
        print_item(sc, &sc->items[i]);
    }
    return failed;
}

static void free_workers(struct worker * w, size_t n, size_t n_inputs) {
    for (size_t i = 0; w && i < n; i++) {
        for (size_t k = 0; w[i].ps && k < n_inputs; k++) {
            hfx_patchset_free(w[i].ps[k]);
        }
        free(w[i].ps);
        hfx_workspace_free(w[i].bkg);
    }
    free(w);
}

/* Gives each worker its own copy of the background (made here, on one thread). Prints errors. */
static struct worker * make_workers(struct scan * sc, hfx_workspace_t bkg, size_t n) {
    struct worker * w = calloc(n, sizeof *w);
    for (size_t i = 0; w && i < n; i++) {
        struct hfx_error err = {0};
        w[i].sc              = sc;
        w[i].ps              = calloc(sc->n_inputs ? sc->n_inputs : 1, sizeof *w[i].ps);
        enum hfx_status st   = w[i].ps ? hfx_workspace_copy(bkg, &w[i].bkg, &err) : HFX_ERR_ALLOC;
        if (st != HFX_OK) {
            cli_error_hfx(st, &err);
            free_workers(w, n, sc->n_inputs);
            return NULL;
        }
    }
    if (!w) {
        cli_error("out of memory");
    }
    return w;
}

/* Runs the workers and prints the results. Returns the exit status. */
static int run_scan(struct scan * sc, hfx_workspace_t bkg, size_t n_jobs) {
    struct worker * w = make_workers(sc, bkg, n_jobs);
    if (!w) {
        return CLI_FAIL;
    }
    pthread_mutex_init(&sc->mu, NULL);
    pthread_cond_init(&sc->cv, NULL);
    progress_start(&sc->progress, sc->n_items, "patches");
    size_t started = 0;
    while (started < n_jobs && pthread_create(&w[started].tid, NULL, worker_main, &w[started]) == 0) {
        started++;
    }
    size_t failed = 0;
    if (started == 0) {
        cli_error("cannot start worker threads");
        failed = 1;
    } else {
        failed = print_in_order(sc);
    }
    for (size_t i = 0; i < started; i++) {
        pthread_join(w[i].tid, NULL);
    }
    progress_finish(&sc->progress);
    pthread_cond_destroy(&sc->cv);
    pthread_mutex_destroy(&sc->mu);
    free_workers(w, n_jobs, sc->n_inputs);
    return failed ? CLI_FAIL : CLI_OK;
}

static void free_scan(struct scan * sc) {
    for (size_t i = 0; i < sc->n_items; i++) {
        free(sc->items[i].name);
        json_decref(sc->items[i].report);
    }
    for (size_t i = 0; i < sc->n_inputs; i++) {
        hfx_patchset_free(sc->inputs[i].ps);
    }
    free(sc->items);
    free(sc->inputs);
}

static size_t default_jobs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t) n : 1;
}

static int scan_main(struct scan * sc, const struct cli_parsed * args, long jobs) {
    char ** keep   = NULL;
    size_t  n_keep = 0;
    int     rc     = collect_inputs(sc, args, &keep, &n_keep);
    hfx_workspace_t bkg = NULL;
    if (rc == CLI_OK) {
        rc = cli_load_workspace(sc->mo->ws_path, &bkg);
    }
    if (rc == CLI_OK) {
        rc = model_opts_apply_patches(sc->mo, bkg);
    }
    if (rc == CLI_OK && sc->n_items == 0) {
        cli_error("no patches to scan");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        size_t n_jobs = jobs > 0 ? (size_t) jobs : default_jobs();
        rc            = run_scan(sc, bkg, n_jobs < sc->n_items ? n_jobs : sc->n_items);
    }
    hfx_workspace_free(bkg);
    for (size_t i = 0; i < n_keep; i++) {
        free(keep[i]);
    }
    free(keep);
    return rc;
}

int cmd_scan(int argc, char ** argv) {
    struct model_opts mo;
    struct scan       sc;
    struct cli_parsed args;
    long              jobs = 0;
    memset(&sc, 0, sizeof sc);
    model_opts_init(&mo, SCAN.name);
    infer_opts_init(&sc.h);
    int rc = cli_parse_command(&SCAN, argc, argv, &mo, &sc.h, scan_extra, &jobs, &args);
    if (rc == CLI_OK) {
        sc.mo               = &mo;
        sc.engine           = mo.engine;
        sc.engine.n_threads = mo.threads_set ? mo.engine.n_threads : 1;
        rc                  = scan_main(&sc, &args, jobs);
        free(args.pos);
    }
    free_scan(&sc);
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
