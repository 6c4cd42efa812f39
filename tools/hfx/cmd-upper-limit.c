/*
 * cmd-upper-limit.c -- "hfx upper-limit": observed and expected CLs upper limits on the POI, as
 * pyhf.infer.intervals.upper_limits.upper_limit, printed as {"exp": [5 values], "obs": x}; with a grid
 * (--scan LO,HI,N) also the grid and its CLs values, as pyhf's return_results=True. Under MPI the
 * points of a grid are shared out over the ranks by the rank work queue (run_grid, ranks/queue.h); a
 * root search is one sequence of hypotests, which rank 0 runs alone.
 */
#include "array.h"
#include "fit-report.h"
#include "json-out.h"
#include "options.h"
#include "progress.h"
#include "ranks.h"
#include "ranks/queue.h"
#include "upper-limit-opts.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const struct cli_opt ul_opt_table[] = {
    {OPT_UL_LEVEL, "--level", NULL, "ALPHA", "CLs level of the limit (default 0.05: 95% CL)"},
    {OPT_UL_SCAN, "--scan", NULL, "LO,HI[,N]",
     "initial POI bracket (default: automatic, as pyhf); with N, a grid of N points from LO to HI\n"
     "(pyhf's upper_limit(scan=numpy.linspace(LO, HI, N))), its fits run as one batch"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * UL_TABLES[] = {ws_opt_table, patchset_opt_table, interp_opt_table, engine_opt_table, timings_opt_table,
                                             infer_opt_table, ul_opt_table, output_opt_table, cli_help_table, NULL};
static const char * const UL_POS[] = {"WORKSPACE", NULL};

static const struct cli_command UL = {
    "upper-limit",
    "upper-limit WORKSPACE [--level ALPHA] [--scan LO,HI[,N]] [options]",
    "Finds the POI values where CLs crosses --level, observed and expected (-2..+2 sigma), by a\n"
    "TOMS 748 root search as pyhf's upper_limit; prints {\"exp\": [5 values], \"obs\": x}. With a grid\n"
    "(--scan LO,HI,N) the limits are interpolated on it, as pyhf's linear_grid_scan, and the output\n"
    "also has \"scan\" (the grid), \"CLs_obs\" and \"CLs_exp\" (5 values per point). Under MPI\n"
    "(mpirun -n N hfx upper-limit WS --scan LO,HI,N) the grid's points are shared out over the ranks,\n"
    "with the same output; a root search runs on rank 0.",
    UL_TABLES,
    UL_POS,
    false,
};

/* Parses "LO,HI" or "LO,HI,N" with LO < HI and 2 <= N <= 100000. */
static bool parse_scan(const char * v, double * lo, double * hi, size_t * n) {
    char buf[256];
    if (strlen(v) >= sizeof buf) {
        return false;
    }
    strcpy(buf, v);
    char * parts[4] = {NULL};
    int    k        = 0;
    for (char * p = buf; k < 4; ++k) {
        parts[k]    = p;
        char * next = strchr(p, ',');
        if (!next) {
            ++k;
            break;
        }
        *next = '\0';
        p     = next + 1;
    }
    double count = 0;
    if ((k != 2 && k != 3) || !cli_parse_double(parts[0], lo) || !cli_parse_double(parts[1], hi) || !(*lo < *hi)) {
        return false;
    }
    if (k == 3 && (!cli_parse_double(parts[2], &count) || count != floor(count) || count < 2 || count > 1e5)) {
        return false;
    }
    *n = (size_t) count;
    return true;
}

int ul_opts_handle(struct hfx_upper_limit_options * u, const char * cmd, const struct cli_opt * o, const char * v) {
    switch (o->id) {
    case OPT_UL_LEVEL:
        if (!cli_parse_double(v, &u->level) || u->level <= 0 || u->level >= 1) {
            return cli_usage_error(cmd, "invalid value '%s' for --level (expected a number in (0, 1))", v);
        }
        return CLI_OK;
    case OPT_UL_SCAN:
        if (!parse_scan(v, &u->lo, &u->hi, &u->n_scan)) {
            return cli_usage_error(cmd,
                                   "invalid value '%s' for --scan (expected LO,HI or LO,HI,N with LO < HI and an "
                                   "integer 2 <= N <= 100000)",
                                   v);
        }
        return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

static int ul_extra(void * ctx, const struct cli_opt * o, const char * v) { return ul_opts_handle(ctx, UL.name, o, v); }

//
// A grid over the ranks
//

/* The points of a grid (--scan LO,HI,N) go out in chunks through the rank work queue (ranks/queue.h),
 * dynamically: rank 0 hands the next chunk to whichever rank asks (its own compute thread too), so a
 * rank whose fits are slow takes fewer; chunks shrink as the grid runs out (guided: the points left
 * over twice the ranks), so that ranks finish together. Each chunk's fits run as one batch
 * (hfx_limit_grid_run) on the rank's compute thread. Every rank first runs the fits that do not
 * depend on mu (hfx_limit_grid_create), which costs each rank three fits. Rank 0 puts the rows in
 * place, and the warnings as one process has them: create's, then each chunk's in grid order. With
 * one process the whole grid is one chunk, as hfx_upper_limit runs it. Rows, limits, status and
 * warnings are the same however the grid was split (hfx.h), so the output is byte for byte one
 * process's. */

/* A chunk's result (the queue's message): struct result_head, count * 7 doubles, n_warnings
 * warnings; or, failed, the error's text. After a failure rank 0 hands out no more chunks; of the
 * chunks that fail, it prints the error of the one nearest the grid's start, unnamed: what one
 * process, which runs the points in order, would print, whichever rank met it first. */
struct result_head {
    uint64_t first, count, status, n_warnings, failed;
};

struct chunk {
    size_t                   first, count;
    struct hfx_fit_warning * warnings;
    size_t                   n_warnings;
};

struct grid {
    hfx_limit_grid_t    g;
    hfx_engine_t        e;
    size_t              n, n_ranks;
    double *            rows;    /* rank 0: [n * 7] */
    struct chunk *      chunks;  /* rank 0: every chunk done, in the order they came */
    size_t              n_chunks, cap_chunks;
    size_t              next;    /* the first point not handed out */
    size_t              n_done;  /* points whose rows are in */
    enum hfx_fit_status status;
    bool                failed;  /* a chunk failed somewhere: hand out no more */
    size_t              err_first; /* rank 0: the first point of the failing chunk nearest the start */
    char                err_text[2048]; /* its error (cli_error_text), printed at the end */
    struct rank_queue   q;       /* its mutex guards the fields above */
};

static void abort_on(bool bad, const char * what) {
    if (bad) {
        cli_error("%s", what);
        ranks_abort(CLI_FAIL);
    }
}

/* Rank 0: the next chunk (q.mu held); false when none is left. */
static bool take_chunk(void * ctx, struct rank_range * c) {
    struct grid * gr   = ctx;
    size_t        left = gr->failed ? 0 : gr->n - gr->next;
    if (left == 0) {
        return false;
    }
    size_t k = gr->n_ranks == 1 ? left : (left + 2 * gr->n_ranks - 1) / (2 * gr->n_ranks);
    c->first = gr->next;
    c->count = k;
    gr->next += k;
    return true;
}

/* Rank 0: a chunk is in (q.mu held); takes over warnings. */
static bool chunk_done(struct grid * gr, size_t first, size_t count, enum hfx_fit_status st,
                       struct hfx_fit_warning * warnings, size_t n_warnings) {
    if (!CLI_ARRAY_RESERVE(gr->chunks, gr->cap_chunks, gr->n_chunks + 1, 16)) {
        free(warnings);
        return false;
    }
    gr->chunks[gr->n_chunks++] = (struct chunk){first, count, warnings, n_warnings};
    gr->n_done += count;
    gr->status = hfx_fit_status_worse(gr->status, st);
    return true;
}

/* The engine's warnings of the last call, copied (malloc'd; NULL when none or out of memory). */
static struct hfx_fit_warning * copy_warnings(hfx_engine_t e, size_t * n) {
    *n                           = hfx_engine_n_warnings(e);
    struct hfx_fit_warning * out = *n ? malloc(*n * sizeof *out) : NULL;
    for (size_t i = 0; out && i < *n; i++) {
        out[i] = *hfx_engine_warning(e, i);
    }
    *n = out ? *n : 0;
    return out;
}

/* Rank 0: a chunk's result, from its compute thread or another rank's (q.mu held; msg is freed). */
static bool grid_result(void * ctx, int src, char * msg, size_t n) {
    struct grid *      gr = ctx;
    struct result_head h;
    (void) src;
    if (n < sizeof h) {
        free(msg);
        return false;
    }
    memcpy(&h, msg, sizeof h);
    size_t rows_n = (size_t) h.count * 7 * sizeof(double), warn_n = (size_t) h.n_warnings * sizeof(struct hfx_fit_warning);
    if (h.first > gr->n || h.count > gr->n - h.first ||
        (h.failed ? n > sizeof h + sizeof gr->err_text : n != sizeof h + rows_n + warn_n)) {
        free(msg);
        return false;
    }
    if (h.failed) {
        gr->failed = true;
        if (h.first < gr->err_first) {
            gr->err_first = h.first;
            memcpy(gr->err_text, msg + sizeof h, n - sizeof h);
            gr->err_text[n - sizeof h == 0 ? 0 : n - sizeof h - 1] = '\0';
        }
    } else {
        memcpy(gr->rows + 7 * h.first, msg + sizeof h, rows_n);
        struct hfx_fit_warning * w = h.n_warnings ? malloc(warn_n) : NULL;
        if (w) {
            memcpy(w, msg + sizeof h + rows_n, warn_n);
        }
        if ((h.n_warnings && !w) ||
            !chunk_done(gr, h.first, h.count, (enum hfx_fit_status) h.status, w, w ? h.n_warnings : 0)) {
            abort_on(true, "out of memory");
        }
    }
    free(msg);
    return true;
}

/* A rank's compute thread: chunks until none is left, each result sent to rank 0 (on rank 0 through
 * the same message). After a failure rank 0 hands out no more. */
static void * compute_main(void * arg) {
    struct grid *     gr = arg;
    struct rank_range c;
    while (rank_queue_take(&gr->q, &c)) {
        enum hfx_fit_status      st   = HFX_FIT_CONVERGED;
        struct hfx_error         err  = {0};
        double *                 rows = malloc((size_t) c.count * 7 * sizeof *rows);
        enum hfx_status          s    = rows ? hfx_limit_grid_run(gr->g, c.first, c.count, rows, &st, &err) : HFX_ERR_ALLOC;
        bool                     ok   = s == HFX_OK;
        size_t                   nw   = 0;
        struct hfx_fit_warning * w    = ok ? copy_warnings(gr->e, &nw) : NULL;
        struct result_head       h    = {c.first, c.count, (uint64_t) st, nw, ok ? 0 : 1};
        size_t                   rows_n = ok ? (size_t) c.count * 7 * sizeof(double) : 0;
        char                     text[sizeof gr->err_text] = "";
        if (!ok) { /* rank 0 prints it, if no chunk nearer the start failed too */
            cli_error_text(s, &err, text, sizeof text);
        }
        size_t text_n = ok ? 0 : strlen(text) + 1;
        size_t size   = sizeof h + rows_n + nw * sizeof *w + text_n;
        char * msg    = malloc(size);
        abort_on(!msg, "out of memory");
        h.count = ok ? c.count : 0;
        memcpy(msg, &h, sizeof h);
        if (rows_n) {
            memcpy(msg + sizeof h, rows, rows_n);
        }
        if (nw) {
            memcpy(msg + sizeof h + rows_n, w, nw * sizeof *w);
        }
        memcpy(msg + sizeof h + rows_n + nw * sizeof *w, text, text_n);
        free(rows);
        free(w);
        rank_queue_done(&gr->q, msg, size);
    }
    return NULL;
}

static int cmp_chunk(const void * a, const void * b) {
    const struct chunk * x = a, * y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Rank 0: the output of the grid, as one process makes it. */
static int emit_grid(struct grid * gr, const struct session * s, const struct hfx_fit_warning * created,
                     size_t n_created, const char * output) {
    qsort(gr->chunks, gr->n_chunks, sizeof *gr->chunks, cmp_chunk);
    size_t n_w = n_created;
    for (size_t i = 0; i < gr->n_chunks; i++) {
        n_w += gr->chunks[i].n_warnings;
    }
    struct hfx_fit_warning * w = malloc((n_w + 1) * sizeof *w);
    if (!w) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    /* memcpy from NULL is undefined even for 0 bytes (C11 7.24.1): no warnings means NULL arrays */
    if (n_created > 0) {
        memcpy(w, created, n_created * sizeof *w);
    }
    for (size_t i = 0, k = n_created; i < gr->n_chunks; k += gr->chunks[i].n_warnings, i++) {
        if (gr->chunks[i].n_warnings > 0) {
            memcpy(w + k, gr->chunks[i].warnings, gr->chunks[i].n_warnings * sizeof *w);
        }
    }
    struct hfx_upper_limit_result r   = {0};
    struct hfx_error              err = {0};
    enum hfx_status               st  = hfx_limit_grid_result(gr->g, gr->rows, gr->status, &r, &err);
    int                           rc  = CLI_OK;
    if (st != HFX_OK) {
        cli_error_hfx(st, &err);
        rc = CLI_FAIL;
    } else {
        json_t * j = json_object();
        json_object_set_new(j, "obs", jout_num(r.obs));
        json_object_set_new(j, "exp", jout_array(r.exp, 5));
        json_t * scan = json_array(), * obs = json_array(), * exp = json_array();
        for (size_t i = 0; i < gr->n; ++i) {
            const double * row = &gr->rows[i * 7];
            json_array_append_new(scan, jout_num(row[0]));
            json_array_append_new(obs, jout_num(row[1]));
            json_array_append_new(exp, jout_array(&row[2], 5));
        }
        json_object_set_new(j, "scan", scan);
        json_object_set_new(j, "CLs_obs", obs);
        json_object_set_new(j, "CLs_exp", exp);
        report_status(j, r.status, "a fit of the upper limit");
        report_warning_list(j, s->model, w, n_w, NULL);
        rc = jout_emit(j, output);
        json_decref(j);
    }
    free(w);
    return rc;
}

/* The grid, shared out over the ranks (one process: one chunk). Every rank opens the session. */
static int run_grid(const struct model_opts * mo, const struct hfx_upper_limit_options * u, const char * output) {
    struct ranks rk;
    ranks_get(&rk);
    bool           root = rk.rank == 0;
    struct session s;
    struct grid    gr = {.n = u->n_scan, .n_ranks = (size_t) rk.size, .status = HFX_FIT_CONVERGED, .err_first = SIZE_MAX};
    int            rc = session_open(mo, &s, true);
    struct hfx_fit_warning * created   = NULL;
    size_t                   n_created = 0;
    if (rc == CLI_OK) {
        struct hfx_error err = {0};
        enum hfx_status  st  = hfx_limit_grid_create(s.engine, u, &gr.g, &err);
        if (st != HFX_OK) {
            cli_error_hfx(st, &err);
            rc = CLI_FAIL;
        }
        gr.e    = s.engine;
        created = rc == CLI_OK ? copy_warnings(s.engine, &n_created) : NULL;
        gr.rows = root ? malloc(gr.n * 7 * sizeof *gr.rows) : NULL;
        if (rc == CLI_OK && ((root && !gr.rows) || (n_created && !created))) {
            cli_error("out of memory");
            rc = CLI_FAIL;
        }
    }
    /* no rank waits for another unless every rank could set up (one that could not said why) */
    if (!ranks_all_ok(rc == CLI_OK)) {
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        const struct rank_queue_ops ops = {.ctx = &gr, .take = take_chunk, .result = grid_result, .n_units = gr.n};
        pthread_t                   tid;
        abort_on(!rank_queue_init(&gr.q, &ops, 1), "cannot set up the grid's queue");
        abort_on(pthread_create(&tid, NULL, compute_main, &gr) != 0, "cannot start the grid's thread");
        rank_queue_run(&gr.q, 1);
        pthread_join(tid, NULL);
        rank_queue_destroy(&gr.q);
        if (root && gr.err_first != SIZE_MAX) {
            cli_error("%s", gr.err_text);
        }
        if (root && !gr.failed && gr.n_done == gr.n) {
            rc = emit_grid(&gr, &s, created, n_created, output);
        } else if (root) {
            rc = CLI_FAIL; /* rank 0 said why (err_text) */
        }
    }
    for (size_t i = 0; i < gr.n_chunks; i++) {
        free(gr.chunks[i].warnings);
    }
    free(gr.chunks);
    free(gr.rows);
    free(created);
    hfx_limit_grid_free(gr.g);
    session_close(&s);
    return rc;
}

/* The root search (no grid): one process's work from start to end; under MPI rank 0 does it. */
static int run_upper_limit(const struct model_opts * mo, struct hfx_upper_limit_options * u, const char * output) {
    if (u->n_scan > 0) {
        return run_grid(mo, u, output);
    }
    if (!ranks_is_root()) {
        return CLI_OK;
    }
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
        report_status(j, r.status, "a fit of the upper limit");
        report_warnings(j, s.engine, s.model, NULL);
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
