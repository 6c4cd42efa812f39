"""hfx.compat.optimize: pyhf's optimizer objects (scipy_optimizer, minuit_optimizer) as names. hfx fits
with its own optimizer (bounded quasi-Newton, analytic gradients) whichever is set; the object keeps
the options it was given (name, maxiter, tolerance, ...) for code that reads them. The options that
could change a fit are listed in docs/pyhf-compat.md with what hfx does instead."""

__all__ = ["scipy_optimizer", "minuit_optimizer"]


class _Optimizer:
    name = "hfx"

    def __init__(self, *args, **kwargs):
        self.maxiter = kwargs.pop("maxiter", 100000)
        self.verbose = kwargs.pop("verbose", 0)
        self.tolerance = kwargs.pop("tolerance", None)
        self.solver_options = kwargs.pop("solver_options", {})
        self.options = kwargs

    def __repr__(self):
        return f"<hfx.compat {self.name} optimizer (fits run in hfx)>"


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
