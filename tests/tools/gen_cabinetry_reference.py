#!/usr/bin/env python3
"""Writes tests/data/cabinetry_reference.json: what cabinetry 0.6.0 (pyhf 0.7.6, numpy backend, iminuit
through pyhf's minuit optimizer: cabinetry's defaults) gives for the analyses of hfx.fit, on

- sbottom RegionA with patch sbottom_1300_205_60 (64 parameters; cabinetry's ranking alone takes about
  300 s here, which is why this script is not run by CI and its numbers are stored),
- a few random reference workspaces (../shared/reference/random_public.jsonl) with a POI,
- small zoo models (../shared/likelihoods/zoo, built without a POI as in zoo_pyhf076.jsonl).

For each: cabinetry.fit.fit(goodness_of_fit=True) (best fit, uncertainties, correlations, p-value),
cabinetry.fit.ranking (with every refit it made: held parameter, value, mu, twice_nll, recorded by
wrapping cabinetry.fit._fit_model), cabinetry.fit.scan and cabinetry.fit.significance.

Referee: where a ranking refit's mu differs from hfx's (hfx.fit.ranking, same held value) by more than
REFEREE_TOL, the same fit is run again with pyhf's minuit at tolerance 1e-6 and strategy 2, and its mu
and twice_nll are stored beside cabinetry's ("referee"), so that tests/python/test_analyses.py can show
which minimum is lower fit by fit.

Usage: PYTHONPATH=build/python python3 tests/tools/gen_cabinetry_reference.py [--quick]
(--quick leaves out the sbottom ranking). Takes about 10 minutes on the 2-core machine.
"""
import gzip
import json
import logging
import pathlib
import sys
import tarfile
import tempfile
import time

import cabinetry
import numpy as np
import pyhf

import hfx

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
OUT = REPO / "tests" / "data" / "cabinetry_reference.json"
REFEREE_TOL = 1e-3  # |mu_cabinetry - mu_hfx| above which a refit is refereed
RANDOM_CASES = [2, 4]
ZOO = ["atlas_susy_3Lss_2019__rpc3lss1b_bkg.json.gz", "atlas_susy_jets_2021__SR6j-3400_bkg.json.gz",
       "atlas_susy_hb_2019__b_bkg.json.gz"]

logging.getLogger("cabinetry").setLevel(logging.WARNING)
logging.getLogger("pyhf").setLevel(logging.WARNING)


def tolist(x):
    return np.asarray(x, dtype=float).tolist()


def record_fits():
    """Wraps cabinetry.fit._fit_model so that every fit it makes is recorded (init, fixed, result)."""
    calls = []
    orig = cabinetry.fit._fit_model

    def wrapped(model, data, **kw):
        r = orig(model, data, **kw)
        calls.append({"init_pars": kw.get("init_pars"), "fix_pars": kw.get("fix_pars"), "bestfit": tolist(r.bestfit),
                      "twice_nll": float(r.best_twice_nll)})
        return r

    cabinetry.fit._fit_model = wrapped
    return calls, lambda: setattr(cabinetry.fit, "_fit_model", orig)


def referee_fit(model, data, init, fixed):
    pyhf.set_backend("numpy", pyhf.optimize.minuit_optimizer(tolerance=1e-6, strategy=2))
    try:
        pars, f = pyhf.infer.mle.fit(data, model, init_pars=init, fixed_params=fixed, return_fitted_val=True)
    finally:
        pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer())
    return tolist(pars), float(f)


def analyse(name, model, data, hmodel, with_poi, scan_par, scan_range=None, ranking=True):
    entry = {"name": name}
    t0 = time.time()
    fr = cabinetry.fit.fit(model, data, goodness_of_fit=True)
    entry["fit"] = {"labels": list(fr.labels), "bestfit": tolist(fr.bestfit), "uncertainty": tolist(fr.uncertainty),
                    "corr_mat": tolist(fr.corr_mat), "best_twice_nll": float(fr.best_twice_nll),
                    "goodness_of_fit": float(fr.goodness_of_fit)}
    if scan_range is None:  # cabinetry's default range, cut at the bounds (where pyhf refuses to start)
        i = model.config.par_names.index(scan_par)
        lo, hi = model.config.suggested_bounds()[i]
        b, u = fr.bestfit[i], fr.uncertainty[i]
        scan_range = [max(float(b - 2 * u), lo), min(float(b + 2 * u), hi)]
    sr = cabinetry.fit.scan(model, data, scan_par, par_range=scan_range)
    entry["scan"] = {"par": scan_par, "par_range": scan_range, "bestfit": float(sr.bestfit),
                     "uncertainty": float(sr.uncertainty), "parameter_values": tolist(sr.parameter_values),
                     "delta_nlls": tolist(sr.delta_nlls)}
    if with_poi:
        sig = cabinetry.fit.significance(model, data)
        entry["significance"] = {"observed_p_value": sig.observed_p_value,
                                 "observed_significance": sig.observed_significance,
                                 "expected_p_value": sig.expected_p_value,
                                 "expected_significance": sig.expected_significance}
    if with_poi and ranking:
        calls, restore = record_fits()
        try:
            rr = cabinetry.fit.ranking(model, data)
        except Exception as e:  # pyhf refuses a held value outside the bounds
            entry["ranking_error"] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
            rr = None
        finally:
            restore()
        if rr is not None:
            entry["ranking"] = {"labels": list(rr.labels), "bestfit": tolist(rr.bestfit),
                                "uncertainty": tolist(rr.uncertainty), "prefit_up": tolist(rr.prefit_up),
                                "prefit_down": tolist(rr.prefit_down), "postfit_up": tolist(rr.postfit_up),
                                "postfit_down": tolist(rr.postfit_down)}
            poi = model.config.poi_index
            hr = hfx.fit.ranking(hmodel, data)
            hfx_mu = {}  # (label, variation) -> hfx's refit mu
            for k, lab in enumerate(hr.labels):
                for v, arr in enumerate((hr.prefit_up, hr.prefit_down, hr.postfit_up, hr.postfit_down)):
                    hfx_mu[(lab, v)] = arr[k] + hr.poi_bestfit
            fits = []
            nominal = calls[0]
            labels = model.config.par_names
            for c in calls[1:]:
                i = next(j for j, (a, b) in enumerate(zip(c["fix_pars"], model.config.suggested_fixed())) if a != b)
                value = c["init_pars"][i]
                b, u = nominal["bestfit"][i], rr.uncertainty[[x for x in range(len(labels)) if x != poi].index(i)]
                w = cabinetry.model_utils.prefit_uncertainties(model)[i]
                v = [b + w, b - w, b + u, b - u].index(value)
                row = {"label": labels[i], "variation": v, "value": value, "mu": c["bestfit"][poi],
                       "twice_nll": c["twice_nll"], "init_pars": c["init_pars"], "fix_pars": c["fix_pars"]}
                h = hfx_mu.get((labels[i], v))
                if h is not None and abs(h - row["mu"]) > REFEREE_TOL:
                    pars, f = referee_fit(model, data, c["init_pars"], c["fix_pars"])
                    row["referee"] = {"mu": pars[poi], "twice_nll": f}
                fits.append(row)
            entry["ranking"]["fits"] = fits
            entry["ranking"]["nominal_twice_nll"] = nominal["twice_nll"]
    entry["seconds"] = time.time() - t0
    print(f"{name}: {entry['seconds']:.1f} s", file=sys.stderr)
    return entry


def main():
    quick = "--quick" in sys.argv
    pyhf.set_backend("numpy")
    out = {"cabinetry": cabinetry.__version__, "pyhf": pyhf.__version__, "cases": []}
    # random reference workspaces with a POI
    lines = (SHARED / "reference" / "random_public.jsonl").read_text().splitlines()
    for i in RANDOM_CASES:
        case = json.loads(lines[i])
        ws = pyhf.Workspace(case["workspace"])
        model = ws.model(modifier_settings=case["modifier_settings"])
        data = ws.data(model)
        hm = hfx.Workspace(case["workspace"]).model(modifier_settings=case["modifier_settings"])
        e = analyse(f"random_{i}", model, data, hm, True, model.config.poi_name)
        e["source"] = {"random_public": i}
        out["cases"].append(e)
    # small zoo models, without a POI
    for f in ZOO:
        spec = json.loads(gzip.open(SHARED / "likelihoods" / "zoo" / f).read())
        ws = pyhf.Workspace(spec)
        model = ws.model(poi_name=None)
        data = ws.data(model)
        hm = hfx.Workspace(spec).model(poi_name=None)
        widths = cabinetry.model_utils.prefit_uncertainties(model)  # the first constrained scalar parameter
        scan_par = next(p for p, w in zip(model.config.par_names, widths) if w > 0 and "[" not in p)
        e = analyse(f"zoo_{f}", model, data, hm, False, scan_par)
        e["source"] = {"zoo": f}
        out["cases"].append(e)
    # sbottom RegionA, 1300_205_60 (mu_hat sits at its bound 0: the scan's range is given within the bounds)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(SHARED / "likelihoods" / "sbottom-hepdata.89408.tar.gz") as tar:
            tar.extractall(tmp, members=[m for m in tar.getmembers() if m.name.startswith("RegionA/")])
        bkg = json.load(open(f"{tmp}/RegionA/BkgOnly.json"))
        patch = json.load(open(f"{tmp}/RegionA/patch.sbottom_1300_205_60.json"))
        ws = pyhf.Workspace(bkg)
        model = ws.model(patches=[patch])
        data = ws.data(model)
        hm = hfx.Workspace(bkg).model(patches=[patch])
        e = analyse("sbottom_RegionA_1300_205_60", model, data, hm, True, "mu_SIG", [0.0, 2.0], ranking=not quick)
        e["source"] = {"sbottom": "RegionA/patch.sbottom_1300_205_60.json"}
        out["cases"].append(e)
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
