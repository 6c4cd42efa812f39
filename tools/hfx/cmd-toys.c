/*
 * cmd-toys.c -- toys in ranges (toys.h): the --toy-range/--toys-out options of hfx cls, the split of
 * a toy-based hypotest over MPI ranks, and "hfx toys merge".
 *
 * A toys file is one JSON object: what the toys are of ("teststat", "test_poi", "seed" as a string,
 * "observed_teststat": the statistic on the data, which differs when the workspace does), the range
 * ("first", "count"), and "teststat_sb"/"teststat_b": each toy's statistic (null where its fit
 * failed). Numbers are written as Python's repr, which reads back to the same double.
 */
#include "toys.h"

#include "fit-report.h"
#include "json-out.h"
#include "ranks.h"
#include "scan-file.h"


#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct cli_opt toys_opt_table[] = {
    {OPT_TOY_RANGE, "--toy-range", NULL, "A:B",
     "toybased: only toys A..B-1 of each ensemble (toy i is the same wherever it runs); CLs from those"},
    {OPT_TOYS_OUT, "--toys-out", NULL, "FILE", "toybased: save the toys' test statistics, for 'hfx toys merge'"},
    {0, NULL, NULL, NULL, NULL},
};

static const char * const TESTSTAT_NAMES[] = {"qtilde", "q", "q0", "tmu", "tmutilde"}; /* enum hfx_teststat */

static bool parse_range(const char * v, size_t * first, size_t * end) {
    const char * colon = strchr(v, ':');
    char         a[32];
    long         lo = 0, hi = 0;
    if (!colon || (size_t) (colon - v) >= sizeof a) {
        return false;
    }
    memcpy(a, v, (size_t) (colon - v));
    a[colon - v] = '\0';
    /* toy indices stop at 2^40 (hfx_toys_run) */
    if (!cli_parse_long(a, 0, 1L << 40, &lo) || !cli_parse_long(colon + 1, 1, 1L << 40, &hi) || hi <= lo) {
        return false;
    }
    *first = (size_t) lo;
    *end   = (size_t) hi;
    return true;
}

int toys_opts_handle(void * ctx, const struct cli_opt * o, const char * v) {
    struct toys_opts * t = ctx;
    switch (o->id) {
    case OPT_TOY_RANGE:
        if (!parse_range(v, &t->first, &t->end)) {
            return cli_usage_error("cls", "invalid value '%s' for --toy-range (expected A:B, integers 0 <= A < B)", v);
        }
        t->range_set = true;
        return CLI_OK;
    case OPT_TOYS_OUT: t->out = v; return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

int toys_opts_prepare(struct toys_opts * t, struct hfx_hypotest_options * h, struct model_opts * mo) {
    if ((t->range_set || t->out) && h->calctype != HFX_CALC_TOYBASED) {
        return cli_usage_error("cls", "--toy-range and --toys-out need --calctype toybased");
    }
    if (t->out) {
        /* the workspace's and patches' contents and every option that changes a toy, not the range */
        rid_init(&t->inputs);
        rid_str(&t->inputs, "hfx toys");
        if (rid_model(&t->inputs, mo) != CLI_OK) {
            return CLI_FAIL;
        }
        rid_hypotest(&t->inputs, h, false);
    }
    if (t->range_set) {
        h->n_toys = t->end - t->first;
    }
    struct ranks rk;
    ranks_get(&rk);
    if (rk.size > 1 && !mo->threads_set) {
        long cores            = sysconf(_SC_NPROCESSORS_ONLN);
        long n                = (cores > 0 ? cores : 1) / rk.local_size;
        mo->engine.n_threads = n > 0 ? (int) n : 1;
    }
    return CLI_OK;
}

bool toys_split(const struct toys_opts * t, const struct hfx_hypotest_options * h) {
    struct ranks rk;
    ranks_get(&rk);
    return h->calctype == HFX_CALC_TOYBASED && (t->range_set || t->out || rk.size > 1);
}

static json_t * stats_array(const double * x, size_t n) {
    json_t * a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, isnan(x[i]) ? json_null() : jout_num(x[i]));
    }
    return a;
}

/* Writes the toys file through a temporary file and a rename: it is there whole or not at all. */
static enum hfx_status write_toys(const char * path, const struct hfx_hypotest_options * h, uint64_t inputs,
                                  size_t first, size_t count, const struct hfx_toys_result * tr, struct hfx_error * err) {
    char seed[32], id[17];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long) h->seed);
    rid_hex(inputs, id);
    json_t * j = json_object();
    json_object_set_new(j, "hfx_toys", json_integer(2));
    json_object_set_new(j, "version", json_string(HFX_CLI_VERSION));
    json_object_set_new(j, "inputs", json_string(id));
    json_object_set_new(j, "teststat", json_string(TESTSTAT_NAMES[h->teststat]));
    json_object_set_new(j, "test_poi", jout_num(h->poi_test));
    json_object_set_new(j, "seed", json_string(seed));
    json_object_set_new(j, "first", json_integer((json_int_t) first));
    json_object_set_new(j, "count", json_integer((json_int_t) count));
    json_object_set_new(j, "observed_teststat", jout_num(tr->teststat));
    json_object_set_new(j, "mu_hat", jout_num(tr->mu_hat));
    json_object_set_new(j, "status", json_string(hfx_fit_status_str(tr->status)));
    json_object_set_new(j, "teststat_sb", stats_array(tr->teststat_sb, count));
    json_object_set_new(j, "teststat_b", stats_array(tr->teststat_b, count));
    size_t n   = strlen(path) + 8;
    char * tmp = malloc(n);
    FILE * f   = NULL;
    if (tmp) {
        snprintf(tmp, n, "%s.tmp", path);
        f = fopen(tmp, "w");
    }
    bool ok = f != NULL;
    if (f) {
        jout_write(f, j, false);
        fputc('\n', f);
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && !ferror(f);
        ok = fclose(f) == 0 && ok;
        ok = ok && rename(tmp, path) == 0;
        if (!ok) {
            remove(tmp);
        }
    }
    json_decref(j);
    free(tmp);
    if (!ok) {
        snprintf(err->msg, sizeof err->msg, "%s: cannot write the toys file: %s", path, strerror(errno));
        return HFX_ERR_IO;
    }
    return HFX_OK;
}

/* What a rank's toy fits warned of: the one warning of role TOYS its engine holds, if any. */
struct toys_warning {
    int                    has;
    struct hfx_fit_warning w;
};

static struct toys_warning own_toys_warning(hfx_engine_t e) {
    struct toys_warning tw = {0};
    for (size_t i = 0; i < hfx_engine_n_warnings(e); i++) {
        if (hfx_engine_warning(e, i)->role == HFX_FIT_ROLE_TOYS) {
            tw.has = 1;
            tw.w   = *hfx_engine_warning(e, i);
        }
    }
    return tw;
}

/* Rank 0: the engine's warnings (those of the fits to the data, the same on every rank, then its own
 * toys' warning) with the toys' warning of every rank in place of its own, as one process has it:
 * the toy fits concerned summed, the largest difference kept (between equal differences the lower
 * rank's: equal differences come from equal pseudo-data, whose warnings are the same). */
static enum hfx_status merge_warnings(hfx_engine_t e, const struct toys_warning * all, size_t size,
                                      struct hfx_fit_warning ** out, size_t * n_out, struct hfx_error * err) {
    size_t                   n    = hfx_engine_n_warnings(e);
    struct hfx_fit_warning * list = malloc((n + 1) * sizeof *list);
    if (!list) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return HFX_ERR_ALLOC;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (hfx_engine_warning(e, i)->role != HFX_FIT_ROLE_TOYS) {
            list[k++] = *hfx_engine_warning(e, i);
        }
    }
    const struct hfx_fit_warning * best = NULL;
    size_t                         fits = 0;
    for (size_t q = 0; q < size; q++) {
        const struct hfx_fit_warning * w = &all[q].w;
        if (all[q].has) {
            fits += w->n_fits;
            if (!best || w->twice_nll_descent - w->twice_nll > best->twice_nll_descent - best->twice_nll) {
                best = w;
            }
        }
    }
    if (best) {
        list[k]        = *best;
        list[k].n_fits = fits;
        k++;
    }
    *out   = list;
    *n_out = k;
    return HFX_OK;
}

enum hfx_status toys_hypotest(hfx_engine_t e, const struct hfx_hypotest_options * h, const struct toys_opts * t,
                              struct hfx_hypotest_result * r, struct hfx_fit_warning ** warnings, size_t * n_warnings,
                              struct hfx_error * err) {
    *warnings   = NULL;
    *n_warnings = 0;
    struct ranks rk;
    ranks_get(&rk);
    size_t   first = t->range_set ? t->first : 0, total = h->n_toys, size = (size_t) rk.size;
    size_t * counts = malloc(size * sizeof *counts);
    if (!counts) {
        ranks_abort(CLI_FAIL);
    }
    /* rank k: toys [first + ceil(total k / size), ...): contiguous, in rank order, rank 0 never empty */
    for (size_t k = 0; k < size; k++) {
        counts[k] = (total * (k + 1) + size - 1) / size - (total * k + size - 1) / size;
    }
    size_t  me    = (size_t) rk.rank;
    size_t  lo    = first + (total * me + size - 1) / size;
    double * mine = malloc((2 * counts[me] + 1) * sizeof *mine);
    double * all  = me == 0 ? malloc((2 * total + 1) * sizeof *all) : NULL;
    if (!mine || (me == 0 && !all)) {
        ranks_abort(CLI_FAIL);
    }
    struct hfx_toys_result  tr = {.teststat_sb = mine, .teststat_b = mine + counts[me]};
    struct hfx_toys_options o  = {.hypotest = *h, .first = lo, .count = counts[me]};
    enum hfx_status         st = counts[me] > 0 ? hfx_toys_run(e, &o, &tr, err) : HFX_OK;
    /* every rank reaches the gathers, whatever happened on the others; one whose own toys worked
     * says nothing of another's failure, which that rank reports (main.c) */
    if (!ranks_all_ok(st == HFX_OK) && st == HFX_OK) {
        memset(err, 0, sizeof *err);
        st = HFX_ERR_FIT;
    }
    struct toys_warning   tw  = own_toys_warning(e);
    struct toys_warning * tws = me == 0 ? calloc(size, sizeof *tws) : NULL;
    if (me == 0 && !tws) {
        ranks_abort(CLI_FAIL);
    }
    if (st == HFX_OK && (!ranks_gather_doubles(tr.teststat_sb, counts, all) ||
                         !ranks_gather_doubles(tr.teststat_b, counts, all ? all + total : NULL) ||
                         !ranks_gather_bytes(&tw, sizeof tw, tws))) {
        snprintf(err->msg, sizeof err->msg, "gathering the toys' statistics at rank 0 failed");
        st = HFX_ERR_IO;
    }
    if (st == HFX_OK && me == 0) {
        st = merge_warnings(e, tws, size, warnings, n_warnings, err);
    }
    free(tws);
    if (st == HFX_OK && me == 0) {
        st = hfx_toys_cls(h->teststat, tr.teststat, all, total, all + total, total, r, err);
        r->mu_hat = tr.mu_hat;
        r->status = tr.status;
        if (st == HFX_OK && t->out) {
            struct hfx_toys_result whole = {.teststat_sb = all, .teststat_b = all + total, .teststat = tr.teststat,
                                            .mu_hat = tr.mu_hat, .status = tr.status};
            st = write_toys(t->out, h, t->inputs, first, total, &whole, err);
        }
    }
    free(all);
    free(mine);
    free(counts);
    return st;
}

//
// hfx toys merge
//

static const struct cli_opt * MERGE_TABLES[] = {output_opt_table, cli_help_table, NULL};
static const char * const     MERGE_POS[]    = {"FILE", NULL};

static const struct cli_command TOYS_MERGE = {
    "toys merge",
    "toys merge FILE... [-o OUT]",
    "Computes the toy-based CLs from the toys of any set of ranges, saved by 'hfx cls --calctype toybased\n"
    "--toy-range A:B --toys-out FILE' (or by one run of it under mpirun): what 'hfx cls' prints for the\n"
    "toys of their union, bit for bit ({\"CLs_exp\": [...], \"CLs_obs\": x, \"toys_failed\": n}). Refuses files\n"
    "of other hypotests (inputs: workspace and patch contents, options; test statistic, POI value, seed),\n"
    "of another hfx version, ranges that overlap and gaps between ranges.",
    MERGE_TABLES,
    MERGE_POS,
    true,
};

struct toys_file {
    const char * path;
    json_t *     j;
    const char * teststat, * seed, * version, * inputs;
    enum hfx_teststat kind;
    double       poi, observed, mu_hat;
    size_t       first, count;
    enum hfx_fit_status status; /* of the fits to the data */
};

/* Each entry of a statistics array: a number, or null for a failed toy. */
static bool read_stats(const json_t * a, size_t count, double * out) {
    if (!json_is_array(a) || json_array_size(a) != count) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        const json_t * v = json_array_get(a, i);
        if (!json_is_number(v) && !json_is_null(v)) {
            return false;
        }
        out[i] = json_is_null(v) ? NAN : json_number_value(v);
    }
    return true;
}

static int load_toys(struct toys_file * f) {
    json_error_t jerr;
    f->j = json_load_file(f->path, JSON_REJECT_DUPLICATES, &jerr);
    if (!f->j) {
        cli_error("%s:%d:%d: %s", f->path, jerr.line, jerr.column, jerr.text);
        return CLI_FAIL;
    }
    json_int_t version = 0, first = -1, count = -1;
    json_t *   poi = NULL, * obs = NULL, * mu_hat = NULL;
    json_t *   format = json_object_get(f->j, "hfx_toys");
    if (json_is_integer(format) && json_integer_value(format) == 1) {
        cli_error("%s: written by an earlier hfx, before toys files carried the identity of their inputs: it cannot be "
                  "checked against the others (run its range again with this hfx, or merge it with the hfx that wrote "
                  "it)",
                  f->path);
        return CLI_FAIL;
    }
    if (json_unpack(f->j, "{s:I, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:o, s:o}", "hfx_toys", &version, "version",
                    &f->version, "inputs", &f->inputs, "teststat", &f->teststat, "test_poi", &poi, "seed", &f->seed,
                    "first", &first, "count", &count, "observed_teststat", &obs, "mu_hat", &mu_hat) != 0 ||
        version != 2 || !json_is_number(poi) || !json_is_number(obs) || !json_is_number(mu_hat)) {
        cli_error("%s: not a toys file of 'hfx cls --toys-out' (hfx_toys 2, version, inputs, teststat, test_poi, seed, "
                  "first, count, observed_teststat, teststat_sb, teststat_b)",
                  f->path);
        return CLI_FAIL;
    }
    /* toy indices stop at 2^40 (hfx_toys_run): a range past that is a damaged file */
    if (first < 0 || count < 1 || first > (json_int_t) 1 << 40 || count > (json_int_t) 1 << 40 ||
        !cli_count_ok((uint64_t) count, 2 * sizeof(double))) {
        cli_error("%s: a damaged toys file: its range (first %lld, count %lld) is not 0 <= first, 1 <= count, both at "
                  "most 2^40",
                  f->path, (long long) first, (long long) count);
        return CLI_FAIL;
    }
    int kind = -1;
    for (size_t k = 0; k < sizeof TESTSTAT_NAMES / sizeof TESTSTAT_NAMES[0]; k++) {
        kind = strcmp(TESTSTAT_NAMES[k], f->teststat) == 0 ? (int) k : kind;
    }
    if (kind < 0) {
        cli_error("%s: unknown teststat '%s' (one of qtilde, q, q0, tmu, tmutilde)", f->path, f->teststat);
        return CLI_FAIL;
    }
    f->kind = (enum hfx_teststat) kind;
    const json_t * sb = json_object_get(f->j, "teststat_sb"), * b = json_object_get(f->j, "teststat_b");
    if (!json_is_array(sb) || !json_is_array(b) || json_array_size(sb) != (size_t) count ||
        json_array_size(b) != (size_t) count) {
        cli_error("%s: teststat_sb and teststat_b must be arrays of %lld numbers (its count; null: a failed toy)",
                  f->path, (long long) count);
        return CLI_FAIL;
    }
    f->first    = (size_t) first;
    f->count    = (size_t) count;
    f->poi      = json_number_value(poi);
    f->observed = json_number_value(obs);
    f->mu_hat   = json_number_value(mu_hat);
    const char * status = json_string_value(json_object_get(f->j, "status"));
    f->status           = HFX_FIT_CONVERGED;
    for (int s = HFX_FIT_CONVERGED; status && s <= HFX_FIT_FAILED; s++) {
        f->status = strcmp(status, hfx_fit_status_str((enum hfx_fit_status) s)) == 0 ? (enum hfx_fit_status) s : f->status;
    }
    return CLI_OK;
}

static int cmp_first(const void * a, const void * b) {
    const struct toys_file * x = a, * y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* Same hypotest in every file, no two ranges overlapping. Prints what differs. */
static int check_toys(struct toys_file * f, size_t n) {
    for (size_t i = 1; i < n; i++) {
        if (strcmp(f[i].version, f[0].version) != 0) {
            cli_error("%s and %s were written by different versions of hfx (%s, %s): toys of two versions are not mixed",
                      f[0].path, f[i].path, f[0].version, f[i].version);
            return CLI_FAIL;
        }
        /* the named options first (the inputs digest covers them too), then the rest of the inputs */
        const char * what = strcmp(f[i].teststat, f[0].teststat) != 0 ? "test statistic"
                            : f[i].poi != f[0].poi                   ? "POI value (test_poi)"
                            : strcmp(f[i].seed, f[0].seed) != 0      ? "seed"
                            : strcmp(f[i].inputs, f[0].inputs) != 0
                                ? "inputs (workspace or patch contents, model or fit options: their \"inputs\" digest)"
                            : f[i].observed != f[0].observed         ? "observed test statistic (another workspace?)"
                                                                     : NULL;
        if (what) {
            cli_error("%s and %s are toys of different hypotests: their %s differs", f[0].path, f[i].path, what);
            return CLI_FAIL;
        }
    }
    qsort(f, n, sizeof *f, cmp_first);
    for (size_t i = 1; i < n; i++) {
        if (f[i].first > f[i - 1].first + f[i - 1].count) {
            cli_error("%s ends at toy %zu and %s starts at toy %zu: a gap (toys %zu..%zu are in no file)", f[i - 1].path,
                      f[i - 1].first + f[i - 1].count - 1, f[i].path, f[i].first, f[i - 1].first + f[i - 1].count,
                      f[i].first - 1);
            return CLI_FAIL;
        }
        if (f[i].first < f[i - 1].first + f[i - 1].count) {
            cli_error("%s (toys %zu..%zu) and %s (toys %zu..%zu) overlap: each toy must come from one file", f[i - 1].path,
                      f[i - 1].first, f[i - 1].first + f[i - 1].count - 1, f[i].path, f[i].first,
                      f[i].first + f[i].count - 1);
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

static int merge_toys(struct toys_file * f, size_t n, const char * output) {
    for (size_t i = 0; i < n; i++) {
        if (load_toys(&f[i]) != CLI_OK) {
            return CLI_FAIL;
        }
    }
    if (check_toys(f, n) != CLI_OK) {
        return CLI_FAIL;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += f[i].count;
    }
    double * sb = malloc((2 * total + 1) * sizeof *sb), * b = sb + total;
    if (!sb) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    int    rc  = CLI_OK;
    size_t off = 0;
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        if (!read_stats(json_object_get(f[i].j, "teststat_sb"), f[i].count, sb + off) ||
            !read_stats(json_object_get(f[i].j, "teststat_b"), f[i].count, b + off)) {
            cli_error("%s: teststat_sb and teststat_b must be arrays of %zu numbers (null: a failed toy)", f[i].path,
                      f[i].count);
            rc = CLI_FAIL;
        }
        off += f[i].count;
    }
    enum hfx_teststat kind = f[0].kind;
    struct hfx_hypotest_result r;
    struct hfx_error           err = {0};
    enum hfx_status            st  = rc == CLI_OK ? hfx_toys_cls(kind, f[0].observed, sb, total, b, total, &r, &err)
                                                  : HFX_OK;
    if (rc == CLI_OK && st != HFX_OK) {
        cli_error_hfx(st, &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        /* what hfx cls prints; the status of the fits to the data, the least converged file's */
        r.status = HFX_FIT_CONVERGED;
        for (size_t i = 0; i < n; i++) {
            r.status = hfx_fit_status_worse(r.status, f[i].status);
        }
        json_t * j = cls_result_json(&r, total);
        rc         = jout_emit(j, output);
        json_decref(j);
    }
    free(sb);
    return rc;
}

static int toys_merge(int argc, char ** argv) {
    struct cli_parsed args;
    int               rc = cli_parse_command(&TOYS_MERGE, argc, argv, NULL, NULL, NULL, NULL, &args);
    if (rc != CLI_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    struct toys_file * f = calloc(args.n_pos, sizeof *f);
    if (!f) {
        cli_error("out of memory");
        rc = CLI_FAIL;
    } else {
        for (size_t i = 0; i < args.n_pos; i++) {
            f[i].path = args.pos[i];
        }
        rc = merge_toys(f, args.n_pos, args.output_file);
        for (size_t i = 0; i < args.n_pos; i++) {
            json_decref(f[i].j);
        }
    }
    free(f);
    free(args.pos);
    return rc;
}

int cmd_toys(int argc, char ** argv) {
    if (argc >= 2 && strcmp(argv[1], "merge") == 0) {
        return toys_merge(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: hfx toys merge FILE... [-o OUT]\n\n"
               "Toys are run in ranges by 'hfx cls --calctype toybased --toy-range A:B --toys-out FILE'\n"
               "(or split over MPI ranks by 'mpirun -n N hfx cls --calctype toybased'); 'hfx toys merge'\n"
               "computes CLs from any set of such files. See 'hfx toys merge --help'.\n");
        return CLI_OK;
    }
    if (argc < 2) {
        return cli_usage_error("toys", "missing subcommand (expected: merge)");
    }
    return cli_usage_error("toys", "unknown subcommand '%s' (expected: merge)", argv[1]);
}
