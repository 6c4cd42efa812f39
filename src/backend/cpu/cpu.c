/*
 * cpu.c -- the threaded CPU backend: the reference kernel on a pool of threads that plan_create
 * starts and plan_free joins (pool.c), so that a call costs a wake-up, not a thread start.
 *
 * Each call takes one of three paths:
 *  - A batch (n >= 2) is cut into contiguous ranges of points, a few per thread, which the threads
 *    claim as they become free; each range is evaluated by the reference kernel (hfx__eval_range)
 *    in the claiming thread's scratch, so the results are bit-identical to cpu-ref's, point by point.
 *  - One point of a small model is evaluated on the calling thread: a single fit is latency bound,
 *    and waking threads would cost more than they save.
 *  - One point of a large model is split over bins, one range of bins per thread. The task of a
 *    range computes the rates of its bins from the parts of the blocks that cover them, visiting
 *    blocks in the reference's order (so every rate is bit-identical), then their Poisson terms,
 *    then the gradient through those block parts into a buffer of its own. The caller adds the
 *    Poisson terms up in bin order and the constraint terms as eval.c does, so twice_nll is
 *    bit-identical too; the gradient is the constraint part plus the ranges' buffers, which regroups
 *    the sum over blocks (a few ulps of the largest component away from cpu-ref's). This path runs
 *    the per-block loops of the reference on bin ranges, with the per-entry functions of
 *    kernel/eval-kernel.h.
 * The threads are used by a batch or a split point only while they still poll after the previous
 * such call, or when the call has enough work to be worth waking them; otherwise the calling thread
 * runs every range itself, with the same numbers.
 *
 * Fits (fit_jobs): a batch of independent fits is spread over the same pool, a fit per task: each
 * thread runs whole fits in a slot of its own with hfx__slot_run (kernel/fit-slot.h), the likelihood
 * evaluated in place, so threads never wait for one another between iterations. The same slot code
 * and kernel as the engine's lock-step batches: the same minima to the bit. Model groups
 * (group_create, group_fit_jobs) run the fits of several models' jobs the same way, each job's slot
 * set up on its own model.
 *
 * Sections: the cost model, the bin split, the plan, evaluation, fits, model groups.
 */
#include "backend/backend.h"
#include "backend/cpu/pool.h"
#include "kernel/fit-slot.h"
#include "kernel/eval-kernel.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { HFX_CPU_MAX_THREADS = 256, BATCH_TASKS_PER_THREAD = 4 };

/* How long a worker polls for the next call before it sleeps. A fit on a model large enough to be
 * split calls eval every few tens of microseconds (the minimizer's own work in between is
 * O(n_pars^2)), and a polling worker joins a call within a microsecond. */
static const int64_t CPU_SPIN_NS = 200000;

/* Calls closer than this to the previous one find the workers still polling ("warm"): half the
 * polling time, a margin for the worker's clock starting a little before the caller's. */
static const int64_t CPU_WARM_NS = CPU_SPIN_NS / 2;

/* A call that finds the workers asleep runs on the calling thread alone unless it has at least
 * this much work (estimated): waking a sleeping worker costs more than the work it takes over for
 * small calls. Measured with a pool of one worker on the project's 2-core KVM guest, where the
 * woken worker's virtual CPU has to be woken by the host first: two tasks of 10 us took 41 us
 * through a sleeping worker and 20 us on the calling thread, two tasks of 50 us 106 and 97 us. */
static const double COLD_MIN_NS = 150000.0;

//
// The cost model
//
// Nanoseconds for one evaluation, estimated from the tables. The weights are a least-squares fit
// of cpu-ref timings (hfx-timeit --task nll and --task grad, one core of an Intel Xeon at 2.6 GHz)
// over the 62 models of ../shared/likelihoods/zoo at their initial parameters (with the Poisson
// weight of the gradient raised to that of the value, which the fit had put lower): within 15% on
// the models above 10 us, 45% at worst on the smallest. They only choose a path and balance the bin
// split.
//

struct cpu_cost {
    double scalar;    /* per scalar modifier entry of a block (normfactor, lumi, normsys) */
    double block_bin; /* per bin of a block */
    double histo_bin; /* per bin of a histosys entry */
    double perbin;    /* per bin of a per-bin modifier entry */
    double bin;       /* per main bin (Poisson term) */
    double aux;       /* per constraint */
};

static const struct cpu_cost COST_NLL  = {1.8, 0.5, 1.8, 1.0, 47.0, 3.5};
static const struct cpu_cost COST_GRAD = {6.4, 1.6, 4.1, 5.1, 47.0, 5.5};

/* One point is split over bins when its evaluation takes at least this long (estimated). Measured
 * with hfx-timeit --task fit --no-poi on zoo models, 2 threads against cpu-ref, on the 2-core KVM
 * guest (Xeon, 2.6 GHz) where a hand-off between cores takes some 2 us: fits whose gradient takes
 * 267, 69, 41 and 26 us got 1.64, 1.36, 1.10 and 1.14 times faster, one at 19.5 us 0.89 times
 * (the hand-offs eat the gain). The estimate is within 15% for these; 30 us leaves a margin. A
 * test can build this file with -DHFX_CPU_SPLIT_MIN_NS=0 to split every model. */
#ifndef HFX_CPU_SPLIT_MIN_NS
#define HFX_CPU_SPLIT_MIN_NS 30000.0
#endif
static const double SPLIT_MIN_NS = HFX_CPU_SPLIT_MIN_NS;

static double cost_block_bin(const struct cpu_cost * c, const struct hfx_block * b) {
    return c->block_bin + c->histo_bin * b->n_histo + c->perbin * b->n_perbin * (1 + b->n_perbin);
}

static double cost_eval(const struct hfx_model * m, const struct cpu_cost * c) {
    double t = c->bin * (double) m->n_bins + c->aux * (double) (m->n_gauss + m->n_pois);
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b = &m->blocks[k];
        t += c->scalar * b->n_scalar + cost_block_bin(c, b) * (double) b->n_bins;
    }
    return t;
}

//
// The bin split
//

/* The part of block `block` that covers its bins [i0, i1) (bins bin0 + i0 .. of the model), all in
 * one range of the bin split. */
struct cpu_seg {
    int64_t block, i0, i1;
};

struct cpu_plan {
    const struct hfx_model * m;
    int                      n_threads; /* threads of the pool, the caller included */
    struct hfx__pool *       pool;      /* NULL with one thread */
    double **                scratch;   /* [n_threads] eval scratch, then a bin split's gradient */
    size_t                   grad_off;  /* where that gradient starts in a scratch */
    double                   cost_nll, cost_grad; /* estimated ns of one point */
    int64_t                  last_end_ns;         /* when the last call that could use the pool ended */

    /* The bin split, when n_split > 1: range r holds bins [split_bin[r], split_bin[r + 1]) and the
     * block parts segs[split_seg[r] .. split_seg[r + 1]); its task works in scratch[r]. */
    int              n_split;
    bool             split_nll, split_grad;  /* whether one point is split without, with gradient */
    size_t *         split_bin, * split_seg; /* [n_split + 1] */
    struct cpu_seg * segs;
    double *         term; /* [n_bins] Poisson terms, each written by the task of its range */

    /* Resident fits: one fit slot per thread, made on the first fit_jobs call (an engine used only
     * for evaluation needs no minimizer state). */
    struct hfx__fit_slot * slots;
    void *                 slot_mem;
};

/* Rates of block part sg: lam += S P base over its bins, keeping base, P and S for the gradient
 * (the reference's own block loop on a part of the block: the same bits). */
static void split_forward(const struct hfx_model * m, const struct cpu_seg * sg, const double * pars, double * lam,
                          double * base, double * prod, double * block_s) {
    const struct hfx_block * b = &m->blocks[sg->block];
    double                   s = hfx__kernel_block_scale(m, b, pars);
    block_s[sg->block]         = s;
    hfx__kernel_block_rates(m, b, pars, s, sg->i0, sg->i1, lam, base, prod, NULL);
}

/* grad += d twice_nll / d pars through block part sg, given w = d twice_nll / d lam; f is scratch
 * of 3 (n_scalar_max + 1) doubles. */
static void split_backward(const struct hfx_model * m, const struct cpu_seg * sg, const double * pars, const double * w,
                           const double * base, const double * prod, const double * block_s, double * grad,
                           double * f) {
    const struct hfx_block * b     = &m->blocks[sg->block];
    const double *           bbase = &base[b->nom];
    const double *           bprod = &prod[b->nom];
    const double *           bw    = &w[b->bin0];
    double                   s     = block_s[sg->block];
    if (b->n_scalar > 0) {
        double g = 0.0;
        for (int64_t i = sg->i0; i < sg->i1; ++i) {
            g += bw[i] * bprod[i] * bbase[i];
        }
        double * df    = f + m->n_scalar_max + 1;
        double * slope = df + m->n_scalar_max + 1;
        hfx__kernel_scalar_slopes(m, b, pars, f, df, slope);
        for (int32_t j = 0; j < b->n_scalar; ++j) {
            grad[m->scalars[b->scalar0 + j].par] += slope[j] * g;
        }
    }
    for (int32_t q = 0; q < b->n_perbin; ++q) {
        int32_t par0 = m->perbins[b->perbin0 + q].par0;
        for (int64_t i = sg->i0; i < sg->i1; ++i) {
            grad[par0 + i] += bw[i] * s * bbase[i] * hfx__kernel_perbin_other(m, b, pars, q, i);
        }
    }
    for (int32_t h = 0; h < b->n_histo; ++h) {
        const struct hfx_mod_histo * hs = &m->histos[b->histo0 + h];
        double                       g  = 0.0;
        for (int64_t i = sg->i0; i < sg->i1; ++i) {
            g += bw[i] * bprod[i] * hfx__kernel_histo_slope(m, hs, pars, i);
        }
        grad[hs->par] += s * g;
    }
}

struct split_call {
    const struct cpu_plan * p;
    const double *          pars, * data;
    bool                    grad;
};

/* Bin range `task` of a split evaluation: rates, Poisson terms and gradient of its bins, in the
 * scratch of the task (the gradient stays there for the caller to add up), not of the thread. */
static void split_task(void * ctx, int task, int thread) {
    (void) thread;
    int                       r       = task;
    const struct split_call * c       = ctx;
    const struct cpu_plan *   p       = c->p;
    const struct hfx_model *  m       = p->m;
    double *                  lam     = p->scratch[r];
    double *                  w       = lam + m->n_bins;
    double *                  base    = w + m->n_bins;
    double *                  prod    = base + m->n_nominal;
    double *                  block_s = prod + m->n_nominal;
    double *                  rest    = block_s + m->n_blocks;
    double *                  grad    = p->scratch[r] + p->grad_off;
    size_t                    lo = p->split_bin[r], hi = p->split_bin[r + 1];
    const struct cpu_seg *    s0 = p->segs + p->split_seg[r], * s1 = p->segs + p->split_seg[r + 1];

    for (size_t b = lo; b < hi; ++b) {
        lam[b] = 0.0;
    }
    for (const struct cpu_seg * sg = s0; sg < s1; ++sg) {
        split_forward(m, sg, c->pars, lam, base, prod, block_s);
    }
    bool finite = true;
    for (size_t b = lo; b < hi; ++b) {
        p->term[b] = hfx_poisson_term(c->data[b], lam[b], &w[b]);
        finite     = finite && isfinite(p->term[b]);
    }
    /* A term that is not finite makes twice_nll infinite, and the caller then keeps only the
     * constraint gradient, as eval.c does. */
    if (!c->grad || !finite) {
        return;
    }
    memset(grad, 0, m->n_pars * sizeof *grad);
    for (const struct cpu_seg * sg = s0; sg < s1; ++sg) {
        split_backward(m, sg, c->pars, w, base, prod, block_s, grad, rest);
    }
}

/* twice_nll (and its gradient) at one point, split over bins, its ranges run by pool's threads (all
 * on the caller for NULL: the same numbers); the tail of hfx__eval_twice_nll. */
static double split_eval(const struct cpu_plan * p, struct hfx__pool * pool, const double * pars, const double * data,
                         double data_const, double * grad) {
    const struct hfx_model * m = p->m;
    struct split_call        c = {p, pars, data, grad != NULL};
    hfx__pool_run(pool, p->n_split, split_task, &c);

    double t = 0.0;
    for (size_t b = 0; b < m->n_bins; ++b) {
        t += p->term[b];
    }
    const double * aux = data + m->n_bins;
    if (grad) {
        memset(grad, 0, m->n_pars * sizeof *grad);
    }
    t = hfx__kernel_add_constraints(m, pars, aux, t, grad);
    if (grad && isfinite(t)) {
        for (int r = 0; r < p->n_split; ++r) {
            const double * g = p->scratch[r] + p->grad_off;
            for (size_t j = 0; j < m->n_pars; ++j) {
                grad[j] += g[j];
            }
        }
    }
    return t + data_const;
}

/* Cuts the bins into at most n ranges of about equal estimated cost, preferring channel
 * boundaries (a block cut in two computes its scalar factors in both threads), and lists each
 * range's block parts. Ranges left empty are dropped, so n_split may come out below n. */
static bool split_plan(struct cpu_plan * p, int n) {
    const struct hfx_model * m   = p->m;
    size_t                   nb  = m->n_bins;
    double *                 cum = hfx__calloc(nb + 1, sizeof *cum); /* cum[b]: cost of bins [0, b) */
    size_t *                 cut = hfx__calloc((size_t) n + 1, sizeof *cut);
    /* a block overlaps each range at most once */
    p->split_bin = hfx__calloc((size_t) n + 1, sizeof *p->split_bin);
    p->split_seg = hfx__calloc((size_t) n + 1, sizeof *p->split_seg);
    p->segs      = hfx__calloc(m->n_blocks * (size_t) n + 1, sizeof *p->segs);
    p->term      = hfx__calloc(nb + 1, sizeof *p->term);
    if (!cum || !cut || !p->split_bin || !p->split_seg || !p->segs || !p->term) {
        free(cum);
        free(cut);
        return false;
    }
    /* The cost of a block is spread over its bins. */
    for (size_t k = 0; k < m->n_blocks; ++k) {
        const struct hfx_block * b = &m->blocks[k];
        if (b->n_bins == 0) {
            continue;
        }
        double per = cost_block_bin(&COST_GRAD, b) + COST_GRAD.scalar * b->n_scalar / (double) b->n_bins;
        for (int64_t i = 0; i < b->n_bins; ++i) {
            cum[b->bin0 + i + 1] += per;
        }
    }
    for (size_t b = 0; b < nb; ++b) {
        cum[b + 1] += cum[b] + COST_GRAD.bin;
    }
    double total = cum[nb];
    cut[0]       = 0;
    cut[n]       = nb;
    for (int t = 1; t < n; ++t) {
        double target = total * t / n;
        size_t best   = cut[t - 1];
        for (size_t b = best; b <= nb; ++b) {
            if (fabs(cum[b] - target) < fabs(cum[best] - target)) {
                best = b;
            }
        }
        /* The nearest channel boundary instead, unless that unbalances the threads by more than
         * an eighth of a share. */
        double slack = total / (8.0 * n);
        for (size_t ch = 0; ch < m->n_channels; ++ch) {
            size_t b0 = m->channel_bin0[ch];
            if (b0 >= cut[t - 1] && fabs(cum[b0] - target) <= slack) {
                best  = b0;
                slack = fabs(cum[b0] - target);
            }
        }
        cut[t] = best;
    }
    size_t n_segs = 0;
    p->n_split    = 0;
    for (int t = 0; t < n; ++t) {
        if (cut[t + 1] <= cut[t]) {
            continue;
        }
        p->split_bin[p->n_split] = cut[t];
        p->split_seg[p->n_split] = n_segs;
        for (size_t k = 0; k < m->n_blocks; ++k) {
            const struct hfx_block * b  = &m->blocks[k];
            int64_t                  i0 = (int64_t) cut[t] - b->bin0, i1 = (int64_t) cut[t + 1] - b->bin0;
            i0                          = i0 > 0 ? i0 : 0;
            i1                          = i1 < b->n_bins ? i1 : b->n_bins;
            if (i0 < i1) {
                p->segs[n_segs++] = (struct cpu_seg){(int64_t) k, i0, i1};
            }
        }
        p->n_split += 1;
    }
    p->split_bin[p->n_split] = nb;
    p->split_seg[p->n_split] = n_segs;
    free(cum);
    free(cut);
    return true;
}

//
// The plan
//

static void cpu_plan_free(void * plan) {
    struct cpu_plan * p = plan;
    if (!p) {
        return;
    }
    hfx__pool_free(p->pool); /* first: the workers read the rest */
    for (int t = 0; t < p->n_threads && p->scratch; ++t) {
        free(p->scratch[t]);
    }
    free(p->scratch);
    free(p->split_bin);
    free(p->split_seg);
    free(p->segs);
    free(p->term);
    free(p->slots);
    free(p->slot_mem);
    free(p);
}

static enum hfx_status cpu_plan_create(const struct hfx_model * m, const struct hfx_engine_options * opts,
                                       void ** plan, struct hfx_error * err) {
    struct cpu_plan * p = hfx__calloc(1, sizeof *p);
    if (!p) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    long ncpu     = sysconf(_SC_NPROCESSORS_ONLN);
    ncpu          = ncpu > 0 ? ncpu : 1;
    int n_threads = opts && opts->n_threads > 0 ? opts->n_threads : (int) ncpu;
    n_threads     = n_threads < HFX_CPU_MAX_THREADS ? n_threads : HFX_CPU_MAX_THREADS;
    p->m          = m;
    p->n_threads  = 1;
    if (n_threads > 1) {
        /* Polling only pays when every thread has a core of its own. */
        p->pool = hfx__pool_create(n_threads - 1, n_threads <= ncpu ? CPU_SPIN_NS : 0);
        if (!p->pool) {
            cpu_plan_free(p);
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
        p->n_threads = hfx__pool_size(p->pool); /* fewer if the system refused threads */
    }
    /* Scratch rounded up to whole cache lines, so that no two threads write the same line. */
    p->grad_off = (hfx__eval_scratch_size(m) + 7) / 8 * 8;
    size_t size = (p->grad_off + m->n_pars + 7) / 8 * 8 * sizeof(double);
    p->scratch  = hfx__calloc((size_t) p->n_threads, sizeof *p->scratch);
    for (int t = 0; p->scratch && t < p->n_threads; ++t) {
        p->scratch[t] = hfx__aligned_alloc(64, size);
        if (!p->scratch[t]) {
            cpu_plan_free(p);
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
    }
    if (!p->scratch) {
        cpu_plan_free(p);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    p->cost_nll    = cost_eval(m, &COST_NLL);
    p->cost_grad   = cost_eval(m, &COST_GRAD);
    p->last_end_ns = INT64_MIN / 2; /* long ago: the first call finds the workers asleep */
    int n_split    = p->n_threads < ncpu ? p->n_threads : (int) ncpu; /* more would only take turns */
    p->split_nll   = n_split > 1 && p->cost_nll >= SPLIT_MIN_NS;
    p->split_grad  = n_split > 1 && p->cost_grad >= SPLIT_MIN_NS;
    if ((p->split_nll || p->split_grad) && !split_plan(p, n_split)) {
        cpu_plan_free(p);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    if (p->n_split < 2) {
        p->split_nll = p->split_grad = false; /* a single bin range: nothing to split */
    }
    *plan = p;
    return HFX_OK;
}

//
// Evaluation
//

struct batch_call {
    const struct cpu_plan * p;
    size_t                  n;
    int                     n_tasks;
    const double *          pars, * data, * data_const;
    size_t                  data_stride;
    double *                out, * grad;
};

/* Points of batch task `task`: the task-th of n_tasks contiguous ranges of equal size (+-1). */
static void batch_task(void * ctx, int task, int thread) {
    const struct batch_call * c = ctx;
    size_t                    b = c->n * (size_t) task / (size_t) c->n_tasks;
    size_t                    e = c->n * (size_t) (task + 1) / (size_t) c->n_tasks;
    hfx__eval_range(c->p->m, b, e, c->pars, c->data, c->data_stride, c->data_const, c->out, c->grad,
                    c->p->scratch[thread]);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static enum hfx_status cpu_eval(void * plan, size_t n, const double * pars, const double * data, size_t data_stride,
                                const double * data_const, double * out, double * grad, struct hfx_error * err) {
    (void) err;
    struct cpu_plan * p     = plan;
    bool              split = n == 1 && (grad ? p->split_grad : p->split_nll);
    if (n == 0 || (n == 1 && !split)) {
        hfx__eval_range(p->m, 0, n, pars, data, data_stride, data_const, out, grad, p->scratch[0]);
        return HFX_OK;
    }
    /* The workers, if they still poll after the previous call or if the call is worth waking them. */
    struct hfx__pool * pool = NULL;
    if (p->pool) {
        double work = (double) n * (grad ? p->cost_grad : p->cost_nll);
        pool        = now_ns() - p->last_end_ns < CPU_WARM_NS || work >= COLD_MIN_NS ? p->pool : NULL;
    }
    if (split) {
        out[0] = split_eval(p, pool, pars, data, data_const[0], grad);
    } else {
        /* A few ranges per thread rather than one: a thread that the system schedules late (the
         * cores may be shared with other processes) then leaves its unstarted ranges to others. */
        size_t            n_tasks = pool ? (size_t) p->n_threads * BATCH_TASKS_PER_THREAD : 1;
        struct batch_call c = {p, n, (int) (n < n_tasks ? n : n_tasks), pars, data, data_const, data_stride, out, grad};
        hfx__pool_run(pool, c.n_tasks, batch_task, &c);
    }
    if (p->pool) {
        p->last_end_ns = now_ns();
    }
    return HFX_OK;
}

//
// Fits
//

struct fits_call {
    struct cpu_plan *     p;
    struct hfx__fit_job *      jobs;
    struct hfx__fit_settings how;
};

static void fit_task(void * ctx, int task, int thread) {
    struct fits_call * c = ctx;
    if (c->how.cancelled && c->how.cancelled(c->how.cancel_ctx)) {
        return; /* the call stops (hfx_engine_cancel): the fits not started are left, their results unused */
    }
    struct hfx__fit_slot * s = &c->p->slots[thread];
    hfx__slot_describe(s, &c->jobs[task], c->how);
    hfx__slot_run(s);
    hfx__slot_result(s, &c->jobs[task]);
}

static enum hfx_status cpu_fit_jobs(void * plan, struct hfx__fit_job * jobs, size_t n,
                                    const struct hfx__fit_settings * how, struct hfx_error * err) {
    struct cpu_plan * p = plan;
    if (!p->slots) {
        size_t bytes = hfx__slot_bytes(p->m, how->history); /* the same for every call on an engine */
        p->slots     = hfx__calloc((size_t) p->n_threads, sizeof *p->slots);
        p->slot_mem  = hfx__aligned_alloc(64, (size_t) p->n_threads * bytes);
        if (!p->slots || !p->slot_mem) {
            free(p->slots);
            free(p->slot_mem);
            p->slots    = NULL;
            p->slot_mem = NULL;
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (fit slots)");
        }
        for (int t = 0; t < p->n_threads; ++t) {
            hfx__slot_init(&p->slots[t], p->m, (unsigned char *) p->slot_mem + (size_t) t * bytes, how->history);
        }
    }
    for (size_t i0 = 0; i0 < n; i0 += HFX__POOL_MAX_TASKS) {
        size_t           c    = n - i0 < HFX__POOL_MAX_TASKS ? n - i0 : HFX__POOL_MAX_TASKS;
        struct fits_call call = {p, jobs + i0, *how};
        hfx__pool_run(p->pool, (int) c, fit_task, &call); /* a fit is worth waking the workers for */
        if (how->cancelled && how->cancelled(how->cancel_ctx)) {
            break; /* hfx__fit_jobs returns HFX_ERR_CANCELLED */
        }
    }
    p->last_end_ns = now_ns();
    return HFX_OK;
}

//
// Model groups
//
// A group is the plan of its first model (its pool of threads) and the list of its models: a fit
// task initialises its thread's slot on the model of its job (hfx__slot_init only carves memory,
// sized for the largest model of the group) and runs it as fit_task does, so that a fit in a group
// is bit for bit the fit of its model's own plan (docs/batching.md).
//

struct cpu_group {
    struct cpu_plan *         p;      /* the plan of m[0]: threads and pool */
    const struct hfx_model ** m;      /* [n] borrowed */
    size_t                    n;
    size_t                    slot_bytes; /* per thread, for the largest model (0: not made yet) */
    int                       history;
    void *                    slot_mem;   /* [n_threads * slot_bytes] */
};

static void cpu_group_free(void * group) {
    struct cpu_group * g = group;
    if (!g) {
        return;
    }
    cpu_plan_free(g->p);
    free(g->m);
    free(g->slot_mem);
    free(g);
}

static enum hfx_status cpu_group_create(const struct hfx_model * const * m, size_t n,
                                        const struct hfx_engine_options * opts, void ** group,
                                        struct hfx_error * err) {
    if (n == 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "a model group needs at least one model");
    }
    struct cpu_group * g = hfx__calloc(1, sizeof *g);
    if (!g || !(g->m = hfx__malloc(n * sizeof *g->m))) {
        free(g);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a group of %zu models)", n);
    }
    memcpy(g->m, m, n * sizeof *g->m);
    g->n               = n;
    void *          p  = NULL;
    enum hfx_status st = cpu_plan_create(m[0], opts, &p, err);
    if (st != HFX_OK) {
        cpu_group_free(g);
        return st;
    }
    g->p   = p;
    *group = g;
    return HFX_OK;
}

struct group_call {
    struct cpu_group *       g;
    struct hfx__fit_job *    jobs;
    struct hfx__fit_settings how;
};

static void group_fit_task(void * ctx, int task, int thread) {
    struct group_call *    c = ctx;
    struct hfx__fit_job *  j = &c->jobs[task];
    struct hfx__fit_slot   s;
    hfx__slot_init(&s, c->g->m[j->model], (unsigned char *) c->g->slot_mem + (size_t) thread * c->g->slot_bytes,
                   c->how.history);
    hfx__slot_describe(&s, j, c->how);
    hfx__slot_run(&s);
    hfx__slot_result(&s, j);
}

static enum hfx_status cpu_group_fit_jobs(void * group, struct hfx__fit_job * jobs, size_t n,
                                          const struct hfx__fit_settings * how, struct hfx_error * err) {
    struct cpu_group * g = group;
    for (size_t i = 0; i < n; ++i) {
        if (jobs[i].model >= g->n) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "fit job %zu: model %zu of a group of %zu", i, jobs[i].model, g->n);
        }
    }
    if (!g->slot_mem || g->history != how->history) {
        size_t bytes = 0;
        for (size_t k = 0; k < g->n; ++k) {
            size_t b = hfx__slot_bytes(g->m[k], how->history);
            bytes    = b > bytes ? b : bytes;
        }
        free(g->slot_mem);
        g->slot_mem   = hfx__aligned_alloc(64, (size_t) g->p->n_threads * bytes);
        g->slot_bytes = g->slot_mem ? bytes : 0;
        g->history    = how->history;
        if (!g->slot_mem) {
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (fit slots)");
        }
    }
    for (size_t i0 = 0; i0 < n; i0 += HFX__POOL_MAX_TASKS) {
        size_t            c    = n - i0 < HFX__POOL_MAX_TASKS ? n - i0 : HFX__POOL_MAX_TASKS;
        struct group_call call = {g, jobs + i0, *how};
        hfx__pool_run(g->p->pool, (int) c, group_fit_task, &call);
    }
    g->p->last_end_ns = now_ns();
    return HFX_OK;
}

/* Fits per batch: several per thread, so that the fits of a batch that take longest are few
 * among many; one thread: one at a time (cpu-ref's choice, no slots to cycle through the cache). */
static size_t cpu_batch_size(void * plan) {
    const struct cpu_plan * p = plan;
    return p->n_threads > 1 ? 8 * (size_t) p->n_threads : 1;
}

const struct hfx_backend_i hfx_backend_cpu = {
    .api_version = HFX_BACKEND_API_VERSION,
    .name        = "cpu",
    .description = "a pool of threads over batches of points, or over the bins of one point of a large model",
    .available   = NULL,
    .plan_create = cpu_plan_create,
    .plan_free   = cpu_plan_free,
    .eval        = cpu_eval,
    .batch_size  = cpu_batch_size,
    .fit_jobs    = cpu_fit_jobs,
    .group_create   = cpu_group_create,
    .group_free     = cpu_group_free,
    .group_fit_jobs = cpu_group_fit_jobs,
    .group_default  = false, /* a patch per thread is as fast on a CPU (docs/batching.md, measured) */
};
