"""`hfx upper-limit --scan LO,HI,N` (a grid, its fits run as one batch) against pyhf 0.7.6's
upper_limit(scan=numpy.linspace(LO, HI, N), return_results=True), computed here.

Tolerances: CLs per grid point 1e-4 relative (1e-7 absolute below 1e-3), the interpolated limits
1e-4 relative: both fits reach the same minima, pyhf's SLSQP stopping up to ~1e-5 short of them.
"""
import json

import numpy as np
import pytest

from conftest import DATA

pyhf = pytest.importorskip("pyhf")


def close(a, b, rel=1e-4, small=1e-7):
    return abs(a - b) <= (small if abs(b) < 1e-3 else 0) or abs(a - b) <= rel * abs(b)


@pytest.mark.parametrize("name,lo,hi,n", [("infer_simple.json", 0.1, 5.0, 11), ("infer_mixed.json", 0.2, 4.0, 9)])
def test_grid_scan_matches_pyhf(hfx, name, lo, hi, n):
    spec = json.loads((DATA / name).read_text())
    ws = pyhf.Workspace(spec)
    model = ws.model()
    scan = np.linspace(lo, hi, n)
    obs, exp, (_, results) = pyhf.infer.intervals.upper_limits.upper_limit(
        ws.data(model), model, scan=scan, return_results=True)
    out = json.loads(hfx("upper-limit", DATA / name, "--scan", f"{lo},{hi},{n}").stdout)
    assert out["scan"] == pytest.approx(list(scan), rel=1e-15)
    for ours, theirs in zip(out["CLs_obs"], results):
        assert close(ours, float(theirs[0]))
    for ours, theirs in zip(out["CLs_exp"], results):
        assert all(close(a, float(b)) for a, b in zip(ours, theirs[1]))
    assert close(out["obs"], float(obs))
    assert all(close(a, float(b)) for a, b in zip(out["exp"], exp))


def test_grid_scan_bad_values(hfx):
    for bad in ["1,0,5", "0,1,1", "0,1,2.5", "0,1,x", "0,1,5,6"]:
        proc = hfx("upper-limit", DATA / "infer_simple.json", "--scan", bad, check=False)
        assert proc.returncode == 2 and "--scan" in proc.stderr and proc.stdout == ""


def test_grid_scan_same_on_every_cpu_backend(hfx):
    """The grid's 2 N fits run one at a time on cpu-ref and as one batch of resident fits on the
    threaded backend: the same fits, the same numbers to the bit."""
    outs = [hfx("upper-limit", DATA / "infer_mixed.json", "--scan", "0.2,4,9", *opts).stdout
            for opts in (["--backend", "cpu-ref"], ["--backend", "cpu", "--threads", "2"],
                         ["--backend", "cpu-ref", "--batch", "18"])]
    assert outs[0] == outs[1] == outs[2]
