"""hfx.compat.optimize.common: what pyhf's optimizers share (pyhf/optimize/common.py's semantics):
shim() prepares a minimisation (the objective wrapped by the tensor library's shim; with do_stitch the
fixed parameters taken out of the minimiser's view and a stitch_pars to put them back), _make_stitch_pars
and _get_tensor_shim (numpy only: the tensor library of hfx.compat)."""
import numpy as np

from ..tensor.common import _TensorViewer

__all__ = ["shim", "_make_stitch_pars", "_get_tensor_shim"]


def _make_stitch_pars(tv=None, fixed_values=None):
    """A function of the free parameters giving the full vector: tv (a _TensorViewer over the fixed and
    free index lists) and the fixed values; without them, the identity."""
    if tv is None or fixed_values is None:
        return lambda pars, stitch_with=None: pars

    def stitch_pars(pars, stitch_with=fixed_values):
        return tv.stitch([np.asarray(stitch_with, dtype=np.float64), pars])
    return stitch_pars


def _get_tensor_shim():
    """The objective wrapper of the tensor library set (pyhf.tensorlib.name): numpy's."""
    from .. import get_backend
    tensorlib, _ = get_backend()
    if tensorlib.name == "numpy":
        from .opt_numpy import wrap_objective
        return wrap_objective
    raise ValueError(f"No optimizer shim for {tensorlib.name}.")


def shim(objective, data, pdf, init_pars, par_bounds, fixed_vals=None, do_grad=False, do_stitch=False):
    """(minimizer_kwargs, stitch_pars): minimizer_kwargs holds func (the wrapped objective of the free
    parameters), x0, do_grad, bounds and fixed_vals as the minimiser sees them."""
    fixed_vals = fixed_vals or []
    fixed_idx = [i for i, _ in fixed_vals]
    fixed_values = [v for _, v in fixed_vals]
    variable_idx = [i for i in range(pdf.config.npars) if i not in fixed_idx]
    if do_stitch:
        x0 = [float(np.asarray(init_pars, dtype=np.float64)[i]) for i in variable_idx]
        bounds = [par_bounds[i] for i in variable_idx]
        minimizer_fixed = []
        stitch_pars = _make_stitch_pars(_TensorViewer([fixed_idx, variable_idx]), fixed_values)
    else:
        x0, bounds, minimizer_fixed = init_pars, par_bounds, fixed_vals
        stitch_pars = _make_stitch_pars()
    func = _get_tensor_shim()(objective, np.asarray(data, dtype=np.float64), pdf, stitch_pars, do_grad=do_grad,
                              jit_pieces={"fixed_idx": fixed_idx, "variable_idx": variable_idx,
                                          "fixed_values": fixed_values, "do_stitch": do_stitch})
    return dict(func=func, x0=x0, do_grad=do_grad, bounds=bounds, fixed_vals=minimizer_fixed), stitch_pars
