"""hfx.spey_plugin: hfx as a spey backend (entry point group ``spey.backend.plugins``, name ``hfx``).

    import spey
    stat_model = spey.get_backend("hfx")(background_only_model=bkg, signal_patch=patch,
                                         analysis="...", xsection=...)
    stat_model.exclusion_confidence_level(), stat_model.poi_upper_limit(), ...

It takes what spey-pyhf's ``pyhf`` backend takes (a background-only workspace, a dict or a path, and
a signal patch) and gives spey the same model: pyhf's interpolation codes (normsys code4, histosys
code4p), the POI bounds spey asks for (``config``: the lower bound the smallest POI that keeps every
bin's expectation non-negative, or 0), the observed or background-only ("apriori") data. The fits
are hfx's, not spey's scipy minimizer: the four fast paths spey looks for
(``negative_loglikelihood``, ``minimize_negative_loglikelihood`` and their Asimov forms) run hfx's
fits, so that CLs and upper limits come from hfx's minima. Where spey asks for something these
paths do not cover (its own init_pars or par_bounds, several POIs), they raise NotImplementedError
and spey falls back to its optimizer over ``get_objective_function``, whose value and gradient are
hfx's too.

Bounds: hfx's fits use a model's own bounds, so the POI bounds spey asks for are written into the
measurement's parameter config of a model built for them (one model per pair of bounds, cached).
"""
import copy
import json

import numpy as np

from spey.base import ModelConfig
from spey.base.backend_base import BackendBase
from spey.utils import ExpectationType

from . import infer as _infer
from ._workspace import Workspace

__all__ = ["FullStatisticalModel"]

# spey-pyhf's POI lower bound for fits that allow a negative signal is never below this
_MIN_POI_FLOOR = -10.0


def _load(background_only_model):
    if isinstance(background_only_model, str):
        with open(background_only_model, encoding="utf-8") as f:
            return json.load(f)
    return copy.deepcopy(dict(background_only_model))


class FullStatisticalModel(BackendBase):
    """A full HistFactory likelihood (pyhf JSON) in hfx, for spey."""

    name = "hfx"
    version = "0.1.0"
    author = "hfx"
    spey_requires = ">=0.2.0,<0.3.0"
    doi = []

    def __init__(self, signal_patch, background_only_model):
        self._spec = _load(background_only_model)
        self._patch = signal_patch if isinstance(signal_patch, list) else list(signal_patch)
        self._models = {}
        model = self._model(None)
        cfg = model.config
        if cfg.poi_index is None:
            raise ValueError("hfx spey backend: the measurement has no POI")
        self._poi = cfg.poi_index
        self._init = np.asarray(cfg.suggested_init(), dtype=float)
        self._bounds = [tuple(b) for b in cfg.suggested_bounds()]
        self._names = list(cfg.par_names)
        self._fixed = list(cfg.suggested_fixed())
        self._observed = np.asarray(Workspace(self._spec).patched([self._patch]).data(model), dtype=float)
        # signal and background per bin from the model itself: expectation at mu = 1 and mu = 0 with
        # every other parameter at its init (the nominal yields)
        at0, at1 = self._init.copy(), self._init.copy()
        at0[self._poi], at1[self._poi] = 0.0, 1.0
        bkg = model.expected_actualdata(at0)
        sig = model.expected_actualdata(at1) - bkg
        self._alive = bool(np.any(sig > 0.0))
        ratios = bkg[sig > 0.0] / sig[sig > 0.0]
        self._minimum_poi = -float(np.min(ratios)) if ratios.size else -np.inf
        # "apriori": the background-only expectation as data (auxiliary data as observed)
        n_main = model.config.nmaindata
        self._apriori = np.concatenate([bkg, self._observed[n_main:]])

    # -- the model for given POI bounds

    def _model(self, poi_bounds):
        """The hfx model, with the POI bounds (lo, hi) written into the measurement (None: as written)."""
        key = None if poi_bounds is None else (float(poi_bounds[0]), float(poi_bounds[1]))
        if key not in self._models:
            spec = self._spec
            if key is not None:
                spec = copy.deepcopy(self._spec)
                measurement = spec["measurements"][0]
                poi = measurement["config"]["poi"]
                params = measurement["config"].setdefault("parameters", [])
                entry = next((p for p in params if p.get("name") == poi), None)
                if entry is None:
                    entry = {"name": poi}
                    params.append(entry)
                entry["bounds"] = [[key[0], key[1]]]
            self._models[key] = Workspace(spec).model(patches=[self._patch])
        return self._models[key]

    def _poi_bounds(self, allow_negative_signal, poi_upper_bound=None):
        lo = max(self._minimum_poi, _MIN_POI_FLOOR) if allow_negative_signal else 0.0
        hi = poi_upper_bound if poi_upper_bound else self._bounds[self._poi][1]
        return lo, hi

    def _data(self, expected, data):
        if data is not None:
            return np.asarray(data, dtype=float)
        return self._apriori if expected == ExpectationType.apriori else self._observed

    # -- what every spey backend gives

    @property
    def is_alive(self):
        return self._alive

    def config(self, allow_negative_signal=True, poi_upper_bound=None):
        bounds = list(self._bounds)
        bounds[self._poi] = self._poi_bounds(allow_negative_signal, poi_upper_bound)
        return ModelConfig(poi_index=self._poi, minimum_poi=self._minimum_poi, suggested_init=self._init.tolist(),
                           suggested_bounds=bounds, parameter_names=self._names, suggested_fixed=self._fixed)

    def expected_data(self, pars):
        return self._model(None).expected_data(np.asarray(pars, dtype=float)).tolist()

    def get_logpdf_func(self, expected=ExpectationType.observed, data=None):
        model, d = self._model(None), self._data(expected, data)
        return lambda pars: -0.5 * model.twice_nll(np.asarray(pars, dtype=float), d)

    def get_objective_function(self, expected=ExpectationType.observed, data=None, do_grad=True):
        """-2 log L (and its gradient), hfx's, for spey's own optimizer where it is used."""
        model, d = self._model(None), self._data(expected, data)

        def objective(pars):
            p = np.asarray(pars, dtype=float)
            if do_grad:
                value, grad = model.twice_nll(p, d, return_grad=True)
                return np.float64(value), grad
            return np.float64(model.twice_nll(p, d))
        return objective

    # -- the fits, in hfx

    @staticmethod
    def _own_fit_only(init_pars, par_bounds, kwargs):
        """spey's own starting points and bounds are its optimizer's business: fall back to it."""
        if init_pars is not None or par_bounds is not None or kwargs.get("poi_indices") is not None:
            raise NotImplementedError("hfx fits start from the model's init within its bounds")

    def _fixed_fit(self, poi_test, data, allow_negative_signal=True):
        lo, hi = self._poi_bounds(allow_negative_signal)
        model = self._model((min(lo, poi_test), max(hi, poi_test)))
        pars, twice_nll = _infer.mle.fixed_poi_fit(float(poi_test), data, model, return_fitted_val=True)
        return float(twice_nll) / 2.0, pars

    def _free_fit(self, data, allow_negative_signal):
        model = self._model(self._poi_bounds(allow_negative_signal))
        pars, twice_nll = _infer.mle.fit(data, model, return_fitted_val=True)
        return float(twice_nll) / 2.0, pars

    def _asimov(self, expected, test_statistics):
        """spey's Asimov data: the expectation at the fit with mu held at 1 (q0) or 0 (else)."""
        mu = 1.0 if test_statistics == "q0" else 0.0
        _, pars = self._fixed_fit(mu, self._data(expected, None), test_statistics in ("q", "qmu"))
        return np.asarray(self.expected_data(pars))

    def negative_loglikelihood(self, poi_test=1.0, expected=ExpectationType.observed, data=None,
                               return_parameters=False, init_pars=None, par_bounds=None, **kwargs):
        self._own_fit_only(init_pars, par_bounds, kwargs)
        if not isinstance(poi_test, (int, float, np.floating)):
            raise NotImplementedError("hfx fits one POI")
        nll, pars = self._fixed_fit(float(poi_test), self._data(expected, data))
        return (nll, pars) if return_parameters else nll

    def asimov_negative_loglikelihood(self, poi_test=1.0, expected=ExpectationType.observed,
                                      test_statistics="qtilde", init_pars=None, par_bounds=None, **kwargs):
        self._own_fit_only(init_pars, par_bounds, kwargs)
        nll, pars = self._fixed_fit(float(poi_test), self._asimov(expected, test_statistics))
        return (nll, pars) if kwargs.get("return_parameters") else nll

    def minimize_negative_loglikelihood(self, expected=ExpectationType.observed, allow_negative_signal=True,
                                        data=None, init_pars=None, par_bounds=None, poi_indices=None, **kwargs):
        self._own_fit_only(init_pars, par_bounds, dict(kwargs, poi_indices=poi_indices))
        nll, pars = self._free_fit(self._data(expected, data), allow_negative_signal)
        return float(pars[self._poi]), nll

    def minimize_asimov_negative_loglikelihood(self, expected=ExpectationType.observed, test_statistics="qtilde",
                                               init_pars=None, par_bounds=None, poi_indices=None, **kwargs):
        self._own_fit_only(init_pars, par_bounds, dict(kwargs, poi_indices=poi_indices))
        nll, pars = self._free_fit(self._asimov(expected, test_statistics), test_statistics in ("q", "qmu"))
        return float(pars[self._poi]), nll
