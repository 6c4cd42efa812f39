"""hfx.fit: the analyses of cabinetry.fit (fit with pulls, correlations and goodness of fit, ranking,
profile scans, significance) on an hfx.Model, through the C library (src/workflow/, docs/analyses.md).

    import hfx
    model = hfx.Workspace("ws.json").model()
    data = hfx.Workspace("ws.json").data(model)
    r = hfx.fit.ranking(model, data)           # every refit in one batch (threads, device)
    r.labels, r.postfit_up                     # cabinetry.fit.RankingResults' fields
    r.to_dict()                                # what `hfx ranking ws.json` prints

Each function returns a named tuple with cabinetry's field names where cabinetry has them, plus hfx's
own (status, ...), and a to_dict() equal to the JSON the matching CLI command prints (its "warnings"
aside: those are on model.warnings). Definitions and where hfx differs from cabinetry: docs/analyses.md.
"""
import math
from typing import Dict, List, NamedTuple, Optional

import numpy as np

from . import _core
from ._errors import error

__all__ = ["fit", "ranking", "scan", "scan_2d", "significance", "FitResults", "RankingResults", "ScanResults",
           "Scan2DResults", "SignificanceResults"]


def _num(x):
    """A number as the CLI's JSON has it: non-finite values are null."""
    x = float(x)
    return x if math.isfinite(x) else None


def _check(model):
    if not hasattr(model, "engine") or not hasattr(model, "_core"):
        raise error(_core.ArgumentError, f"expected an hfx.Model (Workspace.model()), got {type(model).__name__}")
    return model


def _par_info(model):
    info = getattr(model, "_hfx_par_info", None)
    if info is None:
        info = model._core.par_info()
        model._hfx_par_info = info
    return info


def _par_index(model, name):
    """The index of the parameter called name (pyhf's par_names; a scalar set also as "name[0]"), or
    hfx.NotFoundError with the CLI's message."""
    names = _par_info(model)["names"]
    if name in names:
        return names.index(name)
    if name.endswith("[0]") and name[:-3] in names and model.config.is_scalar(name[:-3]):
        return names.index(name[:-3])
    raise error(_core.NotFoundError, f"no parameter '{name}' in the model (per-bin parameters are named as pyhf's "
                                     "par_names, e.g. 'staterror_SR[0]')")


def _parset_object(model, values):
    """{parameter set: value or [values]}: the CLI's "parameters" and "uncertainties"."""
    cfg = model.config
    out = {}
    for name in cfg.par_order:
        s = cfg.par_slice(name)
        v = [_num(x) for x in values[s]]
        out[name] = v[0] if cfg.is_scalar(name) and len(v) == 1 else v
    return out


#
# fit
#

class FitResults(NamedTuple):
    """cabinetry.fit.FitResults' fields (bestfit, uncertainty, labels, corr_mat, best_twice_nll,
    goodness_of_fit: the p-value, -1 when not asked for), and hfx's: status, pulls (list of dicts, or
    None), gof (the saturated-model test as a dict, or None), correlations (whether to_dict has them),
    fixed (the fit's fixed set), model."""
    bestfit: np.ndarray
    uncertainty: np.ndarray
    labels: List[str]
    corr_mat: np.ndarray
    best_twice_nll: float
    goodness_of_fit: float = -1
    status: str = "converged"
    pulls: Optional[List[Dict]] = None
    gof: Optional[Dict] = None
    correlations: bool = False
    fixed: Optional[np.ndarray] = None
    model: object = None

    def to_dict(self):
        """What `hfx fit` prints for this fit (with --pulls, --correlations, --goodness-of-fit as asked)."""
        d = {"twice_nll": _num(self.best_twice_nll), "parameters": _parset_object(self.model, self.bestfit),
             "uncertainties": _parset_object(self.model, self.uncertainty), "status": self.status}
        if self.pulls is not None:
            d["pulls"] = [dict(p) for p in self.pulls]
        if self.correlations:
            free = [i for i in range(len(self.labels)) if not self.fixed[i]]
            d["correlations"] = {"names": [self.labels[i] for i in free],
                                 "matrix": [[_num(self.corr_mat[i, k]) for k in free] for i in free]}
        if self.gof is not None:
            d["goodness_of_fit"] = dict(self.gof)
        return d


def fit(model, data, *, goodness_of_fit=False, pulls=False, correlations=False, explore="thorough"):
    """cabinetry.fit.fit: the maximum likelihood fit with Hessian uncertainties and correlations
    (corr_mat over all parameters, 0 for fixed ones as cabinetry's); goodness_of_fit adds the
    saturated-model p-value (and .gof); pulls adds .pulls. explore: as `hfx fit`'s (thorough)."""
    _check(model)
    m = model.with_backend(explore=explore)
    n = model.config.npars
    pars, unc, cov = np.empty(n), np.empty(n), np.empty(n * n)
    d = model.data_array(data)
    r = m.engine.fit(pars, unc, d, None, None, False, 0.0, cov)
    cov = cov.reshape(n, n)
    fixed = np.asarray(model.config.suggested_fixed(), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        dg = np.diag(cov)  # c_ik / sqrt(c_ii c_kk), rounded as the CLI's
        corr = np.where(np.outer(~fixed, ~fixed), cov / np.sqrt(np.outer(dg, dg)), 0.0)
    info = _par_info(model)
    pull_list = None
    if pulls:
        init = model.config.suggested_init()
        pull_list = []
        for i, w in enumerate(info["prefit_width"]):
            if w > 0:
                pull_list.append({"name": info["names"][i], "bestfit": _num(pars[i]), "uncertainty": _num(unc[i]),
                                  "nominal": _num(init[i]), "prefit_uncertainty": _num(w),
                                  "pull": _num((pars[i] - init[i]) / w), "pull_uncertainty": _num(unc[i] / w)})
    gof, p_value = None, -1
    if goodness_of_fit:
        g = model._core.goodness_of_fit(float(r["twice_nll"]), d)
        gof = {"twice_nll_saturated": _num(g["twice_nll_saturated"]), "delta_twice_nll": _num(g["delta_twice_nll"]),
               "ndof": int(g["ndof"]), "p_value": _num(g["p_value"])}
        p_value = g["p_value"]
    return FitResults(pars, unc, list(info["names"]), corr, float(r["twice_nll"]), p_value, r["status_name"],
                      pull_list, gof, bool(correlations), fixed, model)


#
# ranking
#

class RankingResults(NamedTuple):
    """cabinetry.fit.RankingResults' fields (bestfit, uncertainty, labels, prefit_up, prefit_down,
    postfit_up, postfit_down: one entry per ranked parameter, the POI left out), in the order of
    cabinetry's ranking plot (decreasing post-fit impact); and hfx's: prefit_uncertainty, nominal,
    status (per parameter and overall), poi, poi_bestfit, poi_uncertainty, twice_nll."""
    bestfit: np.ndarray
    uncertainty: np.ndarray
    labels: List[str]
    prefit_up: np.ndarray
    prefit_down: np.ndarray
    postfit_up: np.ndarray
    postfit_down: np.ndarray
    prefit_uncertainty: np.ndarray
    nominal: np.ndarray
    statuses: List[str]
    poi: str
    poi_bestfit: float
    poi_uncertainty: float
    twice_nll: float
    status: str

    def to_dict(self):
        """What `hfx ranking` prints."""
        rows = []
        for k, name in enumerate(self.labels):
            b, u, p, n = self.bestfit[k], self.uncertainty[k], self.prefit_uncertainty[k], self.nominal[k]
            rows.append({"name": name, "bestfit": _num(b), "uncertainty": _num(u), "prefit_uncertainty": _num(p),
                         "nominal": _num(n), "pull": _num((b - n) / p), "pull_uncertainty": _num(u / p),
                         "impact_prefit_up": _num(self.prefit_up[k]), "impact_prefit_down": _num(self.prefit_down[k]),
                         "impact_postfit_up": _num(self.postfit_up[k]),
                         "impact_postfit_down": _num(self.postfit_down[k]), "status": self.statuses[k]})
        return {"poi": self.poi, "bestfit": _num(self.poi_bestfit), "uncertainty": _num(self.poi_uncertainty),
                "twice_nll": _num(self.twice_nll), "ranking": rows, "status": self.status}


def ranking(model, data, *, parameters=None):
    """cabinetry.fit.ranking: the impact of each free constrained nuisance parameter (or of those named
    in parameters) on the POI; the nominal fit, then every refit in one batch."""
    _check(model)
    if model.config.poi_index is None:
        raise error(_core.ArgumentError, "a ranking needs a POI; the model was built without one")
    idx = None if parameters is None else [_par_index(model, p) for p in ([parameters] if isinstance(parameters, str)
                                                                         else parameters)]
    r = model.engine.ranking(idx, model.data_array(data))
    names = _par_info(model)["names"]
    e = r["entries"]
    col = lambda k: np.array([x[k] for x in e], dtype=np.float64)  # noqa: E731
    return RankingResults(col(1), col(2), [names[x[0]] for x in e], col(5), col(6), col(7), col(8), col(3), col(4),
                          [x[9] for x in e], names[model.config.poi_index], r["poi_bestfit"], r["poi_uncertainty"],
                          r["twice_nll"], r["status"])


#
# profile scans
#

def _scan_dict(names, r):
    return {"parameters": list(names), "bestfit": {n: _num(v) for n, v in zip(names, r["bestfit"])},
            "uncertainty": {n: _num(v) for n, v in zip(names, r["uncertainty"])},
            "twice_nll_min": _num(r["twice_nll_min"]), "shape": list(r["shape"]),
            "points": [{"values": [_num(v) for v in p[0]], "twice_nll": _num(p[1]), "delta_twice_nll": _num(p[2]),
                        "status": p[3]} for p in r["points"]],
            "status": r["status"]}


class ScanResults(NamedTuple):
    """cabinetry.fit.ScanResults' fields (name, bestfit, uncertainty, parameter_values, delta_nlls: -2
    Delta log L per point), and hfx's: twice_nll (per point), twice_nll_min, statuses, status."""
    name: str
    bestfit: float
    uncertainty: float
    parameter_values: np.ndarray
    delta_nlls: np.ndarray
    twice_nll: np.ndarray
    twice_nll_min: float
    statuses: List[str]
    status: str
    raw: dict

    def to_dict(self):
        """What `hfx profile-scan --par NAME` prints."""
        return _scan_dict([self.name], self.raw)


class Scan2DResults(NamedTuple):
    """A grid of two parameters: names, bestfit [2], uncertainty [2], parameter_values (two 1-D arrays),
    delta_nlls [n1, n2] (the first parameter along axis 0), twice_nll [n1, n2], twice_nll_min, status."""
    names: List[str]
    bestfit: np.ndarray
    uncertainty: np.ndarray
    parameter_values: tuple
    delta_nlls: np.ndarray
    twice_nll: np.ndarray
    twice_nll_min: float
    statuses: List[str]
    status: str
    raw: dict

    def to_dict(self):
        """What `hfx profile-scan --par NAME1 --par NAME2` prints (points row-major, NAME1 outer)."""
        return _scan_dict(self.names, self.raw)


def _range(par_range, n_steps, what):
    if par_range is not None:
        lo, hi = (float(x) for x in par_range)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise error(_core.ArgumentError, f"the range of '{what}' is empty: it runs from {lo:g} to {hi:g} "
                                             "(LO < HI, both finite)")
        par_range = (lo, hi)
    if int(n_steps) < 2:
        raise error(_core.ArgumentError, f"a scan of '{what}' needs at least 2 points, got {n_steps}")
    return par_range, int(n_steps)


def scan(model, data, par_name, *, par_range=None, n_steps=11):
    """cabinetry.fit.scan: a profile likelihood scan of par_name over par_range (default: best fit +- 2
    uncertainties) in n_steps points, every point's fit in one batch."""
    _check(model)
    i = _par_index(model, par_name)
    rg, n = _range(par_range, n_steps, par_name)
    r = model.engine.profile_scan([i], [rg], [n], model.data_array(data))
    pts = r["points"]
    name = _par_info(model)["names"][i]
    return ScanResults(name, r["bestfit"][0], r["uncertainty"][0], np.array([p[0][0] for p in pts]),
                       np.array([p[2] for p in pts]), np.array([p[1] for p in pts]), r["twice_nll_min"],
                       [p[3] for p in pts], r["status"], r)


def scan_2d(model, data, par_names, *, par_ranges=(None, None), n_steps=(11, 11)):
    """A profile likelihood scan over a grid of two parameters (par_names: two names; par_ranges: one
    (lo, hi) or None each; n_steps: points per axis), every grid point's fit in one batch."""
    _check(model)
    if len(par_names) != 2:
        raise error(_core.ArgumentError, f"scan_2d takes two parameters, got {len(par_names)}")
    idx = [_par_index(model, p) for p in par_names]
    rr = [_range(par_ranges[k], n_steps[k], par_names[k]) for k in range(2)]
    r = model.engine.profile_scan(idx, [x[0] for x in rr], [x[1] for x in rr], model.data_array(data))
    shape = tuple(r["shape"])
    pts = r["points"]
    names = [_par_info(model)["names"][i] for i in idx]
    xs = np.array([pts[a * shape[1]][0][0] for a in range(shape[0])])
    ys = np.array([pts[b][0][1] for b in range(shape[1])])
    return Scan2DResults(names, np.array(r["bestfit"]), np.array(r["uncertainty"]), (xs, ys),
                         np.array([p[2] for p in pts]).reshape(shape), np.array([p[1] for p in pts]).reshape(shape),
                         r["twice_nll_min"], [p[3] for p in pts], r["status"], r)


#
# significance
#

class SignificanceResults(NamedTuple):
    """cabinetry.fit.SignificanceResults' fields (observed_p_value, observed_significance,
    expected_p_value, expected_significance), and hfx's: poi, status."""
    observed_p_value: float
    observed_significance: float
    expected_p_value: float
    expected_significance: float
    poi: str
    status: str

    def to_dict(self):
        """What `hfx significance` prints."""
        return {"poi": self.poi, "observed": {"p0": _num(self.observed_p_value), "Z": _num(self.observed_significance)},
                "expected": {"p0": _num(self.expected_p_value), "Z": _num(self.expected_significance)},
                "status": self.status}


def significance(model, data):
    """cabinetry.fit.significance: the discovery p0 and Z (q0, asymptotics), observed and expected."""
    _check(model)
    if model.config.poi_index is None:
        raise error(_core.ArgumentError, "a significance needs a POI; the model was built without one")
    r = model.engine.significance(model.data_array(data))
    return SignificanceResults(r["p0_obs"], r["z_obs"], r["p0_exp"], r["z_exp"],
                               _par_info(model)["names"][model.config.poi_index], r["status"])
