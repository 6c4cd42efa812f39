"""Errors the package raises itself (bad arguments caught before the library is called), with the
same attributes as those the extension raises from a library status."""
import operator

from . import _core

_STATUS = {  # the hfx_status codes of include/hfx/hfx.h
    _core.FileError: (-1, "HFX_ERR_IO"), _core.ArgumentError: (-7, "HFX_ERR_ARG"),
    _core.UnsupportedError: (-10, "HFX_ERR_UNSUPPORTED"), _core.NotFoundError: (-12, "HFX_ERR_NOT_FOUND"),
    _core.ModelError: (-4, "HFX_ERR_MODEL"), _core.PatchError: (-5, "HFX_ERR_PATCH"),
}


def error(cls, message):
    """An instance of cls (an hfx.Error subclass) for message, its attributes filled."""
    e = cls(message)
    e.status, e.status_name = _STATUS.get(cls, (0, "HFX_ERR_UNKNOWN"))
    e.detail, e.source, e.pointer, e.line, e.column = message, "", "", 0, 0
    return e


def whole(name, value, low=0, high=2**64 - 1):
    """value as an int, or an ArgumentError naming it where it is not a whole number in [low, high]:
    int() truncated ntoys=2.5 to 2 toys, and the extension's unsigned conversion wrapped seed=2**70 to
    the toys of seed 0. Integers (numpy's too) and floats with no fraction (ntoys=1e4) are whole."""
    if isinstance(value, bool):
        raise error(_core.ArgumentError, f"{name} = {value!r}: expected a whole number, got a bool")
    try:
        n = operator.index(value)
    except TypeError:
        if not (isinstance(value, float) and value.is_integer()):
            raise error(_core.ArgumentError, f"{name} = {value!r}: expected a whole number") from None
        n = int(value)
    if not low <= n <= high:
        raise error(_core.ArgumentError, f"{name} = {n} lies outside [{low}, {high}]")
    return n


# Wrong-shaped parameters or data: hfx.ArgumentError, and pyhf's exception of that kind (pyhf's logpdf
# raises InvalidPdfParameters / InvalidPdfData).
from .exceptions import InvalidPdfData as _InvalidPdfData, InvalidPdfParameters as _InvalidPdfParameters  # noqa: E402


class InvalidPdfParametersError(_core.ArgumentError, _InvalidPdfParameters):
    """Parameters of the wrong shape for the model."""


class InvalidPdfDataError(_core.ArgumentError, _InvalidPdfData):
    """Data of the wrong shape for the model."""


_STATUS[InvalidPdfParametersError] = _STATUS[InvalidPdfDataError] = _STATUS[_core.ArgumentError]

from .exceptions import UnspecifiedPOI as _UnspecifiedPOI  # noqa: E402


class UnspecifiedPOIError(_core.ArgumentError, _UnspecifiedPOI):
    """A model without a POI where one is needed (pyhf's UnspecifiedPOI)."""


_STATUS[UnspecifiedPOIError] = _STATUS[_core.ArgumentError]

from .exceptions import InvalidModifier as _InvalidModifier, InvalidNameReuse as _InvalidNameReuse  # noqa: E402


class UnknownModifierError(_core.SchemaError, _InvalidModifier):
    """A modifier of a type hfx does not know (pyhf's InvalidModifier)."""


class NameReuseError(_core.ModelError, _InvalidNameReuse):
    """One name used for modifiers of two types (pyhf's InvalidNameReuse)."""


_STATUS[UnknownModifierError] = _STATUS.get(_core.SchemaError, (0, "HFX_ERR_UNKNOWN"))
_STATUS[NameReuseError] = _STATUS[_core.ModelError]
# The library's messages of the two kinds pyhf gives classes of their own (src/spec/spec-build.c)
_FINER = ((_core.SchemaError, "unknown modifier type '", UnknownModifierError),
          (_core.ModelError, "(one name is one parameter;", NameReuseError))


def finer(e):
    """e as the subclass of its kind that pyhf has a class for (UnknownModifierError, NameReuseError), or e:
    the same message and attributes, so that `except pyhf.exceptions.InvalidModifier` catches it."""
    for base, marker, cls in _FINER:
        if type(e) is base and marker in str(getattr(e, "detail", "") or e):
            out = cls(*e.args)
            out.__dict__.update(e.__dict__)
            return out
    return e
