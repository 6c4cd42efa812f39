"""hfx.infer.calculators: pyhf's calculator objects (AsymptoticCalculator, ToyCalculator) and their
distributions (AsymptoticTestStatDistribution, EmpiricalDistribution), with pyhf's methods:
teststatistic, distributions, pvalues, expected_pvalues; generate_asimov_data.

The asymptotic calculator runs pyhf's recipe (arXiv:1007.1727, in sqrt(q) space as pyhf and ROOT) on
hfx's fits; its CLs are hfx.infer.hypotest's, which runs the same recipe in the library. The toy
calculator draws its toys with hfx.infer.toys (hfx's counter-based generator, seed= selects the stream):
the same distributions as pyhf's toys, not the same pseudo-experiments (numpy's generator)."""
import math
from dataclasses import dataclass

import numpy as np

from . import mle, test_statistics
from .._errors import whole

__all__ = ["AsymptoticCalculator", "ToyCalculator", "AsymptoticTestStatDistribution", "EmpiricalDistribution",
           "HypoTestFitResults", "generate_asimov_data"]

_NSIGMA = (2, 1, 0, -1, -2)  # pyhf's order of the expected band: CLs increasing


def _normal_cdf(x):
    x = np.asarray(x, dtype=np.float64)
    return np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2.0)))(x) if x.ndim else \
        np.asarray(0.5 * math.erfc(-float(x) / math.sqrt(2.0)))


def generate_asimov_data(asimov_mu, data, pdf, init_pars, par_bounds, fixed_params, return_fitted_pars=False):
    """pyhf's generate_asimov_data: the expected data (main + auxiliary) at the fit with the POI held at
    asimov_mu, and that fit's parameters with return_fitted_pars."""
    pars = mle.fixed_poi_fit(asimov_mu, data, pdf, init_pars, par_bounds, fixed_params)
    asimov = pdf.expected_data(pars)
    return (asimov, pars) if return_fitted_pars else asimov


class AsymptoticTestStatDistribution:
    """The asymptotic distribution of the test statistic (in -mu_hat/sigma space): a unit normal shifted
    by shift, clipped below cutoff (pyhf's calc_base_dist="clipped_normal")."""

    def __init__(self, shift, cutoff=float("-inf")):
        self.shift, self.sqrtqmuA_v, self.cutoff = shift, None, cutoff

    def cdf(self, value):
        return _normal_cdf(np.asarray(value, float) - self.shift)

    def pvalue(self, value):
        v = np.asarray(value, float)
        p = _normal_cdf(-(v - self.shift))
        return np.where(v >= self.cutoff, p, np.nan)

    def expected_value(self, nsigma):
        x = self.shift + np.asarray(nsigma, float)
        return np.where(x > self.cutoff, x, self.cutoff)


class EmpiricalDistribution:
    """The distribution of toys' test statistics: pvalue (the fraction at or above a value) and
    expected_value (the percentile of nsigma, numpy's linear interpolation)."""

    def __init__(self, samples):
        self.samples = np.asarray(samples, dtype=np.float64).ravel()

    def pvalue(self, value):
        return np.asarray(np.sum(self.samples >= value) / self.samples.shape[0])

    def expected_value(self, nsigma):
        return np.percentile(self.samples, _normal_cdf(nsigma) * 100, method="linear")


@dataclass(frozen=True)
class HypoTestFitResults:
    """The parameters of the five fits of AsymptoticCalculator.teststatistic."""
    asimov_pars: object
    free_fit_to_data: object
    free_fit_to_asimov: object
    fixed_poi_fit_to_data: object
    fixed_poi_fit_to_asimov: object


class AsymptoticCalculator:
    """pyhf's AsymptoticCalculator(data, pdf, init_pars, par_bounds, fixed_params, test_stat,
    calc_base_dist)."""

    def __init__(self, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, test_stat="qtilde",
                 calc_base_dist="normal"):
        self.data, self.pdf = data, pdf  # checked when a fit runs
        self.init_pars = init_pars or pdf.config.suggested_init()
        self.par_bounds = par_bounds or pdf.config.suggested_bounds()
        self.fixed_params = fixed_params or pdf.config.suggested_fixed()
        self.test_stat = test_stat
        self.calc_base_dist = calc_base_dist
        self.sqrtqmuA_v = None
        self.fitted_pars = None

    def distributions(self, poi_test):
        if self.sqrtqmuA_v is None:
            raise RuntimeError("need to call .teststatistic(poi_test) first")
        if self.calc_base_dist == "normal":
            cutoff = float("-inf")
        elif self.calc_base_dist == "clipped_normal":
            cutoff = -self.sqrtqmuA_v
        else:
            raise ValueError(f"unknown base distribution for asymptotics {self.calc_base_dist}")
        return AsymptoticTestStatDistribution(-self.sqrtqmuA_v, cutoff), AsymptoticTestStatDistribution(0.0, cutoff)

    def teststatistic(self, poi_test):
        func = test_statistics.get(self.test_stat)
        args = (self.pdf, self.init_pars, self.par_bounds, self.fixed_params)
        qmu_v, (mubhathat, muhatbhat) = func(poi_test, self.data, *args, return_fitted_pars=True)
        sqrtqmu_v = math.sqrt(float(qmu_v))
        asimov_mu = 1.0 if self.test_stat == "q0" else 0.0
        asimov_data, asimov_pars = generate_asimov_data(asimov_mu, self.data, *args, return_fitted_pars=True)
        qmuA_v, (mubhathat_A, muhatbhat_A) = func(poi_test, asimov_data, *args, return_fitted_pars=True)
        self.sqrtqmuA_v = math.sqrt(float(qmuA_v))
        self.fitted_pars = HypoTestFitResults(asimov_pars=asimov_pars, free_fit_to_data=muhatbhat,
                                              free_fit_to_asimov=muhatbhat_A, fixed_poi_fit_to_data=mubhathat,
                                              fixed_poi_fit_to_asimov=mubhathat_A)
        if self.test_stat in ("q", "q0") or sqrtqmu_v <= self.sqrtqmuA_v:
            return np.asarray(sqrtqmu_v - self.sqrtqmuA_v)
        return np.asarray((sqrtqmu_v ** 2 - self.sqrtqmuA_v ** 2) / (2 * self.sqrtqmuA_v))

    def pvalues(self, teststat, sig_plus_bkg_distribution, bkg_only_distribution):
        CLsb = sig_plus_bkg_distribution.pvalue(teststat)
        CLb = bkg_only_distribution.pvalue(teststat)
        return CLsb, CLb, np.asarray(CLsb / CLb)

    def expected_pvalues(self, sig_plus_bkg_distribution, bkg_only_distribution):
        return list(map(list, zip(*(self.pvalues(bkg_only_distribution.expected_value(n), sig_plus_bkg_distribution,
                                                 bkg_only_distribution) for n in _NSIGMA))))


class ToyCalculator:
    """pyhf's ToyCalculator(data, pdf, init_pars, par_bounds, fixed_params, test_stat, ntoys,
    track_progress); hfx's seed= (default 0) selects the toys (hfx.infer.toys)."""

    def __init__(self, data, pdf, init_pars=None, par_bounds=None, fixed_params=None, test_stat="qtilde",
                 ntoys=2000, track_progress=True, seed=0):
        self.data, self.pdf = data, pdf  # checked when a fit runs
        self.init_pars, self.par_bounds, self.fixed_params = init_pars, par_bounds, fixed_params
        self.test_stat, self.track_progress = test_stat, track_progress
        self.ntoys, self.seed = whole("ntoys", ntoys, 0, 2**63 - 1), whole("seed", seed)
        self._toys = {}

    def _model(self):
        return self.pdf._with_settings(self.init_pars, self.par_bounds, self.fixed_params)

    def _run(self, poi_test):
        key = float(poi_test)
        if key not in self._toys:
            from . import toys
            self._toys[key] = toys(key, self.data, self._model(), ntoys=self.ntoys, test_stat=self.test_stat,
                                   seed=self.seed)
        return self._toys[key]

    def distributions(self, poi_test, track_progress=None):
        r = self._run(poi_test)
        sb, b = r.teststat_sb[np.isfinite(r.teststat_sb)], r.teststat_b[np.isfinite(r.teststat_b)]
        return EmpiricalDistribution(sb), EmpiricalDistribution(b)

    def pvalues(self, teststat, sig_plus_bkg_distribution, bkg_only_distribution):
        CLsb = sig_plus_bkg_distribution.pvalue(teststat)
        CLb = bkg_only_distribution.pvalue(teststat)
        return CLsb, CLb, np.asarray(CLsb / CLb)

    def expected_pvalues(self, sig_plus_bkg_distribution, bkg_only_distribution):
        pvalues = np.asarray([self.pvalues(t, sig_plus_bkg_distribution, bkg_only_distribution)
                              for t in bkg_only_distribution.samples])
        band = np.percentile(pvalues, [2.27501319, 15.86552539, 50.0, 84.13447461, 97.72498681], axis=0).T
        return [[np.asarray(p) for p in b] for b in band]

    def teststatistic(self, poi_test):
        func = test_statistics.get(self.test_stat)
        return func(poi_test, self.data, self.pdf, self.init_pars, self.par_bounds, self.fixed_params)
