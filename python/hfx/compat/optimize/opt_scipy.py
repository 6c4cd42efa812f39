"""hfx.compat.optimize.opt_scipy: pyhf's scipy_optimizer (pyhf/optimize/opt_scipy.py's semantics):
scipy.optimize.minimize (SLSQP by default) on hfx's likelihood, fixed parameters as equality
constraints, pyhf's options (maxiter, verbose, method, tolerance, solver_options). Used when the user
sets it (pyhf.set_backend(..., "scipy") or a scipy_optimizer object): the fit, its numbers and its early
stops are then pyhf's optimizer's, on hfx's twice_nll."""
import scipy.optimize

from ...exceptions import Unsupported
from .mixins import OptimizerMixin

__all__ = ["scipy_optimizer"]


class scipy_optimizer(OptimizerMixin):
    """pyhf's scipy_optimizer(tolerance=None, solver_options={}, maxiter=100000, verbose=0)."""

    def __init__(self, *args, **kwargs):
        self.name = "scipy"
        self.tolerance = kwargs.pop("tolerance", None)
        self.solver_options = kwargs.pop("solver_options", {})
        super().__init__(*args, **kwargs)

    def _get_minimizer(self, objective_and_grad, init_pars, init_bounds, fixed_vals=None, do_grad=False,
                       par_names=None):
        return scipy.optimize.minimize

    def _minimize(self, minimizer, func, x0, do_grad=False, bounds=None, fixed_vals=None, options={}):
        """minimizer (scipy.optimize.minimize's signature) run from x0, the fixed values put into x0 and
        held by equality constraints; options as minimize()'s keywords: maxiter, verbose, method,
        tolerance, solver_options (each overriding the optimizer's own)."""
        maxiter = options.pop("maxiter", self.maxiter)
        verbose = options.pop("verbose", self.verbose)
        method = options.pop("method", "SLSQP")
        tolerance = options.pop("tolerance", self.tolerance)
        solver_options = options.pop("solver_options", self.solver_options)
        if options:
            raise Unsupported(f"Unsupported options were passed in: {list(options.keys())}.")
        fixed_vals = fixed_vals or []
        constraints = []
        if fixed_vals:
            indices = [i for i, _ in fixed_vals]
            values = [v for _, v in fixed_vals]
            constraints = [{"type": "eq", "fun": lambda v: v[indices] - values}]
            for index, value in fixed_vals:
                x0[index] = value
        return minimizer(func, x0, method=method, jac=do_grad, bounds=bounds, constraints=constraints,
                         tol=tolerance, options=dict(maxiter=maxiter, disp=bool(verbose), **solver_options))
