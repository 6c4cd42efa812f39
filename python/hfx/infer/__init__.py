"""hfx.infer: pyhf.infer's hypothesis test (hypotest), and toys as arrays of test statistics (toys,
toys_cls); maximum-likelihood fits in hfx.infer.mle, upper limits in hfx.infer.intervals."""
import collections

import numpy as np

from .. import _core
from .._errors import error, whole
from . import intervals, mle  # noqa: F401
from ._common import calctype_code, check_model, model_defaults_only, scalar, test_stat_code

__all__ = ["hypotest", "toys", "toys_cls", "ToyResult", "mle", "intervals"]

_HYPOTEST_KWARGS = ("test_stat", "ntoys", "seed", "track_progress")


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
    and return shapes. kwargs: test_stat ("qtilde", "q", "q0"; toybased also "tmu", "tmu_tilde"), ntoys
    (toybased, per hypothesis, default 2000), seed (toybased: hfx's counter-based generator, default 0;
    `hfx cls --seed` gives the same toys), track_progress (accepted; nothing is drawn).

    init_pars, par_bounds and fixed_params must be the model's own (or None); return_calculator is not
    supported: the toys' test statistics come from hfx.infer.toys."""
    check_model(pdf)
    for key in kwargs:
        if key not in _HYPOTEST_KWARGS:
            raise TypeError(f"hypotest() got an unexpected keyword argument {key!r}")
    if return_calculator:
        raise error(_core.UnsupportedError, "hypotest: return_calculator is not supported by hfx "
                                            "(hfx.infer.toys returns the toys' test statistics)")
    model_defaults_only(pdf, init_pars, par_bounds, fixed_params, "hypotest")
    test_stat = kwargs.get("test_stat", "qtilde")
    r = pdf.engine.hypotest(float(poi_test), test_stat_code(test_stat), calctype_code(calctype),
                            whole("ntoys", kwargs.get("ntoys", 2000), 0, 2**63 - 1),
                            whole("seed", kwargs.get("seed", 0)), pdf.data_array(data))
    return _returns(r, test_stat == "q0", return_tail_probs, return_expected, return_expected_set)


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
