"""hfx.infer.mle: pyhf.infer.mle's maximum-likelihood fits (fit, fixed_poi_fit, twice_nll), with pyhf's
arguments and return shapes; the result object (return_result_obj) has the fields of the
scipy.optimize.OptimizeResult pyhf's optimizers return."""
import numpy as np

from .._errors import error
from .._model import as_bools, as_doubles
from .._model import Model
from ._common import check_model, check_optimizer_kwargs, chosen_optimizer

__all__ = ["fit", "fixed_poi_fit", "twice_nll", "FitResult"]


try:  # pyhf's optimizers return scipy's OptimizeResult (a dict with attribute access)
    from scipy.optimize import OptimizeResult as _ResultBase
except ImportError:  # scipy is not a dependency of hfx
    _ResultBase = dict


class FitResult(_ResultBase):
    """The result object of fit(..., return_result_obj=True): a dict with attribute access, as scipy's
    OptimizeResult that pyhf's optimizers return: x (best fit; [n, 2] values and uncertainties with
    return_uncertainties, as pyhf's), fun (twice_nll at the minimum), unc (uncertainties, or None),
    success, status (hfx's fit status: "converged", "max_iter", ...), message, nit, nfev, minuit (None:
    hfx's fits are not Minuit's), hess_inv (None)."""

    def __init__(self, x, fun, unc, status, nit, nfev):
        super().__init__(x=x, fun=fun, unc=unc, status=status, nit=nit, nfev=nfev, success=status == "converged",
                         message="Optimization terminated successfully." if status == "converged" else
                         f"hfx fit status: {status}", minuit=None, hess_inv=None)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    def __repr__(self):
        return f"FitResult(fun={float(self['fun'])!r}, status={self['status']!r}, nit={self['nit']}, nfev={self['nfev']})"


def _correlations(model, pars, data, fixed):
    """The correlation matrix at the best fit: the inverse of the Hessian of twice_nll over the free
    parameters (central differences of hfx's analytic gradient, steps 1e-5 of each parameter's scale);
    rows and columns of fixed parameters are 0, as pyhf's."""
    free = np.flatnonzero(~fixed)
    n = pars.size
    hess = np.zeros((free.size, free.size))
    for k, i in enumerate(free):
        h = 1e-5 * max(1.0, abs(pars[i]))
        up, dn = pars.copy(), pars.copy()
        up[i] += h
        dn[i] -= h
        g_up = model.twice_nll(up, data, return_grad=True)[1]
        g_dn = model.twice_nll(dn, data, return_grad=True)[1]
        hess[k] = (g_up - g_dn)[free] / (2 * h)
    hess = 0.5 * (hess + hess.T)
    cov = np.linalg.inv(hess)
    sigma = np.sqrt(np.diag(cov))
    corr = np.zeros((n, n))
    corr[np.ix_(free, free)] = cov / np.outer(sigma, sigma)
    return corr


def twice_nll(pars, data, pdf):
    """pyhf.infer.mle.twice_nll: -2 log L, shape (1,). An hfx model's, or (as pyhf's) that of any model
    with pyhf's logpdf(pars, data), for the optimizers of hfx.compat that the user may set."""
    if not isinstance(pdf, Model) and callable(getattr(pdf, "logpdf", None)):
        return -2.0 * pdf.logpdf(pars, data)
    return -2.0 * check_model(pdf).logpdf(pars, data)


def _optimizer_fit(optimizer, data, pdf, init_pars, par_bounds, fixed_params, fix_poi, poi_val, kwargs):
    """pyhf's mle.fit through a pyhf-style optimizer the user set (hfx.compat.set_backend with
    scipy_optimizer, minuit_optimizer or a custom one): the model's suggestions where not given, the
    POI held at poi_val with fix_poi, the fixed parameters as (index, value) pairs, and every keyword
    (return_*, maxiter, tolerance, ...) to optimizer.minimize, as pyhf does."""
    cfg = pdf.config
    init = list(cfg.suggested_init() if init_pars is None else init_pars)
    bounds = list(cfg.suggested_bounds() if par_bounds is None else par_bounds)
    fixed = list(cfg.suggested_fixed() if fixed_params is None else fixed_params)
    if fix_poi:
        init[cfg.poi_index], fixed[cfg.poi_index] = poi_val, True
    _validate_fit_inputs(init, bounds)
    fixed_vals = [(i, value) for i, (value, is_fixed) in enumerate(zip(init, fixed)) if is_fixed]
    return optimizer.minimize(twice_nll, data, pdf, init, bounds, fixed_vals, **kwargs)


def _validate_fit_inputs(init_pars, par_bounds):
    """pyhf's check (a ValueError, as pyhf's): every start value inside its bounds."""
    for i, (value, bound) in enumerate(zip(init_pars, par_bounds)):
        if not (bound[0] <= value <= bound[1]):
            raise ValueError(f"fit initialization parameter (index: {i}, value: {value}) lies outside of its "
                             f"bounds: {bound}")


def _fit(data, pdf, init_pars, par_bounds, fixed_params, fix_poi, poi_val, return_fitted_val, return_result_obj,
         return_uncertainties, return_correlations, kwargs):
    check_model(pdf)
    check_optimizer_kwargs(kwargs, "fit")
    n = pdf.config.npars
    init_list = pdf.config.suggested_init() if init_pars is None else list(np.asarray(init_pars, float).ravel())
    bounds_list = pdf.config.suggested_bounds() if par_bounds is None else list(par_bounds)
    if len(init_list) == n and len(bounds_list) == n:
        _validate_fit_inputs(init_list, bounds_list)
    model = pdf._with_settings(par_bounds=par_bounds) if par_bounds is not None else pdf
    init = None if init_pars is None else as_doubles(init_pars, n, "init_pars")
    fixed = None if fixed_params is None else as_bools(fixed_params, n, "fixed_params")
    pars = np.empty(n)
    unc = np.empty(n) if (return_uncertainties or return_result_obj) else None
    r = model.engine.fit(pars, unc, model.data_array(data), init, fixed, fix_poi, float(poi_val))
    fun = np.asarray(r["twice_nll"], dtype=np.float64)
    x = np.stack([pars, unc], axis=1) if return_uncertainties else pars
    result = FitResult(x, fun, unc, r["status_name"], r["n_iter"], r["n_eval"])
    out = [x]
    if return_correlations:
        result.corr = _correlations(model, pars, model.data_array(data),
                                    np.asarray(fixed if fixed is not None else model.config.suggested_fixed(), bool))
        out.append(result.corr)
    if return_fitted_val:
        out.append(fun)
    if return_result_obj:
        out.append(result)
    return tuple(out) if len(out) > 1 else out[0]


def fit(data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_val=False,
        return_result_obj=False, return_uncertainties=False, return_correlations=False, **kwargs):
    """pyhf.infer.mle.fit: the best-fit parameters ([n]; [n, 2] value and uncertainty with
    return_uncertainties), with twice_nll at the minimum (0-d) when return_fitted_val, and the result
    object (FitResult) when return_result_obj. init_pars, par_bounds and fixed_params as pyhf's (other
    bounds than the model's rebuild it with those bounds). pyhf's optimizer options (maxiter, tolerance,
    do_grad, ...) as documented in docs/pyhf-compat.md. The minimum is at or below pyhf's (hfx looks for
    the global one: explore= of Workspace.model). A fit that reaches hfx's iteration limit returns, with
    success False and status "max-iterations" in the result object (pyhf raises FailedMinimization: hfx
    keeps its result, as the CLI, docs/pyhf-compat.md). Where hfx.compat.set_backend set one of pyhf's
    optimizers (scipy_optimizer, minuit_optimizer, a custom one), the fit is that optimizer's, as pyhf's."""
    optimizer = chosen_optimizer(pdf)
    if optimizer is not None:
        return _optimizer_fit(optimizer, data, pdf, init_pars, par_bounds, fixed_params, False, 0.0,
                              dict(kwargs, return_fitted_val=return_fitted_val, return_result_obj=return_result_obj,
                                   return_uncertainties=return_uncertainties,
                                   return_correlations=return_correlations))
    return _fit(data, pdf, init_pars, par_bounds, fixed_params, False, 0.0, return_fitted_val, return_result_obj,
                return_uncertainties, return_correlations, kwargs)


def fixed_poi_fit(poi_val, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_val=False,
                  return_result_obj=False, return_uncertainties=False, return_correlations=False, **kwargs):
    """pyhf.infer.mle.fixed_poi_fit: fit with the POI held at poi_val (through the optimizer set, as fit)."""
    optimizer = chosen_optimizer(pdf)
    if optimizer is None:
        check_model(pdf)
    if pdf.config.poi_index is None:
        raise error(UnspecifiedPOIError, "No POI is defined. A POI is required for profile likelihood based "
                                         "test statistics (fixed_poi_fit; the model was built without one).")
    if optimizer is not None:
        return _optimizer_fit(optimizer, data, pdf, init_pars, par_bounds, fixed_params, True, poi_val,
                              dict(kwargs, return_fitted_val=return_fitted_val, return_result_obj=return_result_obj,
                                   return_uncertainties=return_uncertainties,
                                   return_correlations=return_correlations))
    return _fit(data, pdf, init_pars, par_bounds, fixed_params, True, poi_val, return_fitted_val, return_result_obj,
                return_uncertainties, return_correlations, kwargs)


from .._errors import UnspecifiedPOIError  # noqa: E402
