"""The two fits of pyhf's asymptotic hypotest that hfx does not run, because their answers are known
(src/infer/hypotest.c), checked against the fits themselves:
- the free fit to the Asimov data: its minimum is the Asimov generator's point (every Poisson and
  constraint term is at its own minimum there), so a real fit, run thoroughly, lands on that point's
  twice_nll (1e-6 relative) and never below it (1e-9 relative: rounding); its parameters, the POI
  among them, may differ along flat directions of the likelihood (random19: mu 0.51 against 0);
- the Asimov generator (the POI held at 0) where the free fit's mu_hat is 0: the held fit's minimum
  equals the free one (within 1e-9 relative), so reusing the free fit changes nothing.
On pyhf's simple model (mu_hat = 0), the sbottom benchmark patch (mu_hat = 0) and the 60 random
reference workspaces; and the hypotest's CLs with the shortcuts equal those of the five fits run in
full here (1e-9 absolute), the way pyhf's calculator combines them.
"""
import json
import math

import pytest
from scipy.stats import norm

from conftest import DATA


def models(hfxmod, sbottom_dir, random_cases):
    yield "simple", hfxmod.Workspace(DATA / "infer_simple.json")
    region = sbottom_dir / "RegionA"
    yield "sbottom_1300_205_60", hfxmod.Workspace(region / "BkgOnly.json").patched(
        [json.loads((region / "patch.sbottom_1300_205_60.json").read_text())])
    for case in random_cases:
        yield f"random{case['seed']}", hfxmod.Workspace(case["path"])


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def qtilde_cls(q, qa):
    """pyhf's asymptotic CLs for q~ (calculators.py: AsymptoticTestStatDistribution)."""
    sq, sqa = math.sqrt(q), math.sqrt(qa)
    ts = sq - sqa if sq <= sqa else (q - qa) / (2 * sqa)
    return norm.sf(ts + sqa) / norm.sf(ts)  # CLsb / CLb


def test_known_fits_equal_real_fits(hfxmod, sbottom_dir, random_cases):
    mle = hfxmod.infer.mle
    checked = zero_mu = 0
    for name, ws in models(hfxmod, sbottom_dir, random_cases):
        m = ws.model()
        thorough = m.with_backend(explore="thorough")
        data = ws.data(m)
        poi = m.config.poi_index
        lo, hi = m.config.suggested_bounds()[poi]
        if not lo <= 0.0 <= hi:
            continue  # the generator lies outside the free fit's box: hfx fits it (hypotest.c)
        free, f_free = mle.fit(data, m, return_fitted_val=True)
        gen, f_gen = mle.fixed_poi_fit(0.0, data, m, return_fitted_val=True)
        if free[poi] == 0.0:
            zero_mu += 1
            assert close(f_gen, f_free), (name, f_gen, f_free)
        asimov = m.expected_data(gen)
        known = m.twice_nll(gen, asimov)
        fitted, f_fit = mle.fit(asimov, thorough, return_fitted_val=True)
        assert f_fit >= known - 1e-9 * max(1.0, abs(known)), (name, f_fit, known)
        assert f_fit - known <= 1e-6 * max(1.0, abs(known)), (name, f_fit, known)

        # CLs at mu = 1 from the five fits run here, against the hypotest's
        mu = 1.0
        if not lo <= mu <= hi:
            continue
        _, f_obs = mle.fixed_poi_fit(mu, data, m, return_fitted_val=True)
        _, f_asi = mle.fixed_poi_fit(mu, asimov, m, return_fitted_val=True)
        q = 0.0 if free[poi] > mu else max(f_obs - f_free, 0.0)
        qa = 0.0 if fitted[poi] > mu else max(f_asi - f_fit, 0.0)
        cls = hfxmod.infer.hypotest(mu, data, m, test_stat="qtilde")
        assert abs(float(cls) - qtilde_cls(q, qa)) <= 1e-9, (name, float(cls), qtilde_cls(q, qa))
        checked += 1
    assert checked >= 50 and zero_mu >= 2, (checked, zero_mu)
