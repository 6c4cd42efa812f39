/*
 * core-workflow.c -- the analyses of src/workflow/ on _core.Engine and _core.Model: ranking,
 * profile_scan, significance (engine methods), par_info and goodness_of_fit (model methods). Each
 * returns plain dicts and tuples that python/hfx/fit.py turns into cabinetry-shaped result objects.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

/* A sequence of parameter indices (Python ints) as a malloc'd array; *n its length. None: NULL, 0. */
static int index_list(PyObject * obj, size_t n_pars, size_t ** out, size_t * n) {
    *out = NULL;
    *n   = 0;
    if (obj == Py_None) {
        return 0;
    }
    PyObject * seq = PySequence_Fast(obj, "parameter indices: expected a sequence of ints");
    if (!seq) {
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    *out           = malloc((size_t) (len > 0 ? len : 1) * sizeof **out);
    if (!*out) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < len; ++k) {
        Py_ssize_t v = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(seq, k), PyExc_OverflowError);
        if (v == -1 && PyErr_Occurred()) {
            break;
        }
        if (v < 0 || (size_t) v >= n_pars) {
            hfxpy_raise_arg("parameter index %zd out of range (the model has %zu)", v, n_pars);
            break;
        }
        (*out)[k] = (size_t) v;
    }
    Py_DECREF(seq);
    if (PyErr_Occurred()) {
        free(*out);
        *out = NULL;
        return -1;
    }
    *n = (size_t) len;
    return 0;
}

PyObject * hfxpy_engine_ranking(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"pars", "data", NULL};
    PyObject *    pars_obj = Py_None, * data_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OO", kwlist, &pars_obj, &data_obj)) {
        return NULL;
    }
    struct hfxpy_array data;
    memset(&data, 0, sizeof data);
    size_t * pars = NULL, n = 0;
    if (index_list(pars_obj, self->model->n_pars, &pars, &n) < 0 ||
        hfxpy_doubles(data_obj, self->model->n_data, HFXPY_OPTIONAL, "data", &data) < 0) {
        free(pars);
        return NULL;
    }
    struct hfx_ranking_options o = {.data = data.data, .pars = pars, .n_pars = n};
    struct hfx_ranking_result  r;
    struct hfx_error           err;
    enum hfx_status            st;
    memset(&r, 0, sizeof r);
    HFXPY_CALL(self->lock, st = hfx_ranking(self->e, &o, &r, &err));
    free(pars);
    hfxpy_array_release(&data);
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    PyObject * entries = PyList_New((Py_ssize_t) r.n_entries);
    for (size_t k = 0; entries && k < r.n_entries; ++k) {
        const struct hfx_ranking_entry * en = &r.entries[k];
        PyObject * t = Py_BuildValue("(nddddddddsi)", (Py_ssize_t) en->par, en->bestfit, en->uncertainty,
                                     en->prefit_uncertainty, en->nominal, en->impact_prefit_up,
                                     en->impact_prefit_down, en->impact_postfit_up, en->impact_postfit_down,
                                     hfx_fit_status_str(en->status), (int) en->status);
        if (!t) {
            Py_CLEAR(entries);
            break;
        }
        PyList_SET_ITEM(entries, (Py_ssize_t) k, t);
    }
    PyObject * out = entries ? Py_BuildValue("{s:d,s:d,s:d,s:s,s:N}", "poi_bestfit", r.poi_bestfit, "poi_uncertainty",
                                             r.poi_uncertainty, "twice_nll", r.twice_nll, "status",
                                             hfx_fit_status_str(r.status), "entries", entries)
                             : NULL;
    hfx_ranking_result_free(&r);
    return out;
}

PyObject * hfxpy_engine_profile_scan(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"pars", "ranges", "n_steps", "data", NULL};
    PyObject *    pars_obj, * ranges_obj, * steps_obj, * data_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|O", kwlist, &pars_obj, &ranges_obj, &steps_obj, &data_obj)) {
        return NULL;
    }
    struct hfx_profile_scan_options o;
    memset(&o, 0, sizeof o);
    size_t * pars = NULL, n = 0;
    if (index_list(pars_obj, self->model->n_pars, &pars, &n) < 0) {
        return NULL;
    }
    if (n < 1 || n > 2) {
        free(pars);
        return hfxpy_raise_arg("a profile scan has 1 or 2 parameters, not %zu", n);
    }
    o.n_dims = n;
    for (size_t k = 0; k < n; ++k) {
        o.par[k] = pars[k];
    }
    free(pars);
    /* ranges: a sequence of n items, each None (cabinetry's default) or (lo, hi); n_steps: n ints */
    PyObject * rs = PySequence_Fast(ranges_obj, "ranges: expected a sequence");
    PyObject * ns = rs ? PySequence_Fast(steps_obj, "n_steps: expected a sequence") : NULL;
    if (!rs || !ns || PySequence_Fast_GET_SIZE(rs) != (Py_ssize_t) n || PySequence_Fast_GET_SIZE(ns) != (Py_ssize_t) n) {
        Py_XDECREF(rs);
        Py_XDECREF(ns);
        return PyErr_Occurred() ? NULL : hfxpy_raise_arg("ranges and n_steps need one entry per scanned parameter");
    }
    for (size_t k = 0; k < n && !PyErr_Occurred(); ++k) {
        PyObject * rk = PySequence_Fast_GET_ITEM(rs, (Py_ssize_t) k);
        Py_ssize_t nk = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(ns, (Py_ssize_t) k), PyExc_OverflowError);
        if (nk == -1 && PyErr_Occurred()) {
            break;
        }
        if (nk < 2) {
            hfxpy_raise_arg("n_steps = %zd: a scan needs at least 2 points", nk);
            break;
        }
        o.n[k] = (size_t) nk;
        if (rk != Py_None) {
            o.range_set[k] = true;
            if (!PyArg_ParseTuple(rk, "dd", &o.lo[k], &o.hi[k])) {
                break;
            }
        }
    }
    Py_DECREF(rs);
    Py_DECREF(ns);
    if (PyErr_Occurred()) {
        return NULL;
    }
    struct hfxpy_array data;
    memset(&data, 0, sizeof data);
    if (hfxpy_doubles(data_obj, self->model->n_data, HFXPY_OPTIONAL, "data", &data) < 0) {
        return NULL;
    }
    o.data = data.data;
    struct hfx_profile_scan_result r;
    struct hfx_error               err;
    enum hfx_status                st;
    memset(&r, 0, sizeof r);
    HFXPY_CALL(self->lock, st = hfx_profile_scan(self->e, &o, &r, &err));
    hfxpy_array_release(&data);
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    PyObject * points = PyList_New((Py_ssize_t) r.n_points);
    for (size_t p = 0; points && p < r.n_points; ++p) {
        const struct hfx_profile_scan_point * pt = &r.points[p];
        PyObject * values = hfxpy_tuple_doubles(pt->values, r.n_dims);
        PyObject * t      = values ? Py_BuildValue("(Nddsi)", values, pt->twice_nll, pt->delta_twice_nll,
                                                   hfx_fit_status_str(pt->status), (int) pt->status)
                                   : NULL;
        if (!t) {
            Py_CLEAR(points);
            break;
        }
        PyList_SET_ITEM(points, (Py_ssize_t) p, t);
    }
    PyObject * shape = points ? Py_BuildValue(r.n_dims == 1 ? "(n)" : "(nn)", (Py_ssize_t) r.shape[0],
                                              (Py_ssize_t) r.shape[1])
                              : NULL;
    PyObject * best = shape ? hfxpy_tuple_doubles(r.bestfit, r.n_dims) : NULL;
    PyObject * unc  = best ? hfxpy_tuple_doubles(r.uncertainty, r.n_dims) : NULL;
    PyObject * out  = unc ? Py_BuildValue("{s:N,s:N,s:N,s:d,s:s,s:N}", "shape", shape, "bestfit", best, "uncertainty",
                                          unc, "twice_nll_min", r.twice_nll_min, "status",
                                          hfx_fit_status_str(r.status), "points", points)
                          : NULL;
    if (!out) {
        Py_XDECREF(points);
        Py_XDECREF(shape);
        Py_XDECREF(best);
        Py_XDECREF(unc);
    }
    hfx_profile_scan_result_free(&r);
    return out;
}

PyObject * hfxpy_engine_significance(hfxpy_engine * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"data", NULL};
    PyObject *    data_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O", kwlist, &data_obj)) {
        return NULL;
    }
    struct hfxpy_array data;
    memset(&data, 0, sizeof data);
    if (hfxpy_doubles(data_obj, self->model->n_data, HFXPY_OPTIONAL, "data", &data) < 0) {
        return NULL;
    }
    struct hfx_significance_result r;
    struct hfx_error               err;
    enum hfx_status                st;
    HFXPY_CALL(self->lock, st = hfx_significance(self->e, data.data, &r, &err));
    hfxpy_array_release(&data);
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    return Py_BuildValue("{s:d,s:d,s:d,s:d,s:s}", "p0_obs", r.p0_obs, "z_obs", r.z_obs, "p0_exp", r.p0_exp, "z_exp",
                         r.z_exp, "status", hfx_fit_status_str(r.status));
}

PyObject * hfxpy_model_par_info(hfxpy_model * self, PyObject * unused) {
    (void) unused;
    size_t     n     = self->n_pars;
    PyObject * names = PyList_New((Py_ssize_t) n), * constrained = PyList_New((Py_ssize_t) n);
    PyObject * width = PyList_New((Py_ssize_t) n);
    for (size_t i = 0; names && constrained && width && i < n; ++i) {
        PyObject * s = PyUnicode_FromString(hfx_model_par_name(self->m, i));
        PyObject * w = PyFloat_FromDouble(hfx_model_prefit_width(self->m, i));
        if (!s || !w) {
            Py_XDECREF(s);
            Py_XDECREF(w);
            Py_CLEAR(names);
            break;
        }
        PyList_SET_ITEM(names, (Py_ssize_t) i, s);
        PyList_SET_ITEM(constrained, (Py_ssize_t) i, Py_NewRef(hfx_model_par_constrained(self->m, i) ? Py_True : Py_False));
        PyList_SET_ITEM(width, (Py_ssize_t) i, w);
    }
    if (!names || !constrained || !width) {
        Py_XDECREF(names);
        Py_XDECREF(constrained);
        Py_XDECREF(width);
        return NULL;
    }
    return Py_BuildValue("{s:N,s:N,s:N}", "names", names, "constrained", constrained, "prefit_width", width);
}

PyObject * hfxpy_model_goodness_of_fit(hfxpy_model * self, PyObject * args, PyObject * kwds) {
    static char * kwlist[] = {"twice_nll", "data", NULL};
    double        twice_nll;
    PyObject *    data_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "d|O", kwlist, &twice_nll, &data_obj)) {
        return NULL;
    }
    struct hfxpy_array data;
    memset(&data, 0, sizeof data);
    if (hfxpy_doubles(data_obj, self->n_data, HFXPY_OPTIONAL, "data", &data) < 0) {
        return NULL;
    }
    struct hfx_gof_result r;
    struct hfx_error      err;
    enum hfx_status       st = hfx_goodness_of_fit(self->m, data.data, twice_nll, &r, &err);
    hfxpy_array_release(&data);
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    return Py_BuildValue("{s:d,s:d,s:l,s:d}", "twice_nll_saturated", r.twice_nll_saturated, "delta_twice_nll",
                         r.delta_twice_nll, "ndof", r.ndof, "p_value", r.p_value);
}
