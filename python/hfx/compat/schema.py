"""hfx.compat.schema: pyhf.schema.validate for the specifications hfx reads (workspace.json, model.json,
patchset.json, measurement.json), by hfx's validation: a failure raises InvalidSpecification (hfx's
SchemaError) or the hfx.Error of the problem. Other schemas are not known to hfx."""
import json

from .. import _core
from .._errors import error

__all__ = ["validate", "version"]

version = "1.0.0"


def validate(spec, schema_name, *, version=None, allow_tensors=True):
    from .._model import workspace_of_model_spec
    if schema_name == "workspace.json":
        try:
            _core.Workspace.from_string(json.dumps(spec), "<workspace>").validate()
        except _core.ModelError:
            # pyhf checks the schema here and the model's consistency (bin counts, shared shapesys, a POI
            # that is no parameter, ...) when a model is built: hfx.Workspace.model raises these then
            pass
    elif schema_name == "model.json":
        _core.Workspace.from_string(json.dumps(workspace_of_model_spec(spec, "")), "<model>").validate()
    elif schema_name == "patchset.json":
        from .patchset import _validate
        _validate(spec)
    elif schema_name == "measurement.json":
        if not isinstance(spec, dict) or "name" not in spec or "config" not in spec:
            raise error(_core.SchemaError, "measurement: expected an object with 'name' and 'config'")
    else:
        raise error(_core.UnsupportedError, f"schema {schema_name!r} is not known to hfx")
