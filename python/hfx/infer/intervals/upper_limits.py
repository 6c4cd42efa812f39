"""hfx.infer.intervals.upper_limits: pyhf's upper_limit, toms748_scan and linear_grid_scan.

With scan=None the library brackets and root-finds CLs = level (pyhf's toms748_scan from the POI's
bounds, a lower bound of 0 replaced by upper / 100: pyhf evaluates CLs at 0, where it is 0/0); with a
scan, the CLs of every point run as one batch of fits and each limit is interpolated where its curve
crosses level (np.interp, as pyhf's linear_grid_scan)."""
import numpy as np

from ... import _core
from ..._errors import error
from .._common import calctype_code, check_model, scalar, test_stat_code

__all__ = ["upper_limit", "toms748_scan", "linear_grid_scan"]

_KWARGS = ("test_stat", "calctype", "ntoys", "seed", "track_progress")


def _hypotest_options(pdf, data, kwargs):
    for key in kwargs:
        if key not in _KWARGS:
            raise TypeError(f"upper_limit() got an unexpected keyword argument {key!r}")
    return {"teststat": test_stat_code(kwargs.get("test_stat", "qtilde")),
            "calctype": calctype_code(kwargs.get("calctype", "asymptotics")), "n_toys": int(kwargs.get("ntoys", 2000)),
            "seed": int(kwargs.get("seed", 0)), "data": pdf.data_array(data)}


def linear_grid_scan(data, model, scan, level=0.05, return_results=False, **hypotest_kwargs):
    """pyhf's linear_grid_scan over scan, which must be equally spaced (numpy.linspace): its points run as
    one batch. Returns (obs, [5 exp]) and with return_results also (scan, [(CLs_obs, [5 CLs_exp])...])."""
    check_model(model)
    s = np.asarray(scan, dtype=np.float64).reshape(-1)
    if s.size < 2 or not np.allclose(s, np.linspace(s[0], s[-1], s.size), rtol=1e-12, atol=1e-12 * abs(s[-1])):
        raise error(_core.UnsupportedError, "upper_limit: scan must hold at least 2 equally spaced values "
                                            "(numpy.linspace(lo, hi, n)); other grids are not supported by hfx")
    points = np.empty((s.size, 7))
    r = model.engine.upper_limit(level=float(level), lo=float(s[0]), hi=float(s[-1]), n_scan=s.size, scan_out=points,
                                 **_hypotest_options(model, data, hypotest_kwargs))
    obs, exp = scalar(r["obs"]), [scalar(v) for v in r["exp"]]
    if return_results:
        results = [(scalar(p[1]), [scalar(v) for v in p[2:7]]) for p in points]
        return obs, exp, (s, results)
    return obs, exp


def toms748_scan(data, model, bounds_low, bounds_up, level=0.05, atol=2e-12, rtol=1e-4, from_upper_limit_fn=False,
                 **hypotest_kwargs):
    """pyhf's toms748_scan: the limits where CLs crosses level, by root finding from [bounds_low,
    bounds_up] (widened as pyhf's where it does not bracket level). Returns (obs, [5 exp]); the visited
    points (pyhf's from_upper_limit_fn results) are not available."""
    check_model(model)
    if from_upper_limit_fn:
        raise error(_core.UnsupportedError, "toms748_scan: the per-point results (from_upper_limit_fn) are not "
                                            "available from hfx")
    r = model.engine.upper_limit(level=float(level), lo=float(bounds_low), hi=float(bounds_up), rtol=float(rtol),
                                 **_hypotest_options(model, data, hypotest_kwargs))
    return scalar(r["obs"]), [scalar(v) for v in r["exp"]]


def upper_limit(data, model, scan=None, level=0.05, return_results=False, **hypotest_kwargs):
    """pyhf.infer.intervals.upper_limits.upper_limit: (obs, [5 exp]) limits on the POI at CLs = level.
    scan=None: root finding (return_results is then not supported); a scan: linear_grid_scan."""
    check_model(model)
    if model.config.poi_index is None:
        raise error(_core.ArgumentError, "upper_limit needs a POI; the model was built without one (poi_name=None)")
    if scan is not None:
        return linear_grid_scan(data, model, scan, level, return_results, **hypotest_kwargs)
    if return_results:
        raise error(_core.UnsupportedError, "upper_limit: return_results needs a scan with hfx (the root finding's "
                                            "visited points are not available)")
    root = {}
    if "rtol" in hypotest_kwargs:  # pyhf's toms748_scan tolerances, passed through upper_limit's kwargs
        root["rtol"] = float(hypotest_kwargs.pop("rtol"))
    if "atol" in hypotest_kwargs:
        atol = float(hypotest_kwargs.pop("atol"))
        if atol > 1e-9:  # hfx's root finding stops on rtol; pyhf's default atol (2e-12) changes nothing
            raise error(_core.UnsupportedError, f"upper_limit: atol={atol} is not supported by hfx (rtol is)")
    r = model.engine.upper_limit(level=float(level), **root, **_hypotest_options(model, data, hypotest_kwargs))
    return scalar(r["obs"]), [scalar(v) for v in r["exp"]]
