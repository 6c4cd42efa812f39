"""Engines that run in Python worker processes (hfxbench.worker): pyhf's backends and NextStat."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from ..environment import gpus

BENCH = Path(__file__).resolve().parents[2]
# why an engine that requires hfx's module cannot run: it is this repository's, not on PyPI
HFX_NOT_IMPORTABLE = ("the Python module hfx is not importable (pip install . at the repository root, or "
                      "PYTHONPATH=build/python after a CMake build with -DHFX_PYTHON=ON)")


class WorkerEngine:
    def __init__(self, id, name, module, options, requires, optimizer=None, backend=None, threads=1):
        self.id, self.name, self.module, self.options, self.requires = id, name, module, options, requires
        self.optimizer, self.backend, self.threads = optimizer, backend, threads

    def describe(self):
        return {"id": self.id, "name": self.name, "backend": self.backend, "optimizer": self.optimizer,
                "threads": self.threads, "precision": "float64"}

    def available(self):
        others = [m for m in self.requires if m != "hfx"]
        missing = [m for m in others if importlib.util.find_spec(m) is None]
        if missing:
            pip = {"ROOT": "root", "spey_pyhf": "spey-pyhf"}  # the import name -> the PyPI name
            return False, (f"not installed: {', '.join(missing)} "
                           f"(pip install {' '.join(pip.get(m, m) for m in others)})")
        if "hfx" in self.requires and importlib.util.find_spec("hfx") is None:
            return False, HFX_NOT_IMPORTABLE
        if self.options.get("device") == "gpu" and not gpus():
            return False, "no GPU on this machine (nvidia-smi lists none)"
        return True, ""

    def run(self, workload, task, protocol, timeout):
        request = {"engine": self.module, "options": self.options, "workload": workload.request(), "task": task,
                   "protocol": asdict(protocol)}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(request, f)
        env = dict(os.environ)
        if self.options.get("device") != "gpu":  # CPU rows stay on the CPU even where a GPU is present
            env.update(CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS="cpu")
        try:
            proc = subprocess.run([sys.executable, "-m", "hfxbench.worker", f.name], cwd=BENCH, capture_output=True,
                                  text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {"status": "error", "reason": f"timed out after {timeout:.0f} s"}
        finally:
            Path(f.name).unlink()
        # the answer is the last line that is a JSON object: a library may print after it at exit (spey
        # thanks its users from an atexit hook)
        for line in reversed(proc.stdout.strip().splitlines()):
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    break
        return {"status": "error", "reason": f"worker exited {proc.returncode}: {proc.stderr.strip()[-500:]}"}


PYHF_BACKENDS = {  # pyhf backend -> the modules it needs
    "numpy": ["pyhf"],
    "jax": ["pyhf", "jax"],
    "pytorch": ["pyhf", "torch"],
    "tensorflow": ["pyhf", "tensorflow", "tensorflow_probability"],
}


def pyhf_engines():
    out = []
    for backend, requires in PYHF_BACKENDS.items():
        for optimizer in ("scipy", "minuit"):
            req = requires + (["iminuit"] if optimizer == "minuit" else [])
            out.append(WorkerEngine(f"pyhf-{backend}-{optimizer}", "pyhf", "pyhf", {"backend": backend, "optimizer": optimizer},
                                    req, optimizer=optimizer, backend=backend))
            if backend != "numpy":  # listed everywhere: skipped, with the reason, where no GPU is present
                out.append(WorkerEngine(f"pyhf-{backend}-{optimizer}-gpu", "pyhf", "pyhf",
                                        {"backend": backend, "optimizer": optimizer, "device": "gpu"}, req,
                                        optimizer=optimizer, backend=backend))
    return out


def nextstat_engines():
    return [WorkerEngine("nextstat", "nextstat", "nextstat", {"threads": 1}, ["nextstat"], optimizer="nextstat",
                         backend="cpu", threads=1)]


def cabinetry_engines():
    """cabinetry with its defaults: pyhf numpy and the minuit optimizer (engines/cabinetry.py); and the same
    on hfx through hfx.compat.as_pyhf."""
    return [WorkerEngine("cabinetry", "cabinetry", "cabinetry", {}, ["cabinetry", "iminuit"], optimizer="minuit",
                         backend="numpy"),
            # cabinetry on hfx.compat (import hfx.compat.as_pyhf first): MINUIT on hfx's likelihood
            WorkerEngine("cabinetry-hfx", "cabinetry", "cabinetry", {"on": "hfx"}, ["cabinetry", "iminuit", "hfx"],
                         optimizer="minuit", backend="cpu")]


class HfxPythonEngine(WorkerEngine):
    """hfx's Python module (engines/hfx_python.py): found where `import hfx` works (pip install ., or the
    CMake build's staged package on PYTHONPATH, as scripts/test.sh sets it)."""

    def __init__(self):
        super().__init__("hfx-python", "hfx-python", "hfx_python", {}, ["hfx"], optimizer="hfx (projected BFGS)",
                         backend="cpu-ref", threads=1)


def hfx_python_engines():
    return [HfxPythonEngine()]


class SpeyEngine(WorkerEngine):
    """A spey session (engines/spey.py) with hfx's plugin (spey-hfx: spey and an importable hfx) or
    spey-pyhf's backend (spey-pyhf)."""

    def __init__(self, backend):
        requires = ["spey", "spey_pyhf"] if backend == "pyhf" else ["spey", "hfx"]
        # the plugin builds its models with hfx's defaults: the threaded cpu backend, all cores (its fits
        # are single fits, each on the calling thread); spey-pyhf: pyhf's numpy backend and scipy's SLSQP
        hfx = backend == "hfx"
        super().__init__(f"spey-{backend}", "spey", "spey", {"backend": backend}, requires,
                         optimizer="hfx (projected BFGS)" if hfx else "scipy (SLSQP)",
                         backend="cpu" if hfx else "numpy",
                         threads=(os.cpu_count() or 1) if hfx else 1)


def spey_engines():
    """The spey session with hfx's plugin and with spey-pyhf's: the pair compared in one run."""
    return [SpeyEngine("hfx"), SpeyEngine("pyhf")]


def root_engines():
    """ROOT's RooFit, one engine per evaluation backend (engines/root.py); root-cuda needs a ROOT built
    with CUDA and a GPU, and says which is missing."""
    from .root import BACKENDS, root_config_features
    out = []
    for backend in BACKENDS:
        e = WorkerEngine(f"root-{backend}", "root", "root", {"backend": backend}, ["ROOT"], optimizer="minuit2",
                         backend=backend)
        if backend == "cuda":
            e.available = lambda e=e: _root_cuda_available(e, root_config_features)
        out.append(e)
    return out


def _root_cuda_available(engine, features):
    ok, why = WorkerEngine.available(engine)
    if not ok:
        return ok, why
    missing = []
    if "cuda" not in (features() or set()):
        missing.append("this ROOT is built without CUDA (root-config --features has no 'cuda': the pip wheel)")
    if not gpus():
        missing.append("no GPU on this machine (nvidia-smi lists none)")
    return (False, "; ".join(missing)) if missing else (True, "")
