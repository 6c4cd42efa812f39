"""hfx.infer: pyhf.infer's hypothesis test (hypotest), and toys as arrays of test statistics (toys,
toys_cls); maximum-likelihood fits in hfx.infer.mle, upper limits in hfx.infer.intervals."""
import collections

import numpy as np

from .. import _core
from .._errors import UnspecifiedPOIError, error, whole
from . import intervals, mle  # noqa: F401
from ._common import calctype_code, check_model, is_foreign_model, scalar, test_stat_code

__all__ = ["hypotest", "toys", "toys_cls", "ToyResult", "mle", "intervals", "calculators", "test_statistics"]

_HYPOTEST_KWARGS = ("test_stat", "ntoys", "seed", "track_progress", "calc_base_dist")


def _returns(r, is_q0, return_tail_probs, return_expected, return_expected_set):
    """pyhf 0.7.6's return shape of hypotest (pyhf/infer/__init__.py)."""
    out = [scalar(r["cls_obs"])]
    if return_tail_probs:
        out.append([scalar(r["clb_obs"])] if is_q0 else [scalar(r["clsb_obs"]), scalar(r["clb_obs"])])
    band = [scalar(v) for v in r["cls_exp"]]
    if return_expected_set:
        if return_expected:
            out.append(band[2])
        out.append(band)
    elif return_expected:
        out.append(band[2])
    return tuple(out) if len(out) > 1 else out[0]


def hypotest(poi_test, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, calctype="asymptotics",
             return_tail_probs=False, return_expected=False, return_expected_set=False, return_calculator=False,
             **kwargs):
    """pyhf.infer.hypotest: CLs at poi_test (CLsb, i.e. p0, for test_stat="q0"), with the same arguments
    and return shapes. kwargs: test_stat ("qtilde", "q", "q0"; toybased also "tmu", "tmu_tilde"),
    calc_base_dist (asymptotics: "normal"; "clipped_normal" runs pyhf's recipe in Python on hfx's fits),
    ntoys (toybased, per hypothesis, default 2000), seed (toybased: hfx's counter-based generator, default
    0; `hfx cls --seed` gives the same toys), track_progress (accepted; nothing is drawn).

    init_pars, par_bounds and fixed_params as pyhf's: other values than the model's rebuild it with them
    (its measurement's parameter settings). return_calculator also returns the calculator object
    (hfx.infer.calculators), as pyhf: its fits run in Python on hfx's fits, after the library's.

    A model that is not hfx's but has pyhf's interface (config, logpdf, expected_data) runs pyhf's
    asymptotic recipe in Python (hfx.infer.calculators), its fits through pyhf's scipy_optimizer (or the
    optimizer hfx.compat.set_backend set), as pyhf's inference would."""
    if is_foreign_model(pdf):
        return _foreign_hypotest(poi_test, data, pdf, init_pars, par_bounds, fixed_params, calctype,
                                 return_tail_probs, return_expected, return_expected_set, return_calculator, kwargs)
    check_model(pdf)
    for key in kwargs:
        if key not in _HYPOTEST_KWARGS:
            raise TypeError(f"hypotest() got an unexpected keyword argument {key!r}")
    test_stat = kwargs.get("test_stat", "qtilde")
    calc_base_dist = kwargs.get("calc_base_dist", "normal")
    if calc_base_dist not in ("normal", "clipped_normal"):
        raise ValueError(f"unknown base distribution for asymptotics {calc_base_dist}")
    if pdf.config.poi_index is None:
        raise error(UnspecifiedPOIError, "No POI is defined. A POI is required for profile likelihood based test "
                                         "statistics (hypotest; the model was built without one).")
    fixed = pdf.config.suggested_fixed() if fixed_params is None else list(fixed_params)
    if fixed[pdf.config.poi_index]:
        raise error(_core.ModelError, f"POI at index [{pdf.config.poi_index}] is set as fixed, which makes "
                                      "profile likelihood ratio based inference impossible. Please unfix the POI "
                                      "to continue.")
    model = pdf._with_settings(init_pars, par_bounds, fixed)
    calc = None
    if return_calculator or calc_base_dist != "normal":
        from . import calculators
        if calctype == "asymptotics":
            calc = calculators.AsymptoticCalculator(data, pdf, init_pars, par_bounds, fixed_params, test_stat=test_stat,
                                                    calc_base_dist=calc_base_dist)
        elif calctype == "toybased":
            calc = calculators.ToyCalculator(data, pdf, init_pars, par_bounds, fixed_params, test_stat=test_stat,
                                             ntoys=kwargs.get("ntoys", 2000), seed=kwargs.get("seed", 0))
        else:
            calctype_code(calctype)
    if calc_base_dist != "normal" and calctype == "asymptotics":
        teststat = calc.teststatistic(poi_test)
        sb, b = calc.distributions(poi_test)
        clsb, clb, cls = calc.pvalues(teststat, sb, b)
        exp = calc.expected_pvalues(sb, b)[-1]
        r = {"cls_obs": cls, "clsb_obs": clsb, "clb_obs": clb, "cls_exp": exp}
    else:
        r = model.engine.hypotest(float(poi_test), test_stat_code(test_stat), calctype_code(calctype),
                                  whole("ntoys", kwargs.get("ntoys", 2000), 0, 2**63 - 1),
                                  whole("seed", kwargs.get("seed", 0)), model.data_array(data))
        if calc is not None and calctype == "asymptotics":
            calc.teststatistic(poi_test)  # pyhf's calculator comes back with its fits done
    out = _returns(r, test_stat == "q0", return_tail_probs, return_expected, return_expected_set)
    if return_calculator:
        return (*out, calc) if isinstance(out, tuple) else (out, calc)
    return out


def _foreign_hypotest(poi_test, data, pdf, init_pars, par_bounds, fixed_params, calctype, return_tail_probs,
                      return_expected, return_expected_set, return_calculator, kwargs):
    """hypotest for a model with pyhf's interface that is not hfx's: pyhf's asymptotic calculator."""
    from . import calculators
    if calctype != "asymptotics":
        raise error(_core.UnsupportedError, f"hypotest: calctype={calctype!r} needs an hfx model (toys are drawn "
                                            "by hfx's library); a model of pyhf's interface takes asymptotics")
    unknown = [key for key in kwargs if key not in ("test_stat", "calc_base_dist")]
    if unknown:
        raise error(_core.UnsupportedError, f"hypotest: {unknown} not supported for a model that is not hfx's")
    test_stat = kwargs.get("test_stat", "qtilde")
    calc = calculators.AsymptoticCalculator(data, pdf, init_pars, par_bounds, fixed_params, test_stat=test_stat,
                                            calc_base_dist=kwargs.get("calc_base_dist", "normal"))
    teststat = calc.teststatistic(poi_test)
    sb, b = calc.distributions(poi_test)
    clsb, clb, cls = calc.pvalues(teststat, sb, b)
    is_q0 = test_stat == "q0"  # pyhf's hypotest gives CLsb (p0) for q0, observed and expected
    expected = calc.expected_pvalues(sb, b)
    r = {"cls_obs": clsb if is_q0 else cls, "clsb_obs": clsb, "clb_obs": clb,
         "cls_exp": expected[0] if is_q0 else expected[-1]}
    out = _returns(r, is_q0, return_tail_probs, return_expected, return_expected_set)
    if return_calculator:
        return (*out, calc) if isinstance(out, tuple) else (out, calc)
    return out


ToyResult = collections.namedtuple("ToyResult", "teststat_sb teststat_b teststat mu_hat status")
ToyResult.__doc__ = """The toys of hfx.infer.toys: teststat_sb, teststat_b ([ntoys] arrays: the test statistic
of each signal + background and background-only toy, NaN where its fit failed), teststat (observed),
mu_hat (the best-fit POI on the data) and status (the least converged fit to the data, a string)."""


def toys(poi_test, data, pdf, ntoys=2000, test_stat="qtilde", seed=0, first=0):
    """The test statistics of toys [first, first + ntoys) of both ensembles of a toy-based hypotest at
    poi_test (hfx_toys_run): the arrays pyhf's ToyCalculator.distributions() samples. Toy i is the same
    pseudo-experiment whatever the range, backend or thread count, so ranges computed apart (processes,
    machines) merge: toys_cls on their concatenation equals one run over the union, and toys_cls over
    [0, ntoys) equals hypotest(..., calctype="toybased", ntoys=ntoys, seed=seed)."""
    check_model(pdf)
    ntoys, first = whole("ntoys", ntoys, 1, 2**63 - 1), whole("first", first, 0, 2**63 - 1)
    sb, b = np.empty(ntoys), np.empty(ntoys)
    r = pdf.engine.toys(float(poi_test), first, ntoys, sb, b, test_stat_code(test_stat), whole("seed", seed),
                        pdf.data_array(data))
    return ToyResult(sb, b, float(r["teststat"]), float(r["mu_hat"]), r["status_name"])


def toys_cls(teststat, teststat_sb=None, teststat_b=None, test_stat="qtilde", return_tail_probs=False, return_expected=False,
             return_expected_set=True):
    """CLs from toys' test statistics (hfx_toys_cls; NaN entries are failed toys, left out), with
    hypotest's return shapes (by default (CLs_obs, CLs_exp band)). teststat may be a ToyResult, then the
    arrays come from it."""
    if isinstance(teststat, ToyResult):
        teststat, teststat_sb, teststat_b = teststat.teststat, teststat.teststat_sb, teststat.teststat_b
    sb = np.ascontiguousarray(teststat_sb, dtype=np.float64).reshape(-1)
    b = np.ascontiguousarray(teststat_b, dtype=np.float64).reshape(-1)
    r = _core.toys_cls(test_stat_code(test_stat), float(teststat), sb, sb.size, b, b.size)
    return _returns(r, test_stat == "q0", return_tail_probs, return_expected, return_expected_set)


from . import calculators, test_statistics  # noqa: E402,F401  (they use hfx.infer.toys and mle)
