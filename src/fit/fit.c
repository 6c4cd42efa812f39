/*
 * fit.c -- engines, the batch driver and fits.
 *
 * An engine binds a model to a backend plan, and answers what inference asks of it (engine-ops.h:
 * fit jobs, toy draws, expected data, data constants) with that plan. Fits run in the slots of a
 * batch (engine.h): every round sends the pending points of all active slots to the backend in one call, so that toys,
 * scan points and the independent fits of a hypotest share calls, and a threaded or device
 * backend gets work it can spread. The batch, the Hessian buffers and the slots' memory are made on
 * first use and kept: an engine used only for evaluation allocates no optimizer state, and no
 * round allocates anything.
 */
#include "core/array.h"
#include "core/clock.h"
#include "fit/engine.h"
#include "kernel/hessian-kernel.h"
#include "kernel/sample-kernel.h"

#include <math.h>
#include <string.h>

/* The slots of one batch may take this much memory at most (the dense BFGS matrix is n_pars^2):
 * sbottom (64 parameters) fits ~6000 slots in it, a 600-parameter model ~90. */
#define HFX_BATCH_MEMORY_MAX ((size_t) 256 << 20)

/* One fit may take this much: its dense BFGS matrix (and a Hessian's) is n_pars^2 doubles, so this
 * is about 16,000 parameters with BFGS (11,500 for the Hessian and its inverse); L-BFGS's state is
 * ~40 doubles per parameter. Beyond, a fit is refused with a message rather than allocated and left
 * to the kernel's out-of-memory killer, or evaluated and refused at the first step. */
#define HFX_FIT_MEMORY_MAX ((size_t) 2 << 30)

/* The error for a model too large for a fit (with L-BFGS, whose state is ~40 doubles per parameter,
 * only past ~6 million parameters; with BFGS, which the caller asked for, past ~16,000). */
enum hfx_status hfx__fit_check_size(const struct hfx_model * m, int history, struct hfx_error * err) {
    size_t bytes = hfx__slot_bytes(m, history);
    if (bytes <= HFX_FIT_MEMORY_MAX) {
        return HFX_OK;
    }
    if (history > 0) {
        return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL,
                          "a fit of this model's %zu parameters needs %.1f GB of optimizer state; hfx fits "
                          "models of up to %.1f GB of it. Evaluation (hfx eval) works at any size",
                          m->n_pars, (double) bytes / 1e9, (double) HFX_FIT_MEMORY_MAX / 1e9);
    }
    return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL,
                      "a fit of this model's %zu parameters needs %.1f GB of optimizer state (a dense %zu x %zu "
                      "quasi-Newton matrix); hfx fits models of up to %.1f GB of it (about 16,000 parameters "
                      "with BFGS; the limited-memory optimizer, --optimizer lbfgs, has no such limit). "
                      "Evaluation (hfx eval) works at any size",
                      m->n_pars, (double) bytes / 1e9, m->n_pars, m->n_pars, (double) HFX_FIT_MEMORY_MAX / 1e9);
}

static enum hfx_status check_fit_size(hfx_engine_t e, struct hfx_error * err) {
    return hfx__fit_check_size(e->m, e->how.history, err);
}

/* The error for uncertainties too large to compute: the Hessian and its inverse are dense whatever
 * the optimizer, two n^2 matrices (2 GB: about 11,500 parameters). Checked before the fit, so that
 * nobody waits for a fit whose result then cannot be reported. */
static enum hfx_status check_hessian_size(hfx_engine_t e, struct hfx_error * err) {
    size_t np   = e->m->n_pars;
    double need = 2.0 * (double) np * (double) np * sizeof(double);
    if (need <= (double) HFX_FIT_MEMORY_MAX) {
        return HFX_OK;
    }
    return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL,
                      "the uncertainties of this model's %zu parameters need %.1f GB (a dense %zu x %zu Hessian "
                      "and its inverse); hfx computes them for up to %.1f GB (about 11,500 parameters). The fit "
                      "itself works: ask for it without uncertainties (hfx fit --no-uncertainties)",
                      np, need / 1e9, np, np, (double) HFX_FIT_MEMORY_MAX / 1e9);
}

const char * hfx_fit_status_str(enum hfx_fit_status s) {
    switch (s) {
    case HFX_FIT_CONVERGED:
        return "converged";
    case HFX_FIT_MAX_ITER:
        return "max-iterations";
    case HFX_FIT_STALLED:
        return "stalled";
    case HFX_FIT_FAILED:
        return "failed";
    }
    return "unknown";
}

enum hfx_fit_status hfx_fit_status_worse(enum hfx_fit_status a, enum hfx_fit_status b) {
    static const int rank[4] = {[HFX_FIT_CONVERGED] = 0, [HFX_FIT_STALLED] = 1, [HFX_FIT_MAX_ITER] = 2,
                                [HFX_FIT_FAILED] = 3};
    return rank[a] >= rank[b] ? a : b;
}

//
// Warnings
//

void hfx__engine_warnings_reset(hfx_engine_t e) { e->n_warnings = 0; }

//
// Cancellation (hfx.h): two flags, read once per round of a batch (an atomic load beside a
// likelihood evaluation costs nothing measurable)
//

static atomic_bool cancel_all;
/* a signal handler may only touch a lock-free atomic */
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "hfx_cancel_all needs a lock-free atomic_bool");

void hfx_cancel_all(bool cancel) { atomic_store(&cancel_all, cancel); }

void hfx_engine_cancel(hfx_engine_t e, bool cancel) {
    if (e) {
        atomic_store(&e->cancel, cancel);
    }
}

bool hfx__cancelled(hfx_engine_t e) {
    return atomic_load_explicit(&e->cancel, memory_order_relaxed) ||
           atomic_load_explicit(&cancel_all, memory_order_relaxed);
}

static bool engine_cancelled(const void * ctx) { return hfx__cancelled((hfx_engine_t) ctx); }

/* for fits that run without an engine of their own (model groups): the process-wide request only */
static bool process_cancelled(const void * ctx) {
    (void) ctx;
    return atomic_load_explicit(&cancel_all, memory_order_relaxed);
}

enum hfx_status hfx__cancel_error(struct hfx_error * err) {
    return hfx__error(err, HFX_ERR_CANCELLED, NULL, "cancelled on request (an interrupt)");
}

size_t hfx_engine_n_warnings(hfx_engine_t e) { return e ? e->n_warnings : 0; }

const struct hfx_fit_warning * hfx_engine_warning(hfx_engine_t e, size_t i) {
    return e && i < e->n_warnings ? &e->warnings[i] : NULL;
}

enum hfx_status hfx__engine_note_descent(hfx_engine_t e, const struct hfx__fit_job * j, struct hfx_error * err) {
    return hfx__warnings_note(&e->warnings, &e->n_warnings, &e->cap_warnings, e->m, e->how.explore, j, err);
}

enum hfx_status hfx__warnings_note(struct hfx_fit_warning ** list, size_t * n_list, size_t * cap_list,
                                   const struct hfx_model * m, int explore, const struct hfx__fit_job * j,
                                   struct hfx_error * err) {
    double gap = j->descent.twice_nll - j->twice_nll;
    if (j->role == HFX_FIT_ROLE_NONE || explore == HFX_EXPLORE_NONE || !(gap > HFX_MULTIMODAL_DELTA)) {
        return HFX_OK;
    }
    struct hfx_fit_warning * w = NULL;
    if (j->role == HFX_FIT_ROLE_TOYS) { /* one warning for all toys: the largest difference */
        for (size_t i = 0; i < *n_list && !w; ++i) {
            w = (*list)[i].role == HFX_FIT_ROLE_TOYS ? &(*list)[i] : NULL;
        }
        if (w) {
            w->n_fits++;
            if (gap <= w->twice_nll_descent - w->twice_nll) {
                return HFX_OK;
            }
        }
    }
    if (!w) {
        size_t bytes;
        if (!HFX_ARRAY_RESERVE(*list, *cap_list, *n_list + 1, 8, &bytes)) {
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (%zu fit warnings)", bytes / sizeof **list);
        }
        w         = &(*list)[(*n_list)++];
        w->n_fits = 1;
    }
    w->role              = (enum hfx_fit_role) j->role;
    w->asimov            = j->asimov;
    w->poi_value         = j->poi_fixed ? j->poi_value : NAN;
    w->twice_nll         = j->twice_nll;
    w->twice_nll_descent = j->descent.twice_nll;
    w->n_moved           = (size_t) j->descent.n_moved;
    w->n_held            = 0;
    for (size_t i = 0; j->fixed && j->start && i < m->n_pars && w->n_held < 2; ++i) {
        if (j->fixed[i] && !m->fixed[i] && (long) i != m->poi) {
            w->held[w->n_held]         = i;
            w->held_value[w->n_held++] = j->start[i];
        }
    }
    for (int k = 0; k < j->descent.n_moved; ++k) {
        w->moved[k]      = (size_t) j->descent.moved[k];
        w->at_descent[k] = j->descent.at_descent[k];
        w->at_best[k]    = j->descent.at_best[k];
    }
    return HFX_OK;
}

//
// Batches
//

static void batch_free(struct hfx__batch * b) {
    if (!b) {
        return;
    }
    free(b->slots);
    free(b->slot_mem);
    free(b->pars);
    free(b->grad);
    free(b->out);
    free(b->data);
    free(b->data_const);
    free(b->active);
    free(b);
}

static enum hfx_status batch_create(hfx_engine_t e, size_t cap, struct hfx__batch ** out, struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   np = m->n_pars ? m->n_pars : 1, bytes = hfx__slot_bytes(m, e->how.history);
    struct hfx__batch *      b  = hfx__calloc(1, sizeof *b);
    if (b) {
        b->e          = e;
        b->cap        = cap;
        b->slots      = hfx__calloc(cap, sizeof *b->slots);
        b->slot_mem   = hfx__aligned_alloc(64, cap * bytes);
        b->pars       = hfx__malloc(cap * np * sizeof(double));
        b->grad       = hfx__malloc(cap * np * sizeof(double));
        b->out        = hfx__malloc(cap * sizeof(double));
        b->data       = hfx__malloc(cap * e->n_data * sizeof(double) + sizeof(double));
        b->data_const = hfx__malloc(cap * sizeof(double));
        b->active     = hfx__malloc(cap * sizeof(size_t));
    }
    if (!b || !b->slots || !b->slot_mem || !b->pars || !b->grad || !b->out || !b->data || !b->data_const ||
        !b->active) {
        batch_free(b);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (a batch of %zu fits)", cap);
    }
    for (size_t i = 0; i < cap; ++i) {
        hfx__slot_init(&b->slots[i], m, (unsigned char *) b->slot_mem + i * bytes, e->how.history);
    }
    *out = b;
    return HFX_OK;
}

enum hfx_status hfx__engine_batch(hfx_engine_t e, size_t want, struct hfx__batch ** out, struct hfx_error * err) {
    size_t limit = HFX_BATCH_MEMORY_MAX / hfx__slot_bytes(e->m, e->how.history);
    limit        = limit < e->batch_max ? limit : e->batch_max;
    size_t cap   = want < limit ? want : limit;
    cap          = cap ? cap : 1;
    if (!e->batch || e->batch->cap < cap) {
        struct hfx__batch * b  = NULL;
        enum hfx_status     st = batch_create(e, cap, &b, err);
        if (st != HFX_OK) {
            return st;
        }
        batch_free(e->batch);
        e->batch = b;
    }
    e->batch->n = cap;
    *out        = e->batch;
    return HFX_OK;
}

void hfx__batch_start(struct hfx__batch * b, size_t i) {
    b->e->stats.n_fits += 1;
    hfx__slot_start(&b->slots[i]);
}

enum hfx_status hfx__batch_run(struct hfx__batch * b, hfx__fit_done_fn on_done, void * user, struct hfx_error * err) {
    hfx_engine_t e  = b->e;
    size_t       np = e->m->n_pars, nd = e->n_data;
    double       t0 = hfx__now();
    enum hfx_status st = HFX_OK;
    for (;;) {
        if (hfx__cancelled(e)) {
            st = hfx__cancel_error(err);
            break;
        }
        /* gather one point per active slot: those that need a gradient first, then value-only
         * probes, which get a call of their own (their gradient would cost as much as the value) */
        size_t n = 0, n_grad = 0;
        for (int pass = 0; pass < 2; ++pass) {
            for (size_t i = 0; i < b->n; ++i) {
                const struct hfx__fit_slot * s = &b->slots[i];
                if (s->phase == HFX_SLOT_EVAL && s->want_grad == (pass == 0)) {
                    memcpy(b->pars + n * np, s->x, np * sizeof(double));
                    b->active[n++] = i;
                }
            }
            n_grad = pass == 0 ? n : n_grad;
        }
        if (n == 0) {
            break;
        }
        /* one data vector for all (stride 0), or each point's own */
        const struct hfx__fit_slot * s0     = &b->slots[b->active[0]];
        const double *               data   = s0->data;
        size_t                       stride = 0;
        b->data_const[0]                    = s0->data_const;
        for (size_t k = 1; k < n && stride == 0; ++k) {
            const struct hfx__fit_slot * s = &b->slots[b->active[k]];
            stride = s->data != s0->data || s->data_const != s0->data_const ? nd : 0;
        }
        if (stride) {
            for (size_t k = 0; k < n; ++k) {
                const struct hfx__fit_slot * s = &b->slots[b->active[k]];
                memcpy(b->data + k * nd, s->data, nd * sizeof(double));
                b->data_const[k] = s->data_const;
            }
            data = b->data;
        }
        if (n_grad > 0) {
            st = hfx__engine_eval(e, n_grad, b->pars, data, stride, b->data_const, b->out, b->grad, err);
        }
        if (st == HFX_OK && n > n_grad) {
            size_t o = stride ? n_grad : 0;
            st = hfx__engine_eval(e, n - n_grad, b->pars + n_grad * np, data + o * nd, stride, b->data_const + o,
                                  b->out + n_grad, NULL, err);
        }
        if (st != HFX_OK) {
            break;
        }
        /* feed, then let the caller refill the slots whose fits ended */
        for (size_t k = 0; k < n && st == HFX_OK; ++k) {
            size_t                 i = b->active[k];
            struct hfx__fit_slot * s = &b->slots[i];
            hfx__slot_feed(s, b->out[k], b->grad + k * np);
            if (s->phase == HFX_SLOT_DONE && on_done) {
                st = on_done(user, b, i, err);
            }
        }
        if (st != HFX_OK) {
            break;
        }
    }
    if (st != HFX_OK) {
        for (size_t i = 0; i < b->cap; ++i) {
            b->slots[i].phase = HFX_SLOT_IDLE; /* abandoned fits do not leak into the next run */
        }
    }
    e->stats.fit_seconds += hfx__now() - t0;
    return st;
}

//
// Engines
//

void hfx_engine_free(hfx_engine_t e) {
    if (!e) {
        return;
    }
    if (e->be && e->plan) {
        e->be->plan_free(e->plan);
    }
    batch_free(e->batch);
    free(e->hess_ws);
    free(e->hess_pars);
    free(e->hess_grad);
    free(e->hess_out);
    free(e->cov);
    free(e->unc);
    free(e->warnings);
    free(e);
}

enum hfx_status hfx__fit_settings_from(const struct hfx_engine_options * opts, struct hfx__fit_settings * how,
                                       struct hfx_error * err) {
    enum hfx_optimizer o = opts ? opts->optimizer : HFX_OPTIMIZER_AUTO;
    if (o != HFX_OPTIMIZER_AUTO && o != HFX_OPTIMIZER_BFGS && o != HFX_OPTIMIZER_LBFGS) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "unknown optimizer %d (auto, bfgs or lbfgs)", (int) o);
    }
    if (o == HFX_OPTIMIZER_AUTO) {
        o = HFX_OPTIMIZER_LBFGS;
    }
    how->explore  = (int) (opts ? opts->explore : HFX_EXPLORE_DEFAULT);
    how->max_iter = opts && opts->max_iter > 0 ? opts->max_iter : HFX_FIT_MAX_ITER_DEFAULT;
    how->history  = o == HFX_OPTIMIZER_LBFGS ? HFX_LBFGS_HISTORY : 0;
    how->cancelled  = process_cancelled;
    how->cancel_ctx = NULL;
    return HFX_OK;
}

enum hfx_status hfx_engine_create(hfx_model_t m, const struct hfx_engine_options * opts, hfx_engine_t * out,
                                  struct hfx_error * err) {
    if (!m || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_engine_create: NULL argument");
    }
    *out                         = NULL;
    const char *                 name = opts && opts->backend ? opts->backend : "cpu-ref";
    const struct hfx_backend_i * be   = hfx__backend_find(name);
    if (!be) {
        char   list[256] = "";
        size_t n         = 0;
        for (size_t i = 0; i < hfx__backend_count() && n < sizeof list; ++i) {
            int k = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", hfx__backend_get(i)->name);
            n += k > 0 ? (size_t) k : 0;
        }
        return hfx__error(err, HFX_ERR_NOT_FOUND, NULL, "unknown backend '%s' (this build has: %s)", name, list);
    }
    const char * why = NULL;
    if (be->available && !be->available(&why)) {
        return hfx__error(err, HFX_ERR_DEVICE, NULL, "backend '%s' is not available here: %s", name,
                          why ? why : "no device");
    }
    struct hfx__fit_settings how;
    enum hfx_status          st = hfx__fit_settings_from(opts, &how, err);
    if (st != HFX_OK) {
        return st;
    }
    struct hfx_engine * e = hfx__calloc(1, sizeof *e);
    if (!e) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    e->m            = m;
    atomic_init(&e->cancel, false);
    e->be           = be;
    e->n_data       = m->n_bins + m->n_aux;
    e->how          = how;
    e->how.cancelled  = engine_cancelled;
    e->how.cancel_ctx = e;
    st = be->plan_create(m, opts, &e->plan, err);
    if (st != HFX_OK) {
        e->plan = NULL;
        hfx_engine_free(e);
        return st;
    }
    e->batch_max = opts && opts->batch ? opts->batch : be->batch_size ? be->batch_size(e->plan) : 1;
    *out         = e;
    return HFX_OK;
}

hfx_model_t  hfx_engine_model(hfx_engine_t e) { return (hfx_model_t) e->m; }

size_t hfx__engine_n_data(hfx_engine_t e) { return e->n_data; }

size_t hfx__engine_batch_max(hfx_engine_t e) { return e->batch_max; }

enum hfx_optimizer hfx_engine_optimizer(hfx_engine_t e) {
    return e->how.history > 0 ? HFX_OPTIMIZER_LBFGS : HFX_OPTIMIZER_BFGS;
}

const char * hfx_optimizer_str(enum hfx_optimizer o) {
    switch (o) {
    case HFX_OPTIMIZER_AUTO:
        return "auto";
    case HFX_OPTIMIZER_BFGS:
        return "bfgs";
    case HFX_OPTIMIZER_LBFGS:
        return "lbfgs";
    }
    return "unknown";
}
const char * hfx_engine_backend_name(hfx_engine_t e) { return e->be->name; }

enum hfx_status hfx_twice_nll(hfx_engine_t e, const double * pars, const double * data, double * twice_nll,
                              double * grad, struct hfx_error * err) {
    if (!e || !pars || !twice_nll) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_twice_nll: NULL argument");
    }
    return hfx_twice_nll_batch(e, 1, pars, data, twice_nll, grad, err);
}

enum hfx_status hfx_twice_nll_batch(hfx_engine_t e, size_t n, const double * pars, const double * data,
                                    double * out, double * grad, struct hfx_error * err) {
    if (!e || (n > 0 && (!pars || !out))) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_twice_nll_batch: NULL argument");
    }
    if (n == 0) {
        return HFX_OK;
    }
    const double * d = data ? data : e->m->observed;
    double         c = hfx__data_constant(e->m, d);
    return hfx__engine_eval(e, n, pars, d, 0, &c, out, grad, err);
}

enum hfx_status hfx_twice_nll_batch_data(hfx_engine_t e, size_t n, const double * pars, const double * data,
                                         double * out, double * grad, struct hfx_error * err) {
    if (!e || (n > 0 && (!pars || !data || !out))) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_twice_nll_batch_data: NULL argument");
    }
    if (n == 0) {
        return HFX_OK;
    }
    double * c = hfx__malloc(n * sizeof *c);
    if (!c) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (%zu data constants)", n);
    }
    for (size_t k = 0; k < n; ++k) {
        c[k] = hfx__data_constant(e->m, data + k * e->n_data);
    }
    enum hfx_status st = hfx__engine_eval(e, n, pars, data, e->n_data, c, out, grad, err);
    free(c);
    return st;
}

void hfx_engine_stats(hfx_engine_t e, struct hfx_engine_stats * out) { *out = e->stats; }
void hfx_engine_stats_reset(hfx_engine_t e) { memset(&e->stats, 0, sizeof e->stats); }

//
// Uncertainties
//

/* The inverse Hessian of twice_nll at the slot's minimum, its 2 gradients per free parameter sent
 * to the backend in batches of hess_chunk points. */
static enum hfx_status compute_uncertainties(hfx_engine_t e, const struct hfx__fit_slot * s,
                                             struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   np = m->n_pars;
    if (!e->hess_ws) {
        e->hess_chunk = 2 * np < 256 ? 2 * np : 256;
        e->hess_chunk = e->hess_chunk ? e->hess_chunk : 1;
        e->hess_ws    = hfx__aligned_alloc(16, (hfx__hess_workspace_size(np) + 15) / 16 * 16);
        e->hess_pars  = hfx__malloc(e->hess_chunk * np * sizeof(double));
        e->hess_grad  = hfx__malloc(e->hess_chunk * np * sizeof(double));
        e->hess_out   = hfx__malloc(e->hess_chunk * sizeof(double));
        e->cov        = hfx__calloc(np * np, sizeof(double));
        e->unc        = hfx__calloc(np, sizeof(double));
        if (!e->hess_ws || !e->hess_pars || !e->hess_grad || !e->hess_out || !e->cov || !e->unc) {
            return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (the Hessian of %zu parameters)", np);
        }
    }
    struct hfx_hess_state hs;
    hfx__hess_init(&hs, e->hess_ws, np, s->best, s->lower, s->upper, s->fixed);
    size_t total = hfx__hess_n_points(&hs);
    for (size_t k0 = 0; k0 < total; k0 += e->hess_chunk) {
        size_t n = total - k0 < e->hess_chunk ? total - k0 : e->hess_chunk;
        for (size_t k = 0; k < n; ++k) {
            hfx__hess_point(&hs, k0 + k, e->hess_pars + k * np);
        }
        enum hfx_status st =
            hfx__engine_eval(e, n, e->hess_pars, s->data, 0, &s->data_const, e->hess_out, e->hess_grad, err);
        if (st != HFX_OK) {
            return st;
        }
        for (size_t k = 0; k < n; ++k) {
            hfx__hess_set_gradient(&hs, k0 + k, e->hess_grad + k * np);
        }
    }
    hfx__hess_inverse(&hs, e->cov);
    /* cov is the inverse Hessian of twice_nll; the parameters' covariance is twice that (the inverse
     * Hessian of the NLL), kept so (hfx_fit_result.covariance), fixed rows and columns 0 */
    for (size_t i = 0; i < np; ++i) {
        for (size_t j = 0; j < np; ++j) {
            bool held          = s->fixed[i] || s->fixed[j];
            e->cov[i * np + j] = held ? 0.0 : 2.0 * e->cov[i * np + j];
        }
    }
    for (size_t i = 0; i < np; ++i) {
        double v  = e->cov[i * np + i];
        e->unc[i] = s->fixed[i] || !(v > 0) ? 0.0 : sqrt(v);
    }
    return HFX_OK;
}

//
// Fits
//

enum hfx_status hfx__fit_bad_start(struct hfx_error * err) {
    return hfx__error(err, HFX_ERR_FIT, NULL,
                      "the likelihood is not finite at the start point (a negative or zero expected rate in a "
                      "bin with data?)");
}

enum hfx_status hfx_fit(hfx_engine_t e, const struct hfx_fit_options * opts, struct hfx_fit_result * result,
                        struct hfx_error * err) {
    if (!e || !result) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_fit: NULL argument");
    }
    static const struct hfx_fit_options none = {0};
    const struct hfx_fit_options *       o    = opts ? opts : &none;
    const struct hfx_model *             m    = e->m;
    size_t                               np   = m->n_pars;
    if (o->fix_poi && m->poi < 0) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "cannot fix the POI: the model has none");
    }
    if (o->fix_poi && !isfinite(o->poi_value)) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "the POI value must be finite");
    }
    hfx__engine_warnings_reset(e);
    struct hfx__batch * b  = NULL;
    enum hfx_status     st = o->uncertainties ? check_hessian_size(e, err) : HFX_OK;
    if (st != HFX_OK || (st = check_fit_size(e, err)) != HFX_OK || (st = hfx__engine_batch(e, 1, &b, err)) != HFX_OK) {
        return st;
    }
    struct hfx__fit_slot * s = &b->slots[0];
    memcpy(s->x0, o->init ? o->init : m->init, np * sizeof(double));
    memcpy(s->fixed, o->fixed ? o->fixed : m->fixed, np * sizeof(bool));
    if (o->fix_poi) {
        s->fixed[m->poi] = true;
        s->x0[m->poi]    = o->poi_value;
    }
    for (size_t i = 0; i < np; ++i) {
        if (!isfinite(s->x0[i])) {
            return hfx__error(err, HFX_ERR_ARG, NULL, "start value of parameter '%s' is not finite", m->par_names[i]);
        }
    }
    s->data       = o->data ? o->data : m->observed;
    s->data_const = hfx__data_constant(m, s->data);
    s->explore    = e->how.explore;
    s->max_iter   = e->how.max_iter;
    hfx__batch_start(b, 0);
    if ((st = hfx__batch_run(b, NULL, NULL, err)) != HFX_OK) {
        return st;
    }
    s->phase = HFX_SLOT_IDLE;
    if (s->status == HFX_FIT_FAILED) {
        return hfx__fit_bad_start(err);
    }
    struct hfx__fit_job done = {.role = HFX_FIT_ROLE_FIT, .poi_fixed = o->fix_poi, .poi_value = o->poi_value};
    hfx__slot_result(s, &done);
    if ((st = hfx__engine_note_descent(e, &done, err)) != HFX_OK) {
        return st;
    }
    if (o->uncertainties && (st = compute_uncertainties(e, s, err)) != HFX_OK) {
        return st;
    }
    result->pars          = s->best;
    result->uncertainties = o->uncertainties ? e->unc : NULL;
    result->covariance    = o->uncertainties ? e->cov : NULL;
    result->twice_nll     = s->f_best;
    result->status        = (enum hfx_fit_status) s->status;
    result->n_iter        = s->n_iter;
    result->n_eval        = s->n_eval;
    return HFX_OK;
}

struct jobs_run {
    struct hfx__fit_job * jobs;
    size_t                n, next;
};

static void job_next(struct jobs_run * r, struct hfx__batch * b, size_t i) {
    if (r->next < r->n) {
        b->slots[i].tag = r->next;
        hfx__slot_describe(&b->slots[i], &r->jobs[r->next++], b->e->how);
        hfx__batch_start(b, i);
    }
}

static enum hfx_status job_done(void * user, struct hfx__batch * b, size_t i, struct hfx_error * err) {
    (void) err;
    struct jobs_run *      r = user;
    struct hfx__fit_slot * s = &b->slots[i];
    s->phase                 = HFX_SLOT_IDLE;
    hfx__slot_result(s, &r->jobs[s->tag]);
    job_next(r, b, i);
    return HFX_OK;
}

enum hfx_status hfx__fit_jobs(hfx_engine_t e, struct hfx__fit_job * jobs, size_t n, bool strict,
                              struct hfx_error * err) {
    enum hfx_status st = HFX_OK;
    if (n == 0) {
        return HFX_OK;
    }
    if ((st = check_fit_size(e, err)) != HFX_OK) {
        return st;
    }
    if (hfx__cancelled(e)) {
        return hfx__cancel_error(err);
    }
    bool resident = e->be->fit_jobs && e->batch_max > 1 && n > 1;
    if (resident) {
        /* the backend runs the fits itself, the model's likelihood at hand */
        double t0 = hfx__now();
        st        = e->be->fit_jobs(e->plan, jobs, n, &e->how, err);
        e->stats.fit_seconds += hfx__now() - t0;
        resident = st != HFX_ERR_UNSUPPORTED; /* not for this model: the engine drives the fits */
        if (resident && st == HFX_OK && hfx__cancelled(e)) {
            st = hfx__cancel_error(err);
        }
        if (resident) {
            e->stats.n_fits += n;
            e->stats.n_eval_calls += 1;
            for (size_t i = 0; i < n && st == HFX_OK; ++i) {
                e->stats.n_points += (uint64_t) jobs[i].n_eval;
            }
        }
    }
    if (!resident) {
        struct hfx__batch * b = NULL;
        if ((st = hfx__engine_batch(e, n, &b, err)) != HFX_OK) {
            return st;
        }
        struct jobs_run r = {jobs, n, 0};
        for (size_t i = 0; i < b->n; ++i) {
            job_next(&r, b, i);
        }
        st = hfx__batch_run(b, job_done, &r, err);
    }
    for (size_t i = 0; i < n && st == HFX_OK; ++i) {
        if (strict && jobs[i].status == HFX_FIT_FAILED) {
            st = hfx__fit_bad_start(err);
        } else {
            st = hfx__engine_note_descent(e, &jobs[i], err);
        }
    }
    return st;
}

//
// Expected data and data constants
//

double hfx__engine_data_constant(hfx_engine_t e, const double * data) { return hfx__data_constant(e->m, data); }

double hfx__engine_model_data_constant(hfx_model_t m, const double * data) { return hfx__data_constant(m, data); }

enum hfx_status hfx__engine_expected_data(hfx_engine_t e, size_t n, const double * pars, double * out,
                                          struct hfx_error * err) {
    if (n == 0) {
        return HFX_OK;
    }
    if (e->be->expected_data) {
        return e->be->expected_data(e->plan, n, pars, out, err);
    }
    /* the scratch is this call's: the engine keeps no buffer of its callers' between calls */
    double * scratch = hfx__malloc(hfx__eval_scratch_size(e->m) * sizeof *scratch + sizeof(double));
    if (!scratch) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory (the expected data of %zu points)", n);
    }
    for (size_t k = 0; k < n; ++k) {
        hfx__expected_data(e->m, pars + k * e->m->n_pars, out + k * e->n_data, scratch);
    }
    free(scratch);
    return HFX_OK;
}

//
// Toys
//

enum hfx_status hfx__engine_sample_toys(hfx_engine_t e, const struct hfx__toy_set * sets, size_t n_sets,
                                        uint64_t seed, double * data, double * data_const, struct hfx_error * err) {
    const struct hfx_model * m  = e->m;
    size_t                   nd = e->n_data;
    if (n_sets == 0) {
        return HFX_OK;
    }
    /* every backend draws from the engine's expectation (the host's numbers, backend.h: expected_data),
     * so that the means are the same to the bit */
    struct hfx__toy_set * own = hfx__malloc(n_sets * sizeof *own);
    double *              means = hfx__malloc(n_sets * (nd + 1) * sizeof *means);
    if (!own || !means) {
        free(own);
        free(means);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory for the means of %zu toy sets", n_sets);
    }
    enum hfx_status st = HFX_OK;
    for (size_t s = 0; s < n_sets && st == HFX_OK; ++s) {
        own[s]          = sets[s];
        own[s].expected = means + s * (nd + 1);
        st              = hfx__engine_expected_data(e, 1, sets[s].pars, means + s * (nd + 1), err);
    }
    if (st != HFX_OK) {
        /* nothing drawn */
    } else if (e->be->sample_toys) {
        st = e->be->sample_toys(e->plan, own, n_sets, seed, data, data_const, err);
    } else {
        size_t r = 0;
        for (size_t s = 0; s < n_sets; ++s) {
            for (size_t i = 0; i < own[s].n; ++i, ++r) {
                hfx__kernel_sample_toy(m, own[s].expected, own[s].pars, seed, own[s].stream0 + i, data + r * nd);
                data_const[r] = hfx__data_constant(m, data + r * nd);
            }
        }
    }
    free(own);
    free(means);
    return st;
}
