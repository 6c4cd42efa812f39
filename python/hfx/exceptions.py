"""hfx.exceptions: pyhf's exception classes (pyhf.exceptions' names), so that code written for pyhf
catches hfx's errors: each hfx.Error subclass also derives from the pyhf class of its kind (hfx's
extension adds these bases at import), e.g. hfx.SchemaError is an InvalidSpecification, hfx.ModelError
an InvalidModel, hfx.FitError a FailedMinimization, hfx.UnsupportedError an Unsupported.

This module imports nothing from hfx: the extension hfx._core reads it while hfx itself is being
imported. Those pyhf classes that hfx never raises are here too, so that `except` clauses naming them
keep working."""

__all__ = [
    "Unsupported", "InvalidMeasurement", "InvalidNameReuse", "SchemaNotFound", "InvalidSpecification",
    "InvalidArchiveHost", "InvalidArchive", "InvalidPatchSet", "InvalidPatchLookup", "PatchSetVerificationError",
    "InvalidWorkspaceOperation", "UnspecifiedPOI", "InvalidModel", "InvalidModifier", "InvalidInterpCode",
    "InvalidTestStatistic", "ImportBackendError", "InvalidBackend", "InvalidOptimizer", "InvalidPdfParameters",
    "InvalidPdfData", "FailedMinimization",
]


class Unsupported(Exception):
    """Something this configuration does not support."""


class InvalidMeasurement(Exception):
    """A measurement that the specification does not have, or that is inconsistent with it."""


class InvalidNameReuse(Exception):
    """A name used twice where names must be unique."""


class SchemaNotFound(FileNotFoundError):
    """A schema that does not exist."""


class InvalidSpecification(Exception):
    """A specification that does not follow the pyhf schema. Made from a message (hfx) or, as pyhf's, from
    a jsonschema ValidationError (then path and instance are its)."""

    def __init__(self, error="", schema=None):
        self.parent, self.schema, self.path, self.instance = error, schema, "", None
        message = error
        if not isinstance(error, str) and hasattr(error, "path"):
            self.path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path).lstrip(".")
            self.instance = getattr(error, "instance", None)
            message = f"{getattr(error, 'message', error)}.\n\tPath: {self.path}\n\tInstance: {self.instance}"
        super().__init__(message)


class InvalidArchiveHost(Exception):
    """An archive host that is not approved."""


class InvalidArchive(Exception):
    """An archive that cannot be read."""


class InvalidPatchSet(Exception):
    """A patchset that validates against the schema but is inconsistent."""


class InvalidPatchLookup(Exception):
    """A patch that is not in the patchset."""


class PatchSetVerificationError(Exception):
    """A workspace whose digest differs from the patchset's."""


class InvalidWorkspaceOperation(Exception):
    """An operation on workspaces (combine, rename, ...) that cannot be done."""


class UnspecifiedPOI(Exception):
    """A model without a POI used where one is needed (CLs, upper limits, fixed-POI fits)."""


class InvalidModel(Exception):
    """A model that validates against the schema but is inconsistent (an unknown POI, bin counts, ...)."""


class InvalidModifier(Exception):
    """A modifier that does not exist or is malformed."""


class InvalidInterpCode(Exception):
    """An interpolation code that does not exist for its modifier type."""


class InvalidTestStatistic(Exception):
    """A test statistic that does not exist."""


class ImportBackendError(Exception):
    """A tensor backend whose library cannot be imported."""


class InvalidBackend(Exception):
    """A tensor backend that does not exist."""


class InvalidOptimizer(Exception):
    """An optimizer that does not exist."""


class InvalidPdfParameters(Exception):
    """Parameters of the wrong shape for the model."""


class InvalidPdfData(Exception):
    """Data of the wrong shape for the model."""


class FailedMinimization(Exception):
    """A fit that did not succeed. Made from a message (hfx) or, as pyhf's, from a fit result (then the
    message is its .message and .result is it)."""

    def __init__(self, result=""):
        self.result = result
        super().__init__(result if isinstance(result, str) else
                         getattr(result, "message", "Unknown failure. See fit result for more details."))


def _deprecated_api_warning(deprecated_api, new_api, deprecated_release, remove_release):
    """pyhf's deprecation warning (a DeprecationWarning at the caller's caller), for pyhf code that
    raises it."""
    import warnings
    warnings.warn(f"{deprecated_api} is deprecated in favor of {new_api} as of pyhf v{deprecated_release} and will "
                  f"be removed in pyhf v{remove_release}. Please use {new_api}.", DeprecationWarning, stacklevel=3)
