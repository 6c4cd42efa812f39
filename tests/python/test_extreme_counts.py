"""twice_nll at extreme counts against the exact value (mpmath, 700 digits).

The Poisson term 2 (lam - n log lam + lgamma(n + 1)) is finite for every n >= 0 and lam > 0, but
the form that keeps precision near n = lam, 2 n (d - log1p(d)) with d = (lam - n) / n, overflows for
a subnormal n (NaN) and rounds d to -1 for n = 1e18, lam = 6 (infinity). hfx must print the finite
value, to 1e-12 relative, and fit such models. (pyhf's own direct form loses everything but the
leading digits at n = 1e18, so it is no reference here.)
"""
import json

import pytest

mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 700  # lam - n log lam and lgamma(n + 1) cancel to ~300 digits at n = 1e300

CASES = [  # (observed n, signal, background): lam = signal + background at mu = 1
    (1e-310, 5.0, 1.0),
    (1e18, 5.0, 1e18),
    (1e18, 5.0, 1.0),
    (3e-300, 1e-300, 1e-300),
    (1e300, 5.0, 1e300),
]


def exact_twice_nll(n, lam):
    n, lam = mpmath.mpf(n), mpmath.mpf(lam)
    return float(2 * (lam - n * mpmath.log(lam) + mpmath.loggamma(n + 1)))


def workspace(n, s, b):
    return {
        "channels": [{"name": "c", "samples": [
            {"name": "sig", "data": [s], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "bkg", "data": [b], "modifiers": []}]}],
        "observations": [{"name": "c", "data": [n]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


@pytest.mark.parametrize("n,s,b", CASES)
def test_eval_is_finite_and_exact(hfx, tmp_path, n, s, b):
    path = tmp_path / "ws.json"
    path.write_text(json.dumps(workspace(n, s, b)))
    out = json.loads(hfx("eval", path).stdout)
    assert out["twice_nll"] == pytest.approx(exact_twice_nll(n, s + b), rel=1e-12)


@pytest.mark.parametrize("n,s,b", CASES[:3])
def test_fit_runs(hfx, tmp_path, n, s, b):
    path = tmp_path / "ws.json"
    path.write_text(json.dumps(workspace(n, s, b)))
    out = json.loads(hfx("fit", path).stdout)
    assert out["status"] == "converged"
    mu = out["parameters"]["mu"]
    assert out["twice_nll"] == pytest.approx(exact_twice_nll(n, mu * s + b), rel=1e-12)
