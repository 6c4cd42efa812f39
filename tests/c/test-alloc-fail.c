/*
 * test-alloc-fail.c -- every out-of-memory branch along a whole analysis ends in an hfx error: no
 * crash, no leak (LeakSanitizer in the ASan build), no wrong answer (issue 22, part 5;
 * docs/robustness.md, "Allocation failures").
 *
 * All heap memory of libhfx passes the seam src/core/alloc.h (hfx__malloc and friends, and each
 * arena allocation), and so, in this test only, does jansson's (json_set_alloc_funcs: the JSON trees
 * of workspaces and patches). One run is the pipeline a user's analysis takes on
 * tests/data/spec-simple.json (every modifier type) and the patchset tests/data/spec-patchset.json:
 * load -> patchset and RFC 6902 patch on a copy -> dump -> models -> engine -> fit with
 * uncertainties -> asymptotic hypotest -> toys (hfx_hypotest's toy calculator and hfx_toys_run) ->
 * upper limit (root search) -> a grid scan (hfx_upper_limit's n_scan) -> the model groups of hfx scan
 * (src/infer/group.c, both models) -> ranking -> profile scan -> significance -> goodness of fit.
 *
 * For each backend (cpu-ref, and the threaded cpu backend with 2 threads): a run without a failure
 * gives the normal result (pyhf 0.7.6's CLs, below) and counts its allocations, A; then for every N
 * in 1..A a run in which the N-th allocation fails must return HFX_ERR_ALLOC from the call that saw
 * it, with the error filled (code, message); a run whose failure the library
 * absorbs (a fast path that falls back) must give the normal result bit for bit. After all N, a run
 * without a failure gives the same result bit for bit again. The test prints, per backend, how many
 * allocations a run takes in each step, how many distinct N failed, with which statuses, and how many
 * distinct allocation sites (code addresses of the calls into the seam) they hit, named by file
 * where addr2line and debug information are there (the ASan build).
 *
 * Rerun one N: `test-alloc-fail cpu-ref 123` (backend, N) prints that run's status, error, site and
 * step, and the numbers that differ (under ASan, the stack of a failed jansson allocation).
 * HFX_ALLOC_VERBOSE=1 lists every site (first N, failures, absorbed);
 * HFX_ALLOC_HS3=1 adds an HS3 round trip (off by default, see run_pipeline). Crashes name the N and
 * backend on stderr before the sanitizer's or the signal's report.
 *
 * Reference (tolerance 1e-4 relative, the project's CLs tolerance; pyhf 0.7.6, scipy optimizer at
 * tolerance 1e-12): spec-simple.json's q~ CLs at mu = 1, observed 0.6407389836913411, expected
 * median 0.43930207861096304; its patch sig_500_100's 0.8657831527851207.
 */
#define _GNU_SOURCE /* dladdr */
#include "hfx-test.h"

#include "core/alloc.h"
#include "hfx/hfx.h"
#include "infer/group.h"

#include <jansson.h>

#include <signal.h>
#include <unistd.h>
#if defined(__linux__)
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

//
// One run of the pipeline
//

enum step {
    STEP_LOAD, STEP_PATCH, STEP_HS3, STEP_MODEL, STEP_ENGINE, STEP_FIT, STEP_HYPOTEST, STEP_TOYS, STEP_LIMIT, STEP_GRID,
    STEP_GROUP, STEP_RANKING, STEP_SCAN, STEP_SIGNIFICANCE, N_STEPS
};
static const char * const step_name[N_STEPS] = {
    "load", "patch", "hs3", "model", "engine", "fit", "hypotest", "toys", "upper limit", "grid scan", "model groups",
    "ranking", "profile scan", "significance",
};

enum { DIGEST_MAX = 512 };

/* Every number a run produces, in order, to compare runs bit for bit. */
struct digest {
    size_t n;
    double v[DIGEST_MAX];
};

static void put(struct digest * d, double x) {
    ASSERT(d->n < DIGEST_MAX);
    d->v[d->n++] = x;
}

static int same_digest(const struct digest * a, const struct digest * b) {
    return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof a->v[0]) == 0;
}

struct run {
    const char *    backend;
    int             n_threads;
    enum hfx_status status;     /* the first call's that failed, HFX_OK if none */
    enum step       step;       /* where it failed (N_STEPS: nowhere) */
    struct hfx_error err;
    unsigned long   step_end[N_STEPS]; /* allocations counted at the end of each step */
    struct digest   d;
    size_t          at_hypotest, at_group; /* where these steps' numbers start in d */
};

/* A call's status: on failure the run stops there, with the error the call filled. */
#define CALL(r, s, expr)                      \
    do {                                      \
        enum hfx_status st_ = (expr);         \
        if (st_ != HFX_OK) {                  \
            (r)->status = st_;                \
            (r)->step   = (s);                \
            goto done;                        \
        }                                     \
    } while (0)

#define END_STEP(r, s) ((r)->step_end[s] = hfx__alloc_count())

/* Runs the pipeline once; r->status and r->err say how it ended, r->d holds its numbers. Frees
 * everything it made, however it ends. */
static void run_pipeline(struct run * r) {
    hfx_workspace_t                ws = NULL, ws2 = NULL, ws3 = NULL;
    hfx_patchset_t                 ps = NULL;
    hfx_model_t                    m = NULL, m2 = NULL;
    hfx_engine_t                   e = NULL;
    char *                         dump = NULL, * hs3 = NULL;
    double *                       toy_sb = NULL, * toy_b = NULL;
    struct hfx__group_item         items[2];
    struct hfx_ranking_result      rank = {0};
    hfx_limit_grid_t               grid = NULL;
    double *                       rows_data = NULL, * pars2 = NULL;
    struct hfx_profile_scan_result scan = {0};
    struct hfx_error *             err  = &r->err;
    memset(items, 0, sizeof items);
    memset(err, 0, sizeof *err);
    r->status = HFX_OK;
    r->step   = N_STEPS;
    r->d.n    = 0;
    r->at_hypotest = r->at_group = 0;
    memset(r->step_end, 0, sizeof r->step_end);

    CALL(r, STEP_LOAD, hfx_workspace_load(HFX_TEST_DATA "/spec-simple.json", &ws, err));
    END_STEP(r, STEP_LOAD);

    CALL(r, STEP_PATCH, hfx_patchset_load(HFX_TEST_DATA "/spec-patchset.json", &ps, err));
    CALL(r, STEP_PATCH, hfx_workspace_copy(ws, &ws2, err));
    CALL(r, STEP_PATCH, hfx_patchset_apply(ps, 0, ws2, err));
    CALL(r, STEP_PATCH,
         hfx_workspace_apply_patch_string(
             ws2, "[{\"op\": \"test\", \"path\": \"/channels/0/name\", \"value\": \"SR\"}]", "inline", err));
    CALL(r, STEP_PATCH, hfx_workspace_dump(ws2, &dump, err));
    put(&r->d, (double) strlen(dump));
    END_STEP(r, STEP_PATCH);

    /* HFX_ALLOC_HS3 set: the HS3 writer and reader too, the patched workspace as ROOT's JSON and
     * back. Off by default: src/io/hs3-write.c and hs3-read.c build their trees with jansson
     * insertions whose failure they do not all check (a member left out, then a wrong document or a
     * misleading schema error), which the rework of the readers and writers (issue 22, part 3) is to
     * mend; docs/robustness.md, "Allocation failures". */
    if (getenv("HFX_ALLOC_HS3")) {
        CALL(r, STEP_HS3, hfx_workspace_dump_hs3(ws2, NULL, &hs3, err));
        CALL(r, STEP_HS3, hfx_workspace_load_string(hs3, "hs3", &ws3, err));
        free(dump);
        dump = NULL;
        CALL(r, STEP_HS3, hfx_workspace_dump(ws3, &dump, err));
        put(&r->d, (double) strlen(dump));
    }
    END_STEP(r, STEP_HS3);

    CALL(r, STEP_MODEL, hfx_model_create(ws, NULL, &m, err));
    CALL(r, STEP_MODEL, hfx_model_create(ws2, NULL, &m2, err));
    END_STEP(r, STEP_MODEL);

    struct hfx_engine_options eo = {.backend = r->backend, .n_threads = r->n_threads};
    CALL(r, STEP_ENGINE, hfx_engine_create(m, &eo, &e, err));
    /* the model's expected data, and the engine's batch with a data row per point (pyhf's
     * expected_data, the toys' and Asimov sets' evaluation): both at the init, on the observed data */
    size_t n_data = hfx_model_n_bins(m) + hfx_model_n_aux(m);
    rows_data     = malloc(2 * n_data * sizeof *rows_data);
    pars2         = malloc(2 * hfx_model_n_pars(m) * sizeof *pars2);
    ASSERT(rows_data && pars2);
    CALL(r, STEP_ENGINE, hfx_model_expected_data(m, hfx_model_init(m), rows_data, err));
    put(&r->d, rows_data[0]);
    for (int k = 0; k < 2; ++k) {
        memcpy(rows_data + k * n_data, hfx_model_observed(m), n_data * sizeof *rows_data);
        memcpy(pars2 + k * hfx_model_n_pars(m), hfx_model_init(m), hfx_model_n_pars(m) * sizeof *pars2);
    }
    double nll2[2];
    CALL(r, STEP_ENGINE, hfx_twice_nll_batch_data(e, 2, pars2, rows_data, nll2, NULL, err));
    put(&r->d, nll2[0]);
    put(&r->d, nll2[1]);
    END_STEP(r, STEP_ENGINE);

    size_t                 n_pars = hfx_model_n_pars(m);
    struct hfx_fit_options fo     = {.uncertainties = true};
    struct hfx_fit_result  fit;
    CALL(r, STEP_FIT, hfx_fit(e, &fo, &fit, err));
    put(&r->d, fit.twice_nll);
    put(&r->d, fit.status);
    for (size_t i = 0; i < n_pars; ++i) {
        put(&r->d, fit.pars[i]);
        put(&r->d, fit.uncertainties[i]);
    }
    double twice_nll = fit.twice_nll;
    END_STEP(r, STEP_FIT);

    struct hfx_hypotest_options ho = {.poi_test = 1.0, .teststat = HFX_TESTSTAT_QTILDE};
    struct hfx_hypotest_result  h;
    CALL(r, STEP_HYPOTEST, hfx_hypotest(e, &ho, &h, err));
    r->at_hypotest = r->d.n;
    put(&r->d, h.cls_obs);
    for (int i = 0; i < 5; ++i) {
        put(&r->d, h.cls_exp[i]);
    }
    END_STEP(r, STEP_HYPOTEST);

    struct hfx_hypotest_options to = ho;
    to.calctype                    = HFX_CALC_TOYBASED;
    to.n_toys                      = 3;
    to.seed                        = 7;
    CALL(r, STEP_TOYS, hfx_hypotest(e, &to, &h, err));
    put(&r->d, h.cls_obs);
    put(&r->d, (double) (h.toys_failed_sb + h.toys_failed_b));
    toy_sb = malloc(2 * sizeof *toy_sb); /* the caller's arrays: not the library's, so not the seam's */
    toy_b  = malloc(2 * sizeof *toy_b);
    ASSERT(toy_sb && toy_b);
    struct hfx_toys_options tro = {.hypotest = to, .first = 1, .count = 2};
    struct hfx_toys_result  tr  = {.teststat_sb = toy_sb, .teststat_b = toy_b};
    CALL(r, STEP_TOYS, hfx_toys_run(e, &tro, &tr, err));
    CALL(r, STEP_TOYS, hfx_toys_cls(HFX_TESTSTAT_QTILDE, tr.teststat, toy_sb, 2, toy_b, 2, &h, err));
    put(&r->d, h.cls_obs);
    END_STEP(r, STEP_TOYS);

    struct hfx_upper_limit_options lo = {.hypotest = ho, .level = 0.05};
    struct hfx_upper_limit_result  ul;
    CALL(r, STEP_LIMIT, hfx_upper_limit(e, &lo, &ul, err));
    put(&r->d, ul.obs);
    put(&r->d, ul.exp[2]);
    put(&r->d, ul.n_hypotests);
    END_STEP(r, STEP_LIMIT);

    double rows[3 * 7];
    lo.lo          = 0.5;
    lo.hi          = 3.0;
    lo.n_scan      = 3;
    lo.scan_points = rows;
    CALL(r, STEP_GRID, hfx_upper_limit(e, &lo, &ul, err));
    put(&r->d, ul.obs);
    for (int i = 0; i < 3 * 7; ++i) {
        put(&r->d, rows[i]);
    }
    /* the same grid in parts, as hfx upper-limit's ranks run it */
    lo.scan_points = NULL;
    CALL(r, STEP_GRID, hfx_limit_grid_create(e, &lo, &grid, err));
    CALL(r, STEP_GRID, hfx_limit_grid_run(grid, 0, 3, rows, NULL, err));
    CALL(r, STEP_GRID, hfx_limit_grid_result(grid, rows, HFX_FIT_CONVERGED, &ul, err));
    put(&r->d, ul.obs);
    END_STEP(r, STEP_GRID);

    /* hfx scan's model groups, on both models, where the backend has them (cpu; cpu-ref has none) */
    if (hfx__group_supported(&eo, &ho)) {
        items[0].m = m;
        items[1].m = m2;
        CALL(r, STEP_GROUP, hfx__hypotest_group(items, 2, &eo, &ho, NULL, err));
        r->at_group = r->d.n;
        for (int k = 0; k < 2; ++k) {
            if (items[k].status != HFX_OK) { /* one model's failure: the call goes on with the others */
                *err      = items[k].error;
                r->status = items[k].status;
                r->step   = STEP_GROUP;
                goto done;
            }
            put(&r->d, items[k].result.cls_obs);
        }
    }
    END_STEP(r, STEP_GROUP);

    struct hfx_ranking_options ro = {0};
    CALL(r, STEP_RANKING, hfx_ranking(e, &ro, &rank, err));
    for (size_t k = 0; k < rank.n_entries; ++k) {
        put(&r->d, (double) rank.entries[k].par);
        put(&r->d, rank.entries[k].impact_postfit_up);
        put(&r->d, rank.entries[k].impact_prefit_down);
    }
    END_STEP(r, STEP_RANKING);

    size_t           mu = 0;
    struct hfx_error ignored;
    ASSERT_EQ(hfx_model_find_par(m, "mu", &mu, &ignored), HFX_OK); /* allocates nothing */
    struct hfx_profile_scan_options so = {.n_dims = 1, .par = {mu}, .range_set = {true}, .lo = {0.5}, .hi = {1.5},
                                          .n = {3}};
    CALL(r, STEP_SCAN, hfx_profile_scan(e, &so, &scan, err));
    for (size_t k = 0; k < scan.n_points; ++k) {
        put(&r->d, scan.points[k].delta_twice_nll);
    }
    END_STEP(r, STEP_SCAN);

    struct hfx_significance_result sig;
    struct hfx_gof_result          gof;
    CALL(r, STEP_SIGNIFICANCE, hfx_significance(e, NULL, &sig, err));
    CALL(r, STEP_SIGNIFICANCE, hfx_goodness_of_fit(m, NULL, twice_nll, &gof, err));
    put(&r->d, sig.z_obs);
    put(&r->d, sig.z_exp);
    put(&r->d, gof.p_value);
    END_STEP(r, STEP_SIGNIFICANCE);

done:
    hfx_profile_scan_result_free(&scan);
    hfx_ranking_result_free(&rank);
    for (int k = 0; k < 2; ++k) {
        hfx__group_item_clear(&items[k]);
    }
    free(toy_sb);
    free(toy_b);
    free(dump);
    free(hs3);
    hfx_limit_grid_free(grid);
    free(rows_data);
    free(pars2);
    hfx_engine_free(e);
    hfx_model_free(m2);
    hfx_model_free(m);
    hfx_patchset_free(ps);
    hfx_workspace_free(ws3);
    hfx_workspace_free(ws2);
    hfx_workspace_free(ws);
}

//
// Allocation sites
//

enum { SITES_MAX = 4096 };

struct site {
    const void *    addr;
    unsigned long   first_n;    /* the first N that failed there */
    unsigned long   n_hits;     /* the N that failed there */
    unsigned long   n_absorbed; /* of which the library absorbed (normal result) */
    char            name[160];  /* "src/model/compile.c:305", "jansson", or "?" (no addr2line, no -g) */
};

struct sites {
    size_t      n;
    struct site s[SITES_MAX];
};

static void add_site(struct sites * ss, const void * addr, unsigned long n, bool absorbed) {
    size_t i = 0;
    while (i < ss->n && ss->s[i].addr != addr) {
        ++i;
    }
    if (i == ss->n) {
        ASSERT(ss->n < SITES_MAX);
        ss->s[ss->n++] = (struct site){.addr = addr, .first_n = n, .name = "?"};
    }
    ss->s[i].n_hits++;
    ss->s[i].n_absorbed += absorbed;
}

/* Names sites [0, n) "file:line" with one addr2line call per object file, where addr2line and debug
 * information are there (the ASan build: Debug); the others stay "?". */
static void name_sites(struct site * s, size_t n) {
#if defined(__linux__)
    char            self[1024];
    ssize_t         len  = readlink("/proc/self/exe", self, sizeof self - 1);
    static const int here = 0;
    Dl_info         me;
    if (len <= 0 || !dladdr(&here, &me)) {
        return;
    }
    self[len] = '\0';
    /* every site in the program itself (libhfx is linked in statically; jansson's allocations come
     * through this file's jansson_malloc); addresses of a position-independent program are relative
     * to where it was loaded, and the call instruction is the byte before the return address */
    const ElfW(Ehdr) * eh   = me.dli_fbase;
    uintptr_t          base = eh && eh->e_type == ET_DYN ? (uintptr_t) me.dli_fbase : 0;
    size_t             cap  = 64 + strlen(self) + 24 * n, used = 0;
    char *             cmd  = malloc(cap);
    size_t *           which = malloc((n + 1) * sizeof *which), n_which = 0;
    ASSERT(cmd && which);
    used += (size_t) snprintf(cmd, cap, "addr2line -e '%s'", self);
    for (size_t i = 0; i < n; ++i) {
        Dl_info info;
        if (s[i].addr && dladdr(s[i].addr, &info) && info.dli_fbase == me.dli_fbase) {
            used += (size_t) snprintf(cmd + used, cap - used, " 0x%lx",
                                      (unsigned long) ((uintptr_t) s[i].addr - 1 - base));
            which[n_which++] = i;
        }
    }
    snprintf(cmd + used, cap - used, " 2>/dev/null");
    FILE * p = n_which ? popen(cmd, "r") : NULL;
    char   line[1024];
    for (size_t k = 0; p && k < n_which && fgets(line, sizeof line, p); ++k) {
        line[strcspn(line, " \n")] = '\0';
        const char * src           = strstr(line, "/src/");
        const char * name          = src                                 ? src + 1
                                     : strstr(line, "test-alloc-fail.c") ? "jansson"
                                     : strncmp(line, "??", 2) == 0       ? "?"
                                                                         : line;
        snprintf(s[which[k]].name, sizeof s[0].name, "%.159s", name);
    }
    if (p) {
        pclose(p);
    }
    free(which);
    free(cmd);
#else
    (void) s;
    (void) n;
#endif
}

//
// Crash reports: which N and backend, before the signal's or the sanitizer's own report
//

static volatile unsigned long cur_n;
static const char * volatile  cur_backend = "";

static void say_where(void) {
    char msg[256];
    int  len = snprintf(msg, sizeof msg, "test-alloc-fail: died while failing allocation %lu on %s (rerun: "
                                         "test-alloc-fail %s %lu)\n",
                        cur_n, cur_backend, cur_backend, cur_n);
    if (len > 0) {
        ssize_t ignored = write(2, msg, (size_t) len < sizeof msg ? (size_t) len : sizeof msg - 1);
        (void) ignored;
    }
}

static void on_signal(int sig) {
    say_where();
    signal(sig, SIG_DFL);
    raise(sig);
}

//
// The walk over N
//

static int told; /* a single run, told: where jansson's failed allocation came from */

/* jansson's allocations through the seam: the JSON trees' out-of-memory branches too. */
static void * jansson_malloc(size_t size) {
    void * p = hfx__malloc(size);
#if defined(__SANITIZE_ADDRESS__)
    if (!p && told) {
        __sanitizer_print_stack_trace();
    }
#endif
    return p;
}

static void check_reference(const struct run * r) {
    /* pyhf 0.7.6's q~ CLs at mu = 1 (the file's comment), 1e-4 relative; the group's are bit for bit
     * hfx_hypotest's on an engine of their own (test-groups.c), so the first is the hypotest's */
    ASSERT_EQ(r->status, HFX_OK);
    ASSERT(r->at_hypotest > 0);
    ASSERT_NEAR_REL(r->d.v[r->at_hypotest], 0.6407389836913411, 1e-4);
    ASSERT_NEAR_REL(r->d.v[r->at_hypotest + 3], 0.43930207861096304, 1e-4);
    if (r->at_group > 0) { /* a backend with model groups (cpu; not cpu-ref) */
        ASSERT(r->d.v[r->at_group] == r->d.v[r->at_hypotest]);
        ASSERT_NEAR_REL(r->d.v[r->at_group + 1], 0.8657831527851207, 1e-4);
    }
}

/* Fails each allocation of a run in turn on one backend; returns the number of problems. */
static int walk(const char * backend, int n_threads, unsigned long only) {
    static struct run clean, r;
    static struct sites sites;
    int                 problems = 0;
    int                 verbose  = getenv("HFX_ALLOC_VERBOSE") != NULL;
    cur_backend                  = backend;
    clean.backend = r.backend = backend;
    clean.n_threads = r.n_threads = n_threads;

    hfx__alloc_fail_at(0);
    run_pipeline(&clean);
    unsigned long n_alloc = hfx__alloc_count();
    if (clean.status != HFX_OK) {
        char buf[2048];
        fprintf(stderr, "%s: the run without a failure failed in %s: %s\n", backend, step_name[clean.step],
                hfx_error_format(&clean.err, buf, sizeof buf));
        return 1;
    }
    check_reference(&clean);

    if (only) {
        told  = 1;
        cur_n = only;
        hfx__alloc_fail_at(only);
        run_pipeline(&r);
        char        buf[2048];
        struct site where = {.addr = hfx__alloc_failed_site(), .name = "?"};
        name_sites(&where, 1);
        printf("%s N=%lu of %lu: %s in %s: %s (site %p %s)\n", backend, only, n_alloc, hfx_status_str(r.status),
               r.step < N_STEPS ? step_name[r.step] : "-", r.status ? hfx_error_format(&r.err, buf, sizeof buf) : "",
               where.addr, where.name);
        hfx__alloc_fail_at(0);
        int s = 0;
        while (s + 1 < N_STEPS && clean.step_end[s] < only) {
            ++s;
        }
        printf("  the allocation is one of step %s's\n", step_name[s]);
        for (size_t i = 0; i < r.d.n && i < clean.d.n; ++i) {
            if (memcmp(&r.d.v[i], &clean.d.v[i], sizeof r.d.v[i]) != 0) {
                printf("  number %zu differs: %.17g, without the failure %.17g\n", i, r.d.v[i], clean.d.v[i]);
            }
        }
        return r.status == HFX_OK && !same_digest(&r.d, &clean.d);
    }

    sites.n                         = 0;
    unsigned long n_status[16]      = {0}; /* by -status */
    unsigned long n_absorbed = 0, n_unreached = 0, n_failed = 0;
    for (unsigned long n = 1; n <= n_alloc; ++n) {
        cur_n = n;
        hfx__alloc_fail_at(n);
        run_pipeline(&r);
        const void * site = hfx__alloc_failed_site();
        if (!site && hfx__alloc_count() < n) {
            n_unreached++; /* a run that took fewer allocations (threads may) */
            continue;
        }
        n_failed++;
        char buf[2048];
        add_site(&sites, site, n, r.status == HFX_OK);
        if (r.status == HFX_OK) {
            n_absorbed++;
            if (!same_digest(&r.d, &clean.d)) {
                fprintf(stderr, "%s N=%lu: the failure was absorbed but the result differs\n", backend, n);
                problems++;
            }
            continue;
        }
        n_status[-r.status < 16 ? -r.status : 15]++;
        /* every call on this path can say "out of memory": another status is a misleading error,
         * most often a JSON tree that silently lost a member (a schema or patch error follows) */
        if (r.status != HFX_ERR_ALLOC) {
            fprintf(stderr, "%s N=%lu (site %p): %s in %s, not HFX_ERR_ALLOC: %s\n", backend, n, site,
                    hfx_status_str(r.status), step_name[r.step], hfx_error_format(&r.err, buf, sizeof buf));
            problems++;
        }
        if (r.err.code != r.status || r.err.msg[0] == '\0') {
            fprintf(stderr, "%s N=%lu: status %s but the error says code %d, '%s'\n", backend, n,
                    hfx_status_str(r.status), (int) r.err.code, hfx_error_format(&r.err, buf, sizeof buf));
            problems++;
        }
    }
    hfx__alloc_fail_at(0);
    cur_n = 0;
    if (n_threads == 1 && n_unreached) { /* one thread: every run takes the same allocations */
        fprintf(stderr, "%s: %lu of the N were not reached by a single-threaded run\n", backend, n_unreached);
        problems++;
    }

    /* the library's state is unharmed: the same numbers again */
    run_pipeline(&r);
    if (r.status != HFX_OK || !same_digest(&r.d, &clean.d)) {
        fprintf(stderr, "%s: the run after the failures differs from the first\n", backend);
        problems++;
    }

    printf("%s (%d threads): a run takes %lu allocations:", backend, n_threads, n_alloc);
    unsigned long prev = 0;
    for (int s = 0; s < N_STEPS; ++s) {
        printf(" %s %lu%s", step_name[s], clean.step_end[s] - prev, s + 1 < N_STEPS ? "," : "\n");
        prev = clean.step_end[s];
    }
    printf("%s: %lu of %lu failed allocations (N) reached, %lu absorbed (normal result), statuses:", backend,
           n_failed, n_alloc, n_absorbed);
    for (int s = 1; s < 16; ++s) {
        if (n_status[s]) {
            printf(" %s %lu", hfx_status_str((enum hfx_status) - s), n_status[s]);
        }
    }
    printf("; %lu not reached\n", n_unreached);

    /* the distinct sites, by file where they can be named */
    name_sites(sites.s, sites.n);
    struct {
        char          file[160];
        unsigned long n;
    } files[128];
    size_t n_files = 0, n_named = 0;
    for (size_t i = 0; i < sites.n; ++i) {
        const struct site * st = &sites.s[i];
        if (verbose) {
            printf("  site %-36s first N=%-5lu failed %lu times, absorbed %lu\n", st->name, st->first_n, st->n_hits,
                   st->n_absorbed);
        }
        if (strcmp(st->name, "?") == 0) {
            continue;
        }
        n_named++;
        char file[160];
        snprintf(file, sizeof file, "%s", st->name);
        file[strcspn(file, ":")] = '\0';
        size_t f                 = 0;
        while (f < n_files && strcmp(files[f].file, file) != 0) {
            ++f;
        }
        if (f == n_files && n_files < sizeof files / sizeof files[0]) {
            snprintf(files[n_files].file, sizeof files[0].file, "%s", file);
            files[n_files++].n = 0;
        }
        if (f < n_files) {
            files[f].n++;
        }
    }
    printf("%s: %zu distinct allocation sites reached (%zu named)", backend, sites.n, n_named);
    for (size_t f = 0; f < n_files; ++f) {
        printf("%s %s %lu", f ? "," : ":", files[f].file, files[f].n);
    }
    printf("\n");
    return problems;
}

int main(int argc, char ** argv) {
    signal(SIGSEGV, on_signal);
    signal(SIGABRT, on_signal);
    signal(SIGBUS, on_signal);
    signal(SIGFPE, on_signal);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(say_where);
#endif
    json_set_alloc_funcs(jansson_malloc, free);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc == 3) { /* test-alloc-fail BACKEND N: one run, told */
        return walk(argv[1], strcmp(argv[1], "cpu-ref") == 0 ? 1 : 2, strtoul(argv[2], NULL, 10)) ? 1 : 0;
    }
    int problems = walk("cpu-ref", 1, 0);
    problems += walk("cpu", 2, 0);
    if (problems) {
        fprintf(stderr, "%d problems\n", problems);
        return 1;
    }
    return 0;
}
