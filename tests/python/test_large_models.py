"""Large models: evaluation and fits in memory that scales with the model (the limited-memory
optimizer, L-BFGS, is the default), and refusals that say
why where a dense n x n matrix is asked for (the Hessian of the uncertainties; a fit forced to BFGS),
never a bare "out of memory" or the kernel's out-of-memory killer.

- 60,000 bins, each with its own shapesys (60,001 parameters): twice_nll at the init is the sum of
  60,000 identical Poisson terms of the main and the auxiliary measurement, checked to 1e-9 relative.
- 100,000 bins (100,001 parameters), data 13 over 1 signal + 10 background: the minimum is mu = 3,
  every gamma 1, where each Poisson term sits at its own saturated minimum, so twice_nll there is
  N (P(13 | 13) + P(100 | 100)); the fit must reach it to 1e-9 relative (rounding of the 2e5-term sum
  is ~1e-12) with a peak RSS under 400 MB (measured: ~80 MB; the dense matrix alone would be 80 GB);
  evaluation at 60,001 parameters under the same bound (measured ~40 MB).
- the synthetic per-bin family at 2 x 1000 bins (2,015 parameters, the benchmark's NextStat
  comparison): L-BFGS reaches the dense BFGS minimum, at or below it within 1e-10 relative.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

N = 60000
N_FIT = 100000
RSS_LIMIT_KB = 400 * 1024


def workspace(n, observed):
    return {
        "channels": [{"name": "c", "samples": [
            {"name": "s", "data": [1.0] * n, "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "b", "data": [10.0] * n, "modifiers": [{"name": "u", "type": "shapesys", "data": [1.0] * n}]},
        ]}],
        "observations": [{"name": "c", "data": [observed] * n}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.json"
    path.write_text(json.dumps(workspace(N, 11.0)))
    return path


@pytest.fixture(scope="module")
def big_fit(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big-fit.json"
    path.write_text(json.dumps(workspace(N_FIT, 13.0)))
    return path


def poisson(n, lam):
    return 2 * (lam - n * math.log(lam) + math.lgamma(n + 1))


def run_rss(exe, args, out_path):
    """Runs hfx with stdout to out_path; returns its exit code and the peak RSS (kB) of that process
    alone (wait4's rusage: RUSAGE_CHILDREN would be the largest of every child of this pytest)."""
    # subprocess's C fork+exec, not os.fork: Python code between fork and exec in a process with threads
    # (the module's pools, BLAS) can block forever on a lock another thread held (seen once in CI-like runs)
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([exe, *map(str, args)], stdout=out)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    return proc.returncode, usage.ru_maxrss


def test_eval_at_any_size(hfx, big, tmp_path):
    rc, rss = run_rss(hfx.exe, ["eval", big], tmp_path / "eval.json")
    assert rc == 0
    out = json.loads((tmp_path / "eval.json").read_text())
    # main: n = 11, lam = 1 + 10; shapesys aux: tau = (10 / 1)^2 = 100 observed, gamma tau = 100 expected
    assert out["twice_nll"] == pytest.approx(N * (poisson(11, 11) + poisson(100, 100)), rel=1e-9)
    assert rss < RSS_LIMIT_KB


def test_fit_1e5_parameters_in_bounded_memory(hfx, big_fit, tmp_path):
    out_path = tmp_path / "fit.json"
    rc, rss = run_rss(hfx.exe, ["fit", "--no-uncertainties", big_fit], out_path)
    assert rc == 0
    out = json.loads(out_path.read_text())
    assert out["status"] == "converged"
    assert out["twice_nll"] == pytest.approx(N_FIT * (poisson(13, 13) + poisson(100, 100)), rel=1e-9)
    assert out["parameters"]["mu"] == pytest.approx(3.0, abs=1e-6)
    print(f"peak RSS of hfx fit at {N_FIT + 1} parameters: {rss / 1024:.0f} MB", file=sys.stderr)
    assert rss < RSS_LIMIT_KB


def test_uncertainties_refused_with_reason(hfx, big):
    proc = hfx("fit", big, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "hfx: error: the uncertainties of this model's 60001 parameters need 57.6 GB (a dense 60001 x 60001 "
        "Hessian and its inverse); hfx computes them for up to 2.1 GB (about 11,500 parameters). The fit itself "
        "works: ask for it without uncertainties (hfx fit --no-uncertainties)")


@pytest.mark.parametrize("cmd", ["fit", "cls", "upper-limit"])
def test_dense_fit_refused_with_reason(hfx, big, cmd):
    args = ["--no-uncertainties"] if cmd == "fit" else []
    proc = hfx(cmd, big, "--optimizer", "bfgs", *args, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "hfx: error: a fit of this model's 60001 parameters needs 28.8 GB of optimizer state (a dense 60001 x "
        "60001 quasi-Newton matrix); hfx fits models of up to 2.1 GB of it (about 16,000 parameters with BFGS; "
        "the limited-memory optimizer, --optimizer lbfgs, has no such limit). Evaluation (hfx eval) works at "
        "any size")


def test_bad_optimizer_name(hfx, big):
    proc = hfx("fit", big, "--optimizer", "newton", check=False)
    assert proc.returncode != 0
    assert "invalid value 'newton' for --optimizer (expected auto, bfgs, lbfgs, or pyhf's scipy or minuit)" in proc.stderr


@pytest.fixture(scope="module")
def perbin_2000(tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from hfxbench.synth import synthetic_workspace

    path = tmp_path_factory.mktemp("perbin") / "perbin-2000.json"
    path.write_text(json.dumps(synthetic_workspace(channels=2, bins=1000, samples=2, shared=3, per_sample=1,
                                                   modifiers=("normsys", "histosys", "staterror"))))
    return path


def test_lbfgs_reaches_the_dense_minimum(hfx, perbin_2000):
    res = {}
    for opt in ("bfgs", "lbfgs", "auto"):
        res[opt] = json.loads(hfx("fit", perbin_2000, "--no-uncertainties", "--optimizer", opt).stdout)
        assert res[opt]["status"] == "converged"
    bf, lb = res["bfgs"]["twice_nll"], res["lbfgs"]["twice_nll"]
    assert lb <= bf + 1e-10 * abs(bf)
    assert res["auto"]["twice_nll"] == lb  # 2,015 parameters: the default is L-BFGS
    assert res["lbfgs"]["parameters"]["mu"] == pytest.approx(res["bfgs"]["parameters"]["mu"], abs=1e-5)
