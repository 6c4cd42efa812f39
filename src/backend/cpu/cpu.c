/*
 * cpu.c -- the threaded CPU backend: the reference kernel, with a batch of points split across
 * threads. One point is evaluated on the calling thread (a single fit is latency-bound: threads
 * would only add synchronisation); batches of toys or patches spread over n_threads workers, each
 * with its own scratch. Results are identical to cpu-ref point by point (same kernel, same order).
 */
#include "backend/backend.h"

#include <pthread.h>
#include <unistd.h>

struct cpu_plan {
    const struct hfx_model * m;
    int                      n_threads;
    double **                scratch; /* [n_threads] */
};

struct cpu_job {
    const struct cpu_plan * p;
    size_t                  begin, end;
    const double *          pars, * data, * data_const;
    size_t                  data_stride;
    double *                out, * grad;
    double *                scratch;
};

static void * cpu_worker(void * arg) {
    struct cpu_job * j = arg;
    hfx__eval_range(j->p->m, j->begin, j->end, j->pars, j->data, j->data_stride, j->data_const, j->out, j->grad,
                    j->scratch);
    return NULL;
}

static void cpu_plan_free(void * plan) {
    struct cpu_plan * p = plan;
    if (!p) {
        return;
    }
    for (int t = 0; t < p->n_threads && p->scratch; ++t) {
        free(p->scratch[t]);
    }
    free(p->scratch);
    free(p);
}

static enum hfx_status cpu_plan_create(const struct hfx_model * m, const struct hfx_engine_options * opts,
                                       void ** plan, struct hfx_error * err) {
    struct cpu_plan * p = calloc(1, sizeof *p);
    if (!p) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    long ncpu    = sysconf(_SC_NPROCESSORS_ONLN);
    p->m         = m;
    p->n_threads = opts && opts->n_threads > 0 ? opts->n_threads : (int) (ncpu > 0 ? ncpu : 1);
    p->scratch   = calloc((size_t) p->n_threads, sizeof *p->scratch);
    if (!p->scratch) {
        cpu_plan_free(p);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (int t = 0; t < p->n_threads; ++t) {
        p->scratch[t] = malloc(hfx__eval_scratch_size(m) * sizeof(double));
        if (!p->scratch[t]) {
            cpu_plan_free(p);
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
    }
    *plan = p;
    return HFX_OK;
}

enum { HFX_CPU_MAX_THREADS = 256 };

static enum hfx_status cpu_eval(void * plan, size_t n, const double * pars, const double * data, size_t data_stride,
                                const double * data_const, double * out, double * grad, struct hfx_error * err) {
    struct cpu_plan * p     = plan;
    size_t            nthr  = (size_t) p->n_threads;
    if (nthr > HFX_CPU_MAX_THREADS) {
        nthr = HFX_CPU_MAX_THREADS;
    }
    if (nthr > n) {
        nthr = n;
    }
    struct cpu_job jobs[HFX_CPU_MAX_THREADS];
    pthread_t      tids[HFX_CPU_MAX_THREADS];
    size_t         per = nthr ? (n + nthr - 1) / nthr : 0;
    for (size_t t = 0; t < nthr; ++t) {
        size_t b = t * per, e = b + per < n ? b + per : n;
        jobs[t]  = (struct cpu_job){p, b, e, pars, data, data_const, data_stride, out, grad, p->scratch[t]};
    }
    if (nthr <= 1) {
        if (nthr == 1) {
            cpu_worker(&jobs[0]);
        }
        return HFX_OK;
    }
    size_t started = 1;
    for (size_t t = 1; t < nthr; ++t, ++started) {
        if (pthread_create(&tids[t], NULL, cpu_worker, &jobs[t]) != 0) {
            break;
        }
    }
    cpu_worker(&jobs[0]);
    for (size_t t = started; t < nthr; ++t) {
        cpu_worker(&jobs[t]); /* threads we could not start: do their share here */
    }
    for (size_t t = 1; t < started; ++t) {
        pthread_join(tids[t], NULL);
    }
    (void) err;
    return HFX_OK;
}

const struct hfx_backend_i hfx_backend_cpu = {
    .api_version = HFX_BACKEND_API_VERSION,
    .name        = "cpu",
    .description = "threads over batches of points, reference kernel",
    .available   = NULL,
    .plan_create = cpu_plan_create,
    .plan_free   = cpu_plan_free,
    .eval        = cpu_eval,
};
