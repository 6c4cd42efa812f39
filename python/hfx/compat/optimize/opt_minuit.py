"""hfx.compat.optimize.opt_minuit: pyhf's minuit_optimizer (pyhf/optimize/opt_minuit.py's semantics):
iminuit's MIGRAD, then HESSE for the uncertainties and correlations, on hfx's likelihood; the result
carries the Minuit object (.minuit), as cabinetry reads it. Used when the user sets it
(pyhf.set_backend(..., "minuit") or a minuit_optimizer object). iminuit is looked up at each fit
(iminuit.Minuit), so that a patched Minuit is the one used."""
import iminuit
import scipy.optimize

from ...exceptions import Unsupported
from .mixins import OptimizerMixin

__all__ = ["minuit_optimizer"]


class minuit_optimizer(OptimizerMixin):
    """pyhf's minuit_optimizer(errordef=1, steps=1000, strategy=None, tolerance=0.1, maxiter=100000,
    verbose=0). strategy None: 0 with a gradient, 1 without."""

    def __init__(self, *args, **kwargs):
        self.name = "minuit"
        self.errordef = kwargs.pop("errordef", 1)
        self.steps = kwargs.pop("steps", 1000)
        self.strategy = kwargs.pop("strategy", None)
        self.tolerance = kwargs.pop("tolerance", 0.1)
        super().__init__(*args, **kwargs)

    def _get_minimizer(self, objective_and_grad, init_pars, init_bounds, fixed_vals=None, do_grad=False,
                       par_names=None):
        """An iminuit.Minuit from init_pars (the fixed values put in), limits init_bounds, the fixed
        parameters fixed; with do_grad, objective_and_grad returns (value, gradient)."""
        fixed = [False] * len(init_pars)
        for index, value in fixed_vals or []:
            fixed[index] = True
            init_pars[index] = value
        if do_grad:
            def value(pars):
                return objective_and_grad(pars)[0]

            def grad(pars):
                return objective_and_grad(pars)[1]
        else:
            value, grad = objective_and_grad, None
        minuit = iminuit.Minuit(value, init_pars, grad=grad, name=par_names)
        minuit.limits = init_bounds
        minuit.fixed = fixed
        minuit.print_level = self.verbose
        minuit.errordef = self.errordef
        return minuit

    def _minimize(self, minimizer, func, x0, do_grad=False, bounds=None, fixed_vals=None, options={}):
        """MIGRAD with pyhf's options (maxiter: its call limit, strategy, tolerance), HESSE where MIGRAD's
        minimum is valid; an OptimizeResult with x, unc, corr, success, fun, hess_inv, message (MIGRAD's
        failure named as iminuit's scipy interface names it), nfev, njev and minuit."""
        maxiter = options.pop("maxiter", self.maxiter)
        strategy = options.pop("strategy", self.strategy)
        if strategy is None:  # MIGRAD checks a user's gradient against its own at strategy 1
            strategy = 0 if do_grad else 1
        tolerance = options.pop("tolerance", self.tolerance)
        if options:
            raise Unsupported(f"Unsupported options were passed in: {list(options.keys())}.")
        minimizer.strategy = strategy
        minimizer.tol = tolerance
        minimizer.migrad(ncall=maxiter)
        message = "Optimization terminated successfully."
        hess_inv = corr = unc = None
        if not minimizer.valid:
            message = "Optimization failed."
            fmin = minimizer.fmin
            if fmin.has_reached_call_limit:
                message += " Call limit was reached."
            if fmin.is_above_max_edm:
                message += " Estimated distance to minimum too large."
        else:
            minimizer.hesse()
            hess_inv = minimizer.covariance
            corr = hess_inv.correlation()
            unc = minimizer.errors
        return scipy.optimize.OptimizeResult(x=minimizer.values, unc=unc, corr=corr, success=minimizer.valid,
                                             fun=minimizer.fval, hess_inv=hess_inv, message=message,
                                             nfev=minimizer.nfcn, njev=minimizer.ngrad, minuit=minimizer)
