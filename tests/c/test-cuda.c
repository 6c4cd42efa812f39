/*
 * test-cuda.c -- the cuda backend against cpu-ref, point by point: twice_nll and its gradient on the
 * workspaces of tests/data (every interpolation code) and of ../shared/reference/random_public.jsonl
 * (every modifier type) where present, and on a synthetic model of 20000 bins (one channel: a signal
 * with a normfactor, a background with a staterror and a histosys), for batches of 1, 3 and 1000
 * points (1, 3 and 64 for the large model), one shared data vector (data_stride 0) or one per point
 * (data_stride n_data), with and without the gradient, through both kernels (HFX_CUDA_KERNEL=point,
 * block) and the automatic choice.
 *
 * Tolerances: twice_nll within 1e-12 relative; each gradient entry within 1e-10 relative or absolute.
 * The device runs the host's code (eval-kernel.h) without contracted multiply-adds, so the remaining
 * differences are CUDA's pow/log/log1p (within an ulp or two of glibc's) and, in the block kernel,
 * the order of sums over bins: rounding at 1e-16 relative per term, summed over at most ~1e5 terms.
 * A gradient entry near 0 is a difference of large terms, hence the absolute part.
 *
 * Exits 77 (skipped) when the build has no cuda backend or it cannot run here (no GPU).
 */
#include "hfx-test.h"

#include "backend/backend.h"
#include "hfx/hfx.h"
#include "hfx-test-ref.h"

#include <dirent.h>
#include <jansson.h>

static const struct hfx_backend_i * cuda_be, * ref_be;
static long                         n_compared, n_models;

/* Point k: init for k = 0, else init moved by up to 0.6 in every free parameter (deterministic),
 * clipped to the bounds; every fifth point has the POI at 0 (exercises a zero normfactor). */
static void make_point(const struct hfx_model * m, size_t k, double * x) {
    for (size_t i = 0; i < m->n_pars; ++i) {
        double v = m->init[i];
        if (k > 0 && !m->fixed[i]) {
            v += 0.6 * sin(1.3 * (double) k + 0.7 * (double) i);
        }
        if (k % 5 == 4 && (long) i == m->poi) {
            v = 0.0;
        }
        v    = v < m->lower[i] ? m->lower[i] : v;
        x[i] = v > m->upper[i] ? m->upper[i] : v;
    }
}

/* Data vector k: the observed one with k % 3 events added to every main bin. */
static void make_data(const struct hfx_model * m, size_t k, double * d) {
    size_t nd = m->n_bins + m->n_aux;
    for (size_t b = 0; b < nd; ++b) {
        d[b] = m->observed[b] + (b < m->n_bins ? (double) (k % 3) : 0.0);
    }
}

static void compare(const char * what, const struct hfx_model * m, size_t n, const double * f_ref, const double * g_ref,
                    const double * f, const double * g) {
    size_t np = m->n_pars;
    for (size_t k = 0; k < n; ++k) {
        if (!(f[k] == f_ref[k] || hfx_test_near_rel(f[k], f_ref[k], 1e-12, 0.0))) {
            fprintf(stderr, "%s: point %zu: twice_nll %.17g, cpu-ref %.17g\n", what, k, f[k], f_ref[k]);
            abort();
        }
        for (size_t i = 0; g && i < np; ++i) {
            double a = g[k * np + i], b = g_ref[k * np + i];
            if (!hfx_test_near_rel(a, b, 1e-10, 1e-10)) {
                fprintf(stderr, "%s: point %zu: d/d %s: %.17g, cpu-ref %.17g\n", what, k, m->par_names[i], a, b);
                abort();
            }
        }
        ++n_compared;
    }
}

/* One kernel mode on model m: every batch size, both data layouts, with and without the gradient. */
static void check_mode(const char * name, const struct hfx_model * m, const char * mode, const size_t * sizes,
                       size_t n_sizes) {
    struct hfx_error err;
    void *           plan_ref = NULL, * plan = NULL;
    ASSERT(setenv("HFX_CUDA_KERNEL", mode, 1) == 0);
    ASSERT_EQ(ref_be->plan_create(m, NULL, &plan_ref, &err), HFX_OK);
    if (cuda_be->plan_create(m, NULL, &plan, &err) != HFX_OK) {
        char buf[1024];
        fprintf(stderr, "%s: cuda plan: %s\n", name, hfx_error_format(&err, buf, sizeof buf));
        abort();
    }
    size_t   np = m->n_pars, nd = m->n_bins + m->n_aux, n_max = 0;
    for (size_t s = 0; s < n_sizes; ++s) {
        n_max = sizes[s] > n_max ? sizes[s] : n_max;
    }
    double * x     = malloc(n_max * np * sizeof *x);
    double * data  = malloc(n_max * nd * sizeof *data);
    double * dc    = malloc(n_max * sizeof *dc);
    double * f_ref = malloc(n_max * sizeof *f_ref);
    double * f     = malloc(n_max * sizeof *f);
    double * g_ref = malloc(n_max * np * sizeof *g_ref);
    double * g     = malloc(n_max * np * sizeof *g);
    ASSERT(x && data && dc && f_ref && f && g_ref && g);
    for (size_t k = 0; k < n_max; ++k) {
        make_point(m, k, x + k * np);
        make_data(m, k, data + k * nd);
        dc[k] = hfx__data_constant(m, data + k * nd);
    }
    for (size_t s = 0; s < n_sizes; ++s) {
        size_t n = sizes[s];
        for (int stride = 0; stride < 2; ++stride) {
            size_t ds = stride ? nd : 0;
            char   what[512];
            hfx__format(what, sizeof what, "%s [kernel %s, %zu points, data_stride %zu]", name, mode, n, ds);
            ASSERT_EQ(ref_be->eval(plan_ref, n, x, data, ds, dc, f_ref, g_ref, &err), HFX_OK);
            ASSERT_EQ(cuda_be->eval(plan, n, x, data, ds, dc, f, g, &err), HFX_OK);
            compare(what, m, n, f_ref, g_ref, f, g);
            ASSERT_EQ(cuda_be->eval(plan, n, x, data, ds, dc, f, NULL, &err), HFX_OK);
            compare(what, m, n, f_ref, NULL, f, NULL);
        }
    }
    free(x);
    free(data);
    free(dc);
    free(f_ref);
    free(f);
    free(g_ref);
    free(g);
    cuda_be->plan_free(plan);
    ref_be->plan_free(plan_ref);
}

static void check_model(const char * name, const struct hfx_model * m, const size_t * sizes, size_t n_sizes) {
    static const char * modes[] = {"point", "block", "auto"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; ++i) {
        check_mode(name, m, modes[i], sizes, n_sizes);
    }
    ++n_models;
}

static const size_t SIZES[] = {1, 3, 1000};

/* Every workspace in tests/data (files that are not workspaces are passed over), under every
 * combination of interpolation codes. */
static void check_data_dir(void) {
    static const enum hfx_interp_code ns[] = {HFX_INTERP_CODE1, HFX_INTERP_CODE4};
    static const enum hfx_interp_code hs[] = {HFX_INTERP_CODE0, HFX_INTERP_CODE2, HFX_INTERP_CODE4P};
    DIR *                             dir  = opendir(HFX_TEST_DATA);
    ASSERT(dir != NULL);
    struct dirent * de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char path[1024];
        hfx__format(path, sizeof path, "%s/%s", HFX_TEST_DATA, de->d_name);
        hfx_workspace_t  ws;
        struct hfx_error err;
        if (hfx_workspace_load(path, &ws, &err) != HFX_OK) {
            continue;
        }
        for (size_t a = 0; a < 2; ++a) {
            for (size_t b = 0; b < 3; ++b) {
                struct hfx_model_options o = {0};
                o.normsys_interp           = ns[a];
                o.histosys_interp          = hs[b];
                hfx_model_t m;
                if (hfx_model_create(ws, &o, &m, &err) != HFX_OK) {
                    continue; /* not a workspace (a patchset, a reference file) */
                }
                char name[1200];
                hfx__format(name, sizeof name, "%s (interp %zu%zu)", de->d_name, a, b);
                check_model(name, m, SIZES, sizeof SIZES / sizeof SIZES[0]);
                hfx_model_free(m);
            }
        }
        hfx_workspace_free(ws);
    }
    closedir(dir);
}

/* The random workspaces of the pyhf reference, where ../shared is present. */
static void check_random(void) {
    FILE * f = fopen(HFX_SHARED_DIR "/reference/random_public.jsonl", "r");
    if (!f) {
        printf("../shared/reference/random_public.jsonl not found: random workspaces not checked\n");
        return;
    }
    char * line = NULL;
    size_t cap  = 0;
    int    k    = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t * j = hfx_test_parse_line(line);
        ASSERT(j != NULL);
        hfx_workspace_t ws;
        hfx_model_t     m;
        hfx_test_random_model(j, &ws, &m);
        char   name[64];
        size_t sizes[] = {1, 3, 100};
        hfx__format(name, sizeof name, "random workspace %d", k++);
        check_model(name, m, sizes, sizeof sizes / sizeof sizes[0]);
        hfx_model_free(m);
        hfx_workspace_free(ws);
        json_decref(j);
    }
    free(line);
    fclose(f);
}

/* A workspace of n_bins bins in one channel, as JSON: signal (normfactor mu) on a smooth background
 * with a staterror and a histosys. */
static char * large_workspace(size_t n_bins) {
    json_t * sig = json_array(), * bkg = json_array(), * err = json_array(), * hi = json_array(),
           * lo = json_array(), * obs = json_array();
    for (size_t i = 0; i < n_bins; ++i) {
        double x = (double) i / (double) n_bins;
        double b = 40.0 + 30.0 * sin(6.0 * x) + 5.0 * (double) (i % 7);
        double s = 8.0 * exp(-((x - 0.5) * (x - 0.5)) / 0.01);
        json_array_append_new(sig, json_real(s));
        json_array_append_new(bkg, json_real(b));
        json_array_append_new(err, json_real(0.05 * sqrt(b) + 0.01 * b));
        json_array_append_new(hi, json_real(b * (1.03 + 0.01 * sin(17.0 * x))));
        json_array_append_new(lo, json_real(b * (0.98 - 0.005 * cos(11.0 * x))));
        json_array_append_new(obs, json_real(floor(b + 0.7 * s + 3.0 * sin(0.37 * (double) i)) + (i % 11 == 0 ? 0 : 1)));
    }
    json_t * ws = json_pack(
        "{s:[{s:s, s:[{s:s, s:o, s:[{s:s, s:s, s:n}]}, {s:s, s:o, s:[{s:s, s:s, s:o}, {s:s, s:s, s:{s:o, s:o}}]}]}],"
        " s:[{s:s, s:o}], s:[{s:s, s:{s:s, s:[]}}], s:s}",
        "channels", "name", "SR", "samples", "name", "signal", "data", sig, "modifiers", "name", "mu", "type",
        "normfactor", "data", "name", "background", "data", bkg, "modifiers", "name", "stat_SR", "type", "staterror",
        "data", err, "name", "shape_bkg", "type", "histosys", "data", "hi_data", hi, "lo_data", lo, "observations",
        "name", "SR", "data", obs, "measurements", "name", "meas", "config", "poi", "mu", "parameters", "version",
        "1.0.0");
    ASSERT(ws != NULL);
    char * text = json_dumps(ws, JSON_COMPACT);
    json_decref(ws);
    return text;
}

static void check_large(void) {
    char *           text = large_workspace(20000);
    hfx_workspace_t  ws;
    hfx_model_t      m;
    struct hfx_error err;
    ASSERT(text != NULL);
    ASSERT_EQ(hfx_workspace_load_string(text, "large", &ws, &err), HFX_OK);
    free(text);
    if (hfx_model_create(ws, NULL, &m, &err) != HFX_OK) {
        char buf[1024];
        fprintf(stderr, "large model: %s\n", hfx_error_format(&err, buf, sizeof buf));
        abort();
    }
    ASSERT_EQ(hfx_model_n_bins(m), 20000);
    ASSERT_EQ(hfx_model_n_pars(m), 20002);
    static const size_t sizes[] = {1, 3, 64};
    check_model("synthetic 20000 bins", m, sizes, sizeof sizes / sizeof sizes[0]);
    hfx_model_free(m);
    hfx_workspace_free(ws);
}

int main(void) {
    cuda_be = hfx__backend_find("cuda");
    ref_be  = hfx__backend_find("cpu-ref");
    ASSERT(ref_be != NULL);
    if (!cuda_be) {
        SKIP("cuda backend not built");
    }
    size_t idx = 0;
    while (idx < hfx_backend_count() && strcmp(hfx_backend_name(idx), "cuda") != 0) {
        ++idx;
    }
    const char * why = NULL;
    if (!hfx_backend_usable(idx, &why)) {
        SKIP(why);
    }
    check_data_dir();
    check_random();
    check_large();
    unsetenv("HFX_CUDA_KERNEL");
    printf("cuda: %ld models, %ld points (each kernel, data layout, with and without gradient) as cpu-ref\n",
           n_models, n_compared);
    return 0;
}
