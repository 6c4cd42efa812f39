/*
 * core-model.c -- _core.Model (hfx_model_t): a validated, compiled model. Immutable, so shared by
 * any number of engines and threads without a lock.
 */
#include "core.h"

#include <string.h>

static void model_dealloc(hfxpy_model * self) {
    hfx_model_free(self->m);
    PyObject_Free(self);
}

static PyObject * model_new(PyTypeObject * type, PyObject * args, PyObject * kwds) {
    (void) type;
    static char *     kwlist[]    = {"workspace", "measurement", "normsys", "histosys", "no_poi", NULL};
    hfxpy_workspace * ws          = NULL;
    const char *      measurement = NULL;
    int               normsys = HFX_INTERP_DEFAULT, histosys = HFX_INTERP_DEFAULT, no_poi = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|ziip", kwlist, &hfxpy_workspace_type, &ws, &measurement, &normsys,
                                     &histosys, &no_poi)) {
        return NULL;
    }
    if (normsys < HFX_INTERP_DEFAULT || normsys > HFX_INTERP_CODE4P || histosys < HFX_INTERP_DEFAULT ||
        histosys > HFX_INTERP_CODE4P) {
        return hfxpy_raise_arg("invalid interpolation code (normsys %d, histosys %d)", normsys, histosys);
    }
    struct hfx_model_options opts = {measurement, (enum hfx_interp_code) normsys, (enum hfx_interp_code) histosys,
                                     no_poi != 0};
    hfx_model_t              m    = NULL;
    struct hfx_error         err;
    enum hfx_status          st;
    HFXPY_CALL(ws->lock, st = hfx_model_create(ws->ws, &opts, &m, &err));
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    hfxpy_model * self = PyObject_New(hfxpy_model, &hfxpy_model_type);
    if (!self) {
        hfx_model_free(m);
        return NULL;
    }
    self->m      = m;
    self->n_pars = hfx_model_n_pars(m);
    self->n_data = hfx_model_n_bins(m) + hfx_model_n_aux(m);
    return (PyObject *) self;
}

/* Steals item; -1 on failure (item released). */
static int dict_set(PyObject * d, const char * key, PyObject * item) {
    int rc = item ? PyDict_SetItemString(d, key, item) : -1;
    Py_XDECREF(item);
    return rc;
}

static PyObject * parsets_list(hfx_model_t m) {
    size_t     n   = hfx_model_n_parsets(m);
    PyObject * out = PyList_New((Py_ssize_t) n);
    for (size_t s = 0; out && s < n; s++) {
        PyObject * row = Py_BuildValue("(ssnn)", hfx_model_parset_name(m, s), hfx_model_parset_type(m, s),
                                       (Py_ssize_t) hfx_model_parset_offset(m, s),
                                       (Py_ssize_t) hfx_model_parset_size(m, s));
        if (!row) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t) s, row);
    }
    return out;
}

static PyObject * channels_list(hfx_model_t m) {
    size_t     n   = hfx_model_n_channels(m);
    PyObject * out = PyList_New((Py_ssize_t) n);
    for (size_t c = 0; out && c < n; c++) {
        PyObject * row =
            Py_BuildValue("(sn)", hfx_model_channel_name(m, c), (Py_ssize_t) hfx_model_channel_n_bins(m, c));
        if (!row) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t) c, row);
    }
    return out;
}

static PyObject * samples_list(hfx_model_t m) {
    size_t     n   = hfx_model_n_samples(m);
    PyObject * out = PyList_New((Py_ssize_t) n);
    for (size_t s = 0; out && s < n; s++) {
        PyObject * name = PyUnicode_FromString(hfx_model_sample_name(m, s));
        if (!name) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t) s, name);
    }
    return out;
}

static PyObject * model_info(hfxpy_model * self, PyObject * unused) {
    (void) unused;
    hfx_model_t m = self->m;
    PyObject *  d = PyDict_New();
    if (!d || dict_set(d, "n_pars", PyLong_FromSize_t(self->n_pars)) < 0 ||
        dict_set(d, "n_bins", PyLong_FromSize_t(hfx_model_n_bins(m))) < 0 ||
        dict_set(d, "n_aux", PyLong_FromSize_t(hfx_model_n_aux(m))) < 0 ||
        dict_set(d, "n_modifiers", PyLong_FromSize_t(hfx_model_n_modifiers(m))) < 0 ||
        dict_set(d, "poi", PyLong_FromLong(hfx_model_poi(m))) < 0 || dict_set(d, "parsets", parsets_list(m)) < 0 ||
        dict_set(d, "init", hfxpy_tuple_doubles(hfx_model_init(m), self->n_pars)) < 0 ||
        dict_set(d, "lower", hfxpy_tuple_doubles(hfx_model_lower(m), self->n_pars)) < 0 ||
        dict_set(d, "upper", hfxpy_tuple_doubles(hfx_model_upper(m), self->n_pars)) < 0 ||
        dict_set(d, "fixed", hfxpy_tuple_bools(hfx_model_fixed(m), self->n_pars)) < 0 ||
        dict_set(d, "observed", hfxpy_tuple_doubles(hfx_model_observed(m), self->n_data)) < 0 ||
        dict_set(d, "channels", channels_list(m)) < 0 || dict_set(d, "samples", samples_list(m)) < 0) {
        Py_XDECREF(d);
        return NULL;
    }
    return d;
}

static PyObject * model_expected_data(hfxpy_model * self, PyObject * args) {
    PyObject * pars_obj, * out_obj;
    if (!PyArg_ParseTuple(args, "OO", &pars_obj, &out_obj)) {
        return NULL;
    }
    struct hfxpy_array pars, out;
    if (hfxpy_doubles(pars_obj, self->n_pars, 0, "pars", &pars) < 0) {
        return NULL;
    }
    if (hfxpy_doubles(out_obj, self->n_data, HFXPY_WRITABLE, "out", &out) < 0) {
        hfxpy_array_release(&pars);
        return NULL;
    }
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(NULL, st = hfx_model_expected_data(self->m, pars.data, out.data, &err));
    hfxpy_array_release(&pars);
    hfxpy_array_release(&out);
    return st == HFX_OK ? Py_NewRef(Py_None) : hfxpy_raise(st, &err);
}

static PyMethodDef model_methods[] = {
    {"info", (PyCFunction) model_info, METH_NOARGS,
     "info() -> dict: layout (parsets as (name, type, offset, size)), init, bounds, fixed, observed data, channels, "
     "samples."},
    {"expected_data", (PyCFunction) model_expected_data, METH_VARARGS,
     "expected_data(pars, out): main + auxiliary expected data at pars into out."},
    {"par_info", (PyCFunction) hfxpy_model_par_info, METH_NOARGS,
     "par_info() -> dict: names (pyhf's par_names), constrained, prefit_width per parameter."},
    {"goodness_of_fit", (PyCFunction) (void (*)(void)) hfxpy_model_goodness_of_fit, METH_VARARGS | METH_KEYWORDS,
     "goodness_of_fit(twice_nll, data=None) -> dict: the saturated-model test (hfx_goodness_of_fit)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject hfxpy_model_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hfx._core.Model",
    .tp_basicsize                          = sizeof(hfxpy_model),
    .tp_dealloc                            = (destructor) model_dealloc,
    .tp_flags                              = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Model(workspace, measurement=None, normsys=0, histosys=0, no_poi=False): a compiled model.",
    .tp_methods = model_methods,
    .tp_new     = model_new,
};
