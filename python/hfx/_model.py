"""hfx.Model (pyhf.pdf.Model's calls: config, logpdf, expected_data) and hfx.ModelConfig.

A Model holds a compiled model (_core.Model, immutable) and one engine (_core.Engine: the model bound to
a backend), made on first use. Calls on one model take turns on its engine; with_backend() gives another
Model over the same compiled tables, with an engine of its own (another backend, or one per thread).
"""
import copy
import json
import threading
from collections.abc import Mapping

import numpy as np

from . import _core
from ._errors import InvalidPdfDataError, InvalidPdfParametersError, error

_SCALAR_TYPES = ("normfactor", "normsys", "histosys", "lumi")  # one parameter per set, as pyhf's is_scalar


def as_doubles(x, n, what, cls=None):
    """x as a C-contiguous float64 array of n values (a copy only where needed)."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 1 or a.shape[0] != n:
        raise error(cls or _core.ArgumentError, f"{what}: expected shape ({n},), got {a.shape}")
    return a


def workspace_of_model_spec(spec, poi_name):
    """A pyhf workspace around pyhf's model specification: its channels, one measurement with its
    parameter settings and the POI, and observations of zeros (a Model(spec) has no data of its own: the
    data come with each call)."""
    channels = spec["channels"]
    obs = []
    for ch in channels if isinstance(channels, list) else []:
        samples = ch.get("samples") if isinstance(ch, Mapping) else None
        n = len(samples[0].get("data", [])) if samples and isinstance(samples[0], Mapping) else 0
        obs.append({"name": ch.get("name"), "data": [0.0] * n})
    poi = poi_name if isinstance(poi_name, str) else ""
    return {"channels": channels, "observations": obs, "version": "1.0.0",
            "measurements": [{"name": "measurement", "config": {"poi": poi, "parameters": spec.get("parameters", [])}}]}


def as_bools(x, n, what):
    a = np.ascontiguousarray(x, dtype=np.bool_)
    if a.ndim != 1 or a.shape[0] != n:
        raise error(_core.ArgumentError, f"{what}: expected shape ({n},), got {a.shape}")
    return a


class ParamSet:
    """pyhf's paramset (model.config.param_set(name)): a parameter set's size, init, bounds, fixed flags
    and constraint. Read-only here: a model's settings are compiled (change them through the spec's
    measurement parameters, or pass init_pars / par_bounds / fixed_params to the fits)."""

    def __init__(self, name, kind, init, bounds, fixed, auxdata, sigmas=None, factors=None):
        self.name, self.modifier_type = name, kind
        self.n_parameters = len(init)
        self.suggested_init, self.suggested_bounds, self.suggested_fixed = list(init), list(bounds), list(fixed)
        self.is_scalar = kind in _SCALAR_TYPES
        self.is_constrained = kind not in ("normfactor", "shapefactor")
        self.constrained = self.is_constrained  # pyhf's name (cabinetry reads it)
        self.pdf_type = None if not self.is_constrained else ("poisson" if kind == "shapesys" else "normal")
        self.auxdata = list(auxdata)
        self.is_shared = True
        if sigmas is not None:
            self.sigmas = list(sigmas)
        if factors is not None:
            self.factors = list(factors)

    def width(self):
        """pyhf's paramset.width(): the constraint's widths, sigmas (normal; 1 where none are given) or
        sqrt(1 / factors) (poisson); a set with no constraint has none (AttributeError, as pyhf)."""
        if self.pdf_type == "normal":
            return list(getattr(self, "sigmas", [1.0] * self.n_parameters))
        if self.pdf_type == "poisson":
            return [(1.0 / f) ** 0.5 for f in self.factors]
        raise AttributeError(f"parameter set {self.name!r} is unconstrained: it has no width")

    @property
    def suggested_fixed_as_bool(self):
        """One flag for the whole set (pyhf's measurement "fixed"): all parameters fixed or none."""
        return bool(all(self.suggested_fixed))

    def __repr__(self):
        return f"<hfx ParamSet {self.name!r} ({self.modifier_type}, {self.n_parameters} parameters)>"


class _ChannelSummaryMixin:
    """The channel summary pyhf's model config and workspace share (pyhf.mixins._ChannelSummaryMixin):
    channels (sorted names), samples, channel_nbins."""

    @property
    def channels(self):
        return self._channels


class ModelConfig(_ChannelSummaryMixin):
    """pyhf's model.config: the parameter layout (pyhf's par_order) and the data layout. Also pyhf's
    constructor, pyhf.pdf._ModelConfig(spec, **config_kwargs) (hfx.compat's _ModelConfig is this class):
    the config of Model(spec), pyhf's modifier_settings the only option."""

    def __new__(cls, info, model=None, **config_kwargs):
        if "n_pars" in info:  # the library's layout (Model builds its config so)
            return super().__new__(cls)
        settings = config_kwargs.pop("modifier_settings", None)
        if config_kwargs:
            from .exceptions import Unsupported
            raise Unsupported(f"Unsupported options were passed in: {list(config_kwargs.keys())}.")
        return Model(info, modifier_settings=settings, validate=False).config

    def __init__(self, info, model=None, **config_kwargs):
        if "n_pars" not in info:  # pyhf's constructor: __new__ returned the model's config, built
            return
        self._model = model  # set_poi rebuilds the model's compiled tables
        self._info = info
        self.npars = info["n_pars"]
        self.par_order = [name for name, _, _, _ in info["parsets"]]
        self._types = {name: kind for name, kind, _, _ in info["parsets"]}
        self._slices = {name: slice(off, off + size) for name, _, off, size in info["parsets"]}
        self.poi_index = info["poi"] if info["poi"] >= 0 else None
        self.poi_name = None
        for name, s in self._slices.items():
            if self.poi_index is not None and s.start == self.poi_index:
                self.poi_name = name
        self._channels = [name for name, _ in info["channels"]]
        self.channel_nbins = {name: n for name, n in info["channels"]}
        self.samples = list(info["samples"])
        self.nmaindata = info["n_bins"]
        self.nauxdata = info["n_aux"]
        self._observed = np.array(info["observed"], dtype=np.float64)
        self._observed.flags.writeable = False
        self.auxdata = self._observed[self.nmaindata:].tolist()
        self.parameters = sorted(self.par_order)
        self.modifier_settings = None  # set by the Model
        self._param_sets = None

    def param_set(self, name):
        """pyhf's config.param_set(name): a ParamSet (size, init, bounds, fixed, constraint)."""
        self._check(name)
        if self._param_sets is None:
            self._param_sets = self._make_param_sets()
        return self._param_sets[name]

    def _make_param_sets(self):
        """Every parameter set's ParamSet; the auxdata of the constrained ones follow par_order (pyhf's
        auxdata order), their sigmas (normal) and factors (Poisson) come from the spec."""
        init, bounds, fixed = self.suggested_init(), self.suggested_bounds(), self.suggested_fixed()
        widths = self._model._constraint_widths() if self._model is not None else {}
        out, aux = {}, 0
        for name in self.par_order:
            s, kind = self._slices[name], self._types[name]
            n = s.stop - s.start
            constrained = kind not in ("normfactor", "shapefactor")
            auxdata = self.auxdata[aux:aux + n] if constrained else []
            aux += n if constrained else 0
            w = widths.get(name)
            out[name] = ParamSet(name, kind, init[s], [list(b) for b in bounds[s]], fixed[s], auxdata,
                                 sigmas=w if constrained and kind != "shapesys" else None,
                                 factors=w if kind == "shapesys" else None)
        return out

    def set_poi(self, name):
        """pyhf's config.set_poi(name): makes parameter set name (a scalar one) the POI, or None for no POI.
        The model's compiled tables are rebuilt with it (hfx compiles the POI into the model)."""
        if name is not None and name not in self._slices:
            raise error(_core.ModelError, f"The parameter of interest '{name}' cannot be fit as it is not declared "
                                          "in the model specification.")
        if name is not None and not self.is_scalar(name):
            raise error(_core.ModelError, f"The parameter '{name}' contains multiple components and is not "
                                          "currently supported as parameter of interest.")
        if self._model is None:
            raise error(_core.UnsupportedError, "set_poi: this configuration belongs to no model")
        self._model._set_poi(name)

    @property
    def channel_slices(self):
        out, start = {}, 0
        for name in self.channels:
            out[name] = slice(start, start + self.channel_nbins[name])
            start += self.channel_nbins[name]
        return out

    @property
    def par_names(self):
        """Parameter names with per-bin indices (pyhf 0.7's par_names): "mu", "staterror_SR[0]", ..."""
        out = []
        for name in self.par_order:
            s = self._slices[name]
            if self.is_scalar(name):
                out.append(name)
            else:
                out.extend(f"{name}[{i}]" for i in range(s.stop - s.start))
        return out

    def is_scalar(self, name):
        return self._types[self._check(name)] in _SCALAR_TYPES

    def modifier_type(self, name):
        """The modifier type of parameter set name ("normsys", "staterror", ...)."""
        return self._types[self._check(name)]

    def _check(self, name):
        if name not in self._slices:
            raise error(_core.NotFoundError, f"no parameter '{name}' in the model")
        return name

    def par_slice(self, name):
        """The slice of the parameter vector that parameter set name occupies."""
        return self._slices[self._check(name)]

    def suggested_init(self):
        return list(self._info["init"])

    def suggested_bounds(self):
        return [(lo, hi) for lo, hi in zip(self._info["lower"], self._info["upper"])]

    def suggested_fixed(self):
        """The fixed flags, as compiled, or as changed through param_set(name).suggested_fixed (pyhf code
        sets them there; fits and hypotest then hold those parameters)."""
        if self._param_sets is not None:
            out = []
            for name in self.par_order:
                out.extend(bool(x) for x in self._param_sets[name].suggested_fixed)
            return out
        return list(self._info["fixed"])


class Model:
    """A compiled model, as pyhf.pdf.Model: Model(spec) with spec pyhf's model specification ({"channels":
    ..., "parameters": ...}), or from Workspace.model(). Keyword arguments as pyhf's: poi_name (default
    "mu"; None or "" for no POI), modifier_settings (pyhf's defaults exactly: see
    hfx._workspace.modifier_settings_codes), validate (hfx always validates), batch_size (None only);
    and hfx's engine options (backend, threads, batch, explore, max_iter, optimizer: Workspace.model)."""

    def __init__(self, spec, modifier_set=None, batch_size=None, validate=True, clip_sample_data=None,
                 clip_bin_data=None, poi_name="mu", modifier_settings=None, backend=None, threads=0, batch=0,
                 explore="default", max_iter=0, optimizer="auto", **config_kwargs):
        from ._workspace import Workspace
        if isinstance(spec, _core.Model):  # the old internal form Model(core, engine_options)
            self._init(spec, modifier_set, None, None, None)
            return
        if not isinstance(spec, Mapping) or "channels" not in spec:
            raise error(_core.SchemaError, "Model(spec): expected pyhf's model specification, a dict with "
                                           "'channels' (and optionally 'parameters')")
        for key, value in (("modifier_set", modifier_set), ("clip_sample_data", clip_sample_data),
                           ("clip_bin_data", clip_bin_data)):
            if value is not None:
                raise error(_core.UnsupportedError, f"Model: {key} is not supported by hfx (pyhf's custom "
                                                    "modifiers and clipping)")
        config_kwargs.pop("schema", None), config_kwargs.pop("version", None)
        from ._workspace import check_config_kwargs
        check_config_kwargs(dict(config_kwargs, batch_size=batch_size), "Model")
        ws = Workspace(workspace_of_model_spec(spec, poi_name))
        m = ws.model(modifier_settings=modifier_settings, poi_name=poi_name, backend=backend, threads=threads,
                     batch=batch, explore=explore, max_iter=max_iter, optimizer=optimizer)
        self._init(m._core, m._engine_options, copy.deepcopy(dict(spec)), ws, None)
        self.config.modifier_settings = m.config.modifier_settings
        self._codes = m._codes
        self.batch_size = batch_size

    def _init(self, core, engine_options, spec, workspace, measurement):
        self._core = core
        self._engine_options = dict(engine_options)
        self._engine = None
        self._engine_lock = threading.Lock()
        self.config = ModelConfig(core.info(), self)
        self._n_data = self.config.nmaindata + self.config.nauxdata
        self._spec, self._workspace, self._measurement = spec, workspace, measurement
        self._codes = None
        self._derived = {}
        self.batch_size = None
        self.main_model = _MainModel(self)
        self.constraint_model = _ConstraintModel(self)

    @classmethod
    def _from_core(cls, core, engine_options, spec=None, workspace=None, measurement=None, codes=None,
                   modifier_settings=None):
        m = cls.__new__(cls)
        m._init(core, engine_options, spec, workspace, measurement)
        m._codes = codes
        m.config.modifier_settings = modifier_settings
        return m

    @property
    def spec(self):
        """pyhf's model.spec: {"channels": ..., "parameters": the measurement's parameter settings}."""
        if self._spec is None and self._workspace is not None:
            ws = self._workspace.spec
            names = [m["name"] for m in ws.get("measurements", [])]
            index = names.index(self._measurement) if self._measurement in names else 0
            params = ws["measurements"][index]["config"].get("parameters", []) if names else []
            self._spec = {"channels": ws["channels"], "parameters": params}
        return self._spec

    @property
    def nominal_rates(self):
        """The nominal rates [1, 1, n_samples, n_bins] (pyhf's shape), from the spec."""
        return self.main_model.nominal_rates

    def _rebuild(self, poi=None, params=None, poi_given=False):
        """A Model over the same workspace with the POI (poi_given) or the measurement's parameter settings
        (params: the list of pyhf's measurement parameter configs) replaced; cached."""
        if self._workspace is None:
            raise error(_core.UnsupportedError, "this model has no workspace to rebuild from")
        key = (poi if poi_given else self.config.poi_name, json.dumps(params, sort_keys=True, default=float))
        if key in self._derived:
            return self._derived[key]
        ws = self._workspace
        names = ws.measurement_names
        index = names.index(self._measurement) if self._measurement in names else 0
        if params is not None:
            ws = ws.patched([[{"op": "replace", "path": f"/measurements/{index}/config/parameters", "value": params}]])
        poi_name = key[0]
        if poi_name is not None:
            ws = ws.patched([[{"op": "replace", "path": f"/measurements/{index}/config/poi", "value": poi_name}]])
        normsys, histosys = self._codes or (_core.INTERP_CODE4, _core.INTERP_CODE4P)
        core = _core.Model(ws._ws, measurement=self._measurement, normsys=normsys, histosys=histosys,
                           no_poi=poi_name is None)
        m = Model._from_core(core, self._engine_options, self._spec, ws, self._measurement, self._codes,
                             self.config.modifier_settings)
        self._derived[key] = m
        return m

    def _set_poi(self, name):
        m = self._rebuild(poi=name, poi_given=True)
        self._core, self._engine = m._core, None
        modifier_settings = self.config.modifier_settings
        self.config = ModelConfig(self._core.info(), self)
        self.config.modifier_settings = modifier_settings
        self._workspace, self._derived = m._workspace, {}

    def _with_settings(self, init_pars=None, par_bounds=None, fixed_params=None):
        """This model, or one whose suggested init, bounds and fixed set are those given (pyhf's fits and
        hypotest take them per call; hfx compiles them into the model: the measurement's parameter
        settings are rewritten and the model rebuilt, once per distinct setting)."""
        cfg = self.config
        init = cfg.suggested_init() if init_pars is None else [float(x) for x in np.asarray(init_pars, float).ravel()]
        bounds = cfg.suggested_bounds() if par_bounds is None else [tuple(float(v) for v in b) for b in par_bounds]
        fixed = cfg.suggested_fixed() if fixed_params is None else [bool(x) for x in fixed_params]
        for what, x in (("init_pars", init), ("par_bounds", bounds), ("fixed_params", fixed)):
            if len(x) != cfg.npars:
                raise error(InvalidPdfParametersError, f"{what}: expected {cfg.npars} values, got {len(x)}")
        if (init == cfg.suggested_init() and [tuple(b) for b in bounds] == [tuple(b) for b in cfg.suggested_bounds()]
                and fixed == cfg.suggested_fixed()):
            return self
        params = {p["name"]: dict(p) for p in (self.spec.get("parameters") or [])}
        for name in cfg.par_order:
            sl = cfg.par_slice(name)
            p = params.setdefault(name, {"name": name})
            p["inits"] = init[sl]
            p["bounds"] = [list(b) for b in bounds[sl]]
            if any(fixed[sl]):
                p["fixed"] = True
            else:
                p.pop("fixed", None)
        return self._rebuild(params=[params[k] for k in params])

    def _constraint_widths(self):
        """{parameter set: per-parameter widths}: the sigmas of the Gaussian constraints (normsys, histosys:
        1; lumi: its sigma; staterror: the relative uncertainty of the bin's summed samples) and the
        factors (nominal / uncertainty)^2 of shapesys' Poisson constraints, from the spec."""
        spec = self.spec or {}
        cfg = self.config
        out = {}
        lumi_sigma = {p["name"]: p["sigmas"][0] for p in spec.get("parameters", []) or [] if "sigmas" in p}
        stat = {}
        for ch in spec.get("channels", []):
            for sample in ch["samples"]:
                nominal = np.asarray(sample["data"], float)
                for mod in sample.get("modifiers", []):
                    name, kind = mod["name"], mod["type"]
                    if name not in cfg._slices:
                        continue
                    if kind in ("normsys", "histosys"):
                        out[name] = [1.0]
                    elif kind == "lumi":
                        out[name] = [lumi_sigma.get(name, 0.0)]
                    elif kind == "staterror":
                        err2, nom = stat.setdefault(name, (np.zeros(nominal.size), np.zeros(nominal.size)))
                        err2 += np.asarray(mod["data"], float) ** 2
                        nom += nominal
                    elif kind == "shapesys":  # pyhf: factor 1 for a bin without uncertainty or content
                        unc = np.asarray(mod["data"], float)
                        keep = (unc > 0) & (nominal > 0)
                        out[name] = np.where(keep, (nominal / np.where(keep, unc, 1.0)) ** 2, 1.0).tolist()
        for name, (err2, nom) in stat.items():
            with np.errstate(divide="ignore", invalid="ignore"):
                out[name] = (np.sqrt(err2) / nom).tolist()
        return out

    @property
    def engine(self):
        """The _core.Engine of this model (made on first use)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    self._engine = _core.Engine(self._core, **self._engine_options)
        return self._engine

    @property
    def backend(self):
        return self._engine_options["backend"]

    def with_backend(self, backend=None, threads=None, batch=None, explore=None, max_iter=None, optimizer=None):
        """A Model over the same compiled tables with another engine (its options replaced where given):
        a backend ("cpu", "cpu-ref", "cuda"), threads, batch, explore ("default", "thorough", "none"),
        max_iter, optimizer ("auto", "bfgs", "lbfgs"). Also the way to give each thread an engine of its own."""
        from ._backends import _EXPLORE, _OPTIMIZER, engine_options
        o = dict(self._engine_options)
        explore_name = {v: k for k, v in _EXPLORE.items()}[o["explore"]]
        optimizer_name = {v: k for k, v in _OPTIMIZER.items()}[o["optimizer"]]
        o = engine_options(backend or o["backend"], o["threads"] if threads is None else threads,
                           o["batch"] if batch is None else batch, explore_name if explore is None else explore,
                           o["max_iter"] if max_iter is None else max_iter,
                           optimizer_name if optimizer is None else optimizer)
        m = Model._from_core(self._core, o, self._spec, self._workspace, self._measurement, self._codes,
                             self.config.modifier_settings)
        m.config = self.config
        return m

    # -- data

    def data_array(self, data):
        """data as the float64 vector the library reads (main bins + auxdata), checked."""
        return as_doubles(data, self._n_data, "data", InvalidPdfDataError)

    def _pars(self, pars):
        return as_doubles(pars, self.config.npars, "pars", InvalidPdfParametersError)

    def expected_data(self, pars, include_auxdata=True):
        """pyhf's model.expected_data: the expected main bins, then the expected auxiliary data; parameters
        [B, n] (pyhf's batched models) give [B, m], row by row."""
        p = np.asarray(pars, dtype=np.float64)
        if p.ndim == 2:
            return np.stack([self.expected_data(row, include_auxdata) for row in p])
        out = np.empty(self._n_data)
        self._core.expected_data(self._pars(pars), out)
        return out if include_auxdata else out[: self.config.nmaindata]

    def expected_actualdata(self, pars):
        return self.expected_data(pars, include_auxdata=False)

    def expected_auxdata(self, pars):
        return self.expected_data(pars)[..., self.config.nmaindata:]

    # -- likelihood

    def twice_nll(self, pars, data=None, return_grad=False):
        """-2 log L at pars for data (None: the observed data), a float; with return_grad also its
        gradient."""
        d = None if data is None else self.data_array(data)
        if return_grad:
            grad = np.empty(self.config.npars)
            value = self.engine.twice_nll(self._pars(pars), d, grad)
            return value, grad
        return self.engine.twice_nll(self._pars(pars), d)

    def logpdf(self, pars, data):
        """pyhf's model.logpdf: log L, shape (1,) for one point ([n] pars), shape (B,) for B points
        ([B, n] pars, one backend call)."""
        p = np.asarray(pars, dtype=np.float64)
        d = np.asarray(data, dtype=np.float64)
        if p.shape[-1:] != (self.config.npars,):
            raise error(InvalidPdfParametersError, f"eval failed as pars has len {p.shape[-1:]} but "
                                                   f"{self.config.npars} was expected")
        if d.shape[-1:] != (self._n_data,):
            raise error(InvalidPdfDataError, f"eval failed as data has len {d.shape[-1:]} but {self._n_data} "
                                             "was expected")
        if p.ndim == 2:
            return -0.5 * self.twice_nll_batch(p, data)
        return np.array([-0.5 * self.twice_nll(p, data)])

    def make_pdf(self, pars):
        """pyhf's model.make_pdf: the main model's pdf and the constraints' joined over the full data
        vector (main bins, then auxiliary data), a pyhf.probability.Simultaneous: sample() draws
        pseudo-data from numpy's global generator as pyhf does (main bins first)."""
        from .compat import probability
        from .compat.tensor.common import _TensorViewer
        n_main = self.config.nmaindata
        pdfs, parts = [self.main_model.make_pdf(pars)], [list(range(n_main))]
        constraints = self.constraint_model.make_pdf(pars)
        if constraints is not None:
            pdfs.append(constraints)
            parts.append(list(range(n_main, self._n_data)))
        return probability.Simultaneous(pdfs, _TensorViewer(parts))

    def pdf(self, pars, data):
        """pyhf's model.pdf: exp(logpdf)."""
        return np.exp(self.logpdf(pars, data))

    def mainlogpdf(self, maindata, pars):
        return self.main_model.logpdf(maindata, pars)

    def constraint_logpdf(self, auxdata, pars):
        return self.constraint_model.logpdf(auxdata, pars)

    def twice_nll_batch(self, pars, data=None, return_grad=False):
        """-2 log L at B points in one call to the backend (which spreads them over threads or a device):
        pars [B, n]; data None (the observed data), [m] (shared) or [B, m] (a data vector per point:
        toys, Asimov sets). Returns [B] (and the gradients [B, n] with return_grad)."""
        n = self.config.npars
        p = np.ascontiguousarray(pars, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != n:
            raise error(_core.ArgumentError, f"pars: expected shape (B, {n}), got {p.shape}")
        b = p.shape[0]
        per_point = False
        d = None
        if data is not None:
            d = np.ascontiguousarray(data, dtype=np.float64)
            if d.ndim == 2:
                if d.shape != (b, self._n_data):
                    raise error(_core.ArgumentError, f"data: expected shape ({self._n_data},) or ({b}, {self._n_data}),"
                                                     f" got {d.shape}")
                per_point = True
            elif d.shape != (self._n_data,):
                raise error(_core.ArgumentError,
                            f"data: expected shape ({self._n_data},) or ({b}, {self._n_data}), got {d.shape}")
        out = np.empty(b)
        grad = np.empty((b, n)) if return_grad else None
        self.engine.twice_nll_batch(b, p, out, d, grad, per_point)
        return (out, grad) if return_grad else out

    # -- work counters and warnings

    @property
    def warnings(self):
        """The multimodal-fit warnings of the last fit, hypotest, upper limit or toys call on this model
        (hfx found a minimum lower than a single descent's, so its result differs from pyhf's by being
        lower; docs/model.md): a list of dicts (role, twice_nll, twice_nll_descent, moved parameters)."""
        return self.engine.warnings() if self._engine is not None else []

    def stats(self):
        """Work counters of this model's engine: fits, backend calls, points, seconds in fits."""
        return self.engine.stats()


def _poisson_logpdf(n, lam):
    """log Poisson(n | lam) with n continuous (pyhf's: n log lam - lam - lgamma(n + 1))."""
    from scipy.special import gammaln, xlogy
    return xlogy(n, lam) - lam - gammaln(n + 1.0)


class _MainModel:
    """pyhf's model.main_model: the Poisson terms of the main bins. expected_data and logpdf come from the
    library's expected data; nominal_rates and return_by_sample from the spec."""

    def __init__(self, model):
        self._model = model
        self._by_sample = None  # {sample name: (model of that sample alone, or None)}, built when first asked

    def expected_data(self, pars, return_by_sample=False):
        """The expected main bins; with return_by_sample, [n_samples, n_bins] (samples in config.samples'
        order, 0 in the channels a sample is not in), and [B, n_samples, n_bins] for parameters [B, n],
        as pyhf's."""
        if not return_by_sample:
            return self._model.expected_actualdata(pars)
        p = np.asarray(pars, dtype=np.float64)
        if p.ndim == 2:
            return np.stack([self.expected_data(row, return_by_sample=True) for row in p])
        cfg = self._model.config
        self._model._pars(p)  # the shape check of every evaluation
        out = np.zeros((len(cfg.samples), cfg.nmaindata))
        for k, name in enumerate(cfg.samples):
            sub = self._sample_model(name)
            sub_pars = np.empty(sub.config.npars)
            for par in sub.config.par_order:
                sub_pars[sub.config.par_slice(par)] = p[cfg.par_slice(par)]
            rates = sub.expected_actualdata(sub_pars)
            for channel, where in sub.config.channel_slices.items():
                out[k, cfg.channel_slices[channel]] = rates[where]
        return out

    def _sample_model(self, name):
        """The model of sample `name` alone: its channels with only that sample, the parameter settings
        of its modifiers, the model's interpolation codes, no POI. A sample's expected rates depend only
        on its own nominal data, its modifiers and their parameters (HistFactory's rates add up over
        samples), so this model's expected data at the same parameter values is the sample's share,
        computed by the library as every other rate."""
        if self._by_sample is None:
            self._by_sample = {}
        if name not in self._by_sample:
            spec = self._model.spec
            channels = [{"name": ch["name"], "samples": [x for x in ch["samples"] if x["name"] == name]}
                        for ch in spec["channels"]]
            channels = [ch for ch in channels if ch["samples"]]
            used = {mod["name"] for ch in channels for x in ch["samples"] for mod in x["modifiers"]}
            params = [par for par in spec.get("parameters", []) if par["name"] in used]
            self._by_sample[name] = Model({"channels": channels, "parameters": params}, poi_name=None,
                                          modifier_settings=self._model.config.modifier_settings,
                                          validate=False)
        return self._by_sample[name]

    def logpdf(self, maindata, pars):
        m = self._model
        d = np.asarray(maindata, dtype=np.float64)
        if d.shape[-1:] != (m.config.nmaindata,):
            raise error(InvalidPdfDataError, f"main data: expected {m.config.nmaindata} values, got {d.shape}")
        return np.asarray(np.sum(_poisson_logpdf(d, m.expected_actualdata(pars)), axis=-1))

    @property
    def nominal_rates(self):
        spec = self._model.spec
        cfg = self._model.config
        out = np.zeros((1, 1, len(cfg.samples), cfg.nmaindata))
        channel_slices = cfg.channel_slices
        for ch in spec["channels"]:
            for sample in ch["samples"]:
                out[0, 0, cfg.samples.index(sample["name"]), channel_slices[ch["name"]]] = sample["data"]
        return out

    def has_pdf(self):
        return True

    def make_pdf(self, pars):
        """pyhf's main_model.make_pdf: Independent(Poisson(expected main bins))."""
        from .compat import probability
        return probability.Independent(probability.Poisson(self._model.expected_actualdata(pars)))


class _ConstraintModel:
    """pyhf's model.constraint_model: the constraint terms (auxiliary data). logpdf is the full logpdf less
    the Poisson terms of the main bins, from the same library call."""

    def __init__(self, model):
        self._model = model

    def expected_data(self, pars):
        return self._model.expected_auxdata(pars)

    def make_pdf(self, pars):
        """pyhf's constraint_model.make_pdf: the Gaussian constraints (centred on their parameters, widths
        the param sets' sigmas), then the Poisson ones (rates gamma * tau), each an Independent, joined over
        the auxiliary data; None for a model without constraints. Samples draw from numpy's global
        generator in that order, as pyhf's."""
        from .compat import probability
        from .compat.tensor.common import _TensorViewer
        cfg = self._model.config
        expected = self._model.expected_auxdata(pars)
        normal, sigmas, poisson, aux = [], [], [], 0
        for name in cfg.par_order:
            ps = cfg.param_set(name)
            if not ps.is_constrained:
                continue
            idx = list(range(aux, aux + ps.n_parameters))
            aux += ps.n_parameters
            if ps.pdf_type == "poisson":
                poisson += idx
            else:
                normal += idx
                sigmas += list(getattr(ps, "sigmas", None) or [1.0] * ps.n_parameters)
        pdfs, parts = [], []
        if normal:
            pdfs.append(probability.Independent(probability.Normal(expected[..., normal], np.asarray(sigmas))))
            parts.append(normal)
        if poisson:
            pdfs.append(probability.Independent(probability.Poisson(expected[..., poisson])))
            parts.append(poisson)
        return probability.Simultaneous(pdfs, _TensorViewer(parts)) if pdfs else None

    def logpdf(self, auxdata, pars):
        m = self._model
        a = np.asarray(auxdata, dtype=np.float64)
        if a.shape[-1:] != (m.config.nauxdata,):
            raise error(InvalidPdfDataError, f"auxdata: expected {m.config.nauxdata} values, got {a.shape}")
        main = m.expected_actualdata(pars)
        full = m.logpdf(pars, np.concatenate([main, a]))
        return np.asarray(full[0] - np.sum(_poisson_logpdf(main, main)))

    def has_pdf(self):
        return self._model.config.nauxdata > 0
