"""pyhf 0.7.6 references for upper limits, other test statistics and the toy calculator, on two small
models written to tests/data/ as workspaces. Not run by CI (the toys take a few minutes).

Usage: python3 tests/tools/gen_infer_reference.py   (writes tests/data/infer_*.json)
"""
import json
import os

import numpy as np
import pyhf

here = os.path.join(os.path.dirname(__file__), "..", "data")


def workspace(model_spec, observations):
    return {
        "channels": model_spec["channels"],
        "observations": observations,
        "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


# 1. pyhf's own simple model: two bins, signal, background with uncorrelated uncertainties (shapesys)
simple = pyhf.simplemodels.uncorrelated_background(signal=[12.0, 11.0], bkg=[50.0, 52.0], bkg_uncertainty=[3.0, 7.0])
ws_simple = workspace(simple.spec, [{"name": "singlechannel", "data": [51.0, 48.0]}])
# 2. a model with every smooth modifier kind: normsys, histosys, staterror, lumi-free
ws_mixed = {
    "channels": [{"name": "SR", "samples": [
        {"name": "sig", "data": [3.0, 6.0, 4.0], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "bkg", "data": [20.0, 15.0, 9.0], "modifiers": [
            {"name": "jes", "type": "normsys", "data": {"hi": 1.1, "lo": 0.92}},
            {"name": "shape", "type": "histosys", "data": {"hi_data": [22.0, 15.5, 8.0], "lo_data": [18.5, 14.0, 9.8]}},
            {"name": "staterror_SR", "type": "staterror", "data": [1.5, 1.2, 1.0]}]}]}],
    "observations": [{"name": "SR", "data": [24.0, 19.0, 12.0]}],
    "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": []}}],
    "version": "1.0.0",
}
out = {}
for name, spec in [("simple", ws_simple), ("mixed", ws_mixed)]:
    json.dump(spec, open(os.path.join(here, f"infer_{name}.json"), "w"), indent=1)
    ws = pyhf.Workspace(spec)
    model = ws.model()
    data = ws.data(model)
    ref = {}
    pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=1e-12))
    for stat in ["qtilde", "q", "q0"]:
        for mu in [0.5, 1.0, 2.0]:
            cls_obs, cls_exp = pyhf.infer.hypotest(mu, data, model, test_stat=stat, return_expected_set=True)
            ref[f"asymptotics_{stat}_mu{mu}"] = {"cls_obs": float(cls_obs), "cls_exp": [float(c) for c in cls_exp]}
    # pyhf's upper_limit() starts the bracket at the POI's lower bound 0, where q~ CLs is 0/0 and
    # scipy's toms748 gives up; hfx starts at 1/100 of the upper bound instead, so the reference uses
    # that bracket explicitly: toms748_scan(..., 0.1, 10)
    obs, exp = pyhf.infer.intervals.upper_limits.toms748_scan(data, model, 0.1, 10.0)
    ref["upper_limit"] = {"obs": float(obs), "exp": [float(e) for e in exp], "bracket": [0.1, 10.0]}
    # toys: pyhf's ToyCalculator with a fixed numpy seed; hfx's toys differ draw by draw, so the test
    # compares within the statistical uncertainty of both
    np.random.seed(0)
    ntoys = 1000
    cls_obs, cls_exp = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", calctype="toybased", ntoys=ntoys,
                                           return_expected_set=True, track_progress=False)
    ref["toys_qtilde_mu1"] = {"ntoys": ntoys, "cls_obs": float(cls_obs), "cls_exp": [float(c) for c in cls_exp]}
    out[name] = ref
    print(name, json.dumps(ref)[:300], flush=True)
json.dump(out, open(os.path.join(here, "infer_pyhf076.json"), "w"), indent=1)
