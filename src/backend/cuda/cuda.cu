/*
 * cuda.cu -- the CUDA backend: device memory, uploads and kernel launches around the likelihood of
 * kernel/eval-kernel.h, the same HFX_HD functions the CPU backends run, so that the GPU computes what
 * the CPU tests check. Nothing here is likelihood math.
 *
 * A plan uploads every table of the model once and keeps a device copy of struct hfx_model whose
 * table pointers point to device memory. Device buffers (parameters, data, results, scratch) grow
 * with the batch and are kept, so a warm plan allocates nothing per call. Two kernels:
 * - point: one thread per point, each running hfx__kernel_twice_nll with its own scratch. For small
 *   models and large batches (toys, patches: the sbottom model has 6 bins and 64 parameters).
 * - block: one thread block per point, bins across threads, for models of thousands of bins or
 *   batches too small to fill the GPU. Rates and Poisson terms per bin, then a reduction of
 *   twice_nll; per-bin gradient entries are added by the thread of their bin, and the sums over a
 *   block's bins (scalar modifiers, histosys) are cut into chunks that warps reduce and one thread
 *   adds up in the host's order, so the gradient is the same every run (unless a per-bin parameter
 *   serves several bins, whose atomic adds then land in any order).
 * HFX_CUDA_KERNEL=point|block|auto (read at plan creation) overrides the choice, for tests and
 * benchmarks. Device code is compiled with --fmad=false (cmake/hfx-cuda.cmake): no multiply-add is
 * contracted into one rounding, so that the device rounds each operation as the host does; what
 * differences remain come from CUDA's math library (pow, log, log1p) and the order of sums over bins.
 *
 * Resident fits (fit_jobs): a third kernel runs one whole fit per thread with hfx__slot_run
 * (kernel/fit-slot.h), minimizer state in device memory, so toys, grid points and a hypotest's fits
 * make one launch per batch of jobs instead of one round trip per iteration. Model groups run the
 * same fits for the jobs of many models of one shape in one launch (hfx_cuda_group_fit_kernel).
 *
 * Toys (sample_toys): a fourth kernel draws each toy in a thread of its own with
 * hfx__kernel_sample_toy (kernel/sample-kernel.h), the host's code, into device memory that the plan
 * keeps; the host gets a copy (inference keeps the rows, and host-driven fits read them), and the
 * resident fits of those rows read them where they were drawn instead of uploading them again.
 *
 * Sections: device kernels, the availability probe, plans (upload, buffers), evaluation, resident
 * fits, model groups, toys.
 */
#include "common.cuh"

#include "kernel/fit-slot.h"
#include "kernel/eval-kernel.h"
#include "kernel/sample-kernel.h"

#include <pthread.h>

//
// Device kernels
//

enum {
    HFX_CUDA_POINT_THREADS = 128,   /* threads per block of the point kernel */
    HFX_CUDA_BLOCK_THREADS = 256,   /* threads per block (one point) of the block kernel */
    HFX_CUDA_CHUNK_BINS    = 1024,  /* bins per chunk of a gradient sum in the block kernel */
    HFX_CUDA_LARGE_BINS    = 4096,  /* models from this many bins use the block kernel */
    HFX_CUDA_FIT_THREADS   = 64,    /* threads (fits) per block of the fit kernel */
};

/* Device memory for the slots of resident fits (the dense BFGS matrix is n_pars^2 per fit): jobs
 * beyond it run in several launches. */
static const size_t HFX_CUDA_SLOT_BUDGET = (size_t) 8 << 30;

/* Device scratch is capped (the sum over concurrent points): threads then loop over points. */
static const size_t HFX_CUDA_SCRATCH_BUDGET = (size_t) 512 << 20;

/* One piece of a gradient sum over a block's bins [i0, i1): of w P base when histo < 0 (for the
 * block's scalar factors), else of w P d delta / d alpha for the block's histosys number histo.
 * Chunks of one sum are consecutive; last marks the one after which the sum is complete. */
struct cuda_chunk {
    int32_t block, histo;
    int32_t last, pad_;
    int64_t i0, i1;
};

/* The block kernel's tables besides the model's (device pointers). */
struct cuda_bins {
    const int64_t *           bin_off;    /* [n_bins + 1]: bin g's blocks are bin_blocks[bin_off[g] ..] */
    const int32_t *           bin_blocks; /* ascending, the order in which the host adds them up */
    const struct cuda_chunk * chunks;
    int64_t                   n_chunks;
};

__device__ static inline void cuda_atomic_add(double * a, double v) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 600
    unsigned long long * u   = (unsigned long long *) a;
    unsigned long long   old = *u, seen;
    do {
        seen = old;
        old  = atomicCAS(u, seen, __double_as_longlong(v + __longlong_as_double(seen)));
    } while (seen != old);
#else
    atomicAdd(a, v);
#endif
}

__device__ static inline double cuda_warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, o);
    }
    return v;
}

/* The sum of v over the thread block, returned to every thread (blockDim.x a multiple of 32). */
__device__ static inline double cuda_block_sum(double v, double * red) {
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, n_warps = blockDim.x >> 5;
    v = cuda_warp_sum(v);
    if (lane == 0) {
        red[warp] = v;
    }
    __syncthreads();
    if (warp == 0) {
        v = lane < n_warps ? red[lane] : 0.0;
        v = cuda_warp_sum(v);
        if (lane == 0) {
            red[32] = v;
        }
    }
    __syncthreads();
    v = red[32];
    __syncthreads(); /* red is free again */
    return v;
}

/* Point kernel: thread t evaluates points t, t + n_threads, ... with scratch t. */
__global__ void __launch_bounds__(HFX_CUDA_POINT_THREADS)
    hfx_cuda_point_kernel(const struct hfx_model * __restrict__ m, size_t n, const double * __restrict__ pars,
                          const double * __restrict__ data, size_t data_stride, const double * __restrict__ data_const,
                          double * __restrict__ out, double * __restrict__ grad, double * __restrict__ scratch,
                          size_t scratch_stride) {
    size_t   t    = (size_t) blockIdx.x * blockDim.x + threadIdx.x;
    size_t   step = (size_t) gridDim.x * blockDim.x;
    size_t   np   = m->n_pars;
    double * mine = scratch + t * scratch_stride;
    for (size_t k = t; k < n; k += step) {
        out[k] = hfx__kernel_twice_nll(m, pars + k * np, data + k * data_stride, data_const[data_stride ? k : 0],
                                       grad ? grad + k * np : NULL, mine);
    }
}

/* Thread i's fit job j to the end with hfx__slot_run (kernel/fit-slot.h) in its slot of slot_mem, its
 * results into the launch's packed outputs: the body both fit kernels share. */
__device__ static void cuda_run_fit_job(const struct hfx_model * m, size_t i, struct hfx__fit_job * j,
                                        struct hfx__fit_settings how, unsigned char * slot_mem, size_t slot_bytes,
                                        double * f_out, int * status_out, int * n_eval_out,
                                        struct hfx__fit_descent * descent_out) {
    struct hfx__fit_slot s;
    hfx__slot_init(&s, m, slot_mem + i * slot_bytes, how.history);
    hfx__slot_describe(&s, j, how);
    hfx__slot_run(&s);
    hfx__slot_result(&s, j);
    f_out[i]       = j->twice_nll;
    status_out[i]  = j->status;
    n_eval_out[i]  = j->n_eval;
    descent_out[i] = j->descent;
}

/* Fit kernel: thread i runs fit job i to the end with hfx__slot_run (kernel/fit-slot.h), its slot's
 * arrays in slot_mem: the minimizer's steps, the exploration and every evaluation stay on the
 * device. Inputs and results are packed per job (see cuda_fit_launch); job i's data is data[i], a
 * row of the packed inputs or of the toys drawn on the device. */
__global__ void __launch_bounds__(HFX_CUDA_FIT_THREADS)
    hfx_cuda_fit_kernel(const struct hfx_model * __restrict__ m, size_t n, const double * const * __restrict__ data,
                        const double * __restrict__ data_const, const double * __restrict__ start,
                        const double * __restrict__ poi_value, const unsigned char * __restrict__ poi_fixed,
                        const bool * __restrict__ fixed,
                        struct hfx__fit_settings how, unsigned char * __restrict__ slot_mem, size_t slot_bytes,
                        double * __restrict__ f_out, double * __restrict__ best_out, int * __restrict__ status_out,
                        int * __restrict__ n_eval_out, struct hfx__fit_descent * __restrict__ descent_out) {
    size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) {
        return;
    }
    size_t              np = m->n_pars;
    struct hfx__fit_job j;
    j.data       = data[i];
    j.data_const = data_const[i];
    j.start      = start + i * np;
    j.fixed      = fixed ? fixed + i * np : NULL; /* NULL: no job of the launch has its own set */
    j.poi_fixed  = poi_fixed[i] != 0;
    j.poi_value  = poi_value[i];
    j.pars_out   = best_out + i * np;
    cuda_run_fit_job(m, i, &j, how, slot_mem, slot_bytes, f_out, status_out, n_eval_out, descent_out);
}

/* Group fit kernel (model groups, docs/batching.md): hfx_cuda_fit_kernel for the jobs of several
 * models of one shape, thread i reading the tables of model idx[i] through the group's table of
 * device models. Inputs and results are packed as for hfx_cuda_fit_kernel. */
__global__ void __launch_bounds__(HFX_CUDA_FIT_THREADS)
    hfx_cuda_group_fit_kernel(const struct hfx_model * const * __restrict__ models, const int32_t * __restrict__ idx,
                              size_t n, const double * __restrict__ data, const double * __restrict__ data_const,
                              const double * __restrict__ start, const double * __restrict__ poi_value,
                              const unsigned char * __restrict__ poi_fixed, struct hfx__fit_settings how,
                              unsigned char * __restrict__ slot_mem, size_t slot_bytes, double * __restrict__ f_out,
                              double * __restrict__ best_out, int * __restrict__ status_out,
                              int * __restrict__ n_eval_out, struct hfx__fit_descent * __restrict__ descent_out) {
    size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) {
        return;
    }
    const struct hfx_model * m  = models[idx[i]];
    size_t                   np = m->n_pars, nd = m->n_bins + m->n_aux;
    struct hfx__fit_job      j;
    j.data       = data + i * nd;
    j.data_const = data_const[i];
    j.start      = start + i * np;
    j.fixed      = NULL; /* the hypotest's fits hold the model's own fixed set */
    j.poi_fixed  = poi_fixed[i] != 0;
    j.poi_value  = poi_value[i];
    j.pars_out   = best_out + i * np;
    cuda_run_fit_job(m, i, &j, how, slot_mem, slot_bytes, f_out, status_out, n_eval_out, descent_out);
}

/* Doubles of block-kernel scratch per thread block: w[n_bins], base and prod [n_nominal], S[n_blocks],
 * f, df and slopes of every scalar modifier [n_scalar each], chunk sums [n_chunks]. */
static size_t cuda_block_scratch_size(const struct hfx_model * m, int64_t n_chunks) {
    return m->n_bins + 2 * m->n_nominal + m->n_blocks + 3 * m->n_scalar + (size_t) n_chunks + 1;
}

/* Block kernel: thread block b evaluates points b, b + gridDim.x, ... with scratch b. The phases
 * follow hfx__kernel_twice_nll; the comments name its steps. */
__global__ void __launch_bounds__(HFX_CUDA_BLOCK_THREADS)
    hfx_cuda_block_kernel(const struct hfx_model * __restrict__ m, struct cuda_bins bt, size_t n,
                          const double * __restrict__ pars, const double * __restrict__ data, size_t data_stride,
                          const double * __restrict__ data_const, double * __restrict__ out, double * grad,
                          double * __restrict__ scratch, size_t scratch_stride) {
    __shared__ double red[33];
    const size_t   np = m->n_pars, nb = m->n_bins;
    const unsigned tid = threadIdx.x, nt = blockDim.x, lane = tid & 31u, warp = tid >> 5, n_warps = nt >> 5;
    double *       w       = scratch + blockIdx.x * scratch_stride;
    double *       base    = w + nb;
    double *       prod    = base + m->n_nominal;
    double *       block_s = prod + m->n_nominal;
    double *       f       = block_s + m->n_blocks;
    double *       df      = f + m->n_scalar;
    double *       slope   = df + m->n_scalar;
    double *       partial = slope + m->n_scalar;

    for (size_t p = blockIdx.x; p < n; p += gridDim.x) {
        const double * x = pars + p * np;
        const double * d = data + p * data_stride;
        double *       g = grad ? grad + p * np : NULL;

        /* block scale factors (and their slopes, for the gradient) */
        for (size_t k = tid; k < m->n_blocks; k += nt) {
            const struct hfx_block * b = &m->blocks[k];
            block_s[k]                 = hfx__kernel_block_scale(m, b, x);
            if (g) {
                hfx__kernel_scalar_slopes(m, b, x, f + b->scalar0, df + b->scalar0, slope + b->scalar0);
            }
        }
        for (size_t i = tid; g && i < np; i += nt) {
            g[i] = 0.0;
        }
        __syncthreads();

        /* forward pass and Poisson terms, a bin per thread; the blocks of a bin in the host's order */
        double t = 0.0;
        for (size_t gb = tid; gb < nb; gb += nt) {
            double lam = 0.0;
            for (int64_t e = bt.bin_off[gb]; e < bt.bin_off[gb + 1]; ++e) {
                int32_t                  k = bt.bin_blocks[e];
                const struct hfx_block * b = &m->blocks[k];
                int64_t                  i = (int64_t) gb - b->bin0;
                double                   pr;
                double                   v = hfx__kernel_block_bin(m, b, x, i, &pr);
                base[b->nom + i]           = v;
                prod[b->nom + i]           = pr;
                lam += block_s[k] * pr * v;
            }
            t += hfx_poisson_term(d[gb], lam, &w[gb]);
        }
        /* constraint terms */
        const double * aux = d + nb;
        for (size_t k = tid; k < m->n_gauss; k += nt) {
            double dp;
            t += hfx__kernel_gauss_term(m, k, x, aux, &dp);
            if (g) {
                cuda_atomic_add(&g[m->gauss[k].par], dp);
            }
        }
        for (size_t k = tid; k < m->n_pois; k += nt) {
            double dp;
            t += hfx__kernel_pois_term(m, k, x, aux, &dp);
            if (g) {
                cuda_atomic_add(&g[m->pois[k].par], dp);
            }
        }
        t = cuda_block_sum(t, red); /* also orders the writes above before the reads below */
        if (tid == 0) {
            out[p] = t + data_const[data_stride ? p : 0];
        }

        if (g && isfinite(t)) { /* t is the same in every thread: no thread skips a barrier */
            /* backward pass, per-bin factors: each grad entry is one bin's, so the atomics of a
             * model whose per-bin parameters belong to one bin each add in the host's order */
            for (size_t gb = tid; gb < nb; gb += nt) {
                for (int64_t e = bt.bin_off[gb]; e < bt.bin_off[gb + 1]; ++e) {
                    int32_t                  k = bt.bin_blocks[e];
                    const struct hfx_block * b = &m->blocks[k];
                    int64_t                  i = (int64_t) gb - b->bin0;
                    for (int32_t q = 0; q < b->n_perbin; ++q) {
                        double v = w[gb] * block_s[k] * base[b->nom + i] * hfx__kernel_perbin_other(m, b, x, q, i);
                        cuda_atomic_add(&g[m->perbins[b->perbin0 + q].par0 + i], v);
                    }
                }
            }
            /* sums over a block's bins, a chunk per warp */
            for (int64_t c = warp; c < bt.n_chunks; c += n_warps) {
                struct cuda_chunk        ch = bt.chunks[c];
                const struct hfx_block * b  = &m->blocks[ch.block];
                double                   s  = 0.0;
                for (int64_t i = ch.i0 + lane; i < ch.i1; i += 32) {
                    int64_t j  = b->nom + i;
                    double  wi = w[b->bin0 + i];
                    if (ch.histo < 0) {
                        s += wi * prod[j] * base[j];
                    } else {
                        s += wi * prod[j] * hfx__kernel_histo_slope(m, &m->histos[b->histo0 + ch.histo], x, i);
                    }
                }
                s = cuda_warp_sum(s);
                if (lane == 0) {
                    partial[c] = s;
                }
            }
            __syncthreads();
            /* the sums into the gradient, in the host's order (block by block, scalars then histosys) */
            if (tid == 0) {
                double acc = 0.0;
                for (int64_t c = 0; c < bt.n_chunks; ++c) {
                    struct cuda_chunk ch = bt.chunks[c];
                    acc += partial[c];
                    if (!ch.last) {
                        continue;
                    }
                    const struct hfx_block * b = &m->blocks[ch.block];
                    if (ch.histo < 0) {
                        for (int32_t j = 0; j < b->n_scalar; ++j) {
                            g[m->scalars[b->scalar0 + j].par] += slope[b->scalar0 + j] * acc;
                        }
                    } else {
                        g[m->histos[b->histo0 + ch.histo].par] += block_s[ch.block] * acc;
                    }
                    acc = 0.0;
                }
            }
        }
        __syncthreads(); /* scratch is free for the next point */
    }
}

//
// Availability
//

struct cuda_probe {
    bool ok;
    char why[320];
};

/* Whether device 0 exists and can run this build's kernels (a device older than every architecture
 * compiled in has no kernel image). */
static struct cuda_probe cuda_probe_run(void) {
    struct cuda_probe r;
    memset(&r, 0, sizeof r);
    int         n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        hfx__format(r.why, sizeof r.why, "no CUDA device (cudaGetDeviceCount: %s)",
                    e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        (void) cudaGetLastError(); /* clear the error for later callers of the runtime */
        return r;
    }
    int dev = 0;
    cudaGetDevice(&dev);
    struct cudaFuncAttributes a;
    e = cudaFuncGetAttributes(&a, hfx_cuda_point_kernel);
    if (e != cudaSuccess) {
        struct cudaDeviceProp prop;
        memset(&prop, 0, sizeof prop);
        cudaGetDeviceProperties(&prop, dev);
        hfx__format(r.why, sizeof r.why,
                    "CUDA device %d (%s, compute capability %d.%d) cannot run this build's kernels (%s): "
                    "rebuild with -DCMAKE_CUDA_ARCHITECTURES=%d%d",
                    dev, prop.name, prop.major, prop.minor, cudaGetErrorString(e), prop.major, prop.minor);
        (void) cudaGetLastError();
        return r;
    }
    r.ok = true;
    return r;
}

/* The probe runs once per process, from whichever thread asks first (the runtime's answer does not
 * change while the process runs); afterwards the result is only read. */
static struct cuda_probe cuda_probe_result;
static pthread_once_t    cuda_probe_once = PTHREAD_ONCE_INIT;

static void cuda_probe_init(void) { cuda_probe_result = cuda_probe_run(); }

static bool cuda_available(const char ** why) {
    pthread_once(&cuda_probe_once, cuda_probe_init);
    if (!cuda_probe_result.ok && why) {
        *why = cuda_probe_result.why;
    }
    return cuda_probe_result.ok;
}

//
// Plans
//

/* Sampling kernel: thread r draws toy r of the sets (row0[s] <= r < row0[s + 1]: set s, its
 * parameters and expected data at gen + s * (n_pars + n_data), toy r - row0[s] of the set from
 * stream stream0[s] + that) into data + r * n_data, its data constant into data_const[r]. */
__global__ void __launch_bounds__(HFX_CUDA_FIT_THREADS)
    hfx_cuda_sample_kernel(const struct hfx_model * __restrict__ m, size_t n, size_t n_sets,
                           const double * __restrict__ gen, const uint64_t * __restrict__ row0,
                           const uint64_t * __restrict__ stream0, uint64_t seed, double * __restrict__ data,
                           double * __restrict__ data_const) {
    size_t r = (size_t) blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= n) {
        return;
    }
    size_t np = m->n_pars, nd = m->n_bins + m->n_aux, s = 0;
    while (s + 1 < n_sets && r >= row0[s + 1]) {
        ++s;
    }
    const double * pars = gen + s * (np + nd);
    double *       toy  = data + r * nd;
    hfx__kernel_sample_toy(m, pars + np, pars, seed, stream0[s] + (r - row0[s]), toy);
    data_const[r] = hfx__kernel_data_constant(m, toy);
}

enum cuda_kernel_mode { CUDA_KERNEL_AUTO = 0, CUDA_KERNEL_POINT, CUDA_KERNEL_BLOCK };

/* A device buffer that only grows. */
struct cuda_buf {
    void * p;
    size_t cap; /* bytes */
};

enum { CUDA_MAX_TABLES = 24 };

struct cuda_plan {
    const struct hfx_model * m;
    int                      device, n_sm;
    cudaStream_t             stream;
    enum cuda_kernel_mode    mode;
    struct hfx_model *       d_model;                  /* device copy, table pointers into d_tables */
    void *                   d_tables[CUDA_MAX_TABLES];
    int                      n_tables;
    struct cuda_bins         bins;
    size_t                   point_scratch, block_scratch; /* doubles per thread, per thread block */
    struct cuda_buf          pars, data, data_const, out, grad, scratch;
    /* resident fits: packed job inputs (host staging, device), slots, results */
    struct cuda_buf          fit_in, fit_fixed, fit_slots, fit_out, fit_status, fit_descent; /* as the host staging */
    struct cuda_buf          fit_dptr;    /* each job's data row on the device */
    double *                 h_fit;       /* host staging of a launch: its inputs, then its results */
    const double **          h_dptr;      /* host staging of fit_dptr */
    unsigned char *          h_fixed;
    int *                    h_ints;      /* status then n_eval */
    struct hfx__fit_descent * h_descent;  /* each fit's first descent (fit-slot.h) */
    size_t                   h_fit_cap;   /* jobs the host staging holds */
    /* The shared data vector (data_stride 0) now on the device, to skip uploading it again. */
    double *                 h_data;
    bool                     data_valid;
    /* toys: the last sample_toys call's rows (toy_data, toy_dc on the device), the host array they
     * were copied to (toy_host, toy_rows rows) and a copy of what was copied (h_toys), which tells
     * whether a job's row at toy_host still holds it; the sets' table (toy_gen, toy_index) */
    struct cuda_buf          toy_data, toy_dc, toy_gen, toy_index;
    const double *           toy_host;
    size_t                   toy_rows, h_toys_cap;
    double *                 h_toys;
};

static void cuda_plan_free(void * plan) {
    struct cuda_plan * p = (struct cuda_plan *) plan;
    if (!p) {
        return;
    }
    cudaSetDevice(p->device);
    struct cuda_buf * bufs[] = {&p->pars,      &p->data,      &p->data_const, &p->out,        &p->grad,
                                &p->scratch,   &p->fit_in,    &p->fit_fixed,  &p->fit_slots, &p->fit_out,
                                &p->fit_status, &p->fit_descent, &p->fit_dptr, &p->toy_data, &p->toy_dc,
                                &p->toy_gen,   &p->toy_index};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) {
        cudaFree(bufs[i]->p);
    }
    for (int i = 0; i < p->n_tables; ++i) {
        cudaFree(p->d_tables[i]);
    }
    cudaFree(p->d_model);
    if (p->stream) {
        cudaStreamDestroy(p->stream);
    }
    free(p->h_data);
    free(p->h_toys);
    free(p->h_dptr);
    free(p->h_fit);
    free(p->h_fixed);
    free(p->h_ints);
    free(p->h_descent);
    free(p);
}

/* Copies a host table of bytes bytes to new device memory (at least 8 bytes, so that empty tables
 * have a valid pointer too), owned by the plan. */
static enum hfx_status cuda_upload(struct cuda_plan * p, const void * src, size_t bytes, void ** dst,
                                   struct hfx_error * err) {
    HFX_ASSERT(p->n_tables < CUDA_MAX_TABLES);
    void * d = NULL;
    HFX_CUDA_TRY(err, "cudaMalloc (model tables)", cudaMalloc(&d, bytes > 8 ? bytes : 8));
    p->d_tables[p->n_tables++] = d;
    if (bytes > 0) {
        HFX_CUDA_TRY(err, "cudaMemcpy (model tables)", cudaMemcpy(d, src, bytes, cudaMemcpyHostToDevice));
    }
    *dst = d;
    return HFX_OK;
}

/* The block kernel's tables: for every bin the blocks covering it, ascending, and the chunks of the
 * gradient sums. */
static enum hfx_status cuda_build_bins(struct cuda_plan * p, struct hfx_error * err) {
    const struct hfx_model * m     = p->m;
    int64_t *                off   = (int64_t *) hfx__calloc(m->n_bins + 1, sizeof *off);
    int32_t *                list  = (int32_t *) hfx__malloc((m->n_nominal + 1) * sizeof *list);
    int64_t                  n_chk = 0;
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b = &m->blocks[k];
        int64_t                  per = (b->n_bins + HFX_CUDA_CHUNK_BINS - 1) / HFX_CUDA_CHUNK_BINS;
        per                          = per > 0 ? per : 1;
        n_chk += (b->n_scalar > 0 ? per : 0) + (int64_t) b->n_histo * per;
    }
    struct cuda_chunk * chunks = (struct cuda_chunk *) hfx__calloc((size_t) n_chk + 1, sizeof *chunks);
    if (!off || !list || !chunks) {
        free(off);
        free(list);
        free(chunks);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t k = 0; k < m->n_blocks; ++k) {
        for (int64_t i = 0; i < m->blocks[k].n_bins; ++i) {
            ++off[m->blocks[k].bin0 + i + 1];
        }
    }
    for (size_t g = 0; g < m->n_bins; ++g) {
        off[g + 1] += off[g];
    }
    int64_t * fill = (int64_t *) hfx__malloc((m->n_bins + 1) * sizeof *fill);
    if (!fill) {
        free(off);
        free(list);
        free(chunks);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    memcpy(fill, off, (m->n_bins + 1) * sizeof *fill);
    int64_t c = 0;
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b = &m->blocks[k];
        for (int64_t i = 0; i < b->n_bins; ++i) {
            list[fill[b->bin0 + i]++] = (int32_t) k;
        }
        for (int32_t h = b->n_scalar > 0 ? -1 : 0; h < b->n_histo; ++h) {
            int64_t i0 = 0;
            do {
                int64_t i1   = i0 + HFX_CUDA_CHUNK_BINS < b->n_bins ? i0 + HFX_CUDA_CHUNK_BINS : b->n_bins;
                chunks[c].block = (int32_t) k;
                chunks[c].histo = h;
                chunks[c].i0    = i0;
                chunks[c].i1    = i1;
                chunks[c].last  = i1 >= b->n_bins;
                ++c;
                i0 = i1;
            } while (i0 < b->n_bins);
        }
    }
    HFX_ASSERT(c == n_chk);
    free(fill);
    void *          d_off = NULL, * d_list = NULL, * d_chunks = NULL;
    enum hfx_status st    = cuda_upload(p, off, (m->n_bins + 1) * sizeof *off, &d_off, err);
    if (st == HFX_OK) {
        st = cuda_upload(p, list, m->n_nominal * sizeof *list, &d_list, err);
    }
    if (st == HFX_OK) {
        st = cuda_upload(p, chunks, (size_t) n_chk * sizeof *chunks, &d_chunks, err);
    }
    free(off);
    free(list);
    free(chunks);
    p->bins.bin_off    = (const int64_t *) d_off;
    p->bins.bin_blocks = (const int32_t *) d_list;
    p->bins.chunks     = (const struct cuda_chunk *) d_chunks;
    p->bins.n_chunks   = n_chk;
    p->block_scratch   = cuda_block_scratch_size(m, n_chk);
    return st;
}

static enum hfx_status cuda_parse_mode(enum cuda_kernel_mode * mode, struct hfx_error * err) {
    const char * s = getenv("HFX_CUDA_KERNEL");
    *mode          = CUDA_KERNEL_AUTO;
    if (!s || !*s || strcmp(s, "auto") == 0) {
        return HFX_OK;
    }
    if (strcmp(s, "point") == 0) {
        *mode = CUDA_KERNEL_POINT;
        return HFX_OK;
    }
    if (strcmp(s, "block") == 0) {
        *mode = CUDA_KERNEL_BLOCK;
        return HFX_OK;
    }
    return hfx__error(err, HFX_ERR_ARG, NULL, "HFX_CUDA_KERNEL='%s': expected point, block or auto", s);
}

static enum hfx_status cuda_plan_init(struct cuda_plan * p, const struct hfx_model * m, struct hfx_error * err) {
    enum hfx_status st = cuda_parse_mode(&p->mode, err);
    if (st != HFX_OK) {
        return st;
    }
    HFX_CUDA_TRY(err, "cudaGetDevice", cudaGetDevice(&p->device));
    HFX_CUDA_TRY(err, "cudaDeviceGetAttribute",
                 cudaDeviceGetAttribute(&p->n_sm, cudaDevAttrMultiProcessorCount, p->device));
    HFX_CUDA_TRY(err, "cudaStreamCreate", cudaStreamCreateWithFlags(&p->stream, cudaStreamNonBlocking));

    /* The device copy: the host struct with every table replaced by its device copy and every
     * host-only pointer (names, layout, bookkeeping) cleared, so that a stray use faults at once. */
    struct hfx_model d;
    memcpy(&d, m, sizeof d);
    memset(&d.arena, 0, sizeof d.arena);
    d.parsets       = NULL;
    d.par_names     = NULL;
    d.channel_names = NULL;
    d.channel_bin0  = NULL;
    d.channel_n_bins = NULL;
    d.sample_names  = NULL;
    d.observed      = NULL;
    struct {
        const void * src;
        size_t       bytes;
        void **      dst;
    } tables[] = {
        {m->blocks, m->n_blocks * sizeof *m->blocks, (void **) &d.blocks},
        {m->scalars, m->n_scalar * sizeof *m->scalars, (void **) &d.scalars},
        {m->perbins, m->n_perbin * sizeof *m->perbins, (void **) &d.perbins},
        {m->histos, m->n_histo * sizeof *m->histos, (void **) &d.histos},
        {m->nominal, m->n_nominal * sizeof *m->nominal, (void **) &d.nominal},
        {m->histo_up, m->n_histo_vals * sizeof *m->histo_up, (void **) &d.histo_up},
        {m->histo_dn, m->n_histo_vals * sizeof *m->histo_dn, (void **) &d.histo_dn},
        {m->histo_s, m->n_histo_vals * sizeof *m->histo_s, (void **) &d.histo_s},
        {m->histo_a, m->n_histo_vals * sizeof *m->histo_a, (void **) &d.histo_a},
        {m->gauss, m->n_gauss * sizeof *m->gauss, (void **) &d.gauss},
        {m->pois, m->n_pois * sizeof *m->pois, (void **) &d.pois},
        /* what fits read (hfx_cuda_fit_kernel): start, box, fixed set, which parameters to explore */
        {m->init, m->n_pars * sizeof *m->init, (void **) &d.init},
        {m->lower, m->n_pars * sizeof *m->lower, (void **) &d.lower},
        {m->upper, m->n_pars * sizeof *m->upper, (void **) &d.upper},
        {m->fixed, m->n_pars * sizeof *m->fixed, (void **) &d.fixed},
        {m->explore, m->n_pars * sizeof *m->explore, (void **) &d.explore},
        {m->flat_at_init, m->n_pars * sizeof *m->flat_at_init, (void **) &d.flat_at_init},
        {m->nonmonotone, m->n_pars * sizeof *m->nonmonotone, (void **) &d.nonmonotone},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; ++i) {
        st = cuda_upload(p, tables[i].src, tables[i].bytes, tables[i].dst, err);
        if (st != HFX_OK) {
            return st;
        }
    }
    HFX_CUDA_TRY(err, "cudaMalloc (model)", cudaMalloc((void **) &p->d_model, sizeof *p->d_model));
    HFX_CUDA_TRY(err, "cudaMemcpy (model)", cudaMemcpy(p->d_model, &d, sizeof d, cudaMemcpyHostToDevice));

    p->point_scratch = hfx__kernel_scratch_size(m);
    st               = cuda_build_bins(p, err);
    if (st != HFX_OK) {
        return st;
    }
    p->h_data = (double *) hfx__malloc((m->n_bins + m->n_aux + 1) * sizeof *p->h_data);
    if (!p->h_data) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    return HFX_OK;
}

static enum hfx_status cuda_plan_create(const struct hfx_model * m, const struct hfx_engine_options * opts,
                                        void ** plan, struct hfx_error * err) {
    (void) opts;
    const char * why = NULL;
    if (!cuda_available(&why)) {
        return hfx__error(err, HFX_ERR_DEVICE, NULL, "cuda: %s", why);
    }
    struct cuda_plan * p = (struct cuda_plan *) hfx__calloc(1, sizeof *p);
    if (!p) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    p->m               = m;
    enum hfx_status st = cuda_plan_init(p, m, err);
    if (st != HFX_OK) {
        cuda_plan_free(p);
        return st;
    }
    *plan = p;
    return HFX_OK;
}

/* Makes buf hold at least bytes (growing by at least half, so that a batch size creeping up does
 * not reallocate every call); the old contents are dropped. */
static enum hfx_status cuda_reserve(struct cuda_buf * buf, size_t bytes, struct hfx_error * err) {
    if (bytes <= buf->cap) {
        return HFX_OK;
    }
    size_t want = buf->cap + buf->cap / 2;
    want        = want > bytes ? want : bytes;
    cudaFree(buf->p);
    buf->p   = NULL;
    buf->cap = 0;
    HFX_CUDA_TRY(err, "cudaMalloc (batch buffers)", cudaMalloc(&buf->p, want));
    buf->cap = want;
    return HFX_OK;
}

//
// Evaluation
//

static enum hfx_status cuda_eval(void * plan, size_t n, const double * pars, const double * data, size_t data_stride,
                                 const double * data_const, double * out, double * grad, struct hfx_error * err) {
    struct cuda_plan *       p  = (struct cuda_plan *) plan;
    const struct hfx_model * m  = p->m;
    size_t                   np = m->n_pars, nd = m->n_bins + m->n_aux;
    if (n == 0) {
        return HFX_OK;
    }
    HFX_CUDA_TRY(err, "cudaSetDevice", cudaSetDevice(p->device));
    cudaStream_t s = p->stream;

    /* inputs */
    size_t          pars_bytes = n * np * sizeof(double);
    enum hfx_status st         = cuda_reserve(&p->pars, pars_bytes, err);
    if (st != HFX_OK) {
        return st;
    }
    if (pars_bytes > 0) {
        HFX_CUDA_TRY(err, "cudaMemcpy (parameters)",
                     cudaMemcpyAsync(p->pars.p, pars, pars_bytes, cudaMemcpyHostToDevice, s));
    }
    if (data_stride != 0) {
        size_t data_bytes = ((n - 1) * data_stride + nd) * sizeof(double);
        p->data_valid     = false;
        if ((st = cuda_reserve(&p->data, data_bytes, err)) != HFX_OK ||
            (st = cuda_reserve(&p->data_const, n * sizeof(double), err)) != HFX_OK) {
            return st;
        }
        HFX_CUDA_TRY(err, "cudaMemcpy (data)", cudaMemcpyAsync(p->data.p, data, data_bytes, cudaMemcpyHostToDevice, s));
        HFX_CUDA_TRY(err, "cudaMemcpy (data constants)",
                     cudaMemcpyAsync(p->data_const.p, data_const, n * sizeof(double), cudaMemcpyHostToDevice, s));
    } else if (!p->data_valid || memcmp(p->h_data, data, nd * sizeof *data) != 0 || p->h_data[nd] != data_const[0]) {
        /* one data vector for every point: fits and scans reuse it call after call */
        p->data_valid = false;
        if ((st = cuda_reserve(&p->data, nd * sizeof(double), err)) != HFX_OK ||
            (st = cuda_reserve(&p->data_const, sizeof(double), err)) != HFX_OK) {
            return st;
        }
        memcpy(p->h_data, data, nd * sizeof *data);
        p->h_data[nd] = data_const[0];
        HFX_CUDA_TRY(err, "cudaMemcpy (data)",
                     cudaMemcpyAsync(p->data.p, p->h_data, nd * sizeof(double), cudaMemcpyHostToDevice, s));
        HFX_CUDA_TRY(err, "cudaMemcpy (data constants)",
                     cudaMemcpyAsync(p->data_const.p, p->h_data + nd, sizeof(double), cudaMemcpyHostToDevice, s));
        p->data_valid = true;
    }
    if ((st = cuda_reserve(&p->out, n * sizeof(double), err)) != HFX_OK ||
        (grad && (st = cuda_reserve(&p->grad, pars_bytes > 0 ? pars_bytes : 8, err)) != HFX_OK)) {
        return st;
    }

    /* the kernel: see the file comment for the choice */
    bool block = p->mode == CUDA_KERNEL_BLOCK ||
                 (p->mode == CUDA_KERNEL_AUTO &&
                  (m->n_bins >= HFX_CUDA_LARGE_BINS || (m->n_bins >= 64 && n < (size_t) p->n_sm)));
    double * d_grad = grad ? (double *) p->grad.p : NULL;
    if (block) {
        size_t per  = p->block_scratch * sizeof(double);
        size_t grid = n < (size_t) p->n_sm * 2 ? n : (size_t) p->n_sm * 2;
        size_t cap  = HFX_CUDA_SCRATCH_BUDGET / per;
        grid        = grid < cap ? grid : (cap > 0 ? cap : 1);
        if ((st = cuda_reserve(&p->scratch, grid * per, err)) != HFX_OK) {
            return st;
        }
        hfx_cuda_block_kernel<<<(unsigned) grid, HFX_CUDA_BLOCK_THREADS, 0, s>>>(
            p->d_model, p->bins, n, (const double *) p->pars.p, (const double *) p->data.p, data_stride,
            (const double *) p->data_const.p, (double *) p->out.p, d_grad, (double *) p->scratch.p, p->block_scratch);
    } else {
        size_t per     = p->point_scratch * sizeof(double);
        size_t threads = n < (size_t) p->n_sm * 1024 ? n : (size_t) p->n_sm * 1024;
        size_t cap     = HFX_CUDA_SCRATCH_BUDGET / per;
        threads        = threads < cap ? threads : (cap > 0 ? cap : 1);
        size_t grid    = (threads + HFX_CUDA_POINT_THREADS - 1) / HFX_CUDA_POINT_THREADS;
        if ((st = cuda_reserve(&p->scratch, grid * HFX_CUDA_POINT_THREADS * per, err)) != HFX_OK) {
            return st;
        }
        hfx_cuda_point_kernel<<<(unsigned) grid, HFX_CUDA_POINT_THREADS, 0, s>>>(
            p->d_model, n, (const double *) p->pars.p, (const double *) p->data.p, data_stride,
            (const double *) p->data_const.p, (double *) p->out.p, d_grad, (double *) p->scratch.p, p->point_scratch);
    }
    HFX_CUDA_TRY(err, "kernel launch", cudaGetLastError());

    /* results */
    HFX_CUDA_TRY(err, "cudaMemcpy (results)",
                 cudaMemcpyAsync(out, p->out.p, n * sizeof(double), cudaMemcpyDeviceToHost, s));
    if (grad && pars_bytes > 0) {
        HFX_CUDA_TRY(err, "cudaMemcpy (gradients)", cudaMemcpyAsync(grad, p->grad.p, pars_bytes, cudaMemcpyDeviceToHost, s));
    }
    HFX_CUDA_TRY(err, "kernel", cudaStreamSynchronize(s));
    return HFX_OK;
}

//
// Resident fits
//

/* Grows the host staging of resident fits to n jobs. */
static enum hfx_status cuda_fit_staging(struct cuda_plan * p, size_t n, struct hfx_error * err) {
    if (n <= p->h_fit_cap) {
        return HFX_OK;
    }
    size_t np = p->m->n_pars, nd = p->m->n_bins + p->m->n_aux;
    free(p->h_fit);
    free(p->h_dptr);
    free(p->h_fixed);
    free(p->h_ints);
    free(p->h_descent);
    /* inputs (data_const, start, poi_value, then the data rows to upload, at most n: n (np + 2 + nd)),
     * then results (twice_nll, best: n (np + 1)) */
    p->h_fit     = (double *) hfx__malloc(n * (nd + 2 * np + 3) * sizeof(double) + sizeof(double));
    p->h_dptr    = (const double **) hfx__malloc(n * sizeof *p->h_dptr);
    /* each job's poi_fixed flag [n], then each job's fixed set [n * np] (bool is a byte in C and CUDA) */
    p->h_fixed   = (unsigned char *) hfx__malloc(n * (np + 1) + 1);
    p->h_ints    = (int *) hfx__malloc(2 * n * sizeof(int) + sizeof(int));
    p->h_descent = (struct hfx__fit_descent *) hfx__malloc(n * sizeof(struct hfx__fit_descent));
    p->h_fit_cap = p->h_fit && p->h_dptr && p->h_fixed && p->h_ints && p->h_descent ? n : 0;
    return p->h_fit_cap ? HFX_OK : hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (%zu fit jobs)", n);
}

/* The device copy of a job's data row where the row is one that sample_toys drew here and copied to
 * the host and the host's row still holds what was copied (a caller may reuse its array for other
 * data, and a freed array's address may come back): NULL otherwise, and the row is uploaded. */
static const double * cuda_toy_row(const struct cuda_plan * p, const double * data) {
    size_t    nd = p->m->n_bins + p->m->n_aux;
    uintptr_t at = (uintptr_t) data, base = (uintptr_t) p->toy_host;
    if (!p->toy_host || nd == 0 || at < base || (at - base) % (nd * sizeof(double)) != 0 ||
        (at - base) / (nd * sizeof(double)) >= p->toy_rows) {
        return NULL;
    }
    size_t off = (at - base) / sizeof(double); /* row (at - base) / (nd doubles), its first value */
    if (memcmp(data, p->h_toys + off, nd * sizeof(double)) != 0) {
        return NULL;
    }
    return (const double *) p->toy_data.p + off;
}

/* After a fit kernel's launch on p's stream: its results (twice_nll and best point of each job at d_f,
 * statuses and evaluation counts at d_status, descents in p->fit_descent) downloaded through the host
 * staging (h_best) into the jobs. what names the kernel in errors. */
static enum hfx_status cuda_fit_collect(struct cuda_plan * p, struct hfx__fit_job * jobs, size_t n, size_t np,
                                        double * h_best, const double * d_f, const int * d_status,
                                        const char * what, struct hfx_error * err) {
    cudaStream_t s = p->stream;
    HFX_CUDA_TRY(err, what, cudaGetLastError());
    HFX_CUDA_TRY(err, "cudaMemcpy (fit results)",
                 cudaMemcpyAsync(h_best, d_f, n * (np + 1) * sizeof(double), cudaMemcpyDeviceToHost, s));
    HFX_CUDA_TRY(err, "cudaMemcpy (fit results)",
                 cudaMemcpyAsync(p->h_ints, d_status, 2 * n * sizeof(int), cudaMemcpyDeviceToHost, s));
    HFX_CUDA_TRY(err, "cudaMemcpy (fit results)",
                 cudaMemcpyAsync(p->h_descent, p->fit_descent.p, n * sizeof(struct hfx__fit_descent),
                                 cudaMemcpyDeviceToHost, s));
    HFX_CUDA_TRY(err, what, cudaStreamSynchronize(s));
    for (size_t i = 0; i < n; ++i) {
        struct hfx__fit_job * j = &jobs[i];
        j->twice_nll            = h_best[i];
        j->status               = p->h_ints[i];
        j->n_eval               = p->h_ints[n + i];
        j->descent              = p->h_descent[i];
        if (j->pars_out) {
            memcpy(j->pars_out, h_best + n + i * np, np * sizeof(double));
        }
    }
    return HFX_OK;
}

/* One launch of hfx_cuda_fit_kernel over jobs[0, n): pack, upload, run, download, unpack. */
static enum hfx_status cuda_fit_launch(struct cuda_plan * p, struct hfx__fit_job * jobs, size_t n,
                                       struct hfx__fit_settings how,
                                       size_t slot_bytes, struct hfx_error * err) {
    const struct hfx_model * m  = p->m;
    size_t                   np = m->n_pars, nd = m->n_bins + m->n_aux;
    enum hfx_status          st = cuda_fit_staging(p, n, err);
    if (st != HFX_OK) {
        return st;
    }
    double * h_dc = p->h_fit, * h_start = h_dc + n, * h_poi = h_start + n * np, * h_data = h_poi + n;
    double * h_best = h_data + n * nd;
    size_t   n_up   = 0; /* data rows to upload: those not drawn here (cuda_toy_row) */
    bool     own_fixed = false; /* whether some job holds a set of its own (rankings, profile scans) */
    for (size_t i = 0; i < n; ++i) {
        own_fixed = own_fixed || jobs[i].fixed;
    }
    for (size_t i = 0; i < n; ++i) {
        const struct hfx__fit_job * j = &jobs[i];
        p->h_dptr[i]                  = cuda_toy_row(p, j->data); /* NULL: uploaded, the row set below */
        if (!p->h_dptr[i]) {
            memcpy(h_data + n_up++ * nd, j->data, nd * sizeof(double));
        }
        memcpy(h_start + i * np, j->start ? j->start : m->init, np * sizeof(double));
        h_dc[i]       = j->data_const;
        h_poi[i]      = j->poi_value;
        p->h_fixed[i] = j->poi_fixed;
        if (own_fixed) {
            memcpy(p->h_fixed + n + i * np, j->fixed ? j->fixed : m->fixed, np);
        }
    }
    size_t       fixed_bytes = own_fixed ? n * (np + 1) : n;
    cudaStream_t s           = p->stream;
    size_t       in_bytes    = (n * (np + 2) + n_up * nd) * sizeof(double);
    if ((st = cuda_reserve(&p->fit_in, in_bytes, err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_dptr, n * sizeof *p->h_dptr, err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_fixed, fixed_bytes, err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_slots, n * slot_bytes, err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_out, n * (np + 1) * sizeof(double), err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_status, 2 * n * sizeof(int), err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_descent, n * sizeof(struct hfx__fit_descent), err)) != HFX_OK) {
        return st;
    }
    double * d_dc = (double *) p->fit_in.p, * d_start = d_dc + n, * d_poi = d_start + n * np;
    double * d_data = d_poi + n, * d_f = (double *) p->fit_out.p, * d_best = d_f + n;
    for (size_t i = 0, k = 0; i < n; ++i) {
        if (!p->h_dptr[i]) {
            p->h_dptr[i] = d_data + k++ * nd; /* the uploaded rows, in the jobs' order */
        }
    }
    /* the inputs sit in one buffer in the staging order: data_const, start, poi_value, data */
    HFX_CUDA_TRY(err, "cudaMemcpy (fit jobs)",
                 cudaMemcpyAsync(p->fit_in.p, h_dc, in_bytes, cudaMemcpyHostToDevice, s));
    HFX_CUDA_TRY(err, "cudaMemcpy (fit jobs)",
                 cudaMemcpyAsync(p->fit_dptr.p, p->h_dptr, n * sizeof *p->h_dptr, cudaMemcpyHostToDevice, s));
    HFX_CUDA_TRY(err, "cudaMemcpy (fit jobs)",
                 cudaMemcpyAsync(p->fit_fixed.p, p->h_fixed, fixed_bytes, cudaMemcpyHostToDevice, s));
    int *    d_status = (int *) p->fit_status.p;
    size_t   grid     = (n + HFX_CUDA_FIT_THREADS - 1) / HFX_CUDA_FIT_THREADS;
    hfx_cuda_fit_kernel<<<(unsigned) grid, HFX_CUDA_FIT_THREADS, 0, s>>>(
        p->d_model, n, (const double * const *) p->fit_dptr.p, d_dc, d_start, d_poi,
        (const unsigned char *) p->fit_fixed.p, own_fixed ? (const bool *) p->fit_fixed.p + n : NULL, how,
        (unsigned char *) p->fit_slots.p, slot_bytes, d_f, d_best, d_status, d_status + n,
        (struct hfx__fit_descent *) p->fit_descent.p);
    return cuda_fit_collect(p, jobs, n, np, h_best, d_f, d_status, "fit kernel", err);
}

/* Fits resident on the device, one per thread, for models the point kernel serves (a large model's
 * single evaluation needs a thread block: those fits stay with the engine's lock-step batches). */
static enum hfx_status cuda_fit_jobs(void * plan, struct hfx__fit_job * jobs, size_t n,
                                     const struct hfx__fit_settings * how,
                                     struct hfx_error * err) {
    struct cuda_plan * p = (struct cuda_plan *) plan;
    if (p->mode == CUDA_KERNEL_BLOCK || p->m->n_bins >= HFX_CUDA_LARGE_BINS) {
        return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL, "cuda: fits of large models are driven by the host");
    }
    HFX_CUDA_TRY(err, "cudaSetDevice", cudaSetDevice(p->device));
    size_t slot_bytes = hfx__slot_bytes(p->m, how->history);
    size_t per_launch = HFX_CUDA_SLOT_BUDGET / slot_bytes;
    per_launch        = per_launch > 0 ? per_launch : 1;
    for (size_t i0 = 0; i0 < n; i0 += per_launch) {
        size_t          c  = n - i0 < per_launch ? n - i0 : per_launch;
        enum hfx_status st = cuda_fit_launch(p, jobs + i0, c, *how, slot_bytes, err);
        if (st != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

//
// Model groups
//
// A group is a plan per model (its tables uploaded once, as for an engine of its own) and a device
// array of their device models, which the group fit kernel indexes with each job's model; the
// launch buffers and staging are the first plan's. One launch runs the jobs of every model of the
// group (up to the slot budget), so a stage of the hypotests of hundreds of patches is one launch.
//

struct cuda_group {
    struct cuda_plan ** plans;  /* [n] */
    size_t              n;
    struct cuda_buf     d_models; /* [n] const struct hfx_model * (device) */
    struct cuda_buf     d_idx;    /* [jobs] int32 model of each job of a launch */
    int32_t *           h_idx;
    size_t              h_idx_cap;
};

static void cuda_group_free(void * group) {
    struct cuda_group * g = (struct cuda_group *) group;
    if (!g) {
        return;
    }
    for (size_t k = 0; g->plans && k < g->n; ++k) {
        cuda_plan_free(g->plans[k]);
    }
    if (g->plans && g->n && g->plans[0]) {
        cudaSetDevice(g->plans[0]->device);
    }
    cudaFree(g->d_models.p);
    cudaFree(g->d_idx.p);
    free(g->plans);
    free(g->h_idx);
    free(g);
}

/* Groups of models the fit kernel serves (see cuda_fit_jobs); others: HFX_ERR_UNSUPPORTED, and the
 * caller runs an engine per model (infer/group.c). */
static enum hfx_status cuda_group_create(const struct hfx_model * const * m, size_t n,
                                         const struct hfx_engine_options * opts, void ** group,
                                         struct hfx_error * err) {
    enum cuda_kernel_mode mode;
    enum hfx_status       st = cuda_parse_mode(&mode, err);
    if (st != HFX_OK) {
        return st;
    }
    for (size_t k = 0; k < n; ++k) {
        if (mode == CUDA_KERNEL_BLOCK || m[k]->n_bins >= HFX_CUDA_LARGE_BINS) {
            return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL, "cuda: fits of large models are driven by the host");
        }
    }
    struct cuda_group * g = (struct cuda_group *) hfx__calloc(1, sizeof *g);
    if (!g || !(g->plans = (struct cuda_plan **) hfx__calloc(n ? n : 1, sizeof *g->plans))) {
        free(g);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a group of %zu models)", n);
    }
    g->n = n;
    for (size_t k = 0; k < n && st == HFX_OK; ++k) {
        void * p = NULL;
        st       = cuda_plan_create(m[k], opts, &p, err);
        g->plans[k] = (struct cuda_plan *) p;
    }
    const struct hfx_model ** h_models = (const struct hfx_model **) hfx__malloc((n ? n : 1) * sizeof *h_models);
    if (st == HFX_OK && !h_models) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t k = 0; k < n && st == HFX_OK; ++k) {
        h_models[k] = g->plans[k]->d_model;
    }
    if (st == HFX_OK && (st = cuda_reserve(&g->d_models, n * sizeof *h_models, err)) == HFX_OK) {
        cudaError_t e = cudaMemcpy(g->d_models.p, h_models, n * sizeof *h_models, cudaMemcpyHostToDevice);
        if (e != cudaSuccess) {
            st = hfx__error(err, HFX_ERR_DEVICE, NULL, "cuda: cudaMemcpy (group models): %s", cudaGetErrorString(e));
        }
    }
    free(h_models);
    if (st != HFX_OK) {
        cuda_group_free(g);
        return st;
    }
    *group = g;
    return HFX_OK;
}

/* One launch of hfx_cuda_group_fit_kernel over jobs[0, n), in the first plan's buffers. */
static enum hfx_status cuda_group_launch(struct cuda_group * g, struct hfx__fit_job * jobs, size_t n,
                                         struct hfx__fit_settings how, size_t slot_bytes, struct hfx_error * err) {
    struct cuda_plan * p  = g->plans[0];
    size_t             np = p->m->n_pars, nd = p->m->n_bins + p->m->n_aux;
    enum hfx_status    st = cuda_fit_staging(p, n, err);
    if (st != HFX_OK) {
        return st;
    }
    if (n > g->h_idx_cap) {
        free(g->h_idx);
        g->h_idx     = (int32_t *) hfx__malloc(n * sizeof *g->h_idx);
        g->h_idx_cap = g->h_idx ? n : 0;
        if (!g->h_idx) {
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (%zu fit jobs)", n);
        }
    }
    double * h_data = p->h_fit, * h_dc = h_data + n * nd, * h_start = h_dc + n, * h_poi = h_start + n * np;
    double * h_best = h_poi + n;
    for (size_t i = 0; i < n; ++i) {
        const struct hfx__fit_job * j = &jobs[i];
        const struct hfx_model *    m = g->plans[j->model]->m;
        memcpy(h_data + i * nd, j->data, nd * sizeof(double));
        memcpy(h_start + i * np, j->start ? j->start : m->init, np * sizeof(double));
        h_dc[i]       = j->data_const;
        h_poi[i]      = j->poi_value;
        p->h_fixed[i] = j->poi_fixed;
        g->h_idx[i]   = (int32_t) j->model;
    }
    cudaStream_t s        = p->stream;
    size_t       in_bytes = n * (nd + np + 2) * sizeof(double);
    if ((st = cuda_reserve(&p->fit_in, in_bytes, err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_fixed, n, err)) != HFX_OK ||
        (st = cuda_reserve(&g->d_idx, n * sizeof(int32_t), err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_slots, n * slot_bytes, err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_out, n * (np + 1) * sizeof(double), err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_status, 2 * n * sizeof(int), err)) != HFX_OK ||
        (st = cuda_reserve(&p->fit_descent, n * sizeof(struct hfx__fit_descent), err)) != HFX_OK) {
        return st;
    }
    HFX_CUDA_TRY(err, "cudaMemcpy (fit jobs)",
                 cudaMemcpyAsync(p->fit_in.p, h_data, in_bytes, cudaMemcpyHostToDevice, s));
    HFX_CUDA_TRY(err, "cudaMemcpy (fit jobs)",
                 cudaMemcpyAsync(p->fit_fixed.p, p->h_fixed, n, cudaMemcpyHostToDevice, s));
    HFX_CUDA_TRY(err, "cudaMemcpy (fit jobs)",
                 cudaMemcpyAsync(g->d_idx.p, g->h_idx, n * sizeof(int32_t), cudaMemcpyHostToDevice, s));
    double * d_data = (double *) p->fit_in.p, * d_dc = d_data + n * nd, * d_start = d_dc + n;
    double * d_poi  = d_start + n * np, * d_f = (double *) p->fit_out.p, * d_best = d_f + n;
    int *    d_status = (int *) p->fit_status.p;
    size_t   grid     = (n + HFX_CUDA_FIT_THREADS - 1) / HFX_CUDA_FIT_THREADS;
    hfx_cuda_group_fit_kernel<<<(unsigned) grid, HFX_CUDA_FIT_THREADS, 0, s>>>(
        (const struct hfx_model * const *) g->d_models.p, (const int32_t *) g->d_idx.p, n, d_data, d_dc, d_start,
        d_poi, (const unsigned char *) p->fit_fixed.p, how, (unsigned char *) p->fit_slots.p, slot_bytes, d_f, d_best,
        d_status, d_status + n, (struct hfx__fit_descent *) p->fit_descent.p);
    return cuda_fit_collect(p, jobs, n, np, h_best, d_f, d_status, "group fit kernel", err);
}

static enum hfx_status cuda_group_fit_jobs(void * group, struct hfx__fit_job * jobs, size_t n,
                                           const struct hfx__fit_settings * how, struct hfx_error * err) {
    struct cuda_group * g = (struct cuda_group *) group;
    size_t              slot_bytes = 0;
    for (size_t i = 0; i < n; ++i) {
        if (jobs[i].model >= g->n) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "fit job %zu: model %zu of a group of %zu", i, jobs[i].model, g->n);
        }
    }
    for (size_t k = 0; k < g->n; ++k) {
        size_t b   = hfx__slot_bytes(g->plans[k]->m, how->history);
        slot_bytes = b > slot_bytes ? b : slot_bytes;
    }
    HFX_CUDA_TRY(err, "cudaSetDevice", cudaSetDevice(g->plans[0]->device));
    size_t per_launch = HFX_CUDA_SLOT_BUDGET / slot_bytes;
    per_launch        = per_launch > 0 ? per_launch : 1;
    for (size_t i0 = 0; i0 < n; i0 += per_launch) {
        size_t          c  = n - i0 < per_launch ? n - i0 : per_launch;
        enum hfx_status st = cuda_group_launch(g, jobs + i0, c, *how, slot_bytes, err);
        if (st != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

//
// Toys
//

/* Draws the toys of sets on the device (hfx_cuda_sample_kernel), keeps them there for the fits that
 * follow (cuda_toy_row) and copies them and their data constants to the caller's arrays. */
static enum hfx_status cuda_sample_toys(void * plan, const struct hfx__toy_set * sets, size_t n_sets, uint64_t seed,
                                        double * data, double * data_const, struct hfx_error * err) {
    struct cuda_plan *       p  = (struct cuda_plan *) plan;
    const struct hfx_model * m  = p->m;
    size_t                   np = m->n_pars, nd = m->n_bins + m->n_aux, n = 0;
    for (size_t s = 0; s < n_sets; ++s) {
        n += sets[s].n;
    }
    p->toy_host = NULL; /* the device rows are overwritten below */
    if (n == 0) {
        return HFX_OK;
    }
    HFX_CUDA_TRY(err, "cudaSetDevice", cudaSetDevice(p->device));
    /* the sets' table: parameters and expected data per set, then its first row and first stream */
    size_t     gen_bytes = n_sets * (np + nd) * sizeof(double), index_bytes = 2 * n_sets * sizeof(uint64_t);
    double *   h_gen     = (double *) hfx__malloc(gen_bytes + index_bytes + sizeof(double));
    if (n * nd > p->h_toys_cap) {
        free(p->h_toys);
        p->h_toys     = (double *) hfx__malloc(n * nd * sizeof(double));
        p->h_toys_cap = p->h_toys ? n * nd : 0;
    }
    if (!h_gen || (!p->h_toys && n * nd > 0)) {
        free(h_gen);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (%zu toys)", n);
    }
    uint64_t * h_index = (uint64_t *) (h_gen + n_sets * (np + nd));
    for (size_t s = 0, r = 0; s < n_sets; r += sets[s].n, ++s) {
        memcpy(h_gen + s * (np + nd), sets[s].pars, np * sizeof(double));
        memcpy(h_gen + s * (np + nd) + np, sets[s].expected, nd * sizeof(double));
        h_index[s]          = r;
        h_index[n_sets + s] = sets[s].stream0;
    }
    cudaStream_t    s  = p->stream;
    enum hfx_status st = HFX_OK;
    if ((st = cuda_reserve(&p->toy_gen, gen_bytes + 8, err)) != HFX_OK ||
        (st = cuda_reserve(&p->toy_index, index_bytes, err)) != HFX_OK ||
        (st = cuda_reserve(&p->toy_data, n * nd * sizeof(double) + 8, err)) != HFX_OK ||
        (st = cuda_reserve(&p->toy_dc, n * sizeof(double), err)) != HFX_OK) {
        free(h_gen);
        return st;
    }
    cudaError_t ce = cudaMemcpyAsync(p->toy_gen.p, h_gen, gen_bytes, cudaMemcpyHostToDevice, s);
    if (ce == cudaSuccess) {
        ce = cudaMemcpyAsync(p->toy_index.p, h_index, index_bytes, cudaMemcpyHostToDevice, s);
    }
    if (ce == cudaSuccess) {
        const uint64_t * d_index = (const uint64_t *) p->toy_index.p;
        size_t           grid    = (n + HFX_CUDA_FIT_THREADS - 1) / HFX_CUDA_FIT_THREADS;
        hfx_cuda_sample_kernel<<<(unsigned) grid, HFX_CUDA_FIT_THREADS, 0, s>>>(
            p->d_model, n, n_sets, (const double *) p->toy_gen.p, d_index, d_index + n_sets, seed,
            (double *) p->toy_data.p, (double *) p->toy_dc.p);
        ce = cudaGetLastError();
    }
    if (ce == cudaSuccess) {
        ce = cudaMemcpyAsync(data, p->toy_data.p, n * nd * sizeof(double), cudaMemcpyDeviceToHost, s);
    }
    if (ce == cudaSuccess) {
        ce = cudaMemcpyAsync(data_const, p->toy_dc.p, n * sizeof(double), cudaMemcpyDeviceToHost, s);
    }
    if (ce == cudaSuccess) {
        ce = cudaStreamSynchronize(s); /* h_gen is read by the copies until here */
    }
    free(h_gen);
    if (ce != cudaSuccess) {
        return hfx__cuda_error(err, ce, "toy sampling");
    }
    memcpy(p->h_toys, data, n * nd * sizeof(double));
    p->toy_host = data;
    p->toy_rows = n;
    return HFX_OK;
}

/* How many fits the engine should advance together. Small models: resident fits, a thread each,
 * enough to fill the device several times over. Large models: lock-step batches driven by the host
 * (a thread block per point), a couple of points per SM. */
static size_t cuda_batch_size(void * plan) {
    const struct cuda_plan * p   = (const struct cuda_plan *) plan;
    bool                     big = p->mode == CUDA_KERNEL_BLOCK || p->m->n_bins >= HFX_CUDA_LARGE_BINS;
    return big ? (size_t) p->n_sm * 2 : 16384;
}

/* Positional (C++17 has no designated initializers); the slots' distinct types make a misplaced
 * entry a compile error. Optional slots left out are NULL (hence -Wno-missing-field-initializers in
 * cmake/hfx-cuda.cmake). */
extern "C" const struct hfx_backend_i hfx_backend_cuda = {
    /* .api_version = */ HFX_BACKEND_API_VERSION,
    /* .name        = */ "cuda",
    /* .description = */ "NVIDIA GPU: the points of a batch in parallel (a thread per point; a thread block per point "
                         "for large models)",
    /* .available   = */ cuda_available,
    /* .plan_create = */ cuda_plan_create,
    /* .plan_free   = */ cuda_plan_free,
    /* .eval        = */ cuda_eval,
    /* .batch_size  = */ cuda_batch_size,
    /* .fit_jobs    = */ cuda_fit_jobs,
    /* .group_create   = */ cuda_group_create,
    /* .group_free     = */ cuda_group_free,
    /* .group_fit_jobs = */ cuda_group_fit_jobs,
    /* .group_default  = */ true, /* a patch's 3 or 4 fits are far too few threads for a launch */
    /* .sample_toys = */ cuda_sample_toys,
};
