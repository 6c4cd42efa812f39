"""hfx.compat.writexml: pyhf's writexml writes HistFactory XML and ROOT files; hfx writes them with
`hfx json2xml` (C). Its Python form is not part of hfx.compat: writexml raises Unsupported."""
from .. import _core
from .._errors import error

__all__ = ["writexml"]


def writexml(spec, specdir, data_rootdir, resultprefix):
    raise error(_core.UnsupportedError, "writexml is not available in hfx.compat (use `hfx json2xml`)")
