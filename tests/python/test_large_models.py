"""A model too large for a dense fit: evaluation works in memory that scales with the model, fits
are refused with a message that says why (the dense quasi-Newton matrix is n_pars^2 doubles), never
a bare "out of memory" or the kernel's out-of-memory killer.

60,000 bins, each with its own shapesys (60,001 parameters): twice_nll at the init is the sum of
60,000 identical Poisson terms of the main and the auxiliary measurement, checked to 1e-9 relative.
"""
import json
import math

import pytest

N = 60000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    ws = {
        "channels": [{"name": "c", "samples": [
            {"name": "s", "data": [1.0] * N, "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "b", "data": [10.0] * N, "modifiers": [{"name": "u", "type": "shapesys", "data": [1.0] * N}]},
        ]}],
        "observations": [{"name": "c", "data": [11.0] * N}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }
    path = tmp_path_factory.mktemp("big") / "big.json"
    path.write_text(json.dumps(ws))
    return path


def poisson(n, lam):
    return 2 * (lam - n * math.log(lam) + math.lgamma(n + 1))


def test_eval_at_any_size(hfx, big):
    out = json.loads(hfx("eval", big).stdout)
    # main: n = 11, lam = 1 + 10; shapesys aux: tau = (10 / 1)^2 = 100 observed, gamma tau = 100 expected
    assert out["twice_nll"] == pytest.approx(N * (poisson(11, 11) + poisson(100, 100)), rel=1e-9)


@pytest.mark.parametrize("cmd", ["fit", "cls", "upper-limit"])
def test_fit_refused_with_reason(hfx, big, cmd):
    proc = hfx(cmd, big, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "hfx: error: a fit of this model's 60001 parameters needs 28.8 GB of optimizer state (a dense 60001 x "
        "60001 quasi-Newton matrix); hfx fits models of up to 2.1 GB of it (about 16,000 parameters). "
        "Evaluation (hfx eval) works at any size")
