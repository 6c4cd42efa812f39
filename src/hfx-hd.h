/*
 * hfx-hd.h -- HFX_HD marks functions that host and device code both compile: `__host__ __device__`
 * under nvcc, nothing in C (and HFX_RESTRICT spells restrict for both). The likelihood, the optimizer and the fit state machine carry it, so
 * the CUDA backend runs the very code that the CPU tests exercise.
 */
#ifndef HFX_HD_H
#define HFX_HD_H

#if defined(__CUDACC__)
#define HFX_HD __host__ __device__
#else
#define HFX_HD
#endif

/* C's restrict, which C++ (nvcc) spells __restrict__: an output the compiler may assume aliases
 * nothing else, so that storing to it does not force every input to be read again. */
#if defined(__cplusplus)
#define HFX_RESTRICT __restrict__
#else
#define HFX_RESTRICT restrict
#endif

#endif /* HFX_HD_H */
