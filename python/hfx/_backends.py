"""The backends compiled into this build and the engine options shared by models and scans."""
from . import _core
from ._errors import error

_EXPLORE = {"default": _core.EXPLORE_DEFAULT, "thorough": _core.EXPLORE_THOROUGH, "none": _core.EXPLORE_NONE}
_OPTIMIZER = {"auto": _core.OPTIMIZER_AUTO, "bfgs": _core.OPTIMIZER_BFGS, "lbfgs": _core.OPTIMIZER_LBFGS}


def backends():
    """[{"name", "usable", "why", "description"}]: each backend of this build ("cpu-ref", "cpu", "cuda", ...)
    and whether it can run here (`hfx backends` prints the same)."""
    return _core.backends()


def default_backend():
    """The CLI's default: "cpu" (a thread pool) where compiled in, else "cpu-ref"."""
    names = [b["name"] for b in _core.backends()]
    return "cpu" if "cpu" in names else "cpu-ref"


def engine_options(backend=None, threads=0, batch=0, explore="default", max_iter=0, optimizer="auto"):
    """The keyword arguments of _core.Engine, checked."""
    if explore not in _EXPLORE:
        raise error(_core.ArgumentError, f"explore={explore!r}: expected one of {', '.join(_EXPLORE)}")
    if optimizer not in _OPTIMIZER:
        raise error(_core.ArgumentError, f"optimizer={optimizer!r}: expected one of {', '.join(_OPTIMIZER)}")
    names = [b["name"] for b in _core.backends()]
    backend = backend or default_backend()
    if backend not in names:  # the library says the same, later; here before any work is done
        raise error(_core.NotFoundError, f"unknown backend '{backend}' (this build has: {', '.join(names)})")
    return {"backend": backend, "threads": int(threads), "batch": int(batch), "explore": _EXPLORE[explore],
            "max_iter": int(max_iter), "optimizer": _OPTIMIZER[optimizer]}
