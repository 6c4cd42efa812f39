/*
 * test-toys-draw.c -- the toy generator is bit for bit what it was before it became HFX_HD code
 * (kernel/rng-kernel.h, kernel/sample-kernel.h) that the CUDA backend compiles too.
 *
 * - tests/data/rng_golden.txt, written on main at 6d98a6f by tests/tools/gen-rng-golden.c before the
 *   move: Philox words, uniforms, normals, Poisson draws at 15 means (0, denormal-small, both sides
 *   of the switch to PTRS at 10, 1e12, a negative mean) and whole toys of tests/data/infer_simple.json
 *   and infer_mixed.json (main bins, Gaussian and Poisson auxiliary data). Every value must come back
 *   with the same bits, drawn three ways: by the HFX_HD functions themselves, by
 *   hfx__kernel_sample_toy, and by the engine's sampling operation (hfx__engine_sample_toys) on
 *   every usable backend that draws on the host, in one call and split over several sets, whose
 *   data constants must be hfx__data_constant's. (A backend with a sampler of its own, cuda, is
 *   compared with cpu-ref by test-backends, case sample: its Gaussian draws go through the
 *   device's log and cos.)
 * - the old implementation (src/infer/stats.c at 6d98a6f, kept only here, below) against the new
 *   over 300,000 draws at means spread over (0, 1e4): the golden file's means are a sample, this is
 *   the rest of the range.
 * Tolerance: none. A toy drawn differently changes every toy-based CLs a user has published.
 */
#include "hfx-test.h"

#include "kernel/rng-kernel.h"
#include "fit/engine.h"
#include "kernel/sample-kernel.h"

static bool same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

//
// The old implementation: src/infer/stats.c at 6d98a6f, word for word but for the names
//

struct old_rng {
    uint64_t key, stream, counter;
    uint32_t buf[4];
    int      n_buf;
};

static void old_philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t) 0xD2511F53u * c0;
        uint64_t p1 = (uint64_t) 0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t) (p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t) p1;
        uint32_t n2 = (uint32_t) (p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t) p0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

static void old_init(struct old_rng * r, uint64_t seed, uint64_t stream) {
    memset(r, 0, sizeof *r);
    r->key    = seed;
    r->stream = stream;
}

static uint32_t old_u32(struct old_rng * r) {
    if (r->n_buf == 0) {
        uint32_t ctr[4] = {(uint32_t) r->counter, (uint32_t) (r->counter >> 32), (uint32_t) r->stream,
                           (uint32_t) (r->stream >> 32)};
        uint32_t key[2] = {(uint32_t) r->key, (uint32_t) (r->key >> 32)};
        old_philox(ctr, key, r->buf);
        r->counter++;
        r->n_buf = 4;
    }
    return r->buf[4 - r->n_buf--];
}

static double old_uniform(struct old_rng * r) {
    for (;;) {
        uint64_t hi = old_u32(r) >> 5;
        uint64_t lo = old_u32(r) >> 6;
        uint64_t k  = (hi << 26) | lo;
        if (k != 0) {
            return (double) k * 0x1.0p-53;
        }
    }
}

static double old_normal(struct old_rng * r) {
    double u1 = old_uniform(r);
    double u2 = old_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double old_log_factorial(double k) {
    if (k < 18) {
        double p = 1.0;
        for (double i = 2; i <= k; i++) {
            p *= i;
        }
        return log(p);
    }
    double n = k, n2 = 1.0 / (k * k);
    double series = (1.0 / 12 - n2 * (1.0 / 360 - n2 * (1.0 / 1260 - n2 * (1.0 / 1680 - n2 * (1.0 / 1188))))) / n;
    return n * log(n) - n + 0.5 * log(2.0 * M_PI * n) + series;
}

static double old_ptrs(struct old_rng * r, double mean) {
    double slam = sqrt(mean), loglam = log(mean), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        double u  = old_uniform(r) - 0.5;
        double v  = old_uniform(r);
        double us = 0.5 - fabs(u);
        double k  = floor((2.0 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr) {
            return k;
        }
        if (k < 0 || (us < 0.013 && v > us)) {
            continue;
        }
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <= -mean + k * loglam - old_log_factorial(k)) {
            return k;
        }
    }
}

static double old_poisson(struct old_rng * r, double mean) {
    if (!(mean >= 0) || isinf(mean)) {
        return NAN;
    }
    if (mean == 0) {
        return 0.0;
    }
    if (mean >= 10.0) {
        return old_ptrs(r, mean);
    }
    double u = old_uniform(r);
    double p = exp(-mean), cdf = p, k = 0;
    while (u > cdf) {
        k += 1;
        p *= mean / k;
        double next = cdf + p;
        if (next == cdf) {
            break;
        }
        cdf = next;
    }
    return k;
}

static void test_old_vs_new(void) {
    uint64_t state = 0x9e3779b97f4a7c15ull;
    long     n     = 0;
    for (int s = 0; s < 3000; ++s) {
        uint64_t       seed = (uint64_t) (hfx_test_rand(&state) * 0x1p63), stream = (uint64_t) s << 33;
        struct old_rng a;
        struct hfx_rng b;
        old_init(&a, seed, stream);
        hfx__rng_init(&b, seed, stream);
        for (int i = 0; i < 25; ++i) {
            /* means log-uniform over (1e-3, 1e4), a quarter of them below the PTRS switch */
            double mean = exp(log(1e-3) + hfx_test_rand(&state) * (log(1e4) - log(1e-3)));
            ASSERT(same_bits(old_poisson(&a, mean), hfx__rng_poisson(&b, mean)));
            ASSERT(same_bits(old_normal(&a), hfx__rng_normal(&b)));
            ASSERT(same_bits(old_uniform(&a), hfx__rng_uniform(&b)));
            ASSERT_EQ(old_u32(&a), hfx__rng_u32(&b));
            n += 4;
        }
    }
    printf("old vs new implementation: %ld draws, all identical\n", n);
}

//
// The golden file
//

static double parse_double(char ** p) {
    char * end;
    double v = strtod(*p, &end);
    ASSERT(end != *p);
    *p = end;
    return v;
}

static unsigned long long parse_u64(char ** p) {
    char *             end;
    unsigned long long v = strtoull(*p, &end, 10);
    ASSERT(end != *p);
    *p = end;
    return v;
}

/* The golden file's generating parameters of hypothesis h (see tests/tools/gen-rng-golden.c). */
static void golden_pars(const struct hfx_model * m, int h, double * pars) {
    for (size_t k = 0; k < m->n_pars; ++k) {
        double v = m->init[k] + (h ? 0.1 * (double) (k % 3) - 0.1 : 0.0);
        pars[k]  = v < m->lower[k] ? m->lower[k] : v > m->upper[k] ? m->upper[k] : v;
    }
}

struct golden_model {
    const char *    file;
    hfx_workspace_t ws;
    hfx_model_t     m;
    double *        rows;    /* [2][6][n_data] the golden toys */
    int             n_rows;
};

static struct golden_model models[2] = {{.file = "infer_simple.json"}, {.file = "infer_mixed.json"}};

static struct golden_model * golden_model(const char * file) {
    for (int i = 0; i < 2; ++i) {
        if (strcmp(models[i].file, file) == 0) {
            if (!models[i].m) {
                char             path[1024];
                struct hfx_error err;
                snprintf(path, sizeof path, "%s/%s", HFX_TEST_DATA, file);
                ASSERT_EQ(hfx_workspace_load(path, &models[i].ws, &err), HFX_OK);
                ASSERT_EQ(hfx_model_create(models[i].ws, NULL, &models[i].m, &err), HFX_OK);
                const struct hfx_model * m = models[i].m;
                models[i].rows             = calloc(12 * (m->n_bins + m->n_aux), sizeof(double));
                ASSERT(models[i].rows);
            }
            return &models[i];
        }
    }
    ASSERT(!"unknown model in the golden file");
    return NULL;
}

/* One toy line: hfx__kernel_sample_toy gives it bit for bit; it is kept for the engine's check. */
static void golden_toy(char * p) {
    char file[64];
    int  used = 0;
    ASSERT(sscanf(p, " %63s%n", file, &used) == 1);
    p += used;
    struct golden_model *    g  = golden_model(file);
    const struct hfx_model * m  = g->m;
    int                      h  = (int) parse_u64(&p), i = (int) parse_u64(&p);
    size_t                   nd = m->n_bins + m->n_aux;
    double * pars = malloc(m->n_pars * sizeof *pars), * expected = malloc(nd * sizeof *expected);
    double * scratch = malloc(hfx__eval_scratch_size(m) * sizeof *scratch), * toy = malloc(nd * sizeof *toy);
    ASSERT(pars && expected && scratch && toy && h >= 0 && h < 2 && i >= 0 && i < 6);
    golden_pars(m, h, pars);
    hfx__expected_data(m, pars, expected, scratch);
    hfx__kernel_sample_toy(m, expected, pars, 11, ((uint64_t) h << 40) + (uint64_t) i, toy);
    double * want = g->rows + (size_t) (h * 6 + i) * nd;
    for (size_t b = 0; b < nd; ++b) {
        want[b] = parse_double(&p);
        ASSERT(same_bits(toy[b], want[b]));
    }
    g->n_rows++;
    free(pars), free(expected), free(scratch), free(toy);
}

static void test_golden(void) {
    FILE * f = fopen(HFX_TEST_DATA "/rng_golden.txt", "r");
    ASSERT(f != NULL);
    char           line[8192];
    long           n_values = 0;
    struct hfx_rng r;
    hfx__rng_init(&r, 0, 0);
    while (fgets(line, sizeof line, f)) {
        char kind[4];
        ASSERT(sscanf(line, "%3s", kind) == 1);
        char * p = line + 3;
        if (strcmp(kind, "toy") == 0) {
            golden_toy(p);
            continue;
        }
        uint64_t seed = parse_u64(&p), stream = parse_u64(&p);
        if (strcmp(kind, "uni") != 0 && strcmp(kind, "nrm") != 0) {
            hfx__rng_init(&r, seed, stream); /* uni and nrm lines go on with the stream of their u32 line */
        }
        if (strcmp(kind, "u32") == 0) {
            for (int i = 0; i < 8; ++i, ++n_values) {
                ASSERT_EQ(hfx__rng_u32(&r), parse_u64(&p));
            }
        } else if (strcmp(kind, "uni") == 0 || strcmp(kind, "nrm") == 0) {
            bool uni = kind[0] == 'u';
            for (int i = 0; i < 4; ++i, ++n_values) {
                ASSERT(same_bits(uni ? hfx__rng_uniform(&r) : hfx__rng_normal(&r), parse_double(&p)));
            }
        } else {
            ASSERT(strcmp(kind, "poi") == 0);
            double mean = parse_double(&p);
            for (int i = 0; i < 3; ++i, ++n_values) {
                ASSERT(same_bits(hfx__rng_poisson(&r, mean), parse_double(&p)));
            }
        }
    }
    fclose(f);
    ASSERT_EQ(models[0].n_rows, 12);
    ASSERT_EQ(models[1].n_rows, 12);
    printf("golden draws: %ld values and 24 toys as main drew them\n", n_values);
}

/* The engine's sampling operation on every usable backend: the golden toys in one call of two
 * sets (both hypotheses), and again split into sets of 1, 2 and 3 toys (as chunks split them). */
static void test_engine(void) {
    for (int gi = 0; gi < 2; ++gi) {
        struct golden_model *    g  = &models[gi];
        const struct hfx_model * m  = g->m;
        size_t                   nd = m->n_bins + m->n_aux, np = m->n_pars;
        double * pars = malloc(2 * np * sizeof *pars), * data = malloc(12 * nd * sizeof *data);
        double * dc   = malloc(12 * sizeof *dc);
        ASSERT(pars && data && dc);
        golden_pars(m, 0, pars);
        golden_pars(m, 1, pars + np);
        for (size_t b = 0; b < hfx_backend_count(); ++b) {
            const char * why = NULL;
            if (!hfx_backend_usable(b, &why)) {
                printf("engine sampling on %s: SKIPPED: %s\n", hfx_backend_name(b), why);
                continue;
            }
            struct hfx_engine_options o = {.backend = hfx_backend_name(b), .n_threads = 2};
            hfx_engine_t              e;
            struct hfx_error          err;
            ASSERT_EQ(hfx_engine_create(g->m, &o, &e, &err), HFX_OK);
            if (e->be->sample_toys) {
                /* a device's log and cos are not glibc's to the last bit: its Gaussian draws are
                 * compared with cpu-ref's under a stated tolerance by test-backends (case sample) */
                printf("engine sampling on %s: its own sampler, compared by test-backends -o sample\n",
                       hfx_backend_name(b));
                hfx_engine_free(e);
                continue;
            }
            for (int split = 0; split < 2; ++split) {
                memset(data, 0xff, 12 * nd * sizeof *data);
                if (!split) {
                    struct hfx__toy_set sets[2] = {{.pars = pars, .stream0 = 0, .n = 6},
                                                   {.pars = pars + np, .stream0 = (uint64_t) 1 << 40, .n = 6}};
                    ASSERT_EQ(hfx__engine_sample_toys(e, sets, 2, 11, data, dc, &err), HFX_OK);
                } else {
                    static const size_t sizes[] = {1, 2, 3};
                    for (size_t r = 0, k = 0; r < 12; ++k) {
                        size_t h = r / 6, i = r % 6, c = sizes[k % 3] < 6 - i ? sizes[k % 3] : 6 - i;
                        struct hfx__toy_set s = {.pars = pars + h * np, .stream0 = ((uint64_t) h << 40) + i, .n = c};
                        ASSERT_EQ(hfx__engine_sample_toys(e, &s, 1, 11, data + r * nd, dc + r, &err), HFX_OK);
                        r += c;
                    }
                }
                for (size_t r = 0; r < 12; ++r) {
                    for (size_t j = 0; j < nd; ++j) {
                        ASSERT(same_bits(data[r * nd + j], g->rows[r * nd + j]));
                    }
                    ASSERT(same_bits(dc[r], hfx__data_constant(m, data + r * nd)));
                }
            }
            printf("engine sampling on %s, %s: the 12 golden toys, in one call and in sets of 1-3\n",
                   hfx_backend_name(b), g->file);
            hfx_engine_free(e);
        }
        free(pars), free(data), free(dc);
        hfx_model_free(g->m);
        hfx_workspace_free(g->ws);
        free(g->rows);
    }
}

int main(void) {
    test_old_vs_new();
    test_golden();
    test_engine();
    return 0;
}
