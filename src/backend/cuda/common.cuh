/*
 * common.cuh -- what every CUDA file of the backend shares: the C headers of the library under C
 * linkage, and error checks that turn a failed CUDA call into HFX_ERR_DEVICE with CUDA's own message
 * (a library never aborts on a device error: the caller may fall back to a CPU backend).
 */
#ifndef HFX_CUDA_COMMON_CUH
#define HFX_CUDA_COMMON_CUH

/* The C++ versions of the C system headers declare overloads and templates, which may not appear
 * inside extern "C": include them first, so that the library headers below find them included. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

extern "C" {
#include "backend/backend.h"
}

/* HFX_ERR_DEVICE with "cuda: WHAT: <CUDA's message> (<error name>)"; err may be NULL. */
static inline enum hfx_status hfx__cuda_error(struct hfx_error * err, cudaError_t e, const char * what) {
    return hfx__error(err, HFX_ERR_DEVICE, NULL, "cuda: %s: %s (%s)", what, cudaGetErrorString(e),
                      cudaGetErrorName(e));
}

/* Evaluates a CUDA runtime call; on failure returns HFX_ERR_DEVICE from the enclosing function. */
#define HFX_CUDA_TRY(err, what, call)                    \
    do {                                                 \
        cudaError_t e_ = (call);                         \
        if (e_ != cudaSuccess) {                         \
            return hfx__cuda_error((err), e_, (what));   \
        }                                                \
    } while (0)

#endif /* HFX_CUDA_COMMON_CUH */
