"""hfx.infer.intervals: upper limits (upper_limits.upper_limit, as pyhf.infer.intervals)."""
from . import upper_limits  # noqa: F401
from .upper_limits import upper_limit  # noqa: F401

__all__ = ["upper_limits", "upper_limit"]
