/*
 * hfx-timeit -- times one hfx task in-process for the benchmark suite (bench/), so that the numbers
 * are the work itself rather than process start-up and file parsing. It follows the suite's timing
 * protocol (bench/hfxbench/timing.py): untimed warm-up calls, then timed samples until both a
 * minimum count and a minimum time are reached or the time budget is spent; calls faster than 1 ms
 * are repeated `inner` times per sample (doubled until a sample takes 1 ms). It prints one JSON object, shaped as the suite's Python
 * workers answer: the timing (median, quartiles, every sample), the task's result (so that every
 * speed figure comes with the number it computed), the work per call from the engine's counters
 * (fits, backend calls, points), the phases before the task (parse, compile, engine) and the peak
 * resident memory.
 *
 *   hfx-timeit WS [-p PATCH]... --task build|nll|grad|nll-batch|fit|hypotest|upper-limit|toys
 *              [--batch B] [--toys N] [--seed S] [--test-poi MU] [--no-poi] [--backend NAME]
 *              [--threads N] [--explore default|thorough|none] [--optimizer auto|bfgs|lbfgs] [--warmup N] [--min-reps N]
 *              [--max-reps N] [--min-time S] [--max-time S]
 *   hfx-timeit --list-backends
 */
#include "hfx/hfx.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

struct protocol {
    int    warmup, min_reps, max_reps;
    double min_time, max_time;
};

struct job {
    const char *              ws_path;
    const char *              patches[64];
    int                       n_patches;
    const char *              task;
    struct hfx_engine_options eo;
    struct hfx_model_options  mo;
    double                    mu;
    size_t                    batch, toys;
    uint64_t                  seed;
    struct protocol           protocol;
};

/* What one call of the task computed. */
struct outcome {
    const char * quantity;
    double       value;
    double       cls_exp[5];
    bool         has_exp;
};

/* The buffers a task needs, allocated before timing. */
struct task_state {
    double * pars;  /* [batch * n_pars] nll-batch points */
    double * out;   /* [batch] */
    double * grad;  /* [batch * n_pars] */
};

/* Errors are results too: one JSON object with the reason, so that the suite records the case. */
static void fail(const char * what, const struct hfx_error * err) {
    char msg[1024] = "", reason[1200];
    if (err) {
        hfx_error_format(err, msg, sizeof msg);
    }
    snprintf(reason, sizeof reason, "%s: %s", what, msg);
    json_t * j = json_object();
    json_object_set_new(j, "status", json_string("error"));
    json_object_set_new(j, "reason", json_string(reason));
    json_dumpf(j, stdout, JSON_COMPACT);
    printf("\n");
    json_decref(j);
    exit(1);
}

static hfx_workspace_t load(const struct job * j) {
    struct hfx_error err;
    hfx_workspace_t  ws;
    if (hfx_workspace_load(j->ws_path, &ws, &err) != HFX_OK) {
        fail("load", &err);
    }
    for (int i = 0; i < j->n_patches; ++i) {
        if (hfx_workspace_apply_patch_file(ws, j->patches[i], &err) != HFX_OK) {
            fail("patch", &err);
        }
    }
    return ws;
}

/* The points of the batched task, as bench/hfxbench/points.py defines them. */
static void batch_points(hfx_model_t m, size_t n, double * pts) {
    size_t         np    = hfx_model_n_pars(m);
    const double * init  = hfx_model_init(m);
    const double * lower = hfx_model_lower(m);
    const double * upper = hfx_model_upper(m);
    const bool *   fixed = hfx_model_fixed(m);
    for (size_t k = 0; k < n; ++k) {
        for (size_t j = 0; j < np; ++j) {
            double x = init[j];
            if (!fixed[j]) {
                x += 0.1 * fmin(upper[j] - lower[j], 1.0) * sin(1.0 + (double) k + 0.5 * (double) j);
                x = fmin(fmax(x, lower[j]), upper[j]);
            }
            pts[k * np + j] = x;
        }
    }
}

static void run_once(const struct job * j, hfx_workspace_t ws, hfx_engine_t e, struct task_state * ts,
                     struct outcome * o) {
    struct hfx_error err;
    hfx_model_t      m = e ? hfx_engine_model(e) : NULL;
    o->quantity        = "twice_nll";
    if (!strcmp(j->task, "build")) {
        hfx_model_t mm;
        if (hfx_model_create(ws, &j->mo, &mm, &err) != HFX_OK) {
            fail("model", &err);
        }
        o->quantity = "n_pars";
        o->value    = (double) hfx_model_n_pars(mm);
        hfx_model_free(mm);
    } else if (!strcmp(j->task, "nll") || !strcmp(j->task, "grad")) {
        bool grad = !strcmp(j->task, "grad");
        if (hfx_twice_nll(e, hfx_model_init(m), NULL, &o->value, grad ? ts->grad : NULL, &err) != HFX_OK) {
            fail("twice_nll", &err);
        }
    } else if (!strcmp(j->task, "nll-batch")) {
        if (hfx_twice_nll_batch(e, j->batch, ts->pars, NULL, ts->out, NULL, &err) != HFX_OK) {
            fail("twice_nll_batch", &err);
        }
        o->quantity = "sum_twice_nll";
        o->value    = 0;
        for (size_t k = 0; k < j->batch; ++k) {
            o->value += ts->out[k];
        }
    } else if (!strcmp(j->task, "fit")) {
        struct hfx_fit_result r;
        if (hfx_fit(e, NULL, &r, &err) != HFX_OK) {
            fail("fit", &err);
        }
        o->value = r.twice_nll;
    } else if (!strcmp(j->task, "hypotest") || !strcmp(j->task, "toys")) {
        struct hfx_hypotest_options h = {.poi_test = j->mu};
        if (!strcmp(j->task, "toys")) {
            h.calctype = HFX_CALC_TOYBASED;
            h.n_toys   = j->toys;
            h.seed     = j->seed;
        }
        struct hfx_hypotest_result r;
        if (hfx_hypotest(e, &h, &r, &err) != HFX_OK) {
            fail("hypotest", &err);
        }
        o->quantity = "CLs_obs";
        o->value    = r.cls_obs;
        memcpy(o->cls_exp, r.cls_exp, sizeof o->cls_exp);
        o->has_exp = true;
    } else if (!strcmp(j->task, "upper-limit")) {
        struct hfx_upper_limit_options u = {.level = 0.05};
        struct hfx_upper_limit_result  r;
        if (hfx_upper_limit(e, &u, &r, &err) != HFX_OK) {
            fail("upper limit", &err);
        }
        o->quantity = "mu_up_obs";
        o->value    = r.obs;
    }
}

static int cmp_double(const void * a, const void * b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted[0..n) with linear interpolation (Python's statistics.quantiles
 * "inclusive" method, which the suite's workers use). */
static double quantile(const double * sorted, int n, double q) {
    double pos = q * (n - 1);
    int    i   = (int) pos;
    return i + 1 < n ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

static json_t * num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t * timing_json(const double * samples, int n, const double * warm, int n_warm, int inner) {
    double * s = malloc((size_t) n * sizeof *s);
    memcpy(s, samples, (size_t) n * sizeof *s);
    qsort(s, (size_t) n, sizeof *s, cmp_double);
    json_t * t = json_object();
    json_object_set_new(t, "median_s", num(quantile(s, n, 0.5)));
    json_object_set_new(t, "q25_s", num(quantile(s, n, 0.25)));
    json_object_set_new(t, "q75_s", num(quantile(s, n, 0.75)));
    json_object_set_new(t, "min_s", num(s[0]));
    json_object_set_new(t, "max_s", num(s[n - 1]));
    json_object_set_new(t, "repeats", json_integer(n));
    json_object_set_new(t, "inner", json_integer(inner));
    json_object_set_new(t, "warmup", json_integer(n_warm));
    json_t * w = json_array(), * a = json_array();
    for (int i = 0; i < n_warm; ++i) {
        json_array_append_new(w, num(warm[i]));
    }
    for (int i = 0; i < n; ++i) {
        json_array_append_new(a, num(samples[i]));
    }
    json_object_set_new(t, "warmup_s", w);
    json_object_set_new(t, "samples_s", a);
    free(s);
    return t;
}

static int usage(void) {
    fprintf(stderr, "usage: hfx-timeit WS [-p PATCH]... --task build|nll|grad|nll-batch|fit|hypotest|upper-limit|toys "
                    "[--batch B] [--toys N] [--seed S] [--test-poi MU] [--no-poi] [--backend NAME] [--threads N] "
                    "[--explore default|thorough|none] [--optimizer auto|bfgs|lbfgs] [--warmup N] [--min-reps N] [--max-reps N] [--min-time S] "
                    "[--max-time S]\n       hfx-timeit --list-backends\n");
    return 2;
}

static bool known_task(const char * t) {
    static const char * tasks[] = {"build", "nll", "grad", "nll-batch", "fit", "hypotest", "upper-limit", "toys"};
    for (size_t i = 0; i < sizeof tasks / sizeof *tasks; ++i) {
        if (!strcmp(t, tasks[i])) {
            return true;
        }
    }
    return false;
}

static int parse_args(int argc, char ** argv, struct job * j) {
    for (int i = 1; i < argc; ++i) {
        const char * a = argv[i];
        const char * v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-poi")) {
            j->mo.no_poi = true;
            continue;
        }
        if (a[0] != '-') {
            if (j->ws_path) {
                return usage();
            }
            j->ws_path = a;
            continue;
        }
        if (!v) {
            return usage();
        }
        ++i;
        if ((!strcmp(a, "-p") || !strcmp(a, "--patch")) && j->n_patches < 64) {
            j->patches[j->n_patches++] = v;
        } else if (!strcmp(a, "--task")) {
            j->task = v;
        } else if (!strcmp(a, "--batch")) {
            j->batch = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--toys")) {
            j->toys = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--seed")) {
            j->seed = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--test-poi")) {
            j->mu = atof(v);
        } else if (!strcmp(a, "--backend")) {
            j->eo.backend = v;
        } else if (!strcmp(a, "--threads")) {
            j->eo.n_threads = atoi(v);
        } else if (!strcmp(a, "--explore")) {
            j->eo.explore = !strcmp(v, "thorough") ? HFX_EXPLORE_THOROUGH
                            : !strcmp(v, "none")   ? HFX_EXPLORE_NONE
                                                   : HFX_EXPLORE_DEFAULT;
        } else if (!strcmp(a, "--optimizer")) {
            j->eo.optimizer = !strcmp(v, "bfgs")    ? HFX_OPTIMIZER_BFGS
                              : !strcmp(v, "lbfgs") ? HFX_OPTIMIZER_LBFGS
                                                    : HFX_OPTIMIZER_AUTO;
        } else if (!strcmp(a, "--warmup")) {
            j->protocol.warmup = atoi(v);
        } else if (!strcmp(a, "--min-reps")) {
            j->protocol.min_reps = atoi(v);
        } else if (!strcmp(a, "--max-reps")) {
            j->protocol.max_reps = atoi(v);
        } else if (!strcmp(a, "--min-time")) {
            j->protocol.min_time = atof(v);
        } else if (!strcmp(a, "--max-time")) {
            j->protocol.max_time = atof(v);
        } else {
            return usage();
        }
    }
    if (!j->ws_path || !known_task(j->task) || j->protocol.min_reps < 1 || j->protocol.max_reps < 1 ||
        (!strcmp(j->task, "nll-batch") && j->batch < 1) || (!strcmp(j->task, "toys") && j->toys < 1)) {
        return usage();
    }
    return 0;
}

int main(int argc, char ** argv) {
    if (argc == 2 && !strcmp(argv[1], "--list-backends")) {
        for (size_t i = 0; i < hfx_backend_count(); ++i) {
            printf("%s\n", hfx_backend_name(i));
        }
        return 0;
    }
    struct job j = {.task = "", .mu = 1.0, .batch = 0, .protocol = {1, 5, 50, 0.5, 30.0}};
    int        rc = parse_args(argc, argv, &j);
    if (rc) {
        return rc;
    }
    struct hfx_error err;
    double           t0 = now();
    hfx_workspace_t  ws = load(&j);
    double           t1 = now();
    hfx_model_t      m  = NULL;
    hfx_engine_t     e  = NULL;
    if (hfx_model_create(ws, &j.mo, &m, &err) != HFX_OK) {
        fail("model", &err);
    }
    double t2 = now();
    if (hfx_engine_create(m, &j.eo, &e, &err) != HFX_OK) {
        fail("engine", &err);
    }
    double            t3 = now();
    size_t            np = hfx_model_n_pars(m);
    struct task_state ts = {0};
    size_t            nb = j.batch ? j.batch : 1;
    ts.pars              = malloc(nb * np * sizeof(double));
    ts.out               = malloc(nb * sizeof(double));
    ts.grad              = malloc(nb * np * sizeof(double));
    batch_points(m, nb, ts.pars);

    struct outcome    o = {0};
    const struct protocol * p = &j.protocol;
    int               n_warm = p->warmup > 0 ? p->warmup : 1;
    double *          warm   = malloc((size_t) n_warm * sizeof *warm);
    for (int i = 0; i < n_warm; ++i) {
        double a = now();
        run_once(&j, ws, e, &ts, &o);
        warm[i] = now() - a;
    }
    /* calls under 1 ms: double the calls per sample until a sample takes 1 ms (untimed) */
    int inner = 1;
    while (warm[n_warm - 1] < 1e-3) {
        double a = now();
        for (int k = 0; k < inner; ++k) {
            run_once(&j, ws, e, &ts, &o);
        }
        if (now() - a >= 1e-3 || inner >= (1 << 20)) {
            break;
        }
        inner *= 2;
    }
    hfx_engine_stats_reset(e);
    double * samples = malloc((size_t) p->max_reps * sizeof *samples);
    int      n       = 0;
    double   start   = now();
    for (;;) {
        double a = now();
        for (int k = 0; k < inner; ++k) {
            run_once(&j, ws, e, &ts, &o);
        }
        samples[n++] = (now() - a) / inner;
        double spent = now() - start;
        if (n >= p->max_reps || spent >= p->max_time || (n >= p->min_reps && spent >= p->min_time)) {
            break;
        }
    }
    struct hfx_engine_stats st;
    hfx_engine_stats(e, &st);
    double calls = (double) n * inner;

    json_t * out = json_object();
    json_object_set_new(out, "status", json_string("ok"));
    json_object_set_new(out, "device", json_string("cpu"));
    json_object_set_new(out, "backend", json_string(hfx_engine_backend_name(e)));
    json_object_set_new(out, "timing", timing_json(samples, n, warm, n_warm, inner));
    json_t * r = json_object();
    json_object_set_new(r, "quantity", json_string(o.quantity));
    json_object_set_new(r, "value", num(o.value));
    if (o.has_exp) {
        json_t * x = json_object(), * a = json_array();
        for (int i = 0; i < 5; ++i) {
            json_array_append_new(a, num(o.cls_exp[i]));
        }
        json_object_set_new(x, "CLs_exp", a);
        json_object_set_new(r, "extra", x);
    }
    json_object_set_new(out, "result", r);
    json_t * w = json_object();
    json_object_set_new(w, "fits_per_call", num((double) st.n_fits / calls));
    json_object_set_new(w, "backend_calls_per_call", num((double) st.n_eval_calls / calls));
    json_object_set_new(w, "points_per_call", num((double) st.n_points / calls));
    json_object_set_new(out, "work", w);
    json_t * ph = json_object();
    json_object_set_new(ph, "parse_s", num(t1 - t0));
    json_object_set_new(ph, "compile_s", num(t2 - t1));
    json_object_set_new(ph, "engine_s", num(t3 - t2));
    json_object_set_new(out, "phases", ph);
    json_t * model = json_object();
    json_object_set_new(model, "n_pars", json_integer((json_int_t) np));
    json_object_set_new(model, "n_bins", json_integer((json_int_t) hfx_model_n_bins(m)));
    json_object_set_new(model, "n_aux", json_integer((json_int_t) hfx_model_n_aux(m)));
    json_object_set_new(out, "model", model);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    json_t * mem = json_object();
    json_object_set_new(mem, "peak_host_bytes", json_integer((json_int_t) ru.ru_maxrss * 1024));
    json_object_set_new(mem, "peak_device_bytes", json_null());
    json_object_set_new(out, "memory", mem);
    json_dumpf(out, stdout, JSON_COMPACT);
    printf("\n");
    json_decref(out);
    free(samples);
    free(warm);
    free(ts.pars);
    free(ts.out);
    free(ts.grad);
    hfx_engine_free(e);
    hfx_model_free(m);
    hfx_workspace_free(ws);
    return 0;
}
