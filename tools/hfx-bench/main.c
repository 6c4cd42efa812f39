/*
 * hfx-bench -- times hfx's tasks in-process, so that the numbers are the work itself rather than
 * process start-up and file parsing (which `hfx cls` also pays). One workspace (plus JSON Patches),
 * one task, R timed repetitions after one untimed warm-up, and one JSON object on stdout with the
 * median, quartiles, every sample, and the task's result (so that a speed figure always comes with the
 * number it computed).
 *
 *   hfx-bench WS [-p PATCH]... [--task nll|grad|fit|hypotest|upper-limit|build] [-r REPS]
 *             [--backend NAME] [--threads N] [--test-poi MU]
 */
#include "hfx/hfx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

static int cmp_double(const void * a, const void * b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double quantile(const double * sorted, int n, double q) {
    double pos = q * (n - 1);
    int    i   = (int) pos;
    return i + 1 < n ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

static void die(const char * what, const struct hfx_error * err) {
    char buf[2048];
    fprintf(stderr, "hfx-bench: %s: %s\n", what, err ? hfx_error_format(err, buf, sizeof buf) : "");
    exit(1);
}

struct job {
    const char *               ws_path;
    const char *               patches[64];
    int                        n_patches;
    const char *               task;
    struct hfx_engine_options  eo;
    double                     mu;
};

static hfx_workspace_t load(const struct job * j) {
    struct hfx_error err;
    hfx_workspace_t  ws;
    if (hfx_workspace_load(j->ws_path, &ws, &err) != HFX_OK) {
        die("load", &err);
    }
    for (int i = 0; i < j->n_patches; ++i) {
        if (hfx_workspace_apply_patch_file(ws, j->patches[i], &err) != HFX_OK) {
            die("patch", &err);
        }
    }
    return ws;
}

/* One repetition of the task; writes its result (CLs, twice_nll, ...) to *result. */
static void run_once(const struct job * j, hfx_workspace_t ws, hfx_engine_t e, double * result) {
    struct hfx_error err;
    hfx_model_t      m = e ? hfx_engine_model(e) : NULL;
    if (!strcmp(j->task, "build")) {
        hfx_model_t mm;
        if (hfx_model_create(ws, NULL, &mm, &err) != HFX_OK) {
            die("model", &err);
        }
        *result = (double) hfx_model_n_pars(mm);
        hfx_model_free(mm);
    } else if (!strcmp(j->task, "nll") || !strcmp(j->task, "grad")) {
        static double grad[100000];
        if (hfx_twice_nll(e, hfx_model_init(m), NULL, result, strcmp(j->task, "grad") ? NULL : grad, &err) != HFX_OK) {
            die("twice_nll", &err);
        }
    } else if (!strcmp(j->task, "fit")) {
        struct hfx_fit_result r;
        if (hfx_fit(e, NULL, &r, &err) != HFX_OK) {
            die("fit", &err);
        }
        *result = r.twice_nll;
    } else if (!strcmp(j->task, "hypotest")) {
        struct hfx_hypotest_options o = {.poi_test = j->mu};
        struct hfx_hypotest_result  h;
        if (hfx_hypotest(e, &o, &h, &err) != HFX_OK) {
            die("hypotest", &err);
        }
        *result = h.cls_obs;
    } else if (!strcmp(j->task, "upper-limit")) {
        struct hfx_upper_limit_options o = {.level = 0.05};
        struct hfx_upper_limit_result  r;
        if (hfx_upper_limit(e, &o, &r, &err) != HFX_OK) {
            die("upper limit", &err);
        }
        *result = r.obs;
    } else {
        fprintf(stderr, "hfx-bench: unknown task '%s'\n", j->task);
        exit(2);
    }
}

int main(int argc, char ** argv) {
    struct job j = {.task = "hypotest", .mu = 1.0};
    int        reps = 20;
    for (int i = 1; i < argc; ++i) {
        const char * a = argv[i];
        const char * v = i + 1 < argc ? argv[i + 1] : NULL;
        if ((!strcmp(a, "-p") || !strcmp(a, "--patch")) && v && j.n_patches < 64) {
            j.patches[j.n_patches++] = v;
            ++i;
        } else if (!strcmp(a, "--task") && v) {
            j.task = v;
            ++i;
        } else if (!strcmp(a, "-r") && v) {
            reps = atoi(v);
            ++i;
        } else if (!strcmp(a, "--backend") && v) {
            j.eo.backend = v;
            ++i;
        } else if (!strcmp(a, "--threads") && v) {
            j.eo.n_threads = atoi(v);
            ++i;
        } else if (!strcmp(a, "--test-poi") && v) {
            j.mu = atof(v);
            ++i;
        } else if (a[0] != '-' && !j.ws_path) {
            j.ws_path = a;
        } else {
            fprintf(stderr, "usage: hfx-bench WS [-p PATCH]... [--task nll|grad|fit|hypotest|upper-limit|build] "
                            "[-r REPS] [--backend NAME] [--threads N] [--test-poi MU]\n");
            return 2;
        }
    }
    if (!j.ws_path || reps < 1) {
        fprintf(stderr, "hfx-bench: a workspace and REPS >= 1 are required\n");
        return 2;
    }
    struct hfx_error err;
    hfx_workspace_t  ws = load(&j);
    hfx_model_t      m  = NULL;
    hfx_engine_t     e  = NULL;
    if (strcmp(j.task, "build") != 0) {
        if (hfx_model_create(ws, NULL, &m, &err) != HFX_OK) {
            die("model", &err);
        }
        if (hfx_engine_create(m, &j.eo, &e, &err) != HFX_OK) {
            die("engine", &err);
        }
    }
    double   result = NAN;
    double * t      = malloc((size_t) reps * sizeof *t);
    run_once(&j, ws, e, &result); /* warm-up, untimed */
    /* nll/grad are microseconds: time batches of calls so the clock's resolution does not matter */
    int inner = (!strcmp(j.task, "nll") || !strcmp(j.task, "grad")) ? 1000 : 1;
    for (int r = 0; r < reps; ++r) {
        double a = now();
        for (int k = 0; k < inner; ++k) {
            run_once(&j, ws, e, &result);
        }
        t[r] = (now() - a) / inner;
    }
    double * s = malloc((size_t) reps * sizeof *s);
    memcpy(s, t, (size_t) reps * sizeof *s);
    qsort(s, (size_t) reps, sizeof *s, cmp_double);
    printf("{\"task\": \"%s\", \"backend\": \"%s\", \"reps\": %d, \"median_s\": %.9g, \"q25_s\": %.9g, "
           "\"q75_s\": %.9g, \"min_s\": %.9g, \"result\": %.17g, \"n_pars\": %zu, \"samples_s\": [",
           j.task, e ? hfx_engine_backend_name(e) : "none", reps, quantile(s, reps, 0.5), quantile(s, reps, 0.25),
           quantile(s, reps, 0.75), s[0], result, m ? hfx_model_n_pars(m) : (size_t) result);
    for (int r = 0; r < reps; ++r) {
        printf("%s%.9g", r ? ", " : "", t[r]);
    }
    printf("]}\n");
    free(s);
    free(t);
    hfx_engine_free(e);
    hfx_model_free(m);
    hfx_workspace_free(ws);
    return 0;
}
