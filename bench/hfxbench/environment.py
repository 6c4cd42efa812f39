"""The environment a run was measured in: commit, compiler and flags, CPU, GPU, library versions."""
import datetime
import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .engines.hfx import build_dir, git_commit

LIBRARIES = ("pyhf", "numpy", "scipy", "iminuit", "jax", "jaxlib", "torch", "tensorflow", "tensorflow-probability",
             "nextstat", "matplotlib", "root",  # root: the pip wheel's version (ROOT's own is in the rows' versions)
             "spey", "spey-pyhf")


def _cmd(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _cpu():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_bytes():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _build():
    cache = build_dir() / "CMakeCache.txt"
    out = {"dir": str(build_dir())}
    if cache.exists():
        for line in cache.read_text().splitlines():
            for key in ("CMAKE_BUILD_TYPE", "CMAKE_C_COMPILER", "CMAKE_C_FLAGS", "CMAKE_C_FLAGS_RELEASE"):
                if line.startswith(key + ":"):
                    out[key] = line.split("=", 1)[1]
    compiler = out.get("CMAKE_C_COMPILER", "cc")
    out["compiler_version"] = (_cmd(compiler, "--version").splitlines() or [""])[0]
    return out


@functools.lru_cache(maxsize=None)
def gpus():
    """The GPUs nvidia-smi lists (name, driver, memory); [] without one. Asked once per process."""
    out = _cmd("nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader")
    return [dict(zip(("name", "driver", "memory"), (x.strip() for x in l.split(",")))) for l in out.splitlines() if l]


def environment():
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "gpus": gpus(),
        "build": _build(),
        "python": platform.python_version(),
        "libraries": versions,
        "precision": "float64 everywhere (pyhf set_backend(..., precision='64b'); hfx is double throughout)",
        "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }
