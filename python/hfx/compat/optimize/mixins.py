"""hfx.compat.optimize.mixins: pyhf's OptimizerMixin name, the base of hfx.compat's optimizer objects
(which only hold options: hfx's fits run in its C library)."""
from . import _Optimizer as OptimizerMixin  # noqa: F401

__all__ = ["OptimizerMixin"]
