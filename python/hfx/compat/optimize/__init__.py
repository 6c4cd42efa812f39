"""hfx.compat.optimize: pyhf's optimizer objects (scipy_optimizer, minuit_optimizer) as names. hfx fits
with its own optimizer (bounded quasi-Newton, analytic gradients) whichever is set; the object keeps
the options it was given (name, maxiter, tolerance, ...) for code that reads them. The options that
could change a fit are listed in docs/pyhf-compat.md with what hfx does instead."""

__all__ = ["scipy_optimizer", "minuit_optimizer", "mixins", "common"]


class _Optimizer:
    name = "hfx"

    def __init__(self, *args, **kwargs):
        self.maxiter = kwargs.pop("maxiter", 100000)
        self.verbose = kwargs.pop("verbose", 0)
        self.tolerance = kwargs.pop("tolerance", None)
        self.solver_options = kwargs.pop("solver_options", {})
        if kwargs:  # as pyhf's optimizers
            from ...exceptions import Unsupported
            raise Unsupported(f"Unsupported kwargs were passed in: {list(kwargs)}.")

    def __repr__(self):
        return f"<hfx.compat {self.name} optimizer (fits run in hfx)>"

    def minimize(self, objective, data, pdf, init_pars, par_bounds, fixed_vals=None, return_fitted_val=False,
                 return_result_obj=False, return_uncertainties=False, return_correlations=False, do_grad=None,
                 do_stitch=False, **kwargs):
        """pyhf's optimizer.minimize for its objective, twice_nll (pyhf.infer.mle.twice_nll or hfx's): the
        fit runs in hfx with the parameters of fixed_vals [(index, value)] held at their values; pyhf's
        return shapes (best fit; fitted value; result object; uncertainties; correlations)."""
        from ...infer import mle
        if getattr(objective, "__name__", "") != "twice_nll":
            from ...exceptions import Unsupported
            raise Unsupported("hfx.compat's optimizers minimise twice_nll only (hfx's fits run in its library)")
        init = [float(x) for x in init_pars]
        fixed = [False] * len(init)
        for index, value in fixed_vals or []:
            init[index], fixed[index] = float(value), True
        return mle._fit(data, pdf, init, par_bounds, fixed, False, 0.0, return_fitted_val, return_result_obj,
                        return_uncertainties, return_correlations, kwargs)


class scipy_optimizer(_Optimizer):
    """pyhf's scipy_optimizer: accepted; fits run in hfx."""
    name = "scipy"


class minuit_optimizer(_Optimizer):
    """pyhf's minuit_optimizer: accepted; fits run in hfx (the result's .minuit is None)."""
    name = "minuit"

    def __init__(self, *args, **kwargs):
        self.errordef = kwargs.pop("errordef", 1)
        self.steps = kwargs.pop("steps", 1000)
        self.strategy = kwargs.pop("strategy", None)
        super().__init__(*args, **kwargs)


from . import common, mixins  # noqa: E402,F401
