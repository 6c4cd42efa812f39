/*
 * hfx-hd.h -- HFX_HD marks functions that host and device code both compile: `__host__ __device__`
 * under nvcc, nothing in C. The likelihood, the optimizer and the fit state machine carry it, so
 * the CUDA backend runs the very code that the CPU tests exercise.
 */
#ifndef HFX_HD_H
#define HFX_HD_H

#if defined(__CUDACC__)
#define HFX_HD __host__ __device__
#else
#define HFX_HD
#endif

#endif /* HFX_HD_H */
