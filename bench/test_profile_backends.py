"""bench/profile_pyhf_backends.py cannot rot silently: its command line, one numpy round on a two-bin model
(child process, counting optimizer, hfx-timeit where built, cProfile grouping) and the markdown summary.
The backends that are not installed here (jax, pytorch, tensorflow) are exercised only where installed."""
import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPT = BENCH / "profile_pyhf_backends.py"
SPEC = BENCH.parent / "tests" / "data" / "spec-simple.json"


def test_help():
    p = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "--backends" in p.stdout


def test_unknown_backend_is_a_usage_error():
    p = subprocess.run([sys.executable, str(SCRIPT), "--backends", "numpyy"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "numpyy" in p.stderr


def test_numpy_round(tmp_path):
    out = tmp_path / "prof.json"
    timeit = Path(os.environ.get("HFX_BUILD", BENCH.parent / "build")) / "hfx-timeit"
    cmd = [sys.executable, str(SCRIPT), "--backends", "numpy", "--repeat", "1", "--warm", "1", "--workspace", str(SPEC),
           "--hfx-timeit", str(timeit), "--out", str(out), "--markdown"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    runs = {(r["backend"], r["task"], r["round"]): r for r in doc["runs"]}
    for task in ("hypotest", "fit"):
        r = runs[("numpy", task, 0)]
        assert "error" not in r, r
        c = r["warm"][0]
        # the counting wrapper saw the fits: a hypotest is 5 fits (pyhf's qtilde with Asimov data), a fit one;
        # numpy's finite differences make every fit more evaluations than parameters
        assert c["fits"] == (5 if task == "hypotest" else 1)
        assert c["objective_calls"] > c["fits"] * 3
        assert 0 < c["objective_s"] <= c["minimize_s"] <= c["s"]
        assert runs[("numpy", task, "cprofile")]["cprofile"]["logpdf_calls"] > 0
        if timeit.exists():  # same number from hfx and pyhf (the suite's tests pin the tolerance; here a sanity check)
            h = runs[("hfx", task, 0)]["timeit"]["result"]["value"]
            assert abs(h - c["value"]) <= 1e-3 * max(1.0, abs(h)), (h, c["value"])
    assert "| warm call |" in p.stdout and "cProfile" in p.stdout
