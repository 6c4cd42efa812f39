/*
 * gen-rng-golden.c -- writes tests/data/rng_golden.txt, the golden draws of the toy generator that
 * tests/c/test-toys-draw.c checks every later implementation against bit for bit.
 *
 * Not built or run by CI. It was compiled against the library of main at 6d98a6f, before the
 * generator moved into the HFX_HD header src/model/sample-kernel.h (in src/kernel/ now), and run once:
 *
 *     cc -std=c11 -D_DEFAULT_SOURCE -Isrc -Iinclude tests/tools/gen-rng-golden.c build/libhfx.a \
 *        -ljansson -lxml2 -llz4 -lzstd -ldeflate -lz -lsimdjson -lm -o /tmp/gen-rng-golden
 *     /tmp/gen-rng-golden tests/data > tests/data/rng_golden.txt
 *
 * It uses only names that both the old and the new code define (hfx__rng_*, in infer/stats.h then,
 * in kernel/rng-kernel.h now; the model's tables), so it builds against either and the two outputs
 * can be compared with diff.
 * Every double is printed with %a (exact). Lines:
 *   u32 SEED STREAM v0 .. v7            the first 8 words of a stream
 *   uni SEED STREAM x0 .. x3            4 uniforms
 *   nrm SEED STREAM x0 .. x3            4 normals
 *   poi SEED STREAM MEAN x0 x1 x2       3 Poisson draws at MEAN
 *   toy FILE H I x0 .. x(n_data-1)      toy I of hypothesis H (stream (H << 40) + I, seed 11) of the
 *                                       model of tests/data/FILE, drawn at the parameters the model's
 *                                       init moved by (0.1 (k % 3) - 0.1) in parameter k for H = 1,
 *                                       the init for H = 0, as the toys of src/infer/toys.c were drawn
 *                                       on main (sample_toy, copied below: the old implementation).
 */
#include "hfx/hfx.h"
#include "infer/stats.h"
#include "model/model.h"
#if __has_include("kernel/rng-kernel.h")
#include "kernel/rng-kernel.h"
#endif

#include <stdio.h>
#include <stdlib.h>

/* src/infer/toys.c: sample_toy on main at 6d98a6f. */
static void old_sample_toy(const struct hfx_model * m, const double * expected, const double * pars, uint64_t seed,
                           uint64_t stream, double * toy) {
    struct hfx_rng rng;
    hfx__rng_init(&rng, seed, stream);
    for (size_t b = 0; b < m->n_bins; ++b) {
        double lam = expected[b];
        toy[b]     = lam > 0 ? hfx__rng_poisson(&rng, lam) : 0.0;
    }
    double * aux = toy + m->n_bins;
    for (size_t k = 0; k < m->n_gauss; ++k) {
        aux[m->gauss[k].aux] = pars[m->gauss[k].par] + m->gauss[k].sigma * hfx__rng_normal(&rng);
    }
    for (size_t k = 0; k < m->n_pois; ++k) {
        aux[m->pois[k].aux] = hfx__rng_poisson(&rng, pars[m->pois[k].par] * m->pois[k].tau);
    }
}

static void toys(const char * dir, const char * file) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    hfx_workspace_t  ws;
    hfx_model_t      model;
    struct hfx_error err;
    if (hfx_workspace_load(path, &ws, &err) != HFX_OK || hfx_model_create(ws, NULL, &model, &err) != HFX_OK) {
        fprintf(stderr, "%s: cannot load\n", path);
        exit(1);
    }
    const struct hfx_model * m  = model;
    size_t                   np = m->n_pars, nd = m->n_bins + m->n_aux;
    double * pars = malloc(np * sizeof *pars), * expected = malloc(nd * sizeof *expected);
    double * scratch = malloc(hfx__eval_scratch_size(m) * sizeof *scratch), * toy = malloc(nd * sizeof *toy);
    for (uint64_t h = 0; h < 2; ++h) {
        for (size_t k = 0; k < np; ++k) {
            double v = m->init[k] + (h ? 0.1 * (double) (k % 3) - 0.1 : 0.0);
            pars[k]  = v < m->lower[k] ? m->lower[k] : v > m->upper[k] ? m->upper[k] : v;
        }
        hfx__expected_data(m, pars, expected, scratch);
        for (uint64_t i = 0; i < 6; ++i) {
            old_sample_toy(m, expected, pars, 11, (h << 40) + i, toy);
            printf("toy %s %d %d", file, (int) h, (int) i);
            for (size_t b = 0; b < nd; ++b) {
                printf(" %a", toy[b]);
            }
            printf("\n");
        }
    }
    free(pars), free(expected), free(scratch), free(toy);
    hfx_model_free(model);
    hfx_workspace_free(ws);
}

int main(int argc, char ** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen-rng-golden TESTS_DATA_DIR\n");
        return 2;
    }
    static const uint64_t streams[][2] = {
        {0, 0}, {11, 0}, {11, 1}, {11, ((uint64_t) 1 << 40) + 3}, {0x299f31d0a4093822ull, 0x0370734413198a2eull},
    };
    static const double means[] = {0.0,  1e-300, 1e-3, 0.5,   1.0, 3.7,  9.99, 9.999999999999998,
                                   10.0, 12.5,   57.3, 999.5, 1e6, 1e12, -1.0};
    for (size_t s = 0; s < sizeof streams / sizeof streams[0]; ++s) {
        uint64_t       seed = streams[s][0], stream = streams[s][1];
        struct hfx_rng r;
        hfx__rng_init(&r, seed, stream);
        printf("u32 %llu %llu", (unsigned long long) seed, (unsigned long long) stream);
        for (int i = 0; i < 8; ++i) {
            printf(" %u", (unsigned) hfx__rng_u32(&r));
        }
        printf("\nuni %llu %llu", (unsigned long long) seed, (unsigned long long) stream);
        for (int i = 0; i < 4; ++i) {
            printf(" %a", hfx__rng_uniform(&r));
        }
        printf("\nnrm %llu %llu", (unsigned long long) seed, (unsigned long long) stream);
        for (int i = 0; i < 4; ++i) {
            printf(" %a", hfx__rng_normal(&r));
        }
        printf("\n");
        for (size_t k = 0; k < sizeof means / sizeof means[0]; ++k) {
            hfx__rng_init(&r, seed, stream + k);
            printf("poi %llu %llu %a", (unsigned long long) seed, (unsigned long long) (stream + k), means[k]);
            for (int i = 0; i < 3; ++i) {
                printf(" %a", hfx__rng_poisson(&r, means[k]));
            }
            printf("\n");
        }
    }
    toys(argv[1], "infer_simple.json");
    toys(argv[1], "infer_mixed.json");
    return 0;
}
