"""hfx.infer.intervals: upper limits (upper_limits.upper_limit, as pyhf.infer.intervals)."""
from . import upper_limits  # noqa: F401
from .upper_limits import upper_limit  # noqa: F401

__all__ = ["upper_limits", "upper_limit"]


def upperlimit(data, model, scan=None, level=0.05, return_results=False, **hypotest_kwargs):
    """pyhf's deprecated name of upper_limits.upper_limit (a DeprecationWarning, as pyhf)."""
    import warnings
    warnings.warn("pyhf.infer.intervals.upperlimit is deprecated in favor of "
                  "pyhf.infer.intervals.upper_limits.upper_limit as of pyhf v0.7.0 and will be removed in release "
                  "v0.9.0. Please use pyhf.infer.intervals.upper_limits.upper_limit.", DeprecationWarning, stacklevel=2)
    return upper_limit(data, model, scan, level, return_results, **hypotest_kwargs)
