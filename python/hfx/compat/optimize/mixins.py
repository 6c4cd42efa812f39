"""hfx.compat.optimize.mixins: OptimizerMixin, the base of pyhf's optimizer objects, with pyhf 0.7.6's
semantics (pyhf/optimize/mixins.py, read to match, not copied): minimize() prepares the objective through
the tensor shim (common.shim), runs the optimizer's own _get_minimizer/_minimize, raises
FailedMinimization when the minimizer reports no success, and stitches fixed parameters, uncertainties and
correlations back into the full parameter vector.

hfx.compat's scipy_optimizer and minuit_optimizer derive from it and run scipy's and iminuit's
minimizers on hfx's likelihood, as pyhf's do on its own: the user chose them. hfx_optimizer (the
default one) overrides minimize() with hfx's fit in its C library."""
import numpy as np

from ...exceptions import FailedMinimization, Unsupported
from .common import shim

__all__ = ["OptimizerMixin"]


class OptimizerMixin:
    """pyhf's OptimizerMixin: maxiter (default 100000) and verbose (0); other keywords are Unsupported."""

    def __init__(self, **kwargs):
        self.maxiter = kwargs.pop("maxiter", 100000)
        self.verbose = kwargs.pop("verbose", 0)
        if kwargs:
            raise Unsupported(f"Unsupported kwargs were passed in: {list(kwargs.keys())}.")

    def _internal_minimize(self, func, x0, do_grad=False, bounds=None, fixed_vals=None, options={},
                           par_names=None):
        minimizer = self._get_minimizer(func, x0, bounds, fixed_vals=fixed_vals, do_grad=do_grad,
                                        par_names=par_names)
        result = self._minimize(minimizer, func, x0, do_grad=do_grad, bounds=bounds, fixed_vals=fixed_vals,
                                options=options)
        if not result.success:
            raise FailedMinimization(result)
        return result

    def _internal_postprocess(self, fitresult, stitch_pars, return_uncertainties=False):
        """The fit result with every parameter: x stitched with the fixed values; unc (Minuit's; 0 for
        the parameters Minuit held fixed, and for those stitched out) and corr stitched with zeros; x
        becomes [n, 2] (value, uncertainty) with return_uncertainties, as pyhf's."""
        fitted = np.asarray(stitch_pars(np.asarray(fitresult.x, dtype=np.float64)), dtype=np.float64)
        n_fixed = len(fitted) - len(fitresult.x)
        unc = getattr(fitresult, "unc", None)
        if unc is not None:
            unc = np.where(fitresult.minuit.fixed, 0.0, np.asarray(unc, dtype=np.float64))
            unc = np.asarray(stitch_pars(unc, stitch_with=np.zeros(n_fixed)), dtype=np.float64)
            if return_uncertainties:
                fitted = np.stack([fitted, unc], axis=1)
        corr = getattr(fitresult, "corr", None)
        if corr is not None:
            corr = np.asarray(corr, dtype=np.float64)
            zeros = np.zeros(n_fixed)
            columns = [stitch_pars(np.asarray(c), stitch_with=zeros) for c in corr.T]
            corr = np.stack([stitch_pars(np.asarray(r), stitch_with=zeros) for r in np.asarray(columns).T], axis=1)
        fitresult.x = fitted
        fitresult.fun = np.asarray(fitresult.fun, dtype=np.float64)
        fitresult.unc = unc
        fitresult.corr = corr
        return fitresult

    def minimize(self, objective, data, pdf, init_pars, par_bounds, fixed_vals=None, return_fitted_val=False,
                 return_result_obj=False, return_uncertainties=False, return_correlations=False, do_grad=None,
                 do_stitch=False, **kwargs):
        """pyhf's optimizer.minimize: objective(pars, data, pdf) minimised from init_pars within
        par_bounds, the (index, value) pairs of fixed_vals held; returns the best fit, then (in this
        order, each when asked) the correlations, the objective's minimum and the result object
        (scipy's OptimizeResult). do_grad defaults to the tensor library's (numpy: no gradient);
        kwargs go to the optimizer (maxiter, tolerance, ...: Unsupported where it does not know them)."""
        from .. import get_backend
        tensorlib, _ = get_backend()
        do_grad = tensorlib.default_do_grad if do_grad is None else do_grad
        minimizer_kwargs, stitch_pars = shim(objective, data, pdf, init_pars, par_bounds, fixed_vals,
                                             do_grad=do_grad, do_stitch=do_stitch)
        try:  # a model config without names (not pyhf's) gives Minuit's x0, x1, ...
            par_names = pdf.config.par_names
        except AttributeError:
            par_names = None
        if par_names and do_stitch and fixed_vals:
            held = {index for index, _ in fixed_vals}
            par_names = [name for i, name in enumerate(par_names) if i not in held]
        result = self._internal_minimize(**minimizer_kwargs, options=kwargs, par_names=par_names)
        result = self._internal_postprocess(result, stitch_pars, return_uncertainties=return_uncertainties)
        out = [result.x]
        if return_correlations:
            out.append(result.corr)
        if return_fitted_val:
            out.append(result.fun)
        if return_result_obj:
            out.append(result)
        return tuple(out) if len(out) > 1 else out[0]
