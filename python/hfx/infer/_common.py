"""What hfx.infer's functions share: the checks of pyhf's optional fit arguments, test statistic and
calculator names."""
import numpy as np

from .. import _core
from .._errors import error
from .._model import Model

TEST_STATS = {"qtilde": _core.TESTSTAT_QTILDE, "q": _core.TESTSTAT_Q, "q0": _core.TESTSTAT_Q0,
              "tmu": _core.TESTSTAT_TMU, "tmu_tilde": _core.TESTSTAT_TMUTILDE, "tmutilde": _core.TESTSTAT_TMUTILDE}
CALCTYPES = {"asymptotics": _core.CALC_ASYMPTOTICS, "toybased": _core.CALC_TOYBASED}


def check_model(pdf):
    if not isinstance(pdf, Model):
        raise error(_core.ArgumentError, f"expected an hfx model (hfx.Workspace(...).model()), got {type(pdf).__name__}")
    return pdf


def test_stat_code(name):
    if name not in TEST_STATS:
        raise error(_core.ArgumentError, f"test_stat={name!r}: expected qtilde, q, q0, tmu or tmu_tilde")
    return TEST_STATS[name]


def calctype_code(name):
    if name not in CALCTYPES:
        raise error(_core.ArgumentError, f"calctype={name!r}: expected asymptotics or toybased")
    return CALCTYPES[name]


def model_defaults_only(pdf, init_pars, par_bounds, fixed_params, what):
    """Inference in the library starts from the model's init, within its bounds, with its fixed set:
    other values are refused, not ignored."""
    cfg = pdf.config
    for given, default, name in ((init_pars, cfg.suggested_init(), "init_pars"),
                                 (par_bounds, cfg.suggested_bounds(), "par_bounds"),
                                 (fixed_params, cfg.suggested_fixed(), "fixed_params")):
        if given is None:
            continue
        g = np.asarray(given, dtype=float)
        if g.shape != np.asarray(default, dtype=float).shape or not np.array_equal(g, np.asarray(default, dtype=float)):
            raise error(_core.UnsupportedError,
                        f"{what}: {name} other than the model's suggested ones is not supported by hfx "
                        "(the library's inference uses the model's init, bounds and fixed set)")


def check_bounds_default(pdf, par_bounds, what):
    model_defaults_only(pdf, None, par_bounds, None, what)


def scalar(x):
    """A 0-d float64 array, as pyhf's numpy backend returns its numbers."""
    return np.asarray(float(x), dtype=np.float64)


# pyhf's optimizer options (pyhf.optimize's minimize kwargs and the optimizers' constructors) that cannot
# change hfx's result, so they are accepted and ignored (docs/pyhf-compat.md says why for each):
# do_grad (hfx always uses its analytic gradient), do_stitch (hfx's results always hold every parameter),
# verbose, disp, tolerance (hfx converges to its own criterion, tighter than pyhf's SLSQP default; the
# minimum is at or below pyhf's), solver_options, strategy, errordef, method (scipy's and Minuit's
# settings), maxiter (pyhf's iteration count is not hfx's: hfx keeps its own limit and reports reaching
# it in the result's success and status).
IGNORED_OPTIMIZER_KWARGS = ("do_grad", "do_stitch", "verbose", "disp", "tolerance", "solver_options", "strategy",
                            "errordef", "method", "maxiter", "jac", "options")


def check_optimizer_kwargs(kwargs, what):
    """Other keywords are refused as pyhf's optimizers refuse them (Unsupported, naming them)."""
    unknown = [key for key in kwargs if key not in IGNORED_OPTIMIZER_KWARGS]
    if unknown:
        raise error(_core.UnsupportedError, f"{what}: unsupported minimizer options: {unknown}")


# The pyhf-style optimizer hfx.compat.set_backend set (scipy_optimizer, minuit_optimizer, a custom
# OptimizerMixin), or None for hfx's own fits (hfx_optimizer, the default): mle.fit and fixed_poi_fit run
# through it, as pyhf's run through pyhf.optimizer. One slot: pyhf's optimizer is process-wide too.
_optimizer = [None]


def set_chosen_optimizer(optimizer):
    _optimizer[0] = optimizer


def chosen_optimizer(pdf=None):
    """The optimizer the fits of pdf run through: the one set (None: hfx's own fit); for a model that is
    not hfx's (pyhf's model interface: config, logpdf, expected_data; hfx's library cannot compile it)
    pyhf's default, scipy_optimizer, where none is set, as pyhf would fit it."""
    if _optimizer[0] is None and pdf is not None and is_foreign_model(pdf):
        from ..compat.optimize.opt_scipy import scipy_optimizer
        return scipy_optimizer()
    return _optimizer[0]


def is_foreign_model(pdf):
    """A model with pyhf's interface (config with npars, poi_index and the suggestions; logpdf;
    expected_data) that is not an hfx Model."""
    return (not isinstance(pdf, Model) and callable(getattr(pdf, "logpdf", None))
            and callable(getattr(pdf, "expected_data", None)) and hasattr(getattr(pdf, "config", None), "npars"))
