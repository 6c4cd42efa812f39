"""hfx.compat.workspace: pyhf's Workspace, a dict of the JSON specification with pyhf's methods
(get_measurement, model, data, prune, rename, sorted, build, combine), whose models are hfx's.
Workspace(spec) validates with hfx (compat.schema.validate: the pyhf schema; the model's consistency rules
are checked when a model is built, as pyhf)."""
import copy
import logging

from .._workspace import Workspace as _HfxWorkspace
from ..exceptions import InvalidMeasurement, InvalidWorkspaceOperation, Unsupported
from . import schema

__all__ = ["Workspace"]

log = logging.getLogger(__name__)


def _summary(channels):
    """pyhf's channel summary: sorted unique channels, samples, (modifier, type) pairs; bins per channel."""
    names, samples, modifiers, nbins = set(), set(), set(), {}
    for ch in channels:
        names.add(ch["name"])
        nbins[ch["name"]] = len(ch["samples"][0]["data"]) if ch.get("samples") else 0
        for s in ch["samples"]:
            samples.add(s["name"])
            for m in s.get("modifiers", []):
                modifiers.add((m["name"], m["type"]))
    return sorted(names), sorted(samples), sorted(modifiers), {c: nbins[c] for c in sorted(names)}


class Workspace(dict):
    """pyhf.Workspace(spec, validate=True): a dict holding the specification."""

    valid_joins = ["none", "outer", "left outer", "right outer"]

    def __init__(self, spec, validate=True, **config_kwargs):
        spec = copy.deepcopy(dict(spec))
        self.schema = config_kwargs.pop("schema", "workspace.json")
        self.version = config_kwargs.pop("version", spec.get("version", None))
        if config_kwargs:
            raise Unsupported(f"Unsupported options were passed in: {list(config_kwargs.keys())}.")
        self._hfx = _HfxWorkspace(spec)
        if validate:
            schema.validate(spec, self.schema, version=self.version)
        super().__init__(spec)
        self._channels, self._samples, self._modifiers, self._channel_nbins = _summary(spec.get("channels", []))
        self.measurement_names = [m["name"] for m in self.get("measurements", [])]
        self.observations = {o["name"]: o["data"] for o in self.get("observations", [])}

    channels = property(lambda self: self._channels)
    samples = property(lambda self: self._samples)
    modifiers = property(lambda self: self._modifiers)
    channel_nbins = property(lambda self: self._channel_nbins)

    @property
    def parameters(self):
        return sorted({m for m, _ in self._modifiers})

    @property
    def channel_slices(self):
        out, begin = {}, 0
        for c in self._channels:
            out[c] = slice(begin, begin + self._channel_nbins[c])
            begin += self._channel_nbins[c]
        return out

    def __eq__(self, other):
        return isinstance(other, Workspace) and dict(self) == dict(other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return object.__repr__(self)

    def get_measurement(self, measurement_name=None, measurement_index=None):
        """The measurement named (or at index, or the first), as pyhf's."""
        if not self.measurement_names:
            raise InvalidMeasurement("No measurements have been defined.")
        if measurement_name is not None:
            if measurement_name not in self.measurement_names:
                raise InvalidMeasurement(f"no measurement by name '{measurement_name}' was found in the workspace, "
                                         "pick from one of the valid ones above")
            measurement = self["measurements"][self.measurement_names.index(measurement_name)]
        else:
            index = measurement_index if measurement_index is not None else 0
            try:
                measurement = self["measurements"][index]
            except IndexError:
                raise InvalidMeasurement(f"The measurement index {index} is out of bounds as only "
                                         f"{len(self.measurement_names)} measurement(s) have been defined.") from None
        schema.validate(measurement, "measurement.json", version=self.version)
        return measurement

    def model(self, measurement_name=None, measurement_index=None, patches=None, **config_kwargs):
        """hfx's model of a measurement (hfx.Workspace.model: pyhf's arguments and hfx's engine options)."""
        measurement = self.get_measurement(measurement_name, measurement_index)
        return self._hfx.model(measurement_name=measurement["name"], patches=patches, **config_kwargs)

    def data(self, model, include_auxdata=True):
        """The observations of model's channels (in its order) and its auxiliary data: a list, as pyhf's
        (a KeyError, logged, for a channel without observations)."""
        try:
            observed = sum((list(self.observations[c]) for c in model.config.channels), [])
        except KeyError:
            log.error("Invalid channel: the workspace does not have observation data for one of the channels in "
                      "the model.")
            raise
        return observed + list(model.config.auxdata) if include_auxdata else observed

    # -- operations on workspaces (pyhf's semantics)

    def _prune_and_rename(self, prune_modifiers=None, prune_modifier_types=None, prune_samples=None,
                          prune_channels=None, prune_measurements=None, rename_modifiers=None,
                          rename_samples=None, rename_channels=None, rename_measurements=None):
        prune_modifiers, prune_modifier_types = prune_modifiers or [], prune_modifier_types or []
        prune_samples, prune_channels = prune_samples or [], prune_channels or []
        prune_measurements = prune_measurements or []
        rename_modifiers, rename_samples = rename_modifiers or {}, rename_samples or {}
        rename_channels, rename_measurements = rename_channels or {}, rename_measurements or {}
        for what, given, have in (("modifiers", prune_modifiers, self.parameters),
                                  ("modifier types", prune_modifier_types, [t for _, t in self._modifiers]),
                                  ("samples", prune_samples, self._samples), ("channels", prune_channels, self._channels),
                                  ("measurements", prune_measurements, self.measurement_names),
                                  ("modifiers", list(rename_modifiers), self.parameters),
                                  ("samples", list(rename_samples), self._samples),
                                  ("channels", list(rename_channels), self._channels),
                                  ("measurements", list(rename_measurements), self.measurement_names)):
            missing = sorted(set(given) - set(have))
            if missing:
                raise InvalidWorkspaceOperation(f"{missing} not in the workspace's {what}.")
        channels = []
        for ch in self["channels"]:
            if ch["name"] in prune_channels:
                continue
            samples = []
            for s in ch["samples"]:
                if s["name"] in prune_samples:
                    continue
                mods = [dict(m, name=rename_modifiers.get(m["name"], m["name"])) for m in s.get("modifiers", [])
                        if m["name"] not in prune_modifiers and m["type"] not in prune_modifier_types]
                samples.append(dict(s, name=rename_samples.get(s["name"], s["name"]), modifiers=mods))
            if samples:
                channels.append(dict(ch, name=rename_channels.get(ch["name"], ch["name"]), samples=samples))
        kept = {c["name"] for c in channels}
        observations = [dict(o, name=rename_channels.get(o["name"], o["name"])) for o in self["observations"]
                        if o["name"] not in prune_channels and rename_channels.get(o["name"], o["name"]) in kept]
        measurements = []
        for m in self.get("measurements", []):
            if m["name"] in prune_measurements:
                continue
            config = dict(m["config"])
            config["parameters"] = [dict(p, name=rename_modifiers.get(p["name"], p["name"]))
                                    for p in config.get("parameters", []) if p["name"] not in prune_modifiers]
            config["poi"] = rename_modifiers.get(config["poi"], config["poi"])
            measurements.append(dict(m, name=rename_measurements.get(m["name"], m["name"]), config=config))
        spec = dict(self, channels=channels, observations=observations, measurements=measurements)
        return Workspace(spec)

    def prune(self, modifiers=None, modifier_types=None, samples=None, channels=None, measurements=None):
        """A new workspace without the modifiers, modifier types, samples, channels or measurements named."""
        return self._prune_and_rename(modifiers, modifier_types, samples, channels, measurements)

    def rename(self, modifiers=None, samples=None, channels=None, measurements=None):
        """A new workspace with names replaced ({old: new} per kind)."""
        return self._prune_and_rename(rename_modifiers=modifiers, rename_samples=samples, rename_channels=channels,
                                      rename_measurements=measurements)

    @classmethod
    def sorted(cls, workspace):
        """A new workspace with channels, samples and modifiers sorted by name (observations by channel)."""
        spec = copy.deepcopy(dict(workspace))
        spec["channels"].sort(key=lambda c: c["name"])
        for ch in spec["channels"]:
            ch["samples"].sort(key=lambda s: s["name"])
            for s in ch["samples"]:
                s["modifiers"].sort(key=lambda m: (m["name"], m["type"]))
        spec["observations"].sort(key=lambda o: o["name"])
        return cls(spec)

    @classmethod
    def build(cls, model, data, name="measurement", validate=True):
        """A workspace from a model and its observations (main bins in the model's channel order), with
        every parameter set's bounds, inits and fixed flag in its measurement, as pyhf's build."""
        cfg = model.config
        params = []
        for pname in cfg.par_order:
            ps = cfg.param_set(pname)
            params.append({"bounds": [list(b) for b in ps.suggested_bounds], "inits": list(ps.suggested_init),
                           "fixed": ps.suggested_fixed_as_bool, "name": pname})
        data = list(data)
        spec = {"channels": copy.deepcopy(model.spec["channels"]), "version": "1.0.0",
                "measurements": [{"name": name, "config": {"poi": cfg.poi_name, "parameters": params}}],
                "observations": [{"name": c, "data": [float(x) for x in data[cfg.channel_slices[c]]]}
                                 for c in cfg.channels]}
        return cls(spec, validate=validate)

    @classmethod
    def combine(cls, left, right, join="none", merge_channels=False):
        """pyhf's Workspace.combine; see hfx.compat.workspace_combine."""
        from ._combine import combine
        return combine(cls, left, right, join, merge_channels)


# pyhf.workspace's join helpers, under pyhf's names (code and tests call them)
from ._combine import join_items as _join_items, join_measurements as _join_measurements  # noqa: E402,F401
from ._combine import join_parameter_configs as _join_parameter_configs  # noqa: E402,F401
