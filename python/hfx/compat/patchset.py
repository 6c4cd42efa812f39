"""hfx.compat.patchset: pyhf's PatchSet and Patch over a patchset's JSON (a dict). The patchset is
validated by hfx's patchset reader; patches are applied by hfx's RFC 6902 implementation."""
import json
import os
import tempfile

from .. import _core
from ..exceptions import InvalidPatchLookup, InvalidPatchSet, PatchSetVerificationError
from . import schema, utils

__all__ = ["Patch", "PatchSet"]


class Patch:
    """One patch of a patchset: .patch (the JSON Patch operations), .name, .values, .metadata."""

    def __init__(self, spec):
        self._metadata = spec["metadata"]
        self.patch = list(spec["patch"])

    metadata = property(lambda self: self._metadata)
    name = property(lambda self: self._metadata["name"])
    values = property(lambda self: tuple(self._metadata["values"]))

    def __iter__(self):
        return iter(self.patch)

    def __len__(self):
        return len(self.patch)

    def __repr__(self):
        return f"<hfx.compat.patchset.Patch object '{self.name}{self.values}' at {hex(id(self))}>"

    def __eq__(self, other):
        if isinstance(other, Patch):
            return self.patch == other.patch
        return self.patch == list(other) if isinstance(other, (list, tuple)) else False

    __hash__ = None

    def apply(self, spec):
        """spec (a dict) with this patch applied, as a new dict."""
        ws = _core.Workspace.from_string(json.dumps(dict(spec)), "<workspace>")
        ws.apply_patch(json.dumps(self.patch), self.name)
        return json.loads(ws.dump())


def _validate(spec):
    """hfx's patchset reader (the pyhf patchset schema and its consistency rules) on spec."""
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(spec, f)
        _core.Patchset(path)
    finally:
        os.unlink(path)


class PatchSet:
    """pyhf.PatchSet(spec): the patches of a patchset dict, looked up by name or by values."""

    def __init__(self, spec, **config_kwargs):
        self.schema = config_kwargs.pop("schema", "patchset.json")
        self._version = config_kwargs.pop("version", spec.get("version", None))
        try:  # pyhf's consistency errors (InvalidPatchSet) before the reader's, which finds them too
            self._metadata, patchspecs = spec["metadata"], list(spec["patches"])
            Patch(patchspecs[0]).values, self._metadata["labels"]
        except (KeyError, TypeError, IndexError, AttributeError):
            patchspecs = None
        if patchspecs is not None:
            try:
                self._register(patchspecs)
            except TypeError:  # a value that is no number or string: the schema's error, below
                pass
        schema.validate(spec, self.schema, version=self._version)
        self._metadata = spec["metadata"]
        self._register(spec["patches"])

    def _register(self, patchspecs):
        self._patches, self._by_key = [], {}
        for patchspec in patchspecs:
            patch = Patch(patchspec)
            if patch.name in self._by_key:
                raise InvalidPatchSet(f"Multiple patches were defined by name for {patch}.")
            if patch.values in self._by_key:
                raise InvalidPatchSet(f"Multiple patches were defined by values for {patch}.")
            if len(patch.values) != len(self.labels):
                raise InvalidPatchSet(f"Incompatible number of values ({len(patch.values)} for {patch} in patchset. "
                                      f"Expected {len(self.labels)}.")
            self._patches.append(patch)
            self._by_key[patch.name] = self._by_key[patch.values] = patch

    version = property(lambda self: self._version)
    metadata = property(lambda self: self._metadata)
    references = property(lambda self: self._metadata["references"])
    description = property(lambda self: self._metadata["description"])
    digests = property(lambda self: self._metadata["digests"])
    labels = property(lambda self: self._metadata["labels"])
    patches = property(lambda self: self._patches)

    def __repr__(self):
        n = len(self._patches)
        return f"<hfx.compat.patchset.PatchSet object with {n} patch{'es' if n != 1 else ''} at {hex(id(self))}>"

    def __getitem__(self, key):
        if isinstance(key, list):
            key = tuple(key)
        try:
            return self._by_key[key]
        except (KeyError, TypeError):
            raise InvalidPatchLookup(f'No patch associated with "{key}" is defined in patchset.') from None

    def __iter__(self):
        return iter(self._patches)

    def __len__(self):
        return len(self._patches)

    def verify(self, spec):
        """Raises PatchSetVerificationError unless spec's digests are the patchset's."""
        for algorithm, digest in self.digests.items():
            got = utils.digest(spec, algorithm=algorithm)
            if got != digest:
                raise PatchSetVerificationError(f"The digest verification failed for hash algorithm '{algorithm}'. "
                                                f"Expected: {digest}. Got: {got}")

    def apply(self, spec, key):
        """The workspace spec with the patch of key (a name or values) applied, after verify(spec)."""
        from .workspace import Workspace
        self.verify(spec)
        return Workspace(self[key].apply(spec))
