/*
 * rng-kernel.h -- the random numbers of toys: the Philox4x32-10 counter-based generator and the
 * uniform, normal and Poisson draws made from it, as HFX_HD static inline functions that the C
 * library and the CUDA backend both compile, so that a toy drawn on the device is drawn by the code
 * the CPU tests check (kernel/sample-kernel.h draws whole toys with it).
 *
 * Counter-based: a stream is (seed, stream id) and its draws are a pure function of the two and of
 * how many words were taken before, so toy i of seed s is the same on every backend, thread count
 * and batch split, and a device thread can draw its own toy with no shared state. Block j of stream
 * (seed, s) is philox4x32_10(ctr = {lo32(j), hi32(j), lo32(s), hi32(s)}, key = {lo32(seed),
 * hi32(seed)}); its four words are handed out in order by hfx__rng_u32.
 *
 * These draws must not change: tests/data/rng_golden.txt holds them as main drew them before this
 * code moved here (tests/c/test-toys-draw.c checks them bit for bit), and every toy-based result
 * depends on them. The operations and their order are those of that code; the compiler may not
 * contract them (C11 builds: -ffp-contract=off by the standard; nvcc: --fmad=false). On a device the
 * remaining difference is CUDA's log/exp/cos, within an ulp or two of glibc's: Poisson counts then
 * agree except where a uniform lands within that of a cut, normal draws to a few ulp.
 *
 * Device rules as kernel/eval-kernel.h: <math.h> only, no static tables, no globals.
 */
#ifndef HFX_RNG_KERNEL_H
#define HFX_RNG_KERNEL_H

#include "hfx-hd.h"

#include <math.h>
#include <stdint.h>

/* pi as the literal M_PI spells (device code cannot rely on M_PI from a host header). */
#define HFX__PI 3.14159265358979323846

/* A stream: the generator's whole state. */
struct hfx_rng {
    uint64_t key;
    uint64_t stream;
    uint64_t counter;
    uint32_t buf[4];
    int      n_buf;
};

/* The bare bijection, for known-answer tests (Random123 kat_vectors). Salmon et al. 2011, section
 * 4.2: an S-box of two 32x32->64 multiplies, a Weyl key schedule. */
HFX_HD static inline void hfx__philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t) 0xD2511F53u * c0;
        uint64_t p1 = (uint64_t) 0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t) (p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t) p1;
        uint32_t n2 = (uint32_t) (p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t) p0;
        c0          = n0;
        c1          = n1;
        c2          = n2;
        c3          = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

HFX_HD static inline void hfx__rng_init(struct hfx_rng * r, uint64_t seed, uint64_t stream) {
    r->key     = seed;
    r->stream  = stream;
    r->counter = 0;
    r->n_buf   = 0;
    for (int i = 0; i < 4; i++) {
        r->buf[i] = 0;
    }
}

HFX_HD static inline uint32_t hfx__rng_u32(struct hfx_rng * r) {
    if (r->n_buf == 0) {
        /* counter block = (draw block index, stream id), 64 bits each; key = seed */
        uint32_t ctr[4] = {(uint32_t) r->counter, (uint32_t) (r->counter >> 32), (uint32_t) r->stream,
                           (uint32_t) (r->stream >> 32)};
        uint32_t key[2] = {(uint32_t) r->key, (uint32_t) (r->key >> 32)};
        hfx__philox4x32_10(ctr, key, r->buf);
        r->counter++;
        r->n_buf = 4;
    }
    return r->buf[4 - r->n_buf--];
}

/* (0, 1): k / 2^53 with k a uniform 53-bit integer, exactly representable (two words); k = 0 is
 * drawn again (once in 2^53) so that log(u) is always finite. */
HFX_HD static inline double hfx__rng_uniform(struct hfx_rng * r) {
    for (;;) {
        uint64_t hi = hfx__rng_u32(r) >> 5; /* 27 bits */
        uint64_t lo = hfx__rng_u32(r) >> 6; /* 26 bits */
        uint64_t k  = (hi << 26) | lo;
        if (k != 0) {
            return (double) k * 0x1.0p-53;
        }
    }
}

/* Standard normal, Box-Muller (1958), cosine branch only: exact, branch-free and two uniforms per
 * draw, which keeps the stream layout independent of how many normals were drawn before. */
HFX_HD static inline double hfx__rng_normal(struct hfx_rng * r) {
    double u1 = hfx__rng_uniform(r);
    double u2 = hfx__rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * HFX__PI * u2);
}

/* log(k!) to ~1e-16 relative: exact product below 18 (18! < 2^53), Stirling's series above. Our own
 * because lgamma writes the global signgam (and is slow on a device). */
HFX_HD static inline double hfx__rng_log_factorial(double k) {
    if (k < 18) {
        double p = 1.0;
        for (double i = 2; i <= k; i++) {
            p *= i;
        }
        return log(p);
    }
    double n = k, n2 = 1.0 / (k * k);
    double series = (1.0 / 12 - n2 * (1.0 / 360 - n2 * (1.0 / 1260 - n2 * (1.0 / 1680 - n2 * (1.0 / 1188))))) / n;
    return n * log(n) - n + 0.5 * log(2.0 * HFX__PI * n) + series;
}

/* PTRS, Hoermann (1993) "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12, 39-45: transformed rejection with squeeze; exact for
 * mean >= 10. */
HFX_HD static inline double hfx__rng_poisson_ptrs(struct hfx_rng * r, double mean) {
    double slam     = sqrt(mean);
    double loglam   = log(mean);
    double b        = 0.931 + 2.53 * slam;
    double a        = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr       = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        double u  = hfx__rng_uniform(r) - 0.5;
        double v  = hfx__rng_uniform(r);
        double us = 0.5 - fabs(u);
        double k  = floor((2.0 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr) {
            return k;
        }
        if (k < 0 || (us < 0.013 && v > us)) {
            continue;
        }
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <= -mean + k * loglam - hfx__rng_log_factorial(k)) {
            return k;
        }
    }
}

/* An exact Poisson draw as a whole number: mean 0 -> 0 (no draw); inversion below 10 (one
 * uniform), PTRS rejection from 10 (two uniforms per try); NaN for mean < 0, NaN or inf (no draw). */
HFX_HD static inline double hfx__rng_poisson(struct hfx_rng * r, double mean) {
    if (!(mean >= 0) || isinf(mean)) {
        return NAN;
    }
    if (mean == 0) {
        return 0.0;
    }
    if (mean >= 10.0) {
        return hfx__rng_poisson_ptrs(r, mean);
    }
    /* Inversion by sequential search. The cumulative sum can stall a few ulp below a u within
     * rounding of 1; stop when the terms no longer change it. */
    double u = hfx__rng_uniform(r);
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

#endif /* HFX_RNG_KERNEL_H */
