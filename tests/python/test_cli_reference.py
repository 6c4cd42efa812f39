"""The CLI's numbers against pyhf 0.7.6's reference results in ../shared/reference (the library-level
tests in tests/c check the same numbers in depth; these check what a user sees: the commands,
their options, their JSON).

Tolerances: twice_nll 1e-9 relative (hfx and pyhf sum the same terms in another order); fits no
higher than pyhf + 1e-6; CLs 1e-4 relative (1e-7 absolute below 1e-3) of pyhf, or of pyhf with a
converged optimizer (tests/data/*_tight.jsonl) where pyhf's default SLSQP stopped early.
"""
import json

import pytest

from conftest import interp_options, pars_object, read_jsonl


def cls_close(a, b):
    if b is None:
        return False
    return abs(a - b) <= (1e-7 if abs(b) < 1e-3 else 0) or abs(a - b) <= 1e-4 * abs(b)


def cls_match(out, ref):
    return cls_close(out["CLs_obs"], ref["cls_obs"]) and all(
        cls_close(a, b) for a, b in zip(out["CLs_exp"], ref["cls_exp"]))


def test_eval_at_reference_points(hfx, random_cases):
    n = 0
    for case in random_cases:
        ref = case["reference"]
        for point, value in zip(ref["points"], ref["twice_nll_at_points"]):
            pars = pars_object(point, ref["par_order"], ref["par_slices"])
            proc = hfx("eval", case["path"], *interp_options(case["modifier_settings"]), "--pars", json.dumps(pars))
            out = json.loads(proc.stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in hfx's JSON"))
            if value is None:  # pyhf: NaN (a negative rate); hfx: +inf, which strict JSON writes as null, and says so
                assert out["twice_nll"] is None
                assert proc.stderr == "hfx: warning: /twice_nll is Infinity, written as null (JSON has no NaN or Infinity)\n"
            else:
                assert out["twice_nll"] == pytest.approx(value, rel=1e-9), case["seed"]
            n += 1
    assert n == 240  # 60 workspaces, 4 points each


def test_fit_layout_and_minimum(hfx, random_cases):
    for case in random_cases[:20]:
        ref = case["reference"]
        out = json.loads(hfx("fit", case["path"], *interp_options(case["modifier_settings"])).stdout)
        assert list(out["parameters"]) == sorted(ref["par_order"])  # JSON keys sorted, like pyhf's CLI
        for name, (lo, hi) in ref["par_slices"].items():
            value = out["parameters"][name]
            assert (isinstance(value, list) and len(value) == hi - lo) or (hi - lo == 1 and isinstance(value, float))
        assert out["twice_nll"] <= ref["mle_twice_nll"] + 1e-6
        assert out["status"] == "converged"
        fixed = json.loads(hfx("fit", case["path"], *interp_options(case["modifier_settings"]), "--fix-poi", "1").stdout)
        assert fixed["twice_nll"] <= ref["fixed_mu1_twice_nll"] + 1e-6


def test_cls(hfx, random_cases):
    checked = 0
    for case in random_cases:
        # with the kinked interpolation codes pyhf can land in higher minima (tests/c/test-fit.c
        # traces each such case fit by fit); this CLI check covers the smooth defaults
        if case["modifier_settings"]["normsys"]["interpcode"] == "code1" or \
                case["modifier_settings"]["histosys"]["interpcode"] == "code0":
            continue
        out = json.loads(hfx("cls", case["path"], *interp_options(case["modifier_settings"])).stdout)
        assert set(out) - {"warnings"} == {"CLs_obs", "CLs_exp", "status"} and len(out["CLs_exp"]) == 5
        assert out["status"] == "converged"
        assert cls_match(out, case["reference"]["hypotest_mu1_qtilde"]) or \
            cls_match(out, case["tight"]["hypotest_mu1_qtilde"]), case["seed"]
        checked += 1
    assert checked >= 15


def test_inspect_order(hfx, random_cases):
    for case in random_cases[:10]:
        out = json.loads(hfx("inspect", case["path"], "--json").stdout)
        assert out["par_order"] == case["reference"]["par_order"]
        for p in out["parameters"]:
            assert [p["offset"], p["offset"] + p["size"]] == case["reference"]["par_slices"][p["name"]]


def test_zoo_small_models(hfx, shared):
    """twice_nll at init through `hfx eval` and the fit through `hfx fit --no-poi` on the zoo's small models."""
    for ref in read_jsonl(shared / "reference" / "zoo_pyhf076.jsonl"):
        if ref["npars"] > 60 or "mle_twice_nll" not in ref:
            continue
        path = shared / "likelihoods" / "zoo" / ref["file"]
        init = json.loads(hfx("eval", path, "--no-poi").stdout)["twice_nll"]
        assert init == pytest.approx(ref["twice_nll_at_init"], rel=1e-9)
        fit = json.loads(hfx("fit", path, "--no-poi", "--no-uncertainties").stdout)
        assert fit["twice_nll"] <= ref["mle_twice_nll"] + 1e-6
