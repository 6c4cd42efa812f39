"""hfx.compat.optimize.opt_numpy: the numpy tensor library's objective wrapper (pyhf's opt_numpy): the
objective of the free parameters as a float; numpy cannot differentiate it (do_grad: Unsupported, as
pyhf's numpy backend)."""
import numpy as np

from ...exceptions import Unsupported

__all__ = ["wrap_objective"]


def wrap_objective(objective, data, pdf, stitch_pars, do_grad=False, jit_pieces=None):
    if do_grad:
        raise Unsupported("Numpy does not support autodifferentiation.")

    def func(pars):
        return objective(stitch_pars(np.asarray(pars, dtype=np.float64)), data, pdf)[0]
    return func
