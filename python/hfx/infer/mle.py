"""hfx.infer.mle: pyhf.infer.mle's maximum-likelihood fits (fit, fixed_poi_fit, twice_nll)."""
import numpy as np

from .. import _core
from .._errors import error
from .._model import as_bools, as_doubles
from ._common import check_bounds_default, check_model

__all__ = ["fit", "fixed_poi_fit", "twice_nll", "FitResult"]


class FitResult:
    """The result object of fit(..., return_result_obj=True), with the attributes of scipy's
    OptimizeResult that pyhf users read: x (best fit), fun (twice_nll), unc (or None), success, status
    (hfx's fit status: "converged", "max_iter", ...), nit, nfev."""

    def __init__(self, x, fun, unc, status, nit, nfev):
        self.x, self.fun, self.unc, self.status, self.nit, self.nfev = x, fun, unc, status, nit, nfev
        self.success = status == "converged"

    def __repr__(self):
        return f"FitResult(fun={float(self.fun)!r}, status={self.status!r}, nit={self.nit}, nfev={self.nfev})"


def twice_nll(pars, data, pdf):
    """pyhf.infer.mle.twice_nll: -2 log L, shape (1,)."""
    return -2.0 * check_model(pdf).logpdf(pars, data)


def _fit(data, pdf, init_pars, par_bounds, fixed_params, fix_poi, poi_val, return_fitted_val, return_result_obj,
         return_uncertainties, return_correlations, kwargs):
    check_model(pdf)
    for key in kwargs:  # pyhf's optimizer options (maxiter, tolerance, ...) belong to its optimizers
        raise TypeError(f"fit() got an unexpected keyword argument {key!r}")
    if return_correlations:
        raise error(_core.UnsupportedError, "fit: return_correlations is not supported by hfx")
    check_bounds_default(pdf, par_bounds, "fit")
    n = pdf.config.npars
    init = None if init_pars is None else as_doubles(init_pars, n, "init_pars")
    fixed = None if fixed_params is None else as_bools(fixed_params, n, "fixed_params")
    pars = np.empty(n)
    unc = np.empty(n) if (return_uncertainties or return_result_obj) else None
    r = pdf.engine.fit(pars, unc, pdf.data_array(data), init, fixed, fix_poi, float(poi_val))
    fun = np.asarray(r["twice_nll"], dtype=np.float64)
    x = np.stack([pars, unc], axis=1) if return_uncertainties else pars
    out = [x]
    if return_fitted_val:
        out.append(fun)
    if return_result_obj:
        out.append(FitResult(x, fun, unc, r["status_name"], r["n_iter"], r["n_eval"]))
    return tuple(out) if len(out) > 1 else out[0]


def fit(data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_val=False,
        return_result_obj=False, return_uncertainties=False, return_correlations=False, **kwargs):
    """pyhf.infer.mle.fit: the best-fit parameters ([n]; [n, 2] value and uncertainty with
    return_uncertainties), with twice_nll at the minimum (0-d) when return_fitted_val. init_pars and
    fixed_params as pyhf's; par_bounds must be the model's. The minimum is at or below pyhf's (hfx looks
    for the global one: explore= of Workspace.model)."""
    return _fit(data, pdf, init_pars, par_bounds, fixed_params, False, 0.0, return_fitted_val, return_result_obj,
                return_uncertainties, return_correlations, kwargs)


def fixed_poi_fit(poi_val, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_val=False,
                  return_result_obj=False, return_uncertainties=False, return_correlations=False, **kwargs):
    """pyhf.infer.mle.fixed_poi_fit: fit with the POI held at poi_val."""
    check_model(pdf)
    if pdf.config.poi_index is None:
        raise error(_core.ArgumentError, "fixed_poi_fit needs a POI; the model was built without one (poi_name=None)")
    return _fit(data, pdf, init_pars, par_bounds, fixed_params, True, poi_val, return_fitted_val, return_result_obj,
                return_uncertainties, return_correlations, kwargs)
