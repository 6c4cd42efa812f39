/*
 * core-engine.c -- _core.Engine (hfx_engine_t): a model bound to a backend; twice_nll (one point, a
 * batch), fits, hypotests, toys by range, upper limits, warnings and work counters.
 *
 * An engine is not thread-safe in the library: its lock makes calls from several Python threads
 * take turns (each without the GIL), while engines of other models run at the same time.
 */
#include "core.h"

#include <math.h>
#include <string.h>

static void engine_dealloc(hfxpy_engine * self) {
    hfx_engine_free(self->e); /* before the model it points to */
    Py_XDECREF(self->model);
    if (self->lock) {
        PyThread_free_lock(self->lock);
    }
    PyObject_Free(self);
}

static PyObject * engine_new(PyTypeObject * type, PyObject * args, PyObject * kwds) {
    (void) type;
    static char * kwlist[] = {"model", "backend", "threads", "explore", "batch", "max_iter", "optimizer", NULL};
    hfxpy_model * model    = NULL;
    const char *  backend  = NULL;
    int           threads = 0, explore = HFX_EXPLORE_DEFAULT, max_iter = 0, optimizer = HFX_OPTIMIZER_AUTO;
    Py_ssize_t    batch = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|ziinii", kwlist, &hfxpy_model_type, &model, &backend, &threads,
                                     &explore, &batch, &max_iter, &optimizer)) {
        return NULL;
    }
    if (threads < 0 || batch < 0 || max_iter < 0 || explore < HFX_EXPLORE_DEFAULT || explore > HFX_EXPLORE_NONE ||
        optimizer < HFX_OPTIMIZER_AUTO || optimizer > HFX_OPTIMIZER_LBFGS) {
        return hfxpy_raise_arg("invalid engine option (threads %d, batch %zd, max_iter %d, explore %d, optimizer %d): "
                               "counts must be >= 0",
                               threads, batch, max_iter, explore, optimizer);
    }
    struct hfx_engine_options opts;
    memset(&opts, 0, sizeof opts);
    opts.backend   = backend;
    opts.n_threads = threads;
    opts.explore   = (enum hfx_explore) explore;
    opts.batch     = (size_t) batch;
    opts.max_iter  = max_iter;
    opts.optimizer = (enum hfx_optimizer) optimizer;
    hfx_engine_t     e = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(NULL, st = hfx_engine_create(model->m, &opts, &e, &err));
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    hfxpy_engine * self = PyObject_New(hfxpy_engine, &hfxpy_engine_type);
    if (!self) {
        hfx_engine_free(e);
        return NULL;
    }
    self->e     = e;
    self->model = (hfxpy_model *) Py_NewRef(model);
    self->lock  = hfxpy_lock_new();
    if (!self->lock) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *) self;
}

//
// Likelihood
//

static PyObject * engine_twice_nll(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"pars", "data", "grad", NULL};
    PyObject *    pars_obj, * data_obj = Py_None, * grad_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO", kwlist, &pars_obj, &data_obj, &grad_obj)) {
        return NULL;
    }
    size_t             np = self->model->n_pars, nd = self->model->n_data;
    struct hfxpy_array pars, data, grad;
    if (hfxpy_doubles(pars_obj, np, 0, "pars", &pars) < 0) {
        return NULL;
    }
    if (hfxpy_doubles(data_obj, nd, HFXPY_OPTIONAL, "data", &data) < 0) {
        hfxpy_array_release(&pars);
        return NULL;
    }
    if (hfxpy_doubles(grad_obj, np, HFXPY_OPTIONAL | HFXPY_WRITABLE, "grad", &grad) < 0) {
        hfxpy_array_release(&pars);
        hfxpy_array_release(&data);
        return NULL;
    }
    double           value = NAN;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_twice_nll(self->e, pars.data, data.data, &value, grad.data, &err));
    hfxpy_array_release(&pars);
    hfxpy_array_release(&data);
    hfxpy_array_release(&grad);
    return st == HFX_OK ? PyFloat_FromDouble(value) : hfxpy_raise(st, &err);
}

static PyObject * engine_twice_nll_batch(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"n", "pars", "out", "data", "grad", "data_per_point", NULL};
    Py_ssize_t    n;
    PyObject *    pars_obj, * out_obj, * data_obj = Py_None, * grad_obj = Py_None;
    int           per_point = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "nOO|OOp", kwlist, &n, &pars_obj, &out_obj, &data_obj, &grad_obj,
                                     &per_point)) {
        return NULL;
    }
    if (n < 0) {
        return hfxpy_raise_arg("twice_nll_batch: n = %zd points", n);
    }
    size_t             np = self->model->n_pars, nd = self->model->n_data, k = (size_t) n;
    struct hfxpy_array pars, out, data, grad;
    if (hfxpy_doubles(pars_obj, k * np, 0, "pars", &pars) < 0) {
        return NULL;
    }
    if (hfxpy_doubles(out_obj, k, HFXPY_WRITABLE, "out", &out) < 0) {
        hfxpy_array_release(&pars);
        return NULL;
    }
    if (hfxpy_doubles(data_obj, per_point ? k * nd : nd, per_point ? 0 : HFXPY_OPTIONAL, "data", &data) < 0) {
        hfxpy_array_release(&pars);
        hfxpy_array_release(&out);
        return NULL;
    }
    if (hfxpy_doubles(grad_obj, k * np, HFXPY_OPTIONAL | HFXPY_WRITABLE, "grad", &grad) < 0) {
        hfxpy_array_release(&pars);
        hfxpy_array_release(&out);
        hfxpy_array_release(&data);
        return NULL;
    }
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = per_point ? hfx_twice_nll_batch_data(self->e, k, pars.data, data.data, out.data,
                                                                     grad.data, &err)
                                          : hfx_twice_nll_batch(self->e, k, pars.data, data.data, out.data, grad.data,
                                                                &err));
    hfxpy_array_release(&pars);
    hfxpy_array_release(&out);
    hfxpy_array_release(&data);
    hfxpy_array_release(&grad);
    return st == HFX_OK ? Py_NewRef(Py_None) : hfxpy_raise(st, &err);
}

//
// Fits
//

static PyObject * engine_fit(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"pars_out", "unc_out", "data", "init", "fixed", "fix_poi", "poi_value", "cov_out", NULL};
    PyObject *    pars_obj, * unc_obj = Py_None, * data_obj = Py_None, * init_obj = Py_None, * fixed_obj = Py_None;
    PyObject *    cov_obj   = Py_None;
    int           fix_poi   = 0;
    double        poi_value = 0.0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOOOpdO", kwlist, &pars_obj, &unc_obj, &data_obj, &init_obj,
                                     &fixed_obj, &fix_poi, &poi_value, &cov_obj)) {
        return NULL;
    }
    size_t             np = self->model->n_pars, nd = self->model->n_data;
    struct hfxpy_array a[6]; /* pars_out, unc_out, data, init, fixed, cov_out */
    memset(a, 0, sizeof a);
    PyObject * result = NULL;
    if (hfxpy_doubles(pars_obj, np, HFXPY_WRITABLE, "pars_out", &a[0]) < 0 ||
        hfxpy_doubles(unc_obj, np, HFXPY_WRITABLE | HFXPY_OPTIONAL, "unc_out", &a[1]) < 0 ||
        hfxpy_doubles(data_obj, nd, HFXPY_OPTIONAL, "data", &a[2]) < 0 ||
        hfxpy_doubles(init_obj, np, HFXPY_OPTIONAL, "init_pars", &a[3]) < 0 ||
        hfxpy_bools(fixed_obj, np, HFXPY_OPTIONAL, "fixed_params", &a[4]) < 0 ||
        hfxpy_doubles(cov_obj, np * np, HFXPY_WRITABLE | HFXPY_OPTIONAL, "cov_out", &a[5]) < 0) {
        goto done;
    }
    if (fix_poi && hfx_model_poi(self->model->m) < 0) {
        hfxpy_raise_arg("a fit with the POI fixed needs a POI; the model was built without one");
        goto done;
    }
    struct hfx_fit_options o;
    memset(&o, 0, sizeof o);
    o.data          = a[2].data;
    o.init          = a[3].data;
    o.fixed         = a[4].data;
    o.fix_poi       = fix_poi != 0;
    o.poi_value     = poi_value;
    o.uncertainties = a[1].data != NULL || a[5].data != NULL;
    struct hfx_fit_result r;
    struct hfx_error      err;
    enum hfx_status       st;
    memset(&r, 0, sizeof r);
    /* The result's arrays belong to the engine until its next fit: copied out under the same lock. */
    HFXPY_CALL(self->lock, st = hfx_fit(self->e, &o, &r, &err); if (st == HFX_OK) {
        memcpy(a[0].data, r.pars, np * sizeof(double));
        if (a[1].data && r.uncertainties) {
            memcpy(a[1].data, r.uncertainties, np * sizeof(double));
        }
        if (a[5].data && r.covariance) {
            memcpy(a[5].data, r.covariance, np * np * sizeof(double));
        }
    });
    if (st != HFX_OK) {
        hfxpy_raise(st, &err);
        goto done;
    }
    result = Py_BuildValue("{s:d,s:i,s:s,s:i,s:i}", "twice_nll", r.twice_nll, "status", (int) r.status, "status_name",
                           hfx_fit_status_str(r.status), "n_iter", r.n_iter, "n_eval", r.n_eval);
done:
    for (int i = 0; i < 6; i++) {
        hfxpy_array_release(&a[i]);
    }
    return result;
}

//
// Inference
//

PyObject * hfxpy_hypotest_dict(const struct hfx_hypotest_result * r) {
    PyObject * exp = hfxpy_tuple_doubles(r->cls_exp, 5);
    if (!exp) {
        return NULL;
    }
    return Py_BuildValue("{s:d,s:d,s:d,s:N,s:d,s:d,s:n,s:n,s:i,s:s}", "cls_obs", r->cls_obs, "clsb_obs", r->clsb_obs,
                         "clb_obs", r->clb_obs, "cls_exp", exp, "teststat", r->teststat, "mu_hat", r->mu_hat,
                         "toys_failed_sb", (Py_ssize_t) r->toys_failed_sb, "toys_failed_b",
                         (Py_ssize_t) r->toys_failed_b, "status", (int) r->status, "status_name",
                         hfx_fit_status_str(r->status));
}

/* The hypotest options every inference call shares; data borrowed into *data (release it). */
static int hypotest_opts(hfxpy_engine * self, double poi, int teststat, int calctype, Py_ssize_t n_toys,
                         unsigned long long seed, PyObject * data_obj, struct hfx_hypotest_options * o,
                         struct hfxpy_array * data) {
    if (teststat < HFX_TESTSTAT_QTILDE || teststat > HFX_TESTSTAT_TMUTILDE) {
        hfxpy_raise_arg("invalid test statistic code %d", teststat);
        return -1;
    }
    if (calctype != HFX_CALC_ASYMPTOTICS && calctype != HFX_CALC_TOYBASED) {
        hfxpy_raise_arg("invalid calculator code %d", calctype);
        return -1;
    }
    if (calctype == HFX_CALC_TOYBASED && n_toys < 1) {
        hfxpy_raise_arg("ntoys = %zd: a toy-based calculation needs at least one toy", n_toys);
        return -1;
    }
    if (!isfinite(poi)) {
        hfxpy_raise_arg("poi_test = %g: the tested POI value must be finite", poi);
        return -1;
    }
    if (hfxpy_doubles(data_obj, self->model->n_data, HFXPY_OPTIONAL, "data", data) < 0) {
        return -1;
    }
    memset(o, 0, sizeof *o);
    o->poi_test = poi;
    o->teststat = (enum hfx_teststat) teststat;
    o->calctype = (enum hfx_calctype) calctype;
    o->n_toys   = (size_t) (n_toys > 0 ? n_toys : 0);
    o->seed     = (uint64_t) seed;
    o->data     = data->data;
    return 0;
}

static PyObject * engine_hypotest(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char *      kwlist[] = {"poi_test", "teststat", "calctype", "n_toys", "seed", "data", NULL};
    double             poi;
    int                teststat = HFX_TESTSTAT_QTILDE, calctype = HFX_CALC_ASYMPTOTICS;
    Py_ssize_t         n_toys   = 2000;
    unsigned long long seed     = 0;
    PyObject *         data_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "d|iinKO", kwlist, &poi, &teststat, &calctype, &n_toys, &seed,
                                     &data_obj)) {
        return NULL;
    }
    struct hfx_hypotest_options o;
    struct hfxpy_array          data;
    if (hypotest_opts(self, poi, teststat, calctype, n_toys, seed, data_obj, &o, &data) < 0) {
        return NULL;
    }
    struct hfx_hypotest_result r;
    struct hfx_error           err;
    enum hfx_status            st;
    memset(&r, 0, sizeof r);
    HFXPY_CALL(self->lock, st = hfx_hypotest(self->e, &o, &r, &err));
    hfxpy_array_release(&data);
    return st == HFX_OK ? hfxpy_hypotest_dict(&r) : hfxpy_raise(st, &err);
}

static PyObject * engine_toys(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"poi_test", "first", "count", "out_sb", "out_b", "teststat", "seed", "data", NULL};
    double        poi;
    Py_ssize_t    first, count;
    PyObject *    sb_obj, * b_obj, * data_obj = Py_None;
    int           teststat = HFX_TESTSTAT_QTILDE;
    unsigned long long seed = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "dnnOO|iKO", kwlist, &poi, &first, &count, &sb_obj, &b_obj, &teststat,
                                     &seed, &data_obj)) {
        return NULL;
    }
    if (first < 0 || count < 1) {
        return hfxpy_raise_arg("toys [%zd, %zd + %zd): first must be >= 0 and count >= 1", first, first, count);
    }
    struct hfx_toys_options o;
    struct hfxpy_array      data, sb, b;
    memset(&o, 0, sizeof o);
    if (hypotest_opts(self, poi, teststat, HFX_CALC_TOYBASED, count, seed, data_obj, &o.hypotest, &data) < 0) {
        return NULL;
    }
    if (hfxpy_doubles(sb_obj, (size_t) count, HFXPY_WRITABLE, "out_sb", &sb) < 0) {
        hfxpy_array_release(&data);
        return NULL;
    }
    if (hfxpy_doubles(b_obj, (size_t) count, HFXPY_WRITABLE, "out_b", &b) < 0) {
        hfxpy_array_release(&data);
        hfxpy_array_release(&sb);
        return NULL;
    }
    o.first = (size_t) first;
    o.count = (size_t) count;
    struct hfx_toys_result r;
    memset(&r, 0, sizeof r);
    r.teststat_sb = sb.data;
    r.teststat_b  = b.data;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_toys_run(self->e, &o, &r, &err));
    hfxpy_array_release(&data);
    hfxpy_array_release(&sb);
    hfxpy_array_release(&b);
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    return Py_BuildValue("{s:d,s:d,s:i,s:s}", "teststat", r.teststat, "mu_hat", r.mu_hat, "status", (int) r.status,
                         "status_name", hfx_fit_status_str(r.status));
}

static PyObject * engine_upper_limit(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"level", "lo", "hi", "rtol", "n_scan", "scan_out", "teststat", "calctype", "n_toys",
                              "seed", "data", NULL};
    double        level = 0.05, lo = 0.0, hi = 0.0, rtol = 0.0;
    Py_ssize_t    n_scan = 0, n_toys = 2000;
    PyObject *    scan_obj = Py_None, * data_obj = Py_None;
    int           teststat = HFX_TESTSTAT_QTILDE, calctype = HFX_CALC_ASYMPTOTICS;
    unsigned long long seed = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|ddddnOiinKO", kwlist, &level, &lo, &hi, &rtol, &n_scan, &scan_obj,
                                     &teststat, &calctype, &n_toys, &seed, &data_obj)) {
        return NULL;
    }
    if (!(level > 0 && level < 1) || n_scan < 0 || !(rtol >= 0) || !isfinite(lo) || !isfinite(hi)) {
        return hfxpy_raise_arg("upper_limit: level %g must be in (0, 1), the bracket [%g, %g] finite, rtol %g >= 0", level,
                               lo, hi, rtol);
    }
    struct hfx_upper_limit_options o;
    struct hfxpy_array             data, scan;
    memset(&o, 0, sizeof o);
    if (hypotest_opts(self, 1.0, teststat, calctype, n_toys, seed, data_obj, &o.hypotest, &data) < 0) {
        return NULL;
    }
    if (hfxpy_doubles(scan_obj, (size_t) n_scan * 7, HFXPY_OPTIONAL | HFXPY_WRITABLE, "scan_out", &scan) < 0) {
        hfxpy_array_release(&data);
        return NULL;
    }
    o.level       = level;
    o.lo          = lo;
    o.hi          = hi;
    o.rtol        = rtol;
    o.n_scan      = (size_t) n_scan;
    o.scan_points = scan.data;
    struct hfx_upper_limit_result r;
    struct hfx_error              err;
    enum hfx_status               st;
    memset(&r, 0, sizeof r);
    HFXPY_CALL(self->lock, st = hfx_upper_limit(self->e, &o, &r, &err));
    hfxpy_array_release(&data);
    hfxpy_array_release(&scan);
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    PyObject * exp = hfxpy_tuple_doubles(r.exp, 5);
    return exp ? Py_BuildValue("{s:d,s:N,s:i,s:i,s:s}", "obs", r.obs, "exp", exp, "n_hypotests", r.n_hypotests, "status",
                               (int) r.status, "status_name", hfx_fit_status_str(r.status))
               : NULL;
}

//
// Warnings and counters
//

static const char * role_name(enum hfx_fit_role role) {
    switch (role) {
    case HFX_FIT_ROLE_FIT: return "fit";
    case HFX_FIT_ROLE_FREE: return "free";
    case HFX_FIT_ROLE_FIXED_POI: return "fixed_poi";
    case HFX_FIT_ROLE_TOYS: return "toys";
    case HFX_FIT_ROLE_HELD: return "held";
    case HFX_FIT_ROLE_NONE: break;
    }
    return "none";
}

static PyObject * engine_warnings(hfxpy_engine * self, PyObject * unused) {
    (void) unused;
    PyObject * out = PyList_New(0);
    hfxpy_lock_acquire(self->lock);
    size_t n = out ? hfx_engine_n_warnings(self->e) : 0;
    for (size_t i = 0; i < n; i++) {
        const struct hfx_fit_warning * w     = hfx_engine_warning(self->e, i);
        PyObject *                     moved = PyList_New(0);
        for (size_t k = 0; moved && k < w->n_moved && k < 3; k++) {
            PyObject * t = Py_BuildValue("(ndd)", (Py_ssize_t) w->moved[k], w->at_descent[k], w->at_best[k]);
            if (!t || PyList_Append(moved, t) < 0) {
                Py_XDECREF(t);
                Py_CLEAR(moved);
                break;
            }
            Py_DECREF(t);
        }
        PyObject * row = moved ? Py_BuildValue("{s:s,s:O,s:d,s:d,s:d,s:n,s:N}", "role", role_name(w->role), "asimov",
                                               w->asimov ? Py_True : Py_False, "poi_value", w->poi_value, "twice_nll",
                                               w->twice_nll, "twice_nll_descent", w->twice_nll_descent, "n_fits",
                                               (Py_ssize_t) w->n_fits, "moved", moved)
                               : NULL;
        if (!row || PyList_Append(out, row) < 0) {
            Py_XDECREF(row);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(row);
    }
    PyThread_release_lock(self->lock);
    return out;
}

static PyObject * engine_stats(hfxpy_engine * self, PyObject * unused) {
    (void) unused;
    struct hfx_engine_stats s;
    hfxpy_lock_acquire(self->lock);
    hfx_engine_stats(self->e, &s);
    PyThread_release_lock(self->lock);
    return Py_BuildValue("{s:K,s:K,s:K,s:d}", "n_fits", (unsigned long long) s.n_fits, "n_eval_calls",
                         (unsigned long long) s.n_eval_calls, "n_points", (unsigned long long) s.n_points,
                         "fit_seconds", s.fit_seconds);
}

static PyObject * engine_stats_reset(hfxpy_engine * self, PyObject * unused) {
    (void) unused;
    hfxpy_lock_acquire(self->lock);
    hfx_engine_stats_reset(self->e);
    PyThread_release_lock(self->lock);
    return Py_NewRef(Py_None);
}

static PyObject * engine_backend(hfxpy_engine * self, void * closure) {
    (void) closure;
    return PyUnicode_FromString(hfx_engine_backend_name(self->e));
}

static PyObject * engine_optimizer(hfxpy_engine * self, void * closure) {
    (void) closure;
    return PyUnicode_FromString(hfx_optimizer_str(hfx_engine_optimizer(self->e)));
}

static PyObject * engine_model(hfxpy_engine * self, void * closure) {
    (void) closure;
    return Py_NewRef((PyObject *) self->model);
}

static PyMethodDef engine_methods[] = {
    {"twice_nll", (PyCFunction) (void (*)(void)) engine_twice_nll, METH_VARARGS | METH_KEYWORDS,
     "twice_nll(pars, data=None, grad=None) -> float; grad (writable, n_pars) receives the gradient."},
    {"twice_nll_batch", (PyCFunction) (void (*)(void)) engine_twice_nll_batch, METH_VARARGS | METH_KEYWORDS,
     "twice_nll_batch(n, pars, out, data=None, grad=None, data_per_point=False): n points in one backend call."},
    {"fit", (PyCFunction) (void (*)(void)) engine_fit, METH_VARARGS | METH_KEYWORDS,
     "fit(pars_out, unc_out=None, data=None, init=None, fixed=None, fix_poi=False, poi_value=0) -> dict."},
    {"hypotest", (PyCFunction) (void (*)(void)) engine_hypotest, METH_VARARGS | METH_KEYWORDS,
     "hypotest(poi_test, teststat=0, calctype=0, n_toys=2000, seed=0, data=None) -> dict."},
    {"toys", (PyCFunction) (void (*)(void)) engine_toys, METH_VARARGS | METH_KEYWORDS,
     "toys(poi_test, first, count, out_sb, out_b, teststat=0, seed=0, data=None) -> dict (hfx_toys_run)."},
    {"upper_limit", (PyCFunction) (void (*)(void)) engine_upper_limit, METH_VARARGS | METH_KEYWORDS,
     "upper_limit(level=0.05, lo=0, hi=0, rtol=0, n_scan=0, scan_out=None, teststat=0, calctype=0, n_toys=2000, "
     "seed=0, data=None) -> dict."},
    {"ranking", (PyCFunction) (void (*)(void)) hfxpy_engine_ranking, METH_VARARGS | METH_KEYWORDS,
     "ranking(pars=None, data=None) -> dict: impacts on the POI (hfx_ranking)."},
    {"profile_scan", (PyCFunction) (void (*)(void)) hfxpy_engine_profile_scan, METH_VARARGS | METH_KEYWORDS,
     "profile_scan(pars, ranges, n_steps, data=None) -> dict: a profile likelihood scan (hfx_profile_scan)."},
    {"significance", (PyCFunction) (void (*)(void)) hfxpy_engine_significance, METH_VARARGS | METH_KEYWORDS,
     "significance(data=None) -> dict: discovery p0 and Z (hfx_significance)."},
    {"warnings", (PyCFunction) engine_warnings, METH_NOARGS,
     "warnings() -> [dict]: the multimodal-fit warnings of the last fit, hypotest, upper limit or toys call."},
    {"stats", (PyCFunction) engine_stats, METH_NOARGS, "stats() -> dict: work counters (hfx_engine_stats)."},
    {"stats_reset", (PyCFunction) engine_stats_reset, METH_NOARGS, "stats_reset(): zeroes the work counters."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef engine_getset[] = {
    {"backend", (getter) engine_backend, NULL, "the backend's name", NULL},
    {"optimizer", (getter) engine_optimizer, NULL, "the optimizer fits use: \"bfgs\" or \"lbfgs\"", NULL},
    {"model", (getter) engine_model, NULL, "the _core.Model this engine evaluates", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject hfxpy_engine_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hfx._core.Engine",
    .tp_basicsize                          = sizeof(hfxpy_engine),
    .tp_dealloc                            = (destructor) engine_dealloc,
    .tp_flags                              = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Engine(model, backend=None, threads=0, explore=0, batch=0, max_iter=0, optimizer=0): a model bound to a backend.",
    .tp_methods = engine_methods,
    .tp_getset  = engine_getset,
    .tp_new     = engine_new,
};
