"""hfx.Workspace (pyhf.Workspace's calls: model(), data()) and hfx.Patchset."""
import json
import os
from collections.abc import Mapping

import numpy as np

from . import _core
from ._backends import engine_options
from ._errors import error, finer
from ._model import Model

_NORMSYS = {"code1": _core.INTERP_CODE1, "code4": _core.INTERP_CODE4}
_HISTOSYS = {"code0": _core.INTERP_CODE0, "code2": _core.INTERP_CODE2, "code4p": _core.INTERP_CODE4P}
_MEASUREMENT_POI = object()  # poi_name not given: the measurement's POI (pyhf's default)


def modifier_settings_codes(settings):
    """The (normsys, histosys) interpolation codes of pyhf's modifier_settings, with pyhf 0.7.6's defaults
    exactly: no modifier_settings at all gives normsys code4 and histosys code4p (pyhf's _ModelConfig
    default); a dict gives each type the code it names and every type it leaves out (or whose settings
    have no "interpcode") the default of that modifier's own class in pyhf, normsys code1 and histosys
    code0. So {"normsys": {"interpcode": "code1"}} means histosys code0, and {} means code1 and code0.

    Refused where pyhf fails later or ignores it (docs/pyhf-compat.md): settings that are not a dict,
    another modifier type (pyhf passes its settings to that modifier, which takes none: a TypeError), and
    keys other than "interpcode"."""
    if settings is None:
        return _core.INTERP_CODE4, _core.INTERP_CODE4P
    if not isinstance(settings, Mapping):
        raise error(_core.ArgumentError, f"modifier_settings: expected a dict, got {type(settings).__name__}")
    codes = {"normsys": _core.INTERP_CODE1, "histosys": _core.INTERP_CODE0}
    for kind, options in settings.items():
        if kind not in ("normsys", "histosys"):
            raise error(_core.ArgumentError, f"modifier_settings: {kind!r} takes no settings (only normsys and "
                                             "histosys have an interpolation code)")
        if not isinstance(options, Mapping) or any(k != "interpcode" for k in options):
            raise error(_core.ArgumentError, f"modifier_settings: {kind}: expected {{'interpcode': CODE}}, "
                                             f"got {options!r}")
        table = _NORMSYS if kind == "normsys" else _HISTOSYS
        if "interpcode" in options:
            code = options["interpcode"]
            if code not in table:
                raise error(_core.ArgumentError,
                            f"modifier_settings: {kind} interpcode {code!r} (expected {' or '.join(table)})")
            codes[kind] = table[code]
    return codes["normsys"], codes["histosys"]


def check_config_kwargs(config_kwargs, what):
    """pyhf's other model options: validate (hfx always validates: a spec that fails is refused either
    way) and batch_size (None, or N: the model then takes parameters [N, n] in logpdf and expected_data,
    as pyhf's batched models, each row evaluated by the library) are accepted."""
    for key, value in config_kwargs.items():
        if key == "validate":
            continue
        if key == "batch_size" and (value is None or (isinstance(value, int) and value > 0)):
            continue
        raise error(_core.UnsupportedError, f"{what}: option {key}={value!r} is not supported by hfx")


def _json_default(x):
    """numpy values inside a spec dict, as JSON."""
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"{type(x).__name__} is not JSON serializable")


def _dumps(obj):
    return json.dumps(obj, default=_json_default)


def _patch_ops(patch):
    """One patch as RFC 6902 JSON text: a list of operations, a jsonpatch.JsonPatch or pyhf's Patch (both
    have .patch), or JSON text."""
    if isinstance(patch, str):
        return patch
    ops = getattr(patch, "patch", patch)
    if not isinstance(ops, (list, tuple)):
        raise error(_core.ArgumentError,
                    f"a patch must be a list of JSON Patch operations (or have .patch), got {type(patch).__name__}")
    return _dumps(list(ops))


class Workspace:
    """A pyhf workspace: Workspace(spec) with spec a dict (a pyhf.Workspace is one), a path to a JSON file
    (".gz": gunzipped) or an hfx._core.Workspace. The JSON is parsed here and validated when a model is
    built (pyhf validates in its constructor: the error then comes from ws.model())."""

    def __init__(self, spec, name=None):
        self._meas = None  # [(name, poi)] of the measurements, once asked for
        if isinstance(spec, _core.Workspace):
            self._ws, self._spec = spec, None
        elif isinstance(spec, (str, os.PathLike)):
            self._ws, self._spec = _core.Workspace(spec), None
        elif isinstance(spec, Mapping):
            self._ws, self._spec = _core.Workspace.from_string(_dumps(spec), name or "<workspace>"), None
        else:
            raise error(_core.ArgumentError,
                        f"Workspace(spec): expected a dict, a pyhf.Workspace or a path, got {type(spec).__name__}")

    @property
    def spec(self):
        """The workspace (after patches) as a dict (parsed from the library's JSON once)."""
        if self._spec is None:
            self._spec = json.loads(self._ws.dump())
        return self._spec

    def _measurements(self):
        """[(name, poi)] of the measurements, from the library (hfx_spec_*: validated, the JSON not read
        into Python); the library's validation error for a malformed workspace."""
        if self._meas is None:
            try:
                self._meas = self._ws.measurements()
            except (_core.SchemaError, _core.ModelError) as e:
                raise finer(e) from None  # pyhf's class for what it has one for, as model() raises
        return self._meas

    @property
    def measurement_names(self):
        return [name for name, _ in self._measurements()]

    def copy(self):
        """An independent copy (O(1): the library copies on write)."""
        return Workspace(self._ws.copy())

    def patched(self, patches):
        """A copy with patches applied in order (lists of operations, JsonPatch or pyhf Patch objects,
        JSON text, or paths of JSON Patch files)."""
        ws = self._ws.copy()
        for i, p in enumerate(patches or []):
            if isinstance(p, os.PathLike) or (isinstance(p, str) and not p.lstrip().startswith("[")):
                ws.apply_patch_file(p)
            else:
                ws.apply_patch(_patch_ops(p), f"<patch {i}>")
        return Workspace(ws)

    def _measurement_index(self, name):
        names = self.measurement_names
        if name is None:
            return 0
        if name not in names:
            raise error(_core.NotFoundError, f"no measurement '{name}' in the workspace (it has: {', '.join(names)})")
        return names.index(name)

    def model(self, measurement_name=None, measurement_index=None, patches=None, modifier_settings=None,
              poi_name=_MEASUREMENT_POI, backend=None, threads=0, batch=0, explore="default", max_iter=0,
              optimizer="auto", **config_kwargs):
        """The model of a measurement, as pyhf.Workspace.model (same argument order): measurement_name or
        measurement_index (default: the first); patches applied first (in order); modifier_settings as
        pyhf's (modifier_settings_codes); poi_name None or "" builds it without a POI (background-only
        fits), another name replaces the measurement's POI.

        hfx's own: backend ("cpu", "cpu-ref", "cuda"; default "cpu" where compiled in), threads (of the
        threaded backend, 0: all cores), batch (fits advanced together, 0: the backend's choice), explore
        ("default", "thorough", "none": how hard fits look for the global minimum, docs/model.md),
        max_iter (0: the library's default), optimizer ("auto": L-BFGS; "bfgs", "lbfgs": forced, as the CLI's
        --optimizer). pyhf's batch_size (None only) and validate are accepted (docs/pyhf-compat.md)."""
        check_config_kwargs(config_kwargs, "Workspace.model")
        if measurement_name is None and measurement_index is not None:
            names = self.measurement_names
            if not isinstance(measurement_index, int) or not -len(names) <= measurement_index < len(names):
                raise error(_core.NotFoundError, f"measurement_index {measurement_index!r}: the workspace has "
                                                 f"{len(names)} measurements")
            measurement_name = names[measurement_index]
        ws = self.patched(patches) if patches else self
        normsys, histosys = modifier_settings_codes(modifier_settings)
        if poi_name is _MEASUREMENT_POI:  # pyhf: the measurement's POI, "" meaning none
            measurements = ws._measurements()  # (the library's error for a malformed workspace)
            names = [name for name, _ in measurements]
            index = 0 if measurement_name is None else (names.index(measurement_name) if measurement_name in names else -1)
            if 0 <= index < len(names) and measurements[index][1] == "":
                poi_name = ""
        no_poi = poi_name is None or poi_name == ""  # pyhf: "" is no POI
        if isinstance(poi_name, str) and not no_poi:
            index = ws._measurement_index(measurement_name)
            if ws._measurements()[index][1] != poi_name:
                ws = ws.patched([[{"op": "replace", "path": f"/measurements/{index}/config/poi", "value": poi_name}]])
        elif not no_poi and poi_name is not _MEASUREMENT_POI:
            raise error(_core.ArgumentError, f"poi_name: expected a string or None, got {type(poi_name).__name__}")
        try:
            core = _core.Model(ws._ws, measurement=measurement_name, normsys=normsys, histosys=histosys, no_poi=no_poi)
        except (_core.SchemaError, _core.ModelError) as e:
            raise finer(e) from None
        if modifier_settings is None:
            modifier_settings = {"normsys": {"interpcode": "code4"}, "histosys": {"interpcode": "code4p"}}
        return Model._from_core(core, engine_options(backend, threads, batch, explore, max_iter, optimizer),
                                spec=None, workspace=ws, measurement=measurement_name, codes=(normsys, histosys),
                                modifier_settings=modifier_settings)

    def data(self, model, include_auxdata=True):
        """The observed data of model (pyhf's workspace.data): main bins (channels sorted by name), then
        the auxiliary data unless include_auxdata is False."""
        if not isinstance(model, Model):
            raise error(_core.ArgumentError, f"data(model): expected an hfx model, got {type(model).__name__}")
        d = model.config._observed
        return d.copy() if include_auxdata else d[: model.config.nmaindata].copy()


class Patchset:
    """A pyhf patchset file: Patchset(path). names, labels, values(name), and apply(workspace, name)."""

    def __init__(self, path):
        self._ps = _core.Patchset(path)
        self.names = self._ps.names()
        self.labels = self._ps.labels()

    def __len__(self):
        return len(self.names)

    def index(self, name):
        """The index of the patch called name (hfx.NotFoundError names the closest)."""
        return self._ps.find(name)

    def values(self, name):
        return self._ps.values(self.index(name))

    def metadata(self, key):
        return self._ps.metadata(key)

    def apply(self, workspace, name):
        """A copy of workspace with the patch called name applied."""
        return self.apply_index(workspace, self.index(name))

    def apply_index(self, workspace, i):
        ws = workspace._ws.copy()
        self._ps.apply(i, ws)
        return Workspace(ws)
