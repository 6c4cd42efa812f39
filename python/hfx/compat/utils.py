"""hfx.compat.utils: pyhf.utils' digest (the hash pyhf's patchsets record of a workspace) and
citation."""
import hashlib
import json

__all__ = ["digest", "citation"]


def digest(obj, algorithm="sha256"):
    """The hex digest of obj's JSON (keys sorted, no spaces), as pyhf.utils.digest."""
    try:
        stringified = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf8")
    except TypeError:
        raise ValueError("The supplied object is not JSON-serializable for calculating a hash.") from None
    try:
        h = getattr(hashlib, algorithm)()
    except AttributeError:
        raise ValueError(f"{algorithm} is not an algorithm provided by Python's hashlib library.") from None
    h.update(stringified)
    return h.hexdigest()


def citation(oneline=False):
    text = "hfx: HistFactory likelihood fits with pyhf 0.7.6's numbers (cite pyhf for its definitions)"
    return text
