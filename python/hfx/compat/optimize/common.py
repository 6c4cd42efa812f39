"""hfx.compat.optimize.common: pyhf's helpers for fits with fixed parameters: _make_stitch_pars (put the
fixed values back among the fitted ones) and _get_tensor_shim (numpy only)."""
import numpy as np

from ...exceptions import Unsupported

__all__ = ["_make_stitch_pars", "_get_tensor_shim"]


def _make_stitch_pars(tv=None, fixed_values=None):
    """A function of the free parameters giving the full vector, as pyhf's: tv (a _TensorViewer over the
    fixed and free index lists) and the fixed values; without them, the identity."""
    if tv is None:
        return lambda pars, stitch_with=None: pars

    def stitch_pars(pars, stitch_with=fixed_values):
        return tv.stitch([np.asarray(stitch_with, dtype=float), np.asarray(pars, dtype=float)])
    return stitch_pars


def _get_tensor_shim():
    from .. import get_backend
    tensorlib, _ = get_backend()
    if tensorlib.name == "numpy":
        return lambda objective, data, pdf, stitch_pars, do_grad=False, jit_pieces=None: objective
    raise ValueError("No optimizer shim for this backend")


def _unsupported_grad():
    raise Unsupported("Numpy does not support autodifferentiation.")
