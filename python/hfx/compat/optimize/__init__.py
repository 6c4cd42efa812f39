"""hfx.compat.optimize: pyhf's optimizer objects. Fits go through the optimizer set with set_backend, as
in pyhf:

- hfx_optimizer (the default): hfx's own fit in its C library (bounded quasi-Newton, analytic gradient,
  converged to its own criterion; docs/pyhf-compat.md says which of pyhf's options it honours);
- scipy_optimizer and minuit_optimizer, when the user sets one: pyhf's optimizers, with pyhf's options
  and semantics, running scipy.optimize.minimize (SLSQP) or iminuit's MIGRAD on hfx's twice_nll. Their
  numbers are then pyhf's optimizer's (early stops included); they need scipy, iminuit.

pyhf.infer.mle.fit / fixed_poi_fit and optimizer.minimize use the optimizer set; hypotest, upper limits,
the calculators and the test statistics run hfx's inference (its fits) whichever is set."""
import importlib

from .mixins import OptimizerMixin
from . import common, mixins  # noqa: F401

__all__ = ["OptimizerMixin", "hfx_optimizer", "scipy_optimizer", "minuit_optimizer", "mixins", "common"]


class hfx_optimizer(OptimizerMixin):
    """hfx's own fit (the default optimizer of hfx.compat): maxiter, verbose, tolerance and
    solver_options are kept for code that reads them; the fit does not use them (docs/pyhf-compat.md)."""

    def __init__(self, *args, **kwargs):
        self.name = "hfx"
        self.tolerance = kwargs.pop("tolerance", None)
        self.solver_options = kwargs.pop("solver_options", {})
        super().__init__(*args, **kwargs)

    def __repr__(self):
        return "<hfx.compat hfx_optimizer (hfx's own fit)>"

    def minimize(self, objective, data, pdf, init_pars, par_bounds, fixed_vals=None, return_fitted_val=False,
                 return_result_obj=False, return_uncertainties=False, return_correlations=False, do_grad=None,
                 do_stitch=False, **kwargs):
        """pyhf's optimizer.minimize for its objective, twice_nll (pyhf.infer.mle.twice_nll or hfx's): the
        fit runs in hfx with the parameters of fixed_vals [(index, value)] held at their values; pyhf's
        return shapes (best fit; correlations; fitted value; result object)."""
        from ...infer import mle
        if getattr(objective, "__name__", "") != "twice_nll":
            from ...exceptions import Unsupported
            raise Unsupported("hfx_optimizer minimises twice_nll only (hfx's fits run in its library); "
                              "set scipy_optimizer or minuit_optimizer for other objectives")
        init = [float(x) for x in init_pars]
        fixed = [False] * len(init)
        for index, value in fixed_vals or []:
            init[index], fixed[index] = float(value), True
        kwargs.update(do_grad=do_grad, do_stitch=do_stitch)
        return mle._fit(data, pdf, init, par_bounds, fixed, False, 0.0, return_fitted_val, return_result_obj,
                            return_uncertainties, return_correlations, kwargs)


_LAZY = {"scipy_optimizer": "opt_scipy", "minuit_optimizer": "opt_minuit"}


def __getattr__(name):
    """scipy_optimizer and minuit_optimizer, imported when first asked for (scipy and iminuit are not
    dependencies of hfx)."""
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
