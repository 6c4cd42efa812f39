/*
 * core-module.c -- the module hfx._core itself: PyInit__core (its types, exceptions and constants)
 * and the module-level calls (backends, toys_cls). It depends on every type's file; none of them
 * depends on it (the helpers they share are core.c's), so the module's files form no circle.
 */
#include "core.h"

#include <string.h>

//
// Module-level calls
//

static PyObject * core_backends(PyObject * self, PyObject * unused) {
    (void) self;
    (void) unused;
    size_t     n   = hfx_backend_count();
    PyObject * out = PyList_New(0);
    for (size_t i = 0; out && i < n; i++) {
        const char * why    = NULL;
        bool         usable = hfx_backend_usable(i, &why);
        PyObject *   row    = Py_BuildValue("{s:s,s:O,s:s,s:s}", "name", hfx_backend_name(i), "usable",
                                            usable ? Py_True : Py_False, "why", why ? why : "", "description",
                                            hfx_backend_description(i) ? hfx_backend_description(i) : "");
        if (!row || PyList_Append(out, row) < 0) {
            Py_XDECREF(row);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(row);
    }
    return out;
}

static PyObject * core_toys_cls(PyObject * self, PyObject * args) {
    (void) self;
    int        kind;
    double     teststat;
    PyObject * sb_obj, * b_obj;
    Py_ssize_t n_sb, n_b;
    if (!PyArg_ParseTuple(args, "idOnOn", &kind, &teststat, &sb_obj, &n_sb, &b_obj, &n_b)) {
        return NULL;
    }
    if (kind < HFX_TESTSTAT_QTILDE || kind > HFX_TESTSTAT_TMUTILDE || n_sb < 1 || n_b < 1) {
        return hfxpy_raise_arg("toys_cls: invalid test statistic %d or empty ensemble", kind);
    }
    struct hfxpy_array sb, b;
    if (hfxpy_doubles(sb_obj, (size_t) n_sb, 0, "teststat_sb", &sb) < 0) {
        return NULL;
    }
    if (hfxpy_doubles(b_obj, (size_t) n_b, 0, "teststat_b", &b) < 0) {
        hfxpy_array_release(&sb);
        return NULL;
    }
    struct hfx_hypotest_result r;
    struct hfx_error           err;
    enum hfx_status            st;
    memset(&r, 0, sizeof r);
    HFXPY_CALL(NULL, st = hfx_toys_cls((enum hfx_teststat) kind, teststat, sb.data, (size_t) n_sb, b.data, (size_t) n_b,
                                       &r, &err));
    hfxpy_array_release(&sb);
    hfxpy_array_release(&b);
    return st == HFX_OK ? hfxpy_hypotest_dict(&r) : hfxpy_raise(st, &err);
}

static PyMethodDef core_methods[] = {
    {"backends", core_backends, METH_NOARGS,
     "backends() -> [{'name', 'usable', 'why', 'description'}]: the backends compiled in and whether each can run "
     "here."},
    {"toys_cls", core_toys_cls, METH_VARARGS,
     "toys_cls(teststat_kind, teststat, sb, n_sb, b, n_b) -> dict: the toy-based result from test statistics "
     "(hfx_toys_cls)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "hfx._core",
    "The C extension behind the package hfx: libhfx's handles as types, arrays through the buffer protocol. Use "
    "the package (hfx.Workspace, hfx.infer, ...), not this module.",
    -1, core_methods, NULL, NULL, NULL, NULL,
};

static int add_int(PyObject * m, const char * name, long v) { return PyModule_AddIntConstant(m, name, v); }

PyMODINIT_FUNC PyInit__core(void) {
    PyObject * m = PyModule_Create(&core_module);
    if (!m) {
        return NULL;
    }
    PyTypeObject * types[] = {&hfxpy_workspace_type, &hfxpy_patchset_type, &hfxpy_model_type, &hfxpy_engine_type};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (PyModule_AddType(m, types[i]) < 0) {
            goto fail;
        }
    }
    if (hfxpy_errors_init(m) < 0 || add_int(m, "TESTSTAT_QTILDE", HFX_TESTSTAT_QTILDE) < 0 ||
        add_int(m, "TESTSTAT_Q", HFX_TESTSTAT_Q) < 0 || add_int(m, "TESTSTAT_Q0", HFX_TESTSTAT_Q0) < 0 ||
        add_int(m, "TESTSTAT_TMU", HFX_TESTSTAT_TMU) < 0 || add_int(m, "TESTSTAT_TMUTILDE", HFX_TESTSTAT_TMUTILDE) < 0 ||
        add_int(m, "CALC_ASYMPTOTICS", HFX_CALC_ASYMPTOTICS) < 0 || add_int(m, "CALC_TOYBASED", HFX_CALC_TOYBASED) < 0 ||
        add_int(m, "INTERP_DEFAULT", HFX_INTERP_DEFAULT) < 0 || add_int(m, "INTERP_CODE0", HFX_INTERP_CODE0) < 0 ||
        add_int(m, "INTERP_CODE1", HFX_INTERP_CODE1) < 0 || add_int(m, "INTERP_CODE2", HFX_INTERP_CODE2) < 0 ||
        add_int(m, "INTERP_CODE4", HFX_INTERP_CODE4) < 0 || add_int(m, "INTERP_CODE4P", HFX_INTERP_CODE4P) < 0 ||
        add_int(m, "EXPLORE_DEFAULT", HFX_EXPLORE_DEFAULT) < 0 || add_int(m, "EXPLORE_THOROUGH", HFX_EXPLORE_THOROUGH) < 0 ||
        add_int(m, "EXPLORE_NONE", HFX_EXPLORE_NONE) < 0 || add_int(m, "MAX_ITER_DEFAULT", HFX_FIT_MAX_ITER_DEFAULT) < 0 ||
        add_int(m, "OPTIMIZER_AUTO", HFX_OPTIMIZER_AUTO) < 0 || add_int(m, "OPTIMIZER_BFGS", HFX_OPTIMIZER_BFGS) < 0 ||
        add_int(m, "OPTIMIZER_LBFGS", HFX_OPTIMIZER_LBFGS) < 0) {
        goto fail;
    }
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
