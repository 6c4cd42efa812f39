"""The Python module's numbers against pyhf 0.7.6's reference results (../shared/reference) and against
the CLI: the module runs the library's calls in process, so for the same input it must print exactly
what `hfx cls`, `hfx fit`, `hfx upper-limit` and `hfx scan` print (compared as the JSON doubles they
print, i.e. bit for bit).

Tolerances against pyhf, as the CLI's tests: twice_nll (logpdf) 1e-9 relative (the same terms summed in
another order), data and expected data 1e-12, fits no higher than pyhf's + 1e-6 (hfx's minimum is at
or below pyhf's), CLs 1e-4 relative (1e-7 absolute below 1e-3) of pyhf or of pyhf with a converged
optimizer (tests/data/*_tight.jsonl) where pyhf's default SLSQP stopped early.
"""
import json
import math

import numpy as np
import pytest

from conftest import DATA, interp_options, read_jsonl
from test_cli_reference import cls_match


def smooth(case):
    ms = case["modifier_settings"]
    return ms["normsys"]["interpcode"] != "code1" and ms["histosys"]["interpcode"] != "code0"


def model_of(hfxmod, case):
    ws = hfxmod.Workspace(case["workspace"])
    m = ws.model(modifier_settings=case["modifier_settings"])
    return ws, m


def test_layout_data_and_logpdf(hfxmod, random_cases):
    n_points = 0
    for case in random_cases:
        ref = case["reference"]
        ws, m = model_of(hfxmod, case)
        cfg = m.config
        assert cfg.par_order == ref["par_order"] and cfg.npars == ref["npars"]
        for name, (lo, hi) in ref["par_slices"].items():
            assert cfg.par_slice(name) == slice(lo, hi)
        np.testing.assert_allclose(cfg.suggested_init(), ref["suggested_init"], rtol=1e-15)
        np.testing.assert_allclose(cfg.suggested_bounds(), ref["suggested_bounds"], rtol=1e-15)
        assert cfg.suggested_fixed() == ref["suggested_fixed"]
        data = ws.data(m)
        np.testing.assert_allclose(data, ref["data"], rtol=1e-12)
        np.testing.assert_allclose(m.expected_data(cfg.suggested_init()), ref["expected_data_at_init"], rtol=1e-12)
        points = np.array(ref["points"], dtype=float)
        for point, value in zip(points, ref["twice_nll_at_points"]):
            logpdf = m.logpdf(point, data)
            assert logpdf.shape == (1,)
            if value is None:  # pyhf: NaN (a negative rate); hfx: -inf
                assert logpdf[0] == -np.inf
            else:
                assert -2 * logpdf[0] == pytest.approx(value, rel=1e-9), case["seed"]
            n_points += 1
        # one backend call for all points: the same values as one call each
        batch = m.twice_nll_batch(points, data)
        single = np.array([m.twice_nll(p, data) for p in points])
        assert np.array_equal(batch, single)
    assert n_points == 240


def test_fits_at_or_below_pyhf(hfxmod, random_cases):
    for case in random_cases[:20]:
        ref = case["reference"]
        ws, m = model_of(hfxmod, case)
        data = ws.data(m)
        pars, twice_nll = hfxmod.infer.mle.fit(data, m, return_fitted_val=True)
        assert pars.shape == (m.config.npars,) and twice_nll.shape == ()
        assert twice_nll <= ref["mle_twice_nll"] + 1e-6, case["seed"]
        assert m.twice_nll(pars, data) == pytest.approx(float(twice_nll), rel=1e-12)
        _, fixed = hfxmod.infer.mle.fixed_poi_fit(1.0, data, m, return_fitted_val=True)
        assert fixed <= ref["fixed_mu1_twice_nll"] + 1e-6, case["seed"]


def test_hypotest_against_pyhf(hfxmod, random_cases):
    checked = 0
    for case in filter(smooth, random_cases):  # kinked codes: pyhf can land in higher minima (test_cli_reference)
        ws, m = model_of(hfxmod, case)
        obs, exp = hfxmod.infer.hypotest(1.0, ws.data(m), m, test_stat="qtilde", return_expected_set=True)
        out = {"CLs_obs": float(obs), "CLs_exp": [float(e) for e in exp]}
        assert cls_match(out, case["reference"]["hypotest_mu1_qtilde"]) or \
            cls_match(out, case["tight"]["hypotest_mu1_qtilde"]), case["seed"]
        checked += 1
    assert checked >= 15


def test_same_numbers_as_the_cli(hfxmod, hfx, random_cases):
    """hypotest, fit and upper limits of the module are bit for bit those `hfx` prints."""
    for case in list(filter(smooth, random_cases))[:6]:
        ws, m = model_of(hfxmod, case)
        data = ws.data(m)
        opts = interp_options(case["modifier_settings"])
        cli = json.loads(hfx("cls", case["path"], *opts).stdout)
        obs, exp = hfxmod.infer.hypotest(1.0, data, m, return_expected_set=True)
        assert float(obs) == cli["CLs_obs"] and [float(e) for e in exp] == cli["CLs_exp"], case["seed"]
        cli = json.loads(hfx("fit", case["path"], *opts).stdout)
        bestfit, twice_nll = hfxmod.infer.mle.fit(data, m, return_fitted_val=True, return_uncertainties=True)
        assert float(twice_nll) == cli["twice_nll"], case["seed"]
        for name in m.config.par_order:
            s = m.config.par_slice(name)
            values = bestfit[s, 0].tolist() if not m.config.is_scalar(name) else float(bestfit[s, 0][0])
            errors = bestfit[s, 1].tolist() if not m.config.is_scalar(name) else float(bestfit[s, 1][0])
            assert values == cli["parameters"][name] and errors == cli["uncertainties"][name], (case["seed"], name)
        cli = json.loads(hfx("upper-limit", case["path"], *opts).stdout)
        obs, exp = hfxmod.infer.intervals.upper_limits.upper_limit(data, m)
        assert float(obs) == cli["obs"] and [float(e) for e in exp] == cli["exp"], case["seed"]
        cli = json.loads(hfx("upper-limit", case["path"], *opts, "--scan", "0,5,11").stdout)
        obs, exp, (scan, results) = hfxmod.infer.intervals.upper_limits.upper_limit(
            data, m, np.linspace(0, 5, 11), return_results=True)
        assert float(obs) == cli["obs"] and [float(e) for e in exp] == cli["exp"], case["seed"]
        # the CLI prints a NaN CLs (0/0, e.g. at mu = 0 where q and q_A vanish) as null
        assert [None if math.isnan(r[0]) else float(r[0]) for r in results] == cli["CLs_obs"], case["seed"]


def test_zoo_small_models(hfxmod, shared):
    """twice_nll at init and the background-only fit (poi_name=None) of the zoo's small models."""
    n = 0
    for ref in read_jsonl(shared / "reference" / "zoo_pyhf076.jsonl"):
        if ref["npars"] > 60 or "mle_twice_nll" not in ref:
            continue
        ws = hfxmod.Workspace(shared / "likelihoods" / "zoo" / ref["file"])
        m = ws.model(poi_name=None)
        assert m.config.poi_index is None and m.config.par_order == ref["par_order"]
        data = ws.data(m)
        assert -2 * m.logpdf(m.config.suggested_init(), data)[0] == pytest.approx(ref["twice_nll_at_init"], rel=1e-9)
        _, twice_nll = hfxmod.infer.mle.fit(data, m, return_fitted_val=True)
        assert twice_nll <= ref["mle_twice_nll"] + 1e-6, ref["file"]
        n += 1
    assert n >= 10


def test_sbottom_scan_against_pyhf_and_the_cli(hfxmod, hfx, sbottom_dir, shared):
    """hfx.scan over RegionA patches (and RegionB's failing one): results as `hfx scan` prints them,
    whatever the jobs; CLs as pyhf's (or converged pyhf's)."""
    region = sbottom_dir / "RegionA"
    files = sorted(region.glob("patch.*.json"))[:16]
    names = [p.name[len("patch."):-len(".json")] for p in files]
    pairs = [(n, json.loads(p.read_text())) for n, p in zip(names, files)]
    bkg = hfxmod.Workspace(region / "BkgOnly.json")
    got = list(hfxmod.scan(bkg, pairs, jobs=2))
    assert sorted(r.index for r in got) == list(range(len(files)))  # each once, in the order they finished
    assert [r.name for r in hfxmod.scan(bkg, pairs, jobs=3, ordered=True)] == names
    cli = [json.loads(line) for line in hfx("scan", region / "BkgOnly.json", *files, "--jobs", "2").stdout.splitlines()]
    ref = {r["patch"]: r for r in read_jsonl(shared / "reference" / "sbottom_pyhf076.jsonl") if r["region"] == "RegionA"}
    tight = {r["patch"]: r for r in read_jsonl(DATA / "sbottom_pyhf076_tight.jsonl") if r["region"] == "RegionA"}
    by_name = {r.name: r for r in got}
    for row in cli:
        r = by_name[row["patch"]]
        assert r.error is None
        assert r.cls_obs == row["CLs_obs"] and r.cls_exp.tolist() == row["CLs_exp"], row["patch"]
        out = {"CLs_obs": r.cls_obs, "CLs_exp": r.cls_exp.tolist()}
        assert cls_match(out, ref[row["patch"]]) or (row["patch"] in tight and cls_match(out, tight[row["patch"]]))

    # the patch that removes the POI: an error result, with the CLI's message, and the scan goes on
    region_b = sbottom_dir / "RegionB"
    bad = region_b / "patch.sbottom_1500_1495_60.json"
    good = sorted(region_b.glob("patch.*.json"))[0]
    rows = list(hfxmod.scan(region_b / "BkgOnly.json", [("bad", json.loads(bad.read_text())),
                                                         ("good", json.loads(good.read_text()))], ordered=True))
    assert isinstance(rows[0].error, hfxmod.ModelError) and rows[0].cls_obs is None
    cli = json.loads(hfx("scan", region_b / "BkgOnly.json", bad, check=False).stdout)
    # the same message, each naming the patch as it was given (the CLI: its file; the module: its name)
    assert str(rows[0].error) == cli["error"].replace(f"patched by {bad}", "patched by bad")
    assert rows[1].error is None and 0 <= rows[1].cls_obs <= 1


def test_sbottom_single_patch_as_pyhf_users_write_it(hfxmod, hfx, sbottom_dir, shared):
    """The README's example: a background workspace, one patch, a hypotest; the same through `hfx cls`."""
    region = sbottom_dir / "RegionA"
    patch = region / "patch.sbottom_1300_205_60.json"
    ws = hfxmod.Workspace(region / "BkgOnly.json")
    m = ws.model(patches=[json.loads(patch.read_text())])
    obs, exp = hfxmod.infer.hypotest(1.0, ws.data(m), m, test_stat="qtilde", return_expected_set=True)
    cli = json.loads(hfx("cls", region / "BkgOnly.json", "-p", patch).stdout)
    assert float(obs) == cli["CLs_obs"] and [float(e) for e in exp] == cli["CLs_exp"]
    ref = {r["patch"]: r for r in read_jsonl(shared / "reference" / "sbottom_pyhf076.jsonl")
           if r["region"] == "RegionA"}["sbottom_1300_205_60"]
    assert cls_match({"CLs_obs": float(obs), "CLs_exp": [float(e) for e in exp]}, ref)
