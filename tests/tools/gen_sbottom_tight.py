"""Recomputes pyhf 0.7.6 hypotests of sbottom patches with a converged optimizer.

The shared reference (../shared/reference/sbottom_pyhf076.jsonl) used pyhf's default SLSQP, which
stops while CLs is still off by up to ~1e-2 relative in the no-exclusion corner (CLs ~ 1, where the
Asimov test statistic is tiny and CLs is very sensitive to it). For the patches listed in the input
(region and patch name per line), this reruns the q~ hypotest at mu = 1 with
scipy_optimizer(tolerance=1e-12) and records the five fits behind it. Not run by CI (minutes).

Usage: python3 tests/tools/gen_sbottom_tight.py LIST ARCHIVE_DIR > tests/data/sbottom_pyhf076_tight.jsonl
"""
import json
import math
import sys

import jsonpatch
import pyhf

listing, root = sys.argv[1], sys.argv[2]
pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=1e-12))
bkgs = {}
for line in open(listing):
    region, name = line.split()
    if region not in bkgs:
        bkgs[region] = json.load(open(f"{root}/{region}/BkgOnly.json"))
    patch = json.load(open(f"{root}/{region}/patch.{name}.json"))
    ws = pyhf.Workspace(jsonpatch.apply_patch(bkgs[region], patch))
    out = {"region": region, "patch": name, "optimizer": "scipy SLSQP, tolerance=1e-12"}
    try:
        model = ws.model()
        data = ws.data(model)
        cls_obs, cls_exp = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", return_expected_set=True)
        _, free = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
        _, mu1 = pyhf.infer.mle.fixed_poi_fit(1.0, data, model, return_fitted_val=True)
        pars0, mu0 = pyhf.infer.mle.fixed_poi_fit(0.0, data, model, return_fitted_val=True)
        asimov = model.expected_data(pars0)
        _, free_a = pyhf.infer.mle.fit(asimov, model, return_fitted_val=True)
        _, mu1_a = pyhf.infer.mle.fixed_poi_fit(1.0, asimov, model, return_fitted_val=True)
        num = lambda v: None if math.isnan(float(v)) else float(v)
        out.update({
            "cls_obs": num(cls_obs), "cls_exp": [num(c) for c in cls_exp],
            "hypotest_fits": {"free_data": float(free), "mu1_data": float(mu1), "mu0_data": float(mu0),
                              "free_asimov": float(free_a), "mu1_asimov": float(mu1_a)},
        })
    except Exception as exc:  # pyhf's own failure is a result too
        out["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out), flush=True)
