/*
 * cmd-scan.c -- "hfx scan": the CLs (or upper limits) of many signal patches on one background-only
 * workspace. Patchset files expand to their patches, JSON Patch files are one patch each,
 * directories hold either.
 *
 * Work flows from the rank work queue (ranks/queue.h) to worker threads, each owning a copy of the
 * background and of the patchsets (handles are not shared between threads) and building one
 * workspace, model and engine per patch; a patch's result becomes its output line on the thread
 * that computed it (scan_line). Rank 0 hands out the patches one at a time, to its own threads and,
 * under MPI, to the other ranks as they ask (dynamic: a rank with slow patches simply asks less
 * often); every line comes to rank 0, whose main thread writes them in input order as they
 * complete, so that the output is byte for byte the one of a single process.
 *
 * --shard K/N keeps the items K-1, K-1+N, ... (a header line first, for hfx merge); --output FILE
 * --resume continues what an interrupted run wrote to FILE (scan-file.h).
 */
#include "array.h"
#include "fit-report.h"
#include "json-out.h"
#include "options.h"
#include "progress.h"
#include "ranks.h"
#include "ranks/queue.h"
#include "scan-file.h"
#include "upper-limit-opts.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OPT_JOBS = 100, OPT_SHARD, OPT_OUTPUT, OPT_RESUME, OPT_UPPER_LIMIT, OPT_GROUPS };

static const struct cli_opt SCAN_OPTS[] = {
    {OPT_JOBS, "--jobs", "-j", "N",
     "patches computed in parallel (default: the cores, shared out among the MPI ranks of a node)"},
    {OPT_SHARD, "--shard", NULL, "K/N", "only part K of N (patches K-1, K-1+N, ...), for batch arrays; hfx merge joins parts"},
    {OPT_OUTPUT, "--output", "-o", "FILE", "write the lines to FILE (whole lines, synced) instead of standard output"},
    {OPT_RESUME, "--resume", NULL, NULL, "with --output: keep the complete lines FILE has and compute only the rest"},
    {OPT_UPPER_LIMIT, "--upper-limit", NULL, NULL,
     "upper limits instead of CLs: {\"patch\", \"obs\", \"exp\"} per patch (--level, --scan as hfx upper-limit)"},
    {OPT_GROUPS, "--groups", NULL, "WHEN",
     "model groups (docs/batching.md): auto (default: where the backend prefers them, cuda), on or off; same results"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * SCAN_TABLES[] = {ws_opt_table,    interp_opt_table, engine_opt_table, test_poi_opt_table,
                                               infer_opt_table, SCAN_OPTS,        ul_opt_table,     timings_opt_table,
                                               cli_help_table,  NULL};
static const char * const SCAN_POS[] = {"BACKGROUND", "PATCHES", NULL};

static const struct cli_command SCAN = {
    "scan",
    "scan BACKGROUND PATCHES... [--jobs N] [--shard K/N] [--output FILE [--resume]] [options]",
    "Computes CLs at --test-poi for every signal patch on the background-only workspace and prints\n"
    "one line per patch, in input order: {\"patch\": name, \"CLs_obs\": x, \"CLs_exp\": [5 values]},\n"
    "or {\"patch\": name, \"error\": message} for a patch that fails (the scan goes on; the exit status\n"
    "is then 1). --upper-limit prints {\"patch\": name, \"obs\": x, \"exp\": [5 values]} instead.\n"
    "PATCHES are pyhf patchset files (all their patches), JSON Patch files (named by the file name\n"
    "without 'patch.' and '.json': patch.sbottom_1300_205_60.json -> sbottom_1300_205_60), or\n"
    "directories of such files (sorted by name; other JSON files are skipped). -p patches apply to\n"
    "the background first. Each patch runs with --threads 1 unless --threads is given; results do\n"
    "not depend on --jobs, on the number of MPI ranks (mpirun -n N hfx scan ...) or on shards.\n"
    "--shard K/N starts its output with a header line; 'hfx merge' joins the N parts into the output\n"
    "of one run. --output FILE --resume after an interruption keeps FILE's complete lines. An --output\n"
    "file starts with the scan's identity line too ('hfx merge FILE' prints the plain output); --resume\n"
    "and merge refuse files of other inputs or options and damaged lines. SIGINT/SIGTERM stop the scan\n"
    "with its complete lines written (exit status 130/143). A progress bar is drawn on standard error\n"
    "when it is a terminal. --timings: one line per rank on standard error with its patches and the\n"
    "CPU time of its main thread (writing, MPI: the bookkeeping).",
    SCAN_TABLES,
    SCAN_POS,
    true,
};

enum scan_mode { SCAN_CLS, SCAN_UPPER_LIMIT };
enum scan_groups { GROUPS_AUTO = 0, GROUPS_ON, GROUPS_OFF };

/* One input file: a patchset (expanded) or a JSON Patch file. */
struct scan_input {
    const char *   path;
    hfx_patchset_t ps; /* main thread's handle, for names; NULL for a patch file */
};

/* One patch to compute, and its output line once done. */
struct scan_item {
    char * name;
    size_t input;
    size_t ps_index;
    bool   done;
    bool   failed;
    char * line; /* with its newline; NULL until done and after it was written */
};

/* What the command line asked for besides model and hypotest options. */
struct scan_args {
    long                           jobs;
    size_t                         shard_k, shard_n; /* shard_n 0: no shard */
    const char *                   output;
    bool                           resume;
    bool                           upper_limit, ul_opts_seen;
    struct hfx_upper_limit_options ul;
    int                            groups; /* enum scan_groups */
};

struct scan {
    struct scan_input *         inputs;
    size_t                      n_inputs, cap_inputs;
    struct scan_item *          items;
    size_t                      n_items, cap_items;
    const struct model_opts *   mo;
    struct hfx_engine_options   engine;
    struct hfx_hypotest_options h;
    enum scan_mode              mode;
    struct hfx_upper_limit_options ul;
    struct ranks                ranks;
    size_t                      n_jobs;
    bool                        groups; /* the patches' hypotests run as model groups (scan_groups_main) */

    /* The patches whose lines this run writes, in output order (rank 0). */
    size_t * run;
    size_t   n_run;
    size_t   next;       /* rank 0: run[next..n_run) are not handed out yet */
    bool     stop;       /* rank 0: hand out no more (a write failed) */
    bool     write_ok;   /* rank 0: every line so far was written */
    size_t   n_done;     /* items done, here or (rank 0) received */
    size_t   n_kept;     /* lines of the output file kept by --resume */
    size_t   n_written;  /* lines written by this run (rank 0) */
    size_t   n_failed;   /* error lines among them */

    struct rank_queue q; /* its mutex guards what the threads and the main thread share */
    struct progress progress;
    struct line_out out;
};

struct worker {
    struct scan *    sc;
    hfx_workspace_t  bkg; /* this worker's own copy */
    hfx_patchset_t * ps;  /* [n_inputs]: this worker's own patchsets */
    pthread_t        tid;
    char             setup_error[1600];
};

static bool parse_shard(const char * v, size_t * k, size_t * n) {
    char buf[64];
    long kk = 0, nn = 0;
    const char * slash = strchr(v, '/');
    if (!slash || (size_t) (slash - v) >= sizeof buf) {
        return false;
    }
    memcpy(buf, v, (size_t) (slash - v));
    buf[slash - v] = '\0';
    if (!cli_parse_long(buf, 1, 1000000, &kk) || !cli_parse_long(slash + 1, 1, 1000000, &nn) || kk > nn) {
        return false;
    }
    *k = (size_t) kk;
    *n = (size_t) nn;
    return true;
}

static int scan_extra(void * ctx, const struct cli_opt * o, const char * v) {
    struct scan_args * a = ctx;
    switch (o->id) {
    case OPT_JOBS:
        if (!cli_parse_long(v, 1, 1024, &a->jobs)) {
            return cli_usage_error(SCAN.name, "invalid value '%s' for --jobs (expected an integer 1..1024)", v);
        }
        return CLI_OK;
    case OPT_SHARD:
        if (!parse_shard(v, &a->shard_k, &a->shard_n)) {
            return cli_usage_error(SCAN.name, "invalid value '%s' for --shard (expected K/N with 1 <= K <= N <= 1000000)",
                                   v);
        }
        return CLI_OK;
    case OPT_OUTPUT: a->output = v; return CLI_OK;
    case OPT_RESUME: a->resume = true; return CLI_OK;
    case OPT_UPPER_LIMIT: a->upper_limit = true; return CLI_OK;
    case OPT_GROUPS:
        a->groups = strcmp(v, "auto") == 0  ? GROUPS_AUTO
                    : strcmp(v, "on") == 0  ? GROUPS_ON
                    : strcmp(v, "off") == 0 ? GROUPS_OFF
                                            : -1;
        if (a->groups < 0) {
            return cli_usage_error(SCAN.name, "invalid value '%s' for --groups (expected auto, on or off)", v);
        }
        return CLI_OK;
    default: {
        int rc = ul_opts_handle(&a->ul, SCAN.name, o, v);
        a->ul_opts_seen |= rc != CLI_NOT_MINE;
        return rc;
    }
    }
}

static int scan_args_check(const struct scan_args * a) {
    if (a->resume && !a->output) {
        return cli_usage_error(SCAN.name, "--resume needs --output FILE (the file to continue)");
    }
    if (a->ul_opts_seen && !a->upper_limit) {
        return cli_usage_error(SCAN.name, "--level and --scan are options of --upper-limit");
    }
    return CLI_OK;
}

//
// Inputs and items
//

enum input_kind { INPUT_PATCH, INPUT_PATCHSET, INPUT_OTHER };

/* A JSON array is a patch, an object with "patches" a patchset; unreadable files count as patches
 * (the library reports them when applying). An array is told by its first character, without a
 * parse: the library parses each patch once, on the thread that applies it. */
static enum input_kind classify(const char * path) {
    FILE * f = fopen(path, "rb");
    int    c = EOF;
    while (f && (c = getc(f)) != EOF && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
    }
    if (f) {
        fclose(f);
    }
    if (c == '[') {
        return INPUT_PATCH;
    }
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
    if (!name || !CLI_ARRAY_RESERVE(sc->items, sc->cap_items, sc->n_items + 1, 64)) {
        free(name);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    struct scan_item * items = sc->items;
    memset(&items[sc->n_items], 0, sizeof items[0]);
    items[sc->n_items].name     = name;
    items[sc->n_items].input    = input;
    items[sc->n_items].ps_index = ps_index;
    sc->n_items++;
    return CLI_OK;
}

/* Records an input (path must outlive the scan) and its items. Prints errors. */
static int add_input(struct scan * sc, const char * path, enum input_kind kind) {
    if (!CLI_ARRAY_RESERVE(sc->inputs, sc->cap_inputs, sc->n_inputs + 1, 16)) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    struct scan_input * in    = sc->inputs;
    size_t              index = sc->n_inputs++;
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

/* The paths built here (malloc'd, freed at the end of the scan): the inputs point into them. */
struct kept_paths {
    char ** v;
    size_t  n, cap;
};

/* Remembers a path built here so that it outlives the scan. */
static char * keep_path(struct kept_paths * keep, const char * dir, const char * name) {
    if (!CLI_ARRAY_RESERVE(keep->v, keep->cap, keep->n + 1, 64)) {
        return NULL;
    }
    size_t size = strlen(dir) + strlen(name) + 2;
    char * path = malloc(size);
    if (!path) {
        return NULL;
    }
    snprintf(path, size, "%s/%s", dir, name);
    keep->v[keep->n++] = path;
    return path;
}

/* Adds the patch and patchset files of a directory, sorted by name; other files are skipped. */
static int add_directory(struct scan * sc, const char * dir, struct kept_paths * keep) {
    struct dirent ** names = NULL;
    int              n     = scandir(dir, &names, json_file_filter, alphasort);
    if (n < 0) {
        cli_error("%s: cannot read the directory", dir);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    for (int i = 0; i < n; i++) {
        char * path = rc == CLI_OK ? keep_path(keep, dir, names[i]->d_name) : NULL;
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

static int collect_inputs(struct scan * sc, const struct cli_parsed * args, struct kept_paths * keep) {
    for (size_t i = 1; i < args->n_pos; i++) {
        const char * path = args->pos[i];
        struct stat  st;
        int          rc;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = add_directory(sc, path, keep);
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
// Workers: one patch at a time from the local queue
//

struct item_result {
    bool                          ok;
    bool                          cancelled; /* interrupted (interrupt.c): no result, no line */
    struct hfx_hypotest_result    r;
    struct hfx_upper_limit_result u;
    json_t *                      report; /* "status" and any "warnings" of its fits (fit-report.h) */
    char                          error[1600];
};

static bool fail(char * buf, size_t size, enum hfx_status st, const struct hfx_error * err) {
    if (err->msg[0] || err->source[0] || err->pointer[0]) {
        hfx_error_format(err, buf, size);
    } else {
        snprintf(buf, size, "%s", hfx_status_str(st));
    }
    return false;
}

/* The item's model: its patch applied to a fresh copy of the worker's background, compiled. */
static enum hfx_status build_model(struct worker * w, const struct scan_item * it, hfx_model_t * m,
                                   struct hfx_error * err) {
    struct scan *   sc = w->sc;
    hfx_workspace_t ws = NULL;
    hfx_patchset_t  ps = w->ps[it->input];
    enum hfx_status st = hfx_workspace_copy(w->bkg, &ws, err);
    if (st == HFX_OK) {
        st = ps ? hfx_patchset_apply(ps, it->ps_index, ws, err)
                : hfx_workspace_apply_patch_file(ws, sc->inputs[it->input].path, err);
    }
    if (st == HFX_OK) {
        st = hfx_model_create(ws, &sc->mo->model, m, err);
    }
    hfx_workspace_free(ws);
    return st;
}

/* Builds the item's model and runs the hypotest or the upper limit. */
static bool compute_item(struct worker * w, const struct scan_item * it, struct item_result * res) {
    struct scan *    sc  = w->sc;
    struct hfx_error err = {0};
    hfx_model_t      m   = NULL;
    hfx_engine_t     e   = NULL;
    enum hfx_status  st  = build_model(w, it, &m, &err);
    if (st == HFX_OK) {
        st = hfx_engine_create(m, &sc->engine, &e, &err);
    }
    if (st == HFX_OK && sc->mode == SCAN_CLS) {
        st = hfx_hypotest(e, &sc->h, &res->r, &err);
    } else if (st == HFX_OK) {
        struct hfx_upper_limit_options u = sc->ul;
        u.hypotest                       = sc->h;
        u.scan_points                    = NULL;
        st                               = hfx_upper_limit(e, &u, &res->u, &err);
    }
    if (st == HFX_OK && (res->report = json_object())) {
        char what[1200];
        snprintf(what, sizeof what, "a fit of patch %s", it->name);
        report_status(res->report, sc->mode == SCAN_CLS ? res->r.status : res->u.status, what);
        report_warnings(res->report, e, m, it->name);
    }
    res->cancelled = st == HFX_ERR_CANCELLED;
    res->ok        = st == HFX_OK || fail(res->error, sizeof res->error, st, &err);
    hfx_engine_free(e);
    hfx_model_free(m);
    return res->ok;
}

/* The output line of one patch, with its newline: the one place that says what a scan prints
 * (rank 0 writes the lines it receives as they are). NULL when out of memory. */
static char * scan_line(const struct scan * sc, const char * name, const struct item_result * res) {
    json_t * j = json_object();
    json_object_set_new(j, "patch", json_string(name));
    if (!res->ok) {
        json_object_set_new(j, "error", json_string(res->error));
    } else if (sc->mode == SCAN_UPPER_LIMIT) {
        json_object_set_new(j, "obs", jout_num(res->u.obs));
        json_object_set_new(j, "exp", jout_array(res->u.exp, 5));
    } else {
        json_object_set_new(j, "CLs_obs", jout_num(res->r.cls_obs));
        json_object_set_new(j, "CLs_exp", jout_array(res->r.cls_exp, 5));
        if (sc->h.calctype == HFX_CALC_TOYBASED) {
            json_object_set_new(j, "toys_failed", json_integer((json_int_t) (res->r.toys_failed_sb + res->r.toys_failed_b)));
        }
    }
    if (res->ok && res->report) {
        json_object_update(j, res->report);
    }
    char * buf = NULL;
    size_t n   = 0;
    FILE * f   = open_memstream(&buf, &n);
    if (f) {
        jout_write(f, j, false);
        fputc('\n', f);
        if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    json_decref(j);
    return buf;
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

/* Item i's line from its result, handed to rank 0 (res->report is released). The queue's result
 * message: the item's index (uint64), one byte failed, the line (scan_result reads it). */
static void finish_item(struct scan * sc, size_t i, struct item_result * res) {
    if (res->cancelled) {
        json_decref(res->report);
        res->report = NULL;
        return; /* this patch is not done: a resumed run computes it */
    }
    char * line = scan_line(sc, sc->items[i].name, res);
    json_decref(res->report);
    res->report = NULL;
    size_t   n   = line ? strlen(line) : 0;
    char *   msg = line ? malloc(9 + n) : NULL;
    uint64_t idx = i;
    if (!msg) {
        cli_error("out of memory");
        ranks_abort(CLI_FAIL);
    }
    memcpy(msg, &idx, 8);
    msg[8] = !res->ok;
    memcpy(msg + 9, line, n);
    free(line);
    rank_queue_done(&sc->q, msg, 9 + n);
}

static void * worker_main(void * arg) {
    struct worker * w  = arg;
    struct scan *   sc = w->sc;
    worker_setup(w);
    struct rank_range r;
    for (;;) {
        if (cli_interrupted()) {
            rank_queue_leave(&sc->q);
            break; /* SIGINT/SIGTERM: no new patch */
        }
        if (!rank_queue_take(&sc->q, &r)) {
            break;
        }
        size_t                    i   = (size_t) r.first;
        struct scan_item *        it  = &sc->items[i];
        static const struct item_result empty;
        struct item_result        res = empty;
        if (w->setup_error[0]) {
            snprintf(res.error, sizeof res.error, "%s", w->setup_error);
        } else {
            compute_item(w, it, &res);
        }
        finish_item(sc, i, &res);
    }
    return NULL;
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

//
// Model groups (docs/batching.md): the threads build the models of a chunk of patches, then the
// library runs all their hypotests as model groups, each stage of every patch in one backend call
// (a device launch); each patch's line is then written as above. One rank only.
//

enum { GROUP_CHUNK = 1024 }; /* patches per group call: their models are alive together */

struct group_chunk {
    struct worker *      w;       /* [sc->n_jobs] */
    const size_t *       items;   /* [n] item indices */
    size_t               n;
    hfx_model_t *        models;  /* [n] NULL where building failed */
    struct item_result * res;     /* [n] */
    _Atomic size_t       next;    /* the next model to build */
};

struct group_builder {
    struct group_chunk * c;
    struct worker *      w;
    pthread_t            tid;
};

static void * group_build(void * arg) {
    struct group_builder * b = arg;
    struct group_chunk *   c = b->c;
    for (size_t k; (k = atomic_fetch_add(&c->next, 1)) < c->n;) {
        struct hfx_error     err = {0};
        struct item_result * res = &c->res[k];
        if (b->w->setup_error[0]) {
            snprintf(res->error, sizeof res->error, "%s", b->w->setup_error);
            continue;
        }
        enum hfx_status st = build_model(b->w, &b->w->sc->items[c->items[k]], &c->models[k], &err);
        if (st != HFX_OK) {
            c->models[k] = NULL;
            fail(res->error, sizeof res->error, st, &err);
        }
    }
    return NULL;
}

/* Builds the chunk's models on the scan's threads (the caller is one of them). */
static void group_build_all(struct scan * sc, struct group_chunk * c, struct group_builder * b) {
    atomic_store(&c->next, 0);
    size_t started = 1;
    for (size_t t = 0; t < sc->n_jobs; ++t) {
        b[t] = (struct group_builder){.c = c, .w = &c->w[t]};
    }
    while (started < sc->n_jobs && started < c->n &&
           pthread_create(&b[started].tid, NULL, group_build, &b[started]) == 0) {
        started++;
    }
    group_build(&b[0]);
    for (size_t t = 1; t < started; ++t) {
        pthread_join(b[t].tid, NULL);
    }
}

/* The hypotests of the chunk's models as model groups, then each patch's line. */
static void group_compute(struct scan * sc, struct group_chunk * c, struct hfx_group_item * gi) {
    struct hfx_engine_options eo = sc->engine;
    if (!sc->mo->threads_set) {
        eo.n_threads = (int) sc->n_jobs; /* the threads that ran one patch each run the group's fits */
    }
    size_t ng = 0;
    for (size_t k = 0; k < c->n; ++k) {
        if (c->models[k]) {
            gi[ng++] = (struct hfx_group_item){.m = c->models[k]};
        }
    }
    struct hfx_error err = {0};
    enum hfx_status  st  = hfx_hypotest_group(gi, ng, &eo, &sc->h, &err);
    for (size_t k = 0, g = 0; k < c->n; ++k) {
        struct item_result * res = &c->res[k];
        struct scan_item *   it  = &sc->items[c->items[k]];
        if (c->models[k]) {
            struct hfx_group_item * item = &gi[g++];
            res->cancelled = st == HFX_ERR_CANCELLED || item->status == HFX_ERR_CANCELLED;
            if (st != HFX_OK || item->status != HFX_OK) {
                fail(res->error, sizeof res->error, st != HFX_OK ? st : item->status, st != HFX_OK ? &err : &item->error);
            } else {
                res->r  = item->result;
                res->ok = true;
                if ((res->report = json_object())) { /* as compute_item */
                    char what[1200];
                    snprintf(what, sizeof what, "a fit of patch %s", it->name);
                    report_status(res->report, res->r.status, what);
                    report_warning_list(res->report, c->models[k], item->warnings, item->n_warnings, it->name);
                }
            }
            hfx_group_item_clear(item);
            hfx_model_free(c->models[k]);
        }
        finish_item(sc, c->items[k], res);
    }
}

/* The thread of a scan with model groups: takes the queue a chunk at a time. */
static void * scan_groups_main(void * arg) {
    struct worker *          w  = arg;
    struct scan *            sc = w->sc;
    size_t *                 items  = malloc(GROUP_CHUNK * sizeof *items);
    hfx_model_t *            models = calloc(GROUP_CHUNK, sizeof *models);
    struct item_result *     res    = malloc(GROUP_CHUNK * sizeof *res);
    struct hfx_group_item * gi     = malloc(GROUP_CHUNK * sizeof *gi);
    struct group_builder *   b      = malloc(sc->n_jobs * sizeof *b);
    struct group_chunk *     c      = malloc(sizeof *c);
    if (!items || !models || !res || !gi || !b || !c) {
        cli_error("out of memory");
        ranks_abort(CLI_FAIL);
    }
    for (size_t t = 0; t < sc->n_jobs; ++t) {
        worker_setup(&w[t]);
    }
    for (bool more = true; more;) {
        size_t            n = 0;
        struct rank_range r;
        while (more && n < GROUP_CHUNK) {
            if (cli_interrupted()) {
                rank_queue_leave(&sc->q);
                more = false;
            } else if ((more = rank_queue_take(&sc->q, &r))) {
                items[n++] = (size_t) r.first;
            }
        }
        if (n == 0) {
            break;
        }
        static const struct item_result empty;
        for (size_t k = 0; k < n; ++k) {
            res[k]    = empty;
            models[k] = NULL;
        }
        c->w      = w;
        c->items  = items;
        c->n      = n;
        c->models = models;
        c->res    = res;
        group_build_all(sc, c, b);
        group_compute(sc, c, gi);
    }
    free(items);
    free(models);
    free(res);
    free(gi);
    free(b);
    free(c);
    return NULL;
}

//
// The main thread: the queue's callbacks on rank 0 (ranks/queue.h), q.mu held
//

/* The next patch of run for a thread here or another rank. */
static bool scan_take(void * ctx, struct rank_range * out) {
    struct scan * sc = ctx;
    if (sc->stop || sc->next == sc->n_run) {
        return false;
    }
    *out = (struct rank_range){sc->run[sc->next++], 1};
    return true;
}

/* A patch's line (finish_item's message), from here or another rank: the message becomes the line. */
static bool scan_result(void * ctx, int src, char * msg, size_t n) {
    struct scan * sc = ctx;
    uint64_t      idx;
    if (n < 9) {
        return false;
    }
    memcpy(&idx, msg, sizeof idx);
    if (idx >= sc->n_items) {
        cli_error("rank 0: rank %d sent a result for patch %" PRIu64 " of %zu", src, idx, sc->n_items);
        return false;
    }
    bool failed = msg[8] != 0;
    memmove(msg, msg + 9, n - 9);
    msg[n - 9]            = '\0';
    struct scan_item * it = &sc->items[idx];
    free(it->line);
    it->line   = msg;
    it->failed = failed;
    it->done   = true;
    sc->n_done++;
    return true;
}

/* Rank 0's main thread: writes the lines of sc->run in order as they complete. Its part is done
 * once every line is written. */
static enum rank_queue_step scan_step(void * ctx) {
    struct scan * sc   = ctx;
    bool          busy = false;
    while (sc->write_ok && sc->n_written < sc->n_run && sc->items[sc->run[sc->n_written]].done) {
        struct scan_item * it   = &sc->items[sc->run[sc->n_written]];
        char *             line = it->line;
        it->line                = NULL;
        sc->n_failed += it->failed;
        pthread_mutex_unlock(&sc->q.mu);
        sc->write_ok = line_out_write(&sc->out, line, strlen(line));
        free(line);
        pthread_mutex_lock(&sc->q.mu);
        sc->n_written++;
        busy = true;
    }
    if (!sc->write_ok) {
        if (sc->ranks.size > 1) {
            ranks_abort(CLI_FAIL);
        }
        sc->stop = true; /* the threads finish their patch and stop */
        return RANK_QUEUE_STOP;
    }
    progress_set(&sc->progress, sc->n_done);
    if (sc->n_written == sc->n_run) {
        return RANK_QUEUE_DONE;
    }
    if (sc->ranks.size == 1 && rank_queue_alive(&sc->q) == 0 && cli_interrupted()) {
        return RANK_QUEUE_STOP; /* the lines up to the first patch not done are written: the file resumes */
    }
    return busy ? RANK_QUEUE_BUSY : RANK_QUEUE_IDLE;
}

static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Runs the threads of this rank and its main loop. Adds the error lines written to *failed.
 * Returns CLI_OK, or CLI_FAIL after an error that stopped the scan. */
static int run_scan(struct scan * sc, hfx_workspace_t bkg, size_t * failed) {
    bool                        root = sc->ranks.rank == 0;
    const struct rank_queue_ops ops  = {
         .ctx = sc, .take = scan_take, .result = scan_result, .step = scan_step, .n_units = sc->n_items};
    sc->write_ok = true;
    if (!rank_queue_init(&sc->q, &ops, 2)) {
        cli_error("cannot set up the threads' queue");
        ranks_abort(CLI_FAIL);
    }
    struct worker * w = make_workers(sc, bkg, sc->n_jobs);
    if (!w) {
        ranks_abort(CLI_FAIL);
    }
    progress_start(&sc->progress, root ? sc->n_run : 0, "patches");
    if (!root) {
        sc->progress.enabled = false;
    }
    size_t started = 0;
    if (sc->groups) { /* a grouped scan: one thread drives the groups */
        started = pthread_create(&w[0].tid, NULL, scan_groups_main, w) == 0;
    }
    while (!sc->groups && started < sc->n_jobs && pthread_create(&w[started].tid, NULL, worker_main, &w[started]) == 0) {
        started++;
    }
    int rc = CLI_OK;
    if (started == 0) {
        cli_error("cannot start worker threads");
        ranks_abort(CLI_FAIL);
    }
    double t0 = progress_now(), cpu0 = thread_cpu_seconds();
    rank_queue_run(&sc->q, started);
    double cpu = thread_cpu_seconds() - cpu0, wall = progress_now() - t0;
    for (size_t i = 0; i < started; i++) {
        pthread_join(w[i].tid, NULL);
    }
    if (root) {
        *failed += sc->n_failed;
        rc = sc->write_ok ? CLI_OK : CLI_FAIL;
    }
    if (sc->mo->timings) {
        fprintf(stderr,
                "hfx: timings: rank %d of %d: %zu patches computed here by %zu threads in %.3f s; main thread "
                "(writing%s) %.6f s CPU, %.1f us per patch of the scan\n",
                sc->ranks.rank, sc->ranks.size, sc->q.n_done_here, sc->groups ? sc->n_jobs : started, wall,
                sc->ranks.size > 1 ? ", MPI messages and polls" : "", cpu,
                1e6 * cpu / (double) (sc->n_items ? sc->n_items : 1));
    }
    progress_finish(&sc->progress);
    rank_queue_destroy(&sc->q);
    free_workers(w, sc->n_jobs, sc->n_inputs);
    return rc;
}

static void free_scan(struct scan * sc) {
    for (size_t i = 0; i < sc->n_items; i++) {
        free(sc->items[i].name);
        free(sc->items[i].line);
    }
    for (size_t i = 0; i < sc->n_inputs; i++) {
        hfx_patchset_free(sc->inputs[i].ps);
    }
    free(sc->items);
    free(sc->inputs);
    free(sc->run);
}

//
// Setup: which patches, the shard header, what an interrupted run left
//

/* The scan's identity (result-id.c): the contents of the background, of -p patches and of every
 * patch input, the patches' names in order and every option that changes a line (not --jobs,
 * --threads, --batch or the backend, which do not). Prints errors. */
static int scan_identity(const struct scan * sc, uint64_t * out) {
    uint64_t h;
    rid_init(&h);
    rid_str(&h, "hfx scan");
    if (rid_model(&h, sc->mo) != CLI_OK) {
        return CLI_FAIL;
    }
    rid_int(&h, sc->n_inputs);
    for (size_t i = 0; i < sc->n_inputs; i++) {
        if (rid_file(&h, sc->inputs[i].path) != CLI_OK) {
            return CLI_FAIL;
        }
    }
    rid_int(&h, sc->n_items);
    for (size_t i = 0; i < sc->n_items; i++) {
        rid_str(&h, sc->items[i].name);
    }
    rid_int(&h, (uint64_t) sc->mode);
    rid_hypotest(&h, &sc->h, true);
    if (sc->mode == SCAN_UPPER_LIMIT) {
        rid_num(&h, sc->ul.level);
        rid_num(&h, sc->ul.lo);
        rid_num(&h, sc->ul.hi);
        rid_int(&h, sc->ul.n_scan);
    }
    *out = h;
    return CLI_OK;
}

/* Rank 0: the items of this shard (all without one), then what --resume keeps of FILE; opens the
 * output and writes the header where it is missing. Prints errors. */
static int plan_output(struct scan * sc, const struct scan_args * a, size_t * failed) {
    size_t k = a->shard_n ? a->shard_k : 1, n = a->shard_n ? a->shard_n : 1;
    size_t count = shard_count(k, n, sc->n_items);
    sc->run      = malloc((count + 1) * sizeof *sc->run);
    char ** names = malloc((count + 1) * sizeof *names);
    if (!sc->run || !names) {
        free(names);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    for (size_t j = 0; j < count; j++) {
        sc->run[j] = k - 1 + j * n;
        names[j]   = sc->items[sc->run[j]].name;
    }
    sc->n_run = count;
    /* a shard, and every --output file (to be resumed), start with the scan's identity */
    char *              header = NULL;
    struct shard_header sh     = {.k = k, .n = n, .count = count, .total = sc->n_items,
                                  .names = names_digest((const char * const *) names, count)};
    sh.result = sc->mode == SCAN_UPPER_LIMIT ? SCAN_RESULT_UPPER_LIMIT
                : sc->h.calctype == HFX_CALC_TOYBASED ? SCAN_RESULT_CLS_TOYS
                                                      : SCAN_RESULT_CLS;
    snprintf(sh.version, sizeof sh.version, "%s", HFX_CLI_VERSION);
    if ((a->shard_n || a->output) && scan_identity(sc, &sh.inputs) != CLI_OK) {
        free(names);
        return CLI_FAIL;
    }
    if ((a->shard_n || a->output) && !(header = shard_header_line(&sh))) {
        free(names);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    size_t done = 0;
    int    rc   = CLI_OK;
    if (a->resume) {
        rc = scan_file_resume(a->output, &sh, names, count, &done, failed);
    }
    struct stat st;
    bool empty = !a->resume || stat(a->output, &st) != 0 || st.st_size == 0;
    if (rc == CLI_OK) {
        rc = line_out_open(&sc->out, a->output, a->resume);
    }
    if (rc == CLI_OK && header && empty && !line_out_write(&sc->out, header, strlen(header))) {
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && a->resume) {
        fprintf(stderr, "hfx: resuming %s: %zu of %zu patches there already (%zu failed), %zu to do\n", a->output,
                done, count, *failed, count - done);
    }
    sc->n_kept = done;
    memmove(sc->run, sc->run + done, (count - done) * sizeof *sc->run);
    sc->n_run = count - done;
    free(header);
    free(names);
    return rc;
}

/* Whether the patches run as model groups: --groups on or off, by default where the backend prefers
 * them. Prints the error where --groups on cannot be honoured. */
static int scan_groups_choose(struct scan * sc, const struct scan_args * a) {
    bool         can = sc->mode == SCAN_CLS && sc->ranks.size == 1 && hfx_hypotest_group_supported(&sc->engine, &sc->h);
    const char * be  = sc->engine.backend ? sc->engine.backend : "cpu-ref";
    if (a->groups == GROUPS_ON && !can) {
        if (sc->mode != SCAN_CLS || sc->h.calctype != HFX_CALC_ASYMPTOTICS) {
            return cli_usage_error(SCAN.name, "--groups on runs the asymptotic CLs scan, not %s",
                                   sc->mode != SCAN_CLS ? "--upper-limit" : "--calctype toybased");
        }
        if (sc->ranks.size > 1) {
            return cli_usage_error(SCAN.name, "--groups on runs in one process, not %d MPI ranks", sc->ranks.size);
        }
        return cli_usage_error(SCAN.name,
                               "--groups on: backend '%s' has no model groups or is not usable here (cpu and cuda "
                               "have groups)",
                               be);
    }
    sc->groups = can && (a->groups == GROUPS_ON || (a->groups == GROUPS_AUTO && hfx_hypotest_group_preferred(&sc->engine)));
    return CLI_OK;
}

/* Threads per rank: --jobs, else this node's cores shared among its ranks. */
static size_t jobs_per_rank(const struct scan * sc, long jobs) {
    if (jobs > 0) {
        return (size_t) jobs;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long n     = (cores > 0 ? cores : 1) / sc->ranks.local_size;
    return n > 0 ? (size_t) n : 1;
}

static int scan_main(struct scan * sc, const struct cli_parsed * args, const struct scan_args * a) {
    struct kept_paths keep   = {0};
    size_t            failed = 0;
    int               rc     = collect_inputs(sc, args, &keep);
    hfx_workspace_t bkg = NULL;
    if (rc == CLI_OK) {
        rc = cli_load_workspace(sc->mo->ws_path, &bkg);
    }
    if (rc == CLI_OK) {
        rc = cli_validate_background(bkg);
    }
    if (rc == CLI_OK) {
        rc = model_opts_apply_patches(sc->mo, bkg);
    }
    if (rc == CLI_OK && sc->n_items == 0) {
        cli_error("no patches to scan");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && a->shard_n > sc->n_items) {
        cli_error("--shard %zu/%zu: the scan has only %zu patch%s (at most that many parts)", a->shard_k, a->shard_n,
                  sc->n_items, sc->n_items == 1 ? "" : "es");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && sc->ranks.rank == 0) {
        rc = plan_output(sc, a, &failed);
    }
    /* every rank has set up (or failed, and said why) before any waits for another */
    if (!ranks_all_ok(rc == CLI_OK)) {
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        size_t jobs = jobs_per_rank(sc, a->jobs);
        sc->n_jobs  = jobs < sc->n_items ? jobs : sc->n_items;
        rc          = scan_groups_choose(sc, a);
    }
    if (rc == CLI_OK) {
        rc = run_scan(sc, bkg, &failed);
    }
    if (sc->ranks.rank == 0 && sc->out.is_file && line_out_close(&sc->out) != CLI_OK) {
        rc = CLI_FAIL;
    }
    if (cli_interrupted() && sc->ranks.rank == 0 && sc->n_run > 0) {
        size_t have = sc->n_kept + sc->n_written, all = sc->n_kept + sc->n_run;
        if (a->output) {
            cli_error("interrupted by %s: %s holds the results of %zu of %zu patches, whole lines; the same command "
                      "with --resume computes the other %zu",
                      cli_signal_name(cli_interrupted()), a->output, have, all, all - have);
        } else {
            cli_error("interrupted by %s: %zu of %zu patches written", cli_signal_name(cli_interrupted()), have, all);
        }
    }
    hfx_workspace_free(bkg);
    for (size_t i = 0; i < keep.n; i++) {
        free(keep.v[i]);
    }
    free(keep.v);
    return rc == CLI_OK && failed ? CLI_FAIL : rc;
}

int cmd_scan(int argc, char ** argv) {
    struct model_opts mo;
    struct scan       sc;
    struct cli_parsed args;
    struct scan_args  a;
    memset(&sc, 0, sizeof sc);
    memset(&a, 0, sizeof a);
    a.ul.level = 0.05;
    model_opts_init(&mo, SCAN.name);
    infer_opts_init(&sc.h);
    ranks_get(&sc.ranks);
    int rc = cli_parse_command(&SCAN, argc, argv, &mo, &sc.h, scan_extra, &a, &args);
    if (rc == CLI_OK) {
        rc = scan_args_check(&a);
        if (rc != CLI_OK) {
            free(args.pos);
        }
    }
    if (rc == CLI_OK) {
        sc.mo               = &mo;
        sc.engine           = mo.engine;
        sc.engine.n_threads = mo.threads_set ? mo.engine.n_threads : 1;
        sc.mode             = a.upper_limit ? SCAN_UPPER_LIMIT : SCAN_CLS;
        sc.ul               = a.ul;
        rc                  = scan_main(&sc, &args, &a);
        free(args.pos);
    }
    free_scan(&sc);
    model_opts_free(&mo);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}
