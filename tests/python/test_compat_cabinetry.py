"""cabinetry on hfx (issue 21: the clients physicists use): `import hfx.compat.as_pyhf` before cabinetry makes
cabinetry's pyhf calls run on hfx.compat. cabinetry 0.6.0's fit (with MINUIT, as cabinetry sets it), ranking,
upper limit, significance and likelihood scan of one model are run twice, each in a fresh interpreter: on hfx
through as_pyhf and on pyhf 0.7.6 itself, and compared.

Tolerances. cabinetry's fit, ranking and scan call pyhf.infer.mle with MINUIT set (cabinetry sets it): both
runs minimise the same likelihood with iminuit's MIGRAD and HESSE on finite differences; they differ by the
rounding of the two likelihood codes, which moves MINUIT's stopping point and HESSE's steps: best-fit values
within 1e-4 absolute, twice_nll within 1e-6, uncertainties, impacts and the scan within 1e-4 relative
(observed: 2e-6 at most). cabinetry's limit and significance call pyhf.infer.hypotest, which in hfx.compat runs
hfx's own inference whatever optimizer is set (docs/pyhf-compat.md, "Optimizers"): its fits converge where
cabinetry's MINUIT on pyhf stops up to 1.2e-4 short in the expected limits (observed), so those compare at
3e-4 relative with pyhf's, and at 1e-6 with `hfx upper-limit` on the same workspace (cabinetry's brentq set
to 1e-6 in mu, its default being 0.01).
"""
import json
import subprocess
import sys

import pytest

pytest.importorskip("cabinetry")
pytest.importorskip("pyhf")

SPEC = {
    "channels": [
        {"name": "SR", "samples": [
            {"name": "signal", "data": [5.0, 10.0, 3.0],
             "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "background", "data": [50.0, 60.0, 20.0],
             "modifiers": [{"name": "bkg_norm", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}},
                           {"name": "shape", "type": "histosys",
                            "data": {"hi_data": [52.0, 61.0, 23.0], "lo_data": [48.0, 58.0, 18.0]}},
                           {"name": "stat", "type": "staterror", "data": [3.0, 4.0, 2.0]}]}]},
        {"name": "CR", "samples": [
            {"name": "background", "data": [200.0, 180.0],
             "modifiers": [{"name": "bkg_norm", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}},
                           {"name": "lumi", "type": "lumi", "data": None}]}]},
    ],
    "observations": [{"name": "SR", "data": [55.0, 75.0, 24.0]}, {"name": "CR", "data": [210.0, 176.0]}],
    "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": [
        {"name": "lumi", "auxdata": [1.0], "sigmas": [0.02], "bounds": [[0.9, 1.1]], "inits": [1.0]}]}}],
    "version": "1.0.0",
}

SCRIPT = r"""
import json, sys
if sys.argv[1] == "hfx":
    import hfx.compat.as_pyhf  # noqa: F401  (before cabinetry imports pyhf)
import cabinetry, pyhf
spec = json.loads(sys.argv[2])
model, data = cabinetry.model_utils.model_and_data(spec)
fit = cabinetry.fit.fit(model, data)
rank = cabinetry.fit.ranking(model, data, fit_results=fit)
limit = cabinetry.fit.limit(model, data, poi_tolerance=1e-6)  # brentq to 1e-6 in mu (default 0.01)
sig = cabinetry.fit.significance(model, data)
scan = cabinetry.fit.scan(model, data, "bkg_norm", n_steps=5)
print(json.dumps({
    "pyhf": pyhf.__name__, "labels": fit.labels, "bestfit": fit.bestfit.tolist(),
    "uncertainty": fit.uncertainty.tolist(), "twice_nll": float(fit.best_twice_nll),
    "ranking": {k: getattr(rank, k).tolist() for k in ("prefit_up", "prefit_down", "postfit_up", "postfit_down")},
    "ranking_labels": rank.labels, "observed_limit": float(limit.observed_limit),
    "expected_limit": [float(x) for x in limit.expected_limit],
    "significance": [float(sig.observed_significance), float(sig.expected_significance)],
    "scan": [float(x) for x in scan.delta_nlls],
}))
"""


def run(which):
    env_path = [p for p in sys.path if p]
    proc = subprocess.run([sys.executable, "-c", SCRIPT, which, json.dumps(SPEC)], capture_output=True, text=True,
                          timeout=600, env={"PYTHONPATH": ":".join(env_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def both():
    pytest.importorskip("hfx.compat")
    return run("hfx"), run("pyhf")


def test_cabinetry_runs_on_hfx(both):
    ours, theirs = both
    assert ours["pyhf"] == "hfx.compat" and theirs["pyhf"] == "pyhf"
    assert ours["labels"] == theirs["labels"] and ours["ranking_labels"] == theirs["ranking_labels"]
    assert ours["bestfit"] == pytest.approx(theirs["bestfit"], abs=1e-4)
    assert ours["twice_nll"] == pytest.approx(theirs["twice_nll"], abs=1e-6)
    assert ours["uncertainty"] == pytest.approx(theirs["uncertainty"], rel=1e-4)
    for key, values in theirs["ranking"].items():
        assert ours["ranking"][key] == pytest.approx(values, rel=1e-4, abs=1e-8), key
    assert ours["scan"] == pytest.approx(theirs["scan"], rel=1e-4, abs=1e-6)
    assert ours["observed_limit"] == pytest.approx(theirs["observed_limit"], rel=3e-4)
    assert ours["expected_limit"] == pytest.approx(theirs["expected_limit"], rel=3e-4)
    assert ours["significance"] == pytest.approx(theirs["significance"], rel=3e-4)


def test_cabinetry_limits_on_hfx_are_hfx_s_own(both, hfx, tmp_path):
    ours, _ = both
    (tmp_path / "ws.json").write_text(json.dumps(SPEC))
    native = json.loads(hfx("upper-limit", tmp_path / "ws.json").stdout)
    assert ours["observed_limit"] == pytest.approx(native["obs"], rel=1e-6)
    assert ours["expected_limit"] == pytest.approx(native["exp"], rel=1e-6)


def test_as_pyhf_after_pyhf_is_an_error():
    proc = subprocess.run([sys.executable, "-c", "import pyhf, hfx.compat.as_pyhf"], capture_output=True, text=True,
                          env={"PYTHONPATH": ":".join(p for p in sys.path if p), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "ImportError: hfx.compat.as_pyhf: pyhf was imported before it" in proc.stderr
