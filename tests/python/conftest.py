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
        # no stdin given: an empty one (/dev/null), never the test runner's, which a command without its
        # WORKSPACE argument would wait on (pyhf's default: a missing workspace is read from stdin)
        proc = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, input=stdin,
                              stdin=subprocess.DEVNULL if stdin is None else None)
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
def hfxmod():
    """The Python module hfx (scripts/test.sh puts the CMake build's staged package, build/python, on
    PYTHONPATH). Skipped where it is not importable, unless HFX_REQUIRE_MODULE=1 (scripts/test.sh), which
    makes that a failure."""
    try:
        import hfx as mod
    except ImportError as e:
        if os.environ.get("HFX_REQUIRE_MODULE") == "1":
            raise
        pytest.skip(f"the Python module hfx is not importable ({e}); build with -DHFX_PYTHON=ON and put "
                    f"build/python on PYTHONPATH, or pip install .")
    return mod


@pytest.fixture(scope="session")
def sbottom_dir(shared, tmp_path_factory):
    """The published sbottom likelihoods (../shared), extracted once per session."""
    import tarfile
    out = tmp_path_factory.mktemp("sbottom-module")
    with tarfile.open(shared / "likelihoods" / "sbottom-hepdata.89408.tar.gz") as tar:
        tar.extractall(out)
    return out


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


@pytest.fixture(scope="session")
def validation_paths(shared, tmp_path_factory):
    """pyhf's validation cases (validation_cases.py) written as workspace files: {name: path}."""
    from validation_cases import validation_workspaces
    d = tmp_path_factory.mktemp("validation")
    paths = {}
    for name, ws in validation_workspaces(shared).items():
        paths[name] = d / f"{name}.json"
        paths[name].write_text(json.dumps(ws))
    return paths


@pytest.fixture(scope="session")
def random_cases(shared, tmp_path_factory):
    """The 60 random workspaces of ../shared/reference/random_public.jsonl, each with its file
    ("path") and its converged-pyhf results ("tight", tests/data/random_pyhf076_tight.jsonl)."""
    cases = read_jsonl(shared / "reference" / "random_public.jsonl")
    tight = {c["seed"]: c for c in read_jsonl(DATA / "random_pyhf076_tight.jsonl")}
    tmp = tmp_path_factory.mktemp("random")
    for case in cases:
        case["path"] = tmp / f"ws{case['seed']}.json"
        case["path"].write_text(json.dumps(case["workspace"]))
        case["tight"] = tight[case["seed"]]
    return cases
