"""hfx.compat: pyhf's API on hfx, so that code written for pyhf runs with one changed import:

    import hfx.compat as pyhf
    ws = pyhf.Workspace(spec)
    model = ws.model()
    pyhf.infer.hypotest(1.0, ws.data(model), model, test_stat="qtilde", return_expected_set=True)

Workspace, Model, PatchSet, infer (hfx.infer: mle, intervals, calculators, test_statistics), simplemodels,
exceptions (pyhf's classes: hfx's errors derive from them), schema, utils, events, tensor, optimize,
tensorlib / optimizer / set_backend / get_backend. The tensor library is numpy; pyhf's other backends
are accepted by name and give numpy (hfx's numbers come from its C library either way). What differs
from pyhf is listed in docs/pyhf-compat.md."""
import sys as _sys

from .. import exceptions, infer  # noqa: F401
from .._model import Model  # noqa: F401
from . import events, mixins, optimize, readxml, schema, simplemodels, tensor, utils, writexml  # noqa: F401
from . import cli, contrib, patchset, probability, workspace  # noqa: F401
from .patchset import PatchSet  # noqa: F401
from .workspace import Workspace  # noqa: F401

__version__ = "0.7.6"  # the pyhf whose API and numbers this follows

# hfx's own modules under the names pyhf code imports (import pyhf.infer.mle, pyhf.exceptions, ...)
for _name, _module in list(_sys.modules.items()):
    if _name == "hfx.infer" or _name.startswith("hfx.infer.") or _name == "hfx.exceptions":
        _sys.modules.setdefault("hfx.compat." + _name[len("hfx."):], _module)
pdf = _sys.modules[__name__]  # pyhf.pdf.Model
from .._model import ModelConfig as _HfxModelConfig  # noqa: E402
from ..infer._common import set_chosen_optimizer as _chosen  # noqa: E402


_ModelConfig = _HfxModelConfig  # pyhf.pdf._ModelConfig: the class of model.config, with pyhf's constructor
_state = {"backend": tensor.numpy_backend(), "optimizer": optimize.hfx_optimizer(), "default": None}
_state["default"] = _state["backend"]


def set_backend(backend, custom_optimizer=None, precision=None, default=False):
    """pyhf.set_backend: the tensor library ("numpy", or a backend object) and optimizer. Every backend
    is numpy in hfx.compat (tensor's docstring). The optimizer: "scipy", "minuit" or an optimizer object
    (pyhf's scipy_optimizer, minuit_optimizer, a custom OptimizerMixin) runs mle.fit and fixed_poi_fit
    as pyhf's would, on hfx's likelihood; None (as in pyhf: the default) is hfx's own fit, hfx_optimizer."""
    if isinstance(backend, (str, bytes)):
        name = backend.decode() if isinstance(backend, bytes) else backend
        makers = {"numpy": tensor.numpy_backend, "pytorch": tensor.pytorch_backend,
                  "tensorflow": tensor.tensorflow_backend, "jax": tensor.jax_backend}
        if name not in makers:
            raise exceptions.InvalidBackend(f"The backend provided is not supported: {name}. Select from one of "
                                            "the supported backends: numpy, pytorch, tensorflow, jax")
        backend = makers[name](precision=precision or "64b")
    elif precision is not None:
        backend = tensor.numpy_backend(precision=precision)
    if isinstance(custom_optimizer, (str, bytes)):
        name = custom_optimizer.decode() if isinstance(custom_optimizer, bytes) else custom_optimizer
        if name not in ("scipy", "minuit"):
            raise exceptions.InvalidOptimizer(f"The optimizer provided is not supported: {name}. Select from one "
                                              "of the supported optimizers: scipy, minuit")
        custom_optimizer = getattr(optimize, f"{name}_optimizer")()
    _state["backend"] = backend
    _state["optimizer"] = optimize.hfx_optimizer() if custom_optimizer is None else custom_optimizer
    _chosen(None if isinstance(_state["optimizer"], optimize.hfx_optimizer) else _state["optimizer"])
    if default:
        _state["default"] = backend


def get_backend(default=False):
    """(tensorlib, optimizer), as pyhf.get_backend."""
    return (_state["default"] if default else _state["backend"]), _state["optimizer"]


def __getattr__(name):
    if name == "tensorlib":
        return _state["backend"]
    if name == "optimizer":
        return _state["optimizer"]
    if name == "default_backend":
        return _state["default"]
    raise AttributeError(f"module 'hfx.compat' has no attribute {name!r}")
