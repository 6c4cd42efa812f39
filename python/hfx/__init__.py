"""hfx: HistFactory likelihood fits in C with pyhf 0.7.6's numbers, from Python with pyhf's calls.

    import hfx
    ws = hfx.Workspace("BkgOnly.json")               # a path, a dict or a pyhf.Workspace
    model = ws.model(patches=[patch])                # as pyhf.Workspace.model
    data = ws.data(model)
    cls_obs, cls_exp = hfx.infer.hypotest(1.0, data, model, test_stat="qtilde", return_expected_set=True)

The package is a thin layer over the extension hfx._core (C, libhfx embedded): every library call runs
without the GIL, so calls on separate models run concurrently from threads (calls on one model take
turns). Arrays are numpy arrays in and out. Errors raise hfx.Error subclasses whose message is the
line the CLI prints; nothing prints. docs/api.md ("Python") has the whole API.
"""
from ._core import (  # noqa: F401  (re-exported)
    AllocError,
    ArgumentError,
    DeviceError,
    Error,
    FileError,
    FitError,
    JSONError,
    ModelError,
    NotFoundError,
    NumericError,
    PatchError,
    SchemaError,
    UnsupportedError,
)
from ._model import Model, ModelConfig  # noqa: F401
from ._scan import ScanResult, scan  # noqa: F401
from ._workspace import Patchset, Workspace  # noqa: F401
from ._backends import backends  # noqa: F401
from . import infer  # noqa: F401
from . import fit  # noqa: F401  (the analyses: ranking, profile scans, significance, goodness of fit)

__version__ = "0.1.0"

__all__ = [
    "Workspace", "Patchset", "Model", "ModelConfig", "infer", "fit", "scan", "ScanResult", "backends",
    "Error", "FileError", "JSONError", "SchemaError", "ModelError", "PatchError", "AllocError", "ArgumentError",
    "FitError", "NumericError", "UnsupportedError", "DeviceError", "NotFoundError",
]
