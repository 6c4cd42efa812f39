"""hfx.Model (pyhf.pdf.Model's calls: config, logpdf, expected_data) and hfx.ModelConfig.

A Model holds a compiled model (_core.Model, immutable) and one engine (_core.Engine: the model bound to
a backend), made on first use. Calls on one model take turns on its engine; with_backend() gives another
Model over the same compiled tables, with an engine of its own (another backend, or one per thread).
"""
import threading

import numpy as np

from . import _core
from ._errors import error

_SCALAR_TYPES = ("normfactor", "normsys", "histosys", "lumi")  # one parameter per set, as pyhf's is_scalar


def as_doubles(x, n, what):
    """x as a C-contiguous float64 array of n values (a copy only where needed)."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 1 or a.shape[0] != n:
        raise error(_core.ArgumentError, f"{what}: expected shape ({n},), got {a.shape}")
    return a


def as_bools(x, n, what):
    a = np.ascontiguousarray(x, dtype=np.bool_)
    if a.ndim != 1 or a.shape[0] != n:
        raise error(_core.ArgumentError, f"{what}: expected shape ({n},), got {a.shape}")
    return a


class ModelConfig:
    """pyhf's model.config: the parameter layout (pyhf's par_order) and the data layout."""

    def __init__(self, info):
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
        self.channels = [name for name, _ in info["channels"]]
        self.channel_nbins = {name: n for name, n in info["channels"]}
        self.samples = list(info["samples"])
        self.nmaindata = info["n_bins"]
        self.nauxdata = info["n_aux"]
        self._observed = np.array(info["observed"], dtype=np.float64)
        self._observed.flags.writeable = False
        self.auxdata = self._observed[self.nmaindata:].tolist()

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
        return list(zip(self._info["lower"], self._info["upper"]))

    def suggested_fixed(self):
        return list(self._info["fixed"])


class Model:
    """A compiled model: made by Workspace.model(), not directly."""

    def __init__(self, core, engine_options):
        self._core = core
        self._engine_options = dict(engine_options)
        self._engine = None
        self._engine_lock = threading.Lock()
        self.config = ModelConfig(core.info())
        self._n_data = self.config.nmaindata + self.config.nauxdata

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
        m = Model.__new__(Model)
        m._core, m._engine_options, m._engine, m._engine_lock = self._core, o, None, threading.Lock()
        m.config, m._n_data = self.config, self._n_data
        return m

    # -- data

    def data_array(self, data):
        """data as the float64 vector the library reads (main bins + auxdata), checked."""
        return as_doubles(data, self._n_data, "data")

    def _pars(self, pars):
        return as_doubles(pars, self.config.npars, "pars")

    def expected_data(self, pars, include_auxdata=True):
        """pyhf's model.expected_data: the expected main bins, then the expected auxiliary data."""
        out = np.empty(self._n_data)
        self._core.expected_data(self._pars(pars), out)
        return out if include_auxdata else out[: self.config.nmaindata]

    def expected_actualdata(self, pars):
        return self.expected_data(pars, include_auxdata=False)

    def expected_auxdata(self, pars):
        return self.expected_data(pars)[self.config.nmaindata:]

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
        if p.ndim == 2:
            return -0.5 * self.twice_nll_batch(p, data)
        return np.array([-0.5 * self.twice_nll(p, data)])

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
