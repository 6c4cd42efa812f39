"""hfx.infer.test_statistics: pyhf's test statistics (qmu, qmu_tilde, tmu, tmu_tilde, q0) from two of
hfx's fits each, with pyhf's arguments (init_pars, par_bounds, fixed_params, return_fitted_pars).
hfx.infer.hypotest computes the same statistics inside the library; these are for code that calls them
one by one (pyhf's calculators, hfx.infer.calculators)."""
import numpy as np

from .._errors import UnspecifiedPOIError, error
from . import mle
from ._common import check_model, is_foreign_model

__all__ = ["qmu", "qmu_tilde", "tmu", "tmu_tilde", "q0"]


def _tmu_like(mu, data, pdf, init_pars, par_bounds, fixed_params):
    """(t_mu, fixed-POI fit, free fit): t_mu = twice_nll(mu, fitted nuisances) - twice_nll(free fit),
    clipped at 0 (a free fit a rounding error above the fixed one)."""
    if not is_foreign_model(pdf):  # pyhf's model interface: fitted by scipy_optimizer (mle)
        check_model(pdf)
    if pdf.config.poi_index is None:
        raise error(UnspecifiedPOIError, "No POI is defined. A POI is required for profile likelihood based test "
                                         "statistics.")
    fixed_pars, fixed_val = mle.fixed_poi_fit(mu, data, pdf, init_pars, par_bounds, fixed_params,
                                              return_fitted_val=True)
    free_pars, free_val = mle.fit(data, pdf, init_pars, par_bounds, fixed_params, return_fitted_val=True)
    t = np.asarray(max(float(fixed_val) - float(free_val), 0.0))
    return t, fixed_pars, free_pars


def _returns(t, fixed_pars, free_pars, return_fitted_pars):
    return (t, (fixed_pars, free_pars)) if return_fitted_pars else t


def tmu(mu, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_pars=False):
    """pyhf's t_mu (-2 log lambda(mu))."""
    return _returns(*_tmu_like(mu, data, pdf, init_pars, par_bounds, fixed_params), return_fitted_pars)


def tmu_tilde(mu, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_pars=False):
    """pyhf's t~_mu: t_mu with the POI bounded below by 0 (the model's bounds, as pyhf expects them)."""
    return tmu(mu, data, pdf, init_pars, par_bounds, fixed_params, return_fitted_pars)


def qmu(mu, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_pars=False):
    """pyhf's q_mu: t_mu, 0 where the best-fit POI is above mu."""
    t, fixed_pars, free_pars = _tmu_like(mu, data, pdf, init_pars, par_bounds, fixed_params)
    q = np.asarray(0.0 if free_pars[pdf.config.poi_index] > mu else float(t))
    return _returns(q, fixed_pars, free_pars, return_fitted_pars)


def qmu_tilde(mu, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_pars=False):
    """pyhf's q~_mu: q_mu with the POI bounded below by 0."""
    return qmu(mu, data, pdf, init_pars, par_bounds, fixed_params, return_fitted_pars)


def q0(mu, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, return_fitted_pars=False):
    """pyhf's q_0 (discovery): t_0, 0 where the best-fit POI is below 0. mu must be 0."""
    t, fixed_pars, free_pars = _tmu_like(mu, data, pdf, init_pars, par_bounds, fixed_params)
    q = np.asarray(0.0 if free_pars[pdf.config.poi_index] < 0 else float(t))
    return _returns(q, fixed_pars, free_pars, return_fitted_pars)


def get(name):
    """The function of a test statistic name ("q", "qtilde", "q0", "tmu", "tmu_tilde"), as pyhf's
    utils.get_test_stat."""
    table = {"q": qmu, "qtilde": qmu_tilde, "q0": q0, "tmu": tmu, "tmu_tilde": tmu_tilde}
    if name not in table:
        from ..exceptions import InvalidTestStatistic
        raise InvalidTestStatistic(f"test_stat {name!r}: expected one of {', '.join(table)}")
    return table[name]
