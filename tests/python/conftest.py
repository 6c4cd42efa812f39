"""Shared fixtures for the CLI tests: where the hfx binary, the test data and ../shared are."""
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"


def hfx_bin():
    return os.environ.get("HFX_BIN", str(REPO / "build" / "hfx"))


@pytest.fixture(scope="session")
def hfx():
    exe = hfx_bin()
    if not os.access(exe, os.X_OK):
        pytest.skip(f"hfx binary not built at {exe} (set HFX_BIN)")

    def run(*args, cwd=None, check=True, stdin=None):
        proc = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, input=stdin)
        if check and proc.returncode != 0:
            raise AssertionError(f"hfx {' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr}")
        return proc

    run.exe = exe
    return run


@pytest.fixture(scope="session")
def shared():
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"{SHARED} not found (the published likelihoods and pyhf references)")
    return SHARED


def read_jsonl(path):
    """Reads JSON lines, mapping Python's NaN to None."""
    return [json.loads(line.replace("NaN", "null")) for line in open(path)]


def pars_object(point, par_order, par_slices):
    """A pyhf parameter vector as hfx eval's {name: value | [values]} (per-bin sets as lists)."""
    out = {}
    for name in par_order:
        lo, hi = par_slices[name]
        out[name] = point[lo] if hi - lo == 1 else point[lo:hi]
    return out


def interp_options(settings):
    return ["--normsys-interp", settings["normsys"]["interpcode"],
            "--histosys-interp", settings["histosys"]["interpcode"]]


@pytest.fixture(scope="session")
def sbottom_a(tmp_path_factory):
    """RegionA of the sbottom likelihoods bundled in data/ (BkgOnly.json and 217 patch files)."""
    import tarfile
    archive = REPO / "data" / "sbottom-hepdata.89408.tar.gz"
    if not archive.is_file():
        pytest.skip(f"{archive} not found (the bundled sbottom likelihoods)")
    out = tmp_path_factory.mktemp("sbottom_a")
    with tarfile.open(archive) as tar:
        tar.extractall(out, members=[m for m in tar.getmembers() if m.name.startswith("RegionA/")])
    return out / "RegionA"
