"""Toys that survive (`hfx cls --calctype toybased`): a toy whose fit fails does not abort the
ensemble (pyhf #1427); the output counts it ("toys_failed"), stderr says how CLs was computed, and
the same seed gives the same numbers to the bit.

The model below makes fits fail on purpose: mu starts at 0, where the first bin has no expected
events, so every signal + background toy with an event in that bin has a likelihood of 0 at the
start point (a non-finite twice_nll) and its free fit cannot start. The observed data and the
background-only toys have no events there, so they fit.
"""
import json
import math

from conftest import DATA

FAILING = {
    "channels": [{"name": "SR", "samples": [
        {"name": "signal", "data": [0.7, 2.0], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "bkg", "data": [0.0, 10.0],
         "modifiers": [{"name": "bkg_norm", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}}]}]}],
    "observations": [{"name": "SR", "data": [0, 11]}],
    "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": [
        {"name": "mu", "inits": [0.0], "bounds": [[0.0, 10.0]]}]}}],
    "version": "1.0.0",
}


def test_failed_toys_are_counted_and_left_out(hfx, tmp_path):
    path = tmp_path / "failing.json"
    path.write_text(json.dumps(FAILING))
    ntoys = 300
    proc = hfx("cls", path, "--calctype", "toybased", "--ntoys", ntoys, "--seed", 5)
    out = json.loads(proc.stdout)
    # P(at least one event in the first bin) = 1 - exp(-0.7) = 0.503 of the s+b toys: 151 +- 9
    assert 110 < out["toys_failed"] < 190
    assert 0 <= out["CLs_obs"] <= 1 and all(math.isfinite(v) for v in out["CLs_exp"])
    assert f"{out['toys_failed']} of {2 * ntoys} toys failed to fit" in proc.stderr
    assert "0 background-only" in proc.stderr
    again = json.loads(hfx("cls", path, "--calctype", "toybased", "--ntoys", ntoys, "--seed", 5).stdout)
    assert again == out


def test_no_failures_no_warning(hfx):
    proc = hfx("cls", DATA / "infer_simple.json", "--calctype", "toybased", "--ntoys", 100)
    assert json.loads(proc.stdout)["toys_failed"] == 0
    assert "warning" not in proc.stderr


def test_toys_identical_across_backends_and_batches(hfx):
    """Same seed, same toys: cpu-ref one fit at a time and the threaded backend in batches agree."""
    outs = [json.loads(hfx("cls", DATA / "infer_mixed.json", "--calctype", "toybased", "--ntoys", 150,
                           "--seed", 3, *opts).stdout)
            for opts in (["--backend", "cpu-ref"], ["--backend", "cpu", "--threads", "2"])]
    assert outs[0] == outs[1]
